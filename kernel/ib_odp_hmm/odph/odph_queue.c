// SPDX-License-Identifier: GPL-2.0
/*
 * odph rings shared with userspace, in the rxe user ABI layout so that the
 * stock librxe provider can drive them: struct rxe_queue_buf, a header of
 * three cache lines (sizes, producer index, consumer index) and the slots.
 *
 * The kernel trusts nothing the other side writes: it keeps its own index
 * in odph_queue.kidx, and masks the other side's index on every read.
 */
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <rdma/uverbs_ioctl.h>

#include "odph.h"

/**
 * odph_queue_uctx - the user context a new queue will be mapped into
 * @udata: the verb's user data, NULL for a kernel consumer
 * @resp_len: size of the verb's response, which carries the mmap info
 * @uctx: set to the caller's user context, or NULL for a kernel queue
 *
 * Return: 0, or -EINVAL when the response does not fit in @udata.
 */
int odph_queue_uctx(struct ib_udata *udata, size_t resp_len,
		    struct ib_ucontext **uctx)
{
	*uctx = NULL;
	if (!udata)
		return 0;
	if (udata->outlen < resp_len)
		return -EINVAL;
	*uctx = &rdma_udata_to_drv_context(udata, struct odph_ucontext, ib)->ib;
	return 0;
}

/**
 * odph_queue_init - allocate a ring of at least *@nelem usable slots
 * @elem_size: bytes per slot, rounded up to a power of two
 * @uctx: the user context that will mmap the ring, or NULL (kernel ring)
 * @mi: filled with the mmap offset and size for userspace
 *
 * On return *@nelem holds the usable capacity (slots - 1).
 */
int odph_queue_init(struct odph_queue *q, u32 *nelem, size_t elem_size,
		    struct ib_ucontext *uctx, struct mminfo *mi)
{
	struct odph_mmap_entry *entry;
	u32 slots = roundup_pow_of_two(*nelem + 1);
	int ret;

	elem_size = roundup_pow_of_two(elem_size);
	q->log2_elem_size = order_base_2(elem_size);
	q->index_mask = slots - 1;
	q->kidx = 0;
	q->mmap = NULL;
	q->buf_size = PAGE_ALIGN(sizeof(*q->buf) + ((size_t)slots << q->log2_elem_size));
	q->buf = vmalloc_user(q->buf_size);
	if (!q->buf)
		return -ENOMEM;
	q->buf->log2_elem_size = q->log2_elem_size;
	q->buf->index_mask = q->index_mask;
	*nelem = slots - 1;
	if (!uctx)
		return 0;

	entry = kzalloc(sizeof(*entry), GFP_KERNEL);
	if (!entry) {
		ret = -ENOMEM;
		goto err_free_buf;
	}
	entry->buf = q->buf;
	ret = rdma_user_mmap_entry_insert(uctx, &entry->rdma, q->buf_size);
	if (ret)
		goto err_free_entry;
	q->mmap = &entry->rdma;
	mi->offset = rdma_user_mmap_get_offset(q->mmap);
	mi->size = q->buf_size;
	return 0;

err_free_entry:
	kfree(entry);
err_free_buf:
	vfree(q->buf);
	q->buf = NULL;
	return ret;
}

/*
 * odph_queue_fini - drop the kernel's use of the ring.  A user ring's
 * buffer lives until the last mapping is gone (odph_mmap_free()).
 */
void odph_queue_fini(struct odph_queue *q)
{
	if (q->mmap)
		rdma_user_mmap_entry_remove(q->mmap);
	else
		vfree(q->buf);
	q->buf = NULL;
	q->mmap = NULL;
}

void *odph_queue_slot(struct odph_queue *q, u32 index)
{
	return q->buf->data + ((size_t)(index & q->index_mask) << q->log2_elem_size);
}

/* The producer index written by userspace (send and receive rings). */
u32 odph_queue_user_prod(struct odph_queue *q)
{
	return smp_load_acquire(&q->buf->producer_index) & q->index_mask;
}

/* The consumer index written by userspace (completion rings). */
u32 odph_queue_user_cons(struct odph_queue *q)
{
	return smp_load_acquire(&q->buf->consumer_index) & q->index_mask;
}

/*
 * Empty the ring, as a QP moving to RESET does: both indices to 0.  The
 * caller has stopped every kernel user of the ring.
 */
void odph_queue_reset(struct odph_queue *q)
{
	q->kidx = 0;
	smp_store_release(&q->buf->producer_index, 0);
	smp_store_release(&q->buf->consumer_index, 0);
}

/* Publish the kernel's index: after the slots it covers are written. */
void odph_queue_set_kidx(struct odph_queue *q, u32 kidx, bool producer)
{
	q->kidx = kidx & q->index_mask;
	if (producer)
		smp_store_release(&q->buf->producer_index, q->kidx);
	else
		smp_store_release(&q->buf->consumer_index, q->kidx);
}

/* Write a kernel consumer's receive WR into ring slot @w (rxe layout). */
void odph_recv_wqe_fill(struct rxe_recv_wqe *w, const struct ib_recv_wr *wr)
{
	int i;

	w->wr_id = wr->wr_id;
	w->dma.num_sge = wr->num_sge;
	for (i = 0; i < wr->num_sge; i++) {
		w->dma.sge[i].addr = wr->sg_list[i].addr;
		w->dma.sge[i].length = wr->sg_list[i].length;
		w->dma.sge[i].lkey = wr->sg_list[i].lkey;
	}
}
