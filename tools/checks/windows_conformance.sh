#!/usr/bin/env bash
# The Windows build, proven under Wine: lio_iocp.dll, the Windows build of the
# conformance suite and the plugin's own tests, cross-built with
# --config=mingw (MinGW-w64) and run by `bazel test` under Wine — each test
# in its own WINEPREFIX, its wineserver stopped afterwards (tools/wine_run.sh).
# Prints each test's verdict and the suite's per-clause table; exits non-zero
# if anything failed.
set -uo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$LIO_ROOT"

if [ ! -x /usr/lib/wine/wine64 ] || ! command -v x86_64-w64-mingw32-g++-posix >/dev/null; then
  echo "windows_conformance: needs wine64 and g++-mingw-w64-x86-64-posix (tools/setup installs them)"
  exit 1
fi

targets=(//lio/plugins/iocp:all //lio/testing/exhaustion:all)
log="$LIO_CACHE_DIR/test-logs/windows_conformance.bazel.log"
mkdir -p "$(dirname "$log")"
echo "== bazel test --config=mingw --run_under=tools/wine_run.sh ${targets[*]}"
lio_bazel test --config=mingw --run_under="$LIO_ROOT/tools/wine_run.sh" --test_output=errors \
  "${targets[@]}" >"$log" 2>&1
rc=$?
grep -aE '^//[^ ]+ +(\(cached\) )?(PASSED|FAILED|TIMEOUT|NO STATUS|INCOMPLETE|FLAKY)' "$log"
if [ "$rc" -ne 0 ]; then
  echo "bazel exited $rc; the last lines of $log:"
  tail -40 "$log"
fi

# The suite's own report: one line per contract clause, and every skip with
# its reason.
testlogs=$(cd "$LIO_ROOT" && bazel info --config=mingw bazel-testlogs 2>/dev/null)
suite_log="$testlogs/lio/plugins/iocp/iocp_conformance_test/test.log"
if [ -f "$suite_log" ]; then
  echo
  # The table the runner prints last: from the line before its header on.
  # (Windows programs end their lines with CR LF.)
  tr -d '\r' <"$suite_log" >"$log.suite"
  awk '/^  clause +result/ { print previous; printing = 1 } printing { print } { previous = $0 }' "$log.suite"
  echo "skipped cases, each after the suite's reason:"
  grep -a -B1 '^\[  SKIPPED \] Conformance.*ms)$' "$log.suite" | grep -v '^--$' | sed 's/^/  /'
fi
exit "$rc"
