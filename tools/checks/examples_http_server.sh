# examples/http_server: curl fetches files byte-exact (cmp) on each Linux
# backend, with keep-alive, HEAD, 404, 405, a path that tries to escape the
# root, a percent-encoded name and pipelined requests from a non-lio client;
# then, if wrk is installed, a short wrk run with no errors. The server
# listens on an ephemeral 127.0.0.1 port and exits by itself (after the
# number of requests made, or when idle).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/lib.sh
fail() { echo "FAIL: $*"; exit 1; }

lio_bazel build --config=opt //examples/http_server //lio/plugins/io_uring:liblio_io_uring.so \
  //lio/plugins/poller:liblio_poller.so //lio/plugins/poller:liblio_poller_kqueue.so >/dev/null 2>&1 ||
  { lio_bazel build --config=opt //examples/http_server 2>&1 | tail -20; fail "build"; }
bin=$(cd "$LIO_ROOT" && bazel info --config=opt bazel-bin 2>/dev/null)
LIO_PLUGIN_PATH="$(lio_plugin_path --config=opt)"
export LIO_PLUGIN_PATH

tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
root="$tmp/root"
mkdir -p "$root/sub dir"
head -c 5000003 /dev/urandom >"$root/big.bin"
echo "<h1>hello from lio</h1>" >"$root/index.html"
echo "a file with spaces" >"$root/sub dir/a b.txt"

# Starts the server; sets pid and port.
start() {
  local out=$1
  shift
  timeout 120 "$bin/examples/http_server/http_server" --root "$root" "$@" >"$out" 2>&1 &
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

for backend in io_uring poller poller_kqueue; do
  out="$tmp/server.$backend"
  start "$out" --backend "$backend" --max_requests 9 --idle_exit_ms 60000
  url="http://127.0.0.1:$port"
  c() { curl -sS --max-time 30 "$@"; }

  c -o "$tmp/big.got" "$url/big.bin"                                             # 1
  cmp "$tmp/big.got" "$root/big.bin" || fail "$backend: big.bin differs"
  # Two requests on one connection (keep-alive): the second makes no new connection.
  conns=$(c -o /dev/null -o /dev/null -w '%{num_connects}\n' "$url/" "$url/sub%20dir/a%20b.txt" | tr '\n' ' ')  # 2, 3
  [ "$conns" = "1 0 " ] || fail "$backend: keep-alive: connections made per request: $conns"
  [ "$(c -o /dev/null -w '%{http_code}' "$url/missing")" = 404 ] || fail "$backend: missing file is not 404"  # 4
  len=$(c -I "$url/big.bin" | tr -d '\r' | sed -n 's/^Content-Length: //p')     # 5
  [ "$len" = 5000003 ] || fail "$backend: HEAD Content-Length is '$len'"
  [ "$(c -o /dev/null -w '%{http_code}' --path-as-is "$url/../../etc/passwd")" = 400 ] ||   # 6
    fail "$backend: a path escaping the root was not refused"
  [ "$(c -o /dev/null -w '%{http_code}' -d 'x=1' "$url/")" = 405 ] || fail "$backend: POST is not 405"  # 7
  # Pipelined: two requests in one write from a client that is not lio.  # 8, 9
  python3 - "$port" <<'PY' || fail "$backend: pipelined requests"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n"
          b"GET /sub%20dir/a%20b.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
assert data.count(b"HTTP/1.1 200 OK") == 2, data
assert b"<h1>hello from lio</h1>" in data and data.endswith(b"a file with spaces\n"), data
PY
  finish "$out"
  grep -q "^served 9 responses" "$out" || { cat "$out"; fail "$backend: server totals"; }
  echo "$backend: curl and a pipelining client: 9 requests, big.bin (5000003 bytes) byte-exact"

  if command -v wrk >/dev/null; then
    out="$tmp/wrk_server.$backend"
    start "$out" --backend "$backend" --threads 2 --idle_exit_ms 1000
    timeout 30 wrk -t2 -c32 -d2s "http://127.0.0.1:$port/index.html" >"$tmp/wrk" 2>&1 || { cat "$tmp/wrk"; fail "$backend: wrk"; }
    ! grep -qE "Non-2xx|Socket errors" "$tmp/wrk" || { cat "$tmp/wrk"; fail "$backend: wrk saw errors"; }
    finish "$out"
    echo "$backend: wrk: $(grep -E 'Requests/sec' "$tmp/wrk" | tr -s ' ')"
  else
    echo "$backend: wrk not installed; skipped the wrk run"
  fi
done
echo OK
