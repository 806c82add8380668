//! Memory for request buffers: anonymous, lazily backed mappings, and
//! transparent huge pages for the bulk of big buffers.
//!
//! Big requests and replies (a 1 MiB READ's data, a writeback WRITE's
//! payload) are copied by the kernel into or out of a ring entry's payload
//! buffer and by the filesystem to or from its backing file: over 4 KiB
//! pages each copy walks 256 page-table entries per MiB, over 2 MiB pages
//! one (here 5-8% less daemon CPU for 1 MiB direct reads and writeback
//! writes over the ring; /dev/fuse's per-thread buffers gained too little
//! for the memory of many workers, and stay as they are). A buffer
//! keeps its first [`HEAD`] bytes in normal pages, so a buffer that only
//! ever carries small requests (4 KiB reads, metadata) costs no huge page;
//! the part past it asks for huge pages (`MADV_HUGEPAGE`), which the kernel
//! backs on first touch where it has them (and with 4 KiB pages where it
//! has not), once the buffer carried a request of more than a quarter of
//! a huge page ([`wants_huge`], [`promote`]): for less (256 KiB readahead
//! READs, say) a huge page would hold 8 times the memory the request
//! touches and save little.
//! `FERROFUSE_HUGEPAGES=0` turns that off.

use once_cell::sync::OnceCell;

/// An anonymous, lazily backed, zero-filled mapping.
pub struct Region {
    pub ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is owned by the Region alone; who may touch which
// bytes is up to its users (ring entries, by the protocol).
unsafe impl Send for Region {}
// SAFETY: as above.
unsafe impl Sync for Region {}

impl Region {
    pub fn new(len: usize) -> Result<Region, i32> {
        // SAFETY: a fresh private anonymous mapping; no existing memory is touched.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len.max(1),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(super::errno());
        }
        Ok(Region {
            ptr: p.cast(),
            len: len.max(1),
        })
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: our own mapping; nothing refers to it any more (its owner
        // is being dropped).
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

/// Bytes at the start of a buffer that stay in normal pages: more than any
/// small request or reply (the ring's "small" limit is 32 KiB).
pub const HEAD: usize = 64 << 10;

/// The huge page size, when transparent huge pages can be asked for
/// (not `never`) and `FERROFUSE_HUGEPAGES` is not `0`.
pub fn size() -> Option<usize> {
    static SIZE: OnceCell<Option<usize>> = OnceCell::new();
    *SIZE.get_or_init(|| {
        if std::env::var("FERROFUSE_HUGEPAGES").is_ok_and(|v| v == "0") {
            return None;
        }
        let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").ok()?;
        if mode.contains("[never]") {
            return None;
        }
        std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size")
            .ok()?
            .trim()
            .parse()
            .ok()
            .filter(|&s: &usize| s.is_power_of_two() && s > HEAD)
    })
}

/// Where a buffer goes in memory starting at `addr` so that its part past
/// [`HEAD`] starts on a huge page: the offset from `addr` (below `huge`).
pub fn offset(addr: usize, huge: usize) -> usize {
    (huge - (addr + HEAD) % huge) % huge
}

/// The bytes a buffer of `len` bytes spans with huge pages: its tail
/// rounded up to whole huge pages (the kernel gives a huge page only to a
/// range wholly inside an advised mapping).
pub fn span(len: usize, huge: usize) -> usize {
    if len <= HEAD {
        len
    } else {
        HEAD + (len - HEAD).next_multiple_of(huge)
    }
}

/// The distance between buffers of `len` bytes placed one after another
/// (the first by [`offset`]) so that each tail starts on a huge page and
/// no tail's huge pages reach into the next buffer's head.
pub fn stride(len: usize, huge: usize) -> usize {
    span(len, huge).next_multiple_of(huge)
}

/// Asks for huge pages for the tail of the buffer of `len` bytes at `buf`
/// (placed by [`offset`], with [`span`] bytes of mapping). Only advice:
/// failure changes nothing. False when the buffer has no tail to advise
/// (too short, or not placed by [`offset`]).
pub fn advise(buf: *mut u8, len: usize, huge: usize) -> bool {
    let start = buf as usize + HEAD;
    if len <= HEAD || start % huge != 0 {
        return false;
    }
    // SAFETY: madvise only changes how the kernel backs these pages of the
    // caller's own private anonymous mapping (start is page aligned; the
    // caller's mapping covers `span` bytes); their contents are kept.
    unsafe {
        libc::madvise(
            start as *mut libc::c_void,
            span(len, huge) - HEAD,
            libc::MADV_HUGEPAGE,
        )
    };
    true
}

/// Whether a buffer that carried `bytes` of data (a request's payload or
/// its reply) earns huge pages: it then fills more than a quarter of the
/// first (a 1 MiB request, less its 16-byte header, does; a 256 KiB
/// readahead READ does not).
pub fn wants_huge(bytes: usize, huge: usize) -> bool {
    bytes > huge / 4
}

/// Gives the tail of the buffer of `len` bytes at `buf` (placed by
/// [`offset`]) huge pages from now on, its contents kept: advises it, and
/// collapses what earlier, smaller requests faulted in with normal pages
/// (the kernel gives a huge page on fault only to a range without page
/// table yet). Those requests reached at most [`wants_huge`]'s threshold,
/// inside the first huge page. Only advice: failure changes nothing.
pub fn promote(buf: *mut u8, len: usize, huge: usize) {
    if !advise(buf, len, huge) {
        return;
    }
    let start = buf.wrapping_add(HEAD);
    // SAFETY: the caller's private anonymous mapping covers the tail's
    // `span` bytes (at least one huge page); MADV_COLLAPSE copies their
    // contents onto a huge page, which the process cannot tell apart.
    unsafe { libc::madvise(start.cast(), huge, libc::MADV_COLLAPSE) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_puts_the_tail_on_a_huge_page() {
        let huge = 2 << 20;
        for addr in [
            0usize,
            4096,
            huge - HEAD,
            huge - HEAD + 4096,
            3 * huge + 12288,
        ] {
            let off = offset(addr, huge);
            assert!(off < huge);
            assert_eq!((addr + off + HEAD) % huge, 0, "addr {addr:#x}");
        }
    }

    #[test]
    fn strided_buffers_keep_heads_out_of_tails() {
        let huge = 2 << 20;
        for len in [
            HEAD + 1,
            1 << 20,
            huge,
            huge + HEAD,
            4 << 20,
            (4 << 20) + 4096,
        ] {
            let st = stride(len, huge);
            let base = offset(12288, huge) + 12288;
            for i in 0..3 {
                let buf = base + i * st;
                // Each tail starts on a huge page and ends on one, before
                // the next buffer's head begins.
                assert_eq!((buf + HEAD) % huge, 0, "len {len}");
                assert_eq!((buf + span(len, huge)) % huge, 0, "len {len}");
                assert!(buf + span(len, huge) <= buf + st, "len {len}");
                assert!(span(len, huge) >= len);
            }
        }
        assert_eq!(span(4096, huge), 4096);
    }

    /// AnonHugePages (KiB) of the VMAs that start in `[lo, hi)`, and of
    /// those starting at `lo` exactly.
    fn anon_huge_kib(lo: usize, hi: usize) -> (u64, u64) {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let (mut all, mut first, mut at) = (0, 0, None);
        for l in smaps.lines() {
            let start = l
                .split_once(' ')
                .and_then(|(range, _)| range.split_once('-'))
                .and_then(|(a, _)| usize::from_str_radix(a, 16).ok());
            if let Some(a) = start {
                at = Some(a);
                continue;
            }
            if let (Some(a), Some(v)) = (at, l.strip_prefix("AnonHugePages:")) {
                let kib: u64 = v.trim().trim_end_matches("kB").trim().parse().unwrap();
                if (lo..hi).contains(&a) {
                    all += kib;
                }
                if a == lo {
                    first += kib;
                }
            }
        }
        (all, first)
    }

    fn vmstat(name: &str) -> u64 {
        let v = std::fs::read_to_string("/proc/vmstat").unwrap();
        v.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .map_or(0, |n| n.trim().parse().unwrap())
    }

    fn thp_fallbacks() -> u64 {
        vmstat("thp_fault_fallback")
    }

    #[test]
    fn the_tail_gets_huge_pages_and_the_head_does_not() {
        let Some(huge) = size() else {
            eprintln!("no transparent huge pages here");
            return;
        };
        let len = 2 * huge + HEAD;
        let region = Region::new(len + huge).unwrap();
        let p = region.ptr;
        // SAFETY: the offset is below `huge`, inside the region.
        let buf = unsafe { p.add(offset(p as usize, huge)) };
        advise(buf, len, huge);
        let fallbacks = thp_fallbacks();
        // SAFETY: the buffer's `len` bytes are inside the mapping.
        unsafe { std::ptr::write_bytes(buf, 1, len) };
        let (all, head) = anon_huge_kib(p as usize, p as usize + len + huge);
        let fell_back = thp_fallbacks() > fallbacks;
        // (With THP "always", the kernel may back the head too: its choice.)
        let always = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .is_ok_and(|m| m.contains("[always]"));
        assert!(head == 0 || always, "the head's VMA got huge pages");
        // Both huge pages of the tail, unless the kernel had none free
        // (then it says so in thp_fault_fallback; other processes' faults
        // count there too, so a fallback only excuses, never fails).
        assert!(
            all as usize * 1024 == 2 * huge || fell_back,
            "{all} KiB in huge pages, no fallback counted"
        );
    }

    #[test]
    fn wants_huge_past_a_quarter_of_a_huge_page() {
        let huge = 2 << 20;
        assert!(!wants_huge(256 << 10, huge));
        assert!(!wants_huge(512 << 10, huge));
        assert!(wants_huge((1 << 20) - 16, huge));
        assert!(wants_huge(4 << 20, huge));
    }

    #[test]
    fn promote_keeps_the_contents_on_huge_pages() {
        let Some(huge) = size() else {
            eprintln!("no transparent huge pages here");
            return;
        };
        let madvise_mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .is_ok_and(|m| m.contains("[madvise]"));
        let len = huge + HEAD;
        let region = Region::new(len + huge).unwrap();
        let p = region.ptr;
        let (lo, hi) = (p as usize, p as usize + len + huge);
        // SAFETY: the offset is below `huge`, inside the region.
        let buf = unsafe { p.add(offset(p as usize, huge)) };
        // A middling request before: normal pages (with THP in madvise
        // mode, nothing asked for them).
        // SAFETY: the buffer's `len` bytes are inside the mapping.
        unsafe { std::ptr::write_bytes(buf, 7, HEAD + (256 << 10)) };
        let before = anon_huge_kib(lo, hi).0;
        let failed = vmstat("thp_collapse_alloc_failed");
        promote(buf, len, huge);
        let after = anon_huge_kib(lo, hi).0;
        let fell_back = vmstat("thp_collapse_alloc_failed") > failed;
        // SAFETY: as above.
        let data = unsafe { std::slice::from_raw_parts(buf, len).to_vec() };
        assert!(before == 0 || !madvise_mode, "{before} KiB huge before");
        let kept = HEAD + (256 << 10);
        assert!(data[..kept].iter().all(|&b| b == 7), "data lost");
        assert!(data[kept..].iter().all(|&b| b == 0), "zeros lost");
        assert!(
            after as usize * 1024 == huge || fell_back,
            "{after} KiB in huge pages after promotion, no failure counted"
        );
    }
}
