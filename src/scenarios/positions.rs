//! Where values are in the source text: a walk over JSON text that reports every value
//! with its JSON path (`services[0].replicas[2]`), byte span and line:column.
//!
//! serde_json reports positions only for the error it stops at; the checks that run
//! after parsing, and the repairs that let parsing go on after a type error, find their
//! values here. The walk expects text that serde_json already read as JSON; on anything
//! else it stops where the text stops making sense.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// A place in the text: byte offset and 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mark {
    /// Byte offset.
    pub(crate) offset: usize,
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column, counted in characters.
    pub(crate) column: usize,
}

/// How a value sits in its parent.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Entry<'k> {
    /// The whole document.
    Root,
    /// A member of an object: its key, and where the key's opening quote is.
    Member { key: &'k str, key_at: Mark },
    /// An item of an array.
    Item,
}

/// What a walk is told.
pub(crate) trait Visit {
    /// A value starts at `start` with byte `first` (`{`, `[`, `"`, a digit, ...). Return
    /// false to skip what it contains.
    fn enter(&mut self, path: &str, entry: Entry<'_>, start: Mark, first: u8) -> bool;
    /// The value that started at `start` ends before byte `end`.
    fn leave(&mut self, _path: &str, _start: Mark, _end: usize) {}
}

/// The deepest nesting the walk descends into; deeper containers are skipped whole,
/// without recursion. serde_json refuses typed values nested deeper than 128, so no
/// valid file is affected, while the walk over a broken one (200,000 unclosed `{`, which
/// serde_json skips without a depth limit to find the syntax error) keeps its stack.
const MAX_DEPTH: usize = 256;

/// Walks `text`, one JSON document, telling `visit` about its values in text order.
pub(crate) fn walk(text: &str, visit: &mut impl Visit) {
    let mut walker = Walker {
        text,
        bytes: text.as_bytes(),
        at: Mark {
            offset: 0,
            line: 1,
            column: 1,
        },
        path: String::new(),
        depth: 0,
    };
    walker.value(Entry::Root, visit);
}

struct Walker<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: Mark,
    path: String,
    /// How many containers enclose the value being read.
    depth: usize,
}

impl<'a> Walker<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at.offset).copied()
    }

    fn bump(&mut self) {
        if let Some(byte) = self.peek() {
            self.at.offset += 1;
            if byte == b'\n' {
                self.at.line += 1;
                self.at.column = 1;
            } else if byte & 0xC0 != 0x80 {
                // Count characters, not UTF-8 continuation bytes.
                self.at.column += 1;
            }
        }
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }

    fn value(&mut self, entry: Entry<'_>, visit: &mut impl Visit) {
        self.skip_whitespace();
        let Some(first) = self.peek() else {
            return;
        };
        let start = self.at;
        let descend = visit.enter(&self.path, entry, start, first) && self.depth < MAX_DEPTH;
        self.depth += 1;
        match first {
            b'{' if descend => self.object(visit),
            b'[' if descend => self.array(visit),
            b'{' | b'[' => self.skip_container(),
            b'"' => {
                self.string();
            }
            _ => {
                while matches!(self.peek(), Some(c) if !matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
                {
                    self.bump();
                }
            }
        }
        self.depth -= 1;
        visit.leave(&self.path, start, self.at.offset);
    }

    /// Reads a string and returns its text, escapes decoded as JSON defines them (keys
    /// are matched against the paths serde reports), borrowed when it has none.
    fn string(&mut self) -> Cow<'a, str> {
        self.bump();
        let start = self.at.offset;
        let mut decoded: Option<String> = None;
        loop {
            match self.peek() {
                None => return Cow::Borrowed(&self.text[start..]),
                Some(b'"') => {
                    let end = self.at.offset;
                    self.bump();
                    return match decoded {
                        // Quotes are ASCII, so both ends are character boundaries.
                        None => Cow::Borrowed(&self.text[start..end]),
                        Some(text) => Cow::Owned(text),
                    };
                }
                Some(b'\\') => {
                    let out =
                        decoded.get_or_insert_with(|| self.text[start..self.at.offset].to_string());
                    self.bump();
                    let escape = self.peek();
                    self.bump_char();
                    match escape {
                        Some(b'u') => {
                            let unit = self.hex4();
                            let c = if (0xD800..0xDC00).contains(&unit)
                                && self.bytes.get(self.at.offset..self.at.offset + 2)
                                    == Some(b"\\u")
                            {
                                self.bump();
                                self.bump();
                                let low = self.hex4();
                                char::from_u32(
                                    0x10000
                                        + ((unit - 0xD800) << 10)
                                        + (low.wrapping_sub(0xDC00) & 0x3FF),
                                )
                            } else {
                                char::from_u32(unit)
                            };
                            out.push(c.unwrap_or('\u{FFFD}'));
                        }
                        Some(b'n') => out.push('\n'),
                        Some(b't') => out.push('\t'),
                        Some(b'r') => out.push('\r'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{C}'),
                        Some(other) => out.push(other as char),
                        None => {}
                    }
                }
                Some(_) => {
                    // Copy one whole character, so that decoded text stays UTF-8.
                    if let (Some(out), Some(c)) = (&mut decoded, self.char_here()) {
                        out.push(c);
                    }
                    self.bump_char();
                }
            }
        }
    }

    /// Four hex digits after `\u` (what is not hex counts as 0).
    fn hex4(&mut self) -> u32 {
        let mut value = 0;
        for _ in 0..4 {
            let digit = self.char_here().and_then(|c| c.to_digit(16)).unwrap_or(0);
            value = value * 16 + digit;
            self.bump_char();
        }
        value
    }

    /// The character at the cursor (always on a character boundary inside strings).
    fn char_here(&self) -> Option<char> {
        self.text.get(self.at.offset..)?.chars().next()
    }

    /// Moves past the character at the cursor, however many bytes it has.
    fn bump_char(&mut self) {
        for _ in 0..self.char_here().map_or(1, char::len_utf8) {
            self.bump();
        }
    }

    /// Skips an object or array without reporting what it holds.
    fn skip_container(&mut self) {
        let mut depth = 0usize;
        while let Some(byte) = self.peek() {
            match byte {
                b'"' => {
                    self.string();
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.bump();
                        return;
                    }
                }
                _ => {}
            }
            self.bump();
        }
    }

    fn object(&mut self, visit: &mut impl Visit) {
        self.bump();
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b'"') => {
                    let key_at = self.at;
                    let key = self.string();
                    self.skip_whitespace();
                    if self.peek() == Some(b':') {
                        self.bump();
                    }
                    let saved = self.path.len();
                    if !self.path.is_empty() {
                        self.path.push('.');
                    }
                    self.path.push_str(&key);
                    self.value(Entry::Member { key: &key, key_at }, visit);
                    self.path.truncate(saved);
                }
                Some(b',') => self.bump(),
                Some(b'}') => {
                    self.bump();
                    return;
                }
                _ => return,
            }
        }
    }

    fn array(&mut self, visit: &mut impl Visit) {
        self.bump();
        let mut item = 0usize;
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b']') => {
                    self.bump();
                    return;
                }
                None => return,
                Some(_) => {
                    let saved = self.path.len();
                    let _ = write!(self.path, "[{item}]");
                    let before = self.at.offset;
                    self.value(Entry::Item, visit);
                    self.path.truncate(saved);
                    item += 1;
                    if self.at.offset == before {
                        return;
                    }
                }
            }
        }
    }
}

/// The parent of a path (`a.b[2]` → `a.b`, `a` → ``), or `None` for the root.
pub(crate) fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    Some(path.rfind(['.', '[']).map_or("", |cut| &path[..cut]))
}

/// Every path from the root to `path`, the root (``) first.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(path), |p| parent(p))
}

/// Which part of a value a problem points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Aim {
    /// Where the value starts.
    Value,
    /// Its key, for a member of an object (an unknown field).
    Key,
    /// Its first key, for an object (the word of a one-of-several-keys object).
    FirstKey,
}

/// The line:column of each `(path, aim)`, or of the nearest ancestor found in the text
/// (a missing field is placed at its object). One walk that descends only along the
/// paths asked for, so placing a few problems in a huge file costs one read of it.
pub(crate) fn locate_all(text: &str, wanted: &[(&str, Aim)]) -> Vec<(usize, usize)> {
    #[derive(Default)]
    struct Places {
        value: Option<Mark>,
        key: Option<Mark>,
        first_key: Option<Mark>,
    }
    struct Wanted<'p> {
        on_the_way: BTreeSet<&'p str>,
        found: BTreeMap<String, Places>,
    }
    impl Visit for Wanted<'_> {
        fn enter(&mut self, path: &str, entry: Entry<'_>, start: Mark, _: u8) -> bool {
            let key = match entry {
                Entry::Member { key_at, .. } => Some(key_at),
                _ => None,
            };
            if let (Some(key), Some(parent)) = (key, parent(path)) {
                if let Some(places) = self.found.get_mut(parent) {
                    places.first_key.get_or_insert(key);
                }
            }
            if !self.on_the_way.contains(path) {
                return false;
            }
            let places = self.found.entry(path.to_string()).or_default();
            places.value = Some(start);
            places.key = key;
            true
        }
    }
    let mut walk_state = Wanted {
        on_the_way: wanted.iter().flat_map(|(p, _)| ancestors(p)).collect(),
        found: BTreeMap::new(),
    };
    walk(text, &mut walk_state);
    wanted
        .iter()
        .map(|(path, aim)| {
            let exact = walk_state.found.get(*path).and_then(|places| match aim {
                Aim::Value => None,
                Aim::Key => places.key,
                Aim::FirstKey => places.first_key,
            });
            exact
                .or_else(|| {
                    ancestors(path).find_map(|p| walk_state.found.get(p).and_then(|f| f.value))
                })
                .map_or((1, 1), |mark| (mark.line, mark.column))
        })
        .collect()
}

/// Where the value at `path` is: the offset of its member's key (objects' members only),
/// its start and its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    /// Offset of the key's opening quote when the value is an object member.
    pub(crate) key_at: Option<usize>,
    /// Where the value starts.
    pub(crate) start: Mark,
    /// The byte after its end.
    pub(crate) end: usize,
}

/// The span of the value at `path`, if the text has it.
pub(crate) fn span_of(text: &str, path: &str) -> Option<Span> {
    struct Target<'p> {
        on_the_way: BTreeSet<&'p str>,
        target: &'p str,
        key_at: Option<usize>,
        found: Option<Span>,
    }
    impl Visit for Target<'_> {
        fn enter(&mut self, path: &str, entry: Entry<'_>, _: Mark, _: u8) -> bool {
            if path == self.target {
                self.key_at = match entry {
                    Entry::Member { key_at, .. } => Some(key_at.offset),
                    _ => None,
                };
            }
            self.found.is_none() && self.on_the_way.contains(path) && path != self.target
        }
        fn leave(&mut self, path: &str, start: Mark, end: usize) {
            if path == self.target && self.found.is_none() {
                self.found = Some(Span {
                    key_at: self.key_at,
                    start,
                    end,
                });
            }
        }
    }
    let mut target = Target {
        on_the_way: ancestors(path).collect(),
        target: path,
        key_at: None,
        found: None,
    };
    walk(text, &mut target);
    target.found
}

/// The path of the innermost value that holds byte `offset` (`` for the document).
pub(crate) fn path_at(text: &str, offset: usize) -> String {
    struct Innermost {
        offset: usize,
        path: String,
    }
    impl Visit for Innermost {
        fn enter(&mut self, _: &str, _: Entry<'_>, start: Mark, _: u8) -> bool {
            start.offset <= self.offset
        }
        fn leave(&mut self, path: &str, start: Mark, end: usize) {
            // Inner values end first: the first that holds the offset is the innermost.
            if start.offset <= self.offset && self.offset < end && self.path.is_empty() {
                self.path = path.to_string();
            }
        }
    }
    let mut innermost = Innermost {
        offset,
        path: String::new(),
    };
    walk(text, &mut innermost);
    innermost.path
}

/// Start positions (1-based line and column) of every value, by JSON path.
#[derive(Debug, Default)]
pub(crate) struct PositionIndex {
    positions: BTreeMap<String, (usize, usize)>,
}

impl PositionIndex {
    /// Indexes `text`; on malformed text the index holds what was read before the fault.
    pub(crate) fn new(text: &str) -> Self {
        let mut index = PositionIndex::default();
        walk(text, &mut index);
        index
    }

    /// The position of `path`, or of its nearest indexed ancestor.
    pub(crate) fn locate(&self, path: &str) -> (usize, usize) {
        ancestors(path)
            .find_map(|p| self.positions.get(p).copied())
            .unwrap_or((1, 1))
    }
}

impl Visit for PositionIndex {
    fn enter(&mut self, path: &str, _: Entry<'_>, start: Mark, _: u8) -> bool {
        self.positions
            .insert(path.to_string(), (start.line, start.column));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "{\n  \"services\": [\n    {\"name\": \"a\", \"replicas\": [\"x\", \"y\"]}\n  ]\n}";

    #[test]
    fn nesting_beyond_any_scenario_is_walked_without_exhausting_the_stack() {
        // 200,000 levels: one stack frame per level overflowed the stack (a fuzz-style
        // hostile file); past the cap the walk skips containers without recursing.
        let unclosed = format!("{{\"horizon\": {}", "{\"a\": ".repeat(200_000));
        let path = path_at(&unclosed, unclosed.len() - 1);
        assert_eq!(path.matches('.').count(), MAX_DEPTH - 1, "{}", &path[..40]);
        assert!(path.starts_with("horizon.a.a."), "{}", &path[..40]);
        let closed = format!(
            "{{\"description\": {}{}, \"seed\": 1}}",
            "[".repeat(200_000),
            "]".repeat(200_000)
        );
        assert_eq!(PositionIndex::new(&closed).locate("seed"), (1, 400_027));
    }

    #[test]
    fn nested_paths_get_their_line_and_column() {
        let index = PositionIndex::new(TEXT);
        assert_eq!(index.locate("services[0].replicas[1]"), (3, 37));
        assert_eq!(index.locate("services[0].name"), (3, 14));
        assert_eq!(index.locate("services[0].missing"), (3, 5));
    }

    #[test]
    fn located_paths_match_the_full_index() {
        let paths = [
            ("services[0].replicas[1]", Aim::Value),
            ("services[0].name", Aim::Value),
            ("services[0].missing", Aim::Value),
            ("nowhere[3]", Aim::Value),
            ("services[0].name", Aim::Key),
            ("services[0]", Aim::FirstKey),
            ("services[0].replicas[0]", Aim::Key),
        ];
        assert_eq!(
            locate_all(TEXT, &paths),
            [(3, 37), (3, 14), (3, 5), (1, 1), (3, 6), (3, 6), (3, 32)]
        );
    }

    #[test]
    fn spans_cover_the_value_and_name_its_key() {
        let span = span_of(TEXT, "services[0].replicas").unwrap();
        assert_eq!(&TEXT[span.start.offset..span.end], "[\"x\", \"y\"]");
        assert_eq!(
            &TEXT[span.key_at.unwrap()..span.key_at.unwrap() + 10],
            "\"replicas\""
        );
        let item = span_of(TEXT, "services[0].replicas[0]").unwrap();
        assert_eq!(
            (&TEXT[item.start.offset..item.end], item.key_at),
            ("\"x\"", None)
        );
        assert!(span_of(TEXT, "services[1]").is_none());
    }

    #[test]
    fn escaped_keys_are_decoded_as_serde_decodes_them() {
        let text = r#"{"na\u006De": {"\ud83d\ude00\"é": [1]}}"#;
        let index = PositionIndex::new(text);
        assert_eq!(index.locate("name"), (1, 15));
        assert_eq!(index.locate("name.😀\"é[0]"), (1, 36));
    }

    #[test]
    fn an_offset_belongs_to_the_innermost_value_around_it() {
        let y = TEXT.find("\"y\"").unwrap() + 1;
        assert_eq!(path_at(TEXT, y), "services[0].replicas[1]");
        assert_eq!(path_at(TEXT, TEXT.find("\"name\"").unwrap()), "services[0]");
        assert_eq!(path_at(TEXT, 0), "");
    }
}
