/* Unit tests of the console's keys (console_keys.c, console_agent.c,
 * console_verb.c): a console with the view fixture's model and a real
 * curses screen on a file, no database — every key below is answered
 * locally (a question, a refusal, a mode), so nothing reaches sync. */
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

#include "../../src/console_priv.h"
#include "test_view_fixture.h"

struct fx {
	struct console con;
	FILE *out, *in;
	int pipefd[2];
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	struct console *con = &f->con;
	struct ui_options opt = { true, UI_BELL_OFF };
	char err[256];

	fix_model(&con->model);
	keys_defaults(&con->cfg.keys);
	view_state_init(&con->vs, &con->cfg.keys, 0);
	con->vs.conn = VIEW_ONLINE;
	view_super_init(&con->vsup);
	compose_init(&con->line, 0);
	compose_init(&con->search_line, 256);
	con->screen = &console_agent_screen;
	f->out = tmpfile();
	assert_non_null(f->out);
	assert_int_equal(pipe(f->pipefd), 0);
	f->in = fdopen(f->pipefd[0], "r");
	con->ui = ui_open(f->out, f->in, "xterm", &opt, err, sizeof err);
	assert_non_null(con->ui);
	ui_resize_to(con->ui, 24, 80);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct console *con = &f->con;
	size_t i;

	ui_close(con->ui);
	fclose(f->out);
	fclose(f->in);
	close(f->pipefd[1]);
	for (i = 0; i < con->ndrafts; i++)
		free(con->drafts[i].text);
	free(con->drafts);
	compose_free(&con->line);
	compose_free(&con->search_line);
	view_super_free(&con->vsup);
	view_state_free(&con->vs);
	model_free(&con->model);
	free(f);
	return 0;
}

static void key(struct console *con, unsigned c)
{
	console_handle_key(con, 0, c);
}

static void test_help_opens_and_any_key_closes(void **state)
{
	struct console *con = &((struct fx *)*state)->con;

	key(con, '?');
	assert_int_equal(con->vs.mode, VIEW_MODE_HELP);
	key(con, 'j');
	assert_int_equal(con->vs.help_top, 1);
	key(con, 'x');
	assert_int_equal(con->vs.mode, VIEW_MODE_LIST);
}

static void test_refusals_come_from_the_table(void **state)
{
	struct console *con = &((struct fx *)*state)->con;

	/* The list starts on Ann's own conversation; the next row is the most
	 * urgent waiting one. */
	view_rows_refresh(&con->vs, &con->model, FIX_NOW);
	key(con, 'j');
	assert_int_equal(view_selected(&con->vs)->state, MODEL_WAITING);
	key(con, 'r');
	assert_int_equal(con->vs.mode, VIEW_MODE_LIST);
	assert_non_null(strstr(con->vs.message, "take it over first (t)"));
	key(con, 'p');
	assert_string_equal(con->vs.message,
			    "the supervisor screen is for supervisors; ann is not one");
}

static void test_close_asks_and_no_is_no(void **state)
{
	struct console *con = &((struct fx *)*state)->con;

	con->vs.open = 4;	/* Sanne's, Ann has it (the pane, without sync) */
	key(con, 'c');
	assert_int_equal(con->vs.mode, VIEW_MODE_CONFIRM);
	assert_string_equal(con->vs.prompt, "close #4 (Sanne Vermeulen)? y/n ");
	key(con, 'n');
	assert_int_equal(con->vs.mode, VIEW_MODE_LIST);
	assert_string_equal(con->vs.message, "not closed");
}

static void test_transfer_picks_a_queue_and_esc_cancels(void **state)
{
	struct console *con = &((struct fx *)*state)->con;

	con->vs.open = 4;
	key(con, 'x');
	assert_int_equal(con->vs.mode, VIEW_MODE_PICK);
	assert_int_equal(con->vs.pick_conv, 4);
	/* It starts on the first queue that is not its own (billing). */
	assert_string_equal(con->model.queues[con->vs.pick].id, "health");
	key(con, 'k');
	assert_int_equal(con->vs.pick, 0);
	/* Its own queue: refused in words, nothing sent. */
	key(con, '\n');
	assert_string_equal(con->vs.message, "#4 is in billing already");
	key(con, 'x');
	key(con, 0x1B);
	assert_int_equal(con->vs.mode, VIEW_MODE_LIST);
	assert_string_equal(con->vs.message, "not transferred");
}

static void test_compose_keeps_a_draft(void **state)
{
	struct console *con = &((struct fx *)*state)->con;

	con->vs.open = 4;
	key(con, 'n');
	assert_int_equal(con->vs.mode, VIEW_MODE_COMPOSE);
	assert_string_equal(con->vs.prompt, "note on #4 (Sanne Vermeulen)");
	key(con, 'h');
	key(con, 'i');
	key(con, 0x1B);
	assert_int_equal(con->vs.mode, VIEW_MODE_LIST);
	assert_null(con->vs.compose);
	assert_non_null(console_draft_find(con, 4, VERB_NOTE));
	assert_string_equal(console_draft_find(con, 4, VERB_NOTE)->text, "hi");
	key(con, 'n');
	assert_string_equal(compose_text(&con->line), "hi");
}

static void test_search_filters_as_you_type(void **state)
{
	struct console *con = &((struct fx *)*state)->con;

	key(con, '/');
	assert_int_equal(con->vs.mode, VIEW_MODE_SEARCH);
	key(con, 'M');
	key(con, 'i');
	assert_string_equal(con->vs.search, "Mi");
	key(con, 0x1B);
	assert_int_equal(con->vs.mode, VIEW_MODE_LIST);
	assert_null(con->vs.search);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_help_opens_and_any_key_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_come_from_the_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_asks_and_no_is_no, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transfer_picks_a_queue_and_esc_cancels, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_compose_keeps_a_draft, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_filters_as_you_type, setup, teardown),
	};

	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "C.utf8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
