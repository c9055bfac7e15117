/* store_relay: the relay ticket; see store_relay.h. */
#include <stdlib.h>

#include "balie/store_relay.h"
#include "store_priv.h"

static void on_ticket(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_ticket_cb *cb = (store_ticket_cb *)p->fn;
	struct store_status st;
	const char *ticket = NULL;

	store_status_from(r, &st);
	if (store_shape_ok(r, 1, &st)) {
		if (PQntuples(r->res) == 1 && !PQgetisnull(r->res, 0, 0)) {
			ticket = PQgetvalue(r->res, 0, 0);
		} else {
			st.outcome = STORE_SQL_ERROR;
			st.message = "balie.relay_ticket() returned no ticket";
		}
	}
	cb(&st, ticket, p->arg);
	free(p);
}

void store_relay_ticket(struct db *db, store_ticket_cb *cb, void *arg)
{
	db_query(db, "SELECT balie.relay_ticket()", 0, NULL, on_ticket,
		 store_pending_new((void (*)(void))cb, arg, 0));
}
