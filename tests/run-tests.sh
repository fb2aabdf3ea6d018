#!/bin/bash
# The whole test suite: installs what is missing, builds, starts the test
# servers on 127.0.0.1 (Ceph RADOS Gateway for S3, nginx WebDAV for plain
# HTTP), runs every test, stops the servers, then fuzzes the parsers of
# outside input for FUZZ_SECONDS (default 30) each.
set -Eeuo pipefail
# set -e ends the run at any failing step; say which.
trap 'echo "run-tests.sh: line $LINENO failed (exit $?): $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."
scripts/setup.sh --tests

export CEPH_BASE=${CEPH_BASE:-/tmp/cs-test-ceph}
export NGINX_BASE=${NGINX_BASE:-/tmp/cs-test-nginx}
stop_servers() {
  bash tests/servers/ceph-rgw.sh stop >/dev/null 2>&1 || true
  bash tests/servers/nginx-dav.sh stop >/dev/null 2>&1 || true
}
trap stop_servers EXIT
stop_servers                    # whatever an interrupted run left behind
# A gateway started by hand (tests/servers/ceph-rgw.sh start, default base)
# holds the same ports.
CEPH_BASE=/tmp/cs-ceph bash tests/servers/ceph-rgw.sh stop >/dev/null 2>&1 || true
bash tests/servers/ceph-rgw.sh start
bash tests/servers/nginx-dav.sh start

export CS_TEST_S3_ENDPOINT=http://127.0.0.1:${RGW_PORT:-7480}
export CS_TEST_S3_ACCESS_KEY=${S3_ACCESS_KEY:-TESTACCESSKEY0000000}
export CS_TEST_S3_SECRET_KEY=${S3_SECRET_KEY:-testsecretkey0000000000000000000000000000}
export CS_TEST_S3_BUCKET=cs-test
# The gateway's pid (it changes when a test restarts it) and its controls.
export CS_TEST_S3_PID_FILE=$CEPH_BASE/pid.rgw
export CS_TEST_CEPH_CTL=$PWD/tests/servers/ceph-rgw.sh
export CS_TEST_HTTP_URL=http://127.0.0.1:${NGINX_PORT:-8081}
export CS_TEST_HTTP_ROOT=$NGINX_BASE/data
export CS_TEST_REQUIRE_SERVERS=1

# The test bucket, made with curl's own SigV4 (RGW wants the payload hash).
status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
  --aws-sigv4 "aws:amz:us-east-1:s3" \
  --user "$CS_TEST_S3_ACCESS_KEY:$CS_TEST_S3_SECRET_KEY" \
  -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" \
  "$CS_TEST_S3_ENDPOINT/$CS_TEST_S3_BUCKET")
[ "$status" = 200 ] || { echo "cannot create the test bucket: HTTP $status" >&2; exit 1; }

rc=0
meson test -C build --print-errorlogs "$@" || rc=$?
log=build/meson-logs/testlog.json
ok=$(grep -c '"result": "OK"' "$log" || true)
skip=$(grep -c '"result": "SKIP"' "$log" || true)
all=$(grep -c '"result"' "$log" || true)

# The unit suite under ASan, UBSan and LSan (one test more).
all=$((all + 1))
if tests/sanitize.sh >build/sanitize.log 2>&1; then
  ok=$((ok + 1))
else
  rc=1
  # The sanitizers' reports, not their notes on threads (CI shows the
  # end of this output), then the summary.
  grep -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:|SUMMARY: ' \
    build/sanitize.log | head -40 || true
  tail -15 build/sanitize.log
fi

# The parsers of outside input, fuzzed for FUZZ_SECONDS each (one test more).
all=$((all + 1))
if tests/fuzz/run.sh; then ok=$((ok + 1)); else rc=1; fi

# Which checks failed, near the end where a truncated log still shows it.
if [ $rc != 0 ]; then
  grep -hE ':[0-9]+:[EF]:' build/meson-logs/testlog.txt \
    build-asan/meson-logs/testlog.txt 2>/dev/null | head -20 || true
fi

# One plain closing line.
echo "tests: $ok passed, $((all - ok - skip)) failed, $skip skipped"
exit $rc
