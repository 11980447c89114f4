#!/bin/sh
# `make bench`: every benchmark, one after the other.  Figures are printed; nothing
# here passes or fails on timing.
cd "$(dirname "$0")/../.." || exit 2
for b in build/tests/bench_*; do
	[ -x "$b" ] && { echo "== $b"; "$b"; }
done
for s in tests/bench/bench_*.sh; do
	[ -f "$s" ] && { echo "== $s"; sh "$s"; }
done
exit 0
