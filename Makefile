# ib_odp_hmm top-level build.
#   make          install missing Debian packages, build modules and tests
#   make demo     ... then run the demos in a VM (mirror core, then ODP on odph)
#   make check    ... then run the whole test suite (VM harness self-test,
#                 then every test program inside the VM)
#   make bench    ... then run the benchmarks in the VM (bench/results/)
#   make perftest perftest 4.5-0.17 with perftest-patches/ applied, in
#                 perftest-patches/build/bin (PERFTEST_SRC= a tarball or
#                 tree, else apt-get source; skipped without either)
#   make check-debug  the suite on the feature kernel (KASAN, lockdep,
#                 DEVICE_PRIVATE...; kernel/config/README.md), built once
#                 into ~/.cache/ib_odp_hmm with the modules rebuilt for it
# KVER= / KDIR= pick the kernel the modules are built for (default: the
# newest installed Debian headers, which is also the kernel the VM boots).

KVER ?=
KDIR ?=
KMAKE = $(MAKE) -C kernel/ib_odp_hmm WERROR=1 $(if $(KVER),KVER=$(KVER)) $(if $(KDIR),KDIR=$(KDIR))
VM = tests/vm/run $(if $(KVER),--kernel $(KVER))
# check-debug: VM time limit (boot + suite under KASAN/TCG), in seconds.
DEBUG_TIMEOUT ?= 5400

all: modules tests demo-bin bench-bin libext perftest

setup:
	scripts/setup

modules: setup
	$(KMAKE)

# kernel/ib_odp_hmm/Makefile builds the test modules too (test/, and
# test/wire's odph_wire.ko for tests/nic/wire_tests.sh).
tests: setup
	$(MAKE) -C tests

bench-bin: setup
	$(MAKE) -C bench

# libibverbs-ext/: libodpext (implicit/window ODP MRs, advise, counters)
libext: setup
	$(MAKE) -C libibverbs-ext

# perftest-patches/: the ODP options of perftest (perftest-patches/README)
perftest: libext
	perftest-patches/build.sh

demo-bin: setup
	$(MAKE) -C demo

demo: all
	$(VM) -- sh -c 'demo/build/mirror_demo && demo/odp_demo.sh'

check: all
	tests/check $(if $(KVER),--kernel $(KVER))

bench: all
	$(VM) --timeout 3900 --mem 3072 -- bench/run

# scripts/feature-kernel prints FK_*= assignments: the kernel, its module
# tree, and kernel/ib_odp_hmm rebuilt against it in the cache (the Debian
# build in kernel/ib_odp_hmm is untouched; the guest sees the cache copy as
# kernel/ib_odp_hmm through --project-modules).  --gpu adds the fake GPU's
# ivshmem-plain device, so tests/gpu runs (odph_gpu.ko is built only there).
check-debug: setup tests
	@fk=$$(scripts/feature-kernel --project-modules) && eval "$$fk" && \
	echo "check-debug: kernel $$FK_KVER, modules $$FK_PROJECT_MODULES" && \
	tests/vm/run --kernel "$$FK_BZIMAGE" --modules "$$FK_MODULES" \
		--project-modules "$$FK_PROJECT_MODULES" --gpu \
		--timeout $(DEBUG_TIMEOUT) -- tests/run

# make install [DESTDIR=... PREFIX=...]: libodpext (library under
# lib/<multiarch>, odp_ext.h, libodpext.pc, preload module, man3 pages;
# libibverbs-ext/Makefile) and odph.7.  Not the kernel modules: the VM
# harness loads them from the tree, and the host may not be able to load
# modules (odph.7, "Modules", says how).  The odph provider, once
# providers/odph exists, installs from here too.
# tests/install/install_tests.sh checks what this installs.
PREFIX ?= /usr/local
install:
	$(MAKE) -C libibverbs-ext install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
	install -D -m 644 docs/man/odph.7 $(DESTDIR)$(PREFIX)/share/man/man7/odph.7

clean:
	$(KMAKE) clean
	$(MAKE) -C tests clean
	$(MAKE) -C demo clean
	$(MAKE) -C bench clean
	$(MAKE) -C libibverbs-ext clean
	rm -rf perftest-patches/build

.PHONY: all setup modules tests demo-bin bench-bin libext perftest demo check bench check-debug install clean
