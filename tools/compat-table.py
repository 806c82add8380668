#!/usr/bin/env python3
"""Regenerates README.md's compatibility table from the version script (which
exports exist, in which nodes), the sources (which are still stubs: they call
not_implemented("name")) and the TESTED_BY map below. tests/readme.rs checks
that the table in README.md is what this script would write."""
import re
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent

# Test files that exercise a function beyond the export check, by name pattern.
TESTED_BY = [
    (r"^fuse_opt_", "tests/opt_diff.rs, src/opt"),
    (r"^fuse_parse_cmdline|^fuse_cmdline_help$|^fuse_lowlevel_help$|^fuse_lowlevel_version$|^fuse_pkgversion$|^fuse_version$", "tests/opt_diff.rs"),
    (r"^fuse_daemonize$|signal_handlers$", "tests/opt_diff.rs"),
    (r"^fuse_log|^fuse_set_log_func$", "tests/log.rs"),
    (r"^fuse_buf_", "tests/buf_conn_c.rs, src/buf.rs"),
    (r"^fuse_loop_cfg_", "tests/buf_conn_c.rs"),
    (r"conn_info_opts$|feature_flag$|^fuse_convert_to_conn_want_ext$", "tests/buf_conn_c.rs, src/conn.rs"),
    (r"^fuse_add_direntry", "tests/buf_conn_c.rs, src/dirent.rs"),
    (r"^fuse_session_(new|new_versioned|mount|unmount|destroy|loop|loop_mt.*|exit|exited|fd)$", "tests/session.rs, tests/mount.rs"),
    (r"^fuse_open_channel$", "tests/mount.rs"),
    (r"^fuse_reply_(entry|attr|err|open|buf)$", "tests/session.rs, tests/misuse.rs, libfuse suites"),
    (r"^fuse_req_is_uring$|^fuse_req_get_payload$|^fuse_req_interrupt", "tests/uring.rs, libfuse suites"),
    (r"^fuse_reply_|^fuse_req_|^fuse_lowlevel_notify_|^fuse_pollhandle_destroy$|^fuse_session_", "libfuse suites (tests/libfuse_suites.rs)"),
    (r"^fuse_passthrough_", "libfuse suites (passthrough_hp)"),
    (r"^cuse_lowlevel_", "tests/cuse.rs, src/session/cuse.rs"),
]

# Names exported only as .symver aliases of these functions (libfuse-abi.md §1).
ALIASES = {
    "fuse_session_loop_mt": ["fuse_session_loop_mt_31", "fuse_session_loop_mt_32", "fuse_session_loop_mt_312"],
    "fuse_loop_mt": ["fuse_loop_mt_31", "fuse_loop_mt_32", "fuse_loop_mt_312"],
    "fuse_parse_cmdline": ["fuse_parse_cmdline_30", "fuse_parse_cmdline_312"],
    "fuse_new": ["fuse_new_30", "fuse_new_31"],
    "fuse_session_custom_io": ["fuse_session_custom_io_30", "fuse_session_custom_io_317"],
}

BEGIN = "<!-- compat-table begin -->"
END = "<!-- compat-table end -->"


def exports():
    """name -> list of version strings as readelf shows them (@ / @@)."""
    out = {}
    for line in (TOP / "../shared/reference/exports-3.18.3.txt").read_text().split():
        name, ver = re.match(r"([^@]+)(@@?.*)", line).groups()
        out.setdefault(name, []).append(ver)
    return out


def stubs():
    found = set()
    for f in (TOP / "src").rglob("*.rs"):
        found.update(re.findall(r'not_implemented\("(\w+)"\)', f.read_text()))
    return found


def table():
    stub = stubs()
    rows = ["| function | versions | status | tested by |", "|---|---|---|---|"]
    for name, vers in sorted(exports().items()):
        implemented = not any(f in stub for f in ALIASES.get(name, [name]))
        tested = next((t for p, t in TESTED_BY if re.search(p, name)), "")
        if not implemented:
            tested = ""
        rows.append(
            "| `%s` | %s | %s | %s |"
            % (name, " ".join(vers), "yes" if implemented else "not yet", tested)
        )
    return "\n".join(rows)


def main():
    readme = TOP / "README.md"
    text = readme.read_text()
    block = BEGIN + "\n" + table() + "\n" + END
    if BEGIN in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = text.replace("COMPAT-TABLE", block)
    if "--check" in sys.argv:
        sys.exit(0 if readme.read_text() == text else 1)
    readme.write_text(text)


main()
