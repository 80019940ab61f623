/* SPDX-License-Identifier: GPL-2.0 */
/*
 * odph_compat.h - the one place where odph bridges kernel API changes
 * between the kernels it is built for: Debian 12's 6.1 and the 6.12 that
 * Debian 12 also ships (linux-image-6.12-amd64).  Nothing else in odph
 * tests LINUX_VERSION_CODE.
 */
#ifndef ODPH_COMPAT_H
#define ODPH_COMPAT_H

#include <linux/version.h>
#include <rdma/ib_verbs.h>
#include <rdma/uverbs_ioctl.h>

/* v6.12 moved asm/unaligned.h to linux/unaligned.h (no stub left behind). */
#if __has_include(<linux/unaligned.h>)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

int odph_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		   struct ib_udata *udata);

/*
 * v6.11 passes ib_device_ops.create_cq the whole uverbs attribute bundle
 * (NULL for a kernel CQ) where it used to pass the driver's udata.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
static inline int odph_create_cq_op(struct ib_cq *ibcq,
				    const struct ib_cq_init_attr *attr,
				    struct uverbs_attr_bundle *attrs)
{
	return odph_create_cq(ibcq, attr, attrs ? &attrs->driver_udata : NULL);
}
#else
#define odph_create_cq_op odph_create_cq
#endif

#endif /* ODPH_COMPAT_H */
