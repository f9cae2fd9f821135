/* cn_proc.c - pure codec for the proc connector (no I/O, no logging).
 *
 * One event on the wire (all host byte order, payload only 4-byte aligned,
 * so every field is copied out with memcpy):
 *
 *   +0  struct nlmsghdr   len, type NLMSG_DONE, flags, seq, pid   (16)
 *   +16 struct cn_msg     idx 1, val 1, seq, ack, len, flags      (20)
 *   +36 struct proc_event what, cpu, timestamp_ns                 (16)
 *   +52                   event_data (union, up to 24 bytes)
 *
 * The 6.1 uapi header lacks struct proc_input and the filter bits, so the
 * layouts are defined here.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/netlink.h>

#include "cn_proc.h"

#define CN_IDX_PROC_	1u
#define CN_VAL_PROC_	1u
#define CN_OP_LISTEN	1u
#define CN_OP_IGNORE	2u

struct cn_hdr {			/* struct cn_msg without the flexible data */
	uint32_t idx, val, seq, ack;
	uint16_t len, flags;
};

struct cn_proc_input {		/* 6.6+ struct proc_input */
	uint32_t mcast_op;
	uint32_t event_type;
};

#define CN_HDR_LEN	sizeof(struct cn_hdr)		/* 20 */
#define CN_EV_HDR_LEN	16u	/* what, cpu, timestamp_ns */

_Static_assert(sizeof(struct cn_hdr) == 20, "cn_msg layout");
_Static_assert(sizeof(struct cn_proc_input) == 8, "proc_input layout");

static size_t cn_put_request(void *buf, size_t room, const void *payload,
			     uint16_t plen, uint32_t seq)
{
	size_t total = NLMSG_HDRLEN + CN_HDR_LEN + plen;
	struct nlmsghdr nlh = {
		.nlmsg_len = (uint32_t)total,
		.nlmsg_type = NLMSG_DONE,
		.nlmsg_seq = seq,
	};
	struct cn_hdr cn = {
		.idx = CN_IDX_PROC_, .val = CN_VAL_PROC_, .seq = seq, .len = plen,
	};
	unsigned char *p = buf;

	if (!buf || room < total)
		return 0;
	memset(p, 0, total);
	memcpy(p, &nlh, sizeof(nlh));
	memcpy(p + NLMSG_HDRLEN, &cn, CN_HDR_LEN);
	memcpy(p + NLMSG_HDRLEN + CN_HDR_LEN, payload, plen);
	return total;
}

size_t cn_put_subscribe(void *buf, size_t room, bool listen, uint32_t events,
			uint32_t seq)
{
	struct cn_proc_input in = {
		.mcast_op = listen ? CN_OP_LISTEN : CN_OP_IGNORE,
		.event_type = events,
	};

	return cn_put_request(buf, room, &in, sizeof(in), seq);
}

size_t cn_put_subscribe_legacy(void *buf, size_t room, bool listen,
			       uint32_t seq)
{
	uint32_t op = listen ? CN_OP_LISTEN : CN_OP_IGNORE;

	return cn_put_request(buf, room, &op, sizeof(op), seq);
}

bool cn_kernel_has_filter(const char *release)
{
	unsigned major = 0, minor = 0;
	const char *p = release;

	if (!p)
		return false;
	while (*p >= '0' && *p <= '9' && major < 1000)
		major = major * 10 + (unsigned)(*p++ - '0');
	if (*p++ != '.')
		return false;
	while (*p >= '0' && *p <= '9' && minor < 1000)
		minor = minor * 10 + (unsigned)(*p++ - '0');
	return major > 6 || (major == 6 && minor >= 6);
}

static uint32_t cn_get_u32(const unsigned char *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

/* Bytes of event_data each kind needs (0 for unknown kinds). */
static size_t cn_event_need(uint32_t what)
{
	switch (what) {
	case 0:			return 4;	/* ack.err */
	case CN_EV_FORK:	return 16;
	case CN_EV_EXEC:	return 8;
	case CN_EV_SID:		return 8;
	case CN_EV_UID:
	case CN_EV_GID:		return 16;
	case CN_EV_PTRACE:	return 16;
	case CN_EV_COMM:	return 24;
	case CN_EV_COREDUMP:	return 16;
	case CN_EV_EXIT:	return 24;
	default:		return 0;
	}
}

/* d points at event_data, which holds at least cn_event_need(what) bytes. */
static void cn_event_decode(struct cn_event *ev, const unsigned char *d)
{
	switch (ev->what) {
	case 0:
		ev->ack_err = (int)cn_get_u32(d, 0);
		break;
	case CN_EV_FORK:
		ev->parent_pid = cn_get_u32(d, 0);
		ev->parent_tgid = cn_get_u32(d, 4);
		ev->pid = cn_get_u32(d, 8);
		ev->tgid = cn_get_u32(d, 12);
		break;
	case CN_EV_UID:
	case CN_EV_GID:
		ev->pid = cn_get_u32(d, 0);
		ev->tgid = cn_get_u32(d, 4);
		ev->uid = cn_get_u32(d, 12);	/* euid / egid */
		break;
	case CN_EV_COMM:
		ev->pid = cn_get_u32(d, 0);
		ev->tgid = cn_get_u32(d, 4);
		memcpy(ev->comm, d + 8, 16);
		ev->comm[16] = '\0';
		break;
	case CN_EV_PTRACE:
	case CN_EV_COREDUMP:
		/* tracer or parent: both go in parent_* */
		ev->pid = cn_get_u32(d, 0);
		ev->tgid = cn_get_u32(d, 4);
		ev->parent_pid = cn_get_u32(d, 8);
		ev->parent_tgid = cn_get_u32(d, 12);
		break;
	case CN_EV_EXIT:
		ev->pid = cn_get_u32(d, 0);
		ev->tgid = cn_get_u32(d, 4);
		ev->exit_code = cn_get_u32(d, 8);
		ev->exit_signal = (int32_t)cn_get_u32(d, 12);
		ev->parent_pid = cn_get_u32(d, 16);
		ev->parent_tgid = cn_get_u32(d, 20);
		break;
	case CN_EV_EXEC:
	case CN_EV_SID:
		ev->pid = cn_get_u32(d, 0);
		ev->tgid = cn_get_u32(d, 4);
		break;
	default:
		break;	/* unknown: only what/cpu/timestamp */
	}
}

/* One connector message (after the nlmsghdr).  Returns 1 for an event
 * passed to cb, 0 for a message that is not ours, or a negative error. */
static int cn_parse_msg(const unsigned char *p, size_t len, cn_event_cb cb,
			void *data)
{
	struct cn_event ev;
	struct cn_hdr cn;
	size_t need;

	if (len < CN_HDR_LEN)
		return -EPROTO;
	memcpy(&cn, p, CN_HDR_LEN);
	if (cn.len > len - CN_HDR_LEN)
		return -EPROTO;
	if (cn.idx != CN_IDX_PROC_ || cn.val != CN_VAL_PROC_)
		return 0;
	p += CN_HDR_LEN;
	if (cn.len < CN_EV_HDR_LEN)
		return -EPROTO;

	memset(&ev, 0, sizeof(ev));
	ev.what = cn_get_u32(p, 0);
	ev.cpu = cn_get_u32(p, 4);
	memcpy(&ev.timestamp_ns, p + 8, sizeof(ev.timestamp_ns));
	need = cn_event_need(ev.what);
	if (cn.len - CN_EV_HDR_LEN < need)
		return -EPROTO;
	cn_event_decode(&ev, p + CN_EV_HDR_LEN);

	if (cb) {
		int rc = cb(&ev, data);

		if (rc < 0)
			return rc;
	}
	return 1;
}

static int cn_parse_error(const unsigned char *p, size_t len)
{
	int32_t err;

	if (len < sizeof(err))
		return -EPROTO;
	memcpy(&err, p, sizeof(err));
	if (err > 0 || err < -4095)
		return -EPROTO;
	return err;		/* 0: an ACK, ignored */
}

int cn_parse_datagram(const void *buf, size_t len, cn_event_cb cb, void *data)
{
	const unsigned char *p = buf;
	int n = 0;

	if (!buf && len)
		return -EPROTO;
	while (len > 0) {
		struct nlmsghdr nlh;
		size_t mlen, step;
		int rc = 0;

		if (len < NLMSG_HDRLEN)
			return -EPROTO;
		memcpy(&nlh, p, sizeof(nlh));
		mlen = nlh.nlmsg_len;
		if (mlen < NLMSG_HDRLEN || mlen > len)
			return -EPROTO;

		if (nlh.nlmsg_type == NLMSG_DONE)
			rc = cn_parse_msg(p + NLMSG_HDRLEN, mlen - NLMSG_HDRLEN,
					  cb, data);
		else if (nlh.nlmsg_type == NLMSG_ERROR)
			rc = cn_parse_error(p + NLMSG_HDRLEN,
					    mlen - NLMSG_HDRLEN);
		if (rc < 0)
			return rc;
		n += rc;

		/* the last message may lack its alignment padding */
		step = NLMSG_ALIGN(mlen);
		if (step > len)
			step = len;
		p += step;
		len -= step;
	}
	return n;
}
