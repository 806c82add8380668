//! Transparent passthrough (`passthrough=auto`) on libfuse's own
//! passthrough_ll and passthrough_hp, unmodified: reads and writes bypass
//! the daemon (its `-d` log shows no READ/WRITE), data stays right, the
//! kernel's per-node rules hold (no EIO from mixing cached and passthrough
//! opens), and without the privilege the feature switches itself off.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(30);

/// A daemon and its mount; dropping it kills the daemon and detaches the
/// mount, so a failing test leaves nothing behind.
struct Mount {
    child: Option<Child>,
    mnt: PathBuf,
    src: PathBuf,
    log: PathBuf,
}

impl Mount {
    /// Runs `bin` with `args` ("SRC" and "MNT" replaced) and `env` on
    /// ferrofuse in scratch dir `name`, whose src/ holds `files`.
    fn start(
        name: &str,
        bin: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> Mount {
        let dir = scratch(&format!("passthrough-{name}"));
        let (src, mnt) = (dir.join("src"), dir.join("mnt"));
        assert!(remove_tree_unmounted(&dir), "a mount survives in {dir:?}");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::create_dir_all(&mnt).unwrap();
        for (f, data) in files {
            std::fs::write(src.join(f), data).unwrap();
        }
        let log = dir.join("daemon.log");
        let out = std::fs::File::create(&log).unwrap();
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                a.replace("SRC", src.to_str().unwrap())
                    .replace("MNT", mnt.to_str().unwrap())
            })
            .collect();
        let mut cmd = Command::new(bin);
        cmd.args(&args)
            .env("LD_LIBRARY_PATH", lib_dir())
            .env_remove("FERROFUSE_PASSTHROUGH")
            .env_remove("FUSE_URING_ENABLE")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut m = Mount {
            child: Some(cmd.spawn().unwrap()),
            mnt,
            src,
            log,
        };
        match wait_mounted(m.child.as_mut().unwrap(), &m.mnt, LIMIT) {
            Ok(()) => {}
            Err(Some(st)) => panic!(
                "{name}: daemon exited ({st}) before mounting:
{}",
                m.log_text()
            ),
            Err(None) => panic!(
                "{name}: no mount
{}",
                m.log_text()
            ),
        }
        m
    }

    fn log_text(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// Runs a shell script (MNT and SRC replaced) with a deadline; returns
    /// its stdout, failing the test on a non-zero exit.
    fn sh(&self, script: &str) -> String {
        let script = script
            .replace("MNT", self.mnt.to_str().unwrap())
            .replace("SRC", self.src.to_str().unwrap());
        let out = Command::new("timeout")
            .args(["120", "sh", "-ec", &script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{script}\nexit {}: {}{}\ndaemon log tail:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            tail_of(&self.log, 30)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits (bounded) until the log has `n` lines containing `what`.
    fn wait_log(&self, what: &str, n: usize) {
        let deadline = Instant::now() + LIMIT;
        while self.log_text().matches(what).count() < n {
            assert!(
                Instant::now() < deadline,
                "no {n} x {what:?} in the log:\n{}",
                tail_of(&self.log, 30)
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Unmounts, waits for the daemon to exit cleanly; returns its log.
    fn finish(mut self) -> String {
        let st = Command::new("umount").arg(&self.mnt).status().unwrap();
        assert!(st.success(), "umount failed:\n{}", self.log_text());
        let mut child = self.child.take().unwrap();
        let st = wait_for(&mut child, LIMIT).expect("daemon still running after unmount");
        let log = self.log_text();
        assert!(st.success(), "daemon exit {st}:\n{log}");
        log
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
            let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
        }
    }
}

/// Requests of `opcode` the daemon received (both transports' trace lines).
fn count_op(log: &str, opcode: &str) -> usize {
    log.matches(&format!("opcode: {opcode} (")).count()
}

/// The `-d` summary's "P of N opens passed through".
fn passed(log: &str) -> (u64, u64) {
    let line = log
        .lines()
        .find(|l| l.starts_with("fuse: passthrough=auto: ") && l.contains("opens passed"))
        .unwrap_or_else(|| panic!("no passthrough summary in:\n{log}"));
    let w: Vec<&str> = line.split_whitespace().collect();
    (w[2].parse().unwrap(), w[4].parse().unwrap())
}

fn data(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2654435761).wrapping_add(seed) >> 13) as u8)
        .collect()
}

fn example(suite: Suite, name: &str) -> PathBuf {
    real_libfuse_build(suite).join("example").join(name)
}

/// Reads, writes, appends and maps files, then checks the backing files.
const WORKLOAD: &str = "\
    cmp SRC/f MNT/f
    dd if=SRC/f of=MNT/g bs=1M status=none
    cmp SRC/f SRC/g
    cmp SRC/f MNT/g
    printf tail >> MNT/g
    [ \"$(tail -c 4 SRC/g)\" = tail ]
    python3 -c 'import mmap,sys; f=open(sys.argv[1],\"rb\"); m=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ); assert m[:]==open(sys.argv[2],\"rb\").read()' MNT/g SRC/g
    truncate -s 100 MNT/g
    [ $(stat -c %s SRC/g) = 100 ]";

#[test]
fn unmodified_examples_bypass_the_daemon() {
    let f = data(8 << 20, 1);
    let hp = example(Suite::Sid, "passthrough_hp");
    let ll = example(Suite::Sid, "passthrough_ll");
    let ll314 = example(Suite::Bookworm, "passthrough_ll");
    let auto = [("FERROFUSE_PASSTHROUGH", "auto")];
    type Case<'a> = (&'a str, &'a Path, &'a [&'a str], &'a [(&'a str, &'a str)]);
    let cases: [Case; 5] = [
        ("ll", &ll, &["-d", "-o", "source=SRC", "MNT"], &auto),
        (
            "ll-dev",
            &ll,
            &["-d", "-o", "source=SRC,passthrough=auto,no_io_uring", "MNT"],
            &[],
        ),
        (
            "hp",
            &hp,
            &[
                "--debug-fuse",
                "--foreground",
                "--nopassthrough",
                "SRC",
                "MNT",
            ],
            &auto,
        ),
        ("ll-3.14", &ll314, &["-d", "-o", "source=SRC", "MNT"], &auto),
        // The control: without auto, the same workload reaches the daemon.
        ("ll-off", &ll, &["-d", "-o", "source=SRC", "MNT"], &[]),
    ];
    for (name, bin, args, env) in cases {
        let m = Mount::start(name, bin, args, env, &[("f", &f)]);
        m.sh(WORKLOAD);
        let log = m.finish();
        let io = count_op(&log, "READ") + count_op(&log, "WRITE");
        if name == "ll-off" {
            assert!(io > 0, "{name}: no READ/WRITE reached the daemon:\n{log}");
            assert!(!log.contains("passthrough=auto"), "{name}:\n{log}");
            continue;
        }
        assert_eq!(io, 0, "{name}: READ/WRITE reached the daemon:\n{log}");
        let (p, n) = passed(&log);
        assert!(
            n >= 5 && p == n,
            "{name}: {p} of {n} opens passed through:\n{log}"
        );
        // The filesystem still sees what passthrough does not cover.
        assert!(count_op(&log, "RELEASE") >= n as usize, "{name}:\n{log}");
        assert!(count_op(&log, "SETATTR") >= 1, "{name}:\n{log}");
    }
}

/// A cached open and a passthrough open of one node never overlap: the
/// kernel would fail the second with EIO.
#[test]
fn cached_and_passthrough_opens_of_a_node_never_mix() {
    let f = data(1 << 20, 2);
    let ll = example(Suite::Sid, "passthrough_ll");
    // cache=always: the kernel asks the filesystem only when told to
    // (stat --cached=never), so what it last reported is known here.
    let m = Mount::start(
        "mix",
        &ll,
        &[
            "-d",
            "-o",
            "source=SRC,cache=always,passthrough=auto",
            "MNT",
        ],
        &[],
        &[("f", &f)],
    );
    let script = r#"
import os, subprocess, sys
mnt, src, data = sys.argv[1], sys.argv[2], open(sys.argv[2] + "/f", "rb").read()
def step(msg):
    print(msg, flush=True)
    sys.stdin.readline()
def report():
    subprocess.run(["stat", "--cached=never", mnt + "/f"], check=True, capture_output=True)
report()
os.utime(src + "/f", (1, 1))          # changed behind the filesystem's back
a = open(mnt + "/f", "rb")            # 1: unproven, so cached
assert a.read() == data
report()                             # the filesystem reports the change
b = open(mnt + "/f", "rb")            # 2: proven, but 1 is cached and live
assert b.read() == data
a.close(); b.close()
step("closed 1 2")
report()
c = open(mnt + "/f", "r+b")           # 3: passthrough
os.utime(src + "/f", (2, 2))
d = open(mnt + "/f", "rb")            # 4: joins 3's backing file
assert c.read() == data and d.read() == data
c.seek(0); c.write(b"xy"); c.flush()
d.seek(0); assert d.read(2) == b"xy"
c.close(); d.close()
print("done", flush=True)
"#;
    let mut py = Command::new("timeout")
        .args(["120", "python3", "-c", script])
        .arg(&m.mnt)
        .arg(&m.src)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(py.stdout.take().unwrap());
    let mut line = String::new();
    use std::io::{BufRead, Write};
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "closed 1 2", "{}", m.log_text());
    // Both RELEASEs processed before open 3 (they are asynchronous).
    m.wait_log("opcode: RELEASE (", 2);
    py.stdin.take().unwrap().write_all(b"\n").unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    let st = py.wait().unwrap();
    assert!(
        st.success() && line.trim() == "done",
        "python: {st}\n{}",
        m.log_text()
    );
    let log = m.finish();
    let why: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("   passthrough: "))
        .map(|l| l.split_once(": ").unwrap().1.split_once(": ").unwrap().1)
        .collect();
    assert!(why.len() == 4, "{why:?}\n{log}");
    assert!(why[0].contains("size or mtime differ"), "{why:?}");
    assert!(
        why[1].contains("a cached open of the node is live"),
        "{why:?}"
    );
    assert!(why[2].starts_with("backing id"), "{why:?}");
    assert_eq!(why[3], why[2], "open 4 must share open 3's backing id");
}

/// Several processes opening one file at once, and fio's verification
/// jobs with three I/O engines: no corruption, no EIO.
#[test]
fn concurrent_opens_and_fio_verify() {
    let f = data(4 << 20, 3);
    let ll = example(Suite::Sid, "passthrough_ll");
    let m = Mount::start(
        "verify",
        &ll,
        &["-d", "-o", "source=SRC,passthrough=auto", "MNT"],
        &[],
        &[("f", &f)],
    );
    // Readers and a writer that rewrites identical bytes, 8 processes.
    m.sh(r#"python3 - MNT/f <<'EOF'
import hashlib, multiprocessing, sys
path = sys.argv[1]
want = hashlib.sha256(open(path, "rb").read()).hexdigest()
def reader(_):
    for _ in range(25):
        with open(path, "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == want
def writer(_):
    data = open(path, "rb").read()
    for i in range(25):
        with open(path, "r+b") as f:
            f.seek((i * 65536) % len(data)); f.write(data[(i * 65536) % len(data):][:65536])
with multiprocessing.Pool(8) as p:
    r = p.map_async(reader, range(7)); w = p.map_async(writer, range(1))
    r.get(); w.get()
EOF"#);
    for engine in ["psync", "libaio", "mmap"] {
        m.sh(&format!(
            "fio --name=v-{engine} --directory=MNT --size=8m --bs=4k --rw=randrw \
             --verify=crc32c --verify_fatal=1 --numjobs=3 --ioengine={engine} \
             --iodepth=8 --group_reporting --verify_state_save=0 --output=/dev/null"
        ));
    }
    m.sh("cmp SRC/f MNT/f");
    let log = m.finish();
    let (p, n) = passed(&log);
    assert!(p > 0 && p == n, "{p} of {n} opens passed through:\n{log}");
    assert_eq!(count_op(&log, "READ") + count_op(&log, "WRITE"), 0);
}

/// As an ordinary user (fusermount3), the kernel refuses backing files:
/// one log line, passthrough off, and everything still works.
#[test]
fn without_privilege_it_switches_itself_off() {
    let ll = example(Suite::Sid, "passthrough_ll");
    let dir = scratch("passthrough-nobody");
    assert!(remove_tree_unmounted(&dir));
    let (src, mnt) = (dir.join("src"), dir.join("mnt"));
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&mnt).unwrap();
    std::fs::write(src.join("f"), data(1 << 20, 4)).unwrap();
    let log = dir.join("daemon.log");
    // /dev/fuse is root's alone here: a private mount namespace gets a
    // 0666 node of it, as on a normal system; the mount dies with it.
    let rdev = std::fs::metadata("/dev/fuse").unwrap();
    use std::os::unix::fs::MetadataExt;
    let script = format!(
        r#"
mknod -m 0666 {d}/fuse c {maj} {min}
mount --bind {d}/fuse /dev/fuse
chown -R nobody {d}
as_nobody() {{ setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }}
as_nobody env LD_LIBRARY_PATH={lib} FERROFUSE_PASSTHROUGH=auto {ll} -f -o source={d}/src {d}/mnt >{log} 2>&1 &
for i in $(seq 200); do grep -q " {d}/mnt " /proc/self/mountinfo && break; sleep 0.05; done
as_nobody cmp {d}/src/f {d}/mnt/f
as_nobody cmp {d}/src/f {d}/mnt/f
as_nobody sh -c 'printf abc > {d}/mnt/g && cat {d}/mnt/g' > {d}/g.out
as_nobody fusermount3 -u {d}/mnt
wait
"#,
        d = dir.display(),
        maj = libc::major(rdev.rdev()),
        min = libc::minor(rdev.rdev()),
        lib = lib_dir().display(),
        ll = ll.display(),
        log = log.display(),
    );
    let st = Command::new("timeout")
        .args([
            "120",
            "unshare",
            "-m",
            "--propagation",
            "private",
            "sh",
            "-ec",
        ])
        .arg(&script)
        .status()
        .unwrap();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(st.success(), "{st}\n{text}");
    assert_eq!(std::fs::read(dir.join("g.out")).unwrap(), b"abc");
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("passthrough")).collect();
    assert_eq!(
        lines,
        ["fuse: passthrough=auto: the kernel refused a backing file (Operation not permitted); passthrough off"],
        "{text}"
    );
}

/// Clears and keeps setuid/setgid bits and file capabilities the way the
/// kernel does on a native filesystem, run in DIR (fifos in FIFO): each
/// case prints one line. Files are 06777 unless said; `as_nobody` has no
/// CAP_FSETID, root has.
const SETID_CASES: &str = r#"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
for c in write trunc otrunc chown falloc cfr root; do printf xxxxxxxx > DIR/$c; chmod 6777 DIR/$c; done
printf xxxxxxxx > DIR/race; chmod 0777 DIR/race
printf xxxxxxxx > DIR/sgid; chmod 2767 DIR/sgid
printf xxxxxxxx > DIR/caps; chmod 0777 DIR/caps; setcap cap_net_raw+ep DIR/caps
printf src > DIR/src
as_nobody sh -c 'printf y | dd of=DIR/write conv=notrunc status=none'
as_nobody truncate -s 3 DIR/trunc
as_nobody sh -c 'printf z > DIR/otrunc'
chown 65534 DIR/chown
as_nobody fallocate -l 100 DIR/falloc
as_nobody /usr/bin/python3 -c 'import os; s=os.open("DIR/src",os.O_RDONLY); d=os.open("DIR/cfr",os.O_WRONLY); os.copy_file_range(s,d,3,0,0)'
sh -c 'printf y | dd of=DIR/root conv=notrunc status=none'
# Made setuid while open for writing, then written through that open.
rm -f FIFO/a FIFO/b; mkfifo -m 666 FIFO/a FIFO/b
as_nobody sh -c 'exec 3<>DIR/race; echo r > FIFO/a; read x < FIFO/b; printf y >&3' &
read x < FIFO/a; chmod 6777 DIR/race; echo go > FIFO/b; wait
as_nobody sh -c 'printf y | dd of=DIR/sgid conv=notrunc status=none'
as_nobody sh -c 'printf y | dd of=DIR/caps conv=notrunc status=none'
for c in write trunc otrunc chown falloc cfr root race sgid; do echo "$c $(stat -c '%A %s %U' DIR/$c)"; done
echo "caps [$(getcap DIR/caps | cut -d' ' -f2)]"
"#;

fn setid_cases(dir: &Path, fifo: &Path) -> String {
    let script = SETID_CASES
        .replace("DIR", dir.to_str().unwrap())
        .replace("FIFO", fifo.to_str().unwrap());
    let out = Command::new("timeout")
        .args(["120", "sh", "-ec", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "setid cases in {dir:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The library's kill-suid/sgid duty (FUSE_HANDLE_KILLPRIV_V2, negotiated
/// for filesystems that do not, in every mode): setuid/setgid bits and
/// capabilities end as on a native filesystem in every case (write,
/// truncate, O_TRUNC, chown, fallocate, copy_file_range, root's write,
/// chmod while open for writing, setgid without group execute), and the
/// kernel stops asking GETXATTR(security.capability) before every write.
/// Run over io-uring and /dev/fuse, with and without passthrough=auto; the
/// controls (`killpriv=off`, and its passthrough_killpriv name) show the
/// GETXATTR per write.
#[test]
fn setid_bits_clear_as_natively_and_writes_skip_getxattr() {
    let dir = scratch("passthrough-setid-native");
    let native = setid_cases(&dir, &dir);
    assert!(native.contains("write -rwxrwxrwx"), "{native}");
    assert!(native.contains("root -rwsrwsrwx"), "{native}");
    let hp = example(Suite::Sid, "passthrough_hp");
    let ll = example(Suite::Sid, "passthrough_ll");
    let hp_args: &[&str] = &[
        "--debug-fuse",
        "--foreground",
        "--nopassthrough",
        "SRC",
        "MNT",
        "-o",
        "allow_other",
    ];
    let ll_args: &[&str] = &["-d", "-o", "source=SRC,allow_other,xattr", "MNT"];
    let f = data(1 << 20, 5);
    const AUTO: (&str, &str) = ("FERROFUSE_PASSTHROUGH", "auto");
    const DEV: (&str, &str) = ("FUSE_URING_ENABLE", "0");
    for (name, bin, args, env, duty) in [
        ("setid-hp-auto", &hp, hp_args, &[AUTO][..], true),
        ("setid-ll-auto", &ll, ll_args, &[AUTO][..], true),
        ("setid-hp-uring", &hp, hp_args, &[][..], true),
        ("setid-ll-dev", &ll, ll_args, &[DEV][..], true),
        (
            "setid-hp-auto-off",
            &hp,
            hp_args,
            &[AUTO, ("FERROFUSE_PASSTHROUGH_KILLPRIV", "off")][..],
            false,
        ),
        (
            "setid-hp-dev-off",
            &hp,
            hp_args,
            &[DEV, ("FERROFUSE_KILLPRIV", "off")][..],
            false,
        ),
    ] {
        let m = Mount::start(name, bin, args, env, &[("f", &f)]);
        let got = setid_cases(&m.mnt, m.src.parent().unwrap());
        // 256 writes of 4 KiB to one file: one GETXATTR, not one per write.
        let before = count_op(&m.log_text(), "GETXATTR");
        m.sh("dd if=/dev/zero of=MNT/f bs=4k count=256 conv=notrunc status=none");
        let getxattr = count_op(&m.log_text(), "GETXATTR") - before;
        let log = m.finish();
        if !duty {
            // Without the duty the kernel kills nothing late, but asks every time.
            assert!(getxattr >= 256, "{name}: {getxattr} GETXATTR:\n{log}");
            assert!(
                !log.contains("the library clears setuid/setgid"),
                "{name}:\n{log}"
            );
            continue;
        }
        assert_eq!(got, native, "{name}: not as on a native filesystem:\n{log}");
        assert!(
            log.contains("fuse: the library clears setuid/setgid for the filesystem"),
            "{name}:\n{log}"
        );
        assert!(
            getxattr <= 1,
            "{name}: {getxattr} GETXATTR for 256 writes:\n{log}"
        );
        if env.contains(&AUTO) {
            // Writable opens of setid files stayed with the daemon; the
            // rest passed through.
            assert!(
                log.contains("not: the file is setuid/setgid and the open may write"),
                "{name}:\n{log}"
            );
        } else {
            // The daemon saw the writes, over the transport asked for.
            let ring = log.contains("cqe unique:");
            assert_eq!(ring, !env.contains(&DEV), "{name}:\n{log}");
        }
    }
}
