/* procfs.c - /proc/PID/stat and /proc/PID/io through kept-open fds. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"

long procfs_hz(void)
{
	static long hz;

	if (!hz)
		hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
	return hz;
}

long procfs_pagesize(void)
{
	static long ps;

	if (!ps)
		ps = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
	return ps;
}

uint64_t procfs_boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t procfs_suspended_ns(void)
{
	struct timespec ts;
	uint64_t mono;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	mono = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return procfs_boottime_ns() - mono;
}

/* A decimal number within [*p, end); a leading '-' (nice, priority) reads
 * as 0.  Advances *p.  Returns false when there is no digit. */
static bool parse_u64(const char **p, const char *end, unsigned long long *v)
{
	const char *q = *p;
	bool neg = q < end && *q == '-';

	if (neg)
		q++;
	if (q >= end || *q < '0' || *q > '9')
		return false;
	for (*v = 0; q < end && *q >= '0' && *q <= '9'; q++)
		*v = *v * 10 + (unsigned long long)(*q - '0');
	if (neg)
		*v = 0;
	*p = q;
	return true;
}

/* stat: "pid (comm) state ppid ..." - comm may hold spaces and ')', so the
 * fields start after the LAST ')'.  Field numbers as in proc(5). */
int procfs_parse_stat(const char *buf, size_t len, struct proc_stat_vals *st)
{
	const char *open, *close, *p, *end = buf + len;
	unsigned long long v[52];
	size_t clen;
	int field;

	memset(st, 0, sizeof(*st));
	open = memchr(buf, '(', len);
	close = NULL;
	for (p = buf; p < end; p++)
		if (*p == ')')
			close = p;
	if (!open || !close || close < open || close + 4 > end)
		return -EPROTO;
	clen = (size_t)(close - open - 1);
	if (clen > sizeof(st->comm) - 1)
		clen = sizeof(st->comm) - 1;
	memcpy(st->comm, open + 1, clen);
	st->state = close[2];
	p = close + 3;
	memset(v, 0, sizeof(v));
	for (field = 4; field < 52 && p < end; field++) {
		while (p < end && *p == ' ')
			p++;
		if (p >= end || *p == '\n')
			break;
		if (!parse_u64(&p, end, &v[field]))
			return -EPROTO;
	}
	if (field <= 24)
		return -EPROTO;
	st->ppid = (pid_t)v[4];
	st->flags = (uint32_t)v[9];
	st->minflt = v[10];
	st->cminflt = v[11];
	st->majflt = v[12];
	st->cmajflt = v[13];
	st->utime_ticks = v[14];
	st->stime_ticks = v[15];
	st->cutime_ticks = v[16];
	st->cstime_ticks = v[17];
	st->nthreads = (long)v[20];
	st->start_ticks = v[22];
	st->rss_pages = v[24];
	return 0;
}

int procfs_parse_io(const char *buf, size_t len, struct proc_io_vals *io)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "rchar: ", offsetof(struct proc_io_vals, rchar) },
		{ "wchar: ", offsetof(struct proc_io_vals, wchar) },
		{ "syscr: ", offsetof(struct proc_io_vals, syscr) },
		{ "syscw: ", offsetof(struct proc_io_vals, syscw) },
		{ "read_bytes: ", offsetof(struct proc_io_vals, read_bytes) },
		{ "write_bytes: ", offsetof(struct proc_io_vals, write_bytes) },
		{ "cancelled_write_bytes: ",
		  offsetof(struct proc_io_vals, cancelled_write_bytes) },
	};
	const char *p = buf, *end = buf + len;
	unsigned found = 0;

	memset(io, 0, sizeof(*io));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t i;

		if (!nl)
			nl = end;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t kl = strlen(keys[i].key);

			const char *q = p + kl;
			unsigned long long v;

			if ((size_t)(nl - p) > kl && !memcmp(p, keys[i].key, kl) &&
			    parse_u64(&q, nl, &v)) {
				*(uint64_t *)((char *)io + keys[i].off) = v;
				found |= 1u << i;
			}
		}
		p = nl + 1;
	}
	return found == 0x7f ? 0 : -EPROTO;
}

int procfs_parse_sigchld_ignored(const char *buf, size_t len)
{
	static const char key[] = "SigIgn:";
	const char *p = buf, *end = buf + len;
	unsigned long long mask = 0;
	int digits = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			nl = end;
		if ((size_t)(nl - p) > sizeof(key) - 1 &&
		    !memcmp(p, key, sizeof(key) - 1)) {
			for (p += sizeof(key) - 1; p < nl && (*p == ' ' || *p == '\t'); p++)
				;
			for (; p < nl && digits < 16; p++, digits++) {
				int d = *p >= '0' && *p <= '9' ? *p - '0'
				      : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
				      : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;

				if (d < 0)
					break;
				mask = mask << 4 | (unsigned long long)d;
			}
			if (!digits)
				return -EPROTO;
			return (mask >> (SIGCHLD - 1)) & 1;
		}
		p = nl + 1;
	}
	return -EPROTO;
}

int proc_pin_open(pid_t pid, struct proc_pin *pin)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	pin->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pin->stat_fd < 0) {
		pin->io_fd = -1;
		return -errno;
	}
	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	pin->io_fd = open(path, O_RDONLY | O_CLOEXEC);
	return 0;
}

static ssize_t pin_pread(int fd, char *buf, size_t size)
{
	ssize_t n;

	do
		n = pread(fd, buf, size - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

int proc_pin_read(const struct proc_pin *pin, struct proc_stat_vals *st,
		  struct proc_io_vals *io)
{
	char buf[1024];
	ssize_t n;
	int err;

	if (pin->stat_fd < 0)
		return -EBADF;
	n = pin_pread(pin->stat_fd, buf, sizeof(buf));
	if (n < 0)
		return errno == ESRCH || errno == ENOENT ? -ESRCH : -errno;
	err = procfs_parse_stat(buf, (size_t)n, st);
	if (err)
		return err;
	if (!io)
		return 0;
	memset(io, 0, sizeof(*io));
	if (pin->io_fd < 0)
		return 1;
	n = pin_pread(pin->io_fd, buf, sizeof(buf));
	if (n < 0)
		return errno == ESRCH || errno == ENOENT ? -ESRCH : 1;
	return procfs_parse_io(buf, (size_t)n, io) ? 1 : 0;
}

int proc_read_path(pid_t pid, struct proc_stat_vals *st, struct proc_io_vals *io)
{
	struct proc_pin pin;
	int err = proc_pin_open(pid, &pin);

	if (err)
		return err == -ENOENT ? -ESRCH : err;
	err = proc_pin_read(&pin, st, io);
	proc_pin_close(&pin);
	return err;
}

void proc_pin_close(struct proc_pin *pin)
{
	if (pin->stat_fd >= 0)
		close(pin->stat_fd);
	if (pin->io_fd >= 0)
		close(pin->io_fd);
	pin->stat_fd = pin->io_fd = -1;
}

int proc_sigchld_ignored(pid_t pid)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pin_pread(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	return procfs_parse_sigchld_ignored(buf, (size_t)n);
}
