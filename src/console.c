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

/* How long a status line message stays, in seconds. */
#define MESSAGE_SECONDS 15
/* Heartbeats go out on activity, at most this often (seconds). */
#define HEARTBEAT_MIN_SECONDS 15

enum compose_kind {
	KIND_REPLY,
	KIND_NOTE,
	KIND_AGREEMENT,
};

/* A typed but unsent text, kept per conversation and kind. */
struct draft {
	int64_t conv;
	enum compose_kind kind;
	char *text;
};

/* What we last saw of a conversation, to notice what changed. */
struct seen {
	int64_t id;		/* 0 = free slot */
	enum model_state state;
};

enum { SIG_WINCH, SIG_TERM, SIG_HUP, SIG_INT, NSIGNALS };

struct console {
	uv_loop_t *loop;
	struct model model;
	struct sync *sync;
	struct ui *ui;
	struct config cfg;
	struct console_options opt;
	struct view_state vs;

	uv_poll_t input;
	uv_timer_t tick;
	uv_signal_t sig[NSIGNALS];
	uv_check_t check;
	bool render_pending;
	bool bell_pending;
	int empty_reads;

	/* The compose line and what it is for. */
	struct compose line;
	enum compose_kind kind;
	int64_t compose_conv;
	struct compose search_line;
	struct draft *drafts;
	size_t ndrafts;
	int64_t confirm_conv;	/* the conversation a y/n question is about */
	int64_t pick_conv;	/* the conversation being transferred */

	struct seen *seen;
	size_t seen_cap, nseen;
	enum model_state open_state;	/* of the open conversation, last seen */
	char *open_agent;
	int64_t sent_away;	/* transferred or closed by us: its leaving is no news */
	bool startup;		/* the first load is arriving: no bells */
	bool ever_online;
	bool quit_armed;
	int64_t last_heartbeat;

	/* $EDITOR */
	uv_process_t editor;
	bool editing;
	bool resize_pending;
	char editor_path[256];
	int64_t editor_conv;

	bool stopping;
	bool stop_requested;
	int exit_code;
	char fatal[512];
};

static void render(struct console *con);
static void handle_key(struct console *con, int is_keycode, unsigned value);

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int64_t server_now(const struct console *con)
{
	return model_now(&con->model, now_s());
}

static void schedule(struct console *con)
{
	con->render_pending = true;
}

#define say(con, role, ...) \
	view_message(&(con)->vs, (role), now_s(), MESSAGE_SECONDS, __VA_ARGS__)

/* The conversation actions apply to: the open one, else the selected row. */
static struct model_conv *target(struct console *con)
{
	if (con->vs.open)
		return model_find(&con->model, con->vs.open);
	view_rows_refresh(&con->vs, &con->model, server_now(con));
	return view_selected(&con->vs);
}

static const char *customer(const struct model_conv *c)
{
	if (c && c->customer_name && *c->customer_name)
		return c->customer_name;
	return c && c->customer_ref ? c->customer_ref : "";
}

/* Drafts ------------------------------------------------------------------ */

static struct draft *draft_find(struct console *con, int64_t conv, enum compose_kind kind)
{
	size_t i;

	for (i = 0; i < con->ndrafts; i++)
		if (con->drafts[i].conv == conv && con->drafts[i].kind == kind)
			return &con->drafts[i];
	return NULL;
}

static void draft_drop(struct console *con, int64_t conv, enum compose_kind kind)
{
	struct draft *d = draft_find(con, conv, kind);

	if (!d)
		return;
	free(d->text);
	*d = con->drafts[--con->ndrafts];
}

static void draft_save(struct console *con, int64_t conv, enum compose_kind kind,
		       const char *text)
{
	struct draft *d;

	if (!text || !*text) {
		draft_drop(con, conv, kind);
		return;
	}
	d = draft_find(con, conv, kind);
	if (!d) {
		con->drafts = xrealloc(con->drafts, (con->ndrafts + 1) * sizeof *con->drafts);
		d = &con->drafts[con->ndrafts++];
		*d = (struct draft){ conv, kind, NULL };
	}
	free(d->text);
	d->text = xstrdup(text);
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

static void close_pane(struct console *con)
{
	int64_t id = con->vs.open;

	if (!id)
		return;
	con->vs.open = 0;
	con->vs.loading_older = false;
	view_clear_history(&con->vs);
	remember_open(con, NULL);
	/* May drop a closed conversation from the model: rows are rebuilt
	 * before they are used again. */
	sync_close_transcript(con->sync, id);
}

static void open_pane(struct console *con, int64_t id)
{
	struct model_conv *c = model_find(&con->model, id);

	if (!c)
		return;
	if (con->vs.open == id) {
		view_pane_follow(&con->vs);
		return;
	}
	close_pane(con);
	con->vs.open = id;
	con->vs.selected = id;
	con->vs.loading_older = false;
	view_pane_follow(&con->vs);
	remember_open(con, c);
	sync_open_transcript(con->sync, id);
	sync_fetch_history(con->sync, id);
}

/* Sync events ------------------------------------------------------------------ */

static void request_stop(struct console *con, int code);
static void stop(struct console *con, int code);

static void on_conn(struct sync *s, enum sync_conn st, const char *reason, unsigned retry_ms,
		    void *user)
{
	struct console *con = user;
	char *clean = text_clean(reason, con->vs.text_flags);

	(void)s;
	snprintf(con->vs.conn_reason, sizeof con->vs.conn_reason, "%s", clean);
	free(clean);
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
				say(con, VIEW_ROLE_NORMAL, "the supervisor screen is not there yet: "
				    "showing the agent console");
			}
		}
		if (con->vs.open && con->vs.history.conv != con->vs.open)
			sync_fetch_history(con->sync, con->vs.open);
		if (con->model.me) {
			struct action hb = { .kind = ACTION_HEARTBEAT };

			sync_act(con->sync, &hb, NULL, NULL);
			con->last_heartbeat = now_s();
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
	schedule(con);
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
			    (long long)c->id, customer(c), c->reason ? c->reason : c->queue);
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
	schedule(con);
}

static void on_removed(struct sync *s, int64_t id, void *user)
{
	struct console *con = user;

	(void)s;
	if (id == con->vs.open) {
		if (id != con->sent_away)
			say(con, VIEW_ROLE_NORMAL, "#%lld left your queues (moved or reassigned)",
			    (long long)id);
		close_pane(con);
		if (con->vs.mode != VIEW_MODE_LIST && con->vs.mode != VIEW_MODE_HELP) {
			if (con->vs.mode == VIEW_MODE_COMPOSE)
				draft_save(con, con->compose_conv, con->kind, compose_text(&con->line));
			con->vs.mode = VIEW_MODE_LIST;
		}
	}
	schedule(con);
}

static void on_transcript(struct sync *s, struct model_conv *c, void *user)
{
	struct console *con = user;

	(void)s;
	if (c->id == con->vs.open)
		con->vs.loading_older = false;
	schedule(con);
}

static void on_history(struct sync *s, int64_t conv, const struct model_history *h, size_t n,
		       void *user)
{
	struct console *con = user;

	(void)s;
	if (conv == con->vs.open) {
		view_set_history(&con->vs, conv, h, n);
		schedule(con);
	}
}

static void on_meta(struct sync *s, void *user)
{
	(void)s;
	schedule(user);
}

static void on_error(struct sync *s, const char *message, void *user)
{
	struct console *con = user;

	(void)s;
	say(con, VIEW_ROLE_ERROR, "%s", message);
	schedule(con);
}

/* Actions ------------------------------------------------------------------------ */

/* Passed to sync_act: the console (for messages) and nothing else, since
 * the action itself comes back with the result. */
static void on_result(const struct action_result *r, const struct action *a, void *arg)
{
	struct console *con = arg;
	long long id = (long long)a->conv;
	const struct model_conv *c = model_find(&con->model, a->conv);

	con->vs.outbox = sync_outbox_count(con->sync);
	schedule(con);
	switch (r->outcome) {
	case ACTION_DONE:
		break;
	case ACTION_QUEUED:
		say(con, VIEW_ROLE_NORMAL, "reply kept; sends when back online");
		return;
	case ACTION_NOT_SENT:
		say(con, VIEW_ROLE_ERROR, "not connected — try again when back online");
		if (a->kind == ACTION_REPLY && a->text)
			draft_save(con, a->conv, KIND_REPLY, a->text);
		return;
	case ACTION_UNKNOWN:
	case ACTION_REFUSED:
		if (a->kind == ACTION_REPLY && a->text && !draft_find(con, a->conv, KIND_REPLY)) {
			/* Never lose what the agent typed. */
			draft_save(con, a->conv, KIND_REPLY, a->text);
			say(con, VIEW_ROLE_ERROR, "#%lld: reply not sent: %s (your text is kept as a "
			    "draft)", id, r->message);
		} else {
			say(con, VIEW_ROLE_ERROR, "#%lld: %s", id, r->message);
		}
		return;
	}
	switch (a->kind) {
	case ACTION_TAKEOVER:
		if (r->value && strcmp(r->value, "t") == 0)
			say(con, VIEW_ROLE_OK, "taken over #%lld — you talk to %s now", id, customer(c));
		else
			say(con, VIEW_ROLE_ERROR, "#%lld was taken by %s first", id,
			    c && c->agent ? model_agent_name(&con->model, c->agent) : "someone else");
		break;
	case ACTION_REPLY:
		say(con, VIEW_ROLE_OK, "reply sent to #%lld", id);
		break;
	case ACTION_NOTE:
		say(con, VIEW_ROLE_OK, "note added to #%lld (not shown to the customer)", id);
		break;
	case ACTION_AGREEMENT:
		say(con, VIEW_ROLE_OK, "agreement stored and sent to the customer of #%lld", id);
		break;
	case ACTION_HANDBACK:
		say(con, VIEW_ROLE_OK, "#%lld handed back to the bot", id);
		break;
	case ACTION_TRANSFER: {
		const struct model_queue *q = model_queue(&con->model, a->arg);

		con->sent_away = a->conv;
		say(con, VIEW_ROLE_OK, "#%lld transferred to %s", id,
		    q && q->name ? q->name : a->arg ? a->arg : "");
		break;
	}
	case ACTION_CLOSE:
		con->sent_away = a->conv;
		say(con, VIEW_ROLE_OK, "#%lld closed", id);
		/* Done with it: back to the queue. */
		if (con->vs.open == a->conv && con->vs.mode == VIEW_MODE_LIST)
			close_pane(con);
		break;
	default:
		break;
	}
}

static void act(struct console *con, enum action_kind kind, int64_t conv, const char *text,
		const char *arg)
{
	struct action a = { .kind = kind, .conv = conv, .text = text, .arg = arg };

	sync_act(con->sync, &a, on_result, con);
	con->vs.outbox = sync_outbox_count(con->sync);
}

/* Says why A cannot be done to C and returns true, or returns false. */
static bool refused(struct console *con, const struct model_conv *c, enum keys_action a)
{
	char buf[400];
	const char *why = view_refusal(&con->model, &con->vs, c, a, buf, sizeof buf);

	if (!why)
		return false;
	say(con, VIEW_ROLE_ERROR, "%s", why);
	return true;
}

static void start_compose(struct console *con, struct model_conv *c, enum compose_kind kind)
{
	static const char *const labels[] = { "reply to", "note on", "agreement with" };
	struct draft *d = draft_find(con, c->id, kind);
	char *name = text_clean(customer(c), con->vs.text_flags);

	compose_clear(&con->line);
	if (d)
		compose_set(&con->line, d->text);
	con->kind = kind;
	con->compose_conv = c->id;
	snprintf(con->vs.prompt, sizeof con->vs.prompt, "%s #%lld (%s)", labels[kind],
		 (long long)c->id, name);
	free(name);
	con->vs.compose = &con->line;
	con->vs.mode = VIEW_MODE_COMPOSE;
	if (!con->vs.open)
		open_pane(con, c->id);
}

static void leave_compose(struct console *con, bool keep)
{
	if (keep)
		draft_save(con, con->compose_conv, con->kind, compose_text(&con->line));
	else
		draft_drop(con, con->compose_conv, con->kind);
	compose_clear(&con->line);
	con->vs.mode = VIEW_MODE_LIST;
	con->vs.compose = NULL;
}

/* Sends a reply of TEXT to CONV, after checking what the model knows. */
static bool send_reply(struct console *con, int64_t conv, const char *text)
{
	struct model_conv *c = model_find(&con->model, conv);

	if (!c) {
		say(con, VIEW_ROLE_ERROR, "#%lld is no longer in your queues: not sent (draft kept)",
		    (long long)conv);
		return false;
	}
	if (refused(con, c, KEYS_ACT_REPLY))
		return false;
	act(con, ACTION_REPLY, conv, text, NULL);
	if (con->vs.conn == VIEW_ONLINE)
		say(con, VIEW_ROLE_NORMAL, "sending the reply to #%lld…", (long long)conv);
	view_pane_follow(&con->vs);
	return true;
}

static void submit_compose(struct console *con)
{
	const char *text = compose_text(&con->line);
	struct model_conv *c = model_find(&con->model, con->compose_conv);
	bool blank = true;
	const char *p;

	for (p = text; *p; p++)
		if (*p != ' ')
			blank = false;
	if (blank) {
		say(con, VIEW_ROLE_NORMAL, "nothing to send: type the text first (Esc stops)");
		return;
	}
	switch (con->kind) {
	case KIND_REPLY:
		/* The line stays open for the next message of the chat. */
		if (send_reply(con, con->compose_conv, text)) {
			draft_drop(con, con->compose_conv, KIND_REPLY);
			compose_clear(&con->line);
		}
		return;
	case KIND_NOTE:
		if (!c || refused(con, c, KEYS_ACT_NOTE))
			return;
		act(con, ACTION_NOTE, c->id, text, NULL);
		break;
	case KIND_AGREEMENT:
		if (!c || refused(con, c, KEYS_ACT_AGREEMENT))
			return;
		act(con, ACTION_AGREEMENT, c->id, text, NULL);
		break;
	}
	leave_compose(con, false);
}

/* $EDITOR -------------------------------------------------------------------------- */

static void on_input(uv_poll_t *h, int status, int events);

static void resume_input(struct console *con)
{
	if (!con->stopping)
		uv_poll_start(&con->input, UV_READABLE | UV_DISCONNECT, on_input);
}

/* Reads the edited file; returns its text without trailing white space. */
static char *read_edited(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0 && len < COMPOSE_DEFAULT_MAX);
	fclose(f);
	if (!buf)
		return xstrdup("");
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' ||
			   buf[len - 1] == '\t' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return buf;
}

static void on_editor_closed(uv_handle_t *h)
{
	(void)h;
}

static void on_editor_exit(uv_process_t *p, int64_t status, int signum)
{
	struct console *con = p->data;
	char *text;

	uv_close((uv_handle_t *)p, on_editor_closed);
	con->editing = false;
	ui_resume(con->ui);
	ui_resize(con->ui);
	con->resize_pending = false;
	resume_input(con);
	text = read_edited(con->editor_path);
	unlink(con->editor_path);
	if (status != 0 || signum != 0) {
		say(con, VIEW_ROLE_ERROR, "the editor failed (exit %lld): nothing sent",
		    (long long)status);
	} else if (!text || !*text) {
		say(con, VIEW_ROLE_NORMAL, "empty reply: nothing sent");
	} else if (send_reply(con, con->editor_conv, text)) {
		draft_drop(con, con->editor_conv, KIND_REPLY);
	} else {
		/* Refused: keep the text (on one line) as the compose draft. */
		struct compose tmp;

		compose_init(&tmp, 0);
		compose_insert_str(&tmp, text, strlen(text));
		draft_save(con, con->editor_conv, KIND_REPLY, compose_text(&tmp));
		compose_free(&tmp);
	}
	free(text);
	render(con);
}

static void edit_reply(struct console *con, struct model_conv *c)
{
	uv_process_options_t po;
	uv_stdio_container_t stdio[3];
	struct draft *d = draft_find(con, c->id, KIND_REPLY);
	const char *tmpdir = getenv("TMPDIR");
	char *args[6];
	int fd, r, i;

	snprintf(con->editor_path, sizeof con->editor_path, "%s/balie-reply-XXXXXX.txt",
		 tmpdir && *tmpdir ? tmpdir : "/tmp");
	fd = mkstemps(con->editor_path, 4);
	if (fd < 0) {
		say(con, VIEW_ROLE_ERROR, "cannot make a file for the editor: %s", strerror(errno));
		return;
	}
	if (d && d->text && write(fd, d->text, strlen(d->text)) < 0)
		say(con, VIEW_ROLE_ERROR, "cannot write the draft for the editor");
	close(fd);
	if (!con->vs.open)
		open_pane(con, c->id);
	con->editor_conv = c->id;
	/* The editor owns the terminal until it exits: stop reading keys. */
	uv_poll_stop(&con->input);
	ui_suspend(con->ui);
	args[0] = "/bin/sh";
	args[1] = "-c";
	args[2] = "exec ${EDITOR:-vi} \"$1\"";
	args[3] = "balie-editor";
	args[4] = con->editor_path;
	args[5] = NULL;
	memset(&po, 0, sizeof po);
	for (i = 0; i < 3; i++) {
		stdio[i].flags = UV_INHERIT_FD;
		stdio[i].data.fd = i;
	}
	po.file = args[0];
	po.args = args;
	po.stdio = stdio;
	po.stdio_count = 3;
	po.exit_cb = on_editor_exit;
	con->editor.data = con;
	r = uv_spawn(con->loop, &con->editor, &po);
	if (r != 0) {
		uv_close((uv_handle_t *)&con->editor, on_editor_closed);
		ui_resume(con->ui);
		resume_input(con);
		unlink(con->editor_path);
		say(con, VIEW_ROLE_ERROR, "cannot start the editor: %s", uv_strerror(r));
		return;
	}
	con->editing = true;
}

/* Keys ---------------------------------------------------------------------------- */

static void scroll_pane(struct console *con, long delta)
{
	const struct view_doc *body = ui_pane_body(con->ui);
	struct model_conv *c = model_find(&con->model, con->vs.open);

	if (!body || !c)
		return;
	view_pane_scroll(&con->vs, body, delta);
	/* Reaching the top loads the next page of older messages. */
	if (view_pane_wants_older(&con->vs, c) && sync_load_older(con->sync, c->id))
		con->vs.loading_older = true;
}

static long page(struct console *con)
{
	long h = con->vs.open ? con->vs.pane_height : ui_list_rows(con->ui);

	return h > 2 ? h - 1 : 1;
}

static void do_takeover(struct console *con, struct model_conv *c)
{
	if (refused(con, c, KEYS_ACT_TAKEOVER))
		return;
	open_pane(con, c->id);
	act(con, ACTION_TAKEOVER, c->id, NULL, NULL);
	say(con, VIEW_ROLE_NORMAL, "taking over #%lld…", (long long)c->id);
}

static void ask_close(struct console *con, struct model_conv *c)
{
	char *name;

	if (refused(con, c, KEYS_ACT_CLOSE))
		return;
	name = text_clean(customer(c), con->vs.text_flags);
	snprintf(con->vs.prompt, sizeof con->vs.prompt, "close #%lld (%s)? y/n ",
		 (long long)c->id, name);
	free(name);
	con->confirm_conv = c->id;
	con->vs.mode = VIEW_MODE_CONFIRM;
}

static void ask_transfer(struct console *con, struct model_conv *c)
{
	size_t i;

	if (refused(con, c, KEYS_ACT_TRANSFER))
		return;
	if (con->model.nqueues == 0) {
		say(con, VIEW_ROLE_ERROR, "no queues known yet: try again in a moment");
		return;
	}
	con->pick_conv = c->id;
	con->vs.pick = 0;
	for (i = 0; i < con->model.nqueues; i++) {
		if (!util_streq(con->model.queues[i].id, c->queue)) {
			con->vs.pick = i;
			break;
		}
	}
	con->vs.help_top = 0;
	con->vs.mode = VIEW_MODE_PICK;
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
	stop(con, EXIT_OK);
}

static void heartbeat(struct console *con)
{
	unsigned every = con->cfg.away_after / 4;
	struct action hb = { .kind = ACTION_HEARTBEAT };

	if (every < HEARTBEAT_MIN_SECONDS)
		every = HEARTBEAT_MIN_SECONDS;
	if (!con->model.me || con->vs.conn != VIEW_ONLINE ||
	    now_s() - con->last_heartbeat < (int64_t)every)
		return;
	con->last_heartbeat = now_s();
	sync_act(con->sync, &hb, NULL, NULL);
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
			view_pane_follow(&con->vs);
		else if (con->vs.nrows)
			view_select_row(&con->vs, con->vs.nrows - 1);
		break;
	case KEYS_ACT_OPEN:
		c = view_selected(&con->vs);
		if (c)
			open_pane(con, c->id);
		else
			say(con, VIEW_ROLE_NORMAL, "no conversation to open");
		break;
	case KEYS_ACT_BACK:
		if (pane)
			close_pane(con);
		else if (con->vs.search)
			set_search(con, NULL);
		break;
	case KEYS_ACT_TAKEOVER:
		do_takeover(con, target(con));
		break;
	case KEYS_ACT_REPLY:
		c = target(con);
		if (!refused(con, c, KEYS_ACT_REPLY))
			start_compose(con, c, KIND_REPLY);
		break;
	case KEYS_ACT_REPLY_EDITOR:
		c = target(con);
		if (!refused(con, c, KEYS_ACT_REPLY_EDITOR))
			edit_reply(con, c);
		break;
	case KEYS_ACT_NOTE:
		c = target(con);
		if (!refused(con, c, KEYS_ACT_NOTE))
			start_compose(con, c, KIND_NOTE);
		break;
	case KEYS_ACT_AGREEMENT:
		c = target(con);
		if (!refused(con, c, KEYS_ACT_AGREEMENT))
			start_compose(con, c, KIND_AGREEMENT);
		break;
	case KEYS_ACT_HANDBACK:
		c = target(con);
		if (!refused(con, c, KEYS_ACT_HANDBACK)) {
			act(con, ACTION_HANDBACK, c->id, NULL, NULL);
			say(con, VIEW_ROLE_NORMAL, "handing #%lld back to the bot…", (long long)c->id);
		}
		break;
	case KEYS_ACT_TRANSFER:
		ask_transfer(con, target(con));
		break;
	case KEYS_ACT_CLOSE:
		ask_close(con, target(con));
		break;
	case KEYS_ACT_SEARCH:
		start_search(con);
		break;
	case KEYS_ACT_SUPERVISOR:
	case KEYS_ACT_PAUSE_BOT:
		if (con->model.me_supervisor)
			say(con, VIEW_ROLE_NORMAL, "the supervisor screen is not available yet");
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
		submit_compose(con);
		return;
	case COMPOSE_CANCEL:
		if (compose_len(&con->line))
			say(con, VIEW_ROLE_NORMAL, "draft kept for #%lld", (long long)con->compose_conv);
		leave_compose(con, true);
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
	if (refused(con, c, KEYS_ACT_CLOSE))
		return;
	act(con, ACTION_CLOSE, c->id, NULL, NULL);
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
	if (refused(con, c, KEYS_ACT_TRANSFER))
		return;
	act(con, ACTION_TRANSFER, c->id, NULL, q->id);
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

static void handle_key(struct console *con, int is_keycode, unsigned value)
{
	unsigned code = keys_code(is_keycode, value);
	enum keys_action a = keys_lookup(con->vs.keys, code);

	/* Rows point into the model, which events change: rebuild first. */
	view_rows_refresh(&con->vs, &con->model, server_now(con));
	if (a != KEYS_ACT_QUIT)
		con->quit_armed = false;
	heartbeat(con);
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

/* Loop plumbing ------------------------------------------------------------------ */

static void render(struct console *con)
{
	if (con->stopping || con->editing)
		return;
	con->render_pending = false;
	if (con->bell_pending) {
		con->bell_pending = false;
		ui_bell(con->ui);
	}
	con->vs.outbox = sync_outbox_count(con->sync);
	ui_render(con->ui, &con->model, &con->vs, server_now(con));
}

static void on_input(uv_poll_t *h, int status, int events)
{
	struct console *con = h->data;
	int is_keycode, n = 0, avail = 0;
	unsigned value;

	if (status < 0 || (events & UV_DISCONNECT)) {
		stop(con, EXIT_OK);	/* the terminal went away */
		return;
	}
	while (!con->stopping && !con->editing && ui_read_key(con->ui, &is_keycode, &value)) {
		handle_key(con, is_keycode, value);
		n++;
	}
	if (n == 0 && ioctl(0, FIONREAD, &avail) == 0 && avail == 0) {
		/* Readable with nothing to read, again and again: end of file. */
		if (++con->empty_reads > 20)
			stop(con, EXIT_OK);
		return;
	}
	con->empty_reads = 0;
	render(con);
}

static void on_tick(uv_timer_t *h)
{
	struct console *con = h->data;

	if (con->vs.conn == VIEW_OFFLINE)
		con->vs.retry_s = (sync_retry_in_ms(con->sync) + 999) / 1000;
	render(con);
}

static void on_check(uv_check_t *h)
{
	struct console *con = h->data;

	/* Events of the first load have all been applied by now. */
	if (con->startup && con->vs.conn == VIEW_ONLINE)
		con->startup = false;
	if (con->render_pending)
		render(con);
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
		render(con);
		return;
	}
	/* Ctrl-C inside the editor is the editor's. */
	if (signum == SIGINT && con->editing)
		return;
	stop(con, EXIT_OK);
}

static void stop(struct console *con, int code)
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
	if (con->editing)
		uv_process_kill(&con->editor, SIGTERM);
	sync_stop(con->sync);
}

static void on_deferred_stop(uv_timer_t *h)
{
	struct console *con = h->data;

	stop(con, con->exit_code);
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

/* Setup ------------------------------------------------------------------------- */

static void usage(FILE *to)
{
	fputs("Usage: balie [OPTION]...\n"
	      "       balie watch [OPTION]...\n"
	      "The console for contact-center agents who take conversations over from a\n"
	      "chatbot: the live queue, each conversation with all the bot's context, and\n"
	      "one key to take over, reply, note, transfer or close.\n"
	      "\n"
	      "  -d, --dbname=CONNINFO  conninfo string or URI (default: PG* environment,\n"
	      "                         service file, .pgpass, as psql)\n"
	      "      --supervisor       open the supervisor screen (supervisors only)\n"
	      "  -q, --quiet            no bell or flash on new escalations\n"
	      "      --help             display this help and exit\n"
	      "      --version          output version information and exit\n"
	      "\n"
	      "Press ? in the console for the keys. Keys, colours and the bell are set in\n"
	      "$XDG_CONFIG_HOME/balie/config (default ~/.config/balie/config); a bad line\n"
	      "stops balie with FILE:LINE messages before the screen opens. 'balie watch'\n"
	      "prints every change as JSON lines instead (see 'balie watch --help').\n"
	      "\n"
	      "Exit status: 0 after quitting, 1 if the database cannot be reached for good\n"
	      "(bad password, no such database) or the role may not use the screen asked\n"
	      "for, 2 on a usage or configuration error.\n"
	      "\n"
	      "Full documentation: man balie\n", to);
}

enum console_parse console_parse_args(int argc, char **argv, struct console_options *opt,
				      FILE *out, FILE *err)
{
	static const struct option longopts[] = {
		{ "dbname", required_argument, NULL, 'd' },
		{ "supervisor", no_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(opt, 0, sizeof *opt);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:q", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt->conninfo = optarg;
			break;
		case 's':
			opt->supervisor = true;
			break;
		case 'q':
			opt->quiet = true;
			break;
		case 'h':
			usage(out);
			return CONSOLE_EXIT_OK;
		case 'V':
			fprintf(out, "balie %s\n", BALIE_VERSION);
			return CONSOLE_EXIT_OK;
		case ':':
			fprintf(err, "balie: option '%s' requires an argument\n", argv[optind - 1]);
			fputs("Try 'balie --help' for more information.\n", err);
			return CONSOLE_EXIT_USAGE;
		default:
			if (optopt)
				fprintf(err, "balie: invalid option -- '%c'\n", optopt);
			else
				fprintf(err, "balie: unrecognized option '%s'\n", argv[optind - 1]);
			fputs("Try 'balie --help' for more information.\n", err);
			return CONSOLE_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(err, "balie: unexpected argument '%s'\n", argv[optind]);
		fputs("Try 'balie --help' for more information.\n", err);
		return CONSOLE_EXIT_USAGE;
	}
	return CONSOLE_RUN;
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
	ev.conn = on_conn;
	ev.changed = on_changed;
	ev.removed = on_removed;
	ev.transcript = on_transcript;
	ev.history = on_history;
	ev.meta = on_meta;
	ev.error = on_error;
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
	resume_input(&con);
	ui_resize(con.ui);
	render(&con);

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
	console_free(&con);
	uv_loop_close(con.loop);
	return code;
}
