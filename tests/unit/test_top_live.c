/* test_top_live.c - top consumers against the real kernel: three writers
 * at different rates come out in order with the right rates, a CPU burner
 * ranks by CPU, CPU-starved burners rank by delay (root: taskstats).
 *
 * TOP_BENCH=1 adds the cost measurement of docs/top.md: 1,000 extra
 * sleeping processes, 20 updates per key, wall and CPU time. */
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
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "top.h"
#include "ts_client.h"

#define MAXKIDS 1100

static pid_t kids[MAXKIDS];
static size_t nkids;

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Child: write bytes to /dev/null every 10 ms (absolute deadlines, so the
 * average rate is exact). */
static void writer(size_t bytes)
{
	static char buf[1 << 20];
	int fd = open("/dev/null", O_WRONLY);
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		if (write(fd, buf, bytes) < 0)
			_exit(1);
		next.tv_nsec += 10000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
}

static void burner(void)
{
	volatile unsigned long x = 0;

	for (;;)
		x++;
}

enum kid_kind { KID_WRITER, KID_BURNER, KID_SLEEPER };

static pid_t spawn(const char *name, enum kid_kind kind, size_t bytes)
{
	pid_t p = fork();

	assert_true(p >= 0);
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, name);
		if (kind == KID_WRITER)
			writer(bytes);
		else if (kind == KID_BURNER)
			burner();
		for (;;)
			pause();
	}
	assert_true(nkids < MAXKIDS);
	kids[nkids++] = p;
	return p;
}

static int reap_all(void **st)
{
	size_t i;

	for (i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < nkids; i++)
		waitpid(kids[i], NULL, 0);
	nkids = 0;
	return 0;
}

/* Index of pid in the results, or -1. */
static int find(const struct top_entry *r, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].pid == pid)
			return (int)i;
	return -1;
}

static void assert_sorted(const struct top_entry *r, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		assert_true(r[i - 1].rate > r[i].rate ||
			    (r[i - 1].rate == r[i].rate && r[i - 1].pid < r[i].pid));
}

static void test_io_order(void **st)
{
	static const size_t bytes[3] = { 320 << 10, 80 << 10, 20 << 10 };
	struct top *t = top_new(TOP_IO, 50), *t2 = top_new(TOP_IO, 2);
	const struct top_entry *r;
	pid_t w[3];
	int pos[3], i;
	size_t n;

	assert_non_null(t);
	assert_non_null(t2);
	w[0] = spawn("top_w_hi", KID_WRITER, bytes[0]);
	w[1] = spawn("top_w_mid", KID_WRITER, bytes[1]);
	w[2] = spawn("top_w_lo", KID_WRITER, bytes[2]);
	usleep(100000);
	assert_true(top_update(t, NULL, now_ns(CLOCK_MONOTONIC)) > 3);
	assert_true(top_update(t2, NULL, now_ns(CLOCK_MONOTONIC)) > 3);
	sleep(1);
	assert_true(top_update(t, NULL, now_ns(CLOCK_MONOTONIC)) > 3);
	assert_true(top_update(t2, NULL, now_ns(CLOCK_MONOTONIC)) > 3);

	n = top_results(t, &r);
	assert_sorted(r, n);
	for (i = 0; i < 3; i++) {
		double want = (double)bytes[i] * 100;

		pos[i] = find(r, n, w[i]);
		assert_true(pos[i] >= 0);
		printf("# %s[%d] rank %d: %.0f B/s (want %.0f), write %.0f B/s\n",
		       r[pos[i]].comm, (int)w[i], pos[i] + 1, r[pos[i]].rate, want,
		       r[pos[i]].part[1]);
		assert_true(r[pos[i]].rate > want * 0.75 && r[pos[i]].rate < want * 1.25);
		assert_true(r[pos[i]].part[1] > r[pos[i]].part[0]);
	}
	assert_string_equal(r[pos[0]].comm, "top_w_hi");
	assert_true(pos[0] < pos[1] && pos[1] < pos[2]);

	n = top_results(t2, &r);
	assert_true(n <= 2 && n >= 1);
	assert_sorted(r, n);
	top_free(t);
	top_free(t2);
}

static void test_cpu_burner(void **st)
{
	struct top *t = top_new(TOP_CPU, 20);
	const struct top_entry *r;
	pid_t b;
	size_t n;
	int pos;

	assert_non_null(t);
	b = spawn("top_burn", KID_BURNER, 0);
	assert_true(top_update(t, NULL, now_ns(CLOCK_MONOTONIC)) > 0);
	usleep(700000);
	assert_true(top_update(t, NULL, now_ns(CLOCK_MONOTONIC)) > 0);
	n = top_results(t, &r);
	assert_sorted(r, n);
	pos = find(r, n, b);
	assert_true(pos >= 0);
	printf("# top_burn rank %d: %.2f CPU-s/s (user %.2f)\n", pos + 1,
	       r[pos].rate, r[pos].part[0]);
	assert_true(r[pos].rate > 0.1 && r[pos].rate < 1.1);	/* s/s, not ticks */
	top_free(t);
}

static struct ts_client *client_or_skip(void)
{
	struct ts_client *c;
	int err = 0;

	if (geteuid() != 0)
		skip();
	c = ts_client_open(&err);
	if (!c && (err == -EPERM || err == -ENOENT))
		skip();
	assert_non_null(c);
	return c;
}

/* Three burners on a 2-CPU host wait for a CPU: run-queue delay. */
static void test_delay_burners(void **st)
{
	struct ts_client *c = client_or_skip();
	struct top *t = top_new(TOP_DELAY, 20);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	const struct top_entry *r;
	pid_t b[8];
	int i, found = 0, nb = (int)(ncpu + 1 > 8 ? 8 : ncpu + 1);
	size_t n;

	assert_non_null(t);
	assert_int_equal(top_update(t, NULL, 0), -EINVAL);
	for (i = 0; i < nb; i++)
		b[i] = spawn("top_starve", KID_BURNER, 0);
	assert_true(top_update(t, c, now_ns(CLOCK_MONOTONIC)) > 0);
	usleep(700000);
	assert_true(top_update(t, c, now_ns(CLOCK_MONOTONIC)) > 0);
	n = top_results(t, &r);
	assert_sorted(r, n);
	for (i = 0; i < nb; i++) {
		int pos = find(r, n, b[i]);

		if (pos < 0)
			continue;
		found++;
		printf("# top_starve[%d] rank %d: %.3f delay-s/s (cpu %.3f)\n",
		       (int)b[i], pos + 1, r[pos].rate, r[pos].part[0]);
		assert_true(r[pos].part[0] > 0);
	}
	assert_true(found >= 1);
	top_free(t);
	ts_client_close(c);
}

/* ---- TOP_BENCH: the cost of one update with 1,000 extra processes ---- */

static void bench_key(enum top_key key, struct ts_client *c, int procs)
{
	struct top *t = top_new(key, 5);
	uint64_t w0, c0, w1, c1;
	int i, fed = 0;

	assert_non_null(t);
	assert_true(top_update(t, c, now_ns(CLOCK_MONOTONIC)) > 0);
	w0 = now_ns(CLOCK_MONOTONIC);
	c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < 20; i++)
		fed = top_update(t, c, now_ns(CLOCK_MONOTONIC));
	w1 = now_ns(CLOCK_MONOTONIC);
	c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	assert_true(fed > 0);
	printf("# bench %-5s %d procs (%d fed): %.0f us wall, %.0f us cpu per update;"
	       " %.2f us wall, %.2f us cpu per process\n",
	       top_key_name(key), procs, fed, (double)(w1 - w0) / 20e3,
	       (double)(c1 - c0) / 20e3, (double)(w1 - w0) / 20e3 / fed,
	       (double)(c1 - c0) / 20e3 / fed);
	top_free(t);
}

static int count_procs(void)
{
	struct top *t = top_new(TOP_CPU, 1);
	int n = top_update(t, NULL, 1);

	top_free(t);
	return n;
}

static void test_bench(void **st)
{
	struct ts_client *c = client_or_skip();
	int i, base = count_procs();

	for (i = 0; i < 2; i++) {
		int procs = count_procs();

		bench_key(TOP_IO, NULL, procs);
		bench_key(TOP_CPU, NULL, procs);
		bench_key(TOP_DELAY, c, procs);
		if (i == 0)
			while (nkids < 1000)
				spawn("top_sleep", KID_SLEEPER, 0);
		usleep(200000);
	}
	printf("# base %d processes\n", base);
	ts_client_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_io_order, reap_all),
		cmocka_unit_test_teardown(test_cpu_burner, reap_all),
		cmocka_unit_test_teardown(test_delay_burners, reap_all),
	};
	const struct CMUnitTest bench[] = {
		cmocka_unit_test_teardown(test_bench, reap_all),
	};
	const char *b = getenv("TOP_BENCH");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (b && !strcmp(b, "1"))
		return cmocka_run_group_tests(bench, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
