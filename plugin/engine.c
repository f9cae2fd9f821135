/* engine.c - one read: events, exit records, batched samples, results.
 *
 *   drain proc events -> (reconcile /proc) -> drain exit records
 *     -> batched TGID+PID queries and pinned /proc reads for live members
 *     -> fold the gone ones into their groups -> group results
 *
 * Exit records are drained before sampling: a process that is reaped has
 * had its record queued before, so a member whose /proc entry is gone and
 * has no record after the next drain has lost its record (counted).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine_int.h"
#include "proc_ident.h"

#define BATCH_MEMBERS 256	/* members per netlink exchange */
#define FULL_EVERY 10		/* idle members: a full sample every N reads */
#define DEFAULT_EXIT_RCVBUF (16u << 20)	/* ~12,000 records between reads */
#define DEFAULT_EVENTS_RCVBUF (16u << 20)	/* ~20,000 proc events */

void engine_logf(struct engine *e, enum engine_log_level lvl,
		 const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!e->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->log(e->log_ctx, lvl, msg);
}

void engine_options_default(struct engine_options *o)
{
	memset(o, 0, sizeof(*o));
	o->exit_records = true;
	o->proc_events = true;
	o->rescan_interval_s = 300;
}

struct engine *engine_new(const struct engine_options *o)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->opt = *o;
	if (ptable_init(&e->table, 4096)) {
		free(e);
		return NULL;
	}
	return e;
}

void engine_set_log(struct engine *e, engine_log_cb cb, void *ctx)
{
	e->log = cb;
	e->log_ctx = ctx;
}

void engine_set_exit_cb(struct engine *e, engine_exit_cb cb, void *ctx)
{
	e->on_exit = cb;
	e->exit_ctx = ctx;
}

int engine_add_group(struct engine *e, const char *name, struct selset *sel,
		     bool children)
{
	struct group *g;

	if (engine_find_group(e, name) >= 0) {
		selset_free(sel);
		return -EEXIST;
	}
	if (e->ngroups == ENGINE_MAX_GROUPS) {
		selset_free(sel);
		return -E2BIG;
	}
	g = &e->groups[e->ngroups];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->sel = sel;
	g->children = children;
	if (children)
		e->children_mask |= 1ull << e->ngroups;
	e->need_ident |= selset_needs(sel);
	e->ngroups++;
	return 0;
}

size_t engine_ngroups(const struct engine *e)
{
	return e->ngroups;
}

const char *engine_group_name(const struct engine *e, size_t g)
{
	return g < e->ngroups ? e->groups[g].name : NULL;
}

int engine_find_group(const struct engine *e, const char *name)
{
	size_t g;

	for (g = 0; g < e->ngroups; g++)
		if (!strcmp(e->groups[g].name, name))
			return (int)g;
	return -1;
}

const struct group_result *engine_result(const struct engine *e, size_t g)
{
	return g < e->ngroups ? &e->groups[g].res : NULL;
}

struct ts_client *engine_client(struct engine *e)
{
	return e->client;
}

const struct engine_stats *engine_stats(const struct engine *e)
{
	return &e->stats;
}

void engine_describe_exit(char *buf, size_t n, const char *comm, pid_t pid,
			  uint32_t status)
{
	int st = (int)status;

	if (WIFSIGNALED(st))
		snprintf(buf, n, "%s[%d] killed by signal %d%s", comm, (int)pid,
			 WTERMSIG(st), WCOREDUMP(st) ? " (core dumped)" : "");
	else
		snprintf(buf, n, "%s[%d] exited with status %d", comm, (int)pid,
			 WEXITSTATUS(st));
}

static bool exit_failed(uint32_t status)
{
	int st = (int)status;

	return WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) != 0);
}

/* Does this kernel's TGID reply keep the context switches of exited
 * threads ("taskstats: retain dead thread stats in TGID queries", 2026)?
 * A thread that sleeps 5 times has >= 5 voluntary switches; after it is
 * joined, a kernel that keeps them shows them in our own TGID reply. */
static void *sleeper(void *arg)
{
	int i;

	for (i = 0; i < 5; i++)
		usleep(1000);
	return arg;
}

static bool probe_keeps_dead_threads(struct ts_client *c)
{
	struct ts_sample before, after;
	pthread_t t;

	if (ts_client_get(c, TS_ID_TGID, (uint32_t)getpid(), &before))
		return true;
	if (pthread_create(&t, NULL, sleeper, NULL))
		return true;
	pthread_join(t, NULL);
	if (ts_client_get(c, TS_ID_TGID, (uint32_t)getpid(), &after))
		return true;
	return after.nvcsw >= before.nvcsw + 5;
}

/* Exit records are sent in the host's network namespace only: a listener
 * registered elsewhere is accepted and then hears nothing
 * (docs/kernel-notes.md, "Permissions and namespaces").  Compare our
 * namespace with kthreadd's (pid 2, always in the host namespace; init's may
 * be unreadable in a sandbox). */
static bool in_host_netns(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/net", &self) ||
	    (stat("/proc/2/ns/net", &init) && stat("/proc/1/ns/net", &init)))
		return true;	/* cannot tell: assume the common case */
	return self.st_ino == init.st_ino && self.st_dev == init.st_dev;
}

/* Two kept-open /proc files per member: raise the soft descriptor limit
 * to the hard one, and pin at most half of what is left after a reserve,
 * so other plugins never run out; the rest are read by path. */
#define FD_RESERVE 256

static void budget_pins(struct engine *e)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit want = { .rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max };

		if (want.rlim_cur > (1u << 20))
			want.rlim_cur = 1u << 20;
		if (want.rlim_cur > rl.rlim_cur && !setrlimit(RLIMIT_NOFILE, &want)) {
			engine_logf(e, ENGINE_INFO, "raised the open file limit "
				    "from %llu to %llu (kept-open /proc files)",
				    (unsigned long long)rl.rlim_cur,
				    (unsigned long long)want.rlim_cur);
			rl = want;
		}
	}
	e->table.pin_budget = rl.rlim_cur > 2 * FD_RESERVE
		? (rl.rlim_cur - FD_RESERVE) / 4 : 0;
}

int engine_start(struct engine *e)
{
	int err;

	if (e->started)
		return 0;
	e->client = ts_client_open(&err);
	if (!e->client) {
		engine_logf(e, ENGINE_ERR, "%s", ts_strerror(err));
		return err;
	}
	e->stats.keeps_dead_threads = probe_keeps_dead_threads(e->client);
	budget_pins(e);
	if (e->opt.exit_records && !in_host_netns()) {
		engine_logf(e, ENGINE_WARN, "exit records are not delivered "
			    "outside the host network namespace: work of "
			    "processes that exit between reads is counted up to "
			    "their last sample only (run collectd in the host "
			    "network namespace to fix)");
	} else if (e->opt.exit_records) {
		e->exits = ts_listener_open(e->opt.exit_rcvbuf ? e->opt.exit_rcvbuf
						: DEFAULT_EXIT_RCVBUF, &err);
		if (!e->exits)
			engine_logf(e, ENGINE_WARN,
				    "exit records unavailable (%s): work of "
				    "processes that exit between reads is not "
				    "counted", ts_strerror(err));
	}
	if (e->opt.proc_events) {
		e->events = cn_listener_open(e->opt.events_rcvbuf ? e->opt.events_rcvbuf
					     : DEFAULT_EVENTS_RCVBUF, CN_EV_FORK | CN_EV_EXEC |
					     CN_EV_COMM | ((e->need_ident & PI_UID) ? CN_EV_UID : 0),
					     &err);
		if (!e->events)
			engine_logf(e, ENGINE_WARN,
				    "proc connector unavailable (%s)%s: "
				    "scanning /proc every read instead", strerror(-err),
				    err == -ECONNREFUSED ? ", probably a network "
				    "namespace other than the host's" : "");
	}
	e->stats.event_mode = e->events != NULL;
	e->need_reconcile = true;
	e->last_read_ns = procfs_boottime_ns();
	e->last_exit_drain_ns = e->last_read_ns;
	e->started = true;
	return 0;
}

/* ---- exit records ---- */

/* Which member instance a record belongs to: its start is now minus the
 * leader's elapsed time, for a record queued at most since the previous
 * drain began (and, on a machine that was suspended, up to that much
 * earlier: the elapsed time does not count suspend, our clock does). */
static uint64_t record_age_ns(const struct ts_sample *r, uint32_t pid,
			      uint32_t tgid)
{
	if (ts_has(r, TSF_AC_TGETIME))
		return r->tgetime_us * 1000;
	if (pid == tgid && ts_has(r, TSF_AC_ETIME))
		return r->etime_us * 1000;
	return 0;
}

struct exit_ctx {
	struct engine *e;
	uint64_t since_ns;	/* the previous drain began */
	uint64_t suspended;
};

static struct member *record_member(struct exit_ctx *x, const struct ts_sample *r,
				    uint32_t pid, uint32_t tgid, uint64_t *start,
				    uint64_t *start_lo)
{
	uint64_t age = record_age_ns(r, pid, tgid), now = procfs_boottime_ns();
	uint64_t hi, lo;

	*start = *start_lo = 0;
	if (!age)
		return ptable_find(&x->e->table, (pid_t)tgid, 0, 0);
	if (age >= now)
		return NULL;	/* older than the machine: not any of ours */
	hi = now - age;
	lo = x->since_ns > age + x->suspended ? x->since_ns - age - x->suspended : 0;
	if (lo > hi)
		lo = hi;
	*start = hi;
	*start_lo = lo;
	return ptable_find(&x->e->table, (pid_t)tgid, lo + (hi - lo) / 2,
			   (hi - lo) / 2 + 20000000ull);
}

static int on_exit_record(const struct ts_msg *msg, void *data)
{
	struct exit_ctx *x = data;
	struct engine *e = x->e;
	struct ts_sample rec = msg->pid_stats, whole;
	const struct ts_sample *tg = NULL;
	struct member *m, *parent;
	uint32_t pid, tgid, ppid;
	uint64_t start, start_lo;
	bool group_dead;

	if (msg->error || !msg->has_pid)
		return 0;
	pid = ts_has(&rec, TSF_AC_PID) ? rec.pid : msg->pid;
	tgid = ts_has(&rec, TSF_AC_TGID) ? rec.tgid : (msg->has_tgid ? msg->tgid : pid);
	ppid = ts_has(&rec, TSF_AC_PPID) ? rec.ppid : 0;
	m = record_member(x, &rec, pid, tgid, &start, &start_lo);
	parent = ppid ? ptable_find(&e->table, (pid_t)ppid, 0, 0) : NULL;
	if (parent && parent->tgid == (pid_t)tgid)
		parent = NULL;
	group_dead = (rec.flag & TS_AGROUP) || msg->has_tgid ||
		     (!ts_has(&rec, TSF_AC_TGID) && pid == tgid &&
		      !(m && m->has_threads));
	if (!m && parent && (parent->groups & e->children_mask)) {
		/* a child of a member born and gone between two reads: it
		 * belongs to the Children groups only (it matched nothing
		 * that we could see) */
		m = membership_join(e, (pid_t)tgid, start, 0,
				    parent->groups & e->children_mask, rec.comm,
				    JOIN_BORN);
		if (m) {
			m->ppid = parent->tgid;
			m->start_lo_ns = start_lo;
		}
	}
	e->stats.delays_rejected += (uint64_t)acct_sanitize_delays(&rec);
	if (msg->has_tgid) {
		whole = msg->tgid_stats;
		e->stats.delays_rejected += (uint64_t)acct_sanitize_delays(&whole);
		tg = &whole;
	}
	if (!m) {
		/* not ours, but what it did lands in our member parent's
		 * cumulative values when it is reaped */
		if (parent)
			membership_foreign_child_exit(e, parent, &rec, group_dead);
		return 0;
	}
	e->stats.exit_records++;
	acct_thread_exit(&m->acct, &rec);
	if (pid == tgid) {
		m->exit_status = rec.exitcode;
		if (!m->comm[0])
			snprintf(m->comm, sizeof(m->comm), "%.16s", rec.comm);
	} else {
		m->has_threads = true;
	}
	if (group_dead) {
		acct_process_exit(&m->acct, &rec, tg, e->stats.keeps_dead_threads);
		if (ppid)
			m->ppid = (pid_t)ppid;	/* its reaper at exit */
		m->vanished = false;
		membership_end(e, m);
	}
	return 0;
}

void engine_handle_exit_record(struct engine *e, const struct ts_msg *msg)
{
	struct exit_ctx x = { .e = e, .since_ns = e->last_exit_drain_ns,
			      .suspended = procfs_suspended_ns() };

	on_exit_record(msg, &x);
}

static void drain_exit_records(struct engine *e)
{
	struct exit_ctx x = { .e = e, .since_ns = e->last_exit_drain_ns,
			      .suspended = procfs_suspended_ns() };
	uint64_t lost;
	int n;

	if (!e->exits)
		return;
	e->last_exit_drain_ns = procfs_boottime_ns();
	n = ts_listener_drain(e->exits, on_exit_record, &x);
	if (n < 0)
		engine_logf(e, ENGINE_WARN, "reading exit records: %s",
			    ts_strerror(n));
	lost = ts_listener_lost(e->exits);
	if (lost != e->stats.exit_records_lost) {
		engine_logf(e, ENGINE_WARN, "exit records lost (receive buffer "
			    "full %llu times); members that exited fall back to "
			    "their last sampled values",
			    (unsigned long long)lost);
		e->stats.exit_records_lost = lost;
	}
	e->exit_loss_recent |= lost != e->exit_lost_prev_read;
	e->exit_lost_prev_read = lost;
}

/* ---- samples ---- */

static int grow_batch(struct engine *e)
{
	if (e->batch)
		return 0;
	e->batch = calloc(2 * BATCH_MEMBERS, sizeof(*e->batch));
	e->batch_member = calloc(BATCH_MEMBERS, sizeof(*e->batch_member));
	e->batch_full = calloc(BATCH_MEMBERS, sizeof(*e->batch_full));
	if (!e->batch || !e->batch_member || !e->batch_full)
		return -ENOMEM;
	e->batch_cap = BATCH_MEMBERS;
	return 0;
}

static void sample_tgid(struct engine *e, struct member *m,
			const struct ts_sample *tgid)
{
	struct ts_sample t = *tgid;

	e->stats.delays_rejected += (uint64_t)acct_sanitize_delays(&t);
	acct_sample_tgid(&m->acct, &t, e->stats.keeps_dead_threads);
}

static void apply_sample(struct engine *e, struct member *m,
			 const struct ts_query *tq, const struct ts_query *pq)
{
	struct proc_stat_vals st;
	struct proc_io_vals io;
	int r;

	if (m->pin.stat_fd >= 0) {
		r = proc_pin_read(&m->pin, &st, &io);
	} else {
		/* not pinned (out of descriptors, or gone before it could
		 * be): by path, checking it is still the same instance */
		r = proc_read_path(m->tgid, &st, &io);
		if (r >= 0 && !member_same_start(m, st.start_ticks))
			r = -ESRCH;
	}
	if (r == -ESRCH || r == -ENOENT) {
		/* reaped: its record, queued before that, is still to be
		 * drained (or was lost) */
		m->vanished = true;
		return;
	}
	if (!tq->err)
		sample_tgid(e, m, &tq->stats);
	if (r < 0) {
		/* unreadable (out of descriptors ...), not gone: still a member */
		e->stats.proc_errors++;
		return;
	}
	acct_sample_proc(&m->acct, &st, r == 0 ? &io : NULL);
	if (!pq->err) {
		if (r == 0)
			acct_sample_leader(&m->acct, &pq->stats);
		m->hiwater_rss_kib = pq->stats.hiwater_rss_kib;
		m->hiwater_vm_kib = pq->stats.hiwater_vm_kib;
	}
	m->last_cpu_ns = tq->stats.cpu_run_virtual_ns;
	/* spread the idle members' periodic full samples over the reads */
	m->idle_reads = m->sampled ? 0 : (uint32_t)m->tgid % FULL_EVERY;
	m->nthreads = (uint32_t)st.nthreads;
	m->ppid = st.ppid;
	m->rss_bytes = st.rss_pages * (uint64_t)procfs_pagesize();
	if (st.comm[0])
		memcpy(m->comm, st.comm, sizeof(m->comm));
	m->sampled = true;
	if (m->pending_base) {
		acct_rebase(&m->acct);
		m->pending_base = false;
	}
}

/* A member that has not run since its last full sample cannot have
 * faulted, done I/O, grown its peaks or changed its threads: its TGID
 * reply is enough.  Its RSS (which reclaim can shrink) is refreshed every
 * FULL_EVERY reads. */
static bool needs_full_sample(const struct member *m, const struct ts_query *tq)
{
	return tq->err || !m->sampled || m->pending_base ||
	       !ts_has(&tq->stats, TSF_CPU_RUN_VIRTUAL_TOTAL) ||
	       tq->stats.cpu_run_virtual_ns != m->last_cpu_ns ||
	       m->idle_reads + 1 >= FULL_EVERY;
}

/* Members batch_member[0..n): TGID queries for all, then PID queries and
 * /proc reads only for those that ran. */
static int sample_chunk(struct engine *e, size_t n)
{
	struct ts_query *tq = e->batch, *pq = e->batch + n;
	size_t i, k = 0;
	int err;

	for (i = 0; i < n; i++)
		tq[i] = (struct ts_query){ .kind = TS_ID_TGID,
					   .id = (uint32_t)e->batch_member[i]->tgid };
	err = ts_client_query(e->client, tq, n);
	if (err)
		goto fail;
	for (i = 0; i < n; i++) {
		struct member *m = e->batch_member[i];

		if (needs_full_sample(m, &tq[i])) {
			pq[k] = (struct ts_query){ .kind = TS_ID_PID,
						   .id = (uint32_t)m->tgid };
			e->batch_full[k++] = i;
			continue;
		}
		sample_tgid(e, m, &tq[i].stats);
		m->idle_reads++;
	}
	if (k && (err = ts_client_query(e->client, pq, k)))
		goto fail;
	for (i = 0; i < k; i++)
		apply_sample(e, e->batch_member[e->batch_full[i]],
			     &tq[e->batch_full[i]], &pq[i]);
	return 0;
fail:
	e->stats.query_errors++;
	engine_logf(e, ENGINE_WARN, "taskstats query failed: %s", ts_strerror(err));
	return err;
}

/* pending_only: just the members that joined in this read while running
 * (they count from this first sample: it must come before their exit
 * records and their children's are folded in). */
static int sample_members(struct engine *e, bool pending_only)
{
	struct member *m, *tmp;
	size_t n = 0;
	int err = 0;

	if (grow_batch(e))
		return -ENOMEM;
	ptable_for_each(&e->table, m, tmp) {
		if (m->gone || (pending_only && !m->pending_base))
			continue;
		e->batch_member[n] = m;
		if (++n == BATCH_MEMBERS) {
			err = sample_chunk(e, n);
			if (err)
				return err;
			n = 0;
		}
	}
	if (n)
		err = sample_chunk(e, n);
	return err;
}

/* Members /proc says are gone and whose record did not come in the
 * drain after the sample (the record is queued before the process can be
 * reaped): it was lost, or we do not listen.  They end with their last
 * sampled values. */
static void end_vanished(struct engine *e)
{
	struct member *m, *tmp;

	ptable_for_each(&e->table, m, tmp) {
		if (m->gone || !m->vanished)
			continue;
		if (e->exits) {
			e->stats.exits_unrecorded++;
			/* after ENOBUFS this is expected (and logged) */
			if (!e->exit_loss_recent)
				engine_logf(e, ENGINE_INFO, "%s[%d] ended without an "
					    "exit record: counted up to its last "
					    "sample", m->comm, (int)m->tgid);
		}
		membership_end(e, m);
	}
}

/* ---- results ---- */

static void fold_gone(struct engine *e)
{
	struct member *m, *tmp;
	size_t g;

	ptable_for_each(&e->table, m, tmp) {
		bool failed;

		if (!m->gone)
			continue;
		membership_retire(e, m);
		failed = exit_failed(m->exit_status);
		for (g = 0; g < e->ngroups; g++) {
			if (!(m->groups & (1ull << g)))
				continue;
			e->groups[g].res.exited++;
			if (!failed)
				continue;
			e->groups[g].res.failed++;
			if (e->on_exit)
				e->on_exit(e->exit_ctx, e->groups[g].name,
					   m->comm, m->tgid, m->exit_status);
		}
		/* its fork event may still be queued: it must not rejoin */
		ptable_remember_end(&e->table, m->tgid,
				    m->start_lo_ns ? m->start_lo_ns : m->start_ns,
				    m->start_ns, e->read_seq);
		ptable_remove(&e->table, m);
	}
}

static void compute_results(struct engine *e)
{
	struct member *m, *tmp;
	size_t g;
	int c;

	for (g = 0; g < e->ngroups; g++) {
		struct group *gr = &e->groups[g];

		memcpy(gr->res.counters, gr->retired, sizeof(gr->retired));
		gr->res.known = gr->retired_known;
		gr->res.processes = gr->res.threads = gr->res.rss_bytes = 0;
		gr->res.rss_peak_bytes = gr->res.vm_peak_bytes = 0;
	}
	ptable_for_each(&e->table, m, tmp) {
		acct_update(&m->acct);
		for (g = 0; g < e->ngroups; g++) {
			struct group_result *r = &e->groups[g].res;

			if (!(m->groups & (1ull << g)))
				continue;
			for (c = 0; c < AC_COUNT; c++)
				r->counters[c] += membership_contrib(e, m, g, c);
			r->known |= m->acct.known;
			if (!m->sampled)
				continue;
			r->processes++;
			r->threads += m->nthreads;
			r->rss_bytes += m->rss_bytes;
			if (m->hiwater_rss_kib * 1024 > r->rss_peak_bytes)
				r->rss_peak_bytes = m->hiwater_rss_kib * 1024;
			if (m->hiwater_vm_kib * 1024 > r->vm_peak_bytes)
				r->vm_peak_bytes = m->hiwater_vm_kib * 1024;
		}
	}
}

int engine_read(struct engine *e)
{
	uint64_t now;
	int err;

	if (!e->started) {
		err = engine_start(e);
		if (err)
			return err;
	}
	now = procfs_boottime_ns();
	membership_refresh_pidfiles(e);
	if (e->events)
		membership_drain_events(e);
	if (!e->events || e->need_reconcile ||
	    now - e->last_reconcile_ns >= e->opt.rescan_interval_s * 1000000000ull) {
		err = membership_reconcile(e);
		if (err)
			engine_logf(e, ENGINE_WARN, "scanning /proc: %s",
				    strerror(-err));
	}
	e->read_seq++;
	e->exit_loss_recent = false;
	sample_members(e, true);
	drain_exit_records(e);
	err = sample_members(e, false);
	/* again: a child reaped before its reaper's sample was queued
	 * before that sample, so the reaper's cumulative values and the
	 * child's end are seen together */
	drain_exit_records(e);
	end_vanished(e);
	fold_gone(e);
	compute_results(e);
	e->stats.tracked = e->table.count;
	e->last_read_ns = now;
	return err;
}

void engine_free(struct engine *e)
{
	size_t g;

	if (!e)
		return;
	ptable_destroy(&e->table);
	for (g = 0; g < e->ngroups; g++)
		selset_free(e->groups[g].sel);
	cn_listener_close(e->events);
	ts_listener_close(e->exits);
	ts_client_close(e->client);
	free(e->batch);
	free(e->batch_member);
	free(e->batch_full);
	free(e);
}
