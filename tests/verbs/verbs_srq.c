// SPDX-License-Identifier: GPL-2.0
/*
 * verbs_srq.c - shared receive queues (order, sharing, the limit event),
 * many QPs at once, and a completion queue overrun reported as an
 * IBV_EVENT_CQ_ERR asynchronous event.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "verbs.h"

#define MS	20000

static const int ALL = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		       IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC;

FIXTURE(srq) {
	struct vdev d;
	struct vbuf src, dst;
	struct ibv_srq *srq;
	struct vpair p, q;
};

FIXTURE_SETUP(srq)
{
	struct ibv_srq_init_attr sa = { .attr = { .max_wr = 16, .max_sge = 2 } };

	vdev_open(&self->d);
	vbuf_reg(&self->d, &self->src, 1 << 16, ALL);
	vbuf_reg(&self->d, &self->dst, 1 << 16, ALL);
	self->srq = ibv_create_srq(self->d.pd, &sa);
	ASSERT_MSG(self->srq, "create_srq: %s", strerror(errno));
	vpair_rc(&self->d, &self->p, self->srq, 16);
}

FIXTURE_TEARDOWN(srq)
{
	vpair_free(&self->q);
	vpair_free(&self->p);
	if (self->srq)
		ibv_destroy_srq(self->srq);
	vbuf_free(&self->src);
	vbuf_free(&self->dst);
	vdev_close(&self->d);
}

static void srq_post(struct _tap_fx_srq *self, int n)
{
	struct ibv_recv_wr wr, *bad;
	struct ibv_sge s;
	int i;

	for (i = 0; i < n; i++) {
		s = vsge(&self->dst, 1024 * i, 1024);
		wr = (struct ibv_recv_wr){ .wr_id = 100 + i, .sg_list = &s,
					   .num_sge = 1 };
		ASSERT_EQ(0, ibv_post_srq_recv(self->srq, &wr, &bad));
	}
}

/* Send @len bytes (seeded by @i) from @qp; wait for its completion. */
static void send_one(struct _tap_fx_srq *self, struct vpair *p,
		     struct ibv_qp *qp, int i, uint32_t len)
{
	struct ibv_sge s = vsge(&self->src, 1024 * i, len);
	struct ibv_wc wc;

	vfill(self->src.p + 1024 * i, len, i);
	ASSERT_EQ(0, vpost_send(qp, IBV_WR_SEND, i, &s, 1, 0, 0));
	ASSERT_EQ(1, vpoll(p->scq, &wc, 1, MS));
	ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
}

/* Receives are consumed in posting order, each with its data. */
TEST_F(srq, in_order)
{
	struct ibv_wc wc;
	int i;

	srq_post(self, 8);
	for (i = 0; i < 8; i++) {
		send_one(self, &self->p, self->p.a, i, 100 + i);
		ASSERT_EQ(1, vpoll(self->p.rcq, &wc, 1, MS));
		ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
		ASSERT_EQ(100 + i, wc.wr_id);
		ASSERT_EQ(100 + i, wc.byte_len);
		ASSERT_EQ(self->p.b->qp_num, wc.qp_num);
		ASSERT_MEM_EQ(self->src.p + 1024 * i, self->dst.p + 1024 * i,
			      100 + i);
	}
}

/* Two QPs take receives from one SRQ; each completion names its QP. */
TEST_F(srq, shared_by_two_qps)
{
	struct ibv_wc wc;

	vpair_rc(&self->d, &self->q, self->srq, 16);
	srq_post(self, 2);
	send_one(self, &self->p, self->p.a, 0, 300);
	ASSERT_EQ(1, vpoll(self->p.rcq, &wc, 1, MS));
	ASSERT_EQ(100, wc.wr_id);
	ASSERT_EQ(self->p.b->qp_num, wc.qp_num);
	send_one(self, &self->q, self->q.a, 1, 200);
	ASSERT_EQ(1, vpoll(self->q.rcq, &wc, 1, MS));
	ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
	ASSERT_EQ(101, wc.wr_id);
	ASSERT_EQ(200, wc.byte_len);
	ASSERT_EQ(self->q.b->qp_num, wc.qp_num);
	ASSERT_MEM_EQ(self->src.p + 1024, self->dst.p + 1024, 200);
}

/*
 * Armed at 4 with 6 posted: the event comes when fewer than 4 remain
 * (after the third receive is used), once, and disarms the limit.
 */
TEST_F(srq, limit_event)
{
	struct ibv_srq_attr a = { .srq_limit = 4 };
	struct ibv_async_event ev;
	struct ibv_wc wc;
	int i;

	srq_post(self, 6);
	ASSERT_EQ(0, ibv_modify_srq(self->srq, &a, IBV_SRQ_LIMIT));
	for (i = 0; i < 2; i++) {
		send_one(self, &self->p, self->p.a, i, 64);
		ASSERT_EQ(1, vpoll(self->p.rcq, &wc, 1, MS));
	}
	ASSERT_EQ(ETIMEDOUT, vasync(self->d.ctx, &ev, 200));
	send_one(self, &self->p, self->p.a, 2, 64);
	ASSERT_EQ(1, vpoll(self->p.rcq, &wc, 1, MS));
	ASSERT_EQ(0, vasync(self->d.ctx, &ev, 5000));
	ASSERT_EQ(IBV_EVENT_SRQ_LIMIT_REACHED, ev.event_type);
	ASSERT_TRUE(ev.element.srq == self->srq);
	ASSERT_EQ(0, ibv_query_srq(self->srq, &a));
	ASSERT_EQ(0, a.srq_limit);
	send_one(self, &self->p, self->p.a, 3, 64);
	ASSERT_EQ(ETIMEDOUT, vasync(self->d.ctx, &ev, 200));
}

/* A limit above max_wr is refused; the attributes read back. */
TEST_F(srq, query_and_bad_limit)
{
	struct ibv_srq_attr a = { .srq_limit = 100000 };

	ASSERT_NE(0, ibv_modify_srq(self->srq, &a, IBV_SRQ_LIMIT));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ibv_query_srq(self->srq, &a));
	ASSERT_LE(16, a.max_wr);
	ASSERT_EQ(0, a.srq_limit);
}

/* ---- many QPs ---- */

#define NPAIRS	32	/* 64 QPs */

FIXTURE(many) {
	struct vdev d;
	struct vbuf src, dst;
	struct vpair p[NPAIRS];
};

FIXTURE_SETUP(many)
{
	vdev_open(&self->d);
	vbuf_reg(&self->d, &self->src, NPAIRS * 4096, ALL);
	vbuf_reg(&self->d, &self->dst, NPAIRS * 4096, ALL);
}

FIXTURE_TEARDOWN(many)
{
	int i;

	for (i = 0; i < NPAIRS; i++)
		vpair_free(&self->p[i]);
	vbuf_free(&self->src);
	vbuf_free(&self->dst);
	vdev_close(&self->d);
}

/*
 * 64 QPs (32 connected pairs), all sending at once: every message
 * arrives on its own QP with its own data; QP numbers are distinct.
 */
TEST_F(many, qps_64)
{
	struct ibv_wc wc;
	struct ibv_sge s;
	int i, j;

	for (i = 0; i < NPAIRS; i++)
		vpair_rc(&self->d, &self->p[i], NULL, 4);
	for (i = 0; i < NPAIRS; i++)
		for (j = 0; j < i; j++)
			ASSERT_NE(self->p[i].a->qp_num, self->p[j].b->qp_num);
	vfill(self->src.p, NPAIRS * 4096, 77);
	for (i = 0; i < NPAIRS; i++) {
		s = vsge(&self->dst, 4096 * i, 4096);
		ASSERT_EQ(0, vpost_recv(self->p[i].b, i, &s, 1));
	}
	for (i = 0; i < NPAIRS; i++) {
		s = vsge(&self->src, 4096 * i, 3000 + i);
		ASSERT_EQ(0, vpost_send(self->p[i].a, IBV_WR_SEND, i, &s, 1,
					0, 0));
	}
	for (i = 0; i < NPAIRS; i++) {
		ASSERT_EQ(1, vpoll(self->p[i].scq, &wc, 1, MS));
		ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
		ASSERT_EQ(1, vpoll(self->p[i].rcq, &wc, 1, MS));
		ASSERT_EQ(IBV_WC_SUCCESS, wc.status);
		ASSERT_EQ(i, wc.wr_id);
		ASSERT_EQ(self->p[i].b->qp_num, wc.qp_num);
		ASSERT_EQ(3000 + i, wc.byte_len);
		ASSERT_MEM_EQ(self->src.p + 4096 * i, self->dst.p + 4096 * i,
			      3000 + i);
	}
}

/* ---- CQ overrun ---- */

FIXTURE(cq) {
	struct vdev d;
	struct vbuf buf;
	struct vpair p;
};

FIXTURE_SETUP(cq)
{
	vdev_open(&self->d);
	vbuf_reg(&self->d, &self->buf, 4096, ALL);
}

FIXTURE_TEARDOWN(cq)
{
	vpair_free(&self->p);
	vbuf_free(&self->buf);
	vdev_close(&self->d);
}

/* Connect a and b with @scq for a's sends (b uses the pair's rcq). */
static void cq_pair(struct _tap_fx_cq *self, struct ibv_cq *scq)
{
	self->p.scq = scq;
	self->p.rcq = ibv_create_cq(self->d.ctx, 8, NULL, NULL, 0);
	ASSERT_TRUE(self->p.rcq);
	self->p.a = vqp_new(&self->d, IBV_QPT_RC, scq, self->p.rcq, NULL,
			    64, 1);
	self->p.b = vqp_new(&self->d, IBV_QPT_RC, self->p.rcq, self->p.rcq,
			    NULL, 64, 1);
	ASSERT_EQ(0, vqp_init(self->p.a, IBV_QPT_RC));
	ASSERT_EQ(0, vqp_init(self->p.b, IBV_QPT_RC));
	ASSERT_EQ(0, vqp_rtr(&self->d, self->p.a, self->p.b->qp_num, 0));
	ASSERT_EQ(0, vqp_rtr(&self->d, self->p.b, self->p.a->qp_num, 0));
	ASSERT_EQ(0, vqp_rts(self->p.a, 0));
	ASSERT_EQ(0, vqp_rts(self->p.b, 0));
}

/*
 * A send CQ of N entries and N + 4 signaled WRITEs never polled: the
 * overrun is reported once as IBV_EVENT_CQ_ERR naming that CQ, and the
 * CQ still holds the first N completions.
 */
TEST_F(cq, overrun_event)
{
	struct ibv_async_event ev;
	struct ibv_cq *small;
	struct ibv_wc wc[64];
	struct ibv_sge s;
	int i, n;

	small = ibv_create_cq(self->d.ctx, 4, NULL, NULL, 0);
	ASSERT_TRUE(small);
	n = small->cqe;
	ASSERT_LE(4, n);
	ASSERT_GE(32, n);
	cq_pair(self, small);
	for (i = 0; i < n + 4; i++) {
		s = vsge(&self->buf, 8 * i, 8);
		ASSERT_EQ(0, vpost_send(self->p.a, IBV_WR_RDMA_WRITE, i, &s, 1,
					(uintptr_t)self->buf.p + 2048 + 8 * i,
					self->buf.mr->rkey));
	}
	ASSERT_EQ(0, vasync(self->d.ctx, &ev, MS));
	ASSERT_EQ(IBV_EVENT_CQ_ERR, ev.event_type);
	ASSERT_TRUE(ev.element.cq == small);
	ASSERT_EQ(n, vpoll(small, wc, 64, 500));
	for (i = 0; i < n; i++)
		ASSERT_EQ(i, wc[i].wr_id);
}

/*
 * @n signaled 8-byte WRITEs with wr_id from @first, the last one with
 * immediate data: once b has received that, the ACKs for all of them are
 * on their way (loopback); give them a moment to land in the CQ.
 */
static void writes(struct _tap_fx_cq *self, int first, int n)
{
	struct ibv_sge s, r = vsge(&self->buf, 3072, 64);
	struct ibv_wc wc;
	int i;

	ASSERT_EQ(0, vpost_recv(self->p.b, 0x77, &r, 1));
	for (i = first; i < first + n; i++) {
		s = vsge(&self->buf, 8 * (i % 64), 8);
		ASSERT_EQ(0, vpost_send(self->p.a, i == first + n - 1 ?
					IBV_WR_RDMA_WRITE_WITH_IMM :
					IBV_WR_RDMA_WRITE, i, &s, 1,
					(uintptr_t)self->buf.p + 2048,
					self->buf.mr->rkey));
	}
	ASSERT_EQ(1, vpoll(self->p.rcq, &wc, 1, 20000));
	ASSERT_EQ(0x77, wc.wr_id);
	usleep(500000);
}

/*
 * resize_cq keeps the completions not yet polled, in order, and the CQ
 * goes on working at its new size.
 */
TEST_F(cq, resize_keeps_completions)
{
	struct ibv_cq *cq = ibv_create_cq(self->d.ctx, 8, NULL, NULL, 0);
	struct ibv_wc wc[64];
	int i, n;

	ASSERT_TRUE(cq);
	cq_pair(self, cq);
	writes(self, 0, 5);
	ASSERT_EQ(0, ibv_resize_cq(cq, 40));
	ASSERT_LE(40, cq->cqe);
	writes(self, 5, 20);
	n = vpoll(cq, wc, 25, 20000);
	ASSERT_EQ(25, n);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(IBV_WC_SUCCESS, wc[i].status);
		ASSERT_EQ(i, wc[i].wr_id);
	}
	ASSERT_EQ(0, ibv_poll_cq(cq, 1, wc));
}
