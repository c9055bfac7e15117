/* Helpers for tests of `balie relay`: start it as a child process, attach
 * small test clients that keep a model of what they were sent (applying
 * frames as a console would: newer versions win, gap and hint re-read through
 * the read API as the client's own role), and compare that model with what
 * the role reads from the database. No fixed sleeps: every wait polls with a
 * deadline. */
#ifndef BALIE_TEST_RELAYTEST_H
#define BALIE_TEST_RELAYTEST_H

#include <stdbool.h>
#include <sys/types.h>
#include <libpq-fe.h>

struct rt_relay {
	pid_t pid;
	char db[64];
	char sock[108];
	char err[160];
};

/* Starts `balie relay` on DB (as role relayd, created if missing) and waits
 * until it streams. */
void rt_relay_start(struct rt_relay *r, const char *db, const char *sock);
/* Stops it with SIGTERM (0) or kills it with SIGKILL (1); returns exit status. */
int rt_relay_stop(struct rt_relay *r, bool kill9);
/* The value of KEY in the relay's status line (malloc'd), or NULL. */
char *rt_relay_status(const struct rt_relay *r, const char *key);
/* A connected Unix socket to PATH, or -1. */
int rt_connect_sock(const char *path);
/* Waits until the relay streams and can redeem tickets. */
void rt_relay_wait_streaming(const struct rt_relay *r, double seconds);

struct rt_conv {
	long long id, version;
	char *f[20];		/* conv frame fields; [0] unused */
};

struct rt_msg {
	long long conv, seq;
	char *line;		/* "seq id kind author body created" joined */
};

struct rt_client {
	char role[32];
	char db[64];
	PGconn *conn;		/* the client's own connection, as role */
	int fd;
	char *in;
	size_t inlen, incap;
	struct rt_conv *convs;
	int nconvs, capconvs;
	struct rt_msg *msgs;
	int nmsgs, capmsgs;
	/* Counters of frames received. */
	unsigned long n_conv, n_msg, n_hint, n_gone, n_gap, n_queue, n_agent, n_other;
	/* Frames that broke the visibility rule (checked as they arrive). */
	unsigned long violations;
	char **my_queues;	/* for the live check of agents (NULL: skip) */
	int nmy_queues;
	char last_queue_name[128];	/* from the last queue frame */
	bool eof;
};

/* Attaches ROLE on DB through relay R and reads the first state. */
void rt_attach(struct rt_client *c, const struct rt_relay *r, const char *db, const char *role);
/* Attaches again after the relay went away (new ticket, new socket). */
void rt_reattach(struct rt_client *c, const struct rt_relay *r);
void rt_close(struct rt_client *c);
/* Reads and applies whatever has arrived (does not wait). */
void rt_pump(struct rt_client *c);
/* Waits until a queue frame named NAME arrived (the marker of rt_sync). */
void rt_wait_marker(struct rt_client *c, const char *name, double seconds);
/* Makes a marker change (queue parcels renamed to a fresh name) as ROOT and
 * waits until every client has seen it: then all earlier changes arrived. */
void rt_sync(PGconn *root, struct rt_client **cs, int n);
/* Re-reads everything the client holds through the read API (as on "gap"). */
void rt_reread(struct rt_client *c);
/* Asserts the model equals what the role reads now; prints the differences. */
void rt_assert_converged(struct rt_client *c);

#endif
