#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench/odp.sh RAW: what ODP costs on odph, against pinned MRs on the same
# devices in the same run (odphA <-> odphB across two namespaces).
# Appends tab-separated "case, device, round, value, unit" lines to RAW.
#
#   warm:   ib_write_bw 64 KiB, --odp on both ends vs pinned
#   pass:   bench/build/odp_bench pass: RDMA WRITE over a fresh 64 MiB
#           buffer (never touched at the target), first (cold) and second
#           (warm) pass; pinned, ODP, ODP after prefetch (raw ADVISE_MR
#           ioctl, synchronous)
#   reg:    ibv_reg_mr of a 1 GiB buffer: pinned, ODP explicit, implicit
#   window: cold-pass bandwidth against the rdma_odph odp_window parameter
#           (a smaller buffer, first pass only, to keep the bench short)
#
# Every kind of run is interleaved with the others, BENCH_ROUNDS rounds.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/nic/netns.sh
. bench/lib.sh

RAW=$1
ROUNDS=${BENCH_ROUNDS:-3}
WPARAM=/sys/module/rdma_odph/parameters/odp_window
WINDOWS="4096 16384 65536 262144 1048576 2097152"
SIZE=64M		# the cold/warm pass
SWEEP_SIZE=${BENCH_SWEEP_SIZE:-16M}	# a window sweep pass (first pass only)
BENCH=bench/build/odp_bench

# pass LABEL ROUND ARGS...: one odp_bench pass, its figures into $RAW.
pass() {
	local label=$1 round=$2 out k v unit
	shift 2
	out=$($BENCH pass -A "odphA:$GA" -B "odphB:$GB" -s "$SIZE" "$@") ||
		{ echo "FAILED: odp_bench pass $*" >&2; return 1; }
	while read -r k v unit; do
		emit "pass $SIZE $k" "$label" "$round" "$v" "$unit"
	done <<<"$out"
}

reg() {
	local round=$1 out k v unit
	out=$($BENCH reg -A odphA -s 1G -n 3) ||
		{ echo "FAILED: odp_bench reg" >&2; return 1; }
	while read -r k v unit; do
		emit "reg 1G" "${k#reg_}" "$round" "$v" "$unit"
	done <<<"$out"
}

window_sweep() {
	local round=$1 w old rc=0
	old=$(cat $WPARAM)
	for w in $WINDOWS; do
		echo "$w" >$WPARAM || return 1
		SIZE=$SWEEP_SIZE pass "window $w" "$round" -o -c || rc=1
	done
	echo "$old" >$WPARAM
	return $rc
}

fail=0
if ! netns_setup; then
	echo "odp bench: setup failed" >&2
	fail=1
else
	ab_gids || fail=1
	echo "odp_window default: $(cat $WPARAM)"
	for round in $(seq 1 "$ROUNDS"); do
		[ $fail = 0 ] || break
		record "write_bw 64K" odph-pinned "$round" \
			ib_write_bw -s 65536 -n 200 || fail=1
		record "write_bw 64K" odph-odp "$round" \
			ib_write_bw -s 65536 -n 200 --odp || fail=1
		pass pinned "$round" || fail=1
		pass odp "$round" -o || fail=1
		pass odp-prefetch "$round" -o -p || fail=1
		reg "$round" || fail=1
		window_sweep "$round" || fail=1
	done
fi
netns_teardown
exit $fail
