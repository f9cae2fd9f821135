/* test_selector.c - every selector against hand-built proc_ident values. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "selector.h"

static struct proc_ident mk(pid_t pid, const char *comm, const char *cmdline,
			    uid_t uid, const char *cg, const char *cg_sd)
{
	struct proc_ident pi;

	memset(&pi, 0, sizeof(pi));
	pi.pid = pid;
	snprintf(pi.comm, sizeof(pi.comm), "%s", comm);
	pi.cmdline = (char *)cmdline;
	pi.uid = uid;
	pi.cgroup = (char *)cg;
	pi.cgroup_systemd = (char *)cg_sd;
	return pi;
}

static void test_empty(void **st)
{
	struct selset *s = selset_new();
	struct proc_ident pi = mk(1, "init", "/sbin/init", 0, "/", "/");

	assert_true(selset_empty(s));
	assert_false(selset_match(s, &pi));
	assert_int_equal(selset_needs(s), 0);
	selset_free(s);
	selset_free(NULL);
}

static void test_pid(void **st)
{
	struct selset *s = selset_new();
	struct proc_ident a = mk(42, "x", "x", 0, NULL, NULL);
	struct proc_ident b = mk(43, "x", "x", 0, NULL, NULL);
	char err[256] = "";

	assert_int_equal(selset_add_pid(s, 42, err, sizeof(err)), 0);
	assert_false(selset_empty(s));
	assert_true(selset_match(s, &a));
	assert_false(selset_match(s, &b));
	assert_int_equal(selset_add_pid(s, 0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "Pid 0"));
	assert_int_equal(selset_needs(s), 0);
	selset_free(s);
}

static void test_comm(void **st)
{
	struct selset *s = selset_new();
	struct proc_ident a = mk(1, "nginx", "nginx: master process", 0, NULL, NULL);
	struct proc_ident b = mk(2, "nginx2", "nginx2", 0, NULL, NULL);
	struct proc_ident c = mk(3, "ngin", "nginx", 0, NULL, NULL);
	char err[256] = "";

	assert_int_equal(selset_add_comm(s, "nginx", err, sizeof(err)), 0);
	assert_true(selset_match(s, &a));
	assert_false(selset_match(s, &b));	/* exact, not prefix */
	assert_false(selset_match(s, &c));	/* comm, not cmdline */
	assert_int_equal(selset_needs(s), PI_STAT);
	assert_int_equal(selset_add_comm(s, "abcdefghijklmnop", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "abcdefghijklmnop"));
	assert_int_equal(selset_add_comm(s, "abcdefghijklmno", err, sizeof(err)), 0);
	selset_free(s);
}

static void test_match(void **st)
{
	struct selset *s = selset_new();
	struct proc_ident a = mk(1, "python3", "/usr/bin/python3 /srv/app/worker.py --queue fast",
				0, NULL, NULL);
	struct proc_ident b = mk(2, "python3", "/usr/bin/python3 /srv/app/web.py", 0, NULL, NULL);
	char err[256] = "";

	assert_int_equal(selset_add_match(s, "worker\\.py.*--queue (fast|slow)$",
					  err, sizeof(err)), 0);
	assert_true(selset_match(s, &a));
	assert_false(selset_match(s, &b));
	assert_int_equal(selset_needs(s), PI_STAT | PI_CMDLINE);
	selset_free(s);
}

static void test_match_kernel_thread(void **st)
{
	struct selset *s = selset_new();
	struct proc_ident kt = mk(2, "kthreadd", "", 0, NULL, NULL);
	struct proc_ident kw = mk(9, "kworker/0:1", NULL, 0, NULL, NULL);
	struct proc_ident u = mk(10, "bash", "bash -c kworker", 0, NULL, NULL);
	char err[256] = "";

	assert_int_equal(selset_add_match(s, "^kthreadd$", err, sizeof(err)), 0);
	assert_true(selset_match(s, &kt));	/* empty cmdline: comm */
	assert_false(selset_match(s, &kw));
	assert_int_equal(selset_add_match(s, "^kworker/", err, sizeof(err)), 0);
	assert_true(selset_match(s, &kw));	/* cmdline not read: comm */
	assert_false(selset_match(s, &u));	/* has a cmdline: no fallback */
	selset_free(s);
}

static void test_match_invalid(void **st)
{
	struct selset *s = selset_new();
	char err[256] = "";

	assert_int_equal(selset_add_match(s, "foo(bar", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "foo(bar"));
	/* glibc's regerror text for REG_EPAREN */
	assert_non_null(strstr(err, "Unmatched ( or \\("));
	assert_true(selset_empty(s));
	err[0] = '\0';
	assert_int_equal(selset_add_match(s, "a[z-a]", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a[z-a]"));
	assert_true(strlen(err) > strlen("Match \"a[z-a]\": "));
	selset_free(s);
}

static void test_user(void **st)
{
	struct selset *s = selset_new();
	struct proc_ident r = mk(1, "x", "x", 0, NULL, NULL);
	struct proc_ident u = mk(2, "x", "x", 1000, NULL, NULL);
	char err[256] = "";

	assert_int_equal(selset_add_user(s, "root", err, sizeof(err)), 0);
	assert_true(selset_match(s, &r));
	assert_false(selset_match(s, &u));
	assert_int_equal(selset_needs(s), PI_UID);
	selset_free(s);

	s = selset_new();
	assert_int_equal(selset_add_user(s, "0", err, sizeof(err)), 0);
	assert_true(selset_match(s, &r));
	assert_false(selset_match(s, &u));
	assert_int_equal(selset_add_user(s, "1000", err, sizeof(err)), 0);
	assert_true(selset_match(s, &u));
	selset_free(s);
}

static void test_user_unknown(void **st)
{
	struct selset *s = selset_new();
	char err[256] = "";

	assert_int_equal(selset_add_user(s, "no-such-user-xq7", err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "no-such-user-xq7"));
	assert_true(selset_empty(s));
	selset_free(s);
}

static void test_cgroup(void **st)
{
	struct selset *s = selset_new();
	char err[256] = "";
	struct proc_ident exact = mk(1, "x", "x", 0, "/system.slice/nginx.service", NULL);
	struct proc_ident sub = mk(2, "x", "x", 0, "/system.slice/nginx.service/sub", NULL);
	struct proc_ident other = mk(3, "x", "x", 0, "/system.slice/nginx.service2", NULL);
	struct proc_ident parent = mk(4, "x", "x", 0, "/system.slice", NULL);
	struct proc_ident none = mk(5, "x", "x", 0, NULL, NULL);

	assert_int_equal(selset_add_cgroup(s, "/system.slice/nginx.service",
					   err, sizeof(err)), 0);
	assert_true(selset_match(s, &exact));
	assert_true(selset_match(s, &sub));
	assert_false(selset_match(s, &other));
	assert_false(selset_match(s, &parent));
	assert_false(selset_match(s, &none));
	assert_int_equal(selset_needs(s), PI_CGROUP);
	selset_free(s);

	/* a trailing slash is the same prefix */
	s = selset_new();
	assert_int_equal(selset_add_cgroup(s, "/system.slice/nginx.service/",
					   err, sizeof(err)), 0);
	assert_true(selset_match(s, &exact));
	assert_false(selset_match(s, &other));
	selset_free(s);

	/* "/" matches every process with a cgroup path */
	s = selset_new();
	assert_int_equal(selset_add_cgroup(s, "/", err, sizeof(err)), 0);
	assert_true(selset_match(s, &parent));
	assert_false(selset_match(s, &none));
	assert_int_equal(selset_add_cgroup(s, "system.slice", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "system.slice"));
	selset_free(s);
}

static void test_cgroup_hybrid(void **st)
{
	struct selset *s = selset_new();
	char err[256] = "";
	/* hybrid host: v2 at "/", the unit in the name=systemd hierarchy */
	struct proc_ident sd = mk(1, "x", "x", 0, "/", "/system.slice/ssh.service");
	struct proc_ident v2 = mk(2, "x", "x", 0, "/system.slice/ssh.service", NULL);
	struct proc_ident no = mk(3, "x", "x", 0, "/", "/system.slice/sshd.service");

	assert_int_equal(selset_add_cgroup(s, "/system.slice/ssh.service",
					   err, sizeof(err)), 0);
	assert_true(selset_match(s, &sd));
	assert_true(selset_match(s, &v2));
	assert_false(selset_match(s, &no));
	selset_free(s);
}

static void test_any_of(void **st)
{
	struct selset *s = selset_new();
	char err[256] = "";
	struct proc_ident a = mk(10, "a", "a", 1000, "/x", NULL);
	struct proc_ident b = mk(11, "b", "b", 0, "/y", NULL);

	assert_int_equal(selset_add_comm(s, "zzz", err, sizeof(err)), 0);
	assert_int_equal(selset_add_cgroup(s, "/y", err, sizeof(err)), 0);
	assert_int_equal(selset_add_match(s, "^q", err, sizeof(err)), 0);
	assert_int_equal(selset_add_user(s, "2000", err, sizeof(err)), 0);
	assert_false(selset_match(s, &a));
	assert_true(selset_match(s, &b));
	assert_int_equal(selset_needs(s), PI_STAT | PI_CMDLINE | PI_UID | PI_CGROUP);
	selset_free(s);
}

/* ---- pid files ---- */

static void write_file(const char *path, const char *text)
{
	char tmp[512];
	FILE *f;

	/* replace atomically, like daemons do: a new inode each time */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
}

static void test_pidfile(void **st)
{
	char dir[] = "/tmp/test_selector.XXXXXX", path[256], err[256] = "";
	struct proc_ident p100 = mk(100, "d", "d", 0, NULL, NULL);
	struct proc_ident p200 = mk(200, "d", "d", 0, NULL, NULL);
	struct selset *s = selset_new();

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/daemon.pid", dir);
	write_file(path, "100\n");

	assert_int_equal(selset_add_pidfile(s, path, err, sizeof(err)), 0);
	assert_true(selset_match(s, &p100));
	assert_false(selset_match(s, &p200));
	assert_int_equal(selset_refresh_pidfiles(s, err, sizeof(err)), 0);

	write_file(path, "200\n");
	assert_int_equal(selset_refresh_pidfiles(s, err, sizeof(err)), 1);
	assert_false(selset_match(s, &p100));
	assert_true(selset_match(s, &p200));
	assert_int_equal(selset_refresh_pidfiles(s, err, sizeof(err)), 0);

	/* rewritten with the same pid: not a change */
	write_file(path, "200");
	assert_int_equal(selset_refresh_pidfiles(s, err, sizeof(err)), 0);
	assert_true(selset_match(s, &p200));

	/* gone: reported once, the pid is dropped */
	assert_int_equal(unlink(path), 0);
	err[0] = '\0';
	assert_int_equal(selset_refresh_pidfiles(s, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	assert_false(selset_match(s, &p200));
	err[0] = '\0';
	assert_int_equal(selset_refresh_pidfiles(s, err, sizeof(err)), 0);
	assert_string_equal(err, "");

	/* garbage: a new condition, reported once */
	write_file(path, "not a pid\n");
	assert_int_equal(selset_refresh_pidfiles(s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, path));
	assert_int_equal(selset_refresh_pidfiles(s, err, sizeof(err)), 0);

	/* back: matches again; a later loss is reported again */
	write_file(path, "100\n");
	assert_int_equal(selset_refresh_pidfiles(s, err, sizeof(err)), 1);
	assert_true(selset_match(s, &p100));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(selset_refresh_pidfiles(s, err, sizeof(err)), -ENOENT);

	selset_free(s);
	rmdir(dir);
}

static void test_pidfile_missing_at_add(void **st)
{
	char err[256] = "";
	const char *path = "/tmp/test_selector-no-such-dir-q9/x.pid";
	struct proc_ident p1 = mk(1, "init", "init", 0, NULL, NULL);
	struct selset *s = selset_new();

	assert_int_equal(selset_add_pidfile(s, path, err, sizeof(err)), 0);
	assert_false(selset_empty(s));
	assert_false(selset_match(s, &p1));
	assert_int_equal(selset_refresh_pidfiles(s, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file"));
	err[0] = '\0';
	assert_int_equal(selset_refresh_pidfiles(s, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(selset_add_pidfile(s, "", err, sizeof(err)), -EINVAL);
	assert_int_equal(selset_needs(s), 0);
	selset_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_pid),
		cmocka_unit_test(test_comm),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_kernel_thread),
		cmocka_unit_test(test_match_invalid),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_user_unknown),
		cmocka_unit_test(test_cgroup),
		cmocka_unit_test(test_cgroup_hybrid),
		cmocka_unit_test(test_any_of),
		cmocka_unit_test(test_pidfile),
		cmocka_unit_test(test_pidfile_missing_at_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
