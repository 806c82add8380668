//! CUSE, character devices in userspace (cuse_lowlevel.h): a low-level
//! session on `/dev/cuse` instead of a mount. The session itself, the
//! CUSE_INIT answer and the operation adapters live in `session::cuse`;
//! this is the C edge: argument checks, the command line, the device, the
//! loop.

use super::helper::{
    fuse_daemonize, fuse_parse_cmdline_312, fuse_remove_signal_handlers, fuse_set_signal_handlers,
};
use super::loop_cfg::{fuse_loop_cfg_create, fuse_loop_cfg_destroy};
use super::opt::{fuse_opt_free_args, fuse_opt_parse};
use super::session::{
    fuse_session_destroy, fuse_session_loop, fuse_session_loop_mt_312, fuse_session_new_versioned,
};
use super::types::*;
use crate::kernel::CUSE_INIT_INFO_MAX;
use crate::session::cuse::{self, CuseData, DevInfoTooLarge};
use crate::session::Session;
use libc::{c_char, c_int, c_void};
use std::ffi::CStr;
use std::ptr;
use std::sync::atomic::Ordering;

/// The CUSE control device, opened instead of mounting.
const CUSE_DEVICE: &CStr = c"/dev/cuse";

/// The version a CUSE session is made with. The CUSE functions have one
/// symbol version for every libfuse, so nothing tells which headers the
/// caller was built with; libfuse makes the session with its own version,
/// and so do we (ours: 3.18.3, the 3.17+ layouts).
const CUSE_SESSION_VERSION: libfuse_version = libfuse_version {
    major: 3,
    minor: 18,
    hotfix: 3,
    padding: 0,
};

/// The device info strings of `ci`, or None (with a log line) when the
/// array or one of its strings is NULL.
///
/// # Safety
/// `ci.dev_info_argv` NULL or an array of `dev_info_argc` pointers, each
/// NULL or a C string.
unsafe fn dev_info_strings(ci: &cuse_info) -> Option<Vec<&CStr>> {
    let n = ci.dev_info_argc as usize;
    if n > 0 && ci.dev_info_argv.is_null() {
        crate::log_err!("cuse: dev_info_argv is NULL\n");
        return None;
    }
    (0..n)
        .map(|i| {
            // SAFETY: per the contract, an array of n pointers.
            let p = unsafe { *ci.dev_info_argv.add(i) };
            if p.is_null() {
                crate::log_err!("cuse: dev_info_argv[{i}] is NULL\n");
                return None;
            }
            // SAFETY: per the contract, a C string.
            Some(unsafe { CStr::from_ptr(p) })
        })
        .collect()
}

/// Create a CUSE session: a low-level session (parsing `args` as
/// `fuse_session_new` does) whose operations are `clop`'s and whose device
/// is described by `ci`. The caller attaches the device fd (or custom I/O)
/// and runs a loop; the first request is then CUSE_INIT.
///
/// # Safety
/// `args` as for `fuse_session_new`; `ci` and `clop` NULL or valid, with
/// `ci->dev_info_argc` C strings in `ci->dev_info_argv`.
#[no_mangle]
pub unsafe extern "C" fn cuse_lowlevel_new(
    args: *mut fuse_args,
    ci: *const cuse_info,
    clop: *const cuse_lowlevel_ops,
    userdata: *mut c_void,
) -> *mut fuse_session {
    crate::ffi_guard!("cuse_lowlevel_new", ptr::null_mut(), {
        // SAFETY: C passes NULL or valid structs.
        let (Some(ci), Some(clop)) = (unsafe { ci.as_ref() }, unsafe { clop.as_ref() }) else {
            crate::log_err!("cuse: cuse_lowlevel_new() called without cuse_info or operations\n");
            return ptr::null_mut();
        };
        // SAFETY: per the contract.
        let Some(strings) = (unsafe { dev_info_strings(ci) }) else {
            return ptr::null_mut();
        };
        let bytes: Vec<&[u8]> = strings.iter().map(|s| s.to_bytes()).collect();
        let dev_info = match cuse::pack_dev_info(&bytes) {
            Ok(d) => d,
            Err(DevInfoTooLarge(len)) => {
                crate::log_err!("cuse: dev_info ({len}) too large, limit={CUSE_INIT_INFO_MAX}\n");
                return ptr::null_mut();
            }
        };
        let cd = CuseData::new(*clop, ci.dev_major, ci.dev_minor, ci.flags, dev_info);
        let lop = cuse::lowlevel_ops(clop);
        let mut version = CUSE_SESSION_VERSION;
        // SAFETY: args per the contract; lop and version are ours.
        let se = unsafe {
            fuse_session_new_versioned(
                args,
                &lop,
                std::mem::size_of::<fuse_lowlevel_ops>(),
                &mut version,
                userdata,
            )
        };
        // SAFETY: NULL or the session just made, not yet shared.
        if let Some(s) = unsafe { Session::from_raw(se) } {
            // A fresh session has no CUSE data yet, so this cannot fail.
            let _ = s.cuse.set(cd);
        }
        se
    })
}

/// Ensures descriptors 0, 1 and 2 are open (on /dev/null if need be), so
/// the device never becomes one of them.
fn ensure_stdio_open() {
    loop {
        // SAFETY: plain open of /dev/null.
        let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        if fd > 2 {
            // SAFETY: the descriptor just opened.
            unsafe { libc::close(fd) };
        }
        if !(0..=2).contains(&fd) {
            break;
        }
    }
}

/// Opens the CUSE device, logging libfuse's messages if it cannot.
fn open_cuse_device() -> Option<c_int> {
    // SAFETY: plain open of a constant path.
    let fd = unsafe { libc::open(CUSE_DEVICE.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    if fd == -1 {
        let err = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        if err == libc::ENODEV || err == libc::ENOENT {
            crate::log_err!("cuse: device not found, try 'modprobe cuse' first\n");
        } else {
            crate::log_err!(
                "cuse: failed to open {}: {}\n",
                CUSE_DEVICE.to_string_lossy(),
                crate::log::strerror(err)
            );
        }
        return None;
    }
    Some(fd)
}

/// Parse the command line (`-f`, `-d`, `-s` and the session's `-o`
/// options; a `subtype=` option is dropped), create the CUSE session, open
/// `/dev/cuse` for it, install the signal handlers and daemonize unless
/// `-f`. `*multithreaded` says whether `-s` was absent. NULL on failure,
/// after a message.
///
/// # Safety
/// `argv` holds `argc` C strings; the rest as for `cuse_lowlevel_new()`;
/// `multithreaded` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn cuse_lowlevel_setup(
    argc: c_int,
    argv: *mut *mut c_char,
    ci: *const cuse_info,
    clop: *const cuse_lowlevel_ops,
    multithreaded: *mut c_int,
    userdata: *mut c_void,
) -> *mut fuse_session {
    crate::ffi_guard!("cuse_lowlevel_setup", ptr::null_mut(), {
        let mut args = fuse_args {
            argc,
            argv,
            allocated: 0,
        };
        // SAFETY: all-zero is a valid fuse_cmdline_opts.
        let mut opts: fuse_cmdline_opts = unsafe { std::mem::zeroed() };
        // SAFETY: args is the caller's vector, opts ours.
        if unsafe { fuse_parse_cmdline_312(&mut args, &mut opts) } == -1 {
            // SAFETY: frees only what the parser allocated.
            unsafe { fuse_opt_free_args(&mut args) };
            return ptr::null_mut();
        }
        // SAFETY: the caller's int, if any.
        if let Some(mt) = unsafe { multithreaded.as_mut() } {
            *mt = (opts.singlethread == 0) as c_int;
        }
        // The command line parser adds the program's name as subtype, a
        // mount option a device cannot take.
        let drop_subtype = [
            fuse_opt {
                templ: c"subtype=".as_ptr(),
                offset: crate::opt::KEY_OFFSET as libc::c_ulong,
                value: crate::opt::KEY_DISCARD,
            },
            fuse_opt {
                templ: ptr::null(),
                offset: 0,
                value: 0,
            },
        ];
        let fail = |args: &mut fuse_args, opts: &fuse_cmdline_opts| {
            // SAFETY: the mount point (if any) was malloc'ed by the parser;
            // args holds the parser's vector (or the caller's, unfreed).
            unsafe {
                libc::free(opts.mountpoint.cast());
                fuse_opt_free_args(args);
            }
            ptr::null_mut()
        };
        // SAFETY: args valid, a table ending with its NULL entry, no data.
        if unsafe { fuse_opt_parse(&mut args, ptr::null_mut(), drop_subtype.as_ptr(), None) } == -1
        {
            return fail(&mut args, &opts);
        }
        ensure_stdio_open();
        // SAFETY: per the contract.
        let se = unsafe { cuse_lowlevel_new(&mut args, ci, clop, userdata) };
        // SAFETY: NULL or the session just made.
        let Some(s) = (unsafe { Session::from_raw(se) }) else {
            return fail(&mut args, &opts);
        };
        let Some(fd) = open_cuse_device() else {
            // SAFETY: our session, not used afterwards.
            unsafe { fuse_session_destroy(se) };
            return fail(&mut args, &opts);
        };
        s.fd.store(fd, Ordering::SeqCst);
        if fuse_set_signal_handlers(se) == -1 {
            // SAFETY: as above.
            unsafe { fuse_session_destroy(se) };
            return fail(&mut args, &opts);
        }
        if fuse_daemonize(opts.foreground) == -1 {
            fuse_remove_signal_handlers(se);
            // SAFETY: as above.
            unsafe { fuse_session_destroy(se) };
            return fail(&mut args, &opts);
        }
        // SAFETY: as in `fail`.
        unsafe {
            libc::free(opts.mountpoint.cast());
            fuse_opt_free_args(&mut args);
        }
        se
    })
}

/// Undo `cuse_lowlevel_setup()`: remove the signal handlers, destroy the
/// session (calling the `destroy` operation if CUSE_INIT was answered) and
/// close the device.
///
/// # Safety
/// `se` a session from `cuse_lowlevel_setup`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn cuse_lowlevel_teardown(se: *mut fuse_session) {
    crate::ffi_guard!("cuse_lowlevel_teardown", (), {
        fuse_remove_signal_handlers(se);
        // SAFETY: per the contract.
        unsafe { fuse_session_destroy(se) };
    })
}

/// Run a CUSE device: `cuse_lowlevel_setup()`, the multi-threaded loop
/// (default configuration) or, with `-s`, the single-threaded one, then
/// `cuse_lowlevel_teardown()`. Returns 1 if setup failed or the loop
/// returned -1, else 0.
///
/// # Safety
/// As for `cuse_lowlevel_setup()`.
#[no_mangle]
pub unsafe extern "C" fn cuse_lowlevel_main(
    argc: c_int,
    argv: *mut *mut c_char,
    ci: *const cuse_info,
    clop: *const cuse_lowlevel_ops,
    userdata: *mut c_void,
) -> c_int {
    crate::ffi_guard!("cuse_lowlevel_main", 1, {
        let mut multithreaded: c_int = 0;
        // SAFETY: per the contract.
        let se = unsafe { cuse_lowlevel_setup(argc, argv, ci, clop, &mut multithreaded, userdata) };
        if se.is_null() {
            return 1;
        }
        let res = if multithreaded != 0 {
            // SAFETY: no preconditions.
            let config = unsafe { fuse_loop_cfg_create() };
            // SAFETY: our live session and the configuration just made.
            let res = unsafe { fuse_session_loop_mt_312(se, config) };
            // SAFETY: made by fuse_loop_cfg_create above.
            unsafe { fuse_loop_cfg_destroy(config) };
            res
        } else {
            // SAFETY: our live session.
            unsafe { fuse_session_loop(se) }
        };
        // SAFETY: made by setup, not used afterwards.
        unsafe { cuse_lowlevel_teardown(se) };
        if res == -1 {
            1
        } else {
            0
        }
    })
}
