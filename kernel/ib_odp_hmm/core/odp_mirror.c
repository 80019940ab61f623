// SPDX-License-Identifier: GPL-2.0
/*
 * Mirror core: mirror life cycle, invalidation, the lookup fence, counters.
 *
 * The fence between NIC lookups and invalidation
 * ---------------------------------------------
 * A NIC translates inside an access section: odp_mirror_access_begin()
 * disables preemption and increments mirror->inflight (full barrier after),
 * then reads leaves locklessly.  An invalidation (under pt_lock) first
 * clears ODP_E_VALID in every leaf of the range, issues a full barrier and
 * waits for inflight to drop to zero; only then does it dirty, unmap and
 * free the leaves.  Either the lookup read the leaf after the zap (it sees it
 * invalid and faults) or the zap saw the lookup's increment and waits for
 * its access section, including the copy it protects, to end.  Sections are
 * short and never sleep, so a non-blockable invalidation may spin on them.
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include "odp_internal.h"

#define CREATE_TRACE_POINTS
#include "odp_trace.h"

static atomic64_t odp_global_cnt[ODP_CNT_MAX];
static atomic64_t odp_live;
static atomic_t odp_next_id;

void odp_count(struct odp_mirror *m, enum odp_counter c, u64 n)
{
	atomic64_add(n, &m->cnt[c]);
	atomic64_add(n, &odp_global_cnt[c]);
}

/* ---- zap: the two passes of an invalidation ---- */

struct odp_zap {
	struct odp_mirror *m;
	u64 first, last;	/* iova span actually zapped, huge leaves whole */
	u64 pages;
	u64 dirtied;
};

static void odp_zap_leaf(struct odp_pt_leaf *leaf, void *arg)
{
	struct odp_zap *z = arg;
	u64 old = READ_ONCE(*leaf->slot), new;

	do {
		if (!(old & ODP_E_VALID))
			return;
		new = (old & ~ODP_E_VALID) | ODP_E_ZAPPED;
	} while (!try_cmpxchg(leaf->slot, &old, new));

	z->pages += leaf->npages;
	z->first = min(z->first, leaf->iova);
	z->last = max(z->last, leaf->iova + leaf->npages * PAGE_SIZE - 1);
}

static void odp_release_leaf(struct odp_pt_leaf *leaf, void *arg)
{
	struct odp_zap *z = arg;
	struct odp_mirror *m = z->m;
	u64 e = READ_ONCE(*leaf->slot);
	struct page *page;

	if (!(e & ODP_E_ZAPPED))
		return;
	page = pfn_to_page(odp_e_pfn(e));
	if ((e & ODP_E_DIRTY) && !(e & (ODP_E_DEVPRIV | ODP_E_PEER))) {
		folio_mark_dirty(page_folio(page));
		z->dirtied += leaf->npages;
	}
	if (leaf->dma && (e & ODP_E_PEER)) {
		*leaf->dma = 0;		/* a bus address: nothing to unmap */
	} else if (leaf->dma && *leaf->dma) {
		dma_unmap_page(m->attr.dma_dev, *leaf->dma,
			       leaf->npages * PAGE_SIZE, DMA_BIDIRECTIONAL);
		*leaf->dma = 0;
	}
	WRITE_ONCE(*leaf->slot, 0);
	atomic64_sub(leaf->npages, &m->mapped);
}

static void odp_wait_inflight(struct odp_mirror *m, bool blockable)
{
	/* Order the pass 1 stores before reading inflight. */
	smp_mb();
	if (blockable) {
		wait_var_event(&m->inflight, !atomic_read(&m->inflight));
		return;
	}
	while (atomic_read(&m->inflight))
		cpu_relax();
}

/*
 * odp_zap - remove [@first, @last] (iova) from the device page table.  On
 * return no access section can use the old pages.  Returns pages zapped.
 */
/* Caller must hold m->pt_lock. */
static u64 odp_zap(struct odp_mirror *m, u64 first, u64 last, bool blockable)
{
	struct odp_zap z = { .m = m, .first = U64_MAX, .last = 0 };

	lockdep_assert_held(&m->pt_lock);

	odp_pt_for_each_leaf(&m->pt, first, last, odp_zap_leaf, &z);
	if (!z.pages)
		return 0;
	if (m->attr.ops && m->attr.ops->invalidate)
		m->attr.ops->invalidate(m, z.first, z.last - z.first + 1,
					blockable);
	odp_wait_inflight(m, blockable);
	odp_pt_for_each_leaf(&m->pt, z.first, z.last, odp_release_leaf, &z);

	odp_count(m, ODP_CNT_PAGES_INVALIDATED, z.pages);
	odp_count(m, ODP_CNT_PAGES_DIRTIED, z.dirtied);
	return z.pages;
}

static bool odp_invalidate(struct mmu_interval_notifier *mni,
			   const struct mmu_notifier_range *range,
			   unsigned long cur_seq)
{
	struct odp_mirror *m = container_of(mni, struct odp_mirror, notifier);
	bool blockable = mmu_notifier_range_blockable(range);
	u64 first, last, pages;

	/*
	 * Migrations of our own device-private pages keep the device view.
	 * A P2P provider's migrations (the mirror joined its owner domain)
	 * must zap peer leaves before the pages move (odp_p2p.c).
	 */
	if (range->event == MMU_NOTIFY_MIGRATE && m->attr.owner &&
	    range->owner == m->attr.owner &&
	    !odp_p2p_owner_is_peer(range->owner))
		return true;

	if (blockable)
		mutex_lock(&m->pt_lock);
	else if (!mutex_trylock(&m->pt_lock))
		return false;

	mmu_interval_set_seq(mni, cur_seq);
	first = max_t(u64, range->start, m->va_first);
	last = min_t(u64, range->end - 1, m->va_last);
	if (first <= last) {
		first = odp_va_to_iova(m, first);
		last = odp_va_to_iova(m, last);
		pages = odp_zap(m, first, last, blockable);
		if (pages) {
			odp_count(m, ODP_CNT_INVALIDATIONS, 1);
			trace_odp_invalidate(m->id, first, last, pages,
					     blockable);
		}
	}

	mutex_unlock(&m->pt_lock);
	return true;
}

static const struct mmu_interval_notifier_ops odp_notifier_ops = {
	.invalidate = odp_invalidate,
};

/* ---- life cycle ---- */

static int odp_check_attr(struct mm_struct *mm,
			  const struct odp_mirror_attr *attr)
{
	u64 va_last, iova_last;

	if (attr->flags & ~ODP_MIRROR_IMPLICIT)
		return -EINVAL;
	if (attr->flags & ODP_MIRROR_IMPLICIT)
		return attr->va || attr->length || attr->iova ? -EINVAL : 0;
	if (!attr->length || !PAGE_ALIGNED(attr->va) ||
	    !PAGE_ALIGNED(attr->length) || !PAGE_ALIGNED(attr->iova))
		return -EINVAL;
	if (check_add_overflow(attr->va, attr->length - 1, &va_last) ||
	    check_add_overflow(attr->iova, attr->length - 1, &iova_last))
		return -EINVAL;
	if (va_last >= mm->task_size)
		return -EINVAL;
	return 0;
}

static void odp_set_range(struct odp_mirror *m, struct mm_struct *mm)
{
	const struct odp_mirror_attr *attr = &m->attr;

	if (attr->flags & ODP_MIRROR_IMPLICIT) {
		m->va_first = 0;
		m->va_last = mm->task_size - 1;
		m->offset = 0;
	} else {
		m->va_first = attr->va;
		m->va_last = attr->va + attr->length - 1;
		m->offset = (s64)(attr->iova - attr->va);
	}
	m->iova_first = odp_va_to_iova(m, m->va_first);
	m->iova_last = odp_va_to_iova(m, m->va_last);
	m->huge_ok = IS_ALIGNED((u64)m->offset, PMD_SIZE);
}

/**
 * odp_mirror_create() - mirror a range of an address space for a device
 * @mm: address space to mirror; the caller keeps the mm_struct alive for the
 *	call (typically current->mm of the registering process)
 * @attr: what to mirror and for which device.  Copied; @attr->dma_dev,
 *	@attr->ops and @attr->priv must stay valid until odp_mirror_destroy().
 *
 * Nothing is mapped up front: pages are mapped by odp_mirror_fault() and
 * odp_mirror_prefetch() and zapped by an mmu_interval_notifier on
 * [@attr->va, @attr->va + @attr->length), or on all of @mm with
 * %ODP_MIRROR_IMPLICIT.  The mirror holds an mmgrab() reference on @mm, not
 * an mmget() one: it does not keep the address space alive, and faults fail
 * with -EFAULT once the last user of @mm is gone.
 *
 * Context: Process context.  Sleeps (GFP_KERNEL allocations).  Takes the mmap
 * lock of @mm for write when @mm has no interval notifier yet, so the caller
 * must not hold the mmap lock of @mm.
 *
 * Return: the new mirror, or an ERR_PTR(): -EINVAL for a bad @attr (unknown
 * flags, a range that is empty, not page aligned, wraps or exceeds the task
 * size), -ENOMEM, -ESRCH when @mm has no users left, or the error of
 * mmu_interval_notifier_insert().
 */
struct odp_mirror *odp_mirror_create(struct mm_struct *mm,
				     const struct odp_mirror_attr *attr)
{
	struct odp_mirror *m;
	int ret, i;

	ret = odp_check_attr(mm, attr);
	if (ret)
		return ERR_PTR(ret);

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->attr = *attr;
	m->id = atomic_inc_return(&odp_next_id);
	odp_set_range(m, mm);
	mutex_init(&m->pt_lock);
	for (i = 0; i < ODP_CNT_MAX; i++)
		atomic64_set(&m->cnt[i], 0);

	ret = odp_pt_init(&m->pt, m->iova_first, m->iova_last, !!attr->dma_dev);
	if (ret)
		goto err_free_pt;

	if (!mmget_not_zero(mm)) {
		ret = -ESRCH;
		goto err_free_pt;
	}
	ret = mmu_interval_notifier_insert(&m->notifier, mm, m->va_first,
					   m->va_last - m->va_first + 1,
					   &odp_notifier_ops);
	mmput(mm);
	if (ret)
		goto err_free_pt;

	mmgrab(mm);
	m->mm = mm;
	atomic64_inc(&odp_live);
	return m;

err_free_pt:
	odp_pt_fini(&m->pt);
	kfree(m);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(odp_mirror_create);

/**
 * odp_mirror_destroy() - release every mapping and free a mirror
 * @m: mirror from odp_mirror_create()
 *
 * Zaps the whole device page table (calling &odp_mirror_ops.invalidate for
 * what was mapped, dirtying pages the device wrote, unmapping DMA addresses)
 * while the interval notifier is still registered, so no page can be freed
 * under the mirror meanwhile; then removes the notifier, drops the mmgrab()
 * reference on the mm and frees the tables and @m.
 *
 * Context: Process context.  Sleeps: takes the mirror's pt_lock and waits in
 * mmu_interval_notifier_remove() for a running invalidation of the mirror.
 * Does not take the mmap lock.  The caller guarantees that no fault,
 * prefetch, lookup or access section of @m runs or starts any more (in
 * particular it is not inside one), and must not call it from an mmu
 * notifier callback such as &odp_mirror_ops.invalidate, nor with a lock held
 * that this callback takes.  Invalidations of the mirrored range may still
 * run concurrently; pt_lock orders them against the final zap.
 */
void odp_mirror_destroy(struct odp_mirror *m)
{
	mutex_lock(&m->pt_lock);
	odp_zap(m, m->iova_first, m->iova_last, true);
	mutex_unlock(&m->pt_lock);

	mmu_interval_notifier_remove(&m->notifier);
	mmdrop(m->mm);
	odp_pt_fini(&m->pt);
	mutex_destroy(&m->pt_lock);
	kfree(m);
	atomic64_dec(&odp_live);
}
EXPORT_SYMBOL_GPL(odp_mirror_destroy);

/**
 * odp_mirror_id() - the mirror's id in the odp tracepoints
 * @m: the mirror
 *
 * Context: Any context; takes no lock.
 *
 * Return: the id the odp tracepoints (odp_trace.h) report for @m, unique
 * among the mirrors created since the module was loaded.
 */
u32 odp_mirror_id(struct odp_mirror *m)
{
	return m->id;
}
EXPORT_SYMBOL_GPL(odp_mirror_id);

/**
 * odp_mirror_priv() - the NIC's private pointer of a mirror
 * @m: the mirror
 *
 * Context: Any context; takes no lock.
 *
 * Return: @attr->priv as given to odp_mirror_create().
 */
void *odp_mirror_priv(struct odp_mirror *m)
{
	return m->attr.priv;
}
EXPORT_SYMBOL_GPL(odp_mirror_priv);

/**
 * odp_mirror_contains() - is a range of device addresses inside the mirror?
 * @m: the mirror
 * @iova: first device address of the range
 * @length: bytes in the range
 *
 * Context: Any context; takes no lock (reads only what is fixed at creation).
 *
 * Return: true if [@iova, @iova + @length) is not empty, does not wrap and
 * lies inside the iova range of @m.
 */
bool odp_mirror_contains(struct odp_mirror *m, u64 iova, u64 length)
{
	u64 last;

	if (!length || check_add_overflow(iova, length - 1, &last))
		return false;
	return iova >= m->iova_first && last <= m->iova_last;
}
EXPORT_SYMBOL_GPL(odp_mirror_contains);

/* ---- the NIC's hot path ---- */

/**
 * odp_mirror_access_begin() - open an access section
 * @m: the mirror
 *
 * The device translates with odp_mirror_lookup() and uses the pages it finds
 * inside an access section.  An invalidation of @m zaps the leaves first and
 * then waits until no section of @m is in flight before it releases their
 * pages, so a page found by a lookup stays usable until
 * odp_mirror_access_end().  Sections may nest and may cover several lookups,
 * but an invalidation of @m waits for all of them, also those opened after
 * it started, and spins when it must not block: keep them short.
 *
 * Context: Any context except NMI: process, softirq or hardirq.  Disables
 * preemption until the matching odp_mirror_access_end(), which the caller
 * must reach in the same context.  Nothing in between may sleep, call
 * odp_mirror_fault(), odp_mirror_prefetch() or odp_mirror_destroy(), or
 * wait for anything held by an invalidation of the mirrored mm (the mirror's
 * pt_lock, the mmap lock, a lock that the &odp_mirror_ops.invalidate
 * callback takes): that invalidation waits for the section.
 */
void odp_mirror_access_begin(struct odp_mirror *m)
	__acquires(m)
{
	__acquire(m);
	preempt_disable();
	atomic_inc(&m->inflight);
	/* Pairs with the smp_mb() in odp_wait_inflight(). */
	smp_mb__after_atomic();
}
EXPORT_SYMBOL_GPL(odp_mirror_access_begin);

/**
 * odp_mirror_access_end() - close an access section
 * @m: the mirror
 *
 * Ends the section opened by the matching odp_mirror_access_begin() and
 * wakes an invalidation waiting for it.  Pages found by lookups in the
 * section must not be used any more.
 *
 * Context: Any context except NMI, inside an access section of @m opened in
 * the same context.  Does not sleep; re-enables preemption.
 */
void odp_mirror_access_end(struct odp_mirror *m)
	__releases(m)
{
	if (atomic_dec_and_test(&m->inflight))
		wake_up_var(&m->inflight);
	preempt_enable();
	__release(m);
}
EXPORT_SYMBOL_GPL(odp_mirror_access_end);

/* Mark a writable leaf dirty before the device writes through it. */
static bool odp_mark_dirty(u64 *slot, u64 *e)
{
	while (!(*e & ODP_E_DIRTY)) {
		u64 old = cmpxchg(slot, *e, *e | ODP_E_DIRTY);

		if (old == *e) {
			*e |= ODP_E_DIRTY;
			break;
		}
		*e = old;
		if (!(old & ODP_E_VALID) || !(old & ODP_E_WRITE))
			return false;
	}
	return true;
}

/**
 * odp_mirror_lookup() - translate a device address for a device access
 * @m: the mirror
 * @iova: device address to translate
 * @access: 0 to read, %ODP_ACCESS_WRITE to write; a write marks the leaf
 *	dirty, so that the page is dirtied when it is invalidated
 * @x: filled with the translation on success
 *
 * Walks the device page table without a lock.  The page in @x may be used
 * until the end of the access section only: after odp_mirror_access_end()
 * it may be zapped and freed at any time.
 *
 * Context: Any context except NMI, inside an access section of @m
 * (odp_mirror_access_begin()), so with preemption disabled.  Does not sleep
 * and takes no lock.
 *
 * Return: 0 with @x filled; -ENOENT when no leaf allows the access (end the
 * section, call odp_mirror_fault() and retry); -ERANGE when @iova is outside
 * the mirror.
 */
int odp_mirror_lookup(struct odp_mirror *m, u64 iova, unsigned int access,
		      struct odp_xlate *x)
{
	unsigned int npages, sub;
	dma_addr_t *dma;
	u64 *slot, e;

	/* Only an access section keeps the leaf's page from being released. */
	lockdep_assert_preemption_disabled();
	lockdep_assert(atomic_read(&m->inflight) > 0);

	if (iova < m->iova_first || iova > m->iova_last)
		return -ERANGE;
	e = odp_pt_read(&m->pt, iova, &slot, &dma, &npages);
	if (!(e & ODP_E_VALID))
		return -ENOENT;
	if (access & ODP_ACCESS_WRITE) {
		if (!(e & ODP_E_WRITE) || !odp_mark_dirty(slot, &e))
			return -ENOENT;
	}

	sub = npages > 1 ? (iova >> PAGE_SHIFT) & (npages - 1) : 0;
	if ((e & ODP_E_PEER) && !odp_e_pfn(e))
		x->page = NULL;		/* a peer with only a bus address */
	else
		x->page = pfn_to_page(odp_e_pfn(e) + sub);
	x->dma = dma && *dma ? *dma + ((dma_addr_t)sub << PAGE_SHIFT) : 0;
	x->offset = offset_in_page(iova);
	x->len = PAGE_SIZE - x->offset;
	x->flags = (e & ODP_E_WRITE ? ODP_XLATE_WRITE : 0) |
		   (npages > 1 ? ODP_XLATE_HUGE : 0) |
		   (e & ODP_E_DEVPRIV ? ODP_XLATE_DEVPRIV : 0) |
		   (e & ODP_E_DIRTY ? ODP_XLATE_DIRTY : 0) |
		   (e & ODP_E_PEER ? ODP_XLATE_PEER : 0);
	return 0;
}
EXPORT_SYMBOL_GPL(odp_mirror_lookup);

/* ---- counters ---- */

/**
 * odp_mirror_counters() - snapshot the counters of a mirror
 * @m: the mirror
 * @out: filled with one value per &enum odp_counter
 *
 * Each counter is read atomically, but not all at the same instant: the
 * snapshot may mix values from before and after a concurrent fault or
 * invalidation.
 *
 * Context: Any context; takes no lock.
 */
void odp_mirror_counters(struct odp_mirror *m, struct odp_counters *out)
{
	int i;

	for (i = 0; i < ODP_CNT_MAX; i++)
		out->c[i] = atomic64_read(&m->cnt[i]);
}
EXPORT_SYMBOL_GPL(odp_mirror_counters);

/**
 * odp_global_counters() - snapshot the counters summed over all mirrors
 * @out: filled with one value per &enum odp_counter
 *
 * The sums cover every mirror since the module was loaded, destroyed ones
 * included.  As for odp_mirror_counters(), the values are not read at the
 * same instant.
 *
 * Context: Any context; takes no lock.
 */
void odp_global_counters(struct odp_counters *out)
{
	int i;

	for (i = 0; i < ODP_CNT_MAX; i++)
		out->c[i] = atomic64_read(&odp_global_cnt[i]);
}
EXPORT_SYMBOL_GPL(odp_global_counters);

/**
 * odp_mirror_mapped_pages() - pages the device page table maps now
 * @m: the mirror
 *
 * Context: Any context; takes no lock.  The value may be stale by the time
 * it is used.
 *
 * Return: the number of PAGE_SIZE pages mapped by valid leaves of @m (a huge
 * leaf counts as the pages of its PMD).
 */
u64 odp_mirror_mapped_pages(struct odp_mirror *m)
{
	return atomic64_read(&m->mapped);
}
EXPORT_SYMBOL_GPL(odp_mirror_mapped_pages);

/**
 * odp_mirror_table_bytes() - memory used by the device page table
 * @m: the mirror
 *
 * Tables are only freed by odp_mirror_destroy(), so the value never shrinks
 * while the mirror lives.
 *
 * Context: Any context; takes no lock.
 *
 * Return: bytes allocated for the tables of @m, including the DMA address
 * pages of a mirror with a &odp_mirror_attr.dma_dev.
 */
u64 odp_mirror_table_bytes(struct odp_mirror *m)
{
	return odp_pt_bytes(&m->pt);
}
EXPORT_SYMBOL_GPL(odp_mirror_table_bytes);

/**
 * odp_live_mirrors() - number of mirrors alive
 *
 * Context: Any context; takes no lock.
 *
 * Return: mirrors created by odp_mirror_create() and not yet destroyed.
 */
u64 odp_live_mirrors(void)
{
	return atomic64_read(&odp_live);
}
EXPORT_SYMBOL_GPL(odp_live_mirrors);

MODULE_DESCRIPTION("ib_odp_hmm mirror core: RDMA ODP on HMM mirroring");
MODULE_LICENSE("GPL");
