#!/bin/bash
# How many live cameras one process carries (issue 12, "scale"): for the
# baseline (splitmuxsink muxer=mpegtsmux to files) and cssink to file:// (and
# with container=fmp4: CASES=fmp4) and to s3:// (a local Ceph RGW), at 1 and 4 Mb/s, the most cameras for which no
# frame is more than 0.5 s late, no segment is dropped and every camera
# stored its segments, in STEP seconds of recording (default 25): doubling
# from START (16), then halving the interval down to 1/RES (8) of the max.  Then, at
# the smallest of the three maxima, the CPU, RSS and threads per camera of
# each, and the ratios to the baseline.  CASES (default "base file s3") runs
# fewer (base always, and first; the gateway starts only for s3).
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/lib.sh
STEP=${STEP:-25} START=${START:-16} MAX=${MAX:-2048} SEG=${SEG:-4} RES=${RES:-8}
RATES=${RATES:-1000 4000}
# CASES: base file s3 (and fmp4), or fewer (the gateway starts only for s3).
read -r -a cases <<<"${CASES:-base file s3}"
bench_build
case " ${cases[*]} " in *" s3 "*) bench_rgw_start ;; esac
log=$out/scale.log
: >"$log"

# Runs N cameras of a case; prints the BENCH line, returns 1 if it failed.
trial() {
  local case=$1 kbps=$2 n=$3 line late dropped errors segs
  bench_store_clear
  line=$(timeout $((STEP + 120)) $bin/cameras -n "$n" -s "$STEP" --kbps "$kbps" \
    --input-dir "$out" --sink "$(bench_sink "$case" "$SEG")" 2>>"$log" | grep '^BENCH') ||
    line="BENCH cameras=$n late-ms=-1 segments-min=0 dropped=0 errors=1"
  echo "$case $kbps kb/s: $line" >>"$log"
  echo "$line"
  late=$(bench_get late-ms "$line") dropped=$(bench_get dropped "$line")
  errors=$(bench_get errors "$line") segs=$(bench_get segments-min "$line")
  # Each camera starts within a GOP (2 s) and a segment waits at most
  # another for its end to be known.
  [ "$late" -ge 0 ] && [ "$late" -le 500 ] && [ "$dropped" = 0 ] && [ "$errors" = 0 ] &&
    [ "$segs" -ge $(((STEP - 6) / SEG)) ]
}

max_n() {
  local case=$1 kbps=$2 lo=0 hi n=$START
  while trial "$case" "$kbps" "$n" >/dev/null; do
    lo=$n n=$((n * 2))
    [ "$n" -le "$MAX" ] || { echo "$lo"; return; }
  done
  hi=$n
  while [ $((hi - lo)) -gt $((lo / RES)) ] && [ $((hi - lo)) -gt 1 ]; do
    n=$(((lo + hi) / 2))
    if trial "$case" "$kbps" "$n" >/dev/null; then lo=$n; else hi=$n; fi
  done
  echo "$lo"
}

declare -A maxn line cpu rss thr
for kbps in $RATES; do
  for c in "${cases[@]}"; do
    maxn[$c]=$(max_n "$c" "$kbps")
  done
  n=${maxn[${cases[0]}]}
  for c in "${cases[@]}"; do [ "${maxn[$c]}" -lt "$n" ] && n=${maxn[$c]}; done
  [ "$n" -gt 0 ] || n=1
  for c in "${cases[@]}"; do line[$c]=$(trial "$c" "$kbps" "$n" || true); done

  printf '\n%s kb/s video + AAC, %s s segments, %s s per step; per camera at N=%s\n' \
    "$kbps" "$SEG" "$STEP" "$n"
  printf '%-24s %6s %9s %10s %8s %8s %8s %8s\n' case "max N" "CPU %" "RSS MB" threads \
    "N/base" "RSS/base" "thr/base"
  for c in "${cases[@]}"; do
    l=${line[$c]}
    cpu[$c]=$(echo "$(bench_get cpu-pct "$l") / $n" | bc -l)
    rss[$c]=$(echo "($(bench_get rss-kb "$l") - $(bench_get rss-start-kb "$l")) / $n / 1024" | bc -l)
    thr[$c]=$(echo "($(bench_get threads "$l") - $(bench_get threads-start "$l")) / $n" | bc -l)
    printf '%-24s %6d %9.2f %10.2f %8.1f %8.2f %8.2f %8.2f\n' \
      "$(case $c in base) echo "splitmuxsink (files)";; file) echo "cssink file://";; fmp4) echo "cssink fmp4 file://";; s3) echo "cssink s3://";; esac)" \
      "${maxn[$c]}" "${cpu[$c]}" "${rss[$c]}" "${thr[$c]}" \
      "$(echo "${maxn[$c]} / ${maxn[base]}" | bc -l)" \
      "$(echo "${rss[$c]} / ${rss[base]}" | bc -l)" "$(echo "${thr[$c]} / ${thr[base]}" | bc -l)"
  done
  printf 'late frames at N (ms):'
  for c in "${cases[@]}"; do printf ' %s %s' "$c" "$(bench_get late-ms "${line[$c]}")"; done
  echo
done
echo "targets (issue 12): N/base >= 1.3, RSS/base <= 1.2, thr/base <= 1.0; every trial: $log"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
