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
# The msgids of PO's entries that lack a translation or are fuzzy against the
# code's strings now, one a line (so a failure names them).
untranslated() {
	msgmerge -q --no-fuzzy-matching "$1" "$tmp/now.pot" -o "$tmp/merged.po" 2>/dev/null ||
		return 0
	{ msgattrib --untranslated --no-obsolete --no-wrap "$tmp/merged.po"
	  msgattrib --only-fuzzy --no-obsolete --no-wrap "$1"; } 2>/dev/null |
		grep '^msgid "' | grep -v '^msgid ""$' | sed 's/^msgid /  /'
}
# Entries whose translation lost or invented a verb-table placeholder
# ({id}, {customer}…) or changed the number of "|" (yes|no words).
placeholders() {
	msgattrib --translated --no-fuzzy --no-obsolete --no-wrap "$1" | awk '
	function toks(s, t) {
		t = ""
		while (match(s, /\{[a-z]+\}/)) {
			t = t " " substr(s, RSTART, RLENGTH)
			s = substr(s, RSTART + RLENGTH)
		}
		return t
	}
	function bars(s) { return gsub(/\|/, "|", s) }
	function same(a, b, n, i, w) {
		n = split(a, w, " ")
		for (i = 1; i <= n; i++)
			if (index(b, w[i]) == 0)
				return 0
		return 1
	}
	/^msgid "/ { id = substr($0, 7); next }
	/^msgstr "/ {
		str = substr($0, 8)
		if (id != "\"\"" && (!same(toks(id), str) || !same(toks(str), id) ||
		    bars(id) != bars(str)))
			print "  " id " -> " str
	}'
}
for po in po/*.po; do
	missing=$(untranslated "$po")
	[ -z "$missing" ] || fail "$po lacks translations (make pot, then translate these and drop their fuzzy marks; see po/README):
$missing"
	msgcmp "$po" "$tmp/now.pot" >"$tmp/cmp" 2>&1 ||
		fail "$po lacks strings of the code (run make pot, translate): $(cat "$tmp/cmp")"
	bad=$(placeholders "$po")
	[ -z "$bad" ] || fail "$po: placeholders or '|' differ from the English:
$bad"
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
# Every command's help and usage errors, and a config error, in Dutch.
LANGUAGE=nl LC_ALL=C.UTF-8 "$BALIE" --help >"$tmp/out" 2>&1
grep -q '^Gebruik: balie \[OPTIE\]' "$tmp/out" || fail "balie --help is not Dutch: $(head -2 "$tmp/out")"
grep -q 'één toets om over te nemen' "$tmp/out" || fail "balie --help lost its accents"
awk 'length($0) > 79 { bad = 1 } END { exit bad }' "$tmp/out" ||
	fail "a line of the Dutch --help is wider than 79 columns"
for cmd in watch sim; do
	LANGUAGE=nl LC_ALL=C.UTF-8 "$BALIE" $cmd --help >"$tmp/out" 2>&1
	grep -q "^Gebruik: balie $cmd \[OPTIE\]" "$tmp/out" || fail "balie $cmd --help is not Dutch"
	awk 'length($0) > 79 { bad = 1 } END { exit bad }' "$tmp/out" ||
		fail "a line of the Dutch 'balie $cmd --help' is wider than 79 columns"
done
LANGUAGE=nl LC_ALL=C.UTF-8 "$BALIE" --bogus >"$tmp/out" 2>&1
grep -q "^balie: onbekende optie '--bogus'" "$tmp/out" && grep -q "^Typ 'balie --help'" "$tmp/out" ||
	fail "no Dutch usage error: $(cat "$tmp/out")"
LANGUAGE=nl LC_ALL=C.UTF-8 "$BALIE" sim --rate x >"$tmp/out" 2>&1
grep -q "ongeldige --rate 'x'" "$tmp/out" || fail "no Dutch sim error: $(cat "$tmp/out")"
mkdir -p "$tmp/cfg/balie"
echo 'bind Nokey quit' >"$tmp/cfg/balie/config"
LANGUAGE=nl LC_ALL=C.UTF-8 XDG_CONFIG_HOME="$tmp/cfg" "$BALIE" </dev/null >"$tmp/out" 2>&1
grep -q 'config:1: onbekende toets "Nokey"' "$tmp/out" || fail "no Dutch config error: $(cat "$tmp/out")"
env -u LANGUAGE LC_ALL=C.UTF-8 XDG_CONFIG_HOME="$tmp/cfg" "$BALIE" </dev/null 2>&1 |
	grep -q 'config:1: unknown key "Nokey"' || fail "the config error is not English by default"
if locale -a 2>/dev/null | grep -qi '^nl_NL\.utf-\?8$'; then
	env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=nl_NL.UTF-8 "$BALIE" migrate --help |
		grep -q '^Gebruik: balie migrate' || fail "LANG=nl_NL.UTF-8 is not Dutch"
	env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=nl_NL.UTF-8 "$BALIE" --help |
		grep -q '^Gebruik: balie \[OPTIE\]' || fail "LANG=nl_NL.UTF-8 balie --help is not Dutch"
else
	echo "note: locale nl_NL.UTF-8 is not generated here; checked LANGUAGE=nl only"
fi
echo "ok (test_i18n)"
