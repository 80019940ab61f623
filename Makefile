# ib_odp_hmm top-level build.
#   make          install missing Debian packages, build modules and tests
#   make demo     ... then run the mirror demo in a VM
#   make check    ... then run the whole test suite (VM harness self-test,
#                 then every test program inside the VM)
#   make bench    ... then run the benchmarks in the VM (bench/results/)
# KVER= / KDIR= pick the kernel the modules are built for (default: the
# newest installed Debian headers, which is also the kernel the VM boots).

KVER ?=
KDIR ?=
KMAKE = $(MAKE) -C kernel/ib_odp_hmm WERROR=1 $(if $(KVER),KVER=$(KVER)) $(if $(KDIR),KDIR=$(KDIR))
VM = tests/vm/run $(if $(KVER),--kernel $(KVER))

all: modules tests demo-bin bench-bin

setup:
	scripts/setup

modules: setup
	$(KMAKE)

tests: setup
	$(MAKE) -C tests

bench-bin: setup
	$(MAKE) -C bench

demo-bin: setup
	$(MAKE) -C demo

demo: all
	$(VM) -- demo/build/mirror_demo

check: all
	tests/check $(if $(KVER),--kernel $(KVER))

bench: all
	$(VM) -- bench/run

clean:
	$(KMAKE) clean
	$(MAKE) -C tests clean
	$(MAKE) -C demo clean
	$(MAKE) -C bench clean

.PHONY: all setup modules tests demo-bin bench-bin demo check bench clean
