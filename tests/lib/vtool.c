// SPDX-License-Identifier: GPL-2.0
/* vtool.c - verbs plumbing of the test tools and the bench (vtool.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "vtool.h"

struct ibv_context *vt_open_dev(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;
	int i, found = 0;

	for (i = 0; list && list[i] && !found; i++) {
		if (strcmp(ibv_get_device_name(list[i]), name))
			continue;
		found = 1;
		ctx = ibv_open_device(list[i]);
	}
	if (list)
		ibv_free_device_list(list);
	if (!found)
		errno = ENODEV;
	return ctx;
}

/* e->err: "CALL(DEV): why" for the failed CALL, errno kept */
static const char *vt_end_fail(struct vt_end *e, const char *call,
			       const char *dev)
{
	int err = errno;

	snprintf(e->err, sizeof(e->err), "%s(%s): %s", call, dev,
		 strerror(err));
	errno = err;
	return e->err;
}

const char *vt_end_open(struct vt_end *e, const char *dev, int cqe, int gidx)
{
	memset(e, 0, sizeof(*e));
	e->gidx = gidx;
	e->ctx = vt_open_dev(dev);
	if (!e->ctx && errno == ENODEV) {
		snprintf(e->err, sizeof(e->err), "no device %s", dev);
		errno = ENODEV;
		return e->err;
	}
	if (!e->ctx)
		return vt_end_fail(e, "ibv_open_device", dev);
	e->pd = ibv_alloc_pd(e->ctx);
	if (!e->pd)
		return vt_end_fail(e, "ibv_alloc_pd", dev);
	e->cq = ibv_create_cq(e->ctx, cqe, NULL, NULL, 0);
	if (!e->cq)
		return vt_end_fail(e, "ibv_create_cq", dev);
	if (gidx >= 0 && ibv_query_gid(e->ctx, 1, gidx, &e->gid))
		return vt_end_fail(e, "ibv_query_gid", dev);
	return NULL;
}

struct ibv_qp *vt_qp_create(struct vt_end *e, enum ibv_qp_type type,
			    uint32_t send_wr, uint32_t recv_wr, uint32_t sge)
{
	struct ibv_qp_init_attr init = {
		.send_cq = e->cq, .recv_cq = e->cq, .qp_type = type,
		.cap = { .max_send_wr = send_wr, .max_recv_wr = recv_wr,
			 .max_send_sge = sge, .max_recv_sge = sge },
	};

	return ibv_create_qp(e->pd, &init);
}

int vt_qp_init(struct ibv_qp *qp, int access)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = access,
	};

	return ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			     IBV_QP_PORT | IBV_QP_ACCESS_FLAGS) ? -1 : 0;
}

int vt_qp_rtr(struct ibv_qp *qp, const struct vt_path *p)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR, .path_mtu = p->mtu,
		.dest_qp_num = p->dest_qpn, .rq_psn = p->rq_psn,
		.max_dest_rd_atomic = p->rd_atomic,
		.min_rnr_timer = p->min_rnr_timer,
		.ah_attr = { .is_global = 1, .port_num = 1,
			     .grh = { .dgid = p->dgid, .hop_limit = 64,
				      .sgid_index = p->sgid_index } },
	};

	return ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV |
			     IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			     IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			     IBV_QP_MIN_RNR_TIMER) ? -1 : 0;
}

int vt_qp_rts(struct ibv_qp *qp, const struct vt_path *p)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTS, .sq_psn = p->sq_psn, .timeout = 14,
		.retry_cnt = 7, .rnr_retry = 7, .max_rd_atomic = p->rd_atomic,
	};

	return ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN |
			     IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			     IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC) ?
	       -1 : 0;
}

const char *vt_qp_rtr_rts(struct ibv_qp *qp, const struct vt_path *p)
{
	if (vt_qp_rtr(qp, p))
		return "RTR";
	if (vt_qp_rts(qp, p))
		return "RTS";
	return NULL;
}

const char *vt_rc_connect(struct ibv_qp *qp, int access,
			  const struct vt_path *p)
{
	if (vt_qp_init(qp, access))
		return "INIT";
	return vt_qp_rtr_rts(qp, p);
}

const char *vt_ud_up(struct ibv_qp *qp, uint32_t qkey)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_INIT, .port_num = 1,
				 .qkey = qkey };

	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_QKEY))
		return "INIT";
	a.qp_state = IBV_QPS_RTR;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE))
		return "RTR";
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = 0;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN))
		return "RTS";
	return NULL;
}

static int is_atomic(enum ibv_wr_opcode op)
{
	return op == IBV_WR_ATOMIC_CMP_AND_SWP ||
	       op == IBV_WR_ATOMIC_FETCH_AND_ADD;
}

int vt_post(struct ibv_qp *qp, const struct vt_op *op)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)op->laddr, .length = op->len,
		.lkey = op->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = op->wr_id, .sg_list = &sge, .num_sge = 1,
		.opcode = op->opcode, .send_flags = IBV_SEND_SIGNALED,
	}, *bad;

	if (op->opcode == IBV_WR_SEND_WITH_IMM ||
	    op->opcode == IBV_WR_RDMA_WRITE_WITH_IMM)
		wr.imm_data = htonl(op->imm);
	if (op->opcode == IBV_WR_SEND_WITH_INV)
		wr.invalidate_rkey = op->rkey;
	if (op->ah) {
		wr.wr.ud.ah = op->ah;
		wr.wr.ud.remote_qpn = op->remote_qpn;
		wr.wr.ud.remote_qkey = op->remote_qkey;
	} else if (is_atomic(op->opcode)) {
		wr.wr.atomic.remote_addr = op->raddr;
		wr.wr.atomic.rkey = op->rkey;
		wr.wr.atomic.compare_add = op->compare_add;
		wr.wr.atomic.swap = op->swap;
	} else {
		wr.wr.rdma.remote_addr = op->raddr;
		wr.wr.rdma.rkey = op->rkey;
	}
	return ibv_post_send(qp, &wr, &bad) ? -errno : 0;
}

int vt_post_recv(struct ibv_qp *qp, uint64_t wr_id, void *addr, uint32_t len,
		 uint32_t lkey)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)addr, .length = len, .lkey = lkey,
	};
	struct ibv_recv_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = 1,
	}, *bad;

	return ibv_post_recv(qp, &wr, &bad) ? -errno : 0;
}

static double vt_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int vt_wait_wc(struct ibv_cq *cq, struct ibv_wc *wc, double timeout)
{
	double end = vt_now() + timeout;
	int n;

	do {
		n = ibv_poll_cq(cq, 1, wc);
		if (n < 0)
			return VT_TIMEOUT;
		if (n)
			return wc->status;
	} while (vt_now() < end);
	return VT_TIMEOUT;
}

const char *vt_wc_str(int status)
{
	return status >= 0 ? ibv_wc_status_str(status) : "timeout";
}
