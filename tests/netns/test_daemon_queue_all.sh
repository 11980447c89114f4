#!/bin/sh
# --queue-scope all: every packet of a 200 MB TCP transfer goes through the queue (with GSO
# aggregates) and each gets its verdict; the transfer is byte-exact and nothing is
# dropped by the kernel.
. "$(dirname "$0")/lib.sh"
need_root
need_bin ipsecguardd
lab_up
daemon_start --queue 9 --queue-scope all --no-log-pass

check "200 MB TCP transfer through the queue is byte-exact" xfer 192.168.1.10 5003 200000000
set -- $(queue_kstats 9)
check "no packet waits in queue 9" [ "$1" = 0 ]
check "kernel queue drops: $2" [ "$2" = 0 ]
check "kernel user drops: $3" [ "$3" = 0 ]
check "daemon exits 0 on SIGTERM" daemon_stop
last=$(python3 "$TOP/tests/netns/checklog.py" "$DAEMON_LOG" last stats)
info "stats: $last"
check "thousands of packets were queued and each answered" python3 -c "
import json,sys; s=json.loads(sys.argv[1]); q=s['queues'][0]
assert q['packets'] > 3000, q
assert q['packets'] == q['accepted'] + q['dropped'] and q['dropped'] == 0, q
assert q['verdict_batches'] >= 1, q" "$last"
