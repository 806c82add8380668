//! The mount-table side of root mounts (libfuse's mount_util.c): recording a
//! mount with `mount -f` and removing it with `umount` when the system keeps
//! a writable mount table or libmount's utab, resolving a mount point's path,
//! and the fuseblk check. Its messages go to `stderr`, as libfuse's do.

use super::sys::{self, eprint};
use std::ffi::{CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Command;

const PATH_MOUNTED: &CStr = c"/etc/mtab";
const UTAB: &CStr = c"/run/mount/utab";

/// Whether mounting or unmounting `mnt` should update the mount table.
pub fn needs_update(mnt: &[u8]) -> bool {
    needs_update_with(mnt, PATH_MOUNTED, UTAB)
}

fn needs_update_with(mnt: &[u8], mtab: &CStr, utab: &CStr) -> bool {
    let m = mtab.to_bytes();
    // A mount table inside the new mount is left alone.
    if m.starts_with(mnt) && m.get(mnt.len()) == Some(&b'/') {
        return false;
    }
    match sys::lstat_ok(mtab) {
        Err(libc::ENOENT) => return false,
        Err(_) => {}
        Ok(()) => {
            // Writable as root? (A setuid-root caller asks with a real uid
            // of 0 for the moment, as libfuse does.)
            let ruid = sys::getuid();
            if ruid != 0 {
                sys::set_real_uid(0);
            }
            let res = sys::access(mtab, libc::W_OK);
            if ruid != 0 {
                sys::set_real_uid(ruid);
            }
            if res == Err(libc::EROFS) {
                return false;
            }
            if sys::access(utab, libc::F_OK).is_err() {
                return false;
            }
        }
    }
    true
}

/// An argument `mount(8)`/`umount(8)` could take for an option.
fn unsafe_operand(v: &[u8]) -> bool {
    v.first() == Some(&b'-')
}

/// Runs `path` with `args`, an empty environment and the effective uid as
/// real uid; Ok if it exited with status 0.
fn run(progname: &[u8], path: &str, args: &[&[u8]]) -> Result<(), ()> {
    let _blocked = sys::SigchldBlocked::new().map_err(|e| {
        eprint(&[progname, b": sigprocmask: ", &sys::strerror(e), b"\n"]);
    })?;
    let mut cmd = Command::new(path);
    cmd.arg0(path)
        .args(args.iter().map(|a| OsStr::from_bytes(a)))
        .env_clear();
    let euid = sys::geteuid();
    if sys::getuid() != euid {
        cmd.uid(euid);
    }
    match cmd.status() {
        Ok(st) if st.into_raw() == 0 => Ok(()),
        Ok(_) => Err(()),
        Err(e) => {
            let e = sys::strerror(e.raw_os_error().unwrap_or(libc::EIO));
            eprint(&[
                progname,
                b": failed to execute ",
                path.as_bytes(),
                b": ",
                &e,
                b"\n",
            ]);
            Err(())
        }
    }
}

/// `fuse_mnt_add_mount`: records a mount in the mount table, if the system
/// keeps one we should write.
pub fn add_mount(
    progname: &[u8],
    fsname: &[u8],
    mnt: &[u8],
    fstype: &[u8],
    opts: &[u8],
) -> Result<(), ()> {
    if !needs_update(mnt) {
        return Ok(());
    }
    if [fsname, mnt, fstype, opts]
        .iter()
        .any(|v| unsafe_operand(v))
    {
        sys::log_bytes(
            crate::log::Level::Debug,
            &[
                progname,
                b": option-like mount argument, skipping mtab update\n",
            ]
            .concat(),
        );
        return Ok(());
    }
    run(
        progname,
        "/bin/mount",
        &[
            b"--no-canonicalize",
            b"-i",
            b"-f",
            b"-t",
            fstype,
            b"-o",
            opts,
            b"--",
            fsname,
            mnt,
        ],
    )
}

/// `fuse_mnt_umount`: unmounts `rel_mnt` with umount(8) when the mount table
/// needs updating, else with umount2 (lazily if asked).
pub fn umount(progname: &[u8], abs_mnt: &[u8], rel_mnt: &CStr, lazy: bool) -> Result<(), ()> {
    if !needs_update(abs_mnt) || unsafe_operand(rel_mnt.to_bytes()) {
        let flags = if lazy { libc::MNT_DETACH } else { 0 };
        return sys::umount2(rel_mnt, flags).map_err(|e| {
            eprint(&[
                progname,
                b": failed to unmount ",
                abs_mnt,
                b": ",
                &sys::strerror(e),
                b"\n",
            ]);
        });
    }
    let rel = rel_mnt.to_bytes();
    if lazy {
        run(progname, "/bin/umount", &[b"-i", b"-l", b"--", rel])
    } else {
        run(progname, "/bin/umount", &[b"-i", b"--", rel])
    }
}

/// `realpath(3)`, or the errno.
fn realpath(path: &[u8]) -> Result<Vec<u8>, i32> {
    let c = sys::c_string(path);
    // SAFETY: a NUL-terminated path; with a NULL buffer realpath allocates
    // the result, which is copied and freed here.
    unsafe {
        let r = libc::realpath(c.as_ptr(), std::ptr::null_mut());
        if r.is_null() {
            return Err(sys::errno());
        }
        let v = CStr::from_ptr(r).to_bytes().to_vec();
        libc::free(r.cast());
        Ok(v)
    }
}

/// `fuse_mnt_resolve_path`: the absolute path of mount point `orig`, with
/// its last component (the mount point itself, which may be a symlink or
/// not answering) not resolved.
pub fn resolve_path(progname: &[u8], orig: &[u8]) -> Option<Vec<u8>> {
    resolve_path_with(progname, orig, &mut realpath)
}

/// Resolves a path like `realpath(3)`, or gives the errno.
type Realpath<'a> = dyn FnMut(&[u8]) -> Result<Vec<u8>, i32> + 'a;

fn resolve_path_with(progname: &[u8], orig: &[u8], realpath: &mut Realpath) -> Option<Vec<u8>> {
    if orig.is_empty() {
        eprint(&[progname, b": invalid mountpoint '", orig, b"'\n"]);
        return None;
    }
    // Trailing slashes go (a lone "/" stays).
    let mut end = orig.len() - 1;
    while end > 0 && orig[end] == b'/' {
        end -= 1;
    }
    let trimmed = &orig[..=end];
    let (toresolv, lastcomp): (&[u8], Option<&[u8]>) = if trimmed[end] == b'/' {
        (orig, None)
    } else {
        match trimmed.iter().rposition(|&c| c == b'/') {
            None if trimmed == b"." || trimmed == b".." => (trimmed, None),
            None => (b".", Some(trimmed)),
            Some(i) => {
                let last = &trimmed[i + 1..];
                if last == b"." || last == b".." {
                    (trimmed, None)
                } else if i == 0 {
                    (b"/", Some(last))
                } else {
                    (&trimmed[..i], Some(last))
                }
            }
        }
    };
    let buf = match realpath(toresolv) {
        Ok(b) => b,
        Err(e) => {
            eprint(&[
                progname,
                b": bad mount point ",
                orig,
                b": ",
                &sys::strerror(e),
                b"\n",
            ]);
            return None;
        }
    };
    Some(match lastcomp {
        None => buf,
        Some(last) => {
            let mut d = buf;
            if d.last() != Some(&b'/') {
                d.push(b'/');
            }
            d.extend_from_slice(last);
            d
        }
    })
}

/// `fuse_mnt_check_fuseblk`: whether the kernel knows `fuseblk` (true when
/// /proc/filesystems cannot be read).
pub fn check_fuseblk() -> bool {
    match std::fs::read("/proc/filesystems") {
        Ok(s) => s.windows(8).any(|w| w == b"fuseblk\n"),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(p: &[u8]) -> Result<Vec<u8>, i32> {
        match p {
            b"." => Ok(b"/cwd".to_vec()),
            b"/" => Ok(b"/".to_vec()),
            b"/missing" => Err(libc::ENOENT),
            _ => Ok([b"/real", p].concat()),
        }
    }

    fn r(orig: &str) -> Option<String> {
        resolve_path_with(b"fuse", orig.as_bytes(), &mut fake)
            .map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn resolve_path_keeps_the_last_component() {
        assert_eq!(r("mnt").as_deref(), Some("/cwd/mnt"));
        assert_eq!(r("mnt///").as_deref(), Some("/cwd/mnt"));
        assert_eq!(r("/mnt").as_deref(), Some("/mnt"));
        assert_eq!(r("/a/b/mnt").as_deref(), Some("/real/a/b/mnt"));
        assert_eq!(r("a/b/").as_deref(), Some("/reala/b"));
        assert_eq!(r("/").as_deref(), Some("/"));
        assert_eq!(r("///").as_deref(), Some("/real///"));
        assert_eq!(r(".").as_deref(), Some("/cwd"));
        assert_eq!(r("a/..").as_deref(), Some("/reala/.."));
        assert_eq!(r("/missing/x"), None);
        assert_eq!(r(""), None);
    }

    #[test]
    fn mtab_update_rules() {
        let dir = std::env::temp_dir().join(format!("ff-mtab-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let c = |p: &std::path::Path| sys::c_string(p.as_os_str().as_bytes());
        let mtab = c(&dir.join("mtab"));
        let utab = c(&dir.join("utab"));
        // No mount table: nothing to do.
        assert!(!needs_update_with(b"/mnt", &mtab, &utab));
        std::fs::write(dir.join("mtab"), b"").unwrap();
        // A table but no utab: nothing to do either.
        assert!(!needs_update_with(b"/mnt", &mtab, &utab));
        std::fs::write(dir.join("utab"), b"").unwrap();
        assert!(needs_update_with(b"/mnt", &mtab, &utab));
        // Mounting over the table's directory leaves it alone.
        let d = dir.as_os_str().as_bytes();
        assert!(!needs_update_with(d, &mtab, &utab));
        // "/" is no prefix of the table's directory followed by "/".
        assert!(needs_update_with(b"/", &mtab, &utab));
        assert!(!needs_update_with(b"", &mtab, &utab));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn option_like_operands() {
        assert!(unsafe_operand(b"-o"));
        assert!(!unsafe_operand(b"a-b"));
        assert!(!unsafe_operand(b""));
    }
}
