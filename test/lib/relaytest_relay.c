/* relaytest: `balie relay` as a child process of the test. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "balie/relay_proto.h"
#include "pgtest.h"
#include "relaytest.h"

int rt_connect_sock(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

char *rt_relay_status(const struct rt_relay *r, const char *key)
{
	char buf[2048], *f[64], *val = NULL;
	size_t got = 0;
	ssize_t n;
	int fd = rt_connect_sock(r->sock), nf, i;
	struct pollfd p;
	double deadline = pgt_now_s() + 5;

	if (fd < 0)
		return NULL;
	if (write(fd, "status\n", 7) != 7) {
		close(fd);
		return NULL;
	}
	p.fd = fd;
	p.events = POLLIN;
	while (got < sizeof buf - 1 && pgt_now_s() < deadline) {
		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(fd, buf + got, sizeof buf - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	nf = relay_split(buf, f, 64);
	for (i = 1; i + 1 < nf; i += 2)
		if (f[i] && strcmp(f[i], key) == 0 && f[i + 1])
			val = strdup(f[i + 1]);
	return val;
}

void rt_relay_wait_streaming(const struct rt_relay *r, double seconds)
{
	double deadline = pgt_now_s() + seconds;

	for (;;) {
		char *s = rt_relay_status(r, "streaming"), *t = rt_relay_status(r, "tickets");
		bool ok = s && strcmp(s, "t") == 0 && t && strcmp(t, "t") == 0;

		free(s);
		free(t);
		if (ok)
			return;
		if (pgt_now_s() > deadline) {
			fprintf(stderr, "relay on %s not streaming after %.0f s (see %s)\n",
				r->sock, seconds, r->err);
			fail();
		}
		pgt_pause_ms(20);
	}
}

void rt_relay_start(struct rt_relay *r, const char *db, const char *sock)
{
	PGconn *root = pgt_connect(db, "postgres");
	char *ci = pgt_conninfo(db, "relayd");

	PQclear(pgt_ok(root, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles"
		       " WHERE rolname = 'relayd') THEN CREATE ROLE relayd LOGIN REPLICATION"
		       " IN ROLE balie_relay; END IF; END $$"));
	PQfinish(root);
	snprintf(r->db, sizeof r->db, "%s", db);
	snprintf(r->sock, sizeof r->sock, "%s", sock);
	snprintf(r->err, sizeof r->err, "%s.err", sock);
	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid == 0) {
		int e = open(r->err, O_WRONLY | O_CREAT | O_APPEND, 0644);
		int nul = open("/dev/null", O_RDWR);

		/* A failed test must not leave its relay running. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(e, 2);
		execl(pgt_balie_bin(), "balie", "relay", "-d", ci, "--socket", sock, (char *)NULL);
		_exit(127);
	}
	free(ci);
	rt_relay_wait_streaming(r, 30);
}

int rt_relay_stop(struct rt_relay *r, bool kill9)
{
	int status = 0;

	if (r->pid <= 0)
		return -1;
	kill(r->pid, kill9 ? SIGKILL : SIGTERM);
	waitpid(r->pid, &status, 0);
	r->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

