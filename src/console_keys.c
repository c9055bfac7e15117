/* console_keys: what a key does — the modes every screen shares (compose
 * line, search, y/n, queue picker, help), then the shown screen's own keys,
 * then the verbs that work everywhere (help, redraw, quit). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "balie/cli.h"
#include "balie/i18n.h"
#include "balie/store_search.h"
#include "balie/util.h"
#include "console_priv.h"

/* The store's answer: kept for the query it was asked for (the list shows
 * its rows while that is the query). */
static void on_search(const struct store_status *st, const char *query, int64_t *ids,
		      size_t n, void *arg)
{
	struct console *con = arg;

	if (st->outcome != STORE_OK || con->stopping) {
		free(ids);
		return;	/* the local search stands (an older schema, offline) */
	}
	free(con->vs.hits);
	free(con->vs.hits_for);
	con->vs.hits = ids;
	con->vs.nhits = n;
	con->vs.hits_for = xstrdup(query);
	console_schedule(con);
}

static void set_search(struct console *con, const char *text)
{
	free(con->vs.search);
	con->vs.search = text && *text ? xstrdup(text) : NULL;
	con->vs.list_top = 0;
	/* Online, the store searches too (accents, case, the owner's name);
	 * offline the list's own search is what there is. */
	if (con->vs.search && con->vs.conn == VIEW_ONLINE && con->sync)
		store_search(sync_db(con->sync), con->vs.search, 200, on_search, con);
}

static enum console_key compose_mode_key(struct console *con, int is_keycode, unsigned value)
{
	if (!is_keycode && value == '\t') {
		console_compose_tab(con);
		return CONSOLE_KEY_HANDLED;
	}
	switch (compose_key(&con->line, is_keycode, value)) {
	case COMPOSE_SUBMIT:
		console_submit_compose(con);
		break;
	case COMPOSE_CANCEL:
		if (console_words_cancel(con))
			break;
		if (compose_len(&con->line))
			say(con, VIEW_ROLE_NORMAL, _("draft kept for #%lld"), (long long)con->compose_conv);
		console_leave_compose(con, true);
		break;
	case COMPOSE_TOO_LONG:
		say(con, VIEW_ROLE_ERROR, _("too long for the compose line: use %s for long replies"),
		    "E ($EDITOR)");
		break;
	case COMPOSE_INVALID:
		say(con, VIEW_ROLE_ERROR, _("that character cannot be sent"));
		break;
	case COMPOSE_OK:
		break;
	case COMPOSE_IGNORED:
		/* Scrolling the transcript keeps working while typing. */
		return CONSOLE_KEY_IGNORED;
	}
	return CONSOLE_KEY_HANDLED;
}

static enum console_key search_mode_key(struct console *con, int is_keycode, unsigned value)
{
	switch (compose_key(&con->search_line, is_keycode, value)) {
	case COMPOSE_SUBMIT:
		set_search(con, compose_text(&con->search_line));
		console_set_mode(con, VIEW_MODE_LIST);
		break;
	case COMPOSE_CANCEL:
		set_search(con, NULL);
		console_set_mode(con, VIEW_MODE_LIST);
		break;
	case COMPOSE_OK:
		/* The list filters as you type. */
		set_search(con, compose_text(&con->search_line));
		break;
	default:
		break;
	}
	return CONSOLE_KEY_HANDLED;
}

static enum console_key pick_key(struct console *con, enum verb v, unsigned code)
{
	struct verb_words w = { .id = con->ask.conv };
	char buf[200];
	size_t n = con->vs.pick_items ? con->vs.npick_items : con->model.nqueues;

	switch (v) {
	case VERB_DOWN:
		if (con->vs.pick + 1 < n)
			con->vs.pick++;
		break;
	case VERB_UP:
		if (con->vs.pick > 0)
			con->vs.pick--;
		break;
	case VERB_OPEN:
		console_picked(con);
		break;
	default:
		if (con->vs.pick_items && (code == 'q' || v == VERB_BACK || v == VERB_QUIT)) {
			console_picked_item(con, false);
		} else if (code == 'q' || v == VERB_BACK || v == VERB_QUIT) {
			console_set_mode(con, VIEW_MODE_LIST);
			if (verb_format(verb_info(con->ask.verb)->cancel, &w, buf, sizeof buf))
				say(con, VIEW_ROLE_NORMAL, "%s", buf);
		}
		break;
	}
	return CONSOLE_KEY_HANDLED;
}

static enum console_key help_key(struct console *con, enum verb v)
{
	size_t rows = (size_t)ui_overlay_rows(con->ui);

	switch (v) {
	case VERB_DOWN:
		con->vs.help_top++;
		break;
	case VERB_UP:
		if (con->vs.help_top)
			con->vs.help_top--;
		break;
	case VERB_PAGE_DOWN:
		con->vs.help_top += rows > 1 ? rows - 1 : 1;
		break;
	case VERB_PAGE_UP:
		con->vs.help_top = con->vs.help_top > rows ? con->vs.help_top - rows : 0;
		break;
	case VERB_HOME:
		con->vs.help_top = 0;
		break;
	case VERB_END:
		con->vs.help_top = SIZE_MAX / 2;	/* the drawing clamps it */
		break;
	case VERB_REDRAW:
		return CONSOLE_KEY_REDRAW;
	default:
		console_set_mode(con, VIEW_MODE_LIST);
		break;
	}
	return CONSOLE_KEY_HANDLED;
}

/* The key in the current mode; list mode is the screen's. */
static enum console_key mode_key(struct console *con, enum verb v, int is_keycode,
				 unsigned value, unsigned code)
{
	enum console_key r;

	switch (con->vs.mode) {
	case VIEW_MODE_COMPOSE:
		r = compose_mode_key(con, is_keycode, value);
		console_compose_typed(con);
		/* Only scrolling and redrawing reach the screen while typing. */
		if (r != CONSOLE_KEY_IGNORED || (v != VERB_PAGE_UP && v != VERB_PAGE_DOWN &&
						 v != VERB_REDRAW))
			return CONSOLE_KEY_HANDLED;
		return con->screen->key(con, v);
	case VIEW_MODE_SEARCH:
		return search_mode_key(con, is_keycode, value);
	case VIEW_MODE_CONFIRM:
		console_answer(con, code);
		return CONSOLE_KEY_HANDLED;
	case VIEW_MODE_PICK:
		return pick_key(con, v, code);
	case VIEW_MODE_HELP:
		return help_key(con, v);
	case VIEW_MODE_LIST:
		break;
	}
	return con->screen->key(con, v);
}

/* The open conversations I hold (a person's, mine). */
static size_t held(const struct console *con)
{
	size_t i, n = 0;

	for (i = 0; i < con->model.nconvs; i++)
		if (con->model.convs[i]->state == MODEL_HUMAN &&
		    model_can_reply(&con->model, con->model.convs[i]))
			n++;
	return n;
}

/* Quits, unless replies wait in the outbox or customers wait for me: then
 * it says so and the second q does. */
static void quit(struct console *con)
{
	size_t kept = sync_outbox_count(con->sync), mine = held(con);

	if (kept && !con->quit_armed) {
		con->quit_armed = true;
		say(con, VIEW_ROLE_ERROR, P_("%zu reply is not sent yet (offline): press q again "
					     "to quit anyway and lose it",
					     "%zu replies are not sent yet (offline): press q again "
					     "to quit anyway and lose them", kept), kept);
		return;
	}
	if (mine && !con->quit_armed) {
		con->quit_armed = true;
		say(con, VIEW_ROLE_ERROR, P_("%zu open conversation stays yours: press q again to quit",
					     "%zu open conversations stay yours: press q again to quit",
					     mine), mine);
		return;
	}
	console_stop(con, EXIT_OK);
}

void console_handle_key(struct console *con, int is_keycode, unsigned value)
{
	unsigned code = keys_code(is_keycode, value);
	enum verb v = keys_lookup(con->vs.keys, code);

	/* Rows point into the model, which events change: rebuild first. */
	view_rows_refresh(&con->vs, &con->model, console_server_now(con));
	if (v != VERB_QUIT && con->quit_armed) {
		/* Not quitting after all: the question goes with the arming. */
		con->quit_armed = false;
		con->vs.message_until = 0;
	}
	console_activity(con);
	switch (mode_key(con, v, is_keycode, value, code)) {
	case CONSOLE_KEY_HANDLED:
		return;
	case CONSOLE_KEY_REDRAW:
		ui_invalidate(con->ui);
		return;
	case CONSOLE_KEY_QUIT:
		quit(con);
		return;
	case CONSOLE_KEY_IGNORED:
		break;
	}
	/* What no screen took: the verbs that work everywhere. */
	switch (v) {
	case VERB_HELP:
		console_set_mode(con, VIEW_MODE_HELP);
		break;
	case VERB_REDRAW:
		ui_invalidate(con->ui);
		break;
	case VERB_QUIT:
		quit(con);
		break;
	default:
		break;
	}
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
