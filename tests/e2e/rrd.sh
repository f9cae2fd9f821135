#!/usr/bin/env bash
# The rrdtool writer on a known workload, then tools/taskstats-graph: the
# RRDs hold the workload's consumption (DERIVE stored as rates per second),
# and the graphs are real PNGs.  GRAPH_OUT=DIR keeps a copy of the PNGs.
. "$(dirname "$0")/../lib.sh"
need_root "rrd graphs"
command -v rrdtool > /dev/null || { skip "rrd graphs" "rrdtool not installed"; exit 0; }
mk_rundir
[ "${KEEP:-0}" = 1 ] && echo "# RUNDIR=$RUNDIR"
trap 'restore_delayacct; [ "${KEEP:-0}" = 1 ] || cleanup_rundir' EXIT
with_delayacct 1
LOAD=$HELPERS/tsload
GRAPH=$TOP/tools/taskstats-graph
RRD=$RUNDIR/rrd
G=$RRD/testhost/taskstats-burn
CPU_MS=${CPU_MS:-9000}

INTERVAL=1 collectd_conf "$RUNDIR/c.conf" <<CONF
PluginDir "/usr/lib/collectd"
LoadPlugin rrdtool
<Plugin rrdtool>
  DataDir "$RRD"
  CreateFilesAsync false
  CacheTimeout 0
</Plugin>
PluginDir "$PLUGIN_DIR"
LoadPlugin taskstats
<Plugin taskstats>
  <Group "burn">
    Comm "tsload-rrd"
  </Group>
</Plugin>
CONF
start_collectd "$RUNDIR/c.conf"
wait_rows burn ps_count 2 20 || { not_ok "collectd started"; cat "$RUNDIR/collectd.log"; exit 1; }
t_start=$(date +%s)

# Born after collectd's reads began: counted from zero.  One thread burns
# CPU_MS of CPU, then writes 20000 x 4096 B to /dev/null and reads 20000 x
# 4096 B from /dev/zero, then holds (idle) until SIGTERM.
t0=$(date +%s.%N)
"$LOAD" --name tsload-rrd --threads 1 --cpu-ms "$CPU_MS" --writes 20000 --write-size 4096 \
  --reads 20000 --hold > "$RUNDIR/load.out" &
LPID=$!; track_pid $LPID
wait_line "$RUNDIR/load.out" '^done' 40 || { not_ok "workload finished"; stop_collectd; exit 1; }
t1=$(date +%s.%N)
sleep 3      # idle reads: process/thread counts while nothing changes
# ground truth, while the workload holds still
read -r -a st < <(sed 's/.*) //' /proc/$LPID/stat)
hz=$(getconf CLK_TCK)
proc_cpu_us=$(( (st[11] + st[12]) * 1000000 / hz ))
declare -A io
while read -r k v; do io[${k%:}]=$v; done < /proc/$LPID/io
vmrss=$(awk '/^VmRSS/{print $2*1024}' /proc/$LPID/status)
work_cpu_us=$(kv "$(grep '^done' "$RUNDIR/load.out")" cpu_us)
sleep 2.5    # two more reads after the ground truth
stop_collectd
kill -TERM $LPID; wait $LPID 2>/dev/null
check "collectd exited cleanly" [ "$CD_RC" = 0 ]
echo "# run: $(( $(date +%s) - t_start + 2 )) s of collectd; burn $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s wall"

for f in ps_cputime ps_count io_octets io_ops disk_octets ps_rss memory-rss_peak delay_rate-delay-cpu; do
  check "$f.rrd written" [ -s "$G/$f.rrd" ]
done
check "rrd step is the 1 s interval" grep -q '^step = 1$' <(rrdtool info "$G/ps_cputime.rrd")

last=$(rrdtool last "$G/ps_cputime.rrd")
# rows TS V1 [V2] of the 1-s AVERAGE RRA over the whole run
rows() { rrdtool fetch "$1" AVERAGE -r 1 -s $((last - 60)) -e "$last" | awk 'NF>=2 && $1 ~ /:$/ {sub(":","",$1); print}'; }

# CPU: the integral of the stored rate is the total, the rate during the
# burn is the workload's CPU per second
integ=$(rows "$G/ps_cputime.rrd" | awk '$2!="-nan" && $2!="nan" {s+=$2+$3} END{printf "%.0f", s}')
echo "# cpu: integral of the RRD rate $integ us; /proc $proc_cpu_us us; workload $work_cpu_us us"
check "cpu: integral of user+syst rate = /proc utime+stime within 5% (rates per second)" approx "$integ" "$proc_cpu_us" 5
check "cpu: integral = the workload's own CPU time within 5%" approx "$integ" "$work_cpu_us" 5
# seconds fully inside the burn: rows ending in (t0+1, t1-1]
burn_avg=$(rows "$G/ps_cputime.rrd" | awk -v a="$t0" -v b="$t1" '$1-1 >= a+1 && $1 <= b-1 && $2 !~ /nan/ {s+=$2+$3; n++} END{if(n) printf "%.0f %d", s/n, n; else print "0 0"}')
read -r burn_rate burn_n <<< "$burn_avg"
want_rate=$(awk -v c="$work_cpu_us" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", c/(b-a)}')
echo "# cpu rate during the burn: RRD $burn_rate us/s over $burn_n rows; workload $want_rate us/s (cpu_us / wall)"
check "cpu: at least 4 one-second rows inside the burn" [ "$burn_n" -ge 4 ]
check "cpu: RRD rate averaged over the burn = workload CPU per second within 10%" approx "$burn_rate" "$want_rate" 10
idle=$(rows "$G/ps_cputime.rrd" | awk -v b="$t1" '$1-1 >= b+1 && $2 !~ /nan/ {if($2+$3>m)m=$2+$3} END{printf "%.0f", m+0}')
check "cpu: the holding workload is idle (< 2% of a core, got $idle us/s)" [ "$idle" -lt 20000 ]

# I/O: integral of the write rate = the bytes written
tx=$(rows "$G/io_octets.rrd" | awk '$3 !~ /nan/ {s+=$3} END{printf "%.0f", s}')
rx=$(rows "$G/io_octets.rrd" | awk '$2 !~ /nan/ {s+=$2} END{printf "%.0f", s}')
ops=$(rows "$G/io_ops.rrd" | awk '$3 !~ /nan/ {s+=$3} END{printf "%.0f", s}')
echo "# io: RRD integral rx=$rx tx=$tx write ops=$ops; /proc rchar=${io[rchar]} wchar=${io[wchar]} syscw=${io[syscw]}"
check "io_octets tx integral = /proc wchar within 2%" approx "$tx" "${io[wchar]}" 2
check "io_octets rx integral = /proc rchar within 2%" approx "$rx" "${io[rchar]}" 2
check "io_ops write integral = /proc syscw within 2%" approx "$ops" "${io[syscw]}" 2
check "io_octets tx covers the 81,920,000 bytes written" [ "$tx" -ge 80000000 ]

# counts and memory (gauges)
cnt=$(rows "$G/ps_count.rrd" | awk -v b="$t1" '$1-1 >= b+1 && $2 !~ /nan/ {print $2+0, $3+0}' | sort -u)
echo "# ps_count after the burn (processes threads): $(echo $cnt)"
check "ps_count: processes = 1, threads = 2 in every row after the burn" [ "$cnt" = "1 2" ]
rss=$(rrdtool lastupdate "$G/ps_rss.rrd" | awk -F': ' 'NF==2{print $2+0}')
slack=$(( $(nproc) * 64 * $(getconf PAGESIZE) ))
echo "# rss: RRD $rss, VmRSS $vmrss"
check "ps_rss = VmRSS within the per-CPU counter slack" approx_abs "$rss" "$vmrss" $slack
dcpu=$(ls "$G"/delay_rate-delay-*.rrd | wc -l)
check "delay_rate-delay-*.rrd: one per kind the kernel reports (found $dcpu, delayacct on)" [ "$dcpu" -ge 4 ]

# graphs
"$GRAPH" -o "$RUNDIR/png" -s "$((t_start - 3))" -e "$last" "$G" > "$RUNDIR/graph.out" 2> "$RUNDIR/graph.err"; grc=$?
check "taskstats-graph exits 0" [ "$grc" = 0 ]
[ -s "$RUNDIR/graph.err" ] && sed 's/^/# graph: /' "$RUNDIR/graph.err"
for k in cpu delay io memory count; do
  p=$RUNDIR/png/burn-$k.png
  if [ -f "$p" ] && file -b "$p" | grep -q '^PNG image data' && [ "$(stat -c %s "$p")" -gt 1024 ]; then
    ok "burn-$k.png is a PNG > 1 KB ($(file -b "$p" | cut -d, -f2 | tr -d ' '), $(stat -c %s "$p") B)"
  else not_ok "burn-$k.png is a PNG > 1 KB"; fi
done
check "taskstats-graph lists the PNGs it wrote" [ "$(grep -c '\.png$' "$RUNDIR/graph.out")" = 5 ]
# the delay graph has a line per kind
check "the delay graph draws every delay_rate-delay-*.rrd" \
  bash -c "rrdtool graph /dev/null --start $((t_start - 3)) --end $last \$(for f in $G/delay_rate-delay-*.rrd; do echo DEF:x\$RANDOM=\$f:value:AVERAGE; done) > /dev/null"
# with a missing RRD the graph is skipped, not an error
mkdir -p "$RUNDIR/partial/testhost/taskstats-p" && cp "$G/ps_count.rrd" "$RUNDIR/partial/testhost/taskstats-p/"
"$GRAPH" -o "$RUNDIR/png2" "$RUNDIR/partial/testhost/taskstats-p" > "$RUNDIR/g2.out" 2> "$RUNDIR/g2.err"; grc=$?
check "taskstats-graph with only ps_count.rrd: exit 0, one PNG, notes on stderr" \
  [ "$grc" = 0 ] && [ "$(wc -l < "$RUNDIR/g2.out")" = 1 ] && grep -q "CPU graph skipped" "$RUNDIR/g2.err"
if [ -n "${GRAPH_OUT:-}" ]; then mkdir -p "$GRAPH_OUT" && cp "$RUNDIR"/png/*.png "$GRAPH_OUT/"; fi
if grep -q "\[error\]" "$RUNDIR/collectd.log"; then
  not_ok "no ERROR in the log"; grep "\[error\]" "$RUNDIR/collectd.log" | sed 's/^/# /'
else ok "no ERROR in the log"; fi
