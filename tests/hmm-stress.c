// SPDX-License-Identifier: GPL-2.0
/*
 * Stress of the lock-dropping device-fault paths, one test per memory type.
 *
 * Three device threads read and write random pieces of a userfaultfd-
 * registered region through every lock-dropping ioctl (READ/WRITE_UNLOCKABLE,
 * READ/WRITE_UNLOCKED, READ/WRITE_WORKER, RANGE_FAULT), while a remodeling
 * thread unmaps and re-maps, mremaps away and back, zaps (MADV_DONTNEED or
 * MADV_REMOVE), write-protects with mprotect, forks children that exit at
 * once, and (anonymous memory) moves a slot to the device, through the
 * device threads' own mirror or through a second mirror of the same device,
 * and back, or touches it from the CPU, which migrates the touched page
 * back; the handler answers late, in batches and out of order. test_hmm's
 * notifier skips migrations of its own device, so the migrations are
 * invisible to the mirror's notifier sequence: what a lock-dropping fault
 * stored before a drop must not be trusted after it.
 *
 * Invariants: every device read that succeeds returns, for every page, either
 * exactly what the handler supplies for it or exactly what the device writes
 * to it; every failure is an errno the ioctls document for what happened
 * (EFAULT or EPERM only while the remodeler was changing that slot, EBUSY
 * when invalidations keep winning or, on 7.3, when a device private page to
 * write stayed read-only under a concurrent migration); and the kernel log
 * stays clean, which the bench checks.  Bounded: STRESS_OPS operations per
 * device thread, or fewer if the STRESS_SECONDS cap comes first.  Seeded: HMM_STRESS_SEED=n
 * repeats a run's choices.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "lib/test_hmm_uapi.h"
#include "rnd.h"

#define PS		4096UL
#define NSLOTS		8
#define NDEV		3
#define STRESS_OPS	500
#define STRESS_SECONDS	90
#define SEED_H		0x4848000000000011ULL	/* what the handler supplies */
#define SEED_W		0x5757000000000022ULL	/* what the device writes */

enum mem { M_ANON, M_SHMEM, M_HUGETLB, M_HUGETLBFS };

struct stats {
	unsigned long reads, writes, ranges, ok, ebusy, efault, eperm;
	unsigned long munmaps, mremaps, zaps, mprotects, forks, migrations;
	unsigned long resolved, woken, late, batches, reordered;
};

struct stress {
	enum mem mem;
	int dev, dev2, uffd, memfd;	/* dev2: a second mirror, for migrations */
	char *out;			/* where MIGRATE_TO_DEV copies, one slot */
	char *area, *tmp;		/* tmp: where mremap moves a slot */
	unsigned long unit, slot, size;	/* unit: the handler's page size */
	uint64_t seed;
	volatile int stop_dev, stop_handler;
	unsigned int epoch[NSLOTS];	/* odd while the remodeler works */
	struct stats st;		/* updated with atomics */
	char bad[256];			/* the first broken invariant */
	pthread_mutex_t bad_lock;
	struct timespec t0;
};

#define INC(s, f) __atomic_add_fetch(&(s)->st.f, 1, __ATOMIC_RELAXED)

static void fill(void *p, unsigned long off, unsigned long len, uint64_t seed)
{
	uint64_t *w = p;
	unsigned long i;

	for (i = 0; i < len / 8; i++)
		w[i] = ((off + i * 8) << 8) ^ seed;
}

/* 1 if the page at @p (offset @off in the area) is all @seed's pattern. */
static int is(const void *p, unsigned long off, uint64_t seed)
{
	const uint64_t *w = p;
	unsigned long i;

	for (i = 0; i < PS / 8; i++)
		if (w[i] != (((off + i * 8) << 8) ^ seed))
			return 0;
	return 1;
}

static void broken(struct stress *s, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->bad_lock);
	if (!s->bad[0]) {
		va_start(ap, fmt);
		vsnprintf(s->bad, sizeof(s->bad), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&s->bad_lock);
}

static long elapsed_s(struct stress *s)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec - s->t0.tv_sec;
}

/* ---- the handler: late, batched, out of order ---- */

static void answer(struct stress *s, unsigned long addr, void *src)
{
	struct uffdio_copy copy = {
		.dst = addr, .src = (unsigned long)src, .len = s->unit,
	};
	struct uffdio_range wake = { addr, s->unit };

	fill(src, addr - (unsigned long)s->area, s->unit, SEED_H);
	if (ioctl(s->uffd, UFFDIO_COPY, &copy) == 0) {
		INC(s, resolved);
		return;
	}
	/*
	 * EEXIST: resolved meanwhile; ENOENT, EFAULT, EAGAIN: the slot is
	 * being remodeled. The faulting thread must not wait forever.
	 */
	ioctl(s->uffd, UFFDIO_WAKE, &wake);
	INC(s, woken);
}

static void *handler(void *arg)
{
	struct stress *s = arg;
	struct pollfd pfd = { .fd = s->uffd, .events = POLLIN };
	unsigned long batch[16];
	uint64_t seed = s->seed ^ 0x68616e646c6572ULL;
	struct uffd_msg msg;
	void *src = malloc(s->unit);
	int n, i, j;

	while (src && !s->stop_handler) {
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		if (rnd(&seed) % 4 == 0) {		/* late */
			usleep(rnd(&seed) % 2000);
			INC(s, late);
		}
		for (n = 0; n < 16; n++) {		/* a batch */
			if (read(s->uffd, &msg, sizeof(msg)) != sizeof(msg))
				break;
			if (msg.event == UFFD_EVENT_PAGEFAULT)
				batch[n] = msg.arg.pagefault.address & ~(s->unit - 1);
			else
				n--;
		}
		if (n > 1) {
			INC(s, batches);
			for (i = n - 1; i > 0; i--) {	/* out of order */
				unsigned long t;

				j = rnd(&seed) % (i + 1);
				t = batch[i], batch[i] = batch[j], batch[j] = t;
			}
			INC(s, reordered);
		}
		for (i = 0; i < n; i++)
			answer(s, batch[i], src);
	}
	free(src);
	return NULL;
}

/* ---- the memory ---- */

static int map_slot(struct stress *s, char *at, int prot, int slot)
{
	int flags = MAP_FIXED | (s->memfd >= 0 ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS);
	void *p;

	if (s->mem == M_HUGETLB)
		flags |= MAP_HUGETLB;
	p = mmap(at, s->slot, prot, flags, s->memfd, s->memfd >= 0 ? slot * s->slot : 0);
	return p == at ? 0 : -1;
}

static int register_slot(struct stress *s, char *at)
{
	struct uffdio_register reg = {
		.range = { (unsigned long)at, s->slot },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	return ioctl(s->uffd, UFFDIO_REGISTER, &reg);
}

static unsigned long hugepage_size(void)
{
	unsigned long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

static const char *stress_init(struct stress *s, enum mem mem, uint64_t seed)
{
	bool huge = mem == M_HUGETLB || mem == M_HUGETLBFS;
	struct uffdio_api api = { .api = UFFD_API };
	int i;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->bad_lock, NULL);
	s->mem = mem;
	s->seed = seed;
	s->memfd = -1;
	s->unit = huge ? hugepage_size() : PS;
	if (!s->unit)
		return "no huge page size";
	s->slot = huge ? s->unit : 16 * PS;
	s->size = NSLOTS * s->slot;
	s->dev = open("/dev/hmm_dmirror0", O_RDWR);
	s->dev2 = open("/dev/hmm_dmirror0", O_RDWR);
	if (s->dev < 0 || s->dev2 < 0)
		return "open /dev/hmm_dmirror0";
	/* Written now: its first write would be an invalidation of its own. */
	s->out = malloc(s->slot);
	if (!s->out)
		return "malloc";
	memset(s->out, 1, s->slot);
	if (mem == M_SHMEM || mem == M_HUGETLBFS) {
		s->memfd = memfd_create("hmm-stress", huge ? MFD_HUGETLB : 0);
		if (s->memfd < 0 || ftruncate(s->memfd, s->size))
			return "memfd";
	}
	/* Reserve an aligned window for the area and one for mremap. */
	s->area = mmap(NULL, 2 * s->size + s->unit, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->area == MAP_FAILED)
		return "mmap window";
	s->area = (char *)(((unsigned long)s->area + s->unit - 1) & ~(s->unit - 1));
	s->tmp = s->area + s->size;
	s->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (s->uffd < 0 || ioctl(s->uffd, UFFDIO_API, &api))
		return "userfaultfd";
	for (i = 0; i < NSLOTS; i++)
		if (map_slot(s, s->area + i * s->slot, PROT_READ | PROT_WRITE, i) ||
		    register_slot(s, s->area + i * s->slot))
			return "map and register the slots (huge pages reserved?)";
	return NULL;
}

static void stress_fini(struct stress *s)
{
	if (s->area)
		munmap(s->area, 2 * s->size);
	if (s->uffd > 0)
		close(s->uffd);
	if (s->memfd >= 0)
		close(s->memfd);
	if (s->dev > 0)
		close(s->dev);
	if (s->dev2 > 0)
		close(s->dev2);
	free(s->out);
}

/* ---- the remodeler ---- */

static void remodel(struct stress *s, uint64_t *seed)
{
	int i = rnd(seed) % NSLOTS, r = rnd(seed) % 6;
	char *at = s->area + i * s->slot;
	struct hmm_dmirror_cmd c = {
		.addr = (unsigned long)at, .ptr = (unsigned long)s->out, .npages = s->slot / PS,
	};
	int mdev = rnd(seed) % 2 ? s->dev2 : s->dev;
	pid_t pid;
	int err = 0;

	if (r == 5 && s->mem == M_ANON) {
		/*
		 * To the device and back (or a CPU touch of one page, which
		 * migrates it back): the data stays, so this is not a remodel
		 * and device operations get no leniency for it. Only present
		 * pages move; missing ones stay with the handler.
		 */
		/* ENOENT: what it moved was invalidated before it read it back. */
		if (ioctl(mdev, HMM_DMIRROR_MIGRATE_TO_DEV, &c) && errno != ENOMEM &&
		    errno != EBUSY && errno != ENOENT)
			broken(s, "migration of slot %d to the device: %s", i, strerror(errno));
		usleep(rnd(seed) % 500);
		if (rnd(seed) % 2)
			(void)*(volatile char *)(at + (rnd(seed) % (s->slot / PS)) * PS);
		else if (ioctl(mdev, HMM_DMIRROR_MIGRATE_TO_SYS, &c))
			broken(s, "migration of slot %d to RAM: %s", i, strerror(errno));
		INC(s, migrations);
		return;
	}
	if (r == 5)
		r = 2;
	__atomic_add_fetch(&s->epoch[i], 1, __ATOMIC_SEQ_CST);
	switch (r) {
	case 0:	/* unmap, then map anew: PROT_NONE until registered */
		err = munmap(at, s->slot) || map_slot(s, at, PROT_NONE, i) ||
		      register_slot(s, at) || mprotect(at, s->slot, PROT_READ | PROT_WRITE);
		INC(s, munmaps);
		break;
	case 1:	/* mremap away and back (it drops the registration) */
		err = mprotect(at, s->slot, PROT_NONE) ||
		      mremap(at, s->slot, s->slot, MREMAP_MAYMOVE | MREMAP_FIXED,
			     s->tmp) != s->tmp;
		usleep(rnd(seed) % 500);
		err = err || mremap(s->tmp, s->slot, s->slot, MREMAP_MAYMOVE | MREMAP_FIXED,
				    at) != at ||
		      register_slot(s, at) || mprotect(at, s->slot, PROT_READ | PROT_WRITE);
		INC(s, mremaps);
		break;
	case 2:	/* zap: the handler supplies the pages again */
		err = madvise(at, s->slot, s->memfd >= 0 ? MADV_REMOVE : MADV_DONTNEED);
		INC(s, zaps);
		break;
	case 3:	/* read-only for a moment: device writes get EPERM */
		err = mprotect(at, s->slot, PROT_READ);
		usleep(rnd(seed) % 500);
		err = err || mprotect(at, s->slot, PROT_READ | PROT_WRITE);
		INC(s, mprotects);
		break;
	case 4:	/* fork a child that exits at once: COW for private memory */
		pid = fork();
		if (pid == 0)
			_exit(0);
		err = pid < 0 || waitpid(pid, NULL, 0) != pid;
		INC(s, forks);
		break;
	}
	__atomic_add_fetch(&s->epoch[i], 1, __ATOMIC_SEQ_CST);
	if (err)
		broken(s, "remodel %d of slot %d failed: %s", r, i, strerror(errno));
}

/* ---- the device ---- */

struct devthr {
	struct stress *s;
	int id;
};

static void device_op(struct stress *s, uint64_t *seed, char *buf)
{
	/* the ioctls the tree's test_hmm has (the 6.12 series has them all) */
	static const unsigned long ops[] = {
		HMM_DMIRROR_READ_UNLOCKED, HMM_DMIRROR_WRITE_UNLOCKED,
		HMM_DMIRROR_RANGE_FAULT,
#ifdef HMM_DMIRROR_READ_UNLOCKABLE
		HMM_DMIRROR_READ_UNLOCKABLE, HMM_DMIRROR_WRITE_UNLOCKABLE,
#endif
#ifdef HMM_DMIRROR_READ_WORKER
		HMM_DMIRROR_READ_WORKER, HMM_DMIRROR_WRITE_WORKER,
#endif
	};
	unsigned long op = ops[rnd(seed) % (sizeof(ops) / sizeof(ops[0]))];
	int i = rnd(seed) % NSLOTS;
	unsigned long spages = s->slot / PS;
	unsigned long first = rnd(seed) % spages;
	unsigned long npages = 1 + rnd(seed) % (spages - first);
	unsigned long off = i * s->slot + first * PS, p;
	struct hmm_dmirror_cmd c = {
		.addr = (unsigned long)s->area + off, .ptr = (unsigned long)buf, .npages = npages,
	};
	unsigned int e0 = __atomic_load_n(&s->epoch[i], __ATOMIC_SEQ_CST), e1;
	bool write = op == HMM_DMIRROR_WRITE_UNLOCKED;
	int ret;

#ifdef HMM_DMIRROR_READ_UNLOCKABLE
	write |= op == HMM_DMIRROR_WRITE_UNLOCKABLE;
#endif
#ifdef HMM_DMIRROR_READ_WORKER
	write |= op == HMM_DMIRROR_WRITE_WORKER;
#endif
	if (op == HMM_DMIRROR_RANGE_FAULT)
		c.ptr = HMM_DMIRROR_FAULT_UNLOCKED;
#ifdef HMM_DMIRROR_READ_UNLOCKABLE
	if (op == HMM_DMIRROR_RANGE_FAULT && rnd(seed) % 2)
		c.ptr = HMM_DMIRROR_FAULT_UNLOCKABLE;
#endif
	if (write)
		fill(buf, off, npages * PS, SEED_W);
	ret = ioctl(s->dev, op, &c) ? errno : 0;
	e1 = __atomic_load_n(&s->epoch[i], __ATOMIC_SEQ_CST);
	if (write)
		INC(s, writes);
	else if (op == HMM_DMIRROR_RANGE_FAULT)
		INC(s, ranges);
	else
		INC(s, reads);

	switch (ret) {
	case 0:
		INC(s, ok);
		break;
	case EBUSY:
		INC(s, ebusy);
		return;
	case EFAULT:
	case EPERM:
		if (ret == EFAULT)
			INC(s, efault);
		else
			INC(s, eperm);
		/* only while that slot was being remodeled */
		if (e0 == e1 && !(e0 & 1))
			broken(s, "op %#lx at slot %d +%lu x%lu: %s with no remodel",
			       op, i, first, npages, strerror(ret));
		return;
	default:
		broken(s, "op %#lx at slot %d +%lu x%lu: undocumented %s",
		       op, i, first, npages, strerror(ret));
		return;
	}
	if (write || op == HMM_DMIRROR_RANGE_FAULT)
		return;
	if (c.cpages != npages)
		broken(s, "read of %lu pages copied %llu", npages, c.cpages);
	for (p = 0; p < npages; p++)
		if (!is(buf + p * PS, off + p * PS, SEED_H) &&
		    !is(buf + p * PS, off + p * PS, SEED_W))
			broken(s, "read at slot %d page %lu: neither the handler's nor the device's data",
			       i, first + p);
}

static void *device(void *arg)
{
	struct devthr *d = arg;
	struct stress *s = d->s;
	uint64_t seed = s->seed + (d->id + 1) * 0x9e3779b97f4a7c15ULL;
	char *buf = malloc(s->slot);
	int n;

	for (n = 0; buf && n < STRESS_OPS && elapsed_s(s) < STRESS_SECONDS; n++) {
		device_op(s, &seed, buf);
		if (rnd(&seed) % 4 == 0)	/* let the remodeler in */
			usleep(rnd(&seed) % 300);
	}
	free(buf);
	return NULL;
}

FIXTURE(stress)
{
	struct stress s;
};

FIXTURE_VARIANT(stress)
{
	enum mem mem;
};

FIXTURE_VARIANT_ADD(stress, anon) { M_ANON };
FIXTURE_VARIANT_ADD(stress, shmem) { M_SHMEM };
FIXTURE_VARIANT_ADD(stress, hugetlb) { M_HUGETLB };
FIXTURE_VARIANT_ADD(stress, hugetlbfs) { M_HUGETLBFS };

FIXTURE_SETUP(stress)
{
	const char *env = getenv("HMM_STRESS_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 0x5354524553530001ULL + variant->mem;
	const char *err = stress_init(&self->s, variant->mem, seed);

	ASSERT_EQ(NULL, err) TH_LOG("setup: %s: %s", err, strerror(errno));
}

FIXTURE_TEARDOWN(stress)
{
	stress_fini(&self->s);
}

TEST_F_TIMEOUT(stress, mixed, 300)
{
	struct stress *s = &self->s;
	uint64_t rseed = s->seed ^ 0x72656d6f64656cULL;
	struct devthr d[NDEV];
	pthread_t h, t[NDEV];
	struct stats *st = &s->st;
	int i, done;

	TH_LOG("seed %#llx (HMM_STRESS_SEED), %d device threads x %d ops, cap %d s",
	       (unsigned long long)s->seed, NDEV, STRESS_OPS, STRESS_SECONDS);
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	ASSERT_EQ(0, pthread_create(&h, NULL, handler, s));
	for (i = 0; i < NDEV; i++) {
		d[i] = (struct devthr){ s, i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, device, &d[i]));
	}
	/* Remodel until the device threads are done. */
	for (;;) {
		for (done = 0, i = 0; i < NDEV; i++)
			if (t[i] && pthread_tryjoin_np(t[i], NULL) == 0)
				t[i] = 0;
		for (i = 0; i < NDEV; i++)
			done += !t[i];
		if (done == NDEV)
			break;
		remodel(s, &rseed);
		usleep(rnd(&rseed) % 300);
	}
	s->stop_handler = 1;
	pthread_join(h, NULL);

	printf("# stress %s: %lus, %lu device ops (%lu reads, %lu writes, %lu range faults): "
	       "%lu ok, %lu EBUSY, %lu EFAULT, %lu EPERM; remodels: %lu munmap+mmap, "
	       "%lu mremap, %lu zap, %lu mprotect, %lu fork, %lu migrations; handler: %lu resolved, "
	       "%lu woken unresolved, %lu late, %lu batches shuffled\n",
	       s->mem == M_ANON ? "anon" : s->mem == M_SHMEM ? "shmem" :
	       s->mem == M_HUGETLB ? "hugetlb" : "hugetlbfs", elapsed_s(s),
	       st->reads + st->writes + st->ranges, st->reads, st->writes, st->ranges,
	       st->ok, st->ebusy, st->efault, st->eperm, st->munmaps, st->mremaps,
	       st->zaps, st->mprotects, st->forks, st->migrations, st->resolved, st->woken,
	       st->late,
	       st->reordered);
	ASSERT_EQ(0, s->bad[0]) TH_LOG("%s", s->bad);
	/* The cap bounds the run on a slow machine; it is not a failure. */
	if (st->reads + st->writes + st->ranges < NDEV * STRESS_OPS)
		TH_LOG("the %d s cap stopped the run early", STRESS_SECONDS);
	ASSERT_GT(st->ok, 0);
	ASSERT_GT(st->resolved, 0);
}

TEST_HARNESS_MAIN
