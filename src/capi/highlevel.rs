//! The high-level API (fuse.h) and the `fuse_fs_*` stacking API.

#![allow(unused_variables, clippy::missing_safety_doc)]

use super::not_implemented;
use super::types::*;
use libc::*;

// Older versions of a name alias the function that implements them.
core::arch::global_asm!(
    ".symver fuse_loop_mt_31, fuse_loop_mt@FUSE_3.0",
    ".symver fuse_loop_mt_32, fuse_loop_mt@FUSE_3.2",
    ".symver fuse_loop_mt_312, fuse_loop_mt@@FUSE_3.12",
    ".symver fuse_new_30, fuse_new@FUSE_3.0",
    ".symver fuse_new_31, fuse_new@FUSE_3.1",
);

#[no_mangle]
pub unsafe extern "C" fn _fuse_new_30(
    args: *mut fuse_args,
    op: *const fuse_operations,
    op_size: size_t,
    version: *mut libfuse_version,
    user_data: *mut c_void,
) -> *mut fuse {
    not_implemented("_fuse_new_30");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn _fuse_new_31(
    args: *mut fuse_args,
    op: *const fuse_operations,
    op_size: size_t,
    version: *mut libfuse_version,
    user_data: *mut c_void,
) -> *mut fuse {
    not_implemented("_fuse_new_31");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn fuse_clean_cache(fuse: *mut fuse) -> c_int {
    not_implemented("fuse_clean_cache");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_destroy(f: *mut fuse) {
    not_implemented("fuse_destroy");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_exit(f: *mut fuse) {
    not_implemented("fuse_exit");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_access(
    fs: *mut fuse_fs,
    path: *const c_char,
    mask: c_int,
) -> c_int {
    not_implemented("fuse_fs_access");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_bmap(
    fs: *mut fuse_fs,
    path: *const c_char,
    blocksize: size_t,
    idx: *mut u64,
) -> c_int {
    not_implemented("fuse_fs_bmap");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_chmod(
    fs: *mut fuse_fs,
    path: *const c_char,
    mode: mode_t,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_chmod");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_chown(
    fs: *mut fuse_fs,
    path: *const c_char,
    uid: uid_t,
    gid: gid_t,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_chown");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_copy_file_range(
    fs: *mut fuse_fs,
    path_in: *const c_char,
    fi_in: *mut fuse_file_info,
    off_in: off_t,
    path_out: *const c_char,
    fi_out: *mut fuse_file_info,
    off_out: off_t,
    len: size_t,
    flags: c_int,
) -> ssize_t {
    not_implemented("fuse_fs_copy_file_range");
    -(libc::ENOSYS as ssize_t)
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_create(
    fs: *mut fuse_fs,
    path: *const c_char,
    mode: mode_t,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_create");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_destroy(fs: *mut fuse_fs) {
    not_implemented("fuse_fs_destroy");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_fallocate(
    fs: *mut fuse_fs,
    path: *const c_char,
    mode: c_int,
    offset: off_t,
    length: off_t,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_fallocate");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_flock(
    fs: *mut fuse_fs,
    path: *const c_char,
    fi: *mut fuse_file_info,
    op: c_int,
) -> c_int {
    not_implemented("fuse_fs_flock");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_flush(
    fs: *mut fuse_fs,
    path: *const c_char,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_flush");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_fsync(
    fs: *mut fuse_fs,
    path: *const c_char,
    datasync: c_int,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_fsync");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_fsyncdir(
    fs: *mut fuse_fs,
    path: *const c_char,
    datasync: c_int,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_fsyncdir");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_getattr(
    fs: *mut fuse_fs,
    path: *const c_char,
    buf: *mut libc::stat,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_getattr");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_getxattr(
    fs: *mut fuse_fs,
    path: *const c_char,
    name: *const c_char,
    value: *mut c_char,
    size: size_t,
) -> c_int {
    not_implemented("fuse_fs_getxattr");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_init(
    fs: *mut fuse_fs,
    conn: *mut fuse_conn_info,
    cfg: *mut fuse_config,
) {
    not_implemented("fuse_fs_init");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_ioctl(
    fs: *mut fuse_fs,
    path: *const c_char,
    cmd: c_uint,
    arg: *mut c_void,
    fi: *mut fuse_file_info,
    flags: c_uint,
    data: *mut c_void,
) -> c_int {
    not_implemented("fuse_fs_ioctl");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_link(
    fs: *mut fuse_fs,
    oldpath: *const c_char,
    newpath: *const c_char,
) -> c_int {
    not_implemented("fuse_fs_link");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_listxattr(
    fs: *mut fuse_fs,
    path: *const c_char,
    list: *mut c_char,
    size: size_t,
) -> c_int {
    not_implemented("fuse_fs_listxattr");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_lock(
    fs: *mut fuse_fs,
    path: *const c_char,
    fi: *mut fuse_file_info,
    cmd: c_int,
    lock: *mut libc::flock,
) -> c_int {
    not_implemented("fuse_fs_lock");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_lseek(
    fs: *mut fuse_fs,
    path: *const c_char,
    off: off_t,
    whence: c_int,
    fi: *mut fuse_file_info,
) -> off_t {
    not_implemented("fuse_fs_lseek");
    -(libc::ENOSYS as off_t)
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_mkdir(
    fs: *mut fuse_fs,
    path: *const c_char,
    mode: mode_t,
) -> c_int {
    not_implemented("fuse_fs_mkdir");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_mknod(
    fs: *mut fuse_fs,
    path: *const c_char,
    mode: mode_t,
    rdev: dev_t,
) -> c_int {
    not_implemented("fuse_fs_mknod");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_new(
    op: *const fuse_operations,
    op_size: size_t,
    private_data: *mut c_void,
) -> *mut fuse_fs {
    not_implemented("fuse_fs_new");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_open(
    fs: *mut fuse_fs,
    path: *const c_char,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_open");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_opendir(
    fs: *mut fuse_fs,
    path: *const c_char,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_opendir");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_poll(
    fs: *mut fuse_fs,
    path: *const c_char,
    fi: *mut fuse_file_info,
    ph: *mut fuse_pollhandle,
    reventsp: *mut c_uint,
) -> c_int {
    not_implemented("fuse_fs_poll");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_read(
    fs: *mut fuse_fs,
    path: *const c_char,
    buf: *mut c_char,
    size: size_t,
    off: off_t,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_read");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_read_buf(
    fs: *mut fuse_fs,
    path: *const c_char,
    bufp: *mut *mut fuse_bufvec,
    size: size_t,
    off: off_t,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_read_buf");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_readdir(
    fs: *mut fuse_fs,
    path: *const c_char,
    buf: *mut c_void,
    filler: fuse_fill_dir_t,
    off: off_t,
    fi: *mut fuse_file_info,
    flags: fuse_readdir_flags,
) -> c_int {
    not_implemented("fuse_fs_readdir");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_readlink(
    fs: *mut fuse_fs,
    path: *const c_char,
    buf: *mut c_char,
    len: size_t,
) -> c_int {
    not_implemented("fuse_fs_readlink");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_release(
    fs: *mut fuse_fs,
    path: *const c_char,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_release");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_releasedir(
    fs: *mut fuse_fs,
    path: *const c_char,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_releasedir");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_removexattr(
    fs: *mut fuse_fs,
    path: *const c_char,
    name: *const c_char,
) -> c_int {
    not_implemented("fuse_fs_removexattr");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_rename(
    fs: *mut fuse_fs,
    oldpath: *const c_char,
    newpath: *const c_char,
    flags: c_uint,
) -> c_int {
    not_implemented("fuse_fs_rename");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_rmdir(fs: *mut fuse_fs, path: *const c_char) -> c_int {
    not_implemented("fuse_fs_rmdir");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_setxattr(
    fs: *mut fuse_fs,
    path: *const c_char,
    name: *const c_char,
    value: *const c_char,
    size: size_t,
    flags: c_int,
) -> c_int {
    not_implemented("fuse_fs_setxattr");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_statfs(
    fs: *mut fuse_fs,
    path: *const c_char,
    buf: *mut libc::statvfs,
) -> c_int {
    not_implemented("fuse_fs_statfs");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_statx(
    fs: *mut fuse_fs,
    path: *const c_char,
    flags: c_int,
    mask: c_int,
    stxbuf: *mut libc::statx,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_statx");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_symlink(
    fs: *mut fuse_fs,
    linkname: *const c_char,
    path: *const c_char,
) -> c_int {
    not_implemented("fuse_fs_symlink");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_truncate(
    fs: *mut fuse_fs,
    path: *const c_char,
    size: off_t,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_truncate");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_unlink(fs: *mut fuse_fs, path: *const c_char) -> c_int {
    not_implemented("fuse_fs_unlink");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_utimens(
    fs: *mut fuse_fs,
    path: *const c_char,
    tv: *const libc::timespec,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_utimens");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_write(
    fs: *mut fuse_fs,
    path: *const c_char,
    buf: *const c_char,
    size: size_t,
    off: off_t,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_write");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_fs_write_buf(
    fs: *mut fuse_fs,
    path: *const c_char,
    buf: *mut fuse_bufvec,
    off: off_t,
    fi: *mut fuse_file_info,
) -> c_int {
    not_implemented("fuse_fs_write_buf");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_get_context() -> *mut fuse_context {
    not_implemented("fuse_get_context");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn fuse_get_session(f: *mut fuse) -> *mut fuse_session {
    not_implemented("fuse_get_session");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn fuse_getgroups(size: c_int, list: *mut gid_t) -> c_int {
    not_implemented("fuse_getgroups");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_interrupted() -> c_int {
    not_implemented("fuse_interrupted");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_invalidate_path(f: *mut fuse, path: *const c_char) -> c_int {
    not_implemented("fuse_invalidate_path");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_lib_help(args: *mut fuse_args) {
    not_implemented("fuse_lib_help");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_loop(f: *mut fuse) -> c_int {
    not_implemented("fuse_loop");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_loop_mt_312(f: *mut fuse, config: *mut fuse_loop_config) -> c_int {
    not_implemented("fuse_loop_mt_312");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_loop_mt_31(f: *mut fuse, clone_fd: c_int) -> c_int {
    not_implemented("fuse_loop_mt_31");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_loop_mt_32(f: *mut fuse, config: *mut fuse_loop_config_v1) -> c_int {
    not_implemented("fuse_loop_mt_32");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_main_real(
    argc: c_int,
    argv: *mut *mut c_char,
    op: *const fuse_operations,
    op_size: size_t,
    user_data: *mut c_void,
) -> c_int {
    not_implemented("fuse_main_real");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_main_real_versioned(
    argc: c_int,
    argv: *mut *mut c_char,
    op: *const fuse_operations,
    op_size: size_t,
    version: *mut libfuse_version,
    user_data: *mut c_void,
) -> c_int {
    not_implemented("fuse_main_real_versioned");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_mount(f: *mut fuse, mountpoint: *const c_char) -> c_int {
    not_implemented("fuse_mount");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_new_30(
    args: *mut fuse_args,
    op: *const fuse_operations,
    op_size: size_t,
    user_data: *mut c_void,
) -> *mut fuse {
    not_implemented("fuse_new_30");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn fuse_new_31(
    args: *mut fuse_args,
    op: *const fuse_operations,
    op_size: size_t,
    user_data: *mut c_void,
) -> *mut fuse {
    not_implemented("fuse_new_31");
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn fuse_notify_poll(ph: *mut fuse_pollhandle) -> c_int {
    not_implemented("fuse_notify_poll");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_start_cleanup_thread(fuse: *mut fuse) -> c_int {
    not_implemented("fuse_start_cleanup_thread");
    -libc::ENOSYS
}

#[no_mangle]
pub unsafe extern "C" fn fuse_stop_cleanup_thread(fuse: *mut fuse) {
    not_implemented("fuse_stop_cleanup_thread");
}

#[no_mangle]
pub unsafe extern "C" fn fuse_unmount(f: *mut fuse) {
    not_implemented("fuse_unmount");
}
