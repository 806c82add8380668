//! The session loops. They only pump requests from the transport into
//! the dispatcher; the filesystem's callbacks run on the loop's threads.
//!
//! - [`single`]: one thread; callbacks strictly one at a time.
//! - [`multi`]: libfuse's worker pool: a worker that takes a request while
//!   no other is idle starts another (up to `max_threads`); workers above
//!   `max_idle_threads` idle ones exit; `clone_fd` gives each worker its own
//!   device fd. Idle workers wait in poll(2) beside an eventfd, so the loop
//!   can stop them when the session exits (libfuse cancels its threads).

use crate::loop_config::LoopConfig;
use crate::session::{dispatch, Session};
use crate::transport::uring::LoopKind;
use crate::transport::{self, EventFd, RecvError};
use parking_lot::Mutex;
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

/// Waits until `fd` is readable or `wake` fires; false on a signal.
fn wait_readable(fd: RawFd, wake: &EventFd) -> bool {
    let mut fds = [
        libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: wake.0,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    // SAFETY: polls two pollfds we own.
    unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) >= 0 }
}

struct Counts {
    numworker: u32,
    numavail: u32,
    /// The loop is stopping: workers leave.
    exit: bool,
    /// The first error a worker met (-errno).
    error: i32,
}

struct Mt<'a> {
    se: &'a Session,
    master: RawFd,
    clone_fd: bool,
    max_threads: u32,
    max_idle: i64,
    counts: Mutex<Counts>,
    /// Main → workers: the loop is over.
    wake: EventFd,
    /// Workers → main: a worker ended the loop.
    finished: EventFd,
}

/// `fuse_session_loop_mt` with a (verified) configuration.
pub fn multi(se: &Session, cfg: &LoopConfig) -> i32 {
    let master = se.fd.load(std::sync::atomic::Ordering::SeqCst);
    let (Ok(wake), Ok(finished)) = (EventFd::new(), EventFd::new()) else {
        return -libc::ENOMEM;
    };
    let mt = Mt {
        se,
        master,
        clone_fd: cfg.clone_fd != 0,
        max_threads: cfg.max_threads.max(1),
        max_idle: i64::from(cfg.max_idle_threads),
        counts: Mutex::new(Counts {
            numworker: 0,
            numavail: 0,
            exit: false,
            error: 0,
        }),
        wake,
        finished,
    };
    *se.uring_loop.lock() = Some(LoopKind::Multi {
        max_threads: mt.max_threads,
        notify: mt.finished.0,
    });
    // Workers read without blocking and wait in poll, where the loop can
    // wake them; the fd goes back to blocking afterwards.
    let was_blocking = transport::set_nonblocking(master, true);
    let err = std::thread::scope(|s| {
        if !start_worker(&mt, s) {
            return -libc::EIO;
        }
        while !se.exited() {
            let mut pfd = libc::pollfd {
                fd: mt.finished.0,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: polls one pollfd we own; a signal interrupts it.
            unsafe { libc::poll(&mut pfd, 1, -1) };
            mt.finished.drain();
            if mt.counts.lock().numworker == 0 {
                break;
            }
        }
        if se.debug() {
            crate::log_debug!("fuse: session exited, terminating workers\n");
        }
        mt.counts.lock().exit = true;
        mt.wake.signal();
        0
    });
    // Ring threads end with the session; join them before it can go away.
    if let Some(pool) = se.uring_pool() {
        pool.shutdown();
    }
    *se.uring_loop.lock() = None;
    if was_blocking {
        transport::set_nonblocking(master, false);
    }
    let error = se.error.load(std::sync::atomic::Ordering::SeqCst);
    if error != 0 {
        error
    } else if err != 0 {
        err
    } else {
        mt.counts.lock().error
    }
}

fn start_worker<'s, 'a: 's>(mt: &'s Mt<'a>, s: &'s std::thread::Scope<'s, '_>) -> bool {
    let fd = if mt.clone_fd {
        match transport::clone_fd(mt.master) {
            Some(fd) => {
                transport::set_nonblocking(fd, true);
                fd
            }
            None => mt.master,
        }
    } else {
        mt.master
    };
    {
        let mut c = mt.counts.lock();
        c.numworker += 1;
        c.numavail += 1;
    }
    let started = std::thread::Builder::new()
        .name("fuse_worker".into())
        .spawn_scoped(s, move || worker(mt, s, fd));
    if let Err(e) = started {
        crate::log_err!("fuse: error creating thread: {e}\n");
        let mut c = mt.counts.lock();
        c.numworker -= 1;
        c.numavail -= 1;
        return false;
    }
    true
}

fn worker<'s, 'a: 's>(mt: &'s Mt<'a>, s: &'s std::thread::Scope<'s, '_>, fd: RawFd) {
    let se = mt.se;
    let mut buf = transport::RecvBuf::default();
    let idle_exit = loop {
        if se.exited() || mt.counts.lock().exit {
            break false;
        }
        let n = match transport::receive(se, fd, &mut buf) {
            Ok(n) => n,
            Err(RecvError::Errno(e)) if e == -libc::EAGAIN => {
                wait_readable(fd, &mt.wake);
                continue;
            }
            Err(RecvError::Interrupted) => continue,
            Err(RecvError::Exit) => break false,
            Err(RecvError::Errno(e)) => {
                se.exit();
                mt.counts.lock().error = e;
                break false;
            }
        };
        // A burst of FORGETs must not start threads (as in libfuse).
        let forget = dispatch::is_forget(&buf[..n]);
        {
            let mut c = mt.counts.lock();
            if c.exit {
                break false;
            }
            if !forget {
                c.numavail -= 1;
            }
            let spawn = c.numavail == 0 && c.numworker < mt.max_threads;
            drop(c);
            if spawn {
                start_worker(mt, s);
            }
        }
        dispatch::process(se, &buf[..n], fd);
        let mut c = mt.counts.lock();
        if !forget {
            c.numavail += 1;
        }
        if mt.max_idle != -1 && i64::from(c.numavail) > mt.max_idle && c.numworker > 1 {
            c.numavail -= 1;
            c.numworker -= 1;
            break true;
        }
    };
    if !idle_exit {
        let mut c = mt.counts.lock();
        c.numworker -= 1;
        c.numavail -= 1;
    }
    if fd != mt.master {
        // SAFETY: a cloned fd this worker owns.
        unsafe { libc::close(fd) };
    }
    if !idle_exit {
        mt.finished.signal();
    }
}
