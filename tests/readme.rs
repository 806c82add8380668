//! README's compatibility table must say what the code does: every export
//! listed, "not yet" exactly for the stubs (tools/compat-table.py writes it).

mod common;

use common::*;
use std::process::Command;

#[test]
fn compatibility_table_is_current() {
    let st = Command::new("python3")
        .arg(top().join("tools/compat-table.py"))
        .arg("--check")
        .status()
        .unwrap();
    assert!(
        st.success(),
        "README.md's table is stale: run tools/compat-table.py"
    );
    let readme = std::fs::read_to_string(top().join("README.md")).unwrap();
    let rows = readme.lines().filter(|l| l.starts_with("| `")).count();
    // 172 distinct exported names, plus the layout table's rows.
    assert!(rows >= 172, "{rows} rows");
}
