//! The memory a large table takes from the system: its pages mapped in one call.
#![allow(unsafe_code)]

/// Has the system map the whole pages of a large allocation, writable, in one call: fresh
/// from the system, each page would fault on its first write, and a fault costs more than
/// its share of one `madvise` (in a virtual machine, 1.75 against 1.0 us a page). Pages
/// already mapped are left as they are, and so are the contents. Best effort: a kernel
/// before Linux 5.14, or a page size larger than 4 KiB, refuses it, and the pages fault
/// as before.
#[cfg(all(target_os = "linux", not(miri)))]
pub(super) fn populate(bytes: *mut u8, len: usize) {
    const PAGE: usize = 4096;
    // Smaller allocations come from the allocator's pages, mostly mapped already.
    const FROM: usize = 64 * 1024;
    if len < FROM {
        return;
    }
    let start = bytes.addr().next_multiple_of(PAGE);
    let end = (bytes.addr() + len) / PAGE * PAGE;
    if end <= start {
        return;
    }
    // SAFETY: the range lies within the caller's allocation, which it owns and has not yet
    // handed to anyone; `MADV_POPULATE_WRITE` changes no byte of it (it maps its pages as a
    // write would).
    let _refused = unsafe {
        rustix::mm::madvise(
            bytes.with_addr(start).cast(),
            end - start,
            rustix::mm::Advice::LinuxPopulateWrite,
        )
    };
}

#[cfg(not(all(target_os = "linux", not(miri))))]
pub(super) fn populate(_bytes: *mut u8, _len: usize) {}
