//! CUSE, character devices in userspace (cuse_lowlevel.h).

#![allow(unused_variables, clippy::missing_safety_doc)]

use super::not_implemented;
use super::types::*;
use libc::*;

#[no_mangle]
pub unsafe extern "C" fn cuse_lowlevel_main(
    argc: c_int,
    argv: *mut *mut c_char,
    ci: *const cuse_info,
    clop: *const cuse_lowlevel_ops,
    userdata: *mut c_void,
) -> c_int {
    not_implemented("cuse_lowlevel_main");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn cuse_lowlevel_new(
    args: *mut fuse_args,
    ci: *const cuse_info,
    clop: *const cuse_lowlevel_ops,
    userdata: *mut c_void,
) -> *mut fuse_session {
    not_implemented("cuse_lowlevel_new");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn cuse_lowlevel_setup(
    argc: c_int,
    argv: *mut *mut c_char,
    ci: *const cuse_info,
    clop: *const cuse_lowlevel_ops,
    multithreaded: *mut c_int,
    userdata: *mut c_void,
) -> *mut fuse_session {
    not_implemented("cuse_lowlevel_setup");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn cuse_lowlevel_teardown(se: *mut fuse_session) {
    not_implemented("cuse_lowlevel_teardown");
}
