//! SVG figures with plotters, drawn for `--plot` and inlined by `--report`: availability
//! (unavailability on a log axis with 95% bars and a nines axis) and the failover-time CDF,
//! each one panel per service with colour meaning strategy, and the timeline of one
//! replication.

use super::atomic::Staged;
use super::timeline::Timeline;
use super::{Exporter, OutputError, Results, Shows, StudyReport};
use crate::report::summary::SECONDS_PER_YEAR;
use crate::report::{ServiceSummary, Study, Summary};
use crate::stats::DurationHistogram;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::PathBuf;

/// The Okabe–Ito palette, safe for the common colour-vision deficiencies; the strategies
/// take its strong colours, each always the same one.
const BLUE: RGBColor = RGBColor(0, 114, 178);
const ORANGE: RGBColor = RGBColor(230, 159, 0);
const GREEN: RGBColor = RGBColor(0, 158, 115);
const VERMILLION: RGBColor = RGBColor(213, 94, 0);
const PURPLE: RGBColor = RGBColor(204, 121, 167);
const SKY: RGBColor = RGBColor(86, 180, 233);

/// A figure as SVG text, or why plotters could not draw it.
pub(crate) type Drawn = Result<String, Box<dyn std::error::Error>>;

/// Strategies in the order of their colours and markers; the system of `run` (strategy
/// `system`) is black, anything else purple.
const STRATEGY_ORDER: [&str; 4] = ["ACTIVE_ACTIVE", "ACTIVE_PASSIVE", "N_WAY", "GEOGRAPHIC"];

/// How a strategy is drawn in every figure: its colour and its marker.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Look {
    colour: RGBColor,
    marker: Marker,
}

/// Marker shapes, so that the strategies stay apart in greyscale print too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
}

fn look(strategy: &str) -> Look {
    let (colour, marker) = match STRATEGY_ORDER.iter().position(|s| *s == strategy) {
        Some(0) => (BLUE, Marker::Circle),
        Some(1) => (ORANGE, Marker::Square),
        Some(2) => (GREEN, Marker::Triangle),
        Some(_) => (VERMILLION, Marker::Diamond),
        None if strategy == "system" => (BLACK, Marker::Circle),
        None => (PURPLE, Marker::Square),
    };
    Look { colour, marker }
}

/// Draws `look`'s marker centred at pixel `at` of `area`: filled, or hollow for a value
/// drawn at the edge of the axis (no downtime at all).
fn draw_marker(
    area: &DrawingArea<SVGBackend, Shift>,
    (x, y): (i32, i32),
    look: Look,
    filled: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let style = if filled {
        look.colour.filled()
    } else {
        look.colour.stroke_width(2)
    };
    let r = 6;
    match look.marker {
        Marker::Circle => area.draw(&Circle::new((x, y), r, style))?,
        Marker::Square => area.draw(&Rectangle::new(
            [(x - r + 1, y - r + 1), (x + r - 1, y + r - 1)],
            style,
        ))?,
        Marker::Triangle => {
            let points = vec![(x, y - r - 1), (x + r, y + r - 2), (x - r, y + r - 2)];
            if filled {
                area.draw(&Polygon::new(points, style))?
            } else {
                let mut closed = points.clone();
                closed.push(points[0]);
                area.draw(&PathElement::new(closed, style))?
            }
        }
        Marker::Diamond => {
            let points = vec![(x, y - r - 1), (x + r, y), (x, y + r + 1), (x - r, y)];
            if filled {
                area.draw(&Polygon::new(points, style))?
            } else {
                let mut closed = points.clone();
                closed.push(points[0]);
                area.draw(&PathElement::new(closed, style))?
            }
        }
    }
    Ok(())
}

/// One legend row across the top of a figure: one entry per strategy, in `strategies`'
/// order, then `note`.
fn draw_legend(
    area: &DrawingArea<SVGBackend, Shift>,
    strategies: &[&str],
    y: i32,
    note: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut x = 20;
    for strategy in strategies {
        draw_marker(area, (x, y), look(strategy), true)?;
        area.draw(&Text::new(
            strategy.to_string(),
            (x + 12, y - 7),
            ("sans-serif", 14).into_font(),
        ))?;
        // No font metrics without a font backend: at most 10 px a character at 14 px.
        x += 40 + strategy.chars().count() as i32 * 10;
    }
    if !note.is_empty() {
        area.draw(&Text::new(
            note.to_string(),
            (x + 10, y - 6),
            ("sans-serif", 12).into_font().color(&RGBColor(80, 80, 80)),
        ))?;
    }
    Ok(())
}

/// The strategies of `names` once each, in the order they first appear.
fn distinct<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for name in names {
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    seen
}

/// Most panels in a per-service figure (4 per row, 6 rows).
pub(crate) const MAX_PANELS: usize = 24;
/// Panels per row.
const PANEL_COLUMNS: usize = 4;

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

/// Three significant digits, without trailing zeros.
fn significant(v: f64) -> String {
    // Clamped so that 0 (log10 = −∞) or a subnormal cannot ask for absurd precision.
    let digits = (2 - v.abs().log10().floor().max(-20.0) as i32).clamp(0, 22) as usize;
    let text = format!("{v:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A tick label of the log-scale time axis: three significant digits, in ms below a
/// second, in s up to a day (powers of ten are not round in minutes or hours), in h beyond.
fn tick_seconds(seconds: f64) -> String {
    match seconds {
        s if s < 1.0 => format!("{}ms", significant(s * 1e3)),
        s if s < 86_400.0 => format!("{}s", significant(s)),
        s => format!("{}h", significant(s / 3_600.0)),
    }
}

/// A downtime per year as a tick label in the unit people quote it in (the "nines table":
/// 5.26 min for five nines, 8.77 h for three).
fn tick_downtime(seconds: f64) -> String {
    match seconds {
        s if s < 1.0 => format!("{}ms", significant(s * 1e3)),
        s if s < 60.0 => format!("{}s", significant(s)),
        s if s < 3_600.0 => format!("{}min", significant(s / 60.0)),
        s if s < 86_400.0 => format!("{}h", significant(s / 3_600.0)),
        s => format!("{}d", significant(s / 86_400.0)),
    }
}

/// A nines tick: whole nines bare, others with one decimal; none beyond the axis's end
/// (below zero nines: more than always down).
fn tick_nines(nines: f64) -> String {
    // `+ 0.0` turns −0 into 0.
    let nines = nines + 0.0;
    if nines < -1e-9 {
        String::new()
    } else if (nines - nines.round()).abs() < 1e-9 {
        format!("{}", nines.round())
    } else {
        format!("{nines:.1}")
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

/// The panel areas of a figure of `panels` panels, 4 a row, below a `top` band.
fn panel_grid<'a>(
    root: &DrawingArea<SVGBackend<'a>, Shift>,
    top: u32,
    panels: usize,
) -> Vec<DrawingArea<SVGBackend<'a>, Shift>> {
    let (_, body) = root.split_vertically(top);
    let columns = panels.clamp(1, PANEL_COLUMNS);
    let rows = panels.div_ceil(columns).max(1);
    body.split_evenly((rows, columns))
}

/// The size of a per-service figure of `panels` panels, each `height` high.
fn grid_size(panels: usize, top: u32, height: u32) -> (u32, u32) {
    let columns = panels.clamp(1, PANEL_COLUMNS) as u32;
    let rows = panels.div_ceil(PANEL_COLUMNS).max(1) as u32;
    let width = (columns * 300).max(760);
    (width, top + rows * height)
}

/// One point of the availability figure: a service under a strategy, as strict
/// unavailability 1 − A with its 95% interval.
#[derive(Clone, Debug, PartialEq)]
struct Unavailability<'a> {
    strategy: &'a str,
    mean: f64,
    low: f64,
    high: f64,
}

impl<'a> Unavailability<'a> {
    fn of(service: &ServiceSummary, strategy: &'a str) -> Self {
        let a = &service.availability;
        let clamp = |u: f64| if u.is_nan() { u } else { u.clamp(0.0, 1.0) };
        Unavailability {
            strategy,
            mean: clamp(1.0 - a.mean),
            low: clamp(1.0 - a.ci95_high),
            high: clamp(1.0 - a.ci95_low),
        }
    }
}

/// A panel: a title and what it shows.
struct Panel<T> {
    title: String,
    items: Vec<T>,
}

/// One panel per service (then the system), one point per summary (strategy).
fn availability_panels(summaries: &[Summary]) -> Vec<Panel<Unavailability<'_>>> {
    let count = summaries.first().map_or(0, |s| s.services.len());
    let mut panels: Vec<Panel<Unavailability>> = (0..count)
        .map(|i| Panel {
            title: summaries[0].services[i].service.clone(),
            items: summaries
                .iter()
                .filter_map(|s| s.services.get(i))
                .map(|s| Unavailability::of(s, &s.strategy))
                .collect(),
        })
        .collect();
    if let Some(system) = summaries.first().and_then(|s| s.system.as_ref()) {
        // Under `compare` the system is coloured by the strategy its services run.
        let compared = summaries.len() > 1;
        panels.push(Panel {
            title: format!("system {}", system.service),
            items: summaries
                .iter()
                .filter_map(|s| {
                    let strategy = match s.services.first() {
                        Some(first) if compared => first.strategy.as_str(),
                        _ => "system",
                    };
                    s.system
                        .as_ref()
                        .map(|system| Unavailability::of(system, strategy))
                })
                .collect(),
        });
    }
    panels
}

/// The log10 range of the unavailability axis: whole decades around every positive
/// mean and interval end, at least one decade, never above 1 (always down); a default
/// when nothing was ever down, where log10(0) has no place.
fn unavailability_axis<'a>(values: impl Iterator<Item = &'a Unavailability<'a>>) -> (f64, f64) {
    let logs: Vec<f64> = values
        .flat_map(|u| [u.mean, u.low, u.high])
        .filter(|u| u.is_finite() && *u > 0.0)
        .map(f64::log10)
        .collect();
    if logs.is_empty() {
        return (-6.0, -1.0);
    }
    let low = logs.iter().copied().fold(f64::INFINITY, f64::min);
    let high = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // Below the lowest value, room for the "no downtime" markers at the floor.
    let floor = (low - 0.3).floor().max(-16.0);
    let ceiling = (high + 0.2).ceil().min(0.0).max(floor + 1.0);
    (floor, ceiling)
}

/// Availability per service, one panel each with the strategies side by side: strict
/// unavailability 1 − A on a log axis labelled as downtime per year, the nines on the
/// right, 95% confidence bars; with more than [`MAX_PANELS`] services, the least available.
pub(crate) fn availability_svg(summaries: &[Summary]) -> Drawn {
    let all = availability_panels(summaries);
    let worst: Vec<f64> = all
        .iter()
        .map(|p| -p.items.iter().map(|u| u.mean).fold(0.0, f64::max))
        .collect();
    let panels: Vec<&Panel<Unavailability>> = first_ranked(&worst, MAX_PANELS)
        .into_iter()
        .map(|i| &all[i])
        .collect();
    let mut caption = "Strict unavailability (1 − availability) with 95% CI".to_string();
    if panels.len() < all.len() {
        caption += &format!(" — the {} least available of {}", panels.len(), all.len());
    }
    let strategies = distinct(
        panels
            .iter()
            .flat_map(|p| p.items.iter().map(|u| u.strategy)),
    );
    let (floor, ceiling) = unavailability_axis(panels.iter().flat_map(|p| &p.items));
    // A margin beyond both ends, so that a marker at the floor or at "always down" is
    // not cut by the frame or hidden under the panel's title.
    let shown = (floor - 0.08)..(ceiling + 0.15);
    let top = 75;
    let size = grid_size(panels.len(), top, 300);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)?;
        root.draw(&Text::new(
            caption,
            (20, 10),
            ("sans-serif", 20).into_font(),
        ))?;
        draw_legend(
            &root,
            &strategies,
            52,
            "left: downtime per year (log); right: nines; hollow at the floor: no downtime",
        )?;
        let areas = panel_grid(&root, top, panels.len());
        for (index, (panel, area)) in panels.iter().zip(&areas).enumerate() {
            let column = index % PANEL_COLUMNS;
            let last_column = column + 1 == PANEL_COLUMNS || index + 1 == panels.len();
            let slots = panel.items.len().max(1) as f64;
            let mut chart = ChartBuilder::on(area)
                .caption(panel.title.clone(), ("sans-serif", 15))
                .margin(8)
                .x_label_area_size(6)
                .y_label_area_size(62)
                .right_y_label_area_size(40)
                .build_cartesian_2d(-0.5f64..(slots - 0.5), shown.clone())?
                .set_secondary_coord(-0.5f64..(slots - 0.5), shown.clone());
            chart
                .configure_mesh()
                .label_style(("sans-serif", 12))
                .axis_desc_style(("sans-serif", 12))
                .disable_x_mesh()
                .x_labels(0)
                .y_labels(8)
                .y_label_formatter(&|y| {
                    if *y > 1e-9 {
                        String::new()
                    } else {
                        tick_downtime(10f64.powf(*y) * SECONDS_PER_YEAR)
                    }
                })
                .y_desc(if column == 0 { "downtime per year" } else { "" })
                .light_line_style(RGBColor(235, 235, 235))
                .draw()?;
            chart
                .configure_secondary_axes()
                .label_style(("sans-serif", 12))
                .axis_desc_style(("sans-serif", 12))
                .y_labels(8)
                .y_label_formatter(&|y| tick_nines(-*y))
                .y_desc(if last_column { "nines" } else { "" })
                .draw()?;
            let at = |u: f64| {
                if u.is_finite() && u > 0.0 {
                    u.log10().max(floor)
                } else {
                    floor
                }
            };
            for (slot, u) in panel.items.iter().enumerate() {
                let style = look(u.strategy);
                let x = slot as f64;
                if u.low.is_finite() && u.high.is_finite() && u.high > u.low {
                    // Drawn by hand: plotters' error bar circles the mean, which would hide
                    // the strategy's marker.
                    let (x0, bottom) = chart.backend_coord(&(x, at(u.low)));
                    let (_, top) = chart.backend_coord(&(x, at(u.high)));
                    let line = style.colour.stroke_width(2);
                    for path in [
                        vec![(x0, bottom), (x0, top)],
                        vec![(x0 - 6, bottom), (x0 + 6, bottom)],
                        vec![(x0 - 6, top), (x0 + 6, top)],
                    ] {
                        root.draw(&PathElement::new(path, line))?;
                    }
                }
                if u.mean.is_finite() {
                    let pixel = chart.backend_coord(&(x, at(u.mean)));
                    draw_marker(&root, pixel, style, u.mean > 0.0)?;
                }
            }
        }
        root.present()?;
    }
    Ok(svg)
}

/// Failover-time CDF per service: one panel per service, one curve per strategy that
/// failed over successfully, each up to its p99 on a log time axis; with more than
/// [`MAX_PANELS`] services, those with the slowest p99.
fn failover_cdf_svg(panels: &[Panel<(String, DurationHistogram)>]) -> Drawn {
    let slowest_first: Vec<std::cmp::Reverse<u64>> = panels
        .iter()
        .map(|p| {
            let p99 = p
                .items
                .iter()
                .filter_map(|(_, h)| h.quantile_ns(0.99))
                .max();
            std::cmp::Reverse(p99.unwrap_or(0))
        })
        .collect();
    let shown: Vec<&Panel<(String, DurationHistogram)>> = first_ranked(&slowest_first, MAX_PANELS)
        .into_iter()
        .map(|i| &panels[i])
        .collect();
    let mut caption = "Failover time CDF per service (successful failovers, up to p99)".to_string();
    if shown.len() < panels.len() {
        caption += &format!(" — the {} slowest of {}", shown.len(), panels.len());
    }
    // In the order compared, each once, if it has a curve anywhere.
    let strategies: Vec<&str> = distinct(
        shown
            .iter()
            .flat_map(|p| p.items.iter().map(|(s, _)| s.as_str())),
    )
    .into_iter()
    .filter(|s| {
        shown
            .iter()
            .flat_map(|p| &p.items)
            .any(|(name, h)| name == s && !h.is_empty())
    })
    .collect();
    let top = 75;
    let size = grid_size(shown.len(), top, 280);
    let seconds_at =
        |histogram: &DurationHistogram, q: f64| histogram.quantile_ns(q).map(|ns| ns as f64 / 1e9);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)?;
        root.draw(&Text::new(
            caption,
            (20, 10),
            ("sans-serif", 20).into_font(),
        ))?;
        draw_legend(&root, &strategies, 52, "time axis: log scale, per panel")?;
        let areas = panel_grid(&root, top, shown.len());
        for (index, (panel, area)) in shown.iter().zip(&areas).enumerate() {
            let curves: Vec<&(String, DurationHistogram)> =
                panel.items.iter().filter(|(_, h)| !h.is_empty()).collect();
            // Failover times span milliseconds to hours across strategies, so the axis is
            // log10(seconds); plotting in that space keeps ticks at round values of the
            // exponent, which the labels turn back into durations.
            let (x_min, x_max) = seconds_axis(
                curves.iter().filter_map(|(_, h)| seconds_at(h, 0.0)),
                curves.iter().filter_map(|(_, h)| seconds_at(h, 0.99)),
            );
            let mut chart = ChartBuilder::on(area)
                .caption(panel.title.clone(), ("sans-serif", 15))
                .margin(8)
                .x_label_area_size(38)
                .y_label_area_size(44)
                .build_cartesian_2d(x_min.log10()..x_max.log10(), 0f64..1f64)?;
            chart
                .configure_mesh()
                .label_style(("sans-serif", 12))
                .axis_desc_style(("sans-serif", 12))
                .x_labels(5)
                .x_label_formatter(&|exponent| tick_seconds(10f64.powf(*exponent)))
                .x_desc("failover time")
                .y_labels(6)
                .y_desc(if index % PANEL_COLUMNS == 0 {
                    "fraction of failovers"
                } else {
                    ""
                })
                .light_line_style(RGBColor(235, 235, 235))
                .draw()?;
            if curves.is_empty() {
                let (x0, y0) = chart.backend_coord(&(x_min.log10(), 0.55));
                root.draw(&Text::new(
                    "no successful failover",
                    (x0 + 10, y0),
                    ("sans-serif", 13).into_font().color(&RGBColor(80, 80, 80)),
                ))?;
            }
            for (strategy, histogram) in curves {
                let points: Vec<(f64, f64)> = (0..=198)
                    .filter_map(|i| {
                        let q = i as f64 / 200.0;
                        seconds_at(histogram, q).map(|x| (x.max(x_min).log10(), q))
                    })
                    .collect();
                let style = look(strategy);
                chart.draw_series(LineSeries::new(points, style.colour.stroke_width(2)))?;
                // The marker at the median tells the curves apart without colour.
                if let Some(median) = seconds_at(histogram, 0.5) {
                    let pixel = chart.backend_coord(&(median.max(x_min).log10(), 0.5));
                    draw_marker(&root, pixel, style, true)?;
                }
            }
        }
        root.present()?;
    }
    Ok(svg)
}

/// The failover-time panels of the studies: one per service, one histogram per study.
fn failover_panels(studies: &[Study]) -> Vec<Panel<(String, DurationHistogram)>> {
    let count = studies.first().map_or(0, |s| s.services.len());
    (0..count)
        .map(|i| Panel {
            title: studies[0].services[i].service.clone(),
            items: studies
                .iter()
                .filter_map(|s| s.services.get(i))
                .map(|s| (s.strategy.clone(), s.failover_time()))
                .collect(),
        })
        .collect()
}

/// Most rows a timeline figure draws (28 px each); the Chrome trace of `--timeline` has
/// them all.
pub(crate) const MAX_TIMELINE_ROWS: usize = 80;
/// Most fault spans a timeline figure names above their shading.
const MAX_FAULT_LABELS: usize = 16;

/// The timeline of one replication: per row its DOWN and DEGRADED periods (services) or
/// down periods (nodes), the spans of faults shaded behind, for the first
/// [`MAX_TIMELINE_ROWS`] rows (services first, then nodes by region and zone).
pub(crate) fn timeline_svg(timeline: &Timeline, title: &str) -> Drawn {
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
    let top = 70;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, top + 70 + 28 * rows as u32))
            .into_drawing_area();
        root.fill(&WHITE)?;
        root.draw(&Text::new(
            caption,
            (20, 10),
            ("sans-serif", 18).into_font(),
        ))?;
        let legend = [
            (VERMILLION.filled(), "service DOWN"),
            (ORANGE.filled(), "service DEGRADED"),
            (RGBColor(60, 60, 60).filled(), "node down"),
            (SKY.mix(0.35).filled(), "fault active (shaded)"),
        ];
        let mut x = 20;
        for (style, label) in legend {
            root.draw(&Rectangle::new([(x, 42), (x + 22, 56)], style))?;
            root.draw(&Text::new(
                label,
                (x + 28, 42),
                ("sans-serif", 13).into_font(),
            ))?;
            x += 50 + 8 * label.len() as i32;
        }
        let (_, body) = root.split_vertically(top);
        // Node rows name their zone, so that the grouping by region and zone shows.
        let names: Vec<String> = timeline.rows[..rows.min(timeline.rows.len())]
            .iter()
            .zip(
                timeline
                    .zones
                    .iter()
                    .map(String::as_str)
                    .chain(std::iter::repeat("")),
            )
            .map(|(label, zone)| {
                if zone.is_empty() {
                    label.clone()
                } else {
                    format!("{label} · {zone}")
                }
            })
            .collect();
        let mut chart = ChartBuilder::on(&body)
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(180)
            .build_cartesian_2d(0f64..horizon.max(1e-9), -0.5f64..(rows as f64 - 0.5))?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 12))
            .x_desc(format!("time ({unit})"))
            .y_labels(rows)
            .y_label_formatter(&|y| top_down_label(&names, rows, *y))
            .light_line_style(RGBColor(240, 240, 240))
            .draw()?;
        let end_of = |start: f64, end: f64| end.max(start + horizon / 1000.0);
        let node_rows = (0..rows as u32)
            .filter(|&r| timeline.is_node_row(r))
            .count();
        if node_rows > 0 && node_rows < rows {
            // A rule between the services above and the nodes below.
            let y = node_rows as f64 - 0.5;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, y), (horizon, y)],
                RGBColor(120, 120, 120).stroke_width(1),
            )))?;
        }
        for fault in &timeline.faults {
            let (start, end) = (fault.start_s / scale, fault.end_s / scale);
            // Wider than bars at the least, so that a short fault still shows.
            chart.draw_series(std::iter::once(Rectangle::new(
                [
                    (start, -0.5),
                    (end.max(start + horizon / 400.0), rows as f64 - 0.5),
                ],
                SKY.mix(0.35).filled(),
            )))?;
        }
        if timeline.faults.len() <= MAX_FAULT_LABELS {
            // Each name where it fits: not over the previous one, not past the plot.
            let (right, _) = chart.backend_coord(&(horizon, 0.0));
            let mut free_from = i32::MIN;
            for fault in &timeline.faults {
                let (x, y) = chart.backend_coord(&(fault.start_s / scale, rows as f64 - 0.5));
                // No font metrics without a font backend: at most 7 px a character.
                let end = x + 3 + 7 * fault.name.chars().count() as i32;
                if x < free_from || end > right {
                    continue;
                }
                free_from = end + 6;
                root.draw(&Text::new(
                    fault.name.clone(),
                    (x + 3, y + 2),
                    ("sans-serif", 11).into_font().color(&BLUE),
                ))?;
            }
        }
        for span in timeline.spans.iter().filter(|s| (s.row as usize) < rows) {
            let y = (rows - 1 - span.row as usize) as f64;
            let color = if timeline.is_node_row(span.row) {
                RGBColor(60, 60, 60)
            } else if span.state == "DOWN" {
                VERMILLION
            } else {
                ORANGE
            };
            // Keep very short outages visible at the scale of the horizon.
            let (start, end) = (span.start_s / scale, span.end_s / scale);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(start, y - 0.32), (end_of(start, end), y + 0.32)],
                color.filled(),
            )))?;
        }
        root.present()?;
    }
    Ok(svg)
}

/// One figure of a report: its file name under `--plot`, what it shows, and its SVG.
pub(crate) struct Figure {
    /// File name, e.g. `availability.svg`.
    pub(crate) name: String,
    /// What it shows, in a few words.
    pub(crate) title: String,
    /// The drawing.
    pub(crate) svg: Drawn,
}

/// Every figure of `report`: availability, the failover-time CDF and the shown
/// replication's timeline (one per strategy for `compare`); none for a shard or a merge,
/// which hold no study.
pub(crate) fn figures(report: &StudyReport) -> Vec<Figure> {
    let (studies, summaries): (&[Study], &[Summary]) = match &report.results {
        Results::Summary {
            study: Some(study),
            summary,
        } => (std::slice::from_ref(*study), std::slice::from_ref(*summary)),
        Results::Comparison {
            studies,
            comparison,
        } => (studies, &comparison.strategies),
        Results::Summary { study: None, .. } | Results::Shard(_) => return Vec::new(),
    };
    let mut figures = vec![
        Figure {
            name: "availability.svg".to_string(),
            title: "Availability per service".to_string(),
            svg: availability_svg(summaries),
        },
        Figure {
            name: "failover-time-cdf.svg".to_string(),
            title: "Failover time per service".to_string(),
            svg: failover_cdf_svg(&failover_panels(studies)),
        },
    ];
    let replays = report.replays;
    for (suffix, recorded) in replays.figures() {
        let title = format!(
            "{} — replication {}{}",
            replays.scenario,
            replays.replication,
            suffix.replace('-', " ")
        );
        figures.push(Figure {
            name: format!("timeline{suffix}.svg"),
            svg: timeline_svg(recorded, &title),
            title,
        });
    }
    figures
}

/// `--plot DIR`: the figures of [`figures`] as SVG files.
pub(crate) struct PlotExporter {
    dir: PathBuf,
}

impl PlotExporter {
    /// Figures to be written into `dir`, created if needed.
    pub(crate) fn new(dir: PathBuf) -> Self {
        PlotExporter { dir }
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
        let figures = figures(report);
        if figures.is_empty() {
            return Ok(());
        }
        staged
            .create_dir(&self.dir)
            .map_err(|e| OutputError::write(&self.dir, e))?;
        for figure in figures {
            let path = self.dir.join(&figure.name);
            let svg = figure.svg.map_err(|e| OutputError::Figure {
                path: path.clone(),
                message: e.to_string(),
            })?;
            staged
                .write(&path, svg.as_bytes())
                .map_err(|e| OutputError::write(&path, e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::summary::AvailabilitySummary;

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
    fn downtime_ticks_read_like_the_nines_table() {
        let ticks: Vec<String> = [-1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -8.0]
            .into_iter()
            .map(|u: f64| tick_downtime(10f64.powf(u) * SECONDS_PER_YEAR))
            .collect();
        assert_eq!(
            ticks,
            ["36.5d", "3.65d", "8.77h", "52.6min", "5.26min", "31.6s", "316ms"]
        );
        assert_eq!(tick_nines(3.0), "3");
        assert_eq!(tick_nines(3.5), "3.5");
        assert_eq!(tick_nines(-0.0), "0");
        assert_eq!(tick_nines(-0.5), "");
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

    fn point(mean: f64, low: f64, high: f64) -> Unavailability<'static> {
        Unavailability {
            strategy: "N_WAY",
            mean,
            low,
            high,
        }
    }

    #[test]
    fn the_unavailability_axis_spans_whole_decades_and_survives_zero() {
        // Nothing ever down: log10(0) has no place; a default range.
        assert_eq!(
            unavailability_axis([point(0.0, 0.0, 0.0)].iter()),
            (-6.0, -1.0)
        );
        // 1e-4 with its interval [5e-5, 2e-4]: from below 5e-5 to above 2e-4.
        assert_eq!(
            unavailability_axis([point(1e-4, 5e-5, 2e-4)].iter()),
            (-5.0, -3.0)
        );
        // Always down: the axis stops at 1.
        assert_eq!(
            unavailability_axis([point(1.0, 1.0, 1.0)].iter()),
            (-1.0, 0.0)
        );
        // NaN (no replication) is ignored.
        assert_eq!(
            unavailability_axis(
                [point(f64::NAN, f64::NAN, f64::NAN), point(0.01, 0.01, 0.01)].iter()
            ),
            (-3.0, -1.0)
        );
    }

    /// The texts an SVG shows, in order.
    fn texts(svg: &str) -> Vec<&str> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| Some(t[t.find('>')? + 1..t.find("</text>")?].trim()))
            .collect()
    }

    /// A summary of `services` (name, strategy, availability mean and interval).
    fn summary(services: &[(&str, &str, f64, f64, f64)]) -> Summary {
        let services = services
            .iter()
            .map(|&(service, strategy, mean, low, high)| {
                let mut s = ServiceSummary::new(&Default::default(), 3_600_000_000_000, &[]);
                s.service = service.to_string();
                s.strategy = strategy.to_string();
                s.availability = AvailabilitySummary {
                    mean,
                    ci95_low: low,
                    ci95_high: high,
                    nines: None,
                };
                s
            })
            .collect();
        Summary {
            version: String::new(),
            scenario: "s".to_string(),
            scenario_hash: String::new(),
            seed: 1,
            replications: 2,
            replications_requested: 2,
            horizon_s: 3600.0,
            complete: true,
            services,
            system: None,
            precision: None,
            faults: Vec::new(),
        }
    }

    #[test]
    fn the_availability_figure_draws_one_and_many_services_and_degenerate_ones() {
        let one = summary(&[("db", "ACTIVE_PASSIVE", 0.9999, 0.9998, 1.0)]);
        let svg = availability_svg(std::slice::from_ref(&one)).unwrap();
        assert!(texts(&svg).contains(&"db"), "{svg}");
        // Always up (log of 0), always down, no data (NaN), a single replication.
        let odd = summary(&[
            ("up", "ACTIVE_ACTIVE", 1.0, 1.0, 1.0),
            ("down", "N_WAY", 0.0, 0.0, 0.0),
            ("nothing", "GEOGRAPHIC", f64::NAN, f64::NAN, f64::NAN),
            ("once", "system", 0.5, 0.5, 0.5),
        ]);
        assert!(availability_svg(&[odd.clone(), odd])
            .unwrap()
            .contains("<svg"));
        let many: Vec<(String, f64)> = (0..40)
            .map(|i| (format!("s{i}"), 1.0 - 1e-3 / (i + 1) as f64))
            .collect();
        let rows: Vec<(&str, &str, f64, f64, f64)> = many
            .iter()
            .map(|(name, a)| {
                (
                    name.as_str(),
                    "ACTIVE_ACTIVE",
                    *a,
                    *a - 1e-5,
                    (*a + 1e-5).min(1.0),
                )
            })
            .collect();
        let svg = availability_svg(&[summary(&rows)]).unwrap();
        assert!(svg.contains("the 24 least available of 40"), "{svg}");
        // The least available (s0) is drawn, the most available (s39) is not.
        let shown = texts(&svg);
        assert!(shown.contains(&"s0") && !shown.contains(&"s39"));
        assert!(availability_svg(&[]).unwrap().contains("<svg"));
    }

    #[test]
    fn each_strategy_has_one_legend_entry_whatever_the_services() {
        let two = summary(&[
            ("a", "ACTIVE_ACTIVE", 0.999, 0.998, 1.0),
            ("b", "ACTIVE_ACTIVE", 0.99, 0.98, 1.0),
        ]);
        let other = summary(&[
            ("a", "N_WAY", 0.999, 0.998, 1.0),
            ("b", "N_WAY", 0.99, 0.98, 1.0),
        ]);
        let svg = availability_svg(&[two, other]).unwrap();
        let shown = texts(&svg);
        assert_eq!(
            shown.iter().filter(|t| **t == "ACTIVE_ACTIVE").count(),
            1,
            "{svg}"
        );
        assert_eq!(shown.iter().filter(|t| **t == "N_WAY").count(), 1);
        // One panel per service.
        assert!(shown.contains(&"a") && shown.contains(&"b"));
    }

    #[test]
    fn figures_without_failovers_are_still_drawn() {
        let empty = Panel {
            title: "idle".to_string(),
            items: vec![("ACTIVE_PASSIVE".to_string(), DurationHistogram::new())],
        };
        let svg = failover_cdf_svg(&[empty]).unwrap();
        assert!(svg.contains("no successful failover"));
        assert!(failover_cdf_svg(&[]).unwrap().contains("<svg"));
        assert!(timeline_svg(&Timeline::default(), "nothing happened")
            .unwrap()
            .contains("<svg"));
    }

    #[test]
    fn strategies_keep_their_colour_and_marker_everywhere() {
        assert_eq!(look("ACTIVE_ACTIVE").colour, BLUE);
        assert_eq!(look("ACTIVE_PASSIVE").marker, Marker::Square);
        assert_ne!(look("N_WAY"), look("GEOGRAPHIC"));
        assert_eq!(look("system").colour, BLACK);
    }

    #[test]
    fn the_first_ranked_keep_their_original_order() {
        let availability = [0.99, 0.5, 0.999, 0.7, 0.5];
        assert_eq!(first_ranked(&availability, 3), [1, 3, 4]);
        assert_eq!(first_ranked(&availability, 5), [0, 1, 2, 3, 4]);
        assert_eq!(first_ranked(&availability, 9), [0, 1, 2, 3, 4]);
    }
}
