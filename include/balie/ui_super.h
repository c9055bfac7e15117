/* ui_super: draws the supervisor screen (view_super) with curses.
 *
 * Its own windows over the whole screen, redrawn only where the content
 * changed, sent with one doupdate(); the agent screen's windows are left
 * alone and redrawn in full when it comes back (ui_super_hide). */
#ifndef BALIE_UI_SUPER_H
#define BALIE_UI_SUPER_H

#include <stdint.h>

#include "balie/model.h"
#include "balie/super.h"
#include "balie/ui.h"
#include "balie/view.h"
#include "balie/view_super.h"

struct ui_super;

struct ui_super *ui_super_new(struct ui *ui);
void ui_super_free(struct ui_super *u);

/* Draws the supervisor screen for D (figures), M (conversation details),
 * ST (messages, prompt, overlays) and V (rows and selection); works out
 * V's scroll positions for the regions' sizes. */
void ui_super_render(struct ui_super *u, const struct model *m, struct view_state *st,
		     const struct super_data *d, struct view_super *v, int64_t now);
/* Leaves the supervisor screen: its windows go, the agent screen redraws
 * everything at its next render. */
void ui_super_hide(struct ui_super *u);
/* The next render redraws every region (C-l). */
void ui_super_invalidate(struct ui_super *u);
/* Rows of the agent region and the overlay as last laid out (page moves). */
int ui_super_agent_rows(const struct ui_super *u);
int ui_super_overlay_rows(const struct ui_super *u);

#endif
