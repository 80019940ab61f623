#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# odph with unmodified tools: two network namespaces joined by a veth pair,
# an odph device in each, and libibverbs' own pingpong programs between
# them through Debian's librxe provider.  Runs in the VM (tests/vm/run).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/nic/netns.sh

PORT=18600

# perf_on SDEV CDEV PROG ARGS...: a perftest program, its server on SDEV
# and its client on CDEV (odphA or odphB, each in its namespace) to
# 10.11.0.1, on a fresh port; both must exit 0 and the client must print
# its result row.
perf_on() {
	local sdev=$1 cdev=$2 prog=$3 gs gc out srv rc
	shift 3
	gs=$(odph_gid "$sdev") && gc=$(odph_gid "$cdev") || return 1
	PORT=$((PORT + 1))
	timeout 120 $IP netns exec "$sdev" "$prog" -d "$sdev" -x "$gs" \
		-p "$PORT" -F "$@" &
	srv=$!
	wait_listen "$sdev" "$PORT" || return 1
	out=$(timeout 120 $IP netns exec "$cdev" "$prog" -d "$cdev" -x "$gc" \
		-p "$PORT" -F "$@" 10.11.0.1 2>&1)
	rc=$?
	echo "$out"
	wait "$srv" && [ "$rc" = 0 ] && perf_row "$out"
}

# perf PROG ARGS...: perftest, server in A, client in B.
perf() {
	perf_on odphA odphB "$@"
}

# rping_pair: rdma_cm's rping, server in A, client in B, payload verified.
# The client retries while the server is not listening yet (a REJECT).
rping_pair() {
	local srv rc i out
	PORT=$((PORT + 1))
	timeout 90 $IP netns exec odphA rping -s -a 10.11.0.1 -p "$PORT" -C 20 \
		-S 4096 -V &
	srv=$!
	for i in $(seq 1 20); do
		sleep 1
		out=$(timeout 60 $IP netns exec odphB rping -c -a 10.11.0.1 \
			-p "$PORT" -C 20 -S 4096 -V -v 2>&1)
		rc=$?
		case $out in
		*REJECTED*) ;;
		*) break ;;
		esac
	done
	echo "$out" | tail -n 3
	wait "$srv" && [ "$rc" = 0 ]
}

# loop PROG ARGS...: a perftest program with both ends on odphA
# (loopback through one device, as single-host perftest runs do).
loop() {
	perf_on odphA odphA "$@"
}

# memlock CMD...: CMD with RLIMIT_MEMLOCK at 64 KiB and without
# CAP_IPC_LOCK (dropped from the bounding set of everything $IP starts),
# so pinned registrations are limited as for an unprivileged user.
memlock() {
	(ulimit -l 64 &&
		IP="setpriv --bounding-set=-ipc_lock --inh-caps=-ipc_lock $IP" &&
		"$@")
}

# memlock_pinned_refused: the same perftest run over pinned MRs cannot
# register its 1 MiB buffer (the ODP case's control).
memlock_pinned_refused() {
	local out
	out=$(memlock loop ib_write_bw -s 1048576 -n 20 2>&1) &&
		{ echo "$out"; echo "pinned 1 MiB MR registered under 64 KiB"; return 1; }
	echo "$out"
	echo "$out" | grep -q "Couldn't allocate MR"
}

# mr_counters: xfer_tool over ODP MRs; before teardown the server's MR must
# show ODP faults in `rdma statistic show mr` and the same values in
# `rdma resource show mr -dd`: its accesses touch pages 0-2, 8-10 and 12
# of the 16, so at least 7 pages were faulted or snapshot-mapped, and no
# fault failed.
mr_counters() {
	local out=tests/build/mr_counters.$$ st res f p s e
	XFER_AT_EXIT="rdma -j statistic show mr >$out.st; rdma -j resource show mr -dd >$out.res" \
		ab_pair tests/build/xfer_tool -o || return 1
	st=$(cat "$out.st") res=$(cat "$out.res")
	rm -f "$out.st" "$out.res"
	echo "$st"
	echo "$res"
	f=$(echo "$st" | grep -o '"odp_faults":[0-9]*' | cut -d: -f2)
	p=$(echo "$st" | grep -o '"odp_pages_faulted":[0-9]*' | cut -d: -f2)
	s=$(echo "$st" | grep -o '"odp_pages_snapshot":[0-9]*' | cut -d: -f2)
	e=$(echo "$st" | grep -o '"odp_fault_errors":[0-9]*' | cut -d: -f2)
	[ -n "$f" ] && [ "$f" -ge 1 ] && [ $((p + s)) -ge 7 ] && [ "$e" = 0 ] &&
		echo "$res" | grep -q "\"drv_odp_faults\":$f[,}]"
}

devinfo() {
	ibv_devinfo -d odphA | tee /dev/stderr | grep -q 'PORT_ACTIVE' &&
		[ "$(cat /sys/class/infiniband/odphA/ports/1/link_layer)" = Ethernet ]
}

if ! netns_setup; then
	tap_case "netns and odph devices set up" false
	tap_done
	exit 1
fi
tap_case "ibv_devinfo shows odphA active on Ethernet" devinfo
tap_case "ibv_rc_pingpong 4 KiB x 200, data checked" \
	ab_pair ibv_rc_pingpong -c -s 4096 -n 200
tap_case "ibv_rc_pingpong 1 byte, mtu 256, inline" \
	ab_pair ibv_rc_pingpong -c -s 1 -m 256 -n 50
tap_case "ibv_rc_pingpong 64 KiB (64 packets/msg)" \
	ab_pair ibv_rc_pingpong -c -s 65536 -m 1024 -n 20
tap_case "ibv_rc_pingpong with completion events" \
	ab_pair ibv_rc_pingpong -c -e -s 2048 -n 50
tap_case "ibv_ud_pingpong 1 KiB x 100, data checked" \
	ab_pair ibv_ud_pingpong -c -s 1024 -n 100
tap_case "ibv_srq_pingpong 4 QPs on one SRQ" \
	ab_pair ibv_srq_pingpong -c -q 4 -s 4096 -n 50
tap_case "ibv_rc_pingpong over ODP MRs, data checked" \
	ab_pair ibv_rc_pingpong -c -o -s 8192 -n 100
tap_case "ibv_rc_pingpong over implicit ODP MRs, data checked" \
	ab_pair ibv_rc_pingpong -c -O -s 8192 -n 100
tap_case "every RC opcode, multi-packet, data and atomics checked" \
	ab_pair tests/build/xfer_tool
tap_case "every RC opcode over ODP MRs, data and atomics checked" \
	ab_pair tests/build/xfer_tool -o
tap_case "ODP counters in rdma statistic show mr / resource show mr -dd" \
	mr_counters
tap_case "RESET drops posted receives without completions, QP reusable" \
	ab_pair tests/build/xfer_tool -r
tap_case "rping (rdma_cm) 20 x 4 KiB, verified" rping_pair
tap_case "ib_write_bw 64 KiB" perf ib_write_bw -s 65536 -n 100
tap_case "ib_read_bw 64 KiB" perf ib_read_bw -s 65536 -n 100
tap_case "ib_send_bw 64 KiB" perf ib_send_bw -s 65536 -n 100
tap_case "ib_atomic_bw" perf ib_atomic_bw -n 100
tap_case "ib_write_lat 8 B" perf ib_write_lat -s 8 -n 200
tap_case "ib_write_bw --odp 64 KiB" perf ib_write_bw -s 65536 -n 100 --odp
tap_case "ib_read_bw --odp 64 KiB" perf ib_read_bw -s 65536 -n 100 --odp
tap_case "ib_send_bw --odp 64 KiB" perf ib_send_bw -s 65536 -n 100 --odp
tap_case "ib_write_bw -R (rdma_cm over the GSI QP)" \
	perf ib_write_bw -s 4096 -n 200 -R
tap_case "ib_read_bw -R" perf ib_read_bw -s 4096 -n 200 -R
tap_case "ib_send_bw -R" perf ib_send_bw -s 4096 -n 200 -R
tap_case "ib_atomic_bw -R" perf ib_atomic_bw -n 100 -R
tap_case "ib_write_lat -R" perf ib_write_lat -s 8 -n 200 -R
tap_case "loopback on one device: ib_write_bw 64 KiB" \
	loop ib_write_bw -s 65536 -n 100
tap_case "loopback on one device: ib_read_bw --odp 64 KiB" \
	loop ib_read_bw -s 65536 -n 100 --odp
tap_case "RLIMIT_MEMLOCK 64 KiB, no CAP_IPC_LOCK: ib_write_bw 1 MiB --odp runs" \
	memlock loop ib_write_bw -s 1048576 -n 20 --odp
tap_case "... the same without --odp: pinned MR refused" memlock_pinned_refused
netns_teardown
tap_done
