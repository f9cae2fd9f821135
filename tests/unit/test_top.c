/* test_top.c - top consumers: ranking, rates, pid reuse and eviction on
 * injected samples (top_feed/top_finish, no /proc), and the naming. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "top.h"

#define SEC 1000000000ull

static struct top *new_top(enum top_key key, unsigned count)
{
	struct top *t = top_new(key, count);

	assert_non_null(t);
	return t;
}

static void test_new_rejects(void **st)
{
	errno = 0;
	assert_null(top_new(TOP_IO, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(top_new(TOP_IO, TOP_COUNT_MAX + 1));
	assert_null(top_new((enum top_key)7, 3));
	assert_int_equal(top_key_parse("io"), TOP_IO);
	assert_int_equal(top_key_parse("cpu"), TOP_CPU);
	assert_int_equal(top_key_parse("delay"), TOP_DELAY);
	assert_int_equal(top_key_parse("IO"), -1);
	assert_string_equal(top_key_name(TOP_DELAY), "delay");
	top_free(NULL);
}

/* The first update has no rates; the second ranks by rate descending. */
static void test_rank_and_rates(void **st)
{
	struct top *t = new_top(TOP_IO, 2);
	const struct top_entry *r;

	assert_int_equal(top_feed(t, 10, 100, "a", 1000, 0), 0);
	assert_int_equal(top_feed(t, 11, 100, "b", 5000, 0), 0);
	assert_int_equal(top_feed(t, 12, 100, "c", 0, 0), 0);
	assert_int_equal(top_finish(t), 0);
	assert_int_equal(top_results(t, &r), 0);

	top_feed(t, 10, 100, "a", 1000 + 3000, 2 * SEC);	/* 1500/s */
	top_feed(t, 11, 100, "b", 5000 + 1000, 2 * SEC);	/*  500/s */
	top_feed(t, 12, 100, "c", 0 + 8000, 2 * SEC);		/* 4000/s */
	assert_int_equal(top_finish(t), 0);
	assert_int_equal(top_results(t, &r), 2);		/* bounded */
	assert_int_equal(r[0].pid, 12);
	assert_string_equal(r[0].comm, "c");
	assert_true(r[0].rate == 4000.0);
	assert_int_equal(r[1].pid, 10);
	assert_true(r[1].rate == 1500.0);
	assert_int_equal(top_tracked(t), 3);
	top_free(t);
}

/* Two counters: the ranking value is their sum, both parts are kept. */
static void test_two_parts(void **st)
{
	struct top *t = new_top(TOP_IO, 5);
	const struct top_entry *r;

	top_feed2(t, 7, 1, "rw", 100, 200, 0);
	top_finish(t);
	top_feed2(t, 7, 1, "rw", 300, 1200, SEC / 2);
	top_finish(t);
	assert_int_equal(top_results(t, &r), 1);
	assert_true(r[0].part[0] == 400.0);
	assert_true(r[0].part[1] == 2000.0);
	assert_true(r[0].rate == 2400.0);
	top_free(t);
}

/* Equal rates: the lower pid first, whatever the feed order; rate 0 is
 * not reported. */
static void test_ties_and_zero(void **st)
{
	struct top *t = new_top(TOP_CPU, 10);
	const struct top_entry *r;
	pid_t pids[] = { 30, 5, 17, 99 };
	size_t i;

	for (i = 0; i < 4; i++)
		top_feed(t, pids[i], 1, "x", 0, 0);
	top_finish(t);
	for (i = 0; i < 4; i++)
		top_feed(t, pids[i], 1, "x", pids[i] == 99 ? 0 : 2, SEC);
	top_finish(t);
	assert_int_equal(top_results(t, &r), 3);
	assert_int_equal(r[0].pid, 5);
	assert_int_equal(r[1].pid, 17);
	assert_int_equal(r[2].pid, 30);
	top_free(t);
}

/* Same pid, other start time: a new process, no rate at first, even if
 * its counter is far above the old one's. */
static void test_pid_reuse(void **st)
{
	struct top *t = new_top(TOP_IO, 5);
	const struct top_entry *r;

	top_feed(t, 42, 1000, "old", 10, 0);
	top_finish(t);
	top_feed(t, 42, 2000, "new", 1e9, SEC);
	top_finish(t);
	assert_int_equal(top_results(t, &r), 0);
	top_feed(t, 42, 2000, "new", 1e9 + 50, 2 * SEC);
	top_finish(t);
	assert_int_equal(top_results(t, &r), 1);
	assert_string_equal(r[0].comm, "new");
	assert_int_equal(r[0].start_ticks, 2000);
	assert_true(r[0].rate == 50.0);
	top_free(t);
}

/* A counter going down gives no rate, then rates resume from there. */
static void test_counter_reset(void **st)
{
	struct top *t = new_top(TOP_IO, 5);
	const struct top_entry *r;

	top_feed(t, 3, 1, "p", 500, 0);
	top_finish(t);
	top_feed(t, 3, 1, "p", 100, SEC);
	top_finish(t);
	assert_int_equal(top_results(t, &r), 0);
	top_feed(t, 3, 1, "p", 300, 2 * SEC);
	top_finish(t);
	assert_int_equal(top_results(t, &r), 1);
	assert_true(r[0].rate == 200.0);
	top_free(t);
}

/* Processes not fed are forgotten: a comeback is a first sample. */
static void test_eviction(void **st)
{
	struct top *t = new_top(TOP_IO, 5);
	const struct top_entry *r;

	top_feed(t, 1, 1, "stay", 0, 0);
	top_feed(t, 2, 1, "gone", 0, 0);
	top_finish(t);
	assert_int_equal(top_tracked(t), 2);
	top_feed(t, 1, 1, "stay", 10, SEC);
	top_finish(t);
	assert_int_equal(top_tracked(t), 1);
	assert_int_equal(top_results(t, &r), 1);
	assert_int_equal(r[0].pid, 1);
	top_feed(t, 1, 1, "stay", 20, 2 * SEC);
	top_feed(t, 2, 1, "gone", 1000, 2 * SEC);
	top_finish(t);
	assert_int_equal(top_results(t, &r), 1);	/* 2 has no rate */
	top_free(t);
}

/* Churn through 100k pids, 1000 alive at a time: the table follows the
 * live set, results stay bounded and correct. */
static void test_churn_bounded(void **st)
{
	struct top *t = new_top(TOP_IO, 4);
	const struct top_entry *r;
	uint64_t now = 0;
	int round, i;

	for (round = 0; round < 100; round++, now += SEC) {
		int base = 1 + (round / 2) * 1000;	/* each set lives 2 rounds */

		for (i = 0; i < 1000; i++)
			assert_int_equal(top_feed(t, base + i, 7, "w", (double)(round % 2) * i,
						  now), 0);
		assert_int_equal(top_finish(t), 0);
		assert_int_equal(top_tracked(t), 1000);
		if (round % 2) {
			assert_int_equal(top_results(t, &r), 4);
			assert_int_equal(r[0].pid, base + 999);
			assert_int_equal(r[3].pid, base + 996);
		} else {
			assert_int_equal(top_results(t, &r), 0);
		}
	}
	top_free(t);
}

/* The identifier: "<comm>-<pid>", comm sanitized, always terminated. */
static void test_entry_name(void **st)
{
	struct top_entry e = { .pid = 1234 };
	char buf[64];

	snprintf(e.comm, sizeof(e.comm), "nginx");
	top_entry_name(&e, buf, sizeof(buf));
	assert_string_equal(buf, "nginx-1234");
	snprintf(e.comm, sizeof(e.comm), "kworker/0:1H-ev");
	top_entry_name(&e, buf, sizeof(buf));
	assert_string_equal(buf, "kworker_0_1H-ev-1234");
	snprintf(e.comm, sizeof(e.comm), "a b\tc.d");
	top_entry_name(&e, buf, sizeof(buf));
	assert_string_equal(buf, "a_b_c.d-1234");
	e.comm[0] = '\0';
	top_entry_name(&e, buf, sizeof(buf));
	assert_string_equal(buf, "_-1234");
	snprintf(e.comm, sizeof(e.comm), "nginx");
	top_entry_name(&e, buf, 4);
	assert_string_equal(buf, "ngi");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_rejects),
		cmocka_unit_test(test_rank_and_rates),
		cmocka_unit_test(test_two_parts),
		cmocka_unit_test(test_ties_and_zero),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_counter_reset),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_churn_bounded),
		cmocka_unit_test(test_entry_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
