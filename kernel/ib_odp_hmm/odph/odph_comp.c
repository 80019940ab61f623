// SPDX-License-Identifier: GPL-2.0
/*
 * odph completer: what comes back from the responder (ACK, NAK, RNR NAK,
 * READ responses, atomic ACKs) moves send WQEs to DONE; odph_comp_retire()
 * turns DONE WQEs into completions, oldest first.  Retransmission rewinds
 * the requester to a PSN and lets it send again from there.
 */
#include "odph.h"

static bool odph_is_rd_atomic(struct odph_swqe *s)
{
	return s->opcode == IB_WR_RDMA_READ ||
	       s->opcode == IB_WR_ATOMIC_CMP_AND_SWP ||
	       s->opcode == IB_WR_ATOMIC_FETCH_AND_ADD;
}

static enum ib_wc_opcode odph_wc_opcode(u32 wr_opcode)
{
	switch (wr_opcode) {
	case IB_WR_RDMA_WRITE:
	case IB_WR_RDMA_WRITE_WITH_IMM:
		return IB_WC_RDMA_WRITE;
	case IB_WR_RDMA_READ:
		return IB_WC_RDMA_READ;
	case IB_WR_ATOMIC_CMP_AND_SWP:
		return IB_WC_COMP_SWAP;
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		return IB_WC_FETCH_ADD;
	case IB_WR_BIND_MW:
		return IB_WC_BIND_MW;
	case IB_WR_LOCAL_INV:
		return IB_WC_LOCAL_INV;
	default:
		return IB_WC_SEND;
	}
}

/* Caller must hold qp->sq_lock. */
static void odph_comp_post(struct odph_qp *qp, struct odph_swqe *s)
{
	struct ib_wc wc = {
		.wr_id = s->wr.wr_id,
		.status = s->status,
		.opcode = odph_wc_opcode(s->opcode),
		.qp = &qp->ib,
		.byte_len = s->length,
		.port_num = ODPH_PORT,
	};
	bool signaled = (s->send_flags & IB_SEND_SIGNALED) ||
			qp->ib.qp_type == IB_QPT_GSI;

	lockdep_assert_held(&qp->sq_lock);
	if (signaled || s->status != IB_WC_SUCCESS || qp->sq_sig_all)
		odph_cq_post(qp->scq, &wc, false);
}

/**
 * odph_comp_retire - complete DONE WQEs in order and free their ring slots
 *
 * A failed WQE moves the QP to the error state, which flushes the rest.
 */
void odph_comp_retire(struct odph_qp *qp)
{
	bool failed = false, more;

	spin_lock_bh(&qp->sq_lock);
	while (qp->sq.kidx != qp->sq_fetch) {
		struct odph_swqe *s = odph_swqe_at(qp, qp->sq.kidx);

		if (s->state != ODPH_SWQE_DONE)
			break;
		odph_comp_post(qp, s);
		failed |= s->status != IB_WC_SUCCESS &&
			  s->status != IB_WC_WR_FLUSH_ERR;
		s->state = ODPH_SWQE_EMPTY;
		odph_queue_set_kidx(&qp->sq, odph_queue_next(&qp->sq,
							     qp->sq.kidx), false);
	}
	more = odph_req_has_work(qp);
	spin_unlock_bh(&qp->sq_lock);

	if (failed)
		odph_qp_fail(qp);
	else if (more && READ_ONCE(qp->state) == IB_QPS_RTS)
		odph_req_kick(qp);	/* what waited for this may go now */
}

/* The oldest WQE not DONE, or NULL.  Caller must hold qp->sq_lock. */
static struct odph_swqe *odph_comp_oldest(struct odph_qp *qp, u32 *slot)
{
	u32 i;

	lockdep_assert_held(&qp->sq_lock);
	for (i = qp->sq.kidx; i != qp->sq_fetch; i = odph_queue_next(&qp->sq, i)) {
		struct odph_swqe *s = odph_swqe_at(qp, i);

		if (s->state != ODPH_SWQE_DONE) {
			if (slot)
				*slot = i;
			return s;
		}
	}
	return NULL;
}

/* Caller must hold qp->sq_lock. */
static void odph_comp_done(struct odph_qp *qp, struct odph_swqe *s, int status)
{
	lockdep_assert_held(&qp->sq_lock);
	if (odph_is_rd_atomic(s) && s->state == ODPH_SWQE_SENT &&
	    qp->rd_atomic_out)
		qp->rd_atomic_out--;
	s->status = status;
	s->state = ODPH_SWQE_DONE;
}

/*
 * odph_comp_reposition - make the requester go on from @psn: the WQE that
 * holds @psn restarts there, every later one from its start.
 */
/* Caller must hold qp->sq_lock. */
static void odph_comp_reposition(struct odph_qp *qp, u32 psn)
{
	bool found = false;
	u32 i;

	lockdep_assert_held(&qp->sq_lock);
	for (i = qp->sq.kidx; i != qp->sq_fetch; i = odph_queue_next(&qp->sq, i)) {
		struct odph_swqe *s = odph_swqe_at(qp, i);

		if (s->state == ODPH_SWQE_DONE || s->state == ODPH_SWQE_EMPTY)
			continue;
		/*
		 * A held atomic has its response and waits for its page
		 * only (odph_comp_put_result()); it is never sent again.
		 * Sent again, it was PENDING when its fault came back, so
		 * odph_comp_held() skipped it, and the replayed ATOMIC_ACK
		 * was ignored as one: it never completed.
		 */
		if (s->result_held)
			continue;
		if (odph_is_rd_atomic(s) && s->state == ODPH_SWQE_SENT &&
		    qp->rd_atomic_out)
			qp->rd_atomic_out--;
		if (!found && (s->started || s->state == ODPH_SWQE_SENT)) {
			found = true;
			qp->sq_cur = i;
			if (odph_psn_cmp(psn, s->first_psn) < 0)
				psn = s->first_psn;
			if (s->opcode == IB_WR_RDMA_READ)
				s->sent = s->acked;
			else if (odph_is_rd_atomic(s))
				s->sent = 0;
			else
				s->sent = min_t(u32, s->length,
					((psn - s->first_psn) & ODPH_PSN_MASK) *
					qp->mtu);
			qp->req_psn = s->opcode == IB_WR_RDMA_READ ?
				(s->first_psn + s->acked / qp->mtu) & ODPH_PSN_MASK :
				odph_is_rd_atomic(s) ? s->first_psn :
				(s->first_psn + s->sent / qp->mtu) & ODPH_PSN_MASK;
		} else if (found) {
			s->sent = 0;
			s->acked = 0;
		}
		s->state = ODPH_SWQE_PENDING;
	}
	if (!found)	/* all before @psn acked, nothing after it sent */
		qp->req_psn = psn;
}

/* Send again from @psn (a NAK, a READ gap, a timeout): one retransmit. */
/* Caller must hold qp->sq_lock. */
static void odph_comp_rewind(struct odph_qp *qp, u32 psn)
{
	lockdep_assert_held(&qp->sq_lock);
	odph_comp_reposition(qp, psn);
	odph_counter_inc(qp->dev, ODPH_CNT_RETRANSMITS);
}

/*
 * A SEND or WRITE of many packets acknowledged up to @psn, short of its
 * end: remember how far, so a retry resumes there.  True if that moved.
 */
/* Caller must hold qp->sq_lock. */
static bool odph_comp_partial_ack(struct odph_qp *qp, struct odph_swqe *s,
				  u32 psn)
{
	u64 acked;

	lockdep_assert_held(&qp->sq_lock);
	if (odph_is_rd_atomic(s) || !s->sent ||
	    odph_psn_cmp(psn, s->first_psn) < 0)
		return false;
	acked = (((psn - s->first_psn) & ODPH_PSN_MASK) + 1ULL) * qp->mtu;
	acked = min_t(u64, acked, s->sent);
	if (acked <= s->acked)
		return false;
	s->acked = acked;
	return true;
}

/*
 * Does an ACK of @psn cover SEND/WRITE @s?  A WQE being sent again after a
 * rewind is PENDING, but its PSNs are those of its first pass: the
 * responder may have all of them (the first pass's packets were only late,
 * e.g. reordered between a veth's per-CPU backlogs) and ACK past it.
 */
static bool odph_comp_covers(struct odph_swqe *s, u32 psn)
{
	u32 last = (s->first_psn + s->npkts - 1) & ODPH_PSN_MASK;

	if (odph_is_rd_atomic(s) || !s->started ||
	    (s->state != ODPH_SWQE_SENT && s->state != ODPH_SWQE_PENDING))
		return false;
	return odph_psn_cmp(last, psn) <= 0;
}

/*
 * Everything up to and including @psn is acknowledged.  If that completed
 * the WQE the requester is resending, move the requester past @psn, or it
 * would send the rest of a finished message under the next one's PSNs.
 */
/* Caller must hold qp->sq_lock. */
static bool odph_comp_ack(struct odph_qp *qp, u32 psn)
{
	bool progress = false;
	struct odph_swqe *s;

	lockdep_assert_held(&qp->sq_lock);
	while ((s = odph_comp_oldest(qp, NULL))) {
		if (odph_is_rd_atomic(s))
			break;
		if (!odph_comp_covers(s, psn)) {
			progress |= odph_comp_partial_ack(qp, s, psn);
			break;
		}
		odph_comp_done(qp, s, IB_WC_SUCCESS);
		progress = true;
	}
	if (progress && odph_psn_cmp(qp->req_psn, psn) <= 0)
		odph_comp_reposition(qp, (psn + 1) & ODPH_PSN_MASK);
	return progress;
}

/* The oldest PSN of @s not yet acknowledged (atomics: their only one). */
u32 odph_swqe_unacked_psn(struct odph_qp *qp, struct odph_swqe *s)
{
	if (odph_is_rd_atomic(s) && s->opcode != IB_WR_RDMA_READ)
		return s->first_psn;
	return (s->first_psn + s->acked / qp->mtu) & ODPH_PSN_MASK;
}

/*
 * Scatter response data into the WQE's local buffers at @off.  -EAGAIN:
 * an ODP page went away since the prefault (noted in qp->req_fault).
 */
/* Caller must hold qp->sq_lock. */
static int odph_comp_scatter(struct odph_qp *qp, struct odph_swqe *s, u32 off,
			     u8 *src, u32 len)
{
	struct odph_miss m;
	int ret;

	lockdep_assert_held(&qp->sq_lock);
	ret = odph_sge_copy(qp, s->sge, s->num_sge, off, src, len, ODPH_TO_MR,
			    &m);
	if (ret == -EAGAIN)
		qp->req_fault = odph_miss_fault(&m, true);
	return ret;
}

/*
 * A READ response is missing: ask again from @expect, once.  The rest of
 * the old response stream is still arriving, every packet of it past the
 * gap; rewinding on each would resend the READ up to a whole message's
 * packets times, and each resend makes the responder replay the rest,
 * which on a loaded link loses more packets: a retransmit storm.  The
 * retry timer covers a lost resend.
 */
/* Caller must hold qp->sq_lock. */
static void odph_comp_read_gap(struct odph_qp *qp, u32 expect)
{
	lockdep_assert_held(&qp->sq_lock);
	if (qp->read_gap && qp->read_gap_psn == expect)
		return;
	qp->read_gap = true;
	qp->read_gap_psn = expect;
	odph_comp_rewind(qp, expect);
	odph_qp_queue(qp, &qp->req_work);	/* no progress: nobody else kicks */
}

/* Caller must hold qp->sq_lock. */
static bool odph_comp_read_resp(struct odph_qp *qp, struct odph_pkt *pkt)
{
	struct odph_swqe *s = odph_comp_oldest(qp, NULL);
	u32 expect;

	lockdep_assert_held(&qp->sq_lock);
	if (!s || s->opcode != IB_WR_RDMA_READ || s->state != ODPH_SWQE_SENT)
		return false;
	expect = (s->first_psn + s->acked / qp->mtu) & ODPH_PSN_MASK;
	if (pkt->psn != expect) {
		if (odph_psn_cmp(pkt->psn, expect) > 0)
			odph_comp_read_gap(qp, expect);
		return false;
	}
	qp->read_gap = false;
	if (pkt->paylen > s->length - s->acked ||
	    (!(pkt->mask & ODPH_LAST) && pkt->paylen != qp->mtu)) {
		odph_comp_done(qp, s, IB_WC_BAD_RESP_ERR);
		return true;
	}
	switch (odph_comp_scatter(qp, s, s->acked, pkt->payload, pkt->paylen)) {
	case 0:
		break;
	case -EAGAIN:
		/* Fault, then ask again for the rest of the READ. */
		odph_comp_read_gap(qp, expect);
		return true;
	default:
		odph_comp_done(qp, s, IB_WC_LOC_PROT_ERR);
		return true;
	}
	s->acked += pkt->paylen;
	if (pkt->mask & ODPH_LAST)
		odph_comp_done(qp, s, s->acked == s->length ? IB_WC_SUCCESS :
							       IB_WC_BAD_RESP_ERR);
	return true;
}

/* Faults tried for a held atomic result before it fails. */
#define ODPH_HELD_TRIES		16

/*
 * Write an atomic's result (s->atomic_orig) to its local buffer.  If the
 * page is gone (an ODP invalidation since the prefault), the result is
 * held: the atomic ran once at the responder and must not run again, so
 * the value waits in the WQE while the requester's work faults the page
 * (qp->req_fault, then odph_comp_held()); the QP's completions wait
 * behind it, as with mlx5.  Returns true when the WQE is done.
 */
/* Caller must hold qp->sq_lock. */
static bool odph_comp_put_result(struct odph_qp *qp, struct odph_swqe *s)
{
	lockdep_assert_held(&qp->sq_lock);
	switch (odph_comp_scatter(qp, s, 0, (u8 *)&s->atomic_orig,
				  sizeof(s->atomic_orig))) {
	case 0:
		odph_comp_done(qp, s, IB_WC_SUCCESS);
		return true;
	case -EAGAIN:
		if (++s->held_tries < ODPH_HELD_TRIES) {
			s->result_held = 1;
			odph_qp_queue(qp, &qp->req_work);
			return false;
		}
		qp->req_fault.pending = false;
		fallthrough;
	default:
		odph_comp_done(qp, s, IB_WC_LOC_PROT_ERR);
		return true;
	}
}

/* Caller must hold qp->sq_lock. */
static bool odph_comp_atomic_ack(struct odph_qp *qp, struct odph_pkt *pkt)
{
	struct odph_swqe *s = odph_comp_oldest(qp, NULL);

	lockdep_assert_held(&qp->sq_lock);
	if (!s || !odph_is_rd_atomic(s) || s->opcode == IB_WR_RDMA_READ ||
	    s->state != ODPH_SWQE_SENT || s->first_psn != pkt->psn)
		return false;
	if (s->result_held)
		return false;	/* a replayed ACK: the value is kept */
	s->atomic_orig = be64_to_cpu(pkt->atmack->orig);
	odph_comp_put_result(qp, s);
	return true;
}

/**
 * odph_comp_held - write a held atomic result once its page is back
 * @qp: the QP whose requester has just resolved a fault
 *
 * Context: process (the requester's fault path); takes sq_lock.
 */
void odph_comp_held(struct odph_qp *qp)
{
	struct odph_swqe *s;
	bool done = false;

	spin_lock_bh(&qp->sq_lock);
	s = odph_comp_oldest(qp, NULL);
	if (s && s->result_held && s->state == ODPH_SWQE_SENT)
		done = odph_comp_put_result(qp, s);
	spin_unlock_bh(&qp->sq_lock);
	if (done)
		odph_comp_retire(qp);
}

/* RNR NAK timer values (IBTA table 45), in microseconds. */
static const u32 odph_rnr_usec[32] = {
	655360, 10, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480, 640, 960,
	1280, 1920, 2560, 3840, 5120, 7680, 10240, 15360, 20480, 30720,
	40960, 61440, 81920, 122880, 163840, 245760, 327680, 491520,
};

/* Caller must hold qp->sq_lock. */
static void odph_comp_nak(struct odph_qp *qp, struct odph_pkt *pkt, u8 syn)
{
	struct odph_swqe *s;

	lockdep_assert_held(&qp->sq_lock);
	odph_comp_ack(qp, (pkt->psn - 1) & ODPH_PSN_MASK);
	s = odph_comp_oldest(qp, NULL);
	if (!s)
		return;

	if ((syn & ODPH_AETH_TYPE_MASK) == ODPH_AETH_RNR_NAK) {
		odph_counter_inc(qp->dev, ODPH_CNT_RNR_NAK_RCVD);
		if (qp->attr.rnr_retry != 7 &&
		    qp->rnr_retry_cnt++ >= qp->attr.rnr_retry) {
			odph_comp_done(qp, s, IB_WC_RNR_RETRY_EXC_ERR);
			return;
		}
		odph_comp_rewind(qp, pkt->psn);
		odph_qp_arm_rnr(qp, odph_rnr_usec[syn & 0x1f]);
		return;
	}
	switch (syn) {
	case ODPH_NAK_PSN_SEQ:
		odph_comp_rewind(qp, pkt->psn);
		return;
	case ODPH_NAK_REM_ACCESS:
		odph_comp_done(qp, s, IB_WC_REM_ACCESS_ERR);
		return;
	case ODPH_NAK_REM_OP:
		odph_comp_done(qp, s, IB_WC_REM_OP_ERR);
		return;
	case ODPH_NAK_INVALID_RD_REQ:
		odph_comp_done(qp, s, IB_WC_REM_INV_RD_REQ_ERR);
		return;
	default:
		odph_comp_done(qp, s, IB_WC_REM_INV_REQ_ERR);
	}
}

/* Caller must hold qp->sq_lock. */
static void odph_comp_rearm(struct odph_qp *qp, bool progress)
{
	lockdep_assert_held(&qp->sq_lock);
	if (progress)
		qp->retry_cnt = 0;
	if (!odph_comp_oldest(qp, NULL))
		del_timer(&qp->retry_timer);
	else if (progress && qp->attr.timeout)
		odph_qp_arm(qp, &qp->retry_timer, jiffies +
			  max(usecs_to_jiffies(4ULL << min_t(u8, qp->attr.timeout, 31)),
			      msecs_to_jiffies(10)));
}

/*
 * Is @psn one a response may carry now: from the oldest PSN not yet
 * acknowledged (that of the oldest WQE not done) to the last PSN of the
 * newest WQE sent?  An ACK, NAK, READ response or atomic ACK outside that
 * window is stale (a duplicate) or forged: like rxe (rxe_comp.c
 * check_psn), it is ignored, and counted, rather than acting on the oldest
 * WQE.  Caller must hold qp->sq_lock.
 */
static bool odph_comp_in_window(struct odph_qp *qp, u32 psn)
{
	struct odph_swqe *lo, *hi = NULL;
	u32 i = qp->sq_fetch;

	lockdep_assert_held(&qp->sq_lock);
	lo = odph_comp_oldest(qp, NULL);
	if (!lo || !lo->started || !lo->npkts)
		return false;
	while (i != qp->sq.kidx) {
		i = (i - 1) & qp->sq.index_mask;
		hi = odph_swqe_at(qp, i);
		if (hi->started && hi->npkts)
			break;
	}
	return odph_psn_cmp(psn, odph_swqe_unacked_psn(qp, lo)) >= 0 &&
	       odph_psn_cmp(psn, (hi->first_psn + hi->npkts - 1) &
				 ODPH_PSN_MASK) <= 0;
}

/**
 * odph_comp_rcv - a response packet for @qp's send queue
 */
void odph_comp_rcv(struct odph_qp *qp, struct sk_buff *skb, u8 opcode)
{
	struct odph_pkt pkt;
	bool progress = false;
	u8 syn = 0;

	odph_pkt_parse(skb, &pkt);
	if (pkt.aeth)
		syn = be32_to_cpu(pkt.aeth->smsn) >> 24;

	spin_lock_bh(&qp->sq_lock);
	if (qp->state != IB_QPS_RTS && qp->state != IB_QPS_SQD)
		goto out_unlock;
	if (!odph_qp_from_peer(qp, skb))
		goto out_unlock;
	if (!odph_comp_in_window(qp, pkt.psn)) {
		odph_counter_inc(qp->dev, ODPH_CNT_DROP_ACK_PSN);
		goto out_unlock;
	}
	if (pkt.aeth && (syn & ODPH_AETH_TYPE_MASK) != ODPH_AETH_ACK) {
		odph_comp_nak(qp, &pkt, syn);
		/*
		 * A response: the transport timer starts over.  The RNR
		 * retry count goes on (an RNR NAK never resets it).
		 */
		progress = true;
		goto out_rearm;
	}
	if (pkt.mask & ODPH_RRESP) {
		/* A READ response also acknowledges what precedes it. */
		if (pkt.aeth)
			progress |= odph_comp_ack(qp, (pkt.psn - 1) & ODPH_PSN_MASK);
		progress |= odph_comp_read_resp(qp, &pkt);
	} else if (opcode == ODPH_RC_ATOMIC_ACK) {
		progress |= odph_comp_ack(qp, (pkt.psn - 1) & ODPH_PSN_MASK);
		progress |= odph_comp_atomic_ack(qp, &pkt);
	} else {
		progress |= odph_comp_ack(qp, pkt.psn);
	}
	if (progress)
		qp->rnr_retry_cnt = 0;
out_rearm:
	odph_comp_rearm(qp, progress);
out_unlock:
	spin_unlock_bh(&qp->sq_lock);
	consume_skb(skb);
	if (progress)
		odph_comp_retire(qp);
}

/* Retransmit timeout: resend from the oldest unacknowledged WQE. */
void odph_comp_retry_timer(struct timer_list *t)
{
	struct odph_qp *qp = from_timer(qp, t, retry_timer);
	struct odph_swqe *s;
	bool failed = false;

	spin_lock_bh(&qp->sq_lock);
	s = odph_comp_oldest(qp, NULL);
	if (!s || qp->state != IB_QPS_RTS ||
	    (s->state == ODPH_SWQE_PENDING && !s->started)) {
		spin_unlock_bh(&qp->sq_lock);
		return;
	}
	if (s->result_held || qp->req_faulting || qp->req_fault.pending) {
		/*
		 * The requester is faulting a local page (for an atomic's
		 * held result, a READ response's buffer or a WQE to send)
		 * and resends nothing meanwhile: that is no lost response,
		 * so no retry is counted.  Keep the timer alive for what
		 * was sent.
		 */
		odph_qp_arm(qp, &qp->retry_timer, jiffies + HZ / 10);
		spin_unlock_bh(&qp->sq_lock);
		return;
	}
	/* retry_cnt resends, then an error: 7 is seven (only rnr_retry 7 is "forever") */
	if (qp->retry_cnt++ >= qp->attr.retry_cnt) {
		odph_comp_done(qp, s, IB_WC_RETRY_EXC_ERR);
		failed = true;
	} else {
		qp->read_gap = false;
		/* Resume from the oldest unacknowledged PSN, not the WQE's start. */
		odph_comp_rewind(qp, odph_swqe_unacked_psn(qp, s));
		odph_counter_inc(qp->dev, ODPH_CNT_TIMEOUTS);
	}
	spin_unlock_bh(&qp->sq_lock);

	if (failed)
		odph_comp_retire(qp);
	else
		odph_qp_queue(qp, &qp->req_work);
}

/* The RNR wait is over: the requester may send again. */
enum hrtimer_restart odph_comp_rnr_timer(struct hrtimer *t)
{
	struct odph_qp *qp = container_of(t, struct odph_qp, rnr_timer);

	odph_qp_queue(qp, &qp->req_work);
	return HRTIMER_NORESTART;
}
