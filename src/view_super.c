/* view_super: the supervisor screen's rows, selection, scrolling and layout;
 * its lines are view_super_lines.c. See view_super.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/text.h"
#include "balie/util.h"
#include "balie/view_super.h"

void view_super_init(struct view_super *v)
{
	memset(v, 0, sizeof *v);
}

void view_super_free(struct view_super *v)
{
	free(v->items);
	view_super_init(v);
}

/* Rows ------------------------------------------------------------------ */

static int presence_rank(const struct super_agent *a)
{
	if (super_agent_stranded(a))
		return 0;
	switch (a->presence) {
	case SUPER_ONLINE:
		return 1;
	case SUPER_AWAY:
		return 2;
	default:
		return 3;
	}
}

int view_super_agent_order(const struct super_agent *a, const struct super_agent *b)
{
	int r = presence_rank(a) - presence_rank(b);

	if (r)
		return r;
	r = strcmp(a->display_name ? a->display_name : "", b->display_name ? b->display_name : "");
	if (r)
		return r;
	return strcmp(a->login ? a->login : "", b->login ? b->login : "");
}

static int agent_ptr_cmp(const void *x, const void *y)
{
	return view_super_agent_order(*(const struct super_agent *const *)x,
				      *(const struct super_agent *const *)y);
}

static void add_item(struct view_super *v, enum view_super_kind kind, size_t index, int64_t conv)
{
	if (v->nitems == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->items = xrealloc(v->items, v->cap * sizeof *v->items);
	}
	v->items[v->nitems++] = (struct view_super_item){ kind, index, conv, VIEW_SUPER_ATTN_NONE };
}

/* At most this many attention rows: the rest are counted in the header. */
#define ATTN_MAX 12

struct attn {
	const struct model_conv *c;
	enum view_super_attn why;
	int64_t since;
};

static int attn_cmp(const void *x, const void *y)
{
	const struct attn *a = x, *b = y;

	if (a->why != b->why)
		return (int)a->why - (int)b->why;
	if (a->since != b->since)
		return a->since < b->since ? -1 : 1;
	return a->c->id < b->c->id ? -1 : a->c->id > b->c->id;
}

/* Raised hands first (oldest first), then past SLA, then near it. */
static void add_attention(struct view_super *v, const struct model *m, int64_t now)
{
	struct attn *list;
	size_t i, n = 0;

	if (!m || !m->nconvs)
		return;
	list = xcalloc(m->nconvs, sizeof *list);
	for (i = 0; i < m->nconvs; i++) {
		const struct model_conv *c = m->convs[i];
		enum view_super_attn why = view_super_attention(m, c, now);

		if (why != VIEW_SUPER_ATTN_NONE)
			list[n++] = (struct attn){ c, why, why == VIEW_SUPER_ATTN_HAND ?
						   c->hand_raised_at : c->escalated_at };
	}
	qsort(list, n, sizeof *list, attn_cmp);
	for (i = 0; i < n && i < ATTN_MAX; i++) {
		add_item(v, VIEW_SUPER_ATTN, (size_t)-1, list[i].c->id);
		v->items[v->nitems - 1].why = list[i].why;
	}
	free(list);
}

/* Remembers what row I shows, to find it again after a rebuild. */
static void remember(struct view_super *v, const struct super_data *d, size_t i)
{
	const struct view_super_item *it = &v->items[i];
	const char *key = "";

	v->sel = i;
	v->has_sel = true;
	v->sel_kind = it->kind;
	v->sel_conv = it->conv;
	if (it->kind == VIEW_SUPER_QUEUE && it->index < d->nqueues)
		key = d->queues[it->index].id;
	else if (it->kind != VIEW_SUPER_QUEUE && it->index < d->nagents)
		key = d->agents[it->index].login;
	snprintf(v->sel_key, sizeof v->sel_key, "%s", key ? key : "");
}

static const char *item_key(const struct view_super_item *it, const struct super_data *d)
{
	const char *k = NULL;

	if (it->kind == VIEW_SUPER_QUEUE && it->index < d->nqueues)
		k = d->queues[it->index].id;
	else if (it->kind != VIEW_SUPER_QUEUE && it->index < d->nagents)
		k = d->agents[it->index].login;
	return k ? k : "";
}

void view_super_refresh(struct view_super *v, const struct super_data *d)
{
	view_super_rebuild(v, d, NULL, 0);
}

void view_super_rebuild(struct view_super *v, const struct super_data *d, const struct model *m,
			int64_t now)
{
	const struct super_agent **order;
	size_t i, j, old_sel = v->sel, found = (size_t)-1, agent_row = (size_t)-1;

	v->nitems = 0;
	for (i = 0; i < d->nqueues; i++)
		add_item(v, VIEW_SUPER_QUEUE, i, 0);
	v->nqueues = v->nitems;
	add_attention(v, m, now);
	order = xcalloc(d->nagents ? d->nagents : 1, sizeof *order);
	for (i = 0; i < d->nagents; i++)
		order[i] = &d->agents[i];
	qsort(order, d->nagents, sizeof *order, agent_ptr_cmp);
	for (i = 0; i < d->nagents; i++) {
		size_t a = (size_t)(order[i] - d->agents);

		add_item(v, VIEW_SUPER_AGENT, a, 0);
		for (j = 0; j < order[i]->nconvs; j++)
			add_item(v, VIEW_SUPER_CONV, a, order[i]->convs[j]);
	}
	free(order);
	if (v->nitems == 0) {
		v->has_sel = false;
		v->sel = 0;
		return;
	}
	/* The same row if it is still there; a conversation that moved to
	 * another agent is followed; one that is gone leaves its agent selected. */
	for (i = 0; v->has_sel && i < v->nitems && found == (size_t)-1; i++) {
		const struct view_super_item *it = &v->items[i];

		if (it->kind != v->sel_kind)
			continue;
		if (it->kind == VIEW_SUPER_CONV || it->kind == VIEW_SUPER_ATTN ? it->conv == v->sel_conv :
		    strcmp(item_key(it, d), v->sel_key) == 0)
			found = i;
	}
	for (i = 0; v->has_sel && v->sel_kind == VIEW_SUPER_CONV && found == (size_t)-1 &&
	     i < v->nitems; i++)
		if (v->items[i].kind == VIEW_SUPER_AGENT &&
		    strcmp(item_key(&v->items[i], d), v->sel_key) == 0)
			agent_row = i;
	if (found == (size_t)-1)
		found = agent_row != (size_t)-1 ? agent_row :
			!v->has_sel ? 0 : old_sel < v->nitems ? old_sel : v->nitems - 1;
	remember(v, d, found);
}

void view_super_select(struct view_super *v, const struct super_data *d, size_t i)
{
	if (v->nitems == 0)
		return;
	remember(v, d, i < v->nitems ? i : v->nitems - 1);
}

void view_super_move(struct view_super *v, const struct super_data *d, long delta)
{
	long i;

	if (v->nitems == 0)
		return;
	i = (long)v->sel + delta;
	view_super_select(v, d, i < 0 ? 0 : (size_t)i);
}

static const struct view_super_item *selected(const struct view_super *v)
{
	return v->has_sel && v->sel < v->nitems ? &v->items[v->sel] : NULL;
}

const struct super_queue *view_super_queue(const struct view_super *v, const struct super_data *d)
{
	const struct view_super_item *it = selected(v);

	return it && it->kind == VIEW_SUPER_QUEUE && it->index < d->nqueues ?
		&d->queues[it->index] : NULL;
}

const struct super_agent *view_super_agent(const struct view_super *v, const struct super_data *d)
{
	const struct view_super_item *it = selected(v);

	return it && (it->kind == VIEW_SUPER_AGENT || it->kind == VIEW_SUPER_CONV) &&
		it->index < d->nagents ? &d->agents[it->index] : NULL;
}

int64_t view_super_conv(const struct view_super *v, const struct super_data *d)
{
	const struct view_super_item *it = selected(v);
	const struct super_agent *a = view_super_agent(v, d);

	if (!it)
		return 0;
	if (it->kind == VIEW_SUPER_CONV || it->kind == VIEW_SUPER_ATTN)
		return it->conv;
	return a && a->nconvs ? a->convs[0] : 0;
}

/* Scrolling and layout ----------------------------------------------------- */

size_t view_super_scroll(const struct view_doc *rows, int tag, size_t top, int height)
{
	size_t i, first = (size_t)-1, last;
	size_t h = height > 0 ? (size_t)height : 1;

	for (i = 0; i < rows->nlines; i++) {
		if (rows->lines[i].tag == tag) {
			first = i;
			break;
		}
	}
	if (first != (size_t)-1) {
		/* The row and the untagged lines that belong to it. */
		for (last = first; last + 1 < rows->nlines && rows->lines[last + 1].tag == 0; last++)
			;
		if (last - first + 1 > h)
			last = first + h - 1;
		if (last >= top + h)
			top = last - h + 1;
		if (first < top)
			top = first;
	}
	if (rows->nlines <= h)
		return 0;
	if (top > rows->nlines - h)
		top = rows->nlines - h;
	return top;
}

/* The queue region gets its title and three lines per queue, at most half of
 * the middle; the agents get the rest. The regions tile the screen, so
 * nothing of another screen shows through. */
static void split_super(struct view_layout *l, struct view_rect mid, const void *arg)
{
	size_t nqueues = *(const size_t *)arg;
	int want = 1 + 3 * (int)(nqueues ? nqueues : 1);
	int qh = want < mid.h / 2 ? want : mid.h / 2;

	if (qh < 3)
		qh = 3;
	l->queues = (struct view_rect){ mid.y, 0, qh, mid.w };
	l->agents = (struct view_rect){ mid.y + qh, 0, mid.h - qh, mid.w };
}

void view_super_layout(int rows, int cols, size_t nqueues, bool prompt, struct view_layout *l)
{
	view_layout_screen(rows, cols, prompt, split_super, &nqueues, l);
}
