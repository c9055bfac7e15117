/* console_events: what sync tells the console — connection, changes,
 * transcripts — turned into status lines, bells and the pane's state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/cli.h"
#include "balie/i18n.h"
#include "balie/text.h"
#include "balie/util.h"
#include "console_priv.h"

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

/* The record of ID, added when new (*FRESH). */
static struct seen *seen_get(struct console *con, int64_t id, bool *fresh)
{
	size_t i;

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
	*fresh = !con->seen[i].id;
	if (*fresh) {
		con->seen[i] = (struct seen){ .id = id, .state = MODEL_STATE_UNKNOWN, .msgs = -1 };
		con->nseen++;
	}
	return &con->seen[i];
}

struct seen *console_seen(struct console *con, int64_t id)
{
	size_t i;

	if (!con->seen_cap)
		return NULL;
	i = seen_slot(con, id);
	return con->seen[i].id ? &con->seen[i] : NULL;
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
	console_set_viewing(con, 0, NULL);
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
	console_set_viewing(con, id, "viewing");
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
			say(con, VIEW_ROLE_OK, _("back online — everything re-read"));
		con->vs.conn = VIEW_ONLINE;
		if (!con->ever_online) {
			con->ever_online = true;
			con->startup = true;	/* the first load follows: no bells */
			if (!con->model.me) {
				con->vs.role_name = _("not registered as an agent");
				say(con, VIEW_ROLE_ERROR, _("this database role is not registered as a "
				    "balie agent: ask an administrator (balie.add_agent)"));
			} else if (con->opt.supervisor && !con->model.me_supervisor) {
				snprintf(con->fatal, sizeof con->fatal,
					 _("--supervisor: %s (%s) is not a supervisor"),
					 con->model.me_name ? con->model.me_name : con->model.me,
					 con->model.me);
				console_request_stop(con, EXIT_FAILURE_RUNTIME);
				return;
			} else if (con->opt.supervisor) {
				console_show(con, &console_super_screen);
			}
		}
		if (con->vs.open && con->vs.history.conv != con->vs.open)
			sync_fetch_history(con->sync, con->vs.open);
		console_presence_online(con);
		/* Where we are, again: the store may have lost it meanwhile. */
		con->view_sent = 0;
		con->act_sent = NULL;
		console_set_viewing(con, con->view_want, con->act_want);
		break;
	case SYNC_RETRY_WAIT:
		con->vs.conn = VIEW_OFFLINE;
		con->vs.retry_s = (retry_ms + 999) / 1000;
		break;
	case SYNC_FAILED:
		con->vs.conn = VIEW_FAILED;
		snprintf(con->fatal, sizeof con->fatal, "%s", reason && *reason ? reason :
			 _("cannot connect to the database"));
		console_request_stop(con, EXIT_FAILURE_RUNTIME);
		return;
	}
	console_schedule(con);
}

static void on_changed(struct sync *s, struct model_conv *c, enum model_apply how, void *user)
{
	struct console *con = user;
	bool fresh;
	struct seen *sn = seen_get(con, c->id, &fresh);
	enum model_state prev = sn->state;
	int prev_msgs = sn->msgs;

	(void)s;
	(void)how;
	if (prev != c->state)
		sn->alerted = 0;
	sn->state = c->state;
	sn->msgs = c->message_count;
	console_shift_changed(con, c, prev, prev_msgs);
	/* A new escalation is said, not rung: it rings when it stays
	 * unclaimed (console_shift_tick). */
	if (c->state == MODEL_WAITING && prev != MODEL_WAITING && !con->startup) {
		if (c->id != con->vs.open)
			say(con, VIEW_ROLE_WAITING, _("new escalation: #%lld %s (%s)"),
			    (long long)c->id, console_customer(c), c->reason ? c->reason : c->queue);
	}
	if (c->id == con->vs.open) {
		bool mine = model_can_reply(&con->model, c);

		if (c->state == MODEL_HUMAN && !mine &&
		    (con->open_state != MODEL_HUMAN || !util_streq(con->open_agent, c->agent)))
			say(con, VIEW_ROLE_ERROR, _("#%lld was taken over by %s"), (long long)c->id,
			    model_agent_name(&con->model, c->agent));
		else if (c->state == MODEL_CLOSED && con->open_state != MODEL_CLOSED &&
			 c->id != con->sent_away)
			say(con, VIEW_ROLE_NORMAL, _("#%lld is closed"), (long long)c->id);
		else if (c->state == MODEL_BOT && con->open_state == MODEL_HUMAN)
			say(con, VIEW_ROLE_NORMAL, _("#%lld is back with the bot"), (long long)c->id);
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
			say(con, VIEW_ROLE_NORMAL, _("#%lld left your queues (moved or reassigned)"),
			    (long long)id);
		console_close_pane(con);
		if (con->vs.mode == VIEW_MODE_COMPOSE)
			console_leave_compose(con, true);
		else if (con->vs.mode != VIEW_MODE_LIST && con->vs.mode != VIEW_MODE_HELP)
			console_set_mode(con, VIEW_MODE_LIST);
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


void console_sync_events(struct console *con, struct sync_events *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->conn = on_conn;
	ev->changed = on_changed;
	ev->removed = on_removed;
	ev->transcript = on_transcript;
	ev->history = on_history;
	ev->meta = on_meta;
	ev->error = on_error;
	ev->user = con;
}
