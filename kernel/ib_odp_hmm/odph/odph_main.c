// SPDX-License-Identifier: GPL-2.0
/*
 * odph: module, the "odph" rdma link type and the device life cycle.
 *
 *	rdma link add odph0 type odph netdev veth0
 *	rdma link delete odph0
 *
 * A device lives on one Ethernet netdev and in that netdev's network
 * namespace; it goes away with the netdev.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <net/addrconf.h>
#include <rdma/ib_addr.h>
#include <rdma/rdma_netlink.h>

#include "odph.h"

static LIST_HEAD(odph_devices);
static DEFINE_MUTEX(odph_dev_lock);	/* odph_devices writers */
struct workqueue_struct *odph_wq;

/**
 * odph_dev_from_netdev - the odph device on @ndev, or NULL
 *
 * Caller must be in an RCU read-side section; the device stays valid until
 * it ends.
 */
struct odph_dev *odph_dev_from_netdev(struct net_device *ndev)
{
	struct odph_dev *dev;

	list_for_each_entry_rcu(dev, &odph_devices, list)
		if (dev->ndev == ndev)
			return dev;
	return NULL;
}

void odph_counter_inc(struct odph_dev *dev, enum odph_counter c)
{
	atomic64_inc(&dev->cnt[c]);
}

void odph_dealloc_driver(struct ib_device *ib)
{
	struct odph_dev *dev = to_odph_dev(ib);

	mutex_lock(&odph_dev_lock);
	list_del_rcu(&dev->list);
	mutex_unlock(&odph_dev_lock);
	synchronize_rcu();

	odph_net_dev_close(dev);
	netdev_put(dev->ndev, &dev->ndev_tracker);
	xa_destroy(&dev->qps);
	xa_destroy(&dev->mrs);
	xa_destroy(&dev->ahs);
}

static int odph_init_dev(struct odph_dev *dev, struct net_device *ndev)
{
	dev->ndev = ndev;
	netdev_hold(ndev, &dev->ndev_tracker, GFP_KERNEL);
	xa_init_flags(&dev->qps, XA_FLAGS_ALLOC);
	xa_init_flags(&dev->mrs, XA_FLAGS_ALLOC1);
	xa_init_flags(&dev->ahs, XA_FLAGS_ALLOC1);
	addrconf_addr_eui48((unsigned char *)&dev->ib.node_guid,
			    ndev->dev_addr);
	dev->ib.phys_port_cnt = 1;
	dev->ib.num_comp_vectors = num_possible_cpus();
	dev->ib.node_type = RDMA_NODE_IB_CA;
	dev->ib.local_dma_lkey = 0;
	strscpy(dev->ib.node_desc, "odph", sizeof(dev->ib.node_desc));
	/*
	 * The legacy write() commands librxe uses beyond the core's default
	 * set: POST_SEND is its doorbell, REQ_NOTIFY_CQ arms a CQ.
	 */
	dev->ib.uverbs_cmd_mask |= BIT_ULL(IB_USER_VERBS_CMD_POST_SEND) |
				   BIT_ULL(IB_USER_VERBS_CMD_REQ_NOTIFY_CQ);
	return odph_net_dev_open(dev);
}

static bool odph_netdev_taken(struct net_device *ndev)
{
	bool taken;

	rcu_read_lock();
	taken = odph_dev_from_netdev(ndev);
	rcu_read_unlock();
	return taken;
}

/* rdma link add NAME type odph netdev NDEV */
static int odph_newlink(const char *ibdev_name, struct net_device *ndev)
{
	struct odph_dev *dev;
	int ret;

	if (ndev->type != ARPHRD_ETHER)
		return -EINVAL;
	if (odph_netdev_taken(ndev))
		return -EEXIST;

	dev = ib_alloc_device(odph_dev, ib);
	if (!dev)
		return -ENOMEM;
	ret = odph_init_dev(dev, ndev);
	if (ret)
		goto err_put_ndev;
	/*
	 * No ib_device_set_netdev(): the core would then hand this device to
	 * anyone who looks up RDMA_DRIVER_RXE by netdev, and stock rdma_rxe's
	 * netdev notifier would take it for a struct rxe_dev.  The core finds
	 * the netdev through ops.get_netdev instead.
	 */
	odph_set_device_ops(&dev->ib);

	mutex_lock(&odph_dev_lock);
	list_add_tail_rcu(&dev->list, &odph_devices);
	mutex_unlock(&odph_dev_lock);

	ret = ib_register_device(&dev->ib, ibdev_name, NULL);
	if (ret)
		goto err_unlist;
	return 0;

err_unlist:
	mutex_lock(&odph_dev_lock);
	list_del_rcu(&dev->list);
	mutex_unlock(&odph_dev_lock);
	synchronize_rcu();
	odph_net_dev_close(dev);
err_put_ndev:
	netdev_put(ndev, &dev->ndev_tracker);
	ib_dealloc_device(&dev->ib);
	return ret;
}

static struct rdma_link_ops odph_link_ops = {
	.type = "odph",
	.newlink = odph_newlink,
};

static void odph_port_event(struct odph_dev *dev, enum ib_event_type type)
{
	struct ib_event ev = {
		.device = &dev->ib,
		.element.port_num = ODPH_PORT,
		.event = type,
	};

	ib_dispatch_event(&ev);
}

static int odph_netdev_event(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	struct net_device *ndev = netdev_notifier_info_to_dev(ptr);
	struct odph_dev *dev;
	struct ib_device *ib = NULL;

	rcu_read_lock();
	dev = odph_dev_from_netdev(ndev);
	if (dev && ib_device_try_get(&dev->ib))
		ib = &dev->ib;
	rcu_read_unlock();
	if (!ib)
		return NOTIFY_DONE;

	switch (event) {
	case NETDEV_UNREGISTER:
		ib_unregister_device_queued(ib);
		break;
	case NETDEV_UP:
	case NETDEV_CHANGE:
		if (netif_running(ndev) && netif_carrier_ok(ndev)) {
			odph_port_event(to_odph_dev(ib), IB_EVENT_PORT_ACTIVE);
			break;
		}
		fallthrough;
	case NETDEV_DOWN:
		odph_port_event(to_odph_dev(ib), IB_EVENT_PORT_ERR);
		break;
	}
	ib_device_put(ib);
	return NOTIFY_DONE;
}

static struct notifier_block odph_netdev_nb = {
	.notifier_call = odph_netdev_event,
};

static int __init odph_init(void)
{
	int ret;

	/*
	 * Per-CPU, not unbound: work queued from a softirq runs on that CPU,
	 * so what it sends joins the same veth backlog as what the softirq
	 * sent, in order.  Unbound work sent from the other CPU's backlog,
	 * and the peer saw READ responses and message packets reordered.
	 */
	odph_wq = alloc_workqueue("odph", WQ_MEM_RECLAIM, 0);
	if (!odph_wq)
		return -ENOMEM;
	ret = odph_net_init();
	if (ret)
		goto err_destroy_wq;
	ret = register_netdevice_notifier(&odph_netdev_nb);
	if (ret)
		goto err_net_exit;
	rdma_link_register(&odph_link_ops);
	return 0;

err_net_exit:
	odph_net_exit();
err_destroy_wq:
	destroy_workqueue(odph_wq);
	return ret;
}

/*
 * Unregister our devices one by one: ib_unregister_driver() would take the
 * stock rxe devices too, since both report RDMA_DRIVER_RXE.  A device whose
 * last reference is already gone is being torn down by a queued
 * unregistration (netdev removal); wait for it to leave the list.
 */
static void odph_unregister_all(void)
{
	struct odph_dev *dev;
	bool busy;

	for (;;) {
		mutex_lock(&odph_dev_lock);
		dev = list_first_entry_or_null(&odph_devices, struct odph_dev,
					       list);
		busy = dev && !ib_device_try_get(&dev->ib);
		mutex_unlock(&odph_dev_lock);
		if (!dev)
			return;
		if (busy) {
			msleep(20);
			continue;
		}
		ib_unregister_device_and_put(&dev->ib);
	}
}

static void __exit odph_exit(void)
{
	rdma_link_unregister(&odph_link_ops);
	odph_unregister_all();
	unregister_netdevice_notifier(&odph_netdev_nb);
	odph_net_exit();
	destroy_workqueue(odph_wq);
}

module_init(odph_init);
module_exit(odph_exit);
MODULE_ALIAS_RDMA_LINK("odph");
MODULE_DESCRIPTION("odph: software RoCE v2 NIC with ODP on the ib_odp_hmm mirror core");
MODULE_LICENSE("GPL");
