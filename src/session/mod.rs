//! The low-level session: what `fuse_session_new` creates and every request
//! of it shares (options, the copied operations table, the negotiated
//! connection, the device fd, exit state), plus the request registry.
//!
//! A `*mut fuse_session` handed to C is a leaked `Box<Session>`; the
//! connection info lives inside it at a fixed address, so the pointer given
//! to the filesystem's `init` stays valid for the session's life.

pub mod cuse;
pub mod dispatch;
pub mod init;
pub mod killpriv;
pub mod options;
pub mod reply;
pub mod request;

use crate::capi::types::{
    fuse_conn_info, fuse_custom_io, fuse_lowlevel_ops, fuse_session, libfuse_version,
};
use crate::compat::Abi;
use options::SessionOpts;
use parking_lot::Mutex;
use request::Registry;
use std::cell::UnsafeCell;
use std::ffi::{c_void, CString};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// FUSE_DEFAULT_MAX_PAGES_LIMIT: libfuse's default max_write is this many pages.
pub const DEFAULT_MAX_PAGES_LIMIT: usize = 256;
/// Room for the request header in front of the write payload.
pub const BUFFER_HEADER_SIZE: usize = 0x1000;

pub struct Session {
    /// The connection info handed to `init`; written by the filesystem only
    /// during INIT (before any other request can arrive), read afterwards.
    conn: UnsafeCell<fuse_conn_info>,
    /// Which struct layouts the filesystem was compiled with.
    pub abi: Abi,
    pub version: libfuse_version,
    pub ops: fuse_lowlevel_ops,
    pub userdata: *mut c_void,
    pub opts: SessionOpts,
    /// The uid that created the session (for `allow_root`).
    pub owner: libc::uid_t,
    pub fd: AtomicI32,
    pub mountpoint: Mutex<Option<CString>>,
    exited: AtomicBool,
    /// Why the loop ended: a signal number, or -errno.
    pub error: AtomicI32,
    pub got_init: AtomicBool,
    pub got_destroy: AtomicBool,
    /// Size of the buffer one request needs (max_write + header room).
    pub bufsize: AtomicUsize,
    pub proto_minor: AtomicU32,
    /// Uniques of notifications that expect a reply (retrieve). Even, so
    /// they never carry the kernel's interrupt bit (libfuse's starts at 1).
    pub notify_ctr: AtomicU64,
    /// `fuse_session_custom_io`: set once, before the loop runs.
    pub io: Mutex<Option<fuse_custom_io>>,
    /// Pending fuse_lowlevel_notify_retrieve calls: notify unique → cookie.
    pub retrieves: Mutex<std::collections::HashMap<u64, usize>>,
    /// With auto_unmount: the fusermount3 helper that outlives us.
    pub auto_unmount: Mutex<Option<crate::mount::AutoUnmount>>,
    /// The mount options fuse_session_new parsed, for fuse_session_mount.
    pub mount_opts: Mutex<Option<crate::mount::MountOpts>>,
    pub reqs: Registry,
    /// Set once, right after creation, for a CUSE session (cuse_lowlevel_new).
    pub cuse: std::sync::OnceLock<cuse::CuseData>,
    /// Set by our loops while they run: how they would serve io-uring.
    /// Custom loops (receive_buf/process_buf) leave it unset and stay on
    /// /dev/fuse.
    pub uring_loop: Mutex<Option<crate::transport::uring::LoopKind>>,
    /// The rings negotiated at INIT; kept until the session is destroyed
    /// (the kernel may write their buffers until the rings are gone).
    pub uring: Mutex<Option<std::sync::Arc<crate::transport::uring::Pool>>>,
    /// `-o passthrough=auto`: backing files for opens the filesystem only
    /// forwards.
    pub passthrough: crate::passthrough::Auto,
    /// The kill-suid/sgid duty, when the library took it on (killpriv.rs).
    pub killpriv: killpriv::Duty,
}

/// The system's page size.
pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

/// sizeof(struct fuse_in_header)
pub const IN_HEADER_SIZE: usize = 40;

// SAFETY: the raw pointers (userdata, the ops' C functions) are the
// filesystem's to share between its threads, as with libfuse; `conn` is
// only written during INIT, before requests run concurrently.
unsafe impl Send for Session {}
// SAFETY: as above.
unsafe impl Sync for Session {}

impl Session {
    /// A session for `ops` (already copied and zero-extended to our size).
    pub fn new(
        abi: Abi,
        version: libfuse_version,
        ops: fuse_lowlevel_ops,
        userdata: *mut c_void,
        opts: SessionOpts,
    ) -> Box<Session> {
        let page = page_size();
        let conn = fuse_conn_info {
            max_write: (DEFAULT_MAX_PAGES_LIMIT * page) as u32,
            max_readahead: u32::MAX,
            ..Default::default()
        };
        Box::new(Session {
            conn: UnsafeCell::new(conn),
            abi,
            version,
            ops,
            userdata,
            opts,
            // SAFETY: getuid has no preconditions.
            owner: unsafe { libc::getuid() },
            fd: AtomicI32::new(-1),
            mountpoint: Mutex::new(None),
            exited: AtomicBool::new(false),
            error: AtomicI32::new(0),
            got_init: AtomicBool::new(false),
            got_destroy: AtomicBool::new(false),
            bufsize: AtomicUsize::new(DEFAULT_MAX_PAGES_LIMIT * page + BUFFER_HEADER_SIZE),
            proto_minor: AtomicU32::new(0),
            notify_ctr: AtomicU64::new(2),
            io: Mutex::new(None),
            retrieves: Mutex::new(Default::default()),
            auto_unmount: Mutex::new(None),
            mount_opts: Mutex::new(None),
            reqs: Registry::default(),
            cuse: std::sync::OnceLock::new(),
            uring_loop: Mutex::new(None),
            uring: Mutex::new(None),
            passthrough: Default::default(),
            killpriv: Default::default(),
        })
    }

    /// The session behind a C pointer.
    ///
    /// # Safety
    /// `se` must be NULL or a pointer made by [`Session::into_raw`] and not
    /// yet destroyed.
    pub unsafe fn from_raw<'a>(se: *mut fuse_session) -> Option<&'a Session> {
        // SAFETY: per the contract.
        unsafe { (se as *const Session).as_ref() }
    }

    pub fn into_raw(self: Box<Self>) -> *mut fuse_session {
        Box::into_raw(self) as *mut fuse_session
    }

    /// Takes back ownership for destruction.
    ///
    /// # Safety
    /// `se` must come from [`Session::into_raw`], and no other reference to
    /// the session may be used afterwards.
    pub unsafe fn from_raw_owned(se: *mut fuse_session) -> Box<Session> {
        // SAFETY: per the contract.
        unsafe { Box::from_raw(se as *mut Session) }
    }

    /// The connection info's address, as the filesystem's `init` gets it.
    pub fn conn_ptr(&self) -> *mut fuse_conn_info {
        self.conn.get()
    }

    /// A copy of the negotiated connection info.
    /// The filesystem reported `st` for `nodeid` (an entry, attr, create or
    /// readdirplus reply): passthrough=auto and the kill-suid/sgid duty
    /// decide from it.
    pub fn reported(&self, nodeid: u64, st: &libc::stat) {
        self.passthrough.reported(nodeid, st);
        self.killpriv.reported(nodeid, st.st_mode, st.st_gid);
    }

    pub fn conn(&self) -> fuse_conn_info {
        // SAFETY: after INIT nobody writes it; during INIT only the thread
        // processing INIT does, which is also the only reader then.
        unsafe { *self.conn.get() }
    }

    /// The first step of FUSE_INIT and CUSE_INIT: the kernel's protocol
    /// version goes into the connection, and what an earlier INIT offered is
    /// forgotten. Returns the connection, which only the INIT thread touches.
    #[allow(clippy::mut_from_ref)]
    pub fn start_init(&self, major: u32, minor: u32) -> &mut fuse_conn_info {
        // SAFETY: INIT runs before any other request of the session, on one
        // thread; the filesystem sees the struct only through its init().
        let conn = unsafe { &mut *self.conn.get() };
        conn.proto_major = major;
        conn.proto_minor = minor;
        conn.capable_ext = 0;
        conn.want_ext = 0;
        self.proto_minor.store(minor, Ordering::SeqCst);
        conn
    }

    /// The session's ring pool, if INIT moved it onto io-uring.
    pub fn uring_pool(&self) -> Option<std::sync::Arc<crate::transport::uring::Pool>> {
        self.uring.lock().clone()
    }

    pub fn exit(&self) {
        self.exited.store(true, Ordering::SeqCst);
    }

    pub fn exited(&self) -> bool {
        self.exited.load(Ordering::SeqCst)
    }

    pub fn reset(&self) {
        self.exited.store(false, Ordering::SeqCst);
        self.error.store(0, Ordering::SeqCst);
    }

    pub fn debug(&self) -> bool {
        self.opts.debug
    }

    /// Writes one message (reply or notification) to `fd`, through the
    /// custom I/O functions if the filesystem installed them. Returns 0 or
    /// -errno; failures are logged by [`Session::write_failed`].
    pub fn write_msg(&self, fd: RawFd, iov: &[libc::iovec]) -> i32 {
        let io = *self.io.lock();
        let res = match io.and_then(|io| io.writev) {
            // SAFETY: the filesystem's writev gets the iovec array it asked
            // for; the buffers stay alive for the call.
            Some(w) => unsafe { w(fd, iov.as_ptr() as *mut _, iov.len() as i32, self.userdata) },
            // SAFETY: iov points to valid buffers for the call.
            None => unsafe { libc::writev(fd, iov.as_ptr(), iov.len() as i32) },
        };
        if res == -1 {
            let err = std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO);
            return self.write_failed(err);
        }
        0
    }

    /// A write of a message to the device failed with `err`: logged as
    /// libfuse does (not ENOENT, which means the request was interrupted,
    /// nor once the session is exiting); returns -err.
    pub fn write_failed(&self, err: i32) -> i32 {
        if !self.exited() && err != libc::ENOENT {
            crate::log_err!("fuse: writing device: {}\n", crate::log::strerror(err));
        }
        -err
    }
}

/// Asks session `se` to exit because signal `sig` arrived. Called from a
/// signal handler, so it only touches atomics.
///
/// # Safety
/// `se` must be NULL or a live session.
pub unsafe fn exit_from_signal(se: *mut fuse_session, sig: i32) {
    // SAFETY: per the contract.
    if let Some(se) = unsafe { Session::from_raw(se) } {
        se.error.store(sig, Ordering::SeqCst);
        se.exit();
    }
}
