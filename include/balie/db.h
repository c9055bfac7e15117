/* db: one PostgreSQL connection driven entirely by a libuv loop.
 *
 * Connects without blocking (PQconnectStartParams + PQconnectPoll), sends
 * queries one at a time from a FIFO (a query text sent a second time is
 * prepared on the connection and run by name from then on), delivers each
 * result to its callback, LISTENs on the registered channels after every
 * (re)connect and dispatches notifications. A lost connection is retried
 * with capped exponential backoff and jitter; every state change is an
 * event. Only the store module includes this header (the layers above use
 * store.h's opaque struct db and store_link_*): nothing else sees libpq.
 *
 * Guarantees for the caller (the store):
 * - No db_* function calls back into the caller: every state event, result
 *   and notification is delivered later from the loop, in the order it
 *   happened (one FIFO for all three kinds).
 * - Query callbacks run in FIFO order, exactly once each, also across a lost
 *   connection and db_stop(). On a loss the DB_RETRY_WAIT event comes first,
 *   then DB_LOST for the query in flight, then DB_NOT_SENT for the rest.
 * - DB_CONNECTED is reported only after every LISTEN has completed, so a
 *   re-read started from that event misses no NOTIFY. A notification may be
 *   delivered just before DB_CONNECTED (while the LISTENs are being issued).
 * - A host name in the conninfo is resolved by libpq with getaddrinfo(),
 *   which blocks the loop while DNS answers; hostaddr= (or a Unix socket)
 *   avoids that. Nothing else blocks. */
#ifndef BALIE_DB_H
#define BALIE_DB_H

#include <stdbool.h>
#include <libpq-fe.h>
#include <uv.h>

struct db;

enum db_state {
	DB_IDLE,	/* not started */
	DB_CONNECTING,	/* a connection attempt is under way */
	DB_CONNECTED,	/* connected, LISTENs issued: the app may re-sync */
	DB_RETRY_WAIT,	/* lost or refused; next attempt in retry_in_ms */
	DB_STOPPED,	/* db_stop() was called, or (fatal_auth) the server
			   refused us in a way no retry can fix: reason says
			   why; call db_stop() to free the object */
};

enum db_outcome {
	DB_OK,		/* the server ran it; res holds the result */
	DB_SQL_ERROR,	/* the server refused it; sqlstate and message say why */
	DB_NOT_SENT,	/* offline: never reached the server, safe to retry */
	DB_LOST,	/* sent, then the connection broke: outcome unknown */
};

struct db_result {
	enum db_outcome outcome;
	PGresult *res;		/* DB_OK / DB_SQL_ERROR (may be NULL for an error
				   raised by db itself); owned by db and
				   freed after the callback: copy what you keep */
	const char *sqlstate;	/* DB_SQL_ERROR: five characters, else "" */
	const char *message;	/* a readable line for every outcome but DB_OK
				   (there: ""); valid during the callback */
};

/* Called once per query, always from the loop, never from db_query itself. */
typedef void db_result_cb(const struct db_result *r, void *arg);

struct db_events {
	/* State changes; reason is a readable line (may be ""), retry_in_ms is
	 * set for DB_RETRY_WAIT. */
	void (*state)(struct db *db, enum db_state st, const char *reason,
		      unsigned retry_in_ms, void *user);
	/* One NOTIFY received on a LISTENed channel. */
	void (*notify)(struct db *db, const char *channel, const char *payload,
		       void *user);
	void *user;
	/* Called once, last, when the object is freed (may be NULL): the
	 * owner of USER can free it there. */
	void (*released)(void *user);
};

struct db_options {
	unsigned retry_min_ms;	/* first backoff step (default 250) */
	unsigned retry_max_ms;	/* backoff cap (default 1500) */
	bool fatal_auth;	/* stop retrying on a password/role/database
				   refusal at the first attempt (default true) */
};

/* OPT may be NULL for the defaults; a zero retry field also means its
 * default. Connection errors before the first success that are unfixable
 * (SQLSTATE 28P01, 28000, 3D000, no password) end in DB_STOPPED if
 * fatal_auth; once connected, every loss is retried. libpq's connect_timeout
 * (default 10 s here) is enforced by db for the whole attempt. */

/* Creates a connection object for CONNINFO (a conninfo string, a URI, or NULL
 * or "" for the PG* environment/service/.pgpass as psql does). Defaults for
 * keepalives and tcp_user_timeout are applied first so CONNINFO can override
 * them. Nothing happens until db_start(). */
struct db *db_new(uv_loop_t *loop, const char *conninfo,
		  const struct db_options *opt, const struct db_events *ev);

/* Adds a channel to LISTEN on after every (re)connect (call before db_start,
 * or at any time: it takes effect on the next connect and now if connected). */
void db_listen(struct db *db, const char *channel);

/* Starts connecting. Returns 0, or -1 if the conninfo cannot be parsed or
 * holds an invalid value (the reason is in db_last_error; no event follows).
 * On 0 the state is DB_CONNECTING or DB_RETRY_WAIT and the matching event
 * follows from the loop. */
int db_start(struct db *db);

/* Queues a query with text parameters (copied). The callback runs later,
 * exactly once. While not connected the query fails with DB_NOT_SENT. */
void db_query(struct db *db, const char *sql, int nparams,
	      const char *const *params, db_result_cb *cb, void *arg);

/* Closes the connection and all handles; pending queries get DB_NOT_SENT or
 * DB_LOST. The object is freed when the loop has closed the handles, so the
 * loop must run once more; their callbacks run from the loop before that,
 * and no state or notify event is delivered after db_stop(). Do not call
 * other db_* functions on the object afterwards (db_query from one of those
 * last callbacks is tolerated: it gets DB_NOT_SENT). */
void db_stop(struct db *db);

enum db_state db_get_state(const struct db *db);
const char *db_last_error(const struct db *db);
/* Milliseconds until the next connection attempt (0 if none is scheduled). */
unsigned db_retry_in_ms(const struct db *db);
/* The backend PID of the current connection, or 0 (used by fault tests). */
int db_backend_pid(const struct db *db);
/* Number of connects that succeeded so far (1 after the first). */
unsigned db_connect_count(const struct db *db);

/* The readable one-line form of a libpq error message (keeps the first line,
 * drops the "ERROR:  " style prefix and a verbose SQLSTATE, turns control
 * characters into spaces); writes into buf and returns it. */
const char *db_clean_message(const char *msg, char *buf, size_t len);

#endif
