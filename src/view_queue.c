/* view_queue: the queue list, one row a conversation. */
#include <stdio.h>
#include <string.h>

#include "balie/text.h"
#include "balie/view.h"

/* Column widths for a list WIDTH columns wide; 0 drops a column. */
struct columns {
	int marker, flag, clock, queue, customer, who, last;
};

static void columns_for(int width, struct columns *c)
{
	int rest;

	c->marker = 2;			/* "> " */
	c->flag = 6;			/* "HUMAN " */
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
	view_put_pad(d, VIEW_ROLE_TITLE, "state", c.flag, f);
	view_put_pad(d, VIEW_ROLE_TITLE, "clock ", c.clock - 1, f | TEXT_ALIGN_RIGHT);
	view_puts(d, VIEW_ROLE_TITLE, " ");
	view_put_pad(d, VIEW_ROLE_TITLE, "queue", c.queue, f);
	view_puts(d, VIEW_ROLE_TITLE, " ");
	view_put_pad(d, VIEW_ROLE_TITLE, "customer", c.customer, f);
	if (c.who) {
		view_puts(d, VIEW_ROLE_TITLE, " ");
		view_put_pad(d, VIEW_ROLE_TITLE, "who / why", c.who, f);
	}
	if (c.last) {
		view_puts(d, VIEW_ROLE_TITLE, " ");
		view_put_pad(d, VIEW_ROLE_TITLE, "last message", c.last, f);
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

/* Whether C waits longer than its queue's SLA allows. */
static bool past_sla(const struct model *m, const struct model_conv *c, int64_t secs)
{
	const struct model_queue *q = model_queue(m, c->queue);

	return c->state == MODEL_WAITING && q && q->sla_seconds > 0 && secs > q->sla_seconds;
}

static void queue_row(struct view_doc *d, const struct model *m, const struct view_state *st,
		      const struct model_conv *c, bool selected, int64_t now,
		      const struct columns *col)
{
	unsigned f = st->text_flags;
	enum view_role base = selected ? VIEW_ROLE_SELECTED : VIEW_ROLE_NORMAL;
	int64_t secs = model_clock_seconds(c, now);
	bool late = past_sla(m, c, secs);
	char clock[TEXT_DURATION_SIZE + 2];
	bool mine = m->me && c->agent && strcmp(c->agent, m->me) == 0;

	view_line(d, base, 0);
	/* A marker as well as reverse video: the selection survives any theme. */
	view_put_pad(d, base, selected ? ">" : (c->id == st->open ? "*" : ""), col->marker, f);
	view_put_pad(d, flag_role(m, c), model_state_flag(c->state), col->flag, f);
	text_duration((long)secs, clock, TEXT_DURATION_SIZE);
	strcat(clock, late ? "!" : " ");
	view_put_pad(d, late ? VIEW_ROLE_LATE :
		     c->state == MODEL_WAITING ? VIEW_ROLE_WAITING : VIEW_ROLE_TIME,
		     clock, col->clock - 1, f | TEXT_ALIGN_RIGHT);
	view_puts(d, base, " ");
	view_put_clean(d, base, c->queue, col->queue, f);
	view_puts(d, base, " ");
	view_put_clean(d, base, c->customer_name ? c->customer_name : c->customer_ref,
		       col->customer, f);
	if (col->who) {
		view_puts(d, base, " ");
		if (c->state == MODEL_HUMAN && mine)
			view_put_pad(d, VIEW_ROLE_MINE, "me", col->who, f);
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
			view_puts(d, VIEW_ROLE_DIM, "  no conversation matches the search (Esc clears it)");
		else if (st->conn == VIEW_ONLINE)
			view_puts(d, VIEW_ROLE_DIM, "  no open conversations in your queues");
		else
			view_puts(d, VIEW_ROLE_DIM, "  loading…");
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
		if (past_sla(m, st->rows[i], model_clock_seconds(st->rows[i], now)))
			late++;
	if (above && below)
		snprintf(mark, sizeof mark, "↑%zu%s ↓%zu ", above, late ? " (SLA!)" : "", below);
	else if (above)
		snprintf(mark, sizeof mark, "↑%zu more above%s ", above,
			 late ? ", past SLA!" : "");
	else
		snprintf(mark, sizeof mark, "↓%zu more below ", below);
	cols = text_width(mark);
	if (cols + 10 > width)
		return;
	view_cut_line(d, width - cols - 1, st->text_flags);
	view_put_to(d, VIEW_ROLE_TITLE, width - cols);
	view_puts(d, late ? VIEW_ROLE_LATE : VIEW_ROLE_TITLE, mark);
}
