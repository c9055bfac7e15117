/* bench_race: many agents racing to take over the same waiting conversations.
 *
 *   bench_race DB AGENTS CONVS WINDOW
 *
 * Registers AGENTS login roles as agents of "billing", escalates CONVS
 * conversations there, then gives every agent its own connection and lets
 * them all call balie.takeover at once: each picks at random among the WINDOW
 * longest-waiting conversations it does not yet know to be taken (what the
 * top of its screen shows), so neighbours collide the way people do. At the
 * end it checks that every conversation was won exactly once, by the caller
 * the database names as owner, with one "has joined" message each.
 *
 * Prints "R name value" lines for run.sh. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"

struct agent {
	PGconn *conn;
	char login[32];
	long target;		/* index being tried, -1 when idle */
	double sent;
};

struct race {
	long long *ids;		/* in queue order (escalation order) */
	bool *taken;		/* known to be owned */
	int *winner;		/* agent index that won it, -1 if none yet */
	int *wins;		/* how often a takeover returned true for it */
	size_t n, head, left;
	int window;
};

/* The next conversation for an agent: random among the first WINDOW not known taken. */
static long pick(struct race *r)
{
	long cand[256];
	int nc = 0;
	size_t i;

	while (r->head < r->n && r->taken[r->head])
		r->head++;
	for (i = r->head; i < r->n && nc < r->window; i++)
		if (!r->taken[i])
			cand[nc++] = (long)i;
	return nc ? cand[rand() % nc] : -1;
}

/* Sends the agent's next takeover, or leaves it idle when nothing is left. */
static void send_takeover(struct agent *a, struct race *r)
{
	char id[32];
	const char *params[1] = { id };

	a->target = pick(r);
	if (a->target < 0)
		return;
	snprintf(id, sizeof id, "%lld", r->ids[a->target]);
	a->sent = bench_now_ms();
	bench_send(a->conn, "SELECT balie.takeover($1::bigint)", 1, params);
}

/* The racing agents (roles registered for "billing") and the waiting
 * conversations. */
static void setup(const char *db, int nagents, int nconvs)
{
	PGconn *admin = bench_connect("postgres", db);
	PGconn *bot = bench_connect("botty", db);
	char n[32];
	double t0;

	snprintf(n, sizeof n, "%d", nagents);
	/* A DO block takes no parameters: it reads the count from a setting. */
	PQclear(bench_query(admin, "SELECT set_config('bench.agents', $1, false)", n, NULL));
	PQclear(bench_query(admin,
		"DO $$ BEGIN FOR i IN 1..current_setting('bench.agents')::int LOOP"
		" IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_r' || lpad(i::text, 3, '0')) THEN"
		"  EXECUTE format('CREATE ROLE %I LOGIN', 'bench_r' || lpad(i::text, 3, '0'));"
		" END IF;"
		" PERFORM balie.add_agent('bench_r' || lpad(i::text, 3, '0'),"
		"  'Racer ' || i, ARRAY['billing']);"
		" END LOOP; END $$", NULL));
	PQfinish(admin);
	snprintf(n, sizeof n, "%d", nconvs);
	t0 = bench_now_ms();
	PQclear(bench_query(bot,
		"SELECT balie.escalate(balie.open_conversation('billing', 'race-' || g,"
		" 'Race Customer ' || g), 'customer_request') FROM generate_series(1, $1::int) g",
		n, NULL));
	bench_log("escalated %d conversations in %.1f s", nconvs, (bench_now_ms() - t0) / 1e3);
	PQfinish(bot);
}

/* Checks the store's word against what the racers were told; 0 if all agree. */
static long verify(const char *db, struct race *r, struct agent *agents)
{
	PGconn *admin = bench_connect("postgres", db);
	PGresult *res;
	long bad = 0;
	size_t i;
	int j;

	for (i = 0; i < r->n; i++)
		if (r->wins[i] != 1)
			bad++;
	res = bench_query(admin, "SELECT id, state, agent FROM balie.conversations"
			  " WHERE customer_ref LIKE 'race-%' ORDER BY id", NULL);
	if ((size_t)PQntuples(res) != r->n)
		bad += (long)r->n;
	for (j = 0; j < PQntuples(res) && (size_t)j < r->n; j++) {
		int w = r->winner[j];

		if (strtoll(PQgetvalue(res, j, 0), NULL, 10) != r->ids[j] ||
		    strcmp(PQgetvalue(res, j, 1), "human") != 0 || w < 0 ||
		    strcmp(PQgetvalue(res, j, 2), agents[w].login) != 0)
			bad++;
	}
	PQclear(res);
	/* One takeover recorded and one "has joined" message per conversation. */
	bad += bench_int(admin,
		"SELECT count(*) FROM balie.conversations c WHERE c.customer_ref LIKE 'race-%'"
		" AND ((SELECT count(*) FROM balie.state_changes s"
		"       WHERE s.conversation = c.id AND s.to_state = 'human') <> 1"
		"  OR (SELECT count(*) FROM balie.messages m WHERE m.conversation = c.id"
		"       AND m.author_kind = 'system' AND m.body LIKE '%has joined%') <> 1)", NULL);
	PQfinish(admin);
	return bad;
}

int main(int argc, char **argv)
{
	struct race r = { 0 };
	struct agent *agents;
	struct pollfd *pfd;
	struct samples call = { 0 };
	unsigned long attempts = 0, won = 0, lost = 0;
	const char *db;
	int nagents, nconvs, i, busy;
	double t0, secs;
	PGconn *c;
	PGresult *res;
	long bad;

	if (argc != 5) {
		fprintf(stderr, "usage: bench_race DB AGENTS CONVS WINDOW\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	srand(7);
	db = argv[1];
	nagents = atoi(argv[2]);
	nconvs = atoi(argv[3]);
	r.window = atoi(argv[4]);
	if (r.window < 1 || r.window > 256)
		bench_die("WINDOW must be 1..256");
	setup(db, nagents, nconvs);

	c = bench_connect("postgres", db);
	res = bench_query(c, "SELECT id FROM balie.conversations WHERE customer_ref LIKE 'race-%'"
			  " ORDER BY escalated_at, id", NULL);
	r.n = (size_t)PQntuples(res);
	r.ids = bench_alloc(r.n * sizeof *r.ids);
	r.taken = bench_alloc(r.n * sizeof *r.taken);
	r.winner = bench_alloc(r.n * sizeof *r.winner);
	r.wins = bench_alloc(r.n * sizeof *r.wins);
	for (i = 0; i < (int)r.n; i++) {
		r.ids[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		r.winner[i] = -1;
	}
	r.left = r.n;
	PQclear(res);
	PQfinish(c);

	agents = bench_alloc((size_t)nagents * sizeof *agents);
	pfd = bench_alloc((size_t)nagents * sizeof *pfd);
	for (i = 0; i < nagents; i++) {
		snprintf(agents[i].login, sizeof agents[i].login, "bench_r%03d", i + 1);
		agents[i].conn = bench_connect(agents[i].login, db);
		PQsetnonblocking(agents[i].conn, 1);
	}
	t0 = bench_now_ms();
	for (i = 0; i < nagents; i++)
		send_takeover(&agents[i], &r);
	for (;;) {
		busy = 0;
		for (i = 0; i < nagents; i++) {
			pfd[i] = (struct pollfd){ agents[i].target >= 0 ? PQsocket(agents[i].conn) : -1,
						  POLLIN, 0 };
			busy += agents[i].target >= 0;
		}
		if (!busy)
			break;
		if (poll(pfd, (nfds_t)nagents, 10000) <= 0)
			bench_die("no takeover answered within 10 s");
		for (i = 0; i < nagents; i++) {
			struct agent *a = &agents[i];
			PGresult *rr;

			if (!pfd[i].revents)
				continue;
			if (!PQconsumeInput(a->conn))
				bench_die("%s lost its connection", a->login);
			while (!PQisBusy(a->conn) && (rr = PQgetResult(a->conn)) != NULL) {
				if (PQresultStatus(rr) != PGRES_TUPLES_OK)
					bench_die("takeover: %s", PQresultErrorMessage(rr));
				attempts++;
				samples_add(&call, bench_now_ms() - a->sent);
				if (strcmp(PQgetvalue(rr, 0, 0), "t") == 0) {
					won++;
					r.wins[a->target]++;
					r.winner[a->target] = i;
				} else {
					lost++;
				}
				/* Won or lost, it is owned now, and this agent knows it. */
				r.taken[a->target] = true;
				PQclear(rr);
			}
			if (!PQisBusy(a->conn))
				send_takeover(a, &r);
		}
	}
	secs = (bench_now_ms() - t0) / 1e3;
	for (i = 0; i < nagents; i++)
		PQfinish(agents[i].conn);
	bad = verify(db, &r, agents);
	bench_log("race: %d agents, %zu conversations: %lu won, %lu lost in %.2f s, %ld wrong",
		  nagents, r.n, won, lost, secs, bad);
	bench_result("race.agents", "%d", nagents);
	bench_result("race.convs", "%zu", r.n);
	bench_result("race.window", "%d", r.window);
	bench_result("race.secs", "%.2f", secs);
	bench_result("race.claims_per_s", "%.0f", (double)won / secs);
	bench_result("race.attempts_per_s", "%.0f", (double)attempts / secs);
	bench_result("race.lost", "%lu", lost);
	bench_result("race.call.p50", "%.2f", samples_pct(&call, 50));
	bench_result("race.call.p99", "%.2f", samples_pct(&call, 99));
	bench_result("race.wrong", "%ld", bad);
	bench_result("race.exactly_once", "%s", bad == 0 && won == r.n ? "yes" : "NO");
	return bad == 0 && won == r.n ? 0 : 1;
}
