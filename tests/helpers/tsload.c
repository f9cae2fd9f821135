/* tsload - a workload whose consumption is known, for end-to-end tests.
 *
 *   tsload [--name COMM] [--threads N] [--cpu-ms MS] [--writes K]
 *          [--write-size B] [--reads R] [--children N] [--rate PER_S]
 *          [--child-threads T] [--thread-every E] [--fail-every F]
 *          [--exit STATUS] [--delay-ms MS] [--io-rate BYTES_PER_S] [--hold]
 *
 * Each of N threads (and the main thread when N is 0) burns MS ms of CPU
 * (measured with its own thread CPU clock), writes K blocks of B bytes to
 * /dev/null and reads R blocks of 4096 bytes from /dev/zero.  With
 * --children, the process instead forks N children at PER_S per second;
 * each child does that work (with T threads doing it, if T > 0) and exits
 * (with --fail-every F: every F-th child exits with status 3, the one
 * after it kills itself with signal 9).  When done it prints one line of
 * ground truth:
 *   done pid=P cpu_us=U children=N rusage_self_us=S rusage_children_us=C
 *        wchar=W syscw=SW
 * and with --hold waits for SIGTERM (its threads stay alive, idle), else
 * exits with --exit STATUS.  With --io-rate it only writes that many bytes
 * per second to /dev/null (in 100 chunks) until killed.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long cpu_ms, writes, write_size = 1000, reads, threads, children;
static long rate = 200, child_threads, fail_every, exit_status, thread_every;
static int hold;
static long delay_ms, io_rate;

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void burn(long ms)
{
	double end = thread_cpu() + ms / 1000.0;
	volatile unsigned long x = 0;

	while (thread_cpu() < end)
		for (int i = 0; i < 1000; i++)
			x += i;
}

static void do_io(void)
{
	static char zero[65536];
	char buf[4096];
	int out = open("/dev/null", O_WRONLY), in = open("/dev/zero", O_RDONLY);

	for (long i = 0; i < writes; i++)
		if (write(out, zero, (size_t)write_size) < 0)
			_exit(90);
	for (long i = 0; i < reads; i++)
		if (read(in, buf, sizeof(buf)) < 0)
			_exit(91);
	close(out);
	close(in);
}

static volatile int workers_done;

static void *worker(void *arg)
{
	burn(cpu_ms);
	do_io();
	if (hold) {	/* stay alive, idle, so the thread count is known */
		__atomic_add_fetch(&workers_done, 1, __ATOMIC_SEQ_CST);
		for (;;)
			pause();
	}
	return arg;
}

static void work(long nthreads)
{
	pthread_t t[256];
	long i;

	if (nthreads == 0) {
		worker(NULL);
		return;
	}
	for (i = 0; i < nthreads && i < 256; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	if (hold && !children) {
		while (__atomic_load_n(&workers_done, __ATOMIC_SEQ_CST) < nthreads)
			usleep(1000);
		return;
	}
	for (i = 0; i < nthreads && i < 256; i++)
		pthread_join(t[i], NULL);
}

static long long tv_us(struct timeval tv)
{
	return tv.tv_sec * 1000000LL + tv.tv_usec;
}

static void *short_thread(void *arg)
{
	burn(cpu_ms);
	do_io();
	return arg;
}

static void churn(void)
{
	struct timespec gap = { 0, 1000000000L / (rate > 0 ? rate : 1) };
	pthread_t t[1024];
	long i, nt = 0;

	for (i = 0; i < children; i++) {
		pid_t p;

		/* threads of the parent that start, work and exit */
		if (thread_every && i % thread_every == 0 && nt < 1024)
			pthread_create(&t[nt++], NULL, short_thread, NULL);
		while ((p = fork()) < 0)	/* EAGAIN on a crowded host */
			usleep(1000);

		if (p == 0) {
			hold = 0;	/* only the parent holds */
			work(child_threads);
			if (fail_every && i % fail_every == fail_every - 1)
				_exit(3);
			if (fail_every && i % fail_every == 0 && i > 0)
				kill(getpid(), SIGKILL);
			_exit(0);
		}
		nanosleep(&gap, NULL);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	while (wait(NULL) > 0)
		;
	for (i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
}

static long arg(char **argv, int *i)
{
	return strtol(argv[++*i], NULL, 10);
}

int main(int argc, char **argv)
{
	struct rusage self, kids;
	char io[1024] = "";
	long long wchar = 0, syscw = 0;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--name"))
			prctl(PR_SET_NAME, argv[++i]);
		else if (!strcmp(argv[i], "--threads"))
			threads = arg(argv, &i);
		else if (!strcmp(argv[i], "--cpu-ms"))
			cpu_ms = arg(argv, &i);
		else if (!strcmp(argv[i], "--writes"))
			writes = arg(argv, &i);
		else if (!strcmp(argv[i], "--write-size"))
			write_size = arg(argv, &i);
		else if (!strcmp(argv[i], "--reads"))
			reads = arg(argv, &i);
		else if (!strcmp(argv[i], "--children"))
			children = arg(argv, &i);
		else if (!strcmp(argv[i], "--rate"))
			rate = arg(argv, &i);
		else if (!strcmp(argv[i], "--child-threads"))
			child_threads = arg(argv, &i);
		else if (!strcmp(argv[i], "--thread-every"))
			thread_every = arg(argv, &i);
		else if (!strcmp(argv[i], "--fail-every"))
			fail_every = arg(argv, &i);
		else if (!strcmp(argv[i], "--exit"))
			exit_status = arg(argv, &i);
		else if (!strcmp(argv[i], "--delay-ms"))
			delay_ms = arg(argv, &i);
		else if (!strcmp(argv[i], "--io-rate"))
			io_rate = arg(argv, &i);
		else if (!strcmp(argv[i], "--hold"))
			hold = 1;
		else {
			fprintf(stderr, "tsload: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	if (delay_ms)	/* idle first: lets a monitor see it before it works */
		usleep((useconds_t)delay_ms * 1000);
	if (write_size > 65536)
		write_size = 65536;
	if (io_rate) {	/* write io_rate bytes per second until killed */
		static char zero[65536];
		int out = open("/dev/null", O_WRONLY);

		for (;;) {
			long left = io_rate / 100;

			while (left > 0) {
				long n = left < (long)sizeof(zero) ? left : (long)sizeof(zero);

				if (write(out, zero, (size_t)n) < 0)
					return 90;
				left -= n;
			}
			usleep(10000);
		}
	}
	if (children)
		churn();
	else
		work(threads);
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	f = fopen("/proc/self/io", "r");
	if (f) {
		while (fgets(io, sizeof(io), f)) {
			sscanf(io, "wchar: %lld", &wchar);
			sscanf(io, "syscw: %lld", &syscw);
		}
		fclose(f);
	}
	printf("done pid=%d cpu_us=%lld children=%ld rusage_self_us=%lld "
	       "rusage_children_us=%lld wchar=%lld syscw=%lld\n", (int)getpid(),
	       tv_us(self.ru_utime) + tv_us(self.ru_stime), children,
	       tv_us(self.ru_utime) + tv_us(self.ru_stime),
	       tv_us(kids.ru_utime) + tv_us(kids.ru_stime), wchar, syscw);
	fflush(stdout);
	if (hold) {
		sigset_t s;
		int sig;

		sigemptyset(&s);
		sigaddset(&s, SIGTERM);
		sigaddset(&s, SIGINT);
		sigprocmask(SIG_BLOCK, &s, NULL);
		sigwait(&s, &sig);
	}
	return (int)exit_status;
}
