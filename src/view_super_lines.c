/* view_super_lines: the supervisor screen's lines — header, queue rows,
 * agent rows, status line; see view_super.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/i18n.h"
#include "balie/text.h"
#include "balie/util.h"
#include "balie/view_super.h"

/* Lines ------------------------------------------------------------------ */

static void put_int(struct view_doc *d, enum view_role role, long v, int width)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%ld", v);
	view_put_pad(d, role, buf, width, TEXT_ALIGN_RIGHT);
}

static void put_duration(struct view_doc *d, enum view_role role, int64_t secs, const char *after,
			 int width)
{
	char buf[TEXT_DURATION_SIZE + 4];

	text_duration((long)secs, buf, TEXT_DURATION_SIZE);
	strcat(buf, after);
	view_put_pad(d, role, buf, width, TEXT_ALIGN_RIGHT);
}

void view_super_header(struct view_doc *d, const struct model *m, const struct view_state *st,
		       const struct super_data *sd, int width)
{
	unsigned f = st->text_flags;
	long waiting = 0, breaches = 0, human = 0, bot = 0;
	char totals[200], short_totals[120];
	size_t i;

	for (i = 0; i < sd->nqueues; i++) {
		waiting += sd->queues[i].waiting;
		breaches += sd->queues[i].sla_breaches;
		human += sd->queues[i].with_person;
		bot += sd->queues[i].with_bot;
	}
	view_line(d, VIEW_ROLE_HEADER, 0);
	view_puts(d, VIEW_ROLE_HEADER, _(" balie · SUPERVISOR · "));
	view_header_me(d, m, f);
	snprintf(totals, sizeof totals, _("%ld waiting · %ld past SLA · %ld with a person · "
		 "%ld with the bot "), waiting, breaches, human, bot);
	snprintf(short_totals, sizeof short_totals, _("%ld WAIT · %ld SLA! · %ld HUMAN · %ld BOT "),
		 waiting, breaches, human, bot);
	view_header_right(d, totals, short_totals, width, f);
}

/* Column widths of the queue region; 0 drops a column. */
struct queue_cols {
	int marker, queue, bot, waiting, human, longest, breaches, agents, contained, spark;
	int width;
};

static void queue_cols_for(int width, struct queue_cols *c)
{
	int rest;

	c->width = width;
	c->marker = 2;
	c->queue = view_clamp(width / 8, 7, 14);
	c->bot = 5;
	c->waiting = 6;
	c->human = 7;
	c->longest = 9;
	c->breaches = 6;
	c->agents = 8;
	c->contained = 9;
	rest = width - c->marker - c->queue - c->bot - c->waiting - c->human - c->longest -
	       c->breaches - c->agents - c->contained - 2;
	/* The sparkline goes first when narrow, then containment, then agents. */
	if (rest < 8) {
		rest += c->contained;
		c->contained = 0;
	}
	if (rest < 8) {
		rest += c->agents;
		c->agents = 0;
	}
	c->spark = rest >= 8 ? view_clamp(rest, 8, SUPER_SPARK_POINTS + 6) : 0;
}

void view_super_queue_title(struct view_doc *d, const struct view_state *st, int width)
{
	struct queue_cols c;
	unsigned f = st->text_flags;

	queue_cols_for(width, &c);
	view_line(d, VIEW_ROLE_TITLE, 0);
	view_put_pad(d, VIEW_ROLE_TITLE, "", c.marker, f);
	view_put_pad(d, VIEW_ROLE_TITLE, _("queue"), c.queue, f);
	view_put_pad(d, VIEW_ROLE_TITLE, _("BOT"), c.bot, f | TEXT_ALIGN_RIGHT);
	view_put_pad(d, VIEW_ROLE_TITLE, _("WAIT"), c.waiting, f | TEXT_ALIGN_RIGHT);
	view_put_pad(d, VIEW_ROLE_TITLE, _("HUMAN"), c.human, f | TEXT_ALIGN_RIGHT);
	view_put_pad(d, VIEW_ROLE_TITLE, _("longest"), c.longest, f | TEXT_ALIGN_RIGHT);
	view_put_pad(d, VIEW_ROLE_TITLE, "SLA!", c.breaches, f | TEXT_ALIGN_RIGHT);
	if (c.agents)
		view_put_pad(d, VIEW_ROLE_TITLE, _("on/away"), c.agents, f | TEXT_ALIGN_RIGHT);
	if (c.contained)
		view_put_pad(d, VIEW_ROLE_TITLE, _("bot-only"), c.contained, f | TEXT_ALIGN_RIGHT);
	if (c.spark) {
		view_puts(d, VIEW_ROLE_TITLE, "  ");
		view_put_pad(d, VIEW_ROLE_TITLE, c.spark >= 22 ? _("waiting, last 60 min") : _("waiting, 1 h"),
			     c.spark, f);
	}
}

/* Today's escalations by reason, most first: "asked for a person 3, …". */
static void reasons_text(const struct super_queue *q, char *buf, size_t size)
{
	bool used[SUPER_REASON_COUNT] = { false };
	size_t n = 0;
	int k;

	buf[0] = '\0';
	for (;;) {
		int best = -1;

		for (k = 0; k < SUPER_REASON_COUNT; k++)
			if (!used[k] && q->by_reason[k] > 0 &&
			    (best < 0 || q->by_reason[k] > q->by_reason[best]))
				best = k;
		if (best < 0)
			break;
		used[best] = true;
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s %d", n ? ", " : "",
				      super_reason_label((enum super_reason)best), q->by_reason[best]);
		if (n >= size)
			break;
	}
}

/* A service level under 80 % reads as a warning. */
static bool pct_late(const struct super_queue *q)
{
	int sl = super_service_level_percent(q);

	return sl >= 0 && sl < 80;
}

static void queue_rows(struct view_doc *d, const struct super_queue *q, bool sel, size_t row,
		       const struct view_state *st, int64_t now, const struct queue_cols *c)
{
	unsigned f = st->text_flags;
	enum view_role base = sel ? VIEW_ROLE_SELECTED : VIEW_ROLE_NORMAL;
	int64_t longest = super_longest_wait(q, now);
	bool late = q->waiting && q->sla_seconds > 0 && longest > q->sla_seconds;
	int pct = super_containment_percent(q);
	char buf[600], reasons[400];

	view_line(d, base, (int)row + 1);
	view_put_pad(d, q->hands ? VIEW_ROLE_LATE : base, q->hands ? "H!" : sel ? ">" : "",
		     c->marker, f);
	view_put_clean(d, base, q->id, c->queue, f);
	put_int(d, q->with_bot ? VIEW_ROLE_BOT : base, q->with_bot, c->bot);
	put_int(d, q->waiting ? VIEW_ROLE_WAITING : base, q->waiting, c->waiting);
	put_int(d, q->with_person ? VIEW_ROLE_HUMAN : base, q->with_person, c->human);
	if (q->waiting)
		put_duration(d, late ? VIEW_ROLE_LATE : VIEW_ROLE_WAITING, longest, late ? "!" : " ",
			     c->longest);
	else
		view_put_pad(d, VIEW_ROLE_DIM, "- ", c->longest, f | TEXT_ALIGN_RIGHT);
	if (q->sla_breaches) {
		snprintf(buf, sizeof buf, "%d!", q->sla_breaches);
		view_put_pad(d, VIEW_ROLE_LATE, buf, c->breaches, f | TEXT_ALIGN_RIGHT);
	} else {
		put_int(d, base, 0, c->breaches);
	}
	if (c->agents) {
		snprintf(buf, sizeof buf, "%d/%d", q->agents_online, q->agents_away);
		view_put_pad(d, q->agents_online ? base : VIEW_ROLE_LATE, buf, c->agents,
			     f | TEXT_ALIGN_RIGHT);
	}
	if (c->contained) {
		if (pct < 0)
			snprintf(buf, sizeof buf, "-");
		else
			snprintf(buf, sizeof buf, "%d%%", pct);
		view_put_pad(d, base, buf, c->contained, f | TEXT_ALIGN_RIGHT);
	}
	if (c->spark) {
		char spark[SUPER_SPARK_POINTS * 3 + 1], top[24];
		int peak = 0, k, cells;

		for (k = 0; k < SUPER_SPARK_POINTS; k++)
			if (q->spark[k] > peak)
				peak = q->spark[k];
		snprintf(top, sizeof top, " %d", peak);
		cells = c->spark - (int)strlen(top);
		view_puts(d, base, "  ");
		super_sparkline(q->spark, SUPER_SPARK_POINTS, (size_t)(cells > 1 ? cells : 1),
				!(f & TEXT_ASCII), spark, sizeof spark);
		view_puts(d, q->waiting ? VIEW_ROLE_WAITING : VIEW_ROLE_DIM, spark);
		/* The scale: the sparkline is relative to the hour's peak. */
		view_puts(d, VIEW_ROLE_DIM, top);
	}

	/* The second line: name, a paused bot, today's escalations and
	 * containment; the third: today's figures and wrap-up codes. */
	view_line(d, base, 0);
	view_put_pad(d, base, "", c->marker + 2, f);
	view_put_clean(d, VIEW_ROLE_LABEL, q->name ? q->name : q->id, -24, f);
	if (q->bot_paused)
		view_puts(d, VIEW_ROLE_LATE, _(" · BOT PAUSED"));
	reasons_text(q, reasons, sizeof reasons);
	snprintf(buf, sizeof buf, _(" · today %d escalated%s%s%s · %d closed"), q->escalations_today,
		 reasons[0] ? " (" : "", reasons, reasons[0] ? ")" : "", q->closed_today);
	view_puts(d, base, buf);
	if (q->closed_today) {
		snprintf(buf, sizeof buf, _(", %d by the bot alone"), q->contained_today);
		view_puts(d, base, buf);
	}
	view_line(d, base, 0);
	view_put_pad(d, base, "", c->marker + 2, f);
	view_super_figures_text(q, buf, sizeof buf);
	view_puts(d, pct_late(q) ? VIEW_ROLE_LATE : base, buf);
	if (view_super_wrapups_text(q->wrapups, buf, sizeof buf)) {
		view_puts(d, base, " · wrap-up ");
		view_put_clean(d, base, buf, -200, f);
	}
}

void view_super_queue_rows(struct view_doc *d, const struct super_data *sd,
			   const struct view_super *v, const struct view_state *st, int64_t now,
			   int width)
{
	struct queue_cols c;
	size_t i;

	queue_cols_for(width, &c);
	for (i = 0; i < v->nqueues && i < v->nitems; i++) {
		const struct view_super_item *it = &v->items[i];

		if (it->index < sd->nqueues)
			queue_rows(d, &sd->queues[it->index], v->has_sel && v->sel == i, i, st, now, &c);
	}
	if (sd->nqueues == 0) {
		view_line(d, VIEW_ROLE_NORMAL, 0);
		view_puts(d, VIEW_ROLE_DIM, sd->loaded ? _("  no queues: an administrator adds them "
			  "with balie.add_queue") : _("  loading the figures…"));
	}
}

/* Column widths of the agent region. */
struct agent_cols {
	int marker, name, presence, status, load, handled, aht, queues;
};

static void agent_cols_for(int width, struct agent_cols *c)
{
	c->marker = 2;
	c->name = view_clamp(width / 5, 10, 24);
	c->presence = 9;
	c->status = width >= 100 ? 17 : 12;
	c->load = 6;
	c->handled = 5;
	c->aht = 7;
	c->queues = view_clamp(width - 2 - c->name - 1 - 9 - 12 - 6 - 5 - 7 - 2, 6, 28);
}

void view_super_agent_title(struct view_doc *d, const struct view_state *st, int width)
{
	struct agent_cols c;
	unsigned f = st->text_flags;

	agent_cols_for(width, &c);
	view_line(d, VIEW_ROLE_TITLE, 0);
	view_put_pad(d, VIEW_ROLE_TITLE, "", c.marker, f);
	view_put_pad(d, VIEW_ROLE_TITLE, _("agent"), c.name, f);
	view_puts(d, VIEW_ROLE_TITLE, " ");
	view_put_pad(d, VIEW_ROLE_TITLE, _("presence"), c.presence, f);
	view_put_pad(d, VIEW_ROLE_TITLE, _("status"), c.status, f);
	view_put_pad(d, VIEW_ROLE_TITLE, _("load"), c.load, f | TEXT_ALIGN_RIGHT);
	view_put_pad(d, VIEW_ROLE_TITLE, C_("agent column", "done"), c.handled, f | TEXT_ALIGN_RIGHT);
	view_put_pad(d, VIEW_ROLE_TITLE, _("AHT"), c.aht, f | TEXT_ALIGN_RIGHT);
	view_puts(d, VIEW_ROLE_TITLE, "  ");
	view_put_pad(d, VIEW_ROLE_TITLE, _("queues"), c.queues, f);
}

static void agent_row(struct view_doc *d, const struct super_agent *a, bool sel, size_t row,
		      const struct view_state *st, int64_t now, const struct agent_cols *c)
{
	unsigned f = st->text_flags;
	enum view_role base = sel ? VIEW_ROLE_SELECTED : VIEW_ROLE_NORMAL;
	bool stranded = super_agent_stranded(a);
	const char *flag;
	enum view_role flag_role;
	char buf[64], dur[24];

	switch (a->presence) {
	case SUPER_ONLINE:
		flag = _("ONLINE");
		flag_role = VIEW_ROLE_OK;
		break;
	case SUPER_AWAY:
		flag = _("idle");
		flag_role = VIEW_ROLE_WAITING;
		break;
	default:
		flag = stranded ? _("OFFLINE!") : _("offline");
		flag_role = stranded ? VIEW_ROLE_LATE : VIEW_ROLE_DIM;
		break;
	}
	view_line(d, base, (int)row + 1);
	view_put_pad(d, base, sel ? ">" : "", c->marker, f);
	view_put_clean(d, base, a->display_name ? a->display_name : a->login, c->name, f);
	view_puts(d, base, " ");
	view_put_pad(d, flag_role, flag, c->presence, f);
	/* What they set (available / away) and for how long; before a status
	 * is known, how long the presence has lasted. */
	if (a->status) {
		super_figure_duration(a->status_since && now >= a->status_since ?
				      now - a->status_since : -1, dur, sizeof dur);
		snprintf(buf, sizeof buf, "%.*s %s", c->status > 12 ? 9 : 5, a->status,
			 a->status_since ? dur : "");
	} else if (a->presence_since && now >= a->presence_since) {
		snprintf(buf, sizeof buf, "%s", super_figure_duration(now - a->presence_since, dur,
								       sizeof dur));
	} else {
		snprintf(buf, sizeof buf, "%s", _("never"));
	}
	view_put_clean(d, a->status && strcmp(a->status, "away") == 0 ? VIEW_ROLE_WAITING : base,
		       buf, c->status, f);
	if (a->capacity >= 0)
		snprintf(buf, sizeof buf, "%d/%d", a->open_count, a->capacity);
	else
		snprintf(buf, sizeof buf, "%d", a->open_count);
	view_put_pad(d, a->capacity >= 0 && a->open_count >= a->capacity ? VIEW_ROLE_LATE :
		     a->open_count ? VIEW_ROLE_HUMAN : base, buf, c->load, f | TEXT_ALIGN_RIGHT);
	put_int(d, base, a->handled_today, c->handled);
	view_put_pad(d, base, super_figure_duration(a->aht_seconds, dur, sizeof dur), c->aht,
		     f | TEXT_ALIGN_RIGHT);
	view_puts(d, base, "  ");
	/* What to do matters more than their queues. */
	if (stranded) {
		view_puts(d, VIEW_ROLE_LATE, _("needs a person: take over or transfer"));
		return;
	}
	view_put_clean(d, base, a->queues ? a->queues : "", c->queues, f);
	if (a->is_supervisor)
		view_puts(d, VIEW_ROLE_DIM, "  supervisor");
}

static void conv_row(struct view_doc *d, const struct model *m, int64_t id, bool sel,
		     size_t row, const struct view_state *st, int64_t now, const struct agent_cols *c)
{
	unsigned f = st->text_flags;
	enum view_role base = sel ? VIEW_ROLE_SELECTED : VIEW_ROLE_NORMAL;
	const struct model_conv *conv = model_find(m, id);
	char buf[48];

	view_line(d, base, (int)row + 1);
	view_put_pad(d, base, sel ? ">" : "", c->marker + 2, f);
	snprintf(buf, sizeof buf, "#%lld", (long long)id);
	view_put_pad(d, base, buf, 8, f);
	if (!conv) {
		view_puts(d, VIEW_ROLE_DIM, _(" loading…"));
		return;
	}
	view_put_pad(d, conv->state == MODEL_HUMAN ? VIEW_ROLE_HUMAN : VIEW_ROLE_DIM,
		     _(model_state_flag(conv->state)), 6, f);
	put_duration(d, VIEW_ROLE_TIME, model_clock_seconds(conv, now), " ", 9);
	view_put_clean(d, base, conv->queue, 10, f);
	view_puts(d, base, " ");
	view_put_clean(d, base, conv->customer_name && *conv->customer_name ? conv->customer_name :
		       conv->customer_ref ? conv->customer_ref : "", 20, f);
	if (conv->last_body) {
		view_puts(d, base, " ");
		view_put_clean(d, conv->last_kind == AUTHOR_CUSTOMER ? base : VIEW_ROLE_DIM,
			       conv->last_body, -120, f);
	}
}

void view_super_agent_rows(struct view_doc *d, const struct model *m, const struct super_data *sd,
			   const struct view_super *v, const struct view_state *st, int64_t now,
			   int width)
{
	struct agent_cols c;
	size_t i;

	agent_cols_for(width, &c);
	for (i = v->nqueues; i < v->nitems; i++) {
		const struct view_super_item *it = &v->items[i];
		const struct super_agent *a = it->index < sd->nagents ? &sd->agents[it->index] : NULL;
		bool sel = v->has_sel && v->sel == i;

		if (it->kind == VIEW_SUPER_ATTN) {
			view_super_attn_row(d, m, it->conv, it->why, sel, i, st, now);
			continue;
		}
		if (!a)
			continue;
		if (it->kind == VIEW_SUPER_AGENT) {
			agent_row(d, a, sel, i, st, now, &c);
			continue;
		}
		conv_row(d, m, it->conv, sel, i, st, now, &c);
		/* After the last one listed: how many more there are. */
		if (a->nconvs && it->conv == a->convs[a->nconvs - 1] &&
		    a->open_count > (int)a->nconvs) {
			char more[64];

			view_line(d, VIEW_ROLE_NORMAL, 0);
			view_put_pad(d, VIEW_ROLE_NORMAL, "", c.marker + 2, st->text_flags);
			snprintf(more, sizeof more, _("… and %d more"), a->open_count - (int)a->nconvs);
			view_puts(d, VIEW_ROLE_DIM, more);
		}
	}
	if (sd->nagents == 0) {
		view_line(d, VIEW_ROLE_NORMAL, 0);
		view_puts(d, VIEW_ROLE_DIM, sd->loaded ? _("  no agents registered") : "");
	}
}

/* Status ------------------------------------------------------------------ */

/* The connection, as the agent screen says it (safe text). */
static void conn_text(const struct view_state *st, const struct super_data *sd, int64_t now,
		      char *buf, size_t size)
{
	switch (st->conn) {
	case VIEW_ONLINE:
		/* A wall screen must not look live when its figures are not. */
		if (sd->loaded && now - sd->server_now > 15)
			snprintf(buf, size, _("online · figures %llds old"), (long long)(now - sd->server_now));
		else
			snprintf(buf, size, _("online"));
		break;
	case VIEW_CONNECTING:
		snprintf(buf, size, _("connecting…"));
		break;
	case VIEW_OFFLINE:
		if (st->retry_s)
			snprintf(buf, size, _("offline — reconnecting in %u s"), st->retry_s);
		else
			snprintf(buf, size, _("offline — reconnecting…"));
		break;
	case VIEW_FAILED:
		snprintf(buf, size, _("failed: %s"), st->conn_reason);
		break;
	}
}

void view_super_status(struct view_doc *d, const struct model *m, const struct super_data *sd,
		       const struct view_super *v, const struct view_state *st, int64_t now,
		       int width)
{
	const struct view_super_item *it = v->has_sel && v->sel < v->nitems ? &v->items[v->sel] : NULL;
	const struct super_queue *q = view_super_queue(v, sd);
	char conn[300], *cut;
	int left, right;

	/* Messages, questions and overlays read as on the agent screen. */
	enum view_role mrole;

	if (st->mode != VIEW_MODE_LIST || view_message_now(st, now, &mrole)) {
		view_status(d, m, st, now, width);
		return;
	}
	view_line(d, VIEW_ROLE_STATUS, 0);
	if (q) {
		view_hint(d, st, VERB_PAUSE_BOT, q->bot_paused ? "resume the bot" : "pause the bot");
		view_hint(d, st, VERB_OPEN, "its conversations");
	} else if (it && it->kind == VIEW_SUPER_ATTN) {
		view_hint(d, st, VERB_WHISPER, "whisper");
		view_hint(d, st, VERB_TAKEOVER, "take over");
		view_hint(d, st, VERB_OPEN, "open");
	} else if (it && view_super_conv(v, sd)) {
		view_hint(d, st, VERB_TAKEOVER, it->kind == VIEW_SUPER_CONV ? _("take over") :
		     _("take the oldest"));
		view_hint(d, st, VERB_TRANSFER, _("transfer"));
		view_hint(d, st, VERB_OPEN, _("open"));
	}
	if (it && it->kind == VIEW_SUPER_AGENT)
		view_hint(d, st, VERB_SET_CAPACITY, "capacity");
	view_hint(d, st, VERB_SUPERVISOR, "agent view");
	view_hint(d, st, VERB_HELP, "help");
	view_hint(d, st, VERB_QUIT, "quit");
	conn_text(st, sd, now, conn, sizeof conn);
	left = d->lines[d->nlines - 1].cols;
	right = text_width(conn) + 2;
	if (right > width) {
		cut = text_truncate(conn, width > 1 ? width - 1 : 1, st->text_flags);
		d->nlines--;
		view_line(d, VIEW_ROLE_STATUS, 0);
		view_puts(d, VIEW_ROLE_ERROR, cut);
		free(cut);
		return;
	}
	if (left + right > width) {
		/* The connection state matters more than the last hints. */
		d->nlines--;
		view_line(d, VIEW_ROLE_STATUS, 0);
		if (q)
			view_hint(d, st, VERB_PAUSE_BOT, q->bot_paused ? _("resume") : _("pause"));
		else if (it && view_super_conv(v, sd))
			view_hint(d, st, VERB_TAKEOVER, _("take over"));
		view_hint(d, st, VERB_SUPERVISOR, _("agents"));
		left = d->lines[d->nlines - 1].cols;
		if (left + right > width) {
			d->nlines--;
			view_line(d, VIEW_ROLE_STATUS, 0);
		}
	}
	view_put_to(d, VIEW_ROLE_STATUS, width - right + 1);
	view_puts(d, st->conn == VIEW_ONLINE ? VIEW_ROLE_STATUS : VIEW_ROLE_ERROR, conn);
}

