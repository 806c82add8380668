//! The `fuse_opt` option parser, in safe Rust over Rust data.
//!
//! This is libfuse's algorithm as its callers observe it: the same templates
//! match the same arguments, values are stored and keys reported in the same
//! order, the same arguments are kept, in the same places, and the same
//! errors end the parse. What C sees (the `argv` arrays, the caller's data
//! struct, the processing function) stays behind two traits implemented by
//! the C adapter in `capi::opt`, and by plain Rust types in the tests:
//!
//! * [`ArgSink`]: the output argument vector (libfuse's `outargs`, which the
//!   processing function may itself modify);
//! * [`OptHost`]: the caller's data struct and processing function.
//!
//! # Templates
//! A template matches an argument (or one option of a `-o` list) when
//! * it equals the argument exactly, or
//! * it has the form `"name="` / `"name=%fmt"`: the argument starts with
//!   `name=`; or the form `"-x "` / `"-x %fmt"`: the argument starts with
//!   `-x`, and when it *is* `-x` the parameter is the next argument.
//!
//! A template with offset [`KEY_OFFSET`] reports its `value` as a key to the
//! processing function; any other offset is a field of the data struct that
//! receives `value` (as an int), or, with a format, the converted parameter
//! (`%s` makes a `strdup`ed copy, any other format goes through `sscanf`,
//! see [`scan`]). Every template that matches is applied, in table order.

pub mod cmdline;

use std::fmt;

/// Key for an option that no template matched (`FUSE_OPT_KEY_OPT`).
pub const KEY_OPT: i32 = -1;
/// Key for a non-option argument (`FUSE_OPT_KEY_NONOPT`).
pub const KEY_NONOPT: i32 = -2;
/// Key telling the parser to keep the argument without asking (`FUSE_OPT_KEY_KEEP`).
pub const KEY_KEEP: i32 = -3;
/// Key telling the parser to drop the argument without asking (`FUSE_OPT_KEY_DISCARD`).
pub const KEY_DISCARD: i32 = -4;
/// The offset of a key template (`FUSE_OPT_KEY`): C's `-1U`, compared with
/// the template's `unsigned long` offset.
pub const KEY_OFFSET: u64 = 0xffff_ffff;

/// One entry of an option table (`struct fuse_opt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Template<'a> {
    pub templ: &'a [u8],
    pub offset: u64,
    pub value: i32,
}

impl<'a> Template<'a> {
    /// A template storing `value` (or a converted parameter) at `offset`.
    pub const fn new(templ: &'a [u8], offset: u64, value: i32) -> Self {
        Template {
            templ,
            offset,
            value,
        }
    }

    /// A template reporting `key` to the processing function.
    pub const fn key(templ: &'a [u8], key: i32) -> Self {
        Template {
            templ,
            offset: KEY_OFFSET,
            value: key,
        }
    }

    fn is_key(&self) -> bool {
        self.offset == KEY_OFFSET
    }
}

/// Why a parse failed. Each variant is one of libfuse's messages, logged
/// (by the C adapter) at the moment the parse stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptError {
    /// `fuse: missing argument after `%s'`
    MissingArgument(Vec<u8>),
    /// `fuse: invalid parameter in option `%s'`
    InvalidParameter(Vec<u8>),
    /// `fuse: memory allocation failed`
    Alloc,
    /// The processing function returned -1 (it says why itself, if at all).
    ProcFailed,
    /// `fuse: invalid argument `%s'` (fuse_parse_cmdline: a second non-option)
    InvalidArgument(Vec<u8>),
    /// `fuse: bad mount point `%s': %s` (fuse_parse_cmdline: realpath failed
    /// with this errno)
    BadMountPoint { arg: Vec<u8>, errno: i32 },
}

impl OptError {
    /// libfuse's `fuse_log` format for this error and its `%s` argument,
    /// if any (the errno of [`OptError::BadMountPoint`] becomes a second
    /// `%s`, `strerror`'s text, which only C can produce exactly).
    pub fn c_format(&self) -> Option<(&'static str, Option<&[u8]>)> {
        match self {
            OptError::MissingArgument(a) => Some(("fuse: missing argument after `%s'\n", Some(a))),
            OptError::InvalidParameter(a) => {
                Some(("fuse: invalid parameter in option `%s'\n", Some(a)))
            }
            OptError::Alloc => Some(("fuse: memory allocation failed\n", None)),
            OptError::ProcFailed => None,
            OptError::InvalidArgument(a) => Some(("fuse: invalid argument `%s'\n", Some(a))),
            OptError::BadMountPoint { arg, .. } => {
                Some(("fuse: bad mount point `%s': %s\n", Some(arg)))
            }
        }
    }
}

impl fmt::Display for OptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match self {
            OptError::MissingArgument(a) => write!(f, "fuse: missing argument after `{}'", s(a)),
            OptError::InvalidParameter(a) => {
                write!(f, "fuse: invalid parameter in option `{}'", s(a))
            }
            OptError::Alloc => write!(f, "fuse: memory allocation failed"),
            OptError::ProcFailed => write!(f, "processing function failed"),
            OptError::InvalidArgument(a) => write!(f, "fuse: invalid argument `{}'", s(a)),
            OptError::BadMountPoint { arg, errno } => write!(
                f,
                "fuse: bad mount point `{}': {}",
                s(arg),
                std::io::Error::from_raw_os_error(*errno)
            ),
        }
    }
}

impl std::error::Error for OptError {}

/// The output argument vector of a parse (libfuse's `outargs`).
pub trait ArgSink {
    /// Number of arguments.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Argument `i` (`None` past the end).
    fn get(&self, i: usize) -> Option<Vec<u8>>;
    /// Appends a copy of `arg` (`fuse_opt_add_arg`).
    fn push(&mut self, arg: &[u8]) -> Result<(), OptError>;
    /// Inserts a copy of `arg` at `pos <= len()` (`fuse_opt_insert_arg`).
    fn insert(&mut self, pos: usize, arg: &[u8]) -> Result<(), OptError>;
    /// Removes and frees the last argument.
    fn pop(&mut self);
}

impl ArgSink for Vec<Vec<u8>> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn get(&self, i: usize) -> Option<Vec<u8>> {
        <[Vec<u8>]>::get(self, i).cloned()
    }
    fn push(&mut self, arg: &[u8]) -> Result<(), OptError> {
        Vec::push(self, arg.to_vec());
        Ok(())
    }
    fn insert(&mut self, pos: usize, arg: &[u8]) -> Result<(), OptError> {
        Vec::insert(self, pos, arg.to_vec());
        Ok(())
    }
    fn pop(&mut self) {
        Vec::pop(self);
    }
}

/// What the processing function decided about an argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Returned 0: the argument is dropped.
    Discard,
    /// Returned anything but 0 and -1, or there is no function: kept.
    Keep,
}

impl Disposition {
    /// Maps a C processing function's return value (-1 is an error).
    pub fn from_c(res: i32) -> Result<Disposition, OptError> {
        match res {
            -1 => Err(OptError::ProcFailed),
            0 => Ok(Disposition::Discard),
            _ => Ok(Disposition::Keep),
        }
    }
}

/// The caller's side of a parse: its data struct and processing function.
pub trait OptHost {
    type Out: ArgSink;

    /// The output vector, which the processing function also sees.
    fn out(&mut self) -> &mut Self::Out;

    /// Calls the processing function with `arg` and `key`; [`Disposition::Keep`]
    /// when there is none.
    fn process(&mut self, arg: &[u8], key: i32) -> Result<Disposition, OptError>;

    /// `*(int *)(data + offset) = value`
    fn store_int(&mut self, offset: u64, value: i32);

    /// A `%s` parameter: a copy of `value` replaces (and frees) the string
    /// pointer at `offset`.
    fn store_string(&mut self, offset: u64, value: &[u8]) -> Result<(), OptError>;

    /// Converts `param` with the template's scanf `format` (e.g. `%u`) into
    /// the field at `offset`, as libfuse's `sscanf(param, format, var)`;
    /// returns whether one conversion was made.
    fn scan_store(&mut self, offset: u64, param: &[u8], format: &[u8]) -> Result<bool, OptError>;
}

/// Appends `opt` to a comma-separated option string, escaping `,` and `\`
/// when `escape` (`fuse_opt_add_opt` / `fuse_opt_add_opt_escaped`). No comma
/// is added while the string is empty, as libfuse does.
pub fn add_opt(opts: &mut Option<Vec<u8>>, opt: &[u8], escape: bool) {
    let s = opts.get_or_insert_with(Vec::new);
    if !s.is_empty() {
        s.push(b',');
    }
    for &c in opt {
        if escape && (c == b',' || c == b'\\') {
            s.push(b'\\');
        }
        s.push(c);
    }
}

/// The separator position of `templ` for `arg`, if the template matches it:
/// 0 for an exact match, else the index of the `=` or ` ` that ends the
/// template's name.
pub fn match_template(templ: &[u8], arg: &[u8]) -> Option<usize> {
    let sep = templ
        .iter()
        .position(|&c| c == b'=')
        .or_else(|| templ.iter().position(|&c| c == b' '));
    if let Some(sep) = sep {
        let after = templ.get(sep + 1);
        if after.is_none() || after == Some(&b'%') {
            let tlen = sep + usize::from(templ[sep] == b'=');
            if arg.len() >= tlen && arg[..tlen] == templ[..tlen] {
                return Some(sep);
            }
        }
    }
    (templ == arg).then_some(0)
}

/// The first template at or after `from` matching `arg`, and its separator.
fn find(templates: &[Template], from: usize, arg: &[u8]) -> Option<(usize, usize)> {
    templates
        .iter()
        .enumerate()
        .skip(from)
        .find_map(|(i, t)| match_template(t.templ, arg).map(|sep| (i, sep)))
}

/// `fuse_opt_match`: whether any template matches `opt`.
pub fn matches(templates: &[Template], opt: &[u8]) -> bool {
    find(templates, 0, opt).is_some()
}

/// Cuts a byte string at its first NUL, as C sees it.
fn c_str(s: &[u8]) -> &[u8] {
    s.iter().position(|&c| c == 0).map_or(s, |n| &s[..n])
}

struct Ctx<'a, 'b, H: OptHost> {
    host: &'b mut H,
    templates: &'b [Template<'a>],
    argv: &'b [Vec<u8>],
    /// Index of the argument being processed.
    argctr: usize,
    /// The `-o` options kept so far (escaped, comma-separated).
    opts: Option<Vec<u8>>,
    /// Output position after `--`, 0 before it.
    nonopt: usize,
}

impl<H: OptHost> Ctx<'_, '_, H> {
    fn next_arg(&mut self, opt: &[u8]) -> Result<(), OptError> {
        if self.argctr + 1 >= self.argv.len() {
            return Err(OptError::MissingArgument(opt.to_vec()));
        }
        self.argctr += 1;
        Ok(())
    }

    fn call_proc(&mut self, arg: &[u8], key: i32, iso: bool) -> Result<(), OptError> {
        if key == KEY_DISCARD {
            return Ok(());
        }
        if key != KEY_KEEP && self.host.process(arg, key)? == Disposition::Discard {
            return Ok(());
        }
        if iso {
            add_opt(&mut self.opts, arg, true);
            Ok(())
        } else {
            self.host.out().push(arg)
        }
    }

    fn process_opt(
        &mut self,
        t: &Template,
        sep: usize,
        arg: &[u8],
        iso: bool,
    ) -> Result<(), OptError> {
        if t.is_key() {
            return self.call_proc(arg, t.value, iso);
        }
        if sep != 0 && t.templ.len() > sep + 1 {
            let param = &arg[sep + usize::from(t.templ[sep] == b'=')..];
            let format = &t.templ[sep + 1..];
            if format.get(1) == Some(&b's') {
                self.host.store_string(t.offset, param)?;
            } else {
                if !self.host.scan_store(t.offset, param, format)? {
                    return Err(OptError::InvalidParameter(arg.to_vec()));
                }
            }
        } else {
            self.host.store_int(t.offset, t.value);
        }
        Ok(())
    }

    fn process_sep_arg(
        &mut self,
        t: &Template,
        sep: usize,
        arg: &[u8],
        iso: bool,
    ) -> Result<(), OptError> {
        self.next_arg(arg)?;
        // The name and the next argument, joined: "-x" "foo" is "-xfoo".
        let mut joined = arg[..sep].to_vec();
        joined.extend_from_slice(c_str(&self.argv[self.argctr]));
        self.process_opt(t, sep, &joined, iso)
    }

    fn process_gopt(&mut self, arg: &[u8], iso: bool) -> Result<(), OptError> {
        let templates = self.templates;
        let Some(mut found) = find(templates, 0, arg) else {
            return self.call_proc(arg, KEY_OPT, iso);
        };
        loop {
            let (i, sep) = found;
            let t = &templates[i];
            if sep != 0 && t.templ[sep] == b' ' && arg.len() == sep {
                self.process_sep_arg(t, sep, arg, iso)?;
            } else {
                self.process_opt(t, sep, arg, iso)?;
            }
            match find(templates, i + 1, arg) {
                Some(next) => found = next,
                None => return Ok(()),
            }
        }
    }

    /// One `-o` argument: options split at unescaped commas, `\` escaping
    /// the next character and `\ooo` (first digit 0-3) an octal byte.
    fn process_option_group(&mut self, group: &[u8]) -> Result<(), OptError> {
        let mut piece = Vec::new();
        let mut i = 0;
        loop {
            let end = i >= group.len();
            if end || group[i] == b',' {
                // An escaped NUL ends the option as far as C can see.
                let opt = c_str(&piece).to_vec();
                self.process_gopt(&opt, true)?;
                piece.clear();
                if end {
                    return Ok(());
                }
            } else if group[i] == b'\\' && i + 1 < group.len() {
                i += 1;
                let oct = |k: usize, hi: u8| group.get(i + k).filter(|c| (b'0'..=hi).contains(c));
                match (oct(0, b'3'), oct(1, b'7'), oct(2, b'7')) {
                    (Some(a), Some(b), Some(c)) => {
                        piece.push(((a - b'0') << 6) | ((b - b'0') << 3) | (c - b'0'));
                        i += 2;
                    }
                    _ => piece.push(group[i]),
                }
            } else {
                piece.push(group[i]);
            }
            i += 1;
        }
    }

    fn process_one(&mut self, arg: &[u8]) -> Result<(), OptError> {
        if self.nonopt != 0 || arg.first() != Some(&b'-') {
            return self.call_proc(arg, KEY_NONOPT, false);
        }
        match arg.get(1) {
            Some(b'o') => {
                if arg.len() > 2 {
                    self.process_option_group(&arg[2..])
                } else {
                    self.next_arg(arg)?;
                    let group = c_str(&self.argv[self.argctr]).to_vec();
                    self.process_option_group(&group)
                }
            }
            Some(b'-') if arg.len() == 2 => {
                self.host.out().push(arg)?;
                self.nonopt = self.host.out().len();
                Ok(())
            }
            _ => self.process_gopt(arg, false),
        }
    }
}

/// `fuse_opt_parse` on `argv` (non-empty): fills `host.out()` (which starts
/// empty) with the arguments to keep, the kept `-o` options joined into one
/// `-o` at position 1, and applies the templates to `host`'s data.
pub fn parse<H: OptHost>(
    argv: &[Vec<u8>],
    templates: &[Template],
    host: &mut H,
) -> Result<(), OptError> {
    let mut ctx = Ctx {
        host,
        templates,
        argv,
        argctr: 1,
        opts: None,
        nonopt: 0,
    };
    if let Some(arg0) = argv.first() {
        ctx.host.out().push(c_str(arg0))?;
    }
    while ctx.argctr < argv.len() {
        let arg = c_str(&argv[ctx.argctr]);
        ctx.process_one(arg)?;
        ctx.argctr += 1;
    }
    if let Some(opts) = ctx.opts.take() {
        let out = ctx.host.out();
        out.insert(1, b"-o")?;
        out.insert(2, &opts)?;
    }
    // A "--" with nothing after it goes.
    let out = ctx.host.out();
    let n = out.len();
    if ctx.nonopt != 0 && ctx.nonopt == n && out.get(n - 1).as_deref() == Some(b"--".as_slice()) {
        out.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests;
