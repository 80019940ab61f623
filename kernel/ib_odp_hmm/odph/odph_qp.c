// SPDX-License-Identifier: GPL-2.0
/*
 * odph queue pairs: creation, the attribute/state machine of modify_qp,
 * queries, destruction, and the kernel consumers' post_send / post_recv.
 *
 * Legal transitions and required attributes come from the core's table
 * (ib_modify_qp_is_ok()); this file applies what it allows.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "odph.h"

#define ODPH_FIRST_QPN	16

/* ---- lookup from the receive path ---- */

/* A referenced QP for @qpn, or NULL.  Callable in softirq. */
struct odph_qp *odph_qp_get(struct odph_dev *dev, u32 qpn)
{
	struct odph_qp *qp;

	rcu_read_lock();
	qp = xa_load(&dev->qps, qpn);
	if (qp && !refcount_inc_not_zero(&qp->ref))
		qp = NULL;
	rcu_read_unlock();
	return qp;
}

void odph_qp_put(struct odph_qp *qp)
{
	if (refcount_dec_and_test(&qp->ref))
		complete(&qp->released);
}

/* ---- creation ---- */

static int odph_check_cap(struct ib_qp_init_attr *init)
{
	struct ib_qp_cap *cap = &init->cap;

	if (init->qp_type != IB_QPT_RC && init->qp_type != IB_QPT_UC &&
	    init->qp_type != IB_QPT_UD && init->qp_type != IB_QPT_GSI)
		return -EOPNOTSUPP;
	if (init->create_flags)
		return -EOPNOTSUPP;
	/* Zero WRs on either queue is allowed (a send- or receive-only QP). */
	if (cap->max_send_wr > ODPH_MAX_QP_WR ||
	    cap->max_send_sge > ODPH_MAX_SGE ||
	    cap->max_inline_data > ODPH_MAX_INLINE)
		return -EINVAL;
	if (!init->srq && (cap->max_recv_wr > ODPH_MAX_QP_WR ||
			   cap->max_recv_sge > ODPH_MAX_SGE))
		return -EINVAL;
	return 0;
}

static size_t odph_sq_payload(struct ib_qp_cap *cap)
{
	return max_t(size_t, cap->max_send_sge * sizeof(struct rxe_sge),
		     cap->max_inline_data);
}

static int odph_qp_init_sq(struct odph_qp *qp, struct ib_qp_init_attr *init,
			   struct ib_ucontext *uctx, struct mminfo *mi)
{
	struct ib_qp_cap *cap = &init->cap;
	size_t elem, payload;
	u32 n = cap->max_send_wr;
	int ret;

	cap->max_send_sge = max_t(u32, cap->max_send_sge, 1);
	payload = odph_sq_payload(cap);
	elem = sizeof(struct rxe_send_wqe) + payload;
	ret = odph_queue_init(&qp->sq, &n, elem, uctx, mi);
	if (ret)
		return ret;
	/* What fits in a slot is what the consumer may use. */
	payload = (1UL << qp->sq.log2_elem_size) - sizeof(struct rxe_send_wqe);
	cap->max_send_wr = n;
	cap->max_send_sge = min_t(size_t, payload / sizeof(struct rxe_sge),
				  ODPH_MAX_SGE);
	cap->max_inline_data = min_t(size_t, payload, ODPH_MAX_INLINE);
	qp->sq_max_sge = cap->max_send_sge;
	qp->sq_max_inline = cap->max_inline_data;

	qp->swqe_size = sizeof(struct odph_swqe) +
			max_t(size_t, qp->sq_max_sge * sizeof(struct rxe_sge),
			      qp->sq_max_inline);
	qp->swqes = vzalloc(array_size(qp->sq.index_mask + 1, qp->swqe_size));
	if (!qp->swqes) {
		odph_queue_fini(&qp->sq);
		return -ENOMEM;
	}
	return 0;
}

static int odph_qp_init_rq(struct odph_qp *qp, struct ib_qp_init_attr *init,
			   struct ib_ucontext *uctx, struct mminfo *mi)
{
	struct ib_qp_cap *cap = &init->cap;
	u32 n = cap->max_recv_wr;
	size_t elem;
	int ret;

	if (init->srq)
		return 0;
	cap->max_recv_sge = max_t(u32, cap->max_recv_sge, 1);
	elem = sizeof(struct rxe_recv_wqe) +
	       cap->max_recv_sge * sizeof(struct rxe_sge);
	ret = odph_queue_init(&qp->rq, &n, elem, uctx, mi);
	if (ret)
		return ret;
	cap->max_recv_wr = n;
	cap->max_recv_sge = min_t(size_t, ((1UL << qp->rq.log2_elem_size) -
					   sizeof(struct rxe_recv_wqe)) /
				  sizeof(struct rxe_sge), ODPH_MAX_SGE);
	qp->rq_max_sge = cap->max_recv_sge;
	return 0;
}

static void odph_qp_fini_queues(struct odph_qp *qp)
{
	if (qp->rq.buf)
		odph_queue_fini(&qp->rq);
	vfree(qp->swqes);
	odph_queue_fini(&qp->sq);
}

static int odph_qp_alloc_qpn(struct odph_dev *dev, struct odph_qp *qp,
			     enum ib_qp_type type)
{
	u32 qpn;
	int ret;

	if (type == IB_QPT_GSI) {
		ret = xa_insert(&dev->qps, 1, qp, GFP_KERNEL);
		qpn = 1;
	} else {
		ret = xa_alloc_cyclic(&dev->qps, &qpn, qp,
				      XA_LIMIT(ODPH_FIRST_QPN, ODPH_QPN_MASK),
				      &dev->next_qpn, GFP_KERNEL);
		ret = ret < 0 ? ret : 0;
	}
	if (!ret)
		qp->ib.qp_num = qpn;
	return ret;
}

/* QP identities that are never reused (type 2 memory windows name them). */
static atomic64_t odph_qp_uids = ATOMIC64_INIT(0);

static void odph_qp_init_state(struct odph_qp *qp, struct ib_qp_init_attr *init)
{
	qp->uid = atomic64_inc_return(&odph_qp_uids);
	spin_lock_init(&qp->state_lock);
	spin_lock_init(&qp->sq_lock);
	spin_lock_init(&qp->rq_lock);
	refcount_set(&qp->ref, 1);
	init_completion(&qp->released);
	qp->state = IB_QPS_RESET;
	qp->attr.qp_state = IB_QPS_RESET;
	qp->mtu = 1024;
	qp->scq = to_odph_cq(init->send_cq);
	qp->rcq = to_odph_cq(init->recv_cq);
	qp->srq = init->srq ? to_odph_srq(init->srq) : NULL;
	qp->sq_sig_all = init->sq_sig_type == IB_SIGNAL_ALL_WR;
	timer_setup(&qp->retry_timer, odph_comp_retry_timer, 0);
	hrtimer_init(&qp->rnr_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	qp->rnr_timer.function = odph_comp_rnr_timer;
	INIT_WORK(&qp->req_work, odph_req_work);
	INIT_WORK(&qp->fault_work, odph_resp_fault_work);
}

int odph_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		   struct ib_udata *udata)
{
	struct odph_dev *dev = to_odph_dev(ibqp->device);
	struct odph_qp *qp = to_odph_qp(ibqp);
	struct rxe_create_qp_resp resp = {};
	struct ib_ucontext *uctx;
	int ret;

	ret = odph_check_cap(init);
	if (ret)
		return ret;
	ret = odph_queue_uctx(udata, sizeof(resp), &uctx);
	if (ret)
		return ret;
	qp->dev = dev;
	qp->user = udata;
	odph_qp_init_state(qp, init);

	qp->resp.res = kcalloc(ODPH_MAX_RD_ATOMIC, sizeof(*qp->resp.res),
			       GFP_KERNEL);
	qp->resp.rwqe = kmalloc(struct_size(qp->resp.rwqe, sge, ODPH_MAX_SGE),
				GFP_KERNEL);
	if (!qp->resp.res || !qp->resp.rwqe) {
		ret = -ENOMEM;
		goto err_free_res;
	}
	ret = odph_qp_init_sq(qp, init, uctx, &resp.sq_mi);
	if (ret)
		goto err_free_res;
	ret = odph_qp_init_rq(qp, init, uctx, &resp.rq_mi);
	if (ret)
		goto err_fini_sq;
	if (udata) {
		ret = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (ret)
			goto err_fini_queues;
	}
	ret = odph_qp_alloc_qpn(dev, qp, init->qp_type);
	if (ret)
		goto err_fini_queues;
	return 0;

err_fini_queues:
	odph_qp_fini_queues(qp);
	goto err_free_res;
err_fini_sq:
	vfree(qp->swqes);
	odph_queue_fini(&qp->sq);
err_free_res:
	kfree(qp->resp.rwqe);
	kfree(qp->resp.res);
	return ret;
}

/* ---- modify / query ---- */

/* Caller holds state_lock: the state checked is the one it applies to. */
static int odph_qp_check_attr(struct odph_qp *qp, struct ib_qp_attr *attr,
			      int mask)
{
	enum ib_qp_state cur = mask & IB_QP_CUR_STATE ? attr->cur_qp_state :
							qp->state;
	enum ib_qp_state next = mask & IB_QP_STATE ? attr->qp_state : cur;

	if (!ib_modify_qp_is_ok(cur, next, qp->ib.qp_type, mask))
		return -EINVAL;
	if ((mask & IB_QP_PORT) && attr->port_num != ODPH_PORT)
		return -EINVAL;
	if ((mask & IB_QP_PKEY_INDEX) && attr->pkey_index)
		return -EINVAL;
	if ((mask & IB_QP_MAX_QP_RD_ATOMIC) &&
	    attr->max_rd_atomic > ODPH_MAX_RD_ATOMIC)
		return -EINVAL;
	if ((mask & IB_QP_MAX_DEST_RD_ATOMIC) &&
	    attr->max_dest_rd_atomic > ODPH_MAX_RD_ATOMIC)
		return -EINVAL;
	if ((mask & IB_QP_PATH_MTU) &&
	    (attr->path_mtu < IB_MTU_256 || attr->path_mtu > IB_MTU_4096))
		return -EINVAL;
	if ((mask & IB_QP_DEST_QPN) && attr->dest_qp_num > ODPH_QPN_MASK)
		return -EINVAL;
	return 0;
}

/*
 * Take every QP lock, in order (see struct odph_qp): what the engines read
 * under sq_lock or rq_lock is then stable for them.
 */
static void odph_qp_lock_all(struct odph_qp *qp)
	__acquires(&qp->state_lock) __acquires(&qp->sq_lock)
	__acquires(&qp->rq_lock)
{
	spin_lock_bh(&qp->state_lock);
	spin_lock(&qp->sq_lock);
	spin_lock(&qp->rq_lock);
}

static void odph_qp_unlock_all(struct odph_qp *qp)
	__releases(&qp->rq_lock) __releases(&qp->sq_lock)
	__releases(&qp->state_lock)
{
	spin_unlock(&qp->rq_lock);
	spin_unlock(&qp->sq_lock);
	spin_unlock_bh(&qp->state_lock);
}

/* Caller holds every QP lock (odph_qp_lock_all()). */
static void odph_qp_apply(struct odph_qp *qp, struct ib_qp_attr *attr,
			  int mask, struct odph_path *path)
{
	lockdep_assert_held(&qp->state_lock);
	lockdep_assert_held(&qp->sq_lock);
	lockdep_assert_held(&qp->rq_lock);
	if (mask & IB_QP_AV)
		qp->path = *path;
	if (mask & IB_QP_PATH_MTU) {
		qp->attr.path_mtu = attr->path_mtu;
		qp->mtu = ib_mtu_enum_to_int(attr->path_mtu);
	}
	if (mask & IB_QP_SQ_PSN) {
		qp->attr.sq_psn = attr->sq_psn & ODPH_PSN_MASK;
		qp->req_psn = qp->attr.sq_psn;
	}
	if (mask & IB_QP_RQ_PSN) {
		qp->attr.rq_psn = attr->rq_psn & ODPH_PSN_MASK;
		qp->resp.psn = qp->attr.rq_psn;
	}
	if (mask & IB_QP_ACCESS_FLAGS)
		qp->attr.qp_access_flags = attr->qp_access_flags;
	if (mask & IB_QP_QKEY)
		qp->attr.qkey = attr->qkey;
	if (mask & IB_QP_DEST_QPN)
		qp->attr.dest_qp_num = attr->dest_qp_num;
	if (mask & IB_QP_TIMEOUT)
		qp->attr.timeout = attr->timeout;
	if (mask & IB_QP_RETRY_CNT)
		qp->attr.retry_cnt = attr->retry_cnt;
	if (mask & IB_QP_RNR_RETRY)
		qp->attr.rnr_retry = attr->rnr_retry;
	if (mask & IB_QP_MIN_RNR_TIMER)
		qp->attr.min_rnr_timer = attr->min_rnr_timer;
	if (mask & IB_QP_MAX_QP_RD_ATOMIC)
		qp->attr.max_rd_atomic = attr->max_rd_atomic;
	if (mask & IB_QP_MAX_DEST_RD_ATOMIC)
		qp->attr.max_dest_rd_atomic = attr->max_dest_rd_atomic;
	if (mask & IB_QP_PKEY_INDEX)
		qp->attr.pkey_index = attr->pkey_index;
	if (mask & IB_QP_PORT)
		qp->attr.port_num = attr->port_num;
	if (mask & IB_QP_STATE) {
		WRITE_ONCE(qp->state, attr->qp_state);
		qp->attr.qp_state = attr->qp_state;
		/* UD has no path MTU: a datagram may be as big as the port's. */
		if (odph_qp_is_ud(qp))
			qp->mtu = odph_port_mtu(qp->dev);
	}
}

/* UDP source port: flow entropy from the two QP numbers, as rxe does. */
static void odph_qp_set_sport(struct odph_qp *qp, struct odph_path *path)
{
	u32 fl = path->flow_label ? path->flow_label :
		 rdma_calc_flow_label(qp->ib.qp_num, qp->attr.dest_qp_num);

	path->sport = cpu_to_be16(rdma_flow_label_to_udp_sport(fl));
}

/*
 * The QP has just moved to RESET: its engines ignore it from now on.  Stop
 * its timers and work, then forget every posted WQE (without completions,
 * as the spec says for RESET) and empty both rings.
 */
static void odph_qp_reset(struct odph_qp *qp)
{
	del_timer_sync(&qp->retry_timer);
	hrtimer_cancel(&qp->rnr_timer);
	cancel_work_sync(&qp->req_work);
	cancel_work_sync(&qp->fault_work);

	spin_lock_bh(&qp->sq_lock);
	memset(qp->swqes, 0, array_size(qp->sq.index_mask + 1, qp->swqe_size));
	qp->sq_fetch = 0;
	qp->sq_cur = 0;
	qp->req_psn = qp->attr.sq_psn;
	qp->ssn = 0;
	qp->rd_atomic_out = 0;
	qp->retry_cnt = 0;
	qp->rnr_retry_cnt = 0;
	qp->req_fault.pending = false;
	qp->sq_draining = false;
	odph_queue_reset(&qp->sq);
	spin_unlock_bh(&qp->sq_lock);

	spin_lock_bh(&qp->rq_lock);
	qp->resp.rkey = 0;
	qp->resp.rwqe_valid = false;
	qp->resp.in_msg = false;
	qp->resp.nak_sent = false;
	qp->resp.fatal = false;
	qp->resp.msn = 0;
	qp->resp.res_head = 0;
	qp->resp.read_more = false;
	memset(qp->resp.res, 0, ODPH_MAX_RD_ATOMIC * sizeof(*qp->resp.res));
	qp->resp_fault.pending = false;
	qp->resp_fault.error = 0;
	if (qp->rq.buf)
		odph_queue_reset(&qp->rq);
	spin_unlock_bh(&qp->rq_lock);
}

int odph_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		   struct ib_udata *udata)
{
	struct odph_qp *qp = to_odph_qp(ibqp);
	struct odph_path path;
	bool to_err, to_reset;
	int ret;

	if (mask & ~IB_QP_ATTR_STANDARD_BITS)
		return -EOPNOTSUPP;
	if (mask & IB_QP_AV) {
		/* a route lookup, which may sleep: before the locks */
		ret = odph_path_from_ah(qp->dev, &path, &attr->ah_attr);
		if (ret)
			return ret;
	}

	odph_qp_lock_all(qp);
	/* checked against the state it applies to, in one step */
	ret = odph_qp_check_attr(qp, attr, mask);
	if (ret) {
		odph_qp_unlock_all(qp);
		return ret;
	}
	odph_qp_apply(qp, attr, mask, &path);
	if (mask & (IB_QP_AV | IB_QP_DEST_QPN))
		odph_qp_set_sport(qp, &qp->path);
	to_err = (mask & IB_QP_STATE) && attr->qp_state == IB_QPS_ERR;
	to_reset = (mask & IB_QP_STATE) && attr->qp_state == IB_QPS_RESET;
	odph_qp_unlock_all(qp);

	if (to_reset)
		odph_qp_reset(qp);
	else if (to_err)
		odph_qp_error(qp);
	else if ((mask & IB_QP_STATE) && attr->qp_state == IB_QPS_RTS)
		odph_req_kick(qp);
	return 0;
}

int odph_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		  struct ib_qp_init_attr *init)
{
	struct odph_qp *qp = to_odph_qp(ibqp);

	spin_lock_bh(&qp->state_lock);
	*attr = qp->attr;
	attr->qp_state = qp->state;
	attr->cur_qp_state = qp->state;
	spin_unlock_bh(&qp->state_lock);

	attr->cap.max_send_wr = qp->sq.index_mask;
	attr->cap.max_send_sge = qp->sq_max_sge;
	attr->cap.max_inline_data = qp->sq_max_inline;
	attr->cap.max_recv_wr = qp->srq ? 0 : qp->rq.index_mask;
	attr->cap.max_recv_sge = qp->rq_max_sge;
	attr->path_mig_state = IB_MIG_MIGRATED;

	memset(init, 0, sizeof(*init));
	init->send_cq = qp->ib.send_cq;
	init->recv_cq = qp->ib.recv_cq;
	init->srq = qp->ib.srq;
	init->cap = attr->cap;
	init->qp_type = qp->ib.qp_type;
	init->sq_sig_type = qp->ib.qp_type == IB_QPT_GSI ? IB_SIGNAL_ALL_WR :
							   IB_SIGNAL_REQ_WR;
	return 0;
}

/* Move to the error state and flush both queues (modify_qp to ERR). */
void odph_qp_error(struct odph_qp *qp)
{
	odph_qp_lock_all(qp);
	WRITE_ONCE(qp->state, IB_QPS_ERR);
	qp->attr.qp_state = IB_QPS_ERR;
	odph_qp_unlock_all(qp);
	odph_req_flush(qp);
	odph_resp_flush(qp);
}

/**
 * odph_qp_fail - an engine's error moves the QP to ERR
 * @qp: the QP whose WQE failed, or whose responder met a fatal error
 *
 * Only a QP that can carry traffic (RTR, RTS, SQD, SQE) moves, and the
 * check and the move are one step under state_lock: a packet that raced
 * with the consumer's modify_qp(RESET) or a move to ERR changes nothing.
 *
 * Context: process or softirq; takes state_lock, sq_lock and rq_lock.
 */
void odph_qp_fail(struct odph_qp *qp)
{
	bool live;

	odph_qp_lock_all(qp);
	switch (qp->state) {
	case IB_QPS_RTR:
	case IB_QPS_RTS:
	case IB_QPS_SQD:
	case IB_QPS_SQE:
		live = true;
		WRITE_ONCE(qp->state, IB_QPS_ERR);
		qp->attr.qp_state = IB_QPS_ERR;
		break;
	default:
		live = false;
	}
	odph_qp_unlock_all(qp);
	if (!live)
		return;
	odph_req_flush(qp);
	odph_resp_flush(qp);
}

/*
 * Stop the QP's timers and work items for good.  A work item that saw
 * dying == false may arm a timer after the first round's del_timer_sync(),
 * and a timer that fired before dying was set may have queued work; the
 * second round catches both, and nothing after it re-arms.
 */
static void odph_qp_quiesce(struct odph_qp *qp)
{
	int round;

	WRITE_ONCE(qp->dying, true);
	for (round = 0; round < 2; round++) {
		del_timer_sync(&qp->retry_timer);
		hrtimer_cancel(&qp->rnr_timer);
		cancel_work_sync(&qp->req_work);
		cancel_work_sync(&qp->fault_work);
	}
}

int odph_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata)
{
	struct odph_qp *qp = to_odph_qp(ibqp);

	xa_erase(&qp->dev->qps, qp->ib.qp_num);
	odph_qp_put(qp);
	wait_for_completion(&qp->released);
	odph_qp_quiesce(qp);
	odph_qp_fini_queues(qp);
	kfree(qp->resp.rwqe);
	kfree(qp->resp.res);
	return 0;
}

/* ---- kernel consumers ---- */

static int odph_kernel_wr(struct odph_qp *qp, const struct ib_send_wr *wr,
			  struct rxe_send_wqe *w)
{
	size_t room = (1UL << qp->sq.log2_elem_size) - sizeof(*w);
	int i;

	if (wr->num_sge > qp->sq_max_sge)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->wr.wr_id = wr->wr_id;
	w->wr.opcode = wr->opcode;
	w->wr.send_flags = wr->send_flags & ~IB_SEND_INLINE;
	w->wr.ex.imm_data = (__force __be32)wr->ex.imm_data;
	switch (wr->opcode) {
	case IB_WR_RDMA_WRITE:
	case IB_WR_RDMA_WRITE_WITH_IMM:
	case IB_WR_RDMA_READ:
		w->wr.wr.rdma.remote_addr = rdma_wr(wr)->remote_addr;
		w->wr.wr.rdma.rkey = rdma_wr(wr)->rkey;
		break;
	case IB_WR_ATOMIC_CMP_AND_SWP:
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		w->wr.wr.atomic.remote_addr = atomic_wr(wr)->remote_addr;
		w->wr.wr.atomic.compare_add = atomic_wr(wr)->compare_add;
		w->wr.wr.atomic.swap = atomic_wr(wr)->swap;
		w->wr.wr.atomic.rkey = atomic_wr(wr)->rkey;
		break;
	case IB_WR_SEND:
	case IB_WR_SEND_WITH_IMM:
		if (!odph_qp_is_ud(qp))
			break;
		w->wr.wr.ud.remote_qpn = ud_wr(wr)->remote_qpn;
		w->wr.wr.ud.remote_qkey = ud_wr(wr)->remote_qkey;
		w->wr.wr.ud.ah_num = to_odph_ah(ud_wr(wr)->ah)->ah_num;
		break;
	case IB_WR_SEND_WITH_INV:	/* ex.invalidate_rkey: copied above */
	case IB_WR_LOCAL_INV:
		break;
	default:
		return -EINVAL;
	}
	if (wr->num_sge * sizeof(struct rxe_sge) > room)
		return -EINVAL;
	for (i = 0; i < wr->num_sge; i++) {
		w->dma.sge[i].addr = wr->sg_list[i].addr;
		w->dma.sge[i].length = wr->sg_list[i].length;
		w->dma.sge[i].lkey = wr->sg_list[i].lkey;
	}
	w->dma.num_sge = wr->num_sge;
	return 0;
}

int odph_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		   const struct ib_send_wr **bad)
{
	struct odph_qp *qp = to_odph_qp(ibqp);
	enum ib_qp_state state = READ_ONCE(qp->state);
	unsigned long flags;
	int ret = 0;
	u32 next;

	/* Nothing may be sent before RTS (rxe: EINVAL too). */
	if (state == IB_QPS_RESET || state == IB_QPS_INIT ||
	    state == IB_QPS_RTR) {
		if (!qp->user)
			*bad = wr;
		return -EINVAL;
	}
	/* A user QP's WQEs are in its ring already: this is the doorbell. */
	if (qp->user)
		goto kick;

	/*
	 * irqsave, not _bh: the MAD layer posts to the GSI QP with IRQs
	 * disabled (ib_send_mad() under its send queue's irqsave lock), and
	 * local_bh_enable() must not run with IRQs off.
	 */
	spin_lock_irqsave(&qp->sq_lock, flags);
	for (; wr; wr = wr->next) {
		next = odph_queue_next(&qp->sq, qp->sq.buf->producer_index);
		if (next == qp->sq.kidx) {
			ret = -ENOMEM;
			break;
		}
		ret = odph_kernel_wr(qp, wr, odph_queue_slot(&qp->sq,
				     qp->sq.buf->producer_index));
		if (ret)
			break;
		smp_store_release(&qp->sq.buf->producer_index, next);
	}
	spin_unlock_irqrestore(&qp->sq_lock, flags);
	if (ret)
		*bad = wr;
kick:
	if (irqs_disabled())
		odph_qp_queue(qp, &qp->req_work);	/* sends or flushes */
	else if (state == IB_QPS_ERR)
		odph_req_flush(qp);	/* posted in ERR: flushed at once */
	else
		odph_req_kick(qp);
	return ret;
}

int odph_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		   const struct ib_recv_wr **bad)
{
	struct odph_qp *qp = to_odph_qp(ibqp);
	int ret = 0;
	u32 next;

	if (qp->user || qp->srq)
		return -EINVAL;
	spin_lock_bh(&qp->rq_lock);
	for (; wr; wr = wr->next) {
		next = odph_queue_next(&qp->rq, qp->rq.buf->producer_index);
		if (next == qp->rq.kidx || wr->num_sge > qp->rq_max_sge) {
			ret = next == qp->rq.kidx ? -ENOMEM : -EINVAL;
			break;
		}
		odph_recv_wqe_fill(odph_queue_slot(&qp->rq,
						   qp->rq.buf->producer_index),
				   wr);
		smp_store_release(&qp->rq.buf->producer_index, next);
	}
	spin_unlock_bh(&qp->rq_lock);
	if (ret)
		*bad = wr;
	return ret;
}
