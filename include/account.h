/* account.h - what one member process did, as monotonic counters.
 *
 * A member's contribution to its groups is last - base: base is its value
 * when it joined (0 for a process born after the previous read), last its
 * latest known value.  Samples only ever raise last, so a contribution never
 * goes back, whatever the kernel does when threads die.  Finals from exit
 * records are folded in the same way.  Pure: no I/O, no logging.
 */
#ifndef ACCOUNT_H
#define ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>
#include "procfs.h"
#include "ts_sample.h"

enum acct_counter {
	AC_CPU_USER_US,
	AC_CPU_SYS_US,
	AC_DELAY_COUNT,				/* + enum ts_delay_kind */
	AC_DELAY_NS = AC_DELAY_COUNT + TS_DELAY_KINDS,	/* + kind */
	AC_NVCSW = AC_DELAY_NS + TS_DELAY_KINDS,
	AC_NIVCSW,
	AC_MINFLT,
	AC_MAJFLT,
	AC_RCHAR,
	AC_WCHAR,
	AC_SYSCR,
	AC_SYSCW,
	AC_READ_BYTES,
	AC_WRITE_BYTES,
	AC_CANCELLED_BYTES,
	AC_COUNT
};
_Static_assert(AC_COUNT <= 64, "counter masks are 64 bits");

#define AC_BIT(c) (1ull << (c))
#define AC_IO_FIRST AC_RCHAR
#define AC_IO_N (AC_CANCELLED_BYTES - AC_RCHAR + 1)
/* Counters a per-thread (AGGR_PID) exit record carries: nvcsw .. I/O. */
#define AC_THREAD_FIRST AC_NVCSW
#define AC_THREAD_N (AC_CANCELLED_BYTES - AC_NVCSW + 1)

struct acct_member {
	uint64_t base[AC_COUNT];
	uint64_t last[AC_COUNT];
	uint64_t known;			/* AC_BIT mask of counters ever sampled */
	uint64_t dead[AC_THREAD_N];	/* sums of this process's thread exit
					 * records, from AC_THREAD_FIRST */
	uint64_t reaped_io[AC_IO_N];	/* I/O of its exited children, which
					 * /proc/PID/io adds when they are reaped */
};

/* A fresh member: born (base 0) or joining with its current values later
 * set by acct_rebase(). */
void acct_init(struct acct_member *m);

/* Split a precise CPU total into user/sys by the tick-sampled ratio, never
 * letting either part go back (as the kernel's cputime_adjust does). */
void acct_cpu_split(uint64_t total_us, uint64_t utime_us, uint64_t stime_us,
		    uint64_t prev_user, uint64_t prev_sys,
		    uint64_t *user, uint64_t *sys);

/* Fold a live TGID reply: CPU, delays, context switches.  keeps_dead says
 * whether this kernel's TGID replies keep exited threads' utime/stime and
 * context switches (2026 fix); if not, the thread exit records make up. */
void acct_sample_tgid(struct acct_member *m, const struct ts_sample *tgid,
		      bool keeps_dead);

/* Fold live /proc values: faults (process-wide), I/O (minus reaped children). */
void acct_sample_proc(struct acct_member *m, const struct proc_stat_vals *st,
		      const struct proc_io_vals *io);

/* A thread of this process exited: rec is its AGGR_PID exit record. */
void acct_thread_exit(struct acct_member *m, const struct ts_sample *rec);

/* A child of this process exited (rec: an AGGR_PID record whose ac_ppid is
 * this process): its I/O will appear in our /proc/PID/io at reaping. */
void acct_child_exit(struct acct_member *m, const struct ts_sample *rec);

/* A member child of this process exited: its whole accounted I/O (the
 * best value we have, exact when it was sampled live) will appear in our
 * /proc/PID/io at reaping. */
void acct_child_exit_member(struct acct_member *m,
			    const struct acct_member *child);

/* The process exited: last is its AGGR_PID record (already passed to
 * acct_thread_exit), tgid the AGGR_TGID record of a multi-threaded process
 * or NULL.  Sets the final values. */
void acct_process_exit(struct acct_member *m, const struct ts_sample *last,
		       const struct ts_sample *tgid, bool keeps_dead);

/* What the member contributes to its groups now. */
static inline uint64_t acct_contrib(const struct acct_member *m,
				    enum acct_counter c)
{
	return m->last[c] - m->base[c];
}

/* Start counting from the current values (member joins or changes groups). */
void acct_rebase(struct acct_member *m);

#endif
