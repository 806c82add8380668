//! Every request and reply struct of protocol 7.45, with the kernel's struct
//! and field names. All are `repr(C)`, made only of integers (or arrays and
//! structs of them) and free of padding, so each is a [`WireStruct`]; the
//! layout tests below and `tests/kernel_layout.rs` (against the C header)
//! check that.
//!
//! Where a struct grew over the protocol's life, the comment says from which
//! minor version on it has its present size; `decode` zero-fills the missing
//! tail of shorter ones.

use super::WireStruct;

// ---------------------------------------------------------------------------
// Attributes and directory entries
// ---------------------------------------------------------------------------

/// `struct fuse_attr` (88 bytes; `flags` was `padding` before 7.32).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_attr {
    pub ino: u64,
    pub size: u64,
    pub blocks: u64,
    pub atime: u64,
    pub mtime: u64,
    pub ctime: u64,
    pub atimensec: u32,
    pub mtimensec: u32,
    pub ctimensec: u32,
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u32,
    pub blksize: u32,
    pub flags: u32,
}

/// `struct fuse_sx_time`: a timestamp as statx(2) gives it (16 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_sx_time {
    pub tv_sec: i64,
    pub tv_nsec: u32,
    pub __reserved: i32,
}

/// `struct fuse_statx`: statx(2)'s `struct statx`, bit for bit (256 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_statx {
    pub mask: u32,
    pub blksize: u32,
    pub attributes: u64,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub mode: u16,
    pub __spare0: [u16; 1],
    pub ino: u64,
    pub size: u64,
    pub blocks: u64,
    pub attributes_mask: u64,
    pub atime: fuse_sx_time,
    pub btime: fuse_sx_time,
    pub ctime: fuse_sx_time,
    pub mtime: fuse_sx_time,
    pub rdev_major: u32,
    pub rdev_minor: u32,
    pub dev_major: u32,
    pub dev_minor: u32,
    pub __spare2: [u64; 14],
}

/// `struct fuse_kstatfs` (80 bytes; `frsize` since 7.4).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_kstatfs {
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub bsize: u32,
    pub namelen: u32,
    pub frsize: u32,
    pub padding: u32,
    pub spare: [u32; 6],
}

/// `struct fuse_file_lock`: a POSIX lock range (`end` inclusive; `pid` is
/// the owner's thread group id).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_file_lock {
    pub start: u64,
    pub end: u64,
    pub type_: u32,
    pub pid: u32,
}

/// `struct fuse_entry_out` (128 bytes), the reply to LOOKUP and friends.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_entry_out {
    pub nodeid: u64,
    pub generation: u64,
    pub entry_valid: u64,
    pub attr_valid: u64,
    pub entry_valid_nsec: u32,
    pub attr_valid_nsec: u32,
    pub attr: fuse_attr,
}

/// `struct fuse_dirent` without its flexible `name[]` (24 bytes); the name
/// follows, and the record is padded with zeroes to a multiple of 8.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_dirent {
    pub ino: u64,
    pub off: u64,
    pub namelen: u32,
    /// `DT_*`: the file type bits of the mode, shifted right by 12.
    pub type_: u32,
}

/// `struct fuse_direntplus` without the name (152 bytes), a READDIRPLUS
/// record.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_direntplus {
    pub entry_out: fuse_entry_out,
    pub dirent: fuse_dirent,
}

// ---------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------

/// `struct fuse_in_header`: starts every request (40 bytes). `len` counts
/// the whole request; `total_extlen` (7.38, `padding` before) is the size of
/// the extension area at its end, in units of 8 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_in_header {
    pub len: u32,
    pub opcode: u32,
    pub unique: u64,
    pub nodeid: u64,
    pub uid: u32,
    pub gid: u32,
    pub pid: u32,
    pub total_extlen: u16,
    pub padding: u16,
}

/// `struct fuse_out_header`: starts every reply and notification (16
/// bytes). `error` is 0 or a negated errno for replies, the notify code for
/// notifications (whose `unique` is 0).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_out_header {
    pub len: u32,
    pub error: i32,
    pub unique: u64,
}

// ---------------------------------------------------------------------------
// INIT
// ---------------------------------------------------------------------------

/// `struct fuse_init_in` (64 bytes since 7.36; 16 bytes from 7.6 to 7.35,
/// 8 bytes before). `flags2` carries INIT flag bits 32..63 and is only
/// meaningful when `flags` has `FUSE_INIT_EXT`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_init_in {
    pub major: u32,
    pub minor: u32,
    pub max_readahead: u32,
    pub flags: u32,
    pub flags2: u32,
    pub unused: [u32; 11],
}

impl fuse_init_in {
    /// All 64 INIT flag bits the kernel offers: `flags`, plus `flags2`
    /// shifted up when `FUSE_INIT_EXT` says it is valid.
    pub fn all_flags(&self) -> u64 {
        let lo = self.flags as u64;
        if lo & super::FUSE_INIT_EXT != 0 {
            lo | (self.flags2 as u64) << 32
        } else {
            lo
        }
    }
}

/// `struct fuse_init_out` (64 bytes since 7.23; see
/// `FUSE_COMPAT_INIT_OUT_SIZE` and `FUSE_COMPAT_22_INIT_OUT_SIZE` for older
/// kernels). `max_stack_depth` since 7.40, `request_timeout` since 7.43.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_init_out {
    pub major: u32,
    pub minor: u32,
    pub max_readahead: u32,
    pub flags: u32,
    pub max_background: u16,
    pub congestion_threshold: u16,
    pub max_write: u32,
    pub time_gran: u32,
    pub max_pages: u16,
    pub map_alignment: u16,
    pub flags2: u32,
    pub max_stack_depth: u32,
    pub request_timeout: u16,
    pub unused: [u16; 11],
}

impl fuse_init_out {
    /// Stores 64 INIT flag bits: the low half in `flags`, the high half in
    /// `flags2` (the caller adds `FUSE_INIT_EXT` when the high half is used).
    pub fn set_all_flags(&mut self, flags: u64) {
        self.flags = flags as u32;
        self.flags2 = (flags >> 32) as u32;
    }
}

/// `struct cuse_init_in` (16 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct cuse_init_in {
    pub major: u32,
    pub minor: u32,
    pub unused: u32,
    pub flags: u32,
}

/// `struct cuse_init_out` (72 bytes); the device info strings follow.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct cuse_init_out {
    pub major: u32,
    pub minor: u32,
    pub unused: u32,
    pub flags: u32,
    pub max_read: u32,
    pub max_write: u32,
    pub dev_major: u32,
    pub dev_minor: u32,
    pub spare: [u32; 10],
}

// ---------------------------------------------------------------------------
// Inode operations
// ---------------------------------------------------------------------------

/// `struct fuse_forget_in` (8 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_forget_in {
    pub nlookup: u64,
}

/// `struct fuse_forget_one`: one record of BATCH_FORGET (16 bytes), the
/// same layout as libfuse's `struct fuse_forget_data`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_forget_one {
    pub nodeid: u64,
    pub nlookup: u64,
}

/// `struct fuse_batch_forget_in` (8 bytes); `count` records follow.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_batch_forget_in {
    pub count: u32,
    pub dummy: u32,
}

/// `struct fuse_getattr_in` (16 bytes; GETATTR had no argument before 7.9).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_getattr_in {
    pub getattr_flags: u32,
    pub dummy: u32,
    pub fh: u64,
}

/// `struct fuse_attr_out` (104 bytes; `FUSE_COMPAT_ATTR_OUT_SIZE` before
/// 7.9).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_attr_out {
    pub attr_valid: u64,
    pub attr_valid_nsec: u32,
    pub dummy: u32,
    pub attr: fuse_attr,
}

/// `struct fuse_statx_in` (24 bytes, 7.39).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_statx_in {
    pub getattr_flags: u32,
    pub reserved: u32,
    pub fh: u64,
    pub sx_flags: u32,
    pub sx_mask: u32,
}

/// `struct fuse_statx_out` (288 bytes, 7.39).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_statx_out {
    pub attr_valid: u64,
    pub attr_valid_nsec: u32,
    pub flags: u32,
    pub spare: [u64; 2],
    pub stat: fuse_statx,
}

/// `struct fuse_mknod_in` (16 bytes since 7.12, `FUSE_COMPAT_MKNOD_IN_SIZE`
/// before); the name follows.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_mknod_in {
    pub mode: u32,
    pub rdev: u32,
    pub umask: u32,
    pub padding: u32,
}

/// `struct fuse_mkdir_in` (8 bytes; `umask` was padding before 7.12); the
/// name follows.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_mkdir_in {
    pub mode: u32,
    pub umask: u32,
}

/// `struct fuse_rename_in` (8 bytes); the old and new names follow.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_rename_in {
    pub newdir: u64,
}

/// `struct fuse_rename2_in` (16 bytes, 7.23); the old and new names follow.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_rename2_in {
    pub newdir: u64,
    pub flags: u32,
    pub padding: u32,
}

/// `struct fuse_link_in` (8 bytes); the new name follows.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_link_in {
    pub oldnodeid: u64,
}

/// `struct fuse_setattr_in` (88 bytes); `valid` says which fields count
/// (`FATTR_*`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_setattr_in {
    pub valid: u32,
    pub padding: u32,
    pub fh: u64,
    pub size: u64,
    pub lock_owner: u64,
    pub atime: u64,
    pub mtime: u64,
    pub ctime: u64,
    pub atimensec: u32,
    pub mtimensec: u32,
    pub ctimensec: u32,
    pub mode: u32,
    pub unused4: u32,
    pub uid: u32,
    pub gid: u32,
    pub unused5: u32,
}

// ---------------------------------------------------------------------------
// File operations
// ---------------------------------------------------------------------------

/// `struct fuse_open_in` (8 bytes), for OPEN and OPENDIR.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_open_in {
    pub flags: u32,
    /// `FUSE_OPEN_*` (7.33; unused before).
    pub open_flags: u32,
}

/// `struct fuse_create_in` (16 bytes since 7.12; before, CREATE sent a
/// `fuse_open_in`); the name follows. Also TMPFILE's argument.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_create_in {
    pub flags: u32,
    pub mode: u32,
    pub umask: u32,
    pub open_flags: u32,
}

/// `struct fuse_open_out` (16 bytes; `backing_id` was padding before 7.40).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_open_out {
    pub fh: u64,
    /// `FOPEN_*`.
    pub open_flags: u32,
    pub backing_id: i32,
}

/// `struct fuse_release_in` (24 bytes since 7.8, 16 before), for RELEASE
/// and RELEASEDIR.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_release_in {
    pub fh: u64,
    pub flags: u32,
    pub release_flags: u32,
    pub lock_owner: u64,
}

/// `struct fuse_flush_in` (24 bytes since 7.7, 16 before).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_flush_in {
    pub fh: u64,
    pub unused: u32,
    pub padding: u32,
    pub lock_owner: u64,
}

/// `struct fuse_read_in` (40 bytes since 7.9, 24 before), for READ,
/// READDIR and READDIRPLUS.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_read_in {
    pub fh: u64,
    pub offset: u64,
    pub size: u32,
    pub read_flags: u32,
    pub lock_owner: u64,
    pub flags: u32,
    pub padding: u32,
}

/// `struct fuse_write_in` (40 bytes since 7.9, `FUSE_COMPAT_WRITE_IN_SIZE`
/// before); `size` bytes of data follow.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_write_in {
    pub fh: u64,
    pub offset: u64,
    pub size: u32,
    pub write_flags: u32,
    pub lock_owner: u64,
    pub flags: u32,
    pub padding: u32,
}

/// `struct fuse_write_out` (8 bytes), also COPY_FILE_RANGE's reply.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_write_out {
    pub size: u32,
    pub padding: u32,
}

/// `struct fuse_statfs_out` (80 bytes; `FUSE_COMPAT_STATFS_SIZE` before
/// 7.4).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_statfs_out {
    pub st: fuse_kstatfs,
}

/// `struct fuse_fsync_in` (16 bytes), for FSYNC and FSYNCDIR.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_fsync_in {
    pub fh: u64,
    pub fsync_flags: u32,
    pub padding: u32,
}

/// `struct fuse_setxattr_in` (16 bytes when `FUSE_SETXATTR_EXT` was
/// negotiated, else only its first `FUSE_COMPAT_SETXATTR_IN_SIZE` bytes are
/// sent); the name and `size` bytes of value follow.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_setxattr_in {
    pub size: u32,
    pub flags: u32,
    pub setxattr_flags: u32,
    pub padding: u32,
}

/// `struct fuse_getxattr_in` (8 bytes), for GETXATTR (name follows) and
/// LISTXATTR.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_getxattr_in {
    pub size: u32,
    pub padding: u32,
}

/// `struct fuse_getxattr_out` (8 bytes): the size a value or list needs.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_getxattr_out {
    pub size: u32,
    pub padding: u32,
}

/// `struct fuse_lk_in` (48 bytes since 7.9, 40 before), for GETLK, SETLK
/// and SETLKW.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_lk_in {
    pub fh: u64,
    pub owner: u64,
    pub lk: fuse_file_lock,
    /// `FUSE_LK_FLOCK` when the lock is a flock(2) one.
    pub lk_flags: u32,
    pub padding: u32,
}

/// `struct fuse_lk_out` (24 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_lk_out {
    pub lk: fuse_file_lock,
}

/// `struct fuse_access_in` (8 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_access_in {
    pub mask: u32,
    pub padding: u32,
}

/// `struct fuse_interrupt_in` (8 bytes): which request to interrupt.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_interrupt_in {
    pub unique: u64,
}

/// `struct fuse_bmap_in` (16 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_bmap_in {
    pub block: u64,
    pub blocksize: u32,
    pub padding: u32,
}

/// `struct fuse_bmap_out` (8 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_bmap_out {
    pub block: u64,
}

/// `struct fuse_ioctl_in` (32 bytes); `in_size` bytes of input follow.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_ioctl_in {
    pub fh: u64,
    pub flags: u32,
    pub cmd: u32,
    pub arg: u64,
    pub in_size: u32,
    pub out_size: u32,
}

/// `struct fuse_ioctl_iovec` (16 bytes): a buffer in the caller's address
/// space, for an unrestricted ioctl's retry.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_ioctl_iovec {
    pub base: u64,
    pub len: u64,
}

/// `struct fuse_ioctl_out` (16 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_ioctl_out {
    pub result: i32,
    pub flags: u32,
    pub in_iovs: u32,
    pub out_iovs: u32,
}

/// `struct fuse_poll_in` (24 bytes; `events` was padding before 7.21).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_poll_in {
    pub fh: u64,
    /// The kernel's handle, for `FUSE_NOTIFY_POLL`.
    pub kh: u64,
    pub flags: u32,
    pub events: u32,
}

/// `struct fuse_poll_out` (8 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_poll_out {
    pub revents: u32,
    pub padding: u32,
}

/// `struct fuse_fallocate_in` (32 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_fallocate_in {
    pub fh: u64,
    pub offset: u64,
    pub length: u64,
    pub mode: u32,
    pub padding: u32,
}

/// `struct fuse_lseek_in` (24 bytes); `offset` is really a signed loff_t.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_lseek_in {
    pub fh: u64,
    pub offset: u64,
    pub whence: u32,
    pub padding: u32,
}

/// `struct fuse_lseek_out` (8 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_lseek_out {
    pub offset: u64,
}

/// `struct fuse_copy_file_range_in` (56 bytes), for COPY_FILE_RANGE and
/// COPY_FILE_RANGE_64.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_copy_file_range_in {
    pub fh_in: u64,
    pub off_in: u64,
    pub nodeid_out: u64,
    pub fh_out: u64,
    pub off_out: u64,
    pub len: u64,
    pub flags: u64,
}

/// `struct fuse_copy_file_range_out` (8 bytes, 7.45): COPY_FILE_RANGE_64's
/// reply.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_copy_file_range_out {
    pub bytes_copied: u64,
}

/// `struct fuse_setupmapping_in` (40 bytes): DAX mapping (virtiofs only).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_setupmapping_in {
    pub fh: u64,
    pub foffset: u64,
    pub len: u64,
    /// `FUSE_SETUPMAPPING_FLAG_*`.
    pub flags: u64,
    pub moffset: u64,
}

/// `struct fuse_removemapping_in` (4 bytes): how many
/// `fuse_removemapping_one` follow (virtiofs only).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_removemapping_in {
    pub count: u32,
}

/// `struct fuse_removemapping_one` (16 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_removemapping_one {
    pub moffset: u64,
    pub len: u64,
}

/// `struct fuse_syncfs_in` (8 bytes, 7.34).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_syncfs_in {
    pub padding: u64,
}

// ---------------------------------------------------------------------------
// Notifications (server to kernel) and the retrieve reply
// ---------------------------------------------------------------------------

/// `struct fuse_notify_poll_wakeup_out` (8 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_notify_poll_wakeup_out {
    pub kh: u64,
}

/// `struct fuse_notify_inval_inode_out` (24 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_notify_inval_inode_out {
    pub ino: u64,
    pub off: i64,
    pub len: i64,
}

/// `struct fuse_notify_inval_entry_out` (16 bytes); the name and a NUL
/// follow. `flags` (`FUSE_EXPIRE_ONLY`) was padding before 7.38.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_notify_inval_entry_out {
    pub parent: u64,
    pub namelen: u32,
    pub flags: u32,
}

/// `struct fuse_notify_delete_out` (24 bytes); the name and a NUL follow.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_notify_delete_out {
    pub parent: u64,
    pub child: u64,
    pub namelen: u32,
    pub padding: u32,
}

/// `struct fuse_notify_store_out` (24 bytes); `size` bytes of data follow.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_notify_store_out {
    pub nodeid: u64,
    pub offset: u64,
    pub size: u32,
    pub padding: u32,
}

/// `struct fuse_notify_retrieve_out` (32 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_notify_retrieve_out {
    pub notify_unique: u64,
    pub nodeid: u64,
    pub offset: u64,
    pub size: u32,
    pub padding: u32,
}

/// `struct fuse_notify_retrieve_in` (40 bytes, as large as
/// `fuse_write_in`): the argument of the kernel's NOTIFY_REPLY request;
/// `size` bytes of data follow.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_notify_retrieve_in {
    pub dummy1: u64,
    pub offset: u64,
    pub size: u32,
    pub dummy2: u32,
    pub dummy3: u64,
    pub dummy4: u64,
}

/// `struct fuse_notify_prune_out` (16 bytes): Linux's 7.45 header has it
/// (with `FUSE_NOTIFY_PRUNE`), libfuse 3.18's copy does not; `count` node
/// ids (u64) follow.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_notify_prune_out {
    pub count: u32,
    pub padding: u32,
    pub spare: u64,
}

// ---------------------------------------------------------------------------
// Passthrough, extensions
// ---------------------------------------------------------------------------

/// `struct fuse_backing_map` (16 bytes), the argument of
/// `FUSE_DEV_IOC_BACKING_OPEN`; `flags` and `padding` must be 0.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_backing_map {
    pub fd: i32,
    pub flags: u32,
    pub padding: u64,
}

/// `struct fuse_secctx` (8 bytes): one security context; its
/// NUL-terminated name and then `size` bytes of context follow, the whole
/// padded to a multiple of 8.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_secctx {
    pub size: u32,
    pub padding: u32,
}

/// `struct fuse_secctx_header` (8 bytes): starts the security context
/// extension; `size` covers the whole extension, header included. It
/// doubles as a `fuse_ext_header` whose type is `nr_secctx` (at most
/// `FUSE_MAX_NR_SECCTX`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_secctx_header {
    pub size: u32,
    pub nr_secctx: u32,
}

/// `struct fuse_ext_header` (8 bytes, 7.38): starts each request extension;
/// `size` includes the header.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_ext_header {
    pub size: u32,
    pub type_: u32,
}

/// `struct fuse_supp_groups` without its flexible `groups[]` (4 bytes):
/// the body of a `FUSE_EXT_GROUPS` extension; `nr_groups` u32 group ids
/// follow.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_supp_groups {
    pub nr_groups: u32,
}

// ---------------------------------------------------------------------------
// FUSE over io-uring (7.42)
// ---------------------------------------------------------------------------

/// `struct fuse_uring_ent_in_out` (32 bytes): the ring entry's own part of
/// the request header buffer.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_uring_ent_in_out {
    pub flags: u64,
    /// Echoed back in `fuse_uring_cmd_req::commit_id` when committing.
    pub commit_id: u64,
    /// Bytes valid in the payload buffer (both directions).
    pub payload_sz: u32,
    pub padding: u32,
    pub reserved: u64,
}

/// `struct fuse_uring_req_header` (288 bytes): the header buffer of a ring
/// entry: room for the in/out header, for the opcode's own struct, and the
/// entry's `fuse_uring_ent_in_out`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct fuse_uring_req_header {
    /// `fuse_in_header` on fetch, `fuse_out_header` on commit.
    pub in_out: [u8; super::FUSE_URING_IN_OUT_HEADER_SZ],
    /// The opcode's argument struct (e.g. `fuse_read_in`).
    pub op_in: [u8; super::FUSE_URING_OP_IN_OUT_SZ],
    pub ring_ent_in_out: fuse_uring_ent_in_out,
}

impl Default for fuse_uring_req_header {
    fn default() -> Self {
        Self {
            in_out: [0; super::FUSE_URING_IN_OUT_HEADER_SZ],
            op_in: [0; super::FUSE_URING_OP_IN_OUT_SZ],
            ring_ent_in_out: fuse_uring_ent_in_out::default(),
        }
    }
}

/// `struct fuse_uring_cmd_req` (24 bytes): the command area of an
/// `IORING_OP_URING_CMD` SQE (which needs `IORING_SETUP_SQE128`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct fuse_uring_cmd_req {
    pub flags: u64,
    /// 0 for REGISTER; the entry's `commit_id` for COMMIT_AND_FETCH.
    pub commit_id: u64,
    /// Queue index.
    pub qid: u16,
    pub padding: [u8; 6],
}

macro_rules! wire_structs {
    ($($t:ty),* $(,)?) => {
        $(
            // SAFETY: repr(C), only integer fields (or arrays and structs
            // of them), no padding: the layout tests check each size is the
            // sum of its fields.
            unsafe impl WireStruct for $t {}
        )*
    };
}

wire_structs!(
    fuse_attr,
    fuse_sx_time,
    fuse_statx,
    fuse_kstatfs,
    fuse_file_lock,
    fuse_entry_out,
    fuse_dirent,
    fuse_direntplus,
    fuse_in_header,
    fuse_out_header,
    fuse_init_in,
    fuse_init_out,
    cuse_init_in,
    cuse_init_out,
    fuse_forget_in,
    fuse_forget_one,
    fuse_batch_forget_in,
    fuse_getattr_in,
    fuse_attr_out,
    fuse_statx_in,
    fuse_statx_out,
    fuse_mknod_in,
    fuse_mkdir_in,
    fuse_rename_in,
    fuse_rename2_in,
    fuse_link_in,
    fuse_setattr_in,
    fuse_open_in,
    fuse_create_in,
    fuse_open_out,
    fuse_release_in,
    fuse_flush_in,
    fuse_read_in,
    fuse_write_in,
    fuse_write_out,
    fuse_statfs_out,
    fuse_fsync_in,
    fuse_setxattr_in,
    fuse_getxattr_in,
    fuse_getxattr_out,
    fuse_lk_in,
    fuse_lk_out,
    fuse_access_in,
    fuse_interrupt_in,
    fuse_bmap_in,
    fuse_bmap_out,
    fuse_ioctl_in,
    fuse_ioctl_iovec,
    fuse_ioctl_out,
    fuse_poll_in,
    fuse_poll_out,
    fuse_fallocate_in,
    fuse_lseek_in,
    fuse_lseek_out,
    fuse_copy_file_range_in,
    fuse_copy_file_range_out,
    fuse_setupmapping_in,
    fuse_removemapping_in,
    fuse_removemapping_one,
    fuse_syncfs_in,
    fuse_notify_poll_wakeup_out,
    fuse_notify_inval_inode_out,
    fuse_notify_inval_entry_out,
    fuse_notify_delete_out,
    fuse_notify_store_out,
    fuse_notify_retrieve_out,
    fuse_notify_retrieve_in,
    fuse_notify_prune_out,
    fuse_backing_map,
    fuse_secctx,
    fuse_secctx_header,
    fuse_ext_header,
    fuse_supp_groups,
    fuse_uring_ent_in_out,
    fuse_uring_req_header,
    fuse_uring_cmd_req,
);
