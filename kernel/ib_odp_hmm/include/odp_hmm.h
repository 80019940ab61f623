/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ib_odp_hmm mirror core: the API a NIC driver uses.
 *
 * A mirror reflects a range of a process address space into a device page
 * table indexed by device iova, where iova = va + offset.  Pages are mapped
 * on demand (odp_mirror_fault(), odp_mirror_prefetch()) with hmm_range_fault
 * and zapped by an mmu_interval_notifier before the CPU page table changes.
 *
 * The NIC translates with odp_mirror_lookup() inside an access section
 * (odp_mirror_access_begin() / odp_mirror_access_end()).  An invalidation
 * returns only after every access section that could have seen a zapped
 * entry has ended, so after munmap() returns no NIC copy can touch the old
 * page.  Access sections must be short and must not sleep.
 *
 * The core knows no NIC: everything device specific comes in through
 * struct odp_mirror_attr and struct odp_mirror_ops.
 */
#ifndef ODP_HMM_H
#define ODP_HMM_H

#include <linux/dma-mapping.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/types.h>

struct odp_mirror;

/**
 * struct odp_mirror_ops - optional NIC callbacks
 * @invalidate: called during an invalidation after the entries of
 *	[@iova, @iova + @length) are zapped in the device page table and before
 *	their device addresses are unmapped.  A NIC with its own translation
 *	cache (a PCI NIC's MTT/TLB) flushes it here.  May be called from a
 *	non-blockable notifier (e.g. the OOM reaper) when @blockable is false:
 *	it must not sleep then.
 */
struct odp_mirror_ops {
	void (*invalidate)(struct odp_mirror *mirror, u64 iova, u64 length,
			   bool blockable);
};

/* odp_mirror_attr.flags */
#define ODP_MIRROR_IMPLICIT	BIT(0)	/* whole address space, iova == va */

/**
 * struct odp_mirror_attr - what to mirror and for which device
 * @va: first mirrored user address (page aligned; 0 for implicit)
 * @length: bytes mirrored (page aligned; 0 for implicit)
 * @iova: device address of @va (page aligned; 0 for implicit)
 * @flags: ODP_MIRROR_*
 * @dma_dev: device for dma_map_page(), or NULL for a virtual-DMA NIC that
 *	reaches pages through the CPU (a software NIC)
 * @owner: dev_pagemap owner of the NIC's device-private pages; such pages
 *	are reported by lookups, never migrated back by a fault
 * @ops: optional callbacks, may be NULL
 * @priv: NIC private pointer, see odp_mirror_priv()
 */
struct odp_mirror_attr {
	u64 va;
	u64 length;
	u64 iova;
	unsigned int flags;
	struct device *dma_dev;
	void *owner;
	const struct odp_mirror_ops *ops;
	void *priv;
};

/* Access flags for faults and lookups. */
#define ODP_ACCESS_WRITE	BIT(0)

/* Prefetch flags. */
#define ODP_PREFETCH_WRITE	BIT(0)	/* fault writable */
#define ODP_PREFETCH_NO_FAULT	BIT(1)	/* only map what is populated */

/* odp_xlate.flags */
#define ODP_XLATE_WRITE		BIT(0)	/* device may write the page */
#define ODP_XLATE_HUGE		BIT(1)	/* page belongs to a PMD-sized leaf */
#define ODP_XLATE_DEVPRIV	BIT(2)	/* device-private page of @owner */
#define ODP_XLATE_DIRTY		BIT(3)	/* written through the device */
#define ODP_XLATE_PEER		BIT(4)	/* peer page of another device's memory */

/**
 * struct odp_xlate - result of a lookup
 * @page: the 4 KiB page holding the iova.  With ODP_XLATE_PEER it is the
 *	kernel-addressable peer page a P2P provider resolved (a P2PDMA page of
 *	the provider's BAR), never the device-private page; NULL for a peer
 *	that only has a bus address
 * @dma: its DMA address (mirrors with a @dma_dev), else 0; with
 *	ODP_XLATE_PEER the bus address the provider gave the importer
 * @offset: byte offset of the iova inside @page
 * @len: bytes from the iova to the end of @page
 * @flags: ODP_XLATE_*
 */
struct odp_xlate {
	struct page *page;
	dma_addr_t dma;
	unsigned int offset;
	unsigned int len;
	unsigned int flags;
};

/**
 * enum odp_counter - event counters, per mirror and summed over all mirrors
 * @ODP_CNT_FAULTS: odp_mirror_fault() calls that passed the argument checks
 * @ODP_CNT_PAGES_FAULTED: demanded pages installed by faults and prefetches
 *	(a page installed again counts again)
 * @ODP_CNT_PAGES_SNAPSHOT: already populated pages installed without being
 *	demanded: the fault window, %ODP_PREFETCH_NO_FAULT
 * @ODP_CNT_INVALIDATIONS: notifier invalidations that zapped pages
 * @ODP_CNT_PAGES_INVALIDATED: PAGE_SIZE pages zapped, by invalidations and
 *	by odp_mirror_destroy()
 * @ODP_CNT_PREFETCHES: odp_mirror_prefetch() calls that passed the argument
 *	checks
 * @ODP_CNT_FAULT_RETRIES: chunk attempts of faults and prefetches restarted
 *	because an invalidation raced (hmm_range_fault() -EBUSY,
 *	mmu_interval_read_retry(), or a demanded page gone by the walk of
 *	its window)
 * @ODP_CNT_PAGES_DIRTIED: pages written through the device, dirtied when
 *	zapped
 * @ODP_CNT_FAULT_ERRORS: odp_mirror_fault() calls that failed after the
 *	argument checks, injected failures included
 * @ODP_CNT_MAX: number of counters, not a counter
 *
 * See odp_mirror_counters() and odp_global_counters().
 */
enum odp_counter {
	ODP_CNT_FAULTS,
	ODP_CNT_PAGES_FAULTED,
	ODP_CNT_PAGES_SNAPSHOT,
	ODP_CNT_INVALIDATIONS,
	ODP_CNT_PAGES_INVALIDATED,
	ODP_CNT_PREFETCHES,
	ODP_CNT_FAULT_RETRIES,
	ODP_CNT_PAGES_DIRTIED,
	ODP_CNT_FAULT_ERRORS,
	ODP_CNT_MAX
};

/**
 * struct odp_counters - a snapshot of the counters
 * @c: one value per counter, indexed by &enum odp_counter
 */
struct odp_counters {
	u64 c[ODP_CNT_MAX];
};

struct odp_mirror *odp_mirror_create(struct mm_struct *mm,
				     const struct odp_mirror_attr *attr);
void odp_mirror_destroy(struct odp_mirror *mirror);
void *odp_mirror_priv(struct odp_mirror *mirror);
u32 odp_mirror_id(struct odp_mirror *mirror);
bool odp_mirror_contains(struct odp_mirror *mirror, u64 iova, u64 length);

int odp_mirror_fault(struct odp_mirror *mirror, u64 iova, u64 length,
		     unsigned int access, u64 window);
int odp_mirror_prefetch(struct odp_mirror *mirror, u64 iova, u64 length,
			unsigned int flags);
void odp_mirror_inject_faults(struct odp_mirror *mirror, unsigned int count,
			      int error);

void odp_mirror_access_begin(struct odp_mirror *mirror) __acquires(mirror);
void odp_mirror_access_end(struct odp_mirror *mirror) __releases(mirror);
int odp_mirror_lookup(struct odp_mirror *mirror, u64 iova,
		      unsigned int access, struct odp_xlate *x);

void odp_mirror_counters(struct odp_mirror *mirror, struct odp_counters *out);
void odp_global_counters(struct odp_counters *out);
u64 odp_mirror_mapped_pages(struct odp_mirror *mirror);
u64 odp_mirror_table_bytes(struct odp_mirror *mirror);
u64 odp_live_mirrors(void);

/* ---- peer-to-peer into other devices' device-private memory ---- */

struct dev_pagemap;
struct odp_p2p_provider;

/**
 * enum odp_peer_kind - what kind of address a P2P provider returned
 * @ODP_PEER_PAGE: @page is a kernel-addressable page holding the data (a
 *	P2PDMA page in the direct map); for a CPU-copy importer
 * @ODP_PEER_BUS: @addr is the address the importing device puts on the bus
 *	to reach the data (a PCI bus address); for a DMA importer.  It needs no
 *	unmapping: providers return it only for direct (switch) paths
 */
enum odp_peer_kind {
	ODP_PEER_NONE,
	ODP_PEER_PAGE,
	ODP_PEER_BUS,
};

/**
 * struct odp_peer - a typed peer address for one device-private page
 * @kind: ODP_PEER_PAGE or ODP_PEER_BUS
 * @page: the peer page (ODP_PEER_PAGE; optional for ODP_PEER_BUS)
 * @addr: the bus address (ODP_PEER_BUS)
 */
struct odp_peer {
	enum odp_peer_kind kind;
	struct page *page;
	dma_addr_t addr;
};

/**
 * struct odp_p2p_ops - what the owner of device-private memory provides
 * @resolve: give the address through which @importer reaches the data of
 *	the device-private @page (one of the provider's pagemap), or refuse.
 *	@importer is the mirror's dma_dev, NULL for a CPU-copy NIC, which
 *	wants ODP_PEER_PAGE; a DMA importer wants ODP_PEER_BUS.  Return 0 and
 *	fill @peer, or a negative errno (-EREMOTEIO: no P2P path, e.g.
 *	pci_p2pdma_distance() < 0), and the core migrates the page back to
 *	RAM instead.  Called from the mirror's fault path, in process context,
 *	with no core lock and no mmap lock held; may sleep.  @page may be
 *	freed or migrated concurrently: the core throws the answer away when
 *	the interval notifier saw a change, so the answer only needs to be
 *	right for the page as it was.
 */
struct odp_p2p_ops {
	int (*resolve)(struct odp_p2p_provider *prov, struct page *page,
		       struct device *importer, struct odp_peer *peer);
};

/**
 * struct odp_p2p_provider - a registered owner of device-private memory
 * @pgmap: the provider's MEMORY_DEVICE_PRIVATE pagemap: the registry key.
 *	Mirrors whose odp_mirror_attr.owner is @pgmap->owner get these pages
 *	reported by hmm_range_fault() and resolved through @ops
 * @ops: the resolver
 * @node: private to the core
 * @id: set by odp_p2p_register(), a small number naming the provider's
 *	owner domain (see odp_p2p_domain_owner())
 */
struct odp_p2p_provider {
	struct dev_pagemap *pgmap;
	const struct odp_p2p_ops *ops;
	struct list_head node;
	u32 id;
};

/* Per-mirror and global P2P counters (see odp_mirror_p2p_counters()). */
enum odp_p2p_counter {
	ODP_P2P_PAGES_RESOLVED,		/* peer leaves installed */
	ODP_P2P_PAGES_REFUSED,		/* resolver refusals */
	ODP_P2P_PAGES_MIGRATED_BACK,	/* refused pages faulted back to RAM */
	ODP_P2P_CNT_MAX
};

struct odp_p2p_counters {
	u64 c[ODP_P2P_CNT_MAX];
};

int odp_p2p_register(struct odp_p2p_provider *prov);
void odp_p2p_unregister(struct odp_p2p_provider *prov);
void *odp_p2p_domain_owner(u32 id);
void odp_mirror_p2p_counters(struct odp_mirror *mirror,
			     struct odp_p2p_counters *out);
void odp_global_p2p_counters(struct odp_p2p_counters *out);

#endif /* ODP_HMM_H */
