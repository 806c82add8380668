//! The dynamic symbol table of libfuse3.so against libfuse's own, and the
//! acceptance check that binaries built for libfuse 3.14 and 3.18 resolve
//! every symbol they import from ferrofuse.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn reference(file: &str) -> BTreeSet<String> {
    let p = top().join("../shared/reference").join(file);
    let text = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e} (shared/ must sit beside the clone)", p.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// (defined FUNC symbols as name@ver / name@@ver, every other defined symbol)
fn dynsyms(lib: &Path) -> (BTreeSet<String>, Vec<String>) {
    let out = run(Command::new("readelf").args(["--dyn-syms", "-W"]).arg(lib));
    let mut funcs = BTreeSet::new();
    let mut other = Vec::new();
    for line in out.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 8
            || !f[0]
                .trim_end_matches(':')
                .chars()
                .all(|c| c.is_ascii_digit())
            || f[6] == "UND"
        {
            continue;
        }
        if f[3] == "FUNC" {
            funcs.insert(f[7].to_string());
        } else {
            other.push(line.trim().to_string());
        }
    }
    (funcs, other)
}

#[test]
fn exports_are_exactly_libfuse_3_18_3s() {
    let lib = lib_dir().join("libfuse3.so.3");
    let (funcs, other) = dynsyms(&lib);
    let want = reference("exports-3.18.3.txt");
    assert_eq!(want.len(), 179);
    let missing: Vec<_> = want.difference(&funcs).collect();
    let extra: Vec<_> = funcs.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}"
    );
    // Only the version nodes' own ABS symbols may stand beside the functions.
    for o in &other {
        assert!(o.contains(" ABS FUSE_3."), "unexpected dynamic symbol: {o}");
    }
}

#[test]
fn every_3_14_export_resolves_under_its_version() {
    let lib = lib_dir().join("libfuse3.so.3");
    let (funcs, _) = dynsyms(&lib);
    let bare: BTreeSet<String> = funcs.iter().map(|s| s.replace("@@", "@")).collect();
    for s in reference("exports-3.14.txt") {
        // 3.18.3 demoted two defaults (fuse_new@FUSE_3.1, fuse_session_custom_io@FUSE_3.0);
        // a binary binds to name@version either way.
        assert!(bare.contains(&s.replace("@@", "@")), "{s} not exported");
    }
}

#[test]
fn version_nodes_and_parents() {
    let lib = lib_dir().join("libfuse3.so.3");
    let out = run(Command::new("readelf").arg("-V").arg(&lib));
    // Version definition section lines: "Name: FUSE_3.1" then "Parent 1: FUSE_3.0".
    let sect = out.split("Version definition section").nth(1).unwrap();
    let sect = sect.split("Version needs section").next().unwrap();
    let mut pairs = Vec::new();
    let mut cur: Option<String> = None;
    for line in sect.lines() {
        if let Some(i) = line.find("Name: ") {
            if let Some(c) = cur.take() {
                pairs.push((c, String::new()));
            }
            cur = Some(line[i + 6..].trim().to_string());
        } else if let Some(i) = line.find("Parent 1: ") {
            pairs.push((cur.take().unwrap(), line[i + 10..].trim().to_string()));
        }
    }
    if let Some(c) = cur.take() {
        pairs.push((c, String::new()));
    }
    let want = [
        ("libfuse3.so.3", ""),
        ("FUSE_3.0", ""),
        ("FUSE_3.1", "FUSE_3.0"),
        ("FUSE_3.2", "FUSE_3.1"),
        ("FUSE_3.3", "FUSE_3.2"),
        ("FUSE_3.4", "FUSE_3.3"),
        ("FUSE_3.7", "FUSE_3.4"),
        ("FUSE_3.12", "FUSE_3.4"),
        ("FUSE_3.17", "FUSE_3.12"),
        ("FUSE_3.17.3", "FUSE_3.17"),
        ("FUSE_3.18", "FUSE_3.17"),
    ];
    let got: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn aliases_share_code() {
    // libfuse-abi.md §1: the unsuffixed versions are the suffixed functions.
    let lib = lib_dir().join("libfuse3.so.3");
    let out = run(Command::new("readelf").args(["--dyn-syms", "-W"]).arg(&lib));
    let addr = |name: &str| -> String {
        out.lines()
            .find(|l| l.split_whitespace().nth(7) == Some(name))
            .unwrap_or_else(|| panic!("{name} missing"))
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_string()
    };
    for (a, b) in [
        (
            "fuse_session_loop_mt@FUSE_3.0",
            "fuse_session_loop_mt_31@@FUSE_3.2",
        ),
        (
            "fuse_session_loop_mt@FUSE_3.2",
            "fuse_session_loop_mt_32@@FUSE_3.2",
        ),
        (
            "fuse_session_loop_mt@@FUSE_3.12",
            "fuse_session_loop_mt_312@@FUSE_3.12",
        ),
        ("fuse_loop_mt@FUSE_3.0", "fuse_loop_mt_31@@FUSE_3.2"),
        ("fuse_loop_mt@FUSE_3.2", "fuse_loop_mt_32@@FUSE_3.12"),
        ("fuse_loop_mt@@FUSE_3.12", "fuse_loop_mt_312@@FUSE_3.12"),
        (
            "fuse_parse_cmdline@FUSE_3.0",
            "fuse_parse_cmdline_30@@FUSE_3.12",
        ),
        (
            "fuse_parse_cmdline@@FUSE_3.12",
            "fuse_parse_cmdline_312@@FUSE_3.12",
        ),
        ("fuse_new@FUSE_3.0", "fuse_new_30@@FUSE_3.1"),
        ("fuse_new@FUSE_3.1", "fuse_new_31@@FUSE_3.1"),
        (
            "fuse_session_custom_io@FUSE_3.0",
            "fuse_session_custom_io_30@@FUSE_3.17",
        ),
        (
            "fuse_session_custom_io@@FUSE_3.17",
            "fuse_session_custom_io_317@@FUSE_3.17",
        ),
    ] {
        assert_eq!(addr(a), addr(b), "{a} should alias {b}");
    }
}

/// `LD_LIBRARY_PATH=<ours> ldd bin`: libfuse3 must come from our directory,
/// and ld.so must not complain about any version.
fn assert_ldd_resolves_to_us(bin: &Path) {
    let out = Command::new("ldd")
        .arg(bin)
        .env("LD_LIBRARY_PATH", lib_dir())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "ldd {}: {text}", bin.display());
    let fuse_line = text
        .lines()
        .find(|l| l.contains("libfuse3.so"))
        .unwrap_or_else(|| panic!("{} does not use libfuse3:\n{text}", bin.display()));
    assert!(
        fuse_line.contains(lib_dir().to_str().unwrap()),
        "{}: libfuse3 not taken from ferrofuse: {fuse_line}",
        bin.display()
    );
    assert!(!text.contains("not found"), "{}:\n{text}", bin.display());
    assert!(
        !text.contains("no version information"),
        "{}:\n{text}",
        bin.display()
    );
    // ldd -r also resolves every function relocation.
    let out = Command::new("ldd")
        .arg("-r")
        .arg(bin)
        .env("LD_LIBRARY_PATH", lib_dir())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        !text.contains("undefined symbol"),
        "{}:\n{text}",
        bin.display()
    );
}

/// Every example libfuse 3.14 ships, compiled against Debian's 3.14 headers
/// and linked against Debian's libfuse3.so.3, then pointed at ferrofuse.
#[test]
fn binaries_built_for_3_14_load_ferrofuse() {
    let src = libfuse_source(Suite::Bookworm);
    let dir = scratch("exports-314");
    let mut built = Vec::new();
    for name in [
        "hello_ll",
        "hello",
        "passthrough_ll",
        "passthrough_fh",
        "notify_inval_entry",
        "cuse",
        "null",
        "poll",
    ] {
        let out = dir.join(name);
        let c = src.join("example").join(format!("{name}.c"));
        let pc = run(Command::new("pkg-config")
            .args(["--cflags", "--libs", "fuse3"])
            .env("PKG_CONFIG_PATH", "/usr/lib/x86_64-linux-gnu/pkgconfig")
            .env_remove("PKG_CONFIG_LIBDIR"));
        let mut cmd = Command::new("cc");
        cmd.args(["-D_FILE_OFFSET_BITS=64", "-D_GNU_SOURCE", "-I"])
            .arg(src.join("example"))
            .arg(&c)
            .args(pc.split_whitespace())
            .arg("-o")
            .arg(&out);
        run(&mut cmd);
        built.push(out);
    }
    for b in &built {
        // Sanity: built against the real 3.14, i.e. it needs libfuse3.so.3.
        let needed = run(Command::new("readelf").arg("-d").arg(b));
        assert!(needed.contains("libfuse3.so.3"), "{}", b.display());
        assert_ldd_resolves_to_us(b);
    }
}

/// libfuse 3.18's own examples built in its own tree (they need libfuse3.so.4
/// and the FUSE_3.17/3.17.3/3.18 nodes), pointed at ferrofuse.
#[test]
fn binaries_built_for_3_18_load_ferrofuse() {
    let build = real_libfuse_build(Suite::Sid);
    let mut n = 0;
    for e in std::fs::read_dir(build.join("example")).unwrap() {
        let p: PathBuf = e.unwrap().path();
        let is_exe = p.is_file()
            && std::os::unix::fs::PermissionsExt::mode(&p.metadata().unwrap().permissions())
                & 0o111
                != 0;
        if !is_exe {
            continue;
        }
        let needed = run(Command::new("readelf").arg("-d").arg(&p));
        if !needed.contains("libfuse3.so.4") {
            continue; // the *_client programs do not use libfuse
        }
        assert_ldd_resolves_to_us(&p);
        n += 1;
    }
    assert!(
        n >= 15,
        "only {n} libfuse-linked examples in {}",
        build.display()
    );
}
