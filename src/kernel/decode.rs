//! Parsing one request as the kernel delivers it: safe, without allocation,
//! and without panics on any input.
//!
//! [`parse_request`] takes the bytes of one read of /dev/fuse;
//! [`parse_uring_request`] takes the three parts an io-uring ring entry
//! holds. Both give a [`Request`]: the header, an [`Op`] with the opcode's
//! argument struct copied out by value (so the buffer needs no alignment)
//! and its trailing data borrowed from the buffer, and the request's
//! [`Extensions`].
//!
//! # Trailing data
//! Names are `&CStr`s ending at their NUL inside the buffer, so a C callback
//! can be handed `name.as_ptr()` directly. Write data, xattr values and
//! ioctl input are `&[u8]` of exactly the size the argument struct
//! announces. BATCH_FORGET's records are a [`Forgets`] view: an iterator
//! that works on any alignment, plus [`Forgets::as_slice`] for the
//! zero-copy `&[fuse_forget_one]` a C `forget_multi` wants, which succeeds
//! when the records are 8-aligned in memory (they are whenever the request
//! buffer is, as the records start at byte 48), and [`Forgets::copy_to`]
//! as the fallback.
//!
//! # Short structs
//! Several argument structs grew over the protocol's life. A struct that is
//! the whole argument is read from however many bytes the kernel sent, at
//! least its oldest size, and the missing tail is zero-filled (INIT: 8, 16
//! or 64 bytes; READ/READDIR: 24 before 7.9; RELEASE: 16 before 7.8; FLUSH:
//! 16 before 7.7; GETLK/SETLK: 40 before 7.9; GETATTR: nothing before 7.9).
//! A struct followed by trailing data must be split at the size the
//! negotiated version implies, taken from the [`DecodeCtx`]: WRITE 24 bytes
//! before 7.9, MKNOD 8 before 7.12, CREATE 8 (a `fuse_open_in`) before
//! 7.12, SETXATTR 8 unless `FUSE_SETXATTR_EXT` was negotiated; the missing
//! fields read as 0.
//!
//! # Extensions
//! When `FUSE_SECURITY_CTX` or `FUSE_CREATE_SUPP_GROUP` is negotiated the
//! kernel appends a chain of `fuse_ext_header` records to the requests that
//! create an inode (CREATE, TMPFILE, MKNOD, MKDIR, SYMLINK);
//! `fuse_in_header::total_extlen` gives the chain's size in units of 8
//! bytes, counted from the end of the request.
//! The chain is cut off before the argument is parsed and validated (each
//! record at least 8 bytes, the records tiling the area exactly, group and
//! security context bodies within their record). libfuse 3.18 never
//! negotiates either flag and ignores `total_extlen`, so with its
//! behaviour the area is always empty.
//!
//! # Errors
//! libfuse trusts the kernel and checks none of this; a [`DecodeError`]
//! means the bytes cannot be a request the kernel sent. The session should
//! answer it with `EIO` ([`DecodeError::errno`]) when the header was read
//! and the opcode expects a reply ([`DecodeError::reply_unique`]), as
//! libfuse does for a write whose data is shorter than announced; a read
//! shorter than a header is what libfuse treats as a failed receive
//! ("short read on fuse device", `-EIO` from the receive). Unknown opcodes
//! are not errors: they decode as [`Op::Unknown`], which the session
//! answers with `ENOSYS` as libfuse does (libfuse also answers SYNCFS,
//! SETUPMAPPING and REMOVEMAPPING with ENOSYS, having no handler for them;
//! they decode here all the same).

use std::ffi::CStr;
use std::fmt;
use std::mem::size_of;

use super::*;

/// What the decoder must know of the negotiated connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeCtx {
    /// The protocol minor version in use (the smaller of the kernel's and
    /// ours). It does not matter for INIT itself, which carries its own.
    pub proto_minor: u32,
    /// Whether the INIT reply set `FUSE_SETXATTR_EXT` (libfuse: the
    /// filesystem wants `FUSE_CAP_SETXATTR_EXT`), making SETXATTR send the
    /// long `fuse_setxattr_in`.
    pub setxattr_ext: bool,
}

impl DecodeCtx {
    pub const fn new(proto_minor: u32, setxattr_ext: bool) -> Self {
        DecodeCtx {
            proto_minor,
            setxattr_ext,
        }
    }
}

impl Default for DecodeCtx {
    /// The current protocol without `FUSE_SETXATTR_EXT`.
    fn default() -> Self {
        DecodeCtx::new(FUSE_KERNEL_MINOR_VERSION, false)
    }
}

/// One decoded request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub header: fuse_in_header,
    pub op: Op<'a>,
    /// The extension area at the end of the request (empty unless
    /// `total_extlen` is set), already validated.
    pub ext: Extensions<'a>,
}

/// A request's opcode with its decoded argument (`arg`, copied out) and
/// trailing data (borrowed). One variant per opcode; FLOCK locks come as
/// `Setlk`/`Setlkw` with `FUSE_LK_FLOCK` in `arg.lk_flags` (see
/// [`flock_operation`]).
#[derive(Debug, Clone, Copy)]
pub enum Op<'a> {
    Lookup {
        name: &'a CStr,
    },
    Forget {
        arg: fuse_forget_in,
    },
    /// `arg` is all zero before 7.9 (no argument then).
    Getattr {
        arg: fuse_getattr_in,
    },
    Setattr {
        arg: fuse_setattr_in,
    },
    Readlink,
    /// `name` is the new entry, `link` its target (kernel order; libfuse's
    /// callback takes them the other way round).
    Symlink {
        name: &'a CStr,
        link: &'a CStr,
    },
    Mknod {
        arg: fuse_mknod_in,
        name: &'a CStr,
    },
    Mkdir {
        arg: fuse_mkdir_in,
        name: &'a CStr,
    },
    Unlink {
        name: &'a CStr,
    },
    Rmdir {
        name: &'a CStr,
    },
    Rename {
        arg: fuse_rename_in,
        name: &'a CStr,
        newname: &'a CStr,
    },
    Link {
        arg: fuse_link_in,
        name: &'a CStr,
    },
    Open {
        arg: fuse_open_in,
    },
    Read {
        arg: fuse_read_in,
    },
    /// `data` is exactly `arg.size` bytes.
    Write {
        arg: fuse_write_in,
        data: &'a [u8],
    },
    Statfs,
    Release {
        arg: fuse_release_in,
    },
    Fsync {
        arg: fuse_fsync_in,
    },
    /// `value` is exactly `arg.size` bytes.
    Setxattr {
        arg: fuse_setxattr_in,
        name: &'a CStr,
        value: &'a [u8],
    },
    Getxattr {
        arg: fuse_getxattr_in,
        name: &'a CStr,
    },
    Listxattr {
        arg: fuse_getxattr_in,
    },
    Removexattr {
        name: &'a CStr,
    },
    Flush {
        arg: fuse_flush_in,
    },
    /// Fields the kernel's version did not send are 0; see
    /// [`fuse_init_in::all_flags`].
    Init {
        arg: fuse_init_in,
    },
    Opendir {
        arg: fuse_open_in,
    },
    Readdir {
        arg: fuse_read_in,
    },
    Releasedir {
        arg: fuse_release_in,
    },
    Fsyncdir {
        arg: fuse_fsync_in,
    },
    Getlk {
        arg: fuse_lk_in,
    },
    Setlk {
        arg: fuse_lk_in,
    },
    Setlkw {
        arg: fuse_lk_in,
    },
    Access {
        arg: fuse_access_in,
    },
    Create {
        arg: fuse_create_in,
        name: &'a CStr,
    },
    Interrupt {
        arg: fuse_interrupt_in,
    },
    Bmap {
        arg: fuse_bmap_in,
    },
    Destroy,
    /// `in_data` is exactly `arg.in_size` bytes.
    Ioctl {
        arg: fuse_ioctl_in,
        in_data: &'a [u8],
    },
    Poll {
        arg: fuse_poll_in,
    },
    /// The kernel's answer to a retrieve notification; `header.unique` is
    /// the notification's `notify_unique`. `data` is everything after the
    /// argument, which the kernel makes `arg.size` bytes; libfuse checks
    /// that itself (log and drop when shorter), so it is not checked here.
    NotifyReply {
        arg: fuse_notify_retrieve_in,
        data: &'a [u8],
    },
    BatchForget {
        arg: fuse_batch_forget_in,
        forgets: Forgets<'a>,
    },
    Fallocate {
        arg: fuse_fallocate_in,
    },
    Readdirplus {
        arg: fuse_read_in,
    },
    Rename2 {
        arg: fuse_rename2_in,
        name: &'a CStr,
        newname: &'a CStr,
    },
    Lseek {
        arg: fuse_lseek_in,
    },
    CopyFileRange {
        arg: fuse_copy_file_range_in,
    },
    SetupMapping {
        arg: fuse_setupmapping_in,
    },
    /// `entries` are `arg.count` unaligned `fuse_removemapping_one`
    /// records.
    RemoveMapping {
        arg: fuse_removemapping_in,
        entries: &'a [u8],
    },
    Syncfs {
        arg: fuse_syncfs_in,
    },
    /// The kernel sends a placeholder name (`"/"`) after the argument;
    /// `name` is it when present and NUL-terminated.
    Tmpfile {
        arg: fuse_create_in,
        name: Option<&'a CStr>,
    },
    Statx {
        arg: fuse_statx_in,
    },
    CopyFileRange64 {
        arg: fuse_copy_file_range_in,
    },
    CuseInit {
        arg: cuse_init_in,
    },
    /// An opcode this protocol version does not define.
    Unknown(u32),
}

impl Op<'_> {
    /// The opcode this was decoded from.
    pub fn opcode(&self) -> u32 {
        match self {
            Op::Lookup { .. } => FUSE_LOOKUP,
            Op::Forget { .. } => FUSE_FORGET,
            Op::Getattr { .. } => FUSE_GETATTR,
            Op::Setattr { .. } => FUSE_SETATTR,
            Op::Readlink => FUSE_READLINK,
            Op::Symlink { .. } => FUSE_SYMLINK,
            Op::Mknod { .. } => FUSE_MKNOD,
            Op::Mkdir { .. } => FUSE_MKDIR,
            Op::Unlink { .. } => FUSE_UNLINK,
            Op::Rmdir { .. } => FUSE_RMDIR,
            Op::Rename { .. } => FUSE_RENAME,
            Op::Link { .. } => FUSE_LINK,
            Op::Open { .. } => FUSE_OPEN,
            Op::Read { .. } => FUSE_READ,
            Op::Write { .. } => FUSE_WRITE,
            Op::Statfs => FUSE_STATFS,
            Op::Release { .. } => FUSE_RELEASE,
            Op::Fsync { .. } => FUSE_FSYNC,
            Op::Setxattr { .. } => FUSE_SETXATTR,
            Op::Getxattr { .. } => FUSE_GETXATTR,
            Op::Listxattr { .. } => FUSE_LISTXATTR,
            Op::Removexattr { .. } => FUSE_REMOVEXATTR,
            Op::Flush { .. } => FUSE_FLUSH,
            Op::Init { .. } => FUSE_INIT,
            Op::Opendir { .. } => FUSE_OPENDIR,
            Op::Readdir { .. } => FUSE_READDIR,
            Op::Releasedir { .. } => FUSE_RELEASEDIR,
            Op::Fsyncdir { .. } => FUSE_FSYNCDIR,
            Op::Getlk { .. } => FUSE_GETLK,
            Op::Setlk { .. } => FUSE_SETLK,
            Op::Setlkw { .. } => FUSE_SETLKW,
            Op::Access { .. } => FUSE_ACCESS,
            Op::Create { .. } => FUSE_CREATE,
            Op::Interrupt { .. } => FUSE_INTERRUPT,
            Op::Bmap { .. } => FUSE_BMAP,
            Op::Destroy => FUSE_DESTROY,
            Op::Ioctl { .. } => FUSE_IOCTL,
            Op::Poll { .. } => FUSE_POLL,
            Op::NotifyReply { .. } => FUSE_NOTIFY_REPLY,
            Op::BatchForget { .. } => FUSE_BATCH_FORGET,
            Op::Fallocate { .. } => FUSE_FALLOCATE,
            Op::Readdirplus { .. } => FUSE_READDIRPLUS,
            Op::Rename2 { .. } => FUSE_RENAME2,
            Op::Lseek { .. } => FUSE_LSEEK,
            Op::CopyFileRange { .. } => FUSE_COPY_FILE_RANGE,
            Op::SetupMapping { .. } => FUSE_SETUPMAPPING,
            Op::RemoveMapping { .. } => FUSE_REMOVEMAPPING,
            Op::Syncfs { .. } => FUSE_SYNCFS,
            Op::Tmpfile { .. } => FUSE_TMPFILE,
            Op::Statx { .. } => FUSE_STATX,
            Op::CopyFileRange64 { .. } => FUSE_COPY_FILE_RANGE_64,
            Op::CuseInit { .. } => CUSE_INIT,
            Op::Unknown(op) => *op,
        }
    }
}

/// The flock(2) operation libfuse passes to its `flock` callback for a
/// SETLK (`sleep` false) or SETLKW (`sleep` true) carrying `FUSE_LK_FLOCK`:
/// `LOCK_SH`, `LOCK_EX` or `LOCK_UN` from the lock type (0 for another
/// type), plus `LOCK_NB` when not sleeping.
pub fn flock_operation(arg: &fuse_lk_in, sleep: bool) -> i32 {
    let op = match arg.lk.type_ as i32 {
        libc::F_RDLCK => libc::LOCK_SH,
        libc::F_WRLCK => libc::LOCK_EX,
        libc::F_UNLCK => libc::LOCK_UN,
        _ => 0,
    };
    if sleep {
        op
    } else {
        op | libc::LOCK_NB
    }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// What was wrong with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// Fewer bytes than a `fuse_in_header`.
    ShortHeader,
    /// `fuse_in_header::len` is not the number of bytes given.
    LengthMismatch,
    /// The opcode's argument struct is shorter than any version sent.
    Truncated,
    /// A name has no NUL before the end of the request.
    MissingNul,
    /// Fewer bytes of data than the argument announces (write data, xattr
    /// value, ioctl input, forget records).
    ShortData,
    /// The extension area is larger than the request or its records do not
    /// fit it.
    BadExtension,
}

/// A request that cannot be decoded; see the module documentation for how
/// the session answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError {
    pub kind: DecodeErrorKind,
    /// The header, when there were enough bytes for one.
    pub header: Option<fuse_in_header>,
    /// Which part was wrong, for the log.
    pub what: &'static str,
}

impl DecodeError {
    /// The errno to answer with: `EIO`.
    pub fn errno(&self) -> i32 {
        libc::EIO
    }

    /// The `unique` to send the error reply to, when there should be one:
    /// the header was read and its opcode is not one the kernel expects no
    /// reply for.
    pub fn reply_unique(&self) -> Option<u64> {
        self.header
            .filter(|h| expects_reply(h.opcode))
            .map(|h| h.unique)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            DecodeErrorKind::ShortHeader => "request shorter than its header",
            DecodeErrorKind::LengthMismatch => "request length differs from its header",
            DecodeErrorKind::Truncated => "argument truncated",
            DecodeErrorKind::MissingNul => "name without NUL",
            DecodeErrorKind::ShortData => "data shorter than announced",
            DecodeErrorKind::BadExtension => "malformed extension",
        };
        match &self.header {
            Some(h) => write!(
                f,
                "{kind} ({}): {} (unique {}, len {})",
                self.what,
                opname(h.opcode),
                h.unique,
                h.len
            ),
            None => write!(f, "{kind} ({})", self.what),
        }
    }
}

impl std::error::Error for DecodeError {}

/// An error without the header yet; `parse_*` add it.
type Fail = (DecodeErrorKind, &'static str);

// ---------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------

/// Decodes one request read from /dev/fuse: `buf` must be exactly the bytes
/// the read returned (`fuse_in_header::len` of them).
///
/// A splice read leaves WRITE data in the pipe; such a request is not
/// complete in memory and cannot go through here, but its header and
/// `fuse_write_in` can be read with [`read_struct`].
pub fn parse_request(buf: &[u8], ctx: DecodeCtx) -> Result<Request<'_>, DecodeError> {
    let header = match read_struct::<fuse_in_header>(buf) {
        Some(h) => h,
        None => {
            return Err(DecodeError {
                kind: DecodeErrorKind::ShortHeader,
                header: None,
                what: "fuse_in_header",
            })
        }
    };
    let err = |(kind, what): Fail| DecodeError {
        kind,
        header: Some(header),
        what,
    };
    if header.len as usize != buf.len() {
        return Err(err((DecodeErrorKind::LengthMismatch, "fuse_in_header.len")));
    }
    let body = buf.get(size_of::<fuse_in_header>()..).unwrap_or_default();
    let (body, ext) = split_extensions(&header, body).map_err(err)?;
    let (fixed, tail) = match tail_offset(header.opcode, ctx) {
        Some(n) => match (body.get(..n), body.get(n..)) {
            (Some(fixed), Some(tail)) => (fixed, tail),
            _ => return Err(err((DecodeErrorKind::Truncated, "argument"))),
        },
        None => (body, &[][..]),
    };
    let op = decode_op(header.opcode, fixed, tail, ctx).map_err(err)?;
    Ok(Request { header, op, ext })
}

/// Decodes one request fetched through an io-uring ring entry: `in_out` is
/// the entry's `fuse_uring_req_header::in_out` (holding the
/// `fuse_in_header`), `op_in` its `op_in` (the opcode's argument struct,
/// zero-padded), `payload` the first `payload_sz` bytes of the payload
/// buffer (names, data, extensions). The header's `len` is not checked.
pub fn parse_uring_request<'a>(
    in_out: &'a [u8],
    op_in: &'a [u8],
    payload: &'a [u8],
    ctx: DecodeCtx,
) -> Result<Request<'a>, DecodeError> {
    let header = match read_struct::<fuse_in_header>(in_out) {
        Some(h) => h,
        None => {
            return Err(DecodeError {
                kind: DecodeErrorKind::ShortHeader,
                header: None,
                what: "fuse_in_header",
            })
        }
    };
    let err = |(kind, what): Fail| DecodeError {
        kind,
        header: Some(header),
        what,
    };
    let (payload, ext) = split_extensions(&header, payload).map_err(err)?;
    let fixed = match tail_offset(header.opcode, ctx) {
        // The ring keeps the struct's room at 128 bytes; the split size
        // still says how much of it this version sends.
        Some(n) => op_in.get(..n).unwrap_or(op_in),
        None => op_in,
    };
    let op = decode_op(header.opcode, fixed, payload, ctx).map_err(err)?;
    Ok(Request { header, op, ext })
}

/// Copies a `T` out of the first `size_of::<T>()` bytes of `bytes`, at any
/// alignment; `None` if there are fewer.
pub fn read_struct<T: WireStruct>(bytes: &[u8]) -> Option<T> {
    if bytes.len() < size_of::<T>() {
        return None;
    }
    // SAFETY: the source holds at least size_of::<T>() readable bytes (just
    // checked); read_unaligned needs no alignment; and T being a
    // WireStruct (integers only, no padding) every byte pattern is a valid
    // T.
    Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
}

/// Like [`read_struct`], but accepts as few as `min` bytes and reads the
/// missing tail of `T` as zeroes (for structs that grew over versions).
pub fn read_struct_prefix<T: WireStruct>(bytes: &[u8], min: usize) -> Option<T> {
    const MAX: usize = 128;
    let size = size_of::<T>();
    if bytes.len() >= size {
        return read_struct(bytes);
    }
    if bytes.len() < min || size > MAX {
        return None;
    }
    let mut tmp = [0u8; MAX];
    tmp.get_mut(..bytes.len())?.copy_from_slice(bytes);
    read_struct(&tmp[..])
}

// ---------------------------------------------------------------------------
// The opcodes' argument shapes
// ---------------------------------------------------------------------------

/// For an opcode whose argument struct is followed by trailing data, where
/// the data starts in a /dev/fuse request under this context; `None` for
/// opcodes whose argument is one struct (of possibly older, shorter size)
/// or nothing.
fn tail_offset(opcode: u32, ctx: DecodeCtx) -> Option<usize> {
    Some(match opcode {
        FUSE_LOOKUP | FUSE_UNLINK | FUSE_RMDIR | FUSE_SYMLINK | FUSE_REMOVEXATTR => 0,
        FUSE_MKNOD if ctx.proto_minor < 12 => FUSE_COMPAT_MKNOD_IN_SIZE,
        FUSE_MKNOD => size_of::<fuse_mknod_in>(),
        FUSE_MKDIR => size_of::<fuse_mkdir_in>(),
        FUSE_RENAME => size_of::<fuse_rename_in>(),
        FUSE_RENAME2 => size_of::<fuse_rename2_in>(),
        FUSE_LINK => size_of::<fuse_link_in>(),
        FUSE_WRITE if ctx.proto_minor < 9 => FUSE_COMPAT_WRITE_IN_SIZE,
        FUSE_WRITE => size_of::<fuse_write_in>(),
        FUSE_SETXATTR if ctx.setxattr_ext => size_of::<fuse_setxattr_in>(),
        FUSE_SETXATTR => FUSE_COMPAT_SETXATTR_IN_SIZE,
        FUSE_GETXATTR => size_of::<fuse_getxattr_in>(),
        FUSE_CREATE if ctx.proto_minor < 12 => size_of::<fuse_open_in>(),
        FUSE_CREATE | FUSE_TMPFILE => size_of::<fuse_create_in>(),
        FUSE_IOCTL => size_of::<fuse_ioctl_in>(),
        FUSE_NOTIFY_REPLY => size_of::<fuse_notify_retrieve_in>(),
        FUSE_BATCH_FORGET => size_of::<fuse_batch_forget_in>(),
        FUSE_REMOVEMAPPING => size_of::<fuse_removemapping_in>(),
        _ => return None,
    })
}

/// Reads the argument struct from `fixed`, accepting `min` bytes or more.
fn arg<T: WireStruct>(fixed: &[u8], min: usize) -> Result<T, Fail> {
    read_struct_prefix(fixed, min).ok_or((DecodeErrorKind::Truncated, "argument"))
}

/// A struct followed by trailing data: exactly the split size is there (for
/// a /dev/fuse request), or more (a ring entry's zero-padded `op_in`).
fn split_arg<T: WireStruct>(fixed: &[u8], opcode: u32, ctx: DecodeCtx) -> Result<T, Fail> {
    arg(fixed, tail_offset(opcode, ctx).unwrap_or(size_of::<T>()))
}

/// A NUL-terminated name at the start of `bytes`, and what follows its NUL.
fn name<'a>(bytes: &'a [u8], what: &'static str) -> Result<(&'a CStr, &'a [u8]), Fail> {
    let s = CStr::from_bytes_until_nul(bytes).map_err(|_| (DecodeErrorKind::MissingNul, what))?;
    let rest = bytes.get(s.to_bytes().len() + 1..).unwrap_or_default();
    Ok((s, rest))
}

/// The first `len` bytes of `bytes`.
fn data<'a>(bytes: &'a [u8], len: u64, what: &'static str) -> Result<&'a [u8], Fail> {
    usize::try_from(len)
        .ok()
        .and_then(|n| bytes.get(..n))
        .ok_or((DecodeErrorKind::ShortData, what))
}

fn decode_op<'a>(
    opcode: u32,
    fixed: &'a [u8],
    tail: &'a [u8],
    ctx: DecodeCtx,
) -> Result<Op<'a>, Fail> {
    Ok(match opcode {
        FUSE_LOOKUP => Op::Lookup {
            name: name(tail, "name")?.0,
        },
        FUSE_FORGET => Op::Forget {
            arg: arg(fixed, 8)?,
        },
        FUSE_GETATTR => Op::Getattr {
            arg: arg(fixed, 0)?,
        },
        FUSE_SETATTR => Op::Setattr {
            arg: arg(fixed, size_of::<fuse_setattr_in>())?,
        },
        FUSE_READLINK => Op::Readlink,
        FUSE_SYMLINK => {
            let (name_, rest) = name(tail, "name")?;
            let (link, _) = name(rest, "link target")?;
            Op::Symlink { name: name_, link }
        }
        FUSE_MKNOD => Op::Mknod {
            arg: split_arg(fixed, opcode, ctx)?,
            name: name(tail, "name")?.0,
        },
        FUSE_MKDIR => Op::Mkdir {
            arg: split_arg(fixed, opcode, ctx)?,
            name: name(tail, "name")?.0,
        },
        FUSE_UNLINK => Op::Unlink {
            name: name(tail, "name")?.0,
        },
        FUSE_RMDIR => Op::Rmdir {
            name: name(tail, "name")?.0,
        },
        FUSE_RENAME => {
            let (old, rest) = name(tail, "old name")?;
            Op::Rename {
                arg: split_arg(fixed, opcode, ctx)?,
                name: old,
                newname: name(rest, "new name")?.0,
            }
        }
        FUSE_LINK => Op::Link {
            arg: split_arg(fixed, opcode, ctx)?,
            name: name(tail, "name")?.0,
        },
        FUSE_OPEN => Op::Open {
            arg: arg(fixed, 8)?,
        },
        FUSE_READ => Op::Read {
            arg: arg(fixed, 24)?,
        },
        FUSE_WRITE => {
            let a: fuse_write_in = split_arg(fixed, opcode, ctx)?;
            Op::Write {
                arg: a,
                data: data(tail, a.size.into(), "write data")?,
            }
        }
        FUSE_STATFS => Op::Statfs,
        FUSE_RELEASE => Op::Release {
            arg: arg(fixed, 16)?,
        },
        FUSE_FSYNC => Op::Fsync {
            arg: arg(fixed, 16)?,
        },
        FUSE_SETXATTR => {
            let a: fuse_setxattr_in = split_arg(fixed, opcode, ctx)?;
            let (n, rest) = name(tail, "name")?;
            Op::Setxattr {
                arg: a,
                name: n,
                value: data(rest, a.size.into(), "xattr value")?,
            }
        }
        FUSE_GETXATTR => Op::Getxattr {
            arg: split_arg(fixed, opcode, ctx)?,
            name: name(tail, "name")?.0,
        },
        FUSE_LISTXATTR => Op::Listxattr {
            arg: arg(fixed, 8)?,
        },
        FUSE_REMOVEXATTR => Op::Removexattr {
            name: name(tail, "name")?.0,
        },
        FUSE_FLUSH => Op::Flush {
            arg: arg(fixed, 16)?,
        },
        FUSE_INIT => Op::Init {
            arg: arg(fixed, 8)?,
        },
        FUSE_OPENDIR => Op::Opendir {
            arg: arg(fixed, 8)?,
        },
        FUSE_READDIR => Op::Readdir {
            arg: arg(fixed, 24)?,
        },
        FUSE_RELEASEDIR => Op::Releasedir {
            arg: arg(fixed, 16)?,
        },
        FUSE_FSYNCDIR => Op::Fsyncdir {
            arg: arg(fixed, 16)?,
        },
        FUSE_GETLK => Op::Getlk {
            arg: arg(fixed, 40)?,
        },
        FUSE_SETLK => Op::Setlk {
            arg: arg(fixed, 40)?,
        },
        FUSE_SETLKW => Op::Setlkw {
            arg: arg(fixed, 40)?,
        },
        FUSE_ACCESS => Op::Access {
            arg: arg(fixed, 8)?,
        },
        FUSE_CREATE => Op::Create {
            arg: split_arg(fixed, opcode, ctx)?,
            name: name(tail, "name")?.0,
        },
        FUSE_INTERRUPT => Op::Interrupt {
            arg: arg(fixed, 8)?,
        },
        FUSE_BMAP => Op::Bmap {
            arg: arg(fixed, 16)?,
        },
        FUSE_DESTROY => Op::Destroy,
        FUSE_IOCTL => {
            let a: fuse_ioctl_in = split_arg(fixed, opcode, ctx)?;
            Op::Ioctl {
                arg: a,
                in_data: data(tail, a.in_size.into(), "ioctl input")?,
            }
        }
        FUSE_POLL => Op::Poll {
            arg: arg(fixed, 24)?,
        },
        FUSE_NOTIFY_REPLY => Op::NotifyReply {
            arg: split_arg(fixed, opcode, ctx)?,
            data: tail,
        },
        FUSE_BATCH_FORGET => {
            let a: fuse_batch_forget_in = split_arg(fixed, opcode, ctx)?;
            let len = u64::from(a.count) * size_of::<fuse_forget_one>() as u64;
            Op::BatchForget {
                arg: a,
                forgets: Forgets {
                    bytes: data(tail, len, "forget records")?,
                },
            }
        }
        FUSE_FALLOCATE => Op::Fallocate {
            arg: arg(fixed, 32)?,
        },
        FUSE_READDIRPLUS => Op::Readdirplus {
            arg: arg(fixed, 24)?,
        },
        FUSE_RENAME2 => {
            let (old, rest) = name(tail, "old name")?;
            Op::Rename2 {
                arg: split_arg(fixed, opcode, ctx)?,
                name: old,
                newname: name(rest, "new name")?.0,
            }
        }
        FUSE_LSEEK => Op::Lseek {
            arg: arg(fixed, 24)?,
        },
        FUSE_COPY_FILE_RANGE => Op::CopyFileRange {
            arg: arg(fixed, 56)?,
        },
        FUSE_SETUPMAPPING => Op::SetupMapping {
            arg: arg(fixed, 40)?,
        },
        FUSE_REMOVEMAPPING => {
            let a: fuse_removemapping_in = split_arg(fixed, opcode, ctx)?;
            let len = u64::from(a.count) * size_of::<fuse_removemapping_one>() as u64;
            Op::RemoveMapping {
                arg: a,
                entries: data(tail, len, "removemapping records")?,
            }
        }
        FUSE_SYNCFS => Op::Syncfs {
            arg: arg(fixed, 8)?,
        },
        FUSE_TMPFILE => Op::Tmpfile {
            arg: split_arg(fixed, opcode, ctx)?,
            name: CStr::from_bytes_until_nul(tail).ok(),
        },
        FUSE_STATX => Op::Statx {
            arg: arg(fixed, 24)?,
        },
        FUSE_COPY_FILE_RANGE_64 => Op::CopyFileRange64 {
            arg: arg(fixed, 56)?,
        },
        CUSE_INIT => Op::CuseInit {
            arg: arg(fixed, 16)?,
        },
        other => Op::Unknown(other),
    })
}

// ---------------------------------------------------------------------------
// BATCH_FORGET records
// ---------------------------------------------------------------------------

/// BATCH_FORGET's `fuse_forget_one` records, borrowed from the request.
#[derive(Debug, Clone, Copy)]
pub struct Forgets<'a> {
    /// Exactly `len() * 16` bytes.
    bytes: &'a [u8],
}

impl<'a> Forgets<'a> {
    pub fn len(&self) -> usize {
        self.bytes.len() / size_of::<fuse_forget_one>()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The records' bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    pub fn get(&self, i: usize) -> Option<fuse_forget_one> {
        let start = i.checked_mul(size_of::<fuse_forget_one>())?;
        read_struct(self.bytes.get(start..)?)
    }

    /// The records, copied out one by one (any alignment).
    pub fn iter(&self) -> impl Iterator<Item = fuse_forget_one> + 'a {
        self.bytes
            .chunks_exact(size_of::<fuse_forget_one>())
            .filter_map(read_struct::<fuse_forget_one>)
    }

    /// The records in place, when they are 8-aligned in memory (they are
    /// when the request buffer is); `None` otherwise.
    pub fn as_slice(&self) -> Option<&'a [fuse_forget_one]> {
        cast_slice(self.bytes)
    }

    /// Replaces `out`'s contents with the records (the fallback when
    /// [`as_slice`](Self::as_slice) is `None`; reuse `out` to avoid
    /// allocating per request).
    pub fn copy_to(&self, out: &mut Vec<fuse_forget_one>) {
        out.clear();
        out.extend(self.iter());
    }
}

// ---------------------------------------------------------------------------
// Extensions
// ---------------------------------------------------------------------------

/// Cuts the extension area (`total_extlen * 8` bytes) off the end of
/// `body` and validates it.
fn split_extensions<'a>(
    header: &fuse_in_header,
    body: &'a [u8],
) -> Result<(&'a [u8], Extensions<'a>), Fail> {
    let extlen = usize::from(header.total_extlen) * 8;
    let Some(split) = body.len().checked_sub(extlen) else {
        return Err((DecodeErrorKind::BadExtension, "total_extlen"));
    };
    let (body, ext) = body.split_at(split);
    let ext = Extensions { bytes: ext };
    ext.validate()?;
    Ok((body, ext))
}

/// A request's extension records (7.38): a chain of `fuse_ext_header`
/// (or, for the security context, `fuse_secctx_header`) records, each
/// `size` bytes long including its header.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extensions<'a> {
    bytes: &'a [u8],
}

/// One extension record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'a> {
    /// `fuse_ext_header::type_`: `FUSE_EXT_GROUPS`, or for a security
    /// context the number of contexts (0..=`FUSE_MAX_NR_SECCTX`).
    pub type_: u32,
    /// The record after its 8-byte header.
    pub body: &'a [u8],
}

impl<'a> Extensions<'a> {
    /// The raw area (empty when the request has none).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The records in order.
    pub fn iter(&self) -> ExtIter<'a> {
        ExtIter { rest: self.bytes }
    }

    /// The supplementary groups (`FUSE_EXT_GROUPS`) if the kernel sent
    /// them (the kernel sends at most the one group of the parent
    /// directory, when the caller is in it without it being their fsgid).
    pub fn supp_groups(&self) -> Option<SuppGroups<'a>> {
        let e = self.iter().find(|e| e.type_ == FUSE_EXT_GROUPS)?;
        supp_groups(e.body)
    }

    /// The security contexts, if the kernel sent them.
    pub fn security_contexts(&self) -> Option<SecCtxIter<'a>> {
        let e = self.iter().find(|e| e.type_ <= FUSE_MAX_NR_SECCTX)?;
        Some(SecCtxIter {
            rest: e.body,
            left: e.type_,
        })
    }

    fn validate(&self) -> Result<(), Fail> {
        let bad = |what| (DecodeErrorKind::BadExtension, what);
        let mut rest = self.bytes;
        while !rest.is_empty() {
            let h: fuse_ext_header = read_struct(rest).ok_or(bad("fuse_ext_header"))?;
            let size = h.size as usize;
            if size < size_of::<fuse_ext_header>() || size > rest.len() {
                return Err(bad("fuse_ext_header.size"));
            }
            let body = rest
                .get(size_of::<fuse_ext_header>()..size)
                .unwrap_or_default();
            if h.type_ == FUSE_EXT_GROUPS && supp_groups(body).is_none() {
                return Err(bad("fuse_supp_groups"));
            }
            if h.type_ <= FUSE_MAX_NR_SECCTX {
                let mut it = SecCtxIter {
                    rest: body,
                    left: h.type_,
                };
                for _ in 0..h.type_ {
                    it.next_checked().ok_or(bad("fuse_secctx"))?;
                }
            }
            rest = rest.get(size..).unwrap_or_default();
        }
        Ok(())
    }
}

/// Iterator over [`Extensions`]' records.
#[derive(Debug, Clone)]
pub struct ExtIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for ExtIter<'a> {
    type Item = Extension<'a>;
    fn next(&mut self) -> Option<Extension<'a>> {
        let h: fuse_ext_header = read_struct(self.rest)?;
        let size = h.size as usize;
        let body = self.rest.get(size_of::<fuse_ext_header>()..size)?;
        self.rest = self.rest.get(size..).unwrap_or_default();
        Some(Extension {
            type_: h.type_,
            body,
        })
    }
}

fn supp_groups(body: &[u8]) -> Option<SuppGroups<'_>> {
    let sg: fuse_supp_groups = read_struct(body)?;
    let len = (sg.nr_groups as usize).checked_mul(4)?;
    let ids = body.get(size_of::<fuse_supp_groups>()..)?.get(..len)?;
    Some(SuppGroups { ids })
}

fn read_u32(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(..4)?.try_into().ok()?))
}

/// The group ids of a `FUSE_EXT_GROUPS` extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuppGroups<'a> {
    ids: &'a [u8],
}

impl<'a> SuppGroups<'a> {
    pub fn len(&self) -> usize {
        self.ids.len() / 4
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<u32> {
        let start = i.checked_mul(4)?;
        read_u32(self.ids.get(start..)?)
    }

    pub fn iter(&self) -> impl Iterator<Item = u32> + 'a {
        self.ids.chunks_exact(4).filter_map(read_u32)
    }
}

/// One security context: the LSM attribute's name and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecCtx<'a> {
    pub name: &'a CStr,
    pub value: &'a [u8],
}

/// Iterator over the contexts of a security context extension.
#[derive(Debug, Clone)]
pub struct SecCtxIter<'a> {
    rest: &'a [u8],
    left: u32,
}

impl<'a> SecCtxIter<'a> {
    /// Each context: `fuse_secctx`, the name and its NUL, `size` bytes of
    /// value, padded to a multiple of 8 (the last padding may be cut).
    fn next_checked(&mut self) -> Option<SecCtx<'a>> {
        let c: fuse_secctx = read_struct(self.rest)?;
        let after = self.rest.get(size_of::<fuse_secctx>()..)?;
        let name = CStr::from_bytes_until_nul(after).ok()?;
        let name_len = name.to_bytes().len() + 1;
        let value = after.get(name_len..)?.get(..c.size as usize)?;
        let used = size_of::<fuse_secctx>() + name_len + value.len();
        let next = fuse_rec_align(used).min(self.rest.len());
        self.rest = self.rest.get(next..).unwrap_or_default();
        Some(SecCtx { name, value })
    }
}

impl<'a> Iterator for SecCtxIter<'a> {
    type Item = SecCtx<'a>;
    fn next(&mut self) -> Option<SecCtx<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        self.next_checked()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIQUE: u64 = 0x1234_5678_9abc;
    const NODE: u64 = 77;

    fn header(opcode: u32, body_len: usize, extlen_units: u16) -> fuse_in_header {
        fuse_in_header {
            len: (size_of::<fuse_in_header>() + body_len) as u32,
            opcode,
            unique: UNIQUE,
            nodeid: NODE,
            uid: 1000,
            gid: 100,
            pid: 4242,
            total_extlen: extlen_units,
            padding: 0,
        }
    }

    /// A request: header, then the parts, then the extension area.
    fn req_ext(opcode: u32, parts: &[&[u8]], ext: &[u8]) -> Vec<u8> {
        assert_eq!(ext.len() % 8, 0);
        let body: Vec<u8> = parts.concat();
        let h = header(opcode, body.len() + ext.len(), (ext.len() / 8) as u16);
        [h.as_bytes(), &body, ext].concat()
    }

    fn req(opcode: u32, parts: &[&[u8]]) -> Vec<u8> {
        req_ext(opcode, parts, &[])
    }

    /// An 8-aligned copy of some bytes.
    #[repr(C, align(8))]
    struct Aligned([u8; 8192]);

    fn aligned(bytes: &[u8]) -> Box<Aligned> {
        let mut b = Box::new(Aligned([0; 8192]));
        b.0[..bytes.len()].copy_from_slice(bytes);
        b
    }

    /// Parses `buf` from an 8-aligned and from a misaligned copy, checks
    /// both decode alike and the header is kept, and returns the op's Debug
    /// form with the aligned decode.
    fn parse_ctx(buf: &[u8], ctx: DecodeCtx, check: impl Fn(&Request<'_>)) {
        let a = aligned(buf);
        let r = parse_request(&a.0[..buf.len()], ctx).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.header.unique, UNIQUE);
        assert_eq!(r.header.nodeid, NODE);
        assert_eq!(r.op.opcode(), r.header.opcode);
        check(&r);
        let mut odd = vec![0u8; buf.len() + 1];
        odd[1..].copy_from_slice(buf);
        let r2 = parse_request(&odd[1..], ctx).unwrap();
        assert_eq!(format!("{:?}", r.op), format!("{:?}", r2.op));
        check(&r2);
    }

    fn parse(buf: &[u8], check: impl Fn(&Request<'_>)) {
        parse_ctx(buf, DecodeCtx::default(), check)
    }

    fn err(buf: &[u8], ctx: DecodeCtx) -> DecodeError {
        parse_request(buf, ctx).expect_err("should not decode")
    }

    fn cs(s: &CStr) -> &[u8] {
        s.to_bytes()
    }

    #[test]
    fn names_only() {
        for (op, want) in [
            (FUSE_LOOKUP, "Lookup"),
            (FUSE_UNLINK, "Unlink"),
            (FUSE_RMDIR, "Rmdir"),
            (FUSE_REMOVEXATTR, "Removexattr"),
        ] {
            parse(&req(op, &[b"hello.txt\0"]), |r| {
                let n = match r.op {
                    Op::Lookup { name }
                    | Op::Unlink { name }
                    | Op::Rmdir { name }
                    | Op::Removexattr { name } => name,
                    _ => panic!("{:?}", r.op),
                };
                assert_eq!(cs(n), b"hello.txt");
                assert!(format!("{:?}", r.op).starts_with(want));
            });
            let e = err(&req(op, &[b"hello"]), DecodeCtx::default());
            assert_eq!(e.kind, DecodeErrorKind::MissingNul);
            assert_eq!(e.reply_unique(), Some(UNIQUE));
            assert_eq!(e.errno(), libc::EIO);
        }
    }

    #[test]
    fn forget_and_batch_forget() {
        let f = fuse_forget_in { nlookup: 3 };
        parse(&req(FUSE_FORGET, &[f.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Forget { arg } if arg.nlookup == 3));
        });
        let e = err(&req(FUSE_FORGET, &[&[0; 4]]), DecodeCtx::default());
        assert_eq!(e.kind, DecodeErrorKind::Truncated);
        assert_eq!(e.reply_unique(), None, "FORGET gets no reply");

        let ones = [
            fuse_forget_one {
                nodeid: 10,
                nlookup: 1,
            },
            fuse_forget_one {
                nodeid: 11,
                nlookup: 2,
            },
            fuse_forget_one {
                nodeid: 12,
                nlookup: 3,
            },
        ];
        let b = fuse_batch_forget_in { count: 3, dummy: 0 };
        let buf = req(
            FUSE_BATCH_FORGET,
            &[
                b.as_bytes(),
                ones[0].as_bytes(),
                ones[1].as_bytes(),
                ones[2].as_bytes(),
            ],
        );
        parse(&buf, |r| {
            let Op::BatchForget { arg, forgets } = r.op else {
                panic!()
            };
            assert_eq!(arg.count, 3);
            assert_eq!(forgets.len(), 3);
            assert!(!forgets.is_empty());
            assert_eq!(forgets.iter().collect::<Vec<_>>(), ones);
            assert_eq!(forgets.get(2), Some(ones[2]));
            assert_eq!(forgets.get(3), None);
            let mut v = vec![fuse_forget_one::default(); 7];
            forgets.copy_to(&mut v);
            assert_eq!(v, ones);
            // In place only when 8-aligned.
            let aligned = forgets.as_bytes().as_ptr() as usize % 8 == 0;
            assert_eq!(forgets.as_slice().is_some(), aligned);
            if let Some(s) = forgets.as_slice() {
                assert_eq!(s, &ones[..]);
            }
        });
        // The records start at byte 48 of the request: aligned with it.
        let a = aligned(&buf);
        let r = parse_request(&a.0[..buf.len()], DecodeCtx::default()).unwrap();
        let Op::BatchForget { forgets, .. } = r.op else {
            panic!()
        };
        assert_eq!(forgets.as_slice(), Some(&ones[..]));
        // Fewer records than counted.
        let short = req(FUSE_BATCH_FORGET, &[b.as_bytes(), ones[0].as_bytes()]);
        let e = err(&short, DecodeCtx::default());
        assert_eq!(e.kind, DecodeErrorKind::ShortData);
        assert_eq!(e.reply_unique(), None);
        // A huge count is no problem.
        let huge = fuse_batch_forget_in {
            count: u32::MAX,
            dummy: 0,
        };
        let e = err(
            &req(FUSE_BATCH_FORGET, &[huge.as_bytes()]),
            DecodeCtx::default(),
        );
        assert_eq!(e.kind, DecodeErrorKind::ShortData);
    }

    #[test]
    fn getattr_old_and_new() {
        let g = fuse_getattr_in {
            getattr_flags: FUSE_GETATTR_FH,
            dummy: 0,
            fh: 99,
        };
        parse(&req(FUSE_GETATTR, &[g.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Getattr { arg } if arg == g));
        });
        // Before 7.9 GETATTR has no argument.
        parse_ctx(&req(FUSE_GETATTR, &[]), DecodeCtx::new(8, false), |r| {
            assert!(matches!(r.op, Op::Getattr { arg } if arg == fuse_getattr_in::default()));
        });
    }

    #[test]
    fn setattr() {
        let s = fuse_setattr_in {
            valid: FATTR_MODE | FATTR_SIZE,
            size: 4096,
            mode: 0o644,
            ..Default::default()
        };
        parse(&req(FUSE_SETATTR, &[s.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Setattr { arg } if arg == s));
        });
        let e = err(
            &req(FUSE_SETATTR, &[&s.as_bytes()[..80]]),
            DecodeCtx::default(),
        );
        assert_eq!(e.kind, DecodeErrorKind::Truncated);
    }

    #[test]
    fn no_argument_ops() {
        for op in [FUSE_READLINK, FUSE_STATFS, FUSE_DESTROY] {
            parse(&req(op, &[]), |r| {
                assert!(matches!(r.op, Op::Readlink | Op::Statfs | Op::Destroy));
            });
        }
    }

    #[test]
    fn symlink_link_rename() {
        parse(&req(FUSE_SYMLINK, &[b"lnk\0", b"/target/path\0"]), |r| {
            let Op::Symlink { name, link } = r.op else {
                panic!()
            };
            assert_eq!((cs(name), cs(link)), (&b"lnk"[..], &b"/target/path"[..]));
        });
        assert_eq!(
            err(
                &req(FUSE_SYMLINK, &[b"lnk\0", b"/target"]),
                DecodeCtx::default()
            )
            .kind,
            DecodeErrorKind::MissingNul
        );

        let l = fuse_link_in { oldnodeid: 5 };
        parse(&req(FUSE_LINK, &[l.as_bytes(), b"new\0"]), |r| {
            let Op::Link { arg, name } = r.op else {
                panic!()
            };
            assert_eq!((arg.oldnodeid, cs(name)), (5, &b"new"[..]));
        });

        let rn = fuse_rename_in { newdir: 8 };
        parse(&req(FUSE_RENAME, &[rn.as_bytes(), b"a\0", b"b\0"]), |r| {
            let Op::Rename { arg, name, newname } = r.op else {
                panic!()
            };
            assert_eq!(
                (arg.newdir, cs(name), cs(newname)),
                (8, &b"a"[..], &b"b"[..])
            );
        });
        let rn2 = fuse_rename2_in {
            newdir: 9,
            flags: libc::RENAME_EXCHANGE,
            padding: 0,
        };
        parse(
            &req(FUSE_RENAME2, &[rn2.as_bytes(), b"x\0", b"yy\0"]),
            |r| {
                let Op::Rename2 { arg, name, newname } = r.op else {
                    panic!()
                };
                assert_eq!(arg, rn2);
                assert_eq!((cs(name), cs(newname)), (&b"x"[..], &b"yy"[..]));
            },
        );
        assert_eq!(
            err(
                &req(FUSE_RENAME2, &[rn2.as_bytes(), b"x\0"]),
                DecodeCtx::default()
            )
            .kind,
            DecodeErrorKind::MissingNul
        );
        assert_eq!(
            err(
                &req(FUSE_RENAME2, &[&rn2.as_bytes()[..12]]),
                DecodeCtx::default()
            )
            .kind,
            DecodeErrorKind::Truncated
        );
    }

    #[test]
    fn mknod_mkdir_versions() {
        let m = fuse_mknod_in {
            mode: libc::S_IFIFO | 0o600,
            rdev: 0x0801,
            umask: 0o022,
            padding: 0,
        };
        parse(&req(FUSE_MKNOD, &[m.as_bytes(), b"fifo\0"]), |r| {
            let Op::Mknod { arg, name } = r.op else {
                panic!()
            };
            assert_eq!((arg, cs(name)), (m, &b"fifo"[..]));
        });
        // Before 7.12: only mode and rdev, then the name; umask reads 0.
        let old = req(
            FUSE_MKNOD,
            &[&m.as_bytes()[..FUSE_COMPAT_MKNOD_IN_SIZE], b"fifo\0"],
        );
        parse_ctx(&old, DecodeCtx::new(11, false), |r| {
            let Op::Mknod { arg, name } = r.op else {
                panic!()
            };
            assert_eq!((arg.mode, arg.rdev, arg.umask), (m.mode, m.rdev, 0));
            assert_eq!(cs(name), b"fifo");
        });
        // The same bytes read as 7.12+ would swallow the name's start.
        assert!(parse_request(&old, DecodeCtx::new(12, false)).is_err());

        let d = fuse_mkdir_in {
            mode: 0o755,
            umask: 0o027,
        };
        parse(&req(FUSE_MKDIR, &[d.as_bytes(), b"dir\0"]), |r| {
            let Op::Mkdir { arg, name } = r.op else {
                panic!()
            };
            assert_eq!((arg, cs(name)), (d, &b"dir"[..]));
        });
    }

    #[test]
    fn open_create_tmpfile() {
        let o = fuse_open_in {
            flags: libc::O_RDWR as u32,
            open_flags: FUSE_OPEN_KILL_SUIDGID,
        };
        parse(&req(FUSE_OPEN, &[o.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Open { arg } if arg == o));
        });
        parse(&req(FUSE_OPENDIR, &[o.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Opendir { arg } if arg == o));
        });
        let c = fuse_create_in {
            flags: (libc::O_CREAT | libc::O_WRONLY) as u32,
            mode: 0o100644,
            umask: 0o022,
            open_flags: 0,
        };
        parse(&req(FUSE_CREATE, &[c.as_bytes(), b"new.txt\0"]), |r| {
            let Op::Create { arg, name } = r.op else {
                panic!()
            };
            assert_eq!((arg, cs(name)), (c, &b"new.txt"[..]));
        });
        // Before 7.12 CREATE sent a fuse_open_in: flags and mode.
        let old = req(FUSE_CREATE, &[&c.as_bytes()[..8], b"new.txt\0"]);
        parse_ctx(&old, DecodeCtx::new(11, false), |r| {
            let Op::Create { arg, name } = r.op else {
                panic!()
            };
            assert_eq!((arg.flags, arg.mode, arg.umask), (c.flags, c.mode, 0));
            assert_eq!(cs(name), b"new.txt");
        });
        parse(&req(FUSE_TMPFILE, &[c.as_bytes(), b"/\0"]), |r| {
            let Op::Tmpfile { arg, name } = r.op else {
                panic!()
            };
            assert_eq!(arg, c);
            assert_eq!(name.map(cs), Some(&b"/"[..]));
        });
        parse(&req(FUSE_TMPFILE, &[c.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Tmpfile { name: None, .. }));
        });
    }

    #[test]
    fn read_family_versions() {
        let rd = fuse_read_in {
            fh: 1,
            offset: 4096,
            size: 65536,
            read_flags: FUSE_READ_LOCKOWNER,
            lock_owner: 0xdead,
            flags: libc::O_RDONLY as u32,
            padding: 0,
        };
        for op in [FUSE_READ, FUSE_READDIR, FUSE_READDIRPLUS] {
            parse(&req(op, &[rd.as_bytes()]), |r| {
                let arg = match r.op {
                    Op::Read { arg } | Op::Readdir { arg } | Op::Readdirplus { arg } => arg,
                    _ => panic!(),
                };
                assert_eq!(arg, rd);
            });
            // Before 7.9: 24 bytes, no lock owner or flags.
            parse_ctx(
                &req(op, &[&rd.as_bytes()[..24]]),
                DecodeCtx::new(8, false),
                |r| {
                    let arg = match r.op {
                        Op::Read { arg } | Op::Readdir { arg } | Op::Readdirplus { arg } => arg,
                        _ => panic!(),
                    };
                    assert_eq!((arg.fh, arg.offset, arg.size), (1, 4096, 65536));
                    assert_eq!((arg.lock_owner, arg.flags), (0, 0));
                },
            );
            assert_eq!(
                err(&req(op, &[&rd.as_bytes()[..20]]), DecodeCtx::default()).kind,
                DecodeErrorKind::Truncated
            );
        }
    }

    #[test]
    fn write_versions_and_data() {
        let w = fuse_write_in {
            fh: 3,
            offset: 10,
            size: 5,
            write_flags: FUSE_WRITE_CACHE,
            lock_owner: 7,
            flags: 1,
            padding: 0,
        };
        parse(&req(FUSE_WRITE, &[w.as_bytes(), b"hello"]), |r| {
            let Op::Write { arg, data } = r.op else {
                panic!()
            };
            assert_eq!((arg, data), (w, &b"hello"[..]));
        });
        // Before 7.9: a 24-byte struct, data right after it.
        let old = req(
            FUSE_WRITE,
            &[&w.as_bytes()[..FUSE_COMPAT_WRITE_IN_SIZE], b"hello"],
        );
        parse_ctx(&old, DecodeCtx::new(8, false), |r| {
            let Op::Write { arg, data } = r.op else {
                panic!()
            };
            assert_eq!((arg.fh, arg.size, arg.lock_owner), (3, 5, 0));
            assert_eq!(data, b"hello");
        });
        // Less data than announced.
        let e = err(
            &req(FUSE_WRITE, &[w.as_bytes(), b"hell"]),
            DecodeCtx::default(),
        );
        assert_eq!(e.kind, DecodeErrorKind::ShortData);
        assert_eq!(e.reply_unique(), Some(UNIQUE));
        let e = err(
            &req(FUSE_WRITE, &[&w.as_bytes()[..30]]),
            DecodeCtx::default(),
        );
        assert_eq!(e.kind, DecodeErrorKind::Truncated);
    }

    #[test]
    fn release_flush_fsync() {
        let rl = fuse_release_in {
            fh: 4,
            flags: 2,
            release_flags: FUSE_RELEASE_FLUSH,
            lock_owner: 9,
        };
        for op in [FUSE_RELEASE, FUSE_RELEASEDIR] {
            parse(&req(op, &[rl.as_bytes()]), |r| {
                let (Op::Release { arg } | Op::Releasedir { arg }) = r.op else {
                    panic!()
                };
                assert_eq!(arg, rl);
            });
            // Before 7.8: 16 bytes.
            parse_ctx(
                &req(op, &[&rl.as_bytes()[..16]]),
                DecodeCtx::new(7, false),
                |r| {
                    let (Op::Release { arg } | Op::Releasedir { arg }) = r.op else {
                        panic!()
                    };
                    assert_eq!((arg.fh, arg.flags, arg.lock_owner), (4, 2, 0));
                },
            );
        }
        let fl = fuse_flush_in {
            fh: 5,
            unused: 0,
            padding: 0,
            lock_owner: 11,
        };
        parse(&req(FUSE_FLUSH, &[fl.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Flush { arg } if arg == fl));
        });
        parse_ctx(
            &req(FUSE_FLUSH, &[&fl.as_bytes()[..16]]),
            DecodeCtx::new(6, false),
            |r| {
                assert!(matches!(r.op, Op::Flush { arg } if arg.fh == 5 && arg.lock_owner == 0));
            },
        );
        let fs = fuse_fsync_in {
            fh: 6,
            fsync_flags: FUSE_FSYNC_FDATASYNC,
            padding: 0,
        };
        for op in [FUSE_FSYNC, FUSE_FSYNCDIR] {
            parse(&req(op, &[fs.as_bytes()]), |r| {
                let (Op::Fsync { arg } | Op::Fsyncdir { arg }) = r.op else {
                    panic!()
                };
                assert_eq!(arg, fs);
            });
        }
    }

    #[test]
    fn xattrs() {
        let s = fuse_setxattr_in {
            size: 3,
            flags: libc::XATTR_CREATE as u32,
            setxattr_flags: FUSE_SETXATTR_ACL_KILL_SGID,
            padding: 0,
        };
        // With FUSE_SETXATTR_EXT: the long struct.
        parse_ctx(
            &req(FUSE_SETXATTR, &[s.as_bytes(), b"user.k\0", b"v\0w"]),
            DecodeCtx::new(45, true),
            |r| {
                let Op::Setxattr { arg, name, value } = r.op else {
                    panic!()
                };
                assert_eq!(arg, s);
                assert_eq!((cs(name), value), (&b"user.k"[..], &b"v\0w"[..]));
            },
        );
        // Without: 8 bytes, setxattr_flags reads 0.
        parse(
            &req(FUSE_SETXATTR, &[&s.as_bytes()[..8], b"user.k\0", b"v\0w"]),
            |r| {
                let Op::Setxattr { arg, name, value } = r.op else {
                    panic!()
                };
                assert_eq!((arg.size, arg.flags, arg.setxattr_flags), (3, s.flags, 0));
                assert_eq!((cs(name), value), (&b"user.k"[..], &b"v\0w"[..]));
            },
        );
        let e = err(
            &req(FUSE_SETXATTR, &[&s.as_bytes()[..8], b"user.k\0", b"v"]),
            DecodeCtx::default(),
        );
        assert_eq!(e.kind, DecodeErrorKind::ShortData);

        let g = fuse_getxattr_in {
            size: 100,
            padding: 0,
        };
        parse(&req(FUSE_GETXATTR, &[g.as_bytes(), b"user.k\0"]), |r| {
            let Op::Getxattr { arg, name } = r.op else {
                panic!()
            };
            assert_eq!((arg.size, cs(name)), (100, &b"user.k"[..]));
        });
        parse(&req(FUSE_LISTXATTR, &[g.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Listxattr { arg } if arg.size == 100));
        });
    }

    #[test]
    fn init_lengths() {
        let full = fuse_init_in {
            major: 7,
            minor: 45,
            max_readahead: 131072,
            flags: (FUSE_ASYNC_READ | FUSE_INIT_EXT) as u32,
            flags2: ((FUSE_PASSTHROUGH | FUSE_OVER_IO_URING) >> 32) as u32,
            unused: [0; 11],
        };
        parse(&req(FUSE_INIT, &[full.as_bytes()]), |r| {
            let Op::Init { arg } = r.op else { panic!() };
            assert_eq!(arg, full);
            assert_eq!(
                arg.all_flags(),
                FUSE_ASYNC_READ | FUSE_INIT_EXT | FUSE_PASSTHROUGH | FUSE_OVER_IO_URING
            );
        });
        // 7.6 to 7.35: 16 bytes; flags2 reads 0.
        let mut mid = full;
        mid.minor = 31;
        mid.flags = FUSE_ASYNC_READ as u32;
        parse(&req(FUSE_INIT, &[&mid.as_bytes()[..16]]), |r| {
            let Op::Init { arg } = r.op else { panic!() };
            assert_eq!((arg.minor, arg.max_readahead, arg.flags2), (31, 131072, 0));
            assert_eq!(arg.all_flags(), FUSE_ASYNC_READ);
        });
        // flags2 without FUSE_INIT_EXT does not count.
        let mut noext = full;
        noext.flags = FUSE_ASYNC_READ as u32;
        assert_eq!(noext.all_flags(), FUSE_ASYNC_READ);
        // Before 7.6: major and minor only.
        parse(&req(FUSE_INIT, &[&full.as_bytes()[..8]]), |r| {
            let Op::Init { arg } = r.op else { panic!() };
            assert_eq!((arg.major, arg.minor, arg.flags), (7, 45, 0));
        });
        assert_eq!(
            err(
                &req(FUSE_INIT, &[&full.as_bytes()[..6]]),
                DecodeCtx::default()
            )
            .kind,
            DecodeErrorKind::Truncated
        );

        let mut out = fuse_init_out::default();
        out.set_all_flags(FUSE_ASYNC_READ | FUSE_INIT_EXT | FUSE_PASSTHROUGH);
        assert_eq!(out.flags as u64, FUSE_ASYNC_READ | FUSE_INIT_EXT);
        assert_eq!((out.flags2 as u64) << 32, FUSE_PASSTHROUGH);

        let c = cuse_init_in {
            major: 7,
            minor: 45,
            unused: 0,
            flags: CUSE_UNRESTRICTED_IOCTL,
        };
        parse(&req(CUSE_INIT, &[c.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::CuseInit { arg } if arg == c));
        });
    }

    #[test]
    fn locks() {
        let lk = fuse_lk_in {
            fh: 1,
            owner: 2,
            lk: fuse_file_lock {
                start: 0,
                end: u64::MAX,
                type_: libc::F_WRLCK as u32,
                pid: 77,
            },
            lk_flags: 0,
            padding: 0,
        };
        for op in [FUSE_GETLK, FUSE_SETLK, FUSE_SETLKW] {
            parse(&req(op, &[lk.as_bytes()]), |r| {
                let (Op::Getlk { arg } | Op::Setlk { arg } | Op::Setlkw { arg }) = r.op else {
                    panic!()
                };
                assert_eq!(arg, lk);
            });
            // Before 7.9: no lk_flags.
            parse_ctx(
                &req(op, &[&lk.as_bytes()[..40]]),
                DecodeCtx::new(8, false),
                |r| {
                    let (Op::Getlk { arg } | Op::Setlk { arg } | Op::Setlkw { arg }) = r.op else {
                        panic!()
                    };
                    assert_eq!((arg.lk, arg.lk_flags), (lk.lk, 0));
                },
            );
        }
        // flock(2) locks travel as SETLK/SETLKW with FUSE_LK_FLOCK.
        let mut fl = lk;
        fl.lk_flags = FUSE_LK_FLOCK;
        parse(&req(FUSE_SETLK, &[fl.as_bytes()]), |r| {
            let Op::Setlk { arg } = r.op else { panic!() };
            assert_ne!(arg.lk_flags & FUSE_LK_FLOCK, 0);
            assert_eq!(flock_operation(&arg, false), libc::LOCK_EX | libc::LOCK_NB);
            assert_eq!(flock_operation(&arg, true), libc::LOCK_EX);
        });
        fl.lk.type_ = libc::F_RDLCK as u32;
        assert_eq!(flock_operation(&fl, true), libc::LOCK_SH);
        fl.lk.type_ = libc::F_UNLCK as u32;
        assert_eq!(flock_operation(&fl, true), libc::LOCK_UN);
        fl.lk.type_ = 99;
        assert_eq!(flock_operation(&fl, false), libc::LOCK_NB);
    }

    #[test]
    fn small_fixed_structs() {
        let a = fuse_access_in {
            mask: libc::R_OK as u32,
            padding: 0,
        };
        parse(&req(FUSE_ACCESS, &[a.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Access { arg } if arg == a));
        });
        let i = fuse_interrupt_in { unique: 55 };
        parse(&req(FUSE_INTERRUPT, &[i.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Interrupt { arg } if arg.unique == 55));
        });
        let b = fuse_bmap_in {
            block: 9,
            blocksize: 512,
            padding: 0,
        };
        parse(&req(FUSE_BMAP, &[b.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Bmap { arg } if arg == b));
        });
        let p = fuse_poll_in {
            fh: 1,
            kh: 2,
            flags: FUSE_POLL_SCHEDULE_NOTIFY,
            events: libc::POLLIN as u32,
        };
        parse(&req(FUSE_POLL, &[p.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Poll { arg } if arg == p));
        });
        let f = fuse_fallocate_in {
            fh: 1,
            offset: 2,
            length: 3,
            mode: libc::FALLOC_FL_KEEP_SIZE as u32,
            padding: 0,
        };
        parse(&req(FUSE_FALLOCATE, &[f.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Fallocate { arg } if arg == f));
        });
        let l = fuse_lseek_in {
            fh: 1,
            offset: 100,
            whence: libc::SEEK_DATA as u32,
            padding: 0,
        };
        parse(&req(FUSE_LSEEK, &[l.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Lseek { arg } if arg == l));
        });
        let c = fuse_copy_file_range_in {
            fh_in: 1,
            off_in: 2,
            nodeid_out: 3,
            fh_out: 4,
            off_out: 5,
            len: 1 << 40,
            flags: 0,
        };
        parse(&req(FUSE_COPY_FILE_RANGE, &[c.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::CopyFileRange { arg } if arg == c));
        });
        parse(&req(FUSE_COPY_FILE_RANGE_64, &[c.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::CopyFileRange64 { arg } if arg == c));
        });
        let s = fuse_syncfs_in { padding: 0 };
        parse(&req(FUSE_SYNCFS, &[s.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Syncfs { .. }));
        });
        let sx = fuse_statx_in {
            getattr_flags: FUSE_GETATTR_FH,
            reserved: 0,
            fh: 8,
            sx_flags: libc::AT_STATX_SYNC_AS_STAT as u32,
            sx_mask: libc::STATX_BASIC_STATS,
        };
        parse(&req(FUSE_STATX, &[sx.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Statx { arg } if arg == sx));
        });
        let m = fuse_setupmapping_in {
            fh: 1,
            foffset: 2,
            len: 3,
            flags: FUSE_SETUPMAPPING_FLAG_READ,
            moffset: 4,
        };
        parse(&req(FUSE_SETUPMAPPING, &[m.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::SetupMapping { arg } if arg == m));
        });
        let rm = fuse_removemapping_in { count: 1 };
        let one = fuse_removemapping_one { moffset: 5, len: 6 };
        parse(
            &req(FUSE_REMOVEMAPPING, &[rm.as_bytes(), one.as_bytes()]),
            |r| {
                let Op::RemoveMapping { arg, entries } = r.op else {
                    panic!()
                };
                assert_eq!(arg.count, 1);
                assert_eq!(read_struct::<fuse_removemapping_one>(entries), Some(one));
            },
        );
        // Every fixed struct is refused when shorter than its oldest size.
        for (op, min) in [
            (FUSE_ACCESS, 8),
            (FUSE_INTERRUPT, 8),
            (FUSE_BMAP, 16),
            (FUSE_POLL, 24),
            (FUSE_FALLOCATE, 32),
            (FUSE_LSEEK, 24),
            (FUSE_COPY_FILE_RANGE, 56),
            (FUSE_COPY_FILE_RANGE_64, 56),
            (FUSE_SYNCFS, 8),
            (FUSE_STATX, 24),
            (FUSE_SETUPMAPPING, 40),
            (FUSE_OPEN, 8),
            (FUSE_OPENDIR, 8),
            (FUSE_LISTXATTR, 8),
            (CUSE_INIT, 16),
        ] {
            let e = err(&req(op, &[&[0u8; 64][..min - 1]]), DecodeCtx::default());
            assert_eq!(e.kind, DecodeErrorKind::Truncated, "{}", opname(op));
        }
    }

    #[test]
    fn ioctl_data() {
        let io = fuse_ioctl_in {
            fh: 1,
            flags: FUSE_IOCTL_UNRESTRICTED,
            cmd: 0x8004_1234,
            arg: 0x7fff_0000,
            in_size: 4,
            out_size: 16,
        };
        parse(&req(FUSE_IOCTL, &[io.as_bytes(), b"abcd"]), |r| {
            let Op::Ioctl { arg, in_data } = r.op else {
                panic!()
            };
            assert_eq!((arg, in_data), (io, &b"abcd"[..]));
        });
        let e = err(
            &req(FUSE_IOCTL, &[io.as_bytes(), b"ab"]),
            DecodeCtx::default(),
        );
        assert_eq!(e.kind, DecodeErrorKind::ShortData);
        let mut none = io;
        none.in_size = 0;
        parse(&req(FUSE_IOCTL, &[none.as_bytes()]), |r| {
            assert!(matches!(r.op, Op::Ioctl { in_data: &[], .. }));
        });
    }

    #[test]
    fn notify_reply() {
        let n = fuse_notify_retrieve_in {
            offset: 4096,
            size: 6,
            ..Default::default()
        };
        parse(&req(FUSE_NOTIFY_REPLY, &[n.as_bytes(), b"cached"]), |r| {
            let Op::NotifyReply { arg, data } = r.op else {
                panic!()
            };
            assert_eq!((arg, data), (n, &b"cached"[..]));
        });
        // Short data is left to the session (libfuse logs and drops it).
        parse(&req(FUSE_NOTIFY_REPLY, &[n.as_bytes(), b"cac"]), |r| {
            assert!(matches!(r.op, Op::NotifyReply { data: b"cac", .. }));
        });
        let e = err(
            &req(FUSE_NOTIFY_REPLY, &[&n.as_bytes()[..30]]),
            DecodeCtx::default(),
        );
        assert_eq!(e.reply_unique(), None, "NOTIFY_REPLY gets no reply");
    }

    #[test]
    fn unknown_opcodes() {
        for op in [0, 7, 19, 54, 4095, 4097, FUSE_INIT_BSWAP_RESERVED, u32::MAX] {
            parse(&req(op, &[b"whatever"]), |r| {
                assert!(matches!(r.op, Op::Unknown(o) if o == op));
            });
        }
    }

    #[test]
    fn every_opcode_decodes() {
        for (buf, ctx) in corpus() {
            let r = parse_request(&buf, ctx).unwrap_or_else(|e| panic!("{e}"));
            assert!(!matches!(r.op, Op::Unknown(_)));
        }
        let ops: std::collections::BTreeSet<u32> = corpus()
            .iter()
            .map(|(b, _)| read_struct::<fuse_in_header>(b).unwrap().opcode)
            .collect();
        for op in ALL_OPCODES {
            assert!(
                ops.contains(op),
                "{} missing from the corpus",
                kernel_opname(*op)
            );
        }
    }

    #[test]
    fn header_errors() {
        for n in 0..size_of::<fuse_in_header>() {
            let e = err(&vec![0u8; n], DecodeCtx::default());
            assert_eq!(e.kind, DecodeErrorKind::ShortHeader);
            assert_eq!(e.reply_unique(), None);
            assert!(!e.to_string().is_empty());
        }
        let mut buf = req(FUSE_LOOKUP, &[b"a\0"]);
        buf.push(0);
        let e = err(&buf, DecodeCtx::default());
        assert_eq!(e.kind, DecodeErrorKind::LengthMismatch);
        assert_eq!(e.reply_unique(), Some(UNIQUE));
        assert!(e.to_string().contains("LOOKUP"), "{e}");
        buf.truncate(buf.len() - 2);
        assert_eq!(
            err(&buf, DecodeCtx::default()).kind,
            DecodeErrorKind::LengthMismatch
        );
    }

    /// A supplementary groups extension with `ids`.
    fn groups_ext(ids: &[u32]) -> Vec<u8> {
        let size = fuse_rec_align(8 + 4 + 4 * ids.len());
        let mut v = fuse_ext_header {
            size: size as u32,
            type_: FUSE_EXT_GROUPS,
        }
        .as_bytes()
        .to_vec();
        v.extend_from_slice(
            fuse_supp_groups {
                nr_groups: ids.len() as u32,
            }
            .as_bytes(),
        );
        for id in ids {
            v.extend_from_slice(&id.to_ne_bytes());
        }
        v.resize(size, 0);
        v
    }

    /// A security context extension with `(name, value)` pairs.
    fn secctx_ext(ctxs: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (name, value) in ctxs {
            let start = body.len();
            body.extend_from_slice(
                fuse_secctx {
                    size: value.len() as u32,
                    padding: 0,
                }
                .as_bytes(),
            );
            body.extend_from_slice(name);
            body.push(0);
            body.extend_from_slice(value);
            body.resize(start + fuse_rec_align(body.len() - start), 0);
        }
        let h = fuse_secctx_header {
            size: (8 + body.len()) as u32,
            nr_secctx: ctxs.len() as u32,
        };
        [h.as_bytes(), &body].concat()
    }

    #[test]
    fn extensions() {
        let c = fuse_create_in {
            flags: 0,
            mode: 0o100600,
            umask: 0,
            open_flags: 0,
        };
        // The name's length leaves the extension area unaligned in the
        // request, as the kernel can.
        let ext = [
            secctx_ext(&[(b"security.selinux", b"system_u:object_r:tmp_t:s0\0")]),
            groups_ext(&[1234]),
        ]
        .concat();
        let buf = req_ext(FUSE_CREATE, &[c.as_bytes(), b"f\0"], &ext);
        parse(&buf, |r| {
            let Op::Create { arg, name } = r.op else {
                panic!()
            };
            assert_eq!((arg, cs(name)), (c, &b"f"[..]));
            assert_eq!(r.ext.as_bytes(), &ext[..]);
            assert!(!r.ext.is_empty());
            assert_eq!(r.ext.iter().count(), 2);
            let g = r.ext.supp_groups().unwrap();
            assert_eq!((g.len(), g.get(0), g.get(1)), (1, Some(1234), None));
            assert!(!g.is_empty());
            assert_eq!(g.iter().collect::<Vec<_>>(), [1234]);
            let s: Vec<_> = r.ext.security_contexts().unwrap().collect();
            assert_eq!(s.len(), 1);
            assert_eq!(cs(s[0].name), b"security.selinux");
            assert_eq!(s[0].value, b"system_u:object_r:tmp_t:s0\0");
        });
        // Groups alone, on MKDIR; several groups.
        let d = fuse_mkdir_in {
            mode: 0o755,
            umask: 0,
        };
        let ext = groups_ext(&[5, 6, 7]);
        parse(&req_ext(FUSE_MKDIR, &[d.as_bytes(), b"dir\0"], &ext), |r| {
            assert!(matches!(r.op, Op::Mkdir { name, .. } if cs(name) == b"dir"));
            assert_eq!(
                r.ext.supp_groups().unwrap().iter().collect::<Vec<_>>(),
                [5, 6, 7]
            );
            assert!(r.ext.security_contexts().is_none());
        });
        // Two contexts and no groups; an empty security context list.
        let ext = secctx_ext(&[(b"a", b"xyz"), (b"security.smack", b"_")]);
        parse(&req_ext(FUSE_SYMLINK, &[b"l\0", b"t\0"], &ext), |r| {
            let v: Vec<_> = r.ext.security_contexts().unwrap().collect();
            assert_eq!(v.len(), 2);
            assert_eq!(
                (cs(v[1].name), v[1].value),
                (&b"security.smack"[..], &b"_"[..])
            );
            assert!(r.ext.supp_groups().is_none());
        });
        let ext = secctx_ext(&[]);
        parse(
            &req_ext(
                FUSE_MKNOD,
                &[fuse_mknod_in::default().as_bytes(), b"n\0"],
                &ext,
            ),
            |r| {
                assert_eq!(r.ext.security_contexts().unwrap().count(), 0);
            },
        );
        // No extensions: empty.
        parse(&req(FUSE_LOOKUP, &[b"x\0"]), |r| {
            assert!(r.ext.is_empty());
            assert!(r.ext.supp_groups().is_none());
        });

        // Malformed: too large, bad record size, body overflow.
        let mut h = header(FUSE_LOOKUP, 2, 1);
        h.len = 42;
        let e = err(&[h.as_bytes(), b"x\0"].concat(), DecodeCtx::default());
        assert_eq!(e.kind, DecodeErrorKind::BadExtension);
        for bad in [
            fuse_ext_header {
                size: 0,
                type_: FUSE_EXT_GROUPS,
            },
            fuse_ext_header {
                size: 16,
                type_: FUSE_EXT_GROUPS,
            },
            fuse_ext_header {
                size: 8,
                type_: FUSE_EXT_GROUPS,
            },
            fuse_ext_header { size: 8, type_: 1 },
        ] {
            let e = err(
                &req_ext(FUSE_LOOKUP, &[b"x\0"], bad.as_bytes()),
                DecodeCtx::default(),
            );
            assert_eq!(e.kind, DecodeErrorKind::BadExtension, "{bad:?}");
        }
        let mut g = groups_ext(&[1]);
        g[8..12].copy_from_slice(&2u32.to_ne_bytes());
        let e = err(&req_ext(FUSE_LOOKUP, &[b"x\0"], &g), DecodeCtx::default());
        assert_eq!(e.kind, DecodeErrorKind::BadExtension);
        // An unknown extension type is skipped.
        let unknown = fuse_ext_header {
            size: 16,
            type_: 99,
        };
        let ext = [unknown.as_bytes(), &[0u8; 8], &groups_ext(&[3])].concat();
        parse(&req_ext(FUSE_LOOKUP, &[b"x\0"], &ext), |r| {
            assert_eq!(
                r.ext.iter().map(|e| e.type_).collect::<Vec<_>>(),
                [99, FUSE_EXT_GROUPS]
            );
            assert_eq!(r.ext.supp_groups().unwrap().get(0), Some(3));
        });
    }

    #[test]
    fn uring_parts() {
        let w = fuse_write_in {
            fh: 3,
            offset: 10,
            size: 5,
            ..Default::default()
        };
        let h = header(FUSE_WRITE, 0, 0);
        let mut op_in = [0u8; FUSE_URING_OP_IN_OUT_SZ];
        op_in[..40].copy_from_slice(w.as_bytes());
        let mut in_out = [0u8; FUSE_URING_IN_OUT_HEADER_SZ];
        in_out[..40].copy_from_slice(h.as_bytes());
        let r = parse_uring_request(&in_out, &op_in, b"hello", DecodeCtx::default()).unwrap();
        assert!(matches!(r.op, Op::Write { arg, data: b"hello" } if arg == w));

        // A name in the payload, the argument in op_in; and extensions at
        // the payload's end.
        let c = fuse_create_in {
            mode: 0o100644,
            ..Default::default()
        };
        let ext = groups_ext(&[9]);
        let h = header(FUSE_CREATE, 0, (ext.len() / 8) as u16);
        in_out[..40].copy_from_slice(h.as_bytes());
        op_in = [0; FUSE_URING_OP_IN_OUT_SZ];
        op_in[..16].copy_from_slice(c.as_bytes());
        let payload = [&b"file\0"[..], &ext].concat();
        let r = parse_uring_request(&in_out, &op_in, &payload, DecodeCtx::default()).unwrap();
        assert!(matches!(r.op, Op::Create { arg, name } if arg == c && cs(name) == b"file"));
        assert_eq!(r.ext.supp_groups().unwrap().get(0), Some(9));

        // LOOKUP: nothing in op_in.
        let h = header(FUSE_LOOKUP, 0, 0);
        in_out[..40].copy_from_slice(h.as_bytes());
        let r = parse_uring_request(&in_out, &op_in, b"name\0", DecodeCtx::default()).unwrap();
        assert!(matches!(r.op, Op::Lookup { name } if cs(name) == b"name"));
        let e = parse_uring_request(&in_out[..39], &op_in, b"", DecodeCtx::default()).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::ShortHeader);
    }

    #[test]
    fn read_struct_prefix_zero_fills() {
        let w = fuse_write_in {
            fh: u64::MAX,
            offset: u64::MAX,
            size: u32::MAX,
            write_flags: u32::MAX,
            lock_owner: u64::MAX,
            flags: u32::MAX,
            padding: u32::MAX,
        };
        let p: fuse_write_in = read_struct_prefix(&w.as_bytes()[..24], 24).unwrap();
        assert_eq!(
            (p.fh, p.size, p.write_flags),
            (u64::MAX, u32::MAX, u32::MAX)
        );
        assert_eq!((p.lock_owner, p.flags, p.padding), (0, 0, 0));
        assert!(read_struct_prefix::<fuse_write_in>(&w.as_bytes()[..23], 24).is_none());
        assert_eq!(
            read_struct_prefix::<fuse_write_in>(w.as_bytes(), 24),
            Some(w)
        );
        // Every struct the decoder zero-fills fits the scratch buffer.
        assert!(read_struct_prefix::<fuse_setattr_in>(&[], 0).is_some());
        assert!(read_struct_prefix::<fuse_init_in>(&[], 0).is_some());
        assert!(read_struct_prefix::<fuse_copy_file_range_in>(&[], 0).is_some());
        assert!(
            read_struct_prefix::<fuse_statx>(&[], 0).is_none(),
            "too large"
        );
    }

    /// One valid request for every opcode (and some variants), with the
    /// context to parse it in.
    fn corpus() -> Vec<(Vec<u8>, DecodeCtx)> {
        let d = DecodeCtx::default();
        let z = [0u8; 128];
        let mut v = vec![
            (req(FUSE_LOOKUP, &[b"name\0"]), d),
            (req(FUSE_FORGET, &[&z[..8]]), d),
            (req(FUSE_GETATTR, &[&z[..16]]), d),
            (req(FUSE_GETATTR, &[]), DecodeCtx::new(8, false)),
            (req(FUSE_SETATTR, &[&z[..88]]), d),
            (req(FUSE_READLINK, &[]), d),
            (req(FUSE_SYMLINK, &[b"a\0", b"b\0"]), d),
            (req(FUSE_MKNOD, &[&z[..16], b"n\0"]), d),
            (
                req(FUSE_MKNOD, &[&z[..8], b"n\0"]),
                DecodeCtx::new(11, false),
            ),
            (req(FUSE_MKDIR, &[&z[..8], b"d\0"]), d),
            (req(FUSE_UNLINK, &[b"u\0"]), d),
            (req(FUSE_RMDIR, &[b"r\0"]), d),
            (req(FUSE_RENAME, &[&z[..8], b"a\0", b"b\0"]), d),
            (req(FUSE_LINK, &[&z[..8], b"l\0"]), d),
            (req(FUSE_OPEN, &[&z[..8]]), d),
            (req(FUSE_READ, &[&z[..40]]), d),
            (req(FUSE_READ, &[&z[..24]]), DecodeCtx::new(8, false)),
            (
                req(
                    FUSE_WRITE,
                    &[
                        fuse_write_in {
                            size: 3,
                            ..Default::default()
                        }
                        .as_bytes(),
                        b"abc",
                    ],
                ),
                d,
            ),
            (
                req(
                    FUSE_WRITE,
                    &[
                        &3u64.to_ne_bytes(),
                        &z[..8],
                        &3u32.to_ne_bytes(),
                        &z[..4],
                        b"abc",
                    ],
                ),
                DecodeCtx::new(8, false),
            ),
            (req(FUSE_STATFS, &[]), d),
            (req(FUSE_RELEASE, &[&z[..24]]), d),
            (req(FUSE_FSYNC, &[&z[..16]]), d),
            (
                req(
                    FUSE_SETXATTR,
                    &[&2u32.to_ne_bytes(), &z[..4], b"n\0", b"vv"],
                ),
                d,
            ),
            (
                req(
                    FUSE_SETXATTR,
                    &[&2u32.to_ne_bytes(), &z[..12], b"n\0", b"vv"],
                ),
                DecodeCtx::new(45, true),
            ),
            (req(FUSE_GETXATTR, &[&z[..8], b"n\0"]), d),
            (req(FUSE_LISTXATTR, &[&z[..8]]), d),
            (req(FUSE_REMOVEXATTR, &[b"n\0"]), d),
            (req(FUSE_FLUSH, &[&z[..24]]), d),
            (req(FUSE_INIT, &[&z[..64]]), d),
            (req(FUSE_INIT, &[&z[..16]]), d),
            (req(FUSE_OPENDIR, &[&z[..8]]), d),
            (req(FUSE_READDIR, &[&z[..40]]), d),
            (req(FUSE_RELEASEDIR, &[&z[..24]]), d),
            (req(FUSE_FSYNCDIR, &[&z[..16]]), d),
            (req(FUSE_GETLK, &[&z[..48]]), d),
            (req(FUSE_SETLK, &[&z[..48]]), d),
            (req(FUSE_SETLKW, &[&z[..48]]), d),
            (req(FUSE_ACCESS, &[&z[..8]]), d),
            (req(FUSE_CREATE, &[&z[..16], b"c\0"]), d),
            (
                req(FUSE_CREATE, &[&z[..8], b"c\0"]),
                DecodeCtx::new(11, false),
            ),
            (req(FUSE_INTERRUPT, &[&z[..8]]), d),
            (req(FUSE_BMAP, &[&z[..16]]), d),
            (req(FUSE_DESTROY, &[]), d),
            (
                req(FUSE_IOCTL, &[&z[..24], &2u32.to_ne_bytes(), &z[..4], b"io"]),
                d,
            ),
            (req(FUSE_POLL, &[&z[..24]]), d),
            (
                req(
                    FUSE_NOTIFY_REPLY,
                    &[&z[..16], &2u32.to_ne_bytes(), &z[..20], b"nr"],
                ),
                d,
            ),
            (
                req(
                    FUSE_BATCH_FORGET,
                    &[&2u32.to_ne_bytes(), &z[..4], &[1u8; 16], &[2u8; 16]],
                ),
                d,
            ),
            (req(FUSE_FALLOCATE, &[&z[..32]]), d),
            (req(FUSE_READDIRPLUS, &[&z[..40]]), d),
            (req(FUSE_RENAME2, &[&z[..16], b"a\0", b"b\0"]), d),
            (req(FUSE_LSEEK, &[&z[..24]]), d),
            (req(FUSE_COPY_FILE_RANGE, &[&z[..56]]), d),
            (req(FUSE_SETUPMAPPING, &[&z[..40]]), d),
            (
                req(FUSE_REMOVEMAPPING, &[&1u32.to_ne_bytes(), &[3u8; 16]]),
                d,
            ),
            (req(FUSE_SYNCFS, &[&z[..8]]), d),
            (req(FUSE_TMPFILE, &[&z[..16], b"/\0"]), d),
            (req(FUSE_STATX, &[&z[..24]]), d),
            (req(FUSE_COPY_FILE_RANGE_64, &[&z[..56]]), d),
            (req(CUSE_INIT, &[&z[..16]]), d),
        ];
        let ext = [
            secctx_ext(&[(b"security.selinux", b"ctx\0")]),
            groups_ext(&[1, 2]),
        ]
        .concat();
        v.push((req_ext(FUSE_CREATE, &[&z[..16], b"c\0"], &ext), d));
        v.push((
            req_ext(FUSE_MKDIR, &[&z[..8], b"m\0"], &groups_ext(&[4])),
            d,
        ));
        v
    }

    /// xorshift64*: deterministic, no crates.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// Uses everything a decoded request offers, so that accessor panics
    /// would show too.
    fn exercise(r: Result<Request<'_>, DecodeError>) -> usize {
        match r {
            Err(e) => e.to_string().len() + e.reply_unique().is_some() as usize,
            Ok(r) => {
                let mut n = format!("{:?}", r.op).len() + r.op.opcode() as usize;
                if let Op::BatchForget { forgets, .. } = r.op {
                    n += forgets.iter().count() + forgets.len();
                    n += forgets.as_slice().map_or(0, |s| s.len());
                    n += forgets.get(forgets.len().saturating_sub(1)).is_some() as usize;
                }
                n += r.ext.iter().count();
                if let Some(g) = r.ext.supp_groups() {
                    n += g.iter().count() + g.get(0).is_some() as usize;
                }
                if let Some(s) = r.ext.security_contexts() {
                    n += s.count();
                }
                n
            }
        }
    }

    const CTXS: [DecodeCtx; 5] = [
        DecodeCtx::new(45, false),
        DecodeCtx::new(45, true),
        DecodeCtx::new(11, false),
        DecodeCtx::new(8, false),
        DecodeCtx::new(0, true),
    ];

    /// Thousands of random, truncated and mutated buffers: never a panic.
    #[test]
    fn fuzz_no_panic() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut sink = 0usize;
        let corpus = corpus();

        // Every prefix of every valid request, with the header's len
        // either kept or made to match.
        for (buf, _) in &corpus {
            for cut in 0..=buf.len() {
                for ctx in CTXS {
                    let mut b = buf[..cut].to_vec();
                    sink += exercise(parse_request(&b, ctx));
                    if b.len() >= 4 {
                        let len = (b.len() as u32).to_ne_bytes();
                        b[..4].copy_from_slice(&len);
                        sink += exercise(parse_request(&b, ctx));
                    }
                }
            }
        }

        // Mutations of valid requests: random bytes flipped, the opcode
        // swapped for another, total_extlen set at random; len kept right.
        for round in 0..40_000 {
            let (buf, _) = &corpus[rng.below(corpus.len())];
            let mut b = buf.clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            if round % 3 == 0 {
                let op = ALL_OPCODES[rng.below(ALL_OPCODES.len())];
                b[4..8].copy_from_slice(&op.to_ne_bytes());
            }
            if round % 5 == 0 {
                let ext = (rng.below(8) as u16).to_ne_bytes();
                b[36..38].copy_from_slice(&ext);
            }
            if round % 7 == 0 {
                let extra = rng.below(24);
                for _ in 0..extra {
                    b.push(rng.next() as u8);
                }
            }
            if round % 2 == 0 {
                let len = (b.len() as u32).to_ne_bytes();
                b[..4].copy_from_slice(&len);
            }
            // Parse at an odd offset too.
            let mut odd = vec![0u8; b.len() + 1];
            odd[1..].copy_from_slice(&b);
            let ctx = CTXS[rng.below(CTXS.len())];
            sink += exercise(parse_request(&b, ctx));
            sink += exercise(parse_request(&odd[1..], ctx));
            // The same bytes as ring entry parts, split at random.
            if b.len() >= 40 {
                let rest = &b[40..];
                let at = rng.below(rest.len() + 1);
                sink += exercise(parse_uring_request(&b[..40], &rest[..at], &rest[at..], ctx));
            }
        }

        // Pure noise with a plausible header.
        for _ in 0..20_000 {
            let len = 40 + rng.below(200);
            let mut b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            b[..4].copy_from_slice(&(len as u32).to_ne_bytes());
            let op = if rng.below(4) == 0 {
                rng.next() as u32
            } else {
                ALL_OPCODES[rng.below(ALL_OPCODES.len())]
            };
            b[4..8].copy_from_slice(&op.to_ne_bytes());
            if rng.below(2) == 0 {
                b[36..38].copy_from_slice(&(rng.below(4) as u16).to_ne_bytes());
            }
            let ctx = CTXS[rng.below(CTXS.len())];
            sink += exercise(parse_request(&b, ctx));
            let at = rng.below(len);
            sink += exercise(parse_uring_request(&b, &b[..at], &b[at..], ctx));
        }
        // Pure noise of any length.
        for _ in 0..5_000 {
            let len = rng.below(120);
            let b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            sink += exercise(parse_request(&b, DecodeCtx::default()));
        }
        assert!(sink > 0);
    }
}
