/* Unit tests of sync's merge and re-sync decisions (sync_merge.c): the dirty
 * set and its batches, version comparison, conversations gone out of sight,
 * held ones a re-read missed, pages joining the window, the outbox. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balie/model.h"
#include "balie/sync_merge.h"
#include "balie/util.h"

static struct model_conv *conv(int64_t id, int64_t version, enum model_state st)
{
	struct model_conv *c = model_conv_new();

	c->id = id;
	c->version = version;
	c->state = st;
	c->queue = xstrdup("billing");
	return c;
}

static void hold(struct model *m, int64_t id, int64_t version, enum model_state st)
{
	struct model_conv *held;

	model_apply_conv(m, conv(id, version, st), &held);
}

/* A burst with repeats costs one query per FETCH batch, smallest ids first. */
static void test_dirty_batches(void **state)
{
	struct sync_dirty d = { 0 };
	int64_t *out;
	size_t n, i;

	(void)state;
	for (i = 0; i < 3000; i++)
		sync_merge_mark(&d, (int64_t)(2500 - i % 2500));	/* 500 repeats */
	n = sync_merge_take(&d, 1000, &out);
	assert_int_equal(n, 1000);
	for (i = 0; i < n; i++)
		assert_int_equal(out[i], (int64_t)i + 1);
	free(out);
	assert_int_equal(d.n, 1500);
	n = sync_merge_take(&d, 1000, &out);
	assert_int_equal(n, 1000);
	assert_int_equal(out[0], 1001);
	free(out);
	/* Marked again while a batch is out: taken with the rest, once. */
	sync_merge_mark(&d, 2500);
	sync_merge_mark(&d, 7);
	n = sync_merge_take(&d, 1000, &out);
	assert_int_equal(n, 501);
	assert_int_equal(out[0], 7);
	assert_int_equal(out[1], 2001);
	assert_int_equal(out[500], 2500);
	free(out);
	assert_int_equal(sync_merge_take(&d, 1000, &out), 0);
	assert_null(out);
	sync_merge_dirty_free(&d);
}

/* Only a notice newer than what the model holds costs a fetch. */
static void test_wanted_by_version(void **state)
{
	struct model m;

	(void)state;
	model_init(&m);
	hold(&m, 5, 3, MODEL_WAITING);
	assert_false(sync_merge_wanted(&m, 5, 2));
	assert_false(sync_merge_wanted(&m, 5, 3));
	assert_true(sync_merge_wanted(&m, 5, 4));
	assert_true(sync_merge_wanted(&m, 6, 1));	/* not held yet */
	model_free(&m);
}

/* Asked for and not returned: out of sight (whatever order the answer has). */
static void test_missing_from_answer(void **state)
{
	const int64_t asked[] = { 2, 4, 6, 8, 10 };
	int64_t got[] = { 10, 4, 99 }, out[5];
	size_t n;

	(void)state;
	n = sync_merge_missing(asked, 5, got, 3, out);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 2);
	assert_int_equal(out[1], 6);
	assert_int_equal(out[2], 8);
	assert_int_equal(sync_merge_missing(asked, 5, got, 0, out), 5);
	assert_int_equal(sync_merge_missing(asked, 0, got, 3, out), 0);
}

/* After a reconnect, a held open conversation the re-read of open ones did
 * not return is fetched by id; a closed one kept in the model is not. */
static void test_held_missing_after_resync(void **state)
{
	struct model m;
	struct sync_dirty d = { 0 };
	int64_t got[] = { 30, 10 }, *out;
	size_t n;

	(void)state;
	model_init(&m);
	hold(&m, 10, 1, MODEL_WAITING);
	hold(&m, 20, 1, MODEL_HUMAN);		/* closed while we were away */
	hold(&m, 25, 1, MODEL_CLOSED);		/* kept closed: nothing to learn */
	hold(&m, 30, 1, MODEL_BOT);
	hold(&m, 40, 1, MODEL_BOT);		/* moved out of sight */
	assert_int_equal(sync_merge_unlisted(&d, &m, got, 2), 2);
	n = sync_merge_take(&d, 1000, &out);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 20);
	assert_int_equal(out[1], 40);
	free(out);
	/* Everything returned: nothing to fetch. */
	{
		int64_t all[] = { 40, 30, 20, 10 };

		assert_int_equal(sync_merge_unlisted(&d, &m, all, 4), 0);
		assert_int_equal(d.n, 0);
	}
	sync_merge_dirty_free(&d);
	model_free(&m);
}

/* A window of messages FIRST..LAST (none when first is 0). */
static struct model_conv *window(int first, int last, bool newer_unloaded)
{
	struct model_conv *c = conv(1, 1, MODEL_HUMAN);
	int seq;

	if (first) {
		c->msgs = xcalloc((size_t)(last - first + 1), sizeof *c->msgs);
		for (seq = first; seq <= last; seq++)
			c->msgs[c->nmsgs++].seq = seq;
	}
	c->newer_unloaded = newer_unloaded;
	return c;
}

static void test_page_joins_window(void **state)
{
	struct model_conv *c = window(11, 20, false), *e = window(0, 0, false);
	struct model_conv *trimmed = window(11, 20, true);

	(void)state;
	/* Following: asked after 20 joins; after 25 (a gap) does not. */
	assert_true(sync_merge_joins(c, SYNC_PAGE_FOLLOW, 20));
	assert_true(sync_merge_joins(c, SYNC_PAGE_FOLLOW, 19));
	assert_false(sync_merge_joins(c, SYNC_PAGE_FOLLOW, 25));
	assert_false(sync_merge_joins(trimmed, SYNC_PAGE_FOLLOW, 20));
	/* Older: before 11 joins; before 5 (trimmed meanwhile) does not. */
	assert_true(sync_merge_joins(c, SYNC_PAGE_OLDER, 11));
	assert_false(sync_merge_joins(c, SYNC_PAGE_OLDER, 5));
	assert_false(sync_merge_joins(e, SYNC_PAGE_OLDER, 11));
	/* The newest page joins an empty window or a complete one. */
	assert_true(sync_merge_joins(e, SYNC_PAGE_OLDER, 0));
	assert_true(sync_merge_joins(c, SYNC_PAGE_OLDER, 0));
	assert_false(sync_merge_joins(trimmed, SYNC_PAGE_OLDER, 0));
	/* Newer, after a window that lost its newest. */
	assert_true(sync_merge_joins(trimmed, SYNC_PAGE_NEWER, 20));
	assert_false(sync_merge_joins(trimmed, SYNC_PAGE_NEWER, 30));
	model_conv_free(c);
	model_conv_free(e);
	model_conv_free(trimmed);
}

/* A reply stays (same client_msg_id) only when it may not have arrived. */
static void test_outbox_keeps_unsent_replies(void **state)
{
	(void)state;
	assert_true(sync_merge_keeps_reply(STORE_NOT_SENT));
	assert_true(sync_merge_keeps_reply(STORE_LOST));
	assert_false(sync_merge_keeps_reply(STORE_OK));
	assert_false(sync_merge_keeps_reply(STORE_SQL_ERROR));
	/* Busy is not refused: kept and resent on a timer. */
	assert_true(sync_merge_busy("BL040"));
	assert_true(sync_merge_busy("55P03"));
	assert_false(sync_merge_busy("BL050"));
	assert_false(sync_merge_busy(""));
	assert_false(sync_merge_busy(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dirty_batches),
		cmocka_unit_test(test_wanted_by_version),
		cmocka_unit_test(test_missing_from_answer),
		cmocka_unit_test(test_held_missing_after_resync),
		cmocka_unit_test(test_page_joins_window),
		cmocka_unit_test(test_outbox_keeps_unsent_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
