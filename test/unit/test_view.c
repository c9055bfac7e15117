/* Unit tests of the views: what the screen would say for a given model,
 * without a terminal. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "balie/text.h"
#include "balie/view.h"
#include "test_view_fixture.h"


static char *line(const struct view_doc *d, size_t i)
{
	static char buf[4096];

	return view_line_text(d, i, buf, sizeof buf);
}

/* The index of the first line containing NEEDLE, or -1. */
static long find_line(const struct view_doc *d, const char *needle)
{
	size_t i;

	for (i = 0; i < d->nlines; i++)
		if (strstr(line(d, i), needle))
			return (long)i;
	return -1;
}

static void test_queue_order_flags_clock_owner(void **state)
{
	struct view_fixture *f = *state;

	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	view_queue_rows(&f->d, &f->m, &f->st, FIX_NOW, 80, 0, 10);
	assert_int_equal(f->d.nlines, 5);
	/* Mine first, then waiting (health has the higher priority), then
	 * other people's, then the bot. */
	assert_non_null(strstr(line(&f->d, 0), "HUMAN"));
	assert_non_null(strstr(line(&f->d, 0), " me "));
	assert_non_null(strstr(line(&f->d, 1), "WAIT"));
	assert_non_null(strstr(line(&f->d, 1), "Jan Pietersen"));
	assert_non_null(strstr(line(&f->d, 1), "0:30"));
	assert_non_null(strstr(line(&f->d, 2), "Mia de Boer"));
	/* Past the SLA: marked in text, not colour alone. */
	assert_non_null(strstr(line(&f->d, 2), "3:05!"));
	assert_non_null(strstr(line(&f->d, 2), "customer_request"));
	assert_non_null(strstr(line(&f->d, 2), "I want to talk"));
	assert_non_null(strstr(line(&f->d, 3), "HUMAN"));
	assert_non_null(strstr(line(&f->d, 3), "Bob de Vries"));
	assert_non_null(strstr(line(&f->d, 4), "BOT"));
	assert_non_null(strstr(line(&f->d, 4), "1:02:05"));
	/* The selected row has a marker and the selected role. */
	assert_true(strncmp(line(&f->d, 0), ">", 1) == 0);
	assert_int_equal(f->d.lines[0].fill, VIEW_ROLE_SELECTED);
	assert_true(strncmp(line(&f->d, 1), " ", 1) == 0);
	assert_int_equal(f->d.lines[1].fill, VIEW_ROLE_NORMAL);
}

static void test_rows_fit_the_width(void **state)
{
	struct view_fixture *f = *state;
	int widths[] = { 40, 80, 120, 200 };
	size_t i, k;

	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	for (k = 0; k < sizeof widths / sizeof widths[0]; k++) {
		view_doc_clear(&f->d);
		view_queue_title(&f->d, &f->st, widths[k]);
		view_queue_rows(&f->d, &f->m, &f->st, FIX_NOW, widths[k], 0, 10);
		for (i = 0; i < f->d.nlines; i++)
			assert_true(f->d.lines[i].cols <= widths[k]);
	}
}

static void test_selection_follows_the_conversation(void **state)
{
	struct view_fixture *f = *state;
	struct model_conv *c;

	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	view_select_move(&f->st, 2);
	assert_int_equal(f->st.selected, 1);
	assert_int_equal(f->st.sel, 2);
	/* #1 is taken over: it moves down among the human ones, and so does
	 * the selection. */
	c = model_conv_new();
	c->id = 1;
	c->version = 2;
	c->queue = xstrdup("billing");
	c->state = MODEL_HUMAN;
	c->agent = xstrdup("bob");
	c->created_at = c->taken_at = FIX_NOW - 5;
	model_apply_conv(&f->m, c, NULL);
	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	assert_int_equal(f->st.selected, 1);
	assert_int_equal(f->st.rows[f->st.sel]->id, 1);
	assert_int_equal(f->st.sel, 3);
	/* It disappears: the selection stays at about the same row. */
	model_remove(&f->m, 1);
	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	assert_int_equal(f->st.sel, 3);
	assert_int_equal(f->st.selected, f->st.rows[3]->id);
}

static void test_search_filters(void **state)
{
	struct view_fixture *f = *state;

	f->st.search = xstrdup("REFUND");	/* intent, any case */
	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	assert_int_equal(f->st.nrows, 1);
	assert_int_equal(f->st.rows[0]->id, 1);
	/* The counts in the header stay those of the whole queue. */
	assert_int_equal(f->st.counts[0], 2);
	assert_int_equal(f->st.counts[1], 2);
	assert_int_equal(f->st.counts[2], 1);
	free(f->st.search);
	f->st.search = xstrdup("parcel");	/* queue name */
	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	assert_int_equal(f->st.nrows, 1);
	assert_int_equal(f->st.rows[0]->id, 5);
	free(f->st.search);
	f->st.search = xstrdup("nothing like this");
	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	assert_int_equal(f->st.nrows, 0);
	view_queue_rows(&f->d, &f->m, &f->st, FIX_NOW, 80, 0, 5);
	assert_true(find_line(&f->d, "no conversation matches") >= 0);
}

static void test_header_counts(void **state)
{
	struct view_fixture *f = *state;

	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	view_header(&f->d, &f->m, &f->st, 100);
	assert_non_null(strstr(line(&f->d, 0), "Ann Jansen (ann)"));
	assert_non_null(strstr(line(&f->d, 0), "2 waiting · 2 with a person · 1 with the bot"));
	assert_true(f->d.lines[0].cols <= 100);
}

static void test_pane_talking_to(void **state)
{
	struct view_fixture *f = *state;

	view_pane_info(&f->d, &f->m, model_find(&f->m, 3), &f->st, FIX_NOW, 80);
	assert_true(find_line(&f->d, "talking to: HUMAN (Bob de Vries)") >= 0);
	view_doc_clear(&f->d);
	view_pane_info(&f->d, &f->m, model_find(&f->m, 5), &f->st, FIX_NOW, 80);
	assert_true(find_line(&f->d, "talking to: BOT") >= 0);
	view_doc_clear(&f->d);
	view_pane_info(&f->d, &f->m, model_find(&f->m, 1), &f->st, FIX_NOW, 80);
	assert_true(find_line(&f->d, "#1 Mia de Boer (cust-1) · chat · Billing & banking") >= 0);
	assert_true(find_line(&f->d, "WAIT for a person 3:05") >= 0);
	assert_true(find_line(&f->d, "intent: refund_request (62%)") >= 0);
	assert_true(find_line(&f->d, "reason: customer_request") >= 0);
	assert_true(find_line(&f->d, "summary: Charged twice in March") >= 0);
}

static void test_pane_history(void **state)
{
	struct view_fixture *f = *state;
	struct model_history h[2] = {
		{ 11, MODEL_CLOSED, "billing", "card_blocked", "not_understood", "Card was blocked", FIX_NOW - 86400 * 3 },
		{ 12, MODEL_CLOSED, "billing", "address_change", NULL, NULL, FIX_NOW - 86400 * 9 },
	};
	struct model_conv *c = model_find(&f->m, 1);

	view_pane_info(&f->d, &f->m, c, &f->st, FIX_NOW, 100);
	assert_true(find_line(&f->d, "earlier: loading") >= 0);
	view_set_history(&f->st, 1, h, 2);
	view_doc_clear(&f->d);
	view_pane_info(&f->d, &f->m, c, &f->st, FIX_NOW, 100);
	assert_true(find_line(&f->d, "earlier: 2 conversations: #11 2025-03-11 closed card_blocked") >= 0);
	/* The full list heads the transcript once it is all loaded. */
	fix_msg(&f->m, c, 1, AUTHOR_CUSTOMER, "hello");
	view_doc_clear(&f->d);
	view_pane_body(&f->d, NULL, &f->m, c, &f->st, 100);
	assert_true(find_line(&f->d, "earlier conversations of this customer:") >= 0);
	assert_true(find_line(&f->d, "#12 2025-03-05 closed address_change") >= 0);
	assert_true(find_line(&f->d, "Card was blocked") >= 0);
}

static void test_pane_transcript(void **state)
{
	struct view_fixture *f = *state;
	struct model_conv *c = model_find(&f->m, 1);
	struct model_msg msg;
	long i, src, note;

	fix_msg(&f->m, c, 1, AUTHOR_CUSTOMER, "I was charged twice for my subscription this month, "
		"which is really not what I expected from you.");
	memset(&msg, 0, sizeof msg);
	msg.seq = 2;
	msg.kind = AUTHOR_BOT;
	msg.body = xstrdup("Double charges are refunded within 5 days.");
	msg.created_at = FIX_NOW - 30;
	msg.nsources = 1;
	msg.sources = xcalloc(1, sizeof *msg.sources);
	msg.sources[0].title = xstrdup("Double charges");
	msg.sources[0].url = xstrdup("https://help.example/double");
	model_add_messages(&f->m, c, &msg, 1);
	fix_msg(&f->m, c, 3, AUTHOR_SYSTEM, "Ann Jansen has joined the conversation.");
	fix_msg(&f->m, c, 4, AUTHOR_NOTE, "verified by phone");
	fix_msg(&f->m, c, 5, AUTHOR_AGENT, "Refund is on its way.");
	c->message_count = 5;
	view_pane_body(&f->d, NULL, &f->m, c, &f->st, 80);

	i = find_line(&f->d, "11:59 customer I was charged twice");
	assert_true(i >= 0);
	/* Wrapped by display columns under the body column. */
	assert_true(f->d.lines[i].cols <= 80);
	assert_true(strncmp(line(&f->d, (size_t)i + 1), "               ", 15) == 0);
	i = find_line(&f->d, "bot      Double charges are refunded");
	assert_true(i >= 0);
	src = find_line(&f->d, "source: Double charges — https://help.example/double");
	assert_int_equal(src, i + 1);
	assert_int_equal(f->d.spans[f->d.lines[src].span0 + f->d.lines[src].nspans - 1].role,
			 VIEW_ROLE_SOURCE);
	assert_true(find_line(&f->d, "system   Ann Jansen has joined") >= 0);
	/* Notes are set apart: own label, own role, indented body. */
	note = find_line(&f->d, "note (internal)");
	assert_true(note >= 0);
	assert_string_equal(line(&f->d, (size_t)note + 1), "        verified by phone");
	assert_int_equal(f->d.spans[f->d.lines[note + 1].span0 + 1].role, VIEW_ROLE_NOTE);
	assert_true(find_line(&f->d, "agent    Refund is on its way.") >= 0);
	/* Every line carries the seq of its message (for scrolling). */
	assert_int_equal(f->d.lines[note].tag, 4);
	assert_int_equal(f->d.lines[src].tag, 2);
	for (i = 0; i < (long)f->d.nlines; i++)
		assert_true(f->d.lines[i].cols <= 80);
}

static void test_hostile_text_is_sanitised(void **state)
{
	struct view_fixture *f = *state;
	struct model_conv *c = model_find(&f->m, 1);
	static const char hostile[] = "\033]0;pwned\007\033[2J\033[31mred\302\233\xff\xe2\x80\xae";
	size_t i;

	free(c->customer_name);
	c->customer_name = xstrdup(hostile);
	free(c->last_body);
	c->last_body = xstrdup(hostile);
	free(c->summary);
	c->summary = xstrdup(hostile);
	free(c->intent);
	c->intent = xstrdup(hostile);
	fix_msg(&f->m, c, 1, AUTHOR_CUSTOMER, hostile);
	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	view_queue_rows(&f->d, &f->m, &f->st, FIX_NOW, 200, 0, 10);
	view_pane_info(&f->d, &f->m, c, &f->st, FIX_NOW, 200);
	view_pane_body(&f->d, NULL, &f->m, c, &f->st, 200);
	view_header(&f->d, &f->m, &f->st, 200);
	view_message(&f->st, VIEW_ROLE_ERROR, FIX_NOW, 10, "#1 is with %s", hostile);
	view_status(&f->d, &f->m, &f->st, FIX_NOW, 200);
	/* Not one control byte (C0, DEL, C1) in anything the ui would draw. */
	for (i = 0; i < f->d.blen; i++) {
		unsigned char b = (unsigned char)f->d.buf[i];

		assert_true(b >= 0x20 && b != 0x7f);
		if (b == 0xc2)
			assert_false((unsigned char)f->d.buf[i + 1] >= 0x80 &&
				     (unsigned char)f->d.buf[i + 1] <= 0x9f);
	}
	assert_true(find_line(&f->d, "customer ␛]0;pwned␇␛[2J␛[31mred<9B>") >= 0);
	assert_true(find_line(&f->d, "<U+202E>") >= 0);
	assert_null(strstr(f->d.buf, "\xe2\x80\xae"));
	assert_true(find_line(&f->d, "#1 is with ␛]0;pwned") >= 0);
}

static void test_ascii_terminal(void **state)
{
	struct view_fixture *f = *state;
	struct model_conv *c = model_find(&f->m, 3);
	size_t i;

	f->st.text_flags = TEXT_ASCII;
	f->d.ascii = true;
	free(c->customer_name);
	c->customer_name = xstrdup("Zoë 日本 \033[31m");
	fix_msg(&f->m, c, 1, AUTHOR_CUSTOMER, "naïve…");
	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	view_header(&f->d, &f->m, &f->st, 80);
	view_queue_rows(&f->d, &f->m, &f->st, FIX_NOW, 80, 0, 10);
	view_pane_info(&f->d, &f->m, c, &f->st, FIX_NOW, 80);
	view_pane_body(&f->d, NULL, &f->m, c, &f->st, 80);
	view_status(&f->d, &f->m, &f->st, FIX_NOW, 80);
	for (i = 0; i < f->d.blen; i++)
		assert_true((unsigned char)f->d.buf[i] >= 0x20 && (unsigned char)f->d.buf[i] < 0x7f);
	assert_true(find_line(&f->d, "Zo? ?? ^[[31m") >= 0);
	assert_true(find_line(&f->d, "2 waiting | 2 with a person | 1 with the bot") >= 0);
}

static void test_status_line(void **state)
{
	struct view_fixture *f = *state;

	view_status(&f->d, &f->m, &f->st, FIX_NOW, 80);
	assert_non_null(strstr(line(&f->d, 0), "Enter open"));
	assert_non_null(strstr(line(&f->d, 0), "t take over"));
	assert_non_null(strstr(line(&f->d, 0), " online"));
	assert_int_equal(f->d.lines[0].cols, 79);
	assert_int_equal(f->d.lines[0].fill, VIEW_ROLE_STATUS);
	/* The hints follow what is on screen: mine can be replied to… */
	f->st.open = 4;
	view_doc_clear(&f->d);
	view_status(&f->d, &f->m, &f->st, FIX_NOW, 80);
	assert_non_null(strstr(line(&f->d, 0), "r reply"));
	assert_non_null(strstr(line(&f->d, 0), "h hand back"));
	assert_null(strstr(line(&f->d, 0), "take over"));
	/* … Bob's cannot, a waiting one can be taken over. */
	f->st.open = 3;
	view_doc_clear(&f->d);
	view_status(&f->d, &f->m, &f->st, FIX_NOW, 80);
	assert_null(strstr(line(&f->d, 0), "reply"));
	assert_non_null(strstr(line(&f->d, 0), "Esc back"));
	f->st.open = 1;
	view_doc_clear(&f->d);
	view_status(&f->d, &f->m, &f->st, FIX_NOW, 80);
	assert_non_null(strstr(line(&f->d, 0), "t take over"));
	f->st.open = 0;
	/* Offline: the countdown, and kept replies, never cut off by hints. */
	f->st.conn = VIEW_OFFLINE;
	f->st.retry_s = 3;
	f->st.outbox = 1;
	snprintf(f->st.conn_reason, sizeof f->st.conn_reason, "server closed the connection");
	view_doc_clear(&f->d);
	view_status(&f->d, &f->m, &f->st, FIX_NOW, 80);
	assert_non_null(strstr(line(&f->d, 0), "1 to send · offline — reconnecting in 3 s"));
	assert_true(f->d.lines[0].cols <= 80);
	/* A message replaces the hints while it lasts. */
	view_message(&f->st, VIEW_ROLE_OK, FIX_NOW, 15, "taken over #%d", 12);
	view_doc_clear(&f->d);
	view_status(&f->d, &f->m, &f->st, FIX_NOW + 14, 80);
	assert_non_null(strstr(line(&f->d, 0), "taken over #12"));
	view_doc_clear(&f->d);
	view_status(&f->d, &f->m, &f->st, FIX_NOW + 15, 80);
	assert_null(strstr(line(&f->d, 0), "taken over #12"));
}

static void test_pane_scroll_keeps_its_place(void **state)
{
	struct view_fixture *f = *state;
	struct model_conv *c = model_find(&f->m, 1);
	int seq, top_tag;

	c->message_count = 60;
	for (seq = 31; seq <= 60; seq++)
		fix_msg(&f->m, c, seq, AUTHOR_CUSTOMER, "a message");
	view_pane_body(&f->d, NULL, &f->m, c, &f->st, 80);
	view_pane_place(&f->st, &f->d, 10);
	/* Following: the newest message is the last line shown. */
	assert_int_equal(f->st.pane_top + 10, f->d.nlines);
	assert_false(view_pane_wants_older(&f->st, c));
	view_pane_scroll(&f->st, &f->d, -5);
	assert_false(f->st.follow);
	top_tag = f->d.lines[f->st.pane_top].tag;
	/* A new message does not move the view when scrolled up. */
	fix_msg(&f->m, c, 61, AUTHOR_CUSTOMER, "new");
	view_doc_clear(&f->d);
	view_pane_body(&f->d, NULL, &f->m, c, &f->st, 80);
	view_pane_place(&f->st, &f->d, 10);
	assert_int_equal(f->d.lines[f->st.pane_top].tag, top_tag);
	/* Up to the top: older messages are wanted. */
	view_pane_scroll(&f->st, &f->d, -1000);
	assert_int_equal(f->st.pane_top, 0);
	assert_true(view_pane_wants_older(&f->st, c));
	/* They arrive above: what was at the top stays in place. */
	top_tag = 31;
	for (seq = 1; seq <= 30; seq++)
		fix_msg(&f->m, c, seq, AUTHOR_CUSTOMER, "older");
	view_doc_clear(&f->d);
	view_pane_body(&f->d, NULL, &f->m, c, &f->st, 80);
	view_pane_place(&f->st, &f->d, 10);
	assert_true(f->st.pane_top > 0);
	assert_int_equal(f->d.lines[f->st.pane_top + 1].tag, top_tag);
	assert_false(view_pane_wants_older(&f->st, c));
	/* End: following again. */
	view_pane_follow(&f->st);
	view_pane_place(&f->st, &f->d, 10);
	assert_int_equal(f->st.pane_top + 10, f->d.nlines);
}

static void test_help_from_key_table(void **state)
{
	struct view_fixture *f = *state;

	keys_bind(&f->keys, KEYS_CTRL('t'), VERB_TAKEOVER);
	view_help(&f->d, &f->st, 80);
	assert_true(find_line(&f->d, "t, C-t") >= 0);
	assert_true(find_line(&f->d, "take the conversation over from the bot") >= 0);
	assert_true(find_line(&f->d, "j, Down") >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_order_flags_clock_owner, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rows_fit_the_width, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_selection_follows_the_conversation, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_search_filters, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_header_counts, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_pane_talking_to, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_pane_history, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_pane_transcript, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_hostile_text_is_sanitised, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_ascii_terminal, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_status_line, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_pane_scroll_keeps_its_place, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_help_from_key_table, view_fixture_setup, view_fixture_teardown),
	};

	/* Fixed clock and zone: times in the transcript are local. */
	setenv("TZ", "UTC", 1);
	tzset();
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "C.utf8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
