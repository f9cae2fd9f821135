/* taskstats.c - the collectd glue: config -> engine, read -> value lists.
 *
 * The only file that includes collectd headers.  Everything it reports comes
 * from the engine (engine.h); this file names things the way collectd users
 * expect (stock types.db only) and turns counters into rates where the
 * schema asks for gauges.
 */
#include "collectd.h"
#include "plugin.h"
#include "utils/common/common.h"

#include <errno.h>
#include <stdarg.h>
#include <time.h>

#include "engine.h"
#include "top.h"
#include "ts_client.h"

#define PLUGIN_NAME "taskstats"

enum delayacct_mode { DELAYACCT_KEEP, DELAYACCT_ENABLE };

struct pending_group {
	char name[64];
	struct selset *sel;
	bool children;
};

/* A <Top "name"> block: the host's heaviest processes by one key. */
struct top_view {
	char name[64];
	struct top *top;
};

/* Configuration collected over every <Plugin taskstats> block. */
static struct {
	struct engine_options opt;
	enum delayacct_mode delayacct;
	struct pending_group *groups;
	size_t ngroups;
	struct top_view *tops;
	size_t ntops;
	bool opt_init;
} conf;

/* Per group, what the previous read saw: rates need two points. */
struct prev_read {
	uint64_t counters[AC_COUNT];
	bool valid;
};

static struct engine *engine;
static struct prev_read *prev;
static cdtime_t prev_time;
static bool delayacct_warned;
static bool delayacct_on;
static cdtime_t delayacct_checked;

/* ---- logging ---- */

static void log_engine(void *ctx, enum engine_log_level lvl, const char *msg)
{
	int level = lvl == ENGINE_ERR ? LOG_ERR
		    : lvl == ENGINE_WARN ? LOG_WARNING : LOG_INFO;

	plugin_log(level, PLUGIN_NAME " plugin: %s", msg);
}

static void notify_exit(void *ctx, const char *group, const char *comm,
			pid_t pid, uint32_t status)
{
	notification_t n = { .severity = NOTIF_WARNING, .time = cdtime() };

	sstrncpy(n.host, hostname_g, sizeof(n.host));
	sstrncpy(n.plugin, PLUGIN_NAME, sizeof(n.plugin));
	sstrncpy(n.plugin_instance, group, sizeof(n.plugin_instance));
	sstrncpy(n.type, "operations", sizeof(n.type));
	sstrncpy(n.type_instance, "processes_failed", sizeof(n.type_instance));
	engine_describe_exit(n.message, sizeof(n.message), comm, pid, status);
	plugin_dispatch_notification(&n);
}

/* ---- config ---- */

static void conf_defaults(void)
{
	if (conf.opt_init)
		return;
	engine_options_default(&conf.opt);
	conf.delayacct = DELAYACCT_KEEP;
	conf.opt_init = true;
}

static int conf_error(const oconfig_item_t *ci, const char *where,
		      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int conf_error(const oconfig_item_t *ci, const char *where,
		      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ERROR(PLUGIN_NAME " plugin: <Plugin taskstats>%s, option \"%s\": %s",
	      where, ci->key, msg);
	return -1;
}

static int get_string(const oconfig_item_t *ci, const char *where,
		      const char **out)
{
	if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING)
		return conf_error(ci, where, "takes exactly one string");
	*out = ci->values[0].value.string;
	return 0;
}

static int get_bool(const oconfig_item_t *ci, const char *where, bool *out)
{
	if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_BOOLEAN)
		return conf_error(ci, where, "takes exactly one boolean (true or false)");
	*out = ci->values[0].value.boolean;
	return 0;
}

static int get_number(const oconfig_item_t *ci, const char *where,
		      double min, double *out)
{
	if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER ||
	    ci->values[0].value.number < min)
		return conf_error(ci, where, "takes exactly one number");
	*out = ci->values[0].value.number;
	return 0;
}

/* Run one selector adder and turn its error into a config error. */
typedef int (*sel_add_fn)(struct selset *, const char *, char *, size_t);

static int add_selector(const oconfig_item_t *ci, const char *where,
			struct selset *sel, sel_add_fn add)
{
	char err[256] = "";
	const char *s = NULL;

	if (get_string(ci, where, &s))
		return -1;
	if (add(sel, s, err, sizeof(err)))
		return conf_error(ci, where, "%s", err[0] ? err : "invalid value");
	return 0;
}

static int add_pids(const oconfig_item_t *ci, const char *where,
		    struct selset *sel)
{
	char err[256] = "";
	int i;

	if (ci->values_num < 1)
		return conf_error(ci, where, "takes one or more process IDs");
	for (i = 0; i < ci->values_num; i++) {
		double v = ci->values[i].value.number;

		if (ci->values[i].type != OCONFIG_TYPE_NUMBER || v < 1 ||
		    v > 4194304 || v != (double)(long)v)
			return conf_error(ci, where, "takes process IDs (positive integers)");
		if (selset_add_pid(sel, (pid_t)v, err, sizeof(err)))
			return conf_error(ci, where, "%s", err);
	}
	return 0;
}

static int add_pending(const char *name, struct selset *sel, bool children,
		       const oconfig_item_t *ci, const char *where)
{
	struct pending_group *g;
	size_t i;

	for (i = 0; i < conf.ngroups; i++)
		if (!strcmp(conf.groups[i].name, name)) {
			selset_free(sel);
			return conf_error(ci, where, "group \"%s\" is defined twice "
					  "(group names must be unique across all "
					  "<Plugin taskstats> blocks)", name);
		}
	if (conf.ngroups == ENGINE_MAX_GROUPS) {
		selset_free(sel);
		return conf_error(ci, where, "too many groups (at most 64)");
	}
	g = realloc(conf.groups, (conf.ngroups + 1) * sizeof(*g));
	if (!g) {
		selset_free(sel);
		return -1;
	}
	conf.groups = g;
	g = &conf.groups[conf.ngroups++];
	sstrncpy(g->name, name, sizeof(g->name));
	g->sel = sel;
	g->children = children;
	return 0;
}

static int conf_group(const oconfig_item_t *ci)
{
	char where[128];
	struct selset *sel;
	bool children = false;
	const char *name;
	int i, err = 0;

	if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING ||
	    !ci->values[0].value.string[0])
		return conf_error(ci, "", "<Group> takes exactly one non-empty name");
	name = ci->values[0].value.string;
	if (strlen(name) >= 64)
		return conf_error(ci, "", "group name \"%s\" is longer than 63 characters", name);
	snprintf(where, sizeof(where), "/<Group \"%s\">", name);
	sel = selset_new();
	if (!sel)
		return -1;
	for (i = 0; i < ci->children_num && !err; i++) {
		const oconfig_item_t *c = &ci->children[i];

		if (!strcasecmp(c->key, "Pid"))
			err = add_pids(c, where, sel);
		else if (!strcasecmp(c->key, "PidFile"))
			err = add_selector(c, where, sel, selset_add_pidfile);
		else if (!strcasecmp(c->key, "Comm"))
			err = add_selector(c, where, sel, selset_add_comm);
		else if (!strcasecmp(c->key, "Match"))
			err = add_selector(c, where, sel, selset_add_match);
		else if (!strcasecmp(c->key, "User"))
			err = add_selector(c, where, sel, selset_add_user);
		else if (!strcasecmp(c->key, "Cgroup"))
			err = add_selector(c, where, sel, selset_add_cgroup);
		else if (!strcasecmp(c->key, "Children"))
			err = get_bool(c, where, &children);
		else
			err = conf_error(c, where, "unknown option (expected Pid, PidFile, "
					 "Comm, Match, User, Cgroup or Children)");
	}
	if (!err && selset_empty(sel))
		err = conf_error(ci, where, "group \"%s\" has no selector (add Pid, "
				 "PidFile, Comm, Match, User or Cgroup)", name);
	if (err) {
		selset_free(sel);
		return -1;
	}
	return add_pending(name, sel, children, ci, where);
}

/* processes-plugin compatibility: Process "comm", ProcessMatch "name" "re" */
static int conf_compat(const oconfig_item_t *ci)
{
	char err[256] = "";
	struct selset *sel;
	int r;

	if (!strcasecmp(ci->key, "Process")) {
		if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING)
			return conf_error(ci, "", "takes exactly one process name");
		sel = selset_new();
		if (!sel)
			return -1;
		r = selset_add_comm(sel, ci->values[0].value.string, err, sizeof(err));
	} else {
		if (ci->values_num != 2 || ci->values[0].type != OCONFIG_TYPE_STRING ||
		    ci->values[1].type != OCONFIG_TYPE_STRING)
			return conf_error(ci, "", "takes a group name and a regular expression");
		sel = selset_new();
		if (!sel)
			return -1;
		r = selset_add_match(sel, ci->values[1].value.string, err, sizeof(err));
	}
	if (r) {
		selset_free(sel);
		return conf_error(ci, "", "%s", err);
	}
	return add_pending(ci->values[0].value.string, sel, false, ci, "");
}

static int conf_top(const oconfig_item_t *ci)
{
	char where[128];
	const char *name, *by = NULL;
	double count = 5;
	struct top_view *v;
	int i, key, err = 0;

	if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING ||
	    !ci->values[0].value.string[0] || strlen(ci->values[0].value.string) > 58)
		return conf_error(ci, "", "<Top> takes exactly one name (at most 58 characters)");
	name = ci->values[0].value.string;
	snprintf(where, sizeof(where), "/<Top \"%s\">", name);
	for (i = 0; i < ci->children_num && !err; i++) {
		const oconfig_item_t *c = &ci->children[i];

		if (!strcasecmp(c->key, "By"))
			err = get_string(c, where, &by);
		else if (!strcasecmp(c->key, "Count"))
			err = get_number(c, where, 1, &count);
		else
			err = conf_error(c, where, "unknown option (expected By or Count)");
	}
	if (err)
		return -1;
	if (!by)
		by = name;	/* <Top "io"> alone means By "io" */
	key = top_key_parse(by);
	if (key < 0)
		return conf_error(ci, where, "By \"%s\" is not \"io\", \"cpu\" or \"delay\"", by);
	if (count > TOP_COUNT_MAX || count != (double)(unsigned)count)
		return conf_error(ci, where, "Count must be a whole number from 1 to %u",
				  TOP_COUNT_MAX);
	for (i = 0; i < (int)conf.ntops; i++)
		if (!strcmp(conf.tops[i].name, name))
			return conf_error(ci, where, "<Top \"%s\"> is defined twice", name);
	v = realloc(conf.tops, (conf.ntops + 1) * sizeof(*v));
	if (!v)
		return -1;
	conf.tops = v;
	v = &conf.tops[conf.ntops];
	v->top = top_new(key, (unsigned)count);
	if (!v->top)
		return -1;
	sstrncpy(v->name, name, sizeof(v->name));
	conf.ntops++;
	return 0;
}

static int taskstats_config(oconfig_item_t *ci)
{
	int i, err = 0;

	conf_defaults();
	for (i = 0; i < ci->children_num && !err; i++) {
		oconfig_item_t *c = &ci->children[i];
		const char *s = NULL;
		double d = 0;

		if (!strcasecmp(c->key, "Group")) {
			err = conf_group(c);
		} else if (!strcasecmp(c->key, "Top")) {
			err = conf_top(c);
		} else if (!strcasecmp(c->key, "Process") ||
			   !strcasecmp(c->key, "ProcessMatch")) {
			err = conf_compat(c);
		} else if (!strcasecmp(c->key, "DelayAccounting")) {
			err = get_string(c, "", &s);
			if (!err && !strcasecmp(s, "keep"))
				conf.delayacct = DELAYACCT_KEEP;
			else if (!err && !strcasecmp(s, "enable"))
				conf.delayacct = DELAYACCT_ENABLE;
			else if (!err)
				err = conf_error(c, "", "\"%s\" is not \"keep\" or \"enable\"", s);
		} else if (!strcasecmp(c->key, "ExitRecords")) {
			err = get_bool(c, "", &conf.opt.exit_records);
		} else if (!strcasecmp(c->key, "ExitRecordsBuffer")) {
			err = get_number(c, "", 1024, &d);
			conf.opt.exit_rcvbuf = (size_t)d;
		} else if (!strcasecmp(c->key, "ProcEvents")) {
			err = get_bool(c, "", &conf.opt.proc_events);
		} else if (!strcasecmp(c->key, "ProcEventsBuffer")) {
			err = get_number(c, "", 1024, &d);
			conf.opt.events_rcvbuf = (size_t)d;
		} else if (!strcasecmp(c->key, "RescanInterval")) {
			err = get_number(c, "", 1, &d);
			conf.opt.rescan_interval_s = (unsigned)d;
		} else {
			err = conf_error(c, "", "unknown option (expected Group, Top, Process, "
					 "ProcessMatch, DelayAccounting, ExitRecords, "
					 "ExitRecordsBuffer, ProcEvents, ProcEventsBuffer or RescanInterval)");
		}
	}
	return err ? -1 : 0;
}

/* ---- init / shutdown ---- */

/* Returns whether delay accounting is on (or unknown), warning once when
 * it is off and switching it on with DelayAccounting "enable". */
static bool check_delayacct(void)
{
	static bool enable_tried;	/* once: the operator may switch it off */
	int on = ts_delayacct_enabled();

	if (conf.delayacct == DELAYACCT_ENABLE && on == 0 && !enable_tried) {
		int err = ts_delayacct_enable();

		enable_tried = true;
		if (err)
			WARNING(PLUGIN_NAME " plugin: cannot enable delay accounting "
				"(writing /proc/sys/kernel/task_delayacct: %s)",
				STRERROR(-err));
		else
			INFO(PLUGIN_NAME " plugin: enabled delay accounting "
			     "(kernel.task_delayacct=1); processes started before "
			     "now have no delay data except CPU delay");
		return err == 0;
	}
	if (on == 0 && !delayacct_warned && conf.ngroups + conf.ntops > 0) {
		WARNING(PLUGIN_NAME " plugin: delay accounting is off "
			"(kernel.task_delayacct=0): only CPU delay is reported. "
			"Fix: sysctl kernel.task_delayacct=1 (or boot with "
			"'delayacct', or set DelayAccounting \"enable\"); "
			"processes started earlier stay without delay data");
		delayacct_warned = true;
	}
	return on != 0;
}

static int taskstats_init(void)
{
	size_t i;
	int err;

	conf_defaults();
	if (!conf.ngroups && !conf.ntops)
		INFO(PLUGIN_NAME " plugin: no <Group> configured; reporting only "
		     "the plugin's own statistics");
	engine = engine_new(&conf.opt);
	if (!engine)
		return -1;
	engine_set_log(engine, log_engine, NULL);
	engine_set_exit_cb(engine, notify_exit, NULL);
	for (i = 0; i < conf.ngroups; i++) {
		engine_add_group(engine, conf.groups[i].name, conf.groups[i].sel,
				 conf.groups[i].children);
		conf.groups[i].sel = NULL;	/* owned by the engine now */
	}
	prev = calloc(conf.ngroups + 1, sizeof(*prev));
	if (!prev)
		return -1;
	check_delayacct();
	err = engine_start(engine);
	if (err) {
		engine_free(engine);
		engine = NULL;
		return -1;
	}
	return 0;
}

static int taskstats_shutdown(void)
{
	size_t i;

	engine_free(engine);
	engine = NULL;
	for (i = 0; i < conf.ngroups; i++)
		selset_free(conf.groups[i].sel);
	free(conf.groups);
	conf.groups = NULL;
	conf.ngroups = 0;
	for (i = 0; i < conf.ntops; i++)
		top_free(conf.tops[i].top);
	free(conf.tops);
	conf.tops = NULL;
	conf.ntops = 0;
	free(prev);
	prev = NULL;
	return 0;
}

/* ---- dispatch ---- */

static void submit(const char *inst, const char *type, const char *tinst,
		   value_t *values, size_t n)
{
	value_list_t vl = VALUE_LIST_INIT;

	vl.values = values;
	vl.values_len = n;
	sstrncpy(vl.plugin, PLUGIN_NAME, sizeof(vl.plugin));
	sstrncpy(vl.plugin_instance, inst, sizeof(vl.plugin_instance));
	sstrncpy(vl.type, type, sizeof(vl.type));
	if (tinst)
		sstrncpy(vl.type_instance, tinst, sizeof(vl.type_instance));
	plugin_dispatch_values(&vl);
}

static void submit_derive2(const char *inst, const char *type, uint64_t a,
			   uint64_t b)
{
	value_t v[2] = { { .derive = (derive_t)a }, { .derive = (derive_t)b } };

	submit(inst, type, NULL, v, 2);
}

static void submit_derive(const char *inst, const char *type,
			  const char *tinst, uint64_t a)
{
	value_t v = { .derive = (derive_t)a };

	submit(inst, type, tinst, &v, 1);
}

static void submit_gauge(const char *inst, const char *type,
			 const char *tinst, double g)
{
	value_t v = { .gauge = g };

	submit(inst, type, tinst, &v, 1);
}

static void submit_delays(const char *inst, const struct group_result *r,
			  const struct prev_read *p, double dt, bool delayacct)
{
	int k;

	if (!p->valid || dt <= 0)
		return;
	for (k = 0; k < TS_DELAY_KINDS; k++) {
		enum acct_counter cc = AC_DELAY_COUNT + k, cn = AC_DELAY_NS + k;
		uint64_t dn, dc;
		char tinst[32];

		/* only kinds the kernel reports; all but CPU need the switch */
		if (!(r->known & AC_BIT(cn)) || (k != TS_DELAY_CPU && !delayacct))
			continue;
		dn = r->counters[cn] - p->counters[cn];
		dc = r->counters[cc] - p->counters[cc];
		snprintf(tinst, sizeof(tinst), "delay-%s", ts_delay_name(k));
		submit_gauge(inst, "delay_rate", tinst, (double)dn / 1e9 / dt);
		if (dc)
			submit_gauge(inst, "delay", ts_delay_name(k),
				     (double)dn / 1e9 / (double)dc);
	}
}

static void submit_group(const char *inst, const struct group_result *r,
			 struct prev_read *p, double dt, bool delayacct)
{
	const uint64_t *c = r->counters;
	value_t cnt[2] = { { .gauge = (gauge_t)r->processes },
			   { .gauge = (gauge_t)r->threads } };

	submit(inst, "ps_count", NULL, cnt, 2);
	submit_derive2(inst, "ps_cputime", c[AC_CPU_USER_US], c[AC_CPU_SYS_US]);
	submit_delays(inst, r, p, dt, delayacct);
	submit_derive(inst, "contextswitch", "voluntary", c[AC_NVCSW]);
	submit_derive(inst, "contextswitch", "involuntary", c[AC_NIVCSW]);
	submit_derive2(inst, "ps_pagefaults", c[AC_MINFLT], c[AC_MAJFLT]);
	submit_derive2(inst, "io_octets", c[AC_RCHAR], c[AC_WCHAR]);
	submit_derive2(inst, "io_ops", c[AC_SYSCR], c[AC_SYSCW]);
	submit_derive2(inst, "disk_octets", c[AC_READ_BYTES], c[AC_WRITE_BYTES]);
	submit_derive(inst, "total_bytes", "cancelled_write", c[AC_CANCELLED_BYTES]);
	submit_gauge(inst, "ps_rss", NULL, (double)r->rss_bytes);
	submit_gauge(inst, "memory", "rss_peak", (double)r->rss_peak_bytes);
	submit_gauge(inst, "memory", "vm_peak", (double)r->vm_peak_bytes);
	submit_derive(inst, "operations", "processes_started", r->started);
	submit_derive(inst, "operations", "processes_exited", r->exited);
	submit_derive(inst, "operations", "processes_failed", r->failed);
	memcpy(p->counters, c, sizeof(p->counters));
	p->valid = true;
}

/* One GAUGE per entry, identity in the type_instance (docs/top.md). */
static void submit_top(const struct top_view *v, uint64_t now_ns)
{
	const struct top_entry *r;
	char inst[DATA_MAX_NAME_LEN], tinst[DATA_MAX_NAME_LEN];
	/* glibc reads /sys for this: once, not every read */
	static long ncpu;
	size_t i, n;
	int err;

	err = top_update(v->top, engine_client(engine), now_ns);
	if (err < 0) {
		WARNING(PLUGIN_NAME " plugin: <Top \"%s\">: %s", v->name,
			STRERROR(-err));
		return;
	}
	if (!ncpu)
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	snprintf(inst, sizeof(inst), "top_%s", v->name);
	n = top_results(v->top, &r);
	for (i = 0; i < n; i++) {
		top_entry_name(&r[i], tinst, sizeof(tinst));
		switch (top_get_key(v->top)) {
		case TOP_IO:
			submit_gauge(inst, "bytes", tinst, r[i].rate);
			break;
		case TOP_CPU: {
			double pct = 100.0 * r[i].rate / (double)(ncpu > 0 ? ncpu : 1);

			submit_gauge(inst, "percent", tinst, pct > 100 ? 100 : pct);
			break;
		}
		case TOP_DELAY:
			submit_gauge(inst, "delay_rate", tinst, r[i].rate);
			break;
		}
	}
}

static void submit_self(const struct engine_stats *s, double wall, double cpu)
{
	submit_gauge("", "duration", "read", wall);
	submit_gauge("", "duration", "read_cpu", cpu);
	submit_gauge("", "count", "tracked", (double)s->tracked);
	submit_derive("", "derive", "exit_records", s->exit_records);
	submit_derive("", "derive", "exit_records_lost", s->exit_records_lost);
	submit_derive("", "derive", "exits_unrecorded", s->exits_unrecorded);
	submit_derive("", "derive", "exits_reaped", s->exits_reaped);
	submit_derive("", "derive", "exits_approx", s->exits_approx);
	submit_derive("", "derive", "delays_rejected", s->delays_rejected);
	submit_derive("", "derive", "proc_errors", s->proc_errors);
	submit_derive("", "derive", "proc_events", s->proc_events);
	submit_derive("", "derive", "proc_events_lost", s->proc_events_lost);
	submit_derive("", "derive", "proc_reads", s->proc_reads);
	submit_derive("", "derive", "reconciles", s->reconciles);
	submit_derive("", "derive", "query_errors", s->query_errors);
}

static double ts_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int taskstats_read(void)
{
	double w0 = ts_now(CLOCK_MONOTONIC), c0 = ts_now(CLOCK_THREAD_CPUTIME_ID);
	cdtime_t now = cdtime();
	double dt = prev_time ? CDTIME_T_TO_DOUBLE(now - prev_time) : 0;
	bool delayacct;
	size_t g;
	int err;

	if (!engine)
		return -1;
	err = engine_read(engine);
	if (err && !engine_stats(engine)->tracked && engine_ngroups(engine))
		return -1;	/* nothing could be read: collectd backs off */
	/* the sysctl rarely changes: look at it every 10 s, not every read */
	if (!delayacct_checked || now - delayacct_checked > TIME_T_TO_CDTIME_T(10)) {
		delayacct_on = check_delayacct();
		delayacct_checked = now;
	}
	delayacct = delayacct_on;
	for (g = 0; g < engine_ngroups(engine); g++)
		submit_group(engine_group_name(engine, g), engine_result(engine, g),
			     &prev[g], dt, delayacct);
	prev_time = now;
	for (g = 0; g < conf.ntops; g++)
		submit_top(&conf.tops[g], (uint64_t)(ts_now(CLOCK_MONOTONIC) * 1e9));
	submit_self(engine_stats(engine), ts_now(CLOCK_MONOTONIC) - w0,
		    ts_now(CLOCK_THREAD_CPUTIME_ID) - c0);
	return 0;
}

__attribute__((visibility("default"))) void module_register(void)
{
	plugin_register_complex_config(PLUGIN_NAME, taskstats_config);
	plugin_register_init(PLUGIN_NAME, taskstats_init);
	plugin_register_read(PLUGIN_NAME, taskstats_read);
	plugin_register_shutdown(PLUGIN_NAME, taskstats_shutdown);
}
