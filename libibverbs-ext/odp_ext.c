// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libodpext: ODP registration helpers and advise_mr through the uverbs
 * ioctl.  The netlink counters are in odp_ext_nl.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_ioctl_verbs.h>
#include <rdma/rdma_user_ioctl.h>

#include "odp_ext.h"
#include "odp_ext_priv.h"

#define ODPH_WINDOW_PARAM "/sys/module/rdma_odph/parameters/odp_window"

/* Set errno to @err and return it (the int functions' convention). */
static int odp_ext_err(int err)
{
	errno = err;
	return err;
}

/* First line of a sysfs file into @buf, without the newline. */
static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, size, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int odp_ext_is_odph(struct ibv_context *ctx)
{
	struct ibv_device_attr_ex attr = {};
	char path[256], desc[80];

	snprintf(path, sizeof(path), "/sys/class/infiniband/%s/node_desc",
		 ibv_get_device_name(ctx->device));
	if (read_line(path, desc, sizeof(desc)) || strcmp(desc, "odph"))
		return 0;
	if (ibv_query_device_ex(ctx, NULL, &attr))
		return 0;
	return !!(attr.odp_caps.general_caps & IBV_ODP_SUPPORT);
}

/*
 * odp_ext_caps_check - 0 if @ctx reports every bit of @caps (IBV_ODP_*)
 * in its general ODP caps, else
 * EOPNOTSUPP.  A provider that cannot answer ibv_query_device_ex() gets
 * the benefit of the doubt: the kernel has the last word at ibv_reg_mr().
 */
int odp_ext_caps_check(struct ibv_context *ctx, uint32_t caps)
{
	struct ibv_device_attr_ex attr = {};

	if (ibv_query_device_ex(ctx, NULL, &attr))
		return 0;
	return (attr.odp_caps.general_caps & caps) == caps ? 0 : EOPNOTSUPP;
}

struct ibv_mr *odp_ext_reg_implicit(struct ibv_pd *pd, int access)
{
	int err;

	if (!pd) {
		errno = EINVAL;
		return NULL;
	}
	/* Without this a NIC with explicit-only ODP says EINVAL, or worse. */
	err = odp_ext_caps_check(pd->context,
				 IBV_ODP_SUPPORT | IBV_ODP_SUPPORT_IMPLICIT);
	if (err) {
		errno = err;
		return NULL;
	}
	return ibv_reg_mr(pd, NULL, SIZE_MAX, access | IBV_ACCESS_ON_DEMAND);
}

size_t odp_ext_window(void)
{
	unsigned long long w;
	char buf[32];

	if (read_line(ODPH_WINDOW_PARAM, buf, sizeof(buf)) ||
	    sscanf(buf, "%llu", &w) != 1) {
		errno = ENOENT;
		return 0;
	}
	return w;
}

struct ibv_mr *odp_ext_reg_window(struct ibv_pd *pd, void *addr, size_t len,
				  int access, size_t window)
{
	size_t cur;
	int err;

	if (!pd || (window && (window < 4096 || (window & (window - 1))))) {
		errno = EINVAL;
		return NULL;
	}
	err = odp_ext_caps_check(pd->context, IBV_ODP_SUPPORT);
	if (err) {
		errno = err;
		return NULL;
	}
	if (window) {
		/*
		 * Only odph has a fault window to compare with, and another
		 * NIC cannot be told one.  With providers/odph this becomes
		 * the dv call that sets the MR's own window.
		 */
		if (!odp_ext_is_odph(pd->context)) {
			errno = EOPNOTSUPP;
			return NULL;
		}
		cur = odp_ext_window();
		if (!cur)
			return NULL;
		if (cur != window) {
			errno = ENOTSUP;
			return NULL;
		}
	}
	return ibv_reg_mr(pd, addr, len, access | IBV_ACCESS_ON_DEMAND);
}

/* ---- advise_mr through the uverbs ioctl ---- */

enum { ADVISE_ATTRS = 4 };

struct advise_cmd {
	struct ib_uverbs_ioctl_hdr hdr;
	struct ib_uverbs_attr attrs[ADVISE_ATTRS];
};

static void put_attr(struct ib_uverbs_attr *a, uint16_t id, uint16_t len,
		     uint64_t data)
{
	memset(a, 0, sizeof(*a));
	a->attr_id = id;
	a->len = len;
	a->flags = UVERBS_ATTR_F_MANDATORY;
	a->data = data;
}

/* The uverbs SGE layout (struct ib_uverbs_sge) equals struct ibv_sge. */
_Static_assert(sizeof(struct ibv_sge) == 16, "ibv_sge is ib_uverbs_sge");

static int advise_ioctl(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
			uint32_t flags, struct ibv_sge *sg_list,
			uint32_t num_sge)
{
	struct advise_cmd cmd = {};
	size_t sge_len = (size_t)num_sge * sizeof(*sg_list);

	if (!num_sge || !sg_list || sge_len > UINT16_MAX)
		return odp_ext_err(EINVAL);
	cmd.hdr.length = sizeof(cmd);
	cmd.hdr.object_id = UVERBS_OBJECT_MR;
	cmd.hdr.method_id = UVERBS_METHOD_ADVISE_MR;
	cmd.hdr.num_attrs = ADVISE_ATTRS;
	cmd.hdr.driver_id = RDMA_DRIVER_RXE;	/* what odph reports */
	/* An object handle: no length, the handle inline. */
	put_attr(&cmd.attrs[0], UVERBS_ATTR_ADVISE_MR_PD_HANDLE, 0,
		 pd->handle);
	put_attr(&cmd.attrs[1], UVERBS_ATTR_ADVISE_MR_ADVICE,
		 sizeof(uint64_t), advice);
	put_attr(&cmd.attrs[2], UVERBS_ATTR_ADVISE_MR_FLAGS,
		 sizeof(uint64_t), flags);
	/* More than 8 bytes: a pointer to the SGE array. */
	put_attr(&cmd.attrs[3], UVERBS_ATTR_ADVISE_MR_SGE_LIST, sge_len,
		 (uintptr_t)sg_list);

	if (ioctl(pd->context->cmd_fd, RDMA_VERBS_IOCTL, &cmd))
		return odp_ext_err(errno);
	return 0;
}

int odp_ext_advise(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
		   uint32_t flags, struct ibv_sge *sg_list, uint32_t num_sge)
{
	int ret;

	if (!pd)
		return odp_ext_err(EINVAL);
	/*
	 * odph under librxe: the ioctl ourselves.  Hook for providers/odph:
	 * once the provider drives odph, its advise_mr op is in the context
	 * and this branch goes; ibv_advise_mr() below reaches the kernel.
	 */
	if (odp_ext_is_odph(pd->context))
		return advise_ioctl(pd, advice, flags, sg_list, num_sge);
	ret = ibv_advise_mr(pd, advice, flags, sg_list, num_sge);
	return ret ? odp_ext_err(ret) : 0;
}

/* The advise_mr op odp_ext_install() puts in an odph context. */
static int advise_op(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
		     uint32_t flags, struct ibv_sge *sg_list, uint32_t num_sge)
{
	return advise_ioctl(pd, advice, flags, sg_list, num_sge);
}

int odp_ext_install(struct ibv_context *ctx)
{
	struct verbs_context *vctx = verbs_get_ctx(ctx);

	if (!vctx || !odp_ext_is_odph(ctx))
		return odp_ext_err(ENODEV);
	if (vctx->sz < sizeof(*vctx) - offsetof(struct verbs_context, advise_mr))
		return odp_ext_err(ENOTSUP);
	vctx->advise_mr = advise_op;
	return 0;
}
