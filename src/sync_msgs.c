/* sync_msgs: open transcripts kept current by seq, older and newer pages
 * of a bounded window, and the customer's earlier conversations. */
#include <stdlib.h>

#include "balie/i18n.h"
#include "balie/util.h"
#include "sync_priv.h"

struct msg_req {
	struct sync *s;
	enum sync_page kind;
	int edge;		/* the seq asked after (FOLLOW, NEWER) or before (OLDER) */
	int limit;
};

static void free_msgs(struct model_msg *msgs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		model_msg_clear(&msgs[i]);
	free(msgs);
}

static void on_msgs(const struct store_status *st, int64_t conv, struct model_msg *msgs,
		    size_t n, void *arg)
{
	struct msg_req *req = arg;
	struct sync *s = req->s;
	struct transcript *t;
	struct model_conv *c;
	enum sync_page kind = req->kind;
	int edge = req->edge;
	bool full = (int)n >= req->limit, tell;

	free(req);
	if (!sync_answered(s)) {
		free_msgs(msgs, n);
		return;
	}
	t = sync_find_transcript(s, conv);
	if (t && kind == SYNC_PAGE_FOLLOW)
		t->fetching = false;
	c = model_find(s->m, conv);
	if (st->outcome != STORE_OK || !c || !t || !sync_merge_joins(c, kind, edge)) {
		sync_report_error(s, st, _("reading messages"));
		free_msgs(msgs, n);
		/* A page that did not come (or came too late) still ends the wait. */
		if (c && t && kind != SYNC_PAGE_FOLLOW && s->ev.transcript)
			s->ev.transcript(s, c, s->ev.user);
		return;
	}
	tell = model_add_messages(s->m, c, msgs, n) > 0 || kind != SYNC_PAGE_FOLLOW;
	free(msgs);
	if (kind == SYNC_PAGE_FOLLOW && !c->newer_unloaded &&
	    (full || t->again || c->message_count > model_last_seq(c))) {
		t->again = false;
		sync_fetch_newer(s, t);
	} else if (kind == SYNC_PAGE_NEWER && !c->newer_unloaded &&
		   c->message_count > model_last_seq(c)) {
		/* Caught up with the newest: from here on they come by themselves. */
		sync_fetch_newer(s, t);
	}
	if (tell && s->ev.transcript)
		s->ev.transcript(s, c, s->ev.user);
}

static void fetch_msgs(struct sync *s, int64_t conv, enum sync_page kind, int edge, int limit)
{
	struct msg_req *req = xmalloc(sizeof *req);

	*req = (struct msg_req){ s, kind, edge, limit };
	s->outstanding++;
	if (kind == SYNC_PAGE_OLDER)
		store_fetch_messages_before(s->db, conv, edge, limit, on_msgs, req);
	else
		store_fetch_messages_after(s->db, conv, edge, limit, on_msgs, req);
}

void sync_fetch_newer(struct sync *s, struct transcript *t)
{
	struct model_conv *c = model_find(s->m, t->conv);

	if (!c || s->state != SYNC_ONLINE || c->newer_unloaded)
		return;
	if (t->fetching) {
		t->again = true;
		return;
	}
	if (c->nmsgs == 0 && c->message_count > 0)
		return;	/* the first page is on its way */
	t->fetching = true;
	fetch_msgs(s, t->conv, SYNC_PAGE_FOLLOW, model_last_seq(c), MESSAGE_BATCH);
}

void sync_fetch_page(struct sync *s, int64_t conv, int before)
{
	fetch_msgs(s, conv, SYNC_PAGE_OLDER, before, (int)s->opt.page);
}

void sync_open_transcript(struct sync *s, int64_t conv)
{
	struct model_conv *c = model_find(s->m, conv);
	struct transcript *t;

	if (!c)
		return;
	c->transcript_open = true;
	t = sync_find_transcript(s, conv);
	if (!t) {
		s->tr = xrealloc(s->tr, (s->ntr + 1) * sizeof *s->tr);
		t = &s->tr[s->ntr++];
		*t = (struct transcript){ conv, false, false };
	}
	if (s->state != SYNC_ONLINE)
		return;		/* the re-sync after connecting loads it */
	if (c->nmsgs == 0)
		sync_fetch_page(s, conv, 0);
	else
		sync_fetch_newer(s, t);
}

void sync_close_transcript(struct sync *s, int64_t conv)
{
	struct model_conv *c = model_find(s->m, conv);
	size_t i;

	for (i = 0; i < s->ntr; i++) {
		if (s->tr[i].conv == conv) {
			s->tr[i] = s->tr[--s->ntr];
			break;
		}
	}
	if (c) {
		c->transcript_open = false;
		if (c->state == MODEL_CLOSED && !s->opt.keep_closed)
			model_remove(s->m, conv);
		else
			model_keep_newest(s->m, c, MODEL_KEPT_MSGS, MODEL_KEPT_BYTES);
	}
}

bool sync_load_older(struct sync *s, int64_t conv)
{
	struct model_conv *c = model_find(s->m, conv);

	if (!c || !sync_find_transcript(s, conv) || s->state != SYNC_ONLINE)
		return false;
	if (c->nmsgs && model_first_seq(c) <= 1)
		return false;
	sync_fetch_page(s, conv, c->nmsgs ? model_first_seq(c) : 0);
	return true;
}

bool sync_load_newer(struct sync *s, int64_t conv)
{
	struct model_conv *c = model_find(s->m, conv);

	if (!c || !sync_find_transcript(s, conv) || s->state != SYNC_ONLINE || !c->newer_unloaded ||
	    c->nmsgs == 0)
		return false;
	fetch_msgs(s, conv, SYNC_PAGE_NEWER, model_last_seq(c), (int)s->opt.page);
	return true;
}

bool sync_load_newest(struct sync *s, int64_t conv)
{
	struct model_conv *c = model_find(s->m, conv);
	struct transcript *t = sync_find_transcript(s, conv);

	if (!c || !t || s->state != SYNC_ONLINE || !c->newer_unloaded)
		return false;
	/* Answers still on their way no longer join the window: still_joins
	 * drops them. */
	model_clear_messages(s->m, c);
	t->fetching = false;
	t->again = false;
	sync_fetch_page(s, conv, 0);
	return true;
}

struct history_req {
	struct sync *s;
	int64_t conv;
};

static void on_history(const struct store_status *st, struct model_history *h, size_t n,
		       void *arg)
{
	struct history_req *req = arg;
	struct sync *s = req->s;
	int64_t conv = req->conv;

	free(req);
	if (!sync_answered(s)) {
		model_history_free(h, n);
		return;
	}
	if (st->outcome != STORE_OK) {
		sync_report_error(s, st, _("reading earlier conversations"));
		model_history_free(h, n);
		return;
	}
	model_history_free(s->history, s->nhistory);
	s->history = h;
	s->nhistory = n;
	if (s->ev.history)
		s->ev.history(s, conv, h, n, s->ev.user);
}

void sync_fetch_history(struct sync *s, int64_t conv)
{
	struct model_conv *c = model_find(s->m, conv);
	struct history_req *req;

	if (!c || !c->customer_ref || s->state != SYNC_ONLINE)
		return;
	req = xmalloc(sizeof *req);
	*req = (struct history_req){ s, conv };
	s->outstanding++;
	store_fetch_history(s->db, c->customer_ref, conv, on_history, req);
}
