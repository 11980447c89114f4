#!/bin/sh
# The real-kernel IPsec lab behind `make check-vm`.
#   1. fetch-kernel.sh: Debian's linux-image-*-cloud-amd64 (ESP, nft_queue, veth as
#      modules) into tests/vm/cache/ (cached, never committed); fetch-strongswan.sh:
#      charon and swanctl, unpacked there too;
#   2. mkinitramfs.sh: busybox + modules + the host's userland + build/ binaries +
#      tests/vm/init + tests/vm/scenarios/ (rebuilt only when an input changed);
#   3. boots it with qemu-system-x86_64 -accel tcg (KVM hangs on these machines), no
#      network device: the lab's namespaces live inside the VM;
#   4. the VM runs tests/vm/scenarios/[0-9]*.sh (exit 0 pass, 77 skipped, else fail)
#      and prints results on its serial console; this script turns them into
#      PASS/FAIL/SKIP lines and ends with "N passed, N failed[, N skipped]".
# Logs: build/test-logs/vm-console.log (whole console), vm-<scenario>.log.
# Usage: tests/vm/run.sh [PATTERN ...]   (substring filters on scenario names)
# Environment: VM_TIMEOUT (whole VM, seconds, default 2400), VM_SCENARIO_TIMEOUT
#   (default 150), VM_MEM (MiB, default 1024), VM_SMP (default 2), VM_KERNEL_PKG,
#   VM_STRONGSWAN=0 (leave strongSwan out of the image).
set -u
cd "$(dirname "$0")/../.." || exit 2
top=$(pwd)
vm=tests/vm
logs=build/test-logs
mkdir -p "$logs" "$vm/cache"
console="$logs/vm-console.log"
: "${VM_TIMEOUT:=2400}" "${VM_SCENARIO_TIMEOUT:=150}" "${VM_MEM:=1024}" "${VM_SMP:=2}"

die() {
	echo "vm: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

# qemu, busybox-static, cpio: tests/deps.list's vm group (make deps-vm)
sh tests/deps.sh build test vm >&2 || die "missing packages (run make deps-vm as root)"

t_start=$(date +%s)
kroot=$(sh $vm/fetch-kernel.sh) || die "no kernel (tests/vm/fetch-kernel.sh failed)"
kver=${kroot##*/kernel-}
kernel="$kroot/boot/vmlinuz-$kver"
# strongSwan for the IKE scenarios: optional (they skip without it).
if [ "${VM_STRONGSWAN:-1}" != 0 ]; then
	sh $vm/fetch-strongswan.sh || echo "vm: no strongSwan in the image (IKE scenarios skip)" >&2
else
	rm -rf "$vm/cache/strongswan"
fi
img=$(sh $vm/mkinitramfs.sh "$kroot" "$vm/cache") || die "initramfs build failed"
t_built=$(date +%s)

only=""
for p in "$@"; do only="${only:+$only,}$p"; done
expected=""
for s in $vm/scenarios/[0-9]*.sh; do
	[ -f "$s" ] || continue
	n=$(basename "$s" .sh)
	if [ -n "$only" ]; then
		hit=0
		for p in "$@"; do case $n in *"$p"*) hit=1 ;; esac; done
		[ $hit = 1 ] || continue
	fi
	expected="$expected $n"
done
[ -n "$expected" ] || die "no scenario matches: $*"

append="console=ttyS0 panic=-1 quiet loglevel=4 ig.timeout=$VM_SCENARIO_TIMEOUT"
[ -n "$only" ] && append="$append ig.only=$only"

echo "vm: kernel $kver, $(basename "$img") ($(du -h "$img" | cut -f1)), booting (TCG)"
cr=$(printf '\r')
state=$(mktemp)
trap 'rm -f "$state"' EXIT
# The console goes to $console as it comes; the loop prints results as they arrive.
{
	timeout -k 10 "$VM_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max \
		-smp "$VM_SMP" -m "$VM_MEM" -nodefaults -no-reboot \
		-display none -monitor none -serial stdio \
		-kernel "$kernel" -initrd "$img" -append "$append" </dev/null 2>&1
	echo "@@HOST qemu-exit $?"
} | tee "$console" | while IFS= read -r line; do
	line=${line%"$cr"}
	case $line in
	"@@VM UP "*)
		set -- $line
		echo "vm: up after ${4}s of guest time ($(($(date +%s) - t_built))s wall)"
		;;
	"@@VM NOTE "*) echo "vm: ${line#@@VM NOTE }" ;;
	"@@VM RESULT "*)
		set -- $line
		res=$3 name=$4 secs=$5 why=${6:-}
		echo "$res $name" >>"$state"
		case $res in
		PASS) echo "PASS  vm/$name (${secs}s)" ;;
		SKIP) echo "SKIP  vm/$name: $(tail -n 1 "$logs/vm-$name.log" 2>/dev/null)" ;;
		*) echo "FAIL  vm/$name ($why, ${secs}s); last lines of $logs/vm-$name.log:"
		   echo "      first failed check: $(grep -m1 'not ok' "$logs/vm-$name.log")"
		   tail -n 25 "$logs/vm-$name.log" | sed 's/^/      /' ;;
		esac
		;;
	"@@LOG "*)
		rest=${line#@@LOG }
		name=${rest%% | *}
		case $rest in *" | "*) text=${rest#* | } ;; *) text="" ;; esac
		# The first line of a scenario's log starts a new file.
		if ! grep -qx "LOGGING $name" "$state" 2>/dev/null; then
			echo "LOGGING $name" >>"$state"
			: >"$logs/vm-$name.log"
		fi
		printf '%s\n' "$text" >>"$logs/vm-$name.log"
		;;
	"@@VM DONE "*) echo "DONE" >>"$state" ;;
	"@@HOST qemu-exit "*) echo "QEMU ${line#@@HOST qemu-exit }" >>"$state" ;;
	esac
done
t_end=$(date +%s)
sed -i "s/$cr\$//" "$console"

pass=0 fail=0 skip=0 failed_names=""
for n in $expected; do
	r=$(awk -v n="$n" '$2 == n && ($1 == "PASS" || $1 == "FAIL" || $1 == "SKIP") { print $1 }' "$state" | tail -n 1)
	case $r in
	PASS) pass=$((pass + 1)) ;;
	SKIP) skip=$((skip + 1)) ;;
	FAIL) fail=$((fail + 1)); failed_names="$failed_names $n" ;;
	*) fail=$((fail + 1)); failed_names="$failed_names $n"
	   echo "FAIL  vm/$n: no result from the VM" ;;
	esac
done
qrc=$(sed -n 's/^QEMU //p' "$state")
if ! grep -q '^@@VM UP' "$console"; then
	echo "vm: the VM did not come up (qemu exit ${qrc:-?}); console tail:"
	tail -n 40 "$console" | sed 's/^/      /'
	[ "$fail" -gt 0 ] || fail=1
	failed_names="$failed_names (boot)"
elif ! grep -qx DONE "$state"; then
	echo "vm: the VM did not finish (qemu exit ${qrc:-?}, 124 = VM_TIMEOUT ${VM_TIMEOUT}s); console tail:"
	tail -n 40 "$console" | sed 's/^/      /'
	[ "$fail" -gt 0 ] || { fail=1; failed_names="$failed_names (vm)"; }
fi
echo "vm: prepare $((t_built - t_start))s, VM $((t_end - t_built))s, console in $console"
[ -n "$failed_names" ] && echo "failed:$failed_names"
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
