//! Kernel passthrough, libfuse 3.17's API: a filesystem registers an open
//! backing file with the connection and puts the id in `fi->backing_id`;
//! reads and writes of that open file then bypass the daemon.

use super::req::req_or;
use super::types::*;
use crate::kernel::{fuse_backing_map, FUSE_DEV_IOC_BACKING_CLOSE, FUSE_DEV_IOC_BACKING_OPEN};
use libc::c_int;
use std::sync::atomic::Ordering;

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// FUSE_DEV_IOC_BACKING_OPEN on the session's device: the backing id, or 0
/// after logging why not (libfuse's convention).
///
/// # Safety
/// `req` a request not yet answered.
#[no_mangle]
pub unsafe extern "C" fn fuse_passthrough_open(req: fuse_req_t, fd: c_int) -> c_int {
    let r = req_or!(req, "fuse_passthrough_open", 0);
    let map = fuse_backing_map {
        fd,
        ..Default::default()
    };
    let dev = r.session().fd.load(Ordering::SeqCst);
    r.session()
        .passthrough
        .filesystem_manages(r.session().debug());
    // SAFETY: the ioctl reads one fuse_backing_map from a local.
    let ret = unsafe { libc::ioctl(dev, FUSE_DEV_IOC_BACKING_OPEN as libc::c_ulong, &map) };
    if ret <= 0 {
        crate::log_err!(
            "fuse: passthrough_open: {}\n",
            crate::log::strerror(errno())
        );
        return 0;
    }
    ret
}

/// FUSE_DEV_IOC_BACKING_CLOSE: 0, or -1 after logging why not.
///
/// # Safety
/// `req` a request not yet answered.
#[no_mangle]
pub unsafe extern "C" fn fuse_passthrough_close(req: fuse_req_t, backing_id: c_int) -> c_int {
    let r = req_or!(req, "fuse_passthrough_close", -1);
    let dev = r.session().fd.load(Ordering::SeqCst);
    let id = backing_id;
    // SAFETY: the ioctl reads one int from a local.
    let ret = unsafe { libc::ioctl(dev, FUSE_DEV_IOC_BACKING_CLOSE as libc::c_ulong, &id) };
    if ret < 0 {
        crate::log_err!(
            "fuse: passthrough_close: {}\n",
            crate::log::strerror(errno())
        );
    }
    ret
}
