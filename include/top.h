/* top.h - host-wide "top consumers": the N processes with the highest rate
 * of one key (I/O bytes, CPU time or delay) since the previous update.
 *
 * A process is (pid, start_ticks of /proc/PID/stat field 22): a recycled
 * pid is a new process and its first sample has no rate.  Entries of
 * processes not seen in an update are dropped, so memory follows the
 * number of live processes.  No collectd, no logging.
 *
 * Keys and sources (rates are per second of the caller's clock):
 *   TOP_IO     /proc/PID/io rchar + wchar, B/s  (part[0] read, part[1] write)
 *              rchar/wchar, not read_bytes/write_bytes: they count every
 *              read/write syscall (pipes, sockets, page cache hits), are
 *              exact and attributed to the process that did the I/O;
 *              read_bytes/write_bytes miss cached reads and charge
 *              writeback to whoever dirtied the page, long after.
 *   TOP_CPU    /proc/PID/stat utime + stime, CPU-s/s  (user, system)
 *              1.0 = one CPU busy.  The stat read is needed anyway for
 *              the identity, so CPU costs nothing more (docs/top.md has
 *              the cost of the taskstats alternative).
 *   TOP_DELAY  batched TGID taskstats queries: the sum of every
 *              *_delay_total, delay-s/s  (part[0] cpu run-queue delay,
 *              part[1] every other kind: blkio, swapin, freepages, ...).
 *              Needs a ts_client; kinds other than cpu need
 *              kernel.task_delayacct=1.
 *
 * NAMING (what the glue dispatches; docs/top.md says why):
 *   plugin "taskstats", plugin_instance "top_<name>" (the <Top "name">
 *   block), type_instance "<comm>-<pid>" (top_entry_name: comm with
 *   every byte outside [A-Za-z0-9_.-] replaced by '_'), one GAUGE value
 *   list per entry and interval: io -> "bytes" (B/s), cpu -> "percent"
 *   (of the whole host: 100 * rate / online CPUs), delay -> "delay_rate".
 *   At most Count identifiers per interval; no rank in the identifier,
 *   so a process keeps one series while it moves between ranks.
 */
#ifndef TOP_H
#define TOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ts_client;

enum top_key { TOP_IO, TOP_CPU, TOP_DELAY };

#define TOP_COUNT_MAX 256u	/* Count above this is a config error */

struct top_entry {
	pid_t pid;
	uint64_t start_ticks;	/* stat field 22: with pid, the identity */
	char comm[17];
	double rate;		/* part[0] + part[1]: the ranking value */
	double part[2];		/* per key, see above */
};

/* "io" / "cpu" / "delay" -> key; -1 when unknown. */
int top_key_parse(const char *s);
const char *top_key_name(enum top_key key);

/* NULL with errno EINVAL (count 0 or > TOP_COUNT_MAX) or ENOMEM. */
struct top *top_new(enum top_key key, unsigned count);
void top_free(struct top *t);	/* NULL-safe */

/* Scan every process, feed its counters, finish.  c is needed only for
 * TOP_DELAY (-EINVAL without).  now_ns: any monotonic clock, the same at
 * every call.  Returns the number of processes fed, or -errno (proc_scan
 * failed, -ENOMEM, or the taskstats exchange failed: then nothing is fed
 * or evicted and the results are empty until the next good update). */
int top_update(struct top *t, struct ts_client *c, uint64_t now_ns);

/* The pure core top_update runs on, public for tests: feed one process's
 * cumulative counter(s) (a, b summed for the ranking; top_feed: b = 0) as
 * read at now_ns, then top_finish once per update: it drops processes not
 * fed since the previous finish and ranks the rest.  A counter that goes
 * down (reuse between two reads, wrap) gives no rate this time.  0 or
 * -ENOMEM. */
int top_feed(struct top *t, pid_t pid, uint64_t start_ticks, const char *comm,
	     double value_counter, uint64_t now_ns);
int top_feed2(struct top *t, pid_t pid, uint64_t start_ticks, const char *comm,
	      double a, double b, uint64_t now_ns);
int top_finish(struct top *t);

/* The ranking of the last finish: at most count entries with a rate > 0,
 * rate descending, ties lower pid first.  *out stays valid until the next
 * feed/finish/update. */
size_t top_results(const struct top *t, const struct top_entry **out);
/* Processes remembered (fed at the last finish): memory is O(this). */
size_t top_tracked(const struct top *t);
enum top_key top_get_key(const struct top *t);

/* The type_instance of an entry: "<comm>-<pid>", comm sanitized for file
 * names (rrd, csv) and rrdtool's ':' syntax.  Always NUL-terminates. */
void top_entry_name(const struct top_entry *e, char *buf, size_t n);

#endif
