#!/usr/bin/env bash
# The mutation score of the conformance suite: runs the suite against every
# broken plugin, each on the cases of the one id it breaks (--lio_clause), and
# counts the plugins the suite fails under that id.
#
#   mutation_score_test.sh RUNNER CHECKER INNER_PLUGIN PLUGIN=ID...
#
# Prints one verdict per plugin and "mutation score: caught / written"; exits
# non-zero below 100%. Two plugins run at a time.
set -uo pipefail

runner=$1
checker=$2
inner=$3
shift 3

LIO_PLUGIN_PATH="$(cd "$(dirname "$inner")" && pwd)"
export LIO_PLUGIN_PATH
out_dir=${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-$(mktemp -d)}}
mkdir -p "$out_dir"
export runner checker out_dir

one() {
  local plugin=${1%%=*} id=${1#*=}
  local name
  name=$(basename "$plugin" .so)
  name=${name#liblio_}
  local json="$out_dir/$name.json" log="$out_dir/$name.log" verdict="$out_dir/$name.verdict"
  rm -f "$json"
  local start=$SECONDS
  "$runner" --lio_plugin="$plugin" --lio_clause="$id" --lio_isolate --lio_json="$json" >"$log" 2>&1
  local status=$?
  {
    echo "== $name breaks [$id] (exit $status after $((SECONDS - start)) s)"
    python3 "$checker" --name="$name" --expect="$id" --exit-status="$status" --lio-json="$json" --log="$log"
    echo "rc=$?"
  } >"$verdict" 2>&1
}
export -f one

printf '%s\n' "$@" | xargs -P 2 -I{} bash -c 'one "$@"' _ {}

written=0
caught=0
missed=()
for arg in "$@"; do
  plugin=${arg%%=*}
  name=$(basename "$plugin" .so)
  name=${name#liblio_}
  written=$((written + 1))
  verdict="$out_dir/$name.verdict"
  grep -v '^rc=' "$verdict" 2>/dev/null || echo "== $name: no verdict"
  if grep -qx 'rc=0' "$verdict" 2>/dev/null; then
    caught=$((caught + 1))
  else
    missed+=("$name")
  fi
done

echo
echo "mutation score: $caught / $written caught ($((100 * caught / written))%)"
if [ ${#missed[@]} -gt 0 ]; then
  echo "missed (the suite passed them, or failed them under another id): ${missed[*]}"
  exit 1
fi
