#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# rdma-core's own pyverbs test suite (shipped by python3-pyverbs) against an
# odph device in a network namespace, through Debian's stock librxe: one
# TAP line per case, by tests/nic/pyverbs_run.py.  Runs in the VM.
#
#   PYVERBS_DRIVER=rxe   run it against a stock rdma_rxe device in init_net
#                        instead (to compare; 6.1 rxe only works there)
#   arguments            module names (test_qp test_odp ...) to run only those
set -u
cd "$(dirname "$0")/../.." || exit 1
IP=/bin/ip	# busybox's ip applet shadows iproute2 in the VM
DRIVER=${PYVERBS_DRIVER:-odph}
NS=odphP
DEV=${DRIVER}P
ADDR=10.15.0.1

if [ ! -d /usr/share/doc/rdma-core/tests ]; then
	echo "1..0 # SKIP python3-pyverbs (rdma-core tests) is not installed"
	echo "0 passed, 0 failed"
	exit 0
fi

# run CMD...: in the namespace for odph, in init_net for rxe.
run() {
	if [ "$DRIVER" = odph ]; then
		$IP netns exec $NS "$@"
	else
		"$@"
	fi
}

setup() {
	if [ "$DRIVER" = odph ]; then
		$IP netns add $NS || return 1
	else
		modprobe rdma_rxe || return 1
	fi
	$IP link add vP0 type veth peer name vP1 || return 1
	if [ "$DRIVER" = odph ]; then
		$IP link set vP0 netns $NS && $IP link set vP1 netns $NS ||
			return 1
	fi
	run $IP addr add $ADDR/24 dev vP0 &&
	run $IP link set vP0 up && run $IP link set vP1 up &&
	run $IP link set lo up &&
	run rdma link add $DEV type "$DRIVER" netdev vP0
}

teardown() {
	run rdma link delete $DEV 2>/dev/null
	run $IP link delete vP0 2>/dev/null
	[ "$DRIVER" = odph ] && $IP netns del $NS 2>/dev/null
	rm -rf "$BIN"
}

# The RoCE v2 GID index of ::ffff:ADDR.
gid_index() {
	local want f i
	want=$(printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x' \
		$(echo "$ADDR" | tr . ' '))
	for i in $(seq 1 50); do
		for f in /sys/class/infiniband/$DEV/ports/1/gids/*; do
			[ "$(cat "$f" 2>/dev/null)" = "$want" ] || continue
			[ "$(cat /sys/class/infiniband/$DEV/ports/1/gid_attrs/types/"${f##*/}" \
				2>/dev/null)" = "RoCE v2" ] || continue
			echo "${f##*/}"
			return 0
		done
		sleep 0.1
	done
	return 1
}

# pyverbs' helpers call "ip -j": give them iproute2, not busybox.
BIN=$(mktemp -d)
ln -s $IP "$BIN/ip"
# test_odp's hugetlb cases need 2 MiB huge pages (ODP MRs over hugetlbfs).
HUGE=/proc/sys/vm/nr_hugepages
HUGE_WAS=$(cat $HUGE 2>/dev/null || echo 0)
trap 'teardown; echo "$HUGE_WAS" >$HUGE 2>/dev/null' EXIT
echo 32 >$HUGE 2>/dev/null

if ! setup; then
	echo "not ok 1 - setup of $DEV"
	echo "0 passed, 1 failed"
	exit 1
fi
if ! GID=$(gid_index); then
	echo "not ok 1 - no RoCE v2 GID for $ADDR on $DEV"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "# $DEV (GID index $GID)"
# librxe has no advise_mr op: libodpext's preload shim installs one in
# odph contexts, so test_odp.py's prefetch cases reach the kernel.
PRELOAD=$PWD/libibverbs-ext/build/libodpext-preload.so
[ -f "$PRELOAD" ] || echo "# $PRELOAD missing: prefetch cases will fail"
run env PATH="$BIN:$PATH" LD_PRELOAD="$PRELOAD" /usr/bin/python3 \
	tests/nic/pyverbs_run.py --dev "$DEV" --gid "$GID" "$@"
