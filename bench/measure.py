#!/usr/bin/python3
"""measure.py [--runs N] [--before SHELL_CMD] -- CMD...: runs CMD N times (output discarded),
each after SHELL_CMD when given, and prints one line of figures measured with wait4(2):
  wall best/median ms, cpu (user+sys) of the best run in ms, peak RSS in MB (max over runs).
Exit codes 0 and 2 count as success (roux's "nothing to do" and "changed"). Prints, asserts nothing."""
import os, statistics, subprocess, sys, time

args = sys.argv[1:]
runs, before = 7, None
while args and args[0] != "--":
    if args[0] == "--runs": runs = int(args[1]); args = args[2:]
    elif args[0] == "--before": before = args[1]; args = args[2:]
    else: sys.exit(f"measure.py: unknown option {args[0]}")
cmd = args[1:]
walls, cpus, rss = [], [], 0
for _ in range(runs):
    if before: subprocess.run(before, shell=True, check=True)
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = (time.perf_counter() - t0) * 1000
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 2):
        sys.exit(f"measure.py: {' '.join(cmd)} exited {code}: {p.stderr.read().decode()[:500]}")
    walls.append(wall); cpus.append((ru.ru_utime + ru.ru_stime) * 1000); rss = max(rss, ru.ru_maxrss)
best = min(range(runs), key=lambda i: walls[i])
print(f"wall best {walls[best]:.1f} ms median {statistics.median(walls):.1f} ms, cpu {cpus[best]:.1f} ms, "
      f"peak_rss {rss / 1024:.1f} MB ({runs} runs)")
