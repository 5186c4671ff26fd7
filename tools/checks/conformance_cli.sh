# `lio conformance NAME` passes every clause for each Linux backend, found by
# name through the plugin search path, and `lio backends` shows them all
# probed and exercised. poller_kqueue: the kqueue reactor over libkqueue.
set -eu
cd "$(dirname "$0")/../.."
out=$(tools/lio backends)
echo "$out"
for backend in io_uring poller poller_kqueue; do
  grep -E "^$backend +1\.1 .* ok +ok: " <<<"$out" >/dev/null || { echo "FAIL: $backend not ok in 'lio backends'"; exit 1; }
  tools/lio conformance "$backend"
done
