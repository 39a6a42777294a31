//! Maps JSON paths (`services[0].replicas[2]`) to line:column in the source text.
//!
//! serde_json reports positions only for syntax and type errors; semantic checks run
//! after parsing, so this scanner walks the (already valid) text once to recover where
//! every value starts.

use std::collections::BTreeMap;

/// Start positions (1-based line and column) of every value, by JSON path.
#[derive(Debug, Default)]
pub(crate) struct PositionIndex {
    positions: BTreeMap<String, (usize, usize)>,
}

impl PositionIndex {
    /// Indexes `text`; on malformed text the index holds what was read before the fault.
    pub(crate) fn new(text: &str) -> Self {
        let mut scanner = Scanner {
            bytes: text.as_bytes(),
            at: 0,
            line: 1,
            column: 1,
            index: PositionIndex::default(),
        };
        let mut path = String::new();
        scanner.value(&mut path);
        scanner.index
    }

    /// The position of `path`, or of its nearest indexed ancestor.
    pub(crate) fn locate(&self, path: &str) -> (usize, usize) {
        let mut candidate = path.to_string();
        loop {
            if let Some(position) = self.positions.get(&candidate) {
                return *position;
            }
            match candidate.rfind(['.', '[']) {
                Some(cut) => candidate.truncate(cut),
                None => return self.positions.get("").copied().unwrap_or((1, 1)),
            }
        }
    }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
    column: usize,
    index: PositionIndex,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn bump(&mut self) {
        if let Some(byte) = self.peek() {
            self.at += 1;
            if byte == b'\n' {
                self.line += 1;
                self.column = 1;
            } else if byte & 0xC0 != 0x80 {
                // Count characters, not UTF-8 continuation bytes.
                self.column += 1;
            }
        }
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }

    fn value(&mut self, path: &mut String) {
        self.skip_whitespace();
        self.index
            .positions
            .insert(path.clone(), (self.line, self.column));
        match self.peek() {
            Some(b'{') => self.object(path),
            Some(b'[') => self.array(path),
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while matches!(self.peek(), Some(c) if !matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
                {
                    self.bump();
                }
            }
            None => {}
        }
    }

    fn string(&mut self) -> String {
        let mut out = Vec::new();
        self.bump();
        while let Some(byte) = self.peek() {
            match byte {
                b'"' => {
                    self.bump();
                    break;
                }
                b'\\' => {
                    self.bump();
                    if let Some(escaped) = self.peek() {
                        out.push(escaped);
                    }
                    self.bump();
                }
                _ => {
                    out.push(byte);
                    self.bump();
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn object(&mut self, path: &mut String) {
        self.bump();
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b'"') => {
                    let key = self.string();
                    self.skip_whitespace();
                    if self.peek() == Some(b':') {
                        self.bump();
                    }
                    let saved = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&key);
                    self.value(path);
                    path.truncate(saved);
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

    fn array(&mut self, path: &mut String) {
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
                    let saved = path.len();
                    path.push_str(&format!("[{item}]"));
                    let before = self.at;
                    self.value(path);
                    path.truncate(saved);
                    item += 1;
                    if self.at == before {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_paths_get_their_line_and_column() {
        let text =
            "{\n  \"services\": [\n    {\"name\": \"a\", \"replicas\": [\"x\", \"y\"]}\n  ]\n}";
        let index = PositionIndex::new(text);
        assert_eq!(index.locate("services[0].replicas[1]"), (3, 37));
        assert_eq!(index.locate("services[0].name"), (3, 14));
        assert_eq!(index.locate("services[0].missing"), (3, 5));
    }
}
