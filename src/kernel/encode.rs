//! The pieces of a reply or notification: the `fuse_out_header` and the
//! sizes older kernels expect for some reply structs. A reply is written
//! as `[header.as_bytes(), body pieces...]` in one writev (or one ring
//! commit); nothing here allocates or does I/O.

use std::mem::size_of;

use super::*;

/// Size of `fuse_out_header`.
pub const OUT_HEADER_SIZE: usize = size_of::<fuse_out_header>();

/// The header of a reply to request `unique`: `error` is 0 or a negated
/// errno, `total_len` the length of the whole message, header included.
/// `None` if that does not fit the header's u32.
pub fn out_header(unique: u64, error: i32, total_len: usize) -> Option<fuse_out_header> {
    Some(fuse_out_header {
        len: u32::try_from(total_len).ok()?,
        error,
        unique,
    })
}

/// The header of a reply whose body is `body` (the pieces that follow the
/// header, in order).
pub fn reply_header(unique: u64, error: i32, body: &[&[u8]]) -> Option<fuse_out_header> {
    out_header(unique, error, message_len(body)?)
}

/// The header of a notification: `unique` 0 and the notify code
/// (`FUSE_NOTIFY_*`) in `error`; `body` as for [`reply_header`].
pub fn notify_header(code: i32, body: &[&[u8]]) -> Option<fuse_out_header> {
    out_header(0, code, message_len(body)?)
}

/// Header plus body length, checked.
fn message_len(body: &[&[u8]]) -> Option<usize> {
    body.iter()
        .try_fold(OUT_HEADER_SIZE, |acc, piece| acc.checked_add(piece.len()))
}

/// The first `len` bytes of a reply struct (all of it if `len` is larger):
/// for the compat sizes below.
pub fn truncated<T: WireStruct>(v: &T, len: usize) -> &[u8] {
    let b = v.as_bytes();
    b.get(..len).unwrap_or(b)
}

/// How much of a `fuse_entry_out` to send (LOOKUP, MKNOD, MKDIR, SYMLINK,
/// LINK, and CREATE's first part): `FUSE_COMPAT_ENTRY_OUT_SIZE` before 7.9.
pub fn entry_out_size(proto_minor: u32) -> usize {
    if proto_minor < 9 {
        FUSE_COMPAT_ENTRY_OUT_SIZE
    } else {
        size_of::<fuse_entry_out>()
    }
}

/// How much of a `fuse_attr_out` to send: `FUSE_COMPAT_ATTR_OUT_SIZE`
/// before 7.9.
pub fn attr_out_size(proto_minor: u32) -> usize {
    if proto_minor < 9 {
        FUSE_COMPAT_ATTR_OUT_SIZE
    } else {
        size_of::<fuse_attr_out>()
    }
}

/// How much of a `fuse_statfs_out` to send: `FUSE_COMPAT_STATFS_SIZE`
/// before 7.4.
pub fn statfs_out_size(proto_minor: u32) -> usize {
    if proto_minor < 4 {
        FUSE_COMPAT_STATFS_SIZE
    } else {
        size_of::<fuse_statfs_out>()
    }
}

/// How much of a `fuse_init_out` to send to a kernel speaking
/// `kernel_minor`: `FUSE_COMPAT_INIT_OUT_SIZE` before 7.5,
/// `FUSE_COMPAT_22_INIT_OUT_SIZE` before 7.23.
pub fn init_out_size(kernel_minor: u32) -> usize {
    if kernel_minor < 5 {
        FUSE_COMPAT_INIT_OUT_SIZE
    } else if kernel_minor < 23 {
        FUSE_COMPAT_22_INIT_OUT_SIZE
    } else {
        size_of::<fuse_init_out>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let h = out_header(7, -2, 16).unwrap();
        assert_eq!((h.len, h.error, h.unique), (16, -2, 7));
        assert!(out_header(1, 0, u32::MAX as usize + 1).is_none());

        let attr = fuse_attr_out::default();
        let h = reply_header(9, 0, &[attr.as_bytes()]).unwrap();
        assert_eq!(h.len, 16 + 104);
        assert_eq!(h.unique, 9);

        let out = fuse_notify_inval_entry_out {
            parent: 1,
            namelen: 3,
            flags: 0,
        };
        let h = notify_header(FUSE_NOTIFY_INVAL_ENTRY, &[out.as_bytes(), b"abc\0"]).unwrap();
        assert_eq!((h.len, h.error, h.unique), (16 + 16 + 4, 3, 0));
        let b = h.as_bytes();
        assert_eq!(&b[0..4], &36u32.to_ne_bytes());
        assert_eq!(&b[4..8], &3i32.to_ne_bytes());
    }

    #[test]
    fn compat_sizes() {
        assert_eq!(entry_out_size(8), 120);
        assert_eq!(entry_out_size(9), 128);
        assert_eq!(attr_out_size(8), 96);
        assert_eq!(attr_out_size(45), 104);
        assert_eq!(statfs_out_size(3), 48);
        assert_eq!(statfs_out_size(4), 80);
        assert_eq!(init_out_size(4), 8);
        assert_eq!(init_out_size(22), 24);
        assert_eq!(init_out_size(23), 64);
        let e = fuse_entry_out {
            nodeid: 5,
            ..Default::default()
        };
        assert_eq!(truncated(&e, entry_out_size(8)).len(), 120);
        assert_eq!(truncated(&e, 1000).len(), 128);
    }
}
