//! Connection capabilities and options (`struct fuse_conn_info`), as libfuse
//! 3.18.3 handles them: the `FUSE_CAP_*` bits, the feature-flag functions,
//! the `want`/`want_ext` reconciliation and the `-o` connection options of
//! `fuse_parse_conn_info_opts`/`fuse_apply_conn_info_opts`.
//!
//! # The record of what libfuse itself asked for
//!
//! libfuse keeps, beside the conn embedded in its session, the bits that its
//! own helpers set or cleared (`se->conn_want`, `se->conn_want_ext`): every
//! `fuse_set_feature_flag`/`fuse_unset_feature_flag` updates both the conn and
//! this record. After the filesystem's `init`, `fuse_convert_to_conn_want_ext`
//! compares the conn against the record to tell whether the filesystem
//! changed `want` (old API), `want_ext` (new API), or both (an error).
//!
//! Here that record is a [`WantRecord`] kept per conn address in a small
//! process-wide table, so that the C functions, which get only the conn
//! pointer, and the session, which owns the conn, see the same record. The
//! session must keep its conn at a fixed address and call
//! [`forget_want_record`] when it is destroyed. A conn nobody registered
//! (say, a struct on a test's stack) starts with an empty record, like a
//! fresh libfuse session.

use crate::capi::types::fuse_conn_info;
use crate::compat::fuse_conn_info_v314;
use libc::{c_int, c_uint};
use std::ffi::CStr;
use std::mem::offset_of;

// The library's capability bits (not the kernel's INIT flags), 3.18 values.
pub const FUSE_CAP_ASYNC_READ: u64 = 1 << 0;
pub const FUSE_CAP_POSIX_LOCKS: u64 = 1 << 1;
pub const FUSE_CAP_ATOMIC_O_TRUNC: u64 = 1 << 3;
pub const FUSE_CAP_EXPORT_SUPPORT: u64 = 1 << 4;
pub const FUSE_CAP_DONT_MASK: u64 = 1 << 6;
pub const FUSE_CAP_SPLICE_WRITE: u64 = 1 << 7;
pub const FUSE_CAP_SPLICE_MOVE: u64 = 1 << 8;
pub const FUSE_CAP_SPLICE_READ: u64 = 1 << 9;
pub const FUSE_CAP_FLOCK_LOCKS: u64 = 1 << 10;
pub const FUSE_CAP_IOCTL_DIR: u64 = 1 << 11;
pub const FUSE_CAP_AUTO_INVAL_DATA: u64 = 1 << 12;
pub const FUSE_CAP_READDIRPLUS: u64 = 1 << 13;
pub const FUSE_CAP_READDIRPLUS_AUTO: u64 = 1 << 14;
pub const FUSE_CAP_ASYNC_DIO: u64 = 1 << 15;
pub const FUSE_CAP_WRITEBACK_CACHE: u64 = 1 << 16;
pub const FUSE_CAP_NO_OPEN_SUPPORT: u64 = 1 << 17;
pub const FUSE_CAP_PARALLEL_DIROPS: u64 = 1 << 18;
pub const FUSE_CAP_POSIX_ACL: u64 = 1 << 19;
pub const FUSE_CAP_HANDLE_KILLPRIV: u64 = 1 << 20;
pub const FUSE_CAP_HANDLE_KILLPRIV_V2: u64 = 1 << 21;
pub const FUSE_CAP_CACHE_SYMLINKS: u64 = 1 << 23;
pub const FUSE_CAP_NO_OPENDIR_SUPPORT: u64 = 1 << 24;
pub const FUSE_CAP_EXPLICIT_INVAL_DATA: u64 = 1 << 25;
pub const FUSE_CAP_EXPIRE_ONLY: u64 = 1 << 26;
pub const FUSE_CAP_SETXATTR_EXT: u64 = 1 << 27;
pub const FUSE_CAP_DIRECT_IO_ALLOW_MMAP: u64 = 1 << 28;
pub const FUSE_CAP_PASSTHROUGH: u64 = 1 << 29;
pub const FUSE_CAP_NO_EXPORT_SUPPORT: u64 = 1 << 30;
pub const FUSE_CAP_OVER_IO_URING: u64 = 1 << 31;

const fn lower_32(x: u64) -> u32 {
    x as u32
}

const fn higher_32(x: u64) -> u64 {
    x & !0xffff_ffff
}

/// libfuse's `se->conn_want` / `se->conn_want_ext`: what its own helpers set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WantRecord {
    pub want: u32,
    pub want_ext: u64,
}

/// `fuse_set_feature_flag`: sets `flag` in `want_ext` and `want` (its low
/// bits) and in the record, if the kernel offers it (`capable_ext`);
/// returns whether it did.
pub fn set_feature_flag_with(conn: &mut fuse_conn_info, rec: &mut WantRecord, flag: u64) -> bool {
    if conn.capable_ext & flag == 0 {
        return false;
    }
    conn.want_ext |= flag;
    rec.want_ext |= flag;
    conn.want |= lower_32(flag);
    rec.want |= lower_32(flag);
    true
}

/// `fuse_unset_feature_flag`: clears `flag` in the conn and the record.
pub fn unset_feature_flag_with(conn: &mut fuse_conn_info, rec: &mut WantRecord, flag: u64) {
    conn.want_ext &= !flag;
    rec.want_ext &= !flag;
    conn.want &= !lower_32(flag);
    rec.want &= !lower_32(flag);
}

/// `fuse_get_feature_flag`: in 3.18.3 this answers whether the kernel
/// *offers* the flag (`capable_ext`), not whether it is wanted.
pub fn get_feature_flag(conn: &fuse_conn_info, flag: u64) -> bool {
    conn.capable_ext & flag != 0
}

/// `fuse_convert_to_conn_want_ext`: folds a `want` changed behind the
/// helpers' back into `want_ext`, refusing (-EINVAL, with libfuse's message)
/// when `want_ext` was changed too; then `want` mirrors `want_ext`'s low
/// bits. Calling it twice is harmless.
pub fn convert_to_conn_want_ext_with(
    conn: &mut fuse_conn_info,
    rec: &WantRecord,
) -> Result<(), c_int> {
    if conn.want != rec.want && lower_32(conn.want_ext) != conn.want {
        if conn.want_ext != rec.want_ext {
            crate::log_err!(
                "fuse_convert_to_conn_want_ext: Both conn->want_ext and conn->want are set.\n\
                 want={:x} want_ext={:x}, se->want={:x} se->want_ext={:x}\n",
                conn.want,
                conn.want_ext,
                rec.want,
                rec.want_ext
            );
            return Err(-libc::EINVAL);
        }
        conn.want_ext = higher_32(conn.want_ext) | u64::from(conn.want);
    }
    conn.want = lower_32(conn.want_ext);
    Ok(())
}

// ---------------------------------------------------------------------------
// The per-conn records.

static RECORDS: parking_lot::Mutex<Vec<(usize, WantRecord)>> = parking_lot::const_mutex(Vec::new());

/// Runs `f` on the record of the conn at `addr`, creating it if needed.
fn with_record<R>(addr: usize, f: impl FnOnce(&mut WantRecord) -> R) -> R {
    let mut recs = RECORDS.lock();
    let i = match recs.iter().position(|(a, _)| *a == addr) {
        Some(i) => i,
        None => {
            recs.push((addr, WantRecord::default()));
            recs.len() - 1
        }
    };
    f(&mut recs[i].1)
}

/// The record of the conn at `conn` (empty if there is none).
pub fn want_record(conn: *const fuse_conn_info) -> WantRecord {
    let addr = conn as usize;
    RECORDS
        .lock()
        .iter()
        .find(|(a, _)| *a == addr)
        .map(|(_, r)| *r)
        .unwrap_or_default()
}

/// Drops the record of the conn at `conn`: call when the session that
/// embeds it is destroyed, so a later conn at that address starts afresh.
pub fn forget_want_record(conn: *const fuse_conn_info) {
    let addr = conn as usize;
    RECORDS.lock().retain(|(a, _)| *a != addr);
}

/// [`set_feature_flag_with`] on the conn's own record.
pub fn set_feature_flag(conn: &mut fuse_conn_info, flag: u64) -> bool {
    let addr = conn as *const fuse_conn_info as usize;
    with_record(addr, |rec| set_feature_flag_with(conn, rec, flag))
}

/// [`unset_feature_flag_with`] on the conn's own record.
pub fn unset_feature_flag(conn: &mut fuse_conn_info, flag: u64) {
    let addr = conn as *const fuse_conn_info as usize;
    with_record(addr, |rec| unset_feature_flag_with(conn, rec, flag))
}

/// [`convert_to_conn_want_ext_with`] against the conn's own record.
pub fn convert_to_conn_want_ext(conn: &mut fuse_conn_info) -> Result<(), c_int> {
    let rec = want_record(conn);
    convert_to_conn_want_ext_with(conn, &rec)
}

// ---------------------------------------------------------------------------
// Connection options.

/// What `fuse_parse_conn_info_opts` found (`struct fuse_conn_info_opts`).
/// repr(C) because `fuse_opt_parse` stores into it by offset: `%u`
/// templates as unsigned, the others as int.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnInfoOpts {
    pub atomic_o_trunc: c_int,
    pub no_remote_posix_lock: c_int,
    pub no_remote_flock: c_int,
    pub splice_write: c_int,
    pub splice_move: c_int,
    pub splice_read: c_int,
    pub no_splice_write: c_int,
    pub no_splice_move: c_int,
    pub no_splice_read: c_int,
    pub auto_inval_data: c_int,
    pub no_auto_inval_data: c_int,
    pub no_readdirplus: c_int,
    pub no_readdirplus_auto: c_int,
    pub async_dio: c_int,
    pub no_async_dio: c_int,
    pub writeback_cache: c_int,
    pub no_writeback_cache: c_int,
    pub async_read: c_int,
    pub sync_read: c_int,
    pub max_write: c_uint,
    pub max_readahead: c_uint,
    pub max_background: c_uint,
    pub congestion_threshold: c_uint,
    pub time_gran: c_uint,
    pub set_max_write: c_int,
    pub set_max_readahead: c_int,
    pub set_max_background: c_int,
    pub set_congestion_threshold: c_int,
    pub set_time_gran: c_int,
}

macro_rules! opt {
    ($templ:literal, $field:ident, $value:expr) => {
        ($templ, offset_of!(ConnInfoOpts, $field), $value)
    };
}

/// The option table (template, field offset, value), in libfuse's order.
/// Every matching entry applies, so "max_write=N" stores N and sets
/// `set_max_write`, and "no_remote_lock" sets two fields. `atomic_o_trunc`
/// is accepted and recorded but, as in libfuse, changes nothing.
pub const OPTION_TABLE: &[(&CStr, usize, c_int)] = &[
    opt!(c"max_write=%u", max_write, 0),
    opt!(c"max_write=", set_max_write, 1),
    opt!(c"max_readahead=%u", max_readahead, 0),
    opt!(c"max_readahead=", set_max_readahead, 1),
    opt!(c"max_background=%u", max_background, 0),
    opt!(c"max_background=", set_max_background, 1),
    opt!(c"congestion_threshold=%u", congestion_threshold, 0),
    opt!(c"congestion_threshold=", set_congestion_threshold, 1),
    opt!(c"sync_read", sync_read, 1),
    opt!(c"async_read", async_read, 1),
    opt!(c"atomic_o_trunc", atomic_o_trunc, 1),
    opt!(c"no_remote_lock", no_remote_posix_lock, 1),
    opt!(c"no_remote_lock", no_remote_flock, 1),
    opt!(c"no_remote_flock", no_remote_flock, 1),
    opt!(c"no_remote_posix_lock", no_remote_posix_lock, 1),
    opt!(c"splice_write", splice_write, 1),
    opt!(c"no_splice_write", no_splice_write, 1),
    opt!(c"splice_move", splice_move, 1),
    opt!(c"no_splice_move", no_splice_move, 1),
    opt!(c"splice_read", splice_read, 1),
    opt!(c"no_splice_read", no_splice_read, 1),
    opt!(c"auto_inval_data", auto_inval_data, 1),
    opt!(c"no_auto_inval_data", no_auto_inval_data, 1),
    opt!(c"readdirplus=no", no_readdirplus, 1),
    opt!(c"readdirplus=yes", no_readdirplus, 0),
    opt!(c"readdirplus=yes", no_readdirplus_auto, 1),
    opt!(c"readdirplus=auto", no_readdirplus, 0),
    opt!(c"readdirplus=auto", no_readdirplus_auto, 0),
    opt!(c"async_dio", async_dio, 1),
    opt!(c"no_async_dio", no_async_dio, 1),
    opt!(c"writeback_cache", writeback_cache, 1),
    opt!(c"no_writeback_cache", no_writeback_cache, 1),
    opt!(c"time_gran=%u", time_gran, 0),
    opt!(c"time_gran=", set_time_gran, 1),
];

/// One capability change: enable if `on`, then disable if `off`.
struct CapRule {
    on: bool,
    off: bool,
    cap: u64,
}

impl ConnInfoOpts {
    /// The capability changes in libfuse's order (a later disable wins).
    fn cap_rules(&self) -> [CapRule; 11] {
        let r = |on: c_int, off: c_int, cap| CapRule {
            on: on != 0,
            off: off != 0,
            cap,
        };
        [
            r(self.splice_read, self.no_splice_read, FUSE_CAP_SPLICE_READ),
            r(
                self.splice_write,
                self.no_splice_write,
                FUSE_CAP_SPLICE_WRITE,
            ),
            r(self.splice_move, self.no_splice_move, FUSE_CAP_SPLICE_MOVE),
            r(
                self.auto_inval_data,
                self.no_auto_inval_data,
                FUSE_CAP_AUTO_INVAL_DATA,
            ),
            r(0, self.no_readdirplus, FUSE_CAP_READDIRPLUS),
            r(0, self.no_readdirplus_auto, FUSE_CAP_READDIRPLUS_AUTO),
            r(self.async_dio, self.no_async_dio, FUSE_CAP_ASYNC_DIO),
            r(
                self.writeback_cache,
                self.no_writeback_cache,
                FUSE_CAP_WRITEBACK_CACHE,
            ),
            r(self.async_read, self.sync_read, FUSE_CAP_ASYNC_READ),
            r(0, self.no_remote_posix_lock, FUSE_CAP_POSIX_LOCKS),
            r(0, self.no_remote_flock, FUSE_CAP_FLOCK_LOCKS),
        ]
    }

    /// The numeric settings, on the fields both layouts share.
    fn apply_numbers(
        &self,
        max_write: &mut u32,
        max_background: &mut u32,
        congestion_threshold: &mut u32,
        time_gran: &mut u32,
        max_readahead: &mut u32,
    ) {
        if self.set_max_write != 0 {
            *max_write = self.max_write;
        }
        if self.set_max_background != 0 {
            *max_background = self.max_background;
        }
        if self.set_congestion_threshold != 0 {
            *congestion_threshold = self.congestion_threshold;
        }
        if self.set_time_gran != 0 {
            *time_gran = self.time_gran;
        }
        if self.set_max_readahead != 0 {
            *max_readahead = self.max_readahead;
        }
    }

    /// `fuse_apply_conn_info_opts` for a 3.17+ filesystem (libfuse 3.18.3):
    /// capabilities go through the feature flags, so one the kernel does not
    /// offer is not turned on.
    pub fn apply_with(&self, conn: &mut fuse_conn_info, rec: &mut WantRecord) {
        self.apply_numbers(
            &mut conn.max_write,
            &mut conn.max_background,
            &mut conn.congestion_threshold,
            &mut conn.time_gran,
            &mut conn.max_readahead,
        );
        for rule in self.cap_rules() {
            if rule.on {
                set_feature_flag_with(conn, rec, rule.cap);
            }
            if rule.off {
                unset_feature_flag_with(conn, rec, rule.cap);
            }
        }
    }

    /// [`Self::apply_with`] on the conn's own record.
    pub fn apply(&self, conn: &mut fuse_conn_info) {
        let addr = conn as *const fuse_conn_info as usize;
        with_record(addr, |rec| self.apply_with(conn, rec))
    }

    /// `fuse_apply_conn_info_opts` for a filesystem built against 3.14,
    /// which knows only `want`: as libfuse 3.14 did, bits are set and
    /// cleared in `want` whatever `capable` says, and the fields beyond the
    /// 3.14 struct are left alone. The session's reconciliation after `init`
    /// carries `want` into `want_ext`.
    pub fn apply_v314(&self, conn: &mut fuse_conn_info_v314) {
        self.apply_numbers(
            &mut conn.max_write,
            &mut conn.max_background,
            &mut conn.congestion_threshold,
            &mut conn.time_gran,
            &mut conn.max_readahead,
        );
        for rule in self.cap_rules() {
            if rule.on {
                conn.want |= lower_32(rule.cap);
            }
            if rule.off {
                conn.want &= !lower_32(rule.cap);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(capable_ext: u64) -> fuse_conn_info {
        fuse_conn_info {
            capable_ext,
            capable: lower_32(capable_ext),
            ..Default::default()
        }
    }

    #[test]
    fn cap_values() {
        assert_eq!(FUSE_CAP_EXPIRE_ONLY, 0x0400_0000);
        assert_eq!(FUSE_CAP_OVER_IO_URING, 0x8000_0000);
        assert_eq!(FUSE_CAP_HANDLE_KILLPRIV_V2, 1 << 21);
        assert_eq!(FUSE_CAP_CACHE_SYMLINKS, 1 << 23);
    }

    #[test]
    fn feature_flags_need_capable() {
        let mut c = conn(FUSE_CAP_SPLICE_READ | FUSE_CAP_ASYNC_READ);
        let mut rec = WantRecord::default();
        assert!(set_feature_flag_with(
            &mut c,
            &mut rec,
            FUSE_CAP_SPLICE_READ
        ));
        assert!(!set_feature_flag_with(
            &mut c,
            &mut rec,
            FUSE_CAP_WRITEBACK_CACHE
        ));
        assert_eq!(c.want_ext, FUSE_CAP_SPLICE_READ);
        assert_eq!(c.want, FUSE_CAP_SPLICE_READ as u32);
        assert_eq!(
            rec,
            WantRecord {
                want: 1 << 9,
                want_ext: 1 << 9
            }
        );
        // get answers "offered", not "wanted".
        assert!(get_feature_flag(&c, FUSE_CAP_ASYNC_READ));
        assert!(!get_feature_flag(&c, FUSE_CAP_WRITEBACK_CACHE));
        unset_feature_flag_with(&mut c, &mut rec, FUSE_CAP_SPLICE_READ | FUSE_CAP_ASYNC_READ);
        assert_eq!((c.want, c.want_ext), (0, 0));
        assert_eq!(rec, WantRecord::default());
        // A flag above bit 31 lands in want_ext only.
        let mut c = conn(1 << 40);
        assert!(set_feature_flag_with(&mut c, &mut rec, 1 << 40));
        assert_eq!((c.want, c.want_ext), (0, 1 << 40));
    }

    #[test]
    fn convert_takes_want_changes() {
        let mut c = conn(u64::MAX);
        let mut rec = WantRecord::default();
        set_feature_flag_with(&mut c, &mut rec, FUSE_CAP_ASYNC_READ | (1 << 33));
        // The filesystem used the old API.
        c.want |= FUSE_CAP_WRITEBACK_CACHE as u32;
        c.want &= !(FUSE_CAP_ASYNC_READ as u32);
        assert_eq!(convert_to_conn_want_ext_with(&mut c, &rec), Ok(()));
        assert_eq!(c.want_ext, (1 << 33) | FUSE_CAP_WRITEBACK_CACHE);
        assert_eq!(c.want, FUSE_CAP_WRITEBACK_CACHE as u32);
        // Again: nothing changes.
        assert_eq!(convert_to_conn_want_ext_with(&mut c, &rec), Ok(()));
        assert_eq!(c.want_ext, (1 << 33) | FUSE_CAP_WRITEBACK_CACHE);
    }

    #[test]
    fn convert_takes_want_ext_changes_and_refuses_both() {
        let mut c = conn(u64::MAX);
        let rec = WantRecord::default();
        c.want_ext = FUSE_CAP_POSIX_ACL | (1 << 40);
        assert_eq!(convert_to_conn_want_ext_with(&mut c, &rec), Ok(()));
        assert_eq!(c.want, FUSE_CAP_POSIX_ACL as u32);

        let mut c = conn(u64::MAX);
        c.want_ext = FUSE_CAP_POSIX_ACL;
        c.want = FUSE_CAP_FLOCK_LOCKS as u32;
        assert_eq!(
            convert_to_conn_want_ext_with(&mut c, &rec),
            Err(-libc::EINVAL)
        );
        assert_eq!(c.want_ext, FUSE_CAP_POSIX_ACL);
        assert_eq!(c.want, FUSE_CAP_FLOCK_LOCKS as u32);

        // Both set to the same low bits is not a conflict.
        let mut c = conn(u64::MAX);
        c.want_ext = FUSE_CAP_POSIX_ACL | (1 << 40);
        c.want = FUSE_CAP_POSIX_ACL as u32;
        assert_eq!(convert_to_conn_want_ext_with(&mut c, &rec), Ok(()));
        assert_eq!(c.want_ext, FUSE_CAP_POSIX_ACL | (1 << 40));
    }

    #[test]
    fn records_follow_the_conn_address() {
        let mut c = Box::new(conn(FUSE_CAP_ASYNC_DIO));
        assert!(set_feature_flag(&mut c, FUSE_CAP_ASYNC_DIO));
        assert_eq!(want_record(&*c).want_ext, FUSE_CAP_ASYNC_DIO);
        c.want |= FUSE_CAP_DONT_MASK as u32;
        assert_eq!(convert_to_conn_want_ext(&mut c), Ok(()));
        assert_eq!(c.want_ext, FUSE_CAP_ASYNC_DIO | FUSE_CAP_DONT_MASK);
        unset_feature_flag(&mut c, FUSE_CAP_ASYNC_DIO);
        assert_eq!(want_record(&*c), WantRecord::default());
        forget_want_record(&*c);
        assert_eq!(want_record(&*c), WantRecord::default());
    }

    #[test]
    fn options_apply_3_17_and_3_14() {
        let o = ConnInfoOpts {
            max_write: 4096,
            set_max_write: 1,
            time_gran: 7,
            set_time_gran: 1,
            max_readahead: 99,
            splice_read: 1,
            writeback_cache: 1,
            no_writeback_cache: 1,
            async_dio: 1,
            no_remote_flock: 1,
            no_readdirplus: 1,
            ..Default::default()
        };
        let mut c = conn(FUSE_CAP_SPLICE_READ | FUSE_CAP_WRITEBACK_CACHE);
        c.want = FUSE_CAP_FLOCK_LOCKS as u32 | FUSE_CAP_READDIRPLUS as u32;
        c.want_ext = u64::from(c.want);
        c.max_readahead = 5;
        let mut rec = WantRecord::default();
        o.apply_with(&mut c, &mut rec);
        assert_eq!((c.max_write, c.time_gran, c.max_readahead), (4096, 7, 5));
        // async_dio is not offered: not set.
        assert_eq!(c.want_ext, FUSE_CAP_SPLICE_READ);
        assert_eq!(c.want, FUSE_CAP_SPLICE_READ as u32);

        let mut old = fuse_conn_info_v314 {
            want: FUSE_CAP_FLOCK_LOCKS as u32,
            ..Default::default()
        };
        o.apply_v314(&mut old);
        assert_eq!(old.max_write, 4096);
        assert_eq!(old.want, (FUSE_CAP_SPLICE_READ | FUSE_CAP_ASYNC_DIO) as u32);
    }

    #[test]
    fn option_table_offsets() {
        assert_eq!(OPTION_TABLE.len(), 34);
        assert_eq!(std::mem::size_of::<ConnInfoOpts>(), 29 * 4);
        let (t, off, v) = OPTION_TABLE[1];
        assert_eq!((t.to_bytes(), off, v), (&b"max_write="[..], 96, 1));
    }
}
