/* ts_micro.c - per-process cost of reading process statistics:
 *   batched   ts_client_query(): TGID requests packed per sendto(), recvmmsg()
 *   single    one sendto()+recvfrom() round trip per TGID (own socket)
 *   procstat  open+read+close of /proc/PID/stat
 * over every process in /proc (optionally EXTRA more sleeping children),
 * median of RUNS runs, reported in microseconds per process.
 *
 *   ts_micro [RUNS [EXTRA]]
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <libmnl/libmnl.h>

#include "ts_client.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static size_t list_pids(uint32_t *ids, size_t cap)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)) != NULL && n < cap)
		if (isdigit((unsigned char)de->d_name[0]))
			ids[n++] = strtoul(de->d_name, NULL, 10);
	if (d)
		closedir(d);
	return n;
}

static double run_batched(struct ts_client *c, struct ts_query *q,
			  const uint32_t *ids, size_t n)
{
	double t0 = now_us();
	size_t i;

	for (i = 0; i < n; i++) {
		q[i].kind = TS_ID_TGID;
		q[i].id = ids[i];
	}
	if (ts_client_query(c, q, n) < 0) {
		fprintf(stderr, "batched query failed\n");
		exit(1);
	}
	return now_us() - t0;
}

static int count_cb(const struct ts_msg *m, void *data)
{
	(void)m;
	(*(int *)data)++;
	return 0;
}

static double run_single(struct mnl_socket *nl, uint16_t family,
			 const uint32_t *ids, size_t n)
{
	static char buf[8192];
	static uint32_t seq = 1000;
	double t0 = now_us();
	size_t i, len;
	ssize_t r;
	int got;

	for (i = 0; i < n; i++) {
		len = ts_put_query(buf, sizeof(buf), family, ++seq, TS_ID_TGID,
				   ids[i]);
		if (mnl_socket_sendto(nl, buf, len) < 0)
			exit(1);
		r = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (r < 0)
			exit(1);
		got = 0;
		ts_parse_datagram(buf, r, family, count_cb, &got);
	}
	return now_us() - t0;
}

static double run_procstat(const uint32_t *ids, size_t n)
{
	char path[64], buf[1024];
	double t0 = now_us();
	size_t i;
	int fd;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%u/stat", ids[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (read(fd, buf, sizeof(buf)) < 0)
			buf[0] = 0;
		close(fd);
	}
	return now_us() - t0;
}

static pid_t *spawn(int extra)
{
	pid_t *kids = calloc(extra + 1, sizeof(*kids));
	int i;

	for (i = 0; i < extra; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			pause();
			_exit(0);
		}
	}
	return kids;
}

static void reap(pid_t *kids, int extra)
{
	int i;

	for (i = 0; i < extra; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < extra; i++)
		waitpid(kids[i], NULL, 0);
	free(kids);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 11;
	int extra = argc > 2 ? atoi(argv[2]) : 0;
	double *tb = calloc(runs, sizeof(double)), *ts = calloc(runs, sizeof(double));
	double *tp = calloc(runs, sizeof(double));
	uint32_t *ids = calloc(65536, sizeof(*ids));
	struct ts_query *q = calloc(65536, sizeof(*q));
	struct ts_client *c;
	struct mnl_socket *nl;
	uint16_t family;
	pid_t *kids;
	size_t n;
	int err = 0, i;

	c = ts_client_open(&err);
	if (c == NULL) {
		fprintf(stderr, "ts_micro: %s\n", ts_strerror(err));
		return 1;
	}
	nl = mnl_socket_open(NETLINK_GENERIC);
	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    ts_genl_resolve(nl, 1, &family) < 0) {
		fprintf(stderr, "ts_micro: single socket: %s\n", strerror(errno));
		return 1;
	}
	kids = spawn(extra);
	n = list_pids(ids, 65536);
	/* warm-up, then interleave the variants so drift hits all alike */
	run_batched(c, q, ids, n);
	run_single(nl, family, ids, n);
	run_procstat(ids, n);
	for (i = 0; i < runs; i++) {
		tb[i] = run_batched(c, q, ids, n) / n;
		ts[i] = run_single(nl, family, ids, n) / n;
		tp[i] = run_procstat(ids, n) / n;
	}
	reap(kids, extra);
	qsort(tb, runs, sizeof(double), cmp_double);
	qsort(ts, runs, sizeof(double), cmp_double);
	qsort(tp, runs, sizeof(double), cmp_double);
	printf("| %6zu procs | %8.2f | %8.2f | %8.2f |\n", n, tb[runs / 2],
	       ts[runs / 2], tp[runs / 2]);
	mnl_socket_close(nl);
	ts_client_close(c);
	free(tb); free(ts); free(tp); free(ids); free(q);
	return 0;
}
