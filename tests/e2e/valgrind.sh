#!/usr/bin/env bash
# collectd with the plugin under valgrind: config, init, several reads with
# members joining, exiting and failing, then shutdown.  Any invalid access
# or definite leak fails the run (--error-exitcode).
. "$(dirname "$0")/../lib.sh"
need_root "valgrind"
mk_rundir
LOAD=$HELPERS/tsload
INTERVAL=0.5 READTHREADS=1 collectd_conf "$RUNDIR/vg.conf" <<CONF
LoadPlugin taskstats
<Plugin taskstats>
  DelayAccounting "keep"
  <Group "vg">
    Comm "tsload-vg"
    Children true
  </Group>
  <Group "pidfile">
    PidFile "$RUNDIR/missing.pid"
  </Group>
  ProcessMatch "compat" "tsload-vg"
</Plugin>
CONF
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  --log-file="$RUNDIR/valgrind.log" collectd -f -C "$RUNDIR/vg.conf" > "$RUNDIR/collectd.out" 2>&1 &
CD_PID=$!; track_pid $CD_PID
wait_rows "" duration-read 1 60 || { not_ok "collectd under valgrind started"; cat "$RUNDIR/collectd.log"; exit 1; }
"$LOAD" --name tsload-vg --children 40 --rate 40 --cpu-ms 5 --writes 5 --threads 2 \
  --thread-every 10 --fail-every 20 > /dev/null
n=$(wc -l < "$(csv_file vg ps_cputime)")
wait_rows vg ps_cputime $((n + 2)) 30
stop_collectd
echo "# collectd under valgrind exited with $CD_RC"
sed 's/^/# /' "$RUNDIR/valgrind.log" | head -n 40
check "valgrind reports no error and no definite leak" [ "$CD_RC" -eq 0 ]
check "valgrind log is empty" [ ! -s "$RUNDIR/valgrind.log" ]
check "the group saw the 40 children exit" [ "$(csv_last vg operations-processes_exited 2)" -ge 40 ]
