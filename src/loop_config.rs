//! The multi-threaded loop's configuration (`struct fuse_loop_config`, the
//! "v2" object behind `fuse_loop_cfg_create`), with libfuse 3.18.3's
//! defaults, limits and messages.
//!
//! C sees the struct only through a pointer, but its layout is fixed: the
//! same 16 bytes in libfuse 3.12 to 3.18, beginning with a sentinel
//! (`version_id`) that tells it from the public 8-byte v1 struct
//! (`{clone_fd, max_idle_threads}`) a program built below FUSE_USE_VERSION
//! 312 passes. The session loops read it through [`LoopConfig::verify`].

use libc::{c_int, c_uint};

/// The sentinel in `version_id` (`INT_MAX - 2`).
pub const V2_IDENTIFIER: c_int = c_int::MAX - 2;
/// Default `clone_fd`.
pub const DEFAULT_CLONE_FD: c_int = 0;
/// Default `max_threads`.
pub const DEFAULT_MAX_THREADS: c_uint = 10;
/// Default `max_idle_threads`: -1, never destroy idle threads.
pub const DEFAULT_IDLE_THREADS: c_int = -1;
/// The largest thread count accepted for `max_idle_threads`.
pub const MAX_THREADS_LIMIT: c_uint = 100 * 1000;

/// `struct fuse_loop_config` (v2).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopConfig {
    pub version_id: c_int,
    /// Whether each worker thread clones its own /dev/fuse fd.
    pub clone_fd: c_int,
    /// Idle workers kept before they exit; -1: no limit.
    pub max_idle_threads: c_int,
    /// The most worker threads.
    pub max_threads: c_uint,
}

impl Default for LoopConfig {
    fn default() -> Self {
        LoopConfig {
            version_id: V2_IDENTIFIER,
            clone_fd: DEFAULT_CLONE_FD,
            max_idle_threads: DEFAULT_IDLE_THREADS,
            max_threads: DEFAULT_MAX_THREADS,
        }
    }
}

impl LoopConfig {
    /// `fuse_loop_cfg_verify`: -EINVAL unless this is a v2 object (a v1
    /// struct has `clone_fd`, 0 or 1, where the sentinel is).
    pub fn verify(&self) -> Result<(), c_int> {
        if self.version_id == V2_IDENTIFIER {
            Ok(())
        } else {
            Err(-libc::EINVAL)
        }
    }

    /// `fuse_loop_cfg_set_idle_threads`: values above 100000 are ignored,
    /// with an error message unless the value is UINT_MAX (-1 passed through
    /// an unsigned, which leaves the setting alone silently).
    pub fn set_idle_threads(&mut self, value: c_uint) {
        if value > MAX_THREADS_LIMIT {
            if value != c_uint::MAX {
                crate::log_err!(
                    "Ignoring invalid max threads value {value} > max ({MAX_THREADS_LIMIT}).\n"
                );
            }
            return;
        }
        self.max_idle_threads = value as c_int;
    }

    /// `fuse_loop_cfg_set_max_threads`: taken as is.
    pub fn set_max_threads(&mut self, value: c_uint) {
        self.max_threads = value;
    }

    /// `fuse_loop_cfg_set_clone_fd`: taken as is (stored as an int).
    pub fn set_clone_fd(&mut self, value: c_uint) {
        self.clone_fd = value as c_int;
    }

    /// `fuse_loop_cfg_convert`: takes over a v1 struct's settings, through
    /// the setters (so an out-of-range `max_idle_threads` is ignored).
    pub fn apply_v1(&mut self, clone_fd: c_int, max_idle_threads: c_uint) {
        self.set_idle_threads(max_idle_threads);
        self.set_clone_fd(clone_fd as c_uint);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_defaults() {
        assert_eq!(std::mem::size_of::<LoopConfig>(), 16);
        assert_eq!(std::mem::offset_of!(LoopConfig, max_threads), 12);
        let c = LoopConfig::default();
        assert_eq!(c.version_id, 2147483645);
        assert_eq!((c.clone_fd, c.max_idle_threads, c.max_threads), (0, -1, 10));
        assert_eq!(c.verify(), Ok(()));
        let v1_seen_as_v2 = LoopConfig { version_id: 1, ..c };
        assert_eq!(v1_seen_as_v2.verify(), Err(-libc::EINVAL));
    }

    #[test]
    fn setters_and_limits() {
        let mut c = LoopConfig::default();
        c.set_idle_threads(100_000);
        assert_eq!(c.max_idle_threads, 100_000);
        c.set_idle_threads(100_001);
        assert_eq!(c.max_idle_threads, 100_000);
        c.set_idle_threads(u32::MAX);
        assert_eq!(c.max_idle_threads, 100_000);
        c.set_idle_threads(0);
        assert_eq!(c.max_idle_threads, 0);
        c.set_max_threads(1_000_000);
        assert_eq!(c.max_threads, 1_000_000);
        c.set_clone_fd(7);
        assert_eq!(c.clone_fd, 7);
        c.apply_v1(1, u32::MAX);
        assert_eq!((c.clone_fd, c.max_idle_threads), (1, 0));
        c.apply_v1(0, 5);
        assert_eq!((c.clone_fd, c.max_idle_threads), (0, 5));
    }
}
