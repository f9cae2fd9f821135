/* tsrandtree - one random, seed-reproducible process tree whose
 * consumption the kernel itself reports, for tests/e2e/randtree.sh.
 *
 *   tsrandtree --reaper ROOT ARGS...   set PR_SET_CHILD_SUBREAPER, run ROOT
 *                           ARGS (fork + exec), reap everything that comes
 *                           back (orphans of the tree), exit with ROOT's status
 *   tsrandtree --seed S [--depth D] [--kids K] [--nodes N] [--cpu-ms MS]
 *              [--subreaper 0|1] [--plan 1]
 *                           build the tree (run it as a copy or hard link
 *                           named like the group's Comm), print
 *                           "plan ..." and "truth ..." and wait for SIGTERM
 *                           (then exit 0), so the test can read
 *                           /proc/ROOT/io after everything was reaped;
 *                           with --plan 1 it only prints the "plan" line
 *
 * The plan is a pure function of the seed and the knobs (splitmix64):
 * depth up to D (default 4), up to K children per node (default 4), at
 * most N processes (default 24), node CPU up to MS ms (default 6); the
 * root is a child subreaper iff --subreaper 1 (default: from the seed).
 * Node kinds (letters of "shape="):
 *   F  fork-only child running this code      E  the same, re-exec'd (execv
 *   T  exec /bin/true                            of this binary, --node I)
 *   S  exec /bin/sh -c 'builtin loop; printf >/dev/null; [/bin/true;] exit N'
 *      (dash: builtins fork nothing, a non-last external command is one
 *      vfork: 1 or 2 processes)
 *   Q  exits right after it was created       V  burns until its parent
 *   D  double fork: forks its child and exits    kills it with SIGKILL
 *      at once; the child (an orphan, flag o) waits until it is
 *      re-parented: to the root when the root is a subreaper, else to the
 *      --reaper process outside the group
 * Flags: i = ignores SIGCHLD (its children are auto-reaped; it blocks in
 * wait() until they are gone), ! = detached (auto-reaped, or an orphan
 * reaped outside the tree), xN = exits with status N, k = kills itself
 * with SIGKILL, tN = N worker threads (they work and exit), z = an idle
 * thread still alive at exit.
 * F and E nodes (and the root) do known work: CPU burnt by the main
 * thread and by each worker thread (measured with CLOCK_THREAD_CPUTIME_ID),
 * write()s of known sizes to /dev/null, read()s of 4096 bytes from
 * /dev/zero.
 *
 * Ground truth, from the kernel: the root's getrusage(SELF)+getrusage(
 * CHILDREN) after everything was reaped, plus, for every detached process
 * (which neither the root's rusage nor its /proc/PID/io will ever see),
 * what that process reads from the kernel about itself just before it
 * exits: getrusage(SELF)+(CHILDREN) and /proc/self/io (which covers what
 * it reaped itself), sent to the root through a pipe.  Its own reading of
 * /proc/self/io and the report's write() are added to its I/O (fixed-width
 * lines); what the report misses is its exit path after getrusage (CPU,
 * context switches) - small, see randtree.sh.  The I/O to add is printed
 * as det_*; the test adds /proc/ROOT/io itself.
 *   truth pid= seed= subreaper= started= exited= failed= tasks= detached=
 *         region_procs= region_tasks= exec_procs= cpu_us= minflt= majflt=
 *         nvcsw= nivcsw= det_rchar= det_wchar= det_syscr= det_syscw=
 *         det_read_bytes= det_write_bytes= det_cancelled= planned_cpu_us=
 *         planned_wchar=
 * With TSRANDTREE_DEBUG set, the root copies every report to stderr.
 * started counts the root and every fork (sh's vfork of /bin/true
 * included); exited = started - 1 (the root is alive); failed = non-zero
 * status or killed by a signal (seen by the reaper through waitpid, or
 * by a detached process about itself).  region_* count the processes
 * and tasks (threads included) of detached subtrees: the detached
 * processes and what they reap.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXN 256

enum kind { K_ROOT, K_FORK, K_EXEC, K_TRUE, K_SH, K_QUICK, K_DOUBLE, K_VICTIM };
static const char kind_letter[] = "RFETSQDV";

struct node {
	int kind, parent, first, next, depth;
	int orphan;		/* child of a D node: waits to be re-parented */
	int sigign;		/* ignores SIGCHLD: children auto-reaped */
	int detached, region;
	long cpu_us;		/* main thread burn */
	int threads;
	long thread_cpu_us;
	int idle_thread;
	long writes, write_size, reads;
	int exit_mode;		/* 0 exit(code), 1 raise(SIGKILL) */
	int exit_code;
	long gap_us;		/* the parent waits this long before forking it */
	long sh_loops, sh_width;
	int sh_ext;		/* sh runs /bin/true (one vfork) */
	long victim_ms;
};

static struct node plan[MAXN];
static int nplan;
static uint64_t rng;
static long o_depth = 4, o_kids = 4, o_nodes = 24, o_cpu_ms = 6;
static long long o_seed;
static int o_subreaper = -1;
static int report_fd = -1;
static const char *self_path;

static uint64_t next64(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static long rnd(long n)		/* 0 .. n-1 */
{
	return n > 0 ? (long)(next64() % (uint64_t)n) : 0;
}

static int chance(int pct)
{
	return rnd(100) < pct;
}

static int procs_planned;	/* processes the plan creates (cap) */

static int add_node(int parent, int kind, int depth)
{
	struct node *n;
	int i = nplan++;

	n = &plan[i];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->parent = parent;
	n->first = n->next = -1;
	n->depth = depth;
	if (parent >= 0) {	/* append as the last child */
		int *p = &plan[parent].first;

		while (*p >= 0)
			p = &plan[*p].next;
		*p = i;
	}
	procs_planned++;
	return i;
}

static void work_params(struct node *n)
{
	n->cpu_us = rnd(o_cpu_ms * 1000 + 1);
	if (chance(30)) {
		n->threads = 1 + (int)rnd(3);
		n->thread_cpu_us = rnd(o_cpu_ms * 500 + 1);
	}
	n->idle_thread = chance(10);
	n->writes = rnd(40);
	n->write_size = 1 + rnd(65536);
	n->reads = rnd(40);
	if (chance(12)) {
		n->exit_mode = 0;
		n->exit_code = 1 + (int)rnd(9);
	} else if (chance(10)) {
		n->exit_mode = 1;
	}
}

static void gen_children(int parent, int depth);

static int pick_kind(int sigign)
{
	/* a child of a SIGCHLD-ignoring parent must report itself: only
	 * this program's own code there */
	static const int w_ign[] = { 0, 40, 30, 0, 0, 15, 15, 0 };
	static const int w[] = { 0, 25, 20, 12, 12, 10, 11, 10 };
	const int *t = sigign ? w_ign : w;
	long r = rnd(100), acc = 0;
	int k;

	for (k = 1; k <= K_VICTIM; k++) {
		acc += t[k];
		if (r < acc)
			return k;
	}
	return K_FORK;
}

static void gen_node_body(int i, int depth)
{
	struct node *n = &plan[i];

	switch (n->kind) {
	case K_FORK:
	case K_EXEC:
		work_params(n);
		n->sigign = chance(20);
		gen_children(i, depth);
		break;
	case K_QUICK:
		if (chance(30)) {
			n->exit_mode = 0;
			n->exit_code = 1 + (int)rnd(9);
		} else if (chance(20)) {
			n->exit_mode = 1;
		}
		break;
	case K_SH:
		n->sh_loops = rnd(20000);
		n->sh_width = 1 + rnd(4000);
		n->sh_ext = chance(50);
		n->exit_code = chance(30) ? 1 + (int)rnd(9) : 0;
		break;
	case K_VICTIM:
		n->victim_ms = 1 + rnd(o_cpu_ms + 1);
		break;
	case K_DOUBLE: {
		int o = add_node(i, chance(50) ? K_FORK : K_EXEC, depth + 1);

		plan[o].orphan = 1;
		gen_node_body(o, depth + 1);
		break;
	}
	default:
		break;
	}
}

static void gen_children(int parent, int depth)
{
	long k, nk;

	if (depth >= o_depth)
		return;
	nk = rnd(o_kids + 1);
	if (parent == 0 && nk < 2)
		nk = 2;
	for (k = 0; k < nk; k++) {
		int kind, i;

		if (nplan >= MAXN - 2 || procs_planned >= o_nodes)
			return;
		kind = pick_kind(plan[parent].sigign);
		if (kind == K_DOUBLE && (depth + 2 > o_depth || procs_planned + 2 > o_nodes))
			kind = K_FORK;
		i = add_node(parent, kind, depth + 1);
		plan[i].gap_us = chance(50) ? rnd(20000) : 0;
		gen_node_body(i, depth + 1);
	}
}

static int subreaper;

static void classify(void)
{
	int i;

	for (i = 0; i < nplan; i++) {	/* parents come before children */
		struct node *n = &plan[i];
		const struct node *p = n->parent >= 0 ? &plan[n->parent] : NULL;

		if (!p) {
			n->detached = n->region = 0;
		} else if (n->orphan) {
			n->detached = !subreaper;
			n->region = n->detached;
		} else {
			n->detached = p->sigign;
			n->region = n->detached || p->region;
		}
	}
}

static void make_plan(void)
{
	int r;

	rng = (uint64_t)o_seed;
	nplan = 0;
	procs_planned = 0;
	r = add_node(-1, K_ROOT, 0);
	work_params(&plan[r]);
	plan[r].exit_mode = 0;
	plan[r].exit_code = 0;
	plan[r].idle_thread = 0;	/* the root must be single-threaded at the end */
	plan[r].sigign = 0;
	subreaper = (int)rnd(2);	/* drawn even when given: same plan */
	if (o_subreaper >= 0)
		subreaper = o_subreaper;
	gen_children(r, 0);
	classify();
}

static void shape(int i, char *out, size_t len)
{
	const struct node *n = &plan[i];
	char buf[64];
	int c;

	snprintf(buf, sizeof(buf), "%c%s%s%s", kind_letter[n->kind],
		 n->orphan ? "o" : "", n->sigign ? "i" : "", n->detached ? "!" : "");
	strncat(out, buf, len - strlen(out) - 1);
	if (n->exit_mode == 1)
		strncat(out, "k", len - strlen(out) - 1);
	else if (n->exit_code && n->kind != K_SH) {
		snprintf(buf, sizeof(buf), "x%d", n->exit_code);
		strncat(out, buf, len - strlen(out) - 1);
	}
	if (n->kind == K_SH) {
		snprintf(buf, sizeof(buf), "x%d%s", n->exit_code, n->sh_ext ? "+" : "");
		strncat(out, buf, len - strlen(out) - 1);
	}
	if (n->threads) {
		snprintf(buf, sizeof(buf), "t%d", n->threads);
		strncat(out, buf, len - strlen(out) - 1);
	}
	if (n->idle_thread)
		strncat(out, "z", len - strlen(out) - 1);
	if (n->first < 0)
		return;
	strncat(out, "(", len - strlen(out) - 1);
	for (c = n->first; c >= 0; c = plan[c].next) {
		shape(c, out, len);
		if (plan[c].next >= 0)
			strncat(out, " ", len - strlen(out) - 1);
	}
	strncat(out, ")", len - strlen(out) - 1);
}

/* ---- work ---- */

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void burn_us(long us)
{
	double end = thread_cpu() + us / 1e6;
	volatile unsigned long x = 0;

	while (thread_cpu() < end)
		for (int i = 0; i < 1000; i++)
			x += (unsigned long)i;
}

static char zero_buf[65536];

static void do_io(long writes, long size, long reads)
{
	char buf[4096];
	int out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int in = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	long i;

	if (size > (long)sizeof(zero_buf))
		size = sizeof(zero_buf);
	for (i = 0; i < writes; i++)
		if (write(out, zero_buf, (size_t)size) != size)
			_exit(90);
	for (i = 0; i < reads; i++)
		if (read(in, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			_exit(91);
	close(out);
	close(in);
}

static void *worker(void *arg)
{
	const struct node *n = arg;

	burn_us(n->thread_cpu_us);
	do_io(n->writes / 2 + 1, n->write_size / 2 + 1, n->reads / 2);
	return NULL;
}

static void *idler(void *arg)
{
	for (;;)
		pause();
	return arg;
}

/* ---- reports: fixed-width lines, so their own write is known ---- */

struct tally {
	int node;
	long long forks, failed;
	long long cpu_us, minflt, majflt, nvcsw, nivcsw;
	long long rchar, wchar, syscr, syscw, rbytes, wbytes, cancelled;
};

#define REPORT_FMT "N %c n=%04d p=%08d f=%06lld x=%06lld c=%015lld mi=%012lld ma=%012lld " \
	"vc=%012lld ic=%012lld rc=%015lld wc=%015lld sr=%012lld sw=%012lld " \
	"rb=%015lld wb=%015lld cw=%015lld\n"
static int report_len;	/* every line has this length (widths are ample) */

static long long tv_us(struct timeval tv)
{
	return tv.tv_sec * 1000000LL + tv.tv_usec;
}

static void kernel_self(struct tally *t)
{
	struct rusage s, c;
	char buf[4096];
	ssize_t n;
	int fd;

	getrusage(RUSAGE_SELF, &s);
	getrusage(RUSAGE_CHILDREN, &c);
	t->cpu_us = tv_us(s.ru_utime) + tv_us(s.ru_stime) +
		    tv_us(c.ru_utime) + tv_us(c.ru_stime);
	t->minflt = s.ru_minflt + c.ru_minflt;
	t->majflt = s.ru_majflt + c.ru_majflt;
	t->nvcsw = s.ru_nvcsw + c.ru_nvcsw;
	t->nivcsw = s.ru_nivcsw + c.ru_nivcsw;
	fd = open("/proc/self/io", O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		_exit(92);
	buf[n] = '\0';
	sscanf(strstr(buf, "rchar:"), "rchar: %lld", &t->rchar);
	sscanf(strstr(buf, "wchar:"), "wchar: %lld", &t->wchar);
	sscanf(strstr(buf, "syscr:"), "syscr: %lld", &t->syscr);
	sscanf(strstr(buf, "syscw:"), "syscw: %lld", &t->syscw);
	sscanf(strstr(buf, "read_bytes:"), "read_bytes: %lld", &t->rbytes);
	sscanf(strstr(buf, "write_bytes:"), "write_bytes: %lld", &t->wbytes);
	sscanf(strstr(buf, "cancelled_write_bytes:"), "cancelled_write_bytes: %lld",
	       &t->cancelled);
	/* the read just done, and the report's write still to come */
	t->rchar += n;
	t->syscr += 1;
	t->wchar += report_len;
	t->syscw += 1;
}

static void report(int detached, struct tally *t)
{
	char line[512];
	int len;

	if (detached) {
		/* a dry run first: the first use of this code (its stack,
		 * libc pages this process has not touched yet) faults, and
		 * those faults must come before the getrusage() that reports
		 * them (else the exit record has 3-10 more than the report) */
		struct tally dry = *t;

		kernel_self(&dry);
		len = snprintf(line, sizeof(line), REPORT_FMT, 'D', dry.node,
			       (int)getpid(), dry.forks, dry.failed, dry.cpu_us,
			       dry.minflt, dry.majflt, dry.nvcsw, dry.nivcsw,
			       dry.rchar, dry.wchar, dry.syscr, dry.syscw,
			       dry.rbytes, dry.wbytes, dry.cancelled);
		(void)len;
		/* the real one: its /proc/self/io has the dry run's read */
		kernel_self(t);
	}
	len = snprintf(line, sizeof(line), REPORT_FMT, detached ? 'D' : 'A', t->node,
		       (int)getpid(),
		       t->forks, t->failed, t->cpu_us, t->minflt, t->majflt,
		       t->nvcsw, t->nivcsw, t->rchar, t->wchar, t->syscr,
		       t->syscw, t->rbytes, t->wbytes, t->cancelled);
	if (len != report_len)
		_exit(93);
	if (write(report_fd, line, (size_t)len) != len)
		_exit(94);
}

static void count_status(struct tally *t, int st)
{
	if (WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) != 0))
		t->failed++;
}

/* ---- running a node ---- */

static void run_node(int i) __attribute__((noreturn));

static void child_start(int i)
{
	sigset_t s;

	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&s);
	sigprocmask(SIG_SETMASK, &s, NULL);
	(void)i;
}

static void exec_self(int i)
{
	char idx[16], seed[32], fd[16], dep[16], kids[16], nodes[16], cpu[16], sr[8];

	snprintf(idx, sizeof(idx), "%d", i);
	snprintf(seed, sizeof(seed), "%lld", o_seed);
	snprintf(fd, sizeof(fd), "%d", report_fd);
	snprintf(dep, sizeof(dep), "%ld", o_depth);
	snprintf(kids, sizeof(kids), "%ld", o_kids);
	snprintf(nodes, sizeof(nodes), "%ld", o_nodes);
	snprintf(cpu, sizeof(cpu), "%ld", o_cpu_ms);
	snprintf(sr, sizeof(sr), "%d", subreaper);
	execl(self_path, self_path, "--node", idx, "--fd", fd, "--seed", seed,
	      "--depth", dep, "--kids", kids, "--nodes", nodes, "--cpu-ms", cpu,
	      "--subreaper", sr, (char *)NULL);
	_exit(127);
}

static pid_t forker;	/* the pid that forked this process */

/* fork child C of the current node; returns its pid (the parent side) */
static pid_t spawn(int c, struct tally *t)
{
	const struct node *n = &plan[c];
	int vp[2] = { -1, -1 };
	pid_t p;

	if (n->gap_us)
		usleep((useconds_t)n->gap_us);
	if (n->kind == K_VICTIM && pipe2(vp, O_CLOEXEC))
		_exit(95);
	forker = getpid();
	while ((p = fork()) < 0)
		usleep(1000);
	if (p == 0) {
		child_start(c);
		if (n->orphan) {	/* wait until the D node is gone */
			int tries;

			for (tries = 0; tries < 50000 && getppid() == forker; tries++)
				usleep(100);
		}
		switch (n->kind) {
		case K_FORK:
			run_node(c);
		case K_EXEC:
			exec_self(c);
			break;
		case K_TRUE:
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		case K_SH: {
			char cmd[256];

			snprintf(cmd, sizeof(cmd),
				 "i=0; while [ $i -lt %ld ]; do i=$((i+1)); done; "
				 "printf \"%%0%ldd\" 0 >/dev/null;%s exit %d",
				 n->sh_loops, n->sh_width,
				 n->sh_ext ? " /bin/true;" : "", n->exit_code);
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		case K_VICTIM: {
			int out = open("/dev/null", O_WRONLY | O_CLOEXEC);

			close(vp[0]);
			if (write(vp[1], "r", 1) != 1)
				_exit(96);
			for (;;) {
				burn_us(200);
				if (write(out, zero_buf, 100) != 100)
					_exit(90);
			}
		}
		default:	/* K_QUICK, K_DOUBLE */
			run_node(c);
		}
	}
	t->forks += 1 + (n->kind == K_SH && n->sh_ext);
	if (n->kind == K_VICTIM) {
		char b;
		int st;

		close(vp[1]);
		if (read(vp[0], &b, 1) != 1)
			_exit(97);
		close(vp[0]);
		usleep((useconds_t)n->victim_ms * 1000);
		kill(p, SIGKILL);
		if (waitpid(p, &st, 0) == p)
			count_status(t, st);
	}
	return p;
}

static void finish(int i, struct tally *t) __attribute__((noreturn));

static void finish(int i, struct tally *t)
{
	const struct node *n = &plan[i];

	if (n->detached && (n->exit_mode == 1 || n->exit_code))
		t->failed++;	/* nobody else sees how it ended */
	report(n->detached, t);
	if (n->exit_mode == 1)
		raise(SIGKILL);
	_exit(n->exit_code);
}

static void run_node(int i)
{
	const struct node *n = &plan[i];
	struct tally t;
	pthread_t th[8], idle;
	pid_t pids[MAXN];
	int np = 0, k, c, st;

	memset(&t, 0, sizeof(t));
	t.node = i;
	if (n->kind == K_QUICK)
		finish(i, &t);
	if (n->kind == K_DOUBLE) {
		spawn(n->first, &t);	/* the orphan; no wait */
		finish(i, &t);
	}
	if (n->sigign)
		signal(SIGCHLD, SIG_IGN);
	for (k = 0; k < n->threads && k < 8; k++)
		pthread_create(&th[k], NULL, worker, (void *)n);
	if (n->idle_thread)
		pthread_create(&idle, NULL, idler, NULL);
	burn_us(n->cpu_us / 2);
	do_io(n->writes, n->write_size, n->reads);
	for (c = n->first; c >= 0; c = plan[c].next) {
		pid_t p = spawn(c, &t);

		if (plan[c].kind != K_VICTIM)
			pids[np++] = p;
	}
	burn_us(n->cpu_us - n->cpu_us / 2);
	for (k = 0; k < n->threads && k < 8; k++)
		pthread_join(th[k], NULL);
	if (n->sigign) {
		/* children auto-reaped: wait() returns ECHILD once all are gone */
		while (wait(NULL) > 0 || errno == EINTR)
			;
	} else {
		for (k = 0; k < np; k++) {
			while (waitpid(pids[k], &st, 0) < 0)
				if (errno != EINTR)
					_exit(98);
			count_status(&t, st);
		}
	}
	finish(i, &t);
}

/* ---- the root ---- */

static void run_root(void)
{
	struct node *n = &plan[0];
	struct tally t, sum;
	pthread_t th[8];
	pid_t pids[MAXN];
	int np = 0, k, c, st, fds[2], ndet = 0;
	char line[512], shp[8192] = "";
	size_t have = 0;
	long long region_procs = 0, region_tasks = 0, exec_procs = 0, tasks = 0;
	long long planned_cpu = 0, planned_wchar = 0;
	struct rusage rs, rc;
	sigset_t term;
	FILE *in;

	memset(&t, 0, sizeof(t));
	memset(&sum, 0, sizeof(sum));
	if (subreaper)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (pipe(fds))
		exit(1);
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
	report_fd = fds[1];
	shape(0, shp, sizeof(shp));
	for (k = 0; k < nplan; k++) {
		const struct node *m = &plan[k];
		int procs = 1 + (m->kind == K_SH && m->sh_ext);

		tasks += procs + m->threads + m->idle_thread;
		if (m->region) {
			region_procs += procs;
			region_tasks += procs + m->threads + m->idle_thread;
		}
		if (m->kind == K_EXEC || m->kind == K_TRUE || m->kind == K_SH)
			exec_procs += procs;
		if (m->kind == K_FORK || m->kind == K_EXEC || m->kind == K_ROOT) {
			planned_cpu += m->cpu_us + m->threads * m->thread_cpu_us;
			planned_wchar += m->writes * m->write_size +
					 m->threads * (m->writes / 2 + 1) * (m->write_size / 2 + 1);
		}
	}
	printf("plan seed=%lld subreaper=%d nodes=%d shape=%s\n", o_seed,
	       subreaper, nplan, shp);
	fflush(stdout);

	for (k = 0; k < n->threads && k < 8; k++)
		pthread_create(&th[k], NULL, worker, (void *)n);
	burn_us(n->cpu_us / 2);
	do_io(n->writes, n->write_size, n->reads);
	for (c = n->first; c >= 0; c = plan[c].next) {
		pid_t p = spawn(c, &t);

		if (plan[c].kind != K_VICTIM)
			pids[np++] = p;
	}
	burn_us(n->cpu_us - n->cpu_us / 2);
	for (k = 0; k < n->threads && k < 8; k++)
		pthread_join(th[k], NULL);
	close(fds[1]);
	/* every report, until the last process of the tree closed the pipe */
	in = fdopen(fds[0], "r");
	while (fgets(line, sizeof(line), in)) {
		if (getenv("TSRANDTREE_DEBUG"))
			fprintf(stderr, "%s", line);
		char d;
		struct tally r;

		memset(&r, 0, sizeof(r));
		if (sscanf(line, "N %c n=%*d p=%*d f=%lld x=%lld c=%lld mi=%lld ma=%lld vc=%lld "
			   "ic=%lld rc=%lld wc=%lld sr=%lld sw=%lld rb=%lld wb=%lld cw=%lld",
			   &d, &r.forks, &r.failed, &r.cpu_us, &r.minflt, &r.majflt,
			   &r.nvcsw, &r.nivcsw, &r.rchar, &r.wchar, &r.syscr, &r.syscw,
			   &r.rbytes, &r.wbytes, &r.cancelled) != 15) {
			fprintf(stderr, "tsrandtree: bad report: %s", line);
			exit(1);
		}
		have++;
		sum.forks += r.forks;
		sum.failed += r.failed;
		if (d == 'D') {
			ndet++;
			sum.cpu_us += r.cpu_us;
			sum.minflt += r.minflt;
			sum.majflt += r.majflt;
			sum.nvcsw += r.nvcsw;
			sum.nivcsw += r.nivcsw;
			sum.rchar += r.rchar;
			sum.wchar += r.wchar;
			sum.syscr += r.syscr;
			sum.syscw += r.syscw;
			sum.rbytes += r.rbytes;
			sum.wbytes += r.wbytes;
			sum.cancelled += r.cancelled;
		}
	}
	fclose(in);
	/* direct children first (their statuses), then whatever else comes
	 * back to a subreaper (orphans of double forks) */
	for (k = 0; k < np; k++)
		if (waitpid(pids[k], &st, 0) == pids[k])
			count_status(&t, st);
	while (wait(&st) > 0)
		count_status(&t, st);
	getrusage(RUSAGE_SELF, &rs);
	getrusage(RUSAGE_CHILDREN, &rc);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	{
		long long started = 1 + t.forks + sum.forks;

		k = snprintf(line, sizeof(line),
			"truth pid=%d seed=%lld subreaper=%d started=%lld exited=%lld "
			"failed=%lld tasks=%lld detached=%d region_procs=%lld region_tasks=%lld "
			"exec_procs=%lld cpu_us=%lld minflt=%lld majflt=%lld nvcsw=%lld "
			"nivcsw=%lld det_rchar=%lld det_wchar=%lld det_syscr=%lld "
			"det_syscw=%lld det_read_bytes=%lld det_write_bytes=%lld "
			"det_cancelled=%lld planned_cpu_us=%lld planned_wchar=%lld reports=%zu\n",
			(int)getpid(), o_seed, subreaper, started, started - 1,
			t.failed + sum.failed, tasks, ndet, region_procs, region_tasks, exec_procs,
			tv_us(rs.ru_utime) + tv_us(rs.ru_stime) + tv_us(rc.ru_utime) +
				tv_us(rc.ru_stime) + sum.cpu_us,
			rs.ru_minflt + rc.ru_minflt + sum.minflt,
			rs.ru_majflt + rc.ru_majflt + sum.majflt,
			rs.ru_nvcsw + rc.ru_nvcsw + sum.nvcsw,
			rs.ru_nivcsw + rc.ru_nivcsw + sum.nivcsw,
			sum.rchar, sum.wchar, sum.syscr, sum.syscw, sum.rbytes, sum.wbytes,
			sum.cancelled, planned_cpu, planned_wchar, have);
	}
	if (write(1, line, (size_t)k) != k)
		exit(1);
	sigwaitinfo(&term, NULL);
	exit(0);
}

static int run_reaper(char **argv)
{
	pid_t root, p;
	int st, rst = 0;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	root = fork();
	if (root < 0)
		return 1;
	if (root == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	while ((p = wait(&st)) > 0 || errno == EINTR)
		if (p == root)
			rst = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return rst;
}

int main(int argc, char **argv)
{
	char exe[PATH_MAX];
	ssize_t l;
	int node = -1, i, plan_only = 0;

	if (argc >= 3 && !strcmp(argv[1], "--reaper"))
		return run_reaper(argv + 2);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			fprintf(stderr, "tsrandtree: %s needs a value\n", a);
			return 2;
		}
		if (!strcmp(a, "--seed"))
			o_seed = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--depth"))
			o_depth = strtol(v, NULL, 10);
		else if (!strcmp(a, "--kids"))
			o_kids = strtol(v, NULL, 10);
		else if (!strcmp(a, "--nodes"))
			o_nodes = strtol(v, NULL, 10);
		else if (!strcmp(a, "--cpu-ms"))
			o_cpu_ms = strtol(v, NULL, 10);
		else if (!strcmp(a, "--subreaper"))
			o_subreaper = atoi(v);
		else if (!strcmp(a, "--plan"))
			plan_only = atoi(v);
		else if (!strcmp(a, "--node"))
			node = atoi(v);
		else if (!strcmp(a, "--fd"))
			report_fd = atoi(v);
		else {
			fprintf(stderr, "tsrandtree: unknown argument %s\n", a);
			return 2;
		}
		i++;
	}
	if (o_nodes > MAXN - 8)
		o_nodes = MAXN - 8;
	l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (l <= 0)
		return 1;
	exe[l] = '\0';
	self_path = exe;
	report_len = snprintf(NULL, 0, REPORT_FMT, 'A', 0, 0, 0LL, 0LL, 0LL, 0LL, 0LL,
			      0LL, 0LL, 0LL, 0LL, 0LL, 0LL, 0LL, 0LL, 0LL);
	make_plan();
	if (plan_only) {	/* --plan 1: print the shape only */
		char shp[8192] = "";

		shape(0, shp, sizeof(shp));
		printf("plan seed=%lld subreaper=%d nodes=%d shape=%s\n", o_seed,
		       subreaper, nplan, shp);
		return 0;
	}
	if (node > 0 && node < nplan) {
		run_node(node);	/* re-exec'd: the same plan, this node */
	}
	run_root();
	return 0;
}
