#!/bin/sh
# balie report: today's figures as CSV that python's csv module reads (a
# header row, RFC 4180), the same as JSON, and the same figures the live
# supervisor screen shows for today: service level, ASA, AHT, FRT and
# abandoned of billing; usage errors exit 2, a refusal exits 1.
. "$(dirname "$0")/lib.sh"

fresh_db
# The SQL of issue 17 (schemas/009_supervisor.sql, branch sql2).
[ "$(echo "SELECT count(*) FROM pg_proc WHERE proname IN ('report', 'abandon')
	AND pronamespace = 'balie'::regnamespace" | sql postgres)" -ge 2 ] || {
	echo "skip ($E2E_NAME): balie.report/abandon are not in this schema yet (009)"
	exit 0
}

# Today in billing: one answered, replied to and closed; one abandoned.
a=$(escalate billing 'Mia de Boer' customer_request 'I was charged twice')
[ "$(echo "SELECT balie.takeover($a)" | sql ann)" = t ] || fail "ann could not take over"
echo "SELECT balie.reply($a, 'Hello Mia, \"quoted\", with a comma')" | sql ann >/dev/null
echo "SELECT balie.close($a)" | sql ann >/dev/null
b=$(escalate billing 'Jan, Pietersen' not_understood 'hello?')
echo "SELECT balie.abandon($b)" | sql botty >/dev/null

"$BALIE" report -d "$(conninfo sue)" --format csv >"$E2E_TMP/r.csv" 2>"$E2E_TMP/err" ||
	fail "report failed: $(cat "$E2E_TMP/err")"
grep -q 'time zone' "$E2E_TMP/err" || fail "the time zone is not stated"
"$BALIE" report -d "$(conninfo sue)" --format json --queue billing >"$E2E_TMP/r.json" 2>/dev/null ||
	fail "json report failed"

# The figures the report gives billing today, as the screen writes them.
python3 - "$E2E_TMP/r.csv" "$E2E_TMP/r.json" >"$E2E_TMP/expect" <<'PY' || fail "the report does not parse"
import csv, json, sys
from decimal import Decimal, ROUND_HALF_UP

with open(sys.argv[1], newline="") as f:
    rows = list(csv.DictReader(f))
assert rows, "no rows"
for col in ("queue", "service_level", "asa_seconds", "abandoned", "aht_seconds", "frt_seconds"):
    assert col in rows[0], "no column " + col
billing = [r for r in rows if r["queue"] == "billing"]
assert len(billing) == 1, billing
r = billing[0]
with open(sys.argv[2]) as f:
    js = json.load(f)
assert len(js) == 1 and js[0]["queue"] == "billing", js

def secs(v):
    if v == "":
        return "-"
    s = int(Decimal(v).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return "%d:%02d" % (s // 60, s % 60) if s < 3600 else "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)

sl = "-" if r["service_level"] == "" else "%d%%" % int(float(r["service_level"]) * 100 + 1e-6)
print("SL %s · ASA %s · AHT %s · FRT %s · abandoned %s" % (
    sl, secs(r["asa_seconds"]), secs(r["aht_seconds"]), secs(r["frt_seconds"]),
    r["abandoned"] or "0"))
PY
expect=$(cat "$E2E_TMP/expect")
case $expect in *"abandoned 1") ;; *) fail "the report counts no abandoned: $expect" ;; esac

# The live screen, same day: the line under billing's name.
start_console sue tmux-256color --supervisor
wait_for_screen 'SUPERVISOR · Sue Visser \(sue\)'
wait_for_screen ' online *$'
wait_for_screen 'abandoned 1'
got=$(screen | grep -A1 '^    Billing & banking' | tail -1 | sed 's/^ *//; s/ · wrap-up.*//; s/ *$//')
[ "$got" = "$expect" ] || fail "screen says '$got', the report '$expect'"

# Usage errors and a refusal.
"$BALIE" report --by week >/dev/null 2>&1; [ $? -eq 2 ] || fail "--by week is not a usage error"
"$BALIE" report --format xml >/dev/null 2>&1; [ $? -eq 2 ] || fail "--format xml is not a usage error"
"$BALIE" report -d "$(conninfo sue)" --from 2026-13-45 >/dev/null 2>"$E2E_TMP/err2"
[ $? -eq 1 ] || fail "a bad date does not exit 1"
grep -q '^balie report: ' "$E2E_TMP/err2" || fail "a bad date is not said in words"

quit_console
pass
