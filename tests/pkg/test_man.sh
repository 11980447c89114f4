#!/bin/sh
# The man pages: clean under groff -ww and man --warnings, every option of the daemon
# and of each ipsecguard command documented, every option the configuration file
# takes named in ipsecguardd.conf(5), its sample file valid, and --help pointing at
# them.
. "$(dirname "$0")/../check.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
D=build/ipsecguardd C=build/ipsecguard
[ -x "$D" ] && [ -x "$C" ] || fail "build/ipsecguardd and build/ipsecguard missing (make)"
TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT

for m in nfqd/man/ipsecguardd.8 nfqd/man/ipsecguard.8 nfqd/man/ipsecguardd.conf.5; do
	groff -ww -z -man "$m" >"$TMPD/groff" 2>&1
	check "groff -ww: $m is clean$(head -c 200 "$TMPD/groff")" [ ! -s "$TMPD/groff" ]
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$m" >"$TMPD/out" 2>"$TMPD/man"
	check "man --warnings: $m is clean$(head -c 200 "$TMPD/man")" [ ! -s "$TMPD/man" ]
	check "$m renders" [ "$(wc -l <"$TMPD/out")" -gt 40 ]
done
# the options as the man page source spells them: \-\-name
documented() { grep -q -- "\\\\-\\\\-$(echo "$2" | sed 's/-/\\\\-/g')\\b" "$1"; }
opts() { grep -o -- '--[a-z][a-z0-9-]*' | sort -u; }

"$D" --help | opts >"$TMPD/dopts"
check "the daemon has options to check ($(wc -l <"$TMPD/dopts"))" [ "$(wc -l <"$TMPD/dopts")" -ge 25 ]
# every long option the daemon accepts, not only those --help lists
grep -o '{ "[a-z][a-z0-9-]*", [a-z_]*_argument' nfqd/daemon/opts.c |
	sed 's/{ "\([^"]*\)".*/--\1/' | sort -u >"$TMPD/all"
while read -r o; do
	documented nfqd/man/ipsecguardd.8 "${o#--}" || echo "$o" >>"$TMPD/undoc"
done <"$TMPD/all"
check "ipsecguardd(8) documents every daemon option$(cat "$TMPD/undoc" 2>/dev/null | tr '\n' ' ')" \
	[ ! -s "$TMPD/undoc" ]
for cmd in lookup spd monitor stats fixes doctor trace remembered; do
	"$C" help "$cmd" | opts | grep -v -- '--help' >"$TMPD/copts"
	: >"$TMPD/cundoc"
	while read -r o; do
		documented nfqd/man/ipsecguard.8 "${o#--}" || echo "$o" >>"$TMPD/cundoc"
	done <"$TMPD/copts"
	check "ipsecguard(8) documents $cmd and its options$(tr '\n' ' ' <"$TMPD/cundoc")" \
		sh -c "[ ! -s '$TMPD/cundoc' ] && grep -q '^\\.SS.*$cmd' nfqd/man/ipsecguard.8"
done
# ipsecguardd.conf(5): every option the file may hold, as an item "name = ..."
: >"$TMPD/fundoc"
sed 's/\\f[BIRP]//g; s/\\%//g; s/\\-/-/g; s/^\.BI* *"*//' nfqd/man/ipsecguardd.conf.5 \
	>"$TMPD/conf5.txt"
grep -v -e '--help' -e '--version' -e '--config' -e '--check-config' "$TMPD/all" |
while read -r o; do
	grep -q "^${o#--} =" "$TMPD/conf5.txt" || echo "$o" >>"$TMPD/fundoc"
done
check "ipsecguardd.conf(5) names every option a file may hold$(tr '\n' ' ' <"$TMPD/fundoc")" \
	[ ! -s "$TMPD/fundoc" ]
# the sample in ipsecguardd.conf(5)'s EXAMPLES, cut out and checked
sed -n '/^\.SH EXAMPLES/,/^\.SH /p' nfqd/man/ipsecguardd.conf.5 |
	awk '/^\.fi/ && on { exit } on { print } /^\.nf/ { on = 1 }' |
	sed 's/\\-/-/g; s/\\%//g; s/\\e/\\/g; s/^\\&//' \
	>"$TMPD/sample.conf"
"$D" --config "$TMPD/sample.conf" --check-config >"$TMPD/cc" 2>&1
check "the sample configuration in ipsecguardd.conf(5) is valid ($(cat "$TMPD/cc"))" [ $? = 0 ]
"$D" --config nfqd/ipsecguardd.conf --check-config >/dev/null 2>&1
check "the shipped ipsecguardd.conf is valid" [ $? = 0 ]
check "--help points at the man pages" \
	sh -c "'$D' --help | grep -q 'ipsecguardd(8)' && '$D' --help | grep -q 'ipsecguardd.conf(5)'"
exit 0
