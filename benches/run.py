#!/usr/bin/env python3
"""ferrofuse benchmark harness (issue 4).  Python 3 stdlib; matplotlib for the chart.

    python3 benches/run.py --mode quick     # under 3 minutes   (make bench-quick)
    python3 benches/run.py --mode full      # under 30 minutes  (make bench)
    python3 benches/run.py --mode smoke     # seconds; what tests/bench_smoke.rs runs

Run as root from the repository root after `make lib`.  It needs fio, and the
libfuse sources/builds the tests cache under target/libfuse-src (see
tests/common/mod.rs: libfuse_source(Bookworm), real_libfuse_build(Sid)), or
given by --libfuse314-src / --libfuse318-build.

Contenders run libfuse's passthrough_hp (and, in full mode, passthrough_ll),
unmodified, over one tmpfs source directory:
  * lf314-*: built against Debian's /usr/include/fuse3 (3.14), run on Debian's
    libfuse3.so.3; the same binary relinked to ferrofuse is `ferro-dev-314bin`;
  * lf318-*: the real libfuse 3.18 meson build's example binaries, run on its
    own lib/ (/dev/fuse with and without splice, io_uring, kernel passthrough
    with and without io_uring), and on ferrofuse's build/lib (ferro-*).
Every (round, workload, numjobs) runs all contenders back to back, each on a
fresh mount, in an order rotated per round; medians and interquartile ranges
over rounds are reported, ratios are paired per round.  Any mount failure or
workload error aborts the run with no table (no silent zeros).  Results go to
benches/results/<date>-<mode>/.
"""
import argparse
import collections
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("FERROFUSE_CACHE", os.path.join(TOP, "target/libfuse-src"))
DEBIAN_LIB = "/lib/x86_64-linux-gnu"
BIN = os.path.join(TOP, "target/bench/bin")   # compiled helpers, kept between runs

# HAVE_* of libfuse's private fuse_config.h, for building the 3.14 examples standalone.
HAVE = ["COPY_FILE_RANGE", "FALLOCATE", "FDATASYNC", "FSTATAT", "OPENAT", "PIPE2",
        "POSIX_FALLOCATE", "READLINKAT", "SETXATTR", "SPLICE", "UTIMENSAT", "VMSPLICE"]

# One line per contender (the table's column order):
#   name, binary key, library dir (None: the system one; LIB318 and FERRO are
#   filled in at run time), argument template, transport, environment, modes.
# transport is native, dev (/dev/fuse), uring, pt (kernel passthrough over
# /dev/fuse), pt-uring or auto-uring (ferrofuse's passthrough=auto over
# io-uring); a uring transport makes the harness set the fuse
# module's enable_uring=Y.  The environment is added to a scrubbed one
# (LD_LIBRARY_PATH, FUSE_URING_* and FERROFUSE_* removed).
# ferrofuse uses io-uring by default when the kernel offers it (issue 5), so
# its /dev/fuse modes say FUSE_URING_ENABLE=0 and ferro-uring says nothing.
Contender = collections.namedtuple("Contender", "name bin lib args transport env modes")
HP = "--foreground --nopassthrough {src} {mnt}"
HP_PT = "--foreground {src} {mnt}"           # 3.18's passthrough_hp: passthrough on
HP314 = "--foreground {src} {mnt}"           # 3.14's passthrough_hp has no passthrough
LL = "-f -o source={src} {mnt}"
DEV_ONLY = {"FUSE_URING_ENABLE": "0"}
AUTO = {"FERROFUSE_PASSTHROUGH": "auto"}
CONTENDERS = [Contender(*c) for c in [
    ("native", None, None, "", "native", {}, "smoke quick full"),
    ("lf314-dev", "hp314", DEBIAN_LIB, HP314, "dev", {}, "smoke quick full"),
    ("lf318-dev", "hp318", "LIB318", HP, "dev", {}, "full"),
    # /dev/fuse without libfuse's per-request pipe churn (baseline.md §5.1)
    ("lf318-dev-nosplice", "hp318", "LIB318", HP + " --nosplice", "dev", {}, "quick full"),
    ("lf318-uring", "hp318", "LIB318", HP + " -o io_uring", "uring", {}, "quick full"),
    ("lf318-pt", "hp318", "LIB318", HP_PT, "pt", {}, "full"),
    ("lf318-pt-uring", "hp318", "LIB318", HP_PT + " -o io_uring", "pt-uring", {}, "full"),
    ("ferro-dev", "hp318", "FERRO", HP, "dev", DEV_ONLY, "smoke quick full"),
    ("ferro-dev-314bin", "hp314", "FERRO", HP314, "dev", DEV_ONLY, "full"),
    ("ferro-uring", "hp318", "FERRO", HP, "uring", {}, "quick full"),
    # files opened with direct_io (passthrough_hp --direct-io): every read and
    # write goes to the daemon, waited for, even through the buffered API
    ("lf318-uring-dio", "hp318", "LIB318", HP + " --direct-io -o io_uring", "uring-dio", {},
     "full"),
    ("ferro-uring-dio", "hp318", "FERRO", HP + " --direct-io", "uring-dio", {}, "full"),
    # passthrough_hp's own passthrough (fuse_passthrough_open) on ferrofuse
    ("ferro-pt", "hp318", "FERRO", HP_PT, "pt", DEV_ONLY, "full"),
    ("lf314-ll", "ll314", DEBIAN_LIB, LL, "dev", {}, "full"),
    ("lf318-ll", "ll318", "LIB318", LL, "dev", {}, "full"),
    ("ferro-ll", "ll318", "FERRO", LL, "dev", DEV_ONLY, "full"),
    # transparent passthrough (issue 6): the unmodified examples, no passthrough code of theirs
    ("ferro-auto", "hp318", "FERRO", HP, "auto-uring", AUTO, "quick full"),
    ("ferro-ll-auto", "ll318", "FERRO", LL, "auto-uring", AUTO, "full"),
]]
ORDER = [c.name for c in CONTENDERS]


def add_variant(name, base, env):
    """A contender like `base` with more environment (an A/B of a ferrofuse switch);
    its name must start like a ferrofuse one ("ferro") to be in the glance table."""
    if name in ORDER:
        raise ValueError(f"{name}: a contender of that name exists")
    b = next((c for c in CONTENDERS if c.name == base), None)
    if b is None:
        raise ValueError(f"{base}: no such contender")
    CONTENDERS.append(b._replace(name=name, env={**b.env, **env}, modes=""))
    ORDER.append(name)

# Ratio tables: title, base per example (passthrough_hp / passthrough_ll).
RATIO_TABLES = [
    ("libfuse 3.14 /dev/fuse", {"hp": "lf314-dev", "ll": "lf314-ll"}),
    ("libfuse 3.18 io-uring", {"hp": "lf318-uring"}),
    ("libfuse 3.18 passthrough", {"hp": "lf318-pt"}),
    ("native", {"hp": "native", "ll": "native"}),
]

# name, fio arguments ("md create" / "md stat": a phase of the mdbench run), unit, modes
WORKLOADS = [
    ("seqread_buf_1M", "--rw=read --bs=1M", "MiB/s", "quick full"),
    ("seqread_buf_128k", "--rw=read --bs=128k", "MiB/s", "full"),
    ("seqread_dio_1M", "--rw=read --bs=1M --direct=1", "MiB/s", "quick full"),
    ("randread_dio_4k", "--rw=randread --bs=4k --direct=1", "IOPS", "smoke quick full"),
    ("randread_dio_4k_qd16", "--rw=randread --bs=4k --direct=1 --ioengine=libaio --iodepth=16",
     "IOPS", "quick full"),
    ("randwrite_4k", "--rw=randwrite --bs=4k", "IOPS", "full"),
    ("seqwrite_1M", "--rw=write --bs=1M", "MiB/s", "quick full"),
    ("mmap_randread_4k", "--rw=randread --bs=4k --ioengine=mmap", "IOPS", "full"),
    ("md_create", "md create", "ops/s", "smoke quick full"),
    ("md_stat_cold", "md stat", "ops/s", "smoke quick full"),
]
WL_ORDER = [w[0] for w in WORKLOADS]
MODES = {
    # rounds: at most this many; budget_s: no new round starts when the run would
    # then pass this (min_rounds are always done); runtime/ramp: seconds per
    # time-based fio run; filemb: MiB per job file; mdfiles: files per mdbench run;
    # statpasses: cold stat passes per mdbench run (each after dropping dentries);
    # quiet: a measurement during which other processes used more CPU than this
    # (in cores) is done again, up to `retries` times per measurement and
    # retry_share x the planned measurements per run.
    "smoke": dict(rounds=1, min_rounds=1, budget_s=0, numjobs=[1], runtime=1.0, ramp=0.25,
                  filemb=64, mdfiles=500, statpasses=1, quiet=0.5, retries=0, retry_share=0),
    "quick": dict(rounds=4, min_rounds=2, budget_s=160, numjobs=[1], runtime=0.75, ramp=0.25,
                  filemb=512, mdfiles=2000, statpasses=2, quiet=0.5, retries=2,
                  retry_share=0.1),
    "full": dict(rounds=5, min_rounds=3, budget_s=28 * 60, numjobs=[1, 2], runtime=0.75,
                 ramp=0.25, filemb=1024, mdfiles=4000, statpasses=2, quiet=0.5, retries=2,
                 retry_share=0.2),
}

mounts = []      # mount points currently mounted by us
mount_counts = {}    # contender: mounts attempted
mount_failures = []  # with --retry-mount: the failed ones
daemons = []     # Popen objects of running daemons
tmpfs = []
TCK = os.sysconf("SC_CLK_TCK")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sh(cmd, timeout=600, **kw):
    return subprocess.run(cmd, check=True, timeout=timeout, **kw)


class Refuse(Exception):
    """A contender failed to mount or a workload errored: no table."""


def family(c):
    """passthrough_hp ("hp") or passthrough_ll ("ll"); None for native."""
    return c.bin[:2] if c.bin else None


# ---------------------------------------------------------------- building
def compile_once(out, cmd):
    """Compiles to a temporary name and renames: concurrent runs share BIN."""
    if os.path.exists(out):
        return
    tmp = f"{out}.tmp{os.getpid()}"
    sh(cmd + ["-o", tmp])
    os.rename(tmp, out)


def build_binaries(conts, paths):
    os.makedirs(BIN, exist_ok=True)
    need = {c.bin for c in conts if c.bin}
    if need & {"hp314", "ll314"} and not os.path.isdir(paths["src314"]):
        raise Refuse(f"{paths['src314']} is missing: run `cargo test --test libfuse_suites` "
                     "once (it fetches libfuse's Debian sources), or pass --libfuse314-src")
    if need & {"hp318", "ll318"} and not os.path.exists(
            os.path.join(paths["build318"], "example/passthrough_hp")):
        raise Refuse(f"{paths['build318']} has no libfuse 3.18 build: run `cargo test --test "
                     "libfuse_suites` once, or pass --libfuse318-build")
    if any(c.lib == "FERRO" for c in conts) and \
            not os.path.exists(os.path.join(paths["ferro"], "libfuse3.so.4")):
        if paths["ferro_default"]:
            sh(["make", "-C", TOP, "lib"])
        else:
            raise Refuse(f"{paths['ferro']}/libfuse3.so.4 is missing")
    out = {}
    ex = os.path.join(paths["src314"], "example")
    defs = [f"-DHAVE_{h}" for h in HAVE]
    if "hp314" in need:
        out["hp314"] = os.path.join(BIN, "passthrough_hp-3.14")
        compile_once(out["hp314"], ["g++", "-std=c++17", "-O2", *defs, "-I/usr/include/fuse3",
                                    f"-I{ex}", os.path.join(ex, "passthrough_hp.cc"),
                                    "-lfuse3", "-lpthread"])
    if "ll314" in need:
        out["ll314"] = os.path.join(BIN, "passthrough_ll-3.14")
        compile_once(out["ll314"], ["gcc", "-O2", *defs, "-I/usr/include/fuse3", f"-I{ex}",
                                    os.path.join(ex, "passthrough_ll.c"), "-lfuse3",
                                    "-lpthread"])
    out["hp318"] = os.path.join(paths["build318"], "example/passthrough_hp")
    out["ll318"] = os.path.join(paths["build318"], "example/passthrough_ll")
    md = os.path.join(BIN, f"mdbench.{os.getpid()}")
    sh(["gcc", "-O2", "-Wall", "-pthread", os.path.join(TOP, "benches/mdbench.c"), "-o", md])
    os.rename(md, os.path.join(BIN, "mdbench"))
    out["mdbench"] = os.path.join(BIN, "mdbench")
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


def daemon_env(c, libdir):
    env = {k: v for k, v in os.environ.items()
           if k != "LD_LIBRARY_PATH" and not k.startswith(("FUSE_URING_", "FERROFUSE_"))}
    if libdir:
        env["LD_LIBRARY_PATH"] = libdir
    env.update(c.env)
    return env


def start(c, binpath, libdir, src, mnt, logdir):
    os.makedirs(mnt, exist_ok=True)
    argv = [binpath] + c.args.format(src=src, mnt=mnt).split()
    logname = os.path.join(logdir, f"daemon-{c.name}.log")
    with open(logname, "a") as logf:
        logf.write(f"--- {time.strftime('%H:%M:%S')} {' '.join(argv)}\n")
        logf.flush()
        try:
            p = subprocess.Popen(argv, env=daemon_env(c, libdir), stdout=logf,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        except OSError as e:
            raise Refuse(f"{c.name} failed to start ({' '.join(argv)}): {e}")
    daemons.append(p)
    deadline = time.time() + 15
    while time.time() < deadline:
        if is_mounted(mnt):
            mounts.append(mnt)
            # the mount must answer, not only exist (this also waits for INIT)
            try:
                os.listdir(mnt)
            except OSError as e:
                raise Refuse(f"{c.name} mounted but does not answer ({e}); see {logname}")
            return p
        if p.poll() is not None:
            break
        time.sleep(0.005)
    raise Refuse(f"{c.name} failed to mount ({' '.join(argv)}); see {logname}")


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


def cleanup(keep_tmpfs=False):
    for mnt in list(mounts):
        unmount(mnt)
        mounts.remove(mnt)
    for p in list(daemons):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        daemons.remove(p)
    if keep_tmpfs:
        return
    for t in tmpfs:
        subprocess.run(["umount", "-l", t], timeout=20, capture_output=True)


def cpu_s(pid):
    """The process's CPU time, all threads (gone ones too), user and system, in
    seconds with ns resolution: its CPU clock (what clock_getcpuclockid(pid)
    gives), where /proc/PID/stat counts 10 ms ticks."""
    return time.clock_gettime_ns(((~pid) << 3) | 2) / 1e9


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def ring_fds(pid):
    """How many io_uring instances the daemon holds (0: it runs on /dev/fuse)."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            n += "io_uring" in os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            pass
    return n


def drop_caches(what):
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write(str(what))


# A virtual machine whose balloon reports free pages to the host (this one's
# virtio_balloon, page_reporting with min_free_ms=0) gets every freed page
# taken away at once, and each fresh page the next measurement touches
# faults on the host: a cold 1 GiB pass (its page cache is new on every
# mount) then ran at 450 or 2000 MiB/s by chance, for libfuse and ferrofuse
# alike, and touching 2.3 GiB took 1.4-5.3 s. For the run, freed pages stay
# ours (restored after); the memory the measurements will cycle through is
# touched once first.
PAGE_REPORTING = "/sys/module/page_reporting/parameters"
HOLD = {"min_free_ms": "300000", "max_waiting_mib": "65536"}
held = {}        # parameter: value before the run


def hold_free_pages(touch_mib):
    """Returns what the environment line says about it."""
    for k, v in HOLD.items():
        path = os.path.join(PAGE_REPORTING, k)
        try:
            with open(path) as f:
                old = f.read().strip()
            with open(path, "w") as f:
                f.write(v)
            held[k] = old
        except OSError:
            pass
    if not held:
        return "no page reporting knobs (nothing held)"
    b = bytearray(touch_mib << 20)  # zero-filled: every page touched
    del b
    return "held: " + ", ".join(f"{k} {HOLD[k]} (was {v})" for k, v in held.items()) + \
        f"; {touch_mib} MiB touched first"


def release_free_pages():
    for k, v in list(held.items()):
        try:
            with open(os.path.join(PAGE_REPORTING, k), "w") as f:
                f.write(v)
        except OSError:
            pass
        del held[k]


class CpuWatch:
    """CPU time the rest of the machine used while we measured: all busy time
    (/proc/stat) less the harness, its waited children (fio, mdbench) and the
    daemon, in cores (1.0 = one CPU busy the whole time)."""

    def __init__(self, pid=None):
        self.pid = pid
        self.t0, self.snap0 = time.monotonic(), self.snap()

    def snap(self):
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        busy = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / TCK
        ours = sum(resource.getrusage(w).ru_utime + resource.getrusage(w).ru_stime
                   for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        d = cpu_s(self.pid) if self.pid else 0.0
        return busy, ours, d

    def other_cores(self):
        s1 = self.snap()
        wall = time.monotonic() - self.t0
        other = (s1[0] - self.snap0[0]) - (s1[1] - self.snap0[1]) - (s1[2] - self.snap0[2])
        return max(0.0, other / wall) if wall > 0 else 0.0


# ---------------------------------------------------------------- workloads
def run_fio(wl, args, mnt, nj, cfg):
    fname = "wf" if "write" in args else "rf"
    cmd = ["fio", "--output-format=json", f"--name={fname}", f"--directory={mnt}",
           f"--numjobs={nj}", "--group_reporting", f"--size={cfg['filemb']}M",
           "--ioengine=psync"]
    # Buffered sequential reads: one cold pass (fio invalidates the file's cache
    # on open); a time-based run would wrap around and re-read the FUSE page
    # cache instead of asking the daemon.  fio takes whole seconds unless told
    # the unit: 2.5 is read as 2.
    if "--rw=read" not in args or "--direct=1" in args:
        cmd += ["--time_based", f"--runtime={int(cfg['runtime'] * 1000)}ms",
                f"--ramp_time={int(cfg['ramp'] * 1000)}ms"]
    cmd += args.split()
    r = subprocess.run(cmd, capture_output=True, text=True,
                       timeout=int(cfg["runtime"] * 10) + 60)
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


def mdbench(binpath, d, nj, cfg, phase):
    r = subprocess.run([binpath, d, str(cfg["mdfiles"]), str(nj), phase], capture_output=True,
                       text=True, timeout=300)
    if r.returncode != 0:
        raise Refuse(f"mdbench {phase} in {d} exited {r.returncode}: {r.stderr[-2000:]}")
    return json.loads(r.stdout)[phase]


def run_md(binpath, mnt, nj, cfg, pid):
    """create, then statpasses x (drop dentries+inodes, stat all), then unlink.
    Returns {phase: (ops/s, daemon CPU seconds)}."""
    d = os.path.join(mnt, f"md-{os.getpid()}")
    os.makedirs(d, exist_ok=True)
    ticks = (lambda: cpu_s(pid)) if pid else (lambda: 0.0)
    out = {}
    c0 = ticks()
    out["create"] = (mdbench(binpath, d, nj, cfg, "create"), ticks() - c0)
    secs = cpu = 0.0
    for _ in range(cfg["statpasses"]):
        # echo 2: the kernel forgets the FUSE dentries and inodes (FORGET to the
        # daemon), so every stat below is a LOOKUP the filesystem answers.
        drop_caches(2)
        time.sleep(0.1)   # let the daemon finish the FORGETs before we time
        c0 = ticks()
        rate = mdbench(binpath, d, nj, cfg, "stat")
        cpu += ticks() - c0
        secs += cfg["mdfiles"] // nj * nj / rate
    out["stat"] = (cfg["mdfiles"] // nj * nj * cfg["statpasses"] / secs, cpu)
    c0 = ticks()
    out["unlink"] = (mdbench(binpath, d, nj, cfg, "unlink"), ticks() - c0)
    os.rmdir(d)
    return out


# ---------------------------------------------------------------- statistics
def quartiles(vals):
    if len(vals) < 2:
        return vals[0], vals[0]
    q = statistics.quantiles(vals, n=4, method="inclusive")
    return q[0], q[2]


def med_iqr(vals):
    """Median and interquartile range in % of the median."""
    m = statistics.median(vals)
    q1, q3 = quartiles(vals)
    return m, ((q3 - q1) / m * 100 if m else 0.0)


# ---------------------------------------------------------------- reporting
def fmt(v):
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e4:
        return f"{v / 1e3:.1f}k"
    if v >= 100:
        return f"{v:.0f}"
    return f"{v:.2f}"


def fmt_ratio(rs):
    """Median of paired ratios; in italics when their IQR includes 1."""
    m = statistics.median(rs)
    q1, q3 = quartiles(rs)
    s = f"{m:.2f}" if m >= 0.1 else f"{m:.3f}"
    return (f"*{s}*" if len(rs) > 1 and q1 <= 1.0 <= q3 else s), m


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def report(raw, outdir, charted):
    results, cfg, env = raw["results"], raw["config"], raw["env"]
    names = sorted({r["contender"] for r in results},
                   key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER))
    conts = {c.name: c for c in CONTENDERS}
    keys = sorted({(r["workload"], r["nj"]) for r in results},
                  key=lambda k: (WL_ORDER.index(k[0]) if k[0] in WL_ORDER else 99, k[1]))
    by = {}
    units = {}
    for r in results:
        by.setdefault((r["workload"], r["nj"], r["contender"]), {})[r["round"]] = r
        units[r["workload"]] = r["unit"]
    rounds = cfg.get("rounds_done", cfg["rounds"])

    def paired(wl, nj, n, b):
        a, base = by[(wl, nj, n)], by[(wl, nj, b)]
        return [a[rd]["value"] / base[rd]["value"] for rd in a if rd in base]

    def median_of(wl, nj, n):
        return statistics.median(r["value"] for r in by[(wl, nj, n)].values())

    lines = [f"# ferrofuse benchmark ({env['mode']}, {env['date']})", ""]
    lines += ["Environment: " + ", ".join(f"{k} {v}" for k, v in env.items()
                                          if k not in ("date", "mode", "libraries",
                                                       "contenders", "ring_fds", "mounts",
                                                       "mount_failures", "perf_instructions")), ""]
    lines += ["Libraries: " + "; ".join(f"{k} = {v}" for k, v in env["libraries"].items()), ""]
    ramp = cfg.get("ramp", 0.5)
    passes = cfg.get("statpasses", 1)
    md_note = (f" (md_stat_cold: {passes} cold pass{'es' if passes > 1 else ''}, each after "
               f"`echo 2 > drop_caches`, so every stat is a LOOKUP)"
               if any(k[0] == "md_stat_cold" for k in keys) else "")
    retried = (f" {cfg['retries_used']} measurements were done again because other processes "
               f"used over {cfg['quiet']} cores meanwhile (the least disturbed attempt is kept)."
               if cfg.get("retries_used") else "")
    lines += [f"{rounds} rounds, each contender on a fresh mount per measurement, order rotated "
              f"per round. Time-based fio runs: {cfg['runtime']} s after a {ramp} s ramp "
              f"(psync unless noted); buffered sequential reads: one cold pass of a "
              f"{cfg['filemb']} MiB file per job; mdbench {cfg['mdfiles']} files{md_note}."
              f"{retried}", ""]
    if env.get("perf_instructions"):
        lines += [f"Instructions per operation (`perf stat -e instructions`): "
                  f"{env['perf_instructions']}.", ""]
    other = [r["other_cores"] for r in results if "other_cores" in r]
    if other:
        o = sorted(other)
        lines += [f"Other work on the machine during measurements (CPU outside the harness, "
                  f"fio/mdbench and the daemon, in cores): median {statistics.median(o):.2f}, "
                  f"90th percentile {o[int(len(o) * 0.9)]:.2f}, max {o[-1]:.2f}.", ""]

    fails = env.get("mount_failures") or []
    if fails:
        per = collections.Counter(f["contender"] for f in fails)
        lines += ["**Mount failures (run with --retry-mount; each was mounted again and "
                  "measured): " + "; ".join(
                      f"{n} {k} of {env.get('mounts', {}).get(n, '?')} mounts" for n, k in
                      per.items()) + ". Daemon logs: " + "; ".join(sorted(
                          {" / ".join(f["log"]) or f["error"] for f in fails})) + "**", ""]

    # at a glance: each ferrofuse mode against the best libfuse contender of
    # its transport and example
    ferro = [n for n in names if n.startswith("ferro")]
    glance_cols = []
    for f in ferro:
        fc = conts.get(f)
        peers = [n for n in names if n.startswith("lf") and fc and conts[n].transport ==
                 fc.transport and family(conts[n]) == family(fc)]
        if peers:
            glance_cols.append((f, peers))
    rings = env.get("ring_fds", {})
    notes = []
    if glance_cols:
        lines += ["## ferrofuse at a glance", "",
                  "Each ferrofuse mode against the best libfuse contender (highest median) of the "
                  "same transport and example, per row: median of the per-round ratios, >1 is "
                  "faster than libfuse; in italics when the ratios' IQR includes 1.", ""]
        head = ["workload", "nj"]
        for f, peers in glance_cols:
            mark = ""
            if "uring" in conts[f].transport and rings.get(f) == 0:
                mark = f"<sup>{len(notes) + 1}</sup>"
                notes.append(f"{f}: the daemon held no io_uring instance, so it ran on "
                             f"/dev/fuse (ferrofuse has no io-uring transport yet, or the kernel "
                             f"refused it).")
            head.append(f"{f}{mark} vs {conts[f].transport} ({'/'.join(peers)})")
        rows = []
        for wl, nj in keys:
            row = [wl, str(nj)]
            for f, peers in glance_cols:
                best = max(peers, key=lambda p: median_of(wl, nj, p))
                s, _ = fmt_ratio(paired(wl, nj, f, best))
                row.append(f"{s} vs {best}")
            rows.append(row)
        lines += table(head, rows)
        lines += [""] + [f"<sup>{i + 1}</sup> {n}" for i, n in enumerate(notes)]
        lines += [""] if notes else []

    lines += ["## Absolute", "",
              "Median over rounds (in brackets: interquartile range, Q3-Q1, in % of the "
              "median).", ""]
    rows = []
    for wl, nj in keys:
        cells = []
        for n in names:
            m, s = med_iqr([r["value"] for r in by[(wl, nj, n)].values()])
            cells.append(f"{fmt(m)} ({s:.0f}%)")
        rows.append([wl, str(nj), units[wl]] + cells)
    lines += table(["workload", "nj", "unit"] + names, rows)

    ratios = {}
    for ti, (title, bases) in enumerate(RATIO_TABLES):
        cols = [n for n in names if n != "native" and n in conts
                and bases.get(family(conts[n])) in names and bases[family(conts[n])] != n]
        if not cols:
            continue
        used = sorted({bases[family(conts[n])] for n in cols}, key=ORDER.index)
        what = "; ".join(f"passthrough_{f} contenders ÷ {b}" for f, b in bases.items()
                         if b in used)
        lines += ["", f"## Ratios to {title}", "",
                  f"{what}. Median of the per-round ratios, >1 is faster than the base; in "
                  f"italics when their IQR includes 1.", ""]
        rows = []
        for wl, nj in keys:
            cells = []
            for n in cols:
                s, m = fmt_ratio(paired(wl, nj, n, bases[family(conts[n])]))
                ratios[(wl, nj, n, ti)] = m
                cells.append(s)
            rows.append([wl, str(nj)] + cells)
        lines += table(["workload", "nj"] + cols, rows)

    daemons_ = [n for n in names if n != "native"]
    lines += ["", "## Daemon cost", "",
              "CPU per operation = daemon CPU time (user+system, all threads) during the "
              "measurement / operations the "
              "application completed (µs, median over rounds; md_* rows: that phase only); "
              "peak RSS = largest VmHWM at unmount.", ""]
    rows = []
    for wl, nj in keys:
        cells = []
        for n in daemons_:
            vals = [r["cpu_us_per_op"] for r in by[(wl, nj, n)].values()]
            cells.append(f"{statistics.median(vals):.1f}")
        rows.append([wl, str(nj)] + cells)
    hwm = {}
    for r in results:
        if r.get("hwm_kib"):
            hwm[r["contender"]] = max(hwm.get(r["contender"], 0), r["hwm_kib"])
    rows.append(["peak RSS (MiB)", "-"] + [f"{hwm.get(n, 0) / 1024:.1f}" for n in daemons_])
    lines += table(["workload", "nj"] + daemons_, rows)

    if env.get("contenders"):
        lines += ["", "## Contenders", ""]
        rows = []
        for n in names:
            d = env["contenders"].get(n)
            if not d:
                continue
            rows.append([n, d["transport"], d["binary"] or "-", d["library"] or "-",
                         f"`{d['args']}`" if d["args"] else "-",
                         " ".join(f"{k}={v}" for k, v in d["env"].items()) or "-",
                         str(rings.get(n, "-")) if d["binary"] else "-"])
        lines += table(["contender", "transport", "binary", "library", "arguments",
                        "environment", "io_uring fds"], rows)
    if charted:
        lines += ["", "![ratios](chart.png)"]
    md = "\n".join(lines) + "\n"
    with open(os.path.join(outdir, "table.md"), "w") as f:
        f.write(md)
    return md, ratios, keys, names


def chart(ratios, keys, names, outdir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing (apt-get install python3-matplotlib): no chart")
        return False
    cmap = plt.get_cmap("tab20")
    colors = {n: cmap(i % 20) for i, n in enumerate(ORDER)}
    panels = [(ti, t) for ti, (t, _) in enumerate(RATIO_TABLES)
              if t != "libfuse 3.18 io-uring" and any(k[3] == ti for k in ratios)]
    if not panels:
        return False
    fig, axes = plt.subplots(len(panels), 1, figsize=(max(8, len(keys) * 1.1),
                                                      4 * len(panels)), squeeze=False)
    for ax, (ti, title) in zip(axes[:, 0], panels):
        shown = [n for n in names if any(k[2] == n and k[3] == ti for k in ratios)]
        w = 0.8 / max(1, len(shown))
        for i, n in enumerate(shown):
            xs = [k + i * w - 0.4 + w / 2 for k in range(len(keys))]
            ys = [ratios.get((wl, nj, n, ti), 0) for wl, nj in keys]
            ax.bar(xs, ys, w, label=n, color=colors.get(n, "grey"))
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([f"{wl} nj={nj}" for wl, nj in keys], fontsize=7,
                           rotation=25, ha="right")
        ax.set_ylabel(f"ratio to {title}")
        if title == "native":
            ax.set_yscale("log")
        ax.legend(fontsize=7, ncol=4)
        ax.set_title(f"throughput relative to {title} (higher is better; passthrough_ll "
                     f"contenders against their own base)", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "chart.png"), dpi=90)
    return True


def render(raw, outdir, want_chart=True):
    md, ratios, keys, names = report(raw, outdir, False)
    if want_chart and chart(ratios, keys, names, outdir):
        md = report(raw, outdir, True)[0]
    return md


# ---------------------------------------------------------------- main
def measure(c, wl, args, unit, nj, rnd, bins, libdir, src, work, outdir, cfg, ring_seen):
    """One contender, one workload: fresh mount, run, unmount.  Returns records."""
    os.sync()
    p = None
    mnt = src
    if c.bin:
        mnt = os.path.join(work, "mnt-" + c.name)
        for attempt in range(1 + cfg.get("mount_retries", 0)):
            mount_counts[c.name] = mount_counts.get(c.name, 0) + 1
            try:
                p = start(c, bins[c.name], libdir, src, mnt, outdir)
                break
            except Refuse as e:
                if attempt == cfg.get("mount_retries", 0):
                    raise
                # --retry-mount: the failure is listed in the table, not hidden
                log(f"{e}: mounting again (--retry-mount)")
                logname = os.path.join(outdir, f"daemon-{c.name}.log")
                with open(logname) as f:
                    tail = [ln.strip() for ln in f.read().splitlines()[-3:]
                            if not ln.startswith("--- ")]
                mount_failures.append(dict(contender=c.name, round=rnd, workload=wl,
                                           error=str(e), log=tail))
                cleanup(keep_tmpfs=True)
        ring_seen[c.name] = max(ring_seen.get(c.name, 0), ring_fds(p.pid))
    pid = p.pid if p else None
    watch = CpuWatch(pid)
    t0 = time.monotonic()
    recs = []
    base = dict(round=rnd, nj=nj, contender=c.name)
    if args.startswith("md"):
        m = run_md(bins["mdbench"], mnt, nj, cfg, pid)
        n = cfg["mdfiles"] // nj * nj
        for w, phase in (("md_create", "create"), ("md_stat_cold", "stat"),
                         ("md_unlink", "unlink")):
            ops = n * (cfg["statpasses"] if phase == "stat" else 1)
            recs.append(dict(base, workload=w, value=m[phase][0], unit="ops/s", ops=ops,
                             cpu_us_per_op=m[phase][1] * 1e6 / ops))
    else:
        value, ops = run_fio(wl, args, mnt, nj, cfg)
        cpu = (cpu_s(pid) - watch.snap0[2]) if pid else 0.0
        recs.append(dict(base, workload=wl, value=value, unit=unit, ops=ops,
                         cpu_us_per_op=cpu * 1e6 / ops))
    wall = time.monotonic() - t0
    other = watch.other_cores()
    for r in recs:
        r.update(wall_s=round(wall, 3), other_cores=round(other, 3))
    if p:
        if p.poll() is not None:
            raise Refuse(f"{c.name} daemon died during {wl}")
        hwm = vm_hwm_kib(p.pid)
        stop(p, mnt)
        for r in recs:
            r["hwm_kib"] = hwm
    else:
        for r in recs:
            del r["cpu_us_per_op"]
    return recs


def measure_quiet(c, wl, args, unit, nj, rnd, bins, libdir, src, work, outdir, cfg, ring_seen,
                  retries):
    """measure(), again when other work on the machine disturbed it: while the
    CPU used by other processes during the measurement exceeds cfg["quiet"]
    cores, up to cfg["retries"] more times and while retries["left"] lasts;
    keeps the least disturbed attempt.  The choice looks only at the others'
    load, never at the figure."""
    best = None
    for attempt in range(1 + cfg.get("retries", 0)):
        recs = measure(c, wl, args, unit, nj, rnd, bins, libdir, src, work, outdir, cfg,
                       ring_seen)
        other = recs[0]["other_cores"]
        if best is None or other < best[0]["other_cores"]:
            best = recs
        if other <= cfg.get("quiet", 99) or attempt == cfg.get("retries", 0) or \
                retries["left"] <= 0:
            break
        retries["left"] -= 1
        retries["used"] += 1
        log(f"r{rnd} {wl} nj={nj} {c.name}: other work used {other:.2f} cores; again")
    for r in best:
        r["attempts"] = attempt + 1
    return best


def perf_instructions():
    """Whether `perf stat` can count instructions here (virtual machines
    often expose no hardware counters); the CPU-time columns stand in."""
    if not shutil.which("perf"):
        return "not measured: perf is not installed"
    r = subprocess.run(["perf", "stat", "-x,", "-e", "instructions", "--", "true"],
                       capture_output=True, text=True)
    if r.returncode != 0 or "<not supported>" in r.stderr or "<not counted>" in r.stderr:
        return "not measured: this machine exposes no hardware counters to perf"
    return "supported by this machine, not yet collected by the harness"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--mode", choices=MODES, default="quick")
    ap.add_argument("--rounds", type=int, help="exactly this many rounds (no time budget)")
    ap.add_argument("--contenders", help="comma-separated subset of contender names")
    ap.add_argument("--workloads", help="comma-separated subset of workload names")
    ap.add_argument("--out", help="results directory (default benches/results/<date>-<mode>)")
    ap.add_argument("--work", default=os.path.join(TOP, "target/bench"),
                    help="scratch directory for the tmpfs source and the mount points")
    ap.add_argument("--ferro-lib", help="ferrofuse library directory (default build/lib)")
    ap.add_argument("--libfuse314-src", default=os.path.join(CACHE, "bookworm/fuse3-3.14.0"),
                    help="libfuse 3.14 source tree (its examples are built against Debian's)")
    ap.add_argument("--libfuse318-build", default=os.path.join(CACHE, "build-sid"),
                    help="libfuse 3.18 meson build directory (lib/, example/)")
    ap.add_argument("--contender-bin", action="append", default=[], metavar="NAME=PATH",
                    help="run contender NAME with this binary instead (tests use it to check "
                         "that a broken contender makes the run refuse)")
    ap.add_argument("--retry-mount", type=int, default=0, metavar="N",
                    help="mount a contender up to N more times when it fails to start or to "
                         "answer (default 0: refuse); every failure is listed in the table")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=BASE[:K=V,...]",
                    help="one more contender: BASE with these environment variables added "
                         "(e.g. ferro-uring-noyield=ferro-uring:FERROFUSE_URING_YIELD=0); "
                         "it joins the contenders of the run")
    ap.add_argument("--no-chart", action="store_true", help="skip chart.png")
    ap.add_argument("--report", metavar="RAW_JSON",
                    help="only re-render table.md and chart.png next to an earlier raw.json")
    a = ap.parse_args()
    if not a.no_chart:
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
        # variants of that run, from what it recorded of them
        for n, d in raw["env"].get("contenders", {}).items():
            if n not in ORDER and d.get("variant_of") in ORDER:
                add_variant(n, d["variant_of"], d["env"])
        print(render(raw, os.path.dirname(os.path.abspath(a.report)), not a.no_chart))
        return 0
    if os.geteuid() != 0:
        sys.exit("run.py: run as root (mounts a tmpfs, drops caches, mounts FUSE)")
    if not shutil.which("fio"):
        sys.exit("run.py: fio missing (tools/setup.sh installs it)")
    cfg = dict(MODES[a.mode])
    if a.rounds:
        cfg.update(rounds=a.rounds, min_rounds=a.rounds, budget_s=0)
    cfg["mount_retries"] = a.retry_mount
    variants = {}
    for v in a.variant:
        name, _, rest = v.partition("=")
        base, _, kvs = rest.partition(":")
        try:
            env_ = dict(kv.split("=", 1) for kv in kvs.split(",") if kv)
            add_variant(name, base, env_)
        except ValueError as e:
            sys.exit(f"run.py: --variant {v}: {e} (want NAME=BASE[:K=V,...])")
        variants[name] = base
    conts = [c for c in CONTENDERS if a.mode in c.modes.split()]
    if a.contenders:
        want = a.contenders.split(",")
        unknown = set(want) - set(ORDER)
        if unknown:
            sys.exit(f"run.py: unknown contenders {sorted(unknown)}; known: {ORDER}")
        conts = [c for c in CONTENDERS if c.name in want]
    conts += [c for c in CONTENDERS if c.name in variants and c not in conts]
    wls = [w for w in WORKLOADS if a.mode in w[3].split()]
    if a.workloads:
        want = a.workloads.split(",")
        unknown = set(want) - set(WL_ORDER)
        if unknown:
            sys.exit(f"run.py: unknown workloads {sorted(unknown)}; known: {WL_ORDER}")
        wls = [w for w in WORKLOADS if w[0] in want]
    # the md rows (md_create, md_stat_cold) come from one mdbench run per mount
    shown_wls = {w[0] for w in wls}
    md = [w for w in wls if w[1].startswith("md")]
    wls = [w for w in wls if not w[1].startswith("md") or w is md[0]]
    overrides = {}
    for o in a.contender_bin:
        name, _, path = o.partition("=")
        if name not in ORDER or not path:
            sys.exit(f"run.py: --contender-bin {o}: want NAME=PATH with a known NAME")
        overrides[name] = path
    date = time.strftime("%Y-%m-%d", time.gmtime())
    outdir = a.out or os.path.join(TOP, "benches/results", f"{date}-{a.mode}")
    os.makedirs(outdir, exist_ok=True)
    for stale in ("table.md", "raw.json", "env.txt", "chart.png"):
        if os.path.exists(os.path.join(outdir, stale)):
            os.remove(os.path.join(outdir, stale))
    for f in os.listdir(outdir):
        if f.startswith("daemon-") and f.endswith(".log"):
            os.remove(os.path.join(outdir, f))
    t0 = time.time()
    work = os.path.abspath(a.work)
    paths = dict(src314=a.libfuse314_src, build318=a.libfuse318_build,
                 ferro=a.ferro_lib or os.path.join(TOP, "build/lib"),
                 ferro_default=not a.ferro_lib)
    lib318 = os.path.join(paths["build318"], "lib")
    libs = {"LIB318": lib318, "FERRO": paths["ferro"]}

    def on_signal(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    try:
        bins = build_binaries(conts, paths)
        for c in conts:
            if c.bin:
                bins[c.name] = overrides.get(c.name, bins[c.bin])
                if not os.access(bins[c.name], os.X_OK):
                    raise Refuse(f"{c.name}: {bins[c.name]} is not an executable")
        uring_param = "/sys/module/fuse/parameters/enable_uring"
        if any("uring" in c.transport for c in conts):
            with open(uring_param, "w") as f:
                f.write("Y")
        env = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "mode": a.mode,
            "kernel": platform.release(), "cpus": os.cpu_count(),
            "fio": subprocess.run(["fio", "--version"], capture_output=True,
                                  text=True).stdout.strip(),
            "commit": subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"],
                                     capture_output=True, text=True).stdout.strip(),
            "enable_uring": open(uring_param).read().strip()
            if os.path.exists(uring_param) else "n/a",
            "perf_instructions": perf_instructions(),
            "libraries": {"lf314": lib_version(DEBIAN_LIB, "libfuse3.so.3")},
            "contenders": {
                c.name: dict(transport=c.transport,
                             binary=os.path.relpath(bins[c.name], TOP) if c.bin else None,
                             library=os.path.relpath(libs.get(c.lib, c.lib), TOP)
                             if c.lib and c.lib != DEBIAN_LIB else c.lib,
                             args=c.args.format(src="SRC", mnt="MNT"), env=c.env,
                             **({"variant_of": variants[c.name]} if c.name in variants else {}))
                for c in conts},
        }
        if any(c.lib == "LIB318" for c in conts):
            env["libraries"]["lf318"] = lib_version(lib318, "libfuse3.so.4") + \
                " (Debian source, meson)"
        if any(c.lib == "FERRO" for c in conts):
            env["libraries"]["ferro"] = "ferrofuse " + os.path.relpath(paths["ferro"], TOP) + \
                " " + lib_version(paths["ferro"], "libfuse3.so.4")
        src = os.path.join(work, "src")
        os.makedirs(src, exist_ok=True)
        if is_mounted(src):
            raise Refuse(f"{src} is mounted already: another run.py using --work {work}?")
        sh(["mount", "-t", "tmpfs", "-o", "size=6G", "ferrofuse-bench", src])
        tmpfs.append(src)
        # one file per job and direction, the same files for every contender
        fio_wls = [w for w in wls if not w[1].startswith("md")]
        for j in range(max(cfg["numjobs"]) if fio_wls else 0):
            for pre in {"wf" if "write" in w[1] else "rf" for w in fio_wls}:
                sh(["dd", "if=/dev/urandom", f"of={src}/{pre}.{j}.0", "bs=1M",
                    f"count={cfg['filemb']}", "status=none"])
        drop_caches(3)
        # a measurement's page cache: one file per job, read or written
        env["page_reporting"] = hold_free_pages(
            max(cfg["numjobs"]) * cfg["filemb"] * 2 + 512)
        log(f"free pages: {env['page_reporting']}")
        log(f"contenders: {[c.name for c in conts]}; workloads: {[w[0] for w in wls]}")
        results = []
        ring_seen = {}
        round_times = []
        planned = cfg["rounds"] * len(wls) * len(cfg["numjobs"]) * len(conts)
        retries = dict(left=int(planned * cfg.get("retry_share", 0)), used=0)
        for rnd in range(cfg["rounds"]):
            if rnd >= cfg["min_rounds"] and cfg["budget_s"]:
                projected = time.time() - t0 + statistics.mean(round_times)
                if projected > cfg["budget_s"]:
                    log(f"stopping after {rnd} rounds: round {rnd + 1} would end at "
                        f"{projected:.0f} s, past the {cfg['budget_s']} s budget")
                    break
            r0 = time.time()
            for wl, args, unit, _ in wls:
                for nj in cfg["numjobs"]:
                    k = rnd % len(conts)
                    # retries for a whole row or for none of it: every contender
                    # of a row is measured under the same rule
                    row_cfg = cfg if retries["left"] >= cfg["retries"] * len(conts) else \
                        dict(cfg, retries=0)
                    for c in conts[k:] + conts[:k]:
                        recs = measure_quiet(c, wl, args, unit, nj, rnd, bins,
                                             libs.get(c.lib, c.lib), src, work, outdir,
                                             row_cfg, ring_seen, retries)
                        for r in recs:
                            if r["workload"] in shown_wls:
                                results.append(r)
                                log(f"r{rnd} {r['workload']} nj={nj} {c.name}: "
                                    f"{fmt(r['value'])} {r['unit']}")
                            else:
                                results.append(dict(r, extra=True))
            round_times.append(time.time() - r0)
        cfg["rounds_done"] = len(round_times)
        cfg["retries_used"] = retries["used"]
        for c in conts:
            if "uring" in c.transport and c.bin and ring_seen.get(c.name) == 0:
                log(f"note: {c.name} held no io_uring instance: it ran on /dev/fuse")
        env["ring_fds"] = {c.name: ring_seen.get(c.name, 0) for c in conts if c.bin}
        env["mounts"] = dict(mount_counts)
        env["mount_failures"] = mount_failures
        env["elapsed_s"] = round(time.time() - t0)
        shown = [r for r in results if not r.get("extra")]
        raw = dict(env=env, config=cfg, results=shown,
                   extra_results=[r for r in results if r.get("extra")])
        with open(os.path.join(outdir, "raw.json"), "w") as f:
            json.dump(raw, f, indent=1)
        with open(os.path.join(outdir, "env.txt"), "w") as f:
            for k, v in env.items():
                f.write(f"{k}: {v}\n")
        print(render(raw, outdir, not a.no_chart))
        log(f"results in {outdir} ({env['elapsed_s']} s)")
    except Refuse as e:
        log(f"run.py: REFUSING TO REPORT: {e}")
        return 1
    except KeyboardInterrupt:
        log("run.py: interrupted")
        return 130
    finally:
        cleanup()
        release_free_pages()
    return 0


if __name__ == "__main__":
    sys.exit(main())
