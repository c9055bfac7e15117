#!/bin/sh
# The command line and the edges of a session: usage errors and a bad
# config exit 2 before the screen opens, not a terminal exits 2, a database
# that cannot be reached exits 1 with the reason after the terminal is
# restored, --supervisor is refused for agents, configured keys show in the
# help, and SIGTERM ends the console cleanly.
. "$(dirname "$0")/lib.sh"

fresh_db

expect_exit() {	# status pattern command...
	want=$1 pattern=$2
	shift 2
	"$@" >"$E2E_TMP/out" 2>&1 </dev/null
	got=$?
	[ "$got" = "$want" ] || fail "'$*' exited $got, not $want: $(cat "$E2E_TMP/out")"
	grep -Eq -- "$pattern" "$E2E_TMP/out" || fail "'$*' did not say /$pattern/: $(cat "$E2E_TMP/out")"
}

expect_exit 0 '^Usage: balie \[OPTION\]' "$BALIE" --help
expect_exit 0 '^balie [0-9]+\.[0-9]+' "$BALIE" --version
expect_exit 2 "unrecognized option '--bogus'" "$BALIE" --bogus
expect_exit 2 "Try 'balie --help'" "$BALIE" -d
expect_exit 2 "unexpected argument 'extra'" "$BALIE" extra
expect_exit 2 'must be a terminal' "$BALIE" -d "$(conninfo ann)"
mkdir -p "$E2E_TMP/bad/balie"
printf 'bind C-t takeover\nset bell loud\ncolor nosuchrole red\n' >"$E2E_TMP/bad/balie/config"
XDG_CONFIG_HOME=$E2E_TMP/bad expect_exit 2 'config:2: bell must be on, off or flash' \
	"$BALIE" -d "$(conninfo ann)"
grep -q 'config:3:' "$E2E_TMP/out" || fail "not every config error was shown"

# No such database: exit 1, the reason readable after the screen is gone.
DB_SAVED=$DB
DB=no_such_db_$$
start_console ann
wait_for_screen '^EXIT=1$' 10
screen | grep -q 'balie: .*no_such_db' || fail "no reason for the failed connection"
[ "$(tm display -p -t "$SESSION" '#{alternate_on}')" = 0 ] || fail "still in the alternate screen"
tm kill-server
DB=$DB_SAVED

# --supervisor: refused for an agent, the supervisor screen for a supervisor.
start_console ann tmux-256color --supervisor
wait_for_screen '^EXIT=1$' 10
screen | grep -q 'balie: --supervisor: Ann Jansen (ann) is not a supervisor' ||
	fail "no refusal of --supervisor"
tm kill-server
E2E_CONFIG='bind C-t takeover' start_console sue tmux-256color --supervisor
wait_for_screen 'SUPERVISOR · Sue Visser \(sue\)'
keys S
wait_for_screen 'Sue Visser \(sue\) · supervisor'
keys '?'
wait_for_screen 't, C-t +takeover +take the conversation over from the bot'
keys Escape
wait_for_no_screen 'take the conversation over from the bot'
pid=$(console_pid sue)
[ -n "$pid" ] || fail "cannot find the console's process"
kill -TERM "$pid"
wait_for_screen '^EXIT=0$'
[ "$(tm display -p -t "$SESSION" '#{cursor_flag}')" = 1 ] || fail "cursor left invisible"
tm kill-server

# An agent asking for the supervisor screen gets a line, not a crash.
start_console ann
wait_for_screen ' online *$'
keys S
wait_for_screen 'the supervisor screen is for supervisors; ann is not one'
keys q
wait_for_screen '^EXIT=0$'
pass
