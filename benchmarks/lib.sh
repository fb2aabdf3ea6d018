# shellcheck shell=bash disable=SC2034
# Shared by the live benchmarks (scale.sh, latency.sh, memory.sh): sourced,
# from the top of the source tree.  Builds the benchmark programs, starts a
# Ceph RADOS Gateway of its own (stopped at exit), and says what a sink is.
# Honours RGW_PORT, MON_V2_PORT, MON_V1_PORT and CEPH_BASE (as
# tests/servers/ceph-rgw.sh), and PLUGIN_DIR: the cloudstorage plugin to
# measure (default build/gst, e.g. another branch's build).

out=benchmarks/out
store=$PWD/$out/store
bin=build/benchmarks
export GST_PLUGIN_PATH=${PLUGIN_DIR:-$PWD/build/gst}
# A registry of its own: a scan that failed elsewhere (a plugin blacklisted
# under load) does not leave elements missing here.
GST_REGISTRY=$PWD/$out/registry-$(echo "$GST_PLUGIN_PATH" | md5sum | cut -c1-8).bin
export GST_REGISTRY
export CEPH_BASE=${CEPH_BASE:-/tmp/cs-bench-ceph}
ep=http://127.0.0.1:${RGW_PORT:-7480}
export AWS_ACCESS_KEY_ID=TESTACCESSKEY0000000
export AWS_SECRET_ACCESS_KEY=testsecretkey0000000000000000000000000000

bench_build() {
  [ -d build ] || meson setup build >/dev/null
  meson configure build -Dbenchmarks=enabled >/dev/null
  ninja -C build >/dev/null
  mkdir -p "$out"
  echo "plugin: ${PLUGIN_DIR:-build/gst of $(git log -1 --format='%h %cd' --date=short)}"
  echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at $(date -u '+%F %H:%M') UTC"
}

s3() {
  curl -s --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" "$@"
}

# Starts the gateway (RAM-backed: MEMSTORE_BYTES, default 8 GiB here; one
# already answering at $ep is used as it is) and makes the bucket "bench".
bench_rgw_start() {
  if ! curl -s -o /dev/null "$ep"; then
    trap 'bash tests/servers/ceph-rgw.sh stop >/dev/null 2>&1 || true' EXIT
    # A start fails now and then on a loaded machine (the monitor is slow).
    for _ in 1 2; do
      MEMSTORE_BYTES=${MEMSTORE_BYTES:-8589934592} \
        bash tests/servers/ceph-rgw.sh start >/dev/null && break
    done
  fi
  s3 -X PUT "$ep/bench" >/dev/null
}

# Empties the store between runs: the gateway keeps objects in memory.
bench_store_clear() {
  rm -rf "$store" && mkdir -p "$store/base"
  if [ -f "$CEPH_BASE/ceph.conf" ]; then
    radosgw-admin -c "$CEPH_BASE/ceph.conf" bucket rm --bucket=bench \
      --purge-objects >/dev/null 2>&1 || true
    s3 -X PUT "$ep/bench" >/dev/null
  fi
}

# The sink of camera {cam} for a case: base (splitmuxsink muxer=mpegtsmux to
# files: the baseline), file (cssink to file://), fmp4 (cssink
# container=fmp4 to file://) or s3 (cssink to s3://); segments of $2 seconds.
bench_sink() {
  case $1 in
    base) echo "splitmuxsink muxer=mpegtsmux max-size-time=$(($2 * 1000000000)) location=$store/base/cam{cam}-%05d.ts" ;;
    file) echo "cssink location=file://$store device-id=cam{cam} segment-duration=$(($2 * 1000000000))" ;;
    fmp4) echo "cssink location=file://$store device-id=cam{cam} container=fmp4 segment-duration=$(($2 * 1000000000))" ;;
    s3) echo "cssink location=s3://bench/run endpoint=$ep device-id=cam{cam} segment-duration=$(($2 * 1000000000))" ;;
  esac
}

# The value of key $1 in a "BENCH k=v ..." line $2.
bench_get() {
  tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"
}
