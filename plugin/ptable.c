/* ptable.c - hash table and list of member process instances. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "ptable.h"

int ptable_init(struct ptable *t, size_t nbuckets)
{
	t->bucket = calloc(nbuckets, sizeof(*t->bucket));
	if (!t->bucket)
		return -ENOMEM;
	t->nbuckets = nbuckets;
	t->count = 0;
	t->pinned = 0;
	t->pin_budget = SIZE_MAX;
	t->ended = NULL;
	t->ended_cap = t->ended_n = 0;
	t->head.next = t->head.prev = &t->head;
	return 0;
}

static size_t slot(const struct ptable *t, pid_t tgid)
{
	return (size_t)tgid % t->nbuckets;
}

struct member *ptable_add(struct ptable *t, pid_t tgid, uint64_t start_ns)
{
	struct member *m = calloc(1, sizeof(*m));
	size_t s;

	if (!m)
		return NULL;
	m->tgid = tgid;
	m->start_ns = start_ns;
	m->pin.stat_fd = m->pin.io_fd = -1;
	acct_init(&m->acct);
	s = slot(t, tgid);
	m->next_hash = t->bucket[s];
	t->bucket[s] = m;
	m->next = &t->head;
	m->prev = t->head.prev;
	t->head.prev->next = m;
	t->head.prev = m;
	t->count++;
	return m;
}

void ptable_remove(struct ptable *t, struct member *m)
{
	struct member **pp = &t->bucket[slot(t, m->tgid)];

	while (*pp && *pp != m)
		pp = &(*pp)->next_hash;
	if (*pp)
		*pp = m->next_hash;
	m->prev->next = m->next;
	m->next->prev = m->prev;
	if (m->pin.stat_fd >= 0)
		t->pinned--;
	proc_pin_close(&m->pin);
	acct_free(&m->acct);
	t->count--;
	free(m);
}

struct member *ptable_find(const struct ptable *t, pid_t tgid,
			   uint64_t start_ns, uint64_t tol_ns)
{
	struct member *m, *best = NULL;
	uint64_t best_d = UINT64_MAX;

	for (m = t->bucket[slot(t, tgid)]; m; m = m->next_hash) {
		uint64_t d;

		if (m->tgid != tgid || m->gone)
			continue;
		if (!start_ns)
			return m;
		d = m->start_ns > start_ns ? m->start_ns - start_ns
					   : start_ns - m->start_ns;
		if (d <= tol_ns && d < best_d) {
			best = m;
			best_d = d;
		}
	}
	return best;
}

struct member *ptable_find_before(const struct ptable *t, pid_t tgid,
				  uint64_t start_max)
{
	struct member *m, *best = NULL;

	for (m = t->bucket[slot(t, tgid)]; m; m = m->next_hash)
		if (m->tgid == tgid && m->start_ns <= start_max &&
		    (!best || m->start_ns > best->start_ns))
			best = m;
	return best;
}

void ptable_destroy(struct ptable *t)
{
	struct member *m, *tmp;

	if (!t->bucket)
		return;
	ptable_for_each(t, m, tmp)
		ptable_remove(t, m);
	free(t->bucket);
	t->bucket = NULL;
	free(t->ended);
	t->ended = NULL;
}

static bool ended_fresh(const struct ptable_ended *x, uint32_t read)
{
	return x->tgid && x->read + 1 >= read;
}

static void ended_put(struct ptable_ended *tab, size_t cap,
		      const struct ptable_ended *x)
{
	size_t i = (size_t)x->tgid & (cap - 1);

	while (tab[i].tgid)
		i = (i + 1) & (cap - 1);
	tab[i] = *x;
}

/* Keep the entries of the last two reads, in a table at most half full. */
static int ended_rehash(struct ptable *t, uint32_t read)
{
	size_t live = 0, cap, i;
	struct ptable_ended *tab;

	for (i = 0; i < t->ended_cap; i++)
		live += ended_fresh(&t->ended[i], read);
	for (cap = 256; cap < 4 * (live + 1); cap *= 2)
		;
	tab = calloc(cap, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (i = 0; i < t->ended_cap; i++)
		if (ended_fresh(&t->ended[i], read))
			ended_put(tab, cap, &t->ended[i]);
	free(t->ended);
	t->ended = tab;
	t->ended_cap = cap;
	t->ended_n = live;
	return 0;
}

void ptable_remember_end(struct ptable *t, pid_t tgid, uint64_t lo_ns,
			 uint64_t hi_ns, uint32_t read)
{
	struct ptable_ended x = { .tgid = tgid, .read = read,
				  .lo_ns = lo_ns, .hi_ns = hi_ns };

	if (tgid <= 0)
		return;
	if (2 * (t->ended_n + 1) > t->ended_cap && ended_rehash(t, read))
		return;
	ended_put(t->ended, t->ended_cap, &x);
	t->ended_n++;
}

bool ptable_ended_lately(const struct ptable *t, pid_t tgid, uint64_t start_ns,
			 uint64_t tol_ns, uint32_t read)
{
	size_t i;

	if (!t->ended_cap)
		return false;
	for (i = (size_t)tgid & (t->ended_cap - 1); t->ended[i].tgid;
	     i = (i + 1) & (t->ended_cap - 1)) {
		const struct ptable_ended *x = &t->ended[i];

		if (x->tgid == tgid && ended_fresh(x, read) &&
		    start_ns + tol_ns >= x->lo_ns && start_ns <= x->hi_ns + tol_ns)
			return true;
	}
	return false;
}
