/* view_policy: refusing locally what the model already knows is impossible,
 * in words an agent can act on. */
#include <stdio.h>
#include <string.h>

#include "balie/view.h"

static const char *key_hint(const struct view_state *st, enum keys_action a, char *buf,
			    size_t size)
{
	unsigned key = st->keys ? keys_first(st->keys, a) : KEYS_NO_KEY;

	if (key == KEYS_NO_KEY)
		return keys_action_name(a);
	return keys_name(key, buf, size);
}

/* What ACTION is called in a sentence. */
static const char *verb(enum keys_action a)
{
	switch (a) {
	case KEYS_ACT_REPLY:
	case KEYS_ACT_REPLY_EDITOR:
		return "reply";
	case KEYS_ACT_AGREEMENT:
		return "confirm an agreement";
	case KEYS_ACT_HANDBACK:
		return "hand it back";
	case KEYS_ACT_TRANSFER:
		return "transfer it";
	case KEYS_ACT_CLOSE:
		return "close it";
	default:
		return "do that";
	}
}

const char *view_refusal(const struct model *m, const struct view_state *st,
			 const struct model_conv *c, enum keys_action a, char *buf, size_t size)
{
	char key[32];
	long long id;
	bool mine, owner_only, supervisor_ok;

	if (!c) {
		snprintf(buf, size, "no conversation selected");
		return buf;
	}
	id = (long long)c->id;
	if (!m->me) {
		snprintf(buf, size, "you are not registered as an agent: ask an administrator "
			 "(balie.add_agent)");
		return buf;
	}
	if (c->state == MODEL_CLOSED) {
		snprintf(buf, size, "#%lld is closed", id);
		return buf;
	}
	mine = model_can_reply(m, c);
	/* Replies wait in the outbox while offline; everything else needs the
	 * server now. */
	if (st->conn != VIEW_ONLINE && a != KEYS_ACT_REPLY && a != KEYS_ACT_REPLY_EDITOR) {
		snprintf(buf, size, "not connected — try again when back online");
		return buf;
	}
	switch (a) {
	case KEYS_ACT_TAKEOVER:
		if (mine) {
			snprintf(buf, size, "#%lld is already yours", id);
			return buf;
		}
		if (c->state == MODEL_HUMAN) {
			snprintf(buf, size, "#%lld is with %s", id, model_agent_name(m, c->agent));
			return buf;
		}
		return NULL;
	case KEYS_ACT_NOTE:
		return NULL;
	case KEYS_ACT_REPLY:
	case KEYS_ACT_REPLY_EDITOR:
	case KEYS_ACT_AGREEMENT:
	case KEYS_ACT_HANDBACK:
		owner_only = true;
		supervisor_ok = false;
		break;
	case KEYS_ACT_TRANSFER:
	case KEYS_ACT_CLOSE:
		owner_only = true;
		supervisor_ok = m->me_supervisor;
		break;
	default:
		return NULL;
	}
	if (!owner_only || mine || supervisor_ok)
		return NULL;
	if (c->state == MODEL_HUMAN)
		snprintf(buf, size, "#%lld is with %s, not you: you cannot %s", id,
			 model_agent_name(m, c->agent), verb(a));
	else if (c->state == MODEL_WAITING)
		snprintf(buf, size, "#%lld is waiting for a person: take it over first (%s)", id,
			 key_hint(st, KEYS_ACT_TAKEOVER, key, sizeof key));
	else
		snprintf(buf, size, "#%lld is with the bot: take it over first (%s)", id,
			 key_hint(st, KEYS_ACT_TAKEOVER, key, sizeof key));
	return buf;
}
