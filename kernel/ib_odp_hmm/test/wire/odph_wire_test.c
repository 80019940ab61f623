// SPDX-License-Identifier: GPL-2.0
/*
 * odph_wire: test-only module around the odph wire layer (odph_net.c,
 * odph_icrc.c, odph_opcode.c), linked without the verbs and engines.  It
 * stands in for them: fake devices on netdevs (no ib_device), a stub
 * odph_rcv() that logs what it gets, and a command file to drive it.
 *
 * /dev/odph_wire: write one command, read its reply (same open file).
 * Netdev names are looked up in the writer's network namespace.
 *
 *	add IFNAME		a device on IFNAME (opens the namespace socket)
 *	del IFNAME
 *	send IFNAME FAMILY SADDR DADDR SPORT TCLASS HOP FLOW OPCODE QPN PSN
 *	     PAYLEN SEED QKEY SQP [clone|nonlinear|tight|pagedtight]
 *				odph_net_alloc_skb() + odph_net_xmit(); reply
 *				"ok HEX" or "err ERRNO HEX", HEX the bytes
 *				from the BTH on (ext headers and payload are
 *				a pattern from SEED; a DETH gets QKEY/SQP)
 *	rx			every logged odph_rcv() packet, one per line
 *				"rx IFNAME FAMILY SADDR DADDR TCLASS HOP FLOW
 *				LINEAR HEX", then forgets them
 *	cnt IFNAME		the device's counters, "name=value ..."
 *	keep-on-move 0|1	1: a netdev moving to another namespace keeps
 *				its device (and the old namespace's sockets)
 *	icrc HEX		odph_icrc() of a packet from its IP header on,
 *				ICRC included: "icrc COMPUTED STORED PAGED"
 *				(PAGED: the same packet as a paged skb)
 *
 * Build: the Makefile's "wire" target (test/wire/Kbuild).
 */
#include <linux/ctype.h>
#include <linux/inet.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>

#include "odph.h"
#include "odph_compat.h"

#define WT_MAX_CMD	(256 * 1024)
#define WT_MAX_LOG	4096		/* logged packets kept */
#define WT_REPLY_CAP	(8 << 20)

struct wt_dev {
	struct odph_dev od;		/* od.list on wt_devs */
	struct work_struct del_work;
};

struct wt_pkt {
	struct list_head node;
	char ifname[IFNAMSIZ];
	struct odph_rx_info rx;
	bool linear;
	u32 len;
	u8 data[];
};

struct wt_file {
	char *reply;
	size_t reply_len;
	size_t reply_cap;
};

static LIST_HEAD(wt_devs);		/* RCU readers, wt_lock writers */
static DEFINE_MUTEX(wt_lock);		/* wt_devs, commands */
static LIST_HEAD(wt_log);
static unsigned int wt_log_len;
static DEFINE_SPINLOCK(wt_log_lock);
static struct workqueue_struct *wt_wq;
static int wt_keep_on_move;		/* under wt_lock */

/* ------------------------------------------- what the lead's files provide */

struct odph_dev *odph_dev_from_netdev(struct net_device *ndev)
{
	struct odph_dev *od;

	list_for_each_entry_rcu(od, &wt_devs, list)
		if (od->ndev == ndev)
			return od;
	return NULL;
}

void odph_counter_inc(struct odph_dev *dev, enum odph_counter c)
{
	atomic64_inc(&dev->cnt[c]);
}

void odph_rcv(struct odph_dev *dev, struct sk_buff *skb)
{
	struct wt_pkt *p = kmalloc(struct_size(p, data, skb->len), GFP_ATOMIC);
	struct wt_pkt *old = NULL;

	if (p) {
		strscpy(p->ifname, dev->ndev->name, sizeof(p->ifname));
		p->rx = *odph_rx_cb(skb);
		p->linear = !skb_is_nonlinear(skb);
		p->len = skb->len;
		skb_copy_bits(skb, 0, p->data, skb->len);
		spin_lock_bh(&wt_log_lock);
		list_add_tail(&p->node, &wt_log);
		if (++wt_log_len > WT_MAX_LOG) {
			old = list_first_entry(&wt_log, struct wt_pkt, node);
			list_del(&old->node);
			wt_log_len--;
		}
		spin_unlock_bh(&wt_log_lock);
		kfree(old);
	}
	consume_skb(skb);
}

/* ------------------------------------------------------------ devices */

static struct wt_dev *wt_find(struct net *net, const char *ifname)
{
	struct odph_dev *od;

	lockdep_assert_held(&wt_lock);
	list_for_each_entry(od, &wt_devs, list)
		if (net_eq(dev_net(od->ndev), net) &&
		    !strcmp(od->ndev->name, ifname))
			return container_of(od, struct wt_dev, od);
	return NULL;
}

static void wt_free(struct wt_dev *wd)
{
	synchronize_rcu();
	odph_net_dev_close(&wd->od);
	netdev_put(wd->od.ndev, &wd->od.ndev_tracker);
	kfree(wd);
}

static void wt_del_work(struct work_struct *work)
{
	wt_free(container_of(work, struct wt_dev, del_work));
}

static int wt_add(struct net *net, const char *ifname)
{
	struct net_device *ndev;
	struct wt_dev *wd;
	int err;

	if (wt_find(net, ifname))
		return -EEXIST;
	wd = kzalloc(sizeof(*wd), GFP_KERNEL);
	if (!wd)
		return -ENOMEM;
	ndev = dev_get_by_name(net, ifname);
	if (!ndev) {
		err = -ENODEV;
		goto err_free;
	}
	wd->od.ndev = ndev;
	netdev_hold(ndev, &wd->od.ndev_tracker, GFP_KERNEL);
	dev_put(ndev);
	INIT_WORK(&wd->del_work, wt_del_work);
	err = odph_net_dev_open(&wd->od);
	if (err)
		goto err_put;
	list_add_tail_rcu(&wd->od.list, &wt_devs);
	return 0;

err_put:
	netdev_put(ndev, &wd->od.ndev_tracker);
err_free:
	kfree(wd);
	return err;
}

static int wt_del(struct net *net, const char *ifname)
{
	struct wt_dev *wd = wt_find(net, ifname);

	if (!wd)
		return -ENODEV;
	list_del_rcu(&wd->od.list);
	wt_free(wd);
	return 0;
}

/* Like the real driver: a netdev going away (or changing namespace)
 * takes its device with it, asynchronously.
 */
static int wt_netdev_event(struct notifier_block *nb, unsigned long event,
			   void *ptr)
{
	struct net_device *ndev = netdev_notifier_info_to_dev(ptr);
	struct odph_dev *od;

	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	mutex_lock(&wt_lock);
	/* A namespace change unregisters too, but stays registered. */
	if (wt_keep_on_move && ndev->reg_state == NETREG_REGISTERED)
		goto out_unlock;
	list_for_each_entry(od, &wt_devs, list) {
		if (od->ndev == ndev) {
			struct wt_dev *wd = container_of(od, struct wt_dev, od);

			list_del_rcu(&od->list);
			queue_work(wt_wq, &wd->del_work);
			break;
		}
	}
out_unlock:
	mutex_unlock(&wt_lock);
	return NOTIFY_DONE;
}

static struct notifier_block wt_netdev_nb = {
	.notifier_call = wt_netdev_event,
};

/* ------------------------------------------------------------ replies */

static __printf(2, 3) int wt_reply(struct wt_file *f, const char *fmt, ...)
{
	size_t room = f->reply_cap - f->reply_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(f->reply + f->reply_len, room, fmt, ap);
	va_end(ap);
	if (n >= room)
		return -ENOSPC;
	f->reply_len += n;
	return 0;
}

static int wt_reply_hex(struct wt_file *f, const u8 *p, size_t len)
{
	size_t i;

	if (f->reply_cap - f->reply_len < 2 * len + 2)
		return -ENOSPC;
	for (i = 0; i < len; i++)
		f->reply_len += sprintf(f->reply + f->reply_len, "%02x", p[i]);
	return 0;
}

static int wt_reply_addr(struct wt_file *f, int family,
			 const struct in6_addr *a)
{
	if (family == AF_INET)
		return wt_reply(f, " %pI4", &a->s6_addr32[3]);
	return wt_reply(f, " %pI6c", a);
}

/* ------------------------------------------------------------ commands */

/* An IPv6 address, or IPv4 as v4-mapped. */
static int wt_parse_addr(const char *s, struct in6_addr *a)
{
	__be32 v4;

	if (!strchr(s, ':')) {
		if (!in4_pton(s, -1, (u8 *)&v4, -1, NULL))
			return -EINVAL;
		ipv6_addr_set_v4mapped(v4, a);
		return 0;
	}
	return in6_pton(s, -1, a->s6_addr, -1, NULL) ? 0 : -EINVAL;
}

struct wt_send {
	char ifname[IFNAMSIZ], sa[64], da[64], mode[16];
	int family, sport, tclass, hop, flow, opcode, qpn, psn, paylen, seed;
	unsigned int qkey, sqp;
};

/* FAMILY is 4, 6, or any other number to pass on as is (bad family). */
static int wt_send_parse(const char *cmd, struct wt_send *s,
			 struct odph_path *path)
{
	int n;

	memset(s, 0, sizeof(*s));
	n = sscanf(cmd, "send %15s %i %63s %63s %i %i %i %i %i %i %i %i %i %x %x %15s",
		   s->ifname, &s->family, s->sa, s->da, &s->sport, &s->tclass,
		   &s->hop, &s->flow, &s->opcode, &s->qpn, &s->psn, &s->paylen,
		   &s->seed, &s->qkey, &s->sqp, s->mode);
	if (n < 15 || s->opcode < 0 || s->opcode > 255 || s->tclass < 0 ||
	    s->tclass > 255 || s->hop < 0 || s->hop > 255 || s->sport < 0 ||
	    s->sport > 0xffff || s->paylen < 0 || s->paylen > 0x10000)
		return -EINVAL;
	memset(path, 0, sizeof(*path));
	path->family = s->family == 4 ? AF_INET :
		       s->family == 6 ? AF_INET6 : s->family;
	if (wt_parse_addr(s->sa, &path->saddr) ||
	    wt_parse_addr(s->da, &path->daddr))
		return -EINVAL;
	path->traffic_class = s->tclass;
	path->hop_limit = s->hop;
	path->flow_label = s->flow;
	path->sport = htons(s->sport);
	return 0;
}

/* BTH, extended headers and payload as a pattern, DETH from @s. */
static void wt_send_fill(u8 *p, unsigned int len, const struct wt_send *s)
{
	const struct odph_opcode_info *info = &odph_opcode_info[s->opcode];
	unsigned int hdr_len = info->name ? info->hdr_len : 12;
	unsigned int pad = (4 - (s->paylen & 3)) & 3;
	struct odph_bth *bth = (struct odph_bth *)p;
	unsigned int i;

	for (i = sizeof(*bth); i < hdr_len + s->paylen; i++)
		p[i] = s->seed + i * 7;
	bth->opcode = s->opcode;
	bth->flags = pad << ODPH_BTH_PAD_SHIFT;
	bth->pkey = cpu_to_be16(0xffff);
	bth->qpn = cpu_to_be32(s->qpn & ODPH_QPN_MASK);
	bth->apsn = cpu_to_be32(s->psn & ODPH_PSN_MASK);
	if (info->mask & ODPH_DETH) {
		struct odph_deth *deth = (void *)(p + odph_hdr_offset(info->mask,
								ODPH_DETH));

		deth->qkey = cpu_to_be32(s->qkey);
		deth->sqp = cpu_to_be32(s->sqp & ODPH_QPN_MASK);
	}
}

/* Move all but the first @keep bytes of a linear @skb into a page. */
static int wt_make_paged(struct sk_buff *skb, unsigned int keep)
{
	unsigned int rest = skb->len - keep;
	struct page *page;

	if (rest > PAGE_SIZE)
		return -EINVAL;
	page = alloc_page(GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	memcpy(page_address(page), skb->data + keep, rest);
	__skb_trim(skb, keep);
	skb_add_rx_frag(skb, 0, page, 0, rest, PAGE_SIZE);
	return 0;
}

/* @skb as a full linear part (no head- or tailroom) and a page frag. */
static struct sk_buff *wt_paged_tight(struct sk_buff *skb)
{
	struct sk_buff *t = alloc_skb(16, GFP_KERNEL);
	unsigned int lin, rest;
	struct page *page;

	lin = t ? min_t(unsigned int, skb->len - 1, skb_tailroom(t)) : 0;
	rest = skb->len - lin;
	page = t && skb->len > 1 && rest <= PAGE_SIZE ?
	       alloc_page(GFP_KERNEL) : NULL;
	if (page) {
		skb_put_data(t, skb->data, lin);
		memcpy(page_address(page), skb->data + lin, rest);
		skb_add_rx_frag(t, 0, page, 0, rest, PAGE_SIZE);
	} else {
		kfree_skb(t);
		t = NULL;
	}
	kfree_skb(skb);
	return t;
}

/* @skb without head- or tailroom to spare. */
static struct sk_buff *wt_tight_copy(struct sk_buff *skb)
{
	struct sk_buff *t = alloc_skb(skb->len, GFP_KERNEL);

	if (t)
		skb_put_data(t, skb->data, skb->len);
	kfree_skb(skb);
	return t;
}

static int wt_cmd_send(struct wt_file *f, struct net *net, const char *cmd)
{
	const struct odph_opcode_info *info;
	struct sk_buff *skb, *clone = NULL;
	struct odph_path path;
	struct wt_send s;
	unsigned int len;
	struct wt_dev *wd;
	u8 *copy;
	int err;

	err = wt_send_parse(cmd, &s, &path);
	if (err)
		return err;
	wd = wt_find(net, s.ifname);
	if (!wd)
		return -ENODEV;
	info = &odph_opcode_info[s.opcode];
	len = (info->name ? info->hdr_len : 12) + s.paylen +
	      ((4 - (s.paylen & 3)) & 3);
	skb = odph_net_alloc_skb(&wd->od, &path, len);
	if (!skb) {
		/* A bad path, for odph_net_xmit() to refuse: any buffer. */
		struct odph_path v6 = { .family = AF_INET6 };

		skb = odph_net_alloc_skb(&wd->od, &v6, len);
	}
	if (!skb)
		return -ENOMEM;
	memset(skb->data, 0, len);	/* the pad bytes stay zero */
	wt_send_fill(skb->data, len, &s);
	copy = kmemdup(skb->data, len, GFP_KERNEL);
	if (!copy) {
		kfree_skb(skb);
		return -ENOMEM;
	}

	err = 0;
	if (!strcmp(s.mode, "nonlinear") && len > 16)
		err = wt_make_paged(skb, 16);
	else if (!strcmp(s.mode, "tight"))
		skb = wt_tight_copy(skb);
	else if (!strcmp(s.mode, "pagedtight"))
		skb = wt_paged_tight(skb);
	else if (!strcmp(s.mode, "clone"))
		clone = skb_clone(skb, GFP_KERNEL);
	if (!skb || err) {
		kfree_skb(skb);
		kfree(copy);
		return err ?: -ENOMEM;
	}

	err = odph_net_xmit(&wd->od, &path, skb);
	/* clone: the original went out; now its clone, sharing the data. */
	if (!err && clone)
		err = odph_net_xmit(&wd->od, &path, clone);
	else if (clone)
		kfree_skb(clone);

	if (err)
		wt_reply(f, "err %d ", err);
	else
		wt_reply(f, "ok ");
	wt_reply_hex(f, copy, len);
	wt_reply(f, "\n");
	kfree(copy);
	return 0;
}

static int wt_cmd_rx(struct wt_file *f)
{
	struct wt_pkt *p, *tmp;
	LIST_HEAD(list);
	int err = 0;

	spin_lock_bh(&wt_log_lock);
	list_splice_init(&wt_log, &list);
	wt_log_len = 0;
	spin_unlock_bh(&wt_log_lock);

	list_for_each_entry_safe(p, tmp, &list, node) {
		if (!err) {
			err = wt_reply(f, "rx %s %d", p->ifname,
				       p->rx.family == AF_INET ? 4 : 6);
			err = err ?: wt_reply_addr(f, p->rx.family,
						   &p->rx.saddr);
			err = err ?: wt_reply_addr(f, p->rx.family,
						   &p->rx.daddr);
			err = err ?: wt_reply(f, " %u %u %u %d ",
					      p->rx.traffic_class,
					      p->rx.hop_limit,
					      p->rx.flow_label, p->linear);
			err = err ?: wt_reply_hex(f, p->data, p->len);
			err = err ?: wt_reply(f, "\n");
		}
		kfree(p);
	}
	return err;
}

static const char * const wt_cnt_names[ODPH_CNT_MAX] = {
	[ODPH_CNT_SENT_PKTS] = "sent",
	[ODPH_CNT_RCVD_PKTS] = "rcvd",
	[ODPH_CNT_DROP_SHORT] = "short",
	[ODPH_CNT_DROP_ICRC] = "icrc",
	[ODPH_CNT_DROP_OPCODE] = "opcode",
	[ODPH_CNT_DROP_QPN] = "qpn",
	[ODPH_CNT_DROP_PSN] = "psn",
	[ODPH_CNT_DROP_OTHER] = "other",
	[ODPH_CNT_XMIT_ERR] = "xmit_err",
	[ODPH_CNT_DROP_ACK_PSN] = "ack_psn",
};

static int wt_cmd_cnt(struct wt_file *f, struct net *net, const char *ifname)
{
	struct wt_dev *wd = wt_find(net, ifname);
	int i, err = 0;

	if (!wd)
		return -ENODEV;
	for (i = 0; i < ODPH_CNT_MAX && !err; i++)
		if (wt_cnt_names[i])
			err = wt_reply(f, "%s=%lld ", wt_cnt_names[i],
				       atomic64_read(&wd->od.cnt[i]));
	return err ?: wt_reply(f, "\n");
}

static int wt_cmd_icrc(struct wt_file *f, const char *hex)
{
	size_t len = strlen(hex) / 2;
	struct sk_buff *skb;
	u32 linear, paged, stored;
	int err;

	if (len < 4 || len > PAGE_SIZE)
		return -EINVAL;
	skb = alloc_skb(len, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	if (hex2bin(skb_put(skb, len), hex, len)) {
		kfree_skb(skb);
		return -EINVAL;
	}
	stored = get_unaligned_le32(skb->data + len - 4);
	linear = odph_icrc(skb);
	/* Split inside the IP header: headers and payload cross frags. */
	err = wt_make_paged(skb, min_t(size_t, len, 7));
	paged = err ? 0 : odph_icrc(skb);
	kfree_skb(skb);
	return wt_reply(f, "icrc %08x %08x %08x\n", linear, stored, paged);
}

static int wt_exec(struct wt_file *f, char *cmd)
{
	struct net *net = current->nsproxy->net_ns;
	char ifname[IFNAMSIZ];
	int err;

	strim(cmd);
	mutex_lock(&wt_lock);
	if (sscanf(cmd, "add %15s", ifname) == 1)
		err = wt_add(net, ifname) ?: wt_reply(f, "ok\n");
	else if (sscanf(cmd, "del %15s", ifname) == 1)
		err = wt_del(net, ifname) ?: wt_reply(f, "ok\n");
	else if (!strncmp(cmd, "send ", 5))
		err = wt_cmd_send(f, net, cmd);
	else if (!strcmp(cmd, "rx"))
		err = wt_cmd_rx(f);
	else if (sscanf(cmd, "cnt %15s", ifname) == 1)
		err = wt_cmd_cnt(f, net, ifname);
	else if (sscanf(cmd, "keep-on-move %i", &wt_keep_on_move) == 1)
		err = wt_reply(f, "ok\n");
	else if (!strncmp(cmd, "icrc ", 5))
		err = wt_cmd_icrc(f, cmd + 5);
	else
		err = -EINVAL;
	mutex_unlock(&wt_lock);
	return err;
}

/* ------------------------------------------------------------ the file */

static int wt_open(struct inode *inode, struct file *file)
{
	struct wt_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	file->private_data = f;
	return nonseekable_open(inode, file);
}

static int wt_release(struct inode *inode, struct file *file)
{
	struct wt_file *f = file->private_data;

	kvfree(f->reply);
	kfree(f);
	return 0;
}

static ssize_t wt_write(struct file *file, const char __user *buf,
			size_t count, loff_t *ppos)
{
	struct wt_file *f = file->private_data;
	char *cmd;
	int err;

	if (count > WT_MAX_CMD)
		return -E2BIG;
	cmd = memdup_user_nul(buf, count);
	if (IS_ERR(cmd))
		return PTR_ERR(cmd);
	kvfree(f->reply);
	f->reply_len = 0;
	f->reply = kvmalloc(WT_REPLY_CAP, GFP_KERNEL);
	f->reply_cap = f->reply ? WT_REPLY_CAP : 0;
	err = f->reply ? wt_exec(f, cmd) : -ENOMEM;
	kfree(cmd);
	if (err) {
		f->reply_len = 0;
		if (f->reply)
			wt_reply(f, "err %d\n", err);
	}
	*ppos = 0;
	return count;
}

static ssize_t wt_read(struct file *file, char __user *buf, size_t count,
		       loff_t *ppos)
{
	struct wt_file *f = file->private_data;

	if (!f->reply)
		return 0;
	return simple_read_from_buffer(buf, count, ppos, f->reply,
				       f->reply_len);
}

static const struct file_operations wt_fops = {
	.owner = THIS_MODULE,
	.open = wt_open,
	.release = wt_release,
	.read = wt_read,
	.write = wt_write,
};

static struct miscdevice wt_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "odph_wire",
	.fops = &wt_fops,
	.mode = 0600,
};

/* ------------------------------------------------------------ module */

static void wt_del_all(void)
{
	struct odph_dev *od, *tmp;

	mutex_lock(&wt_lock);
	list_for_each_entry_safe(od, tmp, &wt_devs, list) {
		list_del_rcu(&od->list);
		wt_free(container_of(od, struct wt_dev, od));
	}
	mutex_unlock(&wt_lock);
}

static int __init wt_init(void)
{
	int err;

	wt_wq = alloc_workqueue("odph_wire", 0, 0);
	if (!wt_wq)
		return -ENOMEM;
	err = odph_net_init();
	if (err)
		goto err_destroy_wq;
	err = register_netdevice_notifier(&wt_netdev_nb);
	if (err)
		goto err_net_exit;
	err = misc_register(&wt_misc);
	if (err)
		goto err_unregister_nb;
	return 0;

err_unregister_nb:
	unregister_netdevice_notifier(&wt_netdev_nb);
err_net_exit:
	odph_net_exit();
err_destroy_wq:
	destroy_workqueue(wt_wq);
	return err;
}

static void __exit wt_exit(void)
{
	struct wt_pkt *p, *tmp;

	misc_deregister(&wt_misc);
	unregister_netdevice_notifier(&wt_netdev_nb);
	wt_del_all();
	destroy_workqueue(wt_wq);	/* the queued deletions run first */
	odph_net_exit();
	list_for_each_entry_safe(p, tmp, &wt_log, node)
		kfree(p);
}

module_init(wt_init);
module_exit(wt_exit);
MODULE_DESCRIPTION("odph wire layer test module (fake devices, stub odph_rcv)");
MODULE_LICENSE("GPL");
