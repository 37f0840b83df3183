# HMM lock-drop series: build, boot and test Linux under QEMU, on one of the
# bases in bases/ (each with its series, bases/<version>/patches/).
# "make help" lists the targets.  Scripts in scripts/ each do one job.

BUILD   ?= build
# BASE=7.3 works on mainline 7.3 and its follow-up series; 6.12 is the default
BASE    ?= 6.12
BASEDIR := bases/$(BASE)
ifeq ($(wildcard $(BASEDIR)/base.conf),)
$(error BASE=$(BASE): no $(BASEDIR)/base.conf; the bases are: $(notdir $(wildcard bases/*)))
endif
PATCHES := $(BASEDIR)/patches
B       := $(abspath $(BUILD))/$(BASE)
# KSRC=/path/to/linux builds and tests your own tree instead of Debian's
# source with the base's patches applied (objects still go to $(OBJ), out of
# tree); set BASE to the base your tree is closest to.
KSRC    ?=
SRC     := $(if $(KSRC),$(abspath $(KSRC)),$(B)/linux)
OBJ     ?= $(B)/obj
LOGS    ?= $(B)/logs
# the bench's config, then the base's own lines (bases/<version>/*.config)
FRAGS   ?= config/bench.config $(wildcard $(BASEDIR)/*.config)
# TESTS=regex selects tests by "program:test" name, e.g. TESTS=anon_read
TESTS   ?=
# DEBUG=1 builds and runs the debug kernel instead (KASAN, kmemleak, lockdep,
# hung-task and lockup detectors: config/debug.config) in its own $(DEBUG_OBJ)
DEBUG   ?=
DEBUG_OBJ   := $(B)/obj-debug
DEBUG_FRAGS := $(FRAGS) config/debug.config
ifneq ($(DEBUG),)
override OBJ := $(DEBUG_OBJ)
override FRAGS := $(DEBUG_FRAGS)
endif
export SRC OBJ LOGS TESTS KSRC DEBUG_OBJ FRAGS BASE BUILD

.PHONY: vars all check help deps tree config kernel progs run rxe bench gates drivers bisect shell export reset-tree clean

all: progs ## main job: build the kernel with the base's series, boot it, run the post-copy demo
	@PLAN=demo/plan SHOW=all scripts/run.sh $(OBJ) $(LOGS)/demo

check: deps ## the tests of every base (6.12: bench and debug kernel; 7.3); ends "N passed, N failed"
	scripts/check.sh

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14
	@echo "variables: BASE=$(notdir $(wildcard bases/*)) KSRC=path TESTS=regex DEBUG=1 ACCEL=auto|tcg|kvm TIMEOUT=s BUILD=dir"

deps: ## install missing Debian packages (apt-get)
	@scripts/deps.sh

tree: deps ## fetch and unpack the base, apply its series in $(BUILD)/$(BASE)/linux (not with KSRC)
ifeq ($(KSRC),)
	@t=$$(scripts/fetch-base.sh $(BASEDIR) $(B)/dl) && scripts/tree.sh "$$t" $(B)/linux $(PATCHES)
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

rxe: progs ## BASE=7.3: rxe (soft-RoCE) ODP over userfaultfd memory, and perftest (TESTS=regex)
	scripts/rxe.sh $(OBJ) $(OBJ)/progs $(LOGS)/rxe

bench: progs ## benchmark under qemu -icount: table and plot in $(LOGS)/bench (slow)
	scripts/bench.sh $(B)/linux $(OBJ) $(LOGS)/bench $(FRAGS)

gates: kernel ## sparse, W=1 and the whole config matrix (config/matrix/) against the base
	scripts/compile-checks.sh $(SRC) $(LOGS)/gates $(FRAGS)

drivers: tree ## build the converted driver's modules whole: RDMA core and mlx5 (slow)
	scripts/drivers.sh $(B)/linux $(B)/drivers $(FRAGS)

bisect: tree ## build and test every prefix of the series (worktree $(B)/bisect)
	scripts/bisect.sh $(B)/linux $(LOGS)/bisect $(FRAGS)

shell: progs ## boot the guest with test_hmm loaded and a shell on this terminal
	scripts/shell.sh $(OBJ) $(LOGS)/shell

export: ## write the tree's commits since "base" to $(PATCHES) (git format-patch)
	@scripts/export.sh $(B)/linux $(PATCHES)

reset-tree: ## throw away the tree's commits and re-apply $(PATCHES)
	@rm -f $(B)/linux/.git/bench-applied
	@t=$$(scripts/fetch-base.sh $(BASEDIR) $(B)/dl) && scripts/tree.sh "$$t" $(B)/linux $(PATCHES)

vars: ## print the paths of BASE as shell assignments (for scripts)
	@echo "SRC='$(SRC)' OBJ='$(OBJ)' LOGS='$(LOGS)' DEBUG_OBJ='$(DEBUG_OBJ)' PATCHES='$(abspath $(PATCHES))' FRAGS='$(FRAGS)'"

clean: ## remove $(BUILD) (the kernel tree too: export first!)
	rm -rf $(BUILD)
