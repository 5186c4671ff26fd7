#!/usr/bin/env bash
# lio outside this repository: tools/install into a temporary prefix, then,
# with the installed files only (sources copied out of the tree first, no
# LIO_PLUGIN_PATH), build and run
#   - a C++ program with `pkg-config --cflags --libs lio-runtime` and g++,
#   - the same program with CMake's find_package(lio),
#   - the C API test program with gcc -std=c11 -Wall -Werror,
#   - the out-of-tree plugin example with its one cc command, listed and
#     exercised by the installed `lio backends` beside io_uring and poller.
# Each program opens io_uring and poller by name (found in PREFIX/lib/lio)
# and runs a nop and a file read. Then: installing again changes nothing,
# tools/uninstall leaves the prefix empty, and a DESTDIR install stages the
# files while compiling in the final prefix.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$LIO_ROOT"

# The prefix is compiled into the core, so a fixed one (per checkout) keeps
# the optimized build cached from one run to the next.
prefix="${TMPDIR:-/tmp}/lio-install-check-$(printf '%s' "$LIO_ROOT" | md5sum | cut -c1-8)"
rm -rf "$prefix"
mkdir -p "$prefix"
work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
unset LIO_PLUGIN_PATH LIO_BACKEND LIO_CONFORMANCE_RUNNER
fail() { echo "FAIL: $*"; exit 1; }
step() { echo; echo "== $*"; }

step "tools/install --prefix $prefix"
tools/install --prefix "$prefix"
manifest_before=$(cat "$prefix/share/lio/install-manifest")

src="$work/src"
mkdir -p "$src"
cp tools/checks/install_consumers/consumer.cc tools/checks/install_consumers/CMakeLists.txt \
   lio/core/lio_c_api_test.c examples/third_party_plugin/reference_backend.c "$src/"
cd "$src"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
rpath="-Wl,-rpath,$prefix/lib"

step "C++ with pkg-config: g++ -std=c++20 consumer.cc \$(pkg-config --cflags --libs lio-runtime)"
echo "pkg-config: $(pkg-config --cflags --libs lio-runtime)"
g++ -std=c++20 -Wall -Werror consumer.cc $(pkg-config --cflags --libs lio-runtime) "$rpath" -o "$work/consumer_pkgconfig"
ldd "$work/consumer_pkgconfig" | grep "liblio_runtime.so.0 => $prefix/lib/" || fail "not linked against the installed liblio_runtime"
"$work/consumer_pkgconfig"

step "C++ with CMake: find_package(lio), target_link_libraries(consumer PRIVATE lio::runtime)"
cmake -S "$src" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" ||
  { cat "$work/cmake.log"; fail "cmake configure"; }
cmake --build "$work/cmake" >>"$work/cmake.log" || { cat "$work/cmake.log"; fail "cmake build"; }
"$work/cmake/consumer"

step "C with the C API: gcc -std=c11 -Wall -Werror lio_c_api_test.c \$(pkg-config --cflags --libs lio)"
gcc -std=c11 -Wall -Werror lio_c_api_test.c $(pkg-config --cflags --libs lio) "$rpath" -o "$work/c_api"
"$work/c_api"

step "the out-of-tree plugin, one cc command against the installed header"
mkdir -p "$work/plugins"
cc -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden \
   -I "$prefix/include/lio/core" -o "$work/plugins/liblio_reference.so" reference_backend.c
out=$(LIO_PLUGIN_PATH="$work/plugins" "$prefix/bin/lio" backends)
echo "$out"
for name in reference io_uring poller; do
  grep -qE "^$name +1\.1 .* ok +ok: " <<<"$out" || fail "$name not listed, probed and exercised by the installed lio"
done
grep -q "from $prefix/lib/lio/liblio_io_uring.so" <<<"$out" || fail "io_uring not loaded from $prefix/lib/lio"
grep -q "from $prefix/lib/lio/liblio_poller.so" <<<"$out" || fail "poller not loaded from $prefix/lib/lio"
"$prefix/bin/lio" conformance --plugin "$work/plugins/liblio_reference.so" >"$work/conformance.log" ||
  { cat "$work/conformance.log"; fail "the installed lio conformance on the reference plugin"; }
tail -3 "$work/conformance.log"
cd "$LIO_ROOT"

step "installing again changes nothing"
tools/install --prefix "$prefix" >/dev/null
[ "$(cat "$prefix/share/lio/install-manifest")" = "$manifest_before" ] || fail "the second install's manifest differs"

step "tools/uninstall --prefix $prefix"
tools/uninstall --prefix "$prefix"
left=$(cd "$prefix" && find . -mindepth 1)
[ -z "$left" ] || fail "left in the prefix after uninstall: $left"

step "DESTDIR=$work/stage tools/install --prefix /opt/lio-check"
DESTDIR="$work/stage" tools/install --prefix /opt/lio-check >/dev/null
[ -x "$work/stage/opt/lio-check/lib/lio/liblio_io_uring.so" ] || fail "nothing staged under DESTDIR"
[ ! -e /opt/lio-check ] || fail "/opt/lio-check written outside DESTDIR"
grep -q "^prefix=/opt/lio-check$" "$work/stage/opt/lio-check/lib/pkgconfig/lio.pc" || fail "lio.pc names the staging dir"
grep -qa "/opt/lio-check/lib/lio" "$work/stage/opt/lio-check/lib/liblio_core.so.0.1.0" ||
  fail "liblio_core does not search /opt/lio-check/lib/lio"
DESTDIR="$work/stage" tools/uninstall --prefix /opt/lio-check
[ ! -e "$work/stage/opt/lio-check" ] || fail "DESTDIR uninstall left $(find "$work/stage/opt/lio-check")"
echo
echo "install: OK"
