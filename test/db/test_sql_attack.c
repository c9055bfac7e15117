/* Attacks on the ticket store by the roles that can log in to it: agents of
 * other queues, the bot and a role with no balie membership at all. Every
 * attempt must be refused with its documented SQLSTATE, and a checksum of
 * every balie table, sequence and the schema's own catalog entries (taken as
 * superuser) must be the same before and after each group of attacks, so a
 * refusal that changed something anyway fails too. Error fields must never
 * carry text from a conversation the attacker may not see. test/ATTACKS
 * describes each class of attack and what it found. */
#define _GNU_SOURCE
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "pgtest.h"

#define OK(c, ...) PQclear(pgt_ok(c, __VA_ARGS__))
#define LIMIT 1048576
#define NOT_THERE "987654321"	/* a conversation id that never exists */

/* Every seeded text carries this word, so a leak is easy to spot. */
#define SECRET "secret"

struct fx {
	struct pgt_roles r;
	/* A: billing, ann's. P: parcels, cid's. H: health, waiting.
	 * B: billing, with the bot. C: parcels, closed. */
	char a[24], p[24], h[24], b[24], c[24];
	char notices[8192];	/* NOTICEs raised on cid's connection */
};

struct role {
	const char *name;
	PGconn *(*conn)(struct fx *f);
};

static PGconn *conn_ann(struct fx *f) { return f->r.ann; }
static PGconn *conn_bob(struct fx *f) { return f->r.bob; }
static PGconn *conn_cid(struct fx *f) { return f->r.cid; }
static PGconn *conn_sue(struct fx *f) { return f->r.sue; }
static PGconn *conn_bot(struct fx *f) { return f->r.bot; }
static PGconn *conn_mallory(struct fx *f) { return f->r.mallory; }

/* Everyone who logs in, from the most to the least trusted. */
static const struct role roles[] = {
	{ "sue", conn_sue }, { "ann", conn_ann }, { "bob", conn_bob },
	{ "cid", conn_cid }, { "botty", conn_bot }, { "mallory", conn_mallory },
};
#define NROLES (sizeof roles / sizeof roles[0])

/* ------------------------------------------------------------- helpers */

static void collect_notice(void *arg, const char *message)
{
	struct fx *f = arg;
	size_t n = strlen(f->notices);

	snprintf(f->notices + n, sizeof f->notices - n, "%s", message);
}

/* Warnings such as "no privileges were granted" are expected noise. */
static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Runs SQL with the NULL-terminated text parameters in AP (PGT_NULL for NULL). */
static PGresult *exec_v(PGconn *c, const char *sql, va_list ap)
{
	const char *params[16];
	const char *p;
	int n = 0;

	while ((p = va_arg(ap, const char *)) != NULL) {
		assert_true(n < 16);
		params[n++] = p == PGT_NULL ? NULL : p;
	}
	return PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
}

static bool has_secret(const char *s)
{
	return s && strstr(s, SECRET) != NULL;
}

/* Asserts the attack fails with STATE and that no error field repeats
 * seeded text; returns the primary message (malloc'd). */
static char *attack_(PGconn *c, const char *state, const char *sql, ...)
{
	va_list ap;
	PGresult *r;
	const char *got, *fields[4];
	char *msg;
	size_t i;

	va_start(ap, sql);
	r = exec_v(c, sql, ap);
	va_end(ap);
	got = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ||
	    !got || strcmp(got, state) != 0) {
		fprintf(stderr, "attack as %s: expected SQLSTATE %s, got %s (%s): %s\n  %s",
			PQuser(c), state, got ? got : "(none)", PQresStatus(PQresultStatus(r)),
			sql, PQerrorMessage(c));
		PQclear(r);
		fail();
	}
	fields[0] = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	fields[1] = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
	fields[2] = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);
	fields[3] = PQresultErrorField(r, PG_DIAG_CONTEXT);
	for (i = 0; i < 4; i++) {
		/* "Failing row contains (...)" would echo a whole row. */
		if (has_secret(fields[i]) || (fields[i] && strstr(fields[i], "Failing row"))) {
			fprintf(stderr, "attack as %s leaked through an error: %s\n  %s",
				PQuser(c), sql, PQerrorMessage(c));
			PQclear(r);
			fail();
		}
	}
	msg = strdup(fields[0] ? fields[0] : "");
	PQclear(r);
	return msg;
}
#define attack(c, state, ...) free(attack_(c, state, __VA_ARGS__, (const char *)0))

/* Like attack, inside a transaction that is rolled back (LOCK needs one). */
static void attack_in_tx(PGconn *c, const char *state, const char *sql)
{
	OK(c, "BEGIN");
	attack(c, state, sql);
	OK(c, "ROLLBACK");
}

/* Runs SQL that may succeed or fail; the snapshot decides whether it did harm. */
static void try_sql(PGconn *c, const char *sql)
{
	PQclear(PQexec(c, sql));
}

/* Row counts and an md5 of every balie table and sequence, and of the
 * schema's functions, policies, grants, triggers and role memberships. */
static char *snapshot(PGconn *root)
{
	PGresult *r = pgt_ok(root,
		"SELECT c.oid::regclass::text, c.relkind::text FROM pg_catalog.pg_class c"
		" WHERE c.relnamespace = 'balie'::regnamespace AND c.relkind IN ('r', 'S')"
		" ORDER BY 1");
	char *out = NULL, *part;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	int i;

	assert_non_null(m);
	assert_true(PQntuples(r) >= 8);
	for (i = 0; i < PQntuples(r); i++) {
		const char *rel = PQgetvalue(r, i, 0);
		char sql[512];

		/* Names come from the catalog, not from input. */
		if (strcmp(PQgetvalue(r, i, 1), "S") == 0)
			snprintf(sql, sizeof sql, "SELECT last_value || '/' || is_called FROM %s", rel);
		else
			snprintf(sql, sizeof sql, "SELECT count(*) || '/' || md5(coalesce(string_agg(t::text,"
				 " ',' ORDER BY t::text), '')) FROM %s t", rel);
		part = pgt_scalar(root, sql);
		fprintf(m, "%s=%s\n", rel, part);
		free(part);
	}
	PQclear(r);
	part = pgt_scalar(root,
		"SELECT md5(concat_ws('|',"
		" (SELECT string_agg(ROW(p.oid::regprocedure, p.prosecdef, p.proowner::regrole, p.proacl,"
		"   p.proconfig, md5(p.prosrc))::text, ',' ORDER BY p.oid::regprocedure::text)"
		"  FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'balie'::regnamespace),"
		" (SELECT string_agg(ROW(c.relname, c.relowner::regrole, c.relacl, c.relrowsecurity,"
		"   c.relforcerowsecurity, c.relkind)::text, ',' ORDER BY c.relname)"
		"  FROM pg_catalog.pg_class c WHERE c.relnamespace = 'balie'::regnamespace),"
		" (SELECT string_agg(p::text, ',' ORDER BY p::text) FROM pg_catalog.pg_policies p"
		"  WHERE p.schemaname = 'balie'),"
		" (SELECT string_agg(ROW(t.tgrelid::regclass, t.tgname, t.tgenabled, t.tgfoid::regproc)::text,"
		"   ',' ORDER BY t.tgrelid::regclass::text, t.tgname)"
		"  FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid"
		"  WHERE c.relnamespace = 'balie'::regnamespace),"
		" (SELECT string_agg(ROW(m.roleid::regrole, m.member::regrole, m.admin_option)::text,"
		"   ',' ORDER BY 1) FROM pg_catalog.pg_auth_members m),"
		" (SELECT string_agg(ROW(rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb)::text,"
		"   ',' ORDER BY rolname) FROM pg_catalog.pg_roles),"
		" (SELECT ROW(nspowner::regrole, nspacl)::text FROM pg_catalog.pg_namespace"
		"  WHERE nspname = 'balie')))");
	fprintf(m, "catalog=%s\n", part);
	free(part);
	fclose(m);
	return out;
}

/* Fails with both snapshots when a group of attacks changed anything. */
static void assert_same_snapshot(const char *before, const char *after, const char *group)
{
	if (strcmp(before, after) != 0) {
		fprintf(stderr, "%s changed the store:\n--- before\n%s--- after\n%s", group, before, after);
		fail();
	}
}

/* Stores the one value SQL returns (an id) in DST; seeding must not fail. */
static void id_of_(char *dst, size_t n, PGconn *c, const char *sql, ...)
{
	va_list ap;
	PGresult *r;

	va_start(ap, sql);
	r = exec_v(c, sql, ap);
	va_end(ap);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		fprintf(stderr, "seed failed: %s\n  %s", sql, PQerrorMessage(c));
		PQclear(r);
		fail();
	}
	snprintf(dst, n, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}
#define id_of(dst, n, c, ...) id_of_(dst, n, c, __VA_ARGS__, (const char *)0)

/* One conversation with everything an attacker might want to read. */
static void seed_conv(struct fx *f, char *id, const char *queue, const char *tag)
{
	char text[128], src[256];

	snprintf(text, sizeof text, SECRET "-%s customer name", tag);
	id_of(id, 24, f->r.bot, "SELECT balie.open_conversation($1, $2, $3)", queue, tag, text);
	snprintf(text, sizeof text, SECRET "-%s: my IBAN is NL00BANK0123456789", tag);
	OK(f->r.bot, "SELECT balie.post_message($1, 'customer', $2)", id, text);
	snprintf(src, sizeof src, "[{\"title\": \"" SECRET "-%s article\", \"url\": \"https://kb.example/"
		 SECRET "-%s\"}]", tag, tag);
	snprintf(text, sizeof text, SECRET "-%s bot answer", tag);
	OK(f->r.bot, "SELECT balie.post_message($1, 'bot', $2, $3::jsonb)", id, text, src);
}

/* A fresh database, a connection per role, and five conversations to attack. */
static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	pgt_roles_open(&f->r);
	PQsetNoticeProcessor(f->r.ann, ignore_notice, NULL);
	PQsetNoticeProcessor(f->r.bob, ignore_notice, NULL);
	PQsetNoticeProcessor(f->r.sue, ignore_notice, NULL);
	PQsetNoticeProcessor(f->r.bot, ignore_notice, NULL);
	PQsetNoticeProcessor(f->r.mallory, ignore_notice, NULL);
	PQsetNoticeProcessor(f->r.root, ignore_notice, NULL);
	PQsetNoticeProcessor(f->r.cid, collect_notice, f);

	seed_conv(f, f->a, "billing", "A");
	OK(f->r.bot, "SELECT balie.escalate($1, 'customer_request', '" SECRET "-A intent', 0.4,"
	   " '" SECRET "-A summary')", f->a);
	OK(f->r.ann, "SELECT balie.takeover($1)", f->a);
	OK(f->r.ann, "SELECT balie.reply($1, '" SECRET "-A reply', 'aaaaaaaa-0000-4000-8000-00000000000a')", f->a);
	OK(f->r.ann, "SELECT balie.note($1, '" SECRET "-A note')", f->a);
	OK(f->r.ann, "SELECT balie.confirm_agreement($1, '" SECRET "-A agreement')", f->a);

	seed_conv(f, f->p, "parcels", "P");
	OK(f->r.bot, "SELECT balie.escalate($1, 'sensitive_topic', NULL, NULL, '" SECRET "-P summary')", f->p);
	OK(f->r.cid, "SELECT balie.takeover($1)", f->p);
	OK(f->r.cid, "SELECT balie.reply($1, '" SECRET "-P reply', 'bbbbbbbb-0000-4000-8000-00000000000b')", f->p);
	OK(f->r.cid, "SELECT balie.note($1, '" SECRET "-P note')", f->p);

	seed_conv(f, f->h, "health", "H");
	OK(f->r.bot, "SELECT balie.escalate($1, 'not_understood', 'claim', 0.2, '" SECRET "-H summary')", f->h);

	seed_conv(f, f->b, "billing", "B");

	seed_conv(f, f->c, "parcels", "C");
	OK(f->r.bot, "SELECT balie.close($1, '" SECRET "-C resolution')", f->c);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	pgt_roles_close(&f->r);
	free(f);
	return 0;
}

static char *repeat(const char *unit, size_t times)
{
	size_t n = strlen(unit), i;
	char *s = malloc(n * times + 1);

	assert_non_null(s);
	for (i = 0; i < times; i++)
		memcpy(s + i * n, unit, n);
	s[n * times] = '\0';
	return s;
}

/* ------------------------------------------------- direct table writes */

/* Every way of writing to or taking over a table, for every balie table. */
static void attack_tables(PGconn *c, PGconn *root)
{
	PGresult *r = pgt_ok(root,
		"SELECT c.relname, (SELECT a.attname FROM pg_catalog.pg_attribute a"
		"  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
		"  AND a.attidentity = '' ORDER BY a.attnum LIMIT 1)"
		" FROM pg_catalog.pg_class c"
		" WHERE c.relnamespace = 'balie'::regnamespace AND c.relkind = 'r' ORDER BY 1");
	static const char *const writes[] = {
		"INSERT INTO balie.%1$s DEFAULT VALUES",
		"INSERT INTO balie.%1$s OVERRIDING SYSTEM VALUE SELECT * FROM balie.%1$s",
		"UPDATE balie.%1$s SET %2$s = %2$s",
		"DELETE FROM balie.%1$s",
		"TRUNCATE balie.%1$s",
		"TRUNCATE balie.%1$s CASCADE",
		"COPY balie.%1$s FROM STDIN",
		"SELECT * FROM balie.%1$s FOR UPDATE",
		"SELECT * FROM balie.%1$s FOR NO KEY UPDATE",
		"SELECT * FROM balie.%1$s FOR SHARE",
		"SELECT * FROM balie.%1$s FOR KEY SHARE",
		"ALTER TABLE balie.%1$s DISABLE ROW LEVEL SECURITY",
		"ALTER TABLE balie.%1$s NO FORCE ROW LEVEL SECURITY",
		"ALTER TABLE balie.%1$s DISABLE TRIGGER ALL",
		"ALTER TABLE balie.%1$s OWNER TO CURRENT_USER",
		"ALTER TABLE balie.%1$s ADD COLUMN pwned text",
		"DROP TABLE balie.%1$s CASCADE",
		"CREATE POLICY pwned ON balie.%1$s USING (true)",
		"CREATE INDEX ON balie.%1$s (%2$s)",
		"CREATE RULE pwned AS ON INSERT TO balie.%1$s DO INSTEAD NOTHING",
		"CREATE TRIGGER pwned BEFORE INSERT ON balie.%1$s FOR EACH ROW"
		" EXECUTE FUNCTION balie._messages_seq()",
		"COMMENT ON TABLE balie.%1$s IS 'pwned'",
		"REINDEX TABLE balie.%1$s",
	};
	static const char *const locks[] = {
		"LOCK TABLE balie.%1$s IN SHARE MODE",
		"LOCK TABLE balie.%1$s IN EXCLUSIVE MODE",
		"LOCK TABLE balie.%1$s IN ACCESS EXCLUSIVE MODE",
	};
	char sql[512];
	size_t k;
	int i;

	for (i = 0; i < PQntuples(r); i++) {
		const char *t = PQgetvalue(r, i, 0), *col = PQgetvalue(r, i, 1);

		for (k = 0; k < sizeof writes / sizeof writes[0]; k++) {
			/* Table and column names come from the catalog. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			snprintf(sql, sizeof sql, writes[k], t, col);
#pragma GCC diagnostic pop
			attack(c, "42501", sql);
		}
		for (k = 0; k < sizeof locks / sizeof locks[0]; k++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			snprintf(sql, sizeof sql, locks[k], t, col);
#pragma GCC diagnostic pop
			attack_in_tx(c, "42501", sql);
		}
		/* GRANT without the grant option warns and grants nothing; the
		 * snapshot proves it. */
		snprintf(sql, sizeof sql, "GRANT ALL ON balie.%s TO PUBLIC", t);
		try_sql(c, sql);
		snprintf(sql, sizeof sql, "REVOKE SELECT ON balie.%s FROM balie_agent", t);
		try_sql(c, sql);
	}
	PQclear(r);

	r = pgt_ok(root, "SELECT c.relname FROM pg_catalog.pg_class c"
		   " WHERE c.relnamespace = 'balie'::regnamespace AND c.relkind = 'S' ORDER BY 1");
	assert_true(PQntuples(r) >= 4);
	for (i = 0; i < PQntuples(r); i++) {
		const char *s = PQgetvalue(r, i, 0);

		snprintf(sql, sizeof sql, "SELECT nextval('balie.%s')", s);
		attack(c, "42501", sql);
		snprintf(sql, sizeof sql, "SELECT setval('balie.%s', 1)", s);
		attack(c, "42501", sql);
		snprintf(sql, sizeof sql, "SELECT currval('balie.%s')", s);
		attack(c, "42501", sql);
		snprintf(sql, sizeof sql, "SELECT last_value FROM balie.%s", s);
		attack(c, "42501", sql);
		snprintf(sql, sizeof sql, "SELECT pg_sequence_last_value('balie.%s')", s);
		attack(c, "42501", sql);
		snprintf(sql, sizeof sql, "ALTER SEQUENCE balie.%s RESTART", s);
		attack(c, "42501", sql);
	}
	PQclear(r);

	attack(c, "42501", "CREATE TABLE balie.pwned (a int)");
	attack(c, "42501", "CREATE FUNCTION balie.pwned() RETURNS int LANGUAGE sql AS 'SELECT 1'");
	attack(c, "42501", "CREATE VIEW balie.pwned AS SELECT 1");
	attack(c, "42501", "ALTER SCHEMA balie RENAME TO pwned");
	attack(c, "42501", "DROP SCHEMA balie CASCADE");
	attack(c, "42501", "ALTER FUNCTION balie.reply(bigint, text, uuid, jsonb) SECURITY INVOKER");
	attack(c, "42501", "ALTER FUNCTION balie.reply(bigint, text, uuid, jsonb) RESET search_path");
	attack(c, "42501", "CREATE OR REPLACE FUNCTION balie._is_supervisor() RETURNS boolean"
	       " LANGUAGE sql AS 'SELECT true'");
	attack(c, "42501", "DROP FUNCTION balie._can_see(text, text)");
}

static void direct_dml_refused(void **state)
{
	struct fx *f = *state;
	char *before = snapshot(f->r.root), *after;
	size_t i;

	for (i = 0; i < NROLES; i++)
		attack_tables(roles[i].conn(f), f->r.root);
	after = snapshot(f->r.root);
	assert_same_snapshot(before, after, "direct DML");
	free(before);
	free(after);
}

/* ------------------------------------------------------- reading around */

/* Asserts what a count query returns for the role, naming both on failure. */
static void assert_count(PGconn *c, long want, const char *sql, const char *arg)
{
	long got = arg ? pgt_long(c, sql, arg) : pgt_long(c, sql);

	if (got != want) {
		fprintf(stderr, "as %s: %s [%s] gave %ld, want %ld\n", PQuser(c), sql,
			arg ? arg : "", got, want);
		fail();
	}
}

/* No balie table can be read directly, whole or in part. */
static void cannot_read_tables(PGconn *c)
{
	static const char *const reads[] = {
		"SELECT count(*) FROM balie.conversations",
		"SELECT count(*) FROM balie.messages",
		"SELECT count(*) FROM balie.agreements",
		"SELECT count(*) FROM balie.state_changes",
		"SELECT count(*) FROM balie.queues",
		"SELECT count(*) FROM balie.agents",
		"SELECT count(*) FROM balie.bots",
		"SELECT count(*) FROM balie.waiting_changes",
		"SELECT count(*) FROM balie.escalations",
		"COPY balie.messages TO STDOUT",
		"COPY (SELECT * FROM balie.conversations) TO STDOUT",
	};
	size_t i;

	for (i = 0; i < sizeof reads / sizeof reads[0]; i++)
		attack(c, "42501", reads[i]);
}

/* What the read functions give the role about a conversation it may not see: nothing. */
static void cannot_read(PGconn *c, const char *conv)
{
	assert_count(c, 0, "SELECT count(*) FROM balie.read_conversations(ARRAY[$1::bigint])", conv);
	assert_count(c, 0, "SELECT count(*) FROM balie.read_messages($1, 0, 0, 1000)", conv);
	assert_count(c, 0, "SELECT count(*) FROM balie.read_messages($1, 0, NULL, 1000)", conv);
	assert_count(c, 0, "SELECT count(*) FROM balie.read_history($1)", conv);
	assert_count(c, 0, "SELECT count(*) FROM balie.read_states(ARRAY[$1::bigint])", conv);
	assert_count(c, 0, "SELECT count(*) FROM balie.read_conversations() WHERE id = $1::bigint", conv);
}

static void other_queues_stay_unseen(void **state)
{
	struct fx *f = *state;
	char *before = snapshot(f->r.root), *after;

	/* Sanity: they do see their own. */
	assert_count(f->r.cid, 1, "SELECT count(*) FROM balie.read_conversations(ARRAY[$1::bigint])", f->p);
	assert_count(f->r.ann, 1, "SELECT count(*) FROM balie.read_conversations(ARRAY[$1::bigint])", f->a);
	assert_count(f->r.cid, 6, "SELECT count(*) FROM balie.read_messages($1, 0, 0, 1000) WHERE part = 0", f->p);

	for (size_t i = 0; i < NROLES; i++)
		cannot_read_tables(roles[i].conn(f));
	cannot_read(f->r.cid, f->a);
	cannot_read(f->r.cid, f->h);
	cannot_read(f->r.cid, f->b);
	cannot_read(f->r.ann, f->p);
	cannot_read(f->r.ann, f->c);
	cannot_read(f->r.bob, f->p);
	cannot_read(f->r.bob, f->h);

	/* A leaky function of the caller's own, made cheap so the planner
	 * would like to run it first, sees only what the function returns. */
	OK(f->r.cid, "CREATE FUNCTION pg_temp.peek(text) RETURNS boolean LANGUAGE plpgsql"
	   " COST 0.0000001 AS $$ BEGIN RAISE NOTICE 'peek: %', $1; RETURN true; END $$");
	f->notices[0] = '\0';
	OK(f->r.cid, "SELECT id FROM balie.read_conversations() WHERE pg_temp.peek(customer_name)"
	   " OR pg_temp.peek(bot_summary)");
	OK(f->r.cid, "SELECT id FROM balie.read_conversations(ARRAY[$1::bigint, $2, $3, $4, $5])"
	   " WHERE pg_temp.peek(last_body)", f->a, f->p, f->h, f->b, f->c);
	for (const char *k = "aphbc"; *k; k++) {
		const char *id = *k == 'a' ? f->a : *k == 'p' ? f->p : *k == 'h' ? f->h : *k == 'b' ? f->b : f->c;

		OK(f->r.cid, "SELECT 1 FROM balie.read_messages($1, 0, 0, 1000) WHERE pg_temp.peek(body)"
		   " OR pg_temp.peek(title) OR pg_temp.peek(url)", id);
		OK(f->r.cid, "SELECT 1 FROM balie.read_history($1) WHERE pg_temp.peek(bot_summary)", id);
	}
	assert_true(strstr(f->notices, "peek: " SECRET "-P") != NULL);	/* it works */
	assert_null(strstr(f->notices, SECRET "-A"));
	assert_null(strstr(f->notices, SECRET "-B"));
	assert_null(strstr(f->notices, SECRET "-H"));

	/* The bot talks to customers: no notes, agreements or audit trail. */
	assert_count(f->r.bot, 0, "SELECT count(*) FROM balie.read_messages($1, 0, 0, 1000)"
		     " WHERE author_kind = 'note'", f->a);
	assert_count(f->r.root, 2, "SELECT count(*) FROM balie.messages WHERE author_kind = 'note'", NULL);
	attack(f->r.bot, "42501", "SELECT * FROM balie.read_agents()");

	/* No role at all: nothing, not even the schema. */
	attack(f->r.mallory, "42501", "SELECT * FROM balie.read_conversations()");
	attack(f->r.mallory, "42501", "SELECT * FROM balie.read_queues()");

	/* Planner statistics would hold most common values of every column:
	 * pg_stats hides tables under row-level security, pg_statistic is
	 * for superusers only. */
	OK(f->r.root, "ANALYZE");
	assert_count(f->r.root, 1, "SELECT (count(*) > 0)::int FROM pg_catalog.pg_stats"
		     " WHERE schemaname = 'balie'", NULL);
	for (size_t i = 0; i < NROLES; i++) {
		PGconn *c = roles[i].conn(f);

		assert_count(c, 0, "SELECT count(*) FROM pg_catalog.pg_stats WHERE schemaname = 'balie'", NULL);
		assert_count(c, 0, "SELECT count(*) FROM pg_catalog.pg_stats_ext WHERE schemaname = 'balie'", NULL);
		attack(c, "42501", "SELECT * FROM pg_catalog.pg_statistic");
		attack(c, "42501", "SELECT * FROM pg_catalog.pg_statistic_ext_data");
	}
	after = snapshot(f->r.root);
	assert_same_snapshot(before, after, "reading");
	free(before);
	free(after);
}

/* ------------------------------------------- the API on hidden conversations */

/* Writes V with the id CONV, where it stands as a whole number, as "<id>". */
static void put_blanked(FILE *to, const char *v, const char *conv)
{
	size_t n = strlen(conv);
	const char *p;

	for (p = v; *p;) {
		if (strncmp(p, conv, n) == 0 && (p == v || p[-1] < '0' || p[-1] > '9') &&
		    (p[n] < '0' || p[n] > '9')) {
			fputs("<id>", to);
			p += n;
		} else {
			fputc(*p++, to);
		}
	}
}

/* The whole error a call raises, with the conversation id blanked in the
 * message, so that a hidden conversation and a missing one can be compared
 * field by field. */
static char *error_shape(PGconn *c, const char *sql, const char *conv, const char *arg)
{
	PGresult *r = arg ? pgt_query(c, sql, conv, arg) : pgt_query(c, sql, conv);
	static const int codes[] = { PG_DIAG_SQLSTATE, PG_DIAG_MESSAGE_PRIMARY, PG_DIAG_MESSAGE_DETAIL,
				     PG_DIAG_MESSAGE_HINT, PG_DIAG_CONTEXT };
	char *out = NULL;
	size_t len = 0, i;
	FILE *m = open_memstream(&out, &len);

	assert_non_null(m);
	if (PQresultStatus(r) != PGRES_FATAL_ERROR) {
		fprintf(stderr, "%s on conversation %s succeeded: %s\n", PQuser(c), conv, sql);
		PQclear(r);
		fail();
	}
	for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		const char *v = PQresultErrorField(r, codes[i]);

		if (!v)
			fputs("(null)", m);
		else if (codes[i] == PG_DIAG_MESSAGE_PRIMARY)
			put_blanked(m, v, conv);
		else
			fputs(v, m);
		fputc('|', m);
	}
	PQclear(r);
	fclose(m);
	return out;
}

struct api_call {
	const char *sql;	/* $1 = conversation, $2 = ARG */
	const char *arg;
};

/* Each SQL API function an agent can call, aimed at conversation $1. */
static const struct api_call agent_calls[] = {
	{ "SELECT balie.takeover($1)", NULL },
	{ "SELECT balie.reply($1, 'hello')", NULL },
	{ "SELECT balie.reply($1, 'hello', $2::uuid)", "cccccccc-0000-4000-8000-00000000000c" },
	{ "SELECT balie.reply($1, 'hello', $2::uuid)", "aaaaaaaa-0000-4000-8000-00000000000a" },
	{ "SELECT balie.reply($1, 'hello', $2::uuid)", "bbbbbbbb-0000-4000-8000-00000000000b" },
	{ "SELECT balie.note($1, 'hello')", NULL },
	{ "SELECT balie.confirm_agreement($1, 'hello')", NULL },
	{ "SELECT balie.handback($1)", NULL },
	{ "SELECT balie.handback($1, 'hello')", NULL },
	{ "SELECT balie.transfer($1, $2)", "billing" },
	{ "SELECT balie.transfer($1, $2, 'hello')", "parcels" },
	{ "SELECT balie.close($1)", NULL },
	{ "SELECT balie.close($1, 'hello')", NULL },
};

/* Every function says "not found" about HIDDEN exactly as about an id that
 * never existed: same SQLSTATE, message, detail, hint and context. */
static void hidden_like_missing(PGconn *c, const char *hidden)
{
	size_t i;

	for (i = 0; i < sizeof agent_calls / sizeof agent_calls[0]; i++) {
		const struct api_call *k = &agent_calls[i];
		char *seen = error_shape(c, k->sql, hidden, k->arg);
		char *missing = error_shape(c, k->sql, NOT_THERE, k->arg);

		if (strcmp(seen, missing) != 0 || strncmp(seen, "BL001|", 6) != 0) {
			fprintf(stderr, "%s tells hidden %s from missing: %s\n  hidden:  %s\n  missing: %s\n",
				PQuser(c), hidden, k->sql, seen, missing);
			fail();
		}
		free(seen);
		free(missing);
	}
}

static void functions_hide_other_queues(void **state)
{
	struct fx *f = *state;
	char *before = snapshot(f->r.root), *after, *msg;
	static const char *const odd_ids[] = { "0", "-1", "-9223372036854775808", "9223372036854775807" };
	size_t i;

	hidden_like_missing(f->r.cid, f->a);	/* owned by ann */
	hidden_like_missing(f->r.cid, f->h);	/* waiting in health */
	hidden_like_missing(f->r.cid, f->b);	/* with the bot */
	hidden_like_missing(f->r.ann, f->p);	/* owned by cid */
	hidden_like_missing(f->r.ann, f->c);	/* closed, in parcels */
	hidden_like_missing(f->r.bob, f->h);
	hidden_like_missing(f->r.bob, f->p);
	for (i = 0; i < sizeof odd_ids / sizeof odd_ids[0]; i++) {
		msg = attack_(f->r.cid, "BL001", "SELECT balie.reply($1, 'x')", odd_ids[i], (const char *)0);
		assert_non_null(strstr(msg, odd_ids[i]));
		free(msg);
		attack(f->r.cid, "BL001", "SELECT balie.takeover($1)", odd_ids[i]);
		attack(f->r.bot, "BL001", "SELECT balie.post_message($1, 'customer', 'x')", odd_ids[i]);
		attack(f->r.bot, "BL001", "SELECT balie.escalate($1, 'other')", odd_ids[i]);
		attack(f->r.sue, "BL001", "SELECT balie.assign($1, 'ann')", odd_ids[i]);
	}
	attack(f->r.cid, "22003", "SELECT balie.reply($1, 'x')", "9223372036854775808");
	attack(f->r.cid, "22P02", "SELECT balie.reply($1, 'x')", "1; DELETE FROM balie.messages");
	attack(f->r.cid, "BL030", "SELECT balie.reply($1, 'x')", PGT_NULL);

	/* A client_msg_id used elsewhere is named, the conversation is not. */
	msg = attack_(f->r.ann, "BL030", "SELECT balie.reply($1, 'x', 'bbbbbbbb-0000-4000-8000-00000000000b')",
		      f->a, (const char *)0);
	assert_string_equal(msg, "client_msg_id bbbbbbbb-0000-4000-8000-00000000000b is already used by"
			    " another conversation");
	assert_null(strstr(msg, f->p));
	free(msg);
	after = snapshot(f->r.root);
	assert_same_snapshot(before, after, "API calls on hidden conversations");
	free(before);
	free(after);
}

/* Waiting for the lock of a conversation would tell that it exists: a hidden
 * one that another session holds locked must still be "not found" at once. */
static void hidden_and_locked_is_not_found_at_once(void **state)
{
	struct fx *f = *state;
	char *before, *after;
	struct timespec t0, t1;
	double secs;
	size_t i;

	OK(f->r.sue, "BEGIN");
	OK(f->r.sue, "SELECT balie.note($1, 'holding the lock')", f->p);	/* locks P until ROLLBACK */
	before = snapshot(f->r.root);	/* after the note took its id from the sequence */
	OK(f->r.ann, "SET statement_timeout = '3s'");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < sizeof agent_calls / sizeof agent_calls[0]; i++) {
		PGresult *r = agent_calls[i].arg ? pgt_query(f->r.ann, agent_calls[i].sql, f->p, agent_calls[i].arg)
						 : pgt_query(f->r.ann, agent_calls[i].sql, f->p);
		const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		if (!st || strcmp(st, "BL001") != 0) {
			fprintf(stderr, "%s on a locked hidden conversation: %s %s\n", agent_calls[i].sql,
				st ? st : "(ok)", PQerrorMessage(f->r.ann));
			PQclear(r);
			fail();
		}
		PQclear(r);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	OK(f->r.ann, "RESET statement_timeout");
	OK(f->r.sue, "ROLLBACK");
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("%zu calls on a locked hidden conversation: %.3f s\n", i, secs);
	assert_true(secs < 1.0);
	after = snapshot(f->r.root);
	assert_same_snapshot(before, after, "locked hidden conversation");
	free(before);
	free(after);
}

/* Locks any login role can take must never be ones balie waits for: a role
 * outside balie holding one would stall a queue. The supervisor history
 * took pg_advisory_xact_lock(72830619, hashtext(queue)) for every state
 * change; mallory holding it blocked every escalation and takeover. */
static void outsiders_cannot_stall_a_queue(void **state)
{
	struct fx *f = *state;
	struct timespec t0, t1;
	double secs;

	assert_count(f->r.root, 0, "SELECT count(*) FROM pg_catalog.pg_proc p"
		     " WHERE p.pronamespace = 'balie'::regnamespace AND p.prosrc ~* 'pg_advisory\\w*lock'", NULL);
	OK(f->r.mallory, "SELECT pg_advisory_lock(72830619, hashtext(q))"
	   " FROM unnest(ARRAY['billing', 'health', 'parcels']) AS q");
	OK(f->r.mallory, "SELECT pg_advisory_lock(7283061937)");
	OK(f->r.bot, "SET statement_timeout = '3s'");
	OK(f->r.ann, "SET statement_timeout = '3s'");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	OK(f->r.bot, "SELECT balie.escalate($1, 'customer_request')", f->b);
	OK(f->r.ann, "SELECT balie.takeover($1)", f->b);
	OK(f->r.ann, "SELECT balie.transfer($1, 'health')", f->b);
	OK(f->r.ann, "SELECT balie.takeover($1)", f->h);
	OK(f->r.bot, "SELECT balie.open_conversation('parcels', 'x', 'x')");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	OK(f->r.mallory, "SELECT pg_advisory_unlock_all()");
	OK(f->r.bot, "RESET statement_timeout");
	OK(f->r.ann, "RESET statement_timeout");
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs < 1.5);
}

/* ------------------------------------------- acting on what is not yours */

static void acting_for_others_refused(void **state)
{
	struct fx *f = *state;
	char *before = snapshot(f->r.root), *after, *v;
	size_t i;

	/* bob sees ann's conversation (same queue) but may not act for her. */
	attack(f->r.bob, "BL011", "SELECT balie.reply($1, 'I am ann, honestly')", f->a);
	attack(f->r.bob, "BL011", "SELECT balie.reply($1, 'x', 'dddddddd-0000-4000-8000-00000000000d')", f->a);
	attack(f->r.bob, "BL011", "SELECT balie.confirm_agreement($1, 'free money')", f->a);
	attack(f->r.bob, "BL011", "SELECT balie.handback($1)", f->a);
	attack(f->r.bob, "BL011", "SELECT balie.transfer($1, 'parcels')", f->a);
	attack(f->r.bob, "BL011", "SELECT balie.close($1)", f->a);
	attack(f->r.bob, "BL011", "SELECT balie.reply($1, 'x')", f->b);	/* nobody's yet */
	v = pgt_scalar(f->r.bob, "SELECT balie.takeover($1)", f->a);
	assert_string_equal(v, "f");	/* a lost race, not an error, and no change */
	free(v);
	/* Only supervisors assign and pause. */
	for (i = 0; i < NROLES; i++) {
		PGconn *c = roles[i].conn(f);

		if (c == f->r.sue)
			continue;
		attack(c, "42501", "SELECT balie.assign($1, $2)", f->a, PQuser(c));
		attack(c, "42501", "SELECT balie.assign($1, 'bob')", f->h);
		attack(c, "42501", "SELECT balie.pause_bot('billing', true)");
	}
	/* The bot keeps quiet once a person owns it and may not close it. */
	attack(f->r.bot, "BL012", "SELECT balie.post_message($1, 'bot', 'I am still here')", f->a);
	attack(f->r.bot, "BL011", "SELECT balie.close($1)", f->a);
	attack(f->r.bot, "BL010", "SELECT balie.close($1)", f->h);
	attack(f->r.bot, "BL010", "SELECT balie.escalate($1, 'other')", f->a);
	attack(f->r.bot, "BL012", "SELECT balie.post_message($1, 'bot', 'x')", f->c);
	attack(f->r.bot, "BL010", "SELECT balie.post_message($1, 'customer', 'x')", f->c);
	/* Functions of another role's kind. */
	for (i = 0; i < NROLES; i++) {
		PGconn *c = roles[i].conn(f);

		if (c != f->r.bot) {
			attack(c, "42501", "SELECT balie.open_conversation('billing', 'x', 'x')");
			attack(c, "42501", "SELECT balie.post_message($1, 'customer', 'forged customer')", f->a);
			attack(c, "42501", "SELECT balie.escalate($1, 'other')", f->b);
		} else {
			attack(c, "42501", "SELECT balie.takeover($1)", f->h);
			attack(c, "42501", "SELECT balie.reply($1, 'x')", f->a);
			attack(c, "42501", "SELECT balie.note($1, 'x')", f->a);
			attack(c, "42501", "SELECT balie.confirm_agreement($1, 'x')", f->a);
			attack(c, "42501", "SELECT balie.handback($1)", f->a);
			attack(c, "42501", "SELECT balie.transfer($1, 'billing')", f->a);
			attack(c, "42501", "SELECT balie.heartbeat()");
		}
		attack(c, "42501", "SELECT balie.add_queue('pwned', 'Pwned', 1)");
		attack(c, "42501", "SELECT balie.add_agent($1, 'Boss', ARRAY['billing', 'health', 'parcels'], true)",
		       PQuser(c));
	}
	/* A role outside balie can call nothing at all. */
	attack(f->r.mallory, "42501", "SELECT balie.takeover($1)", f->h);
	attack(f->r.mallory, "42501", "SELECT balie.close($1)", f->b);
	attack(f->r.mallory, "42501", "SELECT * FROM balie.whoami()");
	attack(f->r.mallory, "42501", "SELECT balie.heartbeat()");
	after = snapshot(f->r.root);
	assert_same_snapshot(before, after, "acting for others");
	free(before);
	free(after);
}

/* ----------------------------------------------------- forged authorship */

static void forged_author_kinds_refused(void **state)
{
	struct fx *f = *state;
	char *before = snapshot(f->r.root), *after;
	static const char *const people[] = { "agent", "system", "note" };
	static const char *const junk[] = { "AGENT", "Bot", " bot", "customer ", "", "agent\n",
					    "bot'; --", "kl\xc3\xa1nt" };
	size_t i;

	for (i = 0; i < 3; i++) {
		attack(f->r.bot, "42501", "SELECT balie.post_message($1, $2, 'Hi, I am a real person')",
		       f->b, people[i]);
		attack(f->r.bot, "42501", "SELECT balie.post_message($1, $2, 'x', NULL, $3::uuid)",
		       f->h, people[i], "eeeeeeee-0000-4000-8000-00000000000e");
	}
	for (i = 0; i < sizeof junk / sizeof junk[0]; i++)
		attack(f->r.bot, "BL030", "SELECT balie.post_message($1, $2, 'x')", f->b, junk[i]);
	attack(f->r.bot, "BL030", "SELECT balie.post_message($1, NULL, 'x')", f->b);
	/* Customers cite no sources (that would pass their words off as the bot's). */
	attack(f->r.bot, "BL030", "SELECT balie.post_message($1, 'customer', 'x',"
	       " '[{\"title\": \"t\", \"url\": \"u\"}]')", f->b);
	/* People cannot post as the customer or the bot, not even through the
	 * internal append. */
	for (i = 0; i < NROLES; i++) {
		PGconn *c = roles[i].conn(f);

		attack(c, "42501", "SELECT balie._append($1, 'customer', 'cust', 'forged')", f->a);
		attack(c, "42501", "SELECT balie._append($1, 'system', 'system', 'forged')", f->a);
	}
	after = snapshot(f->r.root);
	assert_same_snapshot(before, after, "forged author kinds");
	free(before);
	free(after);
}

/* ----------------------------------------------------------- bad input */

static void hostile_input_refused(void **state)
{
	struct fx *f = *state;
	char *before = snapshot(f->r.root), *after, *big = repeat("x", LIMIT + 1);
	char *big_utf8 = repeat("\xe2\x82\xac", LIMIT / 3 + 1);	/* fewer chars than bytes */
	char *long_ref = repeat("r", 1025), *random_ref = repeat("0123456789abcdef", 300);
	char *deep, *many, *p;
	static const char *const bad_sources[] = {
		"{}", "\"https://evil.example\"", "42", "null", "true", "[1]", "[null]", "[[]]",
		"[\"t\"]", "[{}]", "[{\"title\": \"t\"}]", "[{\"url\": \"u\"}]",
		"[{\"title\": 1, \"url\": \"u\"}]", "[{\"title\": \"t\", \"url\": null}]",
		"[{\"title\": [\"t\"], \"url\": \"u\"}]", "[{\"title\": \"t\", \"url\": {\"u\": 1}}]",
		"{\"0\": {\"title\": \"t\", \"url\": \"u\"}}",
	};
	static const char *const bad_confidence[] = { "NaN", "Infinity", "-Infinity", "-0.0001", "1.0001",
						      "-1e30" };
	static const char *const bad_reasons[] = { "bot_paused", "Other", "other ", "", "other'--" };
	size_t i;
	int depth = 100000;

	/* One byte over the limit, in every text a caller can give. */
	attack(f->r.bot, "BL031", "SELECT balie.post_message($1, 'customer', $2)", f->b, big);
	attack(f->r.bot, "BL031", "SELECT balie.post_message($1, 'bot', $2)", f->b, big_utf8);
	attack(f->r.bot, "BL031", "SELECT balie.open_conversation('billing', 'r', $1)", big);
	attack(f->r.bot, "BL031", "SELECT balie.open_conversation('billing', $1, 'n')", big);
	attack(f->r.bot, "BL031", "SELECT balie.open_conversation('billing', 'r', 'n', $1)", big);
	attack(f->r.bot, "BL031", "SELECT balie.escalate($1, 'other', $2)", f->b, big);
	attack(f->r.bot, "BL031", "SELECT balie.escalate($1, 'other', NULL, NULL, $2)", f->b, big);
	attack(f->r.bot, "BL031", "SELECT balie.close($1, $2)", f->b, big);
	attack(f->r.ann, "BL031", "SELECT balie.reply($1, $2)", f->a, big);
	attack(f->r.ann, "BL031", "SELECT balie.note($1, $2)", f->a, big);
	attack(f->r.ann, "BL031", "SELECT balie.confirm_agreement($1, $2)", f->a, big);
	attack(f->r.ann, "BL031", "SELECT balie.handback($1, $2)", f->a, big);
	attack(f->r.ann, "BL031", "SELECT balie.transfer($1, 'health', $2)", f->a, big);
	attack(f->r.ann, "BL031", "SELECT balie.close($1, $2)", f->a, big);
	/* The customer reference is indexed: a long one was a raw 54000
	 * "index row size exceeds maximum" with the row's location. */
	attack(f->r.bot, "BL031", "SELECT balie.open_conversation('billing', $1, 'n')", long_ref);
	attack(f->r.bot, "BL031", "SELECT balie.open_conversation('billing', $1, 'n')", random_ref);

	/* Blank and missing where something is required. */
	attack(f->r.ann, "BL030", "SELECT balie.reply($1, $2)", f->a, " \t\r\n\f\v \v");
	attack(f->r.ann, "BL030", "SELECT balie.reply($1, NULL)", f->a);
	attack(f->r.bot, "BL030", "SELECT balie.post_message($1, 'customer', '')", f->b);

	/* Bytes that are not UTF-8 never reach a table. */
	attack(f->r.bot, "22021", "SELECT balie.post_message($1, 'customer', $2)", f->b,
	       "\xff\xfe\x80\x81 junk \xc3\x28 \xed\xa0\x80");
	attack(f->r.ann, "22021", "SELECT balie.reply($1, $2)", f->a, "\xc0\xaf\xe0\x80\xaf");

	for (i = 0; i < sizeof bad_sources / sizeof bad_sources[0]; i++)
		attack(f->r.bot, "BL030", "SELECT balie.post_message($1, 'bot', 'x', $2::jsonb)", f->b,
		       bad_sources[i]);
	attack(f->r.bot, "22P02", "SELECT balie.post_message($1, 'bot', 'x', $2::jsonb)", f->b,
	       "[{\"title\": \"t\", \"url\": \"u\"");
	/* Nesting deep enough to exhaust the parser's stack is refused by the
	 * server before any balie code runs. */
	deep = malloc((size_t)depth * 2 + 64);
	assert_non_null(deep);
	p = deep + sprintf(deep, "[{\"title\": \"t\", \"url\": \"u\", \"x\": ");
	memset(p, '[', (size_t)depth);
	memset(p + depth, ']', (size_t)depth);
	strcpy(p + 2 * depth, "}]");
	attack(f->r.bot, "54001", "SELECT balie.post_message($1, 'bot', 'x', $2::jsonb)", f->b, deep);
	free(deep);
	/* 10,000 sources that together pass 1 MiB. */
	many = malloc(10000 * 200 + 16);
	assert_non_null(many);
	p = many;
	*p++ = '[';
	for (i = 0; i < 10000; i++)
		p += sprintf(p, "%s{\"title\": \"t%zu\", \"url\": \"https://kb.example/%0100zu\"}",
			     i ? "," : "", i, i);
	strcpy(p, "]");
	attack(f->r.bot, "BL031", "SELECT balie.post_message($1, 'bot', 'x', $2::jsonb)", f->b, many);
	free(many);

	for (i = 0; i < sizeof bad_confidence / sizeof bad_confidence[0]; i++)
		attack(f->r.bot, "BL030", "SELECT balie.escalate($1, 'other', 'i', $2::real)", f->b,
		       bad_confidence[i]);
	attack(f->r.bot, "22003", "SELECT balie.escalate($1, 'other', 'i', $2::real)", f->b, "1e39");
	for (i = 0; i < sizeof bad_reasons / sizeof bad_reasons[0]; i++)
		attack(f->r.bot, "BL030", "SELECT balie.escalate($1, $2)", f->b, bad_reasons[i]);
	attack(f->r.bot, "BL030", "SELECT balie.escalate($1, NULL)", f->b);

	/* Queue names are data, never SQL or a format string. */
	attack(f->r.bot, "BL002", "SELECT balie.open_conversation($1, 'r', 'n')", "billing' OR '1'='1");
	attack(f->r.bot, "BL002", "SELECT balie.open_conversation($1, 'r', 'n')", "%s%s%s%n");
	attack(f->r.ann, "BL002", "SELECT balie.transfer($1, $2)", f->a, "health; DROP SCHEMA balie");
	attack(f->r.sue, "BL002", "SELECT balie.pause_bot($1, true)", "*");
	attack(f->r.sue, "BL003", "SELECT balie.assign($1, $2)", f->a, "postgres");
	attack(f->r.sue, "BL003", "SELECT balie.assign($1, $2)", f->a, "balie_owner");
	attack(f->r.sue, "BL003", "SELECT balie.assign($1, $2)", f->a, "mallory");
	attack(f->r.sue, "BL030", "SELECT balie.pause_bot('billing', NULL)");
	attack(f->r.ann, "42883", "SELECT balie.reply(ARRAY(SELECT generate_series(1, 10000))::bigint[], 'x')");
	after = snapshot(f->r.root);
	assert_same_snapshot(before, after, "hostile input");
	free(before);
	free(after);
	free(big);
	free(big_utf8);
	free(long_ref);
	free(random_ref);
}

/* What is accepted is stored byte for byte: making it safe to show is the
 * console's job, and changing it here would falsify what the customer said. */
static void hostile_but_valid_text_stored_verbatim(void **state)
{
	struct fx *f = *state;
	static const char junk[] =
		"\x01\x02\x07\x08\x1b[2J\x1b]0;pwned\x07\x1b[31mred\x7f\xc2\x9b\xe2\x80\xae"
		"evil\xe2\x80\xac\xef\xbb\xbf\xf0\x9f\x92\xa3 \\x00 %s %n '; --";
	char *exact = repeat("y", LIMIT), *v, *many, *p;
	size_t i;

	v = pgt_scalar(f->r.bot, "SELECT balie.post_message($1, 'customer', $2)", f->b, junk);
	free(v);
	v = pgt_scalar(f->r.root, "SELECT body = $2 FROM balie.messages WHERE conversation = $1"
		       " ORDER BY seq DESC LIMIT 1", f->b, junk);
	assert_string_equal(v, "t");
	free(v);
	OK(f->r.ann, "SELECT balie.reply($1, $2)", f->a, exact);	/* exactly the limit */
	/* The blank check once trimmed E'\v' in SQL, which is the letter v. */
	OK(f->r.ann, "SELECT balie.reply($1, 'v')", f->a);
	OK(f->r.ann, "SELECT balie.note($1, 'vvv')", f->a);
	OK(f->r.bot, "SELECT balie.post_message($1, 'customer', 'v')", f->b);
	/* 10,000 well-formed sources under 1 MiB are stored as given. */
	many = malloc(10000 * 48 + 16);
	assert_non_null(many);
	p = many;
	*p++ = '[';
	for (i = 0; i < 10000; i++)
		p += sprintf(p, "%s{\"title\": \"t%zu\", \"url\": \"u%zu\"}", i ? "," : "", i, i);
	strcpy(p, "]");
	OK(f->r.bot, "SELECT balie.post_message($1, 'bot', 'many', $2::jsonb)", f->b, many);
	assert_count(f->r.root, 10000, "SELECT jsonb_array_length(sources) FROM balie.messages"
		     " WHERE body = 'many' AND conversation = $1", f->b);
	free(many);
	free(exact);
}

/* -------------------------------------------------------- search_path */

/* A function or operator that, if a balie function ever resolved it, would
 * make that call fail loudly with SQLSTATE EV001. */
static void plant_trojans(PGconn *c, const char *schema)
{
	static const char *const funcs[] = {
		"now() RETURNS timestamptz",
		"lower(text) RETURNS text",
		"btrim(text) RETURNS text",
		"btrim(text, text) RETURNS text",
		"octet_length(text) RETURNS integer",
		"format(text) RETURNS text",
		"format(text, text) RETURNS text",
		"pg_has_role(name, text, text) RETURNS boolean",
		"pg_has_role(text, text, text) RETURNS boolean",
		"set_config(text, text, boolean) RETURNS text",
		"current_setting(text, boolean) RETURNS text",
		"jsonb_typeof(jsonb) RETURNS text",
		"jsonb_build_object(text, bigint, text, bigint) RETURNS jsonb",
		"pg_notify(text, text) RETURNS void",
		"array_position(text[], text) RETURNS integer",
		"session_user() RETURNS name",
		"textlen(text) RETURNS integer",
	};
	static const char *const ops[][3] = {
		{ "=", "text", "text" }, { "<>", "text", "text" }, { "=", "bigint", "bigint" },
		{ "<>", "bigint", "bigint" }, { "=", "integer", "integer" }, { ">", "integer", "integer" },
		{ "<=", "integer", "integer" }, { ">=", "real", "real" }, { "<=", "real", "real" },
		{ "=", "name", "text" }, { "=", "text", "name" }, { "=", "uuid", "uuid" },
		{ "~", "text", "text" }, { "!~", "text", "text" }, { "->", "jsonb", "text" },
		{ "=", "boolean", "boolean" },
	};
	char sql[1024];
	size_t i;

	for (i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
		snprintf(sql, sizeof sql, "CREATE FUNCTION %s.%s LANGUAGE plpgsql AS"
			 " $$BEGIN RAISE EXCEPTION USING ERRCODE = 'EV001', MESSAGE = 'trojan %s.%s';"
			 " END$$", schema, funcs[i], schema, funcs[i]);
		OK(c, sql);
	}
	for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		const char *ret = strcmp(ops[i][0], "->") == 0 ? "jsonb" : "boolean";

		snprintf(sql, sizeof sql, "CREATE FUNCTION %s.trojan_op%zu(%s, %s) RETURNS %s"
			 " LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION USING ERRCODE = 'EV001',"
			 " MESSAGE = 'trojan operator %s'; END$$", schema, i, ops[i][1], ops[i][2], ret,
			 ops[i][0]);
		OK(c, sql);
		snprintf(sql, sizeof sql, "CREATE OPERATOR %s.%s (LEFTARG = %s, RIGHTARG = %s,"
			 " FUNCTION = %s.trojan_op%zu)", schema, ops[i][0], ops[i][1], ops[i][2],
			 schema, i);
		OK(c, sql);
	}
	snprintf(sql, sizeof sql, "GRANT USAGE ON SCHEMA %s TO PUBLIC", schema);
	try_sql(c, sql);
	snprintf(sql, sizeof sql, "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA %s TO PUBLIC", schema);
	try_sql(c, sql);
	/* Tables named like balie's, with a supervisor who is not one. */
	snprintf(sql, sizeof sql, "CREATE TABLE %s.agents (login text, display_name text,"
		 " is_supervisor boolean, created_at timestamptz, last_seen timestamptz)", schema);
	OK(c, sql);
	snprintf(sql, sizeof sql, "INSERT INTO %s.agents VALUES ('%s', 'Trojan Horse', true,"
		 " pg_catalog.now(), pg_catalog.now())",
		 schema, PQuser(c));
	OK(c, sql);
	snprintf(sql, sizeof sql, "CREATE TABLE %s.agent_queues (login text, queue text)", schema);
	OK(c, sql);
	snprintf(sql, sizeof sql, "GRANT ALL ON ALL TABLES IN SCHEMA %s TO PUBLIC", schema);
	try_sql(c, sql);
}

/* The calls that use every code path, made with a hostile search_path. */
static void use_every_function(struct fx *f, const char *path, const char *armed)
{
	char sql[256], conv[24], cmid1[40], cmid2[40], *v;
	PGconn *cs[] = { f->r.bot, f->r.ann, f->r.sue, f->r.cid };
	static unsigned round;
	size_t i;

	round++;
	snprintf(cmid1, sizeof cmid1, "11111111-0000-4000-8000-%012u", round);
	snprintf(cmid2, sizeof cmid2, "22222222-0000-4000-8000-%012u", round);

	for (i = 0; i < sizeof cs / sizeof cs[0]; i++) {
		snprintf(sql, sizeof sql, "SET search_path = %s", path);
		OK(cs[i], sql);
		/* Armed: the caller's own calls do hit the trojans. */
		attack(cs[i], "EV001", armed);
	}
	id_of(conv, sizeof conv, f->r.bot, "SELECT balie.open_conversation('billing', 'sp', 'Search Path')");
	OK(f->r.bot, "SELECT balie.post_message($1, 'customer', 'hello', NULL, $2::uuid)", conv, cmid1);
	OK(f->r.bot, "SELECT balie.post_message($1, 'bot', 'see', '[{\"title\": \"t\", \"url\": \"u\"}]')", conv);
	OK(f->r.bot, "SELECT balie.escalate($1, 'customer_request', 'refund', 0.5, 'wants money')", conv);
	OK(f->r.bot, "SELECT balie.escalate($1, 'not_understood')", conv);	/* refine while waiting */
	v = pgt_scalar(f->r.ann, "SELECT balie.takeover($1)", conv);
	assert_string_equal(v, "t");
	free(v);
	OK(f->r.ann, "SELECT balie.reply($1, 'hi', $2::uuid)", conv, cmid2);
	OK(f->r.ann, "SELECT balie.reply($1, 'hi', $2::uuid)", conv, cmid2);
	OK(f->r.ann, "SELECT balie.note($1, 'n')", conv);
	OK(f->r.ann, "SELECT balie.confirm_agreement($1, 'deal')", conv);
	OK(f->r.ann, "SELECT balie.handback($1, 'over to you')", conv);
	OK(f->r.ann, "SELECT balie.takeover($1)", conv);
	OK(f->r.ann, "SELECT balie.transfer($1, 'health', 'for health')", conv);
	OK(f->r.sue, "SELECT balie.assign($1, 'ann')", conv);
	OK(f->r.sue, "SELECT balie.assign($1, 'sue')", conv);
	OK(f->r.sue, "SELECT balie.pause_bot('parcels', true)");
	OK(f->r.sue, "SELECT balie.pause_bot('parcels', false)");
	OK(f->r.ann, "SELECT balie.heartbeat()");
	OK(f->r.ann, "SELECT * FROM balie.whoami()");
	OK(f->r.sue, "SELECT balie.close($1, 'done')", conv);
	/* Refusals take the same paths. */
	attack(f->r.cid, "BL001", "SELECT balie.reply($1, 'x')", conv);
	attack(f->r.ann, "BL010", "SELECT balie.reply($1, 'x')", conv);
	attack(f->r.bot, "BL030", "SELECT balie.escalate($1, 'nope')", conv);
	/* The read functions, with the trojans in the path, see what they should
	 * (no operator in these queries: the caller's own would be trojans). */
	assert_count(f->r.cid, pgt_long(f->r.root, "SELECT count(*) FROM balie.conversations"
				      " WHERE (queue = 'parcels' OR agent = 'cid') AND state <> 'closed'"),
		     "SELECT count(*) FROM balie.read_conversations()", NULL);
	assert_count(f->r.ann, pgt_long(f->r.root, "SELECT count(*) FROM balie.conversations"
				      " WHERE (queue IN ('billing', 'health') OR agent = 'ann') AND state <> 'closed'"),
		     "SELECT count(*) FROM balie.read_conversations()", NULL);
	/* The customer read the real name, and nobody became a supervisor. */
	assert_count(f->r.root, 3, "SELECT count(*) FROM balie.messages WHERE conversation = $1"
		     " AND body = 'Ann Jansen has joined the conversation.'", conv);
	assert_count(f->r.root, 0, "SELECT count(*) FROM balie.messages WHERE body LIKE '%Trojan%'", NULL);
	assert_count(f->r.root, 1, "SELECT count(*) FROM balie.agents WHERE is_supervisor", NULL);
	for (i = 0; i < sizeof cs / sizeof cs[0]; i++)
		OK(cs[i], "RESET search_path");
}

static void search_path_tricks(void **state)
{
	struct fx *f = *state;
	char sql[256];

	/* Every balie function pins its search_path, pg_catalog first and
	 * pg_temp last, and every definer is owned by balie_owner. */
	assert_count(f->r.root, 0, "SELECT count(*) FROM pg_catalog.pg_proc p"
		     " WHERE p.pronamespace = 'balie'::regnamespace AND NOT coalesce("
		     "  'search_path=pg_catalog, balie, pg_temp' = ANY (p.proconfig), false)", NULL);
	assert_count(f->r.root, 0, "SELECT count(*) FROM pg_catalog.pg_proc p"
		     " WHERE p.pronamespace = 'balie'::regnamespace AND p.prosecdef"
		     " AND p.proowner <> 'balie_owner'::regrole", NULL);

	/* As an admin should: nobody creates objects in the database or in public. */
	snprintf(sql, sizeof sql, "REVOKE CREATE ON DATABASE %s FROM PUBLIC", f->r.db);
	OK(f->r.root, sql);
	OK(f->r.root, "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
	attack(f->r.mallory, "42501", "CREATE SCHEMA evil");
	attack(f->r.ann, "42501", "CREATE SCHEMA evil");
	attack(f->r.ann, "42501", "CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql"
	       " AS 'SELECT NULL::timestamptz'");
	attack(f->r.bot, "42501", "CREATE TABLE public.agents (login text)");
	/* The session's temporary schema is always there: trojans go in it. */
	plant_trojans(f->r.ann, "pg_temp");
	plant_trojans(f->r.bot, "pg_temp");
	plant_trojans(f->r.sue, "pg_temp");
	plant_trojans(f->r.cid, "pg_temp");
	/* pg_temp is never searched for functions and operators unless asked;
	 * a path that asks for it first must not reach the definers. */
	use_every_function(f, "pg_temp, pg_catalog, balie", "SELECT pg_temp.now()");

	/* And with CREATE granted, as a careless admin (or PostgreSQL before
	 * 15, for public) would: a schema of the attacker's own first in the
	 * path, shadowing pg_catalog. */
	snprintf(sql, sizeof sql, "GRANT CREATE ON DATABASE %s TO PUBLIC", f->r.db);
	OK(f->r.root, sql);
	OK(f->r.root, "GRANT CREATE ON SCHEMA public TO PUBLIC");
	OK(f->r.mallory, "CREATE SCHEMA evil");
	plant_trojans(f->r.mallory, "evil");
	plant_trojans(f->r.mallory, "public");
	use_every_function(f, "evil, public, pg_temp, pg_catalog", "SELECT now()");
	use_every_function(f, "\"$user\", public", "SELECT public.lower('x')");
	/* A caller cannot plant anything inside balie itself. */
	attack(f->r.mallory, "42501", "CREATE FUNCTION balie.now() RETURNS timestamptz LANGUAGE sql"
	       " AS 'SELECT NULL::timestamptz'");
	attack(f->r.ann, "42501", "CREATE OPERATOR balie.= (LEFTARG = text, RIGHTARG = text,"
	       " FUNCTION = pg_catalog.texteq)");
}

/* ------------------------------------------------------- role switching */

static void role_switching_refused(void **state)
{
	struct fx *f = *state;
	char *before = snapshot(f->r.root), *after;
	static const char *const targets[] = { "postgres", "balie_owner", "balie_supervisor", "balie_bot",
					       "sue", "ann", "botty", "pg_read_all_data", "pg_write_all_data",
					       "pg_signal_backend" };
	size_t i, k;

	for (i = 0; i < NROLES; i++) {
		PGconn *c = roles[i].conn(f);
		char sql[128];

		for (k = 0; k < sizeof targets / sizeof targets[0]; k++) {
			if (strcmp(PQuser(c), targets[k]) == 0 ||
			    (c == f->r.sue && strcmp(targets[k], "balie_supervisor") == 0) ||
			    (c == f->r.bot && strcmp(targets[k], "balie_bot") == 0))
				continue;
			snprintf(sql, sizeof sql, "SET ROLE %s", targets[k]);
			attack(c, "42501", sql);
			snprintf(sql, sizeof sql, "SET SESSION AUTHORIZATION %s", targets[k]);
			attack(c, "42501", sql);
			snprintf(sql, sizeof sql, "GRANT %s TO %s", targets[k], PQuser(c));
			attack(c, "42501", sql);
		}
		attack(c, "42501", "SET session_replication_role = replica");	/* triggers off */
		attack(c, "42501", "ALTER ROLE CURRENT_USER BYPASSRLS");
		attack(c, "42501", "ALTER ROLE CURRENT_USER SUPERUSER");
		attack(c, "42501", "CREATE ROLE pwned LOGIN");
		attack(c, "42501", "ALTER ROLE balie_owner LOGIN PASSWORD 'pwned'");
		/* Nobody ends another person's session (or the admin's). */
		snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", PQbackendPID(f->r.root));
		attack(c, "42501", sql);
		snprintf(sql, sizeof sql, "SELECT pg_cancel_backend(%d)",
			 PQbackendPID(c == f->r.ann ? f->r.bob : f->r.ann));
		attack(c, "42501", sql);
	}
	/* Row security off does not turn policies off: the query is refused. */
	OK(f->r.cid, "SET row_security = off");
	attack(f->r.cid, "42501", "SELECT count(*) FROM balie.conversations");
	attack(f->r.cid, "42501", "SELECT balie.note($1, 'x')", f->a);
	OK(f->r.cid, "RESET row_security");
	/* Switching to the group role one already has changes nothing: the
	 * policies judge session_user, the person who logged in. */
	OK(f->r.ann, "SET ROLE balie_agent");
	assert_count(f->r.ann, 0, "SELECT count(*) FROM balie.read_conversations(ARRAY[$1::bigint])", f->p);
	attack(f->r.ann, "BL001", "SELECT balie.reply($1, 'x')", f->p);
	attack(f->r.ann, "42501", "SELECT balie.assign($1, 'ann')", f->p);
	OK(f->r.ann, "RESET ROLE");
	after = snapshot(f->r.root);
	assert_same_snapshot(before, after, "role switching");
	free(before);
	free(after);
}

/* The audit trail's note travels in a setting every session can SET; no
 * caller may put words in it for a change it did not annotate. */
static void forged_audit_note_ignored(void **state)
{
	struct fx *f = *state;
	char conv[24];

	OK(f->r.bot, "SET balie.note = 'FORGED: the supervisor told me to'");
	OK(f->r.ann, "SET balie.note = 'FORGED: the supervisor told me to'");
	OK(f->r.sue, "SET balie.note = 'FORGED: the supervisor told me to'");
	id_of(conv, sizeof conv, f->r.bot, "SELECT balie.open_conversation('billing', 'n', 'Note')");
	OK(f->r.bot, "SELECT balie.escalate($1, 'other')", conv);
	OK(f->r.ann, "SELECT balie.takeover($1)", conv);
	OK(f->r.ann, "SELECT balie.handback($1)", conv);
	OK(f->r.ann, "SELECT balie.takeover($1)", conv);
	OK(f->r.sue, "SELECT balie.assign($1, 'bob')", conv);
	OK(f->r.sue, "SELECT balie.transfer($1, 'health')", conv);
	OK(f->r.sue, "SELECT balie.close($1)", conv);
	/* open, escalate, takeover, handback, takeover, transfer, close (an
	 * assignment between people keeps the state, so it is not a row). */
	assert_count(f->r.root, 7, "SELECT count(*) FROM balie.state_changes WHERE conversation = $1", conv);
	assert_count(f->r.root, 0, "SELECT count(*) FROM balie.state_changes WHERE note LIKE '%FORGED%'", NULL);
	/* A note given through the API is still recorded. */
	id_of(conv, sizeof conv, f->r.bot, "SELECT balie.open_conversation('billing', 'n', 'Note')");
	OK(f->r.ann, "SELECT balie.takeover($1)", conv);
	OK(f->r.ann, "SELECT balie.transfer($1, 'health', 'real note')", conv);
	assert_count(f->r.root, 1, "SELECT count(*) FROM balie.state_changes WHERE conversation = $1"
		     " AND note = 'real note'", conv);
}

/* ------------------------------------------------------ internal helpers */

static void only_the_api_is_callable(void **state)
{
	struct fx *f = *state;
	char *before = snapshot(f->r.root), *after;
	/* What each role may execute in schema balie, and nothing more. */
	static const char *const people[] = {
		"_can_see", "_is_agent", "_is_bot", "_is_supervisor", "_my_queues", "close", "confirm_agreement",
		"handback", "heartbeat", "mark_read", "note", "read_agents", "read_conversations", "read_feed",
		"read_history", "read_macros", "read_me", "read_messages", "read_queues", "read_states",
		"read_wrapups", "relay_ticket", "reply", "search", "set_status", "set_viewing", "take_next",
		"takeover", "transfer", "whoami",
	};
	static const char *const want[] = {
		"_can_see,_is_agent,_is_bot,_is_supervisor,_my_queues,add_macro,add_wrapup,assign,close,"
		"confirm_agreement,disclosure_report,"
		"handback,heartbeat,mark_read,note,pause_bot,read_agents,read_conversations,read_feed,read_history,"
		"read_macros,read_me,read_messages,read_queues,read_states,read_wrapups,relay_ticket,reply,search,"
		"set_capacity,set_routing,set_status,set_viewing,supervisor_agents,"
		"supervisor_queues,take_next,takeover,transfer,whoami",
		"_can_see,_is_agent,_is_bot,_is_supervisor,_my_queues,close,escalate,open_conversation,"
		"post_message,read_conversations,read_feed,read_history,read_me,read_messages,read_queues,"
		"read_states,relay_ticket,whoami",
		"",
	};
	PGresult *r;
	char *v, list[1024] = "";
	size_t i;
	int row;

	for (i = 0; i < sizeof people / sizeof people[0]; i++) {
		strcat(list, i ? "," : "");
		strcat(list, people[i]);
	}
	for (i = 0; i < NROLES; i++) {
		const char *role = roles[i].name;
		const char *expect = strcmp(role, "sue") == 0 ? want[0] : strcmp(role, "botty") == 0 ? want[1] :
				     strcmp(role, "mallory") == 0 ? want[2] : list;

		v = pgt_scalar(f->r.root, "SELECT coalesce(string_agg(DISTINCT p.proname, ',' ORDER BY p.proname), '')"
			       " FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'balie'::regnamespace"
			       " AND has_function_privilege($1, p.oid, 'EXECUTE')", role);
		if (strcmp(v, expect) != 0) {
			fprintf(stderr, "%s may execute: %s\n  expected: %s\n", role, v, expect);
			fail();
		}
		free(v);
	}
	/* And calling any of the others, with any arguments, is refused. */
	r = pgt_ok(f->r.root, "SELECT p.oid::regprocedure::text, p.proname,"
		   " (SELECT string_agg('NULL::' || format_type(t, NULL), ', ' ORDER BY n)"
		   "   FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, n))"
		   " FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'balie'::regnamespace ORDER BY 1");
	for (row = 0; row < PQntuples(r); row++) {
		const char *name = PQgetvalue(r, row, 1);
		char sql[512];

		snprintf(sql, sizeof sql, "SELECT balie.%s(%s)", name, PQgetvalue(r, row, 2));
		for (i = 0; i < NROLES; i++) {
			const char *role = roles[i].name;
			bool may = pgt_long(f->r.root, "SELECT has_function_privilege($1, $2::regprocedure,"
					    " 'EXECUTE')::int", role, PQgetvalue(r, row, 0)) == 1;

			if (!may)
				attack(roles[i].conn(f), "42501", sql);
		}
	}
	PQclear(r);
	/* The ones granted to everybody say nothing about anybody else. */
	assert_count(f->r.cid, 0, "SELECT balie._can_see('billing', 'ann')::int", NULL);
	assert_count(f->r.cid, 1, "SELECT balie._can_see('parcels', NULL)::int", NULL);
	v = pgt_scalar(f->r.cid, "SELECT balie._my_queues()::text");
	assert_string_equal(v, "{parcels}");
	free(v);
	after = snapshot(f->r.root);
	assert_same_snapshot(before, after, "internal helpers");
	free(before);
	free(after);
}

/* ------------------------------------------------------------- LISTEN */

struct listener {
	PGconn *c;
	int count[4];		/* balie, balie_bot, balie_queue, done */
};

static void listen_on(struct listener *l, PGconn *c)
{
	l->c = c;
	memset(l->count, 0, sizeof l->count);
	OK(c, "LISTEN balie");
	OK(c, "LISTEN balie_bot");
	OK(c, "LISTEN balie_queue");
	OK(c, "LISTEN attack_done");
}

/* Checks one payload with the server's JSON parser: exactly the documented
 * keys, and values that are numbers, state words or booleans. */
static void check_payload(PGconn *root, const char *channel, const char *payload)
{
	const char *sql;
	long good;

	if (strstr(payload, SECRET)) {
		fprintf(stderr, "a NOTIFY %s payload carries text: %s\n", channel, payload);
		fail();
	}
	if (strcmp(channel, "balie") == 0)
		sql = "SELECT (j ?& ARRAY['conv', 'version'] AND (SELECT count(*) FROM jsonb_object_keys(j)) = 2"
		      " AND jsonb_typeof(j->'conv') = 'number' AND jsonb_typeof(j->'version') = 'number')::int"
		      " FROM (SELECT $1::jsonb AS j) s";
	else if (strcmp(channel, "balie_bot") == 0)
		sql = "SELECT (j ?& ARRAY['conv', 'state'] AND (SELECT count(*) FROM jsonb_object_keys(j)) = 2"
		      " AND jsonb_typeof(j->'conv') = 'number'"
		      " AND j->>'state' IN ('bot', 'waiting', 'human', 'closed'))::int"
		      " FROM (SELECT $1::jsonb AS j) s";
	else
		sql = "SELECT (j ?& ARRAY['queue', 'bot_paused'] AND (SELECT count(*) FROM jsonb_object_keys(j)) = 2"
		      " AND jsonb_typeof(j->'queue') = 'string' AND jsonb_typeof(j->'bot_paused') = 'boolean')::int"
		      " FROM (SELECT $1::jsonb AS j) s";
	good = pgt_long(root, sql, payload);
	if (good != 1) {
		fprintf(stderr, "NOTIFY %s payload is not the documented shape: %s\n", channel, payload);
		fail();
	}
}

/* Reads notifications until each listener has seen the closing one. */
static void drain(struct listener *ls, size_t n, PGconn *root)
{
	struct timespec start, now;
	size_t done = 0, i;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (done < n) {
		struct pollfd pfd[8];
		PGnotify *no;

		clock_gettime(CLOCK_MONOTONIC, &now);
		assert_true(now.tv_sec - start.tv_sec < 10);
		for (i = 0; i < n; i++)
			pfd[i] = (struct pollfd){ PQsocket(ls[i].c), POLLIN, 0 };
		poll(pfd, n, 100);
		for (i = 0; i < n; i++) {
			assert_int_equal(PQconsumeInput(ls[i].c), 1);
			while ((no = PQnotifies(ls[i].c)) != NULL) {
				if (strcmp(no->relname, "attack_done") == 0) {
					ls[i].count[3]++;
					done++;
				} else {
					int k = strcmp(no->relname, "balie") == 0 ? 0 :
						strcmp(no->relname, "balie_bot") == 0 ? 1 : 2;

					check_payload(root, no->relname, no->extra);
					ls[i].count[k]++;
				}
				PQfreemem(no);
			}
		}
	}
}

static void listen_learns_ids_and_versions_only(void **state)
{
	struct fx *f = *state;
	struct listener ls[3];
	char conv[24];

	listen_on(&ls[0], f->r.mallory);	/* LISTEN needs no privilege at all */
	listen_on(&ls[1], f->r.cid);
	listen_on(&ls[2], f->r.bot);
	id_of(conv, sizeof conv, f->r.bot, "SELECT balie.open_conversation('billing', '" SECRET "-L ref',"
	      " '" SECRET "-L name')");
	OK(f->r.bot, "SELECT balie.post_message($1, 'customer', '" SECRET "-L my password is hunter2')", conv);
	OK(f->r.bot, "SELECT balie.post_message($1, 'bot', '" SECRET "-L',"
	   " '[{\"title\": \"" SECRET "-L\", \"url\": \"" SECRET "-L\"}]')", conv);
	OK(f->r.bot, "SELECT balie.escalate($1, 'sensitive_topic', '" SECRET "-L', 0.9, '" SECRET "-L summary')", conv);
	OK(f->r.ann, "SELECT balie.takeover($1)", conv);
	OK(f->r.ann, "SELECT balie.reply($1, '" SECRET "-L reply')", conv);
	OK(f->r.ann, "SELECT balie.note($1, '" SECRET "-L note')", conv);
	OK(f->r.ann, "SELECT balie.confirm_agreement($1, '" SECRET "-L agreement')", conv);
	OK(f->r.ann, "SELECT balie.handback($1, '" SECRET "-L handback')", conv);
	OK(f->r.bot, "SELECT balie.close($1, '" SECRET "-L resolution')", conv);
	OK(f->r.sue, "SELECT balie.pause_bot('billing', true)");
	OK(f->r.sue, "SELECT balie.pause_bot('billing', false)");
	OK(f->r.root, "NOTIFY attack_done");
	drain(ls, 3, f->r.root);
	/* Everyone hears the same ids and versions, whatever they may read. */
	print_message("NOTIFY heard by mallory: balie %d, balie_bot %d, balie_queue %d\n",
		      ls[0].count[0], ls[0].count[1], ls[0].count[2]);
	assert_true(ls[0].count[0] >= 10);
	assert_int_equal(ls[0].count[1], 5);	/* open, escalate, takeover, handback, close */
	assert_int_equal(ls[0].count[2], 2);
	assert_int_equal(ls[1].count[0], ls[0].count[0]);
	assert_int_equal(ls[2].count[0], ls[0].count[0]);
}

/* ------------------------------------- issue 12: side channels around RLS */

/* 1. EXPLAIN ANALYZE printed "Rows Removed by Filter" for rows of other
 * queues (the index condition ran before the policy), so a hidden
 * customer_ref could be read character by character. */
static void explain_analyze_reads_nothing(void **state)
{
	struct fx *f = *state;
	PGresult *r;

	OK(f->r.cid, "SET enable_seqscan = off");
	OK(f->r.cid, "SET enable_bitmapscan = off");
	attack(f->r.cid, "42501", "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)"
	       " SELECT 1 FROM balie.conversations WHERE customer_ref = 'A'");
	attack(f->r.cid, "42501", "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)"
	       " SELECT 1 FROM balie.conversations WHERE customer_ref > 'A' AND customer_ref < 'B'");
	attack(f->r.cid, "42501", "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)"
	       " SELECT 1 FROM balie.messages WHERE conversation = 1");
	/* Through the read API the plan is a function scan over what the caller
	 * may see: a hidden reference plans and counts like one nobody has. */
	for (int k = 0; k < 2; k++) {
		char *plan = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&plan, &len);
		static char *first;

		assert_non_null(m);
		r = pgt_ok(f->r.cid, "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)"
			   " SELECT 1 FROM balie.read_conversations() WHERE customer_ref = $1", k ? "A" : "ZZZ");
		for (int i = 0; i < PQntuples(r); i++)	/* the Filter line names the literal */
			if (!strstr(PQgetvalue(r, i, 0), "Filter: ("))
				fprintf(m, "%s\n", PQgetvalue(r, i, 0));
		PQclear(r);
		fclose(m);
		if (k == 0) {
			first = plan;
		} else {
			assert_string_equal(plan, first);
			free(first);
			free(plan);
		}
	}
}

/* 2. Planner estimates read statistics that pg_stats hides: ~40 rows for a
 * hidden customer_name, 1 when none has it; the bot confirmed a note. */
static void planner_estimates_have_nothing_to_read(void **state)
{
	struct fx *f = *state;

	OK(f->r.root, "ANALYZE");
	for (size_t i = 0; i < NROLES; i++) {
		PGconn *c = roles[i].conn(f);

		attack(c, "42501", "EXPLAIN SELECT 1 FROM balie.conversations"
		       " WHERE customer_name = '" SECRET "-A customer name'");
		attack(c, "42501", "EXPLAIN SELECT 1 FROM balie.messages WHERE body = '" SECRET "-A note'");
		attack(c, "42501", "EXPLAIN SELECT 1 FROM balie.agreements WHERE body = 'x'");
		attack(c, "42501", "EXPLAIN SELECT 1 FROM balie.state_changes WHERE note = 'x'");
	}
}

/* Elapsed seconds of SQL on C, which must finish with STATE ("" = success). */
static double timed(PGconn *c, const char *state, const char *sql, const char *arg)
{
	double t0 = pgt_now_s();
	PGresult *r = arg ? pgt_query(c, sql, arg) : pgt_query(c, sql);
	const char *got = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	double secs = pgt_now_s() - t0;

	if (*state ? !got || strcmp(got, state) != 0 : PQresultStatus(r) == PGRES_FATAL_ERROR) {
		fprintf(stderr, "as %s after %.2f s: %s\n  want %s, got %s %s", PQuser(c), secs, sql,
			*state ? state : "success", got ? got : "(ok)", PQerrorMessage(c));
		PQclear(r);
		fail();
	}
	PQclear(r);
	return secs;
}

/* 3. An open transaction stalled other people: a transfer or escalation
 * locked the queue's row (the waiting-count sample), and a note held the
 * conversation's row with nothing to bound the wait. */
static void an_open_transaction_stalls_nobody(void **state)
{
	struct fx *f = *state;
	char health_bot[24], billing_waiting[24], billing_bot[24];
	char *v;
	double secs;

	id_of(health_bot, 24, f->r.bot, "SELECT balie.open_conversation('health', 'hb', 'x')");
	id_of(billing_waiting, 24, f->r.bot, "SELECT balie.open_conversation('billing', 'bw', 'x')");
	OK(f->r.bot, "SELECT balie.escalate($1, 'other')", billing_waiting);
	id_of(billing_bot, 24, f->r.bot, "SELECT balie.open_conversation('billing', 'bb', 'x')");
	OK(f->r.ann, "SET statement_timeout = '8s'");
	OK(f->r.bob, "SET statement_timeout = '8s'");
	OK(f->r.bot, "SET statement_timeout = '8s'");

	/* cid moves his own conversation into health and sits on it. */
	OK(f->r.cid, "BEGIN");
	OK(f->r.cid, "SELECT balie.transfer($1, 'health')", f->p);
	secs = timed(f->r.ann, "", "SELECT balie.takeover($1)", f->h);
	secs += timed(f->r.bot, "", "SELECT balie.escalate($1, 'other')", health_bot);
	print_message("takeover and escalation in health beside an open transfer: %.3f s\n", secs);
	assert_true(secs < 2.0);
	OK(f->r.cid, "ROLLBACK");

	/* The bot escalates and sits on it: billing goes on. */
	OK(f->r.bot, "BEGIN");
	OK(f->r.bot, "SELECT balie.escalate($1, 'other')", billing_bot);
	secs = timed(f->r.bob, "", "SELECT balie.takeover($1)", billing_waiting);
	assert_true(secs < 1.0);
	OK(f->r.bot, "ROLLBACK");

	/* bob notes on ann's conversation and sits on it: ann's reply and the
	 * customer's message give up within seconds, with a retryable error. */
	OK(f->r.bob, "BEGIN");
	OK(f->r.bob, "SELECT balie.note($1, 'holding it')", f->a);
	secs = timed(f->r.ann, "BL040", "SELECT balie.reply($1, 'hello?')", f->a);
	assert_true(secs > 2.0 && secs < 6.0);
	v = attack_(f->r.bot, "BL040", "SELECT balie.post_message($1, 'customer', 'anyone?')", f->a,
		    (const char *)0);
	assert_non_null(strstr(v, "try again"));
	free(v);
	OK(f->r.bob, "ROLLBACK");
	/* And a forgotten BEGIN ends by itself: every call sets the timeout. */
	v = pgt_scalar(f->r.bob, "SHOW idle_in_transaction_session_timeout");
	assert_string_equal(v, "30s");
	free(v);
	OK(f->r.ann, "RESET statement_timeout");
	OK(f->r.bob, "RESET statement_timeout");
	OK(f->r.bot, "RESET statement_timeout");
}

/* 4. takeover checked visibility before it waited for the row: a transfer
 * into another queue committing meanwhile handed the conversation to an
 * agent who does not work that queue. */
static void takeover_rechecks_after_the_wait(void **state)
{
	struct fx *f = *state;
	char w[24], pid[16], *v;
	PGresult *r;
	const char *params[1] = { w };
	double deadline = pgt_now_s() + 5;

	id_of(w, sizeof w, f->r.bot, "SELECT balie.open_conversation('billing', 'w', 'x')");
	OK(f->r.bot, "SELECT balie.escalate($1, 'other')", w);
	OK(f->r.sue, "BEGIN");
	OK(f->r.sue, "SELECT balie.transfer($1, 'parcels')", w);
	assert_int_equal(PQsendQueryParams(f->r.bob, "SELECT balie.takeover($1)", 1, NULL, params,
					   NULL, NULL, 0), 1);
	snprintf(pid, sizeof pid, "%d", PQbackendPID(f->r.bob));
	while (pgt_long(f->r.root, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int"
			" AND wait_event_type = 'Lock'", pid) == 0) {
		assert_true(pgt_now_s() < deadline);
		pgt_pause_ms(20);
	}
	OK(f->r.sue, "COMMIT");
	r = PQgetResult(f->r.bob);
	v = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (!v || strcmp(v, "BL001") != 0) {
		fprintf(stderr, "takeover across a transfer: %s %s\n", v ? v : "(ok)",
			PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "");
		PQclear(r);
		fail();
	}
	PQclear(r);
	while ((r = PQgetResult(f->r.bob)))
		PQclear(r);
	v = pgt_scalar(f->r.root, "SELECT concat_ws('|', queue, state, agent) FROM balie.conversations"
		       " WHERE id = $1", w);
	assert_string_equal(v, "parcels|waiting");
	free(v);
}

/* 5. Group roles are cluster-wide: a supervisor or bot of one balie database
 * acted in every other one of the cluster. */
static void authority_stays_in_its_database(void **state)
{
	struct fx *f = *state;
	char *other = pgt_fresh_db(), conv[24];
	PGconn *root2 = pgt_connect(other, "postgres");
	PGconn *bot2 = pgt_connect(other, "botty");
	PGconn *sue2, *bot2b;

	PQsetNoticeProcessor(root2, ignore_notice, NULL);
	id_of(conv, sizeof conv, bot2, "SELECT balie.open_conversation('billing', 'o', '" SECRET "-O')");
	OK(bot2, "SELECT balie.post_message($1, 'customer', '" SECRET "-O my PIN is 1234')", conv);
	PQfinish(bot2);
	/* In the other database sue and botty are nobody: only their group
	 * memberships, which are the cluster's, remain. */
	OK(root2, "DELETE FROM balie.agent_queues WHERE login = 'sue'");
	OK(root2, "DELETE FROM balie.agents WHERE login = 'sue'");
	OK(root2, "DO $$ BEGIN IF to_regclass('balie.bots') IS NOT NULL THEN"
	   " DELETE FROM balie.bot_queues; DELETE FROM balie.bots; END IF; END $$");
	sue2 = pgt_connect(other, "sue");
	bot2b = pgt_connect(other, "botty");
	attack(sue2, "42501", "SELECT count(*) FROM balie.messages");
	attack(sue2, "BL003", "SELECT balie.pause_bot('billing', true)");
	attack(sue2, "BL003", "SELECT * FROM balie.supervisor_queues()");
	attack(sue2, "BL003", "SELECT balie.assign($1, 'ann')", conv);
	attack(bot2b, "42501", "SELECT count(*) FROM balie.conversations");
	attack(bot2b, "BL003", "SELECT balie.post_message($1, 'bot', 'hi')", conv);
	attack(bot2b, "BL003", "SELECT balie.open_conversation('billing', 'x', 'x')");
	assert_count(sue2, 0, "SELECT count(*) FROM balie.read_messages($1, 0, 0, 100)", conv);
	assert_count(sue2, 0, "SELECT count(*) FROM balie.read_conversations()", NULL);
	assert_count(bot2b, 0, "SELECT count(*) FROM balie.read_states(ARRAY[$1::bigint])", conv);
	assert_count(root2, 0, "SELECT count(*) FROM balie.queues WHERE bot_paused", NULL);
	/* At home they still are who they were. */
	assert_int_equal(pgt_long(f->r.sue, "SELECT count(*) FROM balie.read_states(ARRAY[$1, $2, $3, $4, $5]"
				  "::bigint[])", f->a, f->p, f->h, f->b, f->c), 5);
	PQfinish(sue2);
	PQfinish(bot2b);
	PQfinish(root2);
	free(other);
}

/* 6. LISTEN balie_presence told anyone, even a role outside balie, which
 * agent came online or went away. */
static void presence_listeners_learn_no_login(void **state)
{
	struct fx *f = *state;
	double deadline = pgt_now_s() + 5;
	int heard = 0;

	OK(f->r.mallory, "LISTEN balie_presence");
	OK(f->r.ann, "SELECT balie.heartbeat()");
	OK(f->r.ann, "SELECT balie.heartbeat(true)");
	while (heard < 2) {
		struct pollfd p = { PQsocket(f->r.mallory), POLLIN, 0 };
		PGnotify *n;

		assert_true(pgt_now_s() < deadline);
		poll(&p, 1, 100);
		assert_int_equal(PQconsumeInput(f->r.mallory), 1);
		while ((n = PQnotifies(f->r.mallory)) != NULL) {
			if (strstr(n->extra, "ann") || *n->extra) {
				fprintf(stderr, "balie_presence told mallory: %s\n", n->extra);
				PQfreemem(n);
				fail();
			}
			heard++;
			PQfreemem(n);
		}
	}
}

/* 7. A REPEATABLE READ transaction begun before add_agent took a queue away
 * kept the old membership: note and takeover still succeeded. */
static void removed_agent_stops_at_once(void **state)
{
	struct fx *f = *state;
	char *msg;

	OK(f->r.ann, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	OK(f->r.ann, "SELECT count(*) FROM balie.whoami()");	/* the snapshot is taken */
	OK(f->r.root, "SELECT balie.add_agent('ann', 'Ann Jansen', ARRAY['billing'])");
	msg = attack_(f->r.ann, "BL041", "SELECT balie.note($1, 'still here')", f->h, (const char *)0);
	assert_non_null(strstr(msg, "READ COMMITTED"));
	free(msg);
	OK(f->r.ann, "ROLLBACK");
	OK(f->r.ann, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	OK(f->r.ann, "SELECT count(*) FROM balie.whoami()");
	attack(f->r.ann, "BL041", "SELECT balie.takeover($1)", f->h);
	OK(f->r.ann, "ROLLBACK");
	/* In READ COMMITTED each call reads the membership afresh. */
	OK(f->r.ann, "BEGIN");
	OK(f->r.ann, "SELECT count(*) FROM balie.whoami()");
	OK(f->r.root, "SELECT balie.add_agent('ann', 'Ann Jansen', ARRAY['parcels'])");
	attack(f->r.ann, "BL001", "SELECT balie.note($1, 'still here')", f->b);
	OK(f->r.ann, "ROLLBACK");
	assert_count(f->r.root, 0, "SELECT count(*) FROM balie.messages WHERE body = 'still here'", NULL);
	assert_count(f->r.root, 1, "SELECT count(*) FROM balie.conversations WHERE id = $1 AND agent IS NULL", f->h);
}

/* 8. note on a hidden conversation took ~3x as long as on a missing id (the
 * visibility check ran only when the row existed). Timed on the server, in
 * rounds that alternate, so load on the machine hits both alike. */
static void hidden_and_missing_take_the_same_time(void **state)
{
	struct fx *f = *state;
	double hidden = 1e9, missing = 1e9;

	OK(f->r.cid, "CREATE FUNCTION pg_temp.cost(conv bigint, n int) RETURNS float8 LANGUAGE plpgsql AS $$"
	   " DECLARE t0 timestamptz := clock_timestamp();"
	   " BEGIN FOR i IN 1..n LOOP"
	   "  BEGIN PERFORM balie.note(conv, 'x'); EXCEPTION WHEN OTHERS THEN NULL; END;"
	   " END LOOP; RETURN extract(epoch FROM clock_timestamp() - t0); END $$");
	for (int round = 0; round < 9; round++) {
		char *v = pgt_scalar(f->r.cid, "SELECT pg_temp.cost($1, 300)", f->a);
		double h = strtod(v, NULL), m;

		free(v);
		v = pgt_scalar(f->r.cid, "SELECT pg_temp.cost($1, 300)", NOT_THERE);
		m = strtod(v, NULL);
		free(v);
		hidden = h < hidden ? h : hidden;
		missing = m < missing ? m : missing;
	}
	print_message("300 notes: hidden %.1f ms, missing %.1f ms (ratio %.2f)\n", hidden * 1e3,
		      missing * 1e3, hidden / missing);
	assert_true(hidden / missing < 1.3 && missing / hidden < 1.3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(direct_dml_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(other_queues_stay_unseen, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(functions_hide_other_queues, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(hidden_and_locked_is_not_found_at_once, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(outsiders_cannot_stall_a_queue, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(acting_for_others_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(forged_author_kinds_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(hostile_input_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(hostile_but_valid_text_stored_verbatim, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(search_path_tricks, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(role_switching_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(forged_audit_note_ignored, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(only_the_api_is_callable, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(listen_learns_ids_and_versions_only, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(explain_analyze_reads_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(planner_estimates_have_nothing_to_read, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(an_open_transaction_stalls_nobody, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(takeover_rechecks_after_the_wait, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(authority_stays_in_its_database, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(presence_listeners_learn_no_login, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(removed_agent_stops_at_once, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(hidden_and_missing_take_the_same_time, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
