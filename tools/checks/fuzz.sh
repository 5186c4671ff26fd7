#!/usr/bin/env bash
# The libFuzzer targets of lio/testing/fuzz (built with bazel --config=fuzz),
# each for a bounded time from the corpus kept in the repo. Fails on any
# crash, contract violation, leak or hang.
#
#   tools/checks/fuzz.sh                         # 45 s per target (tools/test)
#   tools/checks/fuzz.sh --seconds 3600          # a long run
#   tools/checks/fuzz.sh --seconds 600 --update-corpus   # then merge what it found, minimized
#   tools/checks/fuzz.sh --target parse_fuzzer   # one target
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=45
update=0
targets=(backend_ops_fuzzer parse_fuzzer)
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --update-corpus) update=1; shift ;;
    --target) targets=("$2"); shift 2 ;;
    *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

source "$root/tools/lib.sh"
labels=()
for t in "${targets[@]}"; do labels+=("//lio/testing/fuzz:$t"); done
lio_bazel build --config=fuzz "${labels[@]}"
out=$(cd "$root" && bazel info --config=fuzz bazel-bin 2>/dev/null)/lio/testing/fuzz
work=$(mktemp -d /tmp/lio_fuzz_run.XXXXXX)
trap 'rm -rf "$work"' EXIT
artifacts="$LIO_CACHE_DIR/fuzz-artifacts"
mkdir -p "$artifacts"
# --config=fuzz links the sanitizers' shared runtime (.bazelrc says why). It
# is clang's, not a system library: found through LD_LIBRARY_PATH, and loaded
# after libstdc++ (which it does not need to intercept).
export LD_LIBRARY_PATH="$(clang++ -print-resource-dir)/lib/linux${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# Chaos's knobs come from the environment as well; the run must not inherit a
# user's settings (only the seed varies, from the input).
unset $(env | grep -o '^LIO_CHAOS_[A-Z_]*') LIO_BACKEND LIO_PLUGIN_PATH 2>/dev/null || true

status=0
for t in "${targets[@]}"; do
  corpus="$root/lio/testing/fuzz/corpus/$t"
  mkdir -p "$work/$t"
  log="$work/$t.log"
  # New inputs go to the scratch dir (the first); the repo corpus is read only.
  if (cd "$work" && "$out/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$t-" "$work/$t" "$corpus") >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  echo "$t: $result: $runs executions in ${seconds} s ($rate exec/s), corpus $(ls "$corpus" | wc -l) kept + $(ls "$work/$t" | wc -l) new"
  if [ "$result" != ok ]; then
    grep -E 'contract broken|ERROR|SUMMARY|Test unit written' "$log" | head -20 | sed 's/^/  /'
  fi
  if [ "$update" = 1 ] && [ "$result" = ok ]; then
    (cd "$work" && "$out/$t" -merge=1 "$corpus" "$work/$t") >"$work/$t.merge.log" 2>&1
    echo "$t: corpus now $(ls "$corpus" | wc -l) inputs"
  fi
done
exit $status
