#!/bin/bash
# Peak RSS of one live camera (issue 13, "memory"): SECONDS_REC (60) s of
# KBPS (4000) kb/s video + AAC pushed in real time, then EOS, into
#   (a) splitmuxsink muxer=mpegtsmux to files (the baseline)
#   (b) cssink to file://
#   (c) cssink to s3:// (a local Ceph RGW)
#   (d) cseventgate ! cssink to file://, one event for the whole recording
#       (a trigger every 2 s; with cssink's own alarm picture)
# each RUNS (3) times, the smallest peak kept; printed against (a).  The
# cases take turns within each run (a, b, c, d, a, b, ...), so that the load
# of a shared machine falls on all alike.  BEFORE_PLUGIN_DIR (another build's
# gst/, e.g. main's) adds (b)-(d) with that plugin to each turn: before and
# after in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/lib.sh
SECONDS_REC=${SECONDS_REC:-60} KBPS=${KBPS:-4000} RUNS=${RUNS:-3} SEG=4
bench_build
bench_rgw_start
log=$out/memory.log
: >"$log"

cases=(base file s3 event)
[ -n "${BEFORE_PLUGIN_DIR:-}" ] && cases+=(file-before s3-before event-before)
declare -A peak
for _ in $(seq "$RUNS"); do
  for c in "${cases[@]}"; do
    bench_store_clear
    kind=${c%-before} env=()
    [ "$kind" = "$c" ] || env=(GST_PLUGIN_PATH="$BEFORE_PLUGIN_DIR"
      GST_REGISTRY="$out/registry-before.bin")
    sink=$(bench_sink "${kind/event/file}" "$SEG") gate=()
    [ "$kind" = event ] && gate=(--event)
    line=$(env "${env[@]}" timeout $((SECONDS_REC + 120)) $bin/cameras -n 1 -s "$SECONDS_REC" --kbps "$KBPS" --eos \
      --input-dir "$out" --sink "$sink" "${gate[@]}" 2>>"$log" | grep '^BENCH') ||
      { echo "$c: failed (see $log)"; exit 1; }
    echo "$c: $line load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$log"
    hwm=$(bench_get hwm-kb "$line")
    [ -n "${peak[$c]:-}" ] && [ "${peak[$c]}" -le "$hwm" ] || peak[$c]=$hwm
  done
done

seg_kb=$(($(bench_get input-kbps "$line") * SEG / 8))
printf '\n%s s of %s kb/s video + AAC (%s kb/s in all), live, segments of %s s; smallest of %s runs\n' \
  "$SECONDS_REC" "$KBPS" "$(bench_get input-kbps "$line")" "$SEG" "$RUNS"
printf '%-36s %10s %10s %10s\n' case "peak RSS" "over (a)" goal
for c in "${cases[@]}"; do
  case ${c%-before} in
    base) name="(a) splitmuxsink to files" goal=- ;;
    file) name="(b) cssink file://" goal="$((3 * seg_kb)) kB" ;;
    s3) name="(c) cssink s3://" goal="$((3 * seg_kb)) kB" ;;
    event) name="(d) cseventgate ! cssink file://" goal="10240 kB" ;;
  esac
  [ "${c%-before}" = "$c" ] || name="${name:0:3} before${name:3}"
  printf '%-36s %7s kB %7s kB %10s\n' "$name" "${peak[$c]}" "$((peak[$c] - peak[base]))" "$goal"
done
echo "goal (issue 13): (b), (c) <= (a) + 3 segments; (d) <= (a) + 10 MB"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg); every run: $log"
