#!/bin/sh
# make demo: a live contact center in one command, on a fresh Debian machine.
#
# Installs what is missing, builds balie, starts a private PostgreSQL cluster
# (Unix socket only, no TCP port) in build/demo/, loads the schema, the demo
# queues and people, starts `balie sim` (customers and a chatbot) and `balie
# relay` (the change feed: the cluster has wal_level=logical) in the
# background and opens the console attached to the relay. Quitting the console stops what this
# script started, also on Ctrl-C, a closed terminal or a failure. The next
# run reuses the cluster. As root the server runs as the postgres user.
#
# Environment (make passes ROLE through):
#   ROLE=agent|agent2|supervisor  who the console logs in as (default agent)
#   DEMO_DIR=DIR        where the cluster lives (default build/demo)
#   DEMO_SIM_ARGS=...   more options for balie sim (e.g. --speed 3 --lang en)
#   DEMO_SMOKE=1        no console: set up, wait until conversations arrive,
#                       print a summary and stop everything (tests, CI)
#   DEMO_NO_INSTALL=1   never install packages, only say what is missing
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
MAKE=${MAKE:-make}
ROLE=${ROLE:-agent}
say() { printf 'balie demo: %s\n' "$*"; }
die() { printf 'balie demo: %s\n' "$*" >&2; exit 1; }

case "$ROLE" in
agent) login=demo_agent; extra= ;;
agent2) login=demo_agent2; extra= ;;
supervisor) login=demo_supervisor; extra=--supervisor ;;
*) die "unknown ROLE '$ROLE': use agent, agent2 or supervisor" ;;
esac

# ------------------------------------------------------------- packages

# What building and running the demo needs on Debian (util-linux, for
# runuser and flock, is essential there and always present).
packages="build-essential pkg-config postgresql libpq-dev libncurses-dev libuv1-dev procps"
if command -v dpkg-query >/dev/null 2>&1; then
	missing=
	for p in $packages; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		cmd="apt-get install -y --no-install-recommends$missing"
		if [ -n "${DEMO_NO_INSTALL:-}" ]; then
			die "missing packages:$missing
Install them as root with:
    apt-get update && $cmd"
		elif [ "$(id -u)" = 0 ]; then
			say "installing$missing"
			apt-get update -q
			# shellcheck disable=SC2086
			DEBIAN_FRONTEND=noninteractive $cmd
		elif command -v sudo >/dev/null 2>&1; then
			say "installing$missing (through sudo)"
			sudo apt-get update -q
			# shellcheck disable=SC2086 # $cmd is a command line, split on purpose
			sudo DEBIAN_FRONTEND=noninteractive $cmd
		else
			die "missing packages:$missing (and no sudo)
Install them as root with:
    apt-get update && $cmd
then run make demo again."
		fi
	fi
else
	say "not a Debian system: make sure a C compiler, pkg-config, PostgreSQL (server and libpq), ncursesw and libuv are installed"
fi

# ---------------------------------------------------------------- build

# In parallel, unless make was already told how (then its jobserver rules).
jobs=-j$(nproc 2>/dev/null || echo 2)
flags=" ${MAKEFLAGS:-}"
case "${flags%% -- *}" in *j*) jobs= ;; esac
# shellcheck disable=SC2086 # empty when make runs the jobs
$MAKE -s $jobs balie >/dev/null || die "the build failed (see above)"

# The console draws UTF-8 (names, €); a C/POSIX locale would garble them.
case "$(locale charmap 2>/dev/null || echo unknown)" in
UTF-8) ;;
*) export LC_ALL=C.UTF-8 ;;
esac

# ---------------------------------------------------------- the cluster

bindir=
# shellcheck disable=SC2012 # version directories have plain names
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do bindir=$d; done
if [ -z "$bindir" ]; then
	d=$(command -v initdb 2>/dev/null || true)
	[ -n "$d" ] || die "cannot find initdb (set PATH to PostgreSQL's bin directory)"
	bindir=$(dirname "$d")
fi

as_server() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Makes DIR the cluster's home, owned by whoever runs the server; fails when
# the server could not reach it (as root: a checkout under /root) or its
# socket path would be too long for the kernel.
prepare_dir() {
	mkdir -p "$1" 2>/dev/null || return 1
	[ ${#1} -lt 90 ] || return 1
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || die "there is no postgres user (is the postgresql package installed?)"
		chown postgres "$1" && chmod 700 "$1" || return 1
		runuser -u postgres -- test -w "$1" -a -x "$1" 2>/dev/null || return 1
	else
		chmod 700 "$1" || return 1
	fi
}

dir=${DEMO_DIR:-$top/build/demo}
case "$dir" in /*) ;; *) dir=$top/$dir ;; esac
if ! prepare_dir "$dir"; then
	# Same checkout, same place next time: the name comes from the path.
	alt=/var/tmp/balie-demo-$(id -u)-$(printf '%s' "$dir" | cksum | cut -d' ' -f1)
	prepare_dir "$alt" || die "cannot prepare $dir for the server, nor $alt"
	say "the server cannot use $dir (path not reachable by the postgres user, or too long): using $alt"
	dir=$alt
fi
data=$dir/data
port=54329		# names the socket file only: listen_addresses is empty
psql_admin() {
	"$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres "$@"
}

sim_pid=
relay_pid=
owner=0
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	status=$?
	trap - EXIT INT TERM HUP
	for p in $sim_pid $relay_pid; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ "$owner" = 1 ]; then
		as_server "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
		rm -f "$dir/demo.pid"
		say "stopped the simulator and the server"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# One setup at a time, when two terminals start at once.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$dir/setup.lock"
	flock 9
fi

first=0
if [ ! -f "$data/PG_VERSION" ]; then
	first=1
	say "creating a PostgreSQL cluster in $dir (first run only)"
	rm -rf "$data"
	as_server "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
		>"$dir/initdb.log" 2>&1 ||
		as_server "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C \
			>"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; die "initdb failed"; }
	# Trust over a socket in a 0700 directory: only this user (and root) can
	# reach it. No TCP at all, so no port can clash with another server.
	as_server sh -c "cat >> '$data/postgresql.conf'" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$dir'
unix_socket_permissions = 0700
synchronous_commit = off
log_min_messages = warning
log_line_prefix = '%m [%p] %u@%d '
CONF
fi
# balie relay decodes the WAL: logical decoding, a bound on what a stopped
# relay's slot may keep (also for clusters made by an older demo).
if ! grep -q '^wal_level = logical' "$data/postgresql.conf"; then
	as_server sh -c "cat >> '$data/postgresql.conf'" <<CONF
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
max_slot_wal_keep_size = 256MB
CONF
	# A server left running by an older demo takes it at a restart.
	other=$(cat "$dir/demo.pid" 2>/dev/null || true)
	if as_server "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1 &&
		! { [ -n "$other" ] && kill -0 "$other" 2>/dev/null; }; then
		as_server "$bindir/pg_ctl" -D "$data" -m fast -w restart -l "$dir/server.log" \
			>/dev/null 9>&-
	fi
fi

joined=0
if as_server "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
	other=$(cat "$dir/demo.pid" 2>/dev/null || true)
	if [ -n "$other" ] && kill -0 "$other" 2>/dev/null; then
		joined=1
		say "joining the demo already running (process $other); it stops when that one quits"
	else
		owner=1		# left behind by a demo that was killed: ours now
		echo $$ >"$dir/demo.pid"
	fi
else
	owner=1
	echo $$ >"$dir/demo.pid"
	# 9>&-: the server must not hold the setup lock for its lifetime.
	as_server "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null 9>&- ||
		{ tail -n 20 "$dir/server.log" >&2; die "the server did not start (log: $dir/server.log)"; }
fi

if [ "$joined" = 0 ]; then
	if [ "$(psql_admin -d postgres -At -c "SELECT count(*) FROM pg_database WHERE datname = 'balie'")" = 0 ]; then
		psql_admin -d postgres -c "CREATE DATABASE balie"
	fi
	# Applying the schema again changes nothing, and upgrades an older one.
	"$top/balie" migrate -d "host=$dir port=$port user=postgres dbname=balie" >/dev/null ||
		die "balie migrate could not load the schema (see above)"
	psql_admin -d balie >/dev/null <<'SQL'
SET client_min_messages = warning;
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['demo_agent', 'demo_agent2', 'demo_supervisor', 'demo_bot'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I LOGIN', r);
		END IF;
	END LOOP;
	IF NOT pg_catalog.pg_has_role('demo_bot', 'balie_bot', 'MEMBER') THEN
		GRANT balie_bot TO demo_bot;
	END IF;
	-- The relay's own role: it may decode the WAL and redeem tickets.
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'demo_relay') THEN
		CREATE ROLE demo_relay LOGIN REPLICATION;
	END IF;
	IF NOT pg_catalog.pg_has_role('demo_relay', 'balie_relay', 'MEMBER') THEN
		GRANT balie_relay TO demo_relay;
	END IF;
END $$;
-- Finance, health and government want a person sooner than delivery.
SELECT balie.add_queue('health', 'Health insurance', 90, 9);
SELECT balie.add_queue('banking', 'Banking & payments', 120, 8);
SELECT balie.add_queue('municipality', 'Municipality services', 180, 7);
SELECT balie.add_queue('energy', 'Energy & meter readings', 300, 4);
SELECT balie.add_queue('parcels', 'Parcel delivery', 600, 2);
-- A bot acts only where it is registered (schema 005).
SELECT balie.add_bot('demo_bot', ARRAY['health', 'banking', 'municipality', 'energy', 'parcels']);
SELECT balie.add_agent('demo_agent', 'Anna de Vries',
	ARRAY['health', 'banking', 'municipality', 'energy', 'parcels']);
SELECT balie.add_agent('demo_agent2', 'Bram Jansen', ARRAY['banking', 'energy', 'parcels']);
SELECT balie.add_agent('demo_supervisor', 'Sara Bakker',
	ARRAY['health', 'banking', 'municipality', 'energy', 'parcels'], true);
-- Customers of an earlier run have gone home: their chats end, their
-- history stays (it shows as the customer's earlier conversations).
SET SESSION AUTHORIZATION demo_supervisor;
SELECT balie.close(id, 'The demo was restarted') FROM balie.read_conversations();
RESET SESSION AUTHORIZATION;
-- Writes send no NOTIFY on balie: the consoles get changes from the relay.
SELECT balie.set_feed('relay');
SQL
	rm -f "$dir/relay.sock"
	"$top/balie" relay -d "host=$dir port=$port dbname=balie user=demo_relay" \
		--socket "$dir/relay.sock" >"$dir/relay.log" 2>&1 9>&- &
	relay_pid=$!
	deadline=$(( $(date +%s) + 20 ))
	until grep -q streaming "$dir/relay.log"; do
		kill -0 "$relay_pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ] ||
			{ cat "$dir/relay.log" >&2; die "balie relay did not start (log: $dir/relay.log)"; }
		sleep 0.1
	done
	# shellcheck disable=SC2086 # DEMO_SIM_ARGS holds several options
	"$top/balie" sim -d "host=$dir port=$port dbname=balie user=demo_bot" \
		--rate 6 --burst 5 ${DEMO_SIM_ARGS:-} >"$dir/sim.log" 2>&1 9>&- &
	sim_pid=$!
fi
[ "${first}" = 1 ] && say "cluster ready"
if command -v flock >/dev/null 2>&1; then
	exec 9>&-
fi

conn() {
	echo "host=$dir port=$port dbname=balie user=$1"
}

if [ -n "${DEMO_SMOKE:-}" ]; then
	# Without a screen: conversations must arrive, and one must escalate.
	deadline=$(( $(date +%s) + ${DEMO_SMOKE_SECONDS:-30} ))
	while :; do
		got=$(psql_admin -d balie -At -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE state = 'waiting')
			FROM balie.conversations WHERE created_at > now() - interval '10 minutes'")
		# shellcheck disable=SC2086
		set -- $got
		[ "$1" -ge 3 ] && [ "$2" -ge 1 ] && break
		[ -n "$sim_pid" ] && ! kill -0 "$sim_pid" 2>/dev/null &&
			{ cat "$dir/sim.log" >&2; die "balie sim stopped"; }
		[ "$(date +%s)" -lt "$deadline" ] || die "no conversations arrived (log: $dir/sim.log)"
		sleep 0.2
	done
	"$top/balie" relay --socket "$dir/relay.sock" --status >"$dir/relay.status" 2>&1 ||
		{ cat "$dir/relay.status" >&2; die "the relay does not answer (log: $dir/relay.log)"; }
	say "smoke test passed: $1 conversations, $2 waiting for a person; relay: $(head -n 1 "$dir/relay.status")"
	exit 0
fi

cat <<EOF
balie demo: customers and a chatbot are live (balie sim; log: $dir/sim.log);
  changes reach the consoles through balie relay (log: $dir/relay.log).
  Opening the console as $login. Keys: j/k move, Enter opens, t takes over,
  r replies, h hands back to the bot, c closes, ? help, q quits (and stops
  the demo).
  A second agent, in another terminal:
    make demo ROLE=agent2
  or
    ./balie -d "$(conn demo_agent2)" --relay $dir/relay.sock
  The supervisor:
    ./balie -d "$(conn demo_supervisor)" --relay $dir/relay.sock --supervisor
EOF
set +e
# shellcheck disable=SC2086
"$top/balie" -d "$(conn "$login")" --relay "$dir/relay.sock" $extra
status=$?
set -e
exit "$status"
