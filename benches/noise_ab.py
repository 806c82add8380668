#!/usr/bin/env python3
"""A/B of the harness's measurement methods, in one run (benches/README.md, "Noise").

    python3 benches/noise_ab.py [--replicas 6] [--out DIR]

Measures the same cells (workload x contender) with several methods, each
method's whole protocol (its rounds x contenders, rotated) repeated
--replicas times, the methods interleaved within every replica (order
alternating), so that all of them see the same machine.  What counts is how
well a method reproduces its own reported figure: the spread, across
replicas, of each contender's reported median and of the paired ratio
ferro-dev / lf314-dev.  Also listed: the spread each method reports inside one
cell (min-max for the old method, IQR for the new ones) and the time it spends
per cell.  Run as root, like run.py, whose functions it uses.
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

METHODS = {
    # the harness before: 3 rounds, fio "--runtime=2.5" (fio reads 2 s), 0.5 s ramp,
    # drop_caches 3 before every mount, min-max spread
    "old 3x2s": dict(rounds=3, runtime=2.0, ramp=0.5, drop=True, spread="minmax"),
    # candidates: more rounds of shorter runs, no global cache drop, IQR; and the
    # same measuring again when other processes used over 0.5 cores meanwhile
    # (at most 2 more times, and 20 % of the protocol's measurements)
    "new 5x0.75s": dict(rounds=5, runtime=0.75, ramp=0.25, drop=False, spread="iqr"),
    "new 5x0.75s+retry": dict(rounds=5, runtime=0.75, ramp=0.25, drop=False, spread="iqr",
                              quiet=0.5, retries=2, retry_share=0.2),
}
CELLS = [("randread_dio_4k", 1), ("seqread_buf_1M", 2)]
PAIR = ("ferro-dev", "lf314-dev")


def cv(vals):
    m = statistics.mean(vals)
    return statistics.stdev(vals) / m * 100 if len(vals) > 1 and m else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--replicas", type=int, default=6)
    ap.add_argument("--filemb", type=int, default=1024)
    ap.add_argument("--out", default=os.path.join(
        run.TOP, "benches/results", time.strftime("%Y-%m-%d", time.gmtime()) + "-noise-ab"))
    ap.add_argument("--work", default=os.path.join(run.TOP, "target/bench"))
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("noise_ab.py: run as root")
    os.makedirs(a.out, exist_ok=True)
    conts = [c for c in run.CONTENDERS if c.name in PAIR]
    wls = {w[0]: w for w in run.WORKLOADS}
    paths = dict(src314=os.path.join(run.CACHE, "bookworm/fuse3-3.14.0"),
                 build318=os.path.join(run.CACHE, "build-sid"),
                 ferro=os.path.join(run.TOP, "build/lib"), ferro_default=True)
    libs = {"LIB318": os.path.join(paths["build318"], "lib"), "FERRO": paths["ferro"]}
    work = os.path.abspath(a.work)
    src = os.path.join(work, "src")
    results = []
    failures = []
    t_start = time.time()
    try:
        bins = run.build_binaries(conts, paths)
        for c in conts:
            bins[c.name] = bins[c.bin]
        os.makedirs(src, exist_ok=True)
        run.sh(["mount", "-t", "tmpfs", "-o", "size=6G", "ferrofuse-bench", src])
        run.tmpfs.append(src)
        for j in range(2):
            run.sh(["dd", "if=/dev/urandom", f"of={src}/rf.{j}.0", "bs=1M",
                    f"count={a.filemb}", "status=none"])
        run.drop_caches(3)
        for rep in range(a.replicas):
            for wl, nj in CELLS:
                order = list(METHODS)
                if rep % 2:
                    order.reverse()
                for meth in order:
                    m = METHODS[meth]
                    cfg = dict(runtime=m["runtime"], ramp=m["ramp"], filemb=a.filemb,
                               quiet=m.get("quiet", 99), retries=m.get("retries", 0))
                    retries = dict(left=int(m["rounds"] * len(conts) * m.get("retry_share", 0)),
                                   used=0)
                    t0 = time.time()
                    for rnd in range(m["rounds"]):
                        k = rnd % len(conts)
                        for c in conts[k:] + conts[:k]:
                            if m["drop"]:
                                run.drop_caches(3)
                            _, args, unit, _ = wls[wl]
                            for attempt in range(3):
                                try:
                                    recs = run.measure_quiet(c, wl, args, unit, nj, rnd, bins,
                                                             libs.get(c.lib, c.lib), src, work,
                                                             a.out, cfg, {}, retries)
                                    break
                                except run.Refuse as e:
                                    # run.py refuses; for comparing methods, mount again
                                    run.log(f"{e}: again")
                                    run.cleanup(keep_tmpfs=True)
                                    failures.append(str(e))
                            else:
                                raise run.Refuse(f"{c.name} failed 3 times")
                            for r in recs:
                                results.append(dict(r, method=meth, replica=rep))
                    secs = time.time() - t0
                    results.append(dict(method=meth, replica=rep, workload=wl, nj=nj,
                                        cell_seconds=secs / len(conts),
                                        retries_used=retries["used"]))
                    run.log(f"replica {rep} {wl} nj={nj} {meth}: {secs:.1f} s")
    except run.Refuse as e:
        run.log(f"noise_ab.py: {e}")
        return 1
    finally:
        run.cleanup()

    lines = [f"# Measurement methods A/B ({time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())})",
             "", f"{a.replicas} replicas of each method's protocol, interleaved; contenders "
             f"{PAIR[1]} and {PAIR[0]}; {run.platform.release()}, {os.cpu_count()} CPUs, "
             f"{time.time() - t_start:.0f} s in all; mounts that failed and were retried: "
             f"{len(failures)}{' (' + '; '.join(failures) + ')' if failures else ''}.", "",
             "Reproducibility = coefficient of variation (stdev / mean, %) across replicas of "
             "the figure the method reports (median of its rounds); lower is better. "
             "Other CPU: load from other processes during the kept measurements. "
             "In-cell spread = what the method would print next to the figure (old: min-max, "
             "new: IQR), mean over replicas.", "",
             "| workload | nj | method | s per cell | CV lf314-dev | CV ferro-dev | "
             "CV ratio | in-cell spread lf314-dev | in-cell spread ferro-dev | other CPU "
             "(cores, median) | repeated measurements |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for wl, nj in CELLS:
        for meth, m in METHODS.items():
            rs = [r for r in results if r["method"] == meth and r["workload"] == wl
                  and r.get("nj") == nj]
            meds, spreads, ratios = {}, {}, []
            for rep in range(a.replicas):
                per = {}
                for c in PAIR:
                    vals = {r["round"]: r["value"] for r in rs
                            if r["replica"] == rep and r.get("contender") == c}
                    per[c] = vals
                    v = list(vals.values())
                    meds.setdefault(c, []).append(statistics.median(v))
                    if m["spread"] == "minmax":
                        s = (max(v) - min(v)) / statistics.median(v) * 100
                    else:
                        s = run.med_iqr(v)[1]
                    spreads.setdefault(c, []).append(s)
                ratios.append(statistics.median(per[PAIR[0]][rd] / per[PAIR[1]][rd]
                                                for rd in per[PAIR[0]]))
            secs = statistics.mean(r["cell_seconds"] for r in rs if "cell_seconds" in r)
            other = statistics.median(r["other_cores"] for r in rs if "other_cores" in r)
            lines.append(f"| {wl} | {nj} | {meth} | {secs:.1f} | {cv(meds[PAIR[1]]):.1f}% | "
                         f"{cv(meds[PAIR[0]]):.1f}% | {cv(ratios):.1f}% | "
                         f"{statistics.mean(spreads[PAIR[1]]):.0f}% | "
                         f"{statistics.mean(spreads[PAIR[0]]):.0f}% | {other:.2f} | "
                         f"{sum(r['retries_used'] for r in rs if 'retries_used' in r)} |")
    md = "\n".join(lines) + "\n"
    with open(os.path.join(a.out, "ab.md"), "w") as f:
        f.write(md)
    with open(os.path.join(a.out, "raw.json"), "w") as f:
        json.dump(dict(methods=METHODS, cells=CELLS, results=results, failures=failures), f,
                  indent=1)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
