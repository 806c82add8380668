//! Directory listings in the kernel's format (`fuse_add_direntry`,
//! `fuse_add_direntry_plus`), and the conversions they share with the entry
//! replies: `struct stat` to `fuse_attr`, `fuse_entry_param` to
//! `fuse_entry_out`, and a timeout in seconds (a double) to whole seconds plus
//! nanoseconds. All follow libfuse 3.18.3 to the byte.

use crate::capi::types::fuse_entry_param;
use crate::kernel::{
    fuse_attr, fuse_dirent, fuse_direntplus, fuse_entry_out, fuse_rec_align, WireStruct,
    FUSE_NAME_OFFSET, FUSE_NAME_OFFSET_DIRENTPLUS,
};

/// Whole seconds of a timeout: negative becomes 0, beyond u64 saturates.
pub fn timeout_sec(t: f64) -> u64 {
    if t > u64::MAX as f64 {
        u64::MAX
    } else if t < 0.0 {
        0
    } else {
        t as u64
    }
}

/// The nanoseconds of a timeout beyond [`timeout_sec`], at most 999999999.
pub fn timeout_nsec(t: f64) -> u32 {
    let frac = t - timeout_sec(t) as f64;
    if frac < 0.0 {
        0
    } else if frac >= 0.999_999_999 {
        999_999_999
    } else {
        (frac * 1.0e9) as u32
    }
}

/// `struct stat` as the kernel wants it; fields narrower on the wire are
/// truncated as C's assignments do, and `flags` is 0.
pub fn attr_from_stat(st: &libc::stat) -> fuse_attr {
    fuse_attr {
        ino: st.st_ino,
        size: st.st_size as u64,
        blocks: st.st_blocks as u64,
        atime: st.st_atime as u64,
        mtime: st.st_mtime as u64,
        ctime: st.st_ctime as u64,
        atimensec: st.st_atime_nsec as u32,
        mtimensec: st.st_mtime_nsec as u32,
        ctimensec: st.st_ctime_nsec as u32,
        mode: st.st_mode,
        nlink: st.st_nlink as u32,
        uid: st.st_uid,
        gid: st.st_gid,
        rdev: st.st_rdev as u32,
        blksize: st.st_blksize as u32,
        flags: 0,
    }
}

/// A `fuse_entry_out` for a `fuse_entry_param` (LOOKUP, CREATE, MKNOD...,
/// and READDIRPLUS records).
pub fn entry_out(e: &fuse_entry_param) -> fuse_entry_out {
    fuse_entry_out {
        nodeid: e.ino,
        generation: e.generation,
        entry_valid: timeout_sec(e.entry_timeout),
        attr_valid: timeout_sec(e.attr_timeout),
        entry_valid_nsec: timeout_nsec(e.entry_timeout),
        attr_valid_nsec: timeout_nsec(e.attr_timeout),
        attr: attr_from_stat(&e.attr),
    }
}

/// The size of a READDIR record for a name of `namelen` bytes.
pub const fn dirent_len(namelen: usize) -> usize {
    fuse_rec_align(FUSE_NAME_OFFSET + namelen)
}

/// The size of a READDIRPLUS record for a name of `namelen` bytes.
pub const fn direntplus_len(namelen: usize) -> usize {
    fuse_rec_align(FUSE_NAME_OFFSET_DIRENTPLUS + namelen)
}

/// The `fuse_dirent` header for an entry (type from the mode's S_IFMT bits).
pub fn dirent_header(name: &[u8], ino: u64, mode: u32, off: i64) -> fuse_dirent {
    fuse_dirent {
        ino,
        off: off as u64,
        namelen: name.len() as u32,
        type_: (mode & libc::S_IFMT) >> 12,
    }
}

/// Writes `header`, `name` and zero padding to the start of `buf` if the
/// record (`len` bytes) fits; returns `len` either way.
fn put_record(buf: &mut [u8], header: &[u8], name: &[u8], len: usize) -> usize {
    if let Some(rec) = buf.get_mut(..len) {
        let (h, rest) = rec.split_at_mut(header.len());
        h.copy_from_slice(header);
        let (n, pad) = rest.split_at_mut(name.len());
        n.copy_from_slice(name);
        pad.fill(0);
    }
    len
}

/// `fuse_add_direntry`: appends a READDIR record at the start of `buf` and
/// returns its size; when `buf` is too small, writes nothing and returns the
/// size it would need.
pub fn add_direntry(buf: &mut [u8], name: &[u8], ino: u64, mode: u32, off: i64) -> usize {
    let header = dirent_header(name, ino, mode, off);
    put_record(buf, header.as_bytes(), name, dirent_len(name.len()))
}

/// `fuse_add_direntry_plus`: the READDIRPLUS record for `e`, with the same
/// size rules as [`add_direntry`]. The dirent's inode and type come from
/// `e.attr`, the entry's node id from `e.ino`.
pub fn add_direntry_plus(buf: &mut [u8], name: &[u8], e: &fuse_entry_param, off: i64) -> usize {
    let len = direntplus_len(name.len());
    if buf.len() < len {
        return len;
    }
    let rec = fuse_direntplus {
        entry_out: entry_out(e),
        dirent: dirent_header(name, e.attr.st_ino, e.attr.st_mode, off),
    };
    put_record(buf, rec.as_bytes(), name, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(ino: u64, mode: u32) -> libc::stat {
        // SAFETY: all-zero is a valid struct stat.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        st.st_ino = ino;
        st.st_mode = mode;
        st
    }

    #[test]
    fn timeouts_split_like_libfuse() {
        assert_eq!((timeout_sec(1.5), timeout_nsec(1.5)), (1, 500_000_000));
        assert_eq!((timeout_sec(-3.0), timeout_nsec(-3.0)), (0, 0));
        assert_eq!((timeout_sec(0.0), timeout_nsec(0.0)), (0, 0));
        assert_eq!(timeout_nsec(2.9999999999), 999_999_999);
        assert_eq!(timeout_nsec(0.25), 250_000_000);
        // 0.1 is a little more than 0.1 in binary: truncation gives 100000000.
        assert_eq!(timeout_nsec(0.1), 100_000_000);
        assert_eq!(timeout_sec(1e30), u64::MAX);
        assert_eq!(timeout_nsec(1e30), 999_999_999);
        assert_eq!(timeout_sec(86400.0), 86400);
    }

    #[test]
    fn direntry_record() {
        let mut buf = [0xaau8; 64];
        let n = add_direntry(&mut buf, b"hello", 42, libc::S_IFDIR | 0o755, 7);
        assert_eq!(n, 32);
        assert_eq!(&buf[0..8], &42u64.to_ne_bytes());
        assert_eq!(&buf[8..16], &7u64.to_ne_bytes());
        assert_eq!(&buf[16..20], &5u32.to_ne_bytes());
        assert_eq!(&buf[20..24], &(libc::DT_DIR as u32).to_ne_bytes());
        assert_eq!(&buf[24..29], b"hello");
        assert_eq!(&buf[29..32], &[0, 0, 0]);
        assert!(buf[32..].iter().all(|&b| b == 0xaa));
        // An 8-byte name needs no padding; an empty one is just the header.
        assert_eq!(add_direntry(&mut buf, b"12345678", 1, 0, 0), 32);
        assert_eq!(add_direntry(&mut buf, b"", 1, 0, 0), 24);
    }

    #[test]
    fn too_small_writes_nothing() {
        let mut buf = [0xaau8; 31];
        assert_eq!(add_direntry(&mut buf, b"hello", 1, libc::S_IFREG, 1), 32);
        assert!(buf.iter().all(|&b| b == 0xaa));
        assert_eq!(add_direntry(&mut [], b"x", 1, 0, 0), 32);
        let e = fuse_entry_param {
            ino: 1,
            generation: 0,
            attr: stat(1, 0),
            attr_timeout: 0.0,
            entry_timeout: 0.0,
        };
        let mut buf = [0xaau8; 159];
        assert_eq!(add_direntry_plus(&mut buf, b"abcdefg", &e, 0), 160);
        assert!(buf.iter().all(|&b| b == 0xaa));
    }

    #[test]
    fn direntplus_record() {
        let mut st = stat(99, libc::S_IFLNK | 0o777);
        st.st_size = 1234;
        st.st_blksize = 4096;
        st.st_nlink = 3;
        st.st_mtime = -1;
        st.st_mtime_nsec = 5;
        let e = fuse_entry_param {
            ino: 77,
            generation: 3,
            attr: st,
            attr_timeout: 1.25,
            entry_timeout: 2.5,
        };
        let mut buf = [0xaau8; 200];
        let n = add_direntry_plus(&mut buf, b"link", &e, -2);
        assert_eq!(n, 160);
        let out = entry_out(&e);
        assert_eq!(out.nodeid, 77);
        assert_eq!((out.entry_valid, out.entry_valid_nsec), (2, 500_000_000));
        assert_eq!((out.attr_valid, out.attr_valid_nsec), (1, 250_000_000));
        assert_eq!(out.attr.blksize, 4096);
        assert_eq!(out.attr.mtime, u64::MAX);
        assert_eq!(out.attr.flags, 0);
        assert_eq!(&buf[..128], out.as_bytes());
        // The dirent uses the attr's inode (99), not the node id (77).
        assert_eq!(&buf[128..136], &99u64.to_ne_bytes());
        assert_eq!(&buf[136..144], &(-2i64).to_ne_bytes());
        assert_eq!(&buf[144..148], &4u32.to_ne_bytes());
        assert_eq!(&buf[148..152], &(libc::DT_LNK as u32).to_ne_bytes());
        assert_eq!(&buf[152..156], b"link");
        assert_eq!(&buf[156..160], &[0u8; 4]);
        assert!(buf[160..].iter().all(|&b| b == 0xaa));
    }
}
