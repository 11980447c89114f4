#!/bin/sh
# Runs every libFuzzer harness built as build/fuzz/fuzz_* for SECONDS each (the
# `make fuzz` target; default 60), inputs up to 2048 bytes.
#   corpus     build/fuzz/corpus/NAME   kept between runs, grows
#   seeds      build/fuzz/seeds/NAME    rewritten each run by the harness itself
#                                       (IGD_FUZZ_SEEDS, see tests/fuzz/fuzz_pkt.c)
#   crashes    build/fuzz/artifacts/NAME-crash-...   logs in build/fuzz/logs/
# Exit 0 when every harness ran clean, 1 when one crashed, leaked or timed out.
# Usage: tests/fuzz/run.sh [SECONDS]
cd "$(dirname "$0")/../.." || exit 2
secs=${1:-60}
case $secs in
''|*[!0-9]*|0) echo "usage: $0 SECONDS (a positive integer)" >&2; exit 2 ;;
esac
out=build/fuzz
mkdir -p $out/corpus $out/seeds $out/artifacts $out/logs
ran=0 failed=""

fuzz_run_one() {
	bin=$1 name=$(basename "$1")
	log=$out/logs/$name.log
	rm -rf "$out/seeds/$name"
	mkdir -p "$out/corpus/$name" "$out/seeds/$name"
	IGD_FUZZ_SEEDS=$out/seeds/$name "$bin" -max_len=2048 -max_total_time="$secs" \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$out/artifacts/$name-" \
		"$out/corpus/$name" "$out/seeds/$name" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "fuzz: $name: ok, ${runs:-?} runs in ${secs}s"
		return 0
	fi
	echo "fuzz: $name: FAILED (exit $rc), log $log:"
	grep -E 'ERROR|SUMMARY|fuzz_pkt:|Test unit written' "$log" | head -n 10 | sed 's/^/  /'
	return 1
}

for bin in $out/fuzz_*; do
	case $bin in *.*) continue ;; esac
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	ran=$((ran + 1))
	fuzz_run_one "$bin" || failed="$failed $(basename "$bin")"
done
if [ $ran -eq 0 ]; then
	echo "fuzz: no harness in $out (make build/fuzz/fuzz_pkt)"
	exit 0
fi
[ -z "$failed" ] || { echo "fuzz: failed:$failed"; exit 1; }
exit 0
