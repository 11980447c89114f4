#!/bin/sh
# `make check` suite: a short pass over the fuzz harnesses already built in
# build/fuzz/ (`make check` builds them; this script builds nothing).  The budget,
# 20 seconds unless FUZZ_BUDGET says otherwise, is split among the harnesses.
# Exit 0 clean, 1 when a harness failed, 77 when none is built.
cd "$(dirname "$0")/../.." || exit 2
n=0
for bin in build/fuzz/fuzz_*; do
	case $bin in *.*) continue ;; esac
	[ -f "$bin" ] && [ -x "$bin" ] && n=$((n + 1))
done
if [ $n -eq 0 ]; then
	echo "no fuzz harness built in build/fuzz (needs clang: make build/fuzz/fuzz_pkt)"
	exit 77
fi
budget=${FUZZ_BUDGET:-20}
per=$((budget / n))
[ $per -ge 1 ] || per=1
sh tests/fuzz/run.sh "$per" || exit 1
exit 0
