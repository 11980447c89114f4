#!/bin/sh
# Fetches strongSwan's IKE daemon and swanctl from Debian (apt-get download; they are
# not installed on the host) and unpacks them into tests/vm/cache/strongswan/root,
# which mkinitramfs.sh copies into the image.  About 1 MB of packages.  Cached:
# nothing is downloaded when the candidate versions are already unpacked.
# `apt-get update` is the caller's job.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir="$here/cache/strongswan"
PKGS="libstrongswan strongswan-libcharon strongswan-charon strongswan-swanctl"
mkdir -p "$dir"

want=""
for p in $PKGS; do
	v=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	[ -n "$v" ] && [ "$v" != "(none)" ] || {
		if [ -f "$dir/root/.unpacked" ]; then
			echo "fetch-strongswan: apt-cache knows no $p; keeping the cached copy" >&2
			exit 0
		fi
		echo "fetch-strongswan: no candidate for $p (run apt-get update)" >&2
		exit 1
	}
	want="$want $p=$v"
done
if [ -f "$dir/root/.unpacked" ] && [ "$(cat "$dir/root/.unpacked")" = "$want" ]; then
	exit 0
fi

rm -rf "$dir/debs" "$dir/root"
mkdir -p "$dir/debs"
chmod 0777 "$dir/debs"  # apt-get download runs as _apt
echo "fetch-strongswan: apt-get download$want" >&2
(cd "$dir/debs" && apt-get download -q $want >&2)
mkdir -p "$dir/root.tmp"
for d in "$dir"/debs/*.deb; do
	dpkg -x "$d" "$dir/root.tmp"
done
# Only what runs: no documentation, templates or AppArmor profiles.
rm -rf "$dir/root.tmp/usr/share" "$dir/root.tmp/etc/apparmor.d"
echo "$want" >"$dir/root.tmp/.unpacked"
mv "$dir/root.tmp" "$dir/root"
rm -rf "$dir/debs"
