# The assertions of every test script: the namespace suites (tests/netns, tests/xt)
# and the scenarios of the VM lab (copied into its image; busybox sh).  Sourced.
#
# One meaning everywhere: a check that fails ends the script at once with exit 1
# (what follows builds on what it asserted); skip ends it with exit 77.  The runner
# counts the script, not its checks.  note() prints each line; a suite may redefine
# it after sourcing (the VM lab stamps the time since boot).

note() { echo "$*"; }
ok() { note "ok - $*"; }
fail() { note "not ok - $*"; exit 1; }
skip() { note "skip: $*"; exit 77; }
# check "description" command...: the command must succeed.
check() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else fail "$_d"; fi
}
# expect_eq "description" got want
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1 ($2)"; else fail "$1: got '$2', want '$3'"; fi
}
# expect_ge "description" got min
expect_ge() {
	if [ "$2" -ge "$3" ] 2>/dev/null; then ok "$1 ($2 >= $3)"; else fail "$1: got '$2', want >= $3"; fi
}
# poll SECONDS command...: runs the command every 0.1 s until it succeeds (0) or
# SECONDS have passed (1).  The one way the tests wait: for a condition, not a time.
poll() {
	_end=$(( $(date +%s) + $1 ))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.1
	done
}
# wait_for SECONDS "what" command...: poll, and a failed check naming what it waited
# for when the time is up.
wait_for() {
	_wt=$1 _ww=$2
	shift 2
	poll "$_wt" "$@" || fail "waited ${_wt}s for $_ww"
}
