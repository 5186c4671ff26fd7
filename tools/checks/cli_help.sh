#!/usr/bin/env bash
# The command reference in tools/README.md is exactly what `lio help
# --markdown` prints (one source: tools/cli/help.cc), and `lio help COMMAND`
# prints each page; an unknown command is refused.
set -euo pipefail
cd "$(dirname "$0")/../.."

readme=$(sed -n '/^<!-- BEGIN generated: tools\/lio help --markdown -->$/,/^<!-- END generated -->$/p' tools/README.md |
         sed '1d;$d')
generated=$(tools/lio help --markdown)
if [ "$readme" != "$generated" ]; then
  diff <(echo "$readme") <(echo "$generated") || true
  echo "FAIL: tools/README.md's command reference differs from tools/lio help --markdown (above)."
  echo "Regenerate it: replace the lines between the BEGIN/END markers with that command's output."
  exit 1
fi
for command in backends conformance bench help; do
  page=$(tools/lio help "$command")
  grep -q "^    lio $command - " <<<"$page" || { echo "FAIL: lio help $command has no NAME line"; exit 1; }
  grep -qF "$(head -3 <<<"$page" | tail -1)" <<<"$readme" || { echo "FAIL: lio help $command not in the README"; exit 1; }
done
if tools/lio help no_such_command >/dev/null 2>&1; then
  echo "FAIL: lio help no_such_command exited 0"
  exit 1
fi
echo "cli_help: tools/README.md matches lio help --markdown"
