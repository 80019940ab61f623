// SPDX-License-Identifier: GPL-2.0
/*
 * xfer_tool - every RC opcode between two verbs devices, data checked.
 *
 *	xfer_tool -d DEV -g GIDX -p PORT [-o] [-r]            server
 *	xfer_tool -d DEV -g GIDX -p PORT [-o] [-r] SERVER_IP  client
 *
 * The two ends may be different drivers (odph and the stock rdma_rxe):
 * that is what tests/nic/interop_tests.sh uses it for.  -o registers the
 * buffers as ODP MRs (on a device that has ODP); -r posts receives and
 * then takes the QP through RESET before connecting (they must vanish).
 * XFER_AT_EXIT=CMD in the server's environment runs CMD just before its
 * teardown.
 *
 * A TCP connection carries the QP parameters and then the client's
 * commands; the server only executes them (post a receive, report a
 * completion, fill or return part of its buffer), so all checking happens
 * in the client, which compares what the server's memory holds with what
 * it meant to put there.  Each step prints "ok STEP" or "FAIL STEP: why";
 * the exit status is 0 only if every step passed.
 *
 * Memory windows: the server binds a type 2 window on its QP, the client
 * writes through it, then invalidates it with a SEND with Invalidate
 * (RC SEND_ONLY_WITH_INVALIDATE, IETH on the wire), and the last step
 * checks that the invalidated rkey is a remote access error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <infiniband/verbs.h>

#define BUF_SIZE	(64 * 1024)
#define READ_OFF	(32 * 1024)	/* server: READ source */
#define ATOMIC_OFF	(48 * 1024)	/* server: the atomic word */
#define MSG_SIZE	10000		/* several 1024-byte MTUs, odd tail */
#define MW_OFF		(40 * 1024)	/* server: the memory window */
#define MW_LEN		4096

struct qp_info {
	uint32_t qpn, psn, rkey, pad;
	uint64_t addr;
	uint8_t gid[16];
};

/* Client -> server commands; every one is answered by struct reply. */
struct cmd {
	char op;		/* R post recv, W wait recv, P fill, G get,
				 * M bind a window, Q */
	uint32_t off, len, seed;
};

struct reply {
	int32_t status;		/* 0 or the wc status / -errno */
	uint32_t byte_len, imm, flags;	/* imm: or the invalidated rkey */
	uint64_t wr_id;
};

struct ctx {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	struct ibv_mw *mw;
	unsigned char *buf;
	int sock;
	int gidx;
	bool odp;
	bool reset;		/* -r: cycle through RESET with WQEs posted */
	struct qp_info peer;
};

static int failures;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void result(const char *step, const char *fmt, ...)
{
	va_list ap;

	if (!fmt) {
		printf("ok %s\n", step);
		return;
	}
	failures++;
	printf("FAIL %s: ", step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void xwrite(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t r = write(fd, c, n);

		if (r <= 0)
			die("control write: %s", strerror(errno));
		c += r;
		n -= r;
	}
}

static void xread(int fd, void *p, size_t n)
{
	char *c = p;

	while (n) {
		ssize_t r = read(fd, c, n);

		if (r <= 0)
			die("control read: %s", r ? strerror(errno) : "EOF");
		c += r;
		n -= r;
	}
}

static void fill(unsigned char *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 8));
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

static void setup(struct ctx *c, const char *dev)
{
	int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		     IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC |
		     IBV_ACCESS_MW_BIND;
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 16, .max_recv_wr = 16,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};

	c->ctx = open_dev(dev);
	c->pd = ibv_alloc_pd(c->ctx);
	c->cq = ibv_create_cq(c->ctx, 64, NULL, NULL, 0);
	if (!c->pd || !c->cq)
		die("pd/cq: %s", strerror(errno));
	c->buf = aligned_alloc(4096, BUF_SIZE);
	if (!c->buf)
		die("no memory");
	memset(c->buf, 0, BUF_SIZE);
	if (c->odp)
		access |= IBV_ACCESS_ON_DEMAND;
	c->mr = ibv_reg_mr(c->pd, c->buf, BUF_SIZE, access);
	if (!c->mr)
		die("reg_mr: %s", strerror(errno));
	init.send_cq = init.recv_cq = c->cq;
	c->qp = ibv_create_qp(c->pd, &init);
	if (!c->qp)
		die("create_qp: %s", strerror(errno));
}

static void post_recv(struct ctx *c, uint32_t off, uint32_t len);

/*
 * Post receives in INIT, then go INIT -> RESET -> INIT: RESET must drop
 * them without completions, so the first receive completion later is the
 * first one posted after (wr_id 0, checked by the client).
 */
static void reset_cycle(struct ctx *c, struct ibv_qp_attr *init)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RESET };
	struct ibv_wc wc;
	int i;

	for (i = 0; i < 3; i++)
		post_recv(c, 0xd00 + i, 64);
	if (ibv_modify_qp(c->qp, &a, IBV_QP_STATE))
		die("RESET: %s", strerror(errno));
	if (ibv_poll_cq(c->cq, 1, &wc))
		die("RESET completed a WQE (wr_id 0x%llx)",
		    (unsigned long long)wc.wr_id);
	if (ibv_modify_qp(c->qp, init, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		die("INIT after RESET: %s", strerror(errno));
}

static void connect_qp(struct ctx *c, uint32_t my_psn)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_ATOMIC,
	};

	if (ibv_modify_qp(c->qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		die("INIT: %s", strerror(errno));
	if (c->reset)
		reset_cycle(c, &a);
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = c->peer.qpn;
	a.rq_psn = c->peer.psn;
	a.max_dest_rd_atomic = 4;
	a.min_rnr_timer = 12;
	a.ah_attr.is_global = 1;
	a.ah_attr.port_num = 1;
	a.ah_attr.grh.hop_limit = 64;
	a.ah_attr.grh.sgid_index = c->gidx;
	memcpy(a.ah_attr.grh.dgid.raw, c->peer.gid, 16);
	if (ibv_modify_qp(c->qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		die("RTR: %s", strerror(errno));
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = my_psn;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 4;
	if (ibv_modify_qp(c->qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN |
			  IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			  IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC))
		die("RTS: %s", strerror(errno));
}

static void exchange(struct ctx *c)
{
	struct qp_info me = {
		.qpn = c->qp->qp_num,
		.psn = (uint32_t)(getpid() * 2654435761u) & 0xffffff,
		.rkey = c->mr->rkey,
		.addr = (uintptr_t)c->buf,
	};
	union ibv_gid gid;

	if (ibv_query_gid(c->ctx, 1, c->gidx, &gid))
		die("query_gid %d", c->gidx);
	memcpy(me.gid, gid.raw, 16);
	xwrite(c->sock, &me, sizeof(me));
	xread(c->sock, &c->peer, sizeof(c->peer));
	connect_qp(c, me.psn);
}

/* Wait for one completion; returns its status (or -1 on timeout). */
static int wait_wc(struct ctx *c, struct ibv_wc *wc)
{
	struct timespec t0, t;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		n = ibv_poll_cq(c->cq, 1, wc);
		if (n < 0)
			return -1;
		if (n)
			return wc->status;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 30)
			return -1;
	}
}

/* ---- server ---- */

static void post_recv(struct ctx *c, uint32_t off, uint32_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)c->buf + off, .length = len,
		.lkey = c->mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = off, .sg_list = &sge,
				  .num_sge = 1 }, *bad;

	if (ibv_post_recv(c->qp, &wr, &bad))
		die("post_recv: %s", strerror(errno));
}

/* Bind a type 2 window over [off, off + len) on our QP; its rkey. */
static int bind_window(struct ctx *c, uint32_t off, uint32_t len,
		       uint32_t *rkey)
{
	struct ibv_send_wr wr = {
		.opcode = IBV_WR_BIND_MW, .send_flags = IBV_SEND_SIGNALED,
	}, *bad;
	struct ibv_wc wc;

	c->mw = ibv_alloc_mw(c->pd, IBV_MW_TYPE_2);
	if (!c->mw)
		return -errno;
	*rkey = ibv_inc_rkey(c->mw->rkey);
	wr.bind_mw.mw = c->mw;
	wr.bind_mw.rkey = *rkey;
	wr.bind_mw.bind_info = (struct ibv_mw_bind_info){
		.mr = c->mr, .addr = (uintptr_t)c->buf + off, .length = len,
		.mw_access_flags = IBV_ACCESS_REMOTE_WRITE,
	};
	if (ibv_post_send(c->qp, &wr, &bad))
		return -errno;
	return wait_wc(c, &wc);
}

/*
 * An invalidation's rkey, else the immediate data.  rxe 6.1 flags it with
 * the kernel's IB_WC_WITH_INVALIDATE bit, which reads as IBV_WC_IP_CSUM_OK.
 */
static uint32_t imm_or_inv(const struct ibv_wc *wc)
{
	if (wc->wc_flags & (IBV_WC_WITH_INV | IBV_WC_IP_CSUM_OK))
		return wc->invalidated_rkey;
	return ntohl(wc->imm_data);
}

static void serve(struct ctx *c)
{
	struct reply r;
	struct ibv_wc wc;
	struct cmd m;

	for (;;) {
		xread(c->sock, &m, sizeof(m));
		memset(&r, 0, sizeof(r));
		if (m.op != 'Q' && (m.off > BUF_SIZE || m.len > BUF_SIZE - m.off))
			die("bad command range");
		switch (m.op) {
		case 'R':
			post_recv(c, m.off, m.len);
			break;
		case 'W':
			r.status = wait_wc(c, &wc);
			r.byte_len = wc.byte_len;
			r.imm = imm_or_inv(&wc);
			r.flags = wc.wc_flags;
			r.wr_id = wc.wr_id;
			break;
		case 'P':
			fill(c->buf + m.off, m.len, m.seed);
			break;
		case 'M':
			r.status = bind_window(c, m.off, m.len, &r.imm);
			break;
		case 'G':
			xwrite(c->sock, &r, sizeof(r));
			xwrite(c->sock, c->buf + m.off, m.len);
			continue;
		case 'Q':
			xwrite(c->sock, &r, sizeof(r));
			return;
		default:
			die("bad command %c", m.op);
		}
		xwrite(c->sock, &r, sizeof(r));
	}
}

/* ---- client ---- */

static struct reply call(struct ctx *c, char op, uint32_t off, uint32_t len,
			 uint32_t seed, void *data)
{
	struct cmd m = { .op = op, .off = off, .len = len, .seed = seed };
	struct reply r;

	xwrite(c->sock, &m, sizeof(m));
	xread(c->sock, &r, sizeof(r));
	if (op == 'G')
		xread(c->sock, data, len);
	return r;
}

static int post(struct ctx *c, enum ibv_wr_opcode op, uint32_t loff,
		uint32_t len, uint64_t raddr, uint32_t rkey, uint64_t a,
		uint64_t b)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)c->buf + loff, .length = len,
		.lkey = c->mr->lkey,
	};
	struct ibv_send_wr wr = {
		.sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
	}, *bad;
	struct ibv_wc wc;

	if (op == IBV_WR_SEND_WITH_IMM || op == IBV_WR_RDMA_WRITE_WITH_IMM)
		wr.imm_data = htonl((uint32_t)a);
	if (op == IBV_WR_SEND_WITH_INV)
		wr.invalidate_rkey = rkey;
	if (op == IBV_WR_ATOMIC_CMP_AND_SWP || op == IBV_WR_ATOMIC_FETCH_AND_ADD) {
		wr.wr.atomic.remote_addr = raddr;
		wr.wr.atomic.rkey = rkey;
		wr.wr.atomic.compare_add = a;
		wr.wr.atomic.swap = b;
	} else {
		wr.wr.rdma.remote_addr = raddr;
		wr.wr.rdma.rkey = rkey;
	}
	if (ibv_post_send(c->qp, &wr, &bad))
		return -errno;
	return wait_wc(c, &wc);
}

/* Compare the server's [off, off + len) with @want. */
static const char *server_has(struct ctx *c, uint32_t off, uint32_t len,
			      const unsigned char *want)
{
	static unsigned char got[BUF_SIZE];
	static char why[80];
	uint32_t i;

	call(c, 'G', off, len, 0, got);
	for (i = 0; i < len; i++)
		if (got[i] != want[i]) {
			snprintf(why, sizeof(why), "byte %u: 0x%02x, want 0x%02x",
				 off + i, got[i], want[i]);
			return why;
		}
	return NULL;
}

static void step_send(struct ctx *c, bool imm)
{
	const char *step = imm ? "send_with_imm" : "send";
	struct reply r;
	int st;

	fill(c->buf, MSG_SIZE, imm ? 2 : 1);
	call(c, 'R', 0, MSG_SIZE, 0, NULL);
	st = post(c, imm ? IBV_WR_SEND_WITH_IMM : IBV_WR_SEND, 0, MSG_SIZE,
		  0, 0, 0xabcd1234, 0);
	if (st)
		return result(step, "send completion status %d", st);
	r = call(c, 'W', 0, 0, 0, NULL);
	if (r.status || r.byte_len != MSG_SIZE || r.wr_id != 0)
		return result(step, "recv status %d len %u wr_id 0x%" PRIx64,
			      r.status, r.byte_len, r.wr_id);
	if (imm && (!(r.flags & IBV_WC_WITH_IMM) || r.imm != 0xabcd1234))
		return result(step, "imm 0x%x flags 0x%x", r.imm, r.flags);
	result(step, server_has(c, 0, MSG_SIZE, c->buf));
}

static void step_write(struct ctx *c, bool imm)
{
	const char *step = imm ? "write_with_imm" : "write";
	struct reply r;
	int st;

	fill(c->buf, MSG_SIZE, imm ? 4 : 3);
	if (imm)
		call(c, 'R', 0, 0, 0, NULL);
	st = post(c, imm ? IBV_WR_RDMA_WRITE_WITH_IMM : IBV_WR_RDMA_WRITE, 0,
		  MSG_SIZE, c->peer.addr + 100, c->peer.rkey, 0x5a5a0001, 0);
	if (st)
		return result(step, "completion status %d", st);
	if (imm) {
		r = call(c, 'W', 0, 0, 0, NULL);
		if (r.status || !(r.flags & IBV_WC_WITH_IMM) ||
		    r.imm != 0x5a5a0001)
			return result(step, "recv status %d imm 0x%x",
				      r.status, r.imm);
	}
	result(step, server_has(c, 100, MSG_SIZE, c->buf));
}

static void step_read(struct ctx *c)
{
	static unsigned char want[MSG_SIZE];
	int st;

	call(c, 'P', READ_OFF, MSG_SIZE, 5, NULL);
	fill(want, MSG_SIZE, 5);
	memset(c->buf, 0, MSG_SIZE);
	st = post(c, IBV_WR_RDMA_READ, 0, MSG_SIZE, c->peer.addr + READ_OFF,
		  c->peer.rkey, 0, 0);
	if (st)
		return result("read", "completion status %d", st);
	result("read", memcmp(c->buf, want, MSG_SIZE) ? "data differs" : NULL);
}

static uint64_t server_word(struct ctx *c)
{
	uint64_t v;

	call(c, 'G', ATOMIC_OFF, 8, 0, &v);
	return v;
}

static void step_atomics(struct ctx *c)
{
	uint64_t *old = (uint64_t *)c->buf, v;
	int st;

	/* the server's word starts at 0: fetch-add 5, then cmp-swap 5 -> 77 */
	*old = ~0ull;
	st = post(c, IBV_WR_ATOMIC_FETCH_AND_ADD, 0, 8,
		  c->peer.addr + ATOMIC_OFF, c->peer.rkey, 5, 0);
	v = server_word(c);
	if (st || *old != 0 || v != 5)
		result("fetch_add", "status %d old %" PRIu64 " now %" PRIu64,
		       st, *old, v);
	else
		result("fetch_add", NULL);
	st = post(c, IBV_WR_ATOMIC_CMP_AND_SWP, 0, 8,
		  c->peer.addr + ATOMIC_OFF, c->peer.rkey, 5, 77);
	v = server_word(c);
	if (st || *old != 5 || v != 77)
		result("cmp_swap", "status %d old %" PRIu64 " now %" PRIu64,
		       st, *old, v);
	else
		result("cmp_swap", NULL);
	/* a failing compare returns the value and leaves it alone */
	st = post(c, IBV_WR_ATOMIC_CMP_AND_SWP, 0, 8,
		  c->peer.addr + ATOMIC_OFF, c->peer.rkey, 1, 99);
	v = server_word(c);
	if (st || *old != 77 || v != 77)
		result("cmp_swap_miss", "status %d old %" PRIu64 " now %" PRIu64,
		       st, *old, v);
	else
		result("cmp_swap_miss", NULL);
}

/*
 * The server binds a window, the client writes through it and then
 * invalidates it with a SEND with Invalidate.  Returns the invalidated
 * rkey, 0 if a step failed.
 */
static uint32_t step_window(struct ctx *c)
{
	struct reply r = call(c, 'M', MW_OFF, MW_LEN, 0, NULL);
	uint32_t rkey = r.imm;
	int st;

	if (r.status) {
		result("mw_bind", "status %d", r.status);
		return 0;
	}
	fill(c->buf, MW_LEN, 6);
	st = post(c, IBV_WR_RDMA_WRITE, 0, MW_LEN, c->peer.addr + MW_OFF,
		  rkey, 0, 0);
	if (st) {
		result("mw_write", "completion status %d", st);
		return 0;
	}
	result("mw_write", server_has(c, MW_OFF, MW_LEN, c->buf));
	call(c, 'R', 0, 64, 0, NULL);
	st = post(c, IBV_WR_SEND_WITH_INV, 0, 64, 0, rkey, 0, 0);
	r = call(c, 'W', 0, 0, 0, NULL);
	if (st || r.status || r.byte_len != 64 || r.imm != rkey ||
	    !(r.flags & (IBV_WC_WITH_INV | IBV_WC_IP_CSUM_OK))) {
		result("send_with_inv", "status %d/%d len %u flags 0x%x rkey "
		       "0x%x, want 0x%x", st, r.status, r.byte_len, r.flags,
		       r.imm, rkey);
		return 0;
	}
	result("send_with_inv", NULL);
	return rkey;
}

/*
 * Last: a bad rkey is a remote access error and writes nothing.  The
 * rkey of the invalidated window if there is one, else a wrong MR key.
 */
static void step_bad_rkey(struct ctx *c, uint32_t inv)
{
	static unsigned char before[MSG_SIZE];
	const char *step = inv ? "invalidated_rkey" : "bad_rkey";
	uint32_t off = inv ? MW_OFF : 0, len = inv ? MW_LEN : MSG_SIZE;
	int st;

	call(c, 'G', off, len, 0, before);
	fill(c->buf, len, 9);
	st = post(c, IBV_WR_RDMA_WRITE, 0, len, c->peer.addr + off,
		  inv ? inv : c->peer.rkey ^ 0x100, 0, 0);
	if (st != IBV_WC_REM_ACCESS_ERR)
		return result(step, "status %d, want %d", st,
			      IBV_WC_REM_ACCESS_ERR);
	result(step, server_has(c, off, len, before));
}

static void run_client(struct ctx *c)
{
	step_send(c, false);
	step_send(c, true);
	step_write(c, false);
	step_write(c, true);
	step_read(c);
	step_atomics(c);
	step_bad_rkey(c, step_window(c));
	call(c, 'Q', 0, 0, 0, NULL);
}

static int tcp(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_family = AF_INET,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = host ? 0 : AI_PASSIVE }, *ai;
	int s, one = 1, fd, tries;

	if (getaddrinfo(host, port, &hints, &ai))
		die("getaddrinfo %s", host ? host : "*");
	s = socket(ai->ai_family, ai->ai_socktype, 0);
	if (s < 0)
		die("socket: %s", strerror(errno));
	if (host) {
		for (tries = 0; connect(s, ai->ai_addr, ai->ai_addrlen); tries++) {
			if (tries == 100)
				die("connect: %s", strerror(errno));
			usleep(100000);
		}
		freeaddrinfo(ai);
		return s;
	}
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, ai->ai_addr, ai->ai_addrlen) || listen(s, 1))
		die("bind/listen: %s", strerror(errno));
	freeaddrinfo(ai);
	fd = accept(s, NULL, NULL);
	if (fd < 0)
		die("accept: %s", strerror(errno));
	close(s);
	return fd;
}

int main(int argc, char **argv)
{
	struct ctx c = { .gidx = 0 };
	const char *dev = NULL, *port = "18515";
	int opt;

	while ((opt = getopt(argc, argv, "d:g:p:or")) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'g': c.gidx = atoi(optarg); break;
		case 'p': port = optarg; break;
		case 'o': c.odp = true; break;
		case 'r': c.reset = true; break;
		default: die("usage: xfer_tool -d DEV -g GIDX [-p PORT] [-o] [-r] [SERVER]");
		}
	}
	if (!dev)
		die("-d DEV is required");
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup(&c, dev);
	c.sock = tcp(optind < argc ? argv[optind] : NULL, port);
	exchange(&c);
	if (optind < argc)
		run_client(&c);
	else
		serve(&c);
	/* XFER_AT_EXIT=CMD: the server runs CMD while its MR and QP exist */
	if (optind >= argc && getenv("XFER_AT_EXIT") &&
	    system(getenv("XFER_AT_EXIT")))
		failures++;
	printf("%s: %d failure(s)\n", optind < argc ? "client" : "server",
	       failures);
	return failures ? 1 : 0;
}
