// SPDX-License-Identifier: GPL-2.0
/*
 * odph on-demand paging: MRs registered with IB_ACCESS_ON_DEMAND mirror the
 * process through the ib_odp_hmm core instead of pinning it.  This is
 * their backend (odph_odp_mr_ops, see odph_mr.h), plus advise_mr and the
 * per-MR counters.
 *
 * The engines copy inside the core's access sections and never sleep
 * there: a copy that finds a page unmapped misses (odph_mr_copy() and
 * odph_sge_copy() return -EAGAIN), and the caller resolves it in a
 * context that may sleep (odph_fault_key()):
 *	- the requester (process context) faults and tries again;
 *	- the responder answers RNR NAK and queues the fault on the QP's
 *	  fault work; the peer retries after its RNR timer;
 *	- the completer drops the response; READ targets are prefetched for
 *	  write before the request goes out, so this is rare.
 */
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <rdma/restrack.h>

#include "odp_hmm.h"
#include "odph.h"

static unsigned long odp_window = 64 * 1024;
module_param(odp_window, ulong, 0644);
MODULE_PARM_DESC(odp_window, "ODP fault window in bytes (power of two)");

/**
 * odph_odp_reg - register an ODP MR: nothing is pinned or mapped
 * @start, @length: 0 and U64_MAX for an implicit MR of the whole process
 */
int odph_odp_reg(struct odph_mr *mr, u64 start, u64 length, u64 iova)
{
	struct odp_mirror_attr attr = {};
	struct odp_mirror *m;
	u64 first, last;

	if (start == 0 && length == U64_MAX) {
		attr.flags = ODP_MIRROR_IMPLICIT;
		mr->iova = 0;
		mr->length = U64_MAX;
	} else {
		if (check_add_overflow(start, length - 1, &last))
			return -EINVAL;
		first = ALIGN_DOWN(start, PAGE_SIZE);
		attr.va = first;
		attr.length = ALIGN(last + 1, PAGE_SIZE) - first;
		attr.iova = ALIGN_DOWN(iova, PAGE_SIZE);
	}
	m = odp_mirror_create(current->mm, &attr);
	if (IS_ERR(m))
		return PTR_ERR(m);
	mr->mirror = m;
	return 0;
}

static void odph_odp_release(struct odph_mr *mr)
{
	odp_mirror_destroy(mr->mirror);
	mr->mirror = NULL;
}

/* Pages one access section may cover in odph_odp_copy(). */
#define ODPH_ODP_COPY_BATCH	16

/*
 * Copy the part of [@iova, @iova + @len) in @iova's page; returns the
 * bytes copied or the lookup error.  Caller is in an access section.
 */
static int odph_odp_copy_page(struct odp_mirror *m, u64 iova, void *buf,
			      u32 len, enum odph_copy_dir dir)
{
	unsigned int access = dir == ODPH_TO_MR ? ODP_ACCESS_WRITE : 0;
	struct odp_xlate x;
	u32 off, n;
	void *p;
	int ret;

	ret = odp_mirror_lookup(m, iova, access, &x);
	if (ret)
		return ret;
	/*
	 * x.offset < PAGE_SIZE; masked, the compiler knows it too and, with
	 * n bounded by the page, inlines the memcpy (as in the pinned copy).
	 */
	off = offset_in_page(x.offset);
	n = min_t(u32, len, PAGE_SIZE - off);
	p = kmap_local_page(x.page);
	odph_copy_bytes(p + off, buf, n, dir);
	kunmap_local(p);
	return n;
}

/*
 * The backend's copy, never sleeping.  One access section covers up to
 * ODPH_ODP_COPY_BATCH pages (a packet's payload spans one or two), so the
 * section's barrier is paid per packet, not per page, and every byte is
 * copied inside one: no copy reaches a page after its invalidation has
 * returned.  Stops at the first page not mapped for this access (a miss:
 * returns the bytes copied before it); -ERANGE outside the mirror.
 */
static long odph_odp_copy(struct odph_mr *mr, u64 iova, void *buf, u32 len,
			  enum odph_copy_dir dir)
{
	struct odp_mirror *m = mr->mirror;
	u32 done = 0, pages;
	int n = 0;

	while (done < len && n >= 0) {
		odp_mirror_access_begin(m);
		for (pages = 0; done < len && pages < ODPH_ODP_COPY_BATCH;
		     pages++) {
			n = odph_odp_copy_page(m, iova + done, buf + done,
					       len - done, dir);
			if (n < 0)
				break;
			done += n;
		}
		odp_mirror_access_end(m);
	}
	if (n < 0 && n != -ENOENT)
		return n;
	return done;
}

/* CMP_SWAP / FETCH_ADD on an ODP MR; -EAGAIN when not mapped writable. */
static int odph_odp_atomic(struct odph_mr *mr, u64 iova, u8 opcode,
			   u64 swap_add, u64 compare, u64 *orig)
{
	struct odp_mirror *m = mr->mirror;
	struct odp_xlate x;
	int ret;

	odp_mirror_access_begin(m);
	ret = odp_mirror_lookup(m, iova, ODP_ACCESS_WRITE, &x);
	if (!ret) {
		void *p = kmap_local_page(x.page);

		*orig = odph_atomic_apply(p + x.offset, opcode, swap_add,
					  compare);
		kunmap_local(p);
	}
	odp_mirror_access_end(m);
	return ret == -ENOENT ? -EAGAIN : ret;
}

/*
 * Is every page of [@iova, @iova + @len) mapped for @access now?  Never
 * sleeps; ODPH_ODP_COPY_BATCH pages per access section, as in the copy.
 */
static bool odph_odp_mapped(struct odp_mirror *m, u64 iova, u32 len,
			    unsigned int access)
{
	u64 va = ALIGN_DOWN(iova, PAGE_SIZE), end = iova + len;
	struct odp_xlate x;
	bool mapped = true;
	u32 pages;

	while (mapped && va < end) {
		odp_mirror_access_begin(m);
		for (pages = 0; mapped && va < end &&
		     pages < ODPH_ODP_COPY_BATCH; pages++, va += PAGE_SIZE)
			mapped = !odp_mirror_lookup(m, va, access, &x);
		odp_mirror_access_end(m);
	}
	return mapped;
}

/*
 * Map [@iova, @iova + @len) of the MR, with the fault window.  Sleeps.
 * What is mapped already is left alone: a READ's or atomic's local
 * buffer is made writable before every request goes out (odph_req.c),
 * and a warm buffer must cost a lookup per page, not a fault (the core
 * would count one and walk the page tables again).  Returns 0 or the
 * core's error (-EFAULT: not mapped in the process; -EPERM: write to
 * read-only memory).
 */
static int odph_odp_fault(struct odph_mr *mr, u64 iova, u32 len, bool write)
{
	unsigned int access = write ? ODP_ACCESS_WRITE : 0;
	u64 window = READ_ONCE(odp_window);

	len = max_t(u32, len, 1);
	if (odph_odp_mapped(mr->mirror, iova, len, access))
		return 0;
	if (!is_power_of_2(window))
		window = PAGE_SIZE;
	return odp_mirror_fault(mr->mirror, iova, len, access, window);
}

/* ibv_advise_mr() / kernel advice on an ODP MR. */
static int odph_odp_prefetch(struct odph_mr *mr, u64 iova, u32 len,
			     bool write, bool no_fault)
{
	unsigned int flags = (write ? ODP_PREFETCH_WRITE : 0) |
			     (no_fault ? ODP_PREFETCH_NO_FAULT : 0);

	return odp_mirror_prefetch(mr->mirror, ALIGN_DOWN(iova, PAGE_SIZE),
				   ALIGN(iova + max_t(u32, len, 1), PAGE_SIZE) -
				   ALIGN_DOWN(iova, PAGE_SIZE), flags);
}

const struct odph_mr_ops odph_odp_mr_ops = {
	.copy = odph_odp_copy,
	.atomic = odph_odp_atomic,
	.fault = odph_odp_fault,
	.advise = odph_odp_prefetch,
	.release = odph_odp_release,
};

/* ---- advise_mr ---- */

/*
 * Errors, checked for every SGE before anything is prefetched (with or
 * without FLUSH):
 *	-EOPNOTSUPP	unknown advice (the core already rejects unknown flags
 *			with -EINVAL)
 *	-EINVAL		zero length, or an lkey that is no MR of this PD
 *	-EFAULT		a range not inside its MR
 *	-EACCES		PREFETCH_WRITE on an MR without LOCAL_WRITE
 * With FLUSH, the prefetch's own errors come back too: -EFAULT for memory
 * not mapped in the process (or beyond it, for an implicit MR), -EPERM for PREFETCH_WRITE on a read-only
 * mapping.  A pinned MR is always mapped: advice on it is a no-op (0).
 */
struct odph_advise {
	struct work_struct work;
	struct ib_device *ib;	/* referenced until the work ran */
	struct ib_pd *pd;	/* compared, never dereferenced */
	enum ib_uverbs_advise_mr_advice advice;
	u32 num_sge;
	struct ib_sge sge[];
};

/* The MR of @sge's lkey in @pd, referenced, whatever the range. */
static struct odph_mr *odph_advise_mr_get(struct odph_dev *dev,
					  struct ib_pd *pd,
					  const struct ib_sge *sge)
{
	struct odph_mr *mr;

	rcu_read_lock();
	mr = odph_entry_mr(xa_load(&dev->mrs, sge->lkey >> 8));
	if (!mr || mr->ib.lkey != sge->lkey || mr->ib.pd != pd ||
	    !refcount_inc_not_zero(&mr->ref))
		mr = NULL;
	rcu_read_unlock();
	return mr;
}

static int odph_advise_check_mr(struct odph_mr *mr, const struct ib_sge *sge,
				bool write)
{
	u64 end;

	if (check_add_overflow(sge->addr, (u64)sge->length, &end) ||
	    sge->addr < mr->iova || end > mr->iova + mr->length)
		return -EFAULT;
	if (write && !(mr->access & IB_ACCESS_LOCAL_WRITE))
		return -EACCES;
	return 0;
}

/* Look the SGE's MR up and check it; returns it referenced, or an error. */
static struct odph_mr *odph_advise_sge_mr(struct odph_dev *dev,
					  struct ib_pd *pd,
					  const struct ib_sge *sge, bool write)
{
	struct odph_mr *mr;
	int ret;

	if (!sge->length)
		return ERR_PTR(-EINVAL);
	mr = odph_advise_mr_get(dev, pd, sge);
	if (!mr)
		return ERR_PTR(-EINVAL);
	ret = odph_advise_check_mr(mr, sge, write);
	if (ret) {
		odph_mr_put(mr);
		return ERR_PTR(ret);
	}
	return mr;
}

static int odph_advise_check(struct odph_dev *dev, struct ib_pd *pd,
			     bool write, const struct ib_sge *sge, u32 num_sge)
{
	struct odph_mr *mr;
	u32 i;

	for (i = 0; i < num_sge; i++) {
		mr = odph_advise_sge_mr(dev, pd, &sge[i], write);
		if (IS_ERR(mr))
			return PTR_ERR(mr);
		odph_mr_put(mr);
	}
	return 0;
}

static int odph_advise_sges(struct odph_dev *dev, struct ib_pd *pd,
			    enum ib_uverbs_advise_mr_advice advice,
			    const struct ib_sge *sge, u32 num_sge)
{
	bool write = advice == IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE;
	bool no_fault = advice == IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT;
	int ret = 0;
	u32 i;

	for (i = 0; i < num_sge && !ret; i++) {
		struct odph_mr *mr = odph_advise_sge_mr(dev, pd, &sge[i],
							write);

		if (IS_ERR(mr))
			return PTR_ERR(mr);
		if (mr->ops->advise)
			ret = mr->ops->advise(mr, sge[i].addr, sge[i].length,
					      write, no_fault);
		odph_mr_put(mr);
	}
	/* Outside the mirror: an implicit MR beyond the user address space. */
	return ret == -ERANGE ? -EFAULT : ret;
}

static void odph_advise_work(struct work_struct *work)
{
	struct odph_advise *a = container_of(work, struct odph_advise, work);

	odph_advise_sges(to_odph_dev(a->ib), a->pd, a->advice, a->sge,
			 a->num_sge);
	ib_device_put(a->ib);
	kfree(a);
}

/**
 * odph_advise_mr - ibv_advise_mr(): prefetch ODP pages
 *
 * The SGEs are checked first (errors above).  With
 * IB_UVERBS_ADVISE_MR_FLAG_FLUSH the pages are mapped on return; otherwise
 * the prefetch runs later, best effort, its errors dropped.  The work
 * holds a device reference (unregistration waits for it) and never
 * dereferences the PD, which may be gone by then: it only compares it
 * with the MRs' (an MR that went away is skipped).
 */
int odph_advise_mr(struct ib_pd *pd, enum ib_uverbs_advise_mr_advice advice,
		   u32 flags, struct ib_sge *sg_list, u32 num_sge,
		   struct uverbs_attr_bundle *attrs)
{
	bool write = advice == IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE;
	struct odph_dev *dev = to_odph_dev(pd->device);
	struct odph_advise *a;
	int ret;

	if (advice > IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT)
		return -EOPNOTSUPP;
	if (flags & ~IB_UVERBS_ADVISE_MR_FLAG_FLUSH)
		return -EINVAL;
	ret = odph_advise_check(dev, pd, write, sg_list, num_sge);
	if (ret)
		return ret;
	if (flags & IB_UVERBS_ADVISE_MR_FLAG_FLUSH)
		return odph_advise_sges(dev, pd, advice, sg_list, num_sge);

	a = kmalloc(struct_size(a, sge, num_sge), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	if (!ib_device_try_get(pd->device))
		goto err_free;
	INIT_WORK(&a->work, odph_advise_work);
	a->ib = pd->device;
	a->pd = pd;
	a->advice = advice;
	a->num_sge = num_sge;
	memcpy(a->sge, sg_list, num_sge * sizeof(*sg_list));
	queue_work(odph_wq, &a->work);
	return 0;

err_free:
	kfree(a);
	return -ENODEV;
}

/* ---- per-MR counters for rdma tool (restrack) ---- */

static const char *const odph_odp_cnt_name[ODP_CNT_MAX] = {
	[ODP_CNT_FAULTS] = "odp_faults",
	[ODP_CNT_PAGES_FAULTED] = "odp_pages_faulted",
	[ODP_CNT_PAGES_SNAPSHOT] = "odp_pages_snapshot",
	[ODP_CNT_INVALIDATIONS] = "odp_invalidations",
	[ODP_CNT_PAGES_INVALIDATED] = "odp_pages_invalidated",
	[ODP_CNT_PREFETCHES] = "odp_prefetches",
	[ODP_CNT_FAULT_RETRIES] = "odp_fault_retries",
	[ODP_CNT_PAGES_DIRTIED] = "odp_pages_dirtied",
	[ODP_CNT_FAULT_ERRORS] = "odp_fault_errors",
};

/*
 * The MR's ODP counters as netlink attributes, nested in @nest_type as
 * iproute2 expects: name/value pairs through @put.
 */
static int odph_put_odp_counters(struct sk_buff *msg, struct ib_mr *ibmr,
				 int nest_type,
				 int (*put)(struct sk_buff *msg,
					    const char *name, u64 value))
{
	struct odph_mr *mr = to_odph_mr(ibmr);
	struct odp_counters c;
	struct nlattr *nest;
	int i;

	if (mr->kind != ODPH_MR_ODP)
		return 0;
	odp_mirror_counters(mr->mirror, &c);
	nest = nla_nest_start_noflag(msg, nest_type);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ODP_CNT_MAX; i++)
		if (put(msg, odph_odp_cnt_name[i], c.c[i]))
			goto err_cancel_nest;
	nla_nest_end(msg, nest);
	return 0;

err_cancel_nest:
	nla_nest_cancel(msg, nest);
	return -EMSGSIZE;
}

/* rdma resource show mr -d */
int odph_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
	return odph_put_odp_counters(msg, ibmr, RDMA_NLDEV_ATTR_DRIVER,
				     rdma_nl_put_driver_u64);
}

/* rdma statistic show mr */
int odph_fill_stat_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
	return odph_put_odp_counters(msg, ibmr, RDMA_NLDEV_ATTR_STAT_HWCOUNTERS,
				     rdma_nl_stat_hwcounter_entry);
}
