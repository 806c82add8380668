//! Command line, version, daemonize and signal helpers (helper.c's exports).

#![allow(unused_variables, clippy::missing_safety_doc)]

use super::not_implemented;
use super::types::*;
use libc::*;

// Older versions of a name alias the function that implements them.
core::arch::global_asm!(
    ".symver fuse_parse_cmdline_30, fuse_parse_cmdline@FUSE_3.0",
    ".symver fuse_parse_cmdline_312, fuse_parse_cmdline@@FUSE_3.12",
);

#[no_mangle]
pub unsafe extern "C" fn fuse_cmdline_help() {
    not_implemented("fuse_cmdline_help");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_daemonize(foreground: c_int) -> c_int {
    not_implemented("fuse_daemonize");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_help() {
    not_implemented("fuse_lowlevel_help");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_version() {
    not_implemented("fuse_lowlevel_version");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_parse_cmdline_30(
    args: *mut fuse_args,
    opts: *mut fuse_cmdline_opts,
) -> c_int {
    not_implemented("fuse_parse_cmdline_30");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_parse_cmdline_312(
    args: *mut fuse_args,
    opts: *mut fuse_cmdline_opts,
) -> c_int {
    not_implemented("fuse_parse_cmdline_312");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_pkgversion() -> *const c_char {
    not_implemented("fuse_pkgversion");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn fuse_remove_signal_handlers(se: *mut fuse_session) {
    not_implemented("fuse_remove_signal_handlers");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_set_fail_signal_handlers(se: *mut fuse_session) -> c_int {
    not_implemented("fuse_set_fail_signal_handlers");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_set_signal_handlers(se: *mut fuse_session) -> c_int {
    not_implemented("fuse_set_signal_handlers");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_version() -> c_int {
    not_implemented("fuse_version");
    -libc::ENOSYS
}
