/* SPDX-License-Identifier: GPL-2.0 */
/*
 * odph wire layer: RoCE v2 over UDP/IPv4 and UDP/IPv6, in the network
 * namespace of the device's netdev (odph_net.c, odph_icrc.c).
 *
 * The transport engines build a packet from the BTH on, hand it to
 * odph_net_xmit() with the path to the peer, and receive validated packets
 * (ICRC checked, headers pulled up to the BTH) through odph_rcv().
 */
#ifndef ODPH_NET_H
#define ODPH_NET_H

#include <linux/if_ether.h>
#include <linux/in6.h>
#include <linux/skbuff.h>
#include <linux/types.h>

struct odph_dev;

/* Where a packet goes (from an AH or the QP's primary path). */
struct odph_path {
	int family;			/* AF_INET or AF_INET6 */
	struct in6_addr saddr;		/* IPv4 as ::ffff:a.b.c.d */
	struct in6_addr daddr;
	u8 dmac[ETH_ALEN];		/* unused: routing resolves it */
	u8 traffic_class;		/* IPv4 TOS / IPv6 traffic class */
	u8 hop_limit;			/* IPv4 TTL / IPv6 hop limit */
	u32 flow_label;
	__be16 sport;			/* UDP source port (flow entropy) */
};

/* Where a received packet came from, in skb->cb (odph_rx_cb()). */
struct odph_rx_info {
	int family;
	struct in6_addr saddr;
	struct in6_addr daddr;
	u8 traffic_class;
	u8 hop_limit;
	u32 flow_label;
};

static inline struct odph_rx_info *odph_rx_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct odph_rx_info) > sizeof(skb->cb));
	return (struct odph_rx_info *)skb->cb;
}

int odph_net_init(void);
void odph_net_exit(void);

/* Take / drop the device's reference on its namespace's UDP socket. */
int odph_net_dev_open(struct odph_dev *dev);
void odph_net_dev_close(struct odph_dev *dev);

/*
 * odph_net_alloc_skb - a packet with room for @len bytes from the BTH on
 * (headers and payload, not the ICRC), headroom reserved for the link, IP
 * and UDP headers.  skb->data points at the BTH; skb->len == @len.
 */
struct sk_buff *odph_net_alloc_skb(struct odph_dev *dev,
				   const struct odph_path *path,
				   unsigned int len);

/*
 * odph_net_xmit - append the ICRC, push UDP and IP headers, route in the
 * netdev's namespace and send.  A destination that is one of this device's
 * own addresses is looped back to odph_rcv() without touching the network.
 * Consumes @skb in every case; returns 0 or -errno (-EHOSTUNREACH, ...)
 * and counts ODPH_CNT_SENT_PKTS or ODPH_CNT_XMIT_ERR itself.  @skb must
 * not be shared; not callable from hardirq context.  A local destination
 * runs odph_rcv() synchronously, with BHs disabled, before this returns.
 */
int odph_net_xmit(struct odph_dev *dev, const struct odph_path *path,
		  struct sk_buff *skb);

/*
 * ICRC of a packet whose skb->data is at the IP header (odph_icrc.c); the
 * last 4 bytes of skb->len are the ICRC field itself.  The result is in
 * wire (little-endian) order: put_unaligned_le32() / get_unaligned_le32().
 */
u32 odph_icrc(struct sk_buff *skb);

/*
 * Implemented by the engines (odph_recv.c): a validated packet for @dev.
 * skb->data is at the BTH, the ICRC trimmed, odph_rx_cb() filled; the skb
 * is linear and must be treated as read-only.  Called under
 * rcu_read_lock() with BHs disabled (softirq, or a looped-back xmit);
 * consumes @skb.
 */
void odph_rcv(struct odph_dev *dev, struct sk_buff *skb);

/* Implemented by odph_main.c: the odph device on @ndev, or NULL (RCU). */
struct odph_dev *odph_dev_from_netdev(struct net_device *ndev);

/* Counters the wire layer bumps (odph_counter_inc()). */
enum odph_counter {
	ODPH_CNT_SENT_PKTS,
	ODPH_CNT_RCVD_PKTS,
	ODPH_CNT_DROP_SHORT,		/* shorter than its headers */
	ODPH_CNT_DROP_ICRC,		/* bad ICRC */
	ODPH_CNT_DROP_OPCODE,		/* unknown / unsupported opcode */
	ODPH_CNT_DROP_QPN,		/* no such QP, or wrong QP type */
	ODPH_CNT_DROP_PSN,		/* out of the PSN window */
	ODPH_CNT_DROP_OTHER,		/* bad version, pkey, qkey, ... */
	ODPH_CNT_XMIT_ERR,
	ODPH_CNT_RETRANSMITS,
	ODPH_CNT_RNR_NAK_SENT,
	ODPH_CNT_RNR_NAK_RCVD,
	ODPH_CNT_SEQ_NAK_SENT,
	ODPH_CNT_ACCESS_NAK_SENT,
	ODPH_CNT_TIMEOUTS,		/* retransmit timer expiries that resent */
	ODPH_CNT_DROP_PKEY,		/* BTH P_Key not the port's */
	ODPH_CNT_DROP_SADDR,		/* RC/UC: not from the connected peer */
	ODPH_CNT_DROP_ACK_PSN,		/* ACK/NAK/response outside the
					 * requester's outstanding PSNs */
	ODPH_CNT_MAX
};

void odph_counter_inc(struct odph_dev *dev, enum odph_counter c);

#endif /* ODPH_NET_H */
