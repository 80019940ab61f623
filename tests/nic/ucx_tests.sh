#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# odph under Debian 12's own UCX 1.13.1 and Open MPI 4.1.4: two network
# namespaces with an odph device each (netns.sh), UCX's rc_verbs over them
# with implicit ODP (UCX_IB_REG_METHODS=odp) and with its registration
# cache (rcache); tests/nic/ucx.sh sets UCX up (device, transport,
# registration method: nothing else).  Data is checked by our programs
# (tests/ucx/ucp_check.c, mpi_check.c); ucx_perftest only has to run and
# exit 0 on both sides.  Runs in the VM (tests/vm/run).
#	nic_ucx_tests [FILTER...]	only the cases whose name has a FILTER
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/nic/netns.sh
. tests/nic/ucx.sh

B=tests/build
PORT=13500
REPS=${UCX_TEST_REPS:-5}	# repetitions of every ucx_perftest case with ODP
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT
exec 3>&1	# note: a passing case's highlights, as TAP diagnostics

note() {
	sed 's/^/#   /' >&3
}

FILTERS=("$@")

# ucx_case NAME FUNC ARGS...: tap_case, if NAME matches a FILTER (or none
# is given).
ucx_case() {
	local f
	[ ${#FILTERS[@]} = 0 ] && { tap_case "$@"; return; }
	for f in "${FILTERS[@]}"; do
		case $1 in
		*"$f"*) tap_case "$@"; return ;;
		esac
	done
}

# perf REG TEST SIZE ITERS: one ucx_perftest run, server in A, client in
# B; both exit 0 and the client prints its final row.
perf() {
	local reg=$1 test=$2 size=$3 iters=$4 out
	PORT=$((PORT + 1))
	out=$(ucx_pair "$reg" ucx_perftest -p "$PORT" -- \
		ucx_perftest -p "$PORT" -t "$test" -s "$size" -n "$iters" 2>&1)
	local rc=$?
	echo "$out"
	[ "$rc" = 0 ] && echo "$out" | grep '^Final:' >"$LOGS/final" &&
		note <"$LOGS/final"
}

# perf_rep N REG TEST SIZE ITERS: perf N times, every run must pass.
perf_rep() {
	local n=$1 i
	shift
	for i in $(seq 1 "$n"); do
		echo "=== run $i of $n"
		perf "$@" || { echo "run $i failed"; return 1; }
	done
}

# check REG: tests/build/ucp_check between A and B, every byte checked.
check() {
	local out
	PORT=$((PORT + 1))
	out=$(ucx_pair "$1" $B/ucp_check -p "$PORT" -- $B/ucp_check -p "$PORT" 2>&1)
	local rc=$?
	echo "$out"
	[ "$rc" = 0 ] && [ "$(echo "$out" | grep -c 'checks passed')" = 2 ] &&
		{ echo "$out" | grep 'checks passed' | head -n 1 | note; }
}

# debug_log REG WANT: ucp_check with UCX_LOG_LEVEL=debug; the server's log
# must show registration method WANT on odphA ("using odp global key" or
# "using registration cache"), a lane over rc_verbs/odphA:1 and no lane over
# shared memory or TCP.
debug_log() {
	local reg=$1 want=$2 log=$LOGS/srv lanes
	PORT=$((PORT + 1))
	UCX_EXTRA_ENV=UCX_LOG_LEVEL=debug ucx_pair "$reg" \
		$B/ucp_check -p "$PORT" -- $B/ucp_check -p "$PORT" >/dev/null 2>&1 ||
		{ tail -n 30 "$log"; return 1; }
	grep -E "odphA: (using|on-demand|failed)" "$log"
	lanes=$(grep -E 'lane\[[0-9]+\]:' "$log")
	echo "$lanes"
	{ grep -E "odphA: $want" "$log" | head -n 1; echo "$lanes" | head -n 3; } |
		sed 's/^\[[^]]*\] *//' | note
	grep -q "odphA: $want" "$log" &&
		echo "$lanes" | grep -q 'rc_verbs/odphA:1' &&
		! echo "$lanes" | grep -Eq '(sysv|posix|cma|tcp|self)/'
}

# implicit_mr: while a UCX memory domain with UCX_IB_REG_METHODS=odp is
# open on odphA, odphA has an implicit ODP MR (length 2^64-1) with an even lkey
# (the UCX 1.13 compat of odph_mr.c).
implicit_mr() {
	local pid out lkey
	in_ns A $B/uct_odp_close -n 1 -s 20 odphA &
	pid=$!
	for _ in $(seq 1 150); do
		out=$(rdma resource show mr dev odphA 2>/dev/null |
			grep 'mrlen 18446744073709551615')
		[ -n "$out" ] && break
		sleep 0.1
	done
	wait "$pid" || return 1
	echo "$out" | note
	lkey=$(echo "$out" | sed -n 's/.* lkey 0x\([0-9a-f]*\).*/\1/p' | head -n 1)
	[ -n "$lkey" ] && [ $((0x$lkey & 1)) = 0 ]
}

# mpi REG PROG ARGS...: tests/ucx/odph-mpirun, one rank in each namespace.
mpi() {
	local reg=$1
	shift
	timeout 900 tests/ucx/odph-mpirun -r "$reg" odphA odphB -- "$@"
}

# mpi_ok REG: mpi_check's job exits 0 and says its checks passed.
mpi_ok() {
	local out rc
	out=$(mpi "$1" $B/mpi_check 2>&1)
	rc=$?
	echo "$out"
	[ "$rc" = 0 ] && echo "$out" | grep 'checks passed' >"$LOGS/ok" &&
		note <"$LOGS/ok"
}

# mpi_sweep: the osu-style sweep, its table kept for the TAP diagnostics.
mpi_sweep() {
	mpi odp $B/mpi_sweep 4194304 | tee "$LOGS/sweep"
	[ "${PIPESTATUS[0]}" = 0 ] && grep -Eq '^ +4194304 ' "$LOGS/sweep" &&
		grep -E '^(#| +[0-9])' "$LOGS/sweep" | note
}

if ! command -v ucx_perftest >/dev/null || ! command -v mpirun >/dev/null ||
   [ ! -x $B/ucp_check ] || [ ! -x $B/mpi_check ]; then
	tap_case "UCX, Open MPI and tests/ucx built (scripts/setup; make tests)" false
	tap_done
	exit 1
fi
if ! netns_setup; then
	tap_case "netns and odph devices set up" false
	tap_done
	exit 1
fi

ucx_case "ucx_info: rc_verbs and ud_verbs on odphA:1" \
	sh -c "ucx_info -d | grep -A1 'Transport: rc_verbs' | grep -q 'odphA:1'"
ucx_case "UCX md open/close with implicit ODP, 20 rounds, no crash (UCX 1.13 dereg bug)" \
	in_ns A $B/uct_odp_close -n 20 odphA
ucx_case "UCX's implicit ODP MR on odphA: length 2^64-1, even lkey" implicit_mr
ucx_case "UCX debug log, odp: 'using odp global key', lanes on rc_verbs only" \
	debug_log odp "using odp global key"
ucx_case "UCX debug log, rcache: 'using registration cache'" \
	debug_log rcache "using registration cache"
ucx_case "ucp_check odp: tag 8 B..4 MiB, put/get, every byte checked" check odp
ucx_case "ucp_check rcache: the same" check rcache
for reg in odp rcache; do
	n=1
	[ "$reg" = odp ] && n=$REPS
	ucx_case "ucx_perftest tag_lat 8 B, $reg, x$n" \
		perf_rep "$n" "$reg" tag_lat 8 200
	ucx_case "ucx_perftest tag_bw 64 KiB, $reg, x$n" \
		perf_rep "$n" "$reg" tag_bw 65536 50
	ucx_case "ucx_perftest tag_bw 1 MiB, $reg, x$n" \
		perf_rep "$n" "$reg" tag_bw 1048576 8
	ucx_case "ucx_perftest ucp_put_bw 64 KiB, $reg, x$n" \
		perf_rep "$n" "$reg" ucp_put_bw 65536 50
	ucx_case "ucx_perftest ucp_put_bw 1 MiB, $reg, x$n" \
		perf_rep "$n" "$reg" ucp_put_bw 1048576 8
done
ucx_case "Open MPI pml ucx, odp: ping-pong, exchange, allreduce 8 B..4 MiB checked" \
	mpi_ok odp
ucx_case "Open MPI pml ucx, rcache: the same" mpi_ok rcache
ucx_case "Open MPI pml ucx, odp: latency/bandwidth sweep 8 B..4 MiB" mpi_sweep
netns_teardown
tap_done
