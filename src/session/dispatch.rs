//! Dispatch: one request's bytes → the filesystem's callback, with the
//! defaults, checks and argument conversions of libfuse 3.18's `do_*`
//! handlers. Replies come later, through `fuse_reply_*`.

use super::request::{Pending, Req};
use super::{init, reply, Session};
use crate::capi::types::{fi_bits, fuse_ctx, fuse_file_info, fuse_forget_data, fuse_req};
use crate::compat::{Abi, CallbackAbi};
use crate::conn::*;
use crate::kernel::decode::{self, parse_request, DecodeCtx, Op};
use crate::kernel::*;
use crate::transport::uring::Ent;
use std::ffi::CStr;
use std::os::fd::RawFd;
use std::sync::atomic::Ordering;

/// Whether the request is a FORGET or BATCH_FORGET (no thread accounting).
pub fn is_forget(buf: &[u8]) -> bool {
    matches!(
        decode::read_struct::<fuse_in_header>(buf).map(|h| h.opcode),
        Some(FUSE_FORGET) | Some(FUSE_BATCH_FORGET)
    )
}

fn err(req: &Req, e: i32) {
    reply::send_reply(req, -e, &[]);
}

/// A zeroed `fuse_file_info` with `fh` set.
fn fi_fh(fh: u64) -> fuse_file_info {
    fuse_file_info {
        fh,
        ..Default::default()
    }
}

fn stat_from_setattr(a: &fuse_setattr_in) -> libc::stat {
    // SAFETY: all-zero is a valid struct stat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    st.st_mode = a.mode;
    st.st_uid = a.uid;
    st.st_gid = a.gid;
    st.st_size = a.size as i64;
    st.st_atime = a.atime as i64;
    st.st_mtime = a.mtime as i64;
    st.st_ctime = a.ctime as i64;
    st.st_atime_nsec = i64::from(a.atimensec);
    st.st_mtime_nsec = i64::from(a.mtimensec);
    st.st_ctime_nsec = i64::from(a.ctimensec);
    st
}

fn flock_from(lk: &fuse_file_lock) -> libc::flock {
    // SAFETY: all-zero is a valid struct flock.
    let mut f: libc::flock = unsafe { std::mem::zeroed() };
    f.l_type = lk.type_ as i16;
    f.l_whence = libc::SEEK_SET as i16;
    f.l_start = lk.start as i64;
    f.l_len = if lk.end == i64::MAX as u64 {
        0
    } else {
        // Unsigned arithmetic that wraps, as libfuse's C: an end before
        // the start must not overflow (found by the dispatch fuzz target).
        lk.end.wrapping_sub(lk.start).wrapping_add(1) as i64
    };
    f.l_pid = lk.pid as i32;
    f
}

/// The `-d` line for a request, as libfuse prints it: `from` is "dev" for
/// /dev/fuse, "cqe" for io-uring.
fn trace(se: &Session, from: &str, h: &fuse_in_header, insize: usize) {
    if se.debug() {
        crate::log_debug!(
            "{from} unique: {}, opcode: {} ({}), nodeid: {}, insize: {}, pid: {}\n",
            h.unique,
            opname(h.opcode),
            h.opcode,
            h.nodeid,
            insize,
            h.pid
        );
    }
}

/// Processes one request read from `fd`.
pub fn process(se: &Session, buf: &[u8], fd: RawFd) {
    let Some(h) = decode::read_struct::<fuse_in_header>(buf) else {
        crate::log_err!("short read on fuse device\n");
        return;
    };
    trace(se, "dev", &h, buf.len());
    handle(se, h, fd, std::ptr::null(), |dctx| parse_request(buf, dctx));
}

/// Processes one request an io-uring entry holds: the header and the
/// opcode's struct (copied out of the entry), and `len` payload bytes at
/// `payload`. The payload stays the request's until its reply, which
/// writes into the same buffer; it is therefore handed over as a pointer,
/// and borrowed only while the request is decoded.
///
/// # Safety
/// `payload` must point to `len` readable bytes that stay valid and
/// unwritten by others until the request is answered.
pub unsafe fn process_ring(
    se: &Session,
    ent: &Ent,
    in_out: &[u8; FUSE_URING_IN_OUT_HEADER_SZ],
    op_in: &[u8; FUSE_URING_OP_IN_OUT_SZ],
    payload: *const u8,
    len: usize,
) {
    let Some(h) = decode::read_struct::<fuse_in_header>(in_out) else {
        return;
    };
    trace(se, "cqe", &h, len);
    let fd = se.fd.load(Ordering::Relaxed);
    handle(se, h, fd, ent, |dctx| {
        // SAFETY: per the contract; the slice lives only while decoding.
        let payload = unsafe { std::slice::from_raw_parts(payload, len) };
        if h.opcode == FUSE_NOTIFY_REPLY {
            // The kernel puts fuse_notify_retrieve_in at the start of the
            // payload, not in op_in (libfuse 3.18.3's ChangeLog).
            let n = std::mem::size_of::<fuse_notify_retrieve_in>().min(payload.len());
            let (head, tail) = payload.split_at(n);
            decode::parse_uring_request(in_out, head, tail, dctx)
        } else {
            decode::parse_uring_request(in_out, op_in, payload, dctx)
        }
    });
}

fn handle<'a>(
    se: &Session,
    h: fuse_in_header,
    fd: RawFd,
    ring: *const Ent,
    parse: impl FnOnce(DecodeCtx) -> Result<decode::Request<'a>, decode::DecodeError>,
) {
    let conn = se.conn();
    let no_interrupt = se.abi == Abi::V3_17 && conn.bits & 1 != 0;
    let ctx = fuse_ctx {
        uid: h.uid,
        gid: h.gid,
        pid: h.pid as i32,
        umask: 0,
    };
    let track = !no_interrupt && h.opcode != FUSE_INTERRUPT;
    let (reqp, pending) = se
        .reqs
        .alloc(se, h.unique, h.opcode, h.nodeid, ctx, fd, track);
    if let Pending::Stale(stale) = pending {
        // SAFETY: a pending INTERRUPT request, still waiting for its answer.
        if let Some(s) = unsafe { Req::active(stale) } {
            err(s, libc::EAGAIN);
        }
    }
    // SAFETY: just allocated; valid until it is answered.
    let req = unsafe { &mut *(reqp as *mut Req) };
    req.ring = ring;

    // The first request must be INIT (CUSE_INIT for CUSE), and only the first.
    let got_init = se.got_init.load(Ordering::SeqCst);
    let is_init = h.opcode == FUSE_INIT || h.opcode == CUSE_INIT;
    let expected = if se.cuse.get().is_some() {
        CUSE_INIT
    } else {
        FUSE_INIT
    };
    if (got_init && is_init) || (!got_init && h.opcode != expected) {
        return err(req, libc::EIO);
    }
    // allow_root: the kernel lets everyone in, we let root and the owner.
    if se.opts.deny_others
        && h.uid != se.owner
        && h.uid != 0
        && !matches!(
            h.opcode,
            FUSE_INIT
                | FUSE_READ
                | FUSE_WRITE
                | FUSE_FSYNC
                | FUSE_RELEASE
                | FUSE_READDIR
                | FUSE_FSYNCDIR
                | FUSE_RELEASEDIR
                | FUSE_NOTIFY_REPLY
                | FUSE_READDIRPLUS
        )
    {
        return err(req, libc::EACCES);
    }
    let dctx = DecodeCtx {
        proto_minor: se.proto_minor.load(Ordering::Relaxed),
        setxattr_ext: conn.want_ext & FUSE_CAP_SETXATTR_EXT != 0,
    };
    let request = match parse(dctx) {
        Ok(r) => r,
        Err(e) => {
            crate::log_err!("fuse: {e}\n");
            if expects_reply(h.opcode) {
                err(req, e.errno());
            } else {
                reply::end_request(req);
            }
            return;
        }
    };
    let op = request.op;
    if no_interrupt && h.opcode == FUSE_INTERRUPT {
        if se.debug() {
            crate::log_debug!("FUSE_INTERRUPT: reply to kernel to disable interrupt\n");
        }
        return err(req, libc::ENOSYS);
    }
    let _abi = CallbackAbi::enter(se.abi);
    call(se, req, reqp, &op, &conn, dctx.proto_minor);
}

/// Calls the filesystem for one decoded request (libfuse's `do_*`).
fn call(
    se: &Session,
    req: &mut Req,
    r: *mut fuse_req,
    op: &Op,
    conn: &crate::capi::types::fuse_conn_info,
    proto_minor: u32,
) {
    let ops = &se.ops;
    let ino = req.nodeid;
    let killpriv_v2 = se.abi == Abi::V3_17 && conn.want_ext & FUSE_CAP_HANDLE_KILLPRIV_V2 != 0;
    let name_ptr = |n: &CStr| n.as_ptr();
    macro_rules! call_or {
        ($slot:ident, $fallback:expr, |$f:ident| $call:expr) => {
            match ops.$slot {
                // SAFETY: the filesystem's callback, with a request it must
                // answer and arguments that live for the call.
                Some($f) => unsafe { $call },
                None => $fallback,
            }
        };
    }
    let enosys = |req: &Req| err(req, libc::ENOSYS);
    // The kill-suid/sgid duty the library holds for the filesystem (see
    // killpriv.rs): false when it failed and the request was answered.
    let killed = |req: &Req, node: u64, fh: Option<u64>| -> bool {
        let res = super::killpriv::kill_suidgid(se, req.ctx, node, fh);
        if res != 0 {
            err(req, -res);
        }
        res == 0
    };
    let shim = se.killpriv.held();
    match *op {
        Op::Init { arg } => {
            let max_read = se.mount_opts.lock().as_ref().map_or(0, |m| m.max_read);
            init::do_init(se, req, &arg, max_read);
        }
        Op::Destroy => {
            *se.mountpoint.lock() = None;
            se.got_destroy.store(true, Ordering::SeqCst);
            se.got_init.store(false, Ordering::SeqCst);
            if let Some(d) = ops.destroy {
                // SAFETY: the filesystem's destroy with its userdata.
                unsafe { d(se.userdata) };
            }
            reply::send_reply(req, 0, &[]);
        }
        Op::Lookup { name } => call_or!(lookup, enosys(req), |f| f(r, ino, name_ptr(name))),
        Op::Forget { arg } => {
            // Before the filesystem may reuse the node id.
            se.passthrough.forget(se.fd.load(Ordering::Relaxed), ino);
            se.killpriv.forget(ino);
            call_or!(forget, reply::end_request(req), |f| f(r, ino, arg.nlookup))
        }
        Op::BatchForget { arg, ref forgets } => {
            for o in forgets.iter() {
                se.passthrough
                    .forget(se.fd.load(Ordering::Relaxed), o.nodeid);
                se.killpriv.forget(o.nodeid);
            }
            if let Some(f) = ops.forget_multi {
                let owned: Vec<fuse_forget_data> = forgets
                    .iter()
                    .map(|o| fuse_forget_data {
                        ino: o.nodeid,
                        nlookup: o.nlookup,
                    })
                    .collect();
                // SAFETY: the callback with `count` records.
                unsafe {
                    f(
                        r,
                        arg.count as usize,
                        owned.as_ptr() as *mut fuse_forget_data,
                    )
                };
            } else if let Some(f) = ops.forget {
                for o in forgets.iter() {
                    // Each record gets a request of its own, answered with
                    // fuse_reply_none, as libfuse's dummy requests.
                    let (d, _) =
                        se.reqs
                            .alloc(se, req.unique, FUSE_FORGET, o.nodeid, req.ctx, -1, false);
                    // SAFETY: the callback with a fresh request.
                    unsafe { f(d, o.nodeid, o.nlookup) };
                }
                reply::end_request(req);
            } else {
                reply::end_request(req);
            }
        }
        Op::Getattr { arg } => {
            let mut fi = fi_fh(arg.fh);
            let fip = if proto_minor >= 9 && arg.getattr_flags & FUSE_GETATTR_FH != 0 {
                &mut fi as *mut fuse_file_info
            } else {
                std::ptr::null_mut()
            };
            call_or!(getattr, enosys(req), |f| f(r, ino, fip))
        }
        Op::Setattr { arg } => {
            let mut st = stat_from_setattr(&arg);
            let mut arg = arg;
            if shim && arg.valid & (FATTR_KILL_SUIDGID | FATTR_MODE) == FATTR_KILL_SUIDGID {
                // What the kernel did itself without the flag: the mode
                // change rides along with the truncate or chown.
                if let Some(mode) = super::killpriv::kill_mode(se, &req.ctx, ino) {
                    arg.valid |= FATTR_MODE;
                    st.st_mode = mode;
                }
            }
            let mut fi = fi_fh(arg.fh);
            let fip = if arg.valid & FATTR_FH != 0 {
                &mut fi as *mut fuse_file_info
            } else {
                std::ptr::null_mut()
            };
            // FUSE_SET_ATTR_* mirror the kernel's FATTR_* bits.
            let valid = arg.valid
                & (FATTR_MODE
                    | FATTR_UID
                    | FATTR_GID
                    | FATTR_SIZE
                    | FATTR_ATIME
                    | FATTR_MTIME
                    | FATTR_KILL_SUIDGID
                    | (1 << 12)
                    | FATTR_ATIME_NOW
                    | FATTR_MTIME_NOW
                    | FATTR_CTIME);
            call_or!(setattr, enosys(req), |f| f(
                r,
                ino,
                &mut st,
                valid as i32,
                fip
            ))
        }
        Op::Access { arg } => call_or!(access, enosys(req), |f| f(r, ino, arg.mask as i32)),
        Op::Readlink => call_or!(readlink, enosys(req), |f| f(r, ino)),
        Op::Mknod { arg, name } => {
            if proto_minor >= 12 {
                req.ctx.umask = arg.umask;
            }
            call_or!(mknod, enosys(req), |f| f(
                r,
                ino,
                name_ptr(name),
                arg.mode,
                u64::from(arg.rdev)
            ))
        }
        Op::Mkdir { arg, name } => {
            if proto_minor >= 12 {
                req.ctx.umask = arg.umask;
            }
            call_or!(mkdir, enosys(req), |f| f(r, ino, name_ptr(name), arg.mode))
        }
        Op::Unlink { name } => call_or!(unlink, enosys(req), |f| f(r, ino, name_ptr(name))),
        Op::Rmdir { name } => call_or!(rmdir, enosys(req), |f| f(r, ino, name_ptr(name))),
        Op::Symlink { name, link } => {
            call_or!(symlink, enosys(req), |f| f(
                r,
                name_ptr(link),
                ino,
                name_ptr(name)
            ))
        }
        Op::Rename { arg, name, newname } => call_or!(rename, enosys(req), |f| f(
            r,
            ino,
            name_ptr(name),
            arg.newdir,
            name_ptr(newname),
            0
        )),
        Op::Rename2 { arg, name, newname } => call_or!(rename, enosys(req), |f| f(
            r,
            ino,
            name_ptr(name),
            arg.newdir,
            name_ptr(newname),
            arg.flags
        )),
        Op::Link { arg, name } => call_or!(link, enosys(req), |f| f(
            r,
            arg.oldnodeid,
            ino,
            name_ptr(name)
        )),
        Op::Tmpfile { arg, .. } => {
            let mut fi = fuse_file_info {
                flags: arg.flags as i32,
                ..Default::default()
            };
            if proto_minor >= 12 {
                req.ctx.umask = arg.umask;
            }
            call_or!(tmpfile, enosys(req), |f| f(r, ino, arg.mode, &mut fi))
        }
        Op::Create { arg, name } => {
            let mut fi = fuse_file_info {
                flags: arg.flags as i32,
                ..Default::default()
            };
            if proto_minor >= 12 {
                req.ctx.umask = arg.umask;
            }
            if killpriv_v2 && arg.open_flags & FUSE_OPEN_KILL_SUIDGID != 0 {
                fi.bits |= fi_bits::KILL_SUIDGID;
            }
            req.open_flags = arg.flags as i32;
            call_or!(create, enosys(req), |f| f(
                r,
                ino,
                name_ptr(name),
                arg.mode,
                &mut fi
            ))
        }
        Op::Open { arg } => {
            let mut fi = fuse_file_info {
                flags: arg.flags as i32,
                ..Default::default()
            };
            if killpriv_v2 && arg.open_flags & FUSE_OPEN_KILL_SUIDGID != 0 {
                fi.bits |= fi_bits::KILL_SUIDGID;
            }
            // Before the open: the kernel has allowed the truncation.
            if shim && arg.open_flags & FUSE_OPEN_KILL_SUIDGID != 0 && !killed(req, ino, None) {
                return;
            }
            req.open_flags = arg.flags as i32;
            match ops.open {
                // SAFETY: as in call_or.
                Some(f) => unsafe { f(r, ino, &mut fi) },
                None if conn.want_ext & FUSE_CAP_NO_OPEN_SUPPORT != 0 => enosys(req),
                // SAFETY: r is this request; fi ours.
                None => unsafe {
                    crate::capi::reply::fuse_reply_open(r, &fi);
                },
            }
        }
        Op::Read { arg } => {
            let mut fi = fi_fh(arg.fh);
            if proto_minor >= 9 {
                fi.lock_owner = arg.lock_owner;
                fi.flags = arg.flags as i32;
            }
            call_or!(read, enosys(req), |f| f(
                r,
                ino,
                arg.size as usize,
                arg.offset as i64,
                &mut fi
            ))
        }
        Op::Write { arg, data } => {
            let mut fi = fi_fh(arg.fh);
            if arg.write_flags & FUSE_WRITE_CACHE != 0 {
                fi.bits |= fi_bits::WRITEPAGE;
            }
            if killpriv_v2 && arg.write_flags & FUSE_WRITE_KILL_SUIDGID != 0 {
                fi.bits |= fi_bits::KILL_SUIDGID;
            }
            if shim
                && (ops.write.is_some() || ops.write_buf.is_some())
                && arg.write_flags & FUSE_WRITE_KILL_SUIDGID != 0
                && !killed(req, ino, Some(arg.fh))
            {
                return;
            }
            if proto_minor >= 9 {
                fi.lock_owner = arg.lock_owner;
                fi.flags = arg.flags as i32;
            }
            if let Some(wb) = ops.write_buf {
                write_buf(
                    se,
                    r,
                    wb,
                    ino,
                    data.as_ptr(),
                    data.len(),
                    arg.offset as i64,
                    &mut fi,
                );
            } else {
                call_or!(write, enosys(req), |f| f(
                    r,
                    ino,
                    data.as_ptr() as *const libc::c_char,
                    data.len(),
                    arg.offset as i64,
                    &mut fi
                ))
            }
        }
        Op::Flush { arg } => {
            let mut fi = fi_fh(arg.fh);
            fi.bits |= fi_bits::FLUSH;
            if proto_minor >= 7 {
                fi.lock_owner = arg.lock_owner;
            }
            call_or!(flush, enosys(req), |f| f(r, ino, &mut fi))
        }
        Op::Release { arg } => {
            let mut fi = fi_fh(arg.fh);
            fi.flags = arg.flags as i32;
            if proto_minor >= 8 {
                if arg.release_flags & FUSE_RELEASE_FLUSH != 0 {
                    fi.bits |= fi_bits::FLUSH;
                }
                fi.lock_owner = arg.lock_owner;
            }
            if arg.release_flags & FUSE_RELEASE_FLOCK_UNLOCK != 0 {
                fi.bits |= fi_bits::FLOCK_RELEASE;
                fi.lock_owner = arg.lock_owner;
            }
            se.passthrough
                .release(se.fd.load(Ordering::Relaxed), ino, arg.fh);
            call_or!(release, err(req, 0), |f| f(r, ino, &mut fi))
        }
        Op::Fsync { arg } => {
            let mut fi = fi_fh(arg.fh);
            let datasync = (arg.fsync_flags & 1) as i32;
            call_or!(fsync, enosys(req), |f| f(r, ino, datasync, &mut fi))
        }
        Op::Opendir { arg } => {
            let mut fi = fuse_file_info {
                flags: arg.flags as i32,
                ..Default::default()
            };
            match ops.opendir {
                // SAFETY: as in call_or.
                Some(f) => unsafe { f(r, ino, &mut fi) },
                None if conn.want_ext & FUSE_CAP_NO_OPENDIR_SUPPORT != 0 => enosys(req),
                // SAFETY: r is this request; fi ours.
                None => unsafe {
                    crate::capi::reply::fuse_reply_open(r, &fi);
                },
            }
        }
        Op::Readdir { arg } => {
            let mut fi = fi_fh(arg.fh);
            call_or!(readdir, enosys(req), |f| f(
                r,
                ino,
                arg.size as usize,
                arg.offset as i64,
                &mut fi
            ))
        }
        Op::Readdirplus { arg } => {
            let mut fi = fi_fh(arg.fh);
            call_or!(readdirplus, enosys(req), |f| f(
                r,
                ino,
                arg.size as usize,
                arg.offset as i64,
                &mut fi
            ))
        }
        Op::Releasedir { arg } => {
            let mut fi = fi_fh(arg.fh);
            fi.flags = arg.flags as i32;
            call_or!(releasedir, err(req, 0), |f| f(r, ino, &mut fi))
        }
        Op::Fsyncdir { arg } => {
            let mut fi = fi_fh(arg.fh);
            let datasync = (arg.fsync_flags & 1) as i32;
            call_or!(fsyncdir, enosys(req), |f| f(r, ino, datasync, &mut fi))
        }
        Op::Statfs => match ops.statfs {
            // SAFETY: as in call_or.
            Some(f) => unsafe { f(r, ino) },
            None => {
                // SAFETY: all-zero is a valid statvfs.
                let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
                st.f_namemax = 255;
                st.f_bsize = 512;
                // SAFETY: r is this request.
                unsafe { crate::capi::reply::fuse_reply_statfs(r, &st) };
            }
        },
        Op::Setxattr { arg, name, value } => call_or!(setxattr, enosys(req), |f| f(
            r,
            ino,
            name_ptr(name),
            value.as_ptr() as *const libc::c_char,
            arg.size as usize,
            arg.flags as i32
        )),
        Op::Getxattr { arg, name } => {
            call_or!(getxattr, enosys(req), |f| f(
                r,
                ino,
                name_ptr(name),
                arg.size as usize
            ))
        }
        Op::Listxattr { arg } => call_or!(listxattr, enosys(req), |f| f(r, ino, arg.size as usize)),
        Op::Removexattr { name } => {
            call_or!(removexattr, enosys(req), |f| f(r, ino, name_ptr(name)))
        }
        Op::Getlk { arg } => {
            let mut fi = fi_fh(arg.fh);
            fi.lock_owner = arg.owner;
            let mut fl = flock_from(&arg.lk);
            call_or!(getlk, enosys(req), |f| f(r, ino, &mut fi, &mut fl))
        }
        Op::Setlk { arg } | Op::Setlkw { arg } => {
            let sleep = matches!(op, Op::Setlkw { .. });
            let mut fi = fi_fh(arg.fh);
            fi.lock_owner = arg.owner;
            if arg.lk_flags & FUSE_LK_FLOCK != 0 {
                let fop = decode::flock_operation(&arg, sleep);
                call_or!(flock, enosys(req), |f| f(r, ino, &mut fi, fop))
            } else {
                let mut fl = flock_from(&arg.lk);
                call_or!(setlk, enosys(req), |f| f(
                    r,
                    ino,
                    &mut fi,
                    &mut fl,
                    sleep as i32
                ))
            }
        }
        Op::Interrupt { arg } => {
            if se.debug() {
                crate::log_debug!("INTERRUPT: {}\n", arg.unique);
            }
            se.reqs.interrupt(arg.unique, r);
        }
        Op::Bmap { arg } => {
            call_or!(bmap, enosys(req), |f| f(
                r,
                ino,
                arg.blocksize as usize,
                arg.block
            ))
        }
        Op::Ioctl { arg, in_data } => {
            if arg.flags & FUSE_IOCTL_DIR != 0 && conn.want_ext & FUSE_CAP_IOCTL_DIR == 0 {
                return err(req, libc::ENOTTY);
            }
            let mut fi = fi_fh(arg.fh);
            let in_buf = if in_data.is_empty() {
                std::ptr::null()
            } else {
                in_data.as_ptr() as *const libc::c_void
            };
            call_or!(ioctl, enosys(req), |f| f(
                r,
                ino,
                arg.cmd,
                arg.arg as usize as *mut libc::c_void,
                &mut fi,
                arg.flags,
                in_buf,
                arg.in_size as usize,
                arg.out_size as usize
            ))
        }
        Op::Poll { arg } => {
            let mut fi = fi_fh(arg.fh);
            fi.poll_events = arg.events;
            match ops.poll {
                Some(f) => {
                    let ph = if arg.flags & FUSE_POLL_SCHEDULE_NOTIFY != 0 {
                        Box::into_raw(Box::new(crate::capi::notify::PollHandle { kh: arg.kh, se }))
                            as *mut crate::capi::types::fuse_pollhandle
                    } else {
                        std::ptr::null_mut()
                    };
                    // SAFETY: as in call_or; the handle is the filesystem's to destroy.
                    unsafe { f(r, ino, &mut fi, ph) }
                }
                None => enosys(req),
            }
        }
        Op::Fallocate { arg } => {
            // No flag here: the kernel's test is CAP_FSETID; uid 0 stands in.
            if shim
                && ops.fallocate.is_some()
                && req.ctx.uid != 0
                && !killed(req, ino, Some(arg.fh))
            {
                return;
            }
            let mut fi = fi_fh(arg.fh);
            call_or!(fallocate, enosys(req), |f| f(
                r,
                ino,
                arg.mode as i32,
                arg.offset as i64,
                arg.length as i64,
                &mut fi
            ))
        }
        Op::CopyFileRange { arg } | Op::CopyFileRange64 { arg } => {
            let mut len = arg.len;
            if matches!(op, Op::CopyFileRange64 { .. }) {
                req.copy64 = true;
            } else if len > 0xffff_f000 {
                // fuse_write_out carries a 32-bit count.
                len = 0xffff_f000;
            }
            if shim
                && ops.copy_file_range.is_some()
                && req.ctx.uid != 0
                && !killed(req, arg.nodeid_out, Some(arg.fh_out))
            {
                return;
            }
            let mut fi_in = fi_fh(arg.fh_in);
            let mut fi_out = fi_fh(arg.fh_out);
            call_or!(copy_file_range, enosys(req), |f| f(
                r,
                ino,
                arg.off_in as i64,
                &mut fi_in,
                arg.nodeid_out,
                arg.off_out as i64,
                &mut fi_out,
                len as usize,
                arg.flags as i32
            ))
        }
        Op::Lseek { arg } => {
            let mut fi = fi_fh(arg.fh);
            call_or!(lseek, enosys(req), |f| f(
                r,
                ino,
                arg.offset as i64,
                arg.whence as i32,
                &mut fi
            ))
        }
        Op::Statx { arg } => {
            let mut fi = fi_fh(arg.fh);
            let fip = if arg.getattr_flags & FUSE_GETATTR_FH != 0 {
                &mut fi as *mut fuse_file_info
            } else {
                std::ptr::null_mut()
            };
            call_or!(statx, enosys(req), |f| f(
                r,
                ino,
                arg.sx_flags as i32,
                arg.sx_mask as i32,
                fip
            ))
        }
        Op::NotifyReply { arg, data } => notify_reply(se, req, r, &arg, data),
        Op::CuseInit { arg } => super::cuse::do_cuse_init(se, req, &arg),
        Op::Unknown(_) | Op::SetupMapping { .. } | Op::RemoveMapping { .. } | Op::Syncfs { .. } => {
            enosys(req)
        }
    }
}

/// A write to a filesystem with write_buf: the data as a one-buffer vector
/// in the session's `fuse_buf` layout.
#[allow(clippy::too_many_arguments)]
fn write_buf(
    se: &Session,
    r: *mut fuse_req,
    wb: unsafe extern "C" fn(
        *mut fuse_req,
        u64,
        *mut crate::capi::types::fuse_bufvec,
        libc::off_t,
        *mut fuse_file_info,
    ),
    ino: u64,
    // A pointer, not a slice: with io-uring the data is in the ring
    // payload, which the reply made during the call overwrites.
    data: *const u8,
    len: usize,
    off: i64,
    fi: &mut fuse_file_info,
) {
    use crate::capi::types::{fuse_buf, fuse_bufvec};
    // One zeroed 3.17+ vector: a 3.14 filesystem reads its 40-byte prefix.
    let mut v = fuse_bufvec {
        count: 1,
        idx: 0,
        off: 0,
        buf: [fuse_buf {
            size: len,
            flags: 0,
            mem: data as *mut libc::c_void,
            fd: -1,
            pos: 0,
            mem_size: if se.abi == Abi::V3_17 { len } else { 0 },
        }],
    };
    // SAFETY: the callback gets a vector over the request's data, alive for the call.
    unsafe { wb(r, ino, &mut v, off, fi) };
}

/// FUSE_NOTIFY_REPLY: the data a fuse_lowlevel_notify_retrieve asked for.
fn notify_reply(
    se: &Session,
    req: &Req,
    r: *mut fuse_req,
    arg: &fuse_notify_retrieve_in,
    data: &[u8],
) {
    let Some(cookie) = se.retrieves.lock().remove(&req.unique) else {
        // libfuse ignores replies nobody asked for (and sends nothing).
        return reply::end_request(req);
    };
    if data.len() < arg.size as usize {
        crate::log_err!("fuse: retrieve reply: buffer size too small\n");
        return reply::end_request(req);
    }
    let Some(f) = se.ops.retrieve_reply else {
        return reply::end_request(req);
    };
    use crate::capi::types::{fuse_buf, fuse_bufvec};
    let payload = &data[..arg.size as usize];
    let mut v = fuse_bufvec {
        count: 1,
        idx: 0,
        off: 0,
        buf: [fuse_buf {
            size: payload.len(),
            flags: 0,
            mem: payload.as_ptr() as *mut libc::c_void,
            fd: -1,
            pos: 0,
            mem_size: 0,
        }],
    };
    // SAFETY: the filesystem's callback with its cookie and the data.
    unsafe {
        f(
            r,
            cookie as *mut libc::c_void,
            req.nodeid,
            arg.offset as i64,
            &mut v,
        )
    };
}
