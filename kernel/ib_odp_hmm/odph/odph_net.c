// SPDX-License-Identifier: GPL-2.0
/*
 * odph wire layer: RoCE v2 packets over UDP/IPv4 and UDP/IPv6 (port 4791)
 * in the network namespace of each device's netdev.
 *
 * Receive: every namespace with at least one odph device has a pair of
 * kernel UDP sockets bound to port 4791 (IPv4, and IPv6-only), created
 * when its first device opens and released when its last one closes.
 * Their encap_rcv hook validates a packet (lengths, BTH version, opcode,
 * ICRC), records where it came from in odph_rx_cb() and hands it, pulled
 * to the BTH with the ICRC trimmed, to odph_rcv() of the device on the
 * netdev it arrived on.
 *
 * Transmit: the engines build a packet from the BTH on in a buffer from
 * odph_net_alloc_skb(); odph_net_xmit() adds the UDP and IP headers and
 * the ICRC, routes it in the device's namespace and sends it with
 * ip_local_out() / ip6_local_out().  A packet to an address of the
 * namespace itself never reaches the network: it goes through the same
 * receive validation straight to the odph device owning that address.
 *
 * The stock rdma_rxe owns port 4791 in init_net as soon as it is loaded,
 * so an odph device in init_net cannot open while rdma_rxe is loaded.
 */
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include "odph_compat.h"
#include <net/dsfield.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/ipv6_stubs.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/route.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>

#include "odph.h"

/*
 * The UDP sockets of one namespace, shared by the odph devices whose
 * netdevs are there.  Allocated apart from the namespace's own data so
 * that a device whose netdev has left a namespace that then died can
 * still drop its reference: the namespace's exit releases the sockets
 * and detaches them (pn = NULL), the last device frees this.
 */
struct odph_net_socks {
	struct socket *sk4;
	struct socket *sk6;		/* NULL without IPv6 */
	unsigned int users;		/* devices holding this */
	struct odph_pernet *pn;		/* NULL once the namespace exited */
};

/* Per network namespace (net_generic()). */
struct odph_pernet {
	struct odph_net_socks *socks;
};

static unsigned int odph_net_id __read_mostly;

/* Protects every odph_net_socks and odph_pernet. */
static DEFINE_MUTEX(odph_net_lock);

#define ODPH_UDP_ENCAP_TYPE	1	/* any non-zero type routes to encap_rcv */
#define ODPH_DEFAULT_HOP_LIMIT	64
#define ODPH_MAX_LEN		(U16_MAX - sizeof(struct ipv6hdr) - \
				 sizeof(struct udphdr) - ODPH_ICRC_SIZE)

/* ---------------------------------------------------------------- receive */

/* The IP header ends where the UDP header starts, and UDP is next. */
static bool odph_net_ip_ok(struct sk_buff *skb)
{
	unsigned int ip_len = skb_transport_header(skb) -
			      skb_network_header(skb);

	switch (ip_hdr(skb)->version) {
	case 4:
		return ip_len >= sizeof(struct iphdr) &&
		       ip_len == ip_hdr(skb)->ihl * 4U &&
		       ip_hdr(skb)->protocol == IPPROTO_UDP;
	case 6:
		return ip_len == sizeof(struct ipv6hdr) &&
		       ipv6_hdr(skb)->nexthdr == IPPROTO_UDP;
	default:
		return false;
	}
}

/* Trim @skb to its UDP length; false if it is shorter than that. */
static bool odph_net_udp_len_ok(struct sk_buff *skb)
{
	unsigned int ulen;

	if (skb->len < sizeof(struct udphdr))
		return false;
	ulen = ntohs(udp_hdr(skb)->len);
	if (ulen < sizeof(struct udphdr) || ulen > skb->len)
		return false;
	__skb_trim(skb, ulen);
	return true;
}

/* Does the ICRC at the end of @skb (data at the UDP header) match? */
static bool odph_net_icrc_ok(struct sk_buff *skb)
{
	unsigned int ip_len = skb_transport_header(skb) -
			      skb_network_header(skb);
	u32 icrc;

	__skb_push(skb, ip_len);
	icrc = odph_icrc(skb);
	__skb_pull(skb, ip_len);
	return icrc == get_unaligned_le32(skb_tail_pointer(skb) -
					  ODPH_ICRC_SIZE);
}

/*
 * odph_net_check - validate a packet whose skb->data is at its UDP header
 *
 * Linearizes @skb (the engines read headers and payload in place).
 * Return: ODPH_CNT_MAX for a good packet, else the counter of its fault.
 */
static enum odph_counter odph_net_check(struct sk_buff *skb)
{
	const struct odph_opcode_info *info;
	const struct odph_bth *bth;
	unsigned int len;

	if (skb_linearize(skb) || !odph_net_ip_ok(skb) ||
	    skb->data != skb_transport_header(skb))
		return ODPH_CNT_DROP_OTHER;
	if (!odph_net_udp_len_ok(skb))
		return ODPH_CNT_DROP_SHORT;

	len = skb->len - sizeof(struct udphdr);	/* BTH to ICRC included */
	if (len < sizeof(*bth) + ODPH_ICRC_SIZE)
		return ODPH_CNT_DROP_SHORT;
	bth = (const struct odph_bth *)(skb->data + sizeof(struct udphdr));
	if (bth->flags & 0x0f)			/* TVer */
		return ODPH_CNT_DROP_OTHER;
	info = &odph_opcode_info[bth->opcode];
	if (!info->name)
		return ODPH_CNT_DROP_OPCODE;
	if (len < info->hdr_len + odph_bth_pad(bth) + ODPH_ICRC_SIZE)
		return ODPH_CNT_DROP_SHORT;
	if (!odph_net_icrc_ok(skb))
		return ODPH_CNT_DROP_ICRC;
	return ODPH_CNT_MAX;
}

/* Record the IP addresses and header fields of a checked packet. */
static void odph_net_fill_rx_info(struct sk_buff *skb)
{
	struct odph_rx_info *rx = odph_rx_cb(skb);

	memset(rx, 0, sizeof(*rx));
	if (ip_hdr(skb)->version == 4) {
		const struct iphdr *ip = ip_hdr(skb);

		rx->family = AF_INET;
		ipv6_addr_set_v4mapped(ip->saddr, &rx->saddr);
		ipv6_addr_set_v4mapped(ip->daddr, &rx->daddr);
		rx->traffic_class = ip->tos;
		rx->hop_limit = ip->ttl;
	} else {
		const struct ipv6hdr *ip6 = ipv6_hdr(skb);

		rx->family = AF_INET6;
		rx->saddr = ip6->saddr;
		rx->daddr = ip6->daddr;
		rx->traffic_class = ipv6_get_dsfield(ip6);
		rx->hop_limit = ip6->hop_limit;
		rx->flow_label = be32_to_cpu(ip6_flowlabel(ip6));
	}
}

/*
 * odph_net_rcv - check a packet for @dev and pass it to odph_rcv()
 * @skb: skb->data at the UDP header, network and transport headers set
 *
 * Caller must hold rcu_read_lock() (it keeps @dev alive) with BHs
 * disabled, as the UDP receive path does.  Consumes @skb.
 */
static void odph_net_rcv(struct odph_dev *dev, struct sk_buff *skb)
{
	enum odph_counter fault = odph_net_check(skb);

	if (fault != ODPH_CNT_MAX) {
		odph_counter_inc(dev, fault);
		kfree_skb(skb);
		return;
	}
	odph_net_fill_rx_info(skb);
	/* The engines may keep the skb past this RCU section. */
	skb_dst_drop(skb);
	nf_reset_ct(skb);
	__skb_pull(skb, sizeof(struct udphdr));
	__skb_trim(skb, skb->len - ODPH_ICRC_SIZE);
	odph_counter_inc(dev, ODPH_CNT_RCVD_PKTS);
	odph_rcv(dev, skb);
}

/* encap_rcv of our sockets: softirq, RCU held by the UDP stack. */
static int odph_net_encap_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct odph_dev *dev;

	rcu_read_lock();
	dev = odph_dev_from_netdev(skb->dev);
	if (dev)
		odph_net_rcv(dev, skb);
	else
		kfree_skb(skb);
	rcu_read_unlock();
	return 0;
}

/* ---------------------------------------------------------------- sockets */

static struct socket *odph_net_sock_open(struct net *net, int family)
{
	struct udp_tunnel_sock_cfg tnl = {
		.encap_type = ODPH_UDP_ENCAP_TYPE,
		.encap_rcv = odph_net_encap_rcv,
	};
	struct udp_port_cfg cfg = {
		.family = family,
		.local_udp_port = htons(ODPH_ROCE_V2_PORT),
		/*
		 * IPv6: not dual stack, and zero UDP checksums accepted
		 * (RFC 6935), because rdma_rxe sends them.
		 */
		.ipv6_v6only = family == AF_INET6,
		.use_udp6_rx_checksums = 0,
	};
	struct socket *sock;
	int err;

	err = udp_sock_create(net, &cfg, &sock);
	if (err)
		return ERR_PTR(err);
	setup_udp_tunnel_sock(net, sock, &tnl);
	return sock;
}

/* Caller must hold odph_net_lock. */
static void odph_net_socks_release(struct odph_net_socks *socks)
{
	lockdep_assert_held(&odph_net_lock);
	if (socks->sk6)
		udp_tunnel_sock_release(socks->sk6);
	if (socks->sk4)
		udp_tunnel_sock_release(socks->sk4);
	socks->sk4 = NULL;
	socks->sk6 = NULL;
}

/* Caller must hold odph_net_lock. */
static struct odph_net_socks *odph_net_socks_create(struct net *net)
{
	struct odph_net_socks *socks;
	struct socket *sock;
	int err;

	lockdep_assert_held(&odph_net_lock);
	socks = kzalloc(sizeof(*socks), GFP_KERNEL);
	if (!socks)
		return ERR_PTR(-ENOMEM);

	sock = odph_net_sock_open(net, AF_INET);
	if (IS_ERR(sock)) {
		err = PTR_ERR(sock);
		goto err_free;
	}
	socks->sk4 = sock;

	/* IPv6 disabled at boot or not built: IPv4 only. */
	sock = odph_net_sock_open(net, AF_INET6);
	if (IS_ERR(sock) && PTR_ERR(sock) != -EAFNOSUPPORT &&
	    PTR_ERR(sock) != -EPFNOSUPPORT) {
		err = PTR_ERR(sock);
		goto err_release;
	}
	socks->sk6 = IS_ERR(sock) ? NULL : sock;
	return socks;

err_release:
	odph_net_socks_release(socks);
err_free:
	kfree(socks);
	return ERR_PTR(err);
}

/**
 * odph_net_dev_open - take @dev's reference on its namespace's sockets
 * @dev: a device whose ndev is set
 *
 * The first device of a namespace creates the sockets.  Sleeps.
 * Return: 0, or -errno (-EADDRINUSE: port 4791 is taken there, e.g. by
 * rdma_rxe in init_net; -ENODEV: the namespace is going away).
 */
int odph_net_dev_open(struct odph_dev *dev)
{
	struct net *net = dev_net(dev->ndev);
	struct odph_pernet *pn = net_generic(net, odph_net_id);
	struct odph_net_socks *socks;
	int err = 0;

	mutex_lock(&odph_net_lock);
	socks = pn->socks;
	if (!socks) {
		/* After its exit a dying namespace must get no sockets. */
		socks = check_net(net) ? odph_net_socks_create(net) :
					 ERR_PTR(-ENODEV);
		if (IS_ERR(socks)) {
			err = PTR_ERR(socks);
			goto out_unlock;
		}
		socks->pn = pn;
		pn->socks = socks;
	}
	socks->users++;
	dev->sock = socks;
out_unlock:
	mutex_unlock(&odph_net_lock);
	return err;
}

/**
 * odph_net_dev_close - drop @dev's reference taken by odph_net_dev_open()
 * @dev: the device; nothing happens if it holds no reference
 *
 * The last device of a namespace releases the sockets (this waits for an
 * RCU grace period, so no packet is in our receive hook afterwards).
 * Call it once the device can no longer be found by
 * odph_dev_from_netdev().  Sleeps.
 */
void odph_net_dev_close(struct odph_dev *dev)
{
	struct odph_net_socks *socks;

	mutex_lock(&odph_net_lock);
	socks = dev->sock;
	dev->sock = NULL;
	if (socks && !--socks->users) {
		if (socks->pn)
			socks->pn->socks = NULL;
		odph_net_socks_release(socks);
		kfree(socks);
	}
	mutex_unlock(&odph_net_lock);
}

static void __net_exit odph_net_exit_net(struct net *net)
{
	struct odph_pernet *pn = net_generic(net, odph_net_id);
	struct odph_net_socks *socks;

	mutex_lock(&odph_net_lock);
	socks = pn->socks;
	if (socks) {
		/* A device whose netdev left the namespace still holds it. */
		odph_net_socks_release(socks);
		socks->pn = NULL;
		pn->socks = NULL;
	}
	mutex_unlock(&odph_net_lock);
}

static struct pernet_operations odph_net_ops = {
	.exit = odph_net_exit_net,
	.id = &odph_net_id,
	.size = sizeof(struct odph_pernet),
};

/**
 * odph_net_init - register the per-namespace state
 *
 * As a pernet subsystem: a namespace's exit runs after its netdevs (and
 * with them, normally, their odph devices) are gone.
 * Return: 0 or -errno.
 */
int odph_net_init(void)
{
	return register_pernet_subsys(&odph_net_ops);
}

/**
 * odph_net_exit - unregister the per-namespace state
 *
 * Call after every device is closed; releases whatever sockets are left.
 */
void odph_net_exit(void)
{
	unregister_pernet_subsys(&odph_net_ops);
}

/* --------------------------------------------------------------- transmit */

static unsigned int odph_net_ip_hdr_len(int family)
{
	return family == AF_INET ? sizeof(struct iphdr) :
				   sizeof(struct ipv6hdr);
}

static unsigned int odph_net_headroom(struct odph_dev *dev, int family)
{
	return LL_RESERVED_SPACE(dev->ndev) + odph_net_ip_hdr_len(family) +
	       sizeof(struct udphdr);
}

static bool odph_net_path_ok(const struct odph_path *path)
{
	switch (path->family) {
	case AF_INET:
		return ipv6_addr_v4mapped(&path->saddr) &&
		       ipv6_addr_v4mapped(&path->daddr);
	case AF_INET6:
		return IS_ENABLED(CONFIG_IPV6);
	default:
		return false;
	}
}

/**
 * odph_net_alloc_skb - a packet buffer for odph_net_xmit()
 * @dev: the sending device
 * @path: where the packet goes (its family sizes the headroom)
 * @len: bytes from the BTH on (headers, payload, pad; not the ICRC)
 *
 * Headroom is reserved for the link, IP and UDP headers and tailroom for
 * the ICRC.  skb->data points at the BTH and skb->len == @len.  The @len
 * bytes are not initialised: the caller writes every one of them (the
 * payload is copied in right after, so zeroing it first would double the
 * cost of a full packet).  Atomic: callable under spinlocks and in softirq.
 * Return: the skb, or NULL (no memory, bad family, @len too large).
 */
struct sk_buff *odph_net_alloc_skb(struct odph_dev *dev,
				   const struct odph_path *path,
				   unsigned int len)
{
	unsigned int head;
	struct sk_buff *skb;

	if (!odph_net_path_ok(path) || len > ODPH_MAX_LEN)
		return NULL;
	head = odph_net_headroom(dev, path->family);
	skb = alloc_skb(head + len + ODPH_ICRC_SIZE, GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, head);
	skb_put(skb, len);
	skb->protocol = path->family == AF_INET ? htons(ETH_P_IP) :
						  htons(ETH_P_IPV6);
	return skb;
}

/*
 * Make @skb linear, writable, with headroom for the headers and the ICRC
 * appended (its value still to compute).
 */
static int odph_net_make_room(struct odph_dev *dev, int family,
			      struct sk_buff *skb)
{
	int head, tail;

	if (skb->len > ODPH_MAX_LEN)
		return -EMSGSIZE;
	if (skb_linearize(skb))
		return -ENOMEM;
	head = (int)odph_net_headroom(dev, family) - (int)skb_headroom(skb);
	tail = ODPH_ICRC_SIZE - (int)skb_tailroom(skb);
	if ((head > 0 || tail > 0 || skb_cloned(skb)) &&
	    pskb_expand_head(skb, max(head, 0), max(tail, 0), GFP_ATOMIC))
		return -ENOMEM;
	skb_put(skb, ODPH_ICRC_SIZE);
	return 0;
}

static void odph_net_push_udp(struct sk_buff *skb,
			      const struct odph_path *path)
{
	struct udphdr *uh;

	__skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh = udp_hdr(skb);
	uh->source = path->sport;
	uh->dest = htons(ODPH_ROCE_V2_PORT);
	uh->len = htons(skb->len);
	uh->check = 0;			/* filled by odph_net_output() */
}

static void odph_net_push_ip4(struct net *net, struct sk_buff *skb,
			      const struct odph_path *path)
{
	struct iphdr *ip;

	__skb_push(skb, sizeof(*ip));
	skb_reset_network_header(skb);
	ip = ip_hdr(skb);
	ip->version = 4;
	ip->ihl = sizeof(*ip) / 4;
	ip->tos = path->traffic_class;
	ip->tot_len = htons(skb->len);
	ip->frag_off = htons(IP_DF);
	ip->ttl = path->hop_limit ?: ODPH_DEFAULT_HOP_LIMIT;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = path->saddr.s6_addr32[3];
	ip->daddr = path->daddr.s6_addr32[3];
	ip_select_ident(net, skb, NULL);	/* 0: DF set, no socket */
	ip_send_check(ip);
	skb->protocol = htons(ETH_P_IP);
}

static void odph_net_push_ip6(struct sk_buff *skb,
			      const struct odph_path *path)
{
	struct ipv6hdr *ip6;

	__skb_push(skb, sizeof(*ip6));
	skb_reset_network_header(skb);
	ip6 = ipv6_hdr(skb);
	ip6_flow_hdr(ip6, path->traffic_class,
		     cpu_to_be32(path->flow_label) & IPV6_FLOWLABEL_MASK);
	ip6->payload_len = htons(skb->len - sizeof(*ip6));
	ip6->nexthdr = IPPROTO_UDP;
	ip6->hop_limit = path->hop_limit ?: ODPH_DEFAULT_HOP_LIMIT;
	ip6->saddr = path->saddr;
	ip6->daddr = path->daddr;
	skb->protocol = htons(ETH_P_IPV6);
}

/*
 * Put the UDP and IP headers in front of @skb (made room for, ICRC slot
 * appended) and fill in the ICRC.  skb->data ends at the IP header.
 */
static void odph_net_build(struct net *net, const struct odph_path *path,
			   struct sk_buff *skb)
{
	odph_net_push_udp(skb, path);
	if (path->family == AF_INET)
		odph_net_push_ip4(net, skb, path);
	else
		odph_net_push_ip6(skb, path);
	put_unaligned_le32(odph_icrc(skb),
			   skb_tail_pointer(skb) - ODPH_ICRC_SIZE);
}

/* The netdev that has @addr (of @family) in @net, or NULL.  RCU. */
static struct net_device *odph_net_addr_dev(struct net *net, int family,
					    const struct in6_addr *addr)
{
	struct net_device *ndev;

	if (family == AF_INET)
		return __ip_dev_find(net, addr->s6_addr32[3], false);
	ndev = ipv6_stub->ipv6_dev_find(net, addr, NULL);
	return IS_ERR(ndev) ? NULL : ndev;
}

/*
 * odph_net_loopback - deliver a packet to the odph device on @owner
 *
 * Caller must hold rcu_read_lock() with BHs disabled.  Builds the packet
 * exactly as for the network and runs it through the receive checks.
 * Consumes @skb.  Return: 0, or -EHOSTUNREACH when no odph device is on
 * @owner.
 */
static int odph_net_loopback(struct net *net, const struct odph_path *path,
			     struct net_device *owner, struct sk_buff *skb)
{
	struct odph_dev *peer = odph_dev_from_netdev(owner);

	if (!peer) {
		kfree_skb(skb);
		return -EHOSTUNREACH;
	}
	odph_net_build(net, path, skb);
	skb->dev = owner;
	skb->pkt_type = PACKET_HOST;
	__skb_pull(skb, skb_transport_offset(skb));
	odph_net_rcv(peer, skb);
	return 0;
}

static struct dst_entry *odph_net_route4(struct odph_dev *dev,
					 const struct odph_path *path)
{
	struct flowi4 fl4 = {
		.flowi4_oif = dev->ndev->ifindex,
		.flowi4_tos = RT_TOS(path->traffic_class),
		.flowi4_proto = IPPROTO_UDP,
		.saddr = path->saddr.s6_addr32[3],
		.daddr = path->daddr.s6_addr32[3],
		.fl4_sport = path->sport,
		.fl4_dport = htons(ODPH_ROCE_V2_PORT),
	};
	struct rtable *rt;

	rt = ip_route_output_key(dev_net(dev->ndev), &fl4);
	return IS_ERR(rt) ? ERR_CAST(rt) : &rt->dst;
}

static struct dst_entry *odph_net_route6(struct odph_dev *dev,
					 const struct odph_path *path)
{
	struct flowi6 fl6 = {
		.flowi6_oif = dev->ndev->ifindex,
		.flowi6_proto = IPPROTO_UDP,
		.flowlabel = ip6_make_flowinfo(path->traffic_class,
					       cpu_to_be32(path->flow_label) &
					       IPV6_FLOWLABEL_MASK),
		.saddr = path->saddr,
		.daddr = path->daddr,
		.fl6_sport = path->sport,
		.fl6_dport = htons(ODPH_ROCE_V2_PORT),
	};

	return ipv6_stub->ipv6_dst_lookup_flow(dev_net(dev->ndev), NULL,
					       &fl6, NULL);
}

/*
 * A route to @path's destination in @dev's namespace from its source,
 * out of @dev's own netdev.  Return: the dst (a reference) or ERR_PTR.
 */
static struct dst_entry *odph_net_route(struct odph_dev *dev,
					const struct odph_path *path)
{
	struct dst_entry *dst;

	if (path->family == AF_INET)
		dst = odph_net_route4(dev, path);
	else
		dst = odph_net_route6(dev, path);
	if (IS_ERR(dst))
		return dst;
	if (dst->dev != dev->ndev) {
		dst_release(dst);
		return ERR_PTR(-EHOSTUNREACH);
	}
	return dst;
}

/* Set the UDP checksum and send @skb (data at the IP header) on @dst. */
static int odph_net_output(struct net *net, const struct odph_path *path,
			   struct dst_entry *dst, struct sk_buff *skb)
{
	int len = skb->len - skb_transport_offset(skb);
	int err;

	skb_dst_set(skb, dst);
	skb->ignore_df = 0;
	if (path->family == AF_INET) {
		memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
		udp_set_csum(false, skb, ip_hdr(skb)->saddr,
			     ip_hdr(skb)->daddr, len);
		err = ip_local_out(net, NULL, skb);
	} else if (IS_ENABLED(CONFIG_IPV6)) {
		memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
		udp6_set_csum(false, skb, &ipv6_hdr(skb)->saddr,
			      &ipv6_hdr(skb)->daddr, len);
		err = ip6_local_out(net, NULL, skb);
	} else {
		kfree_skb(skb);		/* odph_net_path_ok() said no before */
		return -EAFNOSUPPORT;
	}
	err = net_xmit_eval(err);
	return err > 0 ? -ENOBUFS : err;
}

/* Is @path's source an address of @net? */
static bool odph_net_saddr_ok(struct net *net, const struct odph_path *path)
{
	bool ok;

	rcu_read_lock();
	ok = odph_net_addr_dev(net, path->family, &path->saddr);
	rcu_read_unlock();
	return ok;
}

/*
 * Deliver @skb to an odph device of @net if @path's destination is an
 * address there.  Return: 1 if it is not (@skb untouched), else 0 or
 * -errno with @skb consumed.
 */
static int odph_net_try_loopback(struct net *net,
				 const struct odph_path *path,
				 struct sk_buff *skb)
{
	struct net_device *owner;
	int ret = 1;

	/* The receive side runs as it would in softirq. */
	local_bh_disable();
	rcu_read_lock();
	owner = odph_net_addr_dev(net, path->family, &path->daddr);
	if (owner)
		ret = odph_net_loopback(net, path, owner, skb);
	rcu_read_unlock();
	local_bh_enable();
	return ret;
}

/* odph_net_xmit() without the counting.  Consumes @skb. */
static int odph_net_send(struct odph_dev *dev, const struct odph_path *path,
			 struct sk_buff *skb)
{
	struct net *net = dev_net(dev->ndev);
	struct dst_entry *dst;
	int err;

	if (!odph_net_path_ok(path))
		err = -EAFNOSUPPORT;
	else if (!odph_net_saddr_ok(net, path))
		err = -EADDRNOTAVAIL;
	else
		err = odph_net_make_room(dev, path->family, skb);
	if (err)
		goto err_free;

	err = odph_net_try_loopback(net, path, skb);
	if (err <= 0)
		return err;

	dst = odph_net_route(dev, path);
	if (IS_ERR(dst)) {
		err = PTR_ERR(dst);
		goto err_free;
	}
	odph_net_build(net, path, skb);
	return odph_net_output(net, path, dst, skb);

err_free:
	kfree_skb(skb);
	return err;
}

/**
 * odph_net_xmit - send a RoCE v2 packet
 * @dev: the sending device
 * @path: source and destination addresses, UDP source port, IP fields
 * @skb: skb->data at the BTH, the packet without its ICRC; best from
 *	odph_net_alloc_skb(); must not be shared (clones are fine)
 *
 * Appends the ICRC, pushes UDP and IP headers, routes in the namespace of
 * @dev's netdev (the route must leave through that netdev) and sends.  A
 * destination that is an address of that namespace is delivered to the
 * odph device owning it without the network, through the same receive
 * checks; odph_rcv() of that device then runs before this returns, with
 * BHs disabled.  So the caller must hold no lock the receive side takes.
 * Counts ODPH_CNT_SENT_PKTS or ODPH_CNT_XMIT_ERR on @dev.
 * Atomic: callable in process context, softirq, or under a spinlock.
 *
 * Consumes @skb in every case.
 * Return: 0, or -errno: -EHOSTUNREACH / -ENETUNREACH (no route, or one
 * out of another netdev, or a local destination without an odph device),
 * -EADDRNOTAVAIL (the source is not an address of the namespace),
 * -EAFNOSUPPORT (bad family, or IPv4 addresses not v4-mapped), -ENOMEM,
 * -ENOBUFS (dropped on the way out), -EMSGSIZE (larger than the path MTU).
 */
int odph_net_xmit(struct odph_dev *dev, const struct odph_path *path,
		  struct sk_buff *skb)
{
	int err = odph_net_send(dev, path, skb);

	odph_counter_inc(dev, err ? ODPH_CNT_XMIT_ERR : ODPH_CNT_SENT_PKTS);
	return err;
}
