#!/bin/sh
# Several conversations at once (issue 15): Ann's own come first; when the
# customer writes in one it rises to the top with its unread count and the
# bell rings; the unread mark lives in the database, so a restart keeps it
# until the conversation is opened; N takes the most urgent waiting one;
# when Bob opens the conversation Ann has open, each sees the other within
# a second.
. "$(dirname "$0")/lib.sh"

fresh_db
if [ "$(echo "SELECT count(*) FROM pg_catalog.pg_proc WHERE proname = 'take_next'
	AND pronamespace = 'balie'::regnamespace" | sql postgres)" = 0 ]; then
	echo "note: schema 008 (take_next, mark_read, set_viewing) is not here; skipped"
	exit 0
fi

# sql_as ROLE EXPECTED SECONDS < SQL: until SQL run as ROLE (through the
# read API, as the console reads) answers EXPECTED.
sql_as() {
	role=$1 expected=$2 deadline=$(( $(date +%s) + $3 ))
	query=$(cat)
	while :; do
		got=$(echo "$query" | sql "$role" 2>&1)
		[ "$got" = "$expected" ] && return 0
		[ "$(date +%s)" -lt "$deadline" ] || fail "SQL as $role gave '$got', not '$expected': $query"
		sleep 0.05
	done
}

wait_for_bell() {
	deadline=$(( $(date +%s) + ${1:-5} ))
	until [ "$(tm display -p -t "$SESSION:0" '#{window_bell_flag}')" = 1 ]; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "no bell: $2"
		sleep 0.05
	done
}

# Two conversations of Ann's, answered by her; one waiting in each of her queues.
one=$(escalate billing 'Lotte Smit' customer_request 'Where is my refund?')
two=$(escalate billing 'Daan Mulder' customer_request 'My card is blocked')
for c in "$one" "$two"; do
	sql ann -v c="$c" <<'SQL' >/dev/null || fail "ann could not take $c"
SELECT balie.takeover(:c);
SELECT balie.reply(:c, 'Hello, I am looking into it.');
SQL
done
low=$(escalate billing 'Sem de Wit' not_understood 'billing question')
top=$(escalate health 'Noor Vos' sensitive_topic 'about my operation')

start_console ann
wait_for_screen 'Ann Jansen \(ann\)'
wait_for_screen ' online *$'
wait_for_screen 'HUMAN .*Daan Mulder +me · [0-9]+ new'
# Mine first: both of Ann's above the waiting ones.
screen | sed -n 3,4p | grep -c 'HUMAN' | grep -qx 2 || fail "Ann's own are not on top"

# Opening one at its end marks it read, in the database.
keys g j Enter
wait_for_screen "#$two Daan Mulder"
sql_as ann 0 5 <<SQL
SELECT message_count - my_read_seq FROM balie.read_conversations(ARRAY[$two]::bigint[])
SQL
keys Escape
wait_for_screen 'HUMAN .*Daan Mulder +me +'

# A second window takes the focus, so tmux records the console's bell.
tm set-option -g monitor-bell on
tm set-option -g bell-action any
tm new-window -d -t "$SESSION" 'exec sleep 600'
tm select-window -t "$SESSION:1"

# The customer of #two writes: it rises to the top, unread, and it rings.
sql botty -v c="$two" <<'SQL' >/dev/null || fail "the customer could not write"
SELECT balie.post_message(:c, 'customer', 'Are you still there?');
SQL
wait_for_screen 'HUMAN .*Daan Mulder +me · 1 new'
screen | sed -n 3p | grep -q 'Daan Mulder' || fail "the conversation did not rise to the top"
wait_for_bell 5 "the customer wrote"
tm select-window -t "$SESSION:0"

# A restart keeps it unread until it is opened.
keys q
wait_for_screen '^EXIT=0$'
tm kill-session -t "$SESSION"
start_console ann
wait_for_screen 'HUMAN .*Daan Mulder +me · 1 new'
screen | sed -n 3p | grep -q 'Daan Mulder' || fail "after a restart it is not on top"
keys g Enter
wait_for_screen "#$two Daan Mulder"
keys Escape
wait_for_screen 'HUMAN .*Daan Mulder +me +'
sql_as ann 0 5 <<SQL
SELECT message_count - my_read_seq FROM balie.read_conversations(ARRAY[$two]::bigint[])
SQL

# N takes the most urgent waiting one: health has the higher priority.
keys N
wait_for_sql ann ann 5 <<SQL
SELECT agent FROM balie.conversations WHERE id = $top
SQL
[ "$(echo "SELECT agent IS NULL FROM balie.conversations WHERE id = $low" | sql postgres)" = t ] ||
	fail "take-next took more than one"
wait_for_screen "#$top Noor Vos"
wait_for_screen 'talking to: HUMAN \(Ann Jansen\)'

# Ann opens the waiting one; Bob opens it too: each sees the other at once.
keys Escape
wait_for_screen 'WAIT .*Sem de Wit'
keys G Enter
wait_for_screen "#$low Sem de Wit"
SESSION=bob
start_console bob
wait_for_screen 'Bob de Vries \(bob\)'
wait_for_screen 'WAIT .*Sem de Wit'
keys g Enter
t0=$(date +%s%N)
SESSION=console
wait_for_screen 'also here: Bob de Vries is viewing' 3
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] || fail "Bob showed as viewing after $ms ms, not within 1 s"
SESSION=bob
wait_for_screen 'also here: Ann Jansen is viewing' 3
# Typing a note shows as such; leaving clears it.
keys n
keys -l 'checked the contract'
SESSION=console
wait_for_screen 'also here: Bob de Vries is typing a note' 3
SESSION=bob
keys Escape Escape
SESSION=console
wait_for_no_screen 'also here: Bob' 3
pass
