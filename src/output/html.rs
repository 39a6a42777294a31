//! `--report FILE.html`: one self-contained page — which strategy wins each service, the
//! summary and comparison tables, the checks and their verdicts, every figure inline as
//! SVG, the scenario as given, and what reproduces it — that opens from disk with no
//! network and no script.

use super::atomic::Staged;
use super::markdown::{horizon, winner_words};
use super::plot::figures;
use super::table::{seconds, PER_REPLICATION_BELOW_S};
use super::{Exporter, OutputError, Results, Shows, StudyReport};
use crate::checks::{Check, Outcome};
use crate::compare::{winners, Comparison, Difference, Winner, RANKED_ON};
use crate::report::summary::SECONDS_PER_YEAR;
use crate::report::{ServiceSummary, Summary};
use crate::stats::MeanCi;
use std::fmt::Write;
use std::path::PathBuf;

/// `text` safe inside HTML text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's style: system fonts, readable tables, pass and fail in words and colour.
const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1400px;padding:0 1rem;color:#222;line-height:1.4}
.scroll{overflow-x:auto}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.2rem .4rem;text-align:right;white-space:nowrap}
th{background:#f3f3f3}td.name,th.name{text-align:left}
tr.gap td{border:none;height:.4rem;padding:0}
.win{background:#e6f2fa;font-weight:600}
.pass{color:#006a4e;font-weight:600}.fail{color:#b03000;font-weight:600}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;font-size:.9rem}
dl.meta dt{color:#555}dl.meta dd{margin:0;font-family:ui-monospace,monospace}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.9rem}
pre{background:#f7f7f7;border:1px solid #ddd;padding:.75rem;overflow:auto;font-size:.8rem;max-height:40rem}
.note{color:#555;font-size:.9rem}
";

/// The scenario file as read before the study, for the page's last section.
#[derive(Clone, Debug)]
pub(crate) struct ScenarioSource {
    /// As named on the command line.
    pub(crate) path: PathBuf,
    /// Its text, or why it could not be read.
    pub(crate) text: Result<String, String>,
}

impl ScenarioSource {
    /// Reads `path` now, so that the page shows what the study ran.
    pub(crate) fn read(path: PathBuf) -> Self {
        let text = std::fs::read(&path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .map_err(|e| e.to_string());
        ScenarioSource { path, text }
    }
}

/// `--report FILE.html`.
pub(crate) struct HtmlExporter {
    path: PathBuf,
    scenario: Option<ScenarioSource>,
}

impl HtmlExporter {
    /// A report to be written to `path`, showing `scenario`.
    pub(crate) fn new(path: PathBuf, scenario: Option<ScenarioSource>) -> Self {
        HtmlExporter { path, scenario }
    }
}

/// A table built row by row: `<th>`/`<td>` cells, the first `names` of each row text
/// (left-aligned), the others figures.
struct Table {
    html: String,
    names: usize,
}

impl Table {
    fn new(header: &[&str], names: usize) -> Self {
        let mut html = String::from("<div class=\"scroll\"><table>\n<thead><tr>");
        for (i, h) in header.iter().enumerate() {
            let class = if i < names { " class=\"name\"" } else { "" };
            let _ = write!(html, "<th{class}>{}</th>", escape(h));
        }
        html.push_str("</tr></thead>\n<tbody>\n");
        Table { html, names }
    }

    /// A row of cells already escaped; `class` marks the row (`win`, `gap`).
    fn row(&mut self, class: &str, cells: &[String]) {
        if class.is_empty() {
            self.html.push_str("<tr>");
        } else {
            let _ = write!(self.html, "<tr class=\"{class}\">");
        }
        for (i, c) in cells.iter().enumerate() {
            let class = if i < self.names {
                " class=\"name\""
            } else {
                ""
            };
            let _ = write!(self.html, "<td{class}>{c}</td>");
        }
        self.html.push_str("</tr>\n");
    }

    fn gap(&mut self, columns: usize) {
        let _ = writeln!(
            self.html,
            "<tr class=\"gap\"><td colspan=\"{columns}\"></td></tr>"
        );
    }

    fn finish(mut self) -> String {
        self.html.push_str("</tbody></table></div>\n");
        self.html
    }
}

const SUMMARY_HEADER: [&str; 13] = [
    "service",
    "strategy",
    "availability (95% CI)",
    "nines",
    "lenient",
    "served",
    "downtime",
    "outages",
    "outage p99",
    "failovers ok/all",
    "failover p50",
    "failover p99",
    "data loss p99",
];

/// A service's row of the summary table (names escaped).
fn summary_cells(s: &ServiceSummary, horizon_s: f64, name: bool) -> Vec<String> {
    let a = &s.availability;
    let per_replication = horizon_s < PER_REPLICATION_BELOW_S;
    let (scale, per) = if per_replication {
        (horizon_s / SECONDS_PER_YEAR, "/rep")
    } else {
        (1.0, "/yr")
    };
    vec![
        if name {
            escape(&s.service)
        } else {
            String::new()
        },
        escape(&s.strategy),
        format!("{:.6} [{:.6}, {:.6}]", a.mean, a.ci95_low, a.ci95_high),
        a.nines.map_or("∞".to_string(), |n| format!("{n:.2}")),
        format!("{:.6}", s.lenient_availability.mean),
        format!("{:.6}", s.served_availability.mean),
        format!("{}{per}", seconds(Some(s.downtime_s_per_year * scale))),
        format!("{:.2}{per}", s.outages.per_year * scale),
        seconds(s.outages.duration_s.p99),
        format!("{}/{}", s.failovers.succeeded, s.failovers.total),
        seconds(s.failover_time_s.p50),
        seconds(s.failover_time_s.p99),
        seconds(s.data_loss_s.p99),
    ]
}

/// What reproduces the numbers: version, seed, scenario hash, and the run's size.
fn provenance(out: &mut String, summary: &Summary, scenario: Option<&ScenarioSource>) {
    out.push_str("<dl class=\"meta\">\n");
    let mut item = |term: &str, value: String| {
        let _ = writeln!(out, "<dt>{term}</dt><dd>{value}</dd>");
    };
    item("failsim version", escape(&summary.version));
    if let Some(scenario) = scenario {
        item(
            "scenario file",
            escape(&scenario.path.display().to_string()),
        );
    }
    item("scenario hash", escape(&summary.scenario_hash));
    item("seed", summary.seed.to_string());
    item(
        "replications",
        if summary.complete {
            summary.replications.to_string()
        } else {
            format!(
                "{} of {} (partial result)",
                summary.replications, summary.replications_requested
            )
        },
    );
    item("horizon", horizon(summary.horizon_s));
    out.push_str("</dl>\n");
}

/// The winners section of a comparison: which strategy wins each service, on what.
fn winners_section(out: &mut String, winners: &[Winner], horizon_s: f64) {
    let _ = writeln!(
        out,
        "<section id=\"winners\">\n<h2>Which strategy wins</h2>\n<p>Per service, the strategy \
         with the highest <strong>{RANKED_ON}</strong> (ties by served availability), and its \
         lead over the runner-up, paired by replication over the same faults (95% CI). A lead \
         whose interval includes zero is a tie.</p>"
    );
    let mut table = Table::new(&["service", "winner", "lead over the runner-up"], 3);
    for w in winners {
        let winner = if w.is_clear() {
            format!("<span class=\"win\">{}</span>", escape(&w.strategy))
        } else {
            format!("{} (tie)", escape(&w.strategy))
        };
        table.row(
            "",
            &[
                escape(&w.service),
                winner,
                escape(&winner_words(w, horizon_s)),
            ],
        );
    }
    out.push_str(&table.finish());
    out.push_str("</section>\n");
}

/// A paired difference of availability as a signed figure with its interval.
fn signed(d: &MeanCi) -> String {
    format!(
        "{:+.6} [{:+.6}, {:+.6}]{}",
        d.mean,
        d.ci95_low,
        d.ci95_high,
        if d.ci95_low > 0.0 || d.ci95_high < 0.0 {
            " real"
        } else {
            ""
        }
    )
}

/// The paired differences of every strategy from the baseline, grouped by service.
fn differences_section(out: &mut String, comparison: &Comparison, count: usize) {
    let Some(first) = comparison.differences.first() else {
        return;
    };
    let _ = writeln!(
        out,
        "<section id=\"differences\">\n<h2>Paired differences from {}</h2>\n<p>strategy − \
         baseline, the same faults in every replication, 95% CI; <em>real</em> when the \
         interval excludes zero. Positive availability is better than the baseline.</p>",
        escape(&first.baseline)
    );
    let mut table = Table::new(
        &[
            "service",
            "strategy",
            "Δ strict availability",
            "Δ lenient",
            "Δ served",
            "Δ failover time mean",
        ],
        2,
    );
    for service in 0..count {
        if service > 0 {
            table.gap(6);
        }
        let group: Vec<&Difference> = comparison
            .differences
            .iter()
            .skip(service)
            .step_by(count)
            .collect();
        for (position, d) in group.into_iter().enumerate() {
            let failover = match &d.failover_time_s {
                Some(f) if d.failover_time_pairs > 1 => format!(
                    "{:+.3}s [{:+.3}, {:+.3}] ({} pairs)",
                    f.mean, f.ci95_low, f.ci95_high, d.failover_time_pairs
                ),
                _ => "too few pairs".to_string(),
            };
            table.row(
                "",
                &[
                    if position == 0 {
                        escape(&d.service)
                    } else {
                        String::new()
                    },
                    escape(&d.strategy),
                    signed(&d.availability),
                    signed(&d.lenient_availability),
                    signed(&d.served_availability),
                    failover,
                ],
            );
        }
    }
    out.push_str(&table.finish());
    out.push_str("</section>\n");
}

/// The checks and their verdicts: per service, and per strategy for a comparison.
fn checks_section(out: &mut String, checks: &[Check], summaries: &[Summary]) {
    out.push_str("<section id=\"checks\">\n<h2>Checks</h2>\n");
    if checks.is_empty() {
        out.push_str(
            "<p class=\"note\">No checks were given (<code>--check</code> or the scenario's \
             <code>slo</code>).</p>\n</section>\n",
        );
        return;
    }
    let mut table = Table::new(
        &[
            "check", "service", "strategy", "measured", "95% CI", "verdict",
        ],
        3,
    );
    let (mut passed, mut failed, mut inconclusive) = (0, 0, 0);
    for check in checks {
        for summary in summaries {
            let strategy_of = |service: &str| {
                summary
                    .services
                    .iter()
                    .chain(&summary.system)
                    .find(|s| s.service == service)
                    .map_or(String::new(), |s| escape(&s.strategy))
            };
            match check.evaluate(summary) {
                Ok(verdicts) => {
                    for v in verdicts {
                        match v.outcome {
                            Outcome::Pass => passed += 1,
                            Outcome::Fail => failed += 1,
                            Outcome::Inconclusive => inconclusive += 1,
                        }
                        table.row(
                            "",
                            &[
                                format!("<code>{}</code>", escape(&v.check)),
                                escape(&v.service),
                                strategy_of(&v.service),
                                v.measured
                                    .map_or("no data".to_string(), |m| format!("{m:.6}")),
                                v.interval
                                    .map_or(String::new(), |(l, h)| format!("[{l:.6}, {h:.6}]")),
                                match v.outcome {
                                    Outcome::Pass => "<span class=\"pass\">pass</span>",
                                    Outcome::Fail => "<span class=\"fail\">FAIL</span>",
                                    Outcome::Inconclusive => "inconclusive",
                                }
                                .to_string(),
                            ],
                        );
                    }
                }
                Err(e) => table.row(
                    "",
                    &[
                        format!("<code>{}</code>", escape(&check.text)),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        format!("<span class=\"fail\">{}</span>", escape(&e.to_string())),
                    ],
                ),
            }
        }
    }
    let _ = if inconclusive == 0 {
        writeln!(out, "<p>{passed} passed, {failed} failed.</p>")
    } else {
        writeln!(
            out,
            "<p>{passed} passed, {failed} failed, {inconclusive} inconclusive (the 95% interval straddles the bound).</p>"
        )
    };
    out.push_str(&table.finish());
    out.push_str("</section>\n");
}

impl HtmlExporter {
    /// The whole page.
    fn render(&self, report: &StudyReport) -> Result<String, OutputError> {
        let (summaries, comparison, studies): (&[Summary], Option<&Comparison>, _) =
            match &report.results {
                Results::Summary { summary, .. } => (std::slice::from_ref(*summary), None, &[][..]),
                Results::Comparison {
                    studies,
                    comparison,
                } => (&comparison.strategies[..], Some(*comparison), *studies),
                Results::Shard(_) => return Ok(String::new()),
            };
        let Some(first) = summaries.first() else {
            return Ok(String::new());
        };
        let horizon_s = first.horizon_s;
        let title = format!(
            "failsim {}: {}",
            if comparison.is_some() {
                "comparison"
            } else {
                "run"
            },
            first.scenario
        );
        let mut out = String::new();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
            escape(&title),
            escape(&title)
        );
        provenance(&mut out, first, self.scenario.as_ref());
        let winners = comparison.map(|c| winners(studies, c)).unwrap_or_default();
        if !winners.is_empty() {
            winners_section(&mut out, &winners, horizon_s);
        }
        out.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n");
        let mut table = Table::new(&SUMMARY_HEADER, 2);
        match comparison {
            None => {
                for s in first.services.iter().chain(&first.system) {
                    table.row("", &summary_cells(s, horizon_s, true));
                }
            }
            Some(c) => {
                for (i, winner) in winners.iter().enumerate() {
                    if i > 0 {
                        table.gap(SUMMARY_HEADER.len());
                    }
                    for (position, summary) in c.strategies.iter().enumerate() {
                        let s = &summary.services[i];
                        let class = if s.strategy == winner.strategy && winner.is_clear() {
                            "win"
                        } else {
                            ""
                        };
                        table.row(class, &summary_cells(s, horizon_s, position == 0));
                    }
                }
            }
        }
        out.push_str(&table.finish());
        let _ = write!(
            out,
            "<p class=\"note\">availability: strict (UP time / horizon), with its 95% confidence \
             interval over replications; lenient counts DEGRADED as up; served is the fraction \
             of requests served.{}</p>\n</section>\n",
            if comparison.is_some() {
                " The winner of each service is highlighted."
            } else {
                ""
            }
        );
        if let Some(c) = comparison {
            differences_section(&mut out, c, winners.len());
        }
        checks_section(&mut out, report.checks, summaries);
        out.push_str("<section id=\"figures\">\n<h2>Figures</h2>\n");
        for figure in figures(report) {
            let svg = figure.svg.map_err(|e| OutputError::Figure {
                path: self.path.clone(),
                message: format!("{}: {e}", figure.name),
            })?;
            let _ = write!(
                out,
                "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                escape(figure.name.trim_end_matches(".svg")),
                svg_element(&svg),
                escape(&figure.title)
            );
        }
        out.push_str("</section>\n<section id=\"scenario\">\n<h2>Scenario</h2>\n");
        match &self.scenario {
            Some(ScenarioSource {
                path,
                text: Ok(text),
            }) => {
                let _ = write!(
                    out,
                    "<p class=\"note\">{}, as read before the study (hash {}).</p>\n<pre>{}</pre>\n",
                    escape(&path.display().to_string()),
                    escape(&first.scenario_hash),
                    escape(text)
                );
            }
            Some(ScenarioSource { path, text: Err(e) }) => {
                let _ = writeln!(
                    out,
                    "<p class=\"note\">{} could not be read for this page: {}</p>",
                    escape(&path.display().to_string()),
                    escape(e)
                );
            }
            None => out.push_str("<p class=\"note\">No scenario file.</p>\n"),
        }
        let _ = write!(
            out,
            "</section>\n<footer class=\"note\"><p>failsim {}, seed {}, scenario hash {}.</p></footer>\n\
             </body>\n</html>\n",
            escape(&first.version),
            first.seed,
            escape(&first.scenario_hash)
        );
        Ok(out)
    }
}

/// A plotters SVG document as an element to inline: without an XML declaration, if any,
/// and without the namespace, which HTML implies for an inline `<svg>` — so that the page
/// holds no URL at all.
fn svg_element(svg: &str) -> String {
    let element = svg.find("<svg").map_or(svg, |start| &svg[start..]);
    element.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
}

impl Exporter for HtmlExporter {
    fn shows(&self) -> Shows {
        Shows {
            strategy_timelines: true,
            ..Shows::default()
        }
    }

    fn export(
        self: Box<Self>,
        report: &StudyReport,
        _notes: &mut Vec<String>,
        staged: &mut Staged,
    ) -> Result<(), OutputError> {
        if matches!(report.results, Results::Shard(_)) {
            return Ok(());
        }
        let page = self.render(report)?;
        staged
            .write(&self.path, page.as_bytes())
            .map_err(|e| OutputError::write(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn text_from_the_scenario_cannot_open_a_tag_or_leave_an_attribute() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape("db-1 é"), "db-1 é");
    }
}
