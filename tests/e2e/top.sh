#!/usr/bin/env bash
# <Top "io">: three workloads writing 40, 12 and 4 MB/s; the top
# view reports them in that order, at most Count entries per read, with
# comm and PID in the identifier.
. "$(dirname "$0")/../lib.sh"
need_root "top consumers"
mk_rundir
LOAD=$HELPERS/tsload
INTERVAL=1 collectd_conf "$RUNDIR/top.conf" <<CONF
LoadPlugin taskstats
<Plugin taskstats>
  <Top "io">
    By "io"
    Count 3
  </Top>
  <Top "cpu">
    Count 3
  </Top>
</Plugin>
CONF
"$LOAD" --name ttop-fast --io-rate 40000000 & F=$!; track_pid $F
"$LOAD" --name ttop-mid --io-rate 12000000 & M=$!; track_pid $M
"$LOAD" --name ttop-slow --io-rate 4000000 & S=$!; track_pid $S
"$LOAD" --name ttop-burn --cpu-ms 6000 > /dev/null & B=$!; track_pid $B
cp "$HELPERS/tstree" "$RUNDIR/ttop-reaper"
start_collectd "$RUNDIR/top.conf"
sleep 1.5
# an idle parent that reaps a child which wrote 1 GiB: /proc/PID/io of
# the parent gains the child's I/O at the reaping; it did none itself
( exec -a ttop-reaper "$RUNDIR/ttop-reaper" tree 16 > "$RUNDIR/reaper.out" ) & R=$!; track_pid $R
wait_line "$RUNDIR/reaper.out" '^alive' 20; kill -USR1 $R
sleep 1.5
# the burner's real share of the host over the last second (ground truth
# for its rate; on a shared host other processes may rank above it)
b0=$(( $(cut -d' ' -f14 /proc/$B/stat) + $(cut -d' ' -f15 /proc/$B/stat) ))
sleep 1
b1=$(( $(cut -d' ' -f14 /proc/$B/stat) + $(cut -d' ' -f15 /proc/$B/stat) ))
share=$(awk -v d=$((b1 - b0)) -v hz=$(getconf CLK_TCK) -v n=$(nproc) 'BEGIN{printf "%.1f", 100 * d / hz / n}')
sleep 0.5
stop_collectd
kill $F $M $S $B $R
d=$RUNDIR/csv/testhost/taskstats-top_io
ls "$d" > "$RUNDIR/files"
sed 's/^/# /' "$RUNDIR/files"
last() { tail -n1 "$d/bytes-$1-$2"-* 2>/dev/null | cut -d, -f2; }
f=$(last ttop-fast $F); m=$(last ttop-mid $M); s=$(last ttop-slow $S)
echo "# rates: fast ${f:-none} mid ${m:-none} slow ${s:-none} B/s"
check "fast writer reported as ttop-fast-PID" [ -n "$f" ]
check "mid writer reported" [ -n "$m" ]
check "order: fast > mid" awk "BEGIN{exit !(${f:-0} > ${m:-0})}"
check "order: mid > slow" awk "BEGIN{exit !(${m:-0} > ${s:-0})}"
check "fast writer's rate within 25% of 40 MB/s" approx "${f:-0}" 40000000 25
check "slow writer reported (third)" [ -n "$s" ]
r=$(awk -F, 'NR>1 && $2+0>m {m=$2+0} END{print m+0}' "$d"/bytes-ttop-reaper-$R-* 2>/dev/null)
echo "# a parent that reaped 1 GiB of its child's I/O: its highest rate ${r:-0} B/s"
check "top io ranks by a process's own I/O: the reaper is not credited with its children's" \
  awk "BEGIN{exit !(${r:-0} < 1000000)}"
# bounded: at most Count identifiers per read (timestamps shared by the files)
maxper=$(cat "$d"/bytes-* | grep -v epoch | cut -d, -f1 | sort | uniq -c | sort -rn | head -n1 | awk '{print $1}')
check "at most 3 entries per read (max seen: $maxper)" [ "${maxper:-0}" -le 3 ]
check "top cpu: the burner is among the top 3" bash -c "ls $RUNDIR/csv/testhost/taskstats-top_cpu/percent-ttop-burn-$B-* >/dev/null"
pct=$(tail -n1 $RUNDIR/csv/testhost/taskstats-top_cpu/percent-ttop-burn-$B-* 2>/dev/null | cut -d, -f2)
echo "# burner: ${pct:-none}% of the host; its /proc share over the last second ${share}%"
check "top cpu: the burner's share within 10 points of its /proc share, at most one CPU" \
  awk "BEGIN{d=${pct:-0}-$share; if(d<0)d=-d; exit !(d <= 10 && ${pct:-0} <= 100 / $(nproc) + 3)}"
check "no [error] logged" bash -c "! grep -q '\[error\]' $RUNDIR/collectd.log"
