//! repr(C) mirrors of libfuse's public types, in the 3.17+ layout that our
//! headers declare. The 3.14 layouts of the structs that changed live in
//! [`crate::compat`]. Sizes and offsets are checked against libfuse-abi.md §2
//! by the unit tests below and, from C, by `capi-tests/layout.c`.
//!
//! Names follow C (`fuse_args`, not `FuseArgs`) so cbindgen writes the same
//! declarations a libfuse header has.

#![allow(non_camel_case_types)]

use libc::{c_char, c_double, c_int, c_uint, c_void, dev_t, gid_t, mode_t, off_t, size_t};

/// `fuse_ino_t`
pub type fuse_ino_t = u64;

/// `enum fuse_log_level` (C enums are passed as int-sized values).
pub type fuse_log_level = c_uint;
/// `enum fuse_buf_flags`
pub type fuse_buf_flags = c_uint;
/// `enum fuse_buf_copy_flags`
pub type fuse_buf_copy_flags = c_uint;
/// `enum fuse_readdir_flags`
pub type fuse_readdir_flags = c_uint;
/// `enum fuse_fill_dir_flags`
pub type fuse_fill_dir_flags = c_uint;
/// `enum fuse_notify_entry_flags` (3.14: `enum fuse_expire_flags`)
pub type fuse_notify_entry_flags = c_uint;

pub const FUSE_BUF_IS_FD: fuse_buf_flags = 1 << 1;
pub const FUSE_BUF_FD_SEEK: fuse_buf_flags = 1 << 2;
pub const FUSE_BUF_FD_RETRY: fuse_buf_flags = 1 << 3;

pub const FUSE_BUF_NO_SPLICE: fuse_buf_copy_flags = 1 << 1;
pub const FUSE_BUF_FORCE_SPLICE: fuse_buf_copy_flags = 1 << 2;
pub const FUSE_BUF_SPLICE_MOVE: fuse_buf_copy_flags = 1 << 3;
pub const FUSE_BUF_SPLICE_NONBLOCK: fuse_buf_copy_flags = 1 << 4;

/// Declares opaque C types: C only ever holds pointers to them.
macro_rules! opaque {
    ($($(#[$m:meta])* $name:ident;)*) => {$(
        $(#[$m])*
        pub struct $name {
            _private: [u8; 0],
        }
    )*};
}

opaque! {
    /// `struct fuse_session` (our session lives behind this pointer).
    fuse_session;
    /// `struct fuse_req`, handed to callbacks as `fuse_req_t`.
    fuse_req;
    /// `struct fuse_pollhandle`
    fuse_pollhandle;
    /// `struct fuse_conn_info_opts`, made by `fuse_parse_conn_info_opts`.
    fuse_conn_info_opts;
    /// `struct fuse_loop_config`, opaque from FUSE_USE_VERSION 312 on.
    fuse_loop_config;
    /// `struct fuse`, the high-level handle.
    fuse;
    /// `struct fuse_fs`, a high-level filesystem in a module stack.
    fuse_fs;
}

/// `fuse_req_t`
pub type fuse_req_t = *mut fuse_req;

/// `struct fuse_args`
#[repr(C)]
#[derive(Debug)]
pub struct fuse_args {
    pub argc: c_int,
    pub argv: *mut *mut c_char,
    pub allocated: c_int,
}

/// `struct fuse_opt`
#[repr(C)]
#[derive(Debug)]
pub struct fuse_opt {
    pub templ: *const c_char,
    pub offset: libc::c_ulong,
    pub value: c_int,
}

/// `fuse_opt_proc_t`
pub type fuse_opt_proc_t = Option<
    unsafe extern "C" fn(
        data: *mut c_void,
        arg: *const c_char,
        key: c_int,
        outargs: *mut fuse_args,
    ) -> c_int,
>;

/// `struct fuse_file_info`, 3.17+ layout (64 bytes). The C header declares
/// the bit-fields of `bits`; see [`fi_bits`].
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fuse_file_info {
    pub flags: i32,
    pub bits: u32,
    pub padding2: u32,
    pub padding3: u32,
    pub fh: u64,
    pub lock_owner: u64,
    pub poll_events: u32,
    pub backing_id: i32,
    pub compat_flags: u64,
    pub reserved: [u64; 2],
}

/// Bit positions in `fuse_file_info::bits` (GCC allocates bit-fields from bit 0 on x86-64 and aarch64).
pub mod fi_bits {
    pub const WRITEPAGE: u32 = 1 << 0;
    pub const DIRECT_IO: u32 = 1 << 1;
    pub const KEEP_CACHE: u32 = 1 << 2;
    pub const FLUSH: u32 = 1 << 3;
    pub const NONSEEKABLE: u32 = 1 << 4;
    pub const FLOCK_RELEASE: u32 = 1 << 5;
    pub const CACHE_READDIR: u32 = 1 << 6;
    pub const NOFLUSH: u32 = 1 << 7;
    /// 3.17+ only.
    pub const PARALLEL_DIRECT_WRITES: u32 = 1 << 8;
    /// 3.18.3+ only.
    pub const KILL_SUIDGID: u32 = 1 << 9;
    /// The bits both layouts share.
    pub const COMMON: u32 = 0xff;
}

/// `struct fuse_conn_info`, 3.17+ layout (128 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fuse_conn_info {
    pub proto_major: u32,
    pub proto_minor: u32,
    pub max_write: u32,
    pub max_read: u32,
    pub max_readahead: u32,
    pub capable: u32,
    pub want: u32,
    pub max_background: u32,
    pub congestion_threshold: u32,
    pub time_gran: u32,
    pub max_backing_stack_depth: u32,
    /// bit 0: `no_interrupt`; the rest is padding.
    pub bits: u32,
    pub capable_ext: u64,
    pub want_ext: u64,
    pub request_timeout: u16,
    pub reserved: [u16; 31],
}

impl Default for fuse_conn_info {
    fn default() -> Self {
        // SAFETY: all-zero is a valid value of this plain-integer struct.
        unsafe { std::mem::zeroed() }
    }
}

/// `struct fuse_buf`, 3.17+ layout (48 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fuse_buf {
    pub size: size_t,
    pub flags: fuse_buf_flags,
    pub mem: *mut c_void,
    pub fd: c_int,
    pub pos: off_t,
    pub mem_size: size_t,
}

/// `struct fuse_bufvec`, 3.17+ layout: `buf` is a flexible array of
/// `count` entries, at least one.
#[repr(C)]
#[derive(Debug)]
pub struct fuse_bufvec {
    pub count: size_t,
    pub idx: size_t,
    pub off: size_t,
    pub buf: [fuse_buf; 1],
}

/// `struct libfuse_version`, passed by the 3.17+ inline wrappers.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct libfuse_version {
    pub major: u32,
    pub minor: u32,
    pub hotfix: u32,
    pub padding: u32,
}

/// `struct fuse_loop_config_v1` (the public struct below FUSE_USE_VERSION 312).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fuse_loop_config_v1 {
    pub clone_fd: c_int,
    pub max_idle_threads: c_uint,
}

/// `struct fuse_entry_param`
#[repr(C)]
pub struct fuse_entry_param {
    pub ino: fuse_ino_t,
    pub generation: u64,
    pub attr: libc::stat,
    pub attr_timeout: c_double,
    pub entry_timeout: c_double,
}

/// `struct fuse_ctx`
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fuse_ctx {
    pub uid: libc::uid_t,
    pub gid: gid_t,
    pub pid: libc::pid_t,
    pub umask: mode_t,
}

/// `struct fuse_forget_data`
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fuse_forget_data {
    pub ino: fuse_ino_t,
    pub nlookup: u64,
}

/// `struct fuse_custom_io` (3.17+: 40 bytes; 3.14 stops before `clone_fd`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fuse_custom_io {
    pub writev: Option<
        unsafe extern "C" fn(
            fd: c_int,
            iov: *mut libc::iovec,
            count: c_int,
            userdata: *mut c_void,
        ) -> libc::ssize_t,
    >,
    pub read: Option<
        unsafe extern "C" fn(
            fd: c_int,
            buf: *mut c_void,
            buf_len: size_t,
            userdata: *mut c_void,
        ) -> libc::ssize_t,
    >,
    pub splice_receive: Option<
        unsafe extern "C" fn(
            fdin: c_int,
            offin: *mut off_t,
            fdout: c_int,
            offout: *mut off_t,
            len: size_t,
            flags: c_uint,
            userdata: *mut c_void,
        ) -> libc::ssize_t,
    >,
    pub splice_send: Option<
        unsafe extern "C" fn(
            fdin: c_int,
            offin: *mut off_t,
            fdout: c_int,
            offout: *mut off_t,
            len: size_t,
            flags: c_uint,
            userdata: *mut c_void,
        ) -> libc::ssize_t,
    >,
    pub clone_fd: Option<unsafe extern "C" fn(master_fd: c_int) -> c_int>,
}

/// `struct fuse_cmdline_opts` (48 bytes; `fuse_parse_cmdline_30` fills 40).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fuse_cmdline_opts {
    pub singlethread: c_int,
    pub foreground: c_int,
    pub debug: c_int,
    pub nodefault_subtype: c_int,
    pub mountpoint: *mut c_char,
    pub show_version: c_int,
    pub show_help: c_int,
    pub clone_fd: c_int,
    pub max_idle_threads: c_uint,
    pub max_threads: c_uint,
}

/// `struct cuse_info`
#[repr(C)]
#[derive(Debug)]
pub struct cuse_info {
    pub dev_major: c_uint,
    pub dev_minor: c_uint,
    pub dev_info_argc: c_uint,
    pub dev_info_argv: *mut *const c_char,
    pub flags: c_uint,
}

/// `struct fuse_context` (high level, thread-local).
#[repr(C)]
#[derive(Debug)]
pub struct fuse_context {
    pub fuse: *mut fuse,
    pub uid: libc::uid_t,
    pub gid: gid_t,
    pub pid: libc::pid_t,
    pub private_data: *mut c_void,
    pub umask: mode_t,
}

/// `struct fuse_config`, 3.17+ layout (520 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fuse_config {
    pub set_gid: i32,
    pub gid: u32,
    pub set_uid: i32,
    pub uid: u32,
    pub set_mode: i32,
    pub umask: u32,
    pub entry_timeout: c_double,
    pub negative_timeout: c_double,
    pub attr_timeout: c_double,
    pub intr: i32,
    pub intr_signal: i32,
    pub remember: i32,
    pub hard_remove: i32,
    pub use_ino: i32,
    pub readdir_ino: i32,
    pub direct_io: i32,
    pub kernel_cache: i32,
    pub auto_cache: i32,
    pub ac_attr_timeout_set: i32,
    pub ac_attr_timeout: c_double,
    pub nullpath_ok: i32,
    pub show_help: i32,
    pub modules: *mut c_char,
    pub debug: i32,
    pub fmask: u32,
    pub dmask: u32,
    pub no_rofd_flush: i32,
    pub parallel_direct_writes: i32,
    pub flags: u32,
    pub reserved: [u64; 48],
}

/// `fuse_interrupt_func_t`
pub type fuse_interrupt_func_t = Option<unsafe extern "C" fn(req: fuse_req_t, data: *mut c_void)>;

/// `fuse_fill_dir_t`
pub type fuse_fill_dir_t = Option<
    unsafe extern "C" fn(
        buf: *mut c_void,
        name: *const c_char,
        stbuf: *const libc::stat,
        off: off_t,
        flags: fuse_fill_dir_flags,
    ) -> c_int,
>;

/// `fuse_module_factory_t`: what a high-level module registers with
/// `FUSE_REGISTER_MODULE`; `fs` is a NULL-terminated array.
pub type fuse_module_factory_t =
    Option<unsafe extern "C" fn(args: *mut fuse_args, fs: *mut *mut fuse_fs) -> *mut fuse_fs>;

/// `fuse_log_func_t` takes a `va_list`, which Rust cannot spell; callers of
/// this type live in `log.c`.
pub type fuse_log_func_t = Option<unsafe extern "C" fn()>;

type Req = fuse_req_t;
type Ino = fuse_ino_t;
type Fi = *mut fuse_file_info;
type Name = *const c_char;

/// `struct fuse_lowlevel_ops`: 46 slots (3.14 has the first 44).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct fuse_lowlevel_ops {
    pub init: Option<unsafe extern "C" fn(userdata: *mut c_void, conn: *mut fuse_conn_info)>,
    pub destroy: Option<unsafe extern "C" fn(userdata: *mut c_void)>,
    pub lookup: Option<unsafe extern "C" fn(Req, Ino, Name)>,
    pub forget: Option<unsafe extern "C" fn(Req, Ino, u64)>,
    pub getattr: Option<unsafe extern "C" fn(Req, Ino, Fi)>,
    pub setattr: Option<unsafe extern "C" fn(Req, Ino, *mut libc::stat, c_int, Fi)>,
    pub readlink: Option<unsafe extern "C" fn(Req, Ino)>,
    pub mknod: Option<unsafe extern "C" fn(Req, Ino, Name, mode_t, dev_t)>,
    pub mkdir: Option<unsafe extern "C" fn(Req, Ino, Name, mode_t)>,
    pub unlink: Option<unsafe extern "C" fn(Req, Ino, Name)>,
    pub rmdir: Option<unsafe extern "C" fn(Req, Ino, Name)>,
    pub symlink: Option<unsafe extern "C" fn(Req, Name, Ino, Name)>,
    pub rename: Option<unsafe extern "C" fn(Req, Ino, Name, Ino, Name, c_uint)>,
    pub link: Option<unsafe extern "C" fn(Req, Ino, Ino, Name)>,
    pub open: Option<unsafe extern "C" fn(Req, Ino, Fi)>,
    pub read: Option<unsafe extern "C" fn(Req, Ino, size_t, off_t, Fi)>,
    pub write: Option<unsafe extern "C" fn(Req, Ino, *const c_char, size_t, off_t, Fi)>,
    pub flush: Option<unsafe extern "C" fn(Req, Ino, Fi)>,
    pub release: Option<unsafe extern "C" fn(Req, Ino, Fi)>,
    pub fsync: Option<unsafe extern "C" fn(Req, Ino, c_int, Fi)>,
    pub opendir: Option<unsafe extern "C" fn(Req, Ino, Fi)>,
    pub readdir: Option<unsafe extern "C" fn(Req, Ino, size_t, off_t, Fi)>,
    pub releasedir: Option<unsafe extern "C" fn(Req, Ino, Fi)>,
    pub fsyncdir: Option<unsafe extern "C" fn(Req, Ino, c_int, Fi)>,
    pub statfs: Option<unsafe extern "C" fn(Req, Ino)>,
    pub setxattr: Option<unsafe extern "C" fn(Req, Ino, Name, *const c_char, size_t, c_int)>,
    pub getxattr: Option<unsafe extern "C" fn(Req, Ino, Name, size_t)>,
    pub listxattr: Option<unsafe extern "C" fn(Req, Ino, size_t)>,
    pub removexattr: Option<unsafe extern "C" fn(Req, Ino, Name)>,
    pub access: Option<unsafe extern "C" fn(Req, Ino, c_int)>,
    pub create: Option<unsafe extern "C" fn(Req, Ino, Name, mode_t, Fi)>,
    pub getlk: Option<unsafe extern "C" fn(Req, Ino, Fi, *mut libc::flock)>,
    pub setlk: Option<unsafe extern "C" fn(Req, Ino, Fi, *mut libc::flock, c_int)>,
    pub bmap: Option<unsafe extern "C" fn(Req, Ino, size_t, u64)>,
    #[allow(clippy::type_complexity)]
    pub ioctl: Option<
        unsafe extern "C" fn(
            Req,
            Ino,
            c_uint,
            *mut c_void,
            Fi,
            c_uint,
            *const c_void,
            size_t,
            size_t,
        ),
    >,
    pub poll: Option<unsafe extern "C" fn(Req, Ino, Fi, *mut fuse_pollhandle)>,
    pub write_buf: Option<unsafe extern "C" fn(Req, Ino, *mut fuse_bufvec, off_t, Fi)>,
    pub retrieve_reply:
        Option<unsafe extern "C" fn(Req, *mut c_void, Ino, off_t, *mut fuse_bufvec)>,
    pub forget_multi: Option<unsafe extern "C" fn(Req, size_t, *mut fuse_forget_data)>,
    pub flock: Option<unsafe extern "C" fn(Req, Ino, Fi, c_int)>,
    pub fallocate: Option<unsafe extern "C" fn(Req, Ino, c_int, off_t, off_t, Fi)>,
    pub readdirplus: Option<unsafe extern "C" fn(Req, Ino, size_t, off_t, Fi)>,
    #[allow(clippy::type_complexity)]
    pub copy_file_range:
        Option<unsafe extern "C" fn(Req, Ino, off_t, Fi, Ino, off_t, Fi, size_t, c_int)>,
    pub lseek: Option<unsafe extern "C" fn(Req, Ino, off_t, c_int, Fi)>,
    pub tmpfile: Option<unsafe extern "C" fn(Req, Ino, mode_t, Fi)>,
    pub statx: Option<unsafe extern "C" fn(Req, Ino, c_int, c_int, Fi)>,
}

type Path = *const c_char;

/// `struct fuse_operations`: 43 slots (3.14 has the first 42).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct fuse_operations {
    pub getattr: Option<unsafe extern "C" fn(Path, *mut libc::stat, Fi) -> c_int>,
    pub readlink: Option<unsafe extern "C" fn(Path, *mut c_char, size_t) -> c_int>,
    pub mknod: Option<unsafe extern "C" fn(Path, mode_t, dev_t) -> c_int>,
    pub mkdir: Option<unsafe extern "C" fn(Path, mode_t) -> c_int>,
    pub unlink: Option<unsafe extern "C" fn(Path) -> c_int>,
    pub rmdir: Option<unsafe extern "C" fn(Path) -> c_int>,
    pub symlink: Option<unsafe extern "C" fn(Path, Path) -> c_int>,
    pub rename: Option<unsafe extern "C" fn(Path, Path, c_uint) -> c_int>,
    pub link: Option<unsafe extern "C" fn(Path, Path) -> c_int>,
    pub chmod: Option<unsafe extern "C" fn(Path, mode_t, Fi) -> c_int>,
    pub chown: Option<unsafe extern "C" fn(Path, libc::uid_t, gid_t, Fi) -> c_int>,
    pub truncate: Option<unsafe extern "C" fn(Path, off_t, Fi) -> c_int>,
    pub open: Option<unsafe extern "C" fn(Path, Fi) -> c_int>,
    pub read: Option<unsafe extern "C" fn(Path, *mut c_char, size_t, off_t, Fi) -> c_int>,
    pub write: Option<unsafe extern "C" fn(Path, *const c_char, size_t, off_t, Fi) -> c_int>,
    pub statfs: Option<unsafe extern "C" fn(Path, *mut libc::statvfs) -> c_int>,
    pub flush: Option<unsafe extern "C" fn(Path, Fi) -> c_int>,
    pub release: Option<unsafe extern "C" fn(Path, Fi) -> c_int>,
    pub fsync: Option<unsafe extern "C" fn(Path, c_int, Fi) -> c_int>,
    pub setxattr: Option<unsafe extern "C" fn(Path, Name, *const c_char, size_t, c_int) -> c_int>,
    pub getxattr: Option<unsafe extern "C" fn(Path, Name, *mut c_char, size_t) -> c_int>,
    pub listxattr: Option<unsafe extern "C" fn(Path, *mut c_char, size_t) -> c_int>,
    pub removexattr: Option<unsafe extern "C" fn(Path, Name) -> c_int>,
    pub opendir: Option<unsafe extern "C" fn(Path, Fi) -> c_int>,
    #[allow(clippy::type_complexity)]
    pub readdir: Option<
        unsafe extern "C" fn(
            Path,
            *mut c_void,
            fuse_fill_dir_t,
            off_t,
            Fi,
            fuse_readdir_flags,
        ) -> c_int,
    >,
    pub releasedir: Option<unsafe extern "C" fn(Path, Fi) -> c_int>,
    pub fsyncdir: Option<unsafe extern "C" fn(Path, c_int, Fi) -> c_int>,
    pub init: Option<unsafe extern "C" fn(*mut fuse_conn_info, *mut fuse_config) -> *mut c_void>,
    pub destroy: Option<unsafe extern "C" fn(*mut c_void)>,
    pub access: Option<unsafe extern "C" fn(Path, c_int) -> c_int>,
    pub create: Option<unsafe extern "C" fn(Path, mode_t, Fi) -> c_int>,
    pub lock: Option<unsafe extern "C" fn(Path, Fi, c_int, *mut libc::flock) -> c_int>,
    pub utimens: Option<unsafe extern "C" fn(Path, *const libc::timespec, Fi) -> c_int>,
    pub bmap: Option<unsafe extern "C" fn(Path, size_t, *mut u64) -> c_int>,
    #[allow(clippy::type_complexity)]
    pub ioctl:
        Option<unsafe extern "C" fn(Path, c_uint, *mut c_void, Fi, c_uint, *mut c_void) -> c_int>,
    pub poll: Option<unsafe extern "C" fn(Path, Fi, *mut fuse_pollhandle, *mut c_uint) -> c_int>,
    pub write_buf: Option<unsafe extern "C" fn(Path, *mut fuse_bufvec, off_t, Fi) -> c_int>,
    pub read_buf:
        Option<unsafe extern "C" fn(Path, *mut *mut fuse_bufvec, size_t, off_t, Fi) -> c_int>,
    pub flock: Option<unsafe extern "C" fn(Path, Fi, c_int) -> c_int>,
    pub fallocate: Option<unsafe extern "C" fn(Path, c_int, off_t, off_t, Fi) -> c_int>,
    #[allow(clippy::type_complexity)]
    pub copy_file_range: Option<
        unsafe extern "C" fn(Path, Fi, off_t, Path, Fi, off_t, size_t, c_int) -> libc::ssize_t,
    >,
    pub lseek: Option<unsafe extern "C" fn(Path, off_t, c_int, Fi) -> off_t>,
    pub statx: Option<unsafe extern "C" fn(Path, c_int, c_int, *mut libc::statx, Fi) -> c_int>,
}

/// `struct cuse_lowlevel_ops`: 11 slots, the same in every version.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct cuse_lowlevel_ops {
    pub init: Option<unsafe extern "C" fn(userdata: *mut c_void, conn: *mut fuse_conn_info)>,
    pub init_done: Option<unsafe extern "C" fn(userdata: *mut c_void)>,
    pub destroy: Option<unsafe extern "C" fn(userdata: *mut c_void)>,
    pub open: Option<unsafe extern "C" fn(Req, Fi)>,
    pub read: Option<unsafe extern "C" fn(Req, size_t, off_t, Fi)>,
    pub write: Option<unsafe extern "C" fn(Req, *const c_char, size_t, off_t, Fi)>,
    pub flush: Option<unsafe extern "C" fn(Req, Fi)>,
    pub release: Option<unsafe extern "C" fn(Req, Fi)>,
    pub fsync: Option<unsafe extern "C" fn(Req, c_int, Fi)>,
    #[allow(clippy::type_complexity)]
    pub ioctl: Option<
        unsafe extern "C" fn(Req, c_int, *mut c_void, Fi, c_uint, *const c_void, size_t, size_t),
    >,
    pub poll: Option<unsafe extern "C" fn(Req, Fi, *mut fuse_pollhandle)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    // Figures from libfuse-abi.md §2 (3.18.3 column).
    #[test]
    fn sizes_match_libfuse_3_18() {
        assert_eq!(size_of::<fuse_lowlevel_ops>(), 368);
        assert_eq!(size_of::<fuse_operations>(), 344);
        assert_eq!(size_of::<cuse_lowlevel_ops>(), 88);
        assert_eq!(size_of::<fuse_file_info>(), 64);
        assert_eq!(size_of::<fuse_conn_info>(), 128);
        assert_eq!(size_of::<fuse_config>(), 520);
        assert_eq!(size_of::<fuse_entry_param>(), 176);
        assert_eq!(size_of::<fuse_ctx>(), 16);
        assert_eq!(size_of::<fuse_context>(), 40);
        assert_eq!(size_of::<fuse_buf>(), 48);
        assert_eq!(size_of::<fuse_bufvec>(), 72);
        assert_eq!(size_of::<fuse_args>(), 24);
        assert_eq!(size_of::<fuse_opt>(), 24);
        assert_eq!(size_of::<fuse_cmdline_opts>(), 48);
        assert_eq!(size_of::<fuse_loop_config_v1>(), 8);
        assert_eq!(size_of::<fuse_custom_io>(), 40);
        assert_eq!(size_of::<libfuse_version>(), 16);
        assert_eq!(size_of::<fuse_forget_data>(), 16);
        assert_eq!(size_of::<cuse_info>(), 32);
    }

    #[test]
    fn offsets_match_libfuse_3_18() {
        assert_eq!(offset_of!(fuse_lowlevel_ops, ioctl), 272);
        assert_eq!(offset_of!(fuse_lowlevel_ops, readdirplus), 328);
        assert_eq!(offset_of!(fuse_lowlevel_ops, copy_file_range), 336);
        assert_eq!(offset_of!(fuse_lowlevel_ops, lseek), 344);
        assert_eq!(offset_of!(fuse_lowlevel_ops, tmpfile), 352);
        assert_eq!(offset_of!(fuse_lowlevel_ops, statx), 360);
        assert_eq!(offset_of!(fuse_operations, init), 216);
        assert_eq!(offset_of!(fuse_operations, ioctl), 272);
        assert_eq!(offset_of!(fuse_operations, copy_file_range), 320);
        assert_eq!(offset_of!(fuse_operations, lseek), 328);
        assert_eq!(offset_of!(fuse_operations, statx), 336);
        assert_eq!(offset_of!(fuse_file_info, fh), 16);
        assert_eq!(offset_of!(fuse_file_info, lock_owner), 24);
        assert_eq!(offset_of!(fuse_file_info, poll_events), 32);
        assert_eq!(offset_of!(fuse_file_info, backing_id), 36);
        assert_eq!(offset_of!(fuse_file_info, compat_flags), 40);
        assert_eq!(offset_of!(fuse_file_info, reserved), 48);
        assert_eq!(offset_of!(fuse_conn_info, capable), 20);
        assert_eq!(offset_of!(fuse_conn_info, want), 24);
        assert_eq!(offset_of!(fuse_conn_info, time_gran), 36);
        assert_eq!(offset_of!(fuse_conn_info, max_backing_stack_depth), 40);
        assert_eq!(offset_of!(fuse_conn_info, bits), 44);
        assert_eq!(offset_of!(fuse_conn_info, capable_ext), 48);
        assert_eq!(offset_of!(fuse_conn_info, want_ext), 56);
        assert_eq!(offset_of!(fuse_conn_info, request_timeout), 64);
        assert_eq!(offset_of!(fuse_conn_info, reserved), 66);
        assert_eq!(offset_of!(fuse_config, use_ino), 64);
        assert_eq!(offset_of!(fuse_config, direct_io), 72);
        assert_eq!(offset_of!(fuse_config, auto_cache), 80);
        assert_eq!(offset_of!(fuse_config, ac_attr_timeout_set), 84);
        assert_eq!(offset_of!(fuse_config, ac_attr_timeout), 88);
        assert_eq!(offset_of!(fuse_config, nullpath_ok), 96);
        assert_eq!(offset_of!(fuse_config, show_help), 100);
        assert_eq!(offset_of!(fuse_config, modules), 104);
        assert_eq!(offset_of!(fuse_config, debug), 112);
        assert_eq!(offset_of!(fuse_config, no_rofd_flush), 124);
        assert_eq!(offset_of!(fuse_config, parallel_direct_writes), 128);
        assert_eq!(offset_of!(fuse_config, flags), 132);
        assert_eq!(offset_of!(fuse_config, reserved), 136);
        assert_eq!(offset_of!(fuse_entry_param, attr), 16);
        assert_eq!(offset_of!(fuse_entry_param, attr_timeout), 160);
        assert_eq!(offset_of!(fuse_entry_param, entry_timeout), 168);
        assert_eq!(offset_of!(fuse_context, private_data), 24);
        assert_eq!(offset_of!(fuse_context, umask), 32);
        assert_eq!(offset_of!(fuse_buf, flags), 8);
        assert_eq!(offset_of!(fuse_buf, mem), 16);
        assert_eq!(offset_of!(fuse_buf, fd), 24);
        assert_eq!(offset_of!(fuse_buf, pos), 32);
        assert_eq!(offset_of!(fuse_buf, mem_size), 40);
        assert_eq!(offset_of!(fuse_bufvec, buf), 24);
        assert_eq!(offset_of!(fuse_cmdline_opts, mountpoint), 16);
        assert_eq!(offset_of!(fuse_cmdline_opts, show_version), 24);
        assert_eq!(offset_of!(fuse_cmdline_opts, clone_fd), 32);
        assert_eq!(offset_of!(fuse_cmdline_opts, max_idle_threads), 36);
        assert_eq!(offset_of!(fuse_cmdline_opts, max_threads), 40);
        assert_eq!(offset_of!(fuse_custom_io, clone_fd), 32);
        assert_eq!(offset_of!(cuse_info, dev_info_argv), 16);
        assert_eq!(offset_of!(cuse_info, flags), 24);
    }
}
