#!/bin/sh
# make install puts the binary, the man pages and the schemas where a user,
# man and an admin look for them (under DESTDIR, for any PREFIX); the
# installed binary runs; make uninstall removes exactly those files.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/balie-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

fail() {
	echo "FAIL (test_install): $*"
	exit 1
}

make -s install DESTDIR="$tmp" PREFIX=/usr/local >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; fail "make install failed"; }
root=$tmp/usr/local
bin=$root/bin/balie
[ -x "$bin" ] || fail "no executable $bin"
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
[ "$("$bin" --version 2>&1 | head -n 1)" = "balie $version" ] ||
	fail "installed binary says '$("$bin" --version 2>&1 | head -n 1)', not 'balie $version'"
"$bin" sim --help | grep -q '^Usage: balie sim' || fail "installed binary has no balie sim"

for f in schemas/*.sql; do
	cmp -s "$f" "$root/share/balie/schemas/$(basename "$f")" ||
		fail "schema $f is not installed in share/balie/schemas"
done

[ -f "$root/share/locale/nl/LC_MESSAGES/balie.mo" ] || fail "the Dutch catalogue is not installed"
[ -f "$root/share/bash-completion/completions/balie" ] || fail "the bash completion is not installed"
# (DESTDIR is a staging root: point the binary at the staged catalogues.)
BALIE_LOCALEDIR=$root/share/locale LANGUAGE=nl LC_ALL=C.UTF-8 "$bin" migrate --help |
	grep -q '^Gebruik:' || fail "the installed Dutch catalogue is not where gettext looks"

[ -f man/balie-sql.7 ] || echo "note: man/balie-sql.7 is missing from the tree"
[ -f man/balie.1 ] || echo "note: man/balie.1 is missing from the tree"
for page in man/balie.1 man/balie-sql.7; do
	[ -f "$page" ] || continue
	name=$(basename "$page")
	section=${name##*.}
	installed=$root/share/man/man$section/$name
	cmp -s "$page" "$installed" || fail "$page is not installed as $installed"
	if command -v man >/dev/null 2>&1; then
		# man finds it on the installed MANPATH, and renders it.
		found=$(MANPATH=$root/share/man man -w "$section" "${name%.*}" 2>/dev/null)
		[ "$found" = "$installed" ] || fail "man -w $section ${name%.*} found '$found', not $installed"
		MANWIDTH=80 man -l "$installed" 2>/dev/null | grep -q NAME ||
			fail "man -l $installed shows no NAME section"
	else
		echo "note: man is not installed; only checked that $installed exists"
	fi
done

# The Dutch balie(1): where man looks for LANG=nl_NL.UTF-8.
if [ -f man/nl/balie.1 ]; then
	cmp -s man/nl/balie.1 "$root/share/man/nl/man1/balie.1" ||
		fail "man/nl/balie.1 is not installed as share/man/nl/man1/balie.1"
	if command -v man >/dev/null 2>&1; then
		MANWIDTH=80 man -l "$root/share/man/nl/man1/balie.1" 2>/dev/null | grep -q '^NAAM' ||
			fail "the Dutch man page shows no NAAM section"
	fi
fi

# Another prefix goes where it is told.
make -s install DESTDIR="$tmp" PREFIX=/opt/balie >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; fail "make install PREFIX=/opt/balie failed"; }
[ -x "$tmp/opt/balie/bin/balie" ] || fail "PREFIX=/opt/balie: no bin/balie"
[ -f "$tmp/opt/balie/share/balie/schemas/001_core.sql" ] || fail "PREFIX=/opt/balie: no schemas"

# Files that are not balie's must survive uninstall.
touch "$root/bin/other-tool" "$root/share/man/man1/other.1"
for prefix in /usr/local /opt/balie; do
	make -s uninstall DESTDIR="$tmp" PREFIX="$prefix" >"$tmp/uninstall.log" 2>&1 ||
		{ cat "$tmp/uninstall.log"; fail "make uninstall PREFIX=$prefix failed"; }
done
left=$(find "$tmp/usr" "$tmp/opt" -type f | grep -v -e '/other-tool$' -e '/other\.1$')
[ -z "$left" ] || fail "make uninstall left: $left"
[ -f "$root/bin/other-tool" ] && [ -f "$root/share/man/man1/other.1" ] ||
	fail "make uninstall removed files that are not balie's"
[ ! -e "$root/share/balie" ] || fail "make uninstall left the empty $root/share/balie"
echo "ok (test_install)"
