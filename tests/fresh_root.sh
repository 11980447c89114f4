#!/bin/sh
# Runs the README's commands where nothing was installed by hand: a Debian minbase
# root (debootstrap --variant=minbase, plus git and make), entered in a mount
# namespace of its own with /proc, /sys, /dev and /run mounted and its root
# bind-mounted onto itself (`ip netns exec` remounts /).  Clones HEAD of this
# repository into it and runs the commands given (default: make demo, make check).
# Not part of `make check`: it downloads a whole base system.
# Usage: tests/fresh_root.sh [-d DIR] [-s SUITE] ["command" ...]
#   DIR: where the root lives (default /var/tmp/ipsecguard-fresh); a pristine copy
#   is kept as DIR/pristine.tgz and unpacked anew for every run.
set -eu
dir=/var/tmp/ipsecguard-fresh suite=bookworm
while getopts d:s: o; do
	case $o in d) dir=$OPTARG ;; s) suite=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- "make demo" "make check"
[ "$(id -u)" = 0 ] || { echo "fresh_root: needs root" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
command -v debootstrap >/dev/null ||
	{ echo "fresh_root: debootstrap missing (apt-get install debootstrap)" >&2; exit 2; }

mkdir -p "$dir"
if [ ! -s "$dir/pristine.tgz" ]; then
	rm -rf "$dir/build"
	debootstrap --variant=minbase --include=git,make,ca-certificates "$suite" \
		"$dir/build" http://deb.debian.org/debian >"$dir/debootstrap.log" 2>&1 ||
		{ echo "fresh_root: debootstrap failed, see $dir/debootstrap.log" >&2; exit 1; }
	tar -C "$dir/build" -czf "$dir/pristine.tgz" . && rm -rf "$dir/build"
fi
root=$dir/root
rm -rf "$root" && mkdir -p "$root"
tar -C "$root" -xzf "$dir/pristine.tgz"
cp /etc/resolv.conf "$root/etc/resolv.conf"
git clone -q "$top" "$root/src"

rc=0
for cmd in "$@"; do
	echo "fresh_root: $cmd" >&2
	unshare -m sh -c '
		set -e
		r=$1; shift
		mount --make-rprivate /
		mount --bind "$r" "$r"
		mount -t proc proc "$r/proc"
		mount --rbind /sys "$r/sys"
		mount --rbind /dev "$r/dev"
		mount -t tmpfs tmpfs "$r/run"
		exec chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			sh -c "cd /src && $*"
	' fresh "$root" "$cmd" || { rc=$?; echo "fresh_root: '$cmd' exit $rc" >&2; }
done
exit $rc
