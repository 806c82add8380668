//! The wire protocol module against the C header it mirrors.
//! `capi-tests/kernel_layout.c`, compiled against libfuse 3.18's
//! `fuse_kernel.h` (protocol 7.45), prints the size and field offsets and
//! sizes of every struct and the value of every constant `src/kernel`
//! defines; they must equal `fuse3::kernel::layout::layout_table()`, key for
//! key. A second check reads the header itself: every struct, field,
//! `#define` and enum member in it must be in the table, or on the short
//! list of deliberate omissions below.

mod common;

use common::*;
use fuse3::kernel::layout::{layout_table, NOT_IN_LIBFUSE_HEADER};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// Names of the header left out of the Rust module, and why.
const OMITTED: &[(&str, &str)] = &[
    ("_LINUX_FUSE_H", "include guard"),
    (
        "FUSE_NOTIFY_CODE_MAX",
        "an enum sentinel; Linux's 7.45 header puts FUSE_NOTIFY_PRUNE at 9 instead",
    ),
    (
        "FUSE_REMOVEMAPPING_MAX_ENTRY",
        "depends on the kernel's PAGE_SIZE, not defined for user space",
    ),
];

/// Flexible array members: no Rust field, the data follows the struct.
const FLEXIBLE: &[(&str, &str)] = &[("fuse_dirent", "name"), ("fuse_supp_groups", "groups")];

fn kernel_header_dir() -> std::path::PathBuf {
    libfuse_source(Suite::Sid).join("include")
}

fn parse(text: &str) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        let (k, v) = l
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad probe line {l:?}"));
        let v: u64 = v.parse().unwrap_or_else(|_| panic!("bad value in {l:?}"));
        assert!(m.insert(k.to_string(), v).is_none(), "{k} printed twice");
    }
    m
}

/// The Rust table, without what libfuse's copy of the header lacks.
fn rust_table() -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for (k, v) in layout_table() {
        let linux_only = NOT_IN_LIBFUSE_HEADER.iter().any(|n| {
            k == *n
                || k.starts_with(&format!("sizeof({n}"))
                || k.starts_with(&format!("offsetof({n},"))
        });
        if !linux_only {
            assert!(m.insert(k.clone(), v).is_none(), "{k} twice in the table");
        }
    }
    m
}

#[test]
fn probe_matches_rust_table() {
    let dir = scratch("kernel_layout");
    let exe = dir.join("kernel_layout");
    let mut cc = c_compiler("cc");
    cc.arg("-I")
        .arg(kernel_header_dir())
        .arg(top().join("capi-tests/kernel_layout.c"))
        .arg("-o")
        .arg(&exe);
    run(&mut cc);
    let c = parse(&run(&mut Command::new(&exe)));
    let rust = rust_table();

    let mut diffs = Vec::new();
    for (k, v) in &rust {
        match c.get(k) {
            Some(cv) if cv == v => {}
            Some(cv) => diffs.push(format!("{k}: Rust {v}, C {cv}")),
            None => diffs.push(format!("{k}: not printed by the probe")),
        }
    }
    for k in c.keys().filter(|k| !rust.contains_key(*k)) {
        diffs.push(format!("{k}: printed by the probe, not in the Rust table"));
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n  {}",
        diffs.len(),
        diffs.join("\n  ")
    );
    assert!(rust.len() > 800, "table suspiciously small: {}", rust.len());
}

/// What the header defines: struct names with their fields (flexible
/// arrays marked), object-like `#define`s, and enum members.
#[derive(Default, Debug)]
struct HeaderNames {
    structs: BTreeMap<String, Vec<(String, bool)>>,
    constants: BTreeSet<String>,
}

fn strip_comments(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    loop {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                out.push_str(&rest[..b]);
                let end = rest[b + 2..]
                    .find("*/")
                    .map_or(rest.len(), |e| b + 2 + e + 2);
                out.push(' ');
                rest = &rest[end..];
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                let end = rest[l..].find('\n').map_or(rest.len(), |e| l + e);
                rest = &rest[end..];
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        .unwrap_or(s.len());
    &s[..end]
}

fn read_header(path: &Path) -> HeaderNames {
    let src = strip_comments(&std::fs::read_to_string(path).unwrap());
    let mut names = HeaderNames::default();
    // Join continued macro lines so a #define is one line.
    let src = src.replace("\\\n", " ");
    let mut in_struct: Option<String> = None;
    let mut in_enum = false;
    for line in src.lines() {
        let t = line.trim();
        if let Some(def) = t.strip_prefix("#define") {
            let def = def.trim_start();
            let name = ident(def);
            // Function-like macros (FUSE_REC_ALIGN and friends) are not
            // constants.
            if !def[name.len()..].starts_with('(') {
                names.constants.insert(name.to_string());
            }
            continue;
        }
        if let Some(s) = &in_struct {
            if t.starts_with('}') {
                in_struct = None;
            } else if let Some(decl) = t.strip_suffix(';') {
                let (decl, flexible) = match decl.split_once('[') {
                    Some((d, dim)) => (d, dim.trim() == "]"),
                    None => (decl, false),
                };
                let field = decl.split_whitespace().last().unwrap().to_string();
                names.structs.get_mut(s).unwrap().push((field, flexible));
            }
            continue;
        }
        if in_enum {
            if t.starts_with('}') {
                in_enum = false;
            } else if !t.is_empty() {
                names.constants.insert(ident(t).to_string());
            }
            continue;
        }
        if let Some(rest) = t.strip_prefix("struct ") {
            if t.ends_with('{') {
                let name = ident(rest).to_string();
                names.structs.insert(name.clone(), Vec::new());
                in_struct = Some(name);
            }
        } else if t.starts_with("enum ") && t.ends_with('{') {
            in_enum = true;
        }
    }
    names
}

#[test]
fn table_covers_the_header() {
    let header = read_header(&kernel_header_dir().join("fuse_kernel.h"));
    let table: BTreeSet<String> = layout_table().into_iter().map(|(k, _)| k).collect();
    assert!(header.structs.len() > 70, "{:?}", header.structs.keys());
    assert!(header.constants.len() > 150, "{}", header.constants.len());

    let mut missing = Vec::new();
    for (s, fields) in &header.structs {
        if !table.contains(&format!("sizeof({s})")) {
            missing.push(format!("struct {s}"));
        }
        for (f, flexible) in fields {
            let known = table.contains(&format!("offsetof({s}, {f})"));
            let listed_flexible = FLEXIBLE.contains(&(s.as_str(), f.as_str()));
            if *flexible != listed_flexible {
                missing.push(format!("{s}.{f}: flexible array status changed"));
            } else if !known && !flexible {
                missing.push(format!("field {s}.{f}"));
            }
        }
    }
    for c in &header.constants {
        if !table.contains(c) && !OMITTED.iter().any(|(n, _)| n == c) {
            missing.push(format!("constant {c}"));
        }
    }
    for (n, _) in OMITTED {
        assert!(
            header.constants.contains(*n),
            "{n} is no longer in the header: drop it from OMITTED"
        );
    }
    assert!(
        missing.is_empty(),
        "in fuse_kernel.h, not in src/kernel:\n  {}",
        missing.join("\n  ")
    );
}
