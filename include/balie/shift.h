/* shift: an agent with several conversations at once, as plain C — whose
 * customer waits for an answer, what is unread, how near a queue's SLA a
 * conversation is, who else has it open, and how often the console may
 * ring. No libpq, no curses, no clock of its own: callers pass the time. */
#ifndef BALIE_SHIFT_H
#define BALIE_SHIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balie/model.h"

/* Whether C is the caller's own (with a person: the caller). */
bool shift_mine(const struct model *m, const struct model_conv *c);
/* Messages after the caller's read mark (0 when none or not known). */
int shift_unread(const struct model_conv *c);
/* Seconds the customer of C has waited for an answer at NOW, 0 if not. */
int64_t shift_customer_wait(const struct model_conv *c, int64_t now);

/* How near C is to its queue's SLA (only waiting ones have one running). */
enum shift_sla { SHIFT_SLA_OK, SHIFT_SLA_NEAR, SHIFT_SLA_BREACHED };
/* NEAR from SHARE_PCT percent of the SLA on (0: never near), BREACHED past it. */
enum shift_sla shift_sla(const struct model *m, const struct model_conv *c, int64_t now,
			 unsigned share_pct);

/* The alert rate limit: rings are asked for at any time, and rung at most
 * one per GAP_MS; one asked for inside the gap rings when it ends (once,
 * however many were asked). */
struct shift_ring {
	unsigned gap_ms;
	int64_t last_ms;	/* when the last ring went off; 0 = never */
	bool rung_once;
	bool pending;
};
#define SHIFT_RING_GAP_MS 5000
void shift_ring_init(struct shift_ring *r, unsigned gap_ms);
/* Asks for a ring at NOW_MS; returns whether to ring now. */
bool shift_ring_ask(struct shift_ring *r, int64_t now_ms);
/* Whether a ring held back is due at NOW_MS (then it counts as rung). */
bool shift_ring_due(struct shift_ring *r, int64_t now_ms);

/* Who else has a conversation open, from its viewers JSON. */
struct shift_viewer {
	char login[64];
	char name[128];
	char activity[32];	/* "viewing", "typing", "typing a note" */
};
/* Parses JSON (an array of flat objects with string fields login, name,
 * activity) into at most MAX viewers; returns how many, or -1 when it is
 * not such an array. Unknown fields are skipped; long strings are cut. */
int shift_viewers_parse(const char *json, struct shift_viewer *out, size_t max);
/* "Bram Jansen is viewing, Sara Bakker is typing a note" for everyone but
 * ME into BUF (unsanitised: names come from the database); returns the
 * number of people named. */
int shift_viewers_line(const char *json, const char *me, char *buf, size_t size);

#endif
