// SPDX-License-Identifier: GPL-2.0
/*
 * odph shared receive queues: a ring of receive WQEs (rxe user ABI layout)
 * that any QP created with it takes from.  The limit event fires once
 * when the ring drops below the armed limit.
 */

#include "odph.h"

int odph_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		    struct ib_udata *udata)
{
	struct odph_srq *srq = to_odph_srq(ibsrq);
	struct rxe_create_srq_resp resp = {};
	struct ib_srq_attr *a = &init->attr;
	struct ib_ucontext *uctx;
	u32 n = a->max_wr;
	int ret;

	if (init->srq_type != IB_SRQT_BASIC)
		return -EOPNOTSUPP;
	if (!a->max_wr || a->max_wr > ODPH_MAX_SRQ_WR ||
	    a->max_sge > ODPH_MAX_SGE || a->srq_limit > a->max_wr)
		return -EINVAL;
	ret = odph_queue_uctx(udata, sizeof(resp), &uctx);
	if (ret)
		return ret;
	spin_lock_init(&srq->lock);
	srq->user = udata;
	a->max_sge = max_t(u32, a->max_sge, 1);
	ret = odph_queue_init(&srq->q, &n, sizeof(struct rxe_recv_wqe) +
			      a->max_sge * sizeof(struct rxe_sge), uctx,
			      &resp.mi);
	if (ret)
		return ret;
	srq->max_sge = min_t(size_t, ((1UL << srq->q.log2_elem_size) -
				      sizeof(struct rxe_recv_wqe)) /
			     sizeof(struct rxe_sge), ODPH_MAX_SGE);
	srq->limit = a->srq_limit;
	a->max_wr = n;
	a->max_sge = srq->max_sge;
	if (udata) {
		resp.srq_num = 0;
		ret = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (ret) {
			odph_queue_fini(&srq->q);
			return ret;
		}
	}
	return 0;
}

int odph_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		    enum ib_srq_attr_mask mask, struct ib_udata *udata)
{
	struct odph_srq *srq = to_odph_srq(ibsrq);

	if (mask & IB_SRQ_MAX_WR)
		return -EOPNOTSUPP;	/* resize: not supported */
	if (mask & IB_SRQ_LIMIT) {
		if (attr->srq_limit > srq->q.index_mask)
			return -EINVAL;
		spin_lock_bh(&srq->lock);
		srq->limit = attr->srq_limit;
		spin_unlock_bh(&srq->lock);
	}
	return 0;
}

int odph_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr)
{
	struct odph_srq *srq = to_odph_srq(ibsrq);

	attr->max_wr = srq->q.index_mask;
	attr->max_sge = srq->max_sge;
	attr->srq_limit = srq->limit;
	return 0;
}

int odph_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata)
{
	odph_queue_fini(&to_odph_srq(ibsrq)->q);
	return 0;
}

int odph_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
		       const struct ib_recv_wr **bad)
{
	struct odph_srq *srq = to_odph_srq(ibsrq);
	int ret = 0;
	u32 prod, next;

	if (srq->user)
		return -EINVAL;
	spin_lock_bh(&srq->lock);
	for (; wr; wr = wr->next) {
		prod = srq->q.buf->producer_index;
		next = odph_queue_next(&srq->q, prod);
		if (next == srq->q.kidx || wr->num_sge > srq->max_sge) {
			ret = next == srq->q.kidx ? -ENOMEM : -EINVAL;
			break;
		}
		odph_recv_wqe_fill(odph_queue_slot(&srq->q, prod), wr);
		smp_store_release(&srq->q.buf->producer_index, next);
	}
	spin_unlock_bh(&srq->lock);
	if (ret)
		*bad = wr;
	return ret;
}

/* Caller must hold srq->lock. */
static void odph_srq_check_limit(struct odph_srq *srq)
{
	struct ib_event ev = {
		.device = srq->ib.device,
		.element.srq = &srq->ib,
		.event = IB_EVENT_SRQ_LIMIT_REACHED,
	};
	u32 left;

	lockdep_assert_held(&srq->lock);
	if (!srq->limit)
		return;
	left = (odph_queue_user_prod(&srq->q) - srq->q.kidx) & srq->q.index_mask;
	if (left >= srq->limit)
		return;
	srq->limit = 0;		/* fires once, until armed again */
	if (srq->ib.event_handler)
		srq->ib.event_handler(&ev, srq->ib.srq_context);
}

/**
 * odph_ring_take_rwqe - copy the oldest receive WQE of @q into @r and
 * consume its slot.  Returns false when the ring is empty.
 * @max_sge: what a slot of @q can hold; a larger num_sge is clamped
 */
bool odph_ring_take_rwqe(struct odph_queue *q, u32 max_sge,
			 struct odph_rwqe *r)
{
	struct rxe_recv_wqe *w;
	u32 i;

	if (q->kidx == odph_queue_user_prod(q))
		return false;
	w = odph_queue_slot(q, q->kidx);
	r->wr_id = READ_ONCE(w->wr_id);
	r->num_sge = min_t(u32, READ_ONCE(w->dma.num_sge), max_sge);
	memcpy(r->sge, w->dma.sge, r->num_sge * sizeof(struct rxe_sge));
	r->length = 0;
	for (i = 0; i < r->num_sge; i++)
		r->length += r->sge[i].length;
	odph_queue_set_kidx(q, odph_queue_next(q, q->kidx), false);
	return true;
}

/* Take from an SRQ, shared by QPs: under its own lock. */
bool odph_srq_take_rwqe(struct odph_srq *srq, struct odph_rwqe *r)
{
	bool ok;

	spin_lock_bh(&srq->lock);
	ok = odph_ring_take_rwqe(&srq->q, srq->max_sge, r);
	if (ok)
		odph_srq_check_limit(srq);
	spin_unlock_bh(&srq->lock);
	return ok;
}
