//! The human-readable summary printed on stdout.

use super::atomic::Staged;
use super::{Exporter, OutputError, Results, StudyReport};
use crate::compare::{Comparison, Difference};
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
    );
    out
}

/// Renders a comparison: a block per service with the strategies as columns, its figures
/// as rows, then as rows too the paired differences of each strategy from the baseline, as
/// downtime and failover time in humane units.
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
    let Some(baseline) = strategies.first() else {
        return out;
    };
    let horizon_s = comparison.horizon_s;
    let per_replication = horizon_s < PER_REPLICATION_BELOW_S;
    let _ =
        writeln!(
        out,
        "per service, each strategy against the same faults; Δ rows: paired difference from {} \
         (strategy − baseline, 95% CI; downtime {}, − is less; \"no difference detected\" when \
         the interval holds 0)",
        cell(baseline.services.first().map_or("", |s| s.strategy.as_str())),
        if per_replication {
            "per replication"
        } else {
            "per year"
        }
    );
    for (index, service) in baseline.services.iter().enumerate() {
        let column: Vec<&ServiceSummary> = strategies.iter().map(|s| &s.services[index]).collect();
        let mut rows = vec![std::iter::once(cell(&service.service))
            .chain(column.iter().enumerate().map(|(i, s)| {
                if i == 0 {
                    format!("{} (baseline)", cell(&s.strategy))
                } else {
                    cell(&s.strategy)
                }
            }))
            .collect::<Vec<String>>()];
        let figures: Vec<Vec<Figure>> = column.iter().map(|s| figures(s, horizon_s)).collect();
        for (row, figure) in figures[0].iter().enumerate() {
            rows.push(
                std::iter::once(figure.row.to_string())
                    .chain(figures.iter().map(|f| f[row].value.clone()))
                    .collect(),
            );
        }
        let paired: Vec<Option<&Difference>> = column
            .iter()
            .map(|s| {
                comparison
                    .differences
                    .iter()
                    .find(|d| d.service == s.service && d.strategy == s.strategy)
            })
            .collect();
        rows.extend(differences(&paired, horizon_s));
        out.push('\n');
        write_columns(&mut out, &rows);
        extras(&mut out, column.iter().copied(), horizon_s);
    }
    out
}

/// The Δ rows of one service: per strategy its paired differences (none for the baseline).
fn differences(paired: &[Option<&Difference>], horizon_s: f64) -> Vec<Vec<String>> {
    let (scale, per) = if horizon_s < PER_REPLICATION_BELOW_S {
        (horizon_s, "/rep")
    } else {
        (SECONDS_PER_YEAR, "/yr")
    };
    // More availability is less downtime: the difference changes sign.
    let downtime = |a: &MeanCi| {
        let interval = MeanCi {
            mean: -a.mean * scale,
            ci95_low: -a.ci95_high * scale,
            ci95_high: -a.ci95_low * scale,
        };
        difference(&interval, per)
    };
    let failover_time = |d: &Difference| match &d.failover_time_s {
        Some(f) if d.failover_time_pairs > 1 => {
            format!("{} ({} pairs)", difference(f, ""), d.failover_time_pairs)
        }
        _ => "too few paired failovers".to_string(),
    };
    let cells = |d: &Difference| {
        [
            downtime(&d.availability),
            downtime(&d.lenient_availability),
            downtime(&d.served_availability),
            failover_time(d),
        ]
    };
    let columns: Vec<[String; 4]> = paired
        .iter()
        .map(|d| d.map_or_else(|| std::array::from_fn(|_| "-".to_string()), cells))
        .collect();
    [
        "Δ strict downtime",
        "Δ lenient downtime",
        "Δ served downtime",
        "Δ failover time",
    ]
    .iter()
    .enumerate()
    .map(|(row, label)| {
        std::iter::once(label.to_string())
            .chain(columns.iter().map(|column| column[row].clone()))
            .collect()
    })
    .collect()
}

/// A paired difference in seconds with its 95% interval in one humane unit: `−41 min/yr
/// [−52, −30]` when the interval excludes zero, else `no difference detected` (with the
/// interval, unless every figure is zero).
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
    let figure = format!(
        "{} {unit}{per} [{}, {}]",
        signed(d.mean),
        signed(d.ci95_low),
        signed(d.ci95_high)
    );
    if d.ci95_low > 0.0 || d.ci95_high < 0.0 {
        figure
    } else if largest < 0.5e-3 {
        "no difference detected".to_string()
    } else {
        format!("no difference detected: {figure}")
    }
}

/// Below this horizon a per-year figure extrapolates a short experiment hundreds of
/// times over ("down/yr 2196.7h" for two minutes), so the table shows what one
/// replication lived through instead.
pub(crate) const PER_REPLICATION_BELOW_S: f64 = 86_400.0;

/// One figure of a service: its header as a column of the run table, its label as a row
/// of a comparison, and its cell.
struct Figure {
    column: &'static str,
    row: &'static str,
    value: String,
}

/// The figures a table shows of one service, in order.
fn figures(s: &ServiceSummary, horizon_s: f64) -> Vec<Figure> {
    let per_replication = horizon_s < PER_REPLICATION_BELOW_S;
    let a = &s.availability;
    let f = &s.failovers;
    let figure = |column, row, value| Figure { column, row, value };
    vec![
        figure(
            "availability (95% CI)",
            "availability (95% CI)",
            format!("{:.6} [{:.6}, {:.6}]", a.mean, a.ci95_low, a.ci95_high),
        ),
        figure(
            "lenient",
            "lenient availability",
            format!("{:.6}", s.lenient_availability.mean),
        ),
        figure(
            "served",
            "served availability",
            format!("{:.6}", s.served_availability.mean),
        ),
        figure(
            "nines",
            "nines",
            a.nines.map_or("∞".to_string(), |n| format!("{n:.2}")),
        ),
        if per_replication {
            figure(
                "down/replication",
                "downtime/replication",
                seconds(Some(s.downtime_s_per_year / SECONDS_PER_YEAR * horizon_s)),
            )
        } else {
            figure(
                "down/yr",
                "downtime/yr",
                seconds(Some(s.downtime_s_per_year)),
            )
        },
        if per_replication {
            figure(
                "outages",
                "outages",
                format!(
                    "{:.2}/rep",
                    s.outages.per_year / SECONDS_PER_YEAR * horizon_s
                ),
            )
        } else {
            figure(
                "outages",
                "outages",
                format!("{:.2}/yr", s.outages.per_year),
            )
        },
        figure(
            "outage p99",
            "outage p99",
            seconds(s.outages.duration_s.p99),
        ),
        figure(
            "failovers ok/all",
            "failovers ok/all",
            format!("{}/{}", f.succeeded, f.total),
        ),
        figure(
            "success (95% CI)",
            "success rate (95% CI)",
            success(f.success_rate, f.success_ci95_low, f.success_ci95_high),
        ),
        figure(
            "failover p50",
            "failover p50",
            seconds(s.failover_time_s.p50),
        ),
        figure(
            "failover p99",
            "failover p99",
            seconds(s.failover_time_s.p99),
        ),
        figure(
            "detect mean",
            "detection mean",
            seconds(s.detection_time_s.mean),
        ),
        figure("data loss p99", "data loss p99", seconds(s.data_loss_s.p99)),
    ]
}

/// A success rate with its Wilson interval in percent, `-` without one.
fn success(rate: Option<f64>, low: Option<f64>, high: Option<f64>) -> String {
    match (rate, low, high) {
        (Some(rate), Some(low), Some(high)) => format!(
            "{:.1}% [{:.1}, {:.1}]",
            rate * 100.0,
            low * 100.0,
            high * 100.0
        ),
        _ => "-".to_string(),
    }
}

/// The services table, a row per service, then a line of extras per service that has
/// some.
fn services<'a>(
    out: &mut String,
    services: impl Iterator<Item = &'a ServiceSummary> + Clone,
    horizon_s: f64,
) {
    let mut rows = Vec::new();
    for s in services.clone() {
        let figures = figures(s, horizon_s);
        if rows.is_empty() {
            rows.push(
                ["service", "strategy"]
                    .into_iter()
                    .chain(figures.iter().map(|f| f.column))
                    .map(String::from)
                    .collect(),
            );
        }
        rows.push(
            [cell(&s.service), cell(&s.strategy)]
                .into_iter()
                .chain(figures.into_iter().map(|f| f.value))
                .collect(),
        );
    }
    write_columns(out, &rows);
    extras(out, services, horizon_s);
}

/// A line per service of what its row has no column for: how outages ended, the costliest
/// faults, failure reasons, missions, superseded failovers, safety figures.
/// An exact availability with enough decimals for the first three significant digits of
/// its unavailability (at least six, as simulated availabilities are shown).
pub(crate) fn exact_availability(availability: f64, unavailability: f64) -> String {
    let decimals = if unavailability > 0.0 {
        ((-unavailability.log10()).ceil() as usize + 2).clamp(6, 17)
    } else {
        6
    };
    format!("{availability:.decimals$}")
}

fn extras<'a>(
    out: &mut String,
    services: impl Iterator<Item = &'a ServiceSummary>,
    horizon_s: f64,
) {
    let per_replication = horizon_s < PER_REPLICATION_BELOW_S;
    for s in services {
        let mut extras = Vec::new();
        if let Some(exact) = &s.exact {
            extras.push(format!(
                "exact: availability {} (unavailability {:.4e}), {:.4e} outages/yr (Markov chain; `failsim solve`)",
                exact_availability(exact.availability, exact.unavailability),
                exact.unavailability,
                exact.outages_per_year
            ));
        }
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
    fn differences_read_in_one_humane_unit_with_their_sign_or_say_none_was_detected() {
        assert_eq!(
            difference(&ci(-41.0 * 60.0, -52.0 * 60.0, -30.0 * 60.0), "/yr"),
            "−41 min/yr [−52, −30]"
        );
        assert_eq!(
            difference(&ci(2.9 * 3600.0, 2.1 * 3600.0, 3.7 * 3600.0), "/yr"),
            "+2.9 h/yr [+2.1, +3.7]"
        );
        assert_eq!(
            difference(&ci(4.6 * 86_400.0, 4.4 * 86_400.0, 4.7 * 86_400.0), "/yr"),
            "+4.6 d/yr [+4.4, +4.7]"
        );
        assert_eq!(
            difference(&ci(2.9, -0.5, 6.3), ""),
            "no difference detected: +2.9 s [−0.5, +6.3]"
        );
        assert_eq!(
            difference(&ci(-0.85, -0.9, -0.8), "/rep"),
            "−850 ms/rep [−900, −800]"
        );
        assert_eq!(
            difference(&ci(0.0, 0.0, 0.0), "/yr"),
            "no difference detected"
        );
        // The unit follows the widest figure, so the interval stays comparable.
        assert_eq!(
            difference(&ci(30.0, -20.0, 80.0), ""),
            "no difference detected: +0.5 min [−0.3, +1.3]"
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
