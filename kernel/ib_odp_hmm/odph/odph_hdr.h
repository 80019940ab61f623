/* SPDX-License-Identifier: GPL-2.0 */
/*
 * odph: RoCE v2 transport headers (IBTA vol. 1, ch. 9 and annex A17) and the
 * opcode table.  All fields are big endian on the wire; accessors convert.
 */
#ifndef ODPH_HDR_H
#define ODPH_HDR_H

#include <linux/types.h>

#define ODPH_ROCE_V2_PORT	4791
#define ODPH_ICRC_SIZE		4
#define ODPH_PSN_MASK		0xffffff
#define ODPH_QPN_MASK		0xffffff
#define ODPH_GSI_QKEY		0x80010000

/* Base Transport Header, 12 bytes. */
struct odph_bth {
	u8 opcode;
	u8 flags;		/* SE:1 M:1 PadCnt:2 TVer:4 */
	__be16 pkey;
	__be32 qpn;		/* FECN:1 BECN:1 resv:6 DestQP:24 */
	__be32 apsn;		/* AckReq:1 resv:7 PSN:24 */
} __packed;

#define ODPH_BTH_SE		0x80
#define ODPH_BTH_MIG		0x40
#define ODPH_BTH_PAD_SHIFT	4
#define ODPH_BTH_PAD_MASK	0x30
#define ODPH_BTH_FECN		0x80000000u
#define ODPH_BTH_BECN		0x40000000u
#define ODPH_BTH_ACKREQ		0x80000000u

/* RDMA Extended Transport Header, 16 bytes. */
struct odph_reth {
	__be64 va;
	__be32 rkey;
	__be32 len;
} __packed;

/* ACK Extended Transport Header, 4 bytes. */
struct odph_aeth {
	__be32 smsn;		/* Syndrome:8 MSN:24 */
} __packed;

/* AETH syndromes (bits 7..5 type, 4..0 value). */
#define ODPH_AETH_TYPE_MASK	0xe0
#define ODPH_AETH_ACK		0x00	/* value: credit count */
#define ODPH_AETH_RNR_NAK	0x20	/* value: RNR timer code */
#define ODPH_AETH_NAK		0x60
#define ODPH_NAK_PSN_SEQ	0x60
#define ODPH_NAK_INVALID_REQ	0x61
#define ODPH_NAK_REM_ACCESS	0x62
#define ODPH_NAK_REM_OP		0x63
#define ODPH_NAK_INVALID_RD_REQ	0x64
#define ODPH_AETH_NO_CREDIT	0x1f	/* ACK with "credits invalid" */

/* Atomic Extended Transport Header, 28 bytes. */
struct odph_atmeth {
	__be64 va;
	__be32 rkey;
	__be64 swap_add;
	__be64 compare;
} __packed;

/* Atomic ACK Extended Transport Header, 8 bytes. */
struct odph_atmack {
	__be64 orig;
} __packed;

/* Immediate data, 4 bytes. */
struct odph_immdt {
	__be32 imm;
} __packed;

/* Invalidate Extended Transport Header, 4 bytes. */
struct odph_ieth {
	__be32 rkey;
} __packed;

/* Datagram Extended Transport Header, 8 bytes. */
struct odph_deth {
	__be32 qkey;
	__be32 sqp;		/* resv:8 SrcQP:24 */
} __packed;

/* Opcodes: transport (top 3 bits) | operation.  UC opcodes are the RC
 * SEND and WRITE ones with the UC transport bits. */
#define ODPH_OP_TRANSPORT(op)	((op) & 0xe0)
#define ODPH_OP_RC		0x00
#define ODPH_OP_UC		0x20
#define ODPH_OP_UD		0x60

enum odph_opcode {
	ODPH_RC_SEND_FIRST			= 0x00,
	ODPH_RC_SEND_MIDDLE			= 0x01,
	ODPH_RC_SEND_LAST			= 0x02,
	ODPH_RC_SEND_LAST_IMM			= 0x03,
	ODPH_RC_SEND_ONLY			= 0x04,
	ODPH_RC_SEND_ONLY_IMM			= 0x05,
	ODPH_RC_WRITE_FIRST			= 0x06,
	ODPH_RC_WRITE_MIDDLE			= 0x07,
	ODPH_RC_WRITE_LAST			= 0x08,
	ODPH_RC_WRITE_LAST_IMM			= 0x09,
	ODPH_RC_WRITE_ONLY			= 0x0a,
	ODPH_RC_WRITE_ONLY_IMM			= 0x0b,
	ODPH_RC_READ_REQUEST			= 0x0c,
	ODPH_RC_READ_RESPONSE_FIRST		= 0x0d,
	ODPH_RC_READ_RESPONSE_MIDDLE		= 0x0e,
	ODPH_RC_READ_RESPONSE_LAST		= 0x0f,
	ODPH_RC_READ_RESPONSE_ONLY		= 0x10,
	ODPH_RC_ACK				= 0x11,
	ODPH_RC_ATOMIC_ACK			= 0x12,
	ODPH_RC_CMP_SWAP			= 0x13,
	ODPH_RC_FETCH_ADD			= 0x14,
	ODPH_RC_SEND_LAST_INV			= 0x16,
	ODPH_RC_SEND_ONLY_INV			= 0x17,
	ODPH_UC_SEND_FIRST			= 0x20,
	ODPH_UC_SEND_MIDDLE			= 0x21,
	ODPH_UC_SEND_LAST			= 0x22,
	ODPH_UC_SEND_LAST_IMM			= 0x23,
	ODPH_UC_SEND_ONLY			= 0x24,
	ODPH_UC_SEND_ONLY_IMM			= 0x25,
	ODPH_UC_WRITE_FIRST			= 0x26,
	ODPH_UC_WRITE_MIDDLE			= 0x27,
	ODPH_UC_WRITE_LAST			= 0x28,
	ODPH_UC_WRITE_LAST_IMM			= 0x29,
	ODPH_UC_WRITE_ONLY			= 0x2a,
	ODPH_UC_WRITE_ONLY_IMM			= 0x2b,
	ODPH_UD_SEND_ONLY			= 0x64,
	ODPH_UD_SEND_ONLY_IMM			= 0x65,
	ODPH_NUM_OPCODES			= 256,
};

/* What an opcode carries and means (odph_opcode_info[].mask). */
enum odph_op_mask {
	ODPH_RETH	= BIT(0),
	ODPH_AETH	= BIT(1),
	ODPH_ATMETH	= BIT(2),
	ODPH_ATMACK	= BIT(3),
	ODPH_IMMDT	= BIT(4),
	ODPH_DETH	= BIT(5),
	ODPH_PAYLOAD	= BIT(6),
	ODPH_REQ	= BIT(7),	/* requester -> responder */
	ODPH_ACK_OP	= BIT(8),	/* responder -> requester */
	ODPH_SEND	= BIT(9),
	ODPH_WRITE	= BIT(10),
	ODPH_READ	= BIT(11),
	ODPH_ATOMIC	= BIT(12),
	ODPH_RRESP	= BIT(13),	/* read response */
	ODPH_FIRST	= BIT(14),
	ODPH_MIDDLE	= BIT(15),
	ODPH_LAST	= BIT(16),
	ODPH_ONLY	= ODPH_FIRST | ODPH_LAST,
	ODPH_COMP	= BIT(17),	/* completes a receive WQE */
	ODPH_UD		= BIT(18),
	ODPH_IETH	= BIT(19),
};

struct odph_opcode_info {
	const char *name;
	u32 mask;
	u8 hdr_len;		/* BTH and every extended header */
};

extern const struct odph_opcode_info odph_opcode_info[ODPH_NUM_OPCODES];

/* Offset of an extended header after the BTH, from the opcode's mask. */
static inline unsigned int odph_hdr_offset(u32 mask, u32 which)
{
	unsigned int off = sizeof(struct odph_bth);

	if (which == ODPH_DETH)
		return off;
	if (mask & ODPH_DETH)
		off += sizeof(struct odph_deth);
	if (which == ODPH_RETH || which == ODPH_ATMETH || which == ODPH_AETH)
		return off;
	if (mask & ODPH_RETH)
		off += sizeof(struct odph_reth);
	if (mask & ODPH_AETH)
		off += sizeof(struct odph_aeth);
	if (which == ODPH_ATMACK)
		return off;
	if (mask & ODPH_ATMETH)
		off += sizeof(struct odph_atmeth);
	if (which == ODPH_IETH && (mask & ODPH_IMMDT))
		off += sizeof(struct odph_immdt);
	return off;		/* ODPH_IMMDT, ODPH_IETH */
}

static inline u32 odph_bth_qpn(const struct odph_bth *bth)
{
	return be32_to_cpu(bth->qpn) & ODPH_QPN_MASK;
}

static inline u32 odph_bth_psn(const struct odph_bth *bth)
{
	return be32_to_cpu(bth->apsn) & ODPH_PSN_MASK;
}

static inline bool odph_bth_ackreq(const struct odph_bth *bth)
{
	return be32_to_cpu(bth->apsn) & ODPH_BTH_ACKREQ;
}

static inline unsigned int odph_bth_pad(const struct odph_bth *bth)
{
	return (bth->flags & ODPH_BTH_PAD_MASK) >> ODPH_BTH_PAD_SHIFT;
}

/* PSN arithmetic modulo 2^24: <0, 0, >0 like a comparison. */
static inline int odph_psn_cmp(u32 a, u32 b)
{
	return (s32)((a - b) << 8);
}

#endif /* ODPH_HDR_H */
