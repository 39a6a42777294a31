//! `--markdown FILE|-`: the summary as a Markdown table for a pull-request comment (as
//! hyperfine's `--export-markdown`), and for `compare` the winner of each service.

use super::atomic::Staged;
use super::table::{seconds, PER_REPLICATION_BELOW_S};
use super::{Exporter, OutputError, Results, StudyReport};
use crate::compare::{winners, Comparison, Winner, RANKED_ON};
use crate::report::summary::SECONDS_PER_YEAR;
use crate::report::{ServiceSummary, Study, Summary};
use std::fmt::Write;
use std::path::PathBuf;

/// `text` as the content of one table cell: Markdown's own characters escaped, so that a
/// name from the scenario neither breaks the table nor formats itself, and control
/// characters (a line break ends a row) written as `\u{…}`. Strategy names, a known
/// set, are written as they are.
pub(crate) fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The line above the tables: what was run, and what reproduces it.
fn provenance(summary: &Summary) -> String {
    let complete = if summary.complete {
        String::new()
    } else {
        format!(
            " (partial: {} of {} replications)",
            summary.replications, summary.replications_requested
        )
    };
    format!(
        "**{}**: seed {}, {} replications{complete}, horizon {}; failsim {}, scenario hash `{}`\n",
        cell(&summary.scenario),
        summary.seed,
        summary.replications,
        horizon(summary.horizon_s),
        summary.version,
        summary.scenario_hash
    )
}

/// A horizon in the largest unit that divides it: `365d`, `36h`, `90min`, else seconds.
pub(crate) fn horizon(horizon_s: f64) -> String {
    let whole = |unit: f64| horizon_s >= unit && (horizon_s / unit).fract() == 0.0;
    match horizon_s {
        s if whole(86_400.0) => format!("{}d", s / 86_400.0),
        s if whole(3_600.0) => format!("{}h", s / 3_600.0),
        s if whole(60.0) => format!("{}min", s / 60.0),
        s => seconds(Some(s)),
    }
}

/// Durations in seconds in the one unit that suits the largest of them, so that a mean
/// and its interval read together: (`["16.4", "16.0", "16.8"]`, `"min"`).
fn one_unit(values: [f64; 3]) -> ([String; 3], &'static str) {
    let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let (unit, size) = [
        ("ms", 1e-3, 1.0),
        ("s", 1.0, 120.0),
        ("min", 60.0, 7_200.0),
        ("h", 3_600.0, 172_800.0),
    ]
    .into_iter()
    .find(|&(_, _, below)| largest < below)
    .map_or(("d", 86_400.0), |(unit, size, _)| (unit, size));
    let decimals = usize::from(largest / size < 100.0);
    (values.map(|v| format!("{:.decimals$}", v / size)), unit)
}

/// Downtime per year, or per replication below a day's horizon, as the terminal table.
fn downtime_header(horizon_s: f64) -> &'static str {
    if horizon_s < PER_REPLICATION_BELOW_S {
        "downtime/replication"
    } else {
        "downtime/yr"
    }
}

fn downtime(service: &ServiceSummary, horizon_s: f64) -> String {
    if horizon_s < PER_REPLICATION_BELOW_S {
        seconds(Some(
            service.downtime_s_per_year / SECONDS_PER_YEAR * horizon_s,
        ))
    } else {
        seconds(Some(service.downtime_s_per_year))
    }
}

/// The columns of one service row, the service's name first (empty when `grouped` shows
/// it on the row above).
fn service_row(s: &ServiceSummary, horizon_s: f64, name: bool, strategy: String) -> Vec<String> {
    let a = &s.availability;
    vec![
        if name {
            cell(&s.service)
        } else {
            String::new()
        },
        strategy,
        format!("{:.6} [{:.6}, {:.6}]", a.mean, a.ci95_low, a.ci95_high),
        a.nines.map_or("∞".to_string(), |n| format!("{n:.2}")),
        format!("{:.6}", s.served_availability.mean),
        downtime(s, horizon_s),
        format!("{}/{}", s.failovers.succeeded, s.failovers.total),
        seconds(s.failover_time_s.p50),
        seconds(s.failover_time_s.p99),
    ]
}

fn header(horizon_s: f64) -> Vec<String> {
    [
        "service",
        "strategy",
        "availability (95% CI)",
        "nines",
        "served",
        downtime_header(horizon_s),
        "failovers ok/all",
        "failover p50",
        "failover p99",
    ]
    .map(str::to_string)
    .to_vec()
}

/// Writes `rows` (the header first) as a Markdown table; the columns after the first
/// `names` are right-aligned figures.
fn write_table(out: &mut String, rows: &[Vec<String>], names: usize) {
    let Some((head, body)) = rows.split_first() else {
        return;
    };
    let _ = writeln!(out, "| {} |", head.join(" | "));
    let align: Vec<&str> = (0..head.len())
        .map(|c| if c < names { ":---" } else { "---:" })
        .collect();
    let _ = writeln!(out, "|{}|", align.join("|"));
    for row in body {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
}

/// The summary of `run`: one row per service, then the system.
pub(crate) fn render(summary: &Summary) -> String {
    let mut out = provenance(summary);
    out.push('\n');
    let mut rows = vec![header(summary.horizon_s)];
    for s in summary.services.iter().chain(&summary.system) {
        rows.push(service_row(s, summary.horizon_s, true, s.strategy.clone()));
    }
    write_table(&mut out, &rows, 2);
    out
}

/// A winner in words: `ACTIVE_ACTIVE, ahead of N_WAY by 41.2 min/yr [38.0, 44.5]`, or a
/// tie when the paired interval includes zero.
pub(crate) fn winner_words(winner: &Winner, horizon_s: f64) -> String {
    let (Some(runner_up), Some(lead)) = (&winner.runner_up, &winner.lead) else {
        return "the only strategy compared".to_string();
    };
    let (scale, per) = if horizon_s < PER_REPLICATION_BELOW_S {
        (horizon_s, "/replication")
    } else {
        (SECONDS_PER_YEAR, "/yr")
    };
    if winner.is_clear() {
        let ([mean, low, high], unit) = one_unit(
            [lead.mean, lead.ci95_low, lead.ci95_high].map(|fraction| fraction.max(0.0) * scale),
        );
        format!("ahead of {runner_up} by {mean} {unit}{per} less downtime (95% CI {low} to {high})")
    } else {
        format!("tied with {runner_up}: the paired 95% CI of the difference includes 0")
    }
}

/// The comparison: per service the strategies side by side, the winner in bold; then the
/// winner of each service and its lead.
pub(crate) fn render_comparison(studies: &[Study], comparison: &Comparison) -> String {
    let Some(first) = comparison.strategies.first() else {
        return String::new();
    };
    let horizon_s = comparison.horizon_s;
    let winners = winners(studies, comparison);
    let mut out = provenance(first);
    out.push('\n');
    let mut rows = vec![header(horizon_s)];
    for (i, winner) in winners.iter().enumerate() {
        for (position, summary) in comparison.strategies.iter().enumerate() {
            let s = &summary.services[i];
            let strategy = if s.strategy == winner.strategy && winner.is_clear() {
                format!("**{}**", s.strategy)
            } else {
                s.strategy.clone()
            };
            rows.push(service_row(s, horizon_s, position == 0, strategy));
        }
    }
    write_table(&mut out, &rows, 2);
    let _ = writeln!(
        out,
        "\nWinner per service, ranked on {RANKED_ON} (lead paired over the same faults):\n"
    );
    let mut rows = vec![["service", "winner", "lead over the runner-up"]
        .map(str::to_string)
        .to_vec()];
    for winner in &winners {
        rows.push(vec![
            cell(&winner.service),
            if winner.is_clear() {
                format!("**{}**", winner.strategy)
            } else {
                format!("{} (tie)", winner.strategy)
            },
            winner_words(winner, horizon_s),
        ]);
    }
    write_table(&mut out, &rows, 3);
    out
}

/// `--markdown FILE|-`.
pub(crate) struct MarkdownExporter {
    path: PathBuf,
}

impl MarkdownExporter {
    /// Markdown to be written to `path`.
    pub(crate) fn new(path: PathBuf) -> Self {
        MarkdownExporter { path }
    }
}

impl Exporter for MarkdownExporter {
    fn export(
        self: Box<Self>,
        report: &StudyReport,
        _notes: &mut Vec<String>,
        staged: &mut Staged,
    ) -> Result<(), OutputError> {
        let text = match &report.results {
            Results::Summary { summary, .. } => render(summary),
            Results::Comparison {
                studies,
                comparison,
            } => render_comparison(studies, comparison),
            Results::Shard(_) => return Ok(()),
        };
        staged
            .write(&self.path, text.as_bytes())
            .map_err(|e| OutputError::write(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::{cell, horizon, one_unit};

    #[test]
    fn horizons_read_in_their_largest_whole_unit() {
        assert_eq!(horizon(365.0 * 86_400.0), "365d");
        assert_eq!(horizon(36.0 * 3_600.0), "36h");
        assert_eq!(horizon(90.0 * 60.0), "90min");
        assert_eq!(horizon(100.0), "100.00s");
    }

    #[test]
    fn a_mean_and_its_interval_share_one_unit() {
        assert_eq!(
            one_unit([984.0, 960.0, 1_008.0]),
            (
                ["16.4".to_string(), "16.0".to_string(), "16.8".to_string()],
                "min"
            )
        );
        assert_eq!(
            one_unit([10_080.0, 6_258.0, 13_680.0]),
            (
                ["2.8".to_string(), "1.7".to_string(), "3.8".to_string()],
                "h"
            )
        );
    }

    #[test]
    fn names_cannot_break_the_table_or_format_themselves() {
        assert_eq!(cell("db-1 é"), "db-1 é");
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(cell("*x* _y_ `z` <b>"), "\\*x\\* \\_y\\_ \\`z\\` \\<b\\>");
        assert_eq!(cell("two\nlines"), "two\\u{a}lines");
    }
}
