#!/bin/sh
# The supervisor screen follows the store live: counts change as
# conversations are opened, escalated and taken, with no key pressed;
# today's escalations and the agent's conversation show; a burst of 300
# changes lands in full; S goes to the agent view and back; a resize storm
# leaves it whole; q quits.
. "$(dirname "$0")/lib.sh"

# queue_row QUEUE BOT WAIT HUMAN: the pattern of that queue's figures.
queue_row() {
	echo "^[> ] $1 +$2 +$3 +$4 "
}

fresh_db
start_console sue tmux-256color --supervisor
wait_for_screen 'SUPERVISOR · Sue Visser \(sue\)'
wait_for_screen "$(queue_row billing 0 0 0)"
wait_for_screen ' online *$'

conv=$(echo "SELECT balie.open_conversation('billing', 'ref-mia', 'Mia de Boer')" | sql botty)
wait_for_screen "$(queue_row billing 1 0 0)"
echo "SELECT balie.escalate($conv, 'customer_request')" | sql botty >/dev/null
wait_for_screen "$(queue_row billing 0 1 0)"
wait_for_screen 'Billing & banking · today 1 escalated \(asked for a person 1\)'
wait_for_screen '1 WAIT · 0 SLA! · 0 HUMAN · 0 BOT'

[ "$(echo "SELECT balie.takeover($conv)" | sql ann)" = t ] || fail "ann could not take over"
wait_for_screen "$(queue_row billing 0 0 1)"
wait_for_screen "^    #$conv +HUMAN .* billing +Mia de Boer"

# A burst: 300 new conversations in one go, all counted.
echo "SELECT count(balie.open_conversation('health', 'ref-' || i, 'Klant ' || i))
	FROM generate_series(1, 300) i" | sql botty >/dev/null
wait_for_screen "$(queue_row health 300 0 0)"
wait_for_screen '0 WAIT · 0 SLA! · 1 HUMAN · 300 BOT'

# S: the agent view (every conversation a supervisor sees), S: back.
keys S
wait_for_screen 'balie · Sue Visser \(sue\) · supervisor'
wait_for_no_screen 'SUPERVISOR'
keys S
wait_for_screen 'SUPERVISOR · Sue Visser'
wait_for_screen "$(queue_row health 300 0 0)"

# A resize storm: never a crash, "too small" below 40x10, whole again after.
pid=$(console_pid sue)
for size in 200x60 10x3 1x1 39x9 40x10 140x40 3x100 100x3 41x11 79x23; do
	tm resize-window -t "$SESSION" -x "${size%x*}" -y "${size#*x}"
done
tm resize-window -t "$SESSION" -x 10 -y 3
wait_for_screen '^need 40x10'
tm resize-window -t "$SESSION" -x 80 -y 24
wait_for_screen '^ balie · SUPERVISOR · Sue Visser \(sue\) +0 WAIT · 0 SLA! · 1 HUMAN · 300 BOT *$'
kill -0 "$pid" 2>/dev/null || fail "the console died"
screen >"$E2E_TMP/screen"
sed -n 2p "$E2E_TMP/screen" | grep -q 'queue  *BOT  *WAIT  *HUMAN' || fail "row 2 is not the queue heading"
sed -n 24p "$E2E_TMP/screen" | grep -q 'online *$' || fail "row 24 is not the status line"
grep -q 'too small' "$E2E_TMP/screen" && fail "the too-small line is left over"

keys q
wait_for_screen '^EXIT=0$'
pass
