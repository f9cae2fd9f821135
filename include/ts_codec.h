/* ts_codec.h - taskstats generic-netlink messages: bytes in, samples out.
 *
 * Pure: no socket, no logging, no collectd.  Builders write into caller
 * buffers with libmnl and may be called back to back on one buffer to pack
 * several requests into one datagram (batching).  Parsers never trust a
 * length, never read the payload in place (it is only 4-byte aligned) and
 * return -errno on malformed input.
 *
 *   nlmsghdr (type = family id) | genlmsghdr (cmd NEW)
 *     nla AGGR_PID | AGGR_TGID            (nested; exit records may carry both)
 *       nla PID | TGID  u32               (the id as the requester sent it)
 *       [nla NULL]                        (padding on some architectures)
 *       nla STATS       struct taskstats  (any version, any length)
 */
#ifndef TS_CODEC_H
#define TS_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include "ts_sample.h"

#define TS_GENL_NAME "TASKSTATS"

enum ts_id_kind { TS_ID_PID, TS_ID_TGID };

/* Room one request needs; replies need TS_REPLY_MAX (two nests of v17+). */
#define TS_REQUEST_MAX 64
#define TS_REPLY_MAX 2048

/* Each builder appends one message at buf (room bytes free) and returns its
 * length, or 0 when it does not fit.  seq must be non-zero. */
size_t ts_put_getfamily(void *buf, size_t room, uint32_t seq);
size_t ts_put_query(void *buf, size_t room, uint16_t family, uint32_t seq,
		    enum ts_id_kind kind, uint32_t id);
/* cpulist as in /sys/devices/system/cpu/possible ("0-3,8"); NLM_F_ACK set */
size_t ts_put_cpumask(void *buf, size_t room, uint16_t family, uint32_t seq,
		      bool do_register, const char *cpulist);

/* One decoded taskstats message (a query reply or an exit record). */
struct ts_msg {
	uint32_t seq;
	uint32_t portid;		/* 0 for exit records */
	int error;			/* 0, or -errno of an NLMSG_ERROR */
	bool has_pid, has_tgid;		/* which aggregates were present */
	uint32_t pid, tgid;		/* ids echoed in the aggregates */
	struct ts_sample pid_stats;	/* valid iff has_pid */
	struct ts_sample tgid_stats;	/* valid iff has_tgid */
};

/* True when a complete netlink message of nlmsg_len <= len starts at nlh
 * (len >= 16 bytes).  Use instead of mnl_nlmsg_ok, which casts nlmsg_len to
 * int and lets a length >= 2^31 through. */
bool ts_nlmsg_ok(const struct nlmsghdr *nlh, size_t len);

/* Decode the STATS payload of any version into s (zeroed first).
 * Returns 0, or -EPROTO for a payload shorter than the v1 struct or a
 * layout that cannot be decoded. */
int ts_decode_stats(const void *payload, size_t len, struct ts_sample *s);

/* Decode one netlink message of the taskstats family into m.
 * Returns 0 (m filled; m->error may be set for NLMSG_ERROR), -ENOMSG for a
 * message of another type that should be skipped (NLMSG_NOOP, NLMSG_DONE,
 * another family), or -EPROTO/-EINVAL for a malformed message. */
int ts_parse_msg(const struct nlmsghdr *nlh, size_t len, uint16_t family,
		 struct ts_msg *m);

/* Walk a received datagram, calling cb for each taskstats message (replies
 * and errors).  Stops with cb's negative return.  Returns the number of
 * messages passed to cb, or -EPROTO on a truncated datagram. */
typedef int (*ts_msg_cb)(const struct ts_msg *m, void *data);
int ts_parse_datagram(const void *buf, size_t len, uint16_t family,
		      ts_msg_cb cb, void *data);

/* Parse a CTRL_CMD_GETFAMILY reply: 0 and *family set, -errno of an
 * NLMSG_ERROR (ENOENT: no such family), or -EPROTO. */
int ts_parse_family(const void *buf, size_t len, uint16_t *family);

/* True when m answers one of the count requests sent by portid with
 * sequence numbers seq_first, seq_first+1, ... (wrap-around safe).  Exit
 * records (portid 0) and strays of other sockets or batches are not. */
bool ts_msg_is_reply(const struct ts_msg *m, uint32_t portid,
		     uint32_t seq_first, uint32_t count);

#endif
