/* Unit tests of the model: version rules, ordering, transcripts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balie/model.h"
#include "balie/util.h"

static struct model_conv *conv(int64_t id, int64_t version, const char *queue,
			       enum model_state st, int64_t created, int64_t escalated,
			       int64_t taken)
{
	struct model_conv *c = model_conv_new();

	c->id = id;
	c->version = version;
	c->queue = xstrdup(queue);
	c->state = st;
	c->created_at = created;
	c->escalated_at = escalated;
	c->taken_at = taken;
	c->customer_name = xasprintf("customer %lld", (long long)id);
	return c;
}

static void add_queues(struct model *m)
{
	struct model_queue *q = xcalloc(3, sizeof *q);

	q[0] = (struct model_queue){ xstrdup("billing"), xstrdup("Billing"), 120, 5, false, 0, 0 };
	q[1] = (struct model_queue){ xstrdup("health"), xstrdup("Health"), 60, 10, false, 0, 0 };
	q[2] = (struct model_queue){ xstrdup("parcels"), xstrdup("Parcels"), 300, 1, false, 0, 0 };
	model_set_queues(m, q, 3);
}

static void test_newer_version_wins(void **state)
{
	struct model m;
	struct model_conv *held;

	(void)state;
	model_init(&m);
	assert_int_equal(model_apply_conv(&m, conv(7, 3, "billing", MODEL_BOT, 100, 0, 0), &held), MODEL_ADDED);
	assert_int_equal(held->version, 3);
	/* An older or equal version never moves the state backwards. */
	assert_int_equal(model_apply_conv(&m, conv(7, 2, "billing", MODEL_CLOSED, 100, 0, 0), NULL), MODEL_STALE);
	assert_int_equal(model_apply_conv(&m, conv(7, 3, "billing", MODEL_CLOSED, 100, 0, 0), NULL), MODEL_STALE);
	assert_int_equal(model_find(&m, 7)->state, MODEL_BOT);
	assert_int_equal(model_apply_conv(&m, conv(7, 4, "billing", MODEL_WAITING, 100, 150, 0), &held), MODEL_CHANGED);
	assert_int_equal(held->state, MODEL_WAITING);
	assert_int_equal(model_find(&m, 7)->version, 4);
	assert_int_equal(m.nconvs, 1);
	model_free(&m);
}

static void test_change_keeps_transcript(void **state)
{
	struct model m;
	struct model_conv *held;
	struct model_msg msgs[2] = { 0 };

	(void)state;
	model_init(&m);
	model_apply_conv(&m, conv(1, 1, "billing", MODEL_BOT, 100, 0, 0), &held);
	msgs[0].seq = 1;
	msgs[0].body = xstrdup("hallo");
	msgs[1].seq = 2;
	msgs[1].body = xstrdup("hoe kan ik helpen?");
	assert_int_equal(model_add_messages(&m, held, msgs, 2), 2);
	held->transcript_open = true;
	model_apply_conv(&m, conv(1, 2, "billing", MODEL_WAITING, 100, 120, 0), &held);
	assert_int_equal(held->nmsgs, 2);
	assert_true(held->transcript_open);
	assert_string_equal(held->msgs[1].body, "hoe kan ik helpen?");
	model_free(&m);
}

static void test_messages_merge_without_duplicates(void **state)
{
	struct model m;
	struct model_conv *c;
	struct model_msg a[3] = { 0 }, b[3] = { 0 };
	int i;

	(void)state;
	model_init(&m);
	model_apply_conv(&m, conv(1, 1, "billing", MODEL_BOT, 100, 0, 0), &c);
	for (i = 0; i < 3; i++) {
		a[i].seq = i + 4;		/* newest page first: 4, 5, 6 */
		a[i].body = xasprintf("m%d", i + 4);
		b[i].seq = i + 2;		/* then older, overlapping: 2, 3, 4 */
		b[i].body = xasprintf("m%d", i + 2);
	}
	assert_int_equal(model_add_messages(&m, c, a, 3), 3);
	assert_int_equal(model_add_messages(&m, c, b, 3), 2);
	assert_int_equal(c->nmsgs, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(c->msgs[i].seq, i + 2);
	assert_int_equal(model_first_seq(c), 2);
	assert_int_equal(model_last_seq(c), 6);
	model_free(&m);
}

/* Adds messages FROM..TO (bodies of BODY_LEN bytes) to C as one page. */
static size_t add_page(struct model *m, struct model_conv *c, int from, int to, size_t body_len)
{
	struct model_msg *page = xcalloc((size_t)(to - from + 1), sizeof *page);
	size_t n = 0, added;
	int seq;

	for (seq = from; seq <= to; seq++, n++) {
		page[n].id = seq;
		page[n].seq = seq;
		page[n].body = xmalloc(body_len + 1);
		memset(page[n].body, 'a' + seq % 26, body_len);
		page[n].body[body_len] = '\0';
	}
	added = model_add_messages(m, c, page, n);
	free(page);
	return added;
}

/* The window is gap-free, in order, and its byte count is right. */
static void assert_window(const struct model_conv *c, int first, int last)
{
	size_t i, bytes = 0;

	assert_int_equal(model_first_seq(c), first);
	assert_int_equal(model_last_seq(c), last);
	assert_int_equal(c->nmsgs, (size_t)(last - first + 1));
	for (i = 0; i < c->nmsgs; i++) {
		assert_int_equal(c->msgs[i].seq, first + (int)i);
		bytes += model_msg_bytes(&c->msgs[i]);
	}
	assert_int_equal(c->msgs_bytes, bytes);
}

static void test_merge_unsorted_with_repeats(void **state)
{
	struct model m;
	struct model_conv *c;
	struct model_msg in[5] = { 0 };
	int seqs[5] = { 9, 7, 8, 7, 6 }, i;

	(void)state;
	model_init(&m);
	model_apply_conv(&m, conv(1, 1, "billing", MODEL_BOT, 100, 0, 0), &c);
	add_page(&m, c, 8, 10, 3);
	for (i = 0; i < 5; i++) {
		in[i].seq = seqs[i];
		in[i].body = xasprintf("new %d", seqs[i]);
	}
	/* 6 and 7 are new; 8 and 9 are held already; 7 came twice. */
	assert_int_equal(model_add_messages(&m, c, in, 5), 2);
	assert_window(c, 6, 10);
	assert_string_equal(c->msgs[2].body, "iii");	/* the held 8 stays */
	model_free(&m);
}

static void test_window_drops_the_far_end(void **state)
{
	struct model m;
	struct model_conv *c;
	int first;

	(void)state;
	model_init(&m);
	m.window_msgs = 120;
	model_apply_conv(&m, conv(1, 1, "billing", MODEL_BOT, 100, 0, 0), &c);
	c->message_count = 1000;
	add_page(&m, c, 951, 1000, 10);
	assert_window(c, 951, 1000);
	assert_false(c->newer_unloaded);
	/* Paging back, the agent reads the top: the newest go. */
	for (first = 951; first > 601; first -= 50) {
		c->focus_seq = first;
		assert_int_equal(add_page(&m, c, first - 50, first - 1, 10), 50);
		assert_true(c->nmsgs <= 120);
	}
	assert_window(c, 601, 720);
	assert_true(c->newer_unloaded);
	/* Paging forward again, the agent reads the bottom: the oldest go, and
	 * reaching the newest makes the transcript follow again. */
	while (model_last_seq(c) < 1000) {
		int last = model_last_seq(c);

		c->focus_seq = last;
		add_page(&m, c, last + 1, last + 50 > 1000 ? 1000 : last + 50, 10);
		assert_true(c->nmsgs <= 120);
		if (model_last_seq(c) < 1000)
			assert_true(c->newer_unloaded);
	}
	assert_window(c, 881, 1000);
	assert_false(c->newer_unloaded);
	/* Following: new messages push the oldest out. */
	c->message_count = 1010;
	c->focus_seq = 995;
	add_page(&m, c, 1001, 1010, 10);
	assert_window(c, 891, 1010);
	assert_false(c->newer_unloaded);
	model_free(&m);
}

static void test_window_bytes_are_bounded(void **state)
{
	struct model m;
	struct model_conv *c;

	(void)state;
	model_init(&m);
	m.window_bytes = 10000;
	model_apply_conv(&m, conv(1, 1, "billing", MODEL_BOT, 100, 0, 0), &c);
	c->message_count = 100;
	/* Unknown focus: the newest are kept. */
	add_page(&m, c, 51, 100, 1000);
	assert_window(c, 91, 100);
	assert_int_equal(c->msgs_bytes, 10000);
	/* The agent reads at the top, where an older page comes in. */
	c->focus_seq = 81;
	add_page(&m, c, 81, 90, 1000);
	assert_window(c, 81, 90);
	assert_true(c->newer_unloaded);
	/* One message bigger than the whole window is still shown. */
	c->focus_seq = 80;
	add_page(&m, c, 80, 80, 50000);
	assert_window(c, 80, 80);
	model_free(&m);
}

static void test_closed_pane_keeps_the_newest(void **state)
{
	struct model m;
	struct model_conv *c;

	(void)state;
	model_init(&m);
	model_apply_conv(&m, conv(1, 1, "billing", MODEL_BOT, 100, 0, 0), &c);
	c->message_count = 300;
	add_page(&m, c, 1, 300, 100);
	model_keep_newest(&m, c, 50, 1000);
	assert_window(c, 291, 300);
	model_keep_newest(&m, c, 5, 100000);
	assert_window(c, 296, 300);
	/* A window without the newest keeps nothing: it would show stale text. */
	c->newer_unloaded = true;
	model_keep_newest(&m, c, 5, 100000);
	assert_int_equal(c->nmsgs, 0);
	assert_int_equal(c->msgs_bytes, 0);
	assert_false(c->newer_unloaded);
	model_free(&m);
}

static void test_queue_order(void **state)
{
	struct model m;
	struct model_conv *out[8];
	size_t n;

	(void)state;
	model_init(&m);
	add_queues(&m);
	/* ids chosen so that id order is not the expected order */
	model_apply_conv(&m, conv(1, 1, "parcels", MODEL_BOT, 10, 0, 0), NULL);
	model_apply_conv(&m, conv(2, 1, "billing", MODEL_WAITING, 10, 500, 0), NULL);
	model_apply_conv(&m, conv(3, 1, "billing", MODEL_WAITING, 10, 300, 0), NULL);
	model_apply_conv(&m, conv(4, 1, "parcels", MODEL_WAITING, 10, 100, 0), NULL);
	model_apply_conv(&m, conv(5, 1, "health", MODEL_WAITING, 10, 900, 0), NULL);
	model_apply_conv(&m, conv(6, 1, "billing", MODEL_HUMAN, 10, 20, 30), NULL);
	model_apply_conv(&m, conv(7, 1, "billing", MODEL_CLOSED, 10, 20, 30), NULL);
	n = model_queue_order(&m, 1000, out);
	assert_int_equal(n, 6);			/* closed ones are not in the queue */
	assert_int_equal(out[0]->id, 5);	/* waiting, highest priority */
	assert_int_equal(out[1]->id, 3);	/* waiting billing, longest wait */
	assert_int_equal(out[2]->id, 2);
	assert_int_equal(out[3]->id, 4);	/* waiting, lowest priority */
	assert_int_equal(out[4]->id, 6);	/* with a person */
	assert_int_equal(out[5]->id, 1);	/* with the bot */
	model_free(&m);
}

static void test_clock_seconds(void **state)
{
	struct model_conv *c = conv(1, 1, "billing", MODEL_WAITING, 100, 160, 0);

	(void)state;
	assert_int_equal(model_clock_seconds(c, 220), 60);
	c->state = MODEL_HUMAN;
	c->taken_at = 200;
	assert_int_equal(model_clock_seconds(c, 220), 20);
	c->state = MODEL_BOT;
	assert_int_equal(model_clock_seconds(c, 220), 120);
	/* A clock never runs backwards when our clock is behind the server's. */
	assert_int_equal(model_clock_seconds(c, 50), 0);
	model_conv_free(c);
}

static void test_remove_and_find(void **state)
{
	struct model m;
	int i;

	(void)state;
	model_init(&m);
	for (i = 100; i > 0; i--)
		model_apply_conv(&m, conv(i * 3, 1, "billing", MODEL_BOT, 1, 0, 0), NULL);
	assert_int_equal(m.nconvs, 100);
	for (i = 1; i < (int)m.nconvs; i++)
		assert_true(m.convs[i - 1]->id < m.convs[i]->id);
	assert_non_null(model_find(&m, 150));
	assert_null(model_find(&m, 151));
	assert_true(model_remove(&m, 150));
	assert_false(model_remove(&m, 150));
	assert_null(model_find(&m, 150));
	assert_int_equal(m.nconvs, 99);
	model_free(&m);
}

static void test_names_and_reply_rule(void **state)
{
	struct model m;
	struct model_agent *a = xcalloc(1, sizeof *a);
	struct model_conv *c = conv(1, 1, "billing", MODEL_HUMAN, 1, 2, 3);

	(void)state;
	model_init(&m);
	a[0] = (struct model_agent){ xstrdup("ann"), xstrdup("Ann Jansen"), false, 0 };
	model_set_agents(&m, a, 1);
	assert_string_equal(model_agent_name(&m, "ann"), "Ann Jansen");
	assert_string_equal(model_agent_name(&m, "zed"), "zed");
	assert_int_equal(model_state_parse("waiting"), MODEL_WAITING);
	assert_string_equal(model_state_flag(MODEL_WAITING), "WAIT");
	assert_int_equal(model_author_parse("note"), AUTHOR_NOTE);
	assert_int_equal(model_author_parse("admin"), AUTHOR_UNKNOWN);
	c->agent = xstrdup("ann");
	assert_false(model_can_reply(&m, c));	/* not logged in as ann */
	model_set_me(&m, "ann", "Ann Jansen", false);
	assert_true(model_can_reply(&m, c));
	c->state = MODEL_CLOSED;
	assert_false(model_can_reply(&m, c));
	model_conv_free(c);
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newer_version_wins),
		cmocka_unit_test(test_change_keeps_transcript),
		cmocka_unit_test(test_messages_merge_without_duplicates),
		cmocka_unit_test(test_merge_unsorted_with_repeats),
		cmocka_unit_test(test_window_drops_the_far_end),
		cmocka_unit_test(test_window_bytes_are_bounded),
		cmocka_unit_test(test_closed_pane_keeps_the_newest),
		cmocka_unit_test(test_queue_order),
		cmocka_unit_test(test_clock_seconds),
		cmocka_unit_test(test_remove_and_find),
		cmocka_unit_test(test_names_and_reply_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
