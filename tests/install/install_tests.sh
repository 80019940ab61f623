#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What `make install` puts on a system, checked on the host (no VM): one
# `make install DESTDIR=$tmp PREFIX=/usr`, then
#	- the exact file list, with the libodpext symlink chain;
#	- libodpext.so.1 exports exactly odp_ext.h's calls, each as
#	  ODPEXT_1.0, and libodpext-preload.so only ibv_open_device;
#	- pkg-config (pointed into $tmp) builds and links a program against
#	  the installed copy, which is the one it runs with;
#	- every man page renders without a groff/man warning, every export has
#	  its page, and no page names a call, counter or module parameter
#	  that the code does not have (or leaves out one the driver has).
# Run by tests/check before the VM part; TAP, last line "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh

MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null) || MA=x86_64-linux-gnu
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ROOT=$TMP/root
LIB=$ROOT/usr/lib/$MA
MAN3=$ROOT/usr/share/man/man3

do_install() {
	make -s install DESTDIR="$ROOT" PREFIX=/usr
}

# The calls odp_ext.h declares, as installed: "name(" at the start of a
# declaration or after its return type.
header_calls() {
	grep -oE '^[a-z_ ]+[ *]odp_ext_[a-z_]+\(' "$ROOT/usr/include/odp_ext.h" |
		grep -oE 'odp_ext_[a-z_]+' | sort -u
}

# NAME@@VERSION (or NAME) of every symbol a library defines and exports.
defined_syms() {
	readelf --dyn-syms -W "$1" |
		awk '$1 ~ /^[0-9]+:$/ && $7 != "UND" && $8 != "" { print $8 }' | sort
}

file_list() {
	local want got
	want=$(sort <<-EOF
	usr/include/odp_ext.h
	usr/lib/$MA/libodpext-preload.so
	usr/lib/$MA/libodpext.a
	usr/lib/$MA/libodpext.so
	usr/lib/$MA/libodpext.so.1
	usr/lib/$MA/libodpext.so.1.0.0
	usr/lib/$MA/pkgconfig/libodpext.pc
	usr/share/man/man3/odp_ext.3
	usr/share/man/man3/odp_ext_advise.3
	usr/share/man/man3/odp_ext_install.3
	usr/share/man/man3/odp_ext_is_odph.3
	usr/share/man/man3/odp_ext_mr_stats.3
	usr/share/man/man3/odp_ext_reg_implicit.3
	usr/share/man/man3/odp_ext_reg_window.3
	usr/share/man/man3/odp_ext_window.3
	usr/share/man/man7/odph.7
	EOF
	)
	got=$(cd "$ROOT" && find . ! -type d | sed 's|^\./||' | sort)
	diff <(echo "$want") <(echo "$got") || return 1
	[ "$(readlink "$LIB/libodpext.so")" = libodpext.so.1 ] &&
		[ "$(readlink "$LIB/libodpext.so.1")" = libodpext.so.1.0.0 ] &&
		[ -f "$LIB/libodpext.so.1.0.0" ] && [ ! -L "$LIB/libodpext.so.1.0.0" ]
}

soname() {
	readelf -d "$LIB/libodpext.so.1.0.0" | tee /dev/stderr |
		grep -q 'Library soname: \[libodpext.so.1\]'
}

# Exactly odp_ext.h's calls, each NAME@@ODPEXT_1.0, plus the version's own
# ODPEXT_1.0 symbol; no other version is defined.
exports() {
	local calls got want
	calls=$(header_calls)
	[ "$(echo "$calls" | wc -l)" -ge 7 ] ||
		{ echo "odp_ext.h: found only: $calls"; return 1; }
	want=$( (echo ODPEXT_1.0; sed 's/$/@@ODPEXT_1.0/' <<<"$calls") | sort)
	got=$(defined_syms "$LIB/libodpext.so.1.0.0")
	diff <(echo "$want") <(echo "$got") || return 1
	objdump -T "$LIB/libodpext.so.1.0.0" | grep ' odp_ext_' |
		grep -v ' ODPEXT_1.0 ' && return 1
	readelf -V "$LIB/libodpext.so.1.0.0" |
		sed -n '/Version definition/,/^$/p' | tee /dev/stderr |
		grep -oE 'Name: [^ ]+' | sort | diff - <(printf 'Name: ODPEXT_1.0\nName: libodpext.so.1\n')
}

# Unversioned, or it would not interpose on ibv_open_device@IBVERBS_1.1.
preload_exports() {
	[ "$(defined_syms "$LIB/libodpext-preload.so")" = ibv_open_device ]
}

# A program built only from what pkg-config says about the installed copy.
pkgconfig_link() {
	local flags where
	export PKG_CONFIG_PATH=$LIB/pkgconfig PKG_CONFIG_SYSROOT_DIR=$ROOT
	export PKG_CONFIG_LIBDIR=$LIB/pkgconfig:/usr/lib/$MA/pkgconfig:/usr/share/pkgconfig
	pkg-config --exists libodpext || return 1
	flags=$(pkg-config --cflags --libs libodpext) || return 1
	echo "pkg-config: $flags"
	# libibverbs.pc adds the same -L: check libodpext.pc's own word too.
	[[ " $flags " == *" -I$ROOT/usr/include "* ]] &&
		[[ " $flags " == *" -L$LIB "* ]] &&
		[ "$(pkg-config --variable=libdir libodpext)" = "$LIB" ] &&
		[ "$(pkg-config --variable=includedir libodpext)" = "$ROOT/usr/include" ] &&
		pkg-config --print-requires libodpext | grep -qx libibverbs ||
		return 1
	cat >"$TMP/prog.c" <<-'EOF'
	#define _GNU_SOURCE
	#include <dlfcn.h>
	#include <stdio.h>
	#include <odp_ext.h>

	int main(void)
	{
		struct odp_ext_stats st = {};
		struct ibv_device **list;
		Dl_info info;
		int n;

		list = ibv_get_device_list(&n);
		if (list)
			ibv_free_device_list(list);
		printf("window %zu, faults %llu\n", odp_ext_window(),
		       (unsigned long long)st.faults);
		if (!dladdr((void *)odp_ext_window, &info) || !info.dli_fname)
			return 1;
		printf("%s\n", info.dli_fname);
		return 0;
	}
	EOF
	# shellcheck disable=SC2086 # flags are words
	cc -Wall -Werror -o "$TMP/prog" "$TMP/prog.c" $flags || return 1
	readelf -V "$TMP/prog" | tee /dev/stderr |
		grep -A3 'File: libodpext.so.1' | grep -q 'Name: ODPEXT_1.0' || return 1
	where=$(LD_LIBRARY_PATH=$LIB "$TMP/prog" | tail -n1) || return 1
	echo "odp_ext_window from $where"
	[ "$(realpath "$where")" = "$(realpath "$LIB/libodpext.so.1.0.0")" ]
}

# `man --warnings -l` prints groff's and man's warnings on stderr.
man_render() {
	local page err rc=0
	for page in "$MAN3"/*.3 "$ROOT"/usr/share/man/man7/*.7; do
		err=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
		if [ -n "$err" ] || ! MANWIDTH=80 man -l "$page" 2>/dev/null |
			grep -q '^NAME'; then
			echo "$page: ${err:-no NAME section}"
			rc=1
		fi
	done
	return $rc
}

# Every export has its page, whose NAME line names it, and odp_ext(3)
# lists it.
man_per_call() {
	local s rc=0
	for s in $(header_calls); do
		if [ ! -f "$MAN3/$s.3" ]; then
			echo "no page for $s"
			rc=1
		elif ! MANWIDTH=80 man -l "$MAN3/$s.3" 2>/dev/null |
			grep -A1 '^NAME' | grep -q "^ *$s "; then
			echo "$s.3: NAME does not name $s"
			rc=1
		fi
		grep -q "^\.BR $s (3)" "$MAN3/odp_ext.3" ||
			{ echo "odp_ext.3 does not list $s"; rc=1; }
	done
	return $rc
}

# No page names an odp_ext_* that is not a call, odp_ext(3) or the stats
# struct (odph.7 once sent users to odp_ext_prefetch()), and every page
# a page refers to is installed.
man_names() {
	local calls n rc=0 ref
	calls=$(header_calls)
	for n in $(cat "$MAN3"/*.3 "$ROOT"/usr/share/man/man7/odph.7 |
		   grep -oE 'odp_ext_[a-z_]+' | sort -u); do
		[ "$n" = odp_ext_stats ] && continue
		grep -qx "$n" <<<"$calls" || { echo "pages name $n(): no such call"; rc=1; }
	done
	for ref in $(cat "$MAN3"/*.3 "$ROOT"/usr/share/man/man7/odph.7 |
		     grep -oE '^\.BR (odp_ext[a-z_]*|odph) \([37]\)' |
		     sed -E 's/^\.BR ([a-z_]+) \(([37])\)/\1.\2/' | sort -u); do
		[ -f "$ROOT/usr/share/man/man${ref##*.}/$ref" ] ||
			{ echo "reference to $ref, not installed"; rc=1; }
	done
	return $rc
}

# odph.7 against the driver: every port counter (odph_verbs.c), per-MR
# counter (odph_odp.c; and drv_odp_faults, rdma resource's spelling)
# and module parameter of rdma_odph is in the page, and it names no
# per-MR counter that the driver does not have.
odph7_vs_driver() {
	local page=$ROOT/usr/share/man/man7/odph.7 src=kernel/ib_odp_hmm/odph
	local text n rc=0 mr
	text=$(MANWIDTH=200 man -l "$page" 2>/dev/null) || return 1
	mr=$(grep -ohE '"odp_[a-z_]+"' "$src"/odph_odp.c | tr -d '"' | sort -u)
	for n in $(grep -ohE '\{ "[a-z_]+" \}' "$src"/odph_verbs.c | tr -d '{}" ') \
		 $mr drv_odp_faults \
		 $(grep -ohE '^module_param\([a-z_]+' "$src"/*.c | cut -d'(' -f2); do
		grep -qw -- "$n" <<<"$text" || { echo "odph.7 lacks $n"; rc=1; }
	done
	for n in $(grep -oE '\bodp_[a-z_]+' <<<"$text" | sort -u); do
		case $n in odp_window|odp_hmm|odp_ext*) continue ;; esac
		grep -qx "$n" <<<"$mr" || { echo "odph.7 names $n: not a driver counter"; rc=1; }
	done
	grep -q 'modprobe rdma_odph' "$page" &&
		{ echo "odph.7 still tells users to modprobe what nothing installs"; rc=1; }
	return $rc
}

# The default PREFIX is /usr/local, also under lib/<multiarch>.
default_prefix() {
	local r=$TMP/local
	make -s -C libibverbs-ext install DESTDIR="$r" || return 1
	[ -f "$r/usr/local/lib/$MA/libodpext.so.1.0.0" ] &&
		[ -f "$r/usr/local/include/odp_ext.h" ] &&
		grep -qx "libdir=/usr/local/lib/$MA" "$r/usr/local/lib/$MA/pkgconfig/libodpext.pc"
}

if ! tap_case "make install DESTDIR=\$tmp PREFIX=/usr" do_install; then
	tap_done
	exit 1
fi
tap_case "installed files: library chain, header, .pc, preload, man pages" file_list
tap_case "libodpext.so.1.0.0 has soname libodpext.so.1" soname
tap_case "exports: odp_ext.h's calls, each @@ODPEXT_1.0, nothing else" exports
tap_case "libodpext-preload.so exports only ibv_open_device, unversioned" \
	preload_exports
tap_case "pkg-config --cflags --libs libodpext builds, links and runs the installed copy" \
	pkgconfig_link
tap_case "every man page renders with no warning (man --warnings -l)" man_render
tap_case "every exported call has its man page, listed in odp_ext(3)" man_per_call
tap_case "man pages name only real calls and installed pages" man_names
tap_case "odph.7 names the driver's counters (drv_ too) and parameters, no others" \
	odph7_vs_driver
tap_case "default PREFIX: /usr/local/lib/<multiarch>, .pc to match" default_prefix
tap_done
