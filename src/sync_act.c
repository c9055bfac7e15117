/* sync_act: actions through the store, and the outbox that keeps a reply
 * sent around a drop until the store has it (exactly once, by its
 * client_msg_id). */
#include <stdio.h>
#include <stdlib.h>

#include "balie/i18n.h"
#include "balie/util.h"
#include "sync_priv.h"

struct act_req {
	struct sync *s;
	struct action a;
	char *text, *arg;
	sync_action_cb *cb;
	void *cb_arg;
};

static void result_from(const struct store_status *st, const char *value,
			struct action_result *r, char *buf, size_t len)
{
	r->value = value;
	r->sqlstate = st->sqlstate;
	r->message = store_explain(st, buf, len);
	switch (st->outcome) {
	case STORE_OK:
		r->outcome = ACTION_DONE;
		break;
	case STORE_SQL_ERROR:
		r->outcome = ACTION_REFUSED;
		break;
	case STORE_NOT_SENT:
		r->outcome = ACTION_NOT_SENT;
		break;
	case STORE_LOST:
		r->outcome = ACTION_UNKNOWN;
		r->message = _("the connection broke before the server answered; "
			     "the screen shows what happened once back online");
		break;
	}
}

static void on_act(const struct store_status *st, const char *value, void *arg)
{
	struct act_req *req = arg;
	struct sync *s = req->s;
	struct action_result r;
	char buf[512];

	if (sync_answered(s) && req->cb) {
		result_from(st, value, &r, buf, sizeof buf);
		req->cb(&r, &req->a, req->cb_arg);
	}
	free(req->text);
	free(req->arg);
	free(req);
}

static void on_outbox(const struct store_status *st, const char *value, void *arg)
{
	struct outbox_item *o = arg, **pp;
	struct sync *s = o->s;
	struct action_result r;
	char buf[512];

	if (!sync_answered(s))
		return;		/* sync_free released the item */
	o->in_flight = false;
	if (st->outcome == STORE_SQL_ERROR && sync_merge_busy(st->sqlstate)) {
		/* Busy, not refused: kept, and sent again in a moment. */
		if (!o->told_busy && o->cb) {
			o->told_busy = true;
			r = (struct action_result){ ACTION_QUEUED, NULL,
				"the store is busy: the reply is kept and sent again in a moment",
				st->sqlstate };
			o->cb(&r, &o->a, o->cb_arg);
		}
		sync_busy_retry(s);
		return;
	}
	if (sync_merge_keeps_reply(st->outcome)) {
		/* Kept: resent with the same client_msg_id after reconnect. */
		if (!o->told_queued && o->cb) {
			o->told_queued = true;
			r = (struct action_result){ ACTION_QUEUED, NULL,
				_("offline: the reply is kept and sent when the connection is back"), "" };
			o->cb(&r, &o->a, o->cb_arg);
		}
		return;
	}
	for (pp = &s->outbox; *pp; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	}
	if (o->cb) {
		result_from(st, value, &r, buf, sizeof buf);
		o->cb(&r, &o->a, o->cb_arg);
	}
	free(o->text);
	free(o->arg);
	free(o);
}

static void send_outbox_item(struct sync *s, struct outbox_item *o)
{
	o->in_flight = true;
	s->outstanding++;
	store_call(s->db, &o->a, on_outbox, o);
}

static void on_busy(uv_timer_t *t)
{
	struct sync *s = t->data;

	s->busy_armed = false;
	if (!s->stopping && s->state == SYNC_ONLINE)
		sync_flush_outbox(s);
	/* Offline: the reconnect flushes it. */
}

void sync_busy_retry(struct sync *s)
{
	if (s->busy_armed || s->stopping)
		return;
	s->busy_armed = true;
	s->busy.data = s;
	util_uv_check(uv_timer_start(&s->busy, on_busy, SYNC_BUSY_RETRY_MS, 0), "sync busy retry");
}

void sync_flush_outbox(struct sync *s)
{
	struct outbox_item *o;

	for (o = s->outbox; o; o = o->next)
		if (!o->in_flight)
			send_outbox_item(s, o);
}

void sync_act(struct sync *s, const struct action *a, sync_action_cb *cb, void *arg)
{
	if (a->kind == VERB_REPLY) {
		struct outbox_item *o = xcalloc(1, sizeof *o), **pp;

		o->a = *a;
		o->text = xstrdup(a->text);
		o->arg = xstrdup(a->arg);
		o->a.text = o->text;
		o->a.arg = o->arg;
		if (!o->a.uuid[0])
			store_new_uuid(o->a.uuid);
		o->cb = cb;
		o->cb_arg = arg;
		o->s = s;
		for (pp = &s->outbox; *pp; pp = &(*pp)->next)
			;
		*pp = o;
		/* While offline the store answers STORE_NOT_SENT, which queues it. */
		send_outbox_item(s, o);
		return;
	}
	{
		struct act_req *req = xcalloc(1, sizeof *req);

		req->s = s;
		req->a = *a;
		req->text = xstrdup(a->text);
		req->arg = xstrdup(a->arg);
		req->a.text = req->text;
		req->a.arg = req->arg;
		req->cb = cb;
		req->cb_arg = arg;
		s->outstanding++;
		store_call(s->db, &req->a, on_act, req);
	}
}

size_t sync_outbox_count(const struct sync *s)
{
	size_t n = 0;
	const struct outbox_item *o;

	for (o = s->outbox; o; o = o->next)
		n++;
	return n;
}

void sync_outbox_free(struct sync *s)
{
	struct outbox_item *o, *next;

	for (o = s->outbox; o; o = next) {
		next = o->next;
		free(o->text);
		free(o->arg);
		free(o);
	}
	s->outbox = NULL;
}
