#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# libibverbs-ext (libodpext) on odph: implicit and window ODP MRs, advise_mr
# through the uverbs ioctl (errnos, FLUSH, async, NO_FAULT), per-MR ODP
# counters through RDMA netlink, and the mirror core's tracepoints.  Each
# case is one run of tests/build/ext_test (tests/nic/ext_test.c) in
# namespace A against odphA; it checks data and exact counter values.
# Runs in the VM (tests/vm/run), as root.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/nic/netns.sh

# Not under /sys: `ip netns exec` mounts a fresh sysfs over it.
TRACING=$(mktemp -d /tmp/ext_tracefs.XXXXXX)

ext() {
	local g
	g=$(odph_gid odphA) || return 1
	EXT_TRACING=$TRACING timeout 120 $IP netns exec odphA \
		tests/build/ext_test -d odphA -g "$g" "$1"
}

tracefs_up() {
	mount -t tracefs nodev "$TRACING" 2>/dev/null
	[ -d "$TRACING/events/odp" ]
}

# A stock rxe device in init_net (odph lives in the namespaces).
rxe_up() {
	$IP link add vXr type veth peer name vXp &&
	$IP link set vXr up && $IP link set vXp up &&
	rdma link add extrxe0 type rxe netdev vXr
}

rxe_down() {
	rdma link delete extrxe0 2>/dev/null
	$IP link del vXr 2>/dev/null
}

netns_teardown
if ! netns_setup; then
	echo "not ok 1 - netns/odph setup"
	echo "0 passed, 1 failed"
	exit 1
fi

tap_case "probe: odphA is odph" ext probe
tap_case "implicit MR moves heap/stack/mmap data" ext implicit
tap_case "window MR: 1 page faulted, window-1 snapshot" ext window
tap_case "PREFETCH+FLUSH then 64 KiB write: 0 faults" ext flush
tap_case "async PREFETCH then 64 KiB write: 0 faults" ext async
tap_case "PREFETCH_NO_FAULT maps exactly the 3 resident pages" ext no_fault
tap_case "PREFETCH_WRITE on read-only memory: EPERM/EACCES" \
	ext prefetch_write_ro
tap_case "advise bad arguments: errno table" ext bad_args
tap_case "pinned MR: stats ENOENT, advice no-op" ext pinned
if tracefs_up; then
	tap_case "tracepoints: exact events for a known sequence" ext trace
else
	tap_skip "tracepoints: exact events for a known sequence" "no tracefs"
fi

tap_case "CAP_NET_ADMIN dropped: stats EPERM" ext stats_noadmin
tap_case "odp_ext_install: ibv_advise_mr itself reaches the kernel" \
	ext install
tap_case "async advice pending while MR/PD/process go away" \
	ext async_teardown

netns_teardown
if rxe_up; then
	tap_case "stock rxe: not odph, advice/ODP MRs/stats EOPNOTSUPP, install ENODEV" \
		tests/build/ext_test -d extrxe0 not_odph
else
	tap_skip "stock rxe: not odph, advice/ODP MRs/stats EOPNOTSUPP, install ENODEV" "no rdma_rxe"
fi
rxe_down
umount "$TRACING" 2>/dev/null
rmdir "$TRACING"
tap_done
