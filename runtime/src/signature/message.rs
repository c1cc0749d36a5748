//! A message built at compile time, in a `const fn`: a fixed buffer and the bytes used.

/// A message made by a `const fn`: `call!` panics with it at compile time when a call is wrong.
pub(crate) struct Message {
    bytes: [u8; Message::CAPACITY],
    len: usize,
    /// Set once the message was cut: later text is dropped.
    cut: bool,
}

impl Message {
    /// Longer messages are cut, at a character boundary, and end in `...`.
    const CAPACITY: usize = 480;

    pub(crate) const fn new() -> Self {
        Message {
            bytes: [0; Message::CAPACITY],
            len: 0,
            cut: false,
        }
    }

    /// The message so far.
    pub(crate) const fn as_str(&self) -> &str {
        let (used, _) = self.bytes.split_at(self.len);
        match core::str::from_utf8(used) {
            Ok(text) => text,
            // Unreachable: only whole `str`s, cut at character boundaries, are ever pushed.
            Err(_) => "invalid call",
        }
    }

    pub(crate) const fn push(mut self, text: &str) -> Self {
        if self.cut {
            return self;
        }
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if self.len == Message::CAPACITY {
                return self.cut();
            }
            self.bytes[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    pub(crate) const fn push_number(self, n: usize) -> Self {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut rest = n;
        loop {
            start -= 1;
            digits[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let (_, used) = digits.split_at(start);
        match core::str::from_utf8(used) {
            Ok(text) => self.push(text),
            Err(_) => self,
        }
    }

    /// `word` or `words`, as Python pluralizes: singular only for exactly one.
    pub(crate) const fn push_plural(self, word: &str, count: usize) -> Self {
        let this = self.push(word);
        if count == 1 { this } else { this.push("s") }
    }

    /// Ends the message in `...` after the last whole character that leaves room for it.
    const fn cut(mut self) -> Self {
        self.len = Message::CAPACITY - 3;
        while self.len > 0 && self.bytes[self.len] & 0b1100_0000 == 0b1000_0000 {
            self.len -= 1;
        }
        self.bytes[self.len] = b'.';
        self.bytes[self.len + 1] = b'.';
        self.bytes[self.len + 2] = b'.';
        self.len += 3;
        self.cut = true;
        self
    }
}

#[cfg(test)]
mod tests;
