/* SPDX-License-Identifier: GPL-2.0 */
/* Private to the mirror core: struct odp_mirror and helpers shared by files. */
#ifndef ODP_INTERNAL_H
#define ODP_INTERNAL_H

#include <linux/atomic.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>

#include "odp_hmm.h"
#include "odp_pt.h"

struct odp_mirror {
	struct mmu_interval_notifier notifier;
	struct mm_struct *mm;		/* mmgrab()ed for the mirror's life */
	struct odp_mirror_attr attr;
	u32 id;				/* for tracepoints, see odp_trace.h */
	u64 va_first, va_last;		/* mirrored user addresses */
	u64 iova_first, iova_last;	/* same range as device addresses */
	s64 offset;			/* iova - va */
	bool huge_ok;			/* offset keeps PMDs aligned */

	/*
	 * pt_lock orders installs (the fault path, after
	 * mmu_interval_read_retry) against zaps (the notifier).  It is the
	 * "driver lock" of the hmm_range_fault discipline.
	 */
	struct mutex pt_lock;
	struct odp_pt pt;

	/* Access sections in flight; zaps wait for them (see odp_mirror.c). */
	atomic_t inflight;

	atomic_t inject_count;		/* fault injection: failures left */
	int inject_error;

	atomic64_t mapped;		/* 4 KiB pages mapped now */
	atomic64_t cnt[ODP_CNT_MAX];
	atomic64_t p2p_cnt[ODP_P2P_CNT_MAX];	/* odp_p2p.c */
};

static inline u64 odp_va_to_iova(struct odp_mirror *m, u64 va)
{
	return va + m->offset;
}

static inline u64 odp_iova_to_va(struct odp_mirror *m, u64 iova)
{
	return iova - m->offset;
}

void odp_count(struct odp_mirror *m, enum odp_counter c, u64 n);

/* odp_p2p.c: peer resolution of device-private pages */
struct odp_peer_leaf {
	u64 entry;		/* 0: not a peer page (own DEVPRIV or RAM) */
	dma_addr_t dma;		/* bus address for a DMA importer */
};

void odp_p2p_count(struct odp_mirror *m, enum odp_p2p_counter c, u64 n);
int odp_p2p_resolve(struct odp_mirror *m, struct page *page, bool writable,
		    struct odp_peer_leaf *out);
int odp_p2p_fault_back(struct odp_mirror *m, u64 iova, bool write);
bool odp_p2p_owner_is_peer(void *owner);

#endif /* ODP_INTERNAL_H */
