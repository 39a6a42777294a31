//! SVG figures with plotters: failover-time CDF per strategy, availability per strategy
//! with 95% confidence bars, and the timeline of one replication.

use super::atomic::write_output;
use super::timeline::Timeline;
use crate::report::Summary;
use crate::stats::DurationHistogram;
use plotters::prelude::*;
use std::path::Path;

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

type PlotResult = Result<(), Box<dyn std::error::Error>>;

fn save(svg: String, path: &Path) -> PlotResult {
    write_output(path, svg.as_bytes())?;
    Ok(())
}

/// Failover-time CDF, one curve per labelled histogram.
pub fn failover_cdf(curves: &[(String, &DurationHistogram)], path: &Path) -> PlotResult {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (820, 500)).into_drawing_area();
        root.fill(&WHITE)?;
        let x_max = curves
            .iter()
            .filter_map(|(_, h)| h.quantile_ns(0.99))
            .max()
            .map_or(1.0, |ns| ns as f64 / 1e9 * 1.1)
            .max(1e-3);
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Failover time CDF (successful failovers, up to p99)",
                ("sans-serif", 20),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(0f64..x_max, 0f64..1f64)?;
        chart
            .configure_mesh()
            .x_desc("failover time (s)")
            .y_desc("fraction of failovers")
            .draw()?;
        for (index, (label, histogram)) in curves.iter().enumerate() {
            if histogram.is_empty() {
                continue;
            }
            let color = PALETTE[index % PALETTE.len()];
            let points: Vec<(f64, f64)> = (0..=200)
                .filter_map(|i| {
                    let q = i as f64 / 200.0;
                    histogram.quantile_ns(q).map(|ns| (ns as f64 / 1e9, q))
                })
                .collect();
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.8))
            .draw()?;
        root.present()?;
    }
    save(svg, path)
}

/// Availability per strategy and service with 95% confidence bars.
pub fn availability_bars(summaries: &[Summary], path: &Path) -> PlotResult {
    let bars: Vec<(String, f64, f64, f64)> = summaries
        .iter()
        .flat_map(|s| &s.services)
        .map(|s| {
            let a = &s.availability;
            (
                format!("{} {}", s.service, s.strategy),
                a.mean,
                a.ci95_low,
                a.ci95_high,
            )
        })
        .collect();
    let low = bars.iter().map(|b| b.2).fold(1.0f64, f64::min);
    let floor = if low.is_finite() {
        (low - (1.0 - low) * 0.2).max(0.0)
    } else {
        0.0
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (820, 500)).into_drawing_area();
        root.fill(&WHITE)?;
        let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Availability with 95% confidence intervals",
                ("sans-serif", 20),
            )
            .margin(15)
            .x_label_area_size(60)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.5f64..(bars.len() as f64 - 0.5), floor..1.0f64)?;
        chart
            .configure_mesh()
            .x_labels(bars.len().max(1))
            .x_label_formatter(&|x| {
                let index = x.round();
                if (x - index).abs() < 1e-6 && index >= 0.0 {
                    labels.get(index as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc("availability (strict)")
            .y_label_formatter(&|y| format!("{y:.6}"))
            .draw()?;
        for (index, (_, mean, low, high)) in bars.iter().enumerate() {
            let color = PALETTE[index % PALETTE.len()];
            let x = index as f64;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - 0.3, floor), (x + 0.3, *mean)],
                color.mix(0.6).filled(),
            )))?;
            if low.is_finite() && high.is_finite() {
                chart.draw_series(std::iter::once(ErrorBar::new_vertical(
                    x,
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
    save(svg, path)
}

/// Most rows a timeline figure draws (28 px each); the Chrome trace of `--timeline` has
/// them all.
pub const MAX_TIMELINE_ROWS: usize = 80;

/// The timeline of one replication: DOWN (red) and DEGRADED (orange) periods per row, for
/// the first [`MAX_TIMELINE_ROWS`] rows to show a problem.
pub fn timeline(timeline: &Timeline, title: &str, path: &Path) -> PlotResult {
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
            .y_label_formatter(&|y| {
                let index = y.round();
                if (y - index).abs() < 1e-6 && index >= 0.0 && index < rows as f64 {
                    // Row 0 is drawn at the top.
                    names
                        .get(rows - 1 - index as usize)
                        .cloned()
                        .unwrap_or_default()
                } else {
                    String::new()
                }
            })
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
    save(svg, path)
}
