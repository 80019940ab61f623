/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device page table of a mirror: a radix tree of 4 KiB tables of 512 u64
 * slots, indexed by iova relative to a PMD-aligned base.
 *
 * Level 0 slots are leaves for 4 KiB pages.  Level 1 slots hold either a
 * pointer to a level 0 table or a huge leaf mapping a whole PMD (THP or
 * hugetlb).  Higher levels hold table pointers only.
 *
 * A leaf is (pfn << ODP_E_PFN_SHIFT) | flags: 8 bytes per mirrored page.
 * Mirrors with a DMA device allocate every table with a second page holding
 * the dma_addr_t of each slot (16 bytes per page, as upstream ib_umem_odp).
 *
 * Tables are only freed when the mirror is destroyed, so a lookup can walk
 * without locks; slots change only under the mirror's pt_lock.
 */
#ifndef ODP_PT_H
#define ODP_PT_H

#include <linux/mutex.h>
#include <linux/types.h>

#define ODP_PT_BITS		9
#define ODP_PT_SLOTS		(1UL << ODP_PT_BITS)
#define ODP_PT_MAX_LEVELS	6	/* 6 * 9 + 12 >= 64 bits of iova */

#define ODP_E_VALID		BIT_ULL(0)	/* the device may use the leaf */
#define ODP_E_WRITE		BIT_ULL(1)	/* ... and write through it */
#define ODP_E_HUGE		BIT_ULL(2)	/* level 1 leaf of a whole PMD */
#define ODP_E_DIRTY		BIT_ULL(3)	/* written through the device */
#define ODP_E_DEVPRIV		BIT_ULL(4)	/* device-private page */
#define ODP_E_ZAPPED		BIT_ULL(5)	/* invalidated, not yet released */
#define ODP_E_PEER		BIT_ULL(6)	/* resolved P2P peer page: the pfn
						 * is the provider's peer page (0:
						 * none), the dma slot its bus
						 * address; never dirtied or
						 * dma-unmapped by the core */
#define ODP_E_PFN_SHIFT		12

static inline unsigned long odp_e_pfn(u64 e)
{
	return e >> ODP_E_PFN_SHIFT;
}

struct odp_pt {
	u64 *root;
	u64 base;		/* iova of the first slot, PMD aligned */
	u64 last;		/* last iova covered by the mirror */
	unsigned int levels;	/* >= 2 so that huge leaves exist */
	bool dma;		/* tables carry a dma_addr_t page */
	struct mutex alloc_lock;	/* serialises table allocation */
	atomic_long_t tables;	/* table allocations, for the cost report */
};

/* What the zap passes report for one leaf. */
struct odp_pt_leaf {
	u64 iova;		/* first iova the leaf maps */
	u64 *slot;
	dma_addr_t *dma;	/* NULL unless pt->dma */
	u64 entry;
	unsigned int npages;	/* 1 or ODP_PT_SLOTS */
};

int odp_pt_init(struct odp_pt *pt, u64 first, u64 last, bool dma);
void odp_pt_fini(struct odp_pt *pt);
u64 odp_pt_bytes(struct odp_pt *pt);

u64 odp_pt_read(struct odp_pt *pt, u64 iova, u64 **slotp, dma_addr_t **dmap,
		unsigned int *npages);
int odp_pt_prepare(struct odp_pt *pt, u64 iova, bool huge);
u64 *odp_pt_slot(struct odp_pt *pt, u64 iova, bool huge, dma_addr_t **dmap);

typedef void (*odp_pt_leaf_fn)(struct odp_pt_leaf *leaf, void *arg);
void odp_pt_for_each_leaf(struct odp_pt *pt, u64 first, u64 last,
			  odp_pt_leaf_fn fn, void *arg);

#endif /* ODP_PT_H */
