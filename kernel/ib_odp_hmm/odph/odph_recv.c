// SPDX-License-Identifier: GPL-2.0
/*
 * odph receive dispatch: a validated packet goes to its QP's responder
 * (requests) or completer (responses).  Checks here are the ones that need
 * the QP: its existence, its type, and that the opcode fits it.
 */
#include "odph.h"

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
