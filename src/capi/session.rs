//! Session lifecycle and loops: `fuse_session_new` (both ABIs),
//! `_destroy`, `_exit`/`_exited`/`_reset`/`_fd`, `_custom_io`, the loops and
//! `fuse_session_receive_buf`/`_process_buf`.

use super::opt::parse_args_with;
use super::types::*;
use crate::compat::{self, Abi};
use crate::loop_config::LoopConfig;
use crate::session::options::SessionOpts;
use crate::session::Session;
use libc::{c_char, c_int, c_void, size_t};
use std::ffi::CStr;
use std::mem::size_of;
use std::sync::atomic::Ordering;

// The older versions of the names alias the functions that implement them.
core::arch::global_asm!(
    ".symver fuse_session_loop_mt_31, fuse_session_loop_mt@FUSE_3.0",
    ".symver fuse_session_loop_mt_32, fuse_session_loop_mt@FUSE_3.2",
    ".symver fuse_session_loop_mt_312, fuse_session_loop_mt@@FUSE_3.12",
    ".symver fuse_session_custom_io_30, fuse_session_custom_io@FUSE_3.0",
    ".symver fuse_session_custom_io_317, fuse_session_custom_io@@FUSE_3.17",
);

/// The session behind `se`, or a log line and `$fail` for NULL.
macro_rules! session_or {
    ($se:expr, $name:literal) => {
        session_or!($se, $name, {})
    };
    ($se:expr, $name:literal, $fail:expr) => {
        // SAFETY: C passes NULL or a session made by fuse_session_new.
        match unsafe { Session::from_raw($se) } {
            Some(s) => s,
            None => {
                crate::log_err!(concat!("fuse: ", $name, "() called with a NULL session\n"));
                return $fail;
            }
        }
    };
}

/// fuse_session_new_versioned's work, for every entry point.
///
/// # Safety
/// `args` NULL or valid; `op` NULL or `op_size` readable bytes.
unsafe fn new_session(
    args: *mut fuse_args,
    op: *const fuse_lowlevel_ops,
    op_size: size_t,
    version: libfuse_version,
    userdata: *mut c_void,
) -> *mut fuse_session {
    if op.is_null() || op_size == 0 {
        crate::log_err!("fuse: warning: empty op list passed to fuse_session_new()\n");
        return std::ptr::null_mut();
    }
    let mut op_size = op_size;
    if size_of::<fuse_lowlevel_ops>() < op_size {
        crate::log_err!("fuse: warning: library too old, some operations may not work\n");
        op_size = size_of::<fuse_lowlevel_ops>();
    }
    // SAFETY: per the contract.
    if args.is_null() || unsafe { (*args).argc == 0 } {
        crate::log_err!("fuse: empty argv passed to fuse_session_new().\n");
        return std::ptr::null_mut();
    }
    let mut opts = SessionOpts::from_env();
    // SAFETY: args is valid.
    if unsafe { parse_args_with(args, |argv, out| opts.parse(argv, out)) } == -1 {
        return std::ptr::null_mut();
    }
    if opts.deny_others {
        // allow_root: the kernel lets everyone in and the session filters.
        // SAFETY: args is valid.
        if unsafe { super::opt::fuse_opt_add_arg(args, c"-oallow_other".as_ptr()) } == -1 {
            return std::ptr::null_mut();
        }
    }
    let mut mount_opts = None;
    // SAFETY: args is valid.
    let parsed = unsafe {
        parse_args_with(args, |argv, out| {
            let mut v = argv.to_vec();
            // parse_mount_opts has logged its error already.
            let mo = crate::mount::parse_mount_opts(&mut v)
                .map_err(|_| crate::opt::OptError::ProcFailed)?;
            for a in &v {
                crate::opt::ArgSink::push(out, a)?;
            }
            mount_opts = Some(mo);
            Ok(())
        })
    };
    if parsed == -1 {
        return std::ptr::null_mut();
    }
    // SAFETY: args is valid, with argc entries.
    let rest: Vec<String> = unsafe {
        let a = &*args;
        (0..a.argc as usize)
            .map(|i| {
                std::ffi::CStr::from_ptr(*a.argv.add(i))
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    };
    if rest.len() == 1 && rest[0].starts_with('-') {
        crate::log_err!("fuse: warning: argv[0] looks like an option, but will be ignored\n");
    } else if rest.len() != 1 {
        // One fuse_log call per piece, as libfuse makes them.
        crate::log_err!("fuse: unknown option(s): `");
        for a in &rest[1..rest.len() - 1] {
            crate::log_err!("{a} ");
        }
        crate::log_err!("{}'\n", rest[rest.len() - 1]);
        // SAFETY: args is valid; libfuse frees them on this path too.
        unsafe { super::opt::fuse_opt_free_args(args) };
        return std::ptr::null_mut();
    }
    if opts.debug {
        crate::log_debug!(
            "FUSE library version: {}\n",
            crate::opt::cmdline::PKG_VERSION
        );
    }
    let mut ops = fuse_lowlevel_ops::default();
    // SAFETY: op has op_size readable bytes, at most our struct's size; the
    // table is function pointers (or NULL) in the same order.
    unsafe {
        std::ptr::copy_nonoverlapping(
            op as *const u8,
            &mut ops as *mut fuse_lowlevel_ops as *mut u8,
            op_size,
        )
    };
    let abi = Abi::from_version(Some(&version));
    compat::set_process_abi(abi);
    let se = Session::new(abi, version, ops, userdata, opts);
    *se.mount_opts.lock() = mount_opts;
    se.into_raw()
}

/// `fuse_session_new@FUSE_3.0`: binaries built against libfuse up to 3.16.
///
/// # Safety
/// C contract of fuse_session_new.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_new(
    args: *mut fuse_args,
    op: *const fuse_lowlevel_ops,
    op_size: size_t,
    userdata: *mut c_void,
) -> *mut fuse_session {
    crate::ffi_guard!("fuse_session_new", std::ptr::null_mut(), {
        // Libraries that drive the session themselves pass no operations.
        let null_ops = fuse_lowlevel_ops::default();
        let (op, op_size) = if op.is_null() {
            (
                &null_ops as *const fuse_lowlevel_ops,
                size_of::<fuse_lowlevel_ops>(),
            )
        } else {
            (op, op_size)
        };
        // SAFETY: per the C contract; version {0} means "an old binary".
        unsafe { new_session(args, op, op_size, libfuse_version::default(), userdata) }
    })
}

/// The 3.17+ entry point, reached through the header's inline wrapper.
///
/// # Safety
/// C contract of fuse_session_new.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_new_versioned(
    args: *mut fuse_args,
    op: *const fuse_lowlevel_ops,
    op_size: size_t,
    version: *mut libfuse_version,
    userdata: *mut c_void,
) -> *mut fuse_session {
    crate::ffi_guard!("fuse_session_new_versioned", std::ptr::null_mut(), {
        if op.is_null() || op_size == 0 {
            crate::log_err!("fuse: warning: empty op list passed to fuse_session_new()\n");
            return std::ptr::null_mut();
        }
        // SAFETY: C passes NULL or its version struct.
        let Some(v) = (unsafe { version.as_ref() }) else {
            crate::log_err!("fuse: warning: version not passed to fuse_session_new()\n");
            return std::ptr::null_mut();
        };
        // SAFETY: per the C contract.
        unsafe { new_session(args, op, op_size, *v, userdata) }
    })
}

/// # Safety
/// `se` NULL or a session not yet destroyed; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_destroy(se: *mut fuse_session) {
    crate::ffi_guard!("fuse_session_destroy", (), {
        if se.is_null() {
            return;
        }
        // SAFETY: per the contract: the session is ours to end.
        let s = unsafe { Session::from_raw_owned(se) };
        if s.got_init.load(Ordering::SeqCst) && !s.got_destroy.load(Ordering::SeqCst) {
            if let Some(destroy) = s.ops.destroy {
                let _g = compat::CallbackAbi::enter(s.abi);
                // SAFETY: the filesystem's destroy with its userdata.
                unsafe { destroy(s.userdata) };
            }
        }
        crate::conn::forget_want_record(s.conn_ptr());
        if s.debug() {
            if let Some(line) = s.passthrough.summary() {
                crate::log_debug!("{line}");
            }
        }
        // Ring threads stop before the session goes; the buffers are
        // unmapped only after the device is closed.
        let pool = s.uring.lock().take();
        if let Some(p) = &pool {
            p.shutdown();
            if s.debug() {
                crate::log_debug!("{}", p.summary());
            }
        }
        let fd = s.fd.swap(-1, Ordering::SeqCst);
        if fd != -1 {
            // SAFETY: the session owns its device fd.
            unsafe { libc::close(fd) };
        }
        s.reqs.clear();
        drop(pool);
    })
}

/// # Safety
/// `se` a live session; `mountpoint` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_mount(
    se: *mut fuse_session,
    mountpoint: *const c_char,
) -> c_int {
    let s = session_or!(se, "fuse_session_mount", -1);
    if mountpoint.is_null() {
        crate::log_err!("Invalid null-ptr mountpoint!\n");
        return -1;
    }
    crate::ffi_guard!("fuse_session_mount", -1, {
        // SAFETY: a C string.
        let mp = unsafe { CStr::from_ptr(mountpoint) };
        let mo = s.mount_opts.lock();
        let Some(mo) = mo.as_ref() else {
            return -1;
        };
        match crate::mount::mount(mp, mo) {
            Ok(m) => {
                s.fd.store(m.fd, Ordering::SeqCst);
                *s.mountpoint.lock() = Some(mp.to_owned());
                *s.auto_unmount.lock() = m.auto_unmount;
                0
            }
            Err(_) => -1,
        }
    })
}

/// # Safety
/// `se` a live session.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_unmount(se: *mut fuse_session) {
    let s = session_or!(se, "fuse_session_unmount");
    crate::ffi_guard!("fuse_session_unmount", (), {
        if let Some(mp) = s.mountpoint.lock().take() {
            let fd = s.fd.swap(-1, Ordering::SeqCst);
            crate::mount::unmount(&mp, fd);
        }
    })
}

/// `fuse_open_channel` (mount.fuse3): mounts with a `-o` string, returns
/// the device fd or -1.
///
/// # Safety
/// C strings.
#[no_mangle]
pub unsafe extern "C" fn fuse_open_channel(
    mountpoint: *const c_char,
    options: *const c_char,
) -> c_int {
    crate::ffi_guard!("fuse_open_channel", -1, {
        // SAFETY: NULL or C strings.
        let (mp, o) = unsafe {
            (
                (!mountpoint.is_null()).then(|| CStr::from_ptr(mountpoint)),
                (!options.is_null()).then(|| CStr::from_ptr(options)),
            )
        };
        crate::mount::open_channel(mp, o)
    })
}

/// # Safety
/// `se` NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_exit(se: *mut fuse_session) {
    let s = session_or!(se, "fuse_session_exit");
    s.exit();
}

/// # Safety
/// `se` NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_exited(se: *mut fuse_session) -> c_int {
    let s = session_or!(se, "fuse_session_exited", 1);
    s.exited() as c_int
}

/// # Safety
/// `se` NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_reset(se: *mut fuse_session) {
    let s = session_or!(se, "fuse_session_reset");
    s.reset();
}

/// # Safety
/// `se` NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_fd(se: *mut fuse_session) -> c_int {
    let s = session_or!(se, "fuse_session_fd", -1);
    s.fd.load(Ordering::SeqCst)
}

/// # Safety
/// `se` NULL or a live session, mounted.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_loop(se: *mut fuse_session) -> c_int {
    let s = session_or!(se, "fuse_session_loop", -libc::EINVAL);
    crate::ffi_guard!("fuse_session_loop", -libc::EIO, crate::loops::single(s))
}

/// # Safety
/// `se` a live session; `config` NULL or made by fuse_loop_cfg_create.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_loop_mt_312(
    se: *mut fuse_session,
    config: *mut fuse_loop_config,
) -> c_int {
    let s = session_or!(se, "fuse_session_loop_mt", -libc::EINVAL);
    crate::ffi_guard!("fuse_session_loop_mt", -libc::EIO, {
        // SAFETY: config is NULL or a LoopConfig (fuse_loop_cfg_create).
        let cfg = match unsafe { (config as *const LoopConfig).as_ref() } {
            None => LoopConfig::default(),
            Some(c) => {
                if let Err(err) = c.verify() {
                    return err;
                }
                *c
            }
        };
        crate::loops::multi(s, &cfg)
    })
}

/// # Safety
/// `se` a live session; `config` NULL or a `struct fuse_loop_config_v1`.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_loop_mt_32(
    se: *mut fuse_session,
    config: *mut fuse_loop_config_v1,
) -> c_int {
    let s = session_or!(se, "fuse_session_loop_mt", -libc::EINVAL);
    crate::ffi_guard!("fuse_session_loop_mt", -libc::EIO, {
        let mut cfg = LoopConfig::default();
        // SAFETY: config is NULL or the caller's v1 struct.
        if let Some(v1) = unsafe { config.as_ref() } {
            cfg.apply_v1(v1.clone_fd, v1.max_idle_threads);
        }
        crate::loops::multi(s, &cfg)
    })
}

/// # Safety
/// `se` a live session.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_loop_mt_31(se: *mut fuse_session, clone_fd: c_int) -> c_int {
    let s = session_or!(se, "fuse_session_loop_mt", -libc::EINVAL);
    crate::ffi_guard!("fuse_session_loop_mt", -libc::EIO, {
        let mut cfg = LoopConfig::default();
        if clone_fd > 0 {
            cfg.clone_fd = clone_fd as _;
        }
        crate::loops::multi(s, &cfg)
    })
}

/// # Safety
/// `se` a live session; `io` NULL or `op_size` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_custom_io_317(
    se: *mut fuse_session,
    io: *const fuse_custom_io,
    op_size: size_t,
    fd: c_int,
) -> c_int {
    let s = session_or!(se, "fuse_session_custom_io", -libc::EINVAL);
    let mut op_size = op_size;
    if size_of::<fuse_custom_io>() < op_size {
        crate::log_err!("fuse: warning: library too old, some operations may not work\n");
        op_size = size_of::<fuse_custom_io>();
    }
    if fd < 0 {
        crate::log_err!("Invalid file descriptor value {fd} passed to fuse_session_custom_io()\n");
        return -libc::EBADF;
    }
    if io.is_null() {
        crate::log_err!("No custom IO passed to fuse_session_custom_io()\n");
        return -libc::EINVAL;
    }
    let mut copy = fuse_custom_io::default();
    // SAFETY: io has op_size readable bytes, at most our struct's size.
    unsafe {
        std::ptr::copy_nonoverlapping(
            io as *const u8,
            &mut copy as *mut fuse_custom_io as *mut u8,
            op_size,
        )
    };
    if copy.read.is_none() || copy.writev.is_none() {
        crate::log_err!(
            "io passed to fuse_session_custom_io() must implement both io->read() and io->writev\n"
        );
        return -libc::EINVAL;
    }
    *s.io.lock() = Some(copy);
    s.fd.store(fd, Ordering::SeqCst);
    0
}

/// # Safety
/// As [`fuse_session_custom_io_317`], with the 3.14 struct (no clone_fd).
#[no_mangle]
pub unsafe extern "C" fn fuse_session_custom_io_30(
    se: *mut fuse_session,
    io: *const fuse_custom_io,
    fd: c_int,
) -> c_int {
    let size = std::mem::offset_of!(fuse_custom_io, clone_fd);
    // SAFETY: per the contract.
    unsafe { fuse_session_custom_io_317(se, io, size, fd) }
}

/// Reads one request into the caller's buffer (allocating `mem` with
/// malloc when NULL, as libfuse does for external callers; a legacy
/// caller's `fuse_buf` is 40 bytes, so `mem_size` is written only for 3.17+).
///
/// # Safety
/// `se` a live session; `buf` a `fuse_buf` of the session's flavour.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_receive_buf(
    se: *mut fuse_session,
    buf: *mut fuse_buf,
) -> c_int {
    let s = session_or!(se, "fuse_session_receive_buf", -libc::EINVAL);
    if buf.is_null() {
        return -libc::EINVAL;
    }
    crate::ffi_guard!("fuse_session_receive_buf", -libc::EIO, {
        let fd = s.fd.load(Ordering::SeqCst);
        let bufsize = s.bufsize.load(Ordering::SeqCst);
        // SAFETY: buf points to the caller's struct; its first 40 bytes are
        // common to both layouts.
        let b = unsafe { &mut *buf };
        if b.mem.is_null() {
            // SAFETY: plain allocation, freed by the caller with free().
            b.mem = unsafe { libc::malloc(bufsize) };
            if b.mem.is_null() {
                crate::log_err!("fuse: failed to allocate read buffer\n");
                return -libc::ENOMEM;
            }
            if s.abi == Abi::V3_17 {
                b.mem_size = bufsize;
            }
        }
        // SAFETY: mem holds at least bufsize bytes (ours, or the caller's
        // buffer, which libfuse also assumes to be bufsize large).
        let mem = unsafe { std::slice::from_raw_parts_mut(b.mem as *mut u8, bufsize) };
        match crate::transport::receive_into(s, fd, mem) {
            Ok(n) => {
                b.size = n;
                b.flags = 0;
                n as c_int
            }
            Err(crate::transport::RecvError::Exit) => 0,
            Err(crate::transport::RecvError::Interrupted) => -libc::EINTR,
            Err(crate::transport::RecvError::Errno(e)) => e,
        }
    })
}

/// # Safety
/// `se` a live session; `buf` a `fuse_buf` holding one request in memory.
#[no_mangle]
pub unsafe extern "C" fn fuse_session_process_buf(se: *mut fuse_session, buf: *const fuse_buf) {
    let s = session_or!(se, "fuse_session_process_buf");
    crate::ffi_guard!("fuse_session_process_buf", (), {
        // SAFETY: C passes its buffer; the first 40 bytes are common.
        let Some(b) = (unsafe { buf.as_ref() }) else {
            return;
        };
        if b.flags & FUSE_BUF_IS_FD != 0 || b.mem.is_null() {
            crate::log_err!("fuse: fuse_session_process_buf() needs a memory buffer\n");
            return;
        }
        // SAFETY: the caller's buffer holds `size` bytes of one request.
        let bytes = unsafe { std::slice::from_raw_parts(b.mem as *const u8, b.size) };
        crate::session::dispatch::process(s, bytes, s.fd.load(Ordering::SeqCst));
    })
}
