/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * libodpext: on-demand paging helpers for odph devices used through
 * Debian's stock libibverbs + librxe (see README.md).
 *
 * Functions returning a pointer return NULL and set errno on failure.
 * Functions returning int return 0 or a positive errno value (and also
 * set errno), like ibv_advise_mr().
 */
#ifndef ODP_EXT_H
#define ODP_EXT_H

#include <stddef.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * odp_ext_is_odph - 1 if @ctx is an odph device (it reports ODP and its
 * sysfs node_desc is "odph"), 0 if not.
 */
int odp_ext_is_odph(struct ibv_context *ctx);

/*
 * odp_ext_reg_implicit - an implicit ODP MR covering the whole address
 * space (iova == va).  IBV_ACCESS_ON_DEMAND is added to @access.
 * EOPNOTSUPP if the device does not report implicit ODP.
 */
struct ibv_mr *odp_ext_reg_implicit(struct ibv_pd *pd, int access);

/*
 * odp_ext_reg_window - an explicit ODP MR of [@addr, @addr + @len) whose
 * faults should map @window bytes (power of two >= 4096) around a miss.
 * odph has one fault window per module (the rdma_odph parameter
 * odp_window), not one per MR: @window 0 or equal to the module's window
 * registers the MR; any other power of two fails with ENOTSUP; anything
 * else with EINVAL.  EOPNOTSUPP if the device does not report ODP, or if
 * @window is not 0 and the device is not odph.
 */
struct ibv_mr *odp_ext_reg_window(struct ibv_pd *pd, void *addr, size_t len,
				  int access, size_t window);

/*
 * odp_ext_window - rdma_odph's fault window in bytes, or 0 and errno
 * (ENOENT: the module is not loaded).
 */
size_t odp_ext_window(void);

/*
 * odp_ext_advise - ibv_advise_mr() for odph: sends the kernel's
 * UVERBS_METHOD_ADVISE_MR ioctl on the context's command fd (librxe has
 * no advise_mr op).  @advice: IBV_ADVISE_MR_ADVICE_*; @flags:
 * IBV_ADVISE_MR_FLAG_FLUSH for a synchronous prefetch.  Devices other
 * than odph get ibv_advise_mr() itself.
 * Errors: EOPNOTSUPP unknown advice; EINVAL bad flags, bad lkey, zero
 * length, no SGE; EFAULT range outside its MR (and, with FLUSH, memory
 * not mapped); EACCES PREFETCH_WRITE on an MR without LOCAL_WRITE; EPERM
 * (with FLUSH) PREFETCH_WRITE on read-only memory.  Advice on a pinned
 * MR does nothing and succeeds.
 */
int odp_ext_advise(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
		   uint32_t flags, struct ibv_sge *sg_list, uint32_t num_sge);

/*
 * odp_ext_install - make ibv_advise_mr() itself work on @ctx: installs
 * odp_ext_advise()'s ioctl path as the context's advise_mr op, which
 * librxe leaves unset (struct verbs_context is public ABI).  0, or
 * ENODEV if @ctx is not an odph device, ENOTSUP if the context is too
 * old to have the op.
 */
int odp_ext_install(struct ibv_context *ctx);

/*
 * libodpext-preload.so (LD_PRELOAD) calls odp_ext_install() on every
 * context ibv_open_device() returns, for unmodified programs.
 */

/*
 * Per-MR ODP counters of the mirror core: odp_* in rdma statistic show mr,
 * drv_odp_* in rdma resource show mr -dd.
 */
struct odp_ext_stats {
	uint64_t faults;		/* fault calls */
	uint64_t pages_faulted;		/* demanded pages mapped */
	uint64_t pages_snapshot;	/* populated neighbours mapped */
	uint64_t invalidations;		/* notifier calls that zapped pages */
	uint64_t pages_invalidated;
	uint64_t prefetches;		/* prefetch calls */
	uint64_t fault_retries;
	uint64_t pages_dirtied;
	uint64_t fault_errors;
};

/*
 * odp_ext_mr_stats - read @mr's counters through RDMA netlink
 * (RDMA_NLDEV_CMD_RES_MR_GET).  Needs CAP_NET_ADMIN to see lkeys (EPERM
 * without).  ENOENT: no MR with this lkey, or a pinned MR (no counters).
 * EOPNOTSUPP: the device does not report ODP.
 */
int odp_ext_mr_stats(struct ibv_mr *mr, struct odp_ext_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* ODP_EXT_H */
