//! Every program in libfuse 3.18.3's and 3.14.0's `example/` compiles and
//! links, unmodified, against ferrofuse:
//!
//! (a) standalone, through our fuse3.pc (`pkg-config --cflags --libs fuse3`,
//!     plus the private fuse_config.h an example needs for its HAVE_* features);
//! (b) in libfuse's own example/ and test/ meson files, through meson-compat/.
//!
//! Each build is also done against real libfuse 3.18.3 (headers and library
//! from a `meson install` of the real build), and the outcomes must match
//! program by program: an expected failure is libfuse's own, not assumed.
//! Every binary that uses libfuse must load ferrofuse's library, never
//! Debian's /lib/x86_64-linux-gnu/libfuse3.so.3.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The private configuration of a standalone example build: the HAVE_*
/// defines the examples consult, true of Linux with glibc >= 2.28. Seen
/// through -DHAVE_LIBFUSE_PRIVATE_CONFIG_H (fuse_common.h includes it).
const FUSE_CONFIG_H: &str = "\
#define HAVE_COPY_FILE_RANGE 1
#define HAVE_FALLOCATE 1
#define HAVE_FDATASYNC 1
#define HAVE_FSTATAT 1
#define HAVE_LINUX_LIMITS_H 1
#define HAVE_POSIX_FALLOCATE 1
#define HAVE_SETXATTR 1
#define HAVE_STATX 1
#define HAVE_SYS_XATTR_H 1
#define HAVE_UTIMENSAT 1
";

/// What libfuse's documented example build matrix says of one source tree
/// compiled against 3.18-compatible headers.
struct Expect {
    suite: Suite,
    version: &'static str,
    /// Programs in example/ (*.c and *.cc).
    programs: usize,
    /// Programs that include fuse_kernel.h, which libfuse does not install:
    /// they build only with the in-tree kernel header, as libfuse's own
    /// meson build gives it to them.
    in_tree: &'static [&'static str],
    /// Programs that do not compile, with a word the error must name.
    failing: &'static [(&'static str, &'static str)],
    /// Test programs in test/meson.build.
    test_programs: usize,
}

const V318: Expect = Expect {
    suite: Suite::Sid,
    version: "3.18.3",
    programs: 20,
    in_tree: &["hello_ll_uds"],
    failing: &[],
    test_programs: 10,
};

/// 3.14's notify_inval_entry passes 3.14's extra `flags` argument to
/// fuse_lowlevel_notify_expire_entry, which 3.18's headers dropped.
const V314: Expect = Expect {
    suite: Suite::Bookworm,
    version: "3.14.0",
    programs: 19,
    in_tree: &["hello_ll_uds"],
    failing: &[("notify_inval_entry", "fuse_lowlevel_notify_expire_entry")],
    test_programs: 5,
};

/// A scratch dir of this process: other `cargo test` runs in the same tree
/// must not wipe its builds. Dirs left by processes that are gone (a failed
/// run keeps its builds for a look) are removed on first use.
fn work_dir(name: &str) -> PathBuf {
    static PRUNE: OnceLock<()> = OnceLock::new();
    PRUNE.get_or_init(|| {
        let root = profile_dir().join("test-scratch");
        for e in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            let pid = n.rsplit_once('.').map(|(_, p)| p);
            if n.starts_with("examples-")
                && pid.is_some_and(|p| {
                    p.parse::<u32>().is_ok() && !Path::new("/proc").join(p).exists()
                })
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    });
    scratch(&format!("{name}.{}", std::process::id()))
}

/// A libfuse3 to build against: its fuse3.pc and what the .pc must point at.
struct Lib {
    name: &'static str,
    pc_dir: PathBuf,
    /// PKG_CONFIG_SYSROOT_DIR for a relocated install.
    sysroot: Option<PathBuf>,
    /// Headers dir (…/include/fuse3) and library dir the .pc must name.
    include: PathBuf,
    libdir: PathBuf,
}

fn ferrofuse() -> Lib {
    Lib {
        name: "ferrofuse",
        pc_dir: lib_dir().join("pkgconfig"),
        sysroot: None,
        include: include_dir(),
        libdir: lib_dir().to_path_buf(),
    }
}

/// Real libfuse 3.18.3 as installed: `meson install --destdir` of the real
/// build (headers, libfuse3.so.4, fuse3.pc), used through a sysroot.
fn real_libfuse() -> &'static Lib {
    static LIB: OnceLock<Lib> = OnceLock::new();
    LIB.get_or_init(|| {
        let build = real_libfuse_build(Suite::Sid);
        let dest = work_dir("examples-real-install");
        let script = format!(
            "exec 9>{lock} && flock 9 && meson install -C {b} --destdir {d} --no-rebuild --quiet",
            lock = cache_dir().join(".build.lock").display(),
            b = build.display(),
            d = dest.display(),
        );
        run(Command::new("sh").arg("-c").arg(script));
        let pc = find_file(&dest, "fuse3.pc").expect("meson install put no fuse3.pc");
        let var = |v: &str| {
            let out = run(Command::new("pkg-config")
                .args(["--variable", v, "fuse3"])
                .env("PKG_CONFIG_PATH", pc.parent().unwrap())
                .env_remove("PKG_CONFIG_SYSROOT_DIR"));
            dest.join(out.trim().trim_start_matches('/'))
        };
        Lib {
            name: "libfuse 3.18.3",
            pc_dir: pc.parent().unwrap().to_path_buf(),
            include: var("includedir").join("fuse3"),
            libdir: var("libdir"),
            sysroot: Some(dest),
        }
    })
}

fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.is_dir() && !p.is_symlink() {
            if let Some(f) = find_file(&p, name) {
                return Some(f);
            }
        } else if e.file_name() == name {
            return Some(p);
        }
    }
    None
}

/// `pkg-config --cflags --libs fuse3` for `lib`, checked to name its dirs
/// (so that Debian's own fuse3.pc cannot stand in).
fn pkg_config_flags(lib: &Lib) -> Vec<String> {
    let mut cmd = Command::new("pkg-config");
    cmd.args(["--cflags", "--libs", "fuse3"])
        .env("PKG_CONFIG_PATH", &lib.pc_dir);
    match &lib.sysroot {
        Some(s) => cmd.env("PKG_CONFIG_SYSROOT_DIR", s),
        None => cmd.env_remove("PKG_CONFIG_SYSROOT_DIR"),
    };
    let out = run(&mut cmd);
    let flags: Vec<String> = out.split_whitespace().map(String::from).collect();
    let want_i = format!("-I{}", lib.include.display());
    let want_l = format!("-L{}", lib.libdir.display());
    assert!(
        flags.contains(&want_i) && flags.contains(&want_l),
        "{}'s fuse3.pc gives `{}`, expected {want_i} and {want_l}",
        lib.name,
        out.trim()
    );
    flags
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Outcome {
    /// Built with fuse3.pc's flags alone.
    Standalone,
    /// Needed the in-tree fuse_kernel.h, then built.
    InTree,
    Failed,
}

/// example/'s programs: (name, source), sorted.
fn example_programs(src: &Path) -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(src.join("example"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("c" | "cc")))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    v.sort();
    v
}

/// Compiles and links one example; Err(stderr) on failure.
fn compile(src: &Path, out: &Path, flags: &[String], incs: &[&Path]) -> Result<(), String> {
    let cxx = src.extension().is_some_and(|e| e == "cc");
    let mut cmd = Command::new(if cxx { "c++" } else { "cc" });
    if cxx {
        cmd.arg("-std=c++20");
    }
    cmd.args(["-Wall", "-O0", "-DHAVE_LIBFUSE_PRIVATE_CONFIG_H"]);
    for i in incs {
        cmd.arg("-I").arg(i);
    }
    cmd.arg(src).args(flags).arg("-o").arg(out);
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?}\n{}",
            String::from_utf8_lossy(&o.stderr).trim_end()
        ))
    }
}

/// Builds every example of `src` standalone against `lib` into `out`.
fn standalone_builds(
    src: &Path,
    lib: &Lib,
    out: &Path,
    cfg: &Path,
    kernel: &Path,
) -> BTreeMap<String, (Outcome, String)> {
    std::fs::create_dir_all(out).unwrap();
    let flags = pkg_config_flags(lib);
    let mut res = BTreeMap::new();
    for (name, file) in example_programs(src) {
        let bin = out.join(&name);
        let r = match compile(&file, &bin, &flags, &[cfg]) {
            Ok(()) => (Outcome::Standalone, String::new()),
            Err(e) if e.contains("fuse_kernel.h: No such file") => {
                match compile(&file, &bin, &flags, &[cfg, kernel]) {
                    Ok(()) => (Outcome::InTree, e),
                    Err(e2) => (
                        Outcome::Failed,
                        format!("{e}\n--- with fuse_kernel.h:\n{e2}"),
                    ),
                }
            }
            Err(e) => (Outcome::Failed, e),
        };
        res.insert(name, r);
    }
    res
}

/// The canonical path of the library this test run built.
fn our_library() -> PathBuf {
    std::fs::canonicalize(profile_dir().join("libfuse3.so")).unwrap()
}

/// Undefined dynamic symbols of `bin`.
fn imports(bin: &Path) -> Vec<String> {
    run(Command::new("nm").args(["-D", "--undefined-only"]).arg(bin))
        .lines()
        .filter_map(|l| l.split_whitespace().last().map(String::from))
        .collect()
}

/// The libfuse symbols (name@version) `bin` imports.
fn fuse_imports(bin: &Path) -> Vec<String> {
    let mut v: Vec<String> = imports(bin)
        .into_iter()
        .filter(|s| s.starts_with("fuse_") || s.starts_with("cuse_"))
        .collect();
    v.sort();
    v
}

/// Our headers must route every call to the same versioned symbol as
/// libfuse 3.18.3's: compares the imports of each program built both ways.
fn assert_same_imports<'a>(pairs: impl Iterator<Item = (&'a str, PathBuf, PathBuf)>) -> usize {
    let mut diffs = Vec::new();
    let mut n = 0;
    for (name, ours, real) in pairs {
        let (a, b) = (fuse_imports(&ours), fuse_imports(&real));
        if a != b {
            let only = |x: &[String], y: &[String]| -> Vec<String> {
                x.iter().filter(|s| !y.contains(s)).cloned().collect()
            };
            diffs.push(format!(
                "{name}: only with ferrofuse's headers {:?}, only with libfuse's {:?}",
                only(&a, &b),
                only(&b, &a)
            ));
        }
        n += 1;
    }
    assert!(
        diffs.is_empty(),
        "programs bind to other libfuse symbols than with libfuse 3.18.3's headers:\n{}",
        diffs.join("\n")
    );
    n
}

/// Checks that `bin`, if it uses libfuse, needs libfuse3.so.3 and that the
/// dynamic loader resolves it to ferrofuse's library (with LD_LIBRARY_PATH
/// `ld_path`, or none: then RUNPATH must do it). Returns whether it does.
fn assert_loads_ferrofuse(bin: &Path, ld_path: Option<&Path>) -> bool {
    let dynamic = run(Command::new("readelf").arg("-d").arg(bin));
    let needed: Vec<&str> = dynamic
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| l.split('[').nth(1)?.split(']').next())
        .collect();
    let uses = imports(bin)
        .iter()
        .any(|s| s.starts_with("fuse_") || s.starts_with("cuse_"));
    let links = needed.iter().any(|n| n.starts_with("libfuse"));
    if uses {
        assert!(
            needed.contains(&"libfuse3.so.3"),
            "{} uses libfuse but NEEDs {needed:?}",
            bin.display()
        );
    }
    if !links {
        return false;
    }
    assert!(
        needed
            .iter()
            .all(|n| !n.starts_with("libfuse") || *n == "libfuse3.so.3"),
        "{}: NEEDED {needed:?}",
        bin.display()
    );
    let mut cmd = Command::new("ldd");
    cmd.arg(bin).env_remove("LD_LIBRARY_PATH");
    if let Some(p) = ld_path {
        cmd.env("LD_LIBRARY_PATH", p);
    }
    let ldd = run(&mut cmd);
    let line = ldd
        .lines()
        .find(|l| l.trim_start().starts_with("libfuse3.so"))
        .unwrap_or_else(|| panic!("ldd {}: no libfuse3 line:\n{ldd}", bin.display()));
    let path = line
        .split("=>")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("ldd {}: {line}", bin.display()));
    let resolved = std::fs::canonicalize(path)
        .unwrap_or_else(|e| panic!("ldd {}: {line}: {e}", bin.display()));
    assert_eq!(
        resolved,
        our_library(),
        "{} loads {line} ({}), not ferrofuse",
        bin.display(),
        resolved.display()
    );
    true
}

/// The private config reached the examples: these calls are compiled only
/// under HAVE_SETXATTR / HAVE_STATX.
fn assert_private_config_seen(dir: &Path, e: &Expect) {
    let hp = imports(&dir.join("passthrough_hp"));
    assert!(
        hp.iter().any(|s| s.starts_with("fuse_reply_xattr@")),
        "{} passthrough_hp was built without HAVE_SETXATTR (fuse_config.h not seen)",
        e.version
    );
    if e.version.starts_with("3.18") {
        let ll = imports(&dir.join("passthrough_ll"));
        assert!(
            ll.iter().any(|s| s.starts_with("fuse_reply_statx@")),
            "{} passthrough_ll was built without HAVE_STATX (fuse_config.h not seen)",
            e.version
        );
    }
}

fn check_standalone(e: &Expect) {
    let src = libfuse_source(e.suite);
    let dir = work_dir(&format!("examples-pc-{}", e.version));
    let cfg = dir.join("config");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(cfg.join("fuse_config.h"), FUSE_CONFIG_H).unwrap();
    // What libfuse's in-tree build has on its include path and installs nowhere.
    let kernel = dir.join("kernel");
    std::fs::create_dir_all(&kernel).unwrap();
    std::os::unix::fs::symlink(
        src.join("include/fuse_kernel.h"),
        kernel.join("fuse_kernel.h"),
    )
    .unwrap();

    let programs = example_programs(&src);
    assert_eq!(
        programs.len(),
        e.programs,
        "{} example/ programs: {:?}",
        e.version,
        programs.iter().map(|p| &p.0).collect::<Vec<_>>()
    );
    let expected = |name: &str| {
        if e.in_tree.contains(&name) {
            Outcome::InTree
        } else if e.failing.iter().any(|f| f.0 == name) {
            Outcome::Failed
        } else {
            Outcome::Standalone
        }
    };

    // Real libfuse first: the documented matrix must hold for libfuse itself.
    let real = standalone_builds(&src, real_libfuse(), &dir.join("real"), &cfg, &kernel);
    for (name, (got, err)) in &real {
        assert_eq!(
            *got,
            expected(name),
            "with libfuse 3.18.3's own headers, {} example {name}:\n{err}",
            e.version
        );
    }

    let ours_dir = dir.join("ferrofuse");
    let ours = standalone_builds(&src, &ferrofuse(), &ours_dir, &cfg, &kernel);
    let mut problems = Vec::new();
    for (name, (got, err)) in &ours {
        if *got != real[name].0 {
            problems.push(format!(
                "== {} example {name}: {got:?} with ferrofuse, {:?} with libfuse 3.18.3\n{err}",
                e.version, real[name].0
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} {} examples build differently against ferrofuse's headers:\n{}",
        problems.len(),
        ours.len(),
        e.version,
        problems.join("\n")
    );
    for (name, why) in e.failing {
        let err = &ours[*name].1;
        assert!(
            err.contains(why),
            "{name} fails, but not over {why}:\n{err}"
        );
    }

    let mut built = 0;
    let mut loading = 0;
    for (name, (got, _)) in &ours {
        if *got != Outcome::Failed {
            built += 1;
            if assert_loads_ferrofuse(&ours_dir.join(name), Some(lib_dir())) {
                loading += 1;
            }
        }
    }
    assert_private_config_seen(&ours_dir, e);
    let same = assert_same_imports(ours.iter().filter(|r| r.1 .0 != Outcome::Failed).map(
        |(name, _)| {
            (
                name.as_str(),
                ours_dir.join(name),
                dir.join("real").join(name),
            )
        },
    ));

    let count = |o: Outcome| ours.values().filter(|r| r.0 == o).count();
    let (standalone, in_tree, failed) = (
        count(Outcome::Standalone),
        count(Outcome::InTree),
        count(Outcome::Failed),
    );
    assert_eq!(standalone + in_tree, e.programs - e.failing.len());
    eprintln!(
        "libfuse {} example/ through fuse3.pc: {} programs: {standalone} built standalone, \
         {in_tree} built with the in-tree fuse_kernel.h only ({}), {failed} fail as with \
         libfuse 3.18.3's headers ({}); of the {built} built, {loading} link libfuse and \
         load ferrofuse, {} use no libfuse; all {same} import the same name@version \
         set as with libfuse's headers",
        e.version,
        e.programs,
        e.in_tree.join(", "),
        e.failing.iter().map(|f| f.0).collect::<Vec<_>>().join(", "),
        built - loading
    );
    // Passed: nothing to look at.
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn examples_3_18_build_through_fuse3_pc() {
    check_standalone(&V318);
}

#[test]
fn examples_3_14_build_through_fuse3_pc() {
    check_standalone(&V314);
}

/// A directory meson-compat/setup.sh accepts for real libfuse 3.18.3: its
/// library and a fuse3.pc naming the installed headers.
fn real_libfuse_for_meson() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let real = real_libfuse();
        let dir = work_dir("examples-real-meson-lib");
        std::fs::create_dir_all(dir.join("pkgconfig")).unwrap();
        for n in ["libfuse3.so", "libfuse3.so.4"] {
            std::os::unix::fs::symlink(real.libdir.join(n), dir.join(n)).unwrap();
        }
        let pc = format!(
            "includedir={}\nlibdir={}\n\nName: fuse3\nDescription: libfuse 3.18.3 (real)\n\
             Version: 3.18.3\nLibs: -L${{libdir}} -lfuse3 -lpthread\nCflags: -I${{includedir}}/fuse3\n",
            real.include.parent().unwrap().display(),
            dir.display()
        );
        std::fs::write(dir.join("pkgconfig/fuse3.pc"), pc).unwrap();
        dir
    })
}

/// meson-compat/setup.sh + ninja for `src` against the library in `libdir`.
/// Returns the build dir, the programs meson defines (path in the build dir
/// → built?) and ninja's output.
fn meson_build(src: &Path, libdir: &Path, name: &str) -> (PathBuf, BTreeMap<String, bool>, String) {
    let build = work_dir(name).join("build");
    run(Command::new(top().join("meson-compat/setup.sh"))
        .arg(src)
        .arg(&build)
        .arg(libdir)
        .args([
            "-Denable-custom-io=true",
            "-Doptimization=0",
            "-Ddebug=false",
        ])
        .env_remove("PKG_CONFIG_PATH")
        .env_remove("PKG_CONFIG_SYSROOT_DIR"));
    let out = Command::new("ninja")
        .args(["-j2", "-k", "0", "-C"])
        .arg(&build)
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let targets = run(Command::new("ninja")
        .arg("-C")
        .arg(&build)
        .args(["-t", "targets", "all"]));
    let programs: BTreeMap<String, bool> = targets
        .lines()
        .filter_map(|l| {
            l.strip_suffix(": c_LINKER")
                .or(l.strip_suffix(": cpp_LINKER"))
        })
        .map(|p| (p.to_string(), build.join(p).is_file()))
        .collect();
    (build, programs, log)
}

fn check_meson(e: &Expect) {
    let src = libfuse_source(e.suite);
    let expected_failed: Vec<String> = e
        .failing
        .iter()
        .map(|f| format!("example/{}", f.0))
        .collect();
    let failed = |p: &BTreeMap<String, bool>| -> Vec<String> {
        p.iter().filter(|e| !e.1).map(|e| e.0.clone()).collect()
    };

    let (real_build, real, real_log) = meson_build(
        &src,
        real_libfuse_for_meson(),
        &format!("examples-meson-{}-real", e.version),
    );
    assert_eq!(
        failed(&real),
        expected_failed,
        "meson-compat with libfuse 3.18.3 itself, {}:\n{real_log}",
        e.version
    );

    let (build, ours, log) = meson_build(
        &src,
        lib_dir(),
        &format!("examples-meson-{}-ferrofuse", e.version),
    );
    let examples = ours.keys().filter(|p| p.starts_with("example/")).count();
    let tests = ours.keys().filter(|p| p.starts_with("test/")).count();
    assert_eq!(
        (examples, tests),
        (e.programs, e.test_programs),
        "{} programs: {:?}",
        e.version,
        ours.keys()
    );
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        real.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        failed(&ours),
        failed(&real),
        "meson-compat, {}: ferrofuse's headers fail where libfuse 3.18.3's do not:\n{log}",
        e.version
    );
    for (name, why) in e.failing {
        assert!(
            log.contains(why),
            "{name} fails, but not over {why}:\n{log}"
        );
    }

    let config = std::fs::read_to_string(build.join("fuse_config.h")).unwrap();
    for d in [
        "HAVE_STATX",
        "HAVE_UTIMENSAT",
        "HAVE_SETXATTR",
        "HAVE_CUSTOM_IO",
    ] {
        assert!(config.contains(&format!("#define {d}")), "{d}:\n{config}");
    }
    let mut loading = 0;
    for (p, built) in &ours {
        if *built && assert_loads_ferrofuse(&build.join(p), None) {
            loading += 1;
        }
    }
    assert_private_config_seen(&build.join("example"), e);
    let same = assert_same_imports(
        ours.iter()
            .filter(|p| *p.1)
            .map(|(p, _)| (p.as_str(), build.join(p), real_build.join(p))),
    );
    let built = ours.values().filter(|b| **b).count();
    eprintln!(
        "libfuse {} through meson-compat: {} programs ({examples} in example/, {tests} in test/): \
         {built} built, {} fail as with libfuse 3.18.3 ({}); {loading} link libfuse and load \
         ferrofuse through RUNPATH, {} use no libfuse; all {same} import the same name@version \
         set as with libfuse's headers",
        e.version,
        ours.len(),
        ours.len() - built,
        expected_failed.join(", "),
        built - loading
    );
    for b in [&build, &real_build] {
        let _ = std::fs::remove_dir_all(b.parent().unwrap());
    }
}

#[test]
fn examples_and_tests_3_18_build_through_meson_compat() {
    check_meson(&V318);
}

#[test]
fn examples_and_tests_3_14_build_through_meson_compat() {
    check_meson(&V314);
}
