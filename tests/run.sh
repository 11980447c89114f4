#!/bin/sh
# The test runner behind `make check`.  Runs, in order:
#   unit   build/tests/test_*          programs printing TAP lines ("ok" / "not ok");
#                                        a program passes when all its lines are ok
#                                        and it exits 0
#   suites tests/{xt,netns,pkg,fuzz}/test_*.sh   exit 0 pass, 77 skipped, anything else
#                                        fail (a script stops at its first failed check)
# Logs go to build/test-logs/.  Ends with the assertions of the unit programs on one
# line, then the tests (unit programs and scripts, one count each) on the last:
# "N passed, N failed[, N skipped]".
# Usage: tests/run.sh [unit|xt|netns|pkg|fuzz ...] [-k PATTERN]
cd "$(dirname "$0")/.." || exit 2
suites="" pattern=""
while [ $# -gt 0 ]; do
	case $1 in
	-k) pattern=$2; shift ;;
	*) suites="$suites $1" ;;
	esac
	shift
done
[ -n "$suites" ] || suites="unit xt netns pkg fuzz"
logs=build/test-logs
mkdir -p $logs
pass=0 fail=0 skip=0 failed_names=""
apass=0 afail=0		# assertions of the unit programs

note_fail() { fail=$((fail + 1)); failed_names="$failed_names $1"; }

run_unit() {
	for t in build/tests/test_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		case $name in *"$pattern"*) ;; *) continue ;; esac
		"$t" >"$logs/$name.log" 2>&1
		rc=$?
		p=$(grep -c '^ok ' "$logs/$name.log")
		f=$(grep -c '^not ok ' "$logs/$name.log")
		apass=$((apass + p)); afail=$((afail + f))
		if [ "$f" -gt 0 ] || [ $rc -ne 0 ] || [ "$p" -eq 0 ]; then
			note_fail "unit/$name"
			echo "FAIL  unit/$name: $p ok, $f not ok, exit $rc"
			grep -A3 '^not ok ' "$logs/$name.log" | head -20 | sed 's/^/      /'
		else
			pass=$((pass + 1))
			echo "PASS  unit/$name: $p checks"
		fi
	done
}

run_scripts() {
	suite=$1
	for t in tests/$suite/test_*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		case $name in *"$pattern"*) ;; *) continue ;; esac
		start=$(date +%s)
		timeout -k 10 600 sh "$t" >"$logs/$suite-$name.log" 2>&1
		rc=$?
		secs=$(( $(date +%s) - start ))
		case $rc in
		0) pass=$((pass + 1)); echo "PASS  $suite/$name (${secs}s)" ;;
		77) skip=$((skip + 1)); echo "SKIP  $suite/$name: $(tail -n 1 "$logs/$suite-$name.log")" ;;
		*) note_fail "$suite/$name"
		   echo "FAIL  $suite/$name (exit $rc, ${secs}s); last lines of $logs/$suite-$name.log:"
		   echo "      first failed check: $(grep -m1 'not ok' "$logs/$suite-$name.log")"
		   tail -n 15 "$logs/$suite-$name.log" | sed 's/^/      /' ;;
		esac
	done
}

for s in $suites; do
	case $s in
	unit) run_unit ;;
	*) run_scripts "$s" ;;
	esac
done
[ -n "$failed_names" ] && echo "failed:$failed_names"
[ $((apass + afail)) -gt 0 ] && echo "unit assertions: $apass passed, $afail failed"
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
