//! ferrofuse: libfuse3 in Rust, with libfuse's C ABI.
//!
//! The crate builds `libfuse3.so` (soname `libfuse3.so.3`, also installed as
//! `libfuse3.so.4`). Its shape: a thin C-facing skin in [`capi`] that checks
//! pointers, converts between libfuse's two struct layouts ([`compat`]) and
//! delegates to safe Rust modules that know nothing of C.

pub mod buf;
pub mod capi;
pub mod compat;
pub mod conn;
pub mod dirent;
pub mod kernel;
pub mod log;
pub mod loop_config;
pub mod loops;
pub mod mount;
pub mod opt;
pub mod passthrough;
pub mod session;
pub mod transport;
