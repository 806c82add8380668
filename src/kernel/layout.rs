//! The layout table: every struct's size and field offsets and every
//! constant's value, keyed the way a C probe against fuse_kernel.h prints
//! them (`sizeof(fuse_attr)`, `offsetof(fuse_attr, ino)`,
//! `sizeof(fuse_attr.ino)`, `FUSE_LOOKUP`). `tests/kernel_layout.rs`
//! compares it with `capi-tests/kernel_layout.c` compiled against libfuse
//! 3.18's header; the unit tests here check that each struct has no
//! padding and the size the header gives, and that the table lists
//! everything this module defines.

use std::mem::{offset_of, size_of, size_of_val};

use super::*;

/// One struct: its size, the size the kernel header gives, and its fields
/// (C name, offset, size) in declaration order.
#[doc(hidden)]
pub struct StructLayout {
    pub name: &'static str,
    pub size: usize,
    pub expected_size: usize,
    pub fields: Vec<(&'static str, usize, usize)>,
}

macro_rules! cname {
    ($f:ident) => {
        stringify!($f)
    };
    ($f:ident, $c:literal) => {
        $c
    };
}

macro_rules! structs {
    ($($t:ident = $size:literal { $($f:ident $(as $c:literal)?),* $(,)? })*) => {
        /// Every wire struct's layout.
        #[doc(hidden)]
        pub fn struct_layouts() -> Vec<StructLayout> {
            vec![$(
                StructLayout {
                    name: stringify!($t),
                    size: size_of::<$t>(),
                    expected_size: $size,
                    fields: {
                        let v = <$t>::default();
                        vec![$(
                            (cname!($f $(, $c)?), offset_of!($t, $f), size_of_val(&v.$f)),
                        )*]
                    },
                },
            )*]
        }
    };
}

macro_rules! constants {
    ($($c:ident),* $(,)?) => {
        /// Every constant's name and value (as u64; all are non-negative).
        #[doc(hidden)]
        pub fn constants() -> Vec<(&'static str, u64)> {
            vec![$((stringify!($c), $c as u64)),*]
        }
    };
}

constants!(
    FUSE_KERNEL_VERSION,
    FUSE_KERNEL_MINOR_VERSION,
    FUSE_ROOT_ID,
    FATTR_MODE,
    FATTR_UID,
    FATTR_GID,
    FATTR_SIZE,
    FATTR_ATIME,
    FATTR_MTIME,
    FATTR_FH,
    FATTR_ATIME_NOW,
    FATTR_MTIME_NOW,
    FATTR_LOCKOWNER,
    FATTR_CTIME,
    FATTR_KILL_SUIDGID,
    FOPEN_DIRECT_IO,
    FOPEN_KEEP_CACHE,
    FOPEN_NONSEEKABLE,
    FOPEN_CACHE_DIR,
    FOPEN_STREAM,
    FOPEN_NOFLUSH,
    FOPEN_PARALLEL_DIRECT_WRITES,
    FOPEN_PASSTHROUGH,
    FUSE_ASYNC_READ,
    FUSE_POSIX_LOCKS,
    FUSE_FILE_OPS,
    FUSE_ATOMIC_O_TRUNC,
    FUSE_EXPORT_SUPPORT,
    FUSE_BIG_WRITES,
    FUSE_DONT_MASK,
    FUSE_SPLICE_WRITE,
    FUSE_SPLICE_MOVE,
    FUSE_SPLICE_READ,
    FUSE_FLOCK_LOCKS,
    FUSE_HAS_IOCTL_DIR,
    FUSE_AUTO_INVAL_DATA,
    FUSE_DO_READDIRPLUS,
    FUSE_READDIRPLUS_AUTO,
    FUSE_ASYNC_DIO,
    FUSE_WRITEBACK_CACHE,
    FUSE_NO_OPEN_SUPPORT,
    FUSE_PARALLEL_DIROPS,
    FUSE_HANDLE_KILLPRIV,
    FUSE_POSIX_ACL,
    FUSE_ABORT_ERROR,
    FUSE_MAX_PAGES,
    FUSE_CACHE_SYMLINKS,
    FUSE_NO_OPENDIR_SUPPORT,
    FUSE_EXPLICIT_INVAL_DATA,
    FUSE_MAP_ALIGNMENT,
    FUSE_SUBMOUNTS,
    FUSE_HANDLE_KILLPRIV_V2,
    FUSE_SETXATTR_EXT,
    FUSE_INIT_EXT,
    FUSE_INIT_RESERVED,
    FUSE_SECURITY_CTX,
    FUSE_HAS_INODE_DAX,
    FUSE_CREATE_SUPP_GROUP,
    FUSE_HAS_EXPIRE_ONLY,
    FUSE_DIRECT_IO_ALLOW_MMAP,
    FUSE_PASSTHROUGH,
    FUSE_NO_EXPORT_SUPPORT,
    FUSE_HAS_RESEND,
    FUSE_DIRECT_IO_RELAX,
    FUSE_ALLOW_IDMAP,
    FUSE_OVER_IO_URING,
    FUSE_REQUEST_TIMEOUT,
    CUSE_UNRESTRICTED_IOCTL,
    FUSE_RELEASE_FLUSH,
    FUSE_RELEASE_FLOCK_UNLOCK,
    FUSE_GETATTR_FH,
    FUSE_LK_FLOCK,
    FUSE_WRITE_CACHE,
    FUSE_WRITE_LOCKOWNER,
    FUSE_WRITE_KILL_SUIDGID,
    FUSE_WRITE_KILL_PRIV,
    FUSE_READ_LOCKOWNER,
    FUSE_IOCTL_COMPAT,
    FUSE_IOCTL_UNRESTRICTED,
    FUSE_IOCTL_RETRY,
    FUSE_IOCTL_32BIT,
    FUSE_IOCTL_DIR,
    FUSE_IOCTL_COMPAT_X32,
    FUSE_IOCTL_MAX_IOV,
    FUSE_POLL_SCHEDULE_NOTIFY,
    FUSE_FSYNC_FDATASYNC,
    FUSE_ATTR_SUBMOUNT,
    FUSE_ATTR_DAX,
    FUSE_OPEN_KILL_SUIDGID,
    FUSE_SETXATTR_ACL_KILL_SGID,
    FUSE_EXPIRE_ONLY,
    FUSE_MAX_NR_SECCTX,
    FUSE_EXT_GROUPS,
    FUSE_NOTIFY_POLL,
    FUSE_NOTIFY_INVAL_INODE,
    FUSE_NOTIFY_INVAL_ENTRY,
    FUSE_NOTIFY_STORE,
    FUSE_NOTIFY_RETRIEVE,
    FUSE_NOTIFY_DELETE,
    FUSE_NOTIFY_RESEND,
    FUSE_NOTIFY_INC_EPOCH,
    FUSE_NOTIFY_PRUNE,
    FUSE_MIN_READ_BUFFER,
    FUSE_COMPAT_ENTRY_OUT_SIZE,
    FUSE_COMPAT_ATTR_OUT_SIZE,
    FUSE_COMPAT_MKNOD_IN_SIZE,
    FUSE_COMPAT_WRITE_IN_SIZE,
    FUSE_COMPAT_STATFS_SIZE,
    FUSE_COMPAT_SETXATTR_IN_SIZE,
    FUSE_COMPAT_INIT_OUT_SIZE,
    FUSE_COMPAT_22_INIT_OUT_SIZE,
    CUSE_INIT_INFO_MAX,
    FUSE_UNIQUE_RESEND,
    FUSE_INVALID_UIDGID,
    FUSE_SETUPMAPPING_FLAG_WRITE,
    FUSE_SETUPMAPPING_FLAG_READ,
    FUSE_DEV_IOC_MAGIC,
    FUSE_DEV_IOC_CLONE,
    FUSE_DEV_IOC_BACKING_OPEN,
    FUSE_DEV_IOC_BACKING_CLOSE,
    FUSE_URING_IN_OUT_HEADER_SZ,
    FUSE_URING_OP_IN_OUT_SZ,
    FUSE_IO_URING_CMD_INVALID,
    FUSE_IO_URING_CMD_REGISTER,
    FUSE_IO_URING_CMD_COMMIT_AND_FETCH,
    FUSE_LOOKUP,
    FUSE_FORGET,
    FUSE_GETATTR,
    FUSE_SETATTR,
    FUSE_READLINK,
    FUSE_SYMLINK,
    FUSE_MKNOD,
    FUSE_MKDIR,
    FUSE_UNLINK,
    FUSE_RMDIR,
    FUSE_RENAME,
    FUSE_LINK,
    FUSE_OPEN,
    FUSE_READ,
    FUSE_WRITE,
    FUSE_STATFS,
    FUSE_RELEASE,
    FUSE_FSYNC,
    FUSE_SETXATTR,
    FUSE_GETXATTR,
    FUSE_LISTXATTR,
    FUSE_REMOVEXATTR,
    FUSE_FLUSH,
    FUSE_INIT,
    FUSE_OPENDIR,
    FUSE_READDIR,
    FUSE_RELEASEDIR,
    FUSE_FSYNCDIR,
    FUSE_GETLK,
    FUSE_SETLK,
    FUSE_SETLKW,
    FUSE_ACCESS,
    FUSE_CREATE,
    FUSE_INTERRUPT,
    FUSE_BMAP,
    FUSE_DESTROY,
    FUSE_IOCTL,
    FUSE_POLL,
    FUSE_NOTIFY_REPLY,
    FUSE_BATCH_FORGET,
    FUSE_FALLOCATE,
    FUSE_READDIRPLUS,
    FUSE_RENAME2,
    FUSE_LSEEK,
    FUSE_COPY_FILE_RANGE,
    FUSE_SETUPMAPPING,
    FUSE_REMOVEMAPPING,
    FUSE_SYNCFS,
    FUSE_TMPFILE,
    FUSE_STATX,
    FUSE_COPY_FILE_RANGE_64,
    CUSE_INIT,
    CUSE_INIT_BSWAP_RESERVED,
    FUSE_INIT_BSWAP_RESERVED,
    FUSE_NAME_OFFSET,
    FUSE_NAME_OFFSET_DIRENTPLUS,
);

structs! {
    fuse_attr = 88 { ino, size, blocks, atime, mtime, ctime, atimensec, mtimensec, ctimensec, mode, nlink, uid, gid, rdev, blksize, flags }
    fuse_sx_time = 16 { tv_sec, tv_nsec, __reserved }
    fuse_statx = 256 { mask, blksize, attributes, nlink, uid, gid, mode, __spare0, ino, size, blocks, attributes_mask, atime, btime, ctime, mtime, rdev_major, rdev_minor, dev_major, dev_minor, __spare2 }
    fuse_kstatfs = 80 { blocks, bfree, bavail, files, ffree, bsize, namelen, frsize, padding, spare }
    fuse_file_lock = 24 { start, end, type_ as "type", pid }
    fuse_entry_out = 128 { nodeid, generation, entry_valid, attr_valid, entry_valid_nsec, attr_valid_nsec, attr }
    fuse_dirent = 24 { ino, off, namelen, type_ as "type" }
    fuse_direntplus = 152 { entry_out, dirent }
    fuse_in_header = 40 { len, opcode, unique, nodeid, uid, gid, pid, total_extlen, padding }
    fuse_out_header = 16 { len, error, unique }
    fuse_init_in = 64 { major, minor, max_readahead, flags, flags2, unused }
    fuse_init_out = 64 { major, minor, max_readahead, flags, max_background, congestion_threshold, max_write, time_gran, max_pages, map_alignment, flags2, max_stack_depth, request_timeout, unused }
    cuse_init_in = 16 { major, minor, unused, flags }
    cuse_init_out = 72 { major, minor, unused, flags, max_read, max_write, dev_major, dev_minor, spare }
    fuse_forget_in = 8 { nlookup }
    fuse_forget_one = 16 { nodeid, nlookup }
    fuse_batch_forget_in = 8 { count, dummy }
    fuse_getattr_in = 16 { getattr_flags, dummy, fh }
    fuse_attr_out = 104 { attr_valid, attr_valid_nsec, dummy, attr }
    fuse_statx_in = 24 { getattr_flags, reserved, fh, sx_flags, sx_mask }
    fuse_statx_out = 288 { attr_valid, attr_valid_nsec, flags, spare, stat }
    fuse_mknod_in = 16 { mode, rdev, umask, padding }
    fuse_mkdir_in = 8 { mode, umask }
    fuse_rename_in = 8 { newdir }
    fuse_rename2_in = 16 { newdir, flags, padding }
    fuse_link_in = 8 { oldnodeid }
    fuse_setattr_in = 88 { valid, padding, fh, size, lock_owner, atime, mtime, ctime, atimensec, mtimensec, ctimensec, mode, unused4, uid, gid, unused5 }
    fuse_open_in = 8 { flags, open_flags }
    fuse_create_in = 16 { flags, mode, umask, open_flags }
    fuse_open_out = 16 { fh, open_flags, backing_id }
    fuse_release_in = 24 { fh, flags, release_flags, lock_owner }
    fuse_flush_in = 24 { fh, unused, padding, lock_owner }
    fuse_read_in = 40 { fh, offset, size, read_flags, lock_owner, flags, padding }
    fuse_write_in = 40 { fh, offset, size, write_flags, lock_owner, flags, padding }
    fuse_write_out = 8 { size, padding }
    fuse_statfs_out = 80 { st }
    fuse_fsync_in = 16 { fh, fsync_flags, padding }
    fuse_setxattr_in = 16 { size, flags, setxattr_flags, padding }
    fuse_getxattr_in = 8 { size, padding }
    fuse_getxattr_out = 8 { size, padding }
    fuse_lk_in = 48 { fh, owner, lk, lk_flags, padding }
    fuse_lk_out = 24 { lk }
    fuse_access_in = 8 { mask, padding }
    fuse_interrupt_in = 8 { unique }
    fuse_bmap_in = 16 { block, blocksize, padding }
    fuse_bmap_out = 8 { block }
    fuse_ioctl_in = 32 { fh, flags, cmd, arg, in_size, out_size }
    fuse_ioctl_iovec = 16 { base, len }
    fuse_ioctl_out = 16 { result, flags, in_iovs, out_iovs }
    fuse_poll_in = 24 { fh, kh, flags, events }
    fuse_poll_out = 8 { revents, padding }
    fuse_fallocate_in = 32 { fh, offset, length, mode, padding }
    fuse_lseek_in = 24 { fh, offset, whence, padding }
    fuse_lseek_out = 8 { offset }
    fuse_copy_file_range_in = 56 { fh_in, off_in, nodeid_out, fh_out, off_out, len, flags }
    fuse_copy_file_range_out = 8 { bytes_copied }
    fuse_setupmapping_in = 40 { fh, foffset, len, flags, moffset }
    fuse_removemapping_in = 4 { count }
    fuse_removemapping_one = 16 { moffset, len }
    fuse_syncfs_in = 8 { padding }
    fuse_notify_poll_wakeup_out = 8 { kh }
    fuse_notify_inval_inode_out = 24 { ino, off, len }
    fuse_notify_inval_entry_out = 16 { parent, namelen, flags }
    fuse_notify_delete_out = 24 { parent, child, namelen, padding }
    fuse_notify_store_out = 24 { nodeid, offset, size, padding }
    fuse_notify_retrieve_out = 32 { notify_unique, nodeid, offset, size, padding }
    fuse_notify_retrieve_in = 40 { dummy1, offset, size, dummy2, dummy3, dummy4 }
    fuse_notify_prune_out = 16 { count, padding, spare }
    fuse_backing_map = 16 { fd, flags, padding }
    fuse_secctx = 8 { size, padding }
    fuse_secctx_header = 8 { size, nr_secctx }
    fuse_ext_header = 8 { size, type_ as "type" }
    fuse_supp_groups = 4 { nr_groups }
    fuse_uring_ent_in_out = 32 { flags, commit_id, payload_sz, padding, reserved }
    fuse_uring_req_header = 288 { in_out, op_in, ring_ent_in_out }
    fuse_uring_cmd_req = 24 { flags, commit_id, qid, padding }
}

/// Structs and constants of Linux's 7.45 header that libfuse 3.18's copy
/// lacks (so the C probe cannot print them).
#[doc(hidden)]
pub const NOT_IN_LIBFUSE_HEADER: &[&str] = &["fuse_notify_prune_out", "FUSE_NOTIFY_PRUNE"];

/// The whole table: `sizeof(S)`, `offsetof(S, f)` and `sizeof(S.f)` for
/// every struct and field, every constant by name, and
/// `FUSE_REC_ALIGN(n)` for a few `n`.
#[doc(hidden)]
pub fn layout_table() -> Vec<(String, u64)> {
    let mut t = Vec::new();
    for s in struct_layouts() {
        t.push((format!("sizeof({})", s.name), s.size as u64));
        for (f, off, size) in &s.fields {
            t.push((format!("offsetof({}, {f})", s.name), *off as u64));
            t.push((format!("sizeof({}.{f})", s.name), *size as u64));
        }
    }
    for (c, v) in constants() {
        t.push((c.to_string(), v));
    }
    for x in [0, 1, 8, 25, 4097] {
        t.push((format!("FUSE_REC_ALIGN({x})"), fuse_rec_align(x) as u64));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Each struct has the header's size, and its fields follow each other
    /// without a gap and fill it: no padding anywhere, which with C's
    /// natural alignment also pins every offset.
    #[test]
    fn no_padding_and_sizes() {
        let all = struct_layouts();
        assert_eq!(all.len(), 76);
        for s in &all {
            assert_eq!(s.size, s.expected_size, "sizeof {}", s.name);
            let mut at = 0;
            for (f, off, size) in &s.fields {
                assert_eq!(
                    *off, at,
                    "{}.{f} does not follow the previous field",
                    s.name
                );
                at += size;
            }
            assert_eq!(at, s.size, "{} has tail padding", s.name);
        }
    }

    #[test]
    fn notable_offsets() {
        assert_eq!(offset_of!(fuse_in_header, total_extlen), 36);
        assert_eq!(offset_of!(fuse_init_in, flags2), 16);
        assert_eq!(offset_of!(fuse_init_out, flags2), 32);
        assert_eq!(offset_of!(fuse_init_out, max_stack_depth), 36);
        assert_eq!(offset_of!(fuse_init_out, request_timeout), 40);
        assert_eq!(offset_of!(fuse_open_out, backing_id), 12);
        assert_eq!(offset_of!(fuse_statx_out, stat), 32);
        assert_eq!(offset_of!(fuse_statx, atime), 64);
        assert_eq!(offset_of!(fuse_statx, __spare2), 144);
        assert_eq!(offset_of!(fuse_setattr_in, atimensec), 56);
        assert_eq!(offset_of!(fuse_lk_in, lk_flags), 40);
        assert_eq!(offset_of!(fuse_uring_req_header, op_in), 128);
        assert_eq!(offset_of!(fuse_uring_req_header, ring_ent_in_out), 256);
        assert_eq!(offset_of!(fuse_uring_cmd_req, qid), 16);
        assert_eq!(FUSE_DEV_IOC_CLONE, 0x8004_e500);
        assert_eq!(FUSE_DEV_IOC_BACKING_OPEN, 0x4010_e501);
        assert_eq!(FUSE_DEV_IOC_BACKING_CLOSE, 0x4004_e502);
    }

    #[test]
    fn unique_keys() {
        let t = layout_table();
        let keys: HashSet<_> = t.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys.len(), t.len());
    }

    /// Every `pub struct` of structs.rs and every kernel-named `pub const`
    /// of this module is in the table.
    #[test]
    fn table_lists_every_definition() {
        let t = layout_table();
        let keys: HashSet<_> = t.iter().map(|(k, _)| k.as_str()).collect();
        let src = [
            include_str!("structs.rs"),
            include_str!("consts.rs"),
            include_str!("opcode.rs"),
            include_str!("mod.rs"),
        ];
        let mut seen = 0;
        for line in src.iter().flat_map(|s| s.lines()) {
            let line = line.trim_start();
            if let Some(rest) = line.strip_prefix("pub struct ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| *c == '_' || c.is_alphanumeric())
                    .collect();
                assert!(
                    keys.contains(format!("sizeof({name})").as_str()),
                    "struct {name}"
                );
                seen += 1;
            } else if let Some(rest) = line.strip_prefix("pub const ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| *c == '_' || c.is_alphanumeric())
                    .collect();
                let kernel = ["FUSE_", "CUSE_", "FATTR_", "FOPEN_"];
                if kernel.iter().any(|p| name.starts_with(p)) {
                    assert!(keys.contains(name.as_str()), "const {name}");
                    seen += 1;
                }
            }
        }
        assert!(seen > 200, "{seen}");
    }
}
