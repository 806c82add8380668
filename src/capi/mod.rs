//! The C ABI: every function libfuse 3.14 and 3.18 export, in one module per
//! area of libfuse's headers. Each entry point checks its pointers, converts
//! and delegates; none lets a panic reach C (see [`ffi_guard`]).
//!
//! The exports and their version nodes are listed in `fuse3.map`; names
//! exported under several versions get their extra versions from `.symver`
//! lines next to their definitions.

pub mod buf;
pub mod conn;
pub mod cuse;
pub mod direntry;
pub mod helper;
pub mod highlevel;
pub mod loop_cfg;
pub mod notify;
pub mod opt;
pub mod passthrough;
pub mod reply;
pub mod req;
pub mod session;
pub mod types;

/// Runs an entry point's body; a panic becomes `$fail` plus a log line, so
/// nothing unwinds into C (release builds abort on panic anyway).
#[macro_export]
macro_rules! ffi_guard {
    ($name:expr, $fail:expr, $body:expr) => {{
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(_) => {
                $crate::log_err!("fuse: internal error in {}\n", $name);
                $fail
            }
        }
    }};
}

/// What an export that ferrofuse does not implement yet does before it
/// returns its error value: say so through `fuse_log`, never pretend success.
pub(crate) fn not_implemented(name: &str) {
    crate::log_err!("fuse: {name}() is not implemented by ferrofuse yet\n");
}
