//! The options `fuse_session_new` itself understands (libfuse's
//! `fuse_ll_opts`), parsed with the fuse_opt core; mount options are the
//! mount module's, and anything left over is an error.

use crate::opt::{self, ArgSink, Disposition, OptError, OptHost, Template};

/// The session's own options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionOpts {
    /// `-d`, `--debug`, `-o debug`: trace requests and replies.
    pub debug: bool,
    /// `-o allow_root`: only root and the owner may use the mount.
    pub deny_others: bool,
    /// Use io-uring when the kernel offers it. On by default in ferrofuse
    /// (libfuse: off); `-o io_uring` / `-o no_io_uring` and
    /// `FUSE_URING_ENABLE=1|0` choose.
    pub uring_enable: bool,
    /// `-o io_uring_q_depth=N` / `FUSE_URING_QUEUE_DEPTH`.
    pub uring_q_depth: u32,
    /// `-o passthrough=auto` / `FERROFUSE_PASSTHROUGH=auto`: transparent
    /// kernel passthrough (ferrofuse's own; off by default, and
    /// `-o passthrough=off` turns it off again).
    pub passthrough_auto: bool,
    /// Negotiate FUSE_HANDLE_KILLPRIV_V2 for a filesystem that asks for no
    /// KILLPRIV flag, and do its kill-suid/sgid duty (on by default;
    /// `-o killpriv=off` / `FERROFUSE_KILLPRIV=off` keep the kernel asking
    /// GETXATTR before every write instead; the `passthrough_killpriv`
    /// names of the passthrough=auto days mean the same).
    pub killpriv: bool,
}

/// libfuse's SESSION_DEF_URING_Q_DEPTH.
pub const DEF_URING_Q_DEPTH: u32 = 8;

const DEBUG: u64 = 0;
const DENY_OTHERS: u64 = 1;
const URING_ENABLE: u64 = 2;
const URING_Q_DEPTH: u64 = 3;
const PASSTHROUGH_AUTO: u64 = 4;
const KILLPRIV: u64 = 5;

const TEMPLATES: &[Template<'static>] = &[
    Template::new(b"debug", DEBUG, 1),
    Template::new(b"-d", DEBUG, 1),
    Template::new(b"--debug", DEBUG, 1),
    Template::new(b"allow_root", DENY_OTHERS, 1),
    Template::new(b"io_uring", URING_ENABLE, 1),
    Template::new(b"no_io_uring", URING_ENABLE, 0),
    Template::new(b"io_uring_q_depth=%u", URING_Q_DEPTH, -1),
    Template::new(b"passthrough=auto", PASSTHROUGH_AUTO, 1),
    Template::new(b"passthrough=off", PASSTHROUGH_AUTO, 0),
    Template::new(b"killpriv=on", KILLPRIV, 1),
    Template::new(b"killpriv=off", KILLPRIV, 0),
    Template::new(b"passthrough_killpriv=on", KILLPRIV, 1),
    Template::new(b"passthrough_killpriv=off", KILLPRIV, 0),
];

impl SessionOpts {
    /// The defaults before parsing: io-uring settings come from the
    /// environment as in libfuse (`atoi` of FUSE_URING_ENABLE and
    /// FUSE_URING_QUEUE_DEPTH).
    pub fn from_env() -> SessionOpts {
        let atoi = |name: &str| -> Option<i64> {
            let v = std::env::var_os(name)?;
            let s = v.to_string_lossy();
            let s = s.trim_start();
            let (neg, digits) = match s.as_bytes().first() {
                Some(b'-') => (true, &s[1..]),
                Some(b'+') => (false, &s[1..]),
                _ => (false, s),
            };
            let n: String = digits.chars().take_while(|c| c.is_ascii_digit()).collect();
            let n: i64 = n.parse().unwrap_or(0);
            Some(if neg { -n } else { n })
        };
        SessionOpts {
            debug: false,
            deny_others: false,
            uring_enable: atoi("FUSE_URING_ENABLE").is_none_or(|v| v as i32 != 0),
            uring_q_depth: atoi("FUSE_URING_QUEUE_DEPTH").map_or(DEF_URING_Q_DEPTH, |v| v as u32),
            passthrough_auto: std::env::var_os("FERROFUSE_PASSTHROUGH")
                .is_some_and(|v| v == "auto"),
            killpriv: ["FERROFUSE_KILLPRIV", "FERROFUSE_PASSTHROUGH_KILLPRIV"]
                .iter()
                .all(|name| std::env::var_os(name).is_none_or(|v| v != "off")),
        }
    }

    /// `fuse_opt_parse(args, se, fuse_ll_opts, NULL)`: applies the session's
    /// options and keeps every other argument in `out`.
    pub fn parse<S: ArgSink>(&mut self, argv: &[Vec<u8>], out: &mut S) -> Result<(), OptError> {
        let mut host = Host { out, opts: self };
        opt::parse(argv, TEMPLATES, &mut host)
    }
}

struct Host<'a, S: ArgSink> {
    out: &'a mut S,
    opts: &'a mut SessionOpts,
}

impl<S: ArgSink> OptHost for Host<'_, S> {
    type Out = S;

    fn out(&mut self) -> &mut S {
        self.out
    }

    fn process(&mut self, _arg: &[u8], _key: i32) -> Result<Disposition, OptError> {
        Ok(Disposition::Keep)
    }

    fn store_int(&mut self, offset: u64, value: i32) {
        let on = value != 0;
        match offset {
            DEBUG => self.opts.debug = on,
            DENY_OTHERS => self.opts.deny_others = on,
            URING_ENABLE => self.opts.uring_enable = on,
            URING_Q_DEPTH => self.opts.uring_q_depth = value as u32,
            PASSTHROUGH_AUTO => self.opts.passthrough_auto = on,
            KILLPRIV => self.opts.killpriv = on,
            _ => {}
        }
    }

    fn store_string(&mut self, _offset: u64, _value: &[u8]) -> Result<(), OptError> {
        Ok(())
    }

    fn scan_store(&mut self, offset: u64, param: &[u8], _format: &[u8]) -> Result<bool, OptError> {
        let Some((v, _)) = opt::cmdline::scan_uint(param) else {
            return Ok(false);
        };
        if offset == URING_Q_DEPTH {
            self.opts.uring_q_depth = v;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<Vec<u8>> {
        a.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn session_options_are_taken_the_rest_kept() {
        let mut o = SessionOpts::default();
        let mut out: Vec<Vec<u8>> = Vec::new();
        let argv = v(&[
            "prog",
            "-d",
            "-o",
            "allow_root,fsname=x,io_uring_q_depth=4",
            "-f",
        ]);
        o.parse(&argv, &mut out).unwrap();
        assert!(o.debug && o.deny_others && !o.uring_enable);
        assert_eq!(o.uring_q_depth, 4);
        assert_eq!(out, v(&["prog", "-o", "fsname=x", "-f"]));
    }

    #[test]
    fn bad_queue_depth_is_an_error() {
        let mut o = SessionOpts::default();
        let mut out: Vec<Vec<u8>> = Vec::new();
        let argv = v(&["prog", "-o", "io_uring_q_depth=x"]);
        assert!(o.parse(&argv, &mut out).is_err());
    }

    #[test]
    fn passthrough_auto_is_ours_and_other_values_are_left_over() {
        let mut o = SessionOpts::default();
        let mut out: Vec<Vec<u8>> = Vec::new();
        o.parse(&v(&["prog", "-o", "passthrough=auto"]), &mut out)
            .unwrap();
        assert!(o.passthrough_auto);
        let mut out: Vec<Vec<u8>> = Vec::new();
        o.parse(
            &v(&["prog", "-o", "passthrough=off,passthrough=x"]),
            &mut out,
        )
        .unwrap();
        assert!(!o.passthrough_auto);
        assert_eq!(out, v(&["prog", "-o", "passthrough=x"]));
    }

    #[test]
    fn killpriv_off_under_either_name() {
        for arg in ["killpriv=off", "passthrough_killpriv=off"] {
            let mut o = SessionOpts {
                killpriv: true,
                ..Default::default()
            };
            let mut out: Vec<Vec<u8>> = Vec::new();
            o.parse(&v(&["prog", "-o", arg]), &mut out).unwrap();
            assert!(!o.killpriv, "{arg}");
            assert_eq!(out, v(&["prog"]), "{arg}");
            o.parse(&v(&["prog", "-o", "killpriv=on"]), &mut out)
                .unwrap();
            assert!(o.killpriv, "{arg}");
        }
    }
}
