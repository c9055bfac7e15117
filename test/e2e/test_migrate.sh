#!/bin/sh
# balie migrate against the harness's server: a fresh database gets every
# schema file; a database one version behind, with data, is upgraded and
# keeps its rows; a second run changes nothing; a database newer than the
# binary is refused (exit 3, nothing changed); a missing schema directory, a
# broken file and a bad command line are clear errors; a failing file
# leaves nothing of itself behind.
. "$(dirname "$0")/lib.sh"
# The messages checked below are the English ones.
unset LANGUAGE
LC_ALL=C.UTF-8; export LC_ALL

SCHEMAS=$E2E_TOP/schemas
newest=$(ls "$SCHEMAS" | sed -n 's/^0*\([0-9][0-9]*\)_.*\.sql$/\1/p' | sort -n | tail -n 1)
count=$(ls "$SCHEMAS" | grep -c '^[0-9][0-9]*_.*\.sql$')

admin() {	# SQL on $DB as the superuser, values unaligned
	sql postgres -c "$1"
}
migrate() {	# runs balie migrate on $DB, output in $E2E_TMP/out, sets rc
	"$BALIE" migrate -d "$(conninfo postgres)" "$@" >"$E2E_TMP/out" 2>&1 </dev/null
	rc=$?
}
empty_db() {
	DB=e2e_migrate_$1_$$
	"$BALIE_TEST_PGBIN/psql" -X -q -h "$BALIE_TEST_PGDIR" -p "$BALIE_TEST_PGPORT" \
		-U postgres -d postgres -c "CREATE DATABASE \"$DB\"" >/dev/null ||
		fail "cannot create database $DB"
}
drop_db() {
	"$BALIE_TEST_PGBIN/dropdb" -h "$BALIE_TEST_PGDIR" -p "$BALIE_TEST_PGPORT" \
		-U postgres --if-exists --force "$DB"
	DB=
}
expect() {	# rc pattern: the last run exited rc and said pattern
	[ "$rc" = "$1" ] || fail "exit $rc, not $1: $(cat "$E2E_TMP/out")"
	grep -Eq -- "$2" "$E2E_TMP/out" || fail "did not say /$2/: $(cat "$E2E_TMP/out")"
}
# Everything that describes the schema: tables, columns, functions, policies.
catalogue() {
	admin "SELECT pg_catalog.md5(pg_catalog.string_agg(x, ',' ORDER BY x)) FROM (
		SELECT c.relname || '.' || a.attname || ':' || a.atttypid::regtype::text AS x
		  FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
		 WHERE c.relnamespace = 'balie'::regnamespace AND a.attnum > 0
		UNION ALL SELECT p.oid::regprocedure::text || pg_catalog.md5(p.prosrc)
		  FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'balie'::regnamespace
		UNION ALL SELECT polname || pg_catalog.pg_get_expr(polqual, polrelid)
		  FROM pg_catalog.pg_policy) s"
}

# A fresh database: every file, in order, each version recorded.
empty_db fresh
migrate
expect 0 "applied 001_core\.sql"
[ "$(grep -c '^applied ' "$E2E_TMP/out")" = "$count" ] || fail "not all $count files applied: $(cat "$E2E_TMP/out")"
grep '^applied ' "$E2E_TMP/out" | sed 's/^applied //' >"$E2E_TMP/order"
ls "$SCHEMAS" | grep '^[0-9][0-9]*_.*\.sql$' | sort -n >"$E2E_TMP/files"
cmp -s "$E2E_TMP/order" "$E2E_TMP/files" || fail "files applied out of order: $(cat "$E2E_TMP/order")"
[ "$(admin 'SELECT max(version) FROM balie.schema_version')" = "$newest" ] ||
	fail "schema_version does not record $newest"
before=$(catalogue)

# Twice: nothing to do, nothing changes.
migrate
expect 0 "nothing to do: the database is at schema $newest"
grep -q '^applied' "$E2E_TMP/out" && fail "second run applied files again"
grep -q "^schema 1 (001_core.sql) already applied" "$E2E_TMP/out" || fail "no 'already applied' lines"
[ "$(catalogue)" = "$before" ] || fail "a second run changed the schema"

# The same as the files applied with psql, as the harness's template has it.
template=$("$BALIE_TEST_PGBIN/psql" -X -q -A -t -h "$BALIE_TEST_PGDIR" -p "$BALIE_TEST_PGPORT" \
	-U postgres -d balie_tmpl -c "SELECT string_agg(version::text, ',' ORDER BY version) FROM balie.schema_version")
[ "$(admin "SELECT string_agg(version::text, ',' ORDER BY version) FROM balie.schema_version")" = "$template" ] ||
	fail "migrate recorded other versions than psql -f of every file ($template)"

# Newer than this binary: refused with exit 3, nothing changed.
admin "INSERT INTO balie.schema_version (version) VALUES (999)" >/dev/null
migrate
expect 3 "database is at schema 999, newer than this balie"
[ "$(catalogue)" = "$before" ] || fail "a refused run changed the schema"
drop_db

# One version behind, with data: upgraded, rows kept.
if [ "$count" -ge 2 ]; then
	mkdir "$E2E_TMP/older"
	ls "$SCHEMAS" | grep '^[0-9][0-9]*_.*\.sql$' | sort -n | sed '$d' |
		while read -r f; do cp "$SCHEMAS/$f" "$E2E_TMP/older/"; done
	empty_db older
	migrate --schemas "$E2E_TMP/older"
	expect 0 "the database is at schema"
	admin "SELECT balie.add_queue('billing', 'Billing', 120, 3)" >/dev/null
	admin "INSERT INTO balie.conversations (queue, state, customer_ref, customer_name)
		VALUES ('billing', 'bot', 'c-1', 'Mevrouw De Vries')" >/dev/null ||
		fail "cannot store a conversation at the older schema"
	rows_before=$(admin "SELECT count(*) FROM balie.queues")
	convs_before=$(admin "SELECT count(*) FROM balie.conversations")
	migrate
	last=$(ls "$SCHEMAS" | grep '^[0-9][0-9]*_.*\.sql$' | sort -n | tail -n 1)
	expect 0 "^applied $last\$"
	[ "$(grep -c '^applied ' "$E2E_TMP/out")" = 1 ] || fail "more than the newest file applied: $(cat "$E2E_TMP/out")"
	[ "$(admin "SELECT count(*) FROM balie.queues")" = "$rows_before" ] || fail "queues lost in the upgrade"
	[ "$(admin "SELECT name FROM balie.queues WHERE id = 'billing'")" = Billing ] || fail "queue row changed"
	[ "$(admin "SELECT count(*) FROM balie.conversations")" = "$convs_before" ] || fail "conversations lost"
	[ "$(admin "SELECT customer_name FROM balie.conversations")" = "Mevrouw De Vries" ] || fail "conversation changed"
	[ "$(admin 'SELECT max(version) FROM balie.schema_version')" = "$newest" ] || fail "upgrade not recorded"
	[ "$(catalogue)" = "$before" ] || fail "an upgraded database differs from a fresh one"
	drop_db
fi

# A file that fails: its error, exit 1, nothing of it kept, nothing recorded.
mkdir "$E2E_TMP/broken"
cp "$SCHEMAS"/001_*.sql "$E2E_TMP/broken/"
printf -- '-- a broken file, café\nBEGIN;\nCREATE TABLE balie.half_done (x int);\nSELECT 1,\n  no_such_function();\nCOMMIT;\n' \
	>"$E2E_TMP/broken/002_broken.sql"
empty_db broken
migrate --schemas "$E2E_TMP/broken"
expect 1 "002_broken.sql not applied.*line 5: function no_such_function\(\) does not exist"
[ "$(admin "SELECT pg_catalog.to_regclass('balie.half_done') IS NULL")" = t ] || fail "a failed file left a table"
[ "$(admin "SELECT string_agg(version::text, ',') FROM balie.schema_version")" = 1 ] || fail "a failed file was recorded"
# A transaction command in the middle of a file is refused before it runs.
printf 'BEGIN;\nCREATE TABLE balie.half_done (x int);\nCOMMIT;\nBEGIN;\nSELECT 1;\nCOMMIT;\n' \
	>"$E2E_TMP/broken/002_broken.sql"
migrate --schemas "$E2E_TMP/broken"
expect 1 "line 3: a transaction command in the middle"
[ "$(admin "SELECT pg_catalog.to_regclass('balie.half_done') IS NULL")" = t ] || fail "a refused file ran"
drop_db

# Missing or empty schema directory, no server, bad command lines.
migrate --schemas "$E2E_TMP/nowhere"
expect 1 "cannot read the schema directory .*/nowhere: No such file or directory"
mkdir "$E2E_TMP/empty"
migrate --schemas "$E2E_TMP/empty"
expect 1 "no schema files \(NNN_name\.sql\) in"
"$BALIE" migrate -d "host=$BALIE_TEST_PGDIR port=1 user=postgres" >"$E2E_TMP/out" 2>&1
rc=$?
expect 1 "balie migrate: cannot connect: "
"$BALIE" migrate --bogus >"$E2E_TMP/out" 2>&1; rc=$?
expect 2 "unrecognized option '--bogus'"
"$BALIE" migrate -d >"$E2E_TMP/out" 2>&1; rc=$?
expect 2 "Try 'balie migrate --help'"
"$BALIE" migrate --help >"$E2E_TMP/out" 2>&1; rc=$?
expect 0 "^Usage: balie migrate \[OPTION\]"
"$BALIE" migrate --version >"$E2E_TMP/out" 2>&1; rc=$?
expect 0 "^balie [0-9]+\.[0-9]+"
pass
