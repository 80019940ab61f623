// SPDX-License-Identifier: GPL-2.0
/*
 * odph invariant CRC (IBTA vol. 1 7.8.1 and annex A17.3.3, RoCE v2).
 *
 * The ICRC is the Ethernet CRC-32 (reflected polynomial 0xedb88320, seed
 * all ones, result inverted) over, in order:
 *
 *  - 8 bytes of 0xff standing for the masked LRH that RoCE v2 has not got;
 *  - the IP header, with the fields routers may change set to all ones:
 *    IPv4 TOS, TTL and header checksum; IPv6 traffic class, flow label
 *    and hop limit;
 *  - the UDP header, with the checksum set to all ones;
 *  - the BTH, with its byte 4 (FECN, BECN and six reserved bits) set to
 *    all ones;
 *  - the rest of the packet (extended headers, payload, pad) up to the
 *    ICRC field itself.
 *
 * On the wire the inverted CRC goes least significant byte first, as
 * rdma_rxe and RoCE hardware do.
 */
#include <linux/crc32.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include "odph.h"

/* IPv4 header with the largest options, UDP header, BTH. */
#define ODPH_ICRC_HDRS_MAX	(60 + sizeof(struct udphdr) + \
				 sizeof(struct odph_bth))

#define ODPH_BTH_RESV8A		4	/* offset of FECN, BECN, resv6 */

static __wsum odph_crc_update(const void *buf, int len, __wsum crc)
{
	return (__force __wsum)crc32_le((__force u32)crc, buf, len);
}

static __wsum odph_crc_combine(__wsum crc, __wsum crc2, int offset, int len)
{
	return (__force __wsum)crc32_le_combine((__force u32)crc,
						(__force u32)crc2, len);
}

/* __skb_checksum() runs a CRC over fragments as well as a sum. */
static const struct skb_checksum_ops odph_crc_ops = {
	.update = odph_crc_update,
	.combine = odph_crc_combine,
};

/* Length of the IP header at the start of @hdr, or 0 if not IPv4/IPv6. */
static unsigned int odph_icrc_ip_len(const u8 *hdr)
{
	switch (hdr[0] >> 4) {
	case 4:
		return (hdr[0] & 0x0f) >= 5 ? (hdr[0] & 0x0f) * 4 : 0;
	case 6:
		return sizeof(struct ipv6hdr);
	default:
		return 0;
	}
}

/* Set the variant fields of the IP, UDP and BTH headers in @hdr to ones. */
static void odph_icrc_mask(u8 *hdr, unsigned int ip_len)
{
	struct udphdr *udp = (struct udphdr *)(hdr + ip_len);
	u8 *bth = hdr + ip_len + sizeof(*udp);

	if (hdr[0] >> 4 == 4) {
		struct iphdr *ip = (struct iphdr *)hdr;

		ip->tos = 0xff;
		ip->ttl = 0xff;
		ip->check = (__force __sum16)0xffff;
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)hdr;

		/* version:4 stays; traffic class:8 and flow label:20 go */
		hdr[0] |= 0x0f;
		memset(ip6->flow_lbl, 0xff, sizeof(ip6->flow_lbl));
		ip6->hop_limit = 0xff;
	}
	udp->check = (__force __sum16)0xffff;
	bth[ODPH_BTH_RESV8A] = 0xff;
}

/**
 * odph_icrc - the invariant CRC of a RoCE v2 packet
 * @skb: the packet, skb->data at its IPv4 or IPv6 header; the last
 *	ODPH_ICRC_SIZE bytes of skb->len are the ICRC field (not covered)
 *
 * The IP header is read from the packet (its version nibble decides IPv4
 * or IPv6); the UDP header must follow it directly, then the BTH.  Works
 * on linear and paged skbs.  The caller has checked that @skb holds at
 * least IP + UDP + BTH + ICRC bytes; a shorter packet or one that is not
 * IP gets 0 (never an out-of-bounds read).
 *
 * Return: the ICRC as stored on the wire in little-endian byte order
 * (put_unaligned_le32() it; compare with get_unaligned_le32()).
 */
u32 odph_icrc(struct sk_buff *skb)
{
	static const u8 lrh[8] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
	};
	u8 hdr[ODPH_ICRC_HDRS_MAX];
	unsigned int ip_len, hdrs_len;
	u32 crc;

	if (skb->len < 1 || skb_copy_bits(skb, 0, hdr, 1))
		return 0;
	ip_len = odph_icrc_ip_len(hdr);
	hdrs_len = ip_len + sizeof(struct udphdr) + sizeof(struct odph_bth);
	if (!ip_len || skb->len < hdrs_len + ODPH_ICRC_SIZE ||
	    skb_copy_bits(skb, 0, hdr, hdrs_len))
		return 0;
	odph_icrc_mask(hdr, ip_len);

	crc = crc32_le(~0U, lrh, sizeof(lrh));
	crc = crc32_le(crc, hdr, hdrs_len);
	crc = (__force u32)__skb_checksum(skb, hdrs_len,
					  skb->len - hdrs_len - ODPH_ICRC_SIZE,
					  (__force __wsum)crc, &odph_crc_ops);
	return ~crc;
}
