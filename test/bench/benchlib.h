/* benchlib: what every benchmark program shares.
 *
 * A monotonic clock in milliseconds, sample sets with percentiles, blocking
 * libpq helpers (the benchmarks are drivers, not the product: blocking is
 * fine here), children whose standard output is read line by line (`balie
 * watch`), and programs on a pseudo-terminal of our own (the console, psql)
 * whose output bytes are counted and searched for marker text.
 *
 * Connections go to the server named by BENCH_PGHOST and BENCH_PGPORT (set by
 * test/bench/run.sh). */
#ifndef BALIE_BENCH_LIB_H
#define BALIE_BENCH_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libpq-fe.h>

double bench_now_ms(void);
void bench_sleep_ms(double ms);
void bench_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Stops every child and terminal program started here (also on bench_die). */
void bench_kill_children(void);
void *bench_alloc(size_t n);
void *bench_grow(void *p, size_t n);

struct samples {
	double *v;
	size_t n, cap;
	bool sorted;
};

void samples_add(struct samples *s, double v);
/* P in 0..100, nearest-rank; 0 with no samples. */
double samples_pct(struct samples *s, double p);
double samples_mean(const struct samples *s);
double samples_max(struct samples *s);
void samples_clear(struct samples *s);

/* A conninfo for ROLE on DB at the benchmark's server (static buffer). */
const char *bench_conninfo(const char *role, const char *db);
PGconn *bench_connect(const char *role, const char *db);
/* Runs SQL with text parameters (NULL-terminated list); dies on error. */
PGresult *bench_query(PGconn *c, const char *sql, ...);
/* Like bench_query for a one-value answer, parsed as an integer. */
long long bench_int(PGconn *c, const char *sql, ...);
/* Sends SQL without waiting (non-blocking connection); dies on error. */
void bench_send(PGconn *c, const char *sql, int n, const char *const *params);

/* Finds the integer after "KEY" : in a JSON line; false when absent. */
bool bench_json_int(const char *line, const char *key, long long *out);

/* A child whose standard output we read line by line. */
struct child {
	pid_t pid;
	int fd;			/* read end, non-blocking; -1 after EOF */
	char *buf;
	size_t len, cap;
	void *user;
};

typedef void child_line_cb(struct child *c, char *line, double at, void *arg);

/* Starts ARGV with stdout on a pipe and stderr appended to ERRFILE. */
struct child *child_spawn(char *const argv[], const char *errfile);
/* Reads what is there and calls CB per complete line; -1 at EOF. */
int child_read(struct child *c, child_line_cb *cb, void *arg);
void child_kill(struct child *c);

/* A program on a pseudo-terminal we hold the master side of. */
struct tty {
	pid_t pid;
	int fd;			/* master, non-blocking */
	unsigned long long bytes;	/* everything the program wrote */
	char *text;		/* printable output since tty_forget, escapes removed */
	size_t len, cap;
	int esc;		/* escape-sequence parser state */
};

/* Starts ARGV on a new ROWSxCOLS terminal with ENV (NAME=VALUE strings,
 * NULL-terminated) added to the environment. */
struct tty *tty_spawn(char *const argv[], char *const env[], int rows, int cols);
/* Reads what is there; returns the bytes read (0 if none, -1 at EOF). */
long tty_read(struct tty *t);
/* Whether TEXT appeared (escapes removed) since the last tty_forget. */
bool tty_saw(const struct tty *t, const char *text);
void tty_forget(struct tty *t);
void tty_write(struct tty *t, const char *keys);
void tty_resize(struct tty *t, int rows, int cols);
void tty_kill(struct tty *t);

/* CPU time (user + system) of a process in milliseconds, from /proc. */
double proc_cpu_ms(pid_t pid);
/* A "VmRSS"/"VmHWM"-style field of /proc/PID/status in KiB. */
long proc_status_kib(pid_t pid, const char *field);

/* A marker of LEN letters that differs at every position from the markers
 * next to it (K-1, K+1) and repeats no letter twice in a row, so a terminal
 * library writes all of it and never as a repeat sequence. */
void bench_marker(char *out, size_t len, unsigned k);

/* Writer threads, each on its own connection as the bot, calling
 * balie.post_message on its own share of CONVS (no row-lock contention
 * between writers) as fast as the store accepts. */
struct writers;
struct writers *writers_start(const char *db, int nwriters, const long long *convs, size_t nconvs);
/* Stops them; returns commits per second over the run, *TOTAL the commits. */
double writers_stop(struct writers *w, unsigned long long *total);

/* Prints one result for run.sh's table: "R NAME VALUE". */
void bench_result(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
