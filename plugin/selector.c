/* selector.c - the selectors of one group, matched against a proc_ident.
 *
 * Matching is pure; only pid files touch the file system (at add time and
 * in selset_refresh_pidfiles).  Never logs: errors come back as -errno with
 * a message in errbuf.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "selector.h"

#define SEL_COMM_MAX	15	/* TASK_COMM_LEN - 1 */

struct sel_pidfile {
	char *path;
	pid_t pid;		/* 0: none */
	bool have_stat;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int reported;		/* -errno last reported, 0 when fine */
};

struct sel_regex {
	regex_t re;
	char *src;
};

struct selset {
	pid_t *pids;		size_t n_pids;
	struct sel_pidfile *pidfiles; size_t n_pidfiles;
	char **comms;		size_t n_comms;
	struct sel_regex *regexes; size_t n_regexes;
	uid_t *uids;		size_t n_uids;
	char **cgroups;		size_t n_cgroups;
};

__attribute__((format(printf, 4, 5)))
static int sel_err(char *errbuf, size_t n, int err, const char *fmt, ...)
{
	va_list ap;

	if (errbuf && n) {
		va_start(ap, fmt);
		vsnprintf(errbuf, n, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* Grow an array by one element; returns the new slot or NULL. */
static void *sel_grow(void *arrp, size_t *count, size_t elem)
{
	void **arr = arrp;
	char *t = realloc(*arr, (*count + 1) * elem);

	if (!t)
		return NULL;
	*arr = t;
	memset(t + *count * elem, 0, elem);
	return t + (*count)++ * elem;
}

struct selset *selset_new(void)
{
	return calloc(1, sizeof(struct selset));
}

void selset_free(struct selset *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_pidfiles; i++)
		free(s->pidfiles[i].path);
	for (i = 0; i < s->n_comms; i++)
		free(s->comms[i]);
	for (i = 0; i < s->n_regexes; i++) {
		regfree(&s->regexes[i].re);
		free(s->regexes[i].src);
	}
	for (i = 0; i < s->n_cgroups; i++)
		free(s->cgroups[i]);
	free(s->pids);
	free(s->pidfiles);
	free(s->comms);
	free(s->regexes);
	free(s->uids);
	free(s->cgroups);
	free(s);
}

/* ---- Pid and PidFile ---- */

int selset_add_pid(struct selset *s, pid_t pid, char *errbuf, size_t n)
{
	pid_t *slot;

	if (pid <= 0)
		return sel_err(errbuf, n, -EINVAL, "Pid %d: not a process id",
			       (int)pid);
	slot = sel_grow(&s->pids, &s->n_pids, sizeof(*slot));
	if (!slot)
		return sel_err(errbuf, n, -ENOMEM, "out of memory");
	*slot = pid;
	return 0;
}

/* Parse "1234\n" (surrounding white space allowed).  0 or -EINVAL. */
static int sel_parse_pid(const char *buf, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || errno || v <= 0 || v > 0x7fffffff)
		return -EINVAL;
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (*end)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

/* Read a pid file.  Fills st; returns 0 or -errno. */
static int sel_pidfile_read(const char *path, pid_t *pid, struct stat *st)
{
	char buf[64];
	ssize_t len;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0) {
		rc = -errno;
		goto out;
	}
	len = read(fd, buf, sizeof(buf) - 1);
	if (len < 0) {
		rc = -errno;
		goto out;
	}
	buf[len] = '\0';
	rc = sel_parse_pid(buf, pid);
out:
	close(fd);
	return rc;
}

static bool sel_pidfile_same(const struct sel_pidfile *pf, const struct stat *st)
{
	return pf->have_stat && pf->dev == st->st_dev && pf->ino == st->st_ino &&
	       pf->size == st->st_size &&
	       pf->mtime.tv_sec == st->st_mtim.tv_sec &&
	       pf->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static void sel_pidfile_remember(struct sel_pidfile *pf, const struct stat *st)
{
	pf->have_stat = true;
	pf->dev = st->st_dev;
	pf->ino = st->st_ino;
	pf->size = st->st_size;
	pf->mtime = st->st_mtim;
}

/* Re-read one pid file if it changed.  Returns 1 (pid changed), 0, or a
 * newly seen -errno condition (message in errbuf). */
static int sel_pidfile_refresh(struct sel_pidfile *pf, char *errbuf, size_t n)
{
	struct stat st;
	pid_t pid = 0;
	int rc, changed;

	if (stat(pf->path, &st) == 0 && sel_pidfile_same(pf, &st) &&
	    pf->reported == 0)
		return 0;
	rc = sel_pidfile_read(pf->path, &pid, &st);
	if (rc < 0)
		pid = 0;	/* stale: the pid may be reused by now */
	changed = pid != pf->pid;
	pf->pid = pid;
	if (rc == 0) {
		sel_pidfile_remember(pf, &st);
		pf->reported = 0;
		return changed;
	}
	pf->have_stat = false;
	if (rc == pf->reported)
		return changed;
	pf->reported = rc;
	if (rc == -EINVAL)
		return sel_err(errbuf, n, rc, "PidFile \"%s\": no process id in it",
			       pf->path);
	return sel_err(errbuf, n, rc, "PidFile \"%s\": %s", pf->path,
		       strerror(-rc));
}

int selset_add_pidfile(struct selset *s, const char *path, char *errbuf, size_t n)
{
	struct sel_pidfile *pf;
	struct stat st;
	char *copy;

	if (!path || !*path)
		return sel_err(errbuf, n, -EINVAL, "PidFile: empty path");
	copy = strdup(path);
	if (!copy)
		return sel_err(errbuf, n, -ENOMEM, "out of memory");
	pf = sel_grow(&s->pidfiles, &s->n_pidfiles, sizeof(*pf));
	if (!pf) {
		free(copy);
		return sel_err(errbuf, n, -ENOMEM, "out of memory");
	}
	pf->path = copy;
	/* a daemon that is not running yet is fine: refresh reports it */
	if (sel_pidfile_read(path, &pf->pid, &st) == 0)
		sel_pidfile_remember(pf, &st);
	else
		pf->pid = 0;
	return 0;
}

int selset_refresh_pidfiles(struct selset *s, char *errbuf, size_t n)
{
	int changed = 0, err = 0;
	size_t i;

	for (i = 0; i < s->n_pidfiles; i++) {
		/* keep the first new error's message, refresh all files */
		int rc = sel_pidfile_refresh(&s->pidfiles[i], err ? NULL : errbuf,
					     err ? 0 : n);

		if (rc < 0 && !err)
			err = rc;
		else if (rc > 0)
			changed = 1;
	}
	return err ? err : changed;
}

/* ---- Comm, Match, User, Cgroup ---- */

int selset_add_comm(struct selset *s, const char *comm, char *errbuf, size_t n)
{
	char **slot, *copy;

	if (!comm || !*comm)
		return sel_err(errbuf, n, -EINVAL, "Comm: empty name");
	if (strlen(comm) > SEL_COMM_MAX)
		return sel_err(errbuf, n, -EINVAL,
			       "Comm \"%s\" is longer than %d characters, the "
			       "kernel's limit, so it never matches; use Match",
			       comm, SEL_COMM_MAX);
	copy = strdup(comm);
	slot = copy ? sel_grow(&s->comms, &s->n_comms, sizeof(*slot)) : NULL;
	if (!slot) {
		free(copy);
		return sel_err(errbuf, n, -ENOMEM, "out of memory");
	}
	*slot = copy;
	return 0;
}

int selset_add_match(struct selset *s, const char *regex, char *errbuf, size_t n)
{
	struct sel_regex *slot;
	char msg[256];
	regex_t re;
	char *copy;
	int rc;

	if (!regex)
		return sel_err(errbuf, n, -EINVAL, "Match: no regex");
	rc = regcomp(&re, regex, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, &re, msg, sizeof(msg));
		return sel_err(errbuf, n, -EINVAL, "Match \"%s\": %s", regex, msg);
	}
	copy = strdup(regex);
	slot = copy ? sel_grow(&s->regexes, &s->n_regexes, sizeof(*slot)) : NULL;
	if (!slot) {
		free(copy);
		regfree(&re);
		return sel_err(errbuf, n, -ENOMEM, "out of memory");
	}
	slot->re = re;
	slot->src = copy;
	return 0;
}

static bool sel_all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int sel_lookup_user(const char *name, uid_t *uid, char *errbuf, size_t n)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int rc;

	if (sel_all_digits(name)) {
		unsigned long v;

		errno = 0;
		v = strtoul(name, NULL, 10);
		if (errno || v >= (uid_t)-1)
			return sel_err(errbuf, n, -EINVAL, "User \"%s\": uid out of range",
				       name);
		*uid = (uid_t)v;
		return 0;
	}
	rc = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (rc != 0)
		return sel_err(errbuf, n, -rc, "User \"%s\": lookup failed: %s",
			       name, strerror(rc));
	if (!res)
		return sel_err(errbuf, n, -ENOENT, "User \"%s\": no such user", name);
	*uid = res->pw_uid;
	return 0;
}

int selset_add_user(struct selset *s, const char *name_or_uid, char *errbuf, size_t n)
{
	uid_t uid, *slot;
	int rc;

	if (!name_or_uid || !*name_or_uid)
		return sel_err(errbuf, n, -EINVAL, "User: empty name");
	rc = sel_lookup_user(name_or_uid, &uid, errbuf, n);
	if (rc < 0)
		return rc;
	slot = sel_grow(&s->uids, &s->n_uids, sizeof(*slot));
	if (!slot)
		return sel_err(errbuf, n, -ENOMEM, "out of memory");
	*slot = uid;
	return 0;
}

int selset_add_cgroup(struct selset *s, const char *prefix, char *errbuf, size_t n)
{
	char **slot, *copy;
	size_t len;

	if (!prefix || prefix[0] != '/')
		return sel_err(errbuf, n, -EINVAL,
			       "Cgroup \"%s\": must be an absolute path such as "
			       "/system.slice/nginx.service", prefix ? prefix : "");
	copy = strdup(prefix);
	if (!copy)
		return sel_err(errbuf, n, -ENOMEM, "out of memory");
	/* "/a/b/" matches like "/a/b"; "/" stays (matches everything) */
	len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	slot = sel_grow(&s->cgroups, &s->n_cgroups, sizeof(*slot));
	if (!slot) {
		free(copy);
		return sel_err(errbuf, n, -ENOMEM, "out of memory");
	}
	*slot = copy;
	return 0;
}

/* ---- queries ---- */

bool selset_empty(const struct selset *s)
{
	return !s || (s->n_pids + s->n_pidfiles + s->n_comms + s->n_regexes +
		      s->n_uids + s->n_cgroups) == 0;
}

unsigned selset_needs(const struct selset *s)
{
	unsigned need = 0;

	if (!s)
		return 0;
	if (s->n_comms)
		need |= PI_STAT;
	if (s->n_regexes)
		need |= PI_STAT | PI_CMDLINE;	/* comm is the fallback */
	if (s->n_uids)
		need |= PI_UID;
	if (s->n_cgroups)
		need |= PI_CGROUP;
	return need;
}

/* path is under prefix on a component boundary. */
static bool sel_cgroup_under(const char *path, const char *prefix)
{
	size_t len = strlen(prefix);

	if (!path)
		return false;
	if (len == 1)			/* "/" */
		return path[0] == '/';
	return strncmp(path, prefix, len) == 0 &&
	       (path[len] == '\0' || path[len] == '/');
}

static bool sel_match_pid(const struct selset *s, pid_t pid)
{
	size_t i;

	for (i = 0; i < s->n_pids; i++)
		if (s->pids[i] == pid)
			return true;
	for (i = 0; i < s->n_pidfiles; i++)
		if (s->pidfiles[i].pid && s->pidfiles[i].pid == pid)
			return true;
	return false;
}

static bool sel_match_names(const struct selset *s, const struct proc_ident *pi)
{
	const char *text;
	size_t i;

	for (i = 0; i < s->n_comms; i++)
		if (strcmp(s->comms[i], pi->comm) == 0)
			return true;
	/* kernel threads have no command line: match their comm */
	text = pi->cmdline && *pi->cmdline ? pi->cmdline : pi->comm;
	for (i = 0; i < s->n_regexes; i++)
		if (regexec(&s->regexes[i].re, text, 0, NULL, 0) == 0)
			return true;
	return false;
}

bool selset_match(const struct selset *s, const struct proc_ident *pi)
{
	size_t i;

	if (!s || !pi)
		return false;
	if (sel_match_pid(s, pi->pid) || sel_match_names(s, pi))
		return true;
	for (i = 0; i < s->n_uids; i++)
		if (s->uids[i] == pi->uid)
			return true;
	for (i = 0; i < s->n_cgroups; i++)
		if (sel_cgroup_under(pi->cgroup, s->cgroups[i]) ||
		    sel_cgroup_under(pi->cgroup_systemd, s->cgroups[i]))
			return true;
	return false;
}
