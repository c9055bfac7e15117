#!/bin/bash
# make bench: starts a throwaway PostgreSQL of its own, runs the benchmark
# programs (built by test/bench/bench.mk into build/bench/), prints one table
# and writes it to build/bench/results.txt. See test/bench/BENCHMARKS.md.
#
# Sizes can be made smaller (or larger) through the environment:
#   BENCH_ROUNDS       consoles:events per round   (1:100,50:60,200:40,500:25)
#   BENCH_RAW          raw LISTEN counts           (0,50,200,500)
#   BENCH_WRITERS      writer connections          (4)
#   BENCH_SECONDS      seconds per throughput run  (5)
#   BENCH_PINGS        bare NOTIFY round trips     (500)
#   BENCH_POLL_EVENTS  events in the polling test  (20)
#   BENCH_IDLE         idle seconds counted        (30)
#   BENCH_RACERS       racing agents               (200)
#   BENCH_RACE_CONVS   conversations raced over    (10000)
#   BENCH_RACE_WINDOW  rows an agent picks from    (50)
#   BENCH_TAKEOVERS    takeover keys pressed       (50)
#   BENCH_BIG          open conversations          (50000)
#   BENCH_BALIE        the balie binary to measure  (./balie)
#   BENCH_PARTS        which parts run             (floor fanout poll race tui relay)
#   RELAY_*            the relay part's sizes: see test/bench/relay.sh
#   BENCH_KEEP_PG=1    keep the server's directory for a look
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=build/bench
mkdir -p "$out" "$out/config/balie"
: >"$out/config/balie/config"
raw=$out/raw.txt
log=$out/log.txt
results=$out/results.txt
: >"$raw"
: >"$log"
: >"$out/watch.err"

ROUNDS=${BENCH_ROUNDS:-1:100,50:60,200:40,500:25}
RAW=${BENCH_RAW:-0,50,200,500}
WRITERS=${BENCH_WRITERS:-4}
SECONDS_PER_RUN=${BENCH_SECONDS:-5}
PINGS=${BENCH_PINGS:-500}
POLL_EVENTS=${BENCH_POLL_EVENTS:-20}
IDLE=${BENCH_IDLE:-30}
RACERS=${BENCH_RACERS:-200}
RACE_CONVS=${BENCH_RACE_CONVS:-10000}
RACE_WINDOW=${BENCH_RACE_WINDOW:-50}
TAKEOVERS=${BENCH_TAKEOVERS:-50}
BIG=${BENCH_BIG:-50000}
BALIE=${BENCH_BALIE:-./balie}
PARTS=" ${BENCH_PARTS:-floor fanout poll race tui relay} "

for p in notify_floor bench_fanout bench_poll bench_race bench_tui; do
	[ -x "$out/$p" ] || { echo "run.sh: $out/$p is not built (make bench)" >&2; exit 1; }
done
[ -x "$BALIE" ] || { echo "run.sh: $BALIE is not built (make)" >&2; exit 1; }
command -v psql >/dev/null || PATH=$PATH:$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

# 500 consoles hold a pipe each here and a socket each in their own process.
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 2048 ] ||
		echo "run.sh: warning: ulimit -n is $(ulimit -n); 500 consoles need about 1100" >&2
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/balie-bench.XXXXXX")
cleanup() {
	test/harness/pg.sh stop "$dir" >/dev/null 2>&1 || true
	if [ -n "${BENCH_KEEP_PG:-}" ]; then
		echo "run.sh: kept $dir" >&2
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

as_server() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

started=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: starting a PostgreSQL server in $dir" >&2
test/harness/pg.sh start "$dir"
# Our own limits: 500 consoles, writers and racers need more than the
# test suite's 400 connections; pg_stat_statements counts the queries.
as_server sh -c "cat >> '$dir/data/postgresql.conf'" <<'CONF'
max_connections = 700
shared_preload_libraries = 'pg_stat_statements'
CONF
test/harness/pg.sh restart "$dir"
eval "$(test/harness/pg.sh env "$dir")"
export BENCH_PGHOST=$BALIE_TEST_PGDIR BENCH_PGPORT=$BALIE_TEST_PGPORT
pgver=$("$BALIE_TEST_PGBIN/psql" -X -A -t -h "$BENCH_PGHOST" -p "$BENCH_PGPORT" -U postgres \
	-d postgres -c 'SHOW server_version')

newdb() {
	"$BALIE_TEST_PGBIN/psql" -X -q -h "$BENCH_PGHOST" -p "$BENCH_PGPORT" -U postgres -d postgres \
		-c "CREATE DATABASE $1 TEMPLATE balie_tmpl"
}

# Runs one program: results to raw.txt, progress to the terminal and log.txt.
run() {
	local status
	echo "bench: --- $*" >&2
	set +e
	"$@" 2> >(tee -a "$log" >&2) | tee -a "$raw" | grep -v '^R '
	status=${PIPESTATUS[0]}
	set -e
	[ "$status" = 0 ] || { echo "run.sh: $1 failed (see $log)" >&2; exit 1; }
}

for d in bench_floor bench_fanout bench_poll bench_race bench_take bench_big; do newdb "$d"; done

part() { case $PARTS in *" $1 "*) return 0 ;; esac; return 1; }
part floor && run "$out/notify_floor" bench_floor "$PINGS" "$RAW" "$WRITERS" "$SECONDS_PER_RUN"
part fanout && run "$out/bench_fanout" bench_fanout "$BALIE" "$ROUNDS" "$WRITERS" "$SECONDS_PER_RUN"
part poll && run "$out/bench_poll" bench_poll "$BALIE" "$POLL_EVENTS" "$IDLE"
part race && run "$out/bench_race" bench_race "$RACERS" "$RACE_CONVS" "$RACE_WINDOW"
part tui && run "$out/bench_tui" bench_take bench_big "$BALIE" "$TAKEOVERS" "$BIG"
# The relay on a durable server of its own (test/bench/relay.sh).
part relay && { BENCH_BALIE=$BALIE test/bench/relay.sh || exit 1; }

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo "machine $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)," \
		"$(free -g | awk '/^Mem:/ { print $2 }') GiB memory, PostgreSQL $pgver"
	echo "run $(date -u '+%Y-%m-%d %H:%M UTC'), $(( $(date +%s) - started )) s;" \
		"load average $load_start at start, $load_end at end"
	echo "params balie=$BALIE writers=$WRITERS seconds=$SECONDS_PER_RUN rounds=$ROUNDS"
} >"$out/machine.txt"

test/bench/table.awk "$out/machine.txt" "$raw" >"$results"
echo
cat "$results"
echo
echo "bench: table written to $results (raw figures: $raw)" >&2
