// SPDX-License-Identifier: GPL-2.0
/*
 * odph memory windows (IBA 10.6.7): type 1 and type 2B, as rdma_rxe 6.1
 * advertises them and the stock librxe posts them.
 *
 * Keys.  A window's rkey is (index << 8) | tag in the MRs' key space: the
 * index names it in dev->mrs, where it is stored tagged ODPH_KEY_MW so a
 * lookup tells windows from MRs.  A bind moves the low 8 bits to the tag
 * the bind WQE asks for (librxe: the next one), so an rkey handed out
 * before the bind stops working.
 *
 * States.  A type 1 window is VALID from allocation: ibv_bind_mw() (a
 * BIND_MW WQE from librxe) binds it to a range of an MR, a zero-length
 * bind unbinds it.  A type 2 window is FREE until a BIND_MW WQE binds it
 * to a range of an MR and to the QP that posted it; LOCAL_INV, or a SEND
 * with Invalidate arriving on that QP, makes it FREE again.
 *
 * A window with a length counts on its MR (mr->num_mw).  Deregistering an
 * MR that windows are bound to fails with EINVAL, as in rxe 6.1 (IBA
 * 10.6.7.2.6); that also keeps a bound window's MR pointer valid without
 * a reference.  num_mw becomes -1 once deregistration has begun, so no
 * bind can race it.
 *
 * Lookups run under RCU (the engines, softirq included) and take the
 * window's lock.  The core frees the ib_mw as soon as odph_dealloc_mw()
 * returns, so that waits for a grace period after unpublishing.
 */
#include "odph.h"

/* What a window may grant.  Zero-based windows are not supported. */
#define ODPH_MW_ACCESS	(IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_READ | \
			 IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC)

int odph_alloc_mw(struct ib_mw *ibmw, struct ib_udata *udata)
{
	struct odph_dev *dev = to_odph_dev(ibmw->device);
	struct odph_mw *mw = to_odph_mw(ibmw);
	u32 index;
	int ret;

	if (ibmw->type != IB_MW_TYPE_1 && ibmw->type != IB_MW_TYPE_2)
		return -EINVAL;
	spin_lock_init(&mw->lock);
	mw->state = ibmw->type == IB_MW_TYPE_1 ? ODPH_MW_VALID : ODPH_MW_FREE;
	/* Published with rkey 0, which no key matches, until set below. */
	ret = xa_alloc_cyclic(&dev->mrs, &index,
			      xa_tag_pointer(mw, ODPH_KEY_MW),
			      XA_LIMIT(1, ODPH_KEY_INDEX_MAX), &dev->next_mr,
			      GFP_KERNEL);
	if (ret < 0)
		return ret;
	spin_lock_bh(&mw->lock);
	mw->rkey = (index << 8) | (get_random_u32() & 0xff);
	spin_unlock_bh(&mw->lock);
	ibmw->rkey = mw->rkey;
	return 0;
}

/* Forget the binding.  Caller must hold mw->lock. */
static void odph_mw_unbind(struct odph_mw *mw)
{
	lockdep_assert_held(&mw->lock);
	if (mw->mr)
		atomic_dec(&mw->mr->num_mw);
	mw->mr = NULL;
	mw->addr = 0;
	mw->length = 0;
	mw->access = 0;
	mw->qp_uid = 0;
}

/* Deallocating a bound window unbinds it (rxe 6.1 does the same). */
int odph_dealloc_mw(struct ib_mw *ibmw)
{
	struct odph_dev *dev = to_odph_dev(ibmw->device);
	struct odph_mw *mw = to_odph_mw(ibmw);

	xa_erase(&dev->mrs, mw->rkey >> 8);
	synchronize_rcu();		/* no lookup sees it any more */
	spin_lock_bh(&mw->lock);
	odph_mw_unbind(mw);
	mw->state = ODPH_MW_INVALID;
	spin_unlock_bh(&mw->lock);
	return 0;
}

/* The window of @key's index, or NULL.  Caller must hold rcu_read_lock(). */
static struct odph_mw *odph_mw_lookup(struct odph_dev *dev, u32 key)
{
	void *entry = xa_load(&dev->mrs, key >> 8);

	if (!entry || xa_pointer_tag(entry) != ODPH_KEY_MW)
		return NULL;
	return xa_untag_pointer(entry);
}

static bool odph_range_in(u64 addr, u64 len, u64 start, u64 size)
{
	u64 end;

	return !check_add_overflow(addr, len, &end) && addr >= start &&
	       end <= start + size;
}

/*
 * The bind rules (IBA 10.6.7.2-3, C10-72..75), every violation -EINVAL:
 * the window's current rkey; type 1 VALID, type 2 FREE and given a length;
 * the QP and the MR in the window's PD; the MR allows MW_BIND, holds the
 * range, and has LOCAL_WRITE when the window grants remote write or
 * atomics.  rxe 6.1 checks neither the PD of a type 1 window's QP nor that
 * of the MR; odph does, as the IBA asks.
 * Caller must hold mw->lock.
 */
static int odph_mw_check_bind(struct odph_qp *qp, struct odph_mw *mw,
			      struct odph_mr *mr, const struct rxe_send_wr *wr)
{
	u64 len = wr->wr.mw.length;
	int access = wr->wr.mw.access;

	lockdep_assert_held(&mw->lock);
	if (mw->rkey != wr->wr.mw.mw_rkey || qp->ib.pd != mw->ib.pd)
		return -EINVAL;
	if (mw->ib.type == IB_MW_TYPE_1 && mw->state != ODPH_MW_VALID)
		return -EINVAL;
	if (mw->ib.type == IB_MW_TYPE_2 && (mw->state != ODPH_MW_FREE || !len))
		return -EINVAL;
	if (!len)
		return 0;
	if (!mr || !(mr->access & IB_ACCESS_MW_BIND))
		return -EINVAL;
	if ((access & (IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC)) &&
	    !(mr->access & IB_ACCESS_LOCAL_WRITE))
		return -EINVAL;
	if (mr->kind != ODPH_MR_DMA &&
	    !odph_range_in(wr->wr.mw.addr, len, mr->iova, mr->length))
		return -EINVAL;
	return 0;
}

/* Caller must hold mw->lock. */
static int odph_mw_do_bind(struct odph_qp *qp, struct odph_mw *mw,
			   struct odph_mr *mr, const struct rxe_send_wr *wr)
{
	lockdep_assert_held(&mw->lock);
	if (!wr->wr.mw.length)
		mr = NULL;
	/* Counted first: an MR being deregistered refuses new windows. */
	if (mr && !atomic_inc_unless_negative(&mr->num_mw))
		return -EINVAL;
	odph_mw_unbind(mw);
	mw->rkey = (mw->rkey & ~0xffu) | (wr->wr.mw.rkey & 0xff);
	mw->state = ODPH_MW_VALID;
	mw->mr = mr;
	if (mr) {
		mw->addr = wr->wr.mw.addr;
		mw->length = wr->wr.mw.length;
		mw->access = wr->wr.mw.access;
	}
	if (mw->ib.type == IB_MW_TYPE_2)
		mw->qp_uid = qp->uid;
	return 0;
}

/**
 * odph_mw_bind - execute a BIND_MW WQE of @qp
 * @wr: the WQE as librxe wrote it (struct rxe_send_wr's mw member)
 *
 * Returns 0 or -EINVAL; the requester completes a failure with
 * IB_WC_MW_BIND_ERR.  Callable in atomic context.
 */
int odph_mw_bind(struct odph_qp *qp, const struct rxe_send_wr *wr)
{
	struct odph_mr *mr = NULL;
	struct odph_mw *mw;
	int ret = -EINVAL;

	if (wr->wr.mw.access & ~ODPH_MW_ACCESS)
		return -EINVAL;
	rcu_read_lock();
	mw = odph_mw_lookup(qp->dev, wr->wr.mw.mw_rkey);
	if (!mw)
		goto out_unlock_rcu;
	if (wr->wr.mw.length)
		mr = odph_mr_get(qp->dev, mw->ib.pd, wr->wr.mw.mr_lkey, 0,
				 wr->wr.mw.addr, 0);
	spin_lock_bh(&mw->lock);
	ret = odph_mw_check_bind(qp, mw, mr, wr);
	if (!ret)
		ret = odph_mw_do_bind(qp, mw, mr, wr);
	spin_unlock_bh(&mw->lock);
	if (mr)
		odph_mr_put(mr);
out_unlock_rcu:
	rcu_read_unlock();
	return ret;
}

/**
 * odph_invalidate_rkey - LOCAL_INV (@remote false) or SEND with Invalidate
 *
 * Only a bound type 2 window of @qp's PD can be invalidated; a remote
 * invalidation must also arrive on the QP the window is bound to.  odph
 * has no fast-register MRs, so an MR's key is refused (-EINVAL), as are
 * type 1 windows (o10-37.2.26) and stale keys.
 */
int odph_invalidate_rkey(struct odph_qp *qp, u32 rkey, bool remote)
{
	struct odph_mw *mw;
	int ret = -EINVAL;

	rcu_read_lock();
	mw = odph_mw_lookup(qp->dev, rkey);
	if (!mw)
		goto out_unlock_rcu;
	spin_lock_bh(&mw->lock);
	if (mw->rkey == rkey && mw->ib.type == IB_MW_TYPE_2 &&
	    mw->state == ODPH_MW_VALID && mw->ib.pd == qp->ib.pd &&
	    (!remote || mw->qp_uid == qp->uid)) {
		odph_mw_unbind(mw);
		mw->state = ODPH_MW_FREE;
		ret = 0;
	}
	spin_unlock_bh(&mw->lock);
out_unlock_rcu:
	rcu_read_unlock();
	return ret;
}

/* The MR under window @mw for an access through it, referenced, or NULL. */
static struct odph_mr *odph_mw_mr(struct odph_qp *qp, struct odph_mw *mw,
				  u32 rkey, int access, u64 va, u32 len)
{
	struct odph_mr *mr = NULL;

	spin_lock_bh(&mw->lock);
	if (mw->rkey == rkey && mw->state == ODPH_MW_VALID && mw->mr &&
	    mw->ib.pd == qp->ib.pd &&
	    (mw->ib.type == IB_MW_TYPE_1 || mw->qp_uid == qp->uid) &&
	    (mw->access & access) == access &&
	    odph_range_in(va, len, mw->addr, mw->length) &&
	    refcount_inc_not_zero(&mw->mr->ref))
		mr = mw->mr;
	spin_unlock_bh(&mw->lock);
	return mr;
}

/**
 * odph_rkey_get - the MR behind @rkey for @qp's access of @len bytes at @va
 * @access: IB_ACCESS_* needed (0: any, e.g. to fault a page)
 *
 * An MR's key is checked as odph_mr_get() does.  A window's key must be
 * the window's current one, VALID, in @qp's PD, bound to @qp (type 2),
 * grant @access and hold the range; the MR's own remote rights do not
 * matter then.  Checked against the window, not only its MR (rxe 6.1
 * checks the MR's range only).  Returns a referenced MR, or NULL.
 * Callable in softirq.
 */
struct odph_mr *odph_rkey_get(struct odph_qp *qp, u32 rkey, int access,
			      u64 va, u32 len)
{
	struct odph_mr *mr = NULL;
	struct odph_mw *mw;

	rcu_read_lock();
	mw = odph_mw_lookup(qp->dev, rkey);
	if (mw)
		mr = odph_mw_mr(qp, mw, rkey, access, va, len);
	rcu_read_unlock();
	if (mw)
		return mr;
	return odph_mr_get(qp->dev, qp->ib.pd, rkey, access, va, len);
}
