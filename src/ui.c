/* ui: the terminal — curses start and end, colours, keys, bell, resize. */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ui_priv.h"
#include "balie/i18n.h"
#include "balie/util.h"

/* The screen the fatal path must end; one console has one. */
static struct ui *active_ui;

/* The default look of each role: colour (fg, bg, attributes) and the
 * attributes alone for monochrome terminals, where every role that
 * matters stays distinguishable. */
struct role_default {
	short fg, bg;
	unsigned attrs;
	unsigned mono;
};

static const struct role_default defaults[VIEW_ROLE_COUNT] = {
	[VIEW_ROLE_NORMAL]   = { -1, -1, 0, 0 },
	[VIEW_ROLE_HEADER]   = { -1, -1, UI_ATTR_REVERSE | UI_ATTR_BOLD, UI_ATTR_REVERSE },
	[VIEW_ROLE_STATUS]   = { -1, -1, UI_ATTR_REVERSE, UI_ATTR_REVERSE },
	[VIEW_ROLE_TITLE]    = { -1, -1, UI_ATTR_BOLD | UI_ATTR_UNDERLINE, UI_ATTR_BOLD | UI_ATTR_UNDERLINE },
	[VIEW_ROLE_SELECTED] = { -1, -1, UI_ATTR_REVERSE, UI_ATTR_REVERSE },
	[VIEW_ROLE_BOT]      = { COLOR_CYAN, -1, 0, 0 },
	[VIEW_ROLE_WAITING]  = { COLOR_YELLOW, -1, UI_ATTR_BOLD, UI_ATTR_BOLD },
	[VIEW_ROLE_HUMAN]    = { COLOR_MAGENTA, -1, 0, 0 },
	[VIEW_ROLE_MINE]     = { COLOR_GREEN, -1, UI_ATTR_BOLD, UI_ATTR_BOLD },
	[VIEW_ROLE_LATE]     = { COLOR_RED, -1, UI_ATTR_BOLD, UI_ATTR_BOLD | UI_ATTR_UNDERLINE },
	[VIEW_ROLE_CUSTOMER] = { -1, -1, 0, 0 },
	[VIEW_ROLE_AGENT]    = { COLOR_GREEN, -1, 0, 0 },
	[VIEW_ROLE_SYSTEM]   = { COLOR_BLUE, -1, 0, UI_ATTR_DIM },
	[VIEW_ROLE_NOTE]     = { COLOR_MAGENTA, -1, UI_ATTR_ITALIC, UI_ATTR_DIM },
	[VIEW_ROLE_SOURCE]   = { COLOR_BLUE, -1, UI_ATTR_UNDERLINE, UI_ATTR_UNDERLINE },
	[VIEW_ROLE_TIME]     = { -1, -1, UI_ATTR_DIM, UI_ATTR_DIM },
	[VIEW_ROLE_LABEL]    = { -1, -1, UI_ATTR_BOLD, UI_ATTR_BOLD },
	[VIEW_ROLE_DIM]      = { -1, -1, UI_ATTR_DIM, UI_ATTR_DIM },
	[VIEW_ROLE_ERROR]    = { COLOR_RED, -1, UI_ATTR_BOLD, UI_ATTR_BOLD },
	[VIEW_ROLE_OK]       = { COLOR_GREEN, -1, 0, 0 },
	[VIEW_ROLE_PROMPT]   = { -1, -1, UI_ATTR_BOLD, UI_ATTR_BOLD },
	[VIEW_ROLE_KEY]      = { -1, -1, UI_ATTR_BOLD, UI_ATTR_BOLD },
};

static attr_t to_curses(unsigned attrs)
{
	attr_t a = A_NORMAL;

	if (attrs & UI_ATTR_BOLD)
		a |= A_BOLD;
	if (attrs & UI_ATTR_DIM)
		a |= A_DIM;
	if (attrs & UI_ATTR_UNDERLINE)
		a |= A_UNDERLINE;
	if (attrs & UI_ATTR_REVERSE)
		a |= A_REVERSE;
#ifdef A_ITALIC
	if (attrs & UI_ATTR_ITALIC)
		a |= A_ITALIC;
#endif
	if (attrs & UI_ATTR_BLINK)
		a |= A_BLINK;
	return a;
}

void ui_set_style(struct ui *ui, enum view_role role, int fg, int bg, unsigned attrs)
{
	struct ui_style *s;

	if (role >= VIEW_ROLE_COUNT)
		return;
	s = &ui->style[role];
	s->attr = to_curses(attrs);
	s->pair = 0;
	s->has_color = false;
	if (!ui->color)
		return;
	/* Palette indexes the terminal does not have fall back to its default. */
	if (fg >= COLORS)
		fg = -1;
	if (bg >= COLORS)
		bg = -1;
	if (fg < 0 && bg < 0)
		return;
	if (init_pair((short)(role + 1), (short)fg, (short)bg) == OK) {
		s->pair = (short)(role + 1);
		s->has_color = true;
	}
}

void ui_styles_init(struct ui *ui)
{
	int r;

	for (r = 0; r < VIEW_ROLE_COUNT; r++) {
		if (ui->color)
			ui_set_style(ui, (enum view_role)r, defaults[r].fg, defaults[r].bg,
				     defaults[r].attrs);
		else
			ui_set_style(ui, (enum view_role)r, -1, -1, defaults[r].mono);
	}
}

/* Colour only where the terminal has it and the user did not opt out. */
static bool want_color(const struct ui_options *opt, const char *term)
{
	const char *no_color = getenv("NO_COLOR");

	if (opt->mono || (no_color && *no_color) || !has_colors())
		return false;
	if (term && strcmp(term, "vt100") == 0)
		return false;
	return true;
}

struct ui *ui_open(FILE *out, FILE *in, const char *term, const struct ui_options *opt,
		   char *err, size_t errlen)
{
	struct ui *ui = xcalloc(1, sizeof *ui);
	const char *t = term ? term : getenv("TERM");

	if (!t || !*t) {
		snprintf(err, errlen, _("TERM is not set: cannot drive the terminal"));
		free(ui);
		return NULL;
	}
	ui->screen = newterm(t, out, in);
	if (!ui->screen) {
		snprintf(err, errlen, _("cannot use terminal type '%s' (is its terminfo entry installed?)"), t);
		free(ui);
		return NULL;
	}
	ui->out = out;
	ui->in = in;
	if (opt)
		ui->opt = *opt;
	active_ui = ui;
	set_term(ui->screen);
	set_escdelay(25);	/* Esc must feel instant; the default is 1 s */
	cbreak();
	noecho();
	nonl();
	curs_set(0);
	ui->color = want_color(&ui->opt, t);
	if (ui->color) {
		start_color();
		use_default_colors();
	}
	ui_styles_init(ui);
	ui->input = newpad(1, 1);
	keypad(ui->input, TRUE);
	nodelay(ui->input, TRUE);
	view_doc_init(&ui->doc);
	view_doc_init(&ui->body);
	view_doc_init(&ui->rows);
	view_pane_cache_init(&ui->pane_cache);
	return ui;
}

/* Whether leaving curses restores what was on the terminal before. */
static bool has_alternate_screen(void)
{
	const char *smcup = tigetstr("smcup");

	return smcup && smcup != (const char *)-1 && *smcup;
}

void ui_close(struct ui *ui)
{
	if (!ui)
		return;
	set_term(ui->screen);
	ui_windows_drop(ui);
	delwin(ui->input);
	if (!has_alternate_screen()) {
		/* The last screen would stay in the scrollback: leave no customer
		 * data behind, and give the shell a clean screen. */
		clear();
		refresh();
	}
	curs_set(1);
	endwin();
	delscreen(ui->screen);
	view_doc_free(&ui->doc);
	view_doc_free(&ui->body);
	view_doc_free(&ui->rows);
	view_pane_cache_free(&ui->pane_cache);
	if (active_ui == ui)
		active_ui = NULL;
	free(ui);
}

void ui_emergency_end(void)
{
	if (active_ui && !isendwin()) {
		curs_set(1);
		endwin();
	}
	active_ui = NULL;
}

bool ui_has_color(const struct ui *ui)
{
	return ui->color;
}

void ui_invalidate(struct ui *ui)
{
	int i;

	for (i = 0; i < UI_NREGIONS; i++)
		ui->win[i].hash = 0;
	clearok(curscr, TRUE);
}

void ui_resize_to(struct ui *ui, int rows, int cols)
{
	if (rows < 1)
		rows = 1;
	if (cols < 1)
		cols = 1;
	/* Windows are made again for the new size at the next render. */
	ui_windows_drop(ui);
	resizeterm(rows, cols);
	ui_invalidate(ui);
}

void ui_resize(struct ui *ui)
{
	struct winsize ws;

	if (ioctl(fileno(ui->out), TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		ui_resize_to(ui, ws.ws_row, ws.ws_col);
	else
		ui_resize_to(ui, LINES, COLS);
}

bool ui_read_key(struct ui *ui, int *is_keycode, unsigned *value)
{
	wint_t wc;
	int r;

	if (ui->suspended)
		return false;
	for (;;) {
		r = wget_wch(ui->input, &wc);
		if (r == ERR)
			return false;
		/* Our own SIGWINCH handling resizes; curses' notice is noise. */
		if (r == KEY_CODE_YES && wc == KEY_RESIZE)
			continue;
		*is_keycode = r == KEY_CODE_YES;
		*value = (unsigned)wc;
		return true;
	}
}

void ui_bell(struct ui *ui)
{
	if (ui->opt.bell == UI_BELL_BEEP)
		beep();
	else if (ui->opt.bell == UI_BELL_FLASH)
		flash();
}

void ui_suspend(struct ui *ui)
{
	if (ui->suspended)
		return;
	def_prog_mode();
	curs_set(1);
	endwin();
	ui->suspended = true;
}

void ui_resume(struct ui *ui)
{
	if (!ui->suspended)
		return;
	ui->suspended = false;
	reset_prog_mode();
	ui_invalidate(ui);
}

const struct view_doc *ui_pane_body(const struct ui *ui)
{
	return ui->has_body ? &ui->body : NULL;
}

int ui_page_rows(const struct ui *ui)
{
	return ui->page_rows > 0 ? ui->page_rows : 1;
}

int ui_overlay_rows(const struct ui *ui)
{
	return ui->overlay_rows > 0 ? ui->overlay_rows : 1;
}
