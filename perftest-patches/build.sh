#!/usr/bin/env bash
# perftest-patches/build.sh - perftest 4.5-0.17 with this directory's
# patches, built in perftest-patches/build/ (`make perftest` runs it).
#
# Source, in this order:
#   PERFTEST_SRC    perftest-4.5-0.17.tar.gz or an unpacked tree
#   apt-get source  perftest's orig tarball from a deb-src entry
#                   (scripts/setup adds bookworm's)
# Without either it prints one line, writes the reason to
# build/unavailable (tests/nic/perftest_tests.sh skips with it) and exits
# 0, so the rest of the project builds and runs.
#
# Result: build/bin/ib_{write,read,send,atomic}_{bw,lat}, linked with
# libibverbs-ext's libodpext.a (advise_mr through librxe, MR counters).
# The installed perftest is not touched.  Rebuilt only when a patch, this
# script or libodpext changed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
B=$here/build
EXT=$top/libibverbs-ext
PROGS="ib_write_bw ib_read_bw ib_send_bw ib_atomic_bw
       ib_write_lat ib_read_lat ib_send_lat ib_atomic_lat"

# skip REASON: one line, and the reason for the test suite.
skip() {
	mkdir -p "$B"
	echo "$*" >"$B/unavailable"
	echo "perftest-patches: $*; patched perftest not built"
	exit 0
}

fail() {
	echo "perftest-patches: $*" >&2
	exit 1
}

up_to_date() {
	[ -f "$B/stamp" ] && [ ! -f "$B/unavailable" ] &&
		[ -z "$(find "$here"/*.patch "$here/build.sh" \
			"$EXT/build/libodpext.a" "$EXT/odp_ext.h" \
			-newer "$B/stamp" 2>/dev/null)" ]
}

# from_apt DIR: the orig tarball of Debian's perftest, unpacked into DIR.
from_apt() {
	local dir=$1 dl=$B/apt orig

	command -v apt-get >/dev/null ||
		skip "no PERFTEST_SRC and no apt-get"
	rm -rf "$dl" && mkdir -p "$dl"
	(cd "$dl" && apt-get source --download-only perftest) \
		>"$B/apt.log" 2>&1 ||
		skip "no PERFTEST_SRC, and apt-get source perftest failed (build/apt.log)"
	orig=$(ls "$dl"/perftest_*.orig.tar.* 2>/dev/null | head -n 1)
	[ -n "$orig" ] || skip "apt-get source perftest gave no orig tarball"
	tar -xf "$orig" -C "$dir" --strip-components=1
}

# unpack DIR: the pristine source in DIR.
unpack() {
	local dir=$1 src=${PERFTEST_SRC:-}

	rm -rf "$dir" && mkdir -p "$dir"
	if [ -z "$src" ]; then
		from_apt "$dir"
	elif [ -d "$src" ]; then
		cp -a "$src/." "$dir/"
	elif [ -f "$src" ]; then
		tar -xf "$src" -C "$dir" --strip-components=1
	else
		skip "PERFTEST_SRC=$src is neither a tarball nor a directory"
	fi
}

# apply DIR: the series, in order.  A tree they do not fit is not
# perftest 4.5-0.17: say so rather than build something else.
apply() {
	local dir=$1 p

	for p in "$here"/[0-9][0-9][0-9][0-9]-*.patch; do
		patch -p1 -s -N -d "$dir" <"$p" >"$B/patch.log" 2>&1 ||
			skip "$(basename "$p") does not apply (not perftest 4.5-0.17?)"
	done
}

# configure_make DIR: autotools build against libodpext.a (static, so the
# binaries need no library path).
configure_make() {
	local dir=$1 odp=$B/odpext

	[ -f "$EXT/build/libodpext.a" ] ||
		fail "no $EXT/build/libodpext.a (make libext first)"
	rm -rf "$odp" && mkdir -p "$odp"
	cp "$EXT/odp_ext.h" "$EXT/build/libodpext.a" "$odp/"
	(cd "$dir" && ./autogen.sh &&
		./configure --with-odpext CPPFLAGS="-I$odp" LDFLAGS="-L$odp" &&
		make -j"$(nproc)") >"$B/build.log" 2>&1 || {
		tail -n 20 "$B/build.log" >&2
		fail "build failed (perftest-patches/build/build.log)"
	}
}

main() {
	local src=$B/perftest p

	if up_to_date; then
		echo "perftest-patches: up to date (build/bin)"
		return 0
	fi
	# a relative PERFTEST_SRC is relative to where make was started
	case ${PERFTEST_SRC:-} in
	"" | /*) ;;
	*) PERFTEST_SRC=$PWD/$PERFTEST_SRC ;;
	esac
	mkdir -p "$B"
	rm -rf "$B/stamp" "$B/unavailable" "$B/bin"
	unpack "$src"
	apply "$src"
	configure_make "$src"
	rm -rf "$B/bin" && mkdir -p "$B/bin"
	for p in $PROGS; do
		cp "$src/$p" "$B/bin/"
	done
	touch "$B/stamp"
	echo "perftest-patches: built $("$B/bin/ib_write_bw" --version 2>&1 | head -n 1) with $(ls "$here"/*.patch | wc -l) patches in build/bin"
}

main "$@"
