//! `fuse_req_*`: what a filesystem may ask of a request it has not yet
//! answered.

use super::types::*;
use libc::{c_char, c_int, c_void, gid_t, size_t};

/// The request behind `req`, or a log line and `$fail`.
macro_rules! req_or {
    ($req:expr, $name:literal) => {
        $crate::capi::req::req_or!($req, $name, {})
    };
    ($req:expr, $name:literal, $fail:expr) => {
        // SAFETY: C passes a request it was handed (or garbage we refuse).
        match unsafe { $crate::session::request::Req::active($req) } {
            Some(r) => r,
            None => {
                crate::session::reply::log_bad_reply($name);
                return $fail;
            }
        }
    };
}
pub(crate) use req_or;

/// # Safety
/// `req` a request not yet answered.
#[no_mangle]
pub unsafe extern "C" fn fuse_req_userdata(req: fuse_req_t) -> *mut c_void {
    let r = req_or!(req, "fuse_req_userdata", std::ptr::null_mut());
    r.session().userdata
}

/// # Safety
/// `req` a request not yet answered; the result lives until the reply.
#[no_mangle]
pub unsafe extern "C" fn fuse_req_ctx(req: fuse_req_t) -> *const fuse_ctx {
    let r = req_or!(req, "fuse_req_ctx", std::ptr::null());
    &r.ctx
}

/// The groups of the requesting process, from /proc as libfuse reads them:
/// returns how many there are and stores at most `size` of them.
///
/// # Safety
/// `req` a request not yet answered; `list` has room for `size` gids.
#[no_mangle]
pub unsafe extern "C" fn fuse_req_getgroups(
    req: fuse_req_t,
    size: c_int,
    list: *mut gid_t,
) -> c_int {
    let r = req_or!(req, "fuse_req_getgroups", -libc::EINVAL);
    let Some(groups) = caller_groups(r.ctx.pid) else {
        return -libc::EIO;
    };
    for (i, g) in groups.iter().enumerate().take(size.max(0) as usize) {
        // SAFETY: the caller's list has room for `size` entries.
        unsafe { *list.add(i) = *g };
    }
    groups.len() as c_int
}

/// The supplementary groups of the thread `pid`, from /proc.
pub(crate) fn caller_groups(pid: libc::pid_t) -> Option<Vec<gid_t>> {
    let status = std::fs::read(format!("/proc/{pid}/task/{pid}/status")).ok()?;
    groups_of_status(&status)
}

/// The numbers after "\nGroups:" in a /proc status file (strtoul base 0).
fn groups_of_status(status: &[u8]) -> Option<Vec<gid_t>> {
    let text = String::from_utf8_lossy(status);
    let at = text.find("\nGroups:")?;
    let line = text[at + 8..].lines().next().unwrap_or("");
    Some(
        line.split_ascii_whitespace()
            .map_while(|w| {
                let (digits, radix) = match w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
                    Some(h) => (h, 16),
                    None if w.len() > 1 && w.starts_with('0') => (&w[1..], 8),
                    None => (w, 10),
                };
                u64::from_str_radix(digits, radix).ok().map(|v| v as gid_t)
            })
            .collect(),
    )
}

/// # Safety
/// `req` a request not yet answered; `func` called with `data` at most once.
#[no_mangle]
pub unsafe extern "C" fn fuse_req_interrupt_func(
    req: fuse_req_t,
    func: fuse_interrupt_func_t,
    data: *mut c_void,
) {
    let r = req_or!(req, "fuse_req_interrupt_func");
    // SAFETY: the filesystem's function and data, as it registered them.
    unsafe { r.set_interrupt_func(func, data) };
}

/// # Safety
/// `req` a request not yet answered.
#[no_mangle]
pub unsafe extern "C" fn fuse_req_interrupted(req: fuse_req_t) -> c_int {
    let r = req_or!(req, "fuse_req_interrupted", 0);
    r.interrupted() as c_int
}

/// # Safety
/// `req` a request not yet answered.
#[no_mangle]
pub unsafe extern "C" fn fuse_req_is_uring(req: fuse_req_t) -> bool {
    let r = req_or!(req, "fuse_req_is_uring", false);
    r.ring_ent().is_some()
}

/// Zero-copy payload access: the ring entry's payload buffer, which holds
/// the request's payload (e.g. write data) and may be filled with the reply
/// before `fuse_reply_buf(req, payload, n)`. Only for requests that came
/// over io-uring; like libfuse, anything else gets -EINVAL.
///
/// # Safety
/// `req` a request not yet answered; `payload` and `payload_sz` writable.
#[no_mangle]
pub unsafe extern "C" fn fuse_req_get_payload(
    req: fuse_req_t,
    payload: *mut *mut c_char,
    payload_sz: *mut size_t,
    mr: *mut *mut c_void,
) -> c_int {
    let r = req_or!(req, "fuse_req_get_payload", -libc::EINVAL);
    let Some(ent) = r.ring_ent() else {
        return -libc::EINVAL;
    };
    if payload.is_null() || payload_sz.is_null() {
        return -libc::EINVAL;
    }
    let (p, n) = ent.payload();
    // SAFETY: the caller's out-pointers (checked non-NULL; mr may be NULL).
    unsafe {
        *payload = p.cast();
        *payload_sz = n;
        if !mr.is_null() {
            *mr = std::ptr::null_mut();
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::groups_of_status;

    #[test]
    fn groups_line() {
        let s = b"Name:\tx\nUid:\t0\nGroups:\t4 24 27 \nNSpid:\t1\n";
        assert_eq!(groups_of_status(s), Some(vec![4, 24, 27]));
        assert_eq!(groups_of_status(b"Name:\tx\nGroups:\n"), Some(vec![]));
        assert_eq!(groups_of_status(b"Name:\tx\n"), None);
    }
}
