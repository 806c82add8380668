//! FUSE-over-io-uring (issue 5), end to end, with examples/uring_probe_ll.c:
//! the ring really carries the requests (io_uring fds, `cqe unique` log
//! lines, the filesystem's own fuse_req_is_uring counts), the
//! single-threaded loop never overlaps callbacks, every off switch and every
//! forced set-up failure falls back to /dev/fuse with correct data, async
//! replies from short-lived threads, zero-copy payload replies and
//! interrupts work over the ring, teardown with requests in flight never
//! hangs, and libfuse 3.18's notify_store_retrieve runs without the
//! kernel's "unique mismatch".
//!
//! Every test that mounts holds `SERIAL` (some flip the kernel's
//! enable_uring, which every mount depends on), sets enable_uring=Y first,
//! as the harness would, and leaves it Y. Every wait is bounded and fails
//! the test when the bound is reached; nothing asserts on timing.

mod common;

use common::*;
use std::collections::HashMap;
use std::os::unix::fs::FileExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

const ENABLE_URING: &str = "/sys/module/fuse/parameters/enable_uring";
/// The bound of every wait.
const LIMIT: Duration = Duration::from_secs(20);

/// Byte size of r0..r7, /async and /payload.
const FILE_SIZE: usize = 256 * 1024;
const INO_R0: u64 = 2;
const INO_ASYNC: u64 = 11;
const INO_PAYLOAD: u64 = 12;

// ---------------------------------------------------------------------------
// Serialisation and the kernel switch.

static SERIAL: Mutex<()> = Mutex::new(());

/// This file's lock, held by every test that mounts. enable_uring is Y
/// while it is taken and again when it is dropped (also on a panic).
struct Serial {
    _guard: MutexGuard<'static, ()>,
}

impl Drop for Serial {
    fn drop(&mut self) {
        set_enable_uring(true);
    }
}

fn set_enable_uring(on: bool) -> bool {
    let want = if on { "Y" } else { "N" };
    std::fs::write(ENABLE_URING, want).is_ok()
        && std::fs::read_to_string(ENABLE_URING).is_ok_and(|s| s.trim() == want)
}

/// Takes the lock and sets enable_uring=Y. A kernel without
/// FUSE-over-io-uring fails the test (CI's machine has it; a skip would let
/// it pass untested) unless FERROFUSE_NO_URING_OK=1 says that is expected,
/// which skips the test with a note.
fn serial() -> Option<Serial> {
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !set_enable_uring(true) {
        assert!(
            std::env::var_os("FERROFUSE_NO_URING_OK").is_some(),
            "cannot set {ENABLE_URING}=Y: no FUSE-over-io-uring here (FERROFUSE_NO_URING_OK=1 skips)"
        );
        eprintln!("skipped: cannot set {ENABLE_URING}=Y (no FUSE-over-io-uring here)");
        return None;
    }
    Some(Serial { _guard: guard })
}

/// Queues the kernel makes: one per possible CPU.
fn possible_cpus() -> usize {
    let s = std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap();
    s.trim()
        .split(',')
        .filter_map(|p| p.rsplit('-').next()?.parse::<usize>().ok())
        .max()
        .unwrap()
        + 1
}

// ---------------------------------------------------------------------------
// Bounded waits.

/// Runs `f` on a thread of its own and fails the test if it has not
/// finished within LIMIT (a filesystem call that hangs stays behind,
/// blocked, until the daemon is killed on the way out).
fn bounded<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(LIMIT) {
        Ok(r) => r,
        Err(RecvTimeoutError::Timeout) => panic!("{what}: not done within {LIMIT:?}"),
        Err(RecvTimeoutError::Disconnected) => panic!("{what}: failed (see above)"),
    }
}

/// Gives a process about to be started the default action for the signals
/// the tests send, whatever this process inherited (a shell running us in
/// the background ignores SIGINT, and an ignored signal stays ignored
/// across exec: a reader would not die of it, and libfuse-style daemons
/// install their handlers only over the default action).
fn default_signals(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: signal(2) is async-signal-safe, as pre_exec requires.
    unsafe {
        cmd.pre_exec(|| {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
                libc::signal(sig, libc::SIG_DFL);
            }
            Ok(())
        })
    }
}

/// Polls `cond` every 10 ms until it holds; fails the test after LIMIT.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !cond() {
        assert!(Instant::now() < deadline, "{what}: not within {LIMIT:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

// ---------------------------------------------------------------------------
// The probe and its daemon.

/// examples/uring_probe_ll.c, compiled once against our headers and library.
fn probe_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = scratch("uring-probe-build");
        let bin = dir.join("uring_probe_ll");
        cc_ferrofuse(
            &[&top().join("examples/uring_probe_ll.c")],
            &bin,
            &["-Wextra", "-Werror"],
        );
        bin
    })
}

fn mode(mt: bool) -> &'static str {
    if mt {
        "mt"
    } else {
        "st"
    }
}

/// Extra daemon arguments and environment of a test case.
type Args = &'static [&'static str];
type Env = &'static [(&'static str, &'static str)];

/// The probe's arguments for a loop mode, always with `-d`.
fn probe_args(mt: bool, extra: &[&'static str]) -> Vec<&'static str> {
    let mut a = vec!["-d"];
    if !mt {
        a.push("-s");
    }
    a.extend_from_slice(extra);
    a
}

/// A filesystem daemon under test, its mount point and log, and the helper
/// processes a test started against it. Dropping it SIGKILLs the daemon
/// (then the helpers, which the dead connection frees) and lazily unmounts.
struct Daemon {
    child: Child,
    pid: i32,
    mnt: PathBuf,
    log: PathBuf,
    tag: String,
    kids: Vec<Child>,
    _unmount: UnmountGuard,
}

impl Daemon {
    /// Starts `bin args MNT` in scratch dir `name`, with the io-uring
    /// environment variables cleared, then `env`; waits for the mount.
    fn start(name: &str, bin: &Path, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        let base = profile_dir().join("test-scratch").join(name);
        assert!(
            remove_tree_unmounted(&base),
            "{}: a mount survives from an earlier run",
            base.display()
        );
        let dir = scratch(name);
        let mnt = dir.join("mnt");
        std::fs::create_dir_all(&mnt).unwrap();
        let log = dir.join("daemon.log");
        let tag = format!("uring-{name}-{}", std::process::id());
        let out = std::fs::File::create(&log).unwrap();
        let unmount = UnmountGuard(mnt.clone());
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .arg(&mnt)
            .env("LD_LIBRARY_PATH", lib_dir())
            .env("FERROFUSE_TAG", &tag)
            .env_remove("FUSE_URING_ENABLE")
            .env_remove("FUSE_URING_QUEUE_DEPTH")
            .env_remove("FERROFUSE_URING_FAIL")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = default_signals(&mut cmd).spawn().unwrap();
        let mut d = Daemon {
            pid: child.id() as i32,
            child,
            mnt,
            log,
            tag,
            kids: Vec::new(),
            _unmount: unmount,
        };
        match wait_mounted(&mut d.child, &d.mnt, LIMIT) {
            Ok(()) => {}
            Err(Some(st)) => panic!(
                "{name}: daemon exited ({st}) before mounting:\n{}",
                d.tail()
            ),
            Err(None) => panic!("{name}: no mount\n{}", d.tail()),
        }
        d
    }

    fn probe(name: &str, mt: bool, extra: &[&'static str], env: &[(&str, &str)]) -> Daemon {
        let name = format!("{name}-{}", mode(mt));
        Daemon::start(&name, probe_bin(), &probe_args(mt, extra), env)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.mnt.join(name)
    }

    fn log_text(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    fn tail(&self) -> String {
        tail_of(&self.log, 40)
    }

    /// The probe's /stats as numbers.
    fn stats(&self) -> HashMap<String, i64> {
        let p = self.path("stats");
        let text = bounded("read stats", move || std::fs::read_to_string(p).unwrap());
        text.lines()
            .filter_map(|l| {
                let (k, v) = l.split_once('=')?;
                Some((k.to_string(), v.parse().ok()?))
            })
            .collect()
    }

    /// Where the daemon's fds point.
    fn fd_targets(&self) -> Vec<String> {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_link(e.path()).ok())
            .map(|t| t.display().to_string())
            .collect()
    }

    fn uring_fds(&self) -> usize {
        self.fd_targets()
            .iter()
            .filter(|t| *t == "anon_inode:[io_uring]")
            .count()
    }

    /// Names of the daemon's threads.
    fn threads(&self) -> Vec<String> {
        std::fs::read_dir(format!("/proc/{}/task", self.pid))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path().join("comm")).ok())
            .map(|c| c.trim().to_string())
            .collect()
    }

    fn ring_threads(&self) -> usize {
        self.threads()
            .iter()
            .filter(|c| c.starts_with("fuse-ring-"))
            .count()
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    fn signal(&self, sig: i32) {
        // SAFETY: signalling our own child, which has not been reaped.
        unsafe { libc::kill(self.pid, sig) };
    }

    /// Waits for the daemon to exit by itself.
    fn wait_exit(&mut self, why: &str) -> ExitStatus {
        match wait_for(&mut self.child, LIMIT) {
            Some(st) => st,
            None => panic!("daemon did not exit {why}:\n{}", self.tail()),
        }
    }

    /// A /proc/PID/status figure in KiB (VmRSS, VmHWM).
    fn vm_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap();
        let line = status
            .lines()
            .find(|l| l.starts_with(&format!("{field}:")))
            .unwrap_or_else(|| panic!("no {field} in:\n{status}"));
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// `fusermount3 -u`, then the daemon must exit 0 and the mount be gone.
    fn unmount(&mut self) {
        let out = Command::new("timeout")
            .args(["-k", "5", "20", "fusermount3", "-u"])
            .arg(&self.mnt)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "fusermount3 -u: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let st = self.wait_exit("after fusermount3 -u");
        assert!(st.success(), "daemon exit {st}:\n{}", self.tail());
        assert!(!is_mounted(&self.mnt));
    }

    /// Starts a helper process (tagged, output discarded) and keeps it.
    fn spawn_kid(&mut self, cmd: &mut Command) -> usize {
        let kid = default_signals(cmd)
            .env("FERROFUSE_TAG", &self.tag)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.kids.push(kid);
        self.kids.len() - 1
    }

    /// A process reading /block, parked in the filesystem until interrupted.
    fn spawn_blocked_reader(&mut self) -> usize {
        let p = self.path("block");
        self.spawn_kid(Command::new("cat").arg(p))
    }

    /// A shell loop running `what file` until it fails.
    fn spawn_loop(&mut self, what: &str, file: &str) -> usize {
        let p = self.path(file);
        self.spawn_kid(
            Command::new("sh")
                .arg("-c")
                .arg(format!("while {what} \"$1\" >/dev/null 2>&1; do :; done"))
                .arg("sh")
                .arg(p),
        )
    }

    /// Every helper must end by itself within LIMIT.
    fn wait_kids(&mut self, why: &str) {
        for (i, k) in self.kids.iter_mut().enumerate() {
            assert!(
                wait_for(k, LIMIT).is_some(),
                "helper {i} (pid {}) hung {why}",
                k.id()
            );
        }
    }

    /// Occurrences of a `-d` log line fragment.
    fn log_count(&self, needle: &str) -> usize {
        self.log_text().matches(needle).count()
    }

    /// No process started by this test is left (zombies aside).
    fn assert_no_leftovers(&self) {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = tagged_processes(&self.tag);
            if left.is_empty() {
                return;
            }
            assert!(Instant::now() < deadline, "left behind: {left:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = wait_for(&mut self.child, Duration::from_secs(10));
        }
        for k in &mut self.kids {
            let _ = k.kill();
        }
        for k in &mut self.kids {
            let _ = wait_for(k, Duration::from_secs(5));
        }
    }
}

// ---------------------------------------------------------------------------
// Data.

/// Byte `off` of the probe's pattern file `ino`.
fn pattern(ino: u64, off: usize) -> u8 {
    ((off % 251) as u64 + 17 * ino) as u8
}

fn pattern_vec(ino: u64, off: usize, len: usize) -> Vec<u8> {
    (off..off + len).map(|o| pattern(ino, o)).collect()
}

fn assert_same(what: &str, got: &[u8], want: &[u8]) {
    if got != want {
        let at = got.iter().zip(want).position(|(a, b)| a != b);
        panic!(
            "{what}: {} bytes read, {} expected, first difference at {at:?}",
            got.len(),
            want.len()
        );
    }
}

/// Reads `name` (pattern file `ino`) whole and checks every byte.
fn check_pattern_file(d: &Daemon, name: &str, ino: u64) {
    let p = d.path(name);
    let what = format!("read {}", p.display());
    let got = bounded(&what, move || std::fs::read(p).unwrap());
    assert_same(&what, &got, &pattern_vec(ino, 0, FILE_SIZE));
}

/// `threads` readers at once, reader i reading file `files[i % len]`
/// whole `rounds` times, every byte checked.
fn parallel_reads(d: &Daemon, files: &[(&str, u64)], threads: usize, rounds: usize) {
    let jobs: Vec<(PathBuf, u64)> = (0..threads)
        .map(|i| {
            let (n, ino) = files[i % files.len()];
            (d.path(n), ino)
        })
        .collect();
    bounded("parallel reads", move || {
        let want: HashMap<u64, Vec<u8>> = jobs
            .iter()
            .map(|&(_, ino)| (ino, pattern_vec(ino, 0, FILE_SIZE)))
            .collect();
        std::thread::scope(|s| {
            for (p, ino) in &jobs {
                let want = &want[ino];
                s.spawn(move || {
                    for _ in 0..rounds {
                        let got = std::fs::read(p).unwrap();
                        assert_same(&p.display().to_string(), &got, want);
                    }
                });
            }
        });
    });
}

/// Deterministic pseudo-random bytes.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Writes `len` bytes to /rw, reads them back and compares.
fn write_read_back(d: &Daemon, len: usize) {
    write_read_back_on(d, len, None);
}

/// As [`write_read_back`], from a thread pinned to `cpu` if given (the
/// kernel queues a request on the queue of the CPU it was made on).
fn write_read_back_on(d: &Daemon, len: usize, cpu: Option<usize>) {
    let p = d.path("rw");
    let data = noise(len, len as u64 + 0x9e37);
    let back = {
        let data = data.clone();
        bounded("write and read back /rw", move || {
            if let Some(cpu) = cpu {
                pin(cpu);
            }
            std::fs::write(&p, &data).unwrap();
            std::fs::read(&p).unwrap()
        })
    };
    assert_same("read back /rw", &back, &data);
}

/// Pins the calling thread to `cpu`.
fn pin(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t with one CPU set; pins this thread only.
    let r = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    assert_eq!(
        r,
        0,
        "pin to CPU {cpu}: {}",
        std::io::Error::last_os_error()
    );
}

/// The online CPUs.
fn online_cpus() -> Vec<usize> {
    let s = std::fs::read_to_string("/sys/devices/system/cpu/online").unwrap();
    s.trim()
        .split(',')
        .flat_map(|p| {
            let (a, b) = p.split_once('-').unwrap_or((p, p));
            a.parse::<usize>().unwrap()..=b.parse::<usize>().unwrap()
        })
        .collect()
}

/// The standard workload: lookups of every file, a write read back, the
/// pattern files read.
fn workload(d: &Daemon, write_len: usize) {
    for n in [
        "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "rw", "async", "payload", "block", "stats",
    ] {
        let p = d.path(n);
        bounded("stat", move || std::fs::metadata(p).unwrap());
    }
    let p = d.path("nonexistent");
    let err = bounded("stat nonexistent", move || {
        std::fs::metadata(p).unwrap_err().kind()
    });
    assert_eq!(err, std::io::ErrorKind::NotFound);
    write_read_back(d, write_len);
    check_pattern_file(d, "r0", INO_R0);
    check_pattern_file(d, "async", INO_ASYNC);
    check_pattern_file(d, "payload", INO_PAYLOAD);
}

/// The evidence that requests went over the ring.
fn assert_on_ring(d: &Daemon) {
    let st = d.stats();
    assert!(st["ring_requests"] > 0, "{st:?}");
    assert_eq!(st["this_read_uring"], 1, "{st:?}");
    assert!(d.uring_fds() >= 1, "no io_uring fd: {:?}", d.fd_targets());
    assert!(d.log_text().contains("cqe unique: "), "{}", d.tail());
}

/// The evidence that everything went over /dev/fuse.
fn assert_on_dev(d: &Daemon) {
    let st = d.stats();
    assert_eq!(st["ring_requests"], 0, "{st:?}");
    assert_eq!(st["this_read_uring"], 0, "{st:?}");
    assert_eq!(st["zero_copy_replies"], 0, "{st:?}");
    assert!(st["dev_requests"] > 0, "{st:?}");
    assert_eq!(d.uring_fds(), 0, "{:?}", d.fd_targets());
    assert_eq!(d.ring_threads(), 0, "{:?}", d.threads());
    let log = d.log_text();
    assert!(!log.contains("cqe unique"), "{log}");
    assert!(log.contains("dev unique: "), "{log}");
}

// ---------------------------------------------------------------------------
// The kernel log.

fn dmesg() -> Option<Vec<String>> {
    let out = Command::new("timeout")
        .args(["10", "dmesg"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

/// Kernel log lines about FUSE request mismatches or io-uring warnings that
/// appeared since `before` (None: dmesg unreadable, nothing to check).
fn new_fuse_complaints(before: &Option<Vec<String>>) -> Option<Vec<String>> {
    let before: std::collections::HashSet<&String> = before.as_ref()?.iter().collect();
    let after = dmesg()?;
    Some(
        after
            .into_iter()
            .filter(|l| !before.contains(l))
            .filter(|l| l.contains("unique mismatch") || l.contains("fs/fuse/"))
            .collect(),
    )
}

// ---------------------------------------------------------------------------
// 1. The ring carries the requests.

fn ring_carries(mt: bool) {
    let Some(_s) = serial() else { return };
    let d = Daemon::probe("uring-carries", mt, &[], &[]);
    workload(&d, 1 << 20);
    // Eight readers at once, each on its own file; every read sleeps.
    let files: Vec<(String, u64)> = (0..8).map(|i| (format!("r{i}"), INO_R0 + i)).collect();
    let files: Vec<(&str, u64)> = files.iter().map(|(n, i)| (n.as_str(), *i)).collect();
    parallel_reads(&d, &files, 8, 6);
    assert_on_ring(&d);
    let st = d.stats();
    // Every callback's request came over the ring: after INIT the kernel
    // sends everything but FORGET/INTERRUPT there.
    assert_eq!(st["dev_requests"], 0, "{st:?}");
    let queues = possible_cpus();
    let log = d.log_text();
    assert!(log.contains("starting io-uring q-depth=8"), "{log}");
    assert!(
        log.contains(&format!("fuse: io-uring: {queues} queues x 8 entries")),
        "{log}"
    );
    if mt {
        // fuse_parse_cmdline's default max_threads is 10.
        let rings = queues.min(10);
        assert_eq!(d.ring_threads(), rings, "{:?}", d.threads());
        assert_eq!(d.uring_fds(), rings, "{:?}", d.fd_targets());
        eprintln!(
            "mt: max concurrency {} with {rings} ring threads",
            st["max_concurrency"]
        );
    } else {
        assert_eq!(
            st["max_concurrency"], 1,
            "callbacks overlapped under fuse_session_loop: {st:?}"
        );
        assert_eq!(d.ring_threads(), 0, "{:?}", d.threads());
        assert_eq!(d.uring_fds(), 1, "{:?}", d.fd_targets());
    }
    let mut d = d;
    d.unmount();
}

#[test]
fn ring_carries_requests_single_threaded() {
    ring_carries(false);
}

#[test]
fn ring_carries_requests_multi_threaded() {
    ring_carries(true);
}

// ---------------------------------------------------------------------------
// 2. Off switches.

#[test]
fn off_switches_keep_dev_fuse() {
    let Some(_s) = serial() else { return };
    type Case = (&'static str, bool, Args, Env, bool);
    let cases: [Case; 5] = [
        ("uring-off-opt", true, &["-o", "no_io_uring"], &[], true),
        ("uring-off-opt", false, &["-o", "no_io_uring"], &[], true),
        (
            "uring-off-env",
            false,
            &[],
            &[("FUSE_URING_ENABLE", "0")],
            true,
        ),
        ("uring-off-param", false, &[], &[], false),
        ("uring-off-param", true, &[], &[], false),
    ];
    for (name, mt, extra, env, kernel_on) in cases {
        assert!(set_enable_uring(kernel_on));
        let mut d = Daemon::probe(name, mt, extra, env);
        workload(&d, 1 << 20);
        assert_on_dev(&d);
        let log = d.log_text();
        assert!(!log.contains("starting io-uring"), "{name}: {log}");
        if kernel_on {
            assert!(log.contains("fuse: io-uring: off"), "{name}: {log}");
        }
        d.unmount();
        assert!(set_enable_uring(true));
    }
}

/// libfuse's own switches (`-o io_uring`, FUSE_URING_ENABLE=1) keep it on,
/// and `max_threads` bounds the ring threads (one ring then serves every
/// queue), also with `clone_fd`.
#[test]
fn on_switches_and_thread_limit() {
    let Some(_s) = serial() else { return };
    let cases: [(&str, bool, Args, Env, usize); 3] = [
        ("uring-on-opt", false, &["-o", "io_uring"], &[], 0),
        ("uring-on-env", true, &[], &[("FUSE_URING_ENABLE", "1")], 0),
        (
            "uring-max-threads-1",
            true,
            &["-o", "max_threads=1", "-o", "clone_fd"],
            &[],
            1,
        ),
    ];
    for (name, mt, extra, env, rings) in cases {
        let mut d = Daemon::probe(name, mt, extra, env);
        workload(&d, 1 << 20);
        assert_on_ring(&d);
        if rings > 0 {
            assert_eq!(d.ring_threads(), rings, "{name}: {:?}", d.threads());
            assert_eq!(d.uring_fds(), rings, "{name}: {:?}", d.fd_targets());
            let log = d.log_text();
            assert!(log.contains(", 1 ring thread, "), "{log}");
            // Several readers at once through the one ring.
            parallel_reads(&d, &[("r0", INO_R0), ("r1", INO_R0 + 1)], 8, 3);
        }
        d.unmount();
    }
}

// ---------------------------------------------------------------------------
// 3. Forced set-up failures fall back to /dev/fuse.

#[test]
fn forced_failures_fall_back() {
    let Some(_s) = serial() else { return };
    let enomem = "fuse: failed to start io-uring: Cannot allocate memory";
    let eagain = "fuse: failed to start io-uring: Resource temporarily unavailable";
    let cases: [(&str, bool, &str); 7] = [
        ("ring", false, enomem),
        ("ring", true, enomem),
        ("alloc", false, enomem),
        ("alloc", true, enomem),
        ("thread", true, eagain),
        ("register", false, "register failed: Invalid argument"),
        ("register", true, "register failed: Invalid argument"),
    ];
    for (point, mt, line) in cases {
        let mut d = Daemon::probe(
            &format!("uring-fail-{point}"),
            mt,
            &[],
            &[("FERROFUSE_URING_FAIL", point)],
        );
        workload(&d, 4 << 20);
        let log = d.log_text();
        assert!(log.contains(line), "{point} {}: {log}", mode(mt));
        if point == "register" {
            // The rings exist, but the kernel refused them: /dev/fuse.
            assert!(log.contains("fuse: io-uring: qid "), "{log}");
            let st = d.stats();
            assert_eq!(st["ring_requests"], 0, "{st:?}");
            assert!(st["dev_requests"] > 0, "{st:?}");
            assert!(!log.contains("cqe unique"), "{log}");
        } else {
            assert_on_dev(&d);
        }
        d.unmount();
    }
}

// ---------------------------------------------------------------------------
// 4. Queue depth.

#[test]
fn queue_depth_zero_is_refused_and_two_works() {
    let Some(_s) = serial() else { return };
    let zero: [(bool, Args, Env); 2] = [
        (false, &["-o", "io_uring_q_depth=0"], &[]),
        (true, &[], &[("FUSE_URING_QUEUE_DEPTH", "0")]),
    ];
    for (mt, extra, env) in zero {
        let mut d = Daemon::probe("uring-depth-0", mt, extra, env);
        workload(&d, 1 << 20);
        let log = d.log_text();
        assert!(
            log.contains("fuse: io-uring queue depth must be > 0"),
            "{log}"
        );
        assert_on_dev(&d);
        d.unmount();
    }
    let two: [(bool, Args, Env); 2] = [
        (true, &["-o", "io_uring_q_depth=2"], &[]),
        (false, &[], &[("FUSE_URING_QUEUE_DEPTH", "2")]),
    ];
    let queues = possible_cpus();
    for (mt, extra, env) in two {
        let mut d = Daemon::probe("uring-depth-2", mt, extra, env);
        let files: Vec<(String, u64)> = (0..8).map(|i| (format!("r{i}"), INO_R0 + i)).collect();
        let mut files: Vec<(&str, u64)> = files.iter().map(|(n, i)| (n.as_str(), *i)).collect();
        files.push(("async", INO_ASYNC));
        files.push(("payload", INO_PAYLOAD));
        parallel_reads(&d, &files, 16, 4);
        write_read_back(&d, 2 << 20);
        let log = d.log_text();
        assert!(log.contains("starting io-uring q-depth=2"), "{log}");
        assert!(
            log.contains(&format!("fuse: io-uring: {queues} queues x 2 entries")),
            "{log}"
        );
        assert_on_ring(&d);
        d.unmount();
    }
}

// ---------------------------------------------------------------------------
// 5. Async replies from short-lived foreign threads.

/// Payload memory follows the load: a filesystem that answers in its
/// callbacks, served 1 MiB requests one at a time, keeps the two entries
/// per queue it starts with (of 8), and the daemon's resident memory grows
/// by a fraction of the 8 x 1 MiB payloads per queue the depth allows
/// (all of which a full registration touched, the kernel using entries in
/// turn).
#[test]
fn entries_are_registered_as_the_load_needs() {
    let Some(_s) = serial() else { return };
    let queues = possible_cpus() as u64;
    for mt in [false, true] {
        let mut d = Daemon::probe("uring-lazy", mt, &[], &[]);
        let before = d.vm_kib("VmRSS");
        for _ in 0..8 {
            write_read_back(&d, 1 << 20);
        }
        let grown_kib = d.vm_kib("VmHWM").saturating_sub(before);
        d.unmount();
        let log = d.log_text();
        let line = log
            .lines()
            .find(|l| l.contains("entries registered per queue (of 8): "))
            .unwrap_or_else(|| panic!("no ring summary in:\n{log}"));
        let counts: Vec<u32> = line
            .rsplit(": ")
            .next()
            .unwrap()
            .split(", ")
            .map(|c| c.parse().unwrap())
            .collect();
        assert_eq!(counts.len() as u64, queues, "{line}");
        assert!(counts.iter().all(|&c| c == 2), "{}: {line}", mode(mt));
        // Two 1 MiB payloads per queue, plus 2 MiB for everything else;
        // with huge pages the two share one 2 MiB page.
        assert!(
            grown_kib <= queues * 2 * 1024 + 2048,
            "{}: resident memory grew by {grown_kib} KiB; {line}",
            mode(mt)
        );
    }
}

/// KiB of anonymous memory in huge pages in process `pid`.
fn anon_huge_kib(pid: i32) -> u64 {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap();
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("AnonHugePages:"))
        .map(|v| v.trim().trim_end_matches("kB").trim().parse().unwrap())
        .unwrap_or(0)
}

fn thp_mode() -> Option<String> {
    std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").ok()
}

fn thp_fault_fallbacks() -> u64 {
    let v = std::fs::read_to_string("/proc/vmstat").unwrap();
    v.lines()
        .find_map(|l| l.strip_prefix("thp_fault_fallback "))
        .map_or(0, |n| n.trim().parse().unwrap())
}

/// Ring payloads lie on huge pages once the entries sharing one (the same
/// entry of neighbouring queues) all carried a big request: after 1 MiB
/// requests over the ring from every online CPU the daemon holds huge
/// pages, at most one per pair of queues and entry registered (two
/// each); from one CPU, or after 256 KiB requests, over /dev/fuse, or
/// with FERROFUSE_HUGEPAGES=0, none (THP in `madvise` mode: then nothing
/// else of the daemon's asks for them). The filesystem's 4 MiB max_write
/// reaches the kernel capped at the requests it makes.
#[test]
fn big_payloads_are_on_huge_pages() {
    let Some(_s) = serial() else { return };
    let Some(mode_line) = thp_mode().filter(|m| m.contains("[madvise]")) else {
        eprintln!(
            "transparent huge pages not in madvise mode: {:?}",
            thp_mode()
        );
        return;
    };
    // (256 KiB requests, as readahead sends, earn no huge pages.)
    // What reaches the kernel of the probe's 4 MiB max_write.
    let limit: usize = std::fs::read_to_string("/proc/sys/fs/fuse/max_pages_limit")
        .map_or(256, |s| s.trim().parse().unwrap());
    let max_write = (4usize << 20).min(limit * 4096);
    let cpus = online_cpus();
    let cases: [(&str, Env, usize, &[usize], bool); 5] = [
        // (A payload of more than half a huge page has one to itself.)
        ("ring", &[], 1 << 20, &cpus, true),
        (
            "one-cpu",
            &[],
            1 << 20,
            &cpus[..1],
            cpus.len() == 1 || max_write > 1 << 20,
        ),
        ("middling", &[], 256 << 10, &cpus, false),
        ("dev", &[("FUSE_URING_ENABLE", "0")], 1 << 20, &cpus, false),
        (
            "off",
            &[("FERROFUSE_HUGEPAGES", "0")],
            1 << 20,
            &cpus,
            false,
        ),
    ];
    for (case, env, size, on, huge) in cases {
        let mut d = Daemon::probe(&format!("uring-huge-{case}"), true, &[], env);
        let fallbacks = thp_fault_fallbacks();
        for _ in 0..4 {
            for &cpu in on {
                write_read_back_on(&d, size, Some(cpu));
            }
        }
        let kib = anon_huge_kib(d.pid);
        let fell_back = thp_fault_fallbacks() > fallbacks;
        d.unmount();
        let log = d.log_text();
        assert!(
            log.contains(&format!("   max_write=0x{max_write:08x}\n")),
            "{case}: max_write not {max_write} in:\n{log}"
        );
        if case == "ring" && max_write == 1 << 20 {
            assert!(
                log.contains(
                    "payload 1048576 bytes (2 entries to a huge page, given once each \
                     carried more than 512 KiB)"
                ),
                "{case}: no huge page note in:\n{log}"
            );
            // At most the two entries registered per queue, in pairs.
            let queues = possible_cpus() as u64;
            assert!(kib <= queues * 2048, "{case}: {kib} KiB in huge pages");
        }
        if case == "off" {
            assert!(!log.contains("huge pages"), "{case}:\n{log}");
        }
        if huge {
            // The kernel may have had no free huge page (it counts that).
            assert!(
                kib >= 2048 || fell_back,
                "{case}: {kib} KiB in huge pages ({mode_line})"
            );
        } else {
            assert_eq!(kib, 0, "{case}: {kib} KiB in huge pages");
        }
    }
}

/// The scheduling policy of process `pid`'s thread named `comm` (field 41
/// of its stat), if it has such a thread.
fn thread_policy(pid: i32, comm: &str) -> Option<u32> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    dir.flatten().find_map(|e| {
        let c = std::fs::read_to_string(e.path().join("comm")).ok()?;
        if c.trim() != comm {
            return None;
        }
        let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
        stat.rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(38)?
            .parse()
            .ok()
    })
}

/// Ring threads yield their CPU at home (SCHED_IDLE), so that the
/// application they wake stays on its CPU; not with
/// FERROFUSE_URING_YIELD=0, nor when the daemon could not return from
/// SCHED_IDLE (no CAP_SYS_NICE).
#[test]
fn ring_threads_yield_at_home() {
    let Some(_s) = serial() else { return };
    if possible_cpus() < 2 {
        eprintln!("one CPU: ring threads have no placement");
        return;
    }
    /// Case name, setpriv's arguments to run the daemon under, its
    /// environment, and why it does not yield (None: it does).
    type Case = (&'static str, Option<Args>, Env, Option<&'static str>);
    const SETPRIV: Args = &["--bounding-set", "-sys_nice", "--inh-caps", "-sys_nice"];
    let cases: [Case; 3] = [
        ("on", None, &[], None),
        (
            "off",
            None,
            &[("FERROFUSE_URING_YIELD", "0")],
            Some("FERROFUSE_URING_YIELD=0"),
        ),
        (
            "nocap",
            Some(SETPRIV),
            &[],
            Some("no permission to return from SCHED_IDLE"),
        ),
    ];
    for (case, wrap, env, refused) in cases {
        let name = format!("uring-yield-{case}");
        let mut d = match wrap {
            None => Daemon::start(&name, probe_bin(), &probe_args(true, &[]), env),
            Some(w) => {
                let mut args: Vec<&str> = w.to_vec();
                args.push(probe_bin().to_str().unwrap());
                args.extend(probe_args(true, &[]));
                Daemon::start(&name, Path::new("setpriv"), &args, env)
            }
        };
        const LEN: usize = 64 << 10;
        write_read_back(&d, LEN);
        // (INIT is answered, and the choice logged, by now.)
        let log = d.log_text();
        let want = match refused {
            None => "fuse: io-uring: ring threads yield their CPU at home (SCHED_IDLE)".to_string(),
            Some(why) => format!("fuse: io-uring: ring threads do not yield their CPU: {why}"),
        };
        assert!(log.contains(&want), "{case}: no '{want}' in:\n{log}");
        // 4 KiB reads of /rw, one at a time, from CPU 0: queue 0, served
        // by fuse-ring-0 at home. Its policy is sampled between reads (it
        // is back to normal for a while if it waited for its CPU).
        let want = noise(LEN, LEN as u64 + 0x9e37);
        let p = d.path("rw");
        let pid = d.pid;
        let policies = bounded("reads from CPU 0", move || {
            pin(0);
            let f = std::fs::File::open(&p).unwrap();
            let mut buf = vec![0u8; 4096];
            let mut policies = Vec::new();
            for i in 0..2000usize {
                let off = (i * 4096) % LEN;
                f.read_exact_at(&mut buf, off as u64).unwrap();
                assert_same("read /rw", &buf, &want[off..off + 4096]);
                if i % 20 == 19 {
                    policies.push(thread_policy(pid, "fuse-ring-0").expect("fuse-ring-0"));
                    if policies.ends_with(&[libc::SCHED_IDLE as u32]) {
                        break;
                    }
                }
            }
            policies
        });
        let idle = policies.contains(&(libc::SCHED_IDLE as u32));
        assert_eq!(
            idle,
            refused.is_none(),
            "{case}: fuse-ring-0 policies {policies:?}"
        );
        d.unmount();
        let log = d.log_text();
        let stops = log
            .lines()
            .find(|l| l.contains("ring threads stopped yielding"));
        assert_eq!(stops.is_some(), refused.is_none(), "{case}:\n{log}");
    }
}

#[test]
fn async_replies_from_exiting_threads() {
    let Some(_s) = serial() else { return };
    for mt in [false, true] {
        let mut d = Daemon::probe("uring-async", mt, &[], &[]);
        // 16 readers x 8 rounds, every read answered by a thread that
        // exits right after: a commit submitted from it would make the
        // kernel's next delivery on that entry fail with -ECANCELED.
        parallel_reads(&d, &[("async", INO_ASYNC)], 16, 8);
        let st = d.stats();
        assert!(st["async_replies"] >= 16 * 8, "{st:?}");
        assert_eq!(st["async_failed"], 0, "{st:?}");
        assert!(d.alive(), "daemon died:\n{}", d.tail());
        assert_on_ring(&d);
        // And the filesystem still serves other files afterwards.
        check_pattern_file(&d, "r3", INO_R0 + 3);
        let log = d.log_text();
        assert!(!log.contains("fuse: io-uring: qid"), "{log}");
        assert!(!log.contains("fuse: io-uring: submit"), "{log}");
        d.unmount();
    }
}

// ---------------------------------------------------------------------------
// 6. Zero-copy replies through fuse_req_get_payload.

#[test]
fn zero_copy_payload_reply() {
    let Some(_s) = serial() else { return };
    for mt in [false, true] {
        let mut d = Daemon::probe("uring-payload", mt, &[], &[]);
        check_pattern_file(&d, "payload", INO_PAYLOAD);
        let p = d.path("payload");
        let (a, b) = bounded("pread /payload", move || {
            let f = std::fs::File::open(p).unwrap();
            let mut a = vec![0u8; 5000];
            let n = f.read_at(&mut a, 12345).unwrap();
            a.truncate(n);
            // The last bytes: a short read at the end of the file.
            let mut b = vec![0u8; 4096];
            let n = f.read_at(&mut b, (FILE_SIZE - 100) as u64).unwrap();
            b.truncate(n);
            (a, b)
        });
        assert_same("pread 12345", &a, &pattern_vec(INO_PAYLOAD, 12345, 5000));
        assert_same(
            "pread end",
            &b,
            &pattern_vec(INO_PAYLOAD, FILE_SIZE - 100, 100),
        );
        let st = d.stats();
        assert!(st["zero_copy_replies"] >= 3, "{st:?}");
        assert_on_ring(&d);
        d.unmount();
    }
}

// ---------------------------------------------------------------------------
// 7. Interrupts over the ring.

#[test]
fn interrupts_reach_ring_requests() {
    let Some(_s) = serial() else { return };
    let before = dmesg();
    for mt in [false, true] {
        let mut d = Daemon::probe("uring-interrupt", mt, &[], &[]);
        for sig in [libc::SIGINT, libc::SIGKILL] {
            let st0 = d.stats();
            let k = d.spawn_blocked_reader();
            wait_until("the reader parks in /block", || {
                d.stats()["blocked_now"] >= 1
            });
            let pid = d.kids[k].id() as i32;
            // SAFETY: signalling our own child.
            unsafe { libc::kill(pid, sig) };
            let st = wait_for(&mut d.kids[k], LIMIT)
                .unwrap_or_else(|| panic!("reader hung after signal {sig} ({})", mode(mt)));
            assert_eq!(st.signal(), Some(sig), "{st}");
            let st1 = d.stats();
            assert_eq!(st1["interrupts"], st0["interrupts"] + 1, "{st1:?}");
            assert_eq!(st1["blocked_now"], 0, "{st1:?}");
            assert_eq!(st1["blocked_ring"], st0["blocked_ring"] + 1, "{st1:?}");
            // The filesystem keeps serving.
            check_pattern_file(&d, "r1", INO_R0 + 1);
        }
        assert!(d.log_text().contains("opcode: INTERRUPT"), "{}", d.tail());
        assert_on_ring(&d);
        d.unmount();
    }
    if let Some(lines) = new_fuse_complaints(&before) {
        assert!(lines.is_empty(), "kernel log: {lines:#?}");
    } else {
        eprintln!("dmesg unreadable: kernel log not checked");
    }
}

// ---------------------------------------------------------------------------
// 8. Teardown with requests in flight.

/// Load on the mount: `blocked` readers parked in /block, a cat loop and a
/// stat loop; returns once all of it is under way.
fn load(d: &mut Daemon, blocked: i64) {
    for _ in 0..blocked {
        d.spawn_blocked_reader();
    }
    d.spawn_loop("cat", "r0");
    d.spawn_loop("stat", "r1");
    wait_until("readers parked", || d.stats()["blocked_now"] >= blocked);
    wait_until("the read loop runs", || {
        d.log_count("opcode: READ (15), nodeid: 2,") >= 10
    });
}

#[test]
fn teardown_killed_daemon() {
    let Some(_s) = serial() else { return };
    for mt in [false, true] {
        let mut d = Daemon::probe("uring-kill", mt, &[], &[]);
        load(&mut d, 2);
        assert!(d.uring_fds() >= 1);
        d.signal(libc::SIGKILL);
        let st = d.wait_exit("after SIGKILL");
        assert_eq!(st.signal(), Some(libc::SIGKILL));
        d.wait_kids("after the daemon was killed");
        let out = Command::new("timeout")
            .args(["20", "stat"])
            .arg(&d.mnt)
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(124), "stat hung");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("Transport endpoint is not connected"), "{err}");
        let st = Command::new("timeout")
            .args(["20", "umount"])
            .arg(&d.mnt)
            .status()
            .unwrap();
        assert!(st.success(), "umount after the daemon was killed: {st}");
        assert!(!is_mounted(&d.mnt));
        d.assert_no_leftovers();
    }
}

#[test]
fn teardown_unmount_under_load() {
    let Some(_s) = serial() else { return };
    for mt in [false, true] {
        for lazy in [false, true] {
            let mut d = Daemon::probe(
                if lazy {
                    "uring-umount-l"
                } else {
                    "uring-fusermount-u"
                },
                mt,
                &[],
                &[],
            );
            load(&mut d, 0);
            if lazy {
                let st = Command::new("timeout")
                    .args(["20", "umount", "-l"])
                    .arg(&d.mnt)
                    .status()
                    .unwrap();
                assert!(st.success(), "umount -l: {st}");
            } else {
                // A plain unmount is refused while a reader has a file
                // open or is walking the path: retry until one lands.
                let deadline = Instant::now() + LIMIT;
                loop {
                    let out = Command::new("timeout")
                        .args(["20", "fusermount3", "-u"])
                        .arg(&d.mnt)
                        .output()
                        .unwrap();
                    if out.status.success() {
                        break;
                    }
                    let err = String::from_utf8_lossy(&out.stderr);
                    assert!(err.contains("busy"), "fusermount3 -u: {err}");
                    assert!(Instant::now() < deadline, "fusermount3 -u: always busy");
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            let st = d.wait_exit("after unmount under load");
            assert!(st.success(), "daemon exit {st}:\n{}", d.tail());
            d.wait_kids("after unmount");
            assert!(!is_mounted(&d.mnt));
            d.assert_no_leftovers();
        }
    }
}

#[test]
fn teardown_sigterm() {
    let Some(_s) = serial() else { return };
    for mt in [false, true] {
        let mut d = Daemon::probe("uring-term", mt, &[], &[]);
        load(&mut d, 2);
        d.signal(libc::SIGTERM);
        let st = d.wait_exit("after SIGTERM");
        assert_eq!(st.code(), Some(0), "daemon exit {st}:\n{}", d.tail());
        assert!(!is_mounted(&d.mnt));
        d.wait_kids("after SIGTERM");
        d.assert_no_leftovers();
    }
}

// ---------------------------------------------------------------------------
// 9. libfuse 3.18's notify_store_retrieve under io-uring.

#[test]
fn notify_store_retrieve_over_ring() {
    let bin = real_libfuse_build(Suite::Sid).join("example/notify_store_retrieve");
    let Some(_s) = serial() else { return };
    let before = dmesg();
    for mt in [false, true] {
        let mut args = vec!["-f", "-d", "--update-interval=1"];
        if !mt {
            args.push("-s");
        }
        let mut d = Daemon::start(&format!("uring-notify-{}", mode(mt)), &bin, &args, &[]);
        let p = d.path("current_time");
        // Kept open until the end: the example notifies only while the
        // kernel knows the inode, and an open file keeps it from being
        // evicted (and FORGET sent) by memory pressure or drop_caches.
        let (file, first) = bounded("open and read current_time", move || {
            let f = std::fs::File::open(p).unwrap();
            let mut buf = vec![0u8; 256];
            let n = f.read_at(&mut buf, 0).unwrap();
            buf.truncate(n);
            (f, String::from_utf8_lossy(&buf).into_owned())
        });
        assert!(first.starts_with("The current time is"), "{first:?}");
        // The updater stores and retrieves once a second while the file is
        // known; wait for a retrieve's answer to come back over the ring.
        wait_until("a NOTIFY_REPLY over the ring", || {
            d.log_text()
                .lines()
                .any(|l| l.starts_with("cqe unique: ") && l.contains("opcode: NOTIFY_REPLY"))
        });
        let again = bounded("read current_time again", move || {
            let mut buf = vec![0u8; 256];
            let n = file.read_at(&mut buf, 0).unwrap();
            buf.truncate(n);
            String::from_utf8_lossy(&buf).into_owned()
        });
        assert!(again.starts_with("The current time is"), "{again:?}");
        let log = d.log_text();
        for l in log.lines().filter(|l| l.contains("opcode: NOTIFY_REPLY")) {
            let unique: u64 = l
                .split("unique: ")
                .nth(1)
                .and_then(|r| r.split(',').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{l}"));
            assert_eq!(unique & 1, 0, "odd notify unique (the interrupt bit): {l}");
        }
        assert!(d.uring_fds() >= 1, "{:?}", d.fd_targets());
        // The example asserts at exit that a retrieve it sent was answered.
        d.unmount();
    }
    match new_fuse_complaints(&before) {
        Some(lines) => assert!(lines.is_empty(), "kernel log: {lines:#?}"),
        None => eprintln!("dmesg unreadable: kernel log not checked"),
    }
}
