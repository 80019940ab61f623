// SPDX-License-Identifier: GPL-2.0
/*
 * verbs_env.c - the suite's device, made before main() and removed at exit
 * by the main process only (forked cases must not tear it down), plus the
 * helpers every case uses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "verbs.h"
#include "vtool.h"

#define IP "/bin/ip"	/* busybox's ip applet shadows iproute2 in the VM */

static char dev_name[64];
static bool rxe;
static pid_t owner;

const char *verbs_dev_name(void)
{
	return dev_name;
}

bool verbs_is_rxe(void)
{
	return rxe;
}

/*
 * odph's port counter @name, or -1 (rxe, or no such counter).  ib_core
 * caches hw_counters reads for a few milliseconds (the stats' lifespan):
 * this waits that out first, so a read right after a quick test is not
 * the one from before it.
 */
long vcounter(const char *name)
{
	char path[256];
	long v = -1;
	FILE *f;

	if (verbs_is_rxe())
		return -1;
	usleep(100 * 1000);
	snprintf(path, sizeof(path),
		 "/sys/class/infiniband/%s/ports/1/hw_counters/%s",
		 verbs_dev_name(), name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		printf("# setup: '%s' exited %d\n", cmd, rc);
	return rc;
}

static void verbs_env_down(void)
{
	char cmd[128];

	if (getpid() != owner)
		return;
	snprintf(cmd, sizeof(cmd), "rdma link delete %s", dev_name);
	sh(cmd);
	if (rxe)
		sh(IP " link delete vR0 2>/dev/null");
}

/*
 * odph: a private network namespace (the odph device there does not
 * compete with rxe for UDP 4791 in init_net); rxe: init_net, where stock
 * 6.1 rxe works.  MTU 9000 so the port's active MTU is 4096.
 */
__attribute__((constructor)) static void verbs_env_up(void)
{
	const char *env = getenv("VERBS_DEV");
	const char *addr;

	owner = getpid();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (env) {
		snprintf(dev_name, sizeof(dev_name), "%s", env);
		rxe = !strncmp(env, "rxe", 3);
		return;
	}
	rxe = getenv("VERBS_DRIVER") && !strcmp(getenv("VERBS_DRIVER"), "rxe");
	snprintf(dev_name, sizeof(dev_name), rxe ? "rxeV" : "odphV");
	addr = rxe ? "10.14.0.1/24" : "10.13.0.1/24";
	if (!rxe && unshare(CLONE_NEWNET)) {
		printf("# setup: unshare: %s\n", strerror(errno));
		return;
	}
	if (rxe)
		sh("modprobe rdma_rxe");
	if (sh(IP " link add vR0 type veth peer name vR1") ||
	    sh(IP " link set vR0 mtu 9000") || sh(IP " link set vR1 mtu 9000"))
		return;
	{
		char cmd[160];

		snprintf(cmd, sizeof(cmd), IP " addr add %s dev vR0", addr);
		if (sh(cmd) || sh(IP " link set vR0 up") ||
		    sh(IP " link set vR1 up") || sh(IP " link set lo up"))
			return;
		snprintf(cmd, sizeof(cmd), "rdma link add %s type %s netdev vR0",
			 dev_name, rxe ? "rxe" : "odph");
		if (sh(cmd))
			return;
	}
	atexit(verbs_env_down);
}

/* The RoCE v2 GID of our IPv4 address (waits for the GID table). */
static int find_gid(struct vdev *d)
{
	struct ibv_gid_entry e;
	int i, tries;

	for (tries = 0; tries < 100; tries++) {
		for (i = 0; i < d->port.gid_tbl_len && i < 64; i++) {
			if (ibv_query_gid_ex(d->ctx, 1, i, &e, 0))
				continue;
			if (e.gid_type != IBV_GID_TYPE_ROCE_V2)
				continue;
			if (memcmp(e.gid.raw, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
				continue;
			d->gid = e.gid;
			return i;
		}
		usleep(50000);
	}
	return -1;
}

void vdev_open(struct vdev *d)
{
	memset(d, 0, sizeof(*d));
	d->ctx = vt_open_dev(dev_name);
	ASSERT_MSG(d->ctx, "no device %s", dev_name);
	ASSERT_EQ(0, ibv_query_device(d->ctx, &d->attr));
	ASSERT_EQ(0, ibv_query_port(d->ctx, 1, &d->port));
	d->gidx = find_gid(d);
	ASSERT_MSG(d->gidx >= 0, "no RoCE v2 IPv4 GID on %s", dev_name);
	d->pd = ibv_alloc_pd(d->ctx);
	ASSERT_TRUE(d->pd);
}

void vdev_close(struct vdev *d)
{
	if (d->pd)
		ibv_dealloc_pd(d->pd);
	if (d->ctx)
		ibv_close_device(d->ctx);
}

void vbuf_reg(struct vdev *d, struct vbuf *b, size_t len, int access)
{
	b->len = len;
	b->p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(b->p != MAP_FAILED);
	b->mr = ibv_reg_mr(d->pd, b->p, len, access);
	ASSERT_MSG(b->mr, "reg_mr(%zu): %s", len, strerror(errno));
}

void vbuf_free(struct vbuf *b)
{
	if (b->mr)
		ibv_dereg_mr(b->mr);
	if (b->p && b->p != MAP_FAILED)
		munmap(b->p, b->len ? b->len : 1);
	b->mr = NULL;
	b->p = NULL;
}

struct ibv_sge vsge(struct vbuf *b, size_t off, uint32_t len)
{
	return (struct ibv_sge){ .addr = (uintptr_t)b->p + off, .length = len,
				 .lkey = b->mr->lkey };
}

void vfill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 9));
}

/* ---- queue pairs ---- */

struct ibv_qp *vqp_new(struct vdev *d, enum ibv_qp_type type,
		       struct ibv_cq *scq, struct ibv_cq *rcq,
		       struct ibv_srq *srq, uint32_t wr, uint32_t sge)
{
	struct ibv_qp_init_attr init = {
		.send_cq = scq, .recv_cq = rcq, .srq = srq, .qp_type = type,
		.cap = { .max_send_wr = wr, .max_recv_wr = srq ? 0 : wr,
			 .max_send_sge = sge, .max_recv_sge = sge },
	};
	struct ibv_qp *qp = ibv_create_qp(d->pd, &init);

	ASSERT_MSG(qp, "create_qp: %s", strerror(errno));
	return qp;
}

int vqp_init(struct ibv_qp *qp, enum ibv_qp_type type)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT, .port_num = 1, .qkey = 0x11111111,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_ATOMIC,
	};
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;

	mask |= type == IBV_QPT_UD ? IBV_QP_QKEY : IBV_QP_ACCESS_FLAGS;
	return ibv_modify_qp(qp, &a, mask) ? errno : 0;
}

/* Loopback: the path leads to this device's own GID. */
int vqp_rtr(struct vdev *d, struct ibv_qp *qp, uint32_t dqpn, uint32_t psn)
{
	struct vt_path p = {
		.dest_qpn = dqpn, .rq_psn = psn, .sgid_index = d->gidx,
		.dgid = d->gid, .mtu = IBV_MTU_1024, .rd_atomic = 4,
		.min_rnr_timer = 1,
	};

	return vt_qp_rtr(qp, &p) ? errno : 0;
}

int vqp_rts(struct ibv_qp *qp, uint32_t psn)
{
	struct vt_path p = { .sq_psn = psn, .rd_atomic = 4 };

	return vt_qp_rts(qp, &p) ? errno : 0;
}

int vqp_ud_rts(struct ibv_qp *qp)
{
	return vt_ud_up(qp, 0x11111111) ? errno : 0;
}

enum ibv_qp_state vqp_state(struct ibv_qp *qp)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr a;

	if (ibv_query_qp(qp, &a, IBV_QP_STATE, &init))
		return (enum ibv_qp_state)-1;
	return a.qp_state;
}

static void vpair_cqs(struct vdev *d, struct vpair *p, uint32_t wr)
{
	memset(p, 0, sizeof(*p));
	p->scq = ibv_create_cq(d->ctx, 2 * wr + 1, NULL, NULL, 0);
	p->rcq = ibv_create_cq(d->ctx, 2 * wr + 1, NULL, NULL, 0);
	ASSERT_TRUE(p->scq && p->rcq);
}

/* a and b connected to each other (b may take receives from @srq). */
void vpair_rc(struct vdev *d, struct vpair *p, struct ibv_srq *srq,
	      uint32_t wr)
{
	vpair_cqs(d, p, wr);
	p->a = vqp_new(d, IBV_QPT_RC, p->scq, p->rcq, NULL, wr, 4);
	p->b = vqp_new(d, IBV_QPT_RC, p->scq, p->rcq, srq, wr, 4);
	ASSERT_EQ(0, vqp_init(p->a, IBV_QPT_RC));
	ASSERT_EQ(0, vqp_init(p->b, IBV_QPT_RC));
	ASSERT_EQ(0, vqp_rtr(d, p->a, p->b->qp_num, 0x100));
	ASSERT_EQ(0, vqp_rtr(d, p->b, p->a->qp_num, 0x200));
	ASSERT_EQ(0, vqp_rts(p->a, 0x200));
	ASSERT_EQ(0, vqp_rts(p->b, 0x100));
}

/* UC: RTR takes only the path, RTS only the send PSN. */
static int vqp_uc_connect(struct vdev *d, struct ibv_qp *qp, uint32_t dqpn,
			  uint32_t rq_psn, uint32_t sq_psn)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR, .path_mtu = IBV_MTU_1024,
		.dest_qp_num = dqpn, .rq_psn = rq_psn,
		.ah_attr = { .is_global = 1, .port_num = 1,
			     .grh = { .hop_limit = 64, .sgid_index = d->gidx,
				      .dgid = d->gid } },
	};

	if (vqp_init(qp, IBV_QPT_UC) ||
	    ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN))
		return errno;
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = sq_psn;
	return ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN) ? errno : 0;
}

/* UC a <-> b; b expects PSN @b_rq_psn (a sends from 0x200). */
void vpair_uc(struct vdev *d, struct vpair *p, uint32_t wr, uint32_t b_rq_psn)
{
	vpair_cqs(d, p, wr);
	p->a = vqp_new(d, IBV_QPT_UC, p->scq, p->rcq, NULL, wr, 4);
	p->b = vqp_new(d, IBV_QPT_UC, p->scq, p->rcq, NULL, wr, 4);
	ASSERT_EQ(0, vqp_uc_connect(d, p->a, p->b->qp_num, 0x100, 0x200));
	ASSERT_EQ(0, vqp_uc_connect(d, p->b, p->a->qp_num, b_rq_psn, 0x100));
}

void vpair_ud(struct vdev *d, struct vpair *p, uint32_t wr)
{
	struct ibv_ah_attr ah = {
		.is_global = 1, .port_num = 1,
		.grh = { .hop_limit = 64, .sgid_index = d->gidx,
			 .dgid = d->gid },
	};

	vpair_cqs(d, p, wr);
	p->a = vqp_new(d, IBV_QPT_UD, p->scq, p->rcq, NULL, wr, 4);
	p->b = vqp_new(d, IBV_QPT_UD, p->scq, p->rcq, NULL, wr, 4);
	ASSERT_EQ(0, vqp_ud_rts(p->a));
	ASSERT_EQ(0, vqp_ud_rts(p->b));
	p->ah = ibv_create_ah(d->pd, &ah);
	ASSERT_MSG(p->ah, "create_ah: %s", strerror(errno));
}

void vpair_free(struct vpair *p)
{
	if (p->ah)
		ibv_destroy_ah(p->ah);
	if (p->a)
		ibv_destroy_qp(p->a);
	if (p->b)
		ibv_destroy_qp(p->b);
	if (p->scq)
		ibv_destroy_cq(p->scq);
	if (p->rcq)
		ibv_destroy_cq(p->rcq);
	memset(p, 0, sizeof(*p));
}

/* ---- posting and waiting ---- */

int vpost_send(struct ibv_qp *qp, enum ibv_wr_opcode op, uint64_t wr_id,
	       struct ibv_sge *sge, int nsge, uint64_t raddr, uint32_t rkey)
{
	struct ibv_send_wr wr = {
		.wr_id = wr_id, .sg_list = sge, .num_sge = nsge, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = raddr, .rkey = rkey },
	}, *bad;

	return ibv_post_send(qp, &wr, &bad);
}

int vpost_recv(struct ibv_qp *qp, uint64_t wr_id, struct ibv_sge *sge,
	       int nsge)
{
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = sge,
				  .num_sge = nsge }, *bad;

	return ibv_post_recv(qp, &wr, &bad);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Up to @n completions within @ms milliseconds; returns how many. */
int vpoll(struct ibv_cq *cq, struct ibv_wc *wc, int n, int ms)
{
	struct timespec t0;
	int got = 0, r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < n) {
		r = ibv_poll_cq(cq, n - got, wc + got);
		ASSERT_LE(0, r);
		got += r;
		if (got < n && ms_since(&t0) > ms)
			break;
		if (!r)
			usleep(100);
	}
	return got;
}

/* One async event within @ms (acknowledged); 0 or ETIMEDOUT. */
int vasync(struct ibv_context *ctx, struct ibv_async_event *ev, int ms)
{
	struct pollfd pfd = { .fd = ctx->async_fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) != 1)
		return ETIMEDOUT;
	if (ibv_get_async_event(ctx, ev))
		return errno;
	ibv_ack_async_event(ev);
	return 0;
}
