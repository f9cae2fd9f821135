/* test_proc_ident.c - /proc readers against the real kernel and fixtures. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "proc_ident.h"
#include "procfs.h"

/* Field n (1-based, n >= 3) of a stat line, split independently: after the
 * last ") ". */
static unsigned long long stat_field(const char *line, int n)
{
	const char *p = strrchr(line, ')') + 2;
	int i;

	for (i = 3; i < n; i++)
		p = strchr(p, ' ') + 1;
	return strtoull(p, NULL, 10);
}

static void read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, size - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	close(fd);
}

static void test_self(void **st)
{
	struct proc_ident pi;
	char stat[1024], path[64];

	assert_int_equal(proc_ident_read(getpid(), PI_STAT | PI_CMDLINE | PI_UID |
					 PI_CGROUP, &pi), 0);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)getpid());
	read_text(path, stat, sizeof(stat));
	assert_int_equal(pi.pid, getpid());
	assert_int_equal(pi.ppid, getppid());
	assert_int_equal(pi.start_ticks, stat_field(stat, 22));
	assert_int_equal(pi.nthreads, 1);
	assert_int_equal(pi.state, 'R');
	assert_string_equal(pi.comm, "test_proc_ident");	/* 15 chars */
	assert_int_equal(pi.uid, getuid());
	assert_non_null(pi.cmdline);
	assert_non_null(strstr(pi.cmdline, "test_proc_ident"));
	assert_non_null(pi.cgroup);		/* this host has a 0:: line */
	assert_true(pi.cgroup[0] == '/');
	proc_ident_free(&pi);
	assert_null(pi.cmdline);
}

static void test_cmdline_args(void **st)
{
	struct proc_ident pi;
	int pfd[2];
	pid_t child;
	char c;

	assert_int_equal(pipe(pfd), 0);
	child = fork();
	if (child == 0) {
		close(pfd[1]);
		dup2(pfd[0], 0);	/* "read x" waits on the pipe */
		execl("/bin/sh", "sh", "-c", "read x", "arg one", NULL);
		_exit(127);
	}
	close(pfd[0]);
	/* wait for the exec to finish: between the comm change and the new
	 * stack's setup, cmdline reads as empty */
	for (int i = 0; i < 200; i++) {
		assert_int_equal(proc_ident_read(child, PI_CMDLINE, &pi), 0);
		if (strcmp(pi.comm, "sh") == 0 && !strncmp(pi.cmdline, "sh ", 3))
			break;
		assert_true(i < 199);
		proc_ident_free(&pi);
		usleep(10000);
	}
	assert_string_equal(pi.cmdline, "sh -c read x arg one");
	assert_int_equal(pi.ppid, getpid());
	proc_ident_free(&pi);
	c = '\n';
	assert_int_equal(write(pfd[1], &c, 1), 1);
	close(pfd[1]);
	waitpid(child, NULL, 0);
}

static void test_comm_with_paren(void **st)
{
	struct proc_ident pi;
	int up[2], down[2];
	pid_t child;
	char c = 0;

	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	child = fork();
	if (child == 0) {
		prctl(PR_SET_NAME, "a) b (c");
		if (write(up[1], "x", 1) != 1 || read(down[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(read(up[0], &c, 1), 1);
	assert_int_equal(proc_ident_read(child, PI_STAT, &pi), 0);
	assert_string_equal(pi.comm, "a) b (c");
	assert_int_equal(pi.ppid, getpid());
	assert_int_equal(pi.nthreads, 1);
	assert_true(pi.start_ticks > 0);
	assert_int_equal(write(down[1], "x", 1), 1);
	waitpid(child, NULL, 0);
	close(up[0]); close(up[1]); close(down[0]); close(down[1]);
}

static void test_gone(void **st)
{
	struct proc_ident pi;
	pid_t child = fork();
	int rc;

	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	rc = proc_ident_read(child, PI_STAT | PI_CMDLINE, &pi);
	assert_true(rc == -ENOENT || rc == -ESRCH);
	assert_null(pi.cmdline);
	assert_int_equal(proc_ident_read(0, PI_STAT, &pi), -ESRCH);
	assert_int_equal(proc_ident_read(-5, PI_STAT, &pi), -ESRCH);
}

static void test_kernel_thread(void **st)
{
	struct proc_ident pi;

	/* pid 2 is kthreadd in the initial pid namespace */
	if (proc_ident_read(2, PI_STAT | PI_CMDLINE, &pi) != 0 ||
	    strcmp(pi.comm, "kthreadd") != 0) {
		/* not the initial pid ns: nothing to check (cmocka's skip()
		 * would print "not ok # SKIP") */
		proc_ident_free(&pi);
		printf("# pid 2 is not kthreadd here\n");
		return;
	}
	assert_string_equal(pi.cmdline, "");
	assert_int_equal(pi.ppid, 0);
	proc_ident_free(&pi);
}

static void test_parse_stat_fixture(void **st)
{
	struct proc_ident pi;
	const char *line = "1234 (we)ird ) name) S 1 1234 1234 0 -1 4194560 "
		"100 0 0 0 5 6 0 0 20 0 7 0 98765 1000 50 18446744073709551615";

	memset(&pi, 0, sizeof(pi));
	assert_int_equal(proc_ident_parse_stat(line, &pi), 0);
	assert_string_equal(pi.comm, "we)ird ) name");
	assert_int_equal(pi.state, 'S');
	assert_int_equal(pi.ppid, 1);
	assert_int_equal(pi.nthreads, 7);
	assert_int_equal(pi.start_ticks, 98765);
	assert_int_equal(proc_ident_parse_stat("1 (x) S 1 2", &pi), -EPROTO);
	assert_int_equal(proc_ident_parse_stat("1 (x", &pi), -EPROTO);
	assert_int_equal(proc_ident_parse_stat("", &pi), -EPROTO);
}

static void test_parse_status_uid(void **st)
{
	uid_t uid = 7;

	assert_int_equal(proc_ident_parse_status_uid(
		"Name:\tx\nUmask:\t0022\nUid:\t1000\t1001\t1002\t1003\nGid:\t5\n",
		&uid), 0);
	assert_int_equal(uid, 1000);
	assert_int_equal(proc_ident_parse_status_uid("Name:\tx\n", &uid), -EPROTO);
}

static void test_parse_cgroup(void **st)
{
	char *v2, *sd;

	assert_int_equal(proc_ident_parse_cgroup(
		"12:pids:/system.slice/ssh.service\n"
		"1:name=systemd:/system.slice/ssh.service\n"
		"0::/system.slice/ssh.service/sub\n", &v2, &sd), 0);
	assert_string_equal(v2, "/system.slice/ssh.service/sub");
	assert_string_equal(sd, "/system.slice/ssh.service");
	free(v2);
	free(sd);
	/* pure v2, no trailing newline */
	assert_int_equal(proc_ident_parse_cgroup("0::/user.slice", &v2, &sd), 0);
	assert_string_equal(v2, "/user.slice");
	assert_null(sd);
	free(v2);
	/* a controller list that merely contains "name=systemd" text */
	assert_int_equal(proc_ident_parse_cgroup("3:cpu,name=systemdx:/a\n", &v2, &sd), 0);
	assert_null(v2);
	assert_null(sd);
}

static int count_cb(pid_t pid, void *data)
{
	int *seen_self = data;

	if (pid == getpid())
		*seen_self = 1;
	return 0;
}

static int stop_cb(pid_t pid, void *data)
{
	(void)pid;
	(void)data;
	return -EINTR;
}

static void test_scan(void **st)
{
	int seen = 0, n;

	n = proc_scan(count_cb, &seen);
	assert_true(n >= 2);
	assert_int_equal(seen, 1);
	assert_int_equal(proc_scan(stop_cb, NULL), -EINTR);
}

/* Cost per process of a full read (reported, loosely bounded). */
static int cost_cb(pid_t pid, void *data)
{
	struct proc_ident pi;
	int *ok = data;

	if (proc_ident_read(pid, PI_STAT | PI_CMDLINE | PI_UID | PI_CGROUP, &pi) == 0)
		(*ok)++;
	proc_ident_free(&pi);
	return 0;
}

static void test_scan_cost(void **st)
{
	struct timespec a, b;
	int ok = 0, n;
	double us;

	clock_gettime(CLOCK_MONOTONIC, &a);
	n = proc_scan(cost_cb, &ok);
	clock_gettime(CLOCK_MONOTONIC, &b);
	us = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3;
	assert_true(ok > 0 && ok <= n);
	printf("# proc_ident_read (all fields): %d processes, %.1f us each\n",
	       ok, us / ok);
}

/* wchar/syscw move by exactly what we write (reading io is not a write) */
static void test_io_read(void **st)
{
	struct proc_io_vals a, b;
	char blk[10000];
	int fd, i;

	memset(blk, 'x', sizeof(blk));
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(proc_io_read(getpid(), &a), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(write(fd, blk, sizeof(blk)), sizeof(blk));
	assert_int_equal(proc_io_read(getpid(), &b), 0);
	close(fd);
	assert_int_equal(b.wchar - a.wchar, 100000);
	assert_int_equal(b.syscw - a.syscw, 10);
	assert_true(b.rchar > a.rchar);	/* the read of io itself */
	assert_true(b.syscr > a.syscr);
}

static void test_stat_read(void **st)
{
	struct proc_stat_vals sv;
	struct proc_ident pi;
	struct tms t0, t1;
	volatile unsigned long spin = 0;
	uint64_t proc_ticks;
	long tms_ticks;

	times(&t0);
	do {		/* burn 5 ticks of CPU (not of wall time: a busy host) */
		spin++;
		times(&t1);
	} while (t1.tms_utime + t1.tms_stime - t0.tms_utime - t0.tms_stime < 5);
	assert_int_equal(proc_stat_read(getpid(), &sv), 0);
	times(&t1);
	assert_int_equal(proc_ident_read(getpid(), PI_STAT, &pi), 0);
	/* times() and /proc/PID/stat count the same clock ticks */
	proc_ticks = sv.utime_ticks + sv.stime_ticks;
	tms_ticks = (long)(t1.tms_utime + t1.tms_stime);
	assert_true(proc_ticks >= 3);
	assert_true((long)proc_ticks <= tms_ticks);
	assert_true(tms_ticks - (long)proc_ticks <= 2);
	assert_int_equal(sv.start_ticks, pi.start_ticks);
	assert_int_equal(sv.ppid, getppid());
	assert_string_equal(sv.comm, pi.comm);
}

static void test_top_gone(void **st)
{
	struct proc_io_vals io;
	struct proc_stat_vals sv;
	pid_t child = fork();
	int rc;

	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	rc = proc_io_read(child, &io);
	assert_true(rc == -ENOENT || rc == -ESRCH);
	rc = proc_stat_read(child, &sv);
	assert_true(rc == -ENOENT || rc == -ESRCH);
}

/* Cost of one host-wide top-consumers pass (stat + io for every pid). */
static int top_cb(pid_t pid, void *data)
{
	struct proc_io_vals io;
	struct proc_stat_vals sv;
	int *ok = data;

	if (proc_stat_read(pid, &sv) == 0 && proc_io_read(pid, &io) == 0)
		(*ok)++;
	return 0;
}

static void test_top_cost(void **st)
{
	struct timespec a, b;
	int ok = 0;
	double us;

	clock_gettime(CLOCK_MONOTONIC, &a);
	proc_scan(top_cb, &ok);
	clock_gettime(CLOCK_MONOTONIC, &b);
	us = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3;
	assert_true(ok > 0);
	printf("# top pass (stat+io): %d processes, %.1f us each\n", ok, us / ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_cmdline_args),
		cmocka_unit_test(test_comm_with_paren),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_kernel_thread),
		cmocka_unit_test(test_parse_stat_fixture),
		cmocka_unit_test(test_parse_status_uid),
		cmocka_unit_test(test_parse_cgroup),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_scan_cost),
		cmocka_unit_test(test_io_read),
		cmocka_unit_test(test_stat_read),
		cmocka_unit_test(test_top_gone),
		cmocka_unit_test(test_top_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
