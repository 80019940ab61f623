// SPDX-License-Identifier: GPL-2.0
/*
 * odp_tool storm case: does every work request complete while the target
 * of an ODP stream is torn up hundreds of times a second?
 *
 * A keeps DEPTH RDMA WRITEs, READs and FETCH_ADDs in flight into B's
 * buffer, through an explicit and an implicit ODP MR of B (A's own
 * buffers are ODP too).  A thread of B's owner (this process) mutates one
 * page of the buffer per step for STORM_SECS seconds: an anonymous or
 * memfd mapping MAP_FIXED over it, mremap away and back, MADV_DONTNEED,
 * mprotect read-only or PROT_NONE and back, munmap + mmap, fork.
 *
 * The oracle is liveness: every posted WR completes, successfully or with
 * an error status, within WR_DEADLINE seconds, during the storm and after
 * it.  An error moves the QPs to ERR; the stream then drains (the rest
 * flush) and reconnects with fresh QPs.  Once the storm is over, a
 * WRITE + READ of every page through each MR must be exact.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "odp_tool.h"

#define NPG		16		/* pages of B's buffer */
#define DEPTH		16		/* WRs in flight */
#define WR_DEADLINE	60.0		/* s a WR may stay outstanding (TCG) */
#define STORM_SECS	10

enum storm_op {
	STORM_ANON, STORM_MEMFD, STORM_MREMAP, STORM_DONTNEED,
	STORM_RDONLY, STORM_NONE, STORM_UNMAP, STORM_FORK, STORM_NR
};

static const char *const storm_name[STORM_NR] = {
	[STORM_ANON] = "anon", [STORM_MEMFD] = "memfd",
	[STORM_MREMAP] = "mremap", [STORM_DONTNEED] = "dontneed",
	[STORM_RDONLY] = "rdonly", [STORM_NONE] = "prot_none",
	[STORM_UNMAP] = "munmap", [STORM_FORK] = "fork",
};

struct storm {
	char *b;		/* B's buffer, NPG pages */
	char *scratch;		/* an address mremap moves a page to */
	int fd;			/* a one-page memfd */
	atomic_bool stop;
	long done[STORM_NR];
};

/* One mutation of page @p of B's buffer; it is read-write again after. */
static void storm_step(struct storm *st, enum storm_op op, unsigned int p)
{
	char *pg = st->b + p * PAGE;
	const int rw = PROT_READ | PROT_WRITE;
	const int anon = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
	pid_t pid;

	switch (op) {
	case STORM_ANON:
		if (mmap(pg, PAGE, rw, anon, -1, 0) == MAP_FAILED)
			die("storm mmap: %s", strerror(errno));
		break;
	case STORM_MEMFD:
		map_fd(st->fd, PAGE, rw, pg);
		break;
	case STORM_MREMAP:
		if (mremap(pg, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
			   st->scratch) == MAP_FAILED ||
		    mremap(st->scratch, PAGE, PAGE,
			   MREMAP_MAYMOVE | MREMAP_FIXED, pg) == MAP_FAILED)
			die("storm mremap: %s", strerror(errno));
		break;
	case STORM_DONTNEED:
		madvise(pg, PAGE, MADV_DONTNEED);
		break;
	case STORM_RDONLY:
	case STORM_NONE:
		if (mprotect(pg, PAGE, op == STORM_RDONLY ? PROT_READ :
							  PROT_NONE) ||
		    mprotect(pg, PAGE, rw))
			die("storm mprotect: %s", strerror(errno));
		break;
	case STORM_UNMAP:
		munmap(pg, PAGE);
		if (mmap(pg, PAGE, rw, anon, -1, 0) == MAP_FAILED)
			die("storm mmap after munmap: %s", strerror(errno));
		break;
	case STORM_FORK:
		pid = fork();
		if (pid < 0)
			die("storm fork: %s", strerror(errno));
		if (!pid)
			_exit(0);
		waitpid(pid, NULL, 0);
		break;
	default:
		break;
	}
	st->done[op]++;
}

/*
 * A mutation of a random page every 2.5 ms (400 a second; about 125 under
 * TCG, where each step's system calls are slow), until told to stop.
 */
static void *storm_thread(void *arg)
{
	struct storm *st = arg;
	unsigned int seed = 1;

	while (!atomic_load(&st->stop)) {
		unsigned int r = rand_r(&seed);

		storm_step(st, r % STORM_NR, (r / STORM_NR) % NPG);
		usleep(2500);
	}
	return NULL;
}

struct flight {
	double posted_at[DEPTH * 4];
	enum ibv_wr_opcode op[DEPTH * 4];
	uint64_t posted, done;
	long errors, reconnects;
};

#define SLOT(id)	((id) % (DEPTH * 4))

/* Post the WR numbered f->posted: a WRITE, READ or FETCH_ADD. */
static int storm_post(struct flight *f, char *a, struct ibv_mr *ma,
		      struct storm *st, struct ibv_mr *mb, struct ibv_mr *mi)
{
	static const enum ibv_wr_opcode ops[] = {
		IBV_WR_RDMA_WRITE, IBV_WR_RDMA_READ, IBV_WR_ATOMIC_FETCH_AND_ADD,
	};
	uint64_t n = f->posted;
	unsigned int p = (n * 7) % NPG;
	enum ibv_wr_opcode op = ops[n % 3];
	uint32_t rkey = (n / 3) & 1 ? mi->rkey : mb->rkey;
	uint64_t raddr = (uintptr_t)st->b + p * PAGE;
	char *local = a + p * PAGE;
	uint32_t len = PAGE;
	struct vt_op o;
	int ret;

	if (op == IBV_WR_ATOMIC_FETCH_AND_ADD) {
		raddr += 8 * (n % 64);
		local = a + NPG * PAGE + 8 * (n % 64);
		len = 8;
	}
	o = (struct vt_op){ .opcode = op, .wr_id = n, .laddr = local,
			    .len = len, .lkey = ma->lkey, .raddr = raddr,
			    .rkey = rkey, .compare_add = 1 };
	ret = vt_post(A.qp, &o);
	if (ret)
		return fail("post WR %llu: %s", (unsigned long long)n,
			    strerror(-ret));
	f->posted_at[SLOT(n)] = now();
	f->op[SLOT(n)] = op;
	f->posted++;
	return 0;
}

/*
 * Reap what completed; 0, or a failure when the oldest WR has been
 * outstanding for WR_DEADLINE.  An error status sets *@broken.
 */
static int storm_reap(struct flight *f, bool *broken)
{
	struct ibv_wc wc[DEPTH];
	int n, i;

	n = ibv_poll_cq(A.cq, DEPTH, wc);
	if (n < 0)
		return fail("poll_cq: %d", n);
	for (i = 0; i < n; i++) {
		if (wc[i].wr_id != f->done)
			return fail("completion of WR %llu, expected %llu",
				    (unsigned long long)wc[i].wr_id,
				    (unsigned long long)f->done);
		if (wc[i].status != IBV_WC_SUCCESS) {
			if (wc[i].status != IBV_WC_WR_FLUSH_ERR)
				f->errors++;
			*broken = true;
		}
		f->done++;
	}
	if (f->done < f->posted &&
	    now() - f->posted_at[SLOT(f->done)] > WR_DEADLINE)
		return fail("WR %llu (opcode %d) outstanding for %.0f s, %llu "
			    "behind it", (unsigned long long)f->done,
			    f->op[SLOT(f->done)], WR_DEADLINE,
			    (unsigned long long)(f->posted - f->done - 1));
	if (!n)
		usleep(100);
	return 0;
}

/* Keep DEPTH WRs in flight until @until (0: just drain); 0 or a failure. */
static int storm_run(struct flight *f, double until, char *a,
		     struct ibv_mr *ma, struct storm *st, struct ibv_mr *mb,
		     struct ibv_mr *mi)
{
	bool broken = false;

	for (;;) {
		bool more = until && now() < until;

		while (more && !broken && f->posted - f->done < DEPTH)
			if (storm_post(f, a, ma, st, mb, mi))
				return 1;
		if (storm_reap(f, &broken))
			return 1;
		if (broken && f->done == f->posted) {
			rc_connect();	/* fresh QPs, then on */
			f->reconnects++;
			broken = false;
		}
		if (!more && f->done == f->posted)
			return 0;
	}
}

/* After the storm: WRITE then READ back every page through @mr, exact. */
static int storm_quiet_check(char *a, struct ibv_mr *ma, struct storm *st,
			     struct ibv_mr *mr, uint32_t seed)
{
	char *back = a + (NPG + 1) * PAGE;
	uint64_t raddr;
	unsigned int p;
	int err = 0;

	for (p = 0; p < NPG && !err; p++) {
		raddr = (uintptr_t)st->b + p * PAGE;
		fill(a, PAGE, seed + p);
		memset(back, 0, PAGE);
		if (rdma_op(IBV_WR_RDMA_WRITE, a, ma->lkey, PAGE, raddr,
			    mr->rkey) ||
		    rdma_op(IBV_WR_RDMA_READ, back, ma->lkey, PAGE, raddr,
			    mr->rkey))
			err |= fail("page %u: quiescent WRITE/READ failed", p);
		else if (check(back, PAGE, seed + p) >= 0 ||
			 check(st->b + p * PAGE, PAGE, seed + p) >= 0)
			err |= fail("page %u: quiescent data wrong", p);
	}
	return err;
}

int case_storm(void)
{
	const char *env = getenv("ODP_STORM_SECS");
	int secs = env ? atoi(env) : STORM_SECS;
	struct storm st = { .stop = false };
	struct flight f = { .posted = 0 };
	struct ibv_mr *ma, *mb, *mi;
	pthread_t t;
	long total = 0;
	char *a;
	int i, err;

	st.b = map_anon(NPG * PAGE, PAGE);
	st.scratch = map_anon(PAGE, PAGE);
	st.fd = memfd("storm", PAGE);
	a = map_anon((NPG + 2) * PAGE, PAGE);
	ma = reg_odp(&A, a, (NPG + 2) * PAGE);
	mb = reg_odp(&B, st.b, NPG * PAGE);
	mi = reg(&B, NULL, SIZE_MAX, IBV_ACCESS_ON_DEMAND |
		 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		 IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC);
	if (pthread_create(&t, NULL, storm_thread, &st))
		die("pthread_create");
	err = storm_run(&f, now() + secs, a, ma, &st, mb, mi);
	atomic_store(&st.stop, true);
	pthread_join(t, NULL);
	if (!err)
		err = storm_run(&f, 0, a, ma, &st, mb, mi);
	for (i = 0; i < STORM_NR; i++) {
		note("%s: %ld", storm_name[i], st.done[i]);
		total += st.done[i];
	}
	note("%d s: %ld mutations, %llu WRs completed, %ld errors, %ld "
	     "reconnects", secs, total, (unsigned long long)f.done, f.errors,
	     f.reconnects);
	if (!err && total < 10 * secs)
		err = fail("only %ld mutations in %d s", total, secs);
	if (!err && f.done < 100)
		err = fail("only %llu WRs in %d s",
			   (unsigned long long)f.done, secs);
	if (!err) {
		if (f.reconnects)
			rc_connect();
		err = storm_quiet_check(a, ma, &st, mb, 10) |
		      storm_quiet_check(a, ma, &st, mi, 50);
	}
	ibv_dereg_mr(mi);
	ibv_dereg_mr(mb);
	ibv_dereg_mr(ma);
	return err;
}
