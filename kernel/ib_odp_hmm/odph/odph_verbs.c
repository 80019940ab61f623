// SPDX-License-Identifier: GPL-2.0
/*
 * odph verbs: translate ib_device_ops calls to odph objects.  Decisions
 * about packets live in the engines; this file checks arguments, allocates
 * and fills in attributes.
 */
#include <linux/vmalloc.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_mad.h>
#include <rdma/uverbs_ioctl.h>

#include "odph.h"

/* ---- device and port ---- */

static int odph_query_device(struct ib_device *ib, struct ib_device_attr *a,
			     struct ib_udata *udata)
{
	struct odph_dev *dev = to_odph_dev(ib);

	if (udata->inlen || udata->outlen)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->fw_ver = 1;
	a->sys_image_guid = dev->ib.node_guid;
	a->max_mr_size = ODPH_MAX_MR_SIZE;
	a->page_size_cap = PAGE_SIZE;
	a->vendor_id = ODPH_VENDOR_ID;
	a->max_qp = ODPH_MAX_QP;
	a->max_qp_wr = ODPH_MAX_QP_WR;
	a->device_cap_flags = IB_DEVICE_BAD_PKEY_CNTR | IB_DEVICE_BAD_QKEY_CNTR |
			      IB_DEVICE_RC_RNR_NAK_GEN | IB_DEVICE_SRQ_RESIZE |
			      IB_DEVICE_SYS_IMAGE_GUID | IB_DEVICE_MEM_WINDOW |
			      IB_DEVICE_MEM_WINDOW_TYPE_2B;
	a->max_send_sge = ODPH_MAX_SGE;
	a->max_recv_sge = ODPH_MAX_SGE;
	a->max_sge_rd = ODPH_MAX_SGE;
	a->max_cq = ODPH_MAX_CQ;
	a->max_cqe = ODPH_MAX_CQE - 1;
	a->max_mr = ODPH_MAX_MR;
	a->max_mw = ODPH_MAX_MW;
	a->max_pd = ODPH_MAX_PD;
	a->max_qp_rd_atom = ODPH_MAX_RD_ATOMIC;
	a->max_qp_init_rd_atom = ODPH_MAX_RD_ATOMIC;
	a->max_res_rd_atom = ODPH_MAX_RD_ATOMIC * ODPH_MAX_QP;
	a->atomic_cap = IB_ATOMIC_HCA;
	a->max_ah = ODPH_MAX_AH;
	a->max_srq = ODPH_MAX_SRQ;
	a->max_srq_wr = ODPH_MAX_SRQ_WR;
	a->max_srq_sge = ODPH_MAX_SGE;
	a->max_pkeys = 1;
	a->local_ca_ack_delay = 15;

	/*
	 * On-demand paging through the ib_odp_hmm mirror core.  A device
	 * created by `rdma link add` may be removed by `rdma link delete`
	 * (6.1's nldev_dellink() refuses without IBK_ALLOW_USER_UNREG).
	 */
	a->kernel_cap_flags = IBK_ON_DEMAND_PAGING | IBK_ALLOW_USER_UNREG;
	a->odp_caps.general_caps = IB_ODP_SUPPORT | IB_ODP_SUPPORT_IMPLICIT;
	a->odp_caps.per_transport_caps.rc_odp_caps =
		IB_ODP_SUPPORT_SEND | IB_ODP_SUPPORT_RECV |
		IB_ODP_SUPPORT_WRITE | IB_ODP_SUPPORT_READ |
		IB_ODP_SUPPORT_ATOMIC | IB_ODP_SUPPORT_SRQ_RECV;
	a->odp_caps.per_transport_caps.ud_odp_caps =
		IB_ODP_SUPPORT_SEND | IB_ODP_SUPPORT_RECV;
	return 0;
}

static enum ib_mtu odph_netdev_mtu(struct net_device *ndev)
{
	/* IPv6 (40) + UDP (8) + BTH (12) + largest ext. headers + ICRC. */
	return ib_mtu_int_to_enum(READ_ONCE(ndev->mtu) - 40 - 8 - 12 - 28 - 4);
}

/* The port's active MTU in bytes: UD datagrams are limited by it. */
u32 odph_port_mtu(struct odph_dev *dev)
{
	return ib_mtu_enum_to_int(min(IB_MTU_4096, odph_netdev_mtu(dev->ndev)));
}

static int odph_query_port(struct ib_device *ib, u32 port,
			   struct ib_port_attr *a)
{
	struct odph_dev *dev = to_odph_dev(ib);
	bool up = netif_running(dev->ndev) && netif_carrier_ok(dev->ndev);

	a->state = up ? IB_PORT_ACTIVE : IB_PORT_DOWN;
	a->phys_state = up ? IB_PORT_PHYS_STATE_LINK_UP :
			     IB_PORT_PHYS_STATE_DISABLED;
	a->max_mtu = IB_MTU_4096;
	a->active_mtu = min(IB_MTU_4096, odph_netdev_mtu(dev->ndev));
	a->gid_tbl_len = 1024;
	a->port_cap_flags = IB_PORT_CM_SUP;
	a->max_msg_sz = ODPH_MAX_MSG_SIZE;
	a->bad_pkey_cntr = 0;
	a->qkey_viol_cntr = 0;
	a->pkey_tbl_len = 1;
	a->max_vl_num = 1;
	return ib_get_eth_speed(ib, port, &a->active_speed, &a->active_width);
}

static int odph_get_port_immutable(struct ib_device *ib, u32 port,
				   struct ib_port_immutable *im)
{
	struct ib_port_attr a = {};
	int ret;

	ret = ib_query_port(ib, port, &a);
	if (ret)
		return ret;
	im->pkey_tbl_len = a.pkey_tbl_len;
	im->gid_tbl_len = a.gid_tbl_len;
	im->core_cap_flags = RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP;
	im->max_mad_size = IB_MGMT_MAD_SIZE;
	return 0;
}

static enum rdma_link_layer odph_get_link_layer(struct ib_device *ib, u32 port)
{
	return IB_LINK_LAYER_ETHERNET;
}

static int odph_query_pkey(struct ib_device *ib, u32 port, u16 index,
			   u16 *pkey)
{
	if (index)
		return -EINVAL;
	*pkey = IB_DEFAULT_PKEY_FULL;
	return 0;
}

static struct net_device *odph_get_netdev(struct ib_device *ib, u32 port)
{
	struct net_device *ndev = to_odph_dev(ib)->ndev;

	dev_hold(ndev);
	return ndev;
}

/* ---- user context and mmap ---- */

static int odph_alloc_ucontext(struct ib_ucontext *uctx, struct ib_udata *udata)
{
	return 0;
}

static void odph_dealloc_ucontext(struct ib_ucontext *uctx)
{
}

/*
 * The device goes away (rdma link delete, rmmod) while a process holds a
 * context.  Having this op tells ib_uverbs not to wait for the process:
 * it destroys the context's objects through our verbs (an ODP MR's mirror
 * included), raises IBV_EVENT_DEVICE_FATAL and fails the process's later
 * calls with EIO.  Nothing is left for us to do here: the rings the
 * process mapped (remap_vmalloc_range()) keep their pages through the
 * mapping's own page references, so they stay valid, and idle, until it
 * unmaps them; no hardware state outlives the objects.
 */
static void odph_disassociate_ucontext(struct ib_ucontext *uctx)
{
}

static int odph_mmap(struct ib_ucontext *uctx, struct vm_area_struct *vma)
{
	struct rdma_user_mmap_entry *rdma;
	struct odph_mmap_entry *entry;
	int ret;

	rdma = rdma_user_mmap_entry_get(uctx, vma);
	if (!rdma)
		return -EINVAL;
	entry = container_of(rdma, struct odph_mmap_entry, rdma);
	if (vma->vm_end - vma->vm_start > rdma->npages << PAGE_SHIFT)
		ret = -EINVAL;
	else
		ret = remap_vmalloc_range(vma, entry->buf, 0);
	rdma_user_mmap_entry_put(rdma);
	return ret;
}

static void odph_mmap_free(struct rdma_user_mmap_entry *rdma)
{
	struct odph_mmap_entry *entry =
		container_of(rdma, struct odph_mmap_entry, rdma);

	vfree(entry->buf);
	kfree(entry);
}

/* ---- PD and AH ---- */

static int odph_alloc_pd(struct ib_pd *pd, struct ib_udata *udata)
{
	return 0;
}

static int odph_dealloc_pd(struct ib_pd *pd, struct ib_udata *udata)
{
	return 0;
}

/* Fill @path from a RoCE v2 address handle attribute. */
int odph_path_from_ah(struct odph_dev *dev, struct odph_path *path,
		      const struct rdma_ah_attr *ah)
{
	const struct ib_global_route *grh = rdma_ah_read_grh(ah);
	const struct ib_gid_attr *sgid = grh->sgid_attr;

	if (!(rdma_ah_get_ah_flags(ah) & IB_AH_GRH) || !sgid)
		return -EINVAL;
	if (sgid->gid_type != IB_GID_TYPE_ROCE_UDP_ENCAP)
		return -EINVAL;

	memset(path, 0, sizeof(*path));
	path->family = ipv6_addr_v4mapped((struct in6_addr *)sgid->gid.raw) ?
		       AF_INET : AF_INET6;
	memcpy(&path->saddr, sgid->gid.raw, sizeof(path->saddr));
	memcpy(&path->daddr, grh->dgid.raw, sizeof(path->daddr));
	if (ipv6_addr_v4mapped(&path->daddr) != (path->family == AF_INET))
		return -EINVAL;
	memcpy(path->dmac, ah->roce.dmac, ETH_ALEN);
	path->traffic_class = grh->traffic_class;
	path->hop_limit = grh->hop_limit ? grh->hop_limit : 64;
	path->flow_label = grh->flow_label;
	/* UD: entropy from the destination; RC QPs set theirs from QPNs. */
	path->sport = cpu_to_be16(rdma_flow_label_to_udp_sport(grh->flow_label ?
		: rdma_calc_flow_label(be32_to_cpu(*(__be32 *)&grh->dgid.raw[12]),
				       grh->sgid_index)));
	return 0;
}

static int odph_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init,
			  struct ib_udata *udata)
{
	struct odph_dev *dev = to_odph_dev(ibah->device);
	struct odph_ah *ah = to_odph_ah(ibah);
	struct rxe_create_ah_resp resp = {};
	int ret;

	ret = odph_path_from_ah(dev, &ah->path, init->ah_attr);
	if (ret)
		return ret;
	ret = xa_alloc_cyclic(&dev->ahs, &ah->ah_num, ah, xa_limit_31b,
			      &dev->next_ah, init->flags & RDMA_CREATE_AH_SLEEPABLE ?
			      GFP_KERNEL : GFP_ATOMIC);
	if (ret < 0)
		return ret;
	if (!udata)
		return 0;
	resp.ah_num = ah->ah_num;
	ret = ib_copy_to_udata(udata, &resp, min(udata->outlen, sizeof(resp)));
	if (ret)
		xa_erase(&dev->ahs, ah->ah_num);
	return ret;
}

static int odph_query_ah(struct ib_ah *ibah, struct rdma_ah_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->type = RDMA_AH_ATTR_TYPE_ROCE;
	return 0;
}

static int odph_destroy_ah(struct ib_ah *ibah, u32 flags)
{
	struct odph_ah *ah = to_odph_ah(ibah);

	xa_erase(&to_odph_dev(ibah->device)->ahs, ah->ah_num);
	return 0;
}

/* ---- counters: rdma statistic show link odphN/1 ---- */

static const struct rdma_stat_desc odph_stat_desc[ODPH_CNT_MAX] = {
	[ODPH_CNT_SENT_PKTS] = { "sent_pkts" },
	[ODPH_CNT_RCVD_PKTS] = { "rcvd_pkts" },
	[ODPH_CNT_DROP_SHORT] = { "drop_short" },
	[ODPH_CNT_DROP_ICRC] = { "drop_icrc" },
	[ODPH_CNT_DROP_OPCODE] = { "drop_opcode" },
	[ODPH_CNT_DROP_QPN] = { "drop_qpn" },
	[ODPH_CNT_DROP_PSN] = { "drop_psn" },
	[ODPH_CNT_DROP_OTHER] = { "drop_other" },
	[ODPH_CNT_XMIT_ERR] = { "xmit_err" },
	[ODPH_CNT_RETRANSMITS] = { "retransmits" },
	[ODPH_CNT_RNR_NAK_SENT] = { "rnr_nak_sent" },
	[ODPH_CNT_RNR_NAK_RCVD] = { "rnr_nak_rcvd" },
	[ODPH_CNT_SEQ_NAK_SENT] = { "seq_nak_sent" },
	[ODPH_CNT_ACCESS_NAK_SENT] = { "nak_sent" },
	[ODPH_CNT_TIMEOUTS] = { "timeouts" },
	[ODPH_CNT_DROP_PKEY] = { "drop_pkey" },
	[ODPH_CNT_DROP_SADDR] = { "drop_saddr" },
	[ODPH_CNT_DROP_ACK_PSN] = { "drop_ack_psn" },
};

static struct rdma_hw_stats *odph_alloc_hw_port_stats(struct ib_device *ib,
						      u32 port)
{
	return rdma_alloc_hw_stats_struct(odph_stat_desc, ODPH_CNT_MAX,
					  RDMA_HW_STATS_DEFAULT_LIFESPAN);
}

static int odph_get_hw_stats(struct ib_device *ib, struct rdma_hw_stats *stats,
			     u32 port, int index)
{
	struct odph_dev *dev = to_odph_dev(ib);
	int i;

	for (i = 0; i < ODPH_CNT_MAX; i++)
		stats->value[i] = atomic64_read(&dev->cnt[i]);
	return ODPH_CNT_MAX;
}

static const struct ib_device_ops odph_dev_ops = {
	.owner = THIS_MODULE,
	.driver_id = RDMA_DRIVER_RXE,
	.uverbs_abi_ver = 2,		/* RXE_UVERBS_ABI_VERSION */

	.advise_mr = odph_advise_mr,
	.alloc_hw_port_stats = odph_alloc_hw_port_stats,
	.alloc_mw = odph_alloc_mw,
	.alloc_pd = odph_alloc_pd,
	.alloc_ucontext = odph_alloc_ucontext,
	.create_ah = odph_create_ah,
	.create_cq = odph_create_cq_op,
	.create_qp = odph_create_qp,
	.create_srq = odph_create_srq,
	.create_user_ah = odph_create_ah,
	.dealloc_driver = odph_dealloc_driver,
	.dealloc_mw = odph_dealloc_mw,
	.dealloc_pd = odph_dealloc_pd,
	.dealloc_ucontext = odph_dealloc_ucontext,
	.dereg_mr = odph_dereg_mr,
	.destroy_ah = odph_destroy_ah,
	.destroy_cq = odph_destroy_cq,
	.destroy_qp = odph_destroy_qp,
	.destroy_srq = odph_destroy_srq,
	.disassociate_ucontext = odph_disassociate_ucontext,
	.fill_res_mr_entry = odph_fill_res_mr_entry,
	.fill_stat_mr_entry = odph_fill_stat_mr_entry,
	.get_dma_mr = odph_get_dma_mr,
	.get_hw_stats = odph_get_hw_stats,
	.get_link_layer = odph_get_link_layer,
	.get_netdev = odph_get_netdev,
	.get_port_immutable = odph_get_port_immutable,
	.mmap = odph_mmap,
	.mmap_free = odph_mmap_free,
	.modify_qp = odph_modify_qp,
	.modify_srq = odph_modify_srq,
	.poll_cq = odph_poll_cq,
	.post_recv = odph_post_recv,
	.post_send = odph_post_send,
	.post_srq_recv = odph_post_srq_recv,
	.query_ah = odph_query_ah,
	.query_device = odph_query_device,
	.query_pkey = odph_query_pkey,
	.query_port = odph_query_port,
	.query_qp = odph_query_qp,
	.query_srq = odph_query_srq,
	.reg_user_mr = odph_reg_user_mr,
	.req_notify_cq = odph_req_notify_cq,
	.resize_cq = odph_resize_cq,

	INIT_RDMA_OBJ_SIZE(ib_ah, odph_ah, ib),
	INIT_RDMA_OBJ_SIZE(ib_cq, odph_cq, ib),
	INIT_RDMA_OBJ_SIZE(ib_mw, odph_mw, ib),
	INIT_RDMA_OBJ_SIZE(ib_pd, odph_pd, ib),
	INIT_RDMA_OBJ_SIZE(ib_qp, odph_qp, ib),
	INIT_RDMA_OBJ_SIZE(ib_srq, odph_srq, ib),
	INIT_RDMA_OBJ_SIZE(ib_ucontext, odph_ucontext, ib),
};

void odph_set_device_ops(struct ib_device *ib)
{
	ib_set_device_ops(ib, &odph_dev_ops);
}
