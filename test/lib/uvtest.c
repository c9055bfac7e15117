/* Helpers for tests that drive a libuv loop; see uvtest.h. */
#include "uvtest.h"

static void on_deadline(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

void uvt_deadline_start(uv_timer_t *timer, bool *expired, unsigned ms)
{
	*expired = false;
	timer->data = expired;
	uv_timer_start(timer, on_deadline, ms, 0);
}
