// SPDX-License-Identifier: GPL-2.0
/*
 * verbs_ops.c - every opcode over RC and UD, data read back and compared,
 * immediate data, completion opcodes and byte counts checked; zero-length,
 * multi-packet and size-limit messages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "verbs.h"

#define BUF	(8u << 20)
#define SLACK	64		/* bytes after a message that must stay 0 */
#define IMM	0x1234abcdu
#define MS	20000

static const int ALL = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		       IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC;

FIXTURE(rc) {
	struct vdev d;
	struct vpair p;
	struct vbuf src, dst;
};

FIXTURE_SETUP(rc)
{
	vdev_open(&self->d);
	vbuf_reg(&self->d, &self->src, BUF, ALL);
	vbuf_reg(&self->d, &self->dst, BUF, ALL);
	vpair_rc(&self->d, &self->p, NULL, 64);
}

FIXTURE_TEARDOWN(rc)
{
	vpair_free(&self->p);
	vbuf_free(&self->src);
	vbuf_free(&self->dst);
	vdev_close(&self->d);
}

static bool has_imm(enum ibv_wr_opcode op)
{
	return op == IBV_WR_SEND_WITH_IMM || op == IBV_WR_RDMA_WRITE_WITH_IMM;
}

static enum ibv_wc_opcode send_wc_op(enum ibv_wr_opcode op)
{
	switch (op) {
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
		return IBV_WC_RDMA_WRITE;
	case IBV_WR_RDMA_READ:
		return IBV_WC_RDMA_READ;
	default:
		return IBV_WC_SEND;
	}
}

/* The receive side's completion of a SEND or WRITE_WITH_IMM. */
static void check_recv(struct vpair *p, enum ibv_wr_opcode op, uint32_t len)
{
	struct ibv_wc wc;

	ASSERT_EQ(1, vpoll(p->rcq, &wc, 1, MS));
	ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
	ASSERT_EQ(0xbeef, wc.wr_id);
	ASSERT_EQ(p->b->qp_num, wc.qp_num);
	ASSERT_EQ(op == IBV_WR_RDMA_WRITE_WITH_IMM ?
		  IBV_WC_RECV_RDMA_WITH_IMM : IBV_WC_RECV, wc.opcode);
	ASSERT_EQ(len, wc.byte_len);
	ASSERT_EQ(has_imm(op), !!(wc.wc_flags & IBV_WC_WITH_IMM));
	if (has_imm(op))
		ASSERT_EQ(htonl(IMM), wc.imm_data);
}

/*
 * a -> b with @op and @len bytes (READ: a reads b's buffer into its own).
 * The sender's completion, the receiver's, the data and the untouched
 * bytes after it are all checked.
 */
static void rc_op(struct _tap_fx_rc *self, enum ibv_wr_opcode op, uint32_t len)
{
	bool rd = op == IBV_WR_RDMA_READ;
	struct vbuf *from = rd ? &self->dst : &self->src;
	struct vbuf *to = rd ? &self->src : &self->dst;
	struct ibv_sge sge = vsge(rd ? to : from, 0, len);
	bool recv = op == IBV_WR_SEND || has_imm(op);
	struct ibv_send_wr wr = {
		.wr_id = 0xa11, .sg_list = &sge, .num_sge = len ? 1 : 0,
		.opcode = op, .send_flags = IBV_SEND_SIGNALED,
		.imm_data = htonl(IMM),
		.wr.rdma = { .remote_addr = (uintptr_t)(rd ? from : to)->p,
			     .rkey = (rd ? from : to)->mr->rkey },
	}, *bad;
	struct ibv_sge rsge = vsge(to, 0, len + SLACK);
	static const unsigned char zero[SLACK];
	struct ibv_wc wc;

	vfill(from->p, len + SLACK, len);
	memset(to->p, 0, len + SLACK);
	if (recv)
		ASSERT_EQ(0, vpost_recv(self->p.b, 0xbeef, &rsge, 1));
	ASSERT_EQ(0, ibv_post_send(self->p.a, &wr, &bad));
	ASSERT_EQ(1, vpoll(self->p.scq, &wc, 1, MS));
	ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
	ASSERT_EQ(0xa11, wc.wr_id);
	ASSERT_EQ(send_wc_op(op), wc.opcode);
	ASSERT_EQ(self->p.a->qp_num, wc.qp_num);
	if (rd)
		ASSERT_EQ(len, wc.byte_len);
	if (recv)
		check_recv(&self->p, op, len);
	/* A WRITE without immediate consumes no receive. */
	ASSERT_EQ(0, ibv_poll_cq(self->p.rcq, 1, &wc));
	ASSERT_MEM_EQ(from->p, to->p, len);
	ASSERT_MEM_EQ(zero, to->p + len, SLACK);
}

#define RC_CASE(name, op, len)						\
	TEST_F(rc, name) { rc_op(self, op, len); }

RC_CASE(send_0, IBV_WR_SEND, 0)
RC_CASE(send_1, IBV_WR_SEND, 1)
RC_CASE(send_4096, IBV_WR_SEND, 4096)
RC_CASE(send_10000, IBV_WR_SEND, 10000)
RC_CASE(send_imm_0, IBV_WR_SEND_WITH_IMM, 0)
RC_CASE(send_imm_3000, IBV_WR_SEND_WITH_IMM, 3000)
RC_CASE(write_0, IBV_WR_RDMA_WRITE, 0)
RC_CASE(write_1, IBV_WR_RDMA_WRITE, 1)
RC_CASE(write_10000, IBV_WR_RDMA_WRITE, 10000)
RC_CASE(write_imm_0, IBV_WR_RDMA_WRITE_WITH_IMM, 0)
RC_CASE(write_imm_5000, IBV_WR_RDMA_WRITE_WITH_IMM, 5000)
RC_CASE(read_0, IBV_WR_RDMA_READ, 0)
RC_CASE(read_1, IBV_WR_RDMA_READ, 1)
RC_CASE(read_10000, IBV_WR_RDMA_READ, 10000)
/* Many packets each: the send window and ACK coalescing at work. */
RC_CASE(send_4m, IBV_WR_SEND, 4u << 20)
RC_CASE(write_8m_minus_slack, IBV_WR_RDMA_WRITE, BUF - SLACK)
RC_CASE(read_4m, IBV_WR_RDMA_READ, 4u << 20)

/*
 * A READ with a key the responder refuses, queued behind a long READ whose
 * responses the responder sends in bursts from its work: it is NAKed in
 * PSN order, after the long READ's responses, not left unanswered.
 */
TEST_F(rc, bad_read_behind_long_read_nak_in_order)
{
	uint32_t len = 4u << 20;
	struct ibv_sge big = vsge(&self->src, 0, len);
	struct ibv_sge small = vsge(&self->src, len, 64);
	struct ibv_send_wr w[2] = {
		{ .wr_id = 1, .sg_list = &big, .num_sge = 1,
		  .opcode = IBV_WR_RDMA_READ, .send_flags = IBV_SEND_SIGNALED,
		  .next = &w[1],
		  .wr.rdma = { .remote_addr = (uintptr_t)self->dst.p,
			       .rkey = self->dst.mr->rkey } },
		{ .wr_id = 2, .sg_list = &small, .num_sge = 1,
		  .opcode = IBV_WR_RDMA_READ, .send_flags = IBV_SEND_SIGNALED,
		  .wr.rdma = { .remote_addr = (uintptr_t)self->dst.p,
			       .rkey = self->dst.mr->rkey ^ 0x5a } },
	}, *bad;
	struct ibv_wc wc[2];

	vfill(self->dst.p, len, 77);
	memset(self->src.p, 0, len);
	ASSERT_EQ(0, ibv_post_send(self->p.a, w, &bad));
	ASSERT_EQ(2, vpoll(self->p.scq, wc, 2, MS));
	ASSERT_EQ(1, wc[0].wr_id);
	ASSERT_EQ(IBV_WC_SUCCESS, wc[0].status);
	ASSERT_MEM_EQ(self->dst.p, self->src.p, len);
	ASSERT_EQ(2, wc[1].wr_id);
	ASSERT_EQ(IBV_WC_REM_ACCESS_ERR, wc[1].status);
}

/* Atomics on an 8-byte word of b: old value returned, new value stored. */
static void rc_atomic(struct _tap_fx_rc *self, enum ibv_wr_opcode op,
		      uint64_t init, uint64_t cmp_add, uint64_t swap,
		      uint64_t want_remote)
{
	uint64_t *remote = (uint64_t *)(self->dst.p + 64);
	uint64_t *local = (uint64_t *)self->src.p;
	struct ibv_sge sge = vsge(&self->src, 0, 8);
	struct ibv_send_wr wr = {
		.wr_id = 0xa70, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.atomic = { .remote_addr = (uintptr_t)remote,
			       .rkey = self->dst.mr->rkey,
			       .compare_add = cmp_add, .swap = swap },
	}, *bad;
	struct ibv_wc wc;

	*remote = init;
	*local = 0x5555555555555555ull;
	remote[1] = remote[-1] = 0;
	ASSERT_EQ(0, ibv_post_send(self->p.a, &wr, &bad));
	ASSERT_EQ(1, vpoll(self->p.scq, &wc, 1, MS));
	ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
	ASSERT_EQ(op == IBV_WR_ATOMIC_CMP_AND_SWP ? IBV_WC_COMP_SWAP :
		  IBV_WC_FETCH_ADD, wc.opcode);
	ASSERT_EQ(8, wc.byte_len);
	ASSERT_EQ(init, *local);
	ASSERT_EQ(want_remote, *remote);
	ASSERT_EQ(0, remote[1]);
	ASSERT_EQ(0, remote[-1]);
}

TEST_F(rc, cmp_swp_hit)
{
	rc_atomic(self, IBV_WR_ATOMIC_CMP_AND_SWP, 0x1111222233334444ull,
		  0x1111222233334444ull, 0xfeedfacecafebeefull,
		  0xfeedfacecafebeefull);
}

TEST_F(rc, cmp_swp_miss)
{
	rc_atomic(self, IBV_WR_ATOMIC_CMP_AND_SWP, 0x1111222233334444ull,
		  0x1111222233334445ull, 0xfeedfacecafebeefull,
		  0x1111222233334444ull);
}

TEST_F(rc, fetch_add)
{
	rc_atomic(self, IBV_WR_ATOMIC_FETCH_AND_ADD, 0xffffffff00000001ull,
		  0x1000000ffull, 0, 0x0000000000000100ull);
}

/* Three SGEs gathered on send, scattered over three SGEs on receive. */
TEST_F(rc, send_sge_gather_scatter)
{
	struct ibv_sge s[3] = { vsge(&self->src, 0, 100),
				vsge(&self->src, 4096, 2000),
				vsge(&self->src, 9000, 1) };
	struct ibv_sge r[3] = { vsge(&self->dst, 0, 1500),
				vsge(&self->dst, 8192, 500),
				vsge(&self->dst, 16384, 200) };
	unsigned char want[2101];
	struct ibv_wc wc;

	vfill(self->src.p, 10000, 9);
	memset(self->dst.p, 0, 20000);
	memcpy(want, self->src.p, 100);
	memcpy(want + 100, self->src.p + 4096, 2000);
	want[2100] = self->src.p[9000];
	ASSERT_EQ(0, vpost_recv(self->p.b, 0xbeef, r, 3));
	ASSERT_EQ(0, vpost_send(self->p.a, IBV_WR_SEND, 1, s, 3, 0, 0));
	ASSERT_EQ(1, vpoll(self->p.scq, &wc, 1, MS));
	ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
	check_recv(&self->p, IBV_WR_SEND, 2101);
	ASSERT_MEM_EQ(want, self->dst.p, 1500);
	ASSERT_MEM_EQ(want + 1500, self->dst.p + 8192, 500);
	ASSERT_MEM_EQ(want + 2000, self->dst.p + 16384, 101);
	ASSERT_EQ(0, self->dst.p[16384 + 101]);
}

/* Inline data: the sender's buffer may change right after posting. */
TEST_F(rc, send_inline_max)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr a;
	struct ibv_sge s, r = vsge(&self->dst, 0, 4096);
	struct ibv_send_wr wr = { .wr_id = 7, .sg_list = &s, .num_sge = 1,
				  .opcode = IBV_WR_SEND,
				  .send_flags = IBV_SEND_SIGNALED |
						IBV_SEND_INLINE }, *bad;
	unsigned char want[1024];
	struct ibv_wc wc;
	uint32_t n;

	ASSERT_EQ(0, ibv_query_qp(self->p.a, &a, IBV_QP_CAP, &init));
	n = a.cap.max_inline_data;
	ASSERT_LT(0, n);
	ASSERT_LE(n, sizeof(want));
	vfill(self->src.p, n, 3);
	memcpy(want, self->src.p, n);
	s = (struct ibv_sge){ .addr = (uintptr_t)self->src.p, .length = n };
	ASSERT_EQ(0, vpost_recv(self->p.b, 0xbeef, &r, 1));
	ASSERT_EQ(0, ibv_post_send(self->p.a, &wr, &bad));
	memset(self->src.p, 0xee, n);
	ASSERT_EQ(1, vpoll(self->p.scq, &wc, 1, MS));
	ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
	check_recv(&self->p, IBV_WR_SEND, n);
	ASSERT_MEM_EQ(want, self->dst.p, n);
}

/*
 * The message size limit is the port's max_msg_sz.  Both WQEs name an
 * lkey that does not exist, so the only difference is the length: exactly
 * the limit fails on the key (LOC_PROT_ERR), one byte more on the length
 * (LOC_LEN_ERR).  Nothing is transferred either way.
 */
static int over_limit(struct _tap_fx_rc *self, uint32_t extra)
{
	uint32_t max = self->d.port.max_msg_sz, bad_key = 0x7fff00;
	struct ibv_sge s[2] = {
		{ .addr = 4096, .length = max / 2, .lkey = bad_key },
		{ .addr = 4096, .length = max / 2 + extra, .lkey = bad_key },
	};
	struct ibv_wc wc;

	ASSERT_EQ(0, vpost_send(self->p.a, IBV_WR_RDMA_WRITE, 5, s, 2,
				(uintptr_t)self->dst.p, self->dst.mr->rkey));
	ASSERT_EQ(1, vpoll(self->p.scq, &wc, 1, MS));
	ASSERT_EQ(5, wc.wr_id);
	return wc.status;
}

/* odph: 2 GiB, the most a 31-bit RETH length allows; rxe 6.1: 8 MiB. */
TEST_F(rc, msg_at_max_is_not_len_err)
{
	ASSERT_EQ(verbs_is_rxe() ? 0x800000u : 0x80000000u,
		  self->d.port.max_msg_sz);
	ASSERT_EQ(verbs_is_rxe() ? IBV_WC_LOC_QP_OP_ERR : IBV_WC_LOC_PROT_ERR,
		  over_limit(self, 0));
}

/* rxe 6.1 reports LOC_QP_OP_ERR here: a difference, logged. */
TEST_F(rc, msg_over_max_loc_len_err)
{
	int want = verbs_is_rxe() ? IBV_WC_LOC_QP_OP_ERR : IBV_WC_LOC_LEN_ERR;

	if (verbs_is_rxe())
		TAP_LOG("rxe: over max_msg_sz is LOC_QP_OP_ERR, odph: LOC_LEN_ERR");
	ASSERT_EQ(want, over_limit(self, 1));
	ASSERT_EQ(IBV_QPS_ERR, vqp_state(self->p.a));
}

/* ---- UD ---- */

FIXTURE(ud) {
	struct vdev d;
	struct vpair p;
	struct vbuf src, dst;
};

FIXTURE_SETUP(ud)
{
	vdev_open(&self->d);
	vbuf_reg(&self->d, &self->src, 1 << 16, ALL);
	vbuf_reg(&self->d, &self->dst, 1 << 16, ALL);
	vpair_ud(&self->d, &self->p, 16);
}

FIXTURE_TEARDOWN(ud)
{
	vpair_free(&self->p);
	vbuf_free(&self->src);
	vbuf_free(&self->dst);
	vdev_close(&self->d);
}

static int ud_send(struct _tap_fx_ud *self, enum ibv_wr_opcode op,
		   uint32_t len, struct ibv_wc *swc)
{
	struct ibv_sge s = vsge(&self->src, 0, len);
	struct ibv_send_wr wr = {
		.wr_id = 0xd0, .sg_list = &s, .num_sge = len ? 1 : 0,
		.opcode = op, .send_flags = IBV_SEND_SIGNALED,
		.imm_data = htonl(IMM),
		.wr.ud = { .ah = self->p.ah, .remote_qpn = self->p.b->qp_num,
			   .remote_qkey = 0x11111111 },
	}, *bad;

	ASSERT_EQ(0, ibv_post_send(self->p.a, &wr, &bad));
	ASSERT_EQ(1, vpoll(self->p.scq, swc, 1, MS));
	return swc->status;
}

/* UD datagrams land after a 40-byte GRH; the source QP is reported. */
static void ud_op(struct _tap_fx_ud *self, enum ibv_wr_opcode op,
		  uint32_t len)
{
	struct ibv_sge r = vsge(&self->dst, 0, 40 + len + SLACK);
	static const unsigned char zero[SLACK];
	struct ibv_wc wc;

	vfill(self->src.p, len, len + 1);
	memset(self->dst.p, 0, 40 + len + SLACK);
	ASSERT_EQ(0, vpost_recv(self->p.b, 0xbeef, &r, 1));
	ASSERT_EQ(IBV_WC_SUCCESS, ud_send(self, op, len, &wc));
	ASSERT_EQ(IBV_WC_SEND, wc.opcode);
	ASSERT_EQ(1, vpoll(self->p.rcq, &wc, 1, MS));
	ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
	ASSERT_EQ(IBV_WC_RECV, wc.opcode);
	ASSERT_EQ(40 + len, wc.byte_len);
	ASSERT_EQ(self->p.a->qp_num, wc.src_qp);
	ASSERT_EQ(self->p.b->qp_num, wc.qp_num);
	ASSERT_TRUE(wc.wc_flags & IBV_WC_GRH);
	ASSERT_EQ(op == IBV_WR_SEND_WITH_IMM, !!(wc.wc_flags & IBV_WC_WITH_IMM));
	if (op == IBV_WR_SEND_WITH_IMM)
		ASSERT_EQ(htonl(IMM), wc.imm_data);
	ASSERT_MEM_EQ(self->src.p, self->dst.p + 40, len);
	ASSERT_MEM_EQ(zero, self->dst.p + 40 + len, SLACK);
}

static uint32_t port_mtu(struct _tap_fx_ud *self)
{
	return 128u << self->d.port.active_mtu;
}

TEST_F(ud, send_0) { ud_op(self, IBV_WR_SEND, 0); }
TEST_F(ud, send_100) { ud_op(self, IBV_WR_SEND, 100); }
TEST_F(ud, send_imm_0) { ud_op(self, IBV_WR_SEND_WITH_IMM, 0); }
TEST_F(ud, send_imm_1000) { ud_op(self, IBV_WR_SEND_WITH_IMM, 1000); }

/* The largest datagram is the port's active MTU (4096 on this veth). */
TEST_F(ud, send_port_mtu)
{
	ASSERT_EQ(IBV_MTU_4096, self->d.port.active_mtu);
	ud_op(self, IBV_WR_SEND, port_mtu(self));
}

/*
 * odph: LOC_LEN_ERR, nothing sent.  rxe 6.1 completes it successfully
 * and delivers nothing (a difference, logged).
 */
TEST_F(ud, send_over_port_mtu_fails)
{
	struct ibv_wc wc;
	int st = ud_send(self, IBV_WR_SEND, port_mtu(self) + 1, &wc);

	if (verbs_is_rxe())
		TAP_LOG("rxe: over-MTU UD send completes %s",
			ibv_wc_status_str(st));
	else
		ASSERT_EQ(IBV_WC_LOC_LEN_ERR, st);
	ASSERT_EQ(0, vpoll(self->p.rcq, &wc, 1, 300));
}

/* A datagram bigger than the receive buffer is dropped at the receiver. */
TEST_F(ud, recv_too_small_not_delivered)
{
	struct ibv_sge r = vsge(&self->dst, 0, 40 + 10);
	struct ibv_wc wc;

	ASSERT_EQ(0, vpost_recv(self->p.b, 0xbeef, &r, 1));
	ASSERT_EQ(IBV_WC_SUCCESS, ud_send(self, IBV_WR_SEND, 100, &wc));
	if (vpoll(self->p.rcq, &wc, 1, 500))
		ASSERT_NE(IBV_WC_SUCCESS, wc.status);
}
