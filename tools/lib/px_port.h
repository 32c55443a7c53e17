/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space portability header for kmod/core: the engine's view of
 * types, byte order, memory and logging, mapped onto libc.
 */
#ifndef _PX_PORT_H
#define _PX_PORT_H

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/paxos.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define cpu_to_be16(x) htobe16(x)
#define cpu_to_be32(x) htobe32(x)
#define cpu_to_be64(x) htobe64(x)
#define be16_to_cpu(x) be16toh(x)
#define be32_to_cpu(x) be32toh(x)
#define be64_to_cpu(x) be64toh(x)

#ifndef U64_MAX
#define U64_MAX UINT64_MAX
#endif
#ifndef U32_MAX
#define U32_MAX UINT32_MAX
#endif

#ifndef __force
#define __force		/* sparse's cast of __be types; nothing here */
#endif

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
/* The position of the highest bit set, from 1; 0 for none. */
static inline int fls64(uint64_t x) { return x ? 64 - __builtin_clzll(x) : 0; }

static inline void *px_alloc(size_t n) { return malloc(n); }
static inline void *px_zalloc(size_t n) { return calloc(1, n); }
static inline void px_free(const void *p) { free((void *)p); }
/* Node creation and destruction, from process context. */
static inline void *px_zalloc_init(size_t n) { return calloc(1, n); }
static inline void px_free_init(const void *p) { free((void *)p); }

#ifdef PX_QUIET
#define px_log(...) do { } while (0)
#else
#define px_log(...) fprintf(stderr, __VA_ARGS__)
#endif

#endif /* _PX_PORT_H */
