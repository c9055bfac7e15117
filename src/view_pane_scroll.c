/* view_pane_scroll: where the pane's body is shown — following the newest
 * message, or anchored on one the agent scrolled to — and when to load more. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "balie/i18n.h"
#include "balie/text.h"
#include "balie/view.h"

/* The message in the middle of the shown lines (the nearest one that is a
 * message), which the model keeps loaded around. */
static int middle_seq(const struct view_doc *body, size_t top, int height)
{
	size_t n = body->nlines, mid = top + (size_t)(height > 1 ? height / 2 : 0), i;

	if (n == 0)
		return 0;
	if (mid >= n)
		mid = n - 1;
	for (i = mid; i < n; i++)
		if (body->lines[i].tag > 0)
			return body->lines[i].tag;
	for (i = mid; i-- > 0;)
		if (body->lines[i].tag > 0)
			return body->lines[i].tag;
	return 0;
}

/* Whether the body ends in the "newer messages" line: no following then. */
static bool more_below(const struct view_doc *body)
{
	return body->nlines && body->lines[body->nlines - 1].tag == VIEW_TAG_MORE_BELOW;
}

void view_pane_place(struct view_state *st, const struct view_doc *body, int height)
{
	size_t n = body->nlines, h = height > 0 ? (size_t)height : 1, i;
	size_t max_top = n > h ? n - h : 0;
	long top = (long)st->pane_top;

	st->pane_lines = n;
	st->pane_height = height;
	if (st->follow && !more_below(body)) {
		st->pane_top = max_top;
		st->pane_seq = middle_seq(body, st->pane_top, height);
		return;
	}
	st->follow = false;
	if (st->anchor_seq > 0) {
		for (i = 0; i < n; i++) {
			if (body->lines[i].tag == st->anchor_seq) {
				top = (long)i + st->anchor_off;
				break;
			}
		}
	}
	if (top < 0)
		top = 0;
	if ((size_t)top >= max_top) {
		top = (long)max_top;
		st->follow = !more_below(body);
	}
	st->pane_top = (size_t)top;
	st->pane_seq = middle_seq(body, st->pane_top, height);
}

void view_pane_scroll(struct view_state *st, const struct view_doc *body, long delta)
{
	size_t n = body->nlines, h = st->pane_height > 0 ? (size_t)st->pane_height : 1, i;
	size_t max_top = n > h ? n - h : 0;
	long top = (long)st->pane_top + delta;

	if (top < 0)
		top = 0;
	if ((size_t)top > max_top)
		top = (long)max_top;
	st->pane_top = (size_t)top;
	st->follow = st->pane_top >= max_top && !more_below(body);
	st->pane_seq = middle_seq(body, st->pane_top, (int)h);
	/* Anchor on the first message line at or below the top, so lines loaded
	 * above it (older messages) do not move what is shown. */
	st->anchor_seq = 0;
	st->anchor_off = 0;
	for (i = st->pane_top; i < n; i++) {
		if (body->lines[i].tag > 0) {
			size_t first = i;

			while (first > 0 && body->lines[first - 1].tag == body->lines[i].tag)
				first--;
			st->anchor_seq = body->lines[i].tag;
			st->anchor_off = (int)((long)st->pane_top - (long)first);
			break;
		}
	}
}

void view_pane_follow(struct view_state *st)
{
	st->follow = true;
	st->anchor_seq = 0;
	st->anchor_off = 0;
}

bool view_pane_wants_older(const struct view_state *st, const struct model_conv *c)
{
	return c && st->pane_top == 0 && !st->loading_older && c->nmsgs > 0 &&
	       model_first_seq(c) > 1;
}

bool view_pane_wants_newer(const struct view_state *st, const struct model_conv *c)
{
	size_t h = st->pane_height > 0 ? (size_t)st->pane_height : 1;

	return c && c->newer_unloaded && !st->loading_newer && c->nmsgs > 0 &&
	       st->pane_top + h >= st->pane_lines;
}

bool view_pane_below(struct view_doc *d, const struct model_conv *c, const struct view_state *st,
		     const struct view_doc *body, int height)
{
	size_t last = st->pane_top + (size_t)height;
	int tag, below;
	char buf[96];

	if (!c || st->follow || height < 2 || last >= body->nlines)
		return false;
	/* The loaded window's own "newer messages" line says it already. */
	if (last == body->nlines - 1 && body->lines[last].tag == VIEW_TAG_MORE_BELOW)
		return false;
	tag = body->lines[last - 2].tag;
	below = model_last_seq(c) - tag;
	if (c->message_count > model_last_seq(c))
		below += c->message_count - model_last_seq(c);
	if (below > 0)
		snprintf(buf, sizeof buf, P_("%d newer message below — End: the newest",
					     "%d newer messages below — End: the newest", below), below);
	else
		snprintf(buf, sizeof buf, "%s", _("more below — End: the newest"));
	view_line(d, VIEW_ROLE_NORMAL, 0);
	view_puts(d, VIEW_ROLE_DIM, (st->text_flags & TEXT_ASCII) ? "v " : "↓ ");
	view_puts(d, VIEW_ROLE_DIM, buf);
	return true;
}
