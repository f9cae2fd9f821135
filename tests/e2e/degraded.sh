#!/usr/bin/env bash
# Degraded environments: without CAP_NET_ADMIN, in another network
# namespace, with delay accounting off.  collectd keeps running its other
# plugins, and our plugin says once, clearly, what is wrong and how to fix it.
. "$(dirname "$0")/../lib.sh"
need_root "degraded environments"
mk_rundir
trap 'restore_delayacct; cleanup_rundir' EXIT
LOAD=$HELPERS/tsload

conf() {  # conf NAME : collectd + the stock "load" plugin + ours
  INTERVAL=0.5 collectd_conf "$RUNDIR/$1.conf" <<CONF
PluginDir "/usr/lib/collectd"
LoadPlugin load
PluginDir "$BUILD"
LoadPlugin taskstats
<Plugin taskstats>
  <Group "work">
    Comm "tsload-deg"
  </Group>
</Plugin>
CONF
}
run_for() {  # run_for SECONDS PREFIX... : collectd -f under PREFIX for SECONDS
  local secs=$1; shift
  "$@" collectd -f -C "$RUNDIR/cur.conf" >> "$RUNDIR/collectd.out" 2>&1 &
  CD_PID=$!; track_pid $CD_PID
  sleep "$secs"
  stop_collectd
}
load_rows() { local f; f=$(ls "$RUNDIR"/csv/testhost/load/load-* 2>/dev/null | head -n1); [ -n "$f" ] && echo $(( $(wc -l < "$f") - 1 )) || echo 0; }
fresh() { reset_run; conf cur; }

# 1. no CAP_NET_ADMIN
fresh
run_for 2.5 setpriv --inh-caps=-net_admin --bounding-set=-net_admin
n=$(grep -c "taskstats needs CAP_NET_ADMIN" "$RUNDIR/collectd.log")
check "no CAP_NET_ADMIN: one clear explanation (got $n)" [ "$n" -eq 1 ]
check "no CAP_NET_ADMIN: the message names the fix" grep -q "run collectd as root or grant the capability" "$RUNDIR/collectd.log"
check "no CAP_NET_ADMIN: the load plugin kept reporting ($(load_rows) rows)" [ "$(load_rows)" -ge 3 ]
check "no CAP_NET_ADMIN: collectd stopped on SIGTERM (rc 1: an init failed)" [ "$CD_RC" -le 1 ]

# 2. another network namespace: queries work, cn_proc and exit records do not.
# The workload starts before collectd, so it joins at its value of the first
# scan and only CPU burned after that counts: the burn must outlast
# collectd's start-up (under TCG the first read came 0.2-0.26 s after the
# workload's start, when a 200 ms burn was sometimes over: 0 counted).
fresh
"$LOAD" --name tsload-deg --cpu-ms 1000 --hold > /dev/null & WP=$!; track_pid $WP
run_for 3 unshare -n
kill $WP
n=$(grep -c "proc connector unavailable" "$RUNDIR/collectd.log")
check "netns: one explanation for the proc connector (got $n)" [ "$n" -eq 1 ]
check "netns: it says it falls back to scanning /proc" grep -q "scanning /proc every read instead" "$RUNDIR/collectd.log"
n=$(grep -c "exit records are not delivered outside the host network namespace" "$RUNDIR/collectd.log")
check "netns: one explanation for exit records (got $n)" [ "$n" -eq 1 ]
f=$(csv_file work ps_count)
check "netns: the group is still reported (polling mode)" [ -n "$f" ]
check "netns: ps_count sees the workload" [ "$(csv_last work ps_count 2)" = "1.000000" ]
c=$(( $(csv_last work ps_cputime 2) + $(csv_last work ps_cputime 3) ))
check "netns: cpu time of the workload counted (${c} us after its first scan)" [ "$c" -gt 0 ]
check "netns: the load plugin kept reporting" [ "$(load_rows)" -ge 3 ]
check "netns: no [error] logged" bash -c "! grep -q '\[error\]' $RUNDIR/collectd.log"

# 3. delay accounting off
with_delayacct 0
fresh
"$LOAD" --name tsload-deg --cpu-ms 300 --hold > /dev/null & WP=$!; track_pid $WP
run_for 2.5
kill $WP
n=$(grep -c "delay accounting is off" "$RUNDIR/collectd.log")
check "delayacct=0: warned once (got $n)" [ "$n" -eq 1 ]
check "delayacct=0: the warning names the fix" grep -q "sysctl kernel.task_delayacct=1" "$RUNDIR/collectd.log"
check "delayacct=0: no blkio delay rows (omitted, not zeros)" bash -c "! ls $RUNDIR/csv/testhost/taskstats-work/delay_rate-delay-blkio-* 2>/dev/null"
check "delayacct=0: CPU delay (from the scheduler) still reported" [ -n "$(csv_file work delay_rate-delay-cpu)" ]
check "delayacct=0: the load plugin kept reporting" [ "$(load_rows)" -ge 3 ]

# 4. DelayAccounting "enable" switches it on and says what that means
echo 0 > /proc/sys/kernel/task_delayacct
reset_run
sed 's|<Plugin taskstats>|<Plugin taskstats>\n  DelayAccounting "enable"|' "$RUNDIR/cur.conf" > "$RUNDIR/enable.conf"
cp "$RUNDIR/enable.conf" "$RUNDIR/cur.conf"
run_for 1.5
check "enable: kernel.task_delayacct is now 1" [ "$(cat /proc/sys/kernel/task_delayacct)" = 1 ]
check "enable: the log says earlier processes have no delay data" \
  grep -q "enabled delay accounting (kernel.task_delayacct=1); processes started before now have no delay data" "$RUNDIR/collectd.log"
check "enable: no 'delay accounting is off' warning" bash -c "! grep -q 'delay accounting is off' $RUNDIR/collectd.log"
restore_delayacct

# 5. out of file descriptors: members that cannot be pinned are read by path
reset_run
INTERVAL=0.5 collectd_conf "$RUNDIR/cur.conf" <<CONF
LoadPlugin taskstats
<Plugin taskstats>
  <Group "many">
    Comm "tsload-fd"
  </Group>
</Plugin>
CONF
pids=()
for i in $(seq 100); do "$LOAD" --name tsload-fd --hold > /dev/null & pids+=($!); track_pid $!; done
run_for 2.5 prlimit --nofile=64:64
kill "${pids[@]}"
echo "# with 64 descriptors: ps_count $(csv_last many ps_count 2)"
check "fd limit 64: all 100 members counted (read by path)" [ "$(csv_last many ps_count 2)" = "100.000000" ]
check "fd limit 64: no [error] logged" bash -c "! grep -q '\[error\]' $RUNDIR/collectd.log"
check "fd limit 64: other plugins still open their files" bash -c "! grep -q 'Too many open files' $RUNDIR/collectd.out $RUNDIR/collectd.log"
