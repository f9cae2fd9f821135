/* membership.c - who is in which group.
 *
 * A process is in group g if it matches a selector of g (matched) or
 * descends from a member of a group with Children true (inherited; sticky
 * until it exits, so double-forked daemons stay with their service).  The
 * proc connector drives changes: fork (children), exec, comm and uid
 * changes (re-match).  Cgroup moves send no event: a process moved by hand
 * is found by the next reconcile.
 * A full /proc reconcile runs at start, after lost events, every
 * RescanInterval, and every read when events are unavailable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_int.h"
#include "proc_ident.h"

#define START_TOL_NS 20000000ull	/* /proc starttime has 10 ms ticks */
#define TICK_NS 10000000ull		/* ... rounded down */

/* Exiting (its exit record may be read already), a zombie, or dead: it
 * never joins again. */
#define PF_EXITING_FLAG 0x4u
static bool exited_state(const struct proc_ident *pi)
{
	return pi->state == 'Z' || pi->state == 'X' ||
	       (pi->flags & PF_EXITING_FLAG);
}

uint64_t ticks_to_ns(uint64_t ticks)
{
	return ticks * (1000000000ull / (uint64_t)procfs_hz());
}

bool member_same_start(const struct member *m, uint64_t start_ticks)
{
	uint64_t s = ticks_to_ns(start_ticks);

	return s + START_TOL_NS >= m->start_ns && s <= m->start_ns + START_TOL_NS;
}

uint64_t membership_match(struct engine *e, const struct proc_ident *pi)
{
	uint64_t mask = 0;
	size_t g;

	for (g = 0; g < e->ngroups; g++)
		if (selset_match(e->groups[g].sel, pi))
			mask |= 1ull << g;
	return mask;
}

uint64_t membership_contrib(const struct engine *e, const struct member *m,
			    size_t g, enum acct_counter c)
{
	return acct_contrib_view(&m->acct, c, (e->children_mask >> g) & 1);
}

/* Fold m's contribution into its groups' retired totals.  In groups that
 * count it through its reaper (absorbed), only what the kernel does not
 * add to a reaper (delays, context switches) is its own to retire. */
void membership_retire(struct engine *e, struct member *m)
{
	size_t g;
	int c;

	acct_update(&m->acct);
	for (g = 0; g < e->ngroups; g++) {
		struct group *gr = &e->groups[g];
		bool absorbed = (m->absorbed >> g) & 1;

		if (!(m->groups & (1ull << g)))
			continue;
		for (c = 0; c < AC_COUNT; c++)
			if (!absorbed || acct_abs_index(c) < 0)
				gr->retired[c] += membership_contrib(e, m, g, c);
		gr->retired_known |= m->acct.known;
	}
}

/* Does reaper r have the kernel reap its children (SIGCHLD ignored)?
 * Then nothing of theirs reaches r's cumulative values.  Read once per
 * read; a reaper already gone from /proc keeps what an earlier read saw;
 * unknown counts as "r waits for them", the common case (a wrong guess
 * costs r's ancestors their own I/O down to acct_sample_leader()'s floor). */
static bool auto_reaps(struct engine *e, struct member *r)
{
	if (r->gone)
		return false;	/* it ended: its values are final anyway */
	if (r->sigchld_read != e->read_seq || r->sigchld_ignored < 0) {
		int v = proc_sigchld_ignored(r->tgid);

		if (v >= 0)
			r->sigchld_ignored = (int8_t)(v > 0);
		r->sigchld_read = e->read_seq;
	}
	return r->sigchld_ignored > 0;
}

void membership_end(struct engine *e, struct member *m)
{
	struct member *r;
	uint64_t kids;

	if (m->gone)
		return;
	m->gone = true;
	if (m->pending_base) {
		/* it ended before its first sample: it counts from that
		 * sample, so nothing of it counts */
		acct_rebase(&m->acct);
		m->pending_base = false;
	}
	acct_update(&m->acct);
	r = m->ppid > 0 ? ptable_find_before(&e->table, m->ppid,
					     m->start_ns + START_TOL_NS) : NULL;
	if (!r || r == m || r->vanished || auto_reaps(e, r)) {
		e->stats.exits_approx += m->vanished ? 0 : 1;
		return;
	}
	/* the kernel adds m's whole subtree to r when r reaps it: groups
	 * with Children that r is in count m through r, if m is in all of
	 * them (else m counts by itself, and r's all view leaves it out) */
	kids = r->groups & e->children_mask;
	if (kids && (m->groups & kids) == kids) {
		acct_absorb(&r->acct, &m->acct, true);
		m->absorbed = kids;
		e->stats.exits_reaped++;
	} else {
		acct_absorb(&r->acct, &m->acct, false);
		e->stats.exits_approx += m->vanished ? 0 : 1;
	}
}

void membership_foreign_child_exit(struct engine *e, struct member *reaper,
				   const struct ts_sample *rec, bool whole_process)
{
	struct acct_member c;

	if (auto_reaps(e, reaper))
		return;
	/* what the record says it did is in the reaper's cumulative values
	 * once reaped: out of the reaper's own I/O and of its all view */
	acct_init(&c);
	acct_thread_exit(&c, rec);
	acct_process_exit(&c, rec, NULL, e->stats.keeps_dead_threads);
	if (!whole_process)
		c.last[AC_CPU_USER_US] = c.last[AC_CPU_SYS_US] = 0;
	acct_update(&c);
	acct_absorb(&reaper->acct, &c, false);
	acct_free(&c);
}

/* Pin /proc/PID/{stat,io} and check that the pinned process is the one
 * that started at start_ns (the PID may already be someone else's). */
static void pin_member(struct ptable *t, struct member *m)
{
	struct proc_stat_vals st;

	if (t->pinned >= t->pin_budget || proc_pin_open(m->tgid, &m->pin))
		return;		/* read by path instead */
	if (proc_pin_read(&m->pin, &st, NULL) < 0 ||
	    (m->start_ns && !member_same_start(m, st.start_ticks))) {
		proc_pin_close(&m->pin);
		return;
	}
	if (!m->start_ns)
		m->start_ns = ticks_to_ns(st.start_ticks);
	t->pinned++;
}

struct member *membership_join(struct engine *e, pid_t tgid, uint64_t start_ns,
			       uint64_t matched, uint64_t inherited,
			       const char *comm, enum join_how how)
{
	uint64_t groups = matched | inherited;
	struct member *m;
	bool whole, started;
	size_t g;

	if (!groups)
		return NULL;
	m = ptable_add(&e->table, tgid, start_ns);
	if (!m)
		return NULL;
	m->matched = matched;
	m->inherited = inherited;
	m->groups = groups;
	m->sigchld_ignored = -1;
	if (comm)
		snprintf(m->comm, sizeof(m->comm), "%s", comm);
	pin_member(&e->table, m);
	/* born after the previous read: its whole life counts, from zero; a
	 * process that was already running, or exec'd into the group, counts
	 * from its first sample, so joining makes no spike */
	whole = how == JOIN_BORN ||
		(how == JOIN_FOUND && m->start_ns + TICK_NS > e->last_read_ns);
	started = whole || how == JOIN_EXEC;
	m->pending_base = !whole;
	for (g = 0; g < e->ngroups; g++)
		if (started && (groups & (1ull << g)))
			e->groups[g].res.started++;
	return m;
}

void membership_set_groups(struct engine *e, struct member *m,
			   uint64_t matched, uint64_t inherited)
{
	uint64_t groups = matched | inherited;

	m->matched = matched;
	m->inherited = inherited;
	if (groups == m->groups)
		return;
	membership_retire(e, m);
	acct_rebase(&m->acct);
	m->groups = groups;
	if (!groups)
		ptable_remove(&e->table, m);
}

/* What a reconcile learns about one process. */
struct scan_ent {
	pid_t pid, ppid;
	uint64_t start_ticks;
	uint64_t matched, inherited;
	int state;			/* 0 new, 1 visiting, 2 done */
	bool zombie;			/* exited, not reaped: never joins */
	char comm[17];
};

struct scan {
	struct engine *e;
	struct scan_ent *ent;
	size_t n, cap;
};

static int scan_one(pid_t pid, void *data)
{
	struct scan *s = data;
	struct proc_ident pi;
	struct scan_ent *x;
	int err;

	memset(&pi, 0, sizeof(pi));
	err = proc_ident_read(pid, PI_STAT | s->e->need_ident, &pi);
	if (err) {
		/* gone meanwhile, or unreadable (out of descriptors ...):
		 * then what the scan did not see is not known to be gone */
		if (err != -ENOENT && err != -ESRCH)
			s->e->stats.proc_errors++;
		return 0;
	}
	s->e->stats.proc_reads++;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		void *p = realloc(s->ent, cap * sizeof(*s->ent));

		if (!p) {
			proc_ident_free(&pi);
			return -ENOMEM;
		}
		s->ent = p;
		s->cap = cap;
	}
	x = &s->ent[s->n++];
	memset(x, 0, sizeof(*x));
	x->pid = pid;
	x->ppid = pi.ppid;
	x->start_ticks = pi.start_ticks;
	x->zombie = exited_state(&pi);
	x->matched = membership_match(s->e, &pi);
	memcpy(x->comm, pi.comm, sizeof(x->comm));
	proc_ident_free(&pi);
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct scan_ent *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static struct scan_ent *scan_find(struct scan *s, pid_t pid)
{
	struct scan_ent key = { .pid = pid };

	return bsearch(&key, s->ent, s->n, sizeof(*s->ent), cmp_pid);
}

/* Groups x inherits from its ancestors (members of Children groups). */
static uint64_t scan_inherit(struct scan *s, struct scan_ent *x, int depth)
{
	struct scan_ent *p;

	if (x->state == 2 || x->state == 1 || depth > 512)
		return x->inherited;
	x->state = 1;
	p = x->ppid > 0 ? scan_find(s, x->ppid) : NULL;
	if (p)
		x->inherited = (p->matched | scan_inherit(s, p, depth + 1)) &
			       s->e->children_mask;
	x->state = 2;
	return x->inherited;
}

int membership_reconcile(struct engine *e)
{
	struct scan s = { .e = e };
	struct member *m;
	int err;
	size_t i;

	err = proc_scan(scan_one, &s);
	if (err < 0) {
		free(s.ent);
		return err;
	}
	qsort(s.ent, s.n, sizeof(*s.ent), cmp_pid);
	if (e->children_mask)
		for (i = 0; i < s.n; i++)
			scan_inherit(&s, &s.ent[i], 0);
	for (i = 0; i < s.n; i++) {
		struct scan_ent *x = &s.ent[i];
		uint64_t start = ticks_to_ns(x->start_ticks);

		if (x->zombie)
			continue;	/* its exit is counted once, by its record */
		m = ptable_find(&e->table, x->pid, start, START_TOL_NS);
		if (m) {
			m->ppid = x->ppid;
			membership_set_groups(e, m, x->matched,
					      x->inherited | m->inherited);
		} else if (x->matched | x->inherited) {
			m = membership_join(e, x->pid, start, x->matched,
					    x->inherited, x->comm, JOIN_FOUND);
			if (m)
				m->ppid = x->ppid;
		}
	}
	/* members the scan did not see: sampling finds out whether they are
	 * gone (only "no such process" ends a member) */
	free(s.ent);
	e->stats.reconciles++;
	e->last_reconcile_ns = procfs_boottime_ns();
	e->need_reconcile = false;
	return 0;
}

/* CLOCK_MONOTONIC (cn_proc timestamps) to CLOCK_BOOTTIME. */
static uint64_t mono_to_boot(uint64_t mono_ns)
{
	return mono_ns + procfs_suspended_ns();
}


/* A member forked.  The child joins the parent's Children groups, and
 * the groups whose selectors it matches itself.  One that is gone (or
 * exiting) already, or whose PID now belongs to a process started at
 * another time (reused), joins the Children groups only, from the fork:
 * its exit record ends it, and its own children find their parent -
 * unless its record was read before this event and it ended already. */
static void on_fork(struct engine *e, const struct cn_event *ev)
{
	struct member *parent, *m;
	struct proc_ident pi;
	uint64_t inherited, matched = 0, fork_ns, start;
	bool alive = false;
	int err;

	if (ev->pid != ev->tgid)
		return;		/* a new thread: counted through nthreads */
	parent = ptable_find(&e->table, (pid_t)ev->parent_tgid, 0, 0);
	if (!parent)
		return;		/* a non-member's child matches what it does */
	inherited = parent->groups & e->children_mask;
	start = fork_ns = mono_to_boot(ev->timestamp_ns);
	memset(&pi, 0, sizeof(pi));
	err = proc_ident_read((pid_t)ev->tgid, PI_STAT | e->need_ident, &pi);
	if (err && err != -ENOENT && err != -ESRCH)
		e->stats.proc_errors++;	/* unreadable: inherit only */
	if (!err) {
		uint64_t s = ticks_to_ns(pi.start_ticks);

		e->stats.proc_reads++;
		alive = !exited_state(&pi) && s + START_TOL_NS >= fork_ns &&
			s <= fork_ns + START_TOL_NS;
		if (alive) {
			start = s;
			matched = membership_match(e, &pi);
		}
	}
	if (!alive && (!inherited ||
		       ptable_ended_lately(&e->table, (pid_t)ev->tgid, fork_ns,
					   START_TOL_NS, e->read_seq))) {
		proc_ident_free(&pi);
		return;
	}
	if (!ptable_find(&e->table, (pid_t)ev->tgid, start, START_TOL_NS)) {
		m = membership_join(e, (pid_t)ev->tgid, start, matched, inherited,
				    alive && pi.comm[0] ? pi.comm : parent->comm,
				    JOIN_BORN);
		if (m)
			m->ppid = parent->tgid;
	}
	proc_ident_free(&pi);
}

/* A program exec'd this soon after its fork (fork + exec, as shells, cron
 * and CGI do) brought nothing worth separating into its group: at most
 * this much time ran before the exec. */
#define EXEC_FRESH_NS 50000000ull

/* exec, comm or uid change: match again.  A process that exec's into a
 * group counts from the exec: its whole life if the exec followed its
 * fork closely, else from its first sample (what it did as another
 * program is not the group's). */
static void on_rematch(struct engine *e, const struct cn_event *ev)
{
	struct proc_ident pi;
	struct member *m;
	uint64_t matched, start;
	int err;

	memset(&pi, 0, sizeof(pi));
	err = proc_ident_read((pid_t)ev->tgid, PI_STAT | e->need_ident, &pi);
	if (err) {
		if (err != -ENOENT && err != -ESRCH)
			e->stats.proc_errors++;
		return;
	}
	e->stats.proc_reads++;
	/* an exited process never joins; a rename that /proc no longer shows
	 * is old news: a later event (exec, rename) in the queue stands for
	 * what the process is now, and decides from when it counts */
	if (exited_state(&pi) ||
	    (ev->what == CN_EV_COMM && strncmp(pi.comm, ev->comm, 15))) {
		proc_ident_free(&pi);
		return;
	}
	matched = membership_match(e, &pi);
	start = ticks_to_ns(pi.start_ticks);
	m = ptable_find(&e->table, (pid_t)ev->tgid, start, START_TOL_NS);
	if (m) {
		uint64_t added = matched & ~m->groups;
		size_t g;

		snprintf(m->comm, sizeof(m->comm), "%s", pi.comm);
		m->ppid = pi.ppid;
		membership_set_groups(e, m, matched, m->inherited);
		/* a program exec'd into a group starts there */
		for (g = 0; ev->what == CN_EV_EXEC && g < e->ngroups; g++)
			if ((added >> g) & 1)
				e->groups[g].res.started++;
	} else if (matched) {
		uint64_t at = mono_to_boot(ev->timestamp_ns);
		enum join_how how = JOIN_FOUND;

		if (ev->what == CN_EV_EXEC)
			how = start + TICK_NS > e->last_read_ns &&
			      at + TICK_NS >= start &&
			      at <= start + EXEC_FRESH_NS ? JOIN_BORN : JOIN_EXEC;
		m = membership_join(e, (pid_t)ev->tgid, start, matched, 0,
				    pi.comm, how);
		if (m)
			m->ppid = pi.ppid;
	}
	proc_ident_free(&pi);
}

int membership_handle_event(const struct cn_event *ev, void *data)
{
	struct engine *e = data;

	e->stats.proc_events++;
	switch (ev->what) {
	case CN_EV_FORK:
		on_fork(e, ev);
		break;
	case CN_EV_EXEC:
		on_rematch(e, ev);
		break;
	case CN_EV_COMM:
	case CN_EV_UID:		/* daemons drop privileges after exec */
		if (ev->pid == ev->tgid)
			on_rematch(e, ev);
		break;
	default:
		break;
	}
	return 0;
}

int membership_drain_events(struct engine *e)
{
	uint64_t lost;
	int n;

	n = cn_listener_drain(e->events, membership_handle_event, e);
	lost = cn_listener_lost(e->events);
	if (lost != e->events_lost_seen) {
		engine_logf(e, ENGINE_WARN,
			    "proc connector lost events (receive buffer full); "
			    "rescanning /proc");
		e->events_lost_seen = lost;
		e->stats.proc_events_lost = lost;
		e->need_reconcile = true;
	}
	return n;
}

void membership_refresh_pidfiles(struct engine *e)
{
	char msg[256];
	size_t g;

	for (g = 0; g < e->ngroups; g++) {
		int r;

		msg[0] = '\0';
		r = selset_refresh_pidfiles(e->groups[g].sel, msg, sizeof(msg));
		/* a changed or vanished pid file changes who is in */
		if (r != 0)
			e->need_reconcile = true;
		if (r < 0 && msg[0])
			engine_logf(e, ENGINE_WARN, "group \"%s\": %s",
				    e->groups[g].name, msg);
	}
}
