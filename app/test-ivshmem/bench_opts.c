/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command line of ivshmem-bench: a table of options, each with its field in
 * struct bench_opts, its kind and its range; one strict parser per kind. An
 * error names the option, the value and what is allowed.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const char *const role_names[] = {
	[BENCH_RX] = "rx", [BENCH_TX] = "tx", [BENCH_BIDIR] = "bidir",
	[BENCH_PING] = "ping", [BENCH_PONG] = "pong", [BENCH_C2C] = "c2c",
};
static const char *const mode_names[] = {
	[BENCH_POLL] = "poll", [BENCH_INTR] = "intr",
};

enum opt_kind {
	K_FLAG,		/* bool, no value */
	K_UINT,		/* decimal integer in [umin, umax], 2, 4 or 8 bytes */
	K_SECONDS,	/* seconds with a fraction in [smin, smax], stored in ms */
	K_WORD,		/* one of words[], stored as its index (an enum) */
};

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t off, size;	/* the field in struct bench_opts */
	uint64_t umin, umax;
	double smin, smax;
	const char *const *words;
	unsigned int n_words;
	const char *allowed;	/* K_WORD, for the error message */
};

#define FIELD(f)	offsetof(struct bench_opts, f), sizeof(((struct bench_opts *)0)->f)
#define UINT(n, f, lo, hi)	{ n, K_UINT, FIELD(f), .umin = lo, .umax = hi }
#define SECONDS(n, f, lo, hi)	{ n, K_SECONDS, FIELD(f), .smin = lo, .smax = hi }
#define FLAG(n, f)		{ n, K_FLAG, FIELD(f), .umax = 1 }
#define WORD(n, f, w, a)	{ n, K_WORD, FIELD(f), .words = w, .n_words = RTE_DIM(w), .allowed = a }

static const struct opt opts[] = {
	WORD("role", role, role_names, "rx, tx, bidir, ping, pong or c2c"),
	UINT("port", port, 0, RTE_MAX_ETHPORTS - 1),
	UINT("queues", queues, 1, BENCH_MAX_QUEUES),
	UINT("size", size, BENCH_MIN_SIZE, BENCH_MAX_SIZE),
	UINT("burst", burst, 1, BENCH_MAX_BURST),
	SECONDS("duration", duration_ms, 0.1, 86400),
	SECONDS("warmup", warmup_ms, 0, 3600),
	WORD("rx-mode", rx_mode, mode_names, "poll or intr"),
	UINT("sleep-after", sleep_after, 0, 1000000000),
	UINT("count", count, 0, UINT64_MAX >> 1),
	UINT("pool", pool, 1024, 1u << 24),
	SECONDS("link-timeout", link_timeout_ms, 0, 3600),
	SECONDS("idle", idle_ms, 0.01, 3600),
	SECONDS("ping-timeout", ping_timeout_ms, 0.001, 60),
	SECONDS("timeout", timeout_ms, 0.1, 90000),
	SECONDS("linger", linger_ms, 0, 600),
	FLAG("json", json),
	FLAG("progress", progress),
	FLAG("xstats", xstats),
};

const char *
bench_role_name(enum bench_role r)
{
	return role_names[r];
}

bool
bench_role_sends(enum bench_role r)
{
	return r == BENCH_TX || r == BENCH_BIDIR || r == BENCH_PING;
}

bool
bench_role_receives(enum bench_role r)
{
	return r == BENCH_RX || r == BENCH_PONG;
}

void
bench_usage(FILE *f)
{
	fprintf(f,
"Usage: " BENCH_PROG " [EAL options] -- [options]\n"
"Measures one end of a packet path on any ethdev port (net_ivshmem,\n"
"net_memif, virtio-user/vhost): run one process per end, each with its own\n"
"--file-prefix and its own core.\n"
"\n"
"Roles:\n"
"  rx     count what arrives (the default)   tx     send as fast as the\n"
"  bidir  send and receive on every queue            port takes, retrying\n"
"  ping   send one packet (or --burst) with a TSC stamp, wait for its echo,\n"
"         record the round trip              pong   echo every packet back\n"
"  c2c    no port: the cache-line round trip between the main lcore and a\n"
"         worker (-l 0,1), the floor under any shared-memory RTT\n"
"\n"
"  --role R            rx, tx, bidir, ping, pong or c2c (default rx)\n"
"  --port N            port id (default 0)\n"
"  --queues Q          drive queues 0..Q-1, 1..%d (default 1); one lcore\n"
"                      loops over them, or each worker lcore takes its share\n"
"  --size BYTES        frame size, Ethernet header included, no FCS,\n"
"                      %d..%d (default 64); above the mbuf data room (2048)\n"
"                      frames are multi-segment\n"
"  --burst N           packets per rx/tx burst, 1..%d (default 32; ping: 1)\n"
"  --duration S        measurement window (default 10)\n"
"  --warmup S          traffic before the window, not measured (default 1)\n"
"  --rx-mode M         poll, or intr: sleep in rte_epoll_wait when idle\n"
"                      (the port must support RX interrupts) (default poll)\n"
"  --sleep-after N     intr: empty poll rounds before sleeping (default 0)\n"
"  --count N           ping: round-trip samples to take in the window, then\n"
"                      stop (default 0: until --duration ends); c2c: round\n"
"                      trips (default 200000)\n"
"  --pool N            mbufs in the pool (default: enough for every ring)\n"
"  --link-timeout S    wait this long for link up, then fail (default 10)\n"
"  --idle S            rx, pong: after the window, stop once nothing came for\n"
"                      S seconds, so that totals include all the peer sent\n"
"                      (default 2)\n"
"  --ping-timeout S    ping: an echo not back after S is lost (default 1)\n"
"  --timeout S         stop in any case after S (default: warmup + duration\n"
"                      + 60)\n"
"  --linger S          once the loop ends, wait S before closing the port\n"
"                      (default 0). Give the side that stops first more than\n"
"                      the peer's --idle when the PMD is not safe against a\n"
"                      peer leaving while it polls (net_memif, vhost): then\n"
"                      neither side polls while the other disconnects\n"
"  --json              one JSON object on stdout at the end, all else on\n"
"                      stderr\n"
"  --progress          a line per second on stderr\n"
"  --xstats            at the end, print every non-zero xstat of the port\n"
"  --help              this text\n"
"\n"
"Seconds may have a fraction (0.5). Senders (tx, bidir, ping) start the\n"
"window --warmup after link up; receivers (rx, pong) --warmup after the\n"
"first packet. Rates are over the window; totals over the whole run.\n"
"Mpps and Gbps: gbps_l2 counts frame bits (size * 8), gbps_wire adds the\n"
"Ethernet overhead a NIC would put on the wire (size + %d bytes: preamble,\n"
"SFD, inter-frame gap, FCS). Cycles are TSC cycles of the lcore: loop\n"
"cycles per packet are what one core spends per packet when it busy-polls.\n"
"Exit status: 0 done; 1 the run failed (link lost, no traffic, an lcore\n"
"gave up); 2 bad options or the port would not come up.\n",
		BENCH_MAX_QUEUES, BENCH_MIN_SIZE, BENCH_MAX_SIZE,
		BENCH_MAX_BURST, BENCH_WIRE_OVERHEAD);
}

/* Says what is wrong with the value of option d; returns -1. */
static int __attribute__((format(printf, 3, 4)))
bad(const struct opt *d, const char *val, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, BENCH_PROG ": --%s '%s': %s (see --help)\n", d->name, val, why);
	return -1;
}

/* K_UINT: all of val a decimal number in range. */
static int
parse_uint(const struct opt *d, const char *val, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(val, &end, 10);
	if (*val < '0' || *val > '9' || errno != 0 || *end != '\0')
		return bad(d, val, "not a number: allowed %" PRIu64 "..%" PRIu64,
				d->umin, d->umax);
	if (v < d->umin || v > d->umax)
		return bad(d, val, "out of range: allowed %" PRIu64 "..%" PRIu64,
				d->umin, d->umax);
	*out = v;
	return 0;
}

/* K_SECONDS: seconds, maybe with a fraction, into milliseconds. */
static int
parse_seconds(const struct opt *d, const char *val, uint64_t *ms)
{
	double s;
	char *end;

	errno = 0;
	s = strtod(val, &end);
	if (*val < '0' || *val > '9' || errno != 0 || *end != '\0' || !isfinite(s))
		return bad(d, val, "not a number of seconds: allowed %g..%g",
				d->smin, d->smax);
	if (s < d->smin || s > d->smax)
		return bad(d, val, "out of range: allowed %g..%g seconds",
				d->smin, d->smax);
	*ms = (uint64_t)(s * 1000 + 0.5);
	return 0;
}

/* K_WORD: one of the words, as its index. */
static int
parse_word(const struct opt *d, const char *val, uint64_t *out)
{
	for (unsigned int i = 0; i < d->n_words; i++)
		if (d->words[i] != NULL && strcmp(val, d->words[i]) == 0) {
			*out = i;
			return 0;
		}
	return bad(d, val, "allowed: %s", d->allowed);
}

/* Stores v in the field of d, whatever its width. */
static void
store(const struct opt *d, struct bench_opts *o, uint64_t v)
{
	void *p = (char *)o + d->off;

	switch (d->size) {
	case 1:
		*(bool *)p = v != 0;
		break;
	case 2:
		*(uint16_t *)p = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)p = (uint32_t)v;	/* also the enums */
		break;
	default:
		*(uint64_t *)p = v;
		break;
	}
}

static void
opts_default(struct bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->role = BENCH_RX;
	o->rx_mode = BENCH_POLL;
	o->queues = 1;
	o->burst = 0;		/* role default, below */
	o->size = 64;
	o->duration_ms = 10000;
	o->warmup_ms = 1000;
	o->link_timeout_ms = 10000;
	o->idle_ms = 2000;
	o->ping_timeout_ms = 1000;
	o->timeout_ms = 0;	/* computed, below */
}

static const struct opt *
find(const char *name, size_t len)
{
	for (unsigned int i = 0; i < RTE_DIM(opts); i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

/* Defaults that follow from other options, and checks across options. */
static int
finish(struct bench_opts *o)
{
	if (o->burst == 0)
		o->burst = o->role == BENCH_PING ? 1 : 32;
	if (o->rx_mode == BENCH_INTR && o->role == BENCH_TX)
		fprintf(stderr, BENCH_PROG ": note: --rx-mode intr does not matter for --role tx (it receives nothing)\n");
	if (o->count != 0 && o->role != BENCH_PING && o->role != BENCH_C2C)
		fprintf(stderr, BENCH_PROG ": note: --count only matters for --role ping and c2c\n");
	if (o->role == BENCH_PING && o->count != 0 && o->count < o->queues) {
		fprintf(stderr, BENCH_PROG ": --count %" PRIu64 " is less than --queues %u: every queue needs a sample\n",
				o->count, o->queues);
		return -1;
	}
	if (o->timeout_ms == 0)
		o->timeout_ms = o->warmup_ms + o->duration_ms + 60000;
	return 0;
}

/* "--name value" or "--name=value"; 1 after --help, -1 on a bad option. */
int
bench_opts_parse(int argc, char **argv, struct bench_opts *o)
{
	opts_default(o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq, *val;
		const struct opt *d;
		uint64_t v = 0;
		size_t len;
		int ret;

		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			fprintf(stderr, BENCH_PROG ": unexpected argument '%s' (see --help)\n", a);
			return -1;
		}
		a += 2;
		eq = strchr(a, '=');
		len = eq != NULL ? (size_t)(eq - a) : strlen(a);
		if (len == 4 && strncmp(a, "help", 4) == 0) {
			bench_usage(stdout);
			return 1;
		}
		d = find(a, len);
		if (d == NULL) {
			fprintf(stderr, BENCH_PROG ": unknown option '%s' (see --help)\n", argv[i]);
			return -1;
		}
		if (d->kind == K_FLAG) {
			if (eq != NULL)
				return bad(d, eq + 1, "takes no value");
			store(d, o, 1);
			continue;
		}
		val = eq != NULL ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
		if (val == NULL) {
			fprintf(stderr, BENCH_PROG ": option --%s needs a value (see --help)\n", d->name);
			return -1;
		}
		ret = d->kind == K_UINT ? parse_uint(d, val, &v) :
			d->kind == K_SECONDS ? parse_seconds(d, val, &v) :
			parse_word(d, val, &v);
		if (ret != 0)
			return -1;
		store(d, o, v);
	}
	return finish(o);
}
