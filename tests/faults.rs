//! Bad input and faults, against libfuse itself: the same libfuse 3.18
//! example binary runs once on real libfuse and once on ferrofuse (by
//! LD_LIBRARY_PATH), and must print the same messages and exit the same
//! way. A daemon killed with a mount in place leaves ENOTCONN behind and
//! nothing hangs.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Runs `bin args` on `libdir` under a timeout.
fn run_on(bin: &Path, args: &[&str], libdir: &Path) -> Output {
    Command::new("timeout")
        .args(["-k", "5", "30"])
        .arg(bin)
        .args(args)
        .env("LD_LIBRARY_PATH", libdir)
        .output()
        .unwrap()
}

fn real_318() -> PathBuf {
    real_libfuse_build(Suite::Sid)
}

/// stderr and exit status of the example on real libfuse and on ferrofuse.
fn compare(example: &str, args: &[&str]) -> (String, i32) {
    let build = real_318();
    let bin = build.join("example").join(example);
    let real = run_on(&bin, args, &build.join("lib"));
    let ours = run_on(&bin, args, lib_dir());
    let (rs, os) = (
        String::from_utf8_lossy(&real.stderr).into_owned(),
        String::from_utf8_lossy(&ours.stderr).into_owned(),
    );
    assert_eq!(os, rs, "{example} {args:?}: stderr differs");
    assert_eq!(
        String::from_utf8_lossy(&ours.stdout),
        String::from_utf8_lossy(&real.stdout),
        "{example} {args:?}: stdout differs"
    );
    assert_eq!(
        ours.status.code(),
        real.status.code(),
        "{example} {args:?}: exit status differs"
    );
    (os, ours.status.code().unwrap_or(-1))
}

#[test]
fn missing_mount_point() {
    let (err, code) = compare("hello_ll", &["-f", "/nonexistent/ferrofuse-mnt"]);
    assert!(err.contains("bad mount point"), "{err}");
    assert_ne!(code, 0);
}

#[test]
fn unknown_option() {
    let dir = scratch("faults-unknown-option");
    let mnt = dir.to_str().unwrap();
    let (err, code) = compare("hello_ll", &["-f", "-o", "no_such_option", mnt]);
    assert!(err.contains("unknown option"), "{err}");
    assert_ne!(code, 0);
}

#[test]
fn bad_option_value() {
    let dir = scratch("faults-bad-value");
    let mnt = dir.to_str().unwrap();
    let (err, code) = compare("hello_ll", &["-f", "-o", "max_read=lots", mnt]);
    assert!(err.contains("invalid parameter"), "{err}");
    assert_ne!(code, 0);
}

#[test]
fn no_mount_point() {
    let (_, code) = compare("hello_ll", &[]);
    assert_ne!(code, 0);
}

#[test]
fn killed_daemon_leaves_enotconn_and_nothing_hangs() {
    let build = real_318();
    let dir = scratch("faults-killed");
    let src = dir.join("src");
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&mnt).unwrap();
    std::fs::write(src.join("f"), vec![7u8; 1 << 20]).unwrap();
    let _guard = UnmountGuard(mnt.clone());
    let mut child = Command::new(build.join("example/passthrough_ll"))
        .args(["-f", "-o"])
        .arg(format!("source={}", src.display()))
        .arg(&mnt)
        .env("LD_LIBRARY_PATH", lib_dir())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !is_mounted(&mnt) {
        assert!(Instant::now() < deadline, "no mount");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Requests in flight while the daemon dies: a reader loops over the file.
    let mut reader = Command::new("timeout")
        .args(["30", "sh", "-c"])
        .arg(format!(
            "while cat {f} > /dev/null; do :; done; exit 0",
            f = mnt.join("f").display()
        ))
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    child.kill().unwrap();
    child.wait().unwrap();
    // The reader must end (with an error) by itself, well before its timeout.
    let st = reader.wait().unwrap();
    assert_ne!(st.code(), Some(124), "a reader hung after the daemon died");
    // A name never looked up, so the request must reach the connection
    // (the root's attributes may still be cached).
    let out = Command::new("timeout")
        .args(["20", "stat"])
        .arg(mnt.join("never-looked-up"))
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(124), "stat hung");
    // Over io-uring the kernel may end a request that meets the ring while
    // it is being torn down with ECONNABORTED instead of ENOTCONN (the same
    // kernel does so under libfuse 3.18 -o io_uring).
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Transport endpoint is not connected")
            || err.contains("Software caused connection abort"),
        "{err}"
    );
    let st = Command::new("timeout")
        .args(["20", "umount"])
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(st.success(), "umount after the daemon died failed");
    assert!(!is_mounted(&mnt));
}

/// SIGTERM, SIGINT and SIGHUP end the loop; the example unmounts and exits,
/// with the same status on ferrofuse as on real libfuse.
#[test]
fn signals_unmount_cleanly() {
    default_signal_dispositions();
    let build = real_318();
    for (i, sig) in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP]
        .into_iter()
        .enumerate()
    {
        for (tag, libdir) in [
            ("real", build.join("lib")),
            ("ours", lib_dir().to_path_buf()),
        ] {
            for mt in [false, true] {
                let mnt = scratch(&format!("faults-sig-{i}-{tag}-{mt}")).join("mnt");
                std::fs::create_dir_all(&mnt).unwrap();
                let _guard = UnmountGuard(mnt.clone());
                let mut args = vec!["-f"];
                if !mt {
                    args.push("-s");
                }
                let mut child = Command::new(build.join("example/hello_ll"))
                    .args(&args)
                    .arg(&mnt)
                    .env("LD_LIBRARY_PATH", &libdir)
                    .spawn()
                    .unwrap();
                let deadline = Instant::now() + Duration::from_secs(20);
                while !is_mounted(&mnt) {
                    assert!(Instant::now() < deadline, "no mount ({tag})");
                    std::thread::sleep(Duration::from_millis(20));
                }
                // SAFETY: signalling our own child.
                unsafe { libc::kill(child.id() as i32, sig) };
                let deadline = Instant::now() + Duration::from_secs(20);
                let mut next_nudge = Instant::now() + Duration::from_secs(1);
                let mut nudges = Vec::new();
                let status = loop {
                    if let Some(st) = child.try_wait().unwrap() {
                        break st;
                    }
                    if Instant::now() > deadline {
                        let _ = child.kill();
                        panic!("{tag}: daemon did not exit on signal {sig} (mt {mt})");
                    }
                    // Both libraries' loops check the exit flag and then
                    // block reading the device: a signal that lands between
                    // the two is seen at the next request. A stat now and
                    // then provides one, as any use of the mount would.
                    if Instant::now() > next_nudge {
                        next_nudge = Instant::now() + Duration::from_secs(1);
                        if let Ok(c) = Command::new("stat")
                            .arg(&mnt)
                            .stdout(std::process::Stdio::null())
                            .stderr(std::process::Stdio::null())
                            .spawn()
                        {
                            nudges.push(c);
                        }
                    }
                    std::thread::sleep(Duration::from_millis(20));
                };
                for mut c in nudges {
                    let _ = c.kill();
                    let _ = c.wait();
                }
                assert!(!is_mounted(&mnt), "{tag}: still mounted after signal {sig}");
                if tag == "real" {
                    std::fs::write(mnt.with_extension("status"), format!("{:?}", status.code()))
                        .unwrap();
                } else {
                    let real = std::fs::read_to_string(
                        scratch_path(&format!("faults-sig-{i}-real-{mt}")).join("mnt.status"),
                    )
                    .unwrap();
                    assert_eq!(format!("{:?}", status.code()), real, "signal {sig} mt {mt}");
                }
            }
        }
    }
}

/// The scratch directory `scratch(name)` made, without emptying it.
fn scratch_path(name: &str) -> PathBuf {
    profile_dir().join("test-scratch").join(name)
}

/// An ordinary user with no fusermount3 on PATH: the same message and exit
/// status as real libfuse (here /dev/fuse is root's only, so both stop there).
#[test]
fn non_root_without_fusermount3() {
    let build = real_318();
    let mnt = scratch("faults-nonroot").join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let _guard = UnmountGuard(mnt.clone());
    let c = std::ffi::CString::new(mnt.to_str().unwrap()).unwrap();
    // SAFETY: chmod of our own scratch directory, a valid C path.
    unsafe { libc::chmod(c.as_ptr(), 0o777) };
    let run_as_nobody = |libdir: &Path| {
        Command::new("timeout")
            .args([
                "-k",
                "5",
                "20",
                "setpriv",
                "--reuid=nobody",
                "--regid=nogroup",
            ])
            .args(["--clear-groups", "env", "-i", "PATH=/nonexistent"])
            .arg(format!("LD_LIBRARY_PATH={}", libdir.display()))
            .arg(build.join("example/hello_ll"))
            .arg("-f")
            .arg(&mnt)
            .output()
            .unwrap()
    };
    let real = run_as_nobody(&build.join("lib"));
    let ours = run_as_nobody(lib_dir());
    assert_eq!(
        String::from_utf8_lossy(&ours.stderr),
        String::from_utf8_lossy(&real.stderr)
    );
    assert_eq!(ours.status.code(), real.status.code());
    assert_ne!(ours.status.code(), Some(0));
    assert!(!is_mounted(&mnt));
}

// ---------------------------------------------------------------------------
// Faults on both transports (issue 7): FUSE-over-io-uring, ferrofuse's
// default, and /dev/fuse (FUSE_URING_ENABLE=0), with libfuse's own
// passthrough_ll/passthrough_hp (unmodified) and examples/fault_fs_ll.c.
// Every wait is bounded (LIMIT) and fails the test when the bound is hit.

use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, OnceLock};

const ENABLE_URING: &str = "/sys/module/fuse/parameters/enable_uring";
const LIMIT: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Transport {
    Ring,
    Dev,
}

const TRANSPORTS: [Transport; 2] = [Transport::Ring, Transport::Dev];

impl Transport {
    fn tag(self) -> &'static str {
        match self {
            Transport::Ring => "ring",
            Transport::Dev => "dev",
        }
    }
}

/// Sets enable_uring=Y (tests/uring.rs leaves it Y too). A kernel without
/// FUSE-over-io-uring fails the test unless FERROFUSE_NO_URING_OK=1, which
/// tests /dev/fuse only.
fn transports() -> Vec<Transport> {
    let ok = std::fs::write(ENABLE_URING, "Y").is_ok()
        && std::fs::read_to_string(ENABLE_URING).is_ok_and(|s| s.trim() == "Y");
    if ok {
        return TRANSPORTS.to_vec();
    }
    assert!(
        std::env::var_os("FERROFUSE_NO_URING_OK").is_some(),
        "cannot set {ENABLE_URING}=Y (FERROFUSE_NO_URING_OK=1 tests /dev/fuse only)"
    );
    vec![Transport::Dev]
}

/// Runs `f` on a thread of its own; fails the test if it is not done
/// within LIMIT (a call that hangs stays behind until the daemon dies).
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

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !cond() {
        assert!(Instant::now() < deadline, "{what}: not within {LIMIT:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The default action for the signals the tests send, whatever this
/// process inherited (an ignored signal stays ignored across exec), and
/// no fd but stdio: whatever fds this test process inherited without
/// FD_CLOEXEC (from a CI runner, a shell) are marked close-on-exec, so
/// the fd test sees only what the daemon opened itself.
fn default_signals(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: signal(2) and close_range(2) are async-signal-safe, as
    // pre_exec requires.
    unsafe {
        cmd.pre_exec(|| {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
                libc::signal(sig, libc::SIG_DFL);
            }
            // CLOSE_RANGE_CLOEXEC: std's own exec-error pipe keeps working.
            libc::syscall(
                libc::SYS_close_range,
                3u32,
                u32::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            );
            Ok(())
        })
    }
}

/// examples/fault_fs_ll.c, compiled once against our headers and library.
fn fault_fs_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let bin = scratch("fault-fs-build").join("fault_fs_ll");
        cc_ferrofuse(
            &[&top().join("examples/fault_fs_ll.c")],
            &bin,
            &["-Wextra", "-Werror"],
        );
        bin
    })
}

/// A daemon under test with its mount point, log and helper processes.
/// Dropping it SIGKILLs the daemon, then the helpers, and lazily unmounts.
struct Fs {
    child: Child,
    pid: i32,
    dir: PathBuf,
    mnt: PathBuf,
    log: PathBuf,
    tag: String,
    kids: Vec<Child>,
    _unmount: UnmountGuard,
}

impl Fs {
    /// Starts `bin args... MNT` (or `bin args... SRC MNT` when `src_arg`)
    /// on transport `t` in scratch dir `name`, and waits for the mount.
    fn start(name: &str, t: Transport, bin: &Path, args: &[String], src_arg: bool) -> Fs {
        Fs::start_on(name, t, bin, args, src_arg, lib_dir())
    }

    /// As `start`, with the library found in `lib`.
    fn start_on(
        name: &str,
        t: Transport,
        bin: &Path,
        args: &[String],
        src_arg: bool,
        lib: &Path,
    ) -> Fs {
        let base = profile_dir().join("test-scratch").join(name);
        assert!(
            remove_tree_unmounted(&base),
            "{}: a mount survives from an earlier run",
            base.display()
        );
        let dir = scratch(name);
        let mnt = dir.join("mnt");
        let src = dir.join("src");
        std::fs::create_dir_all(&mnt).unwrap();
        std::fs::create_dir_all(&src).unwrap();
        let log = dir.join("daemon.log");
        let tag = format!("faults-{name}-{}", std::process::id());
        let out = std::fs::File::create(&log).unwrap();
        let unmount = UnmountGuard(mnt.clone());
        let mut cmd = Command::new(bin);
        cmd.args(args);
        if src_arg {
            cmd.arg(&src);
        }
        cmd.arg(&mnt)
            .env("LD_LIBRARY_PATH", lib)
            .env("FERROFUSE_TAG", &tag)
            .env_remove("FUSE_URING_ENABLE")
            .env_remove("FUSE_URING_QUEUE_DEPTH")
            .env_remove("FERROFUSE_URING_FAIL")
            .env_remove("FERROFUSE_PASSTHROUGH")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        if t == Transport::Dev {
            cmd.env("FUSE_URING_ENABLE", "0");
        }
        let child = default_signals(&mut cmd).spawn().unwrap();
        let mut fs = Fs {
            pid: child.id() as i32,
            child,
            dir,
            mnt,
            log,
            tag,
            kids: Vec::new(),
            _unmount: unmount,
        };
        match wait_mounted(&mut fs.child, &fs.mnt, LIMIT) {
            Ok(()) => {}
            Err(Some(st)) => panic!(
                "{name}: daemon exited ({st}) before mounting:\n{}",
                fs.tail()
            ),
            Err(None) => panic!("{name}: no mount\n{}", fs.tail()),
        }
        fs
    }

    /// fault_fs_ll on transport `t`, single-threaded or not, with `extra`.
    fn fault(name: &str, t: Transport, mt: bool, extra: &[&str]) -> Fs {
        Fs::fault_on(name, t, mt, extra, lib_dir())
    }

    /// As `fault`, with the library found in `lib`.
    fn fault_on(name: &str, t: Transport, mt: bool, extra: &[&str], lib: &Path) -> Fs {
        let mut args: Vec<String> = vec!["-f".into()];
        if !mt {
            args.push("-s".into());
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let name = format!("{name}-{}-{}", t.tag(), if mt { "mt" } else { "st" });
        let fs = Fs::start_on(&name, t, fault_fs_bin(), &args, false, lib);
        // The first request completes INIT, and with it the transport.
        fs.stats();
        fs.assert_transport(t);
        fs
    }

    fn path(&self, name: &str) -> PathBuf {
        self.mnt.join(name)
    }

    fn src(&self) -> PathBuf {
        self.dir.join("src")
    }

    fn log_text(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    fn tail(&self) -> String {
        tail_of(&self.log, 40)
    }

    /// fault_fs_ll's /stats as numbers.
    fn stats(&self) -> std::collections::HashMap<String, i64> {
        let p = self.path("stats");
        let text = bounded("read stats", move || std::fs::read_to_string(p).unwrap());
        text.lines()
            .filter_map(|l| {
                let (k, v) = l.split_once('=')?;
                Some((k.to_string(), v.parse().ok()?))
            })
            .collect()
    }

    fn uring_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_link(e.path()).ok())
            .filter(|t| t.as_os_str() == "anon_inode:[io_uring]")
            .count()
    }

    /// The daemon serves on transport `t`: io_uring fds or none (once the
    /// mount has answered a request, INIT is done and the rings exist).
    fn assert_transport(&self, t: Transport) {
        match t {
            Transport::Ring => assert!(self.uring_fds() >= 1, "no io_uring fd:\n{}", self.tail()),
            Transport::Dev => assert_eq!(self.uring_fds(), 0, "io_uring fd with it off"),
        }
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    fn signal(&self, sig: i32) {
        // SAFETY: signalling our own child, which has not been reaped.
        unsafe { libc::kill(self.pid, sig) };
    }

    fn wait_exit(&mut self, why: &str) -> ExitStatus {
        match wait_for(&mut self.child, LIMIT) {
            Some(st) => st,
            None => panic!("daemon did not exit {why}:\n{}", self.tail()),
        }
    }

    /// `fusermount3 -u`, retried while busy; then the daemon must exit 0.
    fn unmount(&mut self) {
        let deadline = Instant::now() + LIMIT;
        loop {
            let out = Command::new("timeout")
                .args(["-k", "5", "20", "fusermount3", "-u"])
                .arg(&self.mnt)
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
        let st = self.wait_exit("after fusermount3 -u");
        assert!(st.success(), "daemon exit {st}:\n{}", self.tail());
        assert!(!is_mounted(&self.mnt));
    }

    /// A helper process (tagged, output discarded), kept.
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

    /// A shell loop running `script` (with $1 = `file` in the mount)
    /// while the mount is there and the script succeeds.
    fn spawn_loop(&mut self, script: &str, file: &str) -> usize {
        let p = self.path(file);
        let m = self.mnt.clone();
        self.spawn_kid(
            Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "while mountpoint -q \"$2\" && {script}; do :; done"
                ))
                .arg("sh")
                .arg(p)
                .arg(m),
        )
    }

    /// Readers and writers: two cat loops over `file`, and either two
    /// writer loops rewriting and fsyncing new files `w0` and `w1`
    /// (`new_files`), or one overwriting the start of `file`.
    fn load(&mut self, file: &str, new_files: bool) {
        for _ in 0..2 {
            self.spawn_loop("cat \"$1\" >/dev/null 2>&1", file);
        }
        if new_files {
            for w in ["w0", "w1"] {
                self.spawn_loop(
                    "dd if=/dev/zero of=\"$1\" bs=64k count=16 conv=fsync status=none 2>/dev/null",
                    w,
                );
            }
        } else {
            self.spawn_loop(
                "dd if=/dev/zero of=\"$1\" bs=64k count=4 conv=notrunc status=none 2>/dev/null",
                file,
            );
        }
    }

    /// Waits until every one of `paths` (backing files the writers make)
    /// exists and has data: the load is under way.
    fn wait_traffic(&self, paths: &[PathBuf]) {
        let paths = paths.to_vec();
        wait_until("the load runs", move || {
            paths
                .iter()
                .all(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
        });
    }

    /// Every helper ends by itself within LIMIT.
    fn wait_kids(&mut self, why: &str) -> Vec<ExitStatus> {
        let mut out = Vec::new();
        for (i, k) in self.kids.iter_mut().enumerate() {
            match wait_for(k, LIMIT) {
                Some(st) => out.push(st),
                None => panic!("helper {i} (pid {}) hung {why}", k.id()),
            }
        }
        out
    }

    fn assert_no_leftovers(&self) {
        wait_until("processes of this test gone", || {
            tagged_processes(&self.tag).is_empty()
        });
    }
}

impl Drop for Fs {
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

/// libfuse 3.18's passthrough_ll over `src`, mounted on transport `t`.
fn passthrough_ll(name: &str, t: Transport) -> Fs {
    let bin = real_318().join("example/passthrough_ll");
    let name = format!("{name}-ll-{}", t.tag());
    let src = profile_dir().join("test-scratch").join(&name).join("src");
    let fs = Fs::start(
        &name,
        t,
        &bin,
        &[
            "-f".into(),
            "-o".into(),
            format!("source={}", src.display()),
        ],
        false,
    );
    let p = fs.mnt.clone();
    bounded("first request", move || std::fs::metadata(p).unwrap());
    fs.assert_transport(t);
    fs
}

/// A daemon SIGKILLed with readers, writers and a request parked in the
/// filesystem: every helper ends by itself, the mount reports ENOTCONN
/// (ECONNABORTED accepted over io-uring: the kernel ends requests that
/// meet a ring being torn down so), and a plain `umount` works. On both
/// transports, with libfuse's passthrough_ll and with fault_fs_ll.
#[test]
fn killed_daemon_on_each_transport() {
    for t in transports() {
        for which in ["ll", "fault"] {
            let mut fs = if which == "ll" {
                let mut fs = passthrough_ll("kill", t);
                std::fs::write(fs.src().join("f"), vec![7u8; 1 << 20]).unwrap();
                fs.load("f", true);
                fs.wait_traffic(&[fs.src().join("w0"), fs.src().join("w1")]);
                fs
            } else {
                let mut fs = Fs::fault("kill", t, true, &[]);
                let p = fs.path("intr");
                fs.spawn_kid(Command::new("cat").arg(p));
                fs.load("data", false);
                wait_until("a read parked in /intr", || fs.stats()["blocked_now"] >= 1);
                let p = fs.path("data");
                wait_until("the writer runs", || {
                    std::fs::metadata(&p).is_ok_and(|m| m.len() > 0)
                });
                fs
            };
            fs.signal(libc::SIGKILL);
            let st = fs.wait_exit("after SIGKILL");
            assert_eq!(st.signal(), Some(libc::SIGKILL), "{which} {t:?}");
            fs.wait_kids(&format!("after the daemon was killed ({which} {t:?})"));
            // A name never looked up: the request must reach the dead
            // connection (the root's attributes may still be cached, so a
            // stat of the mount point itself can succeed from the cache).
            let (code, err) = stat_cmd(&fs.path("never-looked-up"));
            assert_ne!(code, Some(124), "stat hung ({which} {t:?})");
            assert!(
                err.contains("Transport endpoint is not connected")
                    || (t == Transport::Ring && err.contains("Software caused connection abort")),
                "{which} {t:?}: {err}"
            );
            let st = Command::new("timeout")
                .args(["20", "umount"])
                .arg(&fs.mnt)
                .status()
                .unwrap();
            assert!(st.success(), "umount after SIGKILL ({which} {t:?}): {st}");
            assert!(!is_mounted(&fs.mnt));
            fs.assert_no_leftovers();
        }
    }
}

/// Keeps the fusectl abort test and the unmount-under-load test apart.
/// Run side by side, the unmount test's daemon sometimes (3 of 25 runs)
/// read ECONNABORTED after its unmount, which the kernel returns only for
/// a connection aborted through fusectl; alone it never did (0 of 20).
/// Which write reaches the other connection is not known yet.
static ABORT_SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `umount -l` and `fusermount3 -u` while readers and writers run, on
/// both transports (passthrough_ll): the daemon exits 0, every helper ends
/// by itself, nothing stays mounted.
#[test]
fn unmount_under_load_on_each_transport() {
    let _serial = ABORT_SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for t in transports() {
        for lazy in [true, false] {
            let name = if lazy { "umount-l" } else { "fusermount-u" };
            let mut fs = passthrough_ll(name, t);
            std::fs::write(fs.src().join("f"), vec![9u8; 1 << 20]).unwrap();
            fs.load("f", true);
            fs.wait_traffic(&[fs.src().join("w0"), fs.src().join("w1")]);
            if lazy {
                let st = Command::new("timeout")
                    .args(["20", "umount", "-l"])
                    .arg(&fs.mnt)
                    .status()
                    .unwrap();
                assert!(st.success(), "umount -l ({t:?}): {st}");
                // The helpers' open files keep the detached mount alive;
                // the daemon serves them until their loops see the mount
                // gone, then gets DESTROY and exits.
                let st = fs.wait_exit("after umount -l");
                assert!(st.success(), "daemon exit {st} ({t:?}):\n{}", fs.tail());
                assert!(!is_mounted(&fs.mnt));
            } else {
                // Refused while busy: retried until it lands under load.
                fs.unmount();
            }
            fs.wait_kids(&format!("after {name} ({t:?})"));
            fs.assert_no_leftovers();
        }
    }
}

/// SIGTERM while a writer writes and fsyncs: the daemon unmounts and exits
/// by itself, the writer ends, and every chunk whose fsync succeeded is
/// intact in the backing directory. libfuse's passthrough_ll and
/// passthrough_hp (--nopassthrough: the writes go through the daemon, with
/// the writeback cache) on both transports.
#[test]
fn sigterm_mid_write_keeps_fsynced_data() {
    const CHUNK: usize = 64 * 1024;
    default_signal_dispositions();
    let hp = real_318().join("example/passthrough_hp");
    for t in transports() {
        for which in ["ll", "hp"] {
            let fs = if which == "ll" {
                passthrough_ll("term", t)
            } else {
                let fs = Fs::start(
                    &format!("term-hp-{}", t.tag()),
                    t,
                    &hp,
                    &["--foreground".into(), "--nopassthrough".into()],
                    true,
                );
                let p = fs.mnt.clone();
                bounded("first request", move || std::fs::metadata(p).unwrap());
                fs.assert_transport(t);
                fs
            };
            let mut fs = fs;
            let synced = Arc::new(AtomicUsize::new(0));
            let (done_tx, done_rx) = std::sync::mpsc::channel();
            {
                let synced = synced.clone();
                let p = fs.path("file");
                std::thread::spawn(move || {
                    use std::io::Write;
                    let res = (|| -> std::io::Result<()> {
                        let mut f = std::fs::File::create(&p)?;
                        for i in 0.. {
                            f.write_all(&chunk(i, CHUNK))?;
                            f.sync_all()?;
                            synced.store(i + 1, Ordering::SeqCst);
                        }
                        Ok(())
                    })();
                    let _ = done_tx.send(res);
                });
            }
            wait_until("8 chunks written and fsynced", || {
                synced.load(Ordering::SeqCst) >= 8
            });
            fs.signal(libc::SIGTERM);
            let st = fs.wait_exit("after SIGTERM");
            // An exit of its own (libfuse's examples return 1 when a signal
            // ended the loop), not a death by signal.
            assert!(st.code().is_some(), "{which} {t:?}: {st}:\n{}", fs.tail());
            assert!(!is_mounted(&fs.mnt), "{which} {t:?}: still mounted");
            let res = match done_rx.recv_timeout(LIMIT) {
                Ok(r) => r,
                Err(e) => panic!("{which} {t:?}: writer did not end: {e:?}"),
            };
            assert!(res.is_err(), "the writer cannot succeed forever");
            let n = synced.load(Ordering::SeqCst);
            let back = std::fs::read(fs.src().join("file")).unwrap();
            assert!(
                back.len() >= n * CHUNK,
                "{which} {t:?}: {} bytes in the backing file, {n} chunks were fsynced",
                back.len()
            );
            for i in 0..n {
                assert!(
                    back[i * CHUNK..(i + 1) * CHUNK] == chunk(i, CHUNK)[..],
                    "{which} {t:?}: fsynced chunk {i} of {n} differs in the backing file"
                );
            }
            eprintln!("{which} {t:?}: {n} chunks fsynced and intact, exit {st}");
            fs.assert_no_leftovers();
        }
    }
}

/// Chunk `i` of the SIGTERM writer: distinct bytes per chunk.
fn chunk(i: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|o| (o % 251) as u8 ^ (i as u8).wrapping_mul(37))
        .collect()
}

extern "C" fn on_sigusr1(_: libc::c_int) {}

/// Installs a SIGUSR1 handler without SA_RESTART (once): a read parked in
/// the filesystem and hit by it makes the kernel send FUSE_INTERRUPT.
fn sigusr1_interrupts() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        // SAFETY: a zeroed sigaction with a handler that does nothing.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigusr1 as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            assert_eq!(libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()), 0);
        }
    });
}

/// read(2) of `p` on a thread of its own, hit by SIGUSR1 once the daemon
/// holds the request (`parked` says so): returns read's errno (0: success).
fn interrupted_read(fs: &Fs, name: &str, parked: &str) -> i32 {
    sigusr1_interrupts();
    let p = fs.path(name);
    let f = std::fs::File::open(&p).unwrap();
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (res_tx, res_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::os::fd::AsRawFd;
        // SAFETY: pthread_self has no preconditions.
        let _ = tid_tx.send(unsafe { libc::pthread_self() });
        let mut buf = [0u8; 4096];
        // SAFETY: read into our own buffer from our own fd.
        let n = unsafe { libc::read(f.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        let e = if n < 0 {
            std::io::Error::last_os_error().raw_os_error().unwrap()
        } else {
            0
        };
        let _ = res_tx.send(e);
    });
    let tid = tid_rx.recv_timeout(LIMIT).unwrap();
    let before = fs.stats()["interrupts"];
    wait_until(&format!("the read parks in /{name}"), || {
        fs.stats()[parked] >= 1
    });
    // SAFETY: the thread is alive until it sent its result, and it cannot
    // send before the read ends, which needs this signal.
    unsafe { libc::pthread_kill(tid, libc::SIGUSR1) };
    let e = res_rx
        .recv_timeout(LIMIT)
        .unwrap_or_else(|_| panic!("/{name}: the interrupted read hung:\n{}", fs.tail()));
    assert_eq!(fs.stats()["interrupts"], before + 1);
    e
}

/// A read the filesystem never answers by itself is interrupted by a
/// signal to the caller: FUSE_INTERRUPT reaches the filesystem (through
/// its interrupt function, and through fuse_req_interrupted() with the
/// function registered only after the interrupt came), the caller gets
/// EINTR, and the daemon keeps serving and unmounts cleanly. A caller
/// killed with SIGKILL is freed the same way. Both transports, both loops.
#[test]
fn interrupted_callbacks_on_each_transport() {
    for t in transports() {
        for mt in [false, true] {
            let mut fs = Fs::fault("intr", t, mt, &[]);
            assert_eq!(interrupted_read(&fs, "intr", "blocked_now"), libc::EINTR);
            assert_eq!(fs.stats()["blocked_now"], 0);
            assert_eq!(interrupted_read(&fs, "poll", "blocked_now"), libc::EINTR);
            let st = fs.stats();
            assert_eq!((st["polled"], st["blocked_now"]), (1, 0), "{st:?}");
            // A caller killed outright.
            let p = fs.path("intr");
            let k = fs.spawn_kid(Command::new("cat").arg(p));
            wait_until("cat parks in /intr", || fs.stats()["blocked_now"] >= 1);
            let _ = fs.kids[k].kill();
            let st = wait_for(&mut fs.kids[k], LIMIT)
                .unwrap_or_else(|| panic!("killed reader hung ({t:?})"));
            assert_eq!(st.signal(), Some(libc::SIGKILL));
            let st = fs.stats();
            assert_eq!((st["interrupts"], st["blocked_now"]), (3, 0), "{st:?}");
            // Still serving.
            let p = fs.path("data");
            bounded("write and read /data", move || {
                std::fs::write(&p, b"after interrupts").unwrap();
                assert_eq!(std::fs::read(&p).unwrap(), b"after interrupts");
            });
            assert!(fs.alive());
            assert!(
                fs.stats()[if t == Transport::Ring {
                    "ring_requests"
                } else {
                    "dev_requests"
                }] > 0
            );
            fs.unmount();
        }
    }
}

/// Wrong replies (twice, after fuse_reply_none, NULL entry and request,
/// negative, huge and INT_MIN error values, replies larger than the
/// request allows or than any request may carry, a NULL buffer): each
/// is logged through fuse_log and refused or turned into an error; the
/// daemon survives and keeps serving. Both transports, both loops.
#[test]
fn bad_replies_on_each_transport() {
    for t in transports() {
        for mt in [false, true] {
            let mut fs = Fs::fault("badreply", t, mt, &[]);
            let m = fs.mnt.clone();
            let results = bounded("the bad lookups", move || {
                [
                    "twice",
                    "twice_entry",
                    "null_req",
                    "null_entry",
                    "err_neg",
                    "err_huge",
                    "err_min",
                    "err_big",
                ]
                .map(|n| {
                    (
                        n,
                        std::fs::metadata(m.join(n)).map_err(|e| e.raw_os_error()),
                    )
                })
            });
            for (n, r) in results {
                match n {
                    "twice" | "twice_entry" | "null_req" => {
                        assert!(r.is_ok(), "{n} {t:?}: {r:?}")
                    }
                    "null_entry" => assert_eq!(r.unwrap_err(), Some(libc::EINVAL), "{n} {t:?}"),
                    _ => assert_eq!(r.unwrap_err(), Some(libc::ERANGE), "{n} {t:?}"),
                }
            }
            let m = fs.mnt.clone();
            let reads = bounded("the bad reads", move || {
                ["oversize", "huge", "nullbuf", "none_release"]
                    .map(|n| (n, std::fs::read(m.join(n)).map_err(|e| e.raw_os_error())))
            });
            for (n, r) in reads {
                match n {
                    // The kernel refuses a reply larger than the request
                    // allows: EIO from /dev/fuse, EINVAL from the ring.
                    "oversize" | "huge" => assert!(
                        matches!(r, Err(Some(libc::EIO | libc::EINVAL))),
                        "{n} {t:?}: {r:?}"
                    ),
                    _ => assert_eq!(r, Ok(Vec::new()), "{n} {t:?}"),
                }
            }
            // The release of /none_release is asynchronous: wait for it.
            wait_until("the release of /none_release", || {
                fs.stats()["none_releases"] >= 1
            });
            let st = fs.stats();
            assert_eq!(st["refused"], 4, "{t:?} {st:?}");
            assert_eq!(st["accepted_twice"], 0, "{t:?} {st:?}");
            let p = fs.path("data");
            bounded("write and read /data", move || {
                std::fs::write(&p, b"still serving").unwrap();
                assert_eq!(std::fs::read(&p).unwrap(), b"still serving");
            });
            assert!(fs.alive(), "daemon died:\n{}", fs.tail());
            fs.unmount();
            let log = fs.log_text();
            for line in [
                "fuse: fuse_reply_err: the request was already replied to",
                "fuse: fuse_reply_entry: the request was already replied to",
                "fuse: bad error value: 5\n",
                "fuse: bad error value: -2147483647\n",
                "fuse: bad error value: -2147483648\n",
                "fuse: bad error value: -100000\n",
                match t {
                    Transport::Ring => "fuse: reply of 33554432 bytes exceeds the ring buffer",
                    Transport::Dev => "fuse: writing device: Invalid argument\n",
                },
            ] {
                assert!(log.contains(line), "{t:?}: no {line:?} in\n{log}");
            }
            // Four replies refused as "already replied to or not a request".
            assert_eq!(
                log.matches("the request was already replied to").count(),
                4,
                "{log}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Fd hygiene: every fd ferrofuse opens in the daemon carries FD_CLOEXEC,
// and a child the filesystem execs inherits none of them.

const O_CLOEXEC_FLAG: u32 = 0o2000000;

/// The daemon's fds: number, target, and `flags:` of /proc/PID/fdinfo/N.
fn daemon_fds(pid: i32) -> Vec<(i32, String, u32)> {
    let mut fds: Vec<(i32, String, u32)> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let n: i32 = e.file_name().to_str()?.parse().ok()?;
            let target = std::fs::read_link(e.path()).ok()?.display().to_string();
            let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{n}")).ok()?;
            let flags = info
                .lines()
                .find_map(|l| l.strip_prefix("flags:"))
                .map(|v| u32::from_str_radix(v.trim(), 8).unwrap())?;
            Some((n, target, flags))
        })
        .collect();
    fds.sort();
    fds
}

fn spliced_byte(i: usize) -> u8 {
    (i % 253) as u8
}

/// Reads /spliced (answered with fuse_reply_data from an fd) in 4 threads
/// at once and /data after a write, checking every byte.
fn fd_workload(fs: &Fs) {
    let spliced = fs.path("spliced");
    let data = fs.path("data");
    bounded("fd workload", move || {
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..3 {
                        let got = std::fs::read(&spliced).unwrap();
                        assert_eq!(got.len(), 1 << 20);
                        assert!(got.iter().enumerate().all(|(i, b)| *b == spliced_byte(i)));
                    }
                });
            }
        });
        let want: Vec<u8> = (0..256 * 1024).map(|i| (i % 241) as u8).collect();
        std::fs::write(&data, &want).unwrap();
        assert!(std::fs::read(&data).unwrap() == want);
    });
}

/// Each of ferrofuse's fds (/dev/fuse, cloned device fds, eventfds,
/// io_uring fds, splice pipes, the auto_unmount socket) is FD_CLOEXEC on
/// both transports, single- and multi-threaded, with clone_fd and with the
/// fd received from fusermount3 (auto_unmount); and `ls -l /proc/self/fd`
/// exec'd by the filesystem sees only its own stdio and directory.
#[test]
fn daemon_fds_are_cloexec_and_not_inherited() {
    let cases: [(bool, &[&str]); 4] = [
        (false, &[]),
        (true, &[]),
        (true, &["-o", "clone_fd"]),
        (true, &["-o", "auto_unmount"]),
    ];
    for t in transports() {
        for (mt, extra) in cases {
            let what = format!("{t:?} mt={mt} {extra:?}");
            let mut fs = Fs::fault("fds", t, mt, extra);
            fd_workload(&fs);
            let fds = daemon_fds(fs.pid);
            let count = |pred: &dyn Fn(&str) -> bool| fds.iter().filter(|f| pred(&f.1)).count();
            let dev = count(&|t| t == "/dev/fuse");
            let rings = count(&|t| t == "anon_inode:[io_uring]");
            let eventfds = count(&|t| t == "anon_inode:[eventfd]");
            let pipes = count(&|t| t.starts_with("pipe:"));
            let sockets = count(&|t| t.starts_with("socket:"));
            eprintln!(
                "{what}: {} fds: /dev/fuse {dev}, io_uring {rings}, eventfd {eventfds}, pipes {pipes}, sockets {sockets}",
                fds.len()
            );
            // The check sees a missing FD_CLOEXEC: our stdio, inherited.
            for n in 0..3 {
                let f = fds.iter().find(|f| f.0 == n).expect("stdio");
                assert_eq!(f.2 & O_CLOEXEC_FLAG, 0, "{what}: fd {n} {f:?}");
            }
            let leaky: Vec<_> = fds
                .iter()
                .filter(|f| f.0 > 2 && f.2 & O_CLOEXEC_FLAG == 0)
                .collect();
            assert!(leaky.is_empty(), "{what}: fds without O_CLOEXEC: {leaky:?}");
            assert!(dev >= 1, "{what}: {fds:?}");
            match t {
                Transport::Ring => {
                    assert!(rings >= 1 && eventfds >= 1, "{what}: {fds:?}")
                }
                Transport::Dev => {
                    assert_eq!(rings, 0, "{what}: {fds:?}");
                    // Splice writes negotiated: a pipe pair per thread.
                    assert!(pipes >= 2, "{what}: {fds:?}");
                }
            }
            if extra.contains(&"clone_fd") && t == Transport::Dev {
                assert!(dev >= 2, "{what}: no cloned device fd: {fds:?}");
            }
            if extra.contains(&"auto_unmount") {
                assert!(sockets >= 1, "{what}: no fusermount3 socket: {fds:?}");
            }
            if !mt {
                // One thread: the same fds after more of the same load.
                fd_workload(&fs);
                assert_eq!(daemon_fds(fs.pid), fds, "{what}: fds changed");
            }
            // What a child the filesystem execs inherits.
            let p = fs.path("fds");
            let listing = bounded("read /fds", move || std::fs::read_to_string(p).unwrap());
            let mut inherited = Vec::new();
            for l in listing.lines().filter(|l| l.contains(" -> ")) {
                let (left, target) = l.split_once(" -> ").unwrap();
                let n: i32 = left.rsplit(' ').next().unwrap().parse().unwrap();
                let own_dir = target.starts_with("/proc/") && target.ends_with("/fd");
                if n > 2 && !own_dir {
                    inherited.push(l.to_string());
                }
            }
            assert!(
                listing.contains(" 0 -> "),
                "{what}: ls did not run: {listing}"
            );
            assert!(
                inherited.is_empty(),
                "{what}: an exec'd child inherits {inherited:?}"
            );
            fs.unmount();
        }
    }
}

/// Unmounts a non-FUSE mount (the fusectl instance) when dropped.
struct PlainUnmount(PathBuf);

impl Drop for PlainUnmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A read the filesystem never answers, not even on interrupt: its caller,
/// killed, stays in the kernel (which waits for an answer to a request the
/// daemon holds) while the daemon keeps serving; aborting the connection
/// (fusectl's N/abort) frees the caller, the daemon exits by
/// itself, and as with libfuse it leaves the aborted mount to `umount`. On
/// both transports, both loops; and on /dev/fuse the same binary on
/// libfuse 3.18 ends the same way.
#[test]
fn abort_frees_a_request_never_answered() {
    use std::os::unix::fs::MetadataExt;
    let _serial = ABORT_SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // fault_fs_ll, linked against ferrofuse, needs libfuse3.so.3; libfuse
    // 3.18's library is libfuse3.so.4 with the same symbol versions.
    let real_lib = scratch("abort-real-lib");
    std::os::unix::fs::symlink(
        real_318().join("lib/libfuse3.so.4"),
        real_lib.join("libfuse3.so.3"),
    )
    .unwrap();
    let mut runs: Vec<(Transport, bool, &Path)> = Vec::new();
    for t in transports() {
        for mt in [false, true] {
            runs.push((t, mt, lib_dir()));
        }
    }
    runs.push((Transport::Dev, false, &real_lib));
    runs.push((Transport::Dev, true, &real_lib));
    // The control filesystem, mounted for this test at a place of its own
    // (it has one superblock, so this is the very /sys/fs/fuse/connections,
    // which need not be mounted, or may be unmounted by someone meanwhile).
    let ctl = scratch("abort-fusectl");
    let st = Command::new("mount")
        .args(["-t", "fusectl", "fusectl"])
        .arg(&ctl)
        .status()
        .unwrap();
    assert!(st.success(), "mount -t fusectl: {st}");
    let _ctl_guard = PlainUnmount(ctl.clone());
    let mut outcomes = std::collections::HashMap::new();
    for (t, mt, lib) in runs {
        let real = lib == real_lib.as_path();
        let what = format!("{t:?} mt={mt} real={real}");
        let name = if real { "abort-real" } else { "abort" };
        let mut fs = Fs::fault_on(name, t, mt, &[], lib);
        let maps = std::fs::read_to_string(format!("/proc/{}/maps", fs.pid)).unwrap();
        let loaded = if real {
            "libfuse3.so.3.18.3".to_string()
        } else {
            ferrofuse_library().display().to_string()
        };
        assert!(maps.contains(&loaded), "{what}: {loaded} not loaded");
        let m = fs.mnt.clone();
        let dev = bounded("stat of the mount", move || {
            std::fs::metadata(m).unwrap().dev()
        });
        let p = fs.path("hang");
        let k = fs.spawn_kid(Command::new("cat").arg(p));
        wait_until("cat parks in /hang", || fs.stats()["hung"] >= 1);
        let _ = fs.kids[k].kill();
        // Still serving while one request is held forever.
        let p = fs.path("data");
        bounded("write and read /data", move || {
            std::fs::write(&p, b"beside a hung request").unwrap();
            assert_eq!(std::fs::read(&p).unwrap(), b"beside a hung request");
        });
        assert!(fs.alive(), "{what}: daemon died:\n{}", fs.tail());
        std::fs::write(ctl.join(dev.to_string()).join("abort"), "1")
            .unwrap_or_else(|e| panic!("{what}: abort connection {dev}: {e}"));
        let st = wait_for(&mut fs.kids[k], LIMIT)
            .unwrap_or_else(|| panic!("{what}: the caller hung after the abort"));
        assert_eq!(st.signal(), Some(libc::SIGKILL), "{what}");
        let st = fs.wait_exit("after the abort");
        let left_mounted = is_mounted(&fs.mnt);
        eprintln!("{what}: daemon {st}, mount left: {left_mounted}");
        // Now and then (1 run in 40 here, on libfuse 3.18 as often) the
        // read the abort ends fails with ECONNABORTED, not ENODEV.
        // libfuse, and so ferrofuse, counts only ENODEV as the end: the
        // loop returns -ECONNABORTED and the daemon exits 1. Both are an
        // exit by itself, the second with libfuse's own message.
        let log = fs.log_text();
        let raced = st.code() == Some(1)
            && log.contains("fuse: reading device: Software caused connection abort\n")
            && log.contains(&format!("loop returned {}", -libc::ECONNABORTED));
        assert!(
            st.code() == Some(0) || raced,
            "{what}: daemon {st} after the abort:\n{}",
            fs.tail()
        );
        outcomes.insert((t, mt, real), left_mounted);
        if left_mounted {
            let st = Command::new("timeout")
                .args(["20", "umount"])
                .arg(&fs.mnt)
                .status()
                .unwrap();
            assert!(st.success(), "{what}: umount after the abort: {st}");
        }
        assert!(!is_mounted(&fs.mnt));
        fs.assert_no_leftovers();
    }
    for ((t, mt, real), outcome) in &outcomes {
        if !real {
            if let Some(theirs) = outcomes.get(&(*t, *mt, true)) {
                assert_eq!(outcome, theirs, "{t:?} mt={mt}: ferrofuse vs libfuse 3.18");
            }
        }
    }
}

/// Voluntary context switches of the daemon's `fuse_worker` threads, and
/// how many there are.
fn worker_switches(pid: i32) -> (u64, usize) {
    let mut sum = 0;
    let mut n = 0;
    for e in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
        if comm.trim() != "fuse_worker" {
            continue;
        }
        n += 1;
        let status = std::fs::read_to_string(e.path().join("status")).unwrap_or_default();
        sum += status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
    }
    (sum, n)
}

/// Parks `n` reads in fault_fs_ll's /gate (each holds a worker), then lets
/// them go: the pool has grown to more than `n` workers.
fn grow_pool(fs: &mut Fs, n: i64) {
    for _ in 0..n {
        let p = fs.path("gate");
        fs.spawn_kid(Command::new("cat").arg(p));
    }
    wait_until("reads parked in /gate", || fs.stats()["gated"] >= n);
    assert!(std::fs::metadata(fs.path("open_gate")).is_err());
    fs.wait_kids("after the gate opened");
    fs.kids.clear();
}

/// `fuse_session_loop_mt` on /dev/fuse, as libfuse's: idle workers block
/// in read(2), so each request wakes one worker, not every idle one;
/// surplus idle workers leave (`max_idle_threads`); a callback's
/// `fuse_session_exit` ends the loop while the other workers are blocked
/// (they are cancelled), and the daemon unmounts and exits 0.
#[test]
fn mt_workers_wake_one_per_request_and_stop() {
    const REQUESTS: u64 = 300;
    // The same binary on libfuse 3.18, for the figure in the message.
    let real_lib = scratch("wake-real-lib");
    std::os::unix::fs::symlink(
        real_318().join("lib/libfuse3.so.4"),
        real_lib.join("libfuse3.so.3"),
    )
    .unwrap();
    let mut per_request = Vec::new();
    for (name, lib) in [("wake", lib_dir()), ("wake-real", real_lib.as_path())] {
        let mut fs = Fs::fault_on(name, Transport::Dev, true, &[], lib);
        grow_pool(&mut fs, 4);
        let (before, workers) = worker_switches(fs.pid);
        assert!(
            workers >= 5,
            "{name}: {workers} workers after 4 parked reads"
        );
        for i in 0..REQUESTS {
            // A name never looked up: one LOOKUP each, answered ENOENT.
            assert!(std::fs::metadata(fs.path(&format!("nx{i}"))).is_err());
        }
        let (after, _) = worker_switches(fs.pid);
        per_request.push((name, workers, (after - before) as f64 / REQUESTS as f64));
        if name == "wake" {
            assert!(std::fs::metadata(fs.path("exit")).is_err());
            let st = fs.wait_exit("after fuse_session_exit in a callback");
            assert!(st.success(), "daemon exit {st}:\n{}", fs.tail());
            assert!(fs.log_text().contains("loop returned 0"), "{}", fs.tail());
            assert!(!is_mounted(&fs.mnt));
        }
    }
    eprintln!("worker wakeups per request (name, workers, switches): {per_request:?}");
    let (_, workers, ours) = per_request[0];
    // One switch per request when one worker wakes; every idle worker
    // waking (poll) makes it about the number of workers.
    assert!(
        ours < 1.5,
        "{ours:.2} worker context switches per request with {workers} workers"
    );

    // max_idle_threads=1: the workers freed by the gate leave; the rest
    // still serves, and SIGTERM ends it cleanly.
    let mut fs = Fs::fault("idle", Transport::Dev, true, &["-o", "max_idle_threads=1"]);
    grow_pool(&mut fs, 4);
    wait_until("surplus idle workers leave", || {
        worker_switches(fs.pid).1 <= 2
    });
    let p = fs.path("data");
    bounded("write and read /data", move || {
        std::fs::write(&p, b"after the pool shrank").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"after the pool shrank");
    });
    fs.signal(libc::SIGTERM);
    let st = fs.wait_exit("after SIGTERM");
    assert!(st.success(), "daemon exit {st}:\n{}", fs.tail());
    assert!(!is_mounted(&fs.mnt));
}
