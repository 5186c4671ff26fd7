# The out-of-tree example plugin builds with the plain compiler command of its
# README, is found through LIO_PLUGIN_PATH by `lio backends`, and passes
# `lio conformance --plugin PATH` — built against this lio's header, and
# against ABI 1.0's (tools/checks/testdata/plugin_abi_1_0.h, the header as
# 1.0 shipped it): a 1.0 plugin still loads and passes ([abi.minor_compatible]).
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
grep -E '^reference +1\.1 .* ok +ok: ' <<<"$out" >/dev/null || { echo "FAIL: reference not listed, probed and exercised"; exit 1; }

tools/lio conformance --plugin "$dir/liblio_reference.so"

# The same source as a 1.0 plugin: compiled against the 1.0 header (copied
# under its own name beside the example), it registers a vtable that ends at
# wake and says ABI 1.0.
mkdir -p "$dir/v1_0/src" "$dir/v1_0/lib"
cp tools/checks/testdata/plugin_abi_1_0.h "$dir/v1_0/src/plugin_abi.h"
cp examples/third_party_plugin/reference_backend.c "$dir/v1_0/src/"
cc -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden \
   -I "$dir/v1_0/src" -o "$dir/v1_0/lib/liblio_reference.so" "$dir/v1_0/src/reference_backend.c"
out=$(LIO_PLUGIN_PATH="$dir/v1_0/lib" tools/lio backends)
grep -E '^reference +1\.0 .* ok +ok: ' <<<"$out" >/dev/null || { echo "FAIL: the 1.0 build is not listed as ABI 1.0, probed and exercised"; echo "$out"; exit 1; }
tools/lio conformance --plugin "$dir/v1_0/lib/liblio_reference.so"
