#!/bin/sh
# What a shift at the console found (issue 14), from the agent's side:
# q asks while you hold conversations and says how many; help scrolls with
# g/G and says more follows; an $EDITOR that fails keeps the text as a
# draft; offline, a refused note opens its line so its text never acts as
# keys; --supervisor as a plain agent draws no customer before exiting 1.
. "$(dirname "$0")/lib.sh"

harness=${BALIE_TEST_HARNESS:-$E2E_TOP/test/harness/pg.sh}
resume_server() {
	"$harness" resume "$BALIE_TEST_PGDIR" >/dev/null 2>&1 || true
}

fresh_db
conv=$(escalate billing 'Mia de Boer' customer_request 'I was charged twice')
conv2=$(escalate billing 'Noor Bakker' customer_request 'Where is my refund?')
[ "$(echo "SELECT balie.takeover($conv)" | sql ann)" = t ] || fail "takeover failed"
[ "$(echo "SELECT balie.takeover($conv2)" | sql ann)" = t ] || fail "takeover failed"

# An editor that writes a reply and then fails, like vim's :cq.
editor=$E2E_TMP/editor.sh
printf '#!/bin/sh\nprintf "Half a thought\\n" >"$1"\nexit 3\n' >"$editor"
chmod +x "$editor"
export EDITOR="$editor"

echo "SELECT balie.pause_bot('health', true)" | sql sue >/dev/null || fail "cannot pause"
start_console ann
wait_for_screen 'Mia de Boer'
wait_for_screen ' online *$'

# The transfer picker follows a bot pause that ended (issue 14 #1).
keys x
wait_for_screen 'health +Health insurance .*\(bot paused\)'
keys Escape
echo "SELECT balie.pause_bot('health', false)" | sql sue >/dev/null || fail "cannot resume"
keys x
wait_for_screen 'health +Health insurance'
wait_for_no_screen '\(bot paused\)'
keys Escape
wait_for_no_screen 'to which queue'

# Help: more below at 80x24; G goes to its end, g back; Esc closes.
keys '?'
wait_for_screen 'more below'
keys G
wait_for_screen 'On the supervisor screen:'
wait_for_no_screen 'more below'
keys g
wait_for_screen 'balie keys'
wait_for_screen 'more below'
keys Escape
wait_for_no_screen 'balie keys'

# q with two conversations held: asked, with the count; any other key disarms.
keys q
wait_for_screen '2 open conversations stay yours: press q again to quit'
screen | grep -q '^EXIT=' && fail "q quit at once"
keys k
wait_for_no_screen 'press q again to quit'

# $EDITOR exits 3: nothing sent, the text is the reply's draft.
keys Enter
wait_for_screen 'talking to: HUMAN \(Ann Jansen\)'
keys E
wait_for_screen 'the editor failed \(exit 3\): not sent, your text is a draft \(r\)' 10
keys r
wait_for_screen 'reply to #[0-9]+ .*> +Half a thought'
[ "$(echo "SELECT count(*) FROM balie.messages WHERE author_kind = 'agent'" | sql postgres)" = 0 ] ||
	fail "the failed edit sent something"

# A supervisor transfers it away while the reply line is open: told, and
# the line closes (issue 14 #3).
echo "SELECT balie.transfer($conv, 'health', 'specialist')" | sql sue >/dev/null ||
	fail "cannot transfer"
wait_for_screen "#$conv was transferred to Health insurance: not yours any more"
wait_for_no_screen 'reply to #'

# Offline: n opens the note line; what follows is its text, not keys.
"$harness" halt "$BALIE_TEST_PGDIR" >/dev/null || fail "cannot stop the server"
trap 'resume_server; e2e_cleanup' EXIT
wait_for_screen 'offline.* — reconnecting'
keys n
wait_for_screen 'note on #[0-9]+'
keys -l 'tcyq x'
wait_for_screen 'note on #[0-9]+ .*> +tcyq x'
screen | grep -q 'close #' && fail "a letter of the note acted as c"
screen | grep -q '^EXIT=' && fail "a letter of the note acted as q"
keys Enter
wait_for_screen 'not connected'
wait_for_screen 'note on #[0-9]+ .*> +tcyq x'
"$harness" resume "$BALIE_TEST_PGDIR" >/dev/null || fail "cannot start the server"
wait_for_screen ' online *$' 15
keys Enter
wait_for_screen 'note added to #'
wait_for_sql ann 1 5 <<SQL
SELECT count(*) FROM balie.messages WHERE author_kind = 'note' AND body = 'tcyq x'
SQL
keys Escape
keys q
wait_for_screen 'press q again to quit'
keys q
wait_for_screen '^EXIT=0$'
tm kill-server

# --supervisor as a plain agent: what stays on the terminal afterwards
# (no alternate screen) holds no customer's name.
tm new-session -d -s keep -x 80 -y 24 'sleep 600'
tm set-option -g alternate-screen off
start_console ann tmux-256color --supervisor
wait_for_screen '^EXIT=1$' 10
screen | grep -q 'is not a supervisor' || fail "no refusal"
screen | grep -Eq 'Mia de Boer|Noor Bakker' && fail "customers were drawn before the refusal"
pass
