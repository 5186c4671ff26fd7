#!/usr/bin/env python3
"""A client for echo_server that is not lio: N concurrent connections (Python's
socket + selectors), each sending its share of the total bytes and reading
every byte back; checks the echo byte for byte.

  echo_client.py --port PORT [--connections 100] [--total-bytes 100000000]

Exit status 0 when every connection got back exactly what it sent.
"""
import argparse
import hashlib
import os
import selectors
import socket
import sys
import time


class Conn:
    def __init__(self, index, size, chunk):
        self.index = index
        # A per-connection pattern (random bytes, repeated) so a byte that lands
        # on the wrong connection or offset is caught.
        seed = hashlib.sha256(b"lio-echo-%d" % index).digest()
        self.block = (os.urandom(4096) + seed) * (chunk // 4128 + 1)
        self.block = self.block[:chunk]
        self.size = size
        self.sent = 0
        self.received = 0
        self.mismatch_at = None
        self.sock = socket.create_connection(("127.0.0.1", ARGS.port))
        self.sock.setblocking(False)

    def expected(self, offset, n):
        """The bytes sent at [offset, offset + n)."""
        out = bytearray()
        while n > 0:
            at = offset % len(self.block)
            take = min(n, len(self.block) - at)
            out += self.block[at:at + take]
            offset += take
            n -= take
        return bytes(out)


def main():
    per_conn = ARGS.total_bytes // ARGS.connections
    remainder = ARGS.total_bytes - per_conn * ARGS.connections
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(ARGS.connections):
        c = Conn(i, per_conn + (1 if i < remainder else 0), ARGS.chunk)
        conns.append(c)
        sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)

    start = time.monotonic()
    open_conns = len(conns)
    deadline = start + ARGS.timeout
    while open_conns:
        if time.monotonic() > deadline:
            print("echo_client: timed out with %d connections unfinished" % open_conns, file=sys.stderr)
            return 1
        for key, events in sel.select(timeout=1.0):
            c = key.data
            if events & selectors.EVENT_WRITE and c.sent < c.size:
                n = min(ARGS.chunk, c.size - c.sent)
                try:
                    w = c.sock.send(c.expected(c.sent, n))
                except BlockingIOError:
                    w = 0
                c.sent += w
                if c.sent == c.size:
                    c.sock.shutdown(socket.SHUT_WR)
                    sel.modify(c.sock, selectors.EVENT_READ, c)
            if events & selectors.EVENT_READ:
                try:
                    data = c.sock.recv(1 << 20)
                except BlockingIOError:
                    continue
                if not data:  # the server closed after echoing everything
                    if c.received != c.size:
                        print("echo_client: connection %d closed after %d of %d bytes"
                              % (c.index, c.received, c.size), file=sys.stderr)
                        return 1
                    sel.unregister(c.sock)
                    c.sock.close()
                    open_conns -= 1
                    continue
                if c.expected(c.received, len(data)) != data:
                    print("echo_client: connection %d: wrong bytes at offset %d" % (c.index, c.received),
                          file=sys.stderr)
                    return 1
                c.received += len(data)
                if c.received > c.size:
                    print("echo_client: connection %d: more bytes than sent" % c.index, file=sys.stderr)
                    return 1
    elapsed = time.monotonic() - start
    total = sum(c.received for c in conns)
    print("echo_client: %d connections, %d bytes echoed byte-exact in %.2f s (%.1f MB/s each way)"
          % (len(conns), total, elapsed, total / elapsed / 1e6))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--total-bytes", type=int, default=100_000_000)
    parser.add_argument("--chunk", type=int, default=64 * 1024)
    parser.add_argument("--timeout", type=float, default=120.0)
    ARGS = parser.parse_args()
    sys.exit(main())
