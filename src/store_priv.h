/* store_priv: what the store_*.c files share and nothing above the store
 * sees: db.h (libpq) and the result helpers. */
#ifndef BALIE_STORE_PRIV_H
#define BALIE_STORE_PRIV_H

#include <stdbool.h>
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
/* Whether the boolean at ROW, COL is true (NULL is not). */
bool store_is_true(const PGresult *res, int row, int col);
/* Whether the result has the columns we parse: a schema that does not match
 * is an error the user sees (written into ST), not a crash. */
bool store_shape_ok(const struct db_result *r, int ncols, struct store_status *st);
/* store_shape_ok, and exactly one row. */
bool store_one_row(const struct db_result *r, int ncols, struct store_status *st);
/* The start of a callback that parses rows: fills ST from R and, when R has
 * NCOLS columns, returns a zeroed array of its *N rows of ELEM bytes each
 * (caller owns; never NULL then). NULL and *N = 0 otherwise, ST saying why. */
void *store_rows(const struct db_result *r, int ncols, size_t elem, size_t *n,
		 struct store_status *st);
/* The one value a call returned (first column of its only row) as text,
 * valid while R is; NULL for a failure, no row, or SQL NULL. */
const char *store_single_value(const struct db_result *r);
/* IDS as a PostgreSQL array literal "{1,2,3}" for a parameter (caller frees). */
char *store_id_array(const int64_t *ids, size_t n);

#endif
