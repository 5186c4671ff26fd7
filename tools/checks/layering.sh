#!/usr/bin/env bash
# The layers of DESIGN.md hold: the backend layer (lio/core) depends on no
# runtime target and includes no runtime header; plugins depend on neither
# the runtime nor the loader (only the ABI header and lio::Op in tests).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$LIO_ROOT"

status=0
fail() { echo "layering: $*"; status=1; }

core_deps=$(lio_bazel query 'deps(//lio/core/...)' 2>/dev/null)
if grep -q '^//lio/runtime' <<<"$core_deps"; then
  fail "//lio/core depends on the runtime:"; grep '^//lio/runtime' <<<"$core_deps"
fi
if grep -rn '#include "lio/runtime/' lio/core; then
  fail "a file of lio/core includes a runtime header (above)"
fi

plugins='kind("cc_(library|binary)", //lio/plugins/...) except attr(testonly, 1, //lio/plugins/...)'
plugin_runtime_deps=$(lio_bazel query "deps($plugins) intersect //lio/runtime/..." 2>/dev/null)
if [ -n "$plugin_runtime_deps" ]; then
  fail "a plugin depends on the runtime:"; echo "$plugin_runtime_deps"
fi

[ "$status" -eq 0 ] && echo "layering: lio/core is free of lio/runtime; no plugin depends on the runtime"
exit "$status"
