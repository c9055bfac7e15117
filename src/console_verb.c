/* console_verb: every verb from its row in the table — refuse in words, ask
 * for what it needs, send, and say how it went. No verb is named here
 * except the few the console itself composes (a reply from the editor). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/i18n.h"
#include "balie/text.h"
#include "balie/util.h"
#include "console_priv.h"

/* The words of a verb about CONV (ARG, FLAG), from what the model knows. */
static void words_for(struct console *con, int64_t conv, const char *arg, bool no,
		      struct verb_words *w)
{
	const struct model_conv *c = conv ? model_find(&con->model, conv) : NULL;
	const struct model_queue *q = arg ? model_queue(&con->model, arg) : NULL;

	memset(w, 0, sizeof *w);
	w->id = conv;
	w->customer = console_customer(c);
	w->owner = c && c->agent ? model_agent_name(&con->model, c->agent) : NULL;
	w->arg = arg;
	w->queue = q && q->name ? q->name : arg;
	w->no = no;
}

/* Says the row's TEMPLATE for CALL in ROLE (nothing when the row has none). */
static void say_words(struct console *con, enum view_role role, const char *tmpl,
		      const struct action *call, const char *value, bool no)
{
	struct verb_words w;
	char buf[400];

	words_for(con, call->conv, call->arg, no, &w);
	w.value = value;
	if (verb_format(tmpl, &w, buf, sizeof buf))
		say(con, role, "%s", buf);
}

bool console_refused(struct console *con, const struct model_conv *c, enum verb v)
{
	char buf[400];
	const char *why = view_refusal(&con->model, &con->vs, c, v, buf, sizeof buf);

	if (!why)
		return false;
	say(con, VIEW_ROLE_ERROR, "%s", why);
	return true;
}

/* A verb that failed; a reply's text is never lost. */
static void say_failed(struct console *con, const struct action_result *r, const struct action *a)
{
	long long id = (long long)a->conv;

	if (r->outcome == ACTION_NOT_SENT) {
		say(con, VIEW_ROLE_ERROR, _("not connected — try again when back online"));
		if ((verb_info(a->kind)->policy & VERB_IF_OFFLINE) && a->text)
			console_draft_save(con, a->conv, a->kind, a->text);
		return;
	}
	if ((verb_info(a->kind)->policy & VERB_IF_OFFLINE) && a->text &&
	    !console_draft_find(con, a->conv, a->kind)) {
		/* Never lose what the agent typed. */
		console_draft_save(con, a->conv, a->kind, a->text);
		say(con, VIEW_ROLE_ERROR, _("#%lld: reply not sent: %s (your text is kept as a "
		    "draft)"), id, r->message);
	} else if (a->conv) {
		say(con, VIEW_ROLE_ERROR, _("#%lld: %s"), id, r->message);
	} else {
		say(con, VIEW_ROLE_ERROR, "%s", r->message);
	}
}

/* Passed to sync_act: the console (for messages) and nothing else, since
 * the action itself comes back with the result. */
static void on_result(const struct action_result *r, const struct action *a, void *arg)
{
	struct console *con = arg;
	const struct verb_info *v = verb_info(a->kind);
	bool lost;

	con->vs.outbox = sync_outbox_count(con->sync);
	console_schedule(con);
	if (a->kind == VERB_TAKE_NEXT) {
		con->taking_next = false;
		if (r->outcome == ACTION_DONE) {
			console_took_next(con, r);
			return;
		}
	}
	if (a->kind == VERB_STATUS && r->outcome != ACTION_DONE) {
		/* Not changed: show what still holds. */
		con->away = !con->away;
		con->vs.my_status = con->away ? "away" : "available";
	}
	if (r->outcome == ACTION_QUEUED && r->sqlstate && *r->sqlstate) {
		say(con, VIEW_ROLE_NORMAL, "#%lld busy, retrying: the reply is kept",
		    (long long)a->conv);
		return;
	}
	if (r->outcome == ACTION_QUEUED) {
		say(con, VIEW_ROLE_NORMAL, _("reply kept; sends when back online"));
		return;
	}
	if (r->outcome != ACTION_DONE) {
		say_failed(con, r, a);
		return;
	}
	/* A function that answers false did not do it (a lost takeover race). */
	lost = r->value && strcmp(r->value, "f") == 0;
	say_words(con, lost ? VIEW_ROLE_ERROR : VIEW_ROLE_OK, v->done, a, r->value,
		  lost || (strchr(v->params, 'f') && !a->flag));
	if (lost)
		return;
	if (v->policy & VERB_IF_GONE)
		con->sent_away = a->conv;
	/* Done with it: back to the queue. */
	if ((v->policy & VERB_IF_ENDS) && con->vs.open == a->conv &&
	    con->vs.mode == VIEW_MODE_LIST)
		console_close_pane(con);
}

void console_send(struct console *con, const struct action *call)
{
	const struct verb_info *v = verb_info(call->kind);

	sync_act(con->sync, call, on_result, con);
	con->vs.outbox = sync_outbox_count(con->sync);
	/* Offline, a kept reply says so itself when its result comes. */
	if (con->vs.conn == VIEW_ONLINE || !(v->policy & VERB_IF_OFFLINE))
		say_words(con, VIEW_ROLE_NORMAL, v->doing, call, NULL,
			  strchr(v->params, 'f') && !call->flag);
}

void console_verb(struct console *con, enum verb v, struct model_conv *c)
{
	const struct verb_info *info = verb_info(v);
	struct console_ask ask = { .verb = v };
	struct action call = { .kind = v };

	if (info->ask == VERB_ASK_LINE && con->vs.conn != VIEW_ONLINE &&
	    !(info->policy & VERB_IF_OFFLINE)) {
		/* Offline, the line opens all the same: what is typed next is
		 * the text, never keys (issue 14 #4); Enter sends when back. */
		struct view_state online = con->vs;
		char buf[400];

		online.conn = VIEW_ONLINE;
		if (!view_refusal(&con->model, &online, c, v, buf, sizeof buf)) {
			console_start_compose(con, c, v);
			say(con, VIEW_ROLE_ERROR, _("not connected — write it now, Enter sends "
			    "when back online"));
			return;
		}
	}
	if (console_refused(con, c, v))
		return;
	switch (info->ask) {
	case VERB_ASK_LINE:
	case VERB_ASK_NOTE:
		console_start_compose(con, c, v);
		return;
	case VERB_ASK_WRAPUP:
		console_close_ask(con, c);
		return;
	case VERB_ASK_MACRO:
		console_pick_macro(con, c);
		return;
	case VERB_ASK_EDITOR:
		console_edit_reply(con, c);
		return;
	case VERB_ASK_QUEUE:
		console_pick_queue(con, c);
		return;
	case VERB_ASK_YESNO:
		ask.conv = c ? c->id : 0;
		console_ask_yesno(con, &ask);
		return;
	case VERB_ASK_NONE:
		break;
	}
	if (c && (info->policy & VERB_IF_OPENS))
		console_open_pane(con, c->id);
	call.conv = c ? c->id : 0;
	console_send(con, &call);
}

void console_ask_yesno(struct console *con, const struct console_ask *ask)
{
	struct verb_words w;
	char buf[sizeof con->vs.prompt];
	char *clean;

	con->ask = *ask;
	words_for(con, ask->conv, ask->arg[0] ? ask->arg : NULL, !ask->flag &&
		  strchr(verb_info(ask->verb)->params, 'f'), &w);
	verb_format(verb_info(ask->verb)->question, &w, buf, sizeof buf);
	/* It quotes names: the prompt line holds safe text only. */
	clean = text_clean(buf, con->vs.text_flags);
	snprintf(con->vs.prompt, sizeof con->vs.prompt, "%s", clean);
	free(clean);
	console_set_mode(con, VIEW_MODE_CONFIRM);
}

/* Whether a question's verb can still be sent; says why not. */
static bool still_possible(struct console *con, const struct console_ask *ask,
			   struct model_conv **c)
{
	*c = NULL;
	if (!(verb_info(ask->verb)->policy & VERB_IF_CONV)) {
		if (con->vs.conn == VIEW_ONLINE)
			return true;
		say(con, VIEW_ROLE_ERROR, _("not connected — try again when back online"));
		return false;
	}
	*c = model_find(&con->model, ask->conv);
	if (!*c) {
		say(con, VIEW_ROLE_ERROR, _("#%lld is gone from your queues"), (long long)ask->conv);
		return false;
	}
	return !console_refused(con, *c, ask->verb);
}

void console_answer(struct console *con, unsigned code)
{
	struct console_ask ask = con->ask;
	bool has_flag = strchr(verb_info(ask.verb)->params, 'f') != NULL;
	struct action call = { .kind = ask.verb, .conv = ask.conv, .flag = ask.flag };
	struct model_conv *c;
	struct verb_words w;
	char buf[200];

	console_set_mode(con, VIEW_MODE_LIST);
	if (code != 'y' && code != 'Y') {
		words_for(con, ask.conv, ask.arg, has_flag && !ask.flag, &w);
		if (verb_format(verb_info(ask.verb)->cancel, &w, buf, sizeof buf))
			say(con, VIEW_ROLE_NORMAL, "%s", buf);
		return;
	}
	if (!still_possible(con, &ask, &c))
		return;
	call.arg = ask.arg[0] ? ask.arg : NULL;
	console_send(con, &call);
}

void console_pick_queue(struct console *con, const struct model_conv *c)
{
	size_t i;

	if (con->model.nqueues == 0) {
		say(con, VIEW_ROLE_ERROR, _("no queues known yet: try again in a moment"));
		return;
	}
	con->ask = (struct console_ask){ .verb = VERB_TRANSFER, .conv = c->id };
	con->vs.pick_conv = c->id;
	con->vs.pick = 0;
	/* Start on the first queue that is not its own: that is where it goes. */
	for (i = 0; i < con->model.nqueues; i++) {
		if (!util_streq(con->model.queues[i].id, c->queue)) {
			con->vs.pick = i;
			break;
		}
	}
	console_set_mode(con, VIEW_MODE_PICK);
	/* Each queue's load as it is now, not as it was at the last connect. */
	sync_refresh_queues(con->sync);
}

void console_picked(struct console *con)
{
	struct console_ask ask = con->ask;
	struct action call = { .kind = ask.verb, .conv = ask.conv };
	const struct model_queue *q;
	struct model_conv *c = model_find(&con->model, ask.conv);

	if (con->vs.pick_items) {
		console_picked_item(con, true);
		return;
	}
	console_set_mode(con, VIEW_MODE_LIST);
	if (!c || con->vs.pick >= con->model.nqueues) {
		say(con, VIEW_ROLE_ERROR, _("#%lld is gone from your queues"), (long long)ask.conv);
		return;
	}
	q = &con->model.queues[con->vs.pick];
	if (util_streq(q->id, c->queue)) {
		say(con, VIEW_ROLE_ERROR, _("#%lld is in %s already"), (long long)c->id, q->id);
		return;
	}
	if (console_refused(con, c, ask.verb))
		return;
	call.arg = q->id;
	console_send(con, &call);
}
