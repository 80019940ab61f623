// SPDX-License-Identifier: GPL-2.0
/*
 * odph receive dispatch: a validated packet goes to its QP's responder
 * (requests) or completer (responses).  Checks here are the ones that need
 * the QP: its existence, its type, that the opcode fits it, the P_Key
 * and, for a connected QP, that the packet comes from its peer
 * (odph_qp_from_peer(), under the engine's lock).  rxe checks the same.
 */
#include <net/ipv6.h>

#include "odph.h"

/*
 * The port has one P_Key, the default partition with full membership
 * (0xffff): a packet matches when its low 15 bits are the partition's.
 * Limited members (0x7fff) may talk to us, since we are a full member.
 */
static bool odph_pkey_ok(const struct odph_bth *bth)
{
	return (be16_to_cpu(bth->pkey) & 0x7fff) == 0x7fff;
}

/**
 * odph_qp_from_peer - whether a packet for a connected QP is from its peer
 * @qp: the RC or UC QP the packet is for (UD: always true)
 * @skb: the packet, odph_rx_cb() filled
 *
 * Anyone on the segment who learns a QPN and guesses the PSN window could
 * otherwise inject into it.  Counts a drop in ODPH_CNT_DROP_SADDR.
 *
 * Context: caller holds qp->sq_lock or qp->rq_lock, so qp->path is stable.
 */
bool odph_qp_from_peer(struct odph_qp *qp, struct sk_buff *skb)
{
	if (odph_qp_is_ud(qp) ||
	    ipv6_addr_equal(&odph_rx_cb(skb)->saddr, &qp->path.daddr))
		return true;
	odph_counter_inc(qp->dev, ODPH_CNT_DROP_SADDR);
	return false;
}

/* The opcode's transport must be the QP's: RC, UC or UD. */
static bool odph_opcode_fits(struct odph_qp *qp, u8 opcode)
{
	u8 want = qp->ib.qp_type == IB_QPT_RC ? ODPH_OP_RC :
		  qp->ib.qp_type == IB_QPT_UC ? ODPH_OP_UC : ODPH_OP_UD;

	return ODPH_OP_TRANSPORT(opcode) == want;
}

void odph_rcv(struct odph_dev *dev, struct sk_buff *skb)
{
	struct odph_bth *bth = (struct odph_bth *)skb->data;
	u32 mask = odph_opcode_info[bth->opcode].mask;
	struct odph_qp *qp;

	if (!odph_pkey_ok(bth)) {
		odph_counter_inc(dev, ODPH_CNT_DROP_PKEY);
		kfree_skb(skb);
		return;
	}
	qp = odph_qp_get(dev, odph_bth_qpn(bth));
	if (!qp || !odph_opcode_fits(qp, bth->opcode)) {
		odph_counter_inc(dev, ODPH_CNT_DROP_QPN);
		kfree_skb(skb);
		if (qp)
			odph_qp_put(qp);
		return;
	}
	if (mask & ODPH_REQ)
		odph_resp_rcv(qp, skb, bth->opcode);
	else
		odph_comp_rcv(qp, skb, bth->opcode);
	odph_qp_put(qp);
}
