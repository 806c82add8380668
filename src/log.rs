//! Logging from Rust through libfuse's `fuse_log`, so that a filesystem's
//! `fuse_set_log_func` sees ferrofuse's messages exactly as libfuse's.

use std::ffi::CString;

/// libfuse's `enum fuse_log_level` (the same numbers as syslog's priorities).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Level {
    Emerg = 0,
    Alert = 1,
    Crit = 2,
    Err = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

extern "C" {
    fn ferrofuse_log_str(level: libc::c_int, msg: *const libc::c_char);
}

/// C's `strerror(err)`: the text libfuse's messages carry (std's Display
/// adds " (os error N)").
pub fn strerror(err: i32) -> String {
    // SAFETY: strerror returns a valid C string (possibly thread-local).
    let p = unsafe { libc::strerror(err) };
    // SAFETY: as above.
    unsafe { std::ffi::CStr::from_ptr(p) }
        .to_string_lossy()
        .into_owned()
}

/// Logs `msg` as is (callers add the trailing newline, as libfuse's do).
pub fn log(level: Level, msg: &str) {
    // An interior NUL cannot reach C; cut the message there.
    let msg = msg.split('\0').next().unwrap_or("");
    let c = CString::new(msg).unwrap_or_default();
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call;
    // ferrofuse_log_str only passes it to the installed log function as "%s".
    unsafe { ferrofuse_log_str(level as libc::c_int, c.as_ptr()) }
}

/// `fuse_log(FUSE_LOG_ERR, ...)` with a formatted message.
#[macro_export]
macro_rules! log_err {
    ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Err, &format!($($arg)*)) };
}

/// `fuse_log(FUSE_LOG_WARNING, ...)` with a formatted message.
#[macro_export]
macro_rules! log_warn {
    ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Warning, &format!($($arg)*)) };
}

/// `fuse_log(FUSE_LOG_INFO, ...)` with a formatted message.
#[macro_export]
macro_rules! log_info {
    ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Info, &format!($($arg)*)) };
}

/// `fuse_log(FUSE_LOG_DEBUG, ...)` with a formatted message.
#[macro_export]
macro_rules! log_debug {
    ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Debug, &format!($($arg)*)) };
}
