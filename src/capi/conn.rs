//! Connection options and feature flags (`fuse_conn_info`): the C view of
//! [`crate::conn`].
//!
//! * `fuse_parse_conn_info_opts` returns a `calloc`'d [`ConnInfoOpts`]: its
//!   callers release it with `free()`, as libfuse's examples do.
//! * `fuse_apply_conn_info_opts` exists since 3.0, so its caller may be built
//!   against 3.14 or 3.17+; the flavour comes from [`compat::current_abi`]
//!   (normally the running `init` callback's). A 3.14 filesystem gets 3.14's
//!   behaviour on the 3.14 struct: `want` bits set and cleared directly. A
//!   3.17+ one gets 3.18.3's: through `fuse_set/unset_feature_flag`, which
//!   only turn on what `capable_ext` offers.
//! * `fuse_set/unset/get_feature_flag` and `fuse_convert_to_conn_want_ext`
//!   exist only at FUSE_3.17.3, so the conn is always the 3.17+ layout.
//!
//! NULL pointers, which crash libfuse, are ignored here (false, NULL or
//! -EINVAL as the return type allows).

#![allow(clippy::missing_safety_doc)]

use super::types::*;
use crate::compat::{self, fuse_conn_info_v314, Abi};
use crate::conn::{self, ConnInfoOpts, OPTION_TABLE};
use libc::*;

#[no_mangle]
pub unsafe extern "C" fn fuse_apply_conn_info_opts(
    opts: *mut fuse_conn_info_opts,
    conn: *mut fuse_conn_info,
) {
    crate::ffi_guard!("fuse_apply_conn_info_opts", (), {
        // SAFETY: `opts` comes from fuse_parse_conn_info_opts (or is NULL).
        let Some(opts) = (unsafe { (opts as *const ConnInfoOpts).as_ref() }) else {
            return;
        };
        if conn.is_null() {
            return;
        }
        match compat::current_abi() {
            // SAFETY: a 3.14 caller's conn is a 128-byte 3.14 struct.
            Abi::V3_14 => opts.apply_v314(unsafe { &mut *(conn as *mut fuse_conn_info_v314) }),
            // SAFETY: a 3.17+ caller's conn is a 128-byte 3.17+ struct.
            Abi::V3_17 => opts.apply(unsafe { &mut *conn }),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn fuse_convert_to_conn_want_ext(conn: *mut fuse_conn_info) -> c_int {
    crate::ffi_guard!("fuse_convert_to_conn_want_ext", -EINVAL, {
        // SAFETY: a 3.17+ conn (the only callers) or NULL.
        match unsafe { conn.as_mut() } {
            Some(c) => match conn::convert_to_conn_want_ext(c) {
                Ok(()) => 0,
                Err(e) => e,
            },
            None => -EINVAL,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn fuse_get_feature_flag(conn: *mut fuse_conn_info, flag: u64) -> bool {
    crate::ffi_guard!("fuse_get_feature_flag", false, {
        // SAFETY: a 3.17+ conn or NULL.
        unsafe { conn.as_ref() }.is_some_and(|c| conn::get_feature_flag(c, flag))
    })
}

#[no_mangle]
pub unsafe extern "C" fn fuse_parse_conn_info_opts(
    args: *mut fuse_args,
) -> *mut fuse_conn_info_opts {
    crate::ffi_guard!("fuse_parse_conn_info_opts", std::ptr::null_mut(), {
        // SAFETY: plain allocation, checked below; all-zero is the empty
        // option set.
        let opts = unsafe { calloc(1, std::mem::size_of::<ConnInfoOpts>()) };
        if opts.is_null() {
            crate::log_err!("calloc failed\n");
            return std::ptr::null_mut();
        }
        let table: Vec<fuse_opt> = OPTION_TABLE
            .iter()
            .map(|&(templ, offset, value)| fuse_opt {
                templ: templ.as_ptr(),
                offset: offset as c_ulong,
                value,
            })
            .chain(std::iter::once(fuse_opt {
                templ: std::ptr::null(),
                offset: 0,
                value: 0,
            }))
            .collect();
        // SAFETY: `args` is the caller's (NULL is allowed by fuse_opt_parse),
        // `opts` is a zeroed ConnInfoOpts every table offset lies in, and
        // the table is terminated and outlives the call.
        let res = unsafe { super::opt::fuse_opt_parse(args, opts, table.as_ptr(), None) };
        if res == -1 {
            // SAFETY: allocated above with calloc.
            unsafe { free(opts) };
            return std::ptr::null_mut();
        }
        opts as *mut fuse_conn_info_opts
    })
}

#[no_mangle]
pub unsafe extern "C" fn fuse_set_feature_flag(conn: *mut fuse_conn_info, flag: u64) -> bool {
    crate::ffi_guard!("fuse_set_feature_flag", false, {
        // SAFETY: a 3.17+ conn or NULL.
        unsafe { conn.as_mut() }.is_some_and(|c| conn::set_feature_flag(c, flag))
    })
}

#[no_mangle]
pub unsafe extern "C" fn fuse_unset_feature_flag(conn: *mut fuse_conn_info, flag: u64) {
    crate::ffi_guard!("fuse_unset_feature_flag", (), {
        // SAFETY: a 3.17+ conn or NULL.
        if let Some(c) = unsafe { conn.as_mut() } {
            conn::unset_feature_flag(c, flag);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat::CallbackAbi;
    use crate::conn::*;

    fn opts_ptr(o: &mut ConnInfoOpts) -> *mut fuse_conn_info_opts {
        o as *mut ConnInfoOpts as *mut fuse_conn_info_opts
    }

    #[test]
    fn apply_picks_the_layout_from_the_flavour() {
        let mut o = ConnInfoOpts {
            writeback_cache: 1,
            max_background: 33,
            set_max_background: 1,
            ..Default::default()
        };
        // A 3.14 filesystem: the bit is set though not offered.
        let mut old = fuse_conn_info_v314::default();
        {
            let _g = CallbackAbi::enter(Abi::V3_14);
            // SAFETY: a 3.14 conn for a 3.14 caller.
            unsafe { fuse_apply_conn_info_opts(opts_ptr(&mut o), &mut old as *mut _ as *mut _) };
        }
        assert_eq!(
            (old.want, old.max_background),
            (FUSE_CAP_WRITEBACK_CACHE as u32, 33)
        );
        assert_eq!(old.reserved, [0; 22]);
        // A 3.17+ filesystem: only if offered.
        let mut c = Box::new(fuse_conn_info::default());
        let _g = CallbackAbi::enter(Abi::V3_17);
        // SAFETY: a 3.17 conn for a 3.17 caller.
        unsafe { fuse_apply_conn_info_opts(opts_ptr(&mut o), &mut *c) };
        assert_eq!((c.want, c.want_ext, c.max_background), (0, 0, 33));
        c.capable_ext = FUSE_CAP_WRITEBACK_CACHE;
        // SAFETY: as above.
        unsafe {
            fuse_apply_conn_info_opts(opts_ptr(&mut o), &mut *c);
            assert!(fuse_get_feature_flag(&mut *c, FUSE_CAP_WRITEBACK_CACHE));
            fuse_apply_conn_info_opts(std::ptr::null_mut(), &mut *c);
            fuse_apply_conn_info_opts(opts_ptr(&mut o), std::ptr::null_mut());
        }
        assert_eq!(c.want_ext, FUSE_CAP_WRITEBACK_CACHE);
        forget_want_record(&*c);
    }

    #[test]
    fn flags_through_c() {
        let mut c = Box::new(fuse_conn_info {
            capable_ext: FUSE_CAP_POSIX_ACL | (1 << 35),
            ..Default::default()
        });
        let p: *mut fuse_conn_info = &mut *c;
        // SAFETY: a live 3.17 conn (and NULL, which is ignored).
        unsafe {
            assert!(fuse_set_feature_flag(p, 1 << 35));
            assert!(!fuse_set_feature_flag(p, FUSE_CAP_DONT_MASK));
            assert!(!fuse_set_feature_flag(std::ptr::null_mut(), 1));
            (*p).want |= FUSE_CAP_DONT_MASK as u32;
            assert_eq!(fuse_convert_to_conn_want_ext(p), 0);
            assert_eq!((*p).want_ext, (1 << 35) | FUSE_CAP_DONT_MASK);
            fuse_unset_feature_flag(p, 1 << 35);
            assert_eq!((*p).want_ext, FUSE_CAP_DONT_MASK);
            // Now change both behind the helpers' back.
            (*p).want_ext |= FUSE_CAP_POSIX_ACL;
            (*p).want |= FUSE_CAP_ASYNC_READ as u32;
            assert_eq!(fuse_convert_to_conn_want_ext(p), -EINVAL);
            assert_eq!(fuse_convert_to_conn_want_ext(std::ptr::null_mut()), -EINVAL);
            assert!(!fuse_get_feature_flag(std::ptr::null_mut(), 1));
        }
        forget_want_record(&*c);
    }
}
