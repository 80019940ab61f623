// SPDX-License-Identifier: GPL-2.0
/*
 * odph_test: a test-only device that drives the mirror core the way a NIC
 * does, through the private uAPI beside it, odph_test_uapi.h.
 *
 * Device READ and WRITE copy through the device page table page by page
 * inside access sections, faulting (outside the section) on a miss, exactly
 * like the soft NIC's data path.  Each open file owns at most one mirror.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "odp_hmm.h"
#include "odph_test_uapi.h"

#define ODPT_MAX_WINDOW		(1ULL << 30)
#define ODPT_MAX_DEMAND		PMD_SIZE	/* bytes demanded per fault */
#define ODPT_FAULT_TRIES	8
#define ODPT_SLOW_US		1000	/* ODPT_RW_SLOW: hold the section */

static unsigned long default_window = 16 * PAGE_SIZE;
module_param(default_window, ulong, 0644);
MODULE_PARM_DESC(default_window, "fault window in bytes when a READ/WRITE passes 0 (power of two)");

/* Owner of "our" device-private pages; none exist on a stock kernel. */
static int odpt_pagemap_owner;
static struct platform_device *odpt_dma_pdev;

struct odpt_ctx {
	struct rw_semaphore lock;	/* write: create/destroy; read: use */
	struct odp_mirror *mirror;
};

/* ---- device data path ---- */

static void odpt_copy(struct odp_xlate *x, void *buf, size_t n, bool write)
{
	void *va = kmap_local_page(x->page);

	if (write)
		memcpy(va + x->offset, buf, n);
	else
		memcpy(buf, va + x->offset, n);
	kunmap_local(va);
}

/*
 * odpt_access_page - one device access of @n bytes at @iova within a page.
 * On a miss, fault [iova, min(end, iova + ODPT_MAX_DEMAND)) with @window.
 */
static int odpt_access_page(struct odp_mirror *m, u64 iova, void *buf,
			    size_t n, bool write, u64 end, u64 window,
			    bool slow)
{
	unsigned int access = write ? ODP_ACCESS_WRITE : 0;
	struct odp_xlate x;
	int tries, ret;

	for (tries = 0; tries < ODPT_FAULT_TRIES; tries++) {
		odp_mirror_access_begin(m);
		ret = odp_mirror_lookup(m, iova, access, &x);
		/* Own device-private pages, or a peer with no kernel page. */
		if (!ret && (x.flags & ODP_XLATE_DEVPRIV || !x.page))
			ret = -EREMOTEIO;
		if (!ret && slow)
			udelay(ODPT_SLOW_US);
		if (!ret)
			odpt_copy(&x, buf, n, write);
		odp_mirror_access_end(m);
		if (ret != -ENOENT)
			return ret;

		ret = odp_mirror_fault(m, iova, min(end - iova, ODPT_MAX_DEMAND),
				       access, window);
		if (ret)
			return ret;
	}
	return -EBUSY;
}

static int odpt_check_rw(struct odp_mirror *m, struct odpt_rw *a)
{
	u64 last;

	if (a->flags & ~ODPT_RW_FLAGS || a->reserved || !a->length ||
	    check_add_overflow(a->iova, a->length - 1, &last))
		return -EINVAL;
	if (a->window && (!is_power_of_2(a->window) ||
			  a->window > ODPT_MAX_WINDOW))
		return -EINVAL;
	if (!m)
		return -ENOENT;
	return odp_mirror_contains(m, a->iova, a->length) ? 0 : -ERANGE;
}

static int odpt_rw(struct odp_mirror *m, struct odpt_rw *a, bool write)
{
	void __user *ubuf = u64_to_user_ptr(a->addr);
	u64 window = a->window ? a->window : READ_ONCE(default_window);
	u64 end = a->iova + a->length, done = 0;
	void *bounce;
	int ret;

	ret = odpt_check_rw(m, a);
	if (ret)
		return ret;
	bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;

	while (done < a->length) {
		u64 iova = a->iova + done;
		size_t n = min_t(u64, a->length - done,
				 PAGE_SIZE - offset_in_page(iova));

		if (write && copy_from_user(bounce, ubuf + done, n)) {
			ret = -EFAULT;
			break;
		}
		ret = odpt_access_page(m, iova, bounce, n, write, end, window,
				       a->flags & ODPT_RW_SLOW);
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

/* ---- snapshot and prefetch ---- */

static int odpt_check_pages(struct odp_mirror *m, u64 iova, u64 length)
{
	u64 last;

	if (!length || !PAGE_ALIGNED(iova) || !PAGE_ALIGNED(length) ||
	    check_add_overflow(iova, length - 1, &last))
		return -EINVAL;
	if (!m)
		return -ENOENT;
	return odp_mirror_contains(m, iova, length) ? 0 : -ERANGE;
}

static u8 odpt_snap_byte(struct odp_mirror *m, u64 iova)
{
	struct odp_xlate x;
	u8 b = ODPT_SNAP_ABSENT;

	odp_mirror_access_begin(m);
	if (!odp_mirror_lookup(m, iova, 0, &x)) {
		b = x.flags & ODP_XLATE_WRITE ? ODPT_SNAP_WRITE : ODPT_SNAP_READ;
		if (x.flags & ODP_XLATE_HUGE)
			b |= ODPT_SNAP_HUGE;
		if (x.flags & ODP_XLATE_DEVPRIV)
			b |= ODPT_SNAP_DEVPRIV;
		if (x.flags & ODP_XLATE_DIRTY)
			b |= ODPT_SNAP_DIRTY;
		if (x.flags & ODP_XLATE_PEER)
			b |= ODPT_SNAP_PEER;
	}
	odp_mirror_access_end(m);
	return b;
}

static int odpt_snapshot(struct odp_mirror *m, struct odpt_snapshot *a)
{
	u8 __user *ubuf = u64_to_user_ptr(a->addr);
	u64 npages = a->length >> PAGE_SHIFT, i, j;
	u8 *bytes;
	int ret;

	ret = odpt_check_pages(m, a->iova, a->length);
	if (ret)
		return ret;
	bytes = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!bytes)
		return -ENOMEM;
	for (i = 0; i < npages && !ret; i += j) {
		for (j = 0; j < PAGE_SIZE && i + j < npages; j++)
			bytes[j] = odpt_snap_byte(m, a->iova +
						  ((i + j) << PAGE_SHIFT));
		if (copy_to_user(ubuf + i, bytes, j))
			ret = -EFAULT;
	}
	kfree(bytes);
	return ret;
}

static int odpt_prefetch(struct odp_mirror *m, struct odpt_prefetch *a)
{
	unsigned int flags = 0;
	int ret;

	if (a->flags & ~ODPT_PREFETCH_FLAGS || a->reserved)
		return -EINVAL;
	ret = odpt_check_pages(m, a->iova, a->length);
	if (ret)
		return ret;
	if (a->flags & ODPT_PREFETCH_WRITE)
		flags |= ODP_PREFETCH_WRITE;
	if (a->flags & ODPT_PREFETCH_NO_FAULT)
		flags |= ODP_PREFETCH_NO_FAULT;
	return odp_mirror_prefetch(m, a->iova, a->length, flags);
}

/* ---- stats, injection, life cycle ---- */

static void odpt_export_counters(const struct odp_counters *in,
				 struct odpt_counters *out)
{
	out->faults = in->c[ODP_CNT_FAULTS];
	out->pages_faulted = in->c[ODP_CNT_PAGES_FAULTED];
	out->pages_snapshot = in->c[ODP_CNT_PAGES_SNAPSHOT];
	out->invalidations = in->c[ODP_CNT_INVALIDATIONS];
	out->pages_invalidated = in->c[ODP_CNT_PAGES_INVALIDATED];
	out->prefetches = in->c[ODP_CNT_PREFETCHES];
	out->fault_retries = in->c[ODP_CNT_FAULT_RETRIES];
	out->pages_dirtied = in->c[ODP_CNT_PAGES_DIRTIED];
	out->fault_errors = in->c[ODP_CNT_FAULT_ERRORS];
}

static void odpt_stats(struct odp_mirror *m, struct odpt_stats *s)
{
	struct odp_counters c = {};

	memset(s, 0, sizeof(*s));
	if (m) {
		odp_mirror_counters(m, &c);
		odpt_export_counters(&c, &s->mirror);
		s->mapped_pages = odp_mirror_mapped_pages(m);
		s->table_bytes = odp_mirror_table_bytes(m);
	}
	odp_global_counters(&c);
	odpt_export_counters(&c, &s->global);
	s->live_mirrors = odp_live_mirrors();
}

static void odpt_export_p2p(const struct odp_p2p_counters *in,
			    struct odpt_p2p_counters *out)
{
	out->pages_resolved = in->c[ODP_P2P_PAGES_RESOLVED];
	out->pages_refused = in->c[ODP_P2P_PAGES_REFUSED];
	out->pages_migrated_back = in->c[ODP_P2P_PAGES_MIGRATED_BACK];
}

static void odpt_p2p_stats(struct odp_mirror *m, struct odpt_p2p_stats *s)
{
	struct odp_p2p_counters c = {};

	memset(s, 0, sizeof(*s));
	if (m) {
		odp_mirror_p2p_counters(m, &c);
		odpt_export_p2p(&c, &s->mirror);
	}
	odp_global_p2p_counters(&c);
	odpt_export_p2p(&c, &s->global);
}

static int odpt_inject(struct odp_mirror *m, struct odpt_inject *a)
{
	if (a->error <= 0 || a->error > MAX_ERRNO)
		return -EINVAL;
	if (!m)
		return -ENOENT;
	odp_mirror_inject_faults(m, a->count, a->error);
	return 0;
}

/*
 * Caller must hold ctx->lock for write.  @domain: 0 for our own owner, else
 * the P2P provider whose owner domain the mirror joins.
 */
static int odpt_create(struct odpt_ctx *ctx, struct odpt_create *a, u32 domain)
{
	struct odp_mirror_attr attr = {
		.va = a->va, .length = a->length, .iova = a->iova,
		.owner = &odpt_pagemap_owner,
	};
	struct odp_mirror *m;

	lockdep_assert_held_write(&ctx->lock);
	if (a->flags & ~ODPT_CREATE_FLAGS || a->reserved)
		return -EINVAL;
	if (domain) {
		attr.owner = odp_p2p_domain_owner(domain);
		if (!attr.owner)
			return -ENODEV;
	}
	if (ctx->mirror)
		return -EBUSY;
	if (a->flags & ODPT_CREATE_IMPLICIT)
		attr.flags |= ODP_MIRROR_IMPLICIT;
	if (a->flags & ODPT_CREATE_DMA)
		attr.dma_dev = &odpt_dma_pdev->dev;

	m = odp_mirror_create(current->mm, &attr);
	if (IS_ERR(m))
		return PTR_ERR(m);
	ctx->mirror = m;
	return 0;
}

/* Caller must hold ctx->lock for write. */
static int odpt_destroy(struct odpt_ctx *ctx)
{
	lockdep_assert_held_write(&ctx->lock);
	if (!ctx->mirror)
		return -ENOENT;
	odp_mirror_destroy(ctx->mirror);
	ctx->mirror = NULL;
	return 0;
}

/* ---- file operations ---- */

union odpt_args {
	struct odpt_create create;
	struct odpt_rw rw;
	struct odpt_snapshot snapshot;
	struct odpt_prefetch prefetch;
	struct odpt_stats stats;
	struct odpt_inject inject;
	struct odpt_create_owner create_owner;
	struct odpt_p2p_stats p2p_stats;
};

/* Caller must hold ctx->lock for read. */
static long odpt_ioctl_use(struct odpt_ctx *ctx, unsigned int cmd,
			   union odpt_args *a)
{
	struct odp_mirror *m = ctx->mirror;

	lockdep_assert_held(&ctx->lock);
	switch (cmd) {
	case ODPT_IOC_READ:
		return odpt_rw(m, &a->rw, false);
	case ODPT_IOC_WRITE:
		return odpt_rw(m, &a->rw, true);
	case ODPT_IOC_SNAPSHOT:
		return odpt_snapshot(m, &a->snapshot);
	case ODPT_IOC_PREFETCH:
		return odpt_prefetch(m, &a->prefetch);
	case ODPT_IOC_STATS:
		odpt_stats(m, &a->stats);
		return 0;
	case ODPT_IOC_P2P_STATS:
		odpt_p2p_stats(m, &a->p2p_stats);
		return 0;
	case ODPT_IOC_INJECT:
		return odpt_inject(m, &a->inject);
	}
	return -ENOTTY;
}

static long odpt_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct odpt_ctx *ctx = file->private_data;
	void __user *uarg = (void __user *)arg;
	union odpt_args a;
	long ret;

	switch (cmd) {
	case ODPT_IOC_CREATE:
	case ODPT_IOC_READ:
	case ODPT_IOC_WRITE:
	case ODPT_IOC_SNAPSHOT:
	case ODPT_IOC_PREFETCH:
	case ODPT_IOC_INJECT:
	case ODPT_IOC_CREATE_OWNER:
		if (copy_from_user(&a, uarg, _IOC_SIZE(cmd)))
			return -EFAULT;
		break;
	case ODPT_IOC_DESTROY:
	case ODPT_IOC_STATS:
	case ODPT_IOC_P2P_STATS:
		break;
	default:
		return -ENOTTY;
	}

	if (cmd == ODPT_IOC_CREATE_OWNER) {
		struct odpt_create_owner co = a.create_owner;

		a.create = (struct odpt_create){
			.va = co.va, .length = co.length, .iova = co.iova,
			.flags = co.flags,
		};
		down_write(&ctx->lock);
		ret = odpt_create(ctx, &a.create, co.domain);
		up_write(&ctx->lock);
		return ret;
	}
	if (cmd == ODPT_IOC_CREATE || cmd == ODPT_IOC_DESTROY) {
		down_write(&ctx->lock);
		ret = cmd == ODPT_IOC_CREATE ? odpt_create(ctx, &a.create, 0) :
					       odpt_destroy(ctx);
		up_write(&ctx->lock);
		return ret;
	}

	down_read(&ctx->lock);
	ret = odpt_ioctl_use(ctx, cmd, &a);
	up_read(&ctx->lock);
	if (!ret && cmd == ODPT_IOC_STATS &&
	    copy_to_user(uarg, &a.stats, sizeof(a.stats)))
		ret = -EFAULT;
	if (!ret && cmd == ODPT_IOC_P2P_STATS &&
	    copy_to_user(uarg, &a.p2p_stats, sizeof(a.p2p_stats)))
		ret = -EFAULT;
	return ret;
}

static int odpt_open(struct inode *inode, struct file *file)
{
	struct odpt_ctx *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	init_rwsem(&ctx->lock);
	file->private_data = ctx;
	return 0;
}

static int odpt_release(struct inode *inode, struct file *file)
{
	struct odpt_ctx *ctx = file->private_data;

	down_write(&ctx->lock);
	if (ctx->mirror)
		odpt_destroy(ctx);
	up_write(&ctx->lock);
	kfree(ctx);
	return 0;
}

static const struct file_operations odpt_fops = {
	.owner = THIS_MODULE,
	.open = odpt_open,
	.release = odpt_release,
	.unlocked_ioctl = odpt_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice odpt_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "odph_test",
	.fops = &odpt_fops,
	.mode = 0666,
};

static int __init odpt_init(void)
{
	int ret;

	if (!default_window || !is_power_of_2(default_window))
		return -EINVAL;
	odpt_dma_pdev = platform_device_register_simple("odph_test_dma", -1,
							NULL, 0);
	if (IS_ERR(odpt_dma_pdev))
		return PTR_ERR(odpt_dma_pdev);
	ret = dma_coerce_mask_and_coherent(&odpt_dma_pdev->dev,
					   DMA_BIT_MASK(64));
	if (ret)
		goto err_unregister_pdev;
	ret = misc_register(&odpt_misc);
	if (ret)
		goto err_unregister_pdev;
	return 0;

err_unregister_pdev:
	platform_device_unregister(odpt_dma_pdev);
	return ret;
}

static void __exit odpt_exit(void)
{
	misc_deregister(&odpt_misc);
	platform_device_unregister(odpt_dma_pdev);
}

module_init(odpt_init);
module_exit(odpt_exit);
MODULE_DESCRIPTION("ib_odp_hmm test device (dmirror-like) for the mirror core");
MODULE_LICENSE("GPL");
