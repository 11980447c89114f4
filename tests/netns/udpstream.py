#!/usr/bin/env python3
"""A stream of new UDP flows: one datagram from a fresh socket (a new source port,
so a new conntrack entry) every INTERVAL seconds, COUNT of them, to DST:PORT.
With --one-flow the datagrams all come from one socket: one long-lived flow.
Writes how many it has sent to PROGRESS (a file) as it goes, so a test can act
when the stream is under way; prints the total at the end.

  udpstream.py DST PORT COUNT INTERVAL PROGRESS [--one-flow]"""
import os
import socket
import sys
import time

def main():
    dst, port, count, interval, progress = (sys.argv[1], int(sys.argv[2]),
                                            int(sys.argv[3]), float(sys.argv[4]),
                                            sys.argv[5])
    one = len(sys.argv) > 6 and sys.argv[6] == '--one-flow'
    fam = socket.AF_INET6 if ':' in dst else socket.AF_INET
    sent = 0
    nxt = time.monotonic()
    s = socket.socket(fam, socket.SOCK_DGRAM) if one else None
    for i in range(count):
        if not one:
            s = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            s.sendto(b'flow %d' % i, (dst, port))
            sent += 1
        except OSError:
            pass
        if not one:
            s.close()
        if one or i % 25 == 0:
            tmp = progress + '.tmp'
            with open(tmp, 'w') as f:
                f.write('%d\n' % sent)
            os.replace(tmp, progress)
        nxt += interval
        pause = nxt - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    with open(progress, 'w') as f:
        f.write('%d\n' % sent)
    print(sent)

if __name__ == '__main__':
    main()
