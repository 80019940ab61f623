/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * libodpext internals shared between its files; not installed, and not
 * exported (libodpext.map exports only odp_ext.h's calls).
 */
#ifndef ODP_EXT_PRIV_H
#define ODP_EXT_PRIV_H

#include <stdint.h>
#include <infiniband/verbs.h>

int odp_ext_caps_check(struct ibv_context *ctx, uint32_t caps);

#endif /* ODP_EXT_PRIV_H */
