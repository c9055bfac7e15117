/* view_pane: one conversation with all the context the bot handed over;
 * where its body is scrolled is view_pane_scroll.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "balie/i18n.h"
#include "balie/shift.h"
#include "balie/text.h"
#include "balie/util.h"
#include "balie/view.h"

/* Transcript columns: "HH:MM " then the author label, then the body. */
#define TIME_COLS 6
#define LABEL_COLS label_cols()
#define NOTE_INDENT 8

/* The widest author label in the reader's language and a blank (English
 * "customer ", Dutch "medewerker "); 9 at least, 13 at most. */
static int label_cols(void)
{
	static const enum model_author shown[] = { AUTHOR_CUSTOMER, AUTHOR_BOT, AUTHOR_AGENT,
						   AUTHOR_SYSTEM };
	int w = 8;
	size_t i;

	for (i = 0; i < sizeof shown / sizeof shown[0]; i++) {
		int aw = text_width(_(model_author_name(shown[i])));

		if (aw > w)
			w = aw < 12 ? aw : 12;
	}
	return w + 1;
}

static const char *ellipsis(unsigned flags)
{
	return (flags & TEXT_ASCII) ? "..." : "…";
}

enum time_form { TIME_HHMM, TIME_DAY, TIME_DAY_HHMM };

/* Formats T in local time (literal formats only: they are checked). */
static void local_time(int64_t t, enum time_form form, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	size_t n = 0;

	if (t && localtime_r(&tt, &tm)) {
		switch (form) {
		case TIME_HHMM:
			n = strftime(buf, size, "%H:%M", &tm);
			break;
		case TIME_DAY:
			n = strftime(buf, size, "%Y-%m-%d", &tm);
			break;
		case TIME_DAY_HHMM:
			n = strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
			break;
		}
	}
	if (n == 0)
		snprintf(buf, size, "%s", form == TIME_HHMM ? "--:--" : "----------");
}

static void rule(struct view_doc *d, enum view_role role, int width, unsigned flags, int tag)
{
	const char *dash = (flags & TEXT_ASCII) ? "-" : "─";
	int i;

	view_line(d, VIEW_ROLE_NORMAL, tag);
	for (i = 0; i < width; i++)
		view_puts(d, role, dash);
}

/* Appends the wrapped, sanitised TEXT as lines starting at column INDENT,
 * WIDTH columns wide; the first line continues the current line when
 * FIRST_ON_CURRENT. */
static void wrapped(struct view_doc *d, enum view_role role, const char *untrusted,
		    int indent, int width, bool first_on_current, int tag, unsigned flags,
		    size_t max_lines)
{
	char *clean = text_clean(untrusted, flags | TEXT_MULTILINE);
	struct text_line *lines;
	size_t n, i;

	if (width < 1)
		width = 1;
	n = text_wrap(clean, width, &lines);
	for (i = 0; i < n && i < max_lines; i++) {
		if (i > 0 || !first_on_current)
			view_line(d, VIEW_ROLE_NORMAL, tag);
		view_put_to(d, VIEW_ROLE_NORMAL, indent);
		if (i + 1 == max_lines && n > max_lines) {
			/* The last line that fits says that there is more. */
			char *part = xstrndup(clean + lines[i].off, lines[i].len);
			char *more = xasprintf("%s%s", part, ellipsis(flags));
			char *cut = text_truncate(more, width, flags);

			view_puts(d, role, cut);
			free(cut);
			free(more);
			free(part);
		} else {
			view_put_cols(d, role, clean + lines[i].off, lines[i].len, lines[i].cols);
		}
	}
	free(lines);
	free(clean);
}

static const char *queue_name(const struct model *m, const char *id)
{
	const struct model_queue *q = model_queue(m, id);

	return q && q->name && *q->name ? q->name : (id ? id : "");
}

static enum view_role state_role(const struct model *m, const struct model_conv *c)
{
	switch (c->state) {
	case MODEL_WAITING:
		return VIEW_ROLE_WAITING;
	case MODEL_HUMAN:
		return model_can_reply(m, c) ? VIEW_ROLE_MINE : VIEW_ROLE_HUMAN;
	case MODEL_BOT:
		return VIEW_ROLE_BOT;
	default:
		return VIEW_ROLE_DIM;
	}
}

static void talking_to(struct view_doc *d, const struct model *m, const struct model_conv *c,
		       unsigned f, int64_t now, int width)
{
	char clock[TEXT_DURATION_SIZE];
	enum view_role role = state_role(m, c);

	text_duration((long)model_clock_seconds(c, now), clock, sizeof clock);
	view_line(d, VIEW_ROLE_NORMAL, 0);
	view_puts(d, VIEW_ROLE_LABEL, _("talking to: "));
	switch (c->state) {
	case MODEL_HUMAN:
		view_puts(d, role, _("HUMAN"));
		view_puts(d, role, " (");
		view_put_clean(d, role, model_agent_name(m, c->agent), -(width / 2), f);
		view_puts(d, role, ")");
		if (model_can_reply(m, c))
			view_puts(d, VIEW_ROLE_MINE, _(" · you"));
		if (c->hand_raised_at)
			view_puts(d, VIEW_ROLE_LATE, _(" · HAND RAISED"));
		view_puts(d, VIEW_ROLE_TIME, " · ");
		view_puts(d, VIEW_ROLE_TIME, clock);
		view_puts(d, VIEW_ROLE_TIME, _(" since the takeover"));
		break;
	case MODEL_WAITING:
		view_puts(d, VIEW_ROLE_BOT, _("BOT"));
		view_puts(d, VIEW_ROLE_TIME, " · ");
		view_puts(d, role, _("WAIT"));
		view_puts(d, role, _(" for a person "));
		view_puts(d, role, clock);
		break;
	case MODEL_BOT:
		view_puts(d, role, _("BOT"));
		view_puts(d, VIEW_ROLE_TIME, " · ");
		view_puts(d, VIEW_ROLE_TIME, clock);
		view_puts(d, VIEW_ROLE_TIME, _(" since the start"));
		break;
	default:
		view_puts(d, role, _("nobody · closed"));
		break;
	}
}

static void intent_line(struct view_doc *d, const struct model_conv *c, unsigned f, int width)
{
	char pct[16];

	view_line(d, VIEW_ROLE_NORMAL, 0);
	view_puts(d, VIEW_ROLE_LABEL, _("intent: "));
	if (c->intent && *c->intent) {
		view_put_clean(d, VIEW_ROLE_NORMAL, c->intent, -(width / 2), f);
		if (c->has_confidence) {
			snprintf(pct, sizeof pct, " (%d%%)", (int)(c->confidence * 100.0 + 0.5));
			view_puts(d, VIEW_ROLE_NORMAL, pct);
		}
	} else {
		view_puts(d, VIEW_ROLE_DIM, _("unknown"));
	}
	view_puts(d, VIEW_ROLE_LABEL, _("   reason: "));
	if (c->reason && *c->reason)
		view_put_clean(d, VIEW_ROLE_NORMAL, c->reason, -(width / 2), f);
	else
		view_puts(d, VIEW_ROLE_DIM, _("not escalated"));
}

static void history_item(struct view_doc *d, const struct model_history *h, unsigned f)
{
	char day[32];

	local_time(h->created_at, TIME_DAY, day, sizeof day);
	view_puts(d, VIEW_ROLE_NORMAL, "#");
	{
		char id[24];

		snprintf(id, sizeof id, "%lld", (long long)h->id);
		view_puts(d, VIEW_ROLE_NORMAL, id);
	}
	view_puts(d, VIEW_ROLE_TIME, " ");
	view_puts(d, VIEW_ROLE_TIME, day);
	view_puts(d, VIEW_ROLE_DIM, " ");
	view_puts(d, VIEW_ROLE_DIM, model_state_name(h->state));
	if (h->intent && *h->intent) {
		view_puts(d, VIEW_ROLE_NORMAL, " ");
		view_put_clean(d, VIEW_ROLE_NORMAL, h->intent, -40, f);
	}
}

static void earlier_line(struct view_doc *d, const struct model_conv *c,
			 const struct view_state *st)
{
	size_t i;

	view_line(d, VIEW_ROLE_NORMAL, 0);
	view_puts(d, VIEW_ROLE_LABEL, _("earlier: "));
	if (st->history.conv != c->id || !st->history.loaded) {
		view_puts(d, VIEW_ROLE_DIM, st->conn == VIEW_ONLINE ? _("loading") : _("not loaded yet"));
		view_puts(d, VIEW_ROLE_DIM, st->conn == VIEW_ONLINE ? ellipsis(st->text_flags) : "");
		return;
	}
	if (st->history.n == 0) {
		view_puts(d, VIEW_ROLE_DIM, _("none — first conversation of this customer"));
		return;
	}
	{
		char n[64];

		snprintf(n, sizeof n, P_("%zu conversation: ", "%zu conversations: ", st->history.n),
			 st->history.n);
		view_puts(d, VIEW_ROLE_NORMAL, n);
	}
	for (i = 0; i < st->history.n && i < 4; i++) {
		if (i)
			view_puts(d, VIEW_ROLE_DIM, "; ");
		history_item(d, &st->history.items[i], st->text_flags);
	}
}

void view_pane_info(struct view_doc *d, const struct model *m, const struct model_conv *c,
		    const struct view_state *st, int64_t now, int width)
{
	unsigned f = st->text_flags;
	char id[32];

	view_line(d, VIEW_ROLE_TITLE, 0);
	if (!c) {
		view_puts(d, VIEW_ROLE_TITLE, _(" no conversation open"));
		view_line(d, VIEW_ROLE_NORMAL, 0);
		view_puts(d, VIEW_ROLE_DIM, _(" Enter opens the selected conversation"));
		return;
	}
	snprintf(id, sizeof id, " #%lld ", (long long)c->id);
	view_puts(d, VIEW_ROLE_TITLE, id);
	view_put_clean(d, VIEW_ROLE_TITLE, c->customer_name ? c->customer_name : c->customer_ref,
		       -(width / 3), f);
	if (c->customer_ref && *c->customer_ref) {
		view_puts(d, VIEW_ROLE_TITLE, " (");
		view_put_clean(d, VIEW_ROLE_TITLE, c->customer_ref, -(width / 5), f);
		view_puts(d, VIEW_ROLE_TITLE, ")");
	}
	view_puts(d, VIEW_ROLE_TITLE, " · ");
	view_put_clean(d, VIEW_ROLE_TITLE, c->channel ? c->channel : "chat", -(width / 6), f);
	if (c->lang && *c->lang) {
		/* The customer's language: every store text to them is in it. */
		view_puts(d, VIEW_ROLE_TITLE, " · ");
		view_put_clean(d, VIEW_ROLE_TITLE, c->lang, -12, f);
	}
	view_puts(d, VIEW_ROLE_TITLE, " · ");
	view_put_clean(d, VIEW_ROLE_TITLE, queue_name(m, c->queue), -(width / 3), f);

	talking_to(d, m, c, f, now, width);
	{
		/* Who else is here: names come from the database. */
		char who[600];

		if (shift_viewers_line(c->viewers, m->me, who, sizeof who) > 0) {
			view_line(d, VIEW_ROLE_NORMAL, 0);
			view_puts(d, VIEW_ROLE_LABEL, _("also here: "));
			view_put_clean(d, VIEW_ROLE_WAITING, who, -(width - 11), f);
		}
	}
	intent_line(d, c, f, width);
	view_line(d, VIEW_ROLE_NORMAL, 0);
	view_puts(d, VIEW_ROLE_LABEL, _("summary: "));
	if (c->summary && *c->summary)
		wrapped(d, VIEW_ROLE_NORMAL, c->summary, 9, width - 9, true, 0, f, 2);
	else
		view_puts(d, VIEW_ROLE_DIM, _("none from the bot"));
	earlier_line(d, c, st);
	rule(d, VIEW_ROLE_DIM, width, f, 0);
}

static enum view_role author_role(enum model_author a)
{
	switch (a) {
	case AUTHOR_CUSTOMER: return VIEW_ROLE_CUSTOMER;
	case AUTHOR_BOT: return VIEW_ROLE_BOT;
	case AUTHOR_AGENT: return VIEW_ROLE_AGENT;
	case AUTHOR_NOTE: return VIEW_ROLE_NOTE;
	default: return VIEW_ROLE_SYSTEM;
	}
}

static void message(struct view_doc *d, const struct model *m, const struct model_msg *msg,
		    unsigned f, int width)
{
	enum view_role role = author_role(msg->kind);
	char hhmm[16];
	int body_col = TIME_COLS + LABEL_COLS;
	size_t i;

	/* Too narrow for columns: the body goes under the label. */
	bool stacked = width - body_col < 16;

	local_time(msg->created_at, TIME_HHMM, hhmm, sizeof hhmm);
	view_line(d, VIEW_ROLE_NORMAL, msg->seq);
	view_puts(d, VIEW_ROLE_TIME, hhmm);
	view_puts(d, VIEW_ROLE_NORMAL, " ");
	if (msg->kind == AUTHOR_NOTE) {
		/* Internal notes look different on purpose: own label, own role,
		 * indented body, so nobody mistakes one for what the customer saw. */
		if (msg->whisper_to) {
			/* A supervisor's whisper: to this agent, never to the customer. */
			view_puts(d, VIEW_ROLE_LATE, _("whisper from "));
			view_put_clean(d, VIEW_ROLE_LATE, model_agent_name(m, msg->author), -24, f);
			view_puts(d, VIEW_ROLE_NOTE, _(" (internal)"));
		} else {
			view_puts(d, VIEW_ROLE_NOTE, _("note (internal)"));
		}
		if (!msg->whisper_to && msg->author && *msg->author) {
			view_puts(d, VIEW_ROLE_NOTE, " · ");
			view_put_clean(d, VIEW_ROLE_NOTE, model_agent_name(m, msg->author),
				       -24, f);
		}
		wrapped(d, VIEW_ROLE_NOTE, msg->body, NOTE_INDENT, width - NOTE_INDENT, false,
			msg->seq, f, SIZE_MAX);
		return;
	}
	view_put_pad(d, role, _(model_author_name(msg->kind)), LABEL_COLS, f);
	if (stacked)
		wrapped(d, role, msg->body, 2, width - 2, false, msg->seq, f, SIZE_MAX);
	else
		wrapped(d, role, msg->body, body_col, width - body_col, true, msg->seq, f,
			SIZE_MAX);
	for (i = 0; i < msg->nsources; i++) {
		const struct model_source *s = &msg->sources[i];
		char *raw = xasprintf(_("source: %s%s%s"), s->title ? s->title : "",
				      s->title && s->url ? " — " : "", s->url ? s->url : "");
		int indent = stacked ? 4 : body_col + 2;

		wrapped(d, VIEW_ROLE_SOURCE, raw, indent, width - indent, false, msg->seq, f,
			SIZE_MAX);
		free(raw);
	}
}

static void history_section(struct view_doc *d, const struct view_state *st, int width)
{
	size_t i;
	unsigned f = st->text_flags;

	if (!st->history.loaded || st->history.n == 0)
		return;
	view_line(d, VIEW_ROLE_NORMAL, 0);
	view_puts(d, VIEW_ROLE_LABEL, _("earlier conversations of this customer:"));
	for (i = 0; i < st->history.n; i++) {
		const struct model_history *h = &st->history.items[i];

		view_line(d, VIEW_ROLE_NORMAL, 0);
		view_puts(d, VIEW_ROLE_NORMAL, "  ");
		history_item(d, h, f);
		if (h->reason && *h->reason) {
			view_puts(d, VIEW_ROLE_DIM, " (");
			view_put_clean(d, VIEW_ROLE_DIM, h->reason, -30, f);
			view_puts(d, VIEW_ROLE_DIM, ")");
		}
		if (h->summary && *h->summary)
			wrapped(d, VIEW_ROLE_DIM, h->summary, 4, width - 4, false, 0, f, 3);
	}
	rule(d, VIEW_ROLE_DIM, width, f, 0);
}

void view_pane_cache_init(struct view_pane_cache *pc)
{
	memset(pc, 0, sizeof *pc);
}

static void layout_free(struct view_msg_layout *l)
{
	free(l->author_name);
	view_doc_free(&l->doc);
	memset(l, 0, sizeof *l);
}

void view_pane_cache_free(struct view_pane_cache *pc)
{
	size_t i;

	for (i = 0; i < pc->n; i++)
		layout_free(&pc->items[i]);
	free(pc->items);
	view_pane_cache_init(pc);
}

/* Lines up the cache with C's loaded messages: layouts of messages that
 * stay are kept (one pass, both are in seq order), the others freed. */
static void cache_match(struct view_pane_cache *pc, const struct model_conv *c, int width,
			unsigned key)
{
	struct view_msg_layout *items;
	size_t i, j;

	if (pc->conv != c->id || pc->width != width || pc->flags != key) {
		view_pane_cache_free(pc);
		pc->conv = c->id;
		pc->width = width;
		pc->flags = key;
	}
	for (i = 0; i < pc->n && pc->n == c->nmsgs; i++)
		if (pc->items[i].id != c->msgs[i].id || pc->items[i].seq != c->msgs[i].seq)
			break;
	if (i == c->nmsgs && pc->n == c->nmsgs)
		return;
	items = xcalloc(c->nmsgs ? c->nmsgs : 1, sizeof *items);
	for (i = 0, j = 0; i < c->nmsgs; i++) {
		while (j < pc->n && pc->items[j].seq < c->msgs[i].seq)
			layout_free(&pc->items[j++]);
		if (j < pc->n && pc->items[j].seq == c->msgs[i].seq &&
		    pc->items[j].id == c->msgs[i].id)
			items[i] = pc->items[j++];
	}
	while (j < pc->n)
		layout_free(&pc->items[j++]);
	free(pc->items);
	pc->items = items;
	pc->n = c->nmsgs;
}

/* The layout of MSG from the cache, laid out now if it is not there. */
static const struct view_msg_layout *cached_message(struct view_pane_cache *pc, size_t i,
						    const struct model *m,
						    const struct model_msg *msg, unsigned f,
						    int width, bool ascii)
{
	struct view_msg_layout *l = &pc->items[i];
	const char *name = msg->kind == AUTHOR_NOTE ? model_agent_name(m, msg->author) : NULL;

	if (l->doc.nlines && (!name || (l->author_name && strcmp(l->author_name, name) == 0)))
		return l;
	layout_free(l);
	l->id = msg->id;
	l->seq = msg->seq;
	l->author_name = name ? xstrdup(name) : NULL;
	local_time(msg->created_at, TIME_DAY, l->day, sizeof l->day);
	l->doc.ascii = ascii;
	message(&l->doc, m, msg, f, width);
	view_doc_shrink(&l->doc);
	return l;
}

/* Replies kept offline, after the transcript: what the agent wrote shows
 * where it will land, marked as not sent yet. */
static void unsent(struct view_doc *d, const struct model_conv *c, const struct view_state *st,
		   unsigned f, int width)
{
	int body_col = TIME_COLS + LABEL_COLS, tag = c->nmsgs ? model_last_seq(c) : 0;
	bool stacked = width - body_col < 16;
	size_t i;

	if (st->unsent_conv != c->id)
		return;
	for (i = 0; i < st->nunsent; i++) {
		view_line(d, VIEW_ROLE_NORMAL, tag);
		view_put_pad(d, VIEW_ROLE_DIM, "not sent yet", TIME_COLS + LABEL_COLS, f);
		if (stacked)
			wrapped(d, VIEW_ROLE_DIM, st->unsent[i], 2, width - 2, false, tag, f,
				SIZE_MAX);
		else
			wrapped(d, VIEW_ROLE_DIM, st->unsent[i], body_col, width - body_col, true,
				tag, f, SIZE_MAX);
	}
}

void view_pane_body(struct view_doc *d, struct view_pane_cache *cache, const struct model *m,
		    const struct model_conv *c, const struct view_state *st, int width)
{
	unsigned f = st->text_flags;
	char day[32], prev_day[32] = "";
	size_t i;

	if (!c)
		return;
	if (c->nmsgs == 0 && c->message_count > 0) {
		view_line(d, VIEW_ROLE_NORMAL, 0);
		view_puts(d, VIEW_ROLE_DIM, st->conn == VIEW_ONLINE ?
			  _("loading the transcript") : _("the transcript loads when back online"));
		if (st->conn == VIEW_ONLINE)
			view_puts(d, VIEW_ROLE_DIM, ellipsis(f));
		return;
	}
	if (c->nmsgs && model_first_seq(c) > 1) {
		view_line(d, VIEW_ROLE_NORMAL, 0);
		if (st->loading_older) {
			view_puts(d, VIEW_ROLE_DIM, _("loading older messages"));
			view_puts(d, VIEW_ROLE_DIM, ellipsis(f));
		} else {
			view_puts(d, VIEW_ROLE_DIM, (f & TEXT_ASCII) ? "^ " : "↑ ");
			view_puts(d, VIEW_ROLE_DIM, _("older messages: scroll up to load them"));
		}
	} else {
		char started[40], id[32];

		if (st->history.conv == c->id)
			history_section(d, st, width);
		local_time(c->created_at, TIME_DAY_HHMM, started, sizeof started);
		snprintf(id, sizeof id, "%lld", (long long)c->id);
		view_line(d, VIEW_ROLE_NORMAL, 0);
		view_puts(d, VIEW_ROLE_DIM, _("conversation #"));
		view_puts(d, VIEW_ROLE_DIM, id);
		view_puts(d, VIEW_ROLE_DIM, _(" started "));
		view_puts(d, VIEW_ROLE_TIME, started);
		if (c->message_count == 0) {
			view_line(d, VIEW_ROLE_NORMAL, 0);
			view_puts(d, VIEW_ROLE_DIM, _("no messages yet"));
		}
	}
	if (cache)
		cache_match(cache, c, width, f | (d->ascii ? 1u << 31 : 0));
	for (i = 0; i < c->nmsgs; i++) {
		const struct model_msg *msg = &c->msgs[i];
		const struct view_msg_layout *l = NULL;

		if (cache) {
			l = cached_message(cache, i, m, msg, f, width, d->ascii);
			snprintf(day, sizeof day, "%s", l->day);
		} else {
			local_time(msg->created_at, TIME_DAY, day, sizeof day);
		}
		/* A date line wherever the day changes: HH:MM alone is ambiguous. */
		if (strcmp(day, prev_day) != 0) {
			view_line(d, VIEW_ROLE_NORMAL, msg->seq);
			view_puts(d, VIEW_ROLE_DIM, (f & TEXT_ASCII) ? "-- " : "── ");
			view_puts(d, VIEW_ROLE_TIME, day);
			view_puts(d, VIEW_ROLE_DIM, (f & TEXT_ASCII) ? " --" : " ──");
			snprintf(prev_day, sizeof prev_day, "%s", day);
		}
		if (l)
			view_doc_append(d, &l->doc);
		else
			message(d, m, msg, f, width);
	}
	unsent(d, c, st, f, width);
	if (c->newer_unloaded) {
		view_line(d, VIEW_ROLE_NORMAL, VIEW_TAG_MORE_BELOW);
		if (st->loading_newer) {
			view_puts(d, VIEW_ROLE_DIM, _("loading newer messages"));
			view_puts(d, VIEW_ROLE_DIM, ellipsis(f));
		} else {
			view_puts(d, VIEW_ROLE_DIM, (f & TEXT_ASCII) ? "v " : "↓ ");
			view_puts(d, VIEW_ROLE_DIM, _("newer messages: scroll down to load them, "
				  "End for the newest"));
		}
	}
}
