/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The frames ivshmem-integrity sends and checks. Every frame carries who
 * sent it (a random stamp per sender run), on which queue, its sequence
 * number on that queue and its length, then bytes that follow from
 * (stamp, seq), and a CRC32C over all of that, so a receiver can tell a
 * lost, reordered, duplicated or damaged frame from a good one.
 *
 *   0                14    16      20     24      32    40    44    46    48
 *   +----------------+-----+-------+------+-------+-----+-----+-----+-----+----
 *   | dst  src  type | ver | magic | csum | stamp | seq | len | que | rsv | data
 *   +----------------+-----+-------+------+-------+-----+-----+-----+-----+----
 *    Ethernet, 0x88B5 \__ struct integ_hdr, little-endian ___________/
 *
 * csum is CRC32C (rte_hash_crc) of bytes [24, len): everything after it.
 * len is the whole frame, Ethernet header included (no FCS), 60..9000.
 */
#ifndef INTEGRITY_FRAME_H
#define INTEGRITY_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>

#define INTEG_ETHERTYPE		0x88B5	/* IEEE local experimental */
#define INTEG_MAGIC		0x54495649u	/* "IVIT" in memory */
#define INTEG_VERSION		1
#define INTEG_MIN_FRAME		60
#define INTEG_MAX_FRAME		9000

struct integ_hdr {
	uint16_t version;
	uint32_t magic;
	uint32_t csum;
	uint64_t stamp;
	uint64_t seq;
	uint32_t len;
	uint16_t queue;
	uint16_t reserved;
} __rte_packed;

#define INTEG_HDR_OFF		RTE_ETHER_HDR_LEN
#define INTEG_CSUM_FROM		(INTEG_HDR_OFF + offsetof(struct integ_hdr, stamp))
#define INTEG_DATA_OFF		(INTEG_HDR_OFF + sizeof(struct integ_hdr))

_Static_assert(sizeof(struct integ_hdr) == 34, "header layout");
_Static_assert(INTEG_CSUM_FROM == 24, "checksummed part starts 8-aligned");
_Static_assert(INTEG_DATA_OFF == 48, "data starts 8-aligned");
_Static_assert(INTEG_DATA_OFF <= INTEG_MIN_FRAME, "header fits the smallest frame");

/* What a received frame turned out to be. */
enum integ_verdict {
	INTEG_OK,
	INTEG_FOREIGN,	/* not ours: other ethertype, or too short */
	INTEG_CORRUPT,	/* ours, but damaged: see why */
};

struct integ_seen {
	uint64_t stamp;
	uint64_t seq;
	uint32_t len;
	uint16_t queue;
	char why[160];	/* for INTEG_CORRUPT and INTEG_FOREIGN */
};

/*
 * Writes a whole frame of len bytes into buf, which must be 8-aligned and
 * hold INTEG_MAX_FRAME bytes.
 */
void integ_frame_build(uint8_t *buf, uint32_t len,
		const struct rte_ether_addr *src, uint64_t stamp,
		uint16_t queue, uint64_t seq);

/*
 * Checks the frame of pkt_len bytes in buf (8-aligned, as above; only
 * its first INTEG_MAX_FRAME bytes when pkt_len is larger): fills
 * *seen (as far as it could be read) and says what the frame is.
 */
enum integ_verdict integ_frame_check(const uint8_t *buf, uint32_t pkt_len,
		struct integ_seen *seen);

/* splitmix64: a well-mixed 64-bit step, for seeds and sizes. */
uint64_t integ_mix64(uint64_t *state);

#endif /* INTEGRITY_FRAME_H */
