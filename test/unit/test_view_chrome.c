/* Unit tests of view_chrome: the frame every screen shares (layout, hints,
 * the picker's title from the verb table), without a terminal. */
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

static void test_layout(void **state)
{
	struct view_layout l;

	(void)state;
	view_layout(24, 80, false, false, &l);
	assert_false(l.too_small);
	assert_false(l.wide);
	assert_int_equal(l.header.h, 1);
	assert_int_equal(l.status.y, 23);
	assert_int_equal(l.list.y, 1);
	assert_int_equal(l.list.h, 22);
	assert_int_equal(l.pane.h, 0);
	/* An open conversation gets most rows; the prompt takes one. */
	view_layout(24, 80, true, true, &l);
	assert_int_equal(l.prompt.y, 22);
	assert_true(l.pane.h > 2 * l.list.h);
	assert_int_equal(l.list.h + l.pane.h, 21);
	assert_int_equal(l.pane.y, l.list.y + l.list.h);
	/* Wide: side by side. */
	view_layout(40, 160, false, false, &l);
	assert_true(l.wide);
	assert_int_equal(l.list.h, l.pane.h);
	assert_int_equal(l.list.w + l.sep.w + l.pane.w, 160);
	/* Too small below 40x10, at every size down to 1x1. */
	view_layout(9, 80, false, false, &l);
	assert_true(l.too_small);
	view_layout(24, 39, false, false, &l);
	assert_true(l.too_small);
	view_layout(1, 1, true, true, &l);
	assert_true(l.too_small);
	view_layout(10, 40, true, true, &l);
	assert_false(l.too_small);
	assert_true(l.pane.h >= 1 && l.list.h >= 1);
	assert_string_equal(view_too_small_text(80), "terminal too small (need 40x10)");
	/* Narrower: the size it needs stays whole (issue 14 #2). */
	assert_string_equal(view_too_small_text(25), "too small: need 40x10");
	assert_string_equal(view_too_small_text(12), "need 40x10");
}


/* A third screen splits the middle its own way and gets the frame for free. */
static void split_thirds(struct view_layout *l, struct view_rect mid, const void *arg)
{
	int n = *(const int *)arg, i;

	for (i = 0; i < n; i++)
		l->body[i] = (struct view_rect){ mid.y + i * (mid.h / n), 0, mid.h / n, mid.w };
}

static void test_a_third_screen_costs_no_copy(void **state)
{
	struct view_layout l;
	int n = 3;

	(void)state;
	view_layout_screen(24, 80, true, split_thirds, &n, &l);
	assert_false(l.too_small);
	assert_int_equal(l.header.y, 0);
	assert_int_equal(l.prompt.y, 22);
	assert_int_equal(l.status.y, 23);
	assert_int_equal(l.overlay.y, 1);
	assert_int_equal(l.overlay.h, 21);
	assert_int_equal(l.body[0].h, 7);
	assert_int_equal(l.body[2].y, 15);
	view_layout_screen(5, 80, false, split_thirds, &n, &l);
	assert_true(l.too_small);
	assert_int_equal(l.body[0].h, 0);
}

static void test_hints_and_picker(void **state)
{
	struct view_fixture *f = *state;

	view_line(&f->d, VIEW_ROLE_STATUS, 0);
	view_hint(&f->d, &f->st, VERB_TAKEOVER, "take over");
	view_hint(&f->d, &f->st, VERB_HEARTBEAT, "never shown: no key");
	assert_string_equal(line(&f->d, 0), " t take over");
	view_doc_clear(&f->d);
	view_picker(&f->d, &f->m, model_find(&f->m, 1), &f->st, 80);
	assert_string_equal(line(&f->d, 0), " transfer #1 to which queue?");
	assert_non_null(strstr(line(&f->d, 2), "billing"));
	assert_non_null(strstr(line(&f->d, 2), "(its queue now)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_a_third_screen_costs_no_copy),
		cmocka_unit_test_setup_teardown(test_hints_and_picker, view_fixture_setup, view_fixture_teardown),
	};

	setlocale(LC_ALL, "C.UTF-8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
