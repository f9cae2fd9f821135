/* ts_codec.c - taskstats generic-netlink codec: builders and parsers.
 *
 * Pure: no socket, no logging, no collectd.  Every parser walks the bytes
 * with explicit bounds and copies the stats payload out (it is only 4-byte
 * aligned in replies), so truncated or lying lengths give -EPROTO and never
 * a read past the buffer.
 *
 *   |<- nlmsghdr ->|<- genlmsghdr ->|<------------ attributes ------------->|
 *   | len type=fam | cmd=NEW ver=1  | AGGR_PID{ PID u32 | [NULL] | STATS } |
 *   |  flags seq   |                | [AGGR_TGID{ TGID u32 | STATS }]      |
 *
 * The kernel struct is described here, not taken from <linux/taskstats.h>:
 * the build host's header is older than the running kernel (v13 vs v16).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "ts_codec.h"

/* generic netlink controller (linux/genetlink.h values, stable ABI) */
#define TS_GENL_ID_CTRL		0x10
#define TS_CTRL_CMD_GETFAMILY	3
#define TS_CTRL_ATTR_FAMILY_ID	1
#define TS_CTRL_ATTR_FAMILY_NAME 2
#define TS_CTRL_VERSION		2

/* taskstats family (linux/taskstats.h) */
#define TS_GENL_VERSION		1
#define TS_CMD_GET		1
#define TS_CMD_NEW		2
#define TS_CMD_ATTR_PID		1
#define TS_CMD_ATTR_TGID	2
#define TS_CMD_ATTR_REGISTER	3
#define TS_CMD_ATTR_DEREGISTER	4
#define TS_TYPE_PID		1
#define TS_TYPE_TGID		2
#define TS_TYPE_STATS		3
#define TS_TYPE_AGGR_PID	4
#define TS_TYPE_AGGR_TGID	5
#define TS_TYPE_NULL		6

#define A8 __attribute__((aligned(8)))

/* v1 (2.6.18): a u16 padding block instead of exitcode/flag/nice. */
struct ts_v1 {
	uint16_t version;
	uint16_t padding[3];
	uint64_t cpu_count A8;
	uint64_t cpu_delay_total;
	uint64_t blkio_count;
	uint64_t blkio_delay_total;
	uint64_t swapin_count;
	uint64_t swapin_delay_total;
	uint64_t cpu_run_real_total;
	uint64_t cpu_run_virtual_total;
};

/* v16 (6.16+, 6.15.y): v14 plus the delay max/min pairs at the end.  v2..v14
 * are prefixes of it, v17 appends to it. */
struct ts_v16 {
	uint16_t version;
	uint32_t ac_exitcode;
	uint8_t ac_flag;
	uint8_t ac_nice;
	uint64_t cpu_count A8;
	uint64_t cpu_delay_total;
	uint64_t blkio_count;
	uint64_t blkio_delay_total;
	uint64_t swapin_count;
	uint64_t swapin_delay_total;
	uint64_t cpu_run_real_total;
	uint64_t cpu_run_virtual_total;
	char ac_comm[32];
	uint8_t ac_sched;
	uint8_t ac_pad[3];
	uint32_t ac_uid A8;
	uint32_t ac_gid;
	uint32_t ac_pid;
	uint32_t ac_ppid;
	uint32_t ac_btime;
	uint64_t ac_etime A8;
	uint64_t ac_utime;
	uint64_t ac_stime;
	uint64_t ac_minflt;
	uint64_t ac_majflt;
	uint64_t coremem;
	uint64_t virtmem;
	uint64_t hiwater_rss;
	uint64_t hiwater_vm;
	uint64_t read_char;
	uint64_t write_char;
	uint64_t read_syscalls;
	uint64_t write_syscalls;
	uint64_t read_bytes;
	uint64_t write_bytes;
	uint64_t cancelled_write_bytes;
	uint64_t nvcsw;
	uint64_t nivcsw;
	uint64_t ac_utimescaled;
	uint64_t ac_stimescaled;
	uint64_t cpu_scaled_run_real_total;
	uint64_t freepages_count;
	uint64_t freepages_delay_total;
	uint64_t thrashing_count;
	uint64_t thrashing_delay_total;
	uint64_t ac_btime64;
	uint64_t compact_count;
	uint64_t compact_delay_total;
	uint32_t ac_tgid;
	uint64_t ac_tgetime A8;
	uint64_t ac_exe_dev;
	uint64_t ac_exe_inode;
	uint64_t wpcopy_count;
	uint64_t wpcopy_delay_total;
	uint64_t irq_count;
	uint64_t irq_delay_total;
	uint64_t cpu_delay_max;
	uint64_t cpu_delay_min;
	uint64_t blkio_delay_max;
	uint64_t blkio_delay_min;
	uint64_t swapin_delay_max;
	uint64_t swapin_delay_min;
	uint64_t freepages_delay_max;
	uint64_t freepages_delay_min;
	uint64_t thrashing_delay_max;
	uint64_t thrashing_delay_min;
	uint64_t compact_delay_max;
	uint64_t compact_delay_min;
	uint64_t wpcopy_delay_max;
	uint64_t wpcopy_delay_min;
	uint64_t irq_delay_max;
	uint64_t irq_delay_min;
};

/* v15 (6.15.0 only): same size as v16, but max/min were inserted after each
 * delay pair.  Source: "taskstats: fix struct taskstats breaks backward
 * compatibility since version 15" (Wang Yaxin, May 2025), whose diff removes
 * exactly these lines from the v15 header. */
struct ts_v15 {
	uint16_t version;
	uint32_t ac_exitcode;
	uint8_t ac_flag;
	uint8_t ac_nice;
	uint64_t cpu_count A8;
	uint64_t cpu_delay_total;
	uint64_t cpu_delay_max;
	uint64_t cpu_delay_min;
	uint64_t blkio_count;
	uint64_t blkio_delay_total;
	uint64_t blkio_delay_max;
	uint64_t blkio_delay_min;
	uint64_t swapin_count;
	uint64_t swapin_delay_total;
	uint64_t swapin_delay_max;
	uint64_t swapin_delay_min;
	uint64_t cpu_run_real_total;
	uint64_t cpu_run_virtual_total;
	char ac_comm[32];
	uint8_t ac_sched;
	uint8_t ac_pad[3];
	uint32_t ac_uid A8;
	uint32_t ac_gid;
	uint32_t ac_pid;
	uint32_t ac_ppid;
	uint32_t ac_btime;
	uint64_t ac_etime A8;
	uint64_t ac_utime;
	uint64_t ac_stime;
	uint64_t ac_minflt;
	uint64_t ac_majflt;
	uint64_t coremem;
	uint64_t virtmem;
	uint64_t hiwater_rss;
	uint64_t hiwater_vm;
	uint64_t read_char;
	uint64_t write_char;
	uint64_t read_syscalls;
	uint64_t write_syscalls;
	uint64_t read_bytes;
	uint64_t write_bytes;
	uint64_t cancelled_write_bytes;
	uint64_t nvcsw;
	uint64_t nivcsw;
	uint64_t ac_utimescaled;
	uint64_t ac_stimescaled;
	uint64_t cpu_scaled_run_real_total;
	uint64_t freepages_count;
	uint64_t freepages_delay_total;
	uint64_t freepages_delay_max;
	uint64_t freepages_delay_min;
	uint64_t thrashing_count;
	uint64_t thrashing_delay_total;
	uint64_t thrashing_delay_max;
	uint64_t thrashing_delay_min;
	uint64_t ac_btime64;
	uint64_t compact_count;
	uint64_t compact_delay_total;
	uint64_t compact_delay_max;
	uint64_t compact_delay_min;
	uint32_t ac_tgid;
	uint64_t ac_tgetime A8;
	uint64_t ac_exe_dev;
	uint64_t ac_exe_inode;
	uint64_t wpcopy_count;
	uint64_t wpcopy_delay_total;
	uint64_t wpcopy_delay_max;
	uint64_t wpcopy_delay_min;
	uint64_t irq_count;
	uint64_t irq_delay_total;
	uint64_t irq_delay_max;
	uint64_t irq_delay_min;
};

_Static_assert(sizeof(struct ts_v1) == 72, "v1 layout");
_Static_assert(sizeof(struct ts_v15) == 560, "v15 layout");
_Static_assert(sizeof(struct ts_v16) == 560, "v16 layout");
_Static_assert(offsetof(struct ts_v16, wpcopy_delay_total) == 408, "v13 tail");
_Static_assert(offsetof(struct ts_v16, cpu_delay_max) == 432, "v16 tail");
_Static_assert(offsetof(struct ts_v15, blkio_count) == 48, "v15 shift");

/* One row per enum ts_field: kernel name, offsets in the v16/v15/v1
 * layouts (-1: not in v1), kernel size, and where it goes in ts_sample. */
struct ts_field_desc {
	const char *name;
	int16_t off16, off15, off1;
	uint8_t ksize;
	uint16_t soff;
	uint8_t ssize;
};

#define KSZ(m)	sizeof(((struct ts_v16 *)0)->m)
#define SSZ(m)	sizeof(((struct ts_sample *)0)->m)
#define FD(m, sm, o1) [TSF_ ## m] = { #m, offsetof(struct ts_v16, m), \
	offsetof(struct ts_v15, m), o1, KSZ(m), offsetof(struct ts_sample, sm), SSZ(sm) }
#define F(m, sm)	FD(m, sm, -1)
#define F1(m, sm)	FD(m, sm, offsetof(struct ts_v1, m))
/* the enum is upper case; the kernel names are lower case */
#define TSF_version TSF_VERSION
#define TSF_ac_exitcode TSF_AC_EXITCODE
#define TSF_ac_flag TSF_AC_FLAG
#define TSF_ac_nice TSF_AC_NICE
#define TSF_cpu_count TSF_CPU_COUNT
#define TSF_cpu_delay_total TSF_CPU_DELAY_TOTAL
#define TSF_blkio_count TSF_BLKIO_COUNT
#define TSF_blkio_delay_total TSF_BLKIO_DELAY_TOTAL
#define TSF_swapin_count TSF_SWAPIN_COUNT
#define TSF_swapin_delay_total TSF_SWAPIN_DELAY_TOTAL
#define TSF_cpu_run_real_total TSF_CPU_RUN_REAL_TOTAL
#define TSF_cpu_run_virtual_total TSF_CPU_RUN_VIRTUAL_TOTAL
#define TSF_ac_comm TSF_AC_COMM
#define TSF_ac_sched TSF_AC_SCHED
#define TSF_ac_uid TSF_AC_UID
#define TSF_ac_gid TSF_AC_GID
#define TSF_ac_pid TSF_AC_PID
#define TSF_ac_ppid TSF_AC_PPID
#define TSF_ac_btime TSF_AC_BTIME
#define TSF_ac_etime TSF_AC_ETIME
#define TSF_ac_utime TSF_AC_UTIME
#define TSF_ac_stime TSF_AC_STIME
#define TSF_ac_minflt TSF_AC_MINFLT
#define TSF_ac_majflt TSF_AC_MAJFLT
#define TSF_coremem TSF_COREMEM
#define TSF_virtmem TSF_VIRTMEM
#define TSF_hiwater_rss TSF_HIWATER_RSS
#define TSF_hiwater_vm TSF_HIWATER_VM
#define TSF_read_char TSF_READ_CHAR
#define TSF_write_char TSF_WRITE_CHAR
#define TSF_read_syscalls TSF_READ_SYSCALLS
#define TSF_write_syscalls TSF_WRITE_SYSCALLS
#define TSF_read_bytes TSF_READ_BYTES
#define TSF_write_bytes TSF_WRITE_BYTES
#define TSF_cancelled_write_bytes TSF_CANCELLED_WRITE_BYTES
#define TSF_nvcsw TSF_NVCSW
#define TSF_nivcsw TSF_NIVCSW
#define TSF_ac_utimescaled TSF_AC_UTIMESCALED
#define TSF_ac_stimescaled TSF_AC_STIMESCALED
#define TSF_cpu_scaled_run_real_total TSF_CPU_SCALED_RUN_REAL_TOTAL
#define TSF_freepages_count TSF_FREEPAGES_COUNT
#define TSF_freepages_delay_total TSF_FREEPAGES_DELAY_TOTAL
#define TSF_thrashing_count TSF_THRASHING_COUNT
#define TSF_thrashing_delay_total TSF_THRASHING_DELAY_TOTAL
#define TSF_ac_btime64 TSF_AC_BTIME64
#define TSF_compact_count TSF_COMPACT_COUNT
#define TSF_compact_delay_total TSF_COMPACT_DELAY_TOTAL
#define TSF_ac_tgid TSF_AC_TGID
#define TSF_ac_tgetime TSF_AC_TGETIME
#define TSF_ac_exe_dev TSF_AC_EXE_DEV
#define TSF_ac_exe_inode TSF_AC_EXE_INODE
#define TSF_wpcopy_count TSF_WPCOPY_COUNT
#define TSF_wpcopy_delay_total TSF_WPCOPY_DELAY_TOTAL
#define TSF_irq_count TSF_IRQ_COUNT
#define TSF_irq_delay_total TSF_IRQ_DELAY_TOTAL
#define TSF_cpu_delay_max TSF_CPU_DELAY_MAX
#define TSF_cpu_delay_min TSF_CPU_DELAY_MIN
#define TSF_blkio_delay_max TSF_BLKIO_DELAY_MAX
#define TSF_blkio_delay_min TSF_BLKIO_DELAY_MIN
#define TSF_swapin_delay_max TSF_SWAPIN_DELAY_MAX
#define TSF_swapin_delay_min TSF_SWAPIN_DELAY_MIN
#define TSF_freepages_delay_max TSF_FREEPAGES_DELAY_MAX
#define TSF_freepages_delay_min TSF_FREEPAGES_DELAY_MIN
#define TSF_thrashing_delay_max TSF_THRASHING_DELAY_MAX
#define TSF_thrashing_delay_min TSF_THRASHING_DELAY_MIN
#define TSF_compact_delay_max TSF_COMPACT_DELAY_MAX
#define TSF_compact_delay_min TSF_COMPACT_DELAY_MIN
#define TSF_wpcopy_delay_max TSF_WPCOPY_DELAY_MAX
#define TSF_wpcopy_delay_min TSF_WPCOPY_DELAY_MIN
#define TSF_irq_delay_max TSF_IRQ_DELAY_MAX
#define TSF_irq_delay_min TSF_IRQ_DELAY_MIN

#define D(k, part)	delay[TS_DELAY_ ## k].part

static const struct ts_field_desc ts_fields[TSF_COUNT] = {
	F1(version, version),
	F(ac_exitcode, exitcode),
	F(ac_flag, flag),
	F(ac_nice, nice),
	F1(cpu_count, D(CPU, count)),
	F1(cpu_delay_total, D(CPU, total_ns)),
	F1(blkio_count, D(BLKIO, count)),
	F1(blkio_delay_total, D(BLKIO, total_ns)),
	F1(swapin_count, D(SWAPIN, count)),
	F1(swapin_delay_total, D(SWAPIN, total_ns)),
	F1(cpu_run_real_total, cpu_run_real_ns),
	F1(cpu_run_virtual_total, cpu_run_virtual_ns),
	F(ac_comm, comm),
	F(ac_sched, sched),
	F(ac_uid, uid),
	F(ac_gid, gid),
	F(ac_pid, pid),
	F(ac_ppid, ppid),
	F(ac_btime, btime_s),
	F(ac_etime, etime_us),
	F(ac_utime, utime_us),
	F(ac_stime, stime_us),
	F(ac_minflt, minflt),
	F(ac_majflt, majflt),
	F(coremem, coremem_mib_us),
	F(virtmem, virtmem_mib_us),
	F(hiwater_rss, hiwater_rss_kib),
	F(hiwater_vm, hiwater_vm_kib),
	F(read_char, read_char_bytes),
	F(write_char, write_char_bytes),
	F(read_syscalls, read_syscalls),
	F(write_syscalls, write_syscalls),
	F(read_bytes, read_bytes),
	F(write_bytes, write_bytes),
	F(cancelled_write_bytes, cancelled_write_bytes),
	F(nvcsw, nvcsw),
	F(nivcsw, nivcsw),
	F(ac_utimescaled, utimescaled_us),
	F(ac_stimescaled, stimescaled_us),
	F(cpu_scaled_run_real_total, cpu_scaled_run_real_ns),
	F(freepages_count, D(FREEPAGES, count)),
	F(freepages_delay_total, D(FREEPAGES, total_ns)),
	F(thrashing_count, D(THRASHING, count)),
	F(thrashing_delay_total, D(THRASHING, total_ns)),
	F(ac_btime64, btime64_s),
	F(compact_count, D(COMPACT, count)),
	F(compact_delay_total, D(COMPACT, total_ns)),
	F(ac_tgid, tgid),
	F(ac_tgetime, tgetime_us),
	F(ac_exe_dev, exe_dev),
	F(ac_exe_inode, exe_inode),
	F(wpcopy_count, D(WPCOPY, count)),
	F(wpcopy_delay_total, D(WPCOPY, total_ns)),
	F(irq_count, D(IRQ, count)),
	F(irq_delay_total, D(IRQ, total_ns)),
	F(cpu_delay_max, D(CPU, max_ns)),
	F(cpu_delay_min, D(CPU, min_ns)),
	F(blkio_delay_max, D(BLKIO, max_ns)),
	F(blkio_delay_min, D(BLKIO, min_ns)),
	F(swapin_delay_max, D(SWAPIN, max_ns)),
	F(swapin_delay_min, D(SWAPIN, min_ns)),
	F(freepages_delay_max, D(FREEPAGES, max_ns)),
	F(freepages_delay_min, D(FREEPAGES, min_ns)),
	F(thrashing_delay_max, D(THRASHING, max_ns)),
	F(thrashing_delay_min, D(THRASHING, min_ns)),
	F(compact_delay_max, D(COMPACT, max_ns)),
	F(compact_delay_min, D(COMPACT, min_ns)),
	F(wpcopy_delay_max, D(WPCOPY, max_ns)),
	F(wpcopy_delay_min, D(WPCOPY, min_ns)),
	F(irq_delay_max, D(IRQ, max_ns)),
	F(irq_delay_min, D(IRQ, min_ns)),
};

static const char *const ts_delay_names[TS_DELAY_KINDS] = {
	"cpu", "blkio", "swapin", "freepages", "thrashing", "compact",
	"wpcopy", "irq",
};

const char *ts_field_name(enum ts_field f)
{
	if ((unsigned)f >= TSF_COUNT)
		return NULL;
	return ts_fields[f].name;
}

const char *ts_delay_name(enum ts_delay_kind k)
{
	if ((unsigned)k >= TS_DELAY_KINDS)
		return NULL;
	return ts_delay_names[k];
}

/* Read an unsigned integer of size bytes (1, 2, 4 or 8) from p. */
static uint64_t ts_load_uint(const void *p, size_t size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (size) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	case 8: memcpy(&u64, p, 8); return u64;
	}
	return 0;
}

static void ts_store_uint(void *p, size_t size, uint64_t v)
{
	uint8_t u8 = v;
	uint16_t u16 = v;
	uint32_t u32 = v;

	switch (size) {
	case 1: memcpy(p, &u8, 1); break;
	case 2: memcpy(p, &u16, 2); break;
	case 4: memcpy(p, &u32, 4); break;
	case 8: memcpy(p, &v, 8); break;
	}
}

uint64_t ts_field_u64(const struct ts_sample *s, enum ts_field f)
{
	const struct ts_field_desc *d;

	if ((unsigned)f >= TSF_COUNT || f == TSF_AC_COMM)
		return 0;
	d = &ts_fields[f];
	return ts_load_uint((const char *)s + d->soff, d->ssize);
}

static int ts_field_offset(const struct ts_field_desc *d, unsigned version)
{
	if (version == 1)
		return d->off1;
	if (version == 15)
		return d->off15;
	return d->off16;	/* v0 (old TGID exit records), v2..v14, v16+ */
}

int ts_decode_stats(const void *payload, size_t len, struct ts_sample *s)
{
	unsigned char raw[sizeof(struct ts_v16)] = { 0 };
	size_t copy = len < sizeof(raw) ? len : sizeof(raw);
	unsigned version;
	int f;

	memset(s, 0, sizeof(*s));
	if (payload == NULL || len < sizeof(struct ts_v1))
		return -EPROTO;
	/* copy out: the payload is only 4-byte aligned; v17+ tail ignored */
	memcpy(raw, payload, copy);
	version = ts_load_uint(raw, 2);
	s->payload_len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;

	for (f = 0; f < TSF_COUNT; f++) {
		const struct ts_field_desc *d = &ts_fields[f];
		int off = ts_field_offset(d, version);

		if (off < 0 || (size_t)off + d->ksize > copy)
			continue;
		if (f == TSF_AC_COMM) {
			memcpy(s->comm, raw + off, d->ksize);
			s->comm[d->ksize] = '\0';
		} else {
			ts_store_uint((char *)s + d->soff, d->ssize,
				      ts_load_uint(raw + off, d->ksize));
		}
		s->present[f / 64] |= UINT64_C(1) << (f % 64);
	}
	return 0;
}

/* ---- builders ---- */

static struct nlmsghdr *ts_put_genl(void *buf, size_t room, uint16_t type,
				    uint16_t flags, uint32_t seq, uint8_t cmd,
				    uint8_t version)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	if (buf == NULL || room < MNL_NLMSG_HDRLEN + MNL_ALIGN(GENL_HDRLEN))
		return NULL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

/* mnl_attr_put_strz_check, with the alignment padding zeroed: libmnl
 * 1.0.4 leaves it as the buffer had it, and the kernel gets those bytes. */
static bool put_strz(struct nlmsghdr *nlh, size_t room, uint16_t type,
		     const char *s)
{
	size_t len = strlen(s) + 1, pad = MNL_ALIGN(len) - len;

	if (!mnl_attr_put_strz_check(nlh, room, type, s))
		return false;
	memset((char *)nlh + nlh->nlmsg_len - pad, 0, pad);
	return true;
}

size_t ts_put_getfamily(void *buf, size_t room, uint32_t seq)
{
	struct nlmsghdr *nlh;

	nlh = ts_put_genl(buf, room, TS_GENL_ID_CTRL, NLM_F_REQUEST, seq,
			  TS_CTRL_CMD_GETFAMILY, TS_CTRL_VERSION);
	if (nlh == NULL || !put_strz(nlh, room, TS_CTRL_ATTR_FAMILY_NAME,
				     TS_GENL_NAME))
		return 0;
	return nlh->nlmsg_len;
}

size_t ts_put_query(void *buf, size_t room, uint16_t family, uint32_t seq,
		    enum ts_id_kind kind, uint32_t id)
{
	uint16_t type = kind == TS_ID_TGID ? TS_CMD_ATTR_TGID : TS_CMD_ATTR_PID;
	struct nlmsghdr *nlh;

	nlh = ts_put_genl(buf, room, family, NLM_F_REQUEST, seq, TS_CMD_GET,
			  TS_GENL_VERSION);
	if (nlh == NULL || !mnl_attr_put_u32_check(nlh, room, type, id))
		return 0;
	return nlh->nlmsg_len;
}

size_t ts_put_cpumask(void *buf, size_t room, uint16_t family, uint32_t seq,
		      bool do_register, const char *cpulist)
{
	uint16_t type = do_register ? TS_CMD_ATTR_REGISTER : TS_CMD_ATTR_DEREGISTER;
	struct nlmsghdr *nlh;

	if (cpulist == NULL)
		return 0;
	nlh = ts_put_genl(buf, room, family, NLM_F_REQUEST | NLM_F_ACK, seq,
			  TS_CMD_GET, TS_GENL_VERSION);
	if (nlh == NULL || !put_strz(nlh, room, type, cpulist))
		return 0;
	return nlh->nlmsg_len;
}

/* ---- parsers ---- */

/* Like mnl_nlmsg_ok, without its (int) cast of nlmsg_len: libmnl 1.0.4
 * accepts nlmsg_len >= 2^31 as "fits" (found by fuzz_ts_codec). */
bool ts_nlmsg_ok(const struct nlmsghdr *nlh, size_t len)
{
	return len >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= len;
}

/* Attribute iterator over [base, base+len): 1 and *a set, 0 at the end,
 * -EPROTO when an attribute header or length does not fit. */
static int ts_attr_next(const void *base, size_t len, size_t *off,
			const struct nlattr **a)
{
	const struct nlattr *attr;

	if (*off >= len)
		return 0;
	attr = (const struct nlattr *)((const char *)base + *off);
	if (len - *off > INT32_MAX || !mnl_attr_ok(attr, (int)(len - *off)))
		return -EPROTO;
	*a = attr;
	*off += MNL_ALIGN(attr->nla_len);
	return 1;
}

/* Bytes of attributes after the genl header, bounded by nlmsg_len (not its
 * aligned tail: the last message of a buffer may be unpadded). */
static size_t ts_attr_space(const struct nlmsghdr *nlh)
{
	size_t hdr = MNL_NLMSG_HDRLEN + MNL_ALIGN(GENL_HDRLEN);

	return nlh->nlmsg_len > hdr ? nlh->nlmsg_len - hdr : 0;
}

/* Decode one AGGR_PID / AGGR_TGID nest into id and stats. */
static int ts_parse_aggr(const struct nlattr *nest, uint16_t id_type,
			 uint32_t *id, struct ts_sample *stats)
{
	const void *base = mnl_attr_get_payload(nest);
	size_t len = mnl_attr_get_payload_len(nest), off = 0;
	const struct nlattr *a;
	bool have_id = false, have_stats = false;
	int r;

	while ((r = ts_attr_next(base, len, &off, &a)) > 0) {
		uint16_t type = mnl_attr_get_type(a);

		if (type == id_type) {
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EPROTO;
			*id = mnl_attr_get_u32(a);
			have_id = true;
		} else if (type == TS_TYPE_STATS) {
			r = ts_decode_stats(mnl_attr_get_payload(a),
					    mnl_attr_get_payload_len(a), stats);
			if (r < 0)
				return r;
			have_stats = true;
		}
		/* TS_TYPE_NULL padding and unknown types are skipped */
	}
	if (r < 0 || !have_id || !have_stats)
		return -EPROTO;
	return 0;
}

static int ts_parse_error(const struct nlmsghdr *nlh, struct ts_msg *m)
{
	const struct nlmsgerr *err;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*err))
		return -EPROTO;
	err = mnl_nlmsg_get_payload(nlh);
	/* the kernel sends -errno; a positive value would be bogus */
	m->error = err->error <= 0 ? err->error : -err->error;
	return 0;
}

int ts_parse_msg(const struct nlmsghdr *nlh, size_t len, uint16_t family,
		 struct ts_msg *m)
{
	const struct genlmsghdr *genl;
	const char *base;
	size_t alen, off = 0;
	const struct nlattr *a;
	int r;

	memset(m, 0, sizeof(*m));
	if (nlh == NULL || !ts_nlmsg_ok(nlh, len))
		return -EPROTO;
	m->seq = nlh->nlmsg_seq;
	m->portid = nlh->nlmsg_pid;
	if (nlh->nlmsg_type == NLMSG_ERROR)
		return ts_parse_error(nlh, m);
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE || nlh->nlmsg_type != family)
		return -ENOMSG;
	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return -EPROTO;
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->cmd != TS_CMD_NEW)
		return -ENOMSG;

	base = mnl_nlmsg_get_payload_offset(nlh, GENL_HDRLEN);
	alen = ts_attr_space(nlh);
	while ((r = ts_attr_next(base, alen, &off, &a)) > 0) {
		switch (mnl_attr_get_type(a)) {
		case TS_TYPE_AGGR_PID:
			r = ts_parse_aggr(a, TS_TYPE_PID, &m->pid, &m->pid_stats);
			m->has_pid = r == 0;
			break;
		case TS_TYPE_AGGR_TGID:
			r = ts_parse_aggr(a, TS_TYPE_TGID, &m->tgid,
					  &m->tgid_stats);
			m->has_tgid = r == 0;
			break;
		default:
			r = 0;	/* unknown top-level attribute */
		}
		if (r < 0)
			return r;
	}
	if (r < 0 || (!m->has_pid && !m->has_tgid))
		return -EPROTO;
	return 0;
}

int ts_parse_datagram(const void *buf, size_t len, uint16_t family,
		      ts_msg_cb cb, void *data)
{
	const struct nlmsghdr *nlh;
	struct ts_msg m;
	size_t off = 0;
	int n = 0, r;

	if (buf == NULL)
		return -EPROTO;
	while (off < len) {
		nlh = (const struct nlmsghdr *)((const char *)buf + off);
		/* also catches leftovers too short for a header */
		if (!ts_nlmsg_ok(nlh, len - off))
			return -EPROTO;
		r = ts_parse_msg(nlh, len - off, family, &m);
		if (r == 0) {
			n++;
			r = cb ? cb(&m, data) : 0;
			if (r < 0)
				return r;
		} else if (r != -ENOMSG) {
			return r;
		}
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return n;
}

static int ts_parse_family_msg(const struct nlmsghdr *nlh, uint16_t *family)
{
	const char *base = mnl_nlmsg_get_payload_offset(nlh, GENL_HDRLEN);
	size_t alen, off = 0;
	const struct nlattr *a;
	int r;

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return -EPROTO;
	alen = ts_attr_space(nlh);
	while ((r = ts_attr_next(base, alen, &off, &a)) > 0) {
		if (mnl_attr_get_type(a) != TS_CTRL_ATTR_FAMILY_ID)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return -EPROTO;
		*family = mnl_attr_get_u16(a);
		return 0;
	}
	return -EPROTO;
}

int ts_parse_family(const void *buf, size_t len, uint16_t *family)
{
	const struct nlmsghdr *nlh;
	struct ts_msg m;
	size_t off = 0;
	int r;

	if (buf == NULL)
		return -EPROTO;
	while (off < len) {
		nlh = (const struct nlmsghdr *)((const char *)buf + off);
		if (!ts_nlmsg_ok(nlh, len - off))
			return -EPROTO;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			r = ts_parse_error(nlh, &m);
			if (r < 0)
				return r;
			if (m.error < 0)
				return m.error;
		} else if (nlh->nlmsg_type == TS_GENL_ID_CTRL) {
			return ts_parse_family_msg(nlh, family);
		}
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return -EPROTO;
}

bool ts_msg_is_reply(const struct ts_msg *m, uint32_t portid,
		     uint32_t seq_first, uint32_t count)
{
	return m->portid == portid && m->seq - seq_first < count;
}
