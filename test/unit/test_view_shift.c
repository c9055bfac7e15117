/* Unit tests of what issue 14 found in a shift at the console: the status
 * line's priorities and cuts, the header's counts, help, markers. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balie/shift.h"
#include "balie/text.h"
#include "balie/view.h"
#include "test_view_fixture.h"

static char *line(const struct view_doc *d, size_t i)
{
	static char buf[4096];

	return view_line_text(d, i, buf, sizeof buf);
}

static long find_line(const struct view_doc *d, const char *needle)
{
	size_t i;

	for (i = 0; i < d->nlines; i++)
		if (strstr(line(d, i), needle))
			return (long)i;
	return -1;
}

/* #8: the result of one's own action stays a few seconds over news. */
static void test_result_held_over_news(void **state)
{
	struct view_fixture *f = *state;

	view_message(&f->st, VIEW_ROLE_OK, FIX_NOW, 15, "taken over #12 — you talk to Mia now");
	view_message(&f->st, VIEW_ROLE_WAITING, FIX_NOW + 1, 15, "new escalation: #13 Jan");
	view_status(&f->d, &f->m, &f->st, FIX_NOW + 1, 80);
	assert_non_null(strstr(line(&f->d, 0), "taken over #12"));
	view_doc_clear(&f->d);
	view_status(&f->d, &f->m, &f->st, FIX_NOW + VIEW_HOLD_SECONDS, 80);
	assert_non_null(strstr(line(&f->d, 0), "new escalation: #13"));
	/* News does not hold: the next result replaces it at once. */
	view_message(&f->st, VIEW_ROLE_OK, FIX_NOW + VIEW_HOLD_SECONDS + 1, 15, "reply sent to #12");
	view_doc_clear(&f->d);
	view_status(&f->d, &f->m, &f->st, FIX_NOW + VIEW_HOLD_SECONDS + 1, 80);
	assert_non_null(strstr(line(&f->d, 0), "reply sent to #12"));
	/* Without a held result news shows at once. */
	view_message(&f->st, VIEW_ROLE_WAITING, FIX_NOW + 100, 15, "new escalation: #14 Bo");
	view_doc_clear(&f->d);
	view_status(&f->d, &f->m, &f->st, FIX_NOW + 100, 80);
	assert_non_null(strstr(line(&f->d, 0), "new escalation: #14"));
}

/* #2: a long message loses its middle, never what it ends with. */
static void test_long_message_keeps_its_end(void **state)
{
	struct view_fixture *f = *state;

	f->st.conn = VIEW_OFFLINE;
	f->st.retry_s = 7;
	f->st.outbox = 1;
	snprintf(f->st.conn_reason, sizeof f->st.conn_reason, "server closed the connection");
	view_message(&f->st, VIEW_ROLE_ERROR, FIX_NOW, 15,
		     "1 reply is not sent yet (offline): press q again to quit anyway and lose it");
	view_status(&f->d, &f->m, &f->st, FIX_NOW, 80);
	assert_true(f->d.lines[0].cols <= 80);
	assert_non_null(strstr(line(&f->d, 0), "quit anyway and lose it"));
	assert_non_null(strstr(line(&f->d, 0), " 1 reply"));
	assert_non_null(strstr(line(&f->d, 0), "reconnecting in 7 s"));
	view_doc_clear(&f->d);
	view_message(&f->st, VIEW_ROLE_ERROR, FIX_NOW, 15,
		     "not connected — try again when back online");
	view_status(&f->d, &f->m, &f->st, FIX_NOW, 70);
	assert_true(f->d.lines[0].cols <= 70);
	assert_non_null(strstr(line(&f->d, 0), "when back online"));
}

/* #12: the same words for a short and a long name, and the counts stay at
 * 80 columns during a search. */
static void test_header_words_stable(void **state)
{
	struct view_fixture *f = *state;

	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	view_header(&f->d, &f->m, &f->st, 80);
	assert_non_null(strstr(line(&f->d, 0), "2 WAIT · 2 HUMAN · 1 BOT"));
	model_set_me(&f->m, "demo_agent_long", "Annabel-Wilhelmina de Vries", false);
	free(f->st.search);
	f->st.search = xstrdup("refund_request");
	view_doc_clear(&f->d);
	view_header(&f->d, &f->m, &f->st, 80);
	assert_non_null(strstr(line(&f->d, 0), "2 WAIT · 2 HUMAN · 1 BOT"));
	assert_non_null(strstr(line(&f->d, 0), "balie · Annabel"));
	assert_true(f->d.lines[0].cols <= 80);
}

/* #11: help says what Esc does on the compose line, and explains the
 * supervisor's columns. */
static void test_help_words(void **state)
{
	struct view_fixture *f = *state;

	view_help(&f->d, &f->st, 200);
	assert_true(find_line(&f->d, "Esc keeps a draft") >= 0);
	assert_true(find_line(&f->d, "Esc cancels") < 0);
	assert_true(find_line(&f->d, "SLA!") >= 0);
	assert_true(find_line(&f->d, "on/away") >= 0);
	assert_true(find_line(&f->d, "bot-only") >= 0);
	assert_true(find_line(&f->d, "OFFLINE!") >= 0);
}

/* #14: replies kept offline show in the transcript, marked. */
static void test_unsent_in_transcript(void **state)
{
	struct view_fixture *f = *state;
	struct model_conv *c = model_find(&f->m, 4);
	const char *unsent[] = { "Sorry, my connection dropped." };

	fix_msg(&f->m, c, 1, AUTHOR_CUSTOMER, "Hello?");
	view_pane_body(&f->d, NULL, &f->m, c, &f->st, 80);
	assert_true(find_line(&f->d, "not sent yet") < 0);
	f->st.unsent_conv = 4;
	f->st.unsent = unsent;
	f->st.nunsent = 1;
	view_doc_clear(&f->d);
	view_pane_body(&f->d, NULL, &f->m, c, &f->st, 80);
	assert_true(find_line(&f->d, "not sent yet") > find_line(&f->d, "Hello?"));
	assert_true(find_line(&f->d, "Sorry, my connection dropped.") >= 0);
	/* Another conversation's do not. */
	view_doc_clear(&f->d);
	view_pane_body(&f->d, NULL, &f->m, model_find(&f->m, 3), &f->st, 80);
	assert_true(find_line(&f->d, "not sent yet") < 0);
}

/* #10: before anyone chose a row the cursor stays on the first one as
 * rows arrive above; once chosen, it stays on that conversation. */
static void test_cursor_stays(void **state)
{
	struct view_fixture *f = *state;
	struct model_conv *c;

	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	assert_int_equal(f->st.sel, 0);
	c = fix_conv(&f->m, 20, "health", MODEL_WAITING, "Eva Urgent", 900);
	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	assert_int_equal(f->st.sel, 0);
	/* Mine come first, so the new waiting one need not be the first row. */
	assert_int_equal(f->st.selected, f->st.rows[0]->id);
	view_select_move(&f->st, 2);
	assert_int_equal(f->st.sel, 2);
	c = fix_conv(&f->m, 21, "health", MODEL_WAITING, "Piet Urgenter", 1900);
	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	assert_int_equal(f->st.sel, 3);
	assert_int_equal(f->st.rows[f->st.sel]->id, f->st.selected);
	(void)c;
}

/* #18: search folds accents and case and looks at the owner's name; what
 * the store's search found shows too. */
static void test_search_folds(void **state)
{
	struct view_fixture *f = *state;
	struct model_conv *c = model_find(&f->m, 1);

	free(c->customer_name);
	c->customer_name = xstrdup("Zoë Yılmaz");
	assert_true(view_matches(c, &f->m, "zoe"));
	assert_true(view_matches(c, &f->m, "YILMAZ"));
	assert_true(view_matches(c, &f->m, "Zoë"));
	assert_false(view_matches(c, &f->m, "zoey"));
	/* #3 is Bob de Vries's. */
	assert_true(view_matches(model_find(&f->m, 3), &f->m, "bob de"));
	assert_false(view_matches(model_find(&f->m, 4), &f->m, "bob de"));
	/* A store hit for this query is shown; one for another query is not. */
	f->st.search = xstrdup("parcel 42");
	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	assert_int_equal(f->st.nrows, 0);
	f->st.hits = xcalloc(1, sizeof *f->st.hits);
	f->st.hits[0] = 5;
	f->st.nhits = 1;
	f->st.hits_for = xstrdup("parcel 4");
	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	assert_int_equal(f->st.nrows, 0);
	free(f->st.hits_for);
	f->st.hits_for = xstrdup("parcel 42");
	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	assert_int_equal(f->st.nrows, 1);
	assert_int_equal(f->st.rows[0]->id, 5);
}

/* #20: the picker shows each queue's waiting count and agents online. */
static void test_picker_load(void **state)
{
	struct view_fixture *f = *state;
	long i;

	view_picker(&f->d, &f->m, model_find(&f->m, 4), &f->st, 80);
	assert_true(find_line(&f->d, "online") < 0);
	f->m.queues[1].waiting = 3;
	f->m.queues[1].agents_online = 2;
	f->m.queues[2].waiting = 0;
	f->m.queues[2].agents_online = 0;
	f->m.queues[0].waiting = 12;
	f->m.queues[0].agents_online = 1;
	view_doc_clear(&f->d);
	view_picker(&f->d, &f->m, model_find(&f->m, 4), &f->st, 80);
	i = find_line(&f->d, "Health insurance");
	assert_true(i >= 0);
	assert_non_null(strstr(line(&f->d, (size_t)i), "3 waiting · 2 online"));
	i = find_line(&f->d, "Parcel delivery");
	assert_non_null(strstr(line(&f->d, (size_t)i), "0 waiting · 0 online"));
	i = find_line(&f->d, "Billing & banking");
	assert_non_null(strstr(line(&f->d, (size_t)i), "12 waiting · 1 online  (its queue now)"));
	for (i = 0; i < (long)f->d.nlines; i++)
		assert_true(f->d.lines[i].cols <= 80);
}

/* #9: rows out of sight above (with a past-SLA hint) and below. */
static void test_scrolled_markers(void **state)
{
	struct view_fixture *f = *state;

	view_rows_refresh(&f->st, &f->m, FIX_NOW);
	view_queue_title(&f->d, &f->st, 80);
	view_queue_scrolled(&f->d, &f->m, &f->st, FIX_NOW, 80, 10);
	assert_null(strstr(line(&f->d, 0), "↑"));
	/* Two rows above (with "SLA!" when one of them is past its SLA), one below. */
	f->st.list_top = 2;
	view_doc_clear(&f->d);
	view_queue_title(&f->d, &f->st, 80);
	view_queue_scrolled(&f->d, &f->m, &f->st, FIX_NOW, 80, 2);
	{
		bool late = shift_sla(&f->m, f->st.rows[0], FIX_NOW, 0) == SHIFT_SLA_BREACHED ||
			    shift_sla(&f->m, f->st.rows[1], FIX_NOW, 0) == SHIFT_SLA_BREACHED;

		assert_non_null(strstr(line(&f->d, 0), late ? "↑2 (SLA!) ↓1" : "↑2 ↓1"));
	}
	assert_true(f->d.lines[0].cols <= 80);
	f->st.list_top = 0;
	view_doc_clear(&f->d);
	view_queue_title(&f->d, &f->st, 80);
	view_queue_scrolled(&f->d, &f->m, &f->st, FIX_NOW, 80, 3);
	assert_non_null(strstr(line(&f->d, 0), "↓2 more below"));
}

/* #9: scrolled up in the pane, the last row says what waits below. */
static void test_pane_new_below(void **state)
{
	struct view_fixture *f = *state;
	struct model_conv *c = model_find(&f->m, 4);
	struct view_doc body, out;
	int i;

	for (i = 1; i <= 20; i++)
		fix_msg(&f->m, c, i, AUTHOR_CUSTOMER, "line");
	view_doc_init(&body);
	view_doc_init(&out);
	view_pane_body(&body, NULL, &f->m, c, &f->st, 80);
	f->st.follow = true;
	assert_false(view_pane_below(&out, c, &f->st, &body, 5));
	f->st.follow = false;
	f->st.pane_top = 0;
	assert_true(view_pane_below(&out, c, &f->st, &body, 5));
	assert_non_null(strstr(line(&out, 0), "newer messages below"));
	view_doc_free(&body);
	view_doc_free(&out);
}

/* Found at 80x24 with three conversations: the list above an open pane
 * shows four rows, so one's own three and one more stay in sight. */
static void test_list_rows_with_pane(void **state)
{
	struct view_layout l;

	(void)state;
	view_layout(24, 80, true, true, &l);
	assert_int_equal(l.list.h, 5);	/* the heading and four rows */
	assert_true(l.pane.h > 2 * l.list.h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_result_held_over_news, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_long_message_keeps_its_end, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_header_words_stable, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_help_words, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unsent_in_transcript, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_cursor_stays, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_search_folds, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_picker_load, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_scrolled_markers, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_pane_new_below, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_list_rows_with_pane, view_fixture_setup, view_fixture_teardown),
	};

	setlocale(LC_ALL, "C.UTF-8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
