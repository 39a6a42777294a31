//! The strategy rules of DESIGN §8, one function, each choice with the reason for it.
//!
//! | risk score      | condition                        | strategy       |
//! |-----------------|----------------------------------|----------------|
//! | ≥ 0.85          | failure type BYZANTINE           | N_WAY (BFT)    |
//! | ≥ 0.85          | any other failure type           | ACTIVE_ACTIVE  |
//! | [0.70, 0.85)    | dependents ≥ `many_dependents`   | ACTIVE_ACTIVE  |
//! | [0.70, 0.85)    | fewer dependents                 | ACTIVE_PASSIVE |
//! | [0.50, 0.70)    |                                  | ACTIVE_PASSIVE |
//! | < 0.50          |                                  | GEOGRAPHIC     |
//!
//! Comparisons are on the score as written (`0.85` is "at least 0.85"), never rounded.

use super::risk::{FailureType, PlanSettings, RiskAssessment};
use crate::scenarios::model::StrategyName;

/// Lowest score of the critical band (N_WAY for Byzantine nodes, else ACTIVE_ACTIVE).
pub(crate) const CRITICAL_RISK: f64 = 0.85;
/// Lowest score of the high band (by number of dependents).
pub(crate) const HIGH_RISK: f64 = 0.70;
/// Lowest score of the moderate band (ACTIVE_PASSIVE); below it, GEOGRAPHIC.
pub(crate) const MODERATE_RISK: f64 = 0.50;

/// A strategy picked for one node and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Choice {
    /// The strategy.
    pub strategy: StrategyName,
    /// Replicas the emitted scenario gives it, from the settings.
    pub replicas: u32,
    /// One sentence for humans: the rule that fired and what the strategy buys.
    pub reason: String,
}

/// Picks the strategy for one node, and its replica count from `settings` (each rule
/// knows which count its strategy takes, so no other place matches on strategy names).
pub(crate) fn choose(node: &RiskAssessment, settings: &PlanSettings) -> Choice {
    let many_dependents = settings.many_dependents;
    let counts = &settings.replicas;
    let risk = node.risk_score;
    let dependents = node.dependents.len();
    let (strategy, replicas, reason) = if risk >= CRITICAL_RISK {
        if node.failure_type == FailureType::Byzantine {
            (
                StrategyName::NWay,
                3 * counts.byzantine_faults + 1,
                format!("risk {risk} ≥ {CRITICAL_RISK} with BYZANTINE failures: a BFT quorum (3f+1 replicas) outvotes a lying replica"),
            )
        } else {
            (
                StrategyName::ActiveActive,
                counts.active_active,
                format!("risk {risk} ≥ {CRITICAL_RISK} with {} failures: every replica serves, so a failure costs no failover gap", node.failure_type),
            )
        }
    } else if risk >= HIGH_RISK {
        let count = plural(dependents, "dependent");
        if dependents >= many_dependents as usize {
            (
                StrategyName::ActiveActive,
                counts.active_active,
                format!("risk {risk} in [{HIGH_RISK}, {CRITICAL_RISK}) with {count} (many: ≥ {many_dependents}): no failover gap to ripple into dependents"),
            )
        } else {
            (
                StrategyName::ActivePassive,
                counts.active_passive,
                format!("risk {risk} in [{HIGH_RISK}, {CRITICAL_RISK}) with {count} (few: < {many_dependents}): a promoted standby is enough"),
            )
        }
    } else if risk >= MODERATE_RISK {
        (
            StrategyName::ActivePassive,
            counts.active_passive,
            format!("risk {risk} in [{MODERATE_RISK}, {HIGH_RISK}): a standby covers node failures at low cost"),
        )
    } else {
        (
            StrategyName::Geographic,
            counts.geographic_regions * counts.geographic_per_region,
            format!("risk {risk} < {MODERATE_RISK}: the node itself rarely fails, so guard against losing its region"),
        )
    };
    Choice {
        strategy,
        replicas,
        reason,
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::risk::Criticality;

    fn many_at(many_dependents: u32) -> PlanSettings {
        PlanSettings {
            many_dependents,
            ..PlanSettings::default()
        }
    }

    fn node(risk_score: f64, failure_type: FailureType, dependents: usize) -> RiskAssessment {
        RiskAssessment {
            node: "X".into(),
            risk_score,
            failure_type,
            criticality: Criticality::Medium,
            dependents: (0..dependents).map(|i| format!("D{i}")).collect(),
            cascade_risk: 0.0,
            mitigations: Vec::new(),
        }
    }

    #[test]
    fn the_many_dependents_threshold_is_inclusive() {
        let at = choose(&node(0.75, FailureType::Crash, 3), &many_at(3));
        let below = choose(&node(0.75, FailureType::Crash, 2), &many_at(3));
        assert_eq!(at.strategy, StrategyName::ActiveActive);
        assert_eq!(below.strategy, StrategyName::ActivePassive);
        assert!(
            at.reason.contains("3 dependents (many: ≥ 3)"),
            "{}",
            at.reason
        );
    }

    #[test]
    fn byzantine_failures_matter_only_in_the_critical_band() {
        assert_eq!(
            choose(&node(0.8, FailureType::Byzantine, 0), &many_at(3)).strategy,
            StrategyName::ActivePassive
        );
        assert_eq!(
            choose(&node(0.3, FailureType::Byzantine, 0), &many_at(3)).strategy,
            StrategyName::Geographic
        );
    }
}
