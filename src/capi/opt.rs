//! The `fuse_opt` API (fuse_opt.h): C argument vectors, option tables and
//! data structs around the parser in [`crate::opt`].
//!
//! Memory is C's, as in libfuse: `argv` arrays and their strings come from
//! `malloc`/`realloc` (callers free them with `free()` or
//! `fuse_opt_free_args`), `%s` values are `strdup`ed copies that replace and
//! free the previous pointer, and `fuse_opt_add_opt` `realloc`s the caller's
//! string.
//!
//! Where libfuse would crash (NULL strings, NULL data with a field to store)
//! these functions fail or skip the store instead; where libfuse asserts
//! (adding to an `argv` it does not own, inserting past the end) they abort
//! the same way, with a message on stderr.

use super::types::{fuse_args, fuse_opt, fuse_opt_proc_t};
use crate::opt::{self, ArgSink, Disposition, OptError, OptHost, Template};
use libc::{c_char, c_int, c_void};
use std::ffi::{CStr, CString};
use std::ptr;

extern "C" {
    /// libfuse's logger (src/capi/log.c): messages go through it with
    /// libfuse's own format strings, so a `fuse_set_log_func` callback sees
    /// exactly what libfuse would pass it.
    pub(crate) fn fuse_log(level: c_int, fmt: *const c_char, ...);
}

/// `FUSE_LOG_ERR`
pub(crate) const FUSE_LOG_ERR: c_int = 3;

/// `strerror(errnum)`'s text.
pub(crate) fn strerror(errnum: c_int) -> CString {
    let mut buf = [0 as c_char; 256];
    // SAFETY: buf is writable for its length; the XSI strerror_r always
    // NUL-terminates what it writes on success.
    let rc = unsafe { libc::strerror_r(errnum, buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return CString::new(format!("Unknown error {errnum}")).unwrap_or_default();
    }
    // SAFETY: strerror_r wrote a NUL-terminated string into buf.
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_owned()
}

/// A byte string as a C string, cut at an interior NUL as C would see it.
pub(crate) fn c_string(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&c| c == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap_or_default()
}

/// Logs the message libfuse logs for `e`, through `fuse_log`.
pub(crate) fn log_opt_error(e: &OptError) {
    let Some((fmt, arg)) = e.c_format() else {
        return;
    };
    let fmt = c_string(fmt.as_bytes());
    let arg = arg.map(c_string);
    // SAFETY: the format strings are libfuse's, with as many `%s` as the
    // NUL-terminated arguments passed here.
    unsafe {
        match (e, arg) {
            (OptError::BadMountPoint { errno, .. }, Some(a)) => {
                let msg = strerror(*errno);
                fuse_log(FUSE_LOG_ERR, fmt.as_ptr(), a.as_ptr(), msg.as_ptr());
            }
            (_, Some(a)) => fuse_log(FUSE_LOG_ERR, fmt.as_ptr(), a.as_ptr()),
            (_, None) => fuse_log(FUSE_LOG_ERR, fmt.as_ptr()),
        }
    }
}

/// Dies like a failed `assert()` in libfuse (which is built with them).
fn assertion_failed(func: &str, expr: &str) -> ! {
    let msg = format!("{func}: Assertion `{expr}' failed.\n");
    // SAFETY: writing a valid buffer to fd 2; abort never returns.
    unsafe {
        libc::write(2, msg.as_ptr().cast(), msg.len());
        libc::abort()
    }
}

/// A `malloc`ed, NUL-terminated copy of `bytes` (NULL if out of memory).
pub(crate) fn c_strdup(bytes: &[u8]) -> *mut c_char {
    let bytes = &bytes[..bytes.iter().position(|&c| c == 0).unwrap_or(bytes.len())];
    // SAFETY: malloc of len+1 bytes; the copy writes exactly len bytes and
    // the terminator inside that allocation.
    unsafe {
        let p = libc::malloc(bytes.len() + 1).cast::<u8>();
        if !p.is_null() {
            ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
            *p.add(bytes.len()) = 0;
        }
        p.cast()
    }
}

/// The argument strings of `args` (`argc` of them; a NULL entry ends them
/// early, where libfuse would crash). A negative `argc` counts as one, as
/// libfuse's parser only reads `argv[0]` then.
///
/// # Safety
/// `args` must be valid with `argv` non-NULL, holding `argc` entries.
unsafe fn read_argv(args: *const fuse_args) -> Vec<Vec<u8>> {
    // SAFETY: per the contract.
    let (argc, argv) = unsafe { ((*args).argc, (*args).argv) };
    let n = if argc < 0 { 1 } else { argc as usize };
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // SAFETY: i < argc entries exist.
        let p = unsafe { *argv.add(i) };
        if p.is_null() {
            break;
        }
        // SAFETY: argv entries are NUL-terminated strings.
        out.push(unsafe { CStr::from_ptr(p) }.to_bytes().to_vec());
    }
    out
}

/// An option table up to its `FUSE_OPT_END` (NULL table: no options).
///
/// # Safety
/// `opts` must be NULL or point to entries ending with a NULL `templ`, whose
/// templates outlive the returned borrows.
unsafe fn read_templates<'a>(mut opts: *const fuse_opt) -> Vec<Template<'a>> {
    let mut out = Vec::new();
    if opts.is_null() {
        return out;
    }
    loop {
        // SAFETY: per the contract, every entry up to the end marker is valid.
        let o = unsafe { &*opts };
        if o.templ.is_null() {
            return out;
        }
        // SAFETY: templ is a NUL-terminated string living as long as the table.
        let templ = unsafe { CStr::from_ptr(o.templ) }.to_bytes();
        // `unsigned long` is only 32 bits on some targets.
        #[allow(clippy::useless_conversion)]
        out.push(Template {
            templ,
            offset: u64::from(o.offset),
            value: o.value,
        });
        // SAFETY: the end marker has not been reached, so the next entry exists.
        opts = unsafe { opts.add(1) };
    }
}

/// `fuse_opt_add_arg`'s work on a C `fuse_args`.
///
/// # Safety
/// `args` must be a valid `fuse_args` whose `argv`, if not NULL, is
/// `malloc`ed with `argc + 1` entries (`allocated` set).
pub(crate) unsafe fn add_arg(args: *mut fuse_args, arg: &[u8]) -> Result<(), OptError> {
    // SAFETY: per the contract.
    let a = unsafe { &mut *args };
    if !a.argv.is_null() && a.allocated == 0 {
        assertion_failed("fuse_opt_add_arg", "!args->argv || args->allocated");
    }
    let newarg = c_strdup(arg);
    if newarg.is_null() {
        return Err(OptError::Alloc);
    }
    let count = (a.argc.max(0) as usize) + 2;
    // SAFETY: argv is NULL or a malloc'ed array (allocated), as realloc needs.
    let newargv =
        unsafe { libc::realloc(a.argv.cast(), count * std::mem::size_of::<*mut c_char>()) }
            .cast::<*mut c_char>();
    if newargv.is_null() {
        // SAFETY: newarg came from malloc and is not referenced elsewhere.
        unsafe { libc::free(newarg.cast()) };
        return Err(OptError::Alloc);
    }
    a.argv = newargv;
    a.allocated = 1;
    let i = a.argc.max(0) as usize;
    // SAFETY: the array has room for argc + 2 entries.
    unsafe {
        *newargv.add(i) = newarg;
        *newargv.add(i + 1) = ptr::null_mut();
    }
    a.argc = i as c_int + 1;
    Ok(())
}

/// `fuse_opt_insert_arg`'s work on a C `fuse_args`.
///
/// # Safety
/// As [`add_arg`].
pub(crate) unsafe fn insert_arg(
    args: *mut fuse_args,
    pos: c_int,
    arg: &[u8],
) -> Result<(), OptError> {
    // SAFETY: per the contract.
    let argc = unsafe { (*args).argc };
    if pos > argc || pos < 0 {
        // libfuse asserts the upper bound; a negative position would make it
        // move memory before the array, so it is refused the same way.
        assertion_failed("fuse_opt_insert_arg_common", "pos <= args->argc");
    }
    // SAFETY: per the contract.
    unsafe { add_arg(args, arg)? };
    // SAFETY: add_arg left argc entries, all valid pointers, in argv.
    unsafe {
        let a = &mut *args;
        let last = a.argc as usize - 1;
        let pos = pos as usize;
        if pos != last {
            let newarg = *a.argv.add(last);
            ptr::copy(a.argv.add(pos), a.argv.add(pos + 1), last - pos);
            *a.argv.add(pos) = newarg;
        }
    }
    Ok(())
}

/// `fuse_opt_free_args`'s work.
///
/// # Safety
/// `args` must be NULL or valid; when `allocated`, `argv` holds `argc`
/// `malloc`ed strings in a `malloc`ed array.
pub(crate) unsafe fn free_args(args: *mut fuse_args) {
    if args.is_null() {
        return;
    }
    // SAFETY: per the contract.
    let a = unsafe { &mut *args };
    if !a.argv.is_null() && a.allocated != 0 {
        for i in 0..a.argc.max(0) as usize {
            // SAFETY: entries below argc are malloc'ed strings (or NULL).
            unsafe { libc::free((*a.argv.add(i)).cast()) };
        }
        // SAFETY: the array itself was malloc'ed.
        unsafe { libc::free(a.argv.cast()) };
    }
    a.argc = 0;
    a.argv = ptr::null_mut();
    a.allocated = 0;
}

/// A C `fuse_args` as the parser's output vector. It holds a raw pointer
/// only, so the processing function may modify the same struct between
/// calls.
pub(crate) struct CArgs(pub *mut fuse_args);

impl ArgSink for CArgs {
    fn len(&self) -> usize {
        // SAFETY: the pointer stays valid for the whole parse.
        unsafe { (*self.0).argc.max(0) as usize }
    }

    fn get(&self, i: usize) -> Option<Vec<u8>> {
        if i >= self.len() {
            return None;
        }
        // SAFETY: i < argc, and argv holds argc valid entries.
        let p = unsafe { *(*self.0).argv.add(i) };
        if p.is_null() {
            return None;
        }
        // SAFETY: entries are NUL-terminated strings.
        Some(unsafe { CStr::from_ptr(p) }.to_bytes().to_vec())
    }

    fn push(&mut self, arg: &[u8]) -> Result<(), OptError> {
        // SAFETY: the output vector is always malloc'ed (or empty).
        unsafe { add_arg(self.0, arg) }
    }

    fn insert(&mut self, pos: usize, arg: &[u8]) -> Result<(), OptError> {
        let pos = c_int::try_from(pos).unwrap_or(c_int::MAX);
        // SAFETY: as push.
        unsafe { insert_arg(self.0, pos, arg) }
    }

    fn pop(&mut self) {
        // SAFETY: argc > 0 entries of a malloc'ed vector: free the last one
        // and shorten the array.
        unsafe {
            let a = &mut *self.0;
            if a.argc > 0 && !a.argv.is_null() {
                a.argc -= 1;
                let slot = a.argv.add(a.argc as usize);
                libc::free((*slot).cast());
                *slot = ptr::null_mut();
            }
        }
    }
}

/// The caller's data struct and processing function.
struct CHost<'a> {
    out: &'a mut CArgs,
    data: *mut c_void,
    proc_: fuse_opt_proc_t,
}

impl CHost<'_> {
    /// `data + offset`, or None without a data struct (libfuse would crash).
    fn field(&self, offset: u64) -> Option<*mut u8> {
        (!self.data.is_null()).then(|| self.data.cast::<u8>().wrapping_add(offset as usize))
    }
}

impl OptHost for CHost<'_> {
    type Out = CArgs;

    fn out(&mut self) -> &mut CArgs {
        self.out
    }

    fn process(&mut self, arg: &[u8], key: i32) -> Result<Disposition, OptError> {
        let Some(f) = self.proc_ else {
            return Ok(Disposition::Keep);
        };
        let arg = c_string(arg);
        // SAFETY: the caller's processing function, called as libfuse calls
        // it: its data, a NUL-terminated argument, the key, and the output
        // fuse_args (valid, malloc'ed) that it may modify.
        let res = unsafe { f(self.data, arg.as_ptr(), key, self.out.0) };
        Disposition::from_c(res)
    }

    fn store_int(&mut self, offset: u64, value: i32) {
        if let Some(p) = self.field(offset) {
            // SAFETY: the template says an int lives at data + offset.
            unsafe { ptr::write_unaligned(p.cast::<c_int>(), value) };
        }
    }

    fn store_string(&mut self, offset: u64, value: &[u8]) -> Result<(), OptError> {
        let Some(p) = self.field(offset) else {
            return Ok(());
        };
        let copy = c_strdup(value);
        if copy.is_null() {
            return Err(OptError::Alloc);
        }
        let slot = p.cast::<*mut c_char>();
        // SAFETY: a `%s` template names a `char *` field holding NULL or a
        // malloc'ed string, which is freed and replaced, as libfuse does.
        unsafe {
            libc::free(ptr::read_unaligned(slot).cast());
            ptr::write_unaligned(slot, copy);
        }
        Ok(())
    }

    fn scan_store(&mut self, offset: u64, param: &[u8], format: &[u8]) -> Result<bool, OptError> {
        let Some(p) = self.field(offset) else {
            // libfuse would write through offset-as-pointer; there is nothing to store into.
            return Ok(true);
        };
        let (Ok(param), Ok(format)) = (CString::new(param), CString::new(format)) else {
            return Ok(false);
        };
        // SAFETY: libfuse converts with the C library's sscanf, the template's
        // format telling what lives at data + offset; so do we.
        let n = unsafe { libc::sscanf(param.as_ptr(), format.as_ptr(), p.cast::<c_void>()) };
        Ok(n == 1)
    }
}

/// Runs a parse over the C `args`: `f` gets the input arguments and an
/// empty output vector. On success the output replaces `*args` (the old
/// vector is freed if it was allocated) and 0 is returned; on failure the
/// error is logged, `*args` is untouched and -1 returned. Empty `args`
/// (NULL, no `argv` or `argc == 0`) are left alone: 0.
///
/// # Safety
/// `args` must be NULL or a valid `fuse_args`.
pub(crate) unsafe fn parse_args_with(
    args: *mut fuse_args,
    f: impl FnOnce(&[Vec<u8>], &mut CArgs) -> Result<(), OptError>,
) -> c_int {
    // SAFETY: per the contract.
    if args.is_null() || unsafe { (*args).argv.is_null() || (*args).argc == 0 } {
        return 0;
    }
    // SAFETY: args is valid with an argv.
    let argv = unsafe { read_argv(args) };
    let mut newargs = fuse_args {
        argc: 0,
        argv: ptr::null_mut(),
        allocated: 0,
    };
    let mut out = CArgs(&mut newargs);
    let res = f(&argv, &mut out);
    match res {
        Ok(()) => {
            // SAFETY: args is valid; the old vector is freed only if it was
            // allocated. Field by field, so the caller's padding stays as it was.
            unsafe {
                let a = &mut *args;
                let mut old = fuse_args {
                    argc: a.argc,
                    argv: a.argv,
                    allocated: a.allocated,
                };
                a.argc = newargs.argc;
                a.argv = newargs.argv;
                a.allocated = newargs.allocated;
                free_args(&mut old);
            }
            0
        }
        Err(e) => {
            log_opt_error(&e);
            // SAFETY: newargs holds only what the parser allocated.
            unsafe { free_args(&mut newargs) };
            -1
        }
    }
}

/// Parse command line options.
///
/// # Safety
/// C contract of `fuse_opt_parse`: `args` valid or NULL, `opts` a table
/// ending with `FUSE_OPT_END` (or NULL), `data` large enough for every
/// offset in it.
#[no_mangle]
pub unsafe extern "C" fn fuse_opt_parse(
    args: *mut fuse_args,
    data: *mut c_void,
    opts: *const fuse_opt,
    r#proc: fuse_opt_proc_t,
) -> c_int {
    crate::ffi_guard!("fuse_opt_parse", -1, {
        // SAFETY: per the C contract.
        let templates = unsafe { read_templates(opts) };
        // SAFETY: per the C contract.
        unsafe {
            parse_args_with(args, |argv, out| {
                let mut host = CHost {
                    out,
                    data,
                    proc_: r#proc,
                };
                opt::parse(argv, &templates, &mut host)
            })
        }
    })
}

/// Add an option to a comma separated option list.
///
/// # Safety
/// `opts` must point to NULL or a `malloc`ed string; `opt` a C string.
#[no_mangle]
pub unsafe extern "C" fn fuse_opt_add_opt(opts: *mut *mut c_char, opt: *const c_char) -> c_int {
    crate::ffi_guard!("fuse_opt_add_opt", -1, {
        // SAFETY: per the C contract above.
        unsafe { add_opt_common(opts, opt, false) }
    })
}

/// Add an option, escaping commas and backslashes.
///
/// # Safety
/// As [`fuse_opt_add_opt`].
#[no_mangle]
pub unsafe extern "C" fn fuse_opt_add_opt_escaped(
    opts: *mut *mut c_char,
    opt: *const c_char,
) -> c_int {
    crate::ffi_guard!("fuse_opt_add_opt_escaped", -1, {
        // SAFETY: per the C contract above.
        unsafe { add_opt_common(opts, opt, true) }
    })
}

/// `realloc`s `*opts` to hold the list with `opt` appended.
///
/// # Safety
/// As [`fuse_opt_add_opt`].
pub(crate) unsafe fn add_opt_common(
    opts: *mut *mut c_char,
    opt: *const c_char,
    escape: bool,
) -> c_int {
    if opts.is_null() || opt.is_null() {
        return -1;
    }
    // SAFETY: opts points to NULL or a NUL-terminated malloc'ed string.
    let old = unsafe { *opts };
    let mut list = (!old.is_null())
        // SAFETY: as above.
        .then(|| unsafe { CStr::from_ptr(old) }.to_bytes().to_vec());
    // SAFETY: opt is a NUL-terminated string.
    let opt = unsafe { CStr::from_ptr(opt) }.to_bytes();
    let oldlen = list.as_ref().map_or(0, Vec::len);
    opt::add_opt(&mut list, opt, escape);
    let list = list.unwrap_or_default();
    // libfuse's size: old, comma, every character possibly escaped, NUL.
    let size = oldlen + 1 + opt.len() * 2 + 1;
    // SAFETY: old is NULL or malloc'ed, as realloc requires.
    let d = unsafe { libc::realloc(old.cast(), size) }.cast::<u8>();
    if d.is_null() {
        log_opt_error(&OptError::Alloc);
        return -1;
    }
    // SAFETY: list.len() + 1 <= size bytes were allocated.
    unsafe {
        ptr::copy_nonoverlapping(list.as_ptr(), d, list.len());
        *d.add(list.len()) = 0;
        *opts = d.cast();
    }
    0
}

/// Add an argument to a NULL terminated argument vector.
///
/// # Safety
/// `args` must be valid, its `argv` NULL or allocated by these functions;
/// `arg` a C string.
#[no_mangle]
pub unsafe extern "C" fn fuse_opt_add_arg(args: *mut fuse_args, arg: *const c_char) -> c_int {
    crate::ffi_guard!("fuse_opt_add_arg", -1, {
        if args.is_null() || arg.is_null() {
            return -1;
        }
        // SAFETY: arg is a NUL-terminated string.
        let arg = unsafe { CStr::from_ptr(arg) }.to_bytes();
        // SAFETY: per the C contract.
        match unsafe { add_arg(args, arg) } {
            Ok(()) => 0,
            Err(e) => {
                log_opt_error(&e);
                -1
            }
        }
    })
}

/// Add an argument at the specified position in a NULL terminated argument
/// vector.
///
/// # Safety
/// As [`fuse_opt_add_arg`], and `pos <= args->argc`.
#[no_mangle]
pub unsafe extern "C" fn fuse_opt_insert_arg(
    args: *mut fuse_args,
    pos: c_int,
    arg: *const c_char,
) -> c_int {
    crate::ffi_guard!("fuse_opt_insert_arg", -1, {
        if args.is_null() || arg.is_null() {
            return -1;
        }
        // SAFETY: arg is a NUL-terminated string.
        let arg = unsafe { CStr::from_ptr(arg) }.to_bytes();
        // SAFETY: per the C contract.
        match unsafe { insert_arg(args, pos, arg) } {
            Ok(()) => 0,
            Err(e) => {
                log_opt_error(&e);
                -1
            }
        }
    })
}

/// Free the contents of argument list.
///
/// # Safety
/// `args` must be NULL or valid; an allocated `argv` is freed.
#[no_mangle]
pub unsafe extern "C" fn fuse_opt_free_args(args: *mut fuse_args) {
    // SAFETY: per the C contract.
    crate::ffi_guard!("fuse_opt_free_args", (), unsafe { free_args(args) })
}

/// Check if an option matches.
///
/// # Safety
/// `opts` a table ending with `FUSE_OPT_END` (or NULL), `opt` a C string.
#[no_mangle]
pub unsafe extern "C" fn fuse_opt_match(opts: *const fuse_opt, opt: *const c_char) -> c_int {
    crate::ffi_guard!("fuse_opt_match", 0, {
        if opt.is_null() {
            return 0;
        }
        // SAFETY: per the C contract.
        let templates = unsafe { read_templates(opts) };
        // SAFETY: opt is a NUL-terminated string.
        let opt = unsafe { CStr::from_ptr(opt) }.to_bytes();
        c_int::from(opt::matches(&templates, opt))
    })
}
