# tests/lib.sh - shared helpers for live and end-to-end shell tests.
# Source it; tests print TAP lines that tests/run counts.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
# where collectd loads taskstats.so from (autopkgtest: /usr/lib/collectd)
PLUGIN_DIR=${PLUGIN_DIR:-$BUILD}
DUMP=$BUILD/taskstats-dump
HELPERS=$BUILD/helpers
_tap_n=0
ok()      { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok()  { _tap_n=$((_tap_n + 1)); echo "not ok $_tap_n - $*"; }
skip()    { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP ${2:-}"; }
check()   { # check NAME CMD... : ok if CMD succeeds
  local name=$1; shift
  if "$@"; then ok "$name"; else not_ok "$name"; fi
}
need_root() { [ "$(id -u)" -eq 0 ] || { skip "${1:-root tests}" "needs root"; exit 0; }; }
# approx A B PCT: |A-B| <= PCT% of B
approx() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN{d=a-b; if(d<0)d=-d; m=(b<0?-b:b); exit !(d <= m*p/100.0)}'; }
# json_get LINE KEY : value of a numeric/string key from a one-line JSON object
json_get() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }

# A private run directory, removed on exit unless KEEP=1.
mk_rundir() {
  RUNDIR=$(mktemp -d /tmp/tstest.XXXXXX)
  [ "${KEEP:-0}" = 1 ] || trap 'cleanup_rundir' EXIT
}
_bg_pids=()
cleanup_rundir() {
  local p
  for p in "${_bg_pids[@]:-}"; do [ -n "$p" ] && kill -KILL "$p" 2>/dev/null; done
  rm -rf "$RUNDIR"
}
track_pid() { _bg_pids+=("$1"); }

# collectd_conf FILE [PLUGIN_BLOCK...] : a test config with logfile (to
# $RUNDIR/collectd.log) and csv (to $RUNDIR/csv), Interval ${INTERVAL:-1},
# our plugin loaded from $PLUGIN_DIR (default $BUILD).  Extra text on stdin is appended.
collectd_conf() {
  local f=$1
  cat > "$f" <<CONF
Hostname "testhost"
FQDNLookup false
BaseDir "$RUNDIR"
TypesDB "/usr/share/collectd/types.db"
Interval ${INTERVAL:-1}
ReadThreads ${READTHREADS:-2}
PluginDir "/usr/lib/collectd"
LoadPlugin logfile
<Plugin logfile>
  LogLevel ${LOGLEVEL:-info}
  File "$RUNDIR/collectd.log"
  Timestamp true
  PrintSeverity true
</Plugin>
LoadPlugin csv
<Plugin csv>
  DataDir "$RUNDIR/csv"
  StoreRates false
</Plugin>
PluginDir "$PLUGIN_DIR"
CONF
  cat >> "$f"
}

# start_collectd CONF : starts collectd -f in the background, sets CD_PID.
start_collectd() {
  ${COLLECTD_WRAPPER:-} collectd -f -C "$1" >> "$RUNDIR/collectd.out" 2>&1 &
  CD_PID=$!
  track_pid "$CD_PID"
}
stop_collectd() {
  kill -TERM "$CD_PID" 2>/dev/null
  local i
  for i in $(seq 1 100); do kill -0 "$CD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$CD_PID" 2>/dev/null
  wait "$CD_PID" 2>/dev/null
  CD_RC=$?
}
# csv_file GROUP TYPE : path of the csv file for plugin taskstats[-GROUP]
csv_file() {
  local inst=$1 type=$2 d=$RUNDIR/csv/testhost/taskstats${1:+-$1}
  ls "$d/$type"-* 2>/dev/null | head -n 1
}
# wait_rows GROUP TYPE N [TIMEOUT] : wait until the csv has N data rows
wait_rows() {
  local t=${4:-20} f i
  for i in $(seq 1 $((t * 10))); do
    f=$(csv_file "$1" "$2")
    if [ -n "$f" ] && [ "$(($(wc -l < "$f") - 1))" -ge "$3" ]; then return 0; fi
    kill -0 "$CD_PID" 2>/dev/null || return 2
    sleep 0.1
  done
  return 1
}
# csv_last GROUP TYPE COL : last value of column COL (1 = epoch)
csv_last() { tail -n 1 "$(csv_file "$1" "$2")" | cut -d, -f"$3"; }

# csv_col_max GROUP TYPE COL : the largest value in a csv column
csv_col_max() { awk -F, -v c="$3" 'NR>1 && $c!="nan" {if(m==""||$c+0>m)m=$c+0} END{print m+0}' "$(csv_file "$1" "$2")"; }
# csv_monotonic FILE : every numeric column never decreases
csv_monotonic() {
  awk -F, 'NR>1 { for (i = 2; i <= NF; i++) { if (NR>2 && $i+0 < p[i]+0) { print FILENAME": column "i" went from "p[i]" to "$i; bad=1 } p[i]=$i } } END { exit bad }' "$1"
}
# all_counters_monotonic DIR : csv_monotonic over every DERIVE type file
all_counters_monotonic() {
  local f ok=0
  for f in "$1"/ps_cputime-* "$1"/contextswitch-* "$1"/ps_pagefaults-* "$1"/io_octets-* \
           "$1"/io_ops-* "$1"/disk_octets-* "$1"/total_bytes-* "$1"/operations-*; do
    [ -f "$f" ] || continue
    csv_monotonic "$f" || ok=1
  done
  return $ok
}
# wait_line FILE REGEX [TIMEOUT] : wait until FILE has a line matching REGEX
wait_line() {
  local i
  for i in $(seq 1 $(( ${3:-30} * 10 ))); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
# kv LINE KEY : value of key=value in a line
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# with_delayacct VALUE : set kernel.task_delayacct, restore the old value at exit
with_delayacct() {
  _old_delayacct=$(cat /proc/sys/kernel/task_delayacct)
  echo "$1" > /proc/sys/kernel/task_delayacct
}
restore_delayacct() { [ -n "${_old_delayacct:-}" ] && echo "$_old_delayacct" > /proc/sys/kernel/task_delayacct; }
# approx_abs A B TOL: |A-B| <= TOL
approx_abs() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN{d=a-b; if(d<0)d=-d; exit !(d <= t)}'; }
# reset_run : forget the previous collectd run's csv files and log
reset_run() { rm -rf "$RUNDIR/csv"; : > "$RUNDIR/collectd.log"; }

# ts_layout : TS_VERSION and TS_PAYLOAD, the struct taskstats version and
# payload length the running kernel sends (taskstats-dump --check), and
# TS_SIZE, sizeof(struct taskstats) of that version in the kernel's
# include/uapi/linux/taskstats.h (empty when newer than this table).
# 5.10: 10/352, 6.1: 13/416, 6.12: 14/432, 6.15: 15/560, 6.16+: 16/560.
ts_layout() {
  local o
  o=$("$DUMP" --check 2>/dev/null)
  TS_VERSION=$(echo "$o" | sed -n 's/^struct taskstats version: \([0-9]*\)$/\1/p')
  TS_PAYLOAD=$(echo "$o" | sed -n 's/^payload length: \([0-9]*\) bytes$/\1/p')
  case "$TS_VERSION" in
    10) TS_SIZE=352 ;; 11) TS_SIZE=368 ;; 12) TS_SIZE=400 ;; 13) TS_SIZE=416 ;;
    14) TS_SIZE=432 ;; 15|16) TS_SIZE=560 ;; *) TS_SIZE="" ;;
  esac
}
