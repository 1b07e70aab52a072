#!/usr/bin/python3
"""speed.py: the driver of bench/speed.sh (read that first). Prints figures, asserts nothing.
Every run goes into a temporary --root under WORK (same filesystem as WORK), never the host."""
import argparse, os, re, shutil, statistics, subprocess, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--roux", required=True)
ap.add_argument("--floor", required=True)
ap.add_argument("--work", required=True)
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--first", default="1000 5000")
ap.add_argument("--noop", default="1000 5000 10000 50000")
ap.add_argument("--baseline", help="another roux (e.g. an older build) measured round by round with it")
ap.add_argument("--callgrind-max", type=int, default=5000, help="count instructions up to this N")
a = ap.parse_args()
here = os.path.dirname(os.path.abspath(__file__))


def timed(cmd, env=None, ok=(0, 2)):
    """wall s, cpu s (user+sys of the command and its children), peak RSS MB, via wait4."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        sys.exit(f"speed.py: {' '.join(cmd)} exited {code}: {p.stderr.read().decode()[:800]}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def med(xs):
    return statistics.median(xs)


def instructions(cmd, env=None):
    """User-space instructions (valgrind callgrind's Ir), or None without valgrind."""
    if not shutil.which("valgrind"):
        return None
    p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + cmd,
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    m = re.search(r"Collected\s*:\s*(\d+)", p.stderr)
    if p.returncode not in (0, 2) or not m:
        return -1  # valgrind 3.19 (Debian 12) does not know openat2, which roux needs
    return int(m.group(1))


def fsyncs(cmd, env, out):
    """fsync/fdatasync/syncfs calls of cmd and its children (strace -f -c), or None."""
    if not shutil.which("strace"):
        return None
    subprocess.run(["strace", "-f", "-c", "-o", out, "-e", "trace=fsync,fdatasync,syncfs"] + cmd,
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    calls = {}
    for line in open(out):
        f = line.split()
        if len(f) >= 5 and f[-1] in ("fsync", "fdatasync", "syncfs") and f[3].isdigit():
            calls[f[-1]] = int(f[3])
    return calls


rss_at = {}
first_ns = [int(x) for x in a.first.split()]
noop_ns = [int(x) for x in a.noop.split()]
print(f"roux: {a.roux}; rounds: {a.rounds}; machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
print("(times are medians of the rounds; cpu = user+sys of roux and its children; per-resource cost = "
      "wall / (N + 21))")
for n in sorted(set(first_ns) | set(noop_ns)):
    w = f"{a.work}/w{n}"
    root = f"{a.work}/r{n}"
    env = dict(os.environ, XDG_CACHE_HOME=f"{a.work}/xdg{n}")  # with --root the parse cache is here
    subprocess.run([sys.executable, f"{here}/speed_workload.py", str(n), w], check=True)
    cmd = [a.roux, "converge", "--policy", f"{w}/policy.yaml", "--root", root]
    base = [a.baseline] + cmd[1:] if a.baseline else None

    def fresh():
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(env["XDG_CACHE_HOME"], ignore_errors=True)
        os.makedirs(root)

    res = n + 21
    rounds = a.rounds if n in first_ns else 1
    # Rounds interleaved with the baseline's, so both see the same neighbours, in alternating order:
    # a tree just deleted slows the next one's inode allocation (ext4 skips recently freed inodes).
    runs = {"roux": ([], [], [0.0])}
    if base:
        runs["baseline"] = ([], [], [0.0])
    for r in range(rounds):
        for who, c in (("baseline", base), ("roux", cmd))[::1 if r % 2 == 0 else -1]:
            if c is None:
                continue
            fresh()
            wall, cpu, rss = timed(c, env)
            runs[who][0].append(wall); runs[who][1].append(cpu); runs[who][2][0] = max(runs[who][2][0], rss)
    if n in first_ns:
        for who, c in (("baseline", base), ("roux", cmd)):
            if c is None:
                continue
            fw, fc, fr = runs[who][0], runs[who][1], runs[who][2][0]
            fresh()
            calls = fsyncs(c, env, f"{a.work}/strace{n}.txt")
            sync_text = ("strace missing" if calls is None else
                         ", ".join(f"{k} {v}" for k, v in sorted(calls.items())) + f" ({sum(calls.values()) / n:.2f} per file)")
            print(f"N={n} first converge{' (baseline)' if who == 'baseline' else ''}: wall {med(fw):.3f} s, "
                  f"cpu {med(fc):.3f} s, peak RSS {fr:.1f} MB, "
                  f"{med(fw) / res * 1e6:.0f} us wall and {med(fc) / res * 1e6:.0f} us cpu per resource; syncs: {sync_text}")
        if base:
            print(f"N={n} first converge roux/baseline: wall {med(runs['roux'][0]) / med(runs['baseline'][0]):.2f}x, "
                  f"cpu {med(runs['roux'][1]) / med(runs['baseline'][1]):.2f}x")
    if n not in noop_ns:
        continue
    timed(cmd, env)  # warm-up: the parse cache written, the tree converged
    nw, nc, nr = [], [], 0.0
    bw, bc, br = [], [], 0.0
    for _ in range(max(a.rounds, 6)):
        if base:
            wall, cpu, rss = timed(base, env)
            bw.append(wall); bc.append(cpu); br = max(br, rss)
        wall, cpu, rss = timed(cmd, env)
        nw.append(wall); nc.append(cpu); nr = max(nr, rss)
    if base:
        print(f"N={n} no-op (baseline): wall {med(bw) * 1000:.1f} ms, cpu {med(bc) * 1000:.1f} ms, peak RSS {br:.1f} MB; "
              f"roux/baseline: wall {med(nw) / med(bw):.2f}x, cpu {med(nc) / med(bc):.2f}x, peak RSS {nr / br:.2f}x")
    fl = [timed([a.floor, str(n), f"{root}/pb", f"{w}/expected"], ok=(0,)) for _ in range(max(a.rounds, 5))]
    flw, flc = [x[0] for x in fl], [x[1] for x in fl]
    line = (f"N={n} no-op: wall {med(nw) * 1000:.1f} ms, cpu {med(nc) * 1000:.1f} ms, peak RSS {nr:.1f} MB; "
            f"floor {med(flw) * 1000:.1f} ms wall, "
            f"{med(flc) * 1000:.1f} ms cpu; no-op/floor {med(nw) / med(flw):.1f}x wall, {med(nc) / max(med(flc), 1e-3):.1f}x cpu; "
            f"{med(nw) / res * 1e6:.1f} us per resource")
    calls = fsyncs(cmd, env, f"{a.work}/strace-noop{n}.txt")
    if calls is not None:
        line += "; syncs: " + (", ".join(f"{k} {v}" for k, v in sorted(calls.items())) or "none")
    print(line)
    rss_at[n] = nr
    if n <= a.callgrind_max:
        ri = instructions(cmd, env)
        fi = instructions([a.floor, str(n), f"{root}/pb", f"{w}/expected"])
        if ri is None or fi is None:
            print(f"N={n} no-op instructions: valgrind missing")
        elif ri < 0 or fi < 0:
            print(f"N={n} no-op instructions: valgrind cannot run roux here (no openat2 in valgrind "
                  f"{subprocess.run(['valgrind', '--version'], capture_output=True, text=True).stdout.strip()}); "
                  "the CPU times above are the steadier figure")
        else:
            print(f"N={n} no-op instructions (user space, callgrind Ir): roux {ri / 1e6:.1f} M "
                  f"({ri / res / 1e3:.1f} k per resource), floor {fi / 1e6:.2f} M")
    shutil.rmtree(root, ignore_errors=True)
ns = sorted(rss_at)
for lo, hi in zip(ns, ns[1:]):
    print(f"no-op peak RSS growth from N={lo} to N={hi}: {(rss_at[hi] - rss_at[lo]) * 1024 / (hi - lo):.2f} KiB per file")
if shutil.which("cf-agent"):
    print("cf-agent: installed; bench/peers.sh measures roux and cf-agent side by side (the peer "
          "harness, bench/peerbench, inside an overlay sandbox: it converges a live machine)")
else:
    print("cf-agent: not installed (apt-get install cfengine3); bench/peers.sh prints the side-by-side "
          "figures, README's performance section the last ones measured")
