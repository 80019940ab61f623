#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# wire_tests.sh - the odph wire layer (odph_net.c, odph_icrc.c,
# odph_opcode.c) through the odph_wire test module, in the VM:
#	make modules tests               (host: odph_wire.ko + wire_tool)
#	tests/vm/run -- tests/nic/wire_tests.sh
# odph_wire.ko comes from kernel/ib_odp_hmm/test/wire, which in a guest
# booted with --project-modules (make check-debug) is the build for that
# kernel; wire_tool from tests/build.
#
#  1. ICRC bit-compatibility with the stock rdma_rxe, both ways: rxe0 in
#     init_net on veth r0, the peer r1 in namespace wireR.  Packets from
#     rxe0 are captured on r1 and checked with the kernel's odph_icrc()
#     (and a userspace CRC); packets from odph_net_xmit() must be accepted
#     by rxe0 (UD receives with the right bytes).  IPv4 and IPv6.
#  2. odph_net_xmit() in namespace wireA -> odph_rcv() in wireB over the
#     veth wA--wB: bytes and rx info; IPv4 and IPv6; paged, cloned and
#     tight skbs; loopback to an address of the same and of another
#     netdev, without the wire; errors.
#  3. Malformed packets (UDP and raw sockets, fuzzing) are dropped and
#     counted; IP fragments and IPv4 options are handled.
#  4. Life cycle: sockets per namespace, namespace deletion and netdev
#     moves with devices open, init_net taken by rdma_rxe, module unload.
# TAP, ending with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh

IP=/bin/ip	# busybox's ip applet shadows iproute2 in the VM
TOOL=tests/build/wire_tool
KO=kernel/ib_odp_hmm/test/wire/odph_wire.ko
QKEY=0x11111111
SPLATS='WARNING:|BUG:|Oops|KASAN|UBSAN|general protection|lockdep|circular locking'

in_ns() {
	local ns=$1
	shift
	$IP netns exec "wire$ns" "$@"
}

# ctl NS CMD...: one odph_wire command from namespace NS ("-": init_net)
ctl() {
	local ns=$1
	shift
	if [ "$ns" = - ]; then
		$TOOL ctl "$@"
	else
		in_ns "$ns" $TOOL ctl "$@"
	fi
}

# cnt NS IF NAME: one counter of the device on IF
cnt() {
	ctl "$1" cnt "$2" | tr ' ' '\n' | sed -n "s/^$3=//p"
}

# rx_wait N: the next N logged packets (waits up to 5 s), one per line
rx_wait() {
	local n=$1 got="" i
	for i in $(seq 50); do
		got+=$'\n'$($TOOL ctl rx)
		[ "$(grep -c '^rx ' <<<"$got")" -ge "$n" ] && break
		sleep 0.1
	done
	grep '^rx ' <<<"$got"
}

# wait_line FILE PATTERN: until FILE has a line matching PATTERN (20 s)
wait_line() {
	local i
	for i in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "timed out waiting for '$2' in $1" >&2
	cat "$1" >&2
	return 1
}

# gid_index DEV GID: index of the RoCE v2 GID (full form) on DEV port 1
gid_index() {
	local dev=$1 want=$2 f i n
	for i in $(seq 100); do
		for f in /sys/class/infiniband/"$dev"/ports/1/gids/*; do
			n=${f##*/}
			[ "$(cat "$f" 2>/dev/null)" = "$want" ] || continue
			[ "$(cat /sys/class/infiniband/"$dev"/ports/1/gid_attrs/types/"$n" 2>/dev/null)" = "RoCE v2" ] || continue
			echo "$n"
			return 0
		done
		sleep 0.1
	done
	echo "no RoCE v2 GID $want on $dev" >&2
	return 1
}

# ---------------------------------------------------------------- setup

setup_module() {
	rmmod odph_wire 2>/dev/null
	insmod "$KO" && [ -c /dev/odph_wire ]
}

# wireA: wA 10.21.0.1 fd21::1, wC 10.23.0.1 fd23::1 (peer wD in init_net)
# wireB: wB 10.21.0.2 fd21::2
setup_ns() {
	$IP netns add wireA && $IP netns add wireB &&
	$IP link add wA type veth peer name wB &&
	$IP link set wA netns wireA && $IP link set wB netns wireB &&
	$IP link add wC type veth peer name wD &&
	$IP link set wC netns wireA && $IP link set wD up &&
	in_ns A $IP addr add 10.21.0.1/24 dev wA &&
	in_ns A $IP addr add fd21::1/64 dev wA nodad &&
	in_ns A $IP addr add 10.23.0.1/24 dev wC &&
	in_ns A $IP addr add fd23::1/64 dev wC nodad &&
	in_ns B $IP addr add 10.21.0.2/24 dev wB &&
	in_ns B $IP addr add fd21::2/64 dev wB nodad &&
	in_ns A $IP link set wA up && in_ns A $IP link set wC up &&
	in_ns B $IP link set wB up &&
	in_ns A $IP link set lo up && in_ns B $IP link set lo up
}

# rxe0 on r0 (init_net: 10.22.0.1 fd22::1), r1 in wireR (10.22.0.2 fd22::2)
setup_rxe() {
	$IP netns add wireR &&
	$IP link add r0 type veth peer name r1 &&
	$IP link set r1 netns wireR &&
	$IP addr add 10.22.0.1/24 dev r0 &&
	$IP addr add fd22::1/64 dev r0 nodad &&
	$IP link set r0 up &&
	in_ns R $IP addr add 10.22.0.2/24 dev r1 &&
	in_ns R $IP addr add fd22::2/64 dev r1 nodad &&
	in_ns R $IP link set r1 up && in_ns R $IP link set lo up &&
	rdma link add rxe0 type rxe netdev r0 &&
	ctl R add r1
}

teardown() {
	rdma link delete rxe0 2>/dev/null
	$IP netns del wireA 2>/dev/null
	$IP netns del wireB 2>/dev/null
	$IP netns del wireR 2>/dev/null
	$IP link del wD 2>/dev/null
	$IP link del r0 2>/dev/null
}

# ------------------------------------------------------ 1. rxe ICRC

RXE_GID4=0000:0000:0000:0000:0000:ffff:0a16:0001
RXE_GID6=fd22:0000:0000:0000:0000:0000:0000:0001

# rxe_to_us GID FAM SRC DST: UD sends of many sizes (pads) and two
# traffic classes from rxe0 to r1 (the hop limit asked for is replaced by
# the route's by ib_core for RoCE AHs); every captured packet's ICRC must
# match odph_icrc()'s, and our receive path must take them all
rxe_to_us() {
	local gid=$1 fam=$2 src=$3 dst=$4 gidx log pid rc size n=0 rcvd0 icrc0
	local got lines
	gidx=$(gid_index rxe0 "$gid") || return 1
	rcvd0=$(cnt R r1 rcvd) icrc0=$(cnt R r1 icrc)
	$TOOL ctl rx >/dev/null
	log=$(mktemp)
	in_ns R $TOOL capture-check r1 18 120 >"$log" 2>&1 &
	pid=$!
	wait_line "$log" ready || { kill $pid; return 1; }
	for size in 0 1 2 3 5 64 255 1000 1024; do
		$TOOL ud-send rxe0 "$gidx" "$dst" 1 $size 0x123 $QKEY 0 64 &&
		$TOOL ud-send rxe0 "$gidx" "$dst" 1 $size 0x123 $QKEY 0xb8 3 ||
			{ kill $pid; return 1; }
		n=$((n + 2))
	done
	wait $pid
	rc=$?
	cat "$log"
	rm -f "$log"
	lines=$(rx_wait $n)
	got=$(grep -cE "^rx r1 $fam $src $dst (0|184) 64 0 1 64" <<<"$lines")
	grep -vE "^rx r1 $fam $src $dst (0|184) 64 0 1 64" <<<"$lines" | cut -c1-80
	echo "r1: rcvd +$(($(cnt R r1 rcvd) - rcvd0)), icrc drops" \
		"+$(($(cnt R r1 icrc) - icrc0)), $got logged UD sends"
	[ $rc = 0 ] && [ $(($(cnt R r1 rcvd) - rcvd0)) = $n ] &&
		[ "$(cnt R r1 icrc)" = "$icrc0" ] && [ "$got" = $n ]
}

# us_to_rxe GID FAM OURS RXE: UD sends from odph_net_xmit() on r1 to a UD
# QP of rxe0; rxe must accept them (it checks the ICRC) with our bytes
us_to_rxe() {
	local gid=$1 fam=$2 ours=$3 theirs=$4 gidx log pid qpn len reply hex
	local sent=() got=() i rc want
	gidx=$(gid_index rxe0 "$gid") || return 1
	log=$(mktemp)
	$TOOL ud-recv rxe0 "$gidx" 5 60 0x22222222 >"$log" 2>&1 &
	pid=$!
	wait_line "$log" '^qpn ' || { kill $pid; return 1; }
	qpn=$(sed -n 's/^qpn //p' "$log")
	for len in 0 1 3 100 1000; do
		reply=$(ctl R send r1 "$fam" "$ours" "$theirs" 50000 0x20 9 \
			0x5a5a 0x64 "$qpn" 0 $len $len 0x22222222 0x33) ||
			{ echo "$reply"; kill $pid; return 1; }
		hex=${reply#ok }
		sent+=("recv $len ${hex:40:2*len}")	# after BTH and DETH
	done
	wait $pid
	rc=$?
	cat "$log"
	mapfile -t got < <(grep '^recv ' "$log")
	rm -f "$log"
	[ $rc = 0 ] && [ ${#got[@]} = 5 ] || return 1
	for i in 0 1 2 3 4; do
		want=${sent[i]}
		[ "${got[i]% }" = "${want% }" ] && continue
		echo "got  ${got[i]:0:100}"
		echo "want ${want:0:100}"
		return 1
	done
}

# ----------------------------------------------------- 2. xmit A -> B

# xfer NS IF RXIF FAM SA DA TC HOP FLOW OP LEN [MODE]: send one packet,
# expect it (twice for MODE clone) on RXIF with the same bytes and info
xfer() {
	local ns=$1 ifc=$2 rxif=$3 fam=$4 sa=$5 da=$6 tc=$7 hop=$8 flow=$9
	local op=${10} len=${11} mode=${12:-} reply hex n=1 got want
	$TOOL ctl rx >/dev/null
	reply=$(ctl "$ns" send "$ifc" "$fam" "$sa" "$da" 49999 "$tc" "$hop" \
		"$flow" "$op" 0x11 0x123456 "$len" 7 $QKEY 0x22 $mode) ||
		{ echo "send: $reply"; return 1; }
	hex=${reply#ok }
	[ "$mode" = clone ] && n=2
	got=$(rx_wait $n)
	want="rx $rxif $fam $sa $da $((tc)) $((hop)) $((flow)) 1 $hex"
	[ "$(grep -c . <<<"$got")" = $n ] &&
		[ "$(sort -u <<<"$got")" = "$want" ] && return 0
	echo "want: ${want:0:160}"
	echo "got:  ${got:0:160}"
	return 1
}

ab_v4_opcodes() {
	local op
	# SEND_ONLY, SEND_LAST_IMM, WRITE_FIRST, WRITE_ONLY_IMM, READ_REQ,
	# READ_RESP_FIRST/MIDDLE, ACK, ATOMIC_ACK, CMP_SWAP, UD_SEND(_IMM)
	for op in 0x04 0x03 0x06 0x0b 0x0c 0x0d 0x0e 0x11 0x12 0x13 0x64 0x65; do
		xfer A wA wB 4 10.21.0.1 10.21.0.2 0x20 9 0 $op 37 || return 1
	done
}

ab_v4_sizes() {
	local len
	for len in 0 1 2 3 4 255 1024 1400; do
		xfer A wA wB 4 10.21.0.1 10.21.0.2 0 64 0 0x04 $len || return 1
	done
	xfer B wB wA 4 10.21.0.2 10.21.0.1 0xfc 255 0 0x00 256
}

ab_v6() {
	xfer A wA wB 6 fd21::1 fd21::2 0x48 3 0x12345 0x04 100 &&
	xfer A wA wB 6 fd21::1 fd21::2 0 1 0xfffff 0x0a 1 &&
	xfer B wB wA 6 fd21::2 fd21::1 0xff 255 0 0x64 1400 &&
	xfer A wA wB 6 fd21::1 fd21::2 0 64 1 0x04 8
}

ab_modes() {
	local mode
	for mode in nonlinear tight pagedtight clone; do
		xfer A wA wB 4 10.21.0.1 10.21.0.2 0 64 0 0x04 600 $mode &&
		xfer A wA wB 6 fd21::1 fd21::2 0 64 7 0x04 600 $mode || return 1
	done
}

ab_counters() {
	local sa sb
	sa=$(cnt A wA sent) sb=$(cnt B wB rcvd)
	for i in 1 2 3 4 5; do
		ctl A send wA 4 10.21.0.1 10.21.0.2 1 0 64 0 0x04 1 0 8 0 0 0 >/dev/null || return 1
	done
	rx_wait 5 >/dev/null
	echo "sent +$(($(cnt A wA sent) - sa)) rcvd +$(($(cnt B wB rcvd) - sb))"
	[ $(($(cnt A wA sent) - sa)) = 5 ] && [ $(($(cnt B wB rcvd) - sb)) = 5 ]
}

# roce_tx_watch NS IF: count the RoCE v2 datagrams (UDP 4791) IF puts on
# the wire, with a tc egress filter.  Only those: the kernel's own IPv6
# housekeeping (router solicitations, MLD reports) leaves at random times
# and would make a plain tx_packets comparison flaky.
roce_tx_watch() {
	in_ns "$1" tc qdisc add dev "$2" clsact 2>/dev/null
	in_ns "$1" tc filter replace dev "$2" egress pref 1 protocol ip \
		u32 match ip protocol 17 0xff match ip dport 4791 0xffff \
		action pass &&
	in_ns "$1" tc filter replace dev "$2" egress pref 2 protocol ipv6 \
		u32 match ip6 protocol 17 0xff match ip6 dport 4791 0xffff \
		action pass
}

# roce_tx NS IF: RoCE v2 datagrams counted by roce_tx_watch so far
roce_tx() {
	in_ns "$1" tc -s filter show dev "$2" egress |
		awk '/Sent .* pkt/ { n += $4 } END { print n + 0 }'
}

# loopback to the device's own address: delivered, nothing on the wire
loop_self() {
	local tx rb
	roce_tx_watch A wA || return 1
	# the watch itself must see RoCE traffic, or "nothing" means nothing
	tx=$(roce_tx A wA)
	xfer A wA wB 4 10.21.0.1 10.21.0.2 0 64 0 0x04 10 &&
	xfer A wA wB 6 fd21::1 fd21::2 0 64 0 0x04 10 || return 1
	[ "$(roce_tx A wA)" = $((tx + 2)) ] ||
		{ echo "tc watch saw $tx -> $(roce_tx A wA), want +2"; return 1; }
	tx=$(roce_tx A wA) rb=$(cnt B wB rcvd)
	xfer A wA wA 4 10.21.0.1 10.21.0.1 0x10 5 0 0x04 100 &&
	xfer A wA wA 6 fd21::1 fd21::1 0x10 5 0x777 0x64 100 || return 1
	echo "wA RoCE tx $tx -> $(roce_tx A wA), wB rcvd $rb -> $(cnt B wB rcvd)"
	[ "$(roce_tx A wA)" = "$tx" ] && [ "$(cnt B wB rcvd)" = "$rb" ]
}

# loopback to another netdev's address in the same namespace
loop_other() {
	local tx
	roce_tx_watch A wA || return 1
	tx=$(roce_tx A wA)
	xfer A wA wC 4 10.21.0.1 10.23.0.1 0 64 0 0x04 100 &&
	xfer A wA wC 6 fd21::1 fd23::1 0 64 0 0x04 100 &&
	xfer A wC wA 4 10.23.0.1 10.21.0.1 0 64 0 0x11 0 || return 1
	[ "$(roce_tx A wA)" = "$tx" ]
}

# send_err NS IF ERRNO FAM SA DA: the send fails with ERRNO, no packet
send_err() {
	local ns=$1 ifc=$2 want=$3 fam=$4 sa=$5 da=$6 reply e0
	e0=$(cnt "$ns" "$ifc" xmit_err)
	$TOOL ctl rx >/dev/null
	reply=$(ctl "$ns" send "$ifc" "$fam" "$sa" "$da" 1 0 64 0 0x04 0 0 4 0 0 0)
	echo "${reply:0:40}"
	[ "${reply%% *}" = err ] && [ "$(cut -d' ' -f2 <<<"$reply")" = "$want" ] &&
		[ $(($(cnt "$ns" "$ifc" xmit_err) - e0)) = 1 ] &&
		sleep 0.3 && [ -z "$($TOOL ctl rx)" ]
}

xmit_errors() {
	# local address, no odph device on it (lo)
	send_err A wA -113 4 10.21.0.1 127.0.0.1 &&
	send_err A wA -113 6 fd21::1 ::1 &&
	# source address not ours
	send_err A wA -99 4 10.99.0.1 10.21.0.2 &&
	send_err A wA -99 6 fd99::1 fd21::2 &&
	# bad family, IPv4 without v4-mapped addresses
	send_err A wA -97 5 10.21.0.1 10.21.0.2 &&
	send_err A wA -97 4 fd21::1 fd21::2
}

# an IPv6 route through another netdev: refused, not sent out of wA
route_other_dev() {
	in_ns A $IP -6 route add fd60::/64 dev wC || return 1
	send_err A wA -113 6 fd21::1 fd60::5
	local rc=$?
	in_ns A $IP -6 route del fd60::/64 dev wC
	return $rc
}

# -------------------------------------------------- 3. malformed input

# drop NAME COUNTER ARGS...: send with wire_tool ARGS from wireA to wB;
# COUNTER of wB goes up by one, nothing reaches odph_rcv()
drop() {
	local name=$1 counter=$2 before after
	shift 2
	before=$(cnt B wB "$counter")
	$TOOL ctl rx >/dev/null
	in_ns A $TOOL "$@" >/dev/null || return 1
	for i in $(seq 30); do
		after=$(cnt B wB "$counter")
		[ "$after" != "$before" ] && break
		sleep 0.1
	done
	echo "$name: $counter $before -> $after"
	[ $((after - before)) = 1 ] && [ -z "$($TOOL ctl rx)" ]
}

malformed_v4() {
	local d=10.21.0.2
	drop "empty" short udp-send $d - &&
	drop "15 bytes" short udp-send $d 040000000000001100000001aabbcc &&
	drop "tver 1" other udp-send $d 040100000000001100000001aabbccdd &&
	drop "tver 15" other udp-send $d 040f00000000001100000001aabbccdd &&
	drop "opcode 0x15" opcode udp-send $d 150000000000001100000001aabbccdd &&
	drop "opcode 0x2c (UC READ)" opcode udp-send $d 2c0000000000001100000001aabbccdd &&
	drop "opcode 0xff" opcode udp-send $d ff0000000000001100000001aabbccdd &&
	drop "WRITE_FIRST without RETH" short udp-send $d 060000000000001100000001aabbccdd &&
	drop "ATOMIC short" short udp-send $d "130000000000001100000001$(printf '%054d' 0)aabbccdd" &&
	drop "UD pad 3 too long" short udp-send $d 643000000000001100000001111111110000003300aabbcc &&
	drop "bad ICRC" icrc udp-send $d 040000000000001100000001aabbccdd &&
	drop "raw, bad ICRC" icrc raw4 10.21.0.1 $d 040000000000001100000001cafe bad &&
	drop "raw, IP options, bad ICRC" icrc raw4 10.21.0.1 $d 040000000000001100000001cafe bad opts
}

malformed_v6() {
	local d=fd21::2
	drop "v6 15 bytes" short udp-send $d 040000000000001100000001aabbcc &&
	drop "v6 tver 2" other udp-send $d 040200000000001100000001aabbccdd &&
	drop "v6 opcode 0x80" opcode udp-send $d 800000000000001100000001aabbccdd &&
	drop "v6 bad ICRC" icrc udp-send $d 040000000000001100000001aabbccdd
}

# raw_good ARGS: a hand-built packet with the right ICRC is received,
# bytes intact and linear
raw_good() {
	local payload=$1 got
	shift
	$TOOL ctl rx >/dev/null
	in_ns A $TOOL raw4 10.21.0.1 10.21.0.2 "$payload" good "$@" || return 1
	got=$(rx_wait 1)
	echo "${got:0:120}"
	[ "$got" = "rx wB 4 10.21.0.1 10.21.0.2 8 17 0 1 $payload" ]
}

raw_cases() {
	local big
	big=040000000000001100000001$(head -c 1400 /dev/zero | tr '\0' a)
	raw_good 040000000000001100000001cafe &&
	raw_good 040000000000001100000001cafe opts &&
	raw_good "$big" frag
}

# fuzz FAMILY-ADDR N: N random datagrams, all dropped and counted
fuzz() {
	local d=$1 n=$2 before after c
	before=0
	for c in short other opcode icrc; do
		before=$((before + $(cnt B wB $c)))
	done
	local r0
	r0=$(cnt B wB rcvd)
	in_ns A $TOOL fuzz "$d" "$n" "$RANDOM" || return 1
	for i in $(seq 100); do
		after=0
		for c in short other opcode icrc; do
			after=$((after + $(cnt B wB $c)))
		done
		[ $((after - before)) -ge "$n" ] && break
		sleep 0.1
	done
	echo "dropped $((after - before)) of $n, rcvd +$(($(cnt B wB rcvd) - r0))"
	ctl B cnt wB
	[ $((after - before)) = "$n" ] && [ "$(cnt B wB rcvd)" = "$r0" ]
}

# -------------------------------------------------------- 4. life cycle

sockets() {
	in_ns "$1" ss -Huan 'sport = :4791' | awk '{print $4}' | sort | tr '\n' ' '
}

# two sockets, an IPv4 one and an IPv6 one
sockets_per_ns() {
	local ns s
	for ns in A B; do
		s=$(sockets $ns)
		echo "$ns: $s"
		[ "$(wc -w <<<"$s")" = 2 ] && grep -q '0\.0\.0\.0:4791' <<<"$s" ||
			return 1
	done
}

sockets_follow_devices() {
	# two devices in A share the sockets; the last one out closes them
	ctl A del wA && [ -n "$(sockets A)" ] &&
	ctl A del wC && [ -z "$(sockets A)" ] &&
	ctl A add wA && ctl A add wC && [ -n "$(sockets A)" ] &&
	xfer A wA wB 4 10.21.0.1 10.21.0.2 0 64 0 0x04 10
}

init_net_taken() {
	local reply
	reply=$(ctl - add wD)
	echo "$reply"
	[ "$reply" = "err -98" ]
}

# a netdev with a device moves to another namespace: the device goes
# (asynchronously, like the real driver) and the new one works
netdev_moves() {
	$IP netns add wireM && $IP link add wE type veth peer name wF &&
	$IP link set wE netns wireM && ctl M add wE || return 1
	$IP link set wF up
	in_ns M $IP link set wE netns wireA
	sleep 0.5
	$IP netns del wireM
	sleep 0.5
	ctl A add wE && ctl A del wE && $IP link del wF
}

# a netdev leaves the namespace, its device stays open on the old
# namespace's sockets (keep-on-move), then that namespace dies: its exit
# releases the sockets under the device, which closes later
ns_exit_under_device() {
	$IP netns add wireM && $IP link add wE type veth peer name wF &&
	$IP link set wE netns wireM && ctl M add wE || return 1
	ctl - keep-on-move 1 >/dev/null
	in_ns M $IP link set wE netns wireA
	$IP netns del wireM
	sleep 3			# the namespace's cleanup is asynchronous
	ctl A cnt wE && ctl A del wE
	local rc=$?
	ctl - keep-on-move 0 >/dev/null
	$IP link del wF
	return $rc
}

# deleting a namespace with a device open on its veth
ns_delete_open() {
	$IP netns add wireN && $IP link add wG type veth peer name wH &&
	$IP link set wG netns wireN && in_ns N $IP link set wG up &&
	ctl N add wG || return 1
	$IP netns del wireN
	for i in $(seq 50); do
		! $IP link show wH >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# (the lockdep kernel's boot banner names lockdep harmlessly)
no_splat() {
	! dmesg | grep -E "$SPLATS" | grep -v 'RCU lockdep checking is enabled'
}

unload() {
	rmmod odph_wire && ! lsmod | grep -q '^odph_wire '
	local rc=$?
	teardown
	return $rc
}

# ---------------------------------------------------------------- main

if [ ! -f "$KO" ] || [ ! -x "$TOOL" ]; then
	tap_case "odph_wire.ko and wire_tool built (make modules tests)" false
	tap_done
	exit 1
fi
teardown 2>/dev/null
tap_case "odph_wire module loads" setup_module
tap_case "namespaces wireA, wireB set up" setup_ns
tap_case "devices on wA (wireA), wC (wireA), wB (wireB)" \
	eval 'ctl A add wA && ctl A add wC && ctl B add wB'
tap_case "one IPv4 and one IPv6 socket on 4791 per namespace" sockets_per_ns
tap_case "init_net: port 4791 taken by rdma_rxe, open fails -EADDRINUSE" init_net_taken

if setup_rxe >/dev/null; then
	tap_case "ICRC: rdma_rxe -> odph, IPv4, 18 packets (pads, TOS)" \
		rxe_to_us $RXE_GID4 4 10.22.0.1 10.22.0.2
	tap_case "ICRC: rdma_rxe -> odph, IPv6, 18 packets (pads, tclass)" \
		rxe_to_us $RXE_GID6 6 fd22::1 fd22::2
	tap_case "ICRC: odph -> rdma_rxe, IPv4, rxe accepts 5 UD sends, bytes equal" \
		us_to_rxe $RXE_GID4 4 10.22.0.2 10.22.0.1
	tap_case "ICRC: odph -> rdma_rxe, IPv6, rxe accepts 5 UD sends, bytes equal" \
		us_to_rxe $RXE_GID6 6 fd22::2 fd22::1
else
	tap_case "rdma_rxe peer set up (veth r0/r1, rxe0)" false
fi

tap_case "wireA -> wireB IPv4: every opcode, bytes and rx info" ab_v4_opcodes
tap_case "wireA <-> wireB IPv4: sizes 0..1400, TOS, TTL" ab_v4_sizes
tap_case "wireA <-> wireB IPv6: tclass, flow label, hop limit" ab_v6
tap_case "paged, tight (no head/tailroom), both, and cloned skbs" ab_modes
tap_case "sent/rcvd counters" ab_counters
tap_case "loopback to own address, v4+v6, nothing on the wire" loop_self
tap_case "loopback to another netdev's address in the namespace" loop_other
tap_case "xmit errors: local w/o device, foreign source, bad family" xmit_errors
tap_case "IPv6 route out of another netdev refused" route_other_dev
tap_case "malformed IPv4: short, version, opcode, lengths, ICRC" malformed_v4
tap_case "malformed IPv6: short, version, opcode, ICRC" malformed_v6
tap_case "raw IPv4: good ICRC, IP options, IP fragments" raw_cases
tap_case "fuzz IPv4: 3000 random datagrams dropped, counted" fuzz 10.21.0.2 3000
tap_case "fuzz IPv6: 1000 random datagrams dropped, counted" fuzz fd21::2 1000
tap_case "sockets follow the devices of a namespace" sockets_follow_devices
tap_case "netdev with a device moves namespace, old one deleted" netdev_moves
tap_case "namespace exits under a device whose netdev left it" ns_exit_under_device
tap_case "namespace deleted with a device open" ns_delete_open
tap_case "module unloads with devices open" unload
tap_case "no kernel warnings" no_splat
tap_done
