/* engine_int.h - the engine's state, shared by engine.c (the read pass,
 * samples, exit records) and membership.c (who is in which group). */
#ifndef ENGINE_INT_H
#define ENGINE_INT_H

#include "cn_proc.h"
#include "engine.h"
#include "ptable.h"
#include "ts_client.h"

struct group {
	char name[64];
	struct selset *sel;
	bool children;
	uint64_t retired[AC_COUNT];	/* contributions of former members */
	uint64_t retired_known;
	struct group_result res;
};

struct engine {
	struct engine_options opt;
	struct group groups[ENGINE_MAX_GROUPS];
	size_t ngroups;
	uint64_t children_mask;		/* groups with Children true */
	unsigned need_ident;		/* PI_* bits the selectors need */

	struct ts_client *client;
	struct ts_listener *exits;
	struct cn_listener *events;
	struct ptable table;
	bool started;
	bool need_reconcile;
	uint64_t last_read_ns;		/* CLOCK_BOOTTIME of the previous read */
	uint32_t read_seq;		/* reads so far */
	uint64_t last_reconcile_ns;
	uint64_t last_exit_drain_ns;
	uint64_t events_lost_seen;
	uint64_t exit_lost_prev_read;
	bool exit_loss_recent;		/* exit records lost since the last read */

	struct ts_query *batch;		/* reused every read */
	struct member **batch_member;
	size_t *batch_full;		/* members needing a full sample */
	size_t batch_cap;

	struct engine_stats stats;
	engine_log_cb log;
	void *log_ctx;
	engine_exit_cb on_exit;
	void *exit_ctx;
};

void engine_logf(struct engine *e, enum engine_log_level lvl,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* engine.c: one exit record, as the drain hands it over */
void engine_handle_exit_record(struct engine *e, const struct ts_msg *msg);

/* membership.c */
uint64_t membership_match(struct engine *e, const struct proc_ident *pi);
/* How a process became a member: it decides from when it counts. */
enum join_how {
	JOIN_BORN,	/* forked after the previous read: its whole life */
	JOIN_EXEC,	/* exec'd into a group: from its first sample */
	JOIN_FOUND,	/* matched at a scan or a later change: from its first
			 * sample, or its whole life if it started after the
			 * previous read */
};
struct member *membership_join(struct engine *e, pid_t tgid, uint64_t start_ns,
			       uint64_t matched, uint64_t inherited,
			       const char *comm, enum join_how how);
/* Member m ended (exit record, or gone from /proc): absorb it into its
 * reaper where the kernel does, then it is folded at the end of the read. */
void membership_end(struct engine *e, struct member *m);
/* A non-member child of a member exited: rec is one of its records. */
void membership_foreign_child_exit(struct engine *e, struct member *reaper,
				   const struct ts_sample *rec, bool whole_process);
void membership_set_groups(struct engine *e, struct member *m,
			   uint64_t matched, uint64_t inherited);
void membership_retire(struct engine *e, struct member *m);
/* What m contributes to group g now (acct_update() done). */
uint64_t membership_contrib(const struct engine *e, const struct member *m,
			    size_t g, enum acct_counter c);
int membership_reconcile(struct engine *e);
int membership_drain_events(struct engine *e);
/* One proc connector event (data: the engine); what the drain calls. */
int membership_handle_event(const struct cn_event *ev, void *data);
void membership_refresh_pidfiles(struct engine *e);
uint64_t ticks_to_ns(uint64_t ticks);
/* Is /proc's start time start_ticks that of member m (a recycled PID is
 * not)?  /proc starttime has 10 ms ticks. */
bool member_same_start(const struct member *m, uint64_t start_ticks);

#endif
