//! Validation problems with their JSON paths, and the checks that every part of a
//! scenario shares (distributions, probabilities, node references).

use super::distribution::Distribution;
use super::load::MAX_REPORTED;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One validation problem: where (JSON path) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// JSON path, e.g. `services[0].replicas[1]`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Collects the problems of a scenario, in the order the checks find them, and the
/// warnings: what is valid but cannot do what it seems meant to (a demand no strategy
/// could ever serve in full). It keeps the first [`MAX_REPORTED`] problems, as many as an
/// error lists, and counts the rest: a million-node file that repeats one mistake
/// 900,000 times is refused in the time and memory of reading it, not with 900,000
/// messages held.
#[derive(Debug, Default)]
pub(crate) struct Checker {
    /// The first problems found, at most [`MAX_REPORTED`].
    pub problems: Vec<Problem>,
    /// How many problems were found, kept or not: whether a check found any is a change
    /// of this count, not of the kept list's length.
    found: usize,
    /// The warnings found so far.
    pub warnings: Vec<Problem>,
    /// Unknown node ids, by the index of their problem: their hints are looked up all at
    /// once by [`finish`](Self::finish), in one pass over the known ids.
    unknown_nodes: Vec<(usize, String)>,
}

impl Checker {
    /// Warns about the value at `path`: valid, but probably not what was meant.
    pub(crate) fn warn(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    /// How many problems were found so far: a check that found one changed it.
    pub(crate) fn found(&self) -> usize {
        self.found
    }

    /// Reports a problem at `path`.
    pub(crate) fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.found += 1;
        if self.problems.len() < MAX_REPORTED {
            self.problems.push(Problem {
                path: path.into(),
                message: message.into(),
            });
        }
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
        let before = self.found;
        self.distribution(dist, path);
        if self.found == before {
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
        names: &impl KnownNames<Id>,
        name: &str,
        path: String,
    ) -> Option<Id> {
        let found = names.find(name);
        if found.is_none() {
            if self.problems.len() < MAX_REPORTED {
                self.unknown_nodes
                    .push((self.problems.len(), name.to_string()));
            }
            self.fail(path, format!("unknown node id `{name}`"));
        }
        found
    }

    /// Resolves a list of node names written at `path`, reporting unknown and repeated ones.
    pub(crate) fn nodes<Id: Copy + Ord>(
        &mut self,
        names: &impl KnownNames<Id>,
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

impl Checker {
    /// The problems, each unknown node id with a hint: the id that differs only in case
    /// (the first in name order), else the only one a single edit away (a letter
    /// changed, dropped, added, or two swapped; not one digit for another, which names
    /// another node rather than a slip), or else the known ids when there are few enough
    /// to read. `names` are the known ids.
    ///
    /// One pass over the known ids for all unknown ones, not one per unknown id: a
    /// million-node file with ten thousand unknown ids takes a second, not half an hour.
    ///
    pub(crate) fn finish<Id>(mut self, names: &impl KnownNames<Id>) -> Problems {
        self.hint_unknown_nodes(names);
        Problems {
            unlisted: self.found - self.problems.len(),
            kept: self.problems,
        }
    }

    fn hint_unknown_nodes<Id>(&mut self, names: &impl KnownNames<Id>) {
        if self.unknown_nodes.is_empty() {
            return;
        }
        let mut waiting: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (index, name) in &self.unknown_nodes {
            waiting
                .entry(name.to_ascii_lowercase())
                .or_default()
                .push(*index);
        }
        let mut hints: BTreeMap<usize, String> = BTreeMap::new();
        for known in names.in_order() {
            if waiting.is_empty() {
                break;
            }
            if let Some(indices) = waiting.remove(&known.to_ascii_lowercase()) {
                for index in indices {
                    hints.insert(index, format!(" (did you mean `{known}`?)"));
                }
            }
        }
        let unhinted: Vec<&(usize, String)> = self
            .unknown_nodes
            .iter()
            .filter(|(index, _)| !hints.contains_key(index))
            .collect();
        for (index, known) in one_edit_away(&unhinted, names.in_order()) {
            hints.insert(index, format!(" (did you mean `{known}`?)"));
        }
        let listing = (1..=12).contains(&names.count()).then(|| {
            let known: Vec<&str> = names.in_order().collect();
            format!(" (known nodes: {})", known.join(", "))
        });
        for (index, _) in &self.unknown_nodes {
            if let Some(hint) = hints.get(index).or(listing.as_ref()) {
                self.problems[*index].message.push_str(hint);
            }
        }
    }
}

/// Names a checker resolves: a map, or the topology's node ids.
pub(crate) trait KnownNames<Id> {
    /// What `name` resolves to.
    fn find(&self, name: &str) -> Option<Id>;
    /// How many names there are.
    fn count(&self) -> usize;
    /// Every name, in byte order.
    fn in_order(&self) -> impl Iterator<Item = &str>;
}

impl<Id: Copy> KnownNames<Id> for BTreeMap<String, Id> {
    fn find(&self, name: &str) -> Option<Id> {
        self.get(name).copied()
    }

    fn count(&self) -> usize {
        self.len()
    }

    fn in_order(&self) -> impl Iterator<Item = &str> {
        self.keys().map(String::as_str)
    }
}

/// The problems a [`Checker`] found: the first ones, and how many more.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    /// The first problems found, at most [`MAX_REPORTED`].
    pub kept: Vec<Problem>,
    /// How many more were found.
    pub unlisted: usize,
}

impl Problems {
    /// Whether no problem was found.
    pub(crate) fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// The problems kept, and after them, at the place of the last, one that counts
    /// the rest.
    pub(crate) fn listed(mut self) -> Vec<Problem> {
        if let Some(last) = self.kept.last().filter(|_| self.unlisted > 0) {
            let note = Problem {
                path: last.path.clone(),
                message: unlisted_problems(self.unlisted),
            };
            self.kept.push(note);
        }
        self.kept
    }
}

/// The line that ends a list of problems cut at [`MAX_REPORTED`]: how many more there are.
pub(crate) fn unlisted_problems(unlisted: usize) -> String {
    format!(
        "{unlisted} more problems are not listed (the first {MAX_REPORTED} found are); fix \
         these and try again"
    )
}

/// For each unknown id, the known id one edit away, case aside, when only one is (two
/// would make the hint a guess); found through deletion neighbourhoods (two ids one edit apart share a string
/// with at most one letter deleted from each), so the cost is one pass over the known
/// ids with a lookup per letter, whatever the number of unknown ids.
fn one_edit_away<'k>(
    unknown: &[&(usize, String)],
    known: impl Iterator<Item = &'k str>,
) -> BTreeMap<usize, &'k str> {
    let mut found: BTreeMap<usize, Option<&'k str>> = BTreeMap::new();
    if unknown.is_empty() {
        return BTreeMap::new();
    }
    let mut by_variant: HashMap<String, Vec<usize>> = HashMap::new();
    let lowered: Vec<(usize, String)> = unknown
        .iter()
        .map(|(index, name)| (*index, name.to_lowercase()))
        .collect();
    for (slot, (_, name)) in lowered.iter().enumerate() {
        for variant in deletions(name) {
            by_variant.entry(variant).or_default().push(slot);
        }
    }
    let mut variant = String::new();
    for known in known {
        let lower = known.to_lowercase();
        // The whole id, then each one-letter deletion: the bytes `from..to` cut out.
        let whole = std::iter::once((lower.len(), lower.len()));
        let cuts = lower.char_indices().map(|(at, c)| (at, at + c.len_utf8()));
        for (from, to) in whole.chain(cuts) {
            variant.clear();
            variant.push_str(&lower[..from]);
            variant.push_str(&lower[to..]);
            for &slot in by_variant.get(variant.as_str()).into_iter().flatten() {
                let (index, name) = &lowered[slot];
                if is_one_slip(name, &lower) {
                    found
                        .entry(*index)
                        .and_modify(|first| {
                            if *first != Some(known) {
                                *first = None;
                            }
                        })
                        .or_insert(Some(known));
                }
            }
        }
    }
    found
        .into_iter()
        .filter_map(|(index, only)| only.map(|known| (index, known)))
        .collect()
}

/// `name` and every string with one of its characters deleted.
fn deletions(name: &str) -> Vec<String> {
    let mut out = vec![name.to_string()];
    for (at, c) in name.char_indices() {
        out.push(format!("{}{}", &name[..at], &name[at + c.len_utf8()..]));
    }
    out
}

/// Whether `a` and `b` are one edit apart, that edit is at most a third of the
/// unknown `a` (`b` for `a` is no slip), and it is not a digit put for another digit
/// (`db3` for `db2` names another node).
fn is_one_slip(a: &str, b: &str) -> bool {
    if a.chars().count() < 3 || strsim::osa_distance(a, b) != 1 {
        return false;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() != b.len() {
        return true;
    }
    let differing: Vec<(char, char)> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (*x, *y))
        .collect();
    !matches!(differing.as_slice(), [(x, y)] if x.is_ascii_digit() && y.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_ids_get_the_id_that_differs_in_case_or_the_list_of_ids() {
        let names: BTreeMap<String, u32> = [("DB1", 0), ("db2", 1)]
            .map(|(n, i)| (n.to_string(), i))
            .into();
        let mut check = Checker::default();
        check.node(&names, "db1", "a".into());
        check.node(&names, "dbX", "b".into());
        check.node(&names, "Db1", "c".into());
        let messages: Vec<String> = check
            .finish(&names)
            .listed()
            .into_iter()
            .map(|p| p.message)
            .collect();
        assert_eq!(
            messages,
            [
                "unknown node id `db1` (did you mean `DB1`?)",
                "unknown node id `dbX` (known nodes: DB1, db2)",
                "unknown node id `Db1` (did you mean `DB1`?)"
            ]
        );
    }

    #[test]
    fn unknown_ids_one_slip_away_get_that_id_but_not_for_another_number() {
        let names: BTreeMap<String, u32> = [("db1", 0), ("db2", 1), ("cache", 2)]
            .map(|(n, i)| (n.to_string(), i))
            .into();
        let mut check = Checker::default();
        for (i, name) in ["dbb2", "cahce", "db3", "DB", "cach"].iter().enumerate() {
            check.node(&names, name, format!("x[{i}]"));
        }
        let messages: Vec<String> = check
            .finish(&names)
            .listed()
            .into_iter()
            .map(|p| p.message)
            .collect();
        assert_eq!(
            messages,
            [
                "unknown node id `dbb2` (did you mean `db2`?)",
                "unknown node id `cahce` (did you mean `cache`?)",
                "unknown node id `db3` (known nodes: cache, db1, db2)",
                "unknown node id `DB` (known nodes: cache, db1, db2)",
                "unknown node id `cach` (did you mean `cache`?)",
            ]
        );
    }

    #[test]
    fn beyond_the_problems_kept_the_rest_are_counted_and_checks_still_see_what_they_find() {
        let names: BTreeMap<String, u32> = BTreeMap::new();
        let mut check = Checker::default();
        for i in 0..MAX_REPORTED {
            check.fail(format!("x[{i}]"), "wrong");
        }
        // Past the limit a distribution that is unsound reports that alone, and one with a
        // zero mean reports the mean, as below it: the checks count what they found, not
        // what was kept.
        let zero: Distribution = serde_json::from_str(r#"{"const": 0}"#).unwrap();
        let unsound: Distribution =
            serde_json::from_str(r#"{"weibull": {"shape": 0.01, "scale": "1d"}}"#).unwrap();
        check.positive_distribution(&zero, "ttf", "why");
        check.positive_distribution(&unsound, "ttr", "why");
        check.node(&names, "ghost", "y".into());
        let problems = check.finish(&names);
        assert_eq!(problems.kept.len(), MAX_REPORTED);
        assert_eq!(problems.unlisted, 3);
        let listed = problems.listed();
        assert_eq!(listed.len(), MAX_REPORTED + 1);
        assert_eq!(
            listed[MAX_REPORTED],
            Problem {
                path: format!("x[{}]", MAX_REPORTED - 1),
                message: "3 more problems are not listed (the first 10000 found are); fix \
                          these and try again"
                    .to_string()
            }
        );
    }

    #[test]
    fn hints_for_many_unknown_ids_among_many_known_ones_take_one_pass() {
        let names: BTreeMap<String, usize> =
            (0..200_000).map(|i| (format!("node{i}"), i)).collect();
        let mut check = Checker::default();
        for i in 0..20_000 {
            check.node(&names, &format!("NODE{i}"), format!("x[{i}]"));
        }
        let started = std::time::Instant::now();
        let problems = check.finish(&names).listed();
        assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
        assert_eq!(
            problems[7].message,
            "unknown node id `NODE7` (did you mean `node7`?)"
        );
    }
}
