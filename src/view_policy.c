/* view_policy: refusing locally what the model already knows is impossible,
 * in words an agent can act on; who may do what is the verb's row. */
#include <stdio.h>
#include <string.h>

#include "balie/i18n.h"
#include "balie/view.h"

static const char *key_hint(const struct view_state *st, enum verb a, char *buf, size_t size)
{
	unsigned key = st->keys ? keys_first(st->keys, a) : KEYS_NO_KEY;

	if (key == KEYS_NO_KEY)
		return verb_info(a)->name;
	return keys_name(key, buf, size);
}

/* The refusal for a verb only the owner (or a supervisor) may use. */
static const char *not_owner(const struct model *m, const struct view_state *st,
			     const struct model_conv *c, enum verb a, char *buf, size_t size)
{
	const char *what = verb_info(a)->refuse ? _(verb_info(a)->refuse) : NULL;
	long long id = (long long)c->id;
	char key[32];

	if (c->state == MODEL_HUMAN)
		snprintf(buf, size, _("#%lld is with %s, not you: you cannot %s"), id,
			 model_agent_name(m, c->agent), what ? what : _("do that"));
	else
		snprintf(buf, size, _("#%lld is %s: take it over first (%s)"), id,
			 c->state == MODEL_WAITING ? _("waiting for a person") : _("with the bot"),
			 key_hint(st, VERB_TAKEOVER, key, sizeof key));
	return buf;
}

/* The refusal of a verb that acts on no conversation (take next, status). */
static const char *not_conv(const struct model *m, const struct view_state *st, enum verb a,
			    char *buf, size_t size)
{
	unsigned policy = verb_info(a)->policy;

	if (!m->me)
		snprintf(buf, size, _("you are not registered as an agent: ask an administrator "
			 "(balie.add_agent)"));
	else if (st->conn != VIEW_ONLINE && !(policy & VERB_IF_OFFLINE))
		snprintf(buf, size, _("not connected — try again when back online"));
	else if ((policy & VERB_IF_SUPERVISOR) && !m->me_supervisor)
		snprintf(buf, size, _("only a supervisor can %s"), verb_info(a)->refuse ?
			 _(verb_info(a)->refuse) : _("do that"));
	else
		return NULL;
	return buf;
}

const char *view_refusal(const struct model *m, const struct view_state *st,
			 const struct model_conv *c, enum verb a, char *buf, size_t size)
{
	unsigned policy = verb_info(a)->policy;
	long long id;
	bool mine;

	if (!(policy & VERB_IF_CONV))
		return not_conv(m, st, a, buf, size);
	if (!c) {
		snprintf(buf, size, _("no conversation selected"));
		return buf;
	}
	id = (long long)c->id;
	if (!m->me) {
		snprintf(buf, size, _("you are not registered as an agent: ask an administrator "
			 "(balie.add_agent)"));
		return buf;
	}
	if (c->state == MODEL_CLOSED) {
		snprintf(buf, size, _("#%lld is closed"), id);
		return buf;
	}
	mine = model_can_reply(m, c);
	/* Replies wait in the outbox while offline; everything else needs the
	 * server now. */
	if (st->conn != VIEW_ONLINE && !(policy & VERB_IF_OFFLINE)) {
		snprintf(buf, size, _("not connected — try again when back online"));
		return buf;
	}
	if (policy & VERB_IF_UNTAKEN) {
		if (mine)
			snprintf(buf, size, _("#%lld is already yours"), id);
		else if (c->state == MODEL_HUMAN)
			snprintf(buf, size, _("#%lld is with %s"), id, model_agent_name(m, c->agent));
		else
			return NULL;
		return buf;
	}
	if (!(policy & VERB_IF_OWNER) || mine || ((policy & VERB_IF_SUPER) && m->me_supervisor))
		return NULL;
	return not_owner(m, st, c, a, buf, size);
}
