# Helpers for the end-to-end tests: the real console in a private tmux
# server, against a fresh database from the harness's template.
#
# A test sources this file, then calls fresh_db, start_console ROLE, and
# drives keys with `keys`; it waits with wait_for_screen / wait_for_sql
# (polling with a deadline, never a fixed sleep). Everything it started is
# removed on exit. Needs BALIE_TEST_* from test/harness/with-pg.sh.
# shellcheck shell=sh

set -u
: "${BALIE_TEST_PGDIR:?run through test/run-tests.sh: the database harness is missing}"
: "${BALIE_TEST_PGPORT:?}" "${BALIE_TEST_PGBIN:?}"

# The tests read English whatever the caller's language: the C locale's
# messages (LANGUAGE would override even those). A test that wants another
# language sets E2E_LANG for start_console, or its own environment per call.
LC_ALL=C.UTF-8
export LC_ALL
unset LANGUAGE

E2E_TOP=$(cd "$(dirname "$0")/../.." && pwd)
BALIE=${BALIE_BINARY:-$E2E_TOP/balie}
E2E_NAME=$(basename "$0" .sh)
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/balie-e2e.XXXXXX")
E2E_SOCK=balie-$$
DB=
SESSION=console

e2e_cleanup() {
	[ -n "${E2E_RELAY_PID:-}" ] && kill "$E2E_RELAY_PID" 2>/dev/null && wait "$E2E_RELAY_PID" 2>/dev/null
	tmux -L "$E2E_SOCK" -f /dev/null kill-server 2>/dev/null
	if [ -n "$DB" ]; then
		"$BALIE_TEST_PGBIN/dropdb" -h "$BALIE_TEST_PGDIR" -p "$BALIE_TEST_PGPORT" \
			-U postgres --if-exists --force "$DB" 2>/dev/null
	fi
	rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

[ -x "$BALIE" ] || { echo "$E2E_NAME: $BALIE is not built (make)"; exit 1; }
command -v tmux >/dev/null || { echo "$E2E_NAME: tmux is not installed"; exit 1; }

# tmux on its own socket, with no user configuration, UTF-8 forced.
tm() {
	tmux -L "$E2E_SOCK" -f /dev/null -u "$@"
}

# Makes the test's own database from the template.
fresh_db() {
	DB=e2e_$(echo "$E2E_NAME" | tr -c 'a-z0-9\n' '_')_$$
	"$BALIE_TEST_PGBIN/psql" -X -q -h "$BALIE_TEST_PGDIR" -p "$BALIE_TEST_PGPORT" \
		-U postgres -d postgres -c "CREATE DATABASE \"$DB\" TEMPLATE balie_tmpl" >/dev/null ||
		fail "cannot create database $DB"
	[ -n "${E2E_RELAY:-}" ] && e2e_start_relay
	return 0
}

# E2E_RELAY=1 (test_console_relay.sh): the store in relay mode and a relay
# for this database; consoles attach through it ($BALIE_RELAY).
e2e_start_relay() {
	sql postgres -c "SELECT balie.set_feed('relay')" >/dev/null || fail "set_feed('relay')"
	BALIE_RELAY=$E2E_TMP/relay.sock
	export BALIE_RELAY
	"$BALIE" relay -d "$(conninfo postgres)" --socket "$BALIE_RELAY" 2>"$E2E_TMP/relay.err" &
	E2E_RELAY_PID=$!
	deadline=$(( $(date +%s) + 15 ))
	until grep -q streaming "$E2E_TMP/relay.err"; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "the relay never streamed: $(cat "$E2E_TMP/relay.err")"
		sleep 0.05
	done
}

conninfo() {
	echo "host=$BALIE_TEST_PGDIR port=$BALIE_TEST_PGPORT user=$1 dbname=$DB"
}

# sql ROLE [psql -v assignments...] < SQL: runs SQL as ROLE, prints the
# values unaligned without headers.
sql() {
	role=$1
	shift
	"$BALIE_TEST_PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$BALIE_TEST_PGDIR" \
		-p "$BALIE_TEST_PGPORT" -U "$role" -d "$DB" "$@"
}

# An escalated conversation made the way a bot makes one; prints its id.
escalate() {	# queue customer reason text
	sql botty -v q="$1" -v name="$2" -v reason="$3" -v body="$4" <<'SQL'
SELECT balie.open_conversation(:'q', 'ref-' || md5(:'name'), :'name', 'chat') AS id \gset
SELECT balie.post_message(:id, 'customer', :'body') \g /dev/null
SELECT balie.escalate(:id, :'reason', 'refund_request', 0.62, 'Charged twice; wants a person.') \g /dev/null
SELECT :id;
SQL
}

# start_console ROLE [TERM] [extra balie options...]: runs balie in a new
# 80x24 tmux session; when it ends the pane shows EXIT=<status>. The config
# file holds $E2E_CONFIG; the locale is $E2E_LC_ALL (default C.UTF-8), or
# LANG=$E2E_LANG alone (no LC_ALL) when E2E_LANG is set.
start_console() {
	role=$1
	term=${2:-tmux-256color}
	shift
	[ $# -gt 0 ] && shift
	mkdir -p "$E2E_TMP/config/balie"
	printf '%s\n' "${E2E_CONFIG:-}" >"$E2E_TMP/config/balie/config"
	lang=:
	[ -n "${E2E_LANG:-}" ] && lang="unset LC_ALL LC_MESSAGES LANGUAGE; export LANG=$E2E_LANG"
	cat >"$E2E_TMP/run.sh" <<EOF
#!/bin/sh
export TERM=$term LC_ALL=\${E2E_LC_ALL:-C.UTF-8} XDG_CONFIG_HOME=$E2E_TMP/config
${BALIE_RELAY:+export BALIE_RELAY=$BALIE_RELAY}
$lang
"$BALIE" -d "$(conninfo "$role")" $*
echo "EXIT=\$?"
exec sleep 600
EOF
	chmod +x "$E2E_TMP/run.sh"
	tm new-session -d -s "$SESSION" -x 80 -y 24 \
		"E2E_LC_ALL=${E2E_LC_ALL:-C.UTF-8} $E2E_TMP/run.sh" ||
		fail "cannot start tmux"
}

screen() {
	tm capture-pane -p -t "$SESSION:0.0"
}

keys() {
	tm send-keys -t "$SESSION:0.0" "$@"
}

# Prints why, the screen, and fails the test.
fail() {
	echo "FAIL ($E2E_NAME): $*"
	if tm has-session -t "$SESSION" 2>/dev/null; then
		echo "--- screen:"
		screen
		echo "---"
	fi
	exit 1
}

# wait_for_screen PATTERN [SECONDS]: until a line of the screen matches the
# extended regular expression PATTERN.
wait_for_screen() {
	deadline=$(( $(date +%s) + ${2:-5} ))
	while ! screen | grep -Eq -- "$1"; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "screen never showed /$1/"
		sleep 0.05
	done
}

# wait_for_no_screen PATTERN [SECONDS]: until no line matches PATTERN.
wait_for_no_screen() {
	deadline=$(( $(date +%s) + ${2:-5} ))
	while screen | grep -Eq -- "$1"; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "screen still shows /$1/"
		sleep 0.05
	done
}

# wait_for_sql ROLE EXPECTED SECONDS < SQL: until SQL's answer is EXPECTED.
# The check reads the tables as the superuser: balie roles read only through
# the read API (schema 005); ROLE names whose view the test means.
wait_for_sql() {
	role=$1 expected=$2 deadline=$(( $(date +%s) + $3 ))
	query=$(cat)
	while :; do
		got=$(echo "$query" | sql postgres 2>&1)
		[ "$got" = "$expected" ] && return 0
		[ "$(date +%s)" -lt "$deadline" ] || fail "SQL gave '$got', not '$expected': $query"
		sleep 0.05
	done
}

# The process id of the console for ROLE, or nothing.
console_pid() {
	pgrep -f -n -- "^$BALIE -d host=$BALIE_TEST_PGDIR .* user=$1 dbname=$DB" 2>/dev/null || true
}

pass() {
	echo "ok ($E2E_NAME)"
	exit 0
}
