# tests/lib.sh - shared helpers for live and end-to-end shell tests.
# Source it; tests print TAP lines that tests/run counts.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
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
# our plugin loaded from $BUILD.  Extra text on stdin is appended.
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
</Plugin>
LoadPlugin csv
<Plugin csv>
  DataDir "$RUNDIR/csv"
  StoreRates false
</Plugin>
PluginDir "$BUILD"
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
