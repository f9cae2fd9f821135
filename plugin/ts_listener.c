/* ts_listener.c - taskstats exit records (TASKSTATS_CMD_ATTR_REGISTER_CPUMASK).
 *
 * A second socket, kept apart from the query socket: exit records carry
 * nlmsg_pid 0 and a per-CPU seq that could collide with query seqs.  The
 * kernel sends each record only to listeners of the CPU the task exits on,
 * so we register every possible CPU.  A full receive queue drops records and
 * reports ENOBUFS once: counted in lost, then reading goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <libmnl/libmnl.h>

#include "ts_client.h"

#define TS_LISTENER_RCVBUF	(4u << 20)
#define TS_CPULIST_PATH		"/sys/devices/system/cpu/possible"
#define TS_DRAIN_VLEN		64

struct ts_listener {
	struct mnl_socket *nl;
	uint16_t family;
	uint32_t seq;
	uint64_t lost;
	char cpulist[512];
	/* recvmmsg: up to TS_DRAIN_VLEN records (596..1172+ B each) per call */
	char buf[TS_DRAIN_VLEN][TS_REPLY_MAX];
	struct iovec iov[TS_DRAIN_VLEN];
	struct mmsghdr mm[TS_DRAIN_VLEN];
};

static int ts_read_cpulist(char *out, size_t size)
{
	FILE *f;
	size_t n;

	f = fopen(TS_CPULIST_PATH, "re");
	if (f == NULL)
		return -errno;
	if (fgets(out, size, f) == NULL) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	n = strcspn(out, "\n");
	out[n] = '\0';
	return n > 0 ? 0 : -EIO;	/* "" would register nothing */
}

struct ts_ack {
	uint32_t seq, portid;
	bool found;
	int error;
};

static int ts_ack_match(const struct ts_msg *m, void *data)
{
	struct ts_ack *a = data;

	if (m->seq == a->seq && m->portid == a->portid &&
	    !m->has_pid && !m->has_tgid) {
		a->found = true;
		a->error = m->error;
	}
	return 0;
}

/* Wait for the ack of request seq; records arriving first are dropped. */
static int ts_listener_wait_ack(struct ts_listener *l, uint32_t seq)
{
	struct ts_ack a = { .seq = seq, .portid = mnl_socket_get_portid(l->nl) };
	ssize_t n;
	int tries;

	for (tries = 0; tries < 1024 && !a.found; tries++) {
		n = mnl_socket_recvfrom(l->nl, l->buf, sizeof(l->buf));
		if (n < 0 && errno == ENOBUFS)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		ts_parse_datagram(l->buf, n, l->family, ts_ack_match, &a);
	}
	return a.found ? a.error : -ETIMEDOUT;
}

static int ts_listener_send_mask(struct ts_listener *l, bool do_register)
{
	char req[1024];
	size_t len;

	len = ts_put_cpumask(req, sizeof(req), l->family, ++l->seq,
			     do_register, l->cpulist);
	if (len == 0)
		return -E2BIG;
	if (mnl_socket_sendto(l->nl, req, len) < 0)
		return -errno;
	return 0;
}

static int ts_listener_setup(struct ts_listener *l, size_t rcvbuf)
{
	struct timeval tv = { .tv_sec = 5 };
	int fd = mnl_socket_get_fd(l->nl), r;

	if (mnl_socket_bind(l->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	r = ts_sock_set_rcvbuf(fd, rcvbuf ? rcvbuf : TS_LISTENER_RCVBUF);
	if (r < 0)
		return r;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	r = ts_read_cpulist(l->cpulist, sizeof(l->cpulist));
	if (r < 0)
		return r;
	r = ts_genl_resolve(l->nl, ++l->seq, &l->family);
	if (r < 0)
		return r;
	r = ts_listener_send_mask(l, true);
	if (r < 0)
		return r;
	r = ts_listener_wait_ack(l, l->seq);
	if (r < 0)
		return r;
	/* records are drained without blocking from now on */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

struct ts_listener *ts_listener_open(size_t rcvbuf, int *err)
{
	struct ts_listener *l;
	int r;

	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		r = -ENOMEM;
		goto err_out;
	}
	l->seq = (uint32_t)getpid() << 8;
	l->nl = mnl_socket_open(NETLINK_GENERIC);
	if (l->nl == NULL) {
		r = -errno;
		goto err_free;
	}
	r = ts_listener_setup(l, rcvbuf);
	if (r < 0)
		goto err_close;
	return l;

err_close:
	mnl_socket_close(l->nl);
err_free:
	free(l);
err_out:
	if (err != NULL)
		*err = r;
	return NULL;
}

void ts_listener_close(struct ts_listener *l)
{
	if (l == NULL)
		return;
	/* deregister now rather than waiting for the kernel to notice the
	 * closed portid (which another socket could reuse meanwhile) */
	ts_listener_send_mask(l, false);
	mnl_socket_close(l->nl);
	free(l);
}

int ts_listener_fd(const struct ts_listener *l)
{
	return l ? mnl_socket_get_fd(l->nl) : -EBADF;
}

uint64_t ts_listener_lost(const struct ts_listener *l)
{
	return l ? l->lost : 0;
}

struct ts_drain {
	ts_msg_cb cb;
	void *data;
	int records;
};

static int ts_drain_one(const struct ts_msg *m, void *data)
{
	struct ts_drain *d = data;

	/* exit records come from the kernel with portid 0; acks of our
	 * own (de)registration do not count */
	if (m->portid != 0 || m->error != 0)
		return 0;
	d->records++;
	return d->cb ? d->cb(m, d->data) : 0;
}

int ts_listener_drain(struct ts_listener *l, ts_msg_cb cb, void *data)
{
	struct ts_drain d = { .cb = cb, .data = data };
	int fd, n, i, r;

	if (l == NULL)
		return -EINVAL;
	fd = mnl_socket_get_fd(l->nl);
	for (i = 0; i < TS_DRAIN_VLEN; i++) {
		l->iov[i] = (struct iovec){ l->buf[i], sizeof(l->buf[i]) };
		l->mm[i].msg_hdr = (struct msghdr){ .msg_iov = &l->iov[i],
						    .msg_iovlen = 1 };
	}
	for (;;) {
		n = recvmmsg(fd, l->mm, TS_DRAIN_VLEN, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				l->lost++;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			r = ts_parse_datagram(l->buf[i], l->mm[i].msg_len,
					      l->family, ts_drain_one, &d);
			if (r < 0 && r != -EPROTO)
				return r;	/* the callback asked to stop */
			/* a malformed datagram is skipped: later ones are fine */
		}
		/* a short count may hide a pending ENOBUFS: read on until EAGAIN */
	}
	return d.records;
}
