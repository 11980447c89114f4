#!/usr/bin/env python3
"""Churn for the SPD mirror: 10,000 policy adds, updates and deletes through
`ip -batch`, while `ipsecguard spd --watch` runs with a tiny receive buffer.  Then the
watcher's final table must equal what `ip -s xfrm policy` lists, and the watcher must
have seen (and recovered from) lost events."""
import json
import random
import subprocess
import sys
import time


def ip_batch(lines):
    r = subprocess.run(["ip", "-batch", "-"], input="\n".join(lines) + "\n", text=True,
                       capture_output=True)
    if r.returncode:
        sys.stderr.write(r.stderr)
        raise SystemExit("ip -batch failed")


def kernel_policies():
    out = subprocess.run(["ip", "-s", "xfrm", "policy", "list"], capture_output=True,
                         text=True, check=True).stdout
    pols, cur = set(), None
    for line in out.splitlines():
        w = line.split()
        if line.startswith("src "):
            cur = (w[1], w[3])
        elif w and w[0] == "dir" and cur:
            f = dict(zip(w[::2], w[1::2]))
            pols.add((int(f["index"]), f["dir"], int(f["priority"]), f["ptype"]) + cur)
            cur = None
    return pols


def main():
    binary, ops, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rnd = random.Random(seed)
    watch = subprocess.Popen([binary, "spd", "--watch", "--no-sa", "--json", "--rcvbuf",
                              "2048", "--rcvbuf-max", "65536", "--until-idle", "2000",
                              "--max-time", "90000"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    live, n, lines = {}, 0, []
    while n < ops:
        x = rnd.random()
        if live and x < 0.3:
            key = rnd.choice(list(live))
            del live[key]
            lines.append("xfrm policy delete src %s dst %s dir %s ptype %s" % key)
        elif live and x < 0.4:
            key = rnd.choice(list(live))
            live[key] = rnd.randint(0, 50)
            lines.append("xfrm policy update src %s dst %s dir %s ptype %s priority %d "
                         "tmpl proto esp reqid %d mode transport"
                         % (key + (live[key], rnd.randint(1, 9999))))
        else:
            key = ("10.%d.%d.0/24" % (rnd.randint(0, 255), rnd.randint(0, 255)),
                   "172.%d.%d.0/24" % (rnd.randint(16, 31), rnd.randint(0, 255)),
                   rnd.choice(["out", "out", "in", "fwd"]),
                   "sub" if rnd.random() < 0.1 else "main")
            if key in live:
                continue
            live[key] = rnd.randint(0, 50)
            lines.append("xfrm policy add src %s dst %s dir %s ptype %s priority %d "
                         "tmpl proto esp reqid %d mode transport"
                         % (key + (live[key], rnd.randint(1, 9999))))
        n += 1
        if len(lines) == 400:
            ip_batch(lines)
            lines = []
    if lines:
        ip_batch(lines)
    out, err = watch.communicate(timeout=120)
    stats = json.loads(err.strip().splitlines()[-1])
    mine = set()
    for p in json.loads(out)["policies"]:
        mine.add((p["index"], p["dir"], p["priority"], p["ptype"], p["src"], p["dst"]))
    kern = kernel_policies()
    print("ops %d, kernel policies %d, mirror policies %d, events %d, overruns %d, "
          "dumps %d, receive buffer %d" % (ops, len(kern), len(mine), stats["events"],
                                           stats["overruns"], stats["dumps"],
                                           stats["rcvbuf"]))
    ok = True
    if watch.returncode != 0:
        print("watcher exit %d (not in sync before --max-time?)" % watch.returncode)
        ok = False
    if mine != kern:
        print("mirror-only: %s" % sorted(mine - kern)[:5])
        print("kernel-only: %s" % sorted(kern - mine)[:5])
        ok = False
    if stats["overruns"] == 0:
        print("no overrun happened: the loss path was not exercised")
        ok = False
    if len(kern) != len(live):
        print("bookkeeping: expected %d live policies" % len(live))
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
