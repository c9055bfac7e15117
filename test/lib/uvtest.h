/* Helpers for tests that drive a libuv loop: run it until a condition holds
 * or a deadline of loop time passes, never a fixed sleep. */
#ifndef BALIE_TEST_UVTEST_H
#define BALIE_TEST_UVTEST_H

#include <stdbool.h>
#include <uv.h>

/* Starts TIMER (initialised on the loop) to set *EXPIRED after MS ms. */
void uvt_deadline_start(uv_timer_t *timer, bool *expired, unsigned ms);

/* Runs LOOP one turn at a time until COND holds or the deadline passes. */
#define UVT_RUN_UNTIL(loop, timer, expired, cond, ms) do { \
		uvt_deadline_start((timer), (expired), (ms)); \
		while (!(cond) && !*(expired)) \
			uv_run((loop), UV_RUN_ONCE); \
		uv_timer_stop(timer); \
	} while (0)

#endif
