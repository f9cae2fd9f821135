/* ts_client.h - the taskstats generic-netlink client: owns the sockets.
 *
 * One persistent query socket; the TASKSTATS family is resolved at open and
 * again only after an error says the id is stale.  Queries are batched:
 * many requests per sendto(), replies collected with recvmmsg() and matched
 * by sequence number.  Knows nothing of groups or collectd; never logs.
 * Errors are returned as -errno; ts_strerror() explains them to a human.
 */
#ifndef TS_CLIENT_H
#define TS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ts_codec.h"

struct ts_client;

/* Open the query socket and resolve the family.  Returns NULL with *err
 * set: -EPERM (no CAP_NET_ADMIN), -ENOENT (no TASKSTATS family), ... */
struct ts_client *ts_client_open(int *err);
void ts_client_close(struct ts_client *c);	/* NULL-safe */
uint16_t ts_client_family(const struct ts_client *c);

/* One item of a batch: the caller fills kind and id; the client fills
 * err (0, -ESRCH = gone, other -errno) and stats (for TGID: tgid_stats
 * is copied into stats; for PID: pid_stats). */
struct ts_query {
	enum ts_id_kind kind;
	uint32_t id;
	int err;
	struct ts_sample stats;
};

/* Query n items.  Returns 0 when every item got an answer (possibly a
 * per-item error such as -ESRCH), or -errno when the exchange itself
 * failed: the socket is then closed and the next call reopens it and
 * resolves the family again. */
int ts_client_query(struct ts_client *c, struct ts_query *q, size_t n);

/* Convenience: one item. */
int ts_client_get(struct ts_client *c, enum ts_id_kind kind, uint32_t id,
		  struct ts_sample *out);

/* Test hook: make the next send fail with -err (failure injection). */
void ts_client_inject_failure(struct ts_client *c, int err);
/* How often the socket was (re)opened and the family resolved. */
unsigned ts_client_reopens(const struct ts_client *c);

/* Exit-record listener: a second socket registered for all possible CPUs. */
struct ts_listener;

/* rcvbuf: requested SO_RCVBUF bytes (0 = default, ~4 MiB). */
struct ts_listener *ts_listener_open(size_t rcvbuf, int *err);
void ts_listener_close(struct ts_listener *l);	/* deregisters; NULL-safe */
int ts_listener_fd(const struct ts_listener *l);

/* Read every queued record without blocking, calling cb for each.
 * Returns the number of records, or -errno on a fatal error.  ENOBUFS is
 * not fatal: it is added to the lost count and reading continues. */
int ts_listener_drain(struct ts_listener *l, ts_msg_cb cb, void *data);
/* ENOBUFS occurrences seen so far (each means >= 1 record lost). */
uint64_t ts_listener_lost(const struct ts_listener *l);

/* A human explanation of a client error, naming the cause and the fix. */
const char *ts_strerror(int err);

/* Shared by the query client and the exit listener. */
struct mnl_socket;
/* Set SO_RCVBUF (SO_RCVBUFFORCE when allowed) to bytes; returns the size
 * the kernel reports (doubled) or -errno. */
int ts_sock_set_rcvbuf(int fd, size_t bytes);
/* Resolve the TASKSTATS family id on a bound socket (CTRL_CMD_GETFAMILY
 * with sequence number seq).  0, -ENOENT (no family), or -errno. */
int ts_genl_resolve(struct mnl_socket *nl, uint32_t seq, uint16_t *family);

/* Environment checks (read /proc/sys, no netlink). */
int ts_delayacct_enabled(void);		/* 1, 0, or -errno if unknown */
int ts_delayacct_enable(void);		/* 0 or -errno */

#endif
