#!/bin/bash
# How soon a recording is in the store (issue 12, "latency"), for one live
# camera into cssink, to file:// and to s3:// (a local Ceph RGW):
#   segments: last video frame into cssink -> cs-segment-uploaded (the
#             store has it), GOP and segments of 1 s, SECONDS of recording;
#   events:   the recording's last frame into cssink (cseventgate closed,
#             frames go on into the gate) -> event.json with "ended": true
#             found in the store (polled every 20 ms), EVENTS events, each
#             waiting at most WAIT s.
# Definitions in full: benchmarks/latency.c.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/lib.sh
SECONDS_REC=${SECONDS_REC:-60} EVENTS=${EVENTS:-5} WAIT=${WAIT:-10} KBPS=${KBPS:-4000}
bench_build
bench_rgw_start
log=$out/latency.log
: >"$log"

run() {  # store, then latency's options; prints the BENCH line
  local line
  bench_store_clear
  line=$(timeout 600 $bin/latency --kbps "$KBPS" --gop-frames 25 --input-dir "$out" "$@" \
    2>>"$log" | grep '^BENCH') || line="BENCH n=0 errors=1"
  echo "$*: $line" >>"$log"
  echo "$line"
}

printf '\n%s kb/s, GOP and segments of 1 s\n' "$KBPS"
printf '%-8s %-9s %4s %8s %8s %8s %s\n' store what n p50-ms p99-ms max-ms "not within $WAIT s"
for st in file s3; do
  case $st in
    file) uri=file://$store sink="cssink location=$uri" ;;
    s3) uri=s3://bench/lat sink="cssink location=$uri endpoint=$ep" ;;
  esac
  sink="$sink device-id=cam0 segment-duration=1000000000"
  seg=$(run --sink "$sink" -s "$SECONDS_REC")
  ev=$(run --sink "$sink" --events "$EVENTS" --wait "$WAIT" --store "$uri" --endpoint "$ep")
  for w in segments events; do
    l=$([ $w = segments ] && echo "$seg" || echo "$ev")
    printf '%-8s %-9s %4s %8s %8s %8s %s\n' "$st" "$w" "$(bench_get n "$l")" \
      "$(bench_get p50-ms "$l")" "$(bench_get p99-ms "$l")" "$(bench_get max-ms "$l")" \
      "$(bench_get missing "$l")"
  done
done
echo "targets (issue 12), p99: segment <= 1 frame + 50 ms = 90 ms (file://); event.json <= 1000 ms"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg); every run: $log"
