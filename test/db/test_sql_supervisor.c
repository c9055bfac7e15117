/* The supervisor's figures against a real server, on known data: counts per
 * state, SLA breaches, bot containment, escalations by reason, the waiting
 * history and its carry-forward, agent presence with controlled timestamps,
 * who may read them, that concurrent changes keep the history exact, and
 * that the refresh stays fast with 50,000 open conversations. */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
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
#define FAILS_SAYING(c, state, want, ...) do { \
		char *m_ = pgt_fails(c, state, __VA_ARGS__); \
		assert_string_equal(m_, want); \
		free(m_); \
	} while (0)
#define assert_value(c, want, ...) do { \
		char *v_ = pgt_scalar(c, __VA_ARGS__); \
		assert_non_null(v_); \
		assert_string_equal(v_, want); \
		free(v_); \
	} while (0)

/* The figures of one queue, as "with_bot|waiting|with_person|breaches". */
#define COUNTS_SQL \
	"select concat_ws('|', with_bot, waiting, with_person, sla_breaches)" \
	" from balie.supervisor_queues() where queue = $1"

struct fx {
	char *db;
	PGconn *root, *bot, *ann, *bob, *cid, *sue, *mallory;
};

typedef struct {
	char s[24];
} conv_id;

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	f->db = pgt_fresh_db();
	f->root = pgt_connect(f->db, "postgres");
	f->bot = pgt_connect(f->db, "botty");
	f->ann = pgt_connect(f->db, "ann");
	f->bob = pgt_connect(f->db, "bob");
	f->cid = pgt_connect(f->db, "cid");
	f->sue = pgt_connect(f->db, "sue");
	f->mallory = pgt_connect(f->db, "mallory");
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	PQfinish(f->root);
	PQfinish(f->bot);
	PQfinish(f->ann);
	PQfinish(f->bob);
	PQfinish(f->cid);
	PQfinish(f->sue);
	PQfinish(f->mallory);
	free(f->db);
	free(f);
	return 0;
}

static conv_id open_conv(struct fx *f, const char *queue)
{
	conv_id id;
	char *v = pgt_scalar(f->bot,
		"select balie.open_conversation($1, 'cust-1', 'Carla Customer')", queue);

	assert_non_null(v);
	snprintf(id.s, sizeof id.s, "%s", v);
	free(v);
	return id;
}

static conv_id waiting_conv(struct fx *f, const char *queue, const char *reason)
{
	conv_id id = open_conv(f, queue);

	OK(f->bot, "select balie.escalate($1, $2)", id.s, reason);
	return id;
}

/* Moves a conversation's wait clock SECONDS into the past (as the superuser). */
static void waited(struct fx *f, conv_id id, const char *seconds)
{
	OK(f->root, "update balie.conversations set escalated_at = now() - $2::int * interval '1 second'"
	   " where id = $1", id.s, seconds);
}

/* ------------------------------------------------------------------ access */

static void only_supervisors_read_the_figures(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pgt_long(f->sue, "select count(*) from balie.supervisor_queues()"), 3);
	assert_true(pgt_long(f->sue, "select count(*) from balie.supervisor_agents()") >= 4);
	FAILS_SAYING(f->ann, "42501", "permission denied for function supervisor_queues",
		     "select * from balie.supervisor_queues()");
	FAILS_SAYING(f->ann, "42501", "permission denied for function supervisor_agents",
		     "select * from balie.supervisor_agents()");
	free(pgt_fails(f->bot, "42501", "select * from balie.supervisor_queues()"));
	free(pgt_fails(f->mallory, "42501", "select * from balie.supervisor_agents()"));
	/* The history tables: read through the functions only, written by nobody. */
	free(pgt_fails(f->sue, "42501", "select count(*) from balie.waiting_changes"));
	free(pgt_fails(f->sue, "42501", "select count(*) from balie.waiting_samples"));
	free(pgt_fails(f->sue, "42501", "select count(*) from balie.escalations"));
	free(pgt_fails(f->ann, "42501", "select count(*) from balie.waiting_changes"));
	free(pgt_fails(f->ann, "42501", "select count(*) from balie.escalations"));
	free(pgt_fails(f->sue, "42501", "insert into balie.waiting_changes (queue, delta) values ('billing', 1)"));
	free(pgt_fails(f->sue, "42501", "delete from balie.escalations"));
	/* A supervisor role that somehow reaches the function body is still checked. */
	OK(f->root, "grant execute on function balie.supervisor_queues() to ann");
	FAILS_SAYING(f->ann, "42501", "ann may not read the supervisor figures: only a balie supervisor can",
		     "select * from balie.supervisor_queues()");
}

/* ------------------------------------------------------------------ counts */

static void counts_follow_every_state(void **state)
{
	struct fx *f = *state;
	conv_id b1 = open_conv(f, "billing");
	conv_id w1 = waiting_conv(f, "billing", "customer_request");
	conv_id w2 = waiting_conv(f, "billing", "not_understood");
	conv_id w3 = waiting_conv(f, "health", "sensitive_topic");
	conv_id done = open_conv(f, "billing");

	(void)b1;
	(void)w2;
	assert_value(f->sue, "2|2|0|0", COUNTS_SQL, "billing");
	assert_value(f->sue, "0|1|0|0", COUNTS_SQL, "health");
	assert_value(f->sue, "0|0|0|0", COUNTS_SQL, "parcels");

	/* Taken, closed, transferred: each moves exactly one count. */
	OK(f->ann, "select balie.takeover($1)", w1.s);
	assert_value(f->sue, "2|1|1|0", COUNTS_SQL, "billing");
	OK(f->bot, "select balie.close($1)", done.s);
	assert_value(f->sue, "1|1|1|0", COUNTS_SQL, "billing");
	OK(f->sue, "select balie.transfer($1, 'parcels')", w3.s);
	assert_value(f->sue, "0|0|0|0", COUNTS_SQL, "health");
	assert_value(f->sue, "0|1|0|0", COUNTS_SQL, "parcels");
	OK(f->ann, "select balie.transfer($1, 'health')", w1.s);
	assert_value(f->sue, "1|1|0|0", COUNTS_SQL, "billing");
	assert_value(f->sue, "0|1|0|0", COUNTS_SQL, "health");

	/* Queue settings travel with the figures. */
	OK(f->sue, "select balie.pause_bot('health', true)");
	assert_value(f->sue, "Health insurance|60|10|t",
		     "select concat_ws('|', name, sla_seconds, priority, bot_paused)"
		     " from balie.supervisor_queues() where queue = 'health'");
	/* Highest priority first, as the screen lists them. */
	assert_value(f->sue, "health,billing,parcels",
		     "select string_agg(queue, ',') from balie.supervisor_queues()");
}

static void breaches_and_longest_wait_follow_the_queue_sla(void **state)
{
	struct fx *f = *state;
	/* billing: SLA 120 s; health: SLA 60 s. */
	conv_id b_in = waiting_conv(f, "billing", "other");
	conv_id b_out = waiting_conv(f, "billing", "other");
	conv_id b_way_out = waiting_conv(f, "billing", "other");
	conv_id h_in = waiting_conv(f, "health", "other");
	conv_id h_out = waiting_conv(f, "health", "other");
	conv_id taken = waiting_conv(f, "health", "other");

	waited(f, b_in, "110");
	waited(f, b_out, "130");
	waited(f, b_way_out, "3600");
	waited(f, h_in, "50");
	waited(f, h_out, "70");
	waited(f, taken, "7200");
	/* A conversation with a person no longer waits, however long it did. */
	OK(f->ann, "select balie.takeover($1)", taken.s);

	assert_value(f->sue, "0|3|0|2", COUNTS_SQL, "billing");
	assert_value(f->sue, "0|2|1|1", COUNTS_SQL, "health");
	/* The longest wait is the oldest waiting one's, at the time of the query. */
	assert_value(f->sue, "t|t", "select concat_ws('|', longest_wait between 3600 and 3610,"
		     " extract(epoch from oldest_waiting_since)::bigint"
		     " = (select escalated_at from balie.read_conversations(array[$1::bigint])))"
		     " from balie.supervisor_queues() where queue = 'billing'", b_way_out.s);
	assert_value(f->sue, "t", "select longest_wait between 70 and 80"
		     " from balie.supervisor_queues() where queue = 'health'");
	assert_value(f->sue, "0|", "select concat_ws('|', longest_wait, coalesce(oldest_waiting_since::text, ''))"
		     " from balie.supervisor_queues() where queue = 'parcels'");
}

static void containment_counts_today_closed_without_a_person(void **state)
{
	struct fx *f = *state;
	conv_id by_bot = open_conv(f, "billing");
	conv_id by_bot2 = open_conv(f, "billing");
	conv_id by_person = waiting_conv(f, "billing", "customer_request");
	conv_id abandoned = waiting_conv(f, "billing", "other");
	conv_id handed_back = waiting_conv(f, "billing", "other");
	conv_id yesterday = open_conv(f, "billing");
	conv_id other_queue = open_conv(f, "parcels");

	OK(f->bot, "select balie.close($1)", by_bot.s);
	OK(f->bot, "select balie.close($1)", by_bot2.s);
	OK(f->ann, "select balie.takeover($1)", by_person.s);
	OK(f->ann, "select balie.close($1)", by_person.s);
	/* Closed while waiting, nobody took it: never had a person. */
	OK(f->sue, "select balie.close($1)", abandoned.s);
	/* A person had it, then the bot closed it: not contained. */
	OK(f->ann, "select balie.takeover($1)", handed_back.s);
	OK(f->ann, "select balie.handback($1)", handed_back.s);
	OK(f->bot, "select balie.close($1)", handed_back.s);
	OK(f->bot, "select balie.close($1)", yesterday.s);
	OK(f->root, "update balie.conversations set closed_at = date_trunc('day', now()) - interval '1 minute'"
	   " where id = $1", yesterday.s);
	OK(f->bot, "select balie.close($1)", other_queue.s);

	assert_value(f->sue, "5|3", "select concat_ws('|', closed_today, contained_today)"
		     " from balie.supervisor_queues() where queue = 'billing'");
	assert_value(f->sue, "1|1", "select concat_ws('|', closed_today, contained_today)"
		     " from balie.supervisor_queues() where queue = 'parcels'");
	assert_value(f->sue, "0|0", "select concat_ws('|', closed_today, contained_today)"
		     " from balie.supervisor_queues() where queue = 'health'");
}

static void escalations_today_are_counted_by_reason(void **state)
{
	struct fx *f = *state;
	conv_id a = waiting_conv(f, "billing", "customer_request");
	conv_id b = waiting_conv(f, "billing", "customer_request");
	conv_id c = waiting_conv(f, "billing", "other");
	conv_id old = waiting_conv(f, "billing", "bot_error");
	conv_id h = waiting_conv(f, "health", "sensitive_topic");

	/* The bot refines its reason while the customer waits: one escalation. */
	OK(f->bot, "select balie.escalate($1, 'not_understood')", c.s);
	/* Transfers between people are not escalations by the bot. */
	OK(f->ann, "select balie.takeover($1)", a.s);
	OK(f->ann, "select balie.transfer($1, 'health')", a.s);
	/* Handed back and escalated again: a second escalation. */
	OK(f->ann, "select balie.takeover($1)", b.s);
	OK(f->ann, "select balie.handback($1)", b.s);
	OK(f->bot, "select balie.escalate($1, 'negative_sentiment')", b.s);
	/* Opened while the bot is paused: goes straight to a person. */
	OK(f->sue, "select balie.pause_bot('parcels', true)");
	open_conv(f, "parcels");
	/* Yesterday's do not count today. */
	OK(f->root, "update balie.escalations set at = date_trunc('day', now()) - interval '1 second'"
	   " where conversation = $1", old.s);
	(void)h;

	assert_value(f->sue, "4|t", "select concat_ws('|', escalations_today, escalations = $1::jsonb)"
		     " from balie.supervisor_queues() where queue = 'billing'",
		     "{\"customer_request\": 2, \"not_understood\": 1, \"negative_sentiment\": 1}");
	assert_value(f->sue, "1|{\"sensitive_topic\": 1}",
		     "select concat_ws('|', escalations_today, escalations)"
		     " from balie.supervisor_queues() where queue = 'health'");
	assert_value(f->sue, "1|{\"bot_paused\": 1}",
		     "select concat_ws('|', escalations_today, escalations)"
		     " from balie.supervisor_queues() where queue = 'parcels'");
	/* The log keeps the queue and reason each escalation had. */
	assert_value(f->root, "billing:customer_request,billing:customer_request,billing:negative_sentiment",
		     "select string_agg(queue || ':' || reason, ',' order by id) from balie.escalations"
		     " where conversation in ($1, $2)", a.s, b.s);
}

/* ----------------------------------------------------------------- history */

/* The waiting count of a queue now and the highest in this minute. */
#define LATEST "select concat_ws('|', waiting, waiting_last_hour[60]) from balie.supervisor_queues()" \
	" where queue = $1"

static void the_waiting_history_follows_state_changes(void **state)
{
	struct fx *f = *state;
	conv_id a = waiting_conv(f, "billing", "other");
	conv_id b = waiting_conv(f, "billing", "other");
	conv_id c = waiting_conv(f, "billing", "other");

	(void)b;
	assert_value(f->sue, "3|3", LATEST, "billing");
	OK(f->ann, "select balie.takeover($1)", a.s);
	assert_value(f->sue, "2|3", LATEST, "billing");
	OK(f->sue, "select balie.transfer($1, 'health')", c.s);
	assert_value(f->sue, "1|3", LATEST, "billing");
	assert_value(f->sue, "1|1", LATEST, "health");
	/* Each change is one row, only ever inserted: no change waits for another. */
	assert_value(f->root, "+1,+1,+1,-1,-1", "select string_agg(to_char(delta, 'SG9'), ',' order by id)"
		     " from balie.waiting_changes where queue = 'billing'");
	/* Bot conversations and messages do not touch the history. */
	open_conv(f, "parcels");
	OK(f->bot, "select balie.post_message($1, 'customer', 'Hello?')", c.s);
	assert_int_equal(pgt_long(f->root, "select count(*) from balie.waiting_changes where queue = 'parcels'"), 0);
	/* The sparkline shows the minute's peak (the minute may have turned since). */
	assert_value(f->sue, "3", "select max(p) from balie.supervisor_queues(), unnest(waiting_last_hour[59:60]) p"
		     " where queue = 'billing'");
	assert_value(f->sue, "60", "select array_length(waiting_last_hour, 1) from balie.supervisor_queues()"
		     " where queue = 'parcels'");
}

static void the_sparkline_carries_minutes_forward(void **state)
{
	struct fx *f = *state;
	char want[256];
	size_t n = 0;

	/* Point i of 60 is the minute 60 - i minutes before this one. Before the
	 * window: 2 waiting. At -30 min: four arrive, two leave (peak 6, ending
	 * at 4). At -10 min: three leave (peak 4, ending at 1). Nothing since:
	 * the one that waits now. */
	for (int i = 1; i <= 60; i++) {
		int v = i < 30 ? 2 : i == 30 ? 6 : i <= 50 ? 4 : 1;

		n += (size_t)snprintf(want + n, sizeof want - n, "%s%d", i > 1 ? "," : "", v);
	}
	waiting_conv(f, "billing", "other");
	/* Should the minute turn between writing and reading, try again. */
	for (int attempt = 0;; attempt++) {
		char *minute = pgt_scalar(f->root, "select date_trunc('minute', now())");
		char *points, *after;

		OK(f->root, "delete from balie.waiting_changes");
		OK(f->root, "insert into balie.waiting_changes (queue, at, delta)"
		   " select 'billing', $1::timestamptz - interval '30 minutes' + s * interval '1 second', d"
		   " from unnest(array[1, 1, 1, 1, -1, -1]) with ordinality as u(d, s)", minute);
		OK(f->root, "insert into balie.waiting_changes (queue, at, delta)"
		   " select 'billing', $1::timestamptz - interval '10 minutes' + interval '5 seconds', -1"
		   " from generate_series(1, 3)", minute);
		points = pgt_scalar(f->sue, "select array_to_string(waiting_last_hour, ',')"
				    " from balie.supervisor_queues() where queue = 'billing'");
		after = pgt_scalar(f->root, "select date_trunc('minute', now())");
		if (strcmp(minute, after) == 0 || attempt == 2) {
			assert_string_equal(points, want);
			free(minute);
			free(points);
			free(after);
			break;
		}
		free(minute);
		free(points);
		free(after);
	}
	/* A queue with no history at all shows zeros. */
	assert_value(f->sue, "0", "select max(p) from balie.supervisor_queues(), unnest(waiting_last_hour) p"
		     " where queue = 'health'");
}

static void old_history_is_pruned_a_few_rows_at_a_time(void **state)
{
	struct fx *f = *state;

	OK(f->root, "insert into balie.waiting_changes (queue, at, delta)"
	   " select q, now() - interval '2 days', 1 from unnest(array['billing', 'health']) q,"
	   " generate_series(1, 10)");
	/* Each change forgets up to 16 rows older than a day, of any queue. */
	waiting_conv(f, "billing", "other");
	assert_int_equal(pgt_long(f->root, "select count(*) from balie.waiting_changes"
				  " where at < now() - interval '1 day'"), 4);
	waiting_conv(f, "parcels", "other");
	assert_int_equal(pgt_long(f->root, "select count(*) from balie.waiting_changes"
				  " where at < now() - interval '1 day'"), 0);
	/* The count itself comes from the conversations, not from the history. */
	assert_value(f->sue, "1|1", LATEST, "billing");
	assert_value(f->sue, "0|0", LATEST, "health");
}

/* Escalates conversations of one queue from several connections at once;
 * the last sample must still equal the true count. */
struct escalator {
	const char *db;
	const int64_t *convs;
	int n;
	int errors;
};

static void *escalator_main(void *arg)
{
	struct escalator *e = arg;
	char *ci = pgt_conninfo(e->db, "botty");
	PGconn *c = PQconnectdb(ci);
	char id[24];

	free(ci);
	for (int i = 0; i < e->n; i++) {
		const char *p[1] = { id };
		PGresult *r;

		snprintf(id, sizeof id, "%lld", (long long)e->convs[i]);
		r = PQexecParams(c, "select balie.escalate($1, 'other')", 1, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			e->errors++;
		PQclear(r);
	}
	PQfinish(c);
	return NULL;
}

#define ESCALATORS 8
#define PER_ESCALATOR 25

static void concurrent_changes_keep_the_history_exact(void **state)
{
	struct fx *f = *state;
	int64_t convs[ESCALATORS * PER_ESCALATOR];
	struct escalator e[ESCALATORS];
	pthread_t t[ESCALATORS];

	for (int i = 0; i < ESCALATORS * PER_ESCALATOR; i++)
		convs[i] = strtoll(open_conv(f, "billing").s, NULL, 10);
	for (int i = 0; i < ESCALATORS; i++) {
		e[i] = (struct escalator){ f->db, convs + i * PER_ESCALATOR, PER_ESCALATOR, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, escalator_main, &e[i]), 0);
	}
	for (int i = 0; i < ESCALATORS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(e[i].errors, 0);
	}
	assert_value(f->sue, "200|200", LATEST, "billing");
	assert_value(f->root, "200|200", "select concat_ws('|', (select sum(delta) from balie.waiting_changes"
		     " where queue = 'billing'), (select count(*) from balie.conversations where state = 'waiting'))");
}

/* Moves conversations between two queues in opposite directions at once:
 * the history locks no queue at all, so this never deadlocks. */
struct mover {
	const char *db;
	const int64_t *convs;
	int n;
	const char *to;
	int errors;
};

static void *mover_main(void *arg)
{
	struct mover *m = arg;
	char *ci = pgt_conninfo(m->db, "sue");
	PGconn *c = PQconnectdb(ci);
	char id[24];

	free(ci);
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < m->n; i++) {
			const char *p[2] = { id, m->to };
			PGresult *r;

			snprintf(id, sizeof id, "%lld", (long long)m->convs[i]);
			r = PQexecParams(c, "select balie.transfer($1, $2)", 2, NULL, p, NULL, NULL, 0);
			if (PQresultStatus(r) != PGRES_TUPLES_OK) {
				fprintf(stderr, "transfer: %s", PQerrorMessage(c));
				m->errors++;
			}
			PQclear(r);
		}
	}
	PQfinish(c);
	return NULL;
}

static void opposite_transfers_never_deadlock(void **state)
{
	struct fx *f = *state;
	int64_t to_health[10], to_billing[10];
	struct mover m[2] = {
		{ f->db, to_health, 10, "health", 0 },
		{ f->db, to_billing, 10, "billing", 0 },
	};
	pthread_t t[2];

	for (int i = 0; i < 10; i++) {
		to_health[i] = strtoll(waiting_conv(f, "billing", "other").s, NULL, 10);
		to_billing[i] = strtoll(waiting_conv(f, "health", "other").s, NULL, 10);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, mover_main, &m[i]), 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(m[i].errors, 0);
	}
	assert_value(f->root, "10|10", "select concat_ws('|',"
		     " (select sum(delta) from balie.waiting_changes where queue = 'billing'),"
		     " (select sum(delta) from balie.waiting_changes where queue = 'health'))");
	assert_value(f->sue, "10", "select waiting from balie.supervisor_queues() where queue = 'billing'");
}

/* ---------------------------------------------------------------- presence */

static void the_presence_rule_with_controlled_timestamps(void **state)
{
	struct fx *f = *state;
	const char *rule = "select balie._presence($1::timestamptz, $2::boolean, '2025-06-01 12:00:00+00')";

	assert_value(f->root, "offline", rule, PGT_NULL, "false");
	assert_value(f->root, "offline", rule, PGT_NULL, "true");
	assert_value(f->root, "online", rule, "2025-06-01 12:00:00+00", "false");
	assert_value(f->root, "online", rule, "2025-06-01 11:59:30.001+00", "false");
	/* Exactly 30 seconds without a heartbeat is offline. */
	assert_value(f->root, "offline", rule, "2025-06-01 11:59:30+00", "false");
	assert_value(f->root, "away", rule, "2025-06-01 11:59:45+00", "true");
	assert_value(f->root, "offline", rule, "2025-06-01 11:59:29+00", "true");
	/* A clock slightly ahead of the server is still online. */
	assert_value(f->root, "online", rule, "2025-06-01 12:00:02+00", "false");
}

/* Waits for one notification on the connection; returns its payload or NULL. */
static char *next_notify(PGconn *c, int timeout_ms)
{
	PGnotify *n;
	char *payload;
	struct pollfd p = { PQsocket(c), POLLIN, 0 };

	PQconsumeInput(c);
	while (!(n = PQnotifies(c))) {
		if (poll(&p, 1, timeout_ms) <= 0)
			return NULL;
		PQconsumeInput(c);
	}
	payload = strdup(n->extra);
	PQfreemem(n);
	return payload;
}

static void heartbeats_move_agents_between_online_away_and_offline(void **state)
{
	struct fx *f = *state;
	const char *ann = "select concat_ws('|', presence, presence_since is not null)"
			  " from balie.supervisor_agents() where login = 'ann'";
	PGconn *listener = pgt_connect(f->db, "sue");
	char *p;

	OK(listener, "listen balie_presence");
	assert_value(f->sue, "offline|f", ann);

	OK(f->ann, "select balie.heartbeat()");
	assert_value(f->sue, "online|t", ann);
	p = next_notify(listener, 5000);
	assert_non_null(p);
	assert_string_equal(p, "");	/* news, but no login: listeners re-read */
	free(p);
	/* The same state again is no news. */
	OK(f->ann, "select balie.heartbeat(false)");
	OK(f->ann, "select balie.heartbeat(null)");
	assert_null(next_notify(listener, 200));

	OK(f->root, "update balie.agents set presence_since = now() - interval '1 hour' where login = 'ann'");
	OK(f->ann, "select balie.heartbeat(true)");
	assert_value(f->sue, "away|t", "select concat_ws('|', presence,"
		     " presence_since > now() - interval '1 minute')"
		     " from balie.supervisor_agents() where login = 'ann'");
	p = next_notify(listener, 5000);
	assert_non_null(p);
	assert_string_equal(p, "");
	free(p);

	/* No heartbeat for 31 s: offline since 30 s after the last one. */
	OK(f->root, "update balie.agents set last_seen = now() - interval '31 seconds' where login = 'ann'");
	assert_value(f->sue, "offline|t", "select concat_ws('|', presence,"
		     " presence_since = last_seen + interval '30 seconds')"
		     " from balie.supervisor_agents() where login = 'ann'");
	/* Back at the keyboard: online again, and said so. */
	OK(f->ann, "select balie.heartbeat()");
	assert_value(f->sue, "online|t", "select concat_ws('|', presence,"
		     " presence_since > now() - interval '1 minute')"
		     " from balie.supervisor_agents() where login = 'ann'");
	p = next_notify(listener, 5000);
	assert_non_null(p);
	assert_string_equal(p, "");	/* news, but no login: listeners re-read */
	free(p);
	PQfinish(listener);
}

static void agents_online_are_counted_per_queue(void **state)
{
	struct fx *f = *state;
	const char *sql = "select string_agg(queue || '=' || agents_online || '/' || agents_away, ','"
			  " order by queue) from balie.supervisor_queues()";

	assert_value(f->sue, "billing=0/0,health=0/0,parcels=0/0", sql);
	OK(f->ann, "select balie.heartbeat()");		/* billing, health */
	OK(f->bob, "select balie.heartbeat(true)");	/* billing */
	OK(f->cid, "select balie.heartbeat()");		/* parcels, but gone quiet */
	OK(f->root, "update balie.agents set last_seen = now() - interval '40 seconds' where login = 'cid'");
	OK(f->sue, "select balie.heartbeat()");		/* all three */
	assert_value(f->sue, "billing=2/1,health=2/0,parcels=1/0", sql);
}

static void agents_show_their_open_conversations(void **state)
{
	struct fx *f = *state;
	conv_id a1 = waiting_conv(f, "billing", "other");
	conv_id a2 = waiting_conv(f, "health", "other");
	conv_id b1 = waiting_conv(f, "billing", "other");
	conv_id closed = waiting_conv(f, "billing", "other");
	char want[128];

	OK(f->ann, "select balie.takeover($1)", a1.s);
	OK(f->ann, "select balie.takeover($1)", a2.s);
	OK(f->ann, "select balie.takeover($1)", closed.s);
	OK(f->ann, "select balie.close($1)", closed.s);
	OK(f->bob, "select balie.takeover($1)", b1.s);
	/* Oldest takeover first. */
	OK(f->root, "update balie.conversations set taken_at = now() - interval '1 hour' where id = $1", a2.s);
	OK(f->bob, "select balie.heartbeat()");

	snprintf(want, sizeof want, "ann|Ann Jansen|f|offline|{billing,health}|2|{%s,%s}", a2.s, a1.s);
	assert_value(f->sue, want, "select concat_ws('|', login, display_name, is_supervisor, presence,"
		     " queues, open_conversations, conversations) from balie.supervisor_agents()"
		     " where login = 'ann'");
	snprintf(want, sizeof want, "bob|online|1|{%s}", b1.s);
	assert_value(f->sue, want, "select concat_ws('|', login, presence, open_conversations, conversations)"
		     " from balie.supervisor_agents() where login = 'bob'");
	assert_value(f->sue, "sue|t|0|{}", "select concat_ws('|', login, is_supervisor, open_conversations,"
		     " conversations) from balie.supervisor_agents() where login = 'sue'");
	/* Only registered agents, by display name. */
	assert_value(f->sue, "Ann Jansen,Bob de Vries,Cid Bakker", "select string_agg(display_name, ',')"
		     " from (select display_name from balie.supervisor_agents() limit 3) s");
	/* An offline agent's conversation: the supervisor can take it. */
	OK(f->sue, "select balie.assign($1, 'sue')", a1.s);
	assert_value(f->sue, "1", "select open_conversations from balie.supervisor_agents() where login = 'sue'");
}

/* -------------------------------------------------------------- 50,000 open */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void the_refresh_is_fast_with_50000_open_conversations(void **state)
{
	struct fx *f = *state;
	double best = 1e9;

	/* Bulk data as the superuser, without the per-row triggers. */
	OK(f->root, "set session_replication_role = replica");
	OK(f->root, "insert into balie.conversations (queue, state, agent, customer_ref, escalated_at,"
	   " escalation_reason, taken_at)"
	   " select (array['billing', 'health', 'parcels'])[1 + i % 3], s.s,"
	   "  case when s.s = 'human' then (array['ann', 'bob', 'sue'])[1 + i % 3] end, 'bulk-' || i,"
	   "  case when s.s <> 'bot' then now() - (i % 3600) * interval '1 second' end,"
	   "  case when s.s <> 'bot' then 'other' end,"
	   "  case when s.s = 'human' then now() end"
	   " from generate_series(1, 50000) i,"
	   " lateral (select case when i % 20 < 8 then 'bot' when i % 20 < 15 then 'waiting'"
	   "  else 'human' end as s) s");
	OK(f->root, "insert into balie.conversations (queue, state, customer_ref, closed_at, taken_at)"
	   " select (array['billing', 'health', 'parcels'])[1 + i % 3], 'closed', 'done-' || i,"
	   "  now() - (i % 600) * interval '1 second', case when i % 2 = 0 then now() end"
	   " from generate_series(1, 20000) i");
	OK(f->root, "insert into balie.escalations (conversation, queue, reason, at)"
	   " select id, queue, escalation_reason, escalated_at from balie.conversations"
	   " where escalated_at is not null");
	OK(f->root, "reset session_replication_role");
	OK(f->root, "vacuum analyze balie.conversations");
	OK(f->root, "vacuum analyze balie.escalations");

	assert_value(f->sue, "50000", "select sum(with_bot + waiting + with_person) from balie.supervisor_queues()");
	for (int i = 0; i < 5; i++) {
		double t0 = now_ms();

		PQclear(pgt_ok(f->sue, "select * from balie.supervisor_queues()"));
		PQclear(pgt_ok(f->sue, "select * from balie.supervisor_agents()"));
		if (now_ms() - t0 < best)
			best = now_ms() - t0;
	}
	fprintf(stderr, "supervisor refresh with 50000 open conversations: %.1f ms\n", best);
	/* Generous for a slow machine; typically well under 50 ms. */
	assert_true(best < 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(only_supervisors_read_the_figures),
		T(counts_follow_every_state),
		T(breaches_and_longest_wait_follow_the_queue_sla),
		T(containment_counts_today_closed_without_a_person),
		T(escalations_today_are_counted_by_reason),
		T(the_waiting_history_follows_state_changes),
		T(the_sparkline_carries_minutes_forward),
		T(old_history_is_pruned_a_few_rows_at_a_time),
		T(concurrent_changes_keep_the_history_exact),
		T(opposite_transfers_never_deadlock),
		T(the_presence_rule_with_controlled_timestamps),
		T(heartbeats_move_agents_between_online_away_and_offline),
		T(agents_online_are_counted_per_queue),
		T(agents_show_their_open_conversations),
		T(the_refresh_is_fast_with_50000_open_conversations),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
