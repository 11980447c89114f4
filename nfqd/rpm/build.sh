#!/bin/sh
# `make rpm`: a binary and a source RPM of this tree in build/rpm/, built by rpmbuild
# from nfqd/rpm/ipsecguard.spec and a source archive of the tree's files (what git
# tracks, as they are in the work tree; without git, every file but build/).  Where
# the build system's RPM database does not know the build dependencies (Debian's
# rpmbuild, tests/deps.list), they are not checked: pkg-config finds the libraries.
set -eu
cd "$(dirname "$0")/../.."
# a package of its own flags: nothing from a calling make (SANITIZE=1, WERROR=1...)
unset MAKEFLAGS MFLAGS MAKELEVEL SANITIZE
top=$(pwd)
B=$top/build/rpm
SPEC=nfqd/rpm/ipsecguard.spec
VERSION=$(sed -n 's/^#define IGD_VERSION "\(.*\)"/\1/p' nfqd/daemon/opts.h)
SPEC_VERSION=$(sed -n 's/^Version:[[:space:]]*//p' "$SPEC")
[ "$VERSION" = "$SPEC_VERSION" ] || {
	echo "rpm: $SPEC says Version $SPEC_VERSION, nfqd/daemon/opts.h says $VERSION" >&2
	exit 1
}
command -v rpmbuild >/dev/null || { echo "rpm: rpmbuild missing (make deps installs it)" >&2; exit 1; }
rm -rf "$B"
mkdir -p "$B/SOURCES" "$B/SPECS"
N=ipsecguard-$VERSION
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard -- . ':!:build' | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\n" "$f"; done' sh
else
	find . -path ./build -prune -o -type f -print | sed 's|^\./||'
fi | LC_ALL=C sort >"$B/files"
# the spec inside the archive too: `rpmbuild -ta` builds from it alone
tar -czf "$B/SOURCES/$N.tar.gz" --owner=0 --group=0 --numeric-owner --mtime=@0 \
	--transform "s|^|$N/|" -T "$B/files"
cp "$SPEC" "$B/SPECS/"
nodeps=
rpm -q --whatprovides 'pkgconfig(libnftnl)' >/dev/null 2>&1 || nodeps=--nodeps
# Debian's rpm: its brp-compress is a bash script that says #!/bin/sh (dash there), and
# nothing adds the debuginfo package that strips the binaries; redhat-rpm-config does
# it on the RHEL family the way these macros do
if ! rpm --eval '%{?_enable_debug_packages}' | grep -q 1; then
	cat >"$B/macros" <<-'MACROS'
	%__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}
	%_enable_debug_packages 1
	%install %{?_enable_debug_packages:%{?buildsubdir:%{debug_package}}}\
	%%install\
	%{nil}
	MACROS
	set -- --load "$B/macros"
else
	set --
fi
rpmbuild -ba $nodeps "$@" --define "_topdir $B" --define "_tmppath $B/tmp" \
	"$B/SPECS/ipsecguard.spec" >"$B/rpmbuild.log" 2>&1 || {
	tail -n 30 "$B/rpmbuild.log" >&2
	echo "rpm: rpmbuild failed (all of it in $B/rpmbuild.log)" >&2
	exit 1
}
for f in "$B"/RPMS/*/"$N"-*.rpm "$B"/SRPMS/"$N"-*.src.rpm; do
	[ -e "$f" ] && echo "rpm: ${f#$top/}"
done
