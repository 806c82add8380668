//! examples/misuse_ll.c answers requests wrongly on purpose (twice, with a
//! NULL entry, with a bad error value, late from another thread): ferrofuse
//! logs each mistake and the filesystem keeps serving.

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn misuse_is_logged_and_survived() {
    let dir = scratch("misuse");
    let bin = dir.join("misuse_ll");
    cc_ferrofuse(&[&top().join("examples/misuse_ll.c")], &bin, &["-Werror"]);
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let _guard = UnmountGuard(mnt.clone());
    let log = dir.join("daemon.log");
    let mut child = Command::new(&bin)
        .args(["-f", "-s"])
        .arg(&mnt)
        .env("LD_LIBRARY_PATH", lib_dir())
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !is_mounted(&mnt) {
        assert!(Instant::now() < deadline, "no mount");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The first answer to /twice stands.
    assert_eq!(stat_cmd(&mnt.join("twice")).0, Some(0));
    // A NULL entry and an impossible errno become errors, not crashes.
    let (code, err) = stat_cmd(&mnt.join("null"));
    assert_eq!(code, Some(1), "{err}");
    let (code, err) = stat_cmd(&mnt.join("bad"));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("Numerical result out of range"), "{err}");
    // An answer from another thread after the callback returned.
    assert_eq!(stat_cmd(&mnt.join("late")).0, Some(0));
    // And the filesystem still serves.
    let out = Command::new("timeout")
        .args(["20", "cat"])
        .arg(mnt.join("file"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "still serving\n");
    assert!(child.try_wait().unwrap().is_none(), "the daemon died");
    let st = Command::new("fusermount3")
        .arg("-u")
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(st.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "daemon did not exit after unmount"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "daemon exit {status}");
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(!log.contains("second reply accepted"), "{log}");
    assert!(
        log.contains("fuse: fuse_reply_err: the request was already replied to"),
        "{log}"
    );
    assert!(log.contains("fuse: bad error value: -100000"), "{log}");
}
