//! Struct layouts seen from C. `capi-tests/layout.c` prints the size, field
//! offsets and bit-field positions of every public struct; compiled against
//! our headers they must equal the Rust mirrors (src/capi/types.rs) and the
//! libfuse 3.18.3 figures of libfuse-abi.md §2, and compiled against real
//! libfuse headers (Debian's 3.14 in /usr/include/fuse3, and 3.18.3 from
//! its source package) they must give libfuse's figures and, for 3.14, the
//! 3.14 mirrors of src/compat.rs.

mod common;

use common::*;
use fuse3::capi::types::*;
use fuse3::compat::*;
use std::collections::BTreeMap;
use std::mem::{offset_of, size_of};
use std::path::{Path, PathBuf};
use std::process::Command;

/// "key" -> "value" as the probe prints them ("fuse_buf 48",
/// "fuse_file_info.fh 16", "fuse_file_info.direct_io bit 33 1").
type Layout = BTreeMap<String, String>;

/// The FUSE_USE_VERSIONs the probe is built at against 3.17+ headers.
const VERSIONS: &[u32] = &[31, 35, 312, 317, 318];
/// ... and against Debian's 3.14 headers.
const VERSIONS_314: &[u32] = &[31, 35, 312];

/// Builds and runs the probe with `includes` at FUSE_USE_VERSION `v`.
fn probe(tag: &str, includes: &[PathBuf], v: u32) -> Layout {
    let dir = scratch(&format!("layout-{tag}-{v}"));
    let exe = dir.join("layout");
    let mut cc = c_compiler("cc");
    cc.arg(format!("-DFUSE_USE_VERSION={v}"));
    for i in includes {
        cc.arg("-I").arg(i);
    }
    cc.arg(top().join("capi-tests/layout.c"))
        .arg("-o")
        .arg(&exe);
    run(&mut cc);
    parse(&run(&mut Command::new(&exe)))
}

fn parse(text: &str) -> Layout {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l
                .trim()
                .split_once(' ')
                .unwrap_or_else(|| panic!("bad line {l:?}"));
            (k.to_string(), v.trim().to_string())
        })
        .collect()
}

/// Asserts two layouts are equal, listing every difference.
fn assert_same(what: &str, got: &Layout, want: &Layout) {
    let mut diffs = Vec::new();
    for (k, v) in want {
        match got.get(k) {
            Some(g) if g == v => {}
            Some(g) => diffs.push(format!("{k}: got {g}, want {v}")),
            None => diffs.push(format!("{k}: missing (want {v})")),
        }
    }
    for (k, g) in got {
        if !want.contains_key(k) {
            diffs.push(format!("{k}: unexpected ({g})"));
        }
    }
    assert!(diffs.is_empty(), "{what}:\n  {}", diffs.join("\n  "));
}

/// Which of libfuse's two ABIs a layout describes.
#[derive(Clone, Copy, PartialEq)]
enum Abi {
    V314,
    V317,
}

struct Expect(Layout);

impl Expect {
    fn size(&mut self, name: &str, size: usize) {
        self.0.insert(name.into(), size.to_string());
    }
    fn off(&mut self, name: &str, field: &str, off: usize) {
        self.0.insert(format!("{name}.{field}"), off.to_string());
    }
    fn bits(&mut self, name: &str, field: &str, first: usize, width: usize) {
        self.0
            .insert(format!("{name}.{field}"), format!("bit {first} {width}"));
    }
}

/// `e.size(..)` plus `e.off(..)` for each listed field of a Rust type.
macro_rules! fields {
    ($e:ident, $name:literal, $t:ty $(, $f:ident)* $(,)?) => {{
        $e.size($name, size_of::<$t>());
        $( $e.off($name, stringify!($f), offset_of!($t, $f)); )*
    }};
}

/// What the probe must print, computed from the Rust mirrors.
fn rust_layout(abi: Abi) -> Layout {
    let mut e = Expect(Layout::new());
    let new = abi == Abi::V317;

    // fuse_file_info: the Rust mirror keeps the bit-fields in one u32
    // (`bits`, positions in fi_bits); padding2/padding3 are 32-bit fields.
    if new {
        fields!(
            e,
            "fuse_file_info",
            fuse_file_info,
            flags,
            fh,
            lock_owner,
            poll_events,
            backing_id,
            compat_flags,
            reserved
        );
    } else {
        fields!(
            e,
            "fuse_file_info",
            fuse_file_info_v314,
            flags,
            fh,
            lock_owner,
            poll_events
        );
    }
    let bits = 8 * offset_of!(fuse_file_info, bits);
    assert_eq!(
        offset_of!(fuse_file_info_v314, bits),
        offset_of!(fuse_file_info, bits)
    );
    let mut flags = vec![
        ("writepage", fi_bits::WRITEPAGE),
        ("direct_io", fi_bits::DIRECT_IO),
        ("keep_cache", fi_bits::KEEP_CACHE),
        ("flush", fi_bits::FLUSH),
        ("nonseekable", fi_bits::NONSEEKABLE),
        ("flock_release", fi_bits::FLOCK_RELEASE),
        ("cache_readdir", fi_bits::CACHE_READDIR),
        ("noflush", fi_bits::NOFLUSH),
    ];
    if new {
        flags.push(("parallel_direct_writes", fi_bits::PARALLEL_DIRECT_WRITES));
        flags.push(("kill_suidgid", fi_bits::KILL_SUIDGID));
    }
    let mut used = 0;
    for (f, mask) in flags {
        e.bits(
            "fuse_file_info",
            f,
            bits + mask.trailing_zeros() as usize,
            1,
        );
        used = used.max(mask.trailing_zeros() as usize + 1);
    }
    // The padding bit-field fills the rest of the u32.
    e.bits("fuse_file_info", "padding", bits + used, 32 - used);
    if new {
        e.bits(
            "fuse_file_info",
            "padding2",
            8 * offset_of!(fuse_file_info, padding2),
            32,
        );
        e.bits(
            "fuse_file_info",
            "padding3",
            8 * offset_of!(fuse_file_info, padding3),
            32,
        );
    } else {
        e.bits(
            "fuse_file_info",
            "padding2",
            8 * offset_of!(fuse_file_info_v314, padding2),
            32,
        );
    }

    if new {
        fields!(
            e,
            "fuse_conn_info",
            fuse_conn_info,
            proto_major,
            proto_minor,
            max_write,
            max_read,
            max_readahead,
            capable,
            want,
            max_background,
            congestion_threshold,
            time_gran,
            max_backing_stack_depth,
            capable_ext,
            want_ext,
            request_timeout,
            reserved
        );
        // `bits`: no_interrupt is bit 0, the rest is padding.
        let b = 8 * offset_of!(fuse_conn_info, bits);
        e.bits("fuse_conn_info", "no_interrupt", b, 1);
        e.bits("fuse_conn_info", "padding", b + 1, 31);
    } else {
        fields!(
            e,
            "fuse_conn_info",
            fuse_conn_info_v314,
            proto_major,
            proto_minor,
            max_write,
            max_read,
            max_readahead,
            capable,
            want,
            max_background,
            congestion_threshold,
            time_gran,
            reserved
        );
    }

    fields!(
        e,
        "fuse_lowlevel_ops",
        fuse_lowlevel_ops,
        init,
        destroy,
        lookup,
        forget,
        getattr,
        setattr,
        readlink,
        mknod,
        mkdir,
        unlink,
        rmdir,
        symlink,
        rename,
        link,
        open,
        read,
        write,
        flush,
        release,
        fsync,
        opendir,
        readdir,
        releasedir,
        fsyncdir,
        statfs,
        setxattr,
        getxattr,
        listxattr,
        removexattr,
        access,
        create,
        getlk,
        setlk,
        bmap,
        ioctl,
        poll,
        write_buf,
        retrieve_reply,
        forget_multi,
        flock,
        fallocate,
        readdirplus,
        copy_file_range,
        lseek
    );
    fields!(
        e,
        "fuse_operations",
        fuse_operations,
        getattr,
        readlink,
        mknod,
        mkdir,
        unlink,
        rmdir,
        symlink,
        rename,
        link,
        chmod,
        chown,
        truncate,
        open,
        read,
        write,
        statfs,
        flush,
        release,
        fsync,
        setxattr,
        getxattr,
        listxattr,
        removexattr,
        opendir,
        readdir,
        releasedir,
        fsyncdir,
        init,
        destroy,
        access,
        create,
        lock,
        utimens,
        bmap,
        ioctl,
        poll,
        write_buf,
        read_buf,
        flock,
        fallocate,
        copy_file_range,
        lseek
    );
    if new {
        e.off(
            "fuse_lowlevel_ops",
            "tmpfile",
            offset_of!(fuse_lowlevel_ops, tmpfile),
        );
        e.off(
            "fuse_lowlevel_ops",
            "statx",
            offset_of!(fuse_lowlevel_ops, statx),
        );
        e.off(
            "fuse_operations",
            "statx",
            offset_of!(fuse_operations, statx),
        );
    } else {
        // 3.14's tables are the prefixes that end where the new slots start.
        e.size("fuse_lowlevel_ops", offset_of!(fuse_lowlevel_ops, tmpfile));
        e.size("fuse_operations", offset_of!(fuse_operations, statx));
    }
    fields!(
        e,
        "cuse_lowlevel_ops",
        cuse_lowlevel_ops,
        init,
        init_done,
        destroy,
        open,
        read,
        write,
        flush,
        release,
        fsync,
        ioctl,
        poll
    );

    if new {
        fields!(
            e,
            "fuse_config",
            fuse_config,
            set_gid,
            gid,
            set_uid,
            uid,
            set_mode,
            umask,
            entry_timeout,
            negative_timeout,
            attr_timeout,
            intr,
            intr_signal,
            remember,
            hard_remove,
            use_ino,
            readdir_ino,
            direct_io,
            kernel_cache,
            auto_cache,
            no_rofd_flush,
            ac_attr_timeout_set,
            ac_attr_timeout,
            nullpath_ok,
            show_help,
            modules,
            debug,
            fmask,
            dmask,
            parallel_direct_writes,
            flags,
            reserved
        );
    } else {
        fields!(
            e,
            "fuse_config",
            fuse_config_v314,
            set_gid,
            gid,
            set_uid,
            uid,
            set_mode,
            umask,
            entry_timeout,
            negative_timeout,
            attr_timeout,
            intr,
            intr_signal,
            remember,
            hard_remove,
            use_ino,
            readdir_ino,
            direct_io,
            kernel_cache,
            auto_cache,
            no_rofd_flush,
            ac_attr_timeout_set,
            ac_attr_timeout,
            nullpath_ok,
            show_help,
            modules,
            debug
        );
    }

    fields!(
        e,
        "fuse_entry_param",
        fuse_entry_param,
        ino,
        generation,
        attr,
        attr_timeout,
        entry_timeout
    );
    fields!(e, "fuse_ctx", fuse_ctx, uid, gid, pid, umask);
    fields!(
        e,
        "fuse_context",
        fuse_context,
        fuse,
        uid,
        gid,
        pid,
        private_data,
        umask
    );
    if new {
        fields!(e, "fuse_buf", fuse_buf, size, flags, mem, fd, pos, mem_size);
        fields!(e, "fuse_bufvec", fuse_bufvec, count, idx, off, buf);
    } else {
        fields!(e, "fuse_buf", fuse_buf_v314, size, flags, mem, fd, pos);
        fields!(e, "fuse_bufvec", fuse_bufvec_v314, count, idx, off, buf);
    }
    fields!(e, "fuse_args", fuse_args, argc, argv, allocated);
    fields!(e, "fuse_opt", fuse_opt, templ, offset, value);
    fields!(
        e,
        "fuse_cmdline_opts",
        fuse_cmdline_opts,
        singlethread,
        foreground,
        debug,
        nodefault_subtype,
        mountpoint,
        show_version,
        show_help,
        clone_fd,
        max_idle_threads,
        max_threads
    );
    fields!(
        e,
        "fuse_loop_config_v1",
        fuse_loop_config_v1,
        clone_fd,
        max_idle_threads
    );
    fields!(
        e,
        "fuse_custom_io",
        fuse_custom_io,
        writev,
        read,
        splice_receive,
        splice_send
    );
    if new {
        e.off(
            "fuse_custom_io",
            "clone_fd",
            offset_of!(fuse_custom_io, clone_fd),
        );
        fields!(
            e,
            "libfuse_version",
            libfuse_version,
            major,
            minor,
            hotfix,
            padding
        );
    } else {
        // 3.14's struct ends before clone_fd.
        e.size("fuse_custom_io", offset_of!(fuse_custom_io, clone_fd));
    }
    fields!(e, "fuse_forget_data", fuse_forget_data, ino, nlookup);
    fields!(
        e,
        "cuse_info",
        cuse_info,
        dev_major,
        dev_minor,
        dev_info_argc,
        dev_info_argv,
        flags
    );
    e.0
}

/// libfuse-abi.md §2, figures common to 3.14 and 3.18.3. Where the document
/// states a rule instead of a number ("8 bytes per slot", "offsets 0-36 are
/// the same", consecutive 4-byte fields), the number follows from it.
const DOC_COMMON: &str = "
fuse_file_info.flags 0
fuse_file_info.writepage bit 32 1
fuse_file_info.direct_io bit 33 1
fuse_file_info.keep_cache bit 34 1
fuse_file_info.flush bit 35 1
fuse_file_info.nonseekable bit 36 1
fuse_file_info.flock_release bit 37 1
fuse_file_info.cache_readdir bit 38 1
fuse_file_info.noflush bit 39 1
fuse_file_info.padding2 bit 64 32
fuse_file_info.fh 16
fuse_file_info.lock_owner 24
fuse_file_info.poll_events 32
fuse_conn_info 128
fuse_conn_info.proto_major 0
fuse_conn_info.proto_minor 4
fuse_conn_info.max_write 8
fuse_conn_info.max_read 12
fuse_conn_info.max_readahead 16
fuse_conn_info.capable 20
fuse_conn_info.want 24
fuse_conn_info.max_background 28
fuse_conn_info.congestion_threshold 32
fuse_conn_info.time_gran 36
cuse_lowlevel_ops 88
fuse_config.set_gid 0
fuse_config.gid 4
fuse_config.set_uid 8
fuse_config.uid 12
fuse_config.set_mode 16
fuse_config.umask 20
fuse_config.entry_timeout 24
fuse_config.negative_timeout 32
fuse_config.attr_timeout 40
fuse_config.intr 48
fuse_config.intr_signal 52
fuse_config.remember 56
fuse_config.hard_remove 60
fuse_config.use_ino 64
fuse_config.readdir_ino 68
fuse_config.direct_io 72
fuse_config.kernel_cache 76
fuse_config.auto_cache 80
fuse_entry_param 176
fuse_entry_param.ino 0
fuse_entry_param.generation 8
fuse_entry_param.attr 16
fuse_entry_param.attr_timeout 160
fuse_entry_param.entry_timeout 168
fuse_ctx 16
fuse_ctx.uid 0
fuse_ctx.gid 4
fuse_ctx.pid 8
fuse_ctx.umask 12
fuse_context 40
fuse_context.fuse 0
fuse_context.uid 8
fuse_context.gid 12
fuse_context.pid 16
fuse_context.private_data 24
fuse_context.umask 32
fuse_buf.size 0
fuse_buf.flags 8
fuse_buf.mem 16
fuse_buf.fd 24
fuse_buf.pos 32
fuse_bufvec.count 0
fuse_bufvec.idx 8
fuse_bufvec.off 16
fuse_bufvec.buf 24
fuse_args 24
fuse_args.argc 0
fuse_args.argv 8
fuse_args.allocated 16
fuse_opt 24
fuse_opt.templ 0
fuse_opt.offset 8
fuse_opt.value 16
fuse_cmdline_opts 48
fuse_cmdline_opts.singlethread 0
fuse_cmdline_opts.foreground 4
fuse_cmdline_opts.debug 8
fuse_cmdline_opts.nodefault_subtype 12
fuse_cmdline_opts.mountpoint 16
fuse_cmdline_opts.show_version 24
fuse_cmdline_opts.show_help 28
fuse_cmdline_opts.clone_fd 32
fuse_cmdline_opts.max_idle_threads 36
fuse_cmdline_opts.max_threads 40
fuse_loop_config_v1 8
fuse_loop_config_v1.clone_fd 0
fuse_loop_config_v1.max_idle_threads 4
fuse_custom_io.writev 0
fuse_custom_io.read 8
fuse_custom_io.splice_receive 16
fuse_custom_io.splice_send 24
fuse_forget_data 16
fuse_forget_data.ino 0
fuse_forget_data.nlookup 8
cuse_info 32
cuse_info.dev_major 0
cuse_info.dev_minor 4
cuse_info.dev_info_argc 8
cuse_info.dev_info_argv 16
cuse_info.flags 24
";

/// libfuse-abi.md §2, 3.18.3 column.
const DOC_318: &str = "
fuse_lowlevel_ops 368
fuse_operations 344
fuse_file_info 64
fuse_file_info.parallel_direct_writes bit 40 1
fuse_file_info.kill_suidgid bit 41 1
fuse_file_info.padding bit 42 22
fuse_file_info.padding3 bit 96 32
fuse_file_info.backing_id 36
fuse_file_info.compat_flags 40
fuse_file_info.reserved 48
fuse_conn_info.max_backing_stack_depth 40
fuse_conn_info.no_interrupt bit 352 1
fuse_conn_info.padding bit 353 31
fuse_conn_info.capable_ext 48
fuse_conn_info.want_ext 56
fuse_conn_info.request_timeout 64
fuse_conn_info.reserved 66
fuse_config 520
fuse_config.ac_attr_timeout_set 84
fuse_config.ac_attr_timeout 88
fuse_config.nullpath_ok 96
fuse_config.show_help 100
fuse_config.modules 104
fuse_config.debug 112
fuse_config.fmask 116
fuse_config.dmask 120
fuse_config.no_rofd_flush 124
fuse_config.parallel_direct_writes 128
fuse_config.flags 132
fuse_config.reserved 136
fuse_buf 48
fuse_buf.mem_size 40
fuse_bufvec 72
fuse_custom_io 40
fuse_custom_io.clone_fd 32
libfuse_version 16
libfuse_version.major 0
libfuse_version.minor 4
libfuse_version.hotfix 8
libfuse_version.padding 12
";

/// libfuse-abi.md §2, 3.14 column.
const DOC_314: &str = "
fuse_lowlevel_ops 352
fuse_operations 336
fuse_file_info 40
fuse_file_info.padding bit 40 24
fuse_conn_info.reserved 40
fuse_config 128
fuse_config.no_rofd_flush 84
fuse_config.ac_attr_timeout_set 88
fuse_config.ac_attr_timeout 96
fuse_config.nullpath_ok 104
fuse_config.show_help 108
fuse_config.modules 112
fuse_config.debug 120
fuse_buf 40
fuse_bufvec 64
fuse_custom_io 32
";

/// The slots of the ops tables in libfuse-abi.md §2's order, 8 bytes each.
const LL_SLOTS: &str = "init destroy lookup forget getattr setattr readlink mknod mkdir unlink \
    rmdir symlink rename link open read write flush release fsync opendir readdir releasedir \
    fsyncdir statfs setxattr getxattr listxattr removexattr access create getlk setlk bmap \
    ioctl poll write_buf retrieve_reply forget_multi flock fallocate readdirplus \
    copy_file_range lseek";
const HL_SLOTS: &str = "getattr readlink mknod mkdir unlink rmdir symlink rename link chmod \
    chown truncate open read write statfs flush release fsync setxattr getxattr listxattr \
    removexattr opendir readdir releasedir fsyncdir init destroy access create lock utimens \
    bmap ioctl poll write_buf read_buf flock fallocate copy_file_range lseek";
/// cuse_lowlevel_ops: "11 fn ptrs", in the header's order.
const CUSE_SLOTS: &str = "init init_done destroy open read write flush release fsync ioctl poll";

fn doc_layout(abi: Abi) -> Layout {
    let mut l = parse(DOC_COMMON);
    l.extend(parse(if abi == Abi::V317 { DOC_318 } else { DOC_314 }));
    let (ll_extra, hl_extra) = match abi {
        Abi::V317 => (" tmpfile statx", " statx"),
        Abi::V314 => ("", ""),
    };
    for (name, slots) in [
        ("fuse_lowlevel_ops", format!("{LL_SLOTS}{ll_extra}")),
        ("fuse_operations", format!("{HL_SLOTS}{hl_extra}")),
        ("cuse_lowlevel_ops", CUSE_SLOTS.to_string()),
    ] {
        for (i, slot) in slots.split_whitespace().enumerate() {
            l.insert(format!("{name}.{slot}"), (8 * i).to_string());
        }
    }
    l
}

#[test]
fn doc_figures_agree_with_the_rust_mirrors() {
    // The two expectations are independent; check them against each other
    // first so that a failure below points at the headers.
    assert_same(
        "Rust 3.17+ mirrors vs libfuse-abi.md 3.18.3",
        &rust_layout(Abi::V317),
        &doc_layout(Abi::V317),
    );
    assert_same(
        "Rust 3.14 mirrors vs libfuse-abi.md 3.14",
        &rust_layout(Abi::V314),
        &doc_layout(Abi::V314),
    );
}

#[test]
fn our_headers_match_rust_and_libfuse_3_18_3() {
    let rust = rust_layout(Abi::V317);
    let doc = doc_layout(Abi::V317);
    for &v in VERSIONS {
        let got = probe("ours", &[include_dir()], v);
        assert_same(&format!("our headers at {v} vs Rust types.rs"), &got, &rust);
        assert_same(&format!("our headers at {v} vs libfuse-abi.md"), &got, &doc);
    }
}

#[test]
fn debian_3_14_headers_match_compat_mirrors() {
    let inc = Path::new("/usr/include/fuse3");
    assert!(
        inc.join("fuse_lowlevel.h").exists(),
        "Debian's libfuse3-dev is missing: run tools/setup.sh"
    );
    let rust = rust_layout(Abi::V314);
    let doc = doc_layout(Abi::V314);
    for &v in VERSIONS_314 {
        let got = probe("debian314", &[inc.to_path_buf()], v);
        assert_same(
            &format!("3.14 headers at {v} vs Rust compat.rs"),
            &got,
            &rust,
        );
        assert_same(
            &format!("3.14 headers at {v} vs libfuse-abi.md"),
            &got,
            &doc,
        );
    }
}

/// The libfuse_config.h that libfuse 3.18.3's meson build generates.
pub const LIBFUSE_318_CONFIG: &str = "#pragma once
#define FUSE_MAJOR_VERSION 3
#define FUSE_MINOR_VERSION 18
#define FUSE_HOTFIX_VERSION 3
#define FUSE_RC_VERSION
#define LIBFUSE_BUILT_WITH_VERSIONED_SYMBOLS 1
";

#[test]
fn real_3_18_3_headers_match_ours() {
    let src = libfuse_source(Suite::Sid);
    let cfg = scratch("layout-real318-config");
    std::fs::write(cfg.join("libfuse_config.h"), LIBFUSE_318_CONFIG).unwrap();
    let doc = doc_layout(Abi::V317);
    for &v in VERSIONS {
        let real = probe("real318", &[src.join("include"), cfg.clone()], v);
        assert_same(
            &format!("libfuse 3.18.3 headers at {v} vs libfuse-abi.md"),
            &real,
            &doc,
        );
        let ours = probe("ours-vs-real", &[include_dir()], v);
        assert_same(
            &format!("our headers vs libfuse 3.18.3's at {v}"),
            &ours,
            &real,
        );
    }
}
