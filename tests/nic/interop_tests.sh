#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# odph against the kernel's own rdma_rxe, both directions, and odph through
# a lossy, reordering link.  rxe stays in init_net (all stock 6.1 rxe can
# do) on vR; odph sits in namespace odphB on vB.  Runs in the VM.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/nic/netns.sh

PORT=18700

rxe_setup() {
	$IP netns add odphB && $IP link add vR type veth peer name vB &&
	$IP link set vB netns odphB &&
	$IP addr add 10.12.0.1/24 dev vR && $IP link set vR up &&
	in_ns B $IP addr add 10.12.0.2/24 dev vB &&
	in_ns B $IP link set vB up && in_ns B $IP link set lo up &&
	rdma link add rxe0 type rxe netdev vR &&
	in_ns B rdma link add odphB type odph netdev vB
}

rxe_teardown() {
	rdma link delete rxe0 2>/dev/null
	in_ns B rdma link delete odphB 2>/dev/null
	$IP link del vR 2>/dev/null
	$IP netns del odphB 2>/dev/null
}

# cross SERVER PROG ARGS...: SERVER is rxe or odph; the client is the other.
# $ODPH_EXTRA goes to the odph side only (rxe refuses ODP).
cross() {
	local side=$1 prog=$2 gR gB srv rc
	shift 2
	gR=$(gid_index rxe0 10.12.0.1) && gB=$(gid_index odphB 10.12.0.2) ||
		return 1
	PORT=$((PORT + 1))
	if [ "$side" = rxe ]; then
		timeout 120 "$prog" -d rxe0 -g "$gR" -p "$PORT" "$@" &
		srv=$!
		wait_listen "" "$PORT" || return 1
		timeout 120 $IP netns exec odphB "$prog" -d odphB -g "$gB" \
			-p "$PORT" ${ODPH_EXTRA:-} "$@" 10.12.0.1
	else
		timeout 120 $IP netns exec odphB "$prog" -d odphB -g "$gB" \
			-p "$PORT" ${ODPH_EXTRA:-} "$@" &
		srv=$!
		wait_listen odphB "$PORT" || return 1
		timeout 120 "$prog" -d rxe0 -g "$gR" -p "$PORT" "$@" 10.12.0.2
	fi
	rc=$?
	wait "$srv" && [ "$rc" = 0 ]
}

# cross_perf SERVER PROG ARGS...: a perftest program between rxe0 and
# odphB, SERVER (rxe or odph) listening; both exit 0, the client prints a
# result row.  $ODPH_EXTRA goes to the odph side only.
cross_perf() {
	local side=$1 prog=$2 gR gB srv rc out
	shift 2
	gR=$(gid_index rxe0 10.12.0.1) && gB=$(gid_index odphB 10.12.0.2) ||
		return 1
	PORT=$((PORT + 1))
	if [ "$side" = rxe ]; then
		timeout 120 "$prog" -d rxe0 -x "$gR" -p "$PORT" -F "$@" &
		srv=$!
		wait_listen "" "$PORT" || return 1
		out=$(timeout 120 $IP netns exec odphB "$prog" -d odphB -x "$gB" \
			-p "$PORT" -F ${ODPH_EXTRA:-} "$@" 10.12.0.1 2>&1)
	else
		timeout 120 $IP netns exec odphB "$prog" -d odphB -x "$gB" \
			-p "$PORT" -F ${ODPH_EXTRA:-} "$@" &
		srv=$!
		wait_listen odphB "$PORT" || return 1
		out=$(timeout 120 "$prog" -d rxe0 -x "$gR" -p "$PORT" -F "$@" \
			10.12.0.2 2>&1)
	fi
	rc=$?
	echo "$out"
	wait "$srv" && [ "$rc" = 0 ] && perf_row "$out"
}

cross_perf_odp() {
	ODPH_EXTRA=--odp cross_perf "$@"
}

cross_odp() {
	ODPH_EXTRA=-o cross "$@"
}

# lossy PROG ARGS...: PROG odphA <-> odphB with netem on vB (5% of B's
# packets lost, ACKs included); must complete and must have needed
# retransmissions.  Only for programs that meet again over TCP before they
# tear down (xfer_tool): a lost last ACK is then resent for the duplicate.
lossy() {
	in_ns B tc qdisc add dev vB root netem loss 5% reorder 10% delay 1ms ||
		return 1
	ab_pair "$@"
	local rc=$?
	in_ns B tc qdisc del dev vB root
	lossy_verdict "$rc"
}

# lossy_data PROG ARGS...: PROG odphA <-> odphB, both directions reordered
# (10%, netem) and 1 in 20 data packets dropped (a tc egress filter on IP
# total length 1024-1279 bytes: full 1024-byte MTU payloads), ACKs never.
# For ibv_rc_pingpong, which exits as soon as its own last SEND is ACKed:
# a lost ACK of the peer's last SEND would leave the peer resending to a
# destroyed QP until its retry count runs out, whatever the NIC.
lossy_data() {
	local ns rc dropped
	for ns in A B; do
		in_ns $ns tc qdisc add dev v$ns root netem reorder 10% delay 1ms &&
		in_ns $ns tc qdisc add dev v$ns clsact &&
		in_ns $ns tc filter add dev v$ns egress pref 1 protocol ip \
			u32 match u16 0x0400 0xff00 at 2 \
			action gact pass random netrand drop 20 || return 1
	done
	ab_pair "$@"
	rc=$?
	for ns in A B; do
		dropped=$(in_ns $ns tc -s filter show dev v$ns egress |
			sed -n 's/.*(dropped \([0-9]*\),.*/\1/p' | head -n 1)
		echo "v$ns: the filter dropped ${dropped:-?} data packets"
		[ "${dropped:-0}" -gt 0 ] || rc=1
		in_ns $ns tc qdisc del dev v$ns clsact
		in_ns $ns tc qdisc del dev v$ns root
	done
	lossy_verdict "$rc"
}

# lossy_verdict RC: print both ports' counters; RC 0 and some retransmits.
lossy_verdict() {
	in_ns B rdma statistic show link odphB/1
	in_ns A rdma statistic show link odphA/1
	[ "$1" = 0 ] &&
		[ "$(counter odphA retransmits)$(counter odphB retransmits)" != 00 ]
}

# counter DEV NAME: a port counter of DEV (created in namespace A or B).
counter() {
	local ns=${1#odph}
	in_ns "$ns" rdma statistic show link "$1/1" |
		sed -n "s/.* $2 \([0-9]*\).*/\1/p"
}

if rxe_setup; then
	tap_case "rxe server, odph client: ibv_rc_pingpong 4 KiB, checked" \
		cross rxe ibv_rc_pingpong -c -s 4096 -n 100
	tap_case "odph server, rxe client: ibv_rc_pingpong 4 KiB, checked" \
		cross odph ibv_rc_pingpong -c -s 4096 -n 100
	tap_case "rxe server, odph client: 64 KiB messages, checked" \
		cross rxe ibv_rc_pingpong -c -s 65536 -m 1024 -n 20
	tap_case "odph server, rxe client: ibv_ud_pingpong, checked" \
		cross odph ibv_ud_pingpong -c -s 1024 -n 100
	tap_case "rxe server, odph client with ODP MRs, checked" \
		cross_odp rxe ibv_rc_pingpong -c -s 8192 -n 50
	tap_case "odph server with ODP MRs, rxe client, checked" \
		cross_odp odph ibv_rc_pingpong -c -s 8192 -n 50
	tap_case "rxe server, odph client: every RC opcode and a memory window, data checked" \
		cross rxe tests/build/xfer_tool
	tap_case "odph server, rxe client: every RC opcode and a memory window, data checked" \
		cross odph tests/build/xfer_tool
	tap_case "rxe server, odph client (ODP MRs): every RC opcode" \
		cross_odp rxe tests/build/xfer_tool
	tap_case "odph server (ODP MRs), rxe client: every RC opcode" \
		cross_odp odph tests/build/xfer_tool
	for t in "ib_write_bw -s 65536 -n 100" "ib_read_bw -s 65536 -n 100" \
		 "ib_send_bw -s 65536 -n 100" "ib_atomic_bw -n 100" \
		 "ib_write_lat -s 8 -n 200"; do
		tap_case "rxe server, odph client: $t" cross_perf rxe $t
		tap_case "odph server, rxe client: $t" cross_perf odph $t
	done
	for t in "ib_write_bw" "ib_read_bw" "ib_send_bw"; do
		tap_case "odph --odp server, rxe pinned client: $t 64 KiB" \
			cross_perf_odp odph $t -s 65536 -n 100
		tap_case "rxe pinned server, odph --odp client: $t 64 KiB" \
			cross_perf_odp rxe $t -s 65536 -n 100
	done
else
	tap_case "rxe and odph on a veth set up" false
fi
rxe_teardown

if netns_setup; then
	tap_case "5% data loss, 10% reorder: 16 KiB messages arrive intact, retransmitted" \
		lossy_data ibv_rc_pingpong -c -s 16384 -m 1024 -n 100
	tap_case "5% loss, 10% reorder: every RC opcode and a memory window, data checked" \
		lossy tests/build/xfer_tool
else
	tap_case "namespaces set up" false
fi
netns_teardown
tap_done
