// SPDX-License-Identifier: GPL-2.0
/*
 * Mirror core: peer-to-peer resolution of other devices' device-private
 * pages.
 *
 * The owner of device-private memory (a GPU driver) registers a provider:
 * its MEMORY_DEVICE_PRIVATE dev_pagemap and a resolve op.  A mirror whose
 * odp_mirror_attr.owner is that pagemap's owner (an owner domain) has
 * hmm_range_fault() report the pages instead of migrating them.  The fault
 * path (odp_fault.c) then asks the provider, for each such page and the
 * importing device (the mirror's dma_dev, NULL for a CPU-copy NIC), for a
 * typed peer address:
 *
 *	ODP_PEER_PAGE	a kernel-addressable page (P2PDMA) for a CPU copy
 *	ODP_PEER_BUS	a bus address for a DMA importer
 *
 * and installs a leaf of its own type (ODP_E_PEER) holding that address.
 * The device-private "pfn" never leaves the core.  A refusal (no P2P path)
 * makes the core fault the page back to RAM with hmm_range_fault(), the
 * fault flag and no owner, which runs the provider's migrate_to_ram; the
 * chunk is then retried and maps the RAM page.
 *
 * The registry is keyed by the page's dev_pagemap, never by pfn arithmetic.
 * It is an SRCU-protected list: resolvers may sleep (pci_p2pdma_distance()
 * allocates), and the notifier looks owners up without a sleeping lock.
 */
#include <linux/hmm.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/srcu.h>

#include "odp_internal.h"

DEFINE_STATIC_SRCU(odp_p2p_srcu);
static DEFINE_MUTEX(odp_p2p_mutex);	/* writers of odp_p2p_list */
static LIST_HEAD(odp_p2p_list);
static u32 odp_p2p_next_id;
static atomic64_t odp_p2p_global_cnt[ODP_P2P_CNT_MAX];

void odp_p2p_count(struct odp_mirror *m, enum odp_p2p_counter c, u64 n)
{
	if (!n)
		return;
	atomic64_add(n, &m->p2p_cnt[c]);
	atomic64_add(n, &odp_p2p_global_cnt[c]);
}

/**
 * odp_p2p_register - register the owner of a device-private pagemap
 * @prov: the provider, with @prov->pgmap (type MEMORY_DEVICE_PRIVATE, with an
 *	owner) and @prov->ops->resolve set.  Sets @prov->id.
 *
 * Mirrors created with odp_mirror_attr.owner == @prov->pgmap->owner resolve
 * the pagemap's pages through @prov from now on.
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for a bad @prov, -EEXIST if @prov->pgmap already has a
 * provider.
 */
int odp_p2p_register(struct odp_p2p_provider *prov)
{
	struct odp_p2p_provider *p;
	int ret = 0;

	if (!prov->pgmap || !prov->pgmap->owner || !prov->ops ||
	    !prov->ops->resolve ||
	    prov->pgmap->type != MEMORY_DEVICE_PRIVATE)
		return -EINVAL;
	mutex_lock(&odp_p2p_mutex);
	list_for_each_entry(p, &odp_p2p_list, node) {
		if (p->pgmap == prov->pgmap) {
			ret = -EEXIST;
			goto out;
		}
	}
	prov->id = ++odp_p2p_next_id;
	list_add_tail_rcu(&prov->node, &odp_p2p_list);
out:
	mutex_unlock(&odp_p2p_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(odp_p2p_register);

/**
 * odp_p2p_unregister - remove a provider
 * @prov: a provider registered with odp_p2p_register()
 *
 * Waits until no resolve call of @prov runs any more.  The caller must
 * have migrated every page of its pagemap back to RAM first (e.g. with
 * migrate_device_range()): that migration invalidates every mirror that
 * holds a peer leaf of the provider.
 *
 * Context: process context, may sleep.
 */
void odp_p2p_unregister(struct odp_p2p_provider *prov)
{
	mutex_lock(&odp_p2p_mutex);
	list_del_rcu(&prov->node);
	mutex_unlock(&odp_p2p_mutex);
	synchronize_srcu(&odp_p2p_srcu);
}
EXPORT_SYMBOL_GPL(odp_p2p_unregister);

/**
 * odp_p2p_domain_owner - the owner cookie of a registered provider
 * @id: odp_p2p_provider.id
 *
 * For a NIC (or test device) told by configuration which owner domain to
 * join: pass the result as odp_mirror_attr.owner.  The cookie is only
 * compared, never dereferenced, so it may outlive the provider.
 *
 * Context: any context that may sleep.
 * Return: the pgmap owner, or NULL when no provider has @id.
 */
void *odp_p2p_domain_owner(u32 id)
{
	struct odp_p2p_provider *p;
	void *owner = NULL;
	int idx;

	idx = srcu_read_lock(&odp_p2p_srcu);
	list_for_each_entry_srcu(p, &odp_p2p_list, node,
				 srcu_read_lock_held(&odp_p2p_srcu)) {
		if (p->id == id) {
			owner = p->pgmap->owner;
			break;
		}
	}
	srcu_read_unlock(&odp_p2p_srcu, idx);
	return owner;
}
EXPORT_SYMBOL_GPL(odp_p2p_domain_owner);

/*
 * odp_p2p_owner_is_peer - does a provider own pages of @owner?  Used by the
 * notifier: a migration by a provider's owner must zap the mirror's peer
 * leaves, unlike a migration of the NIC's own device-private pages.
 */
bool odp_p2p_owner_is_peer(void *owner)
{
	struct odp_p2p_provider *p;
	bool found = false;
	int idx;

	idx = srcu_read_lock(&odp_p2p_srcu);
	list_for_each_entry_srcu(p, &odp_p2p_list, node,
				 srcu_read_lock_held(&odp_p2p_srcu)) {
		if (p->pgmap->owner == owner) {
			found = true;
			break;
		}
	}
	srcu_read_unlock(&odp_p2p_srcu, idx);
	return found;
}

/*
 * odp_p2p_resolve - resolve the device-private @page for mirror @m
 * @writable: hmm reported the page writable
 *
 * Returns 0 and fills @out with the peer leaf; -ENOENT when no provider owns
 * the page's pagemap (the NIC's own device-private page: a DEVPRIV leaf as
 * before); another negative errno when the provider refused (counted).
 * Process context, no core lock held; may sleep.
 */
int odp_p2p_resolve(struct odp_mirror *m, struct page *page, bool writable,
		    struct odp_peer_leaf *out)
{
	struct device *importer = m->attr.dma_dev;
	struct dev_pagemap *pgmap = page->pgmap;
	struct odp_p2p_provider *p, *prov = NULL;
	struct odp_peer peer = {};
	int idx, ret;

	idx = srcu_read_lock(&odp_p2p_srcu);
	list_for_each_entry_srcu(p, &odp_p2p_list, node,
				 srcu_read_lock_held(&odp_p2p_srcu)) {
		if (p->pgmap == pgmap) {
			prov = p;
			break;
		}
	}
	if (!prov) {
		srcu_read_unlock(&odp_p2p_srcu, idx);
		return -ENOENT;
	}
	ret = prov->ops->resolve(prov, page, importer, &peer);
	srcu_read_unlock(&odp_p2p_srcu, idx);

	/* The answer must fit the importer: a page to copy, or an address. */
	if (!ret && !importer && (peer.kind != ODP_PEER_PAGE || !peer.page))
		ret = -EPROTO;
	if (!ret && importer && (peer.kind != ODP_PEER_BUS || !peer.addr))
		ret = -EPROTO;
	if (ret) {
		odp_p2p_count(m, ODP_P2P_PAGES_REFUSED, 1);
		return ret == -ENOENT ? -EREMOTEIO : ret;
	}

	out->entry = ODP_E_VALID | ODP_E_PEER | (writable ? ODP_E_WRITE : 0);
	if (peer.page)
		out->entry |= (u64)page_to_pfn(peer.page) << ODP_E_PFN_SHIFT;
	out->dma = peer.kind == ODP_PEER_BUS ? peer.addr : 0;
	return 0;
}

/*
 * odp_p2p_fault_back - migrate the page at @iova back to RAM: a
 * hmm_range_fault() of that page with the fault flag and no
 * dev_private_owner, so the provider's migrate_to_ram runs.  The migration
 * invalidates the mirror, so the caller's chunk sequence is stale anyway and
 * it retries.  Returns 0 (also when the walk only saw the invalidation) or
 * the fault's error.
 */
int odp_p2p_fault_back(struct odp_mirror *m, u64 iova, bool write)
{
	unsigned long pfn;
	struct hmm_range range = {
		.notifier = &m->notifier,
		.start = odp_iova_to_va(m, iova),
		.end = odp_iova_to_va(m, iova) + PAGE_SIZE,
		.hmm_pfns = &pfn,
		.default_flags = HMM_PFN_REQ_FAULT |
				 (write ? HMM_PFN_REQ_WRITE : 0),
		.dev_private_owner = NULL,
	};
	int ret;

	range.notifier_seq = mmu_interval_read_begin(&m->notifier);
	mmap_read_lock(m->mm);
	ret = hmm_range_fault(&range);
	mmap_read_unlock(m->mm);
	if (ret == -EBUSY)
		ret = 0;
	if (!ret)
		odp_p2p_count(m, ODP_P2P_PAGES_MIGRATED_BACK, 1);
	return ret;
}

/**
 * odp_mirror_p2p_counters - the P2P counters of one mirror
 * @mirror: the mirror
 * @out: filled with ODP_P2P_* counts since the mirror was created
 *
 * Context: any.
 */
void odp_mirror_p2p_counters(struct odp_mirror *mirror,
			     struct odp_p2p_counters *out)
{
	int i;

	for (i = 0; i < ODP_P2P_CNT_MAX; i++)
		out->c[i] = atomic64_read(&mirror->p2p_cnt[i]);
}
EXPORT_SYMBOL_GPL(odp_mirror_p2p_counters);

/**
 * odp_global_p2p_counters - the P2P counters summed over every mirror ever
 * @out: filled with ODP_P2P_* counts since the core was loaded
 *
 * Context: any.
 */
void odp_global_p2p_counters(struct odp_p2p_counters *out)
{
	int i;

	for (i = 0; i < ODP_P2P_CNT_MAX; i++)
		out->c[i] = atomic64_read(&odp_p2p_global_cnt[i]);
}
EXPORT_SYMBOL_GPL(odp_global_p2p_counters);
