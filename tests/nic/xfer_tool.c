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
#include <unistd.h>
#include <infiniband/verbs.h>

#include "vtool.h"

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
	struct vt_end v;	/* device, PD, CQ, QP, our GID */
	struct ibv_mr *mr;
	struct ibv_mw *mw;
	unsigned char *buf;
	int sock;
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

static void setup(struct ctx *c, const char *dev, int gidx)
{
	int access = IBV_ACCESS_LOCAL_WRITE | VT_REMOTE_RWA | IBV_ACCESS_MW_BIND;

	if (vt_end_open(&c->v, dev, 64, gidx))
		die("%s", c->v.err);
	c->buf = aligned_alloc(4096, BUF_SIZE);
	if (!c->buf)
		die("no memory");
	memset(c->buf, 0, BUF_SIZE);
	if (c->odp)
		access |= IBV_ACCESS_ON_DEMAND;
	c->mr = ibv_reg_mr(c->v.pd, c->buf, BUF_SIZE, access);
	if (!c->mr)
		die("reg_mr: %s", strerror(errno));
	c->v.qp = vt_qp_create(&c->v, IBV_QPT_RC, 16, 16, 1);
	if (!c->v.qp)
		die("create_qp: %s", strerror(errno));
}

static void post_recv(struct ctx *c, uint32_t off, uint32_t len);

/*
 * Post receives in INIT, then go INIT -> RESET -> INIT: RESET must drop
 * them without completions, so the first receive completion later is the
 * first one posted after (wr_id 0, checked by the client).
 */
static void reset_cycle(struct ctx *c)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RESET };
	struct ibv_wc wc;
	int i;

	for (i = 0; i < 3; i++)
		post_recv(c, 0xd00 + i, 64);
	if (ibv_modify_qp(c->v.qp, &a, IBV_QP_STATE))
		die("RESET: %s", strerror(errno));
	if (ibv_poll_cq(c->v.cq, 1, &wc))
		die("RESET completed a WQE (wr_id 0x%llx)",
		    (unsigned long long)wc.wr_id);
	if (vt_qp_init(c->v.qp, VT_REMOTE_RWA))
		die("INIT after RESET: %s", strerror(errno));
}

static void connect_qp(struct ctx *c, uint32_t my_psn)
{
	struct vt_path p = {
		.dest_qpn = c->peer.qpn, .rq_psn = c->peer.psn,
		.sq_psn = my_psn, .sgid_index = c->v.gidx,
		.mtu = IBV_MTU_1024, .rd_atomic = 4, .min_rnr_timer = 12,
	};
	const char *step;

	memcpy(p.dgid.raw, c->peer.gid, 16);
	if (vt_qp_init(c->v.qp, VT_REMOTE_RWA))
		die("INIT: %s", strerror(errno));
	if (c->reset)
		reset_cycle(c);
	step = vt_qp_rtr_rts(c->v.qp, &p);
	if (step)
		die("%s: %s", step, strerror(errno));
}

static void exchange(struct ctx *c)
{
	struct qp_info me = {
		.qpn = c->v.qp->qp_num,
		.psn = (uint32_t)(getpid() * 2654435761u) & 0xffffff,
		.rkey = c->mr->rkey,
		.addr = (uintptr_t)c->buf,
	};

	memcpy(me.gid, c->v.gid.raw, 16);
	xwrite(c->sock, &me, sizeof(me));
	xread(c->sock, &c->peer, sizeof(c->peer));
	connect_qp(c, me.psn);
}

/* Wait for one completion; returns its status (or -1 on timeout). */
static int wait_wc(struct ctx *c, struct ibv_wc *wc)
{
	return vt_wait_wc(c->v.cq, wc, 30);
}

/* ---- server ---- */

static void post_recv(struct ctx *c, uint32_t off, uint32_t len)
{
	if (vt_post_recv(c->v.qp, off, c->buf + off, len, c->mr->lkey))
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

	c->mw = ibv_alloc_mw(c->v.pd, IBV_MW_TYPE_2);
	if (!c->mw)
		return -errno;
	*rkey = ibv_inc_rkey(c->mw->rkey);
	wr.bind_mw.mw = c->mw;
	wr.bind_mw.rkey = *rkey;
	wr.bind_mw.bind_info = (struct ibv_mw_bind_info){
		.mr = c->mr, .addr = (uintptr_t)c->buf + off, .length = len,
		.mw_access_flags = IBV_ACCESS_REMOTE_WRITE,
	};
	if (ibv_post_send(c->v.qp, &wr, &bad))
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
	struct vt_op o = {
		.opcode = op, .laddr = c->buf + loff, .len = len,
		.lkey = c->mr->lkey, .raddr = raddr, .rkey = rkey,
		.compare_add = a, .swap = b, .imm = (uint32_t)a,
	};
	struct ibv_wc wc;
	int ret = vt_post(c->v.qp, &o);

	return ret ? ret : wait_wc(c, &wc);
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

/*
 * The server's word starts at 0: fetch-add 5, then cmp-swap 5 -> 77, then
 * a failing compare, which returns the value and leaves it alone.
 */
static const struct atomic_step {
	const char *name;
	enum ibv_wr_opcode op;
	uint64_t compare_add, swap;
	uint64_t old, now;		/* returned, and the word after */
} atomic_steps[] = {
	{ "fetch_add", IBV_WR_ATOMIC_FETCH_AND_ADD, 5, 0, 0, 5 },
	{ "cmp_swap", IBV_WR_ATOMIC_CMP_AND_SWP, 5, 77, 5, 77 },
	{ "cmp_swap_miss", IBV_WR_ATOMIC_CMP_AND_SWP, 1, 99, 77, 77 },
};

static void step_atomics(struct ctx *c)
{
	uint64_t *old = (uint64_t *)c->buf, v;
	const struct atomic_step *s;
	size_t i;
	int st;

	*old = ~0ull;
	for (i = 0; i < sizeof(atomic_steps) / sizeof(atomic_steps[0]); i++) {
		s = &atomic_steps[i];
		st = post(c, s->op, 0, 8, c->peer.addr + ATOMIC_OFF,
			  c->peer.rkey, s->compare_add, s->swap);
		v = server_word(c);
		if (st || *old != s->old || v != s->now)
			result(s->name, "status %d old %" PRIu64 " now %" PRIu64,
			       st, *old, v);
		else
			result(s->name, NULL);
	}
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
	const char *dev = NULL, *port = "18515";
	struct ctx c = { .sock = -1 };
	int opt, gidx = 0;

	while ((opt = getopt(argc, argv, "d:g:p:or")) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'g': gidx = atoi(optarg); break;
		case 'p': port = optarg; break;
		case 'o': c.odp = true; break;
		case 'r': c.reset = true; break;
		default: die("usage: xfer_tool -d DEV -g GIDX [-p PORT] [-o] [-r] [SERVER]");
		}
	}
	if (!dev)
		die("-d DEV is required");
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup(&c, dev, gidx);
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
