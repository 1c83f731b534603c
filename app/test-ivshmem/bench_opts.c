/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command line of ivshmem-bench: a table of options, each with its field in
 * struct bench_opts, its kind and its range. Numbers and seconds go through
 * lib/ivshmem_parse; --help prints the same ranges. An error names the
 * option, the value and what is allowed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "ivshmem_parse.h"

static const char *const role_names[] = {
	[BENCH_RX] = "rx", [BENCH_TX] = "tx", [BENCH_BIDIR] = "bidir",
	[BENCH_PING] = "ping", [BENCH_PONG] = "pong", [BENCH_C2C] = "c2c",
};
static const char *const mode_names[] = {
	[BENCH_POLL] = "poll", [BENCH_INTR] = "intr",
};

enum opt_kind {
	K_FLAG,		/* bool, no value */
	K_NUM,		/* spec: an integer, or seconds stored in ms; 2, 4 or 8 bytes */
	K_WORD,		/* one of words[], stored as its index (an enum) */
};

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t off, size;	/* the field in struct bench_opts */
	struct ivn_spec spec;	/* K_NUM */
	const char *const *words;
	unsigned int n_words;
};

#define FIELD(f)	offsetof(struct bench_opts, f), sizeof(((struct bench_opts *)0)->f)
#define UINT(n, f, lo, hi)	{ n, K_NUM, FIELD(f), IVN_UINT(lo, hi), NULL, 0 }
#define MSEC(n, f, lo, hi)	{ n, K_NUM, FIELD(f), IVN_MSEC(lo, hi), NULL, 0 }
#define FLAG(n, f)		{ n, K_FLAG, FIELD(f), { 0 }, NULL, 0 }
#define WORD(n, f, w)		{ n, K_WORD, FIELD(f), { 0 }, w, RTE_DIM(w) }

/* Seconds are given with up to 3 decimals; the ranges are milliseconds. */
static const struct opt opts[] = {
	WORD("role", role, role_names),
	UINT("port", port, 0, RTE_MAX_ETHPORTS - 1),
	UINT("queues", queues, 1, BENCH_MAX_QUEUES),
	UINT("size", size, BENCH_MIN_SIZE, BENCH_MAX_SIZE),
	UINT("burst", burst, 1, BENCH_MAX_BURST),
	MSEC("duration", duration_ms, 100, 86400000),
	MSEC("warmup", warmup_ms, 0, 3600000),
	WORD("rx-mode", rx_mode, mode_names),
	UINT("sleep-after", sleep_after, 0, 1000000000),
	UINT("count", count, 0, UINT64_MAX >> 1),
	UINT("pool", pool, 1024, 1u << 24),
	MSEC("link-timeout", link_timeout_ms, 0, 3600000),
	MSEC("idle", idle_ms, 10, 3600000),
	MSEC("ping-timeout", ping_timeout_ms, 1, 60000),
	MSEC("timeout", timeout_ms, 100, 90000000),
	MSEC("linger", linger_ms, 0, 600000),
	FLAG("json", json),
	FLAG("progress", progress),
	FLAG("xstats", xstats),
	FLAG("touch", touch),
	FLAG("tx-pool", tx_pool),
	UINT("mbuf-size", mbuf_size, 1024, BENCH_MAX_MBUF_SIZE),
};

static const struct opt *
find(const char *name, size_t len)
{
	for (unsigned int i = 0; i < RTE_DIM(opts); i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

/* What option name allows: "an integer in 1..16", "rx, tx or ...". The
 * text stays valid until the next call for the same option. */
static const char *
allowed(const char *name)
{
	static char text[RTE_DIM(opts)][96];
	const struct opt *d = find(name, strlen(name));
	char *t = text[d - opts];
	size_t len = sizeof(text[0]), n = 0;

	if (d->kind == K_NUM) {
		ivn_allowed(&d->spec, t, len);
		return t;
	}
	t[0] = '\0';
	for (unsigned int i = 0; i < d->n_words && n < len; i++)
		n += (size_t)snprintf(t + n, len - n, "%s%s",
				i == 0 ? "" : i + 1 == d->n_words ? " or " : ", ",
				d->words[i]);
	return t;
}

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
"  --role R            %s (default rx)\n"
"  --port N            port id, %s (default 0)\n"
"  --queues Q          drive queues 0..Q-1, %s (default 1);\n"
"                      one lcore loops over them, or each worker lcore takes\n"
"                      its share\n"
"  --size BYTES        frame size, Ethernet header included, no FCS,\n"
"                      %s (default 64); above the mbuf\n"
"                      data room (--mbuf-size) frames are multi-segment\n"
"  --mbuf-size BYTES   data room of every mbuf, headroom apart, %s\n"
"                      (default 2048): the receiver's pool, the sender's,\n"
"                      and with --tx-pool the buffers in the region\n"
"  --burst N           packets per rx/tx burst, %s\n"
"                      (default 32; ping: 1)\n"
"  --duration S        measurement window (default 10):\n"
"                      %s\n"
"  --warmup S          traffic before the window, not measured (default 1):\n"
"                      %s\n"
"  --rx-mode M         %s: intr sleeps in rte_epoll_wait when idle\n"
"                      (the port must support RX interrupts) (default poll)\n"
"  --sleep-after N     intr: empty poll rounds before sleeping (default 0):\n"
"                      %s\n"
"  --count N           ping: round-trip samples to take in the window, then\n"
"                      stop (default 0: until --duration ends); c2c: round\n"
"                      trips (default 200000):\n"
"                      %s\n"
"  --pool N            mbufs in the pool (default: enough for every ring):\n"
"                      %s\n"
"  --link-timeout S    wait this long for link up, then fail (default 10):\n"
"                      %s\n"
"  --idle S            rx, pong: after the window, stop once nothing came for\n"
"                      S seconds, so that totals include all the peer sent\n"
"                      (default 2): %s\n"
"  --ping-timeout S    ping: an echo not back after S is lost (default 1):\n"
"                      %s\n"
"  --timeout S         stop in any case after S (default: warmup + duration\n"
"                      + 60): %s\n"
"  --linger S          once the loop ends, wait S before closing the port\n"
"                      (default 0): %s.\n"
"                      Give the side that stops first more than the peer's\n"
"                      --idle when the PMD is not safe against a peer\n"
"                      leaving while it polls (net_memif, vhost): then\n"
"                      neither side polls while the other disconnects\n"
"  --json              one JSON object on stdout at the end, all else on\n"
"                      stderr\n"
"  --progress          a line per second on stderr\n"
"  --xstats            at the end, print every non-zero xstat of the port\n"
"  --touch             receivers: read every byte of every packet (a\n"
"                      zero-copy receiver then pays for the data as a\n"
"                      copying one does); default: leave the payload alone\n"
"  --tx-pool           senders: build frames in net_ivshmem's pool TX\n"
"                      mempool (rte_pmd_ivshmem_pool_create), which the port\n"
"                      sends without a copy (give it a region with room)\n"
"  --help              this text\n"
"\n"
"Numbers are decimal, without sign, 0x or leading zeros; seconds may have up\n"
"to 3 decimals (0.5). Senders (tx, bidir, ping) start the window --warmup\n"
"after link up; receivers (rx, pong) --warmup after the first packet. Rates\n"
"are over the window; totals over the whole run.\n"
"Mpps and Gbps: gbps_l2 counts frame bits (size * 8), gbps_wire adds the\n"
"Ethernet overhead a NIC would put on the wire (size + %d bytes: preamble,\n"
"SFD, inter-frame gap, FCS). Cycles are TSC cycles of the lcore: loop\n"
"cycles per packet are what one core spends per packet when it busy-polls.\n"
"Exit status: 0 done; 1 the run failed (link lost, no traffic, an lcore\n"
"gave up); 2 bad options or the port would not come up.\n",
		allowed("role"), allowed("port"), allowed("queues"),
		allowed("size"), allowed("mbuf-size"), allowed("burst"), allowed("duration"),
		allowed("warmup"), allowed("rx-mode"), allowed("sleep-after"),
		allowed("count"), allowed("pool"), allowed("link-timeout"),
		allowed("idle"), allowed("ping-timeout"), allowed("timeout"),
		allowed("linger"), BENCH_WIRE_OVERHEAD);
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
	fprintf(stderr, BENCH_PROG ": --%s=%s: %s (see --help)\n", d->name, val, why);
	return -1;
}

/* K_NUM: an integer, or seconds into milliseconds. */
static int
parse_num(const struct opt *d, const char *val, uint64_t *out)
{
	char key[40], err[IVN_ERR_LEN];

	snprintf(key, sizeof(key), "--%s", d->name);
	if (ivn_parse(key, val, &d->spec, out, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, BENCH_PROG ": %s (see --help)\n", err);
	return -1;
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
	return bad(d, val, "not a choice; allowed: %s", allowed(d->name));
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
	o->mbuf_size = RTE_MBUF_DEFAULT_DATAROOM;
	o->duration_ms = 10000;
	o->warmup_ms = 1000;
	o->link_timeout_ms = 10000;
	o->idle_ms = 2000;
	o->ping_timeout_ms = 1000;
	o->timeout_ms = 0;	/* computed, below */
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
		ret = d->kind == K_NUM ? parse_num(d, val, &v) :
			parse_word(d, val, &v);
		if (ret != 0)
			return -1;
		store(d, o, v);
	}
	return finish(o);
}
