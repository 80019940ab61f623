// SPDX-License-Identifier: GPL-2.0
/*
 * Device page table of a mirror.  See odp_pt.h for the layout.
 *
 * Concurrency: lookups walk with READ_ONCE() and no lock.  Tables are
 * published with cmpxchg (release) under alloc_lock and never freed before
 * odp_pt_fini(), so a walker never sees a freed table.  A level 1 slot may be
 * claimed either by a table (odp_pt_prepare(), under alloc_lock) or by a huge
 * leaf (the fault path, under the mirror's pt_lock); both claim it with
 * cmpxchg from 0, so neither overwrites the other.
 */
#include <linux/gfp.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "odp_pt.h"

static unsigned int odp_pt_shift(unsigned int level)
{
	return PAGE_SHIFT + level * ODP_PT_BITS;
}

static unsigned int odp_pt_index(struct odp_pt *pt, u64 iova,
				 unsigned int level)
{
	return ((iova - pt->base) >> odp_pt_shift(level)) & (ODP_PT_SLOTS - 1);
}

static unsigned int odp_pt_table_order(struct odp_pt *pt)
{
	return pt->dma ? 1 : 0;
}

static u64 *odp_pt_alloc_table(struct odp_pt *pt)
{
	u64 *table;

	table = (u64 *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
					odp_pt_table_order(pt));
	if (table)
		atomic_long_inc(&pt->tables);
	return table;
}

static void odp_pt_free_table(struct odp_pt *pt, u64 *table)
{
	free_pages((unsigned long)table, odp_pt_table_order(pt));
	atomic_long_dec(&pt->tables);
}

static u64 *odp_pt_entry_table(u64 e)
{
	return (u64 *)(unsigned long)e;
}

/* The dma_addr_t array of a table lives in the page after its slots. */
static dma_addr_t *odp_pt_dma_slot(struct odp_pt *pt, u64 *table,
				   unsigned int idx)
{
	if (!pt->dma)
		return NULL;
	return (dma_addr_t *)(table + ODP_PT_SLOTS) + idx;
}

/**
 * odp_pt_init() - set up an empty table covering iovas [@first, @last]
 * @pt: the table to set up
 * @first: first iova covered
 * @last: last iova covered
 * @dma: allocate every table with a page of dma_addr_t, one per slot
 *
 * Context: Process context.  Sleeps (GFP_KERNEL allocation).
 *
 * Return: 0, or -ENOMEM when the root table cannot be allocated.
 */
int odp_pt_init(struct odp_pt *pt, u64 first, u64 last, bool dma)
{
	u64 span;

	pt->base = ALIGN_DOWN(first, PMD_SIZE);
	pt->last = last;
	pt->dma = dma;
	mutex_init(&pt->alloc_lock);
	atomic_long_set(&pt->tables, 0);

	span = ((last - pt->base) >> PAGE_SHIFT) + 1;
	pt->levels = 2;
	while (pt->levels < ODP_PT_MAX_LEVELS &&
	       span > 1ULL << (pt->levels * ODP_PT_BITS))
		pt->levels++;

	pt->root = odp_pt_alloc_table(pt);
	return pt->root ? 0 : -ENOMEM;
}

static void odp_pt_free_level(struct odp_pt *pt, u64 *table,
			      unsigned int level)
{
	unsigned int i;

	for (i = 0; level > 0 && i < ODP_PT_SLOTS; i++) {
		u64 e = table[i];

		if (e && !(e & ODP_E_HUGE))
			odp_pt_free_level(pt, odp_pt_entry_table(e), level - 1);
	}
	odp_pt_free_table(pt, table);
}

/*
 * odp_pt_fini - free every table.  The caller guarantees no walker is left
 * and every leaf has been released (no DMA mapping outstanding).
 */
void odp_pt_fini(struct odp_pt *pt)
{
	if (pt->root)
		odp_pt_free_level(pt, pt->root, pt->levels - 1);
	pt->root = NULL;
	mutex_destroy(&pt->alloc_lock);
}

u64 odp_pt_bytes(struct odp_pt *pt)
{
	return (u64)atomic_long_read(&pt->tables) <<
	       (PAGE_SHIFT + odp_pt_table_order(pt));
}

/**
 * odp_pt_read() - lockless lookup of the leaf covering @iova
 * @pt: the table
 * @iova: iova to look up, inside the table
 * @slotp: set to the slot of the leaf (may be NULL)
 * @dmap: set to the dma slot of the leaf (NULL unless a DMA table; the
 *	argument itself may be NULL)
 * @npages: set to the pages the leaf maps (1 or ODP_PT_SLOTS)
 *
 * @slotp, @dmap and @npages are only set when a leaf slot is reached.
 *
 * Context: Any context; takes no lock.  Tables are never freed before
 * odp_pt_fini(), but the page of a valid leaf stays mapped only inside an
 * access section of the mirror or under its pt_lock.
 *
 * Return: the leaf entry, or 0 when nothing maps @iova.
 */
u64 odp_pt_read(struct odp_pt *pt, u64 iova, u64 **slotp, dma_addr_t **dmap,
		unsigned int *npages)
{
	u64 *table = pt->root;
	unsigned int level = pt->levels - 1;

	for (;;) {
		unsigned int idx = odp_pt_index(pt, iova, level);
		u64 e = READ_ONCE(table[idx]);

		if (level == 0 || (e & ODP_E_HUGE)) {
			if (slotp)
				*slotp = &table[idx];
			if (dmap)
				*dmap = odp_pt_dma_slot(pt, table, idx);
			*npages = level ? ODP_PT_SLOTS : 1;
			return e;
		}
		if (!e)
			return 0;
		table = odp_pt_entry_table(e);
		level--;
	}
}

/*
 * odp_pt_prepare - make sure the table that holds the leaf for @iova exists:
 * the level 0 table, or with @huge the level 1 table.  Called without
 * pt_lock, before a fault installs leaves, because allocating under pt_lock
 * could recurse into reclaim and then into our own notifier.  Returns 0 also
 * when a huge leaf owns the level 1 slot: the install step sees that.
 */
int odp_pt_prepare(struct odp_pt *pt, u64 iova, bool huge)
{
	unsigned int stop = huge ? 1 : 0;
	unsigned int level;
	u64 *table;
	int ret = 0;

	mutex_lock(&pt->alloc_lock);
	table = pt->root;
	for (level = pt->levels - 1; level > stop; level--) {
		u64 *slot = &table[odp_pt_index(pt, iova, level)];
		u64 e = READ_ONCE(*slot);

		if (!e) {
			u64 *new = odp_pt_alloc_table(pt);

			if (!new) {
				ret = -ENOMEM;
				break;
			}
			e = cmpxchg_release(slot, 0, (u64)(unsigned long)new);
			if (e)
				odp_pt_free_table(pt, new);
			else
				e = (u64)(unsigned long)new;
		}
		if (e & ODP_E_HUGE)
			break;
		table = odp_pt_entry_table(e);
	}
	mutex_unlock(&pt->alloc_lock);
	return ret;
}

/**
 * odp_pt_slot() - the slot for @iova at level 0, or at level 1 when @huge
 * @pt: the table
 * @iova: iova of the slot, inside the table
 * @huge: return the level 1 slot, where a huge leaf lives
 * @dmap: set to the dma slot (NULL unless a DMA table); may be NULL
 *
 * Context: Any context; takes no lock.  The caller must hold the mirror's
 * pt_lock to change the slot.
 *
 * Return: the slot, or NULL when a table on the way is missing or, for level
 * 0, when a huge leaf (or nothing) holds the level 1 slot.
 */
u64 *odp_pt_slot(struct odp_pt *pt, u64 iova, bool huge, dma_addr_t **dmap)
{
	unsigned int stop = huge ? 1 : 0;
	unsigned int level = pt->levels - 1;
	u64 *table = pt->root;

	for (;;) {
		unsigned int idx = odp_pt_index(pt, iova, level);
		u64 e;

		if (level == stop) {
			if (dmap)
				*dmap = odp_pt_dma_slot(pt, table, idx);
			return &table[idx];
		}
		e = READ_ONCE(table[idx]);
		if (!e || (e & ODP_E_HUGE))
			return NULL;
		table = odp_pt_entry_table(e);
		level--;
	}
}

static void odp_pt_walk(struct odp_pt *pt, u64 *table, unsigned int level,
			u64 tbase, u64 first, u64 last, odp_pt_leaf_fn fn,
			void *arg)
{
	unsigned int shift = odp_pt_shift(level);
	unsigned long i, i0, i1;

	if (last < tbase)
		return;
	i0 = first > tbase ? (first - tbase) >> shift : 0;
	i1 = min_t(u64, (last - tbase) >> shift, ODP_PT_SLOTS - 1);

	for (i = i0; i <= i1; i++) {
		u64 e = READ_ONCE(table[i]);
		struct odp_pt_leaf leaf;

		if (!e)
			continue;
		if (level && !(e & ODP_E_HUGE)) {
			odp_pt_walk(pt, odp_pt_entry_table(e), level - 1,
				    tbase + (i << shift), first, last, fn, arg);
			continue;
		}
		leaf.iova = tbase + (i << shift);
		leaf.slot = &table[i];
		leaf.dma = odp_pt_dma_slot(pt, table, i);
		leaf.entry = e;
		leaf.npages = level ? ODP_PT_SLOTS : 1;
		fn(&leaf, arg);
	}
}

/*
 * odp_pt_for_each_leaf - call @fn for every non-empty leaf that overlaps
 * [@first, @last].  A huge leaf that only partly overlaps is reported whole.
 */
void odp_pt_for_each_leaf(struct odp_pt *pt, u64 first, u64 last,
			  odp_pt_leaf_fn fn, void *arg)
{
	first = max(first, pt->base);
	last = min(last, pt->last);
	if (first > last)
		return;
	odp_pt_walk(pt, pt->root, pt->levels - 1, pt->base, first, last, fn,
		    arg);
}
