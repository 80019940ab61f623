#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# On-demand paging on the odph NIC: odp_tool (tests/nic/odp_tool*.c) opens
# odphA and odphB (two namespaces joined by a veth pair) in one process
# and checks ODP MRs byte for byte under forced faults, remaps, fork, THP
# and hugetlb, read-only memory, implicit and iova MRs, holes, exact fault
# counts and a WRITE/munmap race; then a process killed mid-traffic must
# leave devices and module removable.  Runs in the VM (tests/vm/run).
# Work requests stay at 256 KiB or less: a single WRITE of 1 MiB takes
# ~10 s on odph in the VM even between pinned MRs (xmit errors and
# go-back-N retransmissions; `odp_tool ... sizes` shows it), which is a
# NIC flow-control matter, not an ODP one.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
. tests/nic/netns.sh

TOOL=tests/build/odp_tool
WINDOW=/sys/module/rdma_odph/parameters/odp_window
KO=kernel/ib_odp_hmm/odph/rdma_odph.ko
DMESG_START=$(dmesg | wc -l)

# odp CASE: run one odp_tool case on odphA -> odphB
odp() {
	ab_gids || return 1
	timeout 200 "$TOOL" -a odphA -A "$GA" -b odphB -B "$GB" "$1"
}

# ibv_devinfo -v lists every ODP capability odph advertises
devinfo_odp() {
	local out cap
	out=$(ibv_devinfo -v -d odphA) || return 1
	echo "$out" | sed -n '/odp_caps/,/^[^\t]/p'
	for cap in ODP_SUPPORT ODP_SUPPORT_IMPLICIT; do
		echo "$out" | sed -n '/general_odp_caps/,/rc_odp_caps/p' |
			grep -qw "$cap" || { echo "no general $cap"; return 1; }
	done
	for cap in SUPPORT_SEND SUPPORT_RECV SUPPORT_WRITE SUPPORT_READ \
		   SUPPORT_ATOMIC SUPPORT_SRQ; do
		echo "$out" | sed -n '/rc_odp_caps/,/uc_odp_caps/p' |
			grep -qw "$cap" || { echo "no rc $cap"; return 1; }
	done
	for cap in SUPPORT_SEND SUPPORT_RECV; do
		echo "$out" | sed -n '/ud_odp_caps/,/xrc_odp_caps/p' |
			grep -qw "$cap" || { echo "no ud $cap"; return 1; }
	done
}

# hugetlb needs reserved pages: 4 x 2 MiB for the case's two buffers
hugetlb() {
	local old rc
	old=$(cat /proc/sys/vm/nr_hugepages)
	echo 4 >/proc/sys/vm/nr_hugepages
	grep -i hugepages_free /proc/meminfo
	odp hugetlb
	rc=$?
	echo "$old" >/proc/sys/vm/nr_hugepages
	return $rc
}

# exact fault counts need a one-page fault window
counters() {
	local old rc
	old=$(cat "$WINDOW")
	echo 4096 >"$WINDOW"
	odp counters
	rc=$?
	echo "$old" >"$WINDOW"
	return $rc
}

# SIGKILL a process streaming WRITEs/READs over ODP MRs whose pages are
# being dropped: it must die promptly, then both devices can be deleted
# and rdma_odph unloaded (it is loaded again for the suites after us).
kill_teardown() {
	local out=tests/build/odp_stream.$$ pid end
	ab_gids || return 1
	"$TOOL" -a odphA -A "$GA" -b odphB -B "$GB" stream >"$out" 2>&1 &
	pid=$!
	# deadlines in seconds, not loop counts: on a loaded host one round
	# of grep + sleep takes far longer than its 0.1 s
	end=$((SECONDS + 120))
	while [ $SECONDS -lt $end ]; do
		grep -q streaming "$out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$out"
	rm -f "$out"
	kill -0 "$pid" 2>/dev/null || { echo "stream died by itself"; return 1; }
	sleep 1
	kill -9 "$pid"
	end=$((SECONDS + 30))
	while [ $SECONDS -lt $end ]; do
		[ -d "/proc/$pid" ] || break
		sleep 0.1
	done
	if [ -d "/proc/$pid" ]; then
		echo "pid $pid still there 30 s after SIGKILL:"
		cat "/proc/$pid/stack" 2>/dev/null
		return 1
	fi
	wait "$pid" 2>/dev/null
	bounded $IP netns exec odphA rdma link delete odphA || return 1
	bounded $IP netns exec odphB rdma link delete odphB || return 1
	rdma link show | grep odph && return 1
	bounded rmmod rdma_odph || return 1
	insmod "$KO"
}

# A process holds odphA (MRs, a QP, traffic done) while the device is
# deleted: the delete completes without waiting for the process, which
# gets IBV_EVENT_DEVICE_FATAL, sees its next post fail and exits 0.  Then
# odphA is made again for the cases after this one.
fatal_delete() {
	local out=tests/build/odp_fatal.$$ pid end rc=0
	ab_gids || return 1
	"$TOOL" -a odphA -A "$GA" -b odphB -B "$GB" fatal >"$out" 2>&1 &
	pid=$!
	end=$((SECONDS + 120))
	while [ $SECONDS -lt $end ] && ! grep -q holding "$out"; do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q holding "$out" || { cat "$out"; kill -9 "$pid"; return 1; }
	bounded $IP netns exec odphA rdma link delete odphA || rc=1
	end=$((SECONDS + 60))
	while [ $SECONDS -lt $end ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "odp_tool still running 60 s after the delete"
		kill -9 "$pid"
		rc=1
	fi
	wait "$pid" || rc=1
	cat "$out"
	rm -f "$out"
	in_ns A rdma link add odphA type odph netdev vA || return 1
	return $rc
}

# bounded CMD...: CMD within 120 s, or show where every task that might be
# stuck in the RDMA or ODP paths sleeps, and fail (a hang must not eat the
# whole VM's time limit with nothing to show for it).
bounded() {
	# run in the background: a task stuck in the kernel (D state)
	# ignores every signal, and timeout(1) would wait for it forever
	local p pid end=$((SECONDS + 120))
	"$@" &
	pid=$!
	while [ $SECONDS -lt $end ]; do
		[ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" \
			2>/dev/null || { wait "$pid"; return; }
		sleep 0.1
	done
	echo "'$*' hung for 120 s; blocked tasks (sysrq w) and kernel stacks:"
	echo w >/proc/sysrq-trigger 2>/dev/null
	dmesg | tail -n 80
	for p in /proc/[0-9]*; do
		case $(cat "$p/comm" 2>/dev/null) in
		odp_tool|rdma|rmmod|kworker*)
			# an idle kworker sleeps in worker_thread()
			grep -qv 'worker_thread\|kthread\|ret_from_fork' \
				"$p/stack" 2>/dev/null || continue
			echo "--- ${p#/proc/} $(cat "$p/comm")"
			cat "$p/stack"
			;;
		esac
	done
	return 1
}

no_splats() {
	local new
	new=$(dmesg | tail -n +"$((DMESG_START + 1))")
	echo "$new" | tail -n 20
	! echo "$new" | grep -E 'WARNING:|BUG:|Oops|lockdep|possible (circular|recursive) locking|INFO: task .* blocked|general protection'
}

if ! netns_setup; then
	tap_case "netns and odph devices set up" false
	tap_done
	exit 1
fi
tap_case "ibv_devinfo -v shows the ODP caps (general, implicit, RC, UD)" \
	devinfo_odp
tap_case "forced faults: MADV_DONTNEED before every WRITE/READ/SEND" \
	odp faults
tap_case "remap between transfers: new mapping gets data, old never" \
	odp remap
tap_case "fork during traffic: parent and child views both right" \
	odp fork
tap_case "THP buffers, 2 MiB aligned: WRITEs and READs across the THPs" \
	odp thp
tap_case "hugetlb buffers with IBV_ACCESS_HUGETLB" hugetlb
tap_case "read-only memfd mapping, REMOTE_READ only: READ, no fault loop" \
	odp rdonly
tap_case "implicit MRs: heap, stack and mmap SGEs and targets" \
	odp implicit
tap_case "iova != va explicit MR: WRITE/READ by iova" odp iova
tap_case "WRITE to an munmapped page of an ODP MR: remote access error" \
	odp hole
tap_case "exact fault counts with odp_window 4096" counters
tap_case "READ and FETCH_ADD into a warm ODP buffer: no fault; after MADV_DONTNEED: a fault" \
	odp warm_read
tap_case "FETCH_ADD whose result page is dropped in flight: held, exact" \
	odp atomic_held
tap_case "UD SEND into a cold ODP receive buffer: dropped, faulted, lands" \
	odp ud
tap_case "race: WRITEs stream while the target is remapped 20 times" \
	odp race
tap_case "storm: WRITE/READ/FETCH_ADD via explicit and implicit ODP MRs while the target is remapped, protected, dropped and forked every 2.5 ms for 10 s: every WR completes, then data exact" \
	odp storm
tap_case "link delete while a process holds the device: DEVICE_FATAL, clean exit" \
	fatal_delete
tap_case "SIGKILL mid-traffic: link delete and rmmod rdma_odph work" \
	kill_teardown
netns_teardown
tap_case "no kernel warnings" no_splats
tap_done
