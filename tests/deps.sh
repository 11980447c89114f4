#!/bin/sh
# Installs the Debian packages ipsecguard builds and tests with, only those missing.
# Used by `make deps` (and so by `make check` and `make demo`).
PKGS="build-essential pkg-config clang libnetfilter-queue-dev libmnl-dev libnftnl-dev
libxtables-dev iptables nftables iproute2 conntrack iperf3 tcpdump python3 socat procps
kmod"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run as root (sudo make ...) to install them" >&2
	exit 1
fi
echo "deps: installing$missing"
if [ -z "$(find /var/lib/apt/lists -name '*Packages*' 2>/dev/null | head -n 1)" ] ||
   [ -n "$CI" ] && [ ! -f /tmp/.ipsecguard-apt-updated ]; then
	apt-get update -q && touch /tmp/.ipsecguard-apt-updated
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null ||
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing; }
