//! The low-level session end to end: libfuse's own hello_ll example,
//! unmodified, mounted on ferrofuse (built against our headers, and the
//! same example built against Debian's libfuse 3.14 and relinked), read
//! through the kernel, then unmounted from outside.
//!
//! Every mount is undone by a guard, also when an assertion fails, and every
//! file operation runs in a child under `timeout`, so a broken session fails
//! the test instead of hanging it.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A daemon serving a mount point; unmounts and reaps on drop.
struct Daemon {
    child: Option<Child>,
    mnt: PathBuf,
    log: PathBuf,
}

impl Daemon {
    /// Starts `bin args.. mnt` with ferrofuse on LD_LIBRARY_PATH and waits
    /// (bounded) until the mount shows up.
    fn start(bin: &Path, args: &[&str], mnt: &Path) -> Daemon {
        std::fs::create_dir_all(mnt).unwrap();
        let log = mnt.with_extension("log");
        let child = Command::new(bin)
            .args(args)
            .arg(mnt)
            .env("LD_LIBRARY_PATH", lib_dir())
            .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
            .stderr(Stdio::from(
                std::fs::OpenOptions::new().append(true).open(&log).unwrap(),
            ))
            .spawn()
            .unwrap();
        let mut d = Daemon {
            child: Some(child),
            mnt: mnt.to_path_buf(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !is_mounted(mnt) {
            if let Some(st) = d.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("daemon exited ({st}) before mounting:\n{}", d.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "no mount after 20 s:\n{}",
                d.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        d
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Unmounts from outside (fusermount3 -u) and returns the daemon's exit
    /// status, waiting at most 20 s for it.
    fn unmount_and_wait(&mut self) -> std::process::ExitStatus {
        let st = Command::new("fusermount3")
            .arg("-u")
            .arg(&self.mnt)
            .status()
            .unwrap();
        assert!(st.success(), "fusermount3 -u failed:\n{}", self.log_text());
        let child = self.child.as_mut().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                self.child = None;
                return st;
            }
            assert!(
                Instant::now() < deadline,
                "daemon still running 20 s after unmount"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if is_mounted(&self.mnt) {
            let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs a shell command under `timeout`, returning its stdout.
fn sh(cmd: &str) -> String {
    let out = Command::new("timeout")
        .args(["-k", "5", "20", "sh", "-c", cmd])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`{cmd}` failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// libfuse 3.18's hello_ll built with our headers (once per test process:
/// the tests run in parallel).
fn hello_ll_318() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let src = libfuse_source(Suite::Sid);
        let bin = scratch("session-hello-318").join("hello_ll");
        cc_ferrofuse(&[&src.join("example/hello_ll.c")], &bin, &[]);
        bin
    })
    .clone()
}

/// libfuse 3.14's hello_ll built against Debian's libfuse 3.14.
fn hello_ll_314() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let src = libfuse_source(Suite::Bookworm);
        let bin = scratch("session-hello-314").join("hello_ll");
        run(Command::new("cc")
            .args(["-D_FILE_OFFSET_BITS=64", "-I/usr/include/fuse3"])
            .arg(src.join("example/hello_ll.c"))
            .args(["-o"])
            .arg(&bin)
            .args(["-lfuse3", "-lpthread"]));
        bin
    })
    .clone()
}

fn check_hello(bin: &Path, args: &[&str], tag: &str) {
    let mnt = scratch(&format!("session-mnt-{tag}")).join("mnt");
    let mut d = Daemon::start(bin, args, &mnt);
    let m = mnt.display();
    assert_eq!(sh(&format!("ls {m}")), "hello\n", "{}", d.log_text());
    assert_eq!(sh(&format!("cat {m}/hello")), "Hello World!\n");
    assert_eq!(sh(&format!("stat -c %s:%a {m}/hello")), "13:444\n");
    // A missing name is ENOENT, not a hang or EIO.
    let out = Command::new("timeout")
        .args(["20", "stat"])
        .arg(mnt.join("nope"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("No such file"));
    let st = d.unmount_and_wait();
    assert!(st.success(), "daemon exit {st}:\n{}", d.log_text());
}

#[test]
fn hello_ll_318_single_threaded() {
    check_hello(&hello_ll_318(), &["-f", "-s"], "318-s");
}

#[test]
fn hello_ll_318_multi_threaded() {
    check_hello(&hello_ll_318(), &["-f"], "318-mt");
}

#[test]
fn hello_ll_314_relinked() {
    check_hello(&hello_ll_314(), &["-f"], "314-mt");
}

#[test]
fn hello_ll_debug_trace() {
    let bin = hello_ll_318();
    let mnt = scratch("session-mnt-debug").join("mnt");
    let mut d = Daemon::start(&bin, &["-f", "-s", "-d"], &mnt);
    sh(&format!("cat {}/hello", mnt.display()));
    d.unmount_and_wait();
    let log = d.log_text();
    for want in [
        "FUSE library version: 3.18.3",
        "INIT: 7.",
        "   INIT: 7.45",
        "opcode: LOOKUP (1)",
        "   unique: ",
        "success, outsize: ",
    ] {
        assert!(log.contains(want), "-d log lacks {want:?}:\n{log}");
    }
}

/// libfuse 3.18's passthrough_hp, unmodified, answering O_DIRECT reads of a
/// file whose backing fd it opened with O_DIRECT: the reply's data is read
/// into a buffer that must be aligned as the backing filesystem requires
/// (block-device filesystems such as ext4 do; tmpfs does not), or the
/// daemon's pread fails with EINVAL. Over /dev/fuse and over io-uring. The
/// backing directory is the scratch directory, on the build's disk.
#[test]
fn direct_reads_through_passthrough_hp() {
    let bin = real_libfuse_build(Suite::Sid).join("example/passthrough_hp");
    let base = scratch("session-direct");
    let src = base.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let data: Vec<u8> = (0..4u32 << 20).map(|i| (i * 7 + i / 4096) as u8).collect();
    std::fs::write(src.join("f"), &data).unwrap();
    let direct = Command::new("dd")
        .arg(format!("if={}", src.join("f").display()))
        .args([
            "of=/dev/null",
            "bs=4k",
            "count=1",
            "iflag=direct",
            "status=none",
        ])
        .status()
        .unwrap();
    if !direct.success() {
        eprintln!("skipped: the scratch filesystem has no O_DIRECT");
        return;
    }
    for (tag, transport) in [("dev", "no_io_uring"), ("uring", "io_uring")] {
        let mnt = base.join(format!("mnt-{tag}"));
        let src_arg = src.to_str().unwrap();
        let mut d = Daemon::start(
            &bin,
            &["--foreground", "--nopassthrough", "-o", transport, src_arg],
            &mnt,
        );
        let out = base.join(format!("out-{tag}"));
        for bs in ["1M", "4k"] {
            sh(&format!(
                "dd if={} of={} bs={bs} iflag=direct status=none",
                mnt.join("f").display(),
                out.display()
            ));
            assert!(
                std::fs::read(&out).unwrap() == data,
                "{tag} bs={bs}: data differs:\n{}",
                d.log_text()
            );
        }
        let st = d.unmount_and_wait();
        assert!(st.success(), "daemon exit {st}:\n{}", d.log_text());
    }
}
