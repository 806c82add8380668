//! The generated parts of our public headers (`include/fuse3/generated/`)
//! come from cbindgen; this test fails when a checked-in one is stale.
//! Regenerate with `FERROFUSE_BLESS=1 cargo test --test headers`.

use std::collections::HashMap;
use std::path::Path;

/// One generated header: the exports it declares and the types it defines.
struct Generated {
    /// Output, relative to include/fuse3/generated/.
    file: &'static str,
    functions: &'static [&'static str],
    /// Types this header defines (others are left to the header that owns them).
    types: &'static [&'static str],
}

const GENERATED: &[Generated] = &[
    Generated {
        file: "fuse_opt.h",
        functions: &[
            "fuse_opt_parse",
            "fuse_opt_add_opt",
            "fuse_opt_add_opt_escaped",
            "fuse_opt_add_arg",
            "fuse_opt_insert_arg",
            "fuse_opt_free_args",
            "fuse_opt_match",
        ],
        types: &["fuse_opt", "fuse_args", "fuse_opt_proc_t"],
    },
    Generated {
        file: "fuse_common.h",
        functions: &[
            "fuse_parse_conn_info_opts",
            "fuse_apply_conn_info_opts",
            "fuse_daemonize",
            "fuse_version",
            "fuse_pkgversion",
            "fuse_pollhandle_destroy",
            "fuse_buf_size",
            "fuse_buf_copy",
            "fuse_set_signal_handlers",
            "fuse_set_fail_signal_handlers",
            "fuse_remove_signal_handlers",
            "fuse_set_feature_flag",
            "fuse_unset_feature_flag",
            "fuse_get_feature_flag",
            "fuse_convert_to_conn_want_ext",
        ],
        types: &["fuse_buf", "fuse_bufvec", "libfuse_version"],
    },
    Generated {
        file: "fuse_lowlevel.h",
        functions: &[
            "fuse_reply_err",
            "fuse_reply_none",
            "fuse_reply_entry",
            "fuse_reply_create",
            "fuse_reply_attr",
            "fuse_reply_readlink",
            "fuse_passthrough_open",
            "fuse_passthrough_close",
            "fuse_reply_open",
            "fuse_reply_write",
            "fuse_reply_buf",
            "fuse_reply_data",
            "fuse_reply_iov",
            "fuse_reply_statfs",
            "fuse_reply_xattr",
            "fuse_reply_lock",
            "fuse_reply_bmap",
            "fuse_add_direntry",
            "fuse_add_direntry_plus",
            "fuse_reply_ioctl_retry",
            "fuse_reply_ioctl",
            "fuse_reply_ioctl_iov",
            "fuse_reply_poll",
            "fuse_reply_lseek",
            "fuse_reply_statx",
            "fuse_lowlevel_notify_poll",
            "fuse_lowlevel_notify_inval_inode",
            "fuse_lowlevel_notify_increment_epoch",
            "fuse_lowlevel_notify_inval_entry",
            "fuse_lowlevel_notify_delete",
            "fuse_lowlevel_notify_store",
            "fuse_lowlevel_notify_retrieve",
            "fuse_req_userdata",
            "fuse_req_ctx",
            "fuse_req_getgroups",
            "fuse_req_interrupt_func",
            "fuse_req_interrupted",
            "fuse_lowlevel_version",
            "fuse_lowlevel_help",
            "fuse_cmdline_help",
            "fuse_session_new_versioned",
            "fuse_session_custom_io_317",
            "fuse_session_mount",
            "fuse_session_loop",
            "fuse_session_exit",
            "fuse_session_reset",
            "fuse_session_exited",
            "fuse_session_unmount",
            "fuse_session_destroy",
            "fuse_session_fd",
            "fuse_session_process_buf",
            "fuse_session_receive_buf",
            "fuse_req_is_uring",
            "fuse_req_get_payload",
        ],
        types: &[
            "fuse_ino_t",
            "fuse_req_t",
            "fuse_entry_param",
            "fuse_ctx",
            "fuse_forget_data",
            "fuse_custom_io",
            "fuse_interrupt_func_t",
            "fuse_cmdline_opts",
        ],
    },
    Generated {
        file: "fuse.h",
        functions: &[
            "fuse_main_real_versioned",
            "fuse_lib_help",
            "_fuse_new_30",
            "_fuse_new_31",
            "fuse_mount",
            "fuse_unmount",
            "fuse_destroy",
            "fuse_loop",
            "fuse_exit",
            "fuse_get_context",
            "fuse_getgroups",
            "fuse_interrupted",
            "fuse_invalidate_path",
            "fuse_start_cleanup_thread",
            "fuse_stop_cleanup_thread",
            "fuse_clean_cache",
            "fuse_fs_getattr",
            "fuse_fs_rename",
            "fuse_fs_unlink",
            "fuse_fs_rmdir",
            "fuse_fs_symlink",
            "fuse_fs_link",
            "fuse_fs_release",
            "fuse_fs_open",
            "fuse_fs_read",
            "fuse_fs_read_buf",
            "fuse_fs_write",
            "fuse_fs_write_buf",
            "fuse_fs_fsync",
            "fuse_fs_flush",
            "fuse_fs_statfs",
            "fuse_fs_opendir",
            "fuse_fs_readdir",
            "fuse_fs_fsyncdir",
            "fuse_fs_releasedir",
            "fuse_fs_create",
            "fuse_fs_lock",
            "fuse_fs_flock",
            "fuse_fs_chmod",
            "fuse_fs_chown",
            "fuse_fs_truncate",
            "fuse_fs_utimens",
            "fuse_fs_access",
            "fuse_fs_readlink",
            "fuse_fs_mknod",
            "fuse_fs_mkdir",
            "fuse_fs_setxattr",
            "fuse_fs_getxattr",
            "fuse_fs_listxattr",
            "fuse_fs_removexattr",
            "fuse_fs_bmap",
            "fuse_fs_poll",
            "fuse_fs_fallocate",
            "fuse_fs_copy_file_range",
            "fuse_fs_lseek",
            "fuse_fs_statx",
            "fuse_fs_init",
            "fuse_fs_destroy",
            "fuse_notify_poll",
            "fuse_fs_new",
            "fuse_get_session",
            "fuse_open_channel",
        ],
        types: &[
            "fuse_fill_dir_t",
            "fuse_config",
            "fuse_context",
            "fuse_module_factory_t",
        ],
    },
    Generated {
        file: "cuse_lowlevel.h",
        functions: &[
            "cuse_lowlevel_new",
            "cuse_lowlevel_setup",
            "cuse_lowlevel_teardown",
            "cuse_lowlevel_main",
        ],
        types: &["cuse_info"],
    },
];

/// Types the hand-written headers declare (bit-fields, enums, version-dependent
/// members): generated code refers to them but never defines them.
const HAND_WRITTEN: &[&str] = &[
    "fuse_log_level",
    "fuse_buf_flags",
    "fuse_buf_copy_flags",
    "fuse_readdir_flags",
    "fuse_fill_dir_flags",
    "fuse_notify_entry_flags",
    "fuse_log_func_t",
    "fuse_file_info",
    "fuse_conn_info",
    "fuse_loop_config",
    "fuse_loop_config_v1",
    "fuse_lowlevel_ops",
    "fuse_operations",
    "cuse_lowlevel_ops",
];

/// Exports the hand-written headers declare themselves: libfuse declares
/// them differently per FUSE_USE_VERSION, as macros or inline wrappers, or
/// they are C (the variadic fuse_log and its siblings live in log.c).
const HAND_DECLARED: &[(&str, &[&str])] = &[
    (
        "fuse_log.h",
        &[
            "fuse_log",
            "fuse_set_log_func",
            "fuse_log_enable_syslog",
            "fuse_log_close_syslog",
        ],
    ),
    (
        "fuse_common.h",
        &[
            "fuse_loop_cfg_create",
            "fuse_loop_cfg_destroy",
            "fuse_loop_cfg_set_idle_threads",
            "fuse_loop_cfg_set_max_threads",
            "fuse_loop_cfg_set_clone_fd",
            "fuse_loop_cfg_convert",
        ],
    ),
    (
        "fuse_lowlevel.h",
        &[
            "fuse_lowlevel_notify_expire_entry",
            "fuse_parse_cmdline",
            "fuse_parse_cmdline_30",
            "fuse_parse_cmdline_312",
            "fuse_session_new",
            "fuse_session_custom_io",
            "fuse_session_loop_mt",
            "fuse_session_loop_mt_31",
            "fuse_session_loop_mt_32",
            "fuse_session_loop_mt_312",
        ],
    ),
    (
        "fuse.h",
        &[
            "fuse_main_real",
            "fuse_new",
            "fuse_loop_mt",
            "fuse_loop_mt_31",
            "fuse_loop_mt_32",
            "fuse_loop_mt_312",
            "fuse_fs_ioctl",
        ],
    ),
];

/// Exports that no libfuse 3.18 header declares: they serve binaries built
/// against older headers only.
const LEGACY_ONLY: &[&str] = &["fuse_new_30", "fuse_new_31", "fuse_session_custom_io_30"];

/// Opaque structs: Rust declares them with a macro, which cbindgen does not
/// expand, so it never sees them; the hand-written headers forward-declare them.
const OPAQUE: &[&str] = &[
    "fuse_session",
    "fuse_req",
    "fuse_pollhandle",
    "fuse_conn_info_opts",
    "fuse_loop_config",
    "fuse",
    "fuse_fs",
];

/// libc types cbindgen sees by their Rust name.
const C_NAMES: &[(&str, &str)] = &[
    ("stat", "struct stat"),
    ("statvfs", "struct statvfs"),
    ("flock", "struct flock"),
    ("iovec", "struct iovec"),
    ("timespec", "struct timespec"),
    ("statx", "struct statx"),
    // C enums the hand-written headers define; Rust passes them as c_uint.
    ("fuse_log_level", "enum fuse_log_level"),
    ("fuse_buf_flags", "enum fuse_buf_flags"),
    ("fuse_buf_copy_flags", "enum fuse_buf_copy_flags"),
    ("fuse_readdir_flags", "enum fuse_readdir_flags"),
    ("fuse_fill_dir_flags", "enum fuse_fill_dir_flags"),
    ("fuse_notify_entry_flags", "enum fuse_notify_entry_flags"),
];

/// Every `fn` name in src/capi (Rust-internal ones included: excluding
/// those from cbindgen's output is harmless).
fn capi_fn_names() -> Vec<String> {
    fn walk(dir: &Path, names: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, names);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                let mut rest = text.as_str();
                while let Some(i) = rest.find("fn ") {
                    let before = rest[..i].chars().next_back();
                    rest = &rest[i + 3..];
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        continue;
                    }
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        names.push(name);
                    }
                }
            }
        }
    }
    let mut names = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/capi"),
        &mut names,
    );
    names.sort();
    names.dedup();
    names
}

fn exported_functions() -> Vec<String> {
    let map = std::fs::read_to_string("src/capi/fuse3.map").unwrap();
    let mut v: Vec<String> = map
        .lines()
        .map(str::trim)
        .filter(|l| l.ends_with(';') && !l.starts_with('}') && *l != "*;")
        .map(|l| l.trim_end_matches(';').to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// How `g` must spell the types it uses but does not define. cbindgen only
/// writes the `struct` tag for structs it defines itself, so every other
/// struct is renamed to `struct X` (typedef names, which end in `_t`, stay).
fn renames(g: &Generated) -> HashMap<String, String> {
    let mut map: HashMap<String, String> = C_NAMES
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let foreign = GENERATED
        .iter()
        .filter(|o| o.file != g.file)
        .flat_map(|o| o.types.iter())
        .chain(HAND_WRITTEN)
        .chain(OPAQUE);
    for t in foreign {
        if !t.ends_with("_t") && !map.contains_key(*t) {
            map.insert(t.to_string(), format!("struct {t}"));
        }
    }
    map
}

fn generate(g: &Generated) -> String {
    let mut config = cbindgen::Config {
        language: cbindgen::Language::C,
        cpp_compat: true,
        style: cbindgen::Style::Tag,
        usize_is_size_t: true,
        no_includes: true,
        include_guard: Some(format!(
            "FERROFUSE_GENERATED_{}",
            g.file.to_uppercase().replace('.', "_")
        )),
        autogen_warning: Some(
            "/* Generated by cbindgen from ferrofuse's src/capi; do not edit.\n   \
             Regenerate: FERROFUSE_BLESS=1 cargo test --test headers */"
                .into(),
        ),
        documentation: true,
        ..Default::default()
    };
    let own: Vec<&str> = g.functions.iter().chain(g.types).copied().collect();
    let mut exclude: Vec<String> = exported_functions()
        .into_iter()
        .filter(|f| !own.contains(&f.as_str()))
        .collect();
    for other in GENERATED.iter().filter(|o| o.file != g.file) {
        exclude.extend(other.types.iter().map(|t| t.to_string()));
    }
    exclude.extend(HAND_WRITTEN.iter().map(|t| t.to_string()));
    // Nothing else with a C signature belongs here either: C functions the
    // Rust code calls (extern "C" blocks, e.g. libc's backtrace) and
    // non-exported extern "C" helpers.
    exclude.extend(
        capi_fn_names()
            .into_iter()
            .filter(|f| !own.contains(&f.as_str())),
    );
    config.export.exclude = exclude;
    // Constants and enums are hand-written: libfuse spells them as C enums
    // and macros, which Rust constants cannot reproduce.
    config.export.item_types = vec![
        cbindgen::ItemType::Structs,
        cbindgen::ItemType::Typedefs,
        cbindgen::ItemType::OpaqueItems,
        cbindgen::ItemType::Functions,
    ];
    config.export.include = g.types.iter().map(|t| t.to_string()).collect();
    config.export.rename = renames(g);

    // Only the C-facing skin (src/capi/mod.rs and the modules it declares)
    // is parsed: the rest of the crate is Rust's own business, and its
    // public items must not leak into the C headers.
    let builder = cbindgen::Builder::new()
        .with_config(config)
        .with_src(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/capi/mod.rs"));
    let mut out = Vec::new();
    builder.generate().expect("cbindgen failed").write(&mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn generated_headers_are_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/fuse3/generated");
    let bless = std::env::var_os("FERROFUSE_BLESS").is_some();
    let mut stale = Vec::new();
    for g in GENERATED {
        let text = generate(g);
        let path = dir.join(g.file);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(g.file);
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated headers {stale:?}: run FERROFUSE_BLESS=1 cargo test --test headers"
    );
}

/// Every export is declared by exactly one header, generated or by hand, or
/// is listed as a legacy-only entry point; hand-declared ones really appear
/// in their header.
#[test]
fn every_export_is_declared_once() {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    let mut add = |name: &'static str, by: &'static str| {
        if let Some(prev) = seen.insert(name, by) {
            panic!("{name} is declared by both {prev} and {by}");
        }
    };
    for g in GENERATED {
        for f in g.functions {
            add(f, g.file);
        }
    }
    for (file, names) in HAND_DECLARED {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("include/fuse3")
                .join(file),
        )
        .unwrap();
        for f in *names {
            assert!(
                text.contains(&format!("{f}(")),
                "{file} does not declare {f}"
            );
            add(f, file);
        }
    }
    for f in LEGACY_ONLY {
        add(f, "(legacy only)");
    }
    let exports = exported_functions();
    let missing: Vec<_> = exports
        .iter()
        .filter(|e| !seen.contains_key(e.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "exports no header declares: {missing:?}"
    );
    let unknown: Vec<_> = seen
        .keys()
        .filter(|k| !exports.iter().any(|e| e == *k))
        .collect();
    assert!(unknown.is_empty(), "declared but not exported: {unknown:?}");
}
