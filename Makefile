# HMM lock-drop series: build, boot and test Linux 6.12 under QEMU.
# "make help" lists the targets.  Scripts in scripts/ each do one job.

BUILD   ?= build
TARBALL ?= /usr/src/linux-source-6.12.tar.xz
# KSRC=/path/to/linux builds and tests your own tree instead of Debian's
# source with patches/ applied (objects still go to $(OBJ), out of tree).
KSRC    ?=
SRC     := $(if $(KSRC),$(abspath $(KSRC)),$(abspath $(BUILD))/linux)
OBJ     ?= $(abspath $(BUILD))/obj
LOGS    ?= $(abspath $(BUILD))/logs
FRAGS   ?= config/bench.config
# TESTS=regex selects tests by "program:test" name, e.g. TESTS=anon_read
TESTS   ?=
# DEBUG=1 builds and runs the debug kernel instead (KASAN, kmemleak, lockdep,
# hung-task and lockup detectors: config/debug.config) in its own $(DEBUG_OBJ)
DEBUG   ?=
DEBUG_OBJ   := $(abspath $(BUILD))/obj-debug
DEBUG_FRAGS := $(FRAGS) config/debug.config
ifneq ($(DEBUG),)
override OBJ := $(DEBUG_OBJ)
override FRAGS := $(DEBUG_FRAGS)
endif
export SRC OBJ LOGS TESTS KSRC DEBUG_OBJ FRAGS

.PHONY: all check help deps tree config kernel progs run bench gates drivers bisect shell export reset-tree clean

all: progs ## main job: build the kernel with patches/, boot it, run the post-copy demo
	@PLAN=demo/plan SHOW=all scripts/run.sh $(OBJ) $(LOGS)/demo

check: deps ## the tests, on the bench and the debug kernel; ends "N passed, N failed"
	scripts/check.sh

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14
	@echo "variables: KSRC=path TESTS=regex DEBUG=1 ACCEL=auto|tcg|kvm TIMEOUT=s BUILD=dir"

deps: ## install missing Debian packages (apt-get)
	@scripts/deps.sh

tree: deps ## unpack the base and apply patches/ in $(BUILD)/linux (not with KSRC)
ifeq ($(KSRC),)
	@scripts/tree.sh $(TARBALL) $(BUILD)/linux patches
else
	@test -f $(SRC)/Makefile || { echo "KSRC=$(KSRC) is not a kernel tree"; exit 1; }
endif

config: tree ## make $(OBJ)/.config from tinyconfig + $(FRAGS)
	@scripts/config.sh $(SRC) $(OBJ) $(FRAGS)

kernel: config ## build bzImage, modules and UAPI headers (ccache)
	@scripts/build.sh $(SRC) $(OBJ)

progs: kernel ## build the guest's static test programs
	@scripts/progs.sh $(SRC) $(OBJ) $(OBJ)/progs

run: progs ## boot the guest and run the tests (TESTS=regex to select)
	scripts/run.sh $(OBJ) $(LOGS)/run$(if $(DEBUG),-debug)

bench: progs ## benchmark under qemu -icount: table and plot in $(LOGS)/bench (slow)
	scripts/bench.sh $(BUILD)/linux $(OBJ) $(LOGS)/bench $(FRAGS)

gates: kernel ## sparse, W=1 and the whole config matrix (config/matrix/) against the base
	scripts/compile-checks.sh $(SRC) $(LOGS)/gates $(FRAGS)

drivers: tree ## build the converted driver's modules whole: RDMA core and mlx5 (slow)
	scripts/drivers.sh $(BUILD)/linux $(BUILD)/drivers $(FRAGS)

bisect: tree ## build and test every prefix of the series (worktree $(BUILD)/bisect)
	scripts/bisect.sh $(BUILD)/linux $(LOGS)/bisect $(FRAGS)

shell: progs ## boot the guest with test_hmm loaded and a shell on this terminal
	scripts/shell.sh $(OBJ) $(LOGS)/shell

export: ## write the tree's commits since "base" to patches/ (git format-patch)
	@scripts/export.sh $(BUILD)/linux patches

reset-tree: ## throw away the tree's commits and re-apply patches/
	@rm -f $(BUILD)/linux/.git/bench-applied
	@scripts/tree.sh $(TARBALL) $(BUILD)/linux patches

clean: ## remove $(BUILD) (the kernel tree too: export first!)
	rm -rf $(BUILD)
