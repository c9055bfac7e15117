#!/bin/sh
# Away in relay mode: the console sends no periodic heartbeat (the relay
# records that an attached agent is here), but going away (idle past
# away_after) and coming back (a key) still reach the store, once each.
. "$(dirname "$0")/lib.sh"
E2E_RELAY=1
E2E_CONFIG='set away_after 2'
fresh_db
start_console ann
wait_for_screen 'relay · online *$' 10
presence() {
	wait_for_sql ann "$1" "$2" <<'SQL'
SELECT balie._presence(last_seen, away, now()) FROM balie.agents WHERE login = 'ann'
SQL
}
presence online 10
# Idle longer than away_after: said at the console's next 10 s tick.
presence away 15
keys j
presence online 5
quit_console
pass
