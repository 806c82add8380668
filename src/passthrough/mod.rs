//! Transparent kernel passthrough (`-o passthrough=auto`,
//! `FERROFUSE_PASSTHROUGH=auto`): for a filesystem that knows nothing of
//! passthrough, an open whose `fi->fh` is provably an fd of the very file
//! the filesystem reported for that node is handed to the kernel as a
//! backing file, so reads, writes and mmap of it bypass the daemon.
//!
//! The proof, made when the filesystem answers OPEN or CREATE:
//! - `fh` is an open fd (F_GETFL) of a regular file, not O_PATH, whose
//!   access mode covers the open's;
//! - its device and inode equal those the filesystem last reported for the
//!   node (lookup, create, getattr, statx, setattr, readdirplus replies), and so do
//!   its size and mtime (an O_TRUNC open: size 0, mtime not compared);
//! - no cached (page-cache) open of the node is live, and the reply is not
//!   nonseekable.
//!
//! The kernel's rules are kept here: one backing id per node, shared by
//! every passthrough open of it and closed on its last release; cached and
//! passthrough opens of a node never mix (an open that cannot join a node's
//! passthrough opens gets FOPEN_DIRECT_IO, which the kernel allows beside
//! them); keep_cache is stripped; writeback cache is turned off at INIT. If
//! the kernel refuses a backing file (EPERM without CAP_SYS_ADMIN, ELOOP when
//! stacked too deep, ...) the feature switches itself off with one log line
//! and opens proceed as usual.
//!
//! The decision is [`plan`], pure and unit-tested; [`Auto`] holds the state
//! (one lock, never held across a filesystem callback) and the few syscalls.

use crate::kernel::{
    fuse_backing_map, fuse_open_out, FOPEN_DIRECT_IO, FOPEN_KEEP_CACHE, FOPEN_NONSEEKABLE,
    FOPEN_PASSTHROUGH, FUSE_DEV_IOC_BACKING_CLOSE, FUSE_DEV_IOC_BACKING_OPEN,
};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// What identifies a file's content at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ident {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub gid: u32,
    pub size: i64,
    pub mtime: (i64, i64),
}

impl Ident {
    pub fn from_stat(st: &libc::stat) -> Ident {
        Ident {
            dev: st.st_dev,
            ino: st.st_ino,
            mode: st.st_mode,
            gid: st.st_gid,
            size: st.st_size,
            mtime: (st.st_mtime, st.st_mtime_nsec),
        }
    }

    /// From a statx that has every field this needs.
    pub fn from_statx(sx: &libc::statx) -> Option<Ident> {
        let need = libc::STATX_TYPE | libc::STATX_INO | libc::STATX_SIZE | libc::STATX_MTIME;
        (sx.stx_mask & need == need).then(|| Ident {
            dev: libc::makedev(sx.stx_dev_major, sx.stx_dev_minor),
            ino: sx.stx_ino,
            mode: u32::from(sx.stx_mode),
            gid: sx.stx_gid,
            size: sx.stx_size as i64,
            mtime: (sx.stx_mtime.tv_sec, i64::from(sx.stx_mtime.tv_nsec)),
        })
    }

    fn regular(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFREG
    }

    /// The mode with the bits an unprivileged writer's write, truncate or
    /// chown clears (session::killpriv::killed_mode).
    pub fn killed_mode(&self, in_group: impl FnOnce(u32) -> bool) -> Option<u32> {
        crate::session::killpriv::killed_mode(self.mode, self.gid, in_group)
    }
}

/// What an `fh` turned out to be, if an fd: its F_GETFL flags and identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdInfo {
    pub flags: i32,
    pub ident: Ident,
}

/// How an open of a node uses the kernel's per-inode I/O mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Passthrough,
    /// Through the FUSE page cache: excludes passthrough opens.
    Cached,
    /// FOPEN_DIRECT_IO: neutral.
    Uncached,
}

/// Why an open was not passed through (the `-d` counters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    Off,
    NotAnFd,
    NotRegular,
    Access,
    Nonseekable,
    NoReport,
    OtherFile,
    Changed,
    CachedOpen,
    Refused,
    Setid,
}

const WHYS: [Why; 11] = [
    Why::Off,
    Why::NotAnFd,
    Why::NotRegular,
    Why::Access,
    Why::Nonseekable,
    Why::NoReport,
    Why::OtherFile,
    Why::Changed,
    Why::CachedOpen,
    Why::Refused,
    Why::Setid,
];

impl Why {
    pub fn text(self) -> &'static str {
        match self {
            Why::Off => "passthrough is off",
            Why::NotAnFd => "fh is not an open fd",
            Why::NotRegular => "fh is not a regular file",
            Why::Access => "fh's access mode does not cover the open's",
            Why::Nonseekable => "the open is nonseekable",
            Why::NoReport => "no attributes reported for the node",
            Why::OtherFile => "fh is another file than the node's",
            Why::Changed => "size or mtime differ from the node's reported ones",
            Why::CachedOpen => "a cached open of the node is live",
            Why::Refused => "the kernel refused the backing file",
            Why::Setid => "the file is setuid/setgid and the open may write",
        }
    }

    fn index(self) -> usize {
        WHYS.iter().position(|w| *w == self).unwrap_or(0)
    }
}

/// The node's passthrough state as [`plan`] sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeView {
    /// The backing id and the (dev, ino) it was registered for.
    pub backing: Option<(i32, u64, u64)>,
    pub cached: u32,
}

/// What to do with one open reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Join the node's live backing file.
    Reuse(i32),
    /// Register `fh` as the node's backing file.
    Register,
    /// Open as the filesystem said.
    Keep(Why),
    /// The node has passthrough opens this one cannot join: FOPEN_DIRECT_IO.
    Uncached(Why),
}

fn access_covers(fd_flags: i32, open_flags: i32) -> bool {
    let have = fd_flags & libc::O_ACCMODE;
    match open_flags & libc::O_ACCMODE {
        libc::O_RDONLY => have == libc::O_RDONLY || have == libc::O_RDWR,
        libc::O_WRONLY => have == libc::O_WRONLY || have == libc::O_RDWR,
        _ => have == libc::O_RDWR,
    }
}

/// Checks that hold for joining and for registering alike.
fn fd_fit(open_flags: i32, reply_flags: u32, fd: Option<FdInfo>) -> Result<FdInfo, Why> {
    if reply_flags & FOPEN_NONSEEKABLE != 0 {
        return Err(Why::Nonseekable);
    }
    let fd = fd.ok_or(Why::NotAnFd)?;
    if fd.flags & libc::O_PATH != 0 {
        return Err(Why::Access);
    }
    if !fd.ident.regular() {
        return Err(Why::NotRegular);
    }
    if !access_covers(fd.flags, open_flags) {
        return Err(Why::Access);
    }
    Ok(fd)
}

/// The decision for one OPEN/CREATE reply: `open_flags` the open's flags,
/// `reply_flags` the FOPEN_* the filesystem answered, `fd` what its fh is,
/// `reported` what it last reported for the node, `on` whether new backing
/// files may be registered.
pub fn plan(
    open_flags: i32,
    reply_flags: u32,
    fd: Option<FdInfo>,
    reported: Option<Ident>,
    node: NodeView,
    on: bool,
) -> Plan {
    if let Some((id, dev, ino)) = node.backing {
        // The node is in passthrough mode: join it or stay out of its way.
        return match fd_fit(open_flags, reply_flags, fd) {
            Ok(fd) if (fd.ident.dev, fd.ident.ino) == (dev, ino) => Plan::Reuse(id),
            Ok(_) => Plan::Uncached(Why::OtherFile),
            Err(why) => Plan::Uncached(why),
        };
    }
    if !on {
        return Plan::Keep(Why::Off);
    }
    let fd = match fd_fit(open_flags, reply_flags, fd) {
        Ok(fd) => fd,
        Err(why) => return Plan::Keep(why),
    };
    let Some(rep) = reported else {
        return Plan::Keep(Why::NoReport);
    };
    if !rep.regular() || (rep.dev, rep.ino) != (fd.ident.dev, fd.ident.ino) {
        return Plan::Keep(Why::OtherFile);
    }
    let same = if open_flags & libc::O_TRUNC != 0 {
        fd.ident.size == 0
    } else {
        (rep.size, rep.mtime) == (fd.ident.size, fd.ident.mtime)
    };
    if !same {
        return Plan::Keep(Why::Changed);
    }
    if node.cached > 0 {
        return Plan::Keep(Why::CachedOpen);
    }
    Plan::Register
}

/// [`plan`], with the setid rule of the library's kill-priv duty (see
/// [`Auto::open`]): an open that may write a setuid/setgid file
/// stays with the filesystem, whose WRITEs carry the kernel's
/// kill-suid/sgid flag; passthrough writes would carry none.
pub fn plan_guarded(
    open_flags: i32,
    reply_flags: u32,
    fd: Option<FdInfo>,
    reported: Option<Ident>,
    node: NodeView,
    on: bool,
    setid_guard: bool,
) -> Plan {
    let p = plan(open_flags, reply_flags, fd, reported, node, on);
    let writes = open_flags & libc::O_ACCMODE != libc::O_RDONLY;
    // Any setid bit: the writers are not known yet.
    let setid = reported.is_some_and(|r| r.killed_mode(|_| false).is_some());
    match p {
        Plan::Reuse(_) if setid_guard && writes && setid => Plan::Uncached(Why::Setid),
        Plan::Register if setid_guard && writes && setid => Plan::Keep(Why::Setid),
        p => p,
    }
}

#[derive(Default)]
struct Node {
    view: NodeView,
    /// Live opens: (fh, kind). Few per node.
    opens: Vec<(u64, Kind)>,
}

impl Node {
    fn count(&mut self, kind: Kind, fh: u64) {
        self.opens.push((fh, kind));
        if kind == Kind::Cached {
            self.view.cached += 1;
        }
    }

    /// Forgets one open of `fh`, of `kind` if given; with several kinds
    /// for one fh, a passthrough one goes last (a backing id left open a
    /// little long is harmless; one closed early breaks the next open).
    fn uncount(&mut self, fh: u64, kind: Option<Kind>) -> Option<Kind> {
        let pos = match kind {
            Some(k) => self.opens.iter().position(|&o| o == (fh, k)),
            None => self
                .opens
                .iter()
                .position(|&(f, k)| f == fh && k != Kind::Passthrough)
                .or_else(|| self.opens.iter().position(|&(f, _)| f == fh)),
        };
        let gone = self.opens.swap_remove(pos?).1;
        if gone == Kind::Cached {
            self.view.cached -= 1;
        }
        Some(gone)
    }

    fn passthrough_opens(&self) -> usize {
        self.opens
            .iter()
            .filter(|o| o.1 == Kind::Passthrough)
            .count()
    }
}

#[derive(Default)]
struct State {
    reported: HashMap<u64, Ident>,
    nodes: HashMap<u64, Node>,
}

/// An open counted before its reply was sent, to take back if the reply
/// does not reach the kernel.
#[derive(Clone, Copy, Debug)]
pub struct Counted {
    nodeid: u64,
    fh: u64,
    kind: Kind,
}

/// The session's transparent passthrough.
#[derive(Default)]
pub struct Auto {
    /// Negotiated at INIT: records and counts are kept.
    tracking: AtomicBool,
    /// New backing files may be registered (cleared on the kernel's refusal).
    on: AtomicBool,
    st: Mutex<State>,
    opens: AtomicU64,
    passed: AtomicU64,
    why: [AtomicU64; WHYS.len()],
}

/// An fd's F_GETFL flags and fstat identity, or None if `fh` is not one.
fn fd_info(fh: u64) -> Option<FdInfo> {
    let fd = i32::try_from(fh).ok()?;
    // SAFETY: F_GETFL takes no pointer; any int is safe to ask about.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return None;
    }
    // SAFETY: all-zero is a valid `stat`.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes one `stat` into a local.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return None;
    }
    Some(FdInfo {
        flags,
        ident: Ident::from_stat(&st),
    })
}

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn backing_open(dev: i32, fd: i32, drop_fsetid: bool) -> Result<i32, i32> {
    let map = fuse_backing_map {
        fd,
        ..Default::default()
    };
    let open = || {
        // SAFETY: the ioctl reads one fuse_backing_map from a local.
        unsafe { libc::ioctl(dev, FUSE_DEV_IOC_BACKING_OPEN as libc::c_ulong, &map) }
    };
    let id = if drop_fsetid {
        without_fsetid(open)?
    } else {
        open()
    };
    if id > 0 {
        Ok(id)
    } else if id == 0 {
        Err(libc::EIO)
    } else {
        Err(errno())
    }
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
const CAP_FSETID: u32 = 4;

/// Runs `f` with CAP_FSETID out of this thread's effective capabilities.
/// The kernel keeps the credentials of the BACKING_OPEN caller for every
/// passthrough write; without CAP_FSETID, the backing filesystem clears
/// setuid/setgid on those writes as it would for an unprivileged writer.
fn without_fsetid<T>(f: impl FnOnce() -> T) -> Result<T, i32> {
    let mut hdr = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut caps = [CapData::default(); 2];
    // SAFETY: capget writes two CapData (version 3) for the calling thread.
    if unsafe { libc::syscall(libc::SYS_capget, &mut hdr, caps.as_mut_ptr()) } != 0 {
        return Err(errno());
    }
    let bit = 1 << CAP_FSETID;
    if caps[0].effective & bit == 0 {
        return Ok(f());
    }
    let mut less = caps;
    less[0].effective &= !bit;
    // SAFETY: capset reads the header and two CapData; pid 0 is this
    // thread only.
    if unsafe { libc::syscall(libc::SYS_capset, &mut hdr, less.as_ptr()) } != 0 {
        return Err(errno());
    }
    let r = f();
    // SAFETY: as above, restoring what capget returned.
    if unsafe { libc::syscall(libc::SYS_capset, &mut hdr, caps.as_ptr()) } != 0 {
        crate::log_err!(
            "fuse: passthrough=auto: restoring CAP_FSETID: {}\n",
            crate::log::strerror(errno())
        );
    }
    Ok(r)
}

fn backing_close(dev: i32, id: i32) {
    // SAFETY: the ioctl reads one int from a local.
    let ret = unsafe { libc::ioctl(dev, FUSE_DEV_IOC_BACKING_CLOSE as libc::c_ulong, &id) };
    if ret < 0 {
        crate::log_err!(
            "fuse: passthrough=auto: closing backing id {id}: {}\n",
            crate::log::strerror(errno())
        );
    }
}

impl Auto {
    /// Called at INIT when the session asked for passthrough=auto.
    pub fn start(&self) {
        self.tracking.store(true, Ordering::SeqCst);
        self.on.store(true, Ordering::SeqCst);
    }

    /// The filesystem registered a backing file itself: from now on it
    /// decides, and auto registers no more (one node must not get two).
    pub fn filesystem_manages(&self, debug: bool) {
        if self.tracking() && self.on.swap(false, Ordering::SeqCst) && debug {
            crate::log_debug!(
                "fuse: passthrough=auto: the filesystem registers backing files itself; auto steps aside\n"
            );
        }
    }

    pub fn tracking(&self) -> bool {
        self.tracking.load(Ordering::Relaxed)
    }

    /// Notes what the filesystem reported for `nodeid`.
    pub fn reported(&self, nodeid: u64, st: &libc::stat) {
        if self.tracking() {
            self.reported_ident(nodeid, Ident::from_stat(st));
        }
    }

    pub fn reported_ident(&self, nodeid: u64, id: Ident) {
        if nodeid != 0 && self.tracking() {
            self.st.lock().reported.insert(nodeid, id);
        }
    }

    /// The kernel forgot `nodeid`: its record goes, and so do opens still
    /// counted for it (their RELEASE never reached us).
    pub fn forget(&self, dev: i32, nodeid: u64) {
        if !self.tracking() {
            return;
        }
        let mut st = self.st.lock();
        st.reported.remove(&nodeid);
        if let Some(node) = st.nodes.remove(&nodeid) {
            if let Some((id, _, _)) = node.view.backing {
                backing_close(dev, id);
            }
        }
    }

    /// Decides an OPEN/CREATE reply for `nodeid` and adjusts `arg`; the
    /// open is counted before the reply goes out (a concurrent release must
    /// not close a backing id this reply names). `killpriv`: the library
    /// holds the filesystem's kill-suid/sgid duty (session::killpriv), so
    /// the kernel asks no GETXATTR before writes and leaves clearing
    /// setuid/setgid to the server: writable opens of setuid/setgid files
    /// stay with the filesystem, and backing files are registered without
    /// CAP_FSETID.
    pub fn open(
        &self,
        dev: i32,
        debug: bool,
        nodeid: u64,
        open_flags: i32,
        killpriv: bool,
        arg: &mut fuse_open_out,
    ) -> Option<Counted> {
        if !self.tracking() || arg.open_flags & FOPEN_PASSTHROUGH != 0 {
            return None;
        }
        let fd = fd_info(arg.fh);
        let mut st = self.st.lock();
        let reported = st.reported.get(&nodeid).copied();
        let view = st.nodes.get(&nodeid).map(|n| n.view).unwrap_or_default();
        let mut plan = plan_guarded(
            open_flags,
            arg.open_flags,
            fd,
            reported,
            view,
            self.on.load(Ordering::Relaxed),
            killpriv,
        );
        let mut backing = None;
        if plan == Plan::Register {
            // Register implies fh is an fd (fd_info succeeded).
            match backing_open(dev, arg.fh as i32, killpriv) {
                Ok(id) => backing = Some(id),
                Err(e) => {
                    if self.on.swap(false, Ordering::SeqCst) {
                        crate::log_err!(
                            "fuse: passthrough=auto: the kernel refused a backing file ({}); passthrough off\n",
                            crate::log::strerror(e)
                        );
                    }
                    plan = Plan::Keep(Why::Refused);
                }
            }
        }
        let kind = match (plan, backing) {
            (Plan::Reuse(id), _) | (Plan::Register, Some(id)) => {
                arg.backing_id = id;
                arg.open_flags |= FOPEN_PASSTHROUGH;
                arg.open_flags &= !(FOPEN_KEEP_CACHE | FOPEN_DIRECT_IO);
                Kind::Passthrough
            }
            (Plan::Uncached(_), _) => {
                arg.open_flags |= FOPEN_DIRECT_IO;
                Kind::Uncached
            }
            _ if arg.open_flags & FOPEN_DIRECT_IO != 0 => Kind::Uncached,
            _ => Kind::Cached,
        };
        let node = st.nodes.entry(nodeid).or_default();
        if let (Some(id), Some(fd)) = (backing, fd) {
            node.view.backing = Some((id, fd.ident.dev, fd.ident.ino));
        }
        node.count(kind, arg.fh);
        drop(st);

        self.opens.fetch_add(1, Ordering::Relaxed);
        match plan {
            Plan::Keep(why) | Plan::Uncached(why) => {
                self.why[why.index()].fetch_add(1, Ordering::Relaxed);
                if debug {
                    crate::log_debug!(
                        "   passthrough: nodeid {nodeid} fh {}: not passed through: {}{}\n",
                        arg.fh,
                        why.text(),
                        if matches!(plan, Plan::Uncached(_)) {
                            " (direct_io beside the node's passthrough opens)"
                        } else {
                            ""
                        }
                    );
                }
            }
            _ => {
                self.passed.fetch_add(1, Ordering::Relaxed);
                if debug {
                    crate::log_debug!(
                        "   passthrough: nodeid {nodeid} fh {}: backing id {}\n",
                        arg.fh,
                        arg.backing_id
                    );
                }
            }
        }
        Some(Counted {
            nodeid,
            fh: arg.fh,
            kind,
        })
    }

    /// The reply for `c` did not reach the kernel: no RELEASE will follow.
    pub fn undo(&self, dev: i32, c: Counted) {
        self.uncount(dev, c.nodeid, c.fh, Some(c.kind));
    }

    /// RELEASE of `nodeid`'s open `fh`.
    pub fn release(&self, dev: i32, nodeid: u64, fh: u64) {
        if self.tracking() {
            self.uncount(dev, nodeid, fh, None);
        }
    }

    fn uncount(&self, dev: i32, nodeid: u64, fh: u64, kind: Option<Kind>) {
        let mut st = self.st.lock();
        let Some(node) = st.nodes.get_mut(&nodeid) else {
            return;
        };
        let Some(gone) = node.uncount(fh, kind) else {
            return;
        };
        // What passthrough I/O did to the file is what the filesystem
        // would report now: its fh, still open during RELEASE, says so.
        // (Only passthrough opens: the filesystem's own writes may have
        // transformed what it stored.)
        let mut now = None;
        if gone == Kind::Passthrough && kind.is_none() {
            if let (Some(fd), Some((_, dev, ino))) = (fd_info(fh), node.view.backing) {
                if (fd.ident.dev, fd.ident.ino) == (dev, ino) {
                    now = Some(fd.ident);
                }
            }
        }
        if node.passthrough_opens() == 0 {
            if let Some((id, _, _)) = node.view.backing.take() {
                // Under the lock, so no open can pick up the closing id.
                backing_close(dev, id);
            }
        }
        if node.opens.is_empty() {
            st.nodes.remove(&nodeid);
        }
        if let Some(now) = now {
            st.reported.insert(nodeid, now);
        }
    }

    /// The `-d` summary: how many opens went through, why the others not.
    pub fn summary(&self) -> Option<String> {
        if !self.tracking() {
            return None;
        }
        let mut s = format!(
            "fuse: passthrough=auto: {} of {} opens passed through",
            self.passed.load(Ordering::Relaxed),
            self.opens.load(Ordering::Relaxed)
        );
        for w in WHYS {
            let n = self.why[w.index()].load(Ordering::Relaxed);
            if n > 0 {
                s.push_str(&format!("; {n} not: {}", w.text()));
            }
        }
        s.push('\n');
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(ino: u64, size: i64, mtime: i64) -> Ident {
        Ident {
            dev: 7,
            ino,
            mode: libc::S_IFREG | 0o644,
            gid: 0,
            size,
            mtime: (mtime, 0),
        }
    }

    fn fd(flags: i32, id: Ident) -> Option<FdInfo> {
        Some(FdInfo { flags, ident: id })
    }

    const FRESH: NodeView = NodeView {
        backing: None,
        cached: 0,
    };

    #[test]
    fn the_reported_file_itself_is_registered() {
        let id = ident(5, 100, 9);
        let p = plan(
            libc::O_RDONLY,
            0,
            fd(libc::O_RDONLY, id),
            Some(id),
            FRESH,
            true,
        );
        assert_eq!(p, Plan::Register);
        // A read-write fd serves a write-only open (passthrough_hp does that).
        let p = plan(
            libc::O_WRONLY,
            0,
            fd(libc::O_RDWR, id),
            Some(id),
            FRESH,
            true,
        );
        assert_eq!(p, Plan::Register);
    }

    #[test]
    fn killed_mode_follows_the_kernel() {
        let with = |mode: u32| Ident {
            mode: libc::S_IFREG | mode,
            gid: 20,
            ..ident(5, 1, 1)
        };
        assert_eq!(
            with(0o4755).killed_mode(|_| true),
            Some(libc::S_IFREG | 0o755)
        );
        assert_eq!(
            with(0o6775).killed_mode(|_| true),
            Some(libc::S_IFREG | 0o775)
        );
        // setgid without group execute: only for writers outside the group.
        assert_eq!(with(0o2765).killed_mode(|g| g == 20), None);
        assert_eq!(
            with(0o2765).killed_mode(|_| false),
            Some(libc::S_IFREG | 0o765)
        );
        assert_eq!(with(0o0777).killed_mode(|_| false), None);
        let dir = Ident {
            mode: libc::S_IFDIR | 0o6777,
            ..ident(5, 1, 1)
        };
        assert_eq!(dir.killed_mode(|_| false), None);
    }

    #[test]
    fn setid_files_open_for_writing_stay_with_the_filesystem() {
        let id = Ident {
            mode: libc::S_IFREG | 0o4755,
            ..ident(5, 100, 9)
        };
        let go = |flags: i32, node: NodeView, guard: bool| {
            plan_guarded(flags, 0, fd(libc::O_RDWR, id), Some(id), node, true, guard)
        };
        assert_eq!(go(libc::O_WRONLY, FRESH, true), Plan::Keep(Why::Setid));
        assert_eq!(go(libc::O_RDONLY, FRESH, true), Plan::Register);
        assert_eq!(go(libc::O_WRONLY, FRESH, false), Plan::Register);
        let live = NodeView {
            backing: Some((3, 7, 5)),
            cached: 0,
        };
        assert_eq!(go(libc::O_RDWR, live, true), Plan::Uncached(Why::Setid));
        assert_eq!(go(libc::O_RDONLY, live, true), Plan::Reuse(3));
    }

    #[test]
    fn anything_unproven_keeps_the_filesystem_in_the_path() {
        let id = ident(5, 100, 9);
        let ro = libc::O_RDONLY;
        let cases = [
            (plan(ro, 0, None, Some(id), FRESH, true), Why::NotAnFd),
            (plan(ro, 0, fd(ro, id), None, FRESH, true), Why::NoReport),
            (plan(ro, 0, fd(ro, id), Some(id), FRESH, false), Why::Off),
            (
                plan(ro, 0, fd(ro, ident(6, 100, 9)), Some(id), FRESH, true),
                Why::OtherFile,
            ),
            (
                plan(ro, 0, fd(ro, ident(5, 50, 9)), Some(id), FRESH, true),
                Why::Changed,
            ),
            (
                plan(ro, 0, fd(ro, ident(5, 100, 10)), Some(id), FRESH, true),
                Why::Changed,
            ),
            (
                plan(libc::O_RDWR, 0, fd(ro, id), Some(id), FRESH, true),
                Why::Access,
            ),
            (
                plan(ro, 0, fd(ro | libc::O_PATH, id), Some(id), FRESH, true),
                Why::Access,
            ),
            (
                plan(ro, FOPEN_NONSEEKABLE, fd(ro, id), Some(id), FRESH, true),
                Why::Nonseekable,
            ),
            (
                plan(
                    ro,
                    0,
                    fd(ro, id),
                    Some(id),
                    NodeView {
                        backing: None,
                        cached: 1,
                    },
                    true,
                ),
                Why::CachedOpen,
            ),
        ];
        for (got, why) in cases {
            assert_eq!(got, Plan::Keep(why));
        }
        let mut dir = id;
        dir.mode = libc::S_IFDIR | 0o755;
        assert_eq!(
            plan(ro, 0, fd(ro, dir), Some(dir), FRESH, true),
            Plan::Keep(Why::NotRegular)
        );
    }

    #[test]
    fn o_trunc_expects_an_empty_file_not_the_old_size() {
        let old = ident(5, 100, 9);
        let flags = libc::O_WRONLY | libc::O_TRUNC;
        let p = plan(
            flags,
            0,
            fd(libc::O_WRONLY, ident(5, 0, 11)),
            Some(old),
            FRESH,
            true,
        );
        assert_eq!(p, Plan::Register);
        let p = plan(
            flags,
            0,
            fd(libc::O_WRONLY, ident(5, 3, 11)),
            Some(old),
            FRESH,
            true,
        );
        assert_eq!(p, Plan::Keep(Why::Changed));
    }

    #[test]
    fn a_passthrough_node_is_joined_or_left_alone() {
        let id = ident(5, 100, 9);
        let node = NodeView {
            backing: Some((3, 7, 5)),
            cached: 0,
        };
        // Joining needs no fresh report (the file may have grown since).
        let grown = ident(5, 4096, 20);
        let ro = libc::O_RDONLY;
        assert_eq!(
            plan(ro, 0, fd(ro, grown), Some(id), node, false),
            Plan::Reuse(3)
        );
        assert_eq!(
            plan(ro, 0, fd(ro, ident(8, 1, 1)), Some(id), node, true),
            Plan::Uncached(Why::OtherFile)
        );
        assert_eq!(
            plan(ro, 0, None, Some(id), node, true),
            Plan::Uncached(Why::NotAnFd)
        );
    }

    #[test]
    fn release_prefers_the_non_passthrough_open_of_a_shared_fh() {
        let mut n = Node::default();
        n.count(Kind::Passthrough, 4);
        n.count(Kind::Uncached, 4);
        n.count(Kind::Cached, 9);
        assert_eq!(n.view.cached, 1);
        assert_eq!(n.uncount(4, None), Some(Kind::Uncached));
        assert_eq!(n.passthrough_opens(), 1);
        assert_eq!(n.uncount(9, None), Some(Kind::Cached));
        assert_eq!(n.view.cached, 0);
        assert_eq!(n.uncount(9, None), None);
        assert_eq!(
            n.uncount(4, Some(Kind::Passthrough)),
            Some(Kind::Passthrough)
        );
        assert!(n.opens.is_empty());
    }

    #[test]
    fn summary_names_the_reasons() {
        let a = Auto::default();
        assert!(a.summary().is_none());
        a.start();
        a.opens.store(3, Ordering::Relaxed);
        a.passed.store(2, Ordering::Relaxed);
        a.why[Why::Changed.index()].store(1, Ordering::Relaxed);
        assert_eq!(
            a.summary().unwrap(),
            "fuse: passthrough=auto: 2 of 3 opens passed through; 1 not: size or mtime differ from the node's reported ones\n"
        );
    }
}
