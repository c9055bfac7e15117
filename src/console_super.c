/* console_super: the supervisor screen inside the console (S, --supervisor),
 * its keys and actions, and the presence heartbeat every console sends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "balie/super.h"
#include "balie/sync.h"
#include "balie/text.h"
#include "balie/ui_super.h"
#include "balie/util.h"
#include "balie/view_super.h"
#include "console_priv.h"

/* Presence ----------------------------------------------------------------------- */

static void send_heartbeat(struct console *con, bool away)
{
	struct action hb = { .kind = ACTION_HEARTBEAT, .flag = away };

	sync_act(con->sync, &hb, NULL, NULL);
	con->told_away = away;
	con->last_heartbeat = console_now_s();
}

/* Every HEARTBEAT_SECONDS: still here, and whether keys were pressed lately
 * (writing in $EDITOR counts as being here). */
static void on_heartbeat(uv_timer_t *t)
{
	struct console *con = t->data;

	/* Relay mode: attached means online, so an idle console sends nothing. */
	if (!con->model.me || con->vs.conn != VIEW_ONLINE || con->opt.relay)
		return;
	send_heartbeat(con, !con->editing &&
		       console_now_s() - con->last_key >= (int64_t)con->cfg.away_after);
}

void console_activity(struct console *con)
{
	con->last_key = console_now_s();
	/* Back from away: say so now, not at the next beat. */
	if (con->told_away && con->model.me && con->vs.conn == VIEW_ONLINE)
		send_heartbeat(con, false);
}

/* The refresher's events -------------------------------------------------------------- */

static void on_super_updated(struct super *s, void *user)
{
	struct console *con = user;

	view_super_refresh(&con->vsup, super_data(s));
	if (con->super_shown)
		console_schedule(con);
}

static void on_super_error(struct super *s, const char *message, void *user)
{
	struct console *con = user;

	(void)s;
	if (con->super_shown) {
		say(con, VIEW_ROLE_ERROR, "%s", message);
		console_schedule(con);
	}
}

void console_super_on_notify(struct sync *s, const char *channel, const char *payload, void *user)
{
	struct console *con = user;

	(void)s;
	if (con->super)
		super_notify(con->super, channel, payload);
}

void console_super_conn(struct console *con, bool online)
{
	if (con->super)
		super_online(con->super, online);
}

/* Life cycle ------------------------------------------------------------------------ */

void console_super_start(struct console *con)
{
	struct super_events ev = { 0 };

	ev.updated = on_super_updated;
	ev.error = on_super_error;
	ev.user = con;
	view_super_init(&con->vsup);
	con->super = super_new(con->loop, con->sync, NULL, &ev);
	con->usup = ui_super_new(con->ui);
	con->last_key = console_now_s();
	uv_timer_init(con->loop, &con->heartbeat);
	con->heartbeat.data = con;
	uv_timer_start(&con->heartbeat, on_heartbeat, HEARTBEAT_SECONDS * 1000,
		       HEARTBEAT_SECONDS * 1000);
}

void console_super_stop(struct console *con)
{
	if (!con->super)
		return;
	uv_close((uv_handle_t *)&con->heartbeat, NULL);
	super_stop(con->super);
	con->super = NULL;
	ui_super_free(con->usup);
	con->usup = NULL;
	view_super_free(&con->vsup);
}

void console_super_show(struct console *con, bool show)
{
	if (!con->super || show == con->super_shown)
		return;
	if (show) {
		/* Whatever was being typed is kept as a draft. */
		if (con->vs.mode == VIEW_MODE_COMPOSE)
			console_leave_compose(con, true);
		con->vs.mode = VIEW_MODE_LIST;
		con->vs.compose = NULL;
		view_super_refresh(&con->vsup, super_data(con->super));
		ui_super_invalidate(con->usup);
	} else {
		if (con->vs.mode != VIEW_MODE_LIST)
			con->vs.mode = VIEW_MODE_LIST;
		ui_super_hide(con->usup);
	}
	con->super_shown = show;
	super_show(con->super, show);
	console_schedule(con);
}

void console_super_render(struct console *con)
{
	ui_super_render(con->usup, &con->model, &con->vs, super_data(con->super), &con->vsup,
			console_server_now(con));
}

/* Actions ------------------------------------------------------------------------------ */

static void on_super_result(const struct action_result *r, const struct action *a, void *arg)
{
	struct console *con = arg;
	long long id = (long long)a->conv;

	console_schedule(con);
	if (r->outcome != ACTION_DONE) {
		if (a->conv)
			say(con, VIEW_ROLE_ERROR, "#%lld: %s", id, r->message);
		else
			say(con, VIEW_ROLE_ERROR, "%s", r->message);
		return;
	}
	switch (a->kind) {
	case ACTION_PAUSE_BOT:
		if (a->flag)
			say(con, VIEW_ROLE_OK, "the bot of %s is paused: new conversations wait "
			    "for a person", a->arg);
		else
			say(con, VIEW_ROLE_OK, "the bot of %s talks to new customers again", a->arg);
		break;
	case ACTION_ASSIGN:
		say(con, VIEW_ROLE_OK, "#%lld is yours now (Enter opens it)", id);
		break;
	case ACTION_TAKEOVER:
		if (r->value && strcmp(r->value, "t") == 0)
			say(con, VIEW_ROLE_OK, "#%lld is yours now (Enter opens it)", id);
		else
			say(con, VIEW_ROLE_ERROR, "#%lld was taken by someone else first", id);
		break;
	default:
		break;
	}
}

static void act(struct console *con, enum action_kind kind, int64_t conv, const char *arg,
		bool flag)
{
	struct action a = { .kind = kind, .conv = conv, .arg = arg, .flag = flag };

	sync_act(con->sync, &a, on_super_result, con);
}

static bool online(struct console *con)
{
	if (con->vs.conn == VIEW_ONLINE)
		return true;
	say(con, VIEW_ROLE_ERROR, "not connected — try again when back online");
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
		console_super_show(con, false);
		free(con->vs.search);
		con->vs.search = xstrdup(q->id);
		con->vs.list_top = 0;
		say(con, VIEW_ROLE_NORMAL, "conversations matching \"%s\" (Esc clears the filter, "
		    "S goes back)", q->id);
		return;
	}
	if (!id) {
		say(con, VIEW_ROLE_NORMAL, "%s has no open conversation",
		    ag && ag->display_name ? ag->display_name : "nobody");
		return;
	}
	if (!model_find(&con->model, id)) {
		say(con, VIEW_ROLE_ERROR, "#%lld is still loading: try again in a moment", (long long)id);
		return;
	}
	console_super_show(con, false);
	console_open_pane(con, id);
}

/* t: a conversation someone has is assigned to me; an unowned one is taken
 * over the usual way (the store decides a race). */
static void take_selected(struct console *con, const struct super_data *d)
{
	int64_t id = view_super_conv(&con->vsup, d);
	const struct model_conv *c = id ? model_find(&con->model, id) : NULL;
	const struct super_agent *ag = view_super_agent(&con->vsup, d);

	if (!id) {
		say(con, VIEW_ROLE_NORMAL, "select a conversation to take over");
		return;
	}
	if (!online(con))
		return;
	if (c && c->state == MODEL_HUMAN && util_streq(c->agent, con->model.me)) {
		say(con, VIEW_ROLE_NORMAL, "#%lld is already yours", (long long)id);
		return;
	}
	if (c && (c->state == MODEL_BOT || c->state == MODEL_WAITING)) {
		act(con, ACTION_TAKEOVER, id, NULL, false);
		say(con, VIEW_ROLE_NORMAL, "taking over #%lld…", (long long)id);
		return;
	}
	act(con, ACTION_ASSIGN, id, con->model.me, false);
	say(con, VIEW_ROLE_NORMAL, "taking #%lld over from %s…", (long long)id,
	    ag && ag->display_name ? ag->display_name : "its agent");
}

/* x: the queue picker of the agent screen, for this conversation. */
static void transfer_selected(struct console *con, const struct super_data *d)
{
	int64_t id = view_super_conv(&con->vsup, d);
	const struct model_conv *c = id ? model_find(&con->model, id) : NULL;

	if (!id) {
		say(con, VIEW_ROLE_NORMAL, "select a conversation to transfer");
		return;
	}
	if (!c) {
		say(con, VIEW_ROLE_ERROR, "#%lld is still loading: try again in a moment", (long long)id);
		return;
	}
	if (!online(con))
		return;
	con->vsup.pick_conv = id;
	console_pick_queue(con, c);
}

/* p: asks before pausing or resuming the selected queue's bot. */
static void ask_pause(struct console *con, const struct super_data *d)
{
	const struct super_queue *q = view_super_queue(&con->vsup, d);
	char *id;

	if (!q) {
		say(con, VIEW_ROLE_NORMAL, "select a queue (the top rows) to pause or resume its bot");
		return;
	}
	if (!online(con))
		return;
	snprintf(con->pause_queue, sizeof con->pause_queue, "%s", q->id);
	con->pause_to = !q->bot_paused;
	/* Short enough that y/n stays in sight on 80 columns. */
	id = text_clean(q->id, con->vs.text_flags);
	if (con->pause_to)
		snprintf(con->vs.prompt, sizeof con->vs.prompt, "pause the bot of %s? new "
			 "conversations will wait for a person. y/n ", id);
	else
		snprintf(con->vs.prompt, sizeof con->vs.prompt, "resume the bot of %s? y/n ", id);
	free(id);
	con->vs.mode = VIEW_MODE_CONFIRM;
}

static void pause_answer(struct console *con, unsigned code)
{
	con->vs.mode = VIEW_MODE_LIST;
	if (code != 'y' && code != 'Y') {
		say(con, VIEW_ROLE_NORMAL, con->pause_to ? "the bot keeps talking" :
		    "the bot stays paused");
		return;
	}
	if (!online(con))
		return;
	act(con, ACTION_PAUSE_BOT, 0, con->pause_queue, con->pause_to);
	say(con, VIEW_ROLE_NORMAL, "%s the bot of %s…", con->pause_to ? "pausing" : "resuming",
	    con->pause_queue);
}

bool console_super_key(struct console *con, int is_keycode, unsigned value)
{
	unsigned code = keys_code(is_keycode, value);
	enum keys_action a = keys_lookup(con->vs.keys, code);
	const struct super_data *d = super_data(con->super);
	long page = ui_super_agent_rows(con->usup) > 2 ? ui_super_agent_rows(con->usup) - 1 : 1;

	switch (con->vs.mode) {
	case VIEW_MODE_CONFIRM:
		pause_answer(con, code);
		return true;
	case VIEW_MODE_LIST:
		break;
	default:
		/* The queue picker and the help screen work as on the agent screen. */
		return false;
	}
	switch (a) {
	case KEYS_ACT_DOWN:
		view_super_move(&con->vsup, d, 1);
		break;
	case KEYS_ACT_UP:
		view_super_move(&con->vsup, d, -1);
		break;
	case KEYS_ACT_PAGE_DOWN:
		view_super_move(&con->vsup, d, page);
		break;
	case KEYS_ACT_PAGE_UP:
		view_super_move(&con->vsup, d, -page);
		break;
	case KEYS_ACT_HOME:
		view_super_select(&con->vsup, d, 0);
		break;
	case KEYS_ACT_END:
		if (con->vsup.nitems)
			view_super_select(&con->vsup, d, con->vsup.nitems - 1);
		break;
	case KEYS_ACT_OPEN:
		open_selected(con, d);
		break;
	case KEYS_ACT_TAKEOVER:
		take_selected(con, d);
		break;
	case KEYS_ACT_TRANSFER:
		transfer_selected(con, d);
		break;
	case KEYS_ACT_PAUSE_BOT:
		ask_pause(con, d);
		break;
	case KEYS_ACT_SUPERVISOR:
		console_super_show(con, false);
		break;
	case KEYS_ACT_REDRAW:
		ui_super_invalidate(con->usup);
		break;
	case KEYS_ACT_HELP:
	case KEYS_ACT_QUIT:
		return false;
	case KEYS_ACT_BACK:
	case KEYS_ACT_NONE:
	case KEYS_ACT_COUNT:
		break;
	default: {
		char key[32] = "S";
		unsigned k = keys_first(con->vs.keys, KEYS_ACT_SUPERVISOR);

		if (k != KEYS_NO_KEY)
			keys_name(k, key, sizeof key);
		say(con, VIEW_ROLE_NORMAL, "%s works in the agent view: %s goes there",
		    keys_action_name(a), key);
		break;
	}
	}
	return true;
}
