//! The `fuse_opt` API (fuse_opt.h).

#![allow(unused_variables, clippy::missing_safety_doc)]

use super::not_implemented;
use super::types::*;
use libc::*;

#[no_mangle]
pub unsafe extern "C" fn fuse_opt_add_arg(args: *mut fuse_args, arg: *const c_char) -> c_int {
    not_implemented("fuse_opt_add_arg");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_opt_add_opt(opts: *mut *mut c_char, opt: *const c_char) -> c_int {
    not_implemented("fuse_opt_add_opt");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_opt_add_opt_escaped(
    opts: *mut *mut c_char,
    opt: *const c_char,
) -> c_int {
    not_implemented("fuse_opt_add_opt_escaped");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_opt_free_args(args: *mut fuse_args) {
    not_implemented("fuse_opt_free_args");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_opt_insert_arg(
    args: *mut fuse_args,
    pos: c_int,
    arg: *const c_char,
) -> c_int {
    not_implemented("fuse_opt_insert_arg");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_opt_match(opts: *const fuse_opt, opt: *const c_char) -> c_int {
    not_implemented("fuse_opt_match");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_opt_parse(
    args: *mut fuse_args,
    data: *mut c_void,
    opts: *const fuse_opt,
    proc_: fuse_opt_proc_t,
) -> c_int {
    not_implemented("fuse_opt_parse");
    -libc::ENOSYS
}
