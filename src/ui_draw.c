/* ui_draw: puts the views' lines on the screen, region by region, touching
 * only the regions whose content changed; the frame every screen shares
 * (ui_screens.c draws what differs). */
#include <stdlib.h>
#include <string.h>

#include "ui_priv.h"
#include "balie/text.h"
#include "balie/util.h"

WINDOW *ui_window_place(struct ui_window *w, struct view_rect r)
{
	if (r.h <= 0 || r.w <= 0 || r.y + r.h > LINES || r.x + r.w > COLS) {
		if (w->w)
			delwin(w->w);
		memset(w, 0, sizeof *w);
		return NULL;
	}
	if (w->w && memcmp(&w->r, &r, sizeof r) == 0)
		return w->w;
	if (w->w)
		delwin(w->w);
	w->w = newwin(r.h, r.w, r.y, r.x);
	w->r = r;
	w->hash = 0;
	if (w->w)
		leaveok(w->w, TRUE);
	return w->w;
}

void ui_window_drop(struct ui_window *w)
{
	struct view_rect none = { 0, 0, 0, 0 };

	ui_window_place(w, none);
}

void ui_windows_drop(struct ui *ui)
{
	int i;

	for (i = 0; i < UI_NREGIONS; i++)
		ui_window_drop(&ui->win[i]);
}

static WINDOW *region(struct ui *ui, enum ui_region i, struct view_rect r)
{
	return ui_window_place(&ui->win[i], r);
}

static void drop_region(struct ui *ui, enum ui_region i)
{
	ui_window_drop(&ui->win[i]);
}

/* The attributes and pair of a span of ROLE on a row filled with FILL. */
static void span_style(const struct ui *ui, enum view_role role, enum view_role fill,
		       attr_t *attr, short *pair)
{
	const struct ui_style *s = &ui->style[role], *f = &ui->style[fill];

	*attr = s->attr;
	*pair = s->pair;
	if (fill != VIEW_ROLE_NORMAL) {
		*attr |= f->attr;
		if (!s->has_color)
			*pair = f->pair;
	}
	/* The selection is reverse video in every theme, not colour alone. */
	if (fill == VIEW_ROLE_SELECTED)
		*attr |= A_REVERSE;
}

/* Draws line L of D at row Y, clipped to WIDTH columns. */
static void draw_line(struct ui *ui, WINDOW *w, int y, const struct view_doc *d,
		      const struct view_line *l, int width)
{
	int col = 0;
	size_t k;
	attr_t attr;
	short pair;

	wmove(w, y, 0);
	for (k = 0; k < l->nspans && col < width; k++) {
		const struct view_span *s = &d->spans[l->span0 + k];
		const char *text = d->buf + s->off;
		size_t len = s->len;
		int cols = s->cols;

		if (col + cols > width) {
			char *part = xstrndup(text, len);

			len = text_prefix(part, width - col, &cols);
			free(part);
		}
		span_style(ui, s->role, l->fill, &attr, &pair);
		wattr_set(w, attr, pair, NULL);
		/* At the last cell of a window curses reports ERR after drawing:
		 * harmless, so the result is not checked. */
		waddnstr(w, text, (int)len);
		col += cols;
	}
	if (l->fill != VIEW_ROLE_NORMAL && col < width) {
		span_style(ui, l->fill, l->fill, &attr, &pair);
		wattr_set(w, attr, pair, NULL);
		mvwhline(w, y, col, ' ', width - col);
	}
	wattr_set(w, A_NORMAL, 0, NULL);
}

void ui_window_show(struct ui *ui, struct ui_window *w, const struct view_doc *d,
		    size_t first, uint64_t salt)
{
	uint64_t h;
	int y;

	if (!w->w)
		return;
	h = view_doc_hash(d, first, (size_t)w->r.h,
			  ((uint64_t)(unsigned)w->r.w << 32) ^ (uint64_t)(unsigned)w->r.h ^ salt) | 1;
	if (h == w->hash)
		return;
	werase(w->w);
	for (y = 0; y < w->r.h && first + (size_t)y < d->nlines; y++)
		draw_line(ui, w->w, y, d, &d->lines[first + (size_t)y], w->r.w);
	wnoutrefresh(w->w);
	w->hash = h;
}

void ui_show(struct ui *ui, enum ui_region i, const struct view_doc *d, size_t first)
{
	ui_window_show(ui, &ui->win[i], d, first, (uint64_t)ui->shown * 0x5u);
}

void ui_doc_copy(struct view_doc *to, const struct view_doc *from, size_t first, size_t n)
{
	size_t i, k;

	for (i = first; i < first + n && i < from->nlines; i++) {
		const struct view_line *l = &from->lines[i];

		view_line(to, l->fill, l->tag);
		for (k = 0; k < l->nspans; k++) {
			const struct view_span *s = &from->spans[l->span0 + k];

			view_put(to, s->role, from->buf + s->off, s->len);
		}
	}
}

static void render_too_small(struct ui *ui)
{
	struct view_rect full = { 0, 0, LINES, COLS };
	char *cut;
	int i;

	for (i = 0; i < UI_NREGIONS; i++)
		if (i != UI_SMALL)
			drop_region(ui, (enum ui_region)i);
	if (!region(ui, UI_SMALL, full))
		return;
	view_doc_clear(&ui->doc);
	view_line(&ui->doc, VIEW_ROLE_NORMAL, 0);
	cut = text_truncate(view_too_small_text(COLS), COLS, ui->doc.ascii ? TEXT_ASCII : 0);
	view_puts(&ui->doc, VIEW_ROLE_ERROR, cut);
	free(cut);
	ui_show(ui, UI_SMALL, &ui->doc, 0);
}

/* The help screen or the queue picker, scrolled so the highlight shows. */
static void render_overlay(struct ui *ui, const struct model *m, struct view_state *st)
{
	struct ui_window *w = &ui->win[UI_OVERLAY];
	size_t max_top;

	view_doc_clear(&ui->doc);
	if (st->mode == VIEW_MODE_HELP)
		view_help(&ui->doc, st, w->r.w);
	else
		view_picker(&ui->doc, m, model_find(m, st->pick_conv), st, w->r.w);
	ui->overlay_rows = w->r.h;
	max_top = ui->doc.nlines > (size_t)w->r.h ? ui->doc.nlines - (size_t)w->r.h : 0;
	if (st->help_top > max_top)
		st->help_top = max_top;
	if (st->mode == VIEW_MODE_PICK) {
		/* Keep the highlighted queue (line pick + 2) in sight. */
		size_t want = st->pick + 2;

		st->help_top = want >= (size_t)w->r.h ? want - (size_t)w->r.h + 1 : 0;
	} else if (st->help_top < max_top && w->r.h > 1) {
		/* The last row says that more follows, and how to get there. */
		ui->doc.nlines = st->help_top + (size_t)w->r.h - 1;
		view_more_below(&ui->doc, st);
	}
	ui_show(ui, UI_OVERLAY, &ui->doc, st->help_top);
}

/* Draws the prompt line and returns the cursor column (-1: no cursor). */
static int render_prompt(struct ui *ui, struct view_state *st)
{
	struct ui_window *w = &ui->win[UI_PROMPT];
	struct compose_view v;
	int label, room, cursor = -1;
	uint64_t h;

	if (!w->w)
		return -1;
	view_doc_clear(&ui->doc);
	view_prompt(&ui->doc, st, w->r.w);
	label = ui->doc.lines[0].cols;
	if ((st->mode == VIEW_MODE_COMPOSE || st->mode == VIEW_MODE_SEARCH) && st->compose) {
		room = w->r.w - label - 2;
		if (room < 1)
			room = 1;
		compose_view(st->compose, room, &v);
		/* Compose lets only printable, safe characters into its buffer. */
		view_puts(&ui->doc, VIEW_ROLE_DIM, v.more_left ? "<" : " ");
		view_put(&ui->doc, VIEW_ROLE_NORMAL, compose_text(st->compose) + v.off, v.len);
		if (v.more_right) {
			view_put_to(&ui->doc, VIEW_ROLE_NORMAL, label + 1 + room);
			view_puts(&ui->doc, VIEW_ROLE_DIM, ">");
		}
		cursor = label + 1 + v.cursor_col;
		if (cursor >= w->r.w)
			cursor = w->r.w - 1;
	}
	h = view_doc_hash(&ui->doc, 0, 1, (uint64_t)(unsigned)w->r.w) | 1;
	if (h != w->hash) {
		werase(w->w);
		draw_line(ui, w->w, 0, &ui->doc, &ui->doc.lines[0], w->r.w);
		w->hash = h;
	}
	return cursor;
}

/* The terminal's cursor sits on the compose line while one is typed. */
static void place_cursor(struct ui *ui, int cursor)
{
	WINDOW *w = ui->win[UI_PROMPT].w;

	if (cursor >= 0) {
		/* The window refreshed last places the terminal's cursor. */
		leaveok(w, FALSE);
		wmove(w, 0, cursor);
		wnoutrefresh(w);
		curs_set(1);
		return;
	}
	if (w) {
		leaveok(w, TRUE);
		wnoutrefresh(w);
	}
	curs_set(0);
}

/* Places the windows of layout L: the body regions, or the overlay over them. */
static void place_regions(struct ui *ui, const struct view_layout *l, bool overlay)
{
	int i;

	drop_region(ui, UI_SMALL);
	region(ui, UI_HEADER, l->header);
	region(ui, UI_STATUS, l->status);
	region(ui, UI_PROMPT, l->prompt);
	if (overlay)
		region(ui, UI_OVERLAY, l->overlay);
	else
		drop_region(ui, UI_OVERLAY);
	for (i = 0; i < VIEW_BODY_MAX; i++) {
		if (overlay)
			drop_region(ui, (enum ui_region)(UI_BODY + i));
		else
			region(ui, (enum ui_region)(UI_BODY + i), l->body[i]);
	}
}

static const struct ui_screen_ops *const screens[UI_SCREEN_COUNT] = {
	[UI_SCREEN_AGENT] = &ui_agent_screen,
	[UI_SCREEN_SUPER] = &ui_super_screen,
};

void ui_render(struct ui *ui, enum ui_screen screen, struct ui_frame *f)
{
	const struct ui_screen_ops *ops = screens[screen];
	struct view_state *st = f->st;
	struct view_layout l;
	bool prompt, overlay;

	if (ui->suspended)
		return;
	if (screen != ui->shown || ui->lines != LINES || ui->cols != COLS) {
		/* Made for another screen or size: make them again, draw it all. */
		ui_windows_drop(ui);
		ui_invalidate(ui);
		ui->shown = screen;
		ui->lines = LINES;
		ui->cols = COLS;
	}
	ui->doc.ascii = ui->body.ascii = ui->rows.ascii = (st->text_flags & TEXT_ASCII) != 0;
	prompt = st->mode == VIEW_MODE_COMPOSE || st->mode == VIEW_MODE_SEARCH ||
		 st->mode == VIEW_MODE_CONFIRM;
	overlay = st->mode == VIEW_MODE_HELP || st->mode == VIEW_MODE_PICK;
	ops->layout(f, LINES, COLS, prompt, &l);
	if (l.too_small) {
		render_too_small(ui);
		curs_set(0);
		doupdate();
		return;
	}
	place_regions(ui, &l, overlay);
	view_doc_clear(&ui->doc);
	ops->header(&ui->doc, f, l.header.w);
	ui_show(ui, UI_HEADER, &ui->doc, 0);
	if (overlay) {
		ui->has_body = false;
		render_overlay(ui, f->m, st);
	} else {
		ops->body(ui, f, &l);
	}
	view_doc_clear(&ui->doc);
	ops->status(&ui->doc, f, l.status.w);
	ui_show(ui, UI_STATUS, &ui->doc, 0);
	place_cursor(ui, render_prompt(ui, st));
	doupdate();
}
