/* ui: the only module that calls curses.
 *
 * Draws what the views produce into one curses window per screen region
 * (header, the screen's body regions, prompt, status, overlay) for one of
 * its screens (the agent's, the supervisor's), redrawing only regions
 * whose content changed and sending everything with one doupdate(), so an
 * update costs bytes in proportion to what changed. Reads keys without
 * blocking (the caller watches the terminal with its event loop). Colours
 * come from a table of roles with a monochrome fallback. */
#ifndef BALIE_UI_H
#define BALIE_UI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "balie/model.h"
#include "balie/super.h"
#include "balie/view.h"
#include "balie/view_super.h"

enum ui_bell {
	UI_BELL_BEEP,
	UI_BELL_FLASH,
	UI_BELL_OFF,
};

/* Text attributes a colour role can add (config: bold, dim, …). */
enum {
	UI_ATTR_BOLD = 1u << 0,
	UI_ATTR_DIM = 1u << 1,
	UI_ATTR_UNDERLINE = 1u << 2,
	UI_ATTR_REVERSE = 1u << 3,
	UI_ATTR_ITALIC = 1u << 4,
	UI_ATTR_BLINK = 1u << 5,
};

/* A colour: -1 the terminal's default, 0-255 a palette index. */
#define UI_COLOR_DEFAULT (-1)

struct ui_options {
	bool mono;		/* never use colour */
	enum ui_bell bell;
};

struct ui;

/* Starts curses on the terminal with IN and OUT, TERM the terminal type
 * (NULL: $TERM). setlocale(LC_ALL, "") must have been called. Returns NULL
 * with a readable reason in ERR when the terminal cannot be used. Installs
 * nothing but curses' own state: signals are the caller's. */
struct ui *ui_open(FILE *out, FILE *in, const char *term, const struct ui_options *opt,
		   char *err, size_t errlen);
/* Ends curses and restores the terminal. */
void ui_close(struct ui *ui);
/* Ends curses if it is active: for the fatal path, before a message. */
void ui_emergency_end(void);

/* Whether the screen uses colour (false: attributes only). */
bool ui_has_color(const struct ui *ui);
/* Sets the style of ROLE (config "color" lines): FG/BG palette indexes or
 * UI_COLOR_DEFAULT, ATTRS from UI_ATTR_*. Monochrome screens use ATTRS only. */
void ui_set_style(struct ui *ui, enum view_role role, int fg, int bg, unsigned attrs);

/* Reads the terminal size from the kernel and resizes the screen. */
void ui_resize(struct ui *ui);
/* Resizes the screen to ROWS x COLS (tests). */
void ui_resize_to(struct ui *ui, int rows, int cols);
/* The next render redraws the whole terminal (C-l, after $EDITOR). */
void ui_invalidate(struct ui *ui);

/* The screens the ui can draw; each is a table of operations (ui_priv.h). */
#define UI_SCREENS(X) \
	X(AGENT, "agent") \
	X(SUPER, "supervisor")

#define UI_SCREEN_ENUM_(e, name) UI_SCREEN_##e,
enum ui_screen {
	UI_SCREENS(UI_SCREEN_ENUM_)
	UI_SCREEN_COUNT
};
#undef UI_SCREEN_ENUM_

/* What a screen is drawn from. The supervisor screen also reads SD and SUP. */
struct ui_frame {
	const struct model *m;
	struct view_state *st;		/* messages, prompt, overlays; scroll positions */
	int64_t now;
	const struct super_data *sd;	/* the supervisor figures */
	struct view_super *sup;		/* their rows and selection */
};

/* Draws SCREEN for F and works out the scroll positions for the regions'
 * sizes. Switching screens redraws the whole terminal. */
void ui_render(struct ui *ui, enum ui_screen screen, struct ui_frame *f);

/* The pane's body as last drawn, for scrolling (NULL if no pane). */
const struct view_doc *ui_pane_body(const struct ui *ui);
/* Rows of the region that pages (list, or the supervisor's agents) and of
 * the overlay, as last laid out. */
int ui_page_rows(const struct ui *ui);
int ui_overlay_rows(const struct ui *ui);

/* Reads one key without waiting. Returns false when none is pending;
 * else *IS_KEYCODE says whether *VALUE is a KEY_* code (see keys_code). */
bool ui_read_key(struct ui *ui, int *is_keycode, unsigned *value);

/* Rings the bell (or flashes) as configured. */
void ui_bell(struct ui *ui);

/* Leaves curses mode for an external program, and comes back. */
void ui_suspend(struct ui *ui);
void ui_resume(struct ui *ui);

#endif
