//! `fuse_buf_size` and `fuse_buf_copy`: the C view of [`crate::buf`].
//!
//! Neither function takes a session, yet `struct fuse_buf` is 40 bytes for a
//! caller built against libfuse 3.14 and 48 bytes (with `mem_size`) for one
//! built against 3.17+, which changes the stride of `fuse_bufvec::buf[]`.
//! The stride comes from [`compat::current_abi`] (the running callback's
//! flavour, else the last session's, else 3.17+). Only the first 40 bytes of
//! each entry are read, since both layouts agree on them, so a one-buffer
//! vector works whatever the guess. The vector header (`count`, `idx`, `off`)
//! is the same in both; `idx` and `off` are written back after the copy.

#![allow(clippy::missing_safety_doc)]

use super::types::*;
use crate::buf::{self, Buf, BufSeq, CopyFlags, Cursor, FdBuf};
use crate::compat::{self, fuse_buf_v314};
use libc::*;
use std::mem::offset_of;

/// A C `fuse_bufvec`'s buffers, read in place at the flavour's stride.
struct CBufs {
    first: *const u8,
    count: usize,
    stride: usize,
}

impl CBufs {
    /// # Safety
    /// `bufv` must point to a readable `fuse_bufvec` whose `buf[]` holds
    /// `count` entries of the current flavour, with memory buffers valid for
    /// their `size` while this view is used.
    unsafe fn new(bufv: *const fuse_bufvec) -> CBufs {
        // SAFETY: passed on.
        unsafe { CBufs::with_abi(bufv, compat::current_abi()) }
    }

    /// # Safety
    /// As [`CBufs::new`], with entries of `abi`'s layout.
    unsafe fn with_abi(bufv: *const fuse_bufvec, abi: compat::Abi) -> CBufs {
        // SAFETY: the caller guarantees a readable vector header.
        let count = unsafe { (*bufv).count };
        CBufs {
            first: (bufv as *const u8).wrapping_add(offset_of!(fuse_bufvec, buf)),
            count,
            stride: abi.buf_size(),
        }
    }

    fn entry(&self, i: usize) -> fuse_buf_v314 {
        let p = self.first.wrapping_add(i * self.stride) as *const fuse_buf_v314;
        // SAFETY: `i < count` (BufSeq's contract) and the constructor's
        // caller vouches for `count` entries at this stride; the 40 bytes read
        // are common to both layouts.
        unsafe { std::ptr::read(p) }
    }
}

impl BufSeq for CBufs {
    fn count(&self) -> usize {
        self.count
    }

    fn get(&self, i: usize) -> Buf<'_> {
        let b = self.entry(i);
        if b.flags & FUSE_BUF_IS_FD != 0 {
            let fd = FdBuf {
                fd: b.fd,
                pos: (b.flags & FUSE_BUF_FD_SEEK != 0).then_some(b.pos),
                retry: b.flags & FUSE_BUF_FD_RETRY != 0,
            };
            Buf::fd(fd, b.size)
        } else {
            // SAFETY: the C caller of fuse_buf_copy promises `mem` covers
            // `size` bytes (libfuse's contract); the view lives only for the
            // duration of the call.
            unsafe { Buf::from_raw_mem(b.mem as *mut u8, b.size) }
        }
    }
}

/// The data of a C buffer vector of `abi`'s layout, from its cursor on,
/// gathered into one buffer (what `fuse_reply_data` sends); -errno if
/// nothing could be read. The vector's cursor is left as it was.
///
/// # Safety
/// `bufv` must point to a valid vector of that layout.
pub(crate) unsafe fn read_all(
    bufv: *const fuse_bufvec,
    abi: compat::Abi,
) -> Result<Vec<u8>, c_int> {
    // SAFETY: per the contract.
    let mut data = vec![0u8; unsafe { size_of_vec(bufv, abi) }];
    // SAFETY: per the contract.
    let n = unsafe { read_into(bufv, abi, &mut data) }?;
    data.truncate(n);
    Ok(data)
}

/// Copies what `bufv` holds (from its cursor on) into `dst`, as far as it
/// fits; returns the byte count.
///
/// # Safety
/// As [`read_all`].
pub(crate) unsafe fn read_into(
    bufv: *const fuse_bufvec,
    abi: compat::Abi,
    dst: &mut [u8],
) -> Result<usize, c_int> {
    // SAFETY: per the contract.
    let (src, mut scur) = unsafe { (CBufs::with_abi(bufv, abi), cursor(bufv)) };
    let res = {
        let dst = [Buf::mem(dst)];
        buf::copy(
            &dst,
            &mut Cursor { idx: 0, off: 0 },
            &src,
            &mut scur,
            CopyFlags(0),
        )
    };
    if res < 0 {
        return Err(-res as c_int);
    }
    Ok(res as usize)
}

/// Whether `bufv`'s buffers from its cursor on may be spliced and, if a
/// splice stops short, read again from the start: at least one fd buffer,
/// and every fd buffer positioned (`FUSE_BUF_FD_SEEK`).
///
/// # Safety
/// As [`read_all`].
pub(crate) unsafe fn spliceable(bufv: *const fuse_bufvec, abi: compat::Abi) -> bool {
    // SAFETY: per the contract.
    let (v, cur) = unsafe { (CBufs::with_abi(bufv, abi), cursor(bufv)) };
    let mut any_fd = false;
    for i in cur.idx..v.count {
        let b = v.entry(i);
        if b.flags & FUSE_BUF_IS_FD != 0 {
            if b.flags & FUSE_BUF_FD_SEEK == 0 {
                return false;
            }
            any_fd = true;
        }
    }
    any_fd
}

/// Copies what `bufv` holds into the pipe `fd` (splicing fd buffers), as
/// far as `size` bytes; returns the byte count.
///
/// # Safety
/// As [`read_all`].
pub(crate) unsafe fn copy_to_pipe(
    bufv: *const fuse_bufvec,
    abi: compat::Abi,
    fd: std::os::fd::RawFd,
    size: usize,
) -> Result<usize, c_int> {
    // SAFETY: per the contract.
    let (src, mut scur) = unsafe { (CBufs::with_abi(bufv, abi), cursor(bufv)) };
    let dst = [Buf::fd(
        buf::FdBuf {
            fd,
            pos: None,
            retry: false,
        },
        size,
    )];
    let res = buf::copy(
        &dst,
        &mut Cursor { idx: 0, off: 0 },
        &src,
        &mut scur,
        CopyFlags::SPLICE_MOVE | CopyFlags::SPLICE_NONBLOCK,
    );
    if res < 0 {
        return Err(-res as c_int);
    }
    Ok(res as usize)
}

/// The size of what `bufv` holds.
///
/// # Safety
/// As [`read_all`].
pub(crate) unsafe fn size_of_vec(bufv: *const fuse_bufvec, abi: compat::Abi) -> usize {
    // SAFETY: per the contract.
    buf::buf_size(&unsafe { CBufs::with_abi(bufv, abi) })
}

/// Reads a vector's cursor.
///
/// # Safety
/// `bufv` must point to a readable vector header.
unsafe fn cursor(bufv: *const fuse_bufvec) -> Cursor {
    // SAFETY: guaranteed by the caller.
    unsafe {
        Cursor {
            idx: (*bufv).idx,
            off: (*bufv).off,
        }
    }
}

/// Copies data from one buffer vector to another, as libfuse 3.18.3 does
/// (`-errno` if nothing could be copied). A NULL vector is EINVAL.
#[no_mangle]
pub unsafe extern "C" fn fuse_buf_copy(
    dst: *mut fuse_bufvec,
    src: *mut fuse_bufvec,
    flags: fuse_buf_copy_flags,
) -> ssize_t {
    crate::ffi_guard!("fuse_buf_copy", -(EIO as ssize_t), {
        if dst.is_null() || src.is_null() {
            return -(EINVAL as ssize_t);
        }
        if dst == src {
            // libfuse answers the vector's size without touching it.
            // SAFETY: a valid vector per the API contract.
            return unsafe { fuse_buf_size(dst) } as ssize_t;
        }
        // SAFETY: both are valid vectors of the caller's flavour, per the
        // API contract of fuse_buf_copy.
        let (d, s) = unsafe { (CBufs::new(dst), CBufs::new(src)) };
        // SAFETY: as above.
        let (mut dc, mut sc) = unsafe { (cursor(dst), cursor(src)) };
        let res = buf::copy(&d, &mut dc, &s, &mut sc, CopyFlags(flags));
        // SAFETY: the headers are writable (the API moves the cursors).
        unsafe {
            (*src).idx = sc.idx;
            (*src).off = sc.off;
            (*dst).idx = dc.idx;
            (*dst).off = dc.off;
        }
        res as ssize_t
    })
}

/// The total size of a buffer vector (SIZE_MAX if it overflows). A NULL
/// vector has size 0.
#[no_mangle]
pub unsafe extern "C" fn fuse_buf_size(bufv: *const fuse_bufvec) -> size_t {
    crate::ffi_guard!("fuse_buf_size", 0, {
        if bufv.is_null() {
            return 0;
        }
        // SAFETY: a valid vector of the caller's flavour per the API contract.
        let v = unsafe { CBufs::new(bufv) };
        buf::buf_size(&v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat::{Abi, CallbackAbi};

    /// A 3.14-layout vector with room for three buffers.
    #[repr(C)]
    struct Vec314 {
        count: usize,
        idx: usize,
        off: usize,
        buf: [fuse_buf_v314; 3],
    }

    /// A 3.17+-layout vector with room for three buffers.
    #[repr(C)]
    struct Vec317 {
        count: usize,
        idx: usize,
        off: usize,
        buf: [fuse_buf; 3],
    }

    fn mem314(p: &mut [u8]) -> fuse_buf_v314 {
        fuse_buf_v314 {
            size: p.len(),
            flags: 0,
            mem: p.as_mut_ptr() as *mut c_void,
            fd: -1,
            pos: 0,
        }
    }

    fn mem317(p: &mut [u8]) -> fuse_buf {
        fuse_buf {
            size: p.len(),
            flags: 0,
            mem: p.as_mut_ptr() as *mut c_void,
            fd: -1,
            pos: 0,
            mem_size: 0,
        }
    }

    #[test]
    fn stride_follows_the_callback_flavour() {
        let (mut a, mut b, mut c) = (*b"abc", *b"defg", *b"hi");
        let mut out = [0u8; 9];
        let mut src = Vec314 {
            count: 3,
            idx: 0,
            off: 0,
            buf: [mem314(&mut a), mem314(&mut b), mem314(&mut c)],
        };
        let mut dst = Vec314 {
            count: 1,
            idx: 0,
            off: 0,
            buf: [mem314(&mut out), mem314(&mut []), mem314(&mut [])],
        };
        let _g = CallbackAbi::enter(Abi::V3_14);
        let sp = &mut src as *mut Vec314 as *mut fuse_bufvec;
        let dp = &mut dst as *mut Vec314 as *mut fuse_bufvec;
        // SAFETY: both are 3.14 vectors, and the flavour says so.
        unsafe {
            assert_eq!(fuse_buf_size(sp), 9);
            assert_eq!(fuse_buf_copy(dp, sp, 0), 9);
            assert_eq!(fuse_buf_copy(sp, sp, 0), 9);
        }
        assert_eq!((src.idx, src.off), (3, 2));
        assert_eq!((dst.idx, dst.off), (0, 7));
        assert_eq!(&out, b"abcdefghi");
    }

    #[test]
    fn stride_of_3_17_vectors() {
        let (mut a, mut b) = (*b"hello ", *b"world");
        let mut o1 = [0u8; 4];
        let mut o2 = [0u8; 7];
        let mut src = Vec317 {
            count: 2,
            idx: 0,
            off: 1,
            buf: [mem317(&mut a), mem317(&mut b), mem317(&mut [])],
        };
        let mut dst = Vec317 {
            count: 2,
            idx: 0,
            off: 0,
            buf: [mem317(&mut o1), mem317(&mut o2), mem317(&mut [])],
        };
        let _g = CallbackAbi::enter(Abi::V3_17);
        let sp = &mut src as *mut Vec317 as *mut fuse_bufvec;
        let dp = &mut dst as *mut Vec317 as *mut fuse_bufvec;
        // SAFETY: both are 3.17 vectors, and the flavour says so.
        unsafe {
            assert_eq!(fuse_buf_size(sp), 11);
            assert_eq!(fuse_buf_copy(dp, sp, 0), 10);
            assert_eq!(fuse_buf_copy(dp, std::ptr::null_mut(), 0), -22);
            assert_eq!(fuse_buf_size(std::ptr::null()), 0);
        }
        assert_eq!(&o1, b"ello");
        assert_eq!(&o2[..6], b" world");
        assert_eq!((src.idx, src.off), (2, 5));
        assert_eq!((dst.idx, dst.off), (1, 1));
    }
}
