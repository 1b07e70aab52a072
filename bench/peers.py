#!/usr/bin/python3
"""peers.py OUT: issue 13's targets from bench/peers.sh's results (OUT/peers-N/results.tsv,
OUT/floor/results.tsv), each as a ratio with the target beside it. Ratios are taken pair by
pair (run k of roux and run k of the other ran in the same round), then the median; the
min-max of the pairs and the median 1-minute load average of the runs are printed beside.
"""
import glob
import os
import statistics
import sys

COLS = ["peer", "n_files", "phase", "run", "wall_s", "user_s", "sys_s",
        "maxrss_kb", "exit", "verify", "load1"]
med = statistics.median


def rows(path):
    if not os.path.exists(path):
        return []
    out = []
    for ln in open(path):
        if ln.strip() and not ln.startswith("peer\t"):
            r = dict(zip(COLS, ln.rstrip("\n").split("\t")))
            r["cpu_s"] = float(r["user_s"]) + float(r["sys_s"])
            r["wall_s"] = float(r["wall_s"])
            r["maxrss_kb"] = int(r["maxrss_kb"])
            out.append(r)
    return out


def pairs(rs, a, b, phase, n):
    idx = {(r["peer"], r["run"]): r for r in rs if r["phase"] == phase and int(r["n_files"]) == n}
    return [(idx[(a, run)], idx[(b, run)]) for (p, run) in sorted(idx) if p == a and (b, run) in idx]


def rng(xs, f="{:.3f}"):
    return f"{f.format(med(xs))} ({f.format(min(xs))}-{f.format(max(xs))})"


def verdict(x, limit):
    return "met" if x <= limit else f"NOT met ({x / limit:.2f}x over)"


def main(out):
    print("| target | measured (median of pairs, min-max) | target | verdict | rounds | load1 |")
    print("|---|---|---|---|---:|---|")
    bad_verify = []
    per_res = []
    extra = []
    for path in sorted(glob.glob(f"{out}/peers-*/results.tsv"), key=lambda p: int(p.split("-")[-1].split("/")[0])):
        rs = rows(path)
        n = int(path.split("peers-")[-1].split("/")[0])
        bad_verify += [r for r in rs if r["verify"] != "ok"]
        loads = [float(r["load1"]) for r in rs if r.get("load1")]
        ld = f"{med(loads):.1f} ({min(loads):.1f}-{max(loads):.1f})" if loads else "-"
        ps = pairs(rs, "roux", "cfengine", "first", n)
        if ps:
            w = [a["wall_s"] / b["wall_s"] for a, b in ps]
            c = [a["cpu_s"] / b["cpu_s"] for a, b in ps]
            print(f"| first converge {n} files, wall roux/cf-agent | {rng(w)} "
                  f"[roux {med([a['wall_s'] for a, _ in ps]):.2f} s, cf-agent {med([b['wall_s'] for _, b in ps]):.2f} s] "
                  f"| <= 0.3 | {verdict(med(w), 0.3)} | {len(ps)} | {ld} |")
            print(f"| first converge {n} files, CPU per file roux/cf-agent | {rng(c)} "
                  f"[roux {1e3 * med([a['cpu_s'] for a, _ in ps]) / n:.3f} ms, cf-agent {1e3 * med([b['cpu_s'] for _, b in ps]) / n:.3f} ms] "
                  f"| <= 2 | {verdict(med(c), 2)} | {len(ps)} | {ld} |")
        for phase in ("noop", "first"):
            ps = pairs(rs, "roux", "cfengine", phase, n)
            if ps and n == 5000:
                m = [a["maxrss_kb"] / b["maxrss_kb"] for a, b in ps]
                print(f"| peak RSS {phase} {n} files, roux/cf-agent | {rng(m)} "
                      f"[roux {med([a['maxrss_kb'] for a, _ in ps]) / 1024:.1f} MiB, cf-agent {med([b['maxrss_kb'] for _, b in ps]) / 1024:.1f} MiB] "
                      f"| <= 1 | {verdict(med(m), 1)} | {len(ps)} | {ld} |")
        ps = pairs(rs, "roux", "cfengine", "noop", n)
        if ps:
            w = [a["wall_s"] / b["wall_s"] for a, b in ps]
            extra.append(f"| no-op {n} files, wall roux/cf-agent | {rng(w)} [roux {med([a['wall_s'] for a, _ in ps]):.3f} s, "
                         f"cf-agent {med([b['wall_s'] for _, b in ps]):.3f} s] | (no target) | | {len(ps)} | {ld} |")
        for phase in ("first", "noop"):
            ps = pairs(rs, "roux", "base", phase, n)
            if ps:
                w = [a["wall_s"] / b["wall_s"] for a, b in ps]
                c = [a["cpu_s"] / b["cpu_s"] for a, b in ps]
                extra.append(f"| {phase} {n} files, roux/BASELINE wall; cpu | {rng(w)}; {rng(c)} | (before/after) | | {len(ps)} | {ld} |")
    rs = rows(f"{out}/floor/results.tsv")
    bad_verify += [r for r in rs if r["verify"] != "ok"]
    for n in sorted({int(r["n_files"]) for r in rs}):
        ps = pairs(rs, "roux", "floor", "noop", n)
        if not ps:
            continue
        loads = [float(r["load1"]) for a, b in ps for r in (a, b)]
        w = [a["wall_s"] / b["wall_s"] for a, b in ps]
        rw = med([a["wall_s"] for a, _ in ps])
        c = [a["cpu_s"] / max(b["cpu_s"], 1e-3) for a, b in ps]
        print(f"| no-op {n} files, wall roux/floor | {rng(w, '{:.1f}')} [roux {rw:.3f} s, floor {med([b['wall_s'] for _, b in ps]):.4f} s; "
              f"CPU roux/floor {rng(c, '{:.1f}')}] "
              f"| <= 2 | {verdict(med(w), 2)} | {len(ps)} | {med(loads):.1f} ({min(loads):.1f}-{max(loads):.1f}) |")
        per_res.append((n, rw, med([a["cpu_s"] for a, _ in ps]), med([a["maxrss_kb"] for a, _ in ps])))
        pb = pairs(rs, "roux", "base", "noop", n)
        if pb:
            w = [a["wall_s"] / b["wall_s"] for a, b in pb]
            c = [a["cpu_s"] / b["cpu_s"] for a, b in pb]
            extra.append(f"| noop {n} files, roux/BASELINE wall; cpu | {rng(w)}; {rng(c)} [BASELINE "
                         f"{med([b['wall_s'] for _, b in pb]):.3f} s] | (before/after) | | {len(pb)} | {med(loads):.1f} |")
    for e in extra:
        print(e)
    if per_res:
        print()
        print("roux no-op per resource (N files + 21 folders + 20 users + 5 packages):")
        print()
        print("| files | resources | wall s | wall us/resource | cpu us/resource | peak RSS MiB | KiB/resource |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for n, w, c, m in per_res:
            k = n + 46
            print(f"| {n} | {k} | {w:.3f} | {1e6 * w / k:.1f} | {1e6 * c / k:.1f} | {m / 1024:.1f} | {m / k:.2f} |")
    if bad_verify:
        print()
        print(f"WARNING: {len(bad_verify)} runs failed or did not verify: "
              + ", ".join(f"{r['peer']}-{r['n_files']}-{r['phase']}-{r['run']}" for r in bad_verify))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
