#!/bin/bash
# Builds the libFuzzer targets with clang, ASan and UBSan in ./build-fuzz and
# runs each for FUZZ_SECONDS (default 30) from its corpus in tests/fuzz/corpus.
# Longer on demand: FUZZ_SECONDS=3600 tests/fuzz/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzzing=enabled -Dtests=disabled \
    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz >/dev/null
for t in s3-xml service event-json ivcs-config json-depth http-answer ivcs-frame \
    crypt nal param-sets; do
  work=$(mktemp -d)
  echo "fuzz-$t: ${FUZZ_SECONDS:-30} s"
  UBSAN_OPTIONS=halt_on_error=1 build-fuzz/tests/fuzz/fuzz-$t \
    -max_total_time="${FUZZ_SECONDS:-30}" -max_len=65536 -print_final_stats=1 \
    "$work" "tests/fuzz/corpus/$t" 2>&1 | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY' || true
  rm -rf "$work"
  # A crash leaves crash-* / leak-* / timeout-* files behind (ls of several
  # patterns fails when any one matches nothing: each is tested alone).
  for f in crash-* leak-* timeout-* oom-*; do
    if [ -e "$f" ]; then
      echo "fuzz-$t found a failing input: $f" >&2
      exit 1
    fi
  done
done
