// SPDX-License-Identifier: GPL-2.0
/*
 * wire_tool - userspace helper of tests/nic/wire_tests.sh (built by
 * tests/Makefile into tests/build/).  Subcommands:
 *
 *   ctl CMD...                  one command to /dev/odph_wire (the
 *                               odph_wire test module), print the reply;
 *                               exit 1 if it starts with "err"
 *   ud-send DEV GIDX DADDR COUNT SIZE QPN QKEY TCLASS HOP
 *                               libibverbs: COUNT UD sends of SIZE bytes
 *                               from DEV (GID index GIDX) to DADDR
 *   ud-recv DEV GIDX COUNT TIMEOUT QKEY
 *                               libibverbs: print "qpn N", then each UD
 *                               receive as "recv LEN HEX" (GRH skipped)
 *   capture-check IFNAME COUNT TIMEOUT
 *                               capture COUNT RoCE v2 packets arriving on
 *                               IFNAME (AF_PACKET) and check each one's
 *                               ICRC with the kernel's odph_icrc()
 *                               (linear and paged skb) and with a plain
 *                               userspace CRC-32
 *   udp-send DADDR HEX [COUNT]  UDP datagram(s) with payload HEX to
 *                               DADDR port 4791 (IPv4 or IPv6)
 *   raw4 SADDR DADDR HEX good|bad [opts] [frag]
 *                               an IPv4/UDP packet built by hand: payload
 *                               HEX (BTH on) plus an ICRC from odph_icrc()
 *                               (bad: with one bit flipped); opts: 4 bytes
 *                               of IP options; frag: two IP fragments
 *   fuzz DADDR COUNT SEED       COUNT random datagrams to DADDR:4791
 *   rc-forge DEVA GIDXA DEVB GIDXB SADDR DADDR NETNS COUNT
 *                               forged ACKs/NAKs outside the window of a
 *                               live RC QP on DEVA (ICRC computed here):
 *                               ignored, counted, the QP still works
 *   rc-inject DEVA GIDXA DEVB GIDXB AADDR BADDR NETNS
 *                               forged requests at a live RC QP on DEVB
 *                               (wire_inject.c): P_Key and source checks,
 *                               the bounded WRITE fault
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <infiniband/verbs.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vtool.h"
#include "wire_tool.h"

#define GRH_LEN		40
#define MAX_PKT		9100

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void to_hex(char *out, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * len] = 0;
}

static size_t from_hex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = strlen(hex) / 2, i;
	unsigned int b;

	if (n > cap || strlen(hex) % 2)
		die("bad hex");
	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			die("bad hex");
		out[i] = b;
	}
	return n;
}

/* ---------------------------------------------------------- /dev/odph_wire */

/* Send @cmd, return the reply (static buffer). */
static char *ctl(const char *cmd)
{
	static char reply[16 << 20];
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open("/dev/odph_wire", O_RDWR);
	if (fd < 0)
		die("/dev/odph_wire: %s", strerror(errno));
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		die("write /dev/odph_wire: %s", strerror(errno));
	while ((n = read(fd, reply + got, sizeof(reply) - 1 - got)) > 0)
		got += n;
	if (n < 0)
		die("read /dev/odph_wire: %s", strerror(errno));
	reply[got] = 0;
	close(fd);
	return reply;
}

static int cmd_ctl(int argc, char **argv)
{
	char cmd[1 << 16] = "";
	char *reply;
	int i;

	for (i = 0; i < argc; i++) {
		if (strlen(cmd) + strlen(argv[i]) + 2 > sizeof(cmd))
			die("command too long");
		strcat(cmd, i ? " " : "");
		strcat(cmd, argv[i]);
	}
	reply = ctl(cmd);
	fputs(reply, stdout);
	return strncmp(reply, "err", 3) ? 0 : 1;
}

/* ---------------------------------------------------------------- ICRC */

/* IEEE CRC-32, bitwise: the userspace second opinion. */
static uint32_t crc32_ieee(uint32_t crc, const uint8_t *p, size_t len)
{
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320 : crc >> 1;
	}
	return crc;
}

/* RoCE v2 ICRC of @pkt (IP header on, ICRC included), the value whose
 * little-endian bytes end the packet. */
uint32_t icrc_user(const uint8_t *pkt, size_t len)
{
	static const uint8_t lrh[8] = { 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff };
	uint8_t hdr[60 + 8 + 12];
	size_t ip_len = (pkt[0] >> 4) == 4 ? (pkt[0] & 15) * 4u : 40;
	size_t hlen = ip_len + 8 + 12;
	uint32_t crc;

	if (len < hlen + 4)
		return 0;
	memcpy(hdr, pkt, hlen);
	if ((pkt[0] >> 4) == 4) {
		hdr[1] = 0xff;				/* TOS */
		hdr[8] = 0xff;				/* TTL */
		hdr[10] = hdr[11] = 0xff;		/* checksum */
	} else {
		hdr[0] |= 0x0f;				/* traffic class */
		hdr[1] = hdr[2] = hdr[3] = 0xff;	/* and flow label */
		hdr[7] = 0xff;				/* hop limit */
	}
	hdr[ip_len + 6] = hdr[ip_len + 7] = 0xff;	/* UDP checksum */
	hdr[ip_len + 8 + 4] = 0xff;			/* BTH resv8a */
	crc = crc32_ieee(0xffffffff, lrh, sizeof(lrh));
	crc = crc32_ieee(crc, hdr, hlen);
	crc = crc32_ieee(crc, pkt + hlen, len - hlen - 4);
	return ~crc;
}

/* The kernel's odph_icrc() of @pkt: linear, stored, paged. */
static void icrc_kernel(const uint8_t *pkt, size_t len, uint32_t v[3])
{
	static char cmd[2 * MAX_PKT + 16];
	char *reply;

	strcpy(cmd, "icrc ");
	to_hex(cmd + 5, pkt, len);
	reply = ctl(cmd);
	if (sscanf(reply, "icrc %x %x %x", &v[0], &v[1], &v[2]) != 3)
		die("icrc reply: %s", reply);
}

/* --------------------------------------------------------------- verbs */

struct ud {
	struct vt_end v;	/* device, PD, CQ, the UD QP */
	struct ibv_mr *mr;
	uint8_t *buf;
	size_t buf_size;
};

static void ud_open(struct ud *u, const char *name, uint32_t qkey,
		    size_t buf_size)
{
	const char *err = vt_end_open(&u->v, name, 256, -1), *step;

	if (err && !u->v.ctx && errno == ENODEV)
		die("no RDMA device %s", name);
	if (err)
		die("%s", err);
	u->buf_size = buf_size;
	u->buf = aligned_alloc(4096, (buf_size + 4095) & ~4095ul);
	if (!u->buf)
		die("pd/cq/buf");
	u->mr = ibv_reg_mr(u->v.pd, u->buf, buf_size, IBV_ACCESS_LOCAL_WRITE);
	u->v.qp = vt_qp_create(&u->v, IBV_QPT_UD, 128, 128, 1);
	if (!u->mr || !u->v.qp)
		die("mr/qp: %s", strerror(errno));
	step = vt_ud_up(u->v.qp, qkey);
	if (step)
		die("%s: %s", step, strerror(errno));
}

static void gid_from_ip(const char *ip, union ibv_gid *gid)
{
	struct in_addr a4;

	memset(gid, 0, sizeof(*gid));
	if (inet_pton(AF_INET, ip, &a4) == 1) {
		gid->raw[10] = gid->raw[11] = 0xff;
		memcpy(gid->raw + 12, &a4, 4);
	} else if (inet_pton(AF_INET6, ip, gid->raw) != 1) {
		die("bad address %s", ip);
	}
}

/* Wait for @n completions; return how many came before @timeout s. */
static int ud_wait(struct ud *u, int n, double timeout, struct ibv_wc *wcs)
{
	double end = now() + timeout;
	int got = 0, k;

	while (got < n && now() < end) {
		k = ibv_poll_cq(u->v.cq, n - got, wcs + got);
		if (k < 0)
			die("poll_cq");
		got += k;
		if (!k)
			usleep(1000);
	}
	return got;
}

static int cmd_ud_send(int argc, char **argv)
{
	int count, size, i, got, gidx;
	struct ibv_ah_attr ah_attr = { .is_global = 1, .port_num = 1 };
	struct ibv_wc wcs[128];
	uint32_t qpn, qkey;
	struct ibv_ah *ah;
	struct ud u;

	if (argc != 9)
		die("ud-send DEV GIDX DADDR COUNT SIZE QPN QKEY TCLASS HOP");
	gidx = atoi(argv[1]);
	count = atoi(argv[3]);
	size = atoi(argv[4]);
	qpn = strtoul(argv[5], NULL, 0);
	qkey = strtoul(argv[6], NULL, 0);
	if (count < 1 || count > 128 || size < 0 || size > 4096)
		die("COUNT 1..128, SIZE 0..4096");
	ud_open(&u, argv[0], qkey, (size_t)count * (size + 1));
	gid_from_ip(argv[2], &ah_attr.grh.dgid);
	ah_attr.grh.sgid_index = gidx;
	ah_attr.grh.traffic_class = strtoul(argv[7], NULL, 0);
	ah_attr.grh.hop_limit = strtoul(argv[8], NULL, 0);
	ah = ibv_create_ah(u.v.pd, &ah_attr);
	if (!ah)
		die("ibv_create_ah: %s", strerror(errno));
	for (i = 0; i < count * (size + 1); i++)
		u.buf[i] = i * 13 + 5;
	for (i = 0; i < count; i++) {
		struct vt_op op = {
			.opcode = IBV_WR_SEND, .wr_id = i,
			.laddr = u.buf + (size_t)i * (size + 1), .len = size,
			.lkey = u.mr->lkey, .ah = ah, .remote_qpn = qpn,
			.remote_qkey = qkey,
		};

		if (vt_post(u.v.qp, &op))
			die("post_send: %s", strerror(errno));
	}
	got = ud_wait(&u, count, 20, wcs);
	for (i = 0; i < got; i++)
		if (wcs[i].status != IBV_WC_SUCCESS)
			die("send completion %d: %s", i,
			    ibv_wc_status_str(wcs[i].status));
	printf("sent %d qpn %u\n", got, u.v.qp->qp_num);
	return got == count ? 0 : 1;
}

static int cmd_ud_recv(int argc, char **argv)
{
	static char hex[2 * 4096 + 1];
	struct ibv_wc wcs[128];
	int count, i, got;
	size_t slot = GRH_LEN + 4096;
	struct ud u;

	if (argc != 5)
		die("ud-recv DEV GIDX COUNT TIMEOUT QKEY");
	count = atoi(argv[2]);
	if (count < 1 || count > 128)
		die("COUNT 1..128");
	ud_open(&u, argv[0], strtoul(argv[4], NULL, 0), count * slot);
	for (i = 0; i < count; i++)
		if (vt_post_recv(u.v.qp, i, u.buf + i * slot, slot,
				 u.mr->lkey))
			die("post_recv: %s", strerror(errno));
	printf("qpn %u\n", u.v.qp->qp_num);
	fflush(stdout);
	got = ud_wait(&u, count, atof(argv[3]), wcs);
	for (i = 0; i < got; i++) {
		uint32_t len = wcs[i].byte_len - GRH_LEN;

		if (wcs[i].status != IBV_WC_SUCCESS ||
		    wcs[i].byte_len < GRH_LEN)
			die("recv completion: %s",
			    ibv_wc_status_str(wcs[i].status));
		to_hex(hex, u.buf + wcs[i].wr_id * slot + GRH_LEN, len);
		printf("recv %u %s\n", len, hex);
	}
	return got == count ? 0 : 1;
}

/* ------------------------------------------------------------- capture */

/* If @frame is a RoCE v2 packet, return its IP header and set @len. */
static const uint8_t *roce_packet(const uint8_t *frame, size_t flen,
				  size_t *len)
{
	const uint8_t *ip = frame + ETH_HLEN;
	uint16_t type = frame[12] << 8 | frame[13];
	size_t ip_len, tot;

	if (flen < ETH_HLEN + 40 + 8)
		return NULL;
	if (type == ETHERTYPE_IP && ip[9] == IPPROTO_UDP) {
		ip_len = (ip[0] & 15) * 4u;
		tot = ip[2] << 8 | ip[3];
	} else if (type == ETHERTYPE_IPV6 && ip[6] == IPPROTO_UDP) {
		ip_len = 40;
		tot = 40 + (ip[4] << 8 | ip[5]);
	} else {
		return NULL;
	}
	if (tot > flen - ETH_HLEN || (ip[ip_len + 2] << 8 | ip[ip_len + 3])
	    != ROCE_PORT)
		return NULL;
	*len = tot;
	return ip;
}

static int cmd_capture_check(int argc, char **argv)
{
	int s, count, got = 0, bad = 0;
	static uint8_t frame[65536];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	socklen_t alen;
	double end;

	if (argc != 3)
		die("capture-check IFNAME COUNT TIMEOUT");
	count = atoi(argv[1]);
	s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (s < 0)
		die("AF_PACKET: %s", strerror(errno));
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = if_nametoindex(argv[0]);
	if (!sll.sll_ifindex || bind(s, (void *)&sll, sizeof(sll)))
		die("bind %s: %s", argv[0], strerror(errno));
	printf("ready\n");
	fflush(stdout);
	end = now() + atof(argv[2]);
	while (got < count && now() < end) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		const uint8_t *pkt;
		uint32_t k[3], user;
		ssize_t n;
		size_t len;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		alen = sizeof(sll);
		n = recvfrom(s, frame, sizeof(frame), 0, (void *)&sll, &alen);
		if (n <= 0 || sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		pkt = roce_packet(frame, n, &len);
		if (!pkt)
			continue;
		icrc_kernel(pkt, len, k);
		user = icrc_user(pkt, len);
		got++;
		if (k[0] != k[1] || k[2] != k[1] || user != k[1])
			bad++;
		printf("pkt %d IPv%d len %zu opcode 0x%02x wire %08x kernel %08x paged %08x user %08x %s\n",
		       got, pkt[0] >> 4, len,
		       pkt[(pkt[0] >> 4 == 4 ? (pkt[0] & 15) * 4 : 40) + 8],
		       k[1], k[0], k[2], user,
		       k[0] == k[1] && k[2] == k[1] && user == k[1] ?
		       "ok" : "MISMATCH");
	}
	printf("captured %d of %d, %d mismatched\n", got, count, bad);
	return got == count && !bad ? 0 : 1;
}

/* ----------------------------------------------------------- injection */

static int udp_socket_to(const char *daddr, struct sockaddr_storage *ss,
			 socklen_t *slen)
{
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, daddr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(ROCE_PORT);
		*slen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, daddr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(ROCE_PORT);
		*slen = sizeof(*s6);
	} else {
		die("bad address %s", daddr);
	}
	return socket(ss->ss_family, SOCK_DGRAM, 0);
}

static int cmd_udp_send(int argc, char **argv)
{
	static uint8_t buf[MAX_PKT];
	struct sockaddr_storage ss;
	socklen_t slen;
	int s, i, count;
	size_t len;

	if (argc < 2)
		die("udp-send DADDR HEX [COUNT]");
	len = strcmp(argv[1], "-") ? from_hex(buf, sizeof(buf), argv[1]) : 0;
	count = argc > 2 ? atoi(argv[2]) : 1;
	s = udp_socket_to(argv[0], &ss, &slen);
	if (s < 0)
		die("socket: %s", strerror(errno));
	for (i = 0; i < count; i++)
		if (sendto(s, buf, len, 0, (void *)&ss, slen) != (ssize_t)len)
			die("sendto: %s", strerror(errno));
	return 0;
}

static int cmd_fuzz(int argc, char **argv)
{
	static const uint8_t ops[] = { 0x00, 0x04, 0x06, 0x0a, 0x0c, 0x0d,
				       0x11, 0x12, 0x13, 0x64, 0x65, 0x15,
				       0x1f, 0x63, 0xff };
	struct sockaddr_storage ss;
	uint8_t buf[256];
	socklen_t slen;
	int s, i, count;
	size_t len, j;

	if (argc != 3)
		die("fuzz DADDR COUNT SEED");
	count = atoi(argv[1]);
	srand(atoi(argv[2]));
	s = udp_socket_to(argv[0], &ss, &slen);
	if (s < 0)
		die("socket: %s", strerror(errno));
	for (i = 0; i < count; i++) {
		len = rand() % sizeof(buf);
		for (j = 0; j < len; j++)
			buf[j] = rand();
		if (len > 1) {
			buf[0] = ops[rand() % sizeof(ops)];
			/* mostly version 0, so later checks get reached */
			if (rand() % 4)
				buf[1] &= 0xf0;
		}
		if (sendto(s, buf, len, 0, (void *)&ss, slen) != (ssize_t)len)
			die("sendto: %s", strerror(errno));
	}
	printf("sent %d\n", count);
	return 0;
}

uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

void raw4_send(int s, const struct sockaddr_in *dst,
	       const uint8_t *pkt, size_t len)
{
	if (sendto(s, pkt, len, 0, (const void *)dst, sizeof(*dst)) !=
	    (ssize_t)len)
		die("raw sendto: %s", strerror(errno));
}

/* Send @pkt (header @hl bytes) as two fragments. */
static void raw4_send_frags(int s, const struct sockaddr_in *dst,
			    const uint8_t *pkt, size_t len, size_t hl)
{
	static uint8_t frag[MAX_PKT];
	size_t first = ((len - hl) / 2) & ~7ul;	/* payload bytes in #1 */

	memcpy(frag, pkt, hl);
	memcpy(frag + hl, pkt + hl, first);
	frag[2] = (hl + first) >> 8;
	frag[3] = hl + first;
	frag[6] = 0x20;				/* MF, offset 0 */
	frag[7] = 0;
	raw4_send(s, dst, frag, hl + first);

	memcpy(frag + hl, pkt + hl + first, len - hl - first);
	frag[2] = (len - first) >> 8;
	frag[3] = len - first;
	frag[6] = (first / 8) >> 8;		/* last, offset */
	frag[7] = first / 8;
	raw4_send(s, dst, frag, len - first);
}

static int cmd_raw4(int argc, char **argv)
{
	static uint8_t pkt[MAX_PKT];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	int s, i, opts = 0, frag = 0, good;
	size_t hl, len;
	uint32_t k[3], icrc;

	if (argc < 4)
		die("raw4 SADDR DADDR HEX good|bad [opts] [frag]");
	good = !strcmp(argv[3], "good");
	for (i = 4; i < argc; i++) {
		opts |= !strcmp(argv[i], "opts");
		frag |= !strcmp(argv[i], "frag");
	}
	hl = opts ? 24 : 20;
	len = hl + 8 + from_hex(pkt + hl + 8, sizeof(pkt) - hl - 12, argv[2]);
	len += 4;
	pkt[0] = 0x40 | hl / 4;
	pkt[1] = 0x08;				/* TOS, masked */
	pkt[2] = len >> 8;
	pkt[3] = len;
	pkt[4] = 0x12;				/* id: not 0, or the */
	pkt[5] = 0x34;				/* kernel picks one */
	pkt[8] = 17;				/* TTL, masked */
	pkt[9] = IPPROTO_UDP;
	if (inet_pton(AF_INET, argv[0], pkt + 12) != 1 ||
	    inet_pton(AF_INET, argv[1], pkt + 16) != 1)
		die("bad address");
	if (opts)
		memset(pkt + 20, 1, 4);		/* IPOPT_NOOP */
	pkt[hl + 0] = 0xc0;			/* source port 49152 */
	pkt[hl + 1] = 0x00;
	pkt[hl + 2] = ROCE_PORT >> 8;
	pkt[hl + 3] = ROCE_PORT & 0xff;
	pkt[hl + 4] = (len - hl) >> 8;
	pkt[hl + 5] = len - hl;			/* checksum 0: none */
	/* The ICRC covers the packet as reassembled: no fragment bits. */
	icrc_kernel(pkt, len, k);
	icrc = k[0] ^ (good ? 0 : 1);
	for (i = 0; i < 4; i++)
		pkt[len - 4 + i] = icrc >> (8 * i);
	pkt[10] = pkt[11] = 0;
	icrc = ip_csum(pkt, hl);
	pkt[10] = icrc >> 8;
	pkt[11] = icrc;

	s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (s < 0)
		die("raw socket: %s", strerror(errno));
	memcpy(&dst.sin_addr, pkt + 16, 4);
	if (frag)
		raw4_send_frags(s, &dst, pkt, len, hl);
	else
		raw4_send(s, &dst, pkt, len);
	printf("sent %zu bytes icrc %08x\n", len, k[0] ^ (good ? 0 : 1));
	return 0;
}

/* ------------------------------------------------ forged RC responses */

/* A port counter of @dev, from sysfs (what rdma statistic shows); -1 if
 * the device has no such counter. */
long long port_cnt(const char *dev, const char *name)
{
	char path[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/class/infiniband/%s/ports/1/hw_counters/%s", dev, name);
	f = fopen(path, "r");
	if (!f && errno == ENOENT)
		return -1;
	if (!f)
		die("%s: %s", path, strerror(errno));
	if (fscanf(f, "%lld", &v) != 1)
		die("%s: unreadable", path);
	fclose(f);
	return v;
}

/*
 * The IPv4 and UDP headers (pkt[0..28)) of a RoCE v2 packet of @len bytes,
 * ICRC included, from @saddr to @daddr, IP id @id (not 0, or the kernel
 * picks one), UDP source port @sport, no UDP checksum; the BTH goes at
 * pkt + 28.  The rest of @pkt is left as it is.
 */
void roce4_headers(uint8_t *pkt, size_t len, const char *saddr,
		   const char *daddr, uint16_t id, uint16_t sport)
{
	memset(pkt, 0, 28);
	pkt[0] = 0x45;
	pkt[2] = len >> 8;
	pkt[3] = len;
	pkt[4] = id >> 8;
	pkt[5] = id;
	pkt[6] = 0x40;				/* DF */
	pkt[8] = 64;
	pkt[9] = IPPROTO_UDP;
	if (inet_pton(AF_INET, saddr, pkt + 12) != 1 ||
	    inet_pton(AF_INET, daddr, pkt + 16) != 1)
		die("bad IPv4 address");
	pkt[20] = sport >> 8;
	pkt[21] = sport;
	pkt[22] = ROCE_PORT >> 8;
	pkt[23] = ROCE_PORT & 0xff;
	pkt[24] = (len - 20) >> 8;
	pkt[25] = len - 20;
}

/*
 * Seal a packet built on roce4_headers() (its ICRC, computed here with
 * icrc_user(), then the IP header checksum) and send it on raw socket @s.
 */
void roce4_seal_send(int s, uint8_t *pkt, size_t len)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	uint32_t icrc = icrc_user(pkt, len);
	uint16_t csum;
	int i;

	for (i = 0; i < 4; i++)
		pkt[len - 4 + i] = icrc >> (8 * i);
	csum = ip_csum(pkt, 20);
	pkt[10] = csum >> 8;
	pkt[11] = csum;
	memcpy(&dst.sin_addr, pkt + 16, 4);
	raw4_send(s, &dst, pkt, len);
}

/*
 * One RoCE v2 RC ACKNOWLEDGE from @saddr to @daddr (IPv4) for QP @qpn,
 * PSN @psn, AETH syndrome @syn, its ICRC computed here (icrc_user(), the
 * CRC the capture-check case holds against the kernel's).
 */
static void forge_ack(int s, const char *saddr, const char *daddr,
		      uint32_t qpn, uint32_t psn, uint8_t syn)
{
	uint8_t pkt[20 + 8 + 12 + 4 + 4] = { 0 };
	size_t len = sizeof(pkt);

	roce4_headers(pkt, len, saddr, daddr, 0x1234, 0xc000);
	pkt[28] = 0x11;				/* RC ACKNOWLEDGE */
	pkt[30] = pkt[31] = 0xff;		/* default P_Key */
	pkt[33] = qpn >> 16;
	pkt[34] = qpn >> 8;
	pkt[35] = qpn;
	pkt[37] = psn >> 16;
	pkt[38] = psn >> 8;
	pkt[39] = psn;
	pkt[40] = syn;				/* AETH, MSN 0 */
	roce4_seal_send(s, pkt, len);
}

#define FORGE_PSN	0x1000u		/* A's first send PSN */
#define FORGE_RNR	20		/* B's RNR NAK timer: 10.24 ms */

/* A completion on @cq, if any, without waiting: 1 (in @wc) or 0. */
int poll1(struct ibv_cq *cq, struct ibv_wc *wc)
{
	int n = ibv_poll_cq(cq, 1, wc);

	if (n < 0)
		die("ibv_poll_cq");
	return n;
}

/* A raw IPv4 socket in the network namespace at @path (ip netns). */
int raw4_socket_in(const char *path)
{
	int self = open("/proc/self/ns/net", O_RDONLY);
	int ns = open(path, O_RDONLY);
	int s;

	if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET))
		die("setns %s: %s", path, strerror(errno));
	s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (s < 0)
		die("raw socket: %s", strerror(errno));
	if (setns(self, CLONE_NEWNET))
		die("setns back: %s", strerror(errno));
	close(ns);
	close(self);
	return s;
}

/*
 * An RC QP on each of DEVA and DEVB (argv[0..3]: device, GID index),
 * opened here and connected to each other: A sends from PSN @apsn, B from
 * @bpsn; B's RNR NAK timer is @rnr.
 */
void rc_pair(struct vt_end *a, struct vt_end *b, char **argv, uint32_t apsn,
	     uint32_t bpsn, uint8_t rnr)
{
	struct vt_path pa = { .mtu = IBV_MTU_1024, .rd_atomic = 1,
			      .min_rnr_timer = rnr }, pb;
	const char *err;

	if ((err = vt_end_open(a, argv[0], 64, atoi(argv[1]))) ||
	    (err = vt_end_open(b, argv[2], 64, atoi(argv[3]))))
		die("%s", err);
	a->qp = vt_qp_create(a, IBV_QPT_RC, 16, 16, 1);
	b->qp = vt_qp_create(b, IBV_QPT_RC, 16, 16, 1);
	if (!a->qp || !b->qp)
		die("create_qp: %s", strerror(errno));
	pb = pa;
	pa.dest_qpn = b->qp->qp_num;
	pa.sq_psn = apsn;
	pa.rq_psn = bpsn;
	pa.sgid_index = a->gidx;
	pa.dgid = b->gid;
	pb.dest_qpn = a->qp->qp_num;
	pb.sq_psn = bpsn;
	pb.rq_psn = apsn;
	pb.sgid_index = b->gidx;
	pb.dgid = a->gid;
	if ((err = vt_rc_connect(a->qp, VT_REMOTE_RWA, &pa)) ||
	    (err = vt_rc_connect(b->qp, VT_REMOTE_RWA, &pb)))
		die("connect: %s: %s", err, strerror(errno));
}

/*
 * rc-forge DEVA GIDXA DEVB GIDXB SADDR DADDR NETNS COUNT: an RC QP on DEVA
 * connected to one on DEVB, both opened here (run where the devices'
 * counters are in sysfs: init_net); the forged packets leave from a raw
 * socket in the namespace NETNS (a path, /var/run/netns/NAME), with B's
 * address SADDR, to A's DADDR, so they arrive on A's netdev.
 * A posts a SEND that B has no receive for: B answers RNR NAKs (forever,
 * rnr_retry 7), so the SEND stays outstanding at PSN FORGE_PSN.  Then
 * COUNT each of: NAK "remote access error" 256 PSNs behind and ahead of
 * the window, NAK "PSN sequence error" ahead, ACK ahead.  All of them
 * must be ignored and counted (drop_ack_psn on DEVA moves by exactly
 * 4 * COUNT) and no completion may appear; then B posts the receive, the
 * SEND completes with the right bytes, and a fresh WRITE lands verified.
 */
static int cmd_rc_forge(int argc, char **argv)
{
	struct vt_end a, b;
	struct ibv_mr *ma, *mb;
	struct ibv_wc wc;
	const char *deva, *saddr, *daddr;
	uint8_t *abuf, *bbuf;
	long long d0, d1, rnr0;
	int s, count, i, st, bad = 0;
	double t;

	if (argc < 8)
		die("rc-forge DEVA GIDXA DEVB GIDXB SADDR DADDR NETNS COUNT");
	deva = argv[0];
	saddr = argv[4];
	daddr = argv[5];
	count = atoi(argv[7]);
	rc_pair(&a, &b, argv, FORGE_PSN, 0x2000, FORGE_RNR);
	abuf = aligned_alloc(4096, 8192);
	bbuf = aligned_alloc(4096, 8192);
	if (!abuf || !bbuf)
		die("buf: %s", strerror(errno));
	ma = ibv_reg_mr(a.pd, abuf, 8192, IBV_ACCESS_LOCAL_WRITE);
	mb = ibv_reg_mr(b.pd, bbuf, 8192, IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_REMOTE_WRITE);
	if (!ma || !mb)
		die("reg_mr: %s", strerror(errno));
	s = raw4_socket_in(argv[6]);

	/* The SEND, outstanding: wait for B's RNR NAKs to reach A. */
	for (i = 0; i < 64; i++)
		abuf[i] = 0xa0 + i;
	memset(bbuf, 0, 8192);
	rnr0 = port_cnt(deva, "rnr_nak_rcvd");
	st = vt_post(a.qp, &(struct vt_op){ .opcode = IBV_WR_SEND, .wr_id = 1,
		     .laddr = abuf, .len = 64, .lkey = ma->lkey });
	if (st)
		die("post SEND: %s", strerror(-st));
	for (t = now(); port_cnt(deva, "rnr_nak_rcvd") < rnr0 + 2; usleep(10000))
		if (now() - t > 20)
			die("no RNR NAK reached %s in 20 s", deva);

	d0 = port_cnt(deva, "drop_ack_psn");
	if (d0 < 0) {
		printf("FAIL: %s has no drop_ack_psn counter\n", deva);
		bad = 1;
	}
	for (i = 0; i < count; i++) {
		forge_ack(s, saddr, daddr, a.qp->qp_num,
			  (FORGE_PSN - 256) & 0xffffff, 0x62);
		forge_ack(s, saddr, daddr, a.qp->qp_num, FORGE_PSN + 256, 0x62);
		forge_ack(s, saddr, daddr, a.qp->qp_num, FORGE_PSN + 256, 0x60);
		forge_ack(s, saddr, daddr, a.qp->qp_num, FORGE_PSN + 256, 0x1f);
	}
	printf("forged %d\n", 4 * count);
	/* Until they are all counted (or 10 s), then a little longer. */
	for (t = now(); now() - t < 10; usleep(20000))
		if (port_cnt(deva, "drop_ack_psn") >= d0 + 4 * count)
			break;
	usleep(300000);
	d1 = port_cnt(deva, "drop_ack_psn");
	printf("drop_ack_psn +%lld\n", d1 - d0);
	if (d0 >= 0 && d1 - d0 != 4 * count) {
		printf("FAIL: drop_ack_psn moved by %lld, not %d\n", d1 - d0,
		       4 * count);
		bad = 1;
	}
	if (poll1(a.cq, &wc)) {
		printf("FAIL: forged responses completed wr %llu: %s\n",
		       (unsigned long long)wc.wr_id, vt_wc_str(wc.status));
		return 1;
	}

	/* B takes the SEND now; then a fresh WRITE. */
	if (vt_post_recv(b.qp, 2, bbuf, 4096, mb->lkey))
		die("post_recv: %s", strerror(errno));
	st = vt_wait_wc(a.cq, &wc, 30);
	if (st != IBV_WC_SUCCESS || wc.wr_id != 1) {
		printf("FAIL: SEND: %s (wr %llu)\n", vt_wc_str(st),
		       (unsigned long long)wc.wr_id);
		return 1;
	}
	st = vt_wait_wc(b.cq, &wc, 30);
	if (st != IBV_WC_SUCCESS || wc.byte_len != 64 ||
	    memcmp(bbuf, abuf, 64)) {
		printf("FAIL: receive: %s, %u bytes\n", vt_wc_str(st),
		       wc.byte_len);
		return 1;
	}
	for (i = 0; i < 4096; i++)
		abuf[i] = i * 7 + 3;
	st = vt_post(a.qp, &(struct vt_op){ .opcode = IBV_WR_RDMA_WRITE,
		     .wr_id = 3, .laddr = abuf, .len = 4096, .lkey = ma->lkey,
		     .raddr = (uintptr_t)bbuf + 4096, .rkey = mb->rkey });
	if (st)
		die("post WRITE: %s", strerror(-st));
	st = vt_wait_wc(a.cq, &wc, 30);
	if (st != IBV_WC_SUCCESS || wc.wr_id != 3 ||
	    memcmp(bbuf + 4096, abuf, 4096)) {
		printf("FAIL: WRITE after the forged packets: %s%s\n",
		       vt_wc_str(st), st ? "" : ", data differs");
		return 1;
	}
	printf("SEND and WRITE after the forged packets: ok\n");
	return bad;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "ctl", cmd_ctl },
		{ "ud-send", cmd_ud_send },
		{ "ud-recv", cmd_ud_recv },
		{ "capture-check", cmd_capture_check },
		{ "udp-send", cmd_udp_send },
		{ "raw4", cmd_raw4 },
		{ "fuzz", cmd_fuzz },
		{ "rc-forge", cmd_rc_forge },
		{ "rc-inject", cmd_rc_inject },
	};
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 2, argv + 2);
	die("usage: wire_tool ctl|ud-send|ud-recv|capture-check|udp-send|raw4|fuzz|rc-forge|rc-inject ARGS");
	return 2;
}
