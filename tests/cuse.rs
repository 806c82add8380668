//! CUSE without /dev/cuse: this kernel has no CUSE module, so no device
//! node can exist here, and nothing is mounted or created.
//!
//! 1. In process: a session made by `cuse_lowlevel_new` gets custom I/O
//!    over a SOCK_SEQPACKET socketpair; the test plays the kernel, writes
//!    CUSE_INIT and device requests into its end, lets the session receive
//!    and process them (`fuse_session_receive_buf`/`_process_buf`, or
//!    `fuse_session_loop` on a thread) and checks every reply byte by byte
//!    and every argument the CUSE operations got.
//! 2. libfuse's example/cuse.c, unmodified: built against our headers, and
//!    libfuse 3.18.3's own build of it relinked, must print libfuse
//!    3.18.3's messages ("cuse: device not found, try 'modprobe cuse'
//!    first"...) and exit status exactly; 3.14's, built against Debian's
//!    libfuse, must behave on ferrofuse as on Debian's library.
//! 3. A C probe ([`PROBE`]) runs `cuse_lowlevel_main` for real on a fake
//!    /dev/cuse (its own `open()` hands the library one end of a
//!    socketpair; [`SHIM`]) with a thread playing the kernel, and calls the
//!    other entry points on their edge cases. Built against our headers
//!    and linked to libfuse 3.18.3, it runs on 3.18.3 and relinked on
//!    ferrofuse; built against Debian's libfuse 3.14, on 3.14 and on
//!    ferrofuse. The transcripts (replies, callback arguments, libfuse's
//!    log lines, -d traces, exit codes) must be identical, but for the
//!    protocol minor 3.14 speaks.

mod common;

use common::*;
use fuse3::capi::cuse::cuse_lowlevel_new;
use fuse3::capi::notify::fuse_pollhandle_destroy;
use fuse3::capi::reply::{
    fuse_reply_buf, fuse_reply_err, fuse_reply_ioctl, fuse_reply_open, fuse_reply_poll,
    fuse_reply_write,
};
use fuse3::capi::req::fuse_req_userdata;
use fuse3::capi::session::{
    fuse_session_custom_io_317, fuse_session_destroy, fuse_session_exit, fuse_session_loop,
    fuse_session_new_versioned, fuse_session_process_buf, fuse_session_receive_buf,
};
use fuse3::capi::types::*;
use fuse3::kernel::*;
use libc::{c_char, c_int, c_uint, c_void, off_t, size_t};
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

// ---------------------------------------------------------------------------
// 1. In process

/// What the device's operations saw, one line per call, plus what
/// `init_done` found on the kernel's end of the socket.
struct Dev {
    kernel_fd: RawFd,
    log: Mutex<Vec<String>>,
    /// Set by init; what the next init sets conn->max_write to (0: leave).
    set_max_write: u32,
}

impl Dev {
    fn push(&self, s: String) {
        self.log.lock().unwrap().push(s);
    }
}

unsafe fn dev<'a>(userdata: *mut c_void) -> &'a Dev {
    unsafe { &*(userdata as *const Dev) }
}

unsafe fn req_dev<'a>(req: fuse_req_t) -> &'a Dev {
    unsafe { dev(fuse_req_userdata(req)) }
}

unsafe extern "C" fn d_init(userdata: *mut c_void, conn: *mut fuse_conn_info) {
    let d = unsafe { dev(userdata) };
    let c = unsafe { &mut *conn };
    d.push(format!(
        "init {}.{} max_write={:#x} capable_ext={:#x} want_ext={:#x}",
        c.proto_major, c.proto_minor, c.max_write, c.capable_ext, c.want_ext
    ));
    if d.set_max_write != 0 {
        c.max_write = d.set_max_write;
    }
}

unsafe extern "C" fn d_init_done(userdata: *mut c_void) {
    let d = unsafe { dev(userdata) };
    // The reply must already be on its way to the kernel.
    let mut p = libc::pollfd {
        fd: d.kernel_fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    d.push(format!("init_done reply_sent={}", n == 1));
}

unsafe extern "C" fn d_destroy(userdata: *mut c_void) {
    unsafe { dev(userdata) }.push("destroy".into());
}

unsafe extern "C" fn d_open(req: fuse_req_t, fi: *mut fuse_file_info) {
    let fi = unsafe { &mut *fi };
    unsafe { req_dev(req) }.push(format!("open flags={:#o}", fi.flags));
    fi.fh = 0x1234;
    fi.bits |= fi_bits::DIRECT_IO | fi_bits::NONSEEKABLE;
    unsafe { fuse_reply_open(req, fi) };
}

const CONTENT: &[u8] = b"0123456789";

unsafe extern "C" fn d_read(req: fuse_req_t, size: size_t, off: off_t, fi: *mut fuse_file_info) {
    let fi = unsafe { &*fi };
    unsafe { req_dev(req) }.push(format!(
        "read size={size} off={off} fh={:#x} flags={:#o} lock_owner={:#x}",
        fi.fh, fi.flags, fi.lock_owner
    ));
    let start = (off as usize).min(CONTENT.len());
    let end = (start + size).min(CONTENT.len());
    unsafe { fuse_reply_buf(req, CONTENT[start..].as_ptr().cast(), end - start) };
}

unsafe extern "C" fn d_write(
    req: fuse_req_t,
    buf: *const c_char,
    size: size_t,
    off: off_t,
    fi: *mut fuse_file_info,
) {
    let data = unsafe { std::slice::from_raw_parts(buf as *const u8, size) };
    let fi = unsafe { &*fi };
    unsafe { req_dev(req) }.push(format!(
        "write {:?} off={off} fh={:#x}",
        String::from_utf8_lossy(data),
        fi.fh
    ));
    unsafe { fuse_reply_write(req, size) };
}

unsafe extern "C" fn d_flush(req: fuse_req_t, fi: *mut fuse_file_info) {
    let fi = unsafe { &*fi };
    unsafe { req_dev(req) }.push(format!(
        "flush fh={:#x} lock_owner={:#x} flush_bit={}",
        fi.fh,
        fi.lock_owner,
        fi.bits & fi_bits::FLUSH != 0
    ));
    unsafe { fuse_reply_err(req, 0) };
}

unsafe extern "C" fn d_release(req: fuse_req_t, fi: *mut fuse_file_info) {
    let fi = unsafe { &*fi };
    unsafe { req_dev(req) }.push(format!("release fh={:#x} flags={:#o}", fi.fh, fi.flags));
    unsafe { fuse_reply_err(req, 0) };
}

unsafe extern "C" fn d_fsync(req: fuse_req_t, datasync: c_int, fi: *mut fuse_file_info) {
    let fi = unsafe { &*fi };
    unsafe { req_dev(req) }.push(format!("fsync datasync={datasync} fh={:#x}", fi.fh));
    unsafe { fuse_reply_err(req, libc::EROFS) };
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn d_ioctl(
    req: fuse_req_t,
    cmd: c_int,
    arg: *mut c_void,
    fi: *mut fuse_file_info,
    flags: c_uint,
    in_buf: *const c_void,
    in_bufsz: size_t,
    out_bufsz: size_t,
) {
    let fi = unsafe { &*fi };
    let input = if in_buf.is_null() {
        Vec::new()
    } else {
        unsafe { std::slice::from_raw_parts(in_buf as *const u8, in_bufsz) }.to_vec()
    };
    unsafe { req_dev(req) }.push(format!(
        "ioctl cmd={cmd:#x} arg={:#x} fh={:#x} flags={flags:#x} in={:?} out_bufsz={out_bufsz}",
        arg as usize,
        fi.fh,
        String::from_utf8_lossy(&input)
    ));
    unsafe { fuse_reply_ioctl(req, 3, b"pong".as_ptr().cast(), 4) };
}

unsafe extern "C" fn d_poll(req: fuse_req_t, fi: *mut fuse_file_info, ph: *mut fuse_pollhandle) {
    let fi = unsafe { &*fi };
    unsafe { req_dev(req) }.push(format!(
        "poll fh={:#x} events={:#x} handle={}",
        fi.fh,
        fi.poll_events,
        !ph.is_null()
    ));
    unsafe { fuse_pollhandle_destroy(ph) };
    unsafe { fuse_reply_poll(req, libc::POLLIN as c_uint) };
}

fn full_ops() -> cuse_lowlevel_ops {
    cuse_lowlevel_ops {
        init: Some(d_init),
        init_done: Some(d_init_done),
        destroy: Some(d_destroy),
        open: Some(d_open),
        read: Some(d_read),
        write: Some(d_write),
        flush: Some(d_flush),
        release: Some(d_release),
        fsync: Some(d_fsync),
        ioctl: Some(d_ioctl),
        poll: Some(d_poll),
    }
}

unsafe extern "C" fn io_read(fd: c_int, buf: *mut c_void, len: size_t, _: *mut c_void) -> isize {
    unsafe { libc::read(fd, buf, len) }
}

unsafe extern "C" fn io_writev(
    fd: c_int,
    iov: *mut libc::iovec,
    count: c_int,
    _: *mut c_void,
) -> isize {
    unsafe { libc::writev(fd, iov, count) }
}

fn seqpacket_pair() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    assert_eq!(r, 0, "socketpair: {}", std::io::Error::last_os_error());
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// One reply as the kernel reads it.
#[derive(Debug)]
struct Reply {
    error: i32,
    unique: u64,
    body: Vec<u8>,
}

/// A session under test, the kernel's end of its socket, and the device.
struct Harness {
    se: *mut fuse_session,
    kernel: OwnedFd,
    dev: Box<Dev>,
    unique: u64,
    _argv: Vec<CString>,
}

/// Makes a CUSE session over a socketpair. `args` after the program name.
fn cuse_harness(
    clop: &cuse_lowlevel_ops,
    dev_info: &[&str],
    flags: u32,
    args: &[&str],
    set_max_write: u32,
) -> Harness {
    let (kernel, daemon) = seqpacket_pair();
    let dev = Box::new(Dev {
        kernel_fd: kernel.as_raw_fd(),
        log: Mutex::new(Vec::new()),
        set_max_write,
    });
    let info: Vec<CString> = dev_info.iter().map(|s| CString::new(*s).unwrap()).collect();
    let mut info_ptrs: Vec<*const c_char> = info.iter().map(|s| s.as_ptr()).collect();
    let ci = cuse_info {
        dev_major: 240,
        dev_minor: 7,
        dev_info_argc: info.len() as u32,
        dev_info_argv: info_ptrs.as_mut_ptr(),
        flags,
    };
    let argv: Vec<CString> = std::iter::once("cuse-test")
        .chain(args.iter().copied())
        .map(|s| CString::new(s).unwrap())
        .collect();
    let mut ptrs: Vec<*mut c_char> = argv.iter().map(|s| s.as_ptr() as *mut c_char).collect();
    let mut fargs = fuse_args {
        argc: ptrs.len() as c_int,
        argv: ptrs.as_mut_ptr(),
        allocated: 0,
    };
    let ud = &*dev as *const Dev as *mut c_void;
    let se = unsafe { cuse_lowlevel_new(&mut fargs, &ci, clop, ud) };
    assert!(!se.is_null(), "cuse_lowlevel_new failed");
    // The session copied the device info: ours may go now.
    drop(info_ptrs);
    drop(info);
    attach(se, daemon);
    Harness {
        se,
        kernel,
        dev,
        unique: 0,
        _argv: argv,
    }
}

fn attach(se: *mut fuse_session, daemon: OwnedFd) {
    let io = fuse_custom_io {
        read: Some(io_read),
        writev: Some(io_writev),
        ..Default::default()
    };
    let r = unsafe {
        fuse_session_custom_io_317(
            se,
            &io,
            std::mem::size_of::<fuse_custom_io>(),
            daemon.into_raw_fd(),
        )
    };
    assert_eq!(r, 0);
}

fn header(opcode: u32, unique: u64, nodeid: u64, len: usize) -> fuse_in_header {
    fuse_in_header {
        len: len as u32,
        opcode,
        unique,
        nodeid,
        uid: 1000,
        gid: 1000,
        pid: 4242,
        total_extlen: 0,
        padding: 0,
    }
}

impl Harness {
    /// Sends one request as the kernel would.
    fn send(&mut self, opcode: u32, nodeid: u64, parts: &[&[u8]]) -> u64 {
        self.unique += 2;
        let body: Vec<u8> = parts.concat();
        let h = header(opcode, self.unique, nodeid, 40 + body.len());
        let msg = [h.as_bytes(), &body].concat();
        let n = unsafe { libc::write(self.kernel.as_raw_fd(), msg.as_ptr().cast(), msg.len()) };
        assert_eq!(n, msg.len() as isize);
        self.unique
    }

    /// Lets the session take one request off its socket and process it.
    fn process_one(&mut self) {
        let mut buf = fuse_buf {
            size: 0,
            flags: 0,
            mem: std::ptr::null_mut(),
            fd: -1,
            pos: 0,
            mem_size: 0,
        };
        let n = unsafe { fuse_session_receive_buf(self.se, &mut buf) };
        assert!(n > 0, "receive_buf: {n}");
        unsafe { fuse_session_process_buf(self.se, &buf) };
        unsafe { libc::free(buf.mem) };
    }

    /// The next reply on the kernel's end, if one is waiting.
    fn reply(&mut self) -> Option<Reply> {
        let mut buf = vec![0u8; 1 << 16];
        let n = unsafe {
            libc::recv(
                self.kernel.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if n < 0 {
            return None;
        }
        let b = &buf[..n as usize];
        assert!(b.len() >= 16, "short reply {b:?}");
        let len = u32::from_ne_bytes(b[0..4].try_into().unwrap()) as usize;
        assert_eq!(len, b.len(), "out header len is the message's length");
        Some(Reply {
            error: i32::from_ne_bytes(b[4..8].try_into().unwrap()),
            unique: u64::from_ne_bytes(b[8..16].try_into().unwrap()),
            body: b[16..].to_vec(),
        })
    }

    /// One request in, its reply out (it must have one).
    fn call(&mut self, opcode: u32, nodeid: u64, parts: &[&[u8]]) -> Reply {
        let u = self.send(opcode, nodeid, parts);
        self.process_one();
        let r = self
            .reply()
            .unwrap_or_else(|| panic!("no reply to opcode {opcode}"));
        assert_eq!(r.unique, u);
        assert!(self.reply().is_none(), "one reply per request");
        r
    }

    fn cuse_init(&mut self, major: u32, minor: u32) -> Reply {
        let arg = cuse_init_in {
            major,
            minor,
            unused: 0,
            flags: CUSE_UNRESTRICTED_IOCTL,
        };
        self.call(CUSE_INIT, 0, &[arg.as_bytes()])
    }

    fn log(&self) -> Vec<String> {
        std::mem::take(&mut *self.dev.log.lock().unwrap())
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        unsafe { fuse_session_destroy(self.se) };
    }
}

fn words(b: &[u8]) -> Vec<u32> {
    b.chunks(4)
        .map(|c| u32::from_ne_bytes(c.try_into().unwrap()))
        .collect()
}

fn read_in(fh: u64, offset: u64, size: u32) -> fuse_read_in {
    fuse_read_in {
        fh,
        offset,
        size,
        read_flags: 0,
        lock_owner: 0x77,
        flags: libc::O_RDWR as u32,
        padding: 0,
    }
}

#[test]
fn cuse_session_over_socketpair() {
    let mut h = cuse_harness(
        &full_ops(),
        &["DEVNAME=ferrofuse-cuse", "MODE=0600"],
        CUSE_UNRESTRICTED_IOCTL,
        &[],
        0x10000,
    );

    // CUSE_INIT: cuse_init_out, then the info strings, each with its NUL.
    let r = h.cuse_init(7, 45);
    assert_eq!(r.error, 0);
    let info = b"DEVNAME=ferrofuse-cuse\0MODE=0600\0";
    assert_eq!(r.body.len(), 72 + info.len());
    assert_eq!(
        words(&r.body[..72]),
        [
            7,                       // major
            45,                      // minor
            0,                       // unused
            CUSE_UNRESTRICTED_IOCTL, // flags: cuse_info.flags as given
            131072,                  // max_read
            0x10000,                 // max_write: as init() left it
            240,                     // dev_major
            7,                       // dev_minor
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0, // spare
        ]
    );
    assert_eq!(&r.body[72..], info);
    assert_eq!(
        h.log(),
        [
            "init 7.45 max_write=0x100000 capable_ext=0x0 want_ext=0x0",
            "init_done reply_sent=true",
        ]
    );

    // OPEN: the ino-less open gets the flags; its fi comes back encoded.
    let open = fuse_open_in {
        flags: libc::O_RDWR as u32,
        open_flags: 0,
    };
    let r = h.call(FUSE_OPEN, 1, &[open.as_bytes()]);
    assert_eq!(r.error, 0);
    let out = fuse_open_out {
        fh: 0x1234,
        open_flags: FOPEN_DIRECT_IO | FOPEN_NONSEEKABLE,
        backing_id: 0,
    };
    assert_eq!(r.body, out.as_bytes());
    assert_eq!(h.log(), ["open flags=0o2"]);

    // READ
    let r = h.call(FUSE_READ, 1, &[read_in(0x1234, 3, 4).as_bytes()]);
    assert_eq!((r.error, r.body.as_slice()), (0, &b"3456"[..]));
    assert_eq!(
        h.log(),
        ["read size=4 off=3 fh=0x1234 flags=0o2 lock_owner=0x77"]
    );

    // WRITE: the payload follows fuse_write_in.
    let w = fuse_write_in {
        fh: 0x1234,
        offset: 5,
        size: 5,
        write_flags: 0,
        lock_owner: 0,
        flags: 0,
        padding: 0,
    };
    let r = h.call(FUSE_WRITE, 1, &[w.as_bytes(), b"hello"]);
    assert_eq!(r.error, 0);
    assert_eq!(
        r.body,
        fuse_write_out {
            size: 5,
            padding: 0
        }
        .as_bytes()
    );
    assert_eq!(h.log(), ["write \"hello\" off=5 fh=0x1234"]);

    // IOCTL: cmd, arg, flags (unrestricted), input; fuse_ioctl_out + output.
    let io = fuse_ioctl_in {
        fh: 0x1234,
        flags: FUSE_IOCTL_UNRESTRICTED,
        cmd: 0x8004_5401,
        arg: 0x7fff_0000_1000,
        in_size: 4,
        out_size: 16,
    };
    let r = h.call(FUSE_IOCTL, 1, &[io.as_bytes(), b"ping"]);
    assert_eq!(r.error, 0);
    let out = fuse_ioctl_out {
        result: 3,
        ..Default::default()
    };
    assert_eq!(r.body, [out.as_bytes(), b"pong"].concat());
    assert_eq!(
        h.log(),
        [format!(
            "ioctl cmd={:#x} arg=0x7fff00001000 fh=0x1234 flags={:#x} in=\"ping\" out_bufsz=16",
            0x8004_5401u32 as i32, FUSE_IOCTL_UNRESTRICTED
        )]
    );

    // IOCTL on a directory: ENOTTY (CUSE wants no IOCTL_DIR), no call.
    let dir = fuse_ioctl_in {
        flags: FUSE_IOCTL_DIR,
        ..io
    };
    let r = h.call(FUSE_IOCTL, 1, &[dir.as_bytes(), b"ping"]);
    assert_eq!((r.error, r.body.len()), (-libc::ENOTTY, 0));
    assert!(h.log().is_empty());

    // POLL with a notify handle.
    let p = fuse_poll_in {
        fh: 0x1234,
        kh: 9,
        flags: FUSE_POLL_SCHEDULE_NOTIFY,
        events: libc::POLLIN as u32,
    };
    let r = h.call(FUSE_POLL, 1, &[p.as_bytes()]);
    assert_eq!(r.error, 0);
    assert_eq!(
        r.body,
        fuse_poll_out {
            revents: libc::POLLIN as u32,
            padding: 0
        }
        .as_bytes()
    );
    assert_eq!(h.log(), ["poll fh=0x1234 events=0x1 handle=true"]);

    // FLUSH, FSYNC (datasync), RELEASE
    let f = fuse_flush_in {
        fh: 0x1234,
        unused: 0,
        padding: 0,
        lock_owner: 0x55,
    };
    let r = h.call(FUSE_FLUSH, 1, &[f.as_bytes()]);
    assert_eq!((r.error, r.body.len()), (0, 0));
    let s = fuse_fsync_in {
        fh: 0x1234,
        fsync_flags: 1,
        padding: 0,
    };
    let r = h.call(FUSE_FSYNC, 1, &[s.as_bytes()]);
    assert_eq!((r.error, r.body.len()), (-libc::EROFS, 0));
    let rel = fuse_release_in {
        fh: 0x1234,
        flags: libc::O_RDWR as u32,
        release_flags: 0,
        lock_owner: 0,
    };
    let r = h.call(FUSE_RELEASE, 1, &[rel.as_bytes()]);
    assert_eq!((r.error, r.body.len()), (0, 0));
    assert_eq!(
        h.log(),
        [
            "flush fh=0x1234 lock_owner=0x55 flush_bit=true",
            "fsync datasync=1 fh=0x1234",
            "release fh=0x1234 flags=0o2",
        ]
    );

    // What a character device has no operation for: ENOSYS.
    let r = h.call(FUSE_LOOKUP, 1, &[b"x\0"]);
    assert_eq!(r.error, -libc::ENOSYS);
    let r = h.call(FUSE_GETATTR, 1, &[&[0u8; 16]]);
    assert_eq!(r.error, -libc::ENOSYS);

    // A second init of either kind: EIO.
    assert_eq!(h.cuse_init(7, 45).error, -libc::EIO);
    let r = h.call(FUSE_INIT, 0, &[fuse_init_in::default().as_bytes()]);
    assert_eq!(r.error, -libc::EIO);
    assert!(h.log().is_empty());

    // fuse_session_destroy calls destroy (CUSE_INIT was answered).
    let dev_log = {
        let se = h.se;
        h.se = std::ptr::null_mut();
        unsafe { fuse_session_destroy(se) };
        h.log()
    };
    assert_eq!(dev_log, ["destroy"]);
}

#[test]
fn cuse_session_wants_cuse_init_first() {
    let mut h = cuse_harness(&full_ops(), &["DEVNAME=x"], 0, &[], 0);
    // FUSE_INIT is not the init of a CUSE session; nor is anything else.
    let r = h.call(FUSE_INIT, 0, &[fuse_init_in::default().as_bytes()]);
    assert_eq!(r.error, -libc::EIO);
    let open = fuse_open_in::default();
    assert_eq!(h.call(FUSE_OPEN, 1, &[open.as_bytes()]).error, -libc::EIO);
    assert!(h.log().is_empty());
    // An old protocol: EPROTO, and still no init.
    assert_eq!(h.cuse_init(6, 1).error, -libc::EPROTO);
    assert!(h.log().is_empty());
    assert_eq!(h.call(FUSE_OPEN, 1, &[open.as_bytes()]).error, -libc::EIO);
    // Now the real one; flags 0 and default limits.
    let r = h.cuse_init(7, 31);
    assert_eq!(r.error, 0);
    assert_eq!(
        words(&r.body[..32]),
        [7, 45, 0, 0, 131072, 0x100000, 240, 7]
    );
    assert_eq!(&r.body[72..], b"DEVNAME=x\0");
    assert_eq!(
        h.log(),
        [
            "init 7.31 max_write=0x100000 capable_ext=0x0 want_ext=0x0",
            "init_done reply_sent=true",
        ]
    );
}

#[test]
fn cuse_session_without_operations() {
    // No operations at all and no device info: libfuse's defaults.
    let mut h = cuse_harness(&cuse_lowlevel_ops::default(), &[], 0, &[], 0);
    let r = h.cuse_init(7, 45);
    assert_eq!((r.error, r.body.len()), (0, 72));
    let open = fuse_open_in::default();
    let r = h.call(FUSE_OPEN, 1, &[open.as_bytes()]);
    assert_eq!(r.error, 0);
    assert_eq!(r.body, fuse_open_out::default().as_bytes());
    let r = h.call(FUSE_READ, 1, &[read_in(0, 0, 4).as_bytes()]);
    assert_eq!(r.error, -libc::ENOSYS);
    let rel = fuse_release_in::default();
    assert_eq!(h.call(FUSE_RELEASE, 1, &[rel.as_bytes()]).error, 0);
    let io = fuse_ioctl_in::default();
    assert_eq!(h.call(FUSE_IOCTL, 1, &[io.as_bytes()]).error, -libc::ENOSYS);
    let p = fuse_poll_in::default();
    assert_eq!(h.call(FUSE_POLL, 1, &[p.as_bytes()]).error, -libc::ENOSYS);
}

#[test]
fn plain_session_refuses_cuse_init() {
    let (kernel, daemon) = seqpacket_pair();
    let ops = fuse_lowlevel_ops::default();
    let argv = [CString::new("plain").unwrap()];
    let mut ptrs: Vec<*mut c_char> = argv.iter().map(|s| s.as_ptr() as *mut c_char).collect();
    let mut fargs = fuse_args {
        argc: 1,
        argv: ptrs.as_mut_ptr(),
        allocated: 0,
    };
    let mut v = libfuse_version {
        major: 3,
        minor: 18,
        hotfix: 3,
        padding: 0,
    };
    let se = unsafe {
        fuse_session_new_versioned(
            &mut fargs,
            &ops,
            std::mem::size_of::<fuse_lowlevel_ops>(),
            &mut v,
            std::ptr::null_mut(),
        )
    };
    assert!(!se.is_null());
    attach(se, daemon);
    let mut h = Harness {
        se,
        kernel,
        dev: Box::new(Dev {
            kernel_fd: -1,
            log: Mutex::new(Vec::new()),
            set_max_write: 0,
        }),
        unique: 0,
        _argv: Vec::new(),
    };
    assert_eq!(h.cuse_init(7, 45).error, -libc::EIO);
    let init = fuse_init_in {
        major: 7,
        minor: 45,
        ..Default::default()
    };
    let r = h.call(FUSE_INIT, 0, &[init.as_bytes()]);
    assert_eq!(r.error, 0);
    assert_eq!(h.cuse_init(7, 45).error, -libc::EIO);
}

#[test]
fn cuse_session_in_the_loop() {
    // cuse_lowlevel_main's single-threaded loop on the session.
    let mut h = cuse_harness(&full_ops(), &["DEVNAME=loop"], 0, &[], 0);
    let se = h.se as usize;
    let looper = std::thread::spawn(move || unsafe { fuse_session_loop(se as *mut fuse_session) });
    let wait_reply = |h: &mut Harness| {
        let mut p = libc::pollfd {
            fd: h.kernel.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        assert_eq!(
            unsafe { libc::poll(&mut p, 1, 20_000) },
            1,
            "no reply in 20 s"
        );
        h.reply().unwrap()
    };
    let arg = cuse_init_in {
        major: 7,
        minor: 45,
        ..Default::default()
    };
    h.send(CUSE_INIT, 0, &[arg.as_bytes()]);
    let r = wait_reply(&mut h);
    assert_eq!((r.error, &r.body[72..]), (0, &b"DEVNAME=loop\0"[..]));
    h.send(FUSE_READ, 1, &[read_in(1, 0, 3).as_bytes()]);
    let r = wait_reply(&mut h);
    assert_eq!((r.error, r.body.as_slice()), (0, &b"012"[..]));
    // Stop: exit, then wake the reader with one more request (the loop
    // drops it: the session is over).
    unsafe { fuse_session_exit(h.se) };
    h.send(FUSE_READ, 1, &[read_in(1, 0, 3).as_bytes()]);
    assert_eq!(looper.join().unwrap(), 0);
    assert!(h.reply().is_none());
}

#[test]
fn cuse_lowlevel_new_checks_its_arguments() {
    let argv = [CString::new("cuse-test").unwrap()];
    let mut ptrs: Vec<*mut c_char> = argv.iter().map(|s| s.as_ptr() as *mut c_char).collect();
    let mut fargs = fuse_args {
        argc: 1,
        argv: ptrs.as_mut_ptr(),
        allocated: 0,
    };
    let clop = full_ops();
    let make = |strings: &[Vec<u8>], fargs: &mut fuse_args| {
        let c: Vec<CString> = strings
            .iter()
            .map(|s| CString::new(s.clone()).unwrap())
            .collect();
        let mut p: Vec<*const c_char> = c.iter().map(|s| s.as_ptr()).collect();
        let ci = cuse_info {
            dev_major: 0,
            dev_minor: 0,
            dev_info_argc: p.len() as u32,
            dev_info_argv: p.as_mut_ptr(),
            flags: 0,
        };
        unsafe { cuse_lowlevel_new(fargs, &ci, &clop, std::ptr::null_mut()) }
    };
    // 4096 bytes of device info with the NULs is the limit, 4097 too many.
    let exact = [vec![b'a'; 2047], vec![b'b'; 2047]];
    let se = make(&exact, &mut fargs);
    assert!(!se.is_null());
    unsafe { fuse_session_destroy(se) };
    let over = [vec![b'a'; 2047], vec![b'b'; 2048]];
    assert!(make(&over, &mut fargs).is_null());
    // NULL cuse_info or operations, a NULL string: NULL, no crash.
    assert!(unsafe {
        cuse_lowlevel_new(&mut fargs, std::ptr::null(), &clop, std::ptr::null_mut())
    }
    .is_null());
    let mut nulls: [*const c_char; 1] = [std::ptr::null()];
    let ci = cuse_info {
        dev_major: 0,
        dev_minor: 0,
        dev_info_argc: 1,
        dev_info_argv: nulls.as_mut_ptr(),
        flags: 0,
    };
    assert!(
        unsafe { cuse_lowlevel_new(&mut fargs, &ci, std::ptr::null(), std::ptr::null_mut()) }
            .is_null()
    );
    assert!(unsafe { cuse_lowlevel_new(&mut fargs, &ci, &clop, std::ptr::null_mut()) }.is_null());
    // Arguments go through fuse_session_new's parser: unknown ones fail.
    let bad = [
        CString::new("cuse-test").unwrap(),
        CString::new("--bogus").unwrap(),
    ];
    let mut bp: Vec<*mut c_char> = bad.iter().map(|s| s.as_ptr() as *mut c_char).collect();
    let mut bargs = fuse_args {
        argc: 2,
        argv: bp.as_mut_ptr(),
        allocated: 0,
    };
    assert!(make(&[b"DEVNAME=x".to_vec()], &mut bargs).is_null());
}

// ---------------------------------------------------------------------------
// 2. libfuse's example/cuse.c

/// Whether this kernel has CUSE: then the tests that need its absence
/// (they would create real devices) say so and do nothing.
fn real_cuse_device() -> bool {
    let there = Path::new("/dev/cuse").exists();
    if there {
        eprintln!("/dev/cuse exists: skipping a test written for kernels without CUSE");
    }
    there
}

const DEVICE_NOT_FOUND: &str = "cuse: device not found, try 'modprobe cuse' first\n";

/// Argument sets for example/cuse, with what ferrofuse must print on
/// stderr (in full) and the exit status, whatever the reference says.
fn example_cases() -> Vec<(Vec<&'static str>, String)> {
    vec![
        (vec!["-f", "--name=ferro"], DEVICE_NOT_FOUND.into()),
        // Without -f: setup fails before it would daemonize.
        (vec!["--name=ferro"], DEVICE_NOT_FOUND.into()),
        (
            vec!["-f", "-s", "-n", "ferro", "-M", "240", "-m", "1"],
            DEVICE_NOT_FOUND.into(),
        ),
        (
            vec!["-f", "--name=ferro", "-d"],
            format!("FUSE library version: 3.18.3\n{DEVICE_NOT_FOUND}"),
        ),
        // subtype= is dropped, allow_other is a session option.
        (
            vec!["-f", "--name=ferro", "-o", "subtype=x,allow_other"],
            DEVICE_NOT_FOUND.into(),
        ),
        (
            vec!["-f", "--name=ferro", "-o", "bogus"],
            "fuse: unknown option(s): `-o bogus'\n".into(),
        ),
        (
            vec!["-f", "--name=ferro", "/nonexistent-cuse-mnt"],
            "fuse: bad mount point `/nonexistent-cuse-mnt': No such file or directory\n".into(),
        ),
        (vec!["-f"], "Error: device name missing\n".into()),
    ]
}

/// (stdout, stderr, exit code) of `bin args`, with `ld_path` as
/// LD_LIBRARY_PATH (none: the binary's own runpath or the system's).
fn run_example(bin: &Path, args: &[&str], ld_path: Option<&Path>) -> (String, String, i32) {
    let mut cmd = Command::new("timeout");
    cmd.args(["-k", "5", "20"])
        .arg(bin)
        .args(args)
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("LD_PRELOAD");
    if let Some(p) = ld_path {
        cmd.env("LD_LIBRARY_PATH", p);
    }
    let out = cmd.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn cuse_example_318() -> PathBuf {
    let src = libfuse_source(Suite::Sid);
    let bin = scratch("cuse-example-318").join("cuse");
    cc_ferrofuse(&[&src.join("example/cuse.c")], &bin, &[]);
    bin
}

/// libfuse 3.18.3's own build of example/cuse, which runs on libfuse
/// 3.18.3 through its runpath.
fn real_318_example() -> PathBuf {
    let b = real_libfuse_build(Suite::Sid).join("example/cuse");
    assert!(b.exists(), "{} missing", b.display());
    b
}

#[test]
fn example_cuse_without_dev_cuse() {
    if real_cuse_device() {
        return;
    }
    let ours = cuse_example_318();
    let real = real_318_example();
    for (args, want_err) in example_cases() {
        let got = run_example(&ours, &args, Some(lib_dir()));
        assert_eq!(got.1, want_err, "cuse {args:?}");
        assert_eq!(got.2, 1, "cuse {args:?}: exit status");
        assert_eq!(got.0, "", "cuse {args:?}: stdout");
        // libfuse 3.18.3 itself...
        let reference = run_example(&real, &args, None);
        assert_eq!(got, reference, "cuse {args:?}: ferrofuse vs libfuse 3.18.3");
        // ...and its binary relinked to ferrofuse.
        let relinked = run_example(&real, &args, Some(lib_dir()));
        assert_eq!(
            relinked, reference,
            "cuse {args:?}: relinked vs libfuse 3.18.3"
        );
    }
    // -h: the example's usage, then the "-ho" it adds is an unknown option.
    let (out, err, code) = run_example(&ours, &["-h"], Some(lib_dir()));
    assert_eq!((out.as_str(), code), ("", 1));
    assert!(err.starts_with("usage: cusexmp [options]"), "{err}");
    assert!(err.ends_with("fuse: unknown option(s): `-ho'\n"), "{err}");
    assert_eq!(
        run_example(&ours, &["-h"], Some(lib_dir())),
        run_example(&real, &["-h"], None)
    );
}

#[test]
fn example_cuse_314_relinked() {
    if real_cuse_device() {
        return;
    }
    // Built against Debian's libfuse 3.14, run on it and on ferrofuse.
    let src = libfuse_source(Suite::Bookworm);
    let bin = scratch("cuse-example-314").join("cuse");
    run(Command::new("cc")
        .args(["-D_FILE_OFFSET_BITS=64", "-I/usr/include/fuse3"])
        .arg(src.join("example/cuse.c"))
        .arg("-o")
        .arg(&bin)
        .args(["-lfuse3", "-lpthread"]));
    for (args, want_err) in example_cases() {
        if args.contains(&"-d") {
            continue; // 3.14 prints its own version.
        }
        let debian = run_example(&bin, &args, None);
        let ours = run_example(&bin, &args, Some(lib_dir()));
        assert_eq!(ours.1, want_err, "cuse {args:?}");
        assert_eq!(
            ours, debian,
            "cuse {args:?}: ferrofuse vs Debian's libfuse 3.14"
        );
    }
}

// ---------------------------------------------------------------------------
// 3. The C probe: every CUSE entry point, next to libfuse

/// The probe. `main-SCRIPT` runs `cuse_lowlevel_main` on a fake /dev/cuse
/// (see [`SHIM`]) while a thread plays the kernel: `full` sends CUSE_INIT
/// and every device request, `early` what may not come first, `noops`
/// requests to a device without operations. The other modes call
/// `cuse_lowlevel_setup` (with the fake device, or with none: `-nodev`),
/// `cuse_lowlevel_new` at the device info limit, `cuse_lowlevel_teardown`
/// on a session `cuse_lowlevel_setup` did not make, and setup with fd 0
/// closed.
const PROBE: &str = r##"/* Drives CUSE through libfuse's API and prints a transcript on stdout:
 * what the "kernel" (a thread on the other end of a SOCK_SEQPACKET pair
 * that shim.c hands out as /dev/cuse) sends and receives, what the device's
 * operations are called with, and libfuse's log lines. */
#define FUSE_USE_VERSION 31
#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

extern int probe_cuse_fd;
extern sem_t probe_cuse_opened;

struct in_header { uint32_t len, opcode; uint64_t unique, nodeid; uint32_t uid, gid, pid; uint16_t extlen, pad; };
struct out_header { uint32_t len; int32_t error; uint64_t unique; };
struct cuse_init_in_ { uint32_t major, minor, unused, flags; };
struct init_in_ { uint32_t major, minor, max_readahead, flags, flags2, unused[11]; };
struct open_in_ { uint32_t flags, open_flags; };
struct rw_in_ { uint64_t fh, offset; uint32_t size, rw_flags; uint64_t lock_owner; uint32_t flags, padding; };
struct ioctl_in_ { uint64_t fh; uint32_t flags, cmd; uint64_t arg; uint32_t in_size, out_size; };
struct poll_in_ { uint64_t fh, kh; uint32_t flags, events; };
struct flush_in_ { uint64_t fh; uint32_t unused, padding; uint64_t lock_owner; };
struct release_in_ { uint64_t fh; uint32_t flags, release_flags; uint64_t lock_owner; };
struct fsync_in_ { uint64_t fh; uint32_t fsync_flags, padding; };

enum { OP_LOOKUP = 1, OP_GETATTR = 3, OP_OPEN = 14, OP_READ = 15, OP_WRITE = 16,
       OP_RELEASE = 18, OP_FSYNC = 20, OP_FLUSH = 25, OP_INIT = 26, OP_IOCTL = 39,
       OP_POLL = 40, OP_CUSE_INIT = 4096 };

static int kfd = -1;
static uint64_t uniq;
static sem_t init_done_sem;
static int set_max_write;

/* One "logN: " prefix per line, however many calls make up the line. */
static void log_func(enum fuse_log_level level, const char *fmt, va_list ap)
{
	static int mid_line;
	char text[4096];
	vsnprintf(text, sizeof(text), fmt, ap);
	if (!mid_line)
		printf("log%d: ", (int)level);
	fputs(text, stdout);
	mid_line = text[0] && text[strlen(text) - 1] != '\n';
}

/* ---- the device ---- */

static void d_init(void *userdata, struct fuse_conn_info *c)
{
	printf("init userdata=%s proto=%u.%u max_write=%#x max_read=%u max_readahead=%#x capable=%#x want=%#x\n",
	       userdata ? (char *)userdata : "NULL", c->proto_major, c->proto_minor, c->max_write,
	       c->max_read, c->max_readahead, c->capable, c->want);
	if (set_max_write)
		c->max_write = set_max_write;
}

static void d_init_done(void *userdata)
{
	printf("init_done userdata=%s\n", userdata ? (char *)userdata : "NULL");
	sem_post(&init_done_sem);
}

static void d_destroy(void *userdata)
{
	printf("destroy userdata=%s\n", userdata ? (char *)userdata : "NULL");
}

static void d_open(fuse_req_t req, struct fuse_file_info *fi)
{
	printf("open flags=%#o userdata=%s\n", fi->flags, (char *)fuse_req_userdata(req));
	fi->fh = 0x1234;
	fi->direct_io = 1;
	fi->nonseekable = 1;
	fuse_reply_open(req, fi);
}

static const char content[] = "0123456789";

static void d_read(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi)
{
	size_t len = sizeof(content) - 1, start = (size_t)off < len ? (size_t)off : len;
	size_t end = start + size < len ? start + size : len;
	printf("read size=%zu off=%lld fh=%#llx flags=%#o lock_owner=%#llx\n", size,
	       (long long)off, (unsigned long long)fi->fh, fi->flags,
	       (unsigned long long)fi->lock_owner);
	fuse_reply_buf(req, content + start, end - start);
}

static void d_write(fuse_req_t req, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	printf("write \"%.*s\" off=%lld fh=%#llx writepage=%d\n", (int)size, buf, (long long)off,
	       (unsigned long long)fi->fh, fi->writepage);
	fuse_reply_write(req, size);
}

static void d_flush(fuse_req_t req, struct fuse_file_info *fi)
{
	printf("flush fh=%#llx lock_owner=%#llx flush=%d\n", (unsigned long long)fi->fh,
	       (unsigned long long)fi->lock_owner, fi->flush);
	fuse_reply_err(req, 0);
}

static void d_release(fuse_req_t req, struct fuse_file_info *fi)
{
	printf("release fh=%#llx flags=%#o\n", (unsigned long long)fi->fh, fi->flags);
	fuse_reply_err(req, 0);
}

static void d_fsync(fuse_req_t req, int datasync, struct fuse_file_info *fi)
{
	printf("fsync datasync=%d fh=%#llx\n", datasync, (unsigned long long)fi->fh);
	fuse_reply_err(req, EROFS);
}

static void d_ioctl(fuse_req_t req, int cmd, void *arg, struct fuse_file_info *fi,
		    unsigned flags, const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	printf("ioctl cmd=%#x arg=%p fh=%#llx flags=%#x in=\"%.*s\" in_bufsz=%zu out_bufsz=%zu\n",
	       (unsigned)cmd, arg, (unsigned long long)fi->fh, flags,
	       in_buf ? (int)in_bufsz : 0, in_buf ? (const char *)in_buf : "", in_bufsz, out_bufsz);
	fuse_reply_ioctl(req, 3, "pong", 4);
}

static void d_poll(fuse_req_t req, struct fuse_file_info *fi, struct fuse_pollhandle *ph)
{
	printf("poll fh=%#llx events=%#x handle=%s\n", (unsigned long long)fi->fh,
	       fi->poll_events, ph ? "yes" : "no");
	fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, POLLIN);
}

static const struct cuse_lowlevel_ops full_ops = {
	.init = d_init, .init_done = d_init_done, .destroy = d_destroy,
	.open = d_open, .read = d_read, .write = d_write, .flush = d_flush,
	.release = d_release, .fsync = d_fsync, .ioctl = d_ioctl, .poll = d_poll,
};
static const struct cuse_lowlevel_ops no_ops;

/* ---- the kernel ---- */

static void send_req(const char *name, uint32_t opcode, const void *arg, size_t arglen,
		     const void *data, size_t datalen)
{
	struct in_header h = {
		.len = sizeof(h) + arglen + datalen, .opcode = opcode, .unique = (uniq += 2),
		.nodeid = opcode == OP_CUSE_INIT || opcode == OP_INIT ? 0 : 1,
		.uid = 1000, .gid = 1000, .pid = 4242,
	};
	struct iovec iov[3] = {
		{ &h, sizeof(h) }, { (void *)arg, arglen }, { (void *)data, datalen },
	};
	printf("> %s unique=%llu\n", name, (unsigned long long)h.unique);
	if (writev(kfd, iov, 3) != (ssize_t)h.len)
		printf("> writev: %s\n", strerror(errno));
}

/* Waits for the reply to the last request; with wait_init, also for
 * init_done. A CUSE_INIT reply is printed field by field. */
static void recv_reply(int is_cuse_init, int wait_init)
{
	unsigned char buf[1 << 16];
	struct pollfd p = { .fd = kfd, .events = POLLIN };
	if (poll(&p, 1, 10000) != 1) {
		printf("< timeout\n");
		return;
	}
	ssize_t n = recv(kfd, buf, sizeof(buf), 0);
	if (wait_init) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 10;
		if (sem_timedwait(&init_done_sem, &ts) != 0)
			printf("< no init_done\n");
	}
	if (n < (ssize_t)sizeof(struct out_header)) {
		printf("< short reply %zd\n", n);
		return;
	}
	struct out_header o;
	memcpy(&o, buf, sizeof(o));
	printf("< unique=%llu error=%d len=%u/%zd\n", (unsigned long long)o.unique, o.error,
	       o.len, n);
	unsigned char *b = buf + sizeof(o);
	size_t blen = n - sizeof(o);
	if (is_cuse_init && o.error == 0 && blen >= 72) {
		uint32_t w[18];
		memcpy(w, b, sizeof(w));
		printf("  cuse_init_out major=%u minor=%u unused=%u flags=%#x max_read=%u max_write=%#x dev=%u:%u spare=",
		       w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]);
		for (int i = 8; i < 18; i++)
			printf("%u%s", w[i], i < 17 ? "," : "\n");
		printf("  dev_info=\"");
		for (size_t i = 72; i < blen; i++)
			printf(b[i] ? "%c" : "\\0", b[i]);
		printf("\"\n");
		return;
	}
	for (size_t i = 0; i < blen; i++)
		printf("%s%02x%s", i % 16 ? "" : "  ", b[i], i % 16 == 15 || i + 1 == blen ? "\n" : " ");
}

static void xfer(const char *name, uint32_t opcode, const void *arg, size_t arglen,
		 const void *data, size_t datalen)
{
	send_req(name, opcode, arg, arglen, data, datalen);
	recv_reply(0, 0);
}

static void cuse_init(uint32_t major, uint32_t minor, int expect_init_done)
{
	struct cuse_init_in_ a = { major, minor, 0, 1 /* CUSE_UNRESTRICTED_IOCTL */ };
	send_req("CUSE_INIT", OP_CUSE_INIT, &a, sizeof(a), NULL, 0);
	recv_reply(1, expect_init_done);
}

static const char *script;

static void *kernel(void *unused)
{
	(void)unused;
	struct init_in_ init = { .major = 7, .minor = 45 };
	struct open_in_ open_in = { .flags = O_RDWR };
	struct rw_in_ rd = { .fh = 0x1234, .offset = 3, .size = 4, .lock_owner = 0x77, .flags = O_RDWR };
	struct rw_in_ wr = { .fh = 0x1234, .offset = 5, .size = 5 };
	struct ioctl_in_ io = { .fh = 0x1234, .flags = 2 /* UNRESTRICTED */, .cmd = 0x80045401,
				.arg = 0x7fff00001000ULL, .in_size = 4, .out_size = 16 };
	struct ioctl_in_ iodir = io;
	iodir.flags = 16; /* FUSE_IOCTL_DIR */
	struct poll_in_ pl = { .fh = 0x1234, .kh = 9, .flags = 1 /* SCHEDULE_NOTIFY */, .events = POLLIN };
	struct flush_in_ fl = { .fh = 0x1234, .lock_owner = 0x55 };
	struct fsync_in_ fs = { .fh = 0x1234, .fsync_flags = 1 };
	struct release_in_ rel = { .fh = 0x1234, .flags = O_RDWR };
	char getattr_in[16] = { 0 };
	struct timespec ts;

	/* Nothing arrives before the daemon has opened its device. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	if (sem_timedwait(&probe_cuse_opened, &ts) != 0) {
		printf("> device never opened\n");
		close(kfd);
		return NULL;
	}

	if (strcmp(script, "full") == 0) {
		cuse_init(7, 45, 1);
		xfer("OPEN", OP_OPEN, &open_in, sizeof(open_in), NULL, 0);
		xfer("READ", OP_READ, &rd, sizeof(rd), NULL, 0);
		xfer("WRITE", OP_WRITE, &wr, sizeof(wr), "hello", 5);
		xfer("IOCTL", OP_IOCTL, &io, sizeof(io), "ping", 4);
		xfer("IOCTL(dir)", OP_IOCTL, &iodir, sizeof(iodir), "ping", 4);
		xfer("POLL", OP_POLL, &pl, sizeof(pl), NULL, 0);
		xfer("FLUSH", OP_FLUSH, &fl, sizeof(fl), NULL, 0);
		xfer("FSYNC", OP_FSYNC, &fs, sizeof(fs), NULL, 0);
		xfer("RELEASE", OP_RELEASE, &rel, sizeof(rel), NULL, 0);
		xfer("LOOKUP", OP_LOOKUP, "x", 2, NULL, 0);
		xfer("GETATTR", OP_GETATTR, getattr_in, sizeof(getattr_in), NULL, 0);
		cuse_init(7, 45, 0);
		xfer("INIT", OP_INIT, &init, sizeof(init), NULL, 0);
	} else if (strcmp(script, "early") == 0) {
		xfer("INIT", OP_INIT, &init, sizeof(init), NULL, 0);
		xfer("OPEN", OP_OPEN, &open_in, sizeof(open_in), NULL, 0);
		cuse_init(6, 1, 0);
		xfer("OPEN", OP_OPEN, &open_in, sizeof(open_in), NULL, 0);
		cuse_init(7, 31, 1);
		xfer("READ", OP_READ, &rd, sizeof(rd), NULL, 0);
	} else if (strcmp(script, "noops") == 0) {
		struct rw_in_ rd0 = { .size = 4 };
		struct ioctl_in_ io0 = { 0 };
		struct poll_in_ pl0 = { 0 };
		struct release_in_ rel0 = { 0 };
		struct flush_in_ fl0 = { 0 };
		cuse_init(7, 45, 0);
		xfer("OPEN", OP_OPEN, &open_in, sizeof(open_in), NULL, 0);
		xfer("READ", OP_READ, &rd0, sizeof(rd0), NULL, 0);
		xfer("WRITE", OP_WRITE, &wr, sizeof(wr), "hello", 5);
		xfer("IOCTL", OP_IOCTL, &io0, sizeof(io0), NULL, 0);
		xfer("POLL", OP_POLL, &pl0, sizeof(pl0), NULL, 0);
		xfer("FLUSH", OP_FLUSH, &fl0, sizeof(fl0), NULL, 0);
		xfer("RELEASE", OP_RELEASE, &rel0, sizeof(rel0), NULL, 0);
	}
	printf("> close\n");
	close(kfd);
	return NULL;
}

/* ---- the cases ---- */

static struct cuse_info info(const char **strings, unsigned n, unsigned flags)
{
	struct cuse_info ci = { .dev_major = 240, .dev_minor = 7, .dev_info_argc = n,
				.dev_info_argv = strings, .flags = flags };
	return ci;
}

static char **program_args(int argc, char **argv, int *n)
{
	/* argv[0] stays, the mode (argv[1]) goes. */
	static char *out[64];
	out[0] = argv[0];
	for (int i = 2; i < argc && i < 63; i++)
		out[i - 1] = argv[i];
	*n = argc - 1;
	out[*n] = NULL;
	return out;
}

static void fake_device(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) {
		perror("socketpair");
		exit(2);
	}
	kfd = sv[0];
	probe_cuse_fd = sv[1];
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	fuse_set_log_func(log_func);
	sem_init(&init_done_sem, 0, 0);
	sem_init(&probe_cuse_opened, 0, 0);
	if (argc < 2)
		return 2;
	const char *mode = argv[1];
	int n;
	char **args = program_args(argc, argv, &n);
	static const char *dev_info[] = { "DEVNAME=ferro-probe", "MODE=0600" };
	char userdata[] = "probe-data";

	if (strncmp(mode, "main-", 5) == 0) {
		/* main-SCRIPT: cuse_lowlevel_main on the fake device. */
		struct cuse_info ci = strcmp(mode, "main-noops") == 0 ? info(NULL, 0, 0)
								       : info(dev_info, 2, 1);
		const struct cuse_lowlevel_ops *ops = strcmp(mode, "main-noops") == 0 ? &no_ops : &full_ops;
		pthread_t t;
		script = mode + 5;
		set_max_write = strcmp(script, "full") == 0 ? 0x10000 : 0;
		fake_device();
		pthread_create(&t, NULL, kernel, NULL);
		int ret = cuse_lowlevel_main(n, args, &ci, ops, userdata);
		printf("cuse_lowlevel_main: %d\n", ret);
		pthread_join(t, NULL);
	} else if (strcmp(mode, "nodev") == 0) {
		struct cuse_info ci = info(dev_info, 2, 1);
		printf("cuse_lowlevel_main: %d\n", cuse_lowlevel_main(n, args, &ci, &full_ops, NULL));
	} else if (strcmp(mode, "setup") == 0 || strcmp(mode, "setup-nodev") == 0) {
		struct cuse_info ci = info(dev_info, 2, 1);
		int mt = 42;
		if (strcmp(mode, "setup") == 0)
			fake_device();
		int fake = probe_cuse_fd;
		struct fuse_session *se = cuse_lowlevel_setup(n, args, &ci, &full_ops, &mt, NULL);
		printf("setup: %s multithreaded=%d\n", se ? "session" : "NULL", mt);
		if (se) {
			printf("fd: %s\n", fuse_session_fd(se) == fake ? "the device" : "other");
			cuse_lowlevel_teardown(se);
			printf("teardown done\n");
		}
	} else if (strcmp(mode, "stdio") == 0) {
		struct cuse_info ci = info(dev_info, 2, 1);
		char link[PATH_MAX] = "";
		int mt = 42;
		close(0);
		struct fuse_session *se = cuse_lowlevel_setup(n, args, &ci, &full_ops, &mt, NULL);
		ssize_t l = readlink("/proc/self/fd/0", link, sizeof(link) - 1);
		if (l >= 0)
			link[l] = 0;
		printf("setup: %s; fd 0: %s; fd 3 open: %d\n", se ? "session" : "NULL",
		       l >= 0 ? link : "closed", fcntl(3, F_GETFD) != -1);
	} else if (strcmp(mode, "limit") == 0) {
		static char a[2048], b[2049];
		const char *strings[] = { a, b };
		struct fuse_args fa = FUSE_ARGS_INIT(n, args);
		memset(a, 'a', sizeof(a) - 1);
		memset(b, 'b', sizeof(b) - 1);
		for (int len = 2047; len <= 2049; len++) {
			b[len - 1] = 'b';
			b[len] = 0;
			struct cuse_info ci = info(strings, 2, 0);
			struct fuse_session *se = cuse_lowlevel_new(&fa, &ci, &full_ops, NULL);
			printf("dev_info %d bytes: %s\n", 2048 + len + 1, se ? "session" : "NULL");
			if (se)
				fuse_session_destroy(se);
		}
		struct cuse_info none = info(NULL, 0, 0);
		struct fuse_session *se = cuse_lowlevel_new(&fa, &none, &full_ops, NULL);
		printf("no dev_info: %s\n", se ? "session" : "NULL");
		if (se)
			fuse_session_destroy(se);
		struct fuse_args empty = FUSE_ARGS_INIT(0, NULL);
		se = cuse_lowlevel_new(&empty, &none, &full_ops, NULL);
		printf("empty args: %s\n", se ? "session" : "NULL");
	} else if (strcmp(mode, "teardown-foreign") == 0) {
		struct cuse_info ci = info(dev_info, 2, 1);
		struct fuse_args fa = FUSE_ARGS_INIT(n, args);
		struct fuse_session *se = cuse_lowlevel_new(&fa, &ci, &full_ops, NULL);
		printf("new: %s\n", se ? "session" : "NULL");
		if (se)
			cuse_lowlevel_teardown(se);
		printf("teardown done\n");
	} else {
		return 2;
	}
	return 0;
}
"##;

/// `open()` for the probe: "/dev/cuse" is one end of a socketpair, once.
/// The executable exports it (-rdynamic), so the library's calls land here;
/// nothing is mounted or created.
const SHIM: &str = r##"/* open()/open64() for the probe: "/dev/cuse" is the socket in probe_cuse_fd
 * (once), every other path the real thing. Exported from the executable
 * (-rdynamic), so the library's own calls land here. */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <semaphore.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int probe_cuse_fd = -1;
/* Posted when the daemon has taken probe_cuse_fd. */
sem_t probe_cuse_opened;

static int probe_open(const char *path, int flags, va_list ap)
{
	mode_t mode = 0;
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	if (probe_cuse_fd >= 0 && strcmp(path, "/dev/cuse") == 0) {
		int fd = probe_cuse_fd;
		probe_cuse_fd = -1;
		sem_post(&probe_cuse_opened);
		return fd;
	}
	return syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	int r = probe_open(path, flags, ap);
	va_end(ap);
	return r;
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	int r = probe_open(path, flags, ap);
	va_end(ap);
	return r;
}
"##;

/// The flags and libraries pkg-config gives for the system's libfuse 3.14.
fn system_fuse3_flags() -> Vec<String> {
    let ma = run(Command::new("cc").arg("-print-multiarch"));
    let ma = if ma.trim().is_empty() {
        "x86_64-linux-gnu".to_string()
    } else {
        ma.trim().to_string()
    };
    run(Command::new("pkg-config")
        .args(["--cflags", "--libs", "fuse3"])
        .env_remove("PKG_CONFIG_PATH")
        .env(
            "PKG_CONFIG_LIBDIR",
            format!("/usr/lib/{ma}/pkgconfig:/usr/share/pkgconfig"),
        ))
    .split_whitespace()
    .map(String::from)
    .collect()
}

/// The probe twice: against Debian's libfuse 3.14 (headers and library),
/// and against our headers linked to libfuse 3.18.3's own build (runpath).
fn probes() -> &'static (PathBuf, PathBuf) {
    static P: std::sync::OnceLock<(PathBuf, PathBuf)> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let dir = scratch("cuse-probe");
        std::fs::write(dir.join("cuse_probe.c"), PROBE).unwrap();
        std::fs::write(dir.join("shim.c"), SHIM).unwrap();
        let srcs = [dir.join("cuse_probe.c"), dir.join("shim.c")];
        let p314 = dir.join("probe-314");
        run(c_compiler("cc")
            .args(&srcs)
            .arg("-rdynamic")
            .arg("-o")
            .arg(&p314)
            .args(system_fuse3_flags())
            .arg("-lpthread"));
        let real_lib = real_libfuse_build(Suite::Sid).join("lib");
        let p318 = dir.join("probe-318");
        run(c_compiler("cc")
            .arg("-I")
            .arg(include_dir())
            .args(&srcs)
            .arg("-rdynamic")
            .arg("-o")
            .arg(&p318)
            .arg("-L")
            .arg(&real_lib)
            .arg(format!("-Wl,-rpath,{}", real_lib.display()))
            .args(["-lfuse3", "-lpthread"]));
        (p314, p318)
    })
}

/// stdout, stderr and exit status of one probe run (bounded).
fn run_probe(bin: &Path, args: &[&str], ld_path: Option<&Path>) -> String {
    let mut cmd = Command::new("timeout");
    cmd.args(["-k", "5", "60"])
        .arg(bin)
        .args(args)
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("LD_PRELOAD");
    if let Some(p) = ld_path {
        cmd.env("LD_LIBRARY_PATH", p);
    }
    let out = cmd.output().unwrap();
    format!(
        "{}--- stderr\n{}--- status {:?}\n",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        out.status.code()
    )
}

/// Probe cases: arguments, whether the loop is multi-threaded, whether -d
/// is on (its trace names the library version: not compared with 3.14).
const PROBE_CASES: &[(&[&str], bool, bool)] = &[
    (&["main-full", "-f", "-s"], false, false),
    (&["main-full", "-f"], true, false),
    (&["main-full", "-f", "-s", "-d"], false, true),
    (&["main-full", "-d"], true, true),
    (&["main-early", "-f", "-s"], false, false),
    (&["main-noops", "-f", "-s"], false, false),
    (&["nodev", "-f"], false, false),
    (&["nodev"], false, false),
    (&["setup", "-f"], false, false),
    (&["setup", "-f", "-s"], false, false),
    (&["setup", "-f", "-o", "subtype=x"], false, false),
    (&["setup", "-f", "-o", "fsname=x,allow_other"], false, false),
    (&["setup", "-f", "-o", "bogus"], false, false),
    (&["setup", "-f", "-x"], false, false),
    (&["setup", "-f", "/nonexistent-cuse-probe"], false, false),
    (&["setup", "-f", "-h"], false, false),
    (
        &["setup", "-f", "-o", "max_idle_threads=3,clone_fd"],
        false,
        false,
    ),
    (&["setup-nodev", "-f"], false, false),
    (&["stdio", "-f"], false, false),
    (&["limit"], false, false),
    (&["teardown-foreign"], false, false),
];

/// Cases that open the real /dev/cuse: run only where there is none.
fn uses_real_device(args: &[&str]) -> bool {
    ["nodev", "setup-nodev", "stdio"].contains(&args[0]) && real_cuse_device()
}

/// What may differ between runs of the same library: with several workers,
/// how many of them see the closed device before the session stops is a
/// race (in libfuse too).
fn settle(transcript: &str, mt: bool) -> String {
    transcript
        .lines()
        .filter(|l| !(mt && l.ends_with("short read on fuse device")))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn probe_matches_libfuse_318() {
    let (_, p318) = probes();
    for &(args, mt, _) in PROBE_CASES {
        if uses_real_device(args) {
            continue;
        }
        let real = settle(&run_probe(p318, args, None), mt);
        let ours = settle(&run_probe(p318, args, Some(lib_dir())), mt);
        assert_eq!(ours, real, "probe {args:?}: ferrofuse vs libfuse 3.18.3");
        if args[0].starts_with("main-") {
            // The fake device worked: the session ran and ended.
            assert!(
                ours.contains("  cuse_init_out major=7 minor=45 ")
                    && ours.contains("> close\n")
                    && ours.contains("cuse_lowlevel_main: 0\n"),
                "probe {args:?}:\n{ours}"
            );
        }
    }
}

#[test]
fn probe_matches_libfuse_314() {
    let (p314, _) = probes();
    for &(args, mt, debug) in PROBE_CASES {
        if debug || uses_real_device(args) {
            continue;
        }
        // libfuse 3.14 speaks protocol 7.31, 3.18.3 (and so ferrofuse) 7.45.
        let debian = settle(&run_probe(p314, args, None), mt).replace(" minor=31 ", " minor=45 ");
        let ours = settle(&run_probe(p314, args, Some(lib_dir())), mt);
        assert_eq!(
            ours, debian,
            "probe {args:?}: ferrofuse vs Debian's libfuse 3.14"
        );
    }
}
