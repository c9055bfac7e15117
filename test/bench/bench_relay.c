/* bench_relay: the relay feed under load, from the clients' side.
 *
 *   bench_relay DB SOCKET RELAY_PID COUNTS WRITERS SECONDS RATE LAT_SECONDS
 *
 * One process multiplexes every attachment (a real site has them on many
 * machines): each gets a one-time ticket from balie.relay_ticket() as ann
 * (an agent of billing, where the writers post) and attaches on SOCKET.
 *
 * 1. For each count in COUNTS (comma-separated): that many attachments, then
 *    WRITERS threads call balie.post_message as fast as the store accepts
 *    for SECONDS while a thread drains every socket: commits/s, frames
 *    delivered, relay CPU per change and memory per attachment (/proc).
 * 2. With the largest count still attached: writers open-loop at RATE
 *    commits/s for LAT_SECONDS, each body carrying its send time; every msg
 *    frame that arrives is timed (event -> client latency over every
 *    delivery, from a histogram of 0.1 ms buckets).
 *
 * Prints "R name value" lines for run.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "benchlib.h"

#define NCONVS 64
#define HIST_MS 120000
#define HIST_BUCKETS (HIST_MS * 10)

struct att {
	int fd;
	char buf[1 << 16];
	size_t len;
	bool ok;
};

static struct att *atts;
static size_t natts;
static atomic_bool draining_stop;
static unsigned long long frames, msgs, gaps;
static unsigned long hist[HIST_BUCKETS + 1];
static unsigned long long timed;
static double lat_max;
static atomic_bool timing;

static void on_line(struct att *a, char *line, size_t n, double now)
{
	char *mark;

	frames++;
	if (!a->ok) {
		if (strncmp(line, "ok\t", 3) == 0)
			a->ok = true;
		else if (strncmp(line, "no", 2) == 0)
			bench_die("attach refused: %.*s", (int)n, line);
		return;
	}
	if (n == 3 && memcmp(line, "gap", 3) == 0)
		gaps++;	/* this client fell behind: a real one would re-read */
	if (n < 4 || memcmp(line, "msg\t", 4) != 0)
		return;
	msgs++;
	line[n] = '\0';
	if (atomic_load(&timing) && (mark = strstr(line, "bench-t=")) != NULL) {
		double lat = now - strtod(mark + 8, NULL);
		size_t b = lat < 0 ? 0 : (size_t)(lat * 10);

		hist[b > HIST_BUCKETS ? HIST_BUCKETS : b]++;
		timed++;
		if (lat > lat_max)
			lat_max = lat;
	}
}

static void read_att(struct att *a)
{
	double now = bench_now_ms();

	for (;;) {
		ssize_t r = read(a->fd, a->buf + a->len, sizeof a->buf - a->len - 1);
		char *p, *nl;

		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0)
			bench_die("the relay closed an attachment (%s)", r ? strerror(errno) : "EOF");
		a->len += (size_t)r;
		p = a->buf;
		while ((nl = memchr(p, '\n', a->len - (size_t)(p - a->buf))) != NULL) {
			on_line(a, p, (size_t)(nl - p), now);
			p = nl + 1;
		}
		a->len -= (size_t)(p - a->buf);
		memmove(a->buf, p, a->len);
		if (a->len == sizeof a->buf - 1)
			a->len = 0;	/* a line too long to time: dropped */
		if ((size_t)r < 4096)
			return;	/* drained: no second read() just to hear EAGAIN */
	}
}

/* One poll over every attachment. */
static void drain_once(struct pollfd *pfd, int timeout)
{
	size_t i;

	for (i = 0; i < natts; i++) {
		pfd[i].fd = atts[i].fd;
		pfd[i].events = POLLIN;
	}
	if (poll(pfd, natts, timeout) <= 0)
		return;
	for (i = 0; i < natts; i++)
		if (pfd[i].revents)
			read_att(&atts[i]);
}

static void *drainer(void *arg)
{
	struct pollfd *pfd = bench_alloc((natts ? natts : 1) * sizeof *pfd);

	(void)arg;
	while (!atomic_load(&draining_stop)) {
		if (natts)
			drain_once(pfd, 50);
		else
			bench_sleep_ms(50);
	}
	free(pfd);
	return NULL;
}

static void attach_more(PGconn *ann, const char *path, size_t want)
{
	struct pollfd *pfd;
	size_t i, ready;
	double deadline;

	atts = bench_grow(atts, (want ? want : 1) * sizeof *atts);
	for (i = natts; i < want; i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		PGresult *r = bench_query(ann, "SELECT balie.relay_ticket()", NULL);
		char hello[256];
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
			bench_die("connect %s: %s", path, strerror(errno));
		snprintf(hello, sizeof hello, "attach\t%s\n", PQgetvalue(r, 0, 0));
		PQclear(r);
		if (write(fd, hello, strlen(hello)) != (ssize_t)strlen(hello))
			bench_die("attach: %s", strerror(errno));
		atts[i].fd = fd;
		atts[i].len = 0;
		atts[i].ok = false;
	}
	natts = want;
	pfd = bench_alloc((natts ? natts : 1) * sizeof *pfd);
	deadline = bench_now_ms() + 60000;
	do {
		drain_once(pfd, 50);
		for (i = 0, ready = 0; i < natts; i++)
			ready += atts[i].ok;
	} while (ready < natts && bench_now_ms() < deadline);
	if (ready < natts)
		bench_die("only %zu of %zu attachments answered ok", ready, natts);
	free(pfd);
}

static void proc_figures(int pid, double *cpu_ms, double *rss_kb)
{
	char path[64], line[512];
	FILE *f;
	unsigned long ut = 0, st = 0;

	*cpu_ms = *rss_kb = 0;
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(line, sizeof line, f)) {
			char *p = strrchr(line, ')');

			if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
					&ut, &st) == 2)
				*cpu_ms = (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
		}
		fclose(f);
	}
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof line, f))
			if (sscanf(line, "VmRSS: %lf", rss_kb) == 1)
				break;
		fclose(f);
	}
}

/* This process's CPU (the load generator: mostly the thread that reads
 * every attachment), in ms. */
static double self_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static double hist_pct(double p)
{
	unsigned long long want = (unsigned long long)((double)timed * p / 100.0), seen = 0;
	size_t b;

	if (timed == 0)
		return 0;
	for (b = 0; b <= HIST_BUCKETS; b++) {
		seen += hist[b];
		if (seen > want || seen == timed)
			return (double)b / 10.0 + 0.05;
	}
	return HIST_MS;
}

struct paced {
	const char *db;
	long long conv;
	double rate, seconds;
	unsigned long sent;
};

/* One open-loop writer: sends at fixed times whatever the answers do. */
static void *paced_writer(void *arg)
{
	struct paced *p = arg;
	PGconn *c = bench_connect("botty", p->db);
	double t0 = bench_now_ms(), gap = 1000.0 / p->rate, next = t0;
	char conv[24], body[64];
	const char *params[2] = { conv, body };

	snprintf(conv, sizeof conv, "%lld", p->conv);
	while (next < t0 + p->seconds * 1000) {
		double now = bench_now_ms();
		PGresult *r;

		if (now < next)
			bench_sleep_ms(next - now);
		snprintf(body, sizeof body, "bench-t=%.3f", bench_now_ms());
		r = PQexecParams(c, "SELECT balie.post_message($1::bigint, 'customer', $2)",
				 2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			bench_die("post_message: %s", PQresultErrorMessage(r));
		PQclear(r);
		p->sent++;
		next += gap;
	}
	PQfinish(c);
	return NULL;
}

int main(int argc, char **argv)
{
	long long convs[NCONVS];
	PGconn *bot, *ann;
	char *copy, *tok, *save = NULL;
	int pid, nwriters, i;
	double seconds, rate, lat_seconds, rss0 = 0, cpu, rss;
	pthread_t th;

	if (argc != 9) {
		fprintf(stderr, "usage: bench_relay DB SOCKET RELAY_PID COUNTS WRITERS SECONDS "
			"RATE LAT_SECONDS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pid = atoi(argv[3]);
	nwriters = atoi(argv[5]);
	seconds = atof(argv[6]);
	rate = atof(argv[7]);
	lat_seconds = atof(argv[8]);
	bot = bench_connect("botty", argv[1]);
	ann = bench_connect("ann", argv[1]);
	for (i = 0; i < NCONVS; i++)
		convs[i] = bench_int(bot, "SELECT balie.open_conversation('billing', 'relay', "
				     "'Relay Load')", NULL);
	copy = strdup(argv[4]);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t n = (size_t)atoi(tok);
		unsigned long long total, f0;
		double cpu0, r, tput;
		struct writers *w;
		char name[64];

		if (n > natts)
			attach_more(ann, argv[2], n);
		proc_figures(pid, &cpu0, &rss);
		if (n == 0)
			rss0 = rss;
		f0 = frames;
		atomic_store(&draining_stop, false);
		pthread_create(&th, NULL, drainer, NULL);
		w = writers_start(argv[1], nwriters, convs, NCONVS);
		bench_sleep_ms(seconds * 1e3);
		tput = writers_stop(w, &total);
		/* What is still queued for the clients arrives now. */
		bench_sleep_ms(n ? 2000 : 100);
		atomic_store(&draining_stop, true);
		pthread_join(th, NULL);
		proc_figures(pid, &cpu, &r);
		bench_log("relay, %zu attached: %.0f commits/s, %llu frames delivered, relay CPU "
			  "%.3f ms per commit, RSS %.0f kB", n, tput, frames - f0,
			  total ? (cpu - cpu0) / (double)total : 0, r);
		snprintf(name, sizeof name, "relay.tput.%zu", n);
		bench_result(name, "%.0f", tput);
		snprintf(name, sizeof name, "relay.cpu_ms_per_change.%zu", n);
		bench_result(name, "%.4f", total ? (cpu - cpu0) / (double)total : 0);
		if (n) {
			snprintf(name, sizeof name, "relay.kb_per_client.%zu", n);
			bench_result(name, "%.1f", (r - rss0) / (double)n);
		}
	}
	if (lat_seconds > 0 && natts) {
		pthread_t *wt = bench_alloc((size_t)nwriters * sizeof *wt);
		struct paced *pw = bench_alloc((size_t)nwriters * sizeof *pw);
		unsigned long sent = 0;
		double cpu0, t0, t1, self0 = self_cpu_ms(), self1;

		proc_figures(pid, &cpu0, &rss);
		atomic_store(&timing, true);
		atomic_store(&draining_stop, false);
		pthread_create(&th, NULL, drainer, NULL);
		t0 = bench_now_ms();
		for (i = 0; i < nwriters; i++) {
			pw[i] = (struct paced){ argv[1], convs[i], rate / nwriters, lat_seconds, 0 };
			pthread_create(&wt[i], NULL, paced_writer, &pw[i]);
		}
		for (i = 0; i < nwriters; i++) {
			pthread_join(wt[i], NULL);
			sent += pw[i].sent;
		}
		t1 = bench_now_ms();
		bench_sleep_ms(3000);
		atomic_store(&draining_stop, true);
		pthread_join(th, NULL);
		proc_figures(pid, &cpu, &rss);
		self1 = self_cpu_ms();
		bench_log("load process CPU %.0f%% of one core", (self1 - self0) * 100 / (t1 - t0 + 3000));
		bench_result("relay.lat.loadgen_cpu_pct", "%.0f", (self1 - self0) * 100 / (t1 - t0 + 3000));
		bench_log("latency, %zu attached, %.0f commits/s asked, %.0f done: %llu of %lu "
			  "deliveries timed; p50 %.1f p99 %.1f max %.1f ms; relay CPU %.1f%%",
			  natts, rate, sent * 1000.0 / (t1 - t0), timed, sent * natts,
			  hist_pct(50), hist_pct(99), lat_max, (cpu - cpu0) * 100 / (t1 - t0 + 3000));
		bench_result("relay.lat.clients", "%zu", natts);
		bench_result("relay.lat.rate", "%.0f", sent * 1000.0 / (t1 - t0));
		bench_result("relay.lat.deliveries", "%llu", timed);
		bench_result("relay.lat.expected", "%lu", sent * natts);
		bench_result("relay.lat.p50", "%.1f", hist_pct(50));
		bench_result("relay.lat.p99", "%.1f", hist_pct(99));
		bench_result("relay.lat.max", "%.1f", lat_max);
		bench_result("relay.lat.gaps", "%llu", gaps);
		bench_result("relay.lat.cpu_ms_per_change", "%.4f", sent ? (cpu - cpu0) / sent : 0);
		bench_result("relay.lat.relay_cpu_pct", "%.0f", (cpu - cpu0) * 100 / (t1 - t0 + 3000));
		free(wt);
		free(pw);
	}
	for (size_t k = 0; k < natts; k++)
		close(atts[k].fd);
	PQfinish(bot);
	PQfinish(ann);
	free(copy);
	free(atts);
	return 0;
}
