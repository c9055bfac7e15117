/* console_frame: the frame log (BALIE_FRAME_LOG), one line for every render,
 * every batch of keys and every busy turn of the loop, so that how long the
 * console keeps its agent waiting can be measured instead of guessed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "console_priv.h"

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static void put_line(struct console_frames *fr, const char *kind, uint64_t wall_ns,
		     uint64_t cpu_ns, uint64_t now_ns)
{
	fprintf(fr->f, "%s %llu %llu %llu\n", kind, (unsigned long long)(wall_ns / 1000),
		(unsigned long long)(cpu_ns / 1000),
		(unsigned long long)((now_ns - fr->start_ns) / 1000000));
}

/* Runs just before the loop blocks: everything since the previous one, less
 * the time spent blocked, is what this turn of the loop cost. */
static void on_prepare(uv_prepare_t *h)
{
	struct console_frames *fr = h->data;
	uint64_t wall = uv_hrtime(), cpu = thread_cpu_ns();
	uint64_t idle = uv_metrics_idle_time(h->loop);

	if (fr->turns) {
		uint64_t spent = wall - fr->turn_wall_ns, blocked = idle - fr->turn_idle_ns;
		uint64_t busy = spent > blocked ? spent - blocked : 0;

		put_line(fr, "turn", busy, cpu - fr->turn_cpu_ns, wall);
	}
	fr->turns++;
	fr->turn_wall_ns = wall;
	fr->turn_cpu_ns = cpu;
	fr->turn_idle_ns = idle;
}

void console_frames_start(struct console *con)
{
	struct console_frames *fr = &con->frames;
	const char *path = getenv("BALIE_FRAME_LOG");
	int fd;

	if (!path || !*path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	fr->f = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (!fr->f) {
		/* A measurement aid must not stop an agent from working. */
		if (fd >= 0)
			close(fd);
		return;
	}
	setvbuf(fr->f, NULL, _IOLBF, 0);	/* readable line by line while running */
	fr->start_ns = uv_hrtime();
	fprintf(fr->f, "# balie frame log, pid %ld: kind wall_us cpu_us at_ms\n", (long)getpid());
	uv_loop_configure(con->loop, UV_METRICS_IDLE_TIME);
	uv_prepare_init(con->loop, &fr->prepare);
	fr->prepare.data = fr;
	fr->active = true;	/* initialised: console_frames_stop closes it */
	/* Without its prepare the log only loses the turn lines: say so in it. */
	if (uv_prepare_start(&fr->prepare, on_prepare) < 0)
		fprintf(fr->f, "# cannot watch the loop's turns\n");
	uv_unref((uv_handle_t *)&fr->prepare);
}

void console_frames_stop(struct console *con)
{
	if (con->frames.active) {
		uv_close((uv_handle_t *)&con->frames.prepare, NULL);
		con->frames.active = false;
	}
}

void console_frames_close(struct console *con)
{
	if (con->frames.f)
		fclose(con->frames.f);
	con->frames.f = NULL;
}

void console_frame_begin(const struct console *con, struct frame_mark *mark)
{
	if (!con->frames.f)
		return;
	mark->wall_ns = uv_hrtime();
	mark->cpu_ns = thread_cpu_ns();
}

void console_frame_end(struct console *con, const char *kind, const struct frame_mark *mark)
{
	uint64_t wall;

	if (!con->frames.f)
		return;
	wall = uv_hrtime();
	put_line(&con->frames, kind, wall - mark->wall_ns, thread_cpu_ns() - mark->cpu_ns, wall);
}
