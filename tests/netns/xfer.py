#!/usr/bin/env python3
"""Byte-exact TCP transfer for the namespace tests.

  xfer.py recv ADDR PORT         listen, read until EOF, print "bytes sha256"
  xfer.py send ADDR PORT BYTES   connect, send a deterministic stream, print the same
  xfer.py send ADDR PORT BYTES AT GATE
                                 ... and after AT bytes (the connection established and
                                 carrying data) write GATE.reached and wait until GATE
                                 exists before sending the rest: a test moves the
                                 connection meanwhile

Both sides bound their run time (60 s without progress ends it)."""
import hashlib
import os
import socket
import sys

CHUNK = 65536
IDLE = int(os.environ.get("XFER_IDLE", "60"))


def stream(n):
    block = hashlib.sha256(b"ipsecguard").digest() * (CHUNK // 32)
    while n > 0:
        k = min(n, len(block))
        yield block[:k]
        n -= k


def recv(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(1)
    srv.settimeout(IDLE)
    conn, _ = srv.accept()
    conn.settimeout(IDLE)
    h, total = hashlib.sha256(), 0
    while True:
        b = conn.recv(CHUNK)
        if not b:
            break
        h.update(b)
        total += len(b)
    print(total, h.hexdigest())


def wait_gate(gate):
    import time
    with open(gate + ".reached", "w") as f:
        f.write("reached\n")
    end = time.monotonic() + IDLE
    while not os.path.exists(gate):
        if time.monotonic() > end:
            sys.exit("gate never opened")
        time.sleep(0.05)


def send(addr, port, n, at=None, gate=None):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    for _ in range(50):
        try:
            s = socket.create_connection((addr, port), timeout=IDLE)
            break
        except (ConnectionRefusedError, OSError):
            import time
            time.sleep(0.1)
    else:
        sys.exit("connect failed")
    h, total = hashlib.sha256(), 0
    for b in stream(n):
        if gate and total < at <= total + len(b):
            k = at - total
            s.sendall(b[:k])
            h.update(b[:k])
            total += k
            b = b[k:]
            wait_gate(gate)
        s.sendall(b)
        h.update(b)
        total += len(b)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()
    print(total, h.hexdigest())


if __name__ == "__main__":
    if sys.argv[1] == "recv":
        recv(sys.argv[2], int(sys.argv[3]))
    else:
        gated = len(sys.argv) > 6
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
             int(sys.argv[5]) if gated else None, sys.argv[6] if gated else None)
