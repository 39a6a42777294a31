//! Cache hints: ask the processor to load memory before it is read.
//!
//! Why: a large replication's events land on nodes and services scattered over more
//! memory than the caches hold (a 10⁵-node ring: about 120 MB), and each event stalled on
//! several loads from main memory, one after another. The engine knows the next event
//! before it handles the current one, so it asks for the next event's memory first, and
//! the loads overlap with the current event's work. A hint reads nothing and cannot
//! fault, so no result depends on it; off x86-64 it compiles to nothing.

/// Bytes in a cache line.
const LINE: usize = 64;

/// The most lines [`prefetch_slice`] asks for: a long slice is read a part at a time.
const SLICE_LINES: usize = 8;

/// Hints that the `lines` cache lines from `address` on will be read soon.
#[inline(always)]
pub(crate) fn prefetch_lines<T>(address: *const T, lines: usize) {
    let start = address.cast::<i8>();
    for line in 0..lines {
        let _address = start.wrapping_add(line * LINE);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: PREFETCHT0 is a hint: it loads nothing architecturally and cannot fault
        // whatever the address, and SSE, which provides it, is part of x86-64.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(_address);
        }
    }
}

/// Hints that all of `value` will be read soon: the lines it may lie on, a count known
/// when compiling, so that the hints unroll into as many instructions.
#[inline(always)]
pub(crate) fn prefetch<T>(value: &T) {
    prefetch_lines(value, lines_of::<T>());
}

/// The most cache lines a `T` lies on, wherever its alignment lets it start in a line.
const fn lines_of<T>() -> usize {
    let size = std::mem::size_of::<T>();
    let align = std::mem::align_of::<T>();
    let latest_start = LINE.saturating_sub(align);
    if size == 0 {
        0
    } else {
        (latest_start + size - 1) / LINE + 1
    }
}

/// Hints that the elements of `values` will be read soon (at most [`SLICE_LINES`] lines).
#[inline(always)]
pub(crate) fn prefetch_slice<T>(values: &[T]) {
    let bytes = std::mem::size_of_val(values).min(SLICE_LINES * LINE);
    if bytes > 0 {
        let offset = values.as_ptr() as usize % LINE;
        prefetch_lines(values.as_ptr(), (offset + bytes).div_ceil(LINE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_lies_on_at_most_its_lines_and_one_more() {
        assert_eq!(lines_of::<()>(), 0);
        assert_eq!(lines_of::<u8>(), 1);
        assert_eq!(lines_of::<u64>(), 1);
        assert_eq!(lines_of::<[u64; 8]>(), 2);
        // 72 bytes from offset 56 end at byte 128: still two lines.
        assert_eq!(lines_of::<[u64; 9]>(), 2);
        assert_eq!(lines_of::<[u64; 10]>(), 3);
    }

    #[test]
    fn hints_change_nothing_and_accept_any_address() {
        let values = vec![7u64; 100];
        prefetch(&values[3]);
        prefetch_slice(&values);
        prefetch_slice::<u64>(&[]);
        // Past the end, and nowhere near mapped memory: still only a hint.
        prefetch_lines(values.as_ptr().wrapping_add(1 << 20), 2);
        prefetch_lines(std::ptr::null::<u8>(), 1);
        assert!(values.iter().all(|&value| value == 7));
    }
}
