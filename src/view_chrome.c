/* view_chrome: the lines around the list and the pane — header, status,
 * prompt, help, queue picker — and the layout of the screen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/i18n.h"
#include "balie/text.h"
#include "balie/util.h"
#include "balie/view.h"

bool view_header_me(struct view_doc *d, const struct model *m, unsigned flags)
{
	if (!m->me)
		return false;
	view_put_clean(d, VIEW_ROLE_HEADER, m->me_name ? m->me_name : m->me, -24, flags);
	view_puts(d, VIEW_ROLE_HEADER, " (");
	view_put_clean(d, VIEW_ROLE_HEADER, m->me, -16, flags);
	view_puts(d, VIEW_ROLE_HEADER, ")");
	return true;
}

void view_header(struct view_doc *d, const struct model *m, const struct view_state *st,
		 int width)
{
	unsigned f = st->text_flags;
	char counts[160];
	int right, left;

	view_line(d, VIEW_ROLE_HEADER, 0);
	view_puts(d, VIEW_ROLE_HEADER, " balie · ");
	if (view_header_me(d, m, f)) {
		if (m->me_supervisor)
			view_puts(d, VIEW_ROLE_HEADER, _(" · supervisor"));
	} else {
		view_put_clean(d, VIEW_ROLE_HEADER, st->role_name ? st->role_name : "", -24, f);
	}
	if (st->search && *st->search) {
		view_puts(d, VIEW_ROLE_HEADER, _(" · search: "));
		view_put_clean(d, VIEW_ROLE_HEADER, st->search, -20, f);
	}
	left = d->lines[d->nlines - 1].cols;
	snprintf(counts, sizeof counts, _("%zu waiting · %zu with a person · %zu with the bot "),
		 st->counts[0], st->counts[1], st->counts[2]);
	right = text_width(counts);
	if (left + 1 + right > width) {
		snprintf(counts, sizeof counts, _("%zu WAIT · %zu HUMAN · %zu BOT "),
			 st->counts[0], st->counts[1], st->counts[2]);
		right = text_width(counts);
	}
	if (left + 1 + right > width)
		return;
	view_put_to(d, VIEW_ROLE_HEADER, width - right);
	view_puts(d, VIEW_ROLE_HEADER, counts);
}

void view_hint(struct view_doc *d, const struct view_state *st, enum verb a, const char *what)
{
	unsigned key = keys_first(st->keys, a);
	char name[32];

	if (key == KEYS_NO_KEY)
		return;
	keys_name(key, name, sizeof name);
	view_puts(d, VIEW_ROLE_STATUS, " ");
	view_puts(d, VIEW_ROLE_KEY, name);
	view_puts(d, VIEW_ROLE_STATUS, " ");
	view_puts(d, VIEW_ROLE_STATUS, what);
}

static void literal_hint(struct view_doc *d, const char *key, const char *what)
{
	view_puts(d, VIEW_ROLE_STATUS, " ");
	view_puts(d, VIEW_ROLE_KEY, key);
	view_puts(d, VIEW_ROLE_STATUS, " ");
	view_puts(d, VIEW_ROLE_STATUS, what);
}

static void hints(struct view_doc *d, const struct model *m, const struct view_state *st)
{
	const struct model_conv *c = st->open ? model_find(m, st->open) : NULL;

	switch (st->mode) {
	case VIEW_MODE_COMPOSE:
		literal_hint(d, "Enter", _("send"));
		literal_hint(d, "Esc", _("stop (draft kept)"));
		view_hint(d, st, VERB_PAGE_UP, _("scroll"));
		return;
	case VIEW_MODE_SEARCH:
		literal_hint(d, "Enter", _("keep filter"));
		literal_hint(d, "Esc", _("clear"));
		return;
	case VIEW_MODE_CONFIRM:
		literal_hint(d, "y", _("yes"));
		literal_hint(d, "n", _("no"));
		return;
	case VIEW_MODE_PICK:
		view_hint(d, st, VERB_DOWN, _("next"));
		view_hint(d, st, VERB_UP, _("previous"));
		literal_hint(d, "Enter", _("transfer"));
		literal_hint(d, "Esc", _("cancel"));
		return;
	case VIEW_MODE_HELP:
		view_hint(d, st, VERB_DOWN, _("scroll"));
		literal_hint(d, "Esc", _("close help"));
		return;
	case VIEW_MODE_LIST:
		break;
	}
	/* Only the keys that make sense for what is on screen now. */
	if (!c) {
		view_hint(d, st, VERB_OPEN, _("open"));
		view_hint(d, st, VERB_TAKEOVER, _("take over"));
		view_hint(d, st, VERB_SEARCH, _("search"));
		view_hint(d, st, VERB_HELP, _("help"));
		view_hint(d, st, VERB_QUIT, _("quit"));
		return;
	}
	if (model_can_reply(m, c)) {
		view_hint(d, st, VERB_REPLY, C_("key hint", "reply"));
		view_hint(d, st, VERB_NOTE, _("note"));
		view_hint(d, st, VERB_HANDBACK, _("hand back"));
		view_hint(d, st, VERB_TRANSFER, _("transfer"));
		view_hint(d, st, VERB_CLOSE, _("close"));
	} else if (c->state == MODEL_BOT || c->state == MODEL_WAITING) {
		view_hint(d, st, VERB_TAKEOVER, _("take over"));
		view_hint(d, st, VERB_NOTE, _("note"));
	} else {
		view_hint(d, st, VERB_NOTE, _("note"));
	}
	view_hint(d, st, VERB_BACK, _("back"));
	view_hint(d, st, VERB_HELP, _("help"));
}

/* The connection part of the status line, into BUF (safe text). */
static void conn_text(const struct view_state *st, char *buf, size_t size, bool long_form)
{
	const char *dots = "…";
	char kept[64] = "";

	if (st->outbox)
		snprintf(kept, sizeof kept, _("%zu to send · "), st->outbox);
	if (st->my_status)
		snprintf(kept + strlen(kept), sizeof kept - strlen(kept), "%s · ", st->my_status);
	switch (st->conn) {
	case VIEW_ONLINE:
		snprintf(buf, size, _("%s%s%sonline"), kept, st->feed ? st->feed : "",
			 st->feed ? " · " : "");
		break;
	case VIEW_CONNECTING:
		snprintf(buf, size, _("%sconnecting%s"), kept, dots);
		break;
	case VIEW_OFFLINE:
		if (st->retry_s == 0)
			snprintf(buf, size, _("%soffline — reconnecting%s"), kept, dots);
		else if (long_form && st->conn_reason[0])
			snprintf(buf, size, _("%soffline (%s) — reconnecting in %u s"), kept,
				 st->conn_reason, st->retry_s);
		else
			snprintf(buf, size, _("%soffline — reconnecting in %u s"), kept, st->retry_s);
		break;
	case VIEW_FAILED:
		snprintf(buf, size, _("%sfailed: %s"), kept, st->conn_reason);
		break;
	}
}

void view_status(struct view_doc *d, const struct model *m, const struct view_state *st,
		 int64_t now, int width)
{
	char conn[400], *cut;
	int right, left;
	enum view_role conn_role;

	view_line(d, VIEW_ROLE_STATUS, 0);
	if (st->message[0] && now < st->message_until) {
		view_puts(d, VIEW_ROLE_STATUS, " ");
		view_puts(d, st->message_role == VIEW_ROLE_NORMAL ? VIEW_ROLE_STATUS :
			  st->message_role, st->message);
	} else {
		hints(d, m, st);
	}
	conn_role = st->conn == VIEW_ONLINE ? VIEW_ROLE_STATUS : VIEW_ROLE_ERROR;
	conn_text(st, conn, sizeof conn, true);
	left = d->lines[d->nlines - 1].cols;
	right = text_width(conn) + 2;
	if (left + right > width) {
		conn_text(st, conn, sizeof conn, false);
		right = text_width(conn) + 2;
	}
	if (left + right > width) {
		/* The connection state matters more than the end of a hint: cut
		 * the left part, never the state. */
		struct view_doc tmp;
		size_t k;
		int room = width - right, used = 0;

		if (room < 0)
			room = 0;
		view_doc_init(&tmp);
		tmp.ascii = d->ascii;
		view_line(&tmp, VIEW_ROLE_STATUS, 0);
		for (k = 0; k < d->lines[d->nlines - 1].nspans; k++) {
			const struct view_span *s = &d->spans[d->lines[d->nlines - 1].span0 + k];

			if (used + s->cols <= room) {
				view_put(&tmp, s->role, d->buf + s->off, s->len);
				used += s->cols;
			} else {
				char *part = xstrndup(d->buf + s->off, s->len);

				cut = text_truncate(part, room - used, st->text_flags);
				view_puts(&tmp, s->role, cut);
				free(cut);
				free(part);
				break;
			}
		}
		d->nlines--;
		view_line(d, VIEW_ROLE_STATUS, 0);
		for (k = 0; k < tmp.lines[0].nspans; k++) {
			const struct view_span *s = &tmp.spans[tmp.lines[0].span0 + k];

			view_put(d, s->role, tmp.buf + s->off, s->len);
		}
		view_doc_free(&tmp);
	}
	if (right > width) {
		cut = text_truncate(conn, width - 1 > 0 ? width - 1 : 1, st->text_flags);
		view_puts(d, conn_role, cut);
		free(cut);
		return;
	}
	view_put_to(d, VIEW_ROLE_STATUS, width - right + 1);
	view_puts(d, conn_role, conn);
}

void view_prompt(struct view_doc *d, const struct view_state *st, int width)
{
	char *cut;

	view_line(d, VIEW_ROLE_NORMAL, 0);
	if (st->mode != VIEW_MODE_COMPOSE && st->mode != VIEW_MODE_SEARCH &&
	    st->mode != VIEW_MODE_CONFIRM)
		return;
	/* The label never takes more than half the line: the text needs room. */
	cut = text_truncate(st->prompt, st->mode == VIEW_MODE_CONFIRM ? width : width / 2,
			    st->text_flags);
	view_puts(d, VIEW_ROLE_PROMPT, cut);
	free(cut);
	if (st->mode != VIEW_MODE_CONFIRM)
		view_puts(d, VIEW_ROLE_PROMPT, "> ");
}

/* Our own TEXT, wrapped from column INDENT, continuing the current line. */
static void help_text(struct view_doc *d, const char *text, int indent, int width)
{
	struct text_line *lines;
	size_t n = text_wrap(text, width - indent > 20 ? width - indent : 20, &lines), i;

	for (i = 0; i < n; i++) {
		if (i > 0) {
			view_line(d, VIEW_ROLE_NORMAL, 0);
			view_put_to(d, VIEW_ROLE_NORMAL, indent);
		}
		view_put(d, VIEW_ROLE_NORMAL, text + lines[i].off, lines[i].len);
	}
	free(lines);
}

void view_help(struct view_doc *d, const struct view_state *st, int width)
{
	struct keys_help_row rows[VERB_COUNT];
	size_t n = keys_help(st->keys, rows), i;
	static const char *const legend[] = {
		N_("BOT    the bot talks to the customer"),
		N_("WAIT   escalated: the customer waits for a person (the clock counts)"),
		N_("HUMAN  a person has it (\"me\": you)"),
		N_("!      after the clock: waiting longer than the queue's SLA"),
		N_(">      the selected row;  *  the open conversation"),
	};

	view_line(d, VIEW_ROLE_TITLE, 0);
	view_puts(d, VIEW_ROLE_TITLE, _(" balie keys — change them in ~/.config/balie/config (see balie(1))"));
	view_line(d, VIEW_ROLE_NORMAL, 0);
	for (i = 0; i < n; i++) {
		view_line(d, VIEW_ROLE_NORMAL, 0);
		view_puts(d, VIEW_ROLE_NORMAL, "  ");
		view_put_pad(d, VIEW_ROLE_KEY, rows[i].keys[0] ? rows[i].keys : _("(unbound)"), 16,
			     st->text_flags);
		view_puts(d, VIEW_ROLE_NORMAL, " ");
		view_put_pad(d, VIEW_ROLE_LABEL, rows[i].name, 14, st->text_flags);
		view_puts(d, VIEW_ROLE_NORMAL, " ");
		help_text(d, _(rows[i].description), 34, width);
	}
	view_line(d, VIEW_ROLE_NORMAL, 0);
	view_line(d, VIEW_ROLE_NORMAL, 0);
	view_puts(d, VIEW_ROLE_LABEL, _("  On the compose line:"));
	view_line(d, VIEW_ROLE_NORMAL, 0);
	view_puts(d, VIEW_ROLE_NORMAL, "    ");
	help_text(d, _("Enter sends, Esc stops (the draft is kept), C-u/C-k/C-w delete, "
		  "C-a/C-e/Home/End move, PgUp/PgDn scroll the conversation."), 4, width);
	view_line(d, VIEW_ROLE_NORMAL, 0);
	view_line(d, VIEW_ROLE_NORMAL, 0);
	view_puts(d, VIEW_ROLE_LABEL, _("  In the list:"));
	for (i = 0; i < sizeof legend / sizeof legend[0]; i++) {
		view_line(d, VIEW_ROLE_NORMAL, 0);
		view_puts(d, VIEW_ROLE_NORMAL, "    ");
		help_text(d, _(legend[i]), 11, width);
	}
}

void view_picker(struct view_doc *d, const struct model *m, const struct model_conv *c,
		 const struct view_state *st, int width)
{
	size_t i;
	char id[64];

	struct verb_words w = { .id = c ? c->id : 0 };

	view_line(d, VIEW_ROLE_TITLE, 0);
	view_puts(d, VIEW_ROLE_TITLE, " ");
	view_puts(d, VIEW_ROLE_TITLE, verb_format(verb_info(VERB_TRANSFER)->question, &w, id,
						  sizeof id));
	view_line(d, VIEW_ROLE_NORMAL, 0);
	for (i = 0; i < m->nqueues; i++) {
		const struct model_queue *q = &m->queues[i];
		bool sel = i == st->pick;
		enum view_role base = sel ? VIEW_ROLE_SELECTED : VIEW_ROLE_NORMAL;

		view_line(d, base, 0);
		view_puts(d, base, sel ? "> " : "  ");
		view_put_clean(d, base, q->id, 12, st->text_flags);
		view_puts(d, base, " ");
		view_put_clean(d, base, q->name, -(width / 2), st->text_flags);
		if (c && util_streq(q->id, c->queue))
			view_puts(d, VIEW_ROLE_DIM, _("  (its queue now)"));
		if (q->bot_paused)
			view_puts(d, VIEW_ROLE_DIM, _("  (bot paused)"));
	}
	if (m->nqueues == 0) {
		view_line(d, VIEW_ROLE_NORMAL, 0);
		view_puts(d, VIEW_ROLE_DIM, _("  no queues known yet"));
	}
}

void view_layout_screen(int rows, int cols, bool prompt, view_split_fn *split, const void *arg,
			struct view_layout *l)
{
	int bottom;

	memset(l, 0, sizeof *l);
	if (rows < VIEW_MIN_ROWS || cols < VIEW_MIN_COLS) {
		l->too_small = true;
		return;
	}
	l->header = (struct view_rect){ 0, 0, 1, cols };
	l->status = (struct view_rect){ rows - 1, 0, 1, cols };
	bottom = rows - 1;
	if (prompt) {
		l->prompt = (struct view_rect){ rows - 2, 0, 1, cols };
		bottom--;
	}
	l->overlay = (struct view_rect){ 1, 0, bottom - 1, cols };
	split(l, l->overlay, arg);
}

static void split_agent(struct view_layout *l, struct view_rect mid, const void *arg)
{
	bool pane_open = *(const bool *)arg;
	int listh, listw;

	if (mid.w >= VIEW_WIDE_COLS) {
		l->wide = true;
		listw = mid.w / 2;
		l->list = (struct view_rect){ mid.y, 0, mid.h, listw };
		l->sep = (struct view_rect){ mid.y, listw, mid.h, 2 };
		/* The separator is a line and a blank column: the pane reads better. */
		l->pane = (struct view_rect){ mid.y, listw + 2, mid.h, mid.w - listw - 2 };
	} else if (pane_open) {
		/* The open conversation gets most rows; the list keeps a few so
		 * new escalations stay in sight. */
		listh = view_clamp(mid.h / 5, 4, 10);
		l->list = (struct view_rect){ mid.y, 0, listh, mid.w };
		l->pane = (struct view_rect){ mid.y + listh, 0, mid.h - listh, mid.w };
	} else {
		l->list = mid;
	}
}

void view_layout(int rows, int cols, bool pane_open, bool prompt, struct view_layout *l)
{
	view_layout_screen(rows, cols, prompt, split_agent, &pane_open, l);
}

const char *view_too_small_text(void)
{
	static char buf[64];

	snprintf(buf, sizeof buf, _("terminal too small (need %dx%d)"), VIEW_MIN_COLS, VIEW_MIN_ROWS);
	return buf;
}
