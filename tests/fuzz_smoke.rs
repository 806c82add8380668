//! The dispatch fuzz target (`fuzz/`, issue 7) from stable Rust:
//!
//! - the seed corpus `fuzz/corpus/dispatch/` is generated here
//!   ([`seeds`]); a test fails when the committed files are stale
//!   (regenerate with `FERROFUSE_BLESS=1 cargo test --test fuzz_smoke`);
//! - every corpus file is replayed through the fuzz harness
//!   (`fuzz/harness.rs`, the same code the fuzz target runs), which checks
//!   every reply;
//! - unknown opcodes, and opcodes the filesystem does not implement, get
//!   ENOSYS;
//! - `cargo +nightly fuzz run dispatch` runs for a bounded time
//!   (FERROFUSE_FUZZ_SECS, default 60; 0 skips it), installing cargo-fuzz
//!   first if it is missing, and must exit 0. Without a nightly toolchain
//!   the run is skipped with a message.

mod common;

#[path = "../fuzz/harness.rs"]
mod harness;

use common::*;
use fuse3::kernel::*;
use harness::{encode_input, request, Config};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn corpus_dir() -> PathBuf {
    top().join("fuzz/corpus/dispatch")
}

/// A name and a NUL, as the kernel sends names.
fn cname(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A request with its header's `len` off by `delta` bytes.
fn bad_len(mut req: Vec<u8>, delta: i64) -> Vec<u8> {
    let len = u32::from_le_bytes(req[..4].try_into().unwrap());
    let len = (i64::from(len) + delta) as u32;
    req[..4].copy_from_slice(&len.to_le_bytes());
    req
}

/// The seed corpus: one input per file, each the configuration byte and a
/// few requests (the harness sends its own INIT first). Valid requests for
/// every opcode, then truncated ones, bad lengths, unknown opcodes and
/// older protocol versions.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let m = Config::modern();
    let mut s: Vec<(String, Vec<u8>)> = Vec::new();
    let r = request;

    // Names and the entry family.
    add(
        &mut s,
        "lookup",
        m,
        vec![
            r(FUSE_LOOKUP, 2, 1, &cname("file")),
            r(FUSE_LOOKUP, 3, 1, &cname("missing")),
        ],
    );
    add(
        &mut s,
        "forget",
        m,
        vec![
            r(FUSE_FORGET, 2, 2, fuse_forget_in { nlookup: 1 }.as_bytes()),
            r(
                FUSE_BATCH_FORGET,
                3,
                0,
                &cat(&[
                    fuse_batch_forget_in { count: 2, dummy: 0 }.as_bytes(),
                    fuse_forget_one {
                        nodeid: 2,
                        nlookup: 1,
                    }
                    .as_bytes(),
                    fuse_forget_one {
                        nodeid: 3,
                        nlookup: 5,
                    }
                    .as_bytes(),
                ]),
            ),
        ],
    );
    add(
        &mut s,
        "batch-forget-short",
        m,
        vec![r(
            FUSE_BATCH_FORGET,
            2,
            0,
            &cat(&[
                fuse_batch_forget_in { count: 9, dummy: 0 }.as_bytes(),
                fuse_forget_one {
                    nodeid: 2,
                    nlookup: 1,
                }
                .as_bytes(),
            ]),
        )],
    );
    add(
        &mut s,
        "getattr",
        m,
        vec![
            r(
                FUSE_GETATTR,
                2,
                1,
                fuse_getattr_in {
                    getattr_flags: FUSE_GETATTR_FH,
                    dummy: 0,
                    fh: 7,
                }
                .as_bytes(),
            ),
            r(FUSE_GETATTR, 3, 2, fuse_getattr_in::default().as_bytes()),
        ],
    );
    add(
        &mut s,
        "setattr",
        m,
        vec![r(
            FUSE_SETATTR,
            2,
            2,
            fuse_setattr_in {
                valid: FATTR_MODE | FATTR_SIZE | FATTR_FH,
                fh: 7,
                size: 10,
                mode: 0o600,
                ..Default::default()
            }
            .as_bytes(),
        )],
    );
    add(
        &mut s,
        "readlink-symlink",
        m,
        vec![
            r(FUSE_READLINK, 2, 2, &[]),
            r(
                FUSE_SYMLINK,
                3,
                1,
                &cat(&[&cname("link"), &cname("target")]),
            ),
        ],
    );
    add(
        &mut s,
        "mknod-mkdir",
        m,
        vec![
            r(
                FUSE_MKNOD,
                2,
                1,
                &cat(&[
                    fuse_mknod_in {
                        mode: libc::S_IFIFO | 0o644,
                        rdev: 0,
                        umask: 0o22,
                        padding: 0,
                    }
                    .as_bytes(),
                    &cname("fifo"),
                ]),
            ),
            r(
                FUSE_MKDIR,
                3,
                1,
                &cat(&[
                    fuse_mkdir_in {
                        mode: 0o755,
                        umask: 0o22,
                    }
                    .as_bytes(),
                    &cname("dir"),
                ]),
            ),
        ],
    );
    add(
        &mut s,
        "unlink-rmdir",
        m,
        vec![
            r(FUSE_UNLINK, 2, 1, &cname("file")),
            r(FUSE_RMDIR, 3, 1, &cname("dir")),
        ],
    );
    add(
        &mut s,
        "rename-link",
        m,
        vec![
            r(
                FUSE_RENAME,
                2,
                1,
                &cat(&[
                    fuse_rename_in { newdir: 1 }.as_bytes(),
                    &cname("a"),
                    &cname("b"),
                ]),
            ),
            r(
                FUSE_RENAME2,
                3,
                1,
                &cat(&[
                    fuse_rename2_in {
                        newdir: 1,
                        flags: 1,
                        padding: 0,
                    }
                    .as_bytes(),
                    &cname("a"),
                    &cname("b"),
                ]),
            ),
            r(
                FUSE_LINK,
                4,
                1,
                &cat(&[fuse_link_in { oldnodeid: 2 }.as_bytes(), &cname("hard")]),
            ),
        ],
    );
    // Files.
    let open = |u| {
        r(
            FUSE_OPEN,
            u,
            2,
            fuse_open_in {
                flags: libc::O_RDWR as u32,
                open_flags: 0,
            }
            .as_bytes(),
        )
    };
    let read = |u, off, size| {
        r(
            FUSE_READ,
            u,
            2,
            fuse_read_in {
                fh: 7,
                offset: off,
                size,
                ..Default::default()
            }
            .as_bytes(),
        )
    };
    let write = |u, data: &[u8]| {
        r(
            FUSE_WRITE,
            u,
            2,
            &cat(&[
                fuse_write_in {
                    fh: 7,
                    offset: 0,
                    size: data.len() as u32,
                    write_flags: FUSE_WRITE_CACHE,
                    ..Default::default()
                }
                .as_bytes(),
                data,
            ]),
        )
    };
    add(
        &mut s,
        "open-read-write-release",
        m,
        vec![
            open(2),
            read(3, 0, 4096),
            read(4, 4000, 4096),
            write(5, b"hello, world"),
            r(
                FUSE_FLUSH,
                6,
                2,
                fuse_flush_in {
                    fh: 7,
                    ..Default::default()
                }
                .as_bytes(),
            ),
            r(
                FUSE_FSYNC,
                7,
                2,
                fuse_fsync_in {
                    fh: 7,
                    fsync_flags: 1,
                    padding: 0,
                }
                .as_bytes(),
            ),
            r(
                FUSE_RELEASE,
                8,
                2,
                fuse_release_in {
                    fh: 7,
                    flags: 0,
                    release_flags: FUSE_RELEASE_FLUSH,
                    lock_owner: 1,
                }
                .as_bytes(),
            ),
        ],
    );
    add(&mut s, "write-big", m, vec![write(2, &[0x5a; 8192])]);
    {
        // The write's size says 100, the data is 12 bytes.
        let mut w = write(2, b"hello, world");
        w[40 + 16..40 + 20].copy_from_slice(&100u32.to_le_bytes());
        add(&mut s, "write-short-data", m, vec![w]);
    }
    add(
        &mut s,
        "create-tmpfile",
        m,
        vec![
            r(
                FUSE_CREATE,
                2,
                1,
                &cat(&[
                    fuse_create_in {
                        flags: (libc::O_CREAT | libc::O_WRONLY) as u32,
                        mode: 0o644,
                        umask: 0o22,
                        open_flags: FUSE_OPEN_KILL_SUIDGID,
                    }
                    .as_bytes(),
                    &cname("new"),
                ]),
            ),
            r(
                FUSE_TMPFILE,
                3,
                1,
                fuse_create_in {
                    flags: libc::O_RDWR as u32,
                    mode: 0o600,
                    umask: 0,
                    open_flags: 0,
                }
                .as_bytes(),
            ),
        ],
    );
    add(
        &mut s,
        "statfs-access-bmap",
        m,
        vec![
            r(FUSE_STATFS, 2, 1, &[]),
            r(
                FUSE_ACCESS,
                3,
                2,
                fuse_access_in {
                    mask: 4,
                    padding: 0,
                }
                .as_bytes(),
            ),
            r(
                FUSE_BMAP,
                4,
                2,
                fuse_bmap_in {
                    block: 1,
                    blocksize: 512,
                    padding: 0,
                }
                .as_bytes(),
            ),
        ],
    );
    // Extended attributes.
    let setxattr = |u, long: bool| {
        let value = b"value";
        let arg = fuse_setxattr_in {
            size: value.len() as u32,
            flags: 0,
            setxattr_flags: 0,
            padding: 0,
        };
        let arg = if long {
            arg.as_bytes()
        } else {
            &arg.as_bytes()[..8]
        };
        r(FUSE_SETXATTR, u, 2, &cat(&[arg, &cname("user.x"), value]))
    };
    add(
        &mut s,
        "xattr",
        m,
        vec![
            setxattr(2, false),
            r(
                FUSE_GETXATTR,
                3,
                2,
                &cat(&[
                    fuse_getxattr_in {
                        size: 64,
                        padding: 0,
                    }
                    .as_bytes(),
                    &cname("user.x"),
                ]),
            ),
            r(
                FUSE_LISTXATTR,
                4,
                2,
                fuse_getxattr_in {
                    size: 0,
                    padding: 0,
                }
                .as_bytes(),
            ),
            r(FUSE_REMOVEXATTR, 5, 2, &cname("user.x")),
        ],
    );
    add(
        &mut s,
        "setxattr-ext",
        Config {
            setxattr_ext: true,
            ..m
        },
        vec![setxattr(2, true)],
    );
    // Directories.
    let readdir = |op, u, off, size| {
        r(
            op,
            u,
            1,
            fuse_read_in {
                fh: 7,
                offset: off,
                size,
                ..Default::default()
            }
            .as_bytes(),
        )
    };
    add(
        &mut s,
        "opendir-readdir",
        m,
        vec![
            r(FUSE_OPENDIR, 2, 1, fuse_open_in::default().as_bytes()),
            readdir(FUSE_READDIR, 3, 0, 4096),
            readdir(FUSE_READDIR, 4, 2, 4096),
            readdir(FUSE_READDIR, 5, 0, 40),
            readdir(FUSE_READDIRPLUS, 6, 0, 4096),
            r(
                FUSE_FSYNCDIR,
                7,
                1,
                fuse_fsync_in {
                    fh: 7,
                    fsync_flags: 0,
                    padding: 0,
                }
                .as_bytes(),
            ),
            r(
                FUSE_RELEASEDIR,
                8,
                1,
                fuse_release_in {
                    fh: 7,
                    ..Default::default()
                }
                .as_bytes(),
            ),
        ],
    );
    // Locks.
    let lk = |op, u, flags| {
        r(
            op,
            u,
            2,
            fuse_lk_in {
                fh: 7,
                owner: 9,
                lk: fuse_file_lock {
                    start: 0,
                    end: i64::MAX as u64,
                    type_: libc::F_WRLCK as u32,
                    pid: 1,
                },
                lk_flags: flags,
                padding: 0,
            }
            .as_bytes(),
        )
    };
    add(
        &mut s,
        "locks",
        m,
        vec![
            lk(FUSE_GETLK, 2, 0),
            lk(FUSE_SETLK, 3, 0),
            lk(FUSE_SETLKW, 4, 0),
            lk(FUSE_SETLK, 5, FUSE_LK_FLOCK),
            lk(FUSE_SETLKW, 6, FUSE_LK_FLOCK),
        ],
    );
    // Interrupts: of a request not seen yet, then of nothing, then the
    // request itself.
    let intr = |u, target| {
        r(
            FUSE_INTERRUPT,
            u,
            0,
            fuse_interrupt_in { unique: target }.as_bytes(),
        )
    };
    add(
        &mut s,
        "interrupt",
        m,
        vec![intr(3, 10), intr(5, 12), read(10, 0, 16), open(12)],
    );
    add(
        &mut s,
        "ioctl-poll",
        m,
        vec![
            r(
                FUSE_IOCTL,
                2,
                2,
                &cat(&[
                    fuse_ioctl_in {
                        fh: 7,
                        flags: 0,
                        cmd: 0x5401,
                        arg: 0,
                        in_size: 4,
                        out_size: 4,
                    }
                    .as_bytes(),
                    &[1, 2, 3, 4],
                ]),
            ),
            r(
                FUSE_IOCTL,
                3,
                1,
                fuse_ioctl_in {
                    fh: 7,
                    flags: FUSE_IOCTL_DIR,
                    ..Default::default()
                }
                .as_bytes(),
            ),
            r(
                FUSE_POLL,
                4,
                2,
                fuse_poll_in {
                    fh: 7,
                    kh: 1,
                    flags: FUSE_POLL_SCHEDULE_NOTIFY,
                    events: 1,
                }
                .as_bytes(),
            ),
        ],
    );
    add(
        &mut s,
        "fallocate-lseek-copy",
        m,
        vec![
            r(
                FUSE_FALLOCATE,
                2,
                2,
                fuse_fallocate_in {
                    fh: 7,
                    offset: 0,
                    length: 4096,
                    mode: 0,
                    padding: 0,
                }
                .as_bytes(),
            ),
            r(
                FUSE_LSEEK,
                3,
                2,
                fuse_lseek_in {
                    fh: 7,
                    offset: 0,
                    whence: 3,
                    padding: 0,
                }
                .as_bytes(),
            ),
            r(
                FUSE_COPY_FILE_RANGE,
                4,
                2,
                fuse_copy_file_range_in {
                    fh_in: 7,
                    nodeid_out: 3,
                    fh_out: 8,
                    len: u64::MAX,
                    ..Default::default()
                }
                .as_bytes(),
            ),
            r(
                FUSE_COPY_FILE_RANGE_64,
                5,
                2,
                fuse_copy_file_range_in {
                    fh_in: 7,
                    nodeid_out: 3,
                    fh_out: 8,
                    len: 1 << 33,
                    ..Default::default()
                }
                .as_bytes(),
            ),
        ],
    );
    add(
        &mut s,
        "statx",
        m,
        vec![r(
            FUSE_STATX,
            2,
            2,
            fuse_statx_in {
                getattr_flags: FUSE_GETATTR_FH,
                reserved: 0,
                fh: 7,
                sx_flags: 0,
                sx_mask: 0x7ff,
            }
            .as_bytes(),
        )],
    );
    add(
        &mut s,
        "notify-reply",
        m,
        vec![r(
            FUSE_NOTIFY_REPLY,
            2,
            2,
            &cat(&[
                fuse_notify_retrieve_in {
                    offset: 0,
                    size: 4,
                    ..Default::default()
                }
                .as_bytes(),
                b"data",
            ]),
        )],
    );
    add(
        &mut s,
        "dax-syncfs",
        m,
        vec![
            r(
                FUSE_SETUPMAPPING,
                2,
                2,
                fuse_setupmapping_in::default().as_bytes(),
            ),
            r(
                FUSE_REMOVEMAPPING,
                3,
                2,
                &cat(&[
                    fuse_removemapping_in { count: 1 }.as_bytes(),
                    fuse_removemapping_one::default().as_bytes(),
                ]),
            ),
            r(FUSE_SYNCFS, 4, 1, fuse_syncfs_in::default().as_bytes()),
        ],
    );
    // INIT again, DESTROY, INIT after DESTROY, CUSE_INIT on a FUSE session.
    let init = |u, minor| {
        r(
            FUSE_INIT,
            u,
            0,
            fuse_init_in {
                major: 7,
                minor,
                flags: FUSE_INIT_EXT as u32 | FUSE_MAX_PAGES as u32,
                ..Default::default()
            }
            .as_bytes(),
        )
    };
    add(
        &mut s,
        "init-destroy-init",
        m,
        vec![
            init(2, 45),
            r(FUSE_DESTROY, 3, 0, &[]),
            r(FUSE_LOOKUP, 4, 1, &cname("file")),
            init(5, 31),
            r(FUSE_LOOKUP, 6, 1, &cname("file")),
            r(
                CUSE_INIT,
                7,
                0,
                cuse_init_in {
                    major: 7,
                    minor: 45,
                    ..Default::default()
                }
                .as_bytes(),
            ),
        ],
    );
    add(
        &mut s,
        "reinit-odd-versions",
        m,
        vec![
            r(FUSE_DESTROY, 2, 0, &[]),
            init(3, 5),
            r(FUSE_DESTROY, 4, 0, &[]),
            r(
                FUSE_INIT,
                5,
                0,
                fuse_init_in {
                    major: 8,
                    minor: 0,
                    ..Default::default()
                }
                .as_bytes(),
            ),
            r(
                FUSE_INIT,
                6,
                0,
                fuse_init_in {
                    major: 6,
                    minor: 0,
                    ..Default::default()
                }
                .as_bytes(),
            ),
        ],
    );
    // Unknown opcodes.
    add(
        &mut s,
        "unknown-opcodes",
        m,
        vec![
            r(9999, 2, 1, &[]),
            r(0, 3, 1, b"junk"),
            r(u32::MAX, 4, 1, &[]),
            r(FUSE_INIT_BSWAP_RESERVED, 5, 1, &[]),
            r(7, 6, 1, &[]),
        ],
    );
    // Truncated requests and bad lengths.
    add(
        &mut s,
        "truncated",
        m,
        vec![
            open(2)[..44].to_vec(),
            open(3)[..20].to_vec(),
            Vec::new(),
            r(FUSE_LOOKUP, 4, 1, b"no-nul"),
            r(FUSE_READ, 5, 2, &[0; 8]),
            r(
                FUSE_RENAME,
                6,
                1,
                &cat(&[&[1u8, 0, 0, 0, 0, 0, 0, 0][..], &cname("a")]),
            ),
        ],
    );
    add(
        &mut s,
        "bad-lengths",
        m,
        vec![
            bad_len(open(2), 8),
            bad_len(open(3), -8),
            bad_len(open(4), -48),
            bad_len(r(FUSE_LOOKUP, 5, 1, &cname("file")), 1000),
            bad_len(r(9999, 6, 1, &[]), 4),
        ],
    );
    {
        // A header cut short in the frame (the frame length says 30).
        let mut input = encode_input(m, &[open(2)]);
        input[1..3].copy_from_slice(&30u16.to_le_bytes());
        push(&mut s, "short-frame", input);
    }
    // Extensions: a supplementary group record, then a broken chain.
    let create_ext = |s: &mut Vec<(String, Vec<u8>)>, name: &str, ext: &[u8]| {
        let body = cat(&[
            fuse_create_in {
                flags: libc::O_RDWR as u32,
                mode: 0o644,
                umask: 0,
                open_flags: 0,
            }
            .as_bytes(),
            &cname("grp"),
        ]);
        let pad = (8 - body.len() % 8) % 8;
        let body = cat(&[&body, &vec![0; pad], ext]);
        let mut req = r(FUSE_CREATE, 2, 1, &body);
        let extlen = (ext.len() / 8) as u16;
        req[36..38].copy_from_slice(&extlen.to_le_bytes());
        s.push((format!("seed-{name}"), encode_input(m, &[req])));
    };
    create_ext(
        &mut s,
        "ext-groups",
        &cat(&[
            fuse_ext_header {
                size: 16,
                type_: FUSE_EXT_GROUPS,
            }
            .as_bytes(),
            fuse_supp_groups { nr_groups: 1 }.as_bytes(),
            &100u32.to_le_bytes(),
        ]),
    );
    create_ext(
        &mut s,
        "ext-broken",
        &cat(&[fuse_ext_header {
            size: 64,
            type_: FUSE_EXT_GROUPS,
        }
        .as_bytes()]),
    );
    // Other configurations: the 3.14 ABI, -d, old protocols, allow_root.
    let legacy = Config { v317: false, ..m };
    add(
        &mut s,
        "abi314",
        legacy,
        vec![
            open(2),
            read(3, 0, 100),
            write(4, b"abc"),
            r(FUSE_LOOKUP, 5, 1, &cname("file")),
            r(9999, 6, 1, &[]),
        ],
    );
    add(
        &mut s,
        "debug-trace",
        Config { debug: true, ..m },
        vec![
            open(2),
            r(FUSE_LOOKUP, 3, 1, &cname("missing")),
            r(9999, 4, 1, &[]),
            bad_len(open(5), 8),
        ],
    );
    for (idx, minor) in harness::MINORS.iter().enumerate().skip(1) {
        let cfg = Config {
            minor_idx: idx as u8,
            all_flags: false,
            ..m
        };
        // Before 7.9 READ/WRITE/GETATTR are shorter; before 7.12 so are
        // MKNOD and CREATE.
        let short_write = cat(&[
            &fuse_write_in {
                fh: 7,
                offset: 0,
                size: 3,
                ..Default::default()
            }
            .as_bytes()[..24],
            b"abc",
        ]);
        add(
            &mut s,
            &format!("proto-7.{minor}"),
            cfg,
            vec![
                r(FUSE_GETATTR, 2, 1, &[]),
                r(FUSE_READ, 3, 2, &fuse_read_in::default().as_bytes()[..24]),
                r(FUSE_WRITE, 4, 2, &short_write),
                write(5, b"abc"),
                r(
                    FUSE_MKNOD,
                    6,
                    1,
                    &cat(&[&fuse_mknod_in::default().as_bytes()[..8], &cname("n")]),
                ),
                r(FUSE_LOOKUP, 7, 1, &cname("file")),
                r(FUSE_STATFS, 8, 1, &[]),
            ],
        );
    }
    {
        let mut other = r(FUSE_LOOKUP, 2, 1, &cname("file"));
        other[24..28].copy_from_slice(&1000u32.to_le_bytes());
        let mut other_read = read(3, 0, 10);
        other_read[24..28].copy_from_slice(&1000u32.to_le_bytes());
        add(
            &mut s,
            "allow-root",
            Config {
                allow_root: true,
                ..m
            },
            vec![other, other_read],
        );
    }
    // Everything at once: one valid request per opcode, 1..=53.
    {
        let mut frames = Vec::new();
        for (i, &op) in ALL_OPCODES.iter().enumerate() {
            if op == FUSE_DESTROY || op == FUSE_INIT || op == CUSE_INIT {
                continue;
            }
            frames.push(r(op, 100 + i as u64, 2, &[0u8; 64]));
        }
        add(&mut s, "every-opcode-zeroes", m, frames);
    }
    s
}

fn push(s: &mut Vec<(String, Vec<u8>)>, name: &str, input: Vec<u8>) {
    s.push((format!("seed-{name}"), input));
}

fn add(s: &mut Vec<(String, Vec<u8>)>, name: &str, cfg: Config, frames: Vec<Vec<u8>>) {
    push(s, name, encode_input(cfg, &frames));
}

#[test]
fn corpus_is_current() {
    let dir = corpus_dir();
    let seeds = seeds();
    let bless = std::env::var_os("FERROFUSE_BLESS").is_some();
    if bless {
        std::fs::create_dir_all(&dir).unwrap();
        // Seeds no longer generated go; other files (regressions) stay.
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("seed-") && !seeds.iter().any(|(n, _)| *n == name) {
                std::fs::remove_file(&p).unwrap();
            }
        }
    }
    let mut stale = Vec::new();
    for (name, data) in &seeds {
        let path = dir.join(name);
        if std::fs::read(&path).ok().as_deref() != Some(&data[..]) {
            if bless {
                std::fs::write(&path, data).unwrap();
            } else {
                stale.push(name.clone());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale seed corpus in {} ({stale:?}): regenerate with FERROFUSE_BLESS=1 cargo test --test fuzz_smoke",
        dir.display()
    );
}

thread_local! {
    /// Panics seen on this thread (the library catches panics at its C
    /// edge and logs them; this counts them all the same).
    static PANICS: Cell<usize> = const { Cell::new(0) };
}

fn panics() -> usize {
    PANICS.with(Cell::get)
}

fn count_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.with(|p| p.set(p.get() + 1));
            prev(info);
        }));
    });
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn corpus_replays_cleanly() {
    count_panics();
    let files = corpus_files();
    assert!(files.len() >= 30, "only {} corpus files", files.len());
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let out = harness::run(&data);
        if std::env::var_os("FERROFUSE_FUZZ_SHOW").is_some() {
            let rs: Vec<String> = out
                .replies
                .iter()
                .map(|r| format!("{}:{}/{}", r.unique, r.error, r.body.len()))
                .collect();
            eprintln!("{}: {}", f.display(), rs.join(" "));
        }
        assert!(
            out.problems.is_empty(),
            "{}: {:?}",
            f.display(),
            out.problems
        );
        assert_eq!(panics(), 0, "{}: panicked", f.display());
    }
    // Generated seeds too, in case the committed files are stale.
    for (name, data) in seeds() {
        let out = harness::run(&data);
        assert!(out.problems.is_empty(), "{name}: {:?}", out.problems);
    }
    assert_eq!(panics(), 0);
}

/// The one reply to frame `i` with `unique`.
fn reply_to(out: &harness::Outcome, i: usize, unique: u64) -> &harness::Reply {
    let rs: Vec<_> = out
        .replies_of(i)
        .iter()
        .filter(|r| r.unique == unique)
        .collect();
    assert_eq!(rs.len(), 1, "frame {i}: replies {:?}", out.replies_of(i));
    rs[0]
}

#[test]
fn unknown_and_unimplemented_opcodes_get_enosys() {
    count_panics();
    for cfg in [
        Config::modern(),
        Config {
            v317: false,
            ..Config::modern()
        },
        Config::default(),
    ] {
        let frames = vec![
            request(9999, 10, 1, &[]),
            request(0, 11, 1, b"whatever"),
            // MKDIR and SETXATTR are not in the harness's table.
            request(
                FUSE_MKDIR,
                12,
                1,
                &cat(&[
                    fuse_mkdir_in {
                        mode: 0o755,
                        umask: 0,
                    }
                    .as_bytes(),
                    &cname("d"),
                ]),
            ),
            request(FUSE_READLINK, 13, 2, &[]),
            // LOOKUP is: an entry, and ENOENT for "missing".
            request(FUSE_LOOKUP, 14, 1, &cname("file")),
            request(FUSE_LOOKUP, 15, 1, &cname("missing")),
        ];
        let out = harness::run(&encode_input(cfg, &frames));
        out.check();
        // Frame 0 is the harness's INIT.
        assert_eq!(reply_to(&out, 0, harness::INIT_UNIQUE).error, 0);
        for (i, unique) in [(1, 10), (2, 11), (3, 12), (4, 13)] {
            let r = reply_to(&out, i, unique);
            assert_eq!(r.error, -libc::ENOSYS, "{cfg:?}: frame {i}: {r:?}");
            assert_eq!((r.len, r.body.len()), (16, 0), "{cfg:?}: {r:?}");
        }
        let entry = reply_to(&out, 5, 14);
        assert_eq!(entry.error, 0);
        let want = if cfg.minor() < 9 {
            FUSE_COMPAT_ENTRY_OUT_SIZE
        } else {
            std::mem::size_of::<fuse_entry_out>()
        };
        assert_eq!(entry.body.len(), want, "{cfg:?}");
        assert_eq!(reply_to(&out, 6, 15).error, -libc::ENOENT);
    }
    assert_eq!(panics(), 0);
}

#[test]
fn requests_before_init_get_eio() {
    // The harness always sends INIT first; after DESTROY the session wants
    // a new INIT, and an unknown opcode gets EIO, not ENOSYS, until then.
    let frames = vec![request(FUSE_DESTROY, 2, 0, &[]), request(9999, 3, 1, &[])];
    let out = harness::run(&encode_input(Config::modern(), &frames));
    out.check();
    assert_eq!(reply_to(&out, 1, 2).error, 0);
    assert_eq!(reply_to(&out, 2, 3).error, -libc::EIO);
}

// ---------------------------------------------------------------------------
// cargo +nightly fuzz
// ---------------------------------------------------------------------------

/// Whether `cargo +nightly` works.
fn nightly_available() -> bool {
    Command::new("cargo")
        .args(["+nightly", "--version"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The directory holding `cargo-fuzz`: one on PATH, or one installed
/// (once, then kept) next to the libfuse cache (`target/cargo-fuzz/bin`).
fn cargo_fuzz_bin_dir(log: &Path) -> PathBuf {
    let root = cache_dir().with_file_name("cargo-fuzz");
    let bin = root.join("bin");
    if bin.join("cargo-fuzz").is_file() {
        return bin;
    }
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(d) = std::env::split_paths(&path).find(|d| d.join("cargo-fuzz").is_file()) {
            return d;
        }
    }
    let mut cmd = Command::new("cargo");
    cmd.args(["install", "cargo-fuzz", "--locked", "--root"])
        .arg(&root)
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO_TARGET_DIR");
    let run = run_bounded(&mut cmd, log, Duration::from_secs(1200));
    assert!(
        run.success() && bin.join("cargo-fuzz").is_file(),
        "cargo install cargo-fuzz failed ({run:?}):\n{}",
        tail_of(log, 30)
    );
    bin
}

#[test]
fn cargo_fuzz_run_is_clean() {
    let secs: u64 = std::env::var("FERROFUSE_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    if secs == 0 {
        eprintln!("FERROFUSE_FUZZ_SECS=0: cargo fuzz run skipped");
        return;
    }
    if !nightly_available() {
        eprintln!("no nightly toolchain (cargo +nightly): cargo fuzz run skipped");
        return;
    }
    let scratch = scratch("fuzz-dispatch");
    let log = scratch.join("fuzz.log");
    let bin = cargo_fuzz_bin_dir(&log);
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    // New inputs go to a scratch directory; the committed corpus is only
    // read. Crashes land in fuzz/artifacts/dispatch/.
    let new_corpus = scratch.join("corpus");
    std::fs::create_dir_all(&new_corpus).unwrap();
    let mut cmd = Command::new("cargo");
    cmd.current_dir(top().join("fuzz"))
        .args(["+nightly", "fuzz", "run", "dispatch"])
        .arg(&new_corpus)
        .arg(corpus_dir())
        .arg("--")
        .arg(format!("-max_total_time={secs}"))
        .arg("-print_final_stats=1")
        .env("PATH", path);
    for var in [
        "RUSTUP_TOOLCHAIN",
        "CARGO",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET_DIR",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_MAKEFLAGS",
    ] {
        cmd.env_remove(var);
    }
    // Building takes a few minutes the first time; the run itself is
    // bounded by libFuzzer's own -max_total_time.
    let run = run_bounded(&mut cmd, &log, Duration::from_secs(secs + 1800));
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        run.success(),
        "cargo fuzz run dispatch failed ({run:?}), log {}:\n{}",
        log.display(),
        tail_of(&log, 60)
    );
    assert!(
        text.contains("Done ") || text.contains("stat::number_of_executed_units"),
        "no libFuzzer summary in {}",
        log.display()
    );
    eprintln!("{}", tail_of(&log, 25));
}
