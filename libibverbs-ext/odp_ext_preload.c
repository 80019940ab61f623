// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libodpext-preload.so: LD_PRELOAD it and ibv_advise_mr() works on odph
 * devices in programs that know nothing of libodpext (pyverbs, perftest):
 * every context ibv_open_device() returns for an odph device gets
 * odp_ext_install()'s advise_mr op.  Other devices are left alone.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include "odp_ext.h"

struct ibv_context *ibv_open_device(struct ibv_device *device)
{
	static struct ibv_context *(*real)(struct ibv_device *);
	struct ibv_context *ctx;

	if (!real)
		real = (struct ibv_context *(*)(struct ibv_device *))
			dlsym(RTLD_NEXT, "ibv_open_device");
	if (!real)
		return NULL;
	ctx = real(device);
	if (ctx && odp_ext_is_odph(ctx))
		odp_ext_install(ctx);
	return ctx;
}
