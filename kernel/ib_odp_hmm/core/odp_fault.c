// SPDX-License-Identifier: GPL-2.0
/*
 * Mirror core: faults and prefetch through hmm_range_fault().
 *
 * A fault demands a range and names a window around it.  The window is
 * walked in PMD-aligned chunks of at most 2 MiB.  For each chunk, under one
 * interval notifier sequence:
 *
 *	seq = mmu_interval_read_begin()
 *	hmm_range_fault(demanded pages of the chunk, HMM_PFN_REQ_FAULT)
 *	hmm_range_fault(whole chunk, no fault flags)   the snapshot walk
 *	allocate tables                (no driver lock: reclaim may invalidate)
 *	lock pt_lock
 *	if mmu_interval_read_retry(seq): unlock, start over
 *	install leaves: demanded pages and every populated neighbour
 *	unlock pt_lock
 *
 * Why two walks and not one with per-pfn HMM_PFN_REQ_FAULT: in 6.1,
 * hmm_vma_handle_pte() faults from the first page that needs a fault to the
 * end of the walked range, and a pmd_none hole is faulted from its start,
 * so a single walk over the window faults absent neighbours too (seen in the
 * window test).  The demand-only walk faults exactly the demanded pages; the
 * no-fault walk then maps what is populated around them without faulting.
 * When the demand covers the whole chunk the second walk is skipped.
 */
#include <linux/hmm.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "odp_internal.h"
#include "odp_trace.h"

#define ODP_CHUNK_PAGES	(PMD_SIZE >> PAGE_SHIFT)

/* One hmm_range_fault() pass over iovas [first, last] (one PMD or less). */
struct odp_chunk {
	struct odp_mirror *m;
	u64 first, last;
	u64 dfirst, dlast;	/* demanded part; dfirst > dlast: none */
	bool write;
	unsigned long *pfns;
	unsigned long npages;
	u64 faulted, snapshot;	/* results of the install */
	u64 peers;		/* ... of which peer leaves (odp_p2p.c) */
	struct odp_peer_leaf *peer;	/* per pfn, allocated on first use */
};

static bool odp_chunk_demands(struct odp_chunk *c, u64 iova)
{
	return iova >= c->dfirst && iova <= c->dlast;
}

/* Does the chunk map as one huge leaf? */
static bool odp_chunk_huge(struct odp_chunk *c)
{
	unsigned long p = c->pfns[0];

	return c->m->huge_ok && c->npages == ODP_CHUNK_PAGES &&
	       (p & HMM_PFN_VALID) && !(p & HMM_PFN_ERROR) &&
	       hmm_pfn_to_map_order(p) >= PMD_SHIFT - PAGE_SHIFT;
}

static bool odp_chunk_any_small(struct odp_chunk *c)
{
	unsigned long i;

	for (i = 0; i < c->npages; i++)
		if ((c->pfns[i] & (HMM_PFN_VALID | HMM_PFN_ERROR)) ==
		    HMM_PFN_VALID)
			return true;
	return false;
}

static u64 odp_leaf_entry(unsigned long hmm_pfn)
{
	struct page *page = hmm_pfn_to_page(hmm_pfn);
	u64 e = ((u64)page_to_pfn(page) << ODP_E_PFN_SHIFT) | ODP_E_VALID;

	if (hmm_pfn & HMM_PFN_WRITE)
		e |= ODP_E_WRITE;
	if (is_device_private_page(page))
		e |= ODP_E_DEVPRIV;
	return e;
}

/* Keep the dirty bit when the same page is mapped again. */
static u64 odp_merge_entry(u64 old, u64 new)
{
	if ((old & ODP_E_VALID) && odp_e_pfn(old) == odp_e_pfn(new))
		new |= old & ODP_E_DIRTY;
	return new;
}

/*
 * odp_map_dma - give a new leaf its DMA address.  A leaf that maps the same
 * page again keeps its mapping.  Device-private pages are never DMA mapped.
 */
static int odp_map_dma(struct odp_mirror *m, dma_addr_t *dma, u64 old, u64 new,
		       unsigned int npages, bool *mapped)
{
	struct page *page = pfn_to_page(odp_e_pfn(new));
	dma_addr_t addr;

	*mapped = false;
	if (!dma || (new & ODP_E_DEVPRIV))
		return 0;
	if ((old & ODP_E_VALID) && odp_e_pfn(old) == odp_e_pfn(new) && *dma)
		return 0;
	addr = dma_map_page(m->attr.dma_dev, page, 0, npages * PAGE_SIZE,
			    DMA_BIDIRECTIONAL);
	if (dma_mapping_error(m->attr.dma_dev, addr))
		return -ENOMEM;
	*dma = addr;
	*mapped = true;
	return 0;
}

static void odp_unmap_dma(struct odp_mirror *m, dma_addr_t *dma,
			  unsigned int npages)
{
	dma_unmap_page(m->attr.dma_dev, *dma, npages * PAGE_SIZE,
		       DMA_BIDIRECTIONAL);
	*dma = 0;
}

/*
 * odp_install_leaf - publish a leaf.  Lookups may set ODP_E_DIRTY under us,
 * so the slot is updated with cmpxchg.  Returns false if the slot is taken
 * by something the leaf must not replace (a table where a huge leaf was
 * wanted), or if DMA mapping failed.
 */
/* Caller must hold m->pt_lock. */
static bool odp_install_leaf(struct odp_mirror *m, u64 *slot, dma_addr_t *dma,
			     u64 new, unsigned int npages)
{
	u64 old = READ_ONCE(*slot);
	bool mapped;

	lockdep_assert_held(&m->pt_lock);
	if (npages > 1 && old && !(old & ODP_E_HUGE))
		return false;
	if (odp_map_dma(m, dma, old, new, npages, &mapped))
		return false;
	while (!try_cmpxchg(slot, &old, odp_merge_entry(old, new))) {
		if (npages > 1 && old && !(old & ODP_E_HUGE)) {
			/* Lost the slot to a table from odp_pt_prepare(). */
			if (mapped)
				odp_unmap_dma(m, dma, npages);
			return false;
		}
	}
	if (!(old & ODP_E_VALID))
		atomic64_add(npages, &m->mapped);
	return true;
}

/*
 * odp_install_peer - publish a resolved peer leaf (odp_p2p.c).  The dma slot
 * gets the provider's bus address before the leaf turns valid.  A slot
 * still holding a RAM leaf is left alone (a later fault retries).
 */
/* Caller must hold m->pt_lock. */
static bool odp_install_peer(struct odp_mirror *m, u64 *slot, dma_addr_t *dma,
			     const struct odp_peer_leaf *p)
{
	u64 old = READ_ONCE(*slot);

	lockdep_assert_held(&m->pt_lock);
	do {
		if ((old & ODP_E_VALID) && !(old & ODP_E_PEER))
			return false;
		if (dma)
			WRITE_ONCE(*dma, p->dma);
	} while (!try_cmpxchg(slot, &old, odp_merge_entry(old, p->entry)));
	if (!(old & ODP_E_VALID))
		atomic64_inc(&m->mapped);
	return true;
}

/* Caller must hold m->pt_lock. */
static bool odp_install_huge(struct odp_chunk *c)
{
	struct odp_mirror *m = c->m;
	u64 new = odp_leaf_entry(c->pfns[0]) | ODP_E_HUGE;
	dma_addr_t *dma = NULL;
	u64 *slot, demanded = 0;
	unsigned long i;

	lockdep_assert_held(&m->pt_lock);
	slot = odp_pt_slot(&m->pt, c->first, true, &dma);
	if (!slot || !odp_install_leaf(m, slot, dma, new, ODP_CHUNK_PAGES))
		return false;
	for (i = 0; i < c->npages; i++)
		demanded += odp_chunk_demands(c, c->first + i * PAGE_SIZE);
	c->faulted += demanded;
	c->snapshot += ODP_CHUNK_PAGES - demanded;
	return true;
}

/* Caller must hold m->pt_lock. */
static void odp_install_small(struct odp_chunk *c)
{
	struct odp_mirror *m = c->m;
	unsigned long i;

	lockdep_assert_held(&m->pt_lock);
	for (i = 0; i < c->npages; i++) {
		unsigned long p = c->pfns[i];
		u64 iova = c->first + i * PAGE_SIZE;
		dma_addr_t *dma = NULL;
		u64 *slot;

		if ((p & (HMM_PFN_VALID | HMM_PFN_ERROR)) != HMM_PFN_VALID)
			continue;
		/* NULL: a huge leaf covers it; a later fault retries. */
		slot = odp_pt_slot(&m->pt, iova, false, &dma);
		if (!slot)
			continue;
		if (c->peer && c->peer[i].entry) {
			if (!odp_install_peer(m, slot, dma, &c->peer[i]))
				continue;
			c->peers++;
		} else if (!odp_install_leaf(m, slot, dma,
					     odp_leaf_entry(p), 1)) {
			continue;
		}
		if (odp_chunk_demands(c, iova))
			c->faulted++;
		else
			c->snapshot++;
	}
}

/*
 * odp_chunk_peers - resolve the chunk's device-private pages that belong to
 * a P2P provider (odp_p2p.c) into c->peer.  A refused page is not mapped;
 * if it is demanded it is faulted back to RAM and the chunk must be retried
 * (-EBUSY).  Pages of no provider (the NIC's own) stay DEVPRIV leaves.
 */
static int odp_chunk_peers(struct odp_chunk *c)
{
	bool fell_back = false;
	unsigned long i;
	int ret;

	if (c->peer)
		memset(c->peer, 0, c->npages * sizeof(*c->peer));
	for (i = 0; i < c->npages; i++) {
		unsigned long p = c->pfns[i];
		u64 iova = c->first + i * PAGE_SIZE;
		struct page *page;

		if ((p & (HMM_PFN_VALID | HMM_PFN_ERROR)) != HMM_PFN_VALID)
			continue;
		page = hmm_pfn_to_page(p);
		if (!is_device_private_page(page))
			continue;
		if (!c->peer) {
			c->peer = kcalloc(ODP_CHUNK_PAGES, sizeof(*c->peer),
					  GFP_KERNEL);
			if (!c->peer)
				return -ENOMEM;
		}
		ret = odp_p2p_resolve(c->m, page, p & HMM_PFN_WRITE,
				      &c->peer[i]);
		if (ret == -ENOENT || !ret)
			continue;
		c->pfns[i] = HMM_PFN_ERROR;	/* refused: never mapped */
		if (!odp_chunk_demands(c, iova))
			continue;
		ret = odp_p2p_fault_back(c->m, iova, c->write);
		if (ret)
			return ret;
		fell_back = true;
	}
	return fell_back ? -EBUSY : 0;
}

static int odp_chunk_prepare(struct odp_chunk *c, bool huge)
{
	if (huge)
		return odp_pt_prepare(&c->m->pt, c->first, true);
	if (odp_chunk_any_small(c))
		return odp_pt_prepare(&c->m->pt, c->first, false);
	return 0;
}

/* One hmm_range_fault() walk of iovas [first, last] of the chunk. */
static int odp_chunk_walk(struct odp_chunk *c, struct hmm_range *range,
			  u64 first, u64 last, unsigned long req)
{
	unsigned long i, n = ((last - first) >> PAGE_SHIFT) + 1;
	struct odp_mirror *m = c->m;
	int ret;

	range->hmm_pfns = c->pfns + ((first - c->first) >> PAGE_SHIFT);
	range->start = odp_iova_to_va(m, first);
	range->end = odp_iova_to_va(m, last) + 1;
	for (i = 0; i < n; i++)
		range->hmm_pfns[i] = req;

	mmap_read_lock(m->mm);
	ret = hmm_range_fault(range);
	mmap_read_unlock(m->mm);
	return ret;
}

/* Did the snapshot walk find every demanded page as the fault left it? */
static bool odp_chunk_demand_mapped(struct odp_chunk *c)
{
	unsigned long need = HMM_PFN_VALID | (c->write ? HMM_PFN_WRITE : 0);
	unsigned long i;

	for (i = 0; i < c->npages; i++)
		if (odp_chunk_demands(c, c->first + i * PAGE_SIZE) &&
		    (c->pfns[i] & (need | HMM_PFN_ERROR)) != need)
			return false;
	return true;
}

/*
 * odp_chunk_try - one attempt of the notifier discipline over the chunk.
 * Returns -EBUSY when an invalidation raced with it and it must be retried.
 */
static int odp_chunk_try(struct odp_chunk *c, struct hmm_range *range)
{
	u64 dfirst = max(c->dfirst, c->first), dlast = min(c->dlast, c->last);
	bool demand = dfirst <= dlast, whole;
	struct odp_mirror *m = c->m;
	bool huge;
	int ret;

	whole = demand && dfirst == c->first && dlast == c->last;
	range->notifier_seq = mmu_interval_read_begin(&m->notifier);
	if (demand) {
		ret = odp_chunk_walk(c, range, dfirst, dlast, HMM_PFN_REQ_FAULT |
				     (c->write ? HMM_PFN_REQ_WRITE : 0));
		if (ret)
			return ret;
	}
	if (!whole) {
		ret = odp_chunk_walk(c, range, c->first, c->last, 0);
		if (ret)
			return ret;
		if (demand && !odp_chunk_demand_mapped(c))
			return -EBUSY;
	}
	ret = odp_chunk_peers(c);
	if (ret)
		return ret;

	huge = odp_chunk_huge(c);
	ret = odp_chunk_prepare(c, huge);
	if (ret)
		return ret;

	mutex_lock(&m->pt_lock);
	if (mmu_interval_read_retry(&m->notifier, range->notifier_seq)) {
		mutex_unlock(&m->pt_lock);
		return -EBUSY;
	}
	if (!huge || !odp_install_huge(c))
		odp_install_small(c);
	mutex_unlock(&m->pt_lock);
	return 0;
}

static int odp_chunk_fault(struct odp_chunk *c)
{
	struct odp_mirror *m = c->m;
	struct hmm_range range = {
		.notifier = &m->notifier,
		.pfn_flags_mask = HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE,
		.dev_private_owner = m->attr.owner,
	};
	unsigned long timeout;
	int ret;

	timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	while ((ret = odp_chunk_try(c, &range)) == -EBUSY) {
		odp_count(m, ODP_CNT_FAULT_RETRIES, 1);
		if (time_after(jiffies, timeout))
			break;
	}
	return ret;
}

/* Pages a fault or prefetch mapped, for the counters and tracepoints. */
struct odp_mapped {
	u64 faulted, snapshot;
};

/*
 * odp_fault_range - map iovas [first, last] chunk by chunk, faulting
 * [dfirst, dlast].  A chunk without demanded pages only snapshots, and its
 * errors are ignored: a window never makes a fault fail.  Pages mapped go
 * to @res (also on error: earlier chunks stay mapped).
 */
static int odp_fault_range(struct odp_mirror *m, u64 first, u64 last,
			   u64 dfirst, u64 dlast, bool write,
			   struct odp_mapped *res)
{
	struct odp_chunk c = {
		.m = m, .dfirst = dfirst, .dlast = dlast, .write = write,
	};
	u64 next;
	int ret = 0;

	if (!mmget_not_zero(m->mm))
		return -EFAULT;
	c.pfns = kmalloc_array(ODP_CHUNK_PAGES, sizeof(*c.pfns), GFP_KERNEL);
	if (!c.pfns) {
		ret = -ENOMEM;
		goto out_mmput;
	}

	for (c.first = first; c.first <= last; c.first = next) {
		next = ALIGN_DOWN(c.first, PMD_SIZE) + PMD_SIZE;
		c.last = min(next - 1, last);
		c.npages = ((c.last - c.first) >> PAGE_SHIFT) + 1;
		ret = odp_chunk_fault(&c);
		if (ret && c.dfirst <= c.last && c.dlast >= c.first)
			break;
		ret = 0;
		if (!next)	/* wrapped past the top of the iova space */
			break;
	}

	odp_count(m, ODP_CNT_PAGES_FAULTED, c.faulted);
	odp_count(m, ODP_CNT_PAGES_SNAPSHOT, c.snapshot);
	odp_p2p_count(m, ODP_P2P_PAGES_RESOLVED, c.peers);
	res->faulted = c.faulted;
	res->snapshot = c.snapshot;
	kfree(c.peer);
	kfree(c.pfns);
out_mmput:
	mmput(m->mm);
	return ret;
}

static bool odp_consume_injection(struct odp_mirror *m, int *err)
{
	if (!atomic_add_unless(&m->inject_count, -1, 0))
		return false;
	*err = -READ_ONCE(m->inject_error);
	return true;
}

/**
 * odp_mirror_fault() - fault pages in and map them for the device
 * @m: the mirror
 * @iova: first device address demanded
 * @length: bytes demanded, at least 1
 * @access: %ODP_ACCESS_WRITE for a write fault, else 0
 * @window: 0 or a power of two: the populated pages of the @window-aligned
 *	range around the demand (clipped to the mirror) are mapped too, without
 *	being faulted.  0 means no window.
 *
 * Faults the pages of [@iova, @iova + @length) in with hmm_range_fault() and
 * installs them in the device page table, one PMD-sized chunk at a time;
 * chunks mapped before an error stay mapped.  A chunk that raced with an
 * invalidation is retried for up to HMM_RANGE_DEFAULT_TIMEOUT milliseconds.
 *
 * Context: Process context.  Sleeps.  Takes the mmap lock of the mirrored mm
 * for read around each hmm_range_fault(), then the table allocation lock and
 * the mirror's pt_lock, and allocates with GFP_KERNEL.  The caller must hold
 * none of these locks nor one that the &odp_mirror_ops.invalidate callback
 * takes, and must not be inside an access section: the fault may trigger an
 * invalidation of @m, which waits for every section in flight.  Safe against
 * concurrent faults, prefetches, lookups and invalidations of @m.
 *
 * Return: 0 on success; -ERANGE when the demand is not inside the mirror;
 * -EINVAL for a bad @window; -EFAULT for an unmapped or inaccessible address,
 * or when the mirrored mm has no users left; -EPERM for a write to a
 * read-only mapping; -EBUSY when invalidations kept racing until the
 * timeout; -ENOMEM; or the error set by odp_mirror_inject_faults().
 */
int odp_mirror_fault(struct odp_mirror *m, u64 iova, u64 length,
		     unsigned int access, u64 window)
{
	struct odp_mapped res = {};
	u64 dfirst, dlast, first, last;
	int ret;

	if (!odp_mirror_contains(m, iova, length))
		return -ERANGE;
	if (window && !is_power_of_2(window))
		return -EINVAL;
	window = max_t(u64, window, PAGE_SIZE);

	odp_count(m, ODP_CNT_FAULTS, 1);
	if (odp_consume_injection(m, &ret))
		goto out_error;

	dfirst = ALIGN_DOWN(iova, PAGE_SIZE);
	dlast = ALIGN_DOWN(iova + length - 1, PAGE_SIZE) + PAGE_SIZE - 1;
	first = max(ALIGN_DOWN(dfirst, window), m->iova_first);
	last = ALIGN_DOWN(dlast, window) + (window - 1);
	if (last < dlast)	/* the window wrapped */
		last = U64_MAX;
	last = min(last, m->iova_last);

	ret = odp_fault_range(m, first, last, dfirst, dlast,
			      access & ODP_ACCESS_WRITE, &res);
	if (!ret)
		goto out_trace;
out_error:
	odp_count(m, ODP_CNT_FAULT_ERRORS, 1);
out_trace:
	trace_odp_fault(m->id, iova, length, access, res.faulted,
			res.snapshot, ret);
	return ret;
}
EXPORT_SYMBOL_GPL(odp_mirror_fault);

/**
 * odp_mirror_prefetch() - map pages ahead of device use
 * @m: the mirror
 * @iova: first device address to map
 * @length: bytes to map, at least 1
 * @flags: %ODP_PREFETCH_WRITE to fault writable; %ODP_PREFETCH_NO_FAULT to
 *	map only what is already populated, without faulting
 *
 * The ibv_advise_mr() path: like odp_mirror_fault() of the whole range with
 * no window, but neither counted as a fault nor subject to fault injection.
 *
 * Context: As odp_mirror_fault(): process context, sleeps, takes the mmap
 * lock of the mirrored mm for read, the table allocation lock and pt_lock.
 * The caller must hold none of them nor one that the
 * &odp_mirror_ops.invalidate callback takes, and must not be inside an
 * access section.
 *
 * Return: 0 on success; -EINVAL for unknown @flags; -ERANGE when the range
 * is not inside the mirror; otherwise an error as for odp_mirror_fault().
 * With %ODP_PREFETCH_NO_FAULT absent or inaccessible pages are no error: it
 * fails only with -EFAULT when the mirrored mm has no users left, or -ENOMEM.
 */
int odp_mirror_prefetch(struct odp_mirror *m, u64 iova, u64 length,
			unsigned int flags)
{
	struct odp_mapped res = {};
	u64 first, last;
	int ret;

	if (flags & ~(ODP_PREFETCH_WRITE | ODP_PREFETCH_NO_FAULT))
		return -EINVAL;
	if (!odp_mirror_contains(m, iova, length))
		return -ERANGE;
	odp_count(m, ODP_CNT_PREFETCHES, 1);

	first = ALIGN_DOWN(iova, PAGE_SIZE);
	last = ALIGN_DOWN(iova + length - 1, PAGE_SIZE) + PAGE_SIZE - 1;
	if (flags & ODP_PREFETCH_NO_FAULT)
		ret = odp_fault_range(m, first, last, 1, 0, false, &res);
	else
		ret = odp_fault_range(m, first, last, first, last,
				      flags & ODP_PREFETCH_WRITE, &res);
	trace_odp_prefetch(m->id, iova, length, flags, res.faulted,
			   res.snapshot, ret);
	return ret;
}
EXPORT_SYMBOL_GPL(odp_mirror_prefetch);

/**
 * odp_mirror_inject_faults() - make the next faults of a mirror fail
 * @m: the mirror
 * @count: how many odp_mirror_fault() calls fail; 0 stops injecting
 * @error: positive errno they fail with, as -@error
 *
 * A testing aid.  Only odp_mirror_fault() calls that pass their argument
 * checks consume an injected failure (odp_mirror_prefetch() does not); each
 * is counted in %ODP_CNT_FAULT_ERRORS.
 *
 * Context: Any context; takes no lock.  @count and @error are not updated
 * together: an odp_mirror_fault() running concurrently may consume a
 * failure with the previous @error.
 */
void odp_mirror_inject_faults(struct odp_mirror *m, unsigned int count,
			      int error)
{
	WRITE_ONCE(m->inject_error, error);
	atomic_set(&m->inject_count, count);
}
EXPORT_SYMBOL_GPL(odp_mirror_inject_faults);
