//! `fuse_lowlevel_notify_*`: messages the filesystem sends the kernel on
//! its own (unique 0, the notify code in the error field), and poll handles.

use super::types::*;
use crate::kernel::*;
use crate::session::reply::{send_msg, OutHeader};
use crate::session::Session;
use libc::{c_char, c_int, c_void, off_t, size_t};
use std::sync::atomic::Ordering;

/// What a `struct fuse_pollhandle *` points to: the kernel's handle and the
/// session to notify.
pub struct PollHandle {
    pub kh: u64,
    pub se: *const Session,
}

/// The session behind `se`, or -EINVAL.
macro_rules! session_or_einval {
    ($se:expr) => {
        // SAFETY: C passes NULL or a live session.
        match unsafe { Session::from_raw($se) } {
            Some(s) => s,
            None => return -libc::EINVAL,
        }
    };
}

fn proto_minor(se: &Session) -> u32 {
    se.proto_minor.load(Ordering::Relaxed)
}

/// Sends a notification; -ENOTCONN before INIT, as libfuse.
fn notify(se: &Session, code: i32, body: &[&[u8]]) -> c_int {
    if !se.got_init.load(Ordering::SeqCst) {
        return -libc::ENOTCONN;
    }
    let mut out = OutHeader {
        len: 0,
        error: code,
        unique: 0,
    };
    send_msg(se, se.fd.load(Ordering::SeqCst), &mut out, body)
}

/// The name plus its NUL, as the entry notifications carry it.
///
/// # Safety
/// `name` points to `namelen` bytes followed by a NUL.
unsafe fn name_with_nul<'a>(name: *const c_char, namelen: size_t) -> &'a [u8] {
    // SAFETY: per the contract.
    unsafe { std::slice::from_raw_parts(name as *const u8, namelen + 1) }
}

/// # Safety
/// `ph` NULL or a handle from a poll request.
#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_poll(ph: *mut fuse_pollhandle) -> c_int {
    // SAFETY: C passes NULL or a handle we made.
    let Some(h) = (unsafe { (ph as *const PollHandle).as_ref() }) else {
        return 0;
    };
    // SAFETY: a poll handle does not outlive its session.
    let se = unsafe { &*h.se };
    let arg = fuse_notify_poll_wakeup_out { kh: h.kh };
    notify(se, FUSE_NOTIFY_POLL, &[arg.as_bytes()])
}

/// # Safety
/// `ph` NULL or a handle from a poll request, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn fuse_pollhandle_destroy(ph: *mut fuse_pollhandle) {
    if !ph.is_null() {
        // SAFETY: handles are Box<PollHandle>es made by the dispatcher.
        drop(unsafe { Box::from_raw(ph as *mut PollHandle) });
    }
}

/// # Safety
/// `se` NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_inval_inode(
    se: *mut fuse_session,
    ino: fuse_ino_t,
    off: off_t,
    len: off_t,
) -> c_int {
    let s = session_or_einval!(se);
    inval_inode(s, ino, off, len)
}

/// FUSE_NOTIFY_INVAL_INODE, for the library's own use too.
pub(crate) fn inval_inode(s: &Session, ino: fuse_ino_t, off: off_t, len: off_t) -> c_int {
    if proto_minor(s) < 12 {
        return -libc::ENOSYS;
    }
    let arg = fuse_notify_inval_inode_out { ino, off, len };
    notify(s, FUSE_NOTIFY_INVAL_INODE, &[arg.as_bytes()])
}

/// # Safety
/// `se` NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_increment_epoch(se: *mut fuse_session) -> c_int {
    let s = session_or_einval!(se);
    if proto_minor(s) < 44 {
        return -libc::ENOSYS;
    }
    notify(s, FUSE_NOTIFY_INC_EPOCH, &[])
}

/// # Safety
/// `name` has `namelen` bytes and a NUL.
unsafe fn notify_entry(
    s: &Session,
    parent: fuse_ino_t,
    name: *const c_char,
    namelen: size_t,
    expire: bool,
) -> c_int {
    if proto_minor(s) < 12 {
        return -libc::ENOSYS;
    }
    if name.is_null() {
        return -libc::EINVAL;
    }
    let arg = fuse_notify_inval_entry_out {
        parent,
        namelen: namelen as u32,
        flags: if expire { FUSE_EXPIRE_ONLY } else { 0 },
    };
    // SAFETY: per the contract.
    let n = unsafe { name_with_nul(name, namelen) };
    notify(s, FUSE_NOTIFY_INVAL_ENTRY, &[arg.as_bytes(), n])
}

/// # Safety
/// `se` NULL or a live session; `name` has `namelen` bytes and a NUL.
#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_inval_entry(
    se: *mut fuse_session,
    parent: fuse_ino_t,
    name: *const c_char,
    namelen: size_t,
) -> c_int {
    let s = session_or_einval!(se);
    // SAFETY: per the contract.
    unsafe { notify_entry(s, parent, name, namelen, false) }
}

/// Both signatures share the symbol: 3.14's carries `flags` (0 invalidates,
/// FUSE_LL_EXPIRE_ONLY expires); 3.18's has no fifth argument and always
/// expires, so for a 3.17+ session whatever sits in that register is ignored.
///
/// # Safety
/// `se` NULL or a live session; `name` has `namelen` bytes and a NUL.
#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_expire_entry(
    se: *mut fuse_session,
    parent: fuse_ino_t,
    name: *const c_char,
    namelen: size_t,
    flags: fuse_notify_entry_flags,
) -> c_int {
    let s = session_or_einval!(se);
    let expire = match s.abi {
        crate::compat::Abi::V3_17 => true,
        crate::compat::Abi::V3_14 => flags & 1 != 0,
    };
    // Both versions need the kernel's expire support, whatever the flags.
    if s.conn().capable_ext & crate::conn::FUSE_CAP_EXPIRE_ONLY == 0 {
        return -libc::ENOSYS;
    }
    // SAFETY: per the contract.
    unsafe { notify_entry(s, parent, name, namelen, expire) }
}

/// # Safety
/// `se` NULL or a live session; `name` has `namelen` bytes and a NUL.
#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_delete(
    se: *mut fuse_session,
    parent: fuse_ino_t,
    child: fuse_ino_t,
    name: *const c_char,
    namelen: size_t,
) -> c_int {
    let s = session_or_einval!(se);
    if proto_minor(s) < 18 {
        return -libc::ENOSYS;
    }
    if name.is_null() {
        return -libc::EINVAL;
    }
    let arg = fuse_notify_delete_out {
        parent,
        child,
        namelen: namelen as u32,
        padding: 0,
    };
    // SAFETY: per the contract.
    let n = unsafe { name_with_nul(name, namelen) };
    notify(s, FUSE_NOTIFY_DELETE, &[arg.as_bytes(), n])
}

/// # Safety
/// `se` NULL or a live session; `bufv` a valid vector of its flavour.
#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_store(
    se: *mut fuse_session,
    ino: fuse_ino_t,
    offset: off_t,
    bufv: *mut fuse_bufvec,
    flags: fuse_buf_copy_flags,
) -> c_int {
    let s = session_or_einval!(se);
    let _ = flags;
    if proto_minor(s) < 15 {
        return -libc::ENOSYS;
    }
    if bufv.is_null() {
        return -libc::EINVAL;
    }
    // SAFETY: per the contract.
    let data = match unsafe { super::buf::read_all(bufv, s.abi) } {
        Ok(d) => d,
        Err(e) => return -e,
    };
    let arg = fuse_notify_store_out {
        nodeid: ino,
        offset: offset as u64,
        size: data.len() as u32,
        padding: 0,
    };
    notify(s, FUSE_NOTIFY_STORE, &[arg.as_bytes(), &data])
}

/// # Safety
/// `se` NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn fuse_lowlevel_notify_retrieve(
    se: *mut fuse_session,
    ino: fuse_ino_t,
    size: size_t,
    offset: off_t,
    cookie: *mut c_void,
) -> c_int {
    let s = session_or_einval!(se);
    if proto_minor(s) < 15 {
        return -libc::ENOSYS;
    }
    // Even uniques: the kernel's interrupt bit (bit 0) is never set.
    let unique = s.notify_ctr.fetch_add(2, Ordering::SeqCst);
    s.retrieves.lock().insert(unique, cookie as usize);
    let arg = fuse_notify_retrieve_out {
        notify_unique: unique,
        nodeid: ino,
        offset: offset as u64,
        size: size as u32,
        padding: 0,
    };
    let err = notify(s, FUSE_NOTIFY_RETRIEVE, &[arg.as_bytes()]);
    if err != 0 {
        s.retrieves.lock().remove(&unique);
    }
    err
}
