#!/bin/sh
# A raised hand and a whisper, two consoles: Ann presses H on her
# conversation; within a second it is the first row under the supervisor's
# agent title (HAND) and Sue's terminal rings (tmux's bell flag). Sue
# selects it and whispers with w; Ann's pane shows "whisper from Sue
# Visser" set apart, with the text, the customer never sees it, and the
# hand is cleared on both screens.
. "$(dirname "$0")/lib.sh"

fresh_db
# The SQL of issue 17 (schemas/009_supervisor.sql, branch sql2).
[ "$(echo "SELECT count(*) FROM pg_proc WHERE proname IN ('raise_hand', 'whisper')
	AND pronamespace = 'balie'::regnamespace" | sql postgres)" -ge 2 ] || {
	echo "skip ($E2E_NAME): balie.raise_hand/whisper are not in this schema yet (009)"
	exit 0
}

conv=$(escalate billing 'Mia de Boer' customer_request 'I was charged twice')
[ "$(echo "SELECT balie.takeover($conv)" | sql ann)" = t ] || fail "ann could not take over"

# Sue's supervisor screen, in a window that is not the current one, so tmux
# records its bell.
start_console sue tmux-256color --supervisor
wait_for_screen 'SUPERVISOR · Sue Visser \(sue\)'
wait_for_screen ' online *$'
wait_for_screen "^    #$conv +HUMAN .* billing +Mia de Boer"
tm set-option -g monitor-bell on
tm set-option -g bell-action any
tm new-window -d -t "$SESSION" 'exec sleep 600'
tm select-window -t "$SESSION:1"

# Ann's console, its own tmux session and files.
SUP_TMP=$E2E_TMP
E2E_TMP=$SUP_TMP/agent
mkdir -p "$E2E_TMP"
SESSION=agent
start_console ann
E2E_TMP=$SUP_TMP
wait_for_screen 'Ann Jansen \(ann\)'
wait_for_screen ' online *$'
keys Enter
wait_for_screen 'talking to: HUMAN \(Ann Jansen\) · you'
keys H
wait_for_screen 'talking to: HUMAN \(Ann Jansen\) · you · HAND RAISED'
start_ms=$(date +%s%3N)
wait_for_screen "hand raised on #$conv"

# Within a second on Sue's screen, first under the agent title, and a ring.
SESSION=console
while ! screen | grep -Eq "^  HAND #$conv +[0-9:]+ billing +Ann Jansen +Mia de Boer"; do
	[ $(( $(date +%s%3N) - start_ms )) -lt 3000 ] || fail "no raised hand on the supervisor screen"
	sleep 0.02
done
took=$(( $(date +%s%3N) - start_ms ))
[ "$took" -le 1000 ] || fail "the raised hand took $took ms to show"
screen | grep -A1 'agent  *presence  *status' | tail -1 | grep -q "HAND #$conv" ||
	fail "the raised hand is not the first row under the agent title"
[ "$(tm display -p -t "$SESSION:0" '#{window_bell_flag}')" = 1 ] ||
	fail "no bell for the raised hand"
tm select-window -t "$SESSION:0"
wait_for_screen "hand raised: #$conv — Ann Jansen with Mia de Boer"
wait_for_screen '^H!billing'

# Select it (queues first, then the attention rows) and whisper.
i=0
while ! screen | grep -Eq "^> HAND #$conv"; do
	i=$((i + 1))
	[ $i -le 10 ] || fail "cannot select the raised hand"
	keys j
	sleep 0.05
done
keys w
wait_for_screen "whisper to Ann Jansen about #$conv"
keys -l 'Offer the refund, I approve it.'
keys Enter
wait_for_screen "whisper sent to Ann Jansen about #$conv"
wait_for_sql ann 'note|ann' 5 <<SQL
SELECT author_kind || '|' || coalesce(whisper_to, '') FROM balie.messages
WHERE conversation = $conv AND body = 'Offer the refund, I approve it.'
SQL
# Answered: the hand is gone from Sue's screen.
wait_for_no_screen "HAND #$conv"

# Ann's pane: set apart, named, with an alert; her hand is down.
SESSION=agent
wait_for_screen 'whisper from Sue Visser \(internal\)'
wait_for_screen 'Offer the refund, I approve it\.'
wait_for_screen "whisper from Sue Visser on #$conv"
wait_for_no_screen 'HAND RAISED'
# The customer's side (the bot reads what the customer sees) never has it.
[ "$(echo "SELECT count(*) FROM balie.read_messages($conv, 0, 0, 100)
	WHERE body LIKE 'Offer the refund%'" | sql botty)" = 0 ] ||
	fail "the bot can read the whisper"

quit_console
SESSION=console
quit_console
pass
