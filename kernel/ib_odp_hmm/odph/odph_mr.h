/* SPDX-License-Identifier: GPL-2.0 */
/*
 * odph memory regions and the copies the engines make to and from them.
 *
 * An MR is reached through its backend, a small ops table chosen at
 * registration:
 *	odph_dma_mr_ops		kernel virtual addresses (get_dma_mr)
 *	odph_pinned_mr_ops	pinned user memory, an ib_umem (odph_mr.c)
 *	odph_odp_mr_ops		on demand, through the mirror core (odph_odp.c)
 * A peer-to-peer backend (device memory reached through its owner) is
 * the next one; it only has to fill the table below.
 *
 * Above the backends sits one copier (odph_copy.c): odph_mr_copy() for a
 * range of one MR, odph_sge_copy() for a range of an SGE list.  The
 * engines never walk SGEs nor reach a page themselves.
 */
#ifndef ODPH_MR_H
#define ODPH_MR_H

#include <linux/completion.h>
#include <linux/refcount.h>
#include <linux/string.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_user_rxe.h>

struct odph_dev;
struct odph_mr;
struct odph_qp;

enum odph_copy_dir {
	ODPH_FROM_MR,			/* gather: MR to buffer */
	ODPH_TO_MR,			/* scatter: buffer to MR */
};

/**
 * struct odph_mr_ops - how an MR's memory is reached
 *
 * Every hook but @fault and @release is called from the engines, in
 * softirq or with a QP lock held, and must not sleep.  The caller checked
 * bounds and permission (odph_mr_get(), odph_rkey_get()) and holds a
 * reference on the MR.
 *
 * @copy: copy @len bytes between @buf and the MR at @iova.  Returns the
 *	bytes copied: @len, or fewer on a miss, when the page holding
 *	@iova plus the returned count is not mapped for this access
 *	(nothing of that page was copied).  A backend that can miss keeps
 *	the invalidation fence itself: no byte it copies may reach a page
 *	whose invalidation has returned.  Negative errno for an address
 *	the backend cannot reach at all.
 * @atomic: CMP_SWAP / FETCH_ADD of the u64 at @iova (8-byte aligned),
 *	through odph_atomic_apply().  0, -EAGAIN on a miss, or an error.
 * @fault: map [@iova, @iova + @len) so that the next @copy or @atomic
 *	does not miss.  May sleep.  NULL for a backend that never misses.
 * @advise: prefetch for ibv_advise_mr(); may sleep.  NULL: a no-op.
 * @release: drop what registration took (pins, the mirror).  May
 *	sleep.  NULL: nothing to drop.
 */
struct odph_mr_ops {
	long (*copy)(struct odph_mr *mr, u64 iova, void *buf, u32 len,
		     enum odph_copy_dir dir);
	int (*atomic)(struct odph_mr *mr, u64 iova, u8 opcode, u64 swap_add,
		      u64 compare, u64 *orig);
	int (*fault)(struct odph_mr *mr, u64 iova, u32 len, bool write);
	int (*advise)(struct odph_mr *mr, u64 iova, u32 len, bool write,
			bool no_fault);
	void (*release)(struct odph_mr *mr);
};

extern const struct odph_mr_ops odph_dma_mr_ops;
extern const struct odph_mr_ops odph_pinned_mr_ops;
extern const struct odph_mr_ops odph_odp_mr_ops;

enum odph_mr_kind {
	ODPH_MR_DMA,			/* kernel virtual addresses */
	ODPH_MR_USER,			/* pinned user memory (ib_umem) */
	ODPH_MR_ODP,			/* on demand, through the mirror core */
};

struct odph_mr {
	struct ib_mr ib;
	enum odph_mr_kind kind;
	const struct odph_mr_ops *ops;	/* the backend of @kind */
	int access;
	u64 iova;			/* first byte's address on the wire */
	u64 length;
	struct ib_umem *umem;
	struct page **pages;		/* ODPH_MR_USER: one per page */
	struct odp_mirror *mirror;	/* ODPH_MR_ODP */
	unsigned int page_offset;	/* of iova in pages[0] */
	unsigned long npages;
	refcount_t ref;			/* lookups in flight */
	struct completion released;	/* ref dropped to zero */
	atomic_t num_mw;		/* windows bound; -1: deregistering */
	struct rcu_head rcu;
};

static inline struct odph_mr *to_odph_mr(struct ib_mr *mr)
{
	return container_of(mr, struct odph_mr, ib);
}

/*
 * The backends' memcpy: @n bytes between @mem (in the MR) and @buf.
 * Always inlined, so that a length the caller bounds by the page
 * (min_t(u32, len, PAGE_SIZE - offset)) lets the compiler inline the
 * memcpy too rather than call it.
 */
static __always_inline void odph_copy_bytes(void *mem, void *buf, size_t n,
					    enum odph_copy_dir dir)
{
	if (dir == ODPH_TO_MR)
		memcpy(mem, buf, n);
	else
		memcpy(buf, mem, n);
}

/**
 * struct odph_miss - where an odph_sge_copy() missed
 * @key: the lkey of the SGE that missed
 * @va: the first byte of that SGE's part of the copy
 * @len: that part's length: [@va, @va + @len) is what to fault
 * @done: bytes of the copy before that part (all copied)
 */
struct odph_miss {
	u32 key;
	u64 va;
	u32 len;
	u32 done;
};

/* odph_mr.c */
struct odph_mr *odph_mr_get(struct odph_dev *dev, struct ib_pd *pd, u32 key,
			    int access, u64 va, u32 len);
void odph_mr_put(struct odph_mr *mr);
int odph_mr_atomic(struct odph_mr *mr, u64 va, u8 opcode, u64 swap_add,
		   u64 compare, u64 *orig);
u64 odph_atomic_apply(u64 *p, u8 opcode, u64 swap_add, u64 compare);
int odph_fault_key(struct odph_qp *qp, u32 key, u64 va, u32 len, bool write);
struct ib_mr *odph_get_dma_mr(struct ib_pd *pd, int access);
struct ib_mr *odph_reg_user_mr(struct ib_pd *pd, u64 start, u64 length,
			       u64 iova, int access, struct ib_udata *udata);
int odph_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata);

/* odph_copy.c */
int odph_mr_copy(struct odph_mr *mr, u64 va, void *buf, u32 len,
		 enum odph_copy_dir dir);
int odph_sge_copy(struct odph_qp *qp, const struct rxe_sge *sge, u32 num_sge,
		  u32 off, void *buf, u32 len, enum odph_copy_dir dir,
		  struct odph_miss *miss);

/* odph_odp.c */
int odph_odp_reg(struct odph_mr *mr, u64 start, u64 length, u64 iova);

#endif /* ODPH_MR_H */
