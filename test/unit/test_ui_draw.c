/* Unit tests of ui_draw: the one frame driver both screens go through —
 * switching screens redraws everything, an unchanged frame costs nothing,
 * too small is said on every screen, the compose line places the cursor. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "balie/ui.h"
#include "test_screen.h"
#include "test_view_fixture.h"

struct fixture {
	struct model m;
	struct keys_map keys;
	struct view_state st;
	struct super_data sd;
	struct view_super sup;
	struct compose line;
	struct ui *ui;
	FILE *out, *in;
	int pipefd[2];
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct ui_options opt = { false, UI_BELL_OFF };
	char err[256];

	unsetenv("NO_COLOR");
	fix_model(&f->m);
	keys_defaults(&f->keys);
	view_state_init(&f->st, &f->keys, 0);
	f->st.conn = VIEW_ONLINE;
	super_data_init(&f->sd);
	view_super_init(&f->sup);
	compose_init(&f->line, 0);
	f->out = tmpfile();
	assert_non_null(f->out);
	assert_int_equal(pipe(f->pipefd), 0);
	f->in = fdopen(f->pipefd[0], "r");
	f->ui = ui_open(f->out, f->in, "xterm-256color", &opt, err, sizeof err);
	assert_non_null(f->ui);
	ui_resize_to(f->ui, 24, 80);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ui_close(f->ui);
	fclose(f->out);
	fclose(f->in);
	close(f->pipefd[1]);
	compose_free(&f->line);
	view_super_free(&f->sup);
	super_data_free(&f->sd);
	view_state_free(&f->st);
	model_free(&f->m);
	free(f);
	return 0;
}

static long written(struct fixture *f)
{
	return screen_written(f->out);
}

static void draw(struct fixture *f, enum ui_screen screen)
{
	struct ui_frame uf = { &f->m, &f->st, FIX_NOW, &f->sd, &f->sup };

	ui_render(f->ui, screen, &uf);
}

static void test_switching_screens_redraws(void **state)
{
	struct fixture *f = *state;
	long before;

	draw(f, UI_SCREEN_AGENT);
	assert_non_null(strstr(screen_row(0), "balie · Ann Jansen (ann)"));
	assert_null(strstr(screen_row(0), "SUPERVISOR"));
	before = written(f);
	draw(f, UI_SCREEN_AGENT);
	/* Nothing changed: not a byte more (the clock does not tick here). */
	assert_int_equal(written(f), before);
	draw(f, UI_SCREEN_SUPER);
	assert_non_null(strstr(screen_row(0), "balie · SUPERVISOR · Ann Jansen (ann)"));
	assert_non_null(strstr(screen_row(2), "loading the figures"));
	/* Nothing of the agent screen shows through. */
	assert_null(strstr(screen_row(5), "Mia de Boer"));
	draw(f, UI_SCREEN_AGENT);
	assert_null(strstr(screen_row(0), "SUPERVISOR"));
	assert_true(written(f) > before);
}

static void test_too_small_on_every_screen(void **state)
{
	struct fixture *f = *state;
	enum ui_screen s;

	for (s = UI_SCREEN_AGENT; s < UI_SCREEN_COUNT; s++) {
		ui_resize_to(f->ui, 8, 30);
		draw(f, s);
		assert_non_null(strstr(screen_row(0), "too small: need 40x10"));
		ui_resize_to(f->ui, 24, 80);
		draw(f, s);
		assert_null(strstr(screen_row(0), "too small"));
		assert_non_null(strstr(screen_row(23), "online"));
	}
}

static void test_prompt_and_overlay(void **state)
{
	struct fixture *f = *state;

	/* The compose line sits above the status line, with its label. */
	compose_set(&f->line, "hello");
	f->st.compose = &f->line;
	f->st.mode = VIEW_MODE_COMPOSE;
	snprintf(f->st.prompt, sizeof f->st.prompt, "reply to #4 (Noor)");
	draw(f, UI_SCREEN_AGENT);
	assert_non_null(strstr(screen_row(22), "reply to #4 (Noor)>  hello"));
	/* The help screen covers the middle on both screens. */
	f->st.compose = NULL;
	f->st.mode = VIEW_MODE_HELP;
	draw(f, UI_SCREEN_SUPER);
	assert_non_null(strstr(screen_row(1), "balie keys"));
	assert_true(ui_overlay_rows(f->ui) == 22);
	f->st.mode = VIEW_MODE_LIST;
	draw(f, UI_SCREEN_SUPER);
	assert_null(strstr(screen_row(1), "balie keys"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_switching_screens_redraws, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_small_on_every_screen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prompt_and_overlay, setup, teardown),
	};

	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "C.utf8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
