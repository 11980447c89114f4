#!/usr/bin/env python3
"""Averages of alternating benchmark runs and their ratios to the first mode, with
each mode's median (on a shared machine one slow run moves the average, not it).

  ratios.py FILE UNIT MODE [MODE...]
FILE holds "MODE VALUE" lines, one per run; the first MODE named is the base."""
import collections
import sys


def main():
    path, unit, modes = sys.argv[1], sys.argv[2], sys.argv[3:]
    runs = collections.defaultdict(list)
    for line in open(path):
        m, x = line.split()
        runs[m].append(float(x))
    avg = {m: sum(x) / len(x) for m, x in runs.items() if x}
    base = avg[modes[0]]
    med = {m: sorted(x)[len(x) // 2] if len(x) % 2 else
           (sorted(x)[len(x) // 2 - 1] + sorted(x)[len(x) // 2]) / 2
           for m, x in runs.items() if x}
    for m in modes:
        print("%-8s %10.2f %s  ratio %.3f  median %.0f ratio %.3f  (%d runs, %.0f-%.0f)" % (
            m, avg[m], unit, avg[m] / base, med[m], med[m] / med[modes[0]],
            len(runs[m]), min(runs[m]), max(runs[m])))


main()
