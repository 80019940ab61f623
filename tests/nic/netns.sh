# SPDX-License-Identifier: GPL-2.0
# netns.sh - sourced by the NIC tests: namespaces A and B joined by the
# veth pair vA (10.11.0.1, fd11::1) -- vB (10.11.0.2, fd11::2), and an odph
# device on each end (odphA, odphB), created from inside each namespace;
# the namespaces are named as their devices (odphA, odphB).  Also what the
# suites do with them: GID lookup, waiting for a server, a client/server
# pair of programs, perftest's result row.
IP=/bin/ip	# busybox's ip applet shadows iproute2 in the VM

in_ns() {
	local ns=$1
	shift
	$IP netns exec "odph$ns" "$@"
}

# gid_index DEV IPV4: the GID table index of ::ffff:IPV4 on DEV's port 1.
gid_index() {
	local dev=$1 ip=$2 f want i
	want=$(printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x' \
		$(echo "$ip" | tr . ' '))
	for i in $(seq 1 50); do
		for f in /sys/class/infiniband/"$dev"/ports/1/gids/*; do
			if [ "$(cat "$f" 2>/dev/null)" = "$want" ]; then
				echo "${f##*/}"
				return 0
			fi
		done
		sleep 0.1
	done
	echo "no GID for $ip on $dev" >&2
	return 1
}

# odph_gid DEV: the GID index of odphA's 10.11.0.1 or odphB's 10.11.0.2.
odph_gid() {
	case $1 in
	odphA)	gid_index odphA 10.11.0.1 ;;
	odphB)	gid_index odphB 10.11.0.2 ;;
	*)	echo "odph_gid: $1 is not odphA or odphB" >&2; return 1 ;;
	esac
}

# ab_gids: GA and GB, the GID indexes of odphA and odphB (odph_gid).
ab_gids() {
	GA=$(odph_gid odphA) && GB=$(odph_gid odphB)
}

# wait_listen NETNS PORT: wait until a server in namespace NETNS ("" for
# init_net) listens on PORT, by TCP (pingpong, perftest) or as an rdma_cm id
# (rping, perftest -R).  Starting the client after a fixed sleep lost races
# on a loaded host: the client found nothing listening and gave up while
# the server waited for it until its timeout.
wait_listen() {
	local ns=$1 port=$2 i
	local run=(${ns:+$IP netns exec "$ns"})
	for i in $(seq 1 300); do
		"${run[@]}" ss -Hltn "sport = :$port" 2>/dev/null | grep -q . &&
			return 0
		"${run[@]}" rdma resource show cm_id 2>/dev/null |
			grep 'LISTEN' | grep -q ":$port " && return 0
		sleep 0.1
	done
	echo "nothing listens on port $port in ${ns:-init_net} after 30 s" >&2
	return 1
}

# ab_pair PROG ARGS...: PROG's server on odphA, its client on odphB (to
# 10.11.0.1), each in its namespace, on a fresh port ($PORT + 1).  PROG
# takes the pingpong options (-d DEV -g GIDX -p PORT, then ARGS).  The
# client starts once the server listens; both must exit 0.
ab_pair() {
	local prog=$1 srv rc
	shift
	ab_gids || return 1
	PORT=$((PORT + 1))
	timeout 120 $IP netns exec odphA "$prog" -d odphA -g "$GA" -p "$PORT" \
		"$@" &
	srv=$!
	wait_listen odphA "$PORT" || return 1
	timeout 120 $IP netns exec odphB "$prog" -d odphB -g "$GB" -p "$PORT" \
		"$@" 10.11.0.1
	rc=$?
	wait "$srv" && [ "$rc" = 0 ]
}

# perf_row OUT: OUT, a perftest client's output, ends in its result row.
perf_row() {
	echo "$1" | grep -A1 '#bytes' | tail -n 1 | grep -Eq '^ *[0-9]+ +[0-9]+'
}

netns_setup() {
	modprobe -q sch_netem 2>/dev/null
	$IP netns add odphA && $IP netns add odphB &&
	$IP link add vA type veth peer name vB &&
	$IP link set vA netns odphA && $IP link set vB netns odphB &&
	in_ns A $IP addr add 10.11.0.1/24 dev vA &&
	in_ns B $IP addr add 10.11.0.2/24 dev vB &&
	in_ns A $IP addr add fd11::1/64 dev vA nodad &&
	in_ns B $IP addr add fd11::2/64 dev vB nodad &&
	in_ns A $IP link set vA up && in_ns B $IP link set vB up &&
	in_ns A $IP link set lo up && in_ns B $IP link set lo up &&
	in_ns A rdma link add odphA type odph netdev vA &&
	in_ns B rdma link add odphB type odph netdev vB
}

netns_teardown() {
	timeout 120 $IP netns exec odphA rdma link delete odphA 2>/dev/null
	timeout 120 $IP netns exec odphB rdma link delete odphB 2>/dev/null
	$IP netns del odphA 2>/dev/null
	$IP netns del odphB 2>/dev/null
}
