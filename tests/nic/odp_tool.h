/* SPDX-License-Identifier: GPL-2.0 */
/*
 * odp_tool.h - shared by odp_tool.c (verbs setup, helpers, main),
 * odp_tool_cases.c (one function per ODP case) and odp_tool_race.c.
 */
#ifndef ODP_TOOL_H
#define ODP_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#include "vtool.h"

#define PAGE		4096ul
#define HPAGE		(2ul << 20)
#define MTU_BYTES	1024

/*
 * A (requester) and B (responder, owner of the target MRs), each on its
 * own odph device in its own namespace, both opened by this one process:
 * device, PD, CQ and an RC QP connected to the other end.
 */
extern struct vt_end A, B;

/* "A" or "B", for messages */
const char *side_name(const struct vt_end *s);

/* Per-MR ODP counters, as `rdma resource show mr -dd` reports them. */
struct odp_cnt {
	long long faults, pages_faulted, pages_snapshot, invalidations,
		  pages_invalidated, prefetches, fault_retries, pages_dirtied,
		  fault_errors;
};

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void fill(void *p, size_t len, uint32_t seed);
/* -1 if [p, p + len) holds fill(seed), else the offset of a bad byte */
long check(const void *p, size_t len, uint32_t seed);
/* the same for bytes @off.. of fill(seed) */
long check_at(const void *p, size_t len, uint32_t seed, size_t off);
long check_byte(const void *p, size_t len, unsigned char c);

void *map_anon(size_t len, size_t align);
int memfd(const char *name, size_t len);
void *map_fd(int fd, size_t len, int prot, void *at);
double now(void);

struct ibv_mr *reg(struct vt_end *s, void *addr, size_t len, int access);
struct ibv_mr *reg_odp(struct vt_end *s, void *addr, size_t len);
int rc_connect(void);

int post_rdma(struct vt_end *s, enum ibv_wr_opcode op, void *laddr,
	      uint32_t lkey, uint32_t len, uint64_t raddr, uint32_t rkey,
	      uint64_t wr_id);
int post_recv(struct vt_end *s, void *addr, uint32_t lkey, uint32_t len,
	      uint64_t wr_id);
int wait_wc(struct vt_end *s, struct ibv_wc *wc, double timeout);
/* post one signalled RDMA op on A and wait for it: its status or -1 */
int rdma_op(enum ibv_wr_opcode op, void *laddr, uint32_t lkey, uint32_t len,
	    uint64_t raddr, uint32_t rkey);

int mr_counters(struct ibv_mr *mr, struct odp_cnt *c);
void print_counters(const char *what, const struct odp_cnt *c);
long long live_mirrors(void);

/* cases: return 0 when every check passed */
int case_faults(void);
int case_remap(void);
int case_fork(void);
int case_thp(void);
int case_hugetlb(void);
int case_rdonly(void);
int case_implicit(void);
int case_iova(void);
int case_hole(void);
int case_fatal(void);
int case_atomic_held(void);
int case_counters(void);
int case_race(void);
int case_stream(void);
int case_storm(void);
int case_warm_read(void);
int case_sizes(void);
int case_ud(void);

#endif
