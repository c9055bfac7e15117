/* relay_route: each decoded change becomes frames once, sent only to the
 * attached clients whose login may see it (the read API's rule: supervisor
 * all; agent its queues and what it owns; bot its queues, never notes).
 *
 * Conversation rows are coalesced: a conversation changed several times in
 * one loop turn is sent once, at the turn's end, from the relay's cache of
 * the row (which also fills unchanged TOASTed values and the last message).
 * A client that could see a conversation before the turn and cannot after
 * it is sent "gone". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "balie/relay.h"
#include "balie/util.h"

#define NBUCKETS (1u << 16)
#define LAST_BODY_CHARS 200

/* Column names of balie.conversations for each conv frame field. */
static const char *const conv_columns[RELAY_CONV_FIELDS] = {
	[RC_ID] = "id", [RC_VERSION] = "version", [RC_QUEUE] = "queue",
	[RC_STATE] = "state", [RC_AGENT] = "agent",
	[RC_CUSTOMER_REF] = "customer_ref", [RC_CUSTOMER_NAME] = "customer_name",
	[RC_CHANNEL] = "channel", [RC_INTENT] = "intent",
	[RC_CONFIDENCE] = "confidence", [RC_REASON] = "escalation_reason",
	[RC_SUMMARY] = "bot_summary", [RC_CREATED] = "created_at",
	[RC_ESCALATED] = "escalated_at", [RC_TAKEN] = "taken_at",
	[RC_CLOSED] = "closed_at", [RC_MESSAGE_COUNT] = "message_count",
	[RC_LANG] = "lang", [RC_CUSTOMER_WAITING] = "customer_waiting_since",
	[RC_VIEWERS] = "viewers", [RC_HAND_RAISED] = "hand_raised_at",
};

static bool is_time_field(int i)
{
	return (i >= RC_CREATED && i <= RC_CLOSED) || i == RC_CUSTOMER_WAITING || i == RC_HAND_RAISED;
}

void relay_route_init(struct relay *r)
{
	r->nbuckets = NBUCKETS;
	r->convs = xcalloc(r->nbuckets, sizeof *r->convs);
}

static size_t bucket(const struct relay *r, int64_t id)
{
	return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 48) & (r->nbuckets - 1);
}

static struct relay_conv *conv_find(struct relay *r, int64_t id)
{
	struct relay_conv *e;

	for (e = r->convs[bucket(r, id)]; e; e = e->hnext)
		if (e->id == id)
			return e;
	return NULL;
}

static struct relay_conv *conv_get(struct relay *r, int64_t id, bool *created)
{
	struct relay_conv *e = conv_find(r, id);
	size_t b;

	*created = false;
	if (e)
		return e;
	e = xcalloc(1, sizeof *e);
	e->id = id;
	e->last_seq = -1;
	b = bucket(r, id);
	e->hnext = r->convs[b];
	r->convs[b] = e;
	r->nconvs++;
	*created = true;
	return e;
}

static void flush_dirty(struct relay *r);

static void conv_free(struct relay_conv *e)
{
	int i;

	for (i = 0; i < RELAY_CONV_FIELDS; i++)
		free(e->f[i]);
	free(e->old_queue);
	free(e->old_agent);
	free(e);
}

static void conv_remove(struct relay *r, struct relay_conv *e)
{
	struct relay_conv **pp = &r->convs[bucket(r, e->id)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	r->nconvs--;
	conv_free(e);
}

void relay_route_forget(struct relay *r)
{
	size_t i;

	for (i = 0; i < r->nbuckets; i++) {
		while (r->convs[i]) {
			struct relay_conv *e = r->convs[i];

			r->convs[i] = e->hnext;
			conv_free(e);
		}
	}
	r->nconvs = 0;
	r->ndirty = 0;
	/* What clients hold is re-read after a gap: compare with nothing. */
	relay_agent_rows_forget(r);
}

void relay_route_free(struct relay *r)
{
	relay_route_forget(r);
	relay_agent_rows_free(r);
	free(r->convs);
	free(r->dirty);
	r->convs = NULL;
	r->dirty = NULL;
}

/* "2026-12-05 02:51:59.5+00" (DateStyle ISO) as rounded epoch seconds, the
 * way extract(epoch FROM t)::bigint gives them. */
static char *epoch_text(const char *ts)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, s, n = 0, oh = 0, om = 0, os = 0;
	double frac = 0;
	const char *p;
	long long e;

	if (sscanf(ts, "%d-%d-%d %d:%d:%d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6)
		return xstrdup(ts);
	p = ts + n;
	if (*p == '.') {
		char *end;

		frac = strtod(p, &end);
		p = end;
	}
	if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;

		sscanf(p + 1, "%d:%d:%d", &oh, &om, &os);
		if (strlen(p + 1) == 2 || strchr(p + 1, ':') == NULL)
			om = os = 0;
		oh *= sign, om *= sign, os *= sign;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	e = (long long)timegm(&tm) - (oh * 3600 + om * 60 + os);
	if (frac >= 0.5)
		e++;
	return xasprintf("%lld", e);
}

/* The first 200 characters of a UTF-8 body, as left(body, 200). */
static char *left_chars(const char *s, int chars)
{
	const char *p = s;
	int n = 0;

	for (; *p; p++) {
		if (((unsigned char)*p & 0xC0) != 0x80) {
			if (n == chars)
				break;
			n++;
		}
	}
	return xstrndup(s, (size_t)(p - s));
}

static void set_field(char **slot, const char *v)
{
	free(*slot);
	*slot = xstrdup(v);
}

static void mark_dirty(struct relay *r, struct relay_conv *e, bool known_before)
{
	if (e->dirty)
		return;
	e->dirty = true;
	e->old_known = known_before;
	e->old_queue = xstrdup(e->f[RC_QUEUE]);
	e->old_agent = xstrdup(e->f[RC_AGENT]);
	if (r->ndirty == r->capdirty) {
		r->capdirty = r->capdirty ? 2 * r->capdirty : 64;
		r->dirty = xrealloc(r->dirty, r->capdirty * sizeof *r->dirty);
	}
	r->dirty[r->ndirty++] = e;
}

static const char *tuple_text(const struct pgo_change *ch, const char *col)
{
	int i = pgo_column(ch->rel, col);

	if (i < 0 || i >= ch->newt.natts || ch->newt.kind[i] != 't')
		return NULL;
	return ch->newt.val[i];
}

/* The key of an old row (Delete, or an Update's old image). */
static const char *old_text(const struct pgo_change *ch, const char *col)
{
	int i = pgo_column(ch->rel, col);

	if (i < 0 || i >= ch->oldt.natts || ch->oldt.kind[i] != 't')
		return NULL;
	return ch->oldt.val[i];
}

/* Since 005 a conversation row carries the start of its last message: then
 * the relay knows it without having seen the message. */
static void last_from_row(struct relay_conv *e, const struct pgo_change *ch)
{
	int k = pgo_column(ch->rel, "last_author_kind"), b = pgo_column(ch->rel, "last_body");

	if (k < 0 || b < 0 || k >= ch->newt.natts || b >= ch->newt.natts ||
	    ch->newt.kind[k] == 'u' || ch->newt.kind[b] == 'u' || !e->f[RC_MESSAGE_COUNT])
		return;
	free(e->f[RC_LAST_KIND]);
	free(e->f[RC_LAST_BODY]);
	e->f[RC_LAST_KIND] = xstrdup(ch->newt.val[k]);
	e->f[RC_LAST_BODY] = xstrdup(ch->newt.val[b]);
	e->last_seq = strtoll(e->f[RC_MESSAGE_COUNT], NULL, 10);
	e->last_is_note = e->f[RC_LAST_KIND] && strcmp(e->f[RC_LAST_KIND], "note") == 0;
}

static void conversation_changed(struct relay *r, const struct pgo_change *ch)
{
	const char *id = ch->kind == PGO_DELETE ? old_text(ch, "id") : tuple_text(ch, "id");
	struct relay_conv *e;
	bool created;
	int i;

	if (!id)
		return;
	e = conv_get(r, strtoll(id, NULL, 10), &created);
	mark_dirty(r, e, ch->kind == PGO_INSERT || !created);
	if (ch->kind == PGO_DELETE) {
		set_field(&e->f[RC_STATE], "deleted");
		return;
	}
	for (i = 1; i < RELAY_CONV_FIELDS; i++) {
		int c;

		if (!conv_columns[i])
			continue;
		c = pgo_column(ch->rel, conv_columns[i]);
		if (c < 0 || c >= ch->newt.natts)
			continue;
		if (ch->newt.kind[c] == 'u') {
			if (created)
				e->stale = true;	/* a TOASTed value we never saw */
			continue;
		}
		free(e->f[i]);
		if (ch->newt.kind[c] == 'n')
			e->f[i] = NULL;
		else if (is_time_field(i))
			e->f[i] = epoch_text(ch->newt.val[c]);
		else
			e->f[i] = xstrdup(ch->newt.val[c]);
	}
	last_from_row(e, ch);
}

/* Appends LINE to every attached client that may see a row of E (bots never
 * see notes). */
static void route_line(struct relay *r, const struct relay_conv *e, const struct relay_buf *line,
		       bool note)
{
	struct relay_client *c;

	for (c = r->clients; c; c = c->next) {
		if (!c->attached || (note && c->kind == RELAY_BOT))
			continue;
		if (relay_client_sees(c, e->f[RC_QUEUE], e->f[RC_AGENT])) {
			relay_client_send(c, line->data, line->len);
			r->st.frames++;
		}
	}
}

static void message_inserted(struct relay *r, const struct pgo_change *ch)
{
	const char *conv = tuple_text(ch, "conversation"), *seq = tuple_text(ch, "seq");
	const char *kind = tuple_text(ch, "author_kind"), *body = tuple_text(ch, "body");
	const char *created_at = tuple_text(ch, "created_at");
	struct relay_conv *e;
	struct relay_buf line;
	bool created, note;
	char *created_s;
	int64_t s;

	if (!conv || !seq || !kind || !body)
		return;
	e = conv_get(r, strtoll(conv, NULL, 10), &created);
	mark_dirty(r, e, !created);
	note = strcmp(kind, "note") == 0;
	s = strtoll(seq, NULL, 10);
	if (s > e->last_seq) {
		e->last_seq = s;
		e->last_is_note = note;
		set_field(&e->f[RC_LAST_KIND], kind);
		free(e->f[RC_LAST_BODY]);
		e->f[RC_LAST_BODY] = left_chars(body, LAST_BODY_CHARS);
	}
	if (created || !e->f[RC_QUEUE]) {
		e->stale = true;	/* route unknown: the turn's end sends hints */
		return;
	}
	if (strlen(body) > RELAY_MAX_BODY) {
		e->big = true;
		return;
	}
	created_s = created_at ? epoch_text(created_at) : NULL;
	{
		const char *f[RELAY_MSG_FIELDS] = {
			"msg", conv, seq, tuple_text(ch, "id"), kind, tuple_text(ch, "author"),
			body, created_s, tuple_text(ch, "sources"),
		};

		relay_buf_init(&line);
		relay_line(&line, f, RELAY_MSG_FIELDS);
	}
	free(created_s);
	route_line(r, e, &line, note);
	relay_buf_free(&line);
}

/* Queue and agent rows: meta every client shows. */
static void meta_changed(struct relay *r, const struct pgo_change *ch, bool queue)
{
	const char *qf[RELAY_QUEUE_FIELDS] = {
		"queue", tuple_text(ch, "id"), tuple_text(ch, "name"),
		tuple_text(ch, "sla_seconds"), tuple_text(ch, "priority"),
		tuple_text(ch, "bot_paused"),
	};
	const char *last_seen = tuple_text(ch, "last_seen");
	char *seen = last_seen ? epoch_text(last_seen) : NULL;
	const char *af[RELAY_AGENT_FIELDS] = {
		"agent", tuple_text(ch, "login"), tuple_text(ch, "display_name"),
		tuple_text(ch, "is_supervisor"), seen, tuple_text(ch, "away"),
	};
	struct relay_buf line;
	struct relay_client *c;

	/* Presence times alone: supervisors read them through supervisor_agents().
	 * A new row (also one registered again) always goes out. */
	if (!queue && !relay_agent_row_news(r, af[1], af[2], af[3], af[5]) &&
	    ch->kind == PGO_UPDATE) {
		r->st.presence_skipped++;
		free(seen);
		return;
	}
	/* Rows of earlier transactions go first: clients may use meta as a marker. */
	flush_dirty(r);
	relay_buf_init(&line);
	if (queue)
		relay_line(&line, qf, RELAY_QUEUE_FIELDS);
	else
		relay_line(&line, af, RELAY_AGENT_FIELDS);
	free(seen);
	for (c = r->clients; c; c = c->next)
		if (c->attached && (queue || c->kind != RELAY_BOT))
			relay_client_send(c, line.data, line.len);
	relay_buf_free(&line);
	if (!queue && af[1] && af[3])
		relay_rights_supervisor(r, af[1], strcmp(af[3], "t") == 0);
}

/* agent_queues, bot_queues, bots, agents: rights of attached logins. */
static void rights_changed(struct relay *r, const struct pgo_change *ch, const char *table)
{
	bool del = ch->kind == PGO_DELETE;
	const char *login = del ? old_text(ch, "login") : tuple_text(ch, "login");
	bool bots = table[0] == 'b';

	if (!login)
		return;
	if (strcmp(table, "agent_queues") == 0 || strcmp(table, "bot_queues") == 0) {
		const char *queue = del ? old_text(ch, "queue") : tuple_text(ch, "queue");

		if (ch->kind != PGO_UPDATE && queue)
			relay_rights_queue(r, login, queue, !del, bots);
		else
			relay_rights_reset(r, login, bots);
	} else if (del) {
		relay_disconnect_login(r, login, bots, "no longer registered in this database");
	}
}

void relay_route_change(struct relay *r, const struct pgo_change *ch)
{
	const char *t;

	switch (ch->kind) {
	case PGO_BEGIN:
		r->in_xact = true;
		return;
	case PGO_COMMIT:
		r->in_xact = false;
		r->commit_lsn = ch->end_lsn;
		return;
	case PGO_TRUNCATE:
		relay_route_forget(r);
		relay_gap_all(r);
		return;
	case PGO_OTHER:
		return;
	default:
		break;
	}
	if (!ch->rel || strcmp(ch->rel->nspname, "balie") != 0)
		return;
	r->st.changes++;
	t = ch->rel->relname;
	if (strcmp(t, "conversations") == 0)
		conversation_changed(r, ch);
	else if (strcmp(t, "messages") == 0 && ch->kind == PGO_INSERT)
		message_inserted(r, ch);
	else if (strcmp(t, "queues") == 0 && ch->kind != PGO_DELETE)
		meta_changed(r, ch, true);
	else if (strcmp(t, "agents") == 0 && ch->kind != PGO_DELETE)
		meta_changed(r, ch, false);
	else if (strcmp(t, "agents") == 0 || strcmp(t, "bots") == 0 ||
		 strcmp(t, "agent_queues") == 0 || strcmp(t, "bot_queues") == 0)
		rights_changed(r, ch, t);
}

/* The frames one conversation of this turn needs, built once. */
struct conv_frames {
	struct relay_buf conv, hint, gone;
	bool use_hint, hint_bots;
};

static void build_frames(struct relay_conv *e, struct conv_frames *fr)
{
	char id[24];
	const char *hint[RELAY_HINT_FIELDS] = { "hint", id, e->f[RC_VERSION] };
	const char *gone[RELAY_GONE_FIELDS] = { "gone", id };
	bool last_known = e->f[RC_MESSAGE_COUNT] &&
		(e->last_seq == strtoll(e->f[RC_MESSAGE_COUNT], NULL, 10) ||
		 (e->last_seq < 0 && strcmp(e->f[RC_MESSAGE_COUNT], "0") == 0));

	snprintf(id, sizeof id, "%lld", (long long)e->id);
	relay_buf_init(&fr->conv);
	relay_buf_init(&fr->hint);
	relay_buf_init(&fr->gone);
	fr->use_hint = e->stale || e->big || !last_known || !e->f[RC_VERSION];
	fr->hint_bots = fr->use_hint || e->last_is_note;
	e->f[0] = (char *)"conv";
	if (!fr->use_hint)
		relay_line(&fr->conv, (const char *const *)e->f, RELAY_CONV_FIELDS);
	e->f[0] = NULL;
	relay_line(&fr->hint, hint, RELAY_HINT_FIELDS);
	relay_line(&fr->gone, gone, RELAY_GONE_FIELDS);
}

static void flush_conv(struct relay *r, struct relay_conv *e)
{
	bool deleted = e->f[RC_STATE] && strcmp(e->f[RC_STATE], "deleted") == 0;
	struct conv_frames fr;
	struct relay_client *c;

	build_frames(e, &fr);
	for (c = r->clients; c; c = c->next) {
		bool sees_now, saw;
		const struct relay_buf *b;

		if (!c->attached)
			continue;
		sees_now = !deleted && e->f[RC_QUEUE] &&
			relay_client_sees(c, e->f[RC_QUEUE], e->f[RC_AGENT]);
		if (sees_now) {
			b = (c->kind == RELAY_BOT ? fr.hint_bots : fr.use_hint) ? &fr.hint : &fr.conv;
		} else {
			saw = e->old_known ? (e->old_queue &&
					      relay_client_sees(c, e->old_queue, e->old_agent))
					   : !c->all_queues;
			if (!saw)
				continue;
			b = &fr.gone;
		}
		relay_client_send(c, b->data, b->len);
		r->st.frames++;
	}
	relay_buf_free(&fr.conv);
	relay_buf_free(&fr.hint);
	relay_buf_free(&fr.gone);
}

/* Sends every dirty conversation now (also inside a transaction). */
static void flush_dirty(struct relay *r)
{
	size_t i;

	for (i = 0; i < r->ndirty; i++) {
		struct relay_conv *e = r->dirty[i];

		flush_conv(r, e);
		e->dirty = e->stale = e->big = false;
		free(e->old_queue);
		free(e->old_agent);
		e->old_queue = e->old_agent = NULL;
		/* Closed conversations do not change again: keep the cache small. */
		if (!e->f[RC_STATE] || strcmp(e->f[RC_STATE], "closed") == 0 ||
		    strcmp(e->f[RC_STATE], "deleted") == 0)
			conv_remove(r, e);
	}
	r->ndirty = 0;
}

void relay_route_flush(struct relay *r)
{
	if (r->in_xact)
		return;
	flush_dirty(r);
	if (r->commit_lsn > r->st.processed_lsn)
		r->st.processed_lsn = r->commit_lsn;
}
