//! YAML scenario files: the YAML text (read by `saphyr-parser`, whose events carry their
//! spans) is written out as the JSON text the reader already knows, one key or value a
//! line, with the YAML line:column of each JSON line, so that every problem the JSON
//! reader finds (syntax aside, which is YAML's own) is reported where it is in the YAML.
//!
//! What YAML has and the format does not is refused here, each at its place: a second
//! document, tags, keys that are not plain text, a key given twice, and aliases that
//! would copy more than [`MAX_ALIASED_VALUES`] values (the "billion laughs").

use super::load::Found;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Most values that aliases (`*name`) may copy in one file, all aliases together: plenty
/// for sharing a distribution or a detection block, far too few for an alias bomb.
pub(crate) const MAX_ALIASED_VALUES: usize = 10_000;
/// Deepest nesting of mappings and lists (the JSON reader's own limit is 128).
const MAX_DEPTH: usize = 100;

/// A YAML scenario as JSON text, with the place in the YAML text of each JSON line.
#[derive(Debug)]
pub(crate) struct Converted {
    /// The document as JSON: every key and every value starts a line of its own.
    pub(crate) json: String,
    /// For each line of `json`, the YAML line:column of what starts on it.
    places: Vec<(usize, usize)>,
}

impl Converted {
    /// The YAML line:column of what starts on JSON line `line` (1-based).
    pub(crate) fn place(&self, line: usize) -> (usize, usize) {
        self.places
            .get(line.saturating_sub(1))
            .or(self.places.last())
            .copied()
            .unwrap_or((1, 1))
    }
}

/// Converts a YAML scenario text to JSON; the first problem ends it, placed in the YAML.
pub(crate) fn to_json(text: &str) -> Result<Converted, Found> {
    let mut writer = Writer::default();
    let mut documents = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|error| scan_problem(&error, &writer.path))?;
        match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(writer.problem(
                        span,
                        "a scenario file holds one YAML document; this is a second (`---`): \
                         put each scenario in its own file"
                            .to_string(),
                    ));
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                writer.refuse_tag(tag.is_some(), span)?;
                writer.scalar(&value, style, anchor, span)?;
            }
            Event::SequenceStart(anchor, tag) => {
                writer.refuse_tag(tag.is_some(), span)?;
                writer.open(Kind::Sequence, anchor, span)?;
            }
            Event::MappingStart(anchor, tag) => {
                writer.refuse_tag(tag.is_some(), span)?;
                writer.open(Kind::Mapping, anchor, span)?;
            }
            Event::SequenceEnd | Event::MappingEnd => writer.close(span),
            Event::Alias(anchor) => writer.alias(anchor, span)?,
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
    }
    if writer.json.is_empty() {
        return Err(Found {
            path: String::new(),
            message: "a scenario file holds one mapping (`key: value` lines); the file is empty"
                .to_string(),
            at: Ok((1, 1)),
        });
    }
    Ok(Converted {
        json: writer.json,
        places: writer.places,
    })
}

/// The YAML reader's error, placed, with the likely cause where its words hide it.
fn scan_problem(error: &ScanError, path: &str) -> Found {
    let mark = error.marker();
    let mut message = format!("YAML syntax: {}", error.info());
    if message.contains("tab") {
        message.push_str(": YAML indents with spaces only; replace the tabs by spaces");
    }
    Found {
        path: path.to_string(),
        message,
        at: Ok((mark.line().max(1), mark.col() + 1)),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Mapping,
    Sequence,
}

/// A mapping or list being written.
#[derive(Debug)]
struct Frame {
    kind: Kind,
    /// Length of the path of the container itself.
    path_len: usize,
    /// Items written so far (keys for a mapping).
    count: usize,
    /// For a mapping: whether the next scalar is a key.
    expect_key: bool,
    /// For a mapping: the keys it holds.
    keys: BTreeSet<String>,
    /// The container's anchor, with where its JSON starts and the values before it.
    anchor: Option<(usize, usize, usize)>,
}

/// A value with an anchor (`&name`): its JSON text and how many values it holds.
#[derive(Debug)]
struct Anchored {
    json: String,
    values: usize,
}

#[derive(Debug, Default)]
struct Writer {
    json: String,
    places: Vec<(usize, usize)>,
    frames: Vec<Frame>,
    anchors: BTreeMap<usize, Anchored>,
    /// The JSON path of the value being written.
    path: String,
    /// Values written, aliases' copies included.
    values: usize,
    /// Values copied by aliases.
    aliased: usize,
}

/// The 1-based line:column of a span's start.
fn start_of(span: Span) -> (usize, usize) {
    (span.start.line().max(1), span.start.col() + 1)
}

impl Writer {
    fn problem(&self, span: Span, message: String) -> Found {
        Found {
            path: self.path.clone(),
            message,
            at: Ok(start_of(span)),
        }
    }

    fn refuse_tag(&self, tagged: bool, span: Span) -> Result<(), Found> {
        if tagged {
            return Err(self.problem(
                span,
                "YAML tags (`!name`, `!!type`) are not part of the scenario format: remove the \
                 tag, and quote the value if it must be text"
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// Starts a new line of JSON for what starts at `span`.
    fn line(&mut self, span: Span) {
        if !self.json.is_empty() {
            self.json.push('\n');
        }
        self.places.push(start_of(span));
    }

    /// Whether the next scalar is a mapping's key.
    fn expecting_key(&self) -> bool {
        self.frames
            .last()
            .is_some_and(|f| f.kind == Kind::Mapping && f.expect_key)
    }

    /// Before a value: the separator and path step of a list item; the document's root
    /// must be a mapping.
    fn begin_value(&mut self, span: Span, what: &str) -> Result<(), Found> {
        match self.frames.last_mut() {
            None if !self.json.is_empty() => {
                return Err(self.problem(span, "a second value after the document".to_string()))
            }
            None if what != "a mapping" => {
                return Err(self.problem(
                    span,
                    format!("a scenario file holds one mapping (`key: value` lines); found {what}"),
                ))
            }
            Some(frame) if frame.kind == Kind::Sequence => {
                if frame.count > 0 {
                    self.json.push(',');
                }
                let _ = write!(self.path, "[{}]", frame.count);
            }
            _ => {}
        }
        if self.frames.len() >= MAX_DEPTH {
            return Err(self.problem(
                span,
                format!("mappings and lists are nested more than {MAX_DEPTH} deep"),
            ));
        }
        self.values += 1;
        Ok(())
    }

    /// After a value: back to its container's path, ready for the next key or item.
    fn end_value(&mut self) {
        if let Some(frame) = self.frames.last_mut() {
            self.path.truncate(frame.path_len);
            frame.count += 1;
            frame.expect_key = true;
        }
    }

    fn key(&mut self, key: &str, span: Span) -> Result<(), Found> {
        let frame = self.frames.last_mut().expect("a key is inside a mapping");
        let duplicate = !frame.keys.insert(key.to_string());
        let first = frame.count == 0;
        frame.expect_key = false;
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(key);
        if duplicate {
            return Err(self.problem(
                span,
                format!("the key `{key}` is given twice in this mapping: keep one"),
            ));
        }
        if !first {
            self.json.push(',');
        }
        self.line(span);
        self.json.push_str(&json_string(key));
        self.json.push(':');
        Ok(())
    }

    fn scalar(
        &mut self,
        value: &str,
        style: ScalarStyle,
        anchor: usize,
        span: Span,
    ) -> Result<(), Found> {
        if self.expecting_key() {
            if style == ScalarStyle::Plain && is_null(value) {
                return Err(self.problem(
                    span,
                    "a key is empty (or `~`/`null`): every key is a field name".to_string(),
                ));
            }
            return self.key(value, span);
        }
        self.begin_value(span, "a single value")?;
        self.line(span);
        let start = self.json.len();
        self.json.push_str(&scalar_json(value, style));
        if anchor != 0 {
            self.anchors.insert(
                anchor,
                Anchored {
                    json: self.json[start..].to_string(),
                    values: 1,
                },
            );
        }
        self.end_value();
        Ok(())
    }

    fn open(&mut self, kind: Kind, anchor: usize, span: Span) -> Result<(), Found> {
        let what = match kind {
            Kind::Mapping => "a mapping",
            Kind::Sequence => "a list",
        };
        if self.expecting_key() {
            return Err(self.problem(
                span,
                format!("a key is {what}; every key is a plain field name"),
            ));
        }
        self.begin_value(span, what)?;
        self.line(span);
        let start = self.json.len();
        self.json.push(match kind {
            Kind::Mapping => '{',
            Kind::Sequence => '[',
        });
        self.frames.push(Frame {
            kind,
            path_len: self.path.len(),
            count: 0,
            expect_key: true,
            keys: BTreeSet::new(),
            anchor: (anchor != 0).then_some((anchor, start, self.values)),
        });
        Ok(())
    }

    fn close(&mut self, span: Span) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        self.line(span);
        self.json.push(match frame.kind {
            Kind::Mapping => '}',
            Kind::Sequence => ']',
        });
        if let Some((anchor, start, values_before)) = frame.anchor {
            self.anchors.insert(
                anchor,
                Anchored {
                    json: self.json[start..].to_string(),
                    values: self.values - values_before + 1,
                },
            );
        }
        self.end_value();
    }

    fn alias(&mut self, anchor: usize, span: Span) -> Result<(), Found> {
        if self.expecting_key() {
            return Err(self.problem(
                span,
                "a key is an alias (`*name`); every key is a plain field name".to_string(),
            ));
        }
        let Some(anchored) = self.anchors.get(&anchor) else {
            return Err(self.problem(
                span,
                "this alias refers to the value it is inside of; a value cannot contain itself"
                    .to_string(),
            ));
        };
        let (json, values) = (anchored.json.clone(), anchored.values);
        self.begin_value(span, "an alias")?;
        self.aliased += values;
        if self.aliased > MAX_ALIASED_VALUES {
            return Err(self.problem(
                span,
                format!(
                    "aliases (`*name`) copy more than {MAX_ALIASED_VALUES} values in all; \
                     write the values out, or use a generator for large topologies"
                ),
            ));
        }
        self.values += values - 1;
        self.line(span);
        // Every line of the copy is placed at the alias.
        let place = start_of(span);
        self.places
            .extend(std::iter::repeat_n(place, json.matches('\n').count()));
        self.json.push_str(&json);
        self.end_value();
        Ok(())
    }
}

fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

fn is_null(plain: &str) -> bool {
    matches!(plain, "" | "~" | "null" | "Null" | "NULL")
}

/// A scalar as JSON: quoted and block scalars are text; plain ones are read by the YAML
/// 1.2 core schema (null, booleans, integers, floats), anything else is text.
fn scalar_json(value: &str, style: ScalarStyle) -> String {
    if style != ScalarStyle::Plain {
        return json_string(value);
    }
    if is_null(value) {
        return "null".to_string();
    }
    match value {
        "true" | "True" | "TRUE" => return "true".to_string(),
        "false" | "False" | "FALSE" => return "false".to_string(),
        _ => {}
    }
    number(value).unwrap_or_else(|| json_string(value))
}

/// A plain scalar that YAML 1.2's core schema reads as a number, as a JSON number.
fn number(text: &str) -> Option<String> {
    let radix = |prefix: &str, radix: u32| {
        text.strip_prefix(prefix)
            .filter(|digits| !digits.is_empty())
            .and_then(|digits| u64::from_str_radix(digits, radix).ok())
            .map(|n| n.to_string())
    };
    if let Some(n) = radix("0x", 16).or_else(|| radix("0o", 8)) {
        return Some(n);
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let negative = text.starts_with('-');
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        let digits = unsigned.trim_start_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        return Some(format!("{}{digits}", if negative { "-" } else { "" }));
    }
    if !is_core_float(unsigned) {
        return None;
    }
    if is_json_number(unsigned) {
        return Some(format!("{}{unsigned}", if negative { "-" } else { "" }));
    }
    let parsed: f64 = text.parse().ok()?;
    serde_json::Number::from_f64(parsed).map(|n| n.to_string())
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, YAML 1.2 core's float without sign.
fn is_core_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", fraction)) => digits(fraction),
        Some((whole, fraction)) => digits(whole) && (fraction.is_empty() || digits(fraction)),
        None => digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)))
}

/// Whether an unsigned core float is already a JSON number (no leading zeros, digits on
/// both sides of the point).
fn is_json_number(text: &str) -> bool {
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, "x"));
    !whole.is_empty()
        && (whole == "0" || !whole.starts_with('0'))
        && (fraction == "x" || !fraction.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        serde_json::from_str(&to_json(text).unwrap().json).unwrap()
    }

    fn problem(text: &str) -> (String, (usize, usize), String) {
        let found = to_json(text).unwrap_err();
        (found.path, found.at.unwrap(), found.message)
    }

    #[test]
    fn plain_scalars_are_read_by_the_core_schema() {
        let value = json(
            "a: 1\nb: -0.5\nc: 1e3\nd: 0x10\ne: true\nf: ~\ng: 30d\nh: '12'\ni: .5\nj: 007\nk: +3\n",
        );
        assert_eq!(
            value,
            serde_json::json!({"a": 1, "b": -0.5, "c": 1000.0, "d": 16, "e": true, "f": null,
                "g": "30d", "h": "12", "i": 0.5, "j": 7, "k": 3})
        );
    }

    #[test]
    fn every_json_line_is_placed_in_the_yaml() {
        let converted = to_json("services:\n  - name: db\n    replicas: [a, b]\n").unwrap();
        let lines: Vec<&str> = converted.json.lines().collect();
        let at = |needle: &str| {
            let line = lines.iter().position(|l| l.contains(needle)).unwrap() + 1;
            converted.place(line)
        };
        assert_eq!(at("\"services\""), (1, 1));
        assert_eq!(at("\"name\""), (2, 5));
        assert_eq!(at("\"db\""), (2, 11));
        assert_eq!(at("\"replicas\""), (3, 5));
        assert_eq!(at("\"b\""), (3, 19));
    }

    #[test]
    fn aliases_copy_their_anchor_within_a_limit() {
        assert_eq!(
            json("x: &d {exp: {mean: 1h}}\ny: *d\n"),
            serde_json::json!({"x": {"exp": {"mean": "1h"}}, "y": {"exp": {"mean": "1h"}}})
        );
        let mut bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n".to_string();
        for (i, name) in "bcdefghi".chars().enumerate() {
            let previous = (b'a' + i as u8) as char;
            let items = vec![format!("*{previous}"); 10].join(", ");
            bomb.push_str(&format!("{name}: &{name} [{items}]\n"));
        }
        let (path, at, message) = problem(&bomb);
        assert!(message.starts_with("aliases (`*name`) copy more than 10000"));
        // a: 11 values, b: 10 × 11, c: 10 × 111; the 8th copy of c (1111 values) in d
        // passes 10000.
        assert_eq!((path.as_str(), at.0), ("d[7]", 4));
    }

    #[test]
    fn what_yaml_has_and_the_format_does_not_is_refused_at_its_place() {
        let (path, at, message) = problem("name: a\nseed: 1\nname: b\n");
        assert_eq!((path.as_str(), at), ("name", (3, 1)));
        assert_eq!(
            message,
            "the key `name` is given twice in this mapping: keep one"
        );
        let (_, at, message) = problem("seed: !!int 3\n");
        assert_eq!(at, (1, 7));
        assert!(message.starts_with("YAML tags"));
        let (_, at, message) = problem("? [a, b]\n: 1\n");
        assert_eq!(at, (1, 3));
        assert!(message.starts_with("a key is a list"));
        let (_, at, message) = problem("a: 1\n---\nb: 2\n");
        assert_eq!(at.0, 2);
        assert!(message.contains("one YAML document"));
        let (_, _, message) = problem("- a\n- b\n");
        assert!(message.ends_with("found a list"), "{message}");
        let (_, at, message) = problem("a:\n\tb: 1\n");
        assert_eq!(at.0, 2);
        assert!(message.contains("replace the tabs by spaces"), "{message}");
        let (_, _, message) = problem("a: &x [*x]\n");
        assert!(message.contains("cannot contain itself"), "{message}");
    }
}
