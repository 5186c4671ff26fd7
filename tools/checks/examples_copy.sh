# examples/copy (cp with N reads in flight): the copy is byte-identical to its
# input (cmp) on each Linux backend, for empty, tiny, block-sized and large
# odd-sized files, with 1 and 8 reads in flight.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/lib.sh
fail() { echo "FAIL: $*"; exit 1; }

lio_bazel build --config=opt //examples/copy //lio/plugins/io_uring:liblio_io_uring.so \
  //lio/plugins/poller:liblio_poller.so >/dev/null 2>&1 ||
  { lio_bazel build --config=opt //examples/copy 2>&1 | tail -20; fail "build"; }
bin=$(cd "$LIO_ROOT" && bazel info --config=opt bazel-bin 2>/dev/null)
LIO_PLUGIN_PATH="$(lio_plugin_path --config=opt)"
export LIO_PLUGIN_PATH

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
block=1048576
: >"$tmp/empty"
head -c 1 /dev/urandom >"$tmp/one"
head -c $block /dev/urandom >"$tmp/block"
head -c $((block + 1)) /dev/urandom >"$tmp/block_plus_one"
head -c $((64 * block + 12345)) /dev/urandom >"$tmp/large"

for backend in io_uring poller; do
  for in_flight in 1 8; do
    for f in empty one block block_plus_one large; do
      dst="$tmp/$f.copy"
      rm -f "$dst"
      timeout 60 "$bin/examples/copy/copy" --backend "$backend" --in_flight "$in_flight" \
        --block_size $block "$tmp/$f" "$dst" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "$backend: copy $f"; }
      cmp "$tmp/$f" "$dst" || fail "$backend: $f differs after copy with $in_flight in flight"
      [ "$f" = large ] && echo "$backend, $in_flight in flight: $(cat "$tmp/log")"
    done
  done
  # Errors are reported, not crashed on.
  if timeout 10 "$bin/examples/copy/copy" --backend "$backend" "$tmp/missing" "$tmp/x" 2>"$tmp/err"; then
    fail "$backend: copying a missing file exited 0"
  fi
  grep -q "ENOENT" "$tmp/err" || { cat "$tmp/err"; fail "$backend: no ENOENT message"; }
done
echo OK
