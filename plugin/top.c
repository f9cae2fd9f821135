/* top.c - host-wide top consumers: scan, per-process rates, ranking.
 *
 * Per update: proc_scan -> one-shot stat (and io) reads per process ->
 * top_feed2 into an open-addressing table keyed by pid -> top_finish
 * rebuilds the table from the processes fed this time (so the gone ones
 * vanish and the table shrinks with the host) and keeps the best count in
 * a small sorted array.  Never logs.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc_ident.h"
#include "procfs.h"
#include "top.h"
#include "ts_client.h"

#define TOP_MIN_CAP	64u
#define TOP_BATCH	256u	/* TGID queries per netlink exchange */

struct top_slot {
	pid_t pid;		/* 0: empty */
	uint32_t gen;		/* the update that last fed it */
	uint64_t start_ticks;
	uint64_t t_ns;		/* when ctr was read */
	double ctr[2];
	bool rated;		/* rate[] is valid for gen */
	double rate[2];
	char comm[17];
};

struct top {
	enum top_key key;
	unsigned count;
	uint32_t gen;
	struct top_slot *slots;
	size_t cap, used;	/* cap: power of two, used <= cap / 2 */
	struct top_entry *res;
	size_t nres;
};

/* A process the delay scan found; its counters come after the queries. */
struct top_pending {
	pid_t pid;
	uint64_t start_ticks;
	char comm[17];
	double ctr[2];
	bool ok;
};

struct top_scan {
	struct top *t;
	uint64_t now_ns;
	int fed;
	int err;
	struct top_pending *pend;	/* TOP_DELAY only */
	size_t npend, cappend;
};

int top_key_parse(const char *s)
{
	if (!strcmp(s, "io"))
		return TOP_IO;
	if (!strcmp(s, "cpu"))
		return TOP_CPU;
	if (!strcmp(s, "delay"))
		return TOP_DELAY;
	return -1;
}

const char *top_key_name(enum top_key key)
{
	return key == TOP_IO ? "io" : key == TOP_CPU ? "cpu" : "delay";
}

static struct top_slot *top_alloc_slots(size_t cap)
{
	return calloc(cap, sizeof(struct top_slot));
}

struct top *top_new(enum top_key key, unsigned count)
{
	struct top *t;

	if (count == 0 || count > TOP_COUNT_MAX ||
	    (key != TOP_IO && key != TOP_CPU && key != TOP_DELAY)) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->key = key;
	t->count = count;
	t->cap = TOP_MIN_CAP;
	t->slots = top_alloc_slots(t->cap);
	t->res = calloc(count, sizeof(*t->res));
	if (!t->slots || !t->res) {
		top_free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void top_free(struct top *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->res);
	free(t);
}

enum top_key top_get_key(const struct top *t)
{
	return t->key;
}

size_t top_tracked(const struct top *t)
{
	return t->used;
}

size_t top_results(const struct top *t, const struct top_entry **out)
{
	*out = t->res;
	return t->nres;
}

/* ---- the table ---- */

static size_t top_hash(pid_t pid, size_t cap)
{
	return ((uint32_t)pid * 2654435761u) & (cap - 1);	/* Knuth */
}

/* The slot holding pid, or the empty slot where it belongs. */
static struct top_slot *top_lookup(struct top_slot *slots, size_t cap,
				   pid_t pid)
{
	size_t i = top_hash(pid, cap);

	while (slots[i].pid && slots[i].pid != pid)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* Move the slots of gen (all when keep_all) into a table of cap slots. */
static int top_rehash(struct top *t, size_t cap, bool keep_all)
{
	struct top_slot *n = top_alloc_slots(cap);
	size_t i, used = 0;

	if (!n)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		const struct top_slot *s = &t->slots[i];

		if (!s->pid || (!keep_all && s->gen != t->gen))
			continue;
		*top_lookup(n, cap, s->pid) = *s;
		used++;
	}
	free(t->slots);
	t->slots = n;
	t->cap = cap;
	t->used = used;
	return 0;
}

/* ---- feeding ---- */

/* A sample of a known process: rate since its previous sample. */
static void top_rate(struct top_slot *s, double a, double b, uint64_t now_ns)
{
	double dt = (double)(now_ns - s->t_ns) / 1e9;

	s->rated = now_ns > s->t_ns && a >= s->ctr[0] && b >= s->ctr[1];
	if (s->rated) {
		s->rate[0] = (a - s->ctr[0]) / dt;
		s->rate[1] = (b - s->ctr[1]) / dt;
	}
}

int top_feed2(struct top *t, pid_t pid, uint64_t start_ticks, const char *comm,
	      double a, double b, uint64_t now_ns)
{
	struct top_slot *s;

	if (pid <= 0)
		return -EINVAL;
	if ((t->used + 1) * 2 > t->cap && top_rehash(t, t->cap * 2, true))
		return -ENOMEM;
	s = top_lookup(t->slots, t->cap, pid);
	if (s->pid && s->start_ticks == start_ticks) {
		top_rate(s, a, b, now_ns);
	} else {
		if (!s->pid)
			t->used++;
		s->pid = pid;	/* new, or the pid was reused: no rate yet */
		s->start_ticks = start_ticks;
		s->rated = false;
	}
	s->gen = t->gen;
	s->t_ns = now_ns;
	s->ctr[0] = a;
	s->ctr[1] = b;
	snprintf(s->comm, sizeof(s->comm), "%s", comm ? comm : "");
	return 0;
}

int top_feed(struct top *t, pid_t pid, uint64_t start_ticks, const char *comm,
	     double value_counter, uint64_t now_ns)
{
	return top_feed2(t, pid, start_ticks, comm, value_counter, 0, now_ns);
}

/* ---- ranking ---- */

static bool top_before(const struct top_entry *x, const struct top_entry *y)
{
	return x->rate > y->rate || (x->rate == y->rate && x->pid < y->pid);
}

/* Insert e into the sorted, bounded result array (count is small). */
static void top_rank(struct top *t, const struct top_entry *e)
{
	size_t i;

	if (t->nres == t->count && !top_before(e, &t->res[t->nres - 1]))
		return;
	i = t->nres < t->count ? t->nres++ : t->nres - 1;
	for (; i > 0 && top_before(e, &t->res[i - 1]); i--)
		t->res[i] = t->res[i - 1];
	t->res[i] = *e;
}

static void top_entry_from(struct top_entry *e, const struct top_slot *s)
{
	memset(e, 0, sizeof(*e));
	e->pid = s->pid;
	e->start_ticks = s->start_ticks;
	memcpy(e->comm, s->comm, sizeof(e->comm));
	e->part[0] = s->rate[0];
	e->part[1] = s->rate[1];
	e->rate = s->rate[0] + s->rate[1];
}

/* Smallest power-of-two capacity that keeps n live slots at most half full. */
static size_t top_cap_for(size_t n)
{
	size_t cap = TOP_MIN_CAP;

	while (cap < n * 2)
		cap *= 2;
	return cap;
}

int top_finish(struct top *t)
{
	struct top_entry e;
	size_t i, live = 0;
	int rc;

	t->nres = 0;
	for (i = 0; i < t->cap; i++) {
		const struct top_slot *s = &t->slots[i];

		if (!s->pid || s->gen != t->gen)
			continue;
		live++;
		if (!s->rated)
			continue;
		top_entry_from(&e, s);
		if (e.rate > 0)
			top_rank(t, &e);
	}
	rc = top_rehash(t, top_cap_for(live), false);	/* evicts the gone */
	t->gen++;
	return rc;
}

/* ---- the /proc and taskstats scan ---- */

static int top_pend_add(struct top_scan *sc, pid_t pid,
			const struct proc_stat_vals *st)
{
	struct top_pending *p;

	if (sc->npend == sc->cappend) {
		size_t cap = sc->cappend ? sc->cappend * 2 : 1024;

		p = realloc(sc->pend, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		sc->pend = p;
		sc->cappend = cap;
	}
	p = &sc->pend[sc->npend++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->start_ticks = st->start_ticks;
	memcpy(p->comm, st->comm, sizeof(p->comm));
	return 0;
}

/* One process: a read error means gone or not ours to read; skip it. */
static int top_scan_one(pid_t pid, void *data)
{
	struct top_scan *sc = data;
	struct proc_stat_vals st;
	struct proc_io_vals io;
	double hz = (double)procfs_hz();
	int rc;

	if (proc_stat_read(pid, &st))
		return 0;
	switch (sc->t->key) {
	case TOP_IO:
		/* by what each process did itself: /proc/PID/io would
		 * credit a shell with the dd it reaped */
		if (proc_own_io_read(pid, st.nthreads, &io))
			return 0;
		rc = top_feed2(sc->t, pid, st.start_ticks, st.comm,
			       (double)io.rchar, (double)io.wchar, sc->now_ns);
		break;
	case TOP_CPU:
		rc = top_feed2(sc->t, pid, st.start_ticks, st.comm,
			       (double)st.utime_ticks / hz,
			       (double)st.stime_ticks / hz, sc->now_ns);
		break;
	default:
		return top_pend_add(sc, pid, &st);
	}
	if (rc == 0)
		sc->fed++;
	return rc;
}

/* cpu run-queue delay and the sum of every other kind, in seconds. */
static void top_delay_sum(const struct ts_sample *s, double ctr[2])
{
	int k;

	ctr[0] = (double)s->delay[TS_DELAY_CPU].total_ns / 1e9;
	ctr[1] = 0;
	for (k = 0; k < TS_DELAY_KINDS; k++)
		if (k != TS_DELAY_CPU)
			ctr[1] += (double)s->delay[k].total_ns / 1e9;
}

/* Batched TGID queries for every pending process.  A gone process
 * (-ESRCH) is skipped; a failed exchange fails the update. */
static int top_query_delays(struct top_scan *sc, struct ts_client *c)
{
	struct ts_query *q = malloc(TOP_BATCH * sizeof(*q));
	size_t i, j, n;
	int rc = 0;

	if (!q)
		return -ENOMEM;
	for (i = 0; i < sc->npend && rc == 0; i += n) {
		n = sc->npend - i < TOP_BATCH ? sc->npend - i : TOP_BATCH;
		for (j = 0; j < n; j++) {
			q[j].kind = TS_ID_TGID;
			q[j].id = (uint32_t)sc->pend[i + j].pid;
		}
		rc = ts_client_query(c, q, n);
		for (j = 0; j < n && rc == 0; j++) {
			sc->pend[i + j].ok = q[j].err == 0;
			if (q[j].err == 0)
				top_delay_sum(&q[j].stats, sc->pend[i + j].ctr);
		}
	}
	free(q);
	return rc;
}

static int top_feed_pending(struct top_scan *sc)
{
	size_t i;
	int rc;

	for (i = 0; i < sc->npend; i++) {
		const struct top_pending *p = &sc->pend[i];

		if (!p->ok)
			continue;
		rc = top_feed2(sc->t, p->pid, p->start_ticks, p->comm,
			       p->ctr[0], p->ctr[1], sc->now_ns);
		if (rc)
			return rc;
		sc->fed++;
	}
	return 0;
}

int top_update(struct top *t, struct ts_client *c, uint64_t now_ns)
{
	struct top_scan sc = { .t = t, .now_ns = now_ns };
	int rc;

	if (t->key == TOP_DELAY && !c)
		return -EINVAL;
	rc = proc_scan(top_scan_one, &sc);
	if (rc >= 0 && t->key == TOP_DELAY) {
		rc = top_query_delays(&sc, c);
		if (rc == 0)
			rc = top_feed_pending(&sc);
	}
	free(sc.pend);
	if (rc < 0) {
		/* feed nothing more, evict nothing: the next update rates
		 * over the longer period */
		t->nres = 0;
		return rc;
	}
	rc = top_finish(t);
	return rc < 0 ? rc : sc.fed;
}

/* ---- naming ---- */

static char top_safe_char(char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-')
		return ch;
	return '_';
}

void top_entry_name(const struct top_entry *e, char *buf, size_t n)
{
	char comm[sizeof(e->comm)];
	size_t i;

	if (n == 0)
		return;
	for (i = 0; i < sizeof(comm) - 1 && e->comm[i]; i++)
		comm[i] = top_safe_char(e->comm[i]);
	comm[i] = '\0';
	snprintf(buf, n, "%s-%d", i ? comm : "_", (int)e->pid);
}
