//! The human-readable summary printed on stdout.

use super::atomic::Staged;
use super::{Exporter, OutputError, Results, StudyReport};
use crate::compare::Comparison;
use crate::report::summary::SECONDS_PER_YEAR;
use crate::report::{ServiceSummary, Summary};
use crate::stats::MeanCi;
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
    services(
        &mut out,
        summary.services.iter().chain(summary.system.as_ref()),
        summary.horizon_s,
        false,
    );
    out
}

/// Renders a comparison: per service, the strategies side by side; then per service the
/// paired differences from the baseline, as downtime and failover time in humane units.
pub(crate) fn render_comparison(comparison: &Comparison) -> String {
    let mut out = String::new();
    heading(
        &mut out,
        &comparison.scenario,
        comparison.seed,
        comparison.replications,
        comparison.horizon_s,
    );
    let strategies = &comparison.strategies;
    let count = strategies.first().map_or(0, |s| s.services.len());
    let grouped: Vec<&ServiceSummary> = (0..count)
        .flat_map(|i| strategies.iter().map(move |s| &s.services[i]))
        .collect();
    services(
        &mut out,
        grouped.iter().copied(),
        comparison.horizon_s,
        true,
    );
    if let Some(first) = comparison.differences.first() {
        differences(&mut out, comparison, count, &first.baseline);
    }
    out
}

/// The paired differences, grouped by service like the table above them.
fn differences(out: &mut String, comparison: &Comparison, count: usize, baseline: &str) {
    let horizon_s = comparison.horizon_s;
    let per_replication = horizon_s < PER_REPLICATION_BELOW_S;
    let (scale, per) = if per_replication {
        (horizon_s, "/rep")
    } else {
        (SECONDS_PER_YEAR, "/yr")
    };
    let _ = writeln!(
        out,
        "\npaired differences from {} (strategy − baseline, same faults in every replication, \
         95% CI; downtime {}: − is less downtime):",
        cell(baseline),
        if per_replication {
            "per replication"
        } else {
            "per year"
        }
    );
    let header = [
        "service",
        "strategy",
        "strict downtime",
        "lenient downtime",
        "served downtime",
        "failover time",
    ];
    let mut rows = vec![header.map(str::to_string).to_vec()];
    for service in 0..count {
        if service > 0 {
            rows.push(vec![String::new(); header.len()]);
        }
        let group = comparison.differences.iter().skip(service).step_by(count);
        for (position, d) in group.enumerate() {
            // More availability is less downtime: the difference changes sign.
            let downtime = |a: &MeanCi| {
                let interval = MeanCi {
                    mean: -a.mean * scale,
                    ci95_low: -a.ci95_high * scale,
                    ci95_high: -a.ci95_low * scale,
                };
                difference(&interval, per)
            };
            let failover_time = match &d.failover_time_s {
                Some(f) if d.failover_time_pairs > 1 => {
                    format!("{} ({} pairs)", difference(f, ""), d.failover_time_pairs)
                }
                _ => "too few replications with failovers in both".to_string(),
            };
            rows.push(vec![
                if position == 0 {
                    cell(&d.service)
                } else {
                    String::new()
                },
                cell(&d.strategy),
                downtime(&d.availability),
                downtime(&d.lenient_availability),
                downtime(&d.served_availability),
                failover_time,
            ]);
        }
    }
    write_columns(out, &rows);
}

/// A paired difference in seconds with its 95% interval in one humane unit, and whether
/// it is real (the interval excludes zero): `−41 min/yr [−52, −30] real`,
/// `+2.9 s [+2.5, +3.3] real`.
fn difference(d: &MeanCi, per: &str) -> String {
    let largest = d.mean.abs().max(d.ci95_low.abs()).max(d.ci95_high.abs());
    // Below half a millisecond every figure would read 0.0 ms: say 0 s.
    let (unit, size) = [
        ("s", 1.0, 0.5e-3),
        ("ms", 1e-3, 1.0),
        ("s", 1.0, 60.0),
        ("min", 60.0, 3600.0),
        ("h", 3600.0, 48.0 * 3600.0),
    ]
    .into_iter()
    .find(|&(_, _, below)| largest < below)
    .map_or(("d", 86_400.0), |(unit, size, _)| (unit, size));
    let decimals = usize::from(largest >= 0.5e-3 && largest / size < 10.0);
    let signed = |value: f64| {
        let text = format!("{:.decimals$}", (value / size).abs());
        if text.bytes().all(|b| b == b'0' || b == b'.') {
            text
        } else if value < 0.0 {
            format!("−{text}")
        } else {
            format!("+{text}")
        }
    };
    let verdict = if d.ci95_low > 0.0 || d.ci95_high < 0.0 {
        "real"
    } else {
        "not distinguishable"
    };
    format!(
        "{} {unit}{per} [{}, {}] {verdict}",
        signed(d.mean),
        signed(d.ci95_low),
        signed(d.ci95_high)
    )
}

/// Below this horizon a per-year figure extrapolates a short experiment hundreds of
/// times over ("down/yr 2196.7h" for two minutes), so the table shows what one
/// replication lived through instead.
pub(crate) const PER_REPLICATION_BELOW_S: f64 = 86_400.0;

/// The services table, then a line of extras per service that has some. `grouped`:
/// consecutive rows of one service (a comparison's strategies) show its name once, and
/// a blank line separates services.
fn services<'a>(
    out: &mut String,
    services: impl Iterator<Item = &'a ServiceSummary> + Clone,
    horizon_s: f64,
    grouped: bool,
) {
    let per_replication = horizon_s < PER_REPLICATION_BELOW_S;
    let header = [
        "service",
        "strategy",
        "availability (95% CI)",
        "served",
        "nines",
        if per_replication {
            "down/replication"
        } else {
            "down/yr"
        },
        "outages",
        "outage p99",
        "failovers ok/all",
        "failover p50",
        "p99",
        "detect mean",
        "data loss p99",
    ];
    let mut rows = vec![header.map(String::from).to_vec()];
    let mut previous: Option<&str> = None;
    for s in services.clone() {
        let a = &s.availability;
        let same_service = grouped && previous == Some(s.service.as_str());
        if grouped && previous.is_some() && !same_service {
            rows.push(vec![String::new(); header.len()]);
        }
        previous = Some(&s.service);
        rows.push(vec![
            if same_service {
                String::new()
            } else {
                cell(&s.service)
            },
            cell(&s.strategy),
            format!("{:.6} [{:.6}, {:.6}]", a.mean, a.ci95_low, a.ci95_high),
            format!("{:.6}", s.served_availability.mean),
            a.nines.map_or("∞".to_string(), |n| format!("{n:.2}")),
            if per_replication {
                seconds(Some(s.downtime_s_per_year / SECONDS_PER_YEAR * horizon_s))
            } else {
                seconds(Some(s.downtime_s_per_year))
            },
            if per_replication {
                format!(
                    "{:.2}/rep",
                    s.outages.per_year / SECONDS_PER_YEAR * horizon_s
                )
            } else {
                format!("{:.2}/yr", s.outages.per_year)
            },
            seconds(s.outages.duration_s.p99),
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
        let ended = &s.outages.ended_by;
        if ended.failover + ended.recovery + ended.horizon > 0 {
            extras.push(format!(
                "outages ended by failover {}, recovery {}, horizon {}",
                ended.failover, ended.recovery, ended.horizon
            ));
        }
        if !s.downtime_by_fault.is_empty() {
            let costliest: Vec<String> = s
                .downtime_by_fault
                .iter()
                .take(3)
                .map(|f| {
                    let cost = if per_replication {
                        f.downtime_s_per_year / SECONDS_PER_YEAR * horizon_s
                    } else {
                        f.downtime_s_per_year
                    };
                    format!("{} ({}) {}", cell(&f.fault), f.kind, seconds(Some(cost)))
                })
                .collect();
            let unit = if per_replication { "replication" } else { "yr" };
            extras.push(format!(
                "downtime/{unit} by cause: {}",
                costliest.join(", ")
            ));
        }
        if !s.failovers.failed_by_reason.is_empty() {
            let reasons: Vec<String> = s
                .failovers
                .failed_by_reason
                .iter()
                .map(|(r, n)| format!("{r} {n}"))
                .collect();
            extras.push(format!("failed: {}", reasons.join(", ")));
        }
        if !s.missions.is_empty() {
            let missions: Vec<String> = s
                .missions
                .iter()
                .map(|m| {
                    format!(
                        "{} {:.4} [{:.4}, {:.4}]",
                        seconds(Some(m.mission_s)),
                        m.p_no_outage,
                        m.ci95_low,
                        m.ci95_high
                    )
                })
                .collect();
            extras.push(format!(
                "no outage within {}; mean time to first outage {}",
                missions.join(", "),
                seconds(s.mean_time_to_first_outage_s)
            ));
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
    use super::{difference, terminal_safe};
    use crate::stats::MeanCi;

    fn ci(mean: f64, ci95_low: f64, ci95_high: f64) -> MeanCi {
        MeanCi {
            mean,
            ci95_low,
            ci95_high,
        }
    }

    #[test]
    fn differences_read_in_one_humane_unit_with_their_sign_and_verdict() {
        assert_eq!(
            difference(&ci(-41.0 * 60.0, -52.0 * 60.0, -30.0 * 60.0), "/yr"),
            "−41 min/yr [−52, −30] real"
        );
        assert_eq!(
            difference(&ci(2.9 * 3600.0, 2.1 * 3600.0, 3.7 * 3600.0), "/yr"),
            "+2.9 h/yr [+2.1, +3.7] real"
        );
        assert_eq!(
            difference(&ci(4.6 * 86_400.0, 4.4 * 86_400.0, 4.7 * 86_400.0), "/yr"),
            "+4.6 d/yr [+4.4, +4.7] real"
        );
        assert_eq!(
            difference(&ci(2.9, -0.5, 6.3), ""),
            "+2.9 s [−0.5, +6.3] not distinguishable"
        );
        assert_eq!(
            difference(&ci(-0.85, -0.9, -0.8), "/rep"),
            "−850 ms/rep [−900, −800] real"
        );
        assert_eq!(
            difference(&ci(0.0, 0.0, 0.0), "/yr"),
            "0 s/yr [0, 0] not distinguishable"
        );
        // The unit follows the widest figure, so the interval stays comparable.
        assert_eq!(
            difference(&ci(30.0, -20.0, 80.0), ""),
            "+0.5 min [−0.3, +1.3] not distinguishable"
        );
    }

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
