// SPDX-License-Identifier: GPL-2.0
/*
 * odp_tool cases: A (requester) WRITEs/READs/SENDs to ODP memory that B
 * owns, and the test checks B's memory directly.  See odp_tool.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "odp_tool.h"

#define LEN	(64 * 1024)

/* Fail unless [p, p + len) holds fill(seed). */
static int expect(const char *what, const void *p, size_t len, uint32_t seed)
{
	long bad = check(p, len, seed);

	if (bad < 0)
		return 0;
	return fail("%s: byte %ld is 0x%02x, not the pattern", what, bad,
		    ((const unsigned char *)p)[bad]);
}

static int status(const char *what, int st, int want)
{
	if (st == want)
		return 0;
	return fail("%s: completion status %d (%s), want %d", what, st,
		    vt_wc_str(st), want);
}

/* WRITE, READ and SEND, each into memory just dropped by MADV_DONTNEED. */
static int one_pass(char *a, struct ibv_mr *ma, char *b, struct ibv_mr *mb,
		    uint32_t seed)
{
	struct ibv_wc wc;
	int err = 0;

	fill(a, LEN, seed);
	madvise(b, LEN, MADV_DONTNEED);
	err |= status("write", rdma_op(IBV_WR_RDMA_WRITE, a, ma->lkey, LEN,
				       (uintptr_t)b, mb->rkey), 0);
	err |= expect("write", b, LEN, seed);

	fill(b, LEN, seed + 1);
	madvise(a, LEN, MADV_DONTNEED);
	err |= status("read", rdma_op(IBV_WR_RDMA_READ, a, ma->lkey, LEN,
				      (uintptr_t)b, mb->rkey), 0);
	err |= expect("read", a, LEN, seed + 1);

	fill(a, LEN, seed + 2);
	madvise(b, LEN, MADV_DONTNEED);
	if (post_recv(&B, b, mb->lkey, LEN, 7))
		return fail("post_recv");
	err |= status("send", rdma_op(IBV_WR_SEND, a, ma->lkey, LEN, 0, 0), 0);
	err |= status("recv", wait_wc(&B, &wc, 30), 0);
	if (!err && (wc.byte_len != LEN || wc.wr_id != 7))
		err |= fail("recv: byte_len %u wr_id %lu", wc.byte_len,
			    (unsigned long)wc.wr_id);
	err |= expect("send", b, LEN, seed + 2);
	/* both buffers again, so that the next pass starts cold */
	madvise(a, LEN, MADV_DONTNEED);
	madvise(b, LEN, MADV_DONTNEED);
	return err;
}

/* 2: forced faults before every transfer; the fault counters grow. */
int case_faults(void)
{
	char *a = map_anon(LEN, PAGE), *b = map_anon(LEN, PAGE);
	struct ibv_mr *ma = reg_odp(&A, a, LEN), *mb = reg_odp(&B, b, LEN);
	struct odp_cnt ca, cb;
	int i, err = 0;

	for (i = 0; i < 10 && !err; i++)
		err |= one_pass(a, ma, b, mb, i * 3);
	if (mr_counters(ma, &ca) || mr_counters(mb, &cb))
		return fail("no counters for the MRs");
	print_counters("A", &ca);
	print_counters("B", &cb);
	/* every pass made each side fault at least twice and invalidate */
	if (ca.faults < 20 || cb.faults < 20 || ca.invalidations < 10 ||
	    cb.invalidations < 10 || ca.fault_errors || cb.fault_errors)
		err |= fail("counters do not show the forced faults");
	return err;
}

/*
 * 3: replace B's target mapping between transfers.  The new mapping gets
 * the new data; the old pages (still visible through another mapping of
 * their memfd) keep what they had when they were unmapped.
 */
int case_remap(void)
{
	char *a = map_anon(LEN, PAGE), *b, *old_view = NULL;
	struct ibv_mr *ma = reg_odp(&A, a, LEN), *mb;
	int i, fd, old_fd = -1, err = 0;

	fd = memfd("remap0", LEN);
	b = map_fd(fd, LEN, PROT_READ | PROT_WRITE, NULL);
	mb = reg_odp(&B, b, LEN);
	for (i = 0; i < 8 && !err; i++) {
		fill(a, LEN, 40 + i);
		err |= status("write", rdma_op(IBV_WR_RDMA_WRITE, a, ma->lkey,
					       LEN, (uintptr_t)b, mb->rkey), 0);
		err |= expect("write into the new mapping", b, LEN, 40 + i);
		if (old_view)
			err |= expect("old pages after munmap", old_view, LEN,
				      40 + i - 1);
		fill(b, LEN, 60 + i);
		err |= status("read", rdma_op(IBV_WR_RDMA_READ, a, ma->lkey,
					      LEN, (uintptr_t)b, mb->rkey), 0);
		err |= expect("read from the new mapping", a, LEN, 60 + i);
		/* keep a view of this memfd, then replace b with a new one */
		if (old_view) {
			munmap(old_view, LEN);
			close(old_fd);
		}
		old_fd = fd;
		old_view = map_fd(fd, LEN, PROT_READ, NULL);
		fill(b, LEN, 40 + i);
		if (i & 1) {
			munmap(b, LEN);		/* a real hole for a moment */
			fd = memfd("remapN", LEN);
			if (map_fd(fd, LEN, PROT_READ | PROT_WRITE, b) != b)
				return fail("could not map at %p again", b);
		} else {
			fd = memfd("remapN", LEN);
			map_fd(fd, LEN, PROT_READ | PROT_WRITE, b);
		}
		if (check_byte(b, LEN, 0) >= 0)
			return fail("new memfd is not zero");
	}
	return err;
}

/*
 * 4: fork while WRITEs are in flight; the child shares B's buffers
 * copy-on-write (no MADV_DONTFORK).  The parent's MR must keep reaching
 * the parent's pages: the child's copy never sees the parent's later
 * WRITEs, and its own stores do not leak back.
 */
static int child_view(char *b, int rd, int wr, uint32_t seed)
{
	char c;

	if (check_at(b + PAGE, LEN - PAGE, seed, PAGE) >= 0)
		_exit(3);
	memset(b, 0xc5, PAGE);			/* COW break in the child */
	if (write(wr, "x", 1) != 1 || read(rd, &c, 1) != 1)
		_exit(4);
	/* the parent has WRITEn seed + 1 over all of it by now */
	if (check_byte(b, PAGE, 0xc5) >= 0)
		_exit(5);
	if (check_at(b + PAGE, LEN - PAGE, seed, PAGE) >= 0)
		_exit(6);
	_exit(0);
}

int case_fork(void)
{
	char *a = map_anon(2 * LEN, PAGE), *b = map_anon(2 * LEN, PAGE);
	struct ibv_mr *ma = reg_odp(&A, a, 2 * LEN), *mb = reg_odp(&B, b, 2 * LEN);
	int i, st, p2c[2], c2p[2], err = 0;
	struct ibv_wc wc;
	char c;
	pid_t pid;

	for (i = 0; i < 6 && !err; i++) {
		fill(a, LEN, 80 + i);
		err |= status("write", rdma_op(IBV_WR_RDMA_WRITE, a, ma->lkey,
					       LEN, (uintptr_t)b, mb->rkey), 0);
		/* traffic in flight: a stream into the second half */
		fill(a + LEN, LEN, 90 + i);
		if (post_rdma(&A, IBV_WR_RDMA_WRITE, a + LEN, ma->lkey, LEN,
			      (uintptr_t)b + LEN, mb->rkey, 2))
			return fail("post");
		if (pipe(p2c) || pipe(c2p))
			die("pipe");
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid) {
			close(p2c[1]);
			close(c2p[0]);
			child_view(b, p2c[0], c2p[1], 80 + i);
		}
		close(p2c[0]);
		close(c2p[1]);
		err |= status("write in flight at fork", wait_wc(&A, &wc, 30), 0);
		err |= expect("in-flight write", b + LEN, LEN, 90 + i);
		if (read(c2p[0], &c, 1) != 1)
			err |= fail("child died early");
		fill(a, LEN, 81 + i);
		err |= status("write after fork", rdma_op(IBV_WR_RDMA_WRITE, a,
				ma->lkey, LEN, (uintptr_t)b, mb->rkey), 0);
		err |= expect("parent sees its write", b, LEN, 81 + i);
		if (write(p2c[1], "x", 1) != 1)
			err |= fail("pipe to child");
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			err |= fail("child's view wrong (status 0x%x)", st);
		close(p2c[1]);
		close(c2p[0]);
	}
	return err;
}

/*
 * WRITE a -> b in 192 KiB WRs (crossing 4 KiB and, in the middle, 2 MiB
 * boundaries), READ back in 192 KiB WRs.  (Single WRs of 1 MiB and more
 * are slow on odph even between pinned MRs: see the suite's header.)
 */
static int big_xfer(char *a, struct ibv_mr *ma, char *b, struct ibv_mr *mb,
		    size_t len)
{
	size_t off, n, chunk = 192 * 1024;
	int err = 0, seed;

	for (seed = 5; seed < 7 && !err; seed++) {
		fill(a, len, seed);
		for (off = 0; off < len && !err; off += n) {
			n = len - off < chunk ? len - off : chunk;
			err |= status("write", rdma_op(IBV_WR_RDMA_WRITE,
					a + off, ma->lkey, n,
					(uintptr_t)b + off, mb->rkey), 0);
		}
		err |= expect("write", b, len, seed);
	}
	fill(b, len, 7);
	memset(a, 0, len);
	for (off = 0; off < len && !err; off += n) {
		n = len - off < chunk ? len - off : chunk;
		err |= status("read", rdma_op(IBV_WR_RDMA_READ, a + off,
				ma->lkey, n, (uintptr_t)b + off, mb->rkey), 0);
	}
	err |= expect("read", a, len, 7);
	return err;
}

/* AnonHugePages of the mapping that holds @p, in KiB (from smaps). */
static long anon_huge_kb(void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long lo, hi;
	char line[256];
	bool in = false;
	long kb = -1;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = lo <= (uintptr_t)p && (uintptr_t)p < hi;
		else if (in && sscanf(line, "AnonHugePages: %ld", &kb) == 1)
			break;
	}
	if (f)
		fclose(f);
	return kb;
}

/* 5a: THP on both sides, 2 MiB aligned; the WRs cross the THPs' edges. */
int case_thp(void)
{
	size_t len = 2 * HPAGE;
	char *a = map_anon(len, HPAGE), *b = map_anon(len, HPAGE);
	struct ibv_mr *ma, *mb;
	long kb;

	if (madvise(a, len, MADV_HUGEPAGE) || madvise(b, len, MADV_HUGEPAGE))
		return fail("MADV_HUGEPAGE: %s", strerror(errno));
	memset(a, 1, len);
	memset(b, 1, len);
	kb = anon_huge_kb(b);
	note("B buffer AnonHugePages %ld kB", kb);
	if (kb < (long)(len >> 10))
		return fail("B's buffer is not backed by THPs");
	ma = reg_odp(&A, a, len);
	mb = reg_odp(&B, b, len);
	return big_xfer(a, ma, b, mb, len);
}

/* 5b: hugetlb pages (the suite reserves them), IBV_ACCESS_HUGETLB. */
int case_hugetlb(void)
{
	size_t len = 2 * HPAGE;
	int acc = IBV_ACCESS_ON_DEMAND | IBV_ACCESS_HUGETLB |
		  IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		  IBV_ACCESS_REMOTE_READ;
	char *a = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	char *b = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	if (a == MAP_FAILED || b == MAP_FAILED)
		return fail("MAP_HUGETLB: %s", strerror(errno));
	return big_xfer(a, reg(&A, a, len, acc), b, reg(&B, b, len, acc), len);
}

/*
 * 6: a read-only shared mapping of a memfd, registered for remote READ
 * only.  READs work, fast, with one fault per window at most; a WRITE
 * to it is a remote access error.
 */
int case_rdonly(void)
{
	size_t len = 16 * PAGE;
	char *a = map_anon(len, PAGE), *w, *b;
	struct ibv_mr *ma = reg_odp(&A, a, len), *mb;
	int fd = memfd("rdonly", len), err = 0, i;
	struct odp_cnt c;
	double t0;

	w = map_fd(fd, len, PROT_READ | PROT_WRITE, NULL);
	fill(w, len, 11);
	munmap(w, len);
	b = map_fd(fd, len, PROT_READ, NULL);
	mb = reg(&B, b, len, IBV_ACCESS_ON_DEMAND | IBV_ACCESS_REMOTE_READ);
	t0 = now();
	for (i = 0; i < 5 && !err; i++) {
		memset(a, 0, len);
		err |= status("read", rdma_op(IBV_WR_RDMA_READ, a, ma->lkey,
					      len, (uintptr_t)b, mb->rkey), 0);
		err |= expect("read of read-only memory", a, len, 11);
	}
	note("5 READs of 64 KiB: %.2f s", now() - t0);
	if (now() - t0 > 20)
		err |= fail("READs of read-only memory took %.1f s", now() - t0);
	if (mr_counters(mb, &c))
		return fail("no counters");
	print_counters("B", &c);
	if (c.faults < 1 || c.faults > 16 || c.fault_errors ||
	    c.fault_retries > 16)
		err |= fail("fault counts unbounded or wrong");
	err |= status("write to a READ-only MR",
		      rdma_op(IBV_WR_RDMA_WRITE, a, ma->lkey, PAGE,
			      (uintptr_t)b, mb->rkey), IBV_WC_REM_ACCESS_ERR);
	err |= expect("read-only memory after the WRITE", b, len, 11);
	return err;
}

/* WRITE from A's @src to B's @dst through the implicit MRs. */
static int implicit_one(const char *what, char *src, char *dst, size_t len,
			struct ibv_mr *ia, struct ibv_mr *ib, uint32_t seed)
{
	int err;

	fill(src, len, seed);
	memset(dst, 0, len);
	err = status(what, rdma_op(IBV_WR_RDMA_WRITE, src, ia->lkey, len,
				   (uintptr_t)dst, ib->rkey), 0);
	return err | expect(what, dst, len, seed);
}

static int __attribute__((noinline)) implicit_stack(struct ibv_mr *ia,
						    struct ibv_mr *ib,
						    char *heap, char *mm)
{
	char sa[3000], sb[3000];
	int err = 0;

	err |= implicit_one("stack -> stack", sa, sb, sizeof(sb), ia, ib, 21);
	err |= implicit_one("heap -> stack", heap, sb, sizeof(sb), ia, ib, 22);
	err |= implicit_one("stack -> mmap", sa, mm + 5, sizeof(sa), ia, ib, 23);
	/* READ into the stack from B's heap */
	fill(heap, sizeof(sa), 24);
	memset(sa, 0, sizeof(sa));
	err |= status("read heap -> stack", rdma_op(IBV_WR_RDMA_READ, sa,
			ia->lkey, sizeof(sa), (uintptr_t)heap, ib->rkey), 0);
	err |= expect("read heap -> stack", sa, sizeof(sa), 24);
	return err;
}

/* 7: implicit MRs on both sides; SGEs and targets on heap, stack, mmap. */
int case_implicit(void)
{
	int acc = IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE |
		  IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
	struct ibv_mr *ia = reg(&A, NULL, SIZE_MAX, acc);
	struct ibv_mr *ib = reg(&B, NULL, SIZE_MAX, acc);
	size_t big = 3 * LEN + 123;
	char *h1 = malloc(big), *h2 = malloc(big);
	char *m1 = map_anon(big, PAGE), *m2 = map_anon(big, PAGE);
	int err = 0;

	if (!h1 || !h2)
		die("malloc");
	err |= implicit_one("heap -> heap", h1 + 1, h2 + 3, big - 3, ia, ib, 1);
	err |= implicit_one("mmap -> mmap", m1, m2, big, ia, ib, 2);
	err |= implicit_one("heap -> mmap", h1, m2 + 4000, LEN, ia, ib, 3);
	err |= implicit_one("mmap -> heap", m1 + 77, h2, LEN, ia, ib, 4);
	err |= implicit_stack(ia, ib, h2, m2);
	/* a fresh mapping after registration is covered too */
	munmap(m2, big);
	m2 = map_anon(big, PAGE);
	err |= implicit_one("mmap made after reg", h1, m2, big, ia, ib, 5);
	return err;
}

/* 8: an explicit MR with iova != va; WRITE and READ address the iova. */
int case_iova(void)
{
	size_t len = 8 * PAGE;
	char *a = map_anon(len, PAGE), *b = map_anon(len, PAGE);
	uint64_t iova = 0x7e5500000000ull;
	struct ibv_mr *ma = reg_odp(&A, a, len), *mb;
	int err = 0;

	mb = ibv_reg_mr_iova(B.pd, b, len, iova, IBV_ACCESS_ON_DEMAND |
			     IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			     IBV_ACCESS_REMOTE_READ);
	if (!mb)
		return fail("reg_mr_iova: %s", strerror(errno));
	fill(a, len - 300, 31);
	err |= status("write by iova", rdma_op(IBV_WR_RDMA_WRITE, a, ma->lkey,
				len - 300, iova + 300, mb->rkey), 0);
	err |= expect("write by iova", b + 300, len - 300, 31);
	if (check_byte(b, 300, 0) >= 0)
		err |= fail("bytes before the iova target written");
	fill(b + PAGE, 2 * PAGE, 32);
	err |= status("read by iova", rdma_op(IBV_WR_RDMA_READ, a, ma->lkey,
				2 * PAGE, iova + PAGE, mb->rkey), 0);
	err |= expect("read by iova", a, 2 * PAGE, 32);
	/* the va is not an address of this MR */
	err |= status("write to the va", rdma_op(IBV_WR_RDMA_WRITE, a,
				ma->lkey, 64, (uintptr_t)b, mb->rkey),
				IBV_WC_REM_ACCESS_ERR);
	return err;
}

/*
 * 9: a WRITE to a page of an ODP MR that was munmapped: remote access
 * error (not RNR NAKs forever), the neighbour pages keep their bytes.
 */
int case_hole(void)
{
	size_t len = 3 * PAGE;
	char *a = map_anon(len, PAGE), *b = map_anon(len, PAGE);
	struct ibv_mr *ma = reg_odp(&A, a, len), *mb = reg_odp(&B, b, len);
	double t0;
	int err = 0;

	memset(b, 0x3c, len);
	/* fault B's pages in through the MR first */
	fill(a, len, 41);
	err |= status("write before the hole", rdma_op(IBV_WR_RDMA_WRITE, a,
				ma->lkey, len, (uintptr_t)b, mb->rkey), 0);
	err |= expect("write before the hole", b, len, 41);
	if (munmap(b + PAGE, PAGE))
		return fail("munmap: %s", strerror(errno));
	fill(a, PAGE, 42);
	t0 = now();
	err |= status("write into the hole", rdma_op(IBV_WR_RDMA_WRITE, a,
				ma->lkey, PAGE, (uintptr_t)b + PAGE, mb->rkey),
				IBV_WC_REM_ACCESS_ERR);
	note("error after %.2f s", now() - t0);
	err |= expect("page before the hole", b, PAGE, 41);
	if (check_at(b + 2 * PAGE, PAGE, 41, 2 * PAGE) >= 0)
		err |= fail("page after the hole changed");
	return err;
}

/*
 * 11: exact fault counts.  With odp_window = 4096 (set by the suite) one
 * fault maps exactly the demanded pages.  B's 16-page buffer is never
 * touched by the CPU; WRITEs to pages 0, 2-3 (one 8 KiB WRITE) and 7, a
 * READ of page 9 and an atomic on page 12 must make 5 faults of 6 pages,
 * no snapshot pages, no errors.  MADV_DONTNEED of pages 0-3 then is one
 * invalidation of 3 pages.
 */
int case_counters(void)
{
	size_t len = 16 * PAGE;
	char *a = map_anon(len, PAGE), *b = map_anon(len, PAGE);
	struct ibv_mr *ma = reg(&A, a, len, IBV_ACCESS_LOCAL_WRITE);
	struct ibv_mr *mb = reg_odp(&B, b, len);
	struct ibv_send_wr wr = { .opcode = IBV_WR_ATOMIC_FETCH_AND_ADD,
				  .send_flags = IBV_SEND_SIGNALED,
				  .num_sge = 1 }, *bad;
	struct ibv_sge sge = { .addr = (uintptr_t)a, .length = 8,
			       .lkey = ma->lkey };
	struct odp_cnt c;
	struct ibv_wc wc;
	int err = 0;

	fill(a, len, 51);
	err |= status("write p0", rdma_op(IBV_WR_RDMA_WRITE, a, ma->lkey, PAGE,
				(uintptr_t)b, mb->rkey), 0);
	err |= status("write p2-3", rdma_op(IBV_WR_RDMA_WRITE, a + 2 * PAGE,
				ma->lkey, 2 * PAGE, (uintptr_t)b + 2 * PAGE,
				mb->rkey), 0);
	err |= status("write p7", rdma_op(IBV_WR_RDMA_WRITE, a + 7 * PAGE,
				ma->lkey, 100, (uintptr_t)b + 7 * PAGE + 8,
				mb->rkey), 0);
	err |= status("read p9", rdma_op(IBV_WR_RDMA_READ, a, ma->lkey, PAGE,
				(uintptr_t)b + 9 * PAGE, mb->rkey), 0);
	wr.sg_list = &sge;
	wr.wr.atomic.remote_addr = (uintptr_t)b + 12 * PAGE;
	wr.wr.atomic.rkey = mb->rkey;
	wr.wr.atomic.compare_add = 9;
	if (ibv_post_send(A.qp, &wr, &bad))
		return fail("post atomic");
	err |= status("fetch_add p12", wait_wc(&A, &wc, 30), 0);
	if (err)
		return err;
	if (mr_counters(mb, &c))
		return fail("no counters");
	print_counters("after the accesses", &c);
	if (c.faults != 5 || c.pages_faulted != 6 || c.pages_snapshot != 0 ||
	    c.fault_errors != 0 || c.invalidations != 0)
		err |= fail("want 5 faults, 6 pages, 0 snapshot, 0 errors, "
			    "0 invalidations");
	if (*(uint64_t *)(b + 12 * PAGE) != 9)
		err |= fail("atomic result %lu",
			    (unsigned long)*(uint64_t *)(b + 12 * PAGE));
	madvise(b, 4 * PAGE, MADV_DONTNEED);
	if (mr_counters(mb, &c))
		return fail("no counters");
	print_counters("after MADV_DONTNEED of pages 0-3", &c);
	if (c.invalidations != 1 || c.pages_invalidated != 3 || c.faults != 5)
		err |= fail("want 1 invalidation of 3 pages");
	return err;
}

/* One FETCH_ADD of 1 from A into B's @raddr: its completion status. */
static int fetch_add(void *laddr, uint32_t lkey, uint64_t raddr,
		     uint32_t rkey)
{
	struct vt_op o = { .opcode = IBV_WR_ATOMIC_FETCH_AND_ADD, .wr_id = 2,
			   .laddr = laddr, .len = 8, .lkey = lkey,
			   .raddr = raddr, .rkey = rkey, .compare_add = 1 };
	struct ibv_wc wc;
	int ret = vt_post(A.qp, &o);

	if (ret)
		return fail("post fetch_add: %s", strerror(-ret)), -1;
	return wait_wc(&A, &wc, 30);
}

/*
 * warm_read: a READ or atomic makes its local ODP buffer writable before
 * the request goes out.  Into a warm buffer that must cost no fault: 20
 * READs and 20 FETCH_ADDs after the first of each leave A's fault count
 * where it was, while the data still lands; after MADV_DONTNEED of the
 * buffer the next READ faults again.
 */
int case_warm_read(void)
{
	size_t len = 4 * PAGE;
	char *a = map_anon(len, PAGE), *b = map_anon(len, PAGE);
	struct ibv_mr *ma = reg_odp(&A, a, len);
	struct ibv_mr *mb = reg(&B, b, len, IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_REMOTE_READ |
				IBV_ACCESS_REMOTE_ATOMIC);
	struct odp_cnt c0, c1, c2;
	int i, err = 0;

	fill(b, len, 61);
	err |= status("cold read", rdma_op(IBV_WR_RDMA_READ, a, ma->lkey,
					   3 * PAGE, (uintptr_t)b, mb->rkey), 0);
	err |= status("cold fetch_add", fetch_add(a + 3 * PAGE,
				ma->lkey, (uintptr_t)b + 3 * PAGE, mb->rkey), 0);
	if (err || mr_counters(ma, &c0))
		return err | fail("no counters");
	print_counters("A after the cold READ and FETCH_ADD", &c0);
	for (i = 0; i < 20 && !err; i++) {
		memset(a, 0, 3 * PAGE);
		err |= status("warm read", rdma_op(IBV_WR_RDMA_READ, a,
				ma->lkey, 3 * PAGE, (uintptr_t)b, mb->rkey), 0);
		if (!err && check(a, 3 * PAGE, 61) >= 0)
			err |= fail("warm read %d: data wrong", i);
		err |= status("warm fetch_add", fetch_add(a + 3 * PAGE,
				ma->lkey, (uintptr_t)b + 3 * PAGE, mb->rkey), 0);
	}
	if (err || mr_counters(ma, &c1))
		return err | fail("no counters");
	print_counters("A after 20 warm READs and FETCH_ADDs", &c1);
	if (c0.faults < 1 || c1.faults != c0.faults)
		err |= fail("want >= 1 fault cold and none warm: %lld, then %lld",
			    c0.faults, c1.faults);
	madvise(a, len, MADV_DONTNEED);
	err |= status("read after MADV_DONTNEED", rdma_op(IBV_WR_RDMA_READ, a,
			ma->lkey, 3 * PAGE, (uintptr_t)b, mb->rkey), 0);
	if (err || mr_counters(ma, &c2))
		return err | fail("no counters");
	if (c2.faults <= c1.faults)
		err |= fail("no fault after MADV_DONTNEED (%lld)", c2.faults);
	if (check(a, 3 * PAGE, 61) >= 0)
		err |= fail("read after MADV_DONTNEED: data wrong");
	ibv_dereg_mr(mb);
	ibv_dereg_mr(ma);
	return err;
}

/* Not a suite case: time WRITEs and READs of growing size (diagnosis). */
int case_sizes(void)
{
	size_t len = 4 << 20, n;
	char *a = map_anon(len, PAGE), *b = map_anon(len, PAGE);
	struct ibv_mr *pa = reg(&A, a, len, IBV_ACCESS_LOCAL_WRITE);
	struct ibv_mr *pb = reg(&B, b, len, IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	struct ibv_mr *oa = reg_odp(&A, a, len), *ob = reg_odp(&B, b, len);
	double t;
	int st, k, r;

	for (k = 0; k < 2; k++) {
		struct ibv_mr *ma = k ? oa : pa, *mb = k ? ob : pb;

		for (n = 64 << 10; n <= len; n *= 2) {
			for (r = 0; r < 2; r++) {	/* WRITE, then READ */
				t = now();
				st = rdma_op(r ? IBV_WR_RDMA_READ :
					     IBV_WR_RDMA_WRITE, a, ma->lkey, n,
					     (uintptr_t)b, mb->rkey);
				note("%s %s %zu: status %d %.3f s",
				     k ? "odp" : "pinned", r ? "READ" : "WRITE",
				     n, st, now() - t);
				if (st)
					return 1;
			}
		}
	}
	return 0;
}

#define QKEY	0x11111111

static struct ibv_qp *ud_qp(struct vt_end *s)
{
	struct ibv_qp *qp = vt_qp_create(s, IBV_QPT_UD, 8, 8, 1);
	const char *step = qp ? vt_ud_up(qp, QKEY) : "INIT";

	if (step && !strcmp(step, "INIT"))
		die("UD QP on %s: %s", side_name(s), strerror(errno));
	if (step)
		die("UD %s: %s", step, strerror(errno));
	return qp;
}

/*
 * UD SEND into a receive buffer of an ODP MR whose pages were never
 * touched: a datagram that meets an unmapped page is dropped (UD is
 * unreliable) while the page is faulted, the receive WQE stays posted,
 * and a later datagram lands in it intact.  No error completion.
 */
int case_ud(void)
{
	size_t len = 1000;
	char *a = map_anon(PAGE, PAGE), *b = map_anon(2 * PAGE, PAGE);
	struct ibv_mr *ma = reg(&A, a, PAGE, IBV_ACCESS_LOCAL_WRITE);
	struct ibv_mr *mb = reg_odp(&B, b, 2 * PAGE);
	struct ibv_qp *qa = ud_qp(&A), *qb = ud_qp(&B);
	struct ibv_ah_attr aa = { .is_global = 1, .port_num = 1,
				  .grh = { .dgid = B.gid, .hop_limit = 64,
					   .sgid_index = A.gidx } };
	struct ibv_ah *ah = ibv_create_ah(A.pd, &aa);
	struct vt_op op = { .opcode = IBV_WR_SEND, .laddr = a, .len = len,
			    .lkey = ma->lkey, .ah = ah,
			    .remote_qpn = qb->qp_num, .remote_qkey = QKEY };
	struct ibv_wc wc;
	int tries, st = -1;

	if (!ah)
		return fail("create_ah: %s", strerror(errno));
	fill(a, len, 61);
	if (vt_post_recv(qb, 9, b + 100, 40 + len, mb->lkey))
		return fail("post_recv");
	for (tries = 1; tries <= 50; tries++) {
		if (vt_post(qa, &op))
			return fail("post_send: %s", strerror(errno));
		if (status("UD send", wait_wc(&A, &wc, 10), 0))
			return 1;
		st = wait_wc(&B, &wc, 0.2);
		if (st >= 0)
			break;
	}
	note("received after %d datagram(s)", tries);
	if (status("UD recv", st, 0))
		return 1;
	if (wc.byte_len != 40 + len || wc.wr_id != 9)
		return fail("UD recv: byte_len %u wr_id %lu", wc.byte_len,
			    (unsigned long)wc.wr_id);
	return expect("UD payload", b + 140, len, 61);
}

/*
 * atomic_held: a FETCH_ADD whose local result page is dropped while the
 * atomic is in flight.  B's word lives in a memfd page: MADV_DONTNEED
 * there drops B's mapping (its mirror is invalidated) but keeps the value,
 * so B answers RNR first and the atomic runs only after A's RNR wait
 * (0.64 ms) on a known value.  A's result page is dropped before the post
 * (so the post's prefault must fault it) and right after it, inside that
 * wait.  The ATOMIC_ACK then finds no page: the result must be held, the
 * page faulted back and the WQE completed with success and the old value,
 * and the atomic must have run exactly once (B's word == old + add).
 * Faults counted on A's result MR tell the two orders apart: the prefault
 * makes one; a second one is the held path, and then the drop came before
 * the result was written, which must be intact.  With one fault only, the
 * drop may have come after the write and discarded it (legitimately: the
 * result reads old or 0).  The held path must run at least once.
 */
int case_atomic_held(void)
{
	char *a = map_anon(PAGE, PAGE);
	char *b = map_fd(memfd("atomic_held", PAGE), PAGE,
			 PROT_READ | PROT_WRITE, NULL);
	struct ibv_mr *ma = reg_odp(&A, a, PAGE), *mb = reg_odp(&B, b, PAGE);
	struct ibv_sge sge = { .addr = (uintptr_t)a, .length = 8,
			       .lkey = ma->lkey };
	struct ibv_send_wr wr = { .opcode = IBV_WR_ATOMIC_FETCH_AND_ADD,
				  .send_flags = IBV_SEND_SIGNALED,
				  .sg_list = &sge, .num_sge = 1,
				  .wr.atomic = { .remote_addr = (uintptr_t)b,
						 .rkey = mb->rkey } }, *bad;
	volatile uint64_t *ra = (uint64_t *)a, *rb = (uint64_t *)b;
	struct odp_cnt c0, c1;
	struct ibv_wc wc;
	int i, held = 0, err = 0;
	uint64_t old;

	for (i = 1; i <= 50 && !err; i++) {
		old = 1000ull * i;
		*rb = old;
		madvise(b, PAGE, MADV_DONTNEED);	/* value kept */
		madvise(a, PAGE, MADV_DONTNEED);	/* prefault faults */
		if (mr_counters(ma, &c0))
			return fail("no counters");
		wr.wr_id = i;
		wr.wr.atomic.compare_add = i;
		if (ibv_post_send(A.qp, &wr, &bad))
			return fail("post atomic %d", i);
		madvise(a, PAGE, MADV_DONTNEED);	/* the result page */
		err |= status("fetch_add", wait_wc(&A, &wc, 30), 0);
		if (err || mr_counters(ma, &c1))
			return err | fail("no counters");
		if (c1.faults - c0.faults >= 2) {
			held++;
			if (*ra != old)
				err |= fail("atomic %d (held): result %llu, "
					    "want %llu", i,
					    (unsigned long long)*ra,
					    (unsigned long long)old);
		} else if (*ra != old && *ra != 0) {
			err |= fail("atomic %d: result %llu, want %llu or 0",
				    i, (unsigned long long)*ra,
				    (unsigned long long)old);
		}
		if (*rb != old + i)
			err |= fail("atomic %d: B's word %llu, want %llu", i,
				    (unsigned long long)*rb,
				    (unsigned long long)(old + i));
	}
	note("%d atomics, %d held (a fault after the prefault)", i - 1, held);
	if (!err && !held)
		err |= fail("the held path never ran");
	return err;
}
