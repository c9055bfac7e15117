#!/bin/sh
# `make` and `make demo` ask pkg-config only for what they build: the cmocka
# flags are asked for by test targets alone (issue 14 #17: twelve lines of
# "Package cmocka was not found" before the demo).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/balie-make.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_make_quiet: FAIL: $*"; exit 1; }

# A pkg-config that logs what it is asked, then answers as the real one.
real=$(command -v pkg-config) || fail "no pkg-config"
cat >"$tmp/pkg-config" <<SH
#!/bin/sh
echo "\$*" >>"$tmp/asked"
exec "$real" "\$@"
SH
chmod +x "$tmp/pkg-config"

: >"$tmp/asked"
PATH="$tmp:$PATH" make -C "$top" -n -B balie >/dev/null 2>&1 || fail "make -n balie failed"
grep -q ncursesw "$tmp/asked" || fail "the logging pkg-config was not used"
grep -q cmocka "$tmp/asked" && fail "make balie asked for cmocka: $(cat "$tmp/asked")"

: >"$tmp/asked"
PATH="$tmp:$PATH" make -C "$top" -n -B build/test/test_text >/dev/null 2>&1 ||
	fail "make -n of a unit test failed"
grep -q cmocka "$tmp/asked" || fail "a unit test was built without asking for cmocka"
echo "test_make_quiet: ok"
