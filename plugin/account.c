/* account.c - monotonic per-member counters from samples and exit records. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"

void acct_init(struct acct_member *m)
{
	memset(m, 0, sizeof(*m));
}

void acct_free(struct acct_member *m)
{
	free(m->kids);
	m->kids = NULL;
}

static enum acct_counter abs_counter(int k)
{
	return k < 2 ? (enum acct_counter)k : (enum acct_counter)(AC_MINFLT + k - 2);
}

/* The children block, made when a process first shows reaped children
 * (most members never reap: they do without its 400 bytes).  Until then
 * its all view was its own view.  NULL on ENOMEM: then it counts its own
 * work only. */
static struct acct_kids *kids_of(struct acct_member *m)
{
	struct acct_kids *x = m->kids;
	int k;

	if (x)
		return x;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	for (k = 0; k < AC_ABS_N; k++) {
		enum acct_counter c = abs_counter(k);

		x->excl[k] = m->base[c];
		x->all[k] = m->last[c] - m->base[c];
		if (c >= AC_IO_FIRST)
			x->kern[k] = m->last[c];
	}
	m->kids = x;
	return x;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static void raise_to(struct acct_member *m, enum acct_counter c, uint64_t v)
{
	if (v > m->last[c])
		m->last[c] = v;
	m->known |= AC_BIT(c);
}

void acct_cpu_split(uint64_t total_us, uint64_t utime_us, uint64_t stime_us,
		    uint64_t prev_user, uint64_t prev_sys,
		    uint64_t *user, uint64_t *sys)
{
	uint64_t s;

	if (total_us < prev_user + prev_sys) {
		*user = prev_user;
		*sys = prev_sys;
		return;
	}
	if (utime_us + stime_us == 0) {
		/* no tick seen yet (or an old kernel's TGID exit record):
		 * keep the ratio seen so far, user time if none */
		utime_us = prev_user;
		stime_us = prev_sys;
	}
	if (stime_us == 0)
		s = 0;
	else if (utime_us == 0)
		s = total_us;
	else
		s = (uint64_t)((double)total_us * (double)stime_us /
			       (double)(utime_us + stime_us));
	if (s < prev_sys)
		s = prev_sys;
	if (total_us - s < prev_user)
		s = total_us - prev_user;
	*sys = s;
	*user = total_us - s;
}

static void fold_cpu(struct acct_member *m, const struct ts_sample *t)
{
	uint64_t user, sys;

	if (!ts_has(t, TSF_CPU_RUN_VIRTUAL_TOTAL))
		return;
	acct_cpu_split(t->cpu_run_virtual_ns / 1000, t->utime_us, t->stime_us,
		       m->last[AC_CPU_USER_US], m->last[AC_CPU_SYS_US],
		       &user, &sys);
	raise_to(m, AC_CPU_USER_US, user);
	raise_to(m, AC_CPU_SYS_US, sys);
}

static const enum ts_field delay_count_field[TS_DELAY_KINDS] = {
	TSF_CPU_COUNT, TSF_BLKIO_COUNT, TSF_SWAPIN_COUNT, TSF_FREEPAGES_COUNT,
	TSF_THRASHING_COUNT, TSF_COMPACT_COUNT, TSF_WPCOPY_COUNT, TSF_IRQ_COUNT,
};

static void fold_delays(struct acct_member *m, const struct ts_sample *t)
{
	int k;

	for (k = 0; k < TS_DELAY_KINDS; k++) {
		if (!ts_has(t, delay_count_field[k]))
			continue;
		raise_to(m, AC_DELAY_COUNT + k, t->delay[k].count);
		raise_to(m, AC_DELAY_NS + k, t->delay[k].total_ns);
	}
}

void acct_sample_tgid(struct acct_member *m, const struct ts_sample *tgid,
		      bool keeps_dead)
{
	fold_cpu(m, tgid);
	fold_delays(m, tgid);
	if (ts_has(tgid, TSF_NVCSW)) {
		uint64_t dv = keeps_dead ? 0 : m->dead[AC_NVCSW - AC_THREAD_FIRST];
		uint64_t di = keeps_dead ? 0 : m->dead[AC_NIVCSW - AC_THREAD_FIRST];

		raise_to(m, AC_NVCSW, tgid->nvcsw + dv);
		raise_to(m, AC_NIVCSW, tgid->nivcsw + di);
	}
}

static uint64_t ticks_to_us(uint64_t ticks, long hz)
{
	return ticks * 1000000ull / (uint64_t)(hz > 0 ? hz : 100);
}

static void raise_kern(struct acct_kids *x, enum acct_counter c, uint64_t v)
{
	int k = acct_abs_index(c);

	if (x && v > x->kern[k])
		x->kern[k] = v;
}

void acct_sample_proc(struct acct_member *m, const struct proc_stat_vals *st,
		      const struct proc_io_vals *io)
{
	if (st) {
		long hz = procfs_hz();
		uint64_t cu = ticks_to_us(st->cutime_ticks, hz);
		uint64_t cs = ticks_to_us(st->cstime_ticks, hz);
		struct acct_kids *x = m->kids;

		raise_to(m, AC_MINFLT, st->minflt);
		raise_to(m, AC_MAJFLT, st->majflt);
		if (!x && (cu | cs | st->cminflt | st->cmajflt))
			x = kids_of(m);
		raise_kern(x, AC_MINFLT, st->cminflt);
		raise_kern(x, AC_MAJFLT, st->cmajflt);
		raise_kern(x, AC_CPU_USER_US, cu);
		raise_kern(x, AC_CPU_SYS_US, cs);
	}
	if (io) {
		const uint64_t v[AC_IO_N] = {
			io->rchar, io->wchar, io->syscr, io->syscw,
			io->read_bytes, io->write_bytes,
			io->cancelled_write_bytes,
		};
		int i;

		/* with reaped children, own I/O (these less theirs) is worked
		 * out in acct_update(), once every child reaped before this
		 * read has been absorbed; without, these are its own */
		for (i = 0; i < AC_IO_N; i++) {
			if (m->kids)
				raise_kern(m->kids, AC_IO_FIRST + i, v[i]);
			else
				raise_to(m, AC_IO_FIRST + i, v[i]);
			m->known |= AC_BIT(AC_IO_FIRST + i);
		}
	}
}

/* The per-thread counters an AGGR_PID exit record carries. */
static void record_values(const struct ts_sample *r, uint64_t v[AC_COUNT],
			  uint64_t *mask)
{
	static const struct {
		enum acct_counter c;
		enum ts_field f;
		size_t off;
	} map[] = {
		{ AC_NVCSW, TSF_NVCSW, offsetof(struct ts_sample, nvcsw) },
		{ AC_NIVCSW, TSF_NIVCSW, offsetof(struct ts_sample, nivcsw) },
		{ AC_MINFLT, TSF_AC_MINFLT, offsetof(struct ts_sample, minflt) },
		{ AC_MAJFLT, TSF_AC_MAJFLT, offsetof(struct ts_sample, majflt) },
		{ AC_RCHAR, TSF_READ_CHAR, offsetof(struct ts_sample, read_char_bytes) },
		{ AC_WCHAR, TSF_WRITE_CHAR, offsetof(struct ts_sample, write_char_bytes) },
		{ AC_SYSCR, TSF_READ_SYSCALLS, offsetof(struct ts_sample, read_syscalls) },
		{ AC_SYSCW, TSF_WRITE_SYSCALLS, offsetof(struct ts_sample, write_syscalls) },
		{ AC_READ_BYTES, TSF_READ_BYTES, offsetof(struct ts_sample, read_bytes) },
		{ AC_WRITE_BYTES, TSF_WRITE_BYTES, offsetof(struct ts_sample, write_bytes) },
		{ AC_CANCELLED_BYTES, TSF_CANCELLED_WRITE_BYTES,
		  offsetof(struct ts_sample, cancelled_write_bytes) },
	};
	size_t i;

	memset(v, 0, sizeof(uint64_t) * AC_COUNT);
	*mask = 0;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (!ts_has(r, map[i].f))
			continue;
		v[map[i].c] = *(const uint64_t *)((const char *)r + map[i].off);
		*mask |= AC_BIT(map[i].c);
	}
}

void acct_thread_exit(struct acct_member *m, const struct ts_sample *rec)
{
	uint64_t v[AC_COUNT], mask;
	int c;

	record_values(rec, v, &mask);
	for (c = AC_THREAD_FIRST; c < AC_THREAD_FIRST + AC_THREAD_N; c++)
		if (mask & AC_BIT(c))
			m->dead[c - AC_THREAD_FIRST] += v[c];
}

void acct_sample_leader(struct acct_member *m, const struct ts_sample *leader)
{
	uint64_t v[AC_COUNT], mask;
	int c;

	/* the leader's own and its dead threads' I/O (each rounded down to
	 * 1 KiB) is a floor of the process's own, whatever its children did:
	 * /proc/PID/io less the reaped children as best known can fall below
	 * it when a child counted as reaped was not added (its reaper, gone
	 * before its SIGCHLD disposition could be read, auto-reaped it) */
	record_values(leader, v, &mask);
	for (c = AC_IO_FIRST; c < AC_IO_FIRST + AC_IO_N; c++)
		if (mask & AC_BIT(c))
			raise_to(m, c, v[c] + m->dead[c - AC_THREAD_FIRST]);
}

void acct_process_exit(struct acct_member *m, const struct ts_sample *last,
		       const struct ts_sample *tgid, bool keeps_dead)
{
	const struct ts_sample *whole = tgid ? tgid : last;
	uint64_t v[AC_COUNT], mask;
	int c;

	fold_cpu(m, whole);
	fold_delays(m, whole);
	/* Per-thread counters: the sum of all thread records is the whole
	 * life of a process born while we listened; for an older one the
	 * last sample may be larger (threads that died before it joined). */
	record_values(last, v, &mask);
	for (c = AC_THREAD_FIRST; c < AC_THREAD_FIRST + AC_THREAD_N; c++)
		if (mask & AC_BIT(c))
			raise_to(m, c, m->dead[c - AC_THREAD_FIRST]);
	if (tgid && keeps_dead && ts_has(tgid, TSF_NVCSW) &&
	    tgid->nvcsw + tgid->nivcsw > 0) {
		raise_to(m, AC_NVCSW, tgid->nvcsw);
		raise_to(m, AC_NIVCSW, tgid->nivcsw);
	}
}

/* The kernel's cumulative value of an absorbable counter: own plus
 * reaped children (for I/O, /proc/PID/io itself, or own when the process
 * was never sampled). */
static uint64_t acct_tot(const struct acct_member *m, enum acct_counter c)
{
	const struct acct_kids *x = m->kids;
	int k = acct_abs_index(c);

	if (!x)
		return m->last[c];
	if (c >= AC_IO_FIRST)
		return x->kern[k] > m->last[c] ? x->kern[k] : m->last[c];
	return m->last[c] + x->kern[k];
}

void acct_update(struct acct_member *m)
{
	struct acct_kids *x = m->kids;
	int k, i;

	if (!x)
		return;
	for (i = 0; i < AC_IO_N; i++) {
		uint64_t own = sub0(x->kern[acct_abs_index(AC_IO_FIRST + i)],
				    x->reaped_io[i]);

		if (own > m->last[AC_IO_FIRST + i])
			m->last[AC_IO_FIRST + i] = own;
	}
	for (k = 0; k < AC_ABS_N; k++) {
		enum acct_counter c = abs_counter(k);
		uint64_t v = sub0(acct_tot(m, c), x->excl[k]);
		uint64_t f = m->last[c] - m->base[c] + x->floor[k];

		if (f > v)
			v = f;
		if (v > x->all[k])
			x->all[k] = v;
	}
}

/* What c's all view counts, and what it leaves out, of counter k. */
static uint64_t all_of(const struct acct_member *c, int k)
{
	enum acct_counter ck = abs_counter(k);

	return c->kids ? c->kids->all[k] : c->last[ck] - c->base[ck];
}

static uint64_t excl_of(const struct acct_member *c, int k)
{
	return c->kids ? c->kids->excl[k] : c->base[abs_counter(k)];
}

void acct_absorb(struct acct_member *r, const struct acct_member *c, bool whole)
{
	struct acct_kids *x = kids_of(r);
	int k, i;

	if (!x)
		return;
	/* c's best known cumulative value is what its all view counts plus
	 * what it excludes: it covers children c reaped after its last
	 * sample, which its /proc values did not show yet */
	for (k = 0; k < AC_ABS_N; k++) {
		if (whole) {
			/* r's all view goes on from where the group saw it
			 * (its last results: r's values read in this read may
			 * already hold c), plus c's: the group never goes back */
			enum acct_counter rc = abs_counter(k);
			uint64_t own = r->last[rc] - r->base[rc];
			uint64_t kids = sub0(x->all[k], own);

			x->excl[k] += excl_of(c, k);
			x->floor[k] = (kids > x->floor[k] ? kids : x->floor[k]) + all_of(c, k);
		} else {
			x->excl[k] += all_of(c, k) + excl_of(c, k);
		}
	}
	for (i = 0; i < AC_IO_N; i++) {
		k = acct_abs_index(AC_IO_FIRST + i);
		x->reaped_io[i] += all_of(c, k) + excl_of(c, k);
	}
	r->known |= c->known & (AC_BIT(AC_CPU_USER_US) | AC_BIT(AC_CPU_SYS_US));
}

void acct_rebase(struct acct_member *m)
{
	struct acct_kids *x = m->kids;
	int k;

	acct_update(m);
	memcpy(m->base, m->last, sizeof(m->base));
	for (k = 0; x && k < AC_ABS_N; k++) {
		x->excl[k] += x->all[k];	/* the best known total */
		x->floor[k] = 0;
		x->all[k] = 0;
	}
}

int acct_sanitize_delays(struct ts_sample *s)
{
	/* a task's delay cannot exceed its life (summed over threads in a
	 * TGID reply); 1 s of slack for clock granularity */
	uint64_t life_ns, bound;
	int k, bad = 0;

	if (!ts_has(s, TSF_AC_ETIME) || !s->etime_us)
		return 0;
	life_ns = s->etime_us * 1000;
	bound = life_ns + 1000000000ull;
	for (k = 0; k < TS_DELAY_KINDS; k++) {
		enum ts_field f = delay_count_field[k];

		if (!ts_has(s, f) || s->delay[k].total_ns <= bound)
			continue;
		s->present[f / 64] &= ~(1ull << (f % 64));
		s->delay[k].total_ns = 0;
		s->delay[k].count = 0;
		bad++;
	}
	return bad;
}
