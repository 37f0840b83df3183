// SPDX-License-Identifier: GPL-2.0
/*
 * Cost per page of faulting userfaultfd memory, by CPU, GUP and HMM.
 *
 * Every method starts from a fresh anonymous private area registered with
 * UFFDIO_REGISTER_MODE_MISSING, and a handler thread answers each fault with
 * a one-page UFFDIO_COPY, so every page costs one userfaultfd round trip:
 *   cpu_touch         one load per page
 *   process_vm_readv  GUP with int *locked (resumes after a lock drop), plus
 *                     a 4 KiB copy per page
 *   hmm_restart       test_hmm HMM_DMIRROR_RANGE_FAULT, one hmm_range over the
 *                     whole area, hmm_range_fault_unlockable() with the
 *                     documented restart-from-start loop (6.12 series only)
 *   hmm_resume        the same with hmm_range_fault_unlocked_timeout()
 * On 7.3, hmm_resume on a kernel with mainline's mm/hmm.c is mainline's
 * restart from the start after every lock drop: --quadratic hmm_resume.
 * With --refactor it times instead the stock ioctls over populated memory
 * (HMM_DMIRROR_SNAPSHOT: hmm_range_fault() walks, no faults) and over memory
 * that needs faulting without userfaultfd (HMM_DMIRROR_READ), which exist on
 * a kernel without this series too.
 *
 * Time is CLOCK_MONOTONIC: under qemu -icount shift=0,sleep=off one guest
 * nanosecond is one instruction, so the figures repeat to about 0.2%.
 * Output: one "RESULT key=value ..." line per measurement, "NOTE ..." lines,
 * and "ok 1 hmm-bench" at the end (any failure exits early, without it).
 *
 * --methods NAME,... runs only those methods (the benchmark times hmm_resume
 * alone on a kernel whose helper skips its verification walk).
 *
 * --quadratic NAME is the method whose cost grows with the square of the
 * size (hmm_restart by default): it is skipped at a size where its time at
 * the last size predicts more than --restart-limit seconds.
 *
 * usage: hmm-bench [--sizes MIB,...] [--methods NAME,...] [--quadratic NAME]
 *                  [--restart-limit SECONDS] [--refactor]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <lib/test_hmm_uapi.h>

static unsigned long page;
static int dev;

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

struct area {
	char *mem;
	unsigned long size;
	int uffd, stop;
	pthread_t thread;
	unsigned long served;
};

static void *handler(void *arg)
{
	struct area *a = arg;
	struct pollfd pfd[2] = { { a->uffd, POLLIN }, { a->stop, POLLIN } };
	char *src = aligned_alloc(page, page);
	struct uffd_msg msg;

	memset(src, 0x5a, page);
	while (poll(pfd, 2, -1) > 0 && !pfd[1].revents) {
		if (read(a->uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		struct uffdio_copy c = {
			.dst = msg.arg.pagefault.address & ~(page - 1),
			.src = (unsigned long)src, .len = page,
		};
		if (ioctl(a->uffd, UFFDIO_COPY, &c) == 0)
			__atomic_add_fetch(&a->served, 1, __ATOMIC_SEQ_CST);
	}
	free(src);
	return NULL;
}

static void area_init(struct area *a, unsigned long size, int uffd)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	memset(a, 0, sizeof(*a));
	a->size = size;
	a->uffd = -1;
	a->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a->mem == MAP_FAILED)
		die("mmap");
	if (!uffd)
		return;
	a->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	a->stop = eventfd(0, 0);
	reg.range.start = (unsigned long)a->mem;
	reg.range.len = size;
	if (a->uffd < 0 || ioctl(a->uffd, UFFDIO_API, &api) || ioctl(a->uffd, UFFDIO_REGISTER, &reg))
		die("userfaultfd");
	pthread_create(&a->thread, NULL, handler, a);
}

static void area_fini(struct area *a)
{
	if (a->uffd >= 0) {
		eventfd_write(a->stop, 1);
		pthread_join(a->thread, NULL);
		close(a->uffd);
		close(a->stop);
	}
	munmap(a->mem, a->size);
}

static void result(const char *method, unsigned long size, double ns, unsigned long served,
		   unsigned long walks)
{
	unsigned long pages = size / page;

	printf("RESULT method=%s mib=%lu pages=%lu ns_per_page=%.0f total_ms=%.1f faults=%lu walks=%lu\n",
	       method, size >> 20, pages, ns / pages, ns / 1e6, served, walks);
	fflush(stdout);
}

/* process_vm_readv()'s destination, populated up front: its faults are not GUP's. */
static char *pvr_buf;
static const unsigned long pvr_chunk = 16UL << 20;

static double run(const char *method, unsigned long size)
{
	char *buf = pvr_buf;
	const unsigned long chunk = pvr_chunk;
	struct hmm_dmirror_cmd cmd = { 0 };
	struct area a;
	double t0, t;
	volatile char sink;
	unsigned long off;

	area_init(&a, size, 1);
	t0 = now_ns();
	if (!strcmp(method, "cpu_touch")) {
		for (off = 0; off < size; off += page)
			sink = a.mem[off];
		(void)sink;
	} else if (!strcmp(method, "process_vm_readv")) {
		for (off = 0; off < size; off += chunk) {
			unsigned long n = size - off < chunk ? size - off : chunk;
			struct iovec l = { buf, n }, r = { a.mem + off, n };

			if (process_vm_readv(getpid(), &l, 1, &r, 1, 0) != (ssize_t)n)
				die("process_vm_readv");
		}
	} else {
		cmd.addr = (unsigned long)a.mem;
		cmd.npages = size / page;
		cmd.ptr = HMM_DMIRROR_FAULT_UNLOCKED;
#ifdef HMM_DMIRROR_FAULT_UNLOCKABLE
		if (!strcmp(method, "hmm_restart"))
			cmd.ptr = HMM_DMIRROR_FAULT_UNLOCKABLE;
#endif
		if (ioctl(dev, HMM_DMIRROR_RANGE_FAULT, &cmd))
			die("HMM_DMIRROR_RANGE_FAULT");
	}
	t = now_ns() - t0;
	/* The handler counts a page after UFFDIO_COPY returned: let it finish. */
	for (int i = 0; i < 100 && __atomic_load_n(&a.served, __ATOMIC_SEQ_CST) < size / page; i++)
		usleep(10000);
	result(method, size, t, a.served, cmd.faults);
	if (a.served != size / page) {
		printf("NOTE %s: the handler served %lu of %lu pages\n", method, a.served, size / page);
		exit(1);
	}
	area_fini(&a);
	return t;
}

/* Time one stock ioctl over a fresh area, 64 MiB per call; @populate first. */
static void stock(const char *method, unsigned long req, unsigned long size, int populate)
{
	const unsigned long chunk = 64UL << 20;
	unsigned char *buf = malloc(chunk);
	struct hmm_dmirror_cmd cmd;
	struct area a;
	unsigned long off;
	double t0;

	if (!buf)
		die("malloc");
	memset(buf, 1, chunk);		/* nonzero: not turned into calloc */
	area_init(&a, size, 0);
	if (populate)
		memset(a.mem, 1, size);
	t0 = now_ns();
	for (off = 0; off < size; off += chunk) {
		cmd = (struct hmm_dmirror_cmd){ .addr = (unsigned long)a.mem + off,
			.ptr = (unsigned long)buf, .npages = chunk / page };
		if (ioctl(dev, req, &cmd))
			die(method);
	}
	result(method, size, now_ns() - t0, 0, 0);
	area_fini(&a);
	free(buf);
}

/*
 * The stock ioctls, which a kernel without this series has too: the
 * hmm_range_fault() walk over populated memory, and faulting reads.
 */
static void refactor(unsigned long size)
{
	stock("snapshot_populated", HMM_DMIRROR_SNAPSHOT, size, 1);
	stock("read_faulting", HMM_DMIRROR_READ, size, 0);
}

int main(int argc, char **argv)
{
	static const char * const methods[] = {
		"cpu_touch", "process_vm_readv", "hmm_resume",
#ifdef HMM_DMIRROR_FAULT_UNLOCKABLE
		"hmm_restart",
#endif
	};
	const unsigned long nmethods = sizeof(methods) / sizeof(methods[0]);
	unsigned long sizes[16], nsizes = 0, i, m;
	const char *only = NULL, *quad = "hmm_restart";
	double limit = 60, restart_ns = 0;
	unsigned long restart_mib = 0;
	int do_refactor = 0;
	char *p;

	page = sysconf(_SC_PAGE_SIZE);
	for (i = 1; i < (unsigned long)argc; i++) {
		if (!strcmp(argv[i], "--sizes") && i + 1 < (unsigned long)argc) {
			for (p = strtok(argv[++i], ","); p && nsizes < 16; p = strtok(NULL, ","))
				sizes[nsizes++] = strtoul(p, NULL, 0) << 20;
		} else if (!strcmp(argv[i], "--methods") && i + 1 < (unsigned long)argc) {
			only = argv[++i];
		} else if (!strcmp(argv[i], "--quadratic") && i + 1 < (unsigned long)argc) {
			quad = argv[++i];
		} else if (!strcmp(argv[i], "--restart-limit") && i + 1 < (unsigned long)argc) {
			limit = strtod(argv[++i], NULL);
		} else if (!strcmp(argv[i], "--refactor")) {
			do_refactor = 1;
		} else {
			fprintf(stderr, "usage: %s [--sizes MIB,...] [--methods NAME,...] "
				"[--quadratic NAME] [--restart-limit S] [--refactor]\n", argv[0]);
			return 2;
		}
	}
	if (!nsizes) {
		unsigned long def[] = { 2, 16, 128, 1024 };

		for (; nsizes < 4; nsizes++)
			sizes[nsizes] = def[nsizes] << 20;
	}
	pvr_buf = malloc(pvr_chunk);
	if (!pvr_buf)
		die("malloc");
	memset(pvr_buf, 1, pvr_chunk);	/* nonzero: malloc+memset(0) may become calloc */
	dev = open("/dev/hmm_dmirror0", O_RDWR);
	if (dev < 0)
		die("/dev/hmm_dmirror0");
	printf("NOTE method: guest CLOCK_MONOTONIC; under qemu -icount shift=0,sleep=off 1 ns = 1 instruction\n");
	if (do_refactor) {
		refactor(sizes[nsizes - 1]);
		printf("ok 1 hmm-bench\n");
		return 0;
	}
	printf("NOTE methods:");
	for (m = 0; m < nmethods; m++)
		if (!only || strstr(only, methods[m]))
			printf(" %s", methods[m]);
	printf("\n");
	for (i = 0; i < nsizes; i++) {
		for (m = 0; m < nmethods; m++) {
			if (only && !strstr(only, methods[m]))
				continue;
			/* Its cost grows with the square of the size: predict it. */
			double ratio = restart_mib ? (double)(sizes[i] >> 20) / restart_mib : 0;

			if (!strcmp(methods[m], quad) &&
			    restart_ns * ratio * ratio > limit * 1e9) {
				printf("NOTE %s skipped at %lu MiB: %.1f s at %lu MiB predicts %.0f s, over the %.0f s limit\n",
				       quad, sizes[i] >> 20, restart_ns / 1e9, restart_mib,
				       restart_ns * ratio * ratio / 1e9, limit);
				continue;
			}
			double t = run(methods[m], sizes[i]);

			if (!strcmp(methods[m], quad)) {
				restart_ns = t;
				restart_mib = sizes[i] >> 20;
			}
		}
	}
	printf("ok 1 hmm-bench\n");
	return 0;
}
