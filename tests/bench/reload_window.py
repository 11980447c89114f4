#!/usr/bin/env python3
"""How long a firewall reload leaves the guard's tables away, seen from the kernel.

  reload_window.py TABLE COUNT DAEMON_PID [NFT_ARG...]

Listens to nf_tables' notifications (NFNLGRP_NFTABLES), runs `nft NFT_ARG...` (by
default `nft flush ruleset`) COUNT times and for each one measures from the reload's commit (its NEWGEN) to the
commit of the daemon's transaction that adds TABLE (family ip) back.  Prints one line
per reload, "window_us", and nothing for a reload that left TABLE alone; exits 1 when
the daemon did not put it back within 5 s."""
import os
import select
import socket
import struct
import subprocess
import sys
import time

NETLINK_NETFILTER = 12
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NFNLGRP_NFTABLES = 7
NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE, NFT_MSG_NEWGEN = 0, 2, 15
NFTA_TABLE_NAME = 1
NFTA_GEN_PROC_PID = 2
NFPROTO_IPV4 = 2


def attrs(buf):
    """The netlink attributes in buf: {type: payload}."""
    out, off = {}, 0
    while off + 4 <= len(buf):
        alen, atype = struct.unpack_from("HH", buf, off)
        if alen < 4:
            break
        out[atype & 0x3FFF] = buf[off + 4:off + alen]
        off += (alen + 3) & ~3
    return out


def messages(data):
    """(type, family, attributes) of each nfnetlink message in one datagram."""
    off = 0
    while off + 16 <= len(data):
        mlen, mtype = struct.unpack_from("IH", data, off)
        if mlen < 20:
            break
        family = data[off + 16]
        yield mtype & 0xFF, family, attrs(data[off + 20:off + mlen])
        off += (mlen + 3) & ~3


def window(s, table, daemon):
    """Microseconds from the reload's commit to the commit of the daemon's
    transaction that adds TABLE back; None when the reload left TABLE alone, False
    when it did not come back within 5 s."""
    flushed = None      # when the reload's transaction committed
    deleted = readded = False
    deadline = time.monotonic() + 5
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            return None if flushed is not None and not deleted else False
        data = s.recv(1 << 16)
        now = time.monotonic_ns()
        for mtype, family, a in messages(data):
            name = a.get(NFTA_TABLE_NAME, b"").rstrip(b"\0")
            if mtype == NFT_MSG_DELTABLE and family == NFPROTO_IPV4 and name == table:
                deleted = True
            elif mtype == NFT_MSG_NEWTABLE and family == NFPROTO_IPV4 and name == table:
                readded = deleted
            elif mtype == NFT_MSG_NEWGEN:
                pid = struct.unpack("!I", a.get(NFTA_GEN_PROC_PID, b"\0" * 4))[0]
                if readded and pid == daemon:
                    # the NEWGEN closing the daemon's transaction
                    return (now - flushed) // 1000
                if flushed is None and pid != daemon:
                    flushed = now
                    if not deleted:
                        # a reload that left it alone: nothing will follow
                        deadline = min(deadline, time.monotonic() + 0.2)


def main():
    table, count, daemon = sys.argv[1].encode(), int(sys.argv[2]), int(sys.argv[3])
    reload = sys.argv[4:] or ["flush", "ruleset"]
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((0, 0))
    s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, NFNLGRP_NFTABLES)
    for _ in range(count):
        # the reload runs beside the listener, which stamps each notification as it
        # comes rather than after nft exits
        nft = subprocess.Popen(["nft"] + reload)
        w = window(s, table, daemon)
        if nft.wait():
            print("nft %s failed" % " ".join(reload), file=sys.stderr)
            return 1
        if w is False:
            print("TABLE not back within 5 s", file=sys.stderr)
            return 1
        if w is not None:
            print(w)
    return 0


if __name__ == "__main__":
    sys.exit(main())
