/* Helpers for tests that run against the harness's throwaway PostgreSQL.
 *
 * test/harness/with-pg.sh starts the server and exports BALIE_TEST_*; the
 * template database "balie_tmpl" holds schemas/ and test/harness/fixtures.sql.
 * Every test takes a fresh copy with pgt_fresh_db() so tests never see each
 * other's rows. Query helpers take a NULL-terminated list of text parameters;
 * pass PGT_NULL for an SQL NULL. Failures are cmocka assertion failures. */
#ifndef BALIE_TEST_PGTEST_H
#define BALIE_TEST_PGTEST_H

#include <libpq-fe.h>

extern const char pgt_null_marker[];
#define PGT_NULL pgt_null_marker

/* Creates a new database from the template and returns its name (malloc'd). */
char *pgt_fresh_db(void);

/* A conninfo string for ROLE on DB over the harness's Unix socket (malloc'd). */
char *pgt_conninfo(const char *db, const char *role);

/* Connects (blocking; tests only) and asserts success. */
PGconn *pgt_connect(const char *db, const char *role);

/* Runs SQL with text parameters and returns the result whatever its status. */
PGresult *pgt_query_(PGconn *conn, const char *sql, ...);
#define pgt_query(conn, ...) pgt_query_(conn, __VA_ARGS__, (const char *)0)

/* Like pgt_query but asserts success (the error message is printed). */
PGresult *pgt_ok_(PGconn *conn, const char *sql, ...);
#define pgt_ok(conn, ...) pgt_ok_(conn, __VA_ARGS__, (const char *)0)

/* Asserts one row, one column; returns its value (malloc'd) or NULL. */
char *pgt_scalar_(PGconn *conn, const char *sql, ...);
#define pgt_scalar(conn, ...) pgt_scalar_(conn, __VA_ARGS__, (const char *)0)

/* Like pgt_scalar, parsed as a long. */
long pgt_long_(PGconn *conn, const char *sql, ...);
#define pgt_long(conn, ...) pgt_long_(conn, __VA_ARGS__, (const char *)0)

/* Asserts the statement fails with SQLSTATE; returns the error message
 * (malloc'd) so the test can check it reads well. */
char *pgt_fails_(PGconn *conn, const char *sqlstate, const char *sql, ...);
#define pgt_fails(conn, state, ...) pgt_fails_(conn, state, __VA_ARGS__, (const char *)0)

/* Seconds on the monotonic clock, for deadlines. */
double pgt_now_s(void);
/* Pauses between polls of a condition (never as the synchronisation itself). */
void pgt_pause_ms(int ms);
/* The balie binary under test: $BALIE_BIN, else ./balie. */
const char *pgt_balie_bin(void);

/* Runs test/harness/pg.sh ACTION on the test server (restart, halt, resume). */
void pgt_harness(const char *action);

/* A fresh database and one connection per fixture role (see
 * test/harness/fixtures.sql): what most SQL tests start from. */
struct pgt_roles {
	char *db;
	PGconn *root, *bot, *ann, *bob, *cid, *sue, *mallory;
};
void pgt_roles_open(struct pgt_roles *r);
void pgt_roles_close(struct pgt_roles *r);

/* Opens a conversation in QUEUE as the bot; returns its id as text in ID. */
void pgt_open_conv(PGconn *bot, const char *queue, char id[24]);

#endif
