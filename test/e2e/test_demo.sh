#!/bin/sh
# make demo from the user's side: one command brings up a private server, the
# simulator and the console; conversations arrive on the screen; Enter and t
# take one over and the customer talks on to the person; q stops everything
# the demo started. A second run reuses the cluster (DEMO_SMOKE=1, no screen)
# and is quick; a wrong ROLE is refused before anything starts.
. "$(dirname "$0")/lib.sh"

# Its own cluster directory, away from the developer's build/demo; /tmp so
# that the postgres user can reach it when the tests run as root.
DEMO_DIR=$(mktemp -d /tmp/balie-demo-e2e.XXXXXX)
SESSION=demo
PG=$BALIE_TEST_PGBIN

# Whatever happens, nothing of the demo may outlive the test.
demo_cleanup() {
	tm kill-server 2>/dev/null
	for pid in $(pgrep -f -- "$DEMO_DIR" 2>/dev/null); do
		kill "$pid" 2>/dev/null
	done
	if [ -f "$DEMO_DIR/data/postmaster.pid" ]; then
		if [ "$(id -u)" = 0 ]; then
			runuser -u postgres -- "$PG/pg_ctl" -D "$DEMO_DIR/data" -m immediate stop >/dev/null 2>&1
		else
			"$PG/pg_ctl" -D "$DEMO_DIR/data" -m immediate stop >/dev/null 2>&1
		fi
	fi
	rm -rf "$DEMO_DIR"
	e2e_cleanup
}
trap demo_cleanup EXIT

demo_sql() {
	"$PG/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$DEMO_DIR" -p 54329 -U postgres -d balie "$@"
}

# wait_for_demo_sql EXPECTED SECONDS SQL
wait_for_demo_sql() {
	deadline=$(( $(date +%s) + $2 ))
	while :; do
		got=$(demo_sql -c "$3" 2>&1)
		[ "$got" = "$1" ] && return 0
		[ "$(date +%s)" -lt "$deadline" ] || fail "demo database gave '$got', not '$1': $3"
		sleep 0.1
	done
}

# wait_for_demo PATTERN SECONDS: like wait_for_screen, but gives up at once
# when the demo has ended (a failed build or setup prints why).
wait_for_demo() {
	deadline=$(( $(date +%s) + $2 ))
	while ! screen | grep -Eq -- "$1"; do
		screen | grep -q '^EXIT=' && fail "the demo ended before the screen showed /$1/"
		[ "$(date +%s)" -lt "$deadline" ] || fail "screen never showed /$1/"
		sleep 0.05
	done
}

# Nothing the demo started may still run: no server of its directory, no sim.
assert_all_stopped() {
	deadline=$(( $(date +%s) + 10 ))
	while pgrep -f -- "$DEMO_DIR" >/dev/null; do
		[ "$(date +%s)" -lt "$deadline" ] ||
			fail "still running after the demo ended: $(pgrep -a -f -- "$DEMO_DIR")"
		sleep 0.1
	done
	[ ! -e "$DEMO_DIR/data/postmaster.pid" ] || fail "the demo server did not shut down"
}

cd "$E2E_TOP" || fail "no checkout"
ROLE=bogus make -s demo >"$E2E_TMP/bogus.out" 2>&1 && fail "ROLE=bogus was accepted"
grep -q "unknown ROLE 'bogus'" "$E2E_TMP/bogus.out" || fail "no word about ROLE=bogus: $(cat "$E2E_TMP/bogus.out")"

# First run: creates the cluster. A quick simulator so the test is short.
cat >"$E2E_TMP/demo.sh" <<EOF
#!/bin/sh
cd "$E2E_TOP"
export TERM=tmux-256color LC_ALL=C.UTF-8 XDG_CONFIG_HOME=$E2E_TMP/config
export DEMO_DIR="$DEMO_DIR" DEMO_SIM_ARGS="--speed 5 --seed 12"
make -s demo
echo "EXIT=\$?"
exec sleep 600
EOF
chmod +x "$E2E_TMP/demo.sh"
mkdir -p "$E2E_TMP/config/balie"
: >"$E2E_TMP/config/balie/config"
tm new-session -d -s "$SESSION" -x 100 -y 30 "$E2E_TMP/demo.sh" || fail "cannot start tmux"

wait_for_demo 'Anna de Vries \(demo_agent\)' 60
wait_for_demo 'relay · online *$' 10
# The simulator's customers arrive on their own; one gets escalated.
wait_for_demo '^. (BOT|WAIT) ' 20
wait_for_demo '^. WAIT .*(customer_request|not_understood|sensitive_topic|negative_sentiment|bot_error)' 30
[ "$(demo_sql -c "SELECT count(*) FROM balie.queues")" = 5 ] || fail "the demo has not five queues"

# Take the first waiting conversation over, as an agent would.
keys g
wait_for_screen '^> WAIT ' 10
keys Enter
wait_for_screen 'talking to: ' 5
keys t
wait_for_screen 'talking to: HUMAN \(Anna de Vries\)' 10
wait_for_demo_sql 1 10 "SELECT count(*) FROM balie.conversations WHERE agent = 'demo_agent' AND state = 'human'"
conv=$(demo_sql -c "SELECT id FROM balie.conversations WHERE agent = 'demo_agent' AND state = 'human'")
# The bot is quiet; the customer tells the person more.
wait_for_demo_sql 1 20 "SELECT least(count(*), 1) FROM balie.messages m WHERE m.conversation = $conv
	AND m.author_kind = 'customer' AND m.seq > (SELECT max(seq) FROM balie.messages
	WHERE conversation = $conv AND author_kind = 'system')"
[ "$(demo_sql -c "SELECT count(*) FROM balie.messages m WHERE m.conversation = $conv
	AND m.author_kind = 'bot' AND m.seq > (SELECT max(seq) FROM balie.messages
	WHERE conversation = $conv AND author_kind = 'system')")" = 0 ] ||
	fail "the bot spoke after the takeover"

keys q
wait_for_screen '^EXIT=0$' 20
screen | grep -q 'stopped the simulator and the server' || fail "the demo did not say it stopped"
screen | grep -q "balie -d \"host=$DEMO_DIR port=54329 dbname=balie user=demo_agent2\"" ||
	fail "no command for a second agent"
assert_all_stopped
tm kill-server

# Second run, without a screen: the cluster is reused and it is quick.
start=$(date +%s)
DEMO_DIR=$DEMO_DIR DEMO_SMOKE=1 DEMO_SIM_ARGS="--speed 10 --burst 5" make -s demo \
	>"$E2E_TMP/smoke.out" 2>&1 || fail "second run failed: $(cat "$E2E_TMP/smoke.out")"
took=$(( $(date +%s) - start ))
grep -q 'smoke test passed' "$E2E_TMP/smoke.out" || fail "no smoke result: $(cat "$E2E_TMP/smoke.out")"
grep -q 'creating a PostgreSQL cluster' "$E2E_TMP/smoke.out" && fail "the second run made a new cluster"
[ "$took" -le 20 ] || fail "the second run took ${took}s"
assert_all_stopped
pass
