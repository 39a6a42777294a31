//! Validation problems with their JSON paths, and the checks that every part of a
//! scenario shares (distributions, probabilities, node references).

use super::distribution::Distribution;
use std::collections::{BTreeMap, BTreeSet};

/// One validation problem: where (JSON path) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// JSON path, e.g. `services[0].replicas[1]`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Collects every problem of a scenario, in the order the checks find them, and the
/// warnings: what is valid but cannot do what it seems meant to (a demand no strategy
/// could ever serve in full).
#[derive(Debug, Default)]
pub(crate) struct Checker {
    /// The problems found so far.
    pub problems: Vec<Problem>,
    /// The warnings found so far.
    pub warnings: Vec<Problem>,
}

impl Checker {
    /// Warns about the value at `path`: valid, but probably not what was meant.
    pub(crate) fn warn(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    /// Reports a problem at `path`.
    pub(crate) fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    /// Reports a problem at `path` unless `ok`.
    pub(crate) fn require(
        &mut self,
        ok: bool,
        path: impl Into<String>,
        message: impl Into<String>,
    ) {
        if !ok {
            self.fail(path, message);
        }
    }

    /// Checks the parameters of a distribution written at `path`.
    pub(crate) fn distribution(&mut self, dist: &Distribution, path: &str) {
        for (field, message) in dist.problems() {
            self.fail(format!("{path}.{field}"), message);
        }
    }

    /// A distribution of fault timing: besides sound parameters it needs a mean above zero
    /// (`{"const": 0}`, `{"uniform": {"min": 0, "max": 0}}` and `{"empirical": ["0s"]}`
    /// have none); `why` says what a zero would do.
    pub(crate) fn positive_distribution(&mut self, dist: &Distribution, path: &str, why: &str) {
        let before = self.problems.len();
        self.distribution(dist, path);
        if self.problems.len() == before {
            self.require(
                dist.mean_secs() > 0.0,
                format!("{path}.{}", dist.key()),
                format!("the mean must be longer than zero: {why}"),
            );
        }
    }

    /// Checks that `p` is a probability.
    pub(crate) fn probability(&mut self, p: f64, path: impl Into<String>) {
        self.require(
            (0.0..=1.0).contains(&p),
            path,
            format!("{p} is not a probability: use a number between 0 and 1"),
        );
    }

    /// Resolves a node name, reporting an unknown one at `path`.
    pub(crate) fn node<Id: Copy>(
        &mut self,
        names: &BTreeMap<String, Id>,
        name: &str,
        path: String,
    ) -> Option<Id> {
        let found = names.get(name).copied();
        if found.is_none() {
            self.fail(
                path,
                format!("unknown node id `{name}`{}", suggestion(names, name)),
            );
        }
        found
    }

    /// Resolves a list of node names written at `path`, reporting unknown and repeated ones.
    pub(crate) fn nodes<Id: Copy + Ord>(
        &mut self,
        names: &BTreeMap<String, Id>,
        list: &[String],
        path: &str,
    ) -> Vec<Id> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, name) in list.iter().enumerate() {
            if let Some(id) = self.node(names, name, format!("{path}[{i}]")) {
                if seen.insert(id) {
                    out.push(id);
                } else {
                    self.fail(
                        format!("{path}[{i}]"),
                        format!("node `{name}` is listed twice"),
                    );
                }
            }
        }
        out
    }
}

/// A hint for an unknown node id: the id that differs only in case, or else the known
/// ids when there are few enough to read.
fn suggestion<Id>(names: &BTreeMap<String, Id>, name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if let Some(known) = names
        .keys()
        .find(|known| known.to_ascii_lowercase() == lower)
    {
        return format!(" (did you mean `{known}`?)");
    }
    if (1..=12).contains(&names.len()) {
        let known: Vec<&str> = names.keys().map(String::as_str).collect();
        return format!(" (known nodes: {})", known.join(", "));
    }
    String::new()
}
