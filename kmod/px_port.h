/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel portability header for kmod/core: the engine runs under a
 * spinlock in softirq or process context, so it allocates with
 * GFP_ATOMIC and never sleeps.
 */
#ifndef _PX_PORT_H
#define _PX_PORT_H

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/byteorder.h>
#include <linux/paxos.h>

static inline void *px_alloc(size_t n)
{
	return kmalloc(n, GFP_ATOMIC | __GFP_NOWARN);
}

static inline void *px_zalloc(size_t n)
{
	return kzalloc(n, GFP_ATOMIC | __GFP_NOWARN);
}

static inline void px_free(const void *p)
{
	kfree(p);
}

/* Node creation and destruction only, which run in process context. */
static inline void *px_zalloc_init(size_t n)
{
	return kvzalloc(n, GFP_KERNEL);
}

static inline void px_free_init(const void *p)
{
	kvfree(p);
}

#define px_log(fmt, ...) pr_debug(fmt, ##__VA_ARGS__)

#endif /* _PX_PORT_H */
