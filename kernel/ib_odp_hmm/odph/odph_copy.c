// SPDX-License-Identifier: GPL-2.0
/*
 * odph copier: the one place where payload meets registered memory.
 *
 * odph_mr_copy() copies a range of one MR through its backend
 * (odph_mr.h); odph_sge_copy() walks a range of an SGE list and copies
 * each SGE's part through odph_mr_copy().  Every engine copies through
 * them: the requester's gather, the completer's scatter of READ
 * responses and atomic results, the responder's scatter of SEND and UD
 * payloads, its WRITE payloads and READ responses.
 *
 * Neither sleeps.  A miss (an ODP page not mapped for the access) comes
 * back as -EAGAIN, with odph_sge_copy() saying where; each caller
 * resolves it its own way:
 *	- the requester notes the fault and faults where it may sleep,
 *	  then builds the packet again;
 *	- the completer notes the fault and asks for the READ again;
 *	- the responder answers RNR NAK and faults on the QP's fault work.
 */
#include "odph.h"

/**
 * odph_mr_copy - copy @len bytes between @buf and the MR at @va
 * @dir: ODPH_TO_MR to write the MR, ODPH_FROM_MR to read it
 *
 * The caller checked bounds and permission with odph_mr_get() or
 * odph_rkey_get().  Never sleeps.  Returns 0, -EAGAIN when a page must
 * be faulted first (the pages before it may have been copied), or the
 * backend's error.
 */
int odph_mr_copy(struct odph_mr *mr, u64 va, void *buf, u32 len,
		 enum odph_copy_dir dir)
{
	long done = mr->ops->copy(mr, va, buf, len, dir);

	if (done < 0)
		return done;
	return done < len ? -EAGAIN : 0;
}

/* Copy one SGE's part of the walk; on a miss, say where in @miss. */
static int odph_sge_copy_one(struct odph_qp *qp, const struct rxe_sge *sge,
			     u32 off, void *buf, u32 n, enum odph_copy_dir dir,
			     struct odph_miss *miss)
{
	int access = dir == ODPH_TO_MR ? IB_ACCESS_LOCAL_WRITE : 0;
	u64 va = sge->addr + off;
	struct odph_mr *mr;
	int ret;

	mr = odph_mr_get(qp->dev, qp->ib.pd, sge->lkey, access, va, n);
	if (!mr)
		return -EACCES;
	ret = odph_mr_copy(mr, va, buf, n, dir);
	odph_mr_put(mr);
	if (ret == -EAGAIN) {
		miss->key = sge->lkey;
		miss->va = va;
		miss->len = n;
	}
	return ret;
}

/**
 * odph_sge_copy - copy @len bytes between @buf and an SGE list
 * @qp: whose PD owns the SGEs' MRs
 * @off: where in the list (the SGEs' bytes laid end to end) to start
 * @dir: ODPH_TO_MR scatters @buf into the list (the MRs need
 *	LOCAL_WRITE), ODPH_FROM_MR gathers the list into @buf
 * @miss: filled on -EAGAIN
 *
 * Never sleeps.  Returns 0; -EACCES for an lkey that is no MR of the PD,
 * lacks the access or does not hold its SGE; -EINVAL when the SGEs end
 * before @len bytes; -EAGAIN on a miss: [@miss->va, + @miss->len) of
 * @miss->key must be faulted, the @miss->done bytes before that SGE's
 * part were copied; or the backend's error.
 */
int odph_sge_copy(struct odph_qp *qp, const struct rxe_sge *sge, u32 num_sge,
		  u32 off, void *buf, u32 len, enum odph_copy_dir dir,
		  struct odph_miss *miss)
{
	u32 i, n, done = 0;
	int ret;

	for (i = 0; i < num_sge && done < len; i++) {
		if (off >= sge[i].length) {
			off -= sge[i].length;
			continue;
		}
		n = min(len - done, sge[i].length - off);
		ret = odph_sge_copy_one(qp, &sge[i], off, buf + done, n, dir,
					miss);
		if (ret) {
			miss->done = done;
			return ret;
		}
		done += n;
		off = 0;
	}
	return done < len ? -EINVAL : 0;
}
