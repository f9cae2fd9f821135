/* ptable.h - the process table: every process instance that is a member of
 * at least one group, keyed by (tgid, start time).  A recycled PID is a new
 * instance: two entries may share a tgid while the old one's exit record is
 * still on its way.  Never logs.
 */
#ifndef PTABLE_H
#define PTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "account.h"
#include "procfs.h"

struct member {
	struct member *next_hash;	/* chain of one hash bucket */
	struct member *next, *prev;	/* list of all members */
	pid_t tgid;
	pid_t ppid;			/* parent at the last look: its reaper */
	uint64_t start_ns;		/* CLOCK_BOOTTIME ns; from /proc
					 * starttime (10 ms) or a fork event */
	uint64_t start_lo_ns;		/* joined by its exit record: the
					 * start lies in [start_lo_ns, start_ns] */
	uint64_t groups;		/* bit g: member of group g */
	uint64_t matched;		/* groups it matches by selectors */
	uint64_t inherited;		/* groups it is in as a descendant */
	uint64_t absorbed;		/* groups that count it through its
					 * reaper (set when it ended) */
	struct proc_pin pin;		/* -1 fds until pinned */
	char comm[17];
	bool gone;			/* exited: fold into groups, then free */
	bool sampled;			/* had at least one live sample */
	bool has_threads;		/* an exit record of a non-leader seen */
	bool pending_base;		/* joined while running: rebase at first sample */
	bool vanished;			/* /proc said gone, no exit record yet */
	int8_t sigchld_ignored;		/* -1 unknown; read once per read */
	uint32_t sigchld_read;		/* the read that looked */
	uint32_t nthreads;
	uint32_t idle_reads;		/* reads since the last full sample */
	uint64_t last_cpu_ns;		/* cpu_run_virtual_total then */
	uint64_t rss_bytes;
	uint64_t hiwater_rss_kib, hiwater_vm_kib;
	uint32_t exit_status;		/* raw wait status, when gone */
	struct acct_member acct;
};

/* An instance that ended lately: its start is known to lie in [lo, hi]. */
struct ptable_ended {
	pid_t tgid;		/* 0: empty slot */
	uint32_t read;		/* the read it ended in */
	uint64_t lo_ns, hi_ns;
};

struct ptable {
	struct member **bucket;
	size_t nbuckets;
	size_t count;
	size_t pinned;			/* members with kept-open /proc files */
	size_t pin_budget;		/* at most this many (descriptors are
					 * shared with the rest of collectd) */
	struct member head;		/* sentinel of the member list */
	struct ptable_ended *ended;	/* open addressing on tgid */
	size_t ended_cap, ended_n;
};

int ptable_init(struct ptable *t, size_t nbuckets);
void ptable_destroy(struct ptable *t);	/* frees all members */

/* New member (zeroed, pin closed), linked in.  NULL on ENOMEM. */
struct member *ptable_add(struct ptable *t, pid_t tgid, uint64_t start_ns);
void ptable_remove(struct ptable *t, struct member *m);	/* and frees it */

/* The live (not gone) instance of tgid whose start is within tol_ns of
 * start_ns; start_ns 0 = any live instance. */
struct member *ptable_find(const struct ptable *t, pid_t tgid,
			   uint64_t start_ns, uint64_t tol_ns);

/* The latest instance of tgid (gone ones included) that started no later
 * than start_max: the parent of a process that started then. */
struct member *ptable_find_before(const struct ptable *t, pid_t tgid,
				  uint64_t start_max);

/* Remember that an instance ended in read `read` (a fork event read
 * after its exit record must not bring it back), and ask whether an
 * instance that started at start_ns ended in this read or the one
 * before.  Remembering fails silently on ENOMEM. */
void ptable_remember_end(struct ptable *t, pid_t tgid, uint64_t lo_ns,
			 uint64_t hi_ns, uint32_t read);
bool ptable_ended_lately(const struct ptable *t, pid_t tgid, uint64_t start_ns,
			 uint64_t tol_ns, uint32_t read);

#define ptable_for_each(t, m, tmp)					\
	for ((m) = (t)->head.next, (tmp) = (m)->next; (m) != &(t)->head; \
	     (m) = (tmp), (tmp) = (m)->next)

#endif
