//! The benchmark harness end to end, in seconds: `benches/run.py --mode smoke`
//! (1 round, 1 s fio runs, 64 MiB files, randread_dio_4k and the mdbench
//! rows; native, libfuse 3.14 and ferrofuse on /dev/fuse) must exit 0 and
//! write a table with every contender's column and no empty or zero cell.
//! A contender whose binary does not exist, or exits instead of mounting,
//! must make it exit non-zero with no table. Needs root and fio: without
//! either the test says why and passes. Leaves no mount behind, also when it
//! fails (a guard unmounts what is left under its scratch directory).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const CONTENDERS: [&str; 3] = ["native", "lf314-dev", "ferro-dev"];
const LIMIT: Duration = Duration::from_secs(150);

fn have_fio() -> bool {
    Command::new("fio")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Lazily unmounts whatever a run left under the scratch directory (FUSE
/// mounts and run.py's tmpfs) and kills the processes it started, on every
/// exit of the test, panics included.
struct Cleanup {
    root: PathBuf,
    tag: String,
}

impl Cleanup {
    fn sweep(&self) -> Vec<String> {
        let (mut left, _) = clean_up_after_run(&[&self.root], &self.tag);
        let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut others: Vec<PathBuf> = info
            .lines()
            .filter_map(|l| l.split_whitespace().nth(4).map(PathBuf::from))
            .filter(|m| m.starts_with(&self.root))
            .collect();
        others.sort_by_key(|m| std::cmp::Reverse(m.components().count()));
        for m in others {
            left.push(format!("mount {}", m.display()));
            let _ = Command::new("umount").arg("-l").arg(&m).status();
        }
        left
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.sweep();
    }
}

struct Run {
    ok: bool,
    secs: f64,
    out: PathBuf,
    log: PathBuf,
}

fn run_py(scratch: &Path, name: &str, tag: &str, extra: &[String]) -> Run {
    let out = scratch.join(format!("out-{name}"));
    let log = scratch.join(format!("{name}.log"));
    let python = if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let src314 = libfuse_source(Suite::Bookworm);
    let build318 = real_libfuse_build(Suite::Sid);
    let mut cmd = Command::new(python);
    cmd.arg(top().join("benches/run.py"))
        .args(["--mode", "smoke", "--no-chart", "--contenders"])
        .arg(CONTENDERS.join(","))
        .arg("--out")
        .arg(&out)
        .arg("--work")
        .arg(scratch.join("work"))
        .arg("--ferro-lib")
        .arg(lib_dir())
        .arg("--libfuse314-src")
        .arg(&src314)
        .arg("--libfuse318-build")
        .arg(&build318)
        .args(extra)
        .current_dir(top())
        .env("FERROFUSE_TAG", tag);
    let r = run_bounded(&mut cmd, &log, LIMIT);
    assert!(
        !r.timed_out(),
        "run.py ({name}) still running after {LIMIT:?}:\n{}",
        tail_of(&log, 40)
    );
    Run {
        ok: r.success(),
        secs: r.elapsed.as_secs_f64(),
        out,
        log,
    }
}

/// The rows of every table in `md` under a `## ` heading, per heading.
fn tables(md: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let mut found: Vec<(String, Vec<Vec<String>>)> = Vec::new();
    for line in md.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            found.push((h.to_string(), Vec::new()));
        } else if line.starts_with('|') && !line.starts_with("|---") {
            let cells = line
                .trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect();
            if let Some(last) = found.last_mut() {
                last.1.push(cells);
            }
        }
    }
    found
}

/// The number a cell starts with ("46.4k (3%)" is 46400, "*0.98* vs x" is
/// 0.98), or None.
fn leading_number(cell: &str) -> Option<f64> {
    let tok = cell.trim_matches('*').split([' ', '*']).next()?;
    let (num, mult) = match tok.chars().last()? {
        'k' => (&tok[..tok.len() - 1], 1e3),
        'M' => (&tok[..tok.len() - 1], 1e6),
        _ => (tok, 1.0),
    };
    num.parse::<f64>().ok().map(|v| v * mult)
}

fn check_table(md: &str) {
    let all = tables(md);
    let abs = all
        .iter()
        .find(|(h, _)| h == "Absolute")
        .unwrap_or_else(|| panic!("no Absolute table:\n{md}"));
    for c in CONTENDERS {
        assert!(
            abs.1[0].iter().any(|h| h == c),
            "no column for {c} in the Absolute table:\n{md}"
        );
    }
    let mut checked = 0;
    for (heading, rows) in &all {
        if heading == "Contenders" {
            continue;
        }
        // value columns start after workload, nj (and unit in Absolute)
        let first = if heading == "Absolute" { 3 } else { 2 };
        let width = rows[0].len();
        assert!(rows.len() > 1, "table {heading} has no rows:\n{md}");
        for row in &rows[1..] {
            assert_eq!(row.len(), width, "ragged row in {heading}: {row:?}");
            for (i, cell) in row.iter().enumerate() {
                assert!(!cell.is_empty(), "empty cell in {heading}: {row:?}");
                if i >= first {
                    let v = leading_number(cell)
                        .unwrap_or_else(|| panic!("no number in {heading}: {cell:?} ({row:?})"));
                    assert!(v > 0.0, "zero in {heading}: {cell:?} ({row:?})");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 12, "only {checked} cells checked:\n{md}");
}

#[test]
fn bench_harness_smoke() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("bench_smoke: skipped: not root (run.py mounts a tmpfs and FUSE filesystems)");
        return;
    }
    if !have_fio() {
        eprintln!("bench_smoke: skipped: fio is missing (tools/setup.sh installs it)");
        return;
    }
    let root = profile_dir().join("test-scratch").join("bench_smoke");
    let tag = format!("bench-smoke-{}", std::process::id());
    let cleanup = Cleanup {
        root: root.clone(),
        tag: tag.clone(),
    };
    // a run killed earlier may have left mounts: never delete through them
    cleanup.sweep();
    let scratch = scratch("bench_smoke");
    // prepare the libfuse builds and our library outside the timed runs
    libfuse_source(Suite::Bookworm);
    real_libfuse_build(Suite::Sid);
    lib_dir();

    // A binary that does not exist: refused before anything is measured.
    let r = run_py(
        &scratch,
        "missing-binary",
        &tag,
        &[
            "--contender-bin".into(),
            "ferro-dev=/nonexistent/passthrough_hp".into(),
        ],
    );
    assert!(
        !r.ok,
        "run.py accepted a missing binary:\n{}",
        tail_of(&r.log, 40)
    );
    assert!(
        !r.out.join("table.md").exists(),
        "table written by a refused run"
    );
    assert!(
        tail_of(&r.log, 5).contains("REFUSING TO REPORT"),
        "{}",
        tail_of(&r.log, 20)
    );
    eprintln!("bench_smoke: missing binary refused in {:.1} s", r.secs);

    // A binary that exits instead of mounting, after the setup: refused too,
    // with the tmpfs and every mount taken down.
    let r = run_py(
        &scratch,
        "no-mount",
        &tag,
        &["--contender-bin".into(), "ferro-dev=/bin/false".into()],
    );
    assert!(!r.ok, "run.py accepted a contender that did not mount");
    assert!(
        !r.out.join("table.md").exists(),
        "table written by a refused run"
    );
    let log = tail_of(&r.log, 5);
    assert!(log.contains("ferro-dev failed to mount"), "{log}");
    assert!(cleanup.sweep().is_empty(), "the refused run left mounts");
    eprintln!("bench_smoke: failed mount refused in {:.1} s", r.secs);

    // --retry-mount: ferrofuse's daemon fails about 1 mount in 100 with
    // "fuse: reading device: Invalid argument"; that is a library bug for
    // the library's tests, not the harness's, and the table lists it.
    let r = run_py(
        &scratch,
        "smoke",
        &tag,
        &["--retry-mount".into(), "2".into()],
    );
    assert!(r.ok, "run.py --mode smoke failed:\n{}", tail_of(&r.log, 40));
    let left = cleanup.sweep();
    assert!(left.is_empty(), "run.py left behind: {left:?}");
    let md = std::fs::read_to_string(r.out.join("table.md")).expect("no table.md");
    check_table(&md);
    if md.contains("Mount failures") {
        eprintln!("bench_smoke: warning: the smoke run had to mount again (see its table)");
    }
    assert!(r.out.join("raw.json").exists());
    eprintln!("bench_smoke: smoke run in {:.1} s", r.secs);
}
