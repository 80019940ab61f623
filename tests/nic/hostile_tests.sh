#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# hostile_tests.sh - odph under hostile traffic (issue 16): packets a peer
# on the segment can forge at a live QP, built and sent by
# tests/build/wire_tool (raw IPv4 socket, ICRC computed in userspace).
# Namespaces A and B, odphA and odphB as in netns.sh.  Runs in the VM
# (tests/vm/run).  TAP, ending with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/nic/netns.sh

TOOL=tests/build/wire_tool
FORGED=25	# of each of the 4 kinds

# The counter NAME of odphA's port, as rdma statistic shows it (from
# init_net, where the devices are: shared mode).
stat_a() {
	rdma statistic show link odphA/1 | tr ' ' '\n' |
		grep -A1 -x "$1" | tail -n 1
}

# Finding 4: ACKs and NAKs outside the outstanding PSN window of an RC
# QP with a SEND in flight are ignored (no WR completes or fails) and
# counted in drop_ack_psn; the QP then completes the SEND and a WRITE.
forged_acks() {
	local before after
	ab_gids || return 1
	before=$(stat_a drop_ack_psn)
	echo "drop_ack_psn before: ${before:-missing}"
	"$TOOL" rc-forge odphA "$GA" odphB "$GB" 10.11.0.2 10.11.0.1 \
		/var/run/netns/odphB "$FORGED" || return 1
	[ -n "$before" ] || return 1
	after=$(stat_a drop_ack_psn)
	echo "drop_ack_psn after: $after (rdma statistic)"
	[ "$((after - before))" -ge $((4 * FORGED)) ]
}

# Findings 1 and 2: forged WRITEs at a live RC QP on odphB (wire_inject.c):
# a foreign P_Key and a spoofed source are dropped and counted, the target
# untouched, while the same WRITE from the peer lands; a WRITE_FIRST
# announcing 256 MiB into an implicit MR populates at most ~4 MiB.
forged_writes() {
	ab_gids || return 1
	"$TOOL" rc-inject odphA "$GA" odphB "$GB" 10.11.0.1 10.11.0.2 \
		/var/run/netns/odphA
}

if ! netns_setup; then
	tap_case "netns and odph devices set up" false
	tap_done
	exit 1
fi
tap_case "forged ACK/NAK outside the PSN window: ignored, counted, QP lives" \
	forged_acks
tap_case "forged WRITEs: P_Key, source address; 256 MiB RETH faults <= 4 MiB" \
	forged_writes
netns_teardown
tap_done
