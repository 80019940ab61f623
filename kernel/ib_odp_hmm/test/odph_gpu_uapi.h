/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Private test uAPI of the odph_gpu module: a fake GPU whose "VRAM" is BAR2
 * of qemu's ivshmem-plain device.  Test-only; not a public ABI.
 *
 * Process memory migrated to VRAM becomes MEMORY_DEVICE_PRIVATE pages, one
 * per VRAM page; a CPU touch migrates it back.  Every operation is one ioctl
 * on /dev/odph_gpu and acts on the calling process's address space.
 */
#ifndef ODPH_GPU_UAPI_H
#define ODPH_GPU_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define ODPG_DEV_PATH "/dev/odph_gpu"

/*
 * MIGRATE_TO_VRAM / MIGRATE_TO_RAM of [va, va + length) (page aligned,
 * inside one VMA).  migrated: pages that moved (out).
 */
struct odpg_migrate {
	__u64 va;
	__u64 length;
	__u64 migrated;
};

/*
 * VRAM access without touching the process.  By offset: length bytes at
 * VRAM byte offset off.  By VA: the VRAM pages that hold [off, off + length)
 * of the calling process now; -ENOENT if one of them is not in VRAM.
 * addr: the user buffer.
 */
struct odpg_vram_rw {
	__u64 off;
	__u64 length;
	__u64 addr;
};

struct odpg_counters {
	__u64 pages_to_vram;	/* pages migrated RAM -> VRAM */
	__u64 pages_to_ram;	/* pages migrated VRAM -> RAM, any reason */
	__u64 cpu_faults;	/* migrate_to_ram calls (CPU touched VRAM) */
	__u64 vram_pages;	/* VRAM size in pages */
	__u64 vram_used;	/* VRAM pages holding process pages now */
	__u32 domain;		/* P2P owner domain (odph_test CREATE_OWNER) */
	__u32 p2p_distance_ok;	/* unused by the tests, 0 */
};

#define ODPG_IOC_MAGIC		'G'
#define ODPG_IOC_TO_VRAM	_IOWR(ODPG_IOC_MAGIC, 0x00, struct odpg_migrate)
#define ODPG_IOC_TO_RAM		_IOWR(ODPG_IOC_MAGIC, 0x01, struct odpg_migrate)
#define ODPG_IOC_READ_OFF	_IOW(ODPG_IOC_MAGIC, 0x02, struct odpg_vram_rw)
#define ODPG_IOC_WRITE_OFF	_IOW(ODPG_IOC_MAGIC, 0x03, struct odpg_vram_rw)
#define ODPG_IOC_READ_VA	_IOW(ODPG_IOC_MAGIC, 0x04, struct odpg_vram_rw)
#define ODPG_IOC_WRITE_VA	_IOW(ODPG_IOC_MAGIC, 0x05, struct odpg_vram_rw)
#define ODPG_IOC_EVICT		_IOR(ODPG_IOC_MAGIC, 0x06, struct odpg_migrate)
#define ODPG_IOC_COUNTERS	_IOR(ODPG_IOC_MAGIC, 0x07, struct odpg_counters)

#endif /* ODPH_GPU_UAPI_H */
