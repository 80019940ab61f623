// SPDX-License-Identifier: GPL-2.0
/*
 * verbs_state.c - the QP state machine: every transition from RESET, INIT,
 * RTR, RTS and ERR, legal ones accepted, illegal ones refused with EINVAL
 * and the QP left in its state; required and forbidden attributes; a
 * consumer's RESET that races a fatal packet stays RESET.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "verbs.h"

FIXTURE(qps) {
	struct vdev d;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
};

FIXTURE_SETUP(qps)
{
	vdev_open(&self->d);
	self->cq = ibv_create_cq(self->d.ctx, 16, NULL, NULL, 0);
	ASSERT_TRUE(self->cq);
	self->qp = vqp_new(&self->d, IBV_QPT_RC, self->cq, self->cq, NULL, 4, 1);
}

FIXTURE_TEARDOWN(qps)
{
	if (self->qp)
		ibv_destroy_qp(self->qp);
	if (self->cq)
		ibv_destroy_cq(self->cq);
	vdev_close(&self->d);
}

/*
 * Take the RC QP from RESET to @s the legal way (looped back to itself;
 * ERR by way of INIT).
 */
static void drive(struct _tap_fx_qps *self, enum ibv_qp_state s)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_ERR };

	if (s == IBV_QPS_RESET)
		return;
	ASSERT_EQ(0, vqp_init(self->qp, IBV_QPT_RC));
	if (s == IBV_QPS_ERR) {
		ASSERT_EQ(0, ibv_modify_qp(self->qp, &a, IBV_QP_STATE));
		return;
	}
	if (s == IBV_QPS_INIT)
		return;
	ASSERT_EQ(0, vqp_rtr(&self->d, self->qp, self->qp->qp_num, 0));
	if (s == IBV_QPS_RTR)
		return;
	ASSERT_EQ(0, vqp_rts(self->qp, 0));
}

/* The attributes a legal move to @to needs (and only those). */
static int attrs_for(struct _tap_fx_qps *self, enum ibv_qp_state from,
		     enum ibv_qp_state to, struct ibv_qp_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->qp_state = to;
	switch (to) {
	case IBV_QPS_INIT:
		a->port_num = 1;
		a->qp_access_flags = IBV_ACCESS_REMOTE_WRITE;
		return IBV_QP_STATE | (from == IBV_QPS_RESET ?
			IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS : 0);
	case IBV_QPS_RTR:
		a->path_mtu = IBV_MTU_1024;
		a->dest_qp_num = self->qp->qp_num;
		a->max_dest_rd_atomic = 1;
		a->min_rnr_timer = 1;
		a->ah_attr.is_global = 1;
		a->ah_attr.port_num = 1;
		a->ah_attr.grh.sgid_index = self->d.gidx;
		a->ah_attr.grh.dgid = self->d.gid;
		a->ah_attr.grh.hop_limit = 64;
		return IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
		       IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
		       IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
	case IBV_QPS_RTS:
		a->timeout = 14;
		a->retry_cnt = 7;
		a->rnr_retry = 7;
		a->max_rd_atomic = 1;
		return IBV_QP_STATE | (from == IBV_QPS_RTR ?
			IBV_QP_SQ_PSN | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC : 0);
	default:
		return IBV_QP_STATE;
	}
}

/*
 * From @from to @to with the attributes that move needs when legal:
 * EINVAL and no state change when illegal, success and the new state
 * when legal.
 */
static void transition(struct _tap_fx_qps *self, enum ibv_qp_state from,
		       enum ibv_qp_state to, int want)
{
	struct ibv_qp_attr a;
	int mask, ret;

	drive(self, from);
	ASSERT_EQ(from, vqp_state(self->qp));
	mask = attrs_for(self, from, to, &a);
	ret = ibv_modify_qp(self->qp, &a, mask) ? errno : 0;
	ASSERT_EQ(want, ret);
	ASSERT_EQ(want ? from : to, vqp_state(self->qp));
}

#define T(name, from, to, want)						\
	TEST_F(qps, name) { transition(self, IBV_QPS_##from, IBV_QPS_##to, want); }

T(reset_to_reset, RESET, RESET, 0)
T(reset_to_init, RESET, INIT, 0)
T(reset_to_rtr_illegal, RESET, RTR, EINVAL)
T(reset_to_rts_illegal, RESET, RTS, EINVAL)
/* The core's table has no RESET -> ERR (INIT first). */
T(reset_to_err_illegal, RESET, ERR, EINVAL)
T(init_to_reset, INIT, RESET, 0)
T(init_to_init, INIT, INIT, 0)
T(init_to_rtr, INIT, RTR, 0)
T(init_to_rts_illegal, INIT, RTS, EINVAL)
T(init_to_err, INIT, ERR, 0)
T(rtr_to_reset, RTR, RESET, 0)
T(rtr_to_init_illegal, RTR, INIT, EINVAL)
T(rtr_to_rtr_illegal, RTR, RTR, EINVAL)
T(rtr_to_rts, RTR, RTS, 0)
T(rtr_to_err, RTR, ERR, 0)
T(rts_to_reset, RTS, RESET, 0)
T(rts_to_init_illegal, RTS, INIT, EINVAL)
T(rts_to_rtr_illegal, RTS, RTR, EINVAL)
T(rts_to_rts, RTS, RTS, 0)
T(rts_to_err, RTS, ERR, 0)
T(err_to_reset, ERR, RESET, 0)
T(err_to_init_illegal, ERR, INIT, EINVAL)
T(err_to_rtr_illegal, ERR, RTR, EINVAL)
T(err_to_rts_illegal, ERR, RTS, EINVAL)
T(err_to_err, ERR, ERR, 0)

/* A legal move with a required attribute missing, or a forbidden one. */
static void bad_mask(struct _tap_fx_qps *self, enum ibv_qp_state from,
		     enum ibv_qp_state to, int drop, int add)
{
	struct ibv_qp_attr a;
	int mask;

	drive(self, from);
	mask = (attrs_for(self, from, to, &a) & ~drop) | add;
	ASSERT_NE(0, ibv_modify_qp(self->qp, &a, mask));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(from, vqp_state(self->qp));
}

TEST_F(qps, init_needs_port) { bad_mask(self, IBV_QPS_RESET, IBV_QPS_INIT, IBV_QP_PORT, 0); }
TEST_F(qps, init_needs_access) { bad_mask(self, IBV_QPS_RESET, IBV_QPS_INIT, IBV_QP_ACCESS_FLAGS, 0); }
TEST_F(qps, init_forbids_sq_psn) { bad_mask(self, IBV_QPS_RESET, IBV_QPS_INIT, 0, IBV_QP_SQ_PSN); }
TEST_F(qps, rtr_needs_av) { bad_mask(self, IBV_QPS_INIT, IBV_QPS_RTR, IBV_QP_AV, 0); }
TEST_F(qps, rtr_needs_dest_qpn) { bad_mask(self, IBV_QPS_INIT, IBV_QPS_RTR, IBV_QP_DEST_QPN, 0); }
TEST_F(qps, rtr_needs_mtu) { bad_mask(self, IBV_QPS_INIT, IBV_QPS_RTR, IBV_QP_PATH_MTU, 0); }
TEST_F(qps, rts_needs_sq_psn) { bad_mask(self, IBV_QPS_RTR, IBV_QPS_RTS, IBV_QP_SQ_PSN, 0); }
TEST_F(qps, rts_needs_timeout) { bad_mask(self, IBV_QPS_RTR, IBV_QPS_RTS, IBV_QP_TIMEOUT, 0); }
TEST_F(qps, rts_forbids_dest_qpn) { bad_mask(self, IBV_QPS_RTR, IBV_QPS_RTS, 0, IBV_QP_DEST_QPN); }

/* RESET drops posted receives without completions. */
TEST_F(qps, reset_drops_posted_wqes)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RESET };
	struct vbuf b;
	struct ibv_sge s;
	struct ibv_wc wc;

	vbuf_reg(&self->d, &b, 4096, IBV_ACCESS_LOCAL_WRITE);
	s = vsge(&b, 0, 64);
	drive(self, IBV_QPS_INIT);
	ASSERT_EQ(0, vpost_recv(self->qp, 1, &s, 1));
	ASSERT_EQ(0, ibv_modify_qp(self->qp, &a, IBV_QP_STATE));
	/* Back to INIT, then ERR: a receive still queued would be flushed. */
	ASSERT_EQ(0, vqp_init(self->qp, IBV_QPT_RC));
	a.qp_state = IBV_QPS_ERR;
	ASSERT_EQ(0, ibv_modify_qp(self->qp, &a, IBV_QP_STATE));
	ASSERT_EQ(0, vpoll(self->cq, &wc, 1, 300));
	vbuf_free(&b);
}

/* Moving to ERR flushes posted receives with IBV_WC_WR_FLUSH_ERR. */
TEST_F(qps, err_flushes_recv)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_ERR };
	struct vbuf b;
	struct ibv_sge s;
	struct ibv_wc wc[2];

	vbuf_reg(&self->d, &b, 4096, IBV_ACCESS_LOCAL_WRITE);
	s = vsge(&b, 0, 64);
	drive(self, IBV_QPS_RTS);
	ASSERT_EQ(0, vpost_recv(self->qp, 1, &s, 1));
	ASSERT_EQ(0, vpost_recv(self->qp, 2, &s, 1));
	ASSERT_EQ(0, ibv_modify_qp(self->qp, &a, IBV_QP_STATE));
	ASSERT_EQ(2, vpoll(self->cq, wc, 2, 5000));
	ASSERT_EQ(IBV_WC_WR_FLUSH_ERR, wc[0].status);
	ASSERT_EQ(1, wc[0].wr_id);
	ASSERT_EQ(IBV_WC_WR_FLUSH_ERR, wc[1].status);
	ASSERT_EQ(2, wc[1].wr_id);
	vbuf_free(&b);
}

/* A send posted in ERR completes at once with IBV_WC_WR_FLUSH_ERR. */
TEST_F(qps, post_send_in_err_flushed)
{
	struct vbuf b;
	struct ibv_sge s;
	struct ibv_wc wc;

	vbuf_reg(&self->d, &b, 4096, IBV_ACCESS_LOCAL_WRITE);
	s = vsge(&b, 0, 64);
	drive(self, IBV_QPS_ERR);
	ASSERT_EQ(0, vpost_send(self->qp, IBV_WR_SEND, 5, &s, 1, 0, 0));
	ASSERT_EQ(1, vpoll(self->cq, &wc, 1, 5000));
	ASSERT_EQ(5, wc.wr_id);
	ASSERT_EQ(IBV_WC_WR_FLUSH_ERR, wc.status);
	vbuf_free(&b);
}

/*
 * A WQE refused by the NIC (an opcode that does not exist) completes with
 * an error and fails the QP; the WRITE posted behind it is flushed, and
 * its target is never written.
 */
TEST_F(qps, refused_wqe_stops_the_queue)
{
	struct ibv_send_wr w[2], *bad;
	struct vbuf b;
	struct ibv_sge s;
	struct ibv_wc wc[2];
	unsigned int i;

	vbuf_reg(&self->d, &b, 8192, IBV_ACCESS_LOCAL_WRITE |
		 IBV_ACCESS_REMOTE_WRITE);
	vfill(b.p, 4096, 5);
	memset(b.p + 4096, 0, 4096);
	s = vsge(&b, 0, 4096);
	drive(self, IBV_QPS_RTS);
	memset(w, 0, sizeof(w));
	w[0] = (struct ibv_send_wr){ .wr_id = 1, .sg_list = &s, .num_sge = 1,
				     .opcode = 77, .next = &w[1],
				     .send_flags = IBV_SEND_SIGNALED };
	w[1] = (struct ibv_send_wr){ .wr_id = 2, .sg_list = &s, .num_sge = 1,
				     .opcode = IBV_WR_RDMA_WRITE,
				     .send_flags = IBV_SEND_SIGNALED,
				     .wr.rdma = { .remote_addr =
						  (uintptr_t)b.p + 4096,
						  .rkey = b.mr->rkey } };
	ASSERT_EQ(0, ibv_post_send(self->qp, w, &bad));
	ASSERT_EQ(2, vpoll(self->cq, wc, 2, 5000));
	ASSERT_EQ(1, wc[0].wr_id);
	ASSERT_EQ(IBV_WC_LOC_QP_OP_ERR, wc[0].status);
	ASSERT_EQ(2, wc[1].wr_id);
	ASSERT_EQ(IBV_WC_WR_FLUSH_ERR, wc[1].status);
	ASSERT_EQ(IBV_QPS_ERR, vqp_state(self->qp));
	for (i = 4096; i < 8192; i++)
		ASSERT_EQ(0, b.p[i]);
	vbuf_free(&b);
}

/*
 * A fatal packet racing the consumer's RESET never undoes it.  The QP
 * (looped back to itself) WRITEs with an rkey that does not exist: its
 * responder NAKs and fails the QP, its completer fails the WRITE; the
 * consumer moves it to RESET meanwhile, after a delay swept across the
 * packet's flight.  Whatever order the two took, the last word is the
 * consumer's: the QP is in RESET once the packets are gone, never ERR.
 */
TEST_F(qps, reset_wins_over_a_racing_fatal_packet)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RESET };
	struct ibv_wc wc[16];
	struct vbuf b;
	struct ibv_sge s;
	int i;

	vbuf_reg(&self->d, &b, 4096, IBV_ACCESS_LOCAL_WRITE);
	s = vsge(&b, 0, 64);
	for (i = 0; i < 120; i++) {
		drive(self, IBV_QPS_RTS);
		ASSERT_EQ(0, vpost_send(self->qp, IBV_WR_RDMA_WRITE, i, &s, 1,
					(uintptr_t)b.p, 0xdead00 | (i & 0xff)));
		usleep((i % 12) * 50);
		ASSERT_EQ(0, ibv_modify_qp(self->qp, &a, IBV_QP_STATE));
		usleep(5000);	/* what was in flight lands or is dropped */
		ASSERT_EQ(IBV_QPS_RESET, vqp_state(self->qp));
		while (ibv_poll_cq(self->cq, 16, wc) > 0)
			;
	}
	vbuf_free(&b);
}

/*
 * The QP to RTS towards @dqpn (on this device) with the given transport
 * timeout and retry counts: the path of the retry and RNR cases below.
 */
static void rts_with(struct _tap_fx_qps *self, uint32_t dqpn, uint8_t timeout,
		     uint8_t retry_cnt, uint8_t rnr_retry)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RTS, .timeout = timeout,
				 .retry_cnt = retry_cnt, .rnr_retry = rnr_retry,
				 .max_rd_atomic = 1 };

	ASSERT_EQ(0, vqp_init(self->qp, IBV_QPT_RC));
	ASSERT_EQ(0, vqp_rtr(&self->d, self->qp, dqpn, 0));
	ASSERT_EQ(0, ibv_modify_qp(self->qp, &a, IBV_QP_STATE |
				   IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
				   IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
				   IBV_QP_MAX_QP_RD_ATOMIC));
}

/*
 * A SEND to a QP that does not exist is never acknowledged: the requester
 * times out, resends exactly @retry_cnt times (IBTA 9.7.6.1.3: 7 is seven
 * retries, not "infinite" as it is for rnr_retry) and then completes the
 * WQE with IBV_WC_RETRY_EXC_ERR, the QP in ERR; the WQE behind it is
 * flushed.  odph's timeouts counter moves by exactly @retry_cnt.
 */
static void retry_exhausted(struct _tap_fx_qps *self, uint8_t retry_cnt)
{
	long before = vcounter("timeouts"), after;
	struct ibv_wc wc[2];
	struct vbuf b;
	struct ibv_sge s;

	vbuf_reg(&self->d, &b, 4096, IBV_ACCESS_LOCAL_WRITE);
	s = vsge(&b, 0, 64);
	rts_with(self, 0xabcde, 8, retry_cnt, 7);
	ASSERT_EQ(0, vpost_send(self->qp, IBV_WR_SEND, 1, &s, 1, 0, 0));
	ASSERT_EQ(0, vpost_send(self->qp, IBV_WR_SEND, 2, &s, 1, 0, 0));
	ASSERT_EQ(2, vpoll(self->cq, wc, 2, 20000));
	ASSERT_EQ(1, wc[0].wr_id);
	ASSERT_EQ(IBV_WC_RETRY_EXC_ERR, wc[0].status);
	ASSERT_EQ(2, wc[1].wr_id);
	ASSERT_EQ(IBV_WC_WR_FLUSH_ERR, wc[1].status);
	ASSERT_EQ(IBV_QPS_ERR, vqp_state(self->qp));
	after = vcounter("timeouts");
	if (before >= 0 && after >= 0)
		ASSERT_EQ(retry_cnt, after - before);
	vbuf_free(&b);
}

TEST_F(qps, retry_cnt_0_fails_at_first_timeout) { retry_exhausted(self, 0); }
TEST_F(qps, retry_cnt_3_resends_three_times) { retry_exhausted(self, 3); }
TEST_F(qps, retry_cnt_7_is_seven_not_infinite) { retry_exhausted(self, 7); }

/*
 * A SEND to a QP (itself) that has no receive posted is answered with RNR
 * NAKs: after @rnr_retry resends the WQE completes with
 * IBV_WC_RNR_RETRY_EXC_ERR, so odph received exactly @rnr_retry + 1 RNR
 * NAKs.  An RNR NAK restarts the transport timer but never resets the RNR
 * count.
 */
static void rnr_exhausted(struct _tap_fx_qps *self, uint8_t rnr_retry)
{
	long before = vcounter("rnr_nak_rcvd"), after;
	struct ibv_wc wc;
	struct vbuf b;
	struct ibv_sge s;

	vbuf_reg(&self->d, &b, 4096, IBV_ACCESS_LOCAL_WRITE);
	s = vsge(&b, 0, 64);
	rts_with(self, self->qp->qp_num, 14, 7, rnr_retry);
	ASSERT_EQ(0, vpost_send(self->qp, IBV_WR_SEND, 1, &s, 1, 0, 0));
	ASSERT_EQ(1, vpoll(self->cq, &wc, 1, 20000));
	ASSERT_EQ(1, wc.wr_id);
	ASSERT_EQ(IBV_WC_RNR_RETRY_EXC_ERR, wc.status);
	ASSERT_EQ(IBV_QPS_ERR, vqp_state(self->qp));
	after = vcounter("rnr_nak_rcvd");
	if (before >= 0 && after >= 0)
		ASSERT_EQ(rnr_retry + 1, after - before);
	vbuf_free(&b);
}

TEST_F(qps, rnr_retry_0_fails_at_first_rnr_nak) { rnr_exhausted(self, 0); }
TEST_F(qps, rnr_retry_3_resends_three_times) { rnr_exhausted(self, 3); }
