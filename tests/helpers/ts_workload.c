/* ts_workload - a process whose taskstats are known in advance.
 *
 *   ts_workload THREADS CPU_MS NREADS RSIZE NWRITES WSIZE [EXIT]
 *
 * Starts THREADS worker threads; each burns CPU_MS of its own CPU time, then
 * does NREADS read()s of RSIZE bytes from /dev/zero and NWRITES write()s of
 * WSIZE bytes to /dev/null, and touches 8 MiB of memory (main thread).  Then
 * prints "ready TID..." (the workers' thread ids) and waits for SIGTERM with
 * the workers still alive; with EXIT given, exits with that status instead.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>

static long cpu_ms, nreads, rsize, nwrites, wsize;
static pthread_barrier_t done;

static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *worker(void *arg)
{
	pid_t *tid = arg;
	char *buf = calloc(1, rsize > wsize ? rsize : wsize);
	int zero = open("/dev/zero", O_RDONLY), null = open("/dev/null", O_WRONLY);
	volatile unsigned long x = 0;
	long i;

	*tid = syscall(SYS_gettid);
	while (thread_cpu_ms() < cpu_ms)
		for (i = 0; i < 10000; i++)
			x += i;
	for (i = 0; i < nreads; i++)
		if (read(zero, buf, rsize) < 0)
			exit(90);
	for (i = 0; i < nwrites; i++)
		if (write(null, buf, wsize) < 0)
			exit(91);
	close(zero);
	close(null);
	free(buf);
	pthread_barrier_wait(&done);
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	long threads, i;
	pthread_t th;
	pid_t *tids;
	sigset_t set;
	char *mem;
	int sig;

	if (argc < 7) {
		fprintf(stderr, "usage: %s THREADS CPU_MS NREADS RSIZE NWRITES WSIZE [EXIT]\n",
			argv[0]);
		return 2;
	}
	threads = atol(argv[1]);
	cpu_ms = atol(argv[2]);
	nreads = atol(argv[3]);
	rsize = atol(argv[4]);
	nwrites = atol(argv[5]);
	wsize = atol(argv[6]);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);	/* inherited by the workers */

	mem = malloc(8 << 20);
	memset(mem, 1, 8 << 20);	/* a known VmHWM bump */
	tids = calloc(threads, sizeof(*tids));
	pthread_barrier_init(&done, NULL, threads + 1);
	for (i = 0; i < threads; i++)
		pthread_create(&th, NULL, worker, &tids[i]);
	pthread_barrier_wait(&done);
	if (argc > 7)
		exit(atoi(argv[7]));
	printf("ready");
	for (i = 0; i < threads; i++)
		printf(" %d", tids[i]);
	printf("\n");
	fflush(stdout);
	sigwait(&set, &sig);
	free(mem);
	return 0;
}
