#!/usr/bin/env bash
# Every id of plugin_abi.h has a conformance case (or says why none can check
# it), every case names an id the header has, and every testable id has a
# broken plugin that breaks it (or says why no wrapper can). See
# tools/checks/clause_map.py.
set -eu
exec python3 "$(dirname "$0")/clause_map.py"
