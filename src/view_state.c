/* view_state: the console's own state — rows, selection, search, messages. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/text.h"
#include "balie/util.h"
#include "balie/view.h"

void view_state_init(struct view_state *st, const struct keys_map *keys, unsigned text_flags)
{
	memset(st, 0, sizeof *st);
	st->keys = keys;
	st->text_flags = text_flags;
	st->follow = true;
	st->conn = VIEW_CONNECTING;
	st->message_role = VIEW_ROLE_NORMAL;
	st->sla_warn = 80;
}

void view_clear_history(struct view_state *st)
{
	size_t i;

	for (i = 0; i < st->history.n; i++) {
		free(st->history.items[i].queue);
		free(st->history.items[i].intent);
		free(st->history.items[i].reason);
		free(st->history.items[i].summary);
	}
	free(st->history.items);
	memset(&st->history, 0, sizeof st->history);
}

void view_state_free(struct view_state *st)
{
	view_clear_history(st);
	free(st->rows);
	free(st->search);
	memset(st, 0, sizeof *st);
}

void view_set_history(struct view_state *st, int64_t conv, const struct model_history *h,
		      size_t n)
{
	size_t i;

	view_clear_history(st);
	st->history.conv = conv;
	st->history.loaded = true;
	st->history.n = n;
	st->history.items = xcalloc(n ? n : 1, sizeof *st->history.items);
	for (i = 0; i < n; i++) {
		st->history.items[i] = h[i];
		st->history.items[i].queue = xstrdup(h[i].queue);
		st->history.items[i].intent = xstrdup(h[i].intent);
		st->history.items[i].reason = xstrdup(h[i].reason);
		st->history.items[i].summary = xstrdup(h[i].summary);
	}
}

void view_message(struct view_state *st, enum view_role role, int64_t now, int seconds,
		  const char *fmt, ...)
{
	char raw[sizeof st->message];
	char *clean;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	/* Messages quote names and server text: sanitise like everything else. */
	clean = text_clean(raw, st->text_flags);
	snprintf(st->message, sizeof st->message, "%s", clean);
	free(clean);
	st->message_role = role;
	st->message_until = now + seconds;
}

/* ASCII case-insensitive substring search (names and intents are mostly
 * ASCII; other characters must match exactly). */
static bool contains_folded(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	if (!hay)
		return false;
	for (; *hay; hay++) {
		for (i = 0; i < n; i++) {
			unsigned char a = (unsigned char)hay[i], b = (unsigned char)needle[i];

			if (a >= 'A' && a <= 'Z')
				a = (unsigned char)(a - 'A' + 'a');
			if (b >= 'A' && b <= 'Z')
				b = (unsigned char)(b - 'A' + 'a');
			if (a != b)
				break;
		}
		if (i == n)
			return true;
	}
	return false;
}

bool view_matches(const struct model_conv *c, const struct model *m, const char *query)
{
	const struct model_queue *q;

	if (!query || !*query)
		return true;
	q = model_queue(m, c->queue);
	return contains_folded(c->customer_name, query) ||
	       contains_folded(c->queue, query) ||
	       (q && contains_folded(q->name, query)) ||
	       contains_folded(c->last_body, query) ||
	       contains_folded(c->intent, query) ||
	       contains_folded(c->summary, query);
}

void view_rows_refresh(struct view_state *st, const struct model *m, int64_t now)
{
	size_t i, n, w;

	if (st->rows_cap < m->nconvs + 1) {
		st->rows_cap = m->nconvs + 64;
		st->rows = xrealloc(st->rows, st->rows_cap * sizeof *st->rows);
	}
	n = model_queue_order(m, now, st->rows);
	memset(st->counts, 0, sizeof st->counts);
	for (i = 0, w = 0; i < n; i++) {
		struct model_conv *c = st->rows[i];

		if (c->state == MODEL_WAITING)
			st->counts[0]++;
		else if (c->state == MODEL_HUMAN)
			st->counts[1]++;
		else if (c->state == MODEL_BOT)
			st->counts[2]++;
		if (view_matches(c, m, st->search))
			st->rows[w++] = c;
	}
	st->nrows = w;
	/* Follow the selected conversation to its new row. */
	for (i = 0; i < st->nrows; i++) {
		if (st->rows[i]->id == st->selected) {
			st->sel = i;
			return;
		}
	}
	/* It left (closed, filtered out): stay at about the same place. */
	if (st->nrows == 0) {
		st->sel = 0;
		st->selected = 0;
		return;
	}
	if (st->sel >= st->nrows)
		st->sel = st->nrows - 1;
	st->selected = st->rows[st->sel]->id;
}

void view_select_row(struct view_state *st, size_t i)
{
	if (st->nrows == 0)
		return;
	st->sel = i < st->nrows ? i : st->nrows - 1;
	st->selected = st->rows[st->sel]->id;
}

void view_select_move(struct view_state *st, long delta)
{
	long i = (long)st->sel + delta;

	if (st->nrows == 0)
		return;
	if (i < 0)
		i = 0;
	view_select_row(st, (size_t)i);
}

struct model_conv *view_selected(const struct view_state *st)
{
	return st->nrows && st->sel < st->nrows ? st->rows[st->sel] : NULL;
}

void view_list_scroll(struct view_state *st, int height)
{
	size_t h = height > 0 ? (size_t)height : 1;

	if (st->sel < st->list_top)
		st->list_top = st->sel;
	else if (st->sel >= st->list_top + h)
		st->list_top = st->sel - h + 1;
	/* No empty rows at the bottom while there are rows above. */
	if (st->list_top + h > st->nrows)
		st->list_top = st->nrows > h ? st->nrows - h : 0;
}
