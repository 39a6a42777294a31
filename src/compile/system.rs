//! Compiles the `system` block and the mission times: service names resolved to
//! indices, every group checked for exactly one operator (DESIGN §10).

use crate::core::metric::SYSTEM_SCOPE;
use crate::core::time::Nanos;
use crate::scenarios::check::Checker;
use crate::scenarios::model::{Scenario, SystemGroup, SystemTerm};

/// A system expression over service indices.
#[derive(Clone, Debug, PartialEq)]
pub enum SystemExpr {
    /// One service, by index.
    Service(u32),
    /// Up only when every term is.
    AllOf(Vec<SystemExpr>),
    /// Up when any term is.
    AnyOf(Vec<SystemExpr>),
    /// Up when at least `k` terms are.
    KOf(u32, Vec<SystemExpr>),
}

impl SystemExpr {
    /// The indices of the services it names, in order, each once.
    pub fn services(&self) -> Vec<u32> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    fn collect(&self, out: &mut Vec<u32>) {
        match self {
            SystemExpr::Service(index) => out.push(*index),
            SystemExpr::AllOf(terms) | SystemExpr::AnyOf(terms) | SystemExpr::KOf(_, terms) => {
                for term in terms {
                    term.collect(out);
                }
            }
        }
    }

    /// The served fraction of the system given each service's (DESIGN §10): `all_of`
    /// needs every term (product), `any_of` any (1 − ∏(1 − s)), `k_of` the k-th best.
    /// Exact at the ends: it is 1 only when the terms that must be UP are, and 0 only
    /// when nothing that could serve does.
    pub fn served(&self, services: &[f64]) -> f64 {
        match self {
            SystemExpr::Service(index) => services[*index as usize],
            SystemExpr::AllOf(terms) => terms.iter().map(|t| t.served(services)).product(),
            SystemExpr::AnyOf(terms) => {
                1.0 - terms
                    .iter()
                    .map(|t| 1.0 - t.served(services))
                    .product::<f64>()
            }
            SystemExpr::KOf(k, terms) => {
                let mut served: Vec<f64> = terms.iter().map(|t| t.served(services)).collect();
                served.sort_unstable_by(|a, b| b.total_cmp(a));
                served[*k as usize - 1]
            }
        }
    }
}

/// A compiled system.
#[derive(Clone, Debug, PartialEq)]
pub struct SystemSpec {
    /// Name for reports.
    pub name: String,
    /// Its expression.
    pub expr: SystemExpr,
}

/// Compiles the scenario's system, if it has one.
pub(crate) fn compile(scenario: &Scenario, check: &mut Checker) -> Option<SystemSpec> {
    let system = scenario.system.as_ref()?;
    let name = system.name.clone().unwrap_or_else(|| "system".to_string());
    check.require(
        !name.trim().is_empty(),
        "system.name",
        "the system's name is blank: give it a name or leave the field out",
    );
    let names: Vec<&str> = scenario.services.iter().map(|s| s.name.as_str()).collect();
    if let Some(index) = names.iter().position(|&n| n == SYSTEM_SCOPE) {
        check.fail(
            format!("services[{index}].name"),
            "a scenario with a `system` block cannot name a service `system`: checks scope the \
             system as `system.METRIC`; rename the service",
        );
    }
    let expr = group(&system.group(), "system", &names, check)?;
    Some(SystemSpec { name, expr })
}

fn group(
    group: &SystemGroup,
    path: &str,
    names: &[&str],
    check: &mut Checker,
) -> Option<SystemExpr> {
    let operators = [
        group.all_of.is_some(),
        group.any_of.is_some(),
        group.k_of.is_some() || group.of.is_some(),
    ];
    match operators.iter().filter(|&&o| o).count() {
        0 => {
            check.fail(
                path,
                "a system group needs one of `all_of`, `any_of` or `k_of` with `of`",
            );
            return None;
        }
        1 => {}
        _ => {
            check.fail(
                path,
                "a system group holds exactly one of `all_of`, `any_of` or `k_of` with `of`: \
                 nest groups to combine them",
            );
            return None;
        }
    }
    let (field, list) = if let Some(list) = &group.all_of {
        ("all_of", list)
    } else if let Some(list) = &group.any_of {
        ("any_of", list)
    } else {
        let Some(list) = &group.of else {
            check.fail(
                format!("{path}.k_of"),
                "`k_of` counts terms of `of`: add \"of\": [...]",
            );
            return None;
        };
        ("of", list)
    };
    let at = format!("{path}.{field}");
    if list.is_empty() {
        check.fail(&at, "an empty group: list at least one service or group");
        return None;
    }
    let terms: Vec<Option<SystemExpr>> = list
        .iter()
        .enumerate()
        .map(|(i, term)| {
            let at = format!("{at}[{i}]");
            match term {
                SystemTerm::Service(name) => match names.iter().position(|n| n == name) {
                    Some(index) => Some(SystemExpr::Service(index as u32)),
                    None => {
                        check.fail(
                            at,
                            format!("unknown service `{name}` (services: {})", names.join(", ")),
                        );
                        None
                    }
                },
                SystemTerm::Group(inner) => self::group(inner, &at, names, check),
            }
        })
        .collect();
    let terms: Vec<SystemExpr> = terms.into_iter().collect::<Option<_>>()?;
    Some(match field {
        "all_of" => SystemExpr::AllOf(terms),
        "any_of" => SystemExpr::AnyOf(terms),
        _ => {
            let k = group.k_of.unwrap_or(0);
            if k == 0 || k as usize > terms.len() {
                check.fail(
                    format!("{path}.k_of"),
                    format!(
                        "`k_of` is {k}: it must be between 1 and the {} terms of `of`",
                        terms.len()
                    ),
                );
                return None;
            }
            SystemExpr::KOf(k, terms)
        }
    })
}

/// Compiles the mission times: each longer than zero and no longer than the horizon
/// (a replication cannot tell what happens after it ends).
pub(crate) fn missions(scenario: &Scenario, horizon: Nanos, check: &mut Checker) -> Vec<Nanos> {
    let mut missions = Vec::new();
    for (i, mission) in scenario.missions.iter().enumerate() {
        let nanos = mission.nanos();
        let shown = humantime::format_duration(std::time::Duration::from_nanos(nanos));
        let path = format!("missions[{i}]");
        if nanos == 0 {
            check.fail(path, "a mission must be longer than zero");
        } else if horizon > 0 && nanos > horizon {
            check.fail(
                path,
                format!(
                    "the mission {shown} is longer than the horizon: a replication cannot \
                     tell what happens after it ends; raise the horizon to at least {shown}"
                ),
            );
        } else {
            missions.push(nanos);
        }
    }
    missions.sort_unstable();
    missions.dedup();
    missions
}

#[cfg(test)]
mod tests {
    use super::SystemExpr::*;

    #[test]
    fn served_fractions_combine_in_series_in_parallel_and_k_out_of_n() {
        let services = [1.0, 0.5, 0.0, 1.0];
        assert_eq!(AllOf(vec![Service(0), Service(3)]).served(&services), 1.0);
        assert_eq!(AllOf(vec![Service(0), Service(1)]).served(&services), 0.5);
        assert_eq!(AllOf(vec![Service(1), Service(2)]).served(&services), 0.0);
        assert_eq!(AnyOf(vec![Service(1), Service(2)]).served(&services), 0.5);
        assert_eq!(AnyOf(vec![Service(0), Service(1)]).served(&services), 1.0);
        assert_eq!(AnyOf(vec![Service(2), Service(2)]).served(&services), 0.0);
        let two_of = KOf(2, vec![Service(0), Service(1), Service(2)]);
        assert_eq!(two_of.served(&services), 0.5);
        assert_eq!(KOf(1, vec![Service(2), Service(3)]).served(&services), 1.0);
        assert_eq!(two_of.services(), vec![0, 1, 2]);
    }
}
