/* relay: `balie relay`, the change feed for many consoles.
 *
 * One replication connection (relay_repl.c) decodes the publication
 * balie_feed once; relay_route.c turns each change into frames and routes
 * them by the rights of each attached client (relay_client.c), which holds
 * its own bounded output buffer flushed once per loop turn. Tickets are
 * redeemed over an ordinary async connection (db.c). */
#ifndef BALIE_RELAY_H
#define BALIE_RELAY_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "balie/pgoutput.h"
#include "balie/relay_proto.h"

struct db;
struct relay_repl;

/* Above this many queued bytes a client is sent "gap" and its backlog dropped. */
#define RELAY_CLIENT_MAX_BYTES (8u << 20)

enum relay_kind { RELAY_AGENT, RELAY_SUPERVISOR, RELAY_BOT };

struct relay_client {
	uv_pipe_t pipe;
	struct relay *relay;
	struct relay_client *prev, *next;	/* relay->clients */
	struct relay_client *next_pending;	/* relay->pending (output to flush) */
	bool pending, attached, redeeming, closing, status_only;
	bool gap_queued;		/* a gap sits in out, not yet written */
	bool waiting_db;		/* ticket held until the database is back */
	char *ticket;
	int refs;			/* the pipe, plus a redeem in flight */
	char *login;
	enum relay_kind kind;
	char **queues;			/* NULL with all_queues */
	int nqueues;
	bool all_queues;
	struct relay_buf out;		/* frames not yet handed to uv_write */
	size_t inflight;		/* bytes handed to uv_write, not yet done */
	char in[RELAY_MAX_CLIENT_LINE];
	size_t inlen;
	unsigned long overflows;
};

/* What the relay knows about one conversation (from the stream). */
struct relay_conv {
	int64_t id;
	struct relay_conv *hnext;
	char *f[RELAY_CONV_FIELDS];	/* frame fields, [0] unused */
	int64_t last_seq;		/* seq of the last message known, or -1 */
	bool last_is_note;
	bool dirty, stale;		/* stale: a value is missing: send a hint */
	bool big;			/* a message over RELAY_MAX_BODY: hint */
	bool old_known;			/* route at the start of the turn */
	char *old_queue, *old_agent;
};

struct relay_stats {
	unsigned long changes, frames, attaches, detaches, gaps, overflows;
	uint64_t processed_lsn, server_lsn;
};

struct relay {
	uv_loop_t *loop;
	const char *conninfo;
	const char *socket_path;
	uv_pipe_t server;
	uv_check_t flush;
	uv_timer_t stats_timer;
	uv_signal_t sig[3];
	struct db *db;
	struct relay_repl *repl;
	struct pgo_decoder dec;
	struct relay_client *clients, *pending;
	int nclients;
	bool streaming, in_xact, stopping;
	uint64_t commit_lsn;		/* end of the last commit decoded */
	struct relay_conv **convs;	/* hash buckets */
	size_t nbuckets, nconvs;
	struct relay_conv **dirty;
	size_t ndirty, capdirty;
	struct relay_stats st;
	unsigned long changes_at_last_stats;
	uint64_t last_stats_ms;
	double changes_per_s;
	int exit_code;
};

/* relay_client.c */
int relay_listen(struct relay *r);
void relay_client_send(struct relay_client *c, const char *bytes, size_t n);
void relay_client_frame(struct relay_client *c, const char *const *fields, int n);
void relay_flush_clients(struct relay *r);
void relay_close_all(struct relay *r);
/* Redeems the tickets that arrived while the database was away. */
void relay_redeem_waiting(struct relay *r);
/* Closes the attachments of LOGIN (as bot, or as agent/supervisor). */
void relay_disconnect_login(struct relay *r, const char *login, bool bots, const char *reason);
/* Rights of LOGIN changed: its attached clients are updated and sent "gap"
 * so they re-read what they may now see. */
void relay_rights_queue(struct relay *r, const char *login, const char *queue, bool add, bool bots);
void relay_rights_supervisor(struct relay *r, const char *login, bool supervisor);
/* Rights changed in a way the stream does not spell out: re-attach. */
void relay_rights_reset(struct relay *r, const char *login, bool bots);
/* Sends "gap" to every attached client. */
void relay_gap_all(struct relay *r);
bool relay_client_sees(const struct relay_client *c, const char *queue, const char *agent);

/* relay_route.c */
void relay_route_init(struct relay *r);
void relay_route_free(struct relay *r);
/* Applies one decoded change. */
void relay_route_change(struct relay *r, const struct pgo_change *ch);
/* Sends the conversations changed this turn (at a commit boundary). */
void relay_route_flush(struct relay *r);
/* Forgets every cached conversation (after a gap). */
void relay_route_forget(struct relay *r);

/* relay_repl.c */
struct relay_repl *relay_repl_new(struct relay *r);
int relay_repl_start(struct relay_repl *p);
void relay_repl_stop(struct relay_repl *p);

/* relay.c: called by relay_repl when streaming starts or stops. */
void relay_stream_started(struct relay *r);
void relay_stream_lost(struct relay *r, const char *why);
/* One status line (for --status and the periodic log), without '\n'. */
void relay_status_line(struct relay *r, char *buf, size_t len);

#endif
