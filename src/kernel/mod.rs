//! The FUSE wire protocol as data (`include/uapi/linux/fuse.h`, libfuse's
//! `fuse_kernel.h`): repr(C) structs with their layouts checked by tests, and
//! no I/O. So far only what directory listings need: `fuse_attr`,
//! `fuse_entry_out`, `fuse_dirent` and `fuse_direntplus`.

#![allow(non_camel_case_types)]

/// Plain wire structs: repr(C), only integer fields, no padding bytes (the
/// layout tests check the sizes add up), so their bytes are their encoding.
///
/// # Safety
/// Implement only for such structs.
pub unsafe trait WireStruct: Copy + 'static {
    /// The struct's bytes as the kernel reads them (native endianness).
    fn as_bytes(&self) -> &[u8] {
        // SAFETY: the trait's contract: every byte of Self is an initialised
        // byte of an integer field.
        unsafe {
            std::slice::from_raw_parts(
                self as *const Self as *const u8,
                std::mem::size_of::<Self>(),
            )
        }
    }
}

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

// SAFETY: integer fields only, no padding (see the layout test).
unsafe impl WireStruct for fuse_attr {}
// SAFETY: as above.
unsafe impl WireStruct for fuse_entry_out {}
// SAFETY: as above.
unsafe impl WireStruct for fuse_dirent {}
// SAFETY: as above.
unsafe impl WireStruct for fuse_direntplus {}

/// `FUSE_NAME_OFFSET`: where a dirent's name starts.
pub const FUSE_NAME_OFFSET: usize = std::mem::size_of::<fuse_dirent>();
/// `FUSE_NAME_OFFSET_DIRENTPLUS`: where a direntplus record's name starts.
pub const FUSE_NAME_OFFSET_DIRENTPLUS: usize = std::mem::size_of::<fuse_direntplus>();

/// `FUSE_REC_ALIGN` / `FUSE_DIRENT_ALIGN`: rounds up to a multiple of 8.
pub const fn fuse_rec_align(x: usize) -> usize {
    (x + 7) & !7
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    // Offsets from fuse_kernel.h (7.45), fields in declaration order with
    // natural alignment.
    #[test]
    fn layouts() {
        assert_eq!(size_of::<fuse_attr>(), 88);
        assert_eq!(offset_of!(fuse_attr, atimensec), 48);
        assert_eq!(offset_of!(fuse_attr, mode), 60);
        assert_eq!(offset_of!(fuse_attr, rdev), 76);
        assert_eq!(offset_of!(fuse_attr, blksize), 80);
        assert_eq!(offset_of!(fuse_attr, flags), 84);
        assert_eq!(size_of::<fuse_entry_out>(), 128);
        assert_eq!(offset_of!(fuse_entry_out, entry_valid_nsec), 32);
        assert_eq!(offset_of!(fuse_entry_out, attr), 40);
        assert_eq!(size_of::<fuse_dirent>(), 24);
        assert_eq!(offset_of!(fuse_dirent, namelen), 16);
        assert_eq!(offset_of!(fuse_dirent, type_), 20);
        assert_eq!(size_of::<fuse_direntplus>(), 152);
        assert_eq!(offset_of!(fuse_direntplus, dirent), 128);
        assert_eq!(FUSE_NAME_OFFSET, 24);
        assert_eq!(FUSE_NAME_OFFSET_DIRENTPLUS, 152);
        // No padding: the sizes are the sums of the fields.
        assert_eq!(size_of::<fuse_attr>(), 6 * 8 + 10 * 4);
        assert_eq!(size_of::<fuse_entry_out>(), 4 * 8 + 2 * 4 + 88);
    }

    #[test]
    fn align_and_bytes() {
        assert_eq!(fuse_rec_align(0), 0);
        assert_eq!(fuse_rec_align(25), 32);
        assert_eq!(fuse_rec_align(32), 32);
        let d = fuse_dirent {
            ino: 1,
            off: 2,
            namelen: 3,
            type_: 4,
        };
        let b = d.as_bytes();
        assert_eq!(b.len(), 24);
        assert_eq!(&b[16..20], &3u32.to_ne_bytes());
    }
}
