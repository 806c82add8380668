//! `fuse_add_direntry` and `fuse_add_direntry_plus`: the C view of
//! [`crate::dirent`].
//!
//! libfuse 3.18.3 ignores `req` in both (the records do not depend on the
//! session or the protocol version); so do we, except that
//! `fuse_add_direntry_plus` with a live request shows passthrough=auto the
//! entry's attributes. As in libfuse, a NULL or
//! too small `buf` makes the call return the record's size without writing;
//! `stbuf`/`e` are then not read, so they may be NULL. A NULL `name`, or a
//! NULL `stbuf`/`e` when the record would be written, crashes libfuse; here it
//! writes nothing and returns 0.

#![allow(clippy::missing_safety_doc)]

use super::types::*;
use crate::dirent;
use libc::*;
use std::ffi::CStr;

/// The bytes of `name`, or None if it is NULL.
///
/// # Safety
/// Unless NULL, `name` must be a NUL-terminated string.
unsafe fn name_bytes<'a>(name: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: guaranteed by the caller.
    (!name.is_null()).then(|| unsafe { CStr::from_ptr(name) }.to_bytes())
}

/// The first `len` bytes of `buf` if it holds that many, None otherwise.
///
/// # Safety
/// Unless NULL, `buf` must be writable for `bufsize` bytes.
unsafe fn record<'a>(buf: *mut c_char, bufsize: size_t, len: usize) -> Option<&'a mut [u8]> {
    if buf.is_null() || len > bufsize {
        return None;
    }
    // SAFETY: `len <= bufsize` bytes of a writable buffer (caller's promise).
    Some(unsafe { std::slice::from_raw_parts_mut(buf as *mut u8, len) })
}

#[no_mangle]
pub unsafe extern "C" fn fuse_add_direntry(
    req: fuse_req_t,
    buf: *mut c_char,
    bufsize: size_t,
    name: *const c_char,
    stbuf: *const libc::stat,
    off: off_t,
) -> size_t {
    let _ = req;
    crate::ffi_guard!("fuse_add_direntry", 0, {
        // SAFETY: `name` is a C string per the API contract.
        let Some(name) = (unsafe { name_bytes(name) }) else {
            return 0;
        };
        let len = dirent::dirent_len(name.len());
        // SAFETY: `buf` holds `bufsize` writable bytes per the API contract.
        let Some(rec) = (unsafe { record(buf, bufsize, len) }) else {
            return len;
        };
        if stbuf.is_null() {
            return 0;
        }
        // SAFETY: a non-NULL `stbuf` points to a struct stat.
        let st = unsafe { &*stbuf };
        dirent::add_direntry(rec, name, st.st_ino, st.st_mode, off)
    })
}

#[no_mangle]
pub unsafe extern "C" fn fuse_add_direntry_plus(
    req: fuse_req_t,
    buf: *mut c_char,
    bufsize: size_t,
    name: *const c_char,
    e: *const fuse_entry_param,
    off: off_t,
) -> size_t {
    crate::ffi_guard!("fuse_add_direntry_plus", 0, {
        // SAFETY: `name` is a C string per the API contract.
        let Some(name) = (unsafe { name_bytes(name) }) else {
            return 0;
        };
        let len = dirent::direntplus_len(name.len());
        // SAFETY: `buf` holds `bufsize` writable bytes per the API contract.
        let Some(rec) = (unsafe { record(buf, bufsize, len) }) else {
            return len;
        };
        if e.is_null() {
            return 0;
        }
        // SAFETY: a non-NULL `e` points to a fuse_entry_param.
        let e = unsafe { &*e };
        // passthrough=auto learns the node's attributes here too.
        // SAFETY: `req` is the filesystem's request (or NULL).
        if let Some(r) = unsafe { crate::session::request::Req::active(req) } {
            r.session().reported(e.ino, &e.attr);
        }
        dirent::add_direntry_plus(rec, name, e, off)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_and_small_buffers_give_the_size() {
        let name = c"entry";
        // SAFETY: valid arguments; NULL buffers are allowed.
        unsafe {
            let null = std::ptr::null_mut();
            let nobuf: *mut c_char = std::ptr::null_mut();
            assert_eq!(
                fuse_add_direntry(null, nobuf, 0, name.as_ptr(), std::ptr::null(), 0),
                32
            );
            assert_eq!(
                fuse_add_direntry_plus(null, nobuf, 0, name.as_ptr(), std::ptr::null(), 0),
                160
            );
            let mut small = [0x55 as c_char; 31];
            let n = fuse_add_direntry(
                null,
                small.as_mut_ptr(),
                small.len(),
                name.as_ptr(),
                std::ptr::null(),
                0,
            );
            assert_eq!(n, 32);
            assert!(small.iter().all(|&b| b == 0x55));
            assert_eq!(
                fuse_add_direntry(null, nobuf, 0, std::ptr::null(), std::ptr::null(), 0),
                0
            );
            let mut big = [0 as c_char; 32];
            let n = fuse_add_direntry(
                null,
                big.as_mut_ptr(),
                big.len(),
                name.as_ptr(),
                std::ptr::null(),
                0,
            );
            assert_eq!(n, 0);
        }
    }

    #[test]
    fn writes_a_record() {
        // SAFETY: all-zero is a valid struct stat.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        st.st_ino = 5;
        st.st_mode = libc::S_IFREG | 0o644;
        let mut buf = [0x55 as c_char; 40];
        // SAFETY: valid pointers and sizes.
        let n = unsafe {
            fuse_add_direntry(
                std::ptr::null_mut(),
                buf.as_mut_ptr(),
                buf.len(),
                c"a".as_ptr(),
                &st,
                3,
            )
        };
        assert_eq!(n, 32);
        assert_eq!(buf[24], b'a' as c_char);
        assert_eq!(buf[20], libc::DT_REG as c_char);
        assert!(buf[25..32].iter().all(|&b| b == 0));
        assert!(buf[32..].iter().all(|&b| b == 0x55));
    }
}
