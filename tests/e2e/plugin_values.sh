#!/usr/bin/env bash
# The real collectd with the plugin and the csv writer, on a workload whose
# consumption is known: values against the workload and against /proc.
. "$(dirname "$0")/../lib.sh"
need_root "plugin values"
mk_rundir
trap 'restore_delayacct; cleanup_rundir' EXIT
with_delayacct 1
LOAD=$HELPERS/tsload
E2E=tse2e$$ BURN=tsburn$$     # unique names: other workloads must not match

INTERVAL=1 collectd_conf "$RUNDIR/c.conf" <<CONF
LoadPlugin taskstats
<Plugin taskstats>
  <Group "load">
    Comm "$E2E"
  </Group>
  <Group "contended">
    Comm "$BURN"
  </Group>
</Plugin>
CONF
start_collectd "$RUNDIR/c.conf"
wait_rows "" duration-read 1 || { not_ok "collectd started"; cat "$RUNDIR/collectd.log"; exit 1; }

# Born after collectd's first read: counted from zero, its whole life.
"$LOAD" --name $E2E --threads 3 --cpu-ms 300 --writes 1000 --write-size 1000 \
  --reads 500 --hold > "$RUNDIR/load.out" &
LPID=$!; track_pid $LPID
# the burners in a subshell whose `times` gives their whole CPU as the
# kernel counts it (getrusage(CHILDREN)): 1200 ms each of burning plus
# exec, start-up and exit, which are not small under emulation
( taskset -c 0 "$LOAD" --name $BURN --cpu-ms 1200 > /dev/null &
  taskset -c 0 "$LOAD" --name $BURN --cpu-ms 1200 > /dev/null &
  wait; times > "$RUNDIR/burn.times" ) &
BP=$!
wait_line "$RUNDIR/load.out" '^done' 30 || { not_ok "workload finished"; exit 1; }
wait $BP
n=$(( $(wc -l < "$(csv_file load ps_cputime)") ))
wait_rows load ps_cputime $((n + 2)) 20

# ground truth, read while the idle workload still holds still
read -r -a st < <(sed 's/.*) //' /proc/$LPID/stat)
utime=${st[11]} stime=${st[12]} minflt=${st[7]} majflt=${st[9]}
hz=$(getconf CLK_TCK)
proc_cpu_us=$(( (utime + stime) * 1000000 / hz ))
declare -A io
while read -r k v; do io[${k%:}]=$v; done < /proc/$LPID/io
vmhwm=$(awk '/^VmHWM/{print $2*1024}' /proc/$LPID/status)
vmrss=$(awk '/^VmRSS/{print $2*1024}' /proc/$LPID/status)
done_line=$(grep '^done' "$RUNDIR/load.out")
work_cpu_us=$(kv "$done_line" cpu_us)
sleep 1.2   # one more read after the ground truth
stop_collectd
kill -TERM $LPID; wait $LPID 2>/dev/null

cpu_user=$(csv_last load ps_cputime 2); cpu_sys=$(csv_last load ps_cputime 3)
cpu=$((cpu_user + cpu_sys))
echo "# cpu: plugin $cpu us, /proc $proc_cpu_us us, workload (getrusage) $work_cpu_us us"
check "cpu time within 5% of /proc/PID/stat" approx "$cpu" "$proc_cpu_us" 5
check "cpu time within 5% of the workload's getrusage" approx "$cpu" "$work_cpu_us" 5
check "cpu time at least the 900 ms burned" [ "$cpu" -ge 900000 ]

echo "# io: plugin rx=$(csv_last load io_octets 2) tx=$(csv_last load io_octets 3) ops r=$(csv_last load io_ops 2) w=$(csv_last load io_ops 3); /proc ${io[rchar]} ${io[wchar]} ${io[syscr]} ${io[syscw]}"
check "io_octets rx = /proc rchar" [ "$(csv_last load io_octets 2)" = "${io[rchar]}" ]
check "io_octets tx = /proc wchar" [ "$(csv_last load io_octets 3)" = "${io[wchar]}" ]
check "io_ops read = /proc syscr" [ "$(csv_last load io_ops 2)" = "${io[syscr]}" ]
check "io_ops write = /proc syscw" [ "$(csv_last load io_ops 3)" = "${io[syscw]}" ]
check "io_ops write covers the 3000 writes" [ "$(csv_last load io_ops 3)" -ge 3000 ]
check "io_octets tx covers the 3,000,000 bytes" [ "$(csv_last load io_octets 3)" -ge 3000000 ]
check "disk_octets write = /proc write_bytes" [ "$(csv_last load disk_octets 3)" = "${io[write_bytes]}" ]
check "page faults = /proc minflt/majflt" [ "$(csv_last load ps_pagefaults 2)/$(csv_last load ps_pagefaults 3)" = "$minflt/$majflt" ]
echo "# ps_count: $(csv_last load ps_count 2) processes, $(csv_last load ps_count 3) threads"
check "ps_count processes = 1" awk "BEGIN{exit !($(csv_last load ps_count 2) == 1)}"
check "ps_count threads = 4 (main + 3 workers)" awk "BEGIN{exit !($(csv_last load ps_count 3) == 4)}"
echo "# rss: plugin $(csv_last load ps_rss 2) VmRSS $vmrss; peak: plugin $(csv_last load memory-rss_peak 2) VmHWM $vmhwm"
# The kernel keeps RSS in per-CPU counters; /proc/PID/stat and taskstats
# read them approximately (up to 64 pages per CPU off), status sums them.
slack=$(( $(nproc) * 64 * $(getconf PAGESIZE) ))
check "ps_rss = VmRSS (within the per-CPU counter slack)" approx_abs "$(csv_last load ps_rss 2)" "$vmrss" $slack
check "memory-rss_peak = VmHWM (within the per-CPU counter slack)" approx_abs "$(csv_last load memory-rss_peak 2)" "$vmhwm" $slack
check "voluntary context switches counted" [ "$(csv_last load contextswitch-voluntary 2)" -gt 0 ]
check "processes_started = 1" [ "$(csv_last load operations-processes_started 2)" = 1 ]

rate=$(csv_col_max contended delay_rate-delay-cpu 2)
echo "# contended: max delay_rate-delay-cpu $rate s/s (two burners pinned to CPU 0)"
check "delay_rate-delay-cpu > 0.2 for two workloads sharing one CPU" awk "BEGIN{exit !($rate > 0.2)}"
check "contended: both burners were counted (2 started, 2 exited)" \
  [ "$(csv_last contended operations-processes_exited 2)" = 2 ]
ccpu=$(( $(csv_last contended ps_cputime 2) + $(csv_last contended ps_cputime 3) ))
# second line of `times`: children's user and system time, "XmY.YYYs"
bcpu=$(sed -n 2p "$RUNDIR/burn.times" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%d", t * 1e6 }')
echo "# contended: plugin cpu $ccpu us, getrusage(CHILDREN) of the burners $bcpu us (2 x 1200 ms burned)"
check "contended: cpu = the burners' getrusage within 5% (counted after exit)" approx "$ccpu" "$bcpu" 5
check "contended: cpu >= 2 x 1200 ms burned" [ "$ccpu" -ge 2400000 ]
check "every counter of both groups never decreased" \
  bash -c ". $TOP/tests/lib.sh; all_counters_monotonic $RUNDIR/csv/testhost/taskstats-load && all_counters_monotonic $RUNDIR/csv/testhost/taskstats-contended"
if grep -q "\[error\]" "$RUNDIR/collectd.log"; then
  not_ok "no ERROR in the log"; grep "\[error\]" "$RUNDIR/collectd.log"
else ok "no ERROR in the log"; fi
check "collectd exited cleanly" [ "$CD_RC" = 0 ]
