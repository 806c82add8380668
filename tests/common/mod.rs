//! Shared helpers of the integration tests: where the freshly built library
//! is, how to compile C against it, and libfuse's sources for comparison.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn top() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile>: the directory holding the cdylib cargo built for this run.
pub fn profile_dir() -> PathBuf {
    // The test binary lives in target/<profile>/deps/.
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// A directory for LD_LIBRARY_PATH and -L holding libfuse3.so, .so.3 and .so.4
/// (links to the cdylib of the current sources), and pkgconfig/fuse3.pc for
/// it. Made once per test process.
pub fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let prof = profile_dir();
        // `cargo test` builds the crate only as an rlib (tests unwind, the
        // cdylib aborts), so bring the cdylib up to date for the C programs.
        let mut cargo = Command::new(env!("CARGO"));
        cargo.args(["build", "--lib"]).current_dir(top());
        if prof.file_name().is_some_and(|n| n == "release") {
            cargo.arg("--release");
        }
        run(&mut cargo);
        let so = prof.join("libfuse3.so");
        assert!(
            so.exists(),
            "{} missing: cargo did not build the cdylib",
            so.display()
        );
        let dir = prof.join("ferrofuse-lib");
        std::fs::create_dir_all(dir.join("pkgconfig")).unwrap();
        for name in ["libfuse3.so", "libfuse3.so.3", "libfuse3.so.4"] {
            replace_symlink(&so, &dir.join(name));
        }
        let pc = std::fs::read_to_string(top().join("pkgconfig/fuse3.pc.in"))
            .unwrap()
            .replace("@prefix@", &top().display().to_string())
            .replace("@includedir@", &top().join("include").display().to_string())
            .replace("@libdir@", &dir.display().to_string())
            .replace("@version@", "3.18.3");
        write_atomic(&dir.join("pkgconfig/fuse3.pc"), pc.as_bytes());
        write_atomic(&dir.join("pkgconfig/fuse3-uninstalled.pc"), pc.as_bytes());
        dir
    })
}

/// Our public headers' directory (what `pkg-config --cflags fuse3` gives).
pub fn include_dir() -> PathBuf {
    top().join("include/fuse3")
}

/// A scratch directory for one test, under target/, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let d = profile_dir().join("test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn replace_symlink(target: &Path, link: &Path) {
    let tmp = link.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).unwrap();
    std::fs::rename(&tmp, link).unwrap();
}

pub fn write_atomic(path: &Path, data: &[u8]) {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, data).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Runs a command, panicking with its output if it fails; returns stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A C (or C++) compiler command with the flags every C test uses:
/// warnings as errors, 64-bit off_t, GNU extensions.
pub fn c_compiler(compiler: &str) -> Command {
    let mut cmd = Command::new(compiler);
    cmd.args([
        "-Wall",
        "-Wextra",
        "-Werror",
        "-D_FILE_OFFSET_BITS=64",
        "-D_GNU_SOURCE",
    ]);
    cmd
}

/// Compiles C sources into `out`, against our headers and library.
pub fn cc_ferrofuse(srcs: &[&Path], out: &Path, extra: &[&str]) {
    let mut cmd = Command::new("cc");
    cmd.args(["-Wall", "-D_FILE_OFFSET_BITS=64", "-D_GNU_SOURCE", "-I"])
        .arg(include_dir())
        .args(srcs)
        .args(extra)
        .arg("-o")
        .arg(out)
        .arg("-L")
        .arg(lib_dir())
        .args(["-lfuse3", "-lpthread"]);
    run(&mut cmd);
}

/// Where libfuse's Debian source packages are unpacked, fetched once and
/// kept between runs (FERROFUSE_CACHE, default target/libfuse-src).
pub fn cache_dir() -> PathBuf {
    std::env::var_os("FERROFUSE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| top().join("target/libfuse-src"))
}

/// libfuse's Debian sources: bookworm has 3.14.0, sid 3.18.x.
#[derive(Clone, Copy, Debug)]
pub enum Suite {
    Bookworm,
    Sid,
}

impl Suite {
    pub fn name(self) -> &'static str {
        match self {
            Suite::Bookworm => "bookworm",
            Suite::Sid => "sid",
        }
    }
}

/// The unpacked source tree of libfuse from `suite`, fetched with `apt-get
/// source` on first use and kept (needs the deb-src entries tools/setup.sh
/// adds). Serialised across test processes by flock.
pub fn libfuse_source(suite: Suite) -> PathBuf {
    let dir = cache_dir().join(suite.name());
    std::fs::create_dir_all(&dir).unwrap();
    let script = format!(
        "exec 9>.lock && flock 9 && \
         if ! ls -d fuse3-*/meson.build >/dev/null 2>&1; then \
           rm -rf fuse3[-_]* && apt-get source -q fuse3/{suite} >/dev/null 2>&1 || \
           {{ echo 'apt-get source fuse3/{suite} failed: run tools/setup.sh' >&2; exit 1; }}; \
         fi && ls -d fuse3-*/ | head -n1",
        suite = suite.name()
    );
    let out = run(Command::new("sh").arg("-c").arg(&script).current_dir(&dir));
    let tree = dir.join(out.trim().trim_end_matches('/'));
    assert!(
        tree.join("meson.build").exists(),
        "no libfuse tree in {}",
        dir.display()
    );
    tree
}

/// Real libfuse built from `suite`'s sources with meson (library, examples
/// and test programs; release build), once, kept under the cache. Returns
/// the meson build directory (lib/libfuse3.so.*, example/*, test/*).
pub fn real_libfuse_build(suite: Suite) -> PathBuf {
    let src = libfuse_source(suite);
    let build = cache_dir().join(format!("build-{}", suite.name()));
    let script = format!(
        "exec 9>{lock} && flock 9 && \\
         if [ ! -f {b}/.ferrofuse-done ]; then \\
           rm -rf {b} && \\
           meson setup {b} {src} -Dutils=false -Dexamples=true -Dtests=true \\
             --buildtype=release >{b}.log 2>&1 && ninja -C {b} >>{b}.log 2>&1 && \\
           touch {b}/.ferrofuse-done || {{ tail -n 30 {b}.log >&2; exit 1; }}; \\
         fi",
        lock = cache_dir().join(".build.lock").display(),
        b = build.display(),
        src = src.display(),
    );
    run(Command::new("sh").arg("-c").arg(&script));
    build
}

// ---------------------------------------------------------------------------
// Mounted-filesystem hygiene and bounded runs (tests/libfuse_suites.rs and
// any other test that mounts): find FUSE mounts under given dirs, take them
// down, kill what a run left behind, run a command with a hard deadline.

/// One FUSE mount of /proc/self/mountinfo.
#[derive(Clone, Debug)]
pub struct FuseMount {
    pub mountpoint: PathBuf,
    pub fstype: String,
    pub source: String,
}

/// Undoes mountinfo's octal escapes (\040 for a space...).
fn unescape_mountinfo(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() {
            let oct = std::str::from_utf8(&b[i + 1..i + 4]).unwrap_or("x");
            if let Ok(v) = u8::from_str_radix(oct, 8) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The FUSE mounts (fuse, fuseblk, fuse.*) whose mountpoint is one of
/// `roots` or below one, deepest first. Roots are compared canonicalized
/// as well as verbatim.
pub fn fuse_mounts_under(roots: &[&Path]) -> Vec<FuseMount> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut prefixes: Vec<PathBuf> = Vec::new();
    for r in roots {
        prefixes.push(r.to_path_buf());
        if let Ok(c) = std::fs::canonicalize(r) {
            prefixes.push(c);
        }
    }
    let mut found = Vec::new();
    for line in info.lines() {
        let Some((pre, post)) = line.split_once(" - ") else {
            continue;
        };
        let mountpoint = PathBuf::from(unescape_mountinfo(
            pre.split(' ').nth(4).unwrap_or_default(),
        ));
        let mut post = post.split(' ');
        let fstype = post.next().unwrap_or_default().to_string();
        let source = unescape_mountinfo(post.next().unwrap_or_default());
        if !(fstype == "fuse" || fstype == "fuseblk" || fstype.starts_with("fuse.")) {
            continue;
        }
        if prefixes.iter().any(|p| mountpoint.starts_with(p)) {
            found.push(FuseMount {
                mountpoint,
                fstype,
                source,
            });
        }
    }
    found.sort_by_key(|m| std::cmp::Reverse(m.mountpoint.components().count()));
    found
}

/// Processes whose environment holds `FERROFUSE_TAG=<tag>` (set on the
/// commands a test starts, inherited by everything they start): pid and
/// command line.
pub fn tagged_processes(tag: &str) -> Vec<(i32, String)> {
    let needle = format!("FERROFUSE_TAG={tag}");
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if pid == std::process::id() as i32 {
            continue;
        }
        let Ok(env) = std::fs::read(e.path().join("environ")) else {
            continue;
        };
        if env.split(|b| *b == 0).any(|v| v == needle.as_bytes()) {
            let cmd = std::fs::read(e.path().join("cmdline"))
                .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
                .unwrap_or_default();
            found.push((pid, cmd.trim().to_string()));
        }
    }
    found
}

/// After a run: SIGKILLs every process tagged `tag`, lazily unmounts every
/// FUSE mount under `roots`, and waits (10 s at most) for both to be gone.
/// Returns what had been left behind (empty when the run cleaned up after
/// itself), and what could not be removed, each as a line of text.
pub fn clean_up_after_run(roots: &[&Path], tag: &str) -> (Vec<String>, Vec<String>) {
    let mut left = Vec::new();
    for (pid, cmd) in tagged_processes(tag) {
        left.push(format!("process {pid}: {cmd}"));
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
    for m in fuse_mounts_under(roots) {
        left.push(format!(
            "mount {} ({}, {})",
            m.mountpoint.display(),
            m.fstype,
            m.source
        ));
        let _ = Command::new("timeout")
            .args(["-k", "5", "20", "umount", "-l"])
            .arg(&m.mountpoint)
            .output();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let procs = tagged_processes(tag);
        let mounts = fuse_mounts_under(roots);
        if (procs.is_empty() && mounts.is_empty()) || std::time::Instant::now() > deadline {
            let mut stuck: Vec<String> = procs
                .iter()
                .map(|(p, c)| format!("process {p} survives SIGKILL: {c}"))
                .collect();
            stuck.extend(
                mounts
                    .iter()
                    .map(|m| format!("mount {} survives umount -l", m.mountpoint.display())),
            );
            return (left, stuck);
        }
        for (pid, _) in procs {
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Removes a scratch tree, but only once no FUSE mount is left under it
/// (unmounting lazily what is): a recursive delete must never walk into a
/// mounted filesystem, whose backing files (a passthrough of / ...) it
/// would destroy. Returns false, deleting nothing, if a mount survives.
pub fn remove_tree_unmounted(dir: &Path) -> bool {
    if !dir.exists() {
        return true;
    }
    for m in fuse_mounts_under(&[dir]) {
        let _ = Command::new("timeout")
            .args(["-k", "5", "20", "umount", "-l"])
            .arg(&m.mountpoint)
            .output();
    }
    if !fuse_mounts_under(&[dir]).is_empty() {
        return false;
    }
    std::fs::remove_dir_all(dir).is_ok()
}

/// How a bounded run ended.
#[derive(Debug)]
pub struct BoundedRun {
    /// None when the deadline struck (the process group was killed).
    pub status: Option<std::process::ExitStatus>,
    pub elapsed: std::time::Duration,
}

impl BoundedRun {
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }
    pub fn timed_out(&self) -> bool {
        self.status.is_none()
    }
}

/// Runs `cmd` in a process group of its own, stdout and stderr appended to
/// `log` (a file, never a pipe: a daemon the command leaves behind holding
/// a pipe would block the reader forever). At `limit` the group gets
/// SIGTERM, 10 s later SIGKILL. stdin is /dev/null.
pub fn run_bounded(cmd: &mut Command, log: &Path, limit: std::time::Duration) -> BoundedRun {
    use std::os::unix::process::CommandExt;
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    let err = out.try_clone().unwrap();
    let start = std::time::Instant::now();
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let pgid = child.id() as i32;
    let mut termed: Option<std::time::Instant> = None;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return BoundedRun {
                status: if termed.is_some() { None } else { Some(status) },
                elapsed: start.elapsed(),
            };
        }
        let now = std::time::Instant::now();
        match termed {
            None if now.duration_since(start) >= limit => {
                unsafe {
                    libc::killpg(pgid, libc::SIGTERM);
                }
                termed = Some(now);
            }
            Some(t) if now.duration_since(t) >= std::time::Duration::from_secs(10) => {
                // A process in an uninterruptible wait may outlive SIGKILL:
                // give it 20 s, then leave it to the caller's clean-up.
                unsafe {
                    libc::killpg(pgid, libc::SIGKILL);
                }
                for _ in 0..200 {
                    if child.try_wait().ok().flatten().is_some() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                return BoundedRun {
                    status: None,
                    elapsed: start.elapsed(),
                };
            }
            _ => {}
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The last `lines` lines of a text file ("" if unreadable).
pub fn tail_of(path: &Path, lines: usize) -> String {
    let text = std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The canonical path of the ferrofuse library this test run built.
pub fn ferrofuse_library() -> PathBuf {
    lib_dir();
    std::fs::canonicalize(profile_dir().join("libfuse3.so")).unwrap()
}

/// Where the dynamic loader finds `bin`'s libfuse3 (canonical path), per
/// ldd, with LD_LIBRARY_PATH `ld_path` or none; None if `bin` needs no
/// libfuse3.
pub fn ldd_libfuse(bin: &Path, ld_path: Option<&Path>) -> Option<PathBuf> {
    let mut cmd = Command::new("ldd");
    cmd.arg(bin).env_remove("LD_LIBRARY_PATH");
    if let Some(p) = ld_path {
        cmd.env("LD_LIBRARY_PATH", p);
    }
    let out = run(&mut cmd);
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("libfuse3.so"))?;
    let path = line
        .split("=>")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("ldd {}: {line}", bin.display()));
    Some(
        std::fs::canonicalize(path)
            .unwrap_or_else(|e| panic!("ldd {}: {line}: {e}", bin.display())),
    )
}

/// Whether `mnt` is a mount point now (its exact path in mountinfo).
pub fn is_mounted(mnt: &Path) -> bool {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .any(|l| l.split_whitespace().nth(4) == mnt.to_str())
}

/// Lazily unmounts its path on drop if something is still mounted there,
/// so a failing test leaves no mount behind.
pub struct UnmountGuard(pub PathBuf);

impl Drop for UnmountGuard {
    fn drop(&mut self) {
        if is_mounted(&self.0) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// Puts SIGHUP, SIGINT and SIGTERM back to their default action in this
/// test process (and so in the programs it starts): libfuse's
/// fuse_set_signal_handlers leaves a signal alone when it is ignored, and a
/// test run under `nohup` (SIGHUP ignored) would otherwise test nothing.
#[allow(dead_code)]
pub fn default_signal_dispositions() {
    for sig in [libc::SIGHUP, libc::SIGINT, libc::SIGTERM] {
        // SAFETY: resetting a disposition to SIG_DFL has no preconditions.
        unsafe { libc::signal(sig, libc::SIG_DFL) };
    }
}

// ---------------------------------------------------------------------------
// Bounded waits on child processes and mounts (faults, uring, valgrind,
// passthrough, misuse).

/// Waits for `child` to exit, at most `limit`; None if it did not.
pub fn wait_for(
    child: &mut std::process::Child,
    limit: std::time::Duration,
) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return Some(st);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Waits, at most `limit`, until `mnt` is mounted while the daemon `child`
/// runs. Err(Some(status)) if it exited first, Err(None) on the deadline.
pub fn wait_mounted(
    child: &mut std::process::Child,
    mnt: &Path,
    limit: std::time::Duration,
) -> Result<(), Option<std::process::ExitStatus>> {
    let deadline = std::time::Instant::now() + limit;
    while !is_mounted(mnt) {
        if let Some(st) = child.try_wait().unwrap() {
            return Err(Some(st));
        }
        if std::time::Instant::now() >= deadline {
            return Err(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Ok(())
}

/// `stat` under a timeout: (exit code, stderr).
pub fn stat_cmd(p: &Path) -> (Option<i32>, String) {
    let out = Command::new("timeout")
        .args(["20", "stat"])
        .arg(p)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
