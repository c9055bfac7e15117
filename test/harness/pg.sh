#!/bin/sh
# A throwaway PostgreSQL server for the test suite.
#
#   pg.sh start DIR     initdb + start a server whose socket lives in DIR, load
#                       schemas/ and the test fixtures into the template database
#   pg.sh stop DIR      stop it (fast mode) and keep DIR
#   pg.sh restart DIR   restart it (the tests use this to cut connections)
#   pg.sh halt DIR      stop it without restarting (tests start it again)
#   pg.sh resume DIR    start a halted server again
#   pg.sh env DIR       print the shell assignments a test needs
#
# As root the server runs as the "postgres" user through runuser, because
# PostgreSQL refuses to run as root.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

find_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -n "$d" ]; then echo "$d"; return; fi
	d=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")
	[ -x "$d/initdb" ] || { echo "pg.sh: cannot find initdb (set PG_BINDIR)" >&2; exit 1; }
	echo "$d"
}

as_server() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

port_in_use() {
	# bash-free probe: ask the kernel who listens.
	if command -v ss >/dev/null 2>&1; then
		ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
		return 1
	fi
	return 1
}

pick_port() {
	# Seeded from the PID so that parallel runs start apart.
	p=$(( 20000 + ($$ * 7919) % 40000 ))
	n=0
	while port_in_use "$p"; do
		p=$(( p + 1 )); n=$((n + 1))
		[ "$p" -lt 65000 ] || p=20000
		[ "$n" -lt 2000 ] || { echo "pg.sh: no free port" >&2; exit 1; }
	done
	echo "$p"
}

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,13p' "$0" >&2; exit 2; }
bindir=$(find_bindir)
data="$dir/data"

psql_admin() {
	"$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$(cat "$dir/port")" -U postgres "$@"
}

start_server() {
	as_server "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null
}

case "$cmd" in
start)
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
	chmod 755 "$dir"
	as_server "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		as_server "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 \
			--locale=C >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	tries=0
	while :; do
		port=$(pick_port)
		as_server sh -c "cat >> '$data/postgresql.conf'" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 400
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
log_line_prefix = '%m [%p] %u@%d '
# balie relay decodes the WAL (logical decoding); fsync stays off here, the
# benchmarks run their own durable server.
wal_level = logical
max_wal_senders = 20
max_replication_slots = 20
max_slot_wal_keep_size = 256MB
CONF
		# initdb's trust pg_hba.conf already allows local and 127.0.0.1
		# replication connections; say so explicitly in case that changes.
		as_server sh -c "grep -q '^local[[:space:]]*replication' '$data/pg_hba.conf' ||
			printf 'local replication all trust\\nhost replication all 127.0.0.1/32 trust\\n' >> '$data/pg_hba.conf'"

		echo "$port" >"$dir/port"
		if start_server; then break; fi
		tries=$((tries + 1))
		[ "$tries" -lt 5 ] || { cat "$dir/server.log" >&2; exit 1; }
	done
	psql_admin -d postgres -c "CREATE DATABASE balie_tmpl"
	# The schema through balie migrate when it is built (as an admin would
	# load it), else with psql file by file.
	if [ -x "$top/balie" ]; then
		"$top/balie" migrate -d "host=$dir port=$port user=postgres dbname=balie_tmpl" \
			>"$dir/migrate.log" || { cat "$dir/migrate.log" >&2; exit 1; }
	else
		for f in "$top"/schemas/*.sql; do
			psql_admin -d balie_tmpl -f "$f" >/dev/null
		done
	fi
	psql_admin -d balie_tmpl -f "$here/fixtures.sql" >/dev/null
	;;
stop)
	[ -f "$data/postmaster.pid" ] || exit 0
	as_server "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
	;;
halt)
	as_server "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
	;;
resume)
	start_server
	;;
restart)
	as_server "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
	start_server
	;;
env)
	echo "BALIE_TEST_PGDIR='$dir'"
	echo "BALIE_TEST_PGPORT='$(cat "$dir/port")'"
	echo "BALIE_TEST_PGBIN='$bindir'"
	echo "BALIE_TEST_HARNESS='$here/pg.sh'"
	;;
*)
	sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
