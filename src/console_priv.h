/* console_priv: the console's state, shared by the console_*.c files. */
#ifndef BALIE_CONSOLE_PRIV_H
#define BALIE_CONSOLE_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "balie/compose.h"
#include "balie/config.h"
#include "balie/console.h"
#include "balie/keys.h"
#include "balie/model.h"
#include "balie/super.h"
#include "balie/sync.h"
#include "balie/ui.h"
#include "balie/ui_super.h"
#include "balie/view.h"
#include "balie/view_super.h"

/* How long a status line message stays, in seconds. */
#define MESSAGE_SECONDS 15
/* How often the console tells the store it is still here (seconds); the
 * store calls an agent offline 30 s after the last one. */
#define HEARTBEAT_SECONDS 10

enum compose_kind {
	KIND_REPLY,
	KIND_NOTE,
	KIND_AGREEMENT,
};

/* A typed but unsent text, kept per conversation and kind. */
struct draft {
	int64_t conv;
	enum compose_kind kind;
	char *text;
};

/* What we last saw of a conversation, to notice what changed. */
struct seen {
	int64_t id;		/* 0 = free slot */
	enum model_state state;
};

enum { SIG_WINCH, SIG_TERM, SIG_HUP, SIG_INT, NSIGNALS };

/* The frame log (console_frame.c): set up only when BALIE_FRAME_LOG names a
 * file, so that without it measuring costs one test of a NULL pointer. */
struct console_frames {
	FILE *f;
	bool active;			/* the prepare handle is running */
	uv_prepare_t prepare;		/* runs just before the loop blocks */
	unsigned long turns;
	uint64_t start_ns;
	uint64_t turn_wall_ns, turn_cpu_ns, turn_idle_ns;	/* at the last prepare */
};

/* When a measured piece of work began. */
struct frame_mark {
	uint64_t wall_ns, cpu_ns;
};

struct console {
	uv_loop_t *loop;
	struct model model;
	struct sync *sync;
	struct ui *ui;
	struct config cfg;
	struct console_options opt;
	struct view_state vs;

	uv_poll_t input;
	uv_timer_t tick;
	uv_signal_t sig[NSIGNALS];
	uv_check_t check;
	bool render_pending;
	bool bell_pending;
	int empty_reads;

	/* The compose line and what it is for. */
	struct compose line;
	enum compose_kind kind;
	int64_t compose_conv;
	struct compose search_line;
	struct draft *drafts;
	size_t ndrafts;
	int64_t confirm_conv;	/* the conversation a y/n question is about */
	int64_t pick_conv;	/* the conversation being transferred */

	struct seen *seen;
	size_t seen_cap, nseen;
	enum model_state open_state;	/* of the open conversation, last seen */
	char *open_agent;
	int64_t sent_away;	/* transferred or closed by us: its leaving is no news */
	bool startup;		/* the first load is arriving: no bells */
	bool ever_online;
	bool quit_armed;
	int64_t last_heartbeat;

	/* The supervisor screen and presence (console_super.c). */
	struct super *super;
	struct ui_super *usup;
	struct view_super vsup;
	bool super_shown;
	char pause_queue[80];	/* the queue a pause question is about */
	bool pause_to;		/* … and what its bot would become */
	uv_timer_t heartbeat;
	int64_t last_key;	/* local unix seconds of the last key press */
	bool told_away;		/* the last heartbeat said away */

	/* $EDITOR */
	uv_process_t editor;
	bool editing;
	bool resize_pending;
	char editor_path[256];
	int64_t editor_conv;

	struct console_frames frames;

	bool stopping;
	bool stop_requested;
	int exit_code;
	char fatal[512];
};

/* Shared between the console_*.c files; each is defined in the file named. */
bool console_refused(struct console *con, const struct model_conv *c, enum keys_action a);
bool console_send_reply(struct console *con, int64_t conv, const char *text);
const char *console_customer(const struct model_conv *c);
struct draft *console_draft_find(struct console *con, int64_t conv, enum compose_kind kind);
struct model_conv *console_target(struct console *con);
void console_act(struct console *con, enum action_kind kind, int64_t conv, const char *text,
		const char *arg);
void console_close_pane(struct console *con);
void console_draft_drop(struct console *con, int64_t conv, enum compose_kind kind);
void console_draft_save(struct console *con, int64_t conv, enum compose_kind kind,
		       const char *text);
void console_edit_reply(struct console *con, struct model_conv *c);
void console_handle_key(struct console *con, int is_keycode, unsigned value);
void console_leave_compose(struct console *con, bool keep);
void console_on_input(uv_poll_t *h, int status, int events);
void console_open_pane(struct console *con, int64_t id);
/* Shows the newest message of the open conversation and follows new ones. */
void console_pane_newest(struct console *con);
/* Opens the queue picker to transfer C (x). */
void console_pick_queue(struct console *con, const struct model_conv *c);
void console_render(struct console *con);
void console_resume_input(struct console *con);
void console_schedule(struct console *con);
void console_start_compose(struct console *con, struct model_conv *c, enum compose_kind kind);
void console_stop(struct console *con, int code);
void console_submit_compose(struct console *con);

/* The supervisor screen and presence; defined in console_super.c. */
void console_activity(struct console *con);
void console_super_start(struct console *con);
void console_super_stop(struct console *con);
void console_super_show(struct console *con, bool show);
void console_super_render(struct console *con);
bool console_super_key(struct console *con, int is_keycode, unsigned value);
void console_super_conn(struct console *con, bool online);
void console_super_on_notify(struct sync *s, const char *channel, const char *payload, void *user);

/* The frame log; defined in console_frame.c. A line is "KIND WALL_US
 * CPU_US AT_MS": KIND is render, keys (a batch of keys and its render) or
 * turn (one busy turn of the loop, database answers included). */
void console_frames_start(struct console *con);
void console_frames_stop(struct console *con);
void console_frames_close(struct console *con);
void console_frame_begin(const struct console *con, struct frame_mark *mark);
void console_frame_end(struct console *con, const char *kind, const struct frame_mark *mark);

/* A status line message that fades after MESSAGE_SECONDS. */
#define say(con, role, ...) \
	view_message(&(con)->vs, (role), console_now_s(), MESSAGE_SECONDS, __VA_ARGS__)
int64_t console_now_s(void);
int64_t console_server_now(const struct console *con);

#endif
