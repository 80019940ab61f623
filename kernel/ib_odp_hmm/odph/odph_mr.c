// SPDX-License-Identifier: GPL-2.0
/*
 * odph memory regions: keys, access checks, and the backends of MRs that
 * never miss: DMA MRs (kernel virtual addresses) and pinned user MRs.  The
 * ODP backend is odph_odp.c; the copier above them all is odph_copy.c.
 *
 * A key is (index << 8) | tag: the index finds the MR in dev->mrs, the tag
 * (bumped per registration) makes a stale key miss.  lkey == rkey.  Memory
 * windows share the key space (odph_mw.c); odph_mr_get() never returns
 * one, odph_rkey_get() resolves both.
 * Lookups run in softirq under RCU and take a reference; deregistration
 * unpublishes the MR, waits for the references to drain and frees it after
 * a grace period.
 */
#include <linux/highmem.h>
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "odph.h"

static DEFINE_SPINLOCK(odph_atomic_lock);	/* responder atomics */

static int odph_mr_publish(struct odph_dev *dev, struct odph_mr *mr)
{
	u32 index, tag = get_random_u32() & 0xff;
	int ret;

	/*
	 * UCX 1.13/1.14 compat: uct_ib_md_release_reg_method() passes its
	 * implicit ODP memh where a uct_md_mem_dereg_params_t is expected,
	 * so field_mask is read from the lkey; an even lkey (no
	 * UCT_MD_MEM_DEREG_FIELD_MEMH) makes that call a no-op, an odd one
	 * a SIGSEGV.  docs/ARCHITECTURE.md, "UCX".
	 */
	if (mr->kind == ODPH_MR_ODP && mr->length == U64_MAX)
		tag &= ~1;
	ret = xa_alloc_cyclic(&dev->mrs, &index, mr,
			      XA_LIMIT(1, ODPH_KEY_INDEX_MAX), &dev->next_mr,
			      GFP_KERNEL);
	if (ret < 0)
		return ret;
	mr->ib.lkey = (index << 8) | tag;
	mr->ib.rkey = mr->ib.lkey;
	refcount_set(&mr->ref, 1);
	init_completion(&mr->released);
	atomic_set(&mr->num_mw, 0);
	return 0;
}

static void odph_mr_unpublish(struct odph_dev *dev, struct odph_mr *mr)
{
	xa_erase(&dev->mrs, mr->ib.lkey >> 8);
	if (!refcount_dec_and_test(&mr->ref))
		wait_for_completion(&mr->released);
}

struct ib_mr *odph_get_dma_mr(struct ib_pd *pd, int access)
{
	struct odph_mr *mr = kzalloc(sizeof(*mr), GFP_KERNEL);
	int ret;

	if (!mr)
		return ERR_PTR(-ENOMEM);
	mr->kind = ODPH_MR_DMA;
	mr->ops = &odph_dma_mr_ops;
	mr->access = access;
	mr->length = U64_MAX;
	ret = odph_mr_publish(to_odph_dev(pd->device), mr);
	if (ret) {
		kfree(mr);
		return ERR_PTR(ret);
	}
	return &mr->ib;
}

static int odph_mr_pin(struct odph_mr *mr, struct ib_device *ib, u64 start,
		       u64 length, int access)
{
	struct sg_page_iter it;
	unsigned long i = 0;

	mr->umem = ib_umem_get(ib, start, length, access);
	if (IS_ERR(mr->umem))
		return PTR_ERR(mr->umem);
	mr->npages = ib_umem_num_pages(mr->umem);
	mr->pages = kvmalloc_array(mr->npages, sizeof(*mr->pages), GFP_KERNEL);
	if (!mr->pages) {
		ib_umem_release(mr->umem);
		return -ENOMEM;
	}
	for_each_sgtable_page(&mr->umem->sgt_append.sgt, &it, 0)
		mr->pages[i++] = sg_page_iter_page(&it);
	mr->page_offset = offset_in_page(start);
	return 0;
}

/*
 * What reg_user_mr refuses before anything is pinned or mirrored (ib_uverbs
 * has already checked the access bits and the page offsets of start and
 * iova):
 *  - an implicit ODP MR (start 0, length U64_MAX) is the whole address
 *    space at iova 0: any other iova is EINVAL, as mlx5_ib_reg_user_mr ->
 *    create_user_odp_mr in 6.1;
 *  - a region whose end, iova + length, does not fit in 64 bits is
 *    EINVAL, the errno ib_umem_get gives when addr + size wraps;
 *  - IB_ZERO_BASED (addressing by offset from the MR's start) is not
 *    implemented: EINVAL, the errno 6.1's ib_check_mr_access gives for an
 *    access flag the device cannot honour (ODP without the capability);
 *  - IB_ACCESS_HUGETLB on an explicit ODP MR promises that hugetlb pages
 *    back the range; it is honoured by checking that promise: a range not
 *    wholly in hugetlb mappings is EINVAL, as ib_umem_odp_get gave for it
 *    up to 5.8 (6.1 mirrors in huge-page units and fails the first fault
 *    of a base page with EINVAL; odph mirrors in base pages, so a later
 *    remap to base pages still works).  The flag applies to explicit ODP
 *    MRs only (ibv_reg_mr(3)): with an implicit one it is EINVAL.  On a
 *    pinned MR it means nothing upstream either (ib_umem_get ignores it)
 *    and is accepted.
 */
static int odph_check_hugetlb(u64 start, u64 length)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	u64 va = start, end;
	int ret = 0;

	if (check_add_overflow(start, length, &end))
		return -EINVAL;
	mmap_read_lock(mm);
	while (va < end) {
		vma = vma_lookup(mm, va);
		if (!vma || !is_vm_hugetlb_page(vma)) {
			ret = -EINVAL;
			break;
		}
		va = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return ret;
}

static int odph_reg_user_mr_check(u64 start, u64 length, u64 iova, int access,
				  bool implicit)
{
	u64 end;

	if (access & IB_ZERO_BASED)
		return -EINVAL;
	if (implicit)
		return iova || (access & IB_ACCESS_HUGETLB) ? -EINVAL : 0;
	if (!length || length > ODPH_MAX_MR_SIZE ||
	    offset_in_page(start) != offset_in_page(iova) ||
	    check_add_overflow(iova, length, &end))
		return -EINVAL;
	if ((access & IB_ACCESS_ON_DEMAND) && (access & IB_ACCESS_HUGETLB))
		return odph_check_hugetlb(start, length);
	return 0;
}

struct ib_mr *odph_reg_user_mr(struct ib_pd *pd, u64 start, u64 length,
			       u64 iova, int access, struct ib_udata *udata)
{
	struct odph_mr *mr;
	int ret;

	bool implicit = (access & IB_ACCESS_ON_DEMAND) && !start &&
			length == U64_MAX;

	ret = odph_reg_user_mr_check(start, length, iova, access, implicit);
	if (ret)
		return ERR_PTR(ret);
	mr = kzalloc(sizeof(*mr), GFP_KERNEL);
	if (!mr)
		return ERR_PTR(-ENOMEM);
	mr->access = access;
	mr->iova = iova;
	mr->length = length;
	if (access & IB_ACCESS_ON_DEMAND) {
		mr->kind = ODPH_MR_ODP;
		mr->ops = &odph_odp_mr_ops;
		ret = odph_odp_reg(mr, start, length, iova);
	} else {
		mr->kind = ODPH_MR_USER;
		mr->ops = &odph_pinned_mr_ops;
		ret = odph_mr_pin(mr, pd->device, start, length, access);
	}
	if (ret)
		goto err_free_mr;
	ret = odph_mr_publish(to_odph_dev(pd->device), mr);
	if (ret)
		goto err_unpin;
	mr->ib.iova = iova;
	mr->ib.length = length;
	return &mr->ib;

err_unpin:
	mr->ops->release(mr);
err_free_mr:
	kfree(mr);
	return ERR_PTR(ret);
}

/*
 * An MR that memory windows are bound to stays: EINVAL, as rxe 6.1 (IBA
 * 10.6.7.2.6).  Once num_mw is -1 no window can bind to it any more.
 */
int odph_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata)
{
	struct odph_mr *mr = to_odph_mr(ibmr);

	if (atomic_cmpxchg(&mr->num_mw, 0, -1) != 0)
		return -EINVAL;
	odph_mr_unpublish(to_odph_dev(ibmr->device), mr);
	if (mr->ops->release)
		mr->ops->release(mr);
	kfree_rcu(mr, rcu);
	return 0;
}

static bool odph_mr_covers(struct odph_mr *mr, u64 va, u32 len)
{
	u64 last;

	if (mr->kind == ODPH_MR_DMA)
		return true;
	if (check_add_overflow(va, (u64)len, &last))
		return false;
	return va >= mr->iova && last <= mr->iova + mr->length;
}

/**
 * odph_mr_get - find the MR of @key for an access of @len bytes at @va
 * @pd: the QP's PD, which must own the MR
 * @access: IB_ACCESS_* the access needs (0 for a local read)
 *
 * Returns a referenced MR, or NULL: no such key, another PD, missing
 * permission, or out of bounds.  Callable in softirq.
 */
struct odph_mr *odph_mr_get(struct odph_dev *dev, struct ib_pd *pd, u32 key,
			    int access, u64 va, u32 len)
{
	struct odph_mr *mr;

	rcu_read_lock();
	mr = odph_entry_mr(xa_load(&dev->mrs, key >> 8));
	if (!mr || mr->ib.lkey != key || mr->ib.pd != pd ||
	    (mr->access & access) != access || !odph_mr_covers(mr, va, len) ||
	    !refcount_inc_not_zero(&mr->ref))
		mr = NULL;
	rcu_read_unlock();
	return mr;
}

void odph_mr_put(struct odph_mr *mr)
{
	if (refcount_dec_and_test(&mr->ref))
		complete(&mr->released);
}

/**
 * odph_fault_key - fault [@va, @va + @len) of the MR of @key for @qp
 *
 * @key is an MR's key or a memory window's rkey (the responder faults
 * through windows too).  Sleeps.  A backend that never misses (no
 * ->fault) needs nothing.  Returns 0, -EACCES for a key that is not @qp's,
 * or the backend's fault error.
 */
int odph_fault_key(struct odph_qp *qp, u32 key, u64 va, u32 len, bool write)
{
	struct odph_mr *mr = odph_rkey_get(qp, key, 0, va, len);
	int ret = 0;

	if (!mr)
		return -EACCES;
	if (mr->ops->fault)
		ret = mr->ops->fault(mr, va, len, write);
	odph_mr_put(mr);
	return ret;
}

/**
 * odph_mr_atomic - the responder side of CMP_SWAP / FETCH_ADD at @va
 * @orig: the value found, returned to the requester
 *
 * @va must be 8-byte aligned (checked by the caller).  Never sleeps:
 * -EAGAIN when an ODP page must be faulted first.
 */
int odph_mr_atomic(struct odph_mr *mr, u64 va, u8 opcode, u64 swap_add,
		   u64 compare, u64 *orig)
{
	return mr->ops->atomic(mr, va, opcode, swap_add, compare, orig);
}

/**
 * odph_atomic_apply - CMP_SWAP / FETCH_ADD on @p; returns the value found
 *
 * Every backend's atomics go through here.  All atomics of all devices
 * serialise on one lock, as in rxe: atomic against each other, not
 * against CPU stores (IB_ATOMIC_HCA semantics).
 */
u64 odph_atomic_apply(u64 *p, u8 opcode, u64 swap_add, u64 compare)
{
	u64 val;

	spin_lock(&odph_atomic_lock);
	val = READ_ONCE(*p);
	if (opcode == ODPH_RC_CMP_SWAP) {
		if (val == compare)
			WRITE_ONCE(*p, swap_add);
	} else {
		WRITE_ONCE(*p, val + swap_add);
	}
	spin_unlock(&odph_atomic_lock);
	return val;
}

/* ---- the DMA backend: kernel virtual addresses ---- */

static long odph_dma_copy(struct odph_mr *mr, u64 iova, void *buf, u32 len,
			  enum odph_copy_dir dir)
{
	odph_copy_bytes((void *)(uintptr_t)iova, buf, len, dir);
	return len;
}

static int odph_dma_atomic(struct odph_mr *mr, u64 iova, u8 opcode,
			   u64 swap_add, u64 compare, u64 *orig)
{
	*orig = odph_atomic_apply((u64 *)(uintptr_t)iova, opcode, swap_add,
				  compare);
	return 0;
}

const struct odph_mr_ops odph_dma_mr_ops = {
	.copy = odph_dma_copy,
	.atomic = odph_dma_atomic,
};

/* ---- the pinned backend: an ib_umem's pages ---- */

/* The page and offset of @iova in a pinned MR. */
static struct page *odph_pinned_page(struct odph_mr *mr, u64 iova, u32 *off)
{
	u64 pos = iova - mr->iova + mr->page_offset;

	*off = offset_in_page(pos);
	return mr->pages[pos >> PAGE_SHIFT];
}

static long odph_pinned_copy(struct odph_mr *mr, u64 iova, void *buf,
			     u32 len, enum odph_copy_dir dir)
{
	u32 done, off, n;
	void *p;

	for (done = 0; done < len; done += n) {
		struct page *page = odph_pinned_page(mr, iova + done, &off);

		n = min_t(u32, len - done, PAGE_SIZE - off);
		p = kmap_local_page(page);
		odph_copy_bytes(p + off, buf + done, n, dir);
		kunmap_local(p);
	}
	return len;
}

static int odph_pinned_atomic(struct odph_mr *mr, u64 iova, u8 opcode,
			      u64 swap_add, u64 compare, u64 *orig)
{
	u32 off;
	void *p = kmap_local_page(odph_pinned_page(mr, iova, &off));

	*orig = odph_atomic_apply(p + off, opcode, swap_add, compare);
	kunmap_local(p);
	return 0;
}

static void odph_pinned_release(struct odph_mr *mr)
{
	kvfree(mr->pages);
	ib_umem_release(mr->umem);
}

const struct odph_mr_ops odph_pinned_mr_ops = {
	.copy = odph_pinned_copy,
	.atomic = odph_pinned_atomic,
	.release = odph_pinned_release,
};
