//! Mounting for real (as root): mount(2) of a bare /dev/fuse connection
//! whose INIT and GETATTR this test answers itself, the fusermount3 path as
//! user `nobody` (this test binary re-run under setpriv), auto_unmount,
//! `/dev/fd/N`, fuse_open_channel, and libfuse's messages for failures.
//!
//! Every mount is undone by a guard, also when a test fails, and every wait
//! has a deadline. Cases that need a child process re-run this binary with
//! `CHILD_ENV` set, which makes `child_entry` play the scenario.

use fuse3::mount::{self, Mounted};
use std::ffi::CString;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "FERROFUSE_MOUNT_TEST_CHILD";
const TIMEOUT: Duration = Duration::from_secs(30);
const NOBODY: u32 = 65534;

// ---------------------------------------------------------------------------
// Guards and helpers

fn is_root() -> bool {
    // SAFETY: no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Skips a test (with a note) unless running as root.
macro_rules! need_root {
    () => {
        if !is_root() {
            eprintln!("skipped: needs root");
            return;
        }
    };
}

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

/// A mount point's line in /proc/self/mountinfo.
#[derive(Debug)]
struct MountInfo {
    mount_opts: String,
    fstype: String,
    source: String,
    super_opts: String,
}

impl MountInfo {
    fn has(opts: &str, o: &str) -> bool {
        opts.split(',').any(|x| x == o)
    }
    fn mount_opt(&self, o: &str) -> bool {
        Self::has(&self.mount_opts, o)
    }
    fn super_opt(&self, o: &str) -> bool {
        Self::has(&self.super_opts, o)
    }
}

/// mountinfo's octal escapes (`\040` for a space...).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 4 <= b.len() && b[i + 1..i + 4].iter().all(u8::is_ascii_digit) {
            out.push(u8::from_str_radix(&s[i + 1..i + 4], 8).unwrap());
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The topmost mount on `path`, if any.
fn mountinfo(path: &Path) -> Option<MountInfo> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    find_mount(&text, path)
}

/// The topmost mount on `path` in a mountinfo text.
fn find_mount(text: &str, path: &Path) -> Option<MountInfo> {
    let want = path.to_str().unwrap();
    text.lines().rev().find_map(|l| {
        let (a, b) = l.split_once(" - ")?;
        let f: Vec<&str> = a.split(' ').collect();
        let g: Vec<&str> = b.split(' ').collect();
        (unescape(f[4]) == want).then(|| MountInfo {
            mount_opts: f[5].to_string(),
            fstype: g[0].to_string(),
            source: unescape(g[1]),
            super_opts: g[2].to_string(),
        })
    })
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + TIMEOUT;
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A directory for one test, /tmp/ferrofuse-mount-PID-N (mode 0755), with a
/// mount point in it. On drop everything mounted on the mount point is
/// detached, then the directory removed (without descending into mounts).
struct TestDir {
    base: PathBuf,
    mnt: PathBuf,
}

impl TestDir {
    fn new(file: bool) -> TestDir {
        let n = SEQ.fetch_add(1, Ordering::SeqCst);
        let base = std::env::temp_dir().join(format!("ferrofuse-mount-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&base).unwrap();
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mnt = base.join("mnt");
        if file {
            std::fs::write(&mnt, b"").unwrap();
        } else {
            std::fs::create_dir(&mnt).unwrap();
        }
        TestDir { base, mnt }
    }

    fn mnt_c(&self) -> CString {
        cpath(&self.mnt)
    }

    fn chown_nobody(&self) {
        std::os::unix::fs::chown(&self.mnt, Some(NOBODY), Some(NOBODY)).unwrap();
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let c = self.mnt_c();
        for _ in 0..10 {
            if mountinfo(&self.mnt).is_none() {
                break;
            }
            // SAFETY: a NUL-terminated path.
            unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
        }
        if mountinfo(&self.mnt).is_none() {
            let _ = std::fs::remove_dir(&self.mnt).or_else(|_| std::fs::remove_file(&self.mnt));
            let _ = std::fs::remove_file(self.base.join("fuse-node"));
            let _ = std::fs::remove_file(self.base.join("fuse.conf"));
            let _ = std::fs::remove_dir(&self.base);
        }
    }
}

// ---------------------------------------------------------------------------
// A minimal file system: answers INIT and GETATTR, ENOSYS to the rest.

const FUSE_GETATTR: u32 = 3;
const FUSE_FORGET: u32 = 2;
const FUSE_INIT: u32 = 26;
const FUSE_INTERRUPT: u32 = 36;
const FUSE_BATCH_FORGET: u32 = 42;

/// `struct fuse_in_header`
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct InHeader {
    len: u32,
    opcode: u32,
    unique: u64,
    nodeid: u64,
    uid: u32,
    gid: u32,
    pid: u32,
    total_extlen: u16,
    padding: u16,
}

/// `struct fuse_out_header`
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct OutHeader {
    len: u32,
    error: i32,
    unique: u64,
}

/// `struct fuse_init_out` (7.45 layout; we claim minor 31)
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct InitOut {
    major: u32,
    minor: u32,
    max_readahead: u32,
    flags: u32,
    max_background: u16,
    congestion_threshold: u16,
    max_write: u32,
    time_gran: u32,
    max_pages: u16,
    map_alignment: u16,
    flags2: u32,
    max_stack_depth: u32,
    request_timeout: u16,
    unused: [u16; 11],
}

/// `struct fuse_attr_out`
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct AttrOut {
    attr_valid: u64,
    attr_valid_nsec: u32,
    dummy: u32,
    ino: u64,
    size: u64,
    blocks: u64,
    atime: u64,
    mtime: u64,
    ctime: u64,
    atimensec: u32,
    mtimensec: u32,
    ctimensec: u32,
    mode: u32,
    nlink: u32,
    uid: u32,
    gid: u32,
    rdev: u32,
    blksize: u32,
    flags: u32,
}

fn bytes_of<T: Copy>(v: &T) -> &[u8] {
    // SAFETY: plain repr(C) integer structs without padding bytes.
    unsafe { std::slice::from_raw_parts((v as *const T).cast(), std::mem::size_of::<T>()) }
}

fn reply(fd: RawFd, unique: u64, error: i32, body: &[u8]) {
    let h = OutHeader {
        len: (16 + body.len()) as u32,
        error,
        unique,
    };
    let mut msg = bytes_of(&h).to_vec();
    msg.extend_from_slice(body);
    // SAFETY: writes our buffer to our descriptor.
    unsafe { libc::write(fd, msg.as_ptr().cast(), msg.len()) };
}

/// Answers requests on a duplicate of a connection's descriptor until the
/// connection goes or it is stopped.
struct Daemon {
    stop: Arc<AtomicBool>,
    inits: Arc<AtomicUsize>,
    handle: Option<JoinHandle<()>>,
}

impl Daemon {
    /// `root_mode`: what GETATTR says the root is.
    fn start(fd: RawFd, root_mode: u32) -> Daemon {
        // SAFETY: duplicates a descriptor we were given.
        let dfd = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
        assert!(dfd >= 0);
        let stop = Arc::new(AtomicBool::new(false));
        let inits = Arc::new(AtomicUsize::new(0));
        let (s, i) = (stop.clone(), inits.clone());
        let handle = thread::spawn(move || {
            serve(dfd, root_mode, &s, &i);
            // SAFETY: our duplicate.
            unsafe { libc::close(dfd) };
        });
        Daemon {
            stop,
            inits,
            handle: Some(handle),
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn serve(fd: RawFd, root_mode: u32, stop: &AtomicBool, inits: &AtomicUsize) {
    let end = Instant::now() + Duration::from_secs(120);
    let mut buf = vec![0u8; 1 << 20];
    while !stop.load(Ordering::SeqCst) && Instant::now() < end {
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd, 50 ms.
        if unsafe { libc::poll(&mut pfd, 1, 50) } <= 0 {
            continue;
        }
        // SAFETY: reads into our buffer.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            let e = std::io::Error::last_os_error().raw_os_error();
            if e == Some(libc::EINTR) || e == Some(libc::EAGAIN) || e == Some(libc::ENOENT) {
                continue;
            }
            return; // ENODEV: unmounted or aborted
        }
        if (n as usize) < std::mem::size_of::<InHeader>() {
            continue;
        }
        // SAFETY: the buffer holds at least a header; read unaligned.
        let h: InHeader = unsafe { std::ptr::read_unaligned(buf.as_ptr().cast()) };
        match h.opcode {
            FUSE_INIT => {
                // max_readahead is the third u32 of fuse_init_in.
                let ra = u32::from_ne_bytes(buf[48..52].try_into().unwrap());
                let out = InitOut {
                    major: 7,
                    minor: 31,
                    max_readahead: ra,
                    max_write: 4096,
                    ..Default::default()
                };
                reply(fd, h.unique, 0, bytes_of(&out));
                inits.fetch_add(1, Ordering::SeqCst);
            }
            FUSE_GETATTR => {
                let out = AttrOut {
                    ino: 1,
                    mode: root_mode,
                    nlink: if root_mode & libc::S_IFMT == libc::S_IFDIR {
                        2
                    } else {
                        1
                    },
                    blksize: 4096,
                    ..Default::default()
                };
                reply(fd, h.unique, 0, bytes_of(&out));
            }
            FUSE_FORGET | FUSE_BATCH_FORGET | FUSE_INTERRUPT => {}
            _ => reply(fd, h.unique, -libc::ENOSYS, &[]),
        }
    }
}

/// `stat` that gives up after the deadline (the blocked thread is left
/// behind; the guards then abort the connection, which frees it).
fn stat_with_timeout(p: &Path) -> std::io::Result<std::fs::Metadata> {
    let (tx, rx) = mpsc::channel();
    let p = p.to_path_buf();
    thread::spawn(move || {
        let _ = tx.send(std::fs::metadata(p));
    });
    rx.recv_timeout(TIMEOUT).expect("stat timed out")
}

/// A mount made in this process: its descriptor is closed, and the daemon
/// stopped, before the directory guard detaches the mount.
struct Live {
    daemon: Option<Daemon>,
    fd: Option<RawFd>,
    dir: TestDir,
}

impl Live {
    fn new(dir: TestDir, m: &Mounted, root_mode: u32) -> Live {
        Live {
            daemon: Some(Daemon::start(m.fd, root_mode)),
            fd: Some(m.fd),
            dir,
        }
    }

    /// `mount::unmount`, which closes the descriptor.
    fn unmount(&mut self) {
        let fd = self.fd.take().unwrap();
        mount::unmount(&self.dir.mnt_c(), fd);
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Some(fd) = self.fd.take() {
            // SAFETY: the mount's descriptor, ours to close.
            unsafe { libc::close(fd) };
        }
        drop(self.daemon.take());
    }
}

fn args(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|a| a.as_bytes().to_vec()).collect()
}

fn opts(list: &[&str]) -> mount::MountOpts {
    let mut a = args(list);
    let mo = mount::parse_mount_opts(&mut a).unwrap();
    assert_eq!(a.len(), 1, "left over: {a:?}");
    mo
}

// ---------------------------------------------------------------------------
// Child processes

/// A re-run of this binary playing a scenario (see `child_entry`).
struct Child {
    proc: std::process::Child,
    lines: Receiver<String>,
    /// Its stderr goes to a file: a pipe could be held open by a
    /// fusermount3 that stays behind (3.14's inherits it).
    stderr: PathBuf,
}

impl Child {
    /// `env`: the scenario; with `nobody`, the child runs as nobody/nogroup
    /// in a mount namespace of its own (see [`NobodyNs`]).
    fn spawn(env: &[(&str, String)], nobody: Option<&NobodyNs>) -> Child {
        let exe = std::env::current_exe().unwrap();
        let n = SEQ.fetch_add(1, Ordering::SeqCst);
        let stderr =
            std::env::temp_dir().join(format!("ferrofuse-mount-{}-{n}.stderr", std::process::id()));
        let mut cmd = Command::new(&exe);
        if let Some(ns) = nobody {
            ns.setup(&mut cmd);
        }
        cmd.args(["--exact", "child_entry", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut proc = cmd.spawn().expect("spawn child");
        let out = proc.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                // (libtest's "test child_entry ... " may precede the first.)
                if let Some(i) = l.find("@@ ") {
                    let _ = tx.send(l[i + 3..].to_string());
                }
            }
        });
        Child {
            proc,
            lines,
            stderr,
        }
    }

    /// The next line the scenario reports.
    fn line(&self) -> String {
        self.lines
            .recv_timeout(TIMEOUT)
            .expect("child reported nothing in time")
    }

    /// Lets the scenario go on.
    fn proceed(&mut self) {
        let stdin = self.proc.stdin.as_mut().unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for the end; its stderr.
    fn finish(mut self) -> String {
        drop(self.proc.stdin.take());
        let end = Instant::now() + TIMEOUT;
        loop {
            if let Some(st) = self.proc.try_wait().unwrap() {
                assert!(st.success(), "child failed: {st}");
                break;
            }
            assert!(Instant::now() < end, "child did not end in time");
            thread::sleep(Duration::from_millis(20));
        }
        std::fs::read_to_string(&self.stderr).unwrap()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.stderr);
        if let Ok(None) = self.proc.try_wait() {
            let _ = self.proc.kill();
            let _ = self.proc.wait();
        }
    }
}

/// The child side. Environment: `FF_MNT` (mount point), `FF_ARGS` (the
/// session's arguments, one per line), `FF_WAIT` (wait for a line on stdin
/// after mounting), `FF_UNMOUNT` (then unmount). Reports on stdout lines
/// starting with "@@ ", and exits without unwinding anything.
#[test]
fn child_entry() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let report = |s: String| {
        println!("@@ {s}");
        std::io::stdout().flush().unwrap();
    };
    let mnt = CString::new(var("FF_MNT")).unwrap();
    let mut a: Vec<Vec<u8>> = var("FF_ARGS")
        .split('\n')
        .map(|s| s.as_bytes().to_vec())
        .collect();
    let mo = match mount::parse_mount_opts(&mut a) {
        Ok(mo) => mo,
        Err(e) => {
            report(format!("PARSE_ERR {e}"));
            std::process::exit(0);
        }
    };
    let m = match mount::mount(&mnt, &mo) {
        Ok(m) => m,
        Err(e) => {
            report(format!("MOUNT_ERR {e}"));
            std::process::exit(0);
        }
    };
    report(format!("FD {} {}", m.fd, m.auto_unmount.is_some()));
    if var("FF_WAIT") == "1" {
        let mut l = String::new();
        let _ = std::io::stdin().read_line(&mut l);
    }
    if var("FF_UNMOUNT") == "1" {
        mount::unmount(&mnt, m.fd);
        report("UNMOUNTED".into());
    }
    if var("FF_WAIT") == "1" {
        // Stay (for the parent to look at our mounts) until stdin closes.
        let mut l = String::new();
        let _ = std::io::stdin().read_line(&mut l);
    }
    std::process::exit(0);
}

/// The environment of a scenario.
fn scenario(mnt: &Path, argv: &[&str], wait: bool, unmount: bool) -> Vec<(&'static str, String)> {
    vec![
        ("FF_MNT", mnt.to_str().unwrap().to_string()),
        ("FF_ARGS", argv.join("\n")),
        ("FF_WAIT", if wait { "1" } else { "0" }.into()),
        ("FF_UNMOUNT", if unmount { "1" } else { "0" }.into()),
    ]
}

/// How `nobody` gets to mount here. Where /dev/fuse is root's alone (mode
/// 0600, as in this machine's container), no user can mount: libfuse opens
/// it before trying mount(2), and fusermount3 opens it with the user's
/// rights. The child therefore runs in a private mount namespace in which a
/// node of the same device with mode 0666 is bound over /dev/fuse, as on a
/// normal system, and an /etc/fuse.conf with `user_allow_other` (see
/// `nobody_auto_unmount_when_the_daemon_dies`); nothing changes outside. Its mounts are seen through
/// /proc/PID/mountinfo, or after its end through its namespace, which
/// `keep` holds open.
struct NobodyNs {
    node: PathBuf,
    conf: PathBuf,
}

impl NobodyNs {
    /// A 0666 node of /dev/fuse's device in `dir`.
    fn new(dir: &TestDir) -> NobodyNs {
        let rdev = std::fs::metadata("/dev/fuse").unwrap().rdev();
        let node = dir.base.join("fuse-node");
        let c = cpath(&node);
        // SAFETY: a NUL-terminated path.
        let r = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, rdev) };
        assert_eq!(r, 0, "mknod: {}", std::io::Error::last_os_error());
        std::fs::set_permissions(&node, std::fs::Permissions::from_mode(0o666)).unwrap();
        let conf = dir.base.join("fuse.conf");
        std::fs::write(&conf, b"user_allow_other\n").unwrap();
        std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o644)).unwrap();
        NobodyNs { node, conf }
    }

    fn setup(&self, cmd: &mut Command) {
        use std::os::unix::process::CommandExt;
        let node = cpath(&self.node);
        let conf = cpath(&self.conf);
        let check = |r: libc::c_int| {
            if r == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        };
        // SAFETY: between fork and exec the closure makes only system calls
        // (no allocation, no locks); `node` was allocated before the fork.
        unsafe {
            cmd.pre_exec(move || {
                check(libc::unshare(libc::CLONE_NEWNS))?;
                check(libc::mount(
                    c"none".as_ptr(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ))?;
                check(libc::mount(
                    node.as_ptr(),
                    c"/dev/fuse".as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND,
                    std::ptr::null(),
                ))?;
                check(libc::mount(
                    conf.as_ptr(),
                    c"/etc/fuse.conf".as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND,
                    std::ptr::null(),
                ))?;
                check(libc::setgroups(0, std::ptr::null()))?;
                check(libc::setresgid(NOBODY, NOBODY, NOBODY))?;
                check(libc::setresuid(NOBODY, NOBODY, NOBODY))
            });
        }
    }
}

impl Child {
    fn pid(&self) -> u32 {
        self.proc.id()
    }

    /// The mount on `path` as the child sees it.
    fn mountinfo(&self, path: &Path) -> Option<MountInfo> {
        let text = std::fs::read_to_string(format!("/proc/{}/mountinfo", self.pid())).unwrap();
        find_mount(&text, path)
    }

    /// A handle on the child's mount namespace, valid after its end.
    fn keep_namespace(&self) -> std::fs::File {
        std::fs::File::open(format!("/proc/{}/ns/mnt", self.pid())).unwrap()
    }
}

/// The mountinfo text of the mount namespace `ns` (read by a `cat` that
/// enters it).
fn namespace_mountinfo(ns: &std::fs::File) -> String {
    use std::os::unix::process::CommandExt;
    let fd = std::os::fd::AsRawFd::as_raw_fd(ns);
    let mut cmd = Command::new("cat");
    cmd.arg("/proc/self/mountinfo");
    // SAFETY: only a system call between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setns(fd, libc::CLONE_NEWNS) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

// ---------------------------------------------------------------------------
// As root, in this process

#[test]
fn root_mount_with_kernel_options() {
    need_root!();
    let dir = TestDir::new(false);
    let mo = opts(&[
        "prog",
        "-o",
        "default_permissions,allow_other,subtype=fftest,fsname=ff-src,max_read=65536",
    ]);
    let m = mount::mount(&dir.mnt_c(), &mo).expect("mount");
    assert!(m.auto_unmount.is_none());
    // SAFETY: reads our descriptor's flags.
    assert_eq!(
        unsafe { libc::fcntl(m.fd, libc::F_GETFD) },
        libc::FD_CLOEXEC
    );
    let mut live = Live::new(dir, &m, libc::S_IFDIR | 0o755);
    let mi = mountinfo(&live.dir.mnt).expect("mounted");
    assert_eq!(mi.fstype, "fuse.fftest");
    assert_eq!(mi.source, "ff-src");
    assert!(
        mi.mount_opt("rw") && mi.mount_opt("nosuid") && mi.mount_opt("nodev"),
        "{mi:?}"
    );
    for o in [
        "user_id=0",
        "group_id=0",
        "default_permissions",
        "allow_other",
        "max_read=65536",
    ] {
        assert!(mi.super_opt(o), "{o} missing: {mi:?}");
    }
    let st = stat_with_timeout(&live.dir.mnt).expect("stat");
    assert!(st.is_dir());
    assert_eq!(st.ino(), 1);
    assert_eq!(
        live.daemon.as_ref().unwrap().inits.load(Ordering::SeqCst),
        1
    );
    live.unmount();
    assert!(mountinfo(&live.dir.mnt).is_none(), "still mounted");
}

#[test]
fn root_mount_flags_and_defaults() {
    need_root!();
    let dir = TestDir::new(false);
    let mo = opts(&[
        "prog",
        "-o",
        "ro,suid,dev,noexec,noatime",
        "-osubtype=ffflags",
    ]);
    let m = mount::mount(&dir.mnt_c(), &mo).expect("mount");
    let mut live = Live::new(dir, &m, libc::S_IFDIR | 0o755);
    let mi = mountinfo(&live.dir.mnt).expect("mounted");
    assert_eq!(mi.fstype, "fuse.ffflags");
    // No fsname: the subtype is the source.
    assert_eq!(mi.source, "ffflags");
    assert!(
        mi.mount_opt("ro") && mi.mount_opt("noexec") && mi.mount_opt("noatime"),
        "{mi:?}"
    );
    assert!(!mi.mount_opt("nosuid") && !mi.mount_opt("nodev"), "{mi:?}");
    assert!(!mi.super_opt("allow_other") && !mi.super_opt("default_permissions"));
    live.unmount();
    assert!(mountinfo(&live.dir.mnt).is_none());

    // Neither fsname nor subtype: type fuse, source the device.
    let dir = TestDir::new(false);
    let m = mount::mount(&dir.mnt_c(), &opts(&["prog"])).expect("mount");
    let mut live = Live::new(dir, &m, libc::S_IFDIR | 0o755);
    let mi = mountinfo(&live.dir.mnt).expect("mounted");
    assert_eq!(
        (mi.fstype.as_str(), mi.source.as_str()),
        ("fuse", "/dev/fuse")
    );
    assert!(mi.mount_opt("nosuid") && mi.mount_opt("nodev"));
    live.unmount();
    assert!(mountinfo(&live.dir.mnt).is_none());
}

#[test]
fn root_mount_on_a_file() {
    need_root!();
    let dir = TestDir::new(true);
    let m = mount::mount(&dir.mnt_c(), &opts(&["prog", "-ofsname=fffile"])).expect("mount");
    // The kernel made the root a regular file (rootmode=100000): a GETATTR
    // answer of another type would make stat fail with EIO.
    let mut live = Live::new(dir, &m, libc::S_IFREG | 0o644);
    let mi = mountinfo(&live.dir.mnt).expect("mounted");
    assert_eq!((mi.fstype.as_str(), mi.source.as_str()), ("fuse", "fffile"));
    let st = stat_with_timeout(&live.dir.mnt).expect("stat");
    assert!(st.is_file());
    live.unmount();
    assert!(mountinfo(&live.dir.mnt).is_none());
}

#[test]
fn unmount_after_the_connection_is_gone() {
    need_root!();
    let dir = TestDir::new(false);
    let m = mount::mount(&dir.mnt_c(), &opts(&["prog"])).expect("mount");
    let mut live = Live::new(dir, &m, libc::S_IFDIR | 0o755);
    // Someone else unmounts: the device then reports POLLERR, and unmount
    // only closes the descriptor.
    // SAFETY: a NUL-terminated path.
    assert_eq!(
        unsafe { libc::umount2(live.dir.mnt_c().as_ptr(), libc::MNT_DETACH) },
        0
    );
    wait_until("the connection to go", || {
        let mut pfd = libc::pollfd {
            fd: m.fd,
            events: 0,
            revents: 0,
        };
        // SAFETY: one pollfd, no wait.
        unsafe { libc::poll(&mut pfd, 1, 0) == 1 && pfd.revents & libc::POLLERR != 0 }
    });
    live.unmount();
    // SAFETY: F_GETFD on a closed descriptor only fails.
    assert_eq!(unsafe { libc::fcntl(m.fd, libc::F_GETFD) }, -1);
    assert!(mountinfo(&live.dir.mnt).is_none());
}

#[test]
fn dev_fd_mount_point_is_used_as_is() {
    need_root!();
    let f = std::fs::File::open("/dev/null").unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&f);
    let mp = CString::new(format!("/dev/fd/{fd}")).unwrap();
    let m = mount::mount(&mp, &opts(&["prog", "-oallow_other"])).expect("/dev/fd/N");
    assert_eq!(m.fd, fd);
    assert!(m.auto_unmount.is_none());
}

#[test]
fn open_channel_mounts_with_an_option_string() {
    need_root!();
    let dir = TestDir::new(false);
    let fd = mount::open_channel(
        Some(&dir.mnt_c()),
        Some(c"subtype=ffchan,default_permissions,unknown_opt,fsname=chan"),
    );
    assert!(fd >= 0, "open_channel: {fd}");
    let m = Mounted {
        fd,
        auto_unmount: None,
    };
    let mut live = Live::new(dir, &m, libc::S_IFDIR | 0o755);
    let mi = mountinfo(&live.dir.mnt).expect("mounted");
    assert_eq!(
        (mi.fstype.as_str(), mi.source.as_str()),
        ("fuse.ffchan", "chan")
    );
    assert!(mi.super_opt("default_permissions"));
    live.unmount();
    assert!(mountinfo(&live.dir.mnt).is_none());
}

#[test]
fn root_auto_unmount() {
    need_root!();
    let dir = TestDir::new(false);
    let m = mount::mount(
        &dir.mnt_c(),
        &opts(&["prog", "-oauto_unmount,subtype=ffauto"]),
    )
    .expect("mount");
    let helper = m.auto_unmount.as_ref().expect("auto-unmount helper");
    assert!(std::env::var("_FUSE_COMMFD2").is_ok());
    let mut live = Live::new(dir, &m, libc::S_IFDIR | 0o755);
    assert!(mountinfo(&live.dir.mnt).is_some());
    // fusermount3 before 3.16 has no --auto-unmount and exits at once; a
    // newer one waits for the socket.
    thread::sleep(Duration::from_millis(300));
    if let Some(st) = helper.try_reap() {
        eprintln!(
            "note: the installed fusermount3 rejected --auto-unmount (status {st:#x}); \
             root mounts get no auto-unmount with it, as with libfuse 3.18"
        );
        live.unmount();
        assert!(mountinfo(&live.dir.mnt).is_none());
        return;
    }
    // Kill the daemon side: close every descriptor of the connection, then
    // our end of the helper's socket.
    drop(live.daemon.take());
    // SAFETY: the mount's descriptor, ours to close.
    unsafe { libc::close(live.fd.take().unwrap()) };
    let pid = m.auto_unmount.unwrap().release();
    wait_until("auto-unmount", || mountinfo(&live.dir.mnt).is_none());
    let mut st = 0;
    // SAFETY: our child; a writable status.
    unsafe { libc::waitpid(pid, &mut st, 0) };
}

// ---------------------------------------------------------------------------
// As root, messages (in a child, whose stderr has them)

#[test]
fn missing_mount_point() {
    need_root!();
    let dir = TestDir::new(false);
    let missing = dir.base.join("missing");
    let c = Child::spawn(&scenario(&missing, &["prog"], false, false), None);
    assert_eq!(c.line(), "MOUNT_ERR -1");
    let err = c.finish();
    let want = format!(
        "fuse: failed to access mountpoint {}: No such file or directory\n",
        missing.display()
    );
    assert!(err.contains(&want), "stderr: {err}");
}

#[test]
fn bad_option_value() {
    need_root!();
    let dir = TestDir::new(false);
    let c = Child::spawn(
        &scenario(
            &dir.mnt,
            &["prog", "-o", "allow_other,max_read=lots"],
            false,
            false,
        ),
        None,
    );
    assert!(c.line().starts_with("PARSE_ERR"));
    let err = c.finish();
    assert!(
        err.contains("fuse: invalid parameter in option `max_read=lots'\n"),
        "stderr: {err}"
    );
    assert!(mountinfo(&dir.mnt).is_none());
}

#[test]
fn kernel_rejects_an_option() {
    need_root!();
    let dir = TestDir::new(false);
    // blksize= is for fuseblk only: mount(2) fails with EINVAL.
    let c = Child::spawn(
        &scenario(&dir.mnt, &["prog", "-oblksize=512"], false, false),
        None,
    );
    assert_eq!(c.line(), "MOUNT_ERR -1");
    let err = c.finish();
    assert!(
        err.contains("fuse: mount failed: Invalid argument\n"),
        "stderr: {err}"
    );
    assert!(mountinfo(&dir.mnt).is_none());
}

#[test]
fn closed_dev_fd() {
    need_root!();
    let dir = TestDir::new(false);
    let c = Child::spawn(
        &scenario(Path::new("/dev/fd/777"), &["prog"], false, false),
        None,
    );
    assert_eq!(c.line(), "MOUNT_ERR -1");
    let err = c.finish();
    assert!(
        err.contains("fuse: Invalid file descriptor /dev/fd/777\n"),
        "stderr: {err}"
    );
    drop(dir);
}

// ---------------------------------------------------------------------------
// As nobody: fusermount3

#[test]
fn nobody_mounts_through_fusermount3() {
    need_root!();
    let dir = TestDir::new(false);
    dir.chown_nobody();
    let ns = NobodyNs::new(&dir);
    let env = scenario(
        &dir.mnt,
        &["prog", "-osubtype=ffuser,fsname=ffnobody"],
        true,
        true,
    );
    let mut c = Child::spawn(&env, Some(&ns));
    let l = c.line();
    assert!(l.starts_with("FD ") && l.ends_with(" false"), "{l}");
    let mi = c.mountinfo(&dir.mnt).expect("mounted by fusermount3");
    assert_eq!(mi.fstype, "fuse.ffuser");
    assert_eq!(mi.source, "ffnobody");
    assert!(mi.super_opt(&format!("user_id={NOBODY}")), "{mi:?}");
    assert!(mi.super_opt(&format!("group_id={NOBODY}")), "{mi:?}");
    assert!(mi.mount_opt("nosuid") && mi.mount_opt("nodev"), "{mi:?}");
    // Not in our namespace.
    assert!(mountinfo(&dir.mnt).is_none());
    c.proceed();
    assert_eq!(c.line(), "UNMOUNTED");
    assert!(c.mountinfo(&dir.mnt).is_none(), "still mounted");
    let err = c.finish();
    assert!(!err.contains("fuse"), "stderr: {err}");
}

#[test]
fn nobody_auto_unmount_when_the_daemon_dies() {
    need_root!();
    let dir = TestDir::new(false);
    dir.chown_nobody();
    let ns = NobodyNs::new(&dir);
    // The child mounts and exits without unmounting. allow_other: Debian's
    // fusermount3 3.14 checks for ENOTCONN by opening the mount point as
    // root, which the kernel refuses (EACCES) on a mount without it, so it
    // would never unmount; 3.16+ checks as the owner.
    let env = scenario(
        &dir.mnt,
        &["prog", "-oauto_unmount,allow_other,fsname=ffdies"],
        true,
        false,
    );
    let mut c = Child::spawn(&env, Some(&ns));
    let l = c.line();
    assert!(l.starts_with("FD ") && l.ends_with(" true"), "{l}");
    let keep = c.keep_namespace();
    let mi = c.mountinfo(&dir.mnt).expect("mounted");
    assert_eq!((mi.fstype.as_str(), mi.source.as_str()), ("fuse", "ffdies"));
    c.proceed();
    let err = c.finish();
    wait_until("auto-unmount", || {
        find_mount(&namespace_mountinfo(&keep), &dir.mnt).is_none()
    });
    assert!(!err.contains("fuse"), "stderr: {err}");
}

#[test]
fn nobody_fusermount3_refusal() {
    need_root!();
    // A mount point nobody may not write: fusermount3 refuses and says why.
    let dir = TestDir::new(false);
    let ns = NobodyNs::new(&dir);
    let env = scenario(
        &dir.mnt,
        &["prog", "-osubtype=ffsub,fsname=ffrefused"],
        false,
        false,
    );
    let c = Child::spawn(&env, Some(&ns));
    assert_eq!(c.line(), "MOUNT_ERR -1");
    let err = c.finish();
    // Said once: the first try (with the subtype) was quiet.
    let msg = format!(
        "fusermount3: user has no write access to mountpoint {}\n",
        dir.mnt.display()
    );
    assert_eq!(err.matches(&msg).count(), 1, "stderr: {err}");
}

#[test]
fn helper_unescape() {
    assert_eq!(unescape("a\\040b"), "a b");
    assert_eq!(unescape("plain"), "plain");
}
