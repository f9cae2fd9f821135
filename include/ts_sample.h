/* ts_sample.h - the project's own, stable view of one struct taskstats.
 *
 * The kernel struct grows with every TASKSTATS_VERSION (v1..v16 known, v17
 * queued).  The codec copies whatever the kernel sent into this struct and
 * records, per field, whether the reply carried it: a field the kernel did
 * not send is "absent", never 0.  Field names carry their unit.
 */
#ifndef TS_SAMPLE_H
#define TS_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

enum ts_delay_kind {
	TS_DELAY_CPU,		/* waiting for a CPU (run queue) */
	TS_DELAY_BLKIO,		/* synchronous block I/O */
	TS_DELAY_SWAPIN,	/* swapping pages in */
	TS_DELAY_FREEPAGES,	/* memory reclaim */
	TS_DELAY_THRASHING,	/* refaulting recently evicted pages (v9) */
	TS_DELAY_COMPACT,	/* memory compaction (v11) */
	TS_DELAY_WPCOPY,	/* write-protect copy / COW fault (v13) */
	TS_DELAY_IRQ,		/* IRQ/softirq time stolen (v14) */
	TS_DELAY_KINDS
};

/* Every field of struct taskstats, in kernel (v16) order.  The codec's field
 * table is indexed by this enum; ts_field_name() gives the kernel's name. */
enum ts_field {
	TSF_VERSION, TSF_AC_EXITCODE, TSF_AC_FLAG, TSF_AC_NICE,
	TSF_CPU_COUNT, TSF_CPU_DELAY_TOTAL,
	TSF_BLKIO_COUNT, TSF_BLKIO_DELAY_TOTAL,
	TSF_SWAPIN_COUNT, TSF_SWAPIN_DELAY_TOTAL,
	TSF_CPU_RUN_REAL_TOTAL, TSF_CPU_RUN_VIRTUAL_TOTAL,
	TSF_AC_COMM, TSF_AC_SCHED, TSF_AC_UID, TSF_AC_GID, TSF_AC_PID,
	TSF_AC_PPID, TSF_AC_BTIME, TSF_AC_ETIME, TSF_AC_UTIME, TSF_AC_STIME,
	TSF_AC_MINFLT, TSF_AC_MAJFLT, TSF_COREMEM, TSF_VIRTMEM,
	TSF_HIWATER_RSS, TSF_HIWATER_VM,
	TSF_READ_CHAR, TSF_WRITE_CHAR, TSF_READ_SYSCALLS, TSF_WRITE_SYSCALLS,
	TSF_READ_BYTES, TSF_WRITE_BYTES, TSF_CANCELLED_WRITE_BYTES,
	TSF_NVCSW, TSF_NIVCSW,
	TSF_AC_UTIMESCALED, TSF_AC_STIMESCALED, TSF_CPU_SCALED_RUN_REAL_TOTAL,
	TSF_FREEPAGES_COUNT, TSF_FREEPAGES_DELAY_TOTAL,
	TSF_THRASHING_COUNT, TSF_THRASHING_DELAY_TOTAL,
	TSF_AC_BTIME64,
	TSF_COMPACT_COUNT, TSF_COMPACT_DELAY_TOTAL,
	TSF_AC_TGID, TSF_AC_TGETIME, TSF_AC_EXE_DEV, TSF_AC_EXE_INODE,
	TSF_WPCOPY_COUNT, TSF_WPCOPY_DELAY_TOTAL,
	TSF_IRQ_COUNT, TSF_IRQ_DELAY_TOTAL,
	TSF_CPU_DELAY_MAX, TSF_CPU_DELAY_MIN,
	TSF_BLKIO_DELAY_MAX, TSF_BLKIO_DELAY_MIN,
	TSF_SWAPIN_DELAY_MAX, TSF_SWAPIN_DELAY_MIN,
	TSF_FREEPAGES_DELAY_MAX, TSF_FREEPAGES_DELAY_MIN,
	TSF_THRASHING_DELAY_MAX, TSF_THRASHING_DELAY_MIN,
	TSF_COMPACT_DELAY_MAX, TSF_COMPACT_DELAY_MIN,
	TSF_WPCOPY_DELAY_MAX, TSF_WPCOPY_DELAY_MIN,
	TSF_IRQ_DELAY_MAX, TSF_IRQ_DELAY_MIN,
	TSF_COUNT
};

/* ac_flag bits (linux/acct.h) */
#define TS_AFORK	0x01
#define TS_ASU		0x02
#define TS_ACORE	0x08
#define TS_AXSIG	0x10
#define TS_AGROUP	0x20	/* v12+: the whole thread group is dead */

struct ts_delay {
	uint64_t count;
	uint64_t total_ns;
	uint64_t max_ns;	/* v16: lifetime extreme of this task */
	uint64_t min_ns;
};

struct ts_sample {
	uint64_t present[(TSF_COUNT + 63) / 64];	/* bit f: field f was sent */
	uint32_t payload_len;		/* bytes of the STATS attribute */
	uint16_t version;		/* TASKSTATS_VERSION the kernel sent */
	uint8_t flag;			/* TS_A* bits */
	int8_t nice;
	uint8_t sched;
	uint32_t exitcode;		/* raw wait status, exiting tasks only */
	char comm[33];			/* NUL-terminated */
	uint32_t uid, gid, pid, ppid, tgid;
	uint64_t btime_s, btime64_s;	/* s since epoch, +-1 s jitter */
	uint64_t etime_us, tgetime_us;	/* elapsed since task / leader start */
	uint64_t utime_us, stime_us, utimescaled_us, stimescaled_us;
	uint64_t cpu_run_real_ns, cpu_run_virtual_ns, cpu_scaled_run_real_ns;
	uint64_t minflt, majflt;
	uint64_t coremem_mib_us, virtmem_mib_us;
	uint64_t hiwater_rss_kib, hiwater_vm_kib;
	uint64_t read_char_bytes, write_char_bytes;	/* & ~1023 */
	uint64_t read_syscalls, write_syscalls;		/* & ~1023 */
	uint64_t read_bytes, write_bytes, cancelled_write_bytes;
	uint64_t nvcsw, nivcsw;
	uint64_t exe_dev, exe_inode;
	struct ts_delay delay[TS_DELAY_KINDS];
};

static inline bool ts_has(const struct ts_sample *s, enum ts_field f)
{
	return (s->present[f / 64] >> (f % 64)) & 1;
}

/* The kernel's name of field f ("ac_utime", "cpu_delay_total", ...). */
const char *ts_field_name(enum ts_field f);

/* Field f of s as an unsigned integer (0 for ac_comm). */
uint64_t ts_field_u64(const struct ts_sample *s, enum ts_field f);

/* Name of a delay kind: "cpu", "blkio", ... */
const char *ts_delay_name(enum ts_delay_kind k);

#endif
