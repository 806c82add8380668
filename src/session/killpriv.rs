//! The kill-suid/sgid duty the library takes on for a filesystem by
//! negotiating FUSE_HANDLE_KILLPRIV_V2 on its behalf (in every mode, unless
//! `-o killpriv=off`; the filesystem keeps the duty when it asks for a
//! KILLPRIV flag itself).
//!
//! Why negotiate it: without it the kernel asks GETXATTR(security.capability)
//! before every write (one daemon round trip per write(), the only one of a
//! buffered write under writeback cache or passthrough). With it the
//! kernel caches "nothing to kill" per inode (SB_NOSEC) and leaves clearing
//! setuid/setgid to the server, flagging the requests where a privileged
//! writer would not clear them: WRITE (FUSE_WRITE_KILL_SUIDGID), OPEN with
//! O_TRUNC (FUSE_OPEN_KILL_SUIDGID) and SETATTR for truncate and chown
//! (FATTR_KILL_SUIDGID). FALLOCATE and COPY_FILE_RANGE carry no flag; the
//! kernel would clear the bits for a caller without CAP_FSETID, which the
//! library approximates by the caller's uid (not root).
//!
//! The duty is done as the kernel did it before: a SETATTR of the mode
//! without the bits, sent to the filesystem's setattr with the caller's
//! context (the same request the kernel used to send), decided from the
//! mode the filesystem last reported for the node. Security capabilities
//! are still removed by the kernel itself (REMOVEXATTR). Passthrough
//! writes reach no server; see passthrough::Auto::open.

use super::request::Internal;
use super::Session;
use crate::capi::types::{fuse_ctx, fuse_file_info};
use crate::kernel::FUSE_SETATTR;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// FUSE_SET_ATTR_MODE.
const SET_ATTR_MODE: i32 = 1 << 0;

/// Whether the library holds the duty, and what it decides from: the mode
/// and group the filesystem last reported for each node that is a
/// setuid or setgid regular file. Other nodes have nothing to clear, so
/// the map stays small (and empty on most filesystems).
#[derive(Default)]
pub struct Duty {
    held: AtomicBool,
    setid: Mutex<HashMap<u64, (u32, u32)>>,
    /// setid's length, so that replies need not lock it while it is empty.
    len: AtomicUsize,
}

impl Duty {
    /// At INIT, when FUSE_HANDLE_KILLPRIV_V2 goes out on the filesystem's
    /// behalf.
    pub fn start(&self) {
        self.held.store(true, Ordering::SeqCst);
    }

    pub fn held(&self) -> bool {
        self.held.load(Ordering::Relaxed)
    }

    /// Notes the mode and group the filesystem reported for `nodeid` (an
    /// entry, attr, create, statx or readdirplus reply).
    pub fn reported(&self, nodeid: u64, mode: u32, gid: u32) {
        let setid =
            mode & libc::S_IFMT == libc::S_IFREG && mode & (libc::S_ISUID | libc::S_ISGID) != 0;
        if !self.held() || nodeid == 0 || (!setid && self.len.load(Ordering::Acquire) == 0) {
            return;
        }
        let mut m = self.setid.lock();
        if setid {
            m.insert(nodeid, (mode, gid));
        } else {
            m.remove(&nodeid);
        }
        self.len.store(m.len(), Ordering::Release);
    }

    /// The kernel forgot `nodeid` (the filesystem may reuse the id).
    pub fn forget(&self, nodeid: u64) {
        if self.len.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut m = self.setid.lock();
        m.remove(&nodeid);
        self.len.store(m.len(), Ordering::Release);
    }

    fn last_report(&self, nodeid: u64) -> Option<(u32, u32)> {
        if !self.held() || self.len.load(Ordering::Acquire) == 0 {
            return None;
        }
        self.setid.lock().get(&nodeid).copied()
    }
}

/// The mode a regular file of `mode` and group `gid` gets when a writer
/// without CAP_FSETID writes, truncates or chowns it (the kernel's
/// setattr_should_drop_suidgid): setuid always; setgid with group
/// execute, or without it when the writer is not in the file's group
/// (`in_group`; setgid alone marks mandatory locking). None when nothing
/// is to clear.
pub fn killed_mode(mode: u32, gid: u32, in_group: impl FnOnce(u32) -> bool) -> Option<u32> {
    if mode & libc::S_IFMT != libc::S_IFREG {
        return None;
    }
    let mut kill = mode & libc::S_ISUID;
    if mode & libc::S_ISGID != 0 && (mode & libc::S_IXGRP != 0 || !in_group(gid)) {
        kill |= libc::S_ISGID;
    }
    (kill != 0).then_some(mode & !kill)
}

/// The mode `nodeid` must get when the caller `ctx` writes, truncates or
/// chowns it, from what the filesystem last reported (the kernel decided
/// from its cached mode the same way); None if nothing is to clear.
pub fn kill_mode(se: &Session, ctx: &fuse_ctx, nodeid: u64) -> Option<u32> {
    let (mode, gid) = se.killpriv.last_report(nodeid)?;
    killed_mode(mode, gid, |gid| {
        ctx.gid == gid || crate::capi::req::caller_groups(ctx.pid).is_some_and(|g| g.contains(&gid))
    })
}

/// Clears setuid/setgid of `nodeid` if the filesystem last reported them
/// (and the library holds the duty): 0, or -errno of the filesystem's
/// setattr, which fails the request that needed it (as the kernel's own
/// SETATTR failing failed the write). `fh` is the open file, if any.
pub fn kill_suidgid(se: &Session, ctx: fuse_ctx, nodeid: u64, fh: Option<u64>) -> i32 {
    let Some(mode) = kill_mode(se, &ctx, nodeid) else {
        return 0;
    };
    let Some(setattr) = se.ops.setattr else {
        return -libc::ENOSYS;
    };
    if se.debug() {
        crate::log_debug!(
            "   killpriv: nodeid {nodeid}: mode 0{:o} for the filesystem\n",
            mode & 0o7777
        );
    }
    // SAFETY: all-zero is a valid struct stat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    st.st_mode = mode;
    let mut fi = fuse_file_info {
        fh: fh.unwrap_or(0),
        ..Default::default()
    };
    let fip = if fh.is_some() {
        &mut fi as *mut fuse_file_info
    } else {
        std::ptr::null_mut()
    };
    let slot = Arc::new(Internal::default());
    let r = se.reqs.alloc_internal(se, FUSE_SETATTR, nodeid, ctx, &slot);
    // SAFETY: the filesystem's setattr with a request it must answer and
    // arguments that live until it has (we wait for the reply below).
    unsafe { setattr(r, nodeid, &mut st, SET_ATTR_MODE, fip) };
    let res = slot.wait();
    if res == 0 {
        // The kernel still holds the old mode: have it ask again.
        crate::capi::notify::inval_inode(se, nodeid, -1, 0);
    } else if se.debug() {
        crate::log_debug!(
            "   killpriv: nodeid {nodeid}: setattr failed: {}\n",
            crate::log::strerror(-res)
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_setid_files_are_kept_and_only_while_held() {
        let d = Duty::default();
        let suid = libc::S_IFREG | 0o4755;
        d.reported(2, suid, 20);
        assert_eq!(d.last_report(2), None, "not held yet");
        d.start();
        d.reported(2, suid, 20);
        d.reported(3, libc::S_IFDIR | 0o6777, 20);
        d.reported(4, libc::S_IFREG | 0o755, 20);
        assert_eq!(d.last_report(2), Some((suid, 20)));
        assert_eq!((d.last_report(3), d.last_report(4)), (None, None));
        assert_eq!(d.len.load(Ordering::Relaxed), 1);
        // chmod u-s reported: nothing to clear any more.
        d.reported(2, libc::S_IFREG | 0o755, 20);
        assert_eq!(d.last_report(2), None);
        d.reported(5, libc::S_IFREG | 0o2765, 30);
        d.forget(5);
        assert_eq!(d.last_report(5), None);
        assert_eq!(d.len.load(Ordering::Relaxed), 0);
    }
}
