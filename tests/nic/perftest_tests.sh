#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# perftest with perftest-patches/ (make perftest) between odphA and odphB:
# each ODP option's output checked against the numbers it must show, the
# counters against RDMA netlink, and --odp-implicit against stock rdma_rxe.
# Runs in the VM (tests/vm/run).  Without the patched binaries (no perftest
# source) it prints one SKIP line with the reason.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/nic/netns.sh

PT=perftest-patches/build/bin
PORT=18900
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if [ ! -x "$PT/ib_write_bw" ]; then
	why=$(cat perftest-patches/build/unavailable 2>/dev/null)
	tap_skip "patched perftest" "${why:-not built (make perftest)}"
	tap_done
	exit 0
fi

# pt PROG SARGS -- CARGS: patched perftest PROG, its server on odphA with
# SARGS and its client on odphB with CARGS, on a fresh port; outputs in
# $T/srv and $T/cli.  Both must exit 0 and the client print its result row.
pt() {
	local prog=$PT/$1 sargs=() srv rc
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		sargs+=("$1")
		shift
	done
	shift
	ab_gids || return 1
	PORT=$((PORT + 1))
	rm -f "$T/srv" "$T/cli"
	timeout 180 $IP netns exec odphA "$prog" -d odphA -x "$GA" -p "$PORT" \
		-F "${sargs[@]}" >"$T/srv" 2>&1 &
	srv=$!
	wait_listen odphA "$PORT" || return 1
	timeout 180 $IP netns exec odphB "$prog" -d odphB -x "$GB" -p "$PORT" \
		-F "$@" 10.11.0.1 >"$T/cli" 2>&1
	rc=$?
	wait "$srv"
	local src=$?
	show
	[ "$src" = 0 ] && [ "$rc" = 0 ] && perf_row "$(cat "$T/cli")"
}

show() {
	echo "--- server"; cat "$T/srv"
	echo "--- client"; cat "$T/cli"
}

# stat FILE WHEN FIELD: FIELD of the first "ODP MR lkey ... WHEN:" line.
stat() {
	grep -m 1 " ODP MR lkey 0x[0-9a-f]* $2: " "$1" |
		grep -o " $3=[0-9]*" | cut -d= -f2
}

# expect WHAT VALUE OP BOUND: a numeric check that says what failed.
expect() {
	if [ -z "$2" ] || ! [ "$2" "$3" "$4" ]; then
		echo "FAIL: $1 = '${2}', want $3 $4"
		return 1
	fi
	echo "ok: $1 = $2 ($3 $4)"
}

# the new options in --help of every program that takes them
help_lists_options() {
	local p o
	for p in ib_write_bw ib_read_bw ib_send_bw ib_write_lat ib_read_lat \
		ib_send_lat; do
		for o in --odp-implicit --odp-prefetch= --odp-prefetch-sync \
			--odp-cold --odp-stats; do
			"$PT/$p" --help 2>&1 | grep -q -- " $o" ||
				{ echo "$p --help lacks $o"; return 1; }
		done
	done
}

# bad values and missing --odp are refused before any device is touched
refuses_bad_options() {
	local a
	for a in "--odp-prefetch=fault" "--odp --odp-prefetch=sometimes" \
		"--odp --odp-prefetch-sync" "--odp --odp-cold=0" \
		"--odp --odp-cold=x" "--odp-cold" "--odp-stats" \
		"--odp --odp-cold -b"; do
		# shellcheck disable=SC2086
		if "$PT/ib_write_bw" $a >"$T/out" 2>&1; then
			echo "ib_write_bw $a exited 0"; return 1
		fi
		grep -q -- '--odp' "$T/out" ||
			{ echo "ib_write_bw $a: no message"; cat "$T/out"; return 1; }
	done
}

# the report's columns are stock perftest's; the ODP lines come after it
report_unchanged() {
	local stock patched
	pt ib_write_bw -s 65536 -n 50 --odp --odp-stats -- \
		-s 65536 -n 50 --odp --odp-stats || return 1
	patched=$(grep '#bytes' "$T/cli")
	PT=/usr/bin pt ib_write_bw -s 65536 -n 50 --odp -- \
		-s 65536 -n 50 --odp || return 1
	stock=$(grep '#bytes' "$T/cli")
	echo "stock:   $stock"; echo "patched: $patched"
	[ -n "$stock" ] && [ "$stock" = "$patched" ] || return 1
	# the last report line precedes the first ODP line
	pt ib_write_bw -s 65536 -n 50 --odp \
		--odp-stats -- -s 65536 -n 50 --odp --odp-stats || return 1
	awk '/ODP MR lkey/ { odp = NR } /#bytes/ { hdr = NR }
	     END { exit !(hdr && odp > hdr) }' "$T/cli"
}

# --odp-stats: the server's "after" line equals netlink's counters of the
# same MR, read while --wait_destroy keeps it registered; the client's
# RDMA writes faulted on the server's MR.
stats_match_netlink() {
	local lkey f i
	rm -f "$T/srv" "$T/cli"
	pt ib_write_bw -s 65536 -n 100 --odp --odp-stats --wait_destroy=10 -- \
		-s 65536 -n 100 --odp &
	local pair=$!
	PORT=$((PORT + 1))	# pt's increment happened in the subshell
	for i in $(seq 1 600); do
		grep -q ' ODP MR lkey .* after: ' "$T/srv" 2>/dev/null && break
		sleep 0.1
	done
	in_ns A rdma -j -dd resource show mr >"$T/nl" 2>&1
	wait "$pair" || return 1
	cat "$T/nl"
	lkey=$(grep -m 1 -o ' ODP MR lkey 0x[0-9a-f]* after' "$T/srv" |
		cut -d' ' -f5)
	[ -n "$lkey" ] || { echo "no ODP MR line"; return 1; }
	expect "server loop faults" "$(stat "$T/srv" loop faults)" -ge 1 ||
		return 1
	for f in faults pages_faulted pages_snapshot invalidations \
		pages_invalidated prefetches fault_errors; do
		expect "server $f vs netlink" "$(stat "$T/srv" after $f)" -eq \
			"$(nl_counter "$lkey" "$f")" || return 1
	done
}

# nl_counter LKEY FIELD: drv_odp_FIELD of the MR with LKEY in $T/nl.
nl_counter() {
	python3 - "$T/nl" "$1" "drv_odp_$2" <<'PY'
import json, sys
path, lkey, field = sys.argv[1], int(sys.argv[2], 16), sys.argv[3]
for mr in json.load(open(path)):
    if int(str(mr.get("lkey", "-1")), 16) == lkey and field in mr:
        print(mr[field])
        sys.exit(0)
print("no %s for lkey %x in %s" % (field, lkey, path), file=sys.stderr)
PY
}

# --odp-cold on both ends of ib_write_lat (8 KiB: 2 pages a message): each
# side drops its buffer before each of its posts, so each iteration takes
# at least one fault (the local read of the message) and maps its 2 pages
# again, and each drop after the first zaps a mapping.  The warm control
# run takes only the first touches.
cold_write_lat() {
	local side n d p pages
	pt ib_write_lat -s 8192 -n 50 --odp --odp-cold --odp-stats -- \
		-s 8192 -n 50 --odp --odp-cold --odp-stats || return 1
	for side in srv cli; do
		d=$(grep -o 'pages dropped [0-9]* times' "$T/$side" | cut -d' ' -f3)
		p=$(grep -o 'ODP cold: [0-9]* pages' "$T/$side" | cut -d' ' -f3)
		expect "$side drops" "$d" -ge 50 || return 1
		expect "$side pages per drop" "$p" -ge 2 || return 1
		n=$(stat "$T/$side" loop faults)
		expect "$side loop faults" "$n" -ge "$d" || return 1
		pages=$(( $(stat "$T/$side" loop pages_faulted) +
			  $(stat "$T/$side" loop pages_snapshot) ))
		expect "$side loop pages mapped" "$pages" -ge $((2 * d)) ||
			return 1
		expect "$side loop invalidations" \
			"$(stat "$T/$side" loop invalidations)" -ge $((d - 1)) ||
			return 1
		expect "$side fault errors" "$(stat "$T/$side" after fault_errors)" \
			-eq 0 || return 1
	done
	pt ib_write_lat -s 8192 -n 50 --odp --odp-stats -- \
		-s 8192 -n 50 --odp --odp-stats || return 1
	expect "warm client loop faults" "$(stat "$T/cli" loop faults)" -lt 10
}

# --odp-cold=8 on an ib_write_bw client with one WR in flight (-t 1): a
# drop every 8 iterations, each followed by a 16-page message the
# requester must fault in again.
cold_every_n() {
	local d
	pt ib_write_bw -s 65536 -n 64 -t 1 --odp -- \
		-s 65536 -n 64 -t 1 --odp --odp-cold=8 --odp-stats || return 1
	grep -q '(every 8)' "$T/cli" || return 1
	d=$(grep -o 'pages dropped [0-9]* times' "$T/cli" | cut -d' ' -f3)
	expect "drops" "$d" -eq 8 || return 1
	expect "loop faults" "$(stat "$T/cli" loop faults)" -ge "$d" || return 1
	expect "loop pages faulted" "$(stat "$T/cli" loop pages_faulted)" \
		-ge $((16 * d))
}

# --odp-prefetch=MODE --odp-prefetch-sync on both ends: the prefetch line
# with the buffer's bytes, one prefetch counted, and no fault in the
# measured loop on either side.  Without prefetch the same run faults.
prefetch() {
	local mode=$1 side b
	pt ib_write_bw -s 65536 -n 100 --odp --odp-prefetch="$mode" \
		--odp-prefetch-sync --odp-stats -- -s 65536 -n 100 --odp \
		--odp-prefetch="$mode" --odp-prefetch-sync --odp-stats || return 1
	for side in srv cli; do
		b=$(grep -o "ODP prefetch: $mode sync, [0-9]* bytes" "$T/$side" |
			cut -d' ' -f5)
		expect "$side prefetched bytes" "$b" -ge 65536 || return 1
		expect "$side prefetches" "$(stat "$T/$side" before prefetches)" \
			-ge 1 || return 1
		expect "$side loop faults" "$(stat "$T/$side" loop faults)" -eq 0 ||
			return 1
	done
	pt ib_write_bw -s 65536 -n 100 --odp --odp-stats -- \
		-s 65536 -n 100 --odp --odp-stats || return 1
	expect "unprefetched server loop faults" \
		"$(stat "$T/srv" loop faults)" -ge 1
}

# --odp-implicit: WRITE, READ and SEND over implicit ODP MRs on odph; the
# MR is the implicit one (rdma: mrlen 2^64-1) and takes the faults.
implicit() {
	local prog=$1
	rm -f "$T/srv" "$T/cli"
	pt "$prog" -s 65536 -n 100 --odp-implicit --odp-stats \
		--wait_destroy=15 -- -s 65536 -n 100 --odp-implicit --odp-stats &
	local pair=$! i
	PORT=$((PORT + 1))	# pt's increment happened in the subshell
	for i in $(seq 1 600); do
		grep -q ' ODP MR lkey .* after: ' "$T/srv" 2>/dev/null && break
		sleep 0.1
	done
	in_ns A rdma resource show mr dev odphA >"$T/nl" 2>&1
	wait "$pair" || return 1
	cat "$T/nl"
	grep -q 'mrlen 18446744073709551615' "$T/nl" || return 1
	expect "server faults" "$(stat "$T/srv" after faults)" -ge 1 &&
		expect "client faults" "$(stat "$T/cli" after faults)" -ge 1
}

# stock rdma_rxe (no ODP): both ends of --odp-implicit exit non-zero with
# the reason, before any traffic.
implicit_rxe_refused() {
	local g srv rc
	g=$(gid_index rxe0 10.13.0.1) || return 1
	PORT=$((PORT + 1))
	timeout 60 "$PT/ib_write_bw" -d rxe0 -x "$g" -p "$PORT" -F \
		--odp-implicit >"$T/srv" 2>&1 &
	srv=$!
	wait_listen "" "$PORT" || return 1
	timeout 60 "$PT/ib_write_bw" -d rxe0 -x "$g" -p "$PORT" -F \
		--odp-implicit 10.13.0.1 >"$T/cli" 2>&1
	rc=$?
	wait "$srv"
	local src=$?
	show
	expect "client exit" "$rc" -eq 1 && expect "server exit" "$src" -eq 1 &&
		grep -q -- '--odp-implicit: rxe0 has no on-demand paging' \
			"$T/cli" &&
		grep -q -- '--odp-implicit: rxe0 has no on-demand paging' \
			"$T/srv"
}

rxe_setup() {
	modprobe -q rdma_rxe 2>/dev/null
	$IP link add vR type veth peer name vR2 &&
	$IP addr add 10.13.0.1/24 dev vR &&
	$IP link set vR up && $IP link set vR2 up &&
	rdma link add rxe0 type rxe netdev vR
}

rxe_teardown() {
	rdma link delete rxe0 2>/dev/null
	$IP link del vR 2>/dev/null
}

tap_case "--help lists the ODP options" help_lists_options
tap_case "bad ODP option values refused with a message" refuses_bad_options
if ! netns_setup; then
	tap_case "netns and odph devices set up" false
	tap_done
	exit 1
fi
tap_case "report columns unchanged, ODP lines after" report_unchanged
tap_case "--odp-stats equals rdma resource show mr -dd" stats_match_netlink
tap_case "--odp-cold ib_write_lat: faults >= drops, 2 pages each" \
	cold_write_lat
tap_case "--odp-cold=8 ib_write_bw -t 1: 16 pages faulted per drop" \
	cold_every_n
tap_case "--odp-prefetch=fault sync: no fault in the loop" prefetch fault
tap_case "--odp-prefetch=nofault sync: no fault in the loop" prefetch nofault
tap_case "--odp-implicit ib_write_bw on odph" implicit ib_write_bw
tap_case "--odp-implicit ib_read_bw on odph" implicit ib_read_bw
tap_case "--odp-implicit ib_send_bw on odph" implicit ib_send_bw
if rxe_setup; then
	tap_case "--odp-implicit on stock rxe: exit 1, reason given" \
		implicit_rxe_refused
else
	tap_case "rxe0 set up" false
fi
rxe_teardown
netns_teardown
tap_done
