/* What the customer reads (schema 007): the conversation's language, the
 * versioned texts of every switch, the AI disclosure that open_conversation
 * posts first, macros, wrap-up codes, replies with sources. */
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
#define assert_value(c, want, ...) do { \
		char *v_ = pgt_scalar(c, __VA_ARGS__); \
		if (!v_ || strcmp(v_, want) != 0) \
			fail_msg("got %s, want %s", v_ ? v_ : "NULL", want); \
		free(v_); \
	} while (0)

struct fx {
	struct pgt_roles r;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	pgt_roles_open(&f->r);
	OK(f->r.root, "select balie.add_queue('billing', 'Bankzaken', 120, 5, 'nl')");
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

/* The body of message SEQ of CONV, as the superuser reads it. */
#define BODY "select body from balie.messages where conversation = $1 and seq = $2"

static void a_dutch_conversation_reads_dutch_at_every_switch(void **state)
{
	struct fx *f = *state;
	char id[24];

	snprintf(id, sizeof id, "%ld", pgt_long(f->r.bot,
		 "select balie.open_conversation('billing', 'c1', 'Carla')"));
	assert_value(f->r.root, "nl", "select lang from balie.conversations where id = $1", id);
	assert_value(f->r.root, "system|Je praat met de digitale assistent van Bankzaken: een computerprogramma, "
		     "geen mens. Je kunt altijd vragen om een medewerker.|disclosure|nl|1",
		     "select concat_ws('|', author_kind, body, template_key, template_lang, template_version)"
		     " from balie.messages where conversation = $1 and seq = 1", id);
	OK(f->r.bot, "select balie.escalate($1, 'customer_request')", id);
	OK(f->r.ann, "select balie.takeover($1)", id);
	assert_value(f->r.root, "Ann Jansen neemt het gesprek over.", BODY, id, "2");
	OK(f->r.ann, "select balie.confirm_agreement($1, 'Terugbetaling {agent} vrijdag')", id);
	assert_value(f->r.root, "Schriftelijke bevestiging: Terugbetaling {agent} vrijdag", BODY, id, "3");
	OK(f->r.sue, "select balie.assign($1, 'bob')", id);
	assert_value(f->r.root, "Je praat nu met Bob de Vries.", BODY, id, "4");
	OK(f->r.bob, "select balie.handback($1, 'klant wil alleen nog info')", id);
	assert_value(f->r.root, "note|klant wil alleen nog info", "select concat_ws('|', author_kind, body)"
		     " from balie.messages where conversation = $1 and seq = 5", id);
	assert_value(f->r.root, "De digitale assistent neemt het weer over: je praat nu weer met een "
		     "computerprogramma, niet met een mens.", BODY, id, "6");
	OK(f->r.bot, "select balie.escalate($1, 'other')", id);
	OK(f->r.ann, "select balie.takeover($1)", id);
	OK(f->r.ann, "select balie.transfer($1, 'health')", id);
	assert_value(f->r.root, "We verbinden je door met Health insurance. Er komt zo snel mogelijk een "
		     "medewerker bij je.", BODY, id, "8");
	OK(f->r.ann, "select balie.takeover($1)", id);
	OK(f->r.ann, "select balie.close($1)", id);
	assert_value(f->r.root, "Dit gesprek is afgesloten. Bedankt dat je contact met ons opnam.", BODY, id, "10");
	/* Every text the store wrote names its template. */
	assert_value(f->r.root, "0", "select count(*) from balie.messages where conversation = $1"
		     " and author_kind = 'system' and template_key is null", id);
	/* An English customer in the Dutch queue reads English; an unknown
	 * language falls back to the queue's. */
	snprintf(id, sizeof id, "%ld", pgt_long(f->r.bot,
		 "select balie.open_conversation('billing', 'c2', 'Dan', 'chat', 'en-GB')"));
	assert_value(f->r.root, "en-gb|en", "select concat_ws('|', c.lang, m.template_lang) from balie.conversations c"
		     " join balie.messages m on m.conversation = c.id and m.seq = 1 where c.id = $1", id);
	snprintf(id, sizeof id, "%ld", pgt_long(f->r.bot,
		 "select balie.open_conversation('billing', 'c3', 'Dan', 'chat', 'fy')"));
	assert_value(f->r.root, "nl", "select template_lang from balie.messages where conversation = $1", id);
	FAILS(f->r.bot, "BL030", "select balie.open_conversation('billing', 'c4', 'Dan', 'chat', 'not a tag')");
}

static void set_text_takes_effect_with_a_new_version(void **state)
{
	struct fx *f = *state;
	char id[24];

	assert_value(f->r.root, "2", "select balie.set_text('disclosure', 'nl', 'Hallo, ik ben een bot van {queue}.')");
	snprintf(id, sizeof id, "%ld", pgt_long(f->r.bot,
		 "select balie.open_conversation('billing', 'c1', 'Carla')"));
	assert_value(f->r.root, "Hallo, ik ben een bot van Bankzaken.|2",
		     "select concat_ws('|', body, template_version) from balie.messages where conversation = $1", id);
	FAILS(f->r.sue, "42501", "select balie.set_text('closing', 'nl', 'Doei')");
	FAILS(f->r.ann, "42501", "select balie.set_text('closing', 'nl', 'Doei')");
	FAILS(f->r.root, "BL030", "select balie.set_text('nonsense', 'nl', 'x')");
}

/* A bot racing open_conversation cannot post before the disclosure: the
 * conversation does not exist for anybody until it carries it. */
static void no_bot_message_before_the_disclosure(void **state)
{
	struct fx *f = *state;
	PGconn *other = pgt_connect(f->r.db, "botty");
	long next;
	char id[24];

	OK(f->r.bot, "begin");
	next = pgt_long(f->r.bot, "select balie.open_conversation('billing', 'c1', 'Carla')");
	snprintf(id, sizeof id, "%ld", next);
	FAILS(other, "BL001", "select balie.post_message($1, 'bot', 'Hoi!')", id);
	OK(f->r.bot, "commit");
	OK(other, "select balie.post_message($1, 'bot', 'Hoi!')", id);
	assert_value(f->r.root, "system,bot", "select string_agg(author_kind, ',' order by seq)"
		     " from balie.messages where conversation = $1", id);
	/* Every conversation there is starts with the disclosure. */
	for (int i = 0; i < 20; i++)
		OK(other, "select balie.post_message(balie.open_conversation('health', 'x', 'X'), 'bot', 'Hi')");
	assert_value(f->r.root, "0", "select count(*) from balie.conversations c where not exists (select 1"
		     " from balie.messages m where m.conversation = c.id and m.seq = 1"
		     " and m.template_key = 'disclosure')");
	PQfinish(other);
}

static void the_report_lists_every_conversation_of_a_range(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 5; i++)
		OK(f->r.bot, "select balie.open_conversation('health', 'c', 'C')");
	OK(f->r.bot, "select balie.open_conversation('billing', 'c', 'C')");
	/* One from before the range. */
	OK(f->r.root, "update balie.conversations set created_at = '2020-01-01' where id = (select min(id)"
	   " from balie.conversations)");
	assert_value(f->r.sue, "5|en:4,nl:1", "select concat_ws('|', sum(n), string_agg(lang || ':' || n, ','"
		     " order by lang)) from (select lang, count(told_at) n from balie.disclosure_report(now()"
		     " - interval '1 hour', now() + interval '1 hour') group by lang) s");
	assert_value(f->r.sue, "t", "select bool_and(told_at >= opened_at and template_version = 1"
		     " and message_id is not null) from balie.disclosure_report('2000-01-01', now() + interval '1 day')");
	FAILS(f->r.ann, "42501", "select * from balie.disclosure_report(now() - interval '1 hour', now())");
	FAILS(f->r.bot, "42501", "select * from balie.disclosure_report(now() - interval '1 hour', now())");
}

static void macros_fill_their_variables(void **state)
{
	struct fx *f = *state;
	char id[24], other[24];

	OK(f->r.sue, "select balie.add_macro('billing', 'refund', 'nl', 'Beste {customer}, {agent} van {queue}"
	   " regelt je terugbetaling.', '[{\"title\": \"Terugbetalen\", \"url\": \"https://x/t\"}]')");
	OK(f->r.root, "select balie.add_macro('billing', 'refund', 'en', 'Dear {customer}, refund.')");
	OK(f->r.root, "select balie.add_macro('health', 'hi', 'en', 'Hello from {queue}')");
	FAILS(f->r.ann, "42501", "select balie.add_macro('billing', 'x', 'nl', 'y')");
	FAILS(f->r.sue, "BL030", "select balie.add_macro('billing', 'bad name', 'nl', 'y')");
	snprintf(id, sizeof id, "%ld", pgt_long(f->r.bot,
		 "select balie.open_conversation('billing', 'c1', 'Carla Zoë')"));
	assert_value(f->r.ann, "refund|Beste Carla Zoë, Ann Jansen van Bankzaken regelt je terugbetaling.|Terugbetalen",
		     "select concat_ws('|', name, body, sources->0->>'title') from balie.read_macros($1)", id);
	/* Attack: a conversation of another queue, hidden or missing, same error. */
	snprintf(other, sizeof other, "%ld", pgt_long(f->r.bot,
		 "select balie.open_conversation('parcels', 'c1', 'Carla')"));
	FAILS(f->r.ann, "BL001", "select * from balie.read_macros($1)", other);
	FAILS(f->r.ann, "BL001", "select * from balie.read_macros(999999)");
	FAILS(f->r.bot, "42501", "select * from balie.read_macros($1)", id);
	FAILS(f->r.mallory, "42501", "select * from balie.read_macros($1)", id);
	/* A reply may carry the macro's sources. */
	OK(f->r.bot, "select balie.escalate($1, 'other')", id);
	OK(f->r.ann, "select balie.takeover($1)", id);
	OK(f->r.ann, "select balie.reply($1, 'zie bron', null, '[{\"title\": \"T\", \"url\": \"https://x\"}]')", id);
	assert_value(f->r.ann, "T|https://x", "select concat_ws('|', title, url) from balie.read_messages($1, 0, 0, 1)"
		     " where part = 1", id);
	FAILS(f->r.ann, "BL030", "select balie.reply($1, 'x', null, '[1]')", id);
}

static void close_stores_the_wrapup(void **state)
{
	struct fx *f = *state;
	char id[24], other[24];

	OK(f->r.sue, "select balie.add_wrapup('billing', 'refund', 'Refund given')");
	OK(f->r.root, "select balie.add_wrapup('billing', 'info', 'Information')");
	OK(f->r.root, "select balie.add_wrapup('parcels', 'lost', 'Parcel lost')");
	FAILS(f->r.ann, "42501", "select balie.add_wrapup('billing', 'x', 'y')");
	snprintf(id, sizeof id, "%ld", pgt_long(f->r.bot, "select balie.open_conversation('billing', 'c1', 'C')"));
	snprintf(other, sizeof other, "%ld", pgt_long(f->r.bot, "select balie.open_conversation('parcels', 'c', 'C')"));
	assert_value(f->r.ann, "info,refund", "select string_agg(code, ',' order by code) from balie.read_wrapups($1)", id);
	FAILS(f->r.ann, "BL001", "select * from balie.read_wrapups($1)", other);
	OK(f->r.bot, "select balie.escalate($1, 'other')", id);
	OK(f->r.ann, "select balie.takeover($1)", id);
	FAILS(f->r.ann, "BL030", "select balie.close($1, 'done', 'lost')", id);
	OK(f->r.ann, "select balie.close($1, 'refund by Friday', 'refund')", id);
	assert_value(f->r.root, "closed|refund|refund by Friday|closing", "select concat_ws('|', c.state, c.wrapup,"
		     " c.resolution, m.template_key) from balie.conversations c join balie.messages m"
		     " on m.conversation = c.id and m.seq = c.message_count where c.id = $1", id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(a_dutch_conversation_reads_dutch_at_every_switch),
		T(set_text_takes_effect_with_a_new_version),
		T(no_bot_message_before_the_disclosure),
		T(the_report_lists_every_conversation_of_a_range),
		T(macros_fill_their_variables),
		T(close_stores_the_wrapup),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
