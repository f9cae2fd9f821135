/* engine.h - groups of processes and what they did: membership (selectors,
 * proc connector events, /proc reconciles) and accounting (live taskstats
 * and /proc samples, exit records) in one pass per read.
 *
 * No collectd here: the glue turns results into value lists.  Messages for
 * the operator go through the log callback.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "account.h"
#include "selector.h"

#define ENGINE_MAX_GROUPS 64

struct engine_options {
	bool exit_records;		/* listen to exit records (default on) */
	size_t exit_rcvbuf;		/* bytes; 0 = default (16 MiB) */
	bool proc_events;		/* follow the proc connector (default on) */
	size_t events_rcvbuf;		/* bytes; 0 = default (16 MiB) */
	unsigned rescan_interval_s;	/* safety-net /proc reconcile (300) */
};

struct group_result {
	uint64_t counters[AC_COUNT];	/* monotonic, since the plugin started */
	uint64_t known;			/* AC_BIT mask of counters with data */
	uint64_t processes, threads;
	uint64_t rss_bytes;		/* sum over live members */
	uint64_t rss_peak_bytes, vm_peak_bytes; /* highest member peak */
	uint64_t started, exited, failed;
};

struct engine_stats {
	uint64_t tracked;		/* member process instances */
	uint64_t exit_records;		/* exit records folded into members */
	uint64_t exit_records_lost;	/* ENOBUFS on the exit listener */
	uint64_t exits_unrecorded;	/* members gone without a record */
	uint64_t exits_reaped;		/* member exits counted exactly through
					 * their reaper's cumulative values */
	uint64_t exits_approx;		/* member exits counted from their own
					 * record (CPU short of the exit path) */
	uint64_t delays_rejected;	/* impossible delay totals dropped */
	uint64_t proc_errors;		/* /proc reads that failed other than
					 * "no such process" (kept as members) */
	uint64_t proc_events;		/* proc connector events handled */
	uint64_t proc_events_lost;	/* ENOBUFS on the proc connector */
	uint64_t reconciles;		/* full /proc scans */
	uint64_t proc_reads;		/* per-process /proc identity reads */
	uint64_t query_errors;		/* failed netlink exchanges */
	bool event_mode;		/* following cn_proc (else polling) */
	bool keeps_dead_threads;	/* kernel retains exited threads in TGID */
};

enum engine_log_level { ENGINE_ERR, ENGINE_WARN, ENGINE_INFO };
typedef void (*engine_log_cb)(void *ctx, enum engine_log_level lvl,
			      const char *msg);
/* A member exited with a non-zero status or a signal (raw wait status). */
typedef void (*engine_exit_cb)(void *ctx, const char *group, const char *comm,
			       pid_t pid, uint32_t status);

struct engine;

void engine_options_default(struct engine_options *o);
struct engine *engine_new(const struct engine_options *o);
void engine_free(struct engine *e);	/* closes everything; NULL-safe */
void engine_set_log(struct engine *e, engine_log_cb cb, void *ctx);
void engine_set_exit_cb(struct engine *e, engine_exit_cb cb, void *ctx);

/* Takes ownership of sel.  -EEXIST: duplicate name; -E2BIG: too many. */
int engine_add_group(struct engine *e, const char *name, struct selset *sel,
		     bool children);
size_t engine_ngroups(const struct engine *e);
const char *engine_group_name(const struct engine *e, size_t g);
int engine_find_group(const struct engine *e, const char *name);

/* Open the taskstats client and the listeners.  Returns 0, or -errno when
 * taskstats is unusable (the reason has been logged). */
int engine_start(struct engine *e);

/* One pass: membership, exit records, samples, group results.  Returns 0,
 * or -errno when the whole read failed. */
int engine_read(struct engine *e);

/* The taskstats client (NULL before a successful start), for other
 * readers of the same kernel interface (top consumers). */
struct ts_client *engine_client(struct engine *e);

const struct group_result *engine_result(const struct engine *e, size_t g);
const struct engine_stats *engine_stats(const struct engine *e);

/* "%s[%d] killed by signal 9 (core dumped)" / "exited with status 3" */
void engine_describe_exit(char *buf, size_t n, const char *comm, pid_t pid,
			  uint32_t status);

#endif
