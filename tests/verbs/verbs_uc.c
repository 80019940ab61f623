// SPDX-License-Identifier: GPL-2.0
/*
 * verbs_uc.c - UC (unreliable connected) QPs: SEND and WRITE with and
 * without immediate data, one and many packets, data read back and
 * compared; READ refused; what the responder cannot place (bad rkey, no
 * receive WQE) dropped without a reply, and the next message delivered.
 * On odph the drop counters are checked against exact deltas.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "verbs.h"

#define BUF	(1u << 20)
#define SLACK	64		/* bytes after a message that must stay 0 */
#define IMM	0x7e57c0deu
#define MS	20000
#define MTU	1024		/* vpair_uc()'s path MTU */
#define A_PSN	0x200		/* vpair_uc(): a's first send PSN */

static const int ALL = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		       IBV_ACCESS_REMOTE_READ;

FIXTURE(uc) {
	struct vdev d;
	struct vpair p;
	struct vbuf src, dst;
};

FIXTURE_SETUP(uc)
{
	vdev_open(&self->d);
	vbuf_reg(&self->d, &self->src, BUF, ALL);
	vbuf_reg(&self->d, &self->dst, BUF, ALL);
	vpair_uc(&self->d, &self->p, 64, A_PSN);
}

FIXTURE_TEARDOWN(uc)
{
	vpair_free(&self->p);
	vbuf_free(&self->src);
	vbuf_free(&self->dst);
	vdev_close(&self->d);
}

struct drops {
	long psn, other;
};

static struct drops drops_now(void)
{
	return (struct drops){ vcounter("drop_psn"), vcounter("drop_other") };
}

/*
 * The drop counters moved by exactly @psn and @other (odph only), waiting
 * up to 5 s for them to get there: the sender's completion comes when the
 * packets are sent, not when the receiver has seen them.  Wait before
 * sending the next message: UC loses messages that arrive interleaved
 * (the loopback path may deliver packets of two posts out of order).
 */
static void check_drops(struct drops before, long psn, long other)
{
	struct drops now = drops_now();

	if (verbs_is_rxe())
		return;
	for (int i = 0; i < 500 && (now.psn != before.psn + psn ||
				    now.other != before.other + other); i++) {
		usleep(10000);
		now = drops_now();
	}
	ASSERT_EQ(before.psn + psn, now.psn);
	ASSERT_EQ(before.other + other, now.other);
}

static bool has_imm(enum ibv_wr_opcode op)
{
	return op == IBV_WR_SEND_WITH_IMM || op == IBV_WR_RDMA_WRITE_WITH_IMM;
}

static bool is_write(enum ibv_wr_opcode op)
{
	return op == IBV_WR_RDMA_WRITE || op == IBV_WR_RDMA_WRITE_WITH_IMM;
}

/* a -> b: @op with @len bytes at dst + @off, to rkey @rkey; the sender's
 * completion must be a success (UC has no remote errors).
 */
static void uc_post(struct _tap_fx_uc *self, enum ibv_wr_opcode op,
		    uint32_t len, uint32_t rkey, uint64_t wr_id)
{
	struct ibv_sge sge = vsge(&self->src, 0, len);
	struct ibv_send_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = len ? 1 : 0,
		.opcode = op, .send_flags = IBV_SEND_SIGNALED,
		.imm_data = htonl(IMM),
		.wr.rdma = { .remote_addr = (uintptr_t)self->dst.p,
			     .rkey = rkey },
	}, *bad;
	struct ibv_wc wc;

	ASSERT_EQ(0, ibv_post_send(self->p.a, &wr, &bad));
	ASSERT_EQ(1, vpoll(self->p.scq, &wc, 1, MS));
	ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
	ASSERT_EQ(wr_id, wc.wr_id);
	ASSERT_EQ(is_write(op) ? IBV_WC_RDMA_WRITE : IBV_WC_SEND, wc.opcode);
	ASSERT_EQ(self->p.a->qp_num, wc.qp_num);
}

/* b's receive completion of a SEND or WRITE_WITH_IMM of @len bytes. */
static void check_recv(struct _tap_fx_uc *self, enum ibv_wr_opcode op,
		       uint32_t len, uint64_t wr_id)
{
	struct ibv_wc wc;

	ASSERT_EQ(1, vpoll(self->p.rcq, &wc, 1, MS));
	ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
	ASSERT_EQ(wr_id, wc.wr_id);
	ASSERT_EQ(self->p.b->qp_num, wc.qp_num);
	ASSERT_EQ(op == IBV_WR_RDMA_WRITE_WITH_IMM ?
		  IBV_WC_RECV_RDMA_WITH_IMM : IBV_WC_RECV, wc.opcode);
	ASSERT_EQ(len, wc.byte_len);
	ASSERT_EQ(has_imm(op), !!(wc.wc_flags & IBV_WC_WITH_IMM));
	if (has_imm(op))
		ASSERT_EQ(htonl(IMM), wc.imm_data);
}

/* One good message, everything about it checked; @seed varies the data. */
static void uc_op(struct _tap_fx_uc *self, enum ibv_wr_opcode op,
		  uint32_t len, unsigned int seed)
{
	struct ibv_sge rsge = vsge(&self->dst, 0, len + SLACK);
	bool recv = !is_write(op) || has_imm(op);
	static const unsigned char zero[SLACK];
	struct ibv_wc wc;

	vfill(self->src.p, len + SLACK, seed);
	memset(self->dst.p, 0, len + SLACK);
	if (recv)
		ASSERT_EQ(0, vpost_recv(self->p.b, 0xbeef, &rsge, 1));
	uc_post(self, op, len, self->dst.mr->rkey, 0xa11);
	if (recv) {
		check_recv(self, op, len, 0xbeef);
	} else {
		/* No completion to wait for: watch the data. */
		for (int i = 0; i < MS / 10 &&
		     memcmp(self->dst.p, self->src.p, len); i++)
			usleep(10000);
	}
	ASSERT_EQ(0, ibv_poll_cq(self->p.rcq, 1, &wc));
	ASSERT_MEM_EQ(self->src.p, self->dst.p, len);
	ASSERT_MEM_EQ(zero, self->dst.p + len, SLACK);
}

#define UC_CASE(name, op, len)						\
	TEST_F(uc, name)						\
	{								\
		struct drops d0 = drops_now();				\
									\
		uc_op(self, op, len, len);				\
		check_drops(d0, 0, 0);					\
	}

UC_CASE(send_0, IBV_WR_SEND, 0)
UC_CASE(send_1, IBV_WR_SEND, 1)
UC_CASE(send_mtu, IBV_WR_SEND, MTU)
UC_CASE(send_10000, IBV_WR_SEND, 10000)
UC_CASE(send_imm_0, IBV_WR_SEND_WITH_IMM, 0)
UC_CASE(send_imm_3000, IBV_WR_SEND_WITH_IMM, 3000)
UC_CASE(write_1, IBV_WR_RDMA_WRITE, 1)
UC_CASE(write_10000, IBV_WR_RDMA_WRITE, 10000)
UC_CASE(write_imm_0, IBV_WR_RDMA_WRITE_WITH_IMM, 0)
UC_CASE(write_imm_5000, IBV_WR_RDMA_WRITE_WITH_IMM, 5000)
/* 64 packets: no window, no ACKs; the PSN advances per packet. */
UC_CASE(send_64k, IBV_WR_SEND, 64u << 10)
UC_CASE(write_imm_64k, IBV_WR_RDMA_WRITE_WITH_IMM, 64u << 10)

/* Back to back messages of every kind keep the PSNs in step. */
TEST_F(uc, mixed_sequence)
{
	struct drops d0 = drops_now();

	uc_op(self, IBV_WR_SEND, 2500, 1);
	uc_op(self, IBV_WR_RDMA_WRITE, 4096, 2);
	uc_op(self, IBV_WR_SEND_WITH_IMM, 1, 3);
	uc_op(self, IBV_WR_RDMA_WRITE_WITH_IMM, 3000, 4);
	check_drops(d0, 0, 0);
}

/* UC has no RDMA READ (nor atomics): the WQE completes in error. */
TEST_F(uc, read_refused)
{
	struct ibv_sge sge = vsge(&self->src, 0, 16);
	struct ibv_send_wr wr = {
		.wr_id = 0x4ead, .sg_list = &sge, .num_sge = 1,
		.opcode = IBV_WR_RDMA_READ, .send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = (uintptr_t)self->dst.p,
			     .rkey = self->dst.mr->rkey },
	}, *bad;
	struct ibv_wc wc;

	memset(self->src.p, 0x5a, 16);
	vfill(self->dst.p, 16, 9);
	if (ibv_post_send(self->p.a, &wr, &bad))
		return;		/* refused at post time: fine too */
	ASSERT_EQ(1, vpoll(self->p.scq, &wc, 1, MS));
	ASSERT_EQ(0x4ead, wc.wr_id);
	ASSERT_EQ(IBV_WC_LOC_QP_OP_ERR, wc.status);
	for (int i = 0; i < 16; i++)
		ASSERT_EQ(0x5a, self->src.p[i]);
}

/*
 * A WRITE_WITH_IMM to a bad rkey is dropped: nothing written, no receive
 * completion, no reply.  The receive WQE it took serves the next message.
 */
TEST_F(uc, bad_rkey_write_imm_dropped)
{
	struct ibv_sge rsge = vsge(&self->dst, 0, 100 + SLACK);
	struct drops d0 = drops_now();
	struct ibv_wc wc;

	vfill(self->src.p, 100, 7);
	memset(self->dst.p, 0, 200);
	ASSERT_EQ(0, vpost_recv(self->p.b, 0xbeef, &rsge, 1));
	uc_post(self, IBV_WR_RDMA_WRITE_WITH_IMM, 100,
		self->dst.mr->rkey ^ 0x5500, 0xbad);
	check_drops(d0, 0, 1);
	ASSERT_EQ(0, vpoll(self->p.rcq, &wc, 1, 100));
	for (int i = 0; i < 200; i++)
		ASSERT_EQ(0, self->dst.p[i]);

	uc_post(self, IBV_WR_SEND, 100, 0, 0x900d);
	check_recv(self, IBV_WR_SEND, 100, 0xbeef);
	ASSERT_MEM_EQ(self->src.p, self->dst.p, 100);
	ASSERT_EQ(0, self->dst.p[100]);
	ASSERT_EQ(0, ibv_poll_cq(self->p.rcq, 1, &wc));
	check_drops(d0, 0, 1);
}

/*
 * A 10-packet WRITE out of the MR's bounds: its FIRST is refused, the 9
 * packets after it no longer continue a message and are dropped too.
 * The next WRITE starts a message again and lands.
 */
TEST_F(uc, out_of_bounds_write_dropped_then_next)
{
	struct ibv_sge sge = vsge(&self->src, 0, 10 * MTU);
	struct ibv_send_wr wr = {
		.wr_id = 0xbad, .sg_list = &sge, .num_sge = 1,
		.opcode = IBV_WR_RDMA_WRITE, .send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = (uintptr_t)self->dst.p + BUF -
					    5 * MTU,
			     .rkey = self->dst.mr->rkey },
	}, *bad;
	struct drops d0 = drops_now();
	struct ibv_wc wc;

	memset(self->dst.p + BUF - 6 * MTU, 0, 6 * MTU);
	vfill(self->src.p, 10 * MTU, 3);
	ASSERT_EQ(0, ibv_post_send(self->p.a, &wr, &bad));
	ASSERT_EQ(1, vpoll(self->p.scq, &wc, 1, MS));
	ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
	check_drops(d0, 9, 1);
	uc_op(self, IBV_WR_RDMA_WRITE_WITH_IMM, 3 * MTU + 5, 11);
	for (int i = 0; i < 6 * MTU; i++)
		ASSERT_EQ(0, self->dst.p[BUF - 6 * MTU + i]);
	check_drops(d0, 9, 1);
}

/* A SEND with no receive WQE posted is dropped (no RNR on UC). */
TEST_F(uc, send_without_recv_dropped)
{
	struct drops d0 = drops_now();
	struct ibv_wc wc;

	vfill(self->src.p, 3000, 5);
	uc_post(self, IBV_WR_SEND, 3000, 0, 0x5e);
	/* The 3-packet SEND: FIRST dropped, then MIDDLE and LAST. */
	check_drops(d0, 2, 1);
	ASSERT_EQ(0, vpoll(self->p.rcq, &wc, 1, 100));
	uc_op(self, IBV_WR_SEND_WITH_IMM, 2000, 6);
	check_drops(d0, 2, 1);
}

/*
 * b expects another PSN than a sends: the first packet of a message
 * resynchronises, so every message is delivered, nothing counted.
 */
TEST_F(uc, psn_resync_at_first)
{
	struct drops d0;

	vpair_free(&self->p);
	vpair_uc(&self->d, &self->p, 64, A_PSN + 1000);
	d0 = drops_now();
	uc_op(self, IBV_WR_SEND, 5000, 1);
	uc_op(self, IBV_WR_RDMA_WRITE_WITH_IMM, 2100, 2);
	check_drops(d0, 0, 0);
}

/*
 * An ODP target whose pages were never touched: a UC message meeting an
 * unmapped page is dropped (UC has no RNR) while the fault work maps it,
 * so a later try lands, intact.  Every failed try of a 3-packet message
 * counts its FIRST in drop_other and the 2 packets after it in drop_psn.
 */
static void uc_odp(struct _tap_fx_uc *self, enum ibv_wr_opcode op)
{
	const uint32_t len = 3 * MTU - 100;
	struct vbuf odp = { 0 };
	struct ibv_sge rsge;
	struct drops d0;
	struct ibv_wc wc;
	int tries, got = 0;

	if (verbs_is_rxe())
		SKIP("rxe 6.1 has no ODP");
	vbuf_reg(&self->d, &odp, 4 * MTU, IBV_ACCESS_LOCAL_WRITE |
		 IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_ON_DEMAND);
	rsge = vsge(&odp, 0, len);
	vfill(self->src.p, len, 77);
	ASSERT_EQ(0, vpost_recv(self->p.b, 0x0d9, &rsge, 1));
	d0 = drops_now();
	for (tries = 1; tries <= 50 && !got; tries++) {
		struct ibv_sge sge = vsge(&self->src, 0, len);
		struct ibv_send_wr wr = {
			.wr_id = tries, .sg_list = &sge, .num_sge = 1,
			.opcode = op, .send_flags = IBV_SEND_SIGNALED,
			.imm_data = htonl(IMM),
			.wr.rdma = { .remote_addr = (uintptr_t)odp.p,
				     .rkey = odp.mr->rkey },
		}, *bad;

		ASSERT_EQ(0, ibv_post_send(self->p.a, &wr, &bad));
		ASSERT_EQ(1, vpoll(self->p.scq, &wc, 1, MS));
		ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
		got = vpoll(self->p.rcq, &wc, 1, 200);
	}
	tries--;
	TAP_LOG("landed at try %d", tries);
	ASSERT_EQ(1, got);
	ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
	ASSERT_EQ(0x0d9, wc.wr_id);
	ASSERT_EQ(len, wc.byte_len);
	ASSERT_MEM_EQ(self->src.p, odp.p, len);
	ASSERT_GE(tries, 2);
	check_drops(d0, 2 * (tries - 1), tries - 1);
	vbuf_free(&odp);
}

TEST_F(uc, odp_send_dropped_until_mapped)
{
	uc_odp(self, IBV_WR_SEND_WITH_IMM);
}

TEST_F(uc, odp_write_imm_dropped_until_mapped)
{
	uc_odp(self, IBV_WR_RDMA_WRITE_WITH_IMM);
}
