//! FUSE-over-io-uring (kernel-protocol.md §1).
//!
//! At FUSE_INIT, when the kernel offers `FUSE_OVER_IO_URING` and one of our
//! loops runs the session, [`Pool::prepare`] builds everything the rings
//! need *before* the INIT reply advertises the flag: one ring entry per
//! (queue, depth slot) for every possible CPU's queue, their header and
//! payload buffers, and the io_urings that will carry them (created on the
//! threads that will own them). Only when all of it exists is the flag
//! sent; otherwise the session stays on /dev/fuse, so the kernel never
//! waits for queues that will not come.
//!
//! Ownership: each [`Ring`] is served by exactly one thread (its owner),
//! which submits every SQE of that io_uring. A reply made on another thread
//! writes the entry's buffers (the entry is the request's until committed)
//! and queues the entry on the ring's `pending` list, waking the owner
//! through an eventfd read it keeps armed in the ring; the owner turns
//! pending entries into COMMIT_AND_FETCH SQEs.
//!
//! Buffers: headers share one mapping (a 512-byte slot each), payloads
//! another, both anonymous and lazily backed, so an entry costs memory only
//! once a request has used it: the resident size follows the concurrency
//! the load really has, not the queue depth. Payloads are packed into
//! huge-page blocks, two 1 MiB payloads a block: the same entry of two
//! neighbouring queues, as every queue uses its entries from the same end.
//! A block gets huge pages once each of its entries carried a big request
//! (over a quarter of a huge page; [`super::mem`]): big requests are then
//! copied over fewer page-table entries, at no more memory than normal
//! pages would take, and entries that carry only small or middling
//! requests (256 KiB readahead) cost no huge page.
//! Buffers live until the session is destroyed: the kernel may write them
//! until the ring is gone.

use super::mem::{self, Region};
use super::placement::{
    adaptive_affinity, online_cpus, reader_stamp, recent_readers, recent_stamps, yield_refused,
    Placement, Stop, Yield,
};
use super::EventFd;
use crate::kernel::*;
use crate::session::{dispatch, Session};
use io_uring::{cqueue, opcode, squeue::Entry128, types, IoUring};
use parking_lot::{Condvar, Mutex};
use std::cell::Cell;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

/// libfuse's default queue depth (SESSION_DEF_URING_Q_DEPTH).
pub const DEF_Q_DEPTH: u32 = 8;
/// Header slot per entry: `fuse_uring_req_header` (288 bytes), rounded up.
const HDR_SLOT: usize = 512;
const UD_WAKE: u64 = u64::MAX;
const UD_DEV: u64 = u64::MAX - 1;
/// io_uring_enter flag: run task work and reap completions (uapi value).
const ENTER_GETEVENTS: u32 = 1;

/// How the loop running the session serves the rings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopKind {
    /// `fuse_session_loop`: the loop's own thread serves every queue (one
    /// ring) and /dev/fuse, so callbacks never overlap.
    Single,
    /// `fuse_session_loop_mt`: up to `max_threads` ring threads share the
    /// queues; `notify` is the loop's eventfd, signalled when a ring thread
    /// ends the session.
    Multi { max_threads: u32, notify: RawFd },
}

/// One ring entry: a (queue, slot) pair registered with the kernel.
pub struct Ent {
    pub idx: u32,
    pub qid: u16,
    ring: *const Ring,
    hdr: *mut u8,
    pay: *mut u8,
    pub pay_sz: usize,
    /// The payload's block: the unit huge pages come in; this entry's
    /// bit in the block's `Pool::carried` mask, and the mask of all the
    /// block's entries.
    blk: u32,
    bit: u32,
    members: u32,
}

// SAFETY: the pointers are into the pool's mappings and rings, which live as
// long as the session; who may write an entry's buffers is decided by the
// protocol (the kernel until the CQE, then the request until its commit).
unsafe impl Send for Ent {}
// SAFETY: as above.
unsafe impl Sync for Ent {}

impl Ent {
    /// The payload buffer (for `fuse_req_get_payload` and zero-copy replies).
    pub fn payload(&self) -> (*mut u8, usize) {
        (self.pay, self.pay_sz)
    }

    fn ring(&self) -> &Ring {
        // SAFETY: rings live in the pool's boxed slice, as long as the entry.
        unsafe { &*self.ring }
    }
}

/// The part of a ring other threads touch. Aligned so that two ring
/// threads, each on its CPU, never write the same cache line.
#[repr(align(128))]
pub struct Ring {
    /// Entries whose reply is written and waits for its commit SQE.
    pending: Mutex<Vec<u32>>,
    wake: EventFd,
    /// Requests of this ring handed to the filesystem and not answered yet.
    in_fs: AtomicU32,
    /// Requests received over this ring (for the `-d` summary).
    requests: AtomicU64,
    /// Times the ring thread left its CPU (for the `-d` summary).
    moves: AtomicU32,
    /// Times the ring thread stopped yielding because it waited for its
    /// CPU, and because more threads were runnable than there are CPUs
    /// (for the `-d` summary).
    yield_stops: AtomicU32,
    yield_crowded: AtomicU32,
    /// The last application whose readahead came over this ring, and when
    /// (pid << 32 | ms since the pool's start), for [`Pool::spare_cpu`].
    reader: AtomicU64,
    /// When (ms since the pool's start, at least 1; 0: never) this ring
    /// last received a request that counts for placement: its queue's CPU
    /// runs an application, for [`Pool::idle_cpu`].
    active: AtomicU32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Gate {
    Wait,
    Go,
    Abort,
}

/// The session's rings, entries and buffers.
pub struct Pool {
    /// Single mode: the worker the loop thread takes over after INIT.
    /// First field: its io_uring must close before the buffers unmap.
    inline: Mutex<Option<Worker>>,
    pub queues: u32,
    pub depth: u32,
    pub payload_sz: usize,
    /// The huge page size when payloads may earn huge pages.
    huge: Option<usize>,
    /// How payloads lie in `_pay`, from `pay_base` on: in rows of one
    /// entry per queue, the `j`th of each (the kernel hands a request to
    /// the queue's entry that came back last, so every queue uses its
    /// entries from the same end, and the same entries of neighbouring
    /// queues share a block).
    lay: mem::Layout,
    pay_base: *mut u8,
    /// Per block: the entries that carried a big request (`Ent::bit`).
    carried: Box<[AtomicU32]>,
    kind: LoopKind,
    rings: Box<[Ring]>,
    ents: Box<[Ent]>,
    _hdr: Region,
    _pay: Region,
    stop: AtomicBool,
    gate: Mutex<Gate>,
    gate_cv: Condvar,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
    /// Per queue id: entries registered so far (they grow with the load).
    registered: Box<[AtomicU32]>,
    /// The clock of `Ring::reader`, and the CPUs online then.
    born: std::time::Instant,
    online: u32,
}

// SAFETY: the raw pointers (entries, mappings) are shared by design; every
// mutable part is atomic or behind a lock.
unsafe impl Send for Pool {}
// SAFETY: as above.
unsafe impl Sync for Pool {}

thread_local! {
    /// The ring this thread owns, if it is a ring thread.
    static OWNER: Cell<*const Ring> = const { Cell::new(std::ptr::null()) };
}

/// Testing aid: `FERROFUSE_URING_FAIL=<point>` makes that step of the
/// set-up fail (ring, alloc, thread, register), to prove the fallback.
fn fail_point(point: &str) -> bool {
    std::env::var("FERROFUSE_URING_FAIL").is_ok_and(|v| v.split(',').any(|p| p == point))
}

/// The CPUs a sysfs CPU list (`0-3,6`) names.
fn cpu_list(name: &str) -> Option<Vec<u32>> {
    let s = std::fs::read_to_string(format!("/sys/devices/system/cpu/{name}")).ok()?;
    let mut cpus = Vec::new();
    for part in s.trim().split(',').filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b) = (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?);
        cpus.extend(a..=b.min(a.saturating_add(1 << 16)));
    }
    Some(cpus).filter(|c| !c.is_empty())
}

/// Queues the kernel creates: one per possible CPU.
pub fn possible_cpus() -> u32 {
    if let Some(m) = cpu_list("possible").and_then(|c| c.into_iter().max()) {
        return m + 1;
    }
    // SAFETY: sysconf has no preconditions.
    (unsafe { libc::sysconf(libc::_SC_NPROCESSORS_CONF) }).max(1) as u32
}

/// Per queue: whether its CPU is online, so its entries may carry
/// requests (all, when that cannot be read).
fn online_queues(queues: u32) -> Vec<bool> {
    let mut on = vec![true; queues as usize];
    if let Some(cpus) = cpu_list("online") {
        on.iter_mut().for_each(|o| *o = false);
        for c in cpus.into_iter().filter(|&c| c < queues) {
            on[c as usize] = true;
        }
    }
    on
}

/// The session pointer handed to ring threads: the loop joins them before
/// it returns, so the session outlives them.
#[derive(Clone, Copy)]
struct SessionPtr(*const Session);
// SAFETY: Session is Sync; the pointer is only dereferenced while the loop
// (which joins the threads) keeps the session alive.
unsafe impl Send for SessionPtr {}

impl Pool {
    /// Builds the rings for `se` before the INIT reply. `payload_sz` is
    /// what the kernel will require of each payload buffer. On success the
    /// caller advertises FUSE_OVER_IO_URING and calls [`Pool::start`] after
    /// the reply; on error (-errno) it must not advertise it.
    pub fn prepare(se: &Session, kind: LoopKind, payload_sz: usize) -> Result<Arc<Pool>, i32> {
        let depth = se.opts.uring_q_depth;
        if depth == 0 {
            crate::log_err!("fuse: io-uring queue depth must be > 0\n");
            return Err(libc::EINVAL);
        }
        let depth = depth.min(1024);
        let queues = possible_cpus();
        let nents = queues as usize * depth as usize;
        let nrings = match kind {
            LoopKind::Single => 1,
            LoopKind::Multi { max_threads, .. } => queues.min(max_threads.max(1)) as usize,
        };
        if fail_point("alloc") {
            return Err(libc::ENOMEM);
        }
        let hdr = Region::new(nents * HDR_SLOT)?;
        // With huge pages, payloads are packed in huge-page blocks from a
        // huge-page aligned base.
        let huge = mem::size().filter(|&h| mem::wants_huge(payload_sz, h));
        let lay = mem::Layout::new(payload_sz, huge);
        let nblocks = depth as usize * lay.row(queues as usize);
        // Offline CPUs' queues get no requests: a block waits only for its
        // online ones.
        let online = online_queues(queues);
        let align = huge.unwrap_or(1);
        let pay = Region::new(nblocks * lay.block + align - 1)?;
        pay.without_huge_pages();
        // SAFETY: the offset is below `align`, the mapping's slack.
        let pay_base = unsafe { pay.ptr.add(mem::align_offset(pay.ptr as usize, align)) };
        let mut rings = Vec::with_capacity(nrings);
        for _ in 0..nrings {
            let wake = EventFd::new().map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))?;
            rings.push(Ring {
                pending: Mutex::new(Vec::with_capacity(nents)),
                wake,
                in_fs: AtomicU32::new(0),
                requests: AtomicU64::new(0),
                moves: AtomicU32::new(0),
                yield_stops: AtomicU32::new(0),
                yield_crowded: AtomicU32::new(0),
                reader: AtomicU64::new(0),
                active: AtomicU32::new(0),
            });
        }
        let rings = rings.into_boxed_slice();
        let ents = (0..nents)
            .map(|i| {
                let qid = (i / depth as usize) as u16;
                let (q, n) = (qid as usize, queues as usize);
                let (blk, off) = lay.place(i % depth as usize, q, n);
                Ent {
                    idx: i as u32,
                    qid,
                    ring: &rings[qid as usize % nrings] as *const Ring,
                    // SAFETY: within the mappings (nents slots each).
                    hdr: unsafe { hdr.ptr.add(i * HDR_SLOT) },
                    // SAFETY: inside the mapping: `off` is in block `blk`
                    // of `nblocks`.
                    pay: unsafe { pay_base.add(off) },
                    pay_sz: payload_sz,
                    blk: blk as u32,
                    bit: 1 << (q % lay.per),
                    members: lay.members(q, n, |b| online[b]),
                }
            })
            .collect::<Vec<_>>()
            .into_boxed_slice();
        let pool = Arc::new(Pool {
            queues,
            depth,
            payload_sz,
            huge,
            lay,
            pay_base,
            carried: (0..nblocks).map(|_| AtomicU32::new(0)).collect(),
            kind,
            rings,
            ents,
            _hdr: hdr,
            _pay: pay,
            stop: AtomicBool::new(false),
            gate: Mutex::new(Gate::Wait),
            gate_cv: Condvar::new(),
            threads: Mutex::new(Vec::new()),
            inline: Mutex::new(None),
            registered: (0..queues).map(|_| AtomicU32::new(0)).collect(),
            born: std::time::Instant::now(),
            online: online_cpus(),
        });
        let fd = se.fd.load(Ordering::SeqCst);
        match kind {
            LoopKind::Single => {
                let w = Worker::new(&pool, 0, Some(fd), fd)?;
                *pool.inline.lock() = Some(w);
            }
            LoopKind::Multi { .. } => pool.spawn_threads(se, fd)?,
        }
        if se.debug() {
            crate::log_debug!("starting io-uring q-depth={}\n", depth);
            let how = match kind {
                LoopKind::Single => "1 thread serves every queue and /dev/fuse".to_string(),
                LoopKind::Multi { .. } => format!(
                    "{nrings} ring thread{}, /dev/fuse served by the worker pool",
                    if nrings == 1 { "" } else { "s" }
                ),
            };
            let huge_note = match huge {
                Some(h) if lay.per > 1 => format!(
                    " ({} entries to a huge page, given once each carried more than {} KiB)",
                    lay.per,
                    h / 4 / 1024
                ),
                Some(h) => format!(
                    " (huge pages once an entry carried more than {} KiB)",
                    h / 4 / 1024
                ),
                None => String::new(),
            };
            crate::log_debug!(
                "fuse: io-uring: {queues} queues x {depth} entries, payload {payload_sz} bytes{huge_note}, entries registered as the load needs them, {how}\n"
            );
            if matches!(kind, LoopKind::Multi { .. }) && pool.movable() && adaptive_affinity() {
                match yield_refused() {
                    None => crate::log_debug!(
                        "fuse: io-uring: ring threads yield their CPU at home (SCHED_IDLE)\n"
                    ),
                    Some(why) => crate::log_debug!(
                        "fuse: io-uring: ring threads do not yield their CPU: {why}\n"
                    ),
                }
            }
        }
        Ok(pool)
    }

    fn spawn_threads(self: &Arc<Pool>, se: &Session, fd: RawFd) -> Result<(), i32> {
        let nrings = self.rings.len();
        let (tx, rx) = std::sync::mpsc::channel::<Result<(), i32>>();
        let sp = SessionPtr(se);
        let mut handles = Vec::with_capacity(nrings);
        let mut failed = None;
        for r in 0..nrings {
            if fail_point("thread") && r + 1 == nrings {
                failed = Some(libc::EAGAIN);
                break;
            }
            let pool = Arc::clone(self);
            let tx = tx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("fuse-ring-{r}"))
                .spawn(move || {
                    let sp = sp;
                    pool.pin(r, false);
                    let w = match Worker::new(&pool, r, None, fd) {
                        Ok(w) => w,
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = tx.send(Ok(()));
                    drop(tx);
                    if !pool.wait_gate() {
                        return;
                    }
                    // SAFETY: the loop joins this thread (Pool::shutdown)
                    // before it returns, so the session is alive.
                    let se = unsafe { &*sp.0 };
                    let mut w = w;
                    w.run(se, &pool);
                    if let LoopKind::Multi { notify, .. } = pool.kind {
                        if se.exited() {
                            let one: u64 = 1;
                            // SAFETY: writes 8 bytes to the loop's eventfd,
                            // which outlives the ring threads.
                            unsafe { libc::write(notify, (&one as *const u64).cast(), 8) };
                        }
                    }
                });
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => {
                    crate::log_err!("fuse: error creating thread: {e}\n");
                    failed = Some(e.raw_os_error().unwrap_or(libc::EAGAIN));
                    break;
                }
            }
        }
        drop(tx);
        for _ in 0..handles.len() {
            match rx.recv() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failed = failed.or(Some(e)),
                Err(_) => failed = failed.or(Some(libc::EIO)),
            }
        }
        *self.threads.lock() = handles;
        if let Some(e) = failed {
            self.abort();
            return Err(e);
        }
        Ok(())
    }

    /// Whether ring threads are pinned: when each serves exactly one queue
    /// (a performance choice, as libfuse's per-core threads).
    fn pins(&self) -> bool {
        self.rings.len() == self.queues as usize
    }

    /// Entry `ent` carried a big request: once every entry of its block
    /// did (of online CPUs' queues, as the pool was set up), the block
    /// gets huge pages. Any ring thread may get here for a block
    /// (neighbouring queues may be other rings'); one promotes it. The
    /// other entries' buffers may be in use meanwhile, by the kernel or a
    /// filesystem thread: promotion keeps contents.
    fn carried_big(&self, ent: &Ent, huge: usize) {
        let mask = &self.carried[ent.blk as usize];
        if mask.load(Ordering::Relaxed) & ent.bit != 0 {
            return;
        }
        let old = mask.fetch_or(ent.bit, Ordering::Relaxed);
        if old != ent.members && old | ent.bit == ent.members {
            let block = self
                .pay_base
                .wrapping_add(ent.blk as usize * self.lay.block);
            mem::promote(block, self.lay.block, huge);
        }
    }

    fn movable(&self) -> bool {
        self.pins() && self.queues > 1
    }

    /// Milliseconds since the pool started (wraps after 49 days; only
    /// differences of recent stamps are used).
    fn now_ms(&self) -> u32 {
        self.born.elapsed().as_millis() as u32
    }

    /// Ring `r` received readahead from application `pid`.
    fn note_reader(&self, r: usize, pid: u32) {
        let v = reader_stamp(pid, self.now_ms());
        self.rings[r].reader.store(v, Ordering::Relaxed);
    }

    /// Whether fewer applications read ahead (over any ring, in the last
    /// 100 ms) than there are CPUs online.
    fn spare_cpu(&self) -> bool {
        const RECENT_MS: u32 = 100;
        let stamps = self.rings.iter().map(|r| r.reader.load(Ordering::Relaxed));
        recent_readers(stamps, self.now_ms(), RECENT_MS) < self.online
    }

    /// Whether some online CPU runs no application of this filesystem:
    /// fewer rings than CPUs online received requests lately (each queue
    /// gets the requests made on its CPU). A thread that leaves its CPU
    /// for one that runs another application only trades places with that
    /// application's ring thread, and every commit then wakes across CPUs.
    fn idle_cpu(&self) -> bool {
        // Short: after the scheduler moves an application, the CPU it
        // left counts as busy this long.
        const RECENT_MS: u32 = 20;
        let stamps = self.rings.iter().map(|r| r.active.load(Ordering::Relaxed));
        recent_stamps(stamps, self.now_ms(), RECENT_MS) < self.online
    }

    /// Pins ring thread `r` to its queue's CPU, or (`away`) to every other
    /// CPU. Failure is fine: placement is only a performance choice.
    fn pin(&self, r: usize, away: bool) {
        if !self.pins() {
            return;
        }
        // SAFETY: a zeroed cpu_set_t is empty; CPU_SET writes inside it
        // (CPU numbers below the queue count, at most CPU_SETSIZE).
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            for c in 0..(self.queues as usize).min(libc::CPU_SETSIZE as usize) {
                if (c == r) != away {
                    libc::CPU_SET(c, &mut set);
                }
            }
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
        }
    }

    fn wait_gate(&self) -> bool {
        let mut g = self.gate.lock();
        while *g == Gate::Wait {
            self.gate_cv.wait(&mut g);
        }
        *g == Gate::Go
    }

    fn set_gate(&self, to: Gate) {
        let mut g = self.gate.lock();
        if *g == Gate::Wait {
            *g = to;
        }
        self.gate_cv.notify_all();
    }

    /// The INIT reply went out: the rings may register.
    pub fn start(&self) {
        self.set_gate(Gate::Go);
    }

    /// The INIT reply failed, or the session ends: threads that have not
    /// started leave, the others are asked to stop; all are joined.
    pub fn abort(&self) {
        self.set_gate(Gate::Abort);
        self.shutdown();
    }

    /// Stops and joins the ring threads (idempotent). Never called from a
    /// ring thread.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.set_gate(Gate::Abort);
        for r in self.rings.iter() {
            r.wake.signal();
        }
        let handles = std::mem::take(&mut *self.threads.lock());
        for h in handles {
            let _ = h.join();
        }
    }

    /// Requests received over the rings so far.
    pub fn requests(&self) -> u64 {
        self.rings
            .iter()
            .map(|r| r.requests.load(Ordering::Relaxed))
            .sum()
    }

    /// The `-d` summary at the session's end: requests served and how
    /// many entries each queue came to need.
    pub fn summary(&self) -> String {
        let regs: Vec<String> = self
            .registered
            .iter()
            .map(|r| r.load(Ordering::Relaxed).to_string())
            .collect();
        let mut out = format!(
            "fuse: io-uring: {} requests over the ring; entries registered per queue (of {}): {}\n",
            self.requests(),
            self.depth,
            regs.join(", ")
        );
        if self.movable() {
            let moves: u32 = self
                .rings
                .iter()
                .map(|r| r.moves.load(Ordering::Relaxed))
                .sum();
            out.push_str(&format!(
                "fuse: io-uring: ring threads moved off their queue's CPU {moves} times\n"
            ));
            if adaptive_affinity() && yield_refused().is_none() {
                let sum = |f: fn(&Ring) -> &AtomicU32| -> u32 {
                    self.rings
                        .iter()
                        .map(|r| f(r).load(Ordering::Relaxed))
                        .sum()
                };
                let starved = sum(|r| &r.yield_stops);
                let crowded = sum(|r| &r.yield_crowded);
                out.push_str(&format!(
                    "fuse: io-uring: ring threads stopped yielding {starved} times (waited for their CPU), {crowded} times (more threads runnable than CPUs)\n"
                ));
            }
        }
        out
    }

    /// Single mode: the loop thread serves the rings and /dev/fuse from
    /// now on, until the session ends. None if this pool has no inline
    /// worker (not single mode, or already taken).
    pub fn serve_inline(&self, se: &Session) -> Option<i32> {
        let mut w = self.inline.lock().take()?;
        Some(w.run(se, self))
    }
}

/// Writes a reply into `ent` and queues its commit. `body` may point into
/// the entry's own payload (a filesystem that filled it through
/// `fuse_req_get_payload`). Returns 0 or -errno, like a /dev/fuse write.
pub fn reply(se: &Session, ent: &Ent, unique: u64, mut error: i32, body: &[&[u8]]) -> i32 {
    let mut total: usize = body.iter().map(|b| b.len()).sum();
    if total > ent.pay_sz {
        crate::log_err!(
            "fuse: reply of {} bytes exceeds the ring buffer of {}\n",
            total,
            ent.pay_sz
        );
        error = -libc::EINVAL;
        total = 0;
    }
    if error == 0 {
        let mut off = 0;
        for b in body {
            let dst = ent.pay.wrapping_add(off);
            if !std::ptr::eq(b.as_ptr(), dst) {
                // SAFETY: the payload has pay_sz >= total bytes and is this
                // request's until the commit; `copy` allows overlap (a body
                // taken from the payload itself).
                unsafe { std::ptr::copy(b.as_ptr(), dst, b.len()) };
            }
            off += b.len();
        }
    } else {
        total = 0;
    }
    use crate::session::reply::OutHeader;
    use std::mem::{offset_of, size_of};
    let out = OutHeader {
        len: (size_of::<OutHeader>() + total) as u32,
        error,
        unique,
    };
    const PAYLOAD_SZ: usize = offset_of!(fuse_uring_req_header, ring_ent_in_out)
        + offset_of!(fuse_uring_ent_in_out, payload_sz);
    // SAFETY: the header slot (HDR_SLOT >= sizeof(fuse_uring_req_header)
    // bytes) is this request's until the commit; in_out is at offset 0.
    unsafe {
        std::ptr::write_unaligned(ent.hdr.cast::<OutHeader>(), out);
        std::ptr::write_unaligned(ent.hdr.add(PAYLOAD_SZ).cast::<u32>(), total as u32);
    }
    if se.debug() {
        crate::log_debug!("    unique: {}, result={}\n", unique, total);
    }
    commit(ent);
    0
}

/// Hands the entry back to its ring's owner for COMMIT_AND_FETCH.
fn commit(ent: &Ent) {
    let ring = ent.ring();
    ring.in_fs.fetch_sub(1, Ordering::Relaxed);
    ring.pending.lock().push(ent.idx);
    if !std::ptr::eq(OWNER.with(|o| o.get()), ring) {
        ring.wake.signal();
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    Register,
    Commit,
}

/// A ring's owner-thread state: the io_uring and what the SQEs point to.
struct Worker {
    ring: usize,
    uring: IoUring<Entry128, cqueue::Entry>,
    /// Per queue id: this ring's entries not registered yet (global
    /// indexes, next last). Entries are registered as the load needs them,
    /// so payload memory follows the concurrency, not the queue depth.
    unregistered: Vec<Vec<u32>>,
    /// Per queue id: entries the kernel holds, ready for a request.
    idle: Vec<u32>,
    /// Per queue id: small requests in the current CQE batch, u32::MAX if
    /// a big one is among them.
    batch: Vec<u32>,
    /// REGISTER's iovec pairs, per global entry index (the kernel reads
    /// them when the SQE is issued).
    iovs: Box<[[libc::iovec; 2]]>,
    commit_ids: Box<[u64]>,
    last: Box<[Last]>,
    wake_buf: Box<u64>,
    /// Single mode: /dev/fuse, polled in the same ring.
    dev: Option<RawFd>,
    dev_buf: super::RecvBuf,
    cqes: Vec<(u64, i32)>,
    spare: Vec<u32>,
    /// Where the thread runs, when it is pinned and may move.
    placement: Option<Placement>,
    /// Its SCHED_IDLE at home, when it has a placement and may yield.
    yielding: Option<Yield>,
}

// SAFETY: the iovecs point into the pool's mappings, which outlive the
// worker; the worker is used by one thread at a time.
unsafe impl Send for Worker {}

impl Worker {
    fn new(pool: &Pool, ring: usize, dev: Option<RawFd>, fd: RawFd) -> Result<Worker, i32> {
        if fail_point("ring") {
            return Err(libc::ENOMEM);
        }
        let rp = &pool.rings[ring] as *const Ring;
        let mine: Vec<u32> = pool
            .ents
            .iter()
            .filter(|e| e.ring == rp)
            .map(|e| e.idx)
            .collect();
        let sq = (mine.len() as u32 + 2).next_power_of_two();
        let mut unregistered = vec![Vec::new(); pool.queues as usize];
        for &idx in mine.iter().rev() {
            unregistered[pool.ents[idx as usize].qid as usize].push(idx);
        }
        let build = |fancy: bool| {
            let mut b = IoUring::<Entry128, cqueue::Entry>::builder();
            b.setup_cqsize(sq * 2).setup_submit_all();
            if fancy {
                // Completions (the next request's copy) run when the owner
                // waits, on the owner: no cross-CPU task work. The flag
                // tells `pull` when some wait to run.
                b.setup_single_issuer()
                    .setup_defer_taskrun()
                    .setup_taskrun_flag();
            }
            b.build(sq)
        };
        let uring = build(true)
            .or_else(|_| build(false))
            .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))?;
        uring
            .submitter()
            .register_files(&[fd])
            .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))?;
        let n = pool.ents.len();
        let placement = dev.is_none() && pool.movable() && adaptive_affinity();
        let iovs = pool
            .ents
            .iter()
            .map(|e| {
                [
                    libc::iovec {
                        iov_base: e.hdr.cast(),
                        iov_len: HDR_SLOT,
                    },
                    libc::iovec {
                        iov_base: e.pay.cast(),
                        iov_len: e.pay_sz,
                    },
                ]
            })
            .collect();
        Ok(Worker {
            ring,
            uring,
            unregistered,
            idle: vec![0; pool.queues as usize],
            batch: vec![0; pool.queues as usize],
            iovs,
            commit_ids: vec![0; n].into_boxed_slice(),
            last: vec![Last::Register; n].into_boxed_slice(),
            wake_buf: Box::new(0),
            dev,
            dev_buf: super::RecvBuf::default(),
            cqes: Vec::new(),
            spare: Vec::new(),
            placement: placement.then(Placement::default),
            yielding: placement.then(Yield::new).flatten(),
        })
    }

    fn push(&mut self, e: &Entry128) {
        // SAFETY: every buffer an SQE names (iovecs, header and payload
        // slots, the wake buffer) lives as long as the worker and the pool.
        // The SQ has room for one SQE per entry plus the wake and dev SQEs,
        // and each of those has at most one SQE outstanding.
        if unsafe { self.uring.submission().push(e) }.is_err() {
            // Cannot happen by construction; submit to make room.
            let _ = self.uring.submit();
            // SAFETY: as above.
            let _ = unsafe { self.uring.submission().push(e) };
        }
    }

    fn cmd(&self, idx: u32, cmd_op: u32, commit_id: u64, qid: u16) -> Entry128 {
        let mut cmd = [0u8; 80];
        cmd[8..16].copy_from_slice(&commit_id.to_ne_bytes());
        cmd[16..18].copy_from_slice(&qid.to_ne_bytes());
        let mut b = opcode::UringCmd80::new(types::Fixed(0), cmd_op).cmd(cmd);
        if cmd_op == FUSE_IO_URING_CMD_REGISTER {
            b = b.addr(Some(self.iovs[idx as usize].as_ptr() as u64));
        }
        let e = b.build().user_data(u64::from(idx));
        if cmd_op == FUSE_IO_URING_CMD_REGISTER {
            // The crate has no `len` for URING_CMD; REGISTER needs len = 2
            // (the iovec count) at SQE offset 24.
            let segs: u32 = if fail_point("register") { 1 } else { 2 };
            set_sqe_len(e, segs)
        } else {
            e
        }
    }

    fn submit_cmd(&mut self, pool: &Pool, idx: u32, last: Last) {
        let ent = &pool.ents[idx as usize];
        self.last[idx as usize] = last;
        let e = match last {
            Last::Register => self.cmd(idx, FUSE_IO_URING_CMD_REGISTER, 0, ent.qid),
            Last::Commit => self.cmd(
                idx,
                FUSE_IO_URING_CMD_COMMIT_AND_FETCH,
                self.commit_ids[idx as usize],
                ent.qid,
            ),
        };
        self.push(&e);
    }

    /// Registers the next entry of queue `qid`, if one is left.
    fn register_one(&mut self, pool: &Pool, qid: usize) {
        if let Some(idx) = self.unregistered[qid].pop() {
            self.idle[qid] += 1;
            pool.registered[qid].fetch_add(1, Ordering::Relaxed);
            self.submit_cmd(pool, idx, Last::Register);
        }
    }

    fn arm_wake(&mut self, pool: &Pool) {
        let fd = pool.rings[self.ring].wake.0;
        let e = opcode::Read::new(types::Fd(fd), (&mut *self.wake_buf as *mut u64).cast(), 8)
            .build()
            .user_data(UD_WAKE);
        self.push(&Entry128::from(e));
    }

    fn arm_dev(&mut self) {
        if let Some(fd) = self.dev {
            let e = opcode::PollAdd::new(types::Fd(fd), libc::POLLIN as u32)
                .build()
                .user_data(UD_DEV);
            self.push(&Entry128::from(e));
        }
    }

    /// Serves the ring until the session ends. Returns the loop's result:
    /// 0, or -errno for a fatal ring error.
    fn run(&mut self, se: &Session, pool: &Pool) -> i32 {
        let ring = &pool.rings[self.ring] as *const Ring;
        OWNER.with(|o| o.set(ring));
        let restore_blocking = self.dev.map(|fd| super::set_nonblocking(fd, true));
        // Two entries per queue to start (the kernel uses the ring once every
        // queue has one; a second shows whether requests come in batches);
        // more follow as the load needs them.
        for _ in 0..2 {
            for qid in 0..self.unregistered.len() {
                self.register_one(pool, qid);
            }
        }
        self.arm_wake(pool);
        self.arm_dev();
        let mut res = 0;
        'outer: loop {
            if se.exited() || pool.stop.load(Ordering::SeqCst) {
                break;
            }
            match self.uring.submit_and_wait(1) {
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {}
                Err(e) => {
                    crate::log_err!("fuse: io-uring: submit: {e}\n");
                    res = -e.raw_os_error().unwrap_or(libc::EIO);
                    se.exit();
                    break;
                }
            }
            // Requests this wake-up brought, for the thread's placement.
            let mut got = 0u32;
            let mut ahead = 0u32;
            // Drain until the CQ stays empty: requests that came while
            // others were handled are taken before the commits go out
            // (`pull` with DEFER_TASKRUN; without it, on older kernels,
            // their completions land by themselves), which also saves an
            // io_uring_enter.
            loop {
                let mut cqes = std::mem::take(&mut self.cqes);
                cqes.extend(self.uring.completion().map(|c| (c.user_data(), c.result())));
                if cqes.is_empty() {
                    self.cqes = cqes;
                    if self.pull() {
                        continue;
                    }
                    break;
                }
                // Requests per queue in this batch.
                self.batch.iter_mut().for_each(|b| *b = 0);
                // (u32::MAX: a big request is among them.)
                for &(ud, r) in &cqes {
                    if r == 0 && ud < UD_DEV {
                        let ent = &pool.ents[ud as usize];
                        let kind = classify(ent);
                        if let Some(h) = pool.huge {
                            if mem::wants_huge(kind.bytes as usize, h) {
                                pool.carried_big(ent, h);
                            }
                        }
                        got += u32::from(kind.counted);
                        if let (Some(pid), true) = (kind.reader, self.placement.is_some()) {
                            ahead += 1;
                            pool.note_reader(self.ring, pid);
                        }
                        let b = &mut self.batch[ent.qid as usize];
                        *b = if kind.small {
                            b.saturating_add(1)
                        } else {
                            u32::MAX
                        };
                    }
                }
                for &(ud, r) in &cqes {
                    match ud {
                        UD_WAKE => self.arm_wake(pool),
                        UD_DEV => {
                            if !self.serve_dev(se) {
                                break 'outer;
                            }
                            self.arm_dev();
                        }
                        idx => {
                            if !self.complete(se, pool, idx as u32, r) {
                                break 'outer;
                            }
                        }
                    }
                }
                cqes.clear();
                self.cqes = cqes;
            }
            if let (true, Some(p)) = (got > 0, self.placement.as_mut()) {
                pool.rings[self.ring]
                    .active
                    .store(pool.now_ms().max(1), Ordering::Relaxed);
                if let Some(away) = p.record(got, ahead, || pool.spare_cpu(), || pool.idle_cpu()) {
                    pool.pin(self.ring, away);
                    if away {
                        pool.rings[self.ring].moves.fetch_add(1, Ordering::Relaxed);
                    }
                }
                // Before the commits go out: the policy decides where the
                // application they wake runs.
                match Yield::step(&mut self.yielding, !p.away) {
                    Some(Stop::Starved) => {
                        pool.rings[self.ring]
                            .yield_stops
                            .fetch_add(1, Ordering::Relaxed);
                    }
                    Some(Stop::Crowded) => {
                        pool.rings[self.ring]
                            .yield_crowded
                            .fetch_add(1, Ordering::Relaxed);
                    }
                    None => {}
                }
            }
            self.flush_commits(pool);
        }
        OWNER.with(|o| o.set(std::ptr::null()));
        if let (Some(fd), Some(true)) = (self.dev, restore_blocking) {
            super::set_nonblocking(fd, false);
        }
        let error = se.error.load(Ordering::SeqCst);
        if error != 0 {
            error
        } else {
            res
        }
    }

    /// Run the deferred task work of requests that arrived while this
    /// thread was handling others, before the commits go out: a commit
    /// wakes the reader it answers, and that reader would preempt this
    /// thread with the new requests still unserved. True when it brought
    /// completions. The kernel's flag is only a hint (it can stay set with
    /// no work queued), so an empty pull ends the drain.
    fn pull(&mut self) -> bool {
        if !self.uring.submission().taskrun() {
            return false;
        }
        // SAFETY: no SQEs submitted (to_submit 0), no argument.
        let r = unsafe {
            self.uring
                .submitter()
                .enter::<libc::sigset_t>(0, 0, ENTER_GETEVENTS, None)
        };
        r.is_ok() && !self.uring.completion().is_empty()
    }

    /// The CQE `r` of entry `idx`: a request to handle, or the result of
    /// a REGISTER or commit. False when the session is over.
    fn complete(&mut self, se: &Session, pool: &Pool, idx: u32, r: i32) -> bool {
        let ent = &pool.ents[idx as usize];
        let qid = ent.qid as usize;
        match r {
            0 => {
                self.idle[qid] = self.idle[qid].saturating_sub(1);
                let busy = pool.rings[self.ring].in_fs.fetch_add(1, Ordering::Relaxed);
                // Another entry for the kernel when none is left waiting
                // and either the filesystem holds requests while more come
                // (it answers asynchronously) or small requests filled
                // several entries at once (one io_uring_enter then serves
                // several; for big ones the copy dwarfs the syscall, and
                // their payload pages would stay resident). A filesystem
                // answering in its callback otherwise needs one entry: each
                // commit fetches the next request.
                let batch = self.batch[qid];
                if self.idle[qid] == 0 && (busy > 0 || (batch > 1 && batch != u32::MAX)) {
                    self.register_one(pool, qid);
                }
                self.handle(se, pool, idx);
            }
            r if r == -libc::EAGAIN || r == -libc::EINTR => {
                // REGISTER raced INIT, or was interrupted: again.
                let last = self.last[idx as usize];
                self.submit_cmd(pool, idx, last);
            }
            r if r == -libc::ENOTCONN || r == -libc::ECANCELED => {
                // Unmounted or aborted: the session is over.
                se.exit();
                return false;
            }
            r => {
                crate::log_err!(
                    "fuse: io-uring: qid {}: {} failed: {}\n",
                    qid,
                    if self.last[idx as usize] == Last::Register {
                        "register"
                    } else {
                        "commit"
                    },
                    crate::log::strerror(-r)
                );
                // The kernel falls back to /dev/fuse when a registration
                // fails; this entry is done.
                self.idle[qid] = self.idle[qid].saturating_sub(1);
            }
        }
        true
    }

    fn flush_commits(&mut self, pool: &Pool) {
        let mut list = std::mem::take(&mut self.spare);
        std::mem::swap(&mut list, &mut *pool.rings[self.ring].pending.lock());
        for &idx in &list {
            self.idle[pool.ents[idx as usize].qid as usize] += 1;
            self.submit_cmd(pool, idx, Last::Commit);
        }
        list.clear();
        self.spare = list;
    }

    /// One request the kernel copied into entry `idx`.
    fn handle(&mut self, se: &Session, pool: &Pool, idx: u32) {
        let ent = &pool.ents[idx as usize];
        // SAFETY: the kernel filled the header slot before this CQE; until
        // we commit, nobody else writes it. Copied out, so replies may
        // overwrite the slot while the request is handled.
        let hdr: fuse_uring_req_header =
            unsafe { std::ptr::read_unaligned(ent.hdr.cast::<fuse_uring_req_header>()) };
        let eio = hdr.ring_ent_in_out;
        self.commit_ids[idx as usize] = eio.commit_id;
        pool.rings[self.ring]
            .requests
            .fetch_add(1, Ordering::Relaxed);
        if eio.commit_id == 0 {
            crate::log_err!("fuse: io-uring: received invalid commit_id=0\n");
        }
        let len = (eio.payload_sz as usize).min(ent.pay_sz);
        // SAFETY: the kernel wrote `len` (<= the buffer's size) payload bytes
        // before the CQE; the entry is this request's until its commit.
        unsafe { dispatch::process_ring(se, ent, &hdr.in_out, &hdr.op_in, ent.pay, len) };
    }

    /// Single mode: reads what /dev/fuse has (INTERRUPT, FORGET, ...).
    /// False when the session is over.
    fn serve_dev(&mut self, se: &Session) -> bool {
        let Some(fd) = self.dev else { return true };
        loop {
            match super::receive(se, fd, &mut self.dev_buf) {
                Ok(n) => dispatch::process(se, &self.dev_buf[..n], fd),
                Err(super::RecvError::Errno(e)) if e == -libc::EAGAIN => return true,
                Err(super::RecvError::Interrupted) => continue,
                Err(super::RecvError::Exit) => return false,
                Err(super::RecvError::Errno(e)) => {
                    se.error
                        .compare_exchange(0, e, Ordering::SeqCst, Ordering::SeqCst)
                        .ok();
                    se.exit();
                    return false;
                }
            }
        }
    }
}

/// What the ring loop needs to know of a request.
#[derive(Debug, PartialEq)]
struct Kind {
    /// It moves little data either way (its payload, or a READ's reply, at
    /// most 32 KiB).
    small: bool,
    /// It counts for [`Placement`]: not a page-cache writeback WRITE (the
    /// kernel's flusher, not an application).
    counted: bool,
    /// A big READ of readahead: the pid of its reader. The kernel sends
    /// the reads an application waits for (O_DIRECT, and every read of a
    /// file the filesystem opened with direct_io) with a lock owner, and
    /// readahead without.
    reader: Option<u32>,
    /// The data it moves: the larger of its payload and, for a READ, the
    /// reply asked for.
    bytes: u32,
}

fn classify(ent: &Ent) -> Kind {
    // SAFETY: the kernel filled the header slot before the CQE; until the
    // commit nobody else writes it.
    let hdr: fuse_uring_req_header =
        unsafe { std::ptr::read_unaligned(ent.hdr.cast::<fuse_uring_req_header>()) };
    classify_header(&hdr)
}

fn classify_header(hdr: &fuse_uring_req_header) -> Kind {
    const LIMIT: u32 = 32 << 10;
    let data = hdr.ring_ent_in_out.payload_sz;
    let mut kind = Kind {
        small: data <= LIMIT,
        counted: true,
        reader: None,
        bytes: data,
    };
    let Some(ih) = read_struct::<fuse_in_header>(&hdr.in_out) else {
        return kind;
    };
    match ih.opcode {
        FUSE_READ => {
            let r = read_struct::<fuse_read_in>(&hdr.op_in);
            let size = r.as_ref().map_or(0, |r| r.size);
            let direct = r.is_some_and(|r| {
                r.flags as i32 & libc::O_DIRECT != 0 || r.read_flags & FUSE_READ_LOCKOWNER != 0
            });
            kind.small &= size <= LIMIT;
            kind.bytes = kind.bytes.max(size);
            kind.reader = (!kind.small && !direct).then_some(ih.pid);
        }
        FUSE_WRITE => {
            let writeback = read_struct::<fuse_write_in>(&hdr.op_in)
                .is_some_and(|w| w.write_flags & FUSE_WRITE_CACHE != 0);
            kind.counted = !writeback;
        }
        _ => {}
    }
    kind
}

/// Sets an SQE's `len` field (offset 24), which io-uring's URING_CMD
/// builder does not expose.
fn set_sqe_len(e: Entry128, len: u32) -> Entry128 {
    const _: () = assert!(std::mem::size_of::<Entry128>() == 128);
    // SAFETY: Entry128 is a repr(C) 128-byte SQE (asserted above); every
    // byte pattern of it is valid, and offset 24 is `len` in the kernel's
    // struct io_uring_sqe.
    unsafe {
        let mut raw: [u8; 128] = std::mem::transmute(e);
        raw[24..28].copy_from_slice(&len.to_ne_bytes());
        std::mem::transmute::<[u8; 128], Entry128>(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_sqe_layout() {
        let e = opcode::UringCmd80::new(types::Fixed(0), FUSE_IO_URING_CMD_REGISTER)
            .addr(Some(0x1234))
            .build()
            .user_data(7);
        let e = set_sqe_len(e, 2);
        // SAFETY: as in set_sqe_len.
        let raw: [u8; 128] = unsafe { std::mem::transmute(e) };
        assert_eq!(raw[0], 46, "IORING_OP_URING_CMD");
        assert_eq!(u32::from_ne_bytes(raw[8..12].try_into().unwrap()), 1);
        assert_eq!(u64::from_ne_bytes(raw[16..24].try_into().unwrap()), 0x1234);
        assert_eq!(u32::from_ne_bytes(raw[24..28].try_into().unwrap()), 2);
        assert_eq!(u64::from_ne_bytes(raw[32..40].try_into().unwrap()), 7);
    }

    #[test]
    fn classify_small_writeback_and_readahead() {
        // SAFETY: the header is plain integers and byte arrays.
        let mut h: fuse_uring_req_header = unsafe { std::mem::zeroed() };
        let set = |b: &mut [u8], at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_ne_bytes());
        let kind = |small, counted, reader, bytes| Kind {
            small,
            counted,
            reader,
            bytes,
        };
        set(&mut h.in_out, 4, FUSE_WRITE);
        set(&mut h.in_out, 32, 77); // pid
        h.ring_ent_in_out.payload_sz = 4096;
        assert_eq!(classify_header(&h), kind(true, true, None, 4096));
        set(&mut h.op_in, 20, FUSE_WRITE_CACHE);
        assert_eq!(classify_header(&h), kind(true, false, None, 4096));
        h.ring_ent_in_out.payload_sz = 1 << 20;
        assert_eq!(classify_header(&h), kind(false, false, None, 1 << 20));
        // READ: size at 16, the file's open flags at 32.
        h.op_in.fill(0);
        set(&mut h.in_out, 4, FUSE_READ);
        h.ring_ent_in_out.payload_sz = 0;
        set(&mut h.op_in, 16, 256 << 10);
        assert_eq!(classify_header(&h), kind(false, true, Some(77), 256 << 10));
        set(&mut h.op_in, 32, libc::O_DIRECT as u32);
        assert_eq!(classify_header(&h), kind(false, true, None, 256 << 10));
        set(&mut h.op_in, 32, 0);
        // A read of a direct_io file, buffered for the application: read_flags at 20.
        set(&mut h.op_in, 20, FUSE_READ_LOCKOWNER);
        assert_eq!(classify_header(&h), kind(false, true, None, 256 << 10));
        set(&mut h.op_in, 20, 0);
        set(&mut h.op_in, 16, 4096);
        assert_eq!(classify_header(&h), kind(true, true, None, 4096));
    }

    #[test]
    fn cpus() {
        assert!(possible_cpus() >= 1);
    }
}
