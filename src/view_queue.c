/* view_queue: the queue list, one row a conversation. */
#include <stdio.h>
#include <string.h>

#include "balie/i18n.h"
#include "balie/shift.h"
#include "balie/text.h"
#include "balie/view.h"

/* Column widths for a list WIDTH columns wide; 0 drops a column. */
struct columns {
	int marker, flag, clock, queue, customer, who, last;
};

/* The widest state flag in the reader's language, and a blank after it
 * (English "HUMAN ", Dutch "WACHT "); never narrower than that. */
static int flag_width(void)
{
	static const enum model_state shown[] = { MODEL_BOT, MODEL_WAITING, MODEL_HUMAN };
	int w = 5;
	size_t i;

	for (i = 0; i < sizeof shown / sizeof shown[0]; i++) {
		int fw = text_width(_(model_state_flag(shown[i])));

		if (fw > w && fw <= 8)
			w = fw;
	}
	return w + 1;
}

static void columns_for(int width, struct columns *c)
{
	int rest;

	c->marker = 2;			/* "> " */
	c->flag = flag_width();
	c->clock = 9;			/* " h:mm:ss! " */
	rest = width - c->marker - c->flag - c->clock;
	c->queue = view_clamp(rest * 13 / 100, 7, 12);
	c->customer = view_clamp(rest * 25 / 100, 10, 24);
	c->who = view_clamp(rest * 26 / 100, 10, 20);
	c->last = rest - c->queue - c->customer - c->who - 3;
	if (c->last < 6) {
		/* Narrow: the last message goes first, then the reason. */
		c->last = 0;
		c->who = rest - c->queue - c->customer - 2;
		if (c->who < 4)
			c->who = 0;
	}
}

void view_queue_title(struct view_doc *d, const struct view_state *st, int width)
{
	struct columns c;
	unsigned f = st->text_flags;

	columns_for(width, &c);
	view_line(d, VIEW_ROLE_TITLE, 0);
	view_put_pad(d, VIEW_ROLE_TITLE, "", c.marker, f);
	view_put_pad(d, VIEW_ROLE_TITLE, _("state"), c.flag, f);
	view_put_pad(d, VIEW_ROLE_TITLE, _("clock "), c.clock - 1, f | TEXT_ALIGN_RIGHT);
	view_puts(d, VIEW_ROLE_TITLE, " ");
	view_put_pad(d, VIEW_ROLE_TITLE, _("queue"), c.queue, f);
	view_puts(d, VIEW_ROLE_TITLE, " ");
	view_put_pad(d, VIEW_ROLE_TITLE, _("customer"), c.customer, f);
	if (c.who) {
		view_puts(d, VIEW_ROLE_TITLE, " ");
		view_put_pad(d, VIEW_ROLE_TITLE, _("who / why"), c.who, f);
	}
	if (c.last) {
		view_puts(d, VIEW_ROLE_TITLE, " ");
		view_put_pad(d, VIEW_ROLE_TITLE, _("last message"), c.last, f);
	}
}

static enum view_role flag_role(const struct model *m, const struct model_conv *c)
{
	switch (c->state) {
	case MODEL_WAITING:
		return VIEW_ROLE_WAITING;
	case MODEL_HUMAN:
		return m->me && c->agent && strcmp(c->agent, m->me) == 0 ?
			VIEW_ROLE_MINE : VIEW_ROLE_HUMAN;
	case MODEL_BOT:
		return VIEW_ROLE_BOT;
	default:
		return VIEW_ROLE_DIM;
	}
}

/* "me", and for my own what waits: "me · 3 new", "me · waits". */
static void mine_who(struct view_doc *d, const struct model_conv *c, int64_t waits, int width,
		     unsigned f)
{
	int unread = shift_unread(c);
	char buf[48];

	if (unread)
		snprintf(buf, sizeof buf, _("me · %d new"), unread);
	else
		snprintf(buf, sizeof buf, "%s", waits ? _("me · waits") : _("me"));
	view_put_pad(d, VIEW_ROLE_MINE, buf, width, f);
}

static void queue_row(struct view_doc *d, const struct model *m, const struct view_state *st,
		      const struct model_conv *c, bool selected, int64_t now,
		      const struct columns *col)
{
	unsigned f = st->text_flags;
	enum view_role base = selected ? VIEW_ROLE_SELECTED : VIEW_ROLE_NORMAL;
	bool mine = shift_mine(m, c);
	int64_t waits = mine ? shift_customer_wait(c, now) : 0;
	/* My own: how long the customer waits for my answer, if they do. */
	int64_t secs = waits ? waits : model_clock_seconds(c, now);
	enum shift_sla sla = shift_sla(m, c, now, st->sla_warn);
	char clock[TEXT_DURATION_SIZE + 2];

	view_line(d, base, 0);
	/* A marker as well as reverse video: the selection survives any theme. */
	view_put_pad(d, base, selected ? ">" : (c->id == st->open ? "*" : ""), col->marker, f);
	view_put_pad(d, flag_role(m, c), _(model_state_flag(c->state)), col->flag, f);
	text_duration((long)secs, clock, TEXT_DURATION_SIZE);
	/* In text too: ~ nearing the SLA, ! past it. */
	strcat(clock, sla == SHIFT_SLA_BREACHED ? "!" : sla == SHIFT_SLA_NEAR ? "~" : " ");
	view_put_pad(d, sla != SHIFT_SLA_OK ? VIEW_ROLE_LATE :
		     c->state == MODEL_WAITING || waits ? VIEW_ROLE_WAITING : VIEW_ROLE_TIME,
		     clock, col->clock - 1, f | TEXT_ALIGN_RIGHT);
	view_puts(d, base, " ");
	view_put_clean(d, base, c->queue, col->queue, f);
	view_puts(d, base, " ");
	view_put_clean(d, base, c->customer_name ? c->customer_name : c->customer_ref,
		       col->customer, f);
	if (col->who) {
		view_puts(d, base, " ");
		if (mine)
			mine_who(d, c, waits, col->who, f);
		else if (c->state == MODEL_HUMAN)
			view_put_clean(d, VIEW_ROLE_HUMAN, model_agent_name(m, c->agent),
				       col->who, f);
		else
			view_put_clean(d, base, c->reason ? c->reason : "", col->who, f);
	}
	if (col->last) {
		view_puts(d, base, " ");
		view_put_clean(d, c->last_kind == AUTHOR_CUSTOMER ? base : VIEW_ROLE_DIM,
			       c->last_body ? c->last_body : "", col->last, f);
	}
}

void view_queue_rows(struct view_doc *d, const struct model *m, const struct view_state *st,
		     int64_t now, int width, size_t first, size_t count)
{
	struct columns col;
	size_t i;

	columns_for(width, &col);
	for (i = first; i < first + count && i < st->nrows; i++)
		queue_row(d, m, st, st->rows[i], i == st->sel, now, &col);
	if (st->nrows == 0 && first == 0 && count > 0) {
		view_line(d, VIEW_ROLE_NORMAL, 0);
		if (st->search && *st->search)
			view_puts(d, VIEW_ROLE_DIM, _("  no conversation matches the search (Esc clears it)"));
		else if (st->conn == VIEW_ONLINE)
			view_puts(d, VIEW_ROLE_DIM, _("  no open conversations in your queues"));
		else
			view_puts(d, VIEW_ROLE_DIM, _("  loading…"));
	}
}

void view_queue_scrolled(struct view_doc *d, const struct model *m, const struct view_state *st,
			 int64_t now, int width, size_t shown)
{
	size_t above = st->list_top < st->nrows ? st->list_top : st->nrows, below, late = 0, i;
	char mark[96];
	int cols;

	below = st->nrows > above + shown ? st->nrows - above - shown : 0;
	if (!above && !below)
		return;
	/* A customer past the SLA out of sight at the top must not be missed. */
	for (i = 0; i < above; i++)
		if (shift_sla(m, st->rows[i], now, 0) == SHIFT_SLA_BREACHED)
			late++;
	if (above && below)
		snprintf(mark, sizeof mark, _("↑%zu%s ↓%zu "), above, late ? _(" (SLA!)") : "", below);
	else if (above)
		snprintf(mark, sizeof mark, _("↑%zu more above%s "), above,
			 late ? _(", past SLA!") : "");
	else
		snprintf(mark, sizeof mark, _("↓%zu more below "), below);
	cols = text_width(mark);
	if (cols + 10 > width)
		return;
	view_cut_line(d, width - cols - 1, st->text_flags);
	view_put_to(d, VIEW_ROLE_TITLE, width - cols);
	view_puts(d, late ? VIEW_ROLE_LATE : VIEW_ROLE_TITLE, mark);
}
