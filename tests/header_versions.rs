//! Source compatibility of our headers at every FUSE_USE_VERSION libfuse
//! 3.18.3 accepts (30-39, the two-digit spelling, and 310-318).
//!
//! `capi-tests/header_api.c` uses the version-dependent API the way a
//! program of each version does and references every declared function; it
//! must build with -Wall -Wextra -Werror as C (gnu11 and c99) and as C++20
//! and link against our library. Then:
//!
//! * the calls must bind to libfuse's versioned entry points
//!   (fuse_session_loop_mt_31@FUSE_3.2 at 31, fuse_loop_mt_32@FUSE_3.12 at
//!   32-311, fuse_session_new_versioned@FUSE_3.17, ...): checked exactly,
//!   symbol by symbol;
//! * built against real libfuse 3.18.3 (its headers and library), the same
//!   program must import the very same `name@version` set, and its C++
//!   build must print the same constants (value and type) and the same
//!   types of every function, typedef and struct member;
//! * each header included on its own must declare the same prototypes
//!   (`cc -aux-info`) as libfuse 3.18.3's;
//! * libfuse's own examples (memfs_ll.cc and passthrough_hp.cc in C++20
//!   too) compile with -Wall -Wextra without a diagnostic in our headers.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Every FUSE_USE_VERSION libfuse 3.18.3's headers are meant for.
fn versions() -> Vec<u32> {
    (30..=39).chain(310..=318).collect()
}

/// The language modes the probe is compiled in.
const LANGS: &[(&str, &[&str])] = &[
    ("gnu11", &["-x", "c", "-std=gnu11"]),
    ("c99", &["-x", "c", "-std=c99"]),
    ("cxx20", &["-x", "c++", "-std=c++20"]),
];

/// One set of headers and the library to link with them.
struct Api {
    name: &'static str,
    includes: Vec<PathBuf>,
    libdir: PathBuf,
}

fn ours() -> Api {
    Api {
        name: "ours",
        includes: vec![include_dir()],
        libdir: lib_dir().to_path_buf(),
    }
}

/// The libfuse_config.h that libfuse 3.18.3's meson build generates.
const LIBFUSE_318_CONFIG: &str = "#pragma once
#define FUSE_MAJOR_VERSION 3
#define FUSE_MINOR_VERSION 18
#define FUSE_HOTFIX_VERSION 3
#define FUSE_RC_VERSION
#define LIBFUSE_BUILT_WITH_VERSIONED_SYMBOLS 1
";

/// Real libfuse 3.18.3: its headers (from the source package, plus the
/// generated libfuse_config.h) and the library of its own build.
fn real() -> Api {
    let src = libfuse_source(Suite::Sid);
    let build = real_libfuse_build(Suite::Sid);
    let cfg = scratch("header_versions-real-config");
    std::fs::write(cfg.join("libfuse_config.h"), LIBFUSE_318_CONFIG).unwrap();
    Api {
        name: "libfuse-3.18.3",
        includes: vec![src.join("include"), cfg],
        libdir: build.join("lib"),
    }
}

/// Compiles and links the probe; returns the executable.
fn build(api: &Api, v: u32, lang: &str, flags: &[&str], out_dir: &Path, extra: &[&str]) -> PathBuf {
    let exe = out_dir.join(format!("{lang}{}", extra.join("")));
    let compiler = if flags.contains(&"c++") { "c++" } else { "cc" };
    let mut cmd = c_compiler(compiler);
    cmd.arg(format!("-DFUSE_USE_VERSION={v}")).args(extra);
    for i in &api.includes {
        cmd.arg("-I").arg(i);
    }
    cmd.args(flags)
        .arg(top().join("capi-tests/header_api.c"))
        .args(["-x", "none", "-o"])
        .arg(&exe)
        .arg("-L")
        .arg(&api.libdir)
        .args(["-lfuse3", "-lpthread"]);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{} headers, FUSE_USE_VERSION={v}, {lang} {extra:?}: build failed\n{:?}\n{}",
        api.name,
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// The libfuse symbols an executable imports, as `name@version`.
fn imports(exe: &Path) -> BTreeSet<String> {
    run(Command::new("nm").args(["-D", "--undefined-only"]).arg(exe))
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|s| s.contains("@FUSE_"))
        .map(str::to_string)
        .collect()
}

/// What the probe prints when run against its own library.
fn table(api: &Api, exe: &Path) -> String {
    run(Command::new(exe).env("LD_LIBRARY_PATH", &api.libdir))
}

/// Runs `f` for every version on a few threads; panics list every failure.
fn for_each_version(f: impl Fn(u32) + Sync) {
    let queue = Mutex::new(versions());
    let failures = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let Some(v) = queue.lock().unwrap().pop() else {
                    break;
                };
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(v)));
                if let Err(e) = r {
                    let msg = e
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("FUSE_USE_VERSION={v}: {msg}"));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Exactly what exercise() imports at FUSE_USE_VERSION `v`, following
/// libfuse-abi.md §1 (3.18.3 headers, LIBFUSE_BUILT_WITH_VERSIONED_SYMBOLS).
fn expected_exercise_imports(v: u32) -> BTreeSet<String> {
    let mut s: BTreeSet<String> = [
        // fuse_parse_cmdline is declared plainly: the default version.
        "fuse_parse_cmdline@FUSE_3.12",
        // the inline wrappers pass the headers' version along
        "fuse_session_new_versioned@FUSE_3.17",
        "fuse_main_real_versioned@FUSE_3.17",
        // fuse_session_custom_io() is inline at every version
        "fuse_session_custom_io_317@FUSE_3.17",
        // the 3.18 four-argument form, same symbol as 3.14's
        "fuse_lowlevel_notify_expire_entry@FUSE_3.12",
        // fuse_main_real() is an inline that logs
        "fuse_log@FUSE_3.7",
        "fuse_session_destroy@FUSE_3.0",
        "fuse_destroy@FUSE_3.0",
        "fuse_fs_ioctl@FUSE_3.0",
        "cuse_lowlevel_main@FUSE_3.0",
        "fuse_opt_free_args@FUSE_3.0",
        // called by the callbacks
        "fuse_set_feature_flag@FUSE_3.17.3",
        "fuse_reply_entry@FUSE_3.0",
        "fuse_reply_open@FUSE_3.0",
        "fuse_reply_ioctl@FUSE_3.0",
        "fuse_reply_err@FUSE_3.0",
        "fuse_passthrough_open@FUSE_3.17",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let mut add = |name: &str| s.insert(name.to_string());
    add(if v == 30 {
        "_fuse_new_30@FUSE_3.17"
    } else {
        "_fuse_new_31@FUSE_3.17"
    });
    if v < 32 {
        add("fuse_session_loop_mt_31@FUSE_3.2");
        add("fuse_loop_mt_31@FUSE_3.2");
    } else if v < 312 {
        add("fuse_session_loop_mt_32@FUSE_3.2");
        // not FUSE_3.2: libfuse put this one in the 3.12 node
        add("fuse_loop_mt_32@FUSE_3.12");
    } else {
        add("fuse_session_loop_mt@FUSE_3.12");
        add("fuse_loop_mt@FUSE_3.12");
        for f in [
            "create",
            "destroy",
            "set_idle_threads",
            "set_max_threads",
            "set_clone_fd",
            "convert",
        ] {
            add(&format!("fuse_loop_cfg_{f}@FUSE_3.12"));
        }
    }
    s
}

fn show(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(" ")
}

fn assert_same_set(what: &str, got: &BTreeSet<String>, want: &BTreeSet<String>) {
    let missing: BTreeSet<_> = want.difference(got).cloned().collect();
    let extra: BTreeSet<_> = got.difference(want).cloned().collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}:\n  missing: {}\n  extra: {}",
        show(&missing),
        show(&extra)
    );
}

#[test]
fn version_dependent_calls_bind_to_the_right_symbols() {
    let api = ours();
    for_each_version(|v| {
        let dir = scratch(&format!("header_versions-bind-{v}"));
        for (lang, flags) in LANGS {
            let exe = build(&api, v, lang, flags, &dir, &["-DEXERCISE_ONLY"]);
            assert_same_set(
                &format!("exercise() in {lang}"),
                &imports(&exe),
                &expected_exercise_imports(v),
            );
        }
    });
}

#[test]
fn same_api_as_libfuse_3_18_3_at_every_version() {
    let ours = ours();
    let real = real();
    for_each_version(|v| {
        let mut tables = Vec::new();
        for api in [&ours, &real] {
            let dir = scratch(&format!("header_versions-{}-{v}", api.name));
            let mut per_lang = Vec::new();
            for (lang, flags) in LANGS {
                let exe = build(api, v, lang, flags, &dir, &[]);
                let only = build(api, v, lang, flags, &dir, &["-DEXERCISE_ONLY"]);
                let printed = table(api, &exe);
                per_lang.push((*lang, imports(&exe), imports(&only), printed));
            }
            tables.push(per_lang);
        }
        for ((lang, ours_all, ours_only, ours_table), (_, real_all, real_only, real_table)) in
            tables[0].iter().zip(&tables[1])
        {
            assert_same_set(
                &format!("{lang}: imports of the whole API"),
                ours_all,
                real_all,
            );
            assert_same_set(
                &format!("{lang}: imports of exercise()"),
                ours_only,
                real_only,
            );
            if ours_table != real_table {
                let diff: Vec<_> = ours_table
                    .lines()
                    .zip(real_table.lines())
                    .filter(|(a, b)| a != b)
                    .map(|(a, b)| format!("ours: {a}\n  real: {b}"))
                    .collect();
                panic!(
                    "{lang}: constants/types differ ({} vs {} lines):\n  {}",
                    ours_table.lines().count(),
                    real_table.lines().count(),
                    diff.join("\n  ")
                );
            }
        }
        // The C++ table really lists the types (not just the C values).
        let cxx = &tables[0][2].3;
        assert!(
            cxx.contains("member struct fuse_lowlevel_ops.ioctl "),
            "{cxx}"
        );
        assert!(cxx.contains("fn fuse_session_new_fn "), "{cxx}");
    });
}

/// The prototypes `cc -aux-info` lists for a file that includes `header`
/// alone (libfuse's and the system's), without their source locations.
fn prototypes(api: &Api, header: &str, v: u32, dir: &Path) -> BTreeSet<String> {
    let src = dir.join(format!("only-{header}.c"));
    let out = dir.join(format!("only-{header}.aux"));
    std::fs::write(&src, format!("#include <{header}>\n")).unwrap();
    let mut cmd = Command::new("cc");
    cmd.args(["-fsyntax-only", "-Wall", "-Wextra", "-Werror"])
        .args(["-D_FILE_OFFSET_BITS=64", "-D_GNU_SOURCE"])
        .arg(format!("-DFUSE_USE_VERSION={v}"));
    for i in &api.includes {
        cmd.arg("-I").arg(i);
    }
    cmd.arg("-aux-info").arg(&out).arg(&src);
    run(&mut cmd);
    std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| match l.split_once("*/ ") {
            Some((_, decl)) if l.starts_with("/*") => decl.to_string(),
            _ => l.to_string(),
        })
        .collect()
}

/// Each public header on its own declares the same functions, with the
/// same prototypes, as libfuse 3.18.3's: a program that includes only
/// fuse_lowlevel.h sees exactly what it would see with libfuse.
#[test]
fn each_header_declares_what_libfuses_declares() {
    let ours = ours();
    let src = libfuse_source(Suite::Sid);
    let cfg = scratch("header_versions-aux-config");
    std::fs::write(cfg.join("libfuse_config.h"), LIBFUSE_318_CONFIG).unwrap();
    let real = Api {
        name: "libfuse-3.18.3",
        includes: vec![src.join("include"), cfg],
        libdir: PathBuf::new(),
    };
    for_each_version(|v| {
        let dir = scratch(&format!("header_versions-aux-{v}"));
        for header in ["fuse_lowlevel.h", "fuse.h", "cuse_lowlevel.h"] {
            let got = prototypes(&ours, header, v, &dir);
            let want = prototypes(&real, header, v, &dir);
            assert!(
                got.iter().any(|p| p.contains(" fuse_version ")),
                "{header}: no libfuse prototypes seen"
            );
            assert_same_set(&format!("prototypes seen through {header}"), &got, &want);
        }
    });
}

/// libfuse 3.18.3's example programs (C, and the C++20 memfs_ll.cc and
/// passthrough_hp.cc) compile against our headers with -Wall -Wextra, and
/// no diagnostic points into our headers. (tests/examples.rs builds and
/// links them in full; this is about warnings.)
#[test]
fn libfuse_examples_compile_without_warnings_from_our_headers() {
    let example = libfuse_source(Suite::Sid).join("example");
    let dir = scratch("header_versions-examples");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&example)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            let name = p.file_stem().and_then(|n| n.to_str()).unwrap_or("");
            // hello_ll_uds needs libfuse's uninstalled fuse_kernel.h; the
            // *_client programs do not use libfuse.
            (ext == "c" || ext == "cc") && name != "hello_ll_uds" && !name.ends_with("_client")
        })
        .collect();
    sources.sort();
    assert!(sources.len() >= 16, "{sources:?}");
    let ours = include_dir();
    for src in &sources {
        let cxx = src.extension().is_some_and(|e| e == "cc");
        let mut cmd = Command::new(if cxx { "c++" } else { "cc" });
        if cxx {
            cmd.arg("-std=c++20");
        }
        cmd.args(["-c", "-Wall", "-Wextra", "-D_FILE_OFFSET_BITS=64", "-I"])
            .arg(&ours)
            .arg("-I")
            .arg(&example)
            .arg(src)
            .arg("-o")
            .arg(dir.join("out.o"));
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {stderr}", src.display());
        let ours_text = ours.display().to_string();
        let from_ours: Vec<_> = stderr.lines().filter(|l| l.contains(&ours_text)).collect();
        assert!(
            from_ours.is_empty(),
            "{}: diagnostics in our headers:\n{}",
            src.display(),
            from_ours.join("\n")
        );
    }
}
