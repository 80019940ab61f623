// SPDX-License-Identifier: GPL-2.0
/*
 * odp_tool race and stream cases: RDMA WRITEs streaming into B's ODP
 * memory while the owner replaces it (race), or while pages are dropped
 * until the process is killed from outside (stream).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "odp_tool.h"

#define RLEN		(64 * 1024)
#define SLOTS		8	/* source patterns, rotating */
#define DEPTH		4	/* WRITEs in flight */
#define LOOPS		20

struct stream {
	char *src;		/* SLOTS x RLEN, slot i holds fill(100 + i) */
	struct ibv_mr *msrc;
	uint64_t dst;
	uint32_t rkey;
	atomic_long done;	/* WRITEs completed */
	atomic_bool stop;
	int status;		/* first bad completion status, or 0 */
};

/* Keep DEPTH WRITEs in flight on A until told to stop or one fails. */
static void *streamer(void *arg)
{
	struct stream *s = arg;
	long posted = 0, done = 0;
	struct ibv_wc wc[DEPTH];
	int n, i;

	while (!atomic_load(&s->stop) || done < posted) {
		while (!atomic_load(&s->stop) && posted - done < DEPTH) {
			char *src = s->src + (posted % SLOTS) * RLEN;

			if (post_rdma(&A, IBV_WR_RDMA_WRITE, src, s->msrc->lkey,
				      RLEN, s->dst, s->rkey, posted)) {
				s->status = -2;
				atomic_store(&s->stop, true);
				break;
			}
			posted++;
		}
		n = ibv_poll_cq(A.cq, DEPTH, wc);
		for (i = 0; i < n; i++) {
			if (wc[i].status && !s->status) {
				s->status = wc[i].status;
				atomic_store(&s->stop, true);
			}
			done++;
		}
		atomic_store(&s->done, done);
		if (n < 0)
			break;
	}
	return NULL;
}

/* Wait until @more WRITEs completed after now, or the stream failed. */
static int wait_writes(struct stream *s, long more)
{
	long want = atomic_load(&s->done) + more;
	double end = now() + 60;

	while (atomic_load(&s->done) < want) {
		if (atomic_load(&s->stop) || now() > end)
			return -1;
		usleep(200);
	}
	return 0;
}

/*
 * 12: WRITEs stream into B's buffer (a shared memfd mapping) while B
 * replaces the mapping with a new memfd, LOOPS times (mmap MAP_FIXED
 * unmaps the old pages and maps the new ones in one step, so the stream
 * never meets a hole).  Once mmap has returned, no byte may land in the
 * old pages: a second mapping of the old memfd must keep its contents
 * while more WRITEs complete.  Afterwards every mirror is gone again.
 */
int case_race(void)
{
	struct stream s = { .status = 0 };
	long long live0 = live_mirrors();
	static char snap[RLEN];
	struct ibv_mr *mb;
	struct odp_cnt c;
	pthread_t t;
	char *b, *old;
	int i, fd, ofd, err = 0;
	long bad;

	s.src = map_anon(SLOTS * RLEN, PAGE);
	for (i = 0; i < SLOTS; i++)
		fill(s.src + i * RLEN, RLEN, 100 + i);
	s.msrc = reg_odp(&A, s.src, SLOTS * RLEN);
	fd = memfd("race0", RLEN);
	b = map_fd(fd, RLEN, PROT_READ | PROT_WRITE, NULL);
	mb = reg_odp(&B, b, RLEN);
	s.dst = (uintptr_t)b;
	s.rkey = mb->rkey;
	if (live0 >= 0 && live_mirrors() != live0 + 2)
		err |= fail("live mirrors %lld with our 2 MRs, %lld before",
			    live_mirrors(), live0);
	if (pthread_create(&t, NULL, streamer, &s))
		die("pthread_create");
	for (i = 0; i < LOOPS && !err; i++) {
		if (wait_writes(&s, 3)) {
			err |= fail("loop %d: stream stopped (status %d)", i,
				    s.status);
			break;
		}
		ofd = fd;
		old = map_fd(ofd, RLEN, PROT_READ, NULL);
		fd = memfd("raceN", RLEN);
		map_fd(fd, RLEN, PROT_READ | PROT_WRITE, b);	/* replace */
		memcpy(snap, old, RLEN);
		if (wait_writes(&s, 2 * DEPTH + 2))
			err |= fail("loop %d: stream stopped after the remap "
				    "(status %d)", i, s.status);
		for (bad = 0; bad < RLEN && old[bad] == snap[bad]; bad++)
			;
		if (bad < RLEN)
			err |= fail("loop %d: old page %ld byte %ld written "
				    "after munmap returned", i, bad / 4096,
				    bad % 4096);
		munmap(old, RLEN);
		close(ofd);
	}
	atomic_store(&s.stop, true);
	pthread_join(t, NULL);
	if (s.status)
		err |= fail("stream completion status %d (%s)", s.status,
			    s.status > 0 ? ibv_wc_status_str(s.status) : "post");
	note("%ld WRITEs, %d remaps", atomic_load(&s.done), i);
	/* the last mapping gets the data of one more, lone WRITE */
	err |= rdma_op(IBV_WR_RDMA_WRITE, s.src + 3 * RLEN, s.msrc->lkey,
		       RLEN, (uintptr_t)b, mb->rkey) ?
	       fail("final write") : 0;
	if (check(b, RLEN, 103) >= 0)
		err |= fail("final mapping lacks the last WRITE");
	if (mr_counters(mb, &c))
		return fail("no counters");
	print_counters("B", &c);
	if (c.invalidations < LOOPS || c.fault_errors)
		err |= fail("want >= %d invalidations and no fault errors",
			    LOOPS);
	ibv_dereg_mr(mb);
	ibv_dereg_mr(s.msrc);
	note("live mirrors: %lld before, %lld after", live0, live_mirrors());
	if (live0 < 0)
		err |= fail("no %s for the mirror count", "/dev/odph_test");
	else if (live_mirrors() != live0)
		err |= fail("mirrors leaked");
	return err;
}

/* Drop B's and A's pages every 20 ms. */
static void *dropper(void *arg)
{
	char **bufs = arg;

	for (;;) {
		madvise(bufs[0], 4 * RLEN, MADV_DONTNEED);
		madvise(bufs[1], 4 * RLEN, MADV_DONTNEED);
		usleep(20000);
	}
	return NULL;
}

/*
 * 10 (helper): WRITEs and READs of 64 KiB between ODP MRs whose pages
 * are dropped every 20 ms, forever; prints "streaming" once traffic
 * flows, fails only on an error completion.  The suite SIGKILLs it and
 * checks the teardown.  (A 64 KiB READ needs all its 16 pages mapped at
 * once; with drops every 5 ms a loaded TCG VM stalled it for over 60 s.)
 */
int case_stream(void)
{
	size_t len = 4 * RLEN;
	char *a = map_anon(len, PAGE), *b = map_anon(len, PAGE);
	struct ibv_mr *ma = reg_odp(&A, a, len), *mb = reg_odp(&B, b, len);
	char *bufs[2] = { a, b };
	struct ibv_wc wc;
	long posted = 0, done = 0;
	pthread_t t;
	int st;

	if (pthread_create(&t, NULL, dropper, bufs))
		die("pthread_create");
	for (;;) {
		while (posted - done < DEPTH) {
			size_t off = (posted % 4) * (len / 4);

			if (post_rdma(&A, posted & 1 ? IBV_WR_RDMA_READ :
				      IBV_WR_RDMA_WRITE, a + off, ma->lkey,
				      len / 4, (uintptr_t)b + off, mb->rkey,
				      posted))
				die("post: %s", strerror(errno));
			posted++;
		}
		st = wait_wc(&A, &wc, 60);
		if (st < 0) {
			/* stalled: still a QP to tear down under the kill */
			note("no completion for 60 s");
			continue;
		}
		if (st)
			return fail("stream: status %d (%s)", st,
				    ibv_wc_status_str(st));
		if (++done == 8)
			note("streaming");
	}
}

/*
 * fatal: hold A's device (an ODP and a pinned MR, a connected RC QP,
 * traffic done) until it is deleted under us.  The shell deletes odphA
 * once "holding" is printed; the delete must not wait for us.  We must
 * get IBV_EVENT_DEVICE_FATAL, and a later post must fail cleanly (the
 * doorbell's EIO) instead of hanging or crashing; then we free everything
 * and exit 0.
 */
int case_fatal(void)
{
	size_t len = 16 * PAGE;
	char *a = map_anon(len, PAGE), *b = map_anon(len, PAGE);
	struct ibv_mr *ma = reg_odp(&A, a, len), *mb = reg_odp(&B, b, len);
	struct ibv_mr *mp = reg(&A, a, len, IBV_ACCESS_LOCAL_WRITE);
	struct ibv_async_event ev;
	struct pollfd pfd = { .fd = A.ctx->async_fd, .events = POLLIN };
	int err;

	fill(a, len, 91);
	if (rdma_op(IBV_WR_RDMA_WRITE, a, ma->lkey, len, (uintptr_t)b,
		    mb->rkey))
		return fail("WRITE before the delete");
	if (check(b, len, 91) >= 0)
		return fail("WRITE before the delete: data");
	note("holding");
	if (poll(&pfd, 1, 90 * 1000) != 1)
		return fail("no async event within 90 s of holding");
	if (ibv_get_async_event(A.ctx, &ev))
		return fail("ibv_get_async_event: %s", strerror(errno));
	note("async event: %s", ibv_event_type_str(ev.event_type));
	ibv_ack_async_event(&ev);
	if (ev.event_type != IBV_EVENT_DEVICE_FATAL)
		return fail("want IBV_EVENT_DEVICE_FATAL");
	err = post_rdma(&A, IBV_WR_RDMA_WRITE, a, mp->lkey, 64, (uintptr_t)b,
			mb->rkey, 1);
	note("post after the delete: %s", err ? strerror(err) : "accepted");
	if (!err)
		return fail("post_send on a deleted device succeeded");
	/* everything can still be released, whatever each call answers */
	ibv_dereg_mr(mp);
	ibv_dereg_mr(ma);
	note("released");
	return 0;
}
