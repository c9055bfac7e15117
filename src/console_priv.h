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
#include "balie/shift.h"
#include "balie/super.h"
#include "balie/sync.h"
#include "balie/ui.h"
#include "balie/verb.h"
#include "balie/view.h"
#include "balie/view_super.h"

/* How long a status line message stays, in seconds. */
#define MESSAGE_SECONDS 15
/* How often the console tells the store it is still here (seconds); the
 * store calls an agent offline 30 s after the last one. */
#define HEARTBEAT_SECONDS 10

/* A typed but unsent text, kept per conversation and verb. */
struct draft {
	int64_t conv;
	enum verb verb;
	char *text;
};

/* The verb a question (y/n, the queue picker) is about. */
struct console_ask {
	enum verb verb;
	int64_t conv;		/* 0: not about a conversation */
	char arg[80];		/* the queue a pause is about */
	bool flag;		/* what the bot would become */
};

/* What a key handler did with a key (htop's HandlerResult). */
enum console_key {
	CONSOLE_KEY_IGNORED,	/* not this handler's: the next may take it */
	CONSOLE_KEY_HANDLED,
	CONSOLE_KEY_REDRAW,	/* handled; redraw the whole terminal */
	CONSOLE_KEY_QUIT,	/* quit (asks first when replies wait) */
};

struct console;

/* One screen of the console (the agent's, the supervisor's): how it is
 * drawn and what the keys of the list mode do on it. The modes (compose,
 * y/n, picker, help) work the same on every screen (console_keys.c). */
struct console_screen {
	enum ui_screen ui;
	/* A list-mode key, already looked up as verb V. */
	enum console_key (*key)(struct console *con, enum verb v);
	/* After a render (the agent screen tells the model what is read). */
	void (*rendered)(struct console *con);
};

extern const struct console_screen console_agent_screen, console_super_screen;

/* What we last saw of a conversation, to notice what changed. */
struct seen {
	int64_t id;		/* 0 = free slot */
	enum model_state state;
	int msgs;		/* message_count */
	unsigned alerted;	/* SEEN_ALERT_*: rung for already, in this state */
};
enum { SEEN_ALERT_UNCLAIMED = 1u << 0, SEEN_ALERT_SLA = 1u << 1 };

/* The signals the console turns into loop events (signal.h reserves the
 * SIG prefix). */
enum console_signal { CONSOLE_SIGWINCH, CONSOLE_SIGTERM, CONSOLE_SIGHUP, CONSOLE_SIGINT,
		      CONSOLE_NSIGNALS };

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
	const struct console_screen *screen;	/* the one shown */

	uv_poll_t input;
	bool input_open;	/* initialised: console_stop closes it */
	uv_timer_t tick;
	uv_signal_t sig[CONSOLE_NSIGNALS];
	int nsig_open;		/* initialised: console_stop closes them */
	uv_check_t check;
	bool render_pending;
	bool bell_pending;
	int empty_reads;

	/* The compose line and what it is for. */
	struct compose line;
	enum verb compose_verb;
	int64_t compose_conv;
	struct compose search_line;
	struct draft *drafts;
	size_t ndrafts;
	struct console_ask ask;	/* what a y/n question or the picker is about */

	struct seen *seen;
	size_t seen_cap, nseen;
	enum model_state open_state;	/* of the open conversation, last seen */
	char *open_agent;
	int64_t sent_away;	/* transferred or closed by us: its leaving is no news */
	bool startup;		/* the first load is arriving: no bells */
	bool ever_online;
	bool quit_armed;
	int64_t last_heartbeat;

	/* The supervisor screen (console_super.c) and presence (console_presence.c). */
	struct super *super;
	struct view_super vsup;
	uv_timer_t heartbeat;
	bool heartbeat_open;
	int64_t last_key;	/* local unix seconds of the last key press */
	bool told_away;		/* the last heartbeat said away */

	/* $EDITOR */
	uv_process_t editor;
	bool editing;
	bool resize_pending;
	char editor_path[256];
	int64_t editor_conv;

	struct console_frames frames;

	/* The shift (console_shift.c): alerts, status, read marks, presence
	 * in a conversation. */
	struct shift_ring ring;
	bool away;
	bool taking_next;		/* our own take-next is in flight */
	int64_t pending_open;		/* what take-next gave us, until it is here */
	uv_timer_t viewing;
	bool viewing_open;
	int64_t view_want, view_sent;	/* the conversation we are in, and told */
	const char *act_want, *act_sent;	/* "viewing", "typing", … */
	int64_t read_conv;		/* the last mark_read sent */
	int read_seq;

	bool stopping;
	bool stop_requested;
	int exit_code;
	char fatal[512];
};

/* console.c: the loop and the console's state (mode, shown screen); the
 * other files call down to it and to the file they name, never back up to
 * the key handling. */
void console_render(struct console *con);
void console_resume_input(struct console *con);
void console_schedule(struct console *con);
void console_stop(struct console *con, int code);
/* Stops from inside a sync callback, on the next loop turn. */
void console_request_stop(struct console *con, int code);
/* Reports a libuv start that failed (R < 0) and stops; returns R == 0. */
bool console_uv_ok(struct console *con, int r, const char *what);
/* The one place the mode changes: what entering MODE needs is done here. */
void console_set_mode(struct console *con, enum view_mode mode);
/* Shows SCREEN (the agent's or the supervisor's). */
void console_show(struct console *con, const struct console_screen *screen);

/* console_events.c: sync's events, the pane. */
void console_sync_events(struct console *con, struct sync_events *ev);
void console_open_pane(struct console *con, int64_t id);
void console_close_pane(struct console *con);
/* Shows the newest message of the open conversation and follows new ones. */
void console_pane_newest(struct console *con);
const char *console_customer(const struct model_conv *c);
/* The conversation verbs apply to: the open one, else the selected row. */
struct model_conv *console_target(struct console *con);

/* console_keys.c: keys in every mode. */
void console_handle_key(struct console *con, int is_keycode, unsigned value);
void console_on_input(uv_poll_t *h, int status, int events);

/* console_verb.c: verbs from the table — ask, refuse, send, say. */
/* Starts verb V on C (NULL for a verb that acts on no conversation) as its
 * row says: refuses in words, or asks (compose line, editor and picker need
 * a conversation; y/n), or sends. */
void console_verb(struct console *con, enum verb v, struct model_conv *c);
/* Sends CALL now; its result is said in the row's words. */
void console_send(struct console *con, const struct action *call);
/* Says why V cannot be done to C and returns true, or returns false. */
bool console_refused(struct console *con, const struct model_conv *c, enum verb v);
/* Asks the y/n question of ASK's verb. */
void console_ask_yesno(struct console *con, const struct console_ask *ask);
/* The answer CODE to the question asked. */
void console_answer(struct console *con, unsigned code);
/* Opens the queue picker to transfer C. */
void console_pick_queue(struct console *con, const struct model_conv *c);
/* The queue picker chose the highlighted queue. */
void console_picked(struct console *con);

/* console_compose.c: drafts and the compose line. */
struct draft *console_draft_find(struct console *con, int64_t conv, enum verb v);
void console_draft_drop(struct console *con, int64_t conv, enum verb v);
void console_draft_save(struct console *con, int64_t conv, enum verb v, const char *text);
void console_start_compose(struct console *con, struct model_conv *c, enum verb v);
void console_leave_compose(struct console *con, bool keep);
void console_submit_compose(struct console *con);
bool console_send_reply(struct console *con, int64_t conv, const char *text);

/* console_editor.c */
void console_edit_reply(struct console *con, struct model_conv *c);

/* console_super.c: the supervisor screen's life. */
void console_super_start(struct console *con);
void console_super_stop(struct console *con);
void console_super_conn(struct console *con, bool online);

/* console_events.c: what was last seen of ID, or NULL. */
struct seen *console_seen(struct console *con, int64_t id);

/* console_shift.c: several conversations at once. */
bool console_shift_start(struct console *con);
void console_shift_stop(struct console *con);
/* After the first load: what is so already is marked, not rung. */
void console_shift_prime(struct console *con);
/* Every second: unclaimed escalations and the SLA ring; a held ring. */
void console_shift_tick(struct console *con);
/* C changed; PREV is its state and PREV_MSGS its message count before
 * (MODEL_STATE_UNKNOWN, -1: new to us). */
void console_shift_changed(struct console *con, const struct model_conv *c,
			   enum model_state prev, int prev_msgs);
/* Rings (bell or flash), at most once per the configured gap. */
void console_alert(struct console *con);
/* After a render: marks the open conversation read when its end is shown. */
void console_shift_rendered(struct console *con);
/* Where we are: in CONV (0: none) doing ACTIVITY ("viewing", "typing",
 * "typing a note"); told to the store a moment later, once. */
void console_set_viewing(struct console *con, int64_t conv, const char *activity);
/* The compose line changed: typing while it holds text, else viewing. */
void console_compose_typed(struct console *con);
/* The keys N and A. */
void console_take_next(struct console *con);
void console_toggle_status(struct console *con);
/* The answer to a take-next: the conversation it gave us, if any. */
void console_took_next(struct console *con, const struct action_result *r);

/* console_presence.c: the heartbeat every console sends. */
bool console_presence_start(struct console *con);
void console_presence_stop(struct console *con);
/* A key was pressed: back from away. */
void console_activity(struct console *con);
/* Online again: say we are here now. */
void console_presence_online(struct console *con);

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
