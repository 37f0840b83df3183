/* SPDX-License-Identifier: GPL-2.0 */
/* The bench tests' seeded generator: xorshift64*, one state per thread. */
#ifndef BENCH_RND_H
#define BENCH_RND_H
#include <stdint.h>

static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}
#endif
