#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# odp_demo.sh - the product in one screen, run in the VM by `make demo`:
#   1. stock rdma_rxe refuses ibv_reg_mr(IBV_ACCESS_ON_DEMAND);
#   2. odph, on a veth in a namespace, accepts it: ibv_rc_pingpong -o
#      moves checked data through ODP MRs, and the MR's ODP counters show
#      the page faults the NIC took;
#   3. perftest: ib_write_bw --odp between two namespaces.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/nic/netns.sh

say() { printf '\n=== %s\n' "$*"; }

say "1. stock rdma_rxe (init_net, veth vR): ibv_rc_pingpong -o (ODP MRs)"
$IP link add vR type veth peer name vR2 && $IP link set vR up &&
	$IP link set vR2 up && $IP addr add 10.99.0.1/24 dev vR &&
	rdma link add rxe0 type rxe netdev vR
ibv_devinfo -d rxe0 -v | grep -E 'hca_id|ODP|general_odp' | head -3
timeout 20 ibv_rc_pingpong -d rxe0 -g 1 -o 2>&1 | head -3
echo "-> rxe has no ODP: registration fails"
rdma link delete rxe0
$IP link del vR

say "2. odph in namespaces odphA/odphB: every RC opcode over ODP MRs"
netns_setup || { echo "namespace setup failed"; exit 1; }
in_ns A ibv_devinfo -d odphA -v | grep -E 'hca_id|ODP' | head -6
ab_gids || exit 1
# The server shows its MR's ODP counters before it tears the MR down.
XFER_AT_EXIT="rdma statistic show mr" \
	in_ns A tests/build/xfer_tool -d odphA -g "$GA" -p 18999 -o &
srv=$!
in_ns B tests/build/xfer_tool -d odphB -g "$GB" -p 18999 -o 10.11.0.1
wait "$srv"
echo "-> exit status $? (each 'ok' step compared the bytes or the atomic word)"

say "3. ib_write_bw --odp 64 KiB, odphA <-> odphB"
in_ns A ib_write_bw -d odphA -x "$GA" -s 65536 -n 200 --odp -F >/dev/null 2>&1 &
srv=$!
wait_listen odphA 18515
in_ns B ib_write_bw -d odphB -x "$GB" -s 65536 -n 200 --odp -F 10.11.0.1 |
	grep -A1 '#bytes'
wait "$srv"
in_ns B rdma statistic show link odphB/1 | tr ' ' '\n' |
	grep -A1 -E '^(sent_pkts|rcvd_pkts|retransmits|rnr_nak_rcvd)$' |
	paste -sd' ' | sed 's/ -- / /g'
netns_teardown
say "done"
