//! The search space: strategies, replica counts and failover modes, and their
//! command-line lists.

use crate::compare::StrategyListError;
use crate::scenarios::model::{FailoverMode, StrategyName};

/// The designs to try for every service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchSpace {
    /// Strategies, in search order.
    pub strategies: Vec<StrategyName>,
    /// Replica counts, in search order.
    pub replica_counts: Vec<u32>,
    /// Failover modes, in search order.
    pub modes: Vec<FailoverMode>,
}

impl Default for SearchSpace {
    /// Every strategy, 2 to 5 replicas, every failover mode.
    fn default() -> Self {
        SearchSpace {
            strategies: StrategyName::ALL.to_vec(),
            replica_counts: vec![2, 3, 4, 5],
            modes: vec![
                FailoverMode::Automatic,
                FailoverMode::SemiAutomatic,
                FailoverMode::Manual,
            ],
        }
    }
}

fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

/// Why a search list does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SearchListError {
    /// A name that is no strategy.
    #[error(transparent)]
    Strategy(#[from] crate::scenarios::model::UnknownStrategy),
    /// A replica count out of range.
    #[error("`{0}` is not a replica count between 1 and 1000")]
    ReplicaCount(String),
    /// A range whose low end is above its high end.
    #[error("the range `{0}` is empty")]
    EmptyRange(String),
    /// A name that is no failover mode.
    #[error("unknown failover mode `{0}`: use AUTOMATIC, SEMI_AUTOMATIC or MANUAL")]
    Mode(String),
    /// Nothing listed.
    #[error("the list of {0} is empty")]
    Empty(&'static str),
}

fn non_empty<T>(items: Vec<T>, what: &'static str) -> Result<Vec<T>, SearchListError> {
    if items.is_empty() {
        Err(SearchListError::Empty(what))
    } else {
        Ok(items)
    }
}

/// Parses a comma-separated list of strategy names in any case, e.g. `n_way,active-passive`,
/// as `compare --strategies` does (a name given twice is searched once).
pub fn parse_strategies(text: &str) -> Result<Vec<StrategyName>, SearchListError> {
    crate::compare::parse_strategies(text).map_err(|error| match error {
        StrategyListError::Unknown(unknown) => SearchListError::Strategy(unknown),
        StrategyListError::Empty => SearchListError::Empty("strategies"),
    })
}

/// Parses replica counts: a list `2,3,5` or an inclusive range `2..5` (or `2-5`); each at least 1.
pub fn parse_replica_counts(text: &str) -> Result<Vec<u32>, SearchListError> {
    let number = |item: &str| {
        item.trim()
            .parse::<u32>()
            .ok()
            .filter(|&n| (1..=1000).contains(&n))
            .ok_or_else(|| SearchListError::ReplicaCount(item.to_string()))
    };
    let counts = match text.split_once("..").or_else(|| text.split_once('-')) {
        Some((low, high)) => {
            let (low, high) = (number(low)?, number(high)?);
            if low > high {
                return Err(SearchListError::EmptyRange(text.to_string()));
            }
            (low..=high).collect()
        }
        None => split_list(text)
            .map(number)
            .collect::<Result<Vec<_>, _>>()?,
    };
    non_empty(counts, "replica counts")
}

/// Parses a comma-separated list of failover modes in any case, e.g. `automatic,semi-automatic`.
pub fn parse_modes(text: &str) -> Result<Vec<FailoverMode>, SearchListError> {
    let modes = split_list(text)
        .map(
            |name| match name.to_ascii_uppercase().replace('-', "_").as_str() {
                "AUTOMATIC" => Ok(FailoverMode::Automatic),
                "SEMI_AUTOMATIC" => Ok(FailoverMode::SemiAutomatic),
                "MANUAL" => Ok(FailoverMode::Manual),
                _ => Err(SearchListError::Mode(name.to_string())),
            },
        )
        .collect::<Result<Vec<_>, _>>()?;
    non_empty(modes, "failover modes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_lists_parse_in_any_case_and_as_ranges() {
        assert_eq!(
            parse_strategies("n_way, active-passive").unwrap(),
            vec![StrategyName::NWay, StrategyName::ActivePassive]
        );
        assert_eq!(parse_replica_counts("2..4").unwrap(), vec![2, 3, 4]);
        assert_eq!(parse_replica_counts("3-5").unwrap(), vec![3, 4, 5]);
        assert_eq!(parse_replica_counts("5,3").unwrap(), vec![5, 3]);
        assert_eq!(
            parse_modes("automatic,Semi-Automatic").unwrap(),
            vec![FailoverMode::Automatic, FailoverMode::SemiAutomatic]
        );
        assert!(parse_strategies("raft").is_err());
        assert!(parse_replica_counts("5..2").is_err());
        assert!(parse_replica_counts("0").is_err());
        assert!(parse_modes("").is_err());
    }
}
