/* ui_super: puts the supervisor screen's lines on the terminal, region by
 * region, touching only the regions whose content changed. */
#include <stdlib.h>
#include <string.h>

#include "ui_priv.h"
#include "balie/text.h"
#include "balie/ui_super.h"
#include "balie/util.h"

enum usup_region {
	USUP_HEADER,
	USUP_QUEUES,
	USUP_AGENTS,
	USUP_PROMPT,
	USUP_STATUS,
	USUP_OVERLAY,
	USUP_SMALL,
	USUP_NREGIONS,
};

struct ui_super {
	struct ui *ui;
	struct ui_window win[USUP_NREGIONS];
	struct view_doc doc, rows;
	int lines, cols;		/* the screen size the windows were made for */
	int agent_rows, overlay_rows;
};

struct ui_super *ui_super_new(struct ui *ui)
{
	struct ui_super *u = xcalloc(1, sizeof *u);

	u->ui = ui;
	view_doc_init(&u->doc);
	view_doc_init(&u->rows);
	return u;
}

static void drop_all(struct ui_super *u)
{
	int i;

	for (i = 0; i < USUP_NREGIONS; i++) {
		if (u->win[i].w)
			delwin(u->win[i].w);
		memset(&u->win[i], 0, sizeof u->win[i]);
	}
}

void ui_super_free(struct ui_super *u)
{
	if (!u)
		return;
	drop_all(u);
	view_doc_free(&u->doc);
	view_doc_free(&u->rows);
	free(u);
}

void ui_super_hide(struct ui_super *u)
{
	drop_all(u);
	ui_invalidate(u->ui);
}

void ui_super_invalidate(struct ui_super *u)
{
	int i;

	for (i = 0; i < USUP_NREGIONS; i++)
		u->win[i].hash = 0;
	clearok(curscr, TRUE);
}

int ui_super_agent_rows(const struct ui_super *u)
{
	return u->agent_rows > 0 ? u->agent_rows : 1;
}

int ui_super_overlay_rows(const struct ui_super *u)
{
	return u->overlay_rows > 0 ? u->overlay_rows : 1;
}

static WINDOW *region(struct ui_super *u, enum usup_region i, struct view_rect r)
{
	return ui_window_place(&u->win[i], r);
}

static void drop_region(struct ui_super *u, enum usup_region i)
{
	ui_window_drop(&u->win[i]);
}

/* Shows lines [FIRST, FIRST+rows) of D in region I, unless it already does;
 * salted so a switch between the two screens always redraws. */
static void show(struct ui_super *u, enum usup_region i, const struct view_doc *d, size_t first)
{
	ui_window_show(u->ui, &u->win[i], d, first, 0x5u);
}

/* Appends lines [FIRST, FIRST+N) of FROM to TO. */
static void copy_lines(struct view_doc *to, const struct view_doc *from, size_t first, size_t n)
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

/* A region with a fixed title line and rows that scroll to the selection. */
static void render_rows(struct ui_super *u, enum usup_region i, const struct view_super *v,
			size_t *top)
{
	struct ui_window *w = &u->win[i];
	int height = w->r.h - 1;

	*top = view_super_scroll(&u->rows, v->has_sel ? (int)v->sel + 1 : -1, *top,
				 height > 0 ? height : 1);
	copy_lines(&u->doc, &u->rows, *top, (size_t)(height > 0 ? height : 0));
	show(u, i, &u->doc, 0);
}

static void render_too_small(struct ui_super *u)
{
	struct view_rect full = { 0, 0, LINES, COLS };
	char *cut;
	int i;

	for (i = 0; i < USUP_NREGIONS; i++)
		if (i != USUP_SMALL)
			drop_region(u, (enum usup_region)i);
	if (!region(u, USUP_SMALL, full))
		return;
	view_doc_clear(&u->doc);
	view_line(&u->doc, VIEW_ROLE_NORMAL, 0);
	cut = text_truncate(view_too_small_text(), COLS, u->doc.ascii ? TEXT_ASCII : 0);
	view_puts(&u->doc, VIEW_ROLE_ERROR, cut);
	free(cut);
	show(u, USUP_SMALL, &u->doc, 0);
}

static void render_overlay(struct ui_super *u, const struct model *m, struct view_state *st,
			   const struct view_super *v)
{
	struct ui_window *w = &u->win[USUP_OVERLAY];
	size_t max_top;

	view_doc_clear(&u->doc);
	if (st->mode == VIEW_MODE_HELP)
		view_help(&u->doc, st, w->r.w);
	else
		view_picker(&u->doc, m, model_find(m, v->pick_conv), st, w->r.w);
	u->overlay_rows = w->r.h;
	max_top = u->doc.nlines > (size_t)w->r.h ? u->doc.nlines - (size_t)w->r.h : 0;
	if (st->mode == VIEW_MODE_PICK) {
		size_t want = st->pick + 2;

		st->help_top = want >= (size_t)w->r.h ? want - (size_t)w->r.h + 1 : 0;
	}
	if (st->help_top > max_top)
		st->help_top = max_top;
	show(u, USUP_OVERLAY, &u->doc, st->help_top);
}

void ui_super_render(struct ui_super *u, const struct model *m, struct view_state *st,
		     const struct super_data *d, struct view_super *v, int64_t now)
{
	struct view_super_layout l;
	bool prompt, overlay;

	if (u->ui->suspended)
		return;
	if (u->lines != LINES || u->cols != COLS) {
		/* Made for another size: make them again. */
		drop_all(u);
		u->lines = LINES;
		u->cols = COLS;
	}
	u->doc.ascii = u->rows.ascii = (st->text_flags & TEXT_ASCII) != 0;
	prompt = st->mode == VIEW_MODE_CONFIRM;
	overlay = st->mode == VIEW_MODE_HELP || st->mode == VIEW_MODE_PICK;
	view_super_layout(LINES, COLS, d->nqueues, prompt, &l);
	if (l.too_small) {
		render_too_small(u);
		curs_set(0);
		doupdate();
		return;
	}
	drop_region(u, USUP_SMALL);
	region(u, USUP_HEADER, l.header);
	region(u, USUP_STATUS, l.status);
	region(u, USUP_PROMPT, l.prompt);
	if (overlay) {
		drop_region(u, USUP_QUEUES);
		drop_region(u, USUP_AGENTS);
		region(u, USUP_OVERLAY, l.overlay);
	} else {
		drop_region(u, USUP_OVERLAY);
		region(u, USUP_QUEUES, l.queues);
		region(u, USUP_AGENTS, l.agents);
	}

	view_doc_clear(&u->doc);
	view_super_header(&u->doc, m, st, d, l.header.w);
	show(u, USUP_HEADER, &u->doc, 0);
	if (overlay) {
		render_overlay(u, m, st, v);
	} else {
		if (u->win[USUP_QUEUES].w) {
			view_doc_clear(&u->rows);
			view_super_queue_rows(&u->rows, d, v, st, now, l.queues.w);
			view_doc_clear(&u->doc);
			view_super_queue_title(&u->doc, st, l.queues.w);
			render_rows(u, USUP_QUEUES, v, &v->queue_top);
		}
		if (u->win[USUP_AGENTS].w) {
			view_doc_clear(&u->rows);
			view_super_agent_rows(&u->rows, m, d, v, st, now, l.agents.w);
			view_doc_clear(&u->doc);
			view_super_agent_title(&u->doc, st, l.agents.w);
			u->agent_rows = l.agents.h - 1;
			render_rows(u, USUP_AGENTS, v, &v->agent_top);
		}
	}
	view_doc_clear(&u->doc);
	view_super_status(&u->doc, m, d, v, st, now, l.status.w);
	show(u, USUP_STATUS, &u->doc, 0);
	if (u->win[USUP_PROMPT].w) {
		view_doc_clear(&u->doc);
		view_prompt(&u->doc, st, l.prompt.w);
		show(u, USUP_PROMPT, &u->doc, 0);
	}
	curs_set(0);
	doupdate();
}
