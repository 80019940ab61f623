// SPDX-License-Identifier: GPL-2.0
/*
 * wire_inject.c - wire_tool rc-inject: forged RDMA WRITE requests at a
 * live RC QP, built here (raw IPv4 socket, ICRC computed in userspace),
 * for issue 16's findings 1 and 2:
 *
 *   1. A WRITE with a P_Key outside the default partition, and one from an
 *      address that is not the QP's peer, are dropped and counted
 *      (drop_pkey, drop_saddr) and the target stays untouched; the same
 *      WRITE from the peer with the right P_Key lands (the control: it
 *      shows the forgeries would have landed, so the test can fail).
 *   2. A WRITE_FIRST announcing 256 MiB into an implicit ODP MR makes the
 *      responder fault the packet plus at most write_fault_ahead (4 MiB),
 *      not the whole announced range: mincore() counts what got populated.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vtool.h"
#include "wire_tool.h"

#define INJ_PSN		0x3000u		/* B's expected request PSN */
#define INJ_PAY		1024u		/* one IB MTU of payload */
#define BIG		(256ul << 20)	/* what the WRITE_FIRST announces */
#define AHEAD_MAX	((4ul << 20) + (1ul << 20))	/* + windows, slack */

enum {
	RC_WRITE_FIRST = 0x06,
	RC_WRITE_ONLY = 0x0a,
};

struct inject {
	int s;				/* raw socket in A's namespace */
	const char *baddr;
	uint32_t qpn;			/* B's QP */
	uint32_t psn;			/* next PSN B expects */
};

/*
 * One RC WRITE_FIRST or WRITE_ONLY with a RETH and INJ_PAY bytes of
 * @fill from @saddr, with BTH P_Key @pkey, at PSN @psn.
 */
static void inject_write(const struct inject *in, const char *saddr,
			 uint8_t opcode, uint16_t pkey, uint32_t psn,
			 uint64_t va, uint32_t rkey, uint32_t len,
			 uint8_t fill)
{
	static uint8_t pkt[20 + 8 + 12 + 16 + INJ_PAY + 4];
	size_t n = sizeof(pkt);
	uint8_t *bth = pkt + 28, *reth = bth + 12;
	int i;

	memset(pkt, 0, n);
	roce4_headers(pkt, n, saddr, in->baddr, 0x5600, 0xc001);
	bth[0] = opcode;
	bth[2] = pkey >> 8;
	bth[3] = pkey;
	bth[5] = in->qpn >> 16;
	bth[6] = in->qpn >> 8;
	bth[7] = in->qpn;
	bth[8] = 0x80;				/* AckReq */
	bth[9] = psn >> 16;
	bth[10] = psn >> 8;
	bth[11] = psn;
	for (i = 0; i < 8; i++)
		reth[i] = va >> (56 - 8 * i);
	for (i = 0; i < 4; i++) {
		reth[8 + i] = rkey >> (24 - 8 * i);
		reth[12 + i] = len >> (24 - 8 * i);
	}
	memset(reth + 16, fill, INJ_PAY);
	roce4_seal_send(in->s, pkt, n);
}

/* Wait up to 10 s for @dev's counter @name to reach @want; its value. */
static long long cnt_wait(const char *dev, const char *name, long long want)
{
	double t = now();
	long long v;

	while ((v = port_cnt(dev, name)) < want && now() - t < 10)
		usleep(20000);
	return v;
}

static int expect_cnt(const char *dev, const char *name, long long from,
		      long long by)
{
	long long v = cnt_wait(dev, name, from + by);

	usleep(200000);		/* nothing more arrives late */
	v = port_cnt(dev, name);
	printf("%s %s +%lld\n", dev, name, v - from);
	if (from < 0 || v - from != by) {
		printf("FAIL: %s moved by %lld, not %lld\n", name, v - from, by);
		return 1;
	}
	return 0;
}

static long check_fill(const uint8_t *p, size_t len, uint8_t c)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != c)
			return (long)i;
	return -1;
}

/* Finding 1: forged P_Key and source address dropped, then the control. */
static int isolation(struct inject *in, const char *devb, const char *aaddr,
		     uint8_t *bbuf, struct ibv_mr *mb)
{
	long long pk = port_cnt(devb, "drop_pkey");
	long long sa = port_cnt(devb, "drop_saddr");
	uint64_t va = (uintptr_t)bbuf;
	int bad = 0;

	memset(bbuf, 0, 2 * INJ_PAY);
	inject_write(in, aaddr, RC_WRITE_ONLY, 0x1234, in->psn, va, mb->rkey,
		     INJ_PAY, 0x11);
	bad |= expect_cnt(devb, "drop_pkey", pk, 1);
	inject_write(in, "10.11.0.99", RC_WRITE_ONLY, 0xffff, in->psn, va,
		     mb->rkey, INJ_PAY, 0x22);
	bad |= expect_cnt(devb, "drop_saddr", sa, 1);
	if (check_fill(bbuf, 2 * INJ_PAY, 0) >= 0) {
		printf("FAIL: a dropped WRITE changed the target\n");
		bad = 1;
	}
	/* the control: the peer's address, the right P_Key and PSN */
	inject_write(in, aaddr, RC_WRITE_ONLY, 0xffff, in->psn, va, mb->rkey,
		     INJ_PAY, 0x33);
	for (double t = now(); now() - t < 10 && bbuf[INJ_PAY - 1] != 0x33;)
		usleep(20000);
	if (check_fill(bbuf, INJ_PAY, 0x33) >= 0 ||
	    check_fill(bbuf + INJ_PAY, INJ_PAY, 0) >= 0) {
		printf("FAIL: the control WRITE from the peer did not land "
		       "exactly\n");
		return 1;
	}
	printf("control WRITE from the peer landed\n");
	in->psn = (in->psn + 1) & 0xffffff;
	return bad;
}

static size_t resident_pages(void *p, size_t len)
{
	size_t n = len / 4096, got = 0;
	unsigned char *v = malloc(n);

	if (!v || mincore(p, len, v))
		die("mincore: %s", strerror(errno));
	for (size_t i = 0; i < n; i++)
		got += v[i] & 1;
	free(v);
	return got;
}

/* Finding 2: one WRITE_FIRST announcing BIG bytes into an implicit MR. */
static int bounded_fault(struct inject *in, const char *aaddr,
			 struct ibv_mr *mi)
{
	uint8_t *big = mmap(NULL, BIG, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	size_t got;
	double t;

	if (big == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	madvise(big, BIG, MADV_NOHUGEPAGE);
	inject_write(in, aaddr, RC_WRITE_FIRST, 0xffff, in->psn,
		     (uintptr_t)big, mi->rkey, BIG, 0x44);
	/* the miss is answered with RNR; its fault runs in the QP's work */
	for (t = now(); now() - t < 10 && !resident_pages(big, 4096 * 16);)
		usleep(50000);
	usleep(1000000);	/* let a runaway fault show itself */
	got = resident_pages(big, BIG);
	printf("WRITE_FIRST announcing %lu MiB: %zu KiB of the target "
	       "populated (bound %lu KiB)\n", BIG >> 20, got * 4,
	       AHEAD_MAX >> 10);
	if (!got) {
		printf("FAIL: the WRITE_FIRST faulted nothing (not received?)\n");
		return 1;
	}
	if (got * 4096 > AHEAD_MAX) {
		printf("FAIL: %zu KiB populated for one packet\n", got * 4);
		return 1;
	}
	return 0;
}

/*
 * rc-inject DEVA GIDXA DEVB GIDXB AADDR BADDR NETNS: an RC QP on DEVA
 * connected to one on DEVB, both opened here (from init_net, where the
 * counters are in sysfs); forged requests leave a raw socket in NETNS
 * (A's namespace, a path) from AADDR (A's address) or a spoofed one, to
 * BADDR, so they arrive on B's netdev.  A's QP itself never sends.
 */
int cmd_rc_inject(int argc, char **argv)
{
	struct vt_end a, b;
	struct ibv_mr *mb, *mi;
	struct inject in;
	uint8_t *bbuf;
	int bad;

	if (argc < 7)
		die("rc-inject DEVA GIDXA DEVB GIDXB AADDR BADDR NETNS");
	rc_pair(&a, &b, argv, INJ_PSN, 0x5000, 1);
	bbuf = aligned_alloc(4096, 8192);
	if (!bbuf)
		die("buf: %s", strerror(errno));
	mb = ibv_reg_mr(b.pd, bbuf, 8192, IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_REMOTE_WRITE);
	mi = ibv_reg_mr(b.pd, NULL, SIZE_MAX, IBV_ACCESS_ON_DEMAND |
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	if (!mb || !mi)
		die("reg_mr: %s", strerror(errno));
	in = (struct inject){ .s = raw4_socket_in(argv[6]), .baddr = argv[5],
			      .qpn = b.qp->qp_num, .psn = INJ_PSN };
	bad = isolation(&in, argv[2], argv[4], bbuf, mb);
	bad |= bounded_fault(&in, argv[4], mi);
	return bad;
}
