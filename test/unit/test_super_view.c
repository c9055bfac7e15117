/* Unit tests of the supervisor screen: rows and selection, the lines the
 * views make (counts, clocks, SLA marks, sparklines, stranded agents), the
 * layout, and the screen drawn into a real curses screen (newterm on a
 * file, no terminal). */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "balie/text.h"
#include "balie/ui.h"
#include "balie/ui.h"
#include "balie/view.h"
#include "balie/view_super.h"
#include "test_screen.h"
#include "test_view_fixture.h"

struct fixture {
	struct model m;
	struct keys_map keys;
	struct view_state st;
	struct super_data d;
	struct view_super v;
	struct view_doc doc;
};

static struct super_agent agent(const char *login, const char *name, enum super_presence p,
				int64_t since, const int64_t *convs, size_t n)
{
	struct super_agent a = { 0 };

	a.login = xstrdup(login);
	a.display_name = xstrdup(name);
	a.presence = p;
	a.presence_since = since;
	a.last_seen = since;
	a.queues = xstrdup("billing, health");
	a.open_count = (int)n;
	a.capacity = -1;
	a.aht_seconds = -1;
	a.nconvs = n;
	if (n) {
		a.convs = xcalloc(n, sizeof *a.convs);
		memcpy(a.convs, convs, n * sizeof *convs);
	}
	return a;
}

/* Figures that go with the model of test_view_fixture.h: health and billing
 * have people waiting (billing past its SLA), Bob went offline with #3,
 * Ann (me) is online with #4, Cid is away, Dirk never came. */
static void fill_data(struct super_data *d)
{
	static const int64_t bob[] = { 3 }, ann[] = { 4 };
	struct super_queue *q = xcalloc(3, sizeof *q);
	struct super_agent *a = xcalloc(4, sizeof *a);
	int i;

	q[0] = (struct super_queue){ .id = xstrdup("health"), .name = xstrdup("Health insurance"),
		.sla_seconds = 60, .priority = 10, .waiting = 1, .oldest_waiting_since = FIX_NOW - 30,
		.agents_online = 1, .escalations_today = 1 };
	q[0].by_reason[SUPER_REASON_SENSITIVE_TOPIC] = 1;
	q[1] = (struct super_queue){ .id = xstrdup("billing"), .name = xstrdup("Billing & banking"),
		.sla_seconds = 120, .priority = 5, .waiting = 1, .with_person = 2,
		.oldest_waiting_since = FIX_NOW - 185, .sla_breaches = 1, .agents_online = 1,
		.agents_away = 1, .closed_today = 3, .contained_today = 2, .escalations_today = 4,
		.bot_paused = true };
	q[1].by_reason[SUPER_REASON_CUSTOMER_REQUEST] = 3;
	q[1].by_reason[SUPER_REASON_NOT_UNDERSTOOD] = 1;
	for (i = 0; i < SUPER_SPARK_POINTS; i++)
		q[1].spark[i] = i < 30 ? 0 : i < 50 ? 2 : 4;
	q[2] = (struct super_queue){ .id = xstrdup("parcels"), .name = xstrdup("Parcel delivery"),
		.sla_seconds = 300, .priority = 1, .with_bot = 1 };
	/* Today's figures: billing has some, the others nothing to count. */
	q[0].service_level = q[2].service_level = -1;
	q[0].asa_seconds = q[0].aht_seconds = q[0].frt_seconds = -1;
	q[2].asa_seconds = q[2].aht_seconds = q[2].frt_seconds = -1;
	q[1].service_level = 0.75;
	q[1].asa_seconds = 42;
	q[1].abandoned = 1;
	q[1].aht_seconds = 370;
	q[1].frt_seconds = 35;
	q[1].wrapups = xstrdup("refund=3,info=1");
	a[0] = agent("ann", "Ann Jansen", SUPER_ONLINE, FIX_NOW - 600, ann, 1);
	a[0].status = xstrdup("available");
	a[0].status_since = FIX_NOW - 600;
	a[0].capacity = 4;
	a[0].handled_today = 3;
	a[0].aht_seconds = 300;
	a[1] = agent("bob", "Bob de Vries", SUPER_OFFLINE, FIX_NOW - 95, bob, 1);
	a[2] = agent("cid", "Cid Bakker", SUPER_AWAY, FIX_NOW - 60, NULL, 0);
	a[3] = agent("dirk", "Dirk Smit", SUPER_OFFLINE, 0, NULL, 0);
	d->queues = q;
	d->nqueues = 3;
	d->agents = a;
	d->nagents = 4;
	d->server_now = FIX_NOW;
	d->loaded = true;
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	fix_model(&f->m);
	keys_defaults(&f->keys);
	view_state_init(&f->st, &f->keys, 0);
	f->st.conn = VIEW_ONLINE;
	super_data_init(&f->d);
	fill_data(&f->d);
	view_super_init(&f->v);
	view_super_refresh(&f->v, &f->d);
	view_doc_init(&f->doc);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	view_doc_free(&f->doc);
	view_super_free(&f->v);
	super_data_free(&f->d);
	view_state_free(&f->st);
	model_free(&f->m);
	free(f);
	return 0;
}

/* Line I of D as text; printed too when BALIE_TEST_DUMP is set. */
static const char *line(const struct view_doc *d, size_t i)
{
	static char buf[1024];

	view_line_text(d, i, buf, sizeof buf);
	if (getenv("BALIE_TEST_DUMP"))
		fprintf(stderr, "%2zu|%s|\n", i, buf);
	return buf;
}

/* ------------------------------------------------------------------- rows */

static void test_rows_put_stranded_agents_first(void **state)
{
	struct fixture *f = *state;
	const struct view_super *v = &f->v;

	/* health, billing, parcels; Bob (offline with #3), #3; Ann, #4; Cid; Dirk. */
	assert_int_equal(v->nqueues, 3);
	assert_int_equal(v->nitems, 9);
	assert_int_equal(v->items[3].kind, VIEW_SUPER_AGENT);
	assert_string_equal(f->d.agents[v->items[3].index].login, "bob");
	assert_int_equal(v->items[4].kind, VIEW_SUPER_CONV);
	assert_int_equal(v->items[4].conv, 3);
	assert_string_equal(f->d.agents[v->items[5].index].login, "ann");
	assert_int_equal(v->items[6].conv, 4);
	assert_string_equal(f->d.agents[v->items[7].index].login, "cid");
	assert_string_equal(f->d.agents[v->items[8].index].login, "dirk");
	/* The first row is selected to begin with. */
	assert_true(v->has_sel);
	assert_int_equal(v->sel, 0);
	assert_string_equal(view_super_queue(v, &f->d)->id, "health");
	assert_int_equal(view_super_conv(v, &f->d), 0);
}

static void test_what_a_row_acts_on(void **state)
{
	struct fixture *f = *state;

	view_super_select(&f->v, &f->d, 3);	/* Bob: his oldest conversation */
	assert_null(view_super_queue(&f->v, &f->d));
	assert_string_equal(view_super_agent(&f->v, &f->d)->login, "bob");
	assert_int_equal(view_super_conv(&f->v, &f->d), 3);
	view_super_move(&f->v, &f->d, 1);	/* #3 itself */
	assert_int_equal(view_super_conv(&f->v, &f->d), 3);
	view_super_move(&f->v, &f->d, 3);	/* Cid: nothing open */
	assert_string_equal(view_super_agent(&f->v, &f->d)->login, "cid");
	assert_int_equal(view_super_conv(&f->v, &f->d), 0);
	view_super_move(&f->v, &f->d, 100);	/* clamped */
	assert_int_equal(f->v.sel, 8);
	view_super_move(&f->v, &f->d, -100);
	assert_int_equal(f->v.sel, 0);
}

static void test_selection_follows_across_refreshes(void **state)
{
	struct fixture *f = *state;
	struct super_agent *bob = &f->d.agents[1], *ann = &f->d.agents[0];

	/* #3 is selected; then Ann takes it over from Bob (who stays offline). */
	view_super_select(&f->v, &f->d, 4);
	ann->convs = xrealloc(ann->convs, 2 * sizeof *ann->convs);
	ann->convs[1] = 3;
	ann->nconvs = ann->open_count = 2;
	bob->nconvs = bob->open_count = 0;
	view_super_refresh(&f->v, &f->d);
	/* Ann, #4, #3, Cid, Bob, Dirk: the selection is on #3 still. */
	assert_int_equal(f->v.items[f->v.sel].kind, VIEW_SUPER_CONV);
	assert_int_equal(f->v.items[f->v.sel].conv, 3);
	assert_int_equal(f->v.sel, 5);

	/* #3 closes: its agent (Ann) keeps the selection. */
	ann->nconvs = ann->open_count = 1;
	view_super_refresh(&f->v, &f->d);
	assert_int_equal(f->v.items[f->v.sel].kind, VIEW_SUPER_AGENT);
	assert_string_equal(view_super_agent(&f->v, &f->d)->login, "ann");

	/* A queue row stays on its queue whatever moves around it. */
	view_super_select(&f->v, &f->d, 1);
	view_super_refresh(&f->v, &f->d);
	assert_string_equal(view_super_queue(&f->v, &f->d)->id, "billing");
}

/* The role of the first span of line I whose text holds WHAT; -1 if none. */
static int span_role(const struct view_doc *d, size_t i, const char *what)
{
	const struct view_line *l = &d->lines[i];
	char text[256];
	size_t k;

	for (k = l->span0; k < l->span0 + l->nspans; k++) {
		const struct view_span *sp = &d->spans[k];

		snprintf(text, sizeof text, "%.*s", (int)sp->len, d->buf + sp->off);
		if (strstr(text, what))
			return (int)sp->role;
	}
	return -1;
}

/* ------------------------------------------------------------------ lines */

static void test_queue_lines(void **state)
{
	struct fixture *f = *state;

	view_super_queue_title(&f->doc, &f->st, 80);
	assert_string_equal(line(&f->doc, 0), "  queue       BOT  WAIT  HUMAN  longest  SLA! on/away bot-only"
			    "  waiting, 1 h    ");
	view_doc_clear(&f->doc);
	view_super_queue_rows(&f->doc, &f->d, &f->v, &f->st, FIX_NOW, 80);
	assert_int_equal(f->doc.nlines, 9);
	/* The selected queue, its figures; the sparkline is one level for zero. */
	assert_string_equal(line(&f->doc, 0),
			    "> health        0     1      0    0:30      0     1/0        -  "
			    "\u2581\u2581\u2581\u2581\u2581\u2581\u2581\u2581\u2581\u2581\u2581\u2581\u2581\u2581 0");
	assert_int_equal(f->doc.lines[0].tag, 1);
	assert_int_equal(f->doc.lines[1].tag, 0);
	assert_int_equal(f->doc.lines[2].tag, 0);
	assert_string_equal(line(&f->doc, 1), "    Health insurance · today 1 escalated (sensitive topic 1) "
			    "· 0 closed");
	/* Nothing answered today: a dash, not a zero that reads as failure. */
	assert_string_equal(line(&f->doc, 2), "    SL - · ASA - · AHT - · FRT - · abandoned 0");
	/* Past the SLA: the clock says so with "!", and so does the count. */
	assert_non_null(strstr(line(&f->doc, 3), "  billing       0     1      2    3:05!    1!     1/1"
			       "      66%  "));
	assert_non_null(strstr(line(&f->doc, 3), "\u2588 4"));
	assert_string_equal(line(&f->doc, 4), "    Billing & banking · BOT PAUSED · today 4 escalated "
			    "(asked for a person 3, not understood 1) · 3 closed, 2 by the bot alone");
	assert_string_equal(line(&f->doc, 5), "    SL 75% · ASA 0:42 · AHT 6:10 · FRT 0:35 · abandoned 1"
			    " · wrap-up refund 3, info 1");
	/* Under 80 %: the figures read as a warning. */
	assert_int_equal(span_role(&f->doc, 5, "SL 75%"), VIEW_ROLE_LATE);
	/* The clock ticks without a refresh. */
	view_doc_clear(&f->doc);
	view_super_queue_rows(&f->doc, &f->d, &f->v, &f->st, FIX_NOW + 10, 80);
	assert_non_null(strstr(line(&f->doc, 3), " 3:15! "));
}

static void test_ascii_sparkline(void **state)
{
	struct fixture *f = *state;

	f->st.text_flags = TEXT_ASCII;
	f->doc.ascii = true;
	view_super_queue_rows(&f->doc, &f->d, &f->v, &f->st, FIX_NOW, 80);
	/* 60 minutes in 14 cells: zero, then the 2s, then the 4s. */
	assert_non_null(strstr(line(&f->doc, 3), "66%  _______----### 4"));
	assert_non_null(strstr(line(&f->doc, 4), "Billing & banking | BOT PAUSED |"));
	assert_non_null(strstr(line(&f->doc, 5), "SL 75% | ASA 0:42 |"));
}

static void test_agent_lines(void **state)
{
	struct fixture *f = *state;

	view_super_agent_title(&f->doc, &f->st, 80);
	assert_string_equal(line(&f->doc, 0), "  agent            presence status        load done    AHT"
			    "  queues              ");
	view_doc_clear(&f->doc);
	view_super_agent_rows(&f->doc, &f->m, &f->d, &f->v, &f->st, FIX_NOW, 80);
	assert_int_equal(f->doc.nlines, 6);
	assert_string_equal(line(&f->doc, 0), "  Bob de Vries     OFFLINE! 1:35             1    0      -  "
			    "needs a person: take over or transfer");
	assert_int_equal(f->doc.lines[0].tag, 4);
	/* Conversation details come from the model. */
	assert_string_equal(line(&f->doc, 1), "    #3      HUMAN     1:10 billing    Ahmed El Amrani     ");
	/* Status and time in it, load against capacity, handled today, their AHT. */
	assert_string_equal(line(&f->doc, 2), "  Ann Jansen       ONLINE   avail 10:00    1/4    3   5:00  "
			    "billing, health     ");
	assert_string_equal(line(&f->doc, 4), "  Cid Bakker       idle     1:00             0    0      -  "
			    "billing, health     ");
	assert_string_equal(line(&f->doc, 5), "  Dirk Smit        offline  never            0    0      -  "
			    "billing, health     ");
	/* At capacity: the load says so. */
	f->d.agents[0].capacity = 1;
	view_doc_clear(&f->doc);
	view_super_agent_rows(&f->doc, &f->m, &f->d, &f->v, &f->st, FIX_NOW, 80);
	assert_int_equal(span_role(&f->doc, 2, "1/1"), VIEW_ROLE_LATE);
}

static void test_more_than_listed_and_not_loaded(void **state)
{
	struct fixture *f = *state;
	struct super_agent *ann = &f->d.agents[0];

	ann->convs[0] = 99;	/* not in the model */
	ann->open_count = 60;
	view_super_refresh(&f->v, &f->d);
	view_super_agent_rows(&f->doc, &f->m, &f->d, &f->v, &f->st, FIX_NOW, 80);
	assert_string_equal(line(&f->doc, 3), "    #99      loading…");
	assert_string_equal(line(&f->doc, 4), "    … and 59 more");
	assert_int_equal(f->doc.lines[4].tag, 0);
}

static void test_header_and_status(void **state)
{
	struct fixture *f = *state;

	view_super_header(&f->doc, &f->m, &f->st, &f->d, 80);
	assert_string_equal(line(&f->doc, 0), " balie · SUPERVISOR · Ann Jansen (ann)        2 WAIT · 1 SLA! "
			    "· 2 HUMAN · 1 BOT ");
	view_doc_clear(&f->doc);
	view_super_header(&f->doc, &f->m, &f->st, &f->d, 140);
	assert_non_null(strstr(line(&f->doc, 0), "2 waiting · 1 past SLA · 2 with a person · 1 with the bot"));
	/* A long name is cut, never the counts (issue 14 #12). */
	model_set_me(&f->m, "sara_supervisor", "Sara Supervisor-Van den Heuvel", true);
	view_doc_clear(&f->doc);
	view_super_header(&f->doc, &f->m, &f->st, &f->d, 80);
	assert_non_null(strstr(line(&f->doc, 0), "2 WAIT · 1 SLA! · 2 HUMAN · 1 BOT"));
	assert_true(f->doc.lines[0].cols <= 80);

	view_doc_clear(&f->doc);
	view_super_status(&f->doc, &f->m, &f->d, &f->v, &f->st, FIX_NOW, 80);
	assert_non_null(strstr(line(&f->doc, 0), " p pause the bot Enter its conversations S agent view"));
	assert_non_null(strstr(line(&f->doc, 0), "online"));
	view_super_select(&f->v, &f->d, 1);	/* billing: paused */
	view_doc_clear(&f->doc);
	view_super_status(&f->doc, &f->m, &f->d, &f->v, &f->st, FIX_NOW, 80);
	assert_non_null(strstr(line(&f->doc, 0), " p resume the bot"));
	view_super_select(&f->v, &f->d, 4);	/* #3 */
	view_doc_clear(&f->doc);
	view_super_status(&f->doc, &f->m, &f->d, &f->v, &f->st, FIX_NOW, 80);
	assert_non_null(strstr(line(&f->doc, 0), " t take over x transfer Enter open"));
	/* Stale figures are said so on a wall screen. */
	view_doc_clear(&f->doc);
	view_super_status(&f->doc, &f->m, &f->d, &f->v, &f->st, FIX_NOW + 40, 80);
	assert_non_null(strstr(line(&f->doc, 0), "online · figures 40s old"));
	/* A question is asked on the prompt line; the status says y/n. */
	f->st.mode = VIEW_MODE_CONFIRM;
	view_doc_clear(&f->doc);
	view_super_status(&f->doc, &f->m, &f->d, &f->v, &f->st, FIX_NOW, 80);
	assert_non_null(strstr(line(&f->doc, 0), " y yes n no"));
}

/* ------------------------------------------------------ scroll and layout */

static void test_scroll_keeps_the_row_and_its_detail_in_sight(void **state)
{
	struct fixture *f = *state;

	view_super_queue_rows(&f->doc, &f->d, &f->v, &f->st, FIX_NOW, 80);
	/* 9 lines in 4 rows of height: row 3 (parcels, lines 6-8) needs top 5. */
	assert_int_equal(view_super_scroll(&f->doc, 3, 0, 4), 5);
	assert_int_equal(view_super_scroll(&f->doc, 1, 5, 4), 0);
	assert_int_equal(view_super_scroll(&f->doc, 2, 0, 4), 2);
	assert_int_equal(view_super_scroll(&f->doc, 2, 2, 4), 2);
	/* Everything fits: no scrolling at all. */
	assert_int_equal(view_super_scroll(&f->doc, 3, 5, 10), 0);
	/* An unknown tag keeps the top, clamped. */
	assert_int_equal(view_super_scroll(&f->doc, 77, 9, 4), 5);
}

static void test_layout(void **state)
{
	struct view_layout l;

	(void)state;
	view_super_layout(24, 80, 3, false, &l);
	assert_false(l.too_small);
	assert_int_equal(l.queues.y, 1);
	assert_int_equal(l.queues.h, 10);
	assert_int_equal(l.agents.y, 11);
	assert_int_equal(l.agents.h, 12);
	assert_int_equal(l.status.y, 23);
	assert_int_equal(l.prompt.h, 0);
	/* Many queues take at most half; a question takes a row. */
	view_super_layout(24, 80, 30, true, &l);
	assert_int_equal(l.queues.h, 10);
	assert_int_equal(l.agents.h, 11);
	assert_int_equal(l.prompt.y, 22);
	view_super_layout(9, 80, 3, false, &l);
	assert_true(l.too_small);
	view_super_layout(24, 39, 3, false, &l);
	assert_true(l.too_small);
}

/* Raised hands first, then past the SLA, then near it: between the queues
 * and the agents, selectable, acting on their conversation. */
static void test_attention_first(void **state)
{
	struct fixture *f = *state;
	struct model_conv *bobs = model_find(&f->m, 3);
	char buf[200];

	bobs->hand_raised_at = FIX_NOW - 12;
	view_super_rebuild(&f->v, &f->d, &f->m, FIX_NOW);
	assert_int_equal(f->v.items[3].kind, VIEW_SUPER_ATTN);
	assert_int_equal(f->v.items[3].conv, 3);
	assert_int_equal(f->v.items[3].why, VIEW_SUPER_ATTN_HAND);
	assert_int_equal(f->v.items[4].kind, VIEW_SUPER_ATTN);
	assert_int_equal(f->v.items[4].conv, 1);
	assert_int_equal(f->v.items[4].why, VIEW_SUPER_ATTN_LATE);
	assert_int_equal(f->v.items[5].kind, VIEW_SUPER_AGENT);
	view_super_agent_rows(&f->doc, &f->m, &f->d, &f->v, &f->st, FIX_NOW, 80);
	assert_string_equal(line(&f->doc, 0), "  HAND #3          0:12 billing    Bob de Vries       "
			    "Ahmed El Amrani");
	assert_int_equal(f->doc.lines[0].tag, 4);
	assert_string_equal(line(&f->doc, 1), "  SLA! #1          3:05 billing    Mia de Boer");
	/* Selected, it is what w, t and Enter act on. */
	view_super_select(&f->v, &f->d, 3);
	assert_int_equal(view_super_conv(&f->v, &f->d), 3);
	assert_null(view_super_agent(&f->v, &f->d));
	/* Twenty seconds on, #2 (50 s of its 60 s SLA) is near it. */
	view_super_rebuild(&f->v, &f->d, &f->m, FIX_NOW + 20);
	assert_int_equal(f->v.items[5].conv, 2);
	assert_int_equal(f->v.items[5].why, VIEW_SUPER_ATTN_NEAR);
	/* The selection stays on the hand; answered, the hand is gone. */
	assert_int_equal(view_super_conv(&f->v, &f->d), 3);
	bobs->hand_raised_at = 0;
	view_super_rebuild(&f->v, &f->d, &f->m, FIX_NOW);
	assert_int_equal(f->v.items[3].conv, 1);
	assert_int_equal(view_super_attention(&f->m, bobs, FIX_NOW), VIEW_SUPER_ATTN_NONE);
	/* The queue row marks a queue with a raised hand. */
	f->d.queues[1].hands = 1;
	view_doc_clear(&f->doc);
	view_super_queue_rows(&f->doc, &f->d, &f->v, &f->st, FIX_NOW, 80);
	assert_true(strncmp(line(&f->doc, 3), "H!billing", 9) == 0);
	/* Figures as words. */
	view_super_figures_text(&f->d.queues[1], buf, sizeof buf);
	assert_string_equal(buf, "SL 75% · ASA 0:42 · AHT 6:10 · FRT 0:35 · abandoned 1");
	f->d.queues[1].service_level = 0.8;
	f->d.queues[1].aht_seconds = 3725;
	view_super_figures_text(&f->d.queues[1], buf, sizeof buf);
	assert_string_equal(buf, "SL 80% · ASA 0:42 · AHT 1:02:05 · FRT 0:35 · abandoned 1");
	assert_true(view_super_wrapups_text("refund=3,info=1", buf, sizeof buf));
	assert_string_equal(buf, "refund 3, info 1");
	assert_false(view_super_wrapups_text(NULL, buf, sizeof buf));
	assert_false(view_super_wrapups_text("", buf, sizeof buf));
}

/* ----------------------------------------------------------------- curses */

static void test_drawn_at_80x24_and_too_small(void **state)
{
	struct fixture *f = *state;
	struct ui_options opt = { false, UI_BELL_OFF };
	char err[256];
	int fds[2];
	FILE *out = tmpfile(), *in;
	struct ui *ui;
	struct ui_frame uf = { &f->m, &f->st, FIX_NOW, &f->d, &f->v };

	assert_non_null(out);
	assert_int_equal(pipe(fds), 0);
	in = fdopen(fds[0], "r");
	ui = ui_open(out, in, "xterm-256color", &opt, err, sizeof err);
	assert_non_null(ui);
	ui_resize_to(ui, 24, 80);
	ui_render(ui, UI_SCREEN_SUPER, &uf);
	assert_non_null(strstr(screen_row(0), "balie · SUPERVISOR · Ann Jansen (ann)"));
	assert_non_null(strstr(screen_row(1), "queue       BOT  WAIT  HUMAN"));
	assert_non_null(strstr(screen_row(2), "> health        0     1      0    0:30"));
	assert_non_null(strstr(screen_row(11), "agent            presence"));
	assert_non_null(strstr(screen_row(12), "Bob de Vries     OFFLINE!"));
	assert_non_null(strstr(screen_row(23), "online"));
	/* The selection is reverse video, not colour alone. */
	{
		cchar_t cc;
		attr_t a = 0;
		short pair = 0;
		wchar_t wc[CCHARW_MAX + 1];

		assert_int_equal(mvwin_wch(curscr, 2, 3, &cc), OK);
		getcchar(&cc, wc, &a, &pair, NULL);
		assert_true(a & A_REVERSE);
	}
	/* Selecting far down moves in the agent region, the queues stay. */
	view_super_select(&f->v, &f->d, 8);
	ui_render(ui, UI_SCREEN_SUPER, &uf);
	assert_non_null(strstr(screen_row(2), "  health"));
	assert_non_null(strstr(screen_row(17), "> Dirk Smit"));
	/* A question takes the prompt line above the status. */
	f->st.mode = VIEW_MODE_CONFIRM;
	snprintf(f->st.prompt, sizeof f->st.prompt, "pause the bot of billing? y/n ");
	ui_render(ui, UI_SCREEN_SUPER, &uf);
	assert_string_equal(screen_row(22), "pause the bot of billing? y/n");
	f->st.mode = VIEW_MODE_LIST;
	/* Too small never crashes and says why. */
	ui_resize_to(ui, 8, 30);
	ui_render(ui, UI_SCREEN_SUPER, &uf);
	assert_non_null(strstr(screen_row(0), "too small: need 40x10"));
	ui_resize_to(ui, 24, 80);
	ui_render(ui, UI_SCREEN_SUPER, &uf);
	assert_non_null(strstr(screen_row(0), "SUPERVISOR"));
	/* Back to the agent screen: nothing of the supervisor screen is left. */
	ui_render(ui, UI_SCREEN_AGENT, &uf);
	assert_null(strstr(screen_row(0), "SUPERVISOR"));
	ui_close(ui);
	fclose(out);
	fclose(in);
	close(fds[1]);
}

/* The screen a supervisor sees at 80x24 with a raised hand: the hand is
 * the first row under the agent title. BALIE_TEST_DUMP prints it. */
static void test_hand_drawn_at_80x24(void **state)
{
	struct fixture *f = *state;
	struct ui_options opt = { false, UI_BELL_OFF };
	char err[256];
	int fds[2], r;
	FILE *out = tmpfile(), *in;
	struct ui *ui;
	struct ui_frame uf = { &f->m, &f->st, FIX_NOW, &f->d, &f->v };

	model_find(&f->m, 3)->hand_raised_at = FIX_NOW - 12;
	f->d.queues[1].hands = 1;
	view_super_rebuild(&f->v, &f->d, &f->m, FIX_NOW);
	assert_non_null(out);
	assert_int_equal(pipe(fds), 0);
	in = fdopen(fds[0], "r");
	ui = ui_open(out, in, "xterm-256color", &opt, err, sizeof err);
	assert_non_null(ui);
	ui_resize_to(ui, 24, 80);
	ui_render(ui, UI_SCREEN_SUPER, &uf);
	for (r = 0; getenv("BALIE_TEST_DUMP") && r < 24; r++)
		fprintf(stderr, "|%s\n", screen_row(r));
	assert_non_null(strstr(screen_row(4), "SL - · ASA - · AHT -"));
	assert_non_null(strstr(screen_row(5), "H!billing"));
	assert_non_null(strstr(screen_row(7), "SL 75% · ASA 0:42 · AHT 6:10 · FRT 0:35 · abandoned 1"));
	assert_non_null(strstr(screen_row(11), "agent            presence status"));
	assert_non_null(strstr(screen_row(12), "HAND #3          0:12 billing    Bob de Vries"));
	assert_non_null(strstr(screen_row(13), "SLA! #1          3:05 billing"));
	ui_close(ui);
	fclose(out);
	fclose(in);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows_put_stranded_agents_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_what_a_row_acts_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_selection_follows_across_refreshes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ascii_sparkline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_more_than_listed_and_not_loaded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_and_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scroll_keeps_the_row_and_its_detail_in_sight,
						setup, teardown),
		cmocka_unit_test(test_layout),
		cmocka_unit_test_setup_teardown(test_attention_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drawn_at_80x24_and_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hand_drawn_at_80x24, setup, teardown),
	};

	setlocale(LC_ALL, "C.UTF-8");
	unsetenv("NO_COLOR");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
