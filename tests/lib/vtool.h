/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtool.h - the verbs plumbing of the test tools, the verbs suite and the
 * bench (tests/nic/xfer_tool.c, odp_tool*.c, ext_test*.c, wire_tool.c,
 * tests/verbs/verbs_env.c, bench/odp_bench.c): open an endpoint, make and
 * connect its QPs, post one work request, wait for one completion.
 *
 *	struct vt_end a, b;
 *	err = vt_end_open(&a, "odphA", 256, gidx_a);	(likewise b)
 *	a.qp = vt_qp_create(&a, IBV_QPT_RC, 64, 64, 2);	(likewise b)
 *	struct vt_path p = { .dest_qpn = b.qp->qp_num, .dgid = b.gid,
 *			     .sgid_index = a.gidx, .mtu = IBV_MTU_1024,
 *			     .rd_atomic = 4, .min_rnr_timer = 12 };
 *	step = vt_rc_connect(a.qp, VT_REMOTE_RWA, &p);	(NULL: RTS)
 *	vt_post(a.qp, &(struct vt_op){ .opcode = IBV_WR_RDMA_WRITE, ... });
 *	st = vt_wait_wc(a.cq, &wc, 30);		(wc status or VT_TIMEOUT)
 *
 * Nothing here prints or exits: each tool keeps its own way of reporting
 * and its exit codes.  Calls that fail return NULL, a message, a step
 * name or -1 and leave errno as libibverbs set it, so a caller's
 * strerror(errno) still names the cause.  Port 1 only.  Link with
 * -libverbs.
 */
#ifndef VTOOL_H
#define VTOOL_H

#include <stdint.h>
#include <infiniband/verbs.h>

/* What every tool's RC QPs grant the peer at INIT. */
#define VT_REMOTE_RWA	(IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ | \
			 IBV_ACCESS_REMOTE_ATOMIC)

/* vt_wait_wc(): no completion in time (or ibv_poll_cq() failed). */
#define VT_TIMEOUT	(-1)

/* One side of a connection: a device, its PD and CQ, a QP on them. */
struct vt_end {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	int gidx;			/* source GID index; < 0: none */
	union ibv_gid gid;		/* port 1's GID at gidx */
	char err[192];			/* why vt_end_open() failed */
};

/*
 * Where an RC or UC QP sends to and how (the RTR and RTS attributes that
 * differ between the tools).  Every RC QP gets timeout 14 (67 ms),
 * retry_cnt 7 and rnr_retry 7 (retry RNR NAKs forever: ODP faults answer
 * with them), hop limit 64.
 */
struct vt_path {
	uint32_t dest_qpn;
	uint32_t rq_psn;		/* the peer's first send PSN */
	uint32_t sq_psn;		/* ours */
	int sgid_index;
	union ibv_gid dgid;
	enum ibv_mtu mtu;
	uint8_t rd_atomic;		/* max_dest_rd_atomic = max_rd_atomic */
	uint8_t min_rnr_timer;
};

/*
 * The device called @name, opened; NULL if there is none (errno ENODEV)
 * or it would not open (errno from libibverbs).
 */
struct ibv_context *vt_open_dev(const char *name);

/*
 * Open @dev, allocate a PD and a CQ of @cqe entries, and read port 1's GID
 * at @gidx (not if @gidx < 0).  Returns NULL, or e->err: "no device DEV"
 * (e->ctx NULL, errno ENODEV), or the call that failed and why, as
 * "ibv_alloc_pd(DEV): Cannot allocate memory"; what it got so far stays
 * open (the tools exit).  e->qp is left NULL.
 */
const char *vt_end_open(struct vt_end *e, const char *dev, int cqe, int gidx);

/* A QP of @type on e's PD with e's CQ for both queues; NULL on failure. */
struct ibv_qp *vt_qp_create(struct vt_end *e, enum ibv_qp_type type,
			    uint32_t send_wr, uint32_t recv_wr, uint32_t sge);

/* RESET -> INIT on port 1, P_Key 0, granting @access (RC, UC): 0 or -1. */
int vt_qp_init(struct ibv_qp *qp, int access);

/* INIT -> RTR (RC: path, receive PSN, RD atomic depth, RNR timer): 0 or -1. */
int vt_qp_rtr(struct ibv_qp *qp, const struct vt_path *p);

/* RTR -> RTS (RC: send PSN, timeouts and retries): 0 or -1. */
int vt_qp_rts(struct ibv_qp *qp, const struct vt_path *p);

/* Both; NULL, or "RTR"/"RTS" for the one that failed. */
const char *vt_qp_rtr_rts(struct ibv_qp *qp, const struct vt_path *p);

/* vt_qp_init() then vt_qp_rtr_rts(): NULL, or "INIT", "RTR" or "RTS". */
const char *vt_rc_connect(struct ibv_qp *qp, int access,
			  const struct vt_path *p);

/* A UD QP through INIT (@qkey), RTR and RTS (SQ PSN 0): NULL or the step. */
const char *vt_ud_up(struct ibv_qp *qp, uint32_t qkey);

/*
 * One signalled send work request with one SGE.  The remote address and
 * key go to wr.rdma, or to wr.atomic for the two atomics, which also take
 * compare_add and swap; the *_WITH_IMM opcodes send imm (host order).
 * With an ah (UD), the datagram goes to remote_qpn under remote_qkey.
 */
struct vt_op {
	enum ibv_wr_opcode opcode;
	uint64_t wr_id;
	void *laddr;
	uint32_t len, lkey;
	uint64_t raddr;
	uint32_t rkey;		/* also the rkey a SEND_WITH_INV invalidates */
	uint64_t compare_add, swap;
	uint32_t imm;
	struct ibv_ah *ah;
	uint32_t remote_qpn, remote_qkey;
};

/* Post @op on @qp: 0 or -errno. */
int vt_post(struct ibv_qp *qp, const struct vt_op *op);

/* Post one receive of [@addr, @addr + @len) under @lkey: 0 or -errno. */
int vt_post_recv(struct ibv_qp *qp, uint64_t wr_id, void *addr, uint32_t len,
		 uint32_t lkey);

/*
 * Poll @cq for one completion for up to @timeout seconds: its status
 * (IBV_WC_SUCCESS is 0), or VT_TIMEOUT.
 */
int vt_wait_wc(struct ibv_cq *cq, struct ibv_wc *wc, double timeout);

/* A vt_wait_wc() result in words: the status's name, or "timeout". */
const char *vt_wc_str(int status);

#endif /* VTOOL_H */
