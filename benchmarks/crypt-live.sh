#!/bin/bash
# The CPU cost of encryption on live cameras (issue 15): N (16) cameras of
# KBPS (4000) kb/s video + AAC pushed in real time for STEP (40) s each
# (the first 5 s not counted) into cssink to file://, in CONTAINER (mpegts;
# or fmp4), without and with encryption-key-file (a key made for the run).
# The two take turns (plain, encrypted, plain, ...) TURNS (3) times, so
# that the load of a shared machine falls on both alike.  Prints each
# turn's CPU per camera (% of one core) and the ratio of the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/lib.sh
N=${N:-16} KBPS=${KBPS:-4000} STEP=${STEP:-40} TURNS=${TURNS:-3} SEG=4
CONTAINER=${CONTAINER:-mpegts}
bench_build
log=$out/crypt-live.log
: >"$log"
keys=$PWD/$out/crypt-live.keys
(umask 077 && printf '1 %s\n' "$(openssl rand -hex 16)" >"$keys")

declare -A per_camera
for turn in $(seq "$TURNS"); do
  for c in plain encrypted; do
    bench_store_clear
    sink="$(bench_sink file "$SEG") container=$CONTAINER"
    [ "$c" = plain ] || sink="$sink encryption-key-file=$keys"
    line=$(timeout $((STEP + 120)) $bin/cameras -n "$N" -s "$STEP" --kbps "$KBPS" \
      --input-dir "$out" --sink "$sink" 2>>"$log" | grep '^BENCH') ||
      { echo "$c: failed (see $log)"; exit 1; }
    echo "turn $turn $c: $line load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$log"
    if [ "$(bench_get dropped "$line")" != 0 ] || [ "$(bench_get errors "$line")" != 0 ]; then
      echo "turn $turn $c: segments dropped or errors (see $log)"; exit 1
    fi
    cpu=$(awk -v c="$(bench_get cpu-pct "$line")" -v n="$N" 'BEGIN { printf "%.2f", c / n }')
    per_camera[$c]="${per_camera[$c]:-} $cpu"
    printf 'turn %s %-10s %6s %% of a core per camera (late %s ms)\n' "$turn" "$c" "$cpu" \
      "$(bench_get late-ms "$line")"
  done
done
rm -f "$keys"

median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
plain=$(median "${per_camera[plain]}") encrypted=$(median "${per_camera[encrypted]}")
printf '\n%s cameras of %s kb/s (%s kb/s in all, with AAC), live, %s, segments of %s s, %s s per turn\n' \
  "$N" "$KBPS" "$(bench_get input-kbps "$line")" "$CONTAINER" "$SEG" "$STEP"
printf 'CPU per camera, median of %s turns: plain %s %%, encrypted %s %%: %s x (target <= 1.05x)\n' \
  "$TURNS" "$plain" "$encrypted" "$(awk -v a="$encrypted" -v b="$plain" 'BEGIN { printf "%.3f", a / b }')"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg); every run: $log"
