/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building and checking integrity frames (layout in integrity_frame.h).
 * Both work on one contiguous, 8-aligned copy of the frame: the caller
 * copies between it and (possibly multi-segment) mbufs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>

#include "integrity_frame.h"

uint64_t
integ_mix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The data bytes [INTEG_DATA_OFF, len) of frame (stamp, seq). */
static void
fill_data(uint8_t *buf, uint32_t len, uint64_t stamp, uint64_t seq)
{
	uint64_t state = stamp ^ (seq * 0xd6e8feb86659fd93ULL);
	uint32_t off = INTEG_DATA_OFF;

	for (; off + 8 <= len; off += 8) {
		uint64_t w = rte_cpu_to_le_64(integ_mix64(&state));

		memcpy(buf + off, &w, 8);
	}
	if (off < len) {
		uint64_t w = rte_cpu_to_le_64(integ_mix64(&state));

		memcpy(buf + off, &w, len - off);
	}
}

static uint32_t
frame_csum(const uint8_t *buf, uint32_t len)
{
	return rte_hash_crc(buf + INTEG_CSUM_FROM, len - INTEG_CSUM_FROM, 0xffffffff);
}

void
integ_frame_build(uint8_t *buf, uint32_t len, const struct rte_ether_addr *src,
		uint64_t stamp, uint16_t queue, uint64_t seq)
{
	struct rte_ether_hdr eth = {
		.src_addr = *src,
		.ether_type = rte_cpu_to_be_16(INTEG_ETHERTYPE),
	};
	struct integ_hdr h = {
		.version = rte_cpu_to_le_16(INTEG_VERSION),
		.magic = rte_cpu_to_le_32(INTEG_MAGIC),
		.stamp = rte_cpu_to_le_64(stamp),
		.seq = rte_cpu_to_le_64(seq),
		.len = rte_cpu_to_le_32(len),
		.queue = rte_cpu_to_le_16(queue),
	};

	/* Broadcast: every port and bridge in between takes it. */
	memset(&eth.dst_addr, 0xff, sizeof(eth.dst_addr));
	memcpy(buf, &eth, sizeof(eth));
	memcpy(buf + INTEG_HDR_OFF, &h, sizeof(h));
	fill_data(buf, len, stamp, seq);
	h.csum = rte_cpu_to_le_32(frame_csum(buf, len));
	memcpy(buf + INTEG_HDR_OFF + offsetof(struct integ_hdr, csum), &h.csum,
			sizeof(h.csum));
}

/* Where the data of a frame whose checksum failed first differs. */
static void
explain_csum(const uint8_t *buf, const struct integ_seen *s, char *why, size_t n)
{
	static uint8_t want[INTEG_MAX_FRAME] __rte_aligned(8);
	uint32_t off;

	fill_data(want, s->len, s->stamp, s->seq);
	for (off = INTEG_DATA_OFF; off < s->len; off++)
		if (buf[off] != want[off])
			break;
	if (off < s->len)
		snprintf(why, n, "checksum mismatch: first bad data byte at offset %u: 0x%02x, expected 0x%02x",
				off, buf[off], want[off]);
	else
		snprintf(why, n, "checksum mismatch with intact data: header damaged");
}

enum integ_verdict
integ_frame_check(const uint8_t *buf, uint32_t pkt_len, struct integ_seen *s)
{
	struct rte_ether_hdr eth;
	struct integ_hdr h;

	memset(s, 0, sizeof(*s));
	if (pkt_len < INTEG_MIN_FRAME) {
		snprintf(s->why, sizeof(s->why), "%u bytes: shorter than %u", pkt_len,
				INTEG_MIN_FRAME);
		return INTEG_FOREIGN;
	}
	memcpy(&eth, buf, sizeof(eth));
	if (eth.ether_type != rte_cpu_to_be_16(INTEG_ETHERTYPE)) {
		snprintf(s->why, sizeof(s->why), "ethertype 0x%04x",
				rte_be_to_cpu_16(eth.ether_type));
		return INTEG_FOREIGN;
	}
	if (pkt_len > INTEG_MAX_FRAME) {
		/* The caller copied only INTEG_MAX_FRAME bytes of it. */
		snprintf(s->why, sizeof(s->why), "%u bytes: longer than %u", pkt_len,
				INTEG_MAX_FRAME);
		return INTEG_CORRUPT;
	}
	memcpy(&h, buf + INTEG_HDR_OFF, sizeof(h));
	s->stamp = rte_le_to_cpu_64(h.stamp);
	s->seq = rte_le_to_cpu_64(h.seq);
	s->len = rte_le_to_cpu_32(h.len);
	s->queue = rte_le_to_cpu_16(h.queue);
	if (rte_le_to_cpu_32(h.magic) != INTEG_MAGIC ||
			rte_le_to_cpu_16(h.version) != INTEG_VERSION) {
		snprintf(s->why, sizeof(s->why), "bad magic 0x%08x or version %u",
				rte_le_to_cpu_32(h.magic), rte_le_to_cpu_16(h.version));
		return INTEG_CORRUPT;
	}
	if (s->len != pkt_len) {
		snprintf(s->why, sizeof(s->why), "received %u bytes, header says %u",
				pkt_len, s->len);
		return INTEG_CORRUPT;
	}
	if (frame_csum(buf, pkt_len) != rte_le_to_cpu_32(h.csum)) {
		explain_csum(buf, s, s->why, sizeof(s->why));
		return INTEG_CORRUPT;
	}
	return INTEG_OK;
}
