//! The dispatch fuzz harness: arbitrary request bytes through a real
//! ferrofuse session, no mount. Shared by the cargo-fuzz target
//! (`fuzz_targets/dispatch.rs`) and the stable replay test
//! (`tests/fuzz_smoke.rs`), both of which include this file with `#[path]`.
//!
//! # Input format
//! - byte 0: the configuration ([`Config`]): ABI flavour, `-d`, the INIT
//!   the harness sends first (protocol minor, offered flags), whether the
//!   filesystem asks for `FUSE_CAP_SETXATTR_EXT`, `allow_root`.
//! - then frames: a little-endian `u16` length and that many bytes (fewer
//!   if the input ends first), each handed to the dispatcher as one read of
//!   /dev/fuse. The `fuse_in_header` inside is not trusted: its `len` may
//!   disagree with the frame, it may be cut short, the opcode may be
//!   anything.
//!
//! The session is made by `fuse_session_new` (or `_versioned`) with custom
//! I/O whose `writev` appends every message to a thread-local list, so the
//! replies can be checked. The operations table has a few small callbacks
//! that answer through the real `fuse_reply_*` functions (lookup, getattr,
//! open, read, readdir, write); everything else is absent, so the library
//! answers it itself (ENOSYS for most).
//!
//! [`run`] checks, besides "no panic, no memory error" (the sanitizers'
//! part): every message is a well-formed reply (`len` equals the bytes
//! written, error 0 or a negated errno, no body with an error), it answers
//! a request that was sent, there are no more replies than requests, and a
//! well-formed request with an unknown opcode, once INIT is done, gets
//! ENOSYS.

#![allow(dead_code)]

use fuse3::capi::types::{
    fuse_args, fuse_conn_info, fuse_custom_io, fuse_entry_param, fuse_file_info, fuse_lowlevel_ops,
    fuse_req, fuse_session, libfuse_version,
};
use fuse3::kernel::{
    fuse_in_header, fuse_init_in, WireStruct, ALL_OPCODES, CUSE_INIT, FUSE_INIT, FUSE_INIT_EXT,
};
use libc::{c_char, c_int, c_void, off_t, size_t};
use std::cell::RefCell;
use std::ffi::CStr;
use std::sync::atomic::Ordering;

/// sizeof(struct fuse_out_header)
const OUT_HEADER: usize = 16;
/// The unique of the INIT the harness sends first.
pub const INIT_UNIQUE: u64 = 1;

/// What byte 0 of an input selects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// The 3.17+ ABI (`fuse_session_new_versioned`, 3.18); else 3.14's.
    pub v317: bool,
    /// `-d`: the debug trace of every request and reply.
    pub debug: bool,
    /// The filesystem's init() asks for FUSE_CAP_SETXATTR_EXT (long
    /// `fuse_setxattr_in`), when offered.
    pub setxattr_ext: bool,
    /// The kernel's INIT offers every flag (both words); else none.
    pub all_flags: bool,
    /// Index into [`MINORS`]: the protocol minor of the first INIT.
    pub minor_idx: u8,
    /// `-o allow_root`: requests from other users get EACCES.
    pub allow_root: bool,
}

/// Protocol minors the first INIT may announce: the current one and the
/// versions at which request structs or replies changed size.
pub const MINORS: [u32; 4] = [45, 23, 9, 6];

impl Config {
    pub fn from_byte(b: u8) -> Config {
        Config {
            v317: b & 1 != 0,
            debug: b & 2 != 0,
            setxattr_ext: b & 4 != 0,
            all_flags: b & 8 != 0,
            minor_idx: (b >> 4) & 3,
            allow_root: b & 0x40 != 0,
        }
    }

    pub fn to_byte(self) -> u8 {
        self.v317 as u8
            | (self.debug as u8) << 1
            | (self.setxattr_ext as u8) << 2
            | (self.all_flags as u8) << 3
            | (self.minor_idx & 3) << 4
            | (self.allow_root as u8) << 6
    }

    /// The 3.18 ABI, every flag offered, protocol 7.45.
    pub fn modern() -> Config {
        Config {
            v317: true,
            all_flags: true,
            ..Config::default()
        }
    }

    pub fn minor(self) -> u32 {
        MINORS[usize::from(self.minor_idx & 3)]
    }

    /// The FUSE_INIT request the harness sends before the fuzz frames.
    pub fn init_request(self) -> Vec<u8> {
        let arg = fuse_init_in {
            major: 7,
            minor: self.minor(),
            max_readahead: 128 * 1024,
            flags: if self.all_flags { u32::MAX } else { 0 },
            flags2: if self.all_flags { u32::MAX } else { 0 },
            ..Default::default()
        };
        debug_assert!(!self.all_flags || u64::from(arg.flags) & FUSE_INIT_EXT != 0);
        request(FUSE_INIT, INIT_UNIQUE, 0, arg.as_bytes())
    }
}

/// One request as the kernel would send it: header (uid/gid 0) and body.
pub fn request(opcode: u32, unique: u64, nodeid: u64, body: &[u8]) -> Vec<u8> {
    let h = fuse_in_header {
        len: (std::mem::size_of::<fuse_in_header>() + body.len()) as u32,
        opcode,
        unique,
        nodeid,
        pid: 1,
        ..Default::default()
    };
    let mut v = h.as_bytes().to_vec();
    v.extend_from_slice(body);
    v
}

/// An input: the configuration byte, then each request as a frame.
pub fn encode_input(cfg: Config, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut v = vec![cfg.to_byte()];
    for f in frames {
        let n = f.len().min(usize::from(u16::MAX));
        v.extend_from_slice(&(n as u16).to_le_bytes());
        v.extend_from_slice(&f[..n]);
    }
    v
}

/// Splits an input into its configuration and frames.
pub fn decode_input(data: &[u8]) -> (Config, Vec<&[u8]>) {
    let Some((&first, mut rest)) = data.split_first() else {
        return (Config::default(), Vec::new());
    };
    let mut frames = Vec::new();
    while rest.len() >= 2 {
        let n = usize::from(u16::from_le_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        frames.push(&rest[2..2 + n]);
        rest = &rest[2 + n..];
    }
    (Config::from_byte(first), frames)
}

/// One message the library wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub len: u32,
    pub error: i32,
    pub unique: u64,
    /// Everything after the 16-byte header.
    pub body: Vec<u8>,
    /// How many bytes the writev carried in all (header included).
    pub written: usize,
}

/// What one input produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Every message, in order.
    pub replies: Vec<Reply>,
    /// For each frame handed to the dispatcher (the harness's INIT first),
    /// the range of `replies` written while it was processed.
    pub per_frame: Vec<std::ops::Range<usize>>,
    /// Broken rules, empty when all is well.
    pub problems: Vec<String>,
}

impl Outcome {
    /// Panics with every problem found.
    pub fn check(&self) {
        assert!(
            self.problems.is_empty(),
            "dispatch harness: {}",
            self.problems.join("; ")
        );
    }

    /// The replies written while frame `i` (0 = the harness's INIT) was
    /// processed.
    pub fn replies_of(&self, i: usize) -> &[Reply] {
        &self.replies[self.per_frame[i].clone()]
    }
}

thread_local! {
    /// Messages written through the custom writev, raw.
    static SINK: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    /// The configuration of the session being run (for init()).
    static CONFIG: RefCell<Config> = RefCell::new(Config::default());
}

// ---------------------------------------------------------------------------
// Custom I/O and logging
// ---------------------------------------------------------------------------

unsafe extern "C" fn sink_writev(
    _fd: c_int,
    iov: *mut libc::iovec,
    count: c_int,
    _userdata: *mut c_void,
) -> libc::ssize_t {
    let mut msg = Vec::new();
    for i in 0..usize::try_from(count).unwrap_or(0) {
        // SAFETY: the library passes `count` iovecs, each over
        // `iov_len` readable bytes, alive for the call.
        let v = unsafe { &*iov.add(i) };
        if v.iov_len > 0 {
            // SAFETY: as above.
            msg.extend_from_slice(unsafe {
                std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len)
            });
        }
    }
    let n = msg.len() as libc::ssize_t;
    SINK.with(|s| s.borrow_mut().push(msg));
    n
}

unsafe extern "C" fn no_read(
    _fd: c_int,
    _buf: *mut c_void,
    _len: size_t,
    _userdata: *mut c_void,
) -> libc::ssize_t {
    // The harness feeds requests itself; nobody reads.
    // SAFETY: errno is thread-local.
    unsafe { *libc::__errno_location() = libc::EIO };
    -1
}

extern "C" {
    /// libfuse's `fuse_set_log_func` (in the library's C part); the
    /// function's third argument is a `va_list`, which we never touch.
    fn fuse_set_log_func(func: Option<unsafe extern "C" fn(c_int, *const c_char, *mut c_void)>);
}

unsafe extern "C" fn quiet_log(_level: c_int, _fmt: *const c_char, _ap: *mut c_void) {}

/// Sends the library's log messages nowhere (the fuzzer would otherwise
/// print one per malformed request). Set `FERROFUSE_FUZZ_LOG=1` to keep
/// them.
fn quiet() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("FERROFUSE_FUZZ_LOG").is_none() {
            // SAFETY: installs a function with the log function's signature.
            unsafe { fuse_set_log_func(Some(quiet_log)) };
        }
    });
}

// ---------------------------------------------------------------------------
// The filesystem: a few callbacks that answer through fuse_reply_*
// ---------------------------------------------------------------------------

fn stat_of(ino: u64) -> libc::stat {
    // SAFETY: all-zero is a valid struct stat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    st.st_ino = ino;
    st.st_mode = if ino == 1 {
        libc::S_IFDIR | 0o755
    } else {
        libc::S_IFREG | 0o644
    };
    st.st_nlink = 1;
    st.st_size = 4096;
    st
}

unsafe extern "C" fn fs_init(_userdata: *mut c_void, conn: *mut fuse_conn_info) {
    if CONFIG.with(|c| c.borrow().setxattr_ext) {
        // SAFETY: the library passes its connection info for the call.
        if let Some(conn) = unsafe { conn.as_mut() } {
            fuse3::conn::set_feature_flag(conn, fuse3::conn::FUSE_CAP_SETXATTR_EXT);
        }
    }
}

unsafe extern "C" fn fs_lookup(req: *mut fuse_req, parent: u64, name: *const c_char) {
    // SAFETY: the library passes a NUL-terminated name.
    let name = unsafe { CStr::from_ptr(name) };
    if name.to_bytes() == b"missing" {
        // SAFETY: answering the request we were given, once.
        unsafe { fuse3::capi::reply::fuse_reply_err(req, libc::ENOENT) };
        return;
    }
    let ino = parent.wrapping_add(1).max(2);
    let e = fuse_entry_param {
        ino,
        generation: 1,
        attr: stat_of(ino),
        attr_timeout: 1.0,
        entry_timeout: 1.0,
    };
    // SAFETY: as above; `e` lives for the call.
    unsafe { fuse3::capi::reply::fuse_reply_entry(req, &e) };
}

unsafe extern "C" fn fs_getattr(req: *mut fuse_req, ino: u64, _fi: *mut fuse_file_info) {
    let st = stat_of(ino);
    // SAFETY: answering the request we were given, once.
    unsafe { fuse3::capi::reply::fuse_reply_attr(req, &st, 1.0) };
}

unsafe extern "C" fn fs_open(req: *mut fuse_req, _ino: u64, fi: *mut fuse_file_info) {
    // SAFETY: the library passes a file info of the session's layout; `fh`
    // is at the same offset in both.
    unsafe { std::ptr::addr_of_mut!((*fi).fh).write(7) };
    // SAFETY: answering the request we were given, once.
    unsafe { fuse3::capi::reply::fuse_reply_open(req, fi) };
}

/// File contents: a repeating pattern.
static DATA: [u8; 4096] = {
    let mut d = [0u8; 4096];
    let mut i = 0;
    while i < d.len() {
        d[i] = (i % 251) as u8;
        i += 1;
    }
    d
};

unsafe extern "C" fn fs_read(
    req: *mut fuse_req,
    _ino: u64,
    size: size_t,
    off: off_t,
    _fi: *mut fuse_file_info,
) {
    let start = usize::try_from(off).unwrap_or(usize::MAX).min(DATA.len());
    let end = start.saturating_add(size).min(DATA.len());
    let chunk = &DATA[start..end];
    // SAFETY: answering the request we were given, once; `chunk` lives for
    // the call.
    unsafe {
        fuse3::capi::reply::fuse_reply_buf(req, chunk.as_ptr() as *const c_char, chunk.len())
    };
}

unsafe extern "C" fn fs_readdir(
    req: *mut fuse_req,
    ino: u64,
    size: size_t,
    off: off_t,
    _fi: *mut fuse_file_info,
) {
    const NAMES: [&CStr; 4] = [c".", c"..", c"file", c"a-longer-file-name"];
    let mut buf = vec![0u8; size.min(4096)];
    let mut used = 0;
    let first = usize::try_from(off).unwrap_or(usize::MAX);
    for (i, name) in NAMES.iter().enumerate().skip(first) {
        let st = stat_of(ino.wrapping_add(i as u64));
        let rest = &mut buf[used..];
        // SAFETY: `rest` is writable for its length; name and stat live
        // for the call.
        let n = unsafe {
            fuse3::capi::direntry::fuse_add_direntry(
                req,
                rest.as_mut_ptr() as *mut c_char,
                rest.len(),
                name.as_ptr(),
                &st,
                (i + 1) as off_t,
            )
        };
        if n > rest.len() {
            break;
        }
        used += n;
    }
    // SAFETY: answering the request we were given, once.
    unsafe { fuse3::capi::reply::fuse_reply_buf(req, buf.as_ptr() as *const c_char, used) };
}

unsafe extern "C" fn fs_write(
    req: *mut fuse_req,
    _ino: u64,
    buf: *const c_char,
    size: size_t,
    _off: off_t,
    _fi: *mut fuse_file_info,
) {
    // Touch every byte: the sanitizer checks the library's bounds.
    if size > 0 {
        // SAFETY: the library passes `size` readable bytes at `buf`.
        let data = unsafe { std::slice::from_raw_parts(buf as *const u8, size) };
        std::hint::black_box(data.iter().fold(0u8, |a, b| a ^ b));
    }
    // SAFETY: answering the request we were given, once.
    unsafe { fuse3::capi::reply::fuse_reply_write(req, size) };
}

fn ops() -> fuse_lowlevel_ops {
    fuse_lowlevel_ops {
        init: Some(fs_init),
        lookup: Some(fs_lookup),
        getattr: Some(fs_getattr),
        open: Some(fs_open),
        read: Some(fs_read),
        readdir: Some(fs_readdir),
        write: Some(fs_write),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------
// Running an input
// ---------------------------------------------------------------------------

/// A session for `cfg` with the sink as its transport.
fn new_session(cfg: Config) -> *mut fuse_session {
    let mut argv: Vec<&CStr> = vec![c"ferrofuse-fuzz"];
    if cfg.debug {
        argv.push(c"-d");
    }
    if cfg.allow_root {
        argv.push(c"-oallow_root");
    }
    let mut ptrs: Vec<*mut c_char> = argv.iter().map(|a| a.as_ptr() as *mut c_char).collect();
    let mut args = fuse_args {
        argc: ptrs.len() as c_int,
        argv: ptrs.as_mut_ptr(),
        allocated: 0,
    };
    let ops = ops();
    let se = if cfg.v317 {
        let mut v = libfuse_version {
            major: 3,
            minor: 18,
            hotfix: 0,
            padding: 0,
        };
        // SAFETY: valid args, a whole ops table, a version struct, all
        // alive for the call (the session copies the table).
        unsafe {
            fuse3::capi::session::fuse_session_new_versioned(
                &mut args,
                &ops,
                std::mem::size_of::<fuse_lowlevel_ops>(),
                &mut v,
                std::ptr::null_mut(),
            )
        }
    } else {
        // SAFETY: as above.
        unsafe {
            fuse3::capi::session::fuse_session_new(
                &mut args,
                &ops,
                std::mem::size_of::<fuse_lowlevel_ops>(),
                std::ptr::null_mut(),
            )
        }
    };
    // SAFETY: args is valid; frees what option parsing allocated (nothing
    // when `allocated` stayed 0).
    unsafe { fuse3::capi::opt::fuse_opt_free_args(&mut args) };
    assert!(!se.is_null(), "fuse_session_new failed for {cfg:?}");
    let io = fuse_custom_io {
        writev: Some(sink_writev),
        read: Some(no_read),
        ..Default::default()
    };
    // The session closes its fd when destroyed: give it one of its own.
    // SAFETY: plain open.
    let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    assert!(fd >= 0, "open /dev/null");
    // SAFETY: a live session and a whole custom_io struct.
    let res = unsafe {
        fuse3::capi::session::fuse_session_custom_io_317(
            se,
            &io,
            std::mem::size_of::<fuse_custom_io>(),
            fd,
        )
    };
    assert_eq!(res, 0, "fuse_session_custom_io");
    se
}

fn parse_reply(msg: &[u8]) -> Reply {
    let word = |at: usize, n: usize| -> u64 {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&msg[at..at + n]);
        u64::from_le_bytes(b)
    };
    if msg.len() < OUT_HEADER {
        return Reply {
            len: 0,
            error: 0,
            unique: 0,
            body: msg.to_vec(),
            written: msg.len(),
        };
    }
    Reply {
        len: word(0, 4) as u32,
        error: word(4, 4) as u32 as i32,
        unique: word(8, 8),
        body: msg[OUT_HEADER..].to_vec(),
        written: msg.len(),
    }
}

fn known_opcode(op: u32) -> bool {
    ALL_OPCODES.contains(&op) || op == CUSE_INIT
}

/// Runs one input (see the module docs) through a fresh session and
/// checks the replies; the problems are in [`Outcome::problems`].
pub fn run(data: &[u8]) -> Outcome {
    quiet();
    let (cfg, frames) = decode_input(data);
    CONFIG.with(|c| *c.borrow_mut() = cfg);
    SINK.with(|s| s.borrow_mut().clear());
    let se = new_session(cfg);
    // SAFETY: made just now, destroyed below, after its last use.
    let session = unsafe { fuse3::session::Session::from_raw(se) }.expect("session");
    let fd = session.fd.load(Ordering::SeqCst);

    let init = cfg.init_request();
    let mut all: Vec<&[u8]> = vec![&init];
    all.extend(frames.iter().copied());
    let mut out = Outcome::default();
    let mut sent = std::collections::HashSet::new();
    let mut requests = 0usize;
    for (i, frame) in all.iter().enumerate() {
        let header = fuse3::kernel::decode::read_struct::<fuse_in_header>(frame);
        let ready = session.got_init.load(Ordering::SeqCst);
        if let Some(h) = &header {
            sent.insert(h.unique);
            requests += 1;
        }
        let before = SINK.with(|s| s.borrow().len());
        fuse3::session::dispatch::process(session, frame, fd);
        let msgs: Vec<Reply> = SINK.with(|s| {
            s.borrow()[before..]
                .iter()
                .map(|m| parse_reply(m))
                .collect()
        });
        let start = out.replies.len();
        out.replies.extend(msgs);
        out.per_frame.push(start..out.replies.len());

        // An unknown opcode in a well-formed request, after INIT and from
        // root (allow_root lets root in), is answered ENOSYS.
        if let Some(h) = header {
            if ready
                && !known_opcode(h.opcode)
                && h.len as usize == frame.len()
                && h.total_extlen == 0
                && (!cfg.allow_root || h.uid == 0)
            {
                let last = out
                    .replies_of(i)
                    .iter()
                    .rev()
                    .find(|r| r.unique == h.unique);
                if last.map(|r| r.error) != Some(-libc::ENOSYS) {
                    out.problems.push(format!(
                        "frame {i}: unknown opcode {} answered {:?}, not ENOSYS",
                        h.opcode, last
                    ));
                }
            }
        }
        if i == 0 {
            let ok = out.replies_of(0).len() == 1 && out.replies_of(0)[0].error == 0;
            if !ok {
                out.problems.push(format!(
                    "the harness's INIT failed: {:?}",
                    out.replies_of(0)
                ));
            }
        }
    }
    // SAFETY: the session from above; nothing uses it afterwards.
    unsafe { fuse3::capi::session::fuse_session_destroy(se) };

    for (i, r) in out.replies.iter().enumerate() {
        if r.written < OUT_HEADER {
            out.problems.push(format!(
                "message {i}: {} bytes, shorter than a header",
                r.written
            ));
            continue;
        }
        if r.len as usize != r.written {
            out.problems.push(format!(
                "message {i}: header len {} but {} bytes written",
                r.len, r.written
            ));
        }
        if r.error > 0 || r.error < -4095 {
            out.problems
                .push(format!("message {i}: error {} is no -errno", r.error));
        }
        if r.error != 0 && !r.body.is_empty() {
            out.problems
                .push(format!("message {i}: error {} with a body", r.error));
        }
        if !sent.contains(&r.unique) {
            out.problems.push(format!(
                "message {i}: unique {} matches no request",
                r.unique
            ));
        }
    }
    if out.replies.len() > requests {
        out.problems.push(format!(
            "{} replies to {requests} requests",
            out.replies.len()
        ));
    }
    out
}
