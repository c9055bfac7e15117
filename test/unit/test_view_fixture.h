/* A small model for the view and ui tests: three queues, Ann (me), Bob, and
 * conversations in every state. Header-only so each test binary has it. */
#ifndef BALIE_TEST_VIEW_FIXTURE_H
#define BALIE_TEST_VIEW_FIXTURE_H

#include <string.h>

#include "balie/model.h"
#include "balie/util.h"

/* "Now" for every test: 2025-03-14 12:00:00 UTC. */
#define FIX_NOW INT64_C(1741953600)

static inline struct model_conv *fix_conv(struct model *m, int64_t id, const char *queue,
					  enum model_state st, const char *customer,
					  int64_t started_ago)
{
	struct model_conv *c = model_conv_new();

	c->id = id;
	c->version = 1;
	c->queue = xstrdup(queue);
	c->state = st;
	c->customer_name = xstrdup(customer);
	c->customer_ref = xasprintf("cust-%lld", (long long)id);
	c->channel = xstrdup("chat");
	c->created_at = FIX_NOW - started_ago;
	if (st == MODEL_WAITING)
		c->escalated_at = FIX_NOW - started_ago;
	if (st == MODEL_HUMAN)
		c->taken_at = FIX_NOW - started_ago;
	model_apply_conv(m, c, NULL);
	return model_find(m, id);
}

static inline void fix_model(struct model *m)
{
	struct model_queue *q = xcalloc(3, sizeof *q);
	struct model_agent *a = xcalloc(2, sizeof *a);
	struct model_conv *c;

	model_init(m);
	q[0] = (struct model_queue){ xstrdup("billing"), xstrdup("Billing & banking"), 120, 5, false, 0, 0 };
	q[1] = (struct model_queue){ xstrdup("health"), xstrdup("Health insurance"), 60, 10, false, 0, 0 };
	q[2] = (struct model_queue){ xstrdup("parcels"), xstrdup("Parcel delivery"), 300, 1, false, 0, 0 };
	model_set_queues(m, q, 3);
	a[0] = (struct model_agent){ xstrdup("ann"), xstrdup("Ann Jansen"), false, 0 };
	a[1] = (struct model_agent){ xstrdup("bob"), xstrdup("Bob de Vries"), false, 0 };
	model_set_agents(m, a, 2);
	model_set_me(m, "ann", "Ann Jansen", false);

	/* #1 waits in billing for 3:05 (past the 120 s SLA). */
	c = fix_conv(m, 1, "billing", MODEL_WAITING, "Mia de Boer", 185);
	c->reason = xstrdup("customer_request");
	c->intent = xstrdup("refund_request");
	c->confidence = 0.62;
	c->has_confidence = true;
	c->summary = xstrdup("Charged twice in March; the refund did not arrive.");
	c->last_kind = AUTHOR_CUSTOMER;
	c->last_body = xstrdup("I want to talk to a person please");
	/* #2 waits in health (higher priority) for 0:30. */
	c = fix_conv(m, 2, "health", MODEL_WAITING, "Jan Pietersen", 30);
	c->reason = xstrdup("sensitive_topic");
	/* #3 is Bob's, #4 is mine, #5 is with the bot. */
	c = fix_conv(m, 3, "billing", MODEL_HUMAN, "Ahmed El Amrani", 70);
	c->agent = xstrdup("bob");
	c = fix_conv(m, 4, "billing", MODEL_HUMAN, "Sanne Vermeulen", 10);
	c->agent = xstrdup("ann");
	fix_conv(m, 5, "parcels", MODEL_BOT, "Lotte Smit", 3725);
}

/* Adds a message to C's loaded transcript. */
static inline void fix_msg(struct model *m, struct model_conv *c, int seq,
			   enum model_author kind, const char *body)
{
	struct model_msg msg;

	memset(&msg, 0, sizeof msg);
	msg.id = c->id * 1000 + seq;
	msg.seq = seq;
	msg.kind = kind;
	msg.body = xstrdup(body);
	msg.created_at = FIX_NOW - 60 + seq;
	if (c->message_count < seq)
		c->message_count = seq;
	model_add_messages(m, c, &msg, 1);
}

#include "balie/keys.h"
#include "balie/view.h"

/* The model above with the default keys, an online view state and a doc:
 * what the view tests start from (cmocka setup and teardown). */
struct view_fixture {
	struct model m;
	struct keys_map keys;
	struct view_state st;
	struct view_doc d;
};

static inline int view_fixture_setup(void **state)
{
	struct view_fixture *f = xcalloc(1, sizeof *f);

	fix_model(&f->m);
	keys_defaults(&f->keys);
	view_state_init(&f->st, &f->keys, 0);
	f->st.conn = VIEW_ONLINE;
	view_doc_init(&f->d);
	*state = f;
	return 0;
}

static inline int view_fixture_teardown(void **state)
{
	struct view_fixture *f = *state;

	view_doc_free(&f->d);
	view_state_free(&f->st);
	model_free(&f->m);
	free(f);
	return 0;
}

#endif
