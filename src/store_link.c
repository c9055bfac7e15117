/* store_link: the connection's life as the layers above see it, on top of
 * db.c, so that nothing above the store includes db.h (or libpq). */
#include <stdlib.h>

#include "balie/db.h"
#include "balie/store.h"
#include "balie/util.h"

/* The two state enums are the same list, so a state converts by value. */
_Static_assert((int)STORE_LINK_IDLE == (int)DB_IDLE &&
	       (int)STORE_LINK_CONNECTING == (int)DB_CONNECTING &&
	       (int)STORE_LINK_CONNECTED == (int)DB_CONNECTED &&
	       (int)STORE_LINK_RETRY_WAIT == (int)DB_RETRY_WAIT &&
	       (int)STORE_LINK_STOPPED == (int)DB_STOPPED,
	       "store_link and db_state differ");

/* The caller's events, kept until db frees the connection. */
struct link_owner {
	struct store_link_events ev;
};

static void on_state(struct db *db, enum db_state st, const char *reason,
		     unsigned retry_ms, void *user)
{
	struct link_owner *l = user;

	if (l->ev.state)
		l->ev.state(db, (enum store_link)st, reason, retry_ms, l->ev.user);
}

static void on_notify(struct db *db, const char *channel, const char *payload, void *user)
{
	struct link_owner *l = user;

	if (l->ev.notify)
		l->ev.notify(db, channel, payload, l->ev.user);
}

static void on_released(void *user)
{
	free(user);
}

struct db *store_link_new(uv_loop_t *loop, const char *conninfo,
			  const struct store_link_options *opt,
			  const struct store_link_events *ev)
{
	struct link_owner *l = xcalloc(1, sizeof *l);
	struct db_options dopt = { 0 };
	struct db_events dev = { on_state, on_notify, l, on_released };

	if (ev)
		l->ev = *ev;
	if (opt) {
		dopt.retry_min_ms = opt->retry_min_ms;
		dopt.retry_max_ms = opt->retry_max_ms;
	}
	dopt.fatal_auth = true;
	return db_new(loop, conninfo, &dopt, &dev);
}

void store_link_listen(struct db *db, const char *channel)
{
	db_listen(db, channel);
}

int store_link_start(struct db *db)
{
	return db_start(db);
}

void store_link_stop(struct db *db)
{
	db_stop(db);
}

const char *store_link_error(const struct db *db)
{
	return db_last_error(db);
}

unsigned store_link_retry_in_ms(const struct db *db)
{
	return db_retry_in_ms(db);
}

unsigned store_link_connects(const struct db *db)
{
	return db_connect_count(db);
}

bool store_link_connected(const struct db *db)
{
	return db_get_state(db) == DB_CONNECTED;
}
