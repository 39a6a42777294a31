//! The human-readable summary printed on stdout.

use super::atomic::Staged;
use super::{Exporter, OutputError, Results, StudyReport};
use crate::compare::Comparison;
use crate::report::{ServiceSummary, Summary};
use std::fmt::Write;
use std::path::Path;

/// `text` safe to show on a terminal: control characters (escape sequences, carriage
/// returns, bells, C1 codes) and bidirectional overrides from the scenario's names are
/// written as `\u{1b}`-style escapes; line breaks stay when `keep_lines`.
pub(crate) fn terminal_safe(text: &str, keep_lines: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && !(keep_lines && c == '\n'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A name from the scenario as one table cell.
fn cell(name: &str) -> String {
    terminal_safe(name, false).into_owned()
}

/// A duration in seconds as a short human figure (`850ms`, `6.06s`, `14.5m`, `3.9h`), `-`
/// when there is none.
pub(crate) fn seconds(value: Option<f64>) -> String {
    match value {
        None => "-".to_string(),
        Some(v) if v < 1.0 => format!("{:.0}ms", v * 1e3),
        Some(v) if v < 120.0 => format!("{v:.2}s"),
        Some(v) if v < 7200.0 => format!("{:.1}m", v / 60.0),
        Some(v) => format!("{:.1}h", v / 3600.0),
    }
}

/// Writes `rows` (the header first) as left-aligned columns two spaces apart, each as wide
/// as its widest cell.
pub(crate) fn write_columns(out: &mut String, rows: &[Vec<String>]) {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
}

fn heading(out: &mut String, scenario: &str, seed: u64, replications: u64, horizon_s: f64) {
    let _ = writeln!(
        out,
        "scenario {}  seed {seed}  replications {replications}  horizon {}",
        cell(scenario),
        seconds(Some(horizon_s))
    );
}

/// Renders the summary as an aligned text table.
pub(crate) fn render(summary: &Summary) -> String {
    let mut out = String::new();
    heading(
        &mut out,
        &summary.scenario,
        summary.seed,
        summary.replications,
        summary.horizon_s,
    );
    services(&mut out, summary.services.iter());
    out
}

/// Renders a comparison: strategies side by side, then paired differences from the baseline.
pub(crate) fn render_comparison(comparison: &Comparison) -> String {
    let mut out = String::new();
    heading(
        &mut out,
        &comparison.scenario,
        comparison.seed,
        comparison.replications,
        comparison.horizon_s,
    );
    services(&mut out, comparison.services());
    if !comparison.differences.is_empty() {
        let _ = writeln!(
            out,
            "\npaired differences from {} (same faults in every replication; 95% CI):",
            comparison.differences[0].baseline
        );
        for d in &comparison.differences {
            let a = &d.availability;
            let verdict = |low: f64, high: f64| {
                if low > 0.0 || high < 0.0 {
                    "real"
                } else {
                    "not distinguishable"
                }
            };
            let _ = write!(
                out,
                "  {} {}: availability {:+.6} [{:+.6}, {:+.6}] {}",
                cell(&d.service),
                d.strategy,
                a.mean,
                a.ci95_low,
                a.ci95_high,
                verdict(a.ci95_low, a.ci95_high)
            );
            match &d.failover_time_s {
                Some(f) if d.failover_time_pairs > 1 => {
                    let _ = writeln!(
                        out,
                        "; failover time {:+.3}s [{:+.3}, {:+.3}] {} ({} paired replications)",
                        f.mean,
                        f.ci95_low,
                        f.ci95_high,
                        verdict(f.ci95_low, f.ci95_high),
                        d.failover_time_pairs
                    );
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "; failover time: too few replications with failovers in both"
                    );
                }
            }
        }
    }
    out
}

fn services<'a>(out: &mut String, services: impl Iterator<Item = &'a ServiceSummary> + Clone) {
    let header = [
        "service",
        "strategy",
        "availability (95% CI)",
        "nines",
        "down/yr",
        "failovers ok/all",
        "failover p50",
        "p99",
        "detect mean",
        "data loss p99",
    ];
    let mut rows = vec![header.map(String::from).to_vec()];
    for s in services.clone() {
        let a = &s.availability;
        rows.push(vec![
            cell(&s.service),
            cell(&s.strategy),
            format!("{:.6} [{:.6}, {:.6}]", a.mean, a.ci95_low, a.ci95_high),
            a.nines.map_or("∞".to_string(), |n| format!("{n:.2}")),
            seconds(Some(s.downtime_s_per_year)),
            format!("{}/{}", s.failovers.succeeded, s.failovers.total),
            seconds(s.failover_time_s.p50),
            seconds(s.failover_time_s.p99),
            seconds(s.detection_time_s.mean),
            seconds(s.data_loss_s.p99),
        ]);
    }
    write_columns(out, &rows);
    for s in services {
        let mut extras = Vec::new();
        if !s.failovers.failed_by_reason.is_empty() {
            let reasons: Vec<String> = s
                .failovers
                .failed_by_reason
                .iter()
                .map(|(r, n)| format!("{r} {n}"))
                .collect();
            extras.push(format!("failed: {}", reasons.join(", ")));
        }
        for (count, what) in [
            (
                s.failovers.superseded,
                "superseded (what failed came back first)",
            ),
            (s.failovers.unfinished, "unfinished at the horizon"),
        ] {
            if count > 0 {
                extras.push(format!("{count} failovers {what}"));
            }
        }
        if s.split_brain_s > 0.0 {
            extras.push(format!(
                "split-brain {:.1}s per replication",
                s.split_brain_s
            ));
        }
        if s.unnecessary_failovers > 0 {
            extras.push(format!("{} unnecessary failovers", s.unnecessary_failovers));
        }
        if s.safety_violations > 0 {
            extras.push(format!("{} safety violations", s.safety_violations));
        }
        if !extras.is_empty() {
            let _ = writeln!(
                out,
                "  {} {}: {}",
                cell(&s.service),
                cell(&s.strategy),
                extras.join("; ")
            );
        }
    }
}

/// The table on standard output, when no file output takes it.
pub(crate) struct TableExporter;

impl Exporter for TableExporter {
    fn export(
        self: Box<Self>,
        report: &StudyReport,
        _notes: &mut Vec<String>,
        staged: &mut Staged,
    ) -> Result<(), OutputError> {
        let text = match &report.results {
            Results::Summary { summary, .. } => render(summary),
            Results::Comparison { comparison, .. } => render_comparison(comparison),
            Results::Shard(_) => return Ok(()),
        };
        staged
            .write(Path::new("-"), text.as_bytes())
            .map_err(|e| OutputError::write(Path::new("stdout"), e))
    }
}

#[cfg(test)]
mod tests {
    use super::terminal_safe;

    #[test]
    fn control_characters_and_bidi_overrides_are_escaped_and_plain_text_is_not() {
        assert_eq!(terminal_safe("db-1 é ∞", false), "db-1 é ∞");
        assert_eq!(
            terminal_safe("\u{1b}[2Jdb\r\u{7}\u{9b}x\u{202e}", false),
            "\\u{1b}[2Jdb\\u{d}\\u{7}\\u{9b}x\\u{202e}"
        );
        assert_eq!(terminal_safe("a\nb\tc", true), "a\nb\\u{9}c");
        assert_eq!(terminal_safe("a\nb", false), "a\\u{a}b");
    }
}
