/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What jepsen (the clients) and jcheck (the offline checker) agree on:
 * the readers' application state and the bytes of its snapshots.
 *
 * The state as of index i is (i, count, hash): count is the number of
 * DATA records in 1..i, hash a 64-bit FNV-1a chained over every record
 * 1..i (its index, type, length and value).  A snapshot is a struct
 * jsnap header followed by a pattern derived from the hash up to its size,
 * so that a damaged byte anywhere shows.
 */
#ifndef JEPSEN_H
#define JEPSEN_H

#include <stdint.h>
#include <string.h>

#define JSNAP_MAGIC	"JEPSNAP1"
#define JHASH_INIT	0xcbf29ce484222325ULL

struct jsnap {
	char magic[8];
	uint64_t index;
	uint64_t count;
	uint64_t hash;
	uint64_t size;
};

static inline uint64_t jfnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len--) {
		h ^= *c++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The state's hash once the record (@index, @type, @val) is applied. */
static inline uint64_t jhash_rec(uint64_t h, uint64_t index, uint16_t type,
				 const void *val, uint32_t len)
{
	h = jfnv(h, &index, sizeof(index));
	h = jfnv(h, &type, sizeof(type));
	h = jfnv(h, &len, sizeof(len));
	return jfnv(h, val, len);
}

/* Byte @k (past the header) of a snapshot whose state hash is @hash. */
static inline unsigned char jsnap_byte(uint64_t hash, uint64_t k)
{
	return (hash >> ((k & 7) * 8)) ^ (k * 151) ^ (k >> 11);
}

#endif
