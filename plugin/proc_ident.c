/* proc_ident.c - read what /proc says about one process, for selection.
 *
 * All files are opened relative to one /proc/PID directory fd, so every
 * field comes from the same process instance: if the pid is reaped (and
 * maybe reused) between reads, the kernel answers ESRCH rather than
 * showing the newer process.  Never logs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "proc_ident.h"
#include "procfs.h"

#define PI_CMDLINE_MAX	(128u << 10)	/* longer command lines are cut */

/* Read a small file into buf (NUL-terminated).  Returns length or -errno. */
static ssize_t pi_read_small(int dfd, const char *name, char *buf, size_t size)
{
	size_t len = 0;
	int fd, err = 0;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return err ? err : (ssize_t)len;
}

/* Next space-separated number after *p; advances *p. */
static int pi_next_num(const char **p, unsigned long long *v)
{
	char *end;

	while (**p == ' ')
		(*p)++;
	if (**p < '0' || **p > '9') {
		if (**p != '-')
			return -EPROTO;
	}
	errno = 0;
	*v = strtoull(*p, &end, 10);
	if (end == *p || errno)
		return -EPROTO;
	*p = end;
	return 0;
}

/* Parse the text of /proc/PID/stat.  comm may hold spaces and ')', so the
 * fields start after the LAST ')'. */
int proc_ident_parse_stat(const char *buf, struct proc_ident *pi)
{
	struct proc_stat_vals st;	/* one /proc/PID/stat parser: procfs's */
	int err = procfs_parse_stat(buf, strlen(buf), &st);

	if (err)
		return err;
	memcpy(pi->comm, st.comm, sizeof(pi->comm));
	pi->state = st.state;
	pi->flags = st.flags;
	pi->ppid = st.ppid;
	pi->nthreads = st.nthreads;
	pi->start_ticks = st.start_ticks;
	return 0;
}

static int pi_read_stat(int dfd, struct proc_ident *pi)
{
	char buf[1024];
	ssize_t n = pi_read_small(dfd, "stat", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ESRCH;	/* an empty read: the task is gone */
	return proc_ident_parse_stat(buf, pi);
}

/* cmdline: NUL-separated args, joined with spaces; "" for kernel threads. */
static int pi_read_cmdline(int dfd, struct proc_ident *pi)
{
	size_t cap = 512, len = 0, i;
	char *s = malloc(cap), *t;
	int fd, rc = 0;

	if (!s)
		return -ENOMEM;
	fd = openat(dfd, "cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			if (cap >= PI_CMDLINE_MAX)
				break;
			t = realloc(s, cap * 2);
			if (!t) {
				rc = -ENOMEM;
				goto fail_close;
			}
			s = t;
			cap *= 2;
		}
		n = read(fd, s + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto fail_close;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	while (len > 0 && s[len - 1] == '\0')
		len--;
	for (i = 0; i < len; i++)
		if (s[i] == '\0')
			s[i] = ' ';
	s[len] = '\0';
	pi->cmdline = s;
	return 0;

fail_close:
	close(fd);
fail:
	free(s);
	return rc;
}

int proc_ident_parse_status_uid(const char *buf, uid_t *uid)
{
	const char *p = strstr(buf, "\nUid:");
	unsigned long long v;

	if (!p)
		return -EPROTO;
	p += 5;
	while (*p == '\t' || *p == ' ')
		p++;
	if (pi_next_num(&p, &v) < 0)
		return -EPROTO;
	*uid = (uid_t)v;
	return 0;
}

static int pi_read_uid(int dfd, struct proc_ident *pi)
{
	char buf[4096];	/* Uid: is line 9, well within */
	ssize_t n = pi_read_small(dfd, "status", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ESRCH;
	return proc_ident_parse_status_uid(buf, &pi->uid);
}

/* Duplicate the rest of a cgroup line (up to '\n'). */
static char *pi_line_dup(const char *p)
{
	const char *e = strchr(p, '\n');

	return strndup(p, e ? (size_t)(e - p) : strlen(p));
}

int proc_ident_parse_cgroup(const char *buf, char **v2, char **systemd)
{
	const char *line = buf;

	*v2 = *systemd = NULL;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		const char *c1 = strchr(line, ':');
		const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (c2 && (!nl || c2 < nl)) {
			size_t clen = (size_t)(c2 - c1 - 1);

			if (!*v2 && !strncmp(line, "0::", 3))
				*v2 = pi_line_dup(line + 3);
			else if (!*systemd && clen == 12 &&
				 !strncmp(c1 + 1, "name=systemd", 12))
				*systemd = pi_line_dup(c2 + 1);
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

static int pi_read_cgroup(int dfd, struct proc_ident *pi)
{
	char buf[4096];
	ssize_t n = pi_read_small(dfd, "cgroup", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ESRCH;
	return proc_ident_parse_cgroup(buf, &pi->cgroup, &pi->cgroup_systemd);
}

static int pi_open_dir(pid_t pid)
{
	char path[32];
	int fd;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int proc_ident_read(pid_t pid, unsigned want, struct proc_ident *pi)
{
	int dfd, rc;

	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	dfd = pi_open_dir(pid);
	if (dfd < 0)
		return dfd;
	rc = pi_read_stat(dfd, pi);
	if (rc == 0 && (want & PI_CMDLINE))
		rc = pi_read_cmdline(dfd, pi);
	if (rc == 0 && (want & PI_UID))
		rc = pi_read_uid(dfd, pi);
	if (rc == 0 && (want & PI_CGROUP))
		rc = pi_read_cgroup(dfd, pi);
	close(dfd);
	if (rc < 0) {
		proc_ident_free(pi);
		pi->pid = pid;
	}
	return rc;
}

void proc_ident_free(struct proc_ident *pi)
{
	if (!pi)
		return;
	free(pi->cmdline);
	free(pi->cgroup);
	free(pi->cgroup_systemd);
	pi->cmdline = pi->cgroup = pi->cgroup_systemd = NULL;
}

struct pi_dirent64 {		/* the kernel's linux_dirent64 */
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static pid_t pi_name_pid(const char *s)
{
	long v = 0;

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return 0;
		v = v * 10 + (*s - '0');
	}
	return (pid_t)v;
}

/* cb for every numeric entry of the directory path; getdents64 into a
 * stack buffer: no allocation. */
static int pi_scan_numeric(const char *path, int (*cb)(pid_t pid, void *data),
			   void *data)
{
	char buf[8192] __attribute__((aligned(8)));
	int fd, count = 0, rc = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		long off;

		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		for (off = 0; off < n;) {
			struct pi_dirent64 *d = (struct pi_dirent64 *)(buf + off);
			pid_t pid = pi_name_pid(d->d_name);

			off += d->d_reclen;
			if (pid <= 0)
				continue;
			rc = cb ? cb(pid, data) : 0;
			if (rc < 0)
				goto out;
			count++;
		}
	}
	rc = count;
out:
	close(fd);
	return rc;
}

/* /proc lists only thread-group leaders, so every numeric entry is a
 * process. */
int proc_scan(int (*cb)(pid_t pid, void *data), void *data)
{
	return pi_scan_numeric("/proc", cb, data);
}

/* One file of /proc/PID, read whole into buf. */
static ssize_t pi_read_pid_file(pid_t pid, const char *name, char *buf,
				size_t size)
{
	int dfd = pi_open_dir(pid);
	ssize_t n;

	if (dfd < 0)
		return dfd;
	n = pi_read_small(dfd, name, buf, size);
	close(dfd);
	if (n == 0)
		return -ESRCH;	/* the task exited between open and read */
	return n;
}

int proc_io_read(pid_t pid, struct proc_io_vals *io)
{
	char buf[512];	/* 7 lines of "key: u64" */
	ssize_t n = pi_read_pid_file(pid, "io", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return procfs_parse_io(buf, (size_t)n, io) < 0 ? -EPROTO : 0;
}

struct pi_task_io {
	int dfd;		/* /proc/PID, opened once for all its threads */
	struct proc_io_vals sum;
};

static int pi_add_task_io(pid_t tid, void *data)
{
	struct pi_task_io *t = data;
	struct proc_io_vals io;
	char name[48];
	ssize_t n;
	char buf[512];

	snprintf(name, sizeof(name), "task/%d/io", (int)tid);
	n = pi_read_small(t->dfd, name, buf, sizeof(buf));
	if (n <= 0 || procfs_parse_io(buf, (size_t)n, &io) < 0)
		return 0;	/* that thread ended meanwhile */
	t->sum.rchar += io.rchar;
	t->sum.wchar += io.wchar;
	t->sum.syscr += io.syscr;
	t->sum.syscw += io.syscw;
	t->sum.read_bytes += io.read_bytes;
	t->sum.write_bytes += io.write_bytes;
	t->sum.cancelled_write_bytes += io.cancelled_write_bytes;
	return 0;
}

int proc_own_io_read(pid_t pid, long nthreads, struct proc_io_vals *io)
{
	struct pi_task_io t = { .dfd = -1 };
	char path[48];
	int rc;

	if (nthreads <= 1) {
		char buf[512];
		ssize_t n;

		snprintf(path, sizeof(path), "task/%d/io", (int)pid);
		n = pi_read_pid_file(pid, path, buf, sizeof(buf));
		if (n < 0)
			return (int)n;
		return procfs_parse_io(buf, (size_t)n, io) < 0 ? -EPROTO : 0;
	}
	t.dfd = pi_open_dir(pid);
	if (t.dfd < 0)
		return t.dfd == -ENOENT ? -ESRCH : t.dfd;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	rc = pi_scan_numeric(path, pi_add_task_io, &t);
	close(t.dfd);
	if (rc < 0)
		return rc == -ENOENT ? -ESRCH : rc;
	*io = t.sum;
	return 0;
}

int proc_stat_read(pid_t pid, struct proc_stat_vals *st)
{
	char buf[1024];
	ssize_t n = pi_read_pid_file(pid, "stat", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return procfs_parse_stat(buf, (size_t)n, st) < 0 ? -EPROTO : 0;
}
