# examples/echo_server, driven by a client that is not lio (Python's socket,
# examples/echo_server/echo_client.py): 100 connections push 100 MB in total
# and get every byte back, byte-exact, on each Linux backend, with two loops
# (threads) sharing the port through SO_REUSEPORT. The server listens on an
# ephemeral 127.0.0.1 port and exits by itself after the 100 connections;
# everything is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/lib.sh
fail() { echo "FAIL: $*"; exit 1; }

lio_bazel build --config=opt //examples/echo_server //lio/plugins/io_uring:liblio_io_uring.so \
  //lio/plugins/poller:liblio_poller.so //lio/plugins/poller:liblio_poller_kqueue.so >/dev/null 2>&1 ||
  { lio_bazel build --config=opt //examples/echo_server 2>&1 | tail -20; fail "build"; }
bin=$(cd "$LIO_ROOT" && bazel info --config=opt bazel-bin 2>/dev/null)
LIO_PLUGIN_PATH="$(lio_plugin_path --config=opt)"
export LIO_PLUGIN_PATH

tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

for backend in io_uring poller poller_kqueue; do
  out="$tmp/server.$backend"
  timeout 180 "$bin/examples/echo_server/echo_server" --backend "$backend" --threads 2 \
    --max_connections 100 --idle_exit_ms 60000 >"$out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q "^listening on" "$out" && break; sleep 0.1; done
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$out")
  [ -n "$port" ] || { cat "$out"; fail "$backend: the server did not say where it listens"; }
  echo "$backend: $(head -1 "$out")"
  timeout 150 python3 examples/echo_server/echo_client.py --port "$port" --connections 100 \
    --total-bytes 100000000 --timeout 120 || { cat "$out"; fail "$backend: echo client"; }
  rc=0
  wait "$pid" || rc=$?
  pid=""
  [ "$rc" -eq 0 ] || { cat "$out"; fail "$backend: the server exited with $rc"; }
  grep -q "^served 100 connections, echoed 100000000 bytes" "$out" || { cat "$out"; fail "$backend: server totals"; }
  echo "$backend: $(tail -1 "$out")"
done
echo OK
