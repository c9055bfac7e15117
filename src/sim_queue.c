/* sim_queue: which corpus sector a queue serves, and queue lists. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "balie/sim.h"
#include "balie/util.h"

/* Whether WORD (lowercase) starts with one of the space-separated KEYWORDS. */
static bool sim_word_matches(const char *word, size_t len, const char *keywords)
{
	const char *k = keywords;

	while (*k) {
		size_t klen = strcspn(k, " ");

		if (klen && klen <= len && strncmp(word, k, klen) == 0)
			return true;
		k += klen;
		while (*k == ' ')
			k++;
	}
	return false;
}

void sim_queues_free(struct sim_queue *q, size_t n)
{
	size_t i;

	for (i = 0; q && i < n; i++) {
		free(q[i].id);
		free(q[i].name);
	}
	free(q);
}

int sim_sector_of_queue(const char *id, const char *name)
{
	char *text = xasprintf("%s %s", id ? id : "", name ? name : "");
	size_t i, n;
	int found = -1;
	char *p;

	for (p = text; *p; p++)
		*p = (char)((unsigned char)*p < 0x80 ? tolower((unsigned char)*p) : *p);
	for (i = 0; i < sim_nsectors && found < 0; i++) {
		for (p = text; *p && found < 0; p += n) {
			n = 0;
			while (p[n] && isalnum((unsigned char)p[n]))
				n++;
			if (n && sim_word_matches(p, n, sim_sectors[i].keywords))
				found = (int)i;
			if (!n)
				n = 1;
		}
	}
	free(text);
	return found;
}
