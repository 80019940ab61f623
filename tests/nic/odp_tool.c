// SPDX-License-Identifier: GPL-2.0
/*
 * odp_tool - on-demand paging cases on two odph devices.
 *
 *	odp_tool -a DEVA -A GIDXA -b DEVB -B GIDXB CASE
 *
 * One process opens both devices (rdma netns mode "shared": the devices
 * sit in two namespaces, joined by a veth pair, but are visible here) and
 * connects an RC QP on A to one on B.  A is the requester; B owns the ODP
 * MRs the cases poke at, so B's responder takes the page faults, while
 * the test sees B's memory directly and checks it byte for byte.
 * Every check prints "FAIL ..." when it fails; the exit status is 0 only
 * if the case passed.  Cases: see odp_tool_cases.c and odp_tool_race.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "odph_test_uapi.h"
#include "odp_tool.h"

struct vt_end A, B;

const char *side_name(const struct vt_end *s)
{
	return s == &A ? "A" : "B";
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("FAIL (fatal) ", stdout);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	exit(2);
}

int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("FAIL ", stdout);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return 1;
}

void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static unsigned char pat(uint32_t seed, size_t i)
{
	return (unsigned char)(seed * 131 + i * 7 + (i >> 9) + 1);
}

void fill(void *p, size_t len, uint32_t seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		c[i] = pat(seed, i);
}

long check(const void *p, size_t len, uint32_t seed)
{
	return check_at(p, len, seed, 0);
}

long check_at(const void *p, size_t len, uint32_t seed, size_t off)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != pat(seed, off + i))
			return (long)i;
	return -1;
}

long check_byte(const void *p, size_t len, unsigned char v)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != v)
			return (long)i;
	return -1;
}

/* Anonymous private memory, @align aligned (a power of two >= PAGE). */
void *map_anon(size_t len, size_t align)
{
	size_t span = len + align;
	char *p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *q;

	if (p == MAP_FAILED)
		die("mmap %zu: %s", span, strerror(errno));
	q = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (q > p)
		munmap(p, q - p);
	munmap(q + len, p + span - (q + len));
	return q;
}

int memfd(const char *name, size_t len)
{
	int fd = memfd_create(name, 0);

	if (fd < 0 || ftruncate(fd, len))
		die("memfd %s: %s", name, strerror(errno));
	return fd;
}

/* A shared mapping of @fd; at @at (MAP_FIXED, replacing) unless NULL. */
void *map_fd(int fd, size_t len, int prot, void *at)
{
	void *p = mmap(at, len, prot, MAP_SHARED | (at ? MAP_FIXED : 0), fd, 0);

	if (p == MAP_FAILED)
		die("mmap fd %d: %s", fd, strerror(errno));
	return p;
}

double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

struct ibv_mr *reg(struct vt_end *s, void *addr, size_t len, int access)
{
	struct ibv_mr *mr = ibv_reg_mr(s->pd, addr, len, access);

	if (!mr)
		die("reg_mr %s %p+%zu access 0x%x: %s", side_name(s), addr, len,
		    access, strerror(errno));
	return mr;
}

struct ibv_mr *reg_odp(struct vt_end *s, void *addr, size_t len)
{
	return reg(s, addr, len, IBV_ACCESS_ON_DEMAND |
		   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		   IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC);
}

/* Take @s's QP to RTS towards @peer's: 0, or nonzero with errno set. */
static int qp_up(struct vt_end *s, struct vt_end *peer)
{
	struct vt_path p = {
		.dest_qpn = peer->qp->qp_num, .rq_psn = 0x100, .sq_psn = 0x100,
		.sgid_index = s->gidx, .dgid = peer->gid,
		.mtu = IBV_MTU_1024, .rd_atomic = 4, .min_rnr_timer = 12,
	};

	return vt_rc_connect(s->qp, VT_REMOTE_RWA, &p) != NULL;
}

/* A fresh RC QP on each side, connected to each other (any old ones go). */
int rc_connect(void)
{
	struct vt_end *s[2] = { &A, &B };
	int i;

	for (i = 0; i < 2; i++) {
		if (s[i]->qp)
			ibv_destroy_qp(s[i]->qp);
		s[i]->qp = vt_qp_create(s[i], IBV_QPT_RC, 64, 64, 2);
		if (!s[i]->qp)
			die("create_qp %s: %s", side_name(s[i]), strerror(errno));
	}
	if (qp_up(&A, &B) || qp_up(&B, &A))
		die("connect: %s", strerror(errno));
	return 0;
}

int post_rdma(struct vt_end *s, enum ibv_wr_opcode op, void *laddr,
	      uint32_t lkey, uint32_t len, uint64_t raddr, uint32_t rkey,
	      uint64_t wr_id)
{
	struct vt_op o = {
		.opcode = op, .wr_id = wr_id, .laddr = laddr, .len = len,
		.lkey = lkey, .raddr = raddr, .rkey = rkey,
	};

	return vt_post(s->qp, &o);
}

int post_recv(struct vt_end *s, void *addr, uint32_t lkey, uint32_t len,
	      uint64_t wr_id)
{
	return vt_post_recv(s->qp, wr_id, addr, len, lkey);
}

/* One completion of @s's CQ: its status, or -1 after @timeout seconds. */
int wait_wc(struct vt_end *s, struct ibv_wc *wc, double timeout)
{
	return vt_wait_wc(s->cq, wc, timeout);
}

int rdma_op(enum ibv_wr_opcode op, void *laddr, uint32_t lkey, uint32_t len,
	    uint64_t raddr, uint32_t rkey)
{
	struct ibv_wc wc;
	int ret = post_rdma(&A, op, laddr, lkey, len, raddr, rkey, 1);

	if (ret)
		return fail("post_send: %s", strerror(-ret)), -1;
	return wait_wc(&A, &wc, 30);
}

/* "NAME":VALUE in @obj, or -1 */
static long long json_num(const char *obj, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\"%s\":", name);
	p = strstr(obj, key);
	return p ? atoll(p + strlen(key)) : -1;
}

/*
 * The ODP counters of @mr from `rdma -j -dd resource show mr`: the JSON
 * object that holds this MR's rkey (printed in hex without "0x").  Returns 0, or -1 if not found.
 */
int mr_counters(struct ibv_mr *mr, struct odp_cnt *c)
{
	static char buf[1 << 20];
	char key[32], *p, *start, *end;
	FILE *f = popen("rdma -j -dd resource show mr 2>&1", "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	pclose(f);
	snprintf(key, sizeof(key), "\"rkey\":\"%x\"", mr->rkey);
	p = strstr(buf, key);
	if (!p) {
		note("no %s in: %.2000s", key, buf);
		return -1;
	}
	for (start = p; start > buf && *start != '{'; start--)
		;
	end = strchr(p, '}');
	if (end)
		end[1] = 0;
	c->faults = json_num(start, "drv_odp_faults");
	c->pages_faulted = json_num(start, "drv_odp_pages_faulted");
	c->pages_snapshot = json_num(start, "drv_odp_pages_snapshot");
	c->invalidations = json_num(start, "drv_odp_invalidations");
	c->pages_invalidated = json_num(start, "drv_odp_pages_invalidated");
	c->prefetches = json_num(start, "drv_odp_prefetches");
	c->fault_retries = json_num(start, "drv_odp_fault_retries");
	c->pages_dirtied = json_num(start, "drv_odp_pages_dirtied");
	c->fault_errors = json_num(start, "drv_odp_fault_errors");
	return c->faults < 0 ? -1 : 0;
}

void print_counters(const char *what, const struct odp_cnt *c)
{
	note("%s: faults %lld pages_faulted %lld snapshot %lld inval %lld "
	     "pages_inval %lld prefetch %lld retries %lld dirtied %lld "
	     "errors %lld", what, c->faults, c->pages_faulted,
	     c->pages_snapshot, c->invalidations, c->pages_invalidated,
	     c->prefetches, c->fault_retries, c->pages_dirtied,
	     c->fault_errors);
}

/* Mirrors alive in the core (all users), from /dev/odph_test; -1 if none. */
long long live_mirrors(void)
{
	struct odpt_stats st;
	int fd = open(ODPT_DEV_PATH, O_RDWR);
	int ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, ODPT_IOC_STATS, &st);
	close(fd);
	return ret ? -1 : (long long)st.live_mirrors;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
	{ "faults", case_faults },	{ "remap", case_remap },
	{ "fork", case_fork },		{ "thp", case_thp },
	{ "hugetlb", case_hugetlb },	{ "rdonly", case_rdonly },
	{ "implicit", case_implicit },	{ "iova", case_iova },
	{ "hole", case_hole },		{ "counters", case_counters },
	{ "race", case_race },		{ "stream", case_stream },
	{ "storm", case_storm },	{ "warm_read", case_warm_read },
	{ "sizes", case_sizes },	{ "ud", case_ud },
	{ "fatal", case_fatal },		{ "atomic_held", case_atomic_held },
};

int main(int argc, char **argv)
{
	const char *da = NULL, *db = NULL;
	int opt, ga = 0, gb = 0;
	size_t i;

	while ((opt = getopt(argc, argv, "a:A:b:B:")) != -1) {
		switch (opt) {
		case 'a': da = optarg; break;
		case 'A': ga = atoi(optarg); break;
		case 'b': db = optarg; break;
		case 'B': gb = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (!da || !db || optind + 1 != argc)
		goto usage;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(cases[i].name, argv[optind]))
			continue;
		if (vt_end_open(&A, da, 256, ga))
			die("%s", A.err);
		if (vt_end_open(&B, db, 256, gb))
			die("%s", B.err);
		rc_connect();
		if (cases[i].fn())
			return 1;
		note("ok %s", cases[i].name);
		return 0;
	}
usage:
	fprintf(stderr, "usage: odp_tool -a DEV -A GIDX -b DEV -B GIDX CASE\n");
	return 2;
}
