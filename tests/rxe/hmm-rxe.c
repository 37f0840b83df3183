// SPDX-License-Identifier: GPL-2.0
/*
 * hmm-rxe: a real HMM driver, end to end. Soft-RoCE (rxe) On-Demand Paging
 * memory regions over userfaultfd-registered memory.
 *
 * An ODP MR faults its pages through ib_umem_odp_map_dma_and_lock(), which
 * on 7.3 calls hmm_range_fault_unlocked_timeout(): from the owner's own
 * ioctl (ibv_advise_mr() with IBV_ADVISE_MR_FLAG_FLUSH) and from rxe's
 * responder, a kernel work item, for an incoming RDMA READ or WRITE. Two RC
 * QPs of one rxe device reach each other through rxe's loopback: QP "b"
 * (the peer) reads and writes the ODP MR that QP "a" (the owner) exposes.
 *
 * The table of memory types and userfaultfd modes is every pair that both
 * ODP and userfaultfd take: anonymous (MISSING, WP), shmem and hugetlb
 * (MISSING, MINOR, WP). Each test checks every byte against what the
 * handler served or the peer wrote, and the handler's count of faults.
 *
 * What must not happen (owner_gone, stall_other_process): the owner is
 * killed, exits, or tears its QP or MR down while rxe's worker waits for a
 * handler that never answers; another process's QPs on the same device
 * carry traffic meanwhile. advise_plain_mr: a prefetch of a non-ODP MR.
 *
 * The guest makes the rxe device first (tests/rxe/setup); the device is the
 * first one libibverbs lists, and its GID is the IPv4-mapped one.
 *
 * "hmm-rxe --bench [--sizes MIB,...] [--quadratic] [--restart-limit S]" is
 * the benchmark instead (make bench BASE=7.3): for each size, a fresh
 * anonymous MISSING area whose handler answers each fault with a one-page
 * UFFDIO_COPY, faulted by the CPU (one load per page: cpu_touch) or by the
 * owner's synchronous prefetch of an ODP MR over it (rxe_prefetch:
 * ibv_advise_mr(PREFETCH_WRITE, FLUSH), one call for the whole MR, so one
 * hmm_range). One "RESULT method=... mib=... pages=... ns_per_page=..."
 * line per measurement, as bench/hmm-bench.c prints, and "ok 1 rxe-bench".
 * With --quadratic, a size whose rxe_prefetch time the last size predicts
 * (quadratically) to exceed --restart-limit seconds is skipped (7.3.4's
 * helper walks from the start after every lock drop).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/userfaultfd.h>
#include <infiniband/verbs.h>
#include <rdma/rdma_user_ioctl.h>
#include <rdma/ib_user_ioctl_cmds.h>

#include "kselftest_harness.h"

#define HPAGE_SIZE	(2UL << 20)
/* how long a test waits for a work completion it expects */
#define WC_TIMEOUT_MS	20000
/*
 * The path MTU (IBV_MTU_1024). The liveness tests (owner_gone,
 * stall_other_process) read one packet at a page's start, so that what
 * they check does not depend on the in-page offsets the table tests.
 */
#define PKT		1024

enum mem { ANON, SHMEM, HUGETLB };
enum mode { MISSING, MINOR, WP };

static const char * const mode_name[] = { "MISSING", "MINOR", "WP" };

/* The verbs side: one rxe device, two RC QPs connected through loopback. */
struct rxe_env {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq_a, *cq_b;
	struct ibv_qp *qa, *qb;
	union ibv_gid gid;
	int gid_index;
};

/* A userfaultfd-registered area and its handler thread. */
struct uarea {
	enum mem mem;
	enum mode mode;
	size_t psize, len;
	char *base;		/* the registered mapping */
	char *alias;		/* shmem/hugetlb: a second mapping of the file */
	int memfd;
	int uffd;
	int stopfd;		/* eventfd: the handler's stop signal */
	pthread_t thread;
	bool running;
	atomic_long faults;	/* messages the handler read */
	atomic_long answered;	/* of them, resolved */
	atomic_int never_answer; /* read faults but resolve none */
	bool constant;		/* MISSING: serve one page as it is (--bench) */
	char *page;		/* MISSING: the page UFFDIO_COPY copies */
};

/*
 * The byte at offset @off of the area, as the handler serves it: the top
 * byte of a multiplicative hash, so that no two offsets a small power of
 * two apart (the same offset in another page or packet) tend to match.
 */
static inline uint8_t pattern(size_t off)
{
	return (uint32_t)(off * 2654435761u) >> 24;
}

/* The byte the peer writes at offset @off. */
static inline uint8_t peer_pattern(size_t off)
{
	return ((uint32_t)(off * 2246822519u) >> 24) ^ 0xa5;
}

static void fill(char *p, size_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pattern(off + i);
}

/* The offset of the first byte of @p that is not pattern(@off + i), or -1. */
static long check_pattern(const char *p, size_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((uint8_t)p[i] != pattern(off + i))
			return i;
	return -1;
}

static void *handler(void *arg)
{
	struct uarea *a = arg;
	struct pollfd pfd[2] = {
		{ .fd = a->uffd, .events = POLLIN },
		{ .fd = a->stopfd, .events = POLLIN },
	};

	for (;;) {
		struct uffd_msg msg;
		unsigned long addr;
		int ret;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return (void *)(long)errno;
		}
		if (pfd[1].revents)
			return NULL;
		if (!(pfd[0].revents & POLLIN))
			continue;
		ret = read(a->uffd, &msg, sizeof(msg));
		if (ret < 0 && errno == EAGAIN)
			continue;
		if (ret != sizeof(msg) || msg.event != UFFD_EVENT_PAGEFAULT)
			return (void *)(long)EPROTO;
		atomic_fetch_add(&a->faults, 1);
		if (atomic_load(&a->never_answer))
			continue;
		addr = msg.arg.pagefault.address & ~(a->psize - 1);
		if (a->mode == MISSING) {
			struct uffdio_copy c = {
				.dst = addr, .src = (unsigned long)a->page,
				.len = a->psize,
			};

			if (!a->constant)
				fill(a->page, addr - (unsigned long)a->base, a->psize);
			ret = ioctl(a->uffd, UFFDIO_COPY, &c);
		} else if (a->mode == MINOR) {
			struct uffdio_continue c = {
				.range = { .start = addr, .len = a->psize },
			};

			ret = ioctl(a->uffd, UFFDIO_CONTINUE, &c);
		} else {
			struct uffdio_writeprotect w = {
				.range = { .start = addr, .len = a->psize },
			};

			ret = ioctl(a->uffd, UFFDIO_WRITEPROTECT, &w);
		}
		/* EEXIST: another fault on the same page was answered first */
		if (ret && errno != EEXIST)
			return (void *)(long)errno;
		atomic_fetch_add(&a->answered, 1);
	}
}

/*
 * Map and register @a (mem, mode and len set): MISSING leaves every page to
 * the handler; MINOR fills the file through a second mapping first, so that
 * the registered one faults on pages that are in the page cache; WP fills
 * the registered mapping and then write-protects all of it.
 */
static int uarea_setup(struct uarea *a)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	int flags = MAP_SHARED;

	a->psize = a->mem == HUGETLB ? HPAGE_SIZE : (size_t)getpagesize();
	a->memfd = -1;
	a->alias = NULL;
	if (a->mem == ANON) {
		a->base = mmap(NULL, a->len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	} else {
		a->memfd = memfd_create("hmm-rxe", a->mem == HUGETLB ? MFD_HUGETLB : 0);
		if (a->memfd < 0 || ftruncate(a->memfd, a->len))
			return -errno;
		a->base = mmap(NULL, a->len, PROT_READ | PROT_WRITE, flags, a->memfd, 0);
	}
	if (a->base == MAP_FAILED)
		return -errno;
	if (a->mode == MINOR) {
		a->alias = mmap(NULL, a->len, PROT_READ | PROT_WRITE, MAP_SHARED,
				a->memfd, 0);
		if (a->alias == MAP_FAILED)
			return -errno;
		fill(a->alias, 0, a->len);
	} else if (a->mode == WP) {
		fill(a->base, 0, a->len);
	}
	a->page = aligned_alloc(a->psize, a->psize);
	if (!a->page)
		return -ENOMEM;

	a->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (a->uffd < 0)
		return -errno;
	if (a->mode == MISSING) {
		api.features = a->mem == HUGETLB ? UFFD_FEATURE_MISSING_HUGETLBFS :
			       a->mem == SHMEM ? UFFD_FEATURE_MISSING_SHMEM : 0;
		reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	} else if (a->mode == MINOR) {
		api.features = a->mem == HUGETLB ? UFFD_FEATURE_MINOR_HUGETLBFS :
						   UFFD_FEATURE_MINOR_SHMEM;
		reg.mode = UFFDIO_REGISTER_MODE_MINOR;
	} else {
		api.features = UFFD_FEATURE_PAGEFAULT_FLAG_WP;
		if (a->mem != ANON)
			api.features |= UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
		reg.mode = UFFDIO_REGISTER_MODE_WP;
	}
	if (ioctl(a->uffd, UFFDIO_API, &api))
		return -errno;
	reg.range.start = (unsigned long)a->base;
	reg.range.len = a->len;
	if (ioctl(a->uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	if (a->mode == WP) {
		struct uffdio_writeprotect w = {
			.range = reg.range, .mode = UFFDIO_WRITEPROTECT_MODE_WP,
		};

		if (ioctl(a->uffd, UFFDIO_WRITEPROTECT, &w))
			return -errno;
	}
	a->stopfd = eventfd(0, EFD_CLOEXEC);
	if (a->stopfd < 0)
		return -errno;
	if (pthread_create(&a->thread, NULL, handler, a))
		return -EAGAIN;
	a->running = true;
	return 0;
}

/* Stop the handler; its error, or 0. */
static long uarea_stop(struct uarea *a)
{
	uint64_t one = 1;
	void *ret = NULL;

	if (!a->running)
		return 0;
	if (write(a->stopfd, &one, sizeof(one)) != sizeof(one))
		return errno;
	pthread_join(a->thread, &ret);
	a->running = false;
	return (long)ret;
}

static void uarea_teardown(struct uarea *a)
{
	uarea_stop(a);
	if (a->uffd >= 0)
		close(a->uffd);
	if (a->base && a->base != MAP_FAILED)
		munmap(a->base, a->len);
	if (a->alias && a->alias != MAP_FAILED)
		munmap(a->alias, a->len);
	if (a->memfd >= 0)
		close(a->memfd);
	free(a->page);
}

/* --- verbs --- */

/* The index of the device's IPv4-mapped GID (::ffff:a.b.c.d), or -1. */
static int find_gid(struct ibv_context *ctx, union ibv_gid *gid)
{
	struct ibv_port_attr port;

	if (ibv_query_port(ctx, 1, &port))
		return -1;
	for (int i = 0; i < port.gid_tbl_len; i++) {
		static const uint8_t v4[12] = { [10] = 0xff, [11] = 0xff };

		if (ibv_query_gid(ctx, 1, i, gid))
			continue;
		if (!memcmp(gid->raw, v4, sizeof(v4)))
			return i;
	}
	return -1;
}

static int qp_connect(struct ibv_qp *qp, uint32_t dqpn, const union ibv_gid *gid, int gidx)
{
	int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |
		     IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC;
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT, .port_num = 1, .qp_access_flags = access,
	};

	if (ibv_modify_qp(qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IBV_QPS_RTR;
	attr.path_mtu = IBV_MTU_1024;
	attr.dest_qp_num = dqpn;
	attr.max_dest_rd_atomic = 16;
	attr.min_rnr_timer = 12;
	attr.ah_attr.is_global = 1;
	attr.ah_attr.grh.dgid = *gid;
	attr.ah_attr.grh.sgid_index = gidx;
	attr.ah_attr.grh.hop_limit = 64;
	attr.ah_attr.port_num = 1;
	if (ibv_modify_qp(qp, &attr, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IBV_QPS_RTS;
	/*
	 * No local ACK timeout: a responder that waits for a slow handler is
	 * waited for, not retried until the QP fails. The tests bound their
	 * own waits (WC_TIMEOUT_MS).
	 */
	attr.timeout = 0;
	attr.retry_cnt = 7;
	attr.rnr_retry = 7;
	attr.max_rd_atomic = 16;
	return ibv_modify_qp(qp, &attr, IBV_QP_STATE | IBV_QP_TIMEOUT |
			     IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			     IBV_QP_MAX_QP_RD_ATOMIC);
}

/* Open the first device and connect two QPs; 0 or a negative errno. */
static int env_setup(struct rxe_env *e)
{
	struct ibv_qp_init_attr qia = {
		.qp_type = IBV_QPT_RC, .sq_sig_all = 1,
		.cap = { .max_send_wr = 64, .max_recv_wr = 4,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_device **list;
	int n;

	list = ibv_get_device_list(&n);
	if (!list || n < 1)
		return -ENODEV;
	e->ctx = ibv_open_device(list[0]);
	ibv_free_device_list(list);
	if (!e->ctx)
		return -errno ? -errno : -ENODEV;
	e->gid_index = find_gid(e->ctx, &e->gid);
	if (e->gid_index < 0)
		return -EADDRNOTAVAIL;
	e->pd = ibv_alloc_pd(e->ctx);
	e->cq_a = ibv_create_cq(e->ctx, 128, NULL, NULL, 0);
	e->cq_b = ibv_create_cq(e->ctx, 128, NULL, NULL, 0);
	if (!e->pd || !e->cq_a || !e->cq_b)
		return -ENOMEM;
	qia.send_cq = qia.recv_cq = e->cq_a;
	e->qa = ibv_create_qp(e->pd, &qia);
	qia.send_cq = qia.recv_cq = e->cq_b;
	e->qb = ibv_create_qp(e->pd, &qia);
	if (!e->qa || !e->qb)
		return -ENOMEM;
	if (qp_connect(e->qa, e->qb->qp_num, &e->gid, e->gid_index) ||
	    qp_connect(e->qb, e->qa->qp_num, &e->gid, e->gid_index))
		return -EIO;
	return 0;
}

static void env_teardown(struct rxe_env *e)
{
	if (e->qa)
		ibv_destroy_qp(e->qa);
	if (e->qb)
		ibv_destroy_qp(e->qb);
	if (e->cq_a)
		ibv_destroy_cq(e->cq_a);
	if (e->cq_b)
		ibv_destroy_cq(e->cq_b);
	if (e->pd)
		ibv_dealloc_pd(e->pd);
	if (e->ctx)
		ibv_close_device(e->ctx);
}

static int post_rdma(struct ibv_qp *qp, enum ibv_wr_opcode op, struct ibv_mr *local,
		     void *laddr, size_t len, uint64_t raddr, uint32_t rkey, uint64_t id)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)laddr, .length = len, .lkey = local->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = id, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = raddr, .rkey = rkey },
	}, *bad;

	return ibv_post_send(qp, &wr, &bad);
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wait up to @ms for @count (a handler's) to reach @n. */
static bool wait_count(atomic_long *count, long n, long ms)
{
	long end = now_ms() + ms;

	while (atomic_load(count) < n) {
		if (now_ms() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/*
 * Wait up to @ms for one completion on @cq: its status, -ETIMEDOUT or
 * -EIO (polling failed).
 */
static int wait_wc(struct ibv_cq *cq, long ms, struct ibv_wc *wc)
{
	long end = now_ms() + ms;

	do {
		int n = ibv_poll_cq(cq, 1, wc);

		if (n < 0)
			return -EIO;
		if (n == 1)
			return wc->status;
		usleep(200);
	} while (now_ms() < end);
	return -ETIMEDOUT;
}

/*
 * The prefetch, as the owner asks for it: ibv_advise_mr(); when the
 * provider has no advise_mr op (Debian 12's rdma-core 44 rxe provider), the
 * kernel's ADVISE_MR method directly, which is all the op of newer rxe
 * providers does (ibv_cmd_advise_mr()). Up to 4 SGEs. Returns 0 or an
 * errno.
 */
static int advise_sges(struct ibv_pd *pd, struct ibv_sge *sge, int n, uint32_t advice,
		       uint32_t flags)
{
	struct ib_uverbs_sge ksge[4];
	struct {
		struct ib_uverbs_ioctl_hdr hdr;
		struct ib_uverbs_attr attr[4];
	} cmd = {
		.hdr = {
			.length = sizeof(cmd), .object_id = UVERBS_OBJECT_MR,
			.method_id = UVERBS_METHOD_ADVISE_MR, .num_attrs = 4,
			/* only rxe's provider lacks the op (see above) */
			.driver_id = RDMA_DRIVER_RXE,
		},
		.attr = {
			{ .attr_id = UVERBS_ATTR_ADVISE_MR_PD_HANDLE,
			  .flags = UVERBS_ATTR_F_MANDATORY, .data = pd->handle },
			/* a "const" attribute is a u64 */
			{ .attr_id = UVERBS_ATTR_ADVISE_MR_ADVICE, .len = sizeof(uint64_t),
			  .flags = UVERBS_ATTR_F_MANDATORY, .data = advice },
			{ .attr_id = UVERBS_ATTR_ADVISE_MR_FLAGS, .len = sizeof(uint32_t),
			  .flags = UVERBS_ATTR_F_MANDATORY, .data = flags },
			{ .attr_id = UVERBS_ATTR_ADVISE_MR_SGE_LIST,
			  .len = n * sizeof(ksge[0]), .flags = UVERBS_ATTR_F_MANDATORY,
			  .data = (uintptr_t)ksge },
		},
	};
	int ret;

	if (n < 1 || n > 4)
		return EINVAL;
	for (int i = 0; i < n; i++)
		ksge[i] = (struct ib_uverbs_sge){
			.addr = sge[i].addr, .length = sge[i].length, .lkey = sge[i].lkey,
		};
	ret = ibv_advise_mr(pd, advice, flags, sge, n);
	if (ret != EOPNOTSUPP)
		return ret;
	return ioctl(pd->context->cmd_fd, RDMA_VERBS_IOCTL, &cmd) ? errno : 0;
}

static int advise_mr(struct ibv_pd *pd, struct ibv_mr *mr, void *addr, size_t len,
		     uint32_t advice, uint32_t flags)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)addr, .length = len, .lkey = mr->lkey,
	};

	return advise_sges(pd, &sge, 1, advice, flags);
}

/* --- the table --- */

FIXTURE(rxe) {
	struct rxe_env env;
	struct uarea a;
	struct ibv_mr *odp;	/* the ODP MR over a.base */
	struct ibv_mr *buf_mr;	/* the peer's plain MR */
	char *buf;
	size_t npages;
};

FIXTURE_VARIANT(rxe) {
	enum mem mem;
	enum mode mode;
};

FIXTURE_VARIANT_ADD(rxe, anon_missing) { .mem = ANON, .mode = MISSING };
FIXTURE_VARIANT_ADD(rxe, anon_wp) { .mem = ANON, .mode = WP };
FIXTURE_VARIANT_ADD(rxe, shmem_missing) { .mem = SHMEM, .mode = MISSING };
FIXTURE_VARIANT_ADD(rxe, shmem_minor) { .mem = SHMEM, .mode = MINOR };
FIXTURE_VARIANT_ADD(rxe, shmem_wp) { .mem = SHMEM, .mode = WP };
FIXTURE_VARIANT_ADD(rxe, hugetlb_missing) { .mem = HUGETLB, .mode = MISSING };
FIXTURE_VARIANT_ADD(rxe, hugetlb_minor) { .mem = HUGETLB, .mode = MINOR };
FIXTURE_VARIANT_ADD(rxe, hugetlb_wp) { .mem = HUGETLB, .mode = WP };

FIXTURE_SETUP(rxe)
{
	struct ibv_device_attr_ex dev = { 0 };
	uint32_t want = IBV_ODP_SUPPORT_READ | IBV_ODP_SUPPORT_WRITE;
	int ret;

	memset(&self->a, 0, sizeof(self->a));
	self->a.uffd = self->a.memfd = -1;
	self->a.mem = variant->mem;
	self->a.mode = variant->mode;
	/* 64 small pages, or 2 huge pages */
	self->a.len = variant->mem == HUGETLB ? 2 * HPAGE_SIZE : 64UL * getpagesize();

	ret = env_setup(&self->env);
	ASSERT_EQ(0, ret) TH_LOG("rxe device: %s", strerror(-ret));
	ASSERT_EQ(0, ibv_query_device_ex(self->env.ctx, NULL, &dev));
	ASSERT_TRUE(dev.odp_caps.general_caps & IBV_ODP_SUPPORT);
	ASSERT_EQ(want, dev.odp_caps.per_transport_caps.rc_odp_caps & want);

	ret = uarea_setup(&self->a);
	ASSERT_EQ(0, ret) TH_LOG("%s area: %s", mode_name[variant->mode], strerror(-ret));
	self->npages = self->a.len / self->a.psize;
	self->odp = ibv_reg_mr(self->env.pd, self->a.base, self->a.len,
			       IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE |
			       IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE);
	ASSERT_NE(NULL, self->odp) TH_LOG("ODP MR: %s", strerror(errno));
	/* registering takes a snapshot only: no page faulted */
	ASSERT_EQ(0, atomic_load(&self->a.faults));
	self->buf = aligned_alloc(getpagesize(), self->a.len);
	ASSERT_NE(NULL, self->buf);
	memset(self->buf, 0, self->a.len);
	self->buf_mr = ibv_reg_mr(self->env.pd, self->buf, self->a.len,
				  IBV_ACCESS_LOCAL_WRITE);
	ASSERT_NE(NULL, self->buf_mr);
}

FIXTURE_TEARDOWN(rxe)
{
	if (self->odp)
		ibv_dereg_mr(self->odp);
	if (self->buf_mr)
		ibv_dereg_mr(self->buf_mr);
	env_teardown(&self->env);
	uarea_teardown(&self->a);
	free(self->buf);
}

/* faults the first access of each page must take, for a read or a write */
static long want_faults(const struct uarea *a, bool write, size_t npages)
{
	if (a->mode == WP && !write)
		return 0;
	return npages;
}

static int rdma(struct __test_metadata *_metadata, FIXTURE_DATA(rxe) *self,
		enum ibv_wr_opcode op, size_t off, size_t len)
{
	struct ibv_wc wc;
	int ret;

	ret = post_rdma(self->env.qb, op, self->buf_mr, self->buf + off, len,
			(uintptr_t)self->a.base + off, self->odp->rkey, op);
	if (ret)
		return ret;
	ret = wait_wc(self->env.cq_b, WC_TIMEOUT_MS, &wc);
	if (ret)
		TH_LOG("%s: %s (%d), handler read %ld faults",
		       op == IBV_WR_RDMA_READ ? "RDMA READ" : "RDMA WRITE",
		       ret > 0 ? ibv_wc_status_str(ret) : strerror(-ret), ret,
		       atomic_load(&self->a.faults));
	return ret;
}

/*
 * The peer reads the area from byte @lo to @lo bytes before its end, and
 * checks those bytes and the handler's count of faults (every page is
 * touched: @lo is under a page). ASSERTs end the test.
 */
static void read_between(struct __test_metadata *_metadata, FIXTURE_DATA(rxe) *self,
			 size_t lo)
{
	size_t len = self->a.len - 2 * lo;
	long bad;

	memset(self->buf, 0, self->a.len);
	ASSERT_EQ(0, rdma(_metadata, self, IBV_WR_RDMA_READ, lo, len));
	bad = check_pattern(self->buf + lo, lo, len);
	ASSERT_EQ(-1, bad) TH_LOG("byte %ld read %#x, the handler served %#x", bad + lo,
				  (uint8_t)self->buf[bad + lo], pattern(bad + lo));
	ASSERT_EQ(want_faults(&self->a, false, self->npages), atomic_load(&self->a.faults));
}

/*
 * The peer writes the area from byte @lo to @lo bytes before its end:
 * every page faults for writing; what the peer did not write is what the
 * handler served, and the CPU's reads find every page there.
 */
static void write_between(struct __test_metadata *_metadata, FIXTURE_DATA(rxe) *self,
			  size_t lo)
{
	size_t len = self->a.len;

	for (size_t i = 0; i < len; i++)
		self->buf[i] = peer_pattern(i);
	ASSERT_EQ(0, rdma(_metadata, self, IBV_WR_RDMA_WRITE, lo, len - 2 * lo));
	ASSERT_EQ(want_faults(&self->a, true, self->npages), atomic_load(&self->a.faults));
	for (size_t i = 0; i < len; i++) {
		uint8_t want = i < lo || i >= len - lo ? pattern(i) : peer_pattern(i);

		ASSERT_EQ(want, (uint8_t)self->a.base[i])
			TH_LOG("byte %zu of %zu (peer wrote %zu..%zu)", i, len, lo, len - lo);
	}
	ASSERT_EQ(want_faults(&self->a, true, self->npages), atomic_load(&self->a.faults));
}

/*
 * The peer reads the whole area: rxe's responder (a kernel worker) faults
 * every page through the handler, except for WP, where the pages are there
 * and a read takes no fault. A second read takes none.
 */
TEST_F(rxe, read)
{
	read_between(_metadata, self, 0);
	read_between(_metadata, self, 0);
	ASSERT_EQ(0, uarea_stop(&self->a));
}

/* The peer writes all but the first and last half page. */
TEST_F(rxe, write)
{
	write_between(_metadata, self, self->a.psize / 2);
	ASSERT_EQ(0, uarea_stop(&self->a));
}

/*
 * The same from byte 100 to 100 bytes before the end: the responder's
 * 1024-byte packets start inside a page and some cross into the next one.
 */
TEST_F(rxe, read_unaligned)
{
	read_between(_metadata, self, 100);
	ASSERT_EQ(0, uarea_stop(&self->a));
}

TEST_F(rxe, write_unaligned)
{
	write_between(_metadata, self, 100);
	ASSERT_EQ(0, uarea_stop(&self->a));
}

/*
 * The owner prefetches the whole MR for writing, synchronously: one fault
 * per page, in the owner's ioctl. The peer's read afterwards takes none.
 */
TEST_F(rxe, prefetch)
{
	int ret;

	ret = advise_mr(self->env.pd, self->odp, self->a.base, self->a.len,
			IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, IBV_ADVISE_MR_FLAG_FLUSH);
	ASSERT_EQ(0, ret) TH_LOG("advise_mr: %s", strerror(ret));
	ASSERT_EQ(self->npages, atomic_load(&self->a.faults));
	/* the handler counts an answer once UFFDIO_COPY returned */
	ASSERT_TRUE(wait_count(&self->a.answered, self->npages, 1000));
	ASSERT_EQ(self->npages, atomic_load(&self->a.answered));
	ASSERT_EQ(0, rdma(_metadata, self, IBV_WR_RDMA_READ, 0, self->a.len));
	ASSERT_EQ(-1, check_pattern(self->buf, 0, self->a.len));
	ASSERT_EQ(self->npages, atomic_load(&self->a.faults));
	ASSERT_EQ(0, uarea_stop(&self->a));
}

/* --- what must not happen: an owner that dies while rxe waits for it --- */

/* Read one byte from @fd within @ms: the byte, or -ETIMEDOUT / -EIO. */
static int read_byte(int fd, long ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, ms) != 1)
		return -ETIMEDOUT;
	return read(fd, &c, 1) == 1 ? c : -EIO;
}

/* What the owner does once rxe waits for its handler. */
enum owner_end {
	PAUSE,		/* nothing: it waits to be killed */
	EXIT,		/* its main thread exits: exit_group() */
	ANSWER,		/* answers when told, then checks the read */
	DESTROY_QP,	/* destroys the QP whose responder waits, says 'X' */
	DEREG_MR,	/* deregisters the MR the responder faults, says 'X' if
			 * the peer's read then failed (remote access error) */
	RESET_QP,	/* moves that QP to RESET, says 'X' */
	/* no peer read: the owner's own prefetch waits instead */
	DEREG_ASYNC,	/* an asynchronous prefetch (rxe's prefetch work),
			 * then the MR deregistered: 'X' */
	DEREG_FLUSH,	/* a synchronous prefetch in another thread, then the
			 * MR deregistered: 'X' if that prefetch failed with
			 * ECANCELED */
	DEREG_OTHER,	/* an asynchronous prefetch of the MR and of a second
			 * ODP MR (over memory with no handler), then the
			 * second MR deregistered: 'X' */
};

struct flush_arg {
	struct rxe_env *e;
	struct ibv_mr *mr;
	struct uarea *a;
	int ret;
};

static void *flush_thread(void *p)
{
	struct flush_arg *f = p;

	f->ret = advise_mr(f->e->pd, f->mr, f->a->base, f->a->len,
			   IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, IBV_ADVISE_MR_FLAG_FLUSH);
	return NULL;
}

/*
 * The owner, in a process of its own: a MISSING area whose handler reads
 * faults and answers none, an ODP MR over it, and an RDMA READ of its
 * first page by the peer QP. rxe's responder faults the page from a
 * kernel worker and waits for the handler. The owner says 'W' on @out
 * once the handler has read the fault, then does @end; ANSWER waits for
 * 'A' on @in, answers, and says 'D' if the read completed with the
 * handler's data. @uffd_first: the userfaultfd is opened (and gets the
 * lower file descriptor) before the verbs device, else after; an exiting
 * process releases its files in that order.
 */
static void __attribute__((noreturn)) owner(int out, int in, bool uffd_first,
					     enum owner_end end)
{
	struct uarea a = { .mem = ANON, .mode = MISSING, .uffd = -1, .memfd = -1 };
	struct rxe_env e = { 0 };
	struct flush_arg fa = { .e = &e, .a = &a, .ret = -1 };
	struct ibv_mr *other_mr = NULL;
	struct uffdio_copy c;
	char *other = NULL;
	pthread_t flusher;
	struct ibv_mr *odp, *mr;
	struct ibv_wc wc;
	char *buf;

	a.len = 16UL * getpagesize();
	atomic_store(&a.never_answer, 1);
	if (uffd_first && uarea_setup(&a))
		_exit(10);
	if (env_setup(&e))
		_exit(11);
	if (!uffd_first && uarea_setup(&a))
		_exit(12);
	odp = ibv_reg_mr(e.pd, a.base, a.len, IBV_ACCESS_ON_DEMAND |
			 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ);
	buf = aligned_alloc(getpagesize(), a.len);
	mr = buf ? ibv_reg_mr(e.pd, buf, a.len, IBV_ACCESS_LOCAL_WRITE) : NULL;
	if (!odp || !mr)
		_exit(13);
	if (end == DEREG_OTHER) {
		other = mmap(NULL, a.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);
		other_mr = other == MAP_FAILED ? NULL :
			   ibv_reg_mr(e.pd, other, a.len, IBV_ACCESS_ON_DEMAND |
				      IBV_ACCESS_LOCAL_WRITE);
		if (!other_mr)
			_exit(13);
	}
	if (end == DEREG_ASYNC) {
		if (advise_mr(e.pd, odp, a.base, a.len, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, 0))
			_exit(14);
	} else if (end == DEREG_OTHER) {
		struct ibv_sge sge[2] = {
			{ .addr = (uintptr_t)a.base, .length = a.len, .lkey = odp->lkey },
			{ .addr = (uintptr_t)other, .length = a.len, .lkey = other_mr->lkey },
		};

		if (advise_sges(e.pd, sge, 2, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, 0))
			_exit(14);
	} else if (end == DEREG_FLUSH) {
		fa.mr = odp;
		if (pthread_create(&flusher, NULL, flush_thread, &fa))
			_exit(14);
	} else if (post_rdma(e.qb, IBV_WR_RDMA_READ, mr, buf, PKT, (uintptr_t)a.base,
			     odp->rkey, 1)) {
		_exit(14);
	}
	if (!wait_count(&a.faults, 1, WC_TIMEOUT_MS))
		_exit(15);
	if (write(out, "W", 1) != 1)
		_exit(16);
	if (end == PAUSE) {
		for (;;)
			pause();
	}
	if (end == EXIT)
		_exit(0);
	if (end == DESTROY_QP) {
		if (ibv_destroy_qp(e.qa))
			_exit(21);
		if (write(out, "X", 1) != 1)
			_exit(22);
		for (;;)
			pause();
	}
	if (end == RESET_QP) {
		struct ibv_qp_attr reset = { .qp_state = IBV_QPS_RESET };

		if (ibv_modify_qp(e.qa, &reset, IBV_QP_STATE))
			_exit(26);
		if (write(out, "X", 1) != 1)
			_exit(27);
		for (;;)
			pause();
	}
	if (end == DEREG_OTHER) {
		/* its prefetch is done or never waited: it must not wait */
		if (ibv_dereg_mr(other_mr))
			_exit(31);
		if (write(out, "X", 1) != 1)
			_exit(32);
		for (;;)
			pause();
	}
	if (end == DEREG_ASYNC || end == DEREG_FLUSH) {
		if (ibv_dereg_mr(odp))
			_exit(28);
		if (end == DEREG_FLUSH && (pthread_join(flusher, NULL) || fa.ret != ECANCELED))
			_exit(29);
		if (write(out, "X", 1) != 1)
			_exit(30);
		for (;;)
			pause();
	}
	if (end == DEREG_MR) {
		if (ibv_dereg_mr(odp))
			_exit(23);
		/* the read fails: its MR went while the responder faulted */
		if (wait_wc(e.cq_b, WC_TIMEOUT_MS, &wc) != IBV_WC_REM_ACCESS_ERR)
			_exit(24);
		if (write(out, "X", 1) != 1)
			_exit(25);
		for (;;)
			pause();
	}
	if (read_byte(in, 60000) != 'A')
		_exit(17);
	/* the handler read the fault and let it be: answer it here */
	fill(a.page, 0, a.psize);
	c = (struct uffdio_copy){
		.dst = (unsigned long)a.base, .src = (unsigned long)a.page,
		.len = a.psize,
	};
	if (ioctl(a.uffd, UFFDIO_COPY, &c))
		_exit(18);
	if (wait_wc(e.cq_b, WC_TIMEOUT_MS, &wc) || check_pattern(buf, 0, PKT) != -1)
		_exit(19);
	if (write(out, "D", 1) != 1)
		_exit(20);
	_exit(0);
}

/*
 * The tasks in D state, but for @self: their count, and the first one's
 * name in @who.
 */
static int tasks_in_d(char *who, size_t len)
{
	FILE *f = popen("for s in /proc/[0-9]*/task/[0-9]*/stat; do cat $s; done 2>/dev/null", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *r = strrchr(line, ')');

		if (r && r[1] == ' ' && r[2] == 'D') {
			if (!n++)
				snprintf(who, len, "%.*s", (int)(r - line + 1), line);
		}
	}
	pclose(f);
	return n;
}

/* Wait up to @ms for @pid to end: its wait status, or -1 if it did not. */
static int reap(pid_t pid, long ms)
{
	long end = now_ms() + ms;
	int st;

	do {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(10000);
	} while (now_ms() < end);
	return -1;
}

/* The state letter and wchan of @pid, for a log line. */
static void describe(pid_t pid, char *buf, size_t len)
{
	char path[64], stat[256] = "?", wchan[64] = "?";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(stat, sizeof(stat), f))
			strcpy(stat, "?");
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(wchan, sizeof(wchan), f))
			strcpy(wchan, "?");
		fclose(f);
	}
	snprintf(buf, len, "stat: %.60s wchan: %s", stat, wchan);
}

/*
 * A process of the liveness tests' own: an ODP MR over 4 pages filled with
 * the pattern (no userfaultfd), read one packet at a time into a plain MR
 * by the second QP.
 */
struct reader {
	struct rxe_env e;
	char *src, *dst;
	struct ibv_mr *odp, *mr;
};

static int reader_setup(struct reader *r)
{
	size_t len = 4UL * getpagesize();

	memset(r, 0, sizeof(*r));
	r->src = aligned_alloc(getpagesize(), len);
	r->dst = aligned_alloc(getpagesize(), len);
	if (!r->src || !r->dst || env_setup(&r->e))
		return -1;
	fill(r->src, 0, len);
	r->odp = ibv_reg_mr(r->e.pd, r->src, len, IBV_ACCESS_ON_DEMAND |
			    IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ);
	r->mr = ibv_reg_mr(r->e.pd, r->dst, len, IBV_ACCESS_LOCAL_WRITE);
	return r->odp && r->mr ? 0 : -1;
}

/* One RDMA READ of a packet: 0 if it completed with the pattern. */
static int reader_read(struct reader *r, uint64_t id)
{
	struct ibv_wc wc;

	memset(r->dst, 0, PKT);
	if (post_rdma(r->e.qb, IBV_WR_RDMA_READ, r->mr, r->dst, PKT, (uintptr_t)r->src,
		      r->odp->rkey, id) ||
	    wait_wc(r->e.cq_b, WC_TIMEOUT_MS, &wc) || check_pattern(r->dst, 0, PKT) != -1)
		return -1;
	return 0;
}

static void reader_teardown(struct reader *r)
{
	if (r->odp)
		ibv_dereg_mr(r->odp);
	if (r->mr)
		ibv_dereg_mr(r->mr);
	env_teardown(&r->e);
	free(r->src);
	free(r->dst);
}

/* After the owner is gone: the device still serves a new process's read. */
static int device_works(void)
{
	struct reader r;
	int ret = reader_setup(&r) ? -1 : reader_read(&r, 1);

	reader_teardown(&r);
	return ret;
}

FIXTURE(owner_gone) {
	pid_t pid;
	int pipe[2];
};

FIXTURE_VARIANT(owner_gone) {
	bool uffd_first;
	enum owner_end end;	/* what the owner does; all but EXIT are killed */
};

FIXTURE_VARIANT_ADD(owner_gone, killed_uffd_first) {
	.uffd_first = true, .end = PAUSE };
FIXTURE_VARIANT_ADD(owner_gone, killed_verbs_first) {
	.uffd_first = false, .end = PAUSE };
FIXTURE_VARIANT_ADD(owner_gone, exits_uffd_first) {
	.uffd_first = true, .end = EXIT };
FIXTURE_VARIANT_ADD(owner_gone, exits_verbs_first) {
	.uffd_first = false, .end = EXIT };
FIXTURE_VARIANT_ADD(owner_gone, destroy_qp_then_killed) {
	.uffd_first = true, .end = DESTROY_QP };
FIXTURE_VARIANT_ADD(owner_gone, dereg_mr_then_killed) {
	.uffd_first = true, .end = DEREG_MR };
FIXTURE_VARIANT_ADD(owner_gone, reset_qp_then_killed) {
	.uffd_first = true, .end = RESET_QP };
FIXTURE_VARIANT_ADD(owner_gone, async_prefetch_dereg) {
	.uffd_first = true, .end = DEREG_ASYNC };
FIXTURE_VARIANT_ADD(owner_gone, flush_prefetch_dereg) {
	.uffd_first = true, .end = DEREG_FLUSH };
FIXTURE_VARIANT_ADD(owner_gone, async_prefetch_dereg2) {
	.uffd_first = true, .end = DEREG_OTHER };

FIXTURE_SETUP(owner_gone)
{
	self->pid = -1;
	ASSERT_EQ(0, pipe(self->pipe));
}

FIXTURE_TEARDOWN(owner_gone)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		reap(self->pid, 1000);
	}
	close(self->pipe[0]);
	close(self->pipe[1]);
}

/*
 * The owner goes (killed, or exiting on its own with its handler thread)
 * while rxe's responder waits for its handler. Its exit must finish: no
 * process left behind, none in D state, no kernel message, and the
 * device serves the next process.
 */
TEST_F(owner_gone, while_rxe_waits)
{
	bool killed = variant->end != EXIT;
	char why[256], who[128] = "";
	int st, c;

	self->pid = fork();
	ASSERT_LE(0, self->pid);
	if (!self->pid)
		owner(self->pipe[1], -1, variant->uffd_first, variant->end);
	c = read_byte(self->pipe[0], WC_TIMEOUT_MS);
	ASSERT_EQ('W', c) TH_LOG("the owner did not reach the wait (%d)", c);
	if (variant->end >= DESTROY_QP) {
		/*
		 * The owner's teardown must not wait for the handler: the
		 * responder's fault is cancelled, and a deregistered MR's read
		 * completes with a remote access error.
		 */
		long t = now_ms();

		c = read_byte(self->pipe[0], 2000);
		TH_LOG("the teardown returned %ld ms after the fault waited", now_ms() - t);
		ASSERT_EQ('X', c) TH_LOG("the owner's teardown (%d) did not return within 2 s (%d)",
					 variant->end, c);
	}
	if (killed)
		ASSERT_EQ(0, kill(self->pid, SIGKILL));
	st = reap(self->pid, 10000);
	describe(self->pid, why, sizeof(why));
	ASSERT_NE(-1, st) TH_LOG("the owner did not end within 10 s; %s", why);
	self->pid = -1;
	if (killed) {
		ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	} else {
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status %#x", st);
	}
	usleep(200000);
	ASSERT_EQ(0, tasks_in_d(who, sizeof(who))) TH_LOG("in D state: %s", who);
	ASSERT_EQ(0, device_works());
}

/*
 * A prefetch of an MR that is not ODP is refused (EINVAL), synchronous or
 * not: rxe used to take its umem for an ODP one.
 */
TEST(advise_plain_mr)
{
	size_t len = 4UL * getpagesize();
	char *p = aligned_alloc(getpagesize(), len);
	struct rxe_env e = { 0 };
	struct ibv_mr *mr;

	ASSERT_NE(NULL, p);
	memset(p, 1, len);
	ASSERT_EQ(0, env_setup(&e));
	mr = ibv_reg_mr(e.pd, p, len, IBV_ACCESS_LOCAL_WRITE);
	ASSERT_NE(NULL, mr);
	EXPECT_EQ(EINVAL, advise_mr(e.pd, mr, p, len, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
				    IBV_ADVISE_MR_FLAG_FLUSH));
	EXPECT_EQ(EINVAL, advise_mr(e.pd, mr, p, len, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, 0));
	EXPECT_EQ(0, ibv_dereg_mr(mr));
	env_teardown(&e);
	free(p);
}

/*
 * Another process's traffic while the owner's handler stalls: process B
 * reads its own ODP memory between its own two QPs of the same device,
 * for STALL_MS, while rxe's responder for the owner (A) waits for A's
 * handler, which answers only after B is done. B must go on: rxe runs
 * each QP's work on its own work item (rxe_wq is unbound), so one waiting
 * responder holds up only its own QP. The numbers (reads, slowest read)
 * are logged.
 */
#define STALL_MS	2000

/* B: read one packet over and over for STALL_MS; "COUNT MAXMS" on @out. */
static void __attribute__((noreturn)) other_process(int out)
{
	long count = 0, worst = 0, end;
	struct reader r;
	char msg[64];
	int n;

	if (reader_setup(&r))
		_exit(10);
	end = now_ms() + STALL_MS;
	while (now_ms() < end) {
		long t = now_ms();

		if (reader_read(&r, count))
			_exit(12);
		count++;
		if (now_ms() - t > worst)
			worst = now_ms() - t;
	}
	n = snprintf(msg, sizeof(msg), "%ld %ld\n", count, worst);
	_exit(write(out, msg, n) == n ? 0 : 13);
}

TEST(stall_other_process)
{
	int a[2], cmd[2], b[2], st;
	long count = -1, worst = -1;
	pid_t pa, pb;
	char msg[64] = "";
	FILE *f;

	ASSERT_EQ(0, pipe(a));
	ASSERT_EQ(0, pipe(cmd));
	ASSERT_EQ(0, pipe(b));
	pa = fork();
	ASSERT_LE(0, pa);
	if (!pa)
		owner(a[1], cmd[0], true, ANSWER);
	ASSERT_EQ('W', read_byte(a[0], WC_TIMEOUT_MS));
	pb = fork();
	ASSERT_LE(0, pb);
	if (!pb)
		other_process(b[1]);
	close(b[1]);
	f = fdopen(b[0], "r");
	ASSERT_NE(NULL, f);
	if (!fgets(msg, sizeof(msg), f) || sscanf(msg, "%ld %ld", &count, &worst) != 2)
		count = -1;
	fclose(f);
	st = reap(pb, WC_TIMEOUT_MS);
	/* the owner's read still waits: answer it now */
	ASSERT_EQ(1, write(cmd[1], "A", 1));
	ASSERT_EQ('D', read_byte(a[0], WC_TIMEOUT_MS)) TH_LOG("the owner's read did not complete");
	ASSERT_EQ(0, reap(pa, WC_TIMEOUT_MS));
	ASSERT_EQ(0, st) TH_LOG("the other process: status %#x", st);
	TH_LOG("while the owner's responder waited, another process did %ld 1-KiB RDMA READs in %d ms, the slowest %ld ms",
	       count, STALL_MS, worst);
	ASSERT_LE(10, count);
	ASSERT_GT(STALL_MS / 2, worst);
}

/* --- the benchmark (--bench) --- */

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* One measurement: ns, or -1 on failure (with a NOTE line). */
static double bench_one(struct rxe_env *e, const char *method, size_t size)
{
	struct uarea a = { .mem = ANON, .mode = MISSING, .uffd = -1, .memfd = -1,
			   .len = size, .constant = true };
	struct ibv_mr *odp = NULL;
	size_t pages = size / getpagesize();
	double t0, t = -1;
	int ret;

	ret = uarea_setup(&a);
	if (ret) {
		printf("NOTE %s: area of %zu MiB: %s\n", method, size >> 20, strerror(-ret));
		goto out;
	}
	memset(a.page, 0x5a, a.psize);
	if (!strcmp(method, "cpu_touch")) {
		volatile char sink;

		t0 = now_ns();
		for (size_t off = 0; off < size; off += a.psize)
			sink = a.base[off];
		(void)sink;
		t = now_ns() - t0;
	} else {
		odp = ibv_reg_mr(e->pd, a.base, size, IBV_ACCESS_ON_DEMAND |
				 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ);
		if (!odp) {
			printf("NOTE %s: ODP MR of %zu MiB: %s\n", method, size >> 20,
			       strerror(errno));
			goto out;
		}
		t0 = now_ns();
		ret = advise_mr(e->pd, odp, a.base, size, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
				IBV_ADVISE_MR_FLAG_FLUSH);
		t = now_ns() - t0;
		if (ret) {
			printf("NOTE %s: advise_mr over %zu MiB: %s\n", method, size >> 20,
			       strerror(ret));
			t = -1;
			goto out;
		}
	}
	/* the handler counts a page once UFFDIO_COPY returned: let it finish */
	for (int i = 0; i < 100 && atomic_load(&a.answered) < (long)pages; i++)
		usleep(10000);
	printf("RESULT method=%s mib=%zu pages=%zu ns_per_page=%.0f total_ms=%.1f faults=%ld walks=0\n",
	       method, size >> 20, pages, t / pages, t / 1e6, atomic_load(&a.answered));
	fflush(stdout);
	if (atomic_load(&a.answered) != (long)pages || a.base[size - 1] != 0x5a) {
		printf("NOTE %s: the handler served %ld of %zu pages\n", method,
		       atomic_load(&a.answered), pages);
		t = -1;
	}
out:
	if (odp)
		ibv_dereg_mr(odp);
	uarea_teardown(&a);
	return t;
}

static int bench(int argc, char **argv)
{
	const char *sizes = "2,4,8,16,128,1024", *methods[] = { "cpu_touch", "rxe_prefetch" };
	double limit = 120, last_ns = 0;
	size_t last_size = 0;
	bool quadratic = false;
	struct rxe_env e = { 0 };
	char *list, *tok;
	int ret;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
			sizes = argv[++i];
		} else if (!strcmp(argv[i], "--restart-limit") && i + 1 < argc) {
			limit = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--quadratic")) {
			quadratic = true;
		} else {
			fprintf(stderr, "usage: %s --bench [--sizes MIB,...] [--quadratic] "
				"[--restart-limit SECONDS]\n", argv[0]);
			return 2;
		}
	}
	ret = env_setup(&e);
	if (ret) {
		printf("not ok 1 rxe-bench # rxe device: %s\n", strerror(-ret));
		return 1;
	}
	printf("NOTE method: guest CLOCK_MONOTONIC; under qemu -icount shift=0,sleep=off 1 ns = 1 instruction\n");
	printf("NOTE methods: cpu_touch rxe_prefetch\n");
	list = strdup(sizes);
	for (tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		size_t size = strtoul(tok, NULL, 10) << 20;

		for (int m = 0; m < 2; m++) {
			double t;

			if (m == 1 && quadratic && last_size) {
				double r = (double)size / last_size, predict = last_ns * r * r / 1e9;

				if (predict > limit) {
					printf("NOTE rxe_prefetch skipped at %zu MiB: %.1f s at %zu MiB predicts %.0f s, over the %.0f s limit\n",
					       size >> 20, last_ns / 1e9, last_size >> 20, predict, limit);
					continue;
				}
			}
			t = bench_one(&e, methods[m], size);
			if (t < 0) {
				printf("not ok 1 rxe-bench\n");
				return 1;
			}
			if (m == 1) {
				last_ns = t;
				last_size = size;
			}
		}
	}
	free(list);
	env_teardown(&e);
	printf("ok 1 rxe-bench\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--bench"))
		return bench(argc, argv);
	return test_harness_run(argc, argv);
}
