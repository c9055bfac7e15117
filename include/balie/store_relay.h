/* store_relay: the store's one call for relay mode. */
#ifndef BALIE_STORE_RELAY_H
#define BALIE_STORE_RELAY_H

#include "balie/store.h"

/* A one-time ticket for the relay from balie.relay_ticket(), asked over the
 * console's own connection (so the relay trusts PostgreSQL's authentication
 * and nothing else). TICKET is NULL unless st->outcome is STORE_OK. */
typedef void store_ticket_cb(const struct store_status *st, const char *ticket, void *arg);
void store_relay_ticket(struct db *db, store_ticket_cb *cb, void *arg);

#endif
