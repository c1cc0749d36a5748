//! Python's argument binding, decided at compile time: which slot each argument of a call
//! goes to, or the `TypeError` Python would raise, word for word (CPython 3.8's wording).
//!
//! Python stops at the first error; these functions are asked once per argument, so a call
//! with several mistakes gets one error on each argument at fault, and one for what is missing.

use super::{Call, Message, Signature};

/// The slot of the `index`th positional argument; a compile error with Python's message when
/// there is none (this runs in a constant).
#[track_caller]
pub const fn positional(sig: &Signature, call: &Call, index: usize) -> usize {
    match positional_slot(sig, call, index) {
        NO_SLOT => panic!("{}", too_many_positional(sig, call).as_str()),
        slot => slot,
    }
}

/// The slot of the `index`th keyword argument; a compile error with Python's message when
/// there is none (this runs in a constant).
#[track_caller]
pub const fn keyword(sig: &Signature, call: &Call, index: usize) -> usize {
    match keyword_slot(sig, call, index) {
        NO_SLOT => panic!("{}", keyword_error(sig, call, index).as_str()),
        slot => slot,
    }
}

/// `0` when no argument is missing; a compile error with Python's message otherwise (this
/// runs in a constant).
#[track_caller]
pub const fn required(sig: &Signature, call: &Call) -> usize {
    if complete(sig, call) {
        0
    } else {
        panic!("{}", missing_error(sig, call).as_str())
    }
}

/// What the slot functions return for an argument that has no slot: the call is wrong, and
/// `too_many_positional`, `keyword_error` or `missing_error` says how, in Python's words.
const NO_SLOT: usize = usize::MAX;

// The slot functions run for every argument of every call, in the compiler's interpreter:
// they only compare names and count. Messages are built only for a call that is wrong.

/// The slot of the `index`th positional argument, or [`NO_SLOT`] for the first one too many.
const fn positional_slot(sig: &Signature, _call: &Call, index: usize) -> usize {
    if index == sig.positional {
        NO_SLOT
    } else {
        // Past the first extra argument the call already failed: any slot will do.
        index
    }
}

/// The slot of the `index`th keyword argument, or [`NO_SLOT`] if Python would refuse it.
const fn keyword_slot(sig: &Signature, call: &Call, index: usize) -> usize {
    let keyword = call.keywords[index];
    let Some(slot) = find(sig, keyword) else {
        return NO_SLOT;
    };
    if slot < sig.positional_only {
        // Python names every positional-only parameter passed by keyword, in one message:
        // reported once, on the first of them.
        return if first_positional_only_keyword(sig, call) == index {
            NO_SLOT
        } else {
            slot
        };
    }
    if slot < call.positional && slot < sig.positional {
        return NO_SLOT;
    }
    slot
}

/// The error Python raises for the keyword argument `keyword_slot` refused.
const fn keyword_error(sig: &Signature, call: &Call, index: usize) -> Message {
    let keyword = call.keywords[index];
    match find(sig, keyword) {
        None => named(sig)
            .push("got an unexpected keyword argument '")
            .push(keyword)
            .push("'"),
        Some(slot) if slot < sig.positional_only => positional_only_as_keyword(sig, call),
        Some(_) => named(sig)
            .push("got multiple values for argument '")
            .push(keyword)
            .push("'"),
    }
}

/// Whether every parameter without a default got an argument. Like Python, nothing counts as
/// missing after too many positional arguments (the extra ones were likely meant for the
/// parameters that look missing, and Python's one message about them is the useful one).
const fn complete(sig: &Signature, call: &Call) -> bool {
    if call.positional > sig.positional {
        return true;
    }
    let mut slot = 0;
    while slot < sig.params.len() {
        if !sig.params[slot].default && !given(sig, call, slot) {
            return false;
        }
        slot += 1;
    }
    true
}

/// Python's message for the parameters `complete` found missing: the positional ones first,
/// the keyword-only ones only when no positional one is missing.
const fn missing_error(sig: &Signature, call: &Call) -> Message {
    let positional = missing(sig, call, 0, sig.positional);
    if positional.count > 0 {
        positional.message(sig, "positional")
    } else {
        missing(sig, call, sig.positional, sig.params.len()).message(sig, "keyword-only")
    }
}

/// `f() `: how Python starts a message about a call to `f`.
const fn named(sig: &Signature) -> Message {
    Message::new().push(sig.name).push("() ")
}

const fn find(sig: &Signature, name: &str) -> Option<usize> {
    let mut slot = 0;
    while slot < sig.params.len() {
        if same(sig.params[slot].name, name) {
            return Some(slot);
        }
        slot += 1;
    }
    None
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn is_positional_only(sig: &Signature, name: &str) -> bool {
    matches!(find(sig, name), Some(slot) if slot < sig.positional_only)
}

const fn first_positional_only_keyword(sig: &Signature, call: &Call) -> usize {
    let mut index = 0;
    while index < call.keywords.len() {
        if is_positional_only(sig, call.keywords[index]) {
            return index;
        }
        index += 1;
    }
    usize::MAX
}

/// `f() got some positional-only arguments passed as keyword arguments: 'a, b'`.
const fn positional_only_as_keyword(sig: &Signature, call: &Call) -> Message {
    let mut message =
        named(sig).push("got some positional-only arguments passed as keyword arguments: '");
    let mut index = 0;
    let mut listed = 0;
    while index < call.keywords.len() {
        if is_positional_only(sig, call.keywords[index]) {
            if listed > 0 {
                message = message.push(", ");
            }
            message = message.push(call.keywords[index]);
            listed += 1;
        }
        index += 1;
    }
    message.push("'")
}

/// `f() takes from 3 to 4 positional arguments but 5 positional arguments (and 1
/// keyword-only argument) were given`, with Python's counting and plurals.
const fn too_many_positional(sig: &Signature, call: &Call) -> Message {
    let most = sig.positional;
    let mut with_default = 0;
    let mut slot = 0;
    while slot < most {
        if sig.params[slot].default {
            with_default += 1;
        }
        slot += 1;
    }
    let mut keyword_only_given = 0;
    let mut index = 0;
    while index < call.keywords.len() {
        if let Some(slot) = find(sig, call.keywords[index])
            && slot >= sig.positional
        {
            keyword_only_given += 1;
        }
        index += 1;
    }

    // A method's receiver counts, as Python counts `self`.
    let receiver = sig.receiver as usize;
    let (most, given) = (most + receiver, call.positional + receiver);
    let mut message = named(sig).push("takes ");
    if with_default > 0 {
        message = message
            .push("from ")
            .push_number(most - with_default)
            .push(" to ");
    }
    message = message
        .push_number(most)
        .push(" ")
        .push_plural("positional argument", most)
        .push(" but ")
        .push_number(given);
    if keyword_only_given > 0 {
        message = message
            .push(" ")
            .push_plural("positional argument", given)
            .push(" (and ")
            .push_number(keyword_only_given)
            .push(" ")
            .push_plural("keyword-only argument", keyword_only_given)
            .push(")");
    }
    let verb = if given == 1 && keyword_only_given == 0 {
        " was"
    } else {
        " were"
    };
    message.push(verb).push(" given")
}

/// The parameters in `start..end` that have no default and got no argument.
struct Missing {
    slots: [usize; Missing::MOST],
    count: usize,
}

impl Missing {
    /// Python lists every missing name; past this many, the count is still exact but the list
    /// ends in `...` (the message would be cut before that anyway).
    const MOST: usize = 64;

    /// `f() missing 2 required positional arguments: 'b' and 'c'`.
    const fn message(&self, sig: &Signature, kind: &str) -> Message {
        let mut message = named(sig)
            .push("missing ")
            .push_number(self.count)
            .push(" required ")
            .push(kind)
            .push(" ")
            .push_plural("argument", self.count)
            .push(": ");
        let listed = if self.count < Missing::MOST {
            self.count
        } else {
            Missing::MOST
        };
        let mut i = 0;
        while i < listed {
            if i > 0 {
                message = message.push(if self.count == 2 { " " } else { ", " });
            }
            if i > 0 && i + 1 == self.count {
                message = message.push("and ");
            }
            message = message
                .push("'")
                .push(sig.params[self.slots[i]].name)
                .push("'");
            i += 1;
        }
        if listed < self.count {
            message.push(", ...")
        } else {
            message
        }
    }
}

const fn missing(sig: &Signature, call: &Call, start: usize, end: usize) -> Missing {
    let mut found = Missing {
        slots: [0; Missing::MOST],
        count: 0,
    };
    let mut slot = start;
    while slot < end {
        if !sig.params[slot].default && !given(sig, call, slot) {
            if found.count < Missing::MOST {
                found.slots[found.count] = slot;
            }
            found.count += 1;
        }
        slot += 1;
    }
    found
}

const fn given(sig: &Signature, call: &Call, slot: usize) -> bool {
    if slot < call.positional && slot < sig.positional {
        return true;
    }
    let mut index = 0;
    while index < call.keywords.len() {
        if same(call.keywords[index], sig.params[slot].name) {
            return true;
        }
        index += 1;
    }
    false
}

#[cfg(test)]
mod tests;
