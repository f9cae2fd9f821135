#!/usr/bin/env bash
# The plugin's values through collectd's network plugin into InfluxDB 1.x
# (Debian's influxd, configured with conf/influxdb-collectd.conf's
# [[collectd]] section, everything on 127.0.0.1, data in the run dir), read
# back over the HTTP API: one series per metric with the tags host,
# instance (= group), type and type_instance, values against the workload.
. "$(dirname "$0")/../lib.sh"
need_root "influxdb"
command -v influxd > /dev/null || { skip "influxdb" "influxd not installed (apt-get install influxdb)"; exit 0; }
command -v curl > /dev/null || { skip "influxdb" "curl not installed"; exit 0; }
mk_rundir
[ "${KEEP:-0}" = 1 ] && echo "# RUNDIR=$RUNDIR"
IPID=""
stop_influxd() {  # SIGTERM, 2 s, then SIGKILL (influxd may hang 30 s on TERM)
  [ -n "$IPID" ] || return 0
  kill -TERM "$IPID" 2>/dev/null
  local i
  for i in $(seq 1 20); do kill -0 "$IPID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$IPID" 2>/dev/null; then echo "# influxd ignored SIGTERM for 2 s: SIGKILL"; kill -KILL "$IPID" 2>/dev/null; fi
  wait "$IPID" 2>/dev/null
}
trap 'stop_influxd; restore_delayacct; [ "${KEEP:-0}" = 1 ] || cleanup_rundir' EXIT
with_delayacct 1
LOAD=$HELPERS/tsload

# three free loopback ports: HTTP, RPC (tcp), collectd (udp)
read -r HTTP RPC UDP < <(python3 - <<'PY'
import socket
s=[socket.socket(socket.AF_INET, t) for t in (socket.SOCK_STREAM, socket.SOCK_STREAM, socket.SOCK_DGRAM)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])
PY
)
I=$RUNDIR/influx
mkdir -p "$I"
{
  cat <<TOML
reporting-enabled = false
bind-address = "127.0.0.1:$RPC"
[meta]
  dir = "$I/meta"
[data]
  dir = "$I/data"
  wal-dir = "$I/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$HTTP"
  log-enabled = false
TOML
  # the documented section, on loopback and with a short batch timeout
  sed -n '/^\[\[collectd\]\]/,$p' "$TOP/conf/influxdb-collectd.conf" |
    sed -E "s|^( *bind-address = ).*|\1\"127.0.0.1:$UDP\"|; s|^( *batch-timeout = ).*|\1\"200ms\"|; s|^( *batch-size = ).*|\1100|"
} > "$I/influxdb.conf"
check "the [[collectd]] section of conf/influxdb-collectd.conf is used" grep -q "typesdb = \"/usr/share/collectd/types.db\"" "$I/influxdb.conf"

influxd run -config "$I/influxdb.conf" > "$I/influxd.log" 2>&1 &
IPID=$!
for i in $(seq 1 150); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP/ping")" = 204 ] && break
  kill -0 "$IPID" 2>/dev/null || break
  sleep 0.1
done
if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP/ping")" = 204 ]; then ok "influxd answers /ping on 127.0.0.1:$HTTP"
else not_ok "influxd answers /ping"; tail -n 20 "$I/influxd.log" | sed 's/^/# /'; exit 1; fi
check "influxd listens on loopback only" bash -c "! ss -H -lntup | grep 'pid=$IPID,' | grep -v '127.0.0.1:' | grep -q ."

INTERVAL=1 collectd_conf "$RUNDIR/c.conf" <<CONF
PluginDir "/usr/lib/collectd"
<LoadPlugin network>
  FlushInterval 1
</LoadPlugin>
<Plugin network>
  Server "127.0.0.1" "$UDP"
</Plugin>
PluginDir "$PLUGIN_DIR"
LoadPlugin taskstats
<Plugin taskstats>
  <Group "work">
    Comm "tsload-influx"
  </Group>
</Plugin>
CONF
start_collectd "$RUNDIR/c.conf"
wait_rows "" duration-read 1 || { not_ok "collectd started"; cat "$RUNDIR/collectd.log"; exit 1; }
"$LOAD" --name tsload-influx --threads 1 --cpu-ms 1500 --writes 1000 --write-size 1000 \
  --reads 100 --hold > "$RUNDIR/load.out" &
LPID=$!; track_pid $LPID
wait_line "$RUNDIR/load.out" '^done' 30 || { not_ok "workload finished"; exit 1; }
sleep 1.2
declare -A io
while read -r k v; do io[${k%:}]=$v; done < /proc/$LPID/io
work_cpu_us=$(kv "$(grep '^done' "$RUNDIR/load.out")" cpu_us)

q() { curl -s -G "http://127.0.0.1:$HTTP/query" --data-urlencode db=collectd --data-urlencode "q=$1"; }
# val QUERY : the last column of the first row of the first series ("" if none)
val() { q "$1" | python3 -c '
import json,sys
try:
    r=json.load(sys.stdin)["results"][0]["series"][0]["values"][0]
    print("" if r[-1] is None else r[-1])
except Exception:
    print("")'; }
# vals QUERY : the last column of every row of the first series
vals() { q "$1" | python3 -c '
import json,sys
try:
    for r in json.load(sys.stdin)["results"][0]["series"][0]["values"]:
        print(r[-1])
except Exception:
    pass'; }
W="host='testhost' AND instance='work'"
# wait until the counters that stopped moving have arrived (FlushInterval 1, batch 200ms)
for i in $(seq 1 100); do
  [ "$(val "SELECT last(value) FROM taskstats_tx WHERE $W AND type='io_octets'")" = "${io[wchar]}" ] && break
  sleep 0.1
done
stop_collectd
check "collectd exited cleanly" [ "$CD_RC" = 0 ]
kill -TERM $LPID; wait $LPID 2>/dev/null

# every series of the group, as "measurement type type_instance"
q "SHOW SERIES WHERE $W" | python3 -c '
import json,sys
for s in json.load(sys.stdin)["results"][0]["series"]:
    for (key,) in s["values"]:
        m,*tags=key.split(","); t=dict(x.split("=",1) for x in tags)
        print(m, t.get("type",""), t.get("type_instance","-") or "-")' | sort > "$RUNDIR/series"
echo "# $(wc -l < "$RUNDIR/series") series for instance=work"
for s in "taskstats_user ps_cputime -" "taskstats_syst ps_cputime -" \
         "taskstats_processes ps_count -" "taskstats_threads ps_count -" \
         "taskstats_rx io_octets -" "taskstats_tx io_octets -" \
         "taskstats_read io_ops -" "taskstats_write io_ops -" \
         "taskstats_read disk_octets -" "taskstats_write disk_octets -" \
         "taskstats_value contextswitch voluntary" "taskstats_value contextswitch involuntary" \
         "taskstats_minflt ps_pagefaults -" "taskstats_majflt ps_pagefaults -" \
         "taskstats_value ps_rss -" "taskstats_value memory rss_peak" "taskstats_value memory vm_peak" \
         "taskstats_value operations processes_started" "taskstats_value operations processes_exited" \
         "taskstats_value operations processes_failed" "taskstats_value total_bytes cancelled_write" \
         "taskstats_value delay_rate delay-cpu" "taskstats_value delay_rate delay-blkio"; do
  check "series $s (host=testhost, instance=work)" grep -qx "$s" "$RUNDIR/series"
done
own=$(q "SHOW SERIES FROM taskstats_seconds WHERE type='duration' AND type_instance='read'" | grep -o 'taskstats_seconds,[^"]*')
echo "# own statistics: $own"
check "the plugin's own statistics: taskstats_seconds duration read, without an instance tag" \
  bash -c '[ -n "$1" ] && ! grep -q "instance=" <<< "${1//type_instance=/}"' _ "$own"

p=$(val "SELECT last(value) FROM taskstats_processes WHERE $W")
t=$(val "SELECT last(value) FROM taskstats_threads WHERE $W")
check "ps_count: processes = 1 (got $p)" [ "$p" = 1 ]
check "ps_count: threads = 2 (got $t)" [ "$t" = 2 ]
u=$(val "SELECT last(value) FROM taskstats_user WHERE $W AND type='ps_cputime'")
s=$(val "SELECT last(value) FROM taskstats_syst WHERE $W AND type='ps_cputime'")
echo "# cpu: influx user=$u syst=$s us; workload $work_cpu_us us"
check "ps_cputime user+syst (raw counter) = the workload's CPU within 5%" approx "$((u + s))" "$work_cpu_us" 5
d=$(vals "SELECT non_negative_derivative(value, 1s) FROM taskstats_user WHERE $W AND type='ps_cputime'" | sort -g | tail -n 1)
echo "# cpu: max non_negative_derivative(user) $d us/s"
check "ps_cputime: derivative > 0 during the burn" awk -v d="$d" 'BEGIN{exit !(d+0 > 100000)}'
check "io_octets tx = /proc wchar (${io[wchar]})" [ "$(val "SELECT last(value) FROM taskstats_tx WHERE $W AND type='io_octets'")" = "${io[wchar]}" ]
check "io_octets rx = /proc rchar (${io[rchar]})" [ "$(val "SELECT last(value) FROM taskstats_rx WHERE $W AND type='io_octets'")" = "${io[rchar]}" ]
check "io_ops write = /proc syscw (${io[syscw]})" [ "$(val "SELECT last(value) FROM taskstats_write WHERE $W AND type='io_ops'")" = "${io[syscw]}" ]
check "disk_octets write = /proc write_bytes (${io[write_bytes]})" [ "$(val "SELECT last(value) FROM taskstats_write WHERE $W AND type='disk_octets'")" = "${io[write_bytes]}" ]
check "operations processes_started = 1" [ "$(val "SELECT last(value) FROM taskstats_value WHERE $W AND type='operations' AND type_instance='processes_started'")" = 1 ]
check "contextswitch voluntary > 0" awk -v v="$(val "SELECT last(value) FROM taskstats_value WHERE $W AND type='contextswitch' AND type_instance='voluntary'")" 'BEGIN{exit !(v+0 > 0)}'
check "ps_pagefaults minflt > 0" awk -v v="$(val "SELECT last(value) FROM taskstats_minflt WHERE $W")" 'BEGIN{exit !(v+0 > 0)}'
rss=$(val "SELECT last(value) FROM taskstats_value WHERE $W AND type='ps_rss'")
peak=$(val "SELECT last(value) FROM taskstats_value WHERE $W AND type='memory' AND type_instance='rss_peak'")
check "ps_rss > 0 and memory rss_peak >= ps_rss ($rss, $peak)" awk -v r="$rss" -v p="$peak" 'BEGIN{exit !(r+0 > 0 && p+0 >= r+0)}'
dr=$(val "SELECT max(value) FROM taskstats_value WHERE $W AND type='delay_rate' AND type_instance='delay-cpu'")
check "delay_rate delay-cpu is a rate in [0, 2] s/s (max $dr)" awk -v v="$dr" 'BEGIN{exit !(v != "" && v+0 >= 0 && v+0 <= 2)}'

stop_influxd
check "influxd stopped" bash -c "! kill -0 $IPID 2>/dev/null"
IPID=""
check "collectd stopped" bash -c "! kill -0 $CD_PID 2>/dev/null"
if grep -q "\[error\]" "$RUNDIR/collectd.log"; then
  not_ok "no ERROR in the collectd log"; grep "\[error\]" "$RUNDIR/collectd.log" | sed 's/^/# /'
else ok "no ERROR in the collectd log"; fi
