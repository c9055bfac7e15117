/* notify_floor: what PostgreSQL's LISTEN/NOTIFY costs with nothing of balie
 * around it, the floor that balie's figures are compared with.
 *
 *   notify_floor DB PINGS LISTENERS WRITERS SECONDS
 *
 * 1. Round trip: PINGS times, one connection commits pg_notify() and another
 *    that LISTENs timestamps its arrival (libpq only, no loop library).
 * 2. Write throughput: for each count in LISTENERS (comma-separated), that
 *    many raw connections LISTEN on "balie" and only drain, while WRITERS
 *    threads call balie.post_message for SECONDS: the store's own limit, with
 *    no console re-reading anything.
 *
 * Prints "R name value" lines for run.sh. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"

#define WRITER_CONVS 64

/* Drains every listener that has something; returns notifications read. */
static unsigned long drain(PGconn **conns, size_t n, struct pollfd *pfd, int timeout_ms)
{
	unsigned long got = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		pfd[i].fd = PQsocket(conns[i]);
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	if (poll(pfd, (nfds_t)n, timeout_ms) <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		PGnotify *nt;

		if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (!PQconsumeInput(conns[i]))
			bench_die("a listener lost its connection: %s", PQerrorMessage(conns[i]));
		while ((nt = PQnotifies(conns[i])) != NULL) {
			got++;
			PQfreemem(nt);
		}
	}
	return got;
}

static void round_trip(const char *db, int pings)
{
	PGconn *listener = bench_connect("botty", db);
	PGconn *sender = bench_connect("botty", db);
	struct samples rtt = { 0 }, ack = { 0 };
	int k;

	PQclear(bench_query(listener, "LISTEN bench_floor", NULL));
	PQsetnonblocking(sender, 1);
	for (k = 0; k < pings; k++) {
		char payload[32];
		const char *params[1] = { payload };
		double t0, heard = 0, acked = 0;

		snprintf(payload, sizeof payload, "%d", k);
		t0 = bench_now_ms();
		bench_send(sender, "SELECT pg_notify('bench_floor', $1)", 1, params);
		while (!heard || !acked) {
			struct pollfd pfd[2] = {
				{ PQsocket(listener), POLLIN, 0 },
				{ PQsocket(sender), POLLIN, 0 },
			};
			PGnotify *nt;

			if (poll(pfd, 2, 5000) <= 0)
				bench_die("no notification within 5 s (ping %d)", k);
			if (pfd[0].revents) {
				PQconsumeInput(listener);
				while ((nt = PQnotifies(listener)) != NULL) {
					if (strcmp(nt->extra, payload) == 0)
						heard = bench_now_ms();
					PQfreemem(nt);
				}
			}
			if (pfd[1].revents) {
				PGresult *r;

				PQconsumeInput(sender);
				while (!PQisBusy(sender) && (r = PQgetResult(sender)) != NULL) {
					if (PQresultStatus(r) != PGRES_TUPLES_OK)
						bench_die("pg_notify: %s", PQresultErrorMessage(r));
					PQclear(r);
					acked = bench_now_ms();
				}
			}
		}
		samples_add(&rtt, heard - t0);
		samples_add(&ack, acked - t0);
		bench_sleep_ms(5);
	}
	bench_result("floor.pings", "%d", pings);
	bench_result("floor.rtt.p50", "%.3f", samples_pct(&rtt, 50));
	bench_result("floor.rtt.p99", "%.3f", samples_pct(&rtt, 99));
	bench_result("floor.rtt.max", "%.3f", samples_max(&rtt));
	bench_result("floor.ack.p50", "%.3f", samples_pct(&ack, 50));
	PQfinish(listener);
	PQfinish(sender);
	free(rtt.v);
	free(ack.v);
}

static void raw_throughput(const char *db, const char *list, int nwriters, double seconds)
{
	PGconn *bot = bench_connect("botty", db);
	long long convs[WRITER_CONVS];
	char *copy = strdup(list), *tok, *save = NULL;
	int i;

	for (i = 0; i < WRITER_CONVS; i++)
		convs[i] = bench_int(bot, "SELECT balie.open_conversation('parcels', 'floor', 'Floor Load')",
				     NULL);
	PQfinish(bot);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t n = (size_t)atoi(tok), j;
		PGconn **ls = bench_alloc((n ? n : 1) * sizeof *ls);
		struct pollfd *pfd = bench_alloc((n ? n : 1) * sizeof *pfd);
		unsigned long long total;
		unsigned long heard = 0;
		struct writers *w;
		double rate, end;
		char name[64];

		for (j = 0; j < n; j++) {
			ls[j] = bench_connect("botty", db);
			PQclear(bench_query(ls[j], "LISTEN balie", NULL));
			PQsetnonblocking(ls[j], 1);
		}
		w = writers_start(db, nwriters, convs, WRITER_CONVS);
		end = bench_now_ms() + seconds * 1e3;
		while (bench_now_ms() < end) {
			if (n)
				heard += drain(ls, n, pfd, 50);
			else
				bench_sleep_ms(50);
		}
		rate = writers_stop(w, &total);
		/* What is still queued for the listeners arrives now. */
		end = bench_now_ms() + 2000;
		while (n && bench_now_ms() < end && heard < total * n)
			heard += drain(ls, n, pfd, 50);
		bench_log("raw listeners %zu: %.0f commits/s, %lu of %llu notifications delivered",
			  n, rate, heard, total * n);
		snprintf(name, sizeof name, "raw.tput.%zu", n);
		bench_result(name, "%.0f", rate);
		for (j = 0; j < n; j++)
			PQfinish(ls[j]);
		free(ls);
		free(pfd);
	}
	free(copy);
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: notify_floor DB PINGS LISTENERS WRITERS SECONDS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	round_trip(argv[1], atoi(argv[2]));
	raw_throughput(argv[1], argv[3], atoi(argv[4]), atof(argv[5]));
	return 0;
}
