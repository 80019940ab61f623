/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Private test uAPI of the odph_test module: a dmirror-like device that
 * drives the ib_odp_hmm mirror core the way a NIC would.  Test-only; this is
 * not a public ABI and may change with the tests that use it.
 *
 * One open file of /dev/odph_test is one device context owning at most one
 * mirror.  Every operation is one ioctl on that file.
 */
#ifndef ODPH_TEST_UAPI_H
#define ODPH_TEST_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define ODPT_DEV_PATH "/dev/odph_test"

/* odpt_create.flags */
#define ODPT_CREATE_IMPLICIT	(1u << 0)	/* whole address space, iova == va */
#define ODPT_CREATE_DMA		(1u << 1)	/* device addresses from dma_map_page */
#define ODPT_CREATE_FLAGS	(ODPT_CREATE_IMPLICIT | ODPT_CREATE_DMA)

/*
 * Explicit mirror: va and length page aligned, iova page aligned; the device
 * sees va + (iova - va) at iova.  Implicit mirror: va, length and iova 0.
 */
struct odpt_create {
	__u64 va;
	__u64 length;
	__u64 iova;
	__u32 flags;
	__u32 reserved;		/* must be 0 */
};

/*
 * Device READ / WRITE of length bytes at iova through the device page table,
 * copying to / from the user buffer at addr.  A miss faults through the core
 * with the given window (bytes, power of two, 0 = the module default); the
 * faulted range is the demanded pages, the window only snapshot-maps.
 */
/*
 * odpt_rw.flags: ODPT_RW_SLOW holds each page's access section for about
 * 1 ms between the lookup and the copy, so a zap that failed to wait for
 * in-flight device accesses lets the copy land after munmap() returned.
 */
#define ODPT_RW_SLOW		(1u << 0)
#define ODPT_RW_FLAGS		ODPT_RW_SLOW

struct odpt_rw {
	__u64 iova;
	__u64 length;
	__u64 addr;
	__u64 window;
	__u32 flags;		/* ODPT_RW_* */
	__u32 reserved;		/* must be 0 */
};

/* Snapshot: one byte per page of [iova, iova + length) into addr. */
#define ODPT_SNAP_ABSENT	0x00
#define ODPT_SNAP_READ		0x01
#define ODPT_SNAP_WRITE		0x02	/* readable and writable */
#define ODPT_SNAP_HUGE		0x04	/* part of one PMD-sized leaf */
#define ODPT_SNAP_DEVPRIV	0x08	/* device-private page of our pagemap */
#define ODPT_SNAP_DIRTY		0x10	/* written through the device */
#define ODPT_SNAP_PEER		0x20	/* P2P peer page of a provider's memory */

struct odpt_snapshot {
	__u64 iova;
	__u64 length;
	__u64 addr;
};

/* odpt_prefetch.flags */
#define ODPT_PREFETCH_WRITE	(1u << 0)	/* fault for write */
#define ODPT_PREFETCH_NO_FAULT	(1u << 1)	/* only map what is populated */
#define ODPT_PREFETCH_FLAGS	(ODPT_PREFETCH_WRITE | ODPT_PREFETCH_NO_FAULT)

struct odpt_prefetch {
	__u64 iova;
	__u64 length;
	__u32 flags;
	__u32 reserved;		/* must be 0 */
};

/* Counters; per mirror (of this file) and global (all mirrors, ever). */
struct odpt_counters {
	__u64 faults;			/* fault calls, injected failures too */
	__u64 pages_faulted;		/* demanded pages mapped by faults */
	__u64 pages_snapshot;		/* populated window pages mapped, not faulted */
	__u64 invalidations;		/* notifier callbacks that hit mapped pages */
	__u64 pages_invalidated;	/* 4 KiB pages zapped */
	__u64 prefetches;		/* prefetch calls */
	__u64 fault_retries;		/* -EBUSY / read_retry restarts */
	__u64 pages_dirtied;		/* pages marked dirty at invalidation */
	__u64 fault_errors;		/* faults that returned an error */
};

struct odpt_stats {
	struct odpt_counters mirror;
	struct odpt_counters global;
	__u64 mapped_pages;		/* 4 KiB pages now mapped in this mirror */
	__u64 table_bytes;		/* bytes of device page table of this mirror */
	__u64 live_mirrors;		/* mirrors alive in the core, all users */
};

/* Make the next count faults of this mirror fail with -error. */
struct odpt_inject {
	__u32 count;
	__s32 error;		/* positive errno, 1..4095 */
};

/*
 * CREATE_OWNER: CREATE, but the mirror joins the owner domain of the P2P
 * provider numbered domain (odph_gpu reports its number): that provider's
 * device-private pages are resolved peer to peer instead of migrated.
 * domain 0 is CREATE's default owner.
 */
struct odpt_create_owner {
	__u64 va;
	__u64 length;
	__u64 iova;
	__u32 flags;		/* ODPT_CREATE_* */
	__u32 domain;
};

/* P2P counters; per mirror (of this file) and global. */
struct odpt_p2p_counters {
	__u64 pages_resolved;		/* peer leaves installed */
	__u64 pages_refused;		/* provider refusals */
	__u64 pages_migrated_back;	/* refused pages faulted back to RAM */
};

struct odpt_p2p_stats {
	struct odpt_p2p_counters mirror;
	struct odpt_p2p_counters global;
};

#define ODPT_IOC_MAGIC		'O'
#define ODPT_IOC_CREATE		_IOW(ODPT_IOC_MAGIC, 0x00, struct odpt_create)
#define ODPT_IOC_DESTROY	_IO(ODPT_IOC_MAGIC, 0x01)
#define ODPT_IOC_READ		_IOW(ODPT_IOC_MAGIC, 0x02, struct odpt_rw)
#define ODPT_IOC_WRITE		_IOW(ODPT_IOC_MAGIC, 0x03, struct odpt_rw)
#define ODPT_IOC_SNAPSHOT	_IOW(ODPT_IOC_MAGIC, 0x04, struct odpt_snapshot)
#define ODPT_IOC_PREFETCH	_IOW(ODPT_IOC_MAGIC, 0x05, struct odpt_prefetch)
#define ODPT_IOC_STATS		_IOR(ODPT_IOC_MAGIC, 0x06, struct odpt_stats)
#define ODPT_IOC_INJECT		_IOW(ODPT_IOC_MAGIC, 0x07, struct odpt_inject)
#define ODPT_IOC_CREATE_OWNER	_IOW(ODPT_IOC_MAGIC, 0x08, struct odpt_create_owner)
#define ODPT_IOC_P2P_STATS	_IOR(ODPT_IOC_MAGIC, 0x09, struct odpt_p2p_stats)

#endif /* ODPH_TEST_UAPI_H */
