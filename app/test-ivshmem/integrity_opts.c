/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command line of ivshmem-integrity. Numbers and seconds go through
 * lib/ivshmem_parse with the ranges of nums[], which --help prints too; an
 * error names the option, the value and what is allowed.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "integrity_frame.h"
#include "integrity_opts.h"
#include "ivshmem_parse.h"

enum {
	OPT_ROLE = 256, OPT_PORT, OPT_QUEUES, OPT_BURST, OPT_COUNT, OPT_MIN_SIZE,
	OPT_MAX_SIZE, OPT_SEED, OPT_TIMEOUT, OPT_IDLE, OPT_WAIT_LINK,
	OPT_PROGRESS, OPT_RESTART_OK, OPT_JSON, OPT_HELP, OPT_RX_MODE,
	OPT_LINK_SPIN, OPT_HOLD, OPT_FREE_THREAD, OPT_UNTIL_LINK_DOWN, OPT_NO_WAIT_TAKEN,
	OPT_TX_POOL,
	OPT_RX_PAUSE, OPT_TX_RESETUP, OPT_TX_POOL_FILL, OPT_TX_PAUSE,
	OPT_INTR_TIMEOUT,
};

static const struct option long_opts[] = {
	{ "role",       required_argument, NULL, OPT_ROLE },
	{ "port",       required_argument, NULL, OPT_PORT },
	{ "queues",     required_argument, NULL, OPT_QUEUES },
	{ "burst",      required_argument, NULL, OPT_BURST },
	{ "count",      required_argument, NULL, OPT_COUNT },
	{ "min-size",   required_argument, NULL, OPT_MIN_SIZE },
	{ "max-size",   required_argument, NULL, OPT_MAX_SIZE },
	{ "seed",       required_argument, NULL, OPT_SEED },
	{ "timeout",    required_argument, NULL, OPT_TIMEOUT },
	{ "idle",       required_argument, NULL, OPT_IDLE },
	{ "wait-link",  required_argument, NULL, OPT_WAIT_LINK },
	{ "progress",   required_argument, NULL, OPT_PROGRESS },
	{ "restart-ok", no_argument,       NULL, OPT_RESTART_OK },
	{ "rx-mode",    required_argument, NULL, OPT_RX_MODE },
	{ "intr-timeout", required_argument, NULL, OPT_INTR_TIMEOUT },
	{ "link-spin",  no_argument,       NULL, OPT_LINK_SPIN },
	{ "hold",       required_argument, NULL, OPT_HOLD },
	{ "free-thread", no_argument,      NULL, OPT_FREE_THREAD },
	{ "until-link-down", no_argument,  NULL, OPT_UNTIL_LINK_DOWN },
	{ "no-wait-taken", no_argument,    NULL, OPT_NO_WAIT_TAKEN },
	{ "tx-pool", no_argument,          NULL, OPT_TX_POOL },
	{ "rx-pause-us", required_argument, NULL, OPT_RX_PAUSE },
	{ "tx-pause-us", required_argument, NULL, OPT_TX_PAUSE },
	{ "tx-resetup", required_argument, NULL, OPT_TX_RESETUP },
	{ "tx-pool-fill", no_argument,     NULL, OPT_TX_POOL_FILL },
	{ "json",       no_argument,       NULL, OPT_JSON },
	{ "help",       no_argument,       NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* The numeric options; seconds are given with up to 3 decimals and their
 * ranges are milliseconds. */
static const struct {
	int id;
	struct ivn_spec spec;
} nums[] = {
	{ OPT_PORT, IVN_UINT(0, UINT16_MAX - 1) },
	{ OPT_QUEUES, IVN_UINT(1, INTEG_MAX_QUEUES) },
	{ OPT_BURST, IVN_UINT(1, INTEG_MAX_BURST) },
	{ OPT_COUNT, IVN_UINT(0, UINT64_MAX >> 1) },
	{ OPT_MIN_SIZE, IVN_UINT(INTEG_MIN_FRAME, INTEG_MAX_FRAME) },
	{ OPT_MAX_SIZE, IVN_UINT(INTEG_MIN_FRAME, INTEG_MAX_FRAME) },
	{ OPT_SEED, IVN_UINT(0, UINT64_MAX) },
	{ OPT_TIMEOUT, IVN_MSEC(1, 86400000) },
	{ OPT_IDLE, IVN_MSEC(0, 86400000) },
	{ OPT_WAIT_LINK, IVN_MSEC(0, 86400000) },
	{ OPT_PROGRESS, IVN_MSEC(0, 86400000) },
	{ OPT_INTR_TIMEOUT, IVN_MSEC(1, 86400000) },
	{ OPT_HOLD, IVN_UINT(0, INTEG_MAX_HOLD) },
	{ OPT_RX_PAUSE, IVN_UINT(0, 1000000) },
	{ OPT_TX_PAUSE, IVN_UINT(0, 1000000) },
	{ OPT_TX_RESETUP, IVN_UINT(1, UINT64_MAX >> 1) },
};

#define N_NUMS	(sizeof(nums) / sizeof(nums[0]))

/* The index of option id in nums[], or N_NUMS when it takes no number. */
static size_t
num_index(int id)
{
	size_t i = 0;

	while (i < N_NUMS && nums[i].id != id)
		i++;
	return i;
}

/* What option id allows, in words; valid until the next call for it. */
static const char *
allowed(int id)
{
	static char text[N_NUMS][96];
	size_t i = num_index(id);

	ivn_allowed(&nums[i].spec, text[i], sizeof(text[i]));
	return text[i];
}

void
integ_usage(FILE *f)
{
	fprintf(f,
"Usage: " INTEG_PROG " [EAL options] -- --role tx|rx [options]\n"
"Sends (tx) or receives and checks (rx) frames on one ethdev port: every\n"
"frame carries the sender's stamp, its queue, a per-queue sequence number,\n"
"its length and a CRC32C, so the receiver counts lost, reordered and\n"
"corrupted frames. Works on any port (net_ivshmem, net_memif, virtio-user).\n"
"\n"
"  --role tx|rx        send or receive (required)\n"
"  --port N            port id (default 0): %s\n"
"  --queues Q          use queues 0..Q-1, round-robin (default 1):\n"
"                      %s\n"
"  --burst N           frames per burst (default 32): %s\n"
"  --count N           tx: frames to send, 0 = until stopped or --timeout;\n"
"                      rx: frames expected, 0 = any (default 1000):\n"
"                      %s\n"
"  --min-size N        smallest frame, Ethernet header included (default %d):\n"
"                      %s\n"
"  --max-size N        largest frame (default 1514); above the mbuf data room\n"
"                      frames are multi-segment and the MTU is raised to fit:\n"
"                      %s\n"
"  --seed N            seed of the frame sizes (default: random):\n"
"                      %s\n"
"  --timeout S         stop after S seconds in any case (default 60):\n"
"                      %s\n"
"  --idle S            rx: stop S seconds after the last frame, once one came\n"
"                      (default 0: only --count or --timeout stop rx):\n"
"                      %s\n"
"  --wait-link S       wait up to S s for link up before starting; fail if it\n"
"                      stays down (default: 10 for tx, 0 = no wait for rx):\n"
"                      %s\n"
"  --progress S        print a progress line every S seconds (default 0:\n"
"                      none): %s\n"
"  --restart-ok        rx: the sender may restart (a new stamp); its older\n"
"                      stamps must not come back, the new one starts at seq 0\n"
"                      on every queue, and --count is a minimum\n"
"  --rx-mode poll|intr rx: busy-poll (default), or sleep on the queues' RX\n"
"                      interrupts whenever a pass over them finds nothing\n"
"  --intr-timeout S    rx, --rx-mode intr: sleep at most S seconds at a time\n"
"                      (default 0.1); a sleep also ends where --timeout, --idle,\n"
"                      --progress or the wait for extra frames after --count\n"
"                      would end the run or print: %s\n"
"  --link-spin         a second thread calls rte_eth_link_get_nowait() in a\n"
"                      tight loop for the whole run (the driver must keep\n"
"                      its link state to itself); its call count is printed\n"
"  --hold N            rx: keep the mbufs of the last N frames, freeing the\n"
"                      oldest as new ones come (default 0): %s\n"
"  --free-thread       rx: free mbufs on a thread of their own, registered\n"
"                      with EAL as an lcore other than the receiving one, so\n"
"                      through its own mempool caches (needs a free lcore id)\n"
"  --until-link-down   rx: stop polling as soon as the link, once up, goes\n"
"                      down (what a sender counted as sent must be in by then)\n"
"  --no-wait-taken     tx: after the last of --count frames, stop the port at\n"
"                      once, leaving the frames not yet taken to the PMD's\n"
"                      drain at stop (by default the sender waits until the\n"
"                      receiver has taken them: rte_eth_tx_descriptor_status)\n"
"  --tx-pool           tx: build frames in net_ivshmem's pool TX mempool\n"
"                      (rte_pmd_ivshmem_pool_create), sent without a copy;\n"
"                      every one of its mbufs must be back at the end\n"
"  --tx-pool-fill      tx: --tx-pool with as many mbufs as the pool area\n"
"                      holds and no mempool cache, so that they are taken in\n"
"                      turn (FIFO) and every buffer of the area carries frames\n"
"  --rx-pause-us N      rx: sleep N microseconds after each burst that brought\n"
"                      frames: a slow receiver, whose sender's ring stays\n"
"                      full (default 0): %s\n"
"  --tx-pause-us N     tx: sleep N microseconds after each burst sent: a\n"
"                      paced sender, for a path that drops what it cannot\n"
"                      pass on (l2fwd) (default 0): %s\n"
"  --tx-resetup N      tx: once N frames are sent, stop the port, set every TX\n"
"                      queue up again and start it, then go on: %s\n"
"  --json              print one JSON summary on stdout, all else on stderr\n"
"  --help              this text\n"
"\n"
"Numbers are decimal, without sign, 0x or leading zeros; seconds may have up\n"
"to 3 decimals (0.5). Link changes are printed as\n"
"  link up|down at <ms> ms CLOCK_MONOTONIC, <ms> ms CLOCK_REALTIME\n"
"Exit status: 0 all good; 1 a check failed (rx: not exactly --count frames,\n"
"or any lost, reordered, corrupt; tx: not all sent); 2 bad options or port.\n",
		allowed(OPT_PORT), allowed(OPT_QUEUES), allowed(OPT_BURST),
		allowed(OPT_COUNT), INTEG_MIN_FRAME, allowed(OPT_MIN_SIZE),
		allowed(OPT_MAX_SIZE), allowed(OPT_SEED), allowed(OPT_TIMEOUT),
		allowed(OPT_IDLE), allowed(OPT_WAIT_LINK), allowed(OPT_PROGRESS),
		allowed(OPT_INTR_TIMEOUT), allowed(OPT_HOLD), allowed(OPT_RX_PAUSE),
		allowed(OPT_TX_PAUSE), allowed(OPT_TX_RESETUP));
}

static int __attribute__((format(printf, 3, 4)))
bad(const char *opt, const char *val, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, INTEG_PROG ": --%s=%s: ", opt, val);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	return -1;
}

/* Option id's number (seconds: in milliseconds), all of val, in range. */
static int
parse_num(int id, const char *opt, const char *val, uint64_t *out)
{
	char key[40], err[IVN_ERR_LEN];

	snprintf(key, sizeof(key), "--%s", opt);
	if (ivn_parse(key, val, &nums[num_index(id)].spec, out, err,
			sizeof(err)) == 0)
		return 0;
	fprintf(stderr, INTEG_PROG ": %s (see --help)\n", err);
	return -1;
}

static void
opts_default(struct integ_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->role = -1;
	o->queues = 1;
	o->burst = 32;
	o->count = 1000;
	o->min_size = INTEG_MIN_FRAME;
	o->max_size = 1514;
	o->timeout_ms = 60000;
	o->intr_timeout_ms = 100;
	o->wait_link_ms = UINT64_MAX;	/* role default, below */
	if (getrandom(&o->seed, sizeof(o->seed), 0) != sizeof(o->seed))
		o->seed = (uint64_t)time(NULL);
}

/* One option; -1 when its value is bad. */
static int
parse_one(int c, const char *name, const char *val, struct integ_opts *o)
{
	uint64_t v = 0;

	if (num_index(c) < N_NUMS && parse_num(c, name, val, &v) != 0)
		return -1;
	switch (c) {
	case OPT_ROLE:
		if (strcmp(val, "tx") == 0)
			o->role = INTEG_TX;
		else if (strcmp(val, "rx") == 0)
			o->role = INTEG_RX;
		else
			return bad(name, val, "not a role; allowed: tx or rx");
		break;
	case OPT_PORT:
		o->port = (uint16_t)v;
		break;
	case OPT_QUEUES:
		o->queues = (uint16_t)v;
		break;
	case OPT_BURST:
		o->burst = (uint16_t)v;
		break;
	case OPT_COUNT:
		o->count = v;
		break;
	case OPT_MIN_SIZE:
		o->min_size = (uint32_t)v;
		break;
	case OPT_MAX_SIZE:
		o->max_size = (uint32_t)v;
		break;
	case OPT_SEED:
		o->seed = v;
		break;
	case OPT_TIMEOUT:
		o->timeout_ms = v;
		break;
	case OPT_IDLE:
		o->idle_ms = v;
		break;
	case OPT_WAIT_LINK:
		o->wait_link_ms = v;
		break;
	case OPT_PROGRESS:
		o->progress_ms = v;
		break;
	case OPT_INTR_TIMEOUT:
		o->intr_timeout_ms = v;
		break;
	case OPT_LINK_SPIN:
		o->link_spin = true;
		break;
	case OPT_HOLD:
		o->hold = (uint32_t)v;
		break;
	case OPT_FREE_THREAD:
		o->free_thread = true;
		break;
	case OPT_UNTIL_LINK_DOWN:
		o->until_link_down = true;
		break;
	case OPT_NO_WAIT_TAKEN:
		o->no_wait_taken = true;
		break;
	case OPT_TX_POOL:
		o->tx_pool = true;
		break;
	case OPT_TX_POOL_FILL:
		o->tx_pool = true;
		o->tx_pool_fill = true;
		break;
	case OPT_RX_PAUSE:
		o->rx_pause_us = (uint32_t)v;
		break;
	case OPT_TX_PAUSE:
		o->tx_pause_us = (uint32_t)v;
		break;
	case OPT_TX_RESETUP:
		o->tx_resetup = v;
		break;
	case OPT_RESTART_OK:
		o->restart_ok = true;
		break;
	case OPT_RX_MODE:
		if (strcmp(val, "poll") == 0 || strcmp(val, "intr") == 0)
			o->rx_intr = val[0] == 'i';
		else
			return bad(name, val, "not a mode; allowed: poll or intr");
		break;
	case OPT_JSON:
		o->json = true;
		break;
	}
	return 0;
}

static const char *
option_name(int val)
{
	for (const struct option *lo = long_opts; lo->name != NULL; lo++)
		if (lo->val == val)
			return lo->name;
	return "?";
}

int
integ_opts_parse(int argc, char **argv, struct integ_opts *o)
{
	int c, idx;

	opts_default(o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", long_opts, &idx)) != -1) {
		if (c == OPT_HELP) {
			integ_usage(stdout);
			return 1;
		}
		if (c == '?') {
			/* getopt sets optopt (and not idx) for a missing value. */
			if (optopt != 0)
				fprintf(stderr, INTEG_PROG ": option --%s needs a value (see --help)\n",
						option_name(optopt));
			else
				fprintf(stderr, INTEG_PROG ": unknown option '%s' (see --help)\n",
						argv[optind - 1]);
			return -1;
		}
		if (parse_one(c, long_opts[idx].name, optarg, o) != 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, INTEG_PROG ": unexpected argument '%s' (see --help)\n",
				argv[optind]);
		return -1;
	}
	if ((int)o->role == -1) {
		fprintf(stderr, INTEG_PROG ": --role tx or --role rx is required (see --help)\n");
		return -1;
	}
	if (o->min_size > o->max_size) {
		fprintf(stderr, INTEG_PROG ": --min-size %u is larger than --max-size %u\n",
				o->min_size, o->max_size);
		return -1;
	}
	if (o->wait_link_ms == UINT64_MAX)
		o->wait_link_ms = o->role == INTEG_TX ? 10000 : 0;
	if (o->role == INTEG_TX && o->rx_intr) {
		fprintf(stderr, INTEG_PROG ": --rx-mode intr is for --role rx\n");
		return -1;
	}
	if (o->role == INTEG_TX && o->restart_ok)
		fprintf(stderr, INTEG_PROG ": note: --restart-ok only matters for rx\n");
	return 0;
}
