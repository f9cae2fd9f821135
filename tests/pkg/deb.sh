#!/usr/bin/env bash
# The Debian package end to end, from a fresh clone of HEAD: build it
# (dpkg-buildpackage -us -uc -b), lintian (no error or warning), install it,
# check the snippet as shipped is valid and inert, enable a group in the
# installed snippet, run collectd with Debian's collectd.conf layout (an
# Include of /etc/collectd/collectd.conf.d) and read the group's values from
# csv, run the autopkgtest against the installed package, then purge it and
# check every file it installed is gone.  Slow (~1 min): run with PKG_TESTS=1.
. "$(dirname "$0")/../lib.sh"
need_root "debian package"
for c in git dpkg-buildpackage lintian collectd; do
  command -v $c > /dev/null || { skip "debian package" "$c not installed (tools/install-deps --all)"; exit 0; }
done
PKG=collectd-taskstats
if dpkg-query -W -f='${Status}' $PKG 2>/dev/null | grep -q installed; then
  skip "debian package" "$PKG is already installed on this host; not touching it"; exit 0
fi
mk_rundir
[ "${KEEP:-0}" = 1 ] && echo "# RUNDIR=$RUNDIR"
installed=0
cleanup() {
  [ "$installed" = 1 ] && dpkg --purge $PKG > /dev/null 2>&1
  restore_delayacct
  [ "${KEEP:-0}" = 1 ] || cleanup_rundir
}
trap cleanup EXIT
with_delayacct 1     # so the shipped snippet logs nothing above info
SNIPPET=/etc/collectd/collectd.conf.d/taskstats.conf

# 1. build from a fresh clone of HEAD
git clone -q "$TOP" "$RUNDIR/src" || { not_ok "git clone"; exit 1; }
echo "# HEAD $(git -C "$RUNDIR/src" log -1 --format='%h %s')"
(cd "$RUNDIR/src" && dpkg-buildpackage -us -uc -b) > "$RUNDIR/build.log" 2>&1; rc=$?
if [ "$rc" = 0 ]; then ok "dpkg-buildpackage -us -uc -b"
else not_ok "dpkg-buildpackage -us -uc -b (rc=$rc)"; tail -n 30 "$RUNDIR/build.log" | sed 's/^/# /'; exit 1; fi
DEB=$(ls "$RUNDIR"/${PKG}_*.deb 2>/dev/null | head -n 1)
CHANGES=$(ls "$RUNDIR"/${PKG}_*.changes 2>/dev/null | head -n 1)
check "the .deb was built ($(basename "${DEB:-none}"))" [ -f "$DEB" ]
check "hardening flags reached the compiler" grep -q -- '-fstack-protector-strong' "$RUNDIR/build.log"
check "dh_auto_test ran the unit tests" grep -qE '^[0-9]+ passed, 0 failed' "$RUNDIR/build.log"

# 2. lintian: no error, no warning
lintian --fail-on error,warning "$DEB" "$CHANGES" > "$RUNDIR/lintian.out" 2>&1; rc=$?
grep -E '^[EWIP]:' "$RUNDIR/lintian.out" | sed 's/^/# lintian: /'
if [ "$rc" = 0 ] && ! grep -qE '^[EW]:' "$RUNDIR/lintian.out"; then ok "lintian: no error or warning"
else not_ok "lintian: no error or warning (rc=$rc)"; sed 's/^/# /' "$RUNDIR/lintian.out"; fi

# 3. contents and metadata
dpkg-deb -c "$DEB" | awk '{print $NF}' | sed 's|^\./|/|' > "$RUNDIR/contents"
for f in /usr/lib/collectd/taskstats.so /usr/bin/taskstats-dump $SNIPPET \
         /usr/share/man/man5/collectd-taskstats.5.gz /usr/share/man/man1/taskstats-dump.1.gz \
         /usr/share/doc/$PKG/README.gz /usr/share/doc/$PKG/copyright; do
  check "the package ships $f" grep -qx "$f" "$RUNDIR/contents"
done
dep=$(dpkg-deb -f "$DEB" Depends)
echo "# Depends: $dep"
check "Depends: collectd-core (>= 5.12) and libmnl0 (shlibs)" \
  bash -c "grep -q 'collectd-core (>= 5.12)' <<< '$dep' && grep -q 'libmnl0' <<< '$dep'"
check "the snippet is a conffile" bash -c "dpkg-deb --ctrl-tarfile '$DEB' | tar -xO ./conffiles | grep -qx '$SNIPPET'"

# 4. install
dpkg -i "$DEB" > "$RUNDIR/install.log" 2>&1; rc=$?
[ "$rc" = 0 ] && installed=1
check "dpkg -i" [ "$rc" = 0 ]
dpkg -L $PKG | while read -r f; do [ -d "$f" ] || echo "$f"; done > "$RUNDIR/files"
check "dpkg -L lists the plugin, the tool, the snippet and the man pages" \
  bash -c "grep -qx /usr/lib/collectd/taskstats.so $RUNDIR/files && grep -qx /usr/bin/taskstats-dump $RUNDIR/files && grep -qx $SNIPPET $RUNDIR/files && grep -q collectd-taskstats.5.gz $RUNDIR/files"
check "taskstats-dump --check works from /usr/bin" bash -c "/usr/bin/taskstats-dump --check > /dev/null"
check "man finds collectd-taskstats(5)" bash -c "man -w 5 collectd-taskstats | grep -q /usr/share/man/man5/collectd-taskstats.5.gz"

# Debian's collectd.conf layout (collectd-core ships none): stock plugins,
# then the Include of collectd.conf.d at the end
cat > "$RUNDIR/collectd.conf" <<CONF
Hostname "testhost"
FQDNLookup false
BaseDir "$RUNDIR"
PIDFile "$RUNDIR/collectd.pid"
TypesDB "/usr/share/collectd/types.db"
Interval 1
PluginDir "/usr/lib/collectd"
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "$RUNDIR/collectd.log"
  Timestamp true
  PrintSeverity true
</Plugin>
LoadPlugin csv
<Plugin csv>
  DataDir "$RUNDIR/csv"
  StoreRates false
</Plugin>
<Include "/etc/collectd/collectd.conf.d">
  Filter "*.conf"
</Include>
CONF

# 5. the snippet as shipped: valid and inert
: > "$RUNDIR/collectd.log"
collectd -T -C "$RUNDIR/collectd.conf" > "$RUNDIR/t.out" 2>&1; rc=$?
check "shipped snippet: collectd -T exits 0" [ "$rc" = 0 ]
check "shipped snippet: the plugin was loaded from /usr/lib/collectd" grep -q 'plugin "taskstats" successfully loaded' "$RUNDIR/collectd.log"
check "shipped snippet: it says no group is configured" grep -q 'no <Group> configured' "$RUNDIR/collectd.log"
above=$(grep 'taskstats plugin' "$RUNDIR/collectd.log" | grep -v '\[info\]')
if [ -z "$above" ]; then ok "shipped snippet: the plugin logs only [info]"
else not_ok "shipped snippet: the plugin logs only [info]"; echo "$above" | sed 's/^/# /'; fi

# 6. enable the commented example group "sshd" for our workload
sed -i -E '/^  #<Group "sshd">/,/^  #<\/Group>/{s/^  #/  /; s/Comm "sshd"/Comm "tsload-pkg"/}' $SNIPPET
check "the example group is enabled in the installed snippet" grep -q '^    Comm "tsload-pkg"' $SNIPPET
make -s -C "$RUNDIR/src" BUILD="$RUNDIR/hb" "$RUNDIR/hb/helpers/tsload" > /dev/null 2>&1
: > "$RUNDIR/collectd.log"
start_collectd "$RUNDIR/collectd.conf"
wait_rows sshd ps_count 1 20 || { not_ok "collectd started with the enabled group"; sed 's/^/# /' "$RUNDIR/collectd.log"; exit 1; }
"$RUNDIR/hb/helpers/tsload" --name tsload-pkg --threads 2 --cpu-ms 400 --writes 500 --write-size 1000 --hold > "$RUNDIR/load.out" &
LPID=$!; track_pid $LPID
wait_line "$RUNDIR/load.out" '^done' 30 || not_ok "workload finished"
n=$(wc -l < "$(csv_file sshd ps_cputime)")
wait_rows sshd ps_cputime $((n + 1)) 10
declare -A io
while read -r k v; do io[${k%:}]=$v; done < /proc/$LPID/io
work_cpu_us=$(kv "$(grep '^done' "$RUNDIR/load.out")" cpu_us)
sleep 1.2
stop_collectd
kill -TERM $LPID; wait $LPID 2>/dev/null
check "collectd exited cleanly" [ "$CD_RC" = 0 ]
cpu=$(( $(csv_last sshd ps_cputime 2) + $(csv_last sshd ps_cputime 3) ))
echo "# cpu: plugin $cpu us, workload $work_cpu_us us"
check "installed plugin: group's CPU = the workload's within 5%" approx "$cpu" "$work_cpu_us" 5
check "installed plugin: ps_count processes = 1" awk "BEGIN{exit !($(csv_last sshd ps_count 2) == 1)}"
check "installed plugin: ps_count threads = 3" awk "BEGIN{exit !($(csv_last sshd ps_count 3) == 3)}"
check "installed plugin: io_octets tx = /proc wchar" [ "$(csv_last sshd io_octets 3)" = "${io[wchar]}" ]
if grep -q '\[error\]' "$RUNDIR/collectd.log"; then not_ok "no [error] in the log"; grep '\[error\]' "$RUNDIR/collectd.log" | sed 's/^/# /'
else ok "no [error] in the log"; fi

# 7. the autopkgtest against the installed package
if [ "${PKG_AUTOPKGTEST:-1}" = 1 ]; then
  mkdir -p "$RUNDIR/adt"
  (cd "$RUNDIR/src" && AUTOPKGTEST_TMP="$RUNDIR/adt" debian/tests/installed-e2e) > "$RUNDIR/adt.log" 2>&1; rc=$?
  echo "# autopkgtest installed-e2e: $(grep -c '^ok' "$RUNDIR/adt.log") ok, $(grep -c '^not ok' "$RUNDIR/adt.log") not ok"
  if [ "$rc" = 0 ]; then ok "autopkgtest debian/tests/installed-e2e passes against the installed package"
  else not_ok "autopkgtest debian/tests/installed-e2e (rc=$rc)"; grep -E '^not ok|^#' "$RUNDIR/adt.log" | head -n 20 | sed 's/^/# /'; fi
  check "the autopkgtest used the installed plugin" grep -q '^# plugin from /usr/lib/collectd' "$RUNDIR/adt.log"
fi

# 8. purge: every installed file is gone
dpkg --purge $PKG > "$RUNDIR/purge.log" 2>&1; rc=$?
[ "$rc" = 0 ] && installed=0
check "dpkg --purge" [ "$rc" = 0 ]
check "dpkg no longer knows the package" bash -c "! dpkg-query -W -f='\${Status}' $PKG 2>/dev/null | grep -q installed"
left=""
while read -r f; do [ -e "$f" ] && left="$left $f"; done < "$RUNDIR/files"
if [ -z "$left" ]; then ok "every installed file is gone ($(wc -l < "$RUNDIR/files") files, the conffile too)"
else not_ok "files left after purge:$left"; fi
check "/usr/share/doc/$PKG is gone" [ ! -e /usr/share/doc/$PKG ]
check "the edited conffile is gone" [ ! -e $SNIPPET ]
