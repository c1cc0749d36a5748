//! What the writer unlinks (a node, or a table it moved from), held in the map's bin until no
//! reader can reach it, then freed: type-erased, so that the bin's code is compiled once, here.
#![allow(unsafe_code)]

use super::super::epoch::{Bin, Freed, Readers, Retired};
use super::{Node, Table, free_node};

/// Memory the writer unlinked (a node, or a table alone: its nodes live on in the newer table,
/// or are unlinked on their own); freed when dropped (by the bin, once no reader can see it).
///
/// Its item type is erased: the bin and what it hands back ([`MapBin`]) are compiled once,
/// in this crate, rather than once per item type in each crate that memoizes (about 200 of the
/// items a store instantiates for its key and value types). A map's bin holds only what that
/// map unlinked, so a node in it is a `Node<T>` of the map's `T`.
pub(super) struct Unlinked {
    /// A `*mut Node<T>` (made by `new_node`), or a `*mut Table<T>` (a `Box`'s) with
    /// [`TABLE_TAG`] set (a table is aligned to its pointers, so the bit is free): 16 bytes
    /// with `free`, as the enum of two pointers it replaced (a clear retires every node).
    tagged: *mut (),
    /// Frees the pointer: [`free_unlinked_node::<T>`] or [`free_unlinked_table::<T>`].
    free: unsafe fn(*mut ()),
}

/// The bit of [`Unlinked::tagged`] that marks a table.
const TABLE_TAG: usize = 1;

/// A table's pointer with [`TABLE_TAG`] set (not generic: compiled once).
#[cfg_attr(not(debug_assertions), inline)]
fn tagged_table(table: *mut ()) -> *mut () {
    table.map_addr(|addr| addr | TABLE_TAG)
}

impl Unlinked {
    pub(super) fn of_node<T>(node: *mut Node<T>) -> Self {
        Unlinked {
            tagged: node.cast(),
            free: free_unlinked_node::<T>,
        }
    }

    pub(super) fn of_table<T>(table: *mut Table<T>) -> Self {
        Unlinked {
            tagged: tagged_table(table.cast()),
            free: free_unlinked_table::<T>,
        }
    }

    /// The node, if it is one (a `*mut Node<T>` of the map's `T`).
    pub(super) fn node_ptr(&self) -> Option<*mut ()> {
        (self.tagged.addr() & TABLE_TAG == 0).then_some(self.tagged)
    }
}

/// # Safety
/// As [`free_node`]'s: `node` is a `*mut Node<T>` made by `new_node`, unlinked, reachable by no
/// reader, and freed once.
unsafe fn free_unlinked_node<T>(node: *mut ()) {
    // SAFETY: the caller's promise.
    unsafe { free_node(node.cast::<Node<T>>()) }
}

/// # Safety
/// `table` is a `*mut Table<T>` made by `Table::with_capacity` (a `Box`), unlinked, reachable
/// by no reader, and freed once.
unsafe fn free_unlinked_table<T>(table: *mut ()) {
    // SAFETY: the caller's promise; its nodes are not freed with it (`Table` owns pointers).
    drop(unsafe { Box::from_raw(table.cast::<Table<T>>()) });
}

// SAFETY: an `Unlinked` owns what it points to, and dropping it drops a `T` on the dropping
// thread. Only a map's `Side<T, W>` holds one (in its bin), and a `Side` is `Send` only where
// `T` is (its `Spare<T>`s are `Send` only then): an `Unlinked` goes where its `T` may.
unsafe impl Send for Unlinked {}

impl Retired for Unlinked {
    fn node(&self) -> Option<usize> {
        self.node_ptr().map(<*mut ()>::addr)
    }
}

impl Drop for Unlinked {
    fn drop(&mut self) {
        // SAFETY: the pointer and `free` were made together, by `Unlinked::of_node` from a node made
        // by `new_node` or by `Unlinked::of_table` from a table made by `Table::with_capacity`;
        // each was unlinked from the map before it was retired, and the bin drops it only once
        // no reader that could reach it is reading. It is retired once, so freed once.
        unsafe { (self.free)(self.tagged.map_addr(|addr| addr & !TABLE_TAG)) }
    }
}

/// A map's bin. Not generic (see [`Unlinked`]): at `opt-level = 0` its code is built once, in
/// this crate; where optimised, each method is inlined as the bin's generic code was.
pub(super) struct MapBin(Bin<Unlinked>);

impl MapBin {
    pub(super) fn new() -> Self {
        MapBin(Bin::new())
    }

    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many items wait to be freed.
    #[cfg(test)]
    pub(super) fn waiting(&self) -> usize {
        self.0.waiting()
    }

    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn retire(&mut self, item: Unlinked) {
        self.0.retire(item);
    }

    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn reserve(&mut self, more: usize) {
        self.0.reserve(more);
    }

    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn take_lone(&mut self, readers: &dyn Readers) -> Option<Unlinked> {
        self.0.take_lone(readers)
    }

    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn alone(&mut self, readers: &dyn Readers, force: bool) -> bool {
        self.0.alone(readers, force)
    }

    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn must_wait(&self, readers: &dyn Readers) -> bool {
        self.0.must_wait(readers)
    }

    /// [`Bin::flush`] if `flush`, else [`Bin::collect`].
    #[cfg_attr(not(debug_assertions), inline)]
    pub(super) fn free(
        &mut self,
        readers: &dyn Readers,
        also: &[usize],
        flush: bool,
    ) -> Freed<Unlinked> {
        if flush {
            self.0.flush(readers, also)
        } else {
            self.0.collect(readers, also)
        }
    }
}

/// Takes out of `freed` the nodes `keep` keeps (it is handed each node's address, and says
/// whether it kept the allocation), leaving the rest to be freed.
#[cfg_attr(not(debug_assertions), inline)]
pub(super) fn keep_nodes(freed: &mut Freed<Unlinked>, keep: &mut dyn FnMut(*mut ()) -> bool) {
    if let Some(node) = freed.one.as_ref().and_then(Unlinked::node_ptr)
        && keep(node)
    {
        // Not freed: kept.
        core::mem::forget(freed.one.take());
    }
    // The items to free first, in place; the kept ones after them.
    let many = &mut freed.many;
    let mut rest = 0;
    for index in 0..many.len() {
        if !many[index].node_ptr().is_some_and(&mut *keep) {
            many.swap(rest, index);
            rest += 1;
        }
    }
    // Not freed: kept.
    many.drain(rest..).for_each(core::mem::forget);
}
