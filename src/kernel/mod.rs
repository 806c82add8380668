//! The FUSE wire protocol as data (protocol 7.45: Linux's
//! `include/uapi/linux/fuse.h`, libfuse's `fuse_kernel.h`), with no I/O.
//!
//! - [`structs`]: every request and reply struct, `repr(C)` with the
//!   kernel's names, each a [`WireStruct`];
//! - [`consts`]: versions, INIT and per-request flags, notify codes, compat
//!   sizes, extension types, the /dev/fuse ioctls, io-uring commands;
//! - [`opcode`]: the opcodes and libfuse's debug names for them;
//! - [`decode`]: one request's bytes to a [`decode::Request`];
//! - [`encode`]: reply and notification headers.
//!
//! Everything is re-exported here, so `use crate::kernel::*` gives the
//! names fuse_kernel.h has. Layouts and values are checked against libfuse
//! 3.18's header by `tests/kernel_layout.rs`.

#![allow(non_camel_case_types)]

pub mod consts;
pub mod decode;
pub mod encode;
#[doc(hidden)]
pub mod layout;
pub mod opcode;
pub mod structs;

pub use consts::*;
pub use decode::{
    parse_request, parse_uring_request, read_struct, DecodeCtx, DecodeError, DecodeErrorKind,
    Extensions, Forgets, Op, Request,
};
pub use opcode::*;
pub use structs::*;

/// Plain wire structs: repr(C), only integer fields (or arrays and structs
/// of them), no padding bytes (the layout tests check the sizes add up), so
/// their bytes are their encoding and every byte pattern is a valid value.
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

/// `bytes` seen in place as a slice of `T`, when they start at `T`'s
/// alignment and are a whole number of `T`s; `None` otherwise.
pub fn cast_slice<T: WireStruct>(bytes: &[u8]) -> Option<&[T]> {
    let size = std::mem::size_of::<T>();
    if size == 0
        || bytes.len() % size != 0
        || (bytes.as_ptr() as usize) % std::mem::align_of::<T>() != 0
    {
        return None;
    }
    // SAFETY: the pointer is aligned for T and the bytes cover exactly
    // len / size values of T, borrowed for the same lifetime; a WireStruct
    // is valid for every byte pattern.
    Some(unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<T>(), bytes.len() / size) })
}

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

    #[test]
    fn align_and_bytes() {
        assert_eq!(FUSE_NAME_OFFSET, 24);
        assert_eq!(FUSE_NAME_OFFSET_DIRENTPLUS, 152);
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

    #[test]
    fn cast_slice_checks_alignment_and_length() {
        #[repr(align(8))]
        struct Aligned([u8; 40]);
        let buf = Aligned([0; 40]);
        let bytes = &buf.0[..];
        assert_eq!(
            cast_slice::<fuse_forget_one>(&bytes[..32]).map(|s| s.len()),
            Some(2)
        );
        assert!(cast_slice::<fuse_forget_one>(&bytes[..24]).is_none());
        assert!(cast_slice::<fuse_forget_one>(&bytes[1..33]).is_none());
        assert_eq!(
            cast_slice::<fuse_forget_one>(&bytes[..0]).map(|s| s.len()),
            Some(0)
        );
    }
}
