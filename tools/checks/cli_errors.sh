# `lio conformance` refuses a missing plugin file and a file that is not a
# plugin, each with a message saying what is wrong, and exits non-zero.
set -u
cd "$(dirname "$0")/../.."
lio=tools/lio
fail() { echo "FAIL: $*"; exit 1; }

out=$($lio conformance --plugin /nonexistent.so 2>&1) && fail "--plugin /nonexistent.so exited 0"
echo "$out"
grep -q "does not exist" <<<"$out" || fail "no 'does not exist' message"

notplugin=$(mktemp --suffix=.so)
echo "not a plugin" >"$notplugin"
out=$($lio conformance --plugin "$notplugin" 2>&1) && fail "--plugin on a text file exited 0"
rm -f "$notplugin"
echo "$out"
grep -q "could not be loaded as a shared library" <<<"$out" || fail "no 'not a shared library' message"

out=$($lio conformance --plugin /bin/true 2>&1) && fail "--plugin /bin/true exited 0"
echo "$out"
grep -qE "shared library|lio_plugin_register" <<<"$out" || fail "no message for an executable"

out=$($lio conformance no_such_backend 2>&1) && fail "unknown backend exited 0"
echo "$out"
grep -q "unknown backend 'no_such_backend'" <<<"$out" || fail "no 'unknown backend' message"
echo OK
