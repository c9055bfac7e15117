/* console_act: drafts, the compose line and the actions it sends. */
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

/* Drafts ------------------------------------------------------------------ */

struct draft *console_draft_find(struct console *con, int64_t conv, enum compose_kind kind)
{
	size_t i;

	for (i = 0; i < con->ndrafts; i++)
		if (con->drafts[i].conv == conv && con->drafts[i].kind == kind)
			return &con->drafts[i];
	return NULL;
}

void console_draft_drop(struct console *con, int64_t conv, enum compose_kind kind)
{
	struct draft *d = console_draft_find(con, conv, kind);

	if (!d)
		return;
	free(d->text);
	*d = con->drafts[--con->ndrafts];
}

void console_draft_save(struct console *con, int64_t conv, enum compose_kind kind,
		       const char *text)
{
	struct draft *d;

	if (!text || !*text) {
		console_draft_drop(con, conv, kind);
		return;
	}
	d = console_draft_find(con, conv, kind);
	if (!d) {
		con->drafts = xrealloc(con->drafts, (con->ndrafts + 1) * sizeof *con->drafts);
		d = &con->drafts[con->ndrafts++];
		*d = (struct draft){ conv, kind, NULL };
	}
	free(d->text);
	d->text = xstrdup(text);
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
	console_schedule(con);
	switch (r->outcome) {
	case ACTION_DONE:
		break;
	case ACTION_QUEUED:
		say(con, VIEW_ROLE_NORMAL, "reply kept; sends when back online");
		return;
	case ACTION_NOT_SENT:
		say(con, VIEW_ROLE_ERROR, "not connected — try again when back online");
		if (a->kind == ACTION_REPLY && a->text)
			console_draft_save(con, a->conv, KIND_REPLY, a->text);
		return;
	case ACTION_UNKNOWN:
	case ACTION_REFUSED:
		if (a->kind == ACTION_REPLY && a->text && !console_draft_find(con, a->conv, KIND_REPLY)) {
			/* Never lose what the agent typed. */
			console_draft_save(con, a->conv, KIND_REPLY, a->text);
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
			say(con, VIEW_ROLE_OK, "taken over #%lld — you talk to %s now", id, console_customer(c));
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
			console_close_pane(con);
		break;
	default:
		break;
	}
}

void console_act(struct console *con, enum action_kind kind, int64_t conv, const char *text,
		const char *arg)
{
	struct action a = { .kind = kind, .conv = conv, .text = text, .arg = arg };

	sync_act(con->sync, &a, on_result, con);
	con->vs.outbox = sync_outbox_count(con->sync);
}

/* Says why A cannot be done to C and returns true, or returns false. */
bool console_refused(struct console *con, const struct model_conv *c, enum keys_action a)
{
	char buf[400];
	const char *why = view_refusal(&con->model, &con->vs, c, a, buf, sizeof buf);

	if (!why)
		return false;
	say(con, VIEW_ROLE_ERROR, "%s", why);
	return true;
}

void console_start_compose(struct console *con, struct model_conv *c, enum compose_kind kind)
{
	static const char *const labels[] = { "reply to", "note on", "agreement with" };
	struct draft *d = console_draft_find(con, c->id, kind);
	char *name = text_clean(console_customer(c), con->vs.text_flags);

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
		console_open_pane(con, c->id);
}

void console_leave_compose(struct console *con, bool keep)
{
	if (keep)
		console_draft_save(con, con->compose_conv, con->kind, compose_text(&con->line));
	else
		console_draft_drop(con, con->compose_conv, con->kind);
	compose_clear(&con->line);
	con->vs.mode = VIEW_MODE_LIST;
	con->vs.compose = NULL;
}

/* Sends a reply of TEXT to CONV, after checking what the model knows. */
bool console_send_reply(struct console *con, int64_t conv, const char *text)
{
	struct model_conv *c = model_find(&con->model, conv);

	if (!c) {
		say(con, VIEW_ROLE_ERROR, "#%lld is no longer in your queues: not sent (draft kept)",
		    (long long)conv);
		return false;
	}
	if (console_refused(con, c, KEYS_ACT_REPLY))
		return false;
	console_act(con, ACTION_REPLY, conv, text, NULL);
	if (con->vs.conn == VIEW_ONLINE)
		say(con, VIEW_ROLE_NORMAL, "sending the reply to #%lld…", (long long)conv);
	view_pane_follow(&con->vs);
	return true;
}

void console_submit_compose(struct console *con)
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
		if (console_send_reply(con, con->compose_conv, text)) {
			console_draft_drop(con, con->compose_conv, KIND_REPLY);
			compose_clear(&con->line);
		}
		return;
	case KIND_NOTE:
		if (!c || console_refused(con, c, KEYS_ACT_NOTE))
			return;
		console_act(con, ACTION_NOTE, c->id, text, NULL);
		break;
	case KIND_AGREEMENT:
		if (!c || console_refused(con, c, KEYS_ACT_AGREEMENT))
			return;
		console_act(con, ACTION_AGREEMENT, c->id, text, NULL);
		break;
	}
	console_leave_compose(con, false);
}

/* $EDITOR -------------------------------------------------------------------------- */

