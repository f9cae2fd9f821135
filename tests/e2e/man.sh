#!/usr/bin/env bash
# The man pages render without groff warnings, and collectd-taskstats(5)
# names every option the glue accepts and every type it dispatches.
. "$(dirname "$0")/../lib.sh"
MAN5=$TOP/man/collectd-taskstats.5
MAN1=$TOP/man/taskstats-dump.1
GLUE=$TOP/plugin/taskstats.c
command -v groff > /dev/null || { skip "man pages" "groff not installed"; exit 0; }

for f in "$MAN5" "$MAN1"; do
  err=$(groff -ww -man -Tutf8 "$f" 2>&1 > /dev/null)
  if [ -z "$err" ]; then ok "$(basename "$f"): groff -ww renders without warnings"
  else not_ok "$(basename "$f"): groff -ww renders without warnings"; echo "$err" | sed 's/^/# /'; fi
  if command -v man > /dev/null; then
    err=$(MANWIDTH=80 man -l "$f" 2>&1 > /dev/null)
    if [ -z "$err" ]; then ok "$(basename "$f"): man -l renders without warnings"
    else not_ok "$(basename "$f"): man -l renders without warnings"; echo "$err" | sed 's/^/# /'; fi
  fi
done

# plain text of a page: no bold/underline overstrikes, hyphenation off
plain() { sed '1i .nh' "$1" | groff -man -Tascii -P-c -P-b -P-o -P-u -rLL=200n 2>/dev/null; }
text5=$(plain "$MAN5")
text1=$(plain "$MAN1")

# every config key the glue compares with strcasecmp(x->key, "Key")
keys=$(grep -oE 'strcasecmp\((c|ci)->key, "[A-Za-z]+"\)' "$GLUE" | sed -E 's/.*"(.*)".*/\1/' | sort -u)
nkeys=$(echo "$keys" | grep -c .)
missing=""
for k in $keys; do
  grep -qw -- "$k" <<< "$text5" || missing="$missing $k"
done
if [ "$nkeys" -ge 10 ] && [ -z "$missing" ]; then ok "collectd-taskstats(5) documents all $nkeys config options of the glue"
else not_ok "collectd-taskstats(5) documents all config options (found $nkeys; missing:$missing)"; fi

# option values the glue accepts by name
vals=$(grep -oE 'strcasecmp\(s, "[a-z]+"\)' "$GLUE" | sed -E 's/.*"(.*)".*/\1/' | sort -u)
missing=""
for v in $vals; do grep -qw -- "$v" <<< "$text5" || missing="$missing $v"; done
check "collectd-taskstats(5) documents the option values ($(echo $vals))${missing:+ missing:$missing}" [ -z "$missing" ]

# every type / type-type_instance dispatched with literal names
idents=$(grep -oE 'submit(_derive2|_derive|_gauge)?\((inst|"")?, "[a-z_]+"(, (NULL|"[a-z_]+"))?' "$GLUE" |
  sed -E 's/^[^,]*, "([a-z_]+)"(, "([a-z_]+)")?.*/\1 \3/' | sort -u |
  awk '{print ($2 == "" ? $1 : $1 "-" $2)}')
nid=$(echo "$idents" | grep -c .)
missing=""
for i in $idents; do grep -qF -- "$i" <<< "$text5" || missing="$missing $i"; done
if [ "$nid" -ge 20 ] && [ -z "$missing" ]; then ok "collectd-taskstats(5) lists all $nid dispatched identifiers"
else not_ok "collectd-taskstats(5) lists all dispatched identifiers (found $nid; missing:$missing)"; fi
# delay kinds (type instances built from the codec's names)
kinds=$(sed -n '/ts_delay_name/,/};/p' "$TOP/plugin/ts_codec.c" | grep -oE '"[a-z]+"' | tr -d '"' | sort -u)
missing=""
for k in $kinds; do grep -qw -- "$k" <<< "$text5" || missing="$missing $k"; done
check "collectd-taskstats(5) lists the delay kinds ($(echo $kinds))${missing:+ missing:$missing}" [ -n "$kinds" ] && [ -z "$missing" ]

# the operator-facing log messages quoted in TROUBLESHOOTING are the plugin's own
# (adjacent C string literals joined)
src=$(cat "$TOP"/plugin/*.c | perl -0pe 's/"\s*\n\s*"//g')
for m in "taskstats needs CAP_NET_ADMIN (run collectd as root or grant the capability)" \
         "exit records are not delivered outside the host network namespace" \
         "scanning /proc every read instead" \
         "delay accounting is off (kernel.task_delayacct=0): only CPU delay is reported" \
         "no <Group> configured; reporting only the plugin's own statistics"; do
  if grep -qF -- "$m" <<< "$src" && grep -qF -- "$m" <<< "$text5"; then ok "message quoted and in the source: $m"
  else not_ok "message quoted and in the source: $m"; fi
done

# taskstats-dump(1) documents every option of --help
opts=$("$TOP/build/taskstats-dump" --help 2>&1 | grep -oE -- '--[a-z][a-z-]+' | sort -u)
if [ -z "$opts" ]; then
  opts=$(grep -oE -- '"--[a-z][a-z-]+"' "$TOP/plugin/taskstats_dump.c" | tr -d '"' | sort -u)
fi
missing=""
for o in $opts; do grep -qF -- "$o" <<< "$text1" || missing="$missing $o"; done
check "taskstats-dump(1) documents $(echo $opts)${missing:+ missing:$missing}" [ -n "$opts" ] && [ -z "$missing" ]
