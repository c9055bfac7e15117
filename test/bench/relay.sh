#!/bin/bash
# The relay's figures (make bench, part "relay"; or alone: test/bench/relay.sh
# after make bench-build). Starts its own DURABLE PostgreSQL (fsync = on,
# synchronous_commit = on, full_page_writes = on, wal_level = logical) and
# measures, on the same server:
#   notify mode: post_message commits/s with 0, 200 and 1,000 raw LISTEN
#     connections that only drain (notify_floor);
#   relay mode: post_message commits/s with `balie relay` running and 0, 200
#     and 1,000 attachments (one load process multiplexes them); relay CPU
#     per change and memory per attachment from /proc; then event -> client
#     latency with the largest count attached while writers post open-loop
#     at RELAY_RATE commits/s for RELAY_LAT_SECONDS.
# Sizes: RELAY_COUNTS (0,200,1000), NOTIFY_COUNTS (0,200,1000),
# BENCH_WRITERS (4), BENCH_SECONDS (5), RELAY_RATE (500),
# RELAY_LAT_SECONDS (60). Raw "R name value" lines go to
# build/bench/relay_raw.txt, the table to build/bench/relay_results.txt.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=build/bench
mkdir -p "$out"
raw=$out/relay_raw.txt
log=$out/relay_log.txt
: >"$raw"
: >"$log"
RELAY_COUNTS=${RELAY_COUNTS:-0,200,1000}
NOTIFY_COUNTS=${NOTIFY_COUNTS:-0,200,1000}
WRITERS=${BENCH_WRITERS:-4}
SECS=${BENCH_SECONDS:-5}
RATE=${RELAY_RATE:-500}
LAT=${RELAY_LAT_SECONDS:-60}
BALIE=${BENCH_BALIE:-./balie}
for p in notify_floor bench_relay; do
	[ -x "$out/$p" ] || { echo "relay.sh: $out/$p is not built (make bench-build)" >&2; exit 1; }
done
command -v psql >/dev/null || PATH=$PATH:$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/balie-relaybench.XXXXXX")
relay_pid=
cleanup() {
	[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null
	test/harness/pg.sh stop "$dir" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
as_server() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

started=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "relay bench: starting a durable PostgreSQL server in $dir" >&2
test/harness/pg.sh start "$dir"
as_server sh -c "cat >> '$dir/data/postgresql.conf'" <<'CONF'
# make bench: durable, as production runs
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 1300
CONF
test/harness/pg.sh restart "$dir"
eval "$(test/harness/pg.sh env "$dir")"
export BENCH_PGHOST=$BALIE_TEST_PGDIR BENCH_PGPORT=$BALIE_TEST_PGPORT
P() { "$BALIE_TEST_PGBIN/psql" -X -q -A -t -h "$BENCH_PGHOST" -p "$BENCH_PGPORT" -U postgres "$@"; }
pgver=$(P -d postgres -c 'SHOW server_version')
durable=$(P -d postgres -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings
	WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_level')")
for d in bench_notify bench_relay; do P -d postgres -c "CREATE DATABASE $d TEMPLATE balie_tmpl"; done

run() {
	local status
	echo "relay bench: --- $*" >&2
	set +e
	"$@" 2> >(tee -a "$log" >&2) | tee -a "$raw" | grep -v '^R '
	status=${PIPESTATUS[0]}
	set -e
	[ "$status" = 0 ] || { echo "relay.sh: $1 failed (see $log)" >&2; exit 1; }
}

# notify mode (the default feed): raw listeners beside the writers.
run "$out/notify_floor" bench_notify 50 "$NOTIFY_COUNTS" "$WRITERS" "$SECS"

# relay mode: no NOTIFY on balie; the relay decodes the WAL.
P -d bench_relay -c "SELECT balie.set_feed('relay')" >/dev/null
sock=$dir/relay.sock
"$BALIE" relay -d "host=$BENCH_PGHOST port=$BENCH_PGPORT user=postgres dbname=bench_relay" \
	--socket "$sock" 2>>"$log" &
relay_pid=$!
deadline=$(( $(date +%s) + 30 ))
until grep -q streaming "$log"; do
	[ "$(date +%s)" -lt "$deadline" ] || { echo "relay.sh: the relay never streamed" >&2; exit 1; }
	sleep 0.1
done
run "$out/bench_relay" bench_relay "$sock" "$relay_pid" "$RELAY_COUNTS" "$WRITERS" "$SECS" "$RATE" "$LAT"
# Clients, changes/s and slot lag as the relay reports them at the end.
"$BALIE" relay --socket "$sock" --status >"$out/relay_status.txt" 2>&1 || true

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(free -g | awk '/^Mem:/ { print $2 }') GiB, PostgreSQL $pgver"
	echo "server: $durable"
	echo "run: $(date -u '+%Y-%m-%d %H:%M UTC'), $(( $(date +%s) - started )) s; load average $load_start at start, $load_end at end"
	echo "relay --status at the end: $(head -n 1 "$out/relay_status.txt")"
	echo "params: writers=$WRITERS seconds=$SECS relay_counts=$RELAY_COUNTS notify_counts=$NOTIFY_COUNTS rate=$RATE lat_seconds=$LAT"
	echo
	printf '%-34s %s\n' figure value
	grep '^R ' "$raw" | awk '{ printf "%-34s %s\n", $2, $3 }'
} >"$out/relay_results.txt"
cat "$out/relay_results.txt"
