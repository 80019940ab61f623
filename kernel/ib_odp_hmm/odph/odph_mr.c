// SPDX-License-Identifier: GPL-2.0
/*
 * odph memory regions: keys, access checks and the copies the engines make
 * to and from registered memory.
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

struct ib_mr *odph_reg_user_mr(struct ib_pd *pd, u64 start, u64 length,
			       u64 iova, int access, struct ib_udata *udata)
{
	struct odph_mr *mr;
	int ret;

	bool implicit = (access & IB_ACCESS_ON_DEMAND) && !start &&
			length == U64_MAX;

	if (!implicit && (!length || length > ODPH_MAX_MR_SIZE ||
			  offset_in_page(start) != offset_in_page(iova)))
		return ERR_PTR(-EINVAL);
	mr = kzalloc(sizeof(*mr), GFP_KERNEL);
	if (!mr)
		return ERR_PTR(-ENOMEM);
	mr->access = access;
	mr->iova = iova;
	mr->length = length;
	if (access & IB_ACCESS_ON_DEMAND) {
		mr->kind = ODPH_MR_ODP;
		ret = odph_odp_reg(mr, start, length, iova);
	} else {
		mr->kind = ODPH_MR_USER;
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
	if (mr->kind == ODPH_MR_ODP) {
		odph_odp_dereg(mr);
	} else {
		kvfree(mr->pages);
		ib_umem_release(mr->umem);
	}
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
	if (mr->kind == ODPH_MR_USER) {
		kvfree(mr->pages);
		ib_umem_release(mr->umem);
	} else if (mr->kind == ODPH_MR_ODP) {
		odph_odp_dereg(mr);
	}
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
 * through windows too).  Sleeps.  A non-ODP MR needs nothing.  Returns 0,
 * -EACCES for a key that is not @qp's, or the mirror core's fault error.
 */
int odph_fault_key(struct odph_qp *qp, u32 key, u64 va, u32 len, bool write)
{
	struct odph_mr *mr = odph_rkey_get(qp, key, 0, va, len);
	int ret = 0;

	if (!mr)
		return -EACCES;
	if (mr->kind == ODPH_MR_ODP)
		ret = odph_odp_fault(mr, va, len, write);
	odph_mr_put(mr);
	return ret;
}

/* The page and offset of @va in a pinned MR. */
static struct page *odph_mr_page(struct odph_mr *mr, u64 va, u32 *off)
{
	u64 pos = va - mr->iova + mr->page_offset;

	*off = offset_in_page(pos);
	return mr->pages[pos >> PAGE_SHIFT];
}

/**
 * odph_mr_copy - copy @len bytes between @buf and the MR at @va
 * @to_mr: true to write the MR
 *
 * The caller checked bounds and permission with odph_mr_get().  Never
 * sleeps: returns -EAGAIN when an ODP page must be faulted first.
 */
int odph_mr_copy(struct odph_mr *mr, u64 va, void *buf, u32 len, bool to_mr)
{
	if (mr->kind == ODPH_MR_ODP)
		return odph_odp_copy(mr, va, buf, len, to_mr);
	while (len) {
		struct page *page;
		u32 off, n;
		void *p;

		if (mr->kind == ODPH_MR_DMA) {
			p = (void *)(uintptr_t)va;
			if (to_mr)
				memcpy(p, buf, len);
			else
				memcpy(buf, p, len);
			return 0;
		}
		page = odph_mr_page(mr, va, &off);
		n = min_t(u32, len, PAGE_SIZE - off);
		p = kmap_local_page(page);
		if (to_mr)
			memcpy(p + off, buf, n);
		else
			memcpy(buf, p + off, n);
		kunmap_local(p);
		va += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/**
 * odph_mr_atomic - the responder side of CMP_SWAP / FETCH_ADD at @va
 * @orig: the value found, returned to the requester
 *
 * @va must be 8-byte aligned (checked by the caller).  All atomics of all
 * devices serialise on one lock, as in rxe: atomic against each other, not
 * against CPU stores (IB_ATOMIC_HCA semantics).
 */
int odph_mr_atomic(struct odph_mr *mr, u64 va, u8 opcode, u64 swap_add,
		   u64 compare, u64 *orig)
{
	u64 *p, val;
	struct page *page;
	u32 off;
	void *map;

	if (mr->kind == ODPH_MR_ODP)
		return odph_odp_atomic(mr, va, opcode, swap_add, compare, orig,
				       &odph_atomic_lock);
	if (mr->kind == ODPH_MR_DMA) {
		map = NULL;
		p = (u64 *)(uintptr_t)va;
	} else {
		page = odph_mr_page(mr, va, &off);
		map = kmap_local_page(page);
		p = map + off;
	}

	spin_lock(&odph_atomic_lock);
	val = READ_ONCE(*p);
	*orig = val;
	if (opcode == ODPH_RC_CMP_SWAP) {
		if (val == compare)
			WRITE_ONCE(*p, swap_add);
	} else {
		WRITE_ONCE(*p, val + swap_add);
	}
	spin_unlock(&odph_atomic_lock);

	if (map)
		kunmap_local(map);
	return 0;
}
