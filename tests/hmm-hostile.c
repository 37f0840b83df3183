// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile input for every test_hmm ioctl, old and new: each bad argument
 * gets its precise errno, and the module still works afterwards.
 *
 * hostile.errnos: a table of (ioctl, kind of bad input, expected result).
 * hostile.fuzz: a seeded random mix of valid and invalid calls from two
 * threads on one file descriptor (HMM_FUZZ_SEED=n, HMM_FUZZ_CALLS=n); every
 * failure must be one of the errnos the ioctls document.
 *
 * hostile.flags: HMM_DMIRROR_FLAGS takes its known flags and nothing else.
 * hostile.worker_pileup: work items of killed callers that wait on a
 * userfaultfd handler that never answers; then the module is reloaded.
 *
 * HMM_DMIRROR_RELEASE is left out: it removes the device's memory on
 * purpose, which the other tests need.
 *
 * The ioctls and flags are those of the tree's test_hmm (lib/test_hmm_uapi.h):
 * the 6.12 series has them all; 7.3's has no unlockable ioctls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include "kselftest_harness.h"
#include "lib/test_hmm_uapi.h"
#include "rnd.h"

#define PS		4096UL
#define NPAGES		16UL			/* the good region */
#define MIRROR_PAGES	64UL			/* the output buffer */
#define KERNEL_PTR	0xffff888000000000UL
#define VGA_HOLE	0xa0000UL		/* /dev/mem: VM_IO | VM_PFNMAP */

/*
 * The memory every call points into, one set per process: regions carved
 * from one reservation with a PROT_NONE guard page around each, so that a
 * call that runs past the end of a region stops at a guard, and can never
 * reach the fuzzer's own stacks or heap.
 */
struct arena {
	int fd;
	char *base;		/* the reservation */
	char *good;		/* NPAGES, read-write, filled */
	char *ro;		/* NPAGES, PROT_READ, filled */
	char *none;		/* NPAGES, PROT_NONE */
	char *hole;		/* NPAGES, unmapped */
	char *pfnmap;		/* 1 page of /dev/mem */
	char *mirror;		/* MIRROR_PAGES read-write */
	char *ro_ptr;		/* 1 page, PROT_READ */
};

#define ARENA_PAGES	(1 + 4 * (NPAGES + 1) + 2 + (MIRROR_PAGES + 1) + 2)

static uint64_t pattern(unsigned long i)
{
	return 0x5a5a000000000000ULL ^ i;
}

static char *carve(char **at, unsigned long pages, int prot)
{
	char *p = *at;

	*at += (pages + 1) * PS;		/* and a guard page */
	if (prot == PROT_NONE)
		return p;
	return mmap(p, pages * PS, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static const char *arena_init(struct arena *a)
{
	unsigned long i;
	uint64_t *w;
	char *at;
	int mem;

	memset(a, 0, sizeof(*a));
	a->fd = open("/dev/hmm_dmirror0", O_RDWR);
	if (a->fd < 0)
		return "open /dev/hmm_dmirror0";
	a->base = mmap(NULL, ARENA_PAGES * PS, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (a->base == MAP_FAILED)
		return "mmap";
	at = a->base + PS;
	a->good = carve(&at, NPAGES, PROT_READ | PROT_WRITE);
	a->ro = carve(&at, NPAGES, PROT_READ | PROT_WRITE);
	a->none = carve(&at, NPAGES, PROT_NONE);
	a->hole = carve(&at, NPAGES, PROT_NONE);
	a->pfnmap = carve(&at, 1, PROT_NONE);
	a->mirror = carve(&at, MIRROR_PAGES, PROT_READ | PROT_WRITE);
	a->ro_ptr = carve(&at, 1, PROT_READ);
	if (a->good == MAP_FAILED || a->ro == MAP_FAILED || a->mirror == MAP_FAILED ||
	    a->ro_ptr == MAP_FAILED || munmap(a->hole, NPAGES * PS))
		return "mmap the regions";
	for (w = (uint64_t *)a->good, i = 0; i < NPAGES * PS / 8; i++)
		w[i] = pattern(i);
	memcpy(a->ro, a->good, NPAGES * PS);
	if (mprotect(a->ro, NPAGES * PS, PROT_READ))
		return "mprotect ro";
	mem = open("/dev/mem", O_RDWR | O_SYNC);
	if (mem < 0 || mmap(a->pfnmap, PS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			    mem, VGA_HOLE) != a->pfnmap)
		return "mmap /dev/mem at the VGA hole (CONFIG_DEVMEM?)";
	close(mem);
	return NULL;
}

static void arena_fini(struct arena *a)
{
	if (a->fd > 0)
		close(a->fd);
	if (a->base && a->base != MAP_FAILED)
		munmap(a->base, ARENA_PAGES * PS);
}

/* One ioctl; returns 0 or -errno. */
static int call(int fd, unsigned long cmd, uint64_t addr, uint64_t ptr,
		uint64_t npages)
{
	struct hmm_dmirror_cmd c = { .addr = addr, .ptr = ptr, .npages = npages };

	return ioctl(fd, cmd, &c) ? -errno : 0;
}

/*
 * The module still works: after the CPU refills the good region (a device
 * write may have changed it), a device read of it is exact.
 */
static int arena_sane(struct arena *a)
{
	struct hmm_dmirror_cmd c = {
		.addr = (uintptr_t)a->good, .ptr = (uintptr_t)a->mirror, .npages = NPAGES,
	};
	uint64_t *w = (uint64_t *)a->good;
	unsigned long i;

	for (i = 0; i < NPAGES * PS / 8; i++)
		w[i] = pattern(i);
	w = (uint64_t *)a->mirror;
	memset(a->mirror, 0, NPAGES * PS);
	if (ioctl(a->fd, HMM_DMIRROR_READ_UNLOCKED, &c) || c.cpages != NPAGES)
		return 0;
	for (i = 0; i < NPAGES * PS / 8; i++)
		if (w[i] != pattern(i))
			return 0;
	return 1;
}

/* The ioctls; RANGE_FAULT once per way of faulting (its ptr is the mode). */
enum op_kind { K_READ, K_WRITE, K_RANGE, K_TO_DEV, K_TO_SYS, K_SNAP, K_EXCL, K_CHECK };

static const struct op {
	const char *name;
	unsigned long cmd;
	enum op_kind kind;
	uint64_t mode;
} ops[] = {
	{ "read", HMM_DMIRROR_READ, K_READ },
	{ "write", HMM_DMIRROR_WRITE, K_WRITE },
	{ "read_unlocked", HMM_DMIRROR_READ_UNLOCKED, K_READ },
	{ "write_unlocked", HMM_DMIRROR_WRITE_UNLOCKED, K_WRITE },
	{ "range_locked", HMM_DMIRROR_RANGE_FAULT, K_RANGE, HMM_DMIRROR_FAULT_LOCKED },
	{ "range_unlocked", HMM_DMIRROR_RANGE_FAULT, K_RANGE, HMM_DMIRROR_FAULT_UNLOCKED },
#ifdef HMM_DMIRROR_READ_UNLOCKABLE
	{ "read_unlockable", HMM_DMIRROR_READ_UNLOCKABLE, K_READ },
	{ "write_unlockable", HMM_DMIRROR_WRITE_UNLOCKABLE, K_WRITE },
	{ "range_unlockable", HMM_DMIRROR_RANGE_FAULT, K_RANGE, HMM_DMIRROR_FAULT_UNLOCKABLE },
#endif
#ifdef HMM_DMIRROR_READ_WORKER
	{ "read_worker", HMM_DMIRROR_READ_WORKER, K_READ },
	{ "write_worker", HMM_DMIRROR_WRITE_WORKER, K_WRITE },
#endif
	{ "migrate_to_dev", HMM_DMIRROR_MIGRATE_TO_DEV, K_TO_DEV },
	{ "migrate_to_sys", HMM_DMIRROR_MIGRATE_TO_SYS, K_TO_SYS },
	{ "snapshot", HMM_DMIRROR_SNAPSHOT, K_SNAP },
	{ "exclusive", HMM_DMIRROR_EXCLUSIVE, K_EXCL },
	{ "check_exclusive", HMM_DMIRROR_CHECK_EXCLUSIVE, K_CHECK },
};

/*
 * The kinds of bad input, and what each ioctl must answer. For the kinds that
 * are about the range, ptr is the good output buffer (the mode for
 * RANGE_FAULT); for those about ptr, the range is the good region.
 */
enum bad {
	B_UNALIGNED, B_ZERO, B_WRAP, B_SHIFT_WRAP, B_HUGE, B_HOLE, B_PROT_NONE,
	B_READ_ONLY, B_PFNMAP, B_BAD_PTR, B_KERNEL_PTR, B_RO_PTR, B_NBAD
};

static const char *const bad_names[B_NBAD] = {
	"unaligned addr", "npages 0", "addr + size wraps", "npages << PAGE_SHIFT wraps",
	"npages 2^30 (4 TiB)", "unmapped range", "PROT_NONE range", "read-only range",
	"VM_PFNMAP range", "ptr unmapped", "ptr in the kernel", "ptr read-only",
};

/*
 * Expected result per kind of op: 0 or -errno.  The rules, from test_hmm.c
 * and mm/hmm.c: a malformed range is EINVAL; a range the bounce buffer
 * cannot hold is ENOMEM; hmm_range_fault() gives EFAULT where no VMA or no
 * access is, EPERM for a write to a read-only VMA; migration gives EINVAL
 * where it finds no readable, migratable VMA; device-exclusive access gives
 * EBUSY where a page cannot be made exclusive; copying to or from a bad ptr
 * is EFAULT.  RANGE_FAULT's ptr is a mode, so a pointer there is EINVAL.
 *
 * Device-exclusive access where no page can be made exclusive: since 6.14
 * test_hmm passes on make_device_exclusive()'s EFAULT; 6.12's gives EBUSY.
 * A test_hmm with HMM_DMIRROR_FLAG_FAIL_ALLOC (7.3 here) is that new.
 */
#ifdef HMM_DMIRROR_FLAG_FAIL_ALLOC
#define XN	-EFAULT
#else
#define XN	-EBUSY
#endif

static const int expect[][B_NBAD] = {
	/*	   unalig  zero    wrap    shift   huge     hole     none     ro      pfnmap   badptr   kptr     roptr */
	[K_READ]  = { -EINVAL, -EINVAL, -EINVAL, -EINVAL, -ENOMEM, -EFAULT, -EFAULT, 0,      -EFAULT, -EFAULT, -EFAULT, -EFAULT },
	[K_WRITE] = { -EINVAL, -EINVAL, -EINVAL, -EINVAL, -ENOMEM, -EFAULT, -EFAULT, -EPERM, -EFAULT, -EFAULT, -EFAULT, 0 },
	[K_RANGE] = { -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EFAULT, -EFAULT, 0,      -EFAULT, -EINVAL, -EINVAL, -EINVAL },
	[K_TO_DEV] = { -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, 0,     -EINVAL, -EFAULT, -EFAULT, -EFAULT },
	[K_TO_SYS] = { -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, 0,     -EINVAL, 0,       0,       0 },
	[K_SNAP]  = { -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EFAULT, 0,       0,       0,      0,       -EFAULT, -EFAULT, -EFAULT },
	[K_EXCL]  = { -EINVAL, -EINVAL, -EINVAL, -EINVAL, XN,      XN,      XN,      XN,     XN,      -EFAULT, -EFAULT, -EFAULT },
	[K_CHECK] = { -EINVAL, -EINVAL, -EINVAL, -EINVAL, 0,       0,       0,       0,      0,       0,       0,       0 },
};

static int run_bad(struct arena *a, const struct op *op, enum bad b)
{
	uint64_t addr = (uintptr_t)a->good, npages = NPAGES;
	uint64_t ptr = op->kind == K_RANGE ? op->mode : (uintptr_t)a->mirror;

	switch (b) {
	case B_UNALIGNED:	addr += 8; break;
	case B_ZERO:		npages = 0; break;
	case B_WRAP:		npages = (UINT64_MAX - addr) / PS + 1; break;
	case B_SHIFT_WRAP:	npages = (1ULL << 52) + 1; break;
	case B_HUGE:		npages = 1ULL << 30; break;
	case B_HOLE:		addr = (uintptr_t)a->hole; break;
	case B_PROT_NONE:	addr = (uintptr_t)a->none; break;
	case B_READ_ONLY:	addr = (uintptr_t)a->ro; break;
	case B_PFNMAP:		addr = (uintptr_t)a->pfnmap; npages = 1; break;
	case B_BAD_PTR:		ptr = op->kind == K_RANGE ? 17 : PS; break;
	case B_KERNEL_PTR:	ptr = KERNEL_PTR; break;
	case B_RO_PTR:		ptr = (uintptr_t)a->ro_ptr; npages = op->kind == K_SNAP ? NPAGES : 1; break;
	default:		break;
	}
	return call(a->fd, op->cmd, addr, ptr, npages);
}

FIXTURE(hostile)
{
	struct arena a;
};

FIXTURE_SETUP(hostile)
{
	const char *err = arena_init(&self->a);

	ASSERT_EQ(NULL, err) TH_LOG("setup: %s: %s", err, strerror(errno));
	ASSERT_TRUE(arena_sane(&self->a));
}

FIXTURE_TEARDOWN(hostile)
{
	arena_fini(&self->a);
}

TEST_F(hostile, errnos)
{
	unsigned int i, wrong = 0;
	int b, got, want;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		for (b = 0; b < B_NBAD; b++) {
			got = run_bad(&self->a, &ops[i], b);
			want = expect[ops[i].kind][b];
			if (got != want) {
				wrong++;
				TH_LOG("%s, %s: got %s, want %s", ops[i].name, bad_names[b],
				       got ? strerror(-got) : "0", want ? strerror(-want) : "0");
			}
			/* Undo a migration to the device, so each row starts alike. */
			call(self->a.fd, HMM_DMIRROR_MIGRATE_TO_SYS, (uintptr_t)self->a.good,
			     0, NPAGES);
			ASSERT_TRUE(arena_sane(&self->a))
				TH_LOG("module unusable after %s, %s", ops[i].name, bad_names[b]);
		}
	}
	ASSERT_EQ(0, wrong);
	/* Unknown commands, and a known number with the wrong size. */
	ASSERT_EQ(-EINVAL, call(self->a.fd, _IOWR('H', 0x7f, struct hmm_dmirror_cmd), 0, 0, 0));
	ASSERT_EQ(-EINVAL, call(self->a.fd, _IOWR('H', 0x00, uint64_t), 0, 0, 0));
	ASSERT_EQ(-EFAULT, ioctl(self->a.fd, HMM_DMIRROR_READ, (void *)8) ? -errno : 0);
}

/*
 * Found by the fuzzer: a device read of memory that was migrated to the
 * device and whose mirror was then invalidated (by mprotect) mirrored the
 * device private page itself, which has no kernel mapping, and the copy
 * oopsed. Every read ioctl must return the data.
 */
TEST_F(hostile, read_migrated_after_invalidate)
{
	static const unsigned long reads[] = {
		HMM_DMIRROR_READ, HMM_DMIRROR_READ_UNLOCKED,
#ifdef HMM_DMIRROR_READ_UNLOCKABLE
		HMM_DMIRROR_READ_UNLOCKABLE,
#endif
#ifdef HMM_DMIRROR_READ_WORKER
		HMM_DMIRROR_READ_WORKER,
#endif
	};
	struct arena *a = &self->a;
	uint64_t *w = (uint64_t *)a->mirror;
	unsigned long i, j;

	for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		ASSERT_TRUE(arena_sane(a));
		ASSERT_EQ(0, call(a->fd, HMM_DMIRROR_MIGRATE_TO_DEV, (uintptr_t)a->good,
				  (uintptr_t)a->mirror, NPAGES));
		ASSERT_EQ(0, mprotect(a->good, NPAGES * PS, PROT_READ));
		memset(a->mirror, 0, NPAGES * PS);
		ASSERT_EQ(0, call(a->fd, reads[i], (uintptr_t)a->good, (uintptr_t)a->mirror,
				  NPAGES));
		for (j = 0; j < NPAGES * PS / 8; j++)
			ASSERT_EQ(pattern(j), w[j]);
		ASSERT_EQ(0, mprotect(a->good, NPAGES * PS, PROT_READ | PROT_WRITE));
	}
}

/*
 * Found by the stress test: after fork() made migrated pages read-only
 * (copy-on-write), a device write got read-only device private PFNs back
 * from hmm_range_fault() and test_hmm warned. Every write ioctl must
 * succeed, and the CPU then sees what the device wrote.
 */
TEST_F(hostile, write_migrated_after_fork)
{
	static const unsigned long writes[] = {
		HMM_DMIRROR_WRITE, HMM_DMIRROR_WRITE_UNLOCKED,
#ifdef HMM_DMIRROR_WRITE_UNLOCKABLE
		HMM_DMIRROR_WRITE_UNLOCKABLE,
#endif
#ifdef HMM_DMIRROR_WRITE_WORKER
		HMM_DMIRROR_WRITE_WORKER,
#endif
	};
	struct arena *a = &self->a;
	uint64_t *w = (uint64_t *)a->good, *m = (uint64_t *)a->mirror;
	unsigned long i, j;
	int status;
	pid_t pid;

	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		ASSERT_TRUE(arena_sane(a));
		ASSERT_EQ(0, call(a->fd, HMM_DMIRROR_MIGRATE_TO_DEV, (uintptr_t)a->good,
				  (uintptr_t)a->mirror, NPAGES));
		pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0)
			_exit(0);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		for (j = 0; j < NPAGES * PS / 8; j++)
			m[j] = ~pattern(j);
		ASSERT_EQ(0, call(a->fd, writes[i], (uintptr_t)a->good, (uintptr_t)a->mirror,
				  NPAGES));
		for (j = 0; j < NPAGES * PS / 8; j++)
			ASSERT_EQ(~pattern(j), w[j]);
	}
}

/* The flags the tree's test_hmm knows. */
static const uint64_t known_flags = HMM_DMIRROR_FLAG_DECLINE_OWN_FAULT
#ifdef HMM_DMIRROR_FLAG_NOTIFIER_ONLY
	| HMM_DMIRROR_FLAG_NOTIFIER_ONLY
#endif
#ifdef HMM_DMIRROR_FLAG_FAIL_ALLOC
	| HMM_DMIRROR_FLAG_FAIL_ALLOC
#endif
	;

/* HMM_DMIRROR_FLAGS: @npages is the flags; unknown ones are EINVAL. */
TEST_F(hostile, flags)
{
	static const uint64_t bad[] = { 1, 4, 8, 1ULL << 63, ~0ULL };
	unsigned int i, tried = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!(bad[i] & ~known_flags))
			continue;
		tried++;
		ASSERT_EQ(-EINVAL, call(self->a.fd, HMM_DMIRROR_FLAGS, 0, 0, bad[i]));
		ASSERT_EQ(-EINVAL, call(self->a.fd, HMM_DMIRROR_FLAGS, 0, 0,
					bad[i] | HMM_DMIRROR_FLAG_DECLINE_OWN_FAULT));
	}
	ASSERT_GE(tried, 3);
	/* Known flags, with @addr and @ptr that are no range. */
	ASSERT_EQ(0, call(self->a.fd, HMM_DMIRROR_FLAGS, 8, 17, known_flags));
	ASSERT_TRUE(arena_sane(&self->a));
	ASSERT_EQ(0, call(self->a.fd, HMM_DMIRROR_FLAGS, 0, 0, 0));
	ASSERT_TRUE(arena_sane(&self->a));
}

#ifdef HMM_DMIRROR_READ_WORKER
#define PILEUP		64
#define MODULE_DIR	"/sys/module/test_hmm"

static long module_long(const char *name)
{
	char path[128], buf[64];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), MODULE_DIR "/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 0);
	fclose(f);
	return v;
}

static long since_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * 64 processes each have a device read of our userfaultfd memory taken by a
 * kernel worker (HMM_DMIRROR_READ_WORKER on our mirror, inherited), and our
 * handler reads the faults but never answers. Each is killed: it dies at
 * once, and leaves its work item waiting. When we close the userfaultfd,
 * every fault is woken, every work item completes and lets go of the
 * mirror: the module is left with no user, is unloaded (waiting for work in
 * flight) and is loaded again with the parameters it had.
 */
TEST(worker_pileup)
{
	const char *ko = getenv("HMM_MODULE") ? getenv("HMM_MODULE") :
			 "/lib/modules/test_hmm.ko";
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	long dev0, dev1, refs, users;
	struct uffd_msg msg;
	struct timespec t0;
	pid_t pid[PILEUP];
	char cmdline[512];
	int fd, uffd, i, seen = 0, status;
	char *area;

	dev0 = module_long("parameters/spm_addr_dev0");
	dev1 = module_long("parameters/spm_addr_dev1");
	ASSERT_GE(dev0, 0) TH_LOG("test_hmm is not loaded as a module");
	users = module_long("refcnt");
	fd = open("/dev/hmm_dmirror0", O_RDWR);
	ASSERT_GE(fd, 0);
	area = mmap(NULL, PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_GE(uffd, 0);
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	reg.range.start = (unsigned long)area;
	reg.range.len = PS;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));

	for (i = 0; i < PILEUP; i++) {
		pid[i] = fork();
		ASSERT_GE(pid[i], 0);
		if (pid[i] == 0) {
			static char buf[PS];

			close(uffd);
			call(fd, HMM_DMIRROR_READ_WORKER, (uintptr_t)area, (uintptr_t)buf, 1);
			_exit(3);	/* the read must not return */
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (seen < PILEUP && since_ms(&t0) < 60000) {
		struct pollfd p = { .fd = uffd, .events = POLLIN };

		if (poll(&p, 1, 1000) == 1 && read(uffd, &msg, sizeof(msg)) == sizeof(msg))
			seen += msg.event == UFFD_EVENT_PAGEFAULT;
	}
	ASSERT_EQ(PILEUP, seen) TH_LOG("%d of %d faults reached the handler", seen, PILEUP);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < PILEUP; i++)
		ASSERT_EQ(0, kill(pid[i], SIGKILL));
	for (i = 0; i < PILEUP; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status));
	}
	ASSERT_LT(since_ms(&t0), 5000);
	TH_LOG("module users: %ld before, %ld with the work items waiting",
	       users, module_long("refcnt"));

	close(uffd);
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		refs = module_long("refcnt");
		if (refs == users)
			break;
		usleep(10000);
	} while (since_ms(&t0) < 20000);
	ASSERT_EQ(users, refs) TH_LOG("work items still hold the mirror");
	ASSERT_EQ(0, users) TH_LOG("another user has test_hmm open");
	ASSERT_EQ(0, system("rmmod test_hmm"));
	snprintf(cmdline, sizeof(cmdline), "insmod %s spm_addr_dev0=%#lx spm_addr_dev1=%#lx",
		 ko, dev0, dev1);
	ASSERT_EQ(0, system(cmdline)) TH_LOG("%s failed", cmdline);
	fd = open("/dev/hmm_dmirror0", O_RDWR);
	ASSERT_GE(fd, 0) TH_LOG("no /dev/hmm_dmirror0 after reloading");
	close(fd);
	munmap(area, PS);
}
#endif /* HMM_DMIRROR_READ_WORKER */

/*
 * Found by the stress test once it migrated: test_hmm's notifier ignored
 * migrations of its own device in every mirror of the device, not only in
 * the one that migrates, so another mirror kept the pages the migration
 * freed, and its next read copied from them. A read through one mirror,
 * then a migration to the device through another and back by a CPU touch,
 * and every read through the first must still see the data.
 */
TEST_F(hostile, read_after_other_mirror_migrated)
{
	struct arena *a = &self->a;
	uint64_t *w = (uint64_t *)a->mirror;
	unsigned long j;
	int step, fd2;

	fd2 = open("/dev/hmm_dmirror0", O_RDWR);
	ASSERT_GE(fd2, 0);
	for (step = 0; step < 2; step++) {
		ASSERT_TRUE(arena_sane(a));	/* our mirror maps the region */
		if (step == 0) {
			ASSERT_EQ(0, call(fd2, HMM_DMIRROR_MIGRATE_TO_DEV, (uintptr_t)a->good,
					  (uintptr_t)a->mirror, NPAGES));
		} else {
			/* the CPU touches each page: each migrates back */
			for (j = 0; j < NPAGES; j++)
				ASSERT_EQ(pattern(j * PS / 8),
					  *(volatile uint64_t *)(a->good + j * PS));
		}
		memset(a->mirror, 0, NPAGES * PS);
		ASSERT_EQ(0, call(a->fd, HMM_DMIRROR_READ, (uintptr_t)a->good,
				  (uintptr_t)a->mirror, NPAGES));
		for (j = 0; j < NPAGES * PS / 8; j++)
			ASSERT_EQ(pattern(j), w[j]) TH_LOG("step %d, word %lu", step, j);
	}
	close(fd2);
}

/* ---- the fuzzer ---- */

struct fuzz {
	struct arena *a;
	uint64_t seed;
	unsigned long calls, ok;
	unsigned long by_errno[256];
	char bad[200];			/* the first undocumented result */
};

static uint64_t pick_addr(struct arena *a, uint64_t *s)
{
	char *base[] = { a->good, a->ro, a->none, a->hole, a->pfnmap };
	uint64_t r = rnd(s) % 8;

	if (r < 5)
		return (uintptr_t)base[r] + (rnd(s) % NPAGES) * PS;
	if (r == 5)
		return (uintptr_t)a->good + rnd(s) % (NPAGES * PS);	/* unaligned */
	if (r == 6)
		return (rnd(s) % 3 == 0) ? 0 : (rnd(s) % 2 ? KERNEL_PTR : (1ULL << 47) - PS);
	return rnd(s) & ~(PS - 1);
}

static uint64_t pick_npages(uint64_t *s)
{
	static const uint64_t odd[] = { 0, 1ULL << 30, (1ULL << 52) + 1, UINT64_MAX,
					4096, 65 };
	uint64_t r = rnd(s) % 8;

	if (r < 6)
		return 1 + rnd(s) % NPAGES;
	return odd[rnd(s) % (sizeof(odd) / sizeof(odd[0]))];
}

static uint64_t pick_ptr(struct arena *a, uint64_t *s)
{
	switch (rnd(s) % 6) {
	case 0: return rnd(s) % 4;			/* RANGE_FAULT modes, and NULL */
	case 1: return (uintptr_t)a->ro_ptr;
	case 2: return KERNEL_PTR;
	case 3: return rnd(s);
	default: return (uintptr_t)a->mirror;
	}
}

/*
 * Every errno a test_hmm ioctl returns (see the table above), and ENOENT:
 * MIGRATE_TO_DEV and EXCLUSIVE read back what they moved, which the other
 * thread may have invalidated meanwhile.
 */
static int documented(int e)
{
	return e == EINVAL || e == EFAULT || e == ENOMEM || e == EPERM || e == EBUSY ||
	       e == ENOENT;
}

static void *fuzz_thread(void *arg)
{
	struct fuzz *f = arg;
	uint64_t s = f->seed;
	unsigned long i;

	for (i = 0; i < f->calls; i++) {
		unsigned long cmd = ops[rnd(&s) % (sizeof(ops) / sizeof(ops[0]))].cmd;
		uint64_t addr = pick_addr(f->a, &s), npages = pick_npages(&s);
		uint64_t ptr = pick_ptr(f->a, &s);
		int ret;

		if (rnd(&s) % 64 == 0)		/* an unknown command */
			cmd = _IOWR('H', 0x0e + rnd(&s) % 0x40, struct hmm_dmirror_cmd);
		ret = call(f->a->fd, cmd, addr, ptr, npages);
		if (!ret)
			f->ok++;
		else if (-ret < 256)
			f->by_errno[-ret]++;
		if (ret && !documented(-ret) && !f->bad[0])
			snprintf(f->bad, sizeof(f->bad),
				 "call %lu: cmd %#lx addr %#llx ptr %#llx npages %#llx: %s",
				 i, cmd, (unsigned long long)addr, (unsigned long long)ptr,
				 (unsigned long long)npages, strerror(-ret));
	}
	return NULL;
}

TEST_F_TIMEOUT(hostile, fuzz, 600)
{
	const char *env_seed = getenv("HMM_FUZZ_SEED"), *env_calls = getenv("HMM_FUZZ_CALLS");
	uint64_t seed = env_seed ? strtoull(env_seed, NULL, 0) : 0x484d4d2d66757a7aULL;
	unsigned long calls = env_calls ? strtoul(env_calls, NULL, 0) : 10000;
	struct fuzz f[2];
	pthread_t t[2];
	unsigned long ok = 0, e;
	int i;

	TH_LOG("seed %#llx, %lu calls from 2 threads on one fd (HMM_FUZZ_SEED, HMM_FUZZ_CALLS)",
	       (unsigned long long)seed, calls);
	for (i = 0; i < 2; i++) {
		memset(&f[i], 0, sizeof(f[i]));
		f[i].a = &self->a;
		f[i].seed = seed + i * 0x9e3779b97f4a7c15ULL;
		f[i].calls = calls / 2;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, fuzz_thread, &f[i]));
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, f[i].bad[0]) TH_LOG("undocumented result: %s", f[i].bad);
		ok += f[i].ok;
	}
	printf("# fuzz: %lu calls, %lu succeeded", calls, ok);
	for (e = 1; e < 256; e++)
		if (f[0].by_errno[e] + f[1].by_errno[e])
			printf(", %lu %s", f[0].by_errno[e] + f[1].by_errno[e], strerrorname_np(e));
	printf("\n");
	call(self->a.fd, HMM_DMIRROR_MIGRATE_TO_SYS, (uintptr_t)self->a.good, 0, NPAGES);
	ASSERT_TRUE(arena_sane(&self->a)) TH_LOG("module unusable after fuzzing");
}

TEST_HARNESS_MAIN
