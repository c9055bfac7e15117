#!/bin/sh
# Issue 7, big input: a customer message of over 1,000,000 bytes (mixed
# scripts, emoji, very long words) and a conversation of 100,000 messages.
# The console keeps answering keys, shows every byte of the big message (a
# marker at its very end is reached and drawn), loads the long transcript
# page by page with its memory bounded, and keeps showing new messages.
# Every frame is measured through BALIE_FRAME_LOG: no render, batch of keys
# or turn of the loop may use more than FRAME_CPU_MS of CPU.
. "$(dirname "$0")/lib.sh"

FRAME_CPU_MS=${FRAME_CPU_MS:-100}
# Under AddressSanitizer (make check-memory) everything is a few times
# slower, and freed memory is quarantined, so RSS says nothing about bounds.
asan=0
if grep -q __asan_init "$BALIE" 2>/dev/null; then
	asan=1
	FRAME_CPU_MS=$((FRAME_CPU_MS * 5))
fi

now_ms() {
	date +%s%3N
}

rss_kb() {	# pid
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# frame_report LOG LABEL: prints p50/p99/max of wall and CPU time for each
# kind of line, and fails when any line used more than FRAME_CPU_MS of CPU.
frame_report() {
	for kind in render keys turn; do
		awk -v k="$kind" '$1 == k { print $2, $3 }' "$1" >"$E2E_TMP/frames.$kind"
		n=$(wc -l <"$E2E_TMP/frames.$kind")
		[ "$n" -gt 0 ] || continue
		wall=$(cut -d' ' -f1 "$E2E_TMP/frames.$kind" | sort -n | awk -v n="$n" '
			{ v[NR] = $1 }
			END { printf "%.1f/%.1f/%.1f", v[int((n + 1) / 2)] / 1000,
			      v[int(n * 0.99 + 0.999)] / 1000, v[n] / 1000 }')
		cpu=$(cut -d' ' -f2 "$E2E_TMP/frames.$kind" | sort -n | awk -v n="$n" '
			{ v[NR] = $1 }
			END { printf "%.1f/%.1f/%.1f", v[int((n + 1) / 2)] / 1000,
			      v[int(n * 0.99 + 0.999)] / 1000, v[n] / 1000 }')
		printf '%s: %-6s n=%-5s wall p50/p99/max %s ms, cpu p50/p99/max %s ms\n' \
			"$2" "$kind" "$n" "$wall" "$cpu"
	done
	worst=$(awk '$1 !~ /^#/ && $3 > m { m = $3; line = $0 } END { print m + 0, line }' "$1")
	[ "${worst%% *}" -le $((FRAME_CPU_MS * 1000)) ] ||
		fail "$2: a frame used more than $FRAME_CPU_MS ms of CPU: $worst"
}

# answered KEY: presses KEY and waits (at most 5 s) until the screen changes.
answered() {
	before=$(screen)
	deadline=$(( $(date +%s) + 5 ))
	keys "$1"
	while [ "$(screen)" = "$before" ]; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "$1 was not answered"
		sleep 0.01
	done
}

# press_until KEY PATTERN SECONDS: presses KEY, waits for the console to
# answer it (the screen changes, or PATTERN shows), until PATTERN shows.
press_until() {
	deadline=$(( $(date +%s) + $3 ))
	presses=0
	while ! screen | grep -Eq -- "$2"; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "/$2/ not reached after $presses x $1"
		before=$(screen)
		keys "$1"
		presses=$((presses + 1))
		while [ "$(screen)" = "$before" ]; do
			[ "$(date +%s)" -lt "$deadline" ] || fail "$1 was not answered"
			sleep 0.02
		done
		# Loading a page is an answer too: wait for the page itself.
		while screen | grep -q 'loading older messages\|loading newer messages'; do
			[ "$(date +%s)" -lt "$deadline" ] || fail "a page never arrived"
			sleep 0.02
		done
	done
}

fresh_db
tag=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')

# 1. One message of over a megabyte --------------------------------------------
big=$(escalate health 'Grote Berichten' other 'I will send you everything I have.')
bytes=$(sql botty -v id="$big" -v tag="$tag" <<'SQL'
SELECT balie.post_message(:id, 'customer', 'BIGSTART-' || :'tag' || ' ' || string_agg(
	CASE i % 6
	WHEN 0 THEN 'Zorgverzekering € ' || i || ' — één naïeve café, größer'
	WHEN 1 THEN '日本語のテキストと한국어 ' || i
	WHEN 2 THEN repeat('Onverzekerbaarheidsverklaring', 5) || i
	WHEN 3 THEN 'emoji 😀 👍🏽 🇳🇱 end of paragraph ' || i || E'\n'
	WHEN 4 THEN E'tab\there and a ' || repeat('x', 200)
	ELSE 'plain words that wrap where they can, number ' || i END, ' ')
	|| ' BIGEND-' || :'tag')
FROM generate_series(1, 10900) i \g /dev/null
SELECT octet_length(body) FROM balie.read_messages(:id, 0, 0, 1) WHERE part = 0;
SQL
) || fail "cannot post the big message"
[ "$bytes" -ge 1000000 ] && [ "$bytes" -le 1048576 ] ||
	fail "the big message has $bytes bytes, not 1,000,000..1,048,576"

export BALIE_FRAME_LOG="$E2E_TMP/frames-big.log"
start_console ann
# The list row carries the start of the message only, and says it is cut.
wait_for_screen 'Grote Berichten .*BIGSTART-.*…'
t0=$(now_ms)
keys Enter
wait_for_screen "BIGEND-$tag" 10
echo "1 MB message ($bytes bytes): its end on screen $(( $(now_ms) - t0 )) ms after Enter"
pid=$(console_pid ann)
[ -n "$pid" ] || fail "no console process"
echo "1 MB message: RSS $(rss_kb "$pid") kB with it open"

# Its start, then page by page: every key is answered.
t0=$(now_ms)
keys Home
wait_for_screen "BIGSTART-$tag"
echo "1 MB message: Home answered in $(( $(now_ms) - t0 )) ms"
t0=$(now_ms)
i=0
while [ $i -lt 30 ]; do
	answered NPage
	i=$((i + 1))
done
echo "1 MB message: 30 x PgDn, each waited for, in $(( $(now_ms) - t0 )) ms"
for k in j j k Up Down k; do
	answered $k
done
# A burst: 400 page-downs and End in one go; the end marker shows only once
# every key before it was handled.
t0=$(now_ms)
keys -N 400 NPage
keys End
wait_for_screen "BIGEND-$tag" 20
echo "1 MB message: 400 x PgDn + End in one burst, answered in $(( $(now_ms) - t0 )) ms"
keys Escape
wait_for_no_screen 'talking to:'
keys q
wait_for_screen '^EXIT=0$'
tm kill-server
frame_report "$BALIE_FRAME_LOG" '1 MB message'

# 2. A conversation of 100,000 messages ------------------------------------------
long=$(escalate billing 'Honderd Duizend' customer_request 'message 1 of the long conversation')
t0=$(now_ms)
# As superuser, with the triggers off, seq 3..100000 (1 is the store's AI
# disclosure, 2 the customer's first message) straight into the
# table; then one ordinary update puts message_count right, bumps the
# version and notifies, as 99,999 post_message calls would have.
sql postgres -v id="$long" <<'SQL' || fail "cannot insert 100,000 messages"
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO balie.messages (conversation, seq, author_kind, body, created_at)
SELECT :id, g, CASE WHEN g % 2 = 0 THEN 'bot' ELSE 'customer' END,
	'message ' || g || ' of the long conversation',
	now() - (100000 - g) * interval '1 second'
FROM generate_series(3, 100000) g;
SET LOCAL session_replication_role = origin;
UPDATE balie.conversations SET message_count = 100000 WHERE id = :id;
COMMIT;
SQL
[ "$(echo "SELECT count(*), max(seq), (SELECT message_count FROM balie.conversations
	WHERE id = $long) FROM balie.messages WHERE conversation = $long" | sql postgres)" = \
	'100000|100000|100000' ] || fail "the long conversation is not 100,000 gap-free messages"
echo "100,000 messages inserted in $(( $(now_ms) - t0 )) ms"

export BALIE_FRAME_LOG="$E2E_TMP/frames-long.log"
start_console ann
wait_for_screen 'Honderd Duizend'
pid=$(console_pid ann)
[ -n "$pid" ] || fail "no console process"
deadline=$(( $(date +%s) + 10 ))
while ! screen | grep -q '^> .*Honderd Duizend'; do
	keys j
	[ "$(date +%s)" -lt "$deadline" ] || fail "cannot select the long conversation"
done
t0=$(now_ms)
keys Enter
wait_for_screen 'customer +message 99999 of'
wait_for_screen 'bot +message 100000 of'
echo "100,000 messages: first paint $(( $(now_ms) - t0 )) ms after Enter," \
	"RSS $(rss_kb "$pid") kB"
rss_open=$(rss_kb "$pid")

# At the bottom, a new message arrives at the bottom.
echo "SELECT balie.post_message($long, 'customer', 'fresh arrival A-$tag')" | sql botty >/dev/null
wait_for_screen "^[0-9:]{5} customer +fresh arrival A-$tag"

# 2,000 messages back, one page at a time (each Home at the top loads one).
t0=$(now_ms)
press_until Home 'message 980[0-4][0-9] of' 40
echo "100,000 messages: 2,000 back in $presses pages, $(( $(now_ms) - t0 )) ms," \
	"RSS $(rss_kb "$pid") kB"
rss_back=$(rss_kb "$pid")
# The loaded window is capped: paging back 2,000 more costs no memory to speak of.
press_until Home 'message 960[0-4][0-9] of' 40
rss_back2=$(rss_kb "$pid")
echo "100,000 messages: 4,000 back, RSS $rss_back2 kB"
[ "$asan" = 1 ] || [ "$rss_back2" -le $((rss_back + 4096)) ] ||
	fail "memory grows while paging back: $rss_back kB at 2,000, $rss_back2 kB at 4,000"

# Meanwhile a message arrives: the list row shows it, End shows it in the pane.
echo "SELECT balie.post_message($long, 'customer', 'fresh arrival B-$tag')" | sql botty >/dev/null
wait_for_screen "Honderd Duizend .*fresh arrival B-"
t0=$(now_ms)
keys End
wait_for_screen "^[0-9:]{5} customer +fresh arrival B-$tag"
wait_for_screen "bot +message 100000 of"
echo "100,000 messages: End back to the newest in $(( $(now_ms) - t0 )) ms," \
	"RSS $(rss_kb "$pid") kB"

# Paged back past the window, it lost its newest messages: scrolling down
# loads them again, page by page, up to the newest.
press_until Home 'message 988[0-4][0-9] of' 40
press_until NPage "^[0-9:]{5} customer +fresh arrival B-$tag" 60
echo "100,000 messages: back down to the newest in $presses x PgDn, RSS $(rss_kb "$pid") kB"

# balie watch and the list carry only the start of the last message.
"$BALIE" watch -q -d "$(conninfo ann)" >"$E2E_TMP/watch.out" 2>"$E2E_TMP/watch.err" &
watch_pid=$!
trap 'kill "$watch_pid" 2>/dev/null; e2e_cleanup' EXIT
deadline=$(( $(date +%s) + 10 ))
while [ "$(grep -c '"conv"' "$E2E_TMP/watch.out")" -lt 2 ]; do
	[ "$(date +%s)" -lt "$deadline" ] || fail "balie watch printed nothing"
	sleep 0.05
done
echo "SELECT balie.post_message($big, 'customer', 'one more')" | sql botty >/dev/null
deadline=$(( $(date +%s) + 10 ))
while ! grep -q "\"conv\" *: *$big,.*\"messages\" *: *3[,}]" "$E2E_TMP/watch.out"; do
	[ "$(date +%s)" -lt "$deadline" ] || fail "balie watch did not print the new message count"
	sleep 0.05
done
longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$E2E_TMP/watch.out")
echo "balie watch: longest line $longest bytes, RSS $(rss_kb $watch_pid) kB"
kill "$watch_pid"
wait "$watch_pid" 2>/dev/null
trap e2e_cleanup EXIT
[ "$longest" -lt 1000 ] || fail "balie watch printed a line of $longest bytes"

keys q
wait_for_screen '^EXIT=0$'
frame_report "$BALIE_FRAME_LOG" '100,000 messages'
echo "100,000 messages: RSS $rss_open kB open, $rss_back kB 2,000 back, $rss_back2 kB 4,000 back"
pass
