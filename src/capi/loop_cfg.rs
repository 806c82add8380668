//! `fuse_loop_cfg_*`: the loop configuration object, a
//! [`crate::loop_config::LoopConfig`] allocated with libc's `calloc` (a
//! caller may hand it to `free`, as libfuse's own destroy does). A NULL
//! config crashes libfuse; here the setters ignore it and create returns
//! NULL only when out of memory.

#![allow(clippy::missing_safety_doc)]

use super::types::*;
use crate::loop_config::LoopConfig;
use libc::*;

/// The object behind a C pointer, if any.
///
/// # Safety
/// Unless NULL, `config` must come from `fuse_loop_cfg_create` and be live.
unsafe fn cfg<'a>(config: *mut fuse_loop_config) -> Option<&'a mut LoopConfig> {
    // SAFETY: guaranteed by the caller.
    unsafe { (config as *mut LoopConfig).as_mut() }
}

#[no_mangle]
pub unsafe extern "C" fn fuse_loop_cfg_convert(
    config: *mut fuse_loop_config,
    v1_conf: *mut fuse_loop_config_v1,
) {
    crate::ffi_guard!("fuse_loop_cfg_convert", (), {
        // SAFETY: the API passes a live config and a readable v1 struct.
        if let (Some(c), Some(v1)) = (unsafe { cfg(config) }, unsafe { v1_conf.as_ref() }) {
            c.apply_v1(v1.clone_fd, v1.max_idle_threads);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn fuse_loop_cfg_create() -> *mut fuse_loop_config {
    crate::ffi_guard!("fuse_loop_cfg_create", std::ptr::null_mut(), {
        // SAFETY: plain allocation; the result is checked for NULL.
        let p = unsafe { calloc(1, std::mem::size_of::<LoopConfig>()) } as *mut LoopConfig;
        if p.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: `p` is a fresh, suitably aligned allocation of the size.
        unsafe { p.write(LoopConfig::default()) };
        p as *mut fuse_loop_config
    })
}

#[no_mangle]
pub unsafe extern "C" fn fuse_loop_cfg_destroy(config: *mut fuse_loop_config) {
    // SAFETY: `config` is NULL or came from fuse_loop_cfg_create (calloc).
    unsafe { free(config as *mut c_void) }
}

#[no_mangle]
pub unsafe extern "C" fn fuse_loop_cfg_set_clone_fd(config: *mut fuse_loop_config, value: c_uint) {
    crate::ffi_guard!("fuse_loop_cfg_set_clone_fd", (), {
        // SAFETY: a live config per the API contract.
        if let Some(c) = unsafe { cfg(config) } {
            c.set_clone_fd(value);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn fuse_loop_cfg_set_idle_threads(
    config: *mut fuse_loop_config,
    value: c_uint,
) {
    crate::ffi_guard!("fuse_loop_cfg_set_idle_threads", (), {
        // SAFETY: a live config per the API contract.
        if let Some(c) = unsafe { cfg(config) } {
            c.set_idle_threads(value);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn fuse_loop_cfg_set_max_threads(
    config: *mut fuse_loop_config,
    value: c_uint,
) {
    crate::ffi_guard!("fuse_loop_cfg_set_max_threads", (), {
        // SAFETY: a live config per the API contract.
        if let Some(c) = unsafe { cfg(config) } {
            c.set_max_threads(value);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_set_convert_destroy() {
        // SAFETY: the object is used only between create and destroy.
        unsafe {
            let p = fuse_loop_cfg_create();
            assert!(!p.is_null());
            let c = *(p as *const LoopConfig);
            assert_eq!(c, LoopConfig::default());
            fuse_loop_cfg_set_max_threads(p, 3);
            fuse_loop_cfg_set_clone_fd(p, 1);
            fuse_loop_cfg_set_idle_threads(p, 2);
            let mut v1 = fuse_loop_config_v1 {
                clone_fd: 0,
                max_idle_threads: 7,
            };
            fuse_loop_cfg_convert(p, &mut v1);
            let c = *(p as *const LoopConfig);
            assert_eq!((c.clone_fd, c.max_idle_threads, c.max_threads), (0, 7, 3));
            fuse_loop_cfg_destroy(p);
            fuse_loop_cfg_set_max_threads(std::ptr::null_mut(), 3);
            fuse_loop_cfg_destroy(std::ptr::null_mut());
        }
    }
}
