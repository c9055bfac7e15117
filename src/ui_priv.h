/* ui_priv: what ui.c (terminal, colours, keys) and ui_draw.c (rendering)
 * share; nothing outside the ui module includes this. */
#ifndef BALIE_UI_PRIV_H
#define BALIE_UI_PRIV_H

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "balie/ui.h"
#include "balie/view.h"

enum ui_region {
	UI_HEADER,
	UI_LIST,
	UI_SEP,
	UI_PANE,
	UI_PROMPT,
	UI_STATUS,
	UI_OVERLAY,
	UI_SMALL,	/* the "terminal too small" line */
	UI_NREGIONS,
};

struct ui_window {
	WINDOW *w;
	struct view_rect r;
	uint64_t hash;		/* of what it shows; 0 = draw it again */
};

struct ui_style {
	short pair;		/* colour pair, 0 = none */
	attr_t attr;
	bool has_color;		/* sets a colour of its own */
};

struct ui {
	SCREEN *screen;
	FILE *out, *in;
	WINDOW *input;		/* a pad: reading keys never refreshes anything */
	bool color;
	bool suspended;
	bool was_overlay;
	struct ui_options opt;
	struct ui_style style[VIEW_ROLE_COUNT];
	struct ui_window win[UI_NREGIONS];
	struct view_doc doc, body;	/* scratch; body is kept for scrolling */
	struct view_pane_cache pane_cache;	/* the open transcript, laid out */
	bool has_body;
	int list_rows, overlay_rows;
};

/* Gives W a window of rectangle R (none when R is empty or off the screen);
 * a window whose rectangle did not change is kept. */
WINDOW *ui_window_place(struct ui_window *w, struct view_rect r);
void ui_window_drop(struct ui_window *w);
/* Shows lines [FIRST, FIRST+rows) of D in W, unless it already shows them
 * (a hash of the content, size and SALT says so): unchanged windows cost
 * no bytes. */
void ui_window_show(struct ui *ui, struct ui_window *w, const struct view_doc *d,
		    size_t first, uint64_t salt);

/* Sets the colour pairs and attributes of every role. */
void ui_styles_init(struct ui *ui);

#endif
