//! Parses a scenario file, reporting every problem it can find at once, each with its
//! JSON path and line:column.
//!
//! 1. Syntax: one pass of serde_json over the text; a syntax error ends parsing.
//! 2. Shape (`structure`): objects written as arrays and
//!    one-of-several-keys objects that do not hold exactly one key.
//! 3. Types: serde with `serde_path_to_error`. A value that does not parse is reported
//!    and replaced in the text by a stand-in (`Node::placeholder`: its default, or a
//!    neutral value of its type), and parsing goes on, so that one type error does not
//!    hide the next. The paths replaced are returned, so that the checks after parsing
//!    skip what depends on them.

use super::error::{Diagnostic, ScenarioError, SourceText};
use super::model::Scenario;
use super::positions::{locate_all, span_of, Aim};
use super::shape::{Node, Shape};
use super::source::without_bom;
use super::structure;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;

/// Most type errors reported from one file; past these, parsing stops and says so.
pub const MAX_TYPE_ERRORS: usize = 100;
/// Each type error costs one more parse of the whole text: past this many bytes parsed
/// in all, parsing stops (a 256 MiB file reports its first few type errors, not 100).
const REPARSE_BUDGET_BYTES: usize = 1 << 30;

/// One problem, placed by path; `at` is its line:column when known already, else the
/// part of the value at `path` to point at.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    pub(crate) path: String,
    pub(crate) message: String,
    pub(crate) at: Result<(usize, usize), Aim>,
}

impl Found {
    /// A problem with the value at `path`, placed at its start.
    pub(crate) fn at_value(path: String, message: String) -> Found {
        Found {
            path,
            message,
            at: Err(Aim::Value),
        }
    }
}

/// What parsing made of a scenario text.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// The model, with stand-ins for the values that did not parse; `None` after a
    /// syntax error or when parsing stopped.
    pub(crate) scenario: Option<Scenario>,
    /// Every syntax, shape and type problem.
    pub(crate) problems: Vec<Found>,
    /// Paths whose values did not parse and were replaced by stand-ins.
    pub(crate) stand_ins: Vec<String>,
}

/// Parses scenario text; every syntax, shape and type error is returned, each with its
/// JSON path and line:column.
pub fn parse(text: &str, file: &Path) -> Result<Scenario, ScenarioError> {
    let parsed = parse_all(text);
    match parsed.scenario {
        Some(scenario) if parsed.problems.is_empty() => Ok(scenario),
        _ => Err(invalid(file, text, parsed.problems)),
    }
}

/// Parses as much of a scenario text as parses; see the module documentation.
pub(crate) fn parse_all(text: &str) -> Parsed {
    let text = without_bom(text);
    let mut parsed = parse_parts(text);
    if !parsed.problems.is_empty() && is_risk_file(text) {
        // The rest would only list the ways a risk file is not a scenario.
        parsed.problems.truncate(1);
        parsed.scenario = None;
        parsed.problems[0].message.push_str(
            "; this is a risk file (it has `risk_assessments`): run `failsim plan` on it",
        );
    }
    parsed
}

fn parse_parts(text: &str) -> Parsed {
    let shape = Shape::scenario();
    let mut parsed = Parsed {
        scenario: None,
        problems: Vec::new(),
        stand_ins: Vec::new(),
    };
    if let Some(problem) = syntax_problem(text, "a scenario file") {
        parsed.problems.push(problem);
        return parsed;
    }
    let findings = structure::scan(text, shape);
    let mut repaired: Cow<str> = Cow::Borrowed(text);
    if !findings.is_empty() {
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for finding in &findings {
            out.push_str(&text[copied..finding.start.offset]);
            out.push_str(&stand_in(shape.at(&finding.path)));
            copied = finding.end;
            parsed.stand_ins.push(finding.path.clone());
            parsed.problems.push(Found {
                path: finding.path.clone(),
                message: finding.message.clone(),
                at: Ok((finding.start.line, finding.start.column)),
            });
        }
        out.push_str(&text[copied..]);
        repaired = Cow::Owned(out);
    }
    let budget = (REPARSE_BUDGET_BYTES / text.len().max(1)).clamp(1, MAX_TYPE_ERRORS);
    let mut repaired_paths = BTreeSet::new();
    loop {
        let (path, error) = match typed::<Scenario>(&repaired) {
            Ok(scenario) => {
                parsed.scenario = Some(scenario);
                return parsed;
            }
            Err(failure) => failure,
        };
        let message = with_suggestion(strip_position(&error.to_string()));
        if !repaired_paths.insert((path.clone(), message.clone())) {
            // The stand-in did not parse either (a bug in the schema's reading): what
            // was reported stays, nothing more can be learned.
            return parsed;
        }
        let aim = if message.starts_with("unknown field `") {
            Aim::Key
        } else if message.starts_with("unknown variant `") {
            Aim::FirstKey
        } else {
            Aim::Value
        };
        // A field missing beside an unknown one is most likely that one misspelt, which
        // the unknown field's message already says: stand in for it without a word.
        let misspelt = message.starts_with("missing field `")
            && parsed.problems.iter().any(|p| {
                p.message.starts_with("unknown field `")
                    && super::positions::parent(&p.path) == Some(path.as_str())
            });
        // serde names the object that holds a key twice; point at the repeated key (the
        // walk keeps a key's last place, so a second `"horizon"` is where it lands).
        let duplicate = message
            .strip_prefix("duplicate field `")
            .and_then(|rest| rest.split('`').next())
            .map(|field| match path.as_str() {
                "" => field.to_string(),
                parent => format!("{parent}.{field}"),
            });
        if !misspelt {
            parsed.problems.push(Found {
                path: duplicate.clone().unwrap_or_else(|| path.clone()),
                message: message.clone(),
                at: Err(if duplicate.is_some() { Aim::Key } else { aim }),
            });
        }
        if repaired_paths.len() >= budget {
            let last = parsed.problems.last_mut().expect("just pushed");
            last.message.push_str(&format!(
                "; parsing stopped after {} type errors: fix these and validate again",
                repaired_paths.len()
            ));
            return parsed;
        }
        match repair(&repaired, &path, &message, shape) {
            Some((text, stood_in)) => {
                repaired = Cow::Owned(text);
                parsed.stand_ins.extend(stood_in);
            }
            None => return parsed,
        }
    }
}

/// A typed parse of `text`: the value, or the path and error where it failed.
fn typed<T: DeserializeOwned>(text: &str) -> Result<T, (String, serde_json::Error)> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| (known_prefix(&error.path().to_string()), error.into_inner()))?;
    deserializer.end().map_err(|error| (String::new(), error))?;
    Ok(value)
}

/// The JSON text of the stand-in for a value of `node` (`null` where the format has no
/// such value).
fn stand_in(node: Option<Node<'_>>) -> String {
    node.map_or(serde_json::Value::Null, Node::placeholder)
        .to_string()
}

/// `text` with the value that failed at `path` mended so that parsing can go on, and the
/// path that now holds a stand-in (none for a removed unknown field).
fn repair(
    text: &str,
    path: &str,
    message: &str,
    shape: &Shape,
) -> Option<(String, Option<String>)> {
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
    };
    let span = span_of(text, path)?;
    let splice = |from: usize, to: usize, with: &str| {
        let mut out = String::with_capacity(text.len() + with.len());
        out.push_str(&text[..from]);
        out.push_str(with);
        out.push_str(&text[to..]);
        out
    };
    if quoted("unknown field `").is_some() {
        // Drop the member and one comma beside it.
        let key_at = span.key_at?;
        let after = text[span.end..].trim_start();
        let end = text.len() - after.len();
        if let Some(rest) = after.strip_prefix(',') {
            let end = text.len() - rest.len();
            return Some((splice(key_at, end, ""), None));
        }
        let before = text[..key_at].trim_end();
        let start = before.strip_suffix(',').map_or(key_at, str::len);
        return Some((splice(start, end, ""), None));
    }
    if let Some(field) = quoted("missing field `") {
        let field_path = if path.is_empty() {
            field.clone()
        } else {
            format!("{path}.{field}")
        };
        let open = span.start.offset + 1;
        let empty = text[open..].trim_start().starts_with('}');
        let member = format!(
            "\"{field}\": {}{}",
            stand_in(shape.at(&field_path)),
            if empty { "" } else { "," }
        );
        return Some((splice(open, open, &member), Some(field_path)));
    }
    let with = stand_in(shape.at(path));
    Some((
        splice(span.start.offset, span.end, &with),
        Some(path.to_string()),
    ))
}

/// The most problems one error lists: every one a person could read, while a file that
/// repeats one mistake a million times (a replica listed 10⁶ times) is placed and
/// printed in well under a second instead of 16 s and a million lines.
pub(crate) const MAX_REPORTED: usize = 10_000;

/// Places every problem (those without a position by their path) and makes the error;
/// beyond [`MAX_REPORTED`], the first found are listed and a last line counts the rest.
pub(crate) fn invalid(file: &Path, text: &str, problems: Vec<Found>) -> ScenarioError {
    invalid_and_more(file, text, problems, 0)
}

/// [`invalid`] for `problems` and `unlisted` more found but not kept (see
/// [`Checker`](super::check::Checker)).
pub(crate) fn invalid_and_more(
    file: &Path,
    text: &str,
    mut problems: Vec<Found>,
    unlisted: usize,
) -> ScenarioError {
    let text = without_bom(text);
    let unreported = problems.len().saturating_sub(MAX_REPORTED) + unlisted;
    problems.truncate(MAX_REPORTED);
    let unplaced: Vec<(&str, Aim)> = problems
        .iter()
        .filter_map(|p| p.at.err().map(|aim| (p.path.as_str(), aim)))
        .collect();
    let mut places = locate_all(text, &unplaced).into_iter();
    let mut diagnostics: Vec<Diagnostic> = problems
        .into_iter()
        .map(|problem| {
            let (line, column) = problem
                .at
                .unwrap_or_else(|_| places.next().unwrap_or((1, 1)));
            Diagnostic {
                path: problem.path,
                line,
                column,
                message: problem.message,
            }
        })
        .collect();
    diagnostics.sort_by_key(|d| (d.line, d.column));
    note_unreported(&mut diagnostics, unreported);
    ScenarioError::Invalid {
        file: file.to_path_buf(),
        diagnostics,
        text: SourceText::new(text),
    }
}

/// Ends a list cut at [`MAX_REPORTED`] with a line that counts the `unreported` rest,
/// placed at the last listed problem.
pub(crate) fn note_unreported(diagnostics: &mut Vec<Diagnostic>, unreported: usize) {
    if unreported == 0 {
        return;
    }
    let last = diagnostics.last().cloned();
    diagnostics.extend(last.map(|last| Diagnostic {
        message: super::check::unlisted_problems(unreported),
        ..last
    }));
}

/// The first syntax error of `text`, placed, or the problem with a document that is not
/// one JSON object.
fn syntax_problem(text: &str, kind: &str) -> Option<Found> {
    if let Some(d) = super::source::not_an_object(text.as_bytes(), kind) {
        return Some(Found {
            path: d.path,
            message: d.message,
            at: Ok((d.line, d.column)),
        });
    }
    let error = serde_json::from_str::<serde::de::IgnoredAny>(text).err()?;
    // serde_json words some errors better when it parses into a type ("trailing comma"
    // where skipping says "expected value"): take that one when it is the same error.
    let error = match typed::<Scenario>(text) {
        Err((_, typed)) if typed.is_syntax() || typed.is_eof() => {
            if (typed.line(), typed.column()) == (error.line(), error.column()) {
                typed
            } else {
                error
            }
        }
        _ => error,
    };
    let line = error.line().max(1);
    // serde_json counts bytes; editors count characters.
    let line_start = match line {
        1 => 0,
        _ => text
            .match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(at, _)| at + 1),
    };
    let line_text = text[line_start..].split('\n').next().unwrap_or("");
    let byte_column = error.column().max(1).min(line_text.len() + 1);
    let prefix = line_text.get(..byte_column - 1).unwrap_or(line_text);
    let column = prefix.chars().count() + 1;
    let offset = line_start + prefix.len();
    let path = super::positions::path_at(text, offset.saturating_sub(1));
    Some(Found {
        path,
        message: explain(text, line, column, strip_position(&error.to_string())),
        at: Ok((line, column)),
    })
}

/// Parses a JSON document of type `T` (a risk file, `kind` in messages); a syntax or type
/// error names its JSON path and line:column. Scenario files go through [`parse`], which
/// reports every problem at once.
pub fn parse_document<T: DeserializeOwned>(
    text: &str,
    file: &Path,
    kind: &str,
) -> Result<T, ScenarioError> {
    let text = without_bom(text);
    if let Some(problem) = syntax_problem(text, kind) {
        return Err(invalid(file, text, vec![problem]));
    }
    typed(text).map_err(|(path, error)| {
        invalid(
            file,
            text,
            vec![Found::at_value(path, strip_position(&error.to_string()))],
        )
    })
}

/// serde_path_to_error writes `?` for a step it could not name (a key cut off by a
/// syntax error) and `.` for the root; keep the part of the path that is known.
fn known_prefix(path: &str) -> String {
    let mut known = path;
    while let Some(rest) = known.strip_suffix('?').or_else(|| known.strip_suffix('.')) {
        known = rest;
    }
    known.to_string()
}

/// Adds the likely cause to a syntax error where serde_json's words hide it.
fn explain(text: &str, line: usize, column: usize, message: String) -> String {
    let rest: String = text
        .lines()
        .nth(line - 1)
        .map(|l| l.chars().skip(column - 1).collect())
        .unwrap_or_default();
    if rest.starts_with("//") || rest.starts_with("/*") {
        format!("{message}: JSON has no comments; remove it or move the text into \"description\"")
    } else if [
        "NaN",
        "Infinity",
        "-Infinity",
        "+Infinity",
        "inf",
        "-inf",
        "nan",
    ]
    .iter()
    .any(|word| rest.starts_with(word))
    {
        format!("{message}: JSON numbers are finite; NaN and Infinity are not numbers in JSON")
    } else if text.trim().is_empty() {
        format!("{message}: the file is empty")
    } else if message.starts_with("EOF while parsing") {
        format!("{message}: the file ends before the JSON does; is it cut short?")
    } else {
        message
    }
}

/// serde's "unknown field `x`, expected one of `a`, `b`" (or "unknown variant") with
/// "; did you mean `a`?" when one of the names is near `x`.
fn with_suggestion(message: String) -> String {
    let Some(rest) = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))
    else {
        return message;
    };
    let Some((word, expected)) = rest.split_once('`') else {
        return message;
    };
    let known = expected.split('`').skip(1).step_by(2);
    let hint = crate::core::nearest::did_you_mean(word, known);
    message + &hint
}

/// serde_json appends " at line L column C"; we print the position in front instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message.to_string(),
    }
}

/// The top-level key that marks a risk file (the input of `failsim plan`).
pub const RISK_FILE_KEY: &str = "risk_assessments";

/// Whether a JSON document is a risk file: an object with a top-level `risk_assessments`
/// key. Malformed JSON is not a risk file (the scenario loader reports it instead).
pub fn is_risk_file(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Keys {
        #[serde(rename = "risk_assessments")]
        risk: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_str::<Keys>(without_bom(text)).is_ok_and(|keys| keys.risk.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<(String, String)> {
        parse_all(text)
            .problems
            .into_iter()
            .map(|p| (p.path, p.message))
            .collect()
    }

    #[test]
    fn every_type_error_is_reported_not_only_the_first() {
        let text = r#"{"replications": "five", "horizon": "1d",
            "topology": {"nodes": [{"id": "a", "capacity": "big"}, {"id": "b", "colour": 1}]},
            "services": [{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["a"],
                "failover": {"operator": {"lognormal": {"median": "1h", "sigma": "wide"}}}}]}"#;
        let parsed = parse_all(text);
        let found: Vec<&str> = parsed.problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            found,
            [
                "replications",
                "topology.nodes[0].capacity",
                "topology.nodes[1].colour",
                "services[0].failover.operator.lognormal.sigma"
            ]
        );
        let scenario = parsed.scenario.expect("stand-ins parse");
        assert_eq!(scenario.replications, 100);
        assert_eq!(scenario.topology.nodes[0].capacity, 1.0);
        assert_eq!(
            parsed.stand_ins,
            [
                "replications",
                "topology.nodes[0].capacity",
                "services[0].failover.operator.lognormal.sigma"
            ]
        );
    }

    #[test]
    fn a_missing_field_is_stood_in_and_reported_at_its_object() {
        let found = problems(r#"{"topology": {"nodes": [{"region": "r"}, {}]}, "services": []}"#);
        assert_eq!(
            found,
            [
                (
                    "topology.nodes[0]".to_string(),
                    "missing field `id`".to_string()
                ),
                (
                    "topology.nodes[1]".to_string(),
                    "missing field `id`".to_string()
                )
            ]
        );
    }

    #[test]
    fn every_missing_field_of_one_object_is_reported() {
        let found = problems(
            r#"{"topology": {"nodes": [{"id": "a"}]}, "services": [],
                "faults": {"node_failures": [{"ttf": {"weibull": {}}, "ttr": {"const": 1}}]}}"#,
        );
        let at = "faults.node_failures[0].ttf.weibull".to_string();
        assert_eq!(
            found,
            [
                (at.clone(), "missing field `shape`".to_string()),
                (at, "missing field `scale`".to_string())
            ]
        );
    }

    #[test]
    fn type_errors_stop_at_the_limit_and_say_so() {
        let nodes: Vec<String> = (0..150)
            .map(|i| format!(r#"{{"id": "n{i}", "capacity": "x"}}"#))
            .collect();
        let text = format!(
            r#"{{"topology": {{"nodes": [{}]}}, "services": []}}"#,
            nodes.join(",")
        );
        let parsed = parse_all(&text);
        assert_eq!(parsed.problems.len(), MAX_TYPE_ERRORS);
        assert!(parsed.scenario.is_none());
        assert!(parsed.problems[MAX_TYPE_ERRORS - 1]
            .message
            .ends_with("parsing stopped after 100 type errors: fix these and validate again"));
    }

    #[test]
    fn a_syntax_error_is_placed_in_characters_not_bytes() {
        let found = parse_all("{\"name\": \"é\" \"x\"}").problems;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].at.unwrap(), (1, 14));
    }
}
