// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libodpext: per-MR ODP counters through RDMA netlink.
 *
 * Two dumps on a NETLINK_RDMA socket: RDMA_NLDEV_CMD_GET finds the
 * device's index by name, RDMA_NLDEV_CMD_RES_MR_GET lists its MRs.  Each
 * MR entry carries the lkey (only for CAP_NET_ADMIN) and, for odph ODP
 * MRs, a RDMA_NLDEV_ATTR_DRIVER table of name/value pairs "odp_*".
 */
#include <errno.h>
#include <linux/netlink.h>
#include <rdma/rdma_netlink.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "odp_ext.h"
#include "odp_ext_priv.h"

#define NL_BUF 32768

struct nl_query {
	const char *dev_name;	/* CMD_GET: the device looked for */
	uint32_t dev_index;
	bool have_index;
	uint32_t lkey;		/* RES_MR_GET: the MR looked for */
	bool saw_entry;		/* the device has MRs */
	bool saw_lkey;		/* any entry carried an lkey */
	bool found;		/* the MR's entry */
	bool have_counters;	/* ... with odp_* counters */
	struct odp_ext_stats *stats;
};

#define for_each_attr(a, start, len)					\
	for (a = (struct nlattr *)(start);				\
	     (char *)a + NLA_HDRLEN <= (char *)(start) + (len) &&	\
	     a->nla_len >= NLA_HDRLEN &&				\
	     (char *)a + a->nla_len <= (char *)(start) + (len);		\
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))

static int attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static void *attr_data(const struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

static int attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static uint32_t attr_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	memcpy(&v, attr_data(a), attr_len(a) < 4 ? attr_len(a) : 4);
	return v;
}

static uint64_t attr_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	memcpy(&v, attr_data(a), attr_len(a) < 8 ? attr_len(a) : 8);
	return v;
}

static const struct {
	const char *name;
	size_t off;
} stat_names[] = {
	{ "odp_faults", offsetof(struct odp_ext_stats, faults) },
	{ "odp_pages_faulted", offsetof(struct odp_ext_stats, pages_faulted) },
	{ "odp_pages_snapshot", offsetof(struct odp_ext_stats, pages_snapshot) },
	{ "odp_invalidations", offsetof(struct odp_ext_stats, invalidations) },
	{ "odp_pages_invalidated",
	  offsetof(struct odp_ext_stats, pages_invalidated) },
	{ "odp_prefetches", offsetof(struct odp_ext_stats, prefetches) },
	{ "odp_fault_retries", offsetof(struct odp_ext_stats, fault_retries) },
	{ "odp_pages_dirtied", offsetof(struct odp_ext_stats, pages_dirtied) },
	{ "odp_fault_errors", offsetof(struct odp_ext_stats, fault_errors) },
};

/* RDMA_NLDEV_ATTR_DRIVER: STRING name, [PRINT_TYPE], U64 value, ... */
static bool parse_driver(struct nlattr *nest, struct odp_ext_stats *st)
{
	const char *name = NULL;
	bool any = false;
	struct nlattr *a;
	size_t i;

	for_each_attr(a, attr_data(nest), attr_len(nest)) {
		if (attr_type(a) == RDMA_NLDEV_ATTR_DRIVER_STRING) {
			name = attr_data(a);
			continue;
		}
		if (attr_type(a) != RDMA_NLDEV_ATTR_DRIVER_U64 || !name)
			continue;
		for (i = 0; i < sizeof(stat_names) / sizeof(stat_names[0]); i++)
			if (!strcmp(name, stat_names[i].name)) {
				*(uint64_t *)((char *)st + stat_names[i].off) =
					attr_u64(a);
				any = true;
			}
		name = NULL;
	}
	return any;
}

static void parse_mr_entry(struct nl_query *q, struct nlattr *entry)
{
	struct nlattr *a, *driver = NULL;
	bool match = false;

	q->saw_entry = true;
	for_each_attr(a, attr_data(entry), attr_len(entry)) {
		if (attr_type(a) == RDMA_NLDEV_ATTR_RES_LKEY) {
			q->saw_lkey = true;
			match = attr_u32(a) == q->lkey;
		} else if (attr_type(a) == RDMA_NLDEV_ATTR_DRIVER) {
			driver = a;
		}
	}
	if (!match || q->found)
		return;
	q->found = true;
	if (driver)
		q->have_counters = parse_driver(driver, q->stats);
}

static void parse_msg(struct nl_query *q, struct nlmsghdr *h)
{
	struct nlattr *a, *e;
	uint32_t index = 0;
	bool has_index = false;

	for_each_attr(a, NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN) {
		switch (attr_type(a)) {
		case RDMA_NLDEV_ATTR_DEV_INDEX:
			index = attr_u32(a);
			has_index = true;
			break;
		case RDMA_NLDEV_ATTR_DEV_NAME:
			if (q->dev_name && has_index &&
			    !strncmp(attr_data(a), q->dev_name, attr_len(a))) {
				q->dev_index = index;
				q->have_index = true;
			}
			break;
		case RDMA_NLDEV_ATTR_RES_MR:
			for_each_attr(e, attr_data(a), attr_len(a))
				if (attr_type(e) == RDMA_NLDEV_ATTR_RES_MR_ENTRY)
					parse_mr_entry(q, e);
			break;
		}
	}
}

/* Send one dump request and parse every answer; 0 or an errno value. */
static int nl_dump(int fd, uint16_t cmd, const uint32_t *dev_index,
		   struct nl_query *q)
{
	struct {
		struct nlmsghdr h;
		struct nlattr a;
		uint32_t index;
	} req = {};
	static __thread char *buf;
	struct nlmsghdr *h;
	ssize_t n;

	if (!buf && !(buf = malloc(NL_BUF)))
		return ENOMEM;
	req.h.nlmsg_len = NLMSG_LENGTH(0);
	req.h.nlmsg_type = RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, cmd);
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = cmd;
	if (dev_index) {
		req.a.nla_type = RDMA_NLDEV_ATTR_DEV_INDEX;
		req.a.nla_len = NLA_HDRLEN + sizeof(uint32_t);
		req.index = *dev_index;
		req.h.nlmsg_len = sizeof(req);
	}
	if (send(fd, &req, req.h.nlmsg_len, 0) < 0)
		return errno;
	for (;;) {
		n = recv(fd, buf, NL_BUF, 0);
		if (n < 0)
			return errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? -e->error : 0;
			}
			parse_msg(q, h);
		}
	}
}

int odp_ext_mr_stats(struct ibv_mr *mr, struct odp_ext_stats *stats)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct odp_ext_stats st = {};
	struct nl_query q = {};
	int fd, ret;

	if (!mr || !stats)
		return errno = EINVAL;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_RDMA);
	if (fd < 0)
		return errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = errno;
		goto out_close;
	}

	q.dev_name = ibv_get_device_name(mr->context->device);
	ret = nl_dump(fd, RDMA_NLDEV_CMD_GET, NULL, &q);
	if (!ret && !q.have_index)
		ret = ENODEV;
	if (ret)
		goto out_close;

	q.dev_name = NULL;
	q.lkey = mr->lkey;
	q.stats = &st;
	ret = nl_dump(fd, RDMA_NLDEV_CMD_RES_MR_GET, &q.dev_index, &q);
	if (ret)
		goto out_close;
	if (!q.found)
		ret = q.saw_entry && !q.saw_lkey ? EPERM : ENOENT;
	else if (!q.have_counters)
		ret = ENOENT;
	else
		*stats = st;
	/* No MR of this device can have ODP counters: say so. */
	if (ret == ENOENT &&
	    odp_ext_caps_check(mr->context, IBV_ODP_SUPPORT))
		ret = EOPNOTSUPP;

out_close:
	close(fd);
	errno = ret;
	return ret;
}
