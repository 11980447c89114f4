#!/usr/bin/env python3
"""Run an iptables .t rule test file, one fresh network namespace per line.

The format is iptables' (extensions/*.t, iptables-test.py):
  # comment
  *table                      table of the lines below (default filter)
  :CHAIN1,CHAIN2              chains every line below is tried in
  RULE;SAVED;OK|FAIL[;NFT|LEGACY[;ALT]]
SAVED is the rule as iptables-save prints it ("=" for RULE itself, empty for
FAIL lines).  A fourth field scopes the result to one backend; the other
one expects ALT, or the opposite result.

For every OK line and chain this checks: -A succeeds; iptables-save prints
exactly "-A CHAIN SAVED"; that output restores and saves again unchanged;
iptables -L shows the target as NFQUEUE with the options the saved form
implies; -C and -D with the original rule find it.  FAIL lines must not
load.  Output: one "ok"/"not ok" line per line and chain.
"""
import argparse
import os
import re
import subprocess
import sys


class Line:
    def __init__(self, lineno, table, chains, rule, saved, res):
        self.lineno = lineno
        self.table = table
        self.chains = chains
        self.rule = rule
        self.saved = saved
        self.res = res


def scoped_result(fields, variant):
    res = fields[2]
    if len(fields) < 4 or not fields[3]:
        return res
    if fields[3].upper() == variant.upper():
        return res
    if len(fields) > 4 and fields[4]:
        return fields[4]
    return {"OK": "FAIL", "FAIL": "OK"}[res]


def parse(path, variant):
    table, chains, lines = "filter", [], []
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            text = raw.rstrip("\n")
            if not text.strip() or text.startswith("#"):
                continue
            if text.startswith("*"):
                table = text[1:].strip()
                continue
            if text.startswith(":"):
                chains = [c for c in text[1:].strip().split(",") if c]
                continue
            fields = text.split(";")
            if len(fields) < 3 or not chains:
                raise SystemExit("%s:%d: malformed line" % (path, lineno))
            res = scoped_result(fields, variant)
            if res not in ("OK", "FAIL"):
                raise SystemExit("%s:%d: bad result %r" % (path, lineno, res))
            saved = fields[0] if fields[1] == "=" else fields[1]
            lines.append(Line(lineno, table, list(chains), fields[0],
                              saved, res))
    return lines


class Netns:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        return self

    def __exit__(self, *exc):
        subprocess.run(["ip", "netns", "del", self.name])

    def run(self, cmd, stdin=None):
        p = subprocess.run(["ip", "netns", "exec", self.name] + cmd,
                           input=stdin, capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr


def listed_form(saved):
    """The "iptables -L" text an NFQUEUE target with these options shows."""
    m = re.search(r"-j NFQUEUE(.*)$", saved)
    if not m:
        return None
    opts = m.group(1)
    num = re.search(r"--queue-num (\d+)", opts)
    bal = re.search(r"--queue-balance (\d+:\d+)", opts)
    text = "NFQUEUE num %s" % num.group(1) if num else \
        "NFQUEUE balance %s" % bal.group(1) if bal else "NFQUEUE num 0"
    if "--queue-bypass" in opts:
        text += " bypass"
    if "--queue-cpu-fanout" in opts:
        text += " cpu-fanout"
    return text


class Runner:
    def __init__(self, args):
        self.ipt = "%s-%s" % ("iptables" if args.family == 4 else "ip6tables",
                              args.variant)
        self.prefix = args.netns_prefix
        self.count = 0
        self.failures = 0
        self.label = "%s/v%d" % (args.variant, args.family)

    def report(self, ok, what, why=""):
        self.count += 1
        if ok:
            print("ok %d - %s %s" % (self.count, self.label, what))
        else:
            self.failures += 1
            print("not ok %d - %s %s: %s" % (self.count, self.label, what,
                                              why))

    def save(self, ns, table):
        rc, out, err = ns.run([self.ipt + "-save", "-t", table])
        if rc != 0:
            return None, err
        return [l for l in out.splitlines()
                if l and l[0] not in "#"], err

    def check_ok(self, ns, line, chain):
        rule = line.rule.split()
        rc, _, err = ns.run([self.ipt, "-t", line.table, "-A", chain] + rule)
        if rc != 0:
            return "cannot load: %s" % err.strip()
        dump, err = self.save(ns, line.table)
        if dump is None:
            return "save failed: %s" % err.strip()
        want = "-A %s %s" % (chain, line.saved)
        rules = [l for l in dump if l.startswith("-A ")]
        if rules != [want]:
            return "saved %r, want %r" % (rules, want)
        # The saved form must restore to the same rule.
        ns.run([self.ipt, "-t", line.table, "-F"])
        rc, _, err = ns.run([self.ipt + "-restore"],
                            stdin="\n".join(dump) + "\n")
        if rc != 0:
            return "saved form does not restore: %s" % err.strip()
        again, _ = self.save(ns, line.table)
        if again is None or [l for l in again if l.startswith("-A ")] != rules:
            return "restore changed the rule: %r" % again
        listed = listed_form(line.saved)
        if listed:
            rc, out, _ = ns.run([self.ipt, "-t", line.table, "-n", "-L",
                                 chain])
            rows = out.splitlines()[2:]
            if len(rows) != 1 or not rows[0].startswith("NFQUEUE ") or \
               not rows[0].rstrip().endswith(listed):
                return "listed %r, want target NFQUEUE and %r" % (rows,
                                                                  listed)
        rc, _, err = ns.run([self.ipt, "-t", line.table, "-C", chain] + rule)
        if rc != 0:
            return "-C does not find it: %s" % err.strip()
        rc, _, err = ns.run([self.ipt, "-t", line.table, "-D", chain] + rule)
        if rc != 0:
            return "-D does not find it: %s" % err.strip()
        dump, _ = self.save(ns, line.table)
        if dump is None or any(l.startswith("-A ") for l in dump):
            return "rule left after -D: %r" % dump
        return None

    def check_fail(self, ns, line, chain):
        rc, _, _ = ns.run([self.ipt, "-t", line.table, "-A", chain] +
                          line.rule.split())
        if rc == 0:
            return "should fail but loaded"
        return None

    def run(self, lines):
        for line in lines:
            name = "%s-%d" % (self.prefix, line.lineno)
            with Netns(name) as ns:
                for chain in line.chains:
                    check = self.check_ok if line.res == "OK" else \
                        self.check_fail
                    why = check(ns, line, chain)
                    self.report(why is None, "line %d %s %s%s" % (
                        line.lineno, chain, line.rule,
                        "" if line.res == "OK" else " (FAIL)"), why)
                    ns.run([self.ipt, "-t", line.table, "-F"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", choices=("nft", "legacy"), required=True)
    ap.add_argument("--family", type=int, choices=(4, 6), required=True)
    ap.add_argument("--netns-prefix", default="igd-xt-%d" % os.getpid())
    ap.add_argument("file")
    args = ap.parse_args()
    runner = Runner(args)
    runner.run(parse(args.file, args.variant))
    print("# %s: %d checks, %d failed" % (runner.label, runner.count,
                                          runner.failures))
    return 1 if runner.failures else 0


if __name__ == "__main__":
    sys.exit(main())
