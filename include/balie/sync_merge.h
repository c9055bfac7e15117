/* sync_merge: the decisions sync makes when it merges changes and re-syncs,
 * as plain functions on plain data (no loop, no store), so that they are
 * tested on their own: which conversations to fetch and in what batches,
 * which are gone, which held ones an open re-read missed, whether a page of
 * messages still joins the window, whether a reply stays in the outbox. */
#ifndef BALIE_SYNC_MERGE_H
#define BALIE_SYNC_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balie/model.h"
#include "balie/store.h"

/* Conversations to fetch, marked in any order, repeats allowed. */
struct sync_dirty {
	int64_t *ids;
	size_t n, cap;
};

void sync_merge_mark(struct sync_dirty *d, int64_t id);
void sync_merge_dirty_free(struct sync_dirty *d);
/* Whether a change notice for ID at VERSION needs a fetch: the model does
 * not hold it, or holds an older version. */
bool sync_merge_wanted(const struct model *m, int64_t id, int64_t version);
/* Takes the up to MAX smallest distinct ids out of D into a new sorted array
 * (*OUT, caller frees); returns how many (0 and *OUT NULL when empty). */
size_t sync_merge_take(struct sync_dirty *d, size_t max, int64_t **out);
/* Writes to OUT (room for NASKED) the ids of ASKED (sorted) that are not
 * among GOT (sorted here, in place); returns how many: those were asked for
 * and not returned, so they are out of sight now. */
size_t sync_merge_missing(const int64_t *asked, size_t nasked, int64_t *got, size_t ngot,
			  int64_t *out);
/* After a re-read of every open conversation returned GOT (sorted here, in
 * place): marks dirty each conversation M holds, not closed, that is not
 * among them — closed or moved out of sight while we were away, so it is
 * fetched by id to find out. Returns how many were marked. */
size_t sync_merge_unlisted(struct sync_dirty *d, const struct model *m, int64_t *got,
			   size_t ngot);

/* Which page of a transcript an answer is. */
enum sync_page {
	SYNC_PAGE_FOLLOW,	/* newer ones, as they arrive, until caught up */
	SYNC_PAGE_OLDER,	/* one page before the window (or the newest page) */
	SYNC_PAGE_NEWER,	/* one page after a window that lost its newest */
};
/* Whether a page asked for at EDGE (the seq asked after, or before) still
 * joins C's window: it may have been trimmed or emptied meanwhile, and a
 * page that no longer touches it would leave a hole. */
bool sync_merge_joins(const struct model_conv *c, enum sync_page kind, int edge);

/* Whether a reply that ended with OUTCOME stays in the outbox, to be resent
 * with the same client_msg_id after reconnecting (the store stores it once). */
bool sync_merge_keeps_reply(enum store_outcome outcome);
/* Whether a reply the server refused with SQLSTATE only found its row busy
 * (BL040: a lock wait gave up; 55P03: lock_not_available): kept and resent
 * a moment later, with the same client_msg_id. */
bool sync_merge_busy(const char *sqlstate);

#endif
