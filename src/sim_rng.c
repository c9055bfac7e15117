/* sim_rng: splitmix64, small, fast and the same on every platform (rand()
 * is not), so that the same seed plays the same conversations. */
#include <stdint.h>

#include "balie/sim.h"

void sim_rng_seed(struct sim_rng *r, uint64_t seed, uint64_t stream)
{
	r->state = seed ^ (stream * 0xd1342543de82ef95ULL);
	/* Two rounds so that neighbouring streams start far apart. */
	(void)sim_rng_next(r);
	(void)sim_rng_next(r);
}

uint64_t sim_rng_next(struct sim_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

unsigned sim_rng_below(struct sim_rng *r, unsigned n)
{
	/* The modulo bias over 64 bits is far below anything a demo can show. */
	return n ? (unsigned)(sim_rng_next(r) % n) : 0;
}

unsigned sim_rng_range(struct sim_rng *r, unsigned lo, unsigned hi)
{
	return hi <= lo ? lo : lo + sim_rng_below(r, hi - lo + 1);
}
