/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * No lost wakeup: a receiver that randomly alternates between polling and
 * sleeping on an eventfd, against a sender with random gaps that rings the
 * eventfd only when ivr_tx_publish() says the receiver is armed. The
 * sender often waits until the receiver has taken everything it sent: a
 * receiver asleep then, with frames it has not taken and no kick in its
 * eventfd, will never be woken. That state, not a time, is the lost
 * wakeup: the receiver looks for it every NAP_MS of sleep, and fails the
 * test with both sides' state printed.
 *
 *   test_ring_wakeup [--cycles N] [--seed S]
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ivr_queue.h"
#include "ivshmem_parse.h"
#include "ivshmem_ring.h"
#include "t_helpers.h"

#define NAP_MS		100	/* a sleeping receiver looks at the sender */

static const struct ivr_config cfg = {
	.n_queues = 1, .ring_size = 256, .buf_size = 128, .max_frame = 128,
	.doorbell_id = IVR_NO_DOORBELL, .features = IVR_F_ALL,
};

struct shared {
	struct ivr_region a, b;
	struct ivr_tx *tx;
	struct ivr_rx rx;
	int efd;
	uint64_t sent, received, sleeps, kicks;
	int parked;		/* the sender waits for received == sent */
	int stop;
	uint64_t seed;
};

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
spin(uint64_t n)
{
	for (volatile uint64_t i = 0; i < n; i++)
		;
}

static void *
sender(void *arg)
{
	struct shared *sh = arg;
	struct ivr_tx *t = sh->tx;
	uint64_t s = sh->seed * 2 + 1, seq = 0;

	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		uint32_t n = 1 + rnd(&s) % 8, room = ivr_tx_space(t, n);

		if (room < n)
			n = room;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t id = ivr_tx_buf_get(t);

			memcpy(ivr_tx_buf(t, id), &seq, sizeof(seq));
			seq++;
			ivr_tx_push(t, id, sizeof(seq), 0);
		}
		if (ivr_tx_publish(t, n)) {
			uint64_t one = 1;

			if (write(sh->efd, &one, sizeof(one)) != sizeof(one))
				abort();
			sh->kicks++;
		}
		__atomic_store_n(&sh->sent, seq, __ATOMIC_RELEASE);
		/* Often wait until the receiver has taken everything, as a
		 * request/response peer does: a receiver asleep with frames
		 * pending is then never rescued by a later publish. Parked
		 * after the kick's write(): a receiver that sees parked sees
		 * the kick too, if there was one. */
		if (rnd(&s) % 2 == 0) {
			__atomic_store_n(&sh->parked, 1, __ATOMIC_RELEASE);
			while (__atomic_load_n(&sh->received, __ATOMIC_ACQUIRE) != seq &&
					!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE))
				;
			__atomic_store_n(&sh->parked, 0, __ATOMIC_RELEASE);
		}
		/* Random gaps: none, a short spin, or a syscall-length pause,
		 * so the receiver finds the ring empty often and at every
		 * phase of the sender's publish. */
		switch (rnd(&s) % 4) {
		case 0: break;
		case 1: spin(rnd(&s) % 200); break;
		case 2: spin(rnd(&s) % 5000); break;
		default: if (rnd(&s) % 16 == 0) usleep(20); break;
		}
	}
	return NULL;
}

/*
 * A receiver that armed and sleeps: is it lost? Yes when the sender is
 * parked, waiting for frames the receiver has not taken, and no kick is
 * in the eventfd: nothing will ever wake it.
 */
static bool
lost_wakeup(struct shared *sh)
{
	struct pollfd p = { .fd = sh->efd, .events = POLLIN };

	if (!__atomic_load_n(&sh->parked, __ATOMIC_ACQUIRE) ||
			__atomic_load_n(&sh->sent, __ATOMIC_ACQUIRE) == sh->received)
		return false;
	return poll(&p, 1, 0) == 0;
}

static void
dump(const struct shared *sh)
{
	const struct ivr_queue_ctl *rc = sh->rx.ctl, *tc = sh->tx->ctl;

	t_log("state: sender prod=%u (ctl %u) last_kick=%u kicks=%" PRIu64 " sent=%" PRIu64,
		sh->tx->prod, tc->tx.prod, sh->tx->last_kick, sh->kicks,
		__atomic_load_n(&sh->sent, __ATOMIC_ACQUIRE));
	t_log("       receiver cons=%u (ctl %u) armed=%u (ctl %u) received=%" PRIu64 " sleeps=%" PRIu64,
		sh->rx.cons, rc->rx.cons, sh->rx.armed, rc->notify.armed,
		sh->received, sh->sleeps);
	t_log("       sessions tx=%d rx=%d", sh->tx->in_session, sh->rx.in_session);
}

int
main(int argc, char **argv)
{
	uint64_t cycles = 1000000, expect = 0, s;
	struct shared sh;
	uint64_t size = ivr_region_size_for(&cfg);
	void *base = NULL;
	pthread_t th;
	int failed = 0;

	t_init("test_ring_wakeup");
	memset(&sh, 0, sizeof(sh));
	sh.seed = 1;
	for (int i = 1; i < argc; i++) {
		static const struct ivn_spec cycles_spec = IVN_UINT(1, UINT64_MAX);
		static const struct ivn_spec seed_spec = IVN_UINT(0, UINT64_MAX);
		const char *a = argv[i], *val = i + 1 < argc ? argv[++i] : NULL;
		const struct ivn_spec *sp = strcmp(a, "--cycles") == 0 ? &cycles_spec :
			strcmp(a, "--seed") == 0 ? &seed_spec : NULL;
		char err[IVN_ERR_LEN];

		if (sp == NULL)
			t_fail("usage: %s [--cycles N] [--seed S]", argv[0]);
		if (ivn_parse(a, val, sp, sp == &seed_spec ? &sh.seed : &cycles,
				err, sizeof(err)) != 0)
			t_fail("%s", err);
	}
	s = sh.seed * 7 + 3;
	if (posix_memalign(&base, 4096, size) != 0)
		t_fail("posix_memalign of %llu bytes failed", (unsigned long long)size);
	memset(base, 0, size);
	if (ivr_attach(&sh.a, base, size, &cfg, NULL) != 0 ||
			ivr_attach(&sh.b, base, size, &cfg, NULL) != 0)
		t_fail("attach: %s %s", sh.a.errmsg, sh.b.errmsg);
	sh.tx = calloc(1, ivr_tx_size(cfg.ring_size));
	ivr_tx_init(sh.tx, &sh.a, 0);
	ivr_tx_set_notify(sh.tx, true);
	ivr_rx_init(&sh.rx, &sh.b, 0);
	sh.efd = eventfd(0, EFD_CLOEXEC);
	/* Sessions first, so the sender's kicks mean something. */
	ivr_rx_begin(&sh.rx);
	ivr_tx_space(sh.tx, 1);
	ivr_rx_begin(&sh.rx);
	pthread_create(&th, NULL, sender, &sh);

	while (sh.sleeps < cycles && !failed) {
		struct ivr_frame f;
		uint32_t n = 0;

		ivr_rx_begin(&sh.rx);
		while (n < 32 && ivr_rx_next(&sh.rx, &f)) {
			uint64_t seq;

			memcpy(&seq, f.seg[0].data, sizeof(seq));
			if (seq != expect) {
				t_failed("got seq %" PRIu64 ", expected %" PRIu64,
						seq, expect);
				failed = 1;
			}
			expect++;
			n++;
		}
		if (!ivr_rx_end(&sh.rx, n)) {
			t_failed("session changed mid-test");
			failed = 1;
		}
		__atomic_store_n(&sh.received, sh.received + n, __ATOMIC_RELEASE);
		/* Poll some more, or try to sleep. */
		if (rnd(&s) % 2 == 0 && ivr_rx_arm(&sh.rx)) {
			struct pollfd p = { .fd = sh.efd, .events = POLLIN };
			uint64_t cnt;
			int r;

			while ((r = poll(&p, 1, NAP_MS)) == 0 && !lost_wakeup(&sh))
				;
			if (r == 0) {
				t_failed("lost wakeup: asleep, armed, %" PRIu64 " frames sent "
						"and not taken, no kick, and the sender waiting for them",
						__atomic_load_n(&sh.sent, __ATOMIC_ACQUIRE) - sh.received);
				dump(&sh);
				failed = 1;
				break;
			}
			if (r < 0 || read(sh.efd, &cnt, sizeof(cnt)) != sizeof(cnt)) {
				t_failed("poll/read of the eventfd: %s", strerror(errno));
				failed = 1;
			}
			ivr_rx_disarm(&sh.rx);
			sh.sleeps++;
		}
	}
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	T_EXPECT(sh.sleeps == cycles, "%" PRIu64 " of %" PRIu64 " sleep/wake cycles, "
			"%" PRIu64 " frames in order, %" PRIu64 " kicks (%.3f per frame)",
			sh.sleeps, cycles, sh.received, sh.kicks,
			sh.received ? (double)sh.kicks / (double)sh.received : 0.0);
	free(sh.tx);
	free(base);
	return t_finish();
}
