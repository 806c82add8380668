//! `fuse_add_direntry` and `fuse_add_direntry_plus`.

#![allow(unused_variables, clippy::missing_safety_doc)]

use super::not_implemented;
use super::types::*;
use libc::*;

#[no_mangle]
pub unsafe extern "C" fn fuse_add_direntry(
    req: fuse_req_t,
    buf: *mut c_char,
    bufsize: size_t,
    name: *const c_char,
    stbuf: *const libc::stat,
    off: off_t,
) -> size_t {
    not_implemented("fuse_add_direntry");
    0
}

#[no_mangle]
pub unsafe extern "C" fn fuse_add_direntry_plus(
    req: fuse_req_t,
    buf: *mut c_char,
    bufsize: size_t,
    name: *const c_char,
    e: *const fuse_entry_param,
    off: off_t,
) -> size_t {
    not_implemented("fuse_add_direntry_plus");
    0
}
