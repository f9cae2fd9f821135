/* test_account.c - per-member accounting on taskstats replies built with
 * libmnl: both kinds of kernel (TGID replies that keep exited threads' CPU
 * time and context switches, and older ones that drop them), CPU split,
 * child I/O, and the process table's PID-reuse rule. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "account.h"
#include "ptable.h"
#include "ts_codec.h"
#include "ts_msgs.h"

/* A TGID reply: CPU total (ms), utime (ms), voluntary switches. */
static struct ts_sample tgid_reply(uint64_t cpu_ms, uint64_t utime_ms,
				   uint64_t nvcsw)
{
	char buf[2048], p[560];
	const struct field f[] = {
		{ O_VERSION, 2, 16 }, { O_CPU_RUN_VIRTUAL, 8, cpu_ms * 1000000 },
		{ O_UTIME, 8, utime_ms * 1000 }, { O_NVCSW, 8, nvcsw },
	};

	put_stats(p, f, 4);
	build(buf, T_AGGR_TGID, 100, p, 0, 0, NULL);
	return parse(buf).tgid_stats;
}

/* An exit record of thread pid of process 100. */
static struct ts_msg exit_record(uint32_t pid, uint64_t cpu_ms, uint64_t utime_ms,
				 uint64_t nvcsw, uint64_t wchar, bool group_dead,
				 const char *tgid_payload)
{
	char buf[4096], p[560];
	const struct field f[] = {
		{ O_VERSION, 2, 16 }, { O_FLAG, 1, group_dead ? TS_AGROUP : 0 },
		{ O_CPU_RUN_VIRTUAL, 8, cpu_ms * 1000000 },
		{ O_UTIME, 8, utime_ms * 1000 }, { O_NVCSW, 8, nvcsw },
		{ O_PID, 4, pid }, { O_TGID, 4, 100 }, { O_PPID, 4, 1 },
		{ O_WCHAR, 8, wchar },
	};

	put_stats(p, f, 9);
	build(buf, T_AGGR_PID, pid, p, T_AGGR_TGID, 100, tgid_payload);
	return parse(buf);
}

/* The same life of a two-thread process seen by both kinds of kernel:
 * thread 101 burns 300 ms and switches 10 times, then exits; the main
 * thread goes on, then the process exits.  The totals must be the same,
 * with no double counting and no loss. */
static void two_thread_life(bool keeps_dead)
{
	struct acct_member m;
	struct ts_msg rec;
	char tgid_final[560];

	acct_init(&m);
	/* both threads alive: 400 ms, 15 switches */
	acct_sample_tgid(&m, &(struct ts_sample){ 0 }, keeps_dead);
	{
		struct ts_sample s = tgid_reply(400, 400, 15);

		acct_sample_tgid(&m, &s, keeps_dead);
	}
	assert_int_equal(m.last[AC_CPU_USER_US] + m.last[AC_CPU_SYS_US], 400000);
	assert_int_equal(m.last[AC_NVCSW], 15);

	rec = exit_record(101, 300, 300, 10, 4096, false, NULL);
	acct_thread_exit(&m, &rec.pid_stats);
	{
		/* after the thread exit: the new kernel keeps its utime and
		 * switches in the TGID reply, the old one drops them (but keeps
		 * the delay block, whose cpu_run_virtual_total we use) */
		struct ts_sample s = keeps_dead ? tgid_reply(410, 410, 16)
						: tgid_reply(410, 110, 6);

		acct_sample_tgid(&m, &s, keeps_dead);
	}
	assert_int_equal(m.last[AC_CPU_USER_US] + m.last[AC_CPU_SYS_US], 410000);
	assert_int_equal(m.last[AC_NVCSW], 16);

	/* the process exits: the last thread's record carries AGGR_TGID too;
	 * before 2026 that aggregate had only the delay block (and version 0) */
	{
		const struct field full[] = {
			{ O_VERSION, 2, 16 }, { O_CPU_RUN_VIRTUAL, 8, 420000000 },
			{ O_UTIME, 8, 420000 }, { O_NVCSW, 8, 17 },
		};
		const struct field old[] = {
			{ O_VERSION, 2, 0 }, { O_CPU_RUN_VIRTUAL, 8, 420000000 },
		};

		if (keeps_dead)
			put_stats(tgid_final, full, 4);
		else
			put_stats(tgid_final, old, 2);
	}
	rec = exit_record(100, 120, 120, 7, 1024, true, tgid_final);
	assert_true(rec.has_tgid);
	acct_thread_exit(&m, &rec.pid_stats);
	acct_process_exit(&m, &rec.pid_stats, &rec.tgid_stats, keeps_dead);
	assert_int_equal(m.last[AC_CPU_USER_US] + m.last[AC_CPU_SYS_US], 420000);
	assert_int_equal(m.last[AC_NVCSW], 17);
	/* per-thread I/O: the sum of both threads' records */
	assert_int_equal(m.last[AC_WCHAR], 4096 + 1024);
}

static void test_kernel_keeps_dead_threads(void **state)
{
	two_thread_life(true);
}

static void test_kernel_drops_dead_threads(void **state)
{
	two_thread_life(false);
}

static void test_counters_never_go_back(void **state)
{
	struct acct_member m;
	struct ts_sample a = tgid_reply(500, 500, 50), b = tgid_reply(300, 300, 20);

	acct_init(&m);
	acct_sample_tgid(&m, &a, true);
	acct_sample_tgid(&m, &b, true);	/* a kernel that went backwards */
	assert_int_equal(m.last[AC_CPU_USER_US], 500000);
	assert_int_equal(m.last[AC_NVCSW], 50);
}

static void test_cpu_split_monotonic(void **state)
{
	uint64_t pu = 0, ps = 0, total = 0, u, s;
	unsigned seed = 1;
	int i;

	for (i = 0; i < 10000; i++) {
		/* total grows; the tick-sampled ratio jumps around */
		total += (uint64_t)(rand_r(&seed) % 5000);
		acct_cpu_split(total, (uint64_t)(rand_r(&seed) % 1000),
			       (uint64_t)(rand_r(&seed) % 1000), pu, ps, &u, &s);
		assert_true(u >= pu);
		assert_true(s >= ps);
		assert_int_equal(u + s, total);
		pu = u;
		ps = s;
	}
	acct_cpu_split(1000, 0, 0, 0, 0, &u, &s);
	assert_int_equal(u, 1000);	/* no tick yet: user time */
	acct_cpu_split(1000, 1, 3, 0, 0, &u, &s);
	assert_int_equal(s, 750);
}

static void test_joining_process_starts_at_zero(void **state)
{
	struct acct_member m;
	struct ts_sample a = tgid_reply(5000, 5000, 100), b = tgid_reply(5100, 5100, 101);

	acct_init(&m);
	acct_sample_tgid(&m, &a, true);
	acct_rebase(&m);	/* a long-running process joins: no spike */
	assert_int_equal(acct_contrib(&m, AC_CPU_USER_US), 0);
	acct_sample_tgid(&m, &b, true);
	assert_int_equal(acct_contrib(&m, AC_CPU_USER_US), 100000);
	assert_int_equal(acct_contrib(&m, AC_NVCSW), 1);
}

/* The all view (groups with Children) of a member, after an update. */
static uint64_t all_view(struct acct_member *m, enum acct_counter c)
{
	acct_update(m);
	return acct_contrib_view(m, c, true);
}

static void test_reaped_child_io_not_counted_twice(void **state)
{
	struct acct_member parent, child;
	struct proc_io_vals io = { .wchar = 1000 };
	struct ts_msg rec = exit_record(200, 5, 5, 1, 9216, true, NULL);

	acct_init(&parent);
	acct_init(&child);
	acct_sample_proc(&parent, NULL, &io);
	acct_update(&parent);		/* the read's results */
	/* a member child wrote 10000 bytes (its record says 9216, KiB-masked) */
	acct_thread_exit(&child, &rec.pid_stats);
	acct_process_exit(&child, &rec.pid_stats, NULL, true);
	acct_update(&child);
	acct_absorb(&parent, &child, true);
	/* a zombie: not yet reaped, the record's value counts meanwhile */
	assert_int_equal(all_view(&parent, AC_WCHAR), 1000 + 9216);
	/* reaping adds the child's exact I/O to the parent's /proc io: the
	 * child counts through its reaper, exactly */
	io.wchar = 1000 + 10000;
	acct_sample_proc(&parent, NULL, &io);
	assert_int_equal(all_view(&parent, AC_WCHAR), 11000);
	/* the own view (groups without Children) is the parent's alone, to
	 * within what the child's KiB-masked record left out */
	assert_true(acct_contrib(&parent, AC_WCHAR) >= 1000);
	assert_true(acct_contrib(&parent, AC_WCHAR) < 1000 + 1024);
	acct_free(&parent);
	acct_free(&child);
}

/* parent -> child -> grandchild, all members: the grandchild's 64 MiB
 * reach the grandparent through the child's reaping; counted once. */
static void test_grandchild_io_counted_once(void **state)
{
	const uint64_t mib = 1 << 20;
	struct acct_member p, c, g;
	struct proc_io_vals io;

	acct_init(&p);
	acct_init(&c);
	acct_init(&g);
	io = (struct proc_io_vals){ .wchar = 64 * mib };
	acct_sample_proc(&g, NULL, &io);		/* sampled alive */
	acct_update(&g);
	acct_absorb(&c, &g, true);			/* g exits, c reaps */
	io = (struct proc_io_vals){ .wchar = 1 * mib + 64 * mib };
	acct_sample_proc(&c, NULL, &io);		/* c's /proc io */
	assert_int_equal(all_view(&c, AC_WCHAR), 65 * mib);
	assert_int_equal(acct_contrib(&c, AC_WCHAR), 1 * mib);
	acct_absorb(&p, &c, true);			/* c exits, p reaps */
	io = (struct proc_io_vals){ .wchar = 65 * mib };
	acct_sample_proc(&p, NULL, &io);
	/* the group: only p is left, and it holds the whole tree once */
	assert_int_equal(all_view(&p, AC_WCHAR), 65 * mib);
	assert_int_equal(acct_contrib(&p, AC_WCHAR), 0);
	acct_free(&p);
	acct_free(&c);
	acct_free(&g);
}

/* Exec churn: the children's records carry ~10% of their CPU (the exit
 * path runs after the record); the reaper's cumulative children time has
 * all of it, in clock ticks.  Counted from the latter, never below the
 * records meanwhile. */
static void test_children_cpu_from_the_reaper(void **state)
{
	struct acct_member r, c;
	struct proc_stat_vals st = { 0 };
	struct ts_sample own = tgid_reply(100, 100, 0);
	int i;

	acct_init(&r);
	acct_sample_tgid(&r, &own, true);
	for (i = 0; i < 1000; i++) {
		struct ts_msg rec = exit_record(300 + i, 0, 0, 1, 0, true, NULL);

		/* 55 us of its 550 in the record */
		rec.pid_stats.cpu_run_virtual_ns = 55000;
		acct_init(&c);
		acct_thread_exit(&c, &rec.pid_stats);
		acct_process_exit(&c, &rec.pid_stats, NULL, true);
		acct_update(&c);
		acct_absorb(&r, &c, true);
	}
	/* not yet reaped in the kernel's view (or below one tick): the
	 * records' sum */
	assert_int_equal(all_view(&r, AC_CPU_USER_US) + all_view(&r, AC_CPU_SYS_US),
			 100000 + 55000);
	/* reaped: 1000 x 550 us = 0.55 s of children time, in 10 ms ticks */
	st.cutime_ticks = 40 * procfs_hz() / 100;
	st.cstime_ticks = 15 * procfs_hz() / 100;
	acct_sample_proc(&r, &st, NULL);
	assert_int_equal(all_view(&r, AC_CPU_USER_US) + all_view(&r, AC_CPU_SYS_US),
			 100000 + 550000);
	assert_int_equal(acct_contrib(&r, AC_CPU_USER_US) + acct_contrib(&r, AC_CPU_SYS_US),
			 100000);
	acct_free(&r);
}

/* A child that existed before its parent joined: only what it did after
 * it joined counts, though the reaper's cumulative values get all of it. */
static void test_absorbed_child_counts_from_its_join(void **state)
{
	struct acct_member r, c;
	struct proc_io_vals io = { .wchar = 500 };

	acct_init(&r);
	acct_init(&c);
	acct_sample_proc(&r, NULL, &io);
	acct_rebase(&r);			/* r joined with 500 written */
	io.wchar = 7000;
	acct_sample_proc(&c, NULL, &io);
	acct_rebase(&c);			/* c joined with 7000 written */
	io.wchar = 9000;
	acct_sample_proc(&c, NULL, &io);	/* 2000 more */
	acct_update(&c);
	acct_absorb(&r, &c, true);
	io.wchar = 500 + 9000;
	acct_sample_proc(&r, NULL, &io);
	assert_int_equal(all_view(&r, AC_WCHAR), 2000);
	acct_free(&r);
	acct_free(&c);
}

/* A child the all view must not count (not in all of the reaper's
 * Children groups): taken out of the reaper's cumulative values whole. */
static void test_excluded_child(void **state)
{
	struct acct_member r, c;
	struct proc_io_vals io = { .wchar = 100 };

	acct_init(&r);
	acct_init(&c);
	acct_sample_proc(&r, NULL, &io);
	io.wchar = 4000;
	acct_sample_proc(&c, NULL, &io);
	acct_update(&c);
	acct_absorb(&r, &c, false);
	io.wchar = 4100;
	acct_sample_proc(&r, NULL, &io);
	assert_int_equal(all_view(&r, AC_WCHAR), 100);
	assert_int_equal(acct_contrib(&r, AC_WCHAR), 100);
	acct_free(&r);
	acct_free(&c);
}

static void test_impossible_delays_rejected(void **state)
{
	struct ts_sample s = tgid_reply(10, 10, 1);

	s.present[TSF_AC_ETIME / 64] |= 1ull << (TSF_AC_ETIME % 64);
	s.present[TSF_BLKIO_COUNT / 64] |= 1ull << (TSF_BLKIO_COUNT % 64);
	s.present[TSF_CPU_COUNT / 64] |= 1ull << (TSF_CPU_COUNT % 64);
	s.etime_us = 10000;				/* lived 10 ms */
	s.delay[TS_DELAY_BLKIO].count = 3;
	s.delay[TS_DELAY_BLKIO].total_ns = 500000000000ull;	/* 500 s */
	s.delay[TS_DELAY_CPU].count = 2;
	s.delay[TS_DELAY_CPU].total_ns = 2000000;	/* 2 ms: fine */
	assert_int_equal(acct_sanitize_delays(&s), 1);
	assert_false(ts_has(&s, TSF_BLKIO_COUNT));
	assert_true(ts_has(&s, TSF_CPU_COUNT));
	assert_int_equal(s.delay[TS_DELAY_CPU].total_ns, 2000000);
}

static void test_sigchld_ignored_parse(void **state)
{
	const char ign[] = "Name:\tx\nSigBlk:\t0000000000000000\n"
			   "SigIgn:\t0000000000010000\nSigCgt:\t0\n";
	const char dfl[] = "SigIgn:\t0000000000001000\n";

	assert_int_equal(procfs_parse_sigchld_ignored(ign, sizeof(ign) - 1), 1);
	assert_int_equal(procfs_parse_sigchld_ignored(dfl, sizeof(dfl) - 1), 0);
	assert_int_equal(procfs_parse_sigchld_ignored("Name:\tx\n", 8), -EPROTO);
}

static void test_pid_reuse_keeps_instances_apart(void **state)
{
	const uint64_t s1 = 1000000000ull, s2 = 50000000000ull, tol = 20000000ull;
	struct ptable t;
	struct member *a, *b;

	assert_int_equal(ptable_init(&t, 16), 0);
	a = ptable_add(&t, 4242, s1);
	b = ptable_add(&t, 4242, s2);	/* the PID was recycled */
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_equal(ptable_find(&t, 4242, s1, tol), a);
	assert_ptr_equal(ptable_find(&t, 4242, s2, tol), b);
	assert_null(ptable_find(&t, 4242, s1 + 5 * tol, tol));
	/* an exit record of the old instance (start known) finds the old one */
	assert_ptr_equal(ptable_find(&t, 4242, s1 + tol / 2, tol), a);
	a->gone = true;
	assert_ptr_equal(ptable_find(&t, 4242, 0, 0), b);
	assert_null(ptable_find(&t, 4242, s1, tol));
	ptable_remove(&t, a);
	assert_int_equal(t.count, 1);
	ptable_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_keeps_dead_threads),
		cmocka_unit_test(test_kernel_drops_dead_threads),
		cmocka_unit_test(test_counters_never_go_back),
		cmocka_unit_test(test_cpu_split_monotonic),
		cmocka_unit_test(test_joining_process_starts_at_zero),
		cmocka_unit_test(test_reaped_child_io_not_counted_twice),
		cmocka_unit_test(test_grandchild_io_counted_once),
		cmocka_unit_test(test_children_cpu_from_the_reaper),
		cmocka_unit_test(test_absorbed_child_counts_from_its_join),
		cmocka_unit_test(test_excluded_child),
		cmocka_unit_test(test_impossible_delays_rejected),
		cmocka_unit_test(test_sigchld_ignored_parse),
		cmocka_unit_test(test_pid_reuse_keeps_instances_apart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
