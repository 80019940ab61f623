// SPDX-License-Identifier: GPL-2.0
/*
 * odph opcode table: for every opcode odph speaks, its name, what it carries
 * and means (enum odph_op_mask) and the length of its BTH plus extended
 * headers.  Opcodes not listed have a NULL name: the wire layer drops them.
 *
 * Extended headers, in wire order after the BTH (IBTA vol. 1, 9.2-9.4):
 * DETH (UD), RETH, AETH, ATMETH / AtomicAckETH, ImmDt, IETH.
 *
 * UC has the RC SEND and WRITE opcodes with the same headers; it has no
 * READ, atomics or acknowledgements.
 */
#include "odph.h"

#define BTH_LEN		sizeof(struct odph_bth)
#define DETH_LEN	sizeof(struct odph_deth)
#define RETH_LEN	sizeof(struct odph_reth)
#define AETH_LEN	sizeof(struct odph_aeth)
#define ATMETH_LEN	sizeof(struct odph_atmeth)
#define ATMACK_LEN	sizeof(struct odph_atmack)
#define IMMDT_LEN	sizeof(struct odph_immdt)
#define IETH_LEN	sizeof(struct odph_ieth)

/* Masks shared by families of opcodes. */
#define RC_SEND		(ODPH_REQ | ODPH_SEND | ODPH_PAYLOAD)
#define RC_WRITE	(ODPH_REQ | ODPH_WRITE | ODPH_PAYLOAD)
#define RC_RRESP	(ODPH_ACK_OP | ODPH_RRESP | ODPH_PAYLOAD)
#define RC_ATOMIC	(ODPH_REQ | ODPH_ATOMIC | ODPH_ATMETH | ODPH_ONLY)
#define UD_SEND		(ODPH_UD | ODPH_DETH | RC_SEND | ODPH_ONLY | ODPH_COMP)

#define OP(_op, _mask, _len) \
	[_op] = { .name = #_op, .mask = (_mask), .hdr_len = (_len) }

const struct odph_opcode_info odph_opcode_info[ODPH_NUM_OPCODES] = {
	/* RC SEND: a completion on the receive queue at the last packet. */
	OP(ODPH_RC_SEND_FIRST, RC_SEND | ODPH_FIRST, BTH_LEN),
	OP(ODPH_RC_SEND_MIDDLE, RC_SEND | ODPH_MIDDLE, BTH_LEN),
	OP(ODPH_RC_SEND_LAST, RC_SEND | ODPH_LAST | ODPH_COMP, BTH_LEN),
	OP(ODPH_RC_SEND_LAST_IMM,
	   RC_SEND | ODPH_IMMDT | ODPH_LAST | ODPH_COMP, BTH_LEN + IMMDT_LEN),
	OP(ODPH_RC_SEND_ONLY, RC_SEND | ODPH_ONLY | ODPH_COMP, BTH_LEN),
	OP(ODPH_RC_SEND_ONLY_IMM,
	   RC_SEND | ODPH_IMMDT | ODPH_ONLY | ODPH_COMP, BTH_LEN + IMMDT_LEN),
	/* SEND with Invalidate: the last packet names an rkey to invalidate
	 * (RC only, as in rxe; the first and middle packets are plain SENDs).
	 */
	OP(ODPH_RC_SEND_LAST_INV,
	   RC_SEND | ODPH_IETH | ODPH_LAST | ODPH_COMP, BTH_LEN + IETH_LEN),
	OP(ODPH_RC_SEND_ONLY_INV,
	   RC_SEND | ODPH_IETH | ODPH_ONLY | ODPH_COMP, BTH_LEN + IETH_LEN),

	/* RC RDMA WRITE: a RETH on the first packet, a completion only
	 * when immediate data comes with the last one.
	 */
	OP(ODPH_RC_WRITE_FIRST,
	   RC_WRITE | ODPH_RETH | ODPH_FIRST, BTH_LEN + RETH_LEN),
	OP(ODPH_RC_WRITE_MIDDLE, RC_WRITE | ODPH_MIDDLE, BTH_LEN),
	OP(ODPH_RC_WRITE_LAST, RC_WRITE | ODPH_LAST, BTH_LEN),
	OP(ODPH_RC_WRITE_LAST_IMM,
	   RC_WRITE | ODPH_IMMDT | ODPH_LAST | ODPH_COMP, BTH_LEN + IMMDT_LEN),
	OP(ODPH_RC_WRITE_ONLY,
	   RC_WRITE | ODPH_RETH | ODPH_ONLY, BTH_LEN + RETH_LEN),
	OP(ODPH_RC_WRITE_ONLY_IMM,
	   RC_WRITE | ODPH_RETH | ODPH_IMMDT | ODPH_ONLY | ODPH_COMP,
	   BTH_LEN + RETH_LEN + IMMDT_LEN),

	/* RC RDMA READ: a request without payload, responses with one;
	 * the first and last responses carry an AETH, middle ones do not.
	 */
	OP(ODPH_RC_READ_REQUEST,
	   ODPH_REQ | ODPH_READ | ODPH_RETH | ODPH_ONLY, BTH_LEN + RETH_LEN),
	OP(ODPH_RC_READ_RESPONSE_FIRST,
	   RC_RRESP | ODPH_AETH | ODPH_FIRST, BTH_LEN + AETH_LEN),
	OP(ODPH_RC_READ_RESPONSE_MIDDLE, RC_RRESP | ODPH_MIDDLE, BTH_LEN),
	OP(ODPH_RC_READ_RESPONSE_LAST,
	   RC_RRESP | ODPH_AETH | ODPH_LAST, BTH_LEN + AETH_LEN),
	OP(ODPH_RC_READ_RESPONSE_ONLY,
	   RC_RRESP | ODPH_AETH | ODPH_ONLY, BTH_LEN + AETH_LEN),

	/* RC acknowledgements. */
	OP(ODPH_RC_ACK, ODPH_ACK_OP | ODPH_AETH | ODPH_ONLY, BTH_LEN + AETH_LEN),
	OP(ODPH_RC_ATOMIC_ACK,
	   ODPH_ACK_OP | ODPH_AETH | ODPH_ATMACK | ODPH_ONLY,
	   BTH_LEN + AETH_LEN + ATMACK_LEN),

	/* RC atomics: one packet, no payload, the operands in the ATMETH. */
	OP(ODPH_RC_CMP_SWAP, RC_ATOMIC, BTH_LEN + ATMETH_LEN),
	OP(ODPH_RC_FETCH_ADD, RC_ATOMIC, BTH_LEN + ATMETH_LEN),

	/* UC SEND and RDMA WRITE: as RC, never acknowledged. */
	OP(ODPH_UC_SEND_FIRST, RC_SEND | ODPH_FIRST, BTH_LEN),
	OP(ODPH_UC_SEND_MIDDLE, RC_SEND | ODPH_MIDDLE, BTH_LEN),
	OP(ODPH_UC_SEND_LAST, RC_SEND | ODPH_LAST | ODPH_COMP, BTH_LEN),
	OP(ODPH_UC_SEND_LAST_IMM,
	   RC_SEND | ODPH_IMMDT | ODPH_LAST | ODPH_COMP, BTH_LEN + IMMDT_LEN),
	OP(ODPH_UC_SEND_ONLY, RC_SEND | ODPH_ONLY | ODPH_COMP, BTH_LEN),
	OP(ODPH_UC_SEND_ONLY_IMM,
	   RC_SEND | ODPH_IMMDT | ODPH_ONLY | ODPH_COMP, BTH_LEN + IMMDT_LEN),
	OP(ODPH_UC_WRITE_FIRST,
	   RC_WRITE | ODPH_RETH | ODPH_FIRST, BTH_LEN + RETH_LEN),
	OP(ODPH_UC_WRITE_MIDDLE, RC_WRITE | ODPH_MIDDLE, BTH_LEN),
	OP(ODPH_UC_WRITE_LAST, RC_WRITE | ODPH_LAST, BTH_LEN),
	OP(ODPH_UC_WRITE_LAST_IMM,
	   RC_WRITE | ODPH_IMMDT | ODPH_LAST | ODPH_COMP, BTH_LEN + IMMDT_LEN),
	OP(ODPH_UC_WRITE_ONLY,
	   RC_WRITE | ODPH_RETH | ODPH_ONLY, BTH_LEN + RETH_LEN),
	OP(ODPH_UC_WRITE_ONLY_IMM,
	   RC_WRITE | ODPH_RETH | ODPH_IMMDT | ODPH_ONLY | ODPH_COMP,
	   BTH_LEN + RETH_LEN + IMMDT_LEN),

	/* UD SEND: always a single packet with a DETH. */
	OP(ODPH_UD_SEND_ONLY, UD_SEND, BTH_LEN + DETH_LEN),
	OP(ODPH_UD_SEND_ONLY_IMM,
	   UD_SEND | ODPH_IMMDT, BTH_LEN + DETH_LEN + IMMDT_LEN),
};
