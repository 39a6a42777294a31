//! Shape problems serde would accept or explain badly, found before typed parsing: an
//! object written as a positional array (serde reads `["a1", "east"]` as a node field by
//! field, in an order the format does not define), and a one-of-several-keys object
//! (`{"crash": ...}`, `{"exp": ...}`) that holds none or more than one of its keys.

use super::positions::{walk, Entry, Mark, Visit};
use super::shape::{Node, Shape};
use std::collections::HashMap;

/// One shape problem: the value's path and where it is in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Finding {
    /// JSON path of the value.
    pub(crate) path: String,
    /// Where the value starts.
    pub(crate) start: Mark,
    /// The byte after its end.
    pub(crate) end: usize,
    /// What is wrong and how to write it.
    pub(crate) message: String,
}

/// Every shape problem of `text` (valid JSON) against `shape`, in text order; none lies
/// inside another.
pub(crate) fn scan(text: &str, shape: &Shape) -> Vec<Finding> {
    let mut scan = Scan {
        text,
        shape,
        frames: Vec::new(),
        findings: Vec::new(),
        fields: HashMap::new(),
        items: HashMap::new(),
        kinds: HashMap::new(),
    };
    walk(text, &mut scan);
    scan.findings.sort_by_key(|f| f.start.offset);
    scan.findings
}

struct Frame<'s> {
    node: Option<Node<'s>>,
    /// The JSON type of the value.
    kind: &'static str,
    /// Whether the value's JSON type is not one its schema allows.
    misshapen: bool,
    /// For a one-of-several-keys object: the keys it may hold and the keys it holds.
    choice: Option<(Vec<&'s str>, Vec<String>)>,
}

struct Scan<'t, 's> {
    text: &'t str,
    shape: &'s Shape,
    frames: Vec<Frame<'s>>,
    findings: Vec<Finding>,
    /// What the schema answered, by subschema address: a file repeats the same few
    /// questions (the fields of a node) a million times.
    fields: HashMap<(usize, String), Option<Node<'s>>>,
    items: HashMap<usize, Option<Node<'s>>>,
    kinds: HashMap<(usize, &'static str), (bool, bool)>,
}

fn kind_of(first: u8) -> &'static str {
    match first {
        b'{' => "object",
        b'[' => "array",
        b'"' => "string",
        b't' | b'f' => "boolean",
        b'n' => "null",
        _ => "number",
    }
}

/// `a`, `a and b`, `a, b and c`, each in backquotes.
fn listing(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// JSON text on one line: whitespace outside strings dropped, one space after commas.
fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if !c.is_whitespace() {
            out.push(c);
            match c {
                '"' => in_string = true,
                ',' => out.push(' '),
                _ => {}
            }
        }
    }
    out
}

/// What a message calls the value at `path`, and its verb: a field by its name
/// ("`crash` takes"), an item of a list by what it is ("a node is").
fn subject(node: Node<'_>, path: &str) -> (String, &'static str) {
    if !path.ends_with(']') {
        if let Some(field) = path.rsplit('.').next().filter(|f| !f.is_empty()) {
            return (format!("`{field}`"), "takes");
        }
    }
    let noun = node.noun().unwrap_or_else(|| "item".to_string());
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    (format!("{article} {noun}"), "is")
}

/// What the value at `path` is called where one kind of thing is meant ("one fault").
fn noun(node: Node<'_>, path: &str) -> String {
    node.noun().unwrap_or_else(|| {
        let field = path.rsplit(['.', '[']).next().unwrap_or(path);
        format!("`{}`", field.trim_end_matches(']'))
    })
}

impl<'s> Scan<'_, 's> {
    fn report(&mut self, path: &str, start: Mark, end: usize, message: String) {
        // A finding replaces its whole value: those inside it are moot.
        self.findings
            .retain(|f| !(f.start.offset >= start.offset && f.end <= end));
        self.findings.push(Finding {
            path: path.to_string(),
            start,
            end,
            message,
        });
    }

    /// The message for an object written as the array `written`.
    fn positional(&self, node: Node<'s>, path: &str, written: &str) -> String {
        let (what, verb) = subject(node, path);
        let Some((all, required)) = node.object_fields() else {
            return format!("{what} {verb} an object with named fields, not an array");
        };
        // A value whose one required field is a list was most likely given as that list.
        if let [only] = required.as_slice() {
            if node.field(only).is_some_and(|field| field.accepts("array")) {
                let written = compact(written);
                let example = if written.chars().count() <= 60 {
                    written.as_str()
                } else {
                    "[...]"
                };
                return format!(
                    "{what} {verb} an object, not a list: write {{\"{only}\": {example}}}"
                );
            }
        }
        let mut fields: Vec<String> = required
            .iter()
            .map(|name| format!("`{name}` (required)"))
            .collect();
        fields.extend(
            all.iter()
                .filter(|name| !required.contains(name))
                .map(|name| format!("`{name}`")),
        );
        // Where a plain string may stand instead (a system term's service name), say so.
        let or_string = if node.accepts("string") {
            "a string or "
        } else {
            ""
        };
        format!(
            "{what} {verb} {or_string}an object with named fields ({}), not a positional array: \
             the order of fields is not part of the format; write each value under its name",
            fields.join(", ")
        )
    }

    /// The message for a value of JSON type `kind` where `node` wants something else,
    /// when serde would misread it or explain it badly; `None` leaves it to serde.
    fn misshapen(&self, node: Node<'s>, path: &str, kind: &str, written: &str) -> Option<String> {
        if node.accepts(kind) {
            return None;
        }
        if let Some(keys) = node.choice_keys() {
            let article = if kind == "array" || kind == "object" {
                "an"
            } else {
                "a"
            };
            let (what, verb) = subject(node, path);
            let constants: String = node
                .constants()
                .iter()
                .map(|c| format!("\"{c}\" or "))
                .collect();
            return Some(format!(
                "{what} {verb} {constants}an object holding exactly one of {}, e.g. \
                 {{\"{}\": ...}}; found {article} {kind}",
                listing(&keys),
                keys[0],
            ));
        }
        (kind == "array" && node.accepts("object")).then(|| self.positional(node, path, written))
    }
}

impl<'s> Visit for Scan<'_, 's> {
    fn enter(&mut self, _: &str, entry: Entry<'_>, _: Mark, first: u8) -> bool {
        let node = match (entry, self.frames.last_mut()) {
            (Entry::Root, _) => Some(self.shape.root()),
            (Entry::Member { key, .. }, Some(parent)) => {
                if let Some((_, held)) = &mut parent.choice {
                    held.push(key.to_string());
                }
                parent.node.and_then(|n| {
                    *self
                        .fields
                        .entry((n.address(), key.to_string()))
                        .or_insert_with(|| n.field(key))
                })
            }
            (Entry::Item, Some(parent)) => parent
                .node
                .and_then(|n| *self.items.entry(n.address()).or_insert_with(|| n.item())),
            (_, None) => None,
        };
        let kind = kind_of(first);
        // Whether the value's type is wrong here, and whether it opens a choice.
        let (misshapen, is_choice) = node.map_or((false, false), |n| {
            *self.kinds.entry((n.address(), kind)).or_insert_with(|| {
                let misshapen = !n.accepts(kind);
                (
                    misshapen,
                    kind == "object" && !misshapen && n.choice_keys().is_some(),
                )
            })
        });
        let choice = match node {
            Some(n) if is_choice => n.choice_keys().map(|k| (k, Vec::new())),
            _ => None,
        };
        self.frames.push(Frame {
            node,
            kind,
            misshapen,
            choice,
        });
        // What a misshapen value holds is not checked against a shape it does not have.
        !misshapen
    }

    fn leave(&mut self, path: &str, start: Mark, end: usize) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        let Some(node) = frame.node else {
            return;
        };
        if frame.misshapen {
            let written = &self.text[start.offset..end];
            if let Some(message) = self.misshapen(node, path, frame.kind, written) {
                self.report(path, start, end, message);
            }
            return;
        }
        if let Some((keys, held)) = frame.choice {
            let what = noun(node, path);
            let message = match held.as_slice() {
                [_] => return,
                [] => format!(
                    "this {what} is empty: it holds exactly one of {}",
                    listing(&keys)
                ),
                _ => {
                    let held: Vec<&str> = held.iter().map(String::as_str).collect();
                    format!(
                        "one {what} holds exactly one of {}; this one has {}: give each its \
                         own {what}",
                        listing(&keys),
                        listing(&held)
                    )
                }
            };
            self.report(path, start, end, message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(text: &str) -> Vec<(String, usize, usize, String)> {
        scan(text, Shape::scenario())
            .into_iter()
            .map(|f| (f.path, f.start.line, f.start.column, f.message))
            .collect()
    }

    #[test]
    fn a_node_written_as_an_array_is_refused_with_its_field_names() {
        let found = findings(r#"{"topology": {"nodes": [{"id": "a"}, ["a1", "east", "east-1"]]}}"#);
        assert_eq!(found.len(), 1, "{found:?}");
        let (path, line, column, message) = &found[0];
        assert_eq!(
            (path.as_str(), *line, *column),
            ("topology.nodes[1]", 1, 38)
        );
        assert!(
            message
                .starts_with("a node is an object with named fields (`id` (required), `capacity`"),
            "{message}"
        );
    }

    #[test]
    fn a_distribution_with_positional_parameters_is_refused() {
        let text = r#"{"faults": {"node_failures": [{"ttf": {"weibull": [1.5, "30d"]}, "ttr": {"const": 1}}]}}"#;
        let found = findings(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "faults.node_failures[0].ttf.weibull");
        assert!(
            found[0]
                .3
                .contains("(`shape` (required), `scale` (required))"),
            "{}",
            found[0].3
        );
    }

    #[test]
    fn a_node_list_given_as_a_list_points_to_the_object_form() {
        let found =
            findings("{\"faults\": {\"scheduled\": [{\"at\": 1, \"fault\": {\"crash\": [\n \"db1\",\"d b\"\n]}}]}}");
        assert_eq!(found[0].0, "faults.scheduled[0].fault.crash");
        assert_eq!(
            found[0].3,
            r#"`crash` takes an object, not a list: write {"nodes": ["db1", "d b"]}"#
        );
    }

    #[test]
    fn a_fault_with_two_actions_names_both_and_the_choice() {
        let text = r#"{"faults": {"scheduled": [{"at": 1, "fault": {"crash": {"nodes": ["a"]}, "isolate": {"nodes": ["b"]}}}]}}"#;
        let found = findings(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "faults.scheduled[0].fault");
        assert!(
            found[0]
                .3
                .starts_with("one fault holds exactly one of `crash`, `crash_random`"),
            "{}",
            found[0].3
        );
        assert!(found[0].3.contains("this one has `crash` and `isolate`"));
        let empty = findings(r#"{"faults": {"node_failures": [{"ttf": {}}]}}"#);
        assert!(
            empty[0].3.starts_with("this distribution is empty"),
            "{empty:?}"
        );
    }

    #[test]
    fn well_formed_files_have_no_findings() {
        for entry in std::fs::read_dir("scenarios").unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).unwrap();
                if !text.contains(crate::scenarios::load::RISK_FILE_KEY) {
                    assert_eq!(findings(&text), [], "{}", path.display());
                }
            }
        }
    }
}
