/* tstree - process trees whose consumption the kernel itself reports,
 * for the accounting tests.  Every mode prints its ground truth as one
 * "key=value ..." line and then (unless said) waits for SIGTERM, so the
 * test can read /proc/PID/io of the root after everything was reaped.
 *
 *   tstree exec N RATE      fork N children at RATE/s: /bin/true, a shell
 *                           pipeline, every 500th a python3 start; prints
 *                           "done rusage_self_us= rusage_children_us="
 *   tstree tree MIB         root -> child -> grandchild: each writes MIB,
 *                           2*MIB, 64*MIB to /dev/null, prints "alive
 *                           root= child= grandchild=" and waits for SIGUSR1;
 *                           then the grandchild exits, the child reaps it
 *                           and exits, the root reaps it: "done"
 *   tstree autoreap MIB     root ignores SIGCHLD, writes MIB; its child
 *                           writes 16*MIB, prints "child=PID" and exits on
 *                           SIGUSR1 (auto-reaped); then the root writes
 *                           MIB more: "done"
 *   tstree zombie SECONDS   a child exits at once; the root reaps it only
 *                           after SECONDS: "done"
 *   tstree idle             nothing: waits for SIGTERM
 *   tstree burn-exec MS PROG ARGS...  burn MS ms of CPU, then exec PROG
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	go = sig;
}

static void wait_usr1(void)
{
	while (!go)
		pause();
}

static void write_mib(long mib)
{
	static char buf[1 << 20];
	int fd = open("/dev/null", O_WRONLY);
	long i;

	for (i = 0; i < mib; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			_exit(90);
	close(fd);
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long tv_us(struct timeval tv)
{
	return tv.tv_sec * 1000000LL + tv.tv_usec;
}

static void hold(void)
{
	fflush(stdout);
	for (;;)
		pause();
}

static void mode_exec(long n, long rate)
{
	struct timespec gap = { 0, 1000000000L / (rate > 0 ? rate : 1) };
	struct rusage self, kids;
	long i;

	for (i = 0; i < n; i++) {
		pid_t p;

		while ((p = fork()) < 0)
			usleep(1000);
		if (p == 0) {
			if (i % 500 == 499)
				execlp("python3", "python3", "-c", "pass", (char *)NULL);
			else if (i % 3 == 1)
				execl("/bin/sh", "sh", "-c", "echo x | cat >/dev/null",
				      (char *)NULL);
			else
				execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		nanosleep(&gap, NULL);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	while (wait(NULL) > 0)
		;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	printf("done rusage_self_us=%lld rusage_children_us=%lld\n",
	       tv_us(self.ru_utime) + tv_us(self.ru_stime),
	       tv_us(kids.ru_utime) + tv_us(kids.ru_stime));
}

static void mode_tree(long mib)
{
	int fds[2];
	pid_t child;
	char line[64];

	if (pipe(fds))
		exit(1);
	write_mib(mib);
	child = fork();
	if (child == 0) {
		pid_t g;

		write_mib(2 * mib);
		g = fork();
		if (g == 0) {
			write_mib(64 * mib);
			dprintf(fds[1], "%d\n", (int)getpid());
			wait_usr1();
			_exit(0);
		}
		wait_usr1();
		kill(g, SIGUSR1);
		waitpid(g, NULL, 0);
		_exit(0);
	}
	if (read(fds[0], line, sizeof(line) - 1) <= 0)
		exit(1);
	line[strcspn(line, "\n")] = '\0';
	printf("alive root=%d child=%d grandchild=%s\n", (int)getpid(),
	       (int)child, line);
	fflush(stdout);
	wait_usr1();
	kill(child, SIGUSR1);
	waitpid(child, NULL, 0);
	printf("done\n");
}

static void mode_autoreap(long mib)
{
	pid_t child;

	signal(SIGCHLD, SIG_IGN);
	write_mib(mib);
	child = fork();
	if (child == 0) {
		write_mib(16 * mib);
		wait_usr1();
		_exit(0);
	}
	printf("child=%d\n", (int)child);
	fflush(stdout);
	while (kill(child, 0) == 0)
		usleep(10000);
	write_mib(mib);
	printf("done\n");
}

static void mode_zombie(long seconds)
{
	pid_t child = fork();

	if (child == 0)
		_exit(0);
	sleep((unsigned)seconds);
	waitpid(child, NULL, 0);
	printf("done\n");
}

int main(int argc, char **argv)
{
	signal(SIGUSR1, on_usr1);
	if (argc >= 4 && !strcmp(argv[1], "exec"))
		mode_exec(atol(argv[2]), atol(argv[3]));
	else if (argc >= 3 && !strcmp(argv[1], "tree"))
		mode_tree(atol(argv[2]));
	else if (argc >= 3 && !strcmp(argv[1], "autoreap"))
		mode_autoreap(atol(argv[2]));
	else if (argc >= 3 && !strcmp(argv[1], "zombie"))
		mode_zombie(atol(argv[2]));
	else if (argc >= 2 && !strcmp(argv[1], "idle"))
		;
	else if (argc >= 4 && !strcmp(argv[1], "burn-exec")) {
		double end = cpu_s() + atol(argv[2]) / 1000.0;
		volatile unsigned long x = 0;

		while (cpu_s() < end)
			x++;
		execvp(argv[3], argv + 3);
		return 127;
	} else {
		fprintf(stderr, "usage: tstree exec N RATE | tree MIB | autoreap MIB"
			" | zombie S | burn-exec MS PROG ARGS...\n");
		return 2;
	}
	hold();
	return 0;
}
