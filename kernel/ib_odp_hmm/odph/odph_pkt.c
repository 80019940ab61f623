// SPDX-License-Identifier: GPL-2.0
/*
 * odph packets: building the transport headers of an outgoing packet and
 * reading those of an incoming one.  Shared by the three engines.
 */
#include <rdma/ib_mad.h>

#include "odph.h"

/**
 * odph_pkt_new - a packet with a BTH for @qp and room for @paylen bytes
 * @pkt: filled with pointers into the new skb
 *
 * The payload is padded to 4 bytes (pad bytes zeroed, count in the BTH).
 * Extended headers are zeroed; the caller fills the ones its opcode has,
 * and every one of the @paylen payload bytes (or frees the packet).
 */
struct sk_buff *odph_pkt_new(struct odph_qp *qp, const struct odph_path *path,
			     u8 opcode, u32 paylen, u32 psn, u32 dqpn,
			     bool ackreq, bool se, struct odph_pkt *pkt)
{
	const struct odph_opcode_info *info = &odph_opcode_info[opcode];
	unsigned int pad = (4 - (paylen & 3)) & 3;
	struct sk_buff *skb;
	struct odph_bth *bth;

	skb = odph_net_alloc_skb(qp->dev, path, info->hdr_len + paylen + pad);
	if (!skb)
		return NULL;
	memset(skb->data, 0, info->hdr_len);
	bth = (struct odph_bth *)skb->data;
	bth->opcode = opcode;
	bth->flags = (se ? ODPH_BTH_SE : 0) | (pad << ODPH_BTH_PAD_SHIFT);
	bth->pkey = cpu_to_be16(IB_DEFAULT_PKEY_FULL);
	bth->qpn = cpu_to_be32(dqpn & ODPH_QPN_MASK);
	bth->apsn = cpu_to_be32((psn & ODPH_PSN_MASK) |
				(ackreq ? ODPH_BTH_ACKREQ : 0));
	if (pad)
		memset(skb->data + info->hdr_len + paylen, 0, pad);
	odph_pkt_parse(skb, pkt);
	return skb;
}

/*
 * odph_pkt_parse - locate the headers of a packet whose skb->data is at
 * the BTH.  The wire layer checked that the packet holds its headers.
 */
void odph_pkt_parse(struct sk_buff *skb, struct odph_pkt *pkt)
{
	struct odph_bth *bth = (struct odph_bth *)skb->data;
	const struct odph_opcode_info *info = &odph_opcode_info[bth->opcode];
	u8 *p = skb->data;

	pkt->bth = bth;
	pkt->opcode = bth->opcode;
	pkt->mask = info->mask;
	pkt->psn = odph_bth_psn(bth);
	pkt->reth = info->mask & ODPH_RETH ?
		    (void *)(p + odph_hdr_offset(info->mask, ODPH_RETH)) : NULL;
	pkt->aeth = info->mask & ODPH_AETH ?
		    (void *)(p + odph_hdr_offset(info->mask, ODPH_AETH)) : NULL;
	pkt->atmeth = info->mask & ODPH_ATMETH ?
		    (void *)(p + odph_hdr_offset(info->mask, ODPH_ATMETH)) : NULL;
	pkt->atmack = info->mask & ODPH_ATMACK ?
		    (void *)(p + odph_hdr_offset(info->mask, ODPH_ATMACK)) : NULL;
	pkt->immdt = info->mask & ODPH_IMMDT ?
		    (void *)(p + odph_hdr_offset(info->mask, ODPH_IMMDT)) : NULL;
	pkt->ieth = info->mask & ODPH_IETH ?
		    (void *)(p + odph_hdr_offset(info->mask, ODPH_IETH)) : NULL;
	pkt->deth = info->mask & ODPH_DETH ?
		    (void *)(p + odph_hdr_offset(info->mask, ODPH_DETH)) : NULL;
	pkt->payload = p + info->hdr_len;
	pkt->paylen = skb->len > info->hdr_len + odph_bth_pad(bth) ?
		      skb->len - info->hdr_len - odph_bth_pad(bth) : 0;
}
