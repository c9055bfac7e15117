/* ui_screens: what the agent screen and the supervisor screen draw in their
 * middle; the frame around it is ui_draw.c's. Another screen is one more
 * struct ui_screen_ops here. */
#include <stdlib.h>
#include <string.h>

#include "ui_priv.h"
#include "balie/text.h"
#include "balie/view_super.h"

/* The agent screen ------------------------------------------------------------ */

static void agent_layout(struct ui_frame *f, int rows, int cols, bool prompt,
			 struct view_layout *l)
{
	/* Rows point into the model, which events change: rebuild first. */
	view_rows_refresh(f->st, f->m, f->now);
	view_layout(rows, cols, f->st->open != 0, prompt, l);
}

static void agent_header(struct view_doc *d, const struct ui_frame *f, int width)
{
	view_header(d, f->m, f->st, width);
}

static void agent_status(struct view_doc *d, const struct ui_frame *f, int width)
{
	view_status(d, f->m, f->st, f->now, width);
}

static void render_list(struct ui *ui, const struct model *m, struct view_state *st,
			int64_t now)
{
	struct ui_window *w = &ui->win[UI_BODY + 0];
	int rows = w->r.h - 1;

	ui->page_rows = rows > 0 ? rows : 1;
	view_list_scroll(st, ui->page_rows);
	view_doc_clear(&ui->doc);
	view_queue_title(&ui->doc, st, w->r.w);
	view_queue_scrolled(&ui->doc, m, st, now, w->r.w, (size_t)ui->page_rows);
	view_queue_rows(&ui->doc, m, st, now, w->r.w, st->list_top, (size_t)ui->page_rows);
	ui_show(ui, UI_BODY + 0, &ui->doc, 0);
}

static void render_pane(struct ui *ui, const struct model *m, struct view_state *st,
			int64_t now)
{
	struct ui_window *w = &ui->win[UI_BODY + 1];
	const struct model_conv *c = st->open ? model_find(m, st->open) : NULL;
	size_t info;
	int body_rows;

	view_doc_clear(&ui->doc);
	view_pane_info(&ui->doc, m, c, st, now, w->r.w);
	info = ui->doc.nlines;
	view_doc_clear(&ui->body);
	if (c)
		view_pane_body(&ui->body, &ui->pane_cache, m, c, st, w->r.w);
	else
		view_pane_cache_free(&ui->pane_cache);
	ui->has_body = c != NULL;
	body_rows = w->r.h - (int)info;
	view_pane_place(st, &ui->body, body_rows > 0 ? body_rows : 1);
	/* One document for the region: the info block, then the visible part
	 * of the body, so the hash covers exactly what is shown. */
	if (body_rows > 1 && c && !st->follow &&
	    st->pane_top + (size_t)body_rows < ui->body.nlines) {
		/* Scrolled up: the last row says what waits below. */
		ui_doc_copy(&ui->doc, &ui->body, st->pane_top, (size_t)body_rows - 1);
		if (!view_pane_below(&ui->doc, c, st, &ui->body, body_rows))
			ui_doc_copy(&ui->doc, &ui->body, st->pane_top + (size_t)body_rows - 1, 1);
	} else if (body_rows > 0) {
		ui_doc_copy(&ui->doc, &ui->body, st->pane_top, (size_t)body_rows);
	}
	ui_show(ui, UI_BODY + 1, &ui->doc, 0);
}

static void render_sep(struct ui *ui)
{
	struct ui_window *w = &ui->win[UI_BODY + 2];

	if (!w->w || w->hash)
		return;
	werase(w->w);
	wattr_set(w->w, ui->style[VIEW_ROLE_DIM].attr, ui->style[VIEW_ROLE_DIM].pair, NULL);
	mvwvline(w->w, 0, 0, ACS_VLINE, w->r.h);
	wattr_set(w->w, A_NORMAL, 0, NULL);
	wnoutrefresh(w->w);
	w->hash = 1;
}

static void agent_body(struct ui *ui, struct ui_frame *f, const struct view_layout *l)
{
	(void)l;
	if (ui->win[UI_BODY + 0].w)
		render_list(ui, f->m, f->st, f->now);
	if (ui->win[UI_BODY + 1].w)
		render_pane(ui, f->m, f->st, f->now);
	else
		ui->has_body = false;
	render_sep(ui);
}

const struct ui_screen_ops ui_agent_screen = {
	agent_layout, agent_header, agent_body, agent_status,
};

/* The supervisor screen ------------------------------------------------------- */

static void super_layout(struct ui_frame *f, int rows, int cols, bool prompt,
			 struct view_layout *l)
{
	view_super_layout(rows, cols, f->sd->nqueues, prompt, l);
}

static void super_header(struct view_doc *d, const struct ui_frame *f, int width)
{
	view_super_header(d, f->m, f->st, f->sd, width);
}

static void super_status(struct view_doc *d, const struct ui_frame *f, int width)
{
	view_super_status(d, f->m, f->sd, f->sup, f->st, f->now, width);
}

/* Region I: the title in ui->doc, then ui->rows scrolled to the selection. */
static void render_rows(struct ui *ui, int i, const struct view_super *v, size_t *top)
{
	struct ui_window *w = &ui->win[UI_BODY + i];
	int height = w->r.h - 1;

	*top = view_super_scroll(&ui->rows, v->has_sel ? (int)v->sel + 1 : -1, *top,
				 height > 0 ? height : 1);
	ui_doc_copy(&ui->doc, &ui->rows, *top, (size_t)(height > 0 ? height : 0));
	ui_show(ui, (enum ui_region)(UI_BODY + i), &ui->doc, 0);
}

static void super_body(struct ui *ui, struct ui_frame *f, const struct view_layout *l)
{
	struct view_super *v = f->sup;

	ui->has_body = false;
	if (ui->win[UI_BODY + 0].w) {
		view_doc_clear(&ui->rows);
		view_super_queue_rows(&ui->rows, f->sd, v, f->st, f->now, l->queues.w);
		view_doc_clear(&ui->doc);
		view_super_queue_title(&ui->doc, f->st, l->queues.w);
		render_rows(ui, 0, v, &v->queue_top);
	}
	if (ui->win[UI_BODY + 1].w) {
		view_doc_clear(&ui->rows);
		view_super_agent_rows(&ui->rows, f->m, f->sd, v, f->st, f->now, l->agents.w);
		view_doc_clear(&ui->doc);
		view_super_agent_title(&ui->doc, f->st, l->agents.w);
		ui->page_rows = l->agents.h - 1;
		render_rows(ui, 1, v, &v->agent_top);
	}
}

const struct ui_screen_ops ui_super_screen = {
	super_layout, super_header, super_body, super_status,
};
