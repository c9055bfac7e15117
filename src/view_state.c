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
	view_pick_items(st, NULL, NULL, 0);
	free(st->rows);
	free(st->search);
	free(st->hits);
	free(st->hits_for);
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
	if (role == VIEW_ROLE_WAITING && now < st->message_held && now < st->message_until) {
		/* The person is reading what their action did: news waits. */
		snprintf(st->news, sizeof st->news, "%s", clean);
		st->news_role = role;
		st->news_from = st->message_held;
		st->news_until = st->message_held + seconds;
		free(clean);
		return;
	}
	snprintf(st->message, sizeof st->message, "%s", clean);
	free(clean);
	st->message_role = role;
	st->message_until = now + seconds;
	st->message_held = role == VIEW_ROLE_WAITING ? 0 : now + VIEW_HOLD_SECONDS;
	if (role == VIEW_ROLE_WAITING)
		st->news[0] = '\0';
	else if (st->news[0]) {
		/* Waiting news waits for this one too. */
		st->news_until += st->message_held - st->news_from;
		st->news_from = st->message_held;
	}
}

const char *view_message_now(const struct view_state *st, int64_t now, enum view_role *role)
{
	if (st->news[0] && now >= st->news_from && now < st->news_until) {
		*role = st->news_role;
		return st->news;
	}
	if (st->message[0] && now < st->message_until) {
		*role = st->message_role;
		return st->message;
	}
	return NULL;
}

/* S folded for searching: transliterated to ASCII and lower case, so that
 * "zoe" finds "Zoë" and "YILMAZ" finds "Yılmaz" (a newly allocated string). */
static char *fold(const char *s)
{
	size_t len = strlen(s), i = 0, n = 0;
	char *out = xmalloc(len * 4 + 1), t[TEXT_TRANSLIT_MAX];
	uint32_t cp;
	size_t k;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			out[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
			i++;
			continue;
		}
		k = text_decode(s + i, len - i, &cp);
		if (cp != TEXT_BAD_CP && text_translit(cp, t, sizeof t) && strlen(t) <= k * 4) {
			for (size_t j = 0; t[j]; j++)
				out[n++] = (char)(t[j] >= 'A' && t[j] <= 'Z' ? t[j] - 'A' + 'a' : t[j]);
		} else {
			memcpy(out + n, s + i, k);
			n += k;
		}
		i += k;
	}
	out[n] = '\0';
	return out;
}

static bool contains_folded(const char *hay, const char *needle)
{
	char *h;
	bool found;

	if (!hay)
		return false;
	h = fold(hay);
	found = strstr(h, needle) != NULL;
	free(h);
	return found;
}

bool view_matches(const struct model_conv *c, const struct model *m, const char *query)
{
	const struct model_queue *q;
	char *needle;
	bool found;

	if (!query || !*query)
		return true;
	q = model_queue(m, c->queue);
	needle = fold(query);
	/* Also the owner's name: "anna" finds what Anna has. */
	found = contains_folded(c->customer_name, needle) ||
		contains_folded(c->customer_ref, needle) ||
		contains_folded(c->queue, needle) ||
		(q && contains_folded(q->name, needle)) ||
		contains_folded(c->last_body, needle) ||
		contains_folded(c->intent, needle) ||
		contains_folded(c->summary, needle) ||
		(c->agent && contains_folded(model_agent_name(m, c->agent), needle));
	free(needle);
	return found;
}

/* Whether the store's search for the current query found ID. */
static bool search_hit(const struct view_state *st, int64_t id)
{
	size_t i;

	if (!st->search || !st->hits_for || strcmp(st->search, st->hits_for) != 0)
		return false;
	for (i = 0; i < st->nhits; i++)
		if (st->hits[i] == id)
			return true;
	return false;
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
		if (view_matches(c, m, st->search) || search_hit(st, c->id))
			st->rows[w++] = c;
	}
	st->nrows = w;
	/* Nobody chose a row yet: the most urgent one, whatever arrives. */
	if (st->sel_auto && st->nrows) {
		st->sel = 0;
		st->selected = st->rows[0]->id;
		return;
	}
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
	if (st->selected == 0)
		st->sel_auto = true;
	if (st->sel >= st->nrows)
		st->sel = st->nrows - 1;
	st->selected = st->rows[st->sel]->id;
}

void view_select_row(struct view_state *st, size_t i)
{
	if (st->nrows == 0)
		return;
	st->sel_auto = false;
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

void view_pick_items(struct view_state *st, const char *title, const char *const *items,
		     size_t n)
{
	size_t i;

	for (i = 0; i < st->npick_items; i++)
		free(st->pick_items[i]);
	free(st->pick_items);
	st->pick_items = NULL;
	st->npick_items = 0;
	st->pick_title[0] = '\0';
	if (n == 0)
		return;
	st->pick_items = xcalloc(n, sizeof *st->pick_items);
	for (i = 0; i < n; i++)
		st->pick_items[i] = xstrdup(items[i] ? items[i] : "");
	st->npick_items = n;
	snprintf(st->pick_title, sizeof st->pick_title, "%s", title ? title : "");
}
