#!/usr/bin/env bash
# lio::Loop's tests (loop_test, task_test: callbacks, coroutines, timeouts,
# cancellation with owned buffers, post from 4 threads, 10,000 coroutines)
# against the iocp backend: cross-built with --config=mingw and run under Wine
# (tools/wine_run.sh, a private WINEPREFIX per test).
set -uo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$LIO_ROOT"

if [ ! -x /usr/lib/wine/wine64 ] || ! command -v x86_64-w64-mingw32-g++-posix >/dev/null; then
  echo "windows_loop: needs wine64 and g++-mingw-w64-x86-64-posix (tools/setup installs them)"
  exit 1
fi
targets=(//lio/runtime:loop_test_iocp //lio/runtime:task_test_iocp //lio/runtime:loop_guide_test_iocp //lio/runtime:loop_fs_test_iocp)
log="$LIO_CACHE_DIR/test-logs/windows_loop.bazel.log"
mkdir -p "$(dirname "$log")"
echo "== bazel test --config=mingw --run_under=tools/wine_run.sh ${targets[*]}"
lio_bazel test --config=mingw --run_under="$LIO_ROOT/tools/wine_run.sh" --test_output=errors \
  "${targets[@]}" >"$log" 2>&1
rc=$?
grep -E '^//[^ ]+ +(\(cached\) )?(PASSED|FAILED|TIMEOUT|NO STATUS|INCOMPLETE|FLAKY)' "$log"
testlogs=$(cd "$LIO_ROOT" && bazel info --config=mingw bazel-testlogs 2>/dev/null)
for t in loop_test_iocp task_test_iocp loop_guide_test_iocp; do
  f="$testlogs/lio/runtime/$t/test.log"
  [ -f "$f" ] && tr -d '\r' <"$f" | grep -E '^\[  (PASSED|FAILED) ' | sed "s/^/  $t: /"
done
if [ "$rc" -ne 0 ]; then
  echo "bazel exited $rc; the last lines of $log:"
  tail -40 "$log"
fi
exit "$rc"
