/* SPDX-License-Identifier: GPL-2.0 */
/* ext_test: shared by ext_test.c (the cases) and ext_test_verbs.c. */
#ifndef EXT_TEST_H
#define EXT_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#include "odp_ext.h"
#include "vtool.h"

#define PAGE		4096UL

/*
 * One device, one PD, one CQ, and two RC QPs connected to each other
 * through the device (loopback): v.qp posts, b's side is the responder.
 */
struct env {
	struct vt_end v;
	struct ibv_qp *b;
};

/* @gidx < 0: no QPs (device, PD and CQ only). */
void env_open(struct env *e, const char *dev, int gidx);
void env_close(struct env *e);

/* RDMA WRITE or READ of @len bytes from v.qp; 0 or the wc status. */
int rdma_op(struct env *e, enum ibv_wr_opcode op, void *laddr, uint32_t lkey,
	    void *raddr, uint32_t rkey, uint32_t len);

/* An anonymous mapping of @len bytes aligned to @align, THP off. */
void *map_aligned(size_t len, size_t align, int prot);
void fill(void *p, size_t len, uint32_t seed);

/* Print "FAIL: ..." and count a failure (the case exits 1 at the end). */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
extern int failures;

#define CHECK(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)

/* The counters of @mr, dying if they cannot be read. */
#define RW	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
		 IBV_ACCESS_REMOTE_READ)

/* An explicit ODP MR, or die. */
struct ibv_mr *reg_odp(struct env *e, void *p, size_t len, int access);
struct odp_ext_stats stats_of(struct ibv_mr *mr);
void print_stats(const char *what, const struct odp_ext_stats *s);

#endif /* EXT_TEST_H */
