//! Bad input and faults, against libfuse itself: the same libfuse 3.18
//! example binary runs once on real libfuse and once on ferrofuse (by
//! LD_LIBRARY_PATH), and must print the same messages and exit the same
//! way. A daemon killed with a mount in place leaves ENOTCONN behind and
//! nothing hangs.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Runs `bin args` on `libdir` under a timeout.
fn run_on(bin: &Path, args: &[&str], libdir: &Path) -> Output {
    Command::new("timeout")
        .args(["-k", "5", "30"])
        .arg(bin)
        .args(args)
        .env("LD_LIBRARY_PATH", libdir)
        .output()
        .unwrap()
}

fn real_318() -> PathBuf {
    real_libfuse_build(Suite::Sid)
}

/// stderr and exit status of the example on real libfuse and on ferrofuse.
fn compare(example: &str, args: &[&str]) -> (String, i32) {
    let build = real_318();
    let bin = build.join("example").join(example);
    let real = run_on(&bin, args, &build.join("lib"));
    let ours = run_on(&bin, args, lib_dir());
    let (rs, os) = (
        String::from_utf8_lossy(&real.stderr).into_owned(),
        String::from_utf8_lossy(&ours.stderr).into_owned(),
    );
    assert_eq!(os, rs, "{example} {args:?}: stderr differs");
    assert_eq!(
        String::from_utf8_lossy(&ours.stdout),
        String::from_utf8_lossy(&real.stdout),
        "{example} {args:?}: stdout differs"
    );
    assert_eq!(
        ours.status.code(),
        real.status.code(),
        "{example} {args:?}: exit status differs"
    );
    (os, ours.status.code().unwrap_or(-1))
}

#[test]
fn missing_mount_point() {
    let (err, code) = compare("hello_ll", &["-f", "/nonexistent/ferrofuse-mnt"]);
    assert!(err.contains("bad mount point"), "{err}");
    assert_ne!(code, 0);
}

#[test]
fn unknown_option() {
    let dir = scratch("faults-unknown-option");
    let mnt = dir.to_str().unwrap();
    let (err, code) = compare("hello_ll", &["-f", "-o", "no_such_option", mnt]);
    assert!(err.contains("unknown option"), "{err}");
    assert_ne!(code, 0);
}

#[test]
fn bad_option_value() {
    let dir = scratch("faults-bad-value");
    let mnt = dir.to_str().unwrap();
    let (err, code) = compare("hello_ll", &["-f", "-o", "max_read=lots", mnt]);
    assert!(err.contains("invalid parameter"), "{err}");
    assert_ne!(code, 0);
}

#[test]
fn no_mount_point() {
    let (_, code) = compare("hello_ll", &[]);
    assert_ne!(code, 0);
}

#[test]
fn killed_daemon_leaves_enotconn_and_nothing_hangs() {
    let build = real_318();
    let dir = scratch("faults-killed");
    let src = dir.join("src");
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&mnt).unwrap();
    std::fs::write(src.join("f"), vec![7u8; 1 << 20]).unwrap();
    let _guard = UnmountGuard(mnt.clone());
    let mut child = Command::new(build.join("example/passthrough_ll"))
        .args(["-f", "-o"])
        .arg(format!("source={}", src.display()))
        .arg(&mnt)
        .env("LD_LIBRARY_PATH", lib_dir())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !is_mounted(&mnt) {
        assert!(Instant::now() < deadline, "no mount");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Requests in flight while the daemon dies: a reader loops over the file.
    let mut reader = Command::new("timeout")
        .args(["30", "sh", "-c"])
        .arg(format!(
            "while cat {f} > /dev/null; do :; done; exit 0",
            f = mnt.join("f").display()
        ))
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    child.kill().unwrap();
    child.wait().unwrap();
    // The reader must end (with an error) by itself, well before its timeout.
    let st = reader.wait().unwrap();
    assert_ne!(st.code(), Some(124), "a reader hung after the daemon died");
    let out = Command::new("timeout")
        .args(["20", "stat"])
        .arg(&mnt)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(124), "stat hung");
    // Over io-uring the kernel may end a request that meets the ring while
    // it is being torn down with ECONNABORTED instead of ENOTCONN (the same
    // kernel does so under libfuse 3.18 -o io_uring).
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Transport endpoint is not connected")
            || err.contains("Software caused connection abort"),
        "{err}"
    );
    let st = Command::new("timeout")
        .args(["20", "umount"])
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(st.success(), "umount after the daemon died failed");
    assert!(!is_mounted(&mnt));
}

/// SIGTERM, SIGINT and SIGHUP end the loop; the example unmounts and exits,
/// with the same status on ferrofuse as on real libfuse.
#[test]
fn signals_unmount_cleanly() {
    default_signal_dispositions();
    let build = real_318();
    for (i, sig) in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP]
        .into_iter()
        .enumerate()
    {
        for (tag, libdir) in [
            ("real", build.join("lib")),
            ("ours", lib_dir().to_path_buf()),
        ] {
            for mt in [false, true] {
                let mnt = scratch(&format!("faults-sig-{i}-{tag}-{mt}")).join("mnt");
                std::fs::create_dir_all(&mnt).unwrap();
                let _guard = UnmountGuard(mnt.clone());
                let mut args = vec!["-f"];
                if !mt {
                    args.push("-s");
                }
                let mut child = Command::new(build.join("example/hello_ll"))
                    .args(&args)
                    .arg(&mnt)
                    .env("LD_LIBRARY_PATH", &libdir)
                    .spawn()
                    .unwrap();
                let deadline = Instant::now() + Duration::from_secs(20);
                while !is_mounted(&mnt) {
                    assert!(Instant::now() < deadline, "no mount ({tag})");
                    std::thread::sleep(Duration::from_millis(20));
                }
                // SAFETY: signalling our own child.
                unsafe { libc::kill(child.id() as i32, sig) };
                let deadline = Instant::now() + Duration::from_secs(20);
                let mut next_nudge = Instant::now() + Duration::from_secs(1);
                let mut nudges = Vec::new();
                let status = loop {
                    if let Some(st) = child.try_wait().unwrap() {
                        break st;
                    }
                    if Instant::now() > deadline {
                        let _ = child.kill();
                        panic!("{tag}: daemon did not exit on signal {sig} (mt {mt})");
                    }
                    // Both libraries' loops check the exit flag and then
                    // block reading the device: a signal that lands between
                    // the two is seen at the next request. A stat now and
                    // then provides one, as any use of the mount would.
                    if Instant::now() > next_nudge {
                        next_nudge = Instant::now() + Duration::from_secs(1);
                        if let Ok(c) = Command::new("stat")
                            .arg(&mnt)
                            .stdout(std::process::Stdio::null())
                            .stderr(std::process::Stdio::null())
                            .spawn()
                        {
                            nudges.push(c);
                        }
                    }
                    std::thread::sleep(Duration::from_millis(20));
                };
                for mut c in nudges {
                    let _ = c.kill();
                    let _ = c.wait();
                }
                assert!(!is_mounted(&mnt), "{tag}: still mounted after signal {sig}");
                if tag == "real" {
                    std::fs::write(mnt.with_extension("status"), format!("{:?}", status.code()))
                        .unwrap();
                } else {
                    let real = std::fs::read_to_string(
                        scratch_path(&format!("faults-sig-{i}-real-{mt}")).join("mnt.status"),
                    )
                    .unwrap();
                    assert_eq!(format!("{:?}", status.code()), real, "signal {sig} mt {mt}");
                }
            }
        }
    }
}

/// The scratch directory `scratch(name)` made, without emptying it.
fn scratch_path(name: &str) -> PathBuf {
    profile_dir().join("test-scratch").join(name)
}

/// An ordinary user with no fusermount3 on PATH: the same message and exit
/// status as real libfuse (here /dev/fuse is root's only, so both stop there).
#[test]
fn non_root_without_fusermount3() {
    let build = real_318();
    let mnt = scratch("faults-nonroot").join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let _guard = UnmountGuard(mnt.clone());
    let c = std::ffi::CString::new(mnt.to_str().unwrap()).unwrap();
    // SAFETY: chmod of our own scratch directory, a valid C path.
    unsafe { libc::chmod(c.as_ptr(), 0o777) };
    let run_as_nobody = |libdir: &Path| {
        Command::new("timeout")
            .args([
                "-k",
                "5",
                "20",
                "setpriv",
                "--reuid=nobody",
                "--regid=nogroup",
            ])
            .args(["--clear-groups", "env", "-i", "PATH=/nonexistent"])
            .arg(format!("LD_LIBRARY_PATH={}", libdir.display()))
            .arg(build.join("example/hello_ll"))
            .arg("-f")
            .arg(&mnt)
            .output()
            .unwrap()
    };
    let real = run_as_nobody(&build.join("lib"));
    let ours = run_as_nobody(lib_dir());
    assert_eq!(
        String::from_utf8_lossy(&ours.stderr),
        String::from_utf8_lossy(&real.stderr)
    );
    assert_eq!(ours.status.code(), real.status.code());
    assert_ne!(ours.status.code(), Some(0));
    assert!(!is_mounted(&mnt));
}
