//! Sending replies: the `fuse_out_header`, the debug trace, the write to
//! the request's device fd, and the end of the request.

use super::request::Req;
use super::Session;
use std::ffi::{c_char, c_int};

extern "C" {
    // glibc >= 2.32: the description of an errno, NULL for unknown values.
    fn strerrordesc_np(errnum: c_int) -> *const c_char;
}

/// `struct fuse_out_header`
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct OutHeader {
    pub len: u32,
    pub error: i32,
    pub unique: u64,
}

fn valid_error(error: i32) -> bool {
    // i32::MIN has no negation: a bad value, never a panic.
    // SAFETY (strerrordesc_np): as above.
    error == 0
        || error
            .checked_neg()
            .is_some_and(|e| e > 0 && !unsafe { strerrordesc_np(e) }.is_null())
}

/// Writes a message whose first iovec is the header, tracing it like
/// libfuse's `fuse_send_msg`. Returns 0 or -errno.
pub fn send_msg(se: &Session, fd: i32, out: &mut OutHeader, body: &[&[u8]]) -> i32 {
    let total = std::mem::size_of::<OutHeader>() + body.iter().map(|b| b.len()).sum::<usize>();
    out.len = total as u32;
    if se.debug() {
        if out.unique == 0 {
            crate::log_debug!("NOTIFY: code={} length={}\n", out.error, out.len);
        } else if out.error != 0 {
            crate::log_debug!(
                "   unique: {}, error: {} ({}), outsize: {}\n",
                out.unique,
                out.error,
                crate::log::strerror(-out.error),
                out.len
            );
        } else {
            crate::log_debug!("   unique: {}, success, outsize: {}\n", out.unique, out.len);
        }
    }
    let mut iov: Vec<libc::iovec> = Vec::with_capacity(body.len() + 1);
    iov.push(libc::iovec {
        iov_base: out as *mut OutHeader as *mut libc::c_void,
        iov_len: std::mem::size_of::<OutHeader>(),
    });
    for b in body.iter().filter(|b| !b.is_empty()) {
        iov.push(libc::iovec {
            iov_base: b.as_ptr() as *mut libc::c_void,
            iov_len: b.len(),
        });
    }
    se.write_msg(fd, &iov)
}

/// Sends the reply to `req` (error is 0 or -errno) and ends the request.
/// A second reply to the same request is logged and refused with -EINVAL.
pub fn send_reply(req: &Req, error: i32, body: &[&[u8]]) -> i32 {
    let se = req.session();
    let error = if valid_error(error) {
        error
    } else {
        crate::log_err!("fuse: bad error value: {}\n", error);
        -libc::ERANGE
    };
    let mut out = OutHeader {
        len: 0,
        error,
        unique: req.unique,
    };
    let body: &[&[u8]] = if error == 0 { body } else { &[] };
    if req.is_internal {
        // Taken before the request ends (after that its object may be
        // reused); a second reply finds the slot gone and is refused.
        req.deliver_internal(error);
        return if se.reqs.finish(req) {
            0
        } else {
            -libc::EINVAL
        };
    }
    if let Some(ent) = req.ring_ent() {
        // End the request first: an entry must be committed exactly once,
        // even if two threads race to answer.
        let unique = req.unique;
        if !se.reqs.finish(req) {
            return -libc::EINVAL;
        }
        return crate::transport::uring::reply(se, ent, unique, error, body);
    }
    let res = send_msg(se, req.fd, &mut out, body);
    se.reqs.finish(req);
    res
}

/// Ends a request without a reply (forget, or a reply that failed). A
/// request that came over io-uring still gives its entry back to the
/// kernel (an empty commit), or entry and kernel request would leak.
pub fn end_request(req: &Req) {
    let se = req.session();
    if req.is_internal {
        // The library asked for an answer; none is one.
        req.deliver_internal(-libc::EIO);
        se.reqs.finish(req);
        return;
    }
    if let Some(ent) = req.ring_ent() {
        let unique = req.unique;
        if se.reqs.finish(req) {
            crate::transport::uring::reply(se, ent, unique, 0, &[]);
        }
        return;
    }
    se.reqs.finish(req);
}

/// Logs a reply to a request that is no longer waiting for one.
pub fn log_bad_reply(func: &str) {
    crate::log_err!("fuse: {func}: the request was already replied to or is not a request\n");
}

#[cfg(test)]
mod tests {
    use super::valid_error;

    #[test]
    fn error_values() {
        assert!(valid_error(0));
        assert!(valid_error(-libc::EIO));
        assert!(!valid_error(libc::EIO));
        assert!(!valid_error(-100000));
        assert!(!valid_error(i32::MAX));
        assert!(!valid_error(i32::MIN));
        assert!(!valid_error(-i32::MAX));
    }
}
