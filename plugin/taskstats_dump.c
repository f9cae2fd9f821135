/* taskstats_dump.c - build/taskstats-dump: print what the kernel's taskstats
 * family says about processes and threads, one JSON object per line.
 *
 *   taskstats-dump --tgid ID... | --pid ID...   query (both may be mixed)
 *   taskstats-dump --exits                      stream exit records
 *   taskstats-dump --check                      diagnose the environment
 *   taskstats-dump --raw-capture FILE --tgid ID save the raw reply (fixtures)
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libmnl/libmnl.h>

#include "cn_proc.h"
#include "ts_client.h"

#define PROG "taskstats-dump"

static void usage(FILE *out)
{
	fprintf(out,
"usage: " PROG " [--tgid ID...] [--pid ID...]\n"
"       " PROG " --exits\n"
"       " PROG " --check\n"
"       " PROG " --raw-capture FILE (--tgid ID | --pid ID)\n"
"\n"
"  --tgid ID...  query whole processes (thread group ids)\n"
"  --pid ID...   query single tasks (thread ids)\n"
"                one JSON object per line and id, fields named as in\n"
"                struct taskstats, plus \"version\" and \"payload_len\";\n"
"                exit status 1 if any id does not exist\n"
"  --exits       print exit records as JSON lines until SIGINT/SIGTERM\n"
"  --check       diagnose: capability, family, struct version, delay\n"
"                accounting, proc connector; non-zero if taskstats is unusable\n"
"  --raw-capture FILE  write the raw netlink reply for the first id to FILE\n"
"  --help        this text\n");
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

/* {"kind":..,"<idkey>":id,"payload_len":..,<every field sent>} */
static void print_sample(const char *kind, const char *idkey, uint32_t id,
			 const struct ts_sample *s)
{
	int f;

	fputc('{', stdout);
	if (kind != NULL)
		printf("\"kind\":\"%s\",", kind);
	printf("\"%s\":%" PRIu32 ",\"payload_len\":%" PRIu32, idkey, id,
	       s->payload_len);
	for (f = 0; f < TSF_COUNT; f++) {
		if (!ts_has(s, f))
			continue;
		printf(",\"%s\":", ts_field_name(f));
		if (f == TSF_AC_COMM)
			json_string(stdout, s->comm);
		else if (f == TSF_AC_NICE)
			printf("%d", s->nice);
		else
			printf("%" PRIu64, ts_field_u64(s, f));
	}
	fputs("}\n", stdout);
}

static int parse_id(const char *arg, uint32_t *id)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	*id = v;
	return 0;
}

/* Save the raw reply datagram for one query (for tests/fixtures/). */
static int raw_capture(const char *path, enum ts_id_kind kind, uint32_t id)
{
	char buf[8192];
	struct mnl_socket *nl;
	uint16_t family;
	size_t len;
	ssize_t n;
	FILE *f;
	int r;

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (nl == NULL)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out_close;
	}
	r = ts_genl_resolve(nl, 1, &family);
	if (r < 0)
		goto out_close;
	len = ts_put_query(buf, sizeof(buf), family, 2, kind, id);
	if (mnl_socket_sendto(nl, buf, len) < 0 ||
	    (n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0) {
		r = -errno;
		goto out_close;
	}
	f = fopen(path, "we");
	if (f == NULL) {
		r = -errno;
		goto out_close;
	}
	r = fwrite(buf, 1, n, f) == (size_t)n ? 0 : -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
out_close:
	mnl_socket_close(nl);
	return r;
}

static int do_query(struct ts_query *q, size_t n)
{
	struct ts_client *c;
	int err = 0, status = 0;
	size_t i;

	c = ts_client_open(&err);
	if (c == NULL) {
		fprintf(stderr, PROG ": %s\n", ts_strerror(err));
		return 1;
	}
	err = ts_client_query(c, q, n);
	ts_client_close(c);
	if (err < 0) {
		fprintf(stderr, PROG ": %s\n", ts_strerror(err));
		return 1;
	}
	for (i = 0; i < n; i++) {
		const char *key = q[i].kind == TS_ID_TGID ? "tgid" : "pid";

		if (q[i].err == 0) {
			print_sample(NULL, key, q[i].id, &q[i].stats);
			continue;
		}
		printf("{\"%s\":%" PRIu32 ",\"error\":", key, q[i].id);
		json_string(stdout, ts_strerror(q[i].err));
		fputs("}\n", stdout);
		status = 1;
	}
	return status;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int print_exit_record(const struct ts_msg *m, void *data)
{
	if (m->has_pid)
		print_sample("pid", "pid", m->pid, &m->pid_stats);
	if (m->has_tgid)
		print_sample("tgid", "tgid", m->tgid, &m->tgid_stats);
	fflush(stdout);
	return 0;
}

static int do_exits(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct ts_listener *l;
	struct pollfd pfd;
	int err = 0, r = 0;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	l = ts_listener_open(0, &err);
	if (l == NULL) {
		fprintf(stderr, PROG ": exit records: %s\n", ts_strerror(err));
		return 1;
	}
	fprintf(stderr, PROG ": listening for exit records\n");
	pfd = (struct pollfd){ .fd = ts_listener_fd(l), .events = POLLIN };
	while (!stop) {
		if (poll(&pfd, 1, 200) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		r = ts_listener_drain(l, print_exit_record, NULL);
		if (r < 0)
			break;
		r = 0;
	}
	/* records queued before the signal still count */
	if (r == 0)
		r = ts_listener_drain(l, print_exit_record, NULL);
	if (ts_listener_lost(l))
		fprintf(stderr, PROG ": %" PRIu64 " overflow(s): records lost\n",
			ts_listener_lost(l));
	ts_listener_close(l);
	if (r < 0) {
		fprintf(stderr, PROG ": %s\n", ts_strerror(r));
		return 1;
	}
	return 0;
}

/* CAP_NET_ADMIN (bit 12) in /proc/self/status CapEff: 1, 0, or -errno. */
static int cap_net_admin_effective(void)
{
	char line[256];
	unsigned long long eff;
	FILE *f;
	int r = -ENOENT;

	f = fopen("/proc/self/status", "re");
	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			r = (eff >> 12) & 1;
			break;
		}
	fclose(f);
	return r;
}

static int do_check(void)
{
	struct ts_client *c;
	struct ts_sample self;
	struct cn_listener *cn;
	int err = 0, ts_err = 0, cap, da;

	cap = cap_net_admin_effective();
	printf("CAP_NET_ADMIN effective: %s\n",
	       cap < 0 ? "unknown" : cap ? "yes" : "no");

	c = ts_client_open(&err);
	if (c == NULL) {
		printf("taskstats: unusable: %s\n", ts_strerror(err));
		ts_err = err;
	} else {
		printf("taskstats family id: %u\n", ts_client_family(c));
		err = ts_client_get(c, TS_ID_PID, getpid(), &self);
		if (err < 0) {
			printf("taskstats: query failed: %s\n", ts_strerror(err));
			ts_err = err;
		} else {
			printf("struct taskstats version: %u\n", self.version);
			printf("payload length: %" PRIu32 " bytes\n",
			       self.payload_len);
		}
		ts_client_close(c);
	}

	da = ts_delayacct_enabled();
	if (da < 0)
		printf("delay accounting: unknown (%s)\n", strerror(-da));
	else
		printf("delay accounting: %s (kernel.task_delayacct=%d)%s\n",
		       da ? "on" : "off", da,
		       da ? "" : "; blkio/swapin/... delays will read 0");

	cn = cn_listener_open(0, CN_EV_EXIT, &err);
	if (cn != NULL) {
		printf("proc connector: reachable\n");
		cn_listener_close(cn);
	} else {
		printf("proc connector: unreachable: %s\n",
		       err == -ECONNREFUSED ?
		       "connection refused (another network namespace?)" :
		       strerror(-err));
	}

	if (ts_err < 0) {
		fprintf(stderr, PROG ": %s\n", ts_strerror(ts_err));
		return 1;
	}
	printf("taskstats: usable\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct ts_query *q;
	enum ts_id_kind kind = TS_ID_TGID;
	const char *raw = NULL;
	bool have_kind = false;
	size_t n = 0;
	int i, r;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--exits") && argc == 2)
		return do_exits();
	if (!strcmp(argv[1], "--check") && argc == 2)
		return do_check();

	q = calloc(argc, sizeof(*q));
	if (q == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tgid") || !strcmp(argv[i], "--pid")) {
			kind = argv[i][2] == 't' ? TS_ID_TGID : TS_ID_PID;
			have_kind = true;
		} else if (!strcmp(argv[i], "--raw-capture") && i + 1 < argc) {
			raw = argv[++i];
		} else if (have_kind && parse_id(argv[i], &q[n].id) == 0) {
			q[n++].kind = kind;
		} else {
			fprintf(stderr, PROG ": bad argument '%s' (see --help)\n",
				argv[i]);
			free(q);
			return 2;
		}
	}
	if (n == 0) {
		fprintf(stderr, PROG ": no id given (see --help)\n");
		free(q);
		return 2;
	}
	if (raw != NULL) {
		r = raw_capture(raw, q[0].kind, q[0].id);
		if (r < 0) {
			fprintf(stderr, PROG ": raw capture to %s: %s\n", raw,
				ts_strerror(r));
			free(q);
			return 1;
		}
	}
	r = do_query(q, n);
	free(q);
	return r;
}
