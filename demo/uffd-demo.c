// SPDX-License-Identifier: GPL-2.0
/*
 * Post-copy demo: a device reads a process's memory while a userfaultfd
 * pager fills it lazily from a snapshot file.
 *
 * The "guest memory" is a shmem (memfd) mapping registered with userfaultfd
 * (MISSING). A pager thread answers each fault with the page read from a
 * snapshot file, as a post-copy migration or a fast VM restore would. The
 * mirror device (test_hmm) reads the whole range in one HMM_DMIRROR_READ_-
 * UNLOCKED call (hmm_range_fault_unlocked_timeout(), on either base); every
 * fault drops the mmap lock while the pager works.
 * At the end every byte is checked, and the stock HMM_DMIRROR_READ is shown
 * to fail on the same memory.
 *
 * usage: uffd-demo [MiB]      (default 256)
 * Prints "ok 1 uffd-demo" on success, "not ok 1 uffd-demo" otherwise.
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
#include <time.h>
#include <unistd.h>
#include <lib/test_hmm_uapi.h>

#define SEED 0x5eed5eed00000000ULL

static unsigned long page, size;
static int uffd, snap, stop;
static char *mem;
static volatile unsigned long served, errors;
static volatile int done;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void fill(uint64_t *w, unsigned long off, unsigned long len)
{
	for (unsigned long i = 0; i < len / 8; i++)
		w[i] = (off + i * 8) ^ SEED;
}

static void *pager(void *arg)
{
	struct pollfd pfd[2] = { { uffd, POLLIN }, { stop, POLLIN } };
	char *buf = malloc(page);
	struct uffd_msg msg;

	while (buf && poll(pfd, 2, -1) >= 0 && !pfd[1].revents) {
		if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT) {
			errors++;
			continue;
		}
		unsigned long addr = msg.arg.pagefault.address & ~(page - 1);
		unsigned long off = addr - (unsigned long)mem;
		struct uffdio_copy copy = { .dst = addr, .src = (unsigned long)buf, .len = page };

		if (pread(snap, buf, page, off) != (ssize_t)page ||
		    ioctl(uffd, UFFDIO_COPY, &copy))
			errors++;
		else
			served++;
	}
	free(buf);
	return NULL;
}

static void *progress(void *arg)
{
	double t0 = *(double *)arg;

	/* A line every two seconds: it reads well on a terminal and in a log. */
	while (!done) {
		for (int i = 0; i < 20 && !done; i++)
			usleep(100000);
		if (done)
			break;
		double t = now() - t0;

		printf("  [%5.1f s] pages served %6lu / %lu, mmap lock drops %6lu, %5.1f MiB/s\n",
		       t, served, size / page, served, served * page / t / 1048576);
		fflush(stdout);
	}
	return NULL;
}

/*
 * The pager counts a page once UFFDIO_COPY has returned, which can be just
 * after the device read it unblocked has finished: wait (at most two
 * seconds) for the count to reach @want.
 */
static void settle(unsigned long want)
{
	for (int i = 0; i < 200 && served < want; i++)
		usleep(10000);
}

static int dmirror(int fd, unsigned long req, void *addr, void *buf, unsigned long n,
		   struct hmm_dmirror_cmd *cmd)
{
	*cmd = (struct hmm_dmirror_cmd){ .addr = (unsigned long)addr,
					 .ptr = (unsigned long)buf, .npages = n };
	return ioctl(fd, req, cmd) ? -errno : 0;
}

int main(int argc, char **argv)
{
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 256;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct hmm_dmirror_cmd cmd;
	unsigned long bad = 0, i, before;
	pthread_t tp, tg;
	uint64_t *want, *mirror;
	double t0, t;
	int dev, ret, ok = 1;

	page = sysconf(_SC_PAGE_SIZE);
	size = mib << 20;
	printf("# uffd-demo: %lu MiB of shmem guest memory, served lazily by a userfaultfd pager\n", mib);

	/* The snapshot the pager restores from. */
	snap = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	want = malloc(size);
	mirror = malloc(size);
	if (snap < 0 || !want || !mirror)
		return perror("setup"), 1;
	fill(want, 0, size);
	if (write(snap, want, size) != (ssize_t)size)
		return perror("snapshot"), 1;

	/* The guest memory: nothing present, every access faults to the pager. */
	int memfd = memfd_create("guest-memory", 0);

	if (memfd < 0 || ftruncate(memfd, size))
		return perror("memfd"), 1;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	stop = eventfd(0, 0);
	reg.range.start = (unsigned long)mem;
	reg.range.len = size;
	if (mem == MAP_FAILED || uffd < 0 || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg))
		return perror("userfaultfd"), 1;
	dev = open("/dev/hmm_dmirror0", O_RDWR);
	if (dev < 0)
		return perror("/dev/hmm_dmirror0"), 1;

	pthread_create(&tg, NULL, pager, NULL);
	t0 = now();
	pthread_create(&tp, NULL, progress, &t0);

	/* The device reads all of it, through hmm_range_fault_unlockable(). */
	ret = dmirror(dev, HMM_DMIRROR_READ_UNLOCKED, mem, mirror, size / page, &cmd);
	t = now() - t0;
	settle(size / page);
	done = 1;
	pthread_join(tp, NULL);
	printf("  [%5.1f s] pages served %6lu / %lu, mmap lock drops %6lu, %5.1f MiB/s\n",
	       t, served, size / page, served, served * page / t / 1048576);
	if (ret) {
		printf("# device read failed: %s\n", strerror(-ret));
		ok = 0;
	}
	for (i = 0; i < size / 8; i++)
		bad += mirror[i] != want[i];
	printf("# device read %lu pages in %.2f s; verified %lu MiB byte for byte: %lu bad words\n",
	       (unsigned long)cmd.cpages, t, mib, bad);
	ok &= !bad && cmd.cpages == size / page && served == size / page && !errors;

	/* The stock path on the same memory: drop 16 pages, read them again. */
	if (fallocate(memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 16 * page))
		return perror("punch hole"), 1;
	before = served;
	ret = dmirror(dev, HMM_DMIRROR_READ, mem, mirror, 16, &cmd);
	printf("# stock HMM_DMIRROR_READ (hmm_range_fault()) of 16 dropped pages: %s, pager saw %lu faults\n",
	       ret ? strerror(-ret) : "success", served - before);
	ok &= ret == -EFAULT && served == before;
	ret = dmirror(dev, HMM_DMIRROR_READ_UNLOCKED, mem, mirror, 16, &cmd);
	settle(before + 16);
	printf("# HMM_DMIRROR_READ_UNLOCKED of the same pages: %s, pager served %lu\n",
	       ret ? strerror(-ret) : "success", served - before);
	ok &= !ret && served - before == 16 && !memcmp(mirror, want, 16 * page);

	eventfd_write(stop, 1);
	pthread_join(tg, NULL);
	printf("%s 1 uffd-demo\n", ok ? "ok" : "not ok");
	return !ok;
}
