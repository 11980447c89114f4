#!/bin/sh
# Bad options exit 2 with a message naming the problem; --help is a summary that
# points at the man pages.
. "$(dirname "$0")/lib.sh"
need_bin ipsecguardd
D=$BUILD/ipsecguardd

bad_opt() {	# bad_opt "expected text" args...
	want=$1; shift
	out=$("$D" "$@" 2>&1); rc=$?
	[ $rc -eq 2 ] || { echo "exit $rc for $*: $out"; return 1; }
	case $out in *"$want"*) return 0 ;; esac
	echo "message for $* lacks '$want': $out"; return 1
}

check "unknown mode" bad_opt "--mode bogus" --mode bogus
check "queue out of range" bad_opt "--queue 70000" --queue 70000
check "reversed queue range" bad_opt "--queue 9-3" --queue 9-3
check "too many queues" bad_opt "at most 16" --queue 0-40
check "mss below the minimum" bad_opt "--mss 10" --mss 10
check "mss not a number" bad_opt "--mss 14x0" --mss 14x0
check "negative queue length" bad_opt "--queue-maxlen -1" --queue-maxlen -1
check "unknown option" bad_opt "unknown option '--frobnicate'" --frobnicate
check "missing argument" bad_opt "missing argument" --queue
check "stray argument" bad_opt "unexpected argument 'extra'" extra
check "bad table name" bad_opt "--table a;b" --table 'a;b'
check "empty log destination" bad_opt "--log ''" --log ''
check "--remember-from: a relative name" bad_opt "--remember-from peer.remembered: expected an absolute file name" --remember-from peer.remembered
check "--remember-from: no such directory" bad_opt "its directory does not exist" --remember-from /nonexistent/dir/x.remembered
check "--remember-from: a directory" bad_opt "is a directory" --remember-from /tmp
out=$("$D" --help); rc=$?
check "--help exits 0" [ $rc -eq 0 ]
for section in Usage: Signals: "Exit status:" --no-hooks --mss --config "ipsecguardd(8)" \
	"ipsecguardd.conf(5)"; do
	case $out in *"$section"*) r=0 ;; *) r=1 ;; esac
	check "--help has $section" [ $r -eq 0 ]
done
check "--version" sh -c "'$D' --version | grep -q '^ipsecguardd [0-9]'"
if [ "$(id -u)" = 0 ]; then
	ip netns add igd-opt-$$
	trap 'ip netns del igd-opt-$$ 2>/dev/null' EXIT
	out=$(ip netns exec igd-opt-$$ "$D" --log /nonexistent/dir/x.log 2>&1); rc=$?
	check "unwritable log file: a bad option, exit 2 naming it (exit $rc)" \
		sh -c "[ $rc -eq 2 ] && echo '$out' | grep -q '/nonexistent/dir/x.log'"
	out=$(ip netns exec igd-opt-$$ "$D" --user nosuchuser-igd 2>&1); rc=$?
	check "unknown --user: exit 2 naming it (exit $rc)" \
		sh -c "[ $rc -eq 2 ] && echo '$out' | grep -q 'nosuchuser-igd'"
	check "neither left a table behind" \
		sh -c "! ip netns exec igd-opt-$$ nft list tables | grep -q ipsecguard"
fi
