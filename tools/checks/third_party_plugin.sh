# The out-of-tree example plugin builds with the plain compiler command of its
# README, is found through LIO_PLUGIN_PATH by `lio backends`, and passes
# `lio conformance --plugin PATH`.
set -eu
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

cc -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden \
   -I lio/core -o "$dir/liblio_reference.so" examples/third_party_plugin/reference_backend.c
exported=$(nm -D --defined-only "$dir/liblio_reference.so" | awk '$2 == "T" {print $3}')
[ "$exported" = "lio_plugin_register" ] || { echo "FAIL: exports: $exported"; exit 1; }

out=$(LIO_PLUGIN_PATH="$dir" tools/lio backends)
echo "$out"
grep -E '^reference +1\.0 .* ok +ok: ' <<<"$out" >/dev/null || { echo "FAIL: reference not listed, probed and exercised"; exit 1; }

tools/lio conformance --plugin "$dir/liblio_reference.so"
