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
}
