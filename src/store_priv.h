/* store_priv: result helpers shared by store.c and store_super.c. */
#ifndef BALIE_STORE_PRIV_H
#define BALIE_STORE_PRIV_H

#include <stdint.h>
#include <libpq-fe.h>

#include "balie/db.h"
#include "balie/store.h"

/* Carries the caller's callback through db_query. */
struct store_pending {
	void (*fn)(void);
	void *arg;
	int64_t conv;
};

struct store_pending *store_pending_new(void (*fn)(void), void *arg, int64_t conv);
void store_status_from(const struct db_result *r, struct store_status *st);
char *store_text_or_null(const PGresult *res, int row, int col);
int64_t store_int_or_zero(const PGresult *res, int row, int col);
/* Checks the result has the columns we parse: a schema that does not match
 * is an error the user sees, not a crash. */
int store_shape_ok(const struct db_result *r, int ncols, struct store_status *st);

#endif
