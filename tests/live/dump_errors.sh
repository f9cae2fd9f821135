#!/usr/bin/env bash
# taskstats-dump: permissions, network namespaces, --check, exit records.
. "$(dirname "$0")/../lib.sh"
need_root "taskstats-dump error paths"
[ -x "$DUMP" ] || { not_ok "build/taskstats-dump missing (run make)"; exit 1; }
W=$HELPERS/ts_workload
mk_rundir
CAPMSG="taskstats needs CAP_NET_ADMIN (run collectd as root or grant the capability)"

# --- no CAP_NET_ADMIN: root without the capability, and nobody ---
NOCAP=(setpriv --inh-caps=-net_admin --bounding-set=-net_admin)
"${NOCAP[@]}" "$DUMP" --tgid 1 > "$RUNDIR/o" 2> "$RUNDIR/e"; rc=$?
check "no CAP_NET_ADMIN: --tgid exits non-zero" [ "$rc" -ne 0 ]
check "no CAP_NET_ADMIN: stderr names CAP_NET_ADMIN" grep -qF "$CAPMSG" "$RUNDIR/e"
check "no CAP_NET_ADMIN: nothing on stdout" [ ! -s "$RUNDIR/o" ]
setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all \
	"$DUMP" --pid 1 > /dev/null 2> "$RUNDIR/e"; rc=$?
check "uid 65534: exits non-zero" [ "$rc" -ne 0 ]
check "uid 65534: stderr names CAP_NET_ADMIN" grep -qF "$CAPMSG" "$RUNDIR/e"
"${NOCAP[@]}" "$DUMP" --check > "$RUNDIR/o" 2> "$RUNDIR/e"; rc=$?
check "no CAP_NET_ADMIN: --check exits non-zero" [ "$rc" -ne 0 ]
check "no CAP_NET_ADMIN: --check says capability missing" \
	grep -q "CAP_NET_ADMIN effective: no" "$RUNDIR/o"
check "no CAP_NET_ADMIN: --check explains" grep -qF "$CAPMSG" "$RUNDIR/e"

# --- host --check ---
"$DUMP" --check > "$RUNDIR/o" 2>&1; rc=$?
check "--check on the host exits 0" [ "$rc" -eq 0 ]
# the version and length --check reports are those of a reply, and the
# length is sizeof(struct taskstats) of that version (at least v16's for
# newer ones)
ts_layout
R=$("$DUMP" --pid $$)
check "--check reports struct version $TS_VERSION = a reply's" \
	[ -n "$TS_VERSION" -a "$TS_VERSION" = "$(json_get "$R" version)" ]
check "--check reports payload $TS_PAYLOAD bytes = a reply's" \
	[ -n "$TS_PAYLOAD" -a "$TS_PAYLOAD" = "$(json_get "$R" payload_len)" ]
if [ -n "$TS_SIZE" ]; then
	check "payload $TS_PAYLOAD bytes = sizeof(struct taskstats) v$TS_VERSION ($TS_SIZE)" \
		[ "$TS_PAYLOAD" = "$TS_SIZE" ]
else
	check "payload $TS_PAYLOAD bytes of version $TS_VERSION (newer than v16) >= 560" \
		[ "${TS_VERSION:-0}" -gt 16 -a "${TS_PAYLOAD:-0}" -ge 560 ]
fi
check "--check reports the proc connector reachable" grep -q "proc connector: reachable" "$RUNDIR/o"
da=$(cat /proc/sys/kernel/task_delayacct)
check "--check reports delay accounting as the sysctl says ($da)" \
	grep -q "kernel.task_delayacct=$da" "$RUNDIR/o"

# --- new network namespace: since 5.19 queries work, exit records and the
# proc connector do not reach it (docs/kernel-notes.md, "Permissions and
# namespaces", "Proc connector") ---
J=$(unshare -n "$DUMP" --tgid $$); rc=$?
check "unshare -n: --tgid works (rc 0, version $TS_VERSION)" \
	[ "$rc" -eq 0 -a "$(json_get "$J" version)" = "$TS_VERSION" ]
unshare -n "$DUMP" --check > "$RUNDIR/o" 2>&1; rc=$?
check "unshare -n: --check exits 0 (taskstats usable)" [ "$rc" -eq 0 ]
check "unshare -n: --check says proc connector unreachable" \
	grep -q "proc connector: unreachable" "$RUNDIR/o"
unshare -n "$DUMP" --exits > "$RUNDIR/nsx" 2> "$RUNDIR/nsx.err" &
NP=$!; track_pid "$NP"
for _ in $(seq 1 50); do grep -q listening "$RUNDIR/nsx.err" && break; sleep 0.1; done
check "unshare -n: exit registration is accepted" grep -q listening "$RUNDIR/nsx.err"
sh -c 'exit 3'; sleep 0.5
kill -INT "$NP"; wait "$NP"
check "unshare -n: no exit record is delivered (sent to init_net only)" [ ! -s "$RUNDIR/nsx" ]

# --- exit records on the host ---
"$DUMP" --exits > "$RUNDIR/x" 2> "$RUNDIR/x.err" &
XP=$!; track_pid "$XP"
for _ in $(seq 1 50); do grep -q listening "$RUNDIR/x.err" && break; sleep 0.1; done
sh -c 'exit 3' & SP=$!; wait "$SP"
# two threads (main + 1 worker burning 200 ms), exit status 3
"$W" 1 200 10 4096 10 100 3 & MP=$!; wait "$MP"; mrc=$?
sleep 0.5
kill -INT "$XP"; wait "$XP"; xrc=$?
check "--exits stops on SIGINT with status 0" [ "$xrc" -eq 0 ]
check "workload exited with status 3" [ "$mrc" -eq 3 ]
rec() { python3 - "$RUNDIR/x" "$@" <<'PY'
import json, sys
path, kind, key, ident = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for line in open(path):
    d = json.loads(line)
    if d.get("kind") == kind and d.get(key) == ident:
        print(line.strip()); break
PY
}
S=$(rec pid pid "$SP")
check "sh exit: AGGR_PID record present" [ -n "$S" ]
if [ -n "$S" ]; then
	check "sh exit: ac_exitcode 768 (exit 3)" [ "$(json_get "$S" ac_exitcode)" = 768 ]
	check "sh exit: ac_comm sh" [ "$(json_get "$S" ac_comm)" = sh ]
	check "sh exit: AGROUP flag (whole group dead)" [ $(( $(json_get "$S" ac_flag) & 32 )) -eq 32 ]
fi
check "sh exit: no AGGR_TGID record for a single-threaded process" [ -z "$(rec tgid tgid "$SP")" ]
M=$(rec pid pid "$MP")
check "workload main thread record" [ -n "$M" ]
if [ -n "$M" ]; then
	check "workload: ac_exitcode 768" [ "$(json_get "$M" ac_exitcode)" = 768 ]
	check "workload: ac_comm ts_workload" [ "$(json_get "$M" ac_comm)" = ts_workload ]
fi
G=$(rec tgid tgid "$MP")
check "workload: AGGR_TGID record (was multi-threaded)" [ -n "$G" ]
if [ -n "$G" ]; then
	ut=$(( $(json_get "$G" ac_utime) + $(json_get "$G" ac_stime) ))
	# raw tick samples: far fewer than burned when the host is busy (a
	# thread switched out before each tick gets none); the precise total
	# is checked just below
	check "workload: tgid utime+stime ${ut} us plausible for 200 ms burned (<= 1 s)" \
		[ "$ut" -gt 0 -a "$ut" -le 1000000 ]
	check "workload: tgid cpu_run_virtual_total >= 200 ms" \
		[ "$(json_get "$G" cpu_run_virtual_total)" -ge 200000000 ]
fi
