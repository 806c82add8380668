//! Memory safety at the C edge: the C ABI test programs of capi-tests/ and
//! a mount/unmount cycle of examples/fault_fs_ll.c (both transports, with
//! wrong replies and an interrupted request among the workload) run under
//! valgrind's memcheck. Every memcheck error fails the test, and so does a
//! definite leak with a frame in ferrofuse's libfuse3.so. Definite leaks of
//! the test programs' own (a C test that never frees its `fuse_conn_info`)
//! are listed, not failed. tests/valgrind.supp suppresses what lies outside
//! ferrofuse, each entry with its reason.
//!
//! Every wait is bounded; a daemon or program that outlives its bound fails
//! the test (valgrind is slow, so the bounds are generous).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(120);

fn valgrind_present() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// valgrind with the flags of every run, writing its XML report to `xml`.
fn valgrind(xml: &Path) -> Command {
    let mut cmd = Command::new("valgrind");
    cmd.args([
        "-q",
        "--error-exitcode=99",
        "--leak-check=full",
        "--errors-for-leak-kinds=definite",
        "--child-silent-after-fork=yes",
        "--xml=yes",
    ])
    .arg(format!("--xml-file={}", xml.display()))
    .arg(format!(
        "--suppressions={}",
        top().join("tests/valgrind.supp").display()
    ));
    cmd
}

/// One error record of a valgrind XML report.
#[derive(Debug)]
struct VgError {
    kind: String,
    what: String,
    objs: Vec<String>,
    fns: Vec<String>,
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(a) = rest.find(open) {
        let after = &rest[a + open.len()..];
        let Some(b) = after.find(close) else { break };
        out.push(&after[..b]);
        rest = &after[b + close.len()..];
    }
    out
}

fn parse_report(xml: &Path) -> Vec<VgError> {
    let text = std::fs::read_to_string(xml).unwrap_or_else(|e| panic!("{}: {e}", xml.display()));
    assert!(
        text.contains("</valgrindoutput>"),
        "{}: incomplete valgrind report",
        xml.display()
    );
    between(&text, "<error>", "</error>")
        .into_iter()
        .map(|e| VgError {
            kind: between(e, "<kind>", "</kind>")
                .first()
                .unwrap_or(&"")
                .to_string(),
            what: between(e, "<text>", "</text>")
                .first()
                .or(between(e, "<what>", "</what>").first())
                .unwrap_or(&"")
                .to_string(),
            objs: between(e, "<obj>", "</obj>")
                .into_iter()
                .map(str::to_string)
                .collect(),
            fns: between(e, "<fn>", "</fn>")
                .into_iter()
                .map(str::to_string)
                .collect(),
        })
        .collect()
}

/// The first frames of a record's stack, for messages.
fn frames(e: &VgError) -> String {
    let mut f: Vec<&str> = e.fns.iter().take(5).map(String::as_str).collect();
    if e.fns.len() > 5 {
        f.push("...");
        f.extend(e.fns.iter().rev().take(2).rev().map(String::as_str));
    }
    f.join(" < ").replace("&lt;", "<").replace("&gt;", ">")
}

/// Fails on any memcheck error, and on a definite leak with a frame in
/// ferrofuse; lists the other definite leaks. Returns how many records
/// the report held.
fn check_report(what: &str, xml: &Path) -> usize {
    let ours = ferrofuse_library();
    let errors = parse_report(xml);
    let in_ferrofuse = |e: &VgError| {
        e.objs
            .iter()
            .any(|o| std::fs::canonicalize(o).is_ok_and(|c| c == ours))
    };
    let mut bad = Vec::new();
    for e in &errors {
        if !e.kind.starts_with("Leak_") {
            bad.push(format!("{}: {} in {}", e.kind, e.what, frames(e)));
        } else if e.kind == "Leak_DefinitelyLost" {
            // A string fuse_opt_parse stored for a `%s` template belongs
            // to the caller, which frees it (libfuse 3.14's passthrough_ll
            // never frees its source=: real libfuse 3.14 shows the same
            // leak under memcheck, from its process_gopt's strdup).
            let handed_over = e.fns.iter().any(|f| f == "store_string")
                && e.fns.iter().any(|f| f == "fuse_opt_parse");
            if in_ferrofuse(e) && !handed_over {
                bad.push(format!("{}: {} in {}", e.kind, e.what, frames(e)));
            } else {
                eprintln!("{what}: not ferrofuse's: {} in {}", e.what, frames(e));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{what}: valgrind ({}):\n{}",
        xml.display(),
        bad.join("\n")
    );
    errors.len()
}

/// Compiles a C program of capi-tests/ against our headers and library,
/// with debug information for valgrind's stacks.
fn build_capi(src: &str, dir: &Path) -> PathBuf {
    let exe = dir.join(src.trim_end_matches(".c"));
    let mut cc = c_compiler("cc");
    cc.args(["-g", "-I"])
        .arg(include_dir())
        .arg(top().join("capi-tests").join(src))
        .arg("-o")
        .arg(&exe)
        .arg("-L")
        .arg(lib_dir())
        .args(["-lfuse3", "-lpthread"]);
    run(&mut cc);
    exe
}

/// Runs `cmd` under a bound; the process group is killed when it is hit.
fn run_limited(what: &str, cmd: &mut Command, log: &Path) -> ExitStatus {
    let r = run_bounded(cmd, log, LIMIT);
    match r.status {
        Some(st) => st,
        None => panic!("{what}: not done within {LIMIT:?}:\n{}", tail_of(log, 30)),
    }
}

/// The C ABI programs (the ones tests/buf_conn_c.rs, tests/log.rs and
/// tests/opt_diff.rs drive) under memcheck.
#[test]
fn capi_programs_under_valgrind() {
    if !valgrind_present() {
        assert!(
            std::env::var_os("FERROFUSE_NO_VALGRIND_OK").is_some(),
            "valgrind is missing (tools/setup.sh installs it; FERROFUSE_NO_VALGRIND_OK=1 skips)"
        );
        eprintln!("skipped: no valgrind");
        return;
    }
    let dir = scratch("valgrind-capi");
    let base = dir.join("base");
    std::fs::create_dir_all(base.join("dir")).unwrap();
    std::os::unix::fs::symlink("dir", base.join("link")).unwrap();
    for src in [
        "buf_copy.c",
        "direntry.c",
        "loopcfg.c",
        "conn_opts.c",
        "conn_flags.c",
        "log.c",
        "opt_diff.c",
    ] {
        let exe = build_capi(src, &dir);
        let xml = exe.with_extension("xml");
        let log = exe.with_extension("log");
        let mut cmd = valgrind(&xml);
        cmd.arg(&exe).env("LD_LIBRARY_PATH", lib_dir());
        if src == "opt_diff.c" {
            cmd.arg(&base);
        }
        let st = run_limited(src, &mut cmd, &log);
        let records = check_report(src, &xml);
        // 99: valgrind counted a definite leak (the program's own, as
        // check_report found); anything else is the program's verdict.
        assert!(
            st.success() || st.code() == Some(99),
            "{src}: {st}:\n{}",
            tail_of(&log, 30)
        );
        let out = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            out.contains("END") || out.contains("OK") || src == "opt_diff.c",
            "{src}: incomplete output:\n{}",
            tail_of(&log, 30)
        );
        eprintln!("{src}: {st}, {records} valgrind records");
    }
}

/// examples/fault_fs_ll.c, compiled once with debug information.
fn fault_fs_bin(dir: &Path) -> PathBuf {
    let bin = dir.join("fault_fs_ll");
    cc_ferrofuse(
        &[&top().join("examples/fault_fs_ll.c")],
        &bin,
        &["-Wextra", "-Werror", "-g"],
    );
    bin
}

fn stats(mnt: &Path) -> std::collections::HashMap<String, i64> {
    let text = bounded_read(&mnt.join("stats"));
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once('=')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

/// Reads a file with `timeout cat` (a request that hangs cannot hang us).
fn bounded_read(p: &Path) -> String {
    String::from_utf8(bounded_bytes(p)).unwrap()
}

fn bounded_bytes(p: &Path) -> Vec<u8> {
    let out = Command::new("timeout")
        .args(["60", "cat"])
        .arg(p)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cat {}: {}",
        p.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `timeout stat`: whether it succeeded.
fn stat_ok(p: &Path) -> bool {
    let st = Command::new("timeout")
        .args(["60", "stat"])
        .arg(p)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_ne!(st.code(), Some(124), "stat {} hung", p.display());
    st.success()
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !cond() {
        assert!(Instant::now() < deadline, "{what}: not within {LIMIT:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// fault_fs_ll mounted, used (good and wrong replies, fd-buffer replies,
/// an interrupted read) and unmounted under memcheck, over io-uring
/// (single-threaded: valgrind runs one thread at a time and does not give
/// the others a turn while one waits in io_uring_enter, so with a ring
/// thread per queue the first request to another queue hangs; the same
/// as axboe/liburing#657 and DataDog/glommio#582 report for valgrind) and
/// over /dev/fuse (multi-threaded, clone_fd).
#[test]
fn mount_cycle_under_valgrind() {
    if !valgrind_present() {
        assert!(
            std::env::var_os("FERROFUSE_NO_VALGRIND_OK").is_some(),
            "valgrind is missing (tools/setup.sh installs it; FERROFUSE_NO_VALGRIND_OK=1 skips)"
        );
        eprintln!("skipped: no valgrind");
        return;
    }
    let uring = std::fs::write("/sys/module/fuse/parameters/enable_uring", "Y").is_ok();
    let build = scratch("valgrind-fs-build");
    let bin = fault_fs_bin(&build);
    let mut cases: Vec<(&str, &[&str], &str)> = vec![("dev", &["-o", "clone_fd"], "0")];
    if uring {
        cases.insert(0, ("ring", &["-s"], "1"));
    } else {
        assert!(
            std::env::var_os("FERROFUSE_NO_URING_OK").is_some(),
            "cannot turn FUSE-over-io-uring on (FERROFUSE_NO_URING_OK=1 tests /dev/fuse only)"
        );
    }
    for (name, args, enable) in cases {
        let dir = scratch(&format!("valgrind-fs-{name}"));
        let mnt = dir.join("mnt");
        std::fs::create_dir_all(&mnt).unwrap();
        let _guard = UnmountGuard(mnt.clone());
        let xml = dir.join("valgrind.xml");
        let log = dir.join("daemon.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut cmd = valgrind(&xml);
        cmd.arg(&bin)
            .arg("-f")
            .args(args)
            .arg(&mnt)
            .env("LD_LIBRARY_PATH", lib_dir())
            .env("FUSE_URING_ENABLE", enable)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        let mut daemon = KillOnDrop(cmd.spawn().unwrap());
        wait_until("the mount", || {
            assert!(
                daemon.0.try_wait().unwrap().is_none(),
                "{name}: daemon exited:\n{}",
                tail_of(&log, 30)
            );
            is_mounted(&mnt)
        });
        let st = stats(&mnt);
        let key = if enable == "1" {
            "ring_requests"
        } else {
            "dev_requests"
        };
        assert!(st[key] > 0, "{name}: {st:?}");
        // Good replies, fd buffers, wrong replies.
        std::fs::write(mnt.join("data"), b"under valgrind").unwrap();
        assert_eq!(bounded_read(&mnt.join("data")), "under valgrind");
        let spliced = bounded_bytes(&mnt.join("spliced"));
        assert_eq!(spliced.len(), 1 << 20);
        assert!(spliced
            .iter()
            .enumerate()
            .all(|(i, b)| *b == (i % 253) as u8));
        assert!(stat_ok(&mnt.join("twice")));
        assert!(stat_ok(&mnt.join("null_req")));
        assert!(!stat_ok(&mnt.join("null_entry")));
        assert!(!stat_ok(&mnt.join("err_min")));
        assert_eq!(bounded_read(&mnt.join("nullbuf")), "");
        assert_eq!(bounded_read(&mnt.join("none_release")), "");
        let fail = Command::new("timeout")
            .args(["60", "cat"])
            .arg(mnt.join("oversize"))
            .output()
            .unwrap();
        assert!(!fail.status.success() && fail.status.code() != Some(124));
        // A read answered only by its interrupt: its caller killed.
        let mut cat = KillOnDrop(
            Command::new("cat")
                .arg(mnt.join("intr"))
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
        );
        wait_until("cat parks in /intr", || stats(&mnt)["blocked_now"] >= 1);
        cat.0.kill().unwrap();
        assert!(wait_for(&mut cat.0, LIMIT).is_some(), "killed cat hung");
        wait_until("the none_release release", || {
            stats(&mnt)["none_releases"] >= 1
        });
        let st = stats(&mnt);
        assert_eq!(st["interrupts"], 1, "{st:?}");
        assert_eq!(st["blocked_now"], 0, "{st:?}");
        assert_eq!(st["refused"], 3, "{st:?}");
        let un = Command::new("timeout")
            .args(["60", "fusermount3", "-u"])
            .arg(&mnt)
            .output()
            .unwrap();
        assert!(
            un.status.success(),
            "fusermount3 -u: {}",
            String::from_utf8_lossy(&un.stderr)
        );
        let st = wait_for(&mut daemon.0, LIMIT)
            .unwrap_or_else(|| panic!("{name}: daemon did not exit:\n{}", tail_of(&log, 30)));
        let records = check_report(name, &xml);
        assert!(st.success(), "{name}: {st}:\n{}", tail_of(&log, 30));
        eprintln!("{name}: exit {st}, {records} valgrind records");
    }
}

/// A child process SIGKILLed (and reaped) when dropped, if still running.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = wait_for(&mut self.0, Duration::from_secs(10));
        }
    }
}

/// The report check fails on what it must: a memcheck error anywhere, a
/// definite leak through ferrofuse; and lets a program's own leak pass.
#[test]
fn report_check_catches_errors() {
    let dir = scratch("valgrind-selfcheck");
    let ours = ferrofuse_library();
    let record = |kind: &str, obj: &Path| {
        format!(
            "<error><kind>{kind}</kind><xwhat><text>t</text></xwhat><stack>\
             <frame><obj>/usr/libexec/valgrind/vgpreload.so</obj><fn>malloc</fn></frame>\
             <frame><obj>{}</obj><fn>f</fn></frame></stack></error>",
            obj.display()
        )
    };
    let prog = Path::new("/usr/bin/true");
    let handed = record("Leak_DefinitelyLost", &ours).replace(
        "<fn>f</fn>",
        "<fn>store_string</fn></frame><frame><fn>fuse_opt_parse</fn>",
    );
    // The failing cases print their (caught) panics.
    let cases = [
        (handed, true),
        (record("InvalidRead", prog), false),
        (record("Leak_DefinitelyLost", &ours), false),
        (record("Leak_DefinitelyLost", prog), true),
        (record("Leak_PossiblyLost", &ours), true),
    ];
    for (i, (rec, passes)) in cases.into_iter().enumerate() {
        let xml = dir.join(format!("{i}.xml"));
        std::fs::write(&xml, format!("<valgrindoutput>{rec}</valgrindoutput>")).unwrap();
        let r = std::panic::catch_unwind(|| check_report("selfcheck", &xml));
        assert_eq!(r.is_ok(), passes, "case {i}: {rec}");
    }
}

/// libfuse's passthrough_ll, unmodified (3.18's binary, and 3.14's, which
/// goes through the legacy ABI and its struct conversions), relinked to
/// ferrofuse and run under memcheck through a workload of most operations
/// (create, write, read, readdir(plus), rename, symlink, truncate, unlink,
/// rmdir), over io-uring (single-threaded, see above) and /dev/fuse.
#[test]
fn libfuse_passthrough_ll_under_valgrind() {
    if !valgrind_present() {
        assert!(
            std::env::var_os("FERROFUSE_NO_VALGRIND_OK").is_some(),
            "valgrind is missing (tools/setup.sh installs it; FERROFUSE_NO_VALGRIND_OK=1 skips)"
        );
        eprintln!("skipped: no valgrind");
        return;
    }
    let uring = std::fs::write("/sys/module/fuse/parameters/enable_uring", "Y").is_ok();
    let mut cases: Vec<(Suite, &str, &[&str], &str)> = Vec::new();
    for suite in [Suite::Sid, Suite::Bookworm] {
        if uring {
            cases.push((suite, "ring", &["-s"], "1"));
        }
        cases.push((suite, "dev", &[], "0"));
    }
    for (suite, name, args, enable) in cases {
        let what = format!("passthrough_ll {} {name}", suite.name());
        let bin = real_libfuse_build(suite).join("example/passthrough_ll");
        let dir = scratch(&format!("valgrind-ll-{}-{name}", suite.name()));
        let (src, mnt) = (dir.join("src"), dir.join("mnt"));
        std::fs::create_dir_all(&src).unwrap();
        std::fs::create_dir_all(&mnt).unwrap();
        let _guard = UnmountGuard(mnt.clone());
        let xml = dir.join("valgrind.xml");
        let log = dir.join("daemon.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut cmd = valgrind(&xml);
        cmd.arg(&bin)
            .arg("-f")
            .args(args)
            .arg("-o")
            .arg(format!("source={}", src.display()))
            .arg(&mnt)
            .env("LD_LIBRARY_PATH", lib_dir())
            .env("FUSE_URING_ENABLE", enable)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        let mut daemon = KillOnDrop(cmd.spawn().unwrap());
        wait_until("the mount", || {
            assert!(
                daemon.0.try_wait().unwrap().is_none(),
                "{what}: daemon exited:\n{}",
                tail_of(&log, 30)
            );
            is_mounted(&mnt)
        });
        let script = "set -e; cd \"$1\"; mkdir d; echo hello > d/f; \
             dd if=/dev/urandom of=d/big bs=64k count=16 status=none; \
             cmp d/big \"$2/d/big\"; cat d/f d/big > /dev/null; ls -la d > /dev/null; \
             mv d/f d/g; ln -s g d/l; test \"$(readlink d/l)\" = g; \
             test \"$(cat d/l)\" = hello; truncate -s 100000 d/g; \
             test \"$(stat -c %s d/g)\" = 100000; touch -d @1000000000 d/g; \
             rm d/g d/l d/big; rmdir d; echo done";
        let out = Command::new("timeout")
            .args(["120", "sh", "-c", script, "sh"])
            .arg(&mnt)
            .arg(&src)
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stdout.ends_with(b"done\n"),
            "{what}: workload failed ({}): {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            tail_of(&log, 30)
        );
        let un = Command::new("timeout")
            .args(["60", "fusermount3", "-u"])
            .arg(&mnt)
            .output()
            .unwrap();
        assert!(
            un.status.success(),
            "{what}: fusermount3 -u: {}",
            String::from_utf8_lossy(&un.stderr)
        );
        let st = wait_for(&mut daemon.0, LIMIT)
            .unwrap_or_else(|| panic!("{what}: daemon did not exit:\n{}", tail_of(&log, 30)));
        let records = check_report(&what, &xml);
        assert!(
            st.success() || st.code() == Some(99),
            "{what}: {st}:\n{}",
            tail_of(&log, 30)
        );
        eprintln!("{what}: exit {st}, {records} valgrind records");
    }
}
