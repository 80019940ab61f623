#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# odph with unmodified tools: two network namespaces joined by a veth pair,
# an odph device in each, and libibverbs' own pingpong programs between
# them through Debian's librxe provider.  Runs in the VM (tests/vm/run).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/nic/netns.sh

# ibv_rc_pingpong server in A, client in B; -c checks the received data.
rc_pingpong() {
	local gA gB
	gA=$(gid_index odphA 10.11.0.1) && gB=$(gid_index odphB 10.11.0.2) || return 1
	in_ns A ibv_rc_pingpong -d odphA -g "$gA" -c "$@" &
	sleep 1
	in_ns B ibv_rc_pingpong -d odphB -g "$gB" -c "$@" 10.11.0.1 || return 1
	wait $!
}

ud_pingpong() {
	local gA gB
	gA=$(gid_index odphA 10.11.0.1) && gB=$(gid_index odphB 10.11.0.2) || return 1
	in_ns A ibv_ud_pingpong -d odphA -g "$gA" -c "$@" &
	sleep 1
	in_ns B ibv_ud_pingpong -d odphB -g "$gB" -c "$@" 10.11.0.1 || return 1
	wait $!
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
tap_case "ibv_rc_pingpong 4 KiB x 200, data checked" rc_pingpong -s 4096 -n 200
tap_case "ibv_rc_pingpong 1 byte, mtu 256" rc_pingpong -s 1 -m 256 -n 50
tap_case "ibv_rc_pingpong 64 KiB (64 packets/msg)" rc_pingpong -s 65536 -m 1024 -n 20
tap_case "ibv_ud_pingpong 1 KiB x 100, data checked" ud_pingpong -s 1024 -n 100
netns_teardown
tap_done
