/* ts_msgs.h - taskstats messages built with libmnl, as the kernel sends
 * them (v16 layout), for the unit tests. */
#ifndef TS_MSGS_H
#define TS_MSGS_H

#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "ts_codec.h"

#define FAM 31
enum { T_PID = 1, T_TGID = 2, T_STATS = 3, T_AGGR_PID = 4, T_AGGR_TGID = 5 };

/* Offsets of the v16 layout of struct taskstats (x86_64). */
enum { O_VERSION = 0, O_EXITCODE = 4, O_FLAG = 8, O_CPU_RUN_VIRTUAL = 72,
       O_PID = 128, O_PPID = 132, O_UTIME = 152, O_STIME = 160,
       O_WCHAR = 224, O_SYSCW = 240, O_NVCSW = 272, O_NIVCSW = 280,
       O_TGID = 368, O_ETIME = 144, O_TGETIME = 376, O_BLKIO_COUNT = 32,
       O_BLKIO_DELAY = 40 };

struct field { unsigned off, size; uint64_t v; };

static inline void put_stats(char *payload, const struct field *f, size_t n)
{
	size_t i;

	memset(payload, 0, 560);
	for (i = 0; i < n; i++) {
		uint64_t v = f[i].v;

		memcpy(payload + f[i].off, &v, f[i].size);	/* little endian */
	}
}

/* One message with up to two aggregates, as the kernel sends them. */
static inline void build(char *buf, uint16_t aggr1, uint32_t id1, const char *p1,
		  uint16_t aggr2, uint32_t id2, const char *p2)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	struct nlattr *nest;

	nlh->nlmsg_type = FAM;
	nlh->nlmsg_seq = 7;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = 2;
	g->version = 1;
	nest = mnl_attr_nest_start(nlh, aggr1);
	mnl_attr_put_u32(nlh, aggr1 == T_AGGR_PID ? T_PID : T_TGID, id1);
	mnl_attr_put(nlh, T_STATS, 560, p1);
	mnl_attr_nest_end(nlh, nest);
	if (p2) {
		nest = mnl_attr_nest_start(nlh, aggr2);
		mnl_attr_put_u32(nlh, T_TGID, id2);
		mnl_attr_put(nlh, T_STATS, 560, p2);
		mnl_attr_nest_end(nlh, nest);
	}
}

static inline struct ts_msg parse(const char *buf)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	struct ts_msg m;

	assert_int_equal(ts_parse_msg(nlh, nlh->nlmsg_len, FAM, &m), 0);
	return m;
}

#endif
