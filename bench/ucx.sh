#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench/ucx.sh RAW: Debian's UCX 1.13.1 on odph with ODP against UCX's own
# registration cache, in the same run: ucx_perftest tag_bw and ucp_put_bw
# between odphA and odphB (two namespaces, tests/nic/netns.sh), UCX set up
# by tests/nic/ucx.sh (rc_verbs only), with UCX_IB_REG_METHODS=odp (one
# implicit ODP MR per device) and =rcache (pinned MRs, cached).  Appends
# tab-separated "case, device, round, value, unit" lines to RAW: the
# client's overall bandwidth, message size / its "Final:" overall time per
# message (MB/s = 10^6 bytes/s).
#
# Each round runs every test and size with both methods back to back, the
# order of the two alternating per round; BENCH_ROUNDS rounds (default 3).
# The buffers are warm (ucx_perftest's warm-up is a tenth of the
# iterations): this is the hot path, not first-touch faults.
#   BENCH_UCX_SIZES   "SIZE:ITERS ..." (default below)
#   BENCH_UCX_BUDGET  seconds (default 780): no new round starts once one
#                     more would likely end past it (the log says so, and
#                     the tables give n)
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/nic/netns.sh
. tests/nic/ucx.sh
. bench/lib.sh

RAW=$1
ROUNDS=${BENCH_ROUNDS:-3}
BUDGET=${BENCH_UCX_BUDGET:-780}
# about 30 MiB a run at the large sizes (25-35 MB/s under TCG)
SIZES=${BENCH_UCX_SIZES:-8:10000 4096:2000 65536:500 1048576:32 4194304:8}
TESTS="tag_bw ucp_put_bw"
PORT=19500
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT

# label BYTES: 8B, 4K, 64K, 1M, 4M
label() {
	local b=$1
	if [ $((b % 1048576)) = 0 ]; then echo "$((b / 1048576))M"
	elif [ $((b % 1024)) = 0 ]; then echo "$((b / 1024))K"
	else echo "${b}B"; fi
}

# run REG TEST BYTES ITERS ROUND: one ucx_perftest pair, the client's
# overall bandwidth into $RAW.
run() {
	local reg=$1 test=$2 size=$3 iters=$4 round=$5 out rc final t0=$SECONDS
	PORT=$((PORT + 1))
	out=$(UCX_TIMEOUT=120 ucx_pair "$reg" ucx_perftest -p "$PORT" -- \
		ucx_perftest -p "$PORT" -t "$test" -s "$size" -n "$iters" 2>&1)
	rc=$?
	final=$(echo "$out" | sed '/^--- server/,$d' | grep -m1 '^Final:')
	if [ "$rc" != 0 ] || [ -z "$final" ]; then
		echo "FAILED: $test $size $reg round $round (exit $rc)" >&2
		echo "$out" | tail -n 30 >&2
		return 1
	fi
	# Final: iterations, time per message (usec) 50%ile/average/overall,
	# MB/s average/overall, msg/s average/overall.  The printed MB/s has
	# two decimals (0.19 at 8 B); SIZE / overall usec has 4-5 digits.
	emit "$test $(label "$size")" "$reg" "$round" \
		"$(echo "$final" | awk -v s="$size" '$5 > 0 { printf "%.5g", s / $5 }')" MB/s
	echo "    ($((SECONDS - t0)) s: $final)"
}

fail=0
start=$SECONDS
if ! command -v ucx_perftest >/dev/null; then
	echo "ucx bench: no ucx_perftest (scripts/setup installs ucx-utils)" >&2
	fail=1
elif ! netns_setup; then
	echo "ucx bench: setup failed" >&2
	fail=1
else
	echo "UCX $(ucx_info -v 2>/dev/null | sed -n 's/^# Version //p');" \
		"sizes:iterations $SIZES; budget $BUDGET s"
	for round in $(seq 1 "$ROUNDS"); do
		used=$((SECONDS - start))
		if [ "$round" -gt 1 ] &&
		   [ $((used + used / (round - 1))) -gt "$BUDGET" ]; then
			echo "ucx bench: $((round - 1)) of $ROUNDS rounds, $used s" \
				"(one more would pass the $BUDGET s budget)"
			break
		fi
		order="odp rcache"
		[ $((round % 2)) = 0 ] && order="rcache odp"
		for test in $TESTS; do
			for si in $SIZES; do
				for reg in $order; do
					run "$reg" "$test" "${si%%:*}" "${si#*:}" \
						"$round" || fail=1
				done
			done
		done
	done
	echo "ucx bench: $((SECONDS - start)) s"
fi
netns_teardown
exit $fail
