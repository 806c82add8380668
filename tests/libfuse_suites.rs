//! libfuse's own test suites, unmodified, against real libfuse and against
//! ferrofuse, side by side; libfuse's test_syscalls under passthrough_ll and
//! passthrough_hp; and Debian's fuse-overlayfs on ferrofuse.
//!
//! * libfuse 3.14.0 (Debian bookworm's source): its pytest suite
//!   (test_examples.py, test_ctests.py, test_custom_io.py), run as libfuse's
//!   docs say, from the meson build dir. Outcomes and the commands each test
//!   starts are recorded by tools/suites/ferrofuse_record.py (a pytest
//!   plugin loaded with `-p`; nothing of libfuse's is changed).
//! * libfuse 3.18.x (sid's source): test/run-tests.py with --keep-logs;
//!   outcomes are read from each test's `status` file and checked against
//!   the runner's own report lines.
//!
//! Modes: `real` (real libfuse's meson build), `ferrofuse_relinked` (the
//! same binaries with LD_LIBRARY_PATH at ferrofuse's library), and
//! `ferrofuse_built` (libfuse's example/ and test/ built against ferrofuse
//! through meson-compat/). A ferrofuse run must pass every low-level test
//! that passes with real libfuse and skip only where real libfuse skips.
//! Which tests are low-level is decided by the binaries a test runs: a
//! binary importing a function of fuse.h (the high-level API) makes the test
//! high-level; one compiled against libfuse's private fuse_i.h makes it
//! white-box (it checks libfuse's internal layout); one importing cuse_*
//! makes it a CUSE test, which is accounted as skipped when the kernel has
//! no CUSE (/dev/cuse), as here. High-level and white-box differences are
//! listed, not failed. Real-libfuse results are kept in
//! `<cache>/suite-results/<suite>-real.json` for the comparison.
//!
//! Transports: every ferrofuse run is made over io-uring (ferrofuse's
//! default; the test sets the fuse module's enable_uring=Y; 3.18's
//! run-tests.py gets `--io-uring`, through RUN_TESTS_IO_URING for its
//! printcap bug) and over /dev/fuse (FUSE_URING_ENABLE=0 in the run's
//! environment), named `<suite>_ferrofuse_<mode>_<uring|devfuse>_<version>`
//! and reported as e.g. "ferrofuse relinked, io-uring". Both must show no
//! low-level regression against real libfuse, and must show the transport
//! they used (check_wire): the `-d` logs the suites keep ("cqe unique" lines
//! are requests taken from a ring, "dev unique" ones read from /dev/fuse),
//! and the daemons' io_uring instances and their completions, sampled from
//! /proc while the run goes on (RingWatch). Over io-uring requests must
//! have come over rings and no session may fall back; over /dev/fuse no
//! ring may appear. An io-uring run is also compared with the /dev/fuse run
//! of the same mode made by the same test process: a test that passed over
//! /dev/fuse must pass over io-uring, whatever its class. Filesystems whose
//! init clears `conn->want` the old way (3.18's hello_ll) drop
//! FUSE_CAP_OVER_IO_URING, as with libfuse, and stay on /dev/fuse: the
//! per-test table in the report shows which tests used rings. The report
//! also notes what the kernel logged meanwhile (drop_caches by other
//! processes, fuse messages).
//!
//! test_syscalls (`test_syscalls_*`) runs under passthrough_ll,
//! passthrough_hp (3.18 also with `-o io_uring`, which overrides
//! FUSE_URING_ENABLE=0, with and without kernel passthrough) and the
//! high-level passthrough examples, as in baseline.md; a daemon meant to
//! be on io-uring must hold rings that completed requests, any other none.
//! `fuse_overlayfs*` mounts Debian's fuse-overlayfs over generated
//! lower/upper dirs and checks it against the same workload run on a plain
//! copy (tools/suites/overlay_workload.py), on Debian's libfuse and on
//! ferrofuse over both transports.
//!
//! Every run is bounded (run_bounded: process group, SIGTERM, SIGKILL;
//! run-tests.py's per-test TIMEOUT; for pytest the plugin kills the
//! processes of a test running over 60 s, which frees a test blocked on a
//! mount whose daemon stopped answering), its processes are tagged through
//! the environment (FERROFUSE_TAG) and killed afterwards, and every FUSE
//! mount under its scratch dirs is lazily unmounted; a run that leaves any
//! behind fails. Logs stay in target/<profile>/test-scratch/libfuse-suites/
//! until the next run; reports go beside the results JSON (.txt).
//!
//! Run with `cargo test --release --test libfuse_suites -- --nocapture`
//! (one run: `-- --exact suite_ferrofuse_relinked_uring_3_18`).

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// A small JSON value, enough for the results files and the plugin's records.

#[derive(Clone, Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn parse(text: &str) -> Result<Json, String> {
        let mut p = JsonParser {
            b: text.as_bytes(),
            i: 0,
        };
        let v = p.value()?;
        p.ws();
        if p.i != p.b.len() {
            return Err(format!("trailing data at byte {}", p.i));
        }
        Ok(v)
    }

    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn str_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        match self.get(key) {
            Some(Json::Str(s)) => s,
            _ => default,
        }
    }

    fn num(&self, key: &str) -> f64 {
        match self.get(key) {
            Some(Json::Num(n)) => *n,
            _ => 0.0,
        }
    }

    fn bool(&self, key: &str) -> bool {
        matches!(self.get(key), Some(Json::Bool(true)))
    }

    fn arr(&self, key: &str) -> &[Json] {
        match self.get(key) {
            Some(Json::Arr(a)) => a,
            _ => &[],
        }
    }

    fn write(&self, out: &mut String, indent: usize) {
        let pad = |out: &mut String, n: usize| out.push_str(&" ".repeat(n));
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(n) => {
                let _ = write!(out, "{n}");
            }
            Json::Str(s) => json_str(out, s),
            Json::Arr(a) if a.iter().all(|v| matches!(v, Json::Str(_))) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write(out, indent);
                }
                out.push(']');
            }
            Json::Arr(a) => {
                out.push_str("[\n");
                for (i, v) in a.iter().enumerate() {
                    pad(out, indent + 2);
                    v.write(out, indent + 2);
                    out.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
                }
                pad(out, indent);
                out.push(']');
            }
            Json::Obj(kv) => {
                out.push_str("{\n");
                for (i, (k, v)) in kv.iter().enumerate() {
                    pad(out, indent + 2);
                    json_str(out, k);
                    out.push_str(": ");
                    v.write(out, indent + 2);
                    out.push_str(if i + 1 < kv.len() { ",\n" } else { "\n" });
                }
                pad(out, indent);
                out.push('}');
            }
        }
    }
}

fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

struct JsonParser<'a> {
    b: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.i))
    }

    fn lit(&mut self, word: &str, v: Json) -> Result<Json, String> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            self.err("bad literal")
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        match self.b.get(self.i) {
            None => self.err("unexpected end"),
            Some(b'{') => {
                self.i += 1;
                let mut kv = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(kv));
                }
                loop {
                    self.ws();
                    let Json::Str(k) = self.string()? else {
                        unreachable!()
                    };
                    self.ws();
                    if self.b.get(self.i) != Some(&b':') {
                        return self.err("expected ':'");
                    }
                    self.i += 1;
                    let v = self.value()?;
                    kv.push((k, v));
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(kv));
                        }
                        _ => return self.err("expected ',' or '}'"),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Arr(a));
                }
                loop {
                    a.push(self.value()?);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(a));
                        }
                        _ => return self.err("expected ',' or ']'"),
                    }
                }
            }
            Some(b'"') => self.string(),
            Some(b't') => self.lit("true", Json::Bool(true)),
            Some(b'f') => self.lit("false", Json::Bool(false)),
            Some(b'n') => self.lit("null", Json::Null),
            Some(_) => {
                let start = self.i;
                while self.i < self.b.len()
                    && matches!(
                        self.b[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                std::str::from_utf8(&self.b[start..self.i])
                    .ok()
                    .and_then(|s| s.parse::<f64>().ok())
                    .map(Json::Num)
                    .map_or_else(|| self.err("bad number"), Ok)
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let h = self
            .b
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        match h {
            Some(v) => {
                self.i += 4;
                Ok(v)
            }
            None => self.err("bad \\u escape"),
        }
    }

    fn string(&mut self) -> Result<Json, String> {
        if self.b.get(self.i) != Some(&b'"') {
            return self.err("expected a string");
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.b.get(self.i) {
                None => return self.err("unterminated string"),
                Some(b'"') => {
                    self.i += 1;
                    return String::from_utf8(out)
                        .map(Json::Str)
                        .map_err(|e| e.to_string());
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = *self.b.get(self.i).ok_or("unterminated escape")?;
                    self.i += 1;
                    let ch = match c {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let mut v = self.hex4()?;
                            if (0xd800..0xdc00).contains(&v) && self.b[self.i..].starts_with(b"\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4()?;
                                v = 0x10000
                                    + ((v - 0xd800) << 10)
                                    + (lo.wrapping_sub(0xdc00) & 0x3ff);
                            }
                            char::from_u32(v).unwrap_or('\u{fffd}')
                        }
                        _ => return self.err("bad escape"),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                Some(&c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Suites, modes, outcomes.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Version {
    V314,
    V318,
}

impl Version {
    fn suite(self) -> Suite {
        match self {
            Version::V314 => Suite::Bookworm,
            Version::V318 => Suite::Sid,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Version::V314 => "3.14",
            Version::V318 => "3.18",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Real libfuse's meson build, as built.
    Real,
    /// The same binaries, LD_LIBRARY_PATH at ferrofuse's library.
    Relinked,
    /// libfuse's example/ and test/ built against ferrofuse (meson-compat).
    Built,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Mode::Real => "real",
            Mode::Relinked => "ferrofuse-relinked",
            Mode::Built => "ferrofuse-built",
        }
    }

    /// A short code for dir names (sun_path has 108 bytes).
    fn code(self) -> &'static str {
        match self {
            Mode::Real => "r",
            Mode::Relinked => "l",
            Mode::Built => "b",
        }
    }
}

/// How a ferrofuse run reaches the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    /// FUSE-over-io-uring: ferrofuse's default where the kernel offers it
    /// (the fuse module's enable_uring=Y, which the test sets). 3.18's
    /// run-tests.py gets `--io-uring` (it exports FUSE_URING_ENABLE=0 to
    /// every test otherwise).
    Uring,
    /// /dev/fuse only: FUSE_URING_ENABLE=0 in the environment of the run.
    DevFuse,
    /// io-uring with transparent passthrough: FERROFUSE_PASSTHROUGH=auto.
    UringAuto,
}

impl Transport {
    fn label(self) -> &'static str {
        match self {
            Transport::Uring => "io-uring",
            Transport::DevFuse => "/dev/fuse",
            Transport::UringAuto => "io-uring, passthrough=auto",
        }
    }

    /// For file names.
    fn slug(self) -> &'static str {
        match self {
            Transport::Uring => "uring",
            Transport::DevFuse => "devfuse",
            Transport::UringAuto => "auto",
        }
    }

    fn is_uring(t: Option<Transport>) -> bool {
        matches!(t, Some(Transport::Uring | Transport::UringAuto))
    }

    /// Sets the transport's environment on a command (every process the
    /// command starts inherits it).
    fn env(transport: Option<Transport>, cmd: &mut Command) {
        cmd.env_remove("FUSE_URING_ENABLE")
            .env_remove("FUSE_URING_QUEUE_DEPTH")
            .env_remove("FERROFUSE_PASSTHROUGH");
        if transport == Some(Transport::DevFuse) {
            cmd.env("FUSE_URING_ENABLE", "0");
        }
        if transport == Some(Transport::UringAuto) {
            cmd.env("FERROFUSE_PASSTHROUGH", "auto");
        }
    }
}

/// One way of running a suite: real libfuse (over /dev/fuse, its default),
/// or ferrofuse in a mode over a transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Config {
    mode: Mode,
    /// None for real libfuse.
    transport: Option<Transport>,
}

impl Config {
    const REAL: Config = Config {
        mode: Mode::Real,
        transport: None,
    };

    fn ferrofuse(mode: Mode, transport: Transport) -> Config {
        assert!(mode != Mode::Real);
        Config {
            mode,
            transport: Some(transport),
        }
    }

    /// For reports: "real libfuse", "ferrofuse relinked, io-uring".
    fn label(self) -> String {
        match (self.mode, self.transport) {
            (Mode::Relinked, Some(t)) => format!("ferrofuse relinked, {}", t.label()),
            (Mode::Built, Some(t)) => format!("ferrofuse built, {}", t.label()),
            _ => "real libfuse".into(),
        }
    }

    /// For file names: "real", "ferrofuse-relinked-uring".
    fn slug(self) -> String {
        match self.transport {
            None => self.mode.label().into(),
            Some(t) => format!("{}-{}", self.mode.label(), t.slug()),
        }
    }

    /// A few characters for /tmp dir names.
    fn code(self) -> String {
        match self.transport {
            None => self.mode.code().into(),
            Some(t) => format!("{}{}", self.mode.code(), &t.slug()[..1]),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Passed,
    Failed,
    Skipped,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
    }

    fn parse(s: &str) -> Outcome {
        match s {
            "passed" | "PASS" => Outcome::Passed,
            "skipped" | "SKIP" => Outcome::Skipped,
            _ => Outcome::Failed,
        }
    }
}

/// What a test exercises, from the binaries it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    /// Only the low-level API (or no libfuse at all).
    LowLevel,
    /// Runs a binary importing fuse.h's high-level API.
    HighLevel,
    /// Runs a binary compiled against libfuse's private fuse_i.h.
    WhiteBox,
    /// Runs a binary importing cuse_*.
    Cuse,
}

impl Class {
    fn as_str(self) -> &'static str {
        match self {
            Class::LowLevel => "low-level",
            Class::HighLevel => "high-level",
            Class::WhiteBox => "white-box",
            Class::Cuse => "cuse",
        }
    }

    fn parse(s: &str) -> Class {
        match s {
            "high-level" => Class::HighLevel,
            "white-box" => Class::WhiteBox,
            "cuse" => Class::Cuse,
            _ => Class::LowLevel,
        }
    }
}

/// Tests whose outcome on this machine does not depend on the library, so
/// they are recorded but compared neither way.
const KNOWN_FLAKY: &[(&str, &str, &str)] = &[(
    "3.14",
    "test_examples.py::test_notify_inval_entry[True-expire_entries]",
    "3.14's example asserts that fuse_lowlevel_notify_expire_entry() returns 0, \
     but -ENOENT is legitimate when the kernel already dropped the entry \
     (fails about 2 runs in 3 with stock libfuse 3.14)",
)];

/// A writeback-cache test under passthrough=auto, which turns writeback
/// cache off (the kernel cannot combine the two, and the user chose
/// passthrough): the test counts writeback-merged WRITEs, so it fails by
/// design there.
fn auto_writeback_test(cfg: Config, name: &str) -> bool {
    cfg.transport == Some(Transport::UringAuto)
        && (name.contains("test_write_cache[True]") || name.contains("write-cache-writeback"))
}

fn known_flaky(version: &str, name: &str) -> Option<&'static str> {
    KNOWN_FLAKY
        .iter()
        .find(|(v, n, _)| *v == version && *n == name)
        .map(|f| f.2)
}

/// Programs of libfuse's trees that do not compile against ferrofuse, as
/// they do not against libfuse 3.18.3's own headers either (checked by
/// tests/examples.rs): tests running them are listed, not compared.
const NOT_BUILDABLE: &[(Version, &str)] = &[(Version::V314, "example/notify_inval_entry")];

#[derive(Clone, Debug)]
struct TestRecord {
    /// The outcome as accounted: a CUSE test on a kernel without CUSE is
    /// skipped whatever the suite said.
    outcome: Outcome,
    /// The outcome the suite reported.
    raw: Outcome,
    reason: String,
    class: Class,
    /// Programs of the build tree the test runs (example/x, test/x).
    binaries: Vec<String>,
    /// Failed, then passed when run again.
    retried: bool,
    /// Where its logs are (failures).
    log: String,
    duration: f64,
}

#[derive(Clone, Debug)]
struct Results {
    /// "suite" or "syscalls".
    kind: String,
    version: String,
    /// Config::slug: "real", "ferrofuse-relinked-uring"...
    mode: String,
    /// The libfuse source tree (fuse3-3.14.0...).
    source: String,
    /// False when the runner hit its deadline.
    complete: bool,
    elapsed: f64,
    tests: BTreeMap<String, TestRecord>,
}

const RESULTS_FORMAT: f64 = 1.0;

impl Results {
    fn count(&self, o: Outcome) -> usize {
        self.tests.values().filter(|t| t.outcome == o).count()
    }

    fn counts(&self) -> String {
        format!(
            "{} tests: {} passed, {} failed, {} skipped",
            self.tests.len(),
            self.count(Outcome::Passed),
            self.count(Outcome::Failed),
            self.count(Outcome::Skipped)
        )
    }

    fn to_json(&self) -> String {
        let tests = self
            .tests
            .iter()
            .map(|(name, t)| {
                (
                    name.clone(),
                    Json::Obj(vec![
                        ("outcome".into(), Json::Str(t.outcome.as_str().into())),
                        ("raw".into(), Json::Str(t.raw.as_str().into())),
                        ("reason".into(), Json::Str(t.reason.clone())),
                        ("class".into(), Json::Str(t.class.as_str().into())),
                        (
                            "binaries".into(),
                            Json::Arr(t.binaries.iter().cloned().map(Json::Str).collect()),
                        ),
                        ("retried".into(), Json::Bool(t.retried)),
                        ("log".into(), Json::Str(t.log.clone())),
                        ("duration".into(), Json::Num(t.duration)),
                    ]),
                )
            })
            .collect();
        let doc = Json::Obj(vec![
            ("format".into(), Json::Num(RESULTS_FORMAT)),
            ("kind".into(), Json::Str(self.kind.clone())),
            ("version".into(), Json::Str(self.version.clone())),
            ("mode".into(), Json::Str(self.mode.clone())),
            ("source".into(), Json::Str(self.source.clone())),
            ("complete".into(), Json::Bool(self.complete)),
            (
                "elapsed".into(),
                Json::Num((self.elapsed * 10.0).round() / 10.0),
            ),
            ("tests".into(), Json::Obj(tests)),
        ]);
        let mut s = String::new();
        doc.write(&mut s, 0);
        s.push('\n');
        s
    }

    fn from_json(text: &str) -> Result<Results, String> {
        let doc = Json::parse(text)?;
        if doc.num("format") != RESULTS_FORMAT {
            return Err("another results format".into());
        }
        let Some(Json::Obj(tests)) = doc.get("tests") else {
            return Err("no tests".into());
        };
        let tests = tests
            .iter()
            .map(|(name, t)| {
                (
                    name.clone(),
                    TestRecord {
                        outcome: Outcome::parse(t.str_or("outcome", "")),
                        raw: Outcome::parse(t.str_or("raw", "")),
                        reason: t.str_or("reason", "").into(),
                        class: Class::parse(t.str_or("class", "")),
                        binaries: t
                            .arr("binaries")
                            .iter()
                            .filter_map(|b| match b {
                                Json::Str(s) => Some(s.clone()),
                                _ => None,
                            })
                            .collect(),
                        retried: t.bool("retried"),
                        log: t.str_or("log", "").into(),
                        duration: t.num("duration"),
                    },
                )
            })
            .collect();
        Ok(Results {
            kind: doc.str_or("kind", "").into(),
            version: doc.str_or("version", "").into(),
            mode: doc.str_or("mode", "").into(),
            source: doc.str_or("source", "").into(),
            complete: doc.bool("complete"),
            elapsed: doc.num("elapsed"),
            tests,
        })
    }

    fn path(kind: &str, version: Version, cfg: Config) -> PathBuf {
        let prefix = if kind == "suite" {
            String::new()
        } else {
            format!("{kind}-")
        };
        cache_dir().join("suite-results").join(format!(
            "{prefix}{}-{}.json",
            version.label(),
            cfg.slug()
        ))
    }

    fn save(&self, version: Version, cfg: Config) -> PathBuf {
        let p = Results::path(&self.kind, version, cfg);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        write_atomic(&p, self.to_json().as_bytes());
        p
    }

    fn load(kind: &str, version: Version, cfg: Config) -> Option<Results> {
        let text = std::fs::read_to_string(Results::path(kind, version, cfg)).ok()?;
        Results::from_json(&text).ok()
    }
}

// ---------------------------------------------------------------------------
// Which binaries a test runs, and what they are.

/// Functions of fuse.h, the high-level API (version suffixes stripped).
const HIGH_LEVEL_API: &[&str] = &[
    "fuse_main_real",
    "fuse_main_real_versioned",
    "fuse_main_real_317",
    "fuse_new",
    "fuse_new_30",
    "fuse_new_31",
    "_fuse_new_30",
    "_fuse_new_31",
    "fuse_loop",
    "fuse_loop_mt",
    "fuse_loop_mt_31",
    "fuse_loop_mt_32",
    "fuse_loop_mt_312",
    "fuse_mount",
    "fuse_unmount",
    "fuse_destroy",
    "fuse_exit",
    "fuse_get_context",
    "fuse_get_session",
    "fuse_getgroups",
    "fuse_interrupted",
    "fuse_invalidate_path",
    "fuse_lib_help",
    "fuse_notify_poll",
    "fuse_start_cleanup_thread",
    "fuse_stop_cleanup_thread",
    "fuse_clean_cache",
];

#[derive(Clone, Copy, Debug, Default)]
struct BinInfo {
    needs_libfuse: bool,
    high_level: bool,
    cuse: bool,
    white_box: bool,
}

/// What `root/rel` (rel = example/x or test/x) imports, and whether its
/// source in `src` includes libfuse's private fuse_i.h. Memoized.
fn bin_info(root: &Path, src: &Path, rel: &str) -> BinInfo {
    static MEMO: OnceLock<Mutex<HashMap<PathBuf, BinInfo>>> = OnceLock::new();
    let bin = root.join(rel);
    let memo = MEMO.get_or_init(Default::default);
    if let Some(i) = memo.lock().unwrap().get(&bin) {
        return *i;
    }
    let mut info = BinInfo::default();
    if bin.is_file() {
        let nm = Command::new("nm")
            .args(["-D", "--undefined-only"])
            .arg(&bin)
            .output()
            .unwrap();
        for sym in String::from_utf8_lossy(&nm.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().last())
        {
            let name = sym.split('@').next().unwrap_or(sym);
            if name.starts_with("fuse_") || name.starts_with("_fuse_") || name.starts_with("cuse_")
            {
                info.needs_libfuse = true;
            }
            if name.starts_with("cuse_") {
                info.cuse = true;
            }
            if HIGH_LEVEL_API.contains(&name) || name.starts_with("fuse_fs_") {
                info.high_level = true;
            }
        }
    }
    for ext in ["c", "cc"] {
        let source = src.join(format!("{rel}.{ext}"));
        if let Ok(text) = std::fs::read_to_string(&source) {
            if text.contains("\"fuse_i.h\"") || text.contains("<fuse_i.h>") {
                info.white_box = true;
            }
        }
    }
    memo.lock().unwrap().insert(bin, info);
    info
}

fn classify(root: &Path, src: &Path, binaries: &[String]) -> Class {
    let infos: Vec<BinInfo> = binaries.iter().map(|b| bin_info(root, src, b)).collect();
    if infos.iter().any(|i| i.cuse) {
        Class::Cuse
    } else if infos.iter().any(|i| i.white_box) {
        Class::WhiteBox
    } else if infos.iter().any(|i| i.high_level) {
        Class::HighLevel
    } else {
        Class::LowLevel
    }
}

/// The kernel offers CUSE.
fn have_cuse() -> bool {
    Path::new("/dev/cuse").exists()
}

const NO_CUSE: &str = "no CUSE in this kernel (/dev/cuse missing)";

/// The programs of `root` (example/x, test/x) a pytest test started, from
/// the commands the plugin recorded: any argument naming a file of
/// example/ or test/, and the filesystem mount.fuse3 is asked to start.
fn pytest_binaries(root: &Path, argvs: &[Json]) -> Vec<String> {
    // Dirs compared canonicalized, files not: in a view, example/x is a
    // link into the build it shows.
    let dirs: Vec<(&str, PathBuf)> = ["example", "test"]
        .into_iter()
        .filter_map(|d| Some((d, std::fs::canonicalize(root.join(d)).ok()?)))
        .collect();
    let mut found = BTreeSet::new();
    for argv in argvs {
        let Json::Arr(args) = argv else { continue };
        let args: Vec<&str> = args
            .iter()
            .filter_map(|a| match a {
                Json::Str(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        for a in &args {
            let p = Path::new(a);
            let (Some(parent), Some(name)) = (p.parent(), p.file_name()) else {
                continue;
            };
            let Ok(parent) = std::fs::canonicalize(parent) else {
                continue;
            };
            for (dir, canon) in &dirs {
                if parent == *canon && root.join(dir).join(name).is_file() {
                    found.insert(format!("{dir}/{}", name.to_string_lossy()));
                }
            }
        }
        if args.len() > 1 && args[0].ends_with("mount.fuse3") {
            let fs = args[1].split('#').next().unwrap_or_default();
            if root.join("example").join(fs).is_file() {
                found.insert(format!("example/{fs}"));
            }
        }
    }
    found.into_iter().collect()
}

/// The programs a run-tests.py case runs, read from its script and the
/// bodies it sources from cases/lib: FS_NAME=, fuse_mount* <name>,
/// $FUSE_EXAMPLE_DIR/x, $FUSE_TEST_BIN_DIR/x, _require_binary dir/x; a
/// cases/unit/ marker names its binary. Only programs `root` has.
fn case_binaries(src: &Path, root: &Path, name: &str) -> Vec<String> {
    let cases = src.join("test/cases");
    let mut found = BTreeSet::new();
    let as_prog = |n: &str| -> String {
        if n.starts_with("test/") || n.starts_with("example/") {
            n.to_string()
        } else {
            format!("example/{n}")
        }
    };
    if name.starts_with("unit/") && !cases.join(format!("{name}.sh")).exists() {
        found.insert(format!("test/{}", name.trim_start_matches("unit/")));
    }
    let mut texts = Vec::new();
    if let Ok(t) = std::fs::read_to_string(cases.join(format!("{name}.sh"))) {
        for line in t.lines() {
            let l = line.trim();
            if let Some(rest) = l.strip_prefix(". \"$TEST_LIB/") {
                let lib = rest.trim_end_matches('"');
                if lib != "common.sh" {
                    texts.push(
                        std::fs::read_to_string(cases.join("lib").join(lib)).unwrap_or_default(),
                    );
                }
            }
        }
        texts.push(t);
    }
    let bare = |t: &str| -> Option<String> {
        let t = t.trim_matches('"');
        (t.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '/'))
        .then(|| t.to_string())
    };
    for text in &texts {
        for line in text.lines() {
            let code = line.split(" #").next().unwrap_or_default();
            if code.trim_start().starts_with('#') {
                continue;
            }
            let toks: Vec<&str> = code.split_whitespace().collect();
            for (i, tok) in toks.iter().enumerate() {
                if let Some(v) = tok.strip_prefix("FS_NAME=") {
                    if let Some(n) = bare(v) {
                        found.insert(as_prog(&n));
                    }
                }
                let arg = match *tok {
                    "fuse_mount" | "fuse_mount_helper" => toks.get(i + 1),
                    "fuse_mount_at" => toks.get(i + 2),
                    "_require_binary" => toks.get(i + 1),
                    _ => None,
                };
                if let Some(n) = arg.and_then(|a| bare(a)) {
                    found.insert(as_prog(&n));
                }
            }
            for (var, dir) in [
                ("$FUSE_EXAMPLE_DIR/", "example"),
                ("${FUSE_EXAMPLE_DIR}/", "example"),
                ("$FUSE_TEST_BIN_DIR/", "test"),
                ("${FUSE_TEST_BIN_DIR}/", "test"),
            ] {
                for (pos, _) in code.match_indices(var) {
                    let n: String = code[pos + var.len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !n.is_empty() {
                        found.insert(format!("{dir}/{n}"));
                    }
                }
            }
        }
    }
    found
        .into_iter()
        .filter(|b| root.join(b).is_file())
        .collect()
}

// ---------------------------------------------------------------------------
// Build trees.

/// Runs `script` with sh under the cache's build lock; panics with its
/// output on failure.
fn locked_build(script: &str) {
    let lock = cache_dir().join(".build.lock");
    std::fs::create_dir_all(cache_dir()).unwrap();
    let full = format!("exec 9>{} && flock 9 && {script}", lock.display());
    run(Command::new("sh").arg("-c").arg(full));
}

/// Real libfuse 3.14.0 (bookworm's source) built the way its pytest suite
/// wants: meson with examples, tests and utils (the suite unmounts with
/// the tree's util/fusermount3), then `-Dcpp_args='-include fuse_config.h'`:
/// 3.14's meson build does not give passthrough_hp.cc the private config
/// otherwise, and test_passthrough_hp fails with EOPNOTSUPP. (Set after
/// setup: meson's C++ sanity check does not find fuse_config.h.)
fn real_build_314() -> PathBuf {
    static DONE: OnceLock<PathBuf> = OnceLock::new();
    DONE.get_or_init(|| {
        let src = libfuse_source(Suite::Bookworm);
        let b = cache_dir().join("build-bookworm-suites");
        locked_build(&format!(
            "if [ ! -f {b}/.ferrofuse-done ]; then \
               rm -rf {b} && \
               {{ meson setup {b} {src} -Dexamples=true -Dtests=true -Dutils=true \
                   -Dudevrulesdir=/lib/udev/rules.d --buildtype=release && \
                 meson configure {b} -Dcpp_args='-include fuse_config.h' && \
                 ninja -C {b}; }} >{b}.log 2>&1 && touch {b}/.ferrofuse-done || \
               {{ tail -n 30 {b}.log >&2; exit 1; }}; \
             fi",
            b = b.display(),
            src = src.display()
        ));
        b
    })
    .clone()
}

/// fusermount3 and mount.fuse3 of libfuse 3.18 (`real_libfuse_build` is
/// configured with -Dutils=false, and run-tests.py takes both from the
/// build dir's util/).
fn utils_build_318() -> PathBuf {
    static DONE: OnceLock<PathBuf> = OnceLock::new();
    DONE.get_or_init(|| {
        let src = libfuse_source(Suite::Sid);
        let b = cache_dir().join("build-sid-utils");
        locked_build(&format!(
            "if [ ! -f {b}/.ferrofuse-done ]; then \
               rm -rf {b} && \
               {{ meson setup {b} {src} -Dutils=true -Dexamples=false -Dtests=false \
                   --buildtype=release && \
                 ninja -C {b} util/fusermount3 util/mount.fuse3; }} >{b}.log 2>&1 && \
               touch {b}/.ferrofuse-done || {{ tail -n 30 {b}.log >&2; exit 1; }}; \
             fi",
            b = b.display(),
            src = src.display()
        ));
        b
    })
    .clone()
}

/// The real build of `v`: the meson build dir and the dir holding its
/// fusermount3 and mount.fuse3.
fn real_build(v: Version) -> (PathBuf, PathBuf) {
    match v {
        Version::V314 => {
            let b = real_build_314();
            (b.clone(), b.join("util"))
        }
        Version::V318 => (
            real_libfuse_build(Suite::Sid),
            utils_build_318().join("util"),
        ),
    }
}

/// ELF executables directly in `dir`.
fn programs_in(dir: &Path) -> BTreeSet<String> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let elf = |p: &Path| {
        let mut magic = [0u8; 4];
        std::fs::File::open(p)
            .and_then(|mut f| f.read_exact(&mut magic))
            .is_ok()
            && magic == *b"\x7fELF"
    };
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            std::fs::metadata(e.path())
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                && elf(&e.path())
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// libfuse's example/ and test/ of `v` built against ferrofuse through
/// meson-compat, kept per profile (target/<profile>/libfuse-suites/):
/// setup.sh each time (it re-assembles the shadow source dir, which a
/// changed meson-compat may need, and reconfigures), then `ninja -k 0`.
/// Every program that fails to build, or that the real build has and this
/// one lacks, must be one of NOT_BUILDABLE (a stale binary of a program that
/// no longer builds is caught by ninja's FAILED line).
fn meson_compat_build(v: Version) -> PathBuf {
    static DONE: OnceLock<Mutex<HashMap<&'static str, PathBuf>>> = OnceLock::new();
    let done = DONE.get_or_init(Default::default);
    let mut done = done.lock().unwrap();
    if let Some(b) = done.get(v.label()) {
        return b.clone();
    }
    let src = libfuse_source(v.suite());
    let base = profile_dir().join("libfuse-suites");
    std::fs::create_dir_all(&base).unwrap();
    let b = base.join(format!("mc-{}", v.suite().name()));
    let log = base.join(format!("mc-{}.log", v.suite().name()));
    let script = format!(
        "exec 9>{lock} && flock 9 && \
         {setup} {src} {b} {lib} >{log} 2>&1 || {{ tail -n 30 {log} >&2; exit 1; }}; \
         ninja -C {b} -k 0 >>{log} 2>&1; exit 0",
        lock = base.join(".lock").display(),
        setup = top().join("meson-compat/setup.sh").display(),
        src = src.display(),
        b = b.display(),
        lib = lib_dir().display(),
        log = log.display(),
    );
    run(Command::new("sh").arg("-c").arg(script));
    let expected: BTreeSet<String> = NOT_BUILDABLE
        .iter()
        .filter(|n| n.0 == v)
        .map(|n| n.1.to_string())
        .collect();
    // "FAILED: example/x.p/x.c.o" or "FAILED: example/x": program example/x.
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let failed: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("FAILED: "))
        .map(|t| {
            let t = t.split_whitespace().next().unwrap_or_default();
            let mut parts = t.splitn(3, '/');
            match (parts.next(), parts.next()) {
                (Some(d), Some(p)) => format!("{d}/{}", p.trim_end_matches(".p")),
                _ => t.to_string(),
            }
        })
        .collect();
    assert!(
        failed.is_subset(&expected),
        "libfuse {} through meson-compat: {:?} failed to build (expected only {:?}):\n{}",
        v.label(),
        failed,
        expected,
        tail_of(&log, 40)
    );
    let (real, _) = real_build(v);
    let mut missing = BTreeSet::new();
    for dir in ["example", "test"] {
        let ours = programs_in(&b.join(dir));
        for p in programs_in(&real.join(dir)) {
            if !ours.contains(&p) {
                missing.insert(format!("{dir}/{p}"));
            }
        }
    }
    assert_eq!(
        missing,
        expected,
        "libfuse {} through meson-compat: programs of the real build missing \
         (expected only those that do not compile against 3.18's API):\n{}",
        v.label(),
        tail_of(&log, 40)
    );
    done.insert(v.label(), b.clone());
    b
}

fn replace_link(target: &Path, link: &Path) {
    let tmp = link.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).unwrap();
    std::fs::rename(&tmp, link).unwrap();
}

/// The output (LD_DEBUG goes to stderr) of a short command run with a
/// deadline of 30 s.
fn loader_trace(cmd: &mut Command) -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let log = std::env::temp_dir().join(format!(
        "ferrofuse-ld-debug.{}.{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&log);
    let r = run_bounded(cmd, &log, Duration::from_secs(30));
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(!r.timed_out(), "{cmd:?} hit its 30 s deadline");
    text
}

/// A build tree as a suite sees it.
struct Tree {
    version: Version,
    mode: Mode,
    /// None for real libfuse.
    transport: Option<Transport>,
    /// The build dir handed to the runner (example/, test/, util/).
    root: PathBuf,
    /// LD_LIBRARY_PATH for everything the run starts (relinked).
    ld_path: Option<PathBuf>,
    /// libfuse's source tree.
    src: PathBuf,
}

impl Tree {
    /// The tree for `v` in `mode`. The runner gets a view made in
    /// `scratch` (links to a build's example/, test/, lib/, fuse_config.h)
    /// wherever the build dir itself lacks libfuse's util/ (fusermount3 and
    /// mount.fuse3, which both suites take from the build dir): the 3.18
    /// real build (-Dutils=false) and meson-compat builds without util/.
    /// Nothing is ever added inside a build dir.
    fn new(v: Version, cfg: Config, scratch: &Path) -> Tree {
        let mode = cfg.mode;
        if Transport::is_uring(cfg.transport) {
            ensure_uring_enabled();
        }
        let src = libfuse_source(v.suite());
        let (real, real_util) = real_build(v);
        let (build, util) = match mode {
            Mode::Real | Mode::Relinked => (real.clone(), real_util),
            Mode::Built => {
                let b = meson_compat_build(v);
                let own = b.join("util");
                let util = if own.join("fusermount3").is_file() {
                    own
                } else {
                    real_util
                };
                (b, util)
            }
        };
        let root = if util == build.join("util") {
            build
        } else {
            // example/ and test/ are dirs of links, not links: libfuse
            // 3.14's tests reach util/ as test/../util, which the kernel
            // would resolve in the build dir behind a linked test/.
            let view = scratch.join("build-view");
            for x in ["example", "test"] {
                std::fs::create_dir_all(view.join(x)).unwrap();
                for e in std::fs::read_dir(build.join(x)).unwrap().flatten() {
                    replace_link(&e.path(), &view.join(x).join(e.file_name()));
                }
            }
            for x in ["lib", "fuse_config.h"] {
                replace_link(&build.join(x), &view.join(x));
            }
            replace_link(&util, &view.join("util"));
            view
        };
        Tree {
            version: v,
            mode,
            transport: cfg.transport,
            root,
            ld_path: (mode == Mode::Relinked).then(|| lib_dir().to_path_buf()),
            src,
        }
    }

    fn config(&self) -> Config {
        Config {
            mode: self.mode,
            transport: self.transport,
        }
    }

    /// Sets the library and transport environment of a command of this
    /// tree.
    fn env(&self, cmd: &mut Command) {
        cmd.env_remove("LD_LIBRARY_PATH").env_remove("LD_PRELOAD");
        if let Some(p) = &self.ld_path {
            cmd.env("LD_LIBRARY_PATH", p);
        }
        Transport::env(self.transport, cmd);
    }

    /// The canary: every program of the tree that links libfuse loads the
    /// library this mode means (ldd), and a started one really does
    /// (LD_DEBUG=libs). Returns a line for the report.
    fn check_library(&self) -> String {
        let ours = ferrofuse_library();
        let mut checked = 0;
        let mut wrong = Vec::new();
        for dir in ["example", "test", "util"] {
            for p in programs_in(&self.root.join(dir)) {
                let bin = self.root.join(dir).join(&p);
                let Some(lib) = ldd_libfuse(&bin, self.ld_path.as_deref()) else {
                    continue;
                };
                // Built, util/ is meson-compat's (linking ferrofuse) when it
                // builds one, else real libfuse's; relinked, it loads
                // ferrofuse like everything else.
                let want_ours = match self.mode {
                    Mode::Real => Some(false),
                    Mode::Relinked => Some(true),
                    Mode::Built => (dir != "util").then_some(true),
                };
                if want_ours.is_some_and(|w| (lib == ours) != w) {
                    wrong.push(format!("{dir}/{p} -> {}", lib.display()));
                }
                checked += 1;
            }
        }
        assert!(
            wrong.is_empty(),
            "{} {}: programs loading the wrong libfuse3 (ferrofuse is {}):\n{}",
            self.version.label(),
            self.mode.label(),
            ours.display(),
            wrong.join("\n")
        );
        assert!(checked >= 15, "only {checked} programs link libfuse3");
        // At run time: the loader's own account of what it initialised.
        let bin = self.root.join("example/hello_ll");
        let mut cmd = Command::new(&bin);
        cmd.arg("--version").env("LD_DEBUG", "libs");
        self.env(&mut cmd);
        let err = loader_trace(&mut cmd);
        let loaded: Vec<PathBuf> = err
            .lines()
            .filter_map(|l| l.split("calling init: ").nth(1))
            .filter(|p| p.contains("libfuse3"))
            .filter_map(|p| std::fs::canonicalize(p.trim()).ok())
            .collect();
        assert!(
            loaded.len() == 1 && (loaded[0] == ours) == (self.mode != Mode::Real),
            "{} --version under LD_DEBUG=libs initialised {loaded:?} (ferrofuse is {})",
            bin.display(),
            ours.display()
        );
        format!(
            "{checked} programs of {} link libfuse3 and load {}; example/hello_ll initialised {}",
            self.root.display(),
            match self.mode {
                Mode::Real => "real libfuse",
                Mode::Relinked => "ferrofuse (LD_LIBRARY_PATH)",
                Mode::Built => "ferrofuse (RUNPATH)",
            },
            loaded[0].display()
        )
    }
}

// ---------------------------------------------------------------------------
// Scratch dirs, tags, locks.

/// The dirs of one run: `scratch` under target/ keeps logs and results;
/// `short` under /tmp holds mountpoints whose paths must stay short (unix
/// socket paths have 108 bytes, and libfuse's tests bind sockets below
/// their mounts). Both are scanned for mounts after the run.
struct RunDirs {
    scratch: PathBuf,
    short: PathBuf,
    /// FERROFUSE_TAG of every process the run starts.
    tag: String,
}

impl RunDirs {
    /// `name`: a label for the scratch dir; `code`: a few characters for
    /// the /tmp dir.
    fn new(name: &str, code: &str) -> RunDirs {
        prune_dead_scratch();
        let pid = std::process::id();
        let scratch = profile_dir()
            .join("test-scratch/libfuse-suites")
            .join(format!("{name}.{pid}"));
        let short = PathBuf::from(format!("/tmp/ffs-{code}-{pid}"));
        for d in [&scratch, &short] {
            assert!(
                remove_tree_unmounted(d),
                "{} still has a FUSE mount that umount -l cannot remove",
                d.display()
            );
            std::fs::create_dir_all(d).unwrap();
        }
        RunDirs {
            scratch,
            short,
            tag: format!("{name}.{pid}"),
        }
    }

    fn roots(&self) -> [&Path; 2] {
        [&self.scratch, &self.short]
    }

    /// Tags a command of this run.
    fn tag(&self, cmd: &mut Command) {
        cmd.env("FERROFUSE_TAG", &self.tag);
    }

    /// Kills what the run left running and unmounts what it left mounted;
    /// returns what that was.
    fn clean_up(&self) -> Vec<String> {
        let (left, stuck) = clean_up_after_run(&self.roots(), &self.tag);
        assert!(
            stuck.is_empty(),
            "cannot clean up after {}:\n{}",
            self.tag,
            stuck.join("\n")
        );
        left
    }

    /// Removes the /tmp dir (the scratch dir stays for its logs).
    fn finish(&self) {
        remove_tree_unmounted(&self.short);
    }
}

impl Drop for RunDirs {
    /// Also when a test panics: nothing of the run may stay running or
    /// mounted.
    fn drop(&mut self) {
        let _ = clean_up_after_run(&self.roots(), &self.tag);
    }
}

/// Removes the scratch and /tmp dirs of test processes that are gone (a
/// failed run keeps its logs until the next run), never one with a mount.
fn prune_dead_scratch() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let dead = |name: &str| {
            name.rsplit(['.', '-'])
                .next()
                .and_then(|p| p.parse::<u32>().ok())
                .is_some_and(|p| !Path::new("/proc").join(p.to_string()).exists())
        };
        let root = profile_dir().join("test-scratch/libfuse-suites");
        for e in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            if dead(&e.file_name().to_string_lossy()) {
                remove_tree_unmounted(&e.path());
            }
        }
        for e in std::fs::read_dir("/tmp").into_iter().flatten().flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with("ffs-") && dead(&n) {
                remove_tree_unmounted(&e.path());
            }
        }
    });
}

/// An exclusive flock on `<cache>/suite-results/.lock-<name>`, held until
/// dropped: one run of a suite version at a time, across test threads and
/// processes (3.14's test_hello_uds binds a fixed /tmp socket).
struct RunLock(#[allow(dead_code)] std::fs::File);

impl RunLock {
    fn take(name: &str) -> RunLock {
        use std::os::fd::AsRawFd;
        let dir = cache_dir().join("suite-results");
        std::fs::create_dir_all(&dir).unwrap();
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!(".lock-{name}")))
            .unwrap();
        let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
        assert_eq!(rc, 0, "flock: {}", std::io::Error::last_os_error());
        RunLock(f)
    }
}

/// Debian's python3 with python3-pytest (the first python3 on PATH may be
/// another one).
fn python_with_pytest() -> &'static str {
    static PY: OnceLock<&'static str> = OnceLock::new();
    PY.get_or_init(|| {
        for py in ["/usr/bin/python3", "python3"] {
            let ok = Command::new(py)
                .args(["-c", "import pytest"])
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                return py;
            }
        }
        panic!("no python3 with pytest: install python3-pytest (tools/setup.sh)")
    })
}

fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

// ---------------------------------------------------------------------------
// The transport: which requests came over a ring.

const ENABLE_URING: &str = "/sys/module/fuse/parameters/enable_uring";

/// The fuse module offers FUSE-over-io-uring to new connections.
fn uring_enabled() -> bool {
    std::fs::read_to_string(ENABLE_URING).is_ok_and(|s| matches!(s.trim(), "Y" | "1"))
}

/// Turns the fuse module's enable_uring on if it is off (as tools/setup.sh
/// does); an io-uring run cannot go on without it.
fn ensure_uring_enabled() {
    if !uring_enabled() {
        let _ = std::fs::write(ENABLE_URING, "Y");
    }
    assert!(
        uring_enabled(),
        "io-uring runs need the fuse module's enable_uring=Y, and {ENABLE_URING} \
         cannot be set (a kernel without CONFIG_FUSE_IO_URING, or not root)"
    );
}

/// What the `-d` lines of some log say of the transport.
#[derive(Clone, Copy, Debug, Default)]
struct LogCounts {
    /// "cqe unique:": requests taken from a ring.
    cqe: usize,
    /// "dev unique:": requests read from /dev/fuse.
    dev: usize,
    /// "starting io-uring": sessions that set rings up.
    started: usize,
    /// "fuse: io-uring: off": sessions told to stay on /dev/fuse.
    off: usize,
    /// "failed to start io-uring", or a ring failing later: sessions
    /// falling back to /dev/fuse.
    failed: usize,
}

impl LogCounts {
    fn add_text(&mut self, text: &str) {
        for l in text.lines() {
            if l.contains("cqe unique: ") {
                self.cqe += 1;
            } else if l.contains("dev unique: ") {
                self.dev += 1;
            } else if l.contains("starting io-uring") {
                self.started += 1;
            } else if l.contains("fuse: io-uring: off") {
                self.off += 1;
            } else if l.contains("failed to start io-uring")
                || (l.contains("fuse: io-uring: ") && l.contains("failed"))
            {
                self.failed += 1;
            }
        }
    }

    fn add(&mut self, o: &LogCounts) {
        self.cqe += o.cqe;
        self.dev += o.dev;
        self.started += o.started;
        self.off += o.off;
        self.failed += o.failed;
    }
}

/// The log counts of a run-tests.py test: every logs/*.out (the script's
/// output, each daemon's) but timestamps.out, which repeats script.out.
fn log_counts_in(logs: &Path) -> LogCounts {
    let mut c = LogCounts::default();
    for e in std::fs::read_dir(logs).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".out") && name != "timestamps.out" {
            if let Ok(b) = std::fs::read(e.path()) {
                c.add_text(&String::from_utf8_lossy(&b));
            }
        }
    }
    c
}

/// Per pytest node id, the log counts of its captured output, from a junit
/// XML written with junit_logging=all (which keeps the output of passing
/// tests too; libfuse 3.14's output_checker copies each daemon's output to
/// the test's stdout).
fn junit_log_counts(xml: &Path) -> BTreeMap<String, LogCounts> {
    let text = std::fs::read(xml)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let unescape = |v: &str| {
        v.replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let mut out: BTreeMap<String, LogCounts> = BTreeMap::new();
    for case in text.split("<testcase ").skip(1) {
        let tag = case.split('>').next().unwrap_or_default();
        let attr = |key: &str| -> Option<String> {
            let start = tag.find(key)? + key.len();
            let end = tag[start..].find('"')? + start;
            Some(unescape(&tag[start..end]))
        };
        let (Some(class), Some(name)) = (attr("classname=\""), attr(" name=\"")) else {
            continue;
        };
        let id = format!("{}.py::{name}", class.replace('.', "/"));
        out.entry(id).or_default().add_text(case);
    }
    out
}

/// The /dev/fuse and io_uring files `pid` holds: whether it holds
/// /dev/fuse, its io_uring instances, and the completions those consumed
/// (the CqHead of each in fdinfo: every request the kernel hands over a
/// ring is one completion, and so is each entry it returns at the end).
fn fuse_files(pid: i32) -> (bool, usize, u64) {
    let (mut dev_fuse, mut rings, mut completions) = (false, 0, 0);
    for e in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let Ok(target) = std::fs::read_link(e.path()) else {
            continue;
        };
        if target.as_os_str() == "/dev/fuse" {
            dev_fuse = true;
        } else if target.as_os_str() == "anon_inode:[io_uring]" {
            rings += 1;
            let info = std::fs::read_to_string(format!(
                "/proc/{pid}/fdinfo/{}",
                e.file_name().to_string_lossy()
            ))
            .unwrap_or_default();
            completions += info
                .lines()
                .find_map(|l| l.strip_prefix("CqHead:"))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    (dev_fuse, rings, completions)
}

/// A process of a run as /proc showed it while the run went on.
#[derive(Clone, Debug, Default)]
struct Seen {
    /// The test it ran for: run-tests.py's TEST_NAME, pytest's
    /// PYTEST_CURRENT_TEST (read once it held /dev/fuse or a ring: before
    /// its exec, a child of pytest shows pytest's initial environment).
    test: Option<String>,
    comm: String,
    /// It held /dev/fuse.
    dev_fuse: bool,
    /// The most io_uring instances it held at once.
    rings: usize,
    /// The most completions its rings had consumed.
    completions: u64,
}

impl Seen {
    /// A filesystem daemon (fusermount3 and mount.fuse3 hold /dev/fuse
    /// only to hand it over).
    fn daemon(&self) -> bool {
        self.dev_fuse
            && !matches!(
                self.comm.as_str(),
                "fusermount3" | "fusermount" | "mount.fuse3"
            )
    }
}

/// The test a process runs for, from its environment.
fn test_of(pid: i32) -> Option<String> {
    let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    for v in env.split(|b| *b == 0) {
        let v = String::from_utf8_lossy(v);
        if let Some(t) = v.strip_prefix("TEST_NAME=") {
            return Some(t.to_string());
        }
        if let Some(t) = v.strip_prefix("PYTEST_CURRENT_TEST=") {
            // "<nodeid> (setup|call|teardown)"
            return Some(t.rsplit_once(" (").map_or(t, |(id, _)| id).to_string());
        }
    }
    None
}

/// Samples, every 50 ms while a run goes on, the /dev/fuse and io_uring
/// files of the run's processes (FERROFUSE_TAG): which daemons held rings,
/// and how many completions those consumed. A daemon living less than a
/// sampling period can be missed; the counts are a lower bound.
struct RingWatch {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<Vec<Seen>>>,
}

impl RingWatch {
    fn start(tag: &str) -> RingWatch {
        use std::sync::atomic::Ordering;
        let needle = format!("FERROFUSE_TAG={tag}").into_bytes();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let me = std::process::id() as i32;
            // pid -> what was seen of it, None for processes of others.
            let mut procs: HashMap<i32, Option<Seen>> = HashMap::new();
            let mut gone = Vec::new();
            loop {
                let last = flag.load(Ordering::SeqCst);
                let mut alive = BTreeSet::new();
                for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                    let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
                        continue;
                    };
                    if pid == me {
                        continue;
                    }
                    alive.insert(pid);
                    let entry = procs.entry(pid).or_insert_with(|| {
                        let env = std::fs::read(e.path().join("environ")).unwrap_or_default();
                        env.split(|b| *b == 0)
                            .any(|v| v == needle.as_slice())
                            .then(Seen::default)
                    });
                    let Some(seen) = entry else {
                        continue;
                    };
                    let (dev_fuse, rings, completions) = fuse_files(pid);
                    if !dev_fuse && rings == 0 {
                        continue;
                    }
                    seen.dev_fuse |= dev_fuse;
                    seen.rings = seen.rings.max(rings);
                    seen.completions = seen.completions.max(completions);
                    if let Ok(c) = std::fs::read_to_string(e.path().join("comm")) {
                        seen.comm = c.trim().to_string();
                    }
                    if seen.test.is_none() {
                        seen.test = test_of(pid);
                    }
                }
                procs.retain(|pid, seen| {
                    alive.contains(pid) || {
                        gone.extend(seen.take());
                        false
                    }
                });
                if last {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            gone.extend(procs.into_values().flatten());
            gone.retain(|s| s.dev_fuse || s.rings > 0);
            gone
        });
        RingWatch {
            stop,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> Vec<Seen> {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for RingWatch {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Seconds since boot, the clock of the kernel log's stamps.
fn uptime() -> f64 {
    std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|u| u.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// What the kernel logged since `since` (uptime()) that bears on a suite
/// run, as report lines: page caches dropped (drop_caches, by whatever
/// process: the suites' no-notify checks expect the kernel's cache to keep
/// a file for 2 s and cannot pass when it is dropped meanwhile) and the
/// fuse module's own messages (e.g. baseline.md §5.3's "unique mismatch").
/// Other processes of the machine may cause either.
fn kernel_notes(since: f64) -> String {
    let Ok(out) = Command::new("dmesg").output() else {
        return String::new();
    };
    let mut drops = BTreeMap::<String, usize>::new();
    let mut fuse = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some((stamp, msg)) = line
            .strip_prefix('[')
            .and_then(|l| l.split_once(']'))
            .and_then(|(t, m)| Some((t.trim().parse::<f64>().ok()?, m.trim())))
        else {
            continue;
        };
        if stamp < since {
            continue;
        }
        if let Some((who, _)) = msg.split_once(": drop_caches:") {
            *drops.entry(who.to_string()).or_default() += 1;
        } else if msg.starts_with("fuse:") {
            fuse.push(format!("[{stamp:.0}] {msg}"));
        }
    }
    let mut notes = String::new();
    if !drops.is_empty() {
        let _ = writeln!(
            notes,
            "kernel log during the run: page caches dropped {} times (by {}): a no-notify \
             check (\"cached content changed\") failing then is not the library's doing",
            drops.values().sum::<usize>(),
            drops.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    if !fuse.is_empty() {
        let _ = writeln!(
            notes,
            "kernel log during the run: {} fuse messages (from any process):",
            fuse.len()
        );
        for l in fuse.iter().take(10) {
            let _ = writeln!(notes, "  {l}");
        }
    }
    notes
}

/// The transport of one test's sessions, as far as the run shows it.
#[derive(Clone, Copy, Debug, Default)]
struct Wire {
    logs: LogCounts,
    /// Filesystem daemons seen in /proc.
    daemons: usize,
    /// Processes seen holding io_uring instances (all daemons here).
    ring_daemons: usize,
    rings: usize,
    completions: u64,
}

impl Wire {
    fn add(&mut self, o: &Wire) {
        self.logs.add(&o.logs);
        self.daemons += o.daemons;
        self.ring_daemons += o.ring_daemons;
        self.rings += o.rings;
        self.completions += o.completions;
    }
}

/// Per test, the log counts and what the sampling saw ("(unattributed)"
/// for processes that named no test).
fn wire_by_test(logs: &BTreeMap<String, LogCounts>, seen: &[Seen]) -> BTreeMap<String, Wire> {
    let mut out: BTreeMap<String, Wire> = BTreeMap::new();
    for (name, c) in logs {
        out.entry(name.clone()).or_default().logs.add(c);
    }
    for s in seen {
        let w = out
            .entry(s.test.clone().unwrap_or_else(|| "(unattributed)".into()))
            .or_default();
        if s.daemon() {
            w.daemons += 1;
        }
        if s.rings > 0 {
            w.ring_daemons += 1;
            w.rings += s.rings;
            w.completions += s.completions;
        }
    }
    out
}

/// Checks that a suite run used the transport it was meant to: io-uring,
/// requests in the -d logs came from rings, daemons held rings that
/// completed requests, no session fell back; /dev/fuse, none of that. Both
/// need -d logs and sampled daemons, so that neither check is vacuous.
/// Returns the summary, the per-test lines and the problems.
fn check_wire(
    cfg: Config,
    res: &Results,
    wire: &BTreeMap<String, Wire>,
) -> (String, String, Vec<String>) {
    let mut total = Wire::default();
    for w in wire.values() {
        total.add(w);
    }
    let with = |f: &dyn Fn(&Wire) -> bool| -> Vec<&str> {
        wire.iter()
            .filter(|(_, w)| f(w))
            .map(|(n, _)| n.as_str())
            .collect()
    };
    let tests_with_daemons = with(&|w| w.daemons > 0).len();
    let tests_with_rings = with(&|w| w.ring_daemons > 0);
    let l = &total.logs;
    let summary = format!(
        "transport ({}): -d logs: {} requests taken from a ring (\"cqe unique\"), {} read from \
         /dev/fuse (\"dev unique\"), {} sessions started io-uring, {} said io-uring off, {} fell \
         back; /proc: {} of {} daemons held io_uring instances ({} rings, {} completions), in {} \
         of {} tests with daemons",
        cfg.transport.map_or("libfuse's default", |t| t.label()),
        l.cqe,
        l.dev,
        l.started,
        l.off,
        l.failed,
        total.ring_daemons,
        total.daemons,
        total.rings,
        total.completions,
        tests_with_rings.len(),
        tests_with_daemons,
    );
    let mut detail = String::new();
    for (name, w) in wire {
        let t = res.tests.get(name);
        let _ = writeln!(
            detail,
            "  {name} [{}]: {} daemons, {} with rings ({} completions); -d: cqe {}, dev {}, \
             started {}, off {}, failed {}",
            t.map_or("-".to_string(), |t| format!(
                "{}, {}",
                t.class.as_str(),
                t.outcome.as_str()
            )),
            w.daemons,
            w.ring_daemons,
            w.completions,
            w.logs.cqe,
            w.logs.dev,
            w.logs.started,
            w.logs.off,
            w.logs.failed
        );
    }
    let mut problems = Vec::new();
    if l.dev == 0 {
        problems.push("no -d log line at all: is the log scanning broken?".to_string());
    }
    if total.daemons == 0 {
        problems.push("no daemon sampled in /proc: is the sampling broken?".to_string());
    }
    match cfg.transport {
        Some(Transport::Uring | Transport::UringAuto) => {
            if l.cqe == 0 || l.started == 0 {
                problems.push(format!(
                    "no request came over a ring in the -d logs ({} cqe lines, {} sessions \
                     started io-uring)",
                    l.cqe, l.started
                ));
            }
            if total.ring_daemons == 0 || total.completions == 0 {
                problems.push("no daemon held a ring that completed anything".into());
            }
            let fell_back = with(&|w| w.logs.failed > 0 || w.logs.off > 0);
            if !fell_back.is_empty() {
                problems.push(format!(
                    "sessions fell back to (or stayed on) /dev/fuse in {fell_back:?}"
                ));
            }
        }
        _ => {
            let rings = with(&|w| w.logs.cqe > 0 || w.logs.started > 0 || w.ring_daemons > 0);
            if !rings.is_empty() {
                problems.push(format!("io-uring was used in {rings:?}"));
            }
        }
    }
    (summary, detail, problems)
}

// ---------------------------------------------------------------------------
// libfuse 3.14: the pytest suite.

const PYTEST_FILES: &[&str] = &[
    "test/test_examples.py",
    "test/test_ctests.py",
    "test/test_custom_io.py",
];
/// A whole 3.14 run takes about 60 s with real libfuse.
const PYTEST_LIMIT: Duration = Duration::from_secs(600);
/// One 3.14 test takes 8 s at most with real libfuse; past this the plugin
/// kills the processes it started (a daemon that stopped answering).
const PYTEST_TEST_LIMIT: Duration = Duration::from_secs(60);
/// A whole 3.18 run takes about 110 s with real libfuse.
const RUN_TESTS_LIMIT: Duration = Duration::from_secs(900);
/// More failures than this are not retried (a retry is for flakes).
const MAX_RETRIES: usize = 6;

/// The failures of a run worth a retry: all of them with real libfuse; with
/// ferrofuse, those compared (low-level), as the high-level ones fail
/// anyway and would exceed MAX_RETRIES every time. A test that passes on
/// the retry is listed in the comparison's report.
fn to_retry(tree: &Tree, tests: &BTreeMap<String, TestRecord>) -> Vec<String> {
    tests
        .iter()
        .filter(|(_, t)| t.outcome == Outcome::Failed)
        .filter(|(_, t)| tree.mode == Mode::Real || t.class == Class::LowLevel)
        .map(|(n, _)| n.clone())
        .collect()
}

/// One pytest invocation (`what`: "main" or "retry") over `args`, from the
/// build dir as libfuse's docs say; returns the plugin's records and how
/// the run ended. The junit XML keeps every test's output
/// (junit_logging=all), for the transport's -d lines.
fn pytest_run(tree: &Tree, dirs: &RunDirs, what: &str, args: &[String]) -> (Vec<Json>, BoundedRun) {
    let record = dirs.scratch.join(format!("pytest-{what}.jsonl"));
    let log = dirs.scratch.join(format!("pytest-{what}.log"));
    let tmp = dirs.short.join(format!("tmp-{what}"));
    std::fs::create_dir_all(&tmp).unwrap();
    let _ = std::fs::remove_file(&record);
    let mut cmd = Command::new(python_with_pytest());
    cmd.args(["-m", "pytest", "-o", "addopts=", "-o", "junit_logging=all"])
        .args(["-v", "-r", "a"])
        .args(["-p", "no:cacheprovider", "-p", "ferrofuse_record"])
        .arg(format!(
            "--junitxml={}",
            dirs.scratch.join(format!("pytest-{what}.xml")).display()
        ))
        .arg(format!(
            "--basetemp={}",
            dirs.short.join(format!("pt-{what}")).display()
        ))
        .args(args)
        .current_dir(&tree.root)
        .env("PYTHONPATH", top().join("tools/suites"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .env(
            "FERROFUSE_PYTEST_TEST_TIMEOUT",
            PYTEST_TEST_LIMIT.as_secs().to_string(),
        )
        .env("TMPDIR", &tmp)
        .env("FERROFUSE_PYTEST_RECORD", &record)
        .env(
            "FERROFUSE_PYTEST_LOGS",
            dirs.scratch.join(format!("logs-{what}")),
        )
        .env_remove("TEST_WITH_VALGRIND");
    tree.env(&mut cmd);
    dirs.tag(&mut cmd);
    let r = run_bounded(&mut cmd, &log, PYTEST_LIMIT);
    let records = std::fs::read_to_string(&record)
        .unwrap_or_default()
        .lines()
        .map(|l| Json::parse(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", record.display())))
        .collect();
    (records, r)
}

fn pytest_records(tree: &Tree, records: &[Json]) -> BTreeMap<String, TestRecord> {
    let mut tests = BTreeMap::new();
    for r in records {
        let name = r.str_or("nodeid", "").to_string();
        let binaries = pytest_binaries(&tree.root, r.arr("argv"));
        let raw = Outcome::parse(r.str_or("outcome", ""));
        tests.insert(
            name,
            TestRecord {
                outcome: raw,
                raw,
                reason: r.str_or("reason", "").into(),
                class: classify(&tree.root, &tree.src, &binaries),
                binaries,
                retried: false,
                log: r.str_or("log", "").into(),
                duration: r.num("duration"),
            },
        );
    }
    tests
}

/// The suite's results, what it left behind, and per test its -d counts.
fn run_pytest_suite(
    tree: &Tree,
    dirs: &RunDirs,
) -> (Results, Vec<String>, BTreeMap<String, LogCounts>) {
    let files: Vec<String> = PYTEST_FILES.iter().map(|s| s.to_string()).collect();
    let (records, run) = pytest_run(tree, dirs, "main", &files);
    let mut left = dirs.clean_up();
    let mut tests = pytest_records(tree, &records);
    account_cuse(&mut tests);
    let retry = to_retry(tree, &tests);
    if !retry.is_empty() && retry.len() <= MAX_RETRIES && !run.timed_out() {
        let ids: Vec<String> = retry.iter().map(|n| format!("test/{n}")).collect();
        let (again, _) = pytest_run(tree, dirs, "retry", &ids);
        left.extend(dirs.clean_up());
        for (name, t) in pytest_records(tree, &again) {
            if t.raw == Outcome::Passed {
                if let Some(first) = tests.get_mut(&name) {
                    first.outcome = Outcome::Passed;
                    first.raw = Outcome::Passed;
                    first.retried = true;
                }
            }
        }
    }
    let results = Results {
        kind: "suite".into(),
        version: tree.version.label().into(),
        mode: tree.config().slug(),
        source: source_name(&tree.src),
        complete: !run.timed_out(),
        elapsed: secs(run.elapsed),
        tests,
    };
    let mut logs: BTreeMap<String, LogCounts> = BTreeMap::new();
    for what in ["main", "retry"] {
        for (id, c) in junit_log_counts(&dirs.scratch.join(format!("pytest-{what}.xml"))) {
            logs.entry(id).or_default().add(&c);
        }
    }
    (results, left, logs)
}

/// A CUSE test on a kernel without CUSE is skipped, whatever it did.
fn account_cuse(tests: &mut BTreeMap<String, TestRecord>) {
    if have_cuse() {
        return;
    }
    for t in tests.values_mut() {
        if t.class == Class::Cuse && t.outcome != Outcome::Skipped {
            t.outcome = Outcome::Skipped;
            t.reason = format!("{NO_CUSE}; the suite said: {} {}", t.raw.as_str(), t.reason);
        }
    }
}

fn source_name(src: &Path) -> String {
    src.file_name().unwrap().to_string_lossy().into_owned()
}

// ---------------------------------------------------------------------------
// libfuse 3.18: test/run-tests.py.

/// run-tests.py's report line: `+<elapsed>s STATUS name duration  reason`.
fn parse_report_line(line: &str) -> Option<(String, Outcome, String)> {
    let rest = line.strip_prefix('+')?;
    let mut it = rest.split_whitespace();
    it.next()?.strip_suffix('s')?.parse::<f64>().ok()?;
    let status = it.next()?;
    if !matches!(status, "PASS" | "FAIL" | "SKIP") {
        return None;
    }
    let name = it.next()?.to_string();
    it.next()?.strip_suffix('s')?.parse::<f64>().ok()?;
    let reason = it.collect::<Vec<_>>().join(" ");
    Some((name, Outcome::parse(status), reason))
}

/// libfuse 3.18's run-tests.py as it is, but for one bug of its io-uring
/// preflight (baseline.md §2): `--io-uring` needs FUSE_CAP_OVER_IO_URING
/// among the capabilities example/printcap prints, and printcap's table has
/// no entry for it, so the invocation always skips (exit 77). Run as
/// `python3 -c RUN_TESTS_IO_URING <run-tests.py> <args>`, this adds the
/// capability when printcap worked and the fuse module offers io-uring
/// (enable_uring=Y, which is what makes the kernel offer it at INIT).
/// Whether the daemons really took requests from rings is checked from
/// their logs and /proc (check_wire), not taken from this.
const RUN_TESTS_IO_URING: &str = r#"
import importlib.util, sys
path = sys.argv[1]
spec = importlib.util.spec_from_file_location('run_tests', path)
rt = importlib.util.module_from_spec(spec)
sys.modules['run_tests'] = rt
spec.loader.exec_module(rt)
read_fuse_caps = rt.TestRunner.read_fuse_caps
def fixed(self):
    caps = read_fuse_caps(self)
    with open(rt.FUSE_URING_PARAM) as f:
        offered = f.read().strip() in ('Y', '1')
    if caps and offered and rt.IO_URING_CAP not in caps:
        print('note (ferrofuse harness): printcap has no entry for %s; added, '
              'the fuse module offers it (enable_uring=Y)' % rt.IO_URING_CAP)
        caps = caps | {rt.IO_URING_CAP}
    return caps
rt.TestRunner.read_fuse_caps = fixed
sys.argv = [path] + sys.argv[2:]
sys.exit(rt.main(sys.argv[1:]))
"#;

/// One run-tests.py invocation into `<scratch>/<what>` (kept logs), with
/// `--io-uring` for the io-uring transport; returns name -> (outcome,
/// reason, duration, log dir) and how it ended.
#[allow(clippy::type_complexity)]
fn run_tests_run(
    tree: &Tree,
    dirs: &RunDirs,
    what: &str,
    extra: &[String],
) -> (
    BTreeMap<String, (Outcome, String, f64, PathBuf)>,
    BoundedRun,
) {
    let run_dir = dirs.scratch.join(what);
    let log = dirs.scratch.join(format!("run-tests-{what}.log"));
    let uring = Transport::is_uring(tree.transport);
    let mut cmd = Command::new("python3");
    if uring {
        cmd.arg("-c").arg(RUN_TESTS_IO_URING);
    }
    cmd.arg(tree.src.join("test/run-tests.py"))
        .arg("--build-dir")
        .arg(&tree.root)
        .arg("--run-dir")
        .arg(&run_dir)
        .args(["--keep-logs", "-j1"])
        .args(uring.then_some("--io-uring"))
        .args(extra)
        .current_dir(&dirs.scratch)
        .env("FUSE_TESTS_UNDER_SCOPE", "1")
        .env("TMPDIR", &dirs.short)
        .env_remove("FUSE_TEST_RUN_DIR")
        .env_remove("TEST_WITH_VALGRIND");
    tree.env(&mut cmd);
    dirs.tag(&mut cmd);
    let r = run_bounded(&mut cmd, &log, RUN_TESTS_LIMIT);
    // Each test's own record: <run>/<name>/status = "STATUS secs reason".
    let mut found = BTreeMap::new();
    let mut stack = vec![run_dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() && !p.is_symlink() {
                if p.join("status").is_file() && p.join("logs").is_dir() {
                    let text = std::fs::read_to_string(p.join("status")).unwrap_or_default();
                    let mut it = text.trim().splitn(3, ' ');
                    let outcome = Outcome::parse(it.next().unwrap_or_default());
                    let dur = it.next().and_then(|d| d.parse().ok()).unwrap_or(0.0);
                    let reason = it.next().unwrap_or_default().to_string();
                    let name = p
                        .strip_prefix(&run_dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    found.insert(name, (outcome, reason, dur, p.join("logs")));
                } else {
                    stack.push(p);
                }
            }
        }
    }
    // The runner's report lines must say the same.
    let out = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !found.is_empty() || r.timed_out(),
        "run-tests.py ran no test ({:?}):\n{}",
        r.status,
        tail_of(&log, 20)
    );
    for (name, outcome, _) in out.lines().filter_map(parse_report_line) {
        match found.get(&name) {
            Some(f) => assert_eq!(
                f.0, outcome,
                "{name}: run-tests.py reported {outcome:?}, its status file says {:?}",
                f.0
            ),
            None => panic!("{name}: reported by run-tests.py, but has no status file"),
        }
    }
    (found, r)
}

/// The suite's results, what it left behind, and per test its -d counts.
fn run_tests_suite(
    tree: &Tree,
    dirs: &RunDirs,
) -> (Results, Vec<String>, BTreeMap<String, LogCounts>) {
    // The selection, so that tests a killed run never reached are known.
    let list_log = dirs.scratch.join("run-tests-list.log");
    let mut cmd = Command::new("python3");
    cmd.arg(tree.src.join("test/run-tests.py")).arg("-l");
    let listed = run_bounded(&mut cmd, &list_log, Duration::from_secs(60));
    assert!(
        listed.success(),
        "run-tests.py -l:\n{}",
        tail_of(&list_log, 20)
    );
    let names: Vec<String> = std::fs::read_to_string(&list_log)
        .unwrap()
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let mut tests = BTreeMap::new();
    let mut exclude = Vec::new();
    for name in &names {
        let binaries = case_binaries(&tree.src, &tree.root, name);
        let class = classify(&tree.root, &tree.src, &binaries);
        // Without CUSE in the kernel a CUSE case can only fail (after
        // waiting 30 s for its device): not run, accounted as skipped.
        let skip_cuse = class == Class::Cuse && !have_cuse();
        if skip_cuse {
            exclude.push("-X".to_string());
            exclude.push(name.clone());
        }
        tests.insert(
            name.clone(),
            TestRecord {
                outcome: if skip_cuse {
                    Outcome::Skipped
                } else {
                    Outcome::Failed
                },
                raw: if skip_cuse {
                    Outcome::Skipped
                } else {
                    Outcome::Failed
                },
                reason: if skip_cuse {
                    format!("{NO_CUSE}; not run (-X)")
                } else {
                    "not run: the runner ended before it".into()
                },
                class,
                binaries,
                retried: false,
                log: String::new(),
                duration: 0.0,
            },
        );
    }
    let (found, run) = run_tests_run(tree, dirs, "run", &exclude);
    let mut left = dirs.clean_up();
    let mut counts: BTreeMap<String, LogCounts> = BTreeMap::new();
    for (name, (outcome, reason, dur, logs)) in found {
        counts
            .entry(name.clone())
            .or_default()
            .add(&log_counts_in(&logs));
        let t = tests.entry(name.clone()).or_insert_with(|| TestRecord {
            outcome,
            raw: outcome,
            reason: String::new(),
            class: Class::LowLevel,
            binaries: vec![],
            retried: false,
            log: String::new(),
            duration: 0.0,
        });
        t.outcome = outcome;
        t.raw = outcome;
        t.reason = reason;
        t.duration = dur;
        t.log = logs.display().to_string();
    }
    account_cuse(&mut tests);
    let retry = to_retry(tree, &tests);
    if !retry.is_empty() && retry.len() <= MAX_RETRIES && !run.timed_out() {
        let args: Vec<String> = retry
            .iter()
            .flat_map(|n| ["-t".to_string(), n.clone()])
            .collect();
        let (again, _) = run_tests_run(tree, dirs, "retry", &args);
        left.extend(dirs.clean_up());
        for (name, (outcome, _, _, logs)) in again {
            counts
                .entry(name.clone())
                .or_default()
                .add(&log_counts_in(&logs));
            if outcome == Outcome::Passed {
                if let Some(t) = tests.get_mut(&name) {
                    t.outcome = Outcome::Passed;
                    t.raw = Outcome::Passed;
                    t.retried = true;
                }
            }
        }
    }
    let results = Results {
        kind: "suite".into(),
        version: tree.version.label().into(),
        mode: tree.config().slug(),
        source: source_name(&tree.src),
        complete: !run.timed_out(),
        elapsed: secs(run.elapsed),
        tests,
    };
    (results, left, counts)
}

// ---------------------------------------------------------------------------
// Reports and verdicts.

/// The end of a failed test's logs: the log file, or for run-tests.py the
/// script's output and each daemon's.
fn failure_tail(t: &TestRecord) -> String {
    let p = Path::new(&t.log);
    let mut out = String::new();
    if p.is_dir() {
        let _ = writeln!(out, "    --- {}/script.out", p.display());
        out += &indent(&tail_of(&p.join("script.out"), 25));
        let mut daemons: Vec<PathBuf> = std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|f| {
                let n = f.file_name().unwrap().to_string_lossy();
                n.starts_with("fs-") && n.ends_with(".out")
            })
            .collect();
        daemons.sort();
        for d in daemons {
            let _ = writeln!(out, "    --- {}", d.display());
            out += &indent(&tail_of(&d, 15));
        }
    } else if p.is_file() {
        let _ = writeln!(out, "    --- {}", p.display());
        out += &indent(&tail_of(p, 40));
        // A filesystem daemon's own log beside it (X.log, X.daemon.log).
        let daemon = p.with_extension("daemon.log");
        if daemon.is_file() && daemon != p {
            let _ = writeln!(out, "    --- {}", daemon.display());
            out += &indent(&tail_of(&daemon, 20));
        }
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    | {l}\n")).collect()
}

/// What a whole run says of itself, for the report.
fn describe(title: &str, r: &Results) -> String {
    format!(
        "{title:<32} {} in {:.1} s{}",
        r.counts(),
        r.elapsed,
        if r.complete {
            ""
        } else {
            " (HIT ITS DEADLINE: killed)"
        }
    )
}

/// Checks a real-libfuse run: complete, nothing failed but known flakes,
/// nothing left behind. `notes` go into the report, which is returned.
fn check_real(
    v: Version,
    res: &Results,
    left: &[String],
    min_tests: usize,
    canary: &str,
    notes: &str,
) -> String {
    let mut rep = String::new();
    let _ = writeln!(
        rep,
        "== libfuse {} {} ({}), real libfuse",
        v.label(),
        res.kind,
        res.source
    );
    let _ = writeln!(rep, "{}", describe("real libfuse:", res));
    let _ = writeln!(rep, "library: {canary}");
    rep += notes;
    let mut failed = Vec::new();
    for (name, t) in &res.tests {
        let note = match (t.outcome, known_flaky(v.label(), name)) {
            (Outcome::Failed, Some(why)) => format!("failed, known flaky: {why}"),
            (Outcome::Failed, None) => {
                failed.push(format!("  {name}: {}\n{}", t.reason, failure_tail(t)));
                continue;
            }
            (Outcome::Skipped, _) => format!("skipped: {}", t.reason),
            (Outcome::Passed, _) if t.retried => "passed on the retry".to_string(),
            _ => continue,
        };
        let _ = writeln!(rep, "  {name} [{}]: {note}", t.class.as_str());
    }
    let classes: BTreeMap<&str, usize> = res.tests.values().fold(BTreeMap::new(), |mut m, t| {
        *m.entry(t.class.as_str()).or_default() += 1;
        m
    });
    let _ = writeln!(rep, "classes: {classes:?}");
    eprintln!("{rep}");
    write_report(v, Config::REAL, res, &rep);
    assert!(res.complete, "the run hit its deadline:\n{rep}");
    assert!(
        res.tests.len() >= min_tests,
        "only {} tests found (at least {min_tests} expected): is the parsing broken?\n{rep}",
        res.tests.len()
    );
    assert!(
        failed.is_empty(),
        "tests failing with real libfuse {}:\n{}",
        v.label(),
        failed.join("\n")
    );
    assert!(
        left.is_empty(),
        "the run left these behind (now killed/unmounted):\n{}",
        left.join("\n")
    );
    rep
}

fn write_report(v: Version, cfg: Config, res: &Results, rep: &str) {
    let p = Results::path(&res.kind, v, cfg).with_extension("txt");
    write_atomic(&p, rep.as_bytes());
}

/// Compares a ferrofuse run with real libfuse's: every low-level test that
/// passed with real libfuse must pass, and a test may skip only where real
/// libfuse skipped. High-level, white-box, CUSE, known-flaky tests and
/// those running programs that do not build against ferrofuse are listed.
/// Returns the report and the regressions.
fn compare(v: Version, cfg: Config, real: &Results, ours: &Results) -> (String, Vec<String>) {
    let mut rep = String::new();
    let _ = writeln!(
        rep,
        "== libfuse {} {} ({}), {} vs real libfuse",
        v.label(),
        real.kind,
        real.source,
        cfg.label()
    );
    let _ = writeln!(rep, "{}", describe("real libfuse:", real));
    let _ = writeln!(rep, "{}", describe(&format!("{}:", cfg.label()), ours));
    let mut regressions = Vec::new();
    let mut listed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let names: BTreeSet<&String> = real.tests.keys().chain(ours.tests.keys()).collect();
    let unbuildable: Vec<&str> = NOT_BUILDABLE
        .iter()
        .filter(|n| n.0 == v && cfg.mode == Mode::Built)
        .map(|n| n.1)
        .collect();
    for name in names {
        let r = real.tests.get(name);
        let o = ours.tests.get(name);
        let show = |t: Option<&TestRecord>| match t {
            None => "absent".to_string(),
            Some(t) if t.reason.is_empty() => t.outcome.as_str().to_string(),
            Some(t) => format!("{} ({})", t.outcome.as_str(), t.reason),
        };
        let line = format!("  {name}: real {}, ferrofuse {}", show(r), show(o));
        let same = r.map(|t| t.outcome) == o.map(|t| t.outcome);
        let Some(r) = r else {
            listed
                .entry("only in the ferrofuse run".into())
                .or_default()
                .push(line);
            continue;
        };
        let exempt = if known_flaky(v.label(), name).is_some() {
            Some("known flaky (either way)")
        } else if auto_writeback_test(cfg, name) {
            Some("passthrough=auto turns writeback cache off (by design)")
        } else if r.binaries.iter().any(|b| unbuildable.contains(&b.as_str())) {
            Some("runs a program that does not compile against 3.18's API")
        } else {
            match r.class {
                Class::HighLevel => {
                    Some("high-level API (fuse.h): expected until ferrofuse implements it")
                }
                Class::WhiteBox => Some("white-box (checks libfuse's private fuse_i.h layout)"),
                Class::Cuse => Some("CUSE"),
                Class::LowLevel => None,
            }
        };
        if o.is_some_and(|o| o.retried) {
            listed
                .entry("failed, then passed on the retry (what the first run said)".into())
                .or_default()
                .push(format!("  {name}: {}", o.map_or("", |o| o.reason.as_str())));
        }
        if let Some(why) = exempt {
            if !same {
                listed.entry(why.into()).or_default().push(line);
            }
            continue;
        }
        let o_outcome = o.map(|t| t.outcome);
        let bad = match (r.outcome, o_outcome) {
            (Outcome::Passed, Some(Outcome::Passed)) => false,
            (Outcome::Passed, _) => true,
            (Outcome::Skipped, Some(Outcome::Skipped)) => false,
            (_, Some(Outcome::Skipped)) => true,
            (_, None) => r.outcome == Outcome::Passed,
            _ => false,
        };
        if bad {
            let mut entry = line.clone();
            if let Some(o) = o {
                if o.outcome == Outcome::Failed {
                    entry.push('\n');
                    entry += &failure_tail(o);
                }
            }
            regressions.push(entry);
        } else if !same {
            listed
                .entry("other differences".into())
                .or_default()
                .push(line);
        }
    }
    let _ = writeln!(
        rep,
        "regressions (low-level tests passing or skipping differently than with real libfuse): {}",
        regressions.len()
    );
    // Log tails only for the first few; names for all.
    for (i, r) in regressions.iter().enumerate() {
        if i < 8 {
            rep += r;
            rep.push('\n');
        } else {
            let _ = writeln!(rep, "{}", r.lines().next().unwrap_or_default());
        }
    }
    for (why, lines) in &listed {
        let _ = writeln!(rep, "{why}: {}", lines.len());
        for l in lines {
            let _ = writeln!(rep, "{l}");
        }
    }
    (rep, regressions)
}

/// When this test process started its first ferrofuse test: a results
/// file written since comes from this run.
fn process_start() -> std::time::SystemTime {
    static T: OnceLock<std::time::SystemTime> = OnceLock::new();
    *T.get_or_init(std::time::SystemTime::now)
}

/// An io-uring run against the /dev/fuse run of the same mode made by this
/// test process (the latter sorts first, and both hold the version's
/// RunLock): every test that passed over /dev/fuse must pass over io-uring
/// too, whatever its class (known flakes aside). Returns the report line(s)
/// and the tests failing only over io-uring.
fn transport_differences(v: Version, cfg: Config, ours: &Results) -> (String, Vec<String>) {
    if !Transport::is_uring(cfg.transport) {
        return (String::new(), Vec::new());
    }
    let other = Config::ferrofuse(cfg.mode, Transport::DevFuse);
    let path = Results::path(&ours.kind, v, other);
    let fresh = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t >= process_start());
    let Some(dev) = Results::load(&ours.kind, v, other).filter(|_| fresh) else {
        return (
            format!(
                "io-uring vs /dev/fuse: no {} run in this test process to compare with\n",
                other.label()
            ),
            Vec::new(),
        );
    };
    let worse: Vec<String> = ours
        .tests
        .iter()
        .filter(|(n, t)| {
            t.outcome == Outcome::Failed
                && dev
                    .tests
                    .get(*n)
                    .is_some_and(|d| d.outcome == Outcome::Passed)
                && known_flaky(v.label(), n).is_none()
                && !auto_writeback_test(cfg, n)
        })
        .map(|(n, t)| {
            format!(
                "  {n} [{}]: passed over /dev/fuse, failed over io-uring ({})\n{}",
                t.class.as_str(),
                t.reason,
                failure_tail(t)
            )
        })
        .collect();
    let mut rep = format!(
        "io-uring vs /dev/fuse ({}: {}): {} tests fail only over io-uring\n",
        other.label(),
        dev.counts(),
        worse.len()
    );
    for w in &worse {
        rep += w;
        rep.push('\n');
    }
    (rep, worse)
}

// ---------------------------------------------------------------------------
// The suite tests.

fn version_code(v: Version) -> &'static str {
    match v {
        Version::V314 => "314",
        Version::V318 => "318",
    }
}

/// One run of a suite.
struct SuiteRun {
    res: Results,
    /// What the run left behind (killed/unmounted since).
    left: Vec<String>,
    /// The library canary's line.
    canary: String,
    /// Per test, the transport its sessions used.
    wire: BTreeMap<String, Wire>,
    /// Where the logs are.
    logs: PathBuf,
    /// kernel_notes() of the run.
    kernel: String,
}

/// Runs `v`'s suite in `cfg`, watching its processes' rings; saves the
/// results.
fn run_suite(v: Version, cfg: Config) -> SuiteRun {
    let _lock = RunLock::take(v.label());
    let dirs = RunDirs::new(
        &format!("suite-{}-{}", v.label(), cfg.slug()),
        &format!("{}{}", version_code(v), cfg.code()),
    );
    let tree = Tree::new(v, cfg, &dirs.scratch);
    let canary = tree.check_library();
    let since = uptime();
    let watch = RingWatch::start(&dirs.tag);
    let (res, left, logs) = match v {
        Version::V314 => run_pytest_suite(&tree, &dirs),
        Version::V318 => run_tests_suite(&tree, &dirs),
    };
    let seen = watch.finish();
    dirs.finish();
    let saved = res.save(v, cfg);
    eprintln!(
        "results: {} (logs in {})",
        saved.display(),
        dirs.scratch.display()
    );
    SuiteRun {
        res,
        left,
        canary,
        wire: wire_by_test(&logs, &seen),
        logs: dirs.scratch.clone(),
        kernel: kernel_notes(since),
    }
}

fn min_tests(v: Version) -> usize {
    match v {
        Version::V314 => 45,
        Version::V318 => 80,
    }
}

fn suite_real(v: Version) -> Results {
    let run = run_suite(v, Config::REAL);
    check_real(
        v,
        &run.res,
        &run.left,
        min_tests(v),
        &run.canary,
        &run.kernel,
    );
    run.res
}

/// Real libfuse's results for `v` from the cache, or from a run now.
fn real_results(kind: &str, v: Version) -> Results {
    let src = source_name(&libfuse_source(v.suite()));
    match Results::load(kind, v, Config::REAL) {
        Some(r) if r.source == src && r.complete => r,
        _ if kind == "suite" => suite_real(v),
        _ => syscalls_real(v),
    }
}

/// A ferrofuse run of `v`'s suite in `mode` over `transport`: compared with
/// real libfuse's results, and checked to have used the transport.
fn suite_ferrofuse(v: Version, mode: Mode, transport: Transport) {
    process_start();
    let cfg = Config::ferrofuse(mode, transport);
    let run = run_suite(v, cfg);
    // After the run: on a fresh cache, suite_3_xx_real (which sorts first)
    // holds the version's RunLock until its results are saved.
    let real = real_results("suite", v);
    let (rep, regressions) = compare(v, cfg, &real, &run.res);
    let (wire, detail, wrong) = check_wire(cfg, &run.res, &run.wire);
    let (cross, uring_only) = transport_differences(v, cfg, &run.res);
    let mut rep = format!(
        "library: {}\n{rep}{cross}{wire}\n{}",
        run.canary, run.kernel
    );
    for w in &wrong {
        let _ = writeln!(rep, "TRANSPORT PROBLEM: {w}");
    }
    eprintln!("{rep}");
    write_report(
        v,
        cfg,
        &run.res,
        &format!("{rep}per test (logs in {}):\n{detail}", run.logs.display()),
    );
    assert!(
        regressions.is_empty() && run.left.is_empty() && wrong.is_empty() && uring_only.is_empty(),
        "{}: {} low-level regressions against real libfuse {}; {} tests failing only over \
         io-uring; {} transport problems{}\n(report above)",
        cfg.label(),
        regressions.len(),
        v.label(),
        uring_only.len(),
        wrong.len(),
        if run.left.is_empty() {
            String::new()
        } else {
            format!(
                "; the run left these behind (now killed/unmounted):\n{}",
                run.left.join("\n")
            )
        }
    );
}

#[test]
fn suite_3_14_real() {
    suite_real(Version::V314);
}

#[test]
fn suite_3_18_real() {
    suite_real(Version::V318);
}

// The ferrofuse runs are named with the version last: libtest starts tests
// in name order (two at a time on this machine) and a version's suite runs
// once at a time (RunLock), so this order alternates 3.14 and 3.18.

#[test]
fn suite_ferrofuse_built_devfuse_3_14() {
    suite_ferrofuse(Version::V314, Mode::Built, Transport::DevFuse);
}

#[test]
fn suite_ferrofuse_built_devfuse_3_18() {
    suite_ferrofuse(Version::V318, Mode::Built, Transport::DevFuse);
}

#[test]
fn suite_ferrofuse_built_uring_3_14() {
    suite_ferrofuse(Version::V314, Mode::Built, Transport::Uring);
}

#[test]
fn suite_ferrofuse_built_uring_3_18() {
    suite_ferrofuse(Version::V318, Mode::Built, Transport::Uring);
}

#[test]
fn suite_ferrofuse_relinked_devfuse_3_14() {
    suite_ferrofuse(Version::V314, Mode::Relinked, Transport::DevFuse);
}

#[test]
fn suite_ferrofuse_relinked_devfuse_3_18() {
    suite_ferrofuse(Version::V318, Mode::Relinked, Transport::DevFuse);
}

#[test]
fn suite_ferrofuse_relinked_uring_3_14() {
    suite_ferrofuse(Version::V314, Mode::Relinked, Transport::Uring);
}

#[test]
fn suite_ferrofuse_relinked_uring_3_18() {
    suite_ferrofuse(Version::V318, Mode::Relinked, Transport::Uring);
}

#[test]
fn suite_ferrofuse_relinked_ptauto_3_14() {
    suite_ferrofuse(Version::V314, Mode::Relinked, Transport::UringAuto);
}

#[test]
fn suite_ferrofuse_relinked_ptauto_3_18() {
    suite_ferrofuse(Version::V318, Mode::Relinked, Transport::UringAuto);
}

// ---------------------------------------------------------------------------
// A filesystem daemon started by a test itself.

struct Daemon {
    child: std::process::Child,
    mnt: PathBuf,
    log: PathBuf,
    status: Option<std::process::ExitStatus>,
}

impl Daemon {
    /// Starts `cmd` (foreground daemon) in its own process group, output
    /// to `log`.
    fn spawn(cmd: &mut Command, mnt: &Path, log: &Path) -> Daemon {
        use std::os::unix::process::CommandExt;
        let out = std::fs::File::create(log).unwrap();
        let child = cmd
            .stdin(std::process::Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        Daemon {
            child,
            mnt: mnt.to_path_buf(),
            log: log.to_path_buf(),
            status: None,
        }
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().unwrap();
        }
        self.status
    }

    /// Waits for the mount to show in /proc/self/mountinfo (which touches
    /// nothing of the filesystem, so it cannot hang).
    fn wait_mounted(&mut self, limit: Duration) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if !fuse_mounts_under(&[&self.mnt]).is_empty() {
                return Ok(());
            }
            if let Some(st) = self.exited() {
                return Err(format!(
                    "the daemon exited ({st}) without mounting: {}",
                    tail_of(&self.log, 1)
                ));
            }
            if start.elapsed() > limit {
                return Err(format!(
                    "no mount after {} s: {}",
                    limit.as_secs(),
                    tail_of(&self.log, 1)
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// fusermount3 -u, then waits for the daemon to exit (what libfuse's
    /// suites require of it); kills it and unmounts lazily when either step
    /// fails. Returns its exit status.
    fn unmount(&mut self) -> Result<std::process::ExitStatus, String> {
        let mut problems = Vec::new();
        if !fuse_mounts_under(&[&self.mnt]).is_empty() {
            let out = Command::new("timeout")
                .args(["-k", "5", "20", "fusermount3", "-u"])
                .arg(&self.mnt)
                .output()
                .unwrap();
            if !out.status.success() {
                problems.push(format!(
                    "fusermount3 -u failed ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
        let start = Instant::now();
        while self.exited().is_none() && start.elapsed() < Duration::from_secs(15) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if self.exited().is_none() {
            problems.push("the daemon did not exit within 15 s of the unmount".into());
            self.kill();
        }
        if !fuse_mounts_under(&[&self.mnt]).is_empty() {
            problems.push("still mounted after fusermount3 -u".into());
            let _ = Command::new("timeout")
                .args(["-k", "5", "20", "umount", "-l"])
                .arg(&self.mnt)
                .output();
        }
        match (problems.is_empty(), self.status) {
            (true, Some(st)) => Ok(st),
            _ => Err(problems.join("; ")),
        }
    }

    fn kill(&mut self) {
        if self.exited().is_none() {
            unsafe {
                libc::killpg(self.pid(), libc::SIGKILL);
            }
            for _ in 0..200 {
                if self.exited().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    /// The daemon's io_uring instances, and the completions they consumed.
    fn rings(&self) -> (usize, u64) {
        let (_, rings, completions) = fuse_files(self.pid());
        (rings, completions)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
        if !fuse_mounts_under(&[&self.mnt]).is_empty() {
            let _ = Command::new("timeout")
                .args(["-k", "5", "20", "umount", "-l"])
                .arg(&self.mnt)
                .output();
        }
    }
}

// ---------------------------------------------------------------------------
// test_syscalls under passthrough_ll and passthrough_hp.

/// One filesystem configuration for test_syscalls. `args` may name
/// `{src}` and `{mnt}`.
struct SysCfg {
    name: &'static str,
    daemon: &'static str,
    args: &'static [&'static str],
    /// The daemon shows the whole tree (/), so test_syscalls works in
    /// <mnt><src>; otherwise <src> is the daemon's root.
    mirror: bool,
    syscall_args: &'static [&'static str],
    io_uring: bool,
}

/// The configurations of baseline.md: all pass with stock libfuse 3.14
/// (with -53 for writeback: the kernel opens write-only files for reading;
/// -u for passthrough_hp --nocache: unlinked-file checks, kernel >= 5.14).
const SYSCALLS_3_14: &[SysCfg] = &[
    SysCfg {
        name: "passthrough_ll",
        daemon: "passthrough_ll",
        args: &["-f", "{mnt}"],
        mirror: true,
        syscall_args: &[],
        io_uring: false,
    },
    SysCfg {
        name: "passthrough_ll-single",
        daemon: "passthrough_ll",
        args: &["-f", "-s", "{mnt}"],
        mirror: true,
        syscall_args: &[],
        io_uring: false,
    },
    SysCfg {
        name: "passthrough_ll-clone_fd",
        daemon: "passthrough_ll",
        args: &["-f", "-o", "clone_fd", "{mnt}"],
        mirror: true,
        syscall_args: &[],
        io_uring: false,
    },
    SysCfg {
        name: "passthrough_ll-cache_never",
        daemon: "passthrough_ll",
        args: &["-f", "-o", "cache=never", "{mnt}"],
        mirror: true,
        syscall_args: &[],
        io_uring: false,
    },
    SysCfg {
        name: "passthrough_ll-writeback",
        daemon: "passthrough_ll",
        args: &["-f", "-o", "writeback", "{mnt}"],
        mirror: true,
        syscall_args: &["-53"],
        io_uring: false,
    },
    SysCfg {
        name: "passthrough_hp-nocache",
        daemon: "passthrough_hp",
        args: &["--foreground", "--nocache", "{src}", "{mnt}"],
        mirror: false,
        syscall_args: &["-u"],
        io_uring: false,
    },
    SysCfg {
        name: "passthrough_hp-nocache-single",
        daemon: "passthrough_hp",
        args: &["--foreground", "--nocache", "--single", "{src}", "{mnt}"],
        mirror: false,
        syscall_args: &["-u"],
        io_uring: false,
    },
    SysCfg {
        name: "passthrough",
        daemon: "passthrough",
        args: &["-f", "{mnt}"],
        mirror: true,
        syscall_args: &[],
        io_uring: false,
    },
    SysCfg {
        name: "passthrough-plus",
        daemon: "passthrough",
        args: &["-f", "--plus", "{mnt}"],
        mirror: true,
        syscall_args: &[],
        io_uring: false,
    },
    SysCfg {
        name: "passthrough_fh",
        daemon: "passthrough_fh",
        args: &["-f", "{mnt}"],
        mirror: true,
        syscall_args: &[],
        io_uring: false,
    },
];

/// 3.18: passthrough_hp --nocache over /dev/fuse and io-uring, each with
/// and without kernel passthrough (baseline.md: 60/60 in every mode), and
/// passthrough_ll as in 3.18's own suite.
const SYSCALLS_3_18: &[SysCfg] = &[
    SysCfg {
        name: "passthrough_hp-nocache",
        daemon: "passthrough_hp",
        args: &["--foreground", "--nocache", "{src}", "{mnt}"],
        mirror: false,
        syscall_args: &["-u"],
        io_uring: false,
    },
    SysCfg {
        name: "passthrough_hp-nocache-nopassthrough",
        daemon: "passthrough_hp",
        args: &[
            "--foreground",
            "--nocache",
            "--nopassthrough",
            "{src}",
            "{mnt}",
        ],
        mirror: false,
        syscall_args: &["-u"],
        io_uring: false,
    },
    SysCfg {
        name: "passthrough_hp-nocache-io_uring",
        daemon: "passthrough_hp",
        args: &[
            "--foreground",
            "--nocache",
            "-o",
            "io_uring",
            "{src}",
            "{mnt}",
        ],
        mirror: false,
        syscall_args: &["-u"],
        io_uring: true,
    },
    SysCfg {
        name: "passthrough_hp-nocache-io_uring-nopassthrough",
        daemon: "passthrough_hp",
        args: &[
            "--foreground",
            "--nocache",
            "--nopassthrough",
            "-o",
            "io_uring",
            "{src}",
            "{mnt}",
        ],
        mirror: false,
        syscall_args: &["-u"],
        io_uring: true,
    },
    SysCfg {
        name: "passthrough_ll",
        daemon: "passthrough_ll",
        args: &["-f", "-o", "timeout=0", "{mnt}"],
        mirror: true,
        syscall_args: &[],
        io_uring: false,
    },
    SysCfg {
        name: "passthrough_ll-writeback",
        daemon: "passthrough_ll",
        args: &["-f", "-o", "timeout=0", "-o", "writeback", "{mnt}"],
        mirror: true,
        syscall_args: &["-53"],
        io_uring: false,
    },
];

/// Mounts one configuration, runs test_syscalls in it, unmounts. The
/// daemon must hold rings that completed requests when its configuration
/// asks for io-uring (`-o io_uring`, which overrides FUSE_URING_ENABLE=0)
/// or when it is ferrofuse over io-uring, and none otherwise.
fn syscalls_one(tree: &Tree, dirs: &RunDirs, i: usize, cfg: &SysCfg) -> (Outcome, String, String) {
    let want_ring = cfg.io_uring || Transport::is_uring(tree.transport);
    let base = dirs.short.join(i.to_string());
    let (src, mnt) = (base.join("s"), base.join("m"));
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&mnt).unwrap();
    let log = dirs.scratch.join(format!("{}.log", cfg.name));
    let args: Vec<String> = cfg
        .args
        .iter()
        .map(|a| {
            a.replace("{src}", &src.display().to_string())
                .replace("{mnt}", &mnt.display().to_string())
        })
        .collect();
    let mut cmd = Command::new(tree.root.join("example").join(cfg.daemon));
    cmd.args(&args);
    tree.env(&mut cmd);
    dirs.tag(&mut cmd);
    let mut d = Daemon::spawn(&mut cmd, &mnt, &log.with_extension("daemon.log"));
    if let Err(e) = d.wait_mounted(Duration::from_secs(15)) {
        let _ = std::fs::write(&log, "(test_syscalls not run)\n");
        return (Outcome::Failed, e, log.display().to_string());
    }
    let work = if cfg.mirror {
        PathBuf::from(format!("{}{}", mnt.display(), src.display()))
    } else {
        mnt.clone()
    };
    let mut sc = Command::new(tree.root.join("test/test_syscalls"));
    sc.arg(&work)
        .arg(format!(":{}", src.display()))
        .args(cfg.syscall_args);
    tree.env(&mut sc);
    dirs.tag(&mut sc);
    let r = run_bounded(&mut sc, &log, Duration::from_secs(120));
    let (rings, completions) = d.rings();
    let unmounted = d.unmount();
    let mut problems = Vec::new();
    if !r.success() {
        problems.push(match r.status {
            None => "test_syscalls hit its 120 s deadline".to_string(),
            Some(st) => format!("test_syscalls: {st}"),
        });
    }
    if want_ring && (rings == 0 || completions == 0) {
        problems.push(format!(
            "the daemon holds {rings} io_uring instances that completed {completions} requests \
             (it ran over /dev/fuse)"
        ));
    }
    if !want_ring && rings > 0 {
        problems.push(format!(
            "the daemon holds {rings} io_uring instances ({completions} completions), though \
             its transport is /dev/fuse"
        ));
    }
    let wire = if rings > 0 {
        format!("{rings} rings, {completions} completions")
    } else {
        "no ring".to_string()
    };
    match unmounted {
        Ok(st) if st.success() => {}
        Ok(st) => problems.push(format!("the daemon exited with {st}")),
        Err(e) => problems.push(e),
    }
    // test_syscalls prints "[+<time>] <n> [<name>] OK" per check passed.
    let checks = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.ends_with("] OK"))
        .count();
    if r.success() && checks < 40 {
        problems.push(format!("test_syscalls passed only {checks} checks"));
    }
    if problems.is_empty() {
        (
            Outcome::Passed,
            format!("{checks} checks OK; {wire}"),
            String::new(),
        )
    } else {
        (
            Outcome::Failed,
            format!("{}; {wire}", problems.join("; ")),
            log.display().to_string(),
        )
    }
}

fn run_syscalls(v: Version, cfg: Config) -> (Results, Vec<String>, String) {
    let dirs = RunDirs::new(
        &format!("syscalls-{}-{}", v.label(), cfg.slug()),
        &format!("s{}{}", version_code(v), cfg.code()),
    );
    let tree = Tree::new(v, cfg, &dirs.scratch);
    let canary = tree.check_library();
    let cfgs = match v {
        Version::V314 => SYSCALLS_3_14,
        Version::V318 => SYSCALLS_3_18,
    };
    if cfgs.iter().any(|c| c.io_uring) {
        ensure_uring_enabled();
    }
    let start = Instant::now();
    let mut tests = BTreeMap::new();
    let mut left = Vec::new();
    for (i, sc) in cfgs.iter().enumerate() {
        let t0 = Instant::now();
        let (outcome, reason, log) = syscalls_one(&tree, &dirs, i, sc);
        left.extend(dirs.clean_up());
        let binaries = vec![
            format!("example/{}", sc.daemon),
            "test/test_syscalls".to_string(),
        ];
        tests.insert(
            sc.name.to_string(),
            TestRecord {
                outcome,
                raw: outcome,
                reason,
                class: classify(&tree.root, &tree.src, &binaries),
                binaries,
                retried: false,
                log,
                duration: secs(t0.elapsed()),
            },
        );
    }
    dirs.finish();
    let res = Results {
        kind: "syscalls".into(),
        version: v.label().into(),
        mode: cfg.slug(),
        source: source_name(&tree.src),
        complete: true,
        elapsed: secs(start.elapsed()),
        tests,
    };
    res.save(v, cfg);
    (res, left, canary)
}

fn syscalls_real(v: Version) -> Results {
    let (res, left, canary) = run_syscalls(v, Config::REAL);
    let configs = match v {
        Version::V314 => SYSCALLS_3_14.len(),
        Version::V318 => SYSCALLS_3_18.len(),
    };
    check_real(v, &res, &left, configs, &canary, "");
    res
}

/// test_syscalls on ferrofuse in `mode` over `transport`, compared with
/// real libfuse (the `-o io_uring` configurations of 3.18 included); each
/// configuration's line says what its daemon's rings did.
fn syscalls_ferrofuse(v: Version, mode: Mode, transport: Transport) {
    process_start();
    let cfg = Config::ferrofuse(mode, transport);
    let (ours, left, canary) = run_syscalls(v, cfg);
    let real = real_results("syscalls", v);
    let (mut rep, regressions) = compare(v, cfg, &real, &ours);
    let (cross, uring_only) = transport_differences(v, cfg, &ours);
    rep = format!("library: {canary}\n{rep}{cross}");
    for (name, t) in &ours.tests {
        let _ = writeln!(rep, "  {name}: {} ({})", t.outcome.as_str(), t.reason);
    }
    eprintln!("{rep}");
    write_report(v, cfg, &ours, &rep);
    assert!(
        regressions.is_empty() && left.is_empty() && uring_only.is_empty(),
        "{}: {} test_syscalls configurations regress against real libfuse {}, {} fail only \
         over io-uring; left behind: {left:?}",
        cfg.label(),
        regressions.len(),
        v.label(),
        uring_only.len()
    );
}

#[test]
fn test_syscalls_3_14_real() {
    syscalls_real(Version::V314);
}

#[test]
fn test_syscalls_3_18_real() {
    syscalls_real(Version::V318);
}

#[test]
fn test_syscalls_ferrofuse_built_devfuse_3_14() {
    syscalls_ferrofuse(Version::V314, Mode::Built, Transport::DevFuse);
}

#[test]
fn test_syscalls_ferrofuse_built_devfuse_3_18() {
    syscalls_ferrofuse(Version::V318, Mode::Built, Transport::DevFuse);
}

#[test]
fn test_syscalls_ferrofuse_built_uring_3_14() {
    syscalls_ferrofuse(Version::V314, Mode::Built, Transport::Uring);
}

#[test]
fn test_syscalls_ferrofuse_built_uring_3_18() {
    syscalls_ferrofuse(Version::V318, Mode::Built, Transport::Uring);
}

#[test]
fn test_syscalls_ferrofuse_relinked_devfuse_3_14() {
    syscalls_ferrofuse(Version::V314, Mode::Relinked, Transport::DevFuse);
}

#[test]
fn test_syscalls_ferrofuse_relinked_devfuse_3_18() {
    syscalls_ferrofuse(Version::V318, Mode::Relinked, Transport::DevFuse);
}

#[test]
fn test_syscalls_ferrofuse_relinked_uring_3_14() {
    syscalls_ferrofuse(Version::V314, Mode::Relinked, Transport::Uring);
}

#[test]
fn test_syscalls_ferrofuse_relinked_uring_3_18() {
    syscalls_ferrofuse(Version::V318, Mode::Relinked, Transport::Uring);
}

#[test]
fn test_syscalls_ferrofuse_relinked_ptauto_3_18() {
    syscalls_ferrofuse(Version::V318, Mode::Relinked, Transport::UringAuto);
}

// ---------------------------------------------------------------------------
// fuse-overlayfs (Debian's, unmodified).

/// A deterministic byte stream (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(n);
        v
    }
}

/// A tree of `dirs` x `subdirs` x `files` files of 0-24 KiB, plus `big`
/// files of the given sizes, some modes and a symlink: written straight to
/// disk (no FUSE involved).
fn make_tree(root: &Path, seed: u64, dirs: usize, subdirs: usize, files: usize, big: &[usize]) {
    use std::os::unix::fs::PermissionsExt;
    let mut rng = Rng(seed);
    for (i, size) in big.iter().enumerate() {
        std::fs::create_dir_all(root).unwrap();
        std::fs::write(root.join(format!("big{i}.bin")), rng.bytes(*size)).unwrap();
    }
    for d in 0..dirs {
        for s in 0..subdirs {
            let dir = root.join(format!("d{d:02}/s{s:02}"));
            std::fs::create_dir_all(&dir).unwrap();
            for f in 0..files {
                let size = (rng.next() % 24576) as usize;
                let p = dir.join(format!("f{f:03}.bin"));
                std::fs::write(&p, rng.bytes(size)).unwrap();
                if f % 9 == 4 {
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
                }
            }
        }
    }
    std::fs::create_dir_all(root.join("links")).unwrap();
    std::os::unix::fs::symlink("../d00/s00/f000.bin", root.join("links/first")).unwrap();
}

/// Runs tools/suites/overlay_workload.py `args` with a deadline; its
/// stdout.
fn workload(dirs: &RunDirs, what: &str, args: &[&Path], limit: Duration) -> Result<String, String> {
    let log = dirs.scratch.join(format!("workload-{what}.log"));
    let out = dirs.scratch.join(format!("workload-{what}.out"));
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("exec python3 \"$@\" >\"$FERROFUSE_OUT\"")
        .arg("sh")
        .arg(top().join("tools/suites/overlay_workload.py"))
        .args(args)
        .env("FERROFUSE_OUT", &out);
    dirs.tag(&mut cmd);
    let r = run_bounded(&mut cmd, &log, limit);
    if r.success() {
        Ok(std::fs::read_to_string(&out).unwrap_or_default())
    } else {
        Err(format!(
            "overlay_workload.py {what}: {}\n{}",
            match r.status {
                None => format!("hit its {} s deadline", limit.as_secs()),
                Some(st) => st.to_string(),
            },
            indent(&tail_of(&log, 30))
        ))
    }
}

/// Whether `upper/rel` records a deletion: a 0/0 character device (what
/// fuse-overlayfs makes as root) or a .wh.<name> file.
fn is_whiteout(upper: &Path, rel: &str) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let p = upper.join(rel);
    if let Ok(m) = std::fs::symlink_metadata(&p) {
        if m.file_type().is_char_device() && m.rdev() == 0 {
            return true;
        }
    }
    let name = p.file_name().unwrap().to_string_lossy().into_owned();
    p.with_file_name(format!(".wh.{name}")).exists()
}

fn first_difference(a: &str, b: &str) -> String {
    let (al, bl): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    for i in 0..al.len().max(bl.len()) {
        if al.get(i) != bl.get(i) {
            return format!(
                "line {}: expected {:?}, got {:?} ({} vs {} lines)",
                i + 1,
                al.get(i),
                bl.get(i),
                al.len(),
                bl.len()
            );
        }
    }
    "identical".into()
}

/// The scenario: an overlay of lower+upper, a tree copied in, files
/// modified and renamed, user.* xattrs set and removed, files and a
/// directory deleted; the mount must read back exactly what the same
/// workload made of a plain copy (sha256 of every file, modes, links,
/// xattrs), upper must hold whiteouts for the deletions, lower must be
/// untouched, and a second mount of the same layers must show the same.
/// `transport`: None for Debian's libfuse, else ferrofuse over it; the
/// first daemon must hold rings that completed requests exactly when that
/// is io-uring.
fn fuse_overlayfs_scenario(transport: Option<Transport>) {
    let ferrofuse = transport.is_some();
    let bin = PathBuf::from("/usr/bin/fuse-overlayfs");
    assert!(
        bin.exists(),
        "{} missing: install fuse-overlayfs (tools/setup.sh)",
        bin.display()
    );
    let mode = match transport {
        None => "real".to_string(),
        Some(t) => format!("ferrofuse over {}", t.label()),
    };
    let slug = transport.map_or("real", |t| t.slug());
    let dirs = RunDirs::new(&format!("overlay-{slug}"), &format!("ov{}", &slug[..1]));
    if Transport::is_uring(transport) {
        ensure_uring_enabled();
    }
    let ld = ferrofuse.then(|| lib_dir().to_path_buf());
    let env = |cmd: &mut Command| {
        cmd.env_remove("LD_LIBRARY_PATH").env_remove("LD_PRELOAD");
        if let Some(p) = &ld {
            cmd.env("LD_LIBRARY_PATH", p);
        }
        Transport::env(transport, cmd);
    };

    // The library, by ldd and by the loader at run time.
    let ours = ferrofuse_library();
    let resolved = ldd_libfuse(&bin, ld.as_deref()).expect("fuse-overlayfs links no libfuse3");
    assert_eq!(
        resolved == ours,
        ferrofuse,
        "fuse-overlayfs resolves libfuse3 to {}",
        resolved.display()
    );
    let mut v = Command::new(&bin);
    v.arg("--version").env("LD_DEBUG", "libs");
    env(&mut v);
    let init = loader_trace(&mut v)
        .lines()
        .filter_map(|l| l.split("calling init: ").nth(1))
        .filter(|p| p.contains("libfuse3"))
        .filter_map(|p| std::fs::canonicalize(p.trim()).ok())
        .collect::<Vec<_>>();
    assert!(
        init.len() == 1 && (init[0] == ours) == ferrofuse,
        "fuse-overlayfs --version initialised {init:?}"
    );

    let base = &dirs.short;
    let (lower, upper, work, mnt, reference, seed) = (
        base.join("lower"),
        base.join("upper"),
        base.join("work"),
        base.join("mnt"),
        base.join("ref"),
        base.join("seed"),
    );
    for d in [&upper, &work, &mnt] {
        std::fs::create_dir_all(d).unwrap();
    }
    // ~240 files in base/ (3.5 MB with the two big ones), ~100 to copy in.
    make_tree(
        &lower.join("base"),
        0x5eed_0001,
        6,
        4,
        10,
        &[1_500_000, 1_000_000],
    );
    make_tree(&seed, 0x5eed_0002, 4, 3, 8, &[512_000]);
    run(Command::new("cp").arg("-a").arg(&lower).arg(&reference));
    let limit = Duration::from_secs(180);
    let lower_before = workload(
        &dirs,
        "manifest-lower",
        &[Path::new("manifest"), &lower],
        limit,
    )
    .unwrap();

    let mount = |n: usize| -> Daemon {
        let mut cmd = Command::new(&bin);
        cmd.arg("-f")
            .arg("-o")
            .arg(format!(
                "lowerdir={},upperdir={},workdir={}",
                lower.display(),
                upper.display(),
                work.display()
            ))
            .arg(&mnt);
        env(&mut cmd);
        dirs.tag(&mut cmd);
        let mut d = Daemon::spawn(
            &mut cmd,
            &mnt,
            &dirs.scratch.join(format!("fuse-overlayfs-{n}.log")),
        );
        if let Err(e) = d.wait_mounted(Duration::from_secs(15)) {
            drop(d);
            let left = dirs.clean_up();
            panic!("fuse-overlayfs ({mode}) did not mount: {e}; left behind: {left:?}");
        }
        d
    };

    let mut failures = Vec::new();
    let mut d = mount(1);
    // The running daemon maps the library it was meant to.
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", d.pid())).unwrap_or_default();
    let mapped = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|p| p.contains("libfuse3"))
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect::<BTreeSet<_>>();
    if mapped.iter().any(|p| *p == ours) != ferrofuse || mapped.len() != 1 {
        failures.push(format!("the daemon maps {mapped:?}"));
    }
    let expected = workload(
        &dirs,
        "apply-ref",
        &[Path::new("apply"), &reference, &seed],
        limit,
    );
    let expected = expected.unwrap();
    let deleted: Vec<String> = expected
        .lines()
        .filter_map(|l| l.strip_prefix("deleted "))
        .map(String::from)
        .collect();
    let ref_manifest = workload(
        &dirs,
        "manifest-ref",
        &[Path::new("manifest"), &reference],
        limit,
    )
    .unwrap();
    match workload(
        &dirs,
        "apply-mnt",
        &[Path::new("apply"), &mnt, &seed],
        limit,
    ) {
        Ok(out) if out == expected => {}
        Ok(out) => failures.push(format!(
            "apply on the mount said {out:?}, on the copy {expected:?}"
        )),
        Err(e) => failures.push(e),
    }
    match workload(&dirs, "manifest-mnt", &[Path::new("manifest"), &mnt], limit) {
        Ok(m) if m == ref_manifest => {}
        Ok(m) => failures.push(format!(
            "the mount differs from the expected tree: {}",
            first_difference(&ref_manifest, &m)
        )),
        Err(e) => failures.push(e),
    }
    let (rings, completions) = d.rings();
    let uring = Transport::is_uring(transport);
    if uring && (rings == 0 || completions == 0) {
        failures.push(format!(
            "over io-uring, the daemon holds {rings} io_uring instances that completed \
             {completions} requests"
        ));
    }
    if !uring && rings > 0 {
        failures.push(format!(
            "over /dev/fuse, the daemon holds {rings} io_uring instances ({completions} \
             completions)"
        ));
    }
    match d.unmount() {
        Ok(st) if st.success() => {}
        Ok(st) => failures.push(format!("fuse-overlayfs exited with {st}")),
        Err(e) => failures.push(e),
    }
    drop(d);
    let missing: Vec<&String> = deleted.iter().filter(|r| !is_whiteout(&upper, r)).collect();
    if failures.is_empty() && !missing.is_empty() {
        failures.push(format!("no whiteout in upper for {missing:?}"));
    }
    match workload(
        &dirs,
        "manifest-lower-after",
        &[Path::new("manifest"), &lower],
        limit,
    ) {
        Ok(m) if m == lower_before => {}
        Ok(m) => failures.push(format!(
            "lower changed: {}",
            first_difference(&lower_before, &m)
        )),
        Err(e) => failures.push(e),
    }
    if failures.is_empty() {
        // The layers alone, mounted again, hold the result.
        let mut d = mount(2);
        match workload(
            &dirs,
            "manifest-remount",
            &[Path::new("manifest"), &mnt],
            limit,
        ) {
            Ok(m) if m == ref_manifest => {}
            Ok(m) => failures.push(format!(
                "remounted, the overlay differs: {}",
                first_difference(&ref_manifest, &m)
            )),
            Err(e) => failures.push(e),
        }
        if let Err(e) = d.unmount() {
            failures.push(e);
        }
    }
    let left = dirs.clean_up();
    let files = ref_manifest.lines().count();
    eprintln!(
        "fuse-overlayfs ({mode}, {}): {files} entries compared, {} whiteouts, daemon's rings: \
         {rings} ({completions} completions), {} problems; logs in {}",
        resolved.display(),
        deleted.len(),
        failures.len(),
        dirs.scratch.display()
    );
    assert!(
        failures.is_empty() && left.is_empty(),
        "fuse-overlayfs on {mode}:\n{}\nleft behind: {left:?}\ndaemon log:\n{}",
        failures.join("\n"),
        indent(&tail_of(&dirs.scratch.join("fuse-overlayfs-1.log"), 20))
    );
    dirs.finish();
}

#[test]
fn fuse_overlayfs_real() {
    fuse_overlayfs_scenario(None);
}

#[test]
fn fuse_overlayfs_uring() {
    fuse_overlayfs_scenario(Some(Transport::Uring));
}

#[test]
fn fuse_overlayfs_devfuse() {
    fuse_overlayfs_scenario(Some(Transport::DevFuse));
}
