/* store_macro: what the console offers an agent to say and to close with —
 * the macros (canned replies) and wrap-up codes of a conversation's queue,
 * read through balie.read_macros / balie.read_wrapups (store_macro.c). */
#ifndef BALIE_STORE_MACRO_H
#define BALIE_STORE_MACRO_H

#include <stddef.h>
#include <stdint.h>

#include "balie/store.h"

struct store_macro {
	char *name;
	char *body;		/* {customer}, {agent}, {queue} filled in */
	char *sources;		/* a JSON array of {"title","url"}, or NULL */
};

struct store_wrapup {
	char *code;
	char *label;
};

/* The macros of CONV's queue in its language (caller owns the array;
 * store_macros_free). */
typedef void store_macros_cb(const struct store_status *st, int64_t conv,
			     struct store_macro *m, size_t n, void *arg);
void store_fetch_macros(struct db *db, int64_t conv, store_macros_cb *cb, void *arg);
void store_macros_free(struct store_macro *m, size_t n);

/* The wrap-up codes of CONV's queue (caller owns; store_wrapups_free). */
typedef void store_wrapups_cb(const struct store_status *st, int64_t conv,
			      struct store_wrapup *w, size_t n, void *arg);
void store_fetch_wrapups(struct db *db, int64_t conv, store_wrapups_cb *cb, void *arg);
void store_wrapups_free(struct store_wrapup *w, size_t n);

#endif
