/* test_membership.c - the membership and counting rules on real processes
 * and the real kernel (root: taskstats), with proc connector events and
 * exit records built with libmnl where a case cannot be staged for real:
 * a fork event naming a recycled PID, impossible delay totals, a record
 * read long after it was queued.  Each test runs its own engine. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "engine_int.h"
#include "procfs.h"
#include "ts_msgs.h"

static char self_exe[256];
static int done_pipe[2];
static int run_id;		/* the test's pid: the same in its children */	/* a child writes a byte when its work is done */

/* "tNNNNN-tag": names unique to this run (15 characters at most) */
static const char *nm(const char *tag)
{
	static char buf[8][16];
	static int i;
	char *b = buf[i++ % 8];

	snprintf(b, 16, "t%05d-%s", run_id % 100000, tag);
	return b;
}
static pid_t kids[16];
static int nkids;

/* after each test, whatever it left running (a failed assertion skips
 * its own clean-up) */
static int kill_kids(void **state)
{
	while (nkids > 0) {
		pid_t p = kids[--nkids];

		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
	}
	return 0;
}

static pid_t track(pid_t p)
{
	if (p > 0 && nkids < 16)
		kids[nkids++] = p;
	return p;
}

/* ---- processes of known behaviour ---- */

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void burn_ms(long ms)
{
	double end = cpu_now() + (double)ms / 1000.0;
	volatile unsigned long x = 0;

	while (cpu_now() < end)
		x++;
}

/* fork a process named comm that runs fn (or pauses) */
static pid_t spawn(const char *comm, void (*fn)(void))
{
	pid_t p = track(fork());

	assert_true(p >= 0);
	if (p == 0) {
		prctl(PR_SET_NAME, comm);
		if (fn)
			fn();
		for (;;)
			pause();
	}
	return p;
}

static void reap(pid_t p)
{
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* When pid started, in CLOCK_BOOTTIME ns (/proc/PID/stat field 22). */
static uint64_t start_boot_ns(pid_t pid)
{
	struct proc_stat_vals st;

	assert_int_equal(proc_read_path(pid, &st, NULL), 0);
	return st.start_ticks * (1000000000ull / (uint64_t)procfs_hz());
}

/* ---- an engine with one group ---- */

static struct engine *engine_with(const char *name, const char *comm,
				  pid_t pid, bool children)
{
	struct engine_options o;
	struct engine *e;
	struct selset *s = selset_new();
	char err[128];

	engine_options_default(&o);
	e = engine_new(&o);
	assert_non_null(e);
	if (comm)
		assert_int_equal(selset_add_comm(s, comm, err, sizeof(err)), 0);
	if (pid)
		assert_int_equal(selset_add_pid(s, pid, err, sizeof(err)), 0);
	assert_int_equal(engine_add_group(e, name, s, children), 0);
	assert_int_equal(engine_start(e), 0);
	return e;
}

static const struct group_result *res(struct engine *e)
{
	return engine_result(e, 0);
}

static uint64_t cpu_us(struct engine *e)
{
	return res(e)->counters[AC_CPU_USER_US] + res(e)->counters[AC_CPU_SYS_US];
}

static void reads(struct engine *e, int n, long gap_ms)
{
	while (n-- > 0) {
		assert_int_equal(engine_read(e), 0);
		if (gap_ms)
			msleep(gap_ms);
	}
}

/* ---- proc connector events, built with libmnl ---- */

static void inject_fork(struct engine *e, pid_t parent, pid_t child,
			uint64_t ts_mono)
{
	uint64_t buf[32];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct cn_msg *cn;
	struct proc_event ev;

	nlh->nlmsg_type = NLMSG_DONE;
	cn = mnl_nlmsg_put_extra_header(nlh, sizeof(*cn) + sizeof(ev));
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->len = sizeof(ev);
	memset(&ev, 0, sizeof(ev));
	ev.what = PROC_EVENT_FORK;
	ev.timestamp_ns = ts_mono;
	ev.event_data.fork.parent_pid = parent;
	ev.event_data.fork.parent_tgid = parent;
	ev.event_data.fork.child_pid = child;
	ev.event_data.fork.child_tgid = child;
	memcpy(cn->data, &ev, sizeof(ev));	/* at offset 36: unaligned */
	assert_int_equal(cn_parse_datagram(buf, nlh->nlmsg_len,
					   membership_handle_event, e), 1);
}

/* An exit record of single-threaded process pid (group dead). */
static struct ts_msg exit_record_of(pid_t pid, uint64_t age_us, uint64_t etime_us,
				    uint64_t blkio_count, uint64_t blkio_ns)
{
	char buf[2048], p[560];
	const struct field f[] = {
		{ O_VERSION, 2, 16 }, { O_FLAG, 1, TS_AGROUP },
		{ O_PID, 4, (uint64_t)pid }, { O_TGID, 4, (uint64_t)pid },
		{ O_PPID, 4, 1 }, { O_ETIME, 8, etime_us },
		{ O_TGETIME, 8, age_us }, { O_BLKIO_COUNT, 8, blkio_count },
		{ O_BLKIO_DELAY, 8, blkio_ns },
	};

	put_stats(p, f, sizeof(f) / sizeof(f[0]));
	build(buf, T_AGGR_PID, (uint32_t)pid, p, 0, 0, NULL);
	return parse(buf);
}

/* ---- the cases ---- */

static void churn_fast(void)
{
	int i;

	for (i = 0; i < 200; i++) {
		pid_t c = fork();

		if (c == 0)
			_exit(0);
		waitpid(c, NULL, 0);
		msleep(1);
	}
	if (write(done_pipe[1], "x", 1) != 1)
		_exit(1);
}

/* Children that fork and exit between the drain of events and the
 * drain of records, read after read: each is started and exited once. */
static void test_short_children_counted_once(void **state)
{
	struct engine *e = engine_with("g", nm("churn"), 0, true);
	struct timespec zero = { 0, 0 };
	pid_t p;
	char c;

	assert_int_equal(pipe(done_pipe), 0);
	p = spawn(nm("churn"), churn_fast);
	/* read all the time, so that forks and exits fall between the
	 * drains of events and of records */
	for (;;) {
		fd_set r;

		assert_int_equal(engine_read(e), 0);
		FD_ZERO(&r);
		FD_SET(done_pipe[0], &r);
		if (pselect(done_pipe[0] + 1, &r, NULL, NULL, &zero, NULL) > 0)
			break;
		usleep(500);
	}
	assert_int_equal(read(done_pipe[0], &c, 1), 1);
	close(done_pipe[0]);
	close(done_pipe[1]);
	reads(e, 3, 20);
	printf("# started %llu exited %llu unrecorded %llu lost %llu\n",
	       (unsigned long long)res(e)->started, (unsigned long long)res(e)->exited,
	       (unsigned long long)engine_stats(e)->exits_unrecorded,
	       (unsigned long long)engine_stats(e)->exit_records_lost);
	assert_int_equal(res(e)->started, 201);
	assert_int_equal(res(e)->exited, 200);
	assert_int_equal(engine_stats(e)->exits_unrecorded, 0);
	reap(p);
	engine_free(e);
}

static void pause_forever(void)
{
	for (;;)
		pause();
}

/* A fork event naming a PID whose process started long before the fork
 * (the PID was reused): it is not the child. */
static void test_fork_of_a_recycled_pid(void **state)
{
	pid_t other = spawn(nm("other"), pause_forever);
	struct engine *e;
	pid_t p;
	uint64_t boot_minus_mono;

	msleep(300);
	e = engine_with("g", nm("reuse"), 0, true);
	p = spawn(nm("reuse"), pause_forever);
	reads(e, 2, 20);
	assert_int_equal(res(e)->processes, 1);
	inject_fork(e, p, other, mono_ns());		/* "forked now" */
	reads(e, 1, 0);
	assert_int_equal(res(e)->processes, 1);
	/* the same event with the time the process really started joins it */
	boot_minus_mono = procfs_boottime_ns() - mono_ns();
	inject_fork(e, p, other, start_boot_ns(other) - boot_minus_mono);
	reads(e, 1, 0);
	assert_int_equal(res(e)->processes, 2);
	reap(p);
	reap(other);
	engine_free(e);
}

static void make_zombie(void)
{
	if (fork() == 0)
		_exit(0);
	/* never reaped while we live */
}

/* A zombie seen by later scans is not a member again: one exit. */
static void test_zombie_not_rejoined(void **state)
{
	struct engine *e = engine_with("g", nm("zombie"), 0, true);
	pid_t p = spawn(nm("zombie"), make_zombie);
	int i;

	msleep(50);
	for (i = 0; i < 3; i++) {
		e->need_reconcile = true;
		reads(e, 1, 20);
	}
	assert_int_equal(res(e)->started, 2);
	assert_int_equal(res(e)->exited, 1);
	assert_int_equal(res(e)->processes, 1);
	reap(p);
	engine_free(e);
}

/* Out of descriptors: /proc cannot be opened, but the member runs on. */
static void test_emfile_does_not_end_a_member(void **state)
{
	struct engine *e = engine_with("g", nm("emfile"), 0, false);
	struct rlimit old, low;
	pid_t p;
	int fd;

	e->table.pin_budget = 0;	/* read by path: needs a descriptor */
	p = spawn(nm("emfile"), pause_forever);
	reads(e, 2, 20);
	assert_int_equal(res(e)->processes, 1);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	fd = dup(0);			/* the lowest free descriptor */
	close(fd);
	low = old;
	low.rlim_cur = (rlim_t)fd;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	reads(e, 12, 20);	/* an idle member's /proc is read every 10th */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_true(engine_stats(e)->proc_errors > 0);
	assert_int_equal(res(e)->exited, 0);
	reads(e, 1, 0);
	assert_int_equal(res(e)->processes, 1);
	reap(p);
	engine_free(e);
}

static void children_of_50ms(void)
{
	int i;

	for (i = 0; i < 10; i++) {
		pid_t c = fork();

		if (c == 0) {
			burn_ms(50);
			_exit(0);
		}
		waitpid(c, NULL, 0);
	}
}

/* A Pid group without Children counts the process, not its children,
 * even those gone before their fork event is read. */
static void test_pid_group_without_children(void **state)
{
	struct engine *e;
	pid_t p;
	int i;

	assert_int_equal(pipe(done_pipe), 0);
	p = track(fork());
	if (p == 0) {
		prctl(PR_SET_NAME, nm("single"));
		msleep(300);		/* the engine starts meanwhile */
		children_of_50ms();
		if (write(done_pipe[1], "x", 1) != 1)
			_exit(1);
		pause_forever();
	}
	msleep(50);	/* it started before the engine, by more than a tick */
	e = engine_with("g", NULL, p, false);
	/* read until its children are done (longer on a busy host) */
	for (i = 0; i < 1000; i++) {
		struct timespec zero = { 0, 0 };
		fd_set r;

		reads(e, 1, 20);
		FD_ZERO(&r);
		FD_SET(done_pipe[0], &r);
		if (pselect(done_pipe[0] + 1, &r, NULL, NULL, &zero, NULL) > 0)
			break;
	}
	reads(e, 2, 20);
	close(done_pipe[0]);
	close(done_pipe[1]);
	assert_int_equal(res(e)->started, 0);
	assert_int_equal(res(e)->processes, 1);
	assert_true(cpu_us(e) < 100000);	/* its children burned 500 ms */
	reap(p);
	engine_free(e);
}

/* A process that ran 300 ms as another program, then exec'd into the
 * group, brings none of that CPU time with it. */
static void test_exec_into_a_group(void **state)
{
	char link[64];
	struct engine *e;
	pid_t x;

	snprintf(link, sizeof(link), "/tmp/tsm-idle%d", (int)getpid());
	unlink(link);
	assert_int_equal(symlink(self_exe, link), 0);
	/* comm after exec is the name of the link */
	e = engine_with("g", strrchr(link, '/') + 1, 0, false);
	x = track(fork());
	if (x == 0) {
		prctl(PR_SET_NAME, nm("burn"));
		burn_ms(300);
		execl(link, link, "idle", (char *)NULL);
		_exit(127);
	}
	/* until it has exec'd (300 ms of CPU take longer on a busy host) */
	{
		char path[64], comm[32] = "";
		int i;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)x);
		for (i = 0; i < 200 && strncmp(comm, strrchr(link, '/') + 1, 12); i++) {
			FILE *f = fopen(path, "r");

			msleep(50);
			if (f) {
				if (!fgets(comm, sizeof(comm), f))
					comm[0] = '\0';
				fclose(f);
			}
		}
	}
	msleep(100);
	reads(e, 3, 50);
	printf("# exec'd into the group: cpu %llu us, started %llu\n",
	       (unsigned long long)cpu_us(e), (unsigned long long)res(e)->started);
	assert_int_equal(res(e)->processes, 1);
	assert_int_equal(res(e)->started, 1);
	assert_true(cpu_us(e) < 50000);
	reap(x);
	unlink(link);
	engine_free(e);
}

static void burn_200(void)
{
	burn_ms(200);
}

/* Joined at a scan, killed before its first sample: what it did before
 * it joined is not the group's. */
static void test_end_before_first_sample(void **state)
{
	pid_t x = spawn(nm("early"), burn_200);
	struct engine *e;

	msleep(400);
	e = engine_with("g", nm("early"), 0, false);
	assert_int_equal(membership_reconcile(e), 0);	/* joins x */
	reap(x);
	reads(e, 2, 20);
	assert_int_equal(res(e)->exited, 1);
	assert_int_equal(cpu_us(e), 0);
	engine_free(e);
}

/* An exit record whose block I/O delay is longer than the task lived. */
static void test_impossible_delay_dropped(void **state)
{
	struct engine *e;
	struct ts_msg rec;
	pid_t p = spawn(nm("delay"), pause_forever);
	uint64_t age;

	msleep(100);
	e = engine_with("g", nm("delay"), 0, false);
	reads(e, 2, 20);
	assert_int_equal(res(e)->processes, 1);
	age = (procfs_boottime_ns() - start_boot_ns(p)) / 1000;
	rec = exit_record_of(p, age, 10000, 3, 500000000000ull);
	engine_handle_exit_record(e, &rec);
	reads(e, 1, 0);
	assert_int_equal(engine_stats(e)->delays_rejected, 1);
	assert_int_equal(res(e)->exited, 1);
	assert_int_equal(res(e)->counters[AC_DELAY_NS + TS_DELAY_BLKIO], 0);
	reap(p);
	engine_free(e);
}

/* A record read long after the previous drain (a read that ran long, a
 * stopped daemon) still finds its member; one that says the process
 * started earlier than that drain allows does not. */
static void test_record_read_late(void **state)
{
	struct engine *e;
	struct ts_msg rec;
	pid_t p = spawn(nm("late"), pause_forever);
	uint64_t age;

	msleep(100);
	e = engine_with("g", nm("late"), 0, false);
	reads(e, 2, 20);
	e->last_exit_drain_ns -= 30000000000ull;	/* 30 s ago */
	age = (procfs_boottime_ns() - start_boot_ns(p)) / 1000;
	rec = exit_record_of(p, age + 90000000ull, 1000, 0, 0);	/* +90 s */
	engine_handle_exit_record(e, &rec);
	assert_int_equal(engine_stats(e)->exit_records, 0);
	rec = exit_record_of(p, age, 1000, 0, 0);
	engine_handle_exit_record(e, &rec);
	assert_int_equal(engine_stats(e)->exit_records, 1);
	reads(e, 1, 0);
	assert_int_equal(res(e)->exited, 1);
	reap(p);
	engine_free(e);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_short_children_counted_once, kill_kids),
		cmocka_unit_test_teardown(test_fork_of_a_recycled_pid, kill_kids),
		cmocka_unit_test_teardown(test_zombie_not_rejoined, kill_kids),
		cmocka_unit_test_teardown(test_emfile_does_not_end_a_member, kill_kids),
		cmocka_unit_test_teardown(test_pid_group_without_children, kill_kids),
		cmocka_unit_test_teardown(test_exec_into_a_group, kill_kids),
		cmocka_unit_test_teardown(test_end_before_first_sample, kill_kids),
		cmocka_unit_test_teardown(test_impossible_delay_dropped, kill_kids),
		cmocka_unit_test_teardown(test_record_read_late, kill_kids),
	};
	ssize_t n;

	if (argc > 1 && !strcmp(argv[1], "idle"))
		pause_forever();
	run_id = (int)getpid();
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n > 0)
		self_exe[n] = '\0';
	if (geteuid() != 0) {
		printf("1..1\nok 1 # SKIP taskstats needs root\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
