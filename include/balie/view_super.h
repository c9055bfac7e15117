/* view_super: the supervisor screen as lines of styled spans — no curses.
 *
 * Two regions under the header: the queues (three lines each: the counts
 * with the waiting sparkline, then the queue's name, whether its bot is
 * paused and today's escalations by reason) and the agents (presence, since
 * when, queues, and their open conversations one per line beneath them;
 * offline agents who still have conversations come first, flagged). The
 * selection moves over queues, agents and conversations alike; which one is
 * selected decides what t, x, p and Enter act on. Figures come from
 * struct super_data; conversation details (customer, clock) from the model
 * when it has them. */
#ifndef BALIE_VIEW_SUPER_H
#define BALIE_VIEW_SUPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balie/model.h"
#include "balie/super.h"
#include "balie/view.h"

enum view_super_kind {
	VIEW_SUPER_QUEUE,
	VIEW_SUPER_AGENT,
	VIEW_SUPER_CONV,
	VIEW_SUPER_ATTN,	/* a conversation that needs attention first */
};

/* Why a conversation comes first, most urgent first. */
enum view_super_attn {
	VIEW_SUPER_ATTN_NONE,
	VIEW_SUPER_ATTN_HAND,	/* its agent raised a hand */
	VIEW_SUPER_ATTN_LATE,	/* waiting past its queue's SLA */
	VIEW_SUPER_ATTN_NEAR,	/* waiting, four fifths of the SLA gone */
};

/* One selectable row. */
struct view_super_item {
	enum view_super_kind kind;
	size_t index;		/* into super_data's queues or agents */
	int64_t conv;		/* VIEW_SUPER_CONV, _ATTN: the conversation */
	enum view_super_attn why;	/* VIEW_SUPER_ATTN */
};

struct view_super {
	struct view_super_item *items;	/* queues first, then agents in screen order */
	size_t nitems, cap;
	size_t nqueues;			/* items[0..nqueues) are the queues */
	size_t sel;
	bool has_sel;
	/* What is selected, to find it again after a refresh. */
	enum view_super_kind sel_kind;
	char sel_key[128];		/* queue id or agent login */
	int64_t sel_conv;
	size_t queue_top, agent_top;	/* first row shown in each region */
};

void view_super_init(struct view_super *v);
void view_super_free(struct view_super *v);

/* Rebuilds the rows from D, keeping the selection on the same queue, agent
 * or conversation (or near where it was when that is gone). */
void view_super_refresh(struct view_super *v, const struct super_data *d);
/* The same, with the attention rows from M at NOW (server seconds) between
 * the queues and the agents: raised hands, then past SLA, then near it. */
void view_super_rebuild(struct view_super *v, const struct super_data *d, const struct model *m,
			int64_t now);
/* Why C needs attention at NOW (VIEW_SUPER_ATTN_NONE when it does not). */
enum view_super_attn view_super_attention(const struct model *m, const struct model_conv *c,
					  int64_t now);
/* "HAND", "SLA!", "SLA~". */
const char *view_super_attn_label(enum view_super_attn why);
/* The attention row of conversation ID. */
void view_super_attn_row(struct view_doc *d, const struct model *m, int64_t id,
			 enum view_super_attn why, bool sel, size_t row, const struct view_state *st,
			 int64_t now);
/* A queue's figures of today: "SL 83% · ASA 0:42 · AHT 6:10 · FRT 0:35 ·
 * abandoned 2" ("-" where there is nothing to count). */
void view_super_figures_text(const struct super_queue *q, char *buf, size_t size);
/* "refund=3,info=1" as "refund 3, info 1" (untrusted: clean it to draw);
 * false when there is none. */
bool view_super_wrapups_text(const char *wrapups, char *buf, size_t size);
/* Moves the selection by DELTA rows (clamped); D is what the rows show. */
void view_super_move(struct view_super *v, const struct super_data *d, long delta);
/* Selects row I (clamped). */
void view_super_select(struct view_super *v, const struct super_data *d, size_t i);

/* What the selection means for an action: its queue (queue rows only), its
 * agent (agent and conversation rows), its conversation (a conversation
 * row, or an agent's oldest). NULL / 0 when it has none. */
const struct super_queue *view_super_queue(const struct view_super *v, const struct super_data *d);
const struct super_agent *view_super_agent(const struct view_super *v, const struct super_data *d);
int64_t view_super_conv(const struct view_super *v, const struct super_data *d);

/* The order agents are listed in: offline with conversations (they need a
 * person), then online, away, offline; by name within each. Returns < 0,
 * 0, > 0 like strcmp. */
int view_super_agent_order(const struct super_agent *a, const struct super_agent *b);

/* The top line: who is logged in and today's totals over every queue. */
void view_super_header(struct view_doc *d, const struct model *m, const struct view_state *st,
		       const struct super_data *sd, int width);
/* The column headings of the queue region. */
void view_super_queue_title(struct view_doc *d, const struct view_state *st, int width);
/* Three lines per queue (figures, name and escalations, today's contact
 * center figures); the first is tagged with its row number + 1. */
void view_super_queue_rows(struct view_doc *d, const struct super_data *sd,
			   const struct view_super *v, const struct view_state *st, int64_t now,
			   int width);
/* The column headings of the agent region. */
void view_super_agent_title(struct view_doc *d, const struct view_state *st, int width);
/* A line per agent and per open conversation, each tagged with its row
 * number + 1 (a "… and N more" line is not tagged). */
void view_super_agent_rows(struct view_doc *d, const struct model *m, const struct super_data *sd,
			   const struct view_super *v, const struct view_state *st, int64_t now,
			   int width);
/* The bottom line: the message or the supervisor keys, and the connection. */
void view_super_status(struct view_doc *d, const struct model *m, const struct super_data *sd,
		       const struct view_super *v, const struct view_state *st, int64_t now,
		       int width);

/* The first line to show of ROWS (HEIGHT rows high) so that the line tagged
 * TAG, and the untagged lines right after it, are in sight; starts from
 * TOP and moves as little as possible. */
size_t view_super_scroll(const struct view_doc *rows, int tag, size_t top, int height);

/* Splits a ROWS x COLS screen (view_layout_screen): header, the queue
 * region (its title and three lines per queue, at most half of what is left),
 * the agent region, the prompt line (when active) and the status line. */
void view_super_layout(int rows, int cols, size_t nqueues, bool prompt, struct view_layout *l);

#endif
