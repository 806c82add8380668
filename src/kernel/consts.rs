//! The protocol's constants: versions, INIT flags, the per-request flag
//! words, notify codes, compat sizes, extension types, the /dev/fuse ioctls
//! and the io-uring command numbers. Names are the kernel's.
//!
//! Types: INIT flags are `u64` (the low 32 bits go in `flags`, the high 32
//! in `flags2`); the flag words of the structs are `u32` like their fields;
//! notify codes are `i32`, as they travel in `fuse_out_header::error`;
//! sizes are `usize`; ioctl request numbers are `u64` (cast to
//! `libc::Ioctl` at the call).

/// Major protocol version.
pub const FUSE_KERNEL_VERSION: u32 = 7;
/// The minor version these definitions describe.
pub const FUSE_KERNEL_MINOR_VERSION: u32 = 45;
/// Node id of the root directory.
pub const FUSE_ROOT_ID: u64 = 1;

// --- fuse_setattr_in.valid ---------------------------------------------------
pub const FATTR_MODE: u32 = 1 << 0;
pub const FATTR_UID: u32 = 1 << 1;
pub const FATTR_GID: u32 = 1 << 2;
pub const FATTR_SIZE: u32 = 1 << 3;
pub const FATTR_ATIME: u32 = 1 << 4;
pub const FATTR_MTIME: u32 = 1 << 5;
/// `fh` is valid (7.3).
pub const FATTR_FH: u32 = 1 << 6;
pub const FATTR_ATIME_NOW: u32 = 1 << 7;
pub const FATTR_MTIME_NOW: u32 = 1 << 8;
pub const FATTR_LOCKOWNER: u32 = 1 << 9;
pub const FATTR_CTIME: u32 = 1 << 10;
pub const FATTR_KILL_SUIDGID: u32 = 1 << 11;

// --- fuse_open_out.open_flags ------------------------------------------------
pub const FOPEN_DIRECT_IO: u32 = 1 << 0;
pub const FOPEN_KEEP_CACHE: u32 = 1 << 1;
pub const FOPEN_NONSEEKABLE: u32 = 1 << 2;
pub const FOPEN_CACHE_DIR: u32 = 1 << 3;
pub const FOPEN_STREAM: u32 = 1 << 4;
pub const FOPEN_NOFLUSH: u32 = 1 << 5;
pub const FOPEN_PARALLEL_DIRECT_WRITES: u32 = 1 << 6;
pub const FOPEN_PASSTHROUGH: u32 = 1 << 7;

// --- INIT flags (fuse_init_in/out.flags, and flags2 for bits 32..63) --------
pub const FUSE_ASYNC_READ: u64 = 1 << 0;
pub const FUSE_POSIX_LOCKS: u64 = 1 << 1;
pub const FUSE_FILE_OPS: u64 = 1 << 2;
pub const FUSE_ATOMIC_O_TRUNC: u64 = 1 << 3;
pub const FUSE_EXPORT_SUPPORT: u64 = 1 << 4;
pub const FUSE_BIG_WRITES: u64 = 1 << 5;
pub const FUSE_DONT_MASK: u64 = 1 << 6;
pub const FUSE_SPLICE_WRITE: u64 = 1 << 7;
pub const FUSE_SPLICE_MOVE: u64 = 1 << 8;
pub const FUSE_SPLICE_READ: u64 = 1 << 9;
pub const FUSE_FLOCK_LOCKS: u64 = 1 << 10;
pub const FUSE_HAS_IOCTL_DIR: u64 = 1 << 11;
pub const FUSE_AUTO_INVAL_DATA: u64 = 1 << 12;
pub const FUSE_DO_READDIRPLUS: u64 = 1 << 13;
pub const FUSE_READDIRPLUS_AUTO: u64 = 1 << 14;
pub const FUSE_ASYNC_DIO: u64 = 1 << 15;
pub const FUSE_WRITEBACK_CACHE: u64 = 1 << 16;
pub const FUSE_NO_OPEN_SUPPORT: u64 = 1 << 17;
pub const FUSE_PARALLEL_DIROPS: u64 = 1 << 18;
pub const FUSE_HANDLE_KILLPRIV: u64 = 1 << 19;
pub const FUSE_POSIX_ACL: u64 = 1 << 20;
pub const FUSE_ABORT_ERROR: u64 = 1 << 21;
pub const FUSE_MAX_PAGES: u64 = 1 << 22;
pub const FUSE_CACHE_SYMLINKS: u64 = 1 << 23;
pub const FUSE_NO_OPENDIR_SUPPORT: u64 = 1 << 24;
pub const FUSE_EXPLICIT_INVAL_DATA: u64 = 1 << 25;
pub const FUSE_MAP_ALIGNMENT: u64 = 1 << 26;
pub const FUSE_SUBMOUNTS: u64 = 1 << 27;
pub const FUSE_HANDLE_KILLPRIV_V2: u64 = 1 << 28;
pub const FUSE_SETXATTR_EXT: u64 = 1 << 29;
/// `flags2` and the long `fuse_init_in` are valid (7.36).
pub const FUSE_INIT_EXT: u64 = 1 << 30;
/// Reserved; never set. (In C this is `1 << 31`, an int; here its bit.)
pub const FUSE_INIT_RESERVED: u64 = 1 << 31;
pub const FUSE_SECURITY_CTX: u64 = 1 << 32;
pub const FUSE_HAS_INODE_DAX: u64 = 1 << 33;
pub const FUSE_CREATE_SUPP_GROUP: u64 = 1 << 34;
pub const FUSE_HAS_EXPIRE_ONLY: u64 = 1 << 35;
pub const FUSE_DIRECT_IO_ALLOW_MMAP: u64 = 1 << 36;
pub const FUSE_PASSTHROUGH: u64 = 1 << 37;
pub const FUSE_NO_EXPORT_SUPPORT: u64 = 1 << 38;
pub const FUSE_HAS_RESEND: u64 = 1 << 39;
/// Old name of `FUSE_DIRECT_IO_ALLOW_MMAP`.
pub const FUSE_DIRECT_IO_RELAX: u64 = FUSE_DIRECT_IO_ALLOW_MMAP;
pub const FUSE_ALLOW_IDMAP: u64 = 1 << 40;
pub const FUSE_OVER_IO_URING: u64 = 1 << 41;
pub const FUSE_REQUEST_TIMEOUT: u64 = 1 << 42;

// --- CUSE INIT flags ---------------------------------------------------------
pub const CUSE_UNRESTRICTED_IOCTL: u32 = 1 << 0;

// --- fuse_release_in.release_flags -------------------------------------------
pub const FUSE_RELEASE_FLUSH: u32 = 1 << 0;
pub const FUSE_RELEASE_FLOCK_UNLOCK: u32 = 1 << 1;

// --- fuse_getattr_in.getattr_flags (also fuse_statx_in) ----------------------
pub const FUSE_GETATTR_FH: u32 = 1 << 0;

// --- fuse_lk_in.lk_flags -----------------------------------------------------
pub const FUSE_LK_FLOCK: u32 = 1 << 0;

// --- fuse_write_in.write_flags -----------------------------------------------
/// A delayed write from the page cache; `fh` is a guess.
pub const FUSE_WRITE_CACHE: u32 = 1 << 0;
pub const FUSE_WRITE_LOCKOWNER: u32 = 1 << 1;
pub const FUSE_WRITE_KILL_SUIDGID: u32 = 1 << 2;
/// Old name of `FUSE_WRITE_KILL_SUIDGID`.
pub const FUSE_WRITE_KILL_PRIV: u32 = FUSE_WRITE_KILL_SUIDGID;

// --- fuse_read_in.read_flags -------------------------------------------------
pub const FUSE_READ_LOCKOWNER: u32 = 1 << 1;

// --- fuse_ioctl_in.flags / fuse_ioctl_out.flags ------------------------------
pub const FUSE_IOCTL_COMPAT: u32 = 1 << 0;
pub const FUSE_IOCTL_UNRESTRICTED: u32 = 1 << 1;
pub const FUSE_IOCTL_RETRY: u32 = 1 << 2;
pub const FUSE_IOCTL_32BIT: u32 = 1 << 3;
pub const FUSE_IOCTL_DIR: u32 = 1 << 4;
pub const FUSE_IOCTL_COMPAT_X32: u32 = 1 << 5;
/// Most input plus output iovecs an ioctl retry may ask for.
pub const FUSE_IOCTL_MAX_IOV: u32 = 256;

// --- fuse_poll_in.flags ------------------------------------------------------
pub const FUSE_POLL_SCHEDULE_NOTIFY: u32 = 1 << 0;

// --- fuse_fsync_in.fsync_flags -----------------------------------------------
pub const FUSE_FSYNC_FDATASYNC: u32 = 1 << 0;

// --- fuse_attr.flags ---------------------------------------------------------
pub const FUSE_ATTR_SUBMOUNT: u32 = 1 << 0;
pub const FUSE_ATTR_DAX: u32 = 1 << 1;

// --- fuse_open_in.open_flags / fuse_create_in.open_flags ---------------------
pub const FUSE_OPEN_KILL_SUIDGID: u32 = 1 << 0;

// --- fuse_setxattr_in.setxattr_flags -----------------------------------------
pub const FUSE_SETXATTR_ACL_KILL_SGID: u32 = 1 << 0;

// --- fuse_notify_inval_entry_out.flags ---------------------------------------
pub const FUSE_EXPIRE_ONLY: u32 = 1 << 0;

// --- enum fuse_ext_type ------------------------------------------------------
/// Extension types 0..=31 are security context headers (the type is their
/// count); this is the largest.
pub const FUSE_MAX_NR_SECCTX: u32 = 31;
/// Supplementary groups extension (`fuse_supp_groups`).
pub const FUSE_EXT_GROUPS: u32 = 32;

// --- enum fuse_notify_code ---------------------------------------------------
pub const FUSE_NOTIFY_POLL: i32 = 1;
pub const FUSE_NOTIFY_INVAL_INODE: i32 = 2;
pub const FUSE_NOTIFY_INVAL_ENTRY: i32 = 3;
pub const FUSE_NOTIFY_STORE: i32 = 4;
pub const FUSE_NOTIFY_RETRIEVE: i32 = 5;
pub const FUSE_NOTIFY_DELETE: i32 = 6;
/// No payload: asks the kernel to resend its pending requests (7.40).
pub const FUSE_NOTIFY_RESEND: i32 = 7;
/// No payload: bumps the connection's epoch, invalidating dentries (7.44).
pub const FUSE_NOTIFY_INC_EPOCH: i32 = 8;
/// In Linux's 7.45 header only (not libfuse 3.18's, which has the sentinel
/// `FUSE_NOTIFY_CODE_MAX` = 9 there): `fuse_notify_prune_out` plus node ids.
pub const FUSE_NOTIFY_PRUNE: i32 = 9;

// --- sizes -------------------------------------------------------------------
/// The smallest buffer a read of /dev/fuse may use.
pub const FUSE_MIN_READ_BUFFER: usize = 8192;
/// `fuse_entry_out` before 7.9 (no `attr.blksize`, `attr.flags`).
pub const FUSE_COMPAT_ENTRY_OUT_SIZE: usize = 120;
/// `fuse_attr_out` before 7.9.
pub const FUSE_COMPAT_ATTR_OUT_SIZE: usize = 96;
/// `fuse_mknod_in` before 7.12 (mode and rdev).
pub const FUSE_COMPAT_MKNOD_IN_SIZE: usize = 8;
/// `fuse_write_in` before 7.9 (up to `write_flags`).
pub const FUSE_COMPAT_WRITE_IN_SIZE: usize = 24;
/// `fuse_statfs_out` before 7.4 (no `frsize`, `padding`, `spare`).
pub const FUSE_COMPAT_STATFS_SIZE: usize = 48;
/// `fuse_setxattr_in` without `FUSE_SETXATTR_EXT` (size and flags).
pub const FUSE_COMPAT_SETXATTR_IN_SIZE: usize = 8;
/// `fuse_init_out` before 7.5 (major and minor).
pub const FUSE_COMPAT_INIT_OUT_SIZE: usize = 8;
/// `fuse_init_out` from 7.5 to 7.22 (up to `max_write`).
pub const FUSE_COMPAT_22_INIT_OUT_SIZE: usize = 24;
/// Longest CUSE device info string block.
pub const CUSE_INIT_INFO_MAX: usize = 4096;

// --- unique ids and credentials ----------------------------------------------
/// Set in `fuse_in_header::unique` of a request the kernel resends (7.40).
pub const FUSE_UNIQUE_RESEND: u64 = 1 << 63;
/// The uid/gid the kernel sends when an idmapped mount cannot map one.
pub const FUSE_INVALID_UIDGID: u32 = u32::MAX;

// --- DAX mappings (virtiofs) -------------------------------------------------
pub const FUSE_SETUPMAPPING_FLAG_WRITE: u64 = 1 << 0;
pub const FUSE_SETUPMAPPING_FLAG_READ: u64 = 1 << 1;

// --- /dev/fuse ioctls --------------------------------------------------------

// Linux's _IOC encoding. Most architectures use 2 direction bits above 14
// size bits; powerpc, mips and sparc use 3 above 13, with other values.
#[cfg(any(
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "sparc",
    target_arch = "sparc64"
))]
mod ioc {
    pub const SIZEBITS: u32 = 13;
    pub const READ: u64 = 2;
    pub const WRITE: u64 = 4;
}
#[cfg(not(any(
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "sparc",
    target_arch = "sparc64"
)))]
mod ioc {
    pub const SIZEBITS: u32 = 14;
    pub const READ: u64 = 2;
    pub const WRITE: u64 = 1;
}

/// `_IOC(dir, type, nr, size)`.
const fn ioc(dir: u64, ty: u32, nr: u32, size: usize) -> u64 {
    (dir << (16 + ioc::SIZEBITS)) | ((size as u64) << 16) | ((ty as u64) << 8) | nr as u64
}

/// The ioctl type byte of /dev/fuse.
pub const FUSE_DEV_IOC_MAGIC: u32 = 229;
/// `_IOR(229, 0, uint32_t)`: attach this fd (a fresh open of /dev/fuse) to
/// the session whose fd the u32 argument holds.
pub const FUSE_DEV_IOC_CLONE: u64 = ioc(ioc::READ, FUSE_DEV_IOC_MAGIC, 0, 4);
/// `_IOW(229, 1, struct fuse_backing_map)`: register a backing file for
/// passthrough; returns its id.
pub const FUSE_DEV_IOC_BACKING_OPEN: u64 = ioc(
    ioc::WRITE,
    FUSE_DEV_IOC_MAGIC,
    1,
    std::mem::size_of::<super::fuse_backing_map>(),
);
/// `_IOW(229, 2, uint32_t)`: drop a backing id.
pub const FUSE_DEV_IOC_BACKING_CLOSE: u64 = ioc(ioc::WRITE, FUSE_DEV_IOC_MAGIC, 2, 4);

// --- FUSE over io-uring --------------------------------------------------------
/// Room for the in/out header in `fuse_uring_req_header`.
pub const FUSE_URING_IN_OUT_HEADER_SZ: usize = 128;
/// Room for the opcode's argument struct in `fuse_uring_req_header`.
pub const FUSE_URING_OP_IN_OUT_SZ: usize = 128;
// enum fuse_uring_cmd: the SQE's cmd_op.
pub const FUSE_IO_URING_CMD_INVALID: u32 = 0;
/// Register an entry's buffers, then wait for a request.
pub const FUSE_IO_URING_CMD_REGISTER: u32 = 1;
/// Commit a reply, then wait for the next request.
pub const FUSE_IO_URING_CMD_COMMIT_AND_FETCH: u32 = 2;
