// SPDX-License-Identifier: GPL-2.0
/*
 * verbs_mw.c - memory windows, type 1 (ibv_bind_mw) and type 2 (BIND_MW
 * WQEs), LOCAL_INV and SEND with Invalidate.
 *
 * QP a writes, reads and sends to QP b; b's memory (dst) is registered
 * with LOCAL_WRITE | MW_BIND only, so remote access to it exists only
 * through a window: windows of type 2 are bound on b.  Success cases move
 * data through the window's rkey and read it back.  Violations (outside
 * the window, missing access, stale or invalidated rkey, another QP,
 * another PD) must end in REM_ACCESS_ERR and leave dst untouched.  Invalid
 * binds and invalidations are table rows naming odph's result and stock
 * rxe 6.1's (VERBS_DRIVER=rxe); where they differ, the row says why.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "verbs.h"

#define DLEN	16384		/* dst: b's memory */
#define WOFF	4096		/* the window: dst[WOFF, WOFF + WLEN) */
#define WLEN	4096
#define MS	20000
#define NO_RXE	(-999)		/* a row not run on rxe (see it) */

static const int RW = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;

FIXTURE(mw) {
	struct vdev d;
	struct vpair p;
	struct vbuf src, dst;
	struct ibv_mw *mw;
	/* A second PD with its own RC pair and buffer (PD cases). */
	struct ibv_pd *pd2;
	struct vpair p2;
	struct vbuf buf2;
};

typedef struct _tap_fx_mw mw_t;

FIXTURE_SETUP(mw)
{
	vdev_open(&self->d);
	vbuf_reg(&self->d, &self->src, DLEN, IBV_ACCESS_LOCAL_WRITE);
	vbuf_reg(&self->d, &self->dst, DLEN,
		 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_MW_BIND);
	vpair_rc(&self->d, &self->p, NULL, 16);
}

FIXTURE_TEARDOWN(mw)
{
	if (self->mw)
		ibv_dealloc_mw(self->mw);
	vpair_free(&self->p);
	vpair_free(&self->p2);
	vbuf_free(&self->buf2);
	vbuf_free(&self->src);
	vbuf_free(&self->dst);
	if (self->pd2)
		ibv_dealloc_pd(self->pd2);
	vdev_close(&self->d);
}

/* ---- helpers ---- */

/* The next completion of @cq for QP @qpn: R_WC(status), or -1 if none. */
static int wc_of(struct ibv_cq *cq, uint32_t qpn, struct ibv_wc *out)
{
	struct ibv_wc wc;

	do {
		if (vpoll(cq, &wc, 1, MS) != 1)
			return -1;
	} while (wc.qp_num != qpn);
	if (out)
		*out = wc;
	return R_WC(wc.status);
}

static struct ibv_mw *mw_new(mw_t *self, struct ibv_pd *pd,
			     enum ibv_mw_type type)
{
	struct ibv_mw *mw = ibv_alloc_mw(pd ? pd : self->d.pd, type);

	ASSERT_MSG(mw, "alloc_mw(%d): %s", type, strerror(errno));
	return mw;
}

/* Type 1: ibv_bind_mw() on @qp; the new rkey is in mw->rkey. */
static int bind1(struct ibv_qp *qp, struct ibv_cq *cq, struct ibv_mw *mw,
		 struct ibv_mr *mr, uint64_t addr, size_t len, int access)
{
	struct ibv_mw_bind b = {
		.wr_id = 0xb1, .send_flags = IBV_SEND_SIGNALED,
		.bind_info = { .mr = mr, .addr = addr, .length = len,
			       .mw_access_flags = access },
	};

	int r = ibv_bind_mw(qp, mw, &b);	/* returns the errno */

	return r ? r : wc_of(cq, qp->qp_num, NULL);
}

/* Type 2: a BIND_MW WQE on @qp giving the window @rkey. */
static int bind2(struct ibv_qp *qp, struct ibv_cq *cq, struct ibv_mw *mw,
		 uint32_t rkey, struct ibv_mr *mr, uint64_t addr, size_t len,
		 int access)
{
	struct ibv_send_wr wr = {
		.wr_id = 0xb2, .opcode = IBV_WR_BIND_MW,
		.send_flags = IBV_SEND_SIGNALED,
		.bind_mw = { .mw = mw, .rkey = rkey,
			     .bind_info = { .mr = mr, .addr = addr,
					    .length = len,
					    .mw_access_flags = access } },
	}, *bad;
	int r = ibv_post_send(qp, &wr, &bad);	/* returns the errno */

	return r ? r : wc_of(cq, qp->qp_num, NULL);
}

static int local_inv(struct ibv_qp *qp, struct ibv_cq *cq, uint32_t rkey)
{
	struct ibv_send_wr wr = {
		.wr_id = 0x1, .opcode = IBV_WR_LOCAL_INV,
		.send_flags = IBV_SEND_SIGNALED, .invalidate_rkey = rkey,
	}, *bad;
	struct ibv_wc wc;
	int r = ibv_post_send(qp, &wr, &bad);	/* returns the errno */

	if (r)
		return r;
	r = wc_of(cq, qp->qp_num, &wc);
	if (r == R_WC(IBV_WC_SUCCESS))
		EXPECT_EQ(IBV_WC_LOCAL_INV, wc.opcode);
	return r;
}

/* A window of the fixture's dst: type 2 bound on b with @access. */
static uint32_t win2(mw_t *self, int access)
{
	uint32_t rkey;

	self->mw = mw_new(self, NULL, IBV_MW_TYPE_2);
	rkey = ibv_inc_rkey(self->mw->rkey);
	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  bind2(self->p.b, self->p.scq, self->mw, rkey, self->dst.mr,
			(uintptr_t)self->dst.p + WOFF, WLEN, access));
	return rkey;
}

/* A window of the fixture's dst: type 1 bound (through b) with @access. */
static uint32_t win1(mw_t *self, int access)
{
	self->mw = mw_new(self, NULL, IBV_MW_TYPE_1);
	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  bind1(self->p.b, self->p.scq, self->mw, self->dst.mr,
			(uintptr_t)self->dst.p + WOFF, WLEN, access));
	return self->mw->rkey;
}

/* a: RDMA @op of @len bytes of src[0..] to/from dst[@off] through @rkey. */
static int rdma(mw_t *self, enum ibv_wr_opcode op, uint32_t rkey,
		size_t off, uint32_t len)
{
	struct ibv_sge sge = vsge(&self->src, 0, len);

	ASSERT_EQ(0, vpost_send(self->p.a, op, 7, &sge, 1,
				(uintptr_t)self->dst.p + off, rkey));
	return wc_of(self->p.scq, self->p.a->qp_num, NULL);
}

/* Write src to the window at @off through @rkey and read it back. */
static void write_read_back(mw_t *self, uint32_t rkey, size_t off,
			    uint32_t len)
{
	vfill(self->src.p, len, (unsigned int)off + 1);
	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  rdma(self, IBV_WR_RDMA_WRITE, rkey, off, len));
	ASSERT_MEM_EQ(self->src.p, self->dst.p + off, len);
	vfill(self->dst.p + off, len, (unsigned int)off + 2);
	memset(self->src.p, 0, len);
	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  rdma(self, IBV_WR_RDMA_READ, rkey, off, len));
	ASSERT_MEM_EQ(self->dst.p + off, self->src.p, len);
}

/* ---- binds that work ---- */

TEST_F(mw, type1_bind_moves_data_and_retags_rkey)
{
	struct ibv_mw *mw = self->mw = mw_new(self, NULL, IBV_MW_TYPE_1);
	uint32_t old = mw->rkey;

	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  bind1(self->p.b, self->p.scq, mw, self->dst.mr,
			(uintptr_t)self->dst.p + WOFF, WLEN, RW));
	/* Same window (index), new tag. */
	EXPECT_EQ(old >> 8, mw->rkey >> 8);
	EXPECT_NE(old, mw->rkey);
	write_read_back(self, mw->rkey, WOFF, WLEN);
	write_read_back(self, mw->rkey, WOFF + 100, 200);
}

TEST_F(mw, type1_rebind_moves_the_window)
{
	uint32_t k1 = win1(self, RW), k2;

	/* Bound from another QP of the PD: type 1 windows have no QP. */
	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  bind1(self->p.a, self->p.scq, self->mw, self->dst.mr,
			(uintptr_t)self->dst.p, WLEN, RW));
	k2 = self->mw->rkey;
	EXPECT_NE(k1, k2);
	write_read_back(self, k2, 0, WLEN);
}

TEST_F(mw, type2_bind_moves_data_and_atomics)
{
	uint32_t rkey = win2(self, RW | IBV_ACCESS_REMOTE_ATOMIC);
	struct ibv_sge sge = vsge(&self->src, 0, 8);
	struct ibv_send_wr wr = {
		.wr_id = 9, .sg_list = &sge, .num_sge = 1,
		.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.atomic = { .remote_addr = (uintptr_t)self->dst.p + WOFF,
			       .compare_add = 5, .rkey = rkey },
	}, *bad;
	uint64_t v = 1000;

	wr.wr.atomic.remote_addr += 64;	/* the word at WOFF + 64 */
	write_read_back(self, rkey, WOFF, WLEN);
	memcpy(self->dst.p + WOFF + 64, &v, 8);
	ASSERT_EQ(0, ibv_post_send(self->p.a, &wr, &bad));
	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  wc_of(self->p.scq, self->p.a->qp_num, NULL));
	memcpy(&v, self->src.p, 8);
	EXPECT_EQ(1000, v);
	memcpy(&v, self->dst.p + WOFF + 64, 8);
	EXPECT_EQ(1005, v);
}

/* The window's MR is ODP: the responder faults through the window. */
TEST_F(mw, type2_over_odp_mr)
{
	struct vbuf odp;
	uint32_t rkey;

	if (verbs_is_rxe())
		SKIP("rxe has no ODP");
	vbuf_reg(&self->d, &odp, DLEN, IBV_ACCESS_LOCAL_WRITE |
		 IBV_ACCESS_MW_BIND | IBV_ACCESS_ON_DEMAND);
	vbuf_free(&self->dst);
	self->dst = odp;		/* never touched: nothing mapped yet */
	rkey = win2(self, RW);
	write_read_back(self, rkey, WOFF, WLEN);
}

TEST_F(mw, type2_rebind_after_invalidate)
{
	uint32_t k1 = win2(self, RW), k2 = ibv_inc_rkey(k1);

	ASSERT_EQ(R_WC(IBV_WC_SUCCESS), local_inv(self->p.b, self->p.scq, k1));
	/* librxe names the window by mw->rkey: the application updates it. */
	self->mw->rkey = k1;
	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  bind2(self->p.b, self->p.scq, self->mw, k2, self->dst.mr,
			(uintptr_t)self->dst.p, WLEN, RW));
	write_read_back(self, k2, 0, WLEN);
	EXPECT_EQ(R_WC(IBV_WC_REM_ACCESS_ERR),
		  rdma(self, IBV_WR_RDMA_WRITE, k1, 0, 8));
}

/* ---- remote access violations: REM_ACCESS_ERR, dst untouched ---- */

static void expect_denied(mw_t *self, int got, int want_odph, int want_rxe)
{
	int want = verbs_is_rxe() ? want_rxe : want_odph;
	size_t i;

	if (want_odph != want_rxe)
		TAP_LOG("odph and rxe differ here: odph %d, rxe %d", want_odph,
			want_rxe);
	ASSERT_EQ(want, got);
	if (got == R_WC(IBV_WC_SUCCESS))
		return;
	for (i = 0; i < DLEN && !self->dst.p[i]; i++)
		;
	EXPECT_MSG(i == DLEN, "dst byte %zu written", i);
}

/* DENY(name, odph, rxe): the body returns the result of an access. */
#define DENY(name, odph, rxe)						\
	static int deny_##name(mw_t *self);				\
	TEST_F(mw, deny_##name)						\
	{								\
		vfill(self->src.p, DLEN, 3);				\
		expect_denied(self, deny_##name(self), odph, rxe);	\
	}								\
	static int deny_##name(mw_t *self _TAP_UNUSED)

#define RAE	R_WC(IBV_WC_REM_ACCESS_ERR)

/* rxe 6.1 checks the range against the window's MR only. */
DENY(write_past_window_end, RAE, R_WC(IBV_WC_SUCCESS))
{
	return rdma(self, IBV_WR_RDMA_WRITE, win2(self, RW),
		    WOFF + WLEN - 8, 16);
}

DENY(write_before_window, RAE, R_WC(IBV_WC_SUCCESS))
{
	return rdma(self, IBV_WR_RDMA_WRITE, win1(self, RW), WOFF - 8, 8);
}

DENY(write_to_read_only_window, RAE, RAE)
{
	return rdma(self, IBV_WR_RDMA_WRITE,
		    win2(self, IBV_ACCESS_REMOTE_READ), WOFF, 8);
}

DENY(read_from_write_only_window, RAE, RAE)
{
	return rdma(self, IBV_WR_RDMA_READ,
		    win1(self, IBV_ACCESS_REMOTE_WRITE), WOFF, 8);
}

DENY(atomic_without_atomic_access, RAE, RAE)
{
	uint32_t rkey = win2(self, RW);
	struct ibv_sge sge = vsge(&self->src, 0, 8);
	struct ibv_send_wr wr = {
		.sg_list = &sge, .num_sge = 1,
		.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.atomic = { .remote_addr = (uintptr_t)self->dst.p + WOFF,
			       .compare_add = 1, .rkey = rkey },
	}, *bad;

	ASSERT_EQ(0, ibv_post_send(self->p.a, &wr, &bad));
	return wc_of(self->p.scq, self->p.a->qp_num, NULL);
}

/* The MR itself grants nothing remote: its own key is refused. */
DENY(mr_key_without_remote_access, RAE, RAE)
{
	return rdma(self, IBV_WR_RDMA_WRITE, self->dst.mr->rkey, WOFF, 8);
}

DENY(stale_type1_rkey_after_rebind, RAE, RAE)
{
	uint32_t old = win1(self, RW);

	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  bind1(self->p.b, self->p.scq, self->mw, self->dst.mr,
			(uintptr_t)self->dst.p + WOFF, WLEN, RW));
	return rdma(self, IBV_WR_RDMA_WRITE, old, WOFF, 8);
}

/* A zero-length bind unbinds a type 1 window. */
DENY(type1_zero_length_bind, RAE, RAE)
{
	win1(self, RW);
	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  bind1(self->p.b, self->p.scq, self->mw, self->dst.mr,
			(uintptr_t)self->dst.p + WOFF, 0, 0));
	return rdma(self, IBV_WR_RDMA_WRITE, self->mw->rkey, WOFF, 8);
}

DENY(type2_locally_invalidated, RAE, RAE)
{
	uint32_t rkey = win2(self, RW);

	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  local_inv(self->p.b, self->p.scq, rkey));
	return rdma(self, IBV_WR_RDMA_WRITE, rkey, WOFF, 8);
}

DENY(deallocated_window, RAE, RAE)
{
	uint32_t rkey = win2(self, RW);

	ASSERT_EQ(0, ibv_dealloc_mw(self->mw));
	self->mw = NULL;
	return rdma(self, IBV_WR_RDMA_WRITE, rkey, WOFF, 8);
}

/* A type 2 window bound on a QP (of the PD) other than the target QP. */
DENY(type2_bound_to_another_qp, RAE, RAE)
{
	uint32_t rkey;

	self->mw = mw_new(self, NULL, IBV_MW_TYPE_2);
	rkey = ibv_inc_rkey(self->mw->rkey);
	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  bind2(self->p.a, self->p.scq, self->mw, rkey, self->dst.mr,
			(uintptr_t)self->dst.p + WOFF, WLEN, RW));
	return rdma(self, IBV_WR_RDMA_WRITE, rkey, WOFF, 8);
}

/* An RC pair, an MR with MW_BIND and nothing else, in a second PD. */
static void pd2_up(mw_t *self)
{
	struct vdev d2 = self->d;

	self->pd2 = ibv_alloc_pd(self->d.ctx);
	ASSERT_TRUE(self->pd2);
	d2.pd = self->pd2;
	vpair_rc(&d2, &self->p2, NULL, 4);
	vbuf_reg(&d2, &self->buf2, DLEN,
		 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_MW_BIND);
}

/* A type 1 window of another PD names memory of that PD only. */
DENY(type1_window_of_another_pd, RAE, RAE)
{
	pd2_up(self);
	self->mw = mw_new(self, self->pd2, IBV_MW_TYPE_1);
	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  bind1(self->p2.a, self->p2.scq, self->mw, self->buf2.mr,
			(uintptr_t)self->buf2.p, WLEN, RW));
	return rdma(self, IBV_WR_RDMA_WRITE, self->mw->rkey,
		    (uintptr_t)self->buf2.p - (uintptr_t)self->dst.p, 8);
}

/* ---- invalid binds and invalidations: one row each ---- */

static void expect(int got, int want_odph, int want_rxe)
{
	int want = verbs_is_rxe() ? want_rxe : want_odph;

	if (want_odph != want_rxe)
		TAP_LOG("odph and rxe differ here: odph %d, rxe %d", want_odph,
			want_rxe);
	if (want == NO_RXE)
		SKIP("not run on rxe (see the row)");
	ASSERT_EQ(want, got);
}

/* ROW(name, odph result, rxe result): the body returns the result. */
#define ROW(name, odph, rxe)						\
	static int row_##name(mw_t *self);				\
	TEST_F(mw, name)						\
	{								\
		if (verbs_is_rxe() && (rxe) == NO_RXE)			\
			SKIP("not run on rxe (see the row)");		\
		expect(row_##name(self), odph, rxe);			\
	}								\
	static int row_##name(mw_t *self _TAP_UNUSED)

#define BIND_ERR	R_WC(IBV_WC_MW_BIND_ERR)
#define OP_ERR		R_WC(IBV_WC_LOC_QP_OP_ERR)

static int bind2_dst(mw_t *self, struct ibv_pd *pd, struct ibv_mr *mr,
		     size_t off, size_t len, int access)
{
	self->mw = mw_new(self, pd, IBV_MW_TYPE_2);
	return bind2(self->p.b, self->p.scq, self->mw,
		     ibv_inc_rkey(self->mw->rkey), mr,
		     (uintptr_t)self->dst.p + off, len, access);
}

/* o10-37.2.40: a type 2 window cannot be bound with length 0. */
ROW(type2_zero_length_bind, BIND_ERR, BIND_ERR)
{
	return bind2_dst(self, NULL, self->dst.mr, WOFF, 0, RW);
}

/* C10-73: the MR must allow MW_BIND. */
ROW(type2_mr_without_mw_bind, BIND_ERR, BIND_ERR)
{
	return bind2_dst(self, NULL, self->src.mr, 0, WLEN, RW);
}

ROW(type1_mr_without_mw_bind, BIND_ERR, BIND_ERR)
{
	self->mw = mw_new(self, NULL, IBV_MW_TYPE_1);
	return bind1(self->p.b, self->p.scq, self->mw, self->src.mr,
		     (uintptr_t)self->src.p, WLEN, RW);
}

/* C10-75: the window lies within the MR. */
ROW(type2_range_past_mr_end, BIND_ERR, BIND_ERR)
{
	return bind2_dst(self, NULL, self->dst.mr, DLEN - 8, 16, RW);
}

ROW(type1_range_before_mr, BIND_ERR, BIND_ERR)
{
	self->mw = mw_new(self, NULL, IBV_MW_TYPE_1);
	return bind1(self->p.b, self->p.scq, self->mw, self->dst.mr,
		     (uintptr_t)self->dst.p - 4096, 8192, RW);
}

/* C10-74: a writable window needs an MR with LOCAL_WRITE. */
ROW(writable_window_on_mr_without_local_write, BIND_ERR, BIND_ERR)
{
	struct ibv_mr *mr = ibv_reg_mr(self->d.pd, self->dst.p, DLEN,
				       IBV_ACCESS_MW_BIND);
	int r;

	ASSERT_TRUE(mr);
	r = bind2_dst(self, NULL, mr, WOFF, WLEN, IBV_ACCESS_REMOTE_WRITE);
	if (r == BIND_ERR)
		EXPECT_EQ(0, ibv_dereg_mr(mr));
	return r;
}

/* The same MR, a read-only window: fine. */
ROW(read_only_window_on_mr_without_local_write, R_WC(IBV_WC_SUCCESS),
    R_WC(IBV_WC_SUCCESS))
{
	struct ibv_mr *mr = ibv_reg_mr(self->d.pd, self->dst.p, DLEN,
				       IBV_ACCESS_MW_BIND);
	int r;

	ASSERT_TRUE(mr);
	r = bind2_dst(self, NULL, mr, WOFF, WLEN, IBV_ACCESS_REMOTE_READ);
	ASSERT_EQ(0, ibv_dealloc_mw(self->mw));
	self->mw = NULL;
	EXPECT_EQ(0, ibv_dereg_mr(mr));
	return r;
}

/* o10-37.2.30: a bound type 2 window must be invalidated first. */
ROW(type2_bind_twice, BIND_ERR, BIND_ERR)
{
	uint32_t rkey = win2(self, RW);

	self->mw->rkey = rkey;
	return bind2(self->p.b, self->p.scq, self->mw, ibv_inc_rkey(rkey),
		     self->dst.mr, (uintptr_t)self->dst.p, WLEN, RW);
}

/* The WQE names the window by its current rkey. */
ROW(type2_bind_by_stale_rkey, BIND_ERR, BIND_ERR)
{
	uint32_t rkey = win2(self, RW);

	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  local_inv(self->p.b, self->p.scq, rkey));
	/* self->mw->rkey still holds the allocation's rkey. */
	return bind2(self->p.b, self->p.scq, self->mw, ibv_inc_rkey(rkey),
		     self->dst.mr, (uintptr_t)self->dst.p, WLEN, RW);
}

/* C10-72: a type 2 window is bound through a QP of its own PD. */
ROW(type2_window_of_another_pd, BIND_ERR, BIND_ERR)
{
	pd2_up(self);
	self->mw = mw_new(self, self->pd2, IBV_MW_TYPE_2);
	return bind2(self->p.b, self->p.scq, self->mw,
		     ibv_inc_rkey(self->mw->rkey), self->buf2.mr,
		     (uintptr_t)self->buf2.p, WLEN, RW);
}

/* librxe refuses a type 1 bind to an MR of another PD itself. */
ROW(type1_mr_of_another_pd, EPERM, EPERM)
{
	pd2_up(self);
	self->mw = mw_new(self, NULL, IBV_MW_TYPE_1);
	return bind1(self->p.b, self->p.scq, self->mw, self->buf2.mr,
		     (uintptr_t)self->buf2.p, WLEN, RW);
}

/* odph has no zero-based windows; rxe 6.1 binds type 2 ones. */
ROW(type2_zero_based, BIND_ERR, R_WC(IBV_WC_SUCCESS))
{
	return bind2_dst(self, NULL, self->dst.mr, WOFF, WLEN,
			 RW | IBV_ACCESS_ZERO_BASED);
}

/* o10-37.2.26: type 1 windows are not invalidated by LOCAL_INV. */
ROW(local_inv_type1, OP_ERR, OP_ERR)
{
	return local_inv(self->p.b, self->p.scq, win1(self, RW));
}

/* A stale tag names no window. */
ROW(local_inv_stale_rkey, OP_ERR, OP_ERR)
{
	return local_inv(self->p.b, self->p.scq, ibv_inc_rkey(win2(self, RW)));
}

/* rxe 6.1 dereferences the unbound window's NULL QP: not run there. */
ROW(local_inv_unbound_type2, OP_ERR, NO_RXE)
{
	self->mw = mw_new(self, NULL, IBV_MW_TYPE_2);
	return local_inv(self->p.b, self->p.scq, self->mw->rkey);
}

/* odph MRs cannot be invalidated (no fast-register MRs); rxe 6.1
 * refuses this one too. */
ROW(local_inv_mr_key, OP_ERR, OP_ERR)
{
	return local_inv(self->p.b, self->p.scq, self->dst.mr->lkey);
}

/* ---- SEND with Invalidate ---- */

/*
 * a SENDs @len bytes with Invalidate of @rkey: b's receive completion,
 * then a's send completion in *@swc.
 */
static int send_inv(mw_t *self, uint32_t rkey, uint32_t len,
		    struct ibv_wc *rwc, int *swc)
{
	struct ibv_sge s = vsge(&self->src, 0, len);
	struct ibv_sge rs = vsge(&self->src, DLEN / 2, DLEN / 2);
	struct ibv_send_wr wr = {
		.wr_id = 0x5, .sg_list = &s, .num_sge = 1,
		.opcode = IBV_WR_SEND_WITH_INV, .send_flags = IBV_SEND_SIGNALED,
		.invalidate_rkey = rkey,
	}, *bad;
	int r;

	vfill(self->src.p, len, 11);
	memset(self->src.p + DLEN / 2, 0, DLEN / 2);
	ASSERT_EQ(0, vpost_recv(self->p.b, 0x77, &rs, 1));
	ASSERT_EQ(0, ibv_post_send(self->p.a, &wr, &bad));
	r = wc_of(self->p.rcq, self->p.b->qp_num, rwc);
	*swc = wc_of(self->p.scq, self->p.a->qp_num, NULL);
	return r;
}

/* rxe 6.1 sets the kernel's IB_WC_WITH_INVALIDATE bit, which libibverbs
 * reads as IBV_WC_IP_CSUM_OK; odph reports IBV_WC_WITH_INV. */
static void check_inv_wc(const struct ibv_wc *wc, uint32_t rkey)
{
	unsigned int want = verbs_is_rxe() ? IBV_WC_IP_CSUM_OK :
					     IBV_WC_WITH_INV;

	EXPECT_EQ(IBV_WC_RECV, wc->opcode);
	EXPECT_EQ(want, wc->wc_flags & (IBV_WC_WITH_INV | IBV_WC_IP_CSUM_OK));
	EXPECT_EQ(rkey, wc->invalidated_rkey);
}

static void send_inv_ok(mw_t *self, uint32_t len)
{
	uint32_t rkey = win2(self, RW);
	struct ibv_wc wc;
	int swc;

	ASSERT_EQ(R_WC(IBV_WC_SUCCESS), send_inv(self, rkey, len, &wc, &swc));
	EXPECT_EQ(R_WC(IBV_WC_SUCCESS), swc);
	EXPECT_EQ(len, wc.byte_len);
	check_inv_wc(&wc, rkey);
	ASSERT_MEM_EQ(self->src.p, self->src.p + DLEN / 2, len);
	/* The window is gone for the peer. */
	memset(self->dst.p, 0, DLEN);
	EXPECT_EQ(R_WC(IBV_WC_REM_ACCESS_ERR),
		  rdma(self, IBV_WR_RDMA_WRITE, rkey, WOFF, 8));
	EXPECT_EQ(0, self->dst.p[WOFF]);
}

TEST_F(mw, send_with_inv_one_packet)
{
	send_inv_ok(self, 64);
}

/* FIRST, MIDDLE, LAST_WITH_INVALIDATE at path MTU 1024. */
TEST_F(mw, send_with_inv_three_packets)
{
	send_inv_ok(self, 2500);
}

TEST_F(mw, send_with_inv_zero_bytes)
{
	send_inv_ok(self, 0);
}

/*
 * An rkey the responder cannot invalidate: b's receive completes with
 * REM_INV_REQ_ERR on both; odph NAKs (a: REM_INV_REQ_ERR), rxe 6.1 sends
 * no NAK (its requester's status is only logged).
 */
static void send_inv_refused(mw_t *self, uint32_t rkey)
{
	struct ibv_wc wc;
	int swc;

	ASSERT_EQ(R_WC(IBV_WC_REM_INV_REQ_ERR),
		  send_inv(self, rkey, 64, &wc, &swc));
	if (verbs_is_rxe()) {
		TAP_LOG("rxe 6.1 sends no NAK: the requester got %d", swc);
		return;
	}
	EXPECT_EQ(R_WC(IBV_WC_REM_INV_REQ_ERR), swc);
}

TEST_F(mw, send_with_inv_type1_refused)
{
	send_inv_refused(self, win1(self, RW));
}

TEST_F(mw, send_with_inv_stale_rkey_refused)
{
	send_inv_refused(self, ibv_inc_rkey(win2(self, RW)));
}

/* rxe 6.1 does not check the QP a type 2 window is bound to. */
TEST_F(mw, send_with_inv_window_of_another_qp_refused)
{
	uint32_t rkey;

	if (verbs_is_rxe())
		SKIP("rxe 6.1 invalidates a window bound to another QP");
	self->mw = mw_new(self, NULL, IBV_MW_TYPE_2);
	rkey = ibv_inc_rkey(self->mw->rkey);
	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  bind2(self->p.a, self->p.scq, self->mw, rkey, self->dst.mr,
			(uintptr_t)self->dst.p + WOFF, WLEN, RW));
	send_inv_refused(self, rkey);
}

/* ---- deallocation and deregistration ---- */

/* IBA 10.6.7.2.6: an MR with bound windows stays; rxe 6.1: EINVAL. */
TEST_F(mw, dereg_mr_with_bound_window)
{
	win2(self, RW);
	ASSERT_EQ(EINVAL, ibv_dereg_mr(self->dst.mr));
	/* Still registered and reachable through the window. */
	write_read_back(self, ibv_inc_rkey(self->mw->rkey), WOFF, 8);
	ASSERT_EQ(0, ibv_dealloc_mw(self->mw));
	self->mw = NULL;
	ASSERT_EQ(0, ibv_dereg_mr(self->dst.mr));
	self->dst.mr = NULL;
}

TEST_F(mw, dereg_mr_after_invalidate_and_unbind)
{
	uint32_t k2 = win2(self, RW);
	struct ibv_mw *mw1;

	ASSERT_EQ(R_WC(IBV_WC_SUCCESS), local_inv(self->p.b, self->p.scq, k2));
	mw1 = mw_new(self, NULL, IBV_MW_TYPE_1);
	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  bind1(self->p.b, self->p.scq, mw1, self->dst.mr,
			(uintptr_t)self->dst.p, WLEN, RW));
	ASSERT_EQ(EINVAL, ibv_dereg_mr(self->dst.mr));
	ASSERT_EQ(R_WC(IBV_WC_SUCCESS),
		  bind1(self->p.b, self->p.scq, mw1, self->dst.mr,
			(uintptr_t)self->dst.p, 0, 0));
	ASSERT_EQ(0, ibv_dereg_mr(self->dst.mr));
	self->dst.mr = NULL;
	EXPECT_EQ(0, ibv_dealloc_mw(mw1));
}

/* A window is deallocated whether bound or not. */
TEST_F(mw, dealloc_bound_and_unbound)
{
	struct ibv_mw *m1 = mw_new(self, NULL, IBV_MW_TYPE_1);
	struct ibv_mw *m2 = mw_new(self, NULL, IBV_MW_TYPE_2);

	EXPECT_EQ(0, ibv_dealloc_mw(m1));
	EXPECT_EQ(0, ibv_dealloc_mw(m2));
	win1(self, RW);
	EXPECT_EQ(0, ibv_dealloc_mw(self->mw));
	self->mw = NULL;
	ASSERT_EQ(0, ibv_dereg_mr(self->dst.mr));
	self->dst.mr = NULL;
}

TEST_F(mw, device_reports_windows)
{
	struct ibv_device_attr_ex ax;

	ASSERT_EQ(0, ibv_query_device_ex(self->d.ctx, NULL, &ax));
	EXPECT_TRUE(ax.orig_attr.device_cap_flags & IBV_DEVICE_MEM_WINDOW);
	EXPECT_TRUE(ax.orig_attr.device_cap_flags &
		    IBV_DEVICE_MEM_WINDOW_TYPE_2B);
	EXPECT_LT(0, ax.orig_attr.max_mw);
}
