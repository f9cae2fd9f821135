/* idler - cheap idle processes and threads for bench/run.
 *
 *   idler --comm NAME [--procs N] [--threads T] [--pidfile FILE]
 *
 * --procs N (N > 0): fork N children that set their comm to NAME, rewrite
 * their command line to NAME (so `ProcessMatch` / `Match` regexes see it),
 * and sleep.  Their pids go to FILE, one per line.  The parent renames
 * itself "idler-parent" so it never matches a NAME selector.
 * --threads T without --procs: this process itself is NAME, with T idle
 * threads (64 KiB stacks); its pid goes to FILE.
 * Prints "ready" on stdout when everything is in place, then waits for
 * SIGTERM/SIGINT, SIGKILLs and reaps its children and exits.  Children die
 * with the parent (PR_SET_PDEATHSIG) if it is killed.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void *idle_thread(void *arg)
{
	for (;;)
		pause();
	return arg;
}

static void become(const char *comm, int argc, char **argv)
{
	char *start = argv[0], *end = argv[argc - 1] + strlen(argv[argc - 1]);
	size_t room = (size_t)(end - start), n = strlen(comm);
	char name[256];

	/* comm points into argv: copy it before clearing */
	snprintf(name, sizeof(name), "%s", comm);
	prctl(PR_SET_NAME, name);
	/* the argv area is what /proc/PID/cmdline shows */
	memset(start, 0, room);
	memcpy(start, name, n < room ? n : room);
}

int main(int argc, char **argv)
{
	const char *comm = NULL, *pidfile = NULL;
	long procs = 0, threads = 0, i;
	pid_t *kids = NULL, parent = getpid();
	sigset_t set;
	FILE *f = NULL;
	int sig;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--comm") && i + 1 < argc)
			comm = argv[++i];
		else if (!strcmp(argv[i], "--procs") && i + 1 < argc)
			procs = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--pidfile") && i + 1 < argc)
			pidfile = argv[++i];
		else {
			fprintf(stderr, "usage: idler --comm NAME [--procs N] "
				"[--threads T] [--pidfile FILE]\n");
			return 2;
		}
	}
	if (!comm)
		comm = "idler";
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);	/* inherited: children use pause */
	if (pidfile && !(f = fopen(pidfile, "w"))) {
		perror(pidfile);
		return 1;
	}
	if (procs > 0) {
		char name[64];

		kids = calloc((size_t)procs, sizeof(*kids));
		if (!kids)
			return 1;
		for (i = 0; i < procs; i++) {
			pid_t p = fork();

			if (p < 0) {
				perror("fork");
				break;
			}
			if (p == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (getppid() != parent)
					_exit(0);
				become(comm, argc, argv);
				for (;;)
					pause();
			}
			kids[i] = p;
			if (f)
				fprintf(f, "%d\n", (int)p);
		}
		procs = i;
		snprintf(name, sizeof(name), "idler-parent");
		prctl(PR_SET_NAME, name);
	} else {
		pthread_attr_t a;
		pthread_t t;

		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, 64 * 1024);
		for (i = 0; i < threads; i++)
			if (pthread_create(&t, &a, idle_thread, NULL)) {
				perror("pthread_create");
				break;
			}
		become(comm, argc, argv);
		if (f)
			fprintf(f, "%d\n", (int)getpid());
	}
	if (f)
		fclose(f);
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	for (i = 0; i < procs; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < procs; i++)
		waitpid(kids[i], NULL, 0);
	return 0;
}
