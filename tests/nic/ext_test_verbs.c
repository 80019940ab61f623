// SPDX-License-Identifier: GPL-2.0
/* ext_test: the verbs plumbing (device, loopback QP pair, one-shot ops). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "ext_test.h"

int failures;

void fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures++;
}

void die(const char *fmt, ...)
{
	va_list ap;

	printf("FATAL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(2);
}

static struct ibv_context *open_dev(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;
	int i;

	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	if (!ctx)
		die("no device %s", name);
	return ctx;
}

static struct ibv_qp *make_qp(struct env *e)
{
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.send_cq = e->cq, .recv_cq = e->cq,
		.cap = { .max_send_wr = 16, .max_recv_wr = 16,
			 .max_send_sge = 2, .max_recv_sge = 2 },
	};
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_ATOMIC,
	};
	struct ibv_qp *qp = ibv_create_qp(e->pd, &init);

	if (!qp)
		die("create_qp: %s", strerror(errno));
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		die("INIT: %s", strerror(errno));
	return qp;
}

/* Take @qp to RTS towards @peer on the same device. */
static void connect_to(struct env *e, struct ibv_qp *qp, struct ibv_qp *peer,
		       const union ibv_gid *gid)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR, .path_mtu = IBV_MTU_1024,
		.dest_qp_num = peer->qp_num, .rq_psn = 0x100,
		.max_dest_rd_atomic = 4, .min_rnr_timer = 1,
	};

	a.ah_attr.is_global = 1;
	a.ah_attr.port_num = 1;
	a.ah_attr.grh.hop_limit = 64;
	a.ah_attr.grh.sgid_index = e->gidx;
	a.ah_attr.grh.dgid = *gid;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		die("RTR: %s", strerror(errno));
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = 0x100;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 4;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN |
			  IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			  IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC))
		die("RTS: %s", strerror(errno));
}

void env_open(struct env *e, const char *dev, int gidx)
{
	union ibv_gid gid;

	memset(e, 0, sizeof(*e));
	e->gidx = gidx;
	e->ctx = open_dev(dev);
	e->pd = ibv_alloc_pd(e->ctx);
	e->cq = ibv_create_cq(e->ctx, 64, NULL, NULL, 0);
	if (!e->pd || !e->cq)
		die("pd/cq: %s", strerror(errno));
	if (gidx < 0)		/* no QPs wanted */
		return;
	if (ibv_query_gid(e->ctx, 1, gidx, &gid))
		die("query_gid %d", gidx);
	e->a = make_qp(e);
	e->b = make_qp(e);
	connect_to(e, e->a, e->b, &gid);
	connect_to(e, e->b, e->a, &gid);
}

void env_close(struct env *e)
{
	if (e->a) {
		ibv_destroy_qp(e->a);
		ibv_destroy_qp(e->b);
	}
	ibv_destroy_cq(e->cq);
	ibv_dealloc_pd(e->pd);
	ibv_close_device(e->ctx);
}

static int wait_wc(struct env *e, struct ibv_wc *wc)
{
	struct timespec t0, t;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		n = ibv_poll_cq(e->cq, 1, wc);
		if (n < 0)
			return -1;
		if (n)
			return wc->status;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 60)
			return -1;
	}
}

int rdma_op(struct env *e, enum ibv_wr_opcode op, void *laddr, uint32_t lkey,
	    void *raddr, uint32_t rkey, uint32_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)laddr, .length = len, .lkey = lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = 7, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
	}, *bad;
	struct ibv_wc wc;

	wr.wr.rdma.remote_addr = (uintptr_t)raddr;
	wr.wr.rdma.rkey = rkey;
	if (ibv_post_send(e->a, &wr, &bad))
		die("post_send: %s", strerror(errno));
	return wait_wc(e, &wc);
}

void *map_aligned(size_t len, size_t align, int prot)
{
	char *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *q;

	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	q = (char *)(((uintptr_t)p + align - 1) & ~(align - 1));
	if (q > p)
		munmap(p, q - p);
	if (p + align > q)
		munmap(q + len, p + align - q);
	madvise(q, len, MADV_NOHUGEPAGE);
	if (mprotect(q, len, prot))
		die("mprotect: %s", strerror(errno));
	return q;
}

void fill(void *p, size_t len, uint32_t seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		c[i] = seed >> 16;
	}
}

struct odp_ext_stats stats_of(struct ibv_mr *mr)
{
	struct odp_ext_stats s;
	int ret = odp_ext_mr_stats(mr, &s);

	if (ret)
		die("odp_ext_mr_stats: %s", strerror(ret));
	return s;
}

void print_stats(const char *what, const struct odp_ext_stats *s)
{
	printf("%s: faults %llu faulted %llu snapshot %llu inval %llu "
	       "pages_inval %llu prefetches %llu retries %llu errors %llu\n",
	       what, (unsigned long long)s->faults,
	       (unsigned long long)s->pages_faulted,
	       (unsigned long long)s->pages_snapshot,
	       (unsigned long long)s->invalidations,
	       (unsigned long long)s->pages_invalidated,
	       (unsigned long long)s->prefetches,
	       (unsigned long long)s->fault_retries,
	       (unsigned long long)s->fault_errors);
}
