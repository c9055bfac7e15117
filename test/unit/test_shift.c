/* Unit tests of the shift: mine first, unread counts, the SLA's nearness,
 * the alert rate limit, who else is here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balie/model.h"
#include "balie/shift.h"
#include "balie/util.h"

static struct model_conv *conv(struct model *m, int64_t id, const char *queue,
			       enum model_state st, const char *agent, int64_t escalated,
			       int64_t taken, int64_t customer_since)
{
	struct model_conv *c = model_conv_new();

	c->id = id;
	c->version = 1;
	c->queue = xstrdup(queue);
	c->state = st;
	c->agent = agent ? xstrdup(agent) : NULL;
	c->created_at = 10;
	c->escalated_at = escalated;
	c->taken_at = taken;
	c->customer_waiting_since = customer_since;
	model_apply_conv(m, c, NULL);
	return c;
}

static void setup_model(struct model *m)
{
	struct model_queue *q = xcalloc(2, sizeof *q);

	model_init(m);
	q[0] = (struct model_queue){ xstrdup("billing"), xstrdup("Billing"), 100, 5, false };
	q[1] = (struct model_queue){ xstrdup("health"), xstrdup("Health"), 60, 10, false };
	model_set_queues(m, q, 2);
	model_set_me(m, "anna", "Anna de Vries", false);
}

static void test_mine_first(void **state)
{
	struct model m;
	struct model_conv *out[16];
	size_t n;

	(void)state;
	setup_model(&m);
	conv(&m, 1, "health", MODEL_WAITING, NULL, 100, 0, 0);	/* top priority wait */
	conv(&m, 2, "billing", MODEL_HUMAN, "anna", 50, 60, 0);	/* mine, answered */
	conv(&m, 3, "billing", MODEL_HUMAN, "anna", 50, 70, 900);	/* mine, waits 100 s */
	conv(&m, 4, "billing", MODEL_HUMAN, "anna", 50, 80, 700);	/* mine, waits 300 s */
	conv(&m, 5, "billing", MODEL_HUMAN, "bram", 50, 20, 500);	/* someone else's */
	conv(&m, 6, "billing", MODEL_BOT, NULL, 0, 0, 0);
	conv(&m, 7, "billing", MODEL_WAITING, NULL, 200, 0, 0);
	conv(&m, 8, "health", MODEL_WAITING, NULL, 300, 0, 0);
	n = model_queue_order(&m, 1000, out);
	assert_int_equal(n, 8);
	assert_int_equal(out[0]->id, 4);	/* mine, the customer waits longest */
	assert_int_equal(out[1]->id, 3);
	assert_int_equal(out[2]->id, 2);	/* mine, nobody waits */
	assert_int_equal(out[3]->id, 1);	/* waiting: priority, then longest */
	assert_int_equal(out[4]->id, 8);
	assert_int_equal(out[5]->id, 7);
	assert_int_equal(out[6]->id, 5);	/* with another person */
	assert_int_equal(out[7]->id, 6);	/* with the bot */

	/* The customer of #2 writes: it rises above the rest of mine. */
	{
		struct model_conv *c = model_conv_new();

		c->id = 2;
		c->version = 2;
		c->queue = xstrdup("billing");
		c->state = MODEL_HUMAN;
		c->agent = xstrdup("anna");
		c->created_at = 10;
		c->taken_at = 60;
		c->customer_waiting_since = 500;
		model_apply_conv(&m, c, NULL);
	}
	n = model_queue_order(&m, 1000, out);
	assert_int_equal(out[0]->id, 2);
	assert_int_equal(out[1]->id, 4);
	assert_int_equal(out[2]->id, 3);
	assert_int_equal(shift_customer_wait(out[0], 1000), 500);
	assert_int_equal(shift_customer_wait(model_find(&m, 1), 1000), 0);
	model_free(&m);
}

static void test_unread(void **state)
{
	struct model m;
	struct model_conv *c;

	(void)state;
	setup_model(&m);
	c = conv(&m, 1, "billing", MODEL_HUMAN, "anna", 50, 60, 900);
	c->message_count = 12;
	assert_int_equal(shift_unread(c), 12);	/* never read */
	c->my_read_seq = 9;
	assert_int_equal(shift_unread(c), 3);
	c->my_read_seq = 12;
	assert_int_equal(shift_unread(c), 0);
	c->my_read_seq = 15;			/* a mark ahead of a stale row */
	assert_int_equal(shift_unread(c), 0);
	assert_true(shift_mine(&m, c));
	assert_false(shift_mine(&m, conv(&m, 2, "billing", MODEL_HUMAN, "bram", 50, 60, 0)));
	assert_false(shift_mine(&m, conv(&m, 3, "billing", MODEL_WAITING, "anna", 50, 0, 0)));
	model_free(&m);
}

static void test_sla_share(void **state)
{
	struct model m;
	struct model_conv *c;

	(void)state;
	setup_model(&m);
	c = conv(&m, 1, "billing", MODEL_WAITING, NULL, 1000, 0, 0);	/* SLA 100 s */
	assert_int_equal(shift_sla(&m, c, 1079, 80), SHIFT_SLA_OK);
	assert_int_equal(shift_sla(&m, c, 1080, 80), SHIFT_SLA_NEAR);
	assert_int_equal(shift_sla(&m, c, 1100, 80), SHIFT_SLA_NEAR);
	assert_int_equal(shift_sla(&m, c, 1101, 80), SHIFT_SLA_BREACHED);
	assert_int_equal(shift_sla(&m, c, 1050, 50), SHIFT_SLA_NEAR);
	assert_int_equal(shift_sla(&m, c, 1099, 0), SHIFT_SLA_OK);	/* 0: off */
	c = conv(&m, 2, "billing", MODEL_HUMAN, "anna", 900, 950, 0);
	assert_int_equal(shift_sla(&m, c, 5000, 80), SHIFT_SLA_OK);	/* taken */
	model_free(&m);
}

static void test_ring_rate_limit(void **state)
{
	struct shift_ring r;
	int64_t t;
	int rings = 0;

	(void)state;
	shift_ring_init(&r, 5000);
	assert_true(shift_ring_ask(&r, 1000));		/* the first rings at once */
	assert_false(shift_ring_ask(&r, 1500));		/* inside the gap: held */
	assert_false(shift_ring_ask(&r, 2000));		/* … and merged */
	assert_false(shift_ring_due(&r, 5999));
	assert_true(shift_ring_due(&r, 6000));		/* once, when the gap ends */
	assert_false(shift_ring_due(&r, 6001));
	assert_false(shift_ring_due(&r, 20000));	/* nothing more held */
	assert_true(shift_ring_ask(&r, 20000));
	/* A storm of a thousand asks a second, for a minute: one ring per gap. */
	shift_ring_init(&r, 5000);
	for (t = 0; t < 60000; t++) {
		if (t % 1000 == 0 && shift_ring_due(&r, t))
			rings++;
		if (shift_ring_ask(&r, t))
			rings++;
	}
	assert_int_equal(rings, 12);
}

static void test_viewers(void **state)
{
	struct shift_viewer v[4];
	char line[200];

	(void)state;
	assert_int_equal(shift_viewers_parse(NULL, v, 4), 0);
	assert_int_equal(shift_viewers_parse("[]", v, 4), 0);
	assert_int_equal(shift_viewers_parse(
		"[{\"login\": \"bram\", \"name\": \"Bram Jansen\", \"activity\": \"viewing\"},"
		" {\"login\":\"sara\",\"name\":\"Sara \\u00c9 \\\"B\\\"\",\"activity\":\"typing a note\","
		"\"since\":null}]", v, 4), 2);
	assert_string_equal(v[0].login, "bram");
	assert_string_equal(v[0].name, "Bram Jansen");
	assert_string_equal(v[1].name, "Sara \xc3\x89 \"B\"");
	assert_string_equal(v[1].activity, "typing a note");
	assert_int_equal(shift_viewers_parse("[{\"login\":1}]", v, 4), -1);
	assert_int_equal(shift_viewers_parse("{}", v, 4), -1);
	assert_int_equal(shift_viewers_parse("[{\"login\":\"x\"", v, 4), -1);
	assert_int_equal(shift_viewers_parse("[{\"login\":\"x\"}] x", v, 4), -1);
	assert_int_equal(shift_viewers_parse("[{\"a\":\"\\q\"}]", v, 4), -1);
	/* More than fit: counted up to MAX, the rest parsed and dropped. */
	assert_int_equal(shift_viewers_parse("[{},{},{},{},{},{}]", v, 4), 4);

	assert_int_equal(shift_viewers_line(
		"[{\"login\":\"anna\",\"name\":\"Anna\",\"activity\":\"viewing\"},"
		"{\"login\":\"bram\",\"name\":\"Bram Jansen\",\"activity\":\"viewing\"},"
		"{\"login\":\"sara\",\"name\":\"Sara Bakker\",\"activity\":\"typing a note\"}]",
		"anna", line, sizeof line), 2);
	assert_string_equal(line, "Bram Jansen is viewing, Sara Bakker is typing a note");
	assert_int_equal(shift_viewers_line(
		"[{\"login\":\"anna\",\"name\":\"Anna\",\"activity\":\"typing\"}]", "anna",
		line, sizeof line), 0);
	assert_string_equal(line, "");
	assert_int_equal(shift_viewers_line("garbage", "anna", line, sizeof line), 0);
}

static void test_viewers_cut(void **state)
{
	struct shift_viewer v[1];
	char json[400];
	size_t i;

	(void)state;
	/* A name longer than the field is cut at a character boundary. */
	strcpy(json, "[{\"name\":\"");
	for (i = 0; i < 100; i++)
		strcat(json, "\xc3\xa9");	/* é, two bytes each */
	strcat(json, "\"}]");
	assert_int_equal(shift_viewers_parse(json, v, 1), 1);
	assert_true(strlen(v[0].name) < sizeof v[0].name);
	assert_int_equal(strlen(v[0].name) % 2, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mine_first),
		cmocka_unit_test(test_unread),
		cmocka_unit_test(test_sla_share),
		cmocka_unit_test(test_ring_rate_limit),
		cmocka_unit_test(test_viewers),
		cmocka_unit_test(test_viewers_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
