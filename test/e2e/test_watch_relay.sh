#!/bin/sh
# `balie watch --relay`: the store in relay mode (writes send no NOTIFY on
# balie), a real `balie relay`, several writers at once (a bot opening,
# chatting and escalating; an agent taking over, replying and closing):
# every change reaches watch through the relay, and its final view equals the
# database. Then the relay is killed in the middle of a burst and started
# again: watch shows it waits for the relay, re-reads, and converges.
. "$(dirname "$0")/lib.sh"

fresh_db
sql postgres -c "SELECT balie.set_feed('relay')" >/dev/null || fail "set_feed('relay')"

SOCK=$E2E_TMP/relay.sock
RELAY_PID=
start_relay() {
	: >"$E2E_TMP/relay.err"
	"$BALIE" relay -d "$(conninfo postgres)" --socket "$SOCK" 2>>"$E2E_TMP/relay.err" &
	RELAY_PID=$!
	deadline=$(( $(date +%s) + 15 ))
	until grep -q streaming "$E2E_TMP/relay.err"; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "the relay never streamed: $(cat "$E2E_TMP/relay.err")"
		sleep 0.05
	done
}
stop_all() {
	[ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null
	[ -n "${WATCH_PID:-}" ] && kill "$WATCH_PID" 2>/dev/null
	wait 2>/dev/null
	e2e_cleanup
}
trap stop_all EXIT

start_relay
"$BALIE" watch -d "$(conninfo sue)" --relay "$SOCK" >"$E2E_TMP/watch.out" 2>"$E2E_TMP/watch.err" &
WATCH_PID=$!
deadline=$(( $(date +%s) + 15 ))
until grep -q "connected (feed: relay" "$E2E_TMP/watch.err"; do
	[ "$(date +%s)" -lt "$deadline" ] || fail "watch never attached: $(cat "$E2E_TMP/watch.err")"
	sleep 0.05
done

# bot_writer TAG N: N conversations, each with a few messages, half escalated.
bot_writer() {
	i=0
	while [ "$i" -lt "$2" ]; do
		sql botty -v tag="$1-$i" -v esc=$((i % 2)) <<'SQL' >/dev/null || exit 1
SELECT balie.open_conversation('billing', 'ref-' || :'tag', 'Cust ' || :'tag', 'chat') AS id \gset
SELECT balie.post_message(:id, 'customer', 'hello from ' || :'tag') \g /dev/null
SELECT balie.post_message(:id, 'bot', E'tab\there, line\nbreak \\ ' || :'tag') \g /dev/null
SELECT balie.escalate(:id, 'customer_request') WHERE :esc = 1 \g /dev/null
SQL
		i=$((i + 1))
	done
}

# agent_writer ROUNDS: takes the longest-waiting conversation, replies, closes.
agent_writer() {
	i=0
	while [ "$i" -lt "$1" ]; do
		sql ann <<'SQL' >/dev/null 2>&1
SELECT id AS c FROM balie.conversations WHERE state = 'waiting' ORDER BY id LIMIT 1 \gset
SELECT balie.takeover(:c) \g /dev/null
SELECT balie.post_message(:c, 'agent', 'on it') \g /dev/null
SELECT balie.close(:c) \g /dev/null
SQL
		i=$((i + 1))
	done
}

# The newest version watch printed per conversation vs the database's.
watch_view() {
	sed -n 's/^{"conv" : \([0-9]*\), "version" : \([0-9]*\),.*/\1 \2/p' "$E2E_TMP/watch.out" |
		sort -n -k1,1 -k2,2 | awk '{ v[$1] = $2 } END { for (k in v) print k ":" v[k] }' | sort -n
}
db_view() {
	sql postgres -c "SELECT id || ':' || version FROM balie.conversations ORDER BY id"
}
converge() {	# SECONDS WHAT
	deadline=$(( $(date +%s) + $1 ))
	while [ "$(watch_view)" != "$(db_view)" ]; do
		[ "$(date +%s)" -lt "$deadline" ] ||
			fail "$2: watch holds $(watch_view | tr '\n' ' ') but the store $(db_view | tr '\n' ' ')"
		sleep 0.1
	done
}

bot_writer a 8 & A=$!
bot_writer b 8 & B=$!
agent_writer 6 & C=$!
wait "$A" "$B" "$C" || fail "a writer failed"
converge 20 "after three writers"
[ "$(db_view | wc -l)" -ge 16 ] || fail "the writers wrote too little: $(db_view | wc -l)"

# The relay dies in the middle of a burst; writes go on; it comes back.
bot_writer c 10 & A=$!
sleep 0.3
kill -9 "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null
RELAY_PID=
wait "$A" || fail "a writer failed"
bot_writer d 3 || fail "a writer failed"
deadline=$(( $(date +%s) + 10 ))
until grep -q "waiting for the relay" "$E2E_TMP/watch.err"; do
	[ "$(date +%s)" -lt "$deadline" ] || fail "watch never said it waits for the relay: $(cat "$E2E_TMP/watch.err")"
	sleep 0.05
done
start_relay
converge 30 "after the relay came back"
kill -0 "$WATCH_PID" || fail "watch died"
pass
