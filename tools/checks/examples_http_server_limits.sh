# examples/http_server at its limits, on each Linux backend, from plain
# Python sockets (examples/http_server/limits_client.py):
#  - crowd: a server of capacity 64 holds 3x that many idle and trickling
#    connections, and a new client is still answered (the Loop's policy at
#    capacity, lio/runtime/LOOP.md);
#  - slow: the absolute head deadline closes a client sending a byte at a time;
#  - bad: %00, .., a missing Host, a bare CR... get their status codes, bare
#    LF lines are served, and a declared body that never comes is let go;
#  - noread: a client that never reads its download is let go (send deadline);
#  - fds: out of descriptors (RLIMIT_NOFILE 64, 100 clients held 3 s), the
#    accept loop backs off and logs a few lines, not one per try, and serves
#    again once descriptors are free.
# Servers listen on an ephemeral 127.0.0.1 port and exit when idle.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/lib.sh
fail() { echo "FAIL: $*"; exit 1; }

lio_bazel build --config=opt //examples/http_server //lio/plugins/io_uring:liblio_io_uring.so \
  //lio/plugins/poller:liblio_poller.so >/dev/null 2>&1 ||
  { lio_bazel build --config=opt //examples/http_server 2>&1 | tail -20; fail "build"; }
bin=$(cd "$LIO_ROOT" && bazel info --config=opt bazel-bin 2>/dev/null)
LIO_PLUGIN_PATH="$(lio_plugin_path --config=opt)"
export LIO_PLUGIN_PATH
client="examples/http_server/limits_client.py"

tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
root="$tmp/root"
mkdir -p "$root"
echo "<h1>hello from lio</h1>" >"$root/index.html"
head -c $((32 << 20)) /dev/zero >"$root/big.bin"  # more than loopback's socket buffers hold

# Starts the server; sets pid and port. With nofile=N set, under
# RLIMIT_NOFILE N (soft and hard, so the server cannot raise it).
start() {
  local out=$1
  shift
  (
    if [ -n "${nofile:-}" ]; then ulimit -n "$nofile"; fi
    exec timeout 120 "$bin/examples/http_server/http_server" --root "$root" "$@"
  ) >"$out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q "^listening on" "$out" && break; sleep 0.1; done
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$out")
  [ -n "$port" ] || { cat "$out"; fail "the server did not say where it listens"; }
}
finish() {
  local out=$1 rc=0
  wait "$pid" || rc=$?
  pid=""
  [ "$rc" -eq 0 ] || { cat "$out"; fail "the server exited with $rc"; }
}

for backend in io_uring poller; do
  out="$tmp/crowd.$backend"
  start "$out" --backend "$backend" --capacity 64 --header_timeout_ms 60000 --idle_exit_ms 2000
  python3 "$client" "$port" crowd 192 || { cat "$out"; fail "$backend: crowd"; }
  finish "$out"

  out="$tmp/limits.$backend"
  start "$out" --backend "$backend" --header_timeout_ms 1000 --body_timeout_ms 1000 --idle_exit_ms 2000
  python3 "$client" "$port" slow || { cat "$out"; fail "$backend: slow"; }
  python3 "$client" "$port" bad || { cat "$out"; fail "$backend: bad"; }
  finish "$out"

  # The server exits once idle; it can only be idle if it let the client that
  # holds its download unread go before the client gives up (20 s).
  out="$tmp/noread.$backend"
  start "$out" --backend "$backend" --send_timeout_ms 1000 --idle_exit_ms 1000
  python3 "$client" "$port" noread 20 &
  reader=$!
  finish "$out"
  kill -0 "$reader" 2>/dev/null || fail "$backend: the server held a client that never read until it left"
  kill "$reader"
  wait "$reader" 2>/dev/null || true
  echo "$backend: noread: the server let go of a client that never read"

  out="$tmp/fds.$backend"
  nofile=64 start "$out" --backend "$backend" --idle_exit_ms 1000
  python3 "$client" "$port" fds 100 3 || { cat "$out"; fail "$backend: fds"; }
  finish "$out"
  lines=$(grep -c "accept:" "$out" || true)
  [ "$lines" -ge 1 ] && [ "$lines" -le 6 ] || { cat "$out"; fail "$backend: out of descriptors for 3 s: $lines log lines"; }
  echo "$backend: fds: out of descriptors for 3 s, $lines log lines, then served again"
  echo "$backend: ok"
done
echo OK
