/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ivshmem server protocol: what a server sends to its clients over a
 * UNIX stream socket, as QEMU's ivshmem-doorbell device reads it. The
 * server (app/ivshmem-server) writes it, the client (ivshmem_client.h)
 * reads it; both take the constants and the message table from here.
 *
 * The connection is one-way, server to client: a client that writes may
 * be dropped. A message is one signed 64-bit little-endian value, sent
 * with one sendmsg() carrying no fd or exactly one (SCM_RIGHTS). A reader
 * takes no more than the rest of one message per recvmsg(): the fd
 * travels with its message's bytes, and a read across a message boundary
 * could pair a value with the next message's fd.
 *
 * Message table, in the order the messages are sent:
 *
 *   kind             to            value           fd            how many
 *   ---------------  ------------  --------------  ------------  ---------
 *   VERSION          the newcomer  IVP_PROTOCOL_   none          1
 *                                  VERSION
 *   ID               the newcomer  its ID          none          1
 *   SHM              the newcomer  IVP_SHM (-1)    shared memory 1
 *   PEER_EVENTFD     the newcomer  a peer's ID     that peer's   vectors per
 *                                                  eventfd       peer, peers
 *                                                                by rising ID
 *   OWN_EVENTFD      the newcomer  its own ID      its own       vectors
 *                                                  eventfd
 *   JOINED           every other   newcomer's ID   newcomer's    vectors
 *                    client                        eventfd
 *   LEFT             every other   departed ID     none          1
 *                    client
 *
 * The eventfds of one peer come in vector order, 0 first: the receiver
 * counts them to know the vector. Writing a 64-bit 1 to a peer's eventfd
 * for vector V interrupts that peer on V; its own eventfd V becomes
 * readable when someone rings it.
 *
 * A newcomer is listed the peers still connected when it is welcomed. A
 * LEFT may name a peer the receiver never heard of (one that left while
 * the receiver was being welcomed, from a server less careful than ours):
 * the receiver ignores it, as QEMU's device does. A LEFT naming the
 * receiver's own ID is an error.
 */
#ifndef IVSHMEM_PROTO_H
#define IVSHMEM_PROTO_H

#include <stdbool.h>
#include <stdint.h>

/* Value of the VERSION message; QEMU's IVSHMEM_PROTOCOL_VERSION. */
#define IVP_PROTOCOL_VERSION 0
/* Value of the SHM message: below every ID. */
#define IVP_SHM (-1)

/* The doorbell register carries the target ID in 16 bits. */
#define IVP_MAX_ID 65535
#define IVP_ID_COUNT (IVP_MAX_ID + 1)

/* Eventfds per peer: the bound of QEMU's example server. */
#define IVP_MAX_VECTORS 64

/*
 * Clients connected to one server at once, the receiver included. Our
 * server serves no more (-p/--max-peers); a client refuses a server that
 * lists or adds more, so however the server behaves, a client holds at
 * most (IVP_MAX_PEERS - 1) * vectors peer eventfds. The transport itself
 * needs two peers; the rest is room for replacements and observers.
 */
#define IVP_MAX_PEERS 256

enum ivp_msg {
	IVP_MSG_VERSION,
	IVP_MSG_ID,
	IVP_MSG_SHM,
	IVP_MSG_PEER_EVENTFD,
	IVP_MSG_OWN_EVENTFD,
	IVP_MSG_JOINED,
	IVP_MSG_LEFT,
	IVP_MSG_KINDS
};

enum ivp_fd {
	IVP_FD_NONE,
	IVP_FD_SHM,		/* a regular file the size of the region */
	IVP_FD_EVENTFD,
};

struct ivp_msg_info {
	const char *name;	/* for logs and errors */
	enum ivp_fd fd;
};

/* The table above, for one message kind. */
static inline const struct ivp_msg_info *
ivp_msg_info(enum ivp_msg kind)
{
	static const struct ivp_msg_info table[IVP_MSG_KINDS] = {
		[IVP_MSG_VERSION] = { "version", IVP_FD_NONE },
		[IVP_MSG_ID] = { "ID", IVP_FD_NONE },
		[IVP_MSG_SHM] = { "shared memory", IVP_FD_SHM },
		[IVP_MSG_PEER_EVENTFD] = { "eventfd of peer", IVP_FD_EVENTFD },
		[IVP_MSG_OWN_EVENTFD] = { "own eventfd", IVP_FD_EVENTFD },
		[IVP_MSG_JOINED] = { "eventfd of new peer", IVP_FD_EVENTFD },
		[IVP_MSG_LEFT] = { "departure of", IVP_FD_NONE },
	};

	return &table[kind];
}

#endif /* IVSHMEM_PROTO_H */
