//! Connection options and feature flags (`fuse_conn_info`).

#![allow(unused_variables, clippy::missing_safety_doc)]

use super::not_implemented;
use super::types::*;
use libc::*;

#[no_mangle]
pub unsafe extern "C" fn fuse_apply_conn_info_opts(
    opts: *mut fuse_conn_info_opts,
    conn: *mut fuse_conn_info,
) {
    not_implemented("fuse_apply_conn_info_opts");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_convert_to_conn_want_ext(conn: *mut fuse_conn_info) -> c_int {
    not_implemented("fuse_convert_to_conn_want_ext");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_get_feature_flag(conn: *mut fuse_conn_info, flag: u64) -> bool {
    not_implemented("fuse_get_feature_flag");
    false
}

#[no_mangle]
pub unsafe extern "C" fn fuse_parse_conn_info_opts(
    args: *mut fuse_args,
) -> *mut fuse_conn_info_opts {
    not_implemented("fuse_parse_conn_info_opts");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn fuse_set_feature_flag(conn: *mut fuse_conn_info, flag: u64) -> bool {
    not_implemented("fuse_set_feature_flag");
    false
}

#[no_mangle]
pub unsafe extern "C" fn fuse_unset_feature_flag(conn: *mut fuse_conn_info, flag: u64) {
    not_implemented("fuse_unset_feature_flag");
}
