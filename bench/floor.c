/* floor - the least a read can cost: the plugin's kernel requests, nothing else.
 *
 *   floor --pidfile FILE [--interval S] [--reads R] [--parse] [--label L]
 *         [--full-every N]
 *
 * For the processes listed in FILE (one pid per line), each "read" does
 * exactly what the plugin's sampling asks of the kernel: one TGID taskstats
 * query per process, batched 256 per exchange through the project's
 * ts_client (sendto + recvmmsg); then, for the processes that ran since
 * their last full sample (cpu_run_virtual_total changed) and for every
 * N-th read of each idle one (staggered by position, as the plugin staggers
 * by pid), one PID query each (batched likewise) plus pread() of
 * /proc/PID/stat and /proc/PID/io on fds opened once.  --full-every 1 makes
 * every read full (the plugin before its idle fast path).  No membership,
 * accounting or dispatch.  With --parse the two /proc files are also
 * parsed (procfs_parse_stat/io), as the plugin must.
 *
 * Each read is timed with CLOCK_THREAD_CPUTIME_ID; reads are spaced by
 * --interval (default 0.2 s) so the caches are as cold as the daemon's.
 * Two untimed warm-up reads come first.  Prints one line:
 *   floor label=L members=N reads=R mean_us=.. median_us=.. min_us=..
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"
#include "ts_client.h"

#define CHUNK 256	/* members per exchange, as engine.c BATCH_MEMBERS */

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *pidfile = NULL, *label = "-";
	double interval = 0.2, *t, sum = 0;
	long reads = 50, i, r;
	int parse = 0, err = 0, pid;
	size_t n = 0, cap = 1024, k, lost = 0;
	pid_t *pids;
	struct proc_pin *pins;
	struct ts_query *q;
	struct ts_client *c;
	uint64_t *last_cpu = NULL;
	size_t full[CHUNK];
	long full_every = 10;	/* as engine.c FULL_EVERY */
	FILE *f;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pidfile") && i + 1 < argc)
			pidfile = argv[++i];
		else if (!strcmp(argv[i], "--interval") && i + 1 < argc)
			interval = atof(argv[++i]);
		else if (!strcmp(argv[i], "--reads") && i + 1 < argc)
			reads = atol(argv[++i]);
		else if (!strcmp(argv[i], "--label") && i + 1 < argc)
			label = argv[++i];
		else if (!strcmp(argv[i], "--full-every") && i + 1 < argc)
			full_every = atol(argv[++i]);
		else if (!strcmp(argv[i], "--parse"))
			parse = 1;
		else {
			fprintf(stderr, "usage: floor --pidfile FILE [--interval S] "
				"[--reads R] [--parse] [--label L] [--full-every N]\n");
			return 2;
		}
	}
	if (!pidfile || !(f = fopen(pidfile, "r"))) {
		perror(pidfile ? pidfile : "--pidfile missing");
		return 2;
	}
	pids = malloc(cap * sizeof(*pids));
	while (pids && fscanf(f, "%d", &pid) == 1) {
		if (n == cap)
			pids = realloc(pids, (cap *= 2) * sizeof(*pids));
		if (pids)
			pids[n++] = pid;
	}
	fclose(f);
	pins = calloc(n ? n : 1, sizeof(*pins));
	last_cpu = calloc(n ? n : 1, sizeof(*last_cpu));
	q = calloc(2 * CHUNK, sizeof(*q));
	t = calloc((size_t)reads + 1, sizeof(*t));
	c = ts_client_open(&err);
	if (!pids || !pins || !last_cpu || !q || !t || !c) {
		fprintf(stderr, "floor: setup failed: %s\n", ts_strerror(err));
		return 1;
	}
	for (k = 0; k < n; k++)
		if (proc_pin_open(pids[k], &pins[k]))
			lost++;
	for (r = -2; r < reads; r++) {
		double t0 = cpu_now();
		struct timespec gap;

		for (k = 0; k < n; k += CHUNK) {
			size_t m = n - k < CHUNK ? n - k : CHUNK, j, nf = 0;

			for (j = 0; j < m; j++)
				q[j] = (struct ts_query){ .kind = TS_ID_TGID,
							  .id = (uint32_t)pids[k + j] };
			err = ts_client_query(c, q, m);
			if (err) {
				fprintf(stderr, "floor: query: %s\n", ts_strerror(err));
				return 1;
			}
			for (j = 0; j < m; j++) {
				uint64_t cpu = q[j].stats.cpu_run_virtual_ns;

				if (cpu == last_cpu[k + j] && full_every > 1 &&
				    (r + (long)(k + j)) % full_every != 0)
					continue;
				last_cpu[k + j] = cpu;
				full[nf] = k + j;
				q[CHUNK + nf++] = (struct ts_query){ .kind = TS_ID_PID,
								      .id = (uint32_t)pids[k + j] };
			}
			if (nf && (err = ts_client_query(c, q + CHUNK, nf))) {
				fprintf(stderr, "floor: query: %s\n", ts_strerror(err));
				return 1;
			}
			for (j = 0; j < nf; j++) {
				struct proc_pin *p = &pins[full[j]];
				char buf[1024];
				ssize_t len;

				if (p->stat_fd < 0)
					continue;
				len = pread(p->stat_fd, buf, sizeof(buf) - 1, 0);
				if (len >= 0 && parse) {
					struct proc_stat_vals st;

					buf[len] = '\0';
					procfs_parse_stat(buf, (size_t)len, &st);
				}
				if (p->io_fd < 0)
					continue;
				len = pread(p->io_fd, buf, sizeof(buf) - 1, 0);
				if (len >= 0 && parse) {
					struct proc_io_vals io;

					buf[len] = '\0';
					procfs_parse_io(buf, (size_t)len, &io);
				}
			}
		}
		if (r >= 0)
			t[r] = cpu_now() - t0;
		gap.tv_sec = (time_t)interval;
		gap.tv_nsec = (long)((interval - (double)gap.tv_sec) * 1e9);
		nanosleep(&gap, NULL);
	}
	for (r = 0; r < reads; r++)
		sum += t[r];
	qsort(t, (size_t)reads, sizeof(*t), cmp_d);
	printf("floor label=%s members=%zu unpinned=%zu reads=%ld mean_us=%.1f "
	       "median_us=%.1f min_us=%.1f parse=%d full_every=%ld\n", label, n, lost, reads,
	       reads ? sum / (double)reads : 0, reads ? t[reads / 2] : 0,
	       reads ? t[0] : 0, parse, full_every);
	ts_client_close(c);
	return 0;
}
