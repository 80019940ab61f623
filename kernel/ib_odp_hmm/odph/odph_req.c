// SPDX-License-Identifier: GPL-2.0
/*
 * odph requester: turns send queue WQEs into packets.
 *
 * Ring slots, oldest first (all indices masked):
 *
 *	sq.kidx <= ... completed by the completer ... <= sq_cur <= sq_fetch
 *	<= producer (written by the consumer of the verbs)
 *
 * A WQE is copied out of the ring and validated once (odph_req_fetch()),
 * into swqes[slot]; the ring slot stays reserved until the completer
 * retires it, so the consumer never has more WQEs outstanding than it
 * asked for.  Packets are built under sq_lock and sent after dropping it:
 * no QP lock is ever held across odph_net_xmit(), whose loopback path may
 * run our own receive side.  odph_req_kick() never nests: a kick while the
 * requester runs only asks it to loop once more.
 */
#include <linux/slab.h>
#include <net/ipv6.h>
#include <rdma/ib_verbs.h>

#include "odph.h"

enum {
	ODPH_REQ_RUNNING,
	ODPH_REQ_AGAIN,
};

#define ODPH_ACKREQ_EVERY	32	/* packets between forced ACK requests */
/*
 * Packets a QP may have unacknowledged, READ responses included.  Bounds
 * the bursts a peer's receive backlog sees (veth: netdev_max_backlog);
 * more than ODPH_ACKREQ_EVERY so ACKs keep the window moving.
 */
#define ODPH_WINDOW_PKTS	128

struct odph_swqe *odph_swqe_at(struct odph_qp *qp, u32 slot)
{
	return qp->swqes + (size_t)(slot & qp->sq.index_mask) * qp->swqe_size;
}

/* ---- fetching a WQE out of the ring ---- */

static int odph_req_check_opcode(struct odph_qp *qp, struct odph_swqe *s)
{
	bool rc = qp->ib.qp_type == IB_QPT_RC;
	bool ud = odph_qp_is_ud(qp);

	switch (s->opcode) {
	case IB_WR_SEND:
	case IB_WR_SEND_WITH_IMM:
		return ud && s->length > qp->mtu ? -EMSGSIZE : 0;
	case IB_WR_SEND_WITH_INV:	/* RC only, as in rxe */
		return rc ? 0 : -EINVAL;
	case IB_WR_BIND_MW:
	case IB_WR_LOCAL_INV:
		return ud || s->length ? -EINVAL : 0;
	case IB_WR_RDMA_WRITE:
	case IB_WR_RDMA_WRITE_WITH_IMM:
		return ud ? -EINVAL : 0;
	case IB_WR_RDMA_READ:
		return rc ? 0 : -EINVAL;
	case IB_WR_ATOMIC_CMP_AND_SWP:
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		if (!rc || s->length != sizeof(u64) || s->inline_data ||
		    !IS_ALIGNED(s->wr.wr.atomic.remote_addr, sizeof(u64)))
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

static int odph_req_copy_sges(struct odph_qp *qp, struct odph_swqe *s,
			      struct rxe_send_wqe *w)
{
	u32 n = READ_ONCE(w->dma.num_sge), i;
	u64 total = 0;

	if (s->send_flags & IB_SEND_INLINE) {
		u32 len = READ_ONCE(w->dma.length);

		if (len > qp->sq_max_inline)
			return -EINVAL;
		memcpy(s->sge, w->dma.inline_data, len);
		s->inline_data = 1;
		s->length = len;
		return 0;
	}
	if (n > qp->sq_max_sge)
		return -EINVAL;
	memcpy(s->sge, w->dma.sge, n * sizeof(struct rxe_sge));
	for (i = 0; i < n; i++)
		total += s->sge[i].length;
	if (total > ODPH_MAX_MSG_SIZE)
		return -EMSGSIZE;
	s->inline_data = 0;
	s->num_sge = n;
	s->length = total;
	return 0;
}

/*
 * A UD destination given inline (librxe copies its AH's rxe_av into the
 * WQE rather than naming the kernel AH).  The source address is checked
 * by routing: a source that is not ours does not route.
 */
static int odph_req_av_path(struct odph_path *path, const struct rxe_av *av)
{
	memset(path, 0, sizeof(*path));
	if (av->network_type == RXE_NETWORK_TYPE_IPV4) {
		path->family = AF_INET;
		ipv6_addr_set_v4mapped(av->sgid_addr._sockaddr_in.sin_addr.s_addr,
				       &path->saddr);
		ipv6_addr_set_v4mapped(av->dgid_addr._sockaddr_in.sin_addr.s_addr,
				       &path->daddr);
	} else if (av->network_type == RXE_NETWORK_TYPE_IPV6) {
		path->family = AF_INET6;
		path->saddr = av->sgid_addr._sockaddr_in6.sin6_addr;
		path->daddr = av->dgid_addr._sockaddr_in6.sin6_addr;
	} else {
		return -EINVAL;
	}
	path->traffic_class = av->grh.traffic_class;
	path->hop_limit = av->grh.hop_limit ? av->grh.hop_limit : 64;
	path->flow_label = av->grh.flow_label;
	path->sport = cpu_to_be16(rdma_flow_label_to_udp_sport(
		av->grh.flow_label ? : rdma_calc_flow_label(
			be32_to_cpu(path->daddr.s6_addr32[3]),
			av->grh.sgid_index)));
	return 0;
}

static int odph_req_ud_path(struct odph_qp *qp, struct odph_swqe *s)
{
	struct odph_ah *ah;
	int ret = -EINVAL;

	if (!s->wr.wr.ud.ah_num) {
		ret = odph_req_av_path(&s->path, &s->wr.wr.ud.av);
	} else {
		rcu_read_lock();
		ah = xa_load(&qp->dev->ahs, s->wr.wr.ud.ah_num);
		if (ah && ah->ib.pd == qp->ib.pd) {
			s->path = ah->path;
			ret = 0;
		}
		rcu_read_unlock();
	}
	s->remote_qpn = s->wr.wr.ud.remote_qpn & ODPH_QPN_MASK;
	s->remote_qkey = s->wr.wr.ud.remote_qkey;
	/* A qkey with the high bit set means: use the QP's own. */
	if (s->remote_qkey & 0x80000000)
		s->remote_qkey = qp->attr.qkey;
	return ret;
}

static u32 odph_npkts(struct odph_qp *qp, u32 len)
{
	return len ? DIV_ROUND_UP(len, qp->mtu) : 1;
}

/* A WQE executed by the requester itself: no packet, no PSN. */
static bool odph_swqe_is_local(const struct odph_swqe *s)
{
	return s->opcode == IB_WR_BIND_MW || s->opcode == IB_WR_LOCAL_INV;
}

/* Caller must hold qp->sq_lock. */
static int odph_req_fetch(struct odph_qp *qp, u32 slot)
{
	struct rxe_send_wqe *w = odph_queue_slot(&qp->sq, slot);
	struct odph_swqe *s = odph_swqe_at(qp, slot);
	int ret;

	lockdep_assert_held(&qp->sq_lock);
	memcpy(&s->wr, &w->wr, sizeof(s->wr));
	s->opcode = s->wr.opcode;
	s->send_flags = s->wr.send_flags;
	s->num_sge = 0;
	s->sent = 0;
	s->acked = 0;
	s->prefaulted = 0;
	s->started = 0;
	s->result_held = 0;
	s->held_tries = 0;
	s->status = IB_WC_SUCCESS;
	s->state = ODPH_SWQE_PENDING;

	ret = odph_req_copy_sges(qp, s, w);
	if (!ret)
		ret = odph_req_check_opcode(qp, s);
	if (!ret && odph_qp_is_ud(qp))
		ret = odph_req_ud_path(qp, s);
	if (ret) {
		s->status = ret == -EMSGSIZE ? IB_WC_LOC_LEN_ERR :
					       IB_WC_LOC_QP_OP_ERR;
		s->state = ODPH_SWQE_DONE;
	}
	s->npkts = s->opcode == IB_WR_ATOMIC_CMP_AND_SWP ||
		   s->opcode == IB_WR_ATOMIC_FETCH_AND_ADD ?
		   1 : odph_swqe_is_local(s) ? 0 : odph_npkts(qp, s->length);
	return ret;
}

/*
 * Is anything posted and not yet completely sent?  A kick is wasted
 * otherwise (an ACK of the last WQE: nothing waits for it).
 */
/* Caller must hold qp->sq_lock. */
bool odph_req_has_work(struct odph_qp *qp)
{
	u32 i;

	lockdep_assert_held(&qp->sq_lock);
	for (i = qp->sq_cur; i != qp->sq_fetch; i = odph_queue_next(&qp->sq, i))
		if (odph_swqe_at(qp, i)->state == ODPH_SWQE_PENDING)
			return true;
	return qp->sq_fetch != odph_queue_user_prod(&qp->sq) ||
	       qp->req_fault.pending;
}

/* ---- building packets ---- */

/*
 * Gather @len payload bytes at offset @off of the WQE's local buffers.
 * -EAGAIN: an ODP page must be faulted first (noted in qp->req_fault).
 */
/* Caller must hold qp->sq_lock. */
static int odph_req_gather(struct odph_qp *qp, struct odph_swqe *s, u32 off,
			   u8 *dst, u32 len)
{
	struct odph_miss m;
	int ret;

	lockdep_assert_held(&qp->sq_lock);
	if (s->inline_data) {
		memcpy(dst, (u8 *)s->sge + off, len);
		return 0;
	}
	ret = odph_sge_copy(qp, s->sge, s->num_sge, off, dst, len,
			    ODPH_FROM_MR, &m);
	if (ret == -EAGAIN)
		qp->req_fault = odph_miss_fault(&m, false);
	return ret;
}

static u8 odph_req_rc_opcode(struct odph_swqe *s, bool first, bool last,
			     bool ud)
{
	bool imm = s->opcode == IB_WR_SEND_WITH_IMM ||
		   s->opcode == IB_WR_RDMA_WRITE_WITH_IMM;

	switch (s->opcode) {
	case IB_WR_SEND_WITH_INV:
		if (last)
			return first ? ODPH_RC_SEND_ONLY_INV :
				       ODPH_RC_SEND_LAST_INV;
		return first ? ODPH_RC_SEND_FIRST : ODPH_RC_SEND_MIDDLE;
	case IB_WR_SEND:
	case IB_WR_SEND_WITH_IMM:
		if (ud)
			return imm ? ODPH_UD_SEND_ONLY_IMM : ODPH_UD_SEND_ONLY;
		if (first && last)
			return imm ? ODPH_RC_SEND_ONLY_IMM : ODPH_RC_SEND_ONLY;
		if (first)
			return ODPH_RC_SEND_FIRST;
		if (last)
			return imm ? ODPH_RC_SEND_LAST_IMM : ODPH_RC_SEND_LAST;
		return ODPH_RC_SEND_MIDDLE;
	case IB_WR_RDMA_WRITE:
	case IB_WR_RDMA_WRITE_WITH_IMM:
		if (first && last)
			return imm ? ODPH_RC_WRITE_ONLY_IMM : ODPH_RC_WRITE_ONLY;
		if (first)
			return ODPH_RC_WRITE_FIRST;
		if (last)
			return imm ? ODPH_RC_WRITE_LAST_IMM : ODPH_RC_WRITE_LAST;
		return ODPH_RC_WRITE_MIDDLE;
	case IB_WR_RDMA_READ:
		return ODPH_RC_READ_REQUEST;
	case IB_WR_ATOMIC_CMP_AND_SWP:
		return ODPH_RC_CMP_SWAP;
	default:
		return ODPH_RC_FETCH_ADD;
	}
}

/* UC sends the RC SEND and WRITE opcodes with UC's transport bits. */
static u8 odph_req_opcode(struct odph_qp *qp, struct odph_swqe *s, bool first,
			  bool last)
{
	u8 op = odph_req_rc_opcode(s, first, last, odph_qp_is_ud(qp));

	return qp->ib.qp_type == IB_QPT_UC ? op | ODPH_OP_UC : op;
}

static void odph_req_fill_ext(struct odph_qp *qp, struct odph_swqe *s,
			      struct odph_pkt *pkt, u32 off)
{
	if (pkt->reth) {
		pkt->reth->va = cpu_to_be64(s->wr.wr.rdma.remote_addr + off);
		pkt->reth->rkey = cpu_to_be32(s->wr.wr.rdma.rkey);
		pkt->reth->len = cpu_to_be32(s->length - off);
	}
	if (pkt->atmeth) {
		pkt->atmeth->va = cpu_to_be64(s->wr.wr.atomic.remote_addr);
		pkt->atmeth->rkey = cpu_to_be32(s->wr.wr.atomic.rkey);
		pkt->atmeth->swap_add = cpu_to_be64(
			s->opcode == IB_WR_ATOMIC_CMP_AND_SWP ?
			s->wr.wr.atomic.swap : s->wr.wr.atomic.compare_add);
		pkt->atmeth->compare = cpu_to_be64(s->wr.wr.atomic.compare_add);
	}
	if (pkt->immdt)
		pkt->immdt->imm = s->wr.ex.imm_data;
	if (pkt->ieth)
		pkt->ieth->rkey = cpu_to_be32(s->wr.ex.invalidate_rkey);
	if (pkt->deth) {
		pkt->deth->qkey = cpu_to_be32(s->remote_qkey);
		pkt->deth->sqp = cpu_to_be32(qp->ib.qp_num);
	}
}

/*
 * odph_req_packet - the next packet of WQE @s, or NULL with *@err set.
 * Advances the WQE and the QP's PSN.
 */
/* Caller must hold qp->sq_lock. */
static struct sk_buff *odph_req_packet(struct odph_qp *qp, struct odph_swqe *s,
				       int *err)
{
	bool ud = odph_qp_is_ud(qp), rc = qp->ib.qp_type == IB_QPT_RC;
	bool rd = s->opcode == IB_WR_RDMA_READ;
	bool atomic = s->opcode == IB_WR_ATOMIC_CMP_AND_SWP ||
		      s->opcode == IB_WR_ATOMIC_FETCH_AND_ADD;
	u32 paylen = rd || atomic ? 0 : min(s->length - s->sent, qp->mtu);
	bool first = s->sent == 0 || rd, last, ackreq;
	const struct odph_path *path = ud ? &s->path : &qp->path;
	u32 dqpn = ud ? s->remote_qpn : qp->attr.dest_qp_num;
	struct odph_pkt pkt;
	struct sk_buff *skb;
	u8 opcode;

	lockdep_assert_held(&qp->sq_lock);
	last = rd || atomic || s->sent + paylen >= s->length;
	if (first && !(rd && s->sent)) {
		s->first_psn = qp->req_psn;
		s->started = 1;
	}
	opcode = odph_req_opcode(qp, s, s->sent == 0, last);
	ackreq = rc && (last || !((qp->req_psn + 1) % ODPH_ACKREQ_EVERY));
	skb = odph_pkt_new(qp, path, opcode, paylen, qp->req_psn, dqpn, ackreq,
			   last && (s->send_flags & IB_SEND_SOLICITED), &pkt);
	if (!skb) {
		*err = -ENOMEM;
		return NULL;
	}
	odph_req_fill_ext(qp, s, &pkt, s->sent);
	*err = odph_req_gather(qp, s, s->sent, pkt.payload, paylen);
	if (*err) {
		kfree_skb(skb);
		return NULL;
	}

	if (rd) {
		/* One request, one PSN per expected response packet. */
		qp->req_psn = (qp->req_psn + odph_npkts(qp, s->length - s->sent)) &
			      ODPH_PSN_MASK;
		s->sent = s->length;
	} else {
		s->sent += paylen;
		qp->req_psn = (qp->req_psn + 1) & ODPH_PSN_MASK;
	}
	if (last) {
		s->last_psn = (qp->req_psn - 1) & ODPH_PSN_MASK;
		/* Unacknowledged transports are done once sent. */
		s->state = rc ? ODPH_SWQE_SENT : ODPH_SWQE_DONE;
		if (rd || atomic)
			qp->rd_atomic_out++;
	}
	return skb;
}

/* ---- the send loop ---- */

/*
 * The next WQE to send, or NULL.  *@refused is set when a WQE failed its
 * checks on fetch: it is DONE with an error and must be completed.
 */
/* Caller must hold qp->sq_lock. */
static struct odph_swqe *odph_req_next(struct odph_qp *qp, bool *refused)
{
	struct odph_swqe *s;

	lockdep_assert_held(&qp->sq_lock);
	for (;;) {
		if (qp->sq_cur == qp->sq_fetch) {
			if (qp->sq_fetch == odph_queue_user_prod(&qp->sq))
				return NULL;
			if (odph_req_fetch(qp, qp->sq_fetch))
				*refused = true;
			qp->sq_fetch = odph_queue_next(&qp->sq, qp->sq_fetch);
		}
		s = odph_swqe_at(qp, qp->sq_cur);
		if (s->state == ODPH_SWQE_PENDING)
			return s;
		/* A failed WQE stops the queue: the QP is about to fail. */
		if (s->state == ODPH_SWQE_DONE && s->status != IB_WC_SUCCESS)
			return NULL;
		qp->sq_cur = odph_queue_next(&qp->sq, qp->sq_cur);
	}
}

/* Caller must hold qp->sq_lock. */
static bool odph_req_window_full(struct odph_qp *qp, struct odph_swqe *s)
{
	struct odph_swqe *o = NULL;
	u32 i, need;

	lockdep_assert_held(&qp->sq_lock);
	for (i = qp->sq.kidx; i != qp->sq_fetch; i = odph_queue_next(&qp->sq, i)) {
		o = odph_swqe_at(qp, i);
		if (o->state != ODPH_SWQE_DONE)
			break;
	}
	/*
	 * Nothing in flight: always go.  That includes a READ sent again
	 * after a rewind (sent == acked), whose rest may be longer than the
	 * window; waiting for the window then would wait forever.
	 */
	if (!o || o->state == ODPH_SWQE_DONE ||
	    (o == s && s->sent == s->acked))
		return false;
	need = s->opcode == IB_WR_RDMA_READ ?
	       odph_npkts(qp, s->length - s->sent) : 1;
	/* The window counts from the oldest unacknowledged PSN, also inside
	 * one long message.
	 */
	return ((qp->req_psn + need - odph_swqe_unacked_psn(qp, o)) &
		ODPH_PSN_MASK) > ODPH_WINDOW_PKTS;
}

/* Caller must hold qp->sq_lock. */
static bool odph_req_blocked(struct odph_qp *qp, struct odph_swqe *s)
{
	bool rd_atomic = s->opcode == IB_WR_RDMA_READ ||
			 s->opcode == IB_WR_ATOMIC_CMP_AND_SWP ||
			 s->opcode == IB_WR_ATOMIC_FETCH_AND_ADD;

	lockdep_assert_held(&qp->sq_lock);
	/* Not queued once its callback runs, so the work it queues sends. */
	if (hrtimer_is_queued(&qp->rnr_timer))
		return true;
	if (qp->ib.qp_type == IB_QPT_RC && odph_req_window_full(qp, s))
		return true;
	/* Fence: wait for outstanding reads and atomics to complete. */
	if ((s->send_flags & IB_SEND_FENCE) && qp->rd_atomic_out)
		return true;
	return rd_atomic && s->sent == 0 &&
	       qp->rd_atomic_out >= max_t(u32, qp->attr.max_rd_atomic, 1);
}

/* Retransmit timeout: 4.096 us * 2^timeout, at least 10 ms here. */
static unsigned long odph_req_timeout(struct odph_qp *qp)
{
	u64 us = qp->attr.timeout ? 4ULL << min_t(u8, qp->attr.timeout, 31) : 0;

	return us ? max(usecs_to_jiffies(us), msecs_to_jiffies(10)) : 0;
}

/*
 * A READ or atomic writes its local buffers when the response comes, in
 * softirq, where nothing can be faulted: fault them for write first.
 */
static int odph_req_prefault(struct odph_qp *qp, struct odph_swqe *s)
{
	u32 i;
	int ret;

	for (i = 0; i < s->num_sge; i++) {
		ret = odph_fault_key(qp, s->sge[i].lkey, s->sge[i].addr,
				     s->sge[i].length, true);
		if (ret)
			return ret;
	}
	return 0;
}

static bool odph_needs_prefault(struct odph_swqe *s)
{
	return !s->prefaulted && !s->inline_data &&
	       (s->opcode == IB_WR_RDMA_READ ||
		s->opcode == IB_WR_ATOMIC_CMP_AND_SWP ||
		s->opcode == IB_WR_ATOMIC_FETCH_AND_ADD);
}

/*
 * Resolve a pending fault or prefault; called with sq_lock held, returns
 * with it dropped.  A failure fails the WQE @s (NULL: the oldest).
 */
static void odph_req_fault(struct odph_qp *qp, struct odph_swqe *s)
	__releases(&qp->sq_lock)
{
	struct odph_fault f = qp->req_fault;
	int ret;

	qp->req_fault.pending = false;
	qp->req_faulting = true;
	if (s)
		s->prefaulted = 1;
	spin_unlock_bh(&qp->sq_lock);

	ret = f.pending ? odph_fault_key(qp, f.key, f.va, f.len, f.write) :
			  odph_req_prefault(qp, s);

	spin_lock_bh(&qp->sq_lock);
	qp->req_faulting = false;
	/* What waits for a response waits a whole timeout from the resend. */
	if (timer_pending(&qp->retry_timer))
		odph_qp_arm(qp, &qp->retry_timer,
			    jiffies + odph_req_timeout(qp));
	if (!ret) {
		spin_unlock_bh(&qp->sq_lock);
		odph_comp_held(qp);	/* an atomic's result waiting for it */
		return;
	}
	s = s ? s : odph_swqe_at(qp, qp->sq.kidx);
	if (s->state != ODPH_SWQE_DONE && s->state != ODPH_SWQE_EMPTY) {
		s->status = IB_WC_LOC_PROT_ERR;
		s->state = ODPH_SWQE_DONE;
	}
	spin_unlock_bh(&qp->sq_lock);
	odph_comp_retire(qp);
}

/*
 * Execute a BIND_MW or LOCAL_INV WQE, in order, once every WQE before it
 * is sent; it completes (in order too) when those are acknowledged.
 * Failures: IB_WC_MW_BIND_ERR, IB_WC_LOC_QP_OP_ERR (as rxe 6.1).
 */
/* Caller must hold qp->sq_lock. */
static void odph_req_local(struct odph_qp *qp, struct odph_swqe *s)
{
	lockdep_assert_held(&qp->sq_lock);
	if (s->opcode == IB_WR_BIND_MW)
		s->status = odph_mw_bind(qp, &s->wr) ? IB_WC_MW_BIND_ERR :
						       IB_WC_SUCCESS;
	else
		s->status = odph_invalidate_rkey(qp, s->wr.ex.invalidate_rkey,
						 false) ?
			    IB_WC_LOC_QP_OP_ERR : IB_WC_SUCCESS;
	s->state = ODPH_SWQE_DONE;
}

/*
 * A fault must be resolved before the requester can go on.  Where it may
 * sleep, resolve it now (drops sq_lock); in softirq, leave it noted and
 * hand the requester to its work item.
 */
/* Caller must hold qp->sq_lock; returns with it dropped. */
static bool odph_req_fault_or_defer(struct odph_qp *qp, struct odph_swqe *s,
				    bool can_sleep)
	__releases(&qp->sq_lock)
{
	lockdep_assert_held(&qp->sq_lock);
	if (can_sleep) {
		odph_req_fault(qp, s);
		return true;
	}
	spin_unlock_bh(&qp->sq_lock);
	odph_qp_queue(qp, &qp->req_work);
	return false;
}

/*
 * One packet, or false when there is nothing (more) to send now.
 * @can_sleep: process context, so ODP faults are resolved here.
 */
static bool odph_req_step(struct odph_qp *qp, bool can_sleep)
{
	struct odph_path path;
	bool refused = false;
	struct odph_swqe *s;
	struct sk_buff *skb;
	unsigned long tmo;
	int err = 0;

	spin_lock_bh(&qp->sq_lock);
	if (qp->state != IB_QPS_RTS) {
		spin_unlock_bh(&qp->sq_lock);
		return false;
	}
	if (qp->req_fault.pending)
		return odph_req_fault_or_defer(qp, NULL, can_sleep);
	s = odph_req_next(qp, &refused);
	if (refused) {
		/* Complete it (in order) before anything after it is sent. */
		spin_unlock_bh(&qp->sq_lock);
		odph_comp_retire(qp);
		return false;
	}
	if (!s || odph_req_blocked(qp, s)) {
		spin_unlock_bh(&qp->sq_lock);
		return false;
	}
	if (odph_swqe_is_local(s)) {
		odph_req_local(qp, s);
		spin_unlock_bh(&qp->sq_lock);
		odph_comp_retire(qp);
		return true;
	}
	if (odph_needs_prefault(s))
		return odph_req_fault_or_defer(qp, s, can_sleep);
	skb = odph_req_packet(qp, s, &err);
	if (err == -EAGAIN)
		return odph_req_fault_or_defer(qp, NULL, can_sleep);
	path = odph_qp_is_ud(qp) ? s->path : qp->path;
	tmo = odph_req_timeout(qp);
	if (skb && qp->ib.qp_type == IB_QPT_RC && tmo &&
	    !timer_pending(&qp->retry_timer))
		odph_qp_arm(qp, &qp->retry_timer, jiffies + tmo);
	if (err) {
		s->status = err == -EACCES ? IB_WC_LOC_PROT_ERR :
					     IB_WC_LOC_LEN_ERR;
		s->state = ODPH_SWQE_DONE;
	}
	spin_unlock_bh(&qp->sq_lock);

	if (skb)
		odph_net_xmit(qp->dev, &path, skb);	/* counts its errors */
	if (err || qp->ib.qp_type != IB_QPT_RC)
		odph_comp_retire(qp);
	return true;
}

/*
 * Packets one run may send before it yields to others.  In softirq the
 * run is shorter, and the rest goes to the work item.
 */
#define ODPH_REQ_BUDGET		256
#define ODPH_REQ_BUDGET_BH	64

static void odph_req_run(struct odph_qp *qp, bool can_sleep)
{
	unsigned int budget = can_sleep ? ODPH_REQ_BUDGET : ODPH_REQ_BUDGET_BH;

	while (odph_req_step(qp, can_sleep)) {
		if (!--budget) {
			/* Let others run; the work item continues. */
			odph_qp_queue(qp, &qp->req_work);
			return;
		}
	}
}

/**
 * odph_req_kick - make the requester send what it can
 *
 * Runs it here unless it is already running (then that run loops once
 * more).  From softirq (an ACK that opened the window) it runs too, as
 * rxe's tasks do, without a context switch; only what must sleep, an ODP
 * fault, and what is left after a budget, go to the QP's work item.
 */
void odph_req_kick(struct odph_qp *qp)
{
	bool can_sleep = !in_interrupt();

	/*
	 * The run takes _bh locks: with IRQs disabled (hardirq, or a caller
	 * under an irqsave lock such as the MAD layer) it goes to the work.
	 */
	if (in_hardirq() || irqs_disabled()) {
		odph_qp_queue(qp, &qp->req_work);
		return;
	}
	set_bit(ODPH_REQ_AGAIN, &qp->req_flags);
	while (!test_and_set_bit_lock(ODPH_REQ_RUNNING, &qp->req_flags)) {
		while (test_and_clear_bit(ODPH_REQ_AGAIN, &qp->req_flags))
			odph_req_run(qp, can_sleep);
		clear_bit_unlock(ODPH_REQ_RUNNING, &qp->req_flags);
		smp_mb__after_atomic();
		if (!test_bit(ODPH_REQ_AGAIN, &qp->req_flags))
			break;
	}
}

/*
 * The QP's work: the requester's deferred runs, and what a post with IRQs
 * disabled left to it (odph_post_send()), a flush included when the QP is
 * in ERR.  state is read locklessly as in odph_post_send(): a QP moving to
 * ERR flushes its WQEs itself (odph_qp_error()), so a stale read at worst
 * runs a requester that finds the QP not in RTS.
 */
void odph_req_work(struct work_struct *work)
{
	struct odph_qp *qp = container_of(work, struct odph_qp, req_work);

	if (READ_ONCE(qp->state) == IB_QPS_ERR)
		odph_req_flush(qp);
	else
		odph_req_kick(qp);
}

/* Complete every WQE not yet completed with IB_WC_WR_FLUSH_ERR. */
void odph_req_flush(struct odph_qp *qp)
{
	u32 prod;

	spin_lock_bh(&qp->sq_lock);
	prod = odph_queue_user_prod(&qp->sq);
	while (qp->sq_fetch != prod) {
		odph_req_fetch(qp, qp->sq_fetch);
		qp->sq_fetch = odph_queue_next(&qp->sq, qp->sq_fetch);
	}
	for (u32 i = qp->sq.kidx; i != qp->sq_fetch;
	     i = odph_queue_next(&qp->sq, i)) {
		struct odph_swqe *s = odph_swqe_at(qp, i);

		if (s->state != ODPH_SWQE_DONE)
			s->status = IB_WC_WR_FLUSH_ERR;
		s->state = ODPH_SWQE_DONE;
	}
	qp->sq_cur = qp->sq_fetch;
	spin_unlock_bh(&qp->sq_lock);
	odph_comp_retire(qp);
}
