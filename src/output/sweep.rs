//! A sweep's outputs: the tidy table (`sweep.csv`, the terminal table, `--json`) and one
//! SVG figure per metric of the estimate against the first setting, with its 95% band.

use super::plot::Drawn;
use super::rows::text_cell;
use super::table::write_columns;
use crate::run::sweep::SweepRow;
use plotters::prelude::*;

/// The columns of `sweep.csv` after the settings' paths, which come first.
pub(crate) const SWEEP_COLUMNS: [&str; 6] = [
    "service",
    "metric",
    "estimate",
    "ci95_low",
    "ci95_high",
    "replications",
];

/// Each row's cells as text: the settings' values, then [`SWEEP_COLUMNS`]; an estimate
/// or bound with no value is empty.
fn cells(row: &SweepRow) -> Vec<String> {
    let number = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    row.values
        .iter()
        .map(|v| text_cell(v))
        .chain([
            text_cell(&row.service),
            row.metric.to_string(),
            number(row.estimate),
            number(row.ci95_low),
            number(row.ci95_high),
            row.replications.to_string(),
        ])
        .collect()
}

/// `sweep.csv`: a header of the settings' paths and [`SWEEP_COLUMNS`], then a row per
/// grid point × service × metric.
pub(crate) fn sweep_csv(paths: &[String], rows: &[SweepRow]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header: Vec<String> = paths
        .iter()
        .map(|p| text_cell(p))
        .chain(SWEEP_COLUMNS.iter().map(|c| c.to_string()))
        .collect();
    writer.write_record(&header)?;
    for row in rows {
        writer.write_record(cells(row))?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// The table printed on the terminal: the same cells, in aligned columns (figures
/// rounded to 6 significant digits).
pub(crate) fn sweep_table(paths: &[String], rows: &[SweepRow]) -> String {
    let short = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.6}"));
    let mut lines = vec![paths
        .iter()
        .cloned()
        .chain(SWEEP_COLUMNS.iter().map(|c| c.to_string()))
        .collect::<Vec<_>>()];
    for row in rows {
        lines.push(
            row.values
                .iter()
                .cloned()
                .chain([
                    row.service.clone(),
                    row.metric.to_string(),
                    short(row.estimate),
                    short(row.ci95_low),
                    short(row.ci95_high),
                    row.replications.to_string(),
                ])
                .collect(),
        );
    }
    let mut out = String::new();
    write_columns(&mut out, &lines);
    out
}

/// The colours of the series, in order (Okabe–Ito).
const COLOURS: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
];

/// `metric` against the first setting's values (in the order given, evenly spaced): a
/// line per service and combination of the other settings' values, with its 95% band.
pub(crate) fn sweep_svg(
    paths: &[String],
    first_values: &[String],
    rows: &[SweepRow],
    metric: &str,
) -> Drawn {
    let rows: Vec<&SweepRow> = rows.iter().filter(|r| r.metric == metric).collect();
    // A series: the service and the values of every setting but the first.
    let mut series: Vec<(String, Vec<String>)> = Vec::new();
    for row in &rows {
        let key = (row.service.clone(), row.values[1..].to_vec());
        if !series.contains(&key) {
            series.push(key);
        }
    }
    let x_of = |row: &SweepRow| {
        first_values
            .iter()
            .position(|v| *v == row.values[0])
            .unwrap_or(0) as f64
    };
    let ys = rows
        .iter()
        .flat_map(|r| [r.estimate, r.ci95_low, r.ci95_high])
        .flatten();
    let (low, high) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    let (low, high) = if low.is_finite() {
        let pad = ((high - low) * 0.1).max(high.abs() * 1e-9).max(1e-12);
        (low - pad, high + pad)
    } else {
        (0.0, 1.0)
    };
    let points = first_values.len().max(1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 500)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("{metric} against {}", paths[0]), ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(90)
            .build_cartesian_2d(-0.25f64..(points - 0.75), low..high)?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", 12))
            .x_labels(first_values.len().max(2))
            .x_label_formatter(&|x| {
                let index = x.round();
                if (x - index).abs() < 1e-6 && index >= 0.0 {
                    first_values
                        .get(index as usize)
                        .cloned()
                        .unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| format!("{y:.6}"))
            .x_desc(paths[0].as_str())
            .y_desc(metric)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        for (index, (service, others)) in series.iter().enumerate() {
            let colour = COLOURS[index % COLOURS.len()];
            let mine: Vec<&&SweepRow> = rows
                .iter()
                .filter(|r| &r.service == service && r.values[1..] == others[..])
                .collect();
            let band: Vec<(f64, f64, f64)> = mine
                .iter()
                .filter_map(|r| Some((x_of(r), r.ci95_low?, r.ci95_high?)))
                .collect();
            if band.len() > 1 {
                let outline: Vec<(f64, f64)> = band
                    .iter()
                    .map(|&(x, lo, _)| (x, lo))
                    .chain(band.iter().rev().map(|&(x, _, hi)| (x, hi)))
                    .collect();
                chart.draw_series(std::iter::once(Polygon::new(outline, colour.mix(0.2))))?;
            }
            let line: Vec<(f64, f64)> = mine
                .iter()
                .filter_map(|r| Some((x_of(r), r.estimate?)))
                .collect();
            let mut label = service.clone();
            for (path, value) in paths[1..].iter().zip(others) {
                label += &format!(", {path}={value}");
            }
            chart
                .draw_series(LineSeries::new(line.clone(), colour.stroke_width(2)))?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                });
            chart.draw_series(line.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
        }
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 12))
            .background_style(WHITE.mix(0.8))
            .border_style(RGBColor(200, 200, 200))
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}
