//! Low-level exports that are not implemented yet (passthrough).

#![allow(unused_variables, clippy::missing_safety_doc)]

use super::not_implemented;
use super::types::*;
use libc::*;

#[no_mangle]
pub unsafe extern "C" fn fuse_passthrough_close(req: fuse_req_t, backing_id: c_int) -> c_int {
    not_implemented("fuse_passthrough_close");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_passthrough_open(req: fuse_req_t, fd: c_int) -> c_int {
    not_implemented("fuse_passthrough_open");
    -libc::ENOSYS
}
