//! `make install` and `make uninstall` into a staging root (DESTDIR), with
//! the library this test run built.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

fn make(target: &str, root: &Path) {
    run(Command::new("make")
        .arg("-s")
        .arg(target)
        .current_dir(top())
        // cargo is already running this test; stage the library it built.
        .arg("CARGO=true")
        .arg(format!("LIBSO={}", lib_dir().join("libfuse3.so").display()))
        .arg(format!("BUILDDIR={}", root.join("build").display()))
        .arg(format!("DESTDIR={}", root.join("dest").display()))
        .arg("PREFIX=/opt/ff"));
}

#[test]
fn install_then_uninstall() {
    let root = scratch("install");
    make("install", &root);
    let dest = root.join("dest/opt/ff");
    for f in [
        "lib/libfuse3.so.3.18.3",
        "lib/libfuse3.so.3",
        "lib/libfuse3.so.4",
        "lib/libfuse3.so",
        "lib/pkgconfig/fuse3.pc",
        "include/fuse3/fuse_opt.h",
        "include/fuse3/generated/fuse_opt.h",
    ] {
        assert!(dest.join(f).exists(), "{f} not installed");
    }
    for h in [
        "fuse.h",
        "fuse_lowlevel.h",
        "fuse_common.h",
        "fuse_log.h",
        "cuse_lowlevel.h",
        "libfuse_config.h",
    ] {
        if top().join("include/fuse3").join(h).exists() {
            assert!(
                dest.join("include/fuse3").join(h).exists(),
                "{h} not installed"
            );
        }
    }
    let pc = std::fs::read_to_string(dest.join("lib/pkgconfig/fuse3.pc")).unwrap();
    for want in [
        "prefix=/opt/ff",
        "libdir=/opt/ff/lib",
        "Version: 3.18.3",
        "Libs: -L${libdir} -lfuse3 -lpthread",
        "Cflags: -I${includedir}/fuse3",
    ] {
        assert!(pc.contains(want), "fuse3.pc lacks {want}:\n{pc}");
    }
    let link = std::fs::read_link(dest.join("lib/libfuse3.so.4")).unwrap();
    assert_eq!(link, Path::new("libfuse3.so.3.18.3"));

    make("uninstall", &root);
    assert!(!dest.join("lib/libfuse3.so.3").exists());
    assert!(!dest.join("lib/pkgconfig/fuse3.pc").exists());
    assert!(!dest.join("include/fuse3").exists());
}
