/* benchlib: clock, samples, libpq, children and pseudo-terminals; see benchlib.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"

/* Output kept for marker searches: enough for a few full screens. */
#define TTY_TEXT_KEEP (256 * 1024)
#define MAX_CHILDREN 4096

/* Every process we started, so that an error exit stops them too. */
static pid_t children[MAX_CHILDREN];
static size_t nchildren;

static void remember_child(pid_t pid)
{
	if (nchildren < MAX_CHILDREN)
		children[nchildren++] = pid;
}

static void forget_child(pid_t pid)
{
	size_t i;

	for (i = 0; i < nchildren; i++)
		if (children[i] == pid) {
			children[i] = children[--nchildren];
			return;
		}
}

void bench_kill_children(void)
{
	size_t i;

	for (i = 0; i < nchildren; i++)
		kill(children[i], SIGTERM);
	for (i = 0; i < nchildren; i++)
		waitpid(children[i], NULL, 0);
	nchildren = 0;
}

double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void bench_sleep_ms(double ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1e3);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1e3) * 1e6);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void bench_log(const char *fmt, ...)
{
	va_list ap;

	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

_Noreturn void bench_die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	bench_kill_children();
	exit(1);
}

void *bench_alloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		bench_die("out of memory");
	return p;
}

void *bench_grow(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		bench_die("out of memory");
	return p;
}

/* Samples ------------------------------------------------------------------ */

void samples_add(struct samples *s, double v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = bench_grow(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = v;
	s->sorted = false;
}

static int double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double samples_pct(struct samples *s, double p)
{
	size_t rank;

	if (s->n == 0)
		return 0;
	if (!s->sorted) {
		qsort(s->v, s->n, sizeof *s->v, double_cmp);
		s->sorted = true;
	}
	rank = (size_t)(p / 100.0 * (double)s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return s->v[rank - 1];
}

double samples_mean(const struct samples *s)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		sum += s->v[i];
	return s->n ? sum / (double)s->n : 0;
}

double samples_max(struct samples *s)
{
	return samples_pct(s, 100);
}

void samples_clear(struct samples *s)
{
	s->n = 0;
	s->sorted = false;
}

/* libpq ----------------------------------------------------------------------- */

const char *bench_conninfo(const char *role, const char *db)
{
	static char buf[512];
	const char *host = getenv("BENCH_PGHOST"), *port = getenv("BENCH_PGPORT");

	if (!host || !port)
		bench_die("BENCH_PGHOST and BENCH_PGPORT are not set (run test/bench/run.sh)");
	snprintf(buf, sizeof buf, "host=%s port=%s user=%s dbname=%s", host, port, role, db);
	return buf;
}

PGconn *bench_connect(const char *role, const char *db)
{
	PGconn *c = PQconnectdb(bench_conninfo(role, db));

	if (PQstatus(c) != CONNECTION_OK)
		bench_die("cannot connect as %s to %s: %s", role, db, PQerrorMessage(c));
	return c;
}

static PGresult *query_va(PGconn *c, const char *sql, va_list ap)
{
	const char *params[16];
	const char *p;
	int n = 0;
	PGresult *r;
	ExecStatusType st;

	while ((p = va_arg(ap, const char *)) != NULL) {
		if (n == 16)
			bench_die("too many parameters");
		params[n++] = p;
	}
	r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		bench_die("query failed: %s\n  %s", PQresultErrorMessage(r), sql);
	return r;
}

PGresult *bench_query(PGconn *c, const char *sql, ...)
{
	va_list ap;
	PGresult *r;

	va_start(ap, sql);
	r = query_va(c, sql, ap);
	va_end(ap);
	return r;
}

long long bench_int(PGconn *c, const char *sql, ...)
{
	va_list ap;
	PGresult *r;
	long long v;

	va_start(ap, sql);
	r = query_va(c, sql, ap);
	va_end(ap);
	if (PQntuples(r) != 1 || PQnfields(r) < 1)
		bench_die("expected one value from: %s", sql);
	v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

void bench_send(PGconn *c, const char *sql, int n, const char *const *params)
{
	if (!PQsendQueryParams(c, sql, n, NULL, params, NULL, NULL, 0))
		bench_die("cannot send: %s", PQerrorMessage(c));
	while (PQflush(c) == 1)
		;
}

bool bench_json_int(const char *line, const char *key, long long *out)
{
	char pat[64];
	const char *p;
	char *end;

	snprintf(pat, sizeof pat, "\"%s\"", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	while (*p == ' ' || *p == ':')
		p++;
	*out = strtoll(p, &end, 10);
	return end != p;
}

/* Children ------------------------------------------------------------------ */

static void set_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		bench_die("fcntl: %s", strerror(errno));
}

struct child *child_spawn(char *const argv[], const char *errfile)
{
	struct child *c = bench_alloc(sizeof *c);
	int p[2];

	if (pipe(p) != 0)
		bench_die("pipe: %s (raise ulimit -n)", strerror(errno));
	c->pid = fork();
	if (c->pid < 0)
		bench_die("fork: %s", strerror(errno));
	if (c->pid == 0) {
		int err = open(errfile ? errfile : "/dev/null",
			       O_WRONLY | O_CREAT | O_APPEND, 0644);

		dup2(p[1], 1);
		if (err >= 0)
			dup2(err, 2);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	remember_child(c->pid);
	close(p[1]);
	c->fd = p[0];
	set_nonblocking(c->fd);
	return c;
}

int child_read(struct child *c, child_line_cb *cb, void *arg)
{
	for (;;) {
		ssize_t got;
		char *nl, *start;

		if (c->fd < 0)
			return -1;
		if (c->cap - c->len < 4096) {
			c->cap = c->cap ? c->cap * 2 : 8192;
			c->buf = bench_grow(c->buf, c->cap);
		}
		got = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (got <= 0) {
			close(c->fd);
			c->fd = -1;
			return -1;
		}
		c->len += (size_t)got;
		c->buf[c->len] = '\0';
		start = c->buf;
		while ((nl = memchr(start, '\n', c->len - (size_t)(start - c->buf))) != NULL) {
			*nl = '\0';
			cb(c, start, bench_now_ms(), arg);
			start = nl + 1;
		}
		c->len -= (size_t)(start - c->buf);
		memmove(c->buf, start, c->len);
	}
}

void child_kill(struct child *c)
{
	if (!c)
		return;
	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		waitpid(c->pid, NULL, 0);
		forget_child(c->pid);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

/* Pseudo-terminals ------------------------------------------------------------ */

struct tty *tty_spawn(char *const argv[], char *const env[], int rows, int cols)
{
	struct tty *t = bench_alloc(sizeof *t);
	struct winsize ws = { 0 };

	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)cols;
	t->pid = forkpty(&t->fd, NULL, NULL, &ws);
	if (t->pid < 0)
		bench_die("forkpty: %s", strerror(errno));
	if (t->pid == 0) {
		size_t i;

		for (i = 0; env && env[i]; i++)
			putenv(env[i]);
		execvp(argv[0], argv);
		_exit(127);
	}
	remember_child(t->pid);
	set_nonblocking(t->fd);
	t->cap = TTY_TEXT_KEEP * 2;
	t->text = bench_alloc(t->cap + 1);
	return t;
}

/* Keeps the printable bytes: escape sequences (CSI, OSC, charset selection)
 * and control characters are dropped, so text drawn in pieces reads whole. */
static void tty_keep(struct tty *t, const unsigned char *p, size_t n)
{
	size_t i;

	enum { NORMAL, ESC, CSI, OSC, CHARSET };
	for (i = 0; i < n; i++) {
		unsigned char b = p[i];

		switch (t->esc) {
		case NORMAL:
			if (b == 0x1b) {
				t->esc = ESC;
			} else if (b >= 0x20 && b != 0x7f) {
				if (t->len == t->cap) {
					memmove(t->text, t->text + t->len - TTY_TEXT_KEEP, TTY_TEXT_KEEP);
					t->len = TTY_TEXT_KEEP;
				}
				t->text[t->len++] = (char)b;
			}
			break;
		case ESC:
			if (b == '[')
				t->esc = CSI;
			else if (b == ']')
				t->esc = OSC;
			else if (b == '(' || b == ')' || b == '*' || b == '+')
				t->esc = CHARSET;
			else
				t->esc = NORMAL;
			break;
		case CSI:
			if (b >= 0x40 && b <= 0x7e)
				t->esc = NORMAL;
			break;
		case OSC:
			if (b == 0x07)
				t->esc = NORMAL;
			else if (b == 0x1b)
				t->esc = ESC;
			break;
		case CHARSET:
			t->esc = NORMAL;
			break;
		}
	}
	t->text[t->len] = '\0';
}

long tty_read(struct tty *t)
{
	unsigned char buf[65536];
	long total = 0;

	for (;;) {
		ssize_t got;

		if (t->fd < 0)
			return total ? total : -1;
		got = read(t->fd, buf, sizeof buf);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			return total;
		if (got <= 0) {
			/* EIO: the program closed the terminal or ended. */
			close(t->fd);
			t->fd = -1;
			return total ? total : -1;
		}
		t->bytes += (unsigned long long)got;
		total += got;
		tty_keep(t, buf, (size_t)got);
	}
}

bool tty_saw(const struct tty *t, const char *text)
{
	return strstr(t->text, text) != NULL;
}

void tty_forget(struct tty *t)
{
	t->len = 0;
	t->text[0] = '\0';
}

void tty_write(struct tty *t, const char *keys)
{
	size_t n = strlen(keys), off = 0;

	while (off < n) {
		ssize_t w = write(t->fd, keys + off, n - off);

		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w < 0)
			bench_die("writing to the terminal: %s", strerror(errno));
		off += (size_t)w;
	}
}

void tty_resize(struct tty *t, int rows, int cols)
{
	struct winsize ws = { 0 };

	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)cols;
	/* The kernel sends SIGWINCH to the terminal's foreground group. */
	ioctl(t->fd, TIOCSWINSZ, &ws);
}

void tty_kill(struct tty *t)
{
	if (!t)
		return;
	if (t->pid > 0) {
		kill(t->pid, SIGTERM);
		waitpid(t->pid, NULL, 0);
		forget_child(t->pid);
	}
	if (t->fd >= 0)
		close(t->fd);
	free(t->text);
	free(t);
}

/* /proc -------------------------------------------------------------------- */

double proc_cpu_ms(pid_t pid)
{
	char path[64], buf[2048], *p;
	unsigned long utime = 0, stime = 0;
	unsigned long long run_ns;
	FILE *f;
	size_t n;

	/* schedstat counts nanoseconds; stat's clock ticks truncate a short
	 * burst of a process to nothing. */
	snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "r");
	if (f) {
		int ok = fscanf(f, "%llu", &run_ns) == 1;

		fclose(f);
		if (ok)
			return (double)run_ns / 1e6;
	}
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces: fields count from its ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

long proc_status_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			v = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

void bench_marker(char *out, size_t len, unsigned k)
{
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = (char)('a' + (k + 7 * i) % 26);
	out[len] = '\0';
}

/* Writers ------------------------------------------------------------------ */

struct writer {
	struct writers *all;
	PGconn *conn;
	pthread_t thread;
	int index;
};

struct writers {
	struct writer *w;
	int n;
	const long long *convs;
	size_t nconvs;
	atomic_bool stop;
	atomic_ullong commits;
	double started;
};

static void *writer_main(void *arg)
{
	struct writer *me = arg;
	struct writers *all = me->all;
	size_t i = (size_t)me->index;
	unsigned long long n = 0;
	char conv[32], body[64];
	const char *params[2] = { conv, body };

	while (!atomic_load(&all->stop)) {
		PGresult *r;

		snprintf(conv, sizeof conv, "%lld", all->convs[i % all->nconvs]);
		snprintf(body, sizeof body, "load message %d.%llu", me->index, n);
		r = PQexecParams(me->conn,
				 "SELECT balie.post_message($1::bigint, 'customer', $2)",
				 2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			bench_die("post_message: %s", PQresultErrorMessage(r));
		PQclear(r);
		atomic_fetch_add(&all->commits, 1);
		n++;
		i += (size_t)all->n;
	}
	return NULL;
}

struct writers *writers_start(const char *db, int nwriters, const long long *convs, size_t nconvs)
{
	struct writers *all = bench_alloc(sizeof *all);
	int i;

	if (nconvs < (size_t)nwriters)
		bench_die("writers need at least one conversation each");
	all->w = bench_alloc((size_t)nwriters * sizeof *all->w);
	all->n = nwriters;
	all->convs = convs;
	all->nconvs = nconvs;
	atomic_init(&all->stop, false);
	atomic_init(&all->commits, 0);
	/* Connect first, so the clock measures writing, not connecting. */
	for (i = 0; i < nwriters; i++) {
		all->w[i].all = all;
		all->w[i].index = i;
		all->w[i].conn = bench_connect("botty", db);
	}
	all->started = bench_now_ms();
	for (i = 0; i < nwriters; i++)
		if (pthread_create(&all->w[i].thread, NULL, writer_main, &all->w[i]) != 0)
			bench_die("cannot start a writer thread");
	return all;
}

double writers_stop(struct writers *all, unsigned long long *total)
{
	double secs;
	int i;

	atomic_store(&all->stop, true);
	for (i = 0; i < all->n; i++)
		pthread_join(all->w[i].thread, NULL);
	secs = (bench_now_ms() - all->started) / 1e3;
	*total = atomic_load(&all->commits);
	for (i = 0; i < all->n; i++)
		PQfinish(all->w[i].conn);
	free(all->w);
	free(all);
	return secs > 0 ? (double)*total / secs : 0;
}

void bench_result(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("R %s ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}
