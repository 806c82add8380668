//! `fuse_buf_copy`: copying between vectors of memory and file-descriptor
//! buffers, with libfuse 3.18.3's semantics.
//!
//! A [`Buf`] is either memory or a file descriptor (optionally read/written
//! at an explicit position, optionally retried until done). [`copy`] walks a
//! source and a destination vector, each with a [`Cursor`] (`idx`, `off`),
//! copying the overlap of the current buffers piece by piece:
//!
//! * memory to memory: a plain copy (overlap allowed);
//! * memory to fd: `write`/`pwrite`; fd to memory: `read`/`pread`;
//! * fd to fd: `splice(2)` unless [`CopyFlags::NO_SPLICE`], falling back to
//!   read/write through a 4 KiB bounce buffer when splice says EINVAL and
//!   [`CopyFlags::FORCE_SPLICE`] is not set.
//!
//! A short transfer (EOF, a pipe that is full, an fd without
//! [`FdBuf::retry`]) ends the copy. The result is the number of bytes copied,
//! or `-errno` if the very first transfer failed; an error after some bytes
//! were copied ends the copy and returns the count.
//!
//! Two quirks of libfuse are kept on purpose, since callers can observe them:
//! the destination cursor is not advanced for the last piece when the source
//! runs out first, and copying a vector onto itself returns its size (the C
//! adapter handles that case, as only C can pass one vector twice).
//!
//! The only `unsafe` here is the kernel I/O and the raw memory copy; both
//! rely on the invariant of [`Buf`]: a memory buffer covers `size` bytes that
//! stay valid (and, if writable, exclusively ours) for its lifetime.

use std::marker::PhantomData;
use std::os::fd::RawFd;

/// `enum fuse_buf_copy_flags`, with libfuse's values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CopyFlags(pub u32);

impl CopyFlags {
    /// Never use splice for fd-to-fd copies.
    pub const NO_SPLICE: CopyFlags = CopyFlags(1 << 1);
    /// Fail instead of falling back when splice cannot be used.
    pub const FORCE_SPLICE: CopyFlags = CopyFlags(1 << 2);
    /// Pass SPLICE_F_MOVE.
    pub const SPLICE_MOVE: CopyFlags = CopyFlags(1 << 3);
    /// Pass SPLICE_F_NONBLOCK.
    pub const SPLICE_NONBLOCK: CopyFlags = CopyFlags(1 << 4);

    /// Whether all bits of `other` are set.
    pub const fn contains(self, other: CopyFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for CopyFlags {
    type Output = CopyFlags;
    fn bitor(self, rhs: CopyFlags) -> CopyFlags {
        CopyFlags(self.0 | rhs.0)
    }
}

/// A file-descriptor buffer (`FUSE_BUF_IS_FD`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdBuf {
    pub fd: RawFd,
    /// `Some(pos)`: `FUSE_BUF_FD_SEEK`, transfer at `pos` + offset with
    /// pread/pwrite (splice with an offset); `None`: use the fd's position.
    pub pos: Option<i64>,
    /// `FUSE_BUF_FD_RETRY`: keep going after a short transfer.
    pub retry: bool,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Mem { ptr: *mut u8, writable: bool },
    Fd(FdBuf),
}

/// One buffer of a vector (`struct fuse_buf`): `size` bytes of memory, or
/// `size` bytes to transfer through a file descriptor.
#[derive(Clone, Copy, Debug)]
pub struct Buf<'a> {
    size: usize,
    kind: Kind,
    _mem: PhantomData<&'a mut [u8]>,
}

impl<'a> Buf<'a> {
    /// A memory buffer that can be copied from and into.
    pub fn mem(mem: &'a mut [u8]) -> Buf<'a> {
        Buf {
            size: mem.len(),
            kind: Kind::Mem {
                ptr: mem.as_mut_ptr(),
                writable: true,
            },
            _mem: PhantomData,
        }
    }

    /// A memory buffer that can only be copied from; copying into it fails
    /// with EBADF, like writing to an fd not open for writing.
    pub fn mem_readonly(mem: &'a [u8]) -> Buf<'a> {
        Buf {
            size: mem.len(),
            kind: Kind::Mem {
                ptr: mem.as_ptr() as *mut u8,
                writable: false,
            },
            _mem: PhantomData,
        }
    }

    /// A memory buffer from a raw pointer (a C `struct fuse_buf`). A null
    /// `ptr` is allowed; touching any of its bytes fails with EFAULT.
    ///
    /// # Safety
    /// Unless null, `ptr` must be valid for reads and writes of `size` bytes
    /// for `'a`, and nothing else may access those bytes meanwhile except
    /// other `Buf`s made from the same memory.
    pub unsafe fn from_raw_mem(ptr: *mut u8, size: usize) -> Buf<'a> {
        Buf {
            size,
            kind: Kind::Mem {
                ptr,
                writable: true,
            },
            _mem: PhantomData,
        }
    }

    /// A file-descriptor buffer of `size` bytes.
    pub fn fd(fd: FdBuf, size: usize) -> Buf<'a> {
        Buf {
            size,
            kind: Kind::Fd(fd),
            _mem: PhantomData,
        }
    }

    /// The buffer's size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The fd description, for an fd buffer.
    pub fn as_fd(&self) -> Option<FdBuf> {
        match self.kind {
            Kind::Fd(f) => Some(f),
            Kind::Mem { .. } => None,
        }
    }
}

/// A sequence of buffers: a slice in Rust, a C `fuse_bufvec` in the adapter.
pub trait BufSeq {
    /// How many buffers there are (`fuse_bufvec::count`).
    fn count(&self) -> usize;
    /// Buffer `i`, for `i < count()`.
    fn get(&self, i: usize) -> Buf<'_>;
}

impl<'a> BufSeq for [Buf<'a>] {
    fn count(&self) -> usize {
        self.len()
    }
    fn get(&self, i: usize) -> Buf<'_> {
        self[i]
    }
}

impl<'a, const N: usize> BufSeq for [Buf<'a>; N] {
    fn count(&self) -> usize {
        N
    }
    fn get(&self, i: usize) -> Buf<'_> {
        self[i]
    }
}

impl<'a> BufSeq for Vec<Buf<'a>> {
    fn count(&self) -> usize {
        self.len()
    }
    fn get(&self, i: usize) -> Buf<'_> {
        self[i]
    }
}

/// Where a copy stands in a vector (`fuse_bufvec::idx` and `off`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The current buffer.
    pub idx: usize,
    /// The offset in the current buffer.
    pub off: usize,
}

/// `fuse_buf_size`: the total size of the buffers (not counting the cursor),
/// saturating at `usize::MAX`.
pub fn buf_size<S: BufSeq + ?Sized>(bufs: &S) -> usize {
    let mut size = 0usize;
    for i in 0..bufs.count() {
        let s = bufs.get(i).size;
        if s >= usize::MAX - size {
            return usize::MAX;
        }
        size += s;
    }
    size
}

/// `fuse_buf_copy`: copies from `src` at `scur` to `dst` at `dcur`, moving
/// both cursors; returns the bytes copied or `-errno` (see the module docs).
///
/// A cursor whose `off` lies beyond its buffer's size makes libfuse read out
/// of bounds and then abort on an assertion; here it is an EINVAL error.
pub fn copy<D, S>(dst: &D, dcur: &mut Cursor, src: &S, scur: &mut Cursor, flags: CopyFlags) -> isize
where
    D: BufSeq + ?Sized,
    S: BufSeq + ?Sized,
{
    let mut copied: usize = 0;
    loop {
        if scur.idx >= src.count() || dcur.idx >= dst.count() {
            break;
        }
        let s = src.get(scur.idx);
        let d = dst.get(dcur.idx);
        let (Some(src_len), Some(dst_len)) =
            (s.size.checked_sub(scur.off), d.size.checked_sub(dcur.off))
        else {
            if copied == 0 {
                return -(libc::EINVAL as isize);
            }
            break;
        };
        let len = src_len.min(dst_len);

        let res = match copy_one(&d, dcur.off, &s, scur.off, len, flags) {
            Ok(n) => n,
            Err(errno) => {
                if copied == 0 {
                    return -(errno as isize);
                }
                break;
            }
        };
        copied += res;

        // As libfuse: the destination is not advanced when the source ends.
        if !advance(src, scur, res) || !advance(dst, dcur, res) {
            break;
        }
        if res < len {
            break;
        }
    }
    copied as isize
}

/// Moves a cursor `len` bytes on; false when the vector is used up.
fn advance<S: BufSeq + ?Sized>(bufs: &S, cur: &mut Cursor, len: usize) -> bool {
    if cur.idx >= bufs.count() {
        return false;
    }
    let size = bufs.get(cur.idx).size;
    cur.off += len;
    if cur.off == size {
        cur.idx += 1;
        if cur.idx == bufs.count() {
            return false;
        }
        cur.off = 0;
    }
    true
}

type Res = Result<usize, i32>;

fn copy_one(
    dst: &Buf<'_>,
    dst_off: usize,
    src: &Buf<'_>,
    src_off: usize,
    len: usize,
    flags: CopyFlags,
) -> Res {
    match (src.kind, dst.kind) {
        (Kind::Mem { ptr: sp, .. }, Kind::Mem { ptr: dp, writable }) => {
            mem_to_mem(dp, writable, dst_off, sp, src_off, len)
        }
        (Kind::Mem { ptr, .. }, Kind::Fd(fd)) => write_from(&fd, dst_off, ptr, src_off, len),
        (Kind::Fd(fd), Kind::Mem { ptr, writable }) => {
            if !writable && len > 0 {
                return Err(libc::EBADF);
            }
            read_into(ptr, dst_off, &fd, src_off, len)
        }
        (Kind::Fd(sfd), Kind::Fd(dfd)) => {
            if flags.contains(CopyFlags::NO_SPLICE) {
                fd_to_fd(&dfd, dst_off, &sfd, src_off, len)
            } else {
                splice_fds(&dfd, dst_off, &sfd, src_off, len, flags)
            }
        }
    }
}

fn mem_to_mem(
    dp: *mut u8,
    writable: bool,
    dst_off: usize,
    sp: *mut u8,
    src_off: usize,
    len: usize,
) -> Res {
    if len == 0 {
        return Ok(0);
    }
    if dp.is_null() || sp.is_null() {
        return Err(libc::EFAULT);
    }
    if !writable {
        return Err(libc::EBADF);
    }
    let d = dp.wrapping_add(dst_off);
    let s = sp.wrapping_add(src_off) as *const u8;
    if !std::ptr::eq(d, s) {
        // SAFETY: by the invariant of `Buf`, both pointers cover `len` bytes
        // from these offsets (`off + len <= size` is kept by `copy`), the
        // destination is writable, and only raw pointers reach the memory;
        // `copy` is memmove, so overlapping regions are fine.
        unsafe { std::ptr::copy(s, d, len) };
    }
    Ok(len)
}

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn at(pos: i64, off: usize) -> i64 {
    pos.wrapping_add(off as i64)
}

/// memory to fd (`fuse_buf_write`).
fn write_from(dst: &FdBuf, dst_off: usize, mem: *mut u8, src_off: usize, len: usize) -> Res {
    fd_mem_loop(dst, dst_off, mem, src_off, len, |fd, p, n, pos| {
        let p = p as *const libc::c_void;
        // SAFETY: kernel I/O reading `n` bytes at `p`, which the `Buf`
        // invariant keeps valid (a null or bad pointer gives EFAULT, not UB).
        unsafe {
            match pos {
                Some(pos) => libc::pwrite(fd, p, n, pos),
                None => libc::write(fd, p, n),
            }
        }
    })
}

/// fd to memory (`fuse_buf_read`).
fn read_into(mem: *mut u8, dst_off: usize, src: &FdBuf, src_off: usize, len: usize) -> Res {
    fd_mem_loop(src, src_off, mem, dst_off, len, |fd, p, n, pos| {
        let p = p as *mut libc::c_void;
        // SAFETY: kernel I/O writing at most `n` bytes at `p`, which the
        // `Buf` invariant keeps valid and writable for us alone.
        unsafe {
            match pos {
                Some(pos) => libc::pread(fd, p, n, pos),
                None => libc::read(fd, p, n),
            }
        }
    })
}

/// The loop both directions share: `io(fd, mem + mem_off, len, position)`
/// moves bytes; with FUSE_BUF_FD_RETRY it goes on after short transfers,
/// and an error after some progress ends the copy with what was moved.
fn fd_mem_loop(
    fd: &FdBuf,
    mut fd_off: usize,
    mem: *mut u8,
    mut mem_off: usize,
    mut len: usize,
    io: impl Fn(libc::c_int, *mut u8, usize, Option<i64>) -> isize,
) -> Res {
    let mut copied = 0usize;
    while len > 0 {
        let res = io(
            fd.fd,
            mem.wrapping_add(mem_off),
            len,
            fd.pos.map(|p| at(p, fd_off)),
        );
        if res < 0 {
            if copied == 0 {
                return Err(errno());
            }
            break;
        }
        if res == 0 {
            break;
        }
        let n = res as usize;
        copied += n;
        if !fd.retry {
            break;
        }
        mem_off += n;
        fd_off += n;
        len -= n;
    }
    Ok(copied)
}

/// fd to fd through a 4 KiB bounce buffer (`fuse_buf_fd_to_fd`).
fn fd_to_fd(
    dst: &FdBuf,
    mut dst_off: usize,
    src: &FdBuf,
    mut src_off: usize,
    mut len: usize,
) -> Res {
    let mut tmp = [0u8; 4096];
    let tp = tmp.as_mut_ptr();
    let mut copied = 0usize;
    while len > 0 {
        let this_len = tmp.len().min(len);
        let read_len = match read_into(tp, 0, src, src_off, this_len) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                if copied == 0 {
                    return Err(e);
                }
                break;
            }
        };
        let n = match write_from(dst, dst_off, tp, 0, read_len) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                if copied == 0 {
                    return Err(e);
                }
                break;
            }
        };
        copied += n;
        if n < this_len {
            break;
        }
        dst_off += n;
        src_off += n;
        len -= n;
    }
    Ok(copied)
}

/// fd to fd with splice(2) (`fuse_buf_splice`).
fn splice_fds(
    dst: &FdBuf,
    dst_off: usize,
    src: &FdBuf,
    src_off: usize,
    len: usize,
    flags: CopyFlags,
) -> Res {
    let mut sflags: libc::c_uint = 0;
    if flags.contains(CopyFlags::SPLICE_MOVE) {
        sflags |= libc::SPLICE_F_MOVE;
    }
    if flags.contains(CopyFlags::SPLICE_NONBLOCK) {
        sflags |= libc::SPLICE_F_NONBLOCK;
    }
    // splice moves these positions on by what it transferred.
    let mut spos: Option<libc::loff_t> = src.pos.map(|p| at(p, src_off));
    let mut dpos: Option<libc::loff_t> = dst.pos.map(|p| at(p, dst_off));
    let mut left = len;
    let mut copied = 0usize;
    while left > 0 {
        let sp = spos
            .as_mut()
            .map_or(std::ptr::null_mut(), |p| p as *mut libc::loff_t);
        let dp = dpos
            .as_mut()
            .map_or(std::ptr::null_mut(), |p| p as *mut libc::loff_t);
        // SAFETY: kernel I/O between two fds; the offset pointers are null or
        // point to locals that outlive the call.
        let res = unsafe { libc::splice(src.fd, sp, dst.fd, dp, left, sflags) };
        if res < 0 {
            if copied > 0 {
                break;
            }
            let e = errno();
            if e != libc::EINVAL || flags.contains(CopyFlags::FORCE_SPLICE) {
                return Err(e);
            }
            // splice cannot do this pair of fds: copy by hand.
            return fd_to_fd(dst, dst_off, src, src_off, left);
        }
        if res == 0 {
            break;
        }
        let n = res as usize;
        copied += n;
        if !src.retry && !dst.retry {
            break;
        }
        left -= n;
    }
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::{Read, Seek, SeekFrom, Write};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    fn memfd(data: &[u8]) -> File {
        // SAFETY: memfd_create with a valid NUL-terminated name.
        let fd = unsafe { libc::memfd_create(c"ferrofuse-test".as_ptr(), 0) };
        assert!(fd >= 0);
        // SAFETY: a fresh fd that we own.
        let mut f = unsafe { File::from_raw_fd(fd) };
        f.write_all(data).unwrap();
        f.seek(SeekFrom::Start(0)).unwrap();
        f
    }

    fn contents(f: &mut File) -> Vec<u8> {
        let mut v = Vec::new();
        f.seek(SeekFrom::Start(0)).unwrap();
        f.read_to_end(&mut v).unwrap();
        v
    }

    fn pipe() -> (OwnedFd, OwnedFd) {
        let mut fds = [0; 2];
        // SAFETY: pipe2 writes two fds into the array.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: fresh fds that we own.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    }

    fn seek(fd: RawFd, pos: i64) -> FdBuf {
        FdBuf {
            fd,
            pos: Some(pos),
            retry: false,
        }
    }

    fn stream(fd: RawFd) -> FdBuf {
        FdBuf {
            fd,
            pos: None,
            retry: false,
        }
    }

    fn copy1(dst: &[Buf<'_>], src: &[Buf<'_>], flags: CopyFlags) -> (isize, Cursor, Cursor) {
        let mut dc = Cursor::default();
        let mut sc = Cursor::default();
        let r = copy(dst, &mut dc, src, &mut sc, flags);
        (r, dc, sc)
    }

    #[test]
    fn size_sums_and_saturates() {
        let mut a = [0u8; 3];
        let b = [0u8; 5];
        let v = [Buf::mem(&mut a), Buf::mem_readonly(&b)];
        assert_eq!(buf_size(&v[..]), 8);
        let f = FdBuf {
            fd: -1,
            pos: None,
            retry: false,
        };
        let big = [Buf::fd(f, usize::MAX - 3), Buf::fd(f, 3)];
        assert_eq!(buf_size(&big[..]), usize::MAX);
        let big = [Buf::fd(f, usize::MAX - 3), Buf::fd(f, 2)];
        assert_eq!(buf_size(&big[..]), usize::MAX - 1);
        assert_eq!(buf_size(&[Buf::fd(f, usize::MAX)][..]), usize::MAX);
        let empty: [Buf<'_>; 0] = [];
        assert_eq!(buf_size(&empty[..]), 0);
    }

    #[test]
    fn mem_to_mem_across_buffers() {
        let s1 = *b"hello ";
        let s2 = *b"world!";
        let mut d1 = [0u8; 4];
        let mut d2 = [0u8; 10];
        let src = [Buf::mem_readonly(&s1), Buf::mem_readonly(&s2)];
        let dst = [Buf::mem(&mut d1), Buf::mem(&mut d2)];
        let (r, dc, sc) = copy1(&dst, &src, CopyFlags::default());
        assert_eq!(r, 12);
        // The source ran out first, so the destination cursor stays where
        // the last piece began (libfuse's short-circuit).
        assert_eq!(sc, Cursor { idx: 2, off: 6 });
        assert_eq!(dc, Cursor { idx: 1, off: 2 });
        assert_eq!(&d1, b"hell");
        assert_eq!(&d2[..8], b"o world!");
    }

    #[test]
    fn destination_runs_out_first() {
        let s = *b"0123456789";
        let mut d = [0u8; 4];
        let src = [Buf::mem_readonly(&s)];
        let dst = [Buf::mem(&mut d)];
        let (r, dc, sc) = copy1(&dst, &src, CopyFlags::default());
        assert_eq!(r, 4);
        assert_eq!(sc, Cursor { idx: 0, off: 4 });
        assert_eq!(dc, Cursor { idx: 1, off: 4 });
    }

    #[test]
    fn cursors_start_midway_and_overlap_is_memmove() {
        let mut m = *b"abcdefgh";
        let p = m.as_mut_ptr();
        // SAFETY: both views cover `m`, which outlives them.
        let (a, b) = unsafe { (Buf::from_raw_mem(p, 8), Buf::from_raw_mem(p, 8)) };
        let mut dc = Cursor { idx: 0, off: 2 };
        let mut sc = Cursor { idx: 0, off: 0 };
        let r = copy(&[a], &mut dc, &[b], &mut sc, CopyFlags::default());
        assert_eq!(r, 6);
        assert_eq!(&m, b"ababcdef");
    }

    #[test]
    fn bad_offsets_and_null_memory() {
        let s = *b"abc";
        let mut d = [0u8; 3];
        let src = [Buf::mem_readonly(&s)];
        let dst = [Buf::mem(&mut d)];
        let mut dc = Cursor::default();
        let mut sc = Cursor { idx: 0, off: 4 };
        assert_eq!(
            copy(&dst, &mut dc, &src, &mut sc, CopyFlags::default()),
            -22
        );
        // SAFETY: a null buffer is allowed and never dereferenced.
        let null = unsafe { Buf::from_raw_mem(std::ptr::null_mut(), 3) };
        let (r, _, _) = copy1(&dst, &[null], CopyFlags::default());
        assert_eq!(r, -(libc::EFAULT as isize));
        let (r, _, _) = copy1(&[Buf::mem_readonly(&s)], &src, CopyFlags::default());
        assert_eq!(r, -(libc::EBADF as isize));
        // Exhausted vectors copy nothing.
        let mut dc = Cursor { idx: 1, off: 0 };
        let mut sc = Cursor::default();
        assert_eq!(copy(&dst, &mut dc, &src, &mut sc, CopyFlags::default()), 0);
    }

    #[test]
    fn zero_sized_buffers_are_skipped() {
        let s = *b"xyz";
        let mut d = [0u8; 3];
        let src = [Buf::mem_readonly(&[]), Buf::mem_readonly(&s)];
        let dst = [Buf::mem(&mut d)];
        let (r, dc, sc) = copy1(&dst, &src, CopyFlags::default());
        assert_eq!(r, 3);
        assert_eq!(sc, Cursor { idx: 2, off: 3 });
        assert_eq!(dc, Cursor { idx: 0, off: 0 });
        assert_eq!(&d, b"xyz");
    }

    #[test]
    fn mem_to_fd_seek_and_stream() {
        let mut f = memfd(b"..........");
        let data = *b"abc";
        let (r, _, _) = copy1(
            &[Buf::fd(seek(f.as_raw_fd(), 4), 3)],
            &[Buf::mem_readonly(&data)],
            CopyFlags::default(),
        );
        assert_eq!(r, 3);
        assert_eq!(contents(&mut f), b"....abc...");
        // A stream fd writes at its own position.
        f.seek(SeekFrom::Start(1)).unwrap();
        let mut dc = Cursor { idx: 0, off: 1 };
        let mut sc = Cursor::default();
        let r = copy(
            &[Buf::fd(stream(f.as_raw_fd()), 4)],
            &mut dc,
            &[Buf::mem_readonly(&data)],
            &mut sc,
            CopyFlags::default(),
        );
        assert_eq!(r, 3);
        assert_eq!(contents(&mut f), b".abcabc...");
    }

    #[test]
    fn fd_to_mem_eof_is_a_short_copy() {
        let f = memfd(b"hello");
        let mut d = [0u8; 16];
        let dst = [Buf::mem(&mut d)];
        let (r, dc, sc) = copy1(
            &dst,
            &[Buf::fd(seek(f.as_raw_fd(), 1), 16)],
            CopyFlags::default(),
        );
        assert_eq!(r, 4);
        assert_eq!(sc, Cursor { idx: 0, off: 4 });
        assert_eq!(dc, Cursor { idx: 0, off: 4 });
        assert_eq!(&d[..4], b"ello");
        // At EOF nothing is copied and nothing fails.
        let mut d = [0u8; 4];
        let (r, _, _) = copy1(
            &[Buf::mem(&mut d)],
            &[Buf::fd(seek(f.as_raw_fd(), 9), 4)],
            CopyFlags::default(),
        );
        assert_eq!(r, 0);
    }

    #[test]
    fn fd_errors_are_negative_errno() {
        let mut d = [0u8; 4];
        let bad = FdBuf {
            fd: -1,
            pos: None,
            retry: false,
        };
        let (r, _, _) = copy1(
            &[Buf::mem(&mut d)],
            &[Buf::fd(bad, 4)],
            CopyFlags::default(),
        );
        assert_eq!(r, -(libc::EBADF as isize));
        let (r, _, _) = copy1(
            &[Buf::fd(bad, 4)],
            &[Buf::mem(&mut d)],
            CopyFlags::default(),
        );
        assert_eq!(r, -(libc::EBADF as isize));
        // A read-only fd as destination.
        let f = memfd(b"abcd");
        let path = format!("/proc/self/fd/{}", f.as_raw_fd());
        let ro = File::open(path).unwrap();
        let (r, _, _) = copy1(
            &[Buf::fd(seek(ro.as_raw_fd(), 0), 4)],
            &[Buf::mem(&mut d)],
            CopyFlags::default(),
        );
        assert_eq!(r, -(libc::EBADF as isize));
    }

    #[test]
    fn error_after_progress_returns_the_count() {
        let s = *b"abcd";
        let f = memfd(b"");
        let bad = FdBuf {
            fd: -1,
            pos: None,
            retry: false,
        };
        let dst = [Buf::fd(seek(f.as_raw_fd(), 0), 2), Buf::fd(bad, 2)];
        let (r, dc, sc) = copy1(&dst, &[Buf::mem_readonly(&s)], CopyFlags::default());
        assert_eq!(r, 2);
        assert_eq!(sc, Cursor { idx: 0, off: 2 });
        assert_eq!(dc, Cursor { idx: 1, off: 0 });
    }

    #[test]
    fn pipe_short_reads_stop_unless_retry() {
        let (r, w) = pipe();
        let s = *b"abcdef";
        let (n, _, _) = copy1(
            &[Buf::fd(stream(w.as_raw_fd()), 3)],
            &[Buf::mem_readonly(&s)],
            CopyFlags::default(),
        );
        assert_eq!(n, 3);
        // Two writes make two pipe buffers; a read gets what is there.
        let (n, _, _) = copy1(
            &[Buf::fd(stream(w.as_raw_fd()), 3)],
            &[Buf::mem_readonly(&s[3..])],
            CopyFlags::default(),
        );
        assert_eq!(n, 3);
        drop(w);
        let mut d = [0u8; 10];
        let retry = FdBuf {
            fd: r.as_raw_fd(),
            pos: None,
            retry: true,
        };
        let (n, _, sc) = copy1(
            &[Buf::mem(&mut d)],
            &[Buf::fd(retry, 10)],
            CopyFlags::default(),
        );
        // With retry, reads continue until EOF.
        assert_eq!(n, 6);
        assert_eq!(sc, Cursor { idx: 0, off: 6 });
        assert_eq!(&d[..6], b"abcdef");
    }

    #[test]
    fn fd_to_fd_without_splice_uses_a_bounce_buffer() {
        let data: Vec<u8> = (0..10000u32).map(|i| (i % 251) as u8).collect();
        let src = memfd(&data);
        let mut dst = memfd(b"");
        let (n, dc, sc) = copy1(
            &[Buf::fd(seek(dst.as_raw_fd(), 10), 9000)],
            &[Buf::fd(seek(src.as_raw_fd(), 100), 9000)],
            CopyFlags::NO_SPLICE,
        );
        assert_eq!(n, 9000);
        assert_eq!(sc, Cursor { idx: 1, off: 9000 });
        // Both ended together; the source ran out first, so the destination
        // cursor was not moved.
        assert_eq!(dc, Cursor { idx: 0, off: 0 });
        let got = contents(&mut dst);
        assert_eq!(&got[10..], &data[100..9100]);
        // Hitting EOF in the middle stops at what was there.
        let mut dst2 = memfd(b"");
        let (n, _, _) = copy1(
            &[Buf::fd(seek(dst2.as_raw_fd(), 0), 9000)],
            &[Buf::fd(seek(src.as_raw_fd(), 5000), 9000)],
            CopyFlags::NO_SPLICE,
        );
        assert_eq!(n, 5000);
        assert_eq!(contents(&mut dst2), &data[5000..]);
    }

    #[test]
    fn splice_file_to_pipe_and_pipe_to_file() {
        let data: Vec<u8> = (0..3000u32).map(|i| (i % 199) as u8).collect();
        let src = memfd(&data);
        let (r, w) = pipe();
        let (n, _, _) = copy1(
            &[Buf::fd(stream(w.as_raw_fd()), 2000)],
            &[Buf::fd(seek(src.as_raw_fd(), 500), 2000)],
            CopyFlags::SPLICE_MOVE | CopyFlags::SPLICE_NONBLOCK,
        );
        assert_eq!(n, 2000);
        let mut out = memfd(b"");
        let (n, _, _) = copy1(
            &[Buf::fd(seek(out.as_raw_fd(), 0), 2000)],
            &[Buf::fd(stream(r.as_raw_fd()), 2000)],
            CopyFlags::default(),
        );
        assert_eq!(n, 2000);
        assert_eq!(contents(&mut out), &data[500..2500]);
    }

    #[test]
    fn splice_between_files_falls_back_or_fails_when_forced() {
        // splice needs a pipe on one side: between two regular files it
        // fails with EINVAL, so libfuse copies by hand unless forced.
        let data = b"0123456789".to_vec();
        let src = memfd(&data);
        let mut dst = memfd(b"");
        let (n, _, _) = copy1(
            &[Buf::fd(seek(dst.as_raw_fd(), 0), 10)],
            &[Buf::fd(seek(src.as_raw_fd(), 0), 10)],
            CopyFlags::default(),
        );
        assert_eq!(n, 10);
        assert_eq!(contents(&mut dst), data);
        let (n, _, _) = copy1(
            &[Buf::fd(seek(dst.as_raw_fd(), 0), 10)],
            &[Buf::fd(seek(src.as_raw_fd(), 0), 10)],
            CopyFlags::FORCE_SPLICE,
        );
        assert_eq!(n, -(libc::EINVAL as isize));
    }

    #[test]
    fn splice_nonblock_on_an_empty_pipe_is_eagain() {
        let (r, _w) = pipe();
        let out = memfd(b"");
        let (n, _, _) = copy1(
            &[Buf::fd(seek(out.as_raw_fd(), 0), 10)],
            &[Buf::fd(stream(r.as_raw_fd()), 10)],
            CopyFlags::SPLICE_NONBLOCK,
        );
        assert_eq!(n, -(libc::EAGAIN as isize));
    }

    #[test]
    fn splice_retry_continues_after_short_transfers() {
        let (r, w) = pipe();
        // Two separate writes; splice without retry takes what it can in one call.
        for chunk in [&b"abc"[..], &b"defg"[..]] {
            let (n, _, _) = copy1(
                &[Buf::fd(stream(w.as_raw_fd()), chunk.len())],
                &[Buf::mem_readonly(chunk)],
                CopyFlags::default(),
            );
            assert_eq!(n as usize, chunk.len());
        }
        drop(w);
        let mut out = memfd(b"");
        let retry = FdBuf {
            fd: out.as_raw_fd(),
            pos: Some(0),
            retry: true,
        };
        let (n, _, _) = copy1(
            &[Buf::fd(retry, 20)],
            &[Buf::fd(stream(r.as_raw_fd()), 20)],
            CopyFlags::default(),
        );
        assert_eq!(n, 7);
        assert_eq!(contents(&mut out), b"abcdefg");
    }
}
