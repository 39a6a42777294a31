//! Reads a scenario file end to end: parse (with exact positions), validate, compile,
//! reporting every problem at once. A YAML file is read as the JSON it converts to, and
//! every position is placed back in the YAML text.

use super::{check_and_compile, CompiledScenario, Loaded, Problem};
use crate::core::hash::content_hash;
use crate::scenarios::error::ScenarioError;
use crate::scenarios::error::SourceText;
use crate::scenarios::load::{invalid, invalid_and_more, parse_all, Found};
use crate::scenarios::positions::{locate_all, Aim};
use crate::scenarios::source::without_bom;
use crate::scenarios::source::{read_text, Format};
use crate::scenarios::yaml;
use crate::scenarios::Diagnostic;
use std::path::Path;

/// Parses, validates and compiles scenario text, JSON or YAML as [`Format::detect`] tells
/// from `file`'s extension or else from the text. `file` is used only in messages and
/// for the language.
///
/// Type errors and the checks after parsing are reported together: a value that did not
/// parse is stood in for, and only the checks that depend on it are left out.
///
/// ```
/// use failsim::{load_str, run_study, RunOptions, Summary};
/// use std::path::Path;
///
/// let text = r#"{
///   "horizon": "30d", "replications": 10, "seed": 1,
///   "topology": {"nodes": [{"id": "a", "zone": "z1"}, {"id": "b", "zone": "z2"}]},
///   "services": [{"name": "db", "strategy": "ACTIVE_PASSIVE", "replicas": ["a", "b"]}],
///   "faults": {"node_failures": [{"nodes": ["a", "b"],
///     "ttf": {"exp": {"mean": "10d"}}, "ttr": {"exp": {"mean": "2h"}}}]}
/// }"#;
/// let scenario = load_str(text, Path::new("pair.json"))?;
/// assert_eq!(scenario.services[0].name, "db");
/// let run = run_study(&scenario, &RunOptions::default(), |_| {}, |_| {})?;
/// let summary = Summary::new(&run.study);
/// assert_eq!(summary.scenario, "pair");
/// assert_eq!(summary.replications, 10);
///
/// // A mistake is reported with its JSON path and line:column.
/// let error = load_str(r#"{"horizon": "30 parsecs"}"#, Path::new("bad.json")).unwrap_err();
/// assert!(error.to_string().contains("horizon"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_str(text: &str, file: &Path) -> Result<CompiledScenario, ScenarioError> {
    load_str_with_model(text, file).map(|loaded| loaded.compiled)
}

/// [`load_str`], keeping the parsed model beside the compiled scenario, for what derives
/// other scenarios from the file.
pub fn load_str_with_model(text: &str, file: &Path) -> Result<Loaded, ScenarioError> {
    match Format::detect(file, text.as_bytes()) {
        Format::Json => load_json(text, file),
        Format::Yaml => load_yaml(text, file),
    }
}

/// A YAML scenario: converted to JSON, read as JSON, each position placed in the YAML.
fn load_yaml(text: &str, file: &Path) -> Result<Loaded, ScenarioError> {
    let converted = yaml::to_json(without_bom(text)).map_err(|found| {
        let (line, column) = found.at.unwrap_or((1, 1));
        ScenarioError::Invalid {
            file: file.to_path_buf(),
            diagnostics: vec![Diagnostic {
                path: found.path,
                line,
                column,
                message: found.message,
            }],
            text: SourceText::new(without_bom(text)),
        }
    })?;
    let place = |d: &mut Diagnostic| (d.line, d.column) = converted.place(d.line);
    match load_json(&converted.json, file) {
        Ok(mut loaded) => {
            loaded.compiled.warnings.iter_mut().for_each(place);
            loaded.compiled.source_hash = content_hash(text.as_bytes());
            Ok(loaded)
        }
        Err(ScenarioError::Invalid {
            file,
            mut diagnostics,
            ..
        }) => {
            diagnostics.iter_mut().for_each(place);
            diagnostics.sort_by_key(|d| (d.line, d.column));
            Err(ScenarioError::Invalid {
                file,
                diagnostics,
                text: SourceText::new(without_bom(text)),
            })
        }
        Err(other) => Err(other),
    }
}

fn load_json(text: &str, file: &Path) -> Result<Loaded, ScenarioError> {
    let parsed = parse_all(text);
    let Some(mut scenario) = parsed.scenario else {
        return Err(invalid(file, text, parsed.problems));
    };
    // The parsed model lives through compilation (and on, for a caller that derives
    // other scenarios from it); its longest lists were grown by doubling as they were
    // read.
    scenario.services.shrink_to_fit();
    for service in &mut scenario.services {
        service.replicas.shrink_to_fit();
    }
    let default_name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".to_string());
    let stood_in = !parsed.stand_ins.is_empty();
    // The work estimate is of the whole file: with stand-ins it would be of another.
    let result = check_and_compile(&scenario, &default_name, !stood_in);
    let mut problems = parsed.problems;
    match result {
        Ok(mut compiled) if problems.is_empty() => {
            if !compiled.warnings.is_empty() {
                let paths: Vec<(&str, Aim)> = compiled
                    .warnings
                    .iter()
                    .map(|w| (w.path.as_str(), Aim::Value))
                    .collect();
                let places = locate_all(without_bom(text), &paths);
                for (warning, place) in compiled.warnings.iter_mut().zip(places) {
                    (warning.line, warning.column) = place;
                }
            }
            compiled.source_hash = content_hash(text.as_bytes());
            Ok(Loaded {
                model: scenario,
                compiled,
            })
        }
        Ok(_) => Err(invalid(file, text, problems)),
        Err(checks) => {
            problems.extend(
                checks
                    .kept
                    .into_iter()
                    .filter(|problem| !depends_on_stand_ins(problem, &parsed.stand_ins))
                    .map(|problem| Found::at_value(problem.path, problem.message)),
            );
            Err(invalid_and_more(file, text, problems, checks.unlisted))
        }
    }
}

/// Whether a problem found after parsing may be an effect of stand-ins rather than of
/// the file: it is about a stood-in value, inside one or around one; or the node set
/// itself is uncertain (a node's or generator's identity did not parse) and the problem
/// is outside the node list.
fn depends_on_stand_ins(problem: &Problem, stand_ins: &[String]) -> bool {
    let within = |inner: &str, outer: &str| {
        inner == outer
            || outer.is_empty()
            || inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.starts_with(['.', '[']))
    };
    let nodes_uncertain = stand_ins.iter().any(|path| shakes_node_set(path));
    stand_ins
        .iter()
        .any(|path| within(&problem.path, path) || within(path, &problem.path))
        || (nodes_uncertain
            && !["topology.nodes", "topology.generators"]
                .iter()
                .any(|list| within(&problem.path, list)))
}

/// Whether a stand-in at `path` leaves the node set uncertain: a whole node, a node's
/// identity (id, region, zone, role) or any part of a generator.
fn shakes_node_set(path: &str) -> bool {
    if path == "topology" || path.starts_with("topology.generators") {
        return true;
    }
    let Some(rest) = path.strip_prefix("topology.nodes") else {
        return false;
    };
    let field = rest.split_once(']').map_or("", |(_, after)| after);
    matches!(field, "" | ".id" | ".region" | ".zone" | ".role")
}

/// The line:column where the value at JSON `path` starts in the scenario file (or its
/// nearest ancestor's), for a problem found after loading, e.g. by the command line's
/// own limits; (1, 1) when the file cannot be read again.
pub(crate) fn locate_in_file(file: &Path, path: &str) -> (usize, usize) {
    let Ok(text) = read_text(file, "a scenario file") else {
        return (1, 1);
    };
    let text = without_bom(&text);
    match Format::detect(file, text.as_bytes()) {
        Format::Json => locate_all(text, &[(path, Aim::Value)])[0],
        Format::Yaml => match yaml::to_json(text) {
            Ok(converted) => {
                converted.place(locate_all(&converted.json, &[(path, Aim::Value)])[0].0)
            }
            Err(_) => (1, 1),
        },
    }
}

/// Reads, parses, validates and compiles a scenario file (at most
/// [`MAX_FILE_BYTES`](crate::scenarios::source::MAX_FILE_BYTES)).
pub fn load_file(file: &Path) -> Result<CompiledScenario, ScenarioError> {
    load_file_with_model(file).map(|loaded| loaded.compiled)
}

/// [`load_file`], keeping the parsed model beside the compiled scenario, for what
/// derives other scenarios from the file.
pub fn load_file_with_model(file: &Path) -> Result<Loaded, ScenarioError> {
    let text = read_text(file, "a scenario file")?;
    load_str_with_model(&text, file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::positions::parent;
    use crate::scenarios::shape::Shape;

    /// Every problem in the bad-input corpus names a value the format has (or, for an
    /// unknown field, an object that has fields): no message points to a field that
    /// does not exist.
    #[test]
    fn every_problem_path_names_a_place_in_the_format() {
        let shape = Shape::scenario();
        let mut checked = 0;
        for entry in std::fs::read_dir("tests/bad_inputs").unwrap() {
            let file = entry.unwrap().path();
            if file.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            let Err(ScenarioError::Invalid { diagnostics, .. }) = load_str(&text, &file) else {
                panic!("{} loads", file.display());
            };
            for d in diagnostics {
                let known = if d.message.starts_with("unknown field `") {
                    parent(&d.path).and_then(|p| shape.at(p))
                } else {
                    shape.at(&d.path)
                };
                assert!(
                    known.is_some(),
                    "{}: {}: {}",
                    file.display(),
                    d.path,
                    d.message
                );
                checked += 1;
            }
        }
        assert!(checked > 80, "only {checked} problems");
    }

    #[test]
    fn checks_after_parsing_skip_what_stand_ins_may_cause() {
        let problem = |path: &str| Problem {
            path: path.to_string(),
            message: String::new(),
        };
        let stand_ins = ["services[0].replicas".to_string()];
        assert!(depends_on_stand_ins(
            &problem("services[0].replicas[1]"),
            &stand_ins
        ));
        assert!(depends_on_stand_ins(&problem("services[0]"), &stand_ins));
        assert!(!depends_on_stand_ins(
            &problem("services[1].replicas"),
            &stand_ins
        ));
        assert!(!depends_on_stand_ins(
            &problem("services[0].replicas_x"),
            &stand_ins
        ));
        let node_id = ["topology.nodes[2].id".to_string()];
        assert!(depends_on_stand_ins(
            &problem("services[0].replicas[0]"),
            &node_id
        ));
        assert!(!depends_on_stand_ins(
            &problem("topology.nodes[1].capacity"),
            &node_id
        ));
        let capacity = ["topology.nodes[2].capacity".to_string()];
        assert!(!depends_on_stand_ins(
            &problem("services[0].replicas[0]"),
            &capacity
        ));
    }
}
