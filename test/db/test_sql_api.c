/* The SQL API against a real server: every function's effect, and every
 * refusal with its documented SQLSTATE and a readable message. */
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
#define FAILS(c, state, ...) free(pgt_fails(c, state, __VA_ARGS__))
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
#define assert_null_value(c, ...) do { \
		char *v_ = pgt_scalar(c, __VA_ARGS__); \
		assert_null(v_); \
	} while (0)

#define LIMIT 1048576

/* One fresh database and a connection per fixture role for each test. */
struct fx {
	struct pgt_roles r;
};

typedef struct {
	char s[24];
} conv_id;

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	pgt_roles_open(&f->r);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	pgt_roles_close(&f->r);
	free(f);
	return 0;
}

static conv_id open_conv(struct fx *f, const char *queue)
{
	conv_id id;

	pgt_open_conv(f->r.bot, queue, id.s);
	return id;
}

static conv_id waiting_conv(struct fx *f, const char *queue)
{
	conv_id id = open_conv(f, queue);

	OK(f->r.bot, "select balie.escalate($1, 'customer_request', 'refund', 0.8, 'Wants a refund')",
	   id.s);
	return id;
}

/* A waiting billing conversation that AGENT has just taken over. */
static conv_id owned_conv(struct fx *f, PGconn *agent)
{
	conv_id id = waiting_conv(f, "billing");

	assert_value(agent, "t", "select balie.takeover($1)", id.s);
	return id;
}

static long version_of(struct fx *f, conv_id id)
{
	return pgt_long(f->r.root, "select version from balie.conversations where id = $1", id.s);
}

static char *repeat(const char *unit, size_t times)
{
	size_t n = strlen(unit);
	char *s = malloc(n * times + 1);

	assert_non_null(s);
	for (size_t i = 0; i < times; i++)
		memcpy(s + i * n, unit, n);
	s[n * times] = '\0';
	return s;
}

/* ------------------------------------------------------- open_conversation */

static void open_starts_with_the_bot(void **state)
{
	struct fx *f = *state;
	conv_id id = open_conv(f, "billing");

	assert_value(f->r.root, "bot|billing|cust-1|Carla Customer|chat|2|1|t|t",
		"select concat_ws('|', state, queue, customer_ref, customer_name, channel, version,"
		" message_count, escalated_at is null, agent is null)"
		" from balie.conversations where id = $1", id.s);
	assert_value(f->r.root, "|bot|botty",
		"select concat(from_state, '|', to_state, '|', actor) from balie.state_changes"
		" where conversation = $1", id.s);
	id.s[0] = '\0';
	snprintf(id.s, sizeof id.s, "%ld", pgt_long(f->r.bot,
		"select balie.open_conversation('health', null, null, 'voice')"));
	assert_value(f->r.root, "voice|health", "select channel || '|' || queue from balie.conversations"
		     " where id = $1", id.s);
}

static void open_refusals(void **state)
{
	struct fx *f = *state;
	char *big = repeat("x", LIMIT + 1);

	FAILS_SAYING(f->r.bot, "BL002", "queue nowhere not found",
		     "select balie.open_conversation('nowhere', 'c', 'C')");
	FAILS(f->r.bot, "BL002", "select balie.open_conversation(null, 'c', 'C')");
	FAILS(f->r.bot, "BL031", "select balie.open_conversation('billing', 'c', $1)", big);
	FAILS(f->r.ann, "42501", "select balie.open_conversation('billing', 'c', 'C')");
	FAILS(f->r.sue, "42501", "select balie.open_conversation('billing', 'c', 'C')");
	FAILS(f->r.mallory, "42501", "select balie.open_conversation('billing', 'c', 'C')");
	assert_int_equal(pgt_long(f->r.root, "select count(*) from balie.conversations"), 0);
	free(big);
}

/* ------------------------------------------------------------ post_message */

static void post_message_appends(void **state)
{
	struct fx *f = *state;
	conv_id id = open_conv(f, "billing");
	const char *src = "[{\"title\": \"Refunds\", \"url\": \"https://kb.example/refunds\"}]";

	assert_int_equal(pgt_long(f->r.bot, "select balie.post_message($1, 'customer', 'I want my money')",
				  id.s) > 0, 1);
	OK(f->r.bot, "select balie.post_message($1, 'bot', 'See the refund policy', $2::jsonb)", id.s, src);
	assert_value(f->r.root, "2|customer|cust-1|I want my money||3|bot|botty|See the refund policy|"
		     "[{\"url\": \"https://kb.example/refunds\", \"title\": \"Refunds\"}]",
		     "select string_agg(concat_ws('|', seq, author_kind, author, body, coalesce(sources::text, ''))"
		     ", '|' order by seq) from balie.messages where conversation = $1 and seq > 1", id.s);
	assert_value(f->r.root, "3|4", "select message_count || '|' || version from balie.conversations"
		     " where id = $1", id.s);
	/* A customer keeps talking while waiting and after a person took over. */
	OK(f->r.bot, "select balie.escalate($1, 'not_understood')", id.s);
	OK(f->r.bot, "select balie.post_message($1, 'customer', 'Hello?')", id.s);
	OK(f->r.bot, "select balie.post_message($1, 'bot', 'A person will be with you shortly.')", id.s);
	assert_value(f->r.ann, "t", "select balie.takeover($1)", id.s);
	OK(f->r.bot, "select balie.post_message($1, 'customer', 'Finally')", id.s);
	assert_int_equal(pgt_long(f->r.root, "select count(*) from balie.messages where conversation = $1"
				  " and author_kind = 'customer'", id.s), 3);
}

static void post_message_bad_input(void **state)
{
	struct fx *f = *state;
	conv_id id = open_conv(f, "billing");
	char *big = repeat("x", LIMIT + 1);
	char *exact = repeat("x", LIMIT);
	char *wide = repeat("\xc3\xa9", LIMIT / 2 + 1);	/* fewer characters than bytes */
	char *msg;

	FAILS_SAYING(f->r.bot, "BL030", "unknown author kind robot: use customer or bot",
		     "select balie.post_message($1, 'robot', 'x')", id.s);
	FAILS(f->r.bot, "BL030", "select balie.post_message($1, null, 'x')", id.s);
	FAILS(f->r.bot, "42501", "select balie.post_message($1, 'agent', 'x')", id.s);
	FAILS(f->r.bot, "42501", "select balie.post_message($1, 'system', 'x')", id.s);
	FAILS(f->r.bot, "42501", "select balie.post_message($1, 'note', 'x')", id.s);
	FAILS_SAYING(f->r.bot, "BL030", "message is empty",
		     "select balie.post_message($1, 'customer', null)", id.s);
	FAILS(f->r.bot, "BL030", "select balie.post_message($1, 'customer', '')", id.s);
	FAILS(f->r.bot, "BL030", "select balie.post_message($1, 'customer', $2)", id.s, " \t\r\n ");
	msg = pgt_fails(f->r.bot, "BL031", "select balie.post_message($1, 'customer', $2)", id.s, big);
	assert_string_equal(msg, "message is too long: 1048577 bytes, the limit is 1048576");
	free(msg);
	FAILS(f->r.bot, "BL031", "select balie.post_message($1, 'customer', $2)", id.s, wide);
	OK(f->r.bot, "select balie.post_message($1, 'customer', $2)", id.s, exact);

	FAILS(f->r.bot, "BL030", "select balie.post_message($1, 'bot', 'x', '{\"title\": \"a\"}')", id.s);
	FAILS(f->r.bot, "BL030", "select balie.post_message($1, 'bot', 'x', '[1, 2]')", id.s);
	FAILS(f->r.bot, "BL030", "select balie.post_message($1, 'bot', 'x', '[{\"title\": \"a\"}]')", id.s);
	FAILS(f->r.bot, "BL030", "select balie.post_message($1, 'bot', 'x', "
	      "'[{\"title\": 1, \"url\": \"u\"}]')", id.s);
	FAILS_SAYING(f->r.bot, "BL030", "only bot messages cite sources",
		     "select balie.post_message($1, 'customer', 'x', '[{\"title\": \"a\", \"url\": \"u\"}]')",
		     id.s);

	FAILS_SAYING(f->r.bot, "BL001", "conversation 999999 not found",
		     "select balie.post_message(999999, 'customer', 'x')");
	FAILS(f->r.bot, "BL030", "select balie.post_message(null, 'customer', 'x')");
	FAILS(f->r.ann, "42501", "select balie.post_message($1, 'customer', 'x')", id.s);
	FAILS(f->r.sue, "42501", "select balie.post_message($1, 'customer', 'x')", id.s);
	assert_int_equal(pgt_long(f->r.root, "select message_count from balie.conversations where id = $1",
				  id.s), 2);	/* the disclosure and one message */
	free(big);
	free(exact);
	free(wide);
}

static void bot_is_silenced_by_takeover(void **state)
{
	struct fx *f = *state;
	conv_id id = owned_conv(f, f->r.ann);
	long v = version_of(f, id);

	FAILS_SAYING(f->r.bot, "BL012", "conversation 1 is with Ann Jansen: the bot may not speak",
		     "select balie.post_message($1, 'bot', 'Can I help?')", id.s);
	assert_int_equal(version_of(f, id), v);
	OK(f->r.bot, "select balie.post_message($1, 'customer', 'Hi Ann')", id.s);
	OK(f->r.ann, "select balie.close($1)", id.s);
	FAILS(f->r.bot, "BL012", "select balie.post_message($1, 'bot', 'Bye')", id.s);
	FAILS_SAYING(f->r.bot, "BL010", "conversation 1 is closed",
		     "select balie.post_message($1, 'customer', 'Still there?')", id.s);
}

static void post_message_is_idempotent(void **state)
{
	struct fx *f = *state;
	conv_id id = open_conv(f, "billing");
	conv_id other = open_conv(f, "billing");
	const char *uuid = "9b2f6c1e-3c1d-4d7a-9f59-0d1b8a0e5c11";
	long first, again, v;

	first = pgt_long(f->r.bot, "select balie.post_message($1, 'customer', 'Hi', null, $2)", id.s, uuid);
	v = version_of(f, id);
	again = pgt_long(f->r.bot, "select balie.post_message($1, 'customer', 'Hi', null, $2)", id.s, uuid);
	assert_int_equal(first, again);
	assert_int_equal(version_of(f, id), v);
	assert_int_equal(pgt_long(f->r.root, "select count(*) from balie.messages where conversation = $1"
				  " and author_kind <> 'system'", id.s), 1);
	FAILS_SAYING(f->r.bot, "BL030",
		     "client_msg_id 9b2f6c1e-3c1d-4d7a-9f59-0d1b8a0e5c11 is already used by another conversation",
		     "select balie.post_message($1, 'customer', 'Hi', null, $2)", other.s, uuid);

	/* A bot message sent around a takeover: the retry finds it, no error. */
	uuid = "5d8a4c2b-0f7e-4b39-8a61-2c9e7f3d1a22";
	first = pgt_long(f->r.bot, "select balie.post_message($1, 'bot', 'Hello', null, $2)", id.s, uuid);
	OK(f->r.bot, "select balie.escalate($1, 'other')", id.s);
	assert_value(f->r.ann, "t", "select balie.takeover($1)", id.s);
	again = pgt_long(f->r.bot, "select balie.post_message($1, 'bot', 'Hello', null, $2)", id.s, uuid);
	assert_int_equal(first, again);
}

/* ---------------------------------------------------------------- escalate */

static void escalate_sets_waiting(void **state)
{
	struct fx *f = *state;
	conv_id id = open_conv(f, "billing");
	char *at;

	OK(f->r.bot, "select balie.escalate($1, 'sensitive_topic', 'mortgage', 0.42, 'Asks about arrears')",
	   id.s);
	assert_value(f->r.root, "waiting|sensitive_topic|mortgage|0.42|Asks about arrears|t",
		     "select concat_ws('|', state, escalation_reason, intent, confidence, bot_summary,"
		     " escalated_at is not null) from balie.conversations where id = $1", id.s);
	at = pgt_scalar(f->r.root, "select escalated_at::text from balie.conversations where id = $1", id.s);
	/* Escalating again refines the context but keeps the wait clock. */
	OK(f->r.bot, "select balie.escalate($1, 'customer_request', null, null, 'Now wants a person')", id.s);
	assert_value(f->r.root, "waiting|customer_request|mortgage|0.42|Now wants a person",
		     "select concat_ws('|', state, escalation_reason, intent, confidence, bot_summary)"
		     " from balie.conversations where id = $1", id.s);
	assert_value(f->r.root, at, "select escalated_at::text from balie.conversations where id = $1", id.s);
	free(at);
	assert_value(f->r.root, "bot>waiting", "select string_agg(from_state || '>' || to_state, ',')"
		     " from balie.state_changes where conversation = $1 and from_state is not null", id.s);
}

static void escalate_refusals(void **state)
{
	struct fx *f = *state;
	conv_id id = open_conv(f, "billing");
	conv_id mine;
	char *big = repeat("s", LIMIT + 1);

	FAILS(f->r.bot, "BL030", "select balie.escalate($1, 'bored')", id.s);
	FAILS(f->r.bot, "BL030", "select balie.escalate($1, 'bot_paused')", id.s);
	FAILS(f->r.bot, "BL030", "select balie.escalate($1, null)", id.s);
	FAILS_SAYING(f->r.bot, "BL030", "confidence must be between 0 and 1, not 1.5",
		     "select balie.escalate($1, 'other', null, 1.5)", id.s);
	FAILS(f->r.bot, "BL030", "select balie.escalate($1, 'other', null, -0.1)", id.s);
	FAILS(f->r.bot, "BL030", "select balie.escalate($1, 'other', null, 'NaN')", id.s);
	FAILS(f->r.bot, "BL031", "select balie.escalate($1, 'other', null, null, $2)", id.s, big);
	FAILS(f->r.bot, "BL001", "select balie.escalate(424242, 'other')");
	FAILS(f->r.ann, "42501", "select balie.escalate($1, 'other')", id.s);
	assert_value(f->r.root, "bot", "select state from balie.conversations where id = $1", id.s);

	mine = owned_conv(f, f->r.ann);
	FAILS_SAYING(f->r.bot, "BL010", "conversation 2 is already with Ann Jansen",
		     "select balie.escalate($1, 'other')", mine.s);
	OK(f->r.ann, "select balie.close($1)", mine.s);
	FAILS(f->r.bot, "BL010", "select balie.escalate($1, 'other')", mine.s);
	free(big);
}

/* ---------------------------------------------------------------- takeover */

static void takeover_gives_ownership(void **state)
{
	struct fx *f = *state;
	conv_id id = waiting_conv(f, "billing");
	conv_id fresh = open_conv(f, "health");

	assert_value(f->r.ann, "t", "select balie.takeover($1)", id.s);
	assert_value(f->r.root, "human|ann|t", "select concat_ws('|', state, agent, taken_at is not null)"
		     " from balie.conversations where id = $1", id.s);
	assert_value(f->r.root, "system|Ann Jansen has joined the conversation.",
		     "select author_kind || '|' || body from balie.messages where conversation = $1"
		     " order by seq desc limit 1", id.s);
	/* Someone else: false, not an error; the owner again: true, nothing new. */
	assert_value(f->r.bob, "f", "select balie.takeover($1)", id.s);
	assert_value(f->r.sue, "f", "select balie.takeover($1)", id.s);
	assert_value(f->r.ann, "t", "select balie.takeover($1)", id.s);
	assert_int_equal(pgt_long(f->r.root, "select count(*) from balie.messages where conversation = $1"
				  " and author_kind = 'system' and template_key = 'joined'", id.s), 1);
	/* Straight from the bot, and by a supervisor. */
	assert_value(f->r.sue, "t", "select balie.takeover($1)", fresh.s);
	assert_value(f->r.root, "Sue Visser has joined the conversation.",
		     "select body from balie.messages where conversation = $1 and seq > 1", fresh.s);
}

static void takeover_refusals(void **state)
{
	struct fx *f = *state;
	conv_id parcel = waiting_conv(f, "parcels");
	conv_id closed = waiting_conv(f, "billing");
	char *sql = NULL;
	PGconn *unreg;

	/* Another queue's conversation does not exist as far as ann knows. */
	FAILS_SAYING(f->r.ann, "BL001", "conversation 1 not found", "select balie.takeover($1)", parcel.s);
	FAILS(f->r.ann, "BL001", "select balie.takeover(777)");
	FAILS(f->r.bot, "42501", "select balie.takeover($1)", parcel.s);
	FAILS(f->r.mallory, "42501", "select balie.takeover($1)", parcel.s);
	OK(f->r.sue, "select balie.close($1)", closed.s);
	FAILS_SAYING(f->r.bob, "BL010", "conversation 2 is closed", "select balie.takeover($1)", closed.s);
	assert_value(f->r.root, "waiting", "select state from balie.conversations where id = $1", parcel.s);

	/* A member of balie_agent who was never registered has no name to show. */
	assert_true(asprintf(&sql, "create role unreg_%ld login in role balie_agent", (long)getpid()) > 0);
	OK(f->r.root, sql);
	free(sql);
	assert_true(asprintf(&sql, "unreg_%ld", (long)getpid()) > 0);
	unreg = pgt_connect(f->r.db, sql);
	FAILS(unreg, "BL003", "select balie.takeover($1)", parcel.s);
	FAILS(unreg, "BL003", "select balie.heartbeat()");
	PQfinish(unreg);
	free(sql);
	assert_true(asprintf(&sql, "drop role unreg_%ld", (long)getpid()) > 0);
	OK(f->r.root, sql);
	free(sql);
}

/* ------------------------------------------------------------------- reply */

static void reply_by_owner(void **state)
{
	struct fx *f = *state;
	conv_id id = owned_conv(f, f->r.ann);
	long v = version_of(f, id);

	assert_true(pgt_long(f->r.ann, "select balie.reply($1, 'Hello, this is Ann.')", id.s) > 0);
	assert_value(f->r.root, "agent|ann|Hello, this is Ann.",
		     "select concat_ws('|', author_kind, author, body) from balie.messages"
		     " where conversation = $1 order by seq desc limit 1", id.s);
	assert_true(version_of(f, id) > v);
}

static void reply_refusals(void **state)
{
	struct fx *f = *state;
	conv_id id = owned_conv(f, f->r.ann);
	conv_id unowned = waiting_conv(f, "billing");
	conv_id parcel = waiting_conv(f, "parcels");
	char *big = repeat("x", LIMIT + 1);

	FAILS_SAYING(f->r.bob, "BL011", "conversation 1 is owned by Ann Jansen",
		     "select balie.reply($1, 'Me too')", id.s);
	FAILS(f->r.sue, "BL011", "select balie.reply($1, 'Supervisor here')", id.s);
	FAILS_SAYING(f->r.ann, "BL011", "conversation 2 is not taken over: take it over first",
		     "select balie.reply($1, 'Hi')", unowned.s);
	FAILS(f->r.ann, "BL001", "select balie.reply($1, 'Hi')", parcel.s);
	FAILS(f->r.ann, "BL001", "select balie.reply(31337, 'Hi')");
	FAILS_SAYING(f->r.ann, "BL030", "reply is empty", "select balie.reply($1, '  ')", id.s);
	FAILS(f->r.ann, "BL030", "select balie.reply($1, null)", id.s);
	FAILS(f->r.ann, "BL031", "select balie.reply($1, $2)", id.s, big);
	FAILS(f->r.bot, "42501", "select balie.reply($1, 'Hi')", id.s);
	FAILS(f->r.mallory, "42501", "select balie.reply($1, 'Hi')", id.s);
	OK(f->r.ann, "select balie.close($1)", id.s);
	FAILS(f->r.ann, "BL010", "select balie.reply($1, 'Hi')", id.s);
	assert_int_equal(pgt_long(f->r.root, "select count(*) from balie.messages where author_kind = 'agent'"),
			 0);
	free(big);
}

static void reply_is_idempotent(void **state)
{
	struct fx *f = *state;
	conv_id id = owned_conv(f, f->r.ann);
	conv_id other = owned_conv(f, f->r.ann);
	const char *uuid = "0c7d3e1f-8a2b-4c5d-9e6f-7a8b9c0d1e2f";
	long first, again, v;

	first = pgt_long(f->r.ann, "select balie.reply($1, 'Your refund is on its way.', $2)", id.s, uuid);
	v = version_of(f, id);
	again = pgt_long(f->r.ann, "select balie.reply($1, 'Your refund is on its way.', $2)", id.s, uuid);
	assert_int_equal(first, again);
	assert_int_equal(version_of(f, id), v);
	assert_int_equal(pgt_long(f->r.root, "select count(*) from balie.messages where conversation = $1"
				  " and author_kind = 'agent'", id.s), 1);
	FAILS(f->r.ann, "BL030", "select balie.reply($1, 'x', $2)", other.s, uuid);
	/* A reply whose answer was lost is still found after the conversation closed. */
	OK(f->r.ann, "select balie.close($1)", id.s);
	again = pgt_long(f->r.ann, "select balie.reply($1, 'Your refund is on its way.', $2)", id.s, uuid);
	assert_int_equal(first, again);
}

/* -------------------------------------------------------------------- note */

static void note_by_any_agent_who_sees_it(void **state)
{
	struct fx *f = *state;
	conv_id id = owned_conv(f, f->r.ann);
	conv_id waiting = waiting_conv(f, "billing");

	OK(f->r.bob, "select balie.note($1, 'Customer called yesterday too')", id.s);
	OK(f->r.ann, "select balie.note($1, 'Checked the ledger')", waiting.s);
	OK(f->r.sue, "select balie.note($1, 'Watch this one')", id.s);
	assert_value(f->r.root, "note|bob|Customer called yesterday too,note|sue|Watch this one",
		     "select string_agg(concat_ws('|', author_kind, author, body), ',' order by seq)"
		     " from balie.messages where conversation = $1 and author_kind = 'note'", id.s);
	FAILS(f->r.cid, "BL001", "select balie.note($1, 'Not my queue')", id.s);
	FAILS(f->r.bot, "42501", "select balie.note($1, 'Bot note')", id.s);
	FAILS(f->r.bob, "BL030", "select balie.note($1, '')", id.s);
	OK(f->r.ann, "select balie.close($1)", id.s);
	/* Notes after closing record follow-up work. */
	OK(f->r.ann, "select balie.note($1, 'Refund arrived')", id.s);
}

/* ------------------------------------------------------- confirm_agreement */

static void confirm_agreement_stores_and_sends(void **state)
{
	struct fx *f = *state;
	conv_id id = owned_conv(f, f->r.ann);
	char agreement[24];

	snprintf(agreement, sizeof agreement, "%ld", pgt_long(f->r.ann,
		"select balie.confirm_agreement($1, 'We refund 12.50 EUR by Friday.')", id.s));
	assert_value(f->r.root, "ann|We refund 12.50 EUR by Friday.|agent|ann|"
		     "Written confirmation: We refund 12.50 EUR by Friday.",
		     "select concat_ws('|', a.agent, a.body, m.author_kind, m.author, m.body)"
		     " from balie.agreements a join balie.messages m on m.id = a.message"
		     " where a.id = $1 and a.conversation = $2", agreement, id.s);
	/* Stored once; the bot reads the confirmation, never the table. */
	assert_int_equal(pgt_long(f->r.root, "select count(*) from balie.agreements"), 1);
	assert_int_equal(pgt_long(f->r.bot, "select count(*) from balie.read_messages($1, 0, 0, 100)"
				  " where body like 'Written confirmation: %'", id.s), 1);
}

static void confirm_agreement_refusals(void **state)
{
	struct fx *f = *state;
	conv_id id = owned_conv(f, f->r.ann);
	char *big = repeat("x", LIMIT + 1);

	FAILS(f->r.bob, "BL011", "select balie.confirm_agreement($1, 'x')", id.s);
	FAILS(f->r.ann, "BL030", "select balie.confirm_agreement($1, ' ')", id.s);
	FAILS(f->r.ann, "BL031", "select balie.confirm_agreement($1, $2)", id.s, big);
	FAILS(f->r.bot, "42501", "select balie.confirm_agreement($1, 'x')", id.s);
	FAILS(f->r.cid, "BL001", "select balie.confirm_agreement($1, 'x')", id.s);
	OK(f->r.ann, "select balie.close($1)", id.s);
	FAILS(f->r.ann, "BL010", "select balie.confirm_agreement($1, 'x')", id.s);
	assert_int_equal(pgt_long(f->r.root, "select count(*) from balie.agreements"), 0);
	free(big);
}

/* ---------------------------------------------------------------- handback */

static void handback_returns_to_the_bot(void **state)
{
	struct fx *f = *state;
	conv_id id = owned_conv(f, f->r.ann);

	OK(f->r.ann, "select balie.handback($1, 'Only needs the tracking link now')", id.s);
	assert_value(f->r.root, "bot|t", "select concat_ws('|', state, agent is null)"
		     " from balie.conversations where id = $1", id.s);
	assert_value(f->r.root, "note|Only needs the tracking link now,"
		     "system|The assistant is back: you are talking to an automated assistant again.",
		     "select string_agg(author_kind || '|' || body, ',' order by seq) from balie.messages"
		     " where conversation = $1 and seq > 2", id.s);
	assert_value(f->r.root, "human>bot|ann|Only needs the tracking link now",
		     "select concat(from_state, '>', to_state, '|', actor, '|', note) from balie.state_changes"
		     " where conversation = $1 order by id desc limit 1", id.s);
	/* The bot may speak again, and ann no longer owns it. */
	OK(f->r.bot, "select balie.post_message($1, 'bot', 'Here is your tracking link.')", id.s);
	FAILS(f->r.ann, "BL011", "select balie.reply($1, 'x')", id.s);
	/* Without a note: no note message, no audit note. */
	assert_value(f->r.bob, "t", "select balie.takeover($1)", id.s);
	OK(f->r.bob, "select balie.handback($1)", id.s);
	assert_int_equal(pgt_long(f->r.root, "select count(*) from balie.messages where conversation = $1"
				  " and author_kind = 'note'", id.s), 1);
	assert_null_value(f->r.root, "select note from balie.state_changes where conversation = $1"
			  " order by id desc limit 1", id.s);
}

static void handback_refusals(void **state)
{
	struct fx *f = *state;
	conv_id id = owned_conv(f, f->r.ann);
	conv_id unowned = waiting_conv(f, "billing");

	FAILS(f->r.bob, "BL011", "select balie.handback($1)", id.s);
	FAILS(f->r.sue, "BL011", "select balie.handback($1)", id.s);
	FAILS(f->r.ann, "BL011", "select balie.handback($1)", unowned.s);
	FAILS(f->r.cid, "BL001", "select balie.handback($1)", id.s);
	FAILS(f->r.bot, "42501", "select balie.handback($1)", id.s);
	OK(f->r.ann, "select balie.close($1)", id.s);
	FAILS(f->r.ann, "BL010", "select balie.handback($1)", id.s);
}

/* ---------------------------------------------------------------- transfer */

static void transfer_moves_to_another_queue(void **state)
{
	struct fx *f = *state;
	conv_id id = owned_conv(f, f->r.ann);
	conv_id fresh = open_conv(f, "billing");

	OK(f->r.ann, "select balie.transfer($1, 'health', 'About her insurance, not billing')", id.s);
	/* The customer keeps their place: the wait counts from the first escalation. */
	assert_value(f->r.root, "waiting|health|t|f",
		     "select concat_ws('|', state, queue, agent is null, escalated_at > taken_at)"
		     " from balie.conversations where id = $1", id.s);
	assert_value(f->r.root, "system|You are being transferred to Health insurance. "
		     "A person will be with you shortly.",
		     "select author_kind || '|' || body from balie.messages where conversation = $1"
		     " order by seq desc limit 1", id.s);
	assert_value(f->r.root, "About her insurance, not billing",
		     "select body from balie.messages where conversation = $1 and author_kind = 'note'", id.s);
	/* Bob has only billing: the conversation has left his world. */
	FAILS(f->r.bob, "BL001", "select balie.takeover($1)", id.s);
	assert_value(f->r.ann, "t", "select balie.takeover($1)", id.s);

	/* A supervisor moves anything that is open, also from the bot. */
	OK(f->r.sue, "select balie.transfer($1, 'parcels')", fresh.s);
	assert_value(f->r.root, "waiting|parcels|other",
		     "select concat_ws('|', state, queue, escalation_reason) from balie.conversations"
		     " where id = $1", fresh.s);
	OK(f->r.sue, "select balie.transfer($1, 'parcels')", id.s);
	FAILS(f->r.ann, "BL001", "select balie.reply($1, 'x')", id.s);
}

static void transfer_refusals(void **state)
{
	struct fx *f = *state;
	conv_id id = owned_conv(f, f->r.ann);
	conv_id unowned = waiting_conv(f, "billing");

	FAILS_SAYING(f->r.ann, "BL002", "queue retail not found",
		     "select balie.transfer($1, 'retail')", id.s);
	FAILS(f->r.ann, "BL002", "select balie.transfer($1, null)", id.s);
	FAILS(f->r.bob, "BL011", "select balie.transfer($1, 'health')", id.s);
	FAILS(f->r.bob, "BL011", "select balie.transfer($1, 'health')", unowned.s);
	FAILS(f->r.cid, "BL001", "select balie.transfer($1, 'parcels')", id.s);
	FAILS(f->r.ann, "BL001", "select balie.transfer(5555, 'health')");
	FAILS(f->r.bot, "42501", "select balie.transfer($1, 'health')", id.s);
	OK(f->r.ann, "select balie.close($1)", id.s);
	FAILS(f->r.sue, "BL010", "select balie.transfer($1, 'health')", id.s);
	assert_value(f->r.root, "billing", "select queue from balie.conversations where id = $1", id.s);
}

/* ------------------------------------------------------------------- close */

static void close_by_owner_supervisor_and_bot(void **state)
{
	struct fx *f = *state;
	conv_id mine = owned_conv(f, f->r.ann);
	conv_id bobs = owned_conv(f, f->r.bob);
	conv_id bots = open_conv(f, "billing");

	OK(f->r.ann, "select balie.close($1, 'Refund issued')", mine.s);
	assert_value(f->r.root, "closed|ann|Refund issued|t",
		     "select concat_ws('|', state, agent, resolution, closed_at is not null)"
		     " from balie.conversations where id = $1", mine.s);
	assert_value(f->r.root, "human>closed|ann|Refund issued",
		     "select concat(from_state, '>', to_state, '|', actor, '|', note) from balie.state_changes"
		     " where conversation = $1 order by id desc limit 1", mine.s);
	OK(f->r.sue, "select balie.close($1)", bobs.s);
	assert_value(f->r.root, "closed", "select state from balie.conversations where id = $1", bobs.s);
	OK(f->r.bot, "select balie.close($1, 'Answered by the bot')", bots.s);
	assert_value(f->r.root, "closed|t", "select concat_ws('|', state, taken_at is null)"
		     " from balie.conversations where id = $1", bots.s);
}

static void close_refusals(void **state)
{
	struct fx *f = *state;
	conv_id owned = owned_conv(f, f->r.ann);
	conv_id waiting = waiting_conv(f, "billing");

	FAILS_SAYING(f->r.bot, "BL010", "conversation 2 is waiting for a person: the bot closes only "
		     "conversations it handles alone", "select balie.close($1)", waiting.s);
	FAILS_SAYING(f->r.bot, "BL011", "conversation 1 is owned by Ann Jansen",
		     "select balie.close($1)", owned.s);
	FAILS(f->r.bob, "BL011", "select balie.close($1)", owned.s);
	FAILS_SAYING(f->r.bob, "BL011", "conversation 2 is not taken over: take it over first",
		     "select balie.close($1)", waiting.s);
	FAILS(f->r.cid, "BL001", "select balie.close($1)", waiting.s);
	FAILS(f->r.mallory, "42501", "select balie.close($1)", waiting.s);
	FAILS(f->r.ann, "BL001", "select balie.close(8080)");
	OK(f->r.ann, "select balie.close($1)", owned.s);
	FAILS_SAYING(f->r.ann, "BL010", "conversation 1 is already closed", "select balie.close($1)", owned.s);
	FAILS(f->r.sue, "BL010", "select balie.close($1)", owned.s);
	assert_value(f->r.root, "waiting", "select state from balie.conversations where id = $1", waiting.s);
}

/* ------------------------------------------------------------------ assign */

static void assign_by_supervisor(void **state)
{
	struct fx *f = *state;
	conv_id id = waiting_conv(f, "billing");
	long v;

	OK(f->r.sue, "select balie.assign($1, 'bob')", id.s);
	assert_value(f->r.root, "human|bob", "select state || '|' || agent from balie.conversations"
		     " where id = $1", id.s);
	OK(f->r.sue, "select balie.assign($1, 'ann')", id.s);
	assert_value(f->r.root, "Bob de Vries has joined the conversation.,"
		     "You are now talking to Ann Jansen.",
		     "select string_agg(body, ',' order by seq) from balie.messages"
		     " where conversation = $1 and author_kind = 'system' and seq > 1", id.s);
	FAILS(f->r.bob, "BL011", "select balie.reply($1, 'x')", id.s);
	OK(f->r.ann, "select balie.reply($1, 'Ann here')", id.s);
	/* The same person again: nothing changes and the customer hears nothing. */
	v = version_of(f, id);
	OK(f->r.sue, "select balie.assign($1, 'ann')", id.s);
	assert_int_equal(version_of(f, id), v);
	/* Outside the agent's queues, and to the supervisor herself. */
	OK(f->r.sue, "select balie.assign($1, 'cid')", id.s);
	OK(f->r.cid, "select balie.reply($1, 'Cid here')", id.s);
	OK(f->r.sue, "select balie.assign($1, 'sue')", id.s);
	assert_value(f->r.root, "sue", "select agent from balie.conversations where id = $1", id.s);
}

static void assign_refusals(void **state)
{
	struct fx *f = *state;
	conv_id id = waiting_conv(f, "billing");

	FAILS_SAYING(f->r.sue, "BL003", "nobody is not a registered agent",
		     "select balie.assign($1, 'nobody')", id.s);
	FAILS(f->r.sue, "BL003", "select balie.assign($1, 'mallory')", id.s);
	FAILS(f->r.sue, "BL003", "select balie.assign($1, 'botty')", id.s);
	FAILS(f->r.sue, "BL003", "select balie.assign($1, null)", id.s);
	FAILS(f->r.sue, "BL001", "select balie.assign(99, 'ann')");
	FAILS(f->r.ann, "42501", "select balie.assign($1, 'ann')", id.s);
	FAILS(f->r.bot, "42501", "select balie.assign($1, 'ann')", id.s);
	OK(f->r.sue, "select balie.close($1)", id.s);
	FAILS(f->r.sue, "BL010", "select balie.assign($1, 'ann')", id.s);
}

/* --------------------------------------------------------------- pause_bot */

static void pause_bot_sends_customers_to_people(void **state)
{
	struct fx *f = *state;
	conv_id paused, other, resumed;

	OK(f->r.sue, "select balie.pause_bot('billing', true)");
	assert_value(f->r.root, "t", "select bot_paused from balie.queues where id = 'billing'");
	paused = open_conv(f, "billing");
	other = open_conv(f, "health");
	assert_value(f->r.root, "waiting|bot_paused|t",
		     "select concat_ws('|', state, escalation_reason, escalated_at is not null)"
		     " from balie.conversations where id = $1", paused.s);
	assert_value(f->r.root, "bot", "select state from balie.conversations where id = $1", other.s);
	assert_value(f->r.ann, "t", "select balie.takeover($1)", paused.s);
	OK(f->r.sue, "select balie.pause_bot('billing', false)");
	resumed = open_conv(f, "billing");
	assert_value(f->r.root, "bot", "select state from balie.conversations where id = $1", resumed.s);
}

static void pause_bot_refusals(void **state)
{
	struct fx *f = *state;

	FAILS_SAYING(f->r.ann, "42501", "permission denied for function pause_bot",
		     "select balie.pause_bot('billing', true)");
	FAILS(f->r.bot, "42501", "select balie.pause_bot('billing', true)");
	FAILS(f->r.sue, "BL002", "select balie.pause_bot('retail', true)");
	FAILS(f->r.sue, "BL030", "select balie.pause_bot('billing', null)");
	assert_value(f->r.root, "f", "select bool_or(bot_paused) from balie.queues");
}

/* ------------------------------------------------------ heartbeat / whoami */

static void heartbeat_marks_presence_only(void **state)
{
	struct fx *f = *state;
	conv_id id = owned_conv(f, f->r.ann);
	long v = version_of(f, id);

	assert_null_value(f->r.root, "select last_seen from balie.agents where login = 'ann'");
	OK(f->r.ann, "select balie.heartbeat()");
	OK(f->r.sue, "select balie.heartbeat()");
	assert_value(f->r.root, "t", "select last_seen is not null from balie.agents where login = 'ann'");
	assert_null_value(f->r.root, "select last_seen from balie.agents where login = 'bob'");
	assert_int_equal(version_of(f, id), v);
	FAILS(f->r.bot, "42501", "select balie.heartbeat()");
	FAILS(f->r.mallory, "42501", "select balie.heartbeat()");
}

static void whoami_describes_the_caller(void **state)
{
	struct fx *f = *state;

	assert_value(f->r.ann, "ann|Ann Jansen|t|f|f|{billing,health}",
		     "select concat_ws('|', login, display_name, is_agent, is_supervisor, is_bot, queues)"
		     " from balie.whoami()");
	assert_value(f->r.sue, "sue|Sue Visser|t|t|f|{billing,health,parcels}",
		     "select concat_ws('|', login, display_name, is_agent, is_supervisor, is_bot, queues)"
		     " from balie.whoami()");
	assert_value(f->r.bot, "botty||f|f|t|{billing,health,parcels}",
		     "select concat(login, '|', display_name, '|', is_agent, '|', is_supervisor, '|',"
		     " is_bot, '|', queues) from balie.whoami()");
	FAILS(f->r.mallory, "42501", "select * from balie.whoami()");
}

/* ------------------------------------------------------------------- admin */

static void add_queue_creates_and_updates(void **state)
{
	struct fx *f = *state;

	OK(f->r.root, "select balie.add_queue('retail', 'Web shop', 600)");
	assert_value(f->r.root, "Web shop|600|0|f",
		     "select concat_ws('|', name, sla_seconds, priority, bot_paused) from balie.queues"
		     " where id = 'retail'");
	OK(f->r.sue, "select balie.pause_bot('retail', true)");
	OK(f->r.root, "select balie.add_queue('retail', 'Web shop & returns', 900, 2)");
	assert_value(f->r.root, "Web shop & returns|900|2|t",
		     "select concat_ws('|', name, sla_seconds, priority, bot_paused) from balie.queues"
		     " where id = 'retail'");
	FAILS(f->r.root, "BL030", "select balie.add_queue('has space', 'X', 60)");
	FAILS(f->r.root, "BL030", "select balie.add_queue('', 'X', 60)");
	FAILS(f->r.root, "BL030", "select balie.add_queue('x', ' ', 60)");
	FAILS(f->r.root, "BL030", "select balie.add_queue('x', 'X', 0)");
	FAILS(f->r.root, "BL030", "select balie.add_queue('x', 'X', null)");
	FAILS(f->r.sue, "42501", "select balie.add_queue('x', 'X', 60)");
	FAILS(f->r.bot, "42501", "select balie.add_queue('x', 'X', 60)");
	assert_int_equal(pgt_long(f->r.root, "select count(*) from balie.queues"), 4);
}

static void add_agent_registers_a_role(void **state)
{
	struct fx *f = *state;
	char *login = NULL, *sql = NULL;
	PGconn *c;

	assert_true(asprintf(&login, "newbie_%ld", (long)getpid()) > 0);
	assert_true(asprintf(&sql, "create role %s login", login) > 0);
	OK(f->r.root, sql);
	free(sql);

	OK(f->r.root, "select balie.add_agent($1, 'New Bie', array['parcels', 'health'])", login);
	assert_value(f->r.root, "New Bie|f|health,parcels|t|f",
		     "select concat_ws('|', display_name, is_supervisor,"
		     " (select string_agg(queue, ',' order by queue) from balie.agent_queues where login = $1),"
		     " pg_has_role($1, 'balie_agent', 'MEMBER'), pg_has_role($1, 'balie_supervisor', 'MEMBER'))"
		     " from balie.agents where login = $1", login);
	c = pgt_connect(f->r.db, login);
	assert_value(c, "New Bie|{health,parcels}",
		     "select display_name || '|' || queues::text from balie.whoami()");
	OK(f->r.root, "select balie.add_agent($1, 'New Bie', array['billing'], true)", login);
	assert_value(f->r.root, "t|billing|t",
		     "select concat_ws('|', is_supervisor,"
		     " (select string_agg(queue, ',') from balie.agent_queues where login = $1),"
		     " pg_has_role($1, 'balie_supervisor', 'MEMBER')) from balie.agents where login = $1",
		     login);
	OK(c, "select balie.pause_bot('billing', false)");
	OK(f->r.root, "select balie.add_agent($1, 'Newly Demoted', array['billing'], false)", login);
	/* Membership is cluster-wide (the login may supervise another balie
	 * database), so it stays; the row here is what no longer allows it. */
	assert_value(f->r.root, "t|f", "select concat_ws('|', pg_has_role($1, 'balie_supervisor', 'MEMBER'),"
		     " is_supervisor) from balie.agents where login = $1", login);
	FAILS(c, "42501", "select balie.pause_bot('billing', false)");
	PQfinish(c);

	FAILS(f->r.root, "BL003", "select balie.add_agent('no_such_role_here', 'X', array['billing'])");
	FAILS(f->r.root, "BL003", "select balie.add_agent('balie_bot', 'X', array['billing'])");
	FAILS_SAYING(f->r.root, "BL002", "queue retail not found",
		     "select balie.add_agent($1, 'X', array['billing', 'retail'])", login);
	FAILS(f->r.root, "BL030", "select balie.add_agent($1, ' ', array['billing'])", login);
	FAILS(f->r.sue, "42501", "select balie.add_agent('mallory', 'Mal', array['billing'])");
	FAILS(f->r.ann, "42501", "select balie.add_agent('ann', 'Queen Ann', array['parcels'], true)");

	assert_true(asprintf(&sql, "drop role %s", login) > 0);
	OK(f->r.root, sql);
	free(sql);
	free(login);
}

/* --------------------------------------------------------------------- seq */

static void seq_counts_every_message_without_gaps(void **state)
{
	struct fx *f = *state;
	conv_id id = open_conv(f, "billing");

	OK(f->r.bot, "select balie.post_message($1, 'customer', 'one')", id.s);
	OK(f->r.bot, "select balie.post_message($1, 'bot', 'two')", id.s);
	FAILS(f->r.bot, "BL030", "select balie.post_message($1, 'bot', '')", id.s);
	OK(f->r.bot, "select balie.escalate($1, 'other')", id.s);
	assert_value(f->r.ann, "t", "select balie.takeover($1)", id.s);
	OK(f->r.ann, "select balie.reply($1, 'three')", id.s);
	FAILS(f->r.bot, "BL012", "select balie.post_message($1, 'bot', 'nope')", id.s);
	OK(f->r.bob, "select balie.note($1, 'four')", id.s);
	OK(f->r.ann, "select balie.confirm_agreement($1, 'five')", id.s);
	OK(f->r.ann, "select balie.transfer($1, 'health', 'six')", id.s);
	OK(f->r.sue, "select balie.assign($1, 'ann')", id.s);
	OK(f->r.ann, "select balie.handback($1, 'seven')", id.s);
	assert_value(f->r.root, "12|12|12|t",
		     "select concat_ws('|', count(*), max(seq), (select message_count from balie.conversations"
		     " where id = $1), bool_and(seq between 1 and 12)) from balie.messages"
		     " where conversation = $1", id.s);
	assert_int_equal(pgt_long(f->r.root, "select count(distinct seq) from balie.messages"
				  " where conversation = $1", id.s), 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(open_starts_with_the_bot),
		T(open_refusals),
		T(post_message_appends),
		T(post_message_bad_input),
		T(bot_is_silenced_by_takeover),
		T(post_message_is_idempotent),
		T(escalate_sets_waiting),
		T(escalate_refusals),
		T(takeover_gives_ownership),
		T(takeover_refusals),
		T(reply_by_owner),
		T(reply_refusals),
		T(reply_is_idempotent),
		T(note_by_any_agent_who_sees_it),
		T(confirm_agreement_stores_and_sends),
		T(confirm_agreement_refusals),
		T(handback_returns_to_the_bot),
		T(handback_refusals),
		T(transfer_moves_to_another_queue),
		T(transfer_refusals),
		T(close_by_owner_supervisor_and_bot),
		T(close_refusals),
		T(assign_by_supervisor),
		T(assign_refusals),
		T(pause_bot_sends_customers_to_people),
		T(pause_bot_refusals),
		T(heartbeat_marks_presence_only),
		T(whoami_describes_the_caller),
		T(add_queue_creates_and_updates),
		T(add_agent_registers_a_role),
		T(seq_counts_every_message_without_gaps),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
