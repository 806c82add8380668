//! `enum fuse_opcode` as `u32` constants (the type of
//! `fuse_in_header::opcode`), and the names libfuse's debug output uses.

/// The C enum's type, for code written against fuse_kernel.h.
pub type fuse_opcode = u32;

pub const FUSE_LOOKUP: u32 = 1;
/// No reply.
pub const FUSE_FORGET: u32 = 2;
pub const FUSE_GETATTR: u32 = 3;
pub const FUSE_SETATTR: u32 = 4;
pub const FUSE_READLINK: u32 = 5;
pub const FUSE_SYMLINK: u32 = 6;
pub const FUSE_MKNOD: u32 = 8;
pub const FUSE_MKDIR: u32 = 9;
pub const FUSE_UNLINK: u32 = 10;
pub const FUSE_RMDIR: u32 = 11;
pub const FUSE_RENAME: u32 = 12;
pub const FUSE_LINK: u32 = 13;
pub const FUSE_OPEN: u32 = 14;
pub const FUSE_READ: u32 = 15;
pub const FUSE_WRITE: u32 = 16;
pub const FUSE_STATFS: u32 = 17;
pub const FUSE_RELEASE: u32 = 18;
pub const FUSE_FSYNC: u32 = 20;
pub const FUSE_SETXATTR: u32 = 21;
pub const FUSE_GETXATTR: u32 = 22;
pub const FUSE_LISTXATTR: u32 = 23;
pub const FUSE_REMOVEXATTR: u32 = 24;
pub const FUSE_FLUSH: u32 = 25;
pub const FUSE_INIT: u32 = 26;
pub const FUSE_OPENDIR: u32 = 27;
pub const FUSE_READDIR: u32 = 28;
pub const FUSE_RELEASEDIR: u32 = 29;
pub const FUSE_FSYNCDIR: u32 = 30;
pub const FUSE_GETLK: u32 = 31;
pub const FUSE_SETLK: u32 = 32;
pub const FUSE_SETLKW: u32 = 33;
pub const FUSE_ACCESS: u32 = 34;
pub const FUSE_CREATE: u32 = 35;
pub const FUSE_INTERRUPT: u32 = 36;
pub const FUSE_BMAP: u32 = 37;
pub const FUSE_DESTROY: u32 = 38;
pub const FUSE_IOCTL: u32 = 39;
pub const FUSE_POLL: u32 = 40;
/// The kernel's answer to a `FUSE_NOTIFY_RETRIEVE`; no reply.
pub const FUSE_NOTIFY_REPLY: u32 = 41;
/// No reply.
pub const FUSE_BATCH_FORGET: u32 = 42;
pub const FUSE_FALLOCATE: u32 = 43;
pub const FUSE_READDIRPLUS: u32 = 44;
pub const FUSE_RENAME2: u32 = 45;
pub const FUSE_LSEEK: u32 = 46;
pub const FUSE_COPY_FILE_RANGE: u32 = 47;
/// virtiofs (DAX) only.
pub const FUSE_SETUPMAPPING: u32 = 48;
/// virtiofs (DAX) only.
pub const FUSE_REMOVEMAPPING: u32 = 49;
pub const FUSE_SYNCFS: u32 = 50;
pub const FUSE_TMPFILE: u32 = 51;
pub const FUSE_STATX: u32 = 52;
pub const FUSE_COPY_FILE_RANGE_64: u32 = 53;
/// The first request on a CUSE device.
pub const CUSE_INIT: u32 = 4096;
/// `CUSE_INIT` with its bytes swapped: never valid, shows an endianness
/// mismatch.
pub const CUSE_INIT_BSWAP_RESERVED: u32 = 1048576;
/// `FUSE_INIT` with its bytes swapped, likewise.
pub const FUSE_INIT_BSWAP_RESERVED: u32 = 436207616;

/// Every opcode with a meaning (the two byte-swapped markers excluded), in
/// numeric order.
pub const ALL_OPCODES: &[u32] = &[
    FUSE_LOOKUP,
    FUSE_FORGET,
    FUSE_GETATTR,
    FUSE_SETATTR,
    FUSE_READLINK,
    FUSE_SYMLINK,
    FUSE_MKNOD,
    FUSE_MKDIR,
    FUSE_UNLINK,
    FUSE_RMDIR,
    FUSE_RENAME,
    FUSE_LINK,
    FUSE_OPEN,
    FUSE_READ,
    FUSE_WRITE,
    FUSE_STATFS,
    FUSE_RELEASE,
    FUSE_FSYNC,
    FUSE_SETXATTR,
    FUSE_GETXATTR,
    FUSE_LISTXATTR,
    FUSE_REMOVEXATTR,
    FUSE_FLUSH,
    FUSE_INIT,
    FUSE_OPENDIR,
    FUSE_READDIR,
    FUSE_RELEASEDIR,
    FUSE_FSYNCDIR,
    FUSE_GETLK,
    FUSE_SETLK,
    FUSE_SETLKW,
    FUSE_ACCESS,
    FUSE_CREATE,
    FUSE_INTERRUPT,
    FUSE_BMAP,
    FUSE_DESTROY,
    FUSE_IOCTL,
    FUSE_POLL,
    FUSE_NOTIFY_REPLY,
    FUSE_BATCH_FORGET,
    FUSE_FALLOCATE,
    FUSE_READDIRPLUS,
    FUSE_RENAME2,
    FUSE_LSEEK,
    FUSE_COPY_FILE_RANGE,
    FUSE_SETUPMAPPING,
    FUSE_REMOVEMAPPING,
    FUSE_SYNCFS,
    FUSE_TMPFILE,
    FUSE_STATX,
    FUSE_COPY_FILE_RANGE_64,
    CUSE_INIT,
];

/// What libfuse 3.18's debug output calls an opcode (its `opname()`): the
/// name from its dispatch table, or `"???"` for an opcode it has no entry
/// for. That includes SETUPMAPPING, REMOVEMAPPING and SYNCFS, which libfuse
/// does not handle (they get ENOSYS); [`kernel_opname`] names those too.
pub fn opname(opcode: u32) -> &'static str {
    match opcode {
        FUSE_SETUPMAPPING | FUSE_REMOVEMAPPING | FUSE_SYNCFS => "???",
        _ => kernel_opname(opcode),
    }
}

/// The opcode's name without the `FUSE_` prefix for every opcode the
/// protocol defines (`"SYNCFS"`, `"CUSE_INIT"`...), `"???"` for others.
pub fn kernel_opname(opcode: u32) -> &'static str {
    match opcode {
        FUSE_LOOKUP => "LOOKUP",
        FUSE_FORGET => "FORGET",
        FUSE_GETATTR => "GETATTR",
        FUSE_SETATTR => "SETATTR",
        FUSE_READLINK => "READLINK",
        FUSE_SYMLINK => "SYMLINK",
        FUSE_MKNOD => "MKNOD",
        FUSE_MKDIR => "MKDIR",
        FUSE_UNLINK => "UNLINK",
        FUSE_RMDIR => "RMDIR",
        FUSE_RENAME => "RENAME",
        FUSE_LINK => "LINK",
        FUSE_OPEN => "OPEN",
        FUSE_READ => "READ",
        FUSE_WRITE => "WRITE",
        FUSE_STATFS => "STATFS",
        FUSE_RELEASE => "RELEASE",
        FUSE_FSYNC => "FSYNC",
        FUSE_SETXATTR => "SETXATTR",
        FUSE_GETXATTR => "GETXATTR",
        FUSE_LISTXATTR => "LISTXATTR",
        FUSE_REMOVEXATTR => "REMOVEXATTR",
        FUSE_FLUSH => "FLUSH",
        FUSE_INIT => "INIT",
        FUSE_OPENDIR => "OPENDIR",
        FUSE_READDIR => "READDIR",
        FUSE_RELEASEDIR => "RELEASEDIR",
        FUSE_FSYNCDIR => "FSYNCDIR",
        FUSE_GETLK => "GETLK",
        FUSE_SETLK => "SETLK",
        FUSE_SETLKW => "SETLKW",
        FUSE_ACCESS => "ACCESS",
        FUSE_CREATE => "CREATE",
        FUSE_INTERRUPT => "INTERRUPT",
        FUSE_BMAP => "BMAP",
        FUSE_DESTROY => "DESTROY",
        FUSE_IOCTL => "IOCTL",
        FUSE_POLL => "POLL",
        FUSE_NOTIFY_REPLY => "NOTIFY_REPLY",
        FUSE_BATCH_FORGET => "BATCH_FORGET",
        FUSE_FALLOCATE => "FALLOCATE",
        FUSE_READDIRPLUS => "READDIRPLUS",
        FUSE_RENAME2 => "RENAME2",
        FUSE_LSEEK => "LSEEK",
        FUSE_COPY_FILE_RANGE => "COPY_FILE_RANGE",
        FUSE_SETUPMAPPING => "SETUPMAPPING",
        FUSE_REMOVEMAPPING => "REMOVEMAPPING",
        FUSE_SYNCFS => "SYNCFS",
        FUSE_TMPFILE => "TMPFILE",
        FUSE_STATX => "STATX",
        FUSE_COPY_FILE_RANGE_64 => "COPY_FILE_RANGE_64",
        CUSE_INIT => "CUSE_INIT",
        _ => "???",
    }
}

/// Whether the kernel waits for a reply to this opcode. FORGET,
/// BATCH_FORGET and NOTIFY_REPLY get none (libfuse answers them with
/// `fuse_reply_none`); INTERRUPT is answered only in special cases (EAGAIN
/// to have it queued again, ENOSYS to turn interrupts off), so it counts
/// as replied-to here.
pub fn expects_reply(opcode: u32) -> bool {
    !matches!(opcode, FUSE_FORGET | FUSE_BATCH_FORGET | FUSE_NOTIFY_REPLY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(opname(FUSE_LOOKUP), "LOOKUP");
        assert_eq!(opname(FUSE_COPY_FILE_RANGE_64), "COPY_FILE_RANGE_64");
        assert_eq!(opname(CUSE_INIT), "CUSE_INIT");
        assert_eq!(opname(FUSE_SYNCFS), "???");
        assert_eq!(kernel_opname(FUSE_SYNCFS), "SYNCFS");
        assert_eq!(opname(7), "???");
        assert_eq!(opname(19), "???");
        assert_eq!(opname(54), "???");
        assert_eq!(opname(u32::MAX), "???");
        for &op in ALL_OPCODES {
            assert_ne!(kernel_opname(op), "???", "{op}");
        }
        assert!(ALL_OPCODES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(CUSE_INIT_BSWAP_RESERVED, CUSE_INIT << 8);
        assert_eq!(FUSE_INIT_BSWAP_RESERVED, FUSE_INIT << 24);
    }
}
