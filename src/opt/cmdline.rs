//! `fuse_parse_cmdline` and the texts of the command-line helpers, over
//! Rust data (libfuse's helper.c, as its callers observe it).
//!
//! The options: `-h`/`--help`, `-V`/`--version`, `-d`/`-o debug` (debug and
//! foreground, and the argument is kept for the session), `-f`, `-s`,
//! `-o clone_fd`, `-o max_idle_threads=N`, `-o max_threads=N`; `-o fsname=`
//! and `-o subtype=` are kept and stop the default `-osubtype=<program>`
//! from being appended. The first non-option is the mount point, made
//! absolute with `realpath` unless it is `/dev/fd/N`; a second one is an
//! error. Everything else is left in the arguments.

use super::{parse, ArgSink, Disposition, OptError, OptHost, Template, KEY_KEEP, KEY_NONOPT};

/// The libfuse release whose behaviour and texts ferrofuse provides.
pub const PKG_VERSION: &str = "3.18.3";
/// `FUSE_VERSION` of that release (`FUSE_MAKE_VERSION(3, 18)`).
pub const FUSE_VERSION: i32 = 318;
/// The FUSE kernel protocol version ferrofuse speaks.
pub const KERNEL_VERSION: (u32, u32) = (7, 45);

/// What `fuse_cmdline_help()` prints.
pub const CMDLINE_HELP: &str = "    -h   --help            print help\n\
    \x20   -V   --version         print version\n\
    \x20   -d   -o debug          enable debug output (implies -f)\n\
    \x20   -f                     foreground operation\n\
    \x20   -s                     disable multi-threaded operation\n\
    \x20   -o clone_fd            use separate fuse device fd for each thread\n\
    \x20                          (may improve performance)\n\
    \x20   -o max_idle_threads    the maximum number of idle worker threads\n\
    \x20                          allowed (default: -1)\n\
    \x20   -o max_threads         the maximum number of worker threads\n\
    \x20                          allowed (default: 10)\n";

/// What `fuse_lowlevel_help()` prints (3.18 added the io_uring lines).
pub const LOWLEVEL_HELP: &str = "    -o allow_other         allow access by all users\n\
    \x20   -o allow_root          allow access by root\n\
    \x20   -o auto_unmount        auto unmount on process termination\n\
    \x20   -o io_uring            enable io-uring\n\
    \x20   -o io_uring_q_depth=<n> io-uring queue depth\n";

/// The first line `fuse_lowlevel_version()` prints (fusermount3's own
/// `--version` output follows).
pub fn lowlevel_version_line() -> String {
    format!(
        "using FUSE kernel interface version {}.{}\n",
        KERNEL_VERSION.0, KERNEL_VERSION.1
    )
}

/// `struct fuse_cmdline_opts`, as Rust data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CmdlineOpts {
    pub singlethread: i32,
    pub foreground: i32,
    pub debug: i32,
    pub nodefault_subtype: i32,
    pub mountpoint: Option<Vec<u8>>,
    pub show_version: i32,
    pub show_help: i32,
    pub clone_fd: i32,
    pub max_idle_threads: u32,
    pub max_threads: u32,
}

impl Default for CmdlineOpts {
    /// Zeroes, except `max_idle_threads` (`UINT_MAX`, "no limit", since 3.12)
    /// and `max_threads` (10).
    fn default() -> Self {
        CmdlineOpts {
            singlethread: 0,
            foreground: 0,
            debug: 0,
            nodefault_subtype: 0,
            mountpoint: None,
            show_version: 0,
            show_help: 0,
            clone_fd: 0,
            max_idle_threads: u32::MAX,
            max_threads: 10,
        }
    }
}

// The templates address fields by their offset in the C struct; here the
// offsets only name the fields.
const SINGLETHREAD: u64 = 0;
const FOREGROUND: u64 = 4;
const DEBUG: u64 = 8;
const NODEFAULT_SUBTYPE: u64 = 12;
const SHOW_VERSION: u64 = 24;
const SHOW_HELP: u64 = 28;
const CLONE_FD: u64 = 32;
const MAX_IDLE_THREADS: u64 = 36;
const MAX_THREADS: u64 = 40;

/// libfuse's option table for `fuse_parse_cmdline`, in its order.
pub const HELPER_TEMPLATES: &[Template<'static>] = &[
    Template::new(b"-h", SHOW_HELP, 1),
    Template::new(b"--help", SHOW_HELP, 1),
    Template::new(b"-V", SHOW_VERSION, 1),
    Template::new(b"--version", SHOW_VERSION, 1),
    Template::new(b"-d", DEBUG, 1),
    Template::new(b"debug", DEBUG, 1),
    Template::new(b"-d", FOREGROUND, 1),
    Template::new(b"debug", FOREGROUND, 1),
    Template::key(b"-d", KEY_KEEP),
    Template::key(b"debug", KEY_KEEP),
    Template::new(b"-f", FOREGROUND, 1),
    Template::new(b"-s", SINGLETHREAD, 1),
    Template::new(b"fsname=", NODEFAULT_SUBTYPE, 1),
    Template::key(b"fsname=", KEY_KEEP),
    Template::new(b"subtype=", NODEFAULT_SUBTYPE, 1),
    Template::key(b"subtype=", KEY_KEEP),
    Template::new(b"clone_fd", CLONE_FD, 1),
    Template::new(b"max_idle_threads=%u", MAX_IDLE_THREADS, 1),
    Template::new(b"max_threads=%u", MAX_THREADS, 1),
];

/// `sscanf(s, "%u")` for the command line's numbers: leading white space,
/// an optional sign, decimal digits with strtoul's overflow and negation,
/// truncated to unsigned int. Returns the value and the bytes consumed.
pub fn scan_uint(s: &[u8]) -> Option<(u32, usize)> {
    let mut i = s
        .iter()
        .take_while(|c| c.is_ascii_whitespace() || **c == 0x0b)
        .count();
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = s[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let v = s[i..i + digits].iter().try_fold(0u64, |v, d| {
        v.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    });
    let v = v.unwrap_or(u64::MAX); // strtoul saturates at ULONG_MAX
    let v = if neg { v.wrapping_neg() } else { v };
    Some((v as u32, i + digits))
}

/// A file descriptor mount point: `/dev/fd/N` exactly as sscanf's
/// `"/dev/fd/%u%n"` reads it, the whole string consumed; -1 if not.
pub fn parse_fuse_fd(mountpoint: &[u8]) -> i32 {
    let Some(rest) = mountpoint.strip_prefix(b"/dev/fd/") else {
        return -1;
    };
    match scan_uint(rest) {
        Some((fd, used)) if used == rest.len() => fd as i32,
        _ => -1,
    }
}

/// The argument added when neither `fsname=` nor `subtype=` was given:
/// `-osubtype=` and the program's base name (a trailing `/` is kept as the
/// base name, as libfuse does).
pub fn default_subtype_arg(progname: &[u8]) -> Vec<u8> {
    let base = match progname.iter().rposition(|&c| c == b'/') {
        None => progname,
        Some(i) if i + 1 < progname.len() => &progname[i + 1..],
        Some(i) => &progname[i..],
    };
    let mut arg = b"-osubtype=".to_vec();
    arg.extend_from_slice(base);
    arg
}

/// Resolves a mount point like `realpath(3)`, or gives the errno.
pub type Realpath<'a> = dyn FnMut(&[u8]) -> Result<Vec<u8>, i32> + 'a;

struct Host<'a, 'r, S: ArgSink> {
    out: &'a mut S,
    opts: &'a mut CmdlineOpts,
    realpath: &'a mut Realpath<'r>,
}

impl<S: ArgSink> Host<'_, '_, S> {
    fn int_field(&mut self, offset: u64) -> Option<&mut i32> {
        let o = &mut *self.opts;
        Some(match offset {
            SINGLETHREAD => &mut o.singlethread,
            FOREGROUND => &mut o.foreground,
            DEBUG => &mut o.debug,
            NODEFAULT_SUBTYPE => &mut o.nodefault_subtype,
            SHOW_VERSION => &mut o.show_version,
            SHOW_HELP => &mut o.show_help,
            CLONE_FD => &mut o.clone_fd,
            _ => return None,
        })
    }
}

impl<S: ArgSink> OptHost for Host<'_, '_, S> {
    type Out = S;

    fn out(&mut self) -> &mut S {
        self.out
    }

    fn process(&mut self, arg: &[u8], key: i32) -> Result<Disposition, OptError> {
        if key != KEY_NONOPT {
            // Everything else passes through.
            return Ok(Disposition::Keep);
        }
        if self.opts.mountpoint.is_some() {
            return Err(OptError::InvalidArgument(arg.to_vec()));
        }
        let mountpoint = if parse_fuse_fd(arg) != -1 {
            arg.to_vec()
        } else {
            (self.realpath)(arg).map_err(|errno| OptError::BadMountPoint {
                arg: arg.to_vec(),
                errno,
            })?
        };
        self.opts.mountpoint = Some(mountpoint);
        // libfuse returns fuse_opt_add_opt()'s 0: the argument is consumed.
        Ok(Disposition::Discard)
    }

    fn store_int(&mut self, offset: u64, value: i32) {
        match offset {
            MAX_IDLE_THREADS => self.opts.max_idle_threads = value as u32,
            MAX_THREADS => self.opts.max_threads = value as u32,
            _ => {
                if let Some(f) = self.int_field(offset) {
                    *f = value;
                }
            }
        }
    }

    fn store_string(&mut self, _offset: u64, _value: &[u8]) -> Result<(), OptError> {
        // No `%s` template in the table.
        Ok(())
    }

    fn scan_store(&mut self, offset: u64, param: &[u8], _format: &[u8]) -> Result<bool, OptError> {
        // The table's only conversions are the two `%u` ones.
        let Some((v, _)) = scan_uint(param) else {
            return Ok(false);
        };
        match offset {
            MAX_IDLE_THREADS => self.opts.max_idle_threads = v,
            MAX_THREADS => self.opts.max_threads = v,
            _ => {}
        }
        Ok(true)
    }
}

/// The `fuse_opt_parse` step of `fuse_parse_cmdline`: parses `argv` into
/// `out` (empty on entry) and `opts` (as [`CmdlineOpts::default`] on entry).
/// On error `opts` holds what was parsed before it, as libfuse's struct does.
pub fn parse_into<S: ArgSink>(
    argv: &[Vec<u8>],
    out: &mut S,
    opts: &mut CmdlineOpts,
    realpath: &mut Realpath<'_>,
) -> Result<(), OptError> {
    let mut host = Host {
        out,
        opts,
        realpath,
    };
    parse(argv, HELPER_TEMPLATES, &mut host)
}

/// `fuse_parse_cmdline` on a Rust argument vector: on success `args` holds
/// the remaining arguments (with `-osubtype=<program>` appended unless the
/// options name an fsname or subtype). An empty `args` is left alone.
pub fn parse_cmdline(
    args: &mut Vec<Vec<u8>>,
    realpath: &mut Realpath<'_>,
) -> Result<CmdlineOpts, (OptError, CmdlineOpts)> {
    let mut opts = CmdlineOpts::default();
    if args.is_empty() {
        return Ok(opts);
    }
    let mut out: Vec<Vec<u8>> = Vec::new();
    if let Err(e) = parse_into(args, &mut out, &mut opts, realpath) {
        return Err((e, opts));
    }
    *args = out;
    if opts.nodefault_subtype == 0 {
        let arg = default_subtype_arg(&args[0]);
        args.push(arg);
    }
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&str]) -> Vec<Vec<u8>> {
        args.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    fn fake_realpath(p: &[u8]) -> Result<Vec<u8>, i32> {
        if p.starts_with(b"/missing") {
            Err(libc::ENOENT)
        } else if p.starts_with(b"/") {
            Ok(p.to_vec())
        } else {
            let mut r = b"/cwd/".to_vec();
            r.extend_from_slice(p);
            Ok(r)
        }
    }

    #[test]
    fn typical_command_line() {
        let mut args = v(&[
            "/usr/bin/myfs",
            "-f",
            "-o",
            "allow_other,max_threads=4",
            "mnt",
            "-d",
        ]);
        let opts = parse_cmdline(&mut args, &mut fake_realpath).unwrap();
        assert_eq!(
            args,
            v(&["/usr/bin/myfs", "-o", "allow_other", "-d", "-osubtype=myfs"])
        );
        assert_eq!(opts.foreground, 1);
        assert_eq!(opts.debug, 1);
        assert_eq!(opts.max_threads, 4);
        assert_eq!(opts.max_idle_threads, u32::MAX);
        assert_eq!(opts.mountpoint.as_deref(), Some(b"/cwd/mnt".as_slice()));
    }

    #[test]
    fn fsname_and_subtype_suppress_the_default() {
        let mut args = v(&["prog", "-o", "fsname=x", "/m"]);
        let opts = parse_cmdline(&mut args, &mut fake_realpath).unwrap();
        assert_eq!(opts.nodefault_subtype, 1);
        assert_eq!(args, v(&["prog", "-o", "fsname=x"]));
    }

    #[test]
    fn errors() {
        let mut args = v(&["prog", "/a", "/b"]);
        let (e, opts) = parse_cmdline(&mut args, &mut fake_realpath).unwrap_err();
        assert_eq!(e, OptError::InvalidArgument(b"/b".to_vec()));
        assert_eq!(opts.mountpoint.as_deref(), Some(b"/a".as_slice()));
        let mut args = v(&["prog", "/missing/x"]);
        let (e, _) = parse_cmdline(&mut args, &mut fake_realpath).unwrap_err();
        assert_eq!(
            e,
            OptError::BadMountPoint {
                arg: b"/missing/x".to_vec(),
                errno: libc::ENOENT
            }
        );
        let mut args = v(&["prog", "-o", "max_threads=x"]);
        let (e, _) = parse_cmdline(&mut args, &mut fake_realpath).unwrap_err();
        assert_eq!(e, OptError::InvalidParameter(b"max_threads=x".to_vec()));
    }

    #[test]
    fn scan_uint_is_sscanf_percent_u() {
        for input in [
            "0",
            "7",
            " 42",
            "\t+9",
            "-1",
            "-4294967295",
            "4294967295",
            "4294967296",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999",
            "12abc",
            "",
            " ",
            "+",
            "-",
            "x1",
            "0x10",
            "010",
        ] {
            let c = std::ffi::CString::new(input).unwrap();
            let (mut v, mut n): (u32, libc::c_int) = (0, 0);
            // SAFETY: NUL-terminated input and format; targets of the right types.
            let ret = unsafe {
                libc::sscanf(
                    c.as_ptr(),
                    c"%u%n".as_ptr(),
                    &mut v as *mut u32,
                    &mut n as *mut libc::c_int,
                )
            };
            let want = (ret == 1).then_some((v, n as usize));
            assert_eq!(scan_uint(input.as_bytes()), want, "{input:?}");
        }
    }

    #[test]
    fn fd_mount_points() {
        assert_eq!(parse_fuse_fd(b"/dev/fd/3"), 3);
        assert_eq!(parse_fuse_fd(b"/dev/fd/ 3"), 3);
        assert_eq!(parse_fuse_fd(b"/dev/fd/+3"), 3);
        assert_eq!(parse_fuse_fd(b"/dev/fd/-2"), -2);
        assert_eq!(parse_fuse_fd(b"/dev/fd/-1"), -1);
        assert_eq!(parse_fuse_fd(b"/dev/fd/3x"), -1);
        assert_eq!(parse_fuse_fd(b"/dev/fd/"), -1);
        let mut args = v(&["prog", "/dev/fd/7"]);
        let opts = parse_cmdline(&mut args, &mut fake_realpath).unwrap();
        assert_eq!(opts.mountpoint.as_deref(), Some(b"/dev/fd/7".as_slice()));
    }

    #[test]
    fn subtype_basename() {
        assert_eq!(default_subtype_arg(b"/a/b/fs"), b"-osubtype=fs");
        assert_eq!(default_subtype_arg(b"fs"), b"-osubtype=fs");
        assert_eq!(default_subtype_arg(b"fs/"), b"-osubtype=/");
        assert_eq!(default_subtype_arg(b""), b"-osubtype=");
    }

    #[test]
    fn help_texts() {
        assert!(CMDLINE_HELP.starts_with("    -h   --help            print help\n    -V"));
        assert!(CMDLINE_HELP.ends_with("                           allowed (default: 10)\n"));
        assert_eq!(CMDLINE_HELP.lines().count(), 11);
        assert_eq!(LOWLEVEL_HELP.lines().count(), 5);
        assert!(LOWLEVEL_HELP.lines().all(|l| l.starts_with("    -o ")));
        assert_eq!(
            lowlevel_version_line(),
            "using FUSE kernel interface version 7.45\n"
        );
    }
}
