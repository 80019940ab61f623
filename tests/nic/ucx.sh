# SPDX-License-Identifier: GPL-2.0
# ucx.sh - sourced (after netns.sh) by tests/nic/ucx_tests.sh and
# bench/ucx.sh: UCX between the two odph namespaces of netns.sh.  The only
# UCX settings are the device, the transport (UCX_TLS=rc_v: rc_verbs, UD for
# wire-up only; both processes run on one host, so UCX would otherwise move
# the data through shared memory) and the registration method
# (UCX_IB_REG_METHODS: odp or rcache).

# ucx NS REG CMD...: CMD in namespace odphNS, UCX on odphNS:1 over rc_verbs
# with registration method REG ($UCX_EXTRA_ENV, if set, adds variables).
ucx() {
	local ns=$1 reg=$2
	shift 2
	in_ns "$ns" env UCX_NET_DEVICES="odph$ns:1" UCX_TLS=rc_v \
		UCX_IB_REG_METHODS="$reg" ${UCX_EXTRA_ENV:-} "$@"
}

# ucx_pair REG SERVER_CMD -- CLIENT_CMD: the server in A, the client (given
# the server's address last) in B; SERVER_CMD listens on $PORT.  Each is
# killed after $UCX_TIMEOUT seconds (default 300).  Both must exit 0.
# Prints the client's output, then "--- server (exit N):" and the tail of
# the server's output, which stays in $UCX_SRV_LOG (default $LOGS/srv).
ucx_pair() {
	local reg=$1 srv rc src s=() c=() log=${UCX_SRV_LOG:-$LOGS/srv}
	local t=${UCX_TIMEOUT:-300}
	shift
	while [ "$1" != -- ]; do s+=("$1"); shift; done
	shift
	c=("$@")
	ucx A "$reg" timeout "$t" "${s[@]}" >"$log" 2>&1 &
	srv=$!
	wait_listen odphA "$PORT" || { kill "$srv"; return 1; }
	ucx B "$reg" timeout "$t" "${c[@]}" 10.11.0.1
	rc=$?
	wait "$srv"
	src=$?
	echo "--- server (exit $src):"
	tail -n 15 "$log"
	echo "--- client exit $rc"
	[ "$rc" = 0 ] && [ "$src" = 0 ]
}
