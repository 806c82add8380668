//! The session loops. They only pump requests from the transport into
//! the dispatcher; the filesystem's callbacks run on the loop's threads.
//!
//! - [`single`]: one thread; callbacks strictly one at a time.
//! - [`multi`]: libfuse's worker pool: a worker that takes a request while
//!   no other is idle starts another (up to `max_threads`); workers above
//!   `max_idle_threads` idle ones exit; `clone_fd` gives each worker its own
//!   device fd. As in libfuse, idle workers block in read(2), so the kernel
//!   wakes one per request, their signals are blocked, and the loop ends
//!   them with pthread_cancel, enabled only around that read, which runs in
//!   C (`worker.c`) so that the cancellation never unwinds a Rust frame.

use crate::loop_config::LoopConfig;
use crate::session::{dispatch, Session};
use crate::transport::uring::LoopKind;
use crate::transport::{self, EventFd, RecvError};
use parking_lot::Mutex;
use std::ffi::c_void;
use std::os::fd::RawFd;

/// `fuse_session_loop`: 0 when the session ended normally, a signal number
/// if one ended it, else -errno.
pub fn single(se: &Session) -> i32 {
    let fd = se.fd.load(std::sync::atomic::Ordering::SeqCst);
    let mut buf = transport::RecvBuf::default();
    let mut res = 0;
    *se.uring_loop.lock() = Some(LoopKind::Single);
    while !se.exited() {
        match transport::receive(se, fd, &mut buf) {
            Ok(n) => {
                dispatch::process(se, &buf[..n], fd);
                // After INIT chose io-uring, this thread serves the ring
                // (and /dev/fuse through it) until the session ends.
                if let Some(r) = se.uring_pool().and_then(|p| p.serve_inline(se)) {
                    res = r;
                    break;
                }
            }
            Err(RecvError::Interrupted) => continue,
            Err(RecvError::Exit) => break,
            Err(RecvError::Errno(e)) => {
                res = e;
                break;
            }
        }
    }
    *se.uring_loop.lock() = None;
    let error = se.error.load(std::sync::atomic::Ordering::SeqCst);
    if error != 0 {
        error
    } else {
        res
    }
}

/// One pool thread: what it owns, shared with C (`worker.c`) by pointer.
struct Worker {
    /// The loop; it joins every worker before it returns.
    mt: *const Mt<'static>,
    /// The master fd, or this worker's clone.
    fd: RawFd,
    buf: transport::RecvBuf,
}

impl Worker {
    fn mt(&self) -> &Mt<'static> {
        // SAFETY: `multi` joins or outlives every worker it starts.
        unsafe { &*self.mt }
    }

    fn owns_fd(&self) -> bool {
        self.fd != self.mt().master
    }

    /// Frees the worker, closing its fd if it is a clone. Touches no `Mt`:
    /// a detached worker may outlive the loop.
    ///
    /// # Safety
    /// `w` came from `Box::into_raw` in `start_worker`; its thread is over
    /// or is the caller and no longer uses it.
    unsafe fn free(w: *mut Worker, owns_fd: bool) {
        // SAFETY: per the contract.
        let w = unsafe { Box::from_raw(w) };
        if owns_fd {
            // SAFETY: a cloned fd this worker owns.
            unsafe { libc::close(w.fd) };
        }
    }
}

/// A started worker: its thread and state (freed by whoever ends it).
struct Started(libc::pthread_t, *mut Worker);
// SAFETY: the pointer is only dereferenced by the worker's own thread and,
// once that thread is joined, by the loop.
unsafe impl Send for Started {}

struct Counts {
    numworker: u32,
    numavail: u32,
    /// The loop is stopping: workers leave.
    exit: bool,
    /// The first error a worker met (-errno).
    error: i32,
    /// Workers not yet joined (a worker that leaves as surplus idle one
    /// removes itself and detaches).
    workers: Vec<Started>,
}

struct Mt<'a> {
    se: &'a Session,
    master: RawFd,
    clone_fd: bool,
    max_threads: u32,
    max_idle: i64,
    /// The filesystem's custom read (`fuse_session_custom_io`, set before
    /// the loop starts), or None for read(2).
    io_read: Option<IoRead>,
    counts: Mutex<Counts>,
    /// Workers → main: a worker ended the loop.
    finished: EventFd,
}

type IoRead =
    unsafe extern "C" fn(libc::c_int, *mut c_void, libc::size_t, *mut c_void) -> libc::ssize_t;

/// The read `worker.c` makes; same layout as its `struct ferrofuse_mt_read`.
#[repr(C)]
pub struct MtRead {
    buf: *mut c_void,
    len: usize,
    fd: libc::c_int,
    io_read: Option<IoRead>,
    userdata: *mut c_void,
}

extern "C" {
    fn ferrofuse_mt_worker_main(worker: *mut c_void) -> *mut c_void;
}

/// `fuse_session_loop_mt` with a (verified) configuration.
pub fn multi(se: &Session, cfg: &LoopConfig) -> i32 {
    let master = se.fd.load(std::sync::atomic::Ordering::SeqCst);
    let Ok(finished) = EventFd::new() else {
        return -libc::ENOMEM;
    };
    let io = *se.io.lock();
    let mt = Mt {
        se,
        master,
        clone_fd: cfg.clone_fd != 0,
        max_threads: cfg.max_threads.max(1),
        max_idle: i64::from(cfg.max_idle_threads),
        io_read: io.and_then(|io| io.read),
        counts: Mutex::new(Counts {
            numworker: 0,
            numavail: 0,
            exit: false,
            error: 0,
            workers: Vec::new(),
        }),
        finished,
    };
    *se.uring_loop.lock() = Some(LoopKind::Multi {
        max_threads: mt.max_threads,
        notify: mt.finished.0,
    });
    // Workers block in read; a filesystem's custom read decides for itself.
    if io.is_none() {
        transport::set_nonblocking(master, false);
    }
    let started = start_worker(&mt, &mut mt.counts.lock());
    let err = if started {
        while !se.exited() {
            let mut pfd = libc::pollfd {
                fd: mt.finished.0,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: polls one pollfd we own; a signal interrupts it (the
            // workers block signals, so a process signal lands here).
            unsafe { libc::poll(&mut pfd, 1, -1) };
            mt.finished.drain();
        }
        0
    } else {
        -libc::EIO
    };
    if se.debug() && started {
        crate::log_debug!("fuse: session exited, terminating workers\n");
    }
    let workers = {
        let mut c = mt.counts.lock();
        c.exit = true;
        for w in &c.workers {
            // SAFETY: a thread not yet joined (nor detached: it is listed).
            unsafe { libc::pthread_cancel(w.0) };
        }
        std::mem::take(&mut c.workers)
    };
    for Started(thread, w) in workers {
        // SAFETY: joins a listed thread once; then its state is ours.
        unsafe {
            libc::pthread_join(thread, std::ptr::null_mut());
            Worker::free(w, (*w).owns_fd());
        }
    }
    // Ring threads end with the session; join them before it can go away.
    if let Some(pool) = se.uring_pool() {
        pool.shutdown();
    }
    *se.uring_loop.lock() = None;
    let error = se.error.load(std::sync::atomic::Ordering::SeqCst);
    if error != 0 {
        error
    } else if err != 0 {
        err
    } else {
        mt.counts.lock().error
    }
}

/// Starts a worker (the caller holds the counts lock, as in libfuse).
fn start_worker(mt: &Mt, c: &mut Counts) -> bool {
    let fd = if mt.clone_fd {
        transport::clone_fd(mt.master).unwrap_or(mt.master)
    } else {
        mt.master
    };
    let w = Box::into_raw(Box::new(Worker {
        mt: (mt as *const Mt).cast(),
        fd,
        buf: transport::RecvBuf::default(),
    }));
    match spawn(w) {
        Ok(thread) => {
            c.numworker += 1;
            c.numavail += 1;
            c.workers.push(Started(thread, w));
            true
        }
        Err(e) => {
            crate::log_err!("fuse: error creating thread: {}\n", crate::log::strerror(e));
            // SAFETY: no thread got it.
            unsafe { Worker::free(w, fd != mt.master) };
            false
        }
    }
}

/// pthread_create for `ferrofuse_mt_worker_main`, with every signal blocked
/// in the new thread and libfuse's `FUSE_THREAD_STACK` stack size.
fn spawn(w: *mut Worker) -> Result<libc::pthread_t, i32> {
    // SAFETY: attr, sigset and thread id are locals initialised by libc
    // before use; the thread gets a worker pointer it may use until it ends.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        libc::pthread_attr_init(&mut attr);
        if let Ok(v) = std::env::var("FUSE_THREAD_STACK") {
            let size = v.trim().parse::<usize>().unwrap_or(0);
            if libc::pthread_attr_setstacksize(&mut attr, size) != 0 {
                crate::log_err!("fuse: invalid stack size: {v}\n");
            }
        }
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        let mut thread: libc::pthread_t = 0;
        let res = libc::pthread_create(
            &mut thread,
            &attr,
            std::mem::transmute::<
                unsafe extern "C" fn(*mut c_void) -> *mut c_void,
                extern "C" fn(*mut c_void) -> *mut c_void,
            >(ferrofuse_mt_worker_main),
            w.cast(),
        );
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        libc::pthread_attr_destroy(&mut attr);
        if res != 0 {
            return Err(res);
        }
        libc::pthread_setname_np(thread, c"fuse_worker".as_ptr());
        Ok(thread)
    }
}

/// Runs `f` for `worker.c`; a panic stops the worker instead of unwinding
/// into C.
fn guarded(f: impl FnOnce() -> libc::c_int) -> libc::c_int {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        crate::log_err!("fuse: worker stopped by a panic\n");
        0
    })
}

/// The worker ends the loop: the main thread wakes, and joins it.
fn end_loop(mt: &Mt, error: i32) -> libc::c_int {
    if error != 0 {
        mt.se.exit();
        let mut c = mt.counts.lock();
        if c.error == 0 {
            c.error = error;
        }
    }
    mt.finished.signal();
    0
}

/// # Safety
/// `w` is the worker `worker.c` was started with; `r` is writable.
#[no_mangle]
pub unsafe extern "C" fn ferrofuse_mt_prepare(w: *mut c_void, r: *mut MtRead) -> libc::c_int {
    guarded(|| {
        // SAFETY: the worker's own thread is the only user of its state.
        let w = unsafe { &mut *(w as *mut Worker) };
        let mt = w.mt();
        let se = mt.se;
        if se.exited() {
            return end_loop(mt, 0);
        }
        if mt.counts.lock().exit {
            return 0;
        }
        let io_read = mt.io_read;
        w.buf
            .reserve(se.bufsize.load(std::sync::atomic::Ordering::SeqCst));
        let read = MtRead {
            buf: w.buf.as_mut_ptr().cast(),
            len: w.buf.len(),
            fd: w.fd,
            io_read,
            userdata: se.userdata,
        };
        // SAFETY: `r` is worker.c's local.
        unsafe { r.write(read) };
        1
    })
}

/// # Safety
/// `w` is the worker `worker.c` was started with; `res` and `err` are what
/// the read that `ferrofuse_mt_prepare` set up returned.
#[no_mangle]
pub unsafe extern "C" fn ferrofuse_mt_step(
    w: *mut c_void,
    res: libc::ssize_t,
    err: libc::c_int,
) -> libc::c_int {
    let wp = w as *mut Worker;
    guarded(|| {
        // SAFETY: the worker's own thread is the only user of its state.
        let w = unsafe { &mut *wp };
        let mt = w.mt();
        let se = mt.se;
        let n = match transport::read_outcome(se, res, err, w.buf.len()) {
            None => return 1,
            Some(Ok(n)) => n,
            Some(Err(RecvError::Interrupted)) => return 1,
            // A buffer sized before INIT raised max_write: the next
            // prepare grows it (the new size is stored before INIT's reply).
            Some(Err(RecvError::Errno(e)))
                if e == -libc::EINVAL && transport::outgrown(se, w.buf.len()) =>
            {
                return 1
            }
            Some(Err(RecvError::Exit)) => return end_loop(mt, 0),
            Some(Err(RecvError::Errno(e))) => return end_loop(mt, e),
        };
        // A burst of FORGETs must not start threads (as in libfuse).
        let forget = dispatch::is_forget(&w.buf[..n]);
        {
            let mut c = mt.counts.lock();
            if c.exit {
                return 0;
            }
            if !forget {
                c.numavail -= 1;
            }
            if c.numavail == 0 && c.numworker < mt.max_threads {
                start_worker(mt, &mut c);
            }
        }
        dispatch::process(se, &w.buf[..n], w.fd);
        let mut c = mt.counts.lock();
        if !forget {
            c.numavail += 1;
        }
        if mt.max_idle != -1 && i64::from(c.numavail) > mt.max_idle && c.numworker > 1 {
            if c.exit {
                return 0;
            }
            // A surplus idle worker leaves on its own: unlisted, detached.
            c.numavail -= 1;
            c.numworker -= 1;
            c.workers.retain(|s| s.1 != wp);
            let owns_fd = w.owns_fd();
            drop(c);
            // SAFETY: this thread, now unlisted: nobody joins or cancels it;
            // its state is freed here and worker.c touches it no more.
            unsafe {
                libc::pthread_detach(libc::pthread_self());
                Worker::free(wp, owns_fd);
            }
            return 0;
        }
        1
    })
}
