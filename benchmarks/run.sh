#!/bin/bash
# cssink's cost against plain splitmuxsink, on the same pre-encoded input
# (60 s of 4 Mb/s H.264 + AAC) fed as fast as possible, in one run:
#   (a) splitmuxsink muxer=mpegtsmux to local files   (the baseline)
#   (b) cssink container=mpegts to file://
#   (c) cssink container=mpegts to s3:// on a local Ceph RADOS Gateway (started here)
#   (d) cssink container=mpegts to file:// with encryption-key-file (its cost against (b))
#   (e) cssink container=fmp4 (the default) to file://
# Prints CPU seconds (user+sys, best of RUNS), peak RSS, stored bytes per
# elementary byte, and the ratios to (a).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
RUNS=${RUNS:-3}
out=benchmarks/out
rm -rf "$out" && mkdir -p "$out"
export GST_PLUGIN_PATH=$PWD/build/gst

input=$out/input.mkv
gst-launch-1.0 -q videotestsrc num-buffers=1500 pattern=snow ! \
  video/x-raw,width=640,height=360,framerate=25/1 ! \
  x264enc bitrate=4000 key-int-max=50 speed-preset=veryfast ! h264parse ! \
  matroskamux name=m ! filesink location=$input \
  audiotestsrc num-buffers=2813 samplesperbuffer=1024 ! audio/x-raw,rate=48000 ! \
  avenc_aac ! aacparse ! m.
keys=$out/keys
(umask 077 && printf '1 %s\n' "$(openssl rand -hex 16)" > "$keys")
es_bytes=$(ffprobe -v error -show_entries packet=size -of csv=p=0 "$input" | paste -sd+ | bc)

export CEPH_BASE=${CEPH_BASE:-/tmp/cs-bench-ceph}
trap 'bash tests/servers/ceph-rgw.sh stop >/dev/null 2>&1 || true' EXIT
bash tests/servers/ceph-rgw.sh start >/dev/null
ak=TESTACCESSKEY0000000 sk=testsecretkey0000000000000000000000000000
ep=http://127.0.0.1:${RGW_PORT:-7480}
s3() { curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ak:$sk" \
  -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" "$@"; }
s3 -X PUT "$ep/bench" >/dev/null

# The demuxer feeds both streams from one thread: queues that hold a GOP
# of the other stream keep splitmuxsink from waiting on itself.
q="queue max-size-time=0 max-size-buffers=0 max-size-bytes=64000000"
feed="filesrc location=$input ! matroskademux name=d d.video_0 ! $q ! h264parse ! "
audio="d.audio_0 ! $q ! aacparse ! s."
declare -A sink=(
  [a]="splitmuxsink name=s muxer=mpegtsmux max-size-time=4000000000 location=$out/a/%05d.ts $audio"audio_%u
  [b]="cssink name=s location=file://$PWD/$out/b device-id=cam1 container=mpegts $audio"audio
  [c]="cssink name=s location=s3://bench/RUN endpoint=$ep access-key=$ak secret-key=$sk device-id=cam1 container=mpegts $audio"audio
  [d]="cssink name=s location=file://$PWD/$out/d device-id=cam1 container=mpegts encryption-key-file=$PWD/$keys $audio"audio
  [e]="cssink name=s location=file://$PWD/$out/e device-id=cam1 container=fmp4 $audio"audio
)

declare -A cpu rss stored
hangs=0
for v in a b c d e; do
  best_cpu="" best_rss=""
  for run in $(seq "$RUNS"); do
    rm -rf "$out/a" "$out/b" "$out/d" && mkdir -p "$out/a"
    # GStreamer 1.22.0 sometimes loses the final EOS of a file-fed pipeline
    # at full speed (plain splitmuxsink too): such a run is timed out and
    # done again, and counted.  Each try stores under a prefix of its own, so
    # that the stored bytes are those of one recording.
    for try in 1 2 3; do
      prefix=run$run-$try
      desc="$feed${sink[$v]//RUN/$prefix}"
      # shellcheck disable=SC2086
      if /usr/bin/time -f "%U %S %M" -o "$out/time" timeout 60 \
          gst-launch-1.0 -q $desc >/dev/null; then break; fi
      hangs=$((hangs + 1))
      rm -rf "$out/a" "$out/b" "$out/d" && mkdir -p "$out/a"
    done
    read -r u s m < "$out/time"
    c=$(echo "$u + $s" | bc)
    if [ -z "$best_cpu" ] || [ "$(echo "$c < $best_cpu" | bc)" = 1 ]; then best_cpu=$c; fi
    if [ -z "$best_rss" ] || [ "$m" -lt "$best_rss" ]; then best_rss=$m; fi
  done
  cpu[$v]=$best_cpu rss[$v]=$best_rss
  case $v in
    a|b|d) stored[$v]=$(find "$out/$v" -name '*.ts' -printf '%s\n' | paste -sd+ | bc) ;;
    e) stored[$v]=$(find "$out/$v" -name '*.mp4' -printf '%s\n' | paste -sd+ | bc) ;;
    c) stored[$v]=$(s3 "$ep/bench?list-type=2&prefix=$prefix%2F" | grep -o '<Size>[0-9]*' | cut -d'>' -f2 | paste -sd+ | bc) ;;
  esac
done

seg_bytes=$(( es_bytes * 4 / 60 ))
printf '\ninput: 60 s, %d elementary bytes (%.2f Mb/s), segments of 4 s, best of %d runs\n' \
  "$es_bytes" "$(echo "$es_bytes * 8 / 60 / 1000000" | bc -l)" "$RUNS"
printf '%-28s %8s %10s %12s %10s %10s\n' case "CPU s" "peak RSS" "stored/ES" "CPU/(a)" "RSS-(a)"
for v in a b c d e; do
  case $v in
    a) name="(a) splitmuxsink to files" ;;
    b) name="(b) cssink file://" ;;
    c) name="(c) cssink s3:// (Ceph)" ;;
    d) name="(d) cssink file:// encrypted" ;;
    e) name="(e) cssink fmp4 file://" ;;
  esac
  printf '%-28s %8.2f %8d KB %12.4f %10.2f %7d KB\n' "$name" "${cpu[$v]}" "${rss[$v]}" \
    "$(echo "${stored[$v]} / $es_bytes" | bc -l)" "$(echo "${cpu[$v]} / ${cpu[a]}" | bc -l)" \
    "$(( rss[$v] - rss[a] ))"
done
[ "$hangs" -eq 0 ] || echo "runs redone after a lost EOS: $hangs"
printf 'targets: (b) <= 1.15x and (c) <= 1.3x the CPU of (a); RSS <= (a) + 3 segments (%d KB)\n' \
  "$(( 3 * seg_bytes / 1024 ))"
printf 'encryption: (d)/(b) CPU %.2fx (target <= 1.05x)\n' "$(echo "${cpu[d]} / ${cpu[b]}" | bc -l)"
