//! The kill-suid/sgid duty the library takes on for a filesystem when
//! passthrough=auto negotiates FUSE_HANDLE_KILLPRIV_V2 on its behalf.
//!
//! Why negotiate it: without it the kernel asks GETXATTR(security.capability)
//! before every write, passthrough writes included (one daemon round trip
//! per write() of a file the daemon never sees otherwise). With it the
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
//! writes reach no server; see passthrough::Auto::start_killpriv.

use super::request::Internal;
use super::Session;
use crate::capi::types::{fuse_ctx, fuse_file_info};
use crate::kernel::FUSE_SETATTR;
use std::sync::Arc;

/// FUSE_SET_ATTR_MODE.
const SET_ATTR_MODE: i32 = 1 << 0;

/// The mode `nodeid` must get when the caller `ctx` writes, truncates or
/// chowns it, from what the filesystem last reported (the kernel decided
/// from its cached mode the same way); None if nothing is to clear.
pub fn kill_mode(se: &Session, ctx: &fuse_ctx, nodeid: u64) -> Option<u32> {
    let rep = se.passthrough.killpriv_report(nodeid)?;
    rep.killed_mode(|gid| {
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
