//! CUSE, character devices in userspace: a low-level session on
//! `/dev/cuse` whose filesystem is a `cuse_lowlevel_ops` table.
//!
//! A CUSE session is an ordinary [`Session`] with [`CuseData`] attached. Its
//! `fuse_lowlevel_ops` table takes `init` and `destroy` as they are and
//! routes open, read, write, flush, release, fsync, ioctl and poll through
//! the `extern "C"` adapters below, which drop the inode argument (a
//! character device has one node) and call the CUSE table; every other
//! request finds no handler and is answered as libfuse does.
//!
//! The first request must be CUSE_INIT (see `dispatch`), answered by
//! [`do_cuse_init`]: the device's numbers, flags and limits followed by the
//! device info strings ("DEVNAME=..."), each NUL-terminated, as the kernel
//! reads them to create the device node.

use super::request::Req;
use super::{init, reply, Session};
use crate::capi::types::{
    cuse_lowlevel_ops, fuse_file_info, fuse_lowlevel_ops, fuse_pollhandle, fuse_req,
};
use crate::kernel::FUSE_MIN_READ_BUFFER;
use crate::kernel::{cuse_init_in, cuse_init_out, WireStruct, CUSE_INIT_INFO_MAX};
use libc::{c_char, c_int, c_uint, c_void, off_t, size_t};
use std::sync::atomic::Ordering;

/// The largest read the device accepts, announced in the CUSE_INIT reply
/// (libfuse's fixed 128 KiB).
pub const CUSE_MAX_READ: u32 = 128 * 1024;

/// What a CUSE session adds to a session: the device's table and identity.
#[derive(Clone)]
pub struct CuseData {
    /// The filesystem's table, copied.
    pub clop: cuse_lowlevel_ops,
    pub dev_major: u32,
    pub dev_minor: u32,
    /// `cuse_info.flags`: sent as the reply's flags (CUSE_UNRESTRICTED_IOCTL).
    pub flags: u32,
    pub max_read: u32,
    /// The device info strings, each followed by its NUL.
    pub dev_info: Vec<u8>,
}

/// The device info block is longer than the kernel takes.
#[derive(Debug, PartialEq, Eq)]
pub struct DevInfoTooLarge(pub usize);

/// Packs `strings` one after the other, each with its terminating NUL (the
/// strings themselves hold none: they come from C strings). Fails with the
/// packed length when it exceeds `CUSE_INIT_INFO_MAX`.
pub fn pack_dev_info<S: AsRef<[u8]>>(strings: &[S]) -> Result<Vec<u8>, DevInfoTooLarge> {
    let len: usize = strings.iter().map(|s| s.as_ref().len() + 1).sum();
    if len > CUSE_INIT_INFO_MAX {
        return Err(DevInfoTooLarge(len));
    }
    let mut out = Vec::with_capacity(len);
    for s in strings {
        out.extend_from_slice(s.as_ref());
        out.push(0);
    }
    Ok(out)
}

impl CuseData {
    /// The device as `cuse_info` describes it, info strings already packed.
    pub fn new(
        clop: cuse_lowlevel_ops,
        dev_major: u32,
        dev_minor: u32,
        flags: u32,
        dev_info: Vec<u8>,
    ) -> CuseData {
        CuseData {
            clop,
            dev_major,
            dev_minor,
            flags,
            max_read: CUSE_MAX_READ,
            dev_info,
        }
    }

    /// The fixed part of the CUSE_INIT reply, for a connection whose
    /// `max_write` is `max_write`.
    pub fn init_out(&self, max_write: u32) -> cuse_init_out {
        cuse_init_out {
            major: init::KERNEL_VERSION,
            minor: init::KERNEL_MINOR_VERSION,
            flags: self.flags,
            max_read: self.max_read,
            max_write,
            dev_major: self.dev_major,
            dev_minor: self.dev_minor,
            ..Default::default()
        }
    }

    /// The first info string (what the `-d` trace shows: the block is
    /// printed as a C string, so it stops at the first NUL).
    fn first_info_string(&self) -> String {
        let end = self
            .dev_info
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.dev_info.len());
        String::from_utf8_lossy(&self.dev_info[..end]).into_owned()
    }
}

/// The low-level table a CUSE session runs on: `init` and `destroy` as
/// given, an adapter wherever the CUSE table has an operation, nothing
/// else (so the dispatcher's defaults apply, as they do in libfuse).
pub fn lowlevel_ops(clop: &cuse_lowlevel_ops) -> fuse_lowlevel_ops {
    fuse_lowlevel_ops {
        init: clop.init,
        destroy: clop.destroy,
        open: clop.open.map(|_| cuse_open as _),
        read: clop.read.map(|_| cuse_read as _),
        write: clop.write.map(|_| cuse_write as _),
        flush: clop.flush.map(|_| cuse_flush as _),
        release: clop.release.map(|_| cuse_release as _),
        fsync: clop.fsync.map(|_| cuse_fsync as _),
        ioctl: clop.ioctl.map(|_| cuse_ioctl as _),
        poll: clop.poll.map(|_| cuse_poll as _),
        ..Default::default()
    }
}

/// The CUSE table of the session `req` belongs to (a copy: the callback
/// may answer, and so end, the request).
///
/// # Safety
/// `req` must be a request the dispatcher is handing to the filesystem.
unsafe fn clop_of(req: *mut fuse_req) -> Option<cuse_lowlevel_ops> {
    // SAFETY: per the contract, a live request of a live session.
    let r = unsafe { Req::active(req) }?;
    r.session().cuse.get().map(|cd| cd.clop)
}

// The adapters. Each is installed only where the CUSE table has the
// operation, and requests reach them only through the dispatcher, so the
// request is live and its session a CUSE one; `fi` and the buffers are the
// dispatcher's, valid for the call.

unsafe extern "C" fn cuse_open(req: *mut fuse_req, _ino: u64, fi: *mut fuse_file_info) {
    // SAFETY: see above.
    if let Some(f) = unsafe { clop_of(req) }.and_then(|c| c.open) {
        // SAFETY: the filesystem's open with the dispatcher's arguments.
        unsafe { f(req, fi) }
    }
}

unsafe extern "C" fn cuse_read(
    req: *mut fuse_req,
    _ino: u64,
    size: size_t,
    off: off_t,
    fi: *mut fuse_file_info,
) {
    // SAFETY: see above.
    if let Some(f) = unsafe { clop_of(req) }.and_then(|c| c.read) {
        // SAFETY: the filesystem's read with the dispatcher's arguments.
        unsafe { f(req, size, off, fi) }
    }
}

unsafe extern "C" fn cuse_write(
    req: *mut fuse_req,
    _ino: u64,
    buf: *const c_char,
    size: size_t,
    off: off_t,
    fi: *mut fuse_file_info,
) {
    // SAFETY: see above.
    if let Some(f) = unsafe { clop_of(req) }.and_then(|c| c.write) {
        // SAFETY: the filesystem's write with the dispatcher's arguments.
        unsafe { f(req, buf, size, off, fi) }
    }
}

unsafe extern "C" fn cuse_flush(req: *mut fuse_req, _ino: u64, fi: *mut fuse_file_info) {
    // SAFETY: see above.
    if let Some(f) = unsafe { clop_of(req) }.and_then(|c| c.flush) {
        // SAFETY: the filesystem's flush with the dispatcher's arguments.
        unsafe { f(req, fi) }
    }
}

unsafe extern "C" fn cuse_release(req: *mut fuse_req, _ino: u64, fi: *mut fuse_file_info) {
    // SAFETY: see above.
    if let Some(f) = unsafe { clop_of(req) }.and_then(|c| c.release) {
        // SAFETY: the filesystem's release with the dispatcher's arguments.
        unsafe { f(req, fi) }
    }
}

unsafe extern "C" fn cuse_fsync(
    req: *mut fuse_req,
    _ino: u64,
    datasync: c_int,
    fi: *mut fuse_file_info,
) {
    // SAFETY: see above.
    if let Some(f) = unsafe { clop_of(req) }.and_then(|c| c.fsync) {
        // SAFETY: the filesystem's fsync with the dispatcher's arguments.
        unsafe { f(req, datasync, fi) }
    }
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn cuse_ioctl(
    req: *mut fuse_req,
    _ino: u64,
    cmd: c_uint,
    arg: *mut c_void,
    fi: *mut fuse_file_info,
    flags: c_uint,
    in_buf: *const c_void,
    in_bufsz: size_t,
    out_bufsz: size_t,
) {
    // SAFETY: see above.
    if let Some(f) = unsafe { clop_of(req) }.and_then(|c| c.ioctl) {
        // SAFETY: the filesystem's ioctl with the dispatcher's arguments;
        // the CUSE table declares the command as an int.
        unsafe {
            f(
                req,
                cmd as c_int,
                arg,
                fi,
                flags,
                in_buf,
                in_bufsz,
                out_bufsz,
            )
        }
    }
}

unsafe extern "C" fn cuse_poll(
    req: *mut fuse_req,
    _ino: u64,
    fi: *mut fuse_file_info,
    ph: *mut fuse_pollhandle,
) {
    // SAFETY: see above.
    if let Some(f) = unsafe { clop_of(req) }.and_then(|c| c.poll) {
        // SAFETY: the filesystem's poll with the dispatcher's arguments.
        unsafe { f(req, fi, ph) }
    }
}

/// Answers CUSE_INIT: records the protocol version, caps `max_write` to
/// what the session's buffers hold, lets the filesystem's `init` adjust
/// the connection, replies with the device's description, then calls
/// `init_done`. The connection's capabilities stay empty: CUSE negotiates
/// none.
pub fn do_cuse_init(se: &Session, req: &Req, arg: &cuse_init_in) {
    let Some(cd) = se.cuse.get() else {
        // Not a CUSE session: dispatch never lets CUSE_INIT through then.
        reply::send_reply(req, -libc::ENOSYS, &[]);
        return;
    };
    let debug = se.debug();
    if debug {
        crate::log_debug!("CUSE_INIT: {}.{}\n", arg.major, arg.minor);
        crate::log_debug!("flags=0x{:08x}\n", arg.flags);
    }
    let conn_ptr = se.conn_ptr();
    se.start_init(arg.major, arg.minor);
    if arg.major < 7 {
        crate::log_err!(
            "cuse: unsupported protocol version: {}.{}\n",
            arg.major,
            arg.minor
        );
        reply::send_reply(req, -libc::EPROTO, &[]);
        return;
    }
    let mut bufsize = se.bufsize.load(Ordering::SeqCst);
    if bufsize < FUSE_MIN_READ_BUFFER {
        crate::log_err!("cuse: warning: buffer size too small: {}\n", bufsize);
        bufsize = FUSE_MIN_READ_BUFFER;
    }
    let room = (bufsize - super::BUFFER_HEADER_SIZE) as u32;
    {
        // SAFETY: as above.
        let conn = unsafe { &mut *conn_ptr };
        if room < conn.max_write {
            conn.max_write = room;
        }
    }
    se.got_init.store(true, Ordering::SeqCst);
    if let Some(init) = se.ops.init {
        // SAFETY: the filesystem's init with its userdata and the session's
        // connection info, which stays at this address for the session's life.
        unsafe { init(se.userdata, conn_ptr) };
    }
    let out = cd.init_out(se.conn().max_write);
    if debug {
        crate::log_debug!("   CUSE_INIT: {}.{}\n", out.major, out.minor);
        crate::log_debug!("   flags=0x{:08x}\n", out.flags);
        crate::log_debug!("   max_read=0x{:08x}\n", out.max_read);
        crate::log_debug!("   max_write=0x{:08x}\n", out.max_write);
        crate::log_debug!("   dev_major={}\n", out.dev_major);
        crate::log_debug!("   dev_minor={}\n", out.dev_minor);
        crate::log_debug!("   dev_info: {}\n", cd.first_info_string());
    }
    reply::send_reply(req, 0, &[out.as_bytes(), &cd.dev_info]);
    if let Some(done) = cd.clop.init_done {
        // SAFETY: the filesystem's init_done with its userdata.
        unsafe { done(se.userdata) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::CUSE_UNRESTRICTED_IOCTL;

    #[test]
    fn dev_info_is_nul_separated_and_terminated() {
        let p = pack_dev_info(&["DEVNAME=foo", "MODE=0600", ""]).unwrap();
        assert_eq!(p, b"DEVNAME=foo\0MODE=0600\0\0");
        assert_eq!(pack_dev_info::<&str>(&[]).unwrap(), b"");
    }

    #[test]
    fn dev_info_limit_counts_the_nuls() {
        // 4095 bytes plus its NUL is exactly the limit.
        let s = vec![b'x'; CUSE_INIT_INFO_MAX - 1];
        assert_eq!(pack_dev_info(&[&s]).unwrap().len(), CUSE_INIT_INFO_MAX);
        let s = vec![b'x'; CUSE_INIT_INFO_MAX];
        assert_eq!(pack_dev_info(&[&s]), Err(DevInfoTooLarge(4097)));
        let half = vec![b'y'; CUSE_INIT_INFO_MAX / 2];
        assert_eq!(
            pack_dev_info(&[&half, &half]),
            Err(DevInfoTooLarge(CUSE_INIT_INFO_MAX + 2))
        );
    }

    #[test]
    fn init_reply_encoding() {
        let cd = CuseData::new(
            cuse_lowlevel_ops::default(),
            240,
            3,
            CUSE_UNRESTRICTED_IOCTL,
            pack_dev_info(&["DEVNAME=ferro"]).unwrap(),
        );
        let out = cd.init_out(0x10_0000);
        let b = out.as_bytes();
        assert_eq!(b.len(), 72);
        let word = |i: usize| u32::from_ne_bytes(b[i * 4..i * 4 + 4].try_into().unwrap());
        assert_eq!(
            (0..8).map(word).collect::<Vec<_>>(),
            [7, 45, 0, 1, 131072, 0x10_0000, 240, 3]
        );
        assert!(b[32..].iter().all(|&x| x == 0), "spare words are zero");
        assert_eq!(cd.first_info_string(), "DEVNAME=ferro");
    }

    #[test]
    fn lowlevel_table_has_adapters_only_where_cuse_has_ops() {
        unsafe extern "C" fn open(_: *mut fuse_req, _: *mut fuse_file_info) {}
        unsafe extern "C" fn init(_: *mut c_void, _: *mut crate::capi::types::fuse_conn_info) {}
        let clop = cuse_lowlevel_ops {
            init: Some(init),
            open: Some(open),
            ..Default::default()
        };
        let lop = lowlevel_ops(&clop);
        assert_eq!(
            lop.init.map(|f| f as usize),
            Some(init as *const () as usize)
        );
        assert_eq!(
            lop.open.map(|f| f as usize),
            Some(cuse_open as *const () as usize)
        );
        assert!(lop.read.is_none() && lop.write.is_none() && lop.ioctl.is_none());
        assert!(lop.destroy.is_none() && lop.lookup.is_none() && lop.poll.is_none());
    }
}
