//! Command line, version, daemonize and signal helpers (libfuse's helper.c,
//! fuse_signals.c and the version/help functions of fuse_lowlevel.c).
//!
//! Texts go to C's `stdout` through `printf`, as libfuse prints them, so they
//! interleave with the program's own output exactly as libfuse's do.

use super::opt::{
    add_arg, c_strdup, c_string, fuse_log, log_opt_error, parse_args_with, strerror, FUSE_LOG_ERR,
};
use super::types::{fuse_args, fuse_cmdline_opts, fuse_session};
use crate::opt::cmdline::{self, CmdlineOpts};
use libc::{c_char, c_int, c_void};
use std::ffi::CStr;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

// Older versions of a name alias the function that implements them.
core::arch::global_asm!(
    ".symver fuse_parse_cmdline_30, fuse_parse_cmdline@FUSE_3.0",
    ".symver fuse_parse_cmdline_312, fuse_parse_cmdline@@FUSE_3.12",
);

// fusermount3's location, as the mount layer looks for it.
use crate::mount::{FUSERMOUNT_DIR, FUSERMOUNT_PROG};

/// `printf("%s", text)` on C's stdout.
fn print(text: &str) {
    let t = c_string(text.as_bytes());
    // SAFETY: a "%s" format with one NUL-terminated argument.
    unsafe { libc::printf(c"%s".as_ptr(), t.as_ptr()) };
}

/// Print available options for `fuse_parse_cmdline()`.
#[no_mangle]
pub extern "C" fn fuse_cmdline_help() {
    crate::ffi_guard!("fuse_cmdline_help", (), print(cmdline::CMDLINE_HELP))
}

/// Print low-level version information (and fusermount3's).
#[no_mangle]
pub extern "C" fn fuse_lowlevel_help() {
    crate::ffi_guard!("fuse_lowlevel_help", (), print(cmdline::LOWLEVEL_HELP))
}

/// Print the FUSE kernel interface version, then run `fusermount3 --version`.
#[no_mangle]
pub extern "C" fn fuse_lowlevel_version() {
    crate::ffi_guard!("fuse_lowlevel_version", (), {
        print(&cmdline::lowlevel_version_line());
        fusermount_version();
    })
}

extern "C" {
    static environ: *const *mut c_char;
}

/// Runs `fusermount3 --version` (installed one first, then from `PATH`) and
/// waits for it, logging libfuse's messages if it cannot be started.
fn fusermount_version() {
    let prog = c_string(FUSERMOUNT_PROG.as_bytes());
    let full = c_string(format!("{FUSERMOUNT_DIR}/{FUSERMOUNT_PROG}").as_bytes());
    let argv: [*mut c_char; 3] = [
        prog.as_ptr().cast_mut(),
        c"--version".as_ptr().cast_mut(),
        ptr::null_mut(),
    ];
    let mut pid: libc::pid_t = 0;
    // SAFETY: valid NUL-terminated path and argv (NULL-terminated), the
    // process environment, no file actions or attributes.
    let mut status = unsafe {
        libc::posix_spawn(
            &mut pid,
            full.as_ptr(),
            ptr::null(),
            ptr::null(),
            argv.as_ptr(),
            environ,
        )
    };
    if status != 0 {
        // SAFETY: as above, searching PATH.
        status = unsafe {
            libc::posix_spawnp(
                &mut pid,
                prog.as_ptr(),
                ptr::null(),
                ptr::null(),
                argv.as_ptr(),
                environ,
            )
        };
    }
    if status != 0 {
        let msg = strerror(status);
        // SAFETY: libfuse's formats with matching NUL-terminated arguments.
        unsafe {
            fuse_log(
                FUSE_LOG_ERR,
                c"Failed to call '%s': %s\n".as_ptr(),
                prog.as_ptr(),
                msg.as_ptr(),
            );
            // (3.18 logs this one without a newline.)
            fuse_log(
                FUSE_LOG_ERR,
                c"Running '%s --version' failed".as_ptr(),
                prog.as_ptr(),
            );
        }
        return;
    }
    // SAFETY: waiting for the child just spawned.
    unsafe { libc::waitpid(pid, ptr::null_mut(), 0) };
}

static PKG_VERSION: &CStr = c"3.18.3";

/// The libfuse version as a string, "3.18.3".
#[no_mangle]
pub extern "C" fn fuse_pkgversion() -> *const c_char {
    crate::ffi_guard!(
        "fuse_pkgversion",
        PKG_VERSION.as_ptr(),
        PKG_VERSION.as_ptr()
    )
}

/// The libfuse version number, 318.
#[no_mangle]
pub extern "C" fn fuse_version() -> c_int {
    crate::ffi_guard!("fuse_version", cmdline::FUSE_VERSION, cmdline::FUSE_VERSION)
}

/// `realpath(3)` into a `PATH_MAX` buffer, as libfuse calls it.
fn c_realpath(path: &[u8]) -> Result<Vec<u8>, i32> {
    let p = c_string(path);
    let mut buf = vec![0 as c_char; libc::PATH_MAX as usize];
    // SAFETY: a NUL-terminated path and a PATH_MAX buffer.
    let r = unsafe { libc::realpath(p.as_ptr(), buf.as_mut_ptr()) };
    if r.is_null() {
        return Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL));
    }
    // SAFETY: realpath wrote a NUL-terminated path into buf.
    Ok(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_bytes().to_vec())
}

/// `fuse_parse_cmdline`: parses `args` in place into `opts`; `full` writes
/// all of `struct fuse_cmdline_opts` (3.12+) whatever the outcome, else only
/// its first 40 bytes and only on success (the 3.0 symbol's struct).
///
/// # Safety
/// `args` a valid `fuse_args`, `opts` a writable `fuse_cmdline_opts` (40
/// bytes of it when not `full`).
unsafe fn parse_cmdline(args: *mut fuse_args, opts: *mut fuse_cmdline_opts, full: bool) -> c_int {
    if args.is_null() || opts.is_null() {
        return -1;
    }
    let mut o = CmdlineOpts::default();
    // SAFETY: args is valid.
    let mut rc = unsafe {
        parse_args_with(args, |argv, out| {
            cmdline::parse_into(argv, out, &mut o, &mut c_realpath)
        })
    };
    if rc == 0 && o.nodefault_subtype == 0 {
        // SAFETY: args is valid; argv[0] is read only if there is one.
        let progname = unsafe {
            let a = &*args;
            (!a.argv.is_null() && a.argc > 0 && !(*a.argv).is_null())
                .then(|| CStr::from_ptr(*a.argv).to_bytes().to_vec())
        };
        match progname {
            Some(p) => {
                // SAFETY: after parsing, args holds a vector of ours (or the
                // caller's, which libfuse would assert on as well).
                if let Err(e) = unsafe { add_arg(args, &cmdline::default_subtype_arg(&p)) } {
                    log_opt_error(&e);
                    rc = -1;
                }
            }
            None => {
                // libfuse dereferences the missing argv[0] here.
                // SAFETY: a constant message through the logger.
                unsafe { fuse_log(FUSE_LOG_ERR, c"fuse: missing program name\n".as_ptr()) };
                rc = -1;
            }
        }
    }
    if full || rc == 0 {
        // libfuse zeroes the whole struct first, padding included, and
        // fills it in place; build the same bytes, field by field.
        let mut image = [0u8; std::mem::size_of::<fuse_cmdline_opts>()];
        let mountpoint = o.mountpoint.as_deref().map_or(ptr::null_mut(), c_strdup);
        macro_rules! put {
            ($field:ident, $value:expr) => {{
                let at = std::mem::offset_of!(fuse_cmdline_opts, $field);
                let v = $value;
                let bytes = v.to_ne_bytes();
                image[at..at + bytes.len()].copy_from_slice(&bytes);
            }};
        }
        put!(singlethread, o.singlethread);
        put!(foreground, o.foreground);
        put!(debug, o.debug);
        put!(nodefault_subtype, o.nodefault_subtype);
        put!(mountpoint, mountpoint as usize);
        put!(show_version, o.show_version);
        put!(show_help, o.show_help);
        put!(clone_fd, o.clone_fd);
        put!(max_idle_threads, o.max_idle_threads);
        put!(max_threads, o.max_threads);
        // The 3.0 struct ends after max_idle_threads (40 bytes).
        let len = if full {
            image.len()
        } else {
            std::mem::offset_of!(fuse_cmdline_opts, max_threads)
        };
        // SAFETY: opts is writable for `len` bytes (the caller's struct
        // version), as libfuse's memcpy of the same length assumes.
        unsafe { ptr::copy_nonoverlapping(image.as_ptr(), opts.cast::<u8>(), len) };
    }
    rc
}

/// `fuse_parse_cmdline@@FUSE_3.12`: fills all 48 bytes of the 3.12+ struct.
///
/// # Safety
/// See `fuse_parse_cmdline` in fuse_lowlevel.h.
#[no_mangle]
pub unsafe extern "C" fn fuse_parse_cmdline_312(
    args: *mut fuse_args,
    opts: *mut fuse_cmdline_opts,
) -> c_int {
    // SAFETY: per the C contract.
    crate::ffi_guard!("fuse_parse_cmdline", -1, unsafe {
        parse_cmdline(args, opts, true)
    })
}

/// `fuse_parse_cmdline@FUSE_3.0`: fills the first 40 bytes (the struct
/// before `max_threads` existed), and only on success.
///
/// # Safety
/// See `fuse_parse_cmdline` in fuse_lowlevel.h.
#[no_mangle]
pub unsafe extern "C" fn fuse_parse_cmdline_30(
    args: *mut fuse_args,
    opts: *mut fuse_cmdline_opts,
) -> c_int {
    // SAFETY: per the C contract.
    crate::ffi_guard!("fuse_parse_cmdline", -1, unsafe {
        parse_cmdline(args, opts, false)
    })
}

/// Detach from the terminal unless `foreground`: fork (the parent exits once
/// the child is set up), `setsid`, `chdir("/")`, stdio to /dev/null. In the
/// foreground only `chdir("/")`.
#[no_mangle]
pub extern "C" fn fuse_daemonize(foreground: c_int) -> c_int {
    crate::ffi_guard!("fuse_daemonize", -1, daemonize(foreground != 0))
}

fn daemonize(foreground: bool) -> c_int {
    // SAFETY: plain system calls on descriptors this function owns; the
    // parent leaves with _exit, as libfuse's does, without running the
    // program's exit handlers.
    unsafe {
        if foreground {
            libc::chdir(c"/".as_ptr());
            return 0;
        }
        let mut waiter = [0 as c_int; 2];
        // Close-on-exec: another thread exec'ing meanwhile must not carry
        // the pipe off (nothing here execs; the fds are closed below).
        if libc::pipe2(waiter.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            libc::perror(c"fuse_daemonize: pipe".as_ptr());
            return -1;
        }
        match libc::fork() {
            -1 => {
                libc::perror(c"fuse_daemonize: fork".as_ptr());
                libc::close(waiter[0]);
                libc::close(waiter[1]);
                return -1;
            }
            0 => {
                libc::close(waiter[0]);
            }
            _ => {
                let mut completed = 0u8;
                libc::read(waiter[0], (&mut completed as *mut u8).cast::<c_void>(), 1);
                libc::close(waiter[0]);
                libc::close(waiter[1]);
                libc::_exit(0);
            }
        }
        if libc::setsid() == -1 {
            libc::perror(c"fuse_daemonize: setsid".as_ptr());
            libc::close(waiter[1]);
            return -1;
        }
        libc::chdir(c"/".as_ptr());
        // dup2 gives 0, 1 and 2 without FD_CLOEXEC; the original is closed.
        let nullfd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC, 0);
        if nullfd != -1 {
            libc::dup2(nullfd, 0);
            libc::dup2(nullfd, 1);
            libc::dup2(nullfd, 2);
            if nullfd > 2 {
                libc::close(nullfd);
            }
        }
        let completed = 1u8;
        libc::write(waiter[1], (&completed as *const u8).cast::<c_void>(), 1);
        libc::close(waiter[1]);
    }
    0
}

// ---- signals -----------------------------------------------------------

/// Signals that end the session loop.
const TEARDOWN_SIGS: [c_int; 3] = [libc::SIGHUP, libc::SIGINT, libc::SIGTERM];
/// Signals ignored while the session runs.
const IGNORE_SIGS: [c_int; 1] = [libc::SIGPIPE];
/// Signals that print a backtrace and abort (3.18's fail handlers).
const FAIL_SIGS: [c_int; 6] = [
    libc::SIGILL,
    libc::SIGTRAP,
    libc::SIGABRT,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGSEGV,
];

/// The session the handlers act on (the last one installed).
static INSTANCE: AtomicPtr<fuse_session> = AtomicPtr::new(ptr::null_mut());

extern "C" fn exit_handler(sig: c_int) {
    let se = INSTANCE.load(Ordering::SeqCst);
    if se.is_null() {
        // SAFETY: a constant message (libfuse logs it from its handler too).
        unsafe { fuse_log(FUSE_LOG_ERR, c"fuse_instance is NULL\n".as_ptr()) };
        return;
    }
    // Ends the session loop and records the signal (libfuse's
    // fuse_session_exit and se->error = sig). libfuse 3.18 also logs
    // "exit_handler called with sig %d" for sessions with debug on; that is
    // the session's to do once sessions exist.
    // SAFETY: the handlers are installed for a live session and removed
    // before it is destroyed (fuse_remove_signal_handlers).
    unsafe { crate::session::exit_from_signal(se, sig) };
}

extern "C" fn do_nothing(_sig: c_int) {}

/// Frames printed by the fail handler.
const BT_FRAMES: usize = 256;

extern "C" {
    fn backtrace(buffer: *mut *mut c_void, size: c_int) -> c_int;
    fn backtrace_symbols(buffer: *const *mut c_void, size: c_int) -> *mut *mut c_char;
}

/// Logs the current stack, one frame a line, as libfuse's dump_stack.
fn dump_stack() {
    let mut frames = [ptr::null_mut::<c_void>(); BT_FRAMES];
    // SAFETY: the buffer holds BT_FRAMES entries; backtrace_symbols returns
    // a malloc'ed array of nptrs strings (or NULL), freed here as one block.
    unsafe {
        let nptrs = backtrace(frames.as_mut_ptr(), BT_FRAMES as c_int);
        let strings = backtrace_symbols(frames.as_ptr(), nptrs);
        if strings.is_null() {
            let msg = strerror(*libc::__errno_location());
            fuse_log(
                FUSE_LOG_ERR,
                c"Failed to get backtrace symbols: %s\n".as_ptr(),
                msg.as_ptr(),
            );
            return;
        }
        for i in 0..nptrs.max(0) as usize {
            fuse_log(FUSE_LOG_ERR, c"%s\n".as_ptr(), *strings.add(i));
        }
        libc::free(strings.cast());
    }
}

extern "C" fn exit_backtrace(sig: c_int) {
    let se = INSTANCE.load(Ordering::SeqCst);
    if se.is_null() {
        return;
    }
    // SAFETY: the handlers are installed for a live session and removed
    // before it is destroyed (fuse_remove_signal_handlers).
    unsafe { crate::session::exit_from_signal(se, sig) };
    remove_signal_handlers(se);
    // SAFETY: libfuse's format with an int argument.
    unsafe { fuse_log(FUSE_LOG_ERR, c"Got signal: %d\n".as_ptr(), sig) };
    dump_stack();
    // SAFETY: abort never returns; the fail handlers are gone, so this dies.
    unsafe { libc::abort() };
}

/// Installs `handler` for `sig` if its disposition is the default, or, when
/// `remove`, restores the default if the disposition is `handler`.
fn set_one_signal_handler(sig: c_int, handler: extern "C" fn(c_int), remove: bool) -> c_int {
    // SAFETY: sigaction structs are plain data; the calls only read/write them.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = if remove {
            libc::SIG_DFL
        } else {
            handler as libc::sighandler_t
        };
        libc::sigemptyset(&mut sa.sa_mask);
        sa.sa_flags = 0;
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(sig, ptr::null(), &mut old) == -1 {
            libc::perror(c"fuse: cannot get old signal handler".as_ptr());
            return -1;
        }
        let expected = if remove {
            handler as libc::sighandler_t
        } else {
            libc::SIG_DFL
        };
        if old.sa_sigaction == expected && libc::sigaction(sig, &sa, ptr::null_mut()) == -1 {
            libc::perror(c"fuse: cannot set signal handler".as_ptr());
            return -1;
        }
    }
    0
}

fn install(signals: &[c_int], handler: extern "C" fn(c_int)) -> c_int {
    for &sig in signals {
        if set_one_signal_handler(sig, handler, false) == -1 {
            // SAFETY: libfuse's format with an int argument.
            unsafe {
                fuse_log(
                    FUSE_LOG_ERR,
                    c"Failed to install signal handler for sig %d\n".as_ptr(),
                    sig,
                )
            };
            return -1;
        }
    }
    0
}

/// Exit the session on HUP, INT and TERM; ignore PIPE. Only signals at
/// their default disposition are taken over.
#[no_mangle]
pub extern "C" fn fuse_set_signal_handlers(se: *mut fuse_session) -> c_int {
    crate::ffi_guard!("fuse_set_signal_handlers", -1, {
        if install(&TEARDOWN_SIGS, exit_handler) < 0 || install(&IGNORE_SIGS, do_nothing) < 0 {
            return -1;
        }
        // Set even if already set: with several sessions the last one wins.
        INSTANCE.store(se, Ordering::SeqCst);
        0
    })
}

/// Print a backtrace and abort on ILL, TRAP, ABRT, BUS, FPE and SEGV (only
/// signals at their default disposition are taken over).
#[no_mangle]
pub extern "C" fn fuse_set_fail_signal_handlers(se: *mut fuse_session) -> c_int {
    crate::ffi_guard!("fuse_set_fail_signal_handlers", -1, {
        if install(&FAIL_SIGS, exit_backtrace) < 0 {
            return -1;
        }
        INSTANCE.store(se, Ordering::SeqCst);
        0
    })
}

fn remove_signal_handlers(se: *mut fuse_session) {
    if INSTANCE.load(Ordering::SeqCst) != se {
        // SAFETY: a constant message.
        unsafe {
            fuse_log(
                FUSE_LOG_ERR,
                c"fuse: fuse_remove_signal_handlers: unknown session\n".as_ptr(),
            )
        };
    } else {
        INSTANCE.store(ptr::null_mut(), Ordering::SeqCst);
    }
    for &sig in &TEARDOWN_SIGS {
        set_one_signal_handler(sig, exit_handler, true);
    }
    for &sig in &IGNORE_SIGS {
        set_one_signal_handler(sig, do_nothing, true);
    }
    for &sig in &FAIL_SIGS {
        set_one_signal_handler(sig, exit_backtrace, true);
    }
}

/// Restore the default disposition of the signals these handlers took over.
#[no_mangle]
pub extern "C" fn fuse_remove_signal_handlers(se: *mut fuse_session) {
    crate::ffi_guard!(
        "fuse_remove_signal_handlers",
        (),
        remove_signal_handlers(se)
    )
}
