//! The system calls of the mount layer, each behind a small safe wrapper,
//! and the two ways libfuse's mount code reports: `fuse_log` and plain
//! `stderr` (mount_util.c's messages).

use crate::log::Level;
use libc::{c_char, c_int, pid_t};
use std::ffi::{CStr, CString, OsString};
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStringExt;
use std::ptr;

extern "C" {
    /// `fuse_log(level, "%s", msg)` (src/capi/log.c).
    fn ferrofuse_log_str(level: c_int, msg: *const c_char);
}

/// Logs `msg` through `fuse_log`, bytes as they are (paths need not be
/// UTF-8); cut at an interior NUL as C would.
pub fn log_bytes(level: Level, msg: &[u8]) {
    let c = c_string(msg);
    // SAFETY: a valid NUL-terminated string that outlives the call; it is
    // passed to the log function as the argument of "%s".
    unsafe { ferrofuse_log_str(level as c_int, c.as_ptr()) }
}

/// `fuse_log(FUSE_LOG_ERR, ...)` from pieces of text and bytes.
pub fn log_err(parts: &[&[u8]]) {
    log_bytes(Level::Err, &parts.concat());
}

/// `fprintf(stderr, ...)` from pieces of text and bytes.
pub fn eprint(parts: &[&[u8]]) {
    let _ = std::io::stderr().write_all(&parts.concat());
}

/// A byte string as a C string, cut at an interior NUL.
pub fn c_string(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&c| c == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap_or_default()
}

pub fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// C's `strerror(e)`, the exact text libfuse prints.
pub fn strerror(e: i32) -> Vec<u8> {
    let mut buf = [0 as c_char; 256];
    // SAFETY: buf is writable for its length; the XSI strerror_r
    // NUL-terminates what it writes on success.
    let rc = unsafe { libc::strerror_r(e, buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return format!("Unknown error {e}").into_bytes();
    }
    // SAFETY: strerror_r wrote a NUL-terminated string into buf.
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_bytes().to_vec()
}

pub fn getuid() -> u32 {
    // SAFETY: no preconditions.
    unsafe { libc::getuid() }
}

pub fn getgid() -> u32 {
    // SAFETY: no preconditions.
    unsafe { libc::getgid() }
}

pub fn geteuid() -> u32 {
    // SAFETY: no preconditions.
    unsafe { libc::geteuid() }
}

/// `stat(2)`: the file's mode, or the errno.
pub fn stat_mode(path: &CStr) -> Result<u32, i32> {
    // SAFETY: an all-zero `struct stat` is a valid value to be overwritten.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a writable stat buffer.
    if unsafe { libc::stat(path.as_ptr(), &mut st) } == -1 {
        return Err(errno());
    }
    Ok(st.st_mode)
}

/// `lstat(2)` succeeded, or the errno.
pub fn lstat_ok(path: &CStr) -> Result<(), i32> {
    // SAFETY: as in stat_mode.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a writable stat buffer.
    if unsafe { libc::lstat(path.as_ptr(), &mut st) } == -1 {
        return Err(errno());
    }
    Ok(())
}

/// `access(2)`, or the errno.
pub fn access(path: &CStr, mode: c_int) -> Result<(), i32> {
    // SAFETY: a NUL-terminated path.
    if unsafe { libc::access(path.as_ptr(), mode) } == -1 {
        return Err(errno());
    }
    Ok(())
}

/// `setreuid(ruid, -1)`, its result ignored as libfuse does.
pub fn set_real_uid(ruid: u32) {
    // SAFETY: no memory is involved; -1 leaves the effective uid alone.
    unsafe { libc::setreuid(ruid, u32::MAX) };
}

/// `open(2)` giving an owned descriptor, or the errno.
pub fn open(path: &CStr, flags: c_int) -> Result<OwnedFd, i32> {
    // SAFETY: a NUL-terminated path; no mode is needed without O_CREAT.
    let fd = unsafe { libc::open(path.as_ptr(), flags) };
    if fd == -1 {
        return Err(errno());
    }
    // SAFETY: open just returned this descriptor, so nobody else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `open("/dev/null", O_RDWR)` as a raw descriptor (-1 on failure), for the
/// check that 0, 1 and 2 are open.
pub fn open_dev_null_raw() -> RawFd {
    // SAFETY: a NUL-terminated path; the caller owns the result.
    unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) }
}

/// `close(2)` of a descriptor the caller owns.
pub fn close(fd: RawFd) {
    // SAFETY: the caller gives up `fd`; nothing uses it afterwards.
    unsafe { libc::close(fd) };
}

/// Whether `fd` is an open descriptor (`fcntl(fd, F_GETFD) != -1`).
pub fn fd_is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the descriptor's flags.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

/// `mount(2)`, or the errno.
pub fn mount(
    source: &CStr,
    target: &CStr,
    fstype: &CStr,
    flags: libc::c_ulong,
    data: &CStr,
) -> Result<(), i32> {
    // SAFETY: NUL-terminated strings; the data is a NUL-terminated option
    // string, which is what the fuse file system expects.
    let r = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            flags,
            data.as_ptr().cast(),
        )
    };
    if r == -1 {
        return Err(errno());
    }
    Ok(())
}

/// `umount2(2)`, or the errno.
pub fn umount2(target: &CStr, flags: c_int) -> Result<(), i32> {
    // SAFETY: a NUL-terminated path.
    if unsafe { libc::umount2(target.as_ptr(), flags) } == -1 {
        return Err(errno());
    }
    Ok(())
}

/// `poll(fd, events = 0, timeout 0)`: whether it reports POLLERR, which a
/// FUSE device does once its connection is gone.
pub fn poll_err(fd: RawFd) -> bool {
    let mut pfd = libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd; no waiting.
    let res = unsafe { libc::poll(&mut pfd, 1, 0) };
    res == 1 && pfd.revents & libc::POLLERR != 0
}

/// A connected pair of Unix stream sockets, close-on-exec.
pub fn socketpair() -> Result<(OwnedFd, OwnedFd), i32> {
    let mut fds = [-1 as c_int; 2];
    // SAFETY: `fds` has room for the two descriptors.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if r == -1 {
        return Err(errno());
    }
    // SAFETY: socketpair just created both; we are their only owner.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// What came back on the socket from fusermount3.
#[derive(Debug)]
pub enum Received {
    /// A descriptor (close-on-exec), now ours.
    Fd(OwnedFd),
    /// End of file: fusermount3 gave up (it said why itself).
    Eof,
    /// recvmsg failed with this errno.
    Error(i32),
    /// A message without a control header.
    NoControl,
    /// A control message of another type.
    OtherType(i32),
}

/// Receives one byte and, with it, a descriptor passed with SCM_RIGHTS.
pub fn recv_fd(sock: &OwnedFd) -> Received {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    // Room for one descriptor's control message, aligned for cmsghdr.
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<c_int>() as u32) } as usize;
    let mut control = vec![0u64; space.div_ceil(8)];
    // SAFETY: an all-zero msghdr is valid (no name, no buffers yet).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = space;
    let rv = loop {
        // SAFETY: msg points to live, writable buffers of the sizes given.
        let rv = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if rv == -1 && errno() == libc::EINTR {
            continue;
        }
        break rv;
    };
    if rv == -1 {
        return Received::Error(errno());
    }
    if rv == 0 {
        return Received::Eof;
    }
    // SAFETY: msg was filled in by recvmsg; CMSG_FIRSTHDR checks the length.
    let cmsg = unsafe { libc::CMSG_FIRSTHDR(&msg) };
    if cmsg.is_null() {
        return Received::NoControl;
    }
    // SAFETY: cmsg points into `control`, which holds a whole header.
    let (ty, len) = unsafe { ((*cmsg).cmsg_type, (*cmsg).cmsg_len) };
    if ty != libc::SCM_RIGHTS {
        return Received::OtherType(ty);
    }
    // SAFETY: CMSG_LEN only computes a size.
    if len < unsafe { libc::CMSG_LEN(std::mem::size_of::<c_int>() as u32) } as usize {
        return Received::NoControl;
    }
    // SAFETY: an SCM_RIGHTS message of at least one int; the data may be
    // unaligned, hence read_unaligned.
    let fd = unsafe { ptr::read_unaligned(libc::CMSG_DATA(cmsg) as *const c_int) };
    // SAFETY: the kernel installed this descriptor for us; nobody else owns it.
    Received::Fd(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Waits for child `pid`, retrying on EINTR; its wait status, or the errno.
pub fn waitpid(pid: pid_t) -> Result<c_int, i32> {
    let mut status = 0;
    loop {
        // SAFETY: a writable status int.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == -1 && errno() == libc::EINTR {
            continue;
        }
        if r == -1 {
            return Err(errno());
        }
        return Ok(status);
    }
}

/// `waitpid(pid, WNOHANG)`: the status if the child has ended.
pub fn try_waitpid(pid: pid_t) -> Option<c_int> {
    let mut status = 0;
    // SAFETY: a writable status int.
    let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    (r == pid).then_some(status)
}

/// Blocks SIGCHLD in this thread until dropped (libfuse does so around the
/// children it waits for, so that a SIGCHLD handler cannot reap them first).
pub struct SigchldBlocked(libc::sigset_t);

impl SigchldBlocked {
    pub fn new() -> Result<Self, i32> {
        // SAFETY: sigset_t is plain data; the calls initialise it.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGCHLD);
            let r = libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
            if r != 0 {
                return Err(r);
            }
            Ok(SigchldBlocked(old))
        }
    }
}

impl Drop for SigchldBlocked {
    fn drop(&mut self) {
        // SAFETY: restores the mask saved by new().
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, ptr::null_mut()) };
    }
}

/// The environment as `NAME=value` C strings (taken through std, so it is
/// consistent with concurrent `std::env` changes).
fn environment() -> Vec<CString> {
    std::env::vars_os()
        .map(|(k, v)| {
            let mut e = k.into_vec();
            e.push(b'=');
            e.extend_from_slice(&OsString::into_vec(v));
            c_string(&e)
        })
        .collect()
}

/// posix_spawn file actions, destroyed on drop.
struct FileActions(libc::posix_spawn_file_actions_t);

impl FileActions {
    fn new() -> Self {
        // SAFETY: zeroed storage that init then sets up.
        let mut a: libc::posix_spawn_file_actions_t = unsafe { std::mem::zeroed() };
        // SAFETY: `a` is valid storage for the actions object.
        unsafe { libc::posix_spawn_file_actions_init(&mut a) };
        FileActions(a)
    }
}

impl Drop for FileActions {
    fn drop(&mut self) {
        // SAFETY: initialised in new().
        unsafe { libc::posix_spawn_file_actions_destroy(&mut self.0) };
    }
}

/// How a spawned program gets its descriptors.
#[derive(Default)]
pub struct SpawnFds {
    /// Standard output and error go to /dev/null.
    pub quiet: bool,
    /// Closed in the child.
    pub close: Option<RawFd>,
    /// Inherited by the child although close-on-exec here.
    pub inherit: Option<RawFd>,
}

/// `posix_spawn` of `path` (or, with `search`, `posix_spawnp` of it, looked
/// up in PATH) with `argv` and the process environment; the child's pid or
/// the error number posix_spawn returned.
pub fn spawn(path: &CStr, search: bool, argv: &[&[u8]], fds: &SpawnFds) -> Result<pid_t, i32> {
    let args: Vec<CString> = argv.iter().map(|a| c_string(a)).collect();
    let mut argp: Vec<*mut c_char> = args.iter().map(|a| a.as_ptr().cast_mut()).collect();
    argp.push(ptr::null_mut());
    let env = environment();
    let mut envp: Vec<*mut c_char> = env.iter().map(|e| e.as_ptr().cast_mut()).collect();
    envp.push(ptr::null_mut());

    let mut actions = FileActions::new();
    let a = &mut actions.0;
    // SAFETY: valid actions object; NUL-terminated paths. (The results are
    // not checked, as libfuse does not: they fail only without memory.)
    unsafe {
        if fds.quiet {
            for fd in [libc::STDOUT_FILENO, libc::STDERR_FILENO] {
                libc::posix_spawn_file_actions_addopen(
                    a,
                    fd,
                    c"/dev/null".as_ptr(),
                    libc::O_WRONLY,
                    0,
                );
            }
        }
        if let Some(fd) = fds.close {
            libc::posix_spawn_file_actions_addclose(a, fd);
        }
        if let Some(fd) = fds.inherit {
            // dup2 onto itself clears close-on-exec in the child (glibc 2.29+).
            libc::posix_spawn_file_actions_adddup2(a, fd, fd);
        }
    }
    let mut pid: pid_t = 0;
    // SAFETY: NULL-terminated arrays of NUL-terminated strings that outlive
    // the call; an initialised actions object; default attributes.
    let status = unsafe {
        if search {
            libc::posix_spawnp(
                &mut pid,
                path.as_ptr(),
                &actions.0,
                ptr::null(),
                argp.as_ptr(),
                envp.as_ptr(),
            )
        } else {
            libc::posix_spawn(
                &mut pid,
                path.as_ptr(),
                &actions.0,
                ptr::null(),
                argp.as_ptr(),
                envp.as_ptr(),
            )
        }
    };
    if status != 0 {
        return Err(status);
    }
    Ok(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strerror_is_c_text() {
        assert_eq!(strerror(libc::ENOENT), b"No such file or directory");
        assert_eq!(strerror(libc::EPERM), b"Operation not permitted");
    }

    #[test]
    fn spawned_child_inherits_only_what_it_should() {
        let (a, b) = socketpair().unwrap();
        let (ra, rb) = (a.as_raw_fd(), b.as_raw_fd());
        let script =
            format!("test -h /proc/self/fd/{ra} && test ! -h /proc/self/fd/{rb} && echo ok >&{ra}");
        let pid = spawn(
            c"/bin/sh",
            false,
            &[b"sh", b"-c", script.as_bytes()],
            &SpawnFds {
                quiet: true,
                close: Some(rb),
                inherit: Some(ra),
            },
        )
        .unwrap();
        let st = waitpid(pid).unwrap();
        assert!(
            libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0,
            "status {st:#x}"
        );
        let mut buf = [0u8; 8];
        // SAFETY: reading into a local buffer from our own socket.
        let n = unsafe { libc::read(rb, buf.as_mut_ptr().cast(), buf.len()) };
        assert_eq!(&buf[..n as usize], b"ok\n");
        // Still close-on-exec here.
        // SAFETY: reads the flags of our own descriptor.
        assert_eq!(unsafe { libc::fcntl(ra, libc::F_GETFD) }, libc::FD_CLOEXEC);
    }

    #[test]
    fn spawn_errors_are_returned() {
        let r = spawn(
            c"/nonexistent/prog",
            false,
            &[b"prog"],
            &SpawnFds::default(),
        );
        assert_eq!(r, Err(libc::ENOENT));
        let r = spawn(
            c"no-such-program-ferrofuse",
            true,
            &[b"x"],
            &SpawnFds::default(),
        );
        assert_eq!(r, Err(libc::ENOENT));
    }

    #[test]
    fn fd_passing() {
        let (a, b) = socketpair().unwrap();
        let devnull = open(c"/dev/null", libc::O_RDONLY).unwrap();
        let mut byte = 0u8;
        let mut iov = libc::iovec {
            iov_base: (&mut byte as *mut u8).cast(),
            iov_len: 1,
        };
        // SAFETY: CMSG_SPACE only computes a size.
        let space = unsafe { libc::CMSG_SPACE(4) } as usize;
        let mut control = vec![0u64; space.div_ceil(8)];
        // SAFETY: a zeroed msghdr filled in below with live buffers.
        unsafe {
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = space;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(4) as usize;
            ptr::write_unaligned(libc::CMSG_DATA(c) as *mut c_int, devnull.as_raw_fd());
            assert_eq!(libc::sendmsg(a.as_raw_fd(), &msg, 0), 1);
        }
        match recv_fd(&b) {
            Received::Fd(fd) => {
                // SAFETY: reads the flags of our own descriptor.
                let fl = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
                assert_eq!(fl, libc::FD_CLOEXEC);
            }
            other => panic!("{other:?}"),
        }
        drop(a);
        assert!(matches!(recv_fd(&b), Received::Eof));
    }
}
