// SPDX-License-Identifier: GPL-2.0
/*
 * ext_test trace: the mirror core's tracepoints (events/odp/) for a known
 * sequence on one MR, exact counts and fields:
 *	PREFETCH_WRITE+FLUSH of pages 0-3    1 odp_prefetch, faulted=4
 *	PREFETCH_WRITE+FLUSH, read-only MR   1 odp_prefetch, result=-EPERM
 *	MADV_DONTNEED of pages 0-3           1 odp_invalidate, pages=4
 *	RDMA WRITE of 100 bytes to page 6    1 odp_fault (write), faulted=1
 * EXT_TRACING names the tracefs directory (default /sys/kernel/tracing).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ext_test.h"

static const char *tracing(void)
{
	const char *t = getenv("EXT_TRACING");

	return t ? t : "/sys/kernel/tracing";
}

static void put(const char *file, const char *val)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tracing(), file);
	f = fopen(path, "w");
	if (!f || fputs(val, f) < 0 || fclose(f))
		die("write %s: %s", path, strerror(errno));
}

struct ev {
	char kind;		/* f fault, p prefetch, i invalidate */
	unsigned int id, flags;
	uint64_t iova, len, faulted, snapshot, first, last, pages;
	int result;
};

#define MAX_EV 256

/* The fields odp_fault and odp_prefetch share, from @s on: 1 if all 7. */
static int parse_range(const char *s, struct ev *v)
{
	return sscanf(s, "mirror=%u iova=%" SCNx64 " length=%" SCNu64
		      " flags=%x faulted=%" SCNu64 " snapshot=%" SCNu64
		      " result=%d", &v->id, &v->iova, &v->len, &v->flags,
		      &v->faulted, &v->snapshot, &v->result) == 7;
}

/* Parse the odp events of the trace buffer into @ev; returns how many. */
static int read_events(struct ev *ev)
{
	char path[256], line[512], *p;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", tracing());
	f = fopen(path, "r");
	if (!f)
		die("open %s: %s", path, strerror(errno));
	while (n < MAX_EV && fgets(line, sizeof(line), f)) {
		struct ev *v = &ev[n];

		memset(v, 0, sizeof(*v));
		if ((p = strstr(line, "odp_invalidate: ")) &&
		    sscanf(p, "odp_invalidate: mirror=%u first=%" SCNx64
			   " last=%" SCNx64 " pages=%" SCNu64,
			   &v->id, &v->first, &v->last, &v->pages) == 4)
			v->kind = 'i';
		else if ((p = strstr(line, "odp_fault: ")) &&
			 parse_range(p + 11, v))
			v->kind = 'f';
		else if ((p = strstr(line, "odp_prefetch: ")) &&
			 parse_range(p + 14, v))
			v->kind = 'p';
		if (v->kind) {
			printf("event: %s", p);
			n++;
		}
	}
	fclose(f);
	return n;
}

/* Events of @kind on mirror @id; the last one in *@last. */
static int count(struct ev *ev, int n, char kind, unsigned int id,
		 struct ev *last)
{
	int i, c = 0;

	memset(last, 0, sizeof(*last));
	for (i = 0; i < n; i++)
		if (ev[i].kind == kind && ev[i].id == id) {
			c++;
			*last = ev[i];
		}
	return c;
}

static int prefetch_write(struct env *e, void *p, uint32_t len, uint32_t lkey)
{
	struct ibv_sge sge = { .addr = (uintptr_t)p, .length = len,
			       .lkey = lkey };

	return odp_ext_advise(e->v.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
			      IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
}

/* The mirror id of the one prefetch event at @iova. */
static unsigned int mirror_of(struct ev *ev, int n, uint64_t iova)
{
	int i;

	for (i = 0; i < n; i++)
		if (ev[i].kind == 'p' && ev[i].iova == iova)
			return ev[i].id;
	return 0;
}

void case_trace(struct env *e)
{
	size_t len = 8 * PAGE;
	char *buf = map_aligned(len, PAGE, PROT_READ | PROT_WRITE);
	char *ro = map_aligned(PAGE, PAGE, PROT_READ);
	char *src = map_aligned(PAGE, PAGE, PROT_READ | PROT_WRITE);
	int acc = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		  IBV_ACCESS_ON_DEMAND;
	struct ibv_mr *mr = ibv_reg_mr(e->v.pd, buf, len, acc);
	struct ibv_mr *mro = ibv_reg_mr(e->v.pd, ro, PAGE, acc);
	struct ibv_mr *ms = ibv_reg_mr(e->v.pd, src, PAGE, acc);
	struct ev *ev = calloc(MAX_EV, sizeof(*ev)), v;
	unsigned int id, id_ro;
	int n, st;

	if (!mr || !mro || !ms || !ev)
		die("setup: %s", strerror(errno));
	fill(src, 100, 5);
	put("events/odp/enable", "1");
	put("trace", "");

	st = prefetch_write(e, buf, 4 * PAGE, mr->lkey);
	CHECK(st == 0, "prefetch: %s", strerror(st));
	st = prefetch_write(e, ro, PAGE, mro->lkey);
	CHECK(st == EPERM, "prefetch of read-only: %s", strerror(st));
	madvise(buf, 4 * PAGE, MADV_DONTNEED);
	st = rdma_op(e, IBV_WR_RDMA_WRITE, src, ms->lkey, buf + 6 * PAGE,
		     mr->rkey, 100);
	CHECK(st == 0 && !memcmp(src, buf + 6 * PAGE, 100), "WRITE: %d", st);
	put("events/odp/enable", "0");

	n = read_events(ev);
	id = mirror_of(ev, n, (uintptr_t)buf);
	id_ro = mirror_of(ev, n, (uintptr_t)ro);
	CHECK(id && id_ro && id != id_ro, "mirror ids %u %u", id, id_ro);

	CHECK(count(ev, n, 'p', id, &v) == 1, "want 1 prefetch event");
	CHECK(v.len == 4 * PAGE && v.flags == 1 && v.faulted == 4 &&
	      v.snapshot == 0 && v.result == 0, "prefetch event fields");
	CHECK(count(ev, n, 'p', id_ro, &v) == 1 && v.result == -EPERM &&
	      v.faulted == 0, "read-only prefetch: want result %d", -EPERM);
	CHECK(count(ev, n, 'i', id, &v) == 1, "want 1 invalidate event");
	CHECK(v.first == (uintptr_t)buf &&
	      v.last == (uintptr_t)buf + 4 * PAGE - 1 && v.pages == 4,
	      "invalidate event fields");
	CHECK(count(ev, n, 'f', id, &v) == 1, "want 1 fault event");
	CHECK(v.iova >= (uintptr_t)buf + 6 * PAGE &&
	      v.iova < (uintptr_t)buf + 7 * PAGE && v.len >= 1 &&
	      v.len <= 100 && v.flags == 1 && v.faulted == 1 && v.result == 0,
	      "fault event fields");
	CHECK(count(ev, n, 'i', id_ro, &v) == 0 &&
	      count(ev, n, 'f', id_ro, &v) == 0, "stray events on ro mirror");
	ibv_dereg_mr(mr);
	ibv_dereg_mr(mro);
	ibv_dereg_mr(ms);
	free(ev);
}
