//! Mounting through fusermount3, the setuid helper: the `_FUSE_COMMFD`
//! protocol (a socket whose one end fusermount3 inherits and sends the
//! /dev/fuse descriptor over), the auto-unmount helper, and unmounting.

use super::sys::{self, log_err, Received, SpawnFds};
use super::MountOpts;
use libc::pid_t;
use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};

/// The helper's name, looked up in [`FUSERMOUNT_DIR`], then in `PATH`.
pub const FUSERMOUNT_PROG: &str = "fusermount3";
/// Where the helper is installed (Debian's; libfuse's `FUSERMOUNT_DIR`).
pub const FUSERMOUNT_DIR: &str = "/usr/bin";

const COMMFD_ENV: &str = "_FUSE_COMMFD";
const COMMFD2_ENV: &str = "_FUSE_COMMFD2";

/// A fusermount3 process that unmounts the file system once our end of its
/// socket is closed (when this process exits, or earlier by [`release`])
/// and the connection is found dead.
///
/// Dropping this value leaves the socket open for the rest of the process's
/// life, as libfuse does (its number is also in `$_FUSE_COMMFD2`).
///
/// [`release`]: AutoUnmount::release
#[derive(Debug)]
pub struct AutoUnmount {
    pid: pid_t,
    socket: RawFd,
}

impl AutoUnmount {
    /// The fusermount3 process.
    pub fn pid(&self) -> pid_t {
        self.pid
    }

    /// Our end of its socket (close-on-exec).
    pub fn socket(&self) -> RawFd {
        self.socket
    }

    /// Closes our end of the socket: fusermount3 then unmounts the file
    /// system if it is still mounted with its connection gone (open fails
    /// with ENOTCONN), and exits. Returns its pid, for the caller to wait
    /// for if it wants to.
    pub fn release(self) -> pid_t {
        sys::close(self.socket);
        self.pid
    }

    /// Reaps the process if it has ended (it ends early when it could not
    /// set itself up); its wait status then.
    pub fn try_reap(&self) -> Option<i32> {
        sys::try_waitpid(self.pid)
    }
}

/// Starts fusermount3 with `argv` (installed one first, then from `PATH`),
/// logging libfuse's message if neither starts; the error number else.
fn spawn(argv: &[&[u8]], fds: &SpawnFds) -> Result<pid_t, i32> {
    let full = CString::new(format!("{FUSERMOUNT_DIR}/{FUSERMOUNT_PROG}")).unwrap_or_default();
    let name = CString::new(FUSERMOUNT_PROG).unwrap_or_default();
    let res = sys::spawn(&full, false, argv, fds).or_else(|_| sys::spawn(&name, true, argv, fds));
    if let Err(status) = res {
        log_err(&[
            b"Failed to call '",
            FUSERMOUNT_PROG.as_bytes(),
            b"': ",
            &sys::strerror(status),
            b"\n",
        ]);
    }
    res
}

/// Tells fusermount3 (and, as libfuse does, the rest of the process) which
/// descriptors the socket has.
fn set_commfd_env(child: &OwnedFd, ours: &OwnedFd) {
    std::env::set_var(COMMFD_ENV, child.as_raw_fd().to_string());
    std::env::set_var(COMMFD2_ENV, ours.as_raw_fd().to_string());
}

/// Receives the descriptor, logging libfuse's messages for what is not one.
fn receive_fd(sock: &OwnedFd) -> Option<OwnedFd> {
    match sys::recv_fd(sock) {
        Received::Fd(fd) => Some(fd),
        Received::Eof => None,
        Received::Error(e) => {
            // (libfuse logs this one without a newline.)
            log_err(&[b"recvmsg failed: ", &sys::strerror(e)]);
            None
        }
        Received::NoControl => {
            log_err(&[b"error retrieving control message header\n"]);
            None
        }
        Received::OtherType(t) => {
            log_err(&[
                b"got control message of unknown type ",
                t.to_string().as_bytes(),
                b"\n",
            ]);
            None
        }
    }
}

/// `fusermount3 -o <opts> -- <mountpoint>`: the mounted /dev/fuse descriptor
/// (close-on-exec), and with `auto_unmount` the still running fusermount3.
/// With `quiet` its output goes to /dev/null. Failures are fusermount3's to
/// explain (on stderr) except the ones logged here.
pub fn mount(
    mountpoint: &CStr,
    mo: &MountOpts,
    opts: &[u8],
    quiet: bool,
) -> Result<(OwnedFd, Option<AutoUnmount>), ()> {
    let (child, ours) = sys::socketpair().map_err(|e| {
        log_err(&[
            b"Running ",
            FUSERMOUNT_PROG.as_bytes(),
            b": socketpair() failed: ",
            &sys::strerror(e),
            b"\n",
        ]);
    })?;
    set_commfd_env(&child, &ours);
    let argv: [&[u8]; 5] = [
        FUSERMOUNT_PROG.as_bytes(),
        b"-o",
        opts,
        b"--",
        mountpoint.to_bytes(),
    ];
    let fds = SpawnFds {
        quiet,
        close: Some(ours.as_raw_fd()),
        inherit: Some(child.as_raw_fd()),
    };
    let pid = spawn(&argv, &fds).map_err(|status| {
        // (libfuse logs this one without a newline.)
        log_err(&[
            b"posix_spawn(p)() for ",
            FUSERMOUNT_PROG.as_bytes(),
            b" failed: ",
            &sys::strerror(status),
        ]);
    })?;
    drop(child);
    let fd = receive_fd(&ours);
    match fd {
        Some(fd) if mo.auto_unmount => {
            // fusermount3 stays until `ours` is closed.
            let socket = ours.into_raw_fd();
            Ok((fd, Some(AutoUnmount { pid, socket })))
        }
        fd => {
            drop(ours);
            let _ = sys::waitpid(pid);
            fd.map(|fd| (fd, None)).ok_or(())
        }
    }
}

/// `fusermount3 --auto-unmount -- <mountpoint>` for a mount made by root:
/// the process that unmounts it when our end of the socket closes. It is
/// not waited for (a fusermount3 older than 3.16 rejects the option and
/// exits at once; the mount then simply has no auto-unmount, as with
/// libfuse).
pub fn setup_auto_unmount(mountpoint: &CStr) -> Result<AutoUnmount, ()> {
    let (child, ours) = sys::socketpair().map_err(|e| {
        log_err(&[
            b"Setting up auto-unmount socketpair() failed: ",
            &sys::strerror(e),
            b"\n",
        ]);
    })?;
    set_commfd_env(&child, &ours);
    let argv: [&[u8]; 4] = [
        FUSERMOUNT_PROG.as_bytes(),
        b"--auto-unmount",
        b"--",
        mountpoint.to_bytes(),
    ];
    let fds = SpawnFds {
        quiet: false,
        close: Some(ours.as_raw_fd()),
        inherit: Some(child.as_raw_fd()),
    };
    let pid = spawn(&argv, &fds).map_err(|status| {
        log_err(&[
            b"fuse: Setting up auto-unmount failed (spawn): ",
            &sys::strerror(status),
        ]);
    })?;
    drop(child);
    Ok(AutoUnmount {
        pid,
        socket: ours.into_raw_fd(),
    })
}

/// `fusermount3 --unmount --quiet --lazy -- <mountpoint>`, waited for.
pub fn unmount(mountpoint: &CStr) {
    let argv: [&[u8]; 6] = [
        FUSERMOUNT_PROG.as_bytes(),
        b"--unmount",
        b"--quiet",
        b"--lazy",
        b"--",
        mountpoint.to_bytes(),
    ];
    match spawn(&argv, &SpawnFds::default()) {
        Ok(pid) => {
            let _ = sys::waitpid(pid);
        }
        Err(status) => log_err(&[
            b"Spawning ",
            FUSERMOUNT_PROG.as_bytes(),
            b" to unmount failed: ",
            &sys::strerror(status),
        ]),
    }
}
