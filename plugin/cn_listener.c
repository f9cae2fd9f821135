/* cn_listener.c - one NETLINK_CONNECTOR socket subscribed to proc events.
 *
 * Kernels 6.6+ take an 8-byte {op, event mask} subscription and filter in
 * the kernel; older ones silently ignore anything but the 4-byte op, so
 * there we subscribe to everything and the caller filters by ev->what.
 * Never logs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <linux/netlink.h>

#include "cn_proc.h"

#define CN_RCVBUF_DEFAULT	(4u << 20)
#define CN_RECV_BUF		1024	/* per datagram: an event is 76 bytes */
#define CN_RECV_VLEN		64	/* datagrams per recvmmsg */
#define CN_DRAIN_MAX		100000	/* datagrams per drain: bounds one call */

struct cn_listener {
	int fd;
	bool filter;		/* kernel takes the 8-byte form */
	uint32_t events;
	uint32_t seq;
	uint64_t lost;
	unsigned char buf[CN_RECV_VLEN][CN_RECV_BUF];
	struct sockaddr_nl from[CN_RECV_VLEN];
	struct iovec iov[CN_RECV_VLEN];
	struct mmsghdr mm[CN_RECV_VLEN];
};

static bool cn_running_has_filter(void)
{
	struct utsname u;

	if (uname(&u) < 0)
		return false;
	return cn_kernel_has_filter(u.release);
}

static int cn_listener_send(struct cn_listener *l, bool listen)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	unsigned char req[64];
	size_t n;

	if (l->filter)
		n = cn_put_subscribe(req, sizeof(req), listen, l->events, ++l->seq);
	else
		n = cn_put_subscribe_legacy(req, sizeof(req), listen, ++l->seq);
	if (n == 0)
		return -EMSGSIZE;
	if (sendto(l->fd, req, n, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

static int cn_listener_setup(struct cn_listener *l, size_t rcvbuf)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1,		/* CN_IDX_PROC */
	};
	int sz = rcvbuf > (size_t)(1 << 30) ? 1 << 30 : (int)rcvbuf;

	l->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       NETLINK_CONNECTOR);
	if (l->fd < 0)
		return -errno;
	/* FORCE passes rmem_max when we have CAP_NET_ADMIN; otherwise the
	 * capped size is the best we can get. */
	if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0 &&
	    setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) < 0)
		return -errno;
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;	/* EPERM: before 6.6 without CAP_NET_ADMIN */
	/* ECONNREFUSED: the connector exists only in the initial netns */
	return cn_listener_send(l, true);
}

struct cn_listener *cn_listener_open(size_t rcvbuf, uint32_t events, int *err)
{
	struct cn_listener *l;
	int rc;

	l = calloc(1, sizeof(*l));
	if (!l) {
		rc = -ENOMEM;
		goto fail;
	}
	l->fd = -1;
	l->events = events;
	l->filter = cn_running_has_filter();
	rc = cn_listener_setup(l, rcvbuf ? rcvbuf : CN_RCVBUF_DEFAULT);
	if (rc < 0)
		goto fail_close;
	if (err)
		*err = 0;
	return l;

fail_close:
	if (l->fd >= 0)
		close(l->fd);
	free(l);
fail:
	if (err)
		*err = rc;
	return NULL;
}

void cn_listener_close(struct cn_listener *l)
{
	if (!l)
		return;
	/* unsubscribe, so the kernel stops building events for us */
	cn_listener_send(l, false);
	close(l->fd);
	free(l);
}

int cn_listener_fd(const struct cn_listener *l)
{
	return l ? l->fd : -1;
}

uint64_t cn_listener_lost(const struct cn_listener *l)
{
	return l ? l->lost : 0;
}

/* One recvmmsg.  Returns the number of datagrams (>0), 0 when empty, or
 * -errno. */
static int cn_listener_recv(struct cn_listener *l)
{
	int i, n;

	for (i = 0; i < CN_RECV_VLEN; i++) {
		l->iov[i] = (struct iovec){ l->buf[i], sizeof(l->buf[i]) };
		l->mm[i].msg_hdr = (struct msghdr){
			.msg_name = &l->from[i], .msg_namelen = sizeof(l->from[i]),
			.msg_iov = &l->iov[i], .msg_iovlen = 1,
		};
	}
	for (;;) {
		n = recvmmsg(l->fd, l->mm, CN_RECV_VLEN, MSG_DONTWAIT, NULL);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == ENOBUFS) {	/* queue overflowed */
			l->lost++;
			continue;
		}
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	}
}

int cn_listener_drain(struct cn_listener *l, cn_event_cb cb, void *data)
{
	int total = 0, got = 0, n, i, rc;

	if (!l)
		return -EINVAL;
	while (got < CN_DRAIN_MAX) {
		n = cn_listener_recv(l);
		if (n <= 0)
			return n < 0 ? n : total;
		got += n;
		for (i = 0; i < n; i++) {
			/* only the kernel speaks here; a truncated datagram is
			 * dropped */
			if (l->from[i].nl_pid != 0 || l->mm[i].msg_len == 0 ||
			    (l->mm[i].msg_hdr.msg_flags & MSG_TRUNC))
				continue;
			rc = cn_parse_datagram(l->buf[i], l->mm[i].msg_len, cb, data);
			if (rc < 0)
				return rc;
			total += rc;
		}
	}
	return total;
}
