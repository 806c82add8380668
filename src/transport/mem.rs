//! Memory for request buffers: anonymous, lazily backed mappings, and
//! transparent huge pages for buffers that carry big requests.
//!
//! Big requests and replies (a 1 MiB READ's data, a writeback WRITE's
//! payload) are copied by the kernel into or out of a ring entry's payload
//! buffer and by the filesystem to or from its backing file: over 4 KiB
//! pages each copy walks 256 page-table entries per MiB, over 2 MiB pages
//! one (here 4-8% less daemon CPU for 1 MiB direct reads and writeback
//! writes over the ring; /dev/fuse's per-thread buffers gained too little
//! for the memory of many workers, and stay as they are).
//!
//! A huge page holds 2 MiB, more than one buffer needs, so buffers are
//! packed into huge-page blocks ([`Layout`]: two 1 MiB buffers a block).
//! The mapping asks for no huge pages (`MADV_NOHUGEPAGE`, also when THP
//! is `always`); a block gets them ([`promote`]) once each of its buffers
//! carried a request of more than a quarter of a huge page
//! ([`wants_huge`]): under 1 MiB requests its huge page then holds what
//! normal pages would, and never more than twice that for two buffers
//! (four times for one alone: a buffer of more than half a huge page, or
//! a block whose other queues' CPUs are offline). For less (256 KiB
//! readahead READs, metadata) a huge page would hold many times the
//! memory the requests touch.
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

    /// Asks the kernel for no huge pages here (THP `always` would give
    /// them on first touch); [`promote`] asks for them block by block.
    /// Only advice: failure changes nothing.
    pub fn without_huge_pages(&self) {
        // SAFETY: madvise only changes how the kernel backs our own
        // private anonymous mapping; its contents are kept.
        unsafe { libc::madvise(self.ptr.cast(), self.len, libc::MADV_NOHUGEPAGE) };
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: our own mapping; nothing refers to it any more (its owner
        // is being dropped).
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

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
            .filter(|&s: &usize| s.is_power_of_two() && s >= 1 << 16)
    })
}

/// Where buffers of one size lie: in blocks of `block` bytes, `per`
/// buffers of `slot` bytes each. With huge pages a block is one huge page
/// holding as many whole buffers as fit (two of 1 MiB), or, for a buffer
/// bigger than a huge page, the buffer rounded up to whole huge pages.
/// Without, buffers lie back to back. Buffers come in rows of `n` (ring
/// entries: the same slot of every queue), each row in blocks of its own,
/// buffer `i` of a row in the row's block `i / per`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub slot: usize,
    pub per: usize,
    pub block: usize,
}

impl Layout {
    pub fn new(len: usize, huge: Option<usize>) -> Layout {
        let slot = len.max(1).next_multiple_of(4096);
        match huge {
            Some(h) if slot <= h => Layout {
                slot,
                per: h / slot,
                block: h,
            },
            Some(h) => Layout {
                slot,
                per: 1,
                block: slot.next_multiple_of(h),
            },
            None => Layout {
                slot,
                per: 1,
                block: slot,
            },
        }
    }

    /// The blocks a row of `n` buffers takes.
    pub fn row(&self, n: usize) -> usize {
        n.div_ceil(self.per)
    }

    /// Where buffer `i` of row `r` (rows of `n`) lies: its block's index,
    /// and its offset from the first block's start.
    pub fn place(&self, r: usize, i: usize, n: usize) -> (usize, usize) {
        let b = r * self.row(n) + i / self.per;
        (b, b * self.block + (i % self.per) * self.slot)
    }

    /// The buffers sharing buffer `i`'s block (rows of `n`) that `used`
    /// says are used, as a mask with bit `k` for the block's `k`th buffer
    /// (`i % per` is `i`'s).
    pub fn members(&self, i: usize, n: usize, used: impl Fn(usize) -> bool) -> u32 {
        let first = i / self.per * self.per;
        (first..n.min(first + self.per))
            .filter(|&b| used(b))
            .fold(0, |m, b| m | 1 << (b - first))
    }
}

/// The offset from `addr` to the next multiple of `align` (a power of two).
pub fn align_offset(addr: usize, align: usize) -> usize {
    addr.next_multiple_of(align) - addr
}

/// Whether a buffer that carried `bytes` of data (a request's payload or
/// its reply) earns huge pages: it then fills more than a quarter of a
/// huge page (a 1 MiB request, less its 16-byte header, does; a 256 KiB
/// readahead READ does not).
pub fn wants_huge(bytes: usize, huge: usize) -> bool {
    bytes > huge / 4
}

/// Gives the block of `len` bytes at `block` (huge-page aligned, whole
/// huge pages, in a mapping of ours) huge pages from now on, its contents
/// kept: advises it, and collapses its first huge page, where earlier,
/// smaller requests of its buffers may have faulted in normal pages (the
/// kernel gives a huge page on fault only to a range without a page table
/// yet; requests up to [`wants_huge`]'s threshold stay inside the first
/// huge page of a buffer bigger than one). Only advice: failure changes
/// nothing.
pub fn promote(block: *mut u8, len: usize, huge: usize) {
    if len < huge || block as usize % huge != 0 {
        return;
    }
    // SAFETY: madvise only changes how the kernel backs these whole pages
    // of the caller's private anonymous mapping; MADV_COLLAPSE copies the
    // first huge page's contents onto a huge page, which the process
    // cannot tell apart (writers meanwhile wait on the mapping's lock).
    unsafe {
        libc::madvise(block.cast(), len, libc::MADV_HUGEPAGE);
        libc::madvise(block.cast(), huge, libc::MADV_COLLAPSE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_packs_buffers_into_huge_pages() {
        let huge = 2 << 20;
        let l = Layout::new(1 << 20, Some(huge));
        assert_eq!((l.per, l.block), (2, huge));
        // Rows of 3: buffers 0 and 1 share a block, 2 has one alone.
        assert_eq!(l.place(0, 0, 3), (0, 0));
        assert_eq!(l.place(0, 1, 3), (0, 1 << 20));
        assert_eq!(l.place(0, 2, 3), (1, huge));
        assert_eq!(l.place(1, 0, 3), (2, 2 * huge));
        let all = |_| true;
        assert_eq!((l.members(1, 3, all), l.members(2, 3, all)), (0b11, 0b1));
        assert_eq!(l.members(1, 3, |b| b != 0), 0b10);
        // A buffer of more than half a huge page has one to itself; one
        // bigger than a huge page whole huge pages.
        assert_eq!(Layout::new((1 << 20) + 1, Some(huge)).per, 1);
        assert_eq!(Layout::new(3 << 20, Some(huge)).block, 4 << 20);
        assert_eq!(Layout::new(3 << 20, None).place(1, 1, 2), (3, 9 << 20));
        for len in [4096, 100_000, 512 << 10, 1 << 20, huge, huge + 1, 5 << 20] {
            for h in [Some(huge), None] {
                let l = Layout::new(len, h);
                assert!(l.slot >= len && l.per >= 1);
                let (n, all) = (5, |_| true);
                let mut end = 0;
                for r in 0..3 {
                    for i in 0..n {
                        // Inside its block, after the one before it.
                        let (b, off) = l.place(r, i, n);
                        assert!(off >= b * l.block && off + l.slot <= (b + 1) * l.block);
                        assert!(off >= end, "{len} {r} {i}");
                        end = off + l.slot;
                        assert_eq!(l.members(i, n, all) >> (i % l.per) & 1, 1);
                    }
                }
                assert!(end <= 3 * l.row(n) * l.block);
            }
        }
    }

    #[test]
    fn align_offset_reaches_the_next_multiple() {
        let huge = 2 << 20;
        for addr in [0usize, 4096, huge - 4096, huge, 3 * huge + 12288] {
            let off = align_offset(addr, huge);
            assert!(off < huge);
            assert_eq!((addr + off) % huge, 0, "addr {addr:#x}");
        }
    }

    /// AnonHugePages (KiB) of the VMAs that start in `[lo, hi)`.
    fn anon_huge_kib(lo: usize, hi: usize) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let (mut all, mut at) = (0, None);
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
            }
        }
        all
    }

    fn vmstat(name: &str) -> u64 {
        let v = std::fs::read_to_string("/proc/vmstat").unwrap();
        v.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .map_or(0, |n| n.trim().parse().unwrap())
    }

    #[test]
    fn wants_huge_past_a_quarter_of_a_huge_page() {
        let huge = 2 << 20;
        assert!(!wants_huge(256 << 10, huge));
        assert!(!wants_huge(512 << 10, huge));
        assert!(wants_huge((1 << 20) - 16, huge));
        assert!(wants_huge(4 << 20, huge));
    }

    /// Two buffers of a block, touched by small requests: normal pages
    /// (whatever THP's mode), and after promotion one huge page for both,
    /// contents kept.
    #[test]
    fn promote_gives_a_block_one_huge_page_and_keeps_its_contents() {
        let Some(huge) = size() else {
            eprintln!("no transparent huge pages here");
            return;
        };
        let region = Region::new(3 * huge).unwrap();
        region.without_huge_pages();
        let p = region.ptr;
        let (lo, hi) = (p as usize, p as usize + 3 * huge);
        let l = Layout::new(huge / 2, Some(huge));
        // SAFETY: the offset is below `huge`, the block inside the region.
        let block = unsafe { p.add(align_offset(p as usize, huge)) };
        let small = 256 << 10;
        let at = |j| l.place(0, j, 2).1;
        for j in 0..2 {
            // SAFETY: buffer j's first `small` bytes are inside the block.
            unsafe { std::ptr::write_bytes(block.add(at(j)), 7 + j as u8, small) };
        }
        let before = anon_huge_kib(lo, hi);
        let failed = vmstat("thp_collapse_alloc_failed");
        promote(block, l.block, huge);
        let after = anon_huge_kib(lo, hi);
        let fell_back = vmstat("thp_collapse_alloc_failed") > failed;
        // SAFETY: the block's bytes are inside the mapping.
        let data = unsafe { std::slice::from_raw_parts(block, huge).to_vec() };
        assert_eq!(before, 0, "{before} KiB huge before promotion");
        for j in 0..2 {
            let buf = &data[at(j)..at(j) + l.slot];
            assert!(buf[..small].iter().all(|&b| b == 7 + j as u8), "data lost");
            assert!(buf[small..].iter().all(|&b| b == 0), "zeros lost");
        }
        assert!(
            after as usize * 1024 == huge || fell_back,
            "{after} KiB in huge pages after promotion, no failure counted"
        );
    }
}
