//! `fuse_reply_*`: each answers one request, exactly once, with the body
//! libfuse 3.18 would send (including the short compat layouts for old
//! protocol minors). A reply to a request that is not waiting for one
//! (answered already, or not a request) is logged and refused.

use super::req::req_or;
use super::types::*;
use crate::dirent::{attr_from_stat, entry_out, timeout_nsec, timeout_sec};
use crate::kernel::*;
use crate::session::reply::{end_request, send_reply};
use crate::session::request::Req;
use libc::{c_char, c_int, c_uint, c_void, off_t, size_t};
use std::mem::size_of;

fn ok(req: &Req, body: &[&[u8]]) -> c_int {
    send_reply(req, 0, body)
}

fn proto_minor(req: &Req) -> u32 {
    req.session()
        .proto_minor
        .load(std::sync::atomic::Ordering::Relaxed)
}

/// The open flags a `fuse_file_info` asks for, read in the session's
/// layout (a 3.14 filesystem's struct has no backing_id or bits above 7).
///
/// # Safety
/// `fi` points to the filesystem's struct of the session's flavour.
unsafe fn open_out(req: &Req, fi: *const fuse_file_info) -> fuse_open_out {
    // SAFETY: per the contract.
    let f = unsafe { req.session().abi.read_file_info(fi as *const c_void) };
    let mut arg = fuse_open_out {
        fh: f.fh,
        ..Default::default()
    };
    if f.backing_id > 0 {
        arg.backing_id = f.backing_id;
        arg.open_flags |= FOPEN_PASSTHROUGH;
    }
    for (bit, flag) in [
        (fi_bits::DIRECT_IO, FOPEN_DIRECT_IO),
        (fi_bits::KEEP_CACHE, FOPEN_KEEP_CACHE),
        (fi_bits::CACHE_READDIR, FOPEN_CACHE_DIR),
        (fi_bits::NONSEEKABLE, FOPEN_NONSEEKABLE),
        (fi_bits::NOFLUSH, FOPEN_NOFLUSH),
        (
            fi_bits::PARALLEL_DIRECT_WRITES,
            FOPEN_PARALLEL_DIRECT_WRITES,
        ),
    ] {
        if f.bits & bit != 0 {
            arg.open_flags |= flag;
        }
    }
    arg
}

fn entry_size(req: &Req) -> usize {
    if proto_minor(req) < 9 {
        FUSE_COMPAT_ENTRY_OUT_SIZE
    } else {
        size_of::<fuse_entry_out>()
    }
}

/// # Safety
/// `req` a request not yet answered.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_err(req: fuse_req_t, err: c_int) -> c_int {
    let r = req_or!(req, "fuse_reply_err", -libc::EINVAL);
    // INT_MIN has no negation: wrapping keeps it INT_MIN, which
    // send_reply refuses as a bad error value (a plain `-err` panics, and
    // so aborts the daemon, in a build with overflow checks).
    send_reply(r, err.wrapping_neg(), &[])
}

/// # Safety
/// `req` a request not yet answered.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_none(req: fuse_req_t) {
    let r = req_or!(req, "fuse_reply_none");
    end_request(r);
}

/// # Safety
/// `req` a request not yet answered; `e` a valid entry.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_entry(req: fuse_req_t, e: *const fuse_entry_param) -> c_int {
    let r = req_or!(req, "fuse_reply_entry", -libc::EINVAL);
    // SAFETY: the caller's entry.
    let Some(e) = (unsafe { e.as_ref() }) else {
        return send_reply(r, -libc::EINVAL, &[]);
    };
    // Before 7.4 a zero ino was not a negative entry.
    if e.ino == 0 && proto_minor(r) < 4 {
        return send_reply(r, -libc::ENOENT, &[]);
    }
    let arg = entry_out(e);
    r.session().reported(e.ino, &e.attr);
    ok(r, &[&arg.as_bytes()[..entry_size(r)]])
}

/// Sends an OPEN/CREATE reply whose open part is `open`, letting
/// passthrough=auto decide on it first (for the node `nodeid`).
fn send_open(r: &Req, nodeid: u64, head: &[u8], mut open: fuse_open_out) -> c_int {
    let se = r.session();
    let dev = se.fd.load(std::sync::atomic::Ordering::Relaxed);
    let killpriv = se.killpriv.held();
    let counted = se
        .passthrough
        .open(dev, se.debug(), nodeid, r.open_flags, killpriv, &mut open);
    let res = if head.is_empty() {
        ok(r, &[open.as_bytes()])
    } else {
        ok(r, &[head, open.as_bytes()])
    };
    if res != 0 {
        if let Some(c) = counted {
            se.passthrough.undo(dev, c);
        }
    }
    res
}

/// # Safety
/// `req` a request not yet answered; `e`, `fi` valid.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_create(
    req: fuse_req_t,
    e: *const fuse_entry_param,
    fi: *const fuse_file_info,
) -> c_int {
    let r = req_or!(req, "fuse_reply_create", -libc::EINVAL);
    // SAFETY: the caller's entry.
    let (Some(e), false) = (unsafe { e.as_ref() }, fi.is_null()) else {
        return send_reply(r, -libc::EINVAL, &[]);
    };
    let entry = entry_out(e);
    // SAFETY: fi is the filesystem's struct.
    let open = unsafe { open_out(r, fi) };
    r.session().reported(e.ino, &e.attr);
    send_open(r, e.ino, &entry.as_bytes()[..entry_size(r)], open)
}

/// # Safety
/// `req` a request not yet answered; `attr` valid.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_attr(
    req: fuse_req_t,
    attr: *const libc::stat,
    attr_timeout: f64,
) -> c_int {
    let r = req_or!(req, "fuse_reply_attr", -libc::EINVAL);
    // SAFETY: the caller's stat.
    let Some(st) = (unsafe { attr.as_ref() }) else {
        return send_reply(r, -libc::EINVAL, &[]);
    };
    r.session().reported(r.nodeid, st);
    let arg = fuse_attr_out {
        attr_valid: timeout_sec(attr_timeout),
        attr_valid_nsec: timeout_nsec(attr_timeout),
        attr: attr_from_stat(st),
        ..Default::default()
    };
    let size = if proto_minor(r) < 9 {
        FUSE_COMPAT_ATTR_OUT_SIZE
    } else {
        size_of::<fuse_attr_out>()
    };
    ok(r, &[&arg.as_bytes()[..size]])
}

/// # Safety
/// `req` a request not yet answered; `link` a C string.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_readlink(req: fuse_req_t, link: *const c_char) -> c_int {
    let r = req_or!(req, "fuse_reply_readlink", -libc::EINVAL);
    if link.is_null() {
        return send_reply(r, -libc::EINVAL, &[]);
    }
    // SAFETY: a C string.
    let s = unsafe { std::ffi::CStr::from_ptr(link) };
    ok(r, &[s.to_bytes()])
}

/// # Safety
/// `req` a request not yet answered; `fi` valid.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_open(req: fuse_req_t, fi: *const fuse_file_info) -> c_int {
    let r = req_or!(req, "fuse_reply_open", -libc::EINVAL);
    if fi.is_null() {
        return send_reply(r, -libc::EINVAL, &[]);
    }
    // SAFETY: fi is the filesystem's struct.
    let arg = unsafe { open_out(r, fi) };
    if r.opcode == FUSE_OPEN {
        return send_open(r, r.nodeid, &[], arg);
    }
    ok(r, &[arg.as_bytes()])
}

/// # Safety
/// `req` a request not yet answered.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_write(req: fuse_req_t, count: size_t) -> c_int {
    let r = req_or!(req, "fuse_reply_write", -libc::EINVAL);
    if r.copy64 {
        let arg = fuse_copy_file_range_out {
            bytes_copied: count as u64,
        };
        return ok(r, &[arg.as_bytes()]);
    }
    let arg = fuse_write_out {
        size: count as u32,
        ..Default::default()
    };
    ok(r, &[arg.as_bytes()])
}

/// # Safety
/// `req` a request not yet answered; `buf` has `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_buf(
    req: fuse_req_t,
    buf: *const c_char,
    size: size_t,
) -> c_int {
    let r = req_or!(req, "fuse_reply_buf", -libc::EINVAL);
    let data: &[u8] = if size == 0 || buf.is_null() {
        &[]
    } else {
        // SAFETY: the caller's buffer of `size` bytes.
        unsafe { std::slice::from_raw_parts(buf as *const u8, size) }
    };
    ok(r, &[data])
}

/// # Safety
/// `req` a request not yet answered; `iov` has `count` entries.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_iov(
    req: fuse_req_t,
    iov: *const libc::iovec,
    count: c_int,
) -> c_int {
    let r = req_or!(req, "fuse_reply_iov", -libc::EINVAL);
    // SAFETY: the caller's iovec array and buffers.
    let parts = unsafe { iov_slices(iov, count.max(0) as usize) };
    ok(r, &parts)
}

/// The buffers of a C iovec array as slices.
///
/// # Safety
/// `iov` NULL or `count` valid entries whose buffers outlive the result.
unsafe fn iov_slices<'a>(iov: *const libc::iovec, count: usize) -> Vec<&'a [u8]> {
    if iov.is_null() {
        return Vec::new();
    }
    (0..count)
        .map(|i| {
            // SAFETY: per the contract.
            let v = unsafe { &*iov.add(i) };
            if v.iov_len == 0 || v.iov_base.is_null() {
                &[][..]
            } else {
                // SAFETY: per the contract.
                unsafe { std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len) }
            }
        })
        .collect()
}

/// # Safety
/// `req` a request not yet answered; `bufv` a valid vector.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_data(
    req: fuse_req_t,
    bufv: *mut fuse_bufvec,
    flags: fuse_buf_copy_flags,
) -> c_int {
    let r = req_or!(req, "fuse_reply_data", -libc::EINVAL);
    let _ = flags;
    if bufv.is_null() {
        return send_reply(r, -libc::EINVAL, &[]);
    }
    let abi = r.session().abi;
    if let Some(ent) = r.ring_ent() {
        // Straight into the ring payload, which is this request's until
        // the reply commits it (libfuse's fuse_reply_data_uring).
        let (p, cap) = ent.payload();
        // SAFETY: the entry's payload buffer of `cap` bytes belongs to this
        // unanswered request; nothing else reads or writes it meanwhile.
        let dst = unsafe { std::slice::from_raw_parts_mut(p, cap) };
        // SAFETY: per the contract.
        return match unsafe { super::buf::read_into(bufv, abi, dst) } {
            // SAFETY: the bytes just written, passed back as the body (the
            // ring reply sees it is already in place and copies nothing).
            Ok(n) => ok(r, &[unsafe { std::slice::from_raw_parts(p, n) }]),
            Err(e) => send_reply(r, -e, &[]),
        };
    }
    // SAFETY: per the contract.
    if let Some(res) = unsafe { splice_reply(r, bufv, abi) } {
        return res;
    }
    // /dev/fuse: a per-thread buffer, reused, instead of one allocation
    // (and page faults) per reply.
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    // SAFETY: per the contract.
    let size = unsafe { super::buf::size_of_vec(bufv, abi) };
    SCRATCH.with(|cell| {
        // Re-entered (a reply made inside a reply): a buffer of its own.
        let mut own = Vec::new();
        let mut guard = cell.try_borrow_mut();
        let scratch = match guard.as_deref_mut() {
            Ok(s) => s,
            Err(_) => &mut own,
        };
        // Page-aligned, as libfuse's posix_memalign'd buffer: the fd may be
        // open with O_DIRECT (a filesystem passing an O_DIRECT open through),
        // and then pread into an unaligned buffer fails with EINVAL.
        let page = crate::session::page_size();
        if scratch.len() < size + page {
            *scratch = vec![0u8; size + page];
        }
        let start = scratch.as_ptr().align_offset(page);
        let buf = &mut scratch[start..start + size];
        // SAFETY: per the contract.
        match unsafe { super::buf::read_into(bufv, abi, buf) } {
            Ok(n) => ok(r, &[&buf[..n]]),
            Err(e) => send_reply(r, -e, &[]),
        }
    })
}

/// # Safety
/// `req` a request not yet answered; `stbuf` valid.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_statfs(req: fuse_req_t, stbuf: *const libc::statvfs) -> c_int {
    let r = req_or!(req, "fuse_reply_statfs", -libc::EINVAL);
    // SAFETY: the caller's statvfs.
    let Some(s) = (unsafe { stbuf.as_ref() }) else {
        return send_reply(r, -libc::EINVAL, &[]);
    };
    let arg = fuse_statfs_out {
        st: fuse_kstatfs {
            blocks: s.f_blocks,
            bfree: s.f_bfree,
            bavail: s.f_bavail,
            files: s.f_files,
            ffree: s.f_ffree,
            bsize: s.f_bsize as u32,
            namelen: s.f_namemax as u32,
            frsize: s.f_frsize as u32,
            ..Default::default()
        },
    };
    let size = if proto_minor(r) < 4 {
        FUSE_COMPAT_STATFS_SIZE
    } else {
        size_of::<fuse_statfs_out>()
    };
    ok(r, &[&arg.as_bytes()[..size]])
}

/// # Safety
/// `req` a request not yet answered.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_xattr(req: fuse_req_t, count: size_t) -> c_int {
    let r = req_or!(req, "fuse_reply_xattr", -libc::EINVAL);
    let arg = fuse_getxattr_out {
        size: count as u32,
        ..Default::default()
    };
    ok(r, &[arg.as_bytes()])
}

/// # Safety
/// `req` a request not yet answered; `lock` valid.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_lock(req: fuse_req_t, lock: *const libc::flock) -> c_int {
    let r = req_or!(req, "fuse_reply_lock", -libc::EINVAL);
    // SAFETY: the caller's flock.
    let Some(l) = (unsafe { lock.as_ref() }) else {
        return send_reply(r, -libc::EINVAL, &[]);
    };
    let mut arg = fuse_lk_out::default();
    arg.lk.type_ = l.l_type as u32;
    if l.l_type as i32 != libc::F_UNLCK {
        arg.lk.start = l.l_start as u64;
        arg.lk.end = if l.l_len == 0 {
            i64::MAX as u64 // OFFSET_MAX
        } else {
            (l.l_start + l.l_len - 1) as u64
        };
    }
    arg.lk.pid = l.l_pid as u32;
    ok(r, &[arg.as_bytes()])
}

/// # Safety
/// `req` a request not yet answered.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_bmap(req: fuse_req_t, idx: u64) -> c_int {
    let r = req_or!(req, "fuse_reply_bmap", -libc::EINVAL);
    let arg = fuse_bmap_out { block: idx };
    ok(r, &[arg.as_bytes()])
}

/// # Safety
/// `req` a request not yet answered; the iovec arrays have their counts.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_ioctl_retry(
    req: fuse_req_t,
    in_iov: *const libc::iovec,
    in_count: size_t,
    out_iov: *const libc::iovec,
    out_count: size_t,
) -> c_int {
    let r = req_or!(req, "fuse_reply_ioctl_retry", -libc::EINVAL);
    let arg = fuse_ioctl_out {
        flags: FUSE_IOCTL_RETRY,
        in_iovs: in_count as u32,
        out_iovs: out_count as u32,
        ..Default::default()
    };
    // From 7.16 the kernel takes fixed 64-bit iovecs; before, native ones.
    let wire = |iov: *const libc::iovec, n: usize| -> Vec<u8> {
        if n == 0 || iov.is_null() {
            return Vec::new();
        }
        // SAFETY: the caller's array of n iovecs.
        let v = unsafe { std::slice::from_raw_parts(iov, n) };
        if proto_minor(r) < 16 {
            // SAFETY: the array's own bytes.
            unsafe { std::slice::from_raw_parts(iov as *const u8, n * size_of::<libc::iovec>()) }
                .to_vec()
        } else {
            v.iter()
                .flat_map(|e| {
                    let f = fuse_ioctl_iovec {
                        base: e.iov_base as u64,
                        len: e.iov_len as u64,
                    };
                    f.as_bytes().to_vec()
                })
                .collect()
        }
    };
    let (i, o) = (wire(in_iov, in_count), wire(out_iov, out_count));
    ok(r, &[arg.as_bytes(), &i, &o])
}

/// # Safety
/// `req` a request not yet answered; `buf` has `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_ioctl(
    req: fuse_req_t,
    result: c_int,
    buf: *const c_void,
    size: size_t,
) -> c_int {
    let r = req_or!(req, "fuse_reply_ioctl", -libc::EINVAL);
    let arg = fuse_ioctl_out {
        result,
        ..Default::default()
    };
    let data: &[u8] = if size == 0 || buf.is_null() {
        &[]
    } else {
        // SAFETY: the caller's buffer of `size` bytes.
        unsafe { std::slice::from_raw_parts(buf as *const u8, size) }
    };
    ok(r, &[arg.as_bytes(), data])
}

/// # Safety
/// `req` a request not yet answered; `iov` has `count` entries.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_ioctl_iov(
    req: fuse_req_t,
    result: c_int,
    iov: *const libc::iovec,
    count: c_int,
) -> c_int {
    let r = req_or!(req, "fuse_reply_ioctl_iov", -libc::EINVAL);
    let arg = fuse_ioctl_out {
        result,
        ..Default::default()
    };
    // SAFETY: the caller's iovec array.
    let mut parts = unsafe { iov_slices(iov, count.max(0) as usize) };
    parts.insert(0, arg.as_bytes());
    ok(r, &parts)
}

/// # Safety
/// `req` a request not yet answered.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_poll(req: fuse_req_t, revents: c_uint) -> c_int {
    let r = req_or!(req, "fuse_reply_poll", -libc::EINVAL);
    let arg = fuse_poll_out {
        revents,
        ..Default::default()
    };
    ok(r, &[arg.as_bytes()])
}

/// # Safety
/// `req` a request not yet answered.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_lseek(req: fuse_req_t, off: off_t) -> c_int {
    let r = req_or!(req, "fuse_reply_lseek", -libc::EINVAL);
    let arg = fuse_lseek_out { offset: off as u64 };
    ok(r, &[arg.as_bytes()])
}

/// # Safety
/// `req` a request not yet answered; `statx` valid.
#[no_mangle]
pub unsafe extern "C" fn fuse_reply_statx(
    req: fuse_req_t,
    flags: c_int,
    statx: *mut libc::statx,
    attr_timeout: f64,
) -> c_int {
    let r = req_or!(req, "fuse_reply_statx", -libc::EINVAL);
    if statx.is_null() {
        return send_reply(r, -libc::EINVAL, &[]);
    }
    let mut arg = fuse_statx_out {
        attr_valid: timeout_sec(attr_timeout),
        attr_valid_nsec: timeout_nsec(attr_timeout),
        flags: flags as u32,
        ..Default::default()
    };
    // The kernel's fuse_statx is struct statx's first bytes, field for field.
    // SAFETY: statx points to a full struct statx, larger than fuse_statx.
    unsafe {
        std::ptr::copy_nonoverlapping(
            statx as *const u8,
            &mut arg.stat as *mut fuse_statx as *mut u8,
            size_of::<fuse_statx>(),
        )
    };
    // SAFETY: as above.
    let sx = unsafe { &*statx };
    if let Some(id) = crate::passthrough::Ident::from_statx(sx) {
        r.session().passthrough.reported_ident(r.nodeid, id);
    }
    let mode_gid = libc::STATX_TYPE | libc::STATX_MODE | libc::STATX_GID;
    if sx.stx_mask & mode_gid == mode_gid {
        let duty = &r.session().killpriv;
        duty.reported(r.nodeid, u32::from(sx.stx_mode), sx.stx_gid);
    }
    ok(r, &[arg.as_bytes()])
}

/// Replies smaller than this are copied: a splice costs more than it saves.
const SPLICE_MIN: usize = 32 * 1024;

/// A pipe per thread for splicing replies to /dev/fuse, made once and kept
/// (libfuse 3.18 makes a new one whenever its size is short, which is every
/// request for filesystems with a large max_write).
struct SplicePipe {
    r: c_int,
    w: c_int,
    cap: usize,
}

impl SplicePipe {
    fn new() -> Option<SplicePipe> {
        let mut fds = [0 as c_int; 2];
        // SAFETY: pipe2 writes two fds into the array.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } == -1 {
            return None;
        }
        // As large as the system allows an unprivileged pipe (1 MiB by
        // default); bigger replies are copied instead.
        let want = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .ok()
            .and_then(|s| s.trim().parse::<c_int>().ok())
            .unwrap_or(1 << 20);
        // SAFETY: fcntl on our own pipe.
        let cap = unsafe {
            let c = libc::fcntl(fds[1], libc::F_SETPIPE_SZ, want);
            if c > 0 {
                c
            } else {
                libc::fcntl(fds[1], libc::F_GETPIPE_SZ)
            }
        };
        Some(SplicePipe {
            r: fds[0],
            w: fds[1],
            cap: cap.max(0) as usize,
        })
    }
}

impl Drop for SplicePipe {
    fn drop(&mut self) {
        // SAFETY: our own fds.
        unsafe {
            libc::close(self.r);
            libc::close(self.w);
        }
    }
}

thread_local! {
    static PIPE: std::cell::RefCell<Option<SplicePipe>> = const { std::cell::RefCell::new(None) };
}

/// /dev/fuse replies with fd data, when the filesystem wants
/// FUSE_CAP_SPLICE_WRITE: header and data go through the thread's pipe and
/// are spliced to the device in one message, without a copy of the data
/// through memory. None when this reply cannot go that way (small, not
/// seekable fd buffers, custom I/O, pipe too small, or a short transfer,
/// which leaves the data to be read again by the copying path).
///
/// # Safety
/// `bufv` a valid vector of `abi`'s layout.
unsafe fn splice_reply(r: &Req, bufv: *mut fuse_bufvec, abi: crate::compat::Abi) -> Option<c_int> {
    let se = r.session();
    // SAFETY: per the contract.
    let size = unsafe { super::buf::size_of_vec(bufv, abi) };
    if size < SPLICE_MIN
        || se.conn().want_ext & crate::conn::FUSE_CAP_SPLICE_WRITE == 0
        || se.io.lock().is_some()
        // SAFETY: per the contract.
        || !unsafe { super::buf::spliceable(bufv, abi) }
    {
        return None;
    }
    let hdr_len = std::mem::size_of::<crate::session::reply::OutHeader>();
    PIPE.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.is_none() {
            *slot = SplicePipe::new();
        }
        let pipe = slot.as_ref()?;
        // A pipe holds cap / page buffers, and spliced pages never share
        // one: the header takes a buffer of its own, and data starting
        // inside a page spans one page more than its size. A reply that
        // would not fit is copied (trying it would fill the pipe, come up
        // short, and drop the pipe, only to make a new one next time).
        let page = crate::session::page_size();
        if hdr_len + size + 2 * page > pipe.cap {
            return None;
        }
        let out = crate::session::reply::OutHeader {
            len: (hdr_len + size) as u32,
            error: 0,
            unique: r.unique,
        };
        // SAFETY: writes the 16-byte header from a local into our empty pipe.
        let w = unsafe { libc::write(pipe.w, &out as *const _ as *const libc::c_void, hdr_len) };
        // SAFETY: per the contract.
        let moved = (w == hdr_len as isize)
            .then(|| unsafe { super::buf::copy_to_pipe(bufv, abi, pipe.w, size) });
        if moved != Some(Ok(size)) {
            // Short or failed: drop the pipe with whatever it holds; the
            // copying path reads the (positioned) data again.
            *slot = None;
            return None;
        }
        if se.debug() {
            crate::log_debug!("   unique: {}, success, outsize: {}\n", r.unique, out.len);
        }
        let total = hdr_len + size;
        // SAFETY: splices from our pipe to the request's device fd.
        let res = unsafe {
            libc::splice(
                pipe.r,
                std::ptr::null_mut(),
                r.fd,
                std::ptr::null_mut(),
                total,
                libc::SPLICE_F_MOVE,
            )
        };
        let err = if res == total as isize {
            0
        } else {
            let e = if res == -1 {
                std::io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::EIO)
            } else {
                libc::EIO
            };
            // Whatever stayed in the pipe must not prefix the next reply.
            *slot = None;
            se.write_failed(e)
        };
        crate::session::reply::end_request(r);
        Some(err)
    })
}
