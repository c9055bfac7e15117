/* Unit tests of the ui: the views drawn into a real curses screen (newterm
 * on a file, no terminal), read back cell by cell. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "balie/text.h"
#include "balie/ui.h"
#include "balie/view.h"
#include "test_screen.h"
#include "test_view_fixture.h"

struct fixture {
	struct model m;
	struct keys_map keys;
	struct view_state st;
	struct ui *ui;
	FILE *out, *in;
	int pipefd[2];
};

static struct fixture *open_screen(const char *term)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct ui_options opt = { false, UI_BELL_OFF };
	char err[256];

	fix_model(&f->m);
	keys_defaults(&f->keys);
	view_state_init(&f->st, &f->keys, 0);
	f->st.conn = VIEW_ONLINE;
	f->out = tmpfile();
	assert_non_null(f->out);
	assert_int_equal(pipe(f->pipefd), 0);
	f->in = fdopen(f->pipefd[0], "r");
	f->ui = ui_open(f->out, f->in, term, &opt, err, sizeof err);
	assert_non_null(f->ui);
	ui_resize_to(f->ui, 24, 80);
	return f;
}

static int setup(void **state)
{
	unsetenv("NO_COLOR");
	*state = open_screen("xterm-256color");
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ui_close(f->ui);
	fclose(f->out);
	fclose(f->in);
	close(f->pipefd[1]);
	view_state_free(&f->st);
	model_free(&f->m);
	free(f);
	return 0;
}

/* Prints the screen when BALIE_TEST_DUMP is set, to see why a test fails. */
static void dump(void)
{
	int y;

	if (!getenv("BALIE_TEST_DUMP"))
		return;
	for (y = 0; y < LINES; y++)
		fprintf(stderr, "%2d|%s\n", y, screen_row(y));
}

static attr_t attr_at(int y, int x)
{
	cchar_t cc;
	attr_t a = 0;
	short pair = 0;
	wchar_t wc[CCHARW_MAX + 1];

	assert_int_equal(mvwin_wch(curscr, y, x, &cc), OK);
	getcchar(&cc, wc, &a, &pair, NULL);
	return a;
}

/* Draws the agent screen of F. */
static void render(struct fixture *f)
{
	struct ui_frame uf = { &f->m, &f->st, FIX_NOW, NULL, NULL };

	ui_render(f->ui, UI_SCREEN_AGENT, &uf);
}

/* Bytes the ui has written to its terminal so far. */
static long written(struct fixture *f)
{
	return screen_written(f->out);
}

static void test_draws_queue_at_80x24(void **state)
{
	struct fixture *f = *state;

	render(f);
	dump();
	assert_non_null(strstr(screen_row(0), "balie · Ann Jansen (ann)"));
	assert_non_null(strstr(screen_row(0), "2 waiting · 2 with a person · 1 with the bot"));
	assert_non_null(strstr(screen_row(1), "state"));
	assert_non_null(strstr(screen_row(1), "customer"));
	/* Mine first, then the waiting ones, other people's, the bot's. */
	assert_true(strncmp(screen_row(2), "> HUMAN", 7) == 0);
	assert_non_null(strstr(screen_row(2), " me"));
	assert_non_null(strstr(screen_row(3), "WAIT"));
	assert_non_null(strstr(screen_row(3), "Jan Pietersen"));
	assert_non_null(strstr(screen_row(4), "Mia de Boer"));
	assert_non_null(strstr(screen_row(4), "3:05!"));
	assert_non_null(strstr(screen_row(5), "HUMAN"));
	assert_non_null(strstr(screen_row(5), "Bob de Vries"));
	assert_non_null(strstr(screen_row(6), "BOT"));
	assert_string_equal(screen_row(7), "");
	assert_non_null(strstr(screen_row(23), "online"));
	/* The selection is reverse video, not colour alone; others are not. */
	assert_true(attr_at(2, 10) & A_REVERSE);
	assert_false(attr_at(3, 10) & A_REVERSE);
	/* The header and the status line are bars. */
	assert_true(attr_at(0, 40) & A_REVERSE);
	assert_true(attr_at(23, 40) & A_REVERSE);
}

static void test_draws_open_conversation(void **state)
{
	struct fixture *f = *state;
	struct model_conv *c = model_find(&f->m, 3);
	int y, talking = -1, last = -1;

	fix_msg(&f->m, c, 1, AUTHOR_CUSTOMER, "Where is my card?");
	fix_msg(&f->m, c, 2, AUTHOR_NOTE, "checked the address");
	f->st.open = 3;
	render(f);
	for (y = 0; y < 24; y++) {
		if (strstr(screen_row(y), "talking to: HUMAN (Bob de Vries)"))
			talking = y;
		if (strstr(screen_row(y), "checked the address"))
			last = y;
	}
	assert_true(talking > 1);
	assert_true(last > talking);
	assert_string_equal(screen_row(last), "        checked the address");
	assert_non_null(strstr(screen_row(last - 1), "note (internal)"));
	assert_non_null(strstr(screen_row(last - 2), "customer Where is my card?"));
	/* The list keeps a few rows above the pane. */
	assert_non_null(strstr(screen_row(3), "WAIT"));
	assert_non_null(strstr(screen_row(23), "Esc back"));
}

static void test_only_changes_are_sent(void **state)
{
	struct fixture *f = *state;
	long before, first, unchanged, one_row;
	struct model_conv *c;

	before = written(f);
	render(f);
	first = written(f) - before;
	before = written(f);
	render(f);
	unchanged = written(f) - before;
	/* One clock ticks: a few cells of one row. */
	c = model_find(&f->m, 5);
	c->created_at -= 1;
	before = written(f);
	render(f);
	one_row = written(f) - before;
	assert_true(first > 500);
	assert_true(unchanged < 10);
	assert_true(one_row > 0);
	assert_true(one_row < 40);
	assert_non_null(strstr(screen_row(6), "1:02:06"));
}

static void test_hostile_text_on_screen(void **state)
{
	struct fixture *f = *state;
	struct model_conv *c = model_find(&f->m, 2);
	int y, found = -1;

	free(c->customer_name);
	c->customer_name = xstrdup("\033]0;pwned\007\033[2J\033[31mred\302\233");
	render(f);
	for (y = 0; y < 24; y++)
		if (strstr(screen_row(y), "␛]0;pwned␇␛["))
			found = y;
	assert_int_equal(found, 3);
	/* Nothing was cleared or moved: the other rows are still there. */
	assert_non_null(strstr(screen_row(4), "Mia de Boer"));
	assert_non_null(strstr(screen_row(0), "Ann Jansen"));
}

static void test_compose_line_and_cursor(void **state)
{
	struct fixture *f = *state;
	struct compose line;
	int y, x;

	compose_init(&line, 0);
	compose_set(&line, "Hello Sanne");
	f->st.open = 4;
	f->st.mode = VIEW_MODE_COMPOSE;
	f->st.compose = &line;
	snprintf(f->st.prompt, sizeof f->st.prompt, "reply to #4 (Sanne Vermeulen)");
	render(f);
	/* Read first: reading cells moves curscr's cursor. */
	getyx(curscr, y, x);
	dump();
	assert_string_equal(screen_row(22), "reply to #4 (Sanne Vermeulen)>  Hello Sanne");
	assert_int_equal(y, 22);
	assert_int_equal(x, (int)strlen("reply to #4 (Sanne Vermeulen)>  Hello Sanne"));
	f->st.compose = NULL;
	compose_free(&line);
}

static void test_too_small_never_crashes(void **state)
{
	struct fixture *f = *state;
	int sizes[][2] = { { 5, 20 }, { 1, 1 }, { 9, 80 }, { 24, 39 }, { 3, 10 }, { 2, 200 } };
	size_t i;

	f->st.open = 1;
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		ui_resize_to(f->ui, sizes[i][0], sizes[i][1]);
		render(f);
		assert_int_equal(LINES, sizes[i][0]);
		assert_int_equal(COLS, sizes[i][1]);
	}
	ui_resize_to(f->ui, 5, 20);
	render(f);
	assert_string_equal(screen_row(0), "terminal too small …");
	assert_string_equal(screen_row(1), "");
	ui_resize_to(f->ui, 10, 80);
	render(f);
	assert_non_null(strstr(screen_row(0), "Ann Jansen"));
	/* Back to a usable size: the whole screen is right again. */
	ui_resize_to(f->ui, 24, 80);
	render(f);
	assert_non_null(strstr(screen_row(0), "Ann Jansen"));
	assert_non_null(strstr(screen_row(23), "Esc back"));
	for (i = 0; i < 24; i++)
		assert_null(strstr(screen_row((int)i), "too small"));
}

static void test_wide_side_by_side(void **state)
{
	struct fixture *f = *state;

	f->st.open = 1;
	ui_resize_to(f->ui, 30, 160);
	render(f);
	dump();
	/* List left, pane right, on the same rows. */
	assert_true(strncmp(screen_row(2), "  HUMAN", 7) == 0 || strncmp(screen_row(2), "> HUMAN", 7) == 0);
	assert_non_null(strstr(screen_row(3), "WAIT"));
	assert_non_null(strstr(screen_row(1), "#1 Mia de Boer"));
	assert_non_null(strstr(screen_row(2), "talking to: BOT"));
	assert_non_null(strstr(screen_row(5), "Bob de Vries"));
	assert_non_null(strstr(screen_row(5), "earlier:"));
}

static void test_help_overlay(void **state)
{
	struct fixture *f = *state;
	int y, found = -1;

	f->st.mode = VIEW_MODE_HELP;
	render(f);
	for (y = 0; y < 24; y++)
		if (strstr(screen_row(y), "takeover") && strstr(screen_row(y), "take the conversation over"))
			found = y;
	assert_true(found > 0);
	/* Closing it brings the list back. */
	f->st.mode = VIEW_MODE_LIST;
	render(f);
	assert_true(strncmp(screen_row(2), "> HUMAN", 7) == 0);
}

static void test_monochrome(void **state)
{
	struct fixture *f;

	(void)state;
	setenv("NO_COLOR", "1", 1);
	f = open_screen("xterm-256color");
	assert_false(ui_has_color(f->ui));
	render(f);
	assert_true(attr_at(2, 10) & A_REVERSE);
	/* WAIT is bold without colour. */
	assert_true(attr_at(3, 2) & A_BOLD);
	teardown((void **)&f);
	unsetenv("NO_COLOR");
	f = open_screen("vt100");
	assert_false(ui_has_color(f->ui));
	render(f);
	assert_true(strncmp(screen_row(2), "> HUMAN", 7) == 0);
	teardown((void **)&f);
	f = open_screen("xterm-256color");
	assert_true(ui_has_color(f->ui));
	teardown((void **)&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_draws_queue_at_80x24, setup, teardown),
		cmocka_unit_test_setup_teardown(test_draws_open_conversation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_changes_are_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_text_on_screen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compose_line_and_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_small_never_crashes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wide_side_by_side, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_overlay, setup, teardown),
		cmocka_unit_test(test_monochrome),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "C.utf8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
