//! The recommendation as a text table.

use super::{Recommendation, Status};
use crate::output::table::{seconds, write_columns};
use crate::scenarios::model::FailoverMode;
use std::fmt::Write;

fn mode_name(mode: Option<FailoverMode>) -> &'static str {
    match mode {
        Some(FailoverMode::Automatic) => "AUTOMATIC",
        Some(FailoverMode::SemiAutomatic) => "SEMI_AUTOMATIC",
        Some(FailoverMode::Manual) => "MANUAL",
        None => "-",
    }
}

/// How the table names an availability metric.
fn availability_label(metric: &str) -> &'static str {
    match metric {
        "lenient_availability" => "lenient availability",
        "served_availability" => "served availability",
        _ => "strict availability",
    }
}

/// Renders the recommendation as text: per service, a table of simulated candidates
/// (ranked ones first) and a line per infeasible design.
pub fn render_table(recommendation: &Recommendation) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scenario {}  seed {}  up to {} replications per candidate  SLO: {}",
        recommendation.scenario,
        recommendation.seed,
        recommendation.budget_replications,
        recommendation.slo.join(", ")
    );
    let availability = availability_label(&recommendation.ranked_on);
    let _ = match &recommendation.ranked_on_slo {
        Some(slo) => writeln!(
            out,
            "ranked by cost, then by {availability}, which SLO `{slo}` names"
        ),
        None => writeln!(
            out,
            "ranked by cost, then by {availability} (no SLO names an availability)"
        ),
    };
    let availability_header = format!("{availability} (95% CI)");
    for service in &recommendation.services {
        let _ = writeln!(
            out,
            "\nservice {} (now {})",
            service.service,
            service.current_strategy.as_str()
        );
        let header = [
            "rank",
            "strategy",
            "replicas",
            "mode",
            availability_header.as_str(),
            "nines",
            "failover p99",
            "data loss p99",
            "cost",
            "cost/nine",
            "runs",
            "verdict",
        ];
        let mut rows = vec![header.map(str::to_string).to_vec()];
        for c in service
            .candidates
            .iter()
            .filter(|c| c.status != Status::Infeasible)
        {
            let availability = c.availability.as_ref();
            rows.push(vec![
                c.rank.map_or("-".to_string(), |r| r.to_string()),
                c.strategy.as_str().to_string(),
                c.replicas.to_string(),
                mode_name(c.failover_mode).to_string(),
                availability.map_or("-".to_string(), |a| {
                    format!("{:.6} [{:.6}, {:.6}]", a.mean, a.ci95_low, a.ci95_high)
                }),
                availability.map_or("-".to_string(), |a| {
                    a.nines.map_or("∞".to_string(), |n| format!("{n:.2}"))
                }),
                seconds(c.failover_time_p99_s),
                seconds(c.data_loss_p99_s),
                format!("{:.2}", c.cost),
                c.cost_per_nine
                    .map_or("-".to_string(), |v| format!("{v:.2}")),
                if c.stopped_early {
                    format!("{} (stopped)", c.replications)
                } else {
                    c.replications.to_string()
                },
                match c.status {
                    Status::Meets => "meets".to_string(),
                    _ => format!("fails: {}", c.problems.join("; ")),
                },
            ]);
        }
        write_columns(&mut out, &rows);
        for c in service
            .candidates
            .iter()
            .filter(|c| c.status == Status::Infeasible)
        {
            let _ = writeln!(
                out,
                "infeasible: {} × {}: {}",
                c.strategy.as_str(),
                c.replicas,
                c.problems.join("; ")
            );
        }
        let _ = match &service.recommended {
            Some(best) => writeln!(
                out,
                "recommended: {} × {} replicas, {} failover, cost {:.2}",
                best.strategy.as_str(),
                best.replicas,
                mode_name(best.failover_mode),
                best.cost
            ),
            None => writeln!(out, "recommended: none meets every SLO"),
        };
    }
    out
}
