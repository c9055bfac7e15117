/* console: the agent's screen, wiring sync, views and ui to one loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "balie/cli.h"
#include "balie/compose.h"
#include "balie/config.h"
#include "balie/console.h"
#include "balie/keys.h"
#include "balie/model.h"
#include "balie/sync.h"
#include "balie/text.h"
#include "balie/ui.h"
#include "balie/util.h"
#include "balie/view.h"
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


/* The conversation actions apply to: the open one, else the selected row. */
struct model_conv *console_target(struct console *con)
{
	if (con->vs.open)
		return model_find(&con->model, con->vs.open);
	view_rows_refresh(&con->vs, &con->model, console_server_now(con));
	return view_selected(&con->vs);
}

const char *console_customer(const struct model_conv *c)
{
	if (c && c->customer_name && *c->customer_name)
		return c->customer_name;
	return c && c->customer_ref ? c->customer_ref : "";
}


/* What changed ------------------------------------------------------------ */

static size_t seen_slot(const struct console *con, int64_t id)
{
	size_t mask = con->seen_cap - 1;
	size_t i = (size_t)((uint64_t)id * UINT64_C(0x9E3779B97F4A7C15) >> 20) & mask;

	while (con->seen[i].id && con->seen[i].id != id)
		i = (i + 1) & mask;
	return i;
}

/* Records ID's STATE and returns the one recorded before (UNKNOWN: new). */
static enum model_state seen_swap(struct console *con, int64_t id, enum model_state state)
{
	size_t i;
	enum model_state prev;

	if ((con->nseen + 1) * 2 > con->seen_cap) {
		struct seen *old = con->seen;
		size_t cap = con->seen_cap, k;

		con->seen_cap = cap ? cap * 2 : 256;
		con->seen = xcalloc(con->seen_cap, sizeof *con->seen);
		for (k = 0; k < cap; k++)
			if (old[k].id)
				con->seen[seen_slot(con, old[k].id)] = old[k];
		free(old);
	}
	i = seen_slot(con, id);
	if (!con->seen[i].id) {
		con->seen[i] = (struct seen){ id, state };
		con->nseen++;
		return MODEL_STATE_UNKNOWN;
	}
	prev = con->seen[i].state;
	con->seen[i].state = state;
	return prev;
}

static void remember_open(struct console *con, const struct model_conv *c)
{
	free(con->open_agent);
	con->open_agent = c ? xstrdup(c->agent) : NULL;
	con->open_state = c ? c->state : MODEL_STATE_UNKNOWN;
}

/* Opening and closing the pane ----------------------------------------------- */

void console_close_pane(struct console *con)
{
	int64_t id = con->vs.open;

	if (!id)
		return;
	con->vs.open = 0;
	con->vs.pane_seq = 0;
	con->vs.loading_older = false;
	con->vs.loading_newer = false;
	view_clear_history(&con->vs);
	remember_open(con, NULL);
	/* May drop a closed conversation from the model: rows are rebuilt
	 * before they are used again. */
	sync_close_transcript(con->sync, id);
}

void console_open_pane(struct console *con, int64_t id)
{
	struct model_conv *c = model_find(&con->model, id);

	if (!c)
		return;
	if (con->vs.open == id) {
		console_pane_newest(con);
		return;
	}
	console_close_pane(con);
	con->vs.open = id;
	con->vs.selected = id;
	con->vs.loading_older = false;
	con->vs.loading_newer = false;
	view_pane_follow(&con->vs);
	remember_open(con, c);
	sync_open_transcript(con->sync, id);
	sync_fetch_history(con->sync, id);
}


void console_pane_newest(struct console *con)
{
	struct model_conv *c = model_find(&con->model, con->vs.open);

	/* A window paged far back lost the newest messages: load them first. */
	if (c && sync_load_newest(con->sync, c->id)) {
		con->vs.loading_older = false;
		con->vs.loading_newer = false;
	}
	view_pane_follow(&con->vs);
}


/* Sync events ------------------------------------------------------------------ */

static void request_stop(struct console *con, int code);

static void on_conn(struct sync *s, enum sync_conn st, const char *reason, unsigned retry_ms,
		    void *user)
{
	struct console *con = user;
	char *clean = text_clean(reason, con->vs.text_flags);

	(void)s;
	snprintf(con->vs.conn_reason, sizeof con->vs.conn_reason, "%s", clean);
	free(clean);
	console_super_conn(con, st == SYNC_ONLINE);
	switch (st) {
	case SYNC_CONNECTING:
		con->vs.conn = VIEW_CONNECTING;
		break;
	case SYNC_ONLINE:
		if (con->ever_online && con->vs.conn != VIEW_ONLINE)
			say(con, VIEW_ROLE_OK, "back online — everything re-read");
		con->vs.conn = VIEW_ONLINE;
		if (!con->ever_online) {
			con->ever_online = true;
			con->startup = true;	/* the first load follows: no bells */
			if (!con->model.me) {
				con->vs.role_name = "not registered as an agent";
				say(con, VIEW_ROLE_ERROR, "this database role is not registered as a "
				    "balie agent: ask an administrator (balie.add_agent)");
			} else if (con->opt.supervisor && !con->model.me_supervisor) {
				snprintf(con->fatal, sizeof con->fatal,
					 "--supervisor: %s (%s) is not a supervisor",
					 con->model.me_name ? con->model.me_name : con->model.me,
					 con->model.me);
				request_stop(con, EXIT_FAILURE_RUNTIME);
				return;
			} else if (con->opt.supervisor) {
				console_super_show(con, true);
			}
		}
		if (con->vs.open && con->vs.history.conv != con->vs.open)
			sync_fetch_history(con->sync, con->vs.open);
		if (con->model.me) {
			struct action hb = { .kind = ACTION_HEARTBEAT };

			sync_act(con->sync, &hb, NULL, NULL);
			con->last_heartbeat = console_now_s();
			con->told_away = false;
		}
		break;
	case SYNC_RETRY_WAIT:
		con->vs.conn = VIEW_OFFLINE;
		con->vs.retry_s = (retry_ms + 999) / 1000;
		break;
	case SYNC_FAILED:
		con->vs.conn = VIEW_FAILED;
		snprintf(con->fatal, sizeof con->fatal, "%s", reason && *reason ? reason :
			 "cannot connect to the database");
		request_stop(con, EXIT_FAILURE_RUNTIME);
		return;
	}
	console_schedule(con);
}

static void on_changed(struct sync *s, struct model_conv *c, enum model_apply how, void *user)
{
	struct console *con = user;
	enum model_state prev = seen_swap(con, c->id, c->state);

	(void)s;
	(void)how;
	if (c->state == MODEL_WAITING && prev != MODEL_WAITING && !con->startup) {
		con->bell_pending = true;
		if (c->id != con->vs.open)
			say(con, VIEW_ROLE_WAITING, "new escalation: #%lld %s (%s)",
			    (long long)c->id, console_customer(c), c->reason ? c->reason : c->queue);
	}
	if (c->id == con->vs.open) {
		bool mine = model_can_reply(&con->model, c);

		if (c->state == MODEL_HUMAN && !mine &&
		    (con->open_state != MODEL_HUMAN || !util_streq(con->open_agent, c->agent)))
			say(con, VIEW_ROLE_ERROR, "#%lld was taken over by %s", (long long)c->id,
			    model_agent_name(&con->model, c->agent));
		else if (c->state == MODEL_CLOSED && con->open_state != MODEL_CLOSED &&
			 c->id != con->sent_away)
			say(con, VIEW_ROLE_NORMAL, "#%lld is closed", (long long)c->id);
		else if (c->state == MODEL_BOT && con->open_state == MODEL_HUMAN)
			say(con, VIEW_ROLE_NORMAL, "#%lld is back with the bot", (long long)c->id);
		remember_open(con, c);
	}
	console_schedule(con);
}

static void on_removed(struct sync *s, int64_t id, void *user)
{
	struct console *con = user;

	(void)s;
	if (id == con->vs.open) {
		if (id != con->sent_away)
			say(con, VIEW_ROLE_NORMAL, "#%lld left your queues (moved or reassigned)",
			    (long long)id);
		console_close_pane(con);
		if (con->vs.mode != VIEW_MODE_LIST && con->vs.mode != VIEW_MODE_HELP) {
			if (con->vs.mode == VIEW_MODE_COMPOSE)
				console_draft_save(con, con->compose_conv, con->kind, compose_text(&con->line));
			con->vs.mode = VIEW_MODE_LIST;
		}
	}
	console_schedule(con);
}

static void on_transcript(struct sync *s, struct model_conv *c, void *user)
{
	struct console *con = user;

	(void)s;
	if (c->id == con->vs.open) {
		con->vs.loading_older = false;
		con->vs.loading_newer = false;
	}
	console_schedule(con);
}

static void on_history(struct sync *s, int64_t conv, const struct model_history *h, size_t n,
		       void *user)
{
	struct console *con = user;

	(void)s;
	if (conv == con->vs.open) {
		view_set_history(&con->vs, conv, h, n);
		console_schedule(con);
	}
}

static void on_meta(struct sync *s, void *user)
{
	(void)s;
	console_schedule(user);
}

static void on_error(struct sync *s, const char *message, void *user)
{
	struct console *con = user;

	(void)s;
	say(con, VIEW_ROLE_ERROR, "%s", message);
	console_schedule(con);
}


/* Loop plumbing ------------------------------------------------------------------ */

/* Draws the agent's screen and tells the model which message the agent
 * reads, so that its bounded window stays around it. */
static void console_render_agent(struct console *con)
{
	struct model_conv *c;

	ui_render(con->ui, &con->model, &con->vs, console_server_now(con));
	c = con->vs.open ? model_find(&con->model, con->vs.open) : NULL;
	if (c)
		c->focus_seq = con->vs.pane_seq;
}

void console_render(struct console *con)
{
	struct frame_mark mark;

	if (con->stopping || con->editing)
		return;
	console_frame_begin(con, &mark);
	con->render_pending = false;
	if (con->bell_pending) {
		con->bell_pending = false;
		ui_bell(con->ui);
	}
	con->vs.outbox = sync_outbox_count(con->sync);
	if (con->super_shown)
		console_super_render(con);
	else
		console_render_agent(con);
	console_frame_end(con, "render", &mark);
}

void console_on_input(uv_poll_t *h, int status, int events)
{
	struct console *con = h->data;
	int is_keycode, n = 0, avail = 0;
	unsigned value;
	struct frame_mark mark;

	if (status < 0 || (events & UV_DISCONNECT)) {
		console_stop(con, EXIT_OK);	/* the terminal went away */
		return;
	}
	console_frame_begin(con, &mark);
	while (!con->stopping && !con->editing && ui_read_key(con->ui, &is_keycode, &value)) {
		console_handle_key(con, is_keycode, value);
		n++;
	}
	if (n == 0 && ioctl(0, FIONREAD, &avail) == 0 && avail == 0) {
		/* Readable with nothing to read, again and again: end of file. */
		if (++con->empty_reads > 20)
			console_stop(con, EXIT_OK);
		return;
	}
	con->empty_reads = 0;
	console_render(con);
	console_frame_end(con, "keys", &mark);
}

static void on_tick(uv_timer_t *h)
{
	struct console *con = h->data;

	if (con->vs.conn == VIEW_OFFLINE)
		con->vs.retry_s = (sync_retry_in_ms(con->sync) + 999) / 1000;
	console_render(con);
}

static void on_check(uv_check_t *h)
{
	struct console *con = h->data;

	/* Events of the first load have all been applied by now. */
	if (con->startup && con->vs.conn == VIEW_ONLINE)
		con->startup = false;
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
	for (i = 0; i < NSIGNALS; i++)
		uv_close((uv_handle_t *)&con->sig[i], NULL);
	uv_close((uv_handle_t *)&con->tick, NULL);
	uv_close((uv_handle_t *)&con->check, NULL);
	uv_close((uv_handle_t *)&con->input, NULL);
	console_frames_stop(con);
	if (con->editing)
		uv_process_kill(&con->editor, SIGTERM);
	console_super_stop(con);
	sync_stop(con->sync);
}

static void on_deferred_stop(uv_timer_t *h)
{
	struct console *con = h->data;

	console_stop(con, con->exit_code);
}

/* Stops from inside a sync callback: sync must not be freed under its own
 * feet, so the stop happens on the next loop turn. */
static void request_stop(struct console *con, int code)
{
	if (con->stop_requested || con->stopping)
		return;
	con->stop_requested = true;
	con->exit_code = code;
	uv_timer_start(&con->tick, on_deferred_stop, 0, 0);
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

int console_main(int argc, char **argv)
{
	static const int signals[NSIGNALS] = { SIGWINCH, SIGTERM, SIGHUP, SIGINT };
	struct console con;
	struct sync_options so = { 0 };
	struct sync_events ev = { 0 };
	struct ui_options uo = { 0 };
	char err[256];
	size_t i;
	int code;

	memset(&con, 0, sizeof con);
	switch (console_parse_args(argc, argv, &con.opt, stdout, stderr)) {
	case CONSOLE_EXIT_OK:
		return EXIT_OK;
	case CONSOLE_EXIT_USAGE:
		return EXIT_USAGE;
	case CONSOLE_RUN:
		break;
	}
	setlocale(LC_ALL, "");
	config_defaults(&con.cfg);
	config_load_default(&con.cfg);
	if (con.cfg.nerrors) {
		for (i = 0; i < con.cfg.nerrors; i++)
			fprintf(stderr, "balie: %s\n", con.cfg.errors[i]);
		config_free(&con.cfg);
		return EXIT_USAGE;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fputs("balie: standard input and output must be a terminal "
		      "(for scripts, use 'balie watch')\n", stderr);
		config_free(&con.cfg);
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);

	con.loop = uv_default_loop();
	model_init(&con.model);
	compose_init(&con.line, 0);
	compose_init(&con.search_line, 256);
	view_state_init(&con.vs, &con.cfg.keys, text_locale_is_utf8() ? 0 : TEXT_ASCII);
	so.retry_max_ms = con.cfg.reconnect_max_ms;
	so.relay = con.opt.relay;
	con.vs.feed = con.opt.relay ? "relay" : NULL;
	ev.conn = on_conn;
	ev.changed = on_changed;
	ev.removed = on_removed;
	ev.transcript = on_transcript;
	ev.history = on_history;
	ev.meta = on_meta;
	ev.error = on_error;
	ev.notify = console_super_on_notify;
	ev.user = &con;
	con.sync = sync_new(con.loop, con.opt.conninfo, &con.model, &so, &ev);
	if (sync_start(con.sync) != 0) {
		char *clean = text_clean(sync_last_error(con.sync), con.vs.text_flags);

		fprintf(stderr, "balie: %s\n", clean);
		free(clean);
		sync_stop(con.sync);
		uv_run(con.loop, UV_RUN_DEFAULT);
		console_free(&con);
		uv_loop_close(con.loop);
		return EXIT_USAGE;
	}

	uo.bell = con.opt.quiet || con.cfg.bell == CONFIG_BELL_OFF ? UI_BELL_OFF :
		  con.cfg.bell == CONFIG_BELL_FLASH ? UI_BELL_FLASH : UI_BELL_BEEP;
	con.ui = ui_open(stdout, stdin, NULL, &uo, err, sizeof err);
	if (!con.ui) {
		fprintf(stderr, "balie: %s\n", err);
		sync_stop(con.sync);
		uv_run(con.loop, UV_RUN_DEFAULT);
		console_free(&con);
		uv_loop_close(con.loop);
		return EXIT_USAGE;
	}
	util_set_fatal_hook(ui_emergency_end);
	apply_colors(&con);
	console_super_start(&con);

	for (i = 0; i < NSIGNALS; i++) {
		uv_signal_init(con.loop, &con.sig[i]);
		con.sig[i].data = &con;
		uv_signal_start(&con.sig[i], on_signal, signals[i]);
	}
	uv_timer_init(con.loop, &con.tick);
	con.tick.data = &con;
	uv_timer_start(&con.tick, on_tick, 1000, 1000);
	uv_check_init(con.loop, &con.check);
	con.check.data = &con;
	uv_check_start(&con.check, on_check);
	uv_poll_init(con.loop, &con.input, STDIN_FILENO);
	con.input.data = &con;
	console_resume_input(&con);
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

