#!/bin/sh
# The console's end-to-end tests once more in relay mode: each script's
# database in relay mode (no NOTIFY on balie), a `balie relay` for it, and
# the console attached through it (BALIE_RELAY), so both feeds pass the same
# tests. The status line says which feed is used.
top=$(cd "$(dirname "$0")/../.." && pwd)
status=0
for t in test_console_takeover test_console_editor test_console_hostile; do
	[ -f "$top/test/e2e/$t.sh" ] || continue
	if out=$(E2E_RELAY=1 sh "$top/test/e2e/$t.sh" 2>&1); then
		echo "ok ($t, relay mode)"
	else
		echo "$out"
		echo "FAIL (test_console_relay): $t in relay mode"
		status=1
	fi
done
[ "$status" = 0 ] && echo "ok (test_console_relay)"
exit "$status"
