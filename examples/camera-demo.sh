#!/bin/bash
# The main job on the embedded default: installs what is missing, builds,
# records a simulated live camera (video + audio) into a local file:// store
# for ~20 s, then summarises what was stored, as ffprobe reads it.
#   STORE=/dir SECONDS_TO_RECORD=N examples/camera-demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

store=${STORE:-/tmp/gst-cloudstorage-demo}
rm -rf "$store"
GST_PLUGIN_PATH=$PWD/build/gst build/examples/record-camera \
  --location "file://$store" --device-id demo-cam \
  --seconds "${SECONDS_TO_RECORD:-20}"

echo
echo "Stored under $store:"
total_ms=0 n=0 bytes=0
while read -r f; do
  name=$(basename "$f"); name=${name%.*}
  dur=${name#*_}
  frames=$(ffprobe -v error -count_frames -select_streams v:0 \
    -show_entries stream=nb_read_frames -of csv=p=0 "$f" | head -n1)
  audio=$(ffprobe -v error -select_streams a:0 -show_entries \
    stream=codec_name -of csv=p=0 "$f" | head -n1)
  start=$(date -u -d "@$(( ${name%_*} / 1000 ))" +%H:%M:%S)
  size=$(stat -c %s "$f")
  printf '  %s  start %s UTC  %5d ms  %3d video frames  audio %-4s %8d bytes\n' \
    "${f#"$store"/}" "$start" "$dur" "$frames" "${audio:-none}" "$size"
  total_ms=$((total_ms + dur)) n=$((n + 1)) bytes=$((bytes + size))
done < <(find "$store" \( -name '*.mp4' -o -name '*.ts' \) | sort)
echo "$n segments, $((total_ms / 1000)).$(printf %03d $((total_ms % 1000))) s recorded, $bytes bytes"
[ "$n" -gt 0 ]
echo
echo "Found again by the viewer's tool (csctl playlist … -o x.m3u8 makes it playable):"
build/tools/csctl ls "file://$store" demo-cam
