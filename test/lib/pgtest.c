/* Helpers for tests against the harness's PostgreSQL; see pgtest.h. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "pgtest.h"

const char pgt_null_marker[] = "<sql null>";

static const char *env_or_fail(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		fprintf(stderr, "%s is not set: run this test through "
			"test/harness/with-pg.sh (or make check)\n", name);
		exit(77);
	}
	return v;
}

char *pgt_conninfo(const char *db, const char *role)
{
	char *s = NULL;
	int n = asprintf(&s, "host=%s port=%s dbname=%s user=%s",
			 env_or_fail("BALIE_TEST_PGDIR"),
			 env_or_fail("BALIE_TEST_PGPORT"), db, role);

	assert_true(n > 0);
	return s;
}

PGconn *pgt_connect(const char *db, const char *role)
{
	char *ci = pgt_conninfo(db, role);
	PGconn *c = PQconnectdb(ci);

	free(ci);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "connect %s as %s: %s", db, role, PQerrorMessage(c));
		fail();
	}
	return c;
}

static PGresult *vquery(PGconn *conn, const char *sql, va_list ap)
{
	const char *params[32];
	int n = 0;
	const char *p;

	while ((p = va_arg(ap, const char *)) != NULL) {
		assert_true(n < 32);
		params[n++] = p == PGT_NULL ? NULL : p;
	}
	return PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
}

PGresult *pgt_query_(PGconn *conn, const char *sql, ...)
{
	va_list ap;
	PGresult *r;

	va_start(ap, sql);
	r = vquery(conn, sql, ap);
	va_end(ap);
	return r;
}

static int is_ok(PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);

	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

PGresult *pgt_ok_(PGconn *conn, const char *sql, ...)
{
	va_list ap;
	PGresult *r;

	va_start(ap, sql);
	r = vquery(conn, sql, ap);
	va_end(ap);
	if (!is_ok(r)) {
		fprintf(stderr, "query failed: %s\n  %s", sql, PQerrorMessage(conn));
		PQclear(r);
		fail();
	}
	return r;
}

static char *scalar(PGresult *r, PGconn *conn, const char *sql)
{
	char *v;

	if (!is_ok(r)) {
		fprintf(stderr, "query failed: %s\n  %s", sql, PQerrorMessage(conn));
		PQclear(r);
		fail();
	}
	if (PQntuples(r) != 1 || PQnfields(r) != 1) {
		fprintf(stderr, "expected one value from: %s (got %d rows)\n",
			sql, PQntuples(r));
		PQclear(r);
		fail();
	}
	v = PQgetisnull(r, 0, 0) ? NULL : strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

char *pgt_scalar_(PGconn *conn, const char *sql, ...)
{
	va_list ap;
	PGresult *r;

	va_start(ap, sql);
	r = vquery(conn, sql, ap);
	va_end(ap);
	return scalar(r, conn, sql);
}

long pgt_long_(PGconn *conn, const char *sql, ...)
{
	va_list ap;
	PGresult *r;
	char *v;
	long n;

	va_start(ap, sql);
	r = vquery(conn, sql, ap);
	va_end(ap);
	v = scalar(r, conn, sql);
	assert_non_null(v);
	n = strtol(v, NULL, 10);
	free(v);
	return n;
}

char *pgt_fails_(PGconn *conn, const char *sqlstate, const char *sql, ...)
{
	va_list ap;
	PGresult *r;
	const char *got;
	char *msg;

	va_start(ap, sql);
	r = vquery(conn, sql, ap);
	va_end(ap);
	if (is_ok(r)) {
		fprintf(stderr, "expected SQLSTATE %s, but it succeeded: %s\n",
			sqlstate, sql);
		PQclear(r);
		fail();
	}
	got = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (!got || strcmp(got, sqlstate) != 0) {
		fprintf(stderr, "expected SQLSTATE %s, got %s: %s\n  %s",
			sqlstate, got ? got : "(none)", sql, PQerrorMessage(conn));
		PQclear(r);
		fail();
	}
	msg = strdup(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
	PQclear(r);
	return msg;
}

char *pgt_fresh_db(void)
{
	static unsigned counter;
	char *name = NULL;
	char sql[128];
	PGconn *admin = pgt_connect("postgres", "postgres");
	PGresult *r;

	assert_true(asprintf(&name, "t_%ld_%u", (long)getpid(), counter++) > 0);
	/* CREATE DATABASE takes no parameters; the name is ours, not input. */
	snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE balie_tmpl", name);
	r = PQexec(admin, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(admin));
		fail();
	}
	PQclear(r);
	PQfinish(admin);
	return name;
}

void pgt_harness(const char *action)
{
	char *cmd = NULL;
	int rc;

	assert_true(asprintf(&cmd, "'%s' %s '%s'", env_or_fail("BALIE_TEST_HARNESS"),
			     action, env_or_fail("BALIE_TEST_PGDIR")) > 0);
	rc = system(cmd);
	free(cmd);
	assert_int_equal(rc, 0);
}

void pgt_roles_open(struct pgt_roles *r)
{
	r->db = pgt_fresh_db();
	r->root = pgt_connect(r->db, "postgres");
	r->bot = pgt_connect(r->db, "botty");
	r->ann = pgt_connect(r->db, "ann");
	r->bob = pgt_connect(r->db, "bob");
	r->cid = pgt_connect(r->db, "cid");
	r->sue = pgt_connect(r->db, "sue");
	r->mallory = pgt_connect(r->db, "mallory");
}

void pgt_roles_close(struct pgt_roles *r)
{
	PQfinish(r->root);
	PQfinish(r->bot);
	PQfinish(r->ann);
	PQfinish(r->bob);
	PQfinish(r->cid);
	PQfinish(r->sue);
	PQfinish(r->mallory);
	free(r->db);
}

void pgt_open_conv(PGconn *bot, const char *queue, char id[24])
{
	char *v = pgt_scalar(bot,
		"select balie.open_conversation($1, 'cust-1', 'Carla Customer')", queue);

	assert_non_null(v);
	snprintf(id, 24, "%s", v);
	free(v);
}

double pgt_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void pgt_pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

const char *pgt_balie_bin(void)
{
	const char *b = getenv("BALIE_BIN");

	return b && *b ? b : "./balie";
}
