//! `fuse_buf_size` and `fuse_buf_copy`.

#![allow(unused_variables, clippy::missing_safety_doc)]

use super::not_implemented;
use super::types::*;
use libc::*;

#[no_mangle]
pub unsafe extern "C" fn fuse_buf_copy(
    dst: *mut fuse_bufvec,
    src: *mut fuse_bufvec,
    flags: fuse_buf_copy_flags,
) -> ssize_t {
    not_implemented("fuse_buf_copy");
    -(libc::ENOSYS as ssize_t)
}

#[no_mangle]
pub unsafe extern "C" fn fuse_buf_size(bufv: *const fuse_bufvec) -> size_t {
    not_implemented("fuse_buf_size");
    0
}
