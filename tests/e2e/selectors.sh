#!/usr/bin/env bash
# Every selector with real processes and the real collectd, asserted
# through ps_count and values: in event mode (proc connector) and in
# polling mode (inside `unshare -n`, where the proc connector is out of
# reach).  Then: no per-interval /proc scan in event mode, and a forced
# proc-connector overflow followed by a correct reconcile.
. "$(dirname "$0")/../lib.sh"
need_root "selectors"
mk_rundir
CG=/sys/fs/cgroup/unified
[ -d "$CG" ] || CG=/sys/fs/cgroup
CGNAME=tsel-test-$$
trap 'for p in "${_bg_pids[@]:-}"; do [ -n "$p" ] && kill -KILL "$p" 2>/dev/null; done; sleep 0.2; rmdir "$CG/$CGNAME" 2>/dev/null; cleanup_rundir' EXIT
LOAD=$HELPERS/tsload
cp "$LOAD" "$RUNDIR/tsel-exec"     # exec'ing this gives comm "tsel-exec"

# count GROUP : last ps_count processes of GROUP (0 if none yet)
count() { local f; f=$(csv_file "$1" ps_count); [ -n "$f" ] && tail -n1 "$f" | cut -d, -f2 | cut -d. -f1 || echo 0; }
threads() { local f; f=$(csv_file "$1" ps_count); [ -n "$f" ] && tail -n1 "$f" | cut -d, -f3 | cut -d. -f1 || echo 0; }
# until_count GROUP N [TIMEOUT] : wait until ps_count of GROUP is N
until_count() {
  local i
  for i in $(seq 1 $(( ${3:-10} * 10 ))); do
    [ "$(count "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
# until_cpu GROUP MIN_US : wait until user+syst of GROUP reaches MIN_US
until_cpu() {
  local i f
  for i in $(seq 1 100); do
    f=$(csv_file "$1" ps_cputime)
    [ -n "$f" ] && [ $(( $(tail -n1 "$f" | cut -d, -f2) + $(tail -n1 "$f" | cut -d, -f3) )) -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
until_threads() {
  local i
  for i in $(seq 1 100); do [ "$(threads "$1")" = "$2" ] && return 0; sleep 0.1; done
  return 1
}

suite() {  # suite MODE PREFIX... : run the selector checks with collectd under PREFIX
  local mode=$1; shift
  reset_run
  echo 0 > "$RUNDIR/app.pid"
  INTERVAL=0.3 collectd_conf "$RUNDIR/sel.conf" <<CONF
LoadPlugin taskstats
<Plugin taskstats>
  <Group "exec">
    Comm "tsel-exec"
  </Group>
  <Group "renamed">
    Comm "tsel-renamed"
  </Group>
  <Group "pidfile">
    PidFile "$RUNDIR/app.pid"
  </Group>
  <Group "kids">
    Match "tsel-parent-marker"
    Children true
  </Group>
  <Group "nokids">
    Match "tsel-parent-marker"
  </Group>
  <Group "cgroup">
    Cgroup "/$CGNAME"
  </Group>
  <Group "user">
    User "nobody"
  </Group>
  <Group "pid">
    Pid $$
  </Group>
  <Group "nopidfile">
    PidFile "$RUNDIR/never-written.pid"
  </Group>
  ProcessMatch "compat" "tsel-compat-[0-9]+"
</Plugin>
CONF
  "$@" collectd -f -C "$RUNDIR/sel.conf" >> "$RUNDIR/collectd.out" 2>&1 &
  CD_PID=$!; track_pid $CD_PID
  wait_rows "" duration-read 1 || { not_ok "$mode: collectd started"; return; }

  # exec into a matching name
  sh -c "sleep 0.3; exec $RUNDIR/tsel-exec --delay-ms 800 --cpu-ms 200 --hold" > /dev/null & local p1=$!; track_pid $p1
  # prctl(PR_SET_NAME) rename
  "$LOAD" --name tsel-renamed --threads 2 --cpu-ms 100 --hold > /dev/null & local p2=$!; track_pid $p2
  # pid file, rewritten with a new PID later
  "$LOAD" --threads 2 --hold > /dev/null & local a=$!; track_pid $a
  echo $a > "$RUNDIR/app.pid"
  # children of a member (Children true) vs not
  bash -c 'sleep 300 & sleep 300 & wait' tsel-parent-marker & local p3=$!; track_pid $p3
  # a cgroup made here under the v2 mount (hybrid hosts: /sys/fs/cgroup/unified)
  mkdir -p "$CG/$CGNAME"
  sh -c "echo \$\$ > $CG/$CGNAME/cgroup.procs; exec $LOAD --cpu-ms 50 --hold" > /dev/null & local p4=$!; track_pid $p4
  # a user
  setpriv --reuid 65534 --regid 65534 --clear-groups "$LOAD" --hold > /dev/null & local p5=$!; track_pid $p5
  # processes-plugin compatibility
  "$LOAD" --name tsel-compat-1 --hold > /dev/null & local p6=$!; track_pid $p6

  check "$mode: exec into a matching name joins" until_count exec 1
  check "$mode: exec'd program's 200 ms of CPU counted" until_cpu exec 190000
  check "$mode: prctl rename joins" until_count renamed 1
  check "$mode: renamed process has 3 threads" until_threads renamed 3
  check "$mode: pid file member" until_count pidfile 1
  check "$mode: pid file member has 3 threads" until_threads pidfile 3
  "$LOAD" --threads 5 --hold > /dev/null & local b=$!; track_pid $b
  echo $b > "$RUNDIR/app.pid.tmp" && mv "$RUNDIR/app.pid.tmp" "$RUNDIR/app.pid"
  kill $a
  check "$mode: pid file rewritten: follows the new PID (6 threads)" until_threads pidfile 6
  check "$mode: Children true: parent + 2 children" until_count kids 3
  check "$mode: Children false: the parent only" until_count nokids 1
  check "$mode: cgroup member" until_count cgroup 1
  check "$mode: user member (started as uid 65534)" until_count user 1
  # a process that drops privileges after it started (like a daemon's
  # workers: no exec, only a uid change; no pid file changes meanwhile)
  python3 -c 'import os, time; time.sleep(1); os.setgid(65534); os.setuid(65534); time.sleep(60)' & local p7=$!; track_pid $p7
  check "$mode: a process that drops to uid 65534 joins" until_count user 2
  check "$mode: Pid member" until_count pid 1
  check "$mode: ProcessMatch compat group" until_count compat 1
  # leaving: the exec'd process exits -> group empty, counters kept
  kill $p1 $p2
  check "$mode: exited members leave (count 0)" until_count exec 0
  check "$mode: counters of an emptied group kept" until_cpu exec 190000
  kill -TERM $CD_PID; wait $CD_PID 2>/dev/null
  kill $b $p3 $p4 $p5 $p6 $p7 2>/dev/null
  pkill -f "sleep 300" 2>/dev/null
  wait 2>/dev/null
  check "$mode: no [error] logged" bash -c "! grep -q '\[error\]' $RUNDIR/collectd.log"
  n=$(grep -c "never-written.pid" "$RUNDIR/collectd.log")
  check "$mode: a missing pid file is a warning, once ($n)" [ "$n" = 1 ]
  check "$mode: its group reports 0 processes" [ "$(count nopidfile)" = 0 ]
  for g in exec renamed pidfile kids nokids cgroup user pid compat; do
    all_counters_monotonic "$RUNDIR/csv/testhost/taskstats-$g" || { not_ok "$mode: $g counters monotonic"; return; }
  done
  ok "$mode: every group's counters never decreased"
}

suite events
check "events: followed the proc connector (no fallback message)" \
  bash -c "! grep -q 'proc connector unavailable' $RUNDIR/collectd.log"
suite polling unshare -n
check "polling: said once that it polls" [ "$(grep -c 'scanning /proc every read instead' "$RUNDIR/collectd.log")" = 1 ]

# No per-interval /proc scan in event mode: 1,000 idle processes, a group
# matching 5, 20 reads; /proc identity reads must not grow with the 1,000.
for i in $(seq 1000); do sleep 600 & track_pid $!; done
for i in 1 2 3 4 5; do "$LOAD" --name tsel-five --hold > /dev/null & track_pid $!; done
reset_run
INTERVAL=0.2 collectd_conf "$RUNDIR/scan.conf" <<CONF
LoadPlugin taskstats
<Plugin taskstats>
  <Group "five">
    Comm "tsel-five"
  </Group>
</Plugin>
CONF
start_collectd "$RUNDIR/scan.conf"
until_count five 5 20
r0=$(csv_last "" derive-proc_reads 2); n0=$(wc -l < "$(csv_file "" derive-proc_reads)")
e0=$(csv_last "" derive-proc_events 2)
wait_rows "" derive-proc_reads $((n0 + 20)) 30
r1=$(csv_last "" derive-proc_reads 2); e1=$(csv_last "" derive-proc_events 2)
stop_collectd
echo "# /proc identity reads: $r0 after start (the initial reconcile), $r1 after 20 more reads; $((e1 - e0)) proc events meanwhile (other work on the host)"
check "event mode: the start-up reconcile read every process once (>= 1000)" [ "$r0" -ge 1000 ]
check "event mode: 20 reads added fewer /proc reads than one scan per read would" [ $((r1 - r0)) -lt $((20 * r0)) ]
check "event mode: every /proc read after start was caused by an event" [ $((r1 - r0)) -le $((e1 - e0)) ]
check "event mode: group of 5 found" [ "$(count five)" = 5 ]
pkill -f "sleep 600"

# Loss: a tiny proc-connector buffer and a burst of fork/exec -> ENOBUFS,
# counted, then a reconcile; membership is right afterwards.
reset_run
INTERVAL=1 collectd_conf "$RUNDIR/loss.conf" <<CONF
LoadPlugin taskstats
<Plugin taskstats>
  ProcEventsBuffer 4096
  <Group "late">
    Comm "tsel-late"
  </Group>
</Plugin>
CONF
start_collectd "$RUNDIR/loss.conf"
wait_rows "" duration-read 1
for i in $(seq 300); do /bin/true; done          # a burst of fork/exec/exit
"$LOAD" --name tsel-late --hold > /dev/null & track_pid $!
for i in $(seq 300); do /bin/true; done
check "overflow: membership right after the reconcile" until_count late 1 10
stop_collectd
lost=$(csv_last "" derive-proc_events_lost 2)
echo "# proc_events_lost $lost, reconciles $(csv_last "" derive-reconciles 2)"
check "overflow: proc_events_lost > 0" [ "$lost" -gt 0 ]
check "overflow: a reconcile followed (reconciles >= 2)" [ "$(csv_last "" derive-reconciles 2)" -ge 2 ]
check "overflow: the loss was logged" grep -q "proc connector lost events" "$RUNDIR/collectd.log"
