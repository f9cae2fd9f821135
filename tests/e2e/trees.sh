#!/usr/bin/env bash
# Exact group accounting on real process trees, with the real collectd:
# exec churn (the CPU after an exit record is only in the reaper's
# children time), a three-level tree (grandchildren's I/O once), a parent
# that ignores SIGCHLD (its own I/O not hidden), exec into a group (no
# foreign CPU), a Pid group without Children (no children), a zombie at a
# rescan (one exit), a stopped daemon (records still matched).  Ground
# truth: the root's getrusage, /proc/PID/io of the processes themselves.
. "$(dirname "$0")/../lib.sh"
need_root "trees"
mk_rundir
ROOT=tstr$$                           # unique comm: nothing else matches
cp "$HELPERS/tstree" "$RUNDIR/$ROOT"
TREE=$RUNDIR/$ROOT
IDLE=tsidle$$
cp "$HELPERS/tstree" "$RUNDIR/$IDLE"
cp "$HELPERS/tstree" "$RUNDIR/tsburn$$"     # in no group

# io_of PID KEY : a field of /proc/PID/io
io_of() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/io"; }
cpu_of() { echo $(( $(csv_last "$1" ps_cputime 2) + $(csv_last "$1" ps_cputime 3) )); }
# settle GROUP : two more reads of GROUP's ps_cputime
settle() {
  local n; n=$(wc -l < "$(csv_file "$1" ps_cputime)")
  wait_rows "$1" ps_cputime $((n + 1)) 20
}
# until_csv GROUP TYPE COL MIN : wait until the last value reaches MIN
until_csv() {
  local i f
  for i in $(seq 1 200); do
    f=$(csv_file "$1" "$2")
    [ -n "$f" ] && [ "$(tail -n1 "$f" | cut -d, -f"$3" | cut -d. -f1)" -ge "$4" ] 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

start() {  # start EXTRA_OPTIONS : collectd with the groups of this test
  reset_run
  echo 0 > "$RUNDIR/root.pid"
  INTERVAL=0.5 collectd_conf "$RUNDIR/trees.conf" <<CONF
LoadPlugin taskstats
<Plugin taskstats>
  $1
  <Group "tree">
    Comm "$ROOT"
    Children true
  </Group>
  <Group "single">
    PidFile "$RUNDIR/root.pid"
  </Group>
  <Group "idle">
    Comm "$IDLE"
  </Group>
</Plugin>
CONF
  start_collectd "$RUNDIR/trees.conf"
  wait_rows "" duration-read 1 || not_ok "collectd started"
}
# run_root ARGS... : the tree's root in the background, output in $OUT
run_root() {
  OUT=$RUNDIR/root.out; : > "$OUT"
  "$TREE" "$@" > "$OUT" &
  RPID=$!; track_pid $RPID
}
end_root() { kill -TERM "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null; }

# ---- exec churn: /bin/true, shell pipelines, python ----
start ""
run_root exec 3000 500
wait_line "$OUT" '^done' 120 || not_ok "exec churn finished"
settle tree
truth=$(( $(kv "$(cat "$OUT")" rusage_self_us) + $(kv "$(cat "$OUT")" rusage_children_us) ))
cpu=$(cpu_of tree)
echo "# exec churn (3000 programs): plugin cpu $cpu us, getrusage self+children $truth us"
check "exec churn: cpu within 2% of the root's getrusage" approx "$cpu" "$truth" 2
started=$(csv_last tree operations-processes_started 2)
exited=$(csv_last tree operations-processes_exited 2)
echo "# started $started exited $exited (3000 children + their pipeline processes)"
check "exec churn: every child started and exited (>= 3000)" [ "$exited" -ge 3000 ]
check "exec churn: started = exited + the root" [ "$started" = $((exited + 1)) ]
wchar=$(io_of $RPID wchar)
check "exec churn: bytes written = the root's /proc io ($wchar)" \
  [ "$(csv_last tree io_octets 3)" = "$wchar" ]
end_root
stop_collectd

# ---- 10 runs of 3,000 short children: started and exited exact ----
start ""
bad=0
for run in $(seq 1 ${STARTS_RUNS:-10}); do
  s0=$(csv_last tree operations-processes_started 2) x0=$(csv_last tree operations-processes_exited 2)
  "$HELPERS/tsload" --name "$ROOT" --children 3000 --rate 1500 > "$RUNDIR/starts.out" &
  SPID=$!; track_pid $SPID
  wait_line "$RUNDIR/starts.out" '^done' 60 || bad=1
  wait $SPID
  settle tree; settle tree
  ds=$(( $(csv_last tree operations-processes_started 2) - s0 ))
  dx=$(( $(csv_last tree operations-processes_exited 2) - x0 ))
  echo "# run $run: started $ds exited $dx (3,000 children + the parent)"
  [ "$ds" = 3001 ] && [ "$dx" = 3001 ] || bad=1
done
check "10 runs of 3,000 short children: started and exited exact every time" [ "$bad" = 0 ]
stop_collectd

# ---- three levels: root -> child -> grandchild (64 MiB) ----
start ""
run_root tree 1
wait_line "$OUT" '^alive' 20 || not_ok "tree alive"
line=$(grep '^alive' "$OUT")
r=$(kv "$line" root) c=$(kv "$line" child) g=$(kv "$line" grandchild)
live_w=$(( $(io_of $r wchar) + $(io_of $c wchar) + $(io_of $g wchar) ))
live_s=$(( $(io_of $r syscw) + $(io_of $c syscw) + $(io_of $g syscw) ))
until_csv tree io_octets 3 "$live_w"; settle tree
echo "# alive: plugin tx $(csv_last tree io_octets 3) syscw $(csv_last tree io_ops 3); /proc sum $live_w / $live_s"
check "three levels alive: bytes = sum of the three /proc io (exact)" \
  [ "$(csv_last tree io_octets 3)" = "$live_w" ]
check "three levels alive: write syscalls exact" [ "$(csv_last tree io_ops 3)" = "$live_s" ]
kill -USR1 $r
wait_line "$OUT" '^done' 20 || not_ok "tree done"
settle tree; settle tree
w=$(io_of $r wchar) s=$(io_of $r syscw)
echo "# reaped: plugin tx $(csv_last tree io_octets 3) syscw $(csv_last tree io_ops 3); root /proc io $w / $s"
check "three levels reaped: bytes = the root's /proc io, grandchild once (exact)" \
  [ "$(csv_last tree io_octets 3)" = "$w" ]
check "three levels reaped: write syscalls exact" [ "$(csv_last tree io_ops 3)" = "$s" ]
check "three levels: 2 exited" [ "$(csv_last tree operations-processes_exited 2)" = 2 ]
end_root
stop_collectd

# ---- a parent that ignores SIGCHLD: its children are auto-reaped ----
start ""
run_root autoreap 1
wait_line "$OUT" '^child=' 20 || not_ok "autoreap child"
c=$(kv "$(cat "$OUT")" child)
sleep 0.3
cw=$(io_of $c wchar) cs=$(io_of $c syscw)
until_csv tree io_octets 3 $((cw + $(io_of $RPID wchar))); settle tree
kill -USR1 $c
wait_line "$OUT" '^done' 20 || not_ok "autoreap done"
settle tree; settle tree
w=$(( $(io_of $RPID wchar) + cw )) s=$(( $(io_of $RPID syscw) + cs ))
echo "# auto-reaped: plugin tx $(csv_last tree io_octets 3) syscw $(csv_last tree io_ops 3); root /proc io + child's = $w / $s"
check "auto-reaping parent: bytes = its own + the child's (exact)" \
  [ "$(csv_last tree io_octets 3)" = "$w" ]
check "auto-reaping parent: write syscalls exact" [ "$(csv_last tree io_ops 3)" = "$s" ]
end_root
stop_collectd

# ---- exec into a group: 2 s of CPU as another program stay out ----
start ""
"$RUNDIR/tsburn$$" burn-exec 2000 "$RUNDIR/$IDLE" idle > /dev/null &
XP=$!; track_pid $XP
for i in $(seq 1 100); do [ "$(cat /proc/$XP/comm 2>/dev/null)" = "$IDLE" ] && break; sleep 0.1; done
until_csv idle ps_count 2 1; settle idle; settle idle
cpu=$(cpu_of idle)
echo "# exec'd into a group after 2 s of other work: group cpu $cpu us"
check "exec into a group: the CPU before the exec is not the group's (< 0.2 s)" [ "$cpu" -lt 200000 ]
check "exec into a group: started 1" [ "$(csv_last idle operations-processes_started 2)" = 1 ]
kill -TERM $XP; wait $XP 2>/dev/null

# ---- a Pid group without Children: its children stay out ----
"$HELPERS/tsload" --children 40 --rate 20 --cpu-ms 50 --hold > "$RUNDIR/single.out" &
SP=$!; track_pid $SP
echo $SP > "$RUNDIR/root.pid"
wait_line "$RUNDIR/single.out" '^done' 30 || not_ok "single workload"
settle single; settle single
cpu=$(cpu_of single)
own=$(( ($(cut -d' ' -f14 /proc/$SP/stat) + $(cut -d' ' -f15 /proc/$SP/stat)) * 1000000 / $(getconf CLK_TCK) ))
echo "# Pid group: cpu $cpu us (the process's own: $own us), started $(csv_last single operations-processes_started 2)"
check "Pid group without Children: no child counted as started (at most itself)" \
  [ "$(csv_last single operations-processes_started 2)" -le 1 ]
check "Pid group without Children: only its own CPU (< 0.5 s of the children's 2 s)" [ "$cpu" -lt 500000 ]
kill -TERM $SP; wait $SP 2>/dev/null
stop_collectd

# ---- a zombie at a rescan: one exit, not two ----
start "RescanInterval 1"
run_root zombie 4
wait_line "$OUT" '^done' 20 || not_ok "zombie done"
settle tree; settle tree
echo "# zombie over 3 rescans: started $(csv_last tree operations-processes_started 2) exited $(csv_last tree operations-processes_exited 2)"
check "zombie across rescans: exited 1" [ "$(csv_last tree operations-processes_exited 2)" = 1 ]
check "zombie across rescans: started 2 (root + child)" [ "$(csv_last tree operations-processes_started 2)" = 2 ]
end_root
stop_collectd

# ---- the daemon stopped for 3 s while children churn: still exact ----
start ""
run_root exec 1500 500
sleep 0.5; kill -STOP "$CD_PID"; sleep 3; kill -CONT "$CD_PID"
wait_line "$OUT" '^done' 120 || not_ok "stopped churn finished"
settle tree; settle tree
truth=$(( $(kv "$(cat "$OUT")" rusage_self_us) + $(kv "$(cat "$OUT")" rusage_children_us) ))
cpu=$(cpu_of tree)
echo "# daemon stopped 3 s: plugin cpu $cpu us, getrusage $truth us; exits_unrecorded $(csv_last "" derive-exits_unrecorded 2)"
check "daemon stopped during churn: cpu within 2%" approx "$cpu" "$truth" 2
check "daemon stopped during churn: started = exited + 1" \
  [ "$(csv_last tree operations-processes_started 2)" = $(( $(csv_last tree operations-processes_exited 2) + 1 )) ]
# seen: 2 of ~2,500 members ended without their record on a loaded host,
# 7 in the 6.1 guest under TCG; counted and logged, not yet explained (the
# closing note of issue 10)
check "daemon stopped during churn: members ended without a record counted, at most 1%" \
  [ $(( $(csv_last "" derive-exits_unrecorded 2) * 100 )) -le "$(csv_last tree operations-processes_exited 2)" ]
check "no counter ever decreased" all_counters_monotonic "$RUNDIR/csv/testhost/taskstats-tree"
end_root
stop_collectd
