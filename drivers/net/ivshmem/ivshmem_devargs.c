/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Devargs: one table of keys, with the ranges of ivshmem_devargs.h; numbers
 * and sizes are parsed by lib/ivshmem_parse, paths and the MAC here. Every
 * failure is one log line naming the key, the value and what is allowed,
 * and fails the probe before anything is created.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_kvargs.h>
#include <rte_string_fns.h>

#include "ivshmem_devargs.h"
#include "ivshmem_ethdev.h"
#include "ivshmem_logs.h"
#include "ivshmem_parse.h"

enum ivsh_kind {
	KIND_NUM,	/* spec: integer or size, into a uint32_t or uint64_t */
	KIND_ID,	/* spec, or "auto" (-1), into an int32_t */
	KIND_PATH,	/* a non-empty path shorter than PATH_MAX */
	KIND_MAC,	/* a unicast MAC address */
	KIND_YES_NO,	/* yes or no, into a bool */
};

struct ivsh_key {
	const char *key;
	enum ivsh_kind kind;
	size_t off, size;		/* the field in struct ivsh_opts */
	struct ivn_spec spec;		/* KIND_NUM, KIND_ID */
	const char *allowed;		/* KIND_PATH, KIND_MAC */
};

#define FIELD(f)	offsetof(struct ivsh_opts, f), sizeof(((struct ivsh_opts *)0)->f)
#define NUM(k, f, spec)		{ k, KIND_NUM, FIELD(f), spec, NULL }
#define TEXT(k, kind, f, text)	{ k, kind, FIELD(f), { 0 }, text }

/* Every key, with its range from ivshmem_devargs.h. */
static const struct ivsh_key keys[] = {
	TEXT("shm", KIND_PATH, shm,
		"a file path on tmpfs (/dev/shm/...) or hugetlbfs"),
	TEXT("server", KIND_PATH, server, "the socket path of an ivshmem server"),
	NUM("size", size, IVN_SIZE(IVSH_SIZE_MIN, IVSH_SIZE_MAX)),
	NUM("queues", queues, IVN_UINT(IVSH_QUEUES_MIN, IVSH_QUEUES_MAX)),
	NUM("ring_size", ring_size, IVN_UINT_POW2(IVSH_RING_MIN, IVSH_RING_MAX)),
	NUM("buf_size", buf_size,
		IVN_UINT_MULT(IVSH_BUF_MULT, IVSH_BUF_MIN, IVSH_BUF_MAX)),
	{ "id", KIND_ID, FIELD(id), IVN_UINT(IVSH_ID_MIN, IVSH_ID_MAX), NULL },
	NUM("peer_timeout_ms", peer_timeout_ms,
		IVN_UINT(IVSH_PEER_TIMEOUT_MS_MIN, IVSH_PEER_TIMEOUT_MS_MAX)),
	NUM("intr_spin_us", intr_spin_us,
		IVN_UINT(IVSH_INTR_SPIN_US_MIN, IVSH_INTR_SPIN_US_MAX)),
	TEXT("zero_copy", KIND_YES_NO, zero_copy, "yes or no"),
	NUM("rx_copy_break", rx_copy_break,
		IVN_UINT(IVSH_COPY_BREAK_MIN, IVSH_COPY_BREAK_MAX)),
	NUM("tx_copy_break", tx_copy_break,
		IVN_UINT(IVSH_COPY_BREAK_MIN, IVSH_COPY_BREAK_MAX)),
	TEXT("mac", KIND_MAC, mac, "a unicast MAC address like 02:00:00:00:00:01"),
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* The defaults lie in their ranges. */
_Static_assert(IVSH_DEFAULT_RING >= IVSH_RING_MIN && IVSH_DEFAULT_RING <= IVSH_RING_MAX &&
		(IVSH_DEFAULT_RING & (IVSH_DEFAULT_RING - 1)) == 0, "ring_size default");
_Static_assert(IVSH_DEFAULT_BUF >= IVSH_BUF_MIN && IVSH_DEFAULT_BUF <= IVSH_BUF_MAX &&
		IVSH_DEFAULT_BUF % IVSH_BUF_MULT == 0, "buf_size default");
_Static_assert(IVR_DEAD_MS_DEFAULT >= IVSH_PEER_TIMEOUT_MS_MIN &&
		IVR_DEAD_MS_DEFAULT <= IVSH_PEER_TIMEOUT_MS_MAX, "peer_timeout_ms default");
_Static_assert(IVSH_INTR_SPIN_US <= IVSH_INTR_SPIN_US_MAX, "intr_spin_us default");
_Static_assert(IVSH_RX_COPY_BREAK <= IVSH_COPY_BREAK_MAX, "rx_copy_break default");
_Static_assert(IVSH_TX_COPY_BREAK <= IVSH_COPY_BREAK_MAX, "tx_copy_break default");

/* What k allows, in words: from its spec, or its text. */
static const char *
allowed(const struct ivsh_key *k, char *buf, size_t len)
{
	if (k->kind != KIND_NUM && k->kind != KIND_ID)
		return k->allowed;
	ivn_allowed(&k->spec, buf, len);
	if (k->kind == KIND_ID)
		strlcat(buf, " or auto", len);
	return buf;
}

static int
bad(const struct ivsh_key *k, const char *val, const char *why)
{
	char buf[128];

	IVSH_INIT_LOG(ERR, "devarg %s=%s: %s; allowed: %s", k->key, val, why,
			allowed(k, buf, sizeof(buf)));
	return -EINVAL;
}

static int
parse_num(const struct ivsh_key *k, const char *val, void *dst)
{
	char err[IVN_ERR_LEN];
	uint64_t v = 0;

	if (k->kind == KIND_ID && strcmp(val, "auto") == 0) {
		*(int32_t *)dst = -1;
		return 0;
	}
	if (ivn_parse(k->key, val, &k->spec, &v, err, sizeof(err)) != 0) {
		IVSH_INIT_LOG(ERR, "devarg %s%s", err,
				k->kind == KIND_ID ? " or auto" : "");
		return -EINVAL;
	}
	if (k->kind == KIND_ID)
		*(int32_t *)dst = (int32_t)v;
	else if (k->size == sizeof(uint64_t))
		*(uint64_t *)dst = v;
	else
		*(uint32_t *)dst = (uint32_t)v;
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
parse_mac(const struct ivsh_key *k, const char *val, void *dst)
{
	struct rte_ether_addr *mac = dst;

	if (rte_ether_unformat_addr(val, mac) != 0)
		return bad(k, val, "not a MAC address");
	if (rte_is_multicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
		return bad(k, val, "not a unicast address");
	return 0;
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
parse_value(const struct ivsh_key *k, const char *val, struct ivsh_opts *o)
{
	void *dst = (char *)o + k->off;

	switch (k->kind) {
	case KIND_PATH:
		return parse_path(k, val, dst);
	case KIND_MAC:
		return parse_mac(k, val, dst);
	case KIND_YES_NO:
		return parse_yes_no(k, val, dst);
	case KIND_NUM:
	case KIND_ID:
	default:
		return parse_num(k, val, dst);
	}
}

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
	o->tx_copy_break = IVSH_TX_COPY_BREAK;
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
	return k->off == offsetof(struct ivsh_opts, shm) ||
		k->off == offsetof(struct ivsh_opts, server) ||
		k->off == offsetof(struct ivsh_opts, size);
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
		} else if (seen[k - keys]) {
			ret = bad(k, val != NULL ? val : "", "given twice");
		} else {
			seen[k - keys] = true;
			/* "key" without "=": an empty value, said so by
			 * the parser of its type. */
			ret = parse_value(k, val != NULL ? val : "", o);
			if (ret == 0 && k->kind == KIND_MAC)
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
