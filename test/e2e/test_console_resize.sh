#!/bin/sh
# A resize storm (many sizes, down to 10x3 and 1x1, with a conversation
# open) never kills the console, and at 80x24 afterwards the screen is
# complete and right.
. "$(dirname "$0")/lib.sh"

fresh_db
escalate billing 'Mia de Boer' customer_request 'I was charged twice' >/dev/null
# Health has the higher priority: first in the list, opened below.
conv=$(escalate health 'Jan Pietersen' sensitive_topic 'Is physiotherapy covered?')
start_console ann
wait_for_screen 'Mia de Boer'
keys Enter
wait_for_screen 'talking to: BOT'
pid=$(console_pid ann)
[ -n "$pid" ] || fail "cannot find the console's process"

for size in 200x60 80x24 10x3 1x1 39x9 40x10 140x40 139x40 81x25 20x5 3x100 100x3 \
	    80x24 41x11 160x50 12x4 80x24 2x2 79x23; do
	tm resize-window -t "$SESSION" -x "${size%x*}" -y "${size#*x}"
done
tm resize-window -t "$SESSION" -x 10 -y 3
wait_for_screen '^need 40x10'
tm resize-window -t "$SESSION" -x 80 -y 24
wait_for_screen '^ balie · Ann Jansen \(ann\) +2 WAIT · 0 HUMAN · 0 BOT *$'
kill -0 "$pid" 2>/dev/null || fail "the console died"
screen >"$E2E_TMP/screen"
[ "$(wc -l <"$E2E_TMP/screen")" -eq 24 ] || fail "not 24 rows"
sed -n 1p "$E2E_TMP/screen" | grep -q 'Ann Jansen' || fail "row 1 is not the header"
sed -n 2p "$E2E_TMP/screen" | grep -q 'customer' || fail "row 2 is not the list heading"
grep -q "#$conv Jan Pietersen" "$E2E_TMP/screen" || fail "the pane is gone"
grep -q 'talking to: BOT' "$E2E_TMP/screen" || fail "the pane is incomplete"
sed -n 24p "$E2E_TMP/screen" | grep -q 'online *$' || fail "row 24 is not the status line"
grep -q 'too small' "$E2E_TMP/screen" && fail "the too-small line is left over"
keys q
wait_for_screen '^EXIT=0$'
pass
