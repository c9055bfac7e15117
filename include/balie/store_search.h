/* store_search: the store's conversation search (balie.search, schema 008):
 * accent- and case-insensitive over customer name and reference, intent,
 * summary and the owner's name. No libpq here. */
#ifndef BALIE_STORE_SEARCH_H
#define BALIE_STORE_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "balie/store.h"

struct db;

/* The ids found (caller owns IDS; NULL and N = 0 on failure, ST saying
 * why), for the query QUERY as asked (valid during the call). */
typedef void store_search_cb(const struct store_status *st, const char *query, int64_t *ids,
			     size_t n, void *arg);

/* Asks balie.search(QUERY, LIMIT); only the ids of its rows are read, so
 * columns appended to the row shape later change nothing here. */
void store_search(struct db *db, const char *query, int limit, store_search_cb *cb, void *arg);

#endif
