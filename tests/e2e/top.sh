#!/usr/bin/env bash
# <Top "io">: three workloads writing 3 MB/s, 1 MB/s and 300 KB/s; the top
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
    Count 1
  </Top>
</Plugin>
CONF
"$LOAD" --name ttop-fast --io-rate 3000000 & F=$!; track_pid $F
"$LOAD" --name ttop-mid --io-rate 1000000 & M=$!; track_pid $M
"$LOAD" --name ttop-slow --io-rate 300000 & S=$!; track_pid $S
"$LOAD" --name ttop-burn --cpu-ms 6000 > /dev/null & B=$!; track_pid $B
start_collectd "$RUNDIR/top.conf"
sleep 4.5
stop_collectd
kill $F $M $S $B
d=$RUNDIR/csv/testhost/taskstats-top_io
ls "$d" > "$RUNDIR/files"
sed 's/^/# /' "$RUNDIR/files"
last() { tail -n1 "$d/bytes-$1-$2"-* 2>/dev/null | cut -d, -f2; }
f=$(last ttop-fast $F); m=$(last ttop-mid $M); s=$(last ttop-slow $S)
echo "# rates: fast ${f:-none} mid ${m:-none} slow ${s:-none} B/s"
check "fast writer reported as ttop-fast-PID" [ -n "$f" ]
check "mid writer reported" [ -n "$m" ]
check "order: fast > mid" awk "BEGIN{exit !(${f:-0} > ${m:-0})}"
check "order: mid > slow (or slow outside the top 3)" awk "BEGIN{exit !(${m:-0} > ${s:-0})}"
check "fast writer's rate within 25% of 3 MB/s" approx "${f:-0}" 3000000 25
# bounded: at most Count identifiers per read (timestamps shared by the files)
maxper=$(cat "$d"/bytes-* | grep -v epoch | cut -d, -f1 | sort | uniq -c | sort -rn | head -n1 | awk '{print $1}')
check "at most 3 entries per read (max seen: $maxper)" [ "${maxper:-0}" -le 3 ]
check "top cpu: the burner is the one entry" bash -c "ls $RUNDIR/csv/testhost/taskstats-top_cpu/percent-ttop-burn-$B-* >/dev/null"
check "top cpu: ~100% of one CPU = 50% of the host (2 CPUs)" \
  approx "$(tail -n1 $RUNDIR/csv/testhost/taskstats-top_cpu/percent-ttop-burn-$B-* | cut -d, -f2)" $((100 / $(nproc))) 15
check "no [error] logged" bash -c "! grep -q '\[error\]' $RUNDIR/collectd.log"
