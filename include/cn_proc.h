/* cn_proc.h - the kernel's proc connector (NETLINK_CONNECTOR, CN_IDX_PROC):
 * fork, exec, comm and exit events for every task on the host.
 *
 * The codec half (cn_put_subscribe, cn_parse_datagram) is pure and fuzzed;
 * the listener half owns one socket.  Events arrive as NLMSG_DONE-typed
 * messages, so this code walks messages itself (libmnl's mnl_cb_run would
 * stop silently on them).  Never logs.
 */
#ifndef TS_CN_PROC_H
#define TS_CN_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* proc_event.what values (linux/cn_proc.h, 6.6+ filter bits included) */
#define CN_EV_FORK		0x00000001u
#define CN_EV_EXEC		0x00000002u
#define CN_EV_UID		0x00000004u
#define CN_EV_GID		0x00000040u
#define CN_EV_SID		0x00000080u
#define CN_EV_PTRACE		0x00000100u
#define CN_EV_COMM		0x00000200u
#define CN_EV_NONZERO_EXIT	0x20000000u
#define CN_EV_COREDUMP		0x40000000u
#define CN_EV_EXIT		0x80000000u

struct cn_event {
	uint32_t what;			/* one CN_EV_* (0 = subscription ack) */
	uint32_t cpu;
	uint64_t timestamp_ns;		/* CLOCK_MONOTONIC */
	uint32_t pid, tgid;		/* the task (the child, for FORK) */
	uint32_t parent_pid, parent_tgid; /* FORK, EXIT (0/0 for threads) */
	uint32_t exit_code;		/* EXIT: raw wait status */
	int32_t exit_signal;		/* EXIT: -1 for threads */
	uint32_t uid;			/* UID: euid */
	char comm[17];			/* COMM, NUL-terminated */
	int ack_err;			/* what == 0: errno of the subscription */
};

typedef int (*cn_event_cb)(const struct cn_event *ev, void *data);

/* Build a subscription (listen) or unsubscription request into buf.
 * events: CN_EV_* mask for the 6.6+ filter (0 = all).  Returns the length,
 * or 0 when it does not fit. */
size_t cn_put_subscribe(void *buf, size_t room, bool listen, uint32_t events,
			uint32_t seq);

/* The same with the 4-byte legacy payload (op only, no filter).  Kernels
 * before 6.6 silently ignore any other length, so use this there. */
size_t cn_put_subscribe_legacy(void *buf, size_t room, bool listen,
			       uint32_t seq);

/* true when a uname release ("6.18.44-...") has the 6.6+ event filter. */
bool cn_kernel_has_filter(const char *release);

/* Walk one received datagram, calling cb for each proc event.  Returns the
 * number of events, -EPROTO for malformed input, or cb's negative return. */
int cn_parse_datagram(const void *buf, size_t len, cn_event_cb cb, void *data);

struct cn_listener;

/* Open, bind to CN_IDX_PROC and subscribe.  Returns NULL with *err set:
 * -ECONNREFUSED (another network namespace), -EPERM (kernel before 6.6
 * without CAP_NET_ADMIN), ...  rcvbuf 0 = default (~4 MiB). */
struct cn_listener *cn_listener_open(size_t rcvbuf, uint32_t events, int *err);
void cn_listener_close(struct cn_listener *l);	/* unsubscribes; NULL-safe */
int cn_listener_fd(const struct cn_listener *l);

/* Read all queued events without blocking.  Returns the number of events,
 * or -errno on a fatal error.  ENOBUFS (events lost) is counted, not fatal. */
int cn_listener_drain(struct cn_listener *l, cn_event_cb cb, void *data);
uint64_t cn_listener_lost(const struct cn_listener *l);

#endif
