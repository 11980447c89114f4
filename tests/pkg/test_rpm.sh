#!/bin/sh
# `make rpm`: a binary and a source RPM of the tree for the RHEL family — files where
# the spec promises them, dependencies from the binaries' sonames, configuration as
# %config(noreplace), the systemd scriptlets, rpmlint without errors — and what the
# package holds works: unpacked with rpm2cpio | cpio (not installed: the host stays as
# it is), the daemon and the CLI run, the shipped configuration passes --check-config,
# the unit names the installed paths, the source RPM builds the same package again.
. "$(dirname "$0")/../check.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
for p in rpmbuild rpm2cpio cpio rpmlint; do
	command -v $p >/dev/null || fail "$p missing (make deps installs it)"
done
TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT

make --no-print-directory rpm >"$TMPD/build" 2>&1
check "make rpm builds ($(tr '\n' ' ' <"$TMPD/build"))" [ $? = 0 ]
RPM=$(ls build/rpm/RPMS/*/ipsecguard-[0-9]*.rpm | head -n 1)
SRPM=$(ls build/rpm/SRPMS/ipsecguard-*.src.rpm | head -n 1)
check "a binary RPM ($RPM)" [ -f "$RPM" ]
check "a source RPM ($SRPM)" [ -f "$SRPM" ]
# (rpmbuild's own warnings, such as a host name it cannot canonicalise, are not ours)
check "no warning from the compiler" \
	sh -c "! grep -E '\\.[ch]:[0-9]+(:[0-9]+)?: warning:' build/rpm/rpmbuild.log"
XT=$(pkg-config --variable=xtlibdir xtables)
rpm -qpl "$RPM" >"$TMPD/files"
for f in /usr/sbin/ipsecguardd /usr/bin/ipsecguard "$XT/libxt_IPSECGUARD.so" \
	 /usr/lib/systemd/system/ipsecguardd.service /etc/ipsecguard/ipsecguardd.conf \
	 /etc/logrotate.d/ipsecguard /var/log/ipsecguard /usr/share/man/man8/ipsecguardd.8.gz \
	 /usr/share/man/man8/ipsecguard.8.gz /usr/share/man/man5/ipsecguardd.conf.5.gz \
	 /usr/share/ipsecguard/rules/ipsecguard.nft /usr/share/ipsecguard/rules/iptables-nft.rules \
	 /usr/share/ipsecguard/rules/iptables-legacy.rules \
	 /usr/share/ipsecguard/grafana/ipsecguard-dashboard.json \
	 /usr/share/ipsecguard/grafana/ipsecguard-alerts.yml; do
	check "rpm -qpl: $f" grep -qx "$f" "$TMPD/files"
done
check "the licence and the README as %license and %doc" \
	sh -c "grep -q '^/usr/share/licenses/ipsecguard[^/]*/LICENSE\$' '$TMPD/files' &&
	       grep -q '^/usr/share/doc/ipsecguard[^/]*/README.md\$' '$TMPD/files'"
rpm -qp --requires "$RPM" >"$TMPD/requires"
for lib in libnetfilter_queue.so.1 libnftnl.so.11 libmnl.so.0 libxtables.so.12 libc.so.6; do
	check "Requires from the binaries: $lib" grep -q "^$lib()" "$TMPD/requires"
done
check "Requires: logrotate" grep -qx logrotate "$TMPD/requires"
rpm -qp --configfiles "$RPM" >"$TMPD/config"
check "%config: the configuration and the logrotate snippet" \
	sh -c "grep -qx /etc/ipsecguard/ipsecguardd.conf '$TMPD/config' &&
	       grep -qx /etc/logrotate.d/ipsecguard '$TMPD/config'"
# %config(noreplace) is the file flag RPMFILE_NOREPLACE (16) beside RPMFILE_CONFIG (1)
rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS}\n]' "$RPM" >"$TMPD/flags"
for f in /etc/ipsecguard/ipsecguardd.conf /etc/logrotate.d/ipsecguard; do
	fl=$(awk -v f="$f" '$1 == f { print $2 }' "$TMPD/flags")
	check "$f is %config(noreplace) (flags $fl)" [ $(( fl & 17 )) = 17 ]
done
check "every file owned by root but the log directory" \
	sh -c "rpm -qp --qf '[%{FILENAMES} %{FILEUSERNAME}:%{FILEGROUPNAME}\n]' '$RPM' |
	       grep -v ' root:root\$' | grep -qvx '/var/log/ipsecguard nobody:root' && exit 1; exit 0"
rpm -qp --scripts "$RPM" >"$TMPD/scripts"
check "post: systemctl preset on first installation" grep -q 'systemctl --no-reload preset ipsecguardd.service' "$TMPD/scripts"
check "preun: disable --now on removal" grep -q 'systemctl --no-reload disable --now ipsecguardd.service' "$TMPD/scripts"
check "postun: try-restart on upgrade" grep -q 'systemctl try-restart ipsecguardd.service' "$TMPD/scripts"
# the scriptlets as rpm runs them: $1 is the count of the package's installs after the step
for step in post:postinstall preun:preuninstall postun:postuninstall; do
	awk -v s="${step#*:}" '
		/^[a-z]+ scriptlet \(using / { on = ($1 == s) ; next }
		on { print }' "$TMPD/scripts" >"$TMPD/${step%:*}.sh"
	check "the ${step%:*} scriptlet is there and parses" \
		sh -c "grep -q systemctl '$TMPD/${step%:*}.sh' && sh -n '$TMPD/${step%:*}.sh'"
done
mkdir -p "$TMPD/bin"
printf '#!/bin/sh\necho "$*" >>"%s"\n' "$TMPD/systemctl.calls" >"$TMPD/bin/systemctl"
chmod +x "$TMPD/bin/systemctl"
for step in "post 1" "post 2" "preun 1" "preun 0" "postun 1" "postun 0"; do
	set -- $step
	sed "s|/usr/bin/systemctl|$TMPD/bin/systemctl|g" "$TMPD/$1.sh" | sh -s "$2"
	echo "$1 $2: $(tail -n 1 "$TMPD/systemctl.calls" 2>/dev/null)" >>"$TMPD/calls"
	echo "--" >>"$TMPD/systemctl.calls"
done
sed 's/^/# /' "$TMPD/calls"
check "preset on install only, disable on removal only, restart on upgrade only" \
	sh -c "grep -qx 'post 1: --no-reload preset ipsecguardd.service' '$TMPD/calls' &&
	       grep -qx 'post 2: --' '$TMPD/calls' &&
	       grep -qx 'preun 1: --' '$TMPD/calls' &&
	       grep -qx 'preun 0: --no-reload disable --now ipsecguardd.service' '$TMPD/calls' &&
	       grep -qx 'postun 1: try-restart ipsecguardd.service' '$TMPD/calls' &&
	       grep -qx 'postun 0: daemon-reload' '$TMPD/calls'"

rpmlint -c nfqd/rpm/rpmlint.toml "$RPM" "$SRPM" >"$TMPD/rpmlint" 2>&1
rc=$?
grep ': [EW]: ' "$TMPD/rpmlint" | sed 's/^/# /'
check "rpmlint: no error ($(tail -n 1 "$TMPD/rpmlint"))" \
	sh -c "[ $rc = 0 ] && ! grep -q ': E: ' '$TMPD/rpmlint'"

R=$TMPD/root
mkdir -p "$R"
(cd "$R" && rpm2cpio "$TOP/$RPM" | cpio -idm --quiet)
check "rpm2cpio | cpio unpacks it" [ -x "$R/usr/sbin/ipsecguardd" ]
(cd "$R" && find . -mindepth 1 | sed 's|^\.||' | sort) >"$TMPD/unpacked"
(cd "$R" && find . -mindepth 1 ! -type d | sed 's|^\.||' | sort) >"$TMPD/unpacked-files"
sort "$TMPD/files" >"$TMPD/promised"
check "every path the header lists is in the archive" \
	sh -c "[ -z \"\$(comm -23 '$TMPD/promised' '$TMPD/unpacked')\" ]"
check "every file of the archive is listed in the header" \
	sh -c "[ -z \"\$(comm -13 '$TMPD/promised' '$TMPD/unpacked-files')\" ]"
check "the binaries stripped (debug information in ipsecguard-debuginfo)" \
	sh -c "for b in '$R/usr/sbin/ipsecguardd' '$R/usr/bin/ipsecguard' '$R$XT/libxt_IPSECGUARD.so'; do
	       readelf -S \"\$b\" | grep -q -e '\\.symtab' -e '\\.debug_info' && exit 1; done; exit 0"
check "the unpacked daemon runs (--version)" sh -c "\"$R/usr/sbin/ipsecguardd\" --version >/dev/null"
"$R/usr/sbin/ipsecguardd" --config "$R/etc/ipsecguard/ipsecguardd.conf" --check-config \
	>"$TMPD/cc" 2>&1
check "the shipped configuration is valid ($(cat "$TMPD/cc"))" [ $? = 0 ]
check "the unpacked CLI runs" sh -c "\"$R/usr/bin/ipsecguard\" help doctor >/dev/null"
check "the unpacked plugin names its target" sh -c "strings '$R$XT/libxt_IPSECGUARD.so' | grep -q IPSECGUARD"
check "the unit starts the installed daemon" \
	grep -q '^ExecStart=/usr/sbin/ipsecguardd$' "$R/usr/lib/systemd/system/ipsecguardd.service"
check "the logrotate snippet sends SIGHUP and rotates as the log's owner" \
	sh -c "grep -q 'signal=HUP' '$R/etc/logrotate.d/ipsecguard' && grep -q 'su nobody root' '$R/etc/logrotate.d/ipsecguard'"

# the source RPM: the spec and the tree's archive, and it builds
rpm -qpl "$SRPM" >"$TMPD/sfiles"
check "the source RPM holds the spec and the archive" \
	sh -c "grep -qx ipsecguard.spec '$TMPD/sfiles' && grep -q '^ipsecguard-.*\.tar\.gz\$' '$TMPD/sfiles'"
mkdir -p "$TMPD/s"
(cd "$TMPD/s" && rpm2cpio "$TOP/$SRPM" | cpio -idm --quiet)
tar -tzf "$TMPD"/s/ipsecguard-*.tar.gz >"$TMPD/tarfiles"
check "the archive has the tree (Makefile, the spec, the daemon's sources)" \
	sh -c "grep -q '^ipsecguard-[^/]*/Makefile\$' '$TMPD/tarfiles' &&
	       grep -q '^ipsecguard-[^/]*/nfqd/rpm/ipsecguard.spec\$' '$TMPD/tarfiles' &&
	       grep -q '^ipsecguard-[^/]*/nfqd/daemon/main.c\$' '$TMPD/tarfiles' &&
	       ! grep -q '^ipsecguard-[^/]*/build/' '$TMPD/tarfiles'"
exit 0
