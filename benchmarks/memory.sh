#!/bin/bash
# Peak RSS of one live camera (issue 13, "memory"): SECONDS_REC (60) s of
# KBPS (4000) kb/s video + AAC pushed in real time, then EOS, into
#   (a) splitmuxsink muxer=mpegtsmux to files (the baseline)
#   (b) cssink to file://
#   (c) cssink to s3:// (a local Ceph RGW)
#   (d) cseventgate ! cssink to file://, one event for the whole recording
#       (a trigger every 2 s; with cssink's own alarm picture)
# each RUNS (3) times, the smallest peak kept; printed against (a).
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/lib.sh
SECONDS_REC=${SECONDS_REC:-60} KBPS=${KBPS:-4000} RUNS=${RUNS:-3} SEG=4
bench_build
bench_rgw_start
log=$out/memory.log
: >"$log"

declare -A peak
for c in base file s3 event; do
  for _ in $(seq "$RUNS"); do
    bench_store_clear
    sink=$(bench_sink "${c/event/file}" "$SEG") gate=()
    [ $c = event ] && gate=(--event)
    line=$(timeout $((SECONDS_REC + 120)) $bin/cameras -n 1 -s "$SECONDS_REC" --kbps "$KBPS" --eos \
      --input-dir "$out" --sink "$sink" "${gate[@]}" 2>>"$log" | grep '^BENCH') ||
      { echo "$c: failed (see $log)"; exit 1; }
    echo "$c: $line" >>"$log"
    hwm=$(bench_get hwm-kb "$line")
    [ -n "${peak[$c]:-}" ] && [ "${peak[$c]}" -le "$hwm" ] || peak[$c]=$hwm
  done
done

seg_kb=$(($(bench_get input-kbps "$line") * SEG / 8))
printf '\n%s s of %s kb/s video + AAC (%s kb/s in all), live, segments of %s s; smallest of %s runs\n' \
  "$SECONDS_REC" "$KBPS" "$(bench_get input-kbps "$line")" "$SEG" "$RUNS"
printf '%-36s %10s %10s %10s\n' case "peak RSS" "over (a)" goal
for c in base file s3 event; do
  case $c in
    base) name="(a) splitmuxsink to files" goal=- ;;
    file) name="(b) cssink file://" goal="$((3 * seg_kb)) kB" ;;
    s3) name="(c) cssink s3://" goal="$((3 * seg_kb)) kB" ;;
    event) name="(d) cseventgate ! cssink file://" goal="10240 kB" ;;
  esac
  printf '%-36s %7s kB %7s kB %10s\n' "$name" "${peak[$c]}" "$((peak[$c] - peak[base]))" "$goal"
done
echo "goal (issue 13): (b), (c) <= (a) + 3 segments; (d) <= (a) + 10 MB"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg); every run: $log"
