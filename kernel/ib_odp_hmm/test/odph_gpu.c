// SPDX-License-Identifier: GPL-2.0
/*
 * odph_gpu: a test-only fake GPU for the mirror core's P2P path.
 *
 * It binds qemu's ivshmem-plain PCI device and treats BAR2 as VRAM:
 *
 *   - BAR2 is registered with pci_p2pdma_add_resource() and allocated whole
 *     with pci_alloc_p2pmem(), so every VRAM page is a P2PDMA page in the
 *     kernel's direct map (uncached) with a bus address;
 *   - a MEMORY_DEVICE_PRIVATE dev_pagemap on a free physical range
 *     (request_free_mem_region()) gives one device-private page per VRAM
 *     page: device-private page i holds its data in VRAM page i.
 *
 * Process memory moves to VRAM and back with migrate_vma_*(), copying
 * through the P2PDMA pages' kernel mapping.  A CPU touch of a migrated page
 * runs migrate_to_ram, as a real GPU driver does.  The driver registers a
 * P2P provider with the mirror core (odp_p2p_register()): a CPU-copy
 * importer gets VRAM page i itself, a DMA importer its bus address when
 * pci_p2pdma_distance() finds a path, anything else is refused.
 *
 * The private uAPI is odph_gpu_uapi.h: one ioctl per operation on
 * /dev/odph_gpu.  One device is supported (the first ivshmem-plain).
 */
#include <linux/highmem.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "odp_hmm.h"
#include "odph_gpu_uapi.h"

#define ODPG_VRAM_BAR		2
#define ODPG_BATCH		64	/* pages per migrate_vma_setup() */
#define ODPG_EVICT_TRIES	16

struct odpg {
	struct pci_dev *pdev;
	void *vram;			/* BAR2 through its P2PDMA pages */
	size_t vram_size;
	unsigned long npages;

	struct dev_pagemap pgmap;	/* device-private, 1:1 with VRAM */
	struct resource *res;
	unsigned long base_pfn;		/* first device-private pfn */

	spinlock_t lock;		/* used, rec_mm, rec_va */
	unsigned long *used;		/* VRAM pages in use */
	struct mm_struct **rec_mm;	/* who each VRAM page belongs to, */
	unsigned long *rec_va;		/* ... and where (compared only) */

	atomic64_t to_vram, to_ram, cpu_faults;
	struct odp_p2p_provider prov;
	struct miscdevice misc;
};

static struct odpg *odpg_dev;		/* the one device */
static DEFINE_MUTEX(odpg_dev_lock);

/* ---- VRAM pages ---- */

/* The provider's own index of one of its device-private pages. */
static unsigned long odpg_index(struct odpg *g, struct page *page)
{
	return page_to_pfn(page) - g->base_pfn;
}

static void *odpg_vram(struct odpg *g, unsigned long idx)
{
	return g->vram + idx * PAGE_SIZE;
}

static struct page *odpg_alloc(struct odpg *g, struct mm_struct *mm,
			       unsigned long va)
{
	unsigned long idx;
	struct page *dpage;

	spin_lock(&g->lock);
	idx = find_first_zero_bit(g->used, g->npages);
	if (idx >= g->npages) {
		spin_unlock(&g->lock);
		return NULL;
	}
	__set_bit(idx, g->used);
	g->rec_mm[idx] = mm;
	g->rec_va[idx] = va;
	spin_unlock(&g->lock);

	dpage = pfn_to_page(g->base_pfn + idx);
	zone_device_page_init(dpage);	/* refcount 1, locked */
	return dpage;
}

static void odpg_page_free(struct page *page)
{
	struct odpg *g = container_of(page->pgmap, struct odpg, pgmap);
	unsigned long idx = odpg_index(g, page);

	spin_lock(&g->lock);
	__clear_bit(idx, g->used);
	g->rec_mm[idx] = NULL;
	g->rec_va[idx] = 0;
	spin_unlock(&g->lock);
}

/* Copy a device-private page's VRAM into a new RAM page for @dst. */
static unsigned long odpg_copy_to_ram(struct odpg *g, struct page *spage,
				      unsigned long src,
				      struct vm_area_struct *vma,
				      unsigned long addr)
{
	struct page *dpage;
	void *d;

	if (vma)
		dpage = alloc_page_vma(GFP_HIGHUSER_MOVABLE, vma, addr);
	else
		dpage = alloc_page(GFP_HIGHUSER_MOVABLE);
	if (!dpage)
		return 0;
	lock_page(dpage);
	d = kmap_local_page(dpage);
	memcpy(d, odpg_vram(g, odpg_index(g, spage)), PAGE_SIZE);
	kunmap_local(d);
	return migrate_pfn(page_to_pfn(dpage)) |
	       (src & MIGRATE_PFN_WRITE ? MIGRATE_PFN_WRITE : 0);
}

/* Count the pages migrate_vma_pages() really moved. */
static unsigned long odpg_moved(const unsigned long *src,
				const unsigned long *dst, unsigned long n)
{
	unsigned long i, moved = 0;

	for (i = 0; i < n; i++)
		if ((src[i] & MIGRATE_PFN_MIGRATE) && dst[i])
			moved++;
	return moved;
}

/* ---- migration of a process range ---- */

static void odpg_alloc_and_copy_to_vram(struct odpg *g, struct migrate_vma *a)
{
	unsigned long i, addr;

	for (i = 0, addr = a->start; addr < a->end; i++, addr += PAGE_SIZE) {
		struct page *spage = migrate_pfn_to_page(a->src[i]);
		struct page *dpage;
		void *s, *d;

		a->dst[i] = 0;
		if (!(a->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		if (spage && is_zone_device_page(spage))
			continue;
		dpage = odpg_alloc(g, a->vma->vm_mm, addr);
		if (!dpage)
			continue;
		d = odpg_vram(g, odpg_index(g, dpage));
		if (spage) {
			s = kmap_local_page(spage);
			memcpy(d, s, PAGE_SIZE);
			kunmap_local(s);
		} else {
			memset(d, 0, PAGE_SIZE);
		}
		a->dst[i] = migrate_pfn(page_to_pfn(dpage));
		if ((a->src[i] & MIGRATE_PFN_WRITE) ||
		    (!spage && (a->vma->vm_flags & VM_WRITE)))
			a->dst[i] |= MIGRATE_PFN_WRITE;
	}
}

static void odpg_alloc_and_copy_to_ram(struct odpg *g, struct migrate_vma *a)
{
	unsigned long i, addr;

	for (i = 0, addr = a->start; addr < a->end; i++, addr += PAGE_SIZE) {
		struct page *spage = migrate_pfn_to_page(a->src[i]);

		a->dst[i] = 0;
		if (!spage || !(a->src[i] & MIGRATE_PFN_MIGRATE) ||
		    spage->pgmap != &g->pgmap)
			continue;
		a->dst[i] = odpg_copy_to_ram(g, spage, a->src[i], a->vma,
					     addr);
	}
}

/* Migrate [start, end) of current->mm; returns pages moved or -errno. */
static long odpg_migrate(struct odpg *g, u64 start, u64 length, bool to_vram)
{
	unsigned long src[ODPG_BATCH], dst[ODPG_BATCH];
	struct mm_struct *mm = current->mm;
	u64 end, addr, next;
	long moved = 0;
	int ret = 0;

	if (!length || !PAGE_ALIGNED(start) || !PAGE_ALIGNED(length) ||
	    check_add_overflow(start, length, &end))
		return -EINVAL;
	if (!mm || !mmget_not_zero(mm))
		return -EINVAL;
	mmap_read_lock(mm);
	for (addr = start; addr < end; addr = next) {
		struct vm_area_struct *vma = vma_lookup(mm, addr);
		struct migrate_vma a = {
			.src = src, .dst = dst, .pgmap_owner = g,
		};
		unsigned long n;

		if (!vma) {
			ret = -EFAULT;
			break;
		}
		next = min3(end, (u64)vma->vm_end,
			    addr + ODPG_BATCH * PAGE_SIZE);
		a.vma = vma;
		a.start = addr;
		a.end = next;
		a.flags = to_vram ? MIGRATE_VMA_SELECT_SYSTEM :
				    MIGRATE_VMA_SELECT_DEVICE_PRIVATE;
		ret = migrate_vma_setup(&a);
		if (ret)
			break;
		n = (next - addr) >> PAGE_SHIFT;
		if (to_vram)
			odpg_alloc_and_copy_to_vram(g, &a);
		else
			odpg_alloc_and_copy_to_ram(g, &a);
		migrate_vma_pages(&a);
		moved += odpg_moved(src, dst, n);
		migrate_vma_finalize(&a);
	}
	mmap_read_unlock(mm);
	mmput(mm);
	if (to_vram)
		atomic64_add(moved, &g->to_vram);
	else
		atomic64_add(moved, &g->to_ram);
	return ret ? ret : moved;
}

/* A CPU touched a page in VRAM: bring it back. */
static vm_fault_t odpg_migrate_to_ram(struct vm_fault *vmf)
{
	struct odpg *g = container_of(vmf->page->pgmap, struct odpg, pgmap);
	unsigned long src = 0, dst = 0;
	struct migrate_vma a = {
		.vma = vmf->vma,
		.start = vmf->address,
		.end = vmf->address + PAGE_SIZE,
		.src = &src,
		.dst = &dst,
		.pgmap_owner = g,
		.flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		.fault_page = vmf->page,
	};

	atomic64_inc(&g->cpu_faults);
	if (migrate_vma_setup(&a))
		return VM_FAULT_SIGBUS;
	if (a.cpages) {
		odpg_alloc_and_copy_to_ram(g, &a);
		if ((src & MIGRATE_PFN_MIGRATE) && !dst) {
			migrate_vma_finalize(&a);
			return VM_FAULT_OOM;
		}
		migrate_vma_pages(&a);
		atomic64_add(odpg_moved(&src, &dst, 1), &g->to_ram);
		migrate_vma_finalize(&a);
	}
	return 0;
}

static const struct dev_pagemap_ops odpg_pgmap_ops = {
	.page_free = odpg_page_free,
	.migrate_to_ram = odpg_migrate_to_ram,
};

/*
 * Evict: migrate every VRAM page back, whoever owns it.  Pages locked by a
 * concurrent migration are skipped by migrate_device_range(); retry a few
 * times.  Returns pages moved.
 */
static long odpg_evict(struct odpg *g)
{
	unsigned long *src, *dst, i;
	long moved = 0;
	int tries;

	src = kvcalloc(g->npages, sizeof(*src), GFP_KERNEL);
	dst = kvcalloc(g->npages, sizeof(*dst), GFP_KERNEL);
	if (!src || !dst) {
		kvfree(src);
		kvfree(dst);
		return -ENOMEM;
	}
	for (tries = 0; tries < ODPG_EVICT_TRIES; tries++) {
		spin_lock(&g->lock);
		i = find_first_bit(g->used, g->npages);
		spin_unlock(&g->lock);
		if (i >= g->npages)
			break;
		migrate_device_range(src, g->base_pfn, g->npages);
		for (i = 0; i < g->npages; i++) {
			struct page *spage = migrate_pfn_to_page(src[i]);

			dst[i] = 0;
			if (spage && (src[i] & MIGRATE_PFN_MIGRATE))
				dst[i] = odpg_copy_to_ram(g, spage, src[i],
							  NULL, 0);
		}
		migrate_device_pages(src, dst, g->npages);
		moved += odpg_moved(src, dst, g->npages);
		migrate_device_finalize(src, dst, g->npages);
		cond_resched();
	}
	kvfree(src);
	kvfree(dst);
	atomic64_add(moved, &g->to_ram);
	return moved;
}

/* ---- direct VRAM access ---- */

/* VRAM index holding @va of @mm now, or -1. Caller holds g->lock. */
static long odpg_find(struct odpg *g, struct mm_struct *mm, unsigned long va)
{
	unsigned long i;

	lockdep_assert_held(&g->lock);
	for_each_set_bit(i, g->used, g->npages)
		if (g->rec_mm[i] == mm && g->rec_va[i] == va)
			return i;
	return -1;
}

/*
 * One page's part of a VRAM access into/out of @bounce.  By VA, the copy
 * runs under g->lock so the VRAM page cannot be freed and reused under it.
 */
static int odpg_rw_page(struct odpg *g, u64 pos, void *bounce, size_t n,
			bool by_va, bool write)
{
	unsigned long off = offset_in_page(pos);
	long idx;
	void *v;

	spin_lock(&g->lock);
	if (by_va)
		idx = odpg_find(g, current->mm, pos - off);
	else
		idx = pos >> PAGE_SHIFT;
	if (idx < 0) {
		spin_unlock(&g->lock);
		return -ENOENT;
	}
	v = odpg_vram(g, idx) + off;
	if (write)
		memcpy(v, bounce, n);
	else
		memcpy(bounce, v, n);
	spin_unlock(&g->lock);
	return 0;
}

static int odpg_vram_rw(struct odpg *g, struct odpg_vram_rw *a, bool by_va,
			bool write)
{
	void __user *ubuf = u64_to_user_ptr(a->addr);
	u64 done = 0, end;
	void *bounce;
	int ret = 0;

	if (!a->length || check_add_overflow(a->off, a->length, &end))
		return -EINVAL;
	if (!by_va && end > g->vram_size)
		return -ERANGE;
	bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	while (done < a->length) {
		u64 pos = a->off + done;
		size_t n = min_t(u64, a->length - done,
				 PAGE_SIZE - offset_in_page(pos));

		if (write && copy_from_user(bounce, ubuf + done, n)) {
			ret = -EFAULT;
			break;
		}
		ret = odpg_rw_page(g, pos, bounce, n, by_va, write);
		if (ret)
			break;
		if (!write && copy_to_user(ubuf + done, bounce, n)) {
			ret = -EFAULT;
			break;
		}
		done += n;
	}
	kfree(bounce);
	return ret;
}

static void odpg_counters(struct odpg *g, struct odpg_counters *c)
{
	memset(c, 0, sizeof(*c));
	c->pages_to_vram = atomic64_read(&g->to_vram);
	c->pages_to_ram = atomic64_read(&g->to_ram);
	c->cpu_faults = atomic64_read(&g->cpu_faults);
	c->vram_pages = g->npages;
	spin_lock(&g->lock);
	c->vram_used = bitmap_weight(g->used, g->npages);
	spin_unlock(&g->lock);
	c->domain = g->prov.id;
}

/* ---- P2P provider ---- */

static int odpg_resolve(struct odp_p2p_provider *prov, struct page *page,
			struct device *importer, struct odp_peer *peer)
{
	struct odpg *g = container_of(prov, struct odpg, prov);
	unsigned long idx = odpg_index(g, page);
	void *v;

	if (page->pgmap != &g->pgmap || idx >= g->npages)
		return -EINVAL;
	v = odpg_vram(g, idx);
	peer->page = virt_to_page(v);
	if (!importer) {
		/* A CPU-copy importer reaches the BAR through the direct map. */
		peer->kind = ODP_PEER_PAGE;
		return 0;
	}
	/* A DMA importer needs a PCI path to our BAR. */
	if (pci_p2pdma_distance(g->pdev, importer, false) < 0)
		return -EREMOTEIO;
	peer->kind = ODP_PEER_BUS;
	peer->addr = pci_p2pmem_virt_to_bus(g->pdev, v);
	return peer->addr ? 0 : -EREMOTEIO;
}

static const struct odp_p2p_ops odpg_p2p_ops = {
	.resolve = odpg_resolve,
};

/* ---- file operations ---- */

union odpg_args {
	struct odpg_migrate migrate;
	struct odpg_vram_rw rw;
	struct odpg_counters counters;
};

static long odpg_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct odpg *g = container_of(file->private_data, struct odpg, misc);
	void __user *uarg = (void __user *)arg;
	union odpg_args a;
	long ret;

	if (_IOC_TYPE(cmd) != ODPG_IOC_MAGIC || _IOC_SIZE(cmd) > sizeof(a))
		return -ENOTTY;
	if ((_IOC_DIR(cmd) & _IOC_WRITE) &&
	    copy_from_user(&a, uarg, _IOC_SIZE(cmd)))
		return -EFAULT;

	switch (cmd) {
	case ODPG_IOC_TO_VRAM:
	case ODPG_IOC_TO_RAM:
		ret = odpg_migrate(g, a.migrate.va, a.migrate.length,
				   cmd == ODPG_IOC_TO_VRAM);
		if (ret < 0)
			return ret;
		a.migrate.migrated = ret;
		break;
	case ODPG_IOC_EVICT:
		ret = odpg_evict(g);
		if (ret < 0)
			return ret;
		memset(&a.migrate, 0, sizeof(a.migrate));
		a.migrate.migrated = ret;
		break;
	case ODPG_IOC_READ_OFF:
	case ODPG_IOC_WRITE_OFF:
	case ODPG_IOC_READ_VA:
	case ODPG_IOC_WRITE_VA:
		return odpg_vram_rw(g, &a.rw,
				    cmd == ODPG_IOC_READ_VA ||
				    cmd == ODPG_IOC_WRITE_VA,
				    cmd == ODPG_IOC_WRITE_OFF ||
				    cmd == ODPG_IOC_WRITE_VA);
	case ODPG_IOC_COUNTERS:
		odpg_counters(g, &a.counters);
		break;
	default:
		return -ENOTTY;
	}
	if ((_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, &a, _IOC_SIZE(cmd)))
		return -EFAULT;
	return 0;
}

static const struct file_operations odpg_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = odpg_ioctl,
	.llseek = noop_llseek,
};

/* ---- PCI driver ---- */

static int odpg_devpriv_init(struct odpg *g)
{
	void *ptr;

	g->res = request_free_mem_region(&iomem_resource, g->vram_size,
					 "odph_gpu");
	if (IS_ERR(g->res))
		return PTR_ERR(g->res);
	g->pgmap.type = MEMORY_DEVICE_PRIVATE;
	g->pgmap.range.start = g->res->start;
	g->pgmap.range.end = g->res->end;
	g->pgmap.nr_range = 1;
	g->pgmap.ops = &odpg_pgmap_ops;
	g->pgmap.owner = g;
	ptr = memremap_pages(&g->pgmap, dev_to_node(&g->pdev->dev));
	if (IS_ERR_OR_NULL(ptr)) {
		release_mem_region(g->res->start, resource_size(g->res));
		return ptr ? PTR_ERR(ptr) : -EFAULT;
	}
	g->base_pfn = PHYS_PFN(g->res->start);
	return 0;
}

static void odpg_devpriv_fini(struct odpg *g)
{
	memunmap_pages(&g->pgmap);
	release_mem_region(g->res->start, resource_size(g->res));
}

static int odpg_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct odpg *g;
	int ret;

	mutex_lock(&odpg_dev_lock);
	if (odpg_dev) {
		mutex_unlock(&odpg_dev_lock);
		return -EBUSY;	/* one fake GPU is enough */
	}
	mutex_unlock(&odpg_dev_lock);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	g = devm_kzalloc(&pdev->dev, sizeof(*g), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	g->pdev = pdev;
	spin_lock_init(&g->lock);
	g->vram_size = pci_resource_len(pdev, ODPG_VRAM_BAR);
	g->npages = g->vram_size >> PAGE_SHIFT;
	if (!g->npages || !PAGE_ALIGNED(g->vram_size))
		return -ENODEV;
	g->used = devm_bitmap_zalloc(&pdev->dev, g->npages, GFP_KERNEL);
	g->rec_mm = devm_kcalloc(&pdev->dev, g->npages, sizeof(*g->rec_mm),
				 GFP_KERNEL);
	g->rec_va = devm_kcalloc(&pdev->dev, g->npages, sizeof(*g->rec_va),
				 GFP_KERNEL);
	if (!g->used || !g->rec_mm || !g->rec_va)
		return -ENOMEM;

	ret = pci_p2pdma_add_resource(pdev, ODPG_VRAM_BAR, 0, 0);
	if (ret) {
		pci_err(pdev, "pci_p2pdma_add_resource: %d\n", ret);
		return ret;
	}
	g->vram = pci_alloc_p2pmem(pdev, g->vram_size);
	if (!g->vram) {
		pci_err(pdev, "cannot allocate the whole BAR as p2pmem\n");
		return -ENOMEM;
	}
	ret = odpg_devpriv_init(g);
	if (ret)
		goto err_free_p2pmem;

	g->prov.pgmap = &g->pgmap;
	g->prov.ops = &odpg_p2p_ops;
	ret = odp_p2p_register(&g->prov);
	if (ret)
		goto err_devpriv;

	g->misc.minor = MISC_DYNAMIC_MINOR;
	g->misc.name = "odph_gpu";
	g->misc.fops = &odpg_fops;
	g->misc.mode = 0666;
	ret = misc_register(&g->misc);
	if (ret)
		goto err_unregister;

	pci_set_drvdata(pdev, g);
	mutex_lock(&odpg_dev_lock);
	odpg_dev = g;
	mutex_unlock(&odpg_dev_lock);
	pci_info(pdev, "odph_gpu: %zu MiB VRAM, device-private pfns %#lx-%#lx, P2P domain %u\n",
		 g->vram_size >> 20, g->base_pfn, g->base_pfn + g->npages - 1,
		 g->prov.id);
	return 0;

err_unregister:
	odp_p2p_unregister(&g->prov);
err_devpriv:
	odpg_devpriv_fini(g);
err_free_p2pmem:
	pci_free_p2pmem(pdev, g->vram, g->vram_size);
	return ret;
}

static void odpg_remove(struct pci_dev *pdev)
{
	struct odpg *g = pci_get_drvdata(pdev);

	misc_deregister(&g->misc);
	/* Every page back to RAM: that zaps every peer leaf of every mirror. */
	odpg_evict(g);
	odp_p2p_unregister(&g->prov);
	odpg_devpriv_fini(g);
	pci_free_p2pmem(pdev, g->vram, g->vram_size);
	mutex_lock(&odpg_dev_lock);
	odpg_dev = NULL;
	mutex_unlock(&odpg_dev_lock);
}

static const struct pci_device_id odpg_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110) },	/* ivshmem */
	{ }
};
MODULE_DEVICE_TABLE(pci, odpg_ids);

static struct pci_driver odpg_driver = {
	.name = "odph_gpu",
	.id_table = odpg_ids,
	.probe = odpg_probe,
	.remove = odpg_remove,
};
module_pci_driver(odpg_driver);

MODULE_DESCRIPTION("ib_odp_hmm test-only fake GPU: ivshmem BAR2 as device-private VRAM, a P2P provider");
MODULE_LICENSE("GPL");
