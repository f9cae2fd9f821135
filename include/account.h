/* account.h - what one member process did, as monotonic counters.
 *
 * A member's contribution to its groups is last - base: base is its value
 * when it joined (0 for a process born after the previous read), last its
 * latest known value.  Samples only ever raise last, so a contribution never
 * goes back, whatever the kernel does when threads die.  Finals from exit
 * records are folded in the same way.  The counting rules are the README's
 * table "Counting rules".  Pure: no I/O, no logging.
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

/* Counters the kernel also keeps for a process's wait-reaped children
 * (/proc/PID/stat cutime, cstime, cminflt, cmajflt; /proc/PID/io adds them
 * to the reaper's own): a member that reaps a member child absorbs it. */
#define AC_ABS_N (2 + AC_CANCELLED_BYTES - AC_MINFLT + 1)

static inline int acct_abs_index(enum acct_counter c)
{
	if (c <= AC_CPU_SYS_US)
		return (int)c;
	return c >= AC_MINFLT ? 2 + (int)(c - AC_MINFLT) : -1;
}

/* Two views of one member:
 *  own  what the process did itself since it joined (last - base): what a
 *       group without Children counts;
 *  all  own plus its reaped member descendants (whole subtrees): what a
 *       group with Children counts.  From the kernel's cumulative values
 *       (tot = own + reaped children, or /proc/PID/io) minus excl (what
 *       must not count: the value at join, non-member children, what
 *       absorbed children excluded), never below own + floor (the
 *       absorbed children's contributions, for the moments before the
 *       kernel added them: a zombie not yet reaped, clock-tick rounding). */
struct acct_kids {
	uint64_t kern[AC_ABS_N];	/* CPU, faults: reaped children's
					 * (cutime ...); I/O: /proc/PID/io */
	uint64_t excl[AC_ABS_N];
	uint64_t floor[AC_ABS_N];
	uint64_t all[AC_ABS_N];		/* the all view, monotonic */
	uint64_t reaped_io[AC_IO_N];	/* reaped children's I/O as best known,
					 * taken out of /proc/PID/io for own */
};

struct acct_member {
	uint64_t base[AC_COUNT];
	uint64_t last[AC_COUNT];	/* own, monotonic */
	uint64_t known;			/* AC_BIT mask of counters ever sampled */
	uint64_t dead[AC_THREAD_N];	/* sums of this process's thread exit
					 * records, from AC_THREAD_FIRST */
	struct acct_kids *kids;		/* only for a process that reaped
					 * something: until then all == own */
};

/* A fresh member: born (base 0) or joining with its current values later
 * set by acct_rebase(). */
void acct_init(struct acct_member *m);
void acct_free(struct acct_member *m);

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

/* Fold live /proc values: own faults and I/O, the reaped children's
 * cumulative CPU and faults, and /proc/PID/io itself. */
void acct_sample_proc(struct acct_member *m, const struct proc_stat_vals *st,
		      const struct proc_io_vals *io);

/* Fold a live PID reply of the leader: its own I/O plus that of the
 * threads that exited (their records) is a floor of the process's own I/O,
 * independent of what its reaped children are believed to have done. */
void acct_sample_leader(struct acct_member *m, const struct ts_sample *leader);

/* A thread of this process exited: rec is its AGGR_PID exit record. */
void acct_thread_exit(struct acct_member *m, const struct ts_sample *rec);

/* The process exited: last is its AGGR_PID record (already passed to
 * acct_thread_exit), tgid the AGGR_TGID record of a multi-threaded process
 * or NULL.  Sets the final values. */
void acct_process_exit(struct acct_member *m, const struct ts_sample *last,
		       const struct ts_sample *tgid, bool keeps_dead);

/* Bring the all view up to date (after samples, exits, absorptions). */
void acct_update(struct acct_member *m);

/* Child c (acct_update() done) of reaper r ended and r reaps it (not auto-reaping): the kernel
 * adds c's whole subtree to r's cumulative values.  whole: every group
 * with Children that r is in counts c too (c's contribution moves into
 * r's all view); else c is excluded from r's all view and counts by
 * itself.  Either way r's own I/O no longer includes c's. */
void acct_absorb(struct acct_member *r, const struct acct_member *c, bool whole);

/* What the member contributes to a group now: all is true for a group
 * with Children.  Call acct_update() first. */
static inline uint64_t acct_contrib_view(const struct acct_member *m,
					 enum acct_counter c, bool all)
{
	int k = all && m->kids ? acct_abs_index(c) : -1;

	return k >= 0 ? m->kids->all[k] : m->last[c] - m->base[c];
}

/* The own view (groups without Children). */
static inline uint64_t acct_contrib(const struct acct_member *m,
				    enum acct_counter c)
{
	return acct_contrib_view(m, c, false);
}

/* Start counting from the current values (member joins or changes groups). */
void acct_rebase(struct acct_member *m);

/* Reject delay totals that cannot be: a task cannot wait longer than it
 * lived (seen: 500 s of block I/O delay in a 10 ms process).  Clears
 * those kinds from s and returns how many were rejected. */
int acct_sanitize_delays(struct ts_sample *s);

#endif
