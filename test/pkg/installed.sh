#!/bin/sh
# Checks an installed balie package (CI runs it through
# test/harness/with-pg.sh after apt-get install ./balie_*.deb): the binary,
# its version, the man pages, the Dutch catalogue, the bash completion, the
# units, and `balie migrate` from /usr/share/balie/schemas on a fresh
# database of the harness's server, twice.
set -eu
fail() {
	echo "FAIL (installed package): $*" >&2
	exit 1
}
: "${BALIE_TEST_PGDIR:?run through test/harness/with-pg.sh}"
bin=/usr/bin/balie
version=${1:?usage: installed.sh VERSION}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/balie-pkg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

[ "$("$bin" --version | head -n 1)" = "balie $version" ] || fail "balie --version: $("$bin" --version)"
[ "$(command -v balie)" = "$bin" ] || fail "balie is not on PATH"
for page in balie.1 balie-sql.7; do
	man -w "${page##*.}" "${page%.*}" >/dev/null 2>&1 || fail "man cannot find $page"
done
[ -f /usr/share/locale/nl/LC_MESSAGES/balie.mo ] || fail "no Dutch catalogue"
LANGUAGE=nl LC_ALL=C.UTF-8 "$bin" migrate --help | grep -q '^Gebruik: balie migrate' ||
	fail "the installed balie does not speak Dutch"
[ -f /usr/share/bash-completion/completions/balie ] || fail "no bash completion"
[ -f /lib/systemd/system/balie-relay.service ] || fail "no balie-relay.service"
grep -q '^ExecStart=/usr/bin/balie relay -d ${BALIE_CONNINFO} --socket /run/balie/relay.sock$' \
	/lib/systemd/system/balie-relay.service || fail "balie-relay.service runs something else"
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze verify /lib/systemd/system/balie-relay.service \
		/lib/systemd/system/balie-sim.service >"$tmp/verify" 2>&1 ||
		fail "systemd-analyze verify: $(cat "$tmp/verify")"
fi
[ -f /usr/share/doc/balie/examples/config ] || fail "no example config"
mkdir -p "$tmp/cfg/balie"
cp /usr/share/doc/balie/examples/config "$tmp/cfg/balie/config"
out=$(XDG_CONFIG_HOME=$tmp/cfg "$bin" -d dbname=none </dev/null 2>&1) || true
case $out in *"must be a terminal"*) ;; *) fail "the example config is refused: $out" ;; esac

psql="$BALIE_TEST_PGBIN/psql -X -q -A -t -h $BALIE_TEST_PGDIR -p $BALIE_TEST_PGPORT -U postgres"
$psql -d postgres -c "CREATE DATABASE balie_pkg" >/dev/null
ci="host=$BALIE_TEST_PGDIR port=$BALIE_TEST_PGPORT user=postgres dbname=balie_pkg"
(cd / && "$bin" migrate -d "$ci") >"$tmp/out" || fail "balie migrate: $(cat "$tmp/out")"
grep -q "schema files from /usr/share/balie/schemas" "$tmp/out" || fail "not the packaged schemas: $(cat "$tmp/out")"
n=$(ls /usr/share/balie/schemas/*.sql | wc -l)
[ "$(grep -c '^applied ' "$tmp/out")" = "$n" ] || fail "not all $n files applied: $(cat "$tmp/out")"
(cd / && "$bin" migrate -d "$ci") >"$tmp/out" || fail "balie migrate again: $(cat "$tmp/out")"
grep -q '^nothing to do' "$tmp/out" || fail "a second migrate did something: $(cat "$tmp/out")"
cat "$tmp/out"
echo "ok (installed package)"
