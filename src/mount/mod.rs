//! Mounting and unmounting, as libfuse 3.18.3 does it (its mount.c,
//! mount_util.c, and the mount parts of fuse_lowlevel.c and helper.c).
//!
//! * [`parse_mount_opts`] takes the mount options out of a session's
//!   arguments ([`MountOpts`]); the session reports what is left.
//! * [`mount`] is `fuse_session_mount`'s work: a `/dev/fd/N` mount point is
//!   a descriptor someone else mounted; anything else goes to [`kern_mount`].
//! * [`kern_mount`]: mount(2) with /dev/fuse; where that is not permitted
//!   (EPERM: not root), `fusermount3` does it and sends the descriptor back.
//!   `auto_unmount` keeps a fusermount3 process around ([`AutoUnmount`]).
//! * [`unmount`] is `fuse_kern_unmount`; [`open_channel`] is
//!   `fuse_open_channel` (for mount.fuse3).
//!
//! Messages are libfuse's, word for word, through `fuse_log` (and, for the
//! mount-table helpers, on stderr as libfuse prints them).

mod fusermount;
mod mtab;
pub mod opts;
mod sys;

pub use fusermount::{AutoUnmount, FUSERMOUNT_DIR, FUSERMOUNT_PROG};
pub use opts::{parse_mount_opts, MountOpts};

use std::ffi::CStr;
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};
use sys::log_err;

/// A mounted connection.
#[derive(Debug)]
pub struct Mounted {
    /// The /dev/fuse descriptor (close-on-exec, except a `/dev/fd/N` one,
    /// which is used as it is). The caller owns it; [`unmount`] closes it.
    pub fd: RawFd,
    /// With `auto_unmount`: the fusermount3 process that unmounts the file
    /// system when this process ends.
    pub auto_unmount: Option<AutoUnmount>,
}

/// `fuse_session_mount`'s work after its argument checks: makes sure
/// descriptors 0, 1 and 2 are open, then takes `/dev/fd/N` as an already
/// mounted descriptor N (which must be open: "fuse: Invalid file descriptor
/// /dev/fd/N"), or mounts with [`kern_mount`]. `Err(-1)` after logging why.
///
/// The session keeps the mount point as given and the descriptor, for
/// [`unmount`].
pub fn mount(mountpoint: &CStr, opts: &MountOpts) -> Result<Mounted, i32> {
    // With 0, 1 or 2 closed, the device or a message could land on them.
    loop {
        let fd = sys::open_dev_null_raw();
        if fd > 2 {
            sys::close(fd);
        }
        if !(0..=2).contains(&fd) {
            break;
        }
    }
    let fd = crate::opt::cmdline::parse_fuse_fd(mountpoint.to_bytes());
    if fd != -1 {
        if !sys::fd_is_open(fd) {
            log_err(&[
                b"fuse: Invalid file descriptor /dev/fd/",
                (fd as u32).to_string().as_bytes(),
                b"\n",
            ]);
            return Err(-1);
        }
        return Ok(Mounted {
            fd,
            auto_unmount: None,
        });
    }
    kern_mount(mountpoint, opts)
}

/// Why [`mount_sys`] did not mount.
enum SysError {
    /// Not permitted: fusermount3 may.
    NotPermitted,
    /// Any other failure, logged.
    Failed,
}

/// mount(2) of a new connection on `mnt`. `mnt_opts` are the options for
/// the mount table.
fn mount_sys(mnt: &CStr, mo: &MountOpts, mnt_opts: &[u8]) -> Result<OwnedFd, SysError> {
    let devname = std::env::var_os("FUSE_KERN_DEVICE")
        .map(std::os::unix::ffi::OsStringExt::into_vec)
        .unwrap_or_else(|| b"/dev/fuse".to_vec());
    let m = mnt.to_bytes();

    let mode = sys::stat_mode(mnt).map_err(|e| {
        log_err(&[
            b"fuse: failed to access mountpoint ",
            m,
            b": ",
            &sys::strerror(e),
            b"\n",
        ]);
        SysError::Failed
    })?;

    let fd = sys::open(&sys::c_string(&devname), libc::O_RDWR | libc::O_CLOEXEC).map_err(|e| {
        if e == libc::ENODEV || e == libc::ENOENT {
            log_err(&[
                b"fuse: device ",
                &devname,
                b" not found. Kernel module not loaded?\n",
            ]);
        } else {
            log_err(&[
                b"fuse: failed to open ",
                &devname,
                b": ",
                &sys::strerror(e),
                b"\n",
            ]);
        }
        SysError::Failed
    })?;

    let data = mo.kernel_data(fd.as_raw_fd(), mode, sys::getuid(), sys::getgid());
    let data = sys::c_string(&data);
    let mut fstype = mo.fs_type();
    let mut source = mo.source(&devname);
    let try_mount = |source: &[u8], fstype: &[u8]| {
        sys::mount(
            &sys::c_string(source),
            mnt,
            &sys::c_string(fstype),
            mo.flags,
            &data,
        )
    };
    let mut res = try_mount(&source, &fstype);
    if res == Err(libc::ENODEV) && mo.subtype.is_some() {
        // Perhaps a kernel without subtypes.
        (fstype, source) = mo.fallback_type_source(&devname);
        res = try_mount(&source, &fstype);
    }
    if let Err(e) = res {
        if e == libc::EPERM {
            return Err(SysError::NotPermitted);
        }
        if mo.blkdev && e == libc::ENODEV && !mtab::check_fuseblk() {
            log_err(&[b"fuse: 'fuseblk' support missing\n"]);
        } else {
            log_err(&[b"fuse: mount failed: ", &sys::strerror(e), b"\n"]);
        }
        return Err(SysError::Failed);
    }

    if sys::geteuid() == 0 {
        let recorded = mtab::resolve_path(b"fuse", m)
            .ok_or(())
            .and_then(|newmnt| mtab::add_mount(b"fuse", &source, &newmnt, &fstype, mnt_opts));
        if recorded.is_err() {
            let _ = sys::umount2(mnt, libc::MNT_DETACH | libc::UMOUNT_NOFOLLOW);
            return Err(SysError::Failed);
        }
    }
    Ok(fd)
}

/// `fuse_kern_mount`: mounts a new connection on `mountpoint` with mount(2),
/// or through fusermount3 where mount(2) is not permitted. A subtype is
/// first offered to fusermount3 quietly, then left out. `Err(-1)` after
/// logging why (fusermount3 explains its own failures on stderr).
pub fn kern_mount(mountpoint: &CStr, mo: &MountOpts) -> Result<Mounted, i32> {
    let mnt_opts = mo.mnt_opts();
    match mount_sys(mountpoint, mo, &mnt_opts) {
        Ok(fd) => {
            if !mo.auto_unmount {
                return Ok(Mounted {
                    fd: fd.into_raw_fd(),
                    auto_unmount: None,
                });
            }
            match fusermount::setup_auto_unmount(mountpoint) {
                Ok(h) => Ok(Mounted {
                    fd: fd.into_raw_fd(),
                    auto_unmount: Some(h),
                }),
                Err(()) => {
                    let _ = sys::umount2(mountpoint, libc::MNT_DETACH | libc::UMOUNT_NOFOLLOW);
                    Err(-1)
                }
            }
        }
        Err(SysError::NotPermitted) => {
            let mut res = Err(());
            if mo.subtype.is_some() {
                let opts = mo.fusermount_opts_string(true);
                res = fusermount::mount(mountpoint, mo, &opts, true);
            }
            if res.is_err() {
                let opts = mo.fusermount_opts_string(false);
                res = fusermount::mount(mountpoint, mo, &opts, false);
            }
            res.map(|(fd, auto_unmount)| Mounted {
                fd: fd.into_raw_fd(),
                auto_unmount,
            })
            .map_err(|()| -1)
        }
        Err(SysError::Failed) => Err(-1),
    }
}

/// `fuse_kern_unmount`: closes `fd` (-1: none) and unmounts `mountpoint`
/// unless the connection is already gone (the device reports POLLERR). Root
/// unmounts lazily itself; anyone else tries umount2, then
/// `fusermount3 --unmount --quiet --lazy`. An [`AutoUnmount`] is left as
/// it is (libfuse keeps its socket open until the process ends).
pub fn unmount(mountpoint: &CStr, fd: RawFd) {
    if fd != -1 {
        let gone = sys::poll_err(fd);
        // Closed in any case: the caller expects it, and a synchronous
        // unmount with it open could wait on ourselves.
        sys::close(fd);
        if gone {
            return;
        }
    }
    if sys::geteuid() == 0 {
        let _ = mtab::umount(b"fuse", mountpoint.to_bytes(), mountpoint, true);
        return;
    }
    if sys::umount2(mountpoint, libc::MNT_DETACH | libc::UMOUNT_NOFOLLOW).is_ok() {
        return;
    }
    fusermount::unmount(mountpoint);
}

/// `fuse_open_channel`: mounts with the options of a `-o` string and
/// returns the descriptor, or -1. Options the mount layer does not know are
/// ignored; `auto_unmount`'s helper stays for the life of the process. A
/// NULL mount point fails with libfuse's "fuse: missing mountpoint
/// parameter" (after the options are parsed, as there); NULL options, which
/// would crash libfuse, count as none.
pub fn open_channel(mountpoint: Option<&CStr>, options: Option<&CStr>) -> i32 {
    let options = options.map_or(&[][..], CStr::to_bytes);
    let mut args = vec![Vec::new(), b"-o".to_vec(), options.to_vec()];
    let Ok(mo) = parse_mount_opts(&mut args) else {
        return -1;
    };
    let Some(mountpoint) = mountpoint else {
        log_err(&[b"fuse: missing mountpoint parameter\n"]);
        return -1;
    };
    match kern_mount(mountpoint, &mo) {
        Ok(m) => m.fd,
        Err(e) => e,
    }
}
