//! Timelines of one replication: node down periods and service states per vantage point,
//! as Chrome trace-event JSON (opens in Perfetto or chrome://tracing) and for the SVG plot.

use super::atomic::{AtomicFile, Staged};
use super::{Exporter, OutputError, Shows, StudyReport};
use crate::compile::CompiledScenario;
use crate::core::ids::NodeId;
use crate::core::record::FaultTag;
use crate::core::time::SimTime;
use crate::sim::engine::Replication;
use crate::sim::faults::FaultRegistry;
use crate::sim::trace::{TraceEvent, TraceSink};
use crate::strategies::ServiceState;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// Most bars a timeline records. Past it the recording stops and the timeline says up to
/// when it is complete: a million bars is about 100 MB of Chrome trace JSON, more than a
/// viewer shows usefully, and it bounds memory whatever the horizon and node count.
pub const MAX_SPANS: usize = 1_000_000;

/// How a node's row label begins.
const NODE_PREFIX: &str = "node ";

/// One bar of a timeline: a row, a state and its span in seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// Index into [`Timeline::rows`].
    pub row: u32,
    /// `DOWN` for nodes; `DEGRADED` or `DOWN` for services.
    pub state: &'static str,
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds.
    pub end_s: f64,
}

/// When a fault was active: a scheduled fault, a zone or region outage, a partition.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpan {
    /// The fault's id.
    pub name: String,
    /// Its kind.
    pub kind: &'static str,
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds (the end of the recording for a fault that never ends).
    pub end_s: f64,
}

/// Most fault spans a timeline records; the figure shades them, and more than this many
/// would paint it over.
pub const MAX_FAULT_SPANS: usize = 10_000;

/// The timeline of one replication.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    /// Row labels: `<service> @ <vantage>` rows in the scenario's order of services and
    /// vantage points, then `node <id>` rows by region, zone and the topology's order;
    /// only rows that changed.
    pub rows: Vec<String>,
    /// The zone of each row's node; empty for service rows.
    pub zones: Vec<String>,
    /// Bars in start order.
    pub spans: Vec<Span>,
    /// Fault spans in start order, at most [`MAX_FAULT_SPANS`]. Node failure processes
    /// and bursts have none: their nodes' rows show them.
    pub faults: Vec<FaultSpan>,
    /// Horizon, seconds.
    pub horizon_s: f64,
    /// Where the recording ends: the horizon, or earlier when [`MAX_SPANS`] bars were
    /// reached (bars still open then end there).
    pub recorded_until_s: f64,
}

/// What a row shows, in the engine's indices, so recording never formats a label twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum RowKey {
    Node(NodeId),
    Service { service: u32, vantage: u32 },
}

/// Where a row sorts: services (0) by service and vantage, then nodes (1) by region, zone
/// and topology order.
type RowRank = (u8, usize, usize, usize);

/// Records the timeline of a replication as its events arrive; a [`TraceSink`].
pub struct TimelineRecorder<'a> {
    scenario: &'a CompiledScenario,
    rows: BTreeMap<RowKey, u32>,
    /// Bars begun and not yet ended, by row.
    open: BTreeMap<u32, (&'static str, f64)>,
    /// Names the faults.
    registry: FaultRegistry,
    /// Fault spans begun and not yet ended, by fault tag.
    open_faults: BTreeMap<u32, f64>,
    timeline: Timeline,
    max_spans: usize,
    /// Raised once `max_spans` bars are recorded; a replication that records nothing
    /// else stops soon after.
    full: &'a AtomicBool,
    /// The instant of the last event seen, where an incomplete run's timeline ends.
    last_s: f64,
}

impl TimelineRecorder<'_> {
    fn row(&mut self, key: RowKey) -> u32 {
        if let Some(&row) = self.rows.get(&key) {
            return row;
        }
        let label = match key {
            RowKey::Node(node) => {
                format!("{NODE_PREFIX}{}", self.scenario.topology.names.name(node))
            }
            RowKey::Service { service, vantage } => format!(
                "{} @ {}",
                self.scenario.services[service as usize].name,
                self.scenario.vantage_name(service, vantage)
            ),
        };
        let row = self.timeline.rows.len() as u32;
        self.timeline.rows.push(label);
        self.rows.insert(key, row);
        row
    }

    /// Whether fault `tag` starts and ends as one span: scheduled faults, outages and
    /// partitions (a burst only starts; node processes show on their nodes' rows).
    fn has_span(&self, tag: u32) -> bool {
        let r = &self.registry;
        (r.scheduled..r.node_processes).contains(&tag) || (r.outages..r.bursts).contains(&tag)
    }

    fn fault_span(&mut self, tag: u32, start_s: f64, end_s: f64) {
        if self.timeline.faults.len() < MAX_FAULT_SPANS {
            self.timeline.faults.push(FaultSpan {
                name: self.registry.id(FaultTag(tag)).to_string(),
                kind: self.registry.kind(FaultTag(tag)),
                start_s,
                end_s,
            });
        }
    }

    fn close(&mut self, row: u32, at: f64) {
        if let Some((state, start)) = self.open.remove(&row) {
            self.timeline.spans.push(Span {
                row,
                state,
                start_s: start,
                end_s: at,
            });
            if self.timeline.spans.len() >= self.max_spans {
                self.timeline.recorded_until_s = at;
                self.full.store(true, Ordering::Relaxed);
            }
        }
    }
}

impl TraceSink for TimelineRecorder<'_> {
    fn record(&mut self, at: SimTime, event: &TraceEvent) {
        if self.full.load(Ordering::Relaxed) {
            return;
        }
        let t = at.as_secs_f64();
        self.last_s = t;
        match event {
            TraceEvent::NodeDown { node, .. } => {
                let row = self.row(RowKey::Node(*node));
                self.open.insert(row, ("DOWN", t));
            }
            TraceEvent::NodeUp { node } => {
                let row = self.row(RowKey::Node(*node));
                self.close(row, t);
            }
            TraceEvent::FaultStart { fault, .. } if self.has_span(fault.0) => {
                self.open_faults.insert(fault.0, t);
            }
            TraceEvent::FaultEnd { fault } => {
                if let Some(start_s) = self.open_faults.remove(&fault.0) {
                    self.fault_span(fault.0, start_s, t);
                }
            }
            TraceEvent::ServiceState {
                service,
                vantage,
                state,
            } => {
                let row = self.row(RowKey::Service {
                    service: *service,
                    vantage: *vantage,
                });
                self.close(row, t);
                if self.full.load(Ordering::Relaxed) {
                    return;
                }
                match state {
                    ServiceState::Up => {}
                    ServiceState::Degraded => {
                        self.open.insert(row, ("DEGRADED", t));
                    }
                    ServiceState::Down => {
                        self.open.insert(row, ("DOWN", t));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Runs replication `replication` of `scenario` and records its timeline, up to
/// [`MAX_SPANS`] bars.
pub fn record(scenario: &CompiledScenario, replication: u64) -> Timeline {
    record_at_most(scenario, replication, MAX_SPANS)
}

/// [`record`] with another bar limit (at least 1).
pub fn record_at_most(scenario: &CompiledScenario, replication: u64, max_spans: usize) -> Timeline {
    record_until(scenario, replication, max_spans, &[])
}

/// [`record_at_most`] that also stops once any of `stop` is raised (Ctrl-C); the timeline
/// then ends at the last event seen.
pub fn record_until(
    scenario: &CompiledScenario,
    replication: u64,
    max_spans: usize,
    stop: &[&AtomicBool],
) -> Timeline {
    let registry = FaultRegistry::new(&scenario.faults);
    let full = AtomicBool::new(false);
    let mut recorder = TimelineRecorder::new(scenario, max_spans, &full);
    let stops: Vec<&AtomicBool> = std::iter::once(&full).chain(stop.iter().copied()).collect();
    let outcome = Replication::new(scenario, &registry, replication, Some(&mut recorder))
        .run_within(u64::MAX, &stops);
    recorder.finish(outcome.complete || full.load(Ordering::Relaxed))
}

impl<'a> TimelineRecorder<'a> {
    /// A recorder of `scenario` that keeps at most `max_spans` bars (at least 1) and
    /// raises `full` when it has them.
    pub fn new(scenario: &'a CompiledScenario, max_spans: usize, full: &'a AtomicBool) -> Self {
        let horizon_s = scenario.horizon as f64 / 1e9;
        TimelineRecorder {
            scenario,
            rows: BTreeMap::new(),
            open: BTreeMap::new(),
            registry: FaultRegistry::new(&scenario.faults),
            open_faults: BTreeMap::new(),
            timeline: Timeline {
                horizon_s,
                recorded_until_s: horizon_s,
                ..Timeline::default()
            },
            max_spans: max_spans.max(1),
            full,
            last_s: 0.0,
        }
    }

    /// The timeline, once the replication ran: to the horizon (or the bar limit) when
    /// `ran_to_end`, else up to the last event seen, where a budget or Ctrl-C stopped it.
    pub fn finish(mut self, ran_to_end: bool) -> Timeline {
        if !ran_to_end {
            self.timeline.recorded_until_s = self.timeline.recorded_until_s.min(self.last_s);
        }
        let until = self.timeline.recorded_until_s;
        let open: Vec<(u32, (&'static str, f64))> =
            std::mem::take(&mut self.open).into_iter().collect();
        for (tag, start_s) in std::mem::take(&mut self.open_faults) {
            self.fault_span(tag, start_s.min(until), until);
        }
        let mut timeline = self.timeline;
        for (row, (state, start_s)) in open {
            timeline.spans.push(Span {
                row,
                state,
                start_s,
                end_s: until,
            });
        }
        // Services before nodes (what users look for first), services in the scenario's
        // order, nodes by region then zone, as a reader of the topology groups them.
        let topology = &self.scenario.topology;
        let mut order: Vec<(RowRank, u32, &str)> = self
            .rows
            .iter()
            .map(|(key, &row)| match *key {
                RowKey::Service { service, vantage } => {
                    ((0, service as usize, vantage as usize, 0), row, "")
                }
                RowKey::Node(node) => {
                    let info = &topology.nodes[node.index()];
                    let rank = (1, info.region.index(), info.zone.index(), node.index());
                    (rank, row, topology.zones[info.zone.index()].name.as_str())
                }
            })
            .collect();
        order.sort_unstable();
        timeline.zones = order.iter().map(|o| o.2.to_string()).collect();
        let mut renumbered = vec![0u32; order.len()];
        let mut labels = std::mem::take(&mut timeline.rows);
        timeline.rows = order
            .iter()
            .enumerate()
            .map(|(new, &(_, old, _))| {
                renumbered[old as usize] = new as u32;
                std::mem::take(&mut labels[old as usize])
            })
            .collect();
        for span in &mut timeline.spans {
            span.row = renumbered[span.row as usize];
        }
        timeline
            .spans
            .sort_by(|a, b| a.start_s.total_cmp(&b.start_s).then(a.row.cmp(&b.row)));
        timeline
            .faults
            .sort_by(|a, b| a.start_s.total_cmp(&b.start_s).then(a.name.cmp(&b.name)));
        timeline
    }
}

impl Timeline {
    /// Whether row `row` shows a node (else a service at a vantage point).
    pub fn is_node_row(&self, row: u32) -> bool {
        self.rows
            .get(row as usize)
            .is_some_and(|label| label.starts_with(NODE_PREFIX))
    }

    /// Whether the bar limit ended the recording before the horizon.
    pub fn is_truncated(&self) -> bool {
        self.recorded_until_s < self.horizon_s
    }

    /// Writes the Chrome trace-event format: one thread per row, one complete event per
    /// bar, and in `otherData` the horizon and where the recording ends.
    pub fn write_chrome_trace(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(b"{\"traceEvents\":[")?;
        let mut separator: &[u8] = b"";
        for (tid, row) in self.rows.iter().enumerate() {
            out.write_all(separator)?;
            separator = b",";
            let event = json!({"ph": "M", "name": "thread_name", "pid": 1, "tid": tid, "args": {"name": row}});
            serde_json::to_writer(&mut *out, &event)?;
        }
        for span in &self.spans {
            out.write_all(separator)?;
            separator = b",";
            let event = json!({
                "ph": "X",
                "name": span.state,
                "cat": if self.is_node_row(span.row) { "node" } else { "service" },
                "pid": 1,
                "tid": span.row,
                "ts": span.start_s * 1e6,
                "dur": (span.end_s - span.start_s) * 1e6,
            });
            serde_json::to_writer(&mut *out, &event)?;
        }
        out.write_all(b"],\"displayTimeUnit\":\"ms\",\"otherData\":")?;
        let other = json!({
            "horizon_s": self.horizon_s,
            "recorded_until_s": self.recorded_until_s,
            "truncated": self.is_truncated(),
        });
        serde_json::to_writer(&mut *out, &other)?;
        out.write_all(b"}")
    }
}

/// `--timeline FILE|-`: the shown replication as a Chrome trace-event timeline.
pub struct TimelineExporter {
    path: PathBuf,
}

impl TimelineExporter {
    /// A timeline to be written to `path`.
    pub fn new(path: PathBuf) -> Self {
        TimelineExporter { path }
    }
}

impl Exporter for TimelineExporter {
    fn shows(&self) -> Shows {
        Shows {
            timeline: true,
            ..Shows::default()
        }
    }

    fn export(
        self: Box<Self>,
        report: &StudyReport,
        notes: &mut Vec<String>,
        staged: &mut Staged,
    ) -> Result<(), OutputError> {
        let Some(recorded) = &report.replays.timeline else {
            return Ok(());
        };
        let path = &self.path;
        let mut file = AtomicFile::create(path).map_err(|e| OutputError::write(path, e))?;
        recorded
            .write_chrome_trace(&mut file)
            .and_then(|()| staged.stage(file))
            .map_err(|e| OutputError::write(path, e))?;
        if recorded.spans.len() >= MAX_SPANS {
            notes.push(format!(
                "{}: the timeline holds the first {} bars, up to {:.0}s of the {:.0}s horizon",
                path.display(),
                MAX_SPANS,
                recorded.recorded_until_s,
                recorded.horizon_s
            ));
        }
        Ok(())
    }
}
