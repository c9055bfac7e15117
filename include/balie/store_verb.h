/* store_verb: how store_call turns a verb's row into SQL and parameters
 * (store_verb.c), open for tests. No libpq here. */
#ifndef BALIE_STORE_VERB_H
#define BALIE_STORE_VERB_H

#include <stddef.h>

#include "balie/action.h"

/* The statement CALL's verb runs ("SELECT balie.takeover($1)"), or NULL for
 * a verb the console handles itself. */
const char *store_verb_sql(enum verb v);

/* Fills PARAMS (at most MAX) in $-order from CALL as its verb's parameter
 * kinds say; CONV and NUMBER (NUMLEN bytes each) hold the numbers as text.
 * Returns how many, or -1 for a kind it does not know. */
int store_verb_params(const struct action *call, const char **params, int max,
		      char *conv, char *number, size_t numlen);

#endif
