/* procfs.h - per-process metric sources from /proc, through kept-open fds.
 *
 * A pin holds /proc/PID/stat and /proc/PID/io open: pread() on them is
 * cheaper than open+read+close, and after the process is reaped it fails
 * with ESRCH instead of showing a newer process that reused the PID.
 * Never logs.
 */
#ifndef PROCFS_H
#define PROCFS_H

#include <stdint.h>
#include <sys/types.h>

struct proc_stat_vals {
	pid_t ppid;
	char state;
	uint32_t flags;			/* field 9: PF_* (PF_EXITING 0x4) */
	long nthreads;
	uint64_t minflt, majflt;	/* process-wide, incl. dead threads */
	uint64_t cminflt, cmajflt;	/* of its wait-reaped children */
	uint64_t utime_ticks, stime_ticks;
	uint64_t cutime_ticks, cstime_ticks;	/* of its wait-reaped children */
	uint64_t start_ticks;		/* field 22, CLOCK_BOOTTIME ticks */
	uint64_t rss_pages;
	char comm[17];
};

/* Exact, process-wide (incl. dead threads and reaped children). */
struct proc_io_vals {
	uint64_t rchar, wchar, syscr, syscw;
	uint64_t read_bytes, write_bytes, cancelled_write_bytes;
};

int procfs_parse_stat(const char *buf, size_t len, struct proc_stat_vals *st);
int procfs_parse_io(const char *buf, size_t len, struct proc_io_vals *io);
/* 1 if the SigIgn: line of /proc/PID/status ignores SIGCHLD (children are
 * then reaped by the kernel and add nothing to the parent), 0 if not,
 * -EPROTO without such a line. */
int procfs_parse_sigchld_ignored(const char *buf, size_t len);

struct proc_pin {
	int stat_fd;
	int io_fd;	/* -1 when io is not readable (e.g. no permission) */
};

/* Returns 0 or -errno (-ENOENT: no such process). */
int proc_pin_open(pid_t pid, struct proc_pin *pin);
/* Fill st and (if io is non-NULL and pinned) io.  -ESRCH: the pinned
 * process is gone (reaped).  io errors leave io zeroed and return 1. */
int proc_pin_read(const struct proc_pin *pin, struct proc_stat_vals *st,
		  struct proc_io_vals *io);
void proc_pin_close(struct proc_pin *pin);

/* The same values through the path, for a process that could not be
 * pinned (out of descriptors): the caller checks st->start_ticks against
 * the instance it expects.  -ESRCH when gone. */
int proc_read_path(pid_t pid, struct proc_stat_vals *st, struct proc_io_vals *io);

/* procfs_parse_sigchld_ignored() of /proc/PID/status; -errno if unreadable. */
int proc_sigchld_ignored(pid_t pid);

/* Clock ticks per second and page size, cached. */
long procfs_hz(void);
long procfs_pagesize(void);
/* Now, in the clock of start_ticks (CLOCK_BOOTTIME), in ns. */
uint64_t procfs_boottime_ns(void);
/* CLOCK_BOOTTIME - CLOCK_MONOTONIC now: the time this machine spent
 * suspended (cn_proc timestamps and taskstats elapsed times leave it out). */
uint64_t procfs_suspended_ns(void);

#endif
