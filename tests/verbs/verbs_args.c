// SPDX-License-Identifier: GPL-2.0
/*
 * verbs_args.c - invalid verb arguments, one row per case: each call must
 * fail with the errno (or end in the work completion status) that the
 * stock rdma_rxe gives for it, never succeed or crash.  A row names what
 * odph gives and what rxe gives: VERBS_DRIVER=rxe runs the same table
 * against rxe, and where the two differ the row says so.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "verbs.h"

FIXTURE(args) {
	struct vdev d;
	struct ibv_cq *cq;
	struct vbuf buf;
	struct vpair p;
};

FIXTURE_SETUP(args)
{
	vdev_open(&self->d);
	self->cq = ibv_create_cq(self->d.ctx, 16, NULL, NULL, 0);
	ASSERT_TRUE(self->cq);
	vbuf_reg(&self->d, &self->buf, 8192, IBV_ACCESS_LOCAL_WRITE |
		 IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
}

FIXTURE_TEARDOWN(args)
{
	vpair_free(&self->p);
	vbuf_free(&self->buf);
	if (self->cq)
		ibv_destroy_cq(self->cq);
	vdev_close(&self->d);
}

typedef struct _tap_fx_args args_t;

static void expect(int got, int want_odph, int want_rxe)
{
	int want = verbs_is_rxe() ? want_rxe : want_odph;

	if (want_odph != want_rxe)
		TAP_LOG("odph and rxe differ here: odph %d, rxe %d", want_odph,
			want_rxe);
	ASSERT_EQ(want, got);
}

/* ROW(name, odph result, rxe result): the body returns the result. */
#define ROW(name, odph, rxe)						\
	static int row_##name(args_t *self);				\
	TEST_F(args, name) { expect(row_##name(self), odph, rxe); }	\
	static int row_##name(args_t *self _TAP_UNUSED)

static int err_of(const void *obj)
{
	return obj ? 0 : errno;
}

/* ---- memory regions ---- */

static int reg(args_t *self, struct ibv_pd *pd, void *addr, size_t len,
	       int access)
{
	struct ibv_mr *mr = ibv_reg_mr(pd ? pd : self->d.pd, addr, len,
				       access);
	int e = err_of(mr);

	if (mr)
		ibv_dereg_mr(mr);
	return e;
}

/* Object handles are looked up by the core: an unknown one is ENOENT. */
ROW(mr_bad_pd, ENOENT, ENOENT)
{
	struct ibv_pd fake = *self->d.pd;

	fake.handle = 0x7777;
	return reg(self, &fake, self->buf.p, 4096, IBV_ACCESS_LOCAL_WRITE);
}

ROW(mr_remote_write_without_local_write, EINVAL, EINVAL)
{
	return reg(self, NULL, self->buf.p, 4096, IBV_ACCESS_REMOTE_WRITE);
}

ROW(mr_atomic_without_local_write, EINVAL, EINVAL)
{
	return reg(self, NULL, self->buf.p, 4096, IBV_ACCESS_REMOTE_ATOMIC);
}

/* Bit 12 is no access flag (bits 20-29 are optional ones, dropped). */
ROW(mr_unknown_access_bit, EINVAL, EINVAL)
{
	return reg(self, NULL, self->buf.p, 4096,
		   IBV_ACCESS_LOCAL_WRITE | 1 << 12);
}

ROW(mr_unmapped_va, EFAULT, EFAULT)
{
	void *p = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	int e;

	munmap(p, 8192);
	e = reg(self, NULL, p, 8192, IBV_ACCESS_LOCAL_WRITE);
	return e;
}

ROW(mr_zero_length, EINVAL, EINVAL)
{
	return reg(self, NULL, self->buf.p, 0, IBV_ACCESS_LOCAL_WRITE);
}

/*
 * reg_mr_iova: what reg() does, at @iova.  An implicit ODP MR is addr NULL,
 * length SIZE_MAX.  rxe 6.1 has no ODP: ib_check_mr_access refuses
 * IBV_ACCESS_ON_DEMAND there with EINVAL before the driver is asked.
 */
static int reg_iova(args_t *self, void *addr, size_t len, uint64_t iova,
		    int access)
{
	struct ibv_mr *mr = ibv_reg_mr_iova(self->d.pd, addr, len, iova,
					    access);
	int e = err_of(mr);

	if (mr)
		ibv_dereg_mr(mr);
	return e;
}

#define ODP_LW	(IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE)

/* iova + length past 2^64: the MR's end would wrap.  rxe 6.1 takes it. */
ROW(mr_iova_wraps, EINVAL, 0)
{
	return reg_iova(self, self->buf.p, 8192, UINT64_MAX & ~4095ULL,
			IBV_ACCESS_LOCAL_WRITE);
}

/* An end exactly at 2^64 does not fit in 64 bits either. */
ROW(mr_iova_ends_at_2_64, EINVAL, 0)
{
	return reg_iova(self, self->buf.p, 8192, (uint64_t)-8192,
			IBV_ACCESS_LOCAL_WRITE);
}

/* The last page of the address space is fine (the control). */
ROW(mr_iova_last_page, 0, 0)
{
	return reg_iova(self, self->buf.p, 4096, (uint64_t)-8192,
			IBV_ACCESS_LOCAL_WRITE);
}

ROW(mr_odp_iova_wraps, EINVAL, EINVAL)
{
	return reg_iova(self, self->buf.p, 8192, UINT64_MAX & ~4095ULL,
			ODP_LW);
}

/* An implicit MR covers the address space at iova 0, as in mlx5. */
ROW(mr_implicit_iova, EINVAL, EINVAL)
{
	return reg_iova(self, NULL, SIZE_MAX, 0x10000, ODP_LW);
}

ROW(mr_implicit_iova_zero, 0, EINVAL)
{
	return reg_iova(self, NULL, SIZE_MAX, 0, ODP_LW);
}

/* Zero-based MRs are not implemented; rxe 6.1 ignores the flag. */
ROW(mr_zero_based, EINVAL, 0)
{
	return reg(self, NULL, self->buf.p, 4096,
		   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ZERO_BASED);
}

ROW(mr_odp_zero_based, EINVAL, EINVAL)
{
	return reg(self, NULL, self->buf.p, 4096,
		   ODP_LW | IBV_ACCESS_ZERO_BASED);
}

/* HUGETLB on an ODP MR promises hugetlb pages: these are not. */
ROW(mr_odp_hugetlb_not_huge, EINVAL, EINVAL)
{
	return reg(self, NULL, self->buf.p, 8192,
		   ODP_LW | IBV_ACCESS_HUGETLB);
}

/* ibv_reg_mr(3): HUGETLB is for explicit ODP MRs only. */
ROW(mr_implicit_hugetlb, EINVAL, EINVAL)
{
	return reg_iova(self, NULL, SIZE_MAX, 0, ODP_LW | IBV_ACCESS_HUGETLB);
}

/* On a pinned MR the flag means nothing (ib_umem_get ignores it). */
ROW(mr_pinned_hugetlb, 0, 0)
{
	return reg(self, NULL, self->buf.p, 4096,
		   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_HUGETLB);
}

/* ---- completion queues ---- */

static int cq_new(args_t *self, int cqe, int vector)
{
	struct ibv_cq *cq = ibv_create_cq(self->d.ctx, cqe, NULL, NULL,
					  vector);
	int e = err_of(cq);

	if (cq)
		ibv_destroy_cq(cq);
	return e;
}

ROW(cq_zero_cqe, EINVAL, EINVAL) { return cq_new(self, 0, 0); }
ROW(cq_negative_cqe, EINVAL, EINVAL) { return cq_new(self, -1, 0); }
ROW(cq_cqe_over_max, EINVAL, EINVAL)
{
	return cq_new(self, self->d.attr.max_cqe + 1, 0);
}
ROW(cq_max_cqe_ok, 0, 0) { return cq_new(self, self->d.attr.max_cqe, 0); }
ROW(cq_bad_comp_vector, EINVAL, EINVAL) { return cq_new(self, 4, 1000); }

static int cq_ex(args_t *self, uint64_t wc_flags, uint32_t flags)
{
	struct ibv_cq_init_attr_ex a = {
		.cqe = 8, .wc_flags = wc_flags,
		.comp_mask = IBV_CQ_INIT_ATTR_MASK_FLAGS, .flags = flags,
	};
	struct ibv_cq_ex *cq = ibv_create_cq_ex(self->d.ctx, &a);
	int e = err_of(cq);

	if (cq)
		ibv_destroy_cq(ibv_cq_ex_to_cq(cq));
	return e;
}

ROW(cq_ex_ignore_overrun_flag, EOPNOTSUPP, EOPNOTSUPP)
{
	return cq_ex(self, 0, IBV_CREATE_CQ_ATTR_IGNORE_OVERRUN);
}

ROW(cq_ex_unsupported_wc_flag, EOPNOTSUPP, EOPNOTSUPP)
{
	return cq_ex(self, IBV_WC_EX_WITH_FLOW_TAG, 0);
}

static int resize(args_t *self, int cqe)
{
	return ibv_resize_cq(self->cq, cqe) ? errno : 0;
}

ROW(cq_resize_zero, EINVAL, EINVAL) { return resize(self, 0); }
ROW(cq_resize_over_max, EINVAL, EINVAL)
{
	return resize(self, self->d.attr.max_cqe + 1);
}
ROW(cq_resize_grow_ok, 0, 0)
{
	int e = resize(self, 100);

	return e ? e : self->cq->cqe >= 100 ? 0 : -1;
}

/* ---- queue pairs: creation ---- */

static int qp_new(args_t *self, struct ibv_pd *pd, enum ibv_qp_type type,
		  struct ibv_qp_cap cap, struct ibv_cq *cq)
{
	struct ibv_qp_init_attr init = {
		.send_cq = cq ? cq : self->cq, .recv_cq = cq ? cq : self->cq,
		.qp_type = type, .cap = cap,
	};
	struct ibv_qp *qp = ibv_create_qp(pd ? pd : self->d.pd, &init);
	int e = err_of(qp);

	if (qp)
		ibv_destroy_qp(qp);
	return e;
}

static const struct ibv_qp_cap CAP = {
	.max_send_wr = 4, .max_recv_wr = 4, .max_send_sge = 1,
	.max_recv_sge = 1,
};

ROW(qp_bad_pd, ENOENT, ENOENT)
{
	struct ibv_pd fake = *self->d.pd;

	fake.handle = 0x7777;
	return qp_new(self, &fake, IBV_QPT_RC, CAP, NULL);
}

ROW(qp_bad_cq, ENOENT, ENOENT)
{
	struct ibv_cq fake = *self->cq;

	fake.handle = 0x7777;
	return qp_new(self, NULL, IBV_QPT_RC, CAP, &fake);
}

ROW(qp_bad_type, EINVAL, EINVAL) { return qp_new(self, NULL, 77, CAP, NULL); }
ROW(qp_uc, 0, 0)
{
	return qp_new(self, NULL, IBV_QPT_UC, CAP, NULL);
}
ROW(qp_raw_packet_unsupported, EOPNOTSUPP, EOPNOTSUPP)
{
	return qp_new(self, NULL, IBV_QPT_RAW_PACKET, CAP, NULL);
}

#define CAP_ROW(name, field, val, odph, rxe)				\
	ROW(name, odph, rxe)						\
	{								\
		struct ibv_qp_cap cap = CAP;				\
									\
		cap.field = (val);					\
		return qp_new(self, NULL, IBV_QPT_RC, cap, NULL);	\
	}

CAP_ROW(qp_send_wr_over_max, max_send_wr, self->d.attr.max_qp_wr + 1,
	EINVAL, EINVAL)
CAP_ROW(qp_recv_wr_over_max, max_recv_wr, self->d.attr.max_qp_wr + 1,
	EINVAL, EINVAL)
CAP_ROW(qp_send_sge_over_max, max_send_sge, self->d.attr.max_sge + 1,
	EINVAL, EINVAL)
CAP_ROW(qp_recv_sge_over_max, max_recv_sge, self->d.attr.max_sge + 1,
	EINVAL, EINVAL)
CAP_ROW(qp_inline_over_max, max_inline_data, 1 << 20, EINVAL, EINVAL)
CAP_ROW(qp_zero_recv_wr_ok, max_recv_wr, 0, 0, 0)
CAP_ROW(qp_zero_send_wr_ok, max_send_wr, 0, 0, 0)

/* ---- queue pairs: modify ---- */

static int to_init(args_t *self, int port, int pkey, int access, int mask)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_INIT, .port_num = port,
				 .pkey_index = pkey,
				 .qp_access_flags = access };

	vpair_rc(&self->d, &self->p, NULL, 4);
	a.qp_state = IBV_QPS_RESET;
	ASSERT_EQ(0, ibv_modify_qp(self->p.a, &a, IBV_QP_STATE));
	a.qp_state = IBV_QPS_INIT;
	return ibv_modify_qp(self->p.a, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			     IBV_QP_PORT | IBV_QP_ACCESS_FLAGS | mask) ?
	       errno : 0;
}

ROW(modify_bad_port, EINVAL, EINVAL) { return to_init(self, 2, 0, 0, 0); }
ROW(modify_port_zero, EINVAL, EINVAL) { return to_init(self, 0, 0, 0, 0); }
/* The P_Key table has one entry; rxe 6.1 does not check the index. */
ROW(modify_bad_pkey_index, EINVAL, 0) { return to_init(self, 1, 1, 0, 0); }
/* libibverbs takes the extended command and finds no room: ENOSPC. */
ROW(modify_unknown_mask_bit, ENOSPC, ENOSPC)
{
	return to_init(self, 1, 0, 0, 1 << 26);
}

/* RTR from INIT with one attribute changed from what works. */
static int rtr_with(args_t *self, struct ibv_qp_attr *a, int mask)
{
	struct ibv_qp_attr r = { .qp_state = IBV_QPS_RESET };

	vpair_rc(&self->d, &self->p, NULL, 4);
	ASSERT_EQ(0, ibv_modify_qp(self->p.a, &r, IBV_QP_STATE));
	ASSERT_EQ(0, vqp_init(self->p.a, IBV_QPT_RC));
	a->qp_state = IBV_QPS_RTR;
	if (!(mask & IBV_QP_PATH_MTU))
		a->path_mtu = IBV_MTU_1024;
	a->dest_qp_num = self->p.b->qp_num;
	a->ah_attr.is_global = 1;
	if (!a->ah_attr.port_num)
		a->ah_attr.port_num = 1;
	if (!a->ah_attr.grh.sgid_index)
		a->ah_attr.grh.sgid_index = self->d.gidx;
	a->ah_attr.grh.dgid = self->d.gid;
	a->ah_attr.grh.hop_limit = 64;
	return ibv_modify_qp(self->p.a, a, IBV_QP_STATE | IBV_QP_AV |
			     IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			     IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			     IBV_QP_MIN_RNR_TIMER) ? errno : 0;
}

/* rxe 6.1 takes path_mtu 0 (no such MTU) without complaint. */
ROW(rtr_bad_mtu_zero, EINVAL, 0)
{
	struct ibv_qp_attr a = { .path_mtu = 0 };

	return rtr_with(self, &a, IBV_QP_PATH_MTU);
}

ROW(rtr_bad_mtu_8192, EINVAL, EINVAL)
{
	struct ibv_qp_attr a = { .path_mtu = 6 };

	return rtr_with(self, &a, IBV_QP_PATH_MTU);
}

/* rxe 6.1 does not bound max_dest_rd_atomic by max_qp_rd_atom. */
ROW(rtr_max_dest_rd_atomic_over_max, EINVAL, 0)
{
	int over = self->d.attr.max_qp_rd_atom + 1;
	struct ibv_qp_attr a = { .max_dest_rd_atomic = over };

	if (over > 255)
		SKIP("max_qp_rd_atom %d: no u8 above it", over - 1);
	return rtr_with(self, &a, 0);
}

/* The core finds no GID attribute there: ENODATA. */
ROW(rtr_sgid_index_out_of_table, ENODATA, ENODATA)
{
	struct ibv_qp_attr a = { .ah_attr.grh.sgid_index = 200 };

	return rtr_with(self, &a, 0);
}

ROW(rtr_ah_port_2, EINVAL, EINVAL)
{
	struct ibv_qp_attr a = { .ah_attr.port_num = 2 };

	return rtr_with(self, &a, 0);
}

ROW(ud_init_needs_qkey, EINVAL, EINVAL)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_INIT, .port_num = 1 };

	vpair_ud(&self->d, &self->p, 4);
	a.qp_state = IBV_QPS_RESET;
	ASSERT_EQ(0, ibv_modify_qp(self->p.a, &a, IBV_QP_STATE));
	a.qp_state = IBV_QPS_INIT;
	return ibv_modify_qp(self->p.a, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			     IBV_QP_PORT) ? errno : 0;
}

/* ---- posting ---- */

static int post_in(args_t *self, enum ibv_qp_state s)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RESET };
	struct ibv_sge sge = vsge(&self->buf, 0, 8);

	vpair_rc(&self->d, &self->p, NULL, 4);
	ASSERT_EQ(0, ibv_modify_qp(self->p.a, &a, IBV_QP_STATE));
	if (s != IBV_QPS_RESET)
		ASSERT_EQ(0, vqp_init(self->p.a, IBV_QPT_RC));
	if (s == IBV_QPS_RTR)
		ASSERT_EQ(0, vqp_rtr(&self->d, self->p.a, self->p.b->qp_num, 0));
	return vpost_send(self->p.a, IBV_WR_SEND, 1, &sge, 1, 0, 0);
}

ROW(post_send_in_reset, EINVAL, EINVAL) { return post_in(self, IBV_QPS_RESET); }
ROW(post_send_in_init, EINVAL, EINVAL) { return post_in(self, IBV_QPS_INIT); }
ROW(post_send_in_rtr, EINVAL, EINVAL) { return post_in(self, IBV_QPS_RTR); }

/*
 * Post one WR on a connected RC (or UD) pair, with a receive waiting on
 * the other side: the error ibv_post_send returns, or the completion.
 * librxe returns some errors negated (-EINVAL): compared without sign.
 */
static int post_rc(args_t *self, struct ibv_send_wr *wr, int qpt)
{
	struct ibv_sge r = vsge(&self->buf, 4096, 4096);
	struct ibv_send_wr *bad;
	struct ibv_wc wc;
	int ret;

	if (qpt == IBV_QPT_UD) {
		vpair_ud(&self->d, &self->p, 4);
		wr->wr.ud.ah = self->p.ah;
		wr->wr.ud.remote_qpn = self->p.b->qp_num;
		wr->wr.ud.remote_qkey = 0x11111111;
	} else {
		vpair_rc(&self->d, &self->p, NULL, 4);
	}
	ASSERT_EQ(0, vpost_recv(self->p.b, 9, &r, 1));
	wr->send_flags |= IBV_SEND_SIGNALED;
	ret = ibv_post_send(self->p.a, wr, &bad);
	if (ret)
		return ret < 0 ? -ret : ret;
	ASSERT_EQ(1, vpoll(self->p.scq, &wc, 1, 20000));
	return R_WC(wc.status);
}

static uint32_t qp_cap(struct ibv_qp *qp, bool sge)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr a;

	ASSERT_EQ(0, ibv_query_qp(qp, &a, IBV_QP_CAP, &init));
	return sge ? a.cap.max_send_sge : a.cap.max_inline_data;
}

/* max_send_sge + 1 SGEs of 8 bytes each (the QP is made first). */
ROW(send_too_many_sge, EINVAL, EINVAL)
{
	struct ibv_sge s[64];
	struct ibv_send_wr wr = { .sg_list = s, .opcode = IBV_WR_SEND };
	int i;

	vpair_rc(&self->d, &self->p, NULL, 4);
	wr.num_sge = qp_cap(self->p.a, true) + 1;
	ASSERT_LE(wr.num_sge, 64);
	for (i = 0; i < wr.num_sge; i++)
		s[i] = vsge(&self->buf, 8 * i, 8);
	vpair_free(&self->p);
	return post_rc(self, &wr, IBV_QPT_RC);
}

ROW(send_inline_too_big, EINVAL, EINVAL)
{
	struct ibv_sge s;
	struct ibv_send_wr wr = { .sg_list = &s, .num_sge = 1,
				  .opcode = IBV_WR_SEND,
				  .send_flags = IBV_SEND_INLINE };

	vpair_rc(&self->d, &self->p, NULL, 4);
	s = vsge(&self->buf, 0, qp_cap(self->p.a, false) + 1);
	vpair_free(&self->p);
	return post_rc(self, &wr, IBV_QPT_RC);
}

ROW(atomic_misaligned, EINVAL, EINVAL)
{
	struct ibv_sge s = vsge(&self->buf, 0, 8);
	struct ibv_send_wr wr = {
		.sg_list = &s, .num_sge = 1,
		.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD,
		.wr.atomic = { .remote_addr = (uintptr_t)self->buf.p + 4,
			       .rkey = self->buf.mr->rkey },
	};

	return post_rc(self, &wr, IBV_QPT_RC);
}

ROW(bad_opcode_error_completion, R_WC(IBV_WC_LOC_QP_OP_ERR),
    R_WC(IBV_WC_LOC_QP_OP_ERR))
{
	struct ibv_sge s = vsge(&self->buf, 0, 8);
	struct ibv_send_wr wr = { .sg_list = &s, .num_sge = 1, .opcode = 77 };

	return post_rc(self, &wr, IBV_QPT_RC);
}

/* IBA: a bad L_Key is a local protection error; rxe says LOC_QP_OP_ERR. */
ROW(bad_lkey_error_completion, R_WC(IBV_WC_LOC_PROT_ERR),
    R_WC(IBV_WC_LOC_QP_OP_ERR))
{
	struct ibv_sge s = vsge(&self->buf, 0, 8);
	struct ibv_send_wr wr = { .sg_list = &s, .num_sge = 1,
				  .opcode = IBV_WR_SEND };

	s.lkey ^= 0x5a5a00;
	return post_rc(self, &wr, IBV_QPT_RC);
}

ROW(sge_outside_mr_error_completion, R_WC(IBV_WC_LOC_PROT_ERR),
    R_WC(IBV_WC_LOC_PROT_ERR))
{
	struct ibv_sge s = vsge(&self->buf, 8000, 1000);
	struct ibv_send_wr wr = {
		.sg_list = &s, .num_sge = 1, .opcode = IBV_WR_RDMA_WRITE,
		.wr.rdma = { .remote_addr = (uintptr_t)self->buf.p,
			     .rkey = self->buf.mr->rkey },
	};

	return post_rc(self, &wr, IBV_QPT_RC);
}

ROW(write_bad_rkey_remote_access_error, R_WC(IBV_WC_REM_ACCESS_ERR),
    R_WC(IBV_WC_REM_ACCESS_ERR))
{
	struct ibv_sge s = vsge(&self->buf, 0, 8);
	struct ibv_send_wr wr = {
		.sg_list = &s, .num_sge = 1, .opcode = IBV_WR_RDMA_WRITE,
		.wr.rdma = { .remote_addr = (uintptr_t)self->buf.p,
			     .rkey = self->buf.mr->rkey ^ 0x5a5a00 },
	};

	return post_rc(self, &wr, IBV_QPT_RC);
}

ROW(read_beyond_remote_mr_remote_access_error, R_WC(IBV_WC_REM_ACCESS_ERR),
    R_WC(IBV_WC_REM_ACCESS_ERR))
{
	struct ibv_sge s = vsge(&self->buf, 0, 64);
	struct ibv_send_wr wr = {
		.sg_list = &s, .num_sge = 1, .opcode = IBV_WR_RDMA_READ,
		.wr.rdma = { .remote_addr = (uintptr_t)self->buf.p + 8160,
			     .rkey = self->buf.mr->rkey },
	};

	return post_rc(self, &wr, IBV_QPT_RC);
}

ROW(ud_rdma_write_error_completion, R_WC(IBV_WC_LOC_QP_OP_ERR),
    R_WC(IBV_WC_LOC_QP_OP_ERR))
{
	struct ibv_sge s = vsge(&self->buf, 0, 8);
	struct ibv_send_wr wr = { .sg_list = &s, .num_sge = 1,
				  .opcode = IBV_WR_RDMA_WRITE };

	return post_rc(self, &wr, IBV_QPT_UD);
}

ROW(recv_too_many_sge, EINVAL, EINVAL)
{
	struct ibv_sge s[8] = { vsge(&self->buf, 0, 8) };

	vpair_rc(&self->d, &self->p, NULL, 4);
	return vpost_recv(self->p.a, 1, s, 8);
}

/* ---- shared receive queues ---- */

static int srq_new(args_t *self, uint32_t wr, uint32_t sge)
{
	struct ibv_srq_init_attr a = { .attr = { .max_wr = wr,
						 .max_sge = sge } };
	struct ibv_srq *srq = ibv_create_srq(self->d.pd, &a);
	int e = err_of(srq);

	if (srq)
		ibv_destroy_srq(srq);
	return e;
}

ROW(srq_wr_over_max, EINVAL, EINVAL)
{
	return srq_new(self, self->d.attr.max_srq_wr + 1, 1);
}
ROW(srq_sge_over_max, EINVAL, EINVAL)
{
	return srq_new(self, 4, self->d.attr.max_srq_sge + 1);
}
ROW(srq_zero_wr, EINVAL, EINVAL) { return srq_new(self, 0, 1); }

/* ---- address handles, ports ---- */

static int ah_new(args_t *self, int port, int sgid, bool grh)
{
	struct ibv_ah_attr a = {
		.is_global = grh, .port_num = port,
		.grh = { .hop_limit = 64, .sgid_index = sgid,
			 .dgid = self->d.gid },
	};
	struct ibv_ah *ah = ibv_create_ah(self->d.pd, &a);
	int e = err_of(ah);

	if (ah)
		ibv_destroy_ah(ah);
	return e;
}

ROW(ah_without_grh, EINVAL, EINVAL) { return ah_new(self, 1, self->d.gidx, false); }
ROW(ah_bad_port, EINVAL, EINVAL) { return ah_new(self, 2, self->d.gidx, true); }
ROW(ah_sgid_out_of_table, ENODATA, ENODATA) { return ah_new(self, 1, 200, true); }

ROW(query_port_2, EINVAL, EINVAL)
{
	struct ibv_port_attr pa;

	return ibv_query_port(self->d.ctx, 2, &pa) ? errno : 0;
}

ROW(query_pkey_index_1, -1, -1)
{
	__be16 pkey;

	return ibv_query_pkey(self->d.ctx, 1, 1, &pkey);
}

