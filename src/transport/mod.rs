//! How request bytes move. The classic `/dev/fuse` transport: one `read`
//! per request into a buffer owned by the reading thread, replies by
//! `writev` (see `Session::write_msg`), optionally through the filesystem's
//! custom I/O functions. FUSE-over-io-uring lives in [`uring`].

mod mem;
mod placement;
pub mod uring;

use crate::session::Session;
use std::os::fd::RawFd;

/// A non-blocking eventfd: wakes a thread waiting in poll(2) or in a ring.
pub struct EventFd(pub RawFd);

impl EventFd {
    pub fn new() -> std::io::Result<EventFd> {
        // SAFETY: plain syscall.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(EventFd(fd))
    }

    pub fn drain(&self) {
        let mut v: u64 = 0;
        // SAFETY: reads 8 bytes into a local (non-blocking fd).
        unsafe { libc::read(self.0, (&mut v as *mut u64).cast(), 8) };
    }

    pub fn signal(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a local.
        unsafe { libc::write(self.0, (&one as *const u64).cast(), 8) };
    }
}

impl Drop for EventFd {
    fn drop(&mut self) {
        // SAFETY: closing our own fd.
        unsafe { libc::close(self.0) };
    }
}

/// Sets or clears O_NONBLOCK; true if the fd now has the wanted mode.
pub fn set_nonblocking(fd: RawFd, on: bool) -> bool {
    // SAFETY: fcntl on an fd we hold.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        if fl == -1 {
            return false;
        }
        let new = if on {
            fl | libc::O_NONBLOCK
        } else {
            fl & !libc::O_NONBLOCK
        };
        new == fl || libc::fcntl(fd, libc::F_SETFL, new) != -1
    }
}

/// Why a receive produced no request.
#[derive(Debug, PartialEq, Eq)]
pub enum RecvError {
    /// The session is over (exited, unmounted or aborted): stop quietly.
    Exit,
    /// Interrupted by a signal: check `exited()` and try again.
    Interrupted,
    /// Anything else, as -errno.
    Errno(i32),
}

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// A thread's buffer for requests read from /dev/fuse. As libfuse's
/// `buf_alloc`, it places a request so that a WRITE's payload (after the
/// 40-byte `fuse_in_header` and the 40-byte `fuse_write_in`) starts on a
/// page boundary: a filesystem that writes it to an `O_DIRECT` file (as
/// passthrough_ll and passthrough_hp do for an `O_DIRECT` open) would get
/// EINVAL from ext4 and others otherwise. Derefs to the request area.
///
/// Its memory is a mapping of its own: lazily backed, so a request costs
/// only the pages it fills. (From malloc, a 4 MiB buffer can come out of
/// a thread's arena and be zeroed there whole, once a freed one raised
/// glibc's mmap threshold: a worker that exits frees its buffer.)
#[derive(Default)]
pub struct RecvBuf {
    raw: Option<mem::Region>,
    len: usize,
    start: usize,
}

/// Request bytes before a WRITE's payload.
const WRITE_HEADER: usize = std::mem::size_of::<crate::kernel::structs::fuse_in_header>()
    + std::mem::size_of::<crate::kernel::structs::fuse_write_in>();

impl RecvBuf {
    /// Makes room for `want` bytes (a fresh allocation when it grows).
    pub fn reserve(&mut self, want: usize) {
        if self.len() >= want {
            return;
        }
        let page = crate::session::page_size();
        // A fresh mapping, not a resized one: resizing would copy, and make
        // resident, what the old buffer held.
        let Ok(raw) = mem::Region::new(want + page) else {
            // Out of memory: the buffer stays as it was (the read then
            // fails, or is refused by the kernel as too small).
            return;
        };
        self.start = mem::align_offset(raw.ptr as usize + WRITE_HEADER, page);
        self.len = want + page - self.start;
        self.raw = Some(raw);
    }
}

impl std::ops::Deref for RecvBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &self.raw {
            // SAFETY: `start + len` bytes of our own mapping, which lives as
            // long as `self`; the borrow of `self` bars writes meanwhile.
            Some(r) => unsafe { std::slice::from_raw_parts(r.ptr.add(self.start), self.len) },
            None => &[],
        }
    }
}

impl std::ops::DerefMut for RecvBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        match &self.raw {
            // SAFETY: as above, and the mutable borrow of `self` makes this
            // the only reference.
            Some(r) => unsafe { std::slice::from_raw_parts_mut(r.ptr.add(self.start), self.len) },
            None => &mut [],
        }
    }
}

/// Reads one request from `fd` into `buf`, growing `buf` to the session's
/// buffer size first. Returns the request's length.
pub fn receive(se: &Session, fd: RawFd, buf: &mut RecvBuf) -> Result<usize, RecvError> {
    loop {
        let want = se.bufsize.load(std::sync::atomic::Ordering::SeqCst);
        buf.reserve(want);
        match receive_into(se, fd, buf) {
            // The kernel refuses reads smaller than the negotiated
            // max_write. A worker that sized its buffer before INIT raised
            // max_write meets that once; INIT stores the new size before
            // it replies, so it is visible now: grow and read again.
            Err(RecvError::Errno(e)) if e == -libc::EINVAL && outgrown(se, buf.len()) => continue,
            r => return r,
        }
    }
}

/// A buffer of `buf_len` bytes is smaller than the session's buffer size:
/// sized before INIT raised max_write, so the kernel refuses reads into it
/// (EINVAL) until it grows.
pub fn outgrown(se: &Session, buf_len: usize) -> bool {
    buf_len < se.bufsize.load(std::sync::atomic::Ordering::SeqCst)
}

/// Reads one request from `fd` into `buf`.
pub fn receive_into(se: &Session, fd: RawFd, buf: &mut [u8]) -> Result<usize, RecvError> {
    loop {
        let io = *se.io.lock();
        let res = match io.and_then(|io| io.read) {
            // SAFETY: the filesystem's read function gets our buffer and its length.
            Some(r) => unsafe { r(fd, buf.as_mut_ptr().cast(), buf.len(), se.userdata) },
            // SAFETY: kernel I/O into a buffer of buf.len() bytes we own.
            None => unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) },
        };
        let err = errno();
        if let Some(r) = read_outcome(se, res, err, buf.len()) {
            return r;
        }
    }
}

/// What a read of `buf_len` bytes from the device that returned `res`
/// (errno `err`) means: the request's length, why there is none, or None
/// when the read is to be retried at once.
pub fn read_outcome(
    se: &Session,
    res: isize,
    err: i32,
    buf_len: usize,
) -> Option<Result<usize, RecvError>> {
    if se.exited() {
        return Some(Err(RecvError::Exit));
    }
    if res == -1 {
        return match err {
            // The request was interrupted before we read it.
            libc::ENOENT => None,
            // Unmounted, or aborted through /sys/fs/fuse/connections.
            libc::ENODEV => {
                se.exit();
                Some(Err(RecvError::Exit))
            }
            libc::EINTR => Some(Err(RecvError::Interrupted)),
            libc::EAGAIN => Some(Err(RecvError::Errno(-err))),
            // A buffer sized before INIT raised max_write: not an error
            // worth a message; `receive` grows its buffer and reads
            // again, other callers get -EINVAL.
            libc::EINVAL if outgrown(se, buf_len) => Some(Err(RecvError::Errno(-err))),
            _ => {
                // libfuse reports this with perror().
                eprintln!("fuse: reading device: {}", crate::log::strerror(err));
                Some(Err(RecvError::Errno(-err)))
            }
        };
    }
    let n = res as usize;
    if n < crate::session::IN_HEADER_SIZE {
        crate::log_err!("short read on fuse device\n");
        return Some(Err(RecvError::Errno(-libc::EIO)));
    }
    Some(Ok(n))
}

/// A new device fd attached to the same connection as `master`
/// (FUSE_DEV_IOC_CLONE), for `clone_fd` workers. None if the kernel refuses.
pub fn clone_fd(master: RawFd) -> Option<RawFd> {
    const DEVNAME: &std::ffi::CStr = c"/dev/fuse";
    // SAFETY: plain open of the device.
    let fd = unsafe { libc::open(DEVNAME.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    if fd == -1 {
        crate::log_err!(
            "fuse: failed to open {}: {}\n",
            DEVNAME.to_string_lossy(),
            crate::log::strerror(errno())
        );
        return None;
    }
    let mut m = master as u32;
    // SAFETY: the ioctl reads one u32 (the master fd).
    let res = unsafe {
        libc::ioctl(
            fd,
            crate::kernel::FUSE_DEV_IOC_CLONE as libc::c_ulong,
            &mut m as *mut u32,
        )
    };
    if res == -1 {
        crate::log_err!(
            "fuse: failed to clone device fd: {}\n",
            crate::log::strerror(errno())
        );
        // SAFETY: closing the fd we opened.
        unsafe { libc::close(fd) };
        return None;
    }
    Some(fd)
}
