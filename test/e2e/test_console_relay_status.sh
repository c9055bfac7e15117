#!/bin/sh
# The console in relay mode: the status line says "relay · online"; an
# escalation reaches the screen through the relay (the store sends no NOTIFY
# on balie); an idle console sends no query at all, not even the presence
# heartbeat (query_start unchanged over more than a heartbeat period); a
# killed relay shows as an outage that names it, and once the relay is back
# the console re-reads and shows what happened meanwhile.
. "$(dirname "$0")/lib.sh"
E2E_RELAY=1
fresh_db
start_console ann
wait_for_screen 'relay · online *$' 10
first=$(escalate billing 'Rita Relay' customer_request 'first through the relay')
wait_for_screen 'Rita Relay' 10

backend() {
	sql postgres -c "SELECT state || ' ' || query_start FROM pg_stat_activity
		WHERE datname = current_database() AND usename = 'ann'"
}
before=$(backend)
sleep 11	# longer than the 10 s heartbeat: what is measured is an interval
after=$(backend)
[ -n "$before" ] || fail "no backend for the console"
[ "$before" = "$after" ] || fail "an idle console in relay mode sent a query: '$before' -> '$after'"

kill "$E2E_RELAY_PID"
wait "$E2E_RELAY_PID" 2>/dev/null
E2E_RELAY_PID=
wait_for_screen 'offline' 10
second=$(escalate billing 'Otto Outage' customer_request 'while the relay was away')
"$BALIE" relay -d "$(conninfo postgres)" --socket "$BALIE_RELAY" 2>"$E2E_TMP/relay2.err" &
E2E_RELAY_PID=$!
wait_for_screen 'relay · online *$' 20
wait_for_screen 'Otto Outage' 10
[ -n "$first" ] && [ -n "$second" ] || fail "escalate gave no ids"
keys q
wait_for_screen '^EXIT=0$'
pass
