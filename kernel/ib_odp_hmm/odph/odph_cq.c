// SPDX-License-Identifier: GPL-2.0
/*
 * odph completion queues.  User CQs are rings of struct ib_uverbs_wc that
 * librxe polls without a system call; kernel CQs are rings of struct ib_wc.
 * The engines produce completions with odph_cq_post().
 */

#include "odph.h"

int odph_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		   struct ib_udata *udata)
{
	struct odph_cq *cq = to_odph_cq(ibcq);
	struct rxe_create_cq_resp resp = {};
	struct ib_ucontext *uctx;
	u32 nelem = attr->cqe;
	size_t elem;
	int ret;

	if (attr->flags)
		return -EOPNOTSUPP;
	if (!attr->cqe || attr->cqe >= ODPH_MAX_CQE)
		return -EINVAL;
	ret = odph_queue_uctx(udata, sizeof(resp), &uctx);
	if (ret)
		return ret;
	cq->user = udata;
	elem = cq->user ? sizeof(struct ib_uverbs_wc) : sizeof(struct ib_wc);
	spin_lock_init(&cq->lock);
	ret = odph_queue_init(&cq->q, &nelem, elem, uctx, &resp.mi);
	if (ret)
		return ret;
	cq->ib.cqe = nelem;
	if (udata) {
		ret = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (ret)
			goto err_fini;
	}
	return 0;

err_fini:
	odph_queue_fini(&cq->q);
	return ret;
}

/* The consumer's index.  Caller must hold cq->lock. */
static u32 odph_cq_cons(struct odph_cq *cq)
{
	lockdep_assert_held(&cq->lock);
	return cq->user ? odph_queue_user_cons(&cq->q) :
			  cq->q.buf->consumer_index;
}

/*
 * Move the completions not yet polled from @cq's ring to the start of
 * @nq, which becomes the CQ's ring.  -EINVAL if they do not fit.
 */
/* Caller must hold cq->lock. */
static int odph_cq_swap_ring(struct odph_cq *cq, struct odph_queue *nq,
			     u32 nelem)
{
	u32 cons = odph_cq_cons(cq), n = 0;
	size_t elem = 1UL << cq->q.log2_elem_size;
	struct odph_queue old;

	lockdep_assert_held(&cq->lock);
	if (((cq->q.kidx - cons) & cq->q.index_mask) > nelem)
		return -EINVAL;
	for (; cons != cq->q.kidx; cons = odph_queue_next(&cq->q, cons), n++)
		memcpy(odph_queue_slot(nq, n), odph_queue_slot(&cq->q, cons),
		       elem);
	odph_queue_set_kidx(nq, n, true);
	old = cq->q;
	cq->q = *nq;
	*nq = old;
	cq->ib.cqe = nelem;
	return 0;
}

/*
 * resize_cq: a new ring (mapped by userspace in place of the old one)
 * that keeps the completions not yet polled, in order.
 */
int odph_resize_cq(struct ib_cq *ibcq, int cqe, struct ib_udata *udata)
{
	struct odph_cq *cq = to_odph_cq(ibcq);
	struct rxe_resize_cq_resp resp = {};
	struct ib_ucontext *uctx;
	struct odph_queue nq = {};
	unsigned long flags;
	u32 nelem = cqe;
	int ret;

	if (cqe <= 0 || cqe >= ODPH_MAX_CQE)
		return -EINVAL;
	ret = odph_queue_uctx(udata, sizeof(resp), &uctx);
	if (ret)
		return ret;
	ret = odph_queue_init(&nq, &nelem, 1UL << cq->q.log2_elem_size, uctx,
			      &resp.mi);
	if (ret)
		return ret;
	if (udata) {
		ret = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (ret)
			goto out_fini;
	}
	spin_lock_irqsave(&cq->lock, flags);
	ret = odph_cq_swap_ring(cq, &nq, nelem);
	spin_unlock_irqrestore(&cq->lock, flags);
out_fini:
	odph_queue_fini(&nq);	/* the old ring, or the unused new one */
	return ret;
}

int odph_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata)
{
	odph_queue_fini(&to_odph_cq(ibcq)->q);
	return 0;
}

static void odph_cq_overflow(struct odph_cq *cq)
{
	struct ib_event ev = {
		.device = cq->ib.device,
		.element.cq = &cq->ib,
		.event = IB_EVENT_CQ_ERR,
	};

	if (cq->overflowed)
		return;
	cq->overflowed = true;
	if (cq->ib.event_handler)
		cq->ib.event_handler(&ev, cq->ib.cq_context);
}

/*
 * librxe copies the ring's entries into struct ibv_wc as they are, so the
 * flags must be libibverbs' ones.  They equal the kernel's but for
 * invalidation: IBV_WC_WITH_INV is bit 3, where the kernel has
 * IB_WC_IP_CSUM_OK; the kernel's IB_WC_WITH_INVALIDATE (bit 2) would read
 * as IBV_WC_IP_CSUM_OK (which is what rxe 6.1 reports).
 */
#define ODPH_UWC_WITH_INV	(1 << 3)

static u32 odph_wc_flags_to_user(int flags)
{
	if (!(flags & IB_WC_WITH_INVALIDATE))
		return flags;
	return (flags & ~IB_WC_WITH_INVALIDATE) | ODPH_UWC_WITH_INV;
}

static void odph_wc_to_user(const struct ib_wc *wc, struct ib_uverbs_wc *u)
{
	memset(u, 0, sizeof(*u));
	u->wr_id = wc->wr_id;
	u->status = wc->status;
	u->opcode = wc->opcode;
	u->vendor_err = wc->vendor_err;
	u->byte_len = wc->byte_len;
	u->ex.imm_data = (__force __u32)wc->ex.imm_data;
	u->qp_num = wc->qp->qp_num;
	u->src_qp = wc->src_qp;
	u->wc_flags = odph_wc_flags_to_user(wc->wc_flags);
	u->pkey_index = wc->pkey_index;
	u->slid = wc->slid;
	u->sl = wc->sl;
	u->dlid_path_bits = wc->dlid_path_bits;
	u->port_num = wc->port_num;
}

/**
 * odph_cq_post - add a completion; wakes the consumer if it armed the CQ
 * @solicited: the completion is for a solicited event
 *
 * Returns -ENOSPC, and reports IB_EVENT_CQ_ERR once, when the CQ is full.
 */
int odph_cq_post(struct odph_cq *cq, const struct ib_wc *wc, bool solicited)
{
	unsigned long flags;
	bool notify;
	u32 next;
	void *slot;

	spin_lock_irqsave(&cq->lock, flags);
	next = odph_queue_next(&cq->q, cq->q.kidx);
	if (next == (cq->user ? odph_queue_user_cons(&cq->q) :
				 cq->q.buf->consumer_index)) {
		odph_cq_overflow(cq);
		spin_unlock_irqrestore(&cq->lock, flags);
		return -ENOSPC;
	}
	slot = odph_queue_slot(&cq->q, cq->q.kidx);
	if (cq->user)
		odph_wc_to_user(wc, slot);
	else
		memcpy(slot, wc, sizeof(*wc));
	odph_queue_set_kidx(&cq->q, next, true);

	notify = cq->notify == IB_CQ_NEXT_COMP ||
		 (cq->notify == IB_CQ_SOLICITED &&
		  (solicited || wc->status != IB_WC_SUCCESS));
	if (notify)
		cq->notify = 0;
	spin_unlock_irqrestore(&cq->lock, flags);

	if (notify && cq->ib.comp_handler)
		cq->ib.comp_handler(&cq->ib, cq->ib.cq_context);
	return 0;
}

/* Kernel CQs only: userspace polls its ring directly. */
int odph_poll_cq(struct ib_cq *ibcq, int num, struct ib_wc *wc)
{
	struct odph_cq *cq = to_odph_cq(ibcq);
	unsigned long flags;
	u32 cons;
	int n;

	spin_lock_irqsave(&cq->lock, flags);
	cons = cq->q.buf->consumer_index;
	for (n = 0; n < num && cons != cq->q.kidx; n++) {
		memcpy(&wc[n], odph_queue_slot(&cq->q, cons), sizeof(*wc));
		cons = odph_queue_next(&cq->q, cons);
	}
	cq->q.buf->consumer_index = cons;
	spin_unlock_irqrestore(&cq->lock, flags);
	return n;
}

int odph_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags)
{
	struct odph_cq *cq = to_odph_cq(ibcq);
	unsigned long irqflags;
	int ret = 0;
	u32 cons;

	spin_lock_irqsave(&cq->lock, irqflags);
	if (cq->notify != IB_CQ_NEXT_COMP)
		cq->notify = flags & IB_CQ_SOLICITED_MASK;
	cons = cq->user ? odph_queue_user_cons(&cq->q) :
			  cq->q.buf->consumer_index;
	if ((flags & IB_CQ_REPORT_MISSED_EVENTS) && cons != cq->q.kidx)
		ret = 1;
	spin_unlock_irqrestore(&cq->lock, irqflags);
	return ret;
}
