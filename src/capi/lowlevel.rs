//! The low-level session, its loops, replies, notifications and requests (fuse_lowlevel.h).

#![allow(unused_variables, clippy::missing_safety_doc)]

use super::not_implemented;
use super::types::*;
use libc::*;

// Older versions of a name alias the function that implements them.
core::arch::global_asm!(
    ".symver fuse_session_loop_mt_31, fuse_session_loop_mt@FUSE_3.0",
    ".symver fuse_session_loop_mt_32, fuse_session_loop_mt@FUSE_3.2",
    ".symver fuse_session_loop_mt_312, fuse_session_loop_mt@@FUSE_3.12",
    ".symver fuse_session_custom_io_30, fuse_session_custom_io@FUSE_3.0",
    ".symver fuse_session_custom_io_317, fuse_session_custom_io@@FUSE_3.17",
);

#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_delete(
    se: *mut fuse_session,
    parent: fuse_ino_t,
    child: fuse_ino_t,
    name: *const c_char,
    namelen: size_t,
) -> c_int {
    not_implemented("fuse_lowlevel_notify_delete");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_expire_entry(
    se: *mut fuse_session,
    parent: fuse_ino_t,
    name: *const c_char,
    namelen: size_t,
    flags: fuse_notify_entry_flags,
) -> c_int {
    not_implemented("fuse_lowlevel_notify_expire_entry");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_increment_epoch(se: *mut fuse_session) -> c_int {
    not_implemented("fuse_lowlevel_notify_increment_epoch");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_inval_entry(
    se: *mut fuse_session,
    parent: fuse_ino_t,
    name: *const c_char,
    namelen: size_t,
) -> c_int {
    not_implemented("fuse_lowlevel_notify_inval_entry");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_inval_inode(
    se: *mut fuse_session,
    ino: fuse_ino_t,
    off: off_t,
    len: off_t,
) -> c_int {
    not_implemented("fuse_lowlevel_notify_inval_inode");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_poll(ph: *mut fuse_pollhandle) -> c_int {
    not_implemented("fuse_lowlevel_notify_poll");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_retrieve(
    se: *mut fuse_session,
    ino: fuse_ino_t,
    size: size_t,
    offset: off_t,
    cookie: *mut c_void,
) -> c_int {
    not_implemented("fuse_lowlevel_notify_retrieve");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_store(
    se: *mut fuse_session,
    ino: fuse_ino_t,
    offset: off_t,
    bufv: *mut fuse_bufvec,
    flags: fuse_buf_copy_flags,
) -> c_int {
    not_implemented("fuse_lowlevel_notify_store");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_open_channel(
    mountpoint: *const c_char,
    options: *const c_char,
) -> c_int {
    not_implemented("fuse_open_channel");
    -libc::ENOSYS
}

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

#[no_mangle]
pub unsafe extern "C" fn fuse_pollhandle_destroy(ph: *mut fuse_pollhandle) {
    not_implemented("fuse_pollhandle_destroy");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_attr(
    req: fuse_req_t,
    attr: *const libc::stat,
    attr_timeout: c_double,
) -> c_int {
    not_implemented("fuse_reply_attr");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_bmap(req: fuse_req_t, idx: u64) -> c_int {
    not_implemented("fuse_reply_bmap");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_buf(
    req: fuse_req_t,
    buf: *const c_char,
    size: size_t,
) -> c_int {
    not_implemented("fuse_reply_buf");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_create(
    req: fuse_req_t,
    e: *const fuse_entry_param,
    fi: *const fuse_file_info,
) -> c_int {
    not_implemented("fuse_reply_create");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_data(
    req: fuse_req_t,
    bufv: *mut fuse_bufvec,
    flags: fuse_buf_copy_flags,
) -> c_int {
    not_implemented("fuse_reply_data");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_entry(req: fuse_req_t, e: *const fuse_entry_param) -> c_int {
    not_implemented("fuse_reply_entry");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_err(req: fuse_req_t, err: c_int) -> c_int {
    not_implemented("fuse_reply_err");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_ioctl(
    req: fuse_req_t,
    result: c_int,
    buf: *const c_void,
    size: size_t,
) -> c_int {
    not_implemented("fuse_reply_ioctl");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_ioctl_iov(
    req: fuse_req_t,
    result: c_int,
    iov: *const libc::iovec,
    count: c_int,
) -> c_int {
    not_implemented("fuse_reply_ioctl_iov");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_ioctl_retry(
    req: fuse_req_t,
    in_iov: *const libc::iovec,
    in_count: size_t,
    out_iov: *const libc::iovec,
    out_count: size_t,
) -> c_int {
    not_implemented("fuse_reply_ioctl_retry");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_iov(
    req: fuse_req_t,
    iov: *const libc::iovec,
    count: c_int,
) -> c_int {
    not_implemented("fuse_reply_iov");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_lock(req: fuse_req_t, lock: *const libc::flock) -> c_int {
    not_implemented("fuse_reply_lock");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_lseek(req: fuse_req_t, off: off_t) -> c_int {
    not_implemented("fuse_reply_lseek");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_none(req: fuse_req_t) {
    not_implemented("fuse_reply_none");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_open(req: fuse_req_t, fi: *const fuse_file_info) -> c_int {
    not_implemented("fuse_reply_open");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_poll(req: fuse_req_t, revents: c_uint) -> c_int {
    not_implemented("fuse_reply_poll");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_readlink(req: fuse_req_t, link: *const c_char) -> c_int {
    not_implemented("fuse_reply_readlink");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_statfs(req: fuse_req_t, stbuf: *const libc::statvfs) -> c_int {
    not_implemented("fuse_reply_statfs");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_statx(
    req: fuse_req_t,
    flags: c_int,
    statx: *mut libc::statx,
    attr_timeout: c_double,
) -> c_int {
    not_implemented("fuse_reply_statx");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_write(req: fuse_req_t, count: size_t) -> c_int {
    not_implemented("fuse_reply_write");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_reply_xattr(req: fuse_req_t, count: size_t) -> c_int {
    not_implemented("fuse_reply_xattr");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_req_ctx(req: fuse_req_t) -> *const fuse_ctx {
    not_implemented("fuse_req_ctx");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn fuse_req_get_payload(
    req: fuse_req_t,
    payload: *mut *mut c_char,
    payload_sz: *mut size_t,
    mr: *mut *mut c_void,
) -> c_int {
    not_implemented("fuse_req_get_payload");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_req_getgroups(
    req: fuse_req_t,
    size: c_int,
    list: *mut gid_t,
) -> c_int {
    not_implemented("fuse_req_getgroups");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_req_interrupt_func(
    req: fuse_req_t,
    func: fuse_interrupt_func_t,
    data: *mut c_void,
) {
    not_implemented("fuse_req_interrupt_func");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_req_interrupted(req: fuse_req_t) -> c_int {
    not_implemented("fuse_req_interrupted");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_req_is_uring(req: fuse_req_t) -> bool {
    not_implemented("fuse_req_is_uring");
    false
}

#[no_mangle]
pub unsafe extern "C" fn fuse_req_userdata(req: fuse_req_t) -> *mut c_void {
    not_implemented("fuse_req_userdata");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_custom_io_30(
    se: *mut fuse_session,
    io: *const fuse_custom_io,
    fd: c_int,
) -> c_int {
    not_implemented("fuse_session_custom_io_30");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_custom_io_317(
    se: *mut fuse_session,
    io: *const fuse_custom_io,
    op_size: size_t,
    fd: c_int,
) -> c_int {
    not_implemented("fuse_session_custom_io_317");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_destroy(se: *mut fuse_session) {
    not_implemented("fuse_session_destroy");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_exit(se: *mut fuse_session) {
    not_implemented("fuse_session_exit");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_exited(se: *mut fuse_session) -> c_int {
    not_implemented("fuse_session_exited");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_fd(se: *mut fuse_session) -> c_int {
    not_implemented("fuse_session_fd");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_loop(se: *mut fuse_session) -> c_int {
    not_implemented("fuse_session_loop");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_loop_mt_312(
    se: *mut fuse_session,
    config: *mut fuse_loop_config,
) -> c_int {
    not_implemented("fuse_session_loop_mt_312");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_loop_mt_31(se: *mut fuse_session, clone_fd: c_int) -> c_int {
    not_implemented("fuse_session_loop_mt_31");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_loop_mt_32(
    se: *mut fuse_session,
    config: *mut fuse_loop_config_v1,
) -> c_int {
    not_implemented("fuse_session_loop_mt_32");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_mount(
    se: *mut fuse_session,
    mountpoint: *const c_char,
) -> c_int {
    not_implemented("fuse_session_mount");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_new(
    args: *mut fuse_args,
    op: *const fuse_lowlevel_ops,
    op_size: size_t,
    userdata: *mut c_void,
) -> *mut fuse_session {
    not_implemented("fuse_session_new");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_new_versioned(
    args: *mut fuse_args,
    op: *const fuse_lowlevel_ops,
    op_size: size_t,
    version: *mut libfuse_version,
    userdata: *mut c_void,
) -> *mut fuse_session {
    not_implemented("fuse_session_new_versioned");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_process_buf(se: *mut fuse_session, buf: *const fuse_buf) {
    not_implemented("fuse_session_process_buf");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_receive_buf(
    se: *mut fuse_session,
    buf: *mut fuse_buf,
) -> c_int {
    not_implemented("fuse_session_receive_buf");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_reset(se: *mut fuse_session) {
    not_implemented("fuse_session_reset");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_session_unmount(se: *mut fuse_session) {
    not_implemented("fuse_session_unmount");
}
