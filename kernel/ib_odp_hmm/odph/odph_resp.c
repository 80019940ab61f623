// SPDX-License-Identifier: GPL-2.0
/*
 * odph responder: request packets to memory, receive completions, ACKs,
 * READ responses and atomic ACKs.
 *
 * RC: a packet at the expected PSN is executed; a duplicate (older PSN) is
 * acknowledged again, or its READ / atomic response replayed from the
 * responder resources; a packet from the future draws one PSN sequence
 * NAK per gap.  A SEND or WRITE_WITH_IMM with no receive WQE posted draws
 * an RNR NAK and leaves the PSN where it was.  UC: the same operations
 * with no reply ever; what cannot be placed is dropped (odph_resp_uc()).
 * UD: qkey checked, GRH and
 * payload scattered, no ACK; a datagram meeting an unmapped ODP page of
 * the receive buffer is dropped while the page is faulted in.
 *
 * Replies are built under rq_lock into a list and sent after dropping it.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/slab.h>

#include "odph.h"

#define ODPH_MIN_RNR_TIMER	12	/* 0.64 ms, when the QP sets none */

struct odph_resp_ctx {
	struct odph_qp *qp;
	struct odph_pkt *pkt;
	struct sk_buff *skb;
	struct sk_buff_head out;	/* replies to send after unlock */
	bool in_work;			/* odph_resp_fault_work() */
};

/* ---- ODP misses ---- */

/*
 * Remember an unmapped ODP page; the RNR path queues its fault.  Returns
 * -EAGAIN (answer RNR NAK, the peer retries), or the error of the last
 * fault of this very page when that failed for good (-EFAULT: nothing
 * mapped there; -EPERM: write to read-only memory): the retried request
 * then gets a remote access error instead of RNR NAKs forever.
 */
/* Caller must hold qp->rq_lock. */
static int odph_resp_miss(struct odph_qp *qp, u32 key, u64 va, u32 len,
			  bool write)
{
	struct odph_fault *f = &qp->resp_fault;
	int err;

	lockdep_assert_held(&qp->rq_lock);
	if (f->pending)
		return -EAGAIN;
	if (f->error && f->key == key && f->va == va && f->write == write) {
		err = f->error;
		f->error = 0;
		return err;
	}
	*f = (struct odph_fault){
		.key = key, .va = va, .len = len, .write = write,
		.pending = true,
	};
	return -EAGAIN;
}

/* A fault error that retrying cannot cure. */
static bool odph_fault_fatal(int err)
{
	return err == -EFAULT || err == -EPERM || err == -EACCES;
}

static int odph_resp_read_packets(struct odph_resp_ctx *c,
				  struct odph_rd_res *res, u32 psn);
static void odph_resp_ack(struct odph_resp_ctx *c, u8 syn, u32 psn);

/* The oldest READ with responses still due, or NULL.  Caller holds rq_lock. */
static struct odph_rd_res *odph_resp_read_due(struct odph_qp *qp)
{
	u32 n = max_t(u32, qp->attr.max_dest_rd_atomic, 1), k;

	lockdep_assert_held(&qp->rq_lock);
	for (k = min(n, qp->resp.res_head); k; k--) {
		struct odph_rd_res *res = &qp->resp.res[(qp->resp.res_head - k) % n];

		if (res->opcode && res->more)
			return res;
	}
	return NULL;
}

/*
 * A READ left to the work (queued behind a long READ, or the rest of one)
 * that cannot be answered: a key or range the responder refuses, or a
 * page that is gone for good.  It gets its NAK now, which is its turn in
 * PSN order, and the QP fails, as for a READ refused on arrival.
 */
static void odph_resp_read_nak(struct odph_resp_ctx *c,
			       struct odph_rd_res *res)
{
	struct odph_qp *qp = c->qp;

	lockdep_assert_held(&qp->rq_lock);
	odph_counter_inc(qp->dev, ODPH_CNT_ACCESS_NAK_SENT);
	odph_resp_ack(c, ODPH_NAK_REM_ACCESS, res->next_psn);
	qp->resp.fatal = true;
	qp->resp.read_more = false;
}

/*
 * Send the READ responses left after a first burst, oldest READ first, one
 * burst per round with rq_lock dropped for the sends.  An ODP miss is
 * faulted here (this may sleep) and the burst tried again; if that fails
 * for now, the READ is dropped and the peer's retransmit timer asks again;
 * if it cannot succeed, the READ is NAKed (odph_resp_read_nak()).
 */
static void odph_resp_read_more(struct odph_qp *qp)
{
	struct odph_resp_ctx c = { .qp = qp, .in_work = true };
	struct odph_rd_res *res;
	struct odph_fault f;
	struct sk_buff *skb;
	bool fatal;
	u32 first;
	int ret;

	__skb_queue_head_init(&c.out);
	for (;;) {
		f.pending = false;
		spin_lock_bh(&qp->rq_lock);
		res = odph_resp_read_due(qp);
		if (!res || READ_ONCE(qp->dying) || qp->state == IB_QPS_ERR ||
		    qp->state == IB_QPS_RESET) {
			qp->resp.read_more = false;
			spin_unlock_bh(&qp->rq_lock);
			return;
		}
		first = res->first_psn;
		ret = odph_resp_read_packets(&c, res, res->next_psn);
		if (ret == -EAGAIN) {
			f = qp->resp_fault;
			qp->resp_fault.pending = false;
		}
		fatal = ret && ret != -EAGAIN && ret != -ENOMEM;
		if (fatal)
			odph_resp_read_nak(&c, res);
		if (ret && (ret != -EAGAIN || !f.pending))
			res->more = false;
		spin_unlock_bh(&qp->rq_lock);

		while ((skb = __skb_dequeue(&c.out)))
			odph_net_xmit(qp->dev, &qp->path, skb);
		if (fatal) {
			odph_qp_fail(qp);
			return;
		}
		if (f.pending &&
		    odph_fault_key(qp, f.key, f.va, f.len, f.write)) {
			spin_lock_bh(&qp->rq_lock);
			if (res->first_psn == first)	/* not reused meanwhile */
				res->more = false;
			spin_unlock_bh(&qp->rq_lock);
		}
		cond_resched();
	}
}

/*
 * The responder's work: fault what it missed (the peer retries after its
 * RNR wait), then send the READ responses still due.
 */
void odph_resp_fault_work(struct work_struct *work)
{
	struct odph_qp *qp = container_of(work, struct odph_qp, fault_work);
	struct odph_fault f;
	int ret = 0;

	odph_resp_read_more(qp);
	spin_lock_bh(&qp->rq_lock);
	f = qp->resp_fault;
	spin_unlock_bh(&qp->rq_lock);
	if (f.pending)
		ret = odph_fault_key(qp, f.key, f.va, f.len, f.write);
	spin_lock_bh(&qp->rq_lock);
	qp->resp_fault.pending = false;
	qp->resp_fault.error = odph_fault_fatal(ret) ? ret : 0;
	spin_unlock_bh(&qp->rq_lock);
}

/* ---- replies ---- */

static void odph_resp_queue(struct odph_resp_ctx *c, struct sk_buff *skb)
{
	if (skb)
		__skb_queue_tail(&c->out, skb);
}

static u32 odph_aeth(struct odph_qp *qp, u8 syn)
{
	return ((u32)syn << 24) | (qp->resp.msn & ODPH_QPN_MASK);
}

/* Caller must hold qp->rq_lock. */
static void odph_resp_ack(struct odph_resp_ctx *c, u8 syn, u32 psn)
{
	struct odph_qp *qp = c->qp;
	struct odph_pkt pkt;
	struct sk_buff *skb;

	lockdep_assert_held(&qp->rq_lock);
	skb = odph_pkt_new(qp, &qp->path, ODPH_RC_ACK, 0, psn,
			   qp->attr.dest_qp_num, false, false, &pkt);
	if (!skb)
		return;
	pkt.aeth->smsn = cpu_to_be32(odph_aeth(qp, syn));
	odph_resp_queue(c, skb);
}

static void odph_resp_nak(struct odph_resp_ctx *c, u8 syn)
{
	odph_counter_inc(c->qp->dev, syn == ODPH_NAK_PSN_SEQ ?
			 ODPH_CNT_SEQ_NAK_SENT : ODPH_CNT_ACCESS_NAK_SENT);
	odph_resp_ack(c, syn, c->pkt->psn);
}

/* Caller must hold qp->rq_lock. */
static void odph_resp_rnr(struct odph_resp_ctx *c)
{
	struct odph_qp *qp = c->qp;
	u8 t = qp->attr.min_rnr_timer ? : ODPH_MIN_RNR_TIMER;

	lockdep_assert_held(&qp->rq_lock);
	odph_counter_inc(qp->dev, ODPH_CNT_RNR_NAK_SENT);
	odph_resp_ack(c, ODPH_AETH_RNR_NAK | (t & 0x1f), c->pkt->psn);
	if (qp->resp_fault.pending)
		odph_qp_queue(qp, &qp->fault_work);
}

/*
 * READ responses for [first_psn + from, ...) of resource @res: every
 * packet mtu bytes but the last, AETH on the first and the last.
 */
/*
 * READ response packets sent in one go.  A veth queues what a CPU sends on
 * that CPU's backlog (netdev_max_backlog, 1000), which the receive side
 * drains only after the softirq that is sending: a 1 MiB READ answered at
 * once lost its tail there and waited for the peer's retransmit timer.
 * The rest is sent by the QP's work, in process context, where every
 * packet is delivered as it is sent.
 */
#define ODPH_READ_BURST		64

/* Leave @res's responses from @psn on to the work. */
/* Caller must hold qp->rq_lock. */
static void odph_resp_read_later(struct odph_resp_ctx *c,
				 struct odph_rd_res *res, u32 psn)
{
	struct odph_qp *qp = c->qp;

	lockdep_assert_held(&qp->rq_lock);
	res->next_psn = psn;
	res->more = true;
	qp->resp.read_more = true;
	if (!c->in_work)
		odph_qp_queue(qp, &qp->fault_work);
}

/* Caller must hold qp->rq_lock. */
static int odph_resp_read_packets(struct odph_resp_ctx *c,
				  struct odph_rd_res *res, u32 psn)
{
	struct odph_qp *qp = c->qp;
	u32 off = ((psn - res->first_psn) & ODPH_PSN_MASK) * qp->mtu;
	u32 budget = ODPH_READ_BURST;
	struct odph_mr *mr = NULL;
	struct sk_buff_head pkts;
	int ret = 0;

	__skb_queue_head_init(&pkts);
	lockdep_assert_held(&qp->rq_lock);
	if (res->length) {
		mr = odph_rkey_get(qp, res->rkey, IB_ACCESS_REMOTE_READ,
				   res->va, res->length);
		if (!mr)
			return -EACCES;
	}
	do {
		u32 n = min(res->length - off, qp->mtu);
		bool first = off == 0, last = off + n >= res->length;
		struct odph_pkt pkt;
		struct sk_buff *skb;
		u8 op;

		op = first && last ? ODPH_RC_READ_RESPONSE_ONLY :
		     first ? ODPH_RC_READ_RESPONSE_FIRST :
		     last ? ODPH_RC_READ_RESPONSE_LAST :
			    ODPH_RC_READ_RESPONSE_MIDDLE;
		skb = odph_pkt_new(qp, &qp->path, op, n, psn,
				   qp->attr.dest_qp_num, false, false, &pkt);
		if (!skb) {
			ret = -ENOMEM;
			break;
		}
		if (pkt.aeth)
			pkt.aeth->smsn = cpu_to_be32(odph_aeth(qp, ODPH_AETH_ACK |
							      ODPH_AETH_NO_CREDIT));
		__skb_queue_tail(&pkts, skb);
		if (n)
			ret = odph_mr_copy(mr, res->va + off, pkt.payload, n,
					   ODPH_FROM_MR);
		if (ret == -EAGAIN)
			ret = odph_resp_miss(qp, res->rkey, res->va + off,
					     res->length - off, false);
		if (ret)
			break;
		off += n;
		psn = (psn + 1) & ODPH_PSN_MASK;
	} while (off < res->length && --budget);
	if (mr)
		odph_mr_put(mr);
	if (ret) {
		__skb_queue_purge(&pkts);	/* all or nothing */
		return ret;
	}
	skb_queue_splice_tail(&pkts, &c->out);
	res->next_psn = psn;
	res->more = off < res->length;
	if (res->more)
		odph_resp_read_later(c, res, psn);
	return 0;
}

/* Caller must hold qp->rq_lock. */
static void odph_resp_atomic_ack(struct odph_resp_ctx *c,
				 struct odph_rd_res *res)
{
	struct odph_qp *qp = c->qp;
	struct odph_pkt pkt;
	struct sk_buff *skb;

	lockdep_assert_held(&qp->rq_lock);
	skb = odph_pkt_new(qp, &qp->path, ODPH_RC_ATOMIC_ACK, 0, res->first_psn,
			   qp->attr.dest_qp_num, false, false, &pkt);
	if (!skb)
		return;
	pkt.aeth->smsn = cpu_to_be32(odph_aeth(qp, ODPH_AETH_ACK |
					      ODPH_AETH_NO_CREDIT));
	pkt.atmack->orig = cpu_to_be64(res->atomic_orig);
	odph_resp_queue(c, skb);
}

/* ---- receive WQEs ---- */

/*
 * The receive WQE being filled, taking the next one from the RQ or SRQ if
 * there is none; NULL when none is posted.  Caller must hold qp->rq_lock.
 */
static struct odph_rwqe *odph_resp_take_rwqe(struct odph_qp *qp)
{
	struct odph_rwqe *r = qp->resp.rwqe;
	bool ok;

	lockdep_assert_held(&qp->rq_lock);
	if (qp->resp.rwqe_valid)
		return r;
	ok = qp->srq ? odph_srq_take_rwqe(qp->srq, r) :
		       odph_ring_take_rwqe(&qp->rq, qp->rq_max_sge, r);
	if (!ok)
		return NULL;
	qp->resp.rwqe_valid = true;
	qp->resp.recv_off = 0;
	return r;
}

/* Caller must hold qp->rq_lock. */
static void odph_resp_complete_recv(struct odph_qp *qp, struct ib_wc *wc,
				    bool solicited)
{
	lockdep_assert_held(&qp->rq_lock);
	wc->wr_id = qp->resp.rwqe->wr_id;
	wc->qp = &qp->ib;
	wc->port_num = ODPH_PORT;
	odph_cq_post(qp->rcq, wc, solicited);
	qp->resp.rwqe_valid = false;
}

/*
 * Scatter @len bytes at offset @off of the receive WQE's buffers.  A miss
 * is noted for the fault work, which faults the missed SGE's part: the
 * rest of the scatter may lie in other MRs, and a fault past this one's
 * end would be refused and taken for a fatal error.
 */
/* Caller must hold qp->rq_lock. */
static int odph_resp_scatter(struct odph_qp *qp, struct odph_rwqe *r, u32 off,
			     const u8 *src, u32 len)
{
	struct odph_miss m;
	int ret;

	lockdep_assert_held(&qp->rq_lock);
	if (off + len > r->length || off + len < off)
		return -EMSGSIZE;
	ret = odph_sge_copy(qp, r->sge, r->num_sge, off, (void *)src, len,
			    ODPH_TO_MR, &m);
	if (ret == -EAGAIN)
		return odph_resp_miss(qp, m.key, m.va, m.len, true);
	return ret;
}

/* ---- RC operations ---- */

/*
 * The last packet of a SEND with Invalidate: invalidate the IETH's rkey,
 * then complete the receive WQE with IB_WC_WITH_INVALIDATE and that rkey.
 * An rkey that cannot be invalidated here (not a bound type 2 window of
 * this QP) completes the WQE with REM_INV_REQ_ERR, as rxe 6.1 does, and
 * draws a NAK invalid request (rxe ACKs, leaving the requester unaware).
 * Caller must hold qp->rq_lock.  Returns a NAK syndrome or 0.
 */
static u8 odph_resp_send_inv(struct odph_resp_ctx *c, struct ib_wc *wc)
{
	struct odph_qp *qp = c->qp;
	u32 rkey = be32_to_cpu(c->pkt->ieth->rkey);

	lockdep_assert_held(&qp->rq_lock);
	if (odph_invalidate_rkey(qp, rkey, true)) {
		wc->status = IB_WC_REM_INV_REQ_ERR;
		odph_resp_complete_recv(qp, wc, false);
		return ODPH_NAK_INVALID_REQ;
	}
	wc->wc_flags |= IB_WC_WITH_INVALIDATE;
	wc->ex.invalidate_rkey = rkey;
	odph_resp_complete_recv(qp, wc, c->pkt->bth->flags & ODPH_BTH_SE);
	return 0;
}

/* Caller must hold qp->rq_lock.  Returns a NAK syndrome or 0. */
static u8 odph_resp_send(struct odph_resp_ctx *c)
{
	struct odph_qp *qp = c->qp;
	struct odph_pkt *pkt = c->pkt;
	struct odph_rwqe *r;
	struct ib_wc wc = {};
	int ret;

	lockdep_assert_held(&qp->rq_lock);
	r = odph_resp_take_rwqe(qp);
	if (!r)
		return ODPH_AETH_RNR_NAK;
	ret = odph_resp_scatter(qp, r, qp->resp.recv_off, pkt->payload,
				pkt->paylen);
	if (ret == -EAGAIN)
		return ODPH_AETH_RNR_NAK;
	if (ret) {
		wc.status = ret == -EMSGSIZE ? IB_WC_LOC_LEN_ERR :
					       IB_WC_LOC_PROT_ERR;
		wc.opcode = IB_WC_RECV;
		odph_resp_complete_recv(qp, &wc, false);
		return ODPH_NAK_INVALID_REQ;
	}
	qp->resp.recv_off += pkt->paylen;
	if (!(pkt->mask & ODPH_LAST))
		return 0;

	wc.opcode = IB_WC_RECV;
	wc.byte_len = qp->resp.recv_off;
	if (pkt->immdt) {
		wc.wc_flags = IB_WC_WITH_IMM;
		wc.ex.imm_data = pkt->immdt->imm;
	}
	if (pkt->ieth)
		return odph_resp_send_inv(c, &wc);
	odph_resp_complete_recv(qp, &wc, pkt->bth->flags & ODPH_BTH_SE);
	return 0;
}

/*
 * The RETH of a WRITE: check the whole target once and remember its rkey.
 * No MR reference is kept across packets: a peer that stops mid-message
 * must not make the MR's deregistration wait for it.
 * Caller must hold qp->rq_lock.  Returns a NAK syndrome or 0.
 */
static u8 odph_resp_write_start(struct odph_qp *qp, struct odph_pkt *pkt)
{
	u32 len = be32_to_cpu(pkt->reth->len);
	struct odph_mr *mr;

	lockdep_assert_held(&qp->rq_lock);
	qp->resp.rkey = 0;
	if (!(qp->attr.qp_access_flags & IB_ACCESS_REMOTE_WRITE))
		return ODPH_NAK_REM_ACCESS;
	qp->resp.va = be64_to_cpu(pkt->reth->va);
	qp->resp.resid = len;
	qp->resp.write_len = len;
	if (!len)
		return 0;
	mr = odph_rkey_get(qp, be32_to_cpu(pkt->reth->rkey),
			   IB_ACCESS_REMOTE_WRITE, qp->resp.va, len);
	if (!mr)
		return ODPH_NAK_REM_ACCESS;
	qp->resp.rkey = be32_to_cpu(pkt->reth->rkey);	/* MR or window */
	odph_mr_put(mr);
	return 0;
}

/*
 * How far past a missing page a WRITE's fault reaches: the packet, plus
 * what the rest of the message announces up to this bound.  A RETH is the
 * peer's word, not data that has arrived: one packet announcing 256 MiB
 * into an implicit MR must not make us populate 256 MiB (mlx5 prefetches
 * at most 4 MiB on the responder side too).
 */
static unsigned int write_fault_ahead = SZ_4M;
module_param(write_fault_ahead, uint, 0644);
MODULE_PARM_DESC(write_fault_ahead,
		 "bytes of a WRITE a responder miss faults beyond its packet");

static u32 odph_resp_write_fault_len(struct odph_qp *qp,
				     struct odph_pkt *pkt)
{
	u32 ahead = max(READ_ONCE(write_fault_ahead), pkt->paylen);

	return min(qp->resp.resid, ahead);
}

/*
 * One packet's payload to the WRITE target.  The MR is looked up again
 * for each packet; it may have been deregistered since the RETH.
 * Caller must hold qp->rq_lock.  Returns a NAK syndrome or 0.
 */
static u8 odph_resp_write_payload(struct odph_qp *qp, struct odph_pkt *pkt)
{
	struct odph_mr *mr;
	int ret;

	lockdep_assert_held(&qp->rq_lock);
	mr = odph_rkey_get(qp, qp->resp.rkey, IB_ACCESS_REMOTE_WRITE,
			   qp->resp.va, pkt->paylen);
	if (!mr)
		return ODPH_NAK_REM_ACCESS;
	ret = odph_mr_copy(mr, qp->resp.va, pkt->payload, pkt->paylen,
			   ODPH_TO_MR);
	odph_mr_put(mr);
	if (ret == -EAGAIN)
		ret = odph_resp_miss(qp, qp->resp.rkey, qp->resp.va,
				     odph_resp_write_fault_len(qp, pkt), true);
	if (ret == -EAGAIN)
		return ODPH_AETH_RNR_NAK;
	return ret ? ODPH_NAK_REM_ACCESS : 0;
}

/* Caller must hold qp->rq_lock.  Returns a NAK syndrome or 0. */
static u8 odph_resp_write(struct odph_resp_ctx *c)
{
	struct odph_qp *qp = c->qp;
	struct odph_pkt *pkt = c->pkt;
	struct ib_wc wc = {};
	u8 syn;

	lockdep_assert_held(&qp->rq_lock);
	if (pkt->immdt && !odph_resp_take_rwqe(qp))
		return ODPH_AETH_RNR_NAK;
	if (pkt->reth) {
		syn = odph_resp_write_start(qp, pkt);
		if (syn)
			return syn;
	}
	if (pkt->paylen > qp->resp.resid ||
	    ((pkt->mask & ODPH_LAST) && pkt->paylen != qp->resp.resid) ||
	    (!(pkt->mask & ODPH_LAST) && pkt->paylen != qp->mtu))
		return ODPH_NAK_INVALID_REQ;
	if (pkt->paylen) {
		syn = odph_resp_write_payload(qp, pkt);
		if (syn)
			return syn;
	}
	qp->resp.va += pkt->paylen;
	qp->resp.resid -= pkt->paylen;
	if (!(pkt->mask & ODPH_LAST))
		return 0;

	qp->resp.rkey = 0;
	if (pkt->immdt) {
		wc.opcode = IB_WC_RECV_RDMA_WITH_IMM;
		wc.wc_flags = IB_WC_WITH_IMM;
		wc.ex.imm_data = pkt->immdt->imm;
		wc.byte_len = qp->resp.write_len;
		odph_resp_complete_recv(qp, &wc, pkt->bth->flags & ODPH_BTH_SE);
	}
	return 0;
}

/* Caller must hold qp->rq_lock. */
static struct odph_rd_res *odph_resp_new_res(struct odph_qp *qp)
{
	u32 n = max_t(u32, qp->attr.max_dest_rd_atomic, 1);
	struct odph_rd_res *res;

	lockdep_assert_held(&qp->rq_lock);
	res = &qp->resp.res[qp->resp.res_head % n];
	qp->resp.res_head++;
	memset(res, 0, sizeof(*res));
	return res;
}

/* Caller must hold qp->rq_lock.  Returns a NAK syndrome or 0. */
static u8 odph_resp_read(struct odph_resp_ctx *c)
{
	struct odph_qp *qp = c->qp;
	struct odph_pkt *pkt = c->pkt;
	struct odph_rd_res *res;
	u32 len = be32_to_cpu(pkt->reth->len);

	lockdep_assert_held(&qp->rq_lock);
	if (!(qp->attr.qp_access_flags & IB_ACCESS_REMOTE_READ))
		return ODPH_NAK_REM_ACCESS;
	if (len > ODPH_MAX_MSG_SIZE)
		return ODPH_NAK_INVALID_REQ;
	res = odph_resp_new_res(qp);
	res->opcode = pkt->opcode;
	res->va = be64_to_cpu(pkt->reth->va);
	res->rkey = be32_to_cpu(pkt->reth->rkey);
	res->length = len;
	res->first_psn = pkt->psn;
	res->last_psn = (pkt->psn + (len ? DIV_ROUND_UP(len, qp->mtu) : 1) - 1) &
			ODPH_PSN_MASK;
	if (qp->resp.read_more) {
		/* Responses go out in PSN order: after the earlier READ's. */
		odph_resp_read_later(c, res, pkt->psn);
		return 0;
	}
	switch (odph_resp_read_packets(c, res, pkt->psn)) {
	case 0:
		return 0;
	case -EAGAIN:
		res->opcode = 0;
		qp->resp.res_head--;
		return ODPH_AETH_RNR_NAK;
	default:
		res->opcode = 0;
		return ODPH_NAK_REM_ACCESS;
	}
}

/* Caller must hold qp->rq_lock.  Returns a NAK syndrome or 0. */
static u8 odph_resp_atomic(struct odph_resp_ctx *c)
{
	struct odph_qp *qp = c->qp;
	struct odph_pkt *pkt = c->pkt;
	u64 va = be64_to_cpu(pkt->atmeth->va);
	struct odph_rd_res *res;
	struct odph_mr *mr;
	u64 orig;
	int ret;

	lockdep_assert_held(&qp->rq_lock);
	if (!(qp->attr.qp_access_flags & IB_ACCESS_REMOTE_ATOMIC))
		return ODPH_NAK_REM_ACCESS;
	if (!IS_ALIGNED(va, sizeof(u64)))
		return ODPH_NAK_INVALID_REQ;
	mr = odph_rkey_get(qp, be32_to_cpu(pkt->atmeth->rkey),
			   IB_ACCESS_REMOTE_ATOMIC, va, sizeof(u64));
	if (!mr)
		return ODPH_NAK_REM_ACCESS;
	ret = odph_mr_atomic(mr, va, pkt->opcode,
			     be64_to_cpu(pkt->atmeth->swap_add),
			     be64_to_cpu(pkt->atmeth->compare), &orig);
	odph_mr_put(mr);
	if (ret == -EAGAIN)
		ret = odph_resp_miss(qp, be32_to_cpu(pkt->atmeth->rkey), va,
				     sizeof(u64), true);
	if (ret == -EAGAIN)
		return ODPH_AETH_RNR_NAK;
	if (ret)
		return ODPH_NAK_REM_ACCESS;

	res = odph_resp_new_res(qp);
	res->opcode = pkt->opcode;
	res->first_psn = pkt->psn;
	res->last_psn = pkt->psn;
	res->atomic_orig = orig;
	odph_resp_atomic_ack(c, res);
	return 0;
}

/* The opcode must continue (or not) the message in progress. */
/* Caller must hold qp->rq_lock. */
static bool odph_resp_in_sequence(struct odph_qp *qp, struct odph_pkt *pkt)
{
	bool mid = qp->resp.in_msg, cont = !(pkt->mask & ODPH_FIRST);

	lockdep_assert_held(&qp->rq_lock);
	if (!(pkt->mask & (ODPH_SEND | ODPH_WRITE)))
		return !mid;
	if (mid != cont)
		return false;
	return !mid || (pkt->mask & (ODPH_SEND | ODPH_WRITE)) ==
		       qp->resp.msg_kind;
}

/* Caller must hold qp->rq_lock. */
static u8 odph_resp_execute(struct odph_resp_ctx *c)
{
	struct odph_qp *qp = c->qp;
	struct odph_pkt *pkt = c->pkt;
	u8 syn;

	lockdep_assert_held(&qp->rq_lock);
	if (!odph_resp_in_sequence(qp, pkt))
		return ODPH_NAK_INVALID_REQ;
	if (pkt->mask & ODPH_SEND)
		syn = odph_resp_send(c);
	else if (pkt->mask & ODPH_WRITE)
		syn = odph_resp_write(c);
	else if (pkt->mask & ODPH_READ)
		syn = odph_resp_read(c);
	else
		syn = odph_resp_atomic(c);
	if (syn)
		return syn;

	if (pkt->mask & (ODPH_SEND | ODPH_WRITE)) {
		qp->resp.in_msg = !(pkt->mask & ODPH_LAST);
		qp->resp.msg_kind = pkt->mask & (ODPH_SEND | ODPH_WRITE);
	}
	if (pkt->mask & (ODPH_LAST | ODPH_READ | ODPH_ATOMIC))
		qp->resp.msn++;
	if (pkt->mask & ODPH_READ)
		qp->resp.psn = (qp->resp.res[(qp->resp.res_head - 1) %
			max_t(u32, qp->attr.max_dest_rd_atomic, 1)].last_psn + 1) &
			ODPH_PSN_MASK;
	else
		qp->resp.psn = (pkt->psn + 1) & ODPH_PSN_MASK;
	if (odph_bth_ackreq(pkt->bth) &&
	    !(pkt->mask & (ODPH_READ | ODPH_ATOMIC)))
		odph_resp_ack(c, ODPH_AETH_ACK | ODPH_AETH_NO_CREDIT, pkt->psn);
	return 0;
}

/* An older PSN: acknowledge again or replay the response. */
/* Caller must hold qp->rq_lock. */
static void odph_resp_duplicate(struct odph_resp_ctx *c)
{
	struct odph_qp *qp = c->qp;
	struct odph_pkt *pkt = c->pkt;
	u32 n = max_t(u32, qp->attr.max_dest_rd_atomic, 1), i;

	lockdep_assert_held(&qp->rq_lock);
	if (!(pkt->mask & (ODPH_READ | ODPH_ATOMIC))) {
		odph_resp_ack(c, ODPH_AETH_ACK | ODPH_AETH_NO_CREDIT,
			      (qp->resp.psn - 1) & ODPH_PSN_MASK);
		return;
	}
	for (i = 0; i < n; i++) {
		struct odph_rd_res *res = &qp->resp.res[i];

		if (res->opcode != pkt->opcode ||
		    odph_psn_cmp(pkt->psn, res->first_psn) < 0 ||
		    odph_psn_cmp(pkt->psn, res->last_psn) > 0)
			continue;
		if (pkt->mask & ODPH_ATOMIC)
			odph_resp_atomic_ack(c, res);
		else if (qp->resp.read_more ||
			 odph_resp_read_packets(c, res, pkt->psn) == -EAGAIN)
			/*
			 * A page of the replay is gone (an invalidation since
			 * the first answer): the work faults it and replays.
			 * Dropping the duplicate instead left the fault to
			 * nobody, and the peer resent into the same miss
			 * until its retry count ran out.
			 */
			odph_resp_read_later(c, res, pkt->psn);
		return;
	}
}

/* Caller must hold qp->rq_lock. */
static void odph_resp_rc(struct odph_resp_ctx *c)
{
	struct odph_qp *qp = c->qp;
	int d = odph_psn_cmp(c->pkt->psn, qp->resp.psn);
	u8 syn;

	lockdep_assert_held(&qp->rq_lock);
	if (d < 0) {
		odph_resp_duplicate(c);
		return;
	}
	if (d > 0) {
		odph_counter_inc(qp->dev, ODPH_CNT_DROP_PSN);
		if (!qp->resp.nak_sent) {
			qp->resp.nak_sent = true;
			odph_resp_ack(c, ODPH_NAK_PSN_SEQ, qp->resp.psn);
			odph_counter_inc(qp->dev, ODPH_CNT_SEQ_NAK_SENT);
		}
		return;
	}
	qp->resp.nak_sent = false;
	syn = odph_resp_execute(c);
	if (syn == ODPH_AETH_RNR_NAK)
		odph_resp_rnr(c);
	else if (syn) {
		odph_resp_nak(c, syn);
		qp->resp.fatal = true;	/* the QP goes to the error state */
	}
}

/* ---- UC ---- */

/*
 * Forget the UC message in progress: a SEND's receive WQE stays taken and
 * is filled again from its start by the next SEND (IBA 9.8.2: the WQE is
 * reused); a WRITE's target is forgotten.
 */
/* Caller must hold qp->rq_lock. */
static void odph_resp_uc_abort(struct odph_qp *qp)
{
	lockdep_assert_held(&qp->rq_lock);
	qp->resp.in_msg = false;
	qp->resp.recv_off = 0;
	qp->resp.rkey = 0;
}

/*
 * Whether a UC packet may be executed.  A PSN gap or an opcode that does
 * not continue the message in progress drops that message; a FIRST or
 * ONLY packet then starts the next one, anything else is dropped until it
 * comes.  The expected PSN follows every packet received.
 */
/* Caller must hold qp->rq_lock. */
static bool odph_resp_uc_accept(struct odph_qp *qp, struct odph_pkt *pkt)
{
	bool gap = odph_psn_cmp(pkt->psn, qp->resp.psn) != 0;

	lockdep_assert_held(&qp->rq_lock);
	qp->resp.psn = (pkt->psn + 1) & ODPH_PSN_MASK;
	if (!gap && odph_resp_in_sequence(qp, pkt))
		return true;
	/* Counted once: this packet, or the message it cut short. */
	if (qp->resp.in_msg || !(pkt->mask & ODPH_FIRST))
		odph_counter_inc(qp->dev, ODPH_CNT_DROP_PSN);
	if (qp->resp.in_msg)
		odph_resp_uc_abort(qp);
	return pkt->mask & ODPH_FIRST;
}

/*
 * UC: like RC without any reply.  A message that cannot be placed (no
 * receive WQE, a bad rkey or range, an unmapped ODP page) is dropped and
 * counted; an unmapped page is faulted in the background so that the
 * next message lands.  Receive errors (too long for the WQE) complete the
 * WQE in error, as odph_resp_send() does.
 */
/* Caller must hold qp->rq_lock. */
static void odph_resp_uc(struct odph_resp_ctx *c)
{
	struct odph_qp *qp = c->qp;
	struct odph_pkt *pkt = c->pkt;
	u8 syn;

	lockdep_assert_held(&qp->rq_lock);
	if (!odph_resp_uc_accept(qp, pkt))
		return;
	if ((pkt->mask & ODPH_SEND) && (pkt->mask & ODPH_FIRST))
		qp->resp.recv_off = 0;
	syn = pkt->mask & ODPH_SEND ? odph_resp_send(c) : odph_resp_write(c);
	if (syn) {
		odph_counter_inc(qp->dev, ODPH_CNT_DROP_OTHER);
		odph_resp_uc_abort(qp);
		if (qp->resp_fault.pending)
			odph_qp_queue(qp, &qp->fault_work);
		return;
	}
	qp->resp.in_msg = !(pkt->mask & ODPH_LAST);
	qp->resp.msg_kind = pkt->mask & (ODPH_SEND | ODPH_WRITE);
	if (pkt->mask & ODPH_LAST)
		qp->resp.msn++;
}

/* ---- UD ---- */

/* The 40-byte GRH slot of a UD receive: an IPv6 header, or an IPv4 header
 * in its last 20 bytes, rebuilt from what the wire layer recorded. */
static void odph_resp_grh(struct sk_buff *skb, u8 *grh)
{
	struct odph_rx_info *rx = odph_rx_cb(skb);

	memset(grh, 0, 40);
	if (rx->family == AF_INET) {
		struct iphdr *ip = (struct iphdr *)(grh + 20);

		ip->version = 4;
		ip->ihl = 5;
		ip->tos = rx->traffic_class;
		ip->ttl = rx->hop_limit;
		ip->protocol = IPPROTO_UDP;
		ip->saddr = rx->saddr.s6_addr32[3];
		ip->daddr = rx->daddr.s6_addr32[3];
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)grh;

		ip6->version = 6;
		ip6_flow_hdr(ip6, rx->traffic_class, cpu_to_be32(rx->flow_label));
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = rx->hop_limit;
		ip6->saddr = rx->saddr;
		ip6->daddr = rx->daddr;
	}
}

/* Caller must hold qp->rq_lock. */
static void odph_resp_ud(struct odph_resp_ctx *c)
{
	struct odph_qp *qp = c->qp;
	struct odph_pkt *pkt = c->pkt;
	struct ib_wc wc = {};
	struct odph_rwqe *r;
	u8 grh[40];
	int ret;

	lockdep_assert_held(&qp->rq_lock);
	if (be32_to_cpu(pkt->deth->qkey) != qp->attr.qkey) {
		odph_counter_inc(qp->dev, ODPH_CNT_DROP_OTHER);
		return;
	}
	r = odph_resp_take_rwqe(qp);
	if (!r) {
		odph_counter_inc(qp->dev, ODPH_CNT_DROP_OTHER);
		return;
	}
	odph_resp_grh(c->skb, grh);
	ret = odph_resp_scatter(qp, r, 0, grh, sizeof(grh));
	if (!ret)
		ret = odph_resp_scatter(qp, r, sizeof(grh), pkt->payload,
					pkt->paylen);
	if (ret == -EAGAIN) {
		/*
		 * An ODP page of the receive buffer is not mapped: drop the
		 * datagram (UD is unreliable), keep the WQE for the next one
		 * and fault the page in meanwhile.
		 */
		odph_counter_inc(qp->dev, ODPH_CNT_DROP_OTHER);
		odph_qp_queue(qp, &qp->fault_work);
		return;
	}
	wc.status = !ret ? IB_WC_SUCCESS : ret == -EMSGSIZE ?
		    IB_WC_LOC_LEN_ERR : IB_WC_LOC_PROT_ERR;
	wc.opcode = IB_WC_RECV;
	wc.byte_len = sizeof(grh) + pkt->paylen;
	wc.src_qp = be32_to_cpu(pkt->deth->sqp) & ODPH_QPN_MASK;
	wc.wc_flags = IB_WC_GRH | IB_WC_WITH_NETWORK_HDR_TYPE;
	wc.network_hdr_type = odph_rx_cb(c->skb)->family == AF_INET ?
			      RDMA_NETWORK_IPV4 : RDMA_NETWORK_IPV6;
	/* and in sl as mlx5 does: UCX's UD reads it (ARCHITECTURE.md, UCX) */
	wc.sl = wc.network_hdr_type == RDMA_NETWORK_IPV4 ? 2 : 1;
	if (pkt->immdt) {
		wc.wc_flags |= IB_WC_WITH_IMM;
		wc.ex.imm_data = pkt->immdt->imm;
	}
	odph_resp_complete_recv(qp, &wc, pkt->bth->flags & ODPH_BTH_SE);
}

/**
 * odph_resp_rcv - a request packet for @qp's receive side
 */
void odph_resp_rcv(struct odph_qp *qp, struct sk_buff *skb, u8 opcode)
{
	struct odph_pkt pkt;
	struct odph_resp_ctx c = { .qp = qp, .pkt = &pkt, .skb = skb };
	struct sk_buff *out;
	bool fatal;

	odph_pkt_parse(skb, &pkt);
	__skb_queue_head_init(&c.out);

	spin_lock_bh(&qp->rq_lock);
	if ((qp->state == IB_QPS_RTR || qp->state == IB_QPS_RTS ||
	     qp->state == IB_QPS_SQD) && odph_qp_from_peer(qp, skb)) {
		if (qp->ib.qp_type == IB_QPT_RC)
			odph_resp_rc(&c);
		else if (qp->ib.qp_type == IB_QPT_UC)
			odph_resp_uc(&c);
		else
			odph_resp_ud(&c);
	}
	fatal = qp->resp.fatal;
	spin_unlock_bh(&qp->rq_lock);

	while ((out = __skb_dequeue(&c.out)))
		odph_net_xmit(qp->dev, &qp->path, out);	/* counts its errors */
	consume_skb(skb);
	if (fatal)
		odph_qp_fail(qp);
}

/* Complete every posted receive WQE with IB_WC_WR_FLUSH_ERR. */
void odph_resp_flush(struct odph_qp *qp)
{
	struct ib_wc wc = { .status = IB_WC_WR_FLUSH_ERR, .opcode = IB_WC_RECV };

	spin_lock_bh(&qp->rq_lock);
	qp->resp.rkey = 0;
	/* The WQE in progress, then (without an SRQ) every posted one. */
	if (qp->resp.rwqe_valid)
		odph_resp_complete_recv(qp, &wc, false);
	while (!qp->srq && odph_resp_take_rwqe(qp))
		odph_resp_complete_recv(qp, &wc, false);
	spin_unlock_bh(&qp->rq_lock);
}
