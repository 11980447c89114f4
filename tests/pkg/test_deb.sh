#!/bin/sh
# `make deb`: an installable package of the tree — files where Debian expects them,
# dependencies from the binaries, conffiles, lintian without errors or warnings — and
# what it holds works: unpacked (not installed: the host stays as it is), the daemon
# and the CLI run, the shipped configuration passes --check-config, the unit names
# the installed paths.
. "$(dirname "$0")/../check.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
for p in dpkg-deb dpkg-shlibdeps lintian; do
	command -v $p >/dev/null || fail "$p missing (make deps installs it)"
done
TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT

make --no-print-directory deb >"$TMPD/build" 2>&1
check "make deb builds ($(tail -n 1 "$TMPD/build"))" [ $? = 0 ]
DEB=$(ls build/deb/ipsecguard_*.deb | head -n 1)
check "no warning from the build" sh -c "! grep -qi warning '$TMPD/build'"
dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' >"$TMPD/files"
for f in /usr/sbin/ipsecguardd /usr/bin/ipsecguard \
	 "/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/xtables/libxt_IPSECGUARD.so" \
	 /lib/systemd/system/ipsecguardd.service /etc/ipsecguard/ipsecguardd.conf \
	 /etc/logrotate.d/ipsecguardd /usr/share/man/man8/ipsecguardd.8.gz \
	 /usr/share/man/man8/ipsecguard.8.gz /usr/share/man/man5/ipsecguardd.conf.5.gz \
	 /usr/share/ipsecguard/rules/ipsecguard.nft /usr/share/ipsecguard/rules/iptables-nft.rules \
	 /usr/share/ipsecguard/grafana/ipsecguard-dashboard.json \
	 /usr/share/ipsecguard/grafana/ipsecguard-alerts.yml \
	 /usr/share/doc/ipsecguard/copyright /usr/share/doc/ipsecguard/changelog.Debian.gz; do
	check "dpkg-deb -c: $f" grep -qx "$f" "$TMPD/files"
done
dpkg-deb -f "$DEB" Depends >"$TMPD/depends"
check "Depends from the binaries: $(cat "$TMPD/depends")" \
	sh -c "grep -q 'libnetfilter-queue1' '$TMPD/depends' && grep -q 'libnftnl11' '$TMPD/depends' &&
	       grep -q 'libmnl0' '$TMPD/depends' && grep -q 'libxtables12' '$TMPD/depends' &&
	       grep -q 'libc6' '$TMPD/depends'"
dpkg-deb -I "$DEB" conffiles >"$TMPD/conffiles"
check "conffiles: the configuration and the logrotate snippet" \
	sh -c "grep -qx /etc/ipsecguard/ipsecguardd.conf '$TMPD/conffiles' &&
	       grep -qx /etc/logrotate.d/ipsecguardd '$TMPD/conffiles'"
check "every file owned by root" sh -c "! dpkg-deb -c '$DEB' | awk '{ print \$2 }' | grep -v '^root/root\$'"
lintian --fail-on error,warning "$DEB" >"$TMPD/lintian" 2>&1
rc=$?
sed -n '/^[EW]:/p' "$TMPD/lintian" | sed 's/^/# /'
check "lintian: no error, no warning" [ $rc = 0 ]

dpkg-deb -x "$DEB" "$TMPD/root"
R=$TMPD/root
check "the unpacked daemon runs (--version)" sh -c "\"$R/usr/sbin/ipsecguardd\" --version >/dev/null"
"$R/usr/sbin/ipsecguardd" --config "$R/etc/ipsecguard/ipsecguardd.conf" --check-config \
	>"$TMPD/cc" 2>&1
check "the shipped configuration is valid ($(cat "$TMPD/cc"))" [ $? = 0 ]
check "the unpacked CLI runs" sh -c "\"$R/usr/bin/ipsecguard\" help doctor >/dev/null"
check "the unit starts the installed daemon" \
	grep -q '^ExecStart=/usr/sbin/ipsecguardd$' "$R/lib/systemd/system/ipsecguardd.service"
check "the logrotate snippet sends SIGHUP" grep -q 'signal=HUP' "$R/etc/logrotate.d/ipsecguardd"
check "the dashboard is JSON" python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$R/usr/share/ipsecguard/grafana/ipsecguard-dashboard.json"
exit 0
