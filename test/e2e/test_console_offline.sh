#!/bin/sh
# The server goes away: the status line says offline with a countdown, the
# screen keeps the last state, a reply typed meanwhile is kept and sent
# exactly once after reconnecting, and what happened meanwhile shows up.
. "$(dirname "$0")/lib.sh"

harness=${BALIE_TEST_HARNESS:-$E2E_TOP/test/harness/pg.sh}
resume_server() {
	"$harness" resume "$BALIE_TEST_PGDIR" >/dev/null 2>&1 || true
}

fresh_db
conv=$(escalate billing 'Mia de Boer' customer_request 'I was charged twice')
[ "$(echo "SELECT balie.takeover($conv)" | sql ann)" = t ] || fail "takeover failed"
start_console ann
wait_for_screen 'Mia de Boer'
keys Enter
wait_for_screen 'talking to: HUMAN \(Ann Jansen\)'
wait_for_screen ' online *$'

"$harness" halt "$BALIE_TEST_PGDIR" >/dev/null || fail "cannot stop the server"
# From here on the server must come back, whatever happens.
trap 'resume_server; e2e_cleanup' EXIT
wait_for_screen 'offline.* — reconnecting in [0-9]+ s *$'
screen | grep -q 'talking to: HUMAN (Ann Jansen)' || fail "the last state is gone"
keys r
wait_for_screen "reply to #$conv"
keys -l 'Sorry, my connection dropped.'
keys Enter
wait_for_screen " reply kept; sends when back online +1 to send · offline"
# It shows where it will land, marked as not sent (issue 14 #14).
wait_for_screen 'not sent yet +Sorry, my connection dropped\.'

"$harness" resume "$BALIE_TEST_PGDIR" >/dev/null || fail "cannot start the server"
echo "SELECT balie.post_message($conv, 'customer', 'Hello? Anyone there?')" | sql botty >/dev/null ||
	fail "cannot post"
wait_for_screen ' online *$' 15
wait_for_screen 'customer Hello\? Anyone there\?'
wait_for_screen 'agent +Sorry, my connection dropped.'
wait_for_sql ann 1 5 <<SQL
SELECT count(*) FROM balie.messages WHERE conversation = $conv AND body = 'Sorry, my connection dropped.'
SQL

# A plain restart: back by itself, and a message from meanwhile shows.
"$harness" restart "$BALIE_TEST_PGDIR" >/dev/null || fail "cannot restart the server"
echo "SELECT balie.post_message($conv, 'customer', 'Thanks, that was quick')" | sql botty >/dev/null ||
	fail "cannot post after the restart"
wait_for_screen 'customer Thanks, that was quick' 15
wait_for_screen ' online *$' 15
[ "$(echo "SELECT count(*) FROM balie.messages WHERE conversation = $conv AND author_kind = 'agent'" |
	sql postgres)" = 1 ] || fail "the reply was stored more than once"
keys Escape
keys q
wait_for_screen 'open conversation.*press q again to quit'
keys q
wait_for_screen '^EXIT=0$'
pass
