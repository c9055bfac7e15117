/* console: the agent's screen, wiring sync, views and ui to one loop. */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "balie/cli.h"
#include "balie/i18n.h"
#include "balie/text.h"
#include "balie/util.h"
#include "console_priv.h"

int64_t console_now_s(void)
{
	return (int64_t)time(NULL);
}

int64_t console_server_now(const struct console *con)
{
	return model_now(&con->model, console_now_s());
}

void console_schedule(struct console *con)
{
	con->render_pending = true;
}


/* Loop plumbing ------------------------------------------------------------------ */

void console_set_mode(struct console *con, enum view_mode mode)
{
	switch (mode) {
	case VIEW_MODE_LIST:
	case VIEW_MODE_CONFIRM:
		con->vs.compose = NULL;
		break;
	case VIEW_MODE_COMPOSE:
		con->vs.compose = &con->line;
		break;
	case VIEW_MODE_SEARCH:
		con->vs.compose = &con->search_line;
		break;
	case VIEW_MODE_PICK:
	case VIEW_MODE_HELP:
		con->vs.help_top = 0;
		break;
	}
	con->vs.mode = mode;
}

void console_show(struct console *con, const struct console_screen *screen)
{
	if (screen == con->screen)
		return;
	/* Whatever was being typed is kept as a draft. */
	if (con->vs.mode == VIEW_MODE_COMPOSE)
		console_leave_compose(con, true);
	console_set_mode(con, VIEW_MODE_LIST);
	con->screen = screen;
	if (con->super) {
		if (screen == &console_super_screen)
			view_super_refresh(&con->vsup, super_data(con->super));
		super_show(con->super, screen == &console_super_screen);
	}
	console_schedule(con);
}

void console_render(struct console *con)
{
	struct frame_mark mark;
	struct ui_frame f = { 0 };

	if (con->stopping || con->editing)
		return;
	console_frame_begin(con, &mark);
	con->render_pending = false;
	if (con->bell_pending) {
		con->bell_pending = false;
		ui_bell(con->ui);
	}
	con->vs.outbox = sync_outbox_count(con->sync);
	f.m = &con->model;
	f.st = &con->vs;
	f.now = console_server_now(con);
	f.sd = con->super ? super_data(con->super) : NULL;
	f.sup = &con->vsup;
	ui_render(con->ui, con->screen->ui, &f);
	if (con->screen->rendered)
		con->screen->rendered(con);
	console_frame_end(con, "render", &mark);
}

void console_resume_input(struct console *con)
{
	if (!con->stopping && con->input_open)
		console_uv_ok(con, uv_poll_start(&con->input, UV_READABLE | UV_DISCONNECT,
						 console_on_input), _("reading the terminal"));
}

bool console_uv_ok(struct console *con, int r, const char *what)
{
	if (r >= 0)
		return true;
	snprintf(con->fatal, sizeof con->fatal, _("cannot start %s: %s"), what, uv_strerror(r));
	console_request_stop(con, EXIT_FAILURE_RUNTIME);
	return false;
}

static void on_tick(uv_timer_t *h)
{
	struct console *con = h->data;

	if (con->vs.conn == VIEW_OFFLINE)
		con->vs.retry_s = (sync_retry_in_ms(con->sync) + 999) / 1000;
	console_shift_tick(con);
	console_render(con);
}

static void on_check(uv_check_t *h)
{
	struct console *con = h->data;

	/* Events of the first load have all been applied by now. */
	if (con->startup && con->vs.conn == VIEW_ONLINE) {
		con->startup = false;
		console_shift_prime(con);
	}
	if (con->render_pending)
		console_render(con);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct console *con = h->data;

	if (signum == SIGWINCH) {
		if (con->editing) {
			con->resize_pending = true;
			return;
		}
		ui_resize(con->ui);
		console_render(con);
		return;
	}
	/* Ctrl-C inside the editor is the editor's. */
	if (signum == SIGINT && con->editing)
		return;
	console_stop(con, EXIT_OK);
}

void console_stop(struct console *con, int code)
{
	int i;

	if (con->stopping)
		return;
	con->stopping = true;
	if (!con->stop_requested)
		con->exit_code = code;
	for (i = 0; i < con->nsig_open; i++)
		uv_close((uv_handle_t *)&con->sig[i], NULL);
	uv_close((uv_handle_t *)&con->tick, NULL);
	uv_close((uv_handle_t *)&con->check, NULL);
	if (con->input_open)
		uv_close((uv_handle_t *)&con->input, NULL);
	con->input_open = false;
	console_frames_stop(con);
	if (con->editing)
		uv_process_kill(&con->editor, SIGTERM);
	console_presence_stop(con);
	console_shift_stop(con);
	console_super_stop(con);
	sync_stop(con->sync);
}

static void on_deferred_stop(uv_timer_t *h)
{
	struct console *con = h->data;

	console_stop(con, con->exit_code);
}

/* Sync must not be freed under its own feet: the stop happens on the next
 * loop turn. */
void console_request_stop(struct console *con, int code)
{
	if (con->stop_requested || con->stopping)
		return;
	con->stop_requested = true;
	con->exit_code = code;
	if (uv_timer_start(&con->tick, on_deferred_stop, 0, 0) < 0)
		console_stop(con, code);
}


static unsigned to_ui_attrs(unsigned config_attrs)
{
	unsigned a = 0;

	if (config_attrs & CONFIG_ATTR_BOLD)
		a |= UI_ATTR_BOLD;
	if (config_attrs & CONFIG_ATTR_UNDERLINE)
		a |= UI_ATTR_UNDERLINE;
	if (config_attrs & CONFIG_ATTR_REVERSE)
		a |= UI_ATTR_REVERSE;
	if (config_attrs & CONFIG_ATTR_DIM)
		a |= UI_ATTR_DIM;
	return a;
}

/* The config's colour roles and the view roles that take their look. */
static void apply_colors(struct console *con)
{
	static const struct {
		enum config_role from;
		enum view_role to;
	} map[] = {
		{ CONFIG_ROLE_NORMAL, VIEW_ROLE_NORMAL },
		{ CONFIG_ROLE_TITLE, VIEW_ROLE_TITLE },
		{ CONFIG_ROLE_STATUS, VIEW_ROLE_STATUS },
		{ CONFIG_ROLE_STATUS, VIEW_ROLE_HEADER },
		{ CONFIG_ROLE_SELECTED, VIEW_ROLE_SELECTED },
		{ CONFIG_ROLE_WAIT, VIEW_ROLE_WAITING },
		{ CONFIG_ROLE_BREACH, VIEW_ROLE_LATE },
		{ CONFIG_ROLE_BOT, VIEW_ROLE_BOT },
		{ CONFIG_ROLE_HUMAN, VIEW_ROLE_HUMAN },
		{ CONFIG_ROLE_HUMAN, VIEW_ROLE_MINE },
		{ CONFIG_ROLE_CUSTOMER, VIEW_ROLE_CUSTOMER },
		{ CONFIG_ROLE_AGENT, VIEW_ROLE_AGENT },
		{ CONFIG_ROLE_NOTE, VIEW_ROLE_NOTE },
		{ CONFIG_ROLE_SYSTEM, VIEW_ROLE_SYSTEM },
		{ CONFIG_ROLE_SOURCE, VIEW_ROLE_SOURCE },
		{ CONFIG_ROLE_ERROR, VIEW_ROLE_ERROR },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++) {
		const struct config_color *col = &con->cfg.colors[map[i].from];
		unsigned attrs = to_ui_attrs(col->attrs);

		/* The mine/selected distinctions must survive any colour choice. */
		if (map[i].to == VIEW_ROLE_MINE)
			attrs |= UI_ATTR_BOLD;
		ui_set_style(con->ui, map[i].to, col->fg, col->bg, attrs);
	}
}

static void console_free(struct console *con)
{
	view_super_free(&con->vsup);
	size_t i;

	for (i = 0; i < con->ndrafts; i++)
		free(con->drafts[i].text);
	free(con->drafts);
	free(con->seen);
	free(con->open_agent);
	compose_free(&con->line);
	compose_free(&con->search_line);
	view_state_free(&con->vs);
	model_free(&con->model);
	config_free(&con->cfg);
}

/* Reads the command line and the config; returns -1 to go on, else the
 * exit code. */
static int console_setup(struct console *con, int argc, char **argv)
{
	size_t i;

	switch (console_parse_args(argc, argv, &con->opt, stdout, stderr)) {
	case CONSOLE_EXIT_OK:
		return EXIT_OK;
	case CONSOLE_EXIT_USAGE:
		return EXIT_USAGE;
	case CONSOLE_RUN:
		break;
	}
	/* The locale is i18n_init's (main): characters and messages, never
	 * LC_NUMERIC, so decimal points stay points in SQL parameters. */
	config_defaults(&con->cfg);
	config_load_default(&con->cfg);
	if (con->cfg.nerrors) {
		for (i = 0; i < con->cfg.nerrors; i++)
			fprintf(stderr, "balie: %s\n", con->cfg.errors[i]);
		config_free(&con->cfg);
		return EXIT_USAGE;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fputs(_("balie: standard input and output must be a terminal "
		      "(for scripts, use 'balie watch')\n"), stderr);
		config_free(&con->cfg);
		return EXIT_USAGE;
	}
	return -1;
}

/* Ends a console that never ran its loop with MESSAGE on standard error. */
static int console_abort(struct console *con, const char *message)
{
	char *clean = text_clean(message, con->vs.text_flags);

	fprintf(stderr, "balie: %s\n", clean);
	free(clean);
	sync_stop(con->sync);
	uv_run(con->loop, UV_RUN_DEFAULT);
	console_free(con);
	uv_loop_close(con->loop);
	return EXIT_USAGE;
}

/* Signals, the clock, the render check and the terminal, on the loop; every
 * start checked (a failure stops the console with the reason). */
static void console_start_handles(struct console *con)
{
	static const int signals[CONSOLE_NSIGNALS] = {
		[CONSOLE_SIGWINCH] = SIGWINCH, [CONSOLE_SIGTERM] = SIGTERM,
		[CONSOLE_SIGHUP] = SIGHUP, [CONSOLE_SIGINT] = SIGINT,
	};
	size_t i;

	/* Initialised before anything starts (console_stop closes what was);
	 * the clock first, since a failure stops the console through it. */
	uv_timer_init(con->loop, &con->tick);
	con->tick.data = con;
	uv_check_init(con->loop, &con->check);
	con->check.data = con;
	for (i = 0; i < CONSOLE_NSIGNALS; i++) {
		if (!console_uv_ok(con, uv_signal_init(con->loop, &con->sig[i]), _("the signal handlers")))
			break;
		con->sig[i].data = con;
		con->nsig_open = (int)i + 1;
	}
	con->input_open = console_uv_ok(con, uv_poll_init(con->loop, &con->input, STDIN_FILENO),
					_("reading the terminal"));
	con->input.data = con;
	if (con->stop_requested)
		return;
	console_uv_ok(con, uv_timer_start(&con->tick, on_tick, 1000, 1000), _("the clock"));
	for (i = 0; i < (size_t)con->nsig_open; i++)
		console_uv_ok(con, uv_signal_start(&con->sig[i], on_signal, signals[i]),
			      _("the signal handlers"));
	console_uv_ok(con, uv_check_start(&con->check, on_check), _("the screen updates"));
	console_presence_start(con);
	console_shift_start(con);
	console_resume_input(con);
}

int console_main(int argc, char **argv)
{
	struct console con;
	struct sync_options so = { 0 };
	struct sync_events ev;
	struct ui_options uo = { 0 };
	char err[256];
	int code;

	memset(&con, 0, sizeof con);
	code = console_setup(&con, argc, argv);
	if (code >= 0)
		return code;
	signal(SIGPIPE, SIG_IGN);

	con.loop = uv_default_loop();
	con.screen = &console_agent_screen;
	model_init(&con.model);
	compose_init(&con.line, 0);
	compose_init(&con.search_line, 256);
	view_state_init(&con.vs, &con.cfg.keys, text_locale_is_utf8() ? 0 : TEXT_ASCII);
	view_super_init(&con.vsup);
	so.retry_max_ms = con.cfg.reconnect_max_ms;
	console_sync_events(&con, &ev);
	so.relay = con.opt.relay;
	con.vs.feed = con.opt.relay ? "relay" : NULL;
	con.sync = sync_new(con.loop, con.opt.conninfo, &con.model, &so, &ev);
	if (sync_start(con.sync) != 0)
		return console_abort(&con, sync_last_error(con.sync));

	uo.bell = con.opt.quiet || con.cfg.bell == CONFIG_BELL_OFF ? UI_BELL_OFF :
		  con.cfg.bell == CONFIG_BELL_FLASH ? UI_BELL_FLASH : UI_BELL_BEEP;
	con.ui = ui_open(stdout, stdin, NULL, &uo, err, sizeof err);
	if (!con.ui)
		return console_abort(&con, err);
	util_set_fatal_hook(ui_emergency_end);
	apply_colors(&con);
	console_super_start(&con);
	console_start_handles(&con);
	ui_resize(con.ui);
	console_frames_start(&con);
	console_render(&con);

	uv_run(con.loop, UV_RUN_DEFAULT);

	ui_close(con.ui);
	util_set_fatal_hook(NULL);
	code = con.exit_code;
	if (con.fatal[0]) {
		/* It may quote the server (names, messages): sanitised too. */
		char *clean = text_clean(con.fatal, con.vs.text_flags);

		fprintf(stderr, "balie: %s\n", clean);
		free(clean);
	}
	console_frames_close(&con);
	console_free(&con);
	uv_loop_close(con.loop);
	return code;
}
