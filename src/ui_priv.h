/* ui_priv: what ui.c (terminal, colours, keys) and ui_draw.c (rendering)
 * share; nothing outside the ui module includes this. */
#ifndef BALIE_UI_PRIV_H
#define BALIE_UI_PRIV_H

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "balie/ui.h"
#include "balie/view.h"

/* The regions of every screen: the frame, then the screen's own body
 * regions (agent: list, pane, separator; supervisor: queues, agents). */
enum ui_region {
	UI_HEADER,
	UI_STATUS,
	UI_PROMPT,
	UI_OVERLAY,
	UI_SMALL,	/* the "terminal too small" line */
	UI_BODY,	/* UI_BODY + i: body region i of the layout */
	UI_NREGIONS = UI_BODY + VIEW_BODY_MAX,
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

/* One screen: how it lays out and draws what is particular to it; the
 * frame (header and status windows, prompt, overlay, too small, cursor) is
 * drawn the same for all (ui_draw.c). */
struct ui_screen_ops {
	void (*layout)(struct ui_frame *f, int rows, int cols, bool prompt, struct view_layout *l);
	void (*header)(struct view_doc *d, const struct ui_frame *f, int width);
	/* Draws the body regions (windows placed already). */
	void (*body)(struct ui *ui, struct ui_frame *f, const struct view_layout *l);
	void (*status)(struct view_doc *d, const struct ui_frame *f, int width);
};

extern const struct ui_screen_ops ui_agent_screen, ui_super_screen;

struct ui {
	SCREEN *screen;
	FILE *out, *in;
	WINDOW *input;		/* a pad: reading keys never refreshes anything */
	bool color;
	bool suspended;
	enum ui_screen shown;	/* the screen the windows were last drawn for */
	int lines, cols;	/* the terminal size they were made for */
	struct ui_options opt;
	struct ui_style style[VIEW_ROLE_COUNT];
	struct ui_window win[UI_NREGIONS];
	struct view_doc doc, body;	/* scratch; body is kept for scrolling */
	struct view_doc rows;		/* scratch: rows that scroll under a title */
	struct view_pane_cache pane_cache;	/* the open transcript, laid out */
	bool has_body;
	int page_rows, overlay_rows;
};

/* Gives W a window of rectangle R (none when R is empty or off the screen);
 * a window whose rectangle did not change is kept. */
WINDOW *ui_window_place(struct ui_window *w, struct view_rect r);
void ui_window_drop(struct ui_window *w);
/* Drops every window (a new size, another screen, the end). */
void ui_windows_drop(struct ui *ui);
/* Shows lines [FIRST, FIRST+rows) of D in region I (ui_window_show with the
 * screen's salt, so a switch between screens always redraws). */
void ui_show(struct ui *ui, enum ui_region i, const struct view_doc *d, size_t first);
/* Appends lines [FIRST, FIRST+N) of FROM to TO. */
void ui_doc_copy(struct view_doc *to, const struct view_doc *from, size_t first, size_t n);
/* Shows lines [FIRST, FIRST+rows) of D in W, unless it already shows them
 * (a hash of the content, size and SALT says so): unchanged windows cost
 * no bytes. */
void ui_window_show(struct ui *ui, struct ui_window *w, const struct view_doc *d,
		    size_t first, uint64_t salt);

/* Sets the colour pairs and attributes of every role. */
void ui_styles_init(struct ui *ui);

#endif
