//! The two ABIs one library serves.
//!
//! Binaries built against libfuse 3.14 (bookworm's `libfuse3.so.3`) use the
//! 3.11-3.16 struct layouts; binaries built against 3.17+ headers (ours
//! included) call the versioned entry points with a `struct libfuse_version`
//! and use the 3.17+ layouts. A session records which one it serves in an
//! [`Abi`] value, fixed at creation, and every path that reads or writes a
//! layout-dependent struct (`fuse_file_info`, `fuse_conn_info`, `fuse_buf`,
//! `fuse_bufvec`, `fuse_config`) consults it. No other module branches on it.

#![allow(non_camel_case_types)]

use crate::capi::types::{fi_bits, fuse_file_info, libfuse_version};
use libc::{c_char, c_double, c_int, c_void, off_t, size_t};

/// Which struct layouts a session's filesystem was compiled with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Abi {
    /// Legacy entry points (`fuse_session_new@FUSE_3.0`, `fuse_main_real`,
    /// `fuse_new_30/31`...): the libfuse 3.14 layouts.
    V3_14,
    /// Versioned entry points called with a version of 3.17 or later.
    V3_17,
}

impl Abi {
    /// The flavour for a `struct libfuse_version` passed by a caller; NULL
    /// and {0} ("an old binary") mean the 3.14 layouts.
    pub fn from_version(v: Option<&libfuse_version>) -> Abi {
        match v {
            Some(v) if v.major > 3 || (v.major == 3 && v.minor >= 17) => Abi::V3_17,
            _ => Abi::V3_14,
        }
    }

    /// sizeof(struct fuse_file_info) for this flavour.
    pub const fn file_info_size(self) -> usize {
        match self {
            Abi::V3_14 => std::mem::size_of::<fuse_file_info_v314>(),
            Abi::V3_17 => std::mem::size_of::<fuse_file_info>(),
        }
    }

    /// sizeof(struct fuse_buf), the stride of `fuse_bufvec::buf[]`.
    pub const fn buf_size(self) -> usize {
        match self {
            Abi::V3_14 => std::mem::size_of::<fuse_buf_v314>(),
            Abi::V3_17 => std::mem::size_of::<crate::capi::types::fuse_buf>(),
        }
    }

    /// Reads a C `fuse_file_info` of this flavour into the 3.17+ mirror.
    /// Fields the 3.14 layout lacks read as zero: for such a client those
    /// bytes are padding or beyond its struct (libfuse-abi.md §2).
    ///
    /// # Safety
    /// `fi` must point to a readable struct of this flavour's size.
    pub unsafe fn read_file_info(self, fi: *const c_void) -> fuse_file_info {
        match self {
            // SAFETY: the caller guarantees a full 3.17+ struct.
            Abi::V3_17 => unsafe { *(fi as *const fuse_file_info) },
            Abi::V3_14 => {
                // SAFETY: the caller guarantees a full 3.14 struct.
                let old = unsafe { *(fi as *const fuse_file_info_v314) };
                fuse_file_info {
                    flags: old.flags,
                    bits: old.bits & fi_bits::COMMON,
                    padding2: old.padding2,
                    fh: old.fh,
                    lock_owner: old.lock_owner,
                    poll_events: old.poll_events,
                    ..Default::default()
                }
            }
        }
    }

    /// Writes the 3.17+ mirror into a C `fuse_file_info` of this flavour.
    ///
    /// # Safety
    /// `fi` must point to a writable struct of this flavour's size.
    pub unsafe fn write_file_info(self, src: &fuse_file_info, fi: *mut c_void) {
        match self {
            // SAFETY: the caller guarantees a full 3.17+ struct.
            Abi::V3_17 => unsafe { *(fi as *mut fuse_file_info) = *src },
            Abi::V3_14 => {
                let old = fuse_file_info_v314 {
                    flags: src.flags,
                    bits: src.bits & fi_bits::COMMON,
                    padding2: src.padding2,
                    _pad: 0,
                    fh: src.fh,
                    lock_owner: src.lock_owner,
                    poll_events: src.poll_events,
                    _pad2: 0,
                };
                // SAFETY: the caller guarantees a full 3.14 struct.
                unsafe { *(fi as *mut fuse_file_info_v314) = old }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The flavour of a caller that passes no session.
//
// A few exports take no session argument yet read or write a layout-dependent
// struct: `fuse_buf_copy` and `fuse_buf_size` (the stride of
// `fuse_bufvec::buf[]` is 40 bytes for a 3.14-built caller and 48 for a
// 3.17+-built one) and `fuse_apply_conn_info_opts` (`want` only, or
// `want_ext` through the feature flags). They ask [`current_abi`], which
// answers, in this order:
//
// 1. the flavour of the filesystem callback running on this thread: the
//    dispatcher wraps every call into the filesystem in a [`CallbackAbi`]
//    guard carrying its session's flavour, so code called from a callback
//    gets the flavour of the binary that registered that callback;
// 2. otherwise the flavour of the session created last in this process
//    ([`set_process_abi`], called by every session constructor): a process
//    outside any callback (say, its own receive/process loop, or code in
//    `main`) almost always serves one filesystem;
// 3. otherwise (no session yet) the 3.17+ layouts, the ones our own headers
//    declare.
//
// A process mixing 3.14- and 3.17-built code outside callbacks can still be
// guessed wrong; nothing at run time can tell them apart there.
// ---------------------------------------------------------------------------

thread_local! {
    static CALLBACK_ABI: std::cell::Cell<Option<Abi>> = const { std::cell::Cell::new(None) };
}

/// 0: no session created yet; otherwise `abi_to_u8`.
static PROCESS_ABI: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

const fn abi_to_u8(abi: Abi) -> u8 {
    match abi {
        Abi::V3_14 => 1,
        Abi::V3_17 => 2,
    }
}

/// Marks the current thread as running a filesystem callback of flavour
/// `abi` until the guard is dropped (nesting restores the outer flavour).
#[must_use = "the flavour is reset when the guard is dropped"]
#[derive(Debug)]
pub struct CallbackAbi {
    prev: Option<Abi>,
    /// The guard belongs to the thread it was made on.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl CallbackAbi {
    /// Enters a callback of a filesystem built with the `abi` layouts.
    pub fn enter(abi: Abi) -> CallbackAbi {
        let prev = CALLBACK_ABI.with(|c| c.replace(Some(abi)));
        CallbackAbi {
            prev,
            _not_send: std::marker::PhantomData,
        }
    }
}

impl Drop for CallbackAbi {
    fn drop(&mut self) {
        let prev = self.prev;
        CALLBACK_ABI.with(|c| c.set(prev));
    }
}

/// Records the flavour of the session created last in this process.
pub fn set_process_abi(abi: Abi) {
    PROCESS_ABI.store(abi_to_u8(abi), std::sync::atomic::Ordering::Relaxed);
}

/// The flavour to assume for a caller that passes no session: the running
/// callback's, else the last session's, else 3.17+ (see the rule above).
pub fn current_abi() -> Abi {
    if let Some(abi) = CALLBACK_ABI.with(|c| c.get()) {
        return abi;
    }
    match PROCESS_ABI.load(std::sync::atomic::Ordering::Relaxed) {
        1 => Abi::V3_14,
        _ => Abi::V3_17,
    }
}

/// `struct fuse_file_info` as libfuse 3.14 lays it out (40 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fuse_file_info_v314 {
    pub flags: i32,
    /// bits 0-7 as in [`fi_bits`]; the rest is padding.
    pub bits: u32,
    pub padding2: u32,
    pub _pad: u32,
    pub fh: u64,
    pub lock_owner: u64,
    pub poll_events: u32,
    pub _pad2: u32,
}

/// `struct fuse_conn_info` as libfuse 3.14 lays it out (128 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fuse_conn_info_v314 {
    pub proto_major: u32,
    pub proto_minor: u32,
    pub max_write: u32,
    pub max_read: u32,
    pub max_readahead: u32,
    pub capable: u32,
    pub want: u32,
    pub max_background: u32,
    pub congestion_threshold: u32,
    pub time_gran: u32,
    pub reserved: [u32; 22],
}

/// `struct fuse_buf` as libfuse 3.14 lays it out (40 bytes, no `mem_size`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fuse_buf_v314 {
    pub size: size_t,
    pub flags: libc::c_uint,
    pub mem: *mut c_void,
    pub fd: c_int,
    pub pos: off_t,
}

/// `struct fuse_bufvec` as libfuse 3.14 lays it out (64 bytes with one buf).
#[repr(C)]
#[derive(Debug)]
pub struct fuse_bufvec_v314 {
    pub count: size_t,
    pub idx: size_t,
    pub off: size_t,
    pub buf: [fuse_buf_v314; 1],
}

/// `struct fuse_config` as libfuse 3.11-3.16 lay it out (128 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fuse_config_v314 {
    pub set_gid: c_int,
    pub gid: libc::c_uint,
    pub set_uid: c_int,
    pub uid: libc::c_uint,
    pub set_mode: c_int,
    pub umask: libc::c_uint,
    pub entry_timeout: c_double,
    pub negative_timeout: c_double,
    pub attr_timeout: c_double,
    pub intr: c_int,
    pub intr_signal: c_int,
    pub remember: c_int,
    pub hard_remove: c_int,
    pub use_ino: c_int,
    pub readdir_ino: c_int,
    pub direct_io: c_int,
    pub kernel_cache: c_int,
    pub auto_cache: c_int,
    pub no_rofd_flush: c_int,
    pub ac_attr_timeout_set: c_int,
    pub ac_attr_timeout: c_double,
    pub nullpath_ok: c_int,
    pub show_help: c_int,
    pub modules: *mut c_char,
    pub debug: c_int,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    // Figures from libfuse-abi.md §2 (3.14 column).
    #[test]
    fn v314_layouts() {
        assert_eq!(size_of::<fuse_file_info_v314>(), 40);
        assert_eq!(offset_of!(fuse_file_info_v314, fh), 16);
        assert_eq!(offset_of!(fuse_file_info_v314, poll_events), 32);
        assert_eq!(size_of::<fuse_conn_info_v314>(), 128);
        assert_eq!(offset_of!(fuse_conn_info_v314, reserved), 40);
        assert_eq!(size_of::<fuse_buf_v314>(), 40);
        assert_eq!(size_of::<fuse_bufvec_v314>(), 64);
        assert_eq!(size_of::<fuse_config_v314>(), 128);
        assert_eq!(offset_of!(fuse_config_v314, no_rofd_flush), 84);
        assert_eq!(offset_of!(fuse_config_v314, ac_attr_timeout_set), 88);
        assert_eq!(offset_of!(fuse_config_v314, ac_attr_timeout), 96);
        assert_eq!(offset_of!(fuse_config_v314, nullpath_ok), 104);
        assert_eq!(offset_of!(fuse_config_v314, show_help), 108);
        assert_eq!(offset_of!(fuse_config_v314, modules), 112);
        assert_eq!(offset_of!(fuse_config_v314, debug), 120);
    }

    #[test]
    fn current_abi_prefers_the_callback_then_the_process() {
        // Runs on its own thread so the thread-local starts empty; the
        // process-wide value is shared with other tests, so only the
        // callback rule is asserted here.
        std::thread::spawn(|| {
            {
                let _g = CallbackAbi::enter(Abi::V3_14);
                assert_eq!(current_abi(), Abi::V3_14);
                {
                    let _h = CallbackAbi::enter(Abi::V3_17);
                    assert_eq!(current_abi(), Abi::V3_17);
                }
                assert_eq!(current_abi(), Abi::V3_14);
            }
            assert_eq!(CALLBACK_ABI.with(|c| c.get()), None);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn process_abi_is_used_outside_callbacks() {
        // Other tests never depend on the process-wide value (they enter a
        // CallbackAbi), so changing it here is harmless.
        std::thread::spawn(|| {
            set_process_abi(Abi::V3_14);
            assert_eq!(current_abi(), Abi::V3_14);
            {
                let _g = CallbackAbi::enter(Abi::V3_17);
                assert_eq!(current_abi(), Abi::V3_17);
            }
            set_process_abi(Abi::V3_17);
            assert_eq!(current_abi(), Abi::V3_17);
            PROCESS_ABI.store(0, std::sync::atomic::Ordering::Relaxed);
            assert_eq!(current_abi(), Abi::V3_17);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn flavour_from_version() {
        let v = |major, minor| libfuse_version {
            major,
            minor,
            hotfix: 0,
            padding: 0,
        };
        assert_eq!(Abi::from_version(None), Abi::V3_14);
        assert_eq!(Abi::from_version(Some(&v(0, 0))), Abi::V3_14);
        assert_eq!(Abi::from_version(Some(&v(3, 16))), Abi::V3_14);
        assert_eq!(Abi::from_version(Some(&v(3, 17))), Abi::V3_17);
        assert_eq!(Abi::from_version(Some(&v(3, 18))), Abi::V3_17);
        assert_eq!(Abi::from_version(Some(&v(4, 0))), Abi::V3_17);
    }

    #[test]
    fn file_info_round_trip_keeps_only_what_3_14_has() {
        let mut fi = fuse_file_info {
            flags: libc::O_RDWR,
            bits: fi_bits::DIRECT_IO | fi_bits::PARALLEL_DIRECT_WRITES,
            fh: 42,
            backing_id: 7,
            ..Default::default()
        };
        let mut old = fuse_file_info_v314::default();
        // SAFETY: `old` is a full 3.14 struct.
        unsafe { Abi::V3_14.write_file_info(&fi, &mut old as *mut _ as *mut c_void) };
        assert_eq!(old.bits, fi_bits::DIRECT_IO);
        // SAFETY: as above.
        let back = unsafe { Abi::V3_14.read_file_info(&old as *const _ as *const c_void) };
        assert_eq!(back.fh, 42);
        assert_eq!(back.backing_id, 0);
        fi.bits = fi_bits::DIRECT_IO;
        fi.backing_id = 0;
        assert_eq!(back.bits, fi.bits);
    }
}
