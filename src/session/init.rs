//! FUSE_INIT: what the kernel offers becomes `capable`, libfuse's defaults
//! become `want`, the filesystem's `init` adjusts them, and the reply tells
//! the kernel what we use. Follows libfuse 3.18's negotiation, including
//! its checks, limits and `-d` output.

use super::request::Req;
use super::{reply, Session, BUFFER_HEADER_SIZE};
use crate::compat::CallbackAbi;
use crate::conn::{self, *};
use crate::kernel::*;
use std::sync::atomic::Ordering;

/// The protocol version we speak.
pub const KERNEL_VERSION: u32 = 7;
pub const KERNEL_MINOR_VERSION: u32 = 45;

/// FUSE_DEFAULT_MAX_PAGES_PER_REQ: the kernel's limit without FUSE_MAX_PAGES.
const DEFAULT_MAX_PAGES_PER_REQ: usize = 32;

/// Kernel INIT flags and the capability each one offers.
const KERNEL_CAPS: &[(u64, u64)] = &[
    (FUSE_ASYNC_READ, FUSE_CAP_ASYNC_READ),
    (FUSE_POSIX_LOCKS, FUSE_CAP_POSIX_LOCKS),
    (FUSE_ATOMIC_O_TRUNC, FUSE_CAP_ATOMIC_O_TRUNC),
    (FUSE_EXPORT_SUPPORT, FUSE_CAP_EXPORT_SUPPORT),
    (FUSE_DONT_MASK, FUSE_CAP_DONT_MASK),
    (FUSE_FLOCK_LOCKS, FUSE_CAP_FLOCK_LOCKS),
    (FUSE_AUTO_INVAL_DATA, FUSE_CAP_AUTO_INVAL_DATA),
    (FUSE_DO_READDIRPLUS, FUSE_CAP_READDIRPLUS),
    (FUSE_READDIRPLUS_AUTO, FUSE_CAP_READDIRPLUS_AUTO),
    (FUSE_ASYNC_DIO, FUSE_CAP_ASYNC_DIO),
    (FUSE_WRITEBACK_CACHE, FUSE_CAP_WRITEBACK_CACHE),
    (FUSE_NO_OPEN_SUPPORT, FUSE_CAP_NO_OPEN_SUPPORT),
    (FUSE_PARALLEL_DIROPS, FUSE_CAP_PARALLEL_DIROPS),
    (FUSE_POSIX_ACL, FUSE_CAP_POSIX_ACL),
    (FUSE_HANDLE_KILLPRIV, FUSE_CAP_HANDLE_KILLPRIV),
    (FUSE_HANDLE_KILLPRIV_V2, FUSE_CAP_HANDLE_KILLPRIV_V2),
    (FUSE_CACHE_SYMLINKS, FUSE_CAP_CACHE_SYMLINKS),
    (FUSE_NO_OPENDIR_SUPPORT, FUSE_CAP_NO_OPENDIR_SUPPORT),
    (FUSE_EXPLICIT_INVAL_DATA, FUSE_CAP_EXPLICIT_INVAL_DATA),
    (FUSE_SETXATTR_EXT, FUSE_CAP_SETXATTR_EXT),
    (FUSE_DIRECT_IO_ALLOW_MMAP, FUSE_CAP_DIRECT_IO_ALLOW_MMAP),
    (FUSE_PASSTHROUGH, FUSE_CAP_PASSTHROUGH),
    (FUSE_NO_EXPORT_SUPPORT, FUSE_CAP_NO_EXPORT_SUPPORT),
    (FUSE_OVER_IO_URING, FUSE_CAP_OVER_IO_URING),
];

/// Capabilities wanted and the INIT flag that says so in the reply (the
/// same pairs, minus what is only ever offered).
const WANT_FLAGS: &[(u64, u64)] = &[
    (FUSE_CAP_ASYNC_READ, FUSE_ASYNC_READ),
    (FUSE_CAP_POSIX_LOCKS, FUSE_POSIX_LOCKS),
    (FUSE_CAP_ATOMIC_O_TRUNC, FUSE_ATOMIC_O_TRUNC),
    (FUSE_CAP_EXPORT_SUPPORT, FUSE_EXPORT_SUPPORT),
    (FUSE_CAP_DONT_MASK, FUSE_DONT_MASK),
    (FUSE_CAP_FLOCK_LOCKS, FUSE_FLOCK_LOCKS),
    (FUSE_CAP_AUTO_INVAL_DATA, FUSE_AUTO_INVAL_DATA),
    (FUSE_CAP_READDIRPLUS, FUSE_DO_READDIRPLUS),
    (FUSE_CAP_READDIRPLUS_AUTO, FUSE_READDIRPLUS_AUTO),
    (FUSE_CAP_ASYNC_DIO, FUSE_ASYNC_DIO),
    (FUSE_CAP_WRITEBACK_CACHE, FUSE_WRITEBACK_CACHE),
    (FUSE_CAP_PARALLEL_DIROPS, FUSE_PARALLEL_DIROPS),
    (FUSE_CAP_POSIX_ACL, FUSE_POSIX_ACL),
    (FUSE_CAP_HANDLE_KILLPRIV, FUSE_HANDLE_KILLPRIV),
    (FUSE_CAP_HANDLE_KILLPRIV_V2, FUSE_HANDLE_KILLPRIV_V2),
    (FUSE_CAP_CACHE_SYMLINKS, FUSE_CACHE_SYMLINKS),
    (FUSE_CAP_EXPLICIT_INVAL_DATA, FUSE_EXPLICIT_INVAL_DATA),
    (FUSE_CAP_SETXATTR_EXT, FUSE_SETXATTR_EXT),
    (FUSE_CAP_DIRECT_IO_ALLOW_MMAP, FUSE_DIRECT_IO_ALLOW_MMAP),
    (FUSE_CAP_NO_EXPORT_SUPPORT, FUSE_NO_EXPORT_SUPPORT),
];

fn fail(se: &Session, req: &Req, err: i32) {
    reply::send_reply(req, -err, &[]);
    se.error.store(-err, Ordering::SeqCst);
    se.exit();
}

/// Answers FUSE_INIT. `max_read` is the mount's max_read option (0 if none).
pub fn do_init(se: &Session, req: &Req, arg: &fuse_init_in, max_read: u32) {
    let debug = se.debug();
    if debug {
        crate::log_debug!("INIT: {}.{}\n", arg.major, arg.minor);
        if arg.major == 7 && arg.minor >= 6 {
            crate::log_debug!("flags=0x{:08x}\n", arg.flags);
            crate::log_debug!("max_readahead=0x{:08x}\n", arg.max_readahead);
        }
    }
    let conn_ptr = se.conn_ptr();
    let conn = se.start_init(arg.major, arg.minor);

    let mut outarg = fuse_init_out {
        major: KERNEL_VERSION,
        minor: KERNEL_MINOR_VERSION,
        ..Default::default()
    };
    if arg.major < 7 {
        crate::log_err!(
            "fuse: unsupported protocol version: {}.{}\n",
            arg.major,
            arg.minor
        );
        reply::send_reply(req, -libc::EPROTO, &[]);
        return;
    }
    if arg.major > 7 {
        // The kernel sends a second INIT with a 7.x version.
        reply::send_reply(req, 0, &[outarg.as_bytes()]);
        return;
    }

    let mut bufsize = se.bufsize.load(Ordering::SeqCst);
    // Our buffers are ours to grow, as libfuse's internal ones.
    let mut buf_reallocable = true;
    let mut inargflags: u64 = 0;
    if arg.minor >= 6 {
        if arg.max_readahead < conn.max_readahead {
            conn.max_readahead = arg.max_readahead;
        }
        inargflags = u64::from(arg.flags);
        if inargflags & FUSE_INIT_EXT != 0 {
            inargflags |= u64::from(arg.flags2) << 32;
        }
        for &(kflag, cap) in KERNEL_CAPS {
            if inargflags & kflag != 0 {
                conn.capable_ext |= cap;
            }
        }
        if inargflags & FUSE_MAX_PAGES == 0 {
            let max = DEFAULT_MAX_PAGES_PER_REQ * super::page_size() + BUFFER_HEADER_SIZE;
            bufsize = bufsize.min(max);
            buf_reallocable = false;
        }
        if arg.minor >= 38 || inargflags & FUSE_HAS_EXPIRE_ONLY != 0 {
            conn.capable_ext |= FUSE_CAP_EXPIRE_ONLY;
        }
    } else {
        conn.max_readahead = 0;
    }
    if conn.proto_minor >= 14 {
        let io = *se.io.lock();
        if io.is_none_or(|io| io.splice_send.is_some()) {
            conn.capable_ext |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
        }
        if io.is_none_or(|io| io.splice_receive.is_some()) {
            conn.capable_ext |= FUSE_CAP_SPLICE_READ;
        }
    }
    if conn.proto_minor >= 18 {
        conn.capable_ext |= FUSE_CAP_IOCTL_DIR;
    }

    // libfuse's defaults for modern filesystems, where the kernel offers them.
    let ops = &se.ops;
    for (cond, cap) in [
        (true, FUSE_CAP_ASYNC_READ),
        (true, FUSE_CAP_AUTO_INVAL_DATA),
        (true, FUSE_CAP_ASYNC_DIO),
        (true, FUSE_CAP_IOCTL_DIR),
        (true, FUSE_CAP_ATOMIC_O_TRUNC),
        (ops.write_buf.is_some(), FUSE_CAP_SPLICE_READ),
        (
            ops.getlk.is_some() && ops.setlk.is_some(),
            FUSE_CAP_POSIX_LOCKS,
        ),
        (ops.flock.is_some(), FUSE_CAP_FLOCK_LOCKS),
        (ops.readdirplus.is_some(), FUSE_CAP_READDIRPLUS),
        (
            ops.readdirplus.is_some() && ops.readdir.is_some(),
            FUSE_CAP_READDIRPLUS_AUTO,
        ),
        (true, FUSE_CAP_OVER_IO_URING),
    ] {
        if cond {
            conn::set_feature_flag(conn, cap);
        }
    }
    conn.time_gran = 1;

    if let Some(init) = ops.init {
        conn.capable = conn.capable_ext as u32;
        {
            let _abi = CallbackAbi::enter(se.abi);
            // SAFETY: the filesystem's init with its userdata and our conn,
            // which stays at this address for the session's life.
            unsafe { init(se.userdata, conn_ptr) };
        }
        // SAFETY: as above; init has returned.
        let conn = unsafe { &mut *conn_ptr };
        // `want` is how older filesystems speak; carry it into want_ext.
        let _ = conn::convert_to_conn_want_ext(conn);
        // A 3.14 filesystem cannot know bit 31 (FUSE_CAP_OVER_IO_URING came
        // with 3.18) and may assign `want` wholesale; the transport is ours
        // to choose for it, so the bit goes back where the kernel offers it.
        if se.abi == crate::compat::Abi::V3_14 && conn.capable_ext & FUSE_CAP_OVER_IO_URING != 0 {
            conn.want_ext |= FUSE_CAP_OVER_IO_URING;
        }
    }
    // SAFETY: as above.
    let conn = unsafe { &mut *conn_ptr };
    take_killpriv(se, conn, debug);
    if se.opts.passthrough_auto {
        start_auto_passthrough(se, conn, debug);
    }

    let unknown = conn.want_ext & !conn.capable_ext;
    if unknown != 0 {
        crate::log_err!("fuse: unknown connection 'want' flags: 0x{:08x}\n", unknown);
        fail(se, req, libc::EPROTO);
        return;
    }
    if conn.max_read != max_read {
        crate::log_err!(
            "fuse: error: init() and fuse_session_new() requested different maximum read size ({} vs {})\n",
            conn.max_read,
            max_read
        );
        fail(se, req, libc::EPROTO);
        return;
    }
    if bufsize < FUSE_MIN_READ_BUFFER {
        crate::log_err!("fuse: warning: buffer size too small: {}\n", bufsize);
        bufsize = FUSE_MIN_READ_BUFFER;
    }
    if buf_reallocable {
        bufsize = u32::MAX as usize;
    }
    conn.max_write = conn.max_write.min((bufsize - BUFFER_HEADER_SIZE) as u32);
    se.bufsize.store(
        conn.max_write as usize + BUFFER_HEADER_SIZE,
        Ordering::SeqCst,
    );

    let mut outargflags: u64 = 0;
    outarg.max_write = conn.max_write;
    let mut capped = None;
    if u64::from(arg.flags) & FUSE_MAX_PAGES != 0 {
        outargflags |= FUSE_MAX_PAGES;
        let page = super::page_size() as u32;
        // The kernel caps max_pages at its limit, and every request at
        // max_pages, so more max_write than that only makes it ask for
        // ring payloads bigger than any request (4 MiB where 1 MiB
        // requests come, for passthrough_hp's max_write). The filesystem
        // keeps the max_write it set.
        let limit = kernel_max_pages().saturating_mul(page);
        if outarg.max_write > limit {
            capped = Some(outarg.max_write);
            outarg.max_write = limit;
        }
        outarg.max_pages = ((outarg.max_write - 1) / page + 1) as u16;
    }
    // Superseded by max_write, so always on.
    outargflags |= FUSE_BIG_WRITES;
    for &(cap, kflag) in WANT_FLAGS {
        if conn.want_ext & cap != 0 {
            outargflags |= kflag;
        }
    }
    if conn.want_ext & FUSE_CAP_PASSTHROUGH != 0 {
        outargflags |= FUSE_PASSTHROUGH;
        // The kernel counts the FUSE layer itself too.
        outarg.max_stack_depth = conn.max_backing_stack_depth + 1;
    }
    let uring = if conn.want_ext & FUSE_CAP_OVER_IO_URING != 0 {
        start_uring(se, &outarg, outargflags)
    } else {
        None
    };
    if uring.is_some() {
        outargflags |= FUSE_OVER_IO_URING;
    }
    if inargflags & FUSE_REQUEST_TIMEOUT != 0 && conn.request_timeout != 0 {
        outargflags |= FUSE_REQUEST_TIMEOUT;
        outarg.request_timeout = conn.request_timeout;
    }
    outarg.max_readahead = conn.max_readahead;
    if conn.proto_minor >= 13 {
        if conn.max_background >= 1 << 16 {
            conn.max_background = (1 << 16) - 1;
        }
        if conn.congestion_threshold > conn.max_background {
            conn.congestion_threshold = conn.max_background;
        }
        if conn.congestion_threshold == 0 {
            conn.congestion_threshold = conn.max_background * 3 / 4;
        }
        outarg.max_background = conn.max_background as u16;
        outarg.congestion_threshold = conn.congestion_threshold as u16;
    }
    if conn.proto_minor >= 23 {
        outarg.time_gran = conn.time_gran;
    }
    if se.killpriv.held() {
        // Ours, not the filesystem's: its want_ext stays as it set it.
        outargflags |= FUSE_HANDLE_KILLPRIV_V2;
    }
    if inargflags & FUSE_INIT_EXT != 0 {
        outargflags |= FUSE_INIT_EXT;
        outarg.flags2 = (outargflags >> 32) as u32;
    }
    outarg.flags = outargflags as u32;
    if debug {
        crate::log_debug!("   INIT: {}.{}\n", outarg.major, outarg.minor);
        crate::log_debug!("   flags=0x{:08x}\n", outarg.flags);
        crate::log_debug!("   max_readahead=0x{:08x}\n", outarg.max_readahead);
        crate::log_debug!("   max_write=0x{:08x}\n", outarg.max_write);
        if let Some(w) = capped {
            crate::log_debug!("   (the filesystem's max_write 0x{w:08x}, capped at the kernel's max_pages_limit)\n");
        }
        crate::log_debug!("   max_background={}\n", outarg.max_background);
        crate::log_debug!("   congestion_threshold={}\n", outarg.congestion_threshold);
        crate::log_debug!("   time_gran={}\n", outarg.time_gran);
        if conn.want_ext & FUSE_CAP_PASSTHROUGH != 0 {
            crate::log_debug!("   max_stack_depth={}\n", outarg.max_stack_depth);
        }
    }
    let size = if arg.minor < 5 {
        FUSE_COMPAT_INIT_OUT_SIZE
    } else if arg.minor < 23 {
        FUSE_COMPAT_22_INIT_OUT_SIZE
    } else {
        std::mem::size_of::<fuse_init_out>()
    };
    // Set before the reply: the next requests may arrive at once.
    se.got_init.store(true, Ordering::SeqCst);
    if let Some(pool) = &uring {
        *se.uring.lock() = Some(pool.clone());
    }
    let res = reply::send_reply(req, 0, &[&outarg.as_bytes()[..size]]);
    if let Some(pool) = uring {
        if res == 0 {
            pool.start();
        } else {
            *se.uring.lock() = None;
            pool.abort();
        }
    }
}

/// The most pages the kernel puts in a request (`fs.fuse.max_pages_limit`,
/// before Linux 6.12 a fixed 256).
fn kernel_max_pages() -> u32 {
    std::fs::read_to_string("/proc/sys/fs/fuse/max_pages_limit")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|&n: &u32| (1..=u32::from(u16::MAX)).contains(&n))
        .unwrap_or(256)
}

/// Takes the kill-suid/sgid duty (killpriv.rs) for a filesystem that asks
/// for neither KILLPRIV flag, when the kernel offers FUSE_HANDLE_KILLPRIV_V2:
/// the kernel then stops asking GETXATTR(security.capability) before every
/// write.
fn take_killpriv(se: &Session, conn: &super::fuse_conn_info, debug: bool) {
    let fs_kills = FUSE_CAP_HANDLE_KILLPRIV | FUSE_CAP_HANDLE_KILLPRIV_V2;
    if se.opts.killpriv
        && conn.capable_ext & FUSE_CAP_HANDLE_KILLPRIV_V2 != 0
        && conn.want_ext & fs_kills == 0
    {
        se.killpriv.start();
        if debug {
            crate::log_debug!(
                "fuse: the library clears setuid/setgid for the filesystem (FUSE_HANDLE_KILLPRIV_V2)\n"
            );
        }
    }
}

/// passthrough=auto: asks the kernel for passthrough on the filesystem's
/// behalf. (A filesystem may want FUSE_CAP_PASSTHROUGH and never use it, as
/// passthrough_hp --nopassthrough; auto steps aside once it registers a
/// backing file itself.)
fn start_auto_passthrough(se: &Session, conn: &mut super::fuse_conn_info, debug: bool) {
    if conn.capable_ext & FUSE_CAP_PASSTHROUGH == 0 {
        crate::log_info!("fuse: passthrough=auto: the kernel offers no passthrough; off\n");
        return;
    }
    conn.want_ext |= FUSE_CAP_PASSTHROUGH;
    if conn.want_ext & FUSE_CAP_WRITEBACK_CACHE != 0 {
        // The kernel ignores passthrough beside writeback cache; the user
        // asked for passthrough.
        conn.want_ext &= !FUSE_CAP_WRITEBACK_CACHE;
        if debug {
            crate::log_debug!("fuse: passthrough=auto: writeback cache turned off\n");
        }
    }
    conn.want = conn.want_ext as u32;
    se.passthrough.start();
}

/// Builds the rings for io-uring, when the kernel offers it, the session
/// wants it and one of our loops runs the session. None means /dev/fuse.
fn start_uring(
    se: &Session,
    outarg: &fuse_init_out,
    outargflags: u64,
) -> Option<std::sync::Arc<crate::transport::uring::Pool>> {
    let debug = se.debug();
    if !se.opts.uring_enable {
        if debug {
            crate::log_debug!("fuse: io-uring: off (-o no_io_uring or FUSE_URING_ENABLE=0)\n");
        }
        return None;
    }
    let kind = *se.uring_loop.lock();
    let Some(kind) = kind else {
        if debug {
            crate::log_debug!("fuse: io-uring: not used by a custom session loop\n");
        }
        return None;
    };
    if se.io.lock().is_some() {
        if debug {
            crate::log_debug!("fuse: io-uring: not used with custom I/O functions\n");
        }
        return None;
    }
    // What the kernel requires of each payload buffer (fuse_uring_create).
    let page = super::page_size();
    let pages = if outargflags & FUSE_MAX_PAGES != 0 {
        usize::from(outarg.max_pages)
    } else {
        DEFAULT_MAX_PAGES_PER_REQ
    };
    let payload = (outarg.max_write as usize)
        .max(pages * page)
        .max(FUSE_MIN_READ_BUFFER);
    match crate::transport::uring::Pool::prepare(se, kind, payload) {
        Ok(pool) => Some(pool),
        Err(e) => {
            crate::log_info!(
                "fuse: failed to start io-uring: {}\n",
                crate::log::strerror(e)
            );
            None
        }
    }
}
