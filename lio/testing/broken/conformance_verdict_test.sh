#!/usr/bin/env bash
# Meta-test: runs the conformance suite against one plugin and checks the
# verdict.
#
#   conformance_verdict_test.sh RUNNER CHECKER INNER_PLUGIN PLUGIN CLAUSE
#       the suite must fail PLUGIN (non-zero exit) and name CLAUSE as failed
#   conformance_verdict_test.sh RUNNER CHECKER INNER_PLUGIN PLUGIN pass
#       the suite must pass PLUGIN (exit 0, no clause failed)
#
# INNER_PLUGIN's directory goes on LIO_PLUGIN_PATH: the broken plugins wrap
# the backend it holds. Each case runs in its own process (--lio_isolate), so
# a case a broken plugin crashes or hangs fails alone, under its clause; the
# checker reads the report the suite writes with --lio_json.
set -uo pipefail

runner=$1
checker=$2
inner=$3
plugin=$4
expect=$5

LIO_PLUGIN_PATH="$(cd "$(dirname "$inner")" && pwd)"
export LIO_PLUGIN_PATH
name=$(basename "$plugin" .so)
name=${name#liblio_}
out_dir=${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-$(mktemp -d)}}
mkdir -p "$out_dir"
lio_json="$out_dir/$name.json"
log="$out_dir/$name.log"
rm -f "$lio_json"

echo "== lio conformance --plugin $plugin (LIO_PLUGIN_PATH=$LIO_PLUGIN_PATH)"
start=$(date +%s)
"$runner" --lio_plugin="$plugin" --lio_isolate --lio_json="$lio_json" >"$log" 2>&1
status=$?
echo "   exit status $status after $(($(date +%s) - start)) s (full output: $log)"

exec python3 "$checker" --name="$name" --expect="$expect" --exit-status="$status" \
  --lio-json="$lio_json" --log="$log"
