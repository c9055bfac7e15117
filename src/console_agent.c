/* console_agent: the agent's screen — the queue list and the open
 * conversation; its list-mode keys move, open and start verbs. */
#include <stdio.h>
#include <stdlib.h>

#include "console_priv.h"
#include "balie/i18n.h"

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

static long agent_page(struct console *con)
{
	long h = con->vs.open ? con->vs.pane_height : ui_page_rows(con->ui);

	return h > 2 ? h - 1 : 1;
}

/* Up, down, pages, ends: the pane when one is open, else the list. */
static enum console_key move(struct console *con, enum verb v)
{
	bool pane = con->vs.open != 0;
	long delta = 0;

	switch (v) {
	case VERB_DOWN: delta = 1; break;
	case VERB_UP: delta = -1; break;
	case VERB_PAGE_DOWN: delta = agent_page(con); break;
	case VERB_PAGE_UP: delta = -agent_page(con); break;
	case VERB_HOME:
		if (pane)
			scroll_pane(con, -(long)con->vs.pane_lines);
		else
			view_select_row(&con->vs, 0);
		return CONSOLE_KEY_HANDLED;
	case VERB_END:
		if (pane)
			console_pane_newest(con);
		else if (con->vs.nrows)
			view_select_row(&con->vs, con->vs.nrows - 1);
		return CONSOLE_KEY_HANDLED;
	default:
		return CONSOLE_KEY_IGNORED;
	}
	if (pane)
		scroll_pane(con, delta);
	else
		view_select_move(&con->vs, delta);
	return CONSOLE_KEY_HANDLED;
}

static void start_search(struct console *con)
{
	compose_clear(&con->search_line);
	if (con->vs.search)
		compose_set(&con->search_line, con->vs.search);
	snprintf(con->vs.prompt, sizeof con->vs.prompt, _("search"));
	console_set_mode(con, VIEW_MODE_SEARCH);
}

static void open_selected(struct console *con)
{
	struct model_conv *c = view_selected(&con->vs);

	if (c)
		console_open_pane(con, c->id);
	else
		say(con, VIEW_ROLE_NORMAL, _("no conversation to open"));
}

static void back(struct console *con)
{
	if (con->vs.open) {
		console_close_pane(con);
	} else if (con->vs.search) {
		free(con->vs.search);
		con->vs.search = NULL;
		con->vs.list_top = 0;
	}
}

static void to_supervisor(struct console *con)
{
	if (con->model.me_supervisor && con->super)
		console_show(con, &console_super_screen);
	else if (!con->model.me_supervisor)
		say(con, VIEW_ROLE_ERROR, _("the supervisor screen is for supervisors; "
		    "%s is not one"), con->model.me ? con->model.me : _("this role"));
}

static enum console_key agent_key(struct console *con, enum verb v)
{
	const struct verb_info *info = verb_info(v);

	if (move(con, v) == CONSOLE_KEY_HANDLED)
		return CONSOLE_KEY_HANDLED;
	switch (v) {
	case VERB_OPEN:
		open_selected(con);
		return CONSOLE_KEY_HANDLED;
	case VERB_BACK:
		back(con);
		return CONSOLE_KEY_HANDLED;
	case VERB_SEARCH:
		start_search(con);
		return CONSOLE_KEY_HANDLED;
	case VERB_TAKE_NEXT:
		console_take_next(con);
		return CONSOLE_KEY_HANDLED;
	case VERB_STATUS:
		console_toggle_status(con);
		return CONSOLE_KEY_HANDLED;
	case VERB_SUPERVISOR:
	case VERB_PAUSE_BOT:
		to_supervisor(con);
		return CONSOLE_KEY_HANDLED;
	default:
		break;
	}
	/* Every other verb of this screen that asks or calls, as its row says:
	 * on the open or selected conversation, or on none. */
	if ((info->screens & VERB_ON_AGENT) && (info->policy & VERB_IF_CONV)) {
		console_verb(con, v, console_target(con));
		return CONSOLE_KEY_HANDLED;
	}
	if ((info->screens & VERB_ON_AGENT) && info->done) {
		console_verb(con, v, NULL);
		return CONSOLE_KEY_HANDLED;
	}
	return CONSOLE_KEY_IGNORED;
}

/* The model keeps its bounded window around the message the agent reads. */
static void agent_rendered(struct console *con)
{
	struct model_conv *c = con->vs.open ? model_find(&con->model, con->vs.open) : NULL;

	if (c)
		c->focus_seq = con->vs.pane_seq;
	console_shift_rendered(con);
}

const struct console_screen console_agent_screen = {
	UI_SCREEN_AGENT, agent_key, agent_rendered,
};
