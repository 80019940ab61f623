/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mirror core tracepoints (tracefs events/odp/): one event per fault,
 * prefetch and invalidation that zapped pages.
 *
 *	echo 1 > /sys/kernel/tracing/events/odp/enable
 *
 * @id is the mirror's id (odp_mirror_id(), unique while the module is
 * loaded); ranges are device iovas; @faulted/@snapshot are the pages the
 * call mapped by faulting them and by finding them already populated.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM odp

#if !defined(ODP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define ODP_TRACE_H

#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(odp_map_class,
	TP_PROTO(u32 id, u64 iova, u64 length, unsigned int flags,
		 u64 faulted, u64 snapshot, int result),
	TP_ARGS(id, iova, length, flags, faulted, snapshot, result),
	TP_STRUCT__entry(
		__field(u32, id)
		__field(u64, iova)
		__field(u64, length)
		__field(unsigned int, flags)
		__field(u64, faulted)
		__field(u64, snapshot)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->id = id;
		__entry->iova = iova;
		__entry->length = length;
		__entry->flags = flags;
		__entry->faulted = faulted;
		__entry->snapshot = snapshot;
		__entry->result = result;
	),
	TP_printk("mirror=%u iova=0x%llx length=%llu flags=0x%x faulted=%llu snapshot=%llu result=%d",
		  __entry->id, __entry->iova, __entry->length, __entry->flags,
		  __entry->faulted, __entry->snapshot, __entry->result)
);

/* flags: ODP_ACCESS_* */
DEFINE_EVENT(odp_map_class, odp_fault,
	TP_PROTO(u32 id, u64 iova, u64 length, unsigned int flags,
		 u64 faulted, u64 snapshot, int result),
	TP_ARGS(id, iova, length, flags, faulted, snapshot, result));

/* flags: ODP_PREFETCH_* */
DEFINE_EVENT(odp_map_class, odp_prefetch,
	TP_PROTO(u32 id, u64 iova, u64 length, unsigned int flags,
		 u64 faulted, u64 snapshot, int result),
	TP_ARGS(id, iova, length, flags, faulted, snapshot, result));

/* [first, last]: the iovas the notifier covered; pages: 4 KiB pages zapped */
TRACE_EVENT(odp_invalidate,
	TP_PROTO(u32 id, u64 first, u64 last, u64 pages, bool blockable),
	TP_ARGS(id, first, last, pages, blockable),
	TP_STRUCT__entry(
		__field(u32, id)
		__field(u64, first)
		__field(u64, last)
		__field(u64, pages)
		__field(bool, blockable)
	),
	TP_fast_assign(
		__entry->id = id;
		__entry->first = first;
		__entry->last = last;
		__entry->pages = pages;
		__entry->blockable = blockable;
	),
	TP_printk("mirror=%u first=0x%llx last=0x%llx pages=%llu blockable=%d",
		  __entry->id, __entry->first, __entry->last, __entry->pages,
		  __entry->blockable)
);

#endif /* ODP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE odp_trace
#include <trace/define_trace.h>
