# `lio conformance` refuses a missing plugin file and a file that is not a
# plugin, each with a message saying what is wrong, and exits non-zero.
set -u
cd "$(dirname "$0")/../.."
lio=tools/lio
fail() { echo "FAIL: $*"; exit 1; }

out=$($lio conformance --plugin /nonexistent.so 2>&1) && fail "--plugin /nonexistent.so exited 0"
echo "$out"
grep -q "does not exist" <<<"$out" || fail "no 'does not exist' message"

# In a directory of our own: /tmp itself is writable by everyone, so the
# loader would refuse anything in it for that reason first.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "not a plugin" >"$dir/notplugin.so"
out=$($lio conformance --plugin "$dir/notplugin.so" 2>&1) && fail "--plugin on a text file exited 0"
echo "$out"
grep -q "is refused: it is not a shared library" <<<"$out" || fail "no 'not a shared library' message"

# One bad file in a plugin directory (a truncated plugin, a FIFO) is refused
# by name and reason; `lio backends` still lists and exercises the real ones.
real=$(ls "$(cd "$(dirname "$0")/../.." && bazel info bazel-bin 2>/dev/null)"/lio/plugins/poller/liblio_poller.so)
head -c 4096 "$real" >"$dir/liblio_truncated.so"
mkfifo "$dir/liblio_fifo.so"
out=$(LIO_PLUGIN_PATH="$dir" timeout 120 $lio backends 2>&1) || fail "lio backends with bad files in the path failed: $out"
echo "$out"
grep -qE '^poller +1\.[0-9]+ .* ok +ok: ' <<<"$out" || fail "poller not listed and exercised beside the bad files"
grep -q "liblio_truncated.so' is refused: it is truncated" <<<"$out" || fail "no refusal of the truncated plugin"
grep -q "liblio_fifo.so' is refused: it is a FIFO" <<<"$out" || fail "no refusal of the FIFO"
out=$(timeout 120 $lio conformance --plugin "$dir/liblio_truncated.so" 2>&1) && fail "--plugin on a truncated plugin exited 0"
echo "$out"
grep -q "is refused: it is truncated" <<<"$out" || fail "no 'truncated' message from lio conformance"

out=$($lio conformance --plugin /bin/true 2>&1) && fail "--plugin /bin/true exited 0"
echo "$out"
grep -qE "shared library|lio_plugin_register" <<<"$out" || fail "no message for an executable"

# A relative LIO_PLUGIN_PATH entry is refused by name (it would name whatever
# directory lio starts in); the absolute entries still work. Run from the
# directory holding a plugin: it must not be loaded through the relative entry.
cp "$real" "$dir/liblio_relative_poller.so" 2>/dev/null || true
out=$(cd "$dir" && LIO_PLUGIN_PATH=. timeout 120 "$OLDPWD/$lio" backends 2>&1) || fail "lio backends with a relative entry failed: $out"
echo "$out"
grep -q "LIO_PLUGIN_PATH entry '.' is relative and is not searched" <<<"$out" || fail "no refusal of the relative entry"
grep -qE '^poller +1\.[0-9]+ .* ok +ok: ' <<<"$out" || fail "poller not listed beside the refused entry"
grep -q "liblio_relative_poller.so" <<<"$out" && fail "a plugin was loaded through the relative entry"

out=$($lio conformance no_such_backend 2>&1) && fail "unknown backend exited 0"
echo "$out"
grep -q "unknown backend 'no_such_backend'" <<<"$out" || fail "no 'unknown backend' message"
echo OK
