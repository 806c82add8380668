//! The mount layer's options: which arguments of a session it takes, and
//! what it builds from them: the `MS_*` flags, the data string for mount(2),
//! the filesystem type and source, and the `-o` string for fusermount3.
//!
//! This is libfuse 3.18.3's `parse_mount_opts` as its callers observe it: the
//! same option table, in the same order, so the same arguments are consumed
//! and the rest are left for the session to report as unknown.

use crate::opt::cmdline::scan_uint;
use crate::opt::{self, add_opt, Disposition, OptError, OptHost, Template, KEY_OPT};
use libc::c_ulong;

/// What the processing function does with an option (libfuse's keys).
pub const KEY_KERN_FLAG: i32 = 0;
pub const KEY_KERN_OPT: i32 = 1;
pub const KEY_FUSERMOUNT_OPT: i32 = 2;
pub const KEY_SUBTYPE_OPT: i32 = 3;
pub const KEY_MTAB_OPT: i32 = 4;
pub const KEY_ALLOW_OTHER: i32 = 5;
pub const KEY_RO: i32 = 6;

// The offsets of `struct mount_opts`'s fields; here they only name a field.
const ALLOW_OTHER: u64 = 0;
const AUTO_UNMOUNT: u64 = 8;
const BLKDEV: u64 = 12;
const FSNAME: u64 = 16;
const SUBTYPE: u64 = 24;
const MAX_READ: u64 = 64;

/// libfuse's mount option table, in its order.
pub const MOUNT_TEMPLATES: &[Template<'static>] = &[
    Template::new(b"allow_other", ALLOW_OTHER, 1),
    Template::new(b"blkdev", BLKDEV, 1),
    Template::new(b"auto_unmount", AUTO_UNMOUNT, 1),
    Template::new(b"fsname=%s", FSNAME, 1),
    Template::new(b"max_read=%u", MAX_READ, 1),
    Template::new(b"subtype=%s", SUBTYPE, 1),
    Template::key(b"allow_other", KEY_KERN_OPT),
    Template::key(b"auto_unmount", KEY_FUSERMOUNT_OPT),
    Template::key(b"blkdev", KEY_FUSERMOUNT_OPT),
    Template::key(b"fsname=", KEY_FUSERMOUNT_OPT),
    Template::key(b"subtype=", KEY_SUBTYPE_OPT),
    Template::key(b"blksize=", KEY_KERN_OPT),
    Template::key(b"default_permissions", KEY_KERN_OPT),
    Template::key(b"context=", KEY_KERN_OPT),
    Template::key(b"fscontext=", KEY_KERN_OPT),
    Template::key(b"defcontext=", KEY_KERN_OPT),
    Template::key(b"rootcontext=", KEY_KERN_OPT),
    Template::key(b"max_read=", KEY_KERN_OPT),
    Template::key(b"user=", KEY_MTAB_OPT),
    Template::key(b"-n", KEY_MTAB_OPT),
    Template::key(b"-r", KEY_RO),
    Template::key(b"ro", KEY_KERN_FLAG),
    Template::key(b"rw", KEY_KERN_FLAG),
    Template::key(b"suid", KEY_KERN_FLAG),
    Template::key(b"nosuid", KEY_KERN_FLAG),
    Template::key(b"dev", KEY_KERN_FLAG),
    Template::key(b"nodev", KEY_KERN_FLAG),
    Template::key(b"exec", KEY_KERN_FLAG),
    Template::key(b"noexec", KEY_KERN_FLAG),
    Template::key(b"async", KEY_KERN_FLAG),
    Template::key(b"sync", KEY_KERN_FLAG),
    Template::key(b"dirsync", KEY_KERN_FLAG),
    Template::key(b"noatime", KEY_KERN_FLAG),
    Template::key(b"nodiratime", KEY_KERN_FLAG),
    Template::key(b"nostrictatime", KEY_KERN_FLAG),
    Template::key(b"symfollow", KEY_KERN_FLAG),
    Template::key(b"nosymfollow", KEY_KERN_FLAG),
];

/// One mount flag option: its name, its `MS_*` bit, and whether the option
/// sets the bit (or clears it).
pub struct MountFlag {
    pub name: &'static str,
    pub flag: c_ulong,
    pub on: bool,
}

const fn flag(name: &'static str, flag: c_ulong, on: bool) -> MountFlag {
    MountFlag { name, flag, on }
}

/// libfuse's flag table, in its order (which is also the order in which the
/// set flags are named in the mount options string). `norelatime` is in the
/// table but no template reaches it.
pub const MOUNT_FLAGS: &[MountFlag] = &[
    flag("rw", libc::MS_RDONLY, false),
    flag("ro", libc::MS_RDONLY, true),
    flag("suid", libc::MS_NOSUID, false),
    flag("nosuid", libc::MS_NOSUID, true),
    flag("dev", libc::MS_NODEV, false),
    flag("nodev", libc::MS_NODEV, true),
    flag("exec", libc::MS_NOEXEC, false),
    flag("noexec", libc::MS_NOEXEC, true),
    flag("async", libc::MS_SYNCHRONOUS, false),
    flag("sync", libc::MS_SYNCHRONOUS, true),
    flag("noatime", libc::MS_NOATIME, true),
    flag("nodiratime", libc::MS_NODIRATIME, true),
    flag("norelatime", libc::MS_RELATIME, false),
    flag("nostrictatime", libc::MS_STRICTATIME, false),
    flag("symfollow", libc::MS_NOSYMFOLLOW, false),
    flag("nosymfollow", libc::MS_NOSYMFOLLOW, true),
    flag("dirsync", libc::MS_DIRSYNC, true),
];

/// The mount layer's share of a session's options (libfuse's
/// `struct mount_opts`). Option strings are comma-separated lists as
/// `fuse_opt_add_opt` builds them; `fusermount_opts` is escaped
/// (`fuse_opt_add_opt_escaped`), the others are not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountOpts {
    pub allow_other: bool,
    /// `MS_*` flags for mount(2); `MS_NOSUID | MS_NODEV` unless changed.
    pub flags: c_ulong,
    pub auto_unmount: bool,
    pub blkdev: bool,
    pub fsname: Option<Vec<u8>>,
    pub subtype: Option<Vec<u8>>,
    /// Every `subtype=...` option given.
    pub subtype_opt: Option<Vec<u8>>,
    /// Options only for the mount table: `user=`, `-n`, `x-*`.
    pub mtab_opts: Option<Vec<u8>>,
    /// Options only fusermount3 knows: `auto_unmount`, `blkdev`, `fsname=`.
    pub fusermount_opts: Option<Vec<u8>>,
    /// Options for the kernel's data string.
    pub kernel_opts: Option<Vec<u8>>,
    /// `max_read=` (0: not given); the session checks INIT against it.
    pub max_read: u32,
}

impl Default for MountOpts {
    fn default() -> Self {
        MountOpts {
            allow_other: false,
            flags: libc::MS_NOSUID | libc::MS_NODEV,
            auto_unmount: false,
            blkdev: false,
            fsname: None,
            subtype: None,
            subtype_opt: None,
            mtab_opts: None,
            fusermount_opts: None,
            kernel_opts: None,
            max_read: 0,
        }
    }
}

/// Applies flag option `name` to `flags`.
fn set_mount_flag(name: &[u8], flags: &mut c_ulong) {
    match MOUNT_FLAGS.iter().find(|f| f.name.as_bytes() == name) {
        Some(f) if f.on => *flags |= f.flag,
        Some(f) => *flags &= !f.flag,
        None => {
            // Every KEY_KERN_FLAG template is in the table.
            crate::log_err!("fuse: internal error, can't find mount flag\n");
            std::process::abort();
        }
    }
}

struct Host<'a> {
    out: &'a mut Vec<Vec<u8>>,
    mo: &'a mut MountOpts,
}

impl OptHost for Host<'_> {
    type Out = Vec<Vec<u8>>;

    fn out(&mut self) -> &mut Vec<Vec<u8>> {
        self.out
    }

    fn process(&mut self, arg: &[u8], key: i32) -> Result<Disposition, OptError> {
        let mo = &mut *self.mo;
        match key {
            KEY_RO => set_mount_flag(b"ro", &mut mo.flags),
            KEY_KERN_FLAG => set_mount_flag(arg, &mut mo.flags),
            KEY_KERN_OPT => add_opt(&mut mo.kernel_opts, arg, false),
            KEY_FUSERMOUNT_OPT => add_opt(&mut mo.fusermount_opts, arg, true),
            KEY_SUBTYPE_OPT => add_opt(&mut mo.subtype_opt, arg, false),
            KEY_MTAB_OPT => add_opt(&mut mo.mtab_opts, arg, false),
            // Third-party options such as x-gvfs-notrash are for the mount
            // table; anything else is not ours.
            KEY_OPT if arg.starts_with(b"x-") => add_opt(&mut mo.mtab_opts, arg, false),
            _ => return Ok(Disposition::Keep),
        }
        Ok(Disposition::Discard)
    }

    fn store_int(&mut self, offset: u64, value: i32) {
        let v = value != 0;
        match offset {
            ALLOW_OTHER => self.mo.allow_other = v,
            AUTO_UNMOUNT => self.mo.auto_unmount = v,
            BLKDEV => self.mo.blkdev = v,
            _ => {}
        }
    }

    fn store_string(&mut self, offset: u64, value: &[u8]) -> Result<(), OptError> {
        match offset {
            FSNAME => self.mo.fsname = Some(value.to_vec()),
            SUBTYPE => self.mo.subtype = Some(value.to_vec()),
            _ => {}
        }
        Ok(())
    }

    fn scan_store(&mut self, offset: u64, param: &[u8], _format: &[u8]) -> Result<bool, OptError> {
        // The table's only conversion is max_read's `%u`.
        let Some((v, _)) = scan_uint(param) else {
            return Ok(false);
        };
        if offset == MAX_READ {
            self.mo.max_read = v;
        }
        Ok(true)
    }
}

/// Logs libfuse's message for a failed `fuse_opt_parse`.
pub(crate) fn log_opt_error(e: &OptError) {
    let Some((fmt, arg)) = e.c_format() else {
        return;
    };
    let mut msg = Vec::new();
    match fmt.split_once("%s") {
        Some((a, b)) => {
            msg.extend_from_slice(a.as_bytes());
            msg.extend_from_slice(arg.unwrap_or_default());
            msg.extend_from_slice(b.as_bytes());
        }
        None => msg.extend_from_slice(fmt.as_bytes()),
    }
    super::sys::log_bytes(crate::log::Level::Err, &msg);
}

/// `parse_mount_opts`: takes the mount options out of `args` (the rest stay,
/// in place, for the session to judge) and returns them. A bad value
/// (`max_read=x`, `-o` without an argument) is logged as libfuse logs it and
/// leaves `args` untouched.
pub fn parse_mount_opts(args: &mut Vec<Vec<u8>>) -> Result<MountOpts, OptError> {
    let mut mo = MountOpts::default();
    if args.is_empty() {
        return Ok(mo);
    }
    let mut out = Vec::new();
    let mut host = Host {
        out: &mut out,
        mo: &mut mo,
    };
    if let Err(e) = opt::parse(args, MOUNT_TEMPLATES, &mut host) {
        log_opt_error(&e);
        return Err(e);
    }
    *args = out;
    Ok(mo)
}

/// Appends `opt` (as is) to an option list.
fn push_opt(s: &mut Vec<u8>, opt: &[u8]) {
    if !s.is_empty() {
        s.push(b',');
    }
    s.extend_from_slice(opt);
}

impl MountOpts {
    /// The options naming the flags: `rw` unless read-only, then every set
    /// flag in table order (`rw,nosuid,nodev` by default).
    pub fn flag_opts(&self) -> Vec<u8> {
        let mut s = Vec::new();
        if self.flags & libc::MS_RDONLY == 0 {
            push_opt(&mut s, b"rw");
        }
        for f in MOUNT_FLAGS {
            if f.on && self.flags & f.flag != 0 {
                push_opt(&mut s, f.name.as_bytes());
            }
        }
        s
    }

    /// The options for the mount table (and the base of fusermount3's):
    /// the flag options, the kernel options, the mtab-only options.
    pub fn mnt_opts(&self) -> Vec<u8> {
        let mut s = self.flag_opts();
        for o in [&self.kernel_opts, &self.mtab_opts].into_iter().flatten() {
            push_opt(&mut s, o);
        }
        s
    }

    /// What fusermount3 gets after `-o`: [`MountOpts::mnt_opts`], the
    /// fusermount-only options and, for the first try when a subtype was
    /// given, the `subtype=` options.
    pub fn fusermount_opts_string(&self, with_subtype: bool) -> Vec<u8> {
        let mut s = self.mnt_opts();
        if let Some(o) = &self.fusermount_opts {
            push_opt(&mut s, o);
        }
        if with_subtype {
            push_opt(&mut s, self.subtype_opt.as_deref().unwrap_or_default());
        }
        s
    }

    /// The data string for mount(2): the kernel options, then the
    /// connection's fd, the root's file type (octal), and the real ids.
    pub fn kernel_data(&self, fd: i32, rootmode: u32, uid: u32, gid: u32) -> Vec<u8> {
        let mut s = self.kernel_opts.clone().unwrap_or_default();
        push_opt(
            &mut s,
            format!(
                "fd={fd},rootmode={:o},user_id={uid},group_id={gid}",
                rootmode & libc::S_IFMT
            )
            .as_bytes(),
        );
        s
    }

    /// The base file system type: `fuseblk` for `blkdev`, else `fuse`.
    pub fn base_type(&self) -> &'static [u8] {
        if self.blkdev {
            b"fuseblk"
        } else {
            b"fuse"
        }
    }

    /// The type for mount(2): the base type, `.subtype` if one was given.
    pub fn fs_type(&self) -> Vec<u8> {
        let mut t = self.base_type().to_vec();
        if let Some(st) = &self.subtype {
            t.push(b'.');
            t.extend_from_slice(st);
        }
        t
    }

    /// The source for mount(2): the fsname, else the subtype, else the
    /// device's path.
    pub fn source(&self, devname: &[u8]) -> Vec<u8> {
        self.fsname
            .as_deref()
            .or(self.subtype.as_deref())
            .unwrap_or(devname)
            .to_vec()
    }

    /// Type and source for the second mount(2) when the first failed with
    /// ENODEV and a subtype was given (a kernel without subtypes): the base
    /// type, and `subtype#fsname` (not for fuseblk, which keeps the fsname),
    /// or the type itself without an fsname.
    pub fn fallback_type_source(&self, devname: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let t = self.base_type().to_vec();
        let source = match (&self.fsname, &self.subtype) {
            (Some(fsname), Some(st)) if !self.blkdev => {
                let mut s = st.clone();
                s.push(b'#');
                s.extend_from_slice(fsname);
                s
            }
            (Some(_), _) => self.source(devname),
            (None, _) => t.clone(),
        };
        (t, source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&str]) -> Vec<Vec<u8>> {
        args.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    fn s(b: &[u8]) -> &str {
        std::str::from_utf8(b).unwrap()
    }

    fn parse(args: &[&str]) -> (MountOpts, Vec<Vec<u8>>) {
        let mut a = v(args);
        let mo = parse_mount_opts(&mut a).unwrap();
        (mo, a)
    }

    #[test]
    fn defaults() {
        let (mo, rest) = parse(&["prog"]);
        assert_eq!(rest, v(&["prog"]));
        assert_eq!(mo, MountOpts::default());
        assert_eq!(mo.flags, libc::MS_NOSUID | libc::MS_NODEV);
        assert_eq!(s(&mo.mnt_opts()), "rw,nosuid,nodev");
        assert_eq!(s(&mo.fs_type()), "fuse");
        assert_eq!(s(&mo.source(b"/dev/fuse")), "/dev/fuse");
        assert_eq!(
            s(&mo.kernel_data(3, libc::S_IFDIR | 0o755, 0, 0)),
            "fd=3,rootmode=40000,user_id=0,group_id=0"
        );
        assert_eq!(s(&mo.fusermount_opts_string(false)), "rw,nosuid,nodev");
    }

    #[test]
    fn empty_args_are_left_alone() {
        let mut a: Vec<Vec<u8>> = Vec::new();
        assert_eq!(parse_mount_opts(&mut a).unwrap(), MountOpts::default());
        assert!(a.is_empty());
    }

    #[test]
    fn kernel_options_and_unknown_ones() {
        let (mo, rest) = parse(&[
            "prog",
            "-o",
            "allow_other,default_permissions,foo,max_read=4096,blksize=512",
            "-d",
            "-o",
            "context=system_u:object_r:tmp_t:s0,bar=1,x-gvfs-notrash",
        ]);
        assert_eq!(rest, v(&["prog", "-o", "foo,bar=1", "-d"]));
        assert!(mo.allow_other);
        assert_eq!(mo.max_read, 4096);
        assert_eq!(
            s(mo.kernel_opts.as_deref().unwrap()),
            "allow_other,default_permissions,max_read=4096,blksize=512,\
             context=system_u:object_r:tmp_t:s0"
        );
        assert_eq!(s(mo.mtab_opts.as_deref().unwrap()), "x-gvfs-notrash");
        assert_eq!(
            s(&mo.kernel_data(7, libc::S_IFREG | 0o644, 1000, 100)),
            "allow_other,default_permissions,max_read=4096,blksize=512,\
             context=system_u:object_r:tmp_t:s0,fd=7,rootmode=100000,user_id=1000,group_id=100"
        );
        assert_eq!(
            s(&mo.mnt_opts()),
            "rw,nosuid,nodev,allow_other,default_permissions,max_read=4096,blksize=512,\
             context=system_u:object_r:tmp_t:s0,x-gvfs-notrash"
        );
    }

    #[test]
    fn flags() {
        let (mo, rest) = parse(&["p", "-o", "ro,suid,dev,noexec,sync,dirsync,noatime"]);
        assert!(rest == v(&["p"]));
        assert_eq!(
            mo.flags,
            libc::MS_RDONLY
                | libc::MS_NOEXEC
                | libc::MS_SYNCHRONOUS
                | libc::MS_DIRSYNC
                | libc::MS_NOATIME
        );
        assert_eq!(s(&mo.mnt_opts()), "ro,noexec,sync,noatime,dirsync");

        let (mo, _) = parse(&["p", "-o", "ro,rw,exec,async,nodiratime,nosymfollow"]);
        assert_eq!(
            mo.flags,
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NODIRATIME | libc::MS_NOSYMFOLLOW
        );
        assert_eq!(s(&mo.mnt_opts()), "rw,nosuid,nodev,nodiratime,nosymfollow");

        let (mo, _) = parse(&["p", "-o", "nosymfollow,symfollow,nostrictatime"]);
        assert_eq!(mo.flags, libc::MS_NOSUID | libc::MS_NODEV);

        // -r is ro; later options still win.
        let (mo, rest) = parse(&["p", "-r"]);
        assert_eq!(rest, v(&["p"]));
        assert_eq!(mo.flags & libc::MS_RDONLY, libc::MS_RDONLY);
        assert_eq!(s(&mo.mnt_opts()), "ro,nosuid,nodev");
        let (mo, _) = parse(&["p", "-r", "-o", "rw"]);
        assert_eq!(mo.flags & libc::MS_RDONLY, 0);
    }

    #[test]
    fn mtab_options() {
        let (mo, rest) = parse(&["p", "-n", "-o", "user=joe,x-a=b,xa", "-ouser=ann"]);
        assert_eq!(rest, v(&["p", "-o", "xa"]));
        assert_eq!(
            s(mo.mtab_opts.as_deref().unwrap()),
            "-n,user=joe,x-a=b,user=ann"
        );
        assert_eq!(
            s(&mo.mnt_opts()),
            "rw,nosuid,nodev,-n,user=joe,x-a=b,user=ann"
        );
    }

    #[test]
    fn fsname_subtype_and_types() {
        let (mo, rest) = parse(&["p", "-o", "fsname=my\\,fs,subtype=hello"]);
        assert_eq!(rest, v(&["p"]));
        assert_eq!(mo.fsname.as_deref(), Some(b"my,fs".as_slice()));
        assert_eq!(mo.subtype.as_deref(), Some(b"hello".as_slice()));
        assert_eq!(s(mo.fusermount_opts.as_deref().unwrap()), "fsname=my\\,fs");
        assert_eq!(s(mo.subtype_opt.as_deref().unwrap()), "subtype=hello");
        assert_eq!(s(&mo.fs_type()), "fuse.hello");
        assert_eq!(s(&mo.source(b"/dev/fuse")), "my,fs");
        let (t, src) = mo.fallback_type_source(b"/dev/fuse");
        assert_eq!((s(&t), s(&src)), ("fuse", "hello#my,fs"));
        assert_eq!(
            s(&mo.fusermount_opts_string(true)),
            "rw,nosuid,nodev,fsname=my\\,fs,subtype=hello"
        );
        assert_eq!(
            s(&mo.fusermount_opts_string(false)),
            "rw,nosuid,nodev,fsname=my\\,fs"
        );
        // fsname and subtype are not kernel or mtab options.
        assert_eq!(s(&mo.mnt_opts()), "rw,nosuid,nodev");

        // Subtype only: it is the source too; the fallback names the type.
        let (mo, _) = parse(&["p", "-osubtype=hello_ll"]);
        assert_eq!(s(&mo.fs_type()), "fuse.hello_ll");
        assert_eq!(s(&mo.source(b"/dev/fuse")), "hello_ll");
        let (t, src) = mo.fallback_type_source(b"/dev/fuse");
        assert_eq!((s(&t), s(&src)), ("fuse", "fuse"));

        // The last fsname/subtype wins; every subtype= goes to fusermount3.
        let (mo, _) = parse(&["p", "-osubtype=a,subtype=b,fsname=x", "-ofsname=y"]);
        assert_eq!(s(&mo.fs_type()), "fuse.b");
        assert_eq!(s(&mo.source(b"/dev/fuse")), "y");
        assert_eq!(s(mo.subtype_opt.as_deref().unwrap()), "subtype=a,subtype=b");
        assert_eq!(
            s(mo.fusermount_opts.as_deref().unwrap()),
            "fsname=x,fsname=y"
        );

        // Neither: the device.
        let (mo, _) = parse(&["p", "-oallow_other"]);
        let (t, src) = mo.fallback_type_source(b"/dev/fuse");
        assert_eq!((s(&t), s(&src)), ("fuse", "fuse"));
    }

    #[test]
    fn blkdev() {
        let (mo, _) = parse(&["p", "-oblkdev,fsname=/dev/loop0,subtype=ntfs"]);
        assert!(mo.blkdev);
        assert_eq!(s(&mo.fs_type()), "fuseblk.ntfs");
        assert_eq!(s(&mo.source(b"/dev/fuse")), "/dev/loop0");
        let (t, src) = mo.fallback_type_source(b"/dev/fuse");
        assert_eq!((s(&t), s(&src)), ("fuseblk", "/dev/loop0"));
        assert_eq!(
            s(&mo.fusermount_opts_string(true)),
            "rw,nosuid,nodev,blkdev,fsname=/dev/loop0,subtype=ntfs"
        );
        let (mo, _) = parse(&["p", "-oblkdev"]);
        assert_eq!(s(&mo.fs_type()), "fuseblk");
        assert_eq!(s(&mo.source(b"/dev/fuse")), "/dev/fuse");
        assert_eq!(
            mo.fallback_type_source(b"/dev/fuse"),
            (b"fuseblk".to_vec(), b"fuseblk".to_vec())
        );
    }

    #[test]
    fn auto_unmount_is_for_fusermount() {
        let (mo, rest) = parse(&["p", "-o", "auto_unmount,allow_other", "mnt"]);
        assert_eq!(rest, v(&["p", "mnt"]));
        assert!(mo.auto_unmount);
        assert_eq!(s(mo.fusermount_opts.as_deref().unwrap()), "auto_unmount");
        assert_eq!(
            s(&mo.fusermount_opts_string(false)),
            "rw,nosuid,nodev,allow_other,auto_unmount"
        );
    }

    #[test]
    fn escaped_fusermount_options() {
        let (mo, _) = parse(&["p", "-o", "fsname=a\\\\b\\,c"]);
        assert_eq!(mo.fsname.as_deref(), Some(b"a\\b,c".as_slice()));
        assert_eq!(
            s(mo.fusermount_opts.as_deref().unwrap()),
            "fsname=a\\\\b\\,c"
        );
    }

    #[test]
    fn session_options_stay() {
        // What fuse_session_new leaves for us after its own parse: options
        // it does not know stay for its "unknown option(s)" message.
        let (_, rest) = parse(&["p", "-o", "clone_fd,allow_root,nonempty", "--", "x"]);
        assert_eq!(
            rest,
            v(&["p", "-o", "clone_fd,allow_root,nonempty", "--", "x"])
        );
    }

    #[test]
    fn bad_values() {
        let mut a = v(&["p", "-o", "max_read=abc"]);
        let e = parse_mount_opts(&mut a).unwrap_err();
        assert_eq!(e, OptError::InvalidParameter(b"max_read=abc".to_vec()));
        assert_eq!(a, v(&["p", "-o", "max_read=abc"]));
        let mut a = v(&["p", "-o"]);
        let e = parse_mount_opts(&mut a).unwrap_err();
        assert_eq!(e, OptError::MissingArgument(b"-o".to_vec()));
        // sscanf's %u: a sign and trailing junk are accepted.
        let (mo, _) = parse(&["p", "-omax_read=-1"]);
        assert_eq!(mo.max_read, u32::MAX);
        let (mo, _) = parse(&["p", "-omax_read=12k"]);
        assert_eq!(mo.max_read, 12);
        assert_eq!(s(mo.kernel_opts.as_deref().unwrap()), "max_read=12k");
    }

    #[test]
    fn read_only_without_rw() {
        let (mo, _) = parse(&["p", "-oro,nosymfollow,allow_other,user=u"]);
        assert_eq!(
            s(&mo.mnt_opts()),
            "ro,nosuid,nodev,nosymfollow,allow_other,user=u"
        );
    }
}
