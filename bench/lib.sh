# SPDX-License-Identifier: GPL-2.0
# bench/lib.sh - sourced by bench/nic.sh and bench/odp.sh (after
# tests/nic/netns.sh): one perftest run between the two ends of a device
# pair, and the raw record format bench/report.py reads: one line per
# measurement, tab-separated "case, device, round, value, unit".

PORT=${PORT:-19100}
# A run that hangs (see bench/results/README) is recorded as failed.
PERF_TIMEOUT=${BENCH_PERF_TIMEOUT:-90}

# emit CASE DEV ROUND VALUE UNIT: one measurement into $RAW and the log.
emit() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"
	printf '%-30s %-12s round %s: %s %s\n' "$@"
}

# perf DEV PROG ARGS...: one perftest run between the two ends of DEV's
# pair (odph... or rxe; "odph-odp" is the odph pair); prints the client's
# result row.
perf() {
	local dev=$1 prog=$2 srv out rc sdev cdev sg cg sns=() cns=() dst try
	shift 2
	if [ "${dev%%-*}" = odph ]; then
		sdev=odphA cdev=odphB dst=10.11.0.1
		sns=($IP netns exec odphA) cns=($IP netns exec odphB)
		sg=$(odph_gid odphA) && cg=$(odph_gid odphB) || return 1
	else
		sdev=rxe0 cdev=rxe1 dst=10.13.0.1
		sg=$(gid_index rxe0 10.13.0.1) && cg=$(gid_index rxe1 10.13.0.2) ||
			return 1
	fi
	timeout "$PERF_TIMEOUT" "${sns[@]}" "$prog" -d "$sdev" -x "$sg" -p "$PORT" -F "$@" \
		>/dev/null 2>&1 &
	srv=$!
	sleep 1.5
	for try in 1 2 3; do	# a loaded guest may start the server late
		out=$(timeout "$PERF_TIMEOUT" "${cns[@]}" "$prog" -d "$cdev" \
			-x "$cg" -p "$PORT" -F "$@" "$dst" 2>&1)
		rc=$?
		case $out in *"Couldn't connect"*) sleep 2 ;; *) break ;; esac
	done
	wait "$srv" && [ "$rc" = 0 ] || { echo "$out" >&2; return 1; }
	echo "$out" | grep -A1 '#bytes' | tail -n 1
}

# record CASE DEV ROUND PROG ARGS...: one run, its figure into $RAW.
record() {
	local name=$1 dev=$2 round=$3 prog=$4 row v unit
	shift 3
	PORT=$((PORT + 1))	# here: perf runs in a subshell
	row=$(perf "$dev" "$@") || { echo "FAILED: $name on $dev" >&2; return 1; }
	case $prog in
	*_lat)	# t_typical (the run's median); bimodal runs show in p99
		emit "$name p99" "$dev" "$round" "$(echo "$row" | awk '{print $8}')" usec
		v=$(echo "$row" | awk '{print $5}') unit=usec ;;
	*)	v=$(echo "$row" | awk '{print $4}') unit=MB/s ;;
	esac
	emit "$name" "$dev" "$round" "$v" "$unit"
}

