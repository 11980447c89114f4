#!/bin/sh
# The fleet's alerting rules shipped beside the dashboard (nfqd/grafana/ipsecguard-
# alerts.yml): promtool accepts them, they fire on the series a gateway in trouble
# writes and stay quiet on healthy ones (tests/pkg/alerts_test.yml, promtool's own
# rule tests), and every metric they name is one ipsecguardd writes.
. "$(dirname "$0")/../check.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
command -v promtool >/dev/null || fail "promtool missing (make deps installs prometheus)"
R=nfqd/grafana/ipsecguard-alerts.yml
TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT

promtool check rules "$R" >"$TMPD/check" 2>&1
rc=$?
sed 's/^/# /' "$TMPD/check"
check "promtool check rules: the file is valid" [ $rc = 0 ]
check "six alerts" grep -q 'SUCCESS: 6 rules found' "$TMPD/check"
promtool test rules tests/pkg/alerts_test.yml >"$TMPD/test" 2>&1
rc=$?
sed 's/^/# /' "$TMPD/test"
check "promtool test rules: each alert fires on a gateway in trouble, not on a healthy one" \
	[ $rc = 0 ]
for m in $(grep -o 'ipsecguard_[a-z_]*' "$R" | sort -u); do
	check "the daemon writes $m" \
		grep -q "\"$m\"" nfqd/daemon/metrics.c kmod-free/metrics/kernel_metrics.c
done
exit 0
