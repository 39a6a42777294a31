//! SVG figures with plotters: failover-time CDF per strategy, availability per strategy
//! with 95% confidence bars, and the timeline of one replication.

use super::atomic::Staged;
use super::timeline::Timeline;
use super::{Exporter, OutputError, Results, Shows, StudyReport};
use crate::report::{Study, Summary};
use crate::stats::DurationHistogram;
use plotters::prelude::*;
use std::path::PathBuf;

/// Distinct colours (the "tab10" set, then six darker ones) for up to 16 series.
const PALETTE: [RGBColor; 16] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(0, 0, 128),
    RGBColor(128, 0, 0),
    RGBColor(0, 128, 128),
    RGBColor(128, 128, 0),
    RGBColor(0, 0, 0),
    RGBColor(255, 0, 255),
];

type Drawn = Result<String, Box<dyn std::error::Error>>;

/// Strategies in the order their colours are taken from [`PALETTE`].
const STRATEGY_ORDER: [&str; 4] = ["ACTIVE_ACTIVE", "ACTIVE_PASSIVE", "N_WAY", "GEOGRAPHIC"];

/// Most curves in the failover-time figure: every service under every strategy of a
/// four-service comparison, and about as many as a legend can still tell apart.
pub(crate) const MAX_CDF_CURVES: usize = 16;
/// Most bars in the availability figure.
pub(crate) const MAX_AVAILABILITY_BARS: usize = 24;

/// The indices of the `limit` items ranked first by `key` (ties by index), in index
/// order; every index when there are no more than `limit`.
fn first_ranked<K: PartialOrd>(keys: &[K], limit: usize) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..keys.len()).collect();
    if keys.len() > limit {
        indices.sort_by(|&a, &b| {
            keys[a]
                .partial_cmp(&keys[b])
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(&b))
        });
        indices.truncate(limit);
        indices.sort_unstable();
    }
    indices
}

/// A tick label of the log-scale time axis: three significant digits, in ms below a
/// second, in s up to a day (powers of ten are not round in minutes or hours), in h beyond.
fn tick_seconds(seconds: f64) -> String {
    let significant = |v: f64| {
        // Clamped so that 0 (log10 = −∞) or a subnormal cannot ask for absurd precision.
        let digits = (2 - v.abs().log10().floor().max(-20.0) as i32).clamp(0, 22) as usize;
        let text = format!("{v:.digits$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    };
    match seconds {
        s if s < 1.0 => format!("{}ms", significant(s * 1e3)),
        s if s < 86_400.0 => format!("{}s", significant(s)),
        s => format!("{}h", significant(s / 3_600.0)),
    }
}

/// The time axis, in seconds, for curves starting at `fastest` and reaching p99 at
/// `slowest`: a margin of 20% each side, at least 1 ms up to a factor 2, and finite even
/// with no curve at all (plotters never returns from an infinite range).
fn seconds_axis(
    fastest: impl Iterator<Item = f64>,
    slowest: impl Iterator<Item = f64>,
) -> (f64, f64) {
    let low = fastest.fold(f64::INFINITY, f64::min);
    let low = if low.is_finite() { low.max(1e-3) } else { 1.0 } / 1.2;
    let high = slowest
        .filter(|s| s.is_finite())
        .fold(0.0, f64::max)
        .max(low * 2.0)
        * 1.2;
    (low, high)
}

/// The label of the row at `y` on an axis of `rows` rows drawn top down (row 0 at the
/// top); empty between rows.
fn top_down_label(labels: &[String], rows: usize, y: f64) -> String {
    let index = y.round();
    if (y - index).abs() < 1e-6 && index >= 0.0 && index < rows as f64 {
        labels
            .get(rows - 1 - index as usize)
            .cloned()
            .unwrap_or_default()
    } else {
        String::new()
    }
}

/// Failover-time CDF, one curve per labelled histogram that holds failovers; with more
/// than [`MAX_CDF_CURVES`], the curves with the longest p99.
fn failover_cdf_svg(curves: &[(String, &DurationHistogram)]) -> Drawn {
    let with_data: Vec<&(String, &DurationHistogram)> =
        curves.iter().filter(|(_, h)| !h.is_empty()).collect();
    let slowest_first: Vec<std::cmp::Reverse<u64>> = with_data
        .iter()
        .map(|(_, h)| std::cmp::Reverse(h.quantile_ns(0.99).unwrap_or(0)))
        .collect();
    let shown: Vec<&(String, &DurationHistogram)> = first_ranked(&slowest_first, MAX_CDF_CURVES)
        .into_iter()
        .map(|i| with_data[i])
        .collect();
    let mut caption = "Failover time CDF (successful failovers, up to p99)".to_string();
    if shown.len() < with_data.len() {
        caption += &format!(" — the {} slowest of {}", shown.len(), with_data.len());
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1060, 500)).into_drawing_area();
        root.fill(&WHITE)?;
        // The legend sits beside the plot, where it hides no curve.
        let (root, legend) = root.split_horizontally(820);
        // Failover times span milliseconds to hours across strategies, so the axis is
        // log10(seconds); plotting in that space keeps ticks at round values of the
        // exponent, which the labels turn back into durations.
        let seconds_at = |histogram: &DurationHistogram, q: f64| {
            histogram.quantile_ns(q).map(|ns| ns as f64 / 1e9)
        };
        let (x_min, x_max) = seconds_axis(
            shown.iter().filter_map(|(_, h)| seconds_at(h, 0.0)),
            shown.iter().filter_map(|(_, h)| seconds_at(h, 0.99)),
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(x_min.log10()..x_max.log10(), 0f64..1f64)?;
        chart
            .configure_mesh()
            .x_desc("failover time (log scale)")
            .x_labels(8)
            .x_label_formatter(&|exponent| tick_seconds(10f64.powf(*exponent)))
            .y_desc("fraction of failovers")
            .draw()?;
        for (index, (label, histogram)) in shown.into_iter().enumerate() {
            let color = PALETTE[index % PALETTE.len()];
            let points: Vec<(f64, f64)> = (0..=198)
                .filter_map(|i| {
                    let q = i as f64 / 200.0;
                    seconds_at(histogram, q).map(|x| (x.max(x_min).log10(), q))
                })
                .collect();
            chart.draw_series(LineSeries::new(points, color.stroke_width(2)))?;
            let y = 60 + 22 * index as i32;
            legend.draw(&PathElement::new(
                vec![(5, y), (30, y)],
                color.stroke_width(3),
            ))?;
            legend.draw(&Text::new(
                label.clone(),
                (36, y - 7),
                ("sans-serif", 13).into_font(),
            ))?;
        }
        root.present()?;
    }
    Ok(svg)
}

/// Availability per strategy and service with 95% confidence bars; with more than
/// [`MAX_AVAILABILITY_BARS`], the least available.
fn availability_bars_svg(summaries: &[Summary]) -> Drawn {
    let all: Vec<(String, &str, f64, f64, f64)> = summaries
        .iter()
        .flat_map(|s| &s.services)
        .map(|s| {
            let a = &s.availability;
            (
                format!("{} {}", s.service, s.strategy),
                s.strategy.as_str(),
                a.mean,
                a.ci95_low,
                a.ci95_high,
            )
        })
        .collect();
    let means: Vec<f64> = all.iter().map(|b| b.2).collect();
    let bars: Vec<&(String, &str, f64, f64, f64)> = first_ranked(&means, MAX_AVAILABILITY_BARS)
        .into_iter()
        .map(|i| &all[i])
        .collect();
    let mut caption = "Availability with 95% confidence intervals".to_string();
    if bars.len() < all.len() {
        caption += &format!(" — the {} least available of {}", bars.len(), all.len());
    }
    let low = bars.iter().map(|b| b.3).fold(1.0f64, f64::min);
    // Below the lowest interval by a fifth of its distance to 1, and never the empty
    // range 1..1 when every service was always up.
    let floor = if low.is_finite() {
        (low - (1.0 - low) * 0.2).clamp(0.0, 1.0 - 1e-6)
    } else {
        0.0
    };
    let rows = bars.len().max(1);
    let mut svg = String::new();
    {
        // Horizontal bars: "service STRATEGY" labels stay readable however many there are.
        let root = SVGBackend::with_string(&mut svg, (820, (130 + 30 * rows as u32).max(300)))
            .into_drawing_area();
        root.fill(&WHITE)?;
        let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(200)
            .build_cartesian_2d(floor..1.0f64, -0.5f64..(rows as f64 - 0.5))?;
        chart
            .configure_mesh()
            .y_labels(rows)
            .y_label_formatter(&|y| top_down_label(&labels, rows, *y))
            .x_desc("availability (strict)")
            .x_label_formatter(&|x| format!("{x:.6}"))
            .x_labels(6)
            .draw()?;
        for (index, (_, strategy, mean, low, high)) in bars.iter().copied().enumerate() {
            // One colour per strategy, so a comparison reads at a glance.
            let color = PALETTE[STRATEGY_ORDER
                .iter()
                .position(|s| s == strategy)
                .unwrap_or(STRATEGY_ORDER.len())];
            let y = (rows - 1 - index) as f64;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(floor, y - 0.3), (*mean, y + 0.3)],
                color.mix(0.6).filled(),
            )))?;
            if low.is_finite() && high.is_finite() {
                chart.draw_series(std::iter::once(ErrorBar::new_horizontal(
                    y,
                    *low,
                    *mean,
                    *high,
                    BLACK.stroke_width(2),
                    12,
                )))?;
            }
        }
        root.present()?;
    }
    Ok(svg)
}

/// Most rows a timeline figure draws (28 px each); the Chrome trace of `--timeline` has
/// them all.
pub(crate) const MAX_TIMELINE_ROWS: usize = 80;

/// The timeline of one replication: DOWN (red) and DEGRADED (orange) periods per row, for
/// the first [`MAX_TIMELINE_ROWS`] rows to show a problem.
fn timeline_svg(timeline: &Timeline, title: &str) -> Drawn {
    let rows = timeline.rows.len().clamp(1, MAX_TIMELINE_ROWS);
    let (unit, scale) = match timeline.horizon_s {
        h if h > 3.0 * 86_400.0 => ("days", 86_400.0),
        h if h > 3.0 * 3_600.0 => ("hours", 3_600.0),
        h if h > 180.0 => ("minutes", 60.0),
        _ => ("seconds", 1.0),
    };
    let horizon = timeline.horizon_s / scale;
    let mut caption = title.to_string();
    if timeline.rows.len() > rows {
        caption += &format!(" — first {rows} of {} rows", timeline.rows.len());
    }
    if timeline.is_truncated() {
        caption += &format!(
            " — recorded to {:.1} {unit} (bar limit)",
            timeline.recorded_until_s / scale
        );
    }
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (1000, 120 + 28 * rows as u32)).into_drawing_area();
        root.fill(&WHITE)?;
        let names = &timeline.rows[..rows.min(timeline.rows.len())];
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 18))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(180)
            .build_cartesian_2d(0f64..horizon.max(1e-9), -0.5f64..(rows as f64 - 0.5))?;
        chart
            .configure_mesh()
            .x_desc(format!("time ({unit})"))
            .y_labels(rows)
            .y_label_formatter(&|y| top_down_label(names, rows, *y))
            .draw()?;
        for span in timeline.spans.iter().filter(|s| (s.row as usize) < rows) {
            let y = (rows - 1 - span.row as usize) as f64;
            let color = if span.state == "DOWN" {
                RGBColor(214, 39, 40)
            } else {
                RGBColor(255, 160, 20)
            };
            // Keep very short outages visible at the scale of the horizon.
            let (start, end) = (span.start_s / scale, span.end_s / scale);
            let end = end.max(start + horizon / 1000.0);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(start, y - 0.35), (end, y + 0.35)],
                color.filled(),
            )))?;
        }
        root.present()?;
    }
    Ok(svg)
}

/// `--plot DIR`: the failover-time CDF, the availability bars and the shown replication's
/// timeline (one per strategy for `compare`).
pub(crate) struct PlotExporter {
    dir: PathBuf,
}

impl PlotExporter {
    /// Figures to be written into `dir`, created if needed.
    pub(crate) fn new(dir: PathBuf) -> Self {
        PlotExporter { dir }
    }

    /// Stages a drawn figure as `name` in the directory.
    fn draw(&self, name: &str, drawn: Drawn, staged: &mut Staged) -> Result<(), OutputError> {
        let path = self.dir.join(name);
        let svg = drawn.map_err(|e| OutputError::Figure {
            path: path.clone(),
            message: e.to_string(),
        })?;
        staged
            .write(&path, svg.as_bytes())
            .map_err(|e| OutputError::write(&path, e))
    }
}

impl Exporter for PlotExporter {
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
        let (studies, summaries): (&[Study], &[Summary]) = match &report.results {
            Results::Summary {
                study: Some(study),
                summary,
            } => (std::slice::from_ref(*study), std::slice::from_ref(*summary)),
            Results::Comparison {
                studies,
                comparison,
            } => (studies, &comparison.strategies),
            Results::Summary { study: None, .. } | Results::Shard(_) => return Ok(()),
        };
        staged
            .create_dir(&self.dir)
            .map_err(|e| OutputError::write(&self.dir, e))?;
        let owned: Vec<(String, DurationHistogram)> = studies
            .iter()
            .flat_map(|study| {
                study
                    .services
                    .iter()
                    .map(|s| (format!("{} {}", s.service, s.strategy), s.failover_time()))
            })
            .collect();
        let curves: Vec<(String, &DurationHistogram)> =
            owned.iter().map(|(name, h)| (name.clone(), h)).collect();
        let cdf = "failover-time-cdf.svg";
        self.draw(cdf, failover_cdf_svg(&curves), staged)?;
        let bars = "availability.svg";
        self.draw(bars, availability_bars_svg(summaries), staged)?;
        let replays = report.replays;
        for (suffix, recorded) in replays.figures() {
            let name = format!("timeline{suffix}.svg");
            let title = format!(
                "{} — replication {}{}",
                replays.scenario,
                replays.replication,
                suffix.replace('-', " ")
            );
            self.draw(&name, timeline_svg(recorded, &title), staged)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_read_as_durations_with_three_significant_digits() {
        let ticks: Vec<String> = [
            0.1, 0.0316228, 1.0, 12.589254, 20.0, 10_000.0, 172_800.0, 0.0,
        ]
        .into_iter()
        .map(tick_seconds)
        .collect();
        assert_eq!(
            ticks,
            ["100ms", "31.6ms", "1s", "12.6s", "20s", "10000s", "48h", "0ms"]
        );
    }

    #[test]
    fn the_time_axis_is_finite_and_wide_enough_whatever_the_curves() {
        assert_eq!(
            seconds_axis([].into_iter(), [].into_iter()),
            (1.0 / 1.2, 2.0)
        );
        assert_eq!(
            seconds_axis([0.0].into_iter(), [0.0].into_iter()),
            (1e-3 / 1.2, 2e-3)
        );
        let (low, high) = seconds_axis([12.0, 3.0].into_iter(), [20.0, 6.0].into_iter());
        assert!(
            (low - 2.5).abs() < 1e-12 && (high - 24.0).abs() < 1e-12,
            "{low} {high}"
        );
    }

    #[test]
    fn figures_without_failovers_are_still_drawn() {
        let empty = DurationHistogram::new();
        assert!(failover_cdf_svg(&[("idle".to_string(), &empty)])
            .unwrap()
            .contains("<svg"));
        assert!(failover_cdf_svg(&[]).unwrap().contains("<svg"));
        assert!(timeline_svg(&Timeline::default(), "nothing happened")
            .unwrap()
            .contains("<svg"));
    }

    #[test]
    fn the_first_ranked_keep_their_original_order() {
        let availability = [0.99, 0.5, 0.999, 0.7, 0.5];
        assert_eq!(first_ranked(&availability, 3), [1, 3, 4]);
        assert_eq!(first_ranked(&availability, 5), [0, 1, 2, 3, 4]);
        assert_eq!(first_ranked(&availability, 9), [0, 1, 2, 3, 4]);
    }
}
