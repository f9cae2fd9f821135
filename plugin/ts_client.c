/* ts_client.c - the taskstats query client.
 *
 * One persistent NETLINK_GENERIC socket.  A batch of queries is packed into
 * as few sendto() calls as the receive buffer allows (genetlink runs each
 * request synchronously inside sendmsg, so every reply is already queued when
 * sendto returns; what costs is the number of syscalls), and the replies are
 * collected with recvmmsg() and matched by sequence number.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <libmnl/libmnl.h>

#include "ts_client.h"

#define TS_RCVBUF_DEFAULT	(4u << 20)
/* SO_RCVBUF charged per queued reply: ~1.28 KB measured (docs/kernel-notes.md,
 * "Costs"), rounded up so a full batch never overflows into ENOBUFS. */
#define TS_REPLY_COST		1400
#define TS_BATCH_MAX		1024
#define TS_RECV_VLEN		64
#define TS_RECV_TIMEOUT_S	5
#define TS_PENDING		(-EINPROGRESS)	/* item not answered yet */

struct ts_client {
	struct mnl_socket *nl;		/* NULL after a failure: reopen */
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
	int inject;			/* errno the next send fails with */
	unsigned reopens;
	size_t batch;			/* requests per sendto() */
	char *tx;			/* batch * TS_REQUEST_MAX */
	char *rx;			/* TS_RECV_VLEN * TS_REPLY_MAX */
	struct iovec iov[TS_RECV_VLEN];
	struct mmsghdr mm[TS_RECV_VLEN];
};

int ts_sock_set_rcvbuf(int fd, size_t bytes)
{
	int want = bytes > INT32_MAX / 2 ? INT32_MAX / 2 : (int)bytes;
	int got = 0;
	socklen_t len = sizeof(got);

	/* FORCE ignores rmem_max but needs CAP_NET_ADMIN; fall back quietly */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want)) < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) < 0)
		return -errno;
	return got;
}

static int ts_sock_set_timeout(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

int ts_genl_resolve(struct mnl_socket *nl, uint32_t seq, uint16_t *family)
{
	char buf[8192];
	const struct nlmsghdr *nlh = (const void *)buf;
	size_t len = ts_put_getfamily(buf, sizeof(buf), seq);
	ssize_t n;
	int tries;

	if (mnl_socket_sendto(nl, buf, len) < 0)
		return -errno;
	/* skip strays (e.g. exit records on a listener socket) */
	for (tries = 0; tries < 64; tries++) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if ((size_t)n >= sizeof(*nlh) && nlh->nlmsg_seq == seq &&
		    nlh->nlmsg_pid == mnl_socket_get_portid(nl))
			return ts_parse_family(buf, n, family);
	}
	return -EPROTO;
}

/* Reserve count consecutive non-zero sequence numbers. */
static uint32_t ts_client_next_seq(struct ts_client *c, uint32_t count)
{
	uint32_t first;

	if (c->seq == 0 || c->seq > UINT32_MAX - count)
		c->seq = 1;	/* 0 would disable libmnl-style seq checks */
	first = c->seq;
	c->seq += count;
	return first;
}

static void ts_client_disconnect(struct ts_client *c)
{
	if (c->nl != NULL)
		mnl_socket_close(c->nl);
	c->nl = NULL;
}

static int ts_client_connect(struct ts_client *c)
{
	int r, fd;

	c->nl = mnl_socket_open(NETLINK_GENERIC);
	if (c->nl == NULL)
		return -errno;
	if (mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto err_close;
	}
	fd = mnl_socket_get_fd(c->nl);
	r = ts_sock_set_rcvbuf(fd, TS_RCVBUF_DEFAULT);
	if (r < 0)
		goto err_close;
	c->batch = (size_t)r / TS_REPLY_COST;
	if (c->batch > TS_BATCH_MAX)
		c->batch = TS_BATCH_MAX;
	if (c->batch < 1)
		c->batch = 1;
	r = ts_sock_set_timeout(fd, TS_RECV_TIMEOUT_S);
	if (r < 0)
		goto err_close;
	c->portid = mnl_socket_get_portid(c->nl);
	r = ts_genl_resolve(c->nl, ts_client_next_seq(c, 1), &c->family);
	if (r < 0)
		goto err_close;
	c->reopens++;
	return 0;

err_close:
	ts_client_disconnect(c);
	return r;
}

struct ts_batch {
	struct ts_query *q;
	uint32_t n;
	uint32_t seq0;
	uint32_t portid;
	uint32_t answered;
};

/* Put one reply (or error) into the item its seq names. */
static int ts_batch_match(const struct ts_msg *m, void *data)
{
	struct ts_batch *b = data;
	struct ts_query *q;

	if (!ts_msg_is_reply(m, b->portid, b->seq0, b->n))
		return 0;	/* exit record or stray: not ours */
	q = &b->q[m->seq - b->seq0];
	if (q->err != TS_PENDING)
		return 0;	/* duplicate */
	b->answered++;
	if (m->error < 0) {
		q->err = m->error;
	} else if (q->kind == TS_ID_TGID && m->has_tgid && m->tgid == q->id) {
		q->stats = m->tgid_stats;
		q->err = 0;
	} else if (q->kind == TS_ID_PID && m->has_pid && m->pid == q->id) {
		q->stats = m->pid_stats;
		q->err = 0;
	} else {
		q->err = -EPROTO;	/* an ack or a reply for another id */
	}
	return 0;
}

static int ts_client_send_batch(struct ts_client *c, struct ts_batch *b)
{
	size_t len = 0, room = c->batch * TS_REQUEST_MAX, put;
	uint32_t i;

	for (i = 0; i < b->n; i++) {
		b->q[i].err = TS_PENDING;
		put = ts_put_query(c->tx + len, room - len, c->family,
				   b->seq0 + i, b->q[i].kind, b->q[i].id);
		if (put == 0)
			return -ENOSPC;
		len += put;
	}
	if (c->inject) {
		int r = -c->inject;

		c->inject = 0;
		return r;
	}
	if (mnl_socket_sendto(c->nl, c->tx, len) < 0)
		return -errno;
	return 0;
}

static int ts_client_recv_batch(struct ts_client *c, struct ts_batch *b)
{
	int fd = mnl_socket_get_fd(c->nl);
	unsigned vlen, i;
	int n, r;

	while (b->answered < b->n) {
		vlen = b->n - b->answered;
		if (vlen > TS_RECV_VLEN)
			vlen = TS_RECV_VLEN;
		n = recvmmsg(fd, c->mm, vlen, MSG_WAITFORONE, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (i = 0; i < (unsigned)n; i++) {
			if (c->mm[i].msg_hdr.msg_flags & MSG_TRUNC)
				return -ENOSPC;
			r = ts_parse_datagram(c->iov[i].iov_base, c->mm[i].msg_len,
					      c->family, ts_batch_match, b);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* True when any item failed with err. */
static bool ts_batch_has(const struct ts_batch *b, int err)
{
	uint32_t i;

	for (i = 0; i < b->n; i++)
		if (b->q[i].err == err)
			return true;
	return false;
}

static int ts_client_exchange(struct ts_client *c, struct ts_query *q, size_t n)
{
	struct ts_batch b = {
		.q = q, .n = n, .seq0 = ts_client_next_seq(c, n),
		.portid = c->portid,
	};
	int r;

	r = ts_client_send_batch(c, &b);
	if (r == 0)
		r = ts_client_recv_batch(c, &b);
	if (r == 0 && ts_batch_has(&b, -EPERM))
		r = -EPERM;	/* the whole socket lacks CAP_NET_ADMIN */
	if (r == 0 && ts_batch_has(&b, -ENOENT))
		r = -ENOENT;	/* genetlink: no family with that id */
	return r;
}

int ts_client_query(struct ts_client *c, struct ts_query *q, size_t n)
{
	uint16_t old;
	size_t off, k;
	int r;

	if (c == NULL || (q == NULL && n > 0))
		return -EINVAL;
	if (c->nl == NULL && (r = ts_client_connect(c)) < 0)
		return r;
	for (off = 0; off < n; off += k) {
		k = n - off < c->batch ? n - off : c->batch;
		r = ts_client_exchange(c, q + off, k);
		if (r == -ENOENT) {
			/* the family id went stale: resolve once and retry */
			old = c->family;
			r = ts_genl_resolve(c->nl, ts_client_next_seq(c, 1),
					    &c->family);
			if (r == 0 && c->family != old)
				r = ts_client_exchange(c, q + off, k);
			else if (r == 0)
				r = -ENOENT;
		}
		if (r < 0) {
			ts_client_disconnect(c);
			return r;
		}
	}
	return 0;
}

int ts_client_get(struct ts_client *c, enum ts_id_kind kind, uint32_t id,
		  struct ts_sample *out)
{
	struct ts_query q = { .kind = kind, .id = id };
	int r;

	r = ts_client_query(c, &q, 1);
	if (r < 0)
		return r;
	if (q.err == 0 && out != NULL)
		*out = q.stats;
	return q.err;
}

static int ts_client_alloc_buffers(struct ts_client *c)
{
	unsigned i;

	c->tx = malloc(TS_BATCH_MAX * TS_REQUEST_MAX);
	c->rx = malloc(TS_RECV_VLEN * TS_REPLY_MAX);
	if (c->tx == NULL || c->rx == NULL)
		return -ENOMEM;
	for (i = 0; i < TS_RECV_VLEN; i++) {
		c->iov[i].iov_base = c->rx + i * TS_REPLY_MAX;
		c->iov[i].iov_len = TS_REPLY_MAX;
		c->mm[i].msg_hdr.msg_iov = &c->iov[i];
		c->mm[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

struct ts_client *ts_client_open(int *err)
{
	struct ts_client *c;
	struct ts_sample self;
	int r;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		r = -ENOMEM;
		goto err_out;
	}
	c->seq = (uint32_t)getpid() << 8 | 1;	/* non-zero, differs per run */
	r = ts_client_alloc_buffers(c);
	if (r < 0)
		goto err_free;
	r = ts_client_connect(c);
	if (r < 0)
		goto err_free;
	/* probe: getfamily needs no privilege, queries need CAP_NET_ADMIN */
	r = ts_client_get(c, TS_ID_TGID, getpid(), &self);
	if (r < 0)
		goto err_free;
	return c;

err_free:
	ts_client_close(c);
err_out:
	if (err != NULL)
		*err = r;
	return NULL;
}

void ts_client_close(struct ts_client *c)
{
	if (c == NULL)
		return;
	ts_client_disconnect(c);
	free(c->tx);
	free(c->rx);
	free(c);
}

uint16_t ts_client_family(const struct ts_client *c)
{
	return c ? c->family : 0;
}

void ts_client_inject_failure(struct ts_client *c, int err)
{
	if (c != NULL)
		c->inject = err < 0 ? -err : err;
}

unsigned ts_client_reopens(const struct ts_client *c)
{
	return c ? c->reopens : 0;
}

const char *ts_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case -EPERM:
	case -EACCES:
		return "taskstats needs CAP_NET_ADMIN (run collectd as root or grant the capability)";
	case -ENOENT:
		return "taskstats generic-netlink family not found: kernel built without CONFIG_TASKSTATS, or running in a network namespace on a kernel before 5.19";
	case -ESRCH:
		return "no such process";
	case -EPROTO:
		return "malformed or unsupported taskstats reply";
	case -ETIMEDOUT:
		return "taskstats: no reply from the kernel";
	case -ENOBUFS:
		return "taskstats: receive buffer overflow, replies or records lost";
	case -EPROTONOSUPPORT:
	case -EAFNOSUPPORT:
		return "netlink (NETLINK_GENERIC) is not available in this kernel";
	case -EINVAL:
		return "taskstats: invalid request";
	}
	return strerror(err < 0 ? -err : err);
}

#define TS_DELAYACCT_PATH "/proc/sys/kernel/task_delayacct"

int ts_delayacct_enabled(void)
{
	char c = 0;
	int fd, r;

	fd = open(TS_DELAYACCT_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, &c, 1) == 1 ? 0 : -EIO;
	close(fd);
	if (r < 0)
		return r;
	return c == '1';
}

int ts_delayacct_enable(void)
{
	int fd, r = 0;

	fd = open(TS_DELAYACCT_PATH, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "1\n", 2) != 2)
		r = -errno;
	close(fd);
	return r;
}
