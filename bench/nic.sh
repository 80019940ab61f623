#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench/nic.sh RAW: odph against the kernel's stock rdma_rxe with unmodified
# perftest, on the same VM and the same netdev kind (a veth pair each).
# Runs in the VM (bench/run).  Appends "case device round value unit"
# lines to RAW; bench/report.py turns them into the table.
#
#   odph: odphA in namespace odphA on vA  <->  odphB in namespace odphB on vB
#   rxe:  rxe0 on vR1  <->  rxe1 on vR2, both in init_net (stock 6.1 rxe
#         knows no other namespace).  Both addresses are local there, so
#         policy routing sends what the host itself emits to the other end
#         out through the veth (rules for output lookups, "iif lo", ahead
#         of the local table), static neighbours stand in for ARP, and
#         accept_local lets each end take packets from a local source.
#
# Each round runs every case on both devices back to back, the order of
# the two devices alternating per round; BENCH_ROUNDS rounds (default 3).
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/nic/netns.sh
. bench/lib.sh

RAW=$1
ROUNDS=${BENCH_ROUNDS:-3}

sysctl_set() {
	sysctl -qw "$1=$2" >/dev/null
}

rxe_setup() {
	local d
	$IP link add vR1 type veth peer name vR2 &&
	$IP addr add 10.13.0.1/24 dev vR1 && $IP addr add 10.13.0.2/24 dev vR2 &&
	$IP link set vR1 up && $IP link set vR2 up || return 1
	for d in all vR1 vR2; do
		sysctl_set "net.ipv4.conf.$d.rp_filter" 0
		sysctl_set "net.ipv4.conf.$d.accept_local" 1
	done
	$IP neigh replace 10.13.0.2 dev vR1 nud permanent \
		lladdr "$(cat /sys/class/net/vR2/address)" &&
	$IP neigh replace 10.13.0.1 dev vR2 nud permanent \
		lladdr "$(cat /sys/class/net/vR1/address)" &&
	$IP route add 10.13.0.2 dev vR1 src 10.13.0.1 table 131 &&
	$IP route add 10.13.0.1 dev vR2 src 10.13.0.2 table 132 &&
	$IP rule add pref 10 iif lo to 10.13.0.2 lookup 131 &&
	$IP rule add pref 11 iif lo to 10.13.0.1 lookup 132 &&
	$IP rule add pref 100 lookup local &&
	$IP rule del pref 0 lookup local &&
	rdma link add rxe0 type rxe netdev vR1 &&
	rdma link add rxe1 type rxe netdev vR2
}

rxe_teardown() {
	rdma link delete rxe0 2>/dev/null
	rdma link delete rxe1 2>/dev/null
	$IP rule add pref 0 lookup local 2>/dev/null
	$IP rule del pref 100 lookup local 2>/dev/null
	$IP rule del pref 10 2>/dev/null
	$IP rule del pref 11 2>/dev/null
	$IP link del vR1 2>/dev/null
}

# rxe_crosses: a ping from vR1's address to vR2's must leave through vR1
# (its tx counter moves), not through lo.
rxe_crosses() {
	local before after
	before=$(cat /sys/class/net/vR1/statistics/tx_packets)
	busybox ping -q -c 3 -W 2 -I 10.13.0.1 10.13.0.2 >/dev/null || return 1
	after=$(cat /sys/class/net/vR1/statistics/tx_packets)
	[ $((after - before)) -ge 3 ]
}

CASES=(
	"write_bw 4K|ib_write_bw -s 4096 -n 2000"
	"write_bw 64K|ib_write_bw -s 65536 -n 200"
	"write_bw 1M|ib_write_bw -s 1048576 -n 16"
	"read_bw 4K|ib_read_bw -s 4096 -n 2000"
	"read_bw 64K|ib_read_bw -s 65536 -n 200"
	"read_bw 1M|ib_read_bw -s 1048576 -n 16"
	"send_bw 4K|ib_send_bw -s 4096 -n 2000"
	"send_bw 64K|ib_send_bw -s 65536 -n 200"
	"send_bw 1M|ib_send_bw -s 1048576 -n 16"
	"write_lat 8B|ib_write_lat -s 8 -n 1000"
)

fail=0
if ! netns_setup || ! rxe_setup; then
	echo "nic bench: setup failed" >&2
	fail=1
elif ! rxe_crosses; then
	echo "nic bench: rxe traffic does not cross the veth" >&2
	fail=1
else
	for round in $(seq 1 "$ROUNDS"); do
		order="odph rxe"
		[ $((round % 2)) = 0 ] && order="rxe odph"
		for c in "${CASES[@]}"; do
			for dev in $order; do
				# shellcheck disable=SC2086
				record "${c%%|*}" "$dev" "$round" ${c#*|} || fail=1
			done
		done
	done
	echo "rxe veth bytes sent: vR1 $(cat /sys/class/net/vR1/statistics/tx_bytes)," \
		"vR2 $(cat /sys/class/net/vR2/statistics/tx_bytes)"
fi
rxe_teardown
netns_teardown
exit $fail
