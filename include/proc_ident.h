/* proc_ident.h - what /proc says about one process, for selection.
 *
 * Reads only what the caller asks for (PI_* bits), so a process that just
 * forked or exec'd costs a few small reads, and nothing is read per
 * interval.  Never logs.
 */
#ifndef PROC_IDENT_H
#define PROC_IDENT_H

#include <stdint.h>
#include <sys/types.h>

#define PI_STAT		0x01u	/* ppid, start_ticks, nthreads, state, comm */
#define PI_CMDLINE	0x02u
#define PI_UID		0x04u	/* real uid (status Uid:) */
#define PI_CGROUP	0x08u	/* v2 "0::" path and the name=systemd path */

struct proc_ident {
	pid_t pid;
	pid_t ppid;
	uint64_t start_ticks;	/* /proc/PID/stat field 22: identity with pid */
	long nthreads;
	char state;
	uint32_t flags;		/* PF_*: PF_EXITING (0x4) once it is in exit */
	char comm[17];		/* from stat, NUL-terminated */
	char *cmdline;		/* args joined by ' '; "" for kernel threads */
	uid_t uid;
	char *cgroup;		/* "0::" line path, NULL if none */
	char *cgroup_systemd;	/* "name=systemd" line path, NULL if none */
};

/* Fill pi for pid with the fields in want (PI_STAT always read).
 * Returns 0, or -ENOENT/-ESRCH when the process is gone. */
int proc_ident_read(pid_t pid, unsigned want, struct proc_ident *pi);
void proc_ident_free(struct proc_ident *pi);	/* frees the strings */

/* The pure parsers behind proc_ident_read (text NUL-terminated); 0 or
 * -EPROTO.  parse_stat fills comm, state, ppid, nthreads, start_ticks;
 * parse_cgroup allocates the two paths (NULL when a line is absent). */
int proc_ident_parse_stat(const char *buf, struct proc_ident *pi);
int proc_ident_parse_status_uid(const char *buf, uid_t *uid);
int proc_ident_parse_cgroup(const char *buf, char **v2, char **systemd);

/* Call cb for every process (not thread) in /proc.  Stops on a negative
 * return of cb and returns it; otherwise returns the number of processes. */
int proc_scan(int (*cb)(pid_t pid, void *data), void *data);

/* Host-wide "top consumers" scans: one-shot reads (open, read, close) for
 * any pid, without pinning an fd per process.  The values and parsers are
 * procfs.h's.  0, -ENOENT/-ESRCH (gone), -EACCES (io of another user's
 * process without CAP_SYS_PTRACE), or -EPROTO. */
struct proc_io_vals;
struct proc_stat_vals;
int proc_io_read(pid_t pid, struct proc_io_vals *io);
int proc_stat_read(pid_t pid, struct proc_stat_vals *st);
/* What the process's live threads did themselves (sum of
 * /proc/PID/task/TID/io): unlike /proc/PID/io, without the reaped
 * children, whose I/O the kernel adds to the reaper's. */
int proc_own_io_read(pid_t pid, long nthreads, struct proc_io_vals *io);

#endif
