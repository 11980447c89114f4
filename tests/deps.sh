#!/bin/sh
# Installs the Debian packages of the named groups of tests/deps.list that are
# missing, then checks that every program and pkg-config module those groups
# promise is there.  `make deps` runs it with "build test", `make deps-vm` with "vm".
# Usage: tests/deps.sh GROUP...   Exit 0 when all is there, 1 otherwise.
here=$(cd "$(dirname "$0")" && pwd)
list=$here/deps.list
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
[ $# -gt 0 ] || set -- build test

# The rows of the named groups, comments and blank lines removed.
rows() {
	for g in "$@"; do
		awk -v g="$g" '$1 == g { $1 = ""; print substr($0, 2) }' "$list"
	done
}

for g in "$@"; do
	grep -q "^$g " "$list" || { echo "deps: no group '$g' in $list" >&2; exit 2; }
done

missing=""
for p in $(rows "$@" | awk '{ print $1 }'); do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing Debian packages:$missing" >&2
		echo "deps: run this as root (or with sudo) to install them" >&2
		exit 1
	fi
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# No package lists yet (a fresh machine), or lists too old to have the
	# versions they name: update, then try again.
	if [ -z "$(find /var/lib/apt/lists -name '*_Packages*' 2>/dev/null | head -n 1)" ]; then
		apt-get update -q || exit 1
	fi
	apt-get install -y -q $missing >/dev/null ||
		{ apt-get update -q && apt-get install -y -q $missing >/dev/null; } ||
		{ echo "deps: apt-get install$missing failed" >&2; exit 1; }
	# Debian's conntrackd starts a service in the machine's own namespace; the tests
	# run their own in theirs and want none there
	case " $missing " in
	*" conntrackd "*)
		[ -d /run/systemd/system ] && systemctl disable --now conntrackd >/dev/null 2>&1 ;;
	esac
fi

# Every promise kept?
bad=0
rows "$@" | while read -r pkg wants; do
	for w in $wants; do
		case $w in
		pc:*) pkg-config --exists "${w#pc:}" 2>/dev/null && continue
		      echo "deps: pkg-config module ${w#pc:} missing (package $pkg)" >&2 ;;
		*)    command -v "$w" >/dev/null 2>&1 && continue
		      echo "deps: program $w missing (package $pkg)" >&2 ;;
		esac
		echo x
	done
done | grep -q x && bad=1
[ $bad = 0 ] || { echo "deps: some of what the groups '$*' need is missing" >&2; exit 1; }
exit 0
