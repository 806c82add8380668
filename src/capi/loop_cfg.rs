//! `fuse_loop_cfg_*`: the loop configuration object.

#![allow(unused_variables, clippy::missing_safety_doc)]

use super::not_implemented;
use super::types::*;
use libc::*;

#[no_mangle]
pub unsafe extern "C" fn fuse_loop_cfg_convert(
    config: *mut fuse_loop_config,
    v1_conf: *mut fuse_loop_config_v1,
) {
    not_implemented("fuse_loop_cfg_convert");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_loop_cfg_create() -> *mut fuse_loop_config {
    not_implemented("fuse_loop_cfg_create");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn fuse_loop_cfg_destroy(config: *mut fuse_loop_config) {
    not_implemented("fuse_loop_cfg_destroy");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_loop_cfg_set_clone_fd(config: *mut fuse_loop_config, value: c_uint) {
    not_implemented("fuse_loop_cfg_set_clone_fd");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_loop_cfg_set_idle_threads(
    config: *mut fuse_loop_config,
    value: c_uint,
) {
    not_implemented("fuse_loop_cfg_set_idle_threads");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_loop_cfg_set_max_threads(
    config: *mut fuse_loop_config,
    value: c_uint,
) {
    not_implemented("fuse_loop_cfg_set_max_threads");
}
