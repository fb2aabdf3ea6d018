#!/bin/bash
# Installs what gst-cloudstorage needs on Debian 12 (as root, or through sudo)
# and builds it in ./build.
#   scripts/setup.sh          build and run dependencies
#   scripts/setup.sh --tests  also the test servers (Ceph RADOS Gateway, nginx),
#                             the readers the tests check with (ffprobe) and
#                             the browser that tests the web page (chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  meson ninja-build gcc pkg-config
  libglib2.0-dev libsoup-3.0-dev libgnutls28-dev libjson-glib-dev glib-networking
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad
  # gst-play-1.0 and gst-discoverer-1.0, which the README plays playlists with
  gstreamer1.0-plugins-base-apps
  # encoders for the simulated camera: x264enc, avenc_aac
  gstreamer1.0-plugins-ugly gstreamer1.0-libav
  ffmpeg
)
# The web page of csctl serve takes hls.js from the npm registry.
command -v npm >/dev/null || packages+=(nodejs npm)
if [ "${1:-}" = "--tests" ]; then
  packages+=(ceph-mon ceph-osd radosgw uuid-runtime curl nginx openssl
    clang libclang-rt-14-dev chromium faketime iproute2)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d web/node_modules/hls.js ] \
    || { [ "${1:-}" = "--tests" ] && [ ! -d web/node_modules/playwright-core ]; }; then
  echo "setup: installing the web page's packages (npm ci)"
  (cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

if [ ! -f build/build.ninja ]; then
  meson setup build >/dev/null
fi
ninja -C build >/dev/null
echo "setup: built in ./build"
