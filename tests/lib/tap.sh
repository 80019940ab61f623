# SPDX-License-Identifier: GPL-2.0
# tap.sh - TAP for shell test programs, sourced.  Cases are functions:
#	tap_case NAME FUNC [ARGS...]   run FUNC; its exit status decides
#	tap_skip NAME REASON
#	tap_done                      print "N passed, N failed[, N skipped]"
# A case's output goes to a log that is shown, as TAP diagnostics, only when
# it fails.
_tap_n=0 _tap_pass=0 _tap_fail=0 _tap_skip=0

tap_case() {
	local name=$1 log rc
	shift
	_tap_n=$((_tap_n + 1))
	log=$(mktemp)
	"$@" >"$log" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then
		echo "ok $_tap_n - $name"
		_tap_pass=$((_tap_pass + 1))
	else
		echo "not ok $_tap_n - $name (exit $rc)"
		sed 's/^/# /' "$log" | tail -n 40
		_tap_fail=$((_tap_fail + 1))
	fi
	rm -f "$log"
}

tap_skip() {
	_tap_n=$((_tap_n + 1))
	_tap_skip=$((_tap_skip + 1))
	echo "ok $_tap_n - $1 # SKIP $2"
}

tap_done() {
	echo "1..$_tap_n"
	if [ "$_tap_skip" != 0 ]; then
		echo "$_tap_pass passed, $_tap_fail failed, $_tap_skip skipped"
	else
		echo "$_tap_pass passed, $_tap_fail failed"
	fi
	[ "$_tap_fail" = 0 ]
}
