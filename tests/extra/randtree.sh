#!/usr/bin/env bash
# Randomized, seed-reproducible process trees (tests/helpers/tsrandtree.c)
# under one collectd (Interval 0.5) with a Children group per slot: depth
# up to 4, fork-only and exec'd children (this program again, /bin/true,
# /bin/sh), threads, parents ignoring SIGCHLD, double forks re-parented to
# the root (a subreaper) or to a reaper outside the group, kill -9,
# non-zero exits, processes that exit as soon as they are created.
# For every tree, every counter family of the group (its growth over the
# tree) against the kernel's own figures: the root's getrusage(SELF +
# CHILDREN) and /proc/ROOT/io after everything was reaped, plus what each
# detached process (auto-reaped, or re-parented out of the tree) read
# about itself from the kernel just before it exited.
#
#   RANDTREE_SEED=B    base seed (printed; default from the clock): tree i
#                      uses seed B+i, so RANDTREE_SEED=S RANDTREE_TREES=1
#                      replays the one tree of seed S
#   RANDTREE_TREES=N   trees (default 200)
#   RANDTREE_SLOTS=K   trees run K at a time, one group each (default 4)
#   RANDTREE_KNOBS=... tsrandtree size options (default below)
#   RANDTREE_LOG=FILE  keep every tree's plan, truth and snapshots
#
# Tolerances, per tree (see README, "Counting rules"):
#   ps_cputime  |plugin - truth| <= 2% of truth + 20 ms + 1 ms per process
#               of a detached region.  20 ms: the live reaper at the end
#               (the root) is read through cutime and cstime, each in
#               10 ms ticks; the plugin may be short of that by up to one
#               tick each (children already absorbed are floored by their
#               own values).  1 ms: a detached process counts from its
#               exit record, short of its exit path, and so do children
#               it reaped without being sampled again; the truth misses the
#               same exit path after its getrusage(): the difference is
#               the exit path of exec'd programs (~0.5 ms for /bin/true).
#   io_octets, io_ops, disk_octets, total_bytes
#               exact (plugin = truth) when no process of the tree is
#               detached: every byte goes through a reaper's /proc/PID/io;
#               else truth - 1023 x T <= plugin <= truth, T = the tasks
#               (threads included) of detached regions: exit records round
#               bytes and syscalls down to 1 KiB / 1024 per task, which
#               applies only to members that ended unsampled and were not
#               reaped by a member.
#   ps_pagefaults  |d| <= 8 + 2 per process of a detached region (the
#               root's own faults after its getrusage(), exit paths)
#   contextswitch  voluntary and involuntary: |d| <= 4 + 2 per task of the
#               tree (a task's switches after its exit record or after
#               its getrusage(): the final schedule, the report's wakeup)
#   operations  processes_started, processes_exited, processes_failed
#               exact
#   ps_count    1 process and 1 thread (the root) after the tree
# and, over the whole run, no counter of any group ever decreased.
. "$(dirname "$0")/../lib.sh"
need_root "randtree"
mk_rundir
TREES=${RANDTREE_TREES:-200}
SLOTS=${RANDTREE_SLOTS:-4}
BASE=${RANDTREE_SEED:-$(( $(date +%s) % 100000 * 1000 + RANDOM % 1000 ))}
KNOBS=${RANDTREE_KNOBS:---depth 4 --kids 4 --nodes 20 --cpu-ms 6}
[ "$SLOTS" -gt "$TREES" ] && SLOTS=$TREES
echo "# base seed $BASE ($TREES trees, $SLOTS at a time, tsrandtree $KNOBS): tree i has seed $BASE+i"
echo "# reproduce: RANDTREE_SEED=$BASE RANDTREE_TREES=$TREES; one tree: RANDTREE_SEED=<its seed> RANDTREE_TREES=1"
T0=$SECONDS

{
  echo "LoadPlugin taskstats"
  echo "<Plugin taskstats>"
  for k in $(seq 0 $((SLOTS - 1))); do
    cp "$HELPERS/tsrandtree" "$RUNDIR/rt${k}_$$"     # the root's comm
    printf '  <Group "rt%d">\n    Comm "rt%d_%d"\n    Children true\n  </Group>\n' "$k" "$k" $$
  done
  echo "</Plugin>"
} | INTERVAL=0.5 collectd_conf "$RUNDIR/randtree.conf"
start_collectd "$RUNDIR/randtree.conf"
wait_rows "" duration-read 1 || { not_ok "collectd started"; exit 1; }

# newest csv file of a group's TYPE (the csv writer adds the date)
gfile() { ls "$RUNDIR/csv/testhost/taskstats-$1/$2"-* 2>/dev/null | sort | tail -n 1; }
rows() { local f; f=$(gfile "$1" ps_cputime); [ -n "$f" ] && wc -l < "$f" || echo 0; }
# settle GROUP : two more reads of GROUP written
settle() {
  local n i; n=$(rows "$1")
  for i in $(seq 1 200); do
    [ "$(rows "$1")" -ge $((n + 2)) ] && return 0
    kill -0 "$CD_PID" 2>/dev/null || return 2
    sleep 0.1
  done
  return 1
}
# snap GROUP : "key=value ..." of the group's counters now
snap() {
  local g=$1 t f
  for t in ps_cputime:user:syst io_octets:rx:tx io_ops:read:write \
           ps_pagefaults:minflt:majflt disk_octets:rb:wb \
           contextswitch-voluntary:vcs contextswitch-involuntary:ics \
           operations-processes_started:started operations-processes_exited:exited \
           operations-processes_failed:failed total_bytes-cancelled_write:cw \
           ps_count:procs:threads; do
    IFS=: read -r type a b <<< "$t"
    f=$(gfile "$g" "$type")
    if [ -z "$f" ]; then echo -n "$a=0 ${b:+$b=0 }"; continue; fi
    tail -n 1 "$f" | awk -F, -v a="$a" -v b="$b" \
      '{ printf "%s=%d ", a, $2 + 0; if (b != "") printf "%s=%d ", b, $3 + 0 }'
  done
  echo
}

# judge SEED "B" "A" "TRUTH" "PROCIO" : one line per family, "ok FAMILY" or
# "FAIL FAMILY details"
judge() {
  awk -v seed="$1" -v B="$2" -v A="$3" -v T="$4" -v P="$5" '
    function kv(s, arr,   n, i, x, p) { n = split(s, x, " ");
      for (i = 1; i <= n; i++) { p = index(x[i], "="); if (p) arr[substr(x[i], 1, p - 1)] = substr(x[i], p + 1) + 0 } }
    function abs(x) { return x < 0 ? -x : x }
    function d(k) { return a[k] - b[k] }
    function res(fam, good, msg) { printf "%s %s seed=%s %s\n", good ? "ok" : "FAIL", fam, seed, msg }
    function io(fam, key, truth, tasks,   p, lo, good) {
      p = d(key); lo = truth - 1023 * tasks
      good = tasks == 0 ? p == truth : (p <= truth && p >= lo)
      return sprintf("%s%s %s: plugin %d truth %d%s;", good ? "" : "BAD ", fam, key, p, truth,
                     tasks ? sprintf(" (>= %d)", lo) : " (exact)") (good ? "" : "!")
    }
    BEGIN {
      kv(B, b); kv(A, a); kv(T, t); kv(P, q)
      rt = t["region_tasks"] + 0; rp = t["region_procs"] + 0
      # CPU
      p = d("user") + d("syst"); tr = t["cpu_us"]
      tol = 0.02 * tr + 20000 + 1000 * rp
      res("ps_cputime", abs(p - tr) <= tol, sprintf("plugin %d truth %d us (diff %+d, tol %d)", p, tr, p - tr, tol))
      # I/O
      m = io("io_octets", "rx", q["rchar"] + t["det_rchar"], rt) " " io("io_octets", "tx", q["wchar"] + t["det_wchar"], rt)
      res("io_octets", m !~ /!/, m)
      m = io("io_ops", "read", q["syscr"] + t["det_syscr"], rt) " " io("io_ops", "write", q["syscw"] + t["det_syscw"], rt)
      res("io_ops", m !~ /!/, m)
      m = io("disk_octets", "rb", q["read_bytes"] + t["det_read_bytes"], rt) " " \
          io("disk_octets", "wb", q["write_bytes"] + t["det_write_bytes"], rt) " " \
          io("total_bytes", "cw", q["cancelled_write_bytes"] + t["det_cancelled"], rt)
      res("disk_octets+total_bytes", m !~ /!/, m)
      # faults
      tol = 8 + 2 * rp
      g = abs(d("minflt") - t["minflt"]) <= tol && abs(d("majflt") - t["majflt"]) <= tol
      res("ps_pagefaults", g, sprintf("minflt plugin %d truth %d, majflt plugin %d truth %d (tol %d)",
          d("minflt"), t["minflt"], d("majflt"), t["majflt"], tol))
      # context switches
      tol = 4 + 2 * t["tasks"]
      g = abs(d("vcs") - t["nvcsw"]) <= tol && abs(d("ics") - t["nivcsw"]) <= tol
      res("contextswitch", g, sprintf("voluntary plugin %d truth %d, involuntary plugin %d truth %d (tol %d)",
          d("vcs"), t["nvcsw"], d("ics"), t["nivcsw"], tol))
      # processes
      g = d("started") == t["started"] && d("exited") == t["exited"] && d("failed") == t["failed"]
      res("operations", g, sprintf("started %d/%d exited %d/%d failed %d/%d (plugin/truth)",
          d("started"), t["started"], d("exited"), t["exited"], d("failed"), t["failed"]))
      res("ps_count", a["procs"] == 1 && a["threads"] == 1,
          sprintf("processes %d threads %d after the tree (want 1 1)", a["procs"], a["threads"]))
      res("helper", t["cpu_us"] >= t["planned_cpu_us"] && q["wchar"] + t["det_wchar"] >= t["planned_wchar"],
          sprintf("kernel cpu %d >= planned burn %d us, wchar %d >= planned %d",
          t["cpu_us"], t["planned_cpu_us"], q["wchar"] + t["det_wchar"], t["planned_wchar"]))
    }'
}

# slot K : run trees K, K+SLOTS, ... in group rtK; results to slotK.res
slot() {
  local k=$1 g=rt$1 root=$RUNDIR/rt$1_$$ i seed out w line rpid B A procio
  local res=$RUNDIR/slot$k.res
  : > "$res"
  settle "$g"
  for ((i = k; i < TREES; i += SLOTS)); do
    seed=$((BASE + i)); out=$RUNDIR/tree$seed.out
    B=$(snap "$g")
    t_start=$(date +%s.%N)
    : > "$out"          # before the background job's own redirection
    "$HELPERS/tsrandtree" --reaper "$root" --seed "$seed" $KNOBS >> "$out" 2> "$RUNDIR/tree$k.err" &
    w=$!
    if ! wait_line "$out" '^truth' 60; then
      echo "FAIL finished seed=$seed no truth line in 60 s: $(cat "$out" "$RUNDIR/tree$k.err" | tr '\n' ' ')" >> "$res"
      kill -KILL "$w" 2>/dev/null; wait "$w" 2>/dev/null
      continue
    fi
    line=$(grep '^truth' "$out")
    rpid=$(kv "$line" pid)
    if [ -z "$rpid" ] || [ ! -r "/proc/$rpid/io" ]; then
      echo "FAIL finished seed=$seed truth line unreadable: $(cat "$out" | tr '\n' ' ')" >> "$res"
      kill -KILL "$w" 2>/dev/null; wait "$w" 2>/dev/null
      continue
    fi
    procio=$(tr -d ':' < "/proc/$rpid/io" | awk '{ printf "%s=%s ", $1, $2 }')
    settle "$g"
    A=$(snap "$g")
    echo "# seed=$seed $(grep '^plan' "$out" | sed 's/^plan seed=[0-9]* //')" >> "$res"
    echo "#   truth: ${line#truth }" >> "$res"
    echo "#   /proc/root/io: $procio" >> "$res"
    echo "#   before: $B" >> "$res"
    echo "#   after:  $A" >> "$res"
    echo "ok finished seed=$seed" >> "$res"
    judge "$seed" "$B" "$A" "${line#truth }" "$procio" >> "$res"
    kill -TERM "$rpid" 2>/dev/null
    wait "$w" 2>/dev/null
    rm -f "$out"
    settle "$g"
    echo "time slot=$k seed=$seed $t_start $(date +%s.%N)" >> "$res"
  done
}

spids=()
for k in $(seq 0 $((SLOTS - 1))); do
  slot "$k" &
  spids+=($!); track_pid $!
done
for p in "${spids[@]}"; do wait "$p"; done
WALL=$((SECONDS - T0))
echo "# $TREES trees in $WALL s"

cat "$RUNDIR"/slot*.res > "$RUNDIR/all.res"
[ -n "${RANDTREE_LOG:-}" ] && cp "$RUNDIR/all.res" "$RANDTREE_LOG"
for fam in finished ps_cputime io_octets io_ops disk_octets+total_bytes ps_pagefaults \
           contextswitch operations ps_count helper; do
  n_ok=$(grep -c "^ok $fam " "$RUNDIR/all.res")
  bad=$(grep "^FAIL $fam " "$RUNDIR/all.res")
  if [ -z "$bad" ] && [ "$n_ok" -eq "$TREES" ]; then
    ok "$fam within tolerance in all $TREES trees"
  else
    echo "# $fam: $(grep -c "^FAIL $fam " "$RUNDIR/all.res") of $TREES trees out of tolerance:"
    grep "^FAIL $fam " "$RUNDIR/all.res" | head -n 10 | sed 's/^/#   /'
    # the first failing tree in full
    s=$(grep -m1 "^FAIL $fam " "$RUNDIR/all.res" | sed 's/.*seed=\([0-9]*\).*/\1/')
    [ -n "$s" ] && grep -A4 "^# seed=$s " "$RUNDIR/all.res" | sed 's/^#/#   /'
    not_ok "$fam within tolerance in all $TREES trees ($n_ok ok; failing seeds: $(grep "^FAIL $fam " "$RUNDIR/all.res" | sed 's/.*seed=\([0-9]*\).*/\1/' | head -n 10 | paste -sd' '))"
  fi
done
mono=0
for k in $(seq 0 $((SLOTS - 1))); do
  dir=$RUNDIR/csv/testhost/taskstats-rt$k
  all_counters_monotonic "$dir" > /dev/null && continue
  mono=1
  # which tree was running when a counter went back
  for f in "$dir"/*; do
    awk -F, 'NR > 2 { for (i = 2; i <= NF; i++) if ($i + 0 < p[i] + 0) print $1, FILENAME, "column", i, p[i], "->", $i }
             { for (i = 2; i <= NF; i++) p[i] = $i }' "$f"
  done | while read -r ts f _ col from _ to; do
    s=$(awk -v t="$ts" -v k="$k" '$1 == "time" && $2 == "slot="k && t >= $4 && t <= $5 { sub("seed=", "", $3); print $3 }' "$RUNDIR/all.res")
    echo "# decrease in group rt$k at $ts: $(basename "$f") column $col $from -> $to, during the tree of seed ${s:-?}"
    [ -n "$s" ] && grep -m1 "^# seed=$s " "$RUNDIR/all.res"
  done
done
check "no counter of any group ever decreased" [ "$mono" = 0 ]
check "no exit record lost" [ "$(csv_last "" derive-exit_records_lost 2)" = 0 ]
check "no [error] logged" bash -c "! grep -q '\[error\]' $RUNDIR/collectd.log"
echo "# wall time $((SECONDS - T0)) s"
stop_collectd
