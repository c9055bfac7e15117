#!/bin/sh
# Pausing a queue's bot from the supervisor screen: p asks first (n keeps
# it talking), y pauses it, and the next new conversation waits for a
# person at once; p y resumes it.
. "$(dirname "$0")/lib.sh"

fresh_db
start_console sue tmux-256color --supervisor
wait_for_screen 'SUPERVISOR · Sue Visser'
wait_for_screen '^> health '
wait_for_screen ' online *$'

# Queues by priority: health, billing, parcels.
keys j
wait_for_screen '^> billing '
keys p
wait_for_screen 'pause the bot of billing\? new conversations will wait for a person\. y/n'
keys n
wait_for_screen 'the bot keeps talking'
[ "$(echo "SELECT bot_paused FROM balie.queues WHERE id = 'billing'" | sql postgres)" = f ] ||
	fail "paused without a yes"

keys p
wait_for_screen 'pause the bot of billing'
keys y
wait_for_sql sue t 5 <<'SQL'
SELECT bot_paused FROM balie.queues WHERE id = 'billing'
SQL
wait_for_screen 'Billing & banking · BOT PAUSED · today 0 escalated'

conv=$(echo "SELECT balie.open_conversation('billing', 'ref-new', 'Noor Visser')" | sql botty)
[ "$(echo "SELECT state || ' ' || escalation_reason FROM balie.conversations WHERE id = $conv" |
	sql postgres)" = "waiting bot_paused" ] || fail "the new conversation did not wait"
wait_for_screen '^> billing +0 +1 +0 '
wait_for_screen 'BOT PAUSED · today 1 escalated \(bot paused 1\)'

keys p
wait_for_screen 'resume the bot of billing'
keys y
wait_for_sql sue f 5 <<'SQL'
SELECT bot_paused FROM balie.queues WHERE id = 'billing'
SQL
wait_for_no_screen 'BOT PAUSED'
conv=$(echo "SELECT balie.open_conversation('billing', 'ref-next', 'Sem Bakker')" | sql botty)
[ "$(echo "SELECT state FROM balie.conversations WHERE id = $conv" | sql postgres)" = bot ] ||
	fail "the bot did not resume"
keys q
wait_for_screen '^EXIT=0$'
pass
