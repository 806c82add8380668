#!/usr/bin/env python3
"""ferrofuse benchmark harness (issue 4).  Python 3 stdlib; matplotlib for the chart.

    python3 benches/run.py --mode quick     # under 3 minutes   (make bench-quick)
    python3 benches/run.py --mode full      # under 30 minutes  (make bench)

Run as root from the repository root after `make lib`.  It needs fio, and the
libfuse sources/builds the tests cache under target/libfuse-src (see
tests/common/mod.rs: libfuse_source(Bookworm|Sid), real_libfuse_build(Sid)).

Contenders run libfuse's passthrough_hp (and, in full mode, passthrough_ll),
unmodified, over one tmpfs source directory:
  * lf314-*: built against Debian's /usr/include/fuse3 (3.14), run on Debian's
    libfuse3.so.3; the same binary relinked to ferrofuse is `ferro-dev-314bin`;
  * lf318-*: the real libfuse 3.18 meson build's example binaries, run on its
    own lib/ (dev, io_uring, kernel passthrough), and on ferrofuse's build/lib.
Every (round, workload, numjobs) runs all contenders back to back in an order
rotated per round; medians and min-max spread over rounds are reported, ratios
are paired per round.  Any mount failure or workload error aborts the run with
no table (no silent zeros).  Results go to benches/results/<date>-<mode>/.
"""
import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("FERROFUSE_CACHE", os.path.join(TOP, "target/libfuse-src"))
SRC314 = os.path.join(CACHE, "bookworm/fuse3-3.14.0")
SRC318 = os.path.join(CACHE, "sid/fuse3-3.18.3")
BUILD318 = os.path.join(CACHE, "build-sid")
FERRO_LIB = os.path.join(TOP, "build/lib")
DEBIAN_LIB = "/lib/x86_64-linux-gnu"
WORK = os.path.join(TOP, "target/bench")
BIN = os.path.join(WORK, "bin")

# HAVE_* of libfuse's private fuse_config.h, for building the 3.14 examples standalone.
HAVE = ["COPY_FILE_RANGE", "FALLOCATE", "FDATASYNC", "FSTATAT", "OPENAT", "PIPE2",
        "POSIX_FALLOCATE", "READLINKAT", "SETXATTR", "SPLICE", "UTIMENSAT", "VMSPLICE"]

HP = "--foreground --nopassthrough {src} {mnt}"
LL = "-f -o source={src} {mnt}"
# name: (binary, library dir or None for the system one, argument template, needs io_uring, modes)
# One line per contender; a new ferrofuse mode (io_uring, passthrough=auto) is one more line.
CONTENDERS = [
    ("native", None, None, "", False, "quick full"),
    ("lf314-dev", "hp314", DEBIAN_LIB, "--foreground {src} {mnt}", False, "quick full"),
    ("lf318-dev", "hp318", "LIB318", HP, False, "quick full"),
    ("lf318-uring", "hp318", "LIB318", HP + " -o io_uring", True, "quick full"),
    ("lf318-pt", "hp318", "LIB318", "--foreground {src} {mnt}", False, "full"),
    ("ferro-dev", "hp318", FERRO_LIB, HP, False, "quick full"),
    ("ferro-dev-314bin", "hp314", FERRO_LIB, "--foreground {src} {mnt}", False, "full"),
    ("lf314-ll", "ll314", DEBIAN_LIB, LL, False, "full"),
    ("lf318-ll", "ll318", "LIB318", LL, False, "full"),
    ("ferro-ll", "ll318", FERRO_LIB, LL, False, "full"),
]
BASELINES = ["lf314-dev", "lf318-uring", "native"]

# name: (fio arguments | "md", unit, modes)
WORKLOADS = [
    ("seqread_buf_1M", "--rw=read --bs=1M", "MiB/s", "quick full"),
    ("seqread_buf_128k", "--rw=read --bs=128k", "MiB/s", "full"),
    ("seqread_dio_1M", "--rw=read --bs=1M --direct=1", "MiB/s", "quick full"),
    ("randread_dio_4k", "--rw=randread --bs=4k --direct=1", "IOPS", "quick full"),
    ("randread_dio_4k_qd16", "--rw=randread --bs=4k --direct=1 --ioengine=libaio --iodepth=16",
     "IOPS", "quick full"),
    ("randwrite_4k", "--rw=randwrite --bs=4k", "IOPS", "full"),
    ("seqwrite_1M", "--rw=write --bs=1M", "MiB/s", "quick full"),
    ("mmap_randread_4k", "--rw=randread --bs=4k --ioengine=mmap", "IOPS", "full"),
    ("md_create", "md", "ops/s", "quick full"),
    ("md_stat", "md", "ops/s", "quick full"),
]
MODES = {
    # rounds, numjobs, seconds per fio run, MiB per job file, files for mdbench
    "quick": dict(rounds=2, numjobs=[1], runtime=2, filemb=512, mdfiles=2000),
    "full": dict(rounds=3, numjobs=[1, 2], runtime=2.5, filemb=1024, mdfiles=10000),
}

mounts = []      # mount points currently mounted by us
daemons = []     # Popen objects of running daemons
tmpfs = []


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sh(cmd, timeout=600, **kw):
    return subprocess.run(cmd, check=True, timeout=timeout, **kw)


class Refuse(Exception):
    """A contender failed to mount or a workload errored: no table."""


# ---------------------------------------------------------------- building
def build_binaries():
    os.makedirs(BIN, exist_ok=True)
    for d in (SRC314, SRC318, os.path.join(BUILD318, "example/passthrough_hp")):
        if not os.path.exists(d):
            raise Refuse(f"{d} is missing: run `cargo test --test libfuse_suites` once "
                         "(it fetches libfuse's Debian sources and builds libfuse 3.18)")
    if not os.path.exists(os.path.join(FERRO_LIB, "libfuse3.so.4")):
        sh(["make", "-C", TOP, "lib"])
    out = {}
    ex = os.path.join(SRC314, "example")
    defs = [f"-DHAVE_{h}" for h in HAVE]
    hp314 = os.path.join(BIN, "passthrough_hp-3.14")
    ll314 = os.path.join(BIN, "passthrough_ll-3.14")
    if not os.path.exists(hp314):
        sh(["g++", "-std=c++17", "-O2", *defs, "-I/usr/include/fuse3", f"-I{ex}",
            os.path.join(ex, "passthrough_hp.cc"), "-o", hp314, "-lfuse3", "-lpthread"])
    if not os.path.exists(ll314):
        sh(["gcc", "-O2", *defs, "-I/usr/include/fuse3", f"-I{ex}",
            os.path.join(ex, "passthrough_ll.c"), "-o", ll314, "-lfuse3", "-lpthread"])
    out["hp314"] = hp314
    out["ll314"] = ll314
    out["hp318"] = os.path.join(BUILD318, "example/passthrough_hp")
    out["ll318"] = os.path.join(BUILD318, "example/passthrough_ll")
    md = os.path.join(BIN, "mdbench")
    sh(["gcc", "-O2", "-Wall", "-pthread", os.path.join(TOP, "benches/mdbench.c"), "-o", md])
    out["mdbench"] = md
    return out


def lib_version(libdir, soname):
    p = os.path.realpath(os.path.join(libdir, soname))
    return os.path.basename(p)


# ---------------------------------------------------------------- mounting
def is_mounted(mnt):
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            if parts[4] == mnt:
                return True
    return False


def unmount(mnt):
    if not is_mounted(mnt):
        return
    subprocess.run(["fusermount3", "-u", mnt], timeout=20, capture_output=True)
    if is_mounted(mnt):
        subprocess.run(["umount", "-l", mnt], timeout=20, capture_output=True)


def start(name, binpath, libdir, args, src, mnt, logdir):
    os.makedirs(mnt, exist_ok=True)
    env = dict(os.environ)
    env.pop("LD_LIBRARY_PATH", None)
    if libdir:
        env["LD_LIBRARY_PATH"] = libdir
    argv = [binpath] + args.format(src=src, mnt=mnt).split()
    logf = open(os.path.join(logdir, f"daemon-{name}.log"), "w")
    p = subprocess.Popen(argv, env=env, stdout=logf, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL)
    daemons.append(p)
    deadline = time.time() + 15
    while time.time() < deadline:
        if is_mounted(mnt):
            mounts.append(mnt)
            # the mount must answer, not only exist
            os.listdir(mnt)
            return p
        if p.poll() is not None:
            break
        time.sleep(0.05)
    raise Refuse(f"{name} failed to mount ({' '.join(argv)}); see {logf.name}")


def stop(p, mnt):
    unmount(mnt)
    if mnt in mounts:
        mounts.remove(mnt)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=10)
    if p in daemons:
        daemons.remove(p)


def cleanup():
    for mnt in list(mounts):
        unmount(mnt)
    for p in list(daemons):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
    for t in tmpfs:
        subprocess.run(["umount", "-l", t], timeout=20, capture_output=True)


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])   # utime + stime (fields 14, 15)


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3")


# ---------------------------------------------------------------- workloads
def run_fio(wl, args, mnt, nj, cfg, logdir):
    fname = "wf" if "write" in args else "rf"
    cmd = ["fio", "--output-format=json", f"--name={fname}", f"--directory={mnt}",
           f"--numjobs={nj}", "--group_reporting", f"--size={cfg['filemb']}M",
           "--ioengine=psync"]
    # Buffered sequential reads: one cold pass (fio invalidates the file's cache
    # on open); a time-based run would wrap around and re-read the FUSE page
    # cache instead of asking the daemon.
    if "--rw=read" not in args or "--direct=1" in args:
        cmd += ["--time_based", f"--runtime={cfg['runtime']}", "--ramp_time=0.5"]
    cmd += args.split()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=int(cfg["runtime"] * 10) + 60)
    if r.returncode != 0:
        raise Refuse(f"fio {wl} on {mnt} exited {r.returncode}: {r.stderr[-2000:]}")
    out = r.stdout[r.stdout.index("{"):]
    data = json.loads(out)
    ops = 0
    bw = iops = 0.0
    for job in data["jobs"]:
        if job.get("error", 0):
            raise Refuse(f"fio {wl} on {mnt}: job error {job['error']}")
        for d in ("read", "write"):
            bw += job[d]["bw_bytes"] / 2**20
            iops += job[d]["iops"]
            ops += job[d]["total_ios"]
    if ops == 0:
        raise Refuse(f"fio {wl} on {mnt}: no I/O done")
    return (bw if "1M" in wl or "128k" in wl else iops), ops


def run_md(mdbench, mnt, nj, cfg):
    d = os.path.join(mnt, f"md-{os.getpid()}")
    os.makedirs(d, exist_ok=True)
    r = subprocess.run([mdbench, d, str(cfg["mdfiles"]), str(nj)], capture_output=True,
                       text=True, timeout=300)
    if r.returncode != 0:
        raise Refuse(f"mdbench on {mnt} exited {r.returncode}: {r.stderr[-2000:]}")
    os.rmdir(d)
    return json.loads(r.stdout)


# ---------------------------------------------------------------- reporting
def fmt(v):
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e4:
        return f"{v / 1e3:.1f}k"
    if v >= 100:
        return f"{v:.0f}"
    return f"{v:.2f}"


def med_spread(vals):
    m = statistics.median(vals)
    spread = (max(vals) - min(vals)) / m * 100 if m else 0
    return m, spread


def report(results, names, cfg, env, outdir, charted):
    keys = sorted({(r["workload"], r["nj"]) for r in results},
                  key=lambda k: ([w[0] for w in WORKLOADS].index(k[0]), k[1]))
    by = {}
    for r in results:
        by.setdefault((r["workload"], r["nj"], r["contender"]), {})[r["round"]] = r
    units = {w[0]: w[2] for w in WORKLOADS}
    lines = [f"# ferrofuse benchmark ({env['mode']}, {env['date']})", ""]
    lines += ["Environment: " + ", ".join(f"{k} {v}" for k, v in env.items()
                                          if k not in ("date", "mode", "libraries")), ""]
    lines += ["Libraries: " + "; ".join(f"{k} = {v}" for k, v in env["libraries"].items()), ""]
    lines += [f"{cfg['rounds']} rounds, median (± min-max spread in % of the median); "
              f"fio runs {cfg['runtime']} s each after 0.5 s ramp (psync unless noted; buffered "
              f"sequential reads: one cold pass of a {cfg['filemb']} MiB file per job), "
              f"mdbench {cfg['mdfiles']} files.", ""]
    lines += ["## Absolute", ""]
    lines += ["| workload | nj | unit | " + " | ".join(names) + " |",
              "|---|---|---|" + "---|" * len(names)]
    for wl, nj in keys:
        cells = []
        for n in names:
            vals = [r["value"] for r in by[(wl, nj, n)].values()]
            m, s = med_spread(vals)
            cells.append(f"{fmt(m)} ±{s:.0f}%")
        lines.append(f"| {wl} | {nj} | {units[wl]} | " + " | ".join(cells) + " |")
    ratios = {}
    cols = []
    for base in [b for b in BASELINES if b in names]:
        for n in names:
            if n == base or n == "native":
                continue
            cols.append((n, base))
    lines += ["", "## Ratios (paired per round, median; >1 is faster than the base)", ""]
    lines += ["| workload | nj | " + " | ".join(f"{n} / {b}" for n, b in cols) + " |",
              "|---|---|" + "---|" * len(cols)]
    for wl, nj in keys:
        cells = []
        for n, b in cols:
            rs = [by[(wl, nj, n)][rd]["value"] / by[(wl, nj, b)][rd]["value"]
                  for rd in by[(wl, nj, n)]]
            m = statistics.median(rs)
            ratios[(wl, nj, n, b)] = m
            cells.append(f"{m:.2f}")
        lines.append(f"| {wl} | {nj} | " + " | ".join(cells) + " |")
    lines += ["", "## Daemon cost", "",
              "CPU per operation = daemon utime+stime over the run / operations the "
              "application completed (µs, median over rounds); peak RSS = VmHWM at unmount.", "",
              "| workload | nj | " + " | ".join(n for n in names if n != "native") + " |",
              "|---|---|" + "---|" * (len(names) - 1)]
    for wl, nj in keys:
        cells = []
        for n in names:
            if n == "native":
                continue
            vals = [r["cpu_us_per_op"] for r in by[(wl, nj, n)].values()]
            cells.append(f"{statistics.median(vals):.1f}")
        lines.append(f"| {wl} | {nj} | " + " | ".join(cells) + " |")
    hwm = {}
    for r in results:
        if r.get("hwm_kib"):
            hwm[r["contender"]] = max(hwm.get(r["contender"], 0), r["hwm_kib"])
    lines.append("| peak RSS (MiB) | | " + " | ".join(
        f"{hwm.get(n, 0) / 1024:.1f}" for n in names if n != "native") + " |")
    if charted:
        lines += ["", "![ratios](chart.png)"]
    md = "\n".join(lines) + "\n"
    with open(os.path.join(outdir, "table.md"), "w") as f:
        f.write(md)
    return md, ratios, keys


def chart(ratios, keys, names, outdir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing (apt-get install python3-matplotlib): no chart")
        return False
    colors = {n: f"C{i}" for i, n in enumerate(names)}
    fig, axes = plt.subplots(2, 1, figsize=(max(8, len(keys) * 1.1), 8))
    for ax, base in zip(axes, ["lf314-dev", "native"]):
        if base not in names:
            continue
        shown = [n for n in names if n not in (base, "native")]
        w = 0.8 / max(1, len(shown))
        for i, n in enumerate(shown):
            xs = [k + i * w - 0.4 + w / 2 for k in range(len(keys))]
            ys = [ratios[(wl, nj, n, base)] for wl, nj in keys]
            ax.bar(xs, ys, w, label=n, color=colors[n])
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([f"{wl} nj={nj}" for wl, nj in keys], fontsize=7,
                           rotation=25, ha="right")
        ax.set_ylabel(f"ratio to {base}")
        if base == "native":
            ax.set_yscale("log")
        ax.legend(fontsize=7, ncol=3)
        ax.set_title(f"throughput relative to {base} (higher is better)", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "chart.png"), dpi=90)
    return True


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--mode", choices=MODES, default="quick")
    ap.add_argument("--rounds", type=int, help="override the mode's round count")
    ap.add_argument("--contenders", help="comma-separated subset of contender names")
    ap.add_argument("--workloads", help="comma-separated subset of workload names")
    ap.add_argument("--out", help="results directory (default benches/results/<date>-<mode>)")
    ap.add_argument("--report", metavar="RAW_JSON",
                    help="only re-render table.md and chart.png next to an earlier raw.json")
    a = ap.parse_args()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        # Debian's python3-matplotlib is for Debian's python3; a pyenv python lacks it.
        if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") \
                and os.path.exists("/usr/bin/python3"):
            os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    if a.report:
        with open(a.report) as f:
            raw = json.load(f)
        outdir = os.path.dirname(os.path.abspath(a.report))
        names = list(dict.fromkeys(r["contender"] for r in raw["results"]))
        names.sort(key=lambda n: [c[0] for c in CONTENDERS].index(n))
        _, ratios, keys = report(raw["results"], names, raw["config"], raw["env"], outdir, False)
        charted = chart(ratios, keys, names, outdir)
        print(report(raw["results"], names, raw["config"], raw["env"], outdir, charted)[0])
        return 0
    if os.geteuid() != 0:
        sys.exit("run.py: run as root (mounts a tmpfs, drops caches, mounts FUSE)")
    if not shutil.which("fio"):
        sys.exit("run.py: fio missing (tools/setup.sh installs it)")
    cfg = dict(MODES[a.mode])
    if a.rounds:
        cfg["rounds"] = a.rounds
    conts = [c for c in CONTENDERS if a.mode in c[5].split()]
    if a.contenders:
        want = a.contenders.split(",")
        conts = [c for c in CONTENDERS if c[0] in want]
    wls = [w for w in WORKLOADS if a.mode in w[3].split()]
    if a.workloads:
        want = a.workloads.split(",")
        wls = [w for w in WORKLOADS if w[0] in want]
    date = time.strftime("%Y-%m-%d", time.gmtime())
    outdir = a.out or os.path.join(TOP, "benches/results", f"{date}-{a.mode}")
    os.makedirs(outdir, exist_ok=True)
    t0 = time.time()

    def on_signal(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    try:
        bins = build_binaries()
        lib318 = os.path.join(BUILD318, "lib")
        env = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "mode": a.mode,
            "kernel": platform.release(), "cpus": os.cpu_count(),
            "fio": subprocess.run(["fio", "--version"], capture_output=True,
                                  text=True).stdout.strip(),
            "commit": subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"],
                                     capture_output=True, text=True).stdout.strip(),
            "libraries": {
                "lf314": lib_version(DEBIAN_LIB, "libfuse3.so.3"),
                "lf318": lib_version(lib318, "libfuse3.so.4") + " (Debian source, meson)",
                "ferro": "ferrofuse build/lib " + lib_version(FERRO_LIB, "libfuse3.so.4"),
            },
        }
        if any(c[4] for c in conts):
            p = "/sys/module/fuse/parameters/enable_uring"
            with open(p, "w") as f:
                f.write("Y")
        os.makedirs(WORK, exist_ok=True)
        src = os.path.join(WORK, "src")
        os.makedirs(src, exist_ok=True)
        sh(["mount", "-t", "tmpfs", "-o", "size=6G", "ferrofuse-bench", src])
        tmpfs.append(src)
        maxnj = max(cfg["numjobs"])
        for j in range(maxnj):
            for pre in ("rf", "wf"):
                sh(["dd", "if=/dev/urandom", f"of={src}/{pre}.{j}.0", "bs=1M",
                    f"count={cfg['filemb']}", "status=none"])
        log(f"contenders: {[c[0] for c in conts]}; workloads: {[w[0] for w in wls]}")
        results = []
        mdcache = {}
        for rnd in range(cfg["rounds"]):
            for wl, args, unit, _ in wls:
                for nj in cfg["numjobs"]:
                    order = conts[rnd % len(conts):] + conts[:rnd % len(conts)]
                    for name, binkey, libdir, targs, _, _ in order:
                        if libdir == "LIB318":
                            libdir = lib318
                        key = (rnd, nj, name)
                        if wl == "md_stat" and key in mdcache:
                            # the stat phase of md_create's mdbench run (one mount, one run)
                            rec = dict(mdcache[key][1], workload=wl,
                                       value=mdcache[key][0]["stat"])
                            results.append(rec)
                            log(f"r{rnd} {wl} nj={nj} {name}: {fmt(rec['value'])} {unit}")
                            continue
                        drop_caches()
                        p = None
                        mnt = src
                        if binkey:
                            mnt = os.path.join(WORK, "mnt-" + name)
                            p = start(name, bins[binkey], libdir, targs, src, mnt, outdir)
                            c0 = cpu_ticks(p.pid)
                        if args == "md":
                            m = run_md(bins["mdbench"], mnt, nj, cfg)
                            value = m["create" if wl == "md_create" else "stat"]
                            ops = m["files"] * 3
                        else:
                            value, ops = run_fio(wl, args, mnt, nj, cfg, outdir)
                        rec = dict(round=rnd, workload=wl, nj=nj, contender=name, value=value,
                                   unit=unit, ops=ops)
                        if p:
                            if p.poll() is not None:
                                raise Refuse(f"{name} daemon died during {wl}")
                            ticks = cpu_ticks(p.pid) - c0
                            rec["cpu_us_per_op"] = ticks * 1e6 / os.sysconf("SC_CLK_TCK") / ops
                            rec["hwm_kib"] = vm_hwm_kib(p.pid)
                            stop(p, mnt)
                        if args == "md":
                            mdcache[key] = (m, rec)
                        results.append(rec)
                        log(f"r{rnd} {wl} nj={nj} {name}: {fmt(value)} {unit}")
        names = [c[0] for c in conts]
        env["elapsed_s"] = round(time.time() - t0)
        with open(os.path.join(outdir, "raw.json"), "w") as f:
            json.dump(dict(env=env, config=cfg, results=results), f, indent=1)
        with open(os.path.join(outdir, "env.txt"), "w") as f:
            for k, v in env.items():
                f.write(f"{k}: {v}\n")
        md, ratios, keys = report(results, names, cfg, env, outdir, charted=False)
        charted = chart(ratios, keys, names, outdir)
        md, _, _ = report(results, names, cfg, env, outdir, charted)
        print(md)
        log(f"results in {outdir} ({env['elapsed_s']} s)")
    except Refuse as e:
        log(f"run.py: REFUSING TO REPORT: {e}")
        return 1
    except KeyboardInterrupt:
        log("run.py: interrupted")
        return 130
    finally:
        cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
