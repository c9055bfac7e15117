#!/bin/sh
# Translations: every marked string of the code is in po/balie.pot and has a
# Dutch translation (no fuzzy, no untranslated entry), every source file that
# uses _() is listed in po/POTFILES, `make` built the catalogue, and the
# binary speaks Dutch when asked (LANGUAGE, or LANG=nl_NL.UTF-8 where that
# locale exists) and English otherwise. Needs no database.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
BALIE=${BALIE_BINARY:-$top/balie}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/balie-i18n.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL (test_i18n): $*"
	exit 1
}
command -v msgfmt >/dev/null || fail "msgfmt is missing (apt-get install gettext)"

# Every source file with translatable strings is listed for xgettext.
for f in $(grep -lE '\b[NPC]?_\("' src/*.c); do
	grep -qx "$f" po/POTFILES || fail "$f uses _() but is not in po/POTFILES"
done
# The template and the Dutch catalogue hold every string the code marks now.
xgettext --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=P_:1,2 --keyword=C_:1c,2 \
	-o "$tmp/now.pot" $(cat po/POTFILES) || fail "xgettext failed"
{ msgcmp --use-untranslated po/balie.pot "$tmp/now.pot" &&
	msgcmp --use-untranslated "$tmp/now.pot" po/balie.pot; } >"$tmp/cmp" 2>&1 ||
	fail "po/balie.pot is out of date (run make pot): $(cat "$tmp/cmp")"
for po in po/*.po; do
	msgcmp "$po" "$tmp/now.pot" >"$tmp/cmp" 2>&1 ||
		fail "$po lacks strings of the code (run make pot, translate): $(cat "$tmp/cmp")"
	stats=$(msgfmt -c --statistics -o /dev/null "$po" 2>&1) || fail "msgfmt -c $po: $stats"
	echo "$stats" | grep -Eq 'fuzzy|untranslated' && fail "$po is not complete: $stats"
	echo "$stats" | grep -Eq '^[0-9]+ translated messages?\.$' || fail "$po: $stats"
	lang=$(basename "$po" .po)
	[ -f "build/locale/$lang/LC_MESSAGES/balie.mo" ] ||
		fail "make did not build build/locale/$lang/LC_MESSAGES/balie.mo"
	[ "build/locale/$lang/LC_MESSAGES/balie.mo" -nt "$po" ] ||
		fail "build/locale/$lang/LC_MESSAGES/balie.mo is older than $po"
done

# Dutch on request, English otherwise.
LANGUAGE=nl LC_ALL=C.UTF-8 "$BALIE" migrate --help >"$tmp/out" 2>&1
grep -q '^Gebruik: balie migrate \[OPTIE\]' "$tmp/out" || fail "no Dutch help: $(head -3 "$tmp/out")"
grep -q 'schemabestanden op volgorde toe, elk in één transactie' "$tmp/out" ||
	fail "the Dutch help lost its accents: $(sed -n 3p "$tmp/out")"
LANGUAGE=nl LC_ALL=C.UTF-8 "$BALIE" migrate --schemas "$tmp/nowhere" >"$tmp/out" 2>&1
grep -q "^balie migrate: kan de schemamap $tmp/nowhere niet lezen" "$tmp/out" ||
	fail "no Dutch error: $(cat "$tmp/out")"
LANGUAGE=nl LC_ALL=C.UTF-8 "$BALIE" migrate --bogus >"$tmp/out" 2>&1
grep -q "onbekende optie '--bogus'" "$tmp/out" || fail "no Dutch usage error: $(cat "$tmp/out")"
env -u LANGUAGE LC_ALL=C.UTF-8 "$BALIE" migrate --help | grep -q '^Usage: balie migrate' ||
	fail "English is not the default"
if locale -a 2>/dev/null | grep -qi '^nl_NL\.utf-\?8$'; then
	env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=nl_NL.UTF-8 "$BALIE" migrate --help |
		grep -q '^Gebruik: balie migrate' || fail "LANG=nl_NL.UTF-8 is not Dutch"
else
	echo "note: locale nl_NL.UTF-8 is not generated here; checked LANGUAGE=nl only"
fi
echo "ok (test_i18n)"
