/* SPDX-License-Identifier: GPL-2.0 */
/*
 * odph: a software RoCE v2 NIC whose memory registration uses the ib_odp_hmm
 * mirror core.  Internal definitions shared by the odph_*.c files.
 *
 * Files, one concern each:
 *	odph_main.c	module, rdma link type "odph", device life cycle
 *	odph_net.c	UDP sockets per network namespace, xmit and receive
 *	odph_icrc.c	invariant CRC
 *	odph_opcode.c	opcode table
 *	odph_verbs.c	ib_device_ops: translate verbs to the objects below
 *	odph_queue.c	rings shared with userspace (rxe user ABI layout)
 *	odph_qp.c	QP attributes and state machine
 *	odph_mr.c	memory regions, keys; the pinned and DMA backends
 *	odph_odp.c	the ODP backend: MRs through the mirror core
 *	odph_copy.c	the one copier: MR ranges and SGE lists
 *	odph_mw.c	memory windows: bind, invalidate, rkeys through them
 *	odph_req.c	requester: send queue WQEs to packets
 *	odph_recv.c	packet dispatch to responder and completer
 *	odph_resp.c	responder: request packets to memory and ACKs
 *	odph_comp.c	completer: ACKs and responses to completions
 *
 * Userspace talks to odph through the kernel's rxe user ABI
 * (<rdma/rdma_user_rxe.h>) and reports RDMA_DRIVER_RXE, so Debian's stock
 * librxe provider drives it; see docs/ARCHITECTURE.md for why.
 */
#ifndef ODPH_H
#define ODPH_H

#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/xarray.h>
#include <rdma/ib_umem.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_user_rxe.h>

#include "odph_compat.h"
#include "odph_hdr.h"
#include "odph_mr.h"
#include "odph_net.h"

#define ODPH_VENDOR_ID		0xffffff	/* none assigned */
#define ODPH_MAX_QP		4096
#define ODPH_MAX_QP_WR		16384
#define ODPH_MAX_SGE		32
#define ODPH_MAX_INLINE		256
#define ODPH_MAX_CQ		4096
#define ODPH_MAX_CQE		(1 << 16)
#define ODPH_MAX_MR		(1 << 16)
#define ODPH_MAX_MR_SIZE	(1ULL << 40)
#define ODPH_MAX_MW		(1 << 16)
#define ODPH_KEY_INDEX_MAX	((1u << 24) - 1)
/* dev->mrs holds MRs as they are and windows tagged with this. */
#define ODPH_KEY_MW		1
#define ODPH_MAX_PD		(1 << 16)
#define ODPH_MAX_AH		(1 << 15)
#define ODPH_MAX_SRQ		4096
#define ODPH_MAX_SRQ_WR		16384
#define ODPH_MAX_RD_ATOMIC	128
#define ODPH_MAX_MSG_SIZE	0x80000000u
#define ODPH_PORT		1

struct odph_dev {
	struct ib_device ib;
	struct net_device *ndev;	/* held for the device's life */
	netdevice_tracker ndev_tracker;
	struct list_head list;		/* odph_devices, under odph_dev_lock */
	void *sock;			/* odph_net.c: struct odph_net_socks */

	struct xarray qps;		/* qpn -> odph_qp (RCU lookups) */
	struct xarray mrs;		/* key >> 8 -> odph_mr, or odph_mw
					 * tagged ODPH_KEY_MW (RCU lookups) */
	struct xarray ahs;		/* ah_num -> odph_ah */
	u32 next_qpn;
	u32 next_mr;
	u32 next_ah;

	atomic64_t cnt[ODPH_CNT_MAX];
};

static inline struct odph_dev *to_odph_dev(struct ib_device *ib)
{
	return container_of(ib, struct odph_dev, ib);
}

/* ---- rings shared with userspace (odph_queue.c) ---- */

/*
 * A ring in the rxe user ABI layout (struct rxe_queue_buf): a power-of-two
 * number of slots, indices stored masked, one slot kept free.  The side
 * that is not the kernel is untrusted: its index is re-read and masked on
 * every use, the kernel's own index is kept here, not trusted from buf.
 */
struct odph_queue {
	struct rxe_queue_buf *buf;
	size_t buf_size;
	u32 log2_elem_size;
	u32 index_mask;
	u32 kidx;			/* the kernel's own index */
	struct rdma_user_mmap_entry *mmap;	/* user rings only */
};

struct odph_mmap_entry {
	struct rdma_user_mmap_entry rdma;
	void *buf;
};

/* ---- objects ---- */

struct odph_ucontext {
	struct ib_ucontext ib;
};

struct odph_pd {
	struct ib_pd ib;
};

static inline struct odph_pd *to_odph_pd(struct ib_pd *pd)
{
	return container_of(pd, struct odph_pd, ib);
}

struct odph_ah {
	struct ib_ah ib;
	struct odph_path path;
	u32 ah_num;			/* user AHs, for the rxe ABI */
};

static inline struct odph_ah *to_odph_ah(struct ib_ah *ah)
{
	return container_of(ah, struct odph_ah, ib);
}

struct odph_cq {
	struct ib_cq ib;
	spinlock_t lock;		/* producer side of the ring */
	struct odph_queue q;
	bool user;
	u8 notify;			/* IB_CQ_SOLICITED / IB_CQ_NEXT_COMP armed */
	bool overflowed;
};

static inline struct odph_cq *to_odph_cq(struct ib_cq *cq)
{
	return container_of(cq, struct odph_cq, ib);
}

struct odph_srq {
	struct ib_srq ib;
	spinlock_t lock;		/* consumer side of the ring */
	struct odph_queue q;
	u32 max_sge;
	u32 limit;
	bool user;
};

static inline struct odph_srq *to_odph_srq(struct ib_srq *srq)
{
	return container_of(srq, struct odph_srq, ib);
}

/* The MR an entry of dev->mrs is, or NULL for a window. */
static inline struct odph_mr *odph_entry_mr(void *entry)
{
	return xa_pointer_tag(entry) == ODPH_KEY_MW ? NULL : entry;
}

enum odph_mw_state {
	ODPH_MW_INVALID,		/* deallocated */
	ODPH_MW_FREE,			/* type 2: not bound */
	ODPH_MW_VALID,			/* type 1 always, type 2 bound */
};

/* A memory window (IBA 10.6.7): type 1, or type 2B bound to one QP. */
struct odph_mw {
	struct ib_mw ib;
	spinlock_t lock;		/* everything below */
	u8 state;			/* enum odph_mw_state */
	u32 rkey;			/* current; a bind moves its tag */
	struct odph_mr *mr;		/* bound, with a length (num_mw) */
	u64 addr;
	u64 length;
	int access;			/* IB_ACCESS_* of the window */
	u64 qp_uid;			/* type 2: the bound QP's uid */
};

static inline struct odph_mw *to_odph_mw(struct ib_mw *mw)
{
	return container_of(mw, struct odph_mw, ib);
}

/* A page an engine found unmapped, to fault where sleeping is allowed. */
struct odph_fault {
	u32 key;
	u64 va;
	u32 len;
	bool write;
	bool pending;
	int error;			/* responder: that fault failed for good */
};

/* The fault that cures an odph_sge_copy() miss. */
static inline struct odph_fault odph_miss_fault(const struct odph_miss *m,
						bool write)
{
	return (struct odph_fault){
		.key = m->key, .va = m->va, .len = m->len, .write = write,
		.pending = true,
	};
}

/* A send WQE, copied out of the user ring and validated once. */
struct odph_swqe {
	struct rxe_send_wr wr;
	u32 opcode;			/* IB_WR_* */
	u32 send_flags;
	u32 length;			/* total payload bytes */
	u32 num_sge;
	u32 first_psn, last_psn;
	u32 npkts;
	u32 sent;			/* payload bytes sent so far */
	u32 acked;			/* bytes acknowledged (READ: received) */
	int status;			/* IB_WC_* once completed */
	u8 state;			/* enum odph_swqe_state */
	u8 inline_data;
	u8 prefaulted;			/* READ/atomic targets faulted */
	u8 started;			/* first_psn is assigned */
	u8 result_held;			/* atomic: ACK in, result page gone */
	u8 held_tries;			/* faults tried for the held result */
	u64 atomic_orig;		/* the held result (original value) */
	struct odph_path path;		/* UD: from the AH */
	u32 remote_qpn, remote_qkey;
	struct rxe_sge sge[];		/* or inline bytes */
};

enum odph_swqe_state {
	ODPH_SWQE_EMPTY,
	ODPH_SWQE_PENDING,		/* fetched, not fully sent */
	ODPH_SWQE_SENT,			/* every packet sent, awaiting ack */
	ODPH_SWQE_DONE,			/* acked or failed, awaiting completion */
};

struct odph_rwqe {			/* a receive WQE, copied */
	u64 wr_id;
	u32 num_sge;
	u32 length;
	struct rxe_sge sge[];
};

struct odph_qp {
	struct ib_qp ib;
	struct odph_dev *dev;
	bool user;
	u64 uid;			/* never reused (type 2 windows) */
	refcount_t ref;			/* rx path lookups */
	struct completion released;

	/*
	 * Locks, outermost first: state_lock, sq_lock, rq_lock.  state,
	 * attr, path and mtu change only with all three held
	 * (odph_qp_lock_all()), so the requester and completer (sq_lock)
	 * and the responder (rq_lock) read them exactly under their own
	 * lock.  Lockless readers of state (the post_send doorbell, the
	 * completer's kick, the QP's work) use READ_ONCE() and only pick
	 * which locked path runs next, which checks again.
	 */
	spinlock_t state_lock;
	enum ib_qp_state state;
	struct ib_qp_attr attr;		/* last modify_qp values */
	struct odph_path path;		/* RC/UC primary path */
	u32 mtu;			/* path MTU in bytes */

	struct odph_cq *scq, *rcq;
	struct odph_srq *srq;
	bool sq_sig_all;

	/* send queue */
	spinlock_t sq_lock;		/* requester and completer */
	struct odph_queue sq;
	u32 sq_max_sge, sq_max_inline;
	size_t swqe_size;
	void *swqes;			/* one odph_swqe per ring slot */
	u32 sq_fetch;			/* next ring slot to copy */
	u32 sq_cur;			/* slot being sent */
	u32 req_psn;			/* next PSN to send; also set by
					 * modify_qp under odph_qp_lock_all() */
	u32 ssn;
	u32 rd_atomic_out;		/* outstanding reads and atomics */
	struct timer_list retry_timer;
	struct hrtimer rnr_timer;	/* RNR NAK wait: microseconds */
	struct work_struct req_work;
	unsigned long req_flags;	/* odph_req.c: RUNNING, AGAIN */
	u32 retry_cnt, rnr_retry_cnt;
	bool read_gap;			/* resent a READ from read_gap_psn */
	u32 read_gap_psn;
	struct odph_fault req_fault;	/* requester side, under sq_lock */
	bool req_faulting;		/* the requester is resolving a local
					 * fault: nothing is resent meanwhile,
					 * so the retry timer does not count;
					 * under sq_lock */
	struct odph_fault resp_fault;	/* responder side, under rq_lock */
	struct work_struct fault_work;	/* resolves resp_fault */
	bool sq_draining;
	bool dying;			/* odph_destroy_qp() has begun */

	/* receive queue and responder */
	spinlock_t rq_lock;
	struct odph_queue rq;
	u32 rq_max_sge;
	struct odph_resp {
		u32 psn;		/* expected PSN (rq_lock) */
		u32 msn;
		bool nak_sent;		/* one PSN sequence NAK per gap */
		bool fatal;		/* a NAK moved the QP to error */
		bool in_msg;		/* inside a multi-packet message */
		u32 msg_kind;		/* ODPH_SEND or ODPH_WRITE */
		struct odph_rwqe *rwqe;	/* receive WQE being filled */
		bool rwqe_valid;
		u32 recv_off;
		u32 rkey;		/* WRITE in progress, looked up per packet */
		u64 va;
		u32 resid;
		u32 write_len;
		struct odph_rd_res *res;	/* READ / ATOMIC replay ring */
		u32 res_head;
		bool read_more;		/* a READ's responses left to the work */
	} resp;
};

static inline struct odph_qp *to_odph_qp(struct ib_qp *qp)
{
	return container_of(qp, struct odph_qp, ib);
}

static inline bool odph_qp_is_ud(const struct odph_qp *qp)
{
	return qp->ib.qp_type == IB_QPT_UD || qp->ib.qp_type == IB_QPT_GSI;
}

/* A responder resource: enough to replay a READ or ATOMIC response. */
struct odph_rd_res {
	u8 opcode;
	bool more;		/* READ responses from next_psn on still due */
	u32 first_psn, last_psn, next_psn;
	u64 va;
	u32 rkey;
	u32 length;
	u64 atomic_orig;
};

/* An incoming or outgoing packet's headers (odph_pkt.c). */
struct odph_pkt {
	struct odph_bth *bth;
	struct odph_reth *reth;
	struct odph_aeth *aeth;
	struct odph_atmeth *atmeth;
	struct odph_atmack *atmack;
	struct odph_immdt *immdt;
	struct odph_ieth *ieth;
	struct odph_deth *deth;
	u8 *payload;
	u32 paylen;
	u32 mask;
	u32 psn;
	u8 opcode;
};

struct sk_buff *odph_pkt_new(struct odph_qp *qp, const struct odph_path *path,
			     u8 opcode, u32 paylen, u32 psn, u32 dqpn,
			     bool ackreq, bool se, struct odph_pkt *pkt);
void odph_pkt_parse(struct sk_buff *skb, struct odph_pkt *pkt);

/* odph_queue.c */
int odph_queue_uctx(struct ib_udata *udata, size_t resp_len,
		    struct ib_ucontext **uctx);
int odph_queue_init(struct odph_queue *q, u32 *nelem, size_t elem_size,
		    struct ib_ucontext *uctx, struct mminfo *mi);
void odph_queue_fini(struct odph_queue *q);
void *odph_queue_slot(struct odph_queue *q, u32 index);
u32 odph_queue_user_prod(struct odph_queue *q);
void odph_recv_wqe_fill(struct rxe_recv_wqe *w, const struct ib_recv_wr *wr);
u32 odph_queue_user_cons(struct odph_queue *q);
void odph_queue_set_kidx(struct odph_queue *q, u32 kidx, bool producer);
void odph_queue_reset(struct odph_queue *q);
static inline u32 odph_queue_next(struct odph_queue *q, u32 i)
{
	return (i + 1) & q->index_mask;
}

/* odph_mr.c, odph_copy.c: in odph_mr.h */

/* odph_mw.c */
int odph_alloc_mw(struct ib_mw *ibmw, struct ib_udata *udata);
int odph_dealloc_mw(struct ib_mw *ibmw);
int odph_mw_bind(struct odph_qp *qp, const struct rxe_send_wr *wr);
int odph_invalidate_rkey(struct odph_qp *qp, u32 rkey, bool remote);
struct odph_mr *odph_rkey_get(struct odph_qp *qp, u32 rkey, int access,
			      u64 va, u32 len);

/* odph_odp.c (odph_odp_reg() in odph_mr.h) */
int odph_advise_mr(struct ib_pd *pd, enum ib_uverbs_advise_mr_advice advice,
		   u32 flags, struct ib_sge *sg_list, u32 num_sge,
		   struct uverbs_attr_bundle *attrs);
int odph_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr);
int odph_fill_stat_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr);

/* odph_qp.c */
int odph_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		   struct ib_udata *udata);
int odph_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		   struct ib_udata *udata);
int odph_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		  struct ib_qp_init_attr *init);
int odph_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata);
int odph_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		   const struct ib_send_wr **bad);
int odph_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		   const struct ib_recv_wr **bad);
struct odph_qp *odph_qp_get(struct odph_dev *dev, u32 qpn);
void odph_qp_put(struct odph_qp *qp);
void odph_qp_error(struct odph_qp *qp);
void odph_qp_fail(struct odph_qp *qp);
bool odph_qp_from_peer(struct odph_qp *qp, struct sk_buff *skb);

/* odph_main.c, odph_verbs.c */
void odph_dealloc_driver(struct ib_device *ib);
void odph_set_device_ops(struct ib_device *ib);
int odph_path_from_ah(struct odph_dev *dev, struct odph_path *path,
		      const struct rdma_ah_attr *ah);

/* odph_cq.c (odph_create_cq: odph_compat.h) */
int odph_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata);
int odph_resize_cq(struct ib_cq *ibcq, int cqe, struct ib_udata *udata);
u32 odph_port_mtu(struct odph_dev *dev);
int odph_poll_cq(struct ib_cq *ibcq, int num, struct ib_wc *wc);
int odph_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags);
int odph_cq_post(struct odph_cq *cq, const struct ib_wc *wc, bool solicited);

/* odph_srq.c */
int odph_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		    struct ib_udata *udata);
int odph_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		    enum ib_srq_attr_mask mask, struct ib_udata *udata);
int odph_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr);
int odph_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata);
int odph_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
		       const struct ib_recv_wr **bad);
bool odph_ring_take_rwqe(struct odph_queue *q, u32 max_sge,
			 struct odph_rwqe *r);
bool odph_srq_take_rwqe(struct odph_srq *srq, struct odph_rwqe *r);

/* odph_req.c, odph_resp.c, odph_comp.c */
void odph_req_kick(struct odph_qp *qp);
bool odph_req_has_work(struct odph_qp *qp);
void odph_req_work(struct work_struct *work);
void odph_req_flush(struct odph_qp *qp);
void odph_resp_rcv(struct odph_qp *qp, struct sk_buff *skb, u8 opcode);
void odph_resp_flush(struct odph_qp *qp);
void odph_resp_fault_work(struct work_struct *work);
void odph_comp_rcv(struct odph_qp *qp, struct sk_buff *skb, u8 opcode);
void odph_comp_retire(struct odph_qp *qp);
void odph_comp_held(struct odph_qp *qp);
u32 odph_swqe_unacked_psn(struct odph_qp *qp, struct odph_swqe *s);
struct odph_swqe *odph_swqe_at(struct odph_qp *qp, u32 slot);
void odph_comp_retry_timer(struct timer_list *t);
enum hrtimer_restart odph_comp_rnr_timer(struct hrtimer *t);

extern struct workqueue_struct *odph_wq;

/*
 * Every timer arm and work queueing of a QP goes through these, so
 * odph_destroy_qp() can stop them for good: 6.1 has no timer_shutdown().
 */
static inline void odph_qp_arm(struct odph_qp *qp, struct timer_list *t,
			       unsigned long expires)
{
	if (!READ_ONCE(qp->dying))
		mod_timer(t, expires);
}

static inline void odph_qp_arm_rnr(struct odph_qp *qp, u32 usec)
{
	if (!READ_ONCE(qp->dying))
		hrtimer_start(&qp->rnr_timer,
			      ns_to_ktime((u64)usec * NSEC_PER_USEC),
			      HRTIMER_MODE_REL);
}

static inline void odph_qp_queue(struct odph_qp *qp, struct work_struct *w)
{
	if (!READ_ONCE(qp->dying))
		queue_work(odph_wq, w);
}

#endif /* ODPH_H */
