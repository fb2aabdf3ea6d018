#!/bin/bash
# The unit suite again, built with AddressSanitizer, UndefinedBehaviorSanitizer
# and LeakSanitizer (./build-asan): any memory error, undefined behaviour or
# leak of ours fails it (with three times the time: ASan scans the plugin
# registry in process, slowly).  What libraries keep until exit on purpose is in
# tests/lsan.supp.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
    >/dev/null
fi
ninja -C build-asan >/dev/null
# In-process plugin scanning, so that the scanner's own exit is not reported;
# full stacks, so that the suppressions match.
GST_REGISTRY_FORK=no \
ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=30 \
LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --suite unit --print-errorlogs --timeout-multiplier 3
