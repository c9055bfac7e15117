/* Concurrency: 32 agents press "take over" on the same conversation at the
 * same moment, round after round, and exactly one of them gets it; many
 * writers on one conversation still number its messages 1..n without gaps. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pgtest.h"

#define OK(c, ...) PQclear(pgt_ok(c, __VA_ARGS__))

#define RACERS 32
#define ROUNDS 100

/* Sends SQL with one parameter without waiting for the answer. */
static void send_one(PGconn *c, const char *sql, const char *param)
{
	if (!PQsendQueryParams(c, sql, 1, NULL, &param, NULL, NULL, 0))
		fail_msg("send failed: %s", PQerrorMessage(c));
}

/* Collects the single-value answer to what send_one sent; returns it (malloc'd). */
static char *collect_one(PGconn *c)
{
	PGresult *r, *first = NULL;
	char *v;

	while ((r = PQgetResult(c)) != NULL) {
		if (first)
			PQclear(r);
		else
			first = r;
	}
	assert_non_null(first);
	if (PQresultStatus(first) != PGRES_TUPLES_OK)
		fail_msg("query failed: %s", PQresultErrorMessage(first));
	v = strdup(PQgetvalue(first, 0, 0));
	PQclear(first);
	return v;
}

static void exactly_one_of_32_wins_every_round(void **state)
{
	char *db = pgt_fresh_db();
	PGconn *root = pgt_connect(db, "postgres");
	PGconn *bot = pgt_connect(db, "botty");
	PGconn *racer[RACERS];
	char login[RACERS][16];

	for (int i = 0; i < RACERS; i++) {
		snprintf(login[i], sizeof login[i], "race%02u", (unsigned)i + 1);
		racer[i] = pgt_connect(db, login[i]);
	}
	for (int round = 0; round < ROUNDS; round++) {
		char *id = pgt_scalar(bot, "select balie.open_conversation('billing', 'racer', 'Rita Race')");
		int winners = 0, winner = -1;
		char joined[64], *owner;

		OK(bot, "select balie.escalate($1, 'customer_request')", id);
		/* Every request is on the wire before any answer is read. */
		for (int i = 0; i < RACERS; i++)
			send_one(racer[(i + round) % RACERS], "select balie.takeover($1)", id);
		for (int i = 0; i < RACERS; i++) {
			char *v = collect_one(racer[i]);

			if (strcmp(v, "t") == 0) {
				winners++;
				winner = i;
			} else if (strcmp(v, "f") != 0) {
				fail_msg("round %d: takeover returned %s", round, v);
			}
			free(v);
		}
		if (winners != 1)
			fail_msg("round %d: %d winners", round, winners);
		owner = pgt_scalar(root, "select agent from balie.conversations where id = $1", id);
		assert_string_equal(owner, login[winner]);
		free(owner);
		snprintf(joined, sizeof joined, "Racer %02u has joined the conversation.", (unsigned)winner + 1);
		assert_int_equal(pgt_long(root, "select count(*) from balie.messages where conversation = $1"
					  " and author_kind = 'system' and template_key = 'joined'", id), 1);
		assert_int_equal(pgt_long(root, "select count(*) from balie.messages where conversation = $1"
					  " and body = $2", id, joined), 1);
		assert_int_equal(pgt_long(root, "select count(*) from balie.state_changes"
					  " where conversation = $1 and to_state = 'human'", id), 1);
		free(id);
	}
	for (int i = 0; i < RACERS; i++)
		PQfinish(racer[i]);
	PQfinish(bot);
	PQfinish(root);
	free(db);
	(void)state;
}

static void concurrent_writers_number_messages_without_gaps(void **state)
{
	enum { BOTS = 8, ROUNDS_W = 25 };
	char *db = pgt_fresh_db();
	PGconn *root = pgt_connect(db, "postgres");
	PGconn *bots[BOTS];
	PGconn *ann = pgt_connect(db, "ann");
	PGconn *bob = pgt_connect(db, "bob");
	char *id, total_s[16];
	long total;

	for (int i = 0; i < BOTS; i++)
		bots[i] = pgt_connect(db, "botty");
	id = pgt_scalar(bots[0], "select balie.open_conversation('billing', 'busy', 'Busy Bee')");
	OK(bots[0], "select balie.escalate($1, 'other')", id);
	OK(ann, "select balie.takeover($1)", id);
	for (int round = 0; round < ROUNDS_W; round++) {
		char *v;

		for (int i = 0; i < BOTS; i++)
			send_one(bots[i], "select balie.post_message($1, 'customer', 'ping')", id);
		send_one(ann, "select balie.reply($1, 'pong')", id);
		send_one(bob, "select balie.note($1, 'noted')", id);
		for (int i = 0; i < BOTS; i++) {
			v = collect_one(bots[i]);
			free(v);
		}
		free(collect_one(ann));
		free(collect_one(bob));
	}
	total = 2 + ROUNDS_W * (BOTS + 2);	/* the disclosure, the joined line, then the writers */
	snprintf(total_s, sizeof total_s, "%ld", total);
	assert_int_equal(pgt_long(root, "select count(*) from balie.messages where conversation = $1", id),
			 total);
	/* 1..n, each once, and the conversation's counter agrees. */
	assert_int_equal(pgt_long(root, "select count(distinct seq) from balie.messages"
				  " where conversation = $1 and seq between 1 and $2::int", id, total_s), total);
	assert_int_equal(pgt_long(root, "select message_count from balie.conversations where id = $1", id),
			 total);
	/* Each writer locks the conversation before it draws an id, so ids agree with seq. */
	assert_int_equal(pgt_long(root, "select count(*) from (select seq, row_number() over (order by id) rn"
				  " from balie.messages where conversation = $1) s where seq <> rn", id), 0);
	free(id);
	for (int i = 0; i < BOTS; i++)
		PQfinish(bots[i]);
	PQfinish(ann);
	PQfinish(bob);
	PQfinish(root);
	free(db);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exactly_one_of_32_wins_every_round),
		cmocka_unit_test(concurrent_writers_number_messages_without_gaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
