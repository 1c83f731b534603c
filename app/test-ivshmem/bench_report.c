/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Results of ivshmem-bench: the window deltas of every lcore's counters,
 * turned into rates and costs once (struct res), then printed as a human
 * table or as one JSON object whose keys carry their units.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "bench.h"

/* One direction of one queue (or the total), over the window. */
struct dir {
	uint64_t pkts, bytes, pkts_total, bytes_total;
	double mpps, gbps_l2, gbps_wire;
	uint64_t calls;		/* burst calls, including those that moved none */
	uint64_t zeros;		/* calls that moved none (rx: empty polls) */
	uint64_t shorts, retries, unsent, nombuf;
	/* cycles of calls that were not stalls, and what they moved */
	uint64_t cyc, cyc_pkts;		/* productive calls */
	uint64_t empty_cyc, empty_timed;	/* calls that moved none */
	uint64_t build_cyc, build_pkts;	/* tx: mbuf alloc and fill */
};

struct res {
	bool window;		/* the window ran: rates are meaningful */
	double window_s;	/* longest lcore window */
	struct dir rx[BENCH_MAX_QUEUES], tx[BENCH_MAX_QUEUES];
	struct dir rx_all, tx_all;
	uint64_t loop_cyc;
	struct bench_lctr s;
	uint64_t ping_sent, ping_back, ping_lost, ping_stray;
	struct bench_hist *h;	/* [BENCH_N_HIST] merged; NULL unless ping */
	/* our xstats: window deltas summed over queues; has: the port has it */
	bool has[BENCH_XS_N];
	uint64_t xs[BENCH_XS_N];
};

static void
dir_add(struct dir *d, const struct bench_ctr *c0, const struct bench_ctr *c1,
		const struct bench_ctr *end, bool rx, double secs)
{
	uint64_t pkts, bytes;

	if (rx) {
		pkts = c1->rx_pkts - c0->rx_pkts;
		bytes = c1->rx_bytes - c0->rx_bytes;
		d->pkts_total += end->rx_pkts;
		d->bytes_total += end->rx_bytes;
		d->calls += c1->rx_calls - c0->rx_calls + c1->rx_empty - c0->rx_empty;
		d->zeros += c1->rx_empty - c0->rx_empty;
		d->cyc += c1->rx_cyc - c0->rx_cyc;
		d->cyc_pkts += c1->rx_cyc_pkts - c0->rx_cyc_pkts;
		d->empty_cyc += c1->rx_empty_cyc - c0->rx_empty_cyc;
		d->empty_timed += c1->rx_empty_timed - c0->rx_empty_timed;
	} else {
		pkts = c1->tx_pkts - c0->tx_pkts;
		bytes = c1->tx_bytes - c0->tx_bytes;
		d->pkts_total += end->tx_pkts;
		d->bytes_total += end->tx_bytes;
		d->calls += c1->tx_calls - c0->tx_calls;
		d->shorts += c1->tx_short - c0->tx_short;
		d->zeros += c1->tx_zero - c0->tx_zero;
		d->retries += c1->tx_retries - c0->tx_retries;
		d->cyc += c1->tx_cyc - c0->tx_cyc;
		d->cyc_pkts += c1->tx_cyc_pkts - c0->tx_cyc_pkts;
		d->empty_cyc += c1->tx_zero_cyc - c0->tx_zero_cyc;
		d->empty_timed += c1->tx_zero_timed - c0->tx_zero_timed;
		d->build_cyc += c1->build_cyc - c0->build_cyc;
		d->build_pkts += c1->build_pkts - c0->build_pkts;
		d->unsent += end->unsent;
		d->nombuf += end->nombuf;
	}
	d->pkts += pkts;
	d->bytes += bytes;
	if (secs > 0) {
		d->mpps += pkts / secs / 1e6;
		d->gbps_l2 += bytes * 8.0 / secs / 1e9;
		d->gbps_wire += (bytes + (double)pkts * BENCH_WIRE_OVERHEAD) * 8.0 / secs / 1e9;
	}
}

static void
compute(const struct bench_run *r, struct res *x)
{
	const struct bench_opts *o = r->o;
	static const struct bench_ctr zero;

	memset(x, 0, sizeof(*x));
	x->window = r->window_done;
	for (unsigned int i = 0; i < r->n_lc; i++) {
		const struct bench_lcore *lc = r->lc[i];
		uint64_t t1 = lc->t1;
		double secs;

		/* A receiver whose sender stopped inside the window: its
		 * window ends at the last packet, not at the idle detection. */
		if (r->window_idle_end && lc->t1_last_pkt > lc->t0 && lc->t1_last_pkt < t1)
			t1 = lc->t1_last_pkt;
		secs = x->window && t1 > lc->t0 ? (double)(t1 - lc->t0) / r->hz : 0;
		x->window_s = RTE_MAX(x->window_s, secs);
		for (uint16_t k = 0; k < lc->nq; k++) {
			uint16_t q = lc->q[k];
			const struct bench_ctr *c0 = x->window ? &lc->c0[k] : &zero;
			const struct bench_ctr *c1 = x->window ? &lc->c1[k] : &zero;

			dir_add(&x->rx[q], c0, c1, &lc->c[k], true, secs);
			dir_add(&x->tx[q], c0, c1, &lc->c[k], false, secs);
			dir_add(&x->rx_all, c0, c1, &lc->c[k], true, secs);
			dir_add(&x->tx_all, c0, c1, &lc->c[k], false, secs);
			x->ping_sent += lc->c[k].ping_sent;
			x->ping_back += lc->c[k].ping_back;
			x->ping_lost += lc->c[k].ping_lost;
			x->ping_stray += lc->c[k].ping_stray;
		}
		if (x->window) {
			x->loop_cyc += lc->t1 - lc->t0;
			x->s.sleeps += lc->s1.sleeps - lc->s0.sleeps;
			x->s.wakeups += lc->s1.wakeups - lc->s0.wakeups;
			x->s.timeouts += lc->s1.timeouts - lc->s0.timeouts;
			x->s.arm_fail += lc->s1.arm_fail - lc->s0.arm_fail;
			x->s.sleep_cyc += lc->s1.sleep_cyc - lc->s0.sleep_cyc;
			x->s.stalls += lc->s1.stalls - lc->s0.stalls;
			x->s.stall_cyc += lc->s1.stall_cyc - lc->s0.stall_cyc;
		}
		if (lc->hist != NULL) {
			if (x->h == NULL)
				x->h = rte_zmalloc("bench_hist_all",
						sizeof(*x->h) * BENCH_N_HIST, 0);
			for (unsigned int k = 0; x->h != NULL && k < BENCH_N_HIST; k++)
				bench_hist_merge(&x->h[k], &lc->hist[k]);
		}
	}
	for (unsigned int k = 0; k < BENCH_XS_N && x->window; k++)
		for (uint16_t q = 0; q < o->queues; q++)
			if (r->port.xs_id[k][q] != UINT64_MAX) {
				x->has[k] = true;
				x->xs[k] += r->xs1[k][q] - r->xs0[k][q];
			}
}

/* Packets a role's cost is counted against: what it exists to move. */
static uint64_t
role_pkts(const struct bench_run *r, const struct res *x)
{
	switch (r->o->role) {
	case BENCH_TX:
		return x->tx_all.pkts;
	case BENCH_BIDIR:
		return x->tx_all.pkts + x->rx_all.pkts;
	case BENCH_PING:	/* per round trip */
		return x->h != NULL ? x->h->n : 0;
	case BENCH_RX:
	case BENCH_PONG:
	case BENCH_C2C:
		break;
	}
	return x->rx_all.pkts;
}

static double
ratio(uint64_t a, uint64_t b)
{
	return b == 0 ? NAN : (double)a / (double)b;
}

static double
us(const struct bench_run *r, uint64_t cyc)
{
	return (double)cyc * 1e6 / r->hz;
}

/* ---- human ---------------------------------------------------------------- */

static void
human_dir(FILE *f, const char *name, const struct dir *d, int q, bool tx)
{
	char qs[16];

	snprintf(qs, sizeof(qs), q < 0 ? "all" : "%d", q);
	fprintf(f, "%-3s %5s %14" PRIu64 " %9.3f %9.3f %10.3f %9.1f %9.1f",
			name, qs, d->pkts, d->mpps, d->gbps_l2, d->gbps_wire,
			ratio(d->cyc, d->cyc_pkts), ratio(d->empty_cyc, d->empty_timed));
	if (tx)
		fprintf(f, " %9.1f %10" PRIu64 " %14" PRIu64 "\n",
				ratio(d->build_cyc, d->build_pkts), d->shorts, d->pkts_total);
	else
		fprintf(f, " %9s %10s %14" PRIu64 "\n", "-", "-", d->pkts_total);
}

static void
human_table(const struct bench_run *r, const struct res *x, bool rx, bool tx)
{
	FILE *f = r->out;
	uint16_t nq = r->o->queues;

	fprintf(f, "dir queue  packets(window)      Mpps   Gbps-L2  Gbps-wire  cyc/pkt  cyc/idle  cyc/bld      short  packets(total)\n");
	if (rx) {
		for (uint16_t q = 0; nq > 1 && q < nq; q++)
			human_dir(f, "rx", &x->rx[q], q, false);
		human_dir(f, "rx", &x->rx_all, -1, false);
	}
	if (tx) {
		for (uint16_t q = 0; nq > 1 && q < nq; q++)
			human_dir(f, "tx", &x->tx[q], q, true);
		human_dir(f, "tx", &x->tx_all, -1, true);
	}
	fprintf(f, "  cyc/pkt: TSC cycles inside rx_burst/tx_burst calls that moved packets, per packet; cyc/idle: per call that moved none;\n  cyc/bld: building the burst (mbuf alloc and fill), per packet; short: tx_burst calls that took fewer than offered (re-offered, never dropped)\n");
}

void
bench_report_human(const struct bench_run *r)
{
	const struct bench_opts *o = r->o;
	FILE *f = r->out;
	struct res x;
	uint64_t pk;

	compute(r, &x);
	pk = role_pkts(r, &x);
	fprintf(f, "--- %s on port %u (%s): stopped by %s%s%s; window %.3f s, ended by %s\n",
			bench_role_name(o->role), o->port, r->port.driver, r->stop,
			r->fail ? "; FAILED: " : "", r->fail ? r->fail : "", x.window_s,
			r->window_end ? r->window_end : "-");
	if (!x.window)
		fprintf(f, "no measurement window (the run ended before it began): rates are 0\n");
	human_table(r, &x, o->role != BENCH_TX, o->role != BENCH_RX);
	fprintf(f, "cost: %.1f loop cycles per %s, %.1f while running (%.1f%% of the time asleep, %.1f%% in %" PRIu64 " stalls > %u us); rte_rdtsc %" PRIu64 " cycles, 2 per burst call\n",
			ratio(x.loop_cyc, pk),
			o->role == BENCH_PING ? "round trip" : "packet",
			ratio(x.loop_cyc - x.s.sleep_cyc - x.s.stall_cyc, pk),
			100.0 * ratio(x.s.sleep_cyc, x.loop_cyc),
			100.0 * ratio(x.s.stall_cyc, x.loop_cyc), x.s.stalls,
			BENCH_STALL_US, r->tsc_read_cyc);
	if (o->rx_mode == BENCH_INTR)
		fprintf(f, "sleeps: %" PRIu64 " epoll waits, %" PRIu64 " woken by an event, %" PRIu64 " timeouts, %" PRIu64 " arm failures\n",
				x.s.sleeps, x.s.wakeups, x.s.timeouts, x.s.arm_fail);
	if (!x.has[XS_DOORBELLS] && !x.has[XS_SLEEPS])
		fprintf(f, "driver xstats: no doorbell or sleep counters on this port\n");
	if (x.has[XS_DOORBELLS] && o->role != BENCH_RX)
		fprintf(f, "driver xstats (window): doorbells %" PRIu64 " (%.4f per 1000 tx packets), suppressed %" PRIu64 "\n",
				x.xs[XS_DOORBELLS], 1000 * ratio(x.xs[XS_DOORBELLS], x.tx_all.pkts),
				x.xs[XS_SUPPRESSED]);
	if (x.has[XS_SLEEPS] && o->role != BENCH_TX)
		fprintf(f, "driver xstats (window): sleeps %" PRIu64 " (%.4f per 1000 rx packets), wakeups %" PRIu64 " (%.4f per 1000)\n",
				x.xs[XS_SLEEPS], 1000 * ratio(x.xs[XS_SLEEPS], x.rx_all.pkts),
				x.xs[XS_WAKEUPS], 1000 * ratio(x.xs[XS_WAKEUPS], x.rx_all.pkts));
	if (x.h != NULL) {
		const struct bench_hist *h = &x.h[BENCH_RTT];

		fprintf(f, "rtt (us): %" PRIu64 " samples, %" PRIu64 " lost, %" PRIu64 " stray; min %.3f p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f mean %.3f\n",
				h->n, x.ping_lost, x.ping_stray, us(r, h->min),
				us(r, bench_hist_quantile(h, 0.5)),
				us(r, bench_hist_quantile(h, 0.9)),
				us(r, bench_hist_quantile(h, 0.99)),
				us(r, bench_hist_quantile(h, 0.999)),
				us(r, h->max), us(r, (uint64_t)bench_hist_mean(h)));
		if (x.h[BENCH_RTT_TO_PEER].n != 0)
			fprintf(f, "rtt split by the pong's stamps (us, p50 / p99): to the pong %.3f / %.3f, in the pong %.3f / %.3f, back %.3f / %.3f\n",
					us(r, bench_hist_quantile(&x.h[BENCH_RTT_TO_PEER], 0.5)),
					us(r, bench_hist_quantile(&x.h[BENCH_RTT_TO_PEER], 0.99)),
					us(r, bench_hist_quantile(&x.h[BENCH_RTT_AT_PEER], 0.5)),
					us(r, bench_hist_quantile(&x.h[BENCH_RTT_AT_PEER], 0.99)),
					us(r, bench_hist_quantile(&x.h[BENCH_RTT_BACK], 0.5)),
					us(r, bench_hist_quantile(&x.h[BENCH_RTT_BACK], 0.99)));
	}
	if (x.tx_all.unsent || x.tx_all.nombuf)
		fprintf(f, "tx: %" PRIu64 " packets refused until the end (freed, not counted as sent), %" PRIu64 " mbuf allocation failures\n",
				x.tx_all.unsent, x.tx_all.nombuf);
	fprintf(f, "port stats: ipackets %" PRIu64 " opackets %" PRIu64 " imissed %" PRIu64 " ierrors %" PRIu64 " oerrors %" PRIu64 " rx_nombuf %" PRIu64 "\n",
			r->st.ipackets, r->st.opackets, r->st.imissed, r->st.ierrors,
			r->st.oerrors, r->st.rx_nombuf);
	rte_free(x.h);
}

/* ---- JSON ----------------------------------------------------------------- */

struct js {
	FILE *f;
	bool first;
};

static void
js_key(struct js *j, const char *key)
{
	fprintf(j->f, "%s\"%s\":", j->first ? "" : ",", key);
	j->first = false;
}

static void
js_open(struct js *j, const char *key, char c)
{
	if (key != NULL)
		js_key(j, key);
	else if (!j->first)
		fputc(',', j->f);
	fputc(c, j->f);
	j->first = true;
}

static void
js_close(struct js *j, char c)
{
	fputc(c, j->f);
	j->first = false;
}

static void
js_u64(struct js *j, const char *key, uint64_t v)
{
	js_key(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

/* A number, or null when it is not one (0/0, absent counter). */
static void
js_num(struct js *j, const char *key, double v)
{
	js_key(j, key);
	if (!isfinite(v))
		fputs("null", j->f);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(j->f, "%.0f", v);	/* counters: every digit */
	else
		fprintf(j->f, "%.6g", v);
}

static void
js_str(struct js *j, const char *key, const char *v)
{
	js_key(j, key);
	if (v == NULL) {
		fputs("null", j->f);
		return;
	}
	fputc('"', j->f);
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			fprintf(j->f, "\\%c", *v);
		else if ((unsigned char)*v < 0x20)
			fprintf(j->f, "\\u%04x", *v);
		else
			fputc(*v, j->f);
	}
	fputc('"', j->f);
}

static void
js_bool(struct js *j, const char *key, bool v)
{
	js_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

static void
js_dir_fields(struct js *j, const struct dir *d, bool tx)
{
	js_u64(j, "packets", d->pkts);
	js_u64(j, "bytes", d->bytes);
	js_num(j, "mpps", d->mpps);
	js_num(j, "gbps_l2", d->gbps_l2);
	js_num(j, "gbps_wire", d->gbps_wire);
	js_u64(j, "packets_total", d->pkts_total);
	js_u64(j, "bytes_total", d->bytes_total);
	js_u64(j, "burst_calls", d->calls);
	js_num(j, "burst_cycles_per_pkt", ratio(d->cyc, d->cyc_pkts));
	js_num(j, "pkts_per_call", ratio(d->pkts, d->calls));
	js_num(j, "pkts_per_productive_call", ratio(d->pkts, d->calls - d->zeros));
	if (tx) {
		js_u64(j, "short_bursts", d->shorts);
		js_u64(j, "zero_bursts", d->zeros);
		js_num(j, "cycles_per_zero_burst", ratio(d->empty_cyc, d->empty_timed));
		js_u64(j, "retries", d->retries);
		js_u64(j, "drops", 0);
		js_u64(j, "unsent_at_end", d->unsent);
		js_u64(j, "mbuf_alloc_fail", d->nombuf);
		js_num(j, "build_cycles_per_pkt", ratio(d->build_cyc, d->build_pkts));
	} else {
		js_u64(j, "empty_polls", d->zeros);
		js_num(j, "cycles_per_empty_poll", ratio(d->empty_cyc, d->empty_timed));
	}
}

static void
js_dir(struct js *j, const char *key, const struct dir *all,
		const struct dir *per_q, uint16_t nq, bool tx)
{
	js_open(j, key, '{');
	js_dir_fields(j, all, tx);
	js_open(j, "per_queue", '[');
	for (uint16_t q = 0; q < nq; q++) {
		js_open(j, NULL, '{');
		js_u64(j, "queue", q);
		js_dir_fields(j, &per_q[q], tx);
		js_close(j, '}');
	}
	js_close(j, ']');
	js_close(j, '}');
}

static void
js_rtt(struct js *j, const struct bench_run *r, const struct res *x)
{
	static const double cdf_q[] = {
		0, 0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8,
		0.9, 0.95, 0.97, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999, 1,
	};
	static const char *const split[BENCH_N_HIST] = {
		[BENCH_RTT_TO_PEER] = "to_peer", [BENCH_RTT_AT_PEER] = "at_peer",
		[BENCH_RTT_BACK] = "back",
	};
	const struct bench_hist *h = &x->h[BENCH_RTT];

	/* The split needs the pong's stamps on our clock: one machine. */
	js_open(j, "rtt_split_us", '{');
	for (unsigned int k = BENCH_RTT_TO_PEER; k < BENCH_N_HIST; k++) {
		js_open(j, split[k], '{');
		js_u64(j, "samples", x->h[k].n);
		js_num(j, "p50", x->h[k].n ? us(r, bench_hist_quantile(&x->h[k], 0.5)) : NAN);
		js_num(j, "p99", x->h[k].n ? us(r, bench_hist_quantile(&x->h[k], 0.99)) : NAN);
		js_num(j, "mean", x->h[k].n ? us(r, (uint64_t)bench_hist_mean(&x->h[k])) : NAN);
		js_close(j, '}');
	}
	js_close(j, '}');
	js_open(j, "rtt_us", '{');
	js_u64(j, "samples", h->n);
	js_u64(j, "lost", x->ping_lost);
	js_u64(j, "stray", x->ping_stray);
	js_u64(j, "sent_total", x->ping_sent);
	js_u64(j, "back_total", x->ping_back);
	if (h->n == 0) {
		static const char *const keys[] = {
			"min", "p50", "p90", "p99", "p999", "max", "mean" };

		for (unsigned int i = 0; i < RTE_DIM(keys); i++)
			js_num(j, keys[i], NAN);
		js_close(j, '}');
		return;
	}
	js_num(j, "min", us(r, h->min));
	js_num(j, "p50", us(r, bench_hist_quantile(h, 0.5)));
	js_num(j, "p90", us(r, bench_hist_quantile(h, 0.9)));
	js_num(j, "p99", us(r, bench_hist_quantile(h, 0.99)));
	js_num(j, "p999", us(r, bench_hist_quantile(h, 0.999)));
	js_num(j, "max", us(r, h->max));
	js_num(j, "mean", us(r, (uint64_t)bench_hist_mean(h)));
	/* [value_us, quantile] pairs for a CDF plot */
	js_open(j, "cdf", '[');
	for (unsigned int i = 0; i < RTE_DIM(cdf_q); i++)
		fprintf(j->f, "%s[%.6g,%g]", i ? "," : "",
				us(r, bench_hist_quantile(h, cdf_q[i])), cdf_q[i]);
	j->first = false;
	js_close(j, ']');
	js_close(j, '}');
}

void
bench_report_json(const struct bench_run *r)
{
	static const char *const xs_keys[BENCH_XS_N] = {
		[XS_DOORBELLS] = "doorbells", [XS_SUPPRESSED] = "doorbells_suppressed",
		[XS_SLEEPS] = "sleeps", [XS_WAKEUPS] = "wakeups",
	};
	const struct bench_opts *o = r->o;
	struct js j = { .f = stdout, .first = true };
	struct res x;
	uint64_t pk;

	compute(r, &x);
	pk = role_pkts(r, &x);
	js_open(&j, NULL, '{');
	js_str(&j, "tool", BENCH_PROG);
	js_str(&j, "role", bench_role_name(o->role));
	js_u64(&j, "port", o->port);
	js_str(&j, "driver", r->port.driver);
	js_u64(&j, "queues", o->queues);
	js_open(&j, "lcores", '[');
	for (unsigned int i = 0; i < r->n_lc; i++)
		fprintf(j.f, "%s%u", i ? "," : "", r->lc[i]->lcore_id);
	j.first = false;
	js_close(&j, ']');
	js_u64(&j, "size_bytes", o->size);
	js_u64(&j, "segs_per_pkt", r->port.segs);
	js_u64(&j, "mbuf_size", r->port.data_room);
	js_u64(&j, "burst", o->burst);
	js_str(&j, "rx_mode", o->rx_mode == BENCH_INTR ? "intr" : "poll");
	js_num(&j, "warmup_s", o->warmup_ms / 1e3);
	js_num(&j, "duration_s", o->duration_ms / 1e3);
	js_bool(&j, "window_done", x.window);
	js_num(&j, "window_s", x.window_s);
	js_u64(&j, "tsc_hz", r->hz);
	js_u64(&j, "tsc_read_cycles", r->tsc_read_cyc);
	js_str(&j, "gbps_convention", "gbps_l2 = size*8*pps; gbps_wire = (size+24)*8*pps (preamble+SFD 8, IFG 12, FCS 4; size excludes FCS)");
	if (o->role != BENCH_TX)
		js_dir(&j, "rx", &x.rx_all, x.rx, o->queues, false);
	if (o->role != BENCH_RX)
		js_dir(&j, "tx", &x.tx_all, x.tx, o->queues, true);
	js_open(&j, "cpu", '{');
	js_str(&j, "per", o->role == BENCH_PING ? "round_trip" :
			o->role == BENCH_TX ? "tx_packet" :
			o->role == BENCH_BIDIR ? "rx_or_tx_packet" : "rx_packet");
	js_num(&j, "loop_cycles_per_pkt", ratio(x.loop_cyc, pk));
	js_num(&j, "busy_cycles_per_pkt",
			ratio(x.loop_cyc - x.s.sleep_cyc - x.s.stall_cyc, pk));
	js_num(&j, "asleep_fraction", ratio(x.s.sleep_cyc, x.loop_cyc));
	js_num(&j, "stalled_fraction", ratio(x.s.stall_cyc, x.loop_cyc));
	js_u64(&j, "stalls", x.s.stalls);
	js_u64(&j, "stall_threshold_us", BENCH_STALL_US);
	js_u64(&j, "loop_cycles", x.loop_cyc);
	js_close(&j, '}');
	js_open(&j, "intr", '{');
	js_u64(&j, "epoll_waits", x.s.sleeps);
	js_u64(&j, "epoll_wakeups", x.s.wakeups);
	js_u64(&j, "epoll_timeouts", x.s.timeouts);
	js_u64(&j, "arm_failures", x.s.arm_fail);
	js_close(&j, '}');
	js_open(&j, "xstats", '{');
	for (unsigned int k = 0; k < BENCH_XS_N; k++)
		js_num(&j, xs_keys[k], x.has[k] ? (double)x.xs[k] : NAN);
	js_close(&j, '}');
	js_num(&j, "doorbells_per_pkt", x.has[XS_DOORBELLS] ?
			ratio(x.xs[XS_DOORBELLS], x.tx_all.pkts) : NAN);
	js_num(&j, "sleeps_per_pkt", x.has[XS_SLEEPS] ?
			ratio(x.xs[XS_SLEEPS], x.rx_all.pkts) : NAN);
	js_num(&j, "wakeups_per_pkt", x.has[XS_WAKEUPS] ?
			ratio(x.xs[XS_WAKEUPS], x.rx_all.pkts) : NAN);
	if (x.h != NULL)
		js_rtt(&j, r, &x);
	js_open(&j, "port_stats", '{');
	js_u64(&j, "ipackets", r->st.ipackets);
	js_u64(&j, "opackets", r->st.opackets);
	js_u64(&j, "imissed", r->st.imissed);
	js_u64(&j, "ierrors", r->st.ierrors);
	js_u64(&j, "oerrors", r->st.oerrors);
	js_u64(&j, "rx_nombuf", r->st.rx_nombuf);
	js_close(&j, '}');
	js_u64(&j, "link_changes", r->port.link_changes);
	js_str(&j, "window_end", r->window_end);
	js_str(&j, "stop", r->stop);
	js_bool(&j, "ok", r->fail == NULL);
	js_str(&j, "error", r->fail);
	js_close(&j, '}');
	fputc('\n', j.f);
	fflush(j.f);
	rte_free(x.h);
}
