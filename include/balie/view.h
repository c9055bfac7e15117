/* view: what the console shows, worked out from the model and the console's
 * own state, as lines of styled spans — no curses.
 *
 * Every string from the model passes through text_clean() here, on its way
 * into a span; the ui module draws spans and nothing else, so the terminal
 * only ever sees sanitised text. Views also own the pure parts of the
 * console's behaviour (which rows the list holds, which one is selected,
 * where the pane is scrolled, the screen layout), so they can be tested
 * without a terminal or a database. */
#ifndef BALIE_VIEW_H
#define BALIE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balie/compose.h"
#include "balie/keys.h"
#include "balie/model.h"

/* X(ENUM, name, what it colours): the roles text is drawn in; the ui maps
 * them to colours and attributes. Every meaning a role carries is also in
 * the text or an attribute. */
#define VIEW_ROLES(X) \
	X(NORMAL,	"normal",	"ordinary text") \
	X(HEADER,	"header",	"the top line") \
	X(STATUS,	"status",	"the bottom line") \
	X(TITLE,	"title",	"column headings and the pane's title") \
	X(SELECTED,	"selected",	"the selected row (always reverse video too)") \
	X(BOT,		"bot",		"BOT flag and bot messages") \
	X(WAITING,	"waiting",	"WAIT flag") \
	X(HUMAN,	"human",	"HUMAN flag of someone else's conversation") \
	X(MINE,		"mine",		"HUMAN flag of your own conversation") \
	X(LATE,		"late",		"a wait clock past the queue's SLA (also marked !)") \
	X(CUSTOMER,	"customer",	"customer messages") \
	X(AGENT,	"agent",	"agent messages") \
	X(SYSTEM,	"system",	"system messages") \
	X(NOTE,		"note",		"internal notes") \
	X(SOURCE,	"source",	"sources a bot cited") \
	X(TIME,		"time",		"times and dates") \
	X(LABEL,	"label",	"field labels in the pane") \
	X(DIM,		"dim",		"hints and separators") \
	X(ERROR,	"error",	"refusals and failures on the status line") \
	X(OK,		"ok",		"what went well on the status line") \
	X(PROMPT,	"prompt",	"the label of the compose line") \
	X(KEY,		"key",		"key names in hints and help")

#define VIEW_ROLE_ENUM_(e, name, help) VIEW_ROLE_##e,
enum view_role {
	VIEW_ROLES(VIEW_ROLE_ENUM_)
	VIEW_ROLE_COUNT
};
#undef VIEW_ROLE_ENUM_

/* Documents: lines of spans ---------------------------------------------- */

struct view_span {
	size_t off, len;	/* bytes in the document's buffer */
	int cols;
	enum view_role role;
};

struct view_line {
	size_t span0, nspans;
	int cols;		/* sum of the spans' columns */
	enum view_role fill;	/* the role of the whole row (padding too) */
	int tag;		/* pane body: the seq of the message it shows */
};

/* A list of lines whose text is all sanitised. With ASCII set (the
 * terminal is not UTF-8), the views' own punctuation (— · … ─) is written
 * as ASCII too. */
struct view_doc {
	bool ascii;
	char *buf;
	size_t blen, bcap;
	struct view_span *spans;
	size_t nspans, scap;
	struct view_line *lines;
	size_t nlines, lcap;
};

void view_doc_init(struct view_doc *d);
void view_doc_clear(struct view_doc *d);
void view_doc_free(struct view_doc *d);

/* Starts a new line whose background is FILL. */
void view_line(struct view_doc *d, enum view_role fill, int tag);
/* Appends text that is already safe (sanitised, or a literal of ours). */
void view_put(struct view_doc *d, enum view_role role, const char *safe, size_t len);
void view_puts(struct view_doc *d, enum view_role role, const char *safe);
/* view_put for text measured already (a text_wrap line: COLS columns), so a
 * long text is not measured twice. */
void view_put_cols(struct view_doc *d, enum view_role role, const char *safe, size_t len,
		   int cols);
/* Appends SAFE cut and padded to exactly WIDTH columns (text_pad flags). */
void view_put_pad(struct view_doc *d, enum view_role role, const char *safe, int width,
		  unsigned flags);
/* Sanitises UNTRUSTED as one line (text_clean with FLAGS, never
 * TEXT_MULTILINE) and appends it cut and padded to WIDTH columns, or
 * cut to at most -WIDTH columns when WIDTH is negative (no padding). */
void view_put_clean(struct view_doc *d, enum view_role role, const char *untrusted,
		    int width, unsigned flags);
/* Appends spaces up to column COL of the current line. */
void view_put_to(struct view_doc *d, enum view_role role, int col);

/* Appends a copy of every line of SRC (laid out with the same ascii
 * setting) to D, without measuring or converting anything again. */
void view_doc_append(struct view_doc *d, const struct view_doc *src);
/* Gives back the room D's arrays hold beyond what it uses, for documents
 * that are kept (struct view_pane_cache). */
void view_doc_shrink(struct view_doc *d);

/* The plain text of line I (for tests and hashing); returns BUF. */
char *view_line_text(const struct view_doc *d, size_t i, char *buf, size_t size);
/* A hash of lines [FIRST, FIRST+N) with their roles, to skip redrawing. */
uint64_t view_doc_hash(const struct view_doc *d, size_t first, size_t n, uint64_t seed);

/* Console state ---------------------------------------------------------- */

enum view_conn {
	VIEW_CONNECTING,
	VIEW_ONLINE,
	VIEW_OFFLINE,		/* retrying; retry_s counts down */
	VIEW_FAILED,
};

enum view_mode {
	VIEW_MODE_LIST,		/* keys move, open, act */
	VIEW_MODE_COMPOSE,	/* typing a reply, note or agreement */
	VIEW_MODE_SEARCH,	/* typing a search */
	VIEW_MODE_CONFIRM,	/* a y/n question on the prompt line */
	VIEW_MODE_PICK,		/* picking a queue to transfer to */
	VIEW_MODE_HELP,		/* the key table over the screen */
};

/* The customer's earlier conversations, as the pane shows them. */
struct view_history {
	int64_t conv;		/* whose history this is; 0 = none */
	bool loaded;
	struct model_history *items;
	size_t n;
};

struct view_state {
	unsigned text_flags;		/* TEXT_ASCII on non-UTF-8 terminals */
	const struct keys_map *keys;
	const char *role_name;		/* the database role, before "me" is known */

	/* The list: open conversations in queue order, filtered. */
	struct model_conv **rows;
	size_t nrows, rows_cap;
	int64_t selected;		/* conversation id, 0 = none */
	size_t sel;			/* its row */
	size_t list_top;		/* first row shown */
	char *search;			/* the filter, NULL = none */
	size_t counts[3];		/* waiting, with a person, with the bot */

	/* The pane. */
	int64_t open;			/* conversation id, 0 = closed */
	bool follow;			/* stay at the newest message */
	int anchor_seq;			/* else: the message at the top … */
	int anchor_off;			/* … and how many of its lines are above */
	size_t pane_top;		/* first body line shown (worked out) */
	size_t pane_lines;		/* body lines (worked out) */
	int pane_height;		/* rows for the body (worked out) */
	int pane_seq;			/* the message in the middle of the body (worked out) */
	bool loading_older;
	bool loading_newer;
	struct view_history history;

	/* The prompt line and overlays. */
	enum view_mode mode;
	char prompt[160];		/* "reply to #12" (safe text) */
	struct compose *compose;	/* the line being edited */
	size_t pick;			/* the highlighted queue */
	int64_t pick_conv;		/* the conversation the picker moves */
	size_t help_top;

	/* The status line. */
	char message[512];		/* safe text */
	enum view_role message_role;
	int64_t message_until;		/* local unix seconds */
	enum view_conn conn;
	char conn_reason[256];		/* safe text */
	unsigned retry_s;
	const char *feed;		/* "relay" in relay mode, else NULL (notify) */
	size_t outbox;			/* replies waiting to be sent */

	/* The shift. */
	unsigned sla_warn;		/* percent of the SLA that marks a row ~ (0: off) */
	const char *my_status;		/* "available", "away"; NULL until known */
};

void view_state_init(struct view_state *st, const struct keys_map *keys, unsigned text_flags);
void view_state_free(struct view_state *st);

/* Sets the status line message (sanitised: it may quote the server) for
 * SECONDS from NOW. */
void view_message(struct view_state *st, enum view_role role, int64_t now, int seconds,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Replaces the shown history with a copy of H (N items) for CONV. */
void view_set_history(struct view_state *st, int64_t conv, const struct model_history *h,
		      size_t n);
void view_clear_history(struct view_state *st);

/* The list -------------------------------------------------------------- */

/* Whether C matches the search QUERY (case-insensitive, over customer,
 * queue, last message, intent and summary; NULL or "" matches all). */
bool view_matches(const struct model_conv *c, const struct model *m, const char *query);

/* Rebuilds the rows from the model, keeping the selection on the same
 * conversation when the order changes (or near its old row when it left). */
void view_rows_refresh(struct view_state *st, const struct model *m, int64_t now);
/* Moves the selection by DELTA rows (clamped). */
void view_select_move(struct view_state *st, long delta);
/* Selects row I (clamped). */
void view_select_row(struct view_state *st, size_t i);
/* The selected conversation, or NULL. */
struct model_conv *view_selected(const struct view_state *st);
/* Scrolls the list so that the selection is inside HEIGHT rows. */
void view_list_scroll(struct view_state *st, int height);

/* Renders the column headings (one line) into D. */
void view_queue_title(struct view_doc *d, const struct view_state *st, int width);
/* Renders COUNT rows from row FIRST, one line each. */
void view_queue_rows(struct view_doc *d, const struct model *m, const struct view_state *st,
		     int64_t now, int width, size_t first, size_t count);

/* The pane --------------------------------------------------------------- */

/* The tag of the last body line when newer messages are not loaded. */
#define VIEW_TAG_MORE_BELOW (-1)

/* One message as the pane lays it out, for one width and text mode. */
struct view_msg_layout {
	int64_t id;		/* the message's id */
	int seq;
	char *author_name;	/* a note's author as shown (names can change) */
	char day[16];		/* its local date, for the date lines */
	struct view_doc doc;	/* its lines; nlines 0 = not laid out */
};

/* The laid-out messages of the open transcript, so that a frame sanitises
 * and wraps only messages it has not seen at this width (a megabyte message
 * costs that once, not every frame). It holds the loaded window's messages
 * and nothing else: what left the window is dropped at the next frame. */
struct view_pane_cache {
	int64_t conv;
	int width;
	unsigned flags;
	struct view_msg_layout *items;	/* in seq order */
	size_t n;
};

void view_pane_cache_init(struct view_pane_cache *pc);
void view_pane_cache_free(struct view_pane_cache *pc);

/* The fixed top of the pane: title, talking to, intent, summary, history. */
void view_pane_info(struct view_doc *d, const struct model *m, const struct model_conv *c,
		    const struct view_state *st, int64_t now, int width);
/* The transcript, one tag (the message's seq) per line, oldest first, and a
 * last line tagged VIEW_TAG_MORE_BELOW when newer ones are not loaded.
 * CACHE (may be NULL) keeps the messages' layout from frame to frame. */
void view_pane_body(struct view_doc *d, struct view_pane_cache *cache, const struct model *m,
		    const struct model_conv *c, const struct view_state *st, int width);
/* Places the body in HEIGHT rows: pane_top from follow or the anchor; at
 * the bottom it follows, unless newer messages are not loaded. */
void view_pane_place(struct view_state *st, const struct view_doc *body, int height);
/* Scrolls the body by DELTA lines (negative: up) and re-anchors. */
void view_pane_scroll(struct view_state *st, const struct view_doc *body, long delta);
/* Back to following the newest message. */
void view_pane_follow(struct view_state *st);
/* Whether the top of the loaded transcript is shown and older ones exist. */
bool view_pane_wants_older(const struct view_state *st, const struct model_conv *c);
/* Whether the bottom of the loaded transcript is shown and newer ones were
 * dropped from it (model newer_unloaded). */
bool view_pane_wants_newer(const struct view_state *st, const struct model_conv *c);

/* Refusals --------------------------------------------------------------- */

/* Why the agent may not do verb A to C (NULL for a verb that acts on no
 * conversation), as its row says, as a line for the status bar
 * (written into BUF, unsanitised: it quotes names), or NULL when nothing
 * the model knows speaks against it (the server still decides). */
const char *view_refusal(const struct model *m, const struct view_state *st,
			 const struct model_conv *c, enum verb a, char *buf, size_t size);

/* Lines around the rest ----------------------------------------------------- */

/* Appends "Name (login)" of who is logged in to the header line; returns
 * false (nothing appended) before that is known. */
bool view_header_me(struct view_doc *d, const struct model *m, unsigned flags);
/* The top line: who is logged in and the counts. */
void view_header(struct view_doc *d, const struct model *m, const struct view_state *st,
		 int width);
/* The bottom line: the message or the key hints, and the connection. */
void view_status(struct view_doc *d, const struct model *m, const struct view_state *st,
		 int64_t now, int width);
/* Appends " KEY what" for the first key of verb A to the current line;
 * nothing when A has no key. */
void view_hint(struct view_doc *d, const struct view_state *st, enum verb a, const char *what);
/* The label of the prompt line (compose, search, confirm), "" if none. */
void view_prompt(struct view_doc *d, const struct view_state *st, int width);
/* The help screen, from the key map. */
void view_help(struct view_doc *d, const struct view_state *st, int width);
/* The queue picker for a transfer of C. */
void view_picker(struct view_doc *d, const struct model *m, const struct model_conv *c,
		 const struct view_state *st, int width);

/* Layout ----------------------------------------------------------------- */

#define VIEW_MIN_COLS 40
#define VIEW_MIN_ROWS 10
#define VIEW_WIDE_COLS 140

struct view_rect {
	int y, x, h, w;		/* h or w 0: not shown */
};

/* Rows of the body regions a screen may split its middle into. */
#define VIEW_BODY_MAX 3

/* Where each region of a screen goes. Every screen has the same frame
 * (header, status line, prompt line, overlay); its middle is its own. */
struct view_layout {
	bool too_small;
	bool wide;		/* agent screen: list and pane side by side */
	struct view_rect header, prompt, status, overlay;
	union {
		struct view_rect body[VIEW_BODY_MAX];
		struct { struct view_rect list, pane, sep; };		/* agent screen */
		struct { struct view_rect queues, agents; };		/* supervisor screen */
	};
};

/* A screen's way of splitting its middle MID (under the header, above the
 * prompt and status lines) into body regions; ARG is the screen's. */
typedef void view_split_fn(struct view_layout *l, struct view_rect mid, const void *arg);

/* Splits a ROWS x COLS screen: header, the middle (SPLIT's), the prompt line
 * (when active), the status line; OVERLAY covers the middle (help, picker).
 * Below VIEW_MIN_ROWS x VIEW_MIN_COLS only too_small is set. */
void view_layout_screen(int rows, int cols, bool prompt, view_split_fn *split, const void *arg,
			struct view_layout *l);

/* The agent screen: the list, and the pane (when one is open) under it, or
 * beside it with a separator on wide terminals. */
void view_layout(int rows, int cols, bool pane_open, bool prompt, struct view_layout *l);

/* V clamped to [LO, HI]. */
int view_clamp(int v, int lo, int hi);

/* The line shown instead of the screen when it is too small. */
const char *view_too_small_text(void);

#endif
