#!/usr/bin/env python3
"""Sends hand-made TCP segments over a raw socket, for the malformed-packet tests.

  rawsend.py SRC DST DPORT KIND COUNT
KIND: mss-bad-len  a SYN whose MSS option has length 3 (the kernel forwards it,
                   conntrack accepts it, a strict parser must not trust it)
      mss-twice    a SYN with two MSS options
      good         a well-formed SYN with MSS 1460"""
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def segment(src, dst, sport, dport, opts):
    while len(opts) % 4:
        opts += b"\x01"
    doff = (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, doff << 4, 0x02, 64240, 0, 0) + opts
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr))
    c = csum(pseudo + hdr)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:]


OPTS = {
    "mss-bad-len": b"\x02\x03\x05\x01\x00\x00",
    "mss-twice": b"\x02\x04\x05\xb4\x02\x04\x05\x00",
    "good": b"\x02\x04\x05\xb4",
}


def main():
    src, dst, dport, kind, count = sys.argv[1:6]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    for i in range(int(count)):
        s.sendto(segment(src, dst, 40000 + i, int(dport), OPTS[kind]), (dst, 0))


main()
