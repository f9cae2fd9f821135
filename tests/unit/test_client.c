/* test_client.c - ts_client against the running kernel (needs root, i.e.
 * CAP_NET_ADMIN; skipped otherwise): failure injection and reopen, and one
 * batched query over every process in /proc. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "ts_client.h"

static struct ts_client *open_or_skip(void)
{
	struct ts_client *c;
	int err = 0;

	if (geteuid() != 0)
		skip();
	c = ts_client_open(&err);
	if (c == NULL && (err == -EPERM || err == -ENOENT))
		skip();
	assert_non_null(c);
	return c;
}

static void test_inject_and_reopen(void **state)
{
	struct ts_client *c = open_or_skip();
	struct ts_sample s;

	assert_int_equal(ts_client_reopens(c), 1);
	assert_int_equal(ts_client_get(c, TS_ID_PID, getpid(), &s), 0);
	assert_int_equal(s.pid, (uint32_t)getpid());
	assert_int_equal(s.version >= 2, 1);

	ts_client_inject_failure(c, -EIO);
	assert_int_equal(ts_client_get(c, TS_ID_PID, getpid(), &s), -EIO);
	assert_int_equal(ts_client_reopens(c), 1);	/* closed, not reopened yet */

	assert_int_equal(ts_client_get(c, TS_ID_TGID, getpid(), &s), 0);
	assert_int_equal(ts_client_reopens(c), 2);
	assert_true(ts_has(&s, TSF_CPU_RUN_VIRTUAL_TOTAL));
	assert_true(ts_client_family(c) >= 0x10);
	ts_client_close(c);
}

/* A pid that surely does not exist: a reaped child. */
static pid_t dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return p;
}

static void test_batch_all_proc(void **state)
{
	struct ts_client *c = open_or_skip();
	struct ts_query *q;
	struct dirent *de;
	size_t n = 0, cap = 8192, i, ok = 0;
	pid_t gone = dead_pid();
	DIR *d;

	q = calloc(cap, sizeof(*q));
	assert_non_null(q);
	d = opendir("/proc");
	assert_non_null(d);
	while ((de = readdir(d)) != NULL && n < cap - 1) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		q[n].kind = n % 2 ? TS_ID_PID : TS_ID_TGID;
		q[n++].id = strtoul(de->d_name, NULL, 10);
	}
	closedir(d);
	q[n].kind = TS_ID_TGID;
	q[n++].id = gone;

	assert_int_equal(ts_client_query(c, q, n), 0);
	for (i = 0; i < n; i++) {
		if (q[i].err == -ESRCH)
			continue;	/* exited meanwhile */
		assert_int_equal(q[i].err, 0);
		assert_true(q[i].stats.version >= 2);
		/* a PID reply echoes the task: ac_pid is the id asked for */
		if (q[i].kind == TS_ID_PID)
			assert_int_equal(q[i].stats.pid, q[i].id);
		ok++;
	}
	assert_int_equal(q[n - 1].err, -ESRCH);
	assert_true(ok + 1 >= n / 2);
	assert_int_equal(ts_client_reopens(c), 1);

	/* a batch larger than one sendto chunk (and repeated ids) */
	for (i = 0; i < cap; i++) {
		q[i].kind = TS_ID_PID;
		q[i].id = getpid();
	}
	assert_int_equal(ts_client_query(c, q, cap), 0);
	for (i = 0; i < cap; i++)
		assert_int_equal(q[i].err, 0);
	assert_int_equal(q[cap - 1].stats.pid, (uint32_t)getpid());
	free(q);
	ts_client_close(c);
}

static void test_strerror(void **state)
{
	assert_string_equal(ts_strerror(-EPERM),
		"taskstats needs CAP_NET_ADMIN (run collectd as root or grant the capability)");
	assert_non_null(strstr(ts_strerror(-ENOENT), "CONFIG_TASKSTATS"));
	assert_non_null(strstr(ts_strerror(-ENOENT), "5.19"));
	assert_string_equal(ts_strerror(-ESRCH), "no such process");
	assert_non_null(ts_strerror(-EBADMSG));
	assert_int_equal(ts_client_reopens(NULL), 0);
	ts_client_close(NULL);
	ts_listener_close(NULL);
}

static void test_delayacct(void **state)
{
	int r = ts_delayacct_enabled();

	assert_true(r == 0 || r == 1);
}

static int count_exit(const struct ts_msg *m, void *data)
{
	pid_t *want = data;

	if (m->has_pid && m->pid == (uint32_t)*want &&
	    m->pid_stats.exitcode == 0x300)
		*want = 0;	/* found */
	return 0;
}

static void test_listener(void **state)
{
	struct ts_listener *l;
	pid_t child;
	int err = 0, i;

	if (geteuid() != 0)
		skip();
	l = ts_listener_open(0, &err);
	if (l == NULL && (err == -EPERM || err == -ENOENT))
		skip();
	assert_non_null(l);
	child = fork();
	if (child == 0)
		_exit(3);
	waitpid(child, NULL, 0);
	for (i = 0; i < 50 && child != 0; i++) {
		assert_true(ts_listener_drain(l, count_exit, &child) >= 0);
		if (child)
			usleep(20000);
	}
	assert_int_equal(child, 0);
	assert_int_equal(ts_listener_lost(l), 0);
	ts_listener_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inject_and_reopen),
		cmocka_unit_test(test_batch_all_proc),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_delayacct),
		cmocka_unit_test(test_listener),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
