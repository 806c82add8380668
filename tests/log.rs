//! fuse_log, fuse_set_log_func and the syslog switch, driven from C.

mod common;

use common::*;
use std::process::Command;

#[test]
fn log_functions_from_c() {
    let dir = scratch("log");
    let bin = dir.join("log");
    cc_ferrofuse(&[&top().join("capi-tests/log.c")], &bin, &[]);
    let out = Command::new(&bin)
        .env("LD_LIBRARY_PATH", lib_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.ends_with("OK\n"), "{stdout}");
    // The default log function writes the formatted message to stderr as is.
    assert_eq!(stderr, "to stderr 7\n");
}
