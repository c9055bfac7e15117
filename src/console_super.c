/* console_super: the supervisor screen inside the console (S, --supervisor):
 * its list-mode keys, and the refresher that keeps its figures current. */
#include <stdio.h>
#include <stdlib.h>

#include "balie/i18n.h"
#include "balie/util.h"
#include "console_priv.h"

/* The refresher's events -------------------------------------------------------------- */

static void on_super_updated(struct super *s, void *user)
{
	struct console *con = user;

	view_super_refresh(&con->vsup, super_data(s));
	if (con->screen == &console_super_screen)
		console_schedule(con);
}

static void on_super_error(struct super *s, const char *message, void *user)
{
	struct console *con = user;

	(void)s;
	if (con->screen == &console_super_screen) {
		say(con, VIEW_ROLE_ERROR, "%s", message);
		console_schedule(con);
	}
}

void console_super_conn(struct console *con, bool online)
{
	if (con->super)
		super_online(con->super, online);
}

void console_super_start(struct console *con)
{
	struct super_events ev = { 0 };

	ev.updated = on_super_updated;
	ev.error = on_super_error;
	ev.user = con;
	view_super_init(&con->vsup);
	con->super = super_new(con->loop, con->sync, NULL, &ev);
}

void console_super_stop(struct console *con)
{
	if (!con->super)
		return;
	super_stop(con->super);
	con->super = NULL;
	view_super_free(&con->vsup);
}

/* Keys ------------------------------------------------------------------------------------ */

static bool online(struct console *con)
{
	if (con->vs.conn == VIEW_ONLINE)
		return true;
	say(con, VIEW_ROLE_ERROR, _("not connected — try again when back online"));
	return false;
}

/* Enter: a conversation opens in the agent view with its full context; a
 * queue shows its conversations there. */
static void open_selected(struct console *con, const struct super_data *d)
{
	const struct super_queue *q = view_super_queue(&con->vsup, d);
	const struct super_agent *ag = view_super_agent(&con->vsup, d);
	int64_t id = view_super_conv(&con->vsup, d);

	if (q) {
		console_show(con, &console_agent_screen);
		free(con->vs.search);
		con->vs.search = xstrdup(q->id);
		con->vs.list_top = 0;
		say(con, VIEW_ROLE_NORMAL, _("conversations matching \"%s\" (Esc clears the filter, "
		    "S goes back)"), q->id);
		return;
	}
	if (!id) {
		say(con, VIEW_ROLE_NORMAL, _("%s has no open conversation"),
		    ag && ag->display_name ? ag->display_name : _("nobody"));
		return;
	}
	if (!model_find(&con->model, id)) {
		say(con, VIEW_ROLE_ERROR, _("#%lld is still loading: try again in a moment"), (long long)id);
		return;
	}
	console_show(con, &console_agent_screen);
	console_open_pane(con, id);
}

/* t: a conversation someone has is assigned to me; an unowned one is taken
 * over the usual way (the store decides a race). */
static void take_selected(struct console *con, const struct super_data *d)
{
	int64_t id = view_super_conv(&con->vsup, d);
	const struct model_conv *c = id ? model_find(&con->model, id) : NULL;
	struct action call = { .kind = VERB_ASSIGN, .conv = id, .arg = con->model.me };

	if (!id) {
		say(con, VIEW_ROLE_NORMAL, _("select a conversation to take over"));
		return;
	}
	if (!online(con))
		return;
	if (c && c->state == MODEL_HUMAN && util_streq(c->agent, con->model.me)) {
		say(con, VIEW_ROLE_NORMAL, _("#%lld is already yours"), (long long)id);
		return;
	}
	if (c && (c->state == MODEL_BOT || c->state == MODEL_WAITING))
		call = (struct action){ .kind = VERB_TAKEOVER, .conv = id };
	console_send(con, &call);
}

/* x: the queue picker of the agent screen, for this conversation. */
static void transfer_selected(struct console *con, const struct super_data *d)
{
	int64_t id = view_super_conv(&con->vsup, d);
	const struct model_conv *c = id ? model_find(&con->model, id) : NULL;

	if (!id) {
		say(con, VIEW_ROLE_NORMAL, _("select a conversation to transfer"));
		return;
	}
	if (!c) {
		say(con, VIEW_ROLE_ERROR, _("#%lld is still loading: try again in a moment"), (long long)id);
		return;
	}
	if (online(con))
		console_pick_queue(con, c);
}

/* p: asks before pausing or resuming the selected queue's bot. */
static void ask_pause(struct console *con, const struct super_data *d)
{
	const struct super_queue *q = view_super_queue(&con->vsup, d);
	struct console_ask ask = { .verb = VERB_PAUSE_BOT };

	if (!q) {
		say(con, VIEW_ROLE_NORMAL, _("select a queue (the top rows) to pause or resume its bot"));
		return;
	}
	if (!online(con))
		return;
	snprintf(ask.arg, sizeof ask.arg, "%s", q->id);
	ask.flag = !q->bot_paused;
	console_ask_yesno(con, &ask);
}

static long super_page(struct console *con)
{
	int rows = ui_page_rows(con->ui);

	return rows > 2 ? rows - 1 : 1;
}

static enum console_key super_key(struct console *con, enum verb v)
{
	const struct super_data *d = super_data(con->super);
	char key[32] = "S";
	unsigned k;

	switch (v) {
	case VERB_DOWN: view_super_move(&con->vsup, d, 1); break;
	case VERB_UP: view_super_move(&con->vsup, d, -1); break;
	case VERB_PAGE_DOWN: view_super_move(&con->vsup, d, super_page(con)); break;
	case VERB_PAGE_UP: view_super_move(&con->vsup, d, -super_page(con)); break;
	case VERB_HOME: view_super_select(&con->vsup, d, 0); break;
	case VERB_END:
		if (con->vsup.nitems)
			view_super_select(&con->vsup, d, con->vsup.nitems - 1);
		break;
	case VERB_OPEN: open_selected(con, d); break;
	case VERB_TAKEOVER: take_selected(con, d); break;
	case VERB_TRANSFER: transfer_selected(con, d); break;
	case VERB_PAUSE_BOT: ask_pause(con, d); break;
	case VERB_SUPERVISOR: console_show(con, &console_agent_screen); break;
	case VERB_BACK:
	case VERB_NONE:
		break;
	default:
		if (verb_info(v)->screens & VERB_ON_SUPER)
			return CONSOLE_KEY_IGNORED;	/* help, redraw, quit */
		k = keys_first(con->vs.keys, VERB_SUPERVISOR);
		if (k != KEYS_NO_KEY)
			keys_name(k, key, sizeof key);
		say(con, VIEW_ROLE_NORMAL, _("%s works in the agent view: %s goes there"),
		    verb_info(v)->name, key);
		break;
	}
	return CONSOLE_KEY_HANDLED;
}

const struct console_screen console_super_screen = {
	UI_SCREEN_SUPER, super_key, NULL,
};
