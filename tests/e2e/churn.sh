#!/usr/bin/env bash
# Exact group accounting through churn, with the real collectd: a member
# spawns 2,000 short-lived children (most live far less than an interval)
# and short-lived threads.  Ground truth: the parent's getrusage(SELF) +
# getrusage(CHILDREN) after it reaped everything, and /proc/PID/io.
# Then the same with ExitRecords false (what peers lose), and with a tiny
# receive buffer (loss is counted, counters still never go back).
. "$(dirname "$0")/../lib.sh"
need_root "churn"
mk_rundir
LOAD=$HELPERS/tsload
N=${CHURN_CHILDREN:-2000}
NAME=tschurn$$        # unique: other workloads on the host must not match

# churn_run NAME EXTRA_OPTIONS : collectd + the churning workload; sets TRUTH
churn_run() {
  local name=$1 extra=$2
  reset_run
  INTERVAL=1 collectd_conf "$RUNDIR/$name.conf" <<CONF
LoadPlugin taskstats
<Plugin taskstats>
  $extra
  <Group "churn">
    Comm "$NAME"
    Children true
  </Group>
</Plugin>
CONF
  start_collectd "$RUNDIR/$name.conf"
  wait_rows "" duration-read 1 || { not_ok "$name: collectd started"; return 1; }
  "$LOAD" --name $NAME --children "$N" --rate 200 --cpu-ms 5 --writes 10 \
    --write-size 1000 --thread-every 100 --fail-every 500 --hold > "$RUNDIR/$name.out" &
  WPID=$!; track_pid $WPID
  if ! wait_line "$RUNDIR/$name.out" '^done' 120; then
    not_ok "$name: workload finished"; TRUTH=""
    stop_collectd; kill -KILL $WPID; wait $WPID 2>/dev/null
    return 1
  fi
  TRUTH=$(grep '^done' "$RUNDIR/$name.out")
  # what a per-process plugin (collectd's processes) counts: the parent's
  # own CPU; its children live between reads
  local st; st=$(sed 's/.*) //' /proc/$WPID/stat)
  PEER_CPU=$(( ($(echo "$st" | cut -d' ' -f12) + $(echo "$st" | cut -d' ' -f13)) * 1000000 / $(getconf CLK_TCK) ))
  declare -gA IO=()
  local k v
  while read -r k v; do IO[${k%:}]=$v; done < /proc/$WPID/io
  local n; n=$(wc -l < "$(csv_file churn ps_cputime)")
  wait_rows churn ps_cputime $((n + 1)) 20   # two reads after the ground truth
  stop_collectd
  kill -TERM $WPID; wait $WPID 2>/dev/null
}

churn_run listen ""
truth_cpu=$(( $(kv "$TRUTH" rusage_self_us)0 / 10 + $(kv "$TRUTH" rusage_children_us)0 / 10 ))
cpu=$(( $(csv_last churn ps_cputime 2) + $(csv_last churn ps_cputime 3) ))
echo "# exit records on: plugin cpu $cpu us, getrusage self+children $truth_cpu us"
check "cpu total within 2% of getrusage(SELF)+getrusage(CHILDREN)" approx "$cpu" "$truth_cpu" 2
echo "# io: plugin tx $(csv_last churn io_octets 3) syscw $(csv_last churn io_ops 3); parent /proc/PID/io (incl. reaped children) wchar ${IO[wchar]} syscw ${IO[syscw]}"
check "bytes written = the parent's /proc io after reaping (exact)" \
  [ "$(csv_last churn io_octets 3)" = "${IO[wchar]}" ]
check "write syscalls = the parent's /proc io after reaping (exact)" \
  [ "$(csv_last churn io_ops 3)" = "${IO[syscw]}" ]
check "bytes written cover 2,000 children x 10,000 bytes" \
  [ "$(csv_last churn io_octets 3)" -ge $((N * 10000)) ]
started=$(csv_last churn operations-processes_started 2)
exited=$(csv_last churn operations-processes_exited 2)
failed=$(csv_last churn operations-processes_failed 2)
echo "# started $started exited $exited failed $failed"
check "processes_started = $N children + the parent" [ "$started" = $((N + 1)) ]
check "processes_exited = $N" [ "$exited" = "$N" ]
nfail=$(( (N - 1) / 500 + (N - 1) / 500 ))
check "processes_failed = exit 3 and kill -9 children ($failed)" [ "$failed" -ge $(( N / 500 )) ]
check "notification: exited with status 3" grep -q "$NAME\[[0-9]*\] exited with status 3" "$RUNDIR/collectd.log"
check "notification: killed by signal 9" grep -q "$NAME\[[0-9]*\] killed by signal 9" "$RUNDIR/collectd.log"
check "notification severity WARNING, plugin taskstats, instance churn" \
  grep -q "Notification: severity = WARNING.*plugin = taskstats, plugin_instance = churn" "$RUNDIR/collectd.log"
check "no counter ever decreased" all_counters_monotonic "$RUNDIR/csv/testhost/taskstats-churn"
check "no exit record lost" [ "$(csv_last "" derive-exit_records_lost 2)" = 0 ]
check "no [error] logged" bash -c "! grep -q '\[error\]' $RUNDIR/collectd.log"
listen_cpu=$cpu

peer_loss=$(awk -v a="$PEER_CPU" -v b="$truth_cpu" 'BEGIN{printf "%.1f", 100*(b-a)/b}')
echo "# the parent's own CPU (what a per-process plugin sees): $PEER_CPU us of $truth_cpu us: $peer_loss% missing"
check "a per-process view misses the children's work (${peer_loss}% of CPU)" \
  awk "BEGIN{exit !($peer_loss > 50)}"

churn_run no-exit-records "ExitRecords false"
truth_cpu=$(( $(kv "$TRUTH" rusage_self_us)0 / 10 + $(kv "$TRUTH" rusage_children_us)0 / 10 ))
cpu=$(( $(csv_last churn ps_cputime 2) + $(csv_last churn ps_cputime 3) ))
echo "# ExitRecords false: plugin cpu $cpu us of $truth_cpu us (the reaper's children time); tx $(csv_last churn io_octets 3) of wchar ${IO[wchar]}"
check "without exit records: cpu within 2% (the reaper's cumulative children time)" \
  approx "$cpu" "$truth_cpu" 2
check "without exit records: bytes exact (the reaper's /proc io)" \
  [ "$(csv_last churn io_octets 3)" = "${IO[wchar]}" ]
check "without exit records counters still never decrease" all_counters_monotonic "$RUNDIR/csv/testhost/taskstats-churn"

churn_run records-only "ProcEvents false" || true
truth_cpu=$(( $(kv "$TRUTH" rusage_self_us)0 / 10 + $(kv "$TRUTH" rusage_children_us)0 / 10 ))
cpu=$(( $(csv_last churn ps_cputime 2) + $(csv_last churn ps_cputime 3) ))
echo "# exit records without proc events: plugin cpu $cpu us, getrusage $truth_cpu us; started $(csv_last churn operations-processes_started 2)"
check "children found by their exit records alone (ac_ppid): cpu within 2%" approx "$cpu" "$truth_cpu" 2
check "children found by their exit records alone: $N exits" [ "$(csv_last churn operations-processes_exited 2)" = "$N" ]
echo "# records only: plugin tx $(csv_last churn io_octets 3) syscw $(csv_last churn io_ops 3); parent /proc io wchar ${IO[wchar]} syscw ${IO[syscw]}; exit_records_lost $(csv_last "" derive-exit_records_lost 2)"
check "children found by their exit records alone: bytes exact" [ "$(csv_last churn io_octets 3)" = "${IO[wchar]}" ]

churn_run overflow "ExitRecordsBuffer 4096"
lost=$(csv_last "" derive-exit_records_lost 2)
echo "# tiny receive buffer: exit_records_lost $lost"
check "forced overflow: exit_records_lost > 0" [ "$lost" -gt 0 ]
check "forced overflow: counters still never decrease" all_counters_monotonic "$RUNDIR/csv/testhost/taskstats-churn"
