#!/usr/bin/env bash
# Every config error names the option and the block, and makes collectd -T
# exit non-zero.  Several <Plugin taskstats> blocks add up.
. "$(dirname "$0")/../lib.sh"
need_root "config errors"
mk_rundir

# expect_error NAME MESSAGE_REGEX BLOCK...
expect_error() {
  local name=$1 re=$2; shift 2
  printf '%s\n' "$@" | collectd_conf "$RUNDIR/$name.conf"
  collectd -T -C "$RUNDIR/$name.conf" > "$RUNDIR/$name.out" 2>&1
  local rc=$?
  if [ $rc -ne 0 ] && grep -qE "$re" "$RUNDIR/collectd.log" "$RUNDIR/$name.out"; then
    ok "$name: non-zero exit and message"
  else
    not_ok "$name: rc=$rc, expected /$re/"; tail -n 5 "$RUNDIR/collectd.log"
  fi
  : > "$RUNDIR/collectd.log"
}

expect_error unknown-option 'option "Bogus": unknown option' \
  'LoadPlugin taskstats' '<Plugin taskstats>' '  Bogus 1' '</Plugin>'
expect_error unknown-group-option '<Group "web">, option "Frobnicate": unknown option' \
  'LoadPlugin taskstats' '<Plugin taskstats>' '<Group "web">' 'Comm "nginx"' 'Frobnicate "x"' '</Group>' '</Plugin>'
expect_error wrong-type-pid '<Group "web">, option "Pid": takes process IDs' \
  'LoadPlugin taskstats' '<Plugin taskstats>' '<Group "web">' 'Pid "abc"' '</Group>' '</Plugin>'
expect_error wrong-type-comm 'option "Comm": takes exactly one string' \
  'LoadPlugin taskstats' '<Plugin taskstats>' '<Group "web">' 'Comm 42' '</Group>' '</Plugin>'
expect_error wrong-type-bool 'option "ExitRecords": takes exactly one boolean' \
  'LoadPlugin taskstats' '<Plugin taskstats>' 'ExitRecords "maybe"' '</Plugin>'
expect_error bad-delayacct 'option "DelayAccounting": "sometimes" is not "keep" or "enable"' \
  'LoadPlugin taskstats' '<Plugin taskstats>' 'DelayAccounting "sometimes"' '</Plugin>'
expect_error empty-group 'group "web" has no selector' \
  'LoadPlugin taskstats' '<Plugin taskstats>' '<Group "web">' '</Group>' '</Plugin>'
expect_error unnamed-group '<Group> takes exactly one non-empty name' \
  'LoadPlugin taskstats' '<Plugin taskstats>' '<Group>' 'Comm "x"' '</Group>' '</Plugin>'
expect_error duplicate-group 'group "web" is defined twice' \
  'LoadPlugin taskstats' '<Plugin taskstats>' '<Group "web">' 'Comm "a"' '</Group>' '</Plugin>' \
  '<Plugin taskstats>' '<Group "web">' 'Comm "b"' '</Group>' '</Plugin>'
expect_error bad-regex 'option "Match":.*unclosed' \
  'LoadPlugin taskstats' '<Plugin taskstats>' '<Group "web">' 'Match "([unclosed"' '</Group>' '</Plugin>'
expect_error unknown-user 'option "User":.*no-such-user-xyz' \
  'LoadPlugin taskstats' '<Plugin taskstats>' '<Group "web">' 'User "no-such-user-xyz"' '</Group>' '</Plugin>'
expect_error top-bad-key '<Top "disk">, option "Top": By "disk" is not "io", "cpu" or "delay"' \
  'LoadPlugin taskstats' '<Plugin taskstats>' '<Top "disk">' 'Count 3' '</Top>' '</Plugin>'
expect_error top-bad-count '<Top "io">, option "Count": takes exactly one number' \
  'LoadPlugin taskstats' '<Plugin taskstats>' '<Top "io">' 'Count "many"' '</Top>' '</Plugin>'
expect_error compat-process-match 'option "ProcessMatch": takes a group name and a regular expression' \
  'LoadPlugin taskstats' '<Plugin taskstats>' 'ProcessMatch "only-one"' '</Plugin>'

# A valid config spread over two blocks (two conf.d snippets) adds up.
collectd_conf "$RUNDIR/two.conf" <<CONF
LoadPlugin taskstats
<Plugin taskstats>
  <Group "one">
    Comm "collectd"
  </Group>
</Plugin>
<Plugin taskstats>
  <Group "two">
    Pid $$
  </Group>
  Process "bash"
  ProcessMatch "sleepers" "^sleep "
</Plugin>
CONF
: > "$RUNDIR/collectd.log"
collectd -T -C "$RUNDIR/two.conf" > "$RUNDIR/two.out" 2>&1
check "two blocks: collectd -T exits 0" [ $? -eq 0 ]
check "two blocks: no ERROR logged" bash -c "! grep -q \"\\[error\\]\" $RUNDIR/collectd.log"
