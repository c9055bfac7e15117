#!/bin/sh
# An agent's day in one test: a new escalation appears without a key press
# (and rings the bell once it stays unclaimed: here after 1 s), Enter + t takes it over, a reply is stored exactly
# once, another agent's takeover shows at once and replying is then refused
# in words; q quits with status 0 and the terminal restored.
. "$(dirname "$0")/lib.sh"

fresh_db
E2E_CONFIG='set alert_unclaimed 1'
start_console ann
wait_for_screen 'Ann Jansen \(ann\)'
wait_for_screen ' online *$'
# A second window takes the focus, so tmux records the console's bell.
tm set-option -g monitor-bell on
tm set-option -g bell-action any
tm new-window -d -t "$SESSION" 'exec sleep 600'
tm select-window -t "$SESSION:1"

conv=$(escalate billing 'Mia de Boer' customer_request 'I was charged twice')
wait_for_screen "WAIT .* billing +Mia de Boer +customer_request"
wait_for_screen "new escalation: #$conv Mia de Boer"
deadline=$(( $(date +%s) + 5 ))
until [ "$(tm display -p -t "$SESSION:0" '#{window_bell_flag}')" = 1 ]; do
	[ "$(date +%s)" -lt "$deadline" ] || fail "no bell for the unclaimed escalation"
	sleep 0.05
done
tm select-window -t "$SESSION:0"

keys Enter
wait_for_screen "#$conv Mia de Boer"
wait_for_screen 'talking to: BOT · WAIT for a person'
wait_for_screen 'customer I was charged twice'
keys t
wait_for_sql ann ann 5 <<SQL
SELECT agent FROM balie.conversations WHERE id = $conv
SQL
wait_for_screen 'talking to: HUMAN \(Ann Jansen\)'
wait_for_screen "taken over #$conv"
wait_for_screen 'system +Ann Jansen has joined'

keys r
wait_for_screen "reply to #$conv \(Mia de Boer\)>"
keys -l 'Hello Mia, I will look at the refund now.'
keys Enter
wait_for_screen "reply sent to #$conv"
wait_for_screen 'agent +Hello Mia, I will look at the refund now.'
wait_for_sql ann 1 5 <<SQL
SELECT count(*) FROM balie.messages WHERE conversation = $conv AND author_kind = 'agent'
	AND body = 'Hello Mia, I will look at the refund now.'
SQL
keys Escape
wait_for_no_screen "reply to #$conv"

# Bob takes over the conversation Ann is looking at.
other=$(escalate billing 'Ahmed El Amrani' not_understood 'the card thing is not doing')
keys Escape
wait_for_no_screen "talking to:"
wait_for_screen 'WAIT .*Ahmed El Amrani'	# escalated, not only opened
keys g j
# Ann's own conversation comes first, the waiting one next: select it and
# open it.
wait_for_screen '^> WAIT .*Ahmed El Amrani'
keys Enter
wait_for_screen "#$other Ahmed El Amrani"
[ "$(echo "SELECT balie.takeover($other)" | sql bob)" = t ] || fail "bob could not take over"
wait_for_screen 'talking to: HUMAN \(Bob de Vries\)'
wait_for_screen "#$other was taken over by Bob de Vries"
keys r
wait_for_screen "#$other is with Bob de Vries, not you: you cannot reply"
screen | grep -q "reply to #$other" && fail "the compose line opened for bob's conversation"
keys t
wait_for_screen "#$other is with Bob de Vries"
keys Escape
wait_for_no_screen "talking to:"

keys q
wait_for_screen 'open conversation.*press q again to quit'
keys q
wait_for_screen '^EXIT=0$'
[ "$(tm display -p -t "$SESSION" '#{alternate_on}')" = 0 ] || fail "still in the alternate screen"
[ "$(tm display -p -t "$SESSION" '#{cursor_flag}')" = 1 ] || fail "cursor left invisible"
pass
