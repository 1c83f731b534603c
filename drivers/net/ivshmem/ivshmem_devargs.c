/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Devargs: one table of keys, one strict parser per value type. Every
 * failure is one log line naming the key, the value and what is allowed,
 * and fails the probe before anything is created.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_kvargs.h>

#include "ivshmem_ethdev.h"
#include "ivshmem_logs.h"

enum ivsh_rule { RULE_NONE, RULE_POW2, RULE_MULT64 };

struct ivsh_key {
	const char *key;
	int (*parse)(const struct ivsh_key *k, const char *val, void *dst);
	size_t off;
	uint64_t min, max;
	const char *allowed;
	enum ivsh_rule rule;
};

static int
bad(const struct ivsh_key *k, const char *val, const char *why)
{
	IVSH_INIT_LOG(ERR, "devarg %s=%s: %s; allowed: %s", k->key, val, why,
			k->allowed);
	return -EINVAL;
}

/* Decimal (or 0x hex) integer, whole string, within [min, max]. */
static int
parse_uint(const struct ivsh_key *k, const char *val, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*val == '\0' || *val == '-' || *val == '+' || *val == ' ')
		return bad(k, val, "not a number");
	errno = 0;
	v = strtoull(val, &end, 0);
	if (errno != 0 || *end != '\0')
		return bad(k, val, "not a number");
	if (v < k->min || v > k->max)
		return bad(k, val, "out of range");
	*out = v;
	return 0;
}

static int
parse_u32(const struct ivsh_key *k, const char *val, void *dst)
{
	uint64_t v = 0;
	int ret = parse_uint(k, val, &v);

	if (ret == 0)
		*(uint32_t *)dst = (uint32_t)v;
	return ret;
}

/* An integer that must also be a power of two, or a multiple of 64. */
static int
parse_shaped(const struct ivsh_key *k, const char *val, void *dst)
{
	uint64_t v = 0;
	int ret = parse_uint(k, val, &v);

	if (ret != 0)
		return ret;
	if (k->rule == RULE_POW2 && (v & (v - 1)) != 0)
		return bad(k, val, "not a power of two");
	if (k->rule == RULE_MULT64 && v % 64 != 0)
		return bad(k, val, "not a multiple of 64");
	*(uint32_t *)dst = (uint32_t)v;
	return 0;
}

/* Bytes with an optional K, M or G suffix (powers of 1024). */
static int
parse_size(const struct ivsh_key *k, const char *val, void *dst)
{
	char num[32];
	size_t len = strlen(val);
	unsigned int shift = 0;
	uint64_t v = 0;
	int ret;

	if (len == 0 || len >= sizeof(num))
		return bad(k, val, "not a size");
	memcpy(num, val, len + 1);
	switch (num[len - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	default: break;
	}
	if (shift != 0)
		num[len - 1] = '\0';
	{
		struct ivsh_key raw = *k;

		raw.min = 0;
		raw.max = k->max >> shift;
		ret = parse_uint(&raw, num, &v);
	}
	if (ret != 0)
		return ret;
	v <<= shift;
	if (v < k->min || v > k->max)
		return bad(k, val, "out of range");
	*(uint64_t *)dst = v;
	return 0;
}

static int
parse_path(const struct ivsh_key *k, const char *val, void *dst)
{
	size_t len = strlen(val);

	if (len == 0)
		return bad(k, val, "empty path");
	if (len >= PATH_MAX)
		return bad(k, val, "path too long");
	memcpy(dst, val, len + 1);
	return 0;
}

static int
parse_id(const struct ivsh_key *k, const char *val, void *dst)
{
	uint64_t v = 0;
	int ret;

	if (strcmp(val, "auto") == 0) {
		*(int32_t *)dst = -1;
		return 0;
	}
	ret = parse_uint(k, val, &v);
	if (ret == 0)
		*(int32_t *)dst = (int32_t)v;
	return ret;
}

static int
parse_yes_no(const struct ivsh_key *k, const char *val, void *dst)
{
	if (strcmp(val, "yes") == 0)
		*(bool *)dst = true;
	else if (strcmp(val, "no") == 0)
		*(bool *)dst = false;
	else
		return bad(k, val, "not yes or no");
	return 0;
}

static int
parse_mac(const struct ivsh_key *k, const char *val, void *dst)
{
	struct rte_ether_addr *mac = dst;

	if (rte_ether_unformat_addr(val, mac) != 0)
		return bad(k, val, "not a MAC address");
	if (rte_is_multicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
		return bad(k, val, "not a unicast address");
	return 0;
}

#define OFF(f) offsetof(struct ivsh_opts, f)

static const struct ivsh_key keys[] = {
	{ "shm", parse_path, OFF(shm), 0, 0,
		"a file path on tmpfs (/dev/shm/...) or hugetlbfs", RULE_NONE },
	{ "server", parse_path, OFF(server), 0, 0,
		"the socket path of an ivshmem server", RULE_NONE },
	{ "size", parse_size, OFF(size), 1 << 20, 1ULL << 36,
		"1M..64G, with K/M/G suffix; a power of two for QEMU", RULE_NONE },
	{ "queues", parse_u32, OFF(queues), 1, IVR_MAX_QUEUES,
		"1..16 queue pairs", RULE_NONE },
	{ "ring_size", parse_shaped, OFF(ring_size), IVR_MIN_RING, IVR_MAX_RING,
		"a power of two in 64..16384", RULE_POW2 },
	{ "buf_size", parse_shaped, OFF(buf_size), IVR_MIN_BUF, IVR_MAX_BUF,
		"a multiple of 64 in 128..65536", RULE_MULT64 },
	{ "id", parse_id, OFF(id), 0, IVR_SLOTS - 1,
		"0, 1 or auto", RULE_NONE },
	{ "peer_timeout_ms", parse_u32, OFF(peer_timeout_ms), IVR_DEAD_MS_MIN, 60000,
		"250..60000 milliseconds (heartbeats come every 100)", RULE_NONE },
	{ "intr_spin_us", parse_u32, OFF(intr_spin_us), 0, 1000,
		"0..1000 microseconds", RULE_NONE },
	{ "zero_copy", parse_yes_no, OFF(zero_copy), 0, 0,
		"yes or no", RULE_NONE },
	{ "rx_copy_break", parse_u32, OFF(rx_copy_break), 0, 65536,
		"0..65536 bytes", RULE_NONE },
	{ "mac", parse_mac, OFF(mac), 0, 0,
		"a unicast MAC address like 02:00:00:00:00:01", RULE_NONE },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))


void
ivsh_opts_default(struct ivsh_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->queues = 1;
	o->ring_size = IVSH_DEFAULT_RING;
	o->buf_size = IVSH_DEFAULT_BUF;
	o->id = -1;
	o->peer_timeout_ms = IVR_DEAD_MS_DEFAULT;
	o->intr_spin_us = IVSH_INTR_SPIN_US;
	o->rx_copy_break = IVSH_RX_COPY_BREAK;
}

static const struct ivsh_key *
find_key(const char *key)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].key, key) == 0)
			return &keys[i];
	return NULL;
}

/* Keys that name where the region comes from: vdev only. */
static bool
vdev_only(const struct ivsh_key *k)
{
	return k->off == OFF(shm) || k->off == OFF(server) || k->off == OFF(size);
}

static int
parse_keys(const char *name, const char *args, struct ivsh_opts *o, bool pci)
{
	struct rte_kvargs *kv;
	bool seen[N_KEYS] = { false };
	int ret = 0;

	ivsh_opts_default(o);
	if (args == NULL || *args == '\0')
		return 0;
	/* NULL valid-keys: we check keys ourselves so the message names
	 * the offending one. */
	kv = rte_kvargs_parse(args, NULL);
	if (kv == NULL) {
		IVSH_INIT_LOG(ERR, "%s: cannot parse devargs '%s': expected key=value[,key=value...]",
				name, args);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < kv->count && ret == 0; i++) {
		const char *key = kv->pairs[i].key, *val = kv->pairs[i].value;
		const struct ivsh_key *k = find_key(key);

		if (k == NULL) {
			IVSH_INIT_LOG(ERR, "%s: unknown devarg '%s'; allowed: %s",
					name, key, pci ? IVSH_PCI_PARAM_STRING : IVSH_PARAM_STRING);
			ret = -EINVAL;
		} else if (pci && vdev_only(k)) {
			IVSH_INIT_LOG(ERR, "%s: devarg %s= is for the net_ivshmem vdev; a PCI device's memory is its BAR2; allowed: %s",
					name, key, IVSH_PCI_PARAM_STRING);
			ret = -EINVAL;
		} else if (val == NULL) {
			ret = bad(k, "", "missing value");
		} else if (seen[k - keys]) {
			ret = bad(k, val, "given twice");
		} else {
			seen[k - keys] = true;
			ret = k->parse(k, val, (char *)o + k->off);
			if (ret == 0 && k->off == OFF(mac))
				o->mac_given = true;
		}
	}
	rte_kvargs_free(kv);
	return ret;
}

int
ivsh_opts_parse_pci(const char *name, const char *args, struct ivsh_opts *o)
{
	return parse_keys(name, args, o, true);
}

int
ivsh_opts_parse(const char *name, const char *args, struct ivsh_opts *o)
{
	int ret = parse_keys(name, args, o, false);

	if (ret != 0)
		return ret;
	/* Combinations. */
	if (o->shm[0] == '\0' && o->server[0] == '\0') {
		IVSH_INIT_LOG(ERR, "%s: one of shm=<path> or server=<socket> is required", name);
		return -EINVAL;
	}
	if (o->shm[0] != '\0' && o->server[0] != '\0') {
		IVSH_INIT_LOG(ERR, "%s: shm=%s and server=%s conflict: the server provides the memory; give one",
				name, o->shm, o->server);
		return -EINVAL;
	}
	if (o->server[0] != '\0' && o->size != 0) {
		IVSH_INIT_LOG(ERR, "%s: size=%llu conflicts with server=%s: the server sets the size",
				name, (unsigned long long)o->size, o->server);
		return -EINVAL;
	}
	return 0;
}
