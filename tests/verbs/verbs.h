/* SPDX-License-Identifier: GPL-2.0 */
/*
 * verbs.h - helpers of the verbs conformance suite (tests/verbs/).
 *
 * The suite makes its own device before main() (verbs_env.c): by default
 * a private network namespace with a veth pair and an odph device on one
 * end; VERBS_DRIVER=rxe makes a stock rdma_rxe device in init_net instead,
 * so the same cases can be compared against rxe; VERBS_DEV=NAME uses an
 * existing device.  Both ends of every connection are on that one device
 * (loopback), so each case owns everything it talks to.
 */
#ifndef VERBS_H
#define VERBS_H

#include <stdbool.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#include "tap.h"

/* Result codes of the table rows: an errno, or a work completion status. */
#define R_WC(st)	(1000 + (st))

struct vdev {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_device_attr attr;
	struct ibv_port_attr port;
	int gidx;
	union ibv_gid gid;
};

struct vbuf {
	unsigned char *p;
	size_t len;
	struct ibv_mr *mr;
};

/* An RC, UC or UD pair on one device: a sends to b; own CQs per role. */
struct vpair {
	struct ibv_cq *scq, *rcq;	/* send CQ (both QPs), recv CQ (both) */
	struct ibv_qp *a, *b;
	struct ibv_ah *ah;		/* UD: to this device's GID */
};

const char *verbs_dev_name(void);
bool verbs_is_rxe(void);

void vdev_open(struct vdev *d);
void vdev_close(struct vdev *d);
void vbuf_reg(struct vdev *d, struct vbuf *b, size_t len, int access);
void vbuf_free(struct vbuf *b);

struct ibv_qp *vqp_new(struct vdev *d, enum ibv_qp_type type,
		       struct ibv_cq *scq, struct ibv_cq *rcq,
		       struct ibv_srq *srq, uint32_t wr, uint32_t sge);
int vqp_init(struct ibv_qp *qp, enum ibv_qp_type type);
int vqp_rtr(struct vdev *d, struct ibv_qp *qp, uint32_t dqpn, uint32_t psn);
int vqp_rts(struct ibv_qp *qp, uint32_t psn);
int vqp_ud_rts(struct ibv_qp *qp);
enum ibv_qp_state vqp_state(struct ibv_qp *qp);

void vpair_rc(struct vdev *d, struct vpair *p, struct ibv_srq *srq,
	      uint32_t wr);
void vpair_ud(struct vdev *d, struct vpair *p, uint32_t wr);
void vpair_uc(struct vdev *d, struct vpair *p, uint32_t wr, uint32_t b_rq_psn);
void vpair_free(struct vpair *p);

int vpoll(struct ibv_cq *cq, struct ibv_wc *wc, int n, int ms);
int vasync(struct ibv_context *ctx, struct ibv_async_event *ev, int ms);

int vpost_send(struct ibv_qp *qp, enum ibv_wr_opcode op, uint64_t wr_id,
	       struct ibv_sge *sge, int nsge, uint64_t raddr, uint32_t rkey);
int vpost_recv(struct ibv_qp *qp, uint64_t wr_id, struct ibv_sge *sge,
	       int nsge);
struct ibv_sge vsge(struct vbuf *b, size_t off, uint32_t len);

void vfill(unsigned char *p, size_t len, unsigned int seed);

/* odph's port counter @name (waits out ib_core's cache); -1 on rxe */
long vcounter(const char *name);

#endif /* VERBS_H */
