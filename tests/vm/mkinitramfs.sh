#!/bin/sh
# Builds the lab's initramfs (newc cpio, gzip) for the kernel unpacked by fetch-kernel.sh:
#   busybox-static (sh, modprobe, timeout, ...), the kernel's networking/crypto modules
#   with their dependencies and a fresh modules.dep/modules.alias (so the kernel's
#   request_module, e.g. for crypto templates, finds /sbin/modprobe), the host's
#   userland (iproute2, nft, iptables, conntrack, tcpdump, ping, iperf3, socat) with
#   their shared libraries, the project's build/ binaries when present, tests/vm/init
#   as /init and tests/vm/scenarios/ as /scenarios.
#
# Usage: mkinitramfs.sh KERNEL_ROOT OUT_DIR
# Prints the image's path.  The name carries a hash of every input, so an unchanged
# lab is not rebuilt; older images in OUT_DIR are removed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kroot=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
kver=$(ls "$kroot/lib/modules" | head -n 1)
kmods="$kroot/lib/modules/$kver"
PATH=$PATH:/usr/sbin:/sbin

# Host packages the image is made of (busybox-static, iputils-ping, cpio, kmod and
# the test tools) come from tests/deps.list through `make deps-vm`.
sh "$here/../deps.sh" build test vm >&2 || exit 1

# Host programs (by name; resolved through PATH).  Missing optional ones are skipped.
PROGS_REQUIRED="ip tc nft xtables-nft-multi xtables-legacy-multi conntrack tcpdump ping"
PROGS_OPTIONAL="iperf3 socat ss bridge"
# Names that point at the multi-call iptables binaries.
XT_NFT_LINKS="iptables iptables-nft ip6tables ip6tables-nft iptables-nft-save
iptables-nft-restore iptables-save iptables-restore ip6tables-save ip6tables-restore"
XT_LEGACY_LINKS="iptables-legacy ip6tables-legacy iptables-legacy-save
iptables-legacy-restore ip6tables-legacy-save ip6tables-legacy-restore"
PROJECT_BINS="build/ipsecguardd build/ipsecguard"

# Kernel module directories copied whole, plus single modules; dependencies of all
# of them are added from modules.dep.
MOD_DIRS="net/ipv4 net/ipv6 net/xfrm net/key net/netfilter net/sched net/core net/bridge
crypto arch/x86/crypto lib"
MOD_FILES="drivers/net/veth.ko drivers/net/tun.ko drivers/net/dummy.ko drivers/net/ifb.ko"

resolve_prog() {
	command -v "$1" 2>/dev/null | head -n 1
}

# --- input hash ------------------------------------------------------------------
hash_inputs() {
	echo "kernel $kver"
	cat "$here/mkinitramfs.sh" "$here/init"
	for f in "$here"/scenarios/* "$here/../check.sh"; do
		[ -f "$f" ] && { echo "== $f"; cat "$f"; }
	done
	for p in $PROGS_REQUIRED $PROGS_OPTIONAL; do
		r=$(resolve_prog "$p") && [ -n "$r" ] && stat -L -c '%n %s %Y' "$r"
	done
	for f in $PROJECT_BINS "$top"/build/libxt_*.so; do
		case $f in /*) ;; *) f="$top/$f" ;; esac
		[ -f "$f" ] && { echo "== $f"; cat "$f"; }
	done
	ls -l /usr/lib/x86_64-linux-gnu/xtables 2>/dev/null
	dpkg-query -W busybox-static iputils-ping 2>/dev/null
	cat "$here/cache/strongswan/root/.unpacked" 2>/dev/null
	true
}
sum=$(hash_inputs | sha256sum | cut -c1-16)
img="$out/initramfs-$kver-$sum.cpio.gz"
mkdir -p "$out"
if [ -s "$img" ]; then
	echo "$img"
	exit 0
fi
echo "mkinitramfs: building $(basename "$img")" >&2

st=$(mktemp -d "$out/stage.XXXXXX")
trap 'rm -rf "$st"' EXIT INT TERM

# Merged-/usr layout like the host, so library paths from ldd work unchanged.
mkdir -p "$st/usr/bin" "$st/usr/sbin" "$st/usr/lib" "$st/usr/lib64" \
	"$st/proc" "$st/sys" "$st/dev" "$st/run" "$st/tmp" "$st/etc" "$st/root" \
	"$st/var" "$st/scenarios" "$st/bbin" "$st/opt/ipsecguard"
ln -s usr/bin "$st/bin"
ln -s usr/sbin "$st/sbin"
ln -s usr/lib "$st/lib"
ln -s usr/lib64 "$st/lib64"
ln -s ../run "$st/var/run"
mkdir -p "$st/var/tmp" "$st/var/log"

# add_file PATH: copies PATH into the image at the same place; a symlink is kept as a
# symlink and its target added too.
add_file() {
	_p=$1
	[ -e "$st$_p" ] || [ -L "$st$_p" ] && return 0
	mkdir -p "$(dirname "$st$_p")"
	if [ -L "$_p" ]; then
		_t=$(readlink "$_p")
		ln -s "$_t" "$st$_p"
		case $_t in
		/*) add_file "$_t" ;;
		*) add_file "$(cd "$(dirname "$_p")" && pwd -P)/$_t" ;;
		esac
	else
		cp -p "$_p" "$st$_p"
	fi
}
# add_elf PATH: the file and every shared library ldd lists for it.
add_elf() {
	add_file "$1"
	ldd "$1" 2>/dev/null | awk '
		/=> \// { print $3; next }
		/^[ \t]*\// { print $1 }' | while read -r lib; do
		add_file "$lib"
	done
}

# busybox: applets go to /bbin, which is last in PATH, so host programs win for
# exec*p().  (busybox sh itself still prefers its applets: scenarios call iproute2
# and ping through the wrappers in scenarios/lib.sh.)
cp /bin/busybox "$st/bbin/busybox"
ln -s /bbin/busybox "$st/usr/bin/sh"
ln -s /bbin/busybox "$st/usr/sbin/modprobe"
ln -s /bbin/busybox "$st/usr/sbin/insmod"

for p in $PROGS_REQUIRED; do
	r=$(resolve_prog "$p")
	[ -n "$r" ] || { echo "mkinitramfs: $p not found on the host (make deps)" >&2; exit 1; }
	add_elf "$r"
done
for p in $PROGS_OPTIONAL; do
	r=$(resolve_prog "$p")
	[ -n "$r" ] && add_elf "$r"
done
for n in $XT_NFT_LINKS; do
	[ -e "$st/usr/sbin/$n" ] || ln -s xtables-nft-multi "$st/usr/sbin/$n"
done
for n in $XT_LEGACY_LINKS; do
	[ -e "$st/usr/sbin/$n" ] || ln -s xtables-legacy-multi "$st/usr/sbin/$n"
done
# iptables extensions are dlopen()ed: copy them all with their libraries.
if [ -d /usr/lib/x86_64-linux-gnu/xtables ]; then
	for so in /usr/lib/x86_64-linux-gnu/xtables/*.so; do
		add_elf "$so"
	done
fi
# Project binaries, when built: in /opt/ipsecguard (and PATH), the xt plugin next
# to the system's iptables extensions.
for f in $PROJECT_BINS; do
	if [ -f "$top/$f" ]; then
		add_elf "$top/$f"
		cp -p "$top/$f" "$st/opt/ipsecguard/"
		rm -f "$st$top/$f"
		ln -sf "/opt/ipsecguard/$(basename "$f")" "$st/usr/sbin/$(basename "$f")"
	fi
done
for so in "$top"/build/libxt_*.so; do
	[ -f "$so" ] || continue
	add_elf "$so"
	cp -p "$so" "$st/usr/lib/x86_64-linux-gnu/xtables/"
	rm -f "$st$so"
done
rm -rf "$st$top"
# strongSwan, when fetch-strongswan.sh unpacked it.
ssw="$here/cache/strongswan/root"
if [ -d "$ssw" ]; then
	(cd "$ssw" && find . ! -type d ! -name .unpacked) | while read -r f; do
		f=${f#.}
		mkdir -p "$(dirname "$st$f")"
		cp -a "$ssw$f" "$st$f"
	done
	for e in "$ssw"/usr/lib/ipsec/charon "$ssw"/usr/sbin/swanctl; do
		[ -f "$e" ] || continue
		LD_LIBRARY_PATH="$ssw/usr/lib/ipsec" ldd "$e" 2>/dev/null |
			awk '/=> \// { print $3 }' | while read -r lib; do
			case $lib in "$ssw"*) ;; *) add_file "$lib" ;; esac
		done
	done
	for so in "$ssw"/usr/lib/ipsec/plugins/*.so "$ssw"/usr/lib/ipsec/*.so*; do
		[ -f "$so" ] || continue
		LD_LIBRARY_PATH="$ssw/usr/lib/ipsec" ldd "$so" 2>/dev/null |
			awk '/=> \// { print $3 }' | while read -r lib; do
			case $lib in "$ssw"*) ;; *) add_file "$lib" ;; esac
		done
	done
fi

# glibc dlopen()s libgcc_s for pthread_cancel (charon's threads).
for f in /lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1; do
	[ -e "$f" ] && { add_file "$f"; break; }
done

# Files the programs read.
for f in /etc/protocols /etc/services /etc/ethertypes /etc/iproute2 /usr/share/iproute2; do
	[ -e "$f" ] && { mkdir -p "$(dirname "$st$f")"; cp -a "$f" "$st$f"; }
done
cat >"$st/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
tcpdump:x:104:109::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
P
cat >"$st/etc/group" <<'G'
root:x:0:
tcpdump:x:109:
nogroup:x:65534:
G
echo "hosts: files" >"$st/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$st/etc/hosts"
echo "ipsecguard-lab" >"$st/etc/hostname"

# Kernel modules: the directories above plus the closure of their dependencies.
mlist=$(mktemp)
{
	for d in $MOD_DIRS; do
		[ -d "$kmods/kernel/$d" ] && (cd "$kmods" && find "kernel/$d" -name '*.ko*')
	done
	for f in $MOD_FILES; do
		[ -f "$kmods/kernel/$f" ] && echo "kernel/$f"
	done
} | sort -u >"$mlist"
while :; do
	n=$(wc -l <"$mlist")
	# Every dependency of a listed module (modules.dep: "mod.ko: dep.ko dep.ko").
	awk -F': *' 'NR == FNR { want[$0] = 1; next }
		($1 in want) && NF > 1 { n = split($2, d, " "); for (i = 1; i <= n; i++) print d[i] }' \
		"$mlist" "$kmods/modules.dep" | cat - "$mlist" | sort -u >"$mlist.new"
	mv "$mlist.new" "$mlist"
	[ "$(wc -l <"$mlist")" = "$n" ] && break
done
mdst="$st/usr/lib/modules/$kver"
mkdir -p "$mdst"
(cd "$kmods" && cpio -pdm --quiet "$mdst" <"$mlist")
cp -p "$kmods/modules.order" "$kmods/modules.builtin" "$kmods/modules.builtin.modinfo" "$mdst/"
rm -f "$mlist"
depmod -b "$st" "$kver"

# init and scenarios.
cp "$here/init" "$st/init"
chmod 0755 "$st/init"
for f in "$here"/scenarios/*; do
	[ -f "$f" ] && cp "$f" "$st/scenarios/"
done
cp "$here/../check.sh" "$st/scenarios/check.sh"	# the assertions, shared with tests/netns

tmpimg="$img.tmp"
(cd "$st" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$tmpimg"
mv "$tmpimg" "$img"
for old in "$out"/initramfs-*.cpio.gz; do
	[ "$old" = "$img" ] || rm -f "$old"
done
echo "mkinitramfs: $(du -h "$img" | cut -f1) $(basename "$img")" >&2
echo "$img"
