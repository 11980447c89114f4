#!/bin/sh
# `make deb`: an installable Debian package of this tree, build/deb/ipsecguard_V-1_ARCH.deb.
# The tree is installed into a staging root (`make install` with Debian's paths: /usr,
# /etc, /lib/systemd/system, the multiarch xtables directory), binaries stripped, man
# pages and the changelog compressed, the dependencies taken from the binaries with
# dpkg-shlibdeps, /etc files marked as conffiles, and the package built with
# dpkg-deb owned by root.  Needs dpkg-dev (tests/deps.list).
set -eu
cd "$(dirname "$0")/../.."
# a package of its own flags: nothing from a calling make (SANITIZE=1, WERROR=1...)
unset MAKEFLAGS MFLAGS MAKELEVEL SANITIZE
top=$(pwd)
B=$top/build/deb
ROOT=$B/src/debian/ipsecguard	# where dpkg-shlibdeps expects a package's files
VERSION=$(sed -n 's/^#define IGD_VERSION "\(.*\)"/\1/p' nfqd/daemon/opts.h)
ARCH=$(dpkg --print-architecture)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
DEB=$B/ipsecguard_${VERSION}-1_${ARCH}.deb
rm -rf "$B/src" "$B"/*.deb
mkdir -p "$ROOT"
# Debian's hardening flags (format, fortify, stack protector, relro, bindnow)
set -- CFLAGS="$(dpkg-buildflags --get CFLAGS)" CPPFLAGS="$(dpkg-buildflags --get CPPFLAGS)" \
	LDFLAGS="$(dpkg-buildflags --get LDFLAGS)"
# objects of their own: the tree's build/ (tests, sanitizers) stays as it is
set -- "$@" B=build/deb-objects
make --no-print-directory all "$@" >/dev/null
make --no-print-directory install "$@" DESTDIR="$ROOT" PREFIX=/usr SYSCONFDIR=/etc \
	UNITDIR=/lib/systemd/system XTLIBDIR=/usr/lib/$MA/xtables >/dev/null
bins="$ROOT/usr/sbin/ipsecguardd $ROOT/usr/bin/ipsecguard $(ls "$ROOT"/usr/lib/$MA/xtables/*.so)"
# shellcheck disable=SC2086
strip --strip-unneeded --remove-section=.comment --remove-section=.note $bins
gzip -9n "$ROOT"/usr/share/man/man*/*
install -d "$ROOT/usr/share/doc/ipsecguard"
install -m 0644 nfqd/deb/copyright "$ROOT/usr/share/doc/ipsecguard/copyright"
gzip -9n <nfqd/deb/changelog >"$ROOT/usr/share/doc/ipsecguard/changelog.Debian.gz"
# built from the tree, not uploaded to Debian: no ITP bug to close
install -d "$ROOT/usr/share/lintian/overrides"
{
	echo "ipsecguard: initial-upload-closes-no-bugs"
	# the nft rule set runs as `nft -f` by its #! line
	echo "ipsecguard: unusual-interpreter /usr/sbin/nft [usr/share/ipsecguard/rules/ipsecguard.nft]"
} >"$ROOT/usr/share/lintian/overrides/ipsecguard"
chmod 0644 "$ROOT/usr/share/doc/ipsecguard/changelog.Debian.gz"

# the libraries the binaries link, as Debian names their packages
mkdir -p "$B/src/debian" "$ROOT/DEBIAN"
cp nfqd/deb/control "$B/src/debian/control"
# shellcheck disable=SC2086
deps=$(cd "$B/src" && dpkg-shlibdeps -O $(echo "$bins" | sed "s|$B/src/||g") |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$deps" ] || { echo "deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

size=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
{
	echo "Package: ipsecguard"
	echo "Version: ${VERSION}-1"
	echo "Architecture: $ARCH"
	sed -n 's/^\(Maintainer\|Section\|Priority\): /\1: /p' nfqd/deb/control | head -3
	echo "Installed-Size: $size"
	echo "Depends: $deps"
	sed -n '/^Package:/,$p' nfqd/deb/control | sed '/^Package:/d; /^Architecture:/d; /^Depends:/d'
} >"$ROOT/DEBIAN/control"
printf '/etc/ipsecguard/ipsecguardd.conf\n/etc/logrotate.d/ipsecguardd\n' >"$ROOT/DEBIAN/conffiles"
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | sort |
	xargs md5sum >DEBIAN/md5sums)
chmod 0644 "$ROOT/DEBIAN/control" "$ROOT/DEBIAN/conffiles" "$ROOT/DEBIAN/md5sums"
find "$ROOT" -type d -exec chmod 0755 {} +
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$DEB" >/dev/null
echo "deb: $DEB"
