/* selector.h - which processes belong to a group.
 *
 * A selector set is the list of selectors of one <Group>; a process
 * belongs to the group if it matches any of them.  Matching is pure: it
 * looks at a proc_ident the caller read.  Pid files are re-read by
 * selset_refresh_pidfiles() when they change.  Never logs: errors are
 * returned with a message in errbuf.
 */
#ifndef SELECTOR_H
#define SELECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "proc_ident.h"

struct selset;

struct selset *selset_new(void);
void selset_free(struct selset *s);	/* NULL-safe */

/* Each returns 0, or -errno with a human message in errbuf. */
int selset_add_pid(struct selset *s, pid_t pid, char *errbuf, size_t n);
int selset_add_pidfile(struct selset *s, const char *path, char *errbuf, size_t n);
int selset_add_comm(struct selset *s, const char *comm, char *errbuf, size_t n);
int selset_add_match(struct selset *s, const char *regex, char *errbuf, size_t n);
int selset_add_user(struct selset *s, const char *name_or_uid, char *errbuf, size_t n);
int selset_add_cgroup(struct selset *s, const char *prefix, char *errbuf, size_t n);

bool selset_empty(const struct selset *s);
/* PI_* bits a match needs (so the caller reads only those). */
unsigned selset_needs(const struct selset *s);
bool selset_match(const struct selset *s, const struct proc_ident *pi);

/* Re-read pid files whose mtime/inode changed.  Returns 1 if the set of
 * pids changed, 0 if not.  A missing or unreadable file is reported once
 * per condition through errbuf (returns -errno, message in errbuf); its
 * pid is dropped then (it may be reused), so treat -errno as "changed".
 * A file missing at add time is not an error there: the first refresh
 * reports it. */
int selset_refresh_pidfiles(struct selset *s, char *errbuf, size_t n);

#endif
