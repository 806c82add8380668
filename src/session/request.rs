//! Requests: what a `fuse_req_t` points to, their pool, and interrupts.
//!
//! A request is handed to the filesystem as a raw pointer and answered
//! exactly once through a `fuse_reply_*` call, possibly from another thread
//! and after the callback returned. Request objects are never freed while
//! their session lives: a replied request goes to the back of a free list
//! and is reused only after `QUARANTINE` others, so a reply made twice by a
//! buggy filesystem finds a request marked replied, is logged and refused,
//! instead of touching freed memory.

use super::Session;
use crate::capi::types::{fuse_ctx, fuse_interrupt_func_t, fuse_req};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::ffi::c_void;
use std::hash::{BuildHasherDefault, Hasher};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicPtr, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

/// Replied requests kept (per shard) before their objects are reused.
const QUARANTINE: usize = 256;
/// Request bookkeeping is split this many ways, by the thread that
/// received the request, so that ring threads on different CPUs do not
/// share locks or cache lines per request.
const SHARDS: usize = 8;

const FREE: u8 = 0;
const ACTIVE: u8 = 1;

/// What an interrupt needs: the filesystem's function and whether the
/// kernel interrupted the request.
struct Intr {
    func: fuse_interrupt_func_t,
    data: *mut c_void,
    interrupted: bool,
    /// The function was called (it runs at most once).
    notified: bool,
}

pub struct Req {
    pub unique: u64,
    pub opcode: u32,
    pub nodeid: u64,
    pub ctx: fuse_ctx,
    pub se: *const Session,
    /// The device fd the reply goes to (the session's or a cloned one).
    pub fd: RawFd,
    /// COPY_FILE_RANGE_64: fuse_reply_write answers with a 64-bit count.
    pub copy64: bool,
    /// OPEN/CREATE: the open's flags (for passthrough=auto's reply check).
    pub open_flags: i32,
    /// The io-uring entry the request came in (and its reply goes out)
    /// through; null for /dev/fuse.
    pub ring: *const crate::transport::uring::Ent,
    /// A request the library made itself ([`Registry::alloc_internal`]):
    /// its reply goes to `internal`, never to the kernel.
    pub is_internal: bool,
    /// The registry shard the object belongs to.
    shard: u8,
    /// The slot an internal request's reply fills (an `Arc` turned raw;
    /// the first reply takes it).
    internal: AtomicPtr<Internal>,
    state: AtomicU8,
    intr: Mutex<Intr>,
}

/// Where the reply to an internal request lands: 0 or -errno.
#[derive(Default)]
pub struct Internal {
    result: parking_lot::Mutex<Option<i32>>,
    cv: parking_lot::Condvar,
}

impl Internal {
    /// Blocks until the reply came (the filesystem may answer from another
    /// thread, after its callback returned).
    pub fn wait(&self) -> i32 {
        let mut r = self.result.lock();
        while r.is_none() {
            self.cv.wait(&mut r);
        }
        r.unwrap_or(-libc::EIO)
    }

    fn set(&self, error: i32) {
        let mut r = self.result.lock();
        *r = Some(error);
        self.cv.notify_all();
    }
}

// SAFETY: the raw pointers are the session (which outlives its requests)
// and the filesystem's interrupt data, which it shares across threads.
unsafe impl Send for Req {}
// SAFETY: as above; mutable state is atomic or behind the mutex.
unsafe impl Sync for Req {}

impl Req {
    fn blank() -> Req {
        Req {
            unique: 0,
            opcode: 0,
            nodeid: 0,
            ctx: fuse_ctx::default(),
            se: std::ptr::null(),
            fd: -1,
            copy64: false,
            open_flags: 0,
            ring: std::ptr::null(),
            is_internal: false,
            shard: 0,
            internal: AtomicPtr::new(std::ptr::null_mut()),
            state: AtomicU8::new(FREE),
            intr: Mutex::new(Intr {
                func: None,
                data: std::ptr::null_mut(),
                interrupted: false,
                notified: false,
            }),
        }
    }

    /// The request behind a `fuse_req_t`, if it is one still waiting for its
    /// reply.
    ///
    /// # Safety
    /// `req` must be NULL or a pointer handed out by [`Registry::alloc`] of
    /// a live session.
    pub unsafe fn active<'a>(req: *mut fuse_req) -> Option<&'a Req> {
        // SAFETY: per the contract, request objects stay allocated while
        // their session lives.
        let r = unsafe { (req as *const Req).as_ref()? };
        (r.state.load(Ordering::Acquire) == ACTIVE).then_some(r)
    }

    pub fn as_ptr(&self) -> *mut fuse_req {
        self as *const Req as *mut fuse_req
    }

    /// The ring entry of a request that came over io-uring.
    pub fn ring_ent(&self) -> Option<&crate::transport::uring::Ent> {
        // SAFETY: entries live in the session's ring pool, which outlives
        // its requests.
        unsafe { self.ring.as_ref() }
    }

    pub fn session(&self) -> &Session {
        // SAFETY: a request never outlives its session.
        unsafe { &*self.se }
    }

    /// Delivers the reply of an internal request (`error` 0 or -errno) to
    /// the library code waiting for it; only the first reply does.
    pub fn deliver_internal(&self, error: i32) {
        let p = self.internal.swap(std::ptr::null_mut(), Ordering::AcqRel);
        if !p.is_null() {
            // SAFETY: p came from Arc::into_raw in alloc_internal, and the
            // swap gives it to one caller only.
            let slot = unsafe { Arc::from_raw(p) };
            slot.set(error);
        }
    }

    pub fn interrupted(&self) -> bool {
        self.intr.lock().interrupted
    }

    /// `fuse_req_interrupt_func`: registers `func`, calling it at once if
    /// the request was already interrupted. No lock is held during the call.
    ///
    /// # Safety
    /// `func` must be callable with this request and `data`.
    pub unsafe fn set_interrupt_func(&self, func: fuse_interrupt_func_t, data: *mut c_void) {
        let call = {
            let mut i = self.intr.lock();
            i.func = func;
            i.data = data;
            if i.interrupted && !i.notified && func.is_some() {
                i.notified = true;
                func
            } else {
                None
            }
        };
        if let Some(f) = call {
            // SAFETY: the filesystem's function with the request and its data.
            unsafe { f(self.as_ptr(), data) };
        }
    }

    /// Marks the request interrupted and runs its interrupt function, if
    /// one is registered, outside any lock.
    fn interrupt(&self) {
        let call = {
            let mut i = self.intr.lock();
            i.interrupted = true;
            if !i.notified && i.func.is_some() {
                i.notified = true;
                i.func.map(|f| (f, i.data))
            } else {
                None
            }
        };
        if let Some((f, data)) = call {
            // SAFETY: the filesystem's function with the request and its data.
            unsafe { f(self.as_ptr(), data) };
        }
    }
}

/// The session's requests: the pool, those in flight (for interrupts) and
/// INTERRUPT requests whose target has not been seen yet.
#[derive(Default)]
pub struct Registry {
    shards: [Shard; SHARDS],
    /// INTERRUPT requests waiting for their target (libfuse's interrupts list).
    pending_intr: Mutex<VecDeque<(u64, usize)>>,
    /// Its length, so that requests need not lock it while it is empty.
    pending_len: AtomicUsize,
}

/// One thread's share of the registry (threads share a shard when there
/// are more than SHARDS of them).
#[derive(Default)]
#[repr(align(128))]
struct Shard {
    free: Mutex<VecDeque<Box<Req>>>,
    inflight: Mutex<HashMap<u64, usize, BuildHasherDefault<UniqueHasher>>>,
}

/// The shard of the calling thread, given out round-robin.
fn my_shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static MINE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    MINE.with(|m| *m)
}

/// Request uniques come from the kernel: a multiply mixes them enough,
/// for a fraction of SipHash's cost.
#[derive(Default)]
struct UniqueHasher(u64);

impl Hasher for UniqueHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// What [`Registry::alloc`] found among the pending interrupts.
pub enum Pending {
    None,
    /// An INTERRUPT request that matched nothing yet: answer it EAGAIN so
    /// the kernel sends it again (libfuse does this on the next request).
    Stale(*mut fuse_req),
}

impl Registry {
    /// A request object for a new request from the kernel.
    #[allow(clippy::too_many_arguments)]
    pub fn alloc(
        &self,
        se: &Session,
        unique: u64,
        opcode: u32,
        nodeid: u64,
        ctx: fuse_ctx,
        fd: RawFd,
        track: bool,
    ) -> (*mut fuse_req, Pending) {
        let shard = my_shard();
        let mut r = {
            let mut free = self.shards[shard].free.lock();
            if free.len() > QUARANTINE {
                free.pop_front()
            } else {
                None
            }
        }
        .unwrap_or_else(|| Box::new(Req::blank()));
        r.unique = unique;
        r.opcode = opcode;
        r.nodeid = nodeid;
        r.ctx = ctx;
        r.se = se;
        r.fd = fd;
        r.copy64 = false;
        r.open_flags = 0;
        r.ring = std::ptr::null();
        r.is_internal = false;
        r.shard = shard as u8;
        *r.internal.get_mut() = std::ptr::null_mut();
        *r.intr.get_mut() = Intr {
            func: None,
            data: std::ptr::null_mut(),
            interrupted: false,
            notified: false,
        };
        r.state.store(ACTIVE, Ordering::Release);
        let ptr = Box::into_raw(r);
        let mut pending = Pending::None;
        if track {
            // An interrupt that arrived before its request (libfuse's
            // check_interrupt). One racing with this check is caught as
            // stale by the next request, as with the lock alone.
            let matched = if self.pending_len.load(Ordering::Acquire) == 0 {
                None
            } else {
                let mut p = self.pending_intr.lock();
                let m = match p.iter().position(|(target, _)| *target == unique) {
                    Some(i) => p.remove(i).map(|(_, r)| r),
                    None => {
                        if let Some((_, stale)) = p.pop_front() {
                            pending = Pending::Stale(stale as *mut fuse_req);
                        }
                        None
                    }
                };
                self.pending_len.store(p.len(), Ordering::Release);
                m
            };
            if let Some(intr_req) = matched {
                // SAFETY: ptr is the object we just made; it is ours until
                // it is published to the filesystem.
                unsafe { (*ptr).intr.get_mut().interrupted = true };
                self.release(intr_req as *mut Req);
            }
            self.shards[shard]
                .inflight
                .lock()
                .insert(unique, ptr as usize);
        }
        (ptr as *mut fuse_req, pending)
    }

    /// A request the library sends its filesystem on its own behalf (as
    /// the kernel would have): not tracked for interrupts, answered into
    /// `slot`.
    pub fn alloc_internal(
        &self,
        se: &Session,
        opcode: u32,
        nodeid: u64,
        ctx: fuse_ctx,
        slot: &Arc<Internal>,
    ) -> *mut fuse_req {
        let (ptr, _) = self.alloc(se, 0, opcode, nodeid, ctx, -1, false);
        // SAFETY: ptr is the object alloc just made; the filesystem has not
        // seen it yet.
        let r = unsafe { &mut *(ptr as *mut Req) };
        r.is_internal = true;
        *r.internal.get_mut() = Arc::into_raw(slot.clone()) as *mut Internal;
        ptr
    }

    /// Ends a request: the next reply to it is refused. Returns false if it
    /// was not active (a second reply).
    pub fn finish(&self, req: &Req) -> bool {
        if req
            .state
            .compare_exchange(ACTIVE, FREE, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        {
            let mut inflight = self.shards[usize::from(req.shard)].inflight.lock();
            if inflight.get(&req.unique) == Some(&(req as *const Req as usize)) {
                inflight.remove(&req.unique);
            }
        }
        {
            let mut i = req.intr.lock();
            i.func = None;
            i.data = std::ptr::null_mut();
        }
        self.release(req as *const Req as *mut Req);
        true
    }

    /// Puts a finished request object at the back of the free list.
    fn release(&self, req: *mut Req) {
        // SAFETY: every Req pointer we hand out comes from Box::into_raw,
        // and it is released exactly once per use (finish's state change, or
        // an INTERRUPT request consumed without reply).
        let b = unsafe { Box::from_raw(req) };
        b.state.store(FREE, Ordering::Release);
        self.shards[usize::from(b.shard)].free.lock().push_back(b);
    }

    /// An INTERRUPT for `target` arrived (as request `intr_req`): interrupt
    /// it if it is in flight (the INTERRUPT itself then gets no reply, as in
    /// libfuse), else keep the INTERRUPT until its target shows up.
    pub fn interrupt(&self, target: u64, intr_req: *mut fuse_req) {
        let found = self
            .shards
            .iter()
            .find_map(|sh| sh.inflight.lock().get(&target).copied());
        // SAFETY: intr_req was made by alloc and is still ours.
        let intr = unsafe { &*(intr_req as *const Req) };
        match found {
            Some(t) => {
                intr.state.store(FREE, Ordering::Release);
                self.release(intr_req as *mut Req);
                // SAFETY: in-flight objects stay allocated (see the module
                // docs); if it was replied meanwhile, interrupting its
                // reused object is harmless: the state check below.
                let t = unsafe { &*(t as *const Req) };
                if t.state.load(Ordering::Acquire) == ACTIVE && t.unique == target {
                    t.interrupt();
                }
            }
            None => {
                let mut p = self.pending_intr.lock();
                if p.iter().any(|(u, _)| *u == target) {
                    drop(p);
                    intr.state.store(FREE, Ordering::Release);
                    self.release(intr_req as *mut Req);
                } else {
                    p.push_back((target, intr_req as usize));
                    self.pending_len.store(p.len(), Ordering::Release);
                }
            }
        }
    }

    /// Frees every pooled object (the session is going away).
    pub fn clear(&self) {
        for sh in &self.shards {
            sh.free.lock().clear();
        }
        let pending: Vec<_> = self.pending_intr.lock().drain(..).collect();
        self.pending_len.store(0, Ordering::Release);
        for (_, r) in pending {
            // SAFETY: pending INTERRUPT requests were never handed to C.
            drop(unsafe { Box::from_raw(r as *mut Req) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat::Abi;

    fn session() -> Box<Session> {
        Session::new(
            Abi::V3_17,
            Default::default(),
            Default::default(),
            std::ptr::null_mut(),
            Default::default(),
        )
    }

    fn req(p: *mut fuse_req) -> &'static Req {
        // SAFETY: objects from the registry stay allocated while it lives,
        // and every test keeps its session alive past its last use.
        unsafe { &*(p as *const Req) }
    }

    /// Requests are kept in the receiving thread's shard; an INTERRUPT
    /// read on another thread still finds them, in flight or later.
    #[test]
    fn interrupts_cross_shards() {
        let se = session();
        let ctx = fuse_ctx::default();
        let se_addr = &*se as *const Session as usize;
        // A request received on another thread, in flight.
        let target = std::thread::spawn(move || {
            // SAFETY: the session outlives this thread (joined below).
            let se = unsafe { &*(se_addr as *const Session) };
            se.reqs.alloc(se, 10, 15, 1, ctx, -1, true).0 as usize
        })
        .join()
        .unwrap() as *mut fuse_req;
        assert!(!req(target).interrupted());
        let (intr, _) = se.reqs.alloc(&se, 11, 36, 0, ctx, -1, false);
        se.reqs.interrupt(10, intr);
        assert!(req(target).interrupted());
        assert!(se.reqs.finish(req(target)));
        assert!(!se.reqs.finish(req(target)), "a second finish is refused");

        // An INTERRUPT before its request: the request, received on
        // another thread, comes in interrupted.
        let (intr, _) = se.reqs.alloc(&se, 13, 36, 0, ctx, -1, false);
        se.reqs.interrupt(12, intr);
        let late = std::thread::spawn(move || {
            // SAFETY: as above.
            let se = unsafe { &*(se_addr as *const Session) };
            let (p, pending) = se.reqs.alloc(se, 12, 15, 1, ctx, -1, true);
            assert!(matches!(pending, Pending::None));
            p as usize
        })
        .join()
        .unwrap() as *mut fuse_req;
        assert!(req(late).interrupted());
        assert!(se.reqs.finish(req(late)));
        // Nothing pending any more: the next request is not interrupted.
        let (next, _) = se.reqs.alloc(&se, 14, 15, 1, ctx, -1, true);
        assert!(!req(next).interrupted());
        assert!(se.reqs.finish(req(next)));
        se.reqs.clear();
    }

    #[test]
    fn unique_hasher_spreads_sequential_ids() {
        use std::hash::BuildHasher;
        let b = BuildHasherDefault::<UniqueHasher>::default();
        // hashbrown takes its control byte from the top 7 bits.
        let tops: std::collections::HashSet<u64> =
            (0..256u64).map(|u| b.hash_one(u * 2) >> 57).collect();
        assert!(tops.len() > 64, "{}", tops.len());
    }
}
