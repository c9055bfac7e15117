/* Notifications: every committed change of a conversation bumps its version
 * and says so on channel "balie"; state changes also go to "balie_bot"; queue
 * settings go to "balie_queue". A LISTENing connection must receive them. */
#define _GNU_SOURCE
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "pgtest.h"

#define OK(c, ...) PQclear(pgt_ok(c, __VA_ARGS__))
#define FAILS(c, state, ...) free(pgt_fails(c, state, __VA_ARGS__))

#define WAIT_MS 5000

struct fx {
	char *db;
	PGconn *root, *listener, *bot, *ann, *bob, *sue;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	f->db = pgt_fresh_db();
	f->root = pgt_connect(f->db, "postgres");
	/* Listening needs no privilege; an agent's console listens as itself. */
	f->listener = pgt_connect(f->db, "ann");
	f->bot = pgt_connect(f->db, "botty");
	f->ann = pgt_connect(f->db, "ann");
	f->bob = pgt_connect(f->db, "bob");
	f->sue = pgt_connect(f->db, "sue");
	OK(f->listener, "listen balie");
	OK(f->listener, "listen balie_bot");
	OK(f->listener, "listen balie_queue");
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	PQfinish(f->root);
	PQfinish(f->listener);
	PQfinish(f->bot);
	PQfinish(f->ann);
	PQfinish(f->bob);
	PQfinish(f->sue);
	free(f->db);
	free(f);
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Reads notifications until one on CHANNEL carries exactly WANT, or the
 * deadline passes; counts the others it skipped on the way in *skipped. */
static bool await_notify(PGconn *c, const char *channel, const char *want, int *skipped)
{
	long deadline = now_ms() + WAIT_MS;

	for (;;) {
		PGnotify *n;
		struct pollfd p;
		long left;

		assert_int_equal(PQconsumeInput(c), 1);
		while ((n = PQnotifies(c)) != NULL) {
			bool hit = strcmp(n->relname, channel) == 0 && strcmp(n->extra, want) == 0;

			if (!hit && skipped) {
				fprintf(stderr, "  (skipped %s %s)\n", n->relname, n->extra);
				(*skipped)++;
			}
			PQfreemem(n);
			if (hit)
				return true;
		}
		left = deadline - now_ms();
		if (left <= 0)
			return false;
		p.fd = PQsocket(c);
		p.events = POLLIN;
		p.revents = 0;
		poll(&p, 1, (int)left);
	}
}

/* Waits for every (channel, payload) pair in WANT, in any order. */
static bool await_all(PGconn *c, const char *const want[][2], size_t n)
{
	long deadline = now_ms() + WAIT_MS;
	bool seen[4] = { false };
	size_t missing = n;

	assert_true(n <= sizeof seen / sizeof seen[0]);
	while (missing > 0) {
		PGnotify *note;
		struct pollfd p;
		long left;

		assert_int_equal(PQconsumeInput(c), 1);
		while ((note = PQnotifies(c)) != NULL) {
			for (size_t i = 0; i < n; i++) {
				if (!seen[i] && strcmp(note->relname, want[i][0]) == 0
				    && strcmp(note->extra, want[i][1]) == 0) {
					seen[i] = true;
					missing--;
				}
			}
			PQfreemem(note);
		}
		left = deadline - now_ms();
		if (missing == 0 || left <= 0)
			break;
		p.fd = PQsocket(c);
		p.events = POLLIN;
		p.revents = 0;
		poll(&p, 1, (int)left);
	}
	return missing == 0;
}

static void expect_notify(PGconn *c, const char *channel, const char *want)
{
	if (!await_notify(c, channel, want, NULL))
		fail_msg("no NOTIFY %s '%s' within %d ms", channel, want, WAIT_MS);
}

/* Drops whatever has arrived so far, so the next expectation starts clean. */
static void drain(PGconn *c)
{
	PGnotify *n;

	assert_int_equal(PQconsumeInput(c), 1);
	while ((n = PQnotifies(c)) != NULL)
		PQfreemem(n);
}

static long version_of(struct fx *f, const char *id)
{
	return pgt_long(f->root, "select version from balie.conversations where id = $1", id);
}

/* One step of a conversation's life: who does what, and the state it leaves. */
struct step {
	int who;		/* index into the connections below */
	const char *sql;	/* $1 is the conversation */
	const char *state;	/* new state for balie_bot, or NULL when unchanged */
};

enum { BOT, ANN, BOB, SUE };

static void every_change_notifies_its_new_version(void **state)
{
	struct fx *f = *state;
	PGconn *who[] = { f->bot, f->ann, f->bob, f->sue };
	const struct step life[] = {
		{ BOT, "select balie.post_message($1, 'customer', 'My card is blocked')", NULL },
		{ BOT, "select balie.post_message($1, 'bot', 'Let me check', '[{\"title\": \"Cards\","
		       " \"url\": \"https://kb.example/cards\"}]')", NULL },
		{ BOT, "select balie.escalate($1, 'sensitive_topic', 'card', 0.9, 'Blocked card')", "waiting" },
		{ BOT, "select balie.escalate($1, 'customer_request')", NULL },
		{ ANN, "select balie.takeover($1)", "human" },
		{ ANN, "select balie.reply($1, 'Hi, Ann here')", NULL },
		{ BOB, "select balie.note($1, 'Seen this card before')", NULL },
		{ ANN, "select balie.confirm_agreement($1, 'New card within 3 days')", NULL },
		{ ANN, "select balie.handback($1, 'Done')", "bot" },
		{ BOT, "select balie.escalate($1, 'customer_request')", "waiting" },
		{ SUE, "select balie.assign($1, 'bob')", "human" },
		{ SUE, "select balie.assign($1, 'ann')", NULL },
		{ ANN, "select balie.transfer($1, 'health', 'Insurance question')", "waiting" },
		{ SUE, "select balie.takeover($1)", "human" },
		{ SUE, "select balie.close($1, 'Solved')", "closed" },
		{ ANN, "select balie.note($1, 'Follow-up done')", NULL },
	};
	char *id, want[96], want_bot[96];
	long before, after;

	id = pgt_scalar(f->bot, "select balie.open_conversation('billing', 'c-7', 'Dirk')");
	snprintf(want, sizeof want, "{\"conv\": %s, \"version\": 1}", id);
	snprintf(want_bot, sizeof want_bot, "{\"conv\": %s, \"state\": \"bot\"}", id);
	{
		const char *const wants[][2] = { { "balie", want }, { "balie_bot", want_bot } };

		if (!await_all(f->listener, wants, 2))
			fail_msg("open_conversation: missing NOTIFY %s or %s", want, want_bot);
	}

	for (size_t i = 0; i < sizeof life / sizeof life[0]; i++) {
		drain(f->listener);
		before = version_of(f, id);
		OK(who[life[i].who], life[i].sql, id);
		after = version_of(f, id);
		if (after <= before)
			fail_msg("step %zu (%s) left version at %ld", i, life[i].sql, before);
		snprintf(want, sizeof want, "{\"conv\": %s, \"version\": %ld}", id, after);
		snprintf(want_bot, sizeof want_bot, "{\"conv\": %s, \"state\": \"%s\"}", id,
			 life[i].state ? life[i].state : "");
		{
			const char *const wants[][2] = { { "balie", want }, { "balie_bot", want_bot } };

			if (!await_all(f->listener, wants, life[i].state ? 2 : 1))
				fail_msg("step %zu (%s): missing NOTIFY balie %s%s%s", i, life[i].sql,
					 want, life[i].state ? " or balie_bot " : "",
					 life[i].state ? want_bot : "");
		}
	}
	/* The audit log holds every state change, by whoever made it. */
	{
		char *trail = pgt_scalar(f->root, "select string_agg(concat(from_state, '>', to_state, ' ', actor),"
					 " ',' order by id) from balie.state_changes where conversation = $1", id);

		assert_string_equal(trail, ">bot botty,bot>waiting botty,waiting>human ann,human>bot ann,"
				    "bot>waiting botty,waiting>human sue,human>waiting ann,waiting>human sue,"
				    "human>closed sue");
		free(trail);
	}
	free(id);
}

static void refusals_and_retries_change_nothing(void **state)
{
	struct fx *f = *state;
	char *id, want[96];
	long v;
	int skipped = 0;
	const char *uuid = "3f1e2d3c-4b5a-4968-8776-655443322110";

	id = pgt_scalar(f->bot, "select balie.open_conversation('billing', 'c-8', 'Eva')");
	OK(f->bot, "select balie.post_message($1, 'customer', 'Hi', null, $2)", id, uuid);
	OK(f->bot, "select balie.escalate($1, 'other')", id);
	OK(f->ann, "select balie.takeover($1)", id);
	v = version_of(f, id);
	snprintf(want, sizeof want, "{\"conv\": %s, \"version\": %ld}", id, v);
	expect_notify(f->listener, "balie", want);

	/* None of these may bump the version or announce anything. */
	FAILS(f->bot, "BL012", "select balie.post_message($1, 'bot', 'Me!')", id);
	FAILS(f->bob, "BL011", "select balie.reply($1, 'Me!')", id);
	OK(f->bob, "select balie.takeover($1)", id);
	OK(f->ann, "select balie.takeover($1)", id);
	OK(f->bot, "select balie.post_message($1, 'customer', 'Hi', null, $2)", id, uuid);
	OK(f->sue, "select balie.assign($1, 'ann')", id);
	OK(f->ann, "select balie.heartbeat()");
	assert_int_equal(version_of(f, id), v);

	/* A marker change: everything sent before it has arrived by then. */
	OK(f->ann, "select balie.reply($1, 'marker')", id);
	snprintf(want, sizeof want, "{\"conv\": %s, \"version\": %ld}", id, v + 1);
	assert_true(await_notify(f->listener, "balie", want, &skipped));
	assert_int_equal(skipped, 0);
	free(id);
}

static void pause_bot_notifies_the_queue_channel(void **state)
{
	struct fx *f = *state;
	char *id, want[96];

	OK(f->sue, "select balie.pause_bot('billing', true)");
	expect_notify(f->listener, "balie_queue", "{\"queue\": \"billing\", \"bot_paused\": true}");
	id = pgt_scalar(f->bot, "select balie.open_conversation('billing', 'c-9', 'Fred')");
	snprintf(want, sizeof want, "{\"conv\": %s, \"state\": \"waiting\"}", id);
	expect_notify(f->listener, "balie_bot", want);
	OK(f->sue, "select balie.pause_bot('billing', false)");
	expect_notify(f->listener, "balie_queue", "{\"queue\": \"billing\", \"bot_paused\": false}");
	free(id);
}

static void a_bot_hears_takeover_and_handback(void **state)
{
	struct fx *f = *state;
	char *id, want[96];

	/* The bot's own connection is what stops and resumes it. */
	OK(f->bot, "listen balie_bot");
	id = pgt_scalar(f->bot, "select balie.open_conversation('health', 'c-10', 'Gina')");
	drain(f->bot);
	OK(f->ann, "select balie.takeover($1)", id);
	snprintf(want, sizeof want, "{\"conv\": %s, \"state\": \"human\"}", id);
	expect_notify(f->bot, "balie_bot", want);
	OK(f->ann, "select balie.handback($1)", id);
	snprintf(want, sizeof want, "{\"conv\": %s, \"state\": \"bot\"}", id);
	expect_notify(f->bot, "balie_bot", want);
	free(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(every_change_notifies_its_new_version),
		T(refusals_and_retries_change_nothing),
		T(pause_bot_notifies_the_queue_channel),
		T(a_bot_hears_takeover_and_handback),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
