/* console_compose: drafts and the compose line of the verbs that ask for a
 * line of text (reply, note, agreement). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/i18n.h"
#include "balie/text.h"
#include "balie/util.h"
#include "console_priv.h"

struct draft *console_draft_find(struct console *con, int64_t conv, enum verb v)
{
	size_t i;

	for (i = 0; i < con->ndrafts; i++)
		if (con->drafts[i].conv == conv && con->drafts[i].verb == v)
			return &con->drafts[i];
	return NULL;
}

void console_draft_drop(struct console *con, int64_t conv, enum verb v)
{
	struct draft *d = console_draft_find(con, conv, v);

	if (!d)
		return;
	free(d->text);
	*d = con->drafts[--con->ndrafts];
}

void console_draft_save(struct console *con, int64_t conv, enum verb v, const char *text)
{
	struct draft *d;

	if (!text || !*text) {
		console_draft_drop(con, conv, v);
		return;
	}
	d = console_draft_find(con, conv, v);
	if (!d) {
		con->drafts = xrealloc(con->drafts, (con->ndrafts + 1) * sizeof *con->drafts);
		d = &con->drafts[con->ndrafts++];
		*d = (struct draft){ conv, v, NULL };
	}
	free(d->text);
	d->text = xstrdup(text);
}

void console_start_compose(struct console *con, struct model_conv *c, enum verb v)
{
	struct draft *d = console_draft_find(con, c->id, v);
	struct verb_words w = { .id = c->id, .customer = console_customer(c) };
	char buf[sizeof con->vs.prompt], *clean;

	compose_clear(&con->line);
	if (d)
		compose_set(&con->line, d->text);
	con->compose_verb = v;
	con->compose_conv = c->id;
	verb_format(verb_info(v)->question, &w, buf, sizeof buf);
	/* It quotes the customer's name: the prompt line holds safe text only. */
	clean = text_clean(buf, con->vs.text_flags);
	snprintf(con->vs.prompt, sizeof con->vs.prompt, "%s", clean);
	free(clean);
	console_set_mode(con, VIEW_MODE_COMPOSE);
	if (!con->vs.open)
		console_open_pane(con, c->id);
	console_compose_typed(con);
}

void console_leave_compose(struct console *con, bool keep)
{
	if (keep)
		console_draft_save(con, con->compose_conv, con->compose_verb,
				   compose_text(&con->line));
	else
		console_draft_drop(con, con->compose_conv, con->compose_verb);
	compose_clear(&con->line);
	console_set_mode(con, VIEW_MODE_LIST);
	console_set_viewing(con, con->vs.open, "viewing");
}

bool console_send_reply(struct console *con, int64_t conv, const char *text)
{
	struct model_conv *c = model_find(&con->model, conv);
	struct action call = { .kind = VERB_REPLY, .conv = conv, .text = text };

	if (!c) {
		say(con, VIEW_ROLE_ERROR, _("#%lld is no longer in your queues: not sent (draft kept)"),
		    (long long)conv);
		return false;
	}
	if (console_refused(con, c, VERB_REPLY))
		return false;
	console_send(con, &call);
	view_pane_follow(&con->vs);
	return true;
}

void console_submit_compose(struct console *con)
{
	const char *text = compose_text(&con->line);
	struct model_conv *c = model_find(&con->model, con->compose_conv);
	struct action call = { .kind = con->compose_verb, .conv = con->compose_conv,
			       .text = text };

	if (text[strspn(text, " ")] == '\0') {
		say(con, VIEW_ROLE_NORMAL, _("nothing to send: type the text first (Esc stops)"));
		return;
	}
	if (con->compose_verb == VERB_REPLY) {
		/* The line stays open for the next message of the chat. */
		if (console_send_reply(con, con->compose_conv, text)) {
			console_draft_drop(con, con->compose_conv, VERB_REPLY);
			compose_clear(&con->line);
		}
		return;
	}
	if (!c || console_refused(con, c, con->compose_verb))
		return;
	console_send(con, &call);
	console_leave_compose(con, false);
}
