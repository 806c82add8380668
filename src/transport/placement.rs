//! Where a ring thread runs, and at which scheduling policy.
//!
//! The kernel puts a request on the queue of the CPU its application runs
//! on, and the ring thread serving that queue is pinned to that CPU. For an
//! application that waits for each request this would be ideal, one CPU
//! trading back and forth, but the scheduler undoes it: the ring thread
//! wakes the application while it is still running, so the scheduler sends
//! the application to an idle CPU, and every request then pays a
//! cross-CPU wake-up of an idle CPU (and the application's next request
//! goes to the other queue). A CPU that runs only SCHED_IDLE threads counts
//! as idle, so a ring thread at SCHED_IDLE keeps the application where it
//! is; the application preempts it at once, asks for the next request and
//! sleeps, and the ring thread goes on. [`Yield`] does that while the thread
//! is at home and the machine has CPUs to spare, since a SCHED_IDLE thread
//! gets almost no CPU next to a busy one (and, starved so, could hold a
//! lock of the backing filesystem that others wait for): it does not start
//! while more threads are runnable than there are CPUs, and stops when
//! that happens or when the thread waits for its CPU. [`Placement`] moves
//! the thread away when its application keeps several requests in flight.

use once_cell::sync::OnceCell;
use std::io::Read;
use std::time::{Duration, Instant};

/// `FERROFUSE_URING_AFFINITY=home` keeps every ring thread on its queue's
/// CPU (libfuse's placement); the default, `adaptive`, lets it move.
pub fn adaptive_affinity() -> bool {
    std::env::var("FERROFUSE_URING_AFFINITY").map_or(true, |v| v != "home")
}

/// Where a pinned ring thread runs. The kernel queues a request on the
/// queue of the CPU its application runs on, and the ring thread serving
/// that queue starts on the same CPU: right for an application that waits
/// for each request (no cross-CPU wake-ups). An application that keeps
/// several requests in flight instead competes with the thread for that
/// CPU while other CPUs may idle; the sign is that each wake-up brings
/// several requests. Then the thread moves to the other CPUs, and back
/// when requests come one at a time again. Writeback WRITEs are not
/// counted: they come in bursts from the kernel's flusher, whatever the
/// application does. Readahead READs count as several: the reader does
/// not wait for them (see [`Placement::READAHEAD`]).
#[derive(Default)]
pub struct Placement {
    /// Requests over the current window's wake-ups.
    sum: u32,
    wakes: u32,
    /// Readahead READs among them.
    ahead: u32,
    pub away: bool,
}

impl Placement {
    /// Wake-ups per decision.
    const WINDOW: u32 = 64;
    /// Requests per wake-up, in tenths, to move away, and to come back.
    const AWAY_AT: u32 = 30;
    const HOME_BELOW: u32 = 15;
    /// What one big buffered READ counts for while the machine has a CPU
    /// for it: readahead, which its reader does not wait for, is as good as
    /// several requests in flight (above AWAY_AT on its own). On one CPU
    /// the reader and the ring thread take turns; apart, the reader copies
    /// one window while the next is read. With as many readers as CPUs
    /// there is no CPU to spare, and a thread that moves only trades CPUs
    /// with another reader and loses its cache: it counts as one.
    pub const READAHEAD: u32 = 4;

    /// Records a wake-up that brought `got` requests, `ahead` of them
    /// readahead; `spare` tells, once per window with readahead, whether
    /// fewer applications read ahead than there are CPUs; `idle`, once per
    /// window that would send the thread away, whether some CPU runs no
    /// application (without one, moving only trades CPUs with another
    /// application's ring thread). Some(away) when the thread should move.
    pub fn record(
        &mut self,
        got: u32,
        ahead: u32,
        spare: impl FnOnce() -> bool,
        idle: impl FnOnce() -> bool,
    ) -> Option<bool> {
        self.sum = self.sum.saturating_add(got);
        self.ahead = self.ahead.saturating_add(ahead);
        self.wakes += 1;
        if self.wakes < Self::WINDOW {
            return None;
        }
        if self.ahead > 0 && spare() {
            self.sum = self
                .sum
                .saturating_add(self.ahead.saturating_mul(Self::READAHEAD - 1));
        }
        self.ahead = 0;
        let per_wake = self.sum.saturating_mul(10) / self.wakes;
        self.sum = 0;
        self.wakes = 0;
        let away = if self.away {
            per_wake >= Self::HOME_BELOW
        } else {
            per_wake >= Self::AWAY_AT
        } && idle();
        if away == self.away {
            return None;
        }
        self.away = away;
        Some(away)
    }
}

/// A ring's record of its last reader, for [`recent_readers`]: pid << 32 |
/// ms. The ms are at least 1, since 0 stands for no reader.
pub fn reader_stamp(pid: u32, ms: u32) -> u64 {
    (u64::from(pid) << 32) | u64::from(ms.max(1))
}

/// How many applications read ahead over the rings lately: `stamps` holds
/// each ring's last reader ([`reader_stamp`], 0 for none), `now` the clock
/// of those ms. A pid of 0 (the kernel's for an application outside the
/// daemon's pid namespace) is counted once per ring it came over, so that
/// two such readers never pass for one: that would move ring threads off
/// CPUs nobody spares.
pub fn recent_readers(stamps: impl Iterator<Item = u64>, now: u32, recent_ms: u32) -> u32 {
    let mut pids: Vec<u32> = Vec::new();
    let mut unknown = 0;
    for v in stamps {
        let (pid, at) = ((v >> 32) as u32, v as u32);
        // (A stamp's ms are never 0: 0 is no reader.)
        if !is_recent(at, now, recent_ms) {
            continue;
        }
        if pid == 0 {
            unknown += 1;
        } else if !pids.contains(&pid) {
            pids.push(pid);
        }
    }
    pids.len() as u32 + unknown
}

/// How many of `stamps` (ms, 0 for never) lie at most `recent_ms` before
/// `now`.
pub fn recent_stamps(stamps: impl Iterator<Item = u32>, now: u32, recent_ms: u32) -> u32 {
    stamps.filter(|&at| is_recent(at, now, recent_ms)).count() as u32
}

/// Whether `at` (ms, 0 for never) lies at most `recent_ms` before `now`
/// (the clock may have wrapped between them).
fn is_recent(at: u32, now: u32, recent_ms: u32) -> bool {
    at != 0 && now.wrapping_sub(at) <= recent_ms
}

/// CPUs online now (at least 1).
pub fn online_cpus() -> u32 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1) as u32
}

/// `FERROFUSE_URING_YIELD=0` keeps ring threads at the normal policy.
fn yield_wanted() -> bool {
    std::env::var("FERROFUSE_URING_YIELD").map_or(true, |v| v != "0")
}

/// Sets the calling thread's policy (SCHED_IDLE or SCHED_OTHER, priority 0).
fn set_policy(policy: libc::c_int) -> bool {
    let p = libc::sched_param { sched_priority: 0 };
    // SAFETY: pid 0 is the calling thread; `p` is a valid sched_param.
    unsafe { libc::sched_setscheduler(0, policy, &p) == 0 }
}

/// The calling thread's policy.
fn policy() -> libc::c_int {
    // SAFETY: pid 0 is the calling thread.
    unsafe { libc::sched_getscheduler(0) }
}

/// Why ring threads do not yield, or None when they may. Leaving
/// SCHED_IDLE needs CAP_SYS_NICE or a RLIMIT_NICE allowance, and a thread
/// that cannot leave it stays starved, so a throwaway thread tries the
/// round trip first (once per process).
pub fn yield_refused() -> Option<&'static str> {
    static PROBE: OnceCell<Option<&'static str>> = OnceCell::new();
    if !yield_wanted() {
        return Some("FERROFUSE_URING_YIELD=0");
    }
    *PROBE.get_or_init(|| {
        std::thread::spawn(|| {
            if policy() != libc::SCHED_OTHER {
                Some("the daemon runs at another scheduling policy")
            } else if SchedStat::open().is_none() {
                Some("no /proc/thread-self/schedstat")
            } else if !set_policy(libc::SCHED_IDLE) || !set_policy(libc::SCHED_OTHER) {
                Some("no permission to return from SCHED_IDLE")
            } else {
                None
            }
        })
        .join()
        .unwrap_or(Some("probe failed"))
    })
}

/// The calling thread's scheduler statistics: nanoseconds spent waiting
/// for a CPU, and time slices run.
struct SchedStat(std::fs::File);

impl SchedStat {
    fn open() -> Option<SchedStat> {
        std::fs::File::open("/proc/thread-self/schedstat")
            .ok()
            .map(SchedStat)
    }

    fn read(&mut self) -> Option<(u64, u64)> {
        use std::io::Seek;
        let mut buf = [0u8; 96];
        self.0.rewind().ok()?;
        let n = self.0.read(&mut buf).ok()?;
        let mut it = std::str::from_utf8(&buf[..n]).ok()?.split_whitespace();
        let _run = it.next()?;
        let delay = it.next()?.parse().ok()?;
        let slices = it.next()?.parse().ok()?;
        Some((delay, slices))
    }
}

/// Threads runnable on the machine now (the fourth field of
/// /proc/loadavg, `running/total`).
struct Runnable(std::fs::File);

impl Runnable {
    fn open() -> Option<Runnable> {
        std::fs::File::open("/proc/loadavg").ok().map(Runnable)
    }

    fn read(&mut self) -> Option<u32> {
        use std::io::Seek;
        let mut buf = [0u8; 128];
        self.0.rewind().ok()?;
        let n = self.0.read(&mut buf).ok()?;
        let field = std::str::from_utf8(&buf[..n])
            .ok()?
            .split_whitespace()
            .nth(3)?;
        field.split('/').next()?.parse().ok()
    }
}

/// Why a ring thread stopped yielding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// It waited for its CPU.
    Starved,
    /// More threads were runnable than there are CPUs.
    Crowded,
}

/// A ring thread's SCHED_IDLE while at home, with its guard.
pub struct Yield {
    stat: SchedStat,
    runnable: Runnable,
    cpus: u32,
    guard: Guard,
}

impl Yield {
    /// For the calling (ring) thread, when yielding is allowed and the
    /// thread is at the normal policy.
    pub fn new() -> Option<Yield> {
        if yield_refused().is_some() || policy() != libc::SCHED_OTHER {
            return None;
        }
        let cpus = online_cpus();
        Some(Yield {
            stat: SchedStat::open()?,
            runnable: Runnable::open()?,
            cpus,
            guard: Guard::default(),
        })
    }

    /// After a wake-up that brought requests; `home`: the thread is on its
    /// queue's CPU. Some(why) when it stopped yielding. A failed policy
    /// change ends yielding for this thread.
    pub fn step(this: &mut Option<Yield>, home: bool) -> Option<Stop> {
        let y = this.as_mut()?;
        let (stat, runnable, cpus) = (&mut y.stat, &mut y.runnable, y.cpus);
        let (to, stop) = y.guard.step(
            Instant::now(),
            home,
            || stat.read(),
            // (The reading thread itself is one of them.)
            || runnable.read().is_some_and(|n| n > cpus),
        );
        match to {
            Some(true) if !set_policy(libc::SCHED_IDLE) => *this = None,
            Some(false) if !set_policy(libc::SCHED_OTHER) => *this = None,
            _ => {}
        }
        stop
    }
}

/// When a ring thread yields (the decisions, apart from the system calls).
#[derive(Default)]
struct Guard {
    /// At SCHED_IDLE now, since when.
    idle_since: Option<Instant>,
    /// The last check, and the statistics then.
    checked: Option<Instant>,
    base: (u64, u64),
    /// No yielding before this (after a stop).
    hold_until: Option<Instant>,
    hold: Duration,
}

impl Guard {
    /// How often, at most, the statistics are read.
    const CHECK: Duration = Duration::from_millis(1);
    /// Mean wait for the CPU per time slice that stops yielding: far above
    /// what the application's own work between requests makes (a few µs
    /// per slice on direct reads, tens on buffered ones), far below what a
    /// busy process on the same CPU imposes on a SCHED_IDLE thread (about
    /// 20 ms per wake-up here).
    const STARVED_NS: u64 = 1_000_000;
    /// Time at the normal policy after a stop; it doubles while stops
    /// follow each other, up to `MAX_HOLD`.
    const FIRST_HOLD: Duration = Duration::from_secs(1);
    const MAX_HOLD: Duration = Duration::from_secs(64);

    /// Returns the policy to switch to (Some(true): SCHED_IDLE), and why
    /// yielding stopped, if it did. `read` gives the thread's (run delay
    /// ns, slices); `crowded` whether more threads are runnable than there
    /// are CPUs.
    fn step(
        &mut self,
        now: Instant,
        home: bool,
        mut read: impl FnMut() -> Option<(u64, u64)>,
        mut crowded: impl FnMut() -> bool,
    ) -> (Option<bool>, Option<Stop>) {
        let held = self.hold_until.is_some_and(|t| now < t);
        let recent = self
            .checked
            .is_some_and(|c| now.duration_since(c) < Self::CHECK);
        let Some(since) = self.idle_since else {
            if !home || held || recent {
                return (None, None);
            }
            self.checked = Some(now);
            if crowded() {
                return (None, None);
            }
            let Some(base) = read() else {
                return (None, None);
            };
            self.base = base;
            self.idle_since = Some(now);
            return (Some(true), None);
        };
        if !home {
            self.idle_since = None;
            return (Some(false), None);
        }
        if recent {
            return (None, None);
        }
        let Some(cur) = read() else {
            return (None, None);
        };
        let delay = cur.0.saturating_sub(self.base.0);
        let slices = cur.1.saturating_sub(self.base.1);
        self.base = cur;
        self.checked = Some(now);
        let stop = if slices > 0 && delay / slices > Self::STARVED_NS {
            Some(Stop::Starved)
        } else if crowded() {
            Some(Stop::Crowded)
        } else {
            None
        };
        if stop.is_some() {
            self.hold = if self.hold.is_zero() {
                Self::FIRST_HOLD
            } else {
                (self.hold * 2).min(Self::MAX_HOLD)
            };
            self.hold_until = Some(now + self.hold);
            self.idle_since = None;
            return (Some(false), stop);
        }
        // Yielded longer than the last hold without a stop: contention is
        // over, the next stop starts from the first hold again.
        if now.duration_since(since) >= self.hold {
            self.hold = Duration::ZERO;
        }
        (None, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_moves_with_the_requests_per_wake() {
        let mut p = Placement::default();
        let window = |p: &mut Placement, got: u32| {
            let mut out = None;
            for _ in 0..Placement::WINDOW {
                if let Some(a) = p.record(got, 0, || panic!("no readahead"), || true) {
                    assert!(out.is_none(), "one decision per window");
                    out = Some(a);
                }
            }
            out
        };
        // One request per wake-up (a waiting application): stay home.
        assert_eq!(window(&mut p, 1), None);
        assert_eq!(window(&mut p, 2), None);
        // Several per wake-up: move away, and stay while they keep coming.
        assert_eq!(window(&mut p, 3), Some(true));
        assert_eq!(window(&mut p, 2), None);
        // One at a time again: back home.
        assert_eq!(window(&mut p, 1), Some(false));
        assert_eq!(window(&mut p, 1), None);
        // An average, not single wake-ups: a burst alone does not move it.
        for i in 0..Placement::WINDOW {
            assert_eq!(
                p.record(if i == 0 { 64 } else { 1 }, 0, || false, || true),
                None
            );
        }
    }

    #[test]
    fn readahead_moves_the_thread_while_a_cpu_is_spare() {
        let window = |p: &mut Placement, spare: bool| {
            let mut out = None;
            for _ in 0..Placement::WINDOW {
                if let Some(a) = p.record(1, 1, || spare, || true) {
                    out = Some(a);
                }
            }
            out
        };
        let mut p = Placement::default();
        // One readahead READ per wake-up, one reader: away, and it stays.
        assert_eq!(window(&mut p, true), Some(true));
        assert_eq!(window(&mut p, true), None);
        // As many readers as CPUs: each READ counts as one, back home.
        assert_eq!(window(&mut p, false), Some(false));
        assert_eq!(window(&mut p, false), None);
        // Not asked about spare CPUs without readahead.
        let mut p = Placement::default();
        for _ in 0..Placement::WINDOW {
            assert_eq!(p.record(1, 0, || panic!("asked"), || true), None);
        }
    }

    #[test]
    fn the_thread_moves_only_to_a_cpu_no_application_runs_on() {
        let window = |p: &mut Placement, got: u32, idle: bool| {
            let mut out = None;
            for _ in 0..Placement::WINDOW {
                if let Some(a) = p.record(got, 0, || panic!("no readahead"), || idle) {
                    out = Some(a);
                }
            }
            out
        };
        let mut p = Placement::default();
        // Several requests per wake-up, but every CPU runs an application
        // (two of them, each on its CPU): stay home.
        assert_eq!(window(&mut p, 4, false), None);
        assert!(!p.away);
        // One of them gone: away.
        assert_eq!(window(&mut p, 4, true), Some(true));
        // It comes back (or another starts): home again, although the
        // requests per wake-up would keep the thread away.
        assert_eq!(window(&mut p, 4, false), Some(false));
        // Not asked while the requests alone keep the thread home.
        assert_eq!(
            (0..Placement::WINDOW)
                .map(|_| p.record(1, 0, || false, || panic!("asked")))
                .find(Option::is_some),
            None
        );
    }

    #[test]
    fn busy_queues_are_the_recent_stamps() {
        let count = |v: &[u32], now| recent_stamps(v.iter().copied(), now, 20);
        assert_eq!(count(&[990, 1000], 1000), 2);
        assert_eq!(count(&[979, 1000], 1000), 1);
        // Never stamped.
        assert_eq!(count(&[0, 0], 10), 0);
        // Across the clock's wrap.
        assert_eq!(count(&[u32::MAX - 5, 3], 3), 2);
    }

    #[test]
    fn readers_are_counted_by_pid_and_unknown_ones_per_ring() {
        let at = reader_stamp;
        let count = |v: &[u64]| recent_readers(v.iter().copied(), 1000, 100);
        // One application over two rings is one reader.
        assert_eq!(count(&[at(7, 950), at(7, 990)]), 1);
        assert_eq!(count(&[at(7, 950), at(8, 990)]), 2);
        // Too old, or no reader at all.
        assert_eq!(count(&[at(7, 850), 0]), 0);
        // Pid 0 at ms 0 is still a reader, not an empty record.
        assert_eq!(recent_readers([at(0, 0)].into_iter(), 50, 100), 1);
        // Readers the kernel shows as pid 0 may be several: one per ring.
        assert_eq!(count(&[at(0, 950), at(0, 990)]), 2);
        assert_eq!(count(&[at(0, 950), at(7, 990)]), 2);
    }

    #[test]
    fn guard_yields_at_home_and_stops_when_starved() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let calm = || false;
        let mut g = Guard::default();
        let mut stat = (0u64, 0u64);
        // Away from home: nothing to do.
        assert_eq!(g.step(ms(0), false, || Some(stat), calm), (None, None));
        // At home: SCHED_IDLE.
        assert_eq!(g.step(ms(0), true, || Some(stat), calm), (Some(true), None));
        // Short waits (2 µs per slice), checked at most once per ms.
        stat = (200_000, 100);
        assert_eq!(
            g.step(
                ms(0),
                true,
                || panic!("read too soon"),
                || panic!("read too soon")
            ),
            (None, None)
        );
        assert_eq!(g.step(ms(2), true, || Some(stat), calm), (None, None));
        // A wake-up that waited 20 ms for the CPU: back to normal, held 1 s.
        stat = (20_200_000, 101);
        let starved = (Some(false), Some(Stop::Starved));
        assert_eq!(g.step(ms(30), true, || Some(stat), calm), starved);
        assert_eq!(g.step(ms(500), true, || Some(stat), calm), (None, None));
        // After the hold it yields again; starved again at once: 2 s hold.
        assert_eq!(
            g.step(ms(1030), true, || Some(stat), calm),
            (Some(true), None)
        );
        stat = (40_200_000, 102);
        assert_eq!(g.step(ms(1050), true, || Some(stat), calm), starved);
        assert_eq!(g.step(ms(2900), true, || Some(stat), calm), (None, None));
        assert_eq!(
            g.step(ms(3050), true, || Some(stat), calm),
            (Some(true), None)
        );
        // Leaving home ends yielding without a stop.
        assert_eq!(
            g.step(ms(3060), false, || Some(stat), calm),
            (Some(false), None)
        );
        // Yielding clean for longer than the hold resets it to 1 s.
        assert_eq!(
            g.step(ms(3070), true, || Some(stat), calm),
            (Some(true), None)
        );
        stat = (40_300_000, 200);
        assert_eq!(g.step(ms(6000), true, || Some(stat), calm), (None, None));
        stat = (60_300_000, 201);
        assert_eq!(g.step(ms(6010), true, || Some(stat), calm), starved);
        assert_eq!(g.step(ms(7000), true, || Some(stat), calm), (None, None));
        assert_eq!(
            g.step(ms(7011), true, || Some(stat), calm),
            (Some(true), None)
        );
        // No statistics: it never starts.
        let mut g = Guard::default();
        assert_eq!(g.step(ms(0), true, || None, calm), (None, None));
    }

    #[test]
    fn guard_does_not_yield_on_a_crowded_machine() {
        let t0 = Instant::now();
        let us = |n: u64| t0 + Duration::from_micros(n);
        let stat = || Some((0u64, 0u64));
        let never = || -> Option<(u64, u64)> { panic!("read too soon") };
        let mut g = Guard::default();
        // More runnable threads than CPUs: it does not start, and asks
        // again at most once per ms.
        assert_eq!(g.step(us(0), true, stat, || true), (None, None));
        assert_eq!(
            g.step(us(500), true, never, || panic!("asked too soon")),
            (None, None)
        );
        assert_eq!(g.step(us(1500), true, stat, || false), (Some(true), None));
        // Crowded while yielding: back to normal, held 1 s.
        let crowded = (Some(false), Some(Stop::Crowded));
        assert_eq!(g.step(us(3000), true, stat, || true), crowded);
        assert_eq!(
            g.step(us(900_000), true, never, || panic!("held")),
            (None, None)
        );
        assert_eq!(
            g.step(us(1_003_000), true, stat, || false),
            (Some(true), None)
        );
        // Again at once: 2 s.
        assert_eq!(g.step(us(1_005_000), true, stat, || true), crowded);
        assert_eq!(
            g.step(us(2_900_000), true, never, || panic!("held")),
            (None, None)
        );
        assert_eq!(
            g.step(us(3_005_000), true, stat, || false),
            (Some(true), None)
        );
    }

    #[test]
    fn loadavg_reads() {
        let mut r = Runnable::open().expect("/proc/loadavg");
        // At least this thread runs.
        assert!(r.read().expect("parse") >= 1);
    }

    #[test]
    fn schedstat_reads() {
        let mut s = SchedStat::open().expect("schedstat");
        let (_, a) = s.read().expect("parse");
        std::thread::yield_now();
        let (_, b) = s.read().expect("parse");
        assert!(b >= a);
    }
}
