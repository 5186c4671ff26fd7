#!/usr/bin/env python3
"""Drives examples/http_server at its limits, from plain sockets (not lio).

  limits_client.py PORT crowd N   -- N idle and trickling connections, then a
                                     normal request must still be answered
  limits_client.py PORT slow      -- a request head sent a byte at a time is
                                     cut off by the server's head deadline
  limits_client.py PORT bad       -- malformed requests get their status codes
  limits_client.py PORT fds N S   -- N connections held S seconds (more than
                                     the server's descriptors), then closed; a
                                     new client must be answered after that
  limits_client.py PORT noread S  -- asks for /big.bin, never reads it, holds
                                     the connection S seconds (the shell check
                                     sees the server let go of it first)

Exits 0 when every expectation holds, else prints what differed and exits 1.
Loopback only; every socket has a timeout, so it stops by itself.
"""
import socket
import sys
import time

HOST = "127.0.0.1"


def connect(port, timeout=10):
    return socket.create_connection((HOST, port), timeout=timeout)


def read_response(s):
    """Reads until the server closes; returns the bytes."""
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def status_of(response):
    first = response.split(b"\r\n", 1)[0].split(b" ")
    return int(first[1]) if len(first) > 1 and first[1].isdigit() else None


def crowd(port, n):
    """N connections hold the server busy: half never send a byte, half send a
    request head one byte at a time. A new client must still get its file,
    long before any head deadline of the crowd (the server is started with a
    minute-long one). Before the Loop had a policy at capacity, this new
    client waited behind the crowd's receives until they timed out."""
    crowd = [connect(port) for _ in range(n)]
    tricklers = crowd[: n // 2]
    head = b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n"
    for s in tricklers:
        s.sendall(head[:1])
    time.sleep(0.5)  # let the server accept them all
    for s in tricklers:
        s.sendall(head[1:2])
    start = time.monotonic()
    s = connect(port, timeout=5)
    s.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    try:
        response = read_response(s)
    except socket.timeout:
        print(f"crowd of {n}: a new client got no answer within 5 s")
        return 1
    took = time.monotonic() - start
    if status_of(response) != 200 or not response.endswith(b"<h1>hello from lio</h1>\n"):
        print(f"crowd of {n}: unexpected answer {response[:200]!r}")
        return 1
    # The crowd is still connected (no head deadline passed): none was dropped
    # to make room.
    for c in crowd:
        c.setblocking(False)
        try:
            if c.recv(1) == b"":
                print(f"crowd of {n}: the server closed a crowd connection")
                return 1
        except BlockingIOError:
            pass
    for c in crowd:
        c.close()
    print(f"crowd of {n}: a new client was answered in {took * 1000:.0f} ms")
    return 0


def slow(port):
    """A head trickled a byte every 0.2 s would take 8 s; the server's head
    deadline (1 s) must close the connection before the head is complete, and
    never answer it."""
    head = b"GET /index.html HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"x" * 10 + b"\r\n\r\n"
    s = connect(port)
    sent = 0
    try:
        for i in range(len(head)):
            s.sendall(head[i : i + 1])
            sent += 1
            time.sleep(0.2)
        response = read_response(s)
    except (BrokenPipeError, ConnectionResetError):
        response = b""
    if sent == len(head) or response:
        print(f"slow: the server took the whole trickled head ({sent} of {len(head)} bytes), answered {response[:80]!r}")
        return 1
    print(f"slow: closed by the server after {sent} of {len(head)} bytes")
    return 0


BAD = [
    # (what, request bytes, status expected)
    ("%00 in the path", b"GET /index.html%00 HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    ("%0a in the path", b"GET /a%0ab HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    ("a .. segment", b"GET /../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    ("an encoded .. segment", b"GET /x/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    ("HTTP/1.1 without Host", b"GET /index.html HTTP/1.1\r\n\r\n", 400),
    ("two Host fields", b"GET /index.html HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("a bare CR", b"GET /index.html HTTP/1.1\rHost: t\r\n\r\n", 400),
    ("a space before the colon", b"GET /index.html HTTP/1.1\r\nHost : t\r\n\r\n", 400),
    ("HTTP/2.0 on the request line", b"GET /index.html HTTP/2.0\r\nHost: t\r\n\r\n", 505),
    ("bare LF line ends", b"GET /index.html HTTP/1.1\nHost: t\n\n", 200),
    ("HTTP/1.0 without Host", b"GET /index.html HTTP/1.0\r\n\r\n", 200),
    ("empty lines before the request", b"\r\n\nGET /index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200),
]


def bad(port):
    failures = 0
    for what, request, expected in BAD:
        s = connect(port)
        s.sendall(request)
        if expected == 200 and b"Connection: close" not in request and b"HTTP/1.0" not in request:
            s.shutdown(socket.SHUT_WR)  # keep-alive: our end tells the server we are done
        got = status_of(read_response(s))
        s.close()
        if got != expected:
            print(f"bad: {what}: status {got}, expected {expected}")
            failures += 1
    # A declared body that never comes: the body deadline closes the connection.
    s = connect(port)
    s.sendall(b"POST /index.html HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
    if read_response(s) != b"":
        print("bad: a request whose body never came was answered")
        failures += 1
    s.close()
    print(f"bad: {len(BAD) - failures} of {len(BAD)} statuses as expected; an unsent body is let go")
    return 1 if failures else 0


def fds(port, n, seconds):
    held = [connect(port) for _ in range(n)]  # the kernel completes them from the backlog
    time.sleep(seconds)
    for s in held:
        s.close()
    s = connect(port, timeout=10)
    s.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    response = read_response(s)
    if status_of(response) != 200:
        print(f"fds: after the shortage, a new client got {response[:200]!r}")
        return 1
    print(f"fds: {n} connections held {seconds} s, then a new client was answered")
    return 0


def noread(port, seconds):
    s = connect(port)
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(seconds)
    s.close()
    return 0


def main():
    port = int(sys.argv[1])
    mode = sys.argv[2]
    if mode == "crowd":
        return crowd(port, int(sys.argv[3]))
    if mode == "slow":
        return slow(port)
    if mode == "bad":
        return bad(port)
    if mode == "fds":
        return fds(port, int(sys.argv[3]), float(sys.argv[4]))
    if mode == "noread":
        return noread(port, float(sys.argv[3]))
    print(f"unknown mode {mode}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
