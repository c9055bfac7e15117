/* console_keys: what each key does in each mode of the console. */
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

/* Keys ---------------------------------------------------------------------------- */

static void scroll_pane(struct console *con, long delta)
{
	const struct view_doc *body = ui_pane_body(con->ui);
	struct model_conv *c = model_find(&con->model, con->vs.open);

	if (!body || !c)
		return;
	view_pane_scroll(&con->vs, body, delta);
	c->focus_seq = con->vs.pane_seq;
	/* Reaching the top loads the next page of older messages; reaching the
	 * bottom of a window that lost its newest loads the next newer page. */
	if (view_pane_wants_older(&con->vs, c) && sync_load_older(con->sync, c->id))
		con->vs.loading_older = true;
	else if (delta > 0 && view_pane_wants_newer(&con->vs, c) &&
		 sync_load_newer(con->sync, c->id))
		con->vs.loading_newer = true;
}

static long page(struct console *con)
{
	long h = con->vs.open ? con->vs.pane_height : ui_list_rows(con->ui);

	return h > 2 ? h - 1 : 1;
}

static void do_takeover(struct console *con, struct model_conv *c)
{
	if (console_refused(con, c, KEYS_ACT_TAKEOVER))
		return;
	console_open_pane(con, c->id);
	console_act(con, ACTION_TAKEOVER, c->id, NULL, NULL);
	say(con, VIEW_ROLE_NORMAL, "taking over #%lld…", (long long)c->id);
}

static void ask_close(struct console *con, struct model_conv *c)
{
	char *name;

	if (console_refused(con, c, KEYS_ACT_CLOSE))
		return;
	name = text_clean(console_customer(c), con->vs.text_flags);
	snprintf(con->vs.prompt, sizeof con->vs.prompt, "close #%lld (%s)? y/n ",
		 (long long)c->id, name);
	free(name);
	con->confirm_conv = c->id;
	con->vs.mode = VIEW_MODE_CONFIRM;
}

void console_pick_queue(struct console *con, const struct model_conv *c)
{
	size_t i;

	if (con->model.nqueues == 0) {
		say(con, VIEW_ROLE_ERROR, "no queues known yet: try again in a moment");
		return;
	}
	con->pick_conv = c->id;
	con->vs.pick = 0;
	/* Start on the first queue that is not its own: that is where it goes. */
	for (i = 0; i < con->model.nqueues; i++) {
		if (!util_streq(con->model.queues[i].id, c->queue)) {
			con->vs.pick = i;
			break;
		}
	}
	con->vs.help_top = 0;
	con->vs.mode = VIEW_MODE_PICK;
}

static void ask_transfer(struct console *con, struct model_conv *c)
{
	if (console_refused(con, c, KEYS_ACT_TRANSFER))
		return;
	console_pick_queue(con, c);
}

static void start_search(struct console *con)
{
	compose_clear(&con->search_line);
	if (con->vs.search)
		compose_set(&con->search_line, con->vs.search);
	snprintf(con->vs.prompt, sizeof con->vs.prompt, "search");
	con->vs.compose = &con->search_line;
	con->vs.mode = VIEW_MODE_SEARCH;
}

static void set_search(struct console *con, const char *text)
{
	free(con->vs.search);
	con->vs.search = text && *text ? xstrdup(text) : NULL;
	con->vs.list_top = 0;
}

static void quit(struct console *con)
{
	size_t kept = sync_outbox_count(con->sync);

	if (kept && !con->quit_armed) {
		con->quit_armed = true;
		say(con, VIEW_ROLE_ERROR, "%zu %s not sent yet (offline): press q again to quit "
		    "anyway and lose %s", kept, kept == 1 ? "reply is" : "replies are",
		    kept == 1 ? "it" : "them");
		return;
	}
	console_stop(con, EXIT_OK);
}

static void list_key(struct console *con, enum keys_action a)
{
	struct model_conv *c;
	bool pane = con->vs.open != 0;

	switch (a) {
	case KEYS_ACT_DOWN:
		if (pane)
			scroll_pane(con, 1);
		else
			view_select_move(&con->vs, 1);
		break;
	case KEYS_ACT_UP:
		if (pane)
			scroll_pane(con, -1);
		else
			view_select_move(&con->vs, -1);
		break;
	case KEYS_ACT_PAGE_DOWN:
		if (pane)
			scroll_pane(con, page(con));
		else
			view_select_move(&con->vs, page(con));
		break;
	case KEYS_ACT_PAGE_UP:
		if (pane)
			scroll_pane(con, -page(con));
		else
			view_select_move(&con->vs, -page(con));
		break;
	case KEYS_ACT_HOME:
		if (pane)
			scroll_pane(con, -(long)con->vs.pane_lines);
		else
			view_select_row(&con->vs, 0);
		break;
	case KEYS_ACT_END:
		if (pane)
			console_pane_newest(con);
		else if (con->vs.nrows)
			view_select_row(&con->vs, con->vs.nrows - 1);
		break;
	case KEYS_ACT_OPEN:
		c = view_selected(&con->vs);
		if (c)
			console_open_pane(con, c->id);
		else
			say(con, VIEW_ROLE_NORMAL, "no conversation to open");
		break;
	case KEYS_ACT_BACK:
		if (pane)
			console_close_pane(con);
		else if (con->vs.search)
			set_search(con, NULL);
		break;
	case KEYS_ACT_TAKEOVER:
		do_takeover(con, console_target(con));
		break;
	case KEYS_ACT_REPLY:
		c = console_target(con);
		if (!console_refused(con, c, KEYS_ACT_REPLY))
			console_start_compose(con, c, KIND_REPLY);
		break;
	case KEYS_ACT_REPLY_EDITOR:
		c = console_target(con);
		if (!console_refused(con, c, KEYS_ACT_REPLY_EDITOR))
			console_edit_reply(con, c);
		break;
	case KEYS_ACT_NOTE:
		c = console_target(con);
		if (!console_refused(con, c, KEYS_ACT_NOTE))
			console_start_compose(con, c, KIND_NOTE);
		break;
	case KEYS_ACT_AGREEMENT:
		c = console_target(con);
		if (!console_refused(con, c, KEYS_ACT_AGREEMENT))
			console_start_compose(con, c, KIND_AGREEMENT);
		break;
	case KEYS_ACT_HANDBACK:
		c = console_target(con);
		if (!console_refused(con, c, KEYS_ACT_HANDBACK)) {
			console_act(con, ACTION_HANDBACK, c->id, NULL, NULL);
			say(con, VIEW_ROLE_NORMAL, "handing #%lld back to the bot…", (long long)c->id);
		}
		break;
	case KEYS_ACT_TRANSFER:
		ask_transfer(con, console_target(con));
		break;
	case KEYS_ACT_CLOSE:
		ask_close(con, console_target(con));
		break;
	case KEYS_ACT_SEARCH:
		start_search(con);
		break;
	case KEYS_ACT_SUPERVISOR:
	case KEYS_ACT_PAUSE_BOT:
		if (con->model.me_supervisor)
			console_super_show(con, true);
		else
			say(con, VIEW_ROLE_ERROR, "the supervisor screen is for supervisors; "
			    "%s is not one", con->model.me ? con->model.me : "this role");
		break;
	case KEYS_ACT_HELP:
		con->vs.help_top = 0;
		con->vs.mode = VIEW_MODE_HELP;
		break;
	case KEYS_ACT_REDRAW:
		ui_invalidate(con->ui);
		break;
	case KEYS_ACT_QUIT:
		quit(con);
		break;
	case KEYS_ACT_NONE:
	case KEYS_ACT_COUNT:
		break;
	}
}

static void compose_mode_key(struct console *con, int is_keycode, unsigned value)
{
	enum keys_action a;

	switch (compose_key(&con->line, is_keycode, value)) {
	case COMPOSE_SUBMIT:
		console_submit_compose(con);
		return;
	case COMPOSE_CANCEL:
		if (compose_len(&con->line))
			say(con, VIEW_ROLE_NORMAL, "draft kept for #%lld", (long long)con->compose_conv);
		console_leave_compose(con, true);
		return;
	case COMPOSE_TOO_LONG:
		say(con, VIEW_ROLE_ERROR, "too long for the compose line: use %s for long replies",
		    "E ($EDITOR)");
		return;
	case COMPOSE_INVALID:
		say(con, VIEW_ROLE_ERROR, "that character cannot be sent");
		return;
	case COMPOSE_OK:
		return;
	case COMPOSE_IGNORED:
		break;
	}
	/* Scrolling the transcript keeps working while typing. */
	a = keys_lookup(con->vs.keys, keys_code(is_keycode, value));
	if (a == KEYS_ACT_PAGE_UP || a == KEYS_ACT_PAGE_DOWN || a == KEYS_ACT_REDRAW)
		list_key(con, a);
}

static void search_mode_key(struct console *con, int is_keycode, unsigned value)
{
	switch (compose_key(&con->search_line, is_keycode, value)) {
	case COMPOSE_SUBMIT:
		set_search(con, compose_text(&con->search_line));
		con->vs.mode = VIEW_MODE_LIST;
		con->vs.compose = NULL;
		return;
	case COMPOSE_CANCEL:
		set_search(con, NULL);
		con->vs.mode = VIEW_MODE_LIST;
		con->vs.compose = NULL;
		return;
	case COMPOSE_OK:
		/* The list filters as you type. */
		set_search(con, compose_text(&con->search_line));
		return;
	default:
		return;
	}
}

static void confirm_key(struct console *con, unsigned value)
{
	struct model_conv *c = model_find(&con->model, con->confirm_conv);

	con->vs.mode = VIEW_MODE_LIST;
	if (value != 'y' && value != 'Y') {
		say(con, VIEW_ROLE_NORMAL, "not closed");
		return;
	}
	if (!c) {
		say(con, VIEW_ROLE_ERROR, "#%lld is gone from your queues", (long long)con->confirm_conv);
		return;
	}
	if (console_refused(con, c, KEYS_ACT_CLOSE))
		return;
	console_act(con, ACTION_CLOSE, c->id, NULL, NULL);
	say(con, VIEW_ROLE_NORMAL, "closing #%lld…", (long long)c->id);
}

static void pick_key(struct console *con, enum keys_action a, unsigned code)
{
	struct model_conv *c = model_find(&con->model, con->pick_conv);
	const struct model_queue *q;

	switch (a) {
	case KEYS_ACT_DOWN:
		if (con->vs.pick + 1 < con->model.nqueues)
			con->vs.pick++;
		return;
	case KEYS_ACT_UP:
		if (con->vs.pick > 0)
			con->vs.pick--;
		return;
	case KEYS_ACT_OPEN:
		break;
	default:
		if (code == 'q' || a == KEYS_ACT_BACK || a == KEYS_ACT_QUIT) {
			con->vs.mode = VIEW_MODE_LIST;
			say(con, VIEW_ROLE_NORMAL, "not transferred");
		}
		return;
	}
	con->vs.mode = VIEW_MODE_LIST;
	if (!c || con->vs.pick >= con->model.nqueues) {
		say(con, VIEW_ROLE_ERROR, "#%lld is gone from your queues", (long long)con->pick_conv);
		return;
	}
	q = &con->model.queues[con->vs.pick];
	if (util_streq(q->id, c->queue)) {
		say(con, VIEW_ROLE_ERROR, "#%lld is in %s already", (long long)c->id, q->id);
		return;
	}
	if (console_refused(con, c, KEYS_ACT_TRANSFER))
		return;
	console_act(con, ACTION_TRANSFER, c->id, NULL, q->id);
	say(con, VIEW_ROLE_NORMAL, "transferring #%lld to %s…", (long long)c->id, q->id);
}

static void help_key(struct console *con, enum keys_action a)
{
	int rows = ui_overlay_rows(con->ui);

	switch (a) {
	case KEYS_ACT_DOWN:
		con->vs.help_top++;
		break;
	case KEYS_ACT_UP:
		if (con->vs.help_top)
			con->vs.help_top--;
		break;
	case KEYS_ACT_PAGE_DOWN:
		con->vs.help_top += (size_t)(rows > 1 ? rows - 1 : 1);
		break;
	case KEYS_ACT_PAGE_UP:
		con->vs.help_top = con->vs.help_top > (size_t)rows ? con->vs.help_top - (size_t)rows : 0;
		break;
	default:
		con->vs.mode = VIEW_MODE_LIST;
		break;
	}
}

void console_handle_key(struct console *con, int is_keycode, unsigned value)
{
	unsigned code = keys_code(is_keycode, value);
	enum keys_action a = keys_lookup(con->vs.keys, code);

	/* Rows point into the model, which events change: rebuild first. */
	view_rows_refresh(&con->vs, &con->model, console_server_now(con));
	if (a != KEYS_ACT_QUIT)
		con->quit_armed = false;
	console_activity(con);
	if (con->super_shown && console_super_key(con, is_keycode, value))
		return;
	switch (con->vs.mode) {
	case VIEW_MODE_COMPOSE:
		compose_mode_key(con, is_keycode, value);
		break;
	case VIEW_MODE_SEARCH:
		search_mode_key(con, is_keycode, value);
		break;
	case VIEW_MODE_CONFIRM:
		confirm_key(con, code);
		break;
	case VIEW_MODE_PICK:
		pick_key(con, a, code);
		break;
	case VIEW_MODE_HELP:
		help_key(con, a);
		break;
	case VIEW_MODE_LIST:
		list_key(con, a);
		break;
	}
}

