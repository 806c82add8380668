//! Shared helpers of the integration tests: where the freshly built library
//! is, how to compile C against it, and libfuse's sources for comparison.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn top() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile>: the directory holding the cdylib cargo built for this run.
pub fn profile_dir() -> PathBuf {
    // The test binary lives in target/<profile>/deps/.
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// A directory for LD_LIBRARY_PATH and -L holding libfuse3.so, .so.3 and .so.4
/// (links to the cdylib of the current sources), and pkgconfig/fuse3.pc for
/// it. Made once per test process.
pub fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let prof = profile_dir();
        // `cargo test` builds the crate only as an rlib (tests unwind, the
        // cdylib aborts), so bring the cdylib up to date for the C programs.
        let mut cargo = Command::new(env!("CARGO"));
        cargo.args(["build", "--lib"]).current_dir(top());
        if prof.file_name().is_some_and(|n| n == "release") {
            cargo.arg("--release");
        }
        run(&mut cargo);
        let so = prof.join("libfuse3.so");
        assert!(
            so.exists(),
            "{} missing: cargo did not build the cdylib",
            so.display()
        );
        let dir = prof.join("ferrofuse-lib");
        std::fs::create_dir_all(dir.join("pkgconfig")).unwrap();
        for name in ["libfuse3.so", "libfuse3.so.3", "libfuse3.so.4"] {
            replace_symlink(&so, &dir.join(name));
        }
        let pc = std::fs::read_to_string(top().join("pkgconfig/fuse3.pc.in"))
            .unwrap()
            .replace("@prefix@", &top().display().to_string())
            .replace("@includedir@", &top().join("include").display().to_string())
            .replace("@libdir@", &dir.display().to_string())
            .replace("@version@", "3.18.3");
        write_atomic(&dir.join("pkgconfig/fuse3.pc"), pc.as_bytes());
        write_atomic(&dir.join("pkgconfig/fuse3-uninstalled.pc"), pc.as_bytes());
        dir
    })
}

/// Our public headers' directory (what `pkg-config --cflags fuse3` gives).
pub fn include_dir() -> PathBuf {
    top().join("include/fuse3")
}

/// A scratch directory for one test, under target/, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let d = profile_dir().join("test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn replace_symlink(target: &Path, link: &Path) {
    let tmp = link.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).unwrap();
    std::fs::rename(&tmp, link).unwrap();
}

pub fn write_atomic(path: &Path, data: &[u8]) {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, data).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Runs a command, panicking with its output if it fails; returns stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A C (or C++) compiler command with the flags every C test uses:
/// warnings as errors, 64-bit off_t, GNU extensions.
pub fn c_compiler(compiler: &str) -> Command {
    let mut cmd = Command::new(compiler);
    cmd.args([
        "-Wall",
        "-Wextra",
        "-Werror",
        "-D_FILE_OFFSET_BITS=64",
        "-D_GNU_SOURCE",
    ]);
    cmd
}

/// Compiles C sources into `out`, against our headers and library.
pub fn cc_ferrofuse(srcs: &[&Path], out: &Path, extra: &[&str]) {
    let mut cmd = Command::new("cc");
    cmd.args(["-Wall", "-D_FILE_OFFSET_BITS=64", "-D_GNU_SOURCE", "-I"])
        .arg(include_dir())
        .args(srcs)
        .args(extra)
        .arg("-o")
        .arg(out)
        .arg("-L")
        .arg(lib_dir())
        .args(["-lfuse3", "-lpthread"]);
    run(&mut cmd);
}

/// Where libfuse's Debian source packages are unpacked, fetched once and
/// kept between runs (FERROFUSE_CACHE, default target/libfuse-src).
pub fn cache_dir() -> PathBuf {
    std::env::var_os("FERROFUSE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| top().join("target/libfuse-src"))
}

/// libfuse's Debian sources: bookworm has 3.14.0, sid 3.18.x.
#[derive(Clone, Copy, Debug)]
pub enum Suite {
    Bookworm,
    Sid,
}

impl Suite {
    pub fn name(self) -> &'static str {
        match self {
            Suite::Bookworm => "bookworm",
            Suite::Sid => "sid",
        }
    }
}

/// The unpacked source tree of libfuse from `suite`, fetched with `apt-get
/// source` on first use and kept (needs the deb-src entries tools/setup.sh
/// adds). Serialised across test processes by flock.
pub fn libfuse_source(suite: Suite) -> PathBuf {
    let dir = cache_dir().join(suite.name());
    std::fs::create_dir_all(&dir).unwrap();
    let script = format!(
        "exec 9>.lock && flock 9 && \
         if ! ls -d fuse3-*/meson.build >/dev/null 2>&1; then \
           rm -rf fuse3[-_]* && apt-get source -q fuse3/{suite} >/dev/null 2>&1 || \
           {{ echo 'apt-get source fuse3/{suite} failed: run tools/setup.sh' >&2; exit 1; }}; \
         fi && ls -d fuse3-*/ | head -n1",
        suite = suite.name()
    );
    let out = run(Command::new("sh").arg("-c").arg(&script).current_dir(&dir));
    let tree = dir.join(out.trim().trim_end_matches('/'));
    assert!(
        tree.join("meson.build").exists(),
        "no libfuse tree in {}",
        dir.display()
    );
    tree
}

/// Real libfuse built from `suite`'s sources with meson (library, examples
/// and test programs; release build), once, kept under the cache. Returns
/// the meson build directory (lib/libfuse3.so.*, example/*, test/*).
pub fn real_libfuse_build(suite: Suite) -> PathBuf {
    let src = libfuse_source(suite);
    let build = cache_dir().join(format!("build-{}", suite.name()));
    let script = format!(
        "exec 9>{lock} && flock 9 && \\
         if [ ! -f {b}/.ferrofuse-done ]; then \\
           rm -rf {b} && \\
           meson setup {b} {src} -Dutils=false -Dexamples=true -Dtests=true \\
             --buildtype=release >{b}.log 2>&1 && ninja -C {b} >>{b}.log 2>&1 && \\
           touch {b}/.ferrofuse-done || {{ tail -n 30 {b}.log >&2; exit 1; }}; \\
         fi",
        lock = cache_dir().join(".build.lock").display(),
        b = build.display(),
        src = src.display(),
    );
    run(Command::new("sh").arg("-c").arg(&script));
    build
}
