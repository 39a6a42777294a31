//! Timelines of one replication: node down periods and service states per vantage point,
//! as Chrome trace-event JSON (opens in Perfetto or chrome://tracing) and for the SVG plot.

use crate::scenarios::CompiledScenario;
use crate::sim::engine::Replication;
use crate::sim::faults::FaultRegistry;
use crate::sim::time::SimTime;
use crate::sim::trace::{TraceEvent, TraceSink};
use crate::strategies::ServiceState;
use serde_json::json;
use std::collections::BTreeMap;

/// One bar of a timeline: a row label, a state and its span in seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// Row: `node <id>` or `<service> @ <vantage>`.
    pub row: String,
    /// `DOWN` for nodes; `DEGRADED` or `DOWN` for services.
    pub state: &'static str,
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds.
    pub end_s: f64,
}

/// The timeline of one replication.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    /// Rows in first-seen order.
    pub rows: Vec<String>,
    /// Bars in start order.
    pub spans: Vec<Span>,
    /// Horizon, seconds.
    pub horizon_s: f64,
}

struct Recorder<'a> {
    scenario: &'a CompiledScenario,
    open: BTreeMap<String, (&'static str, f64)>,
    timeline: Timeline,
}

impl Recorder<'_> {
    fn row(&mut self, row: &str) {
        if !self.timeline.rows.iter().any(|r| r == row) {
            self.timeline.rows.push(row.to_string());
        }
    }

    fn close(&mut self, row: &str, at: f64) {
        if let Some((state, start)) = self.open.remove(row) {
            self.timeline.spans.push(Span {
                row: row.to_string(),
                state,
                start_s: start,
                end_s: at,
            });
        }
    }
}

impl TraceSink for Recorder<'_> {
    fn record(&mut self, at: SimTime, event: &TraceEvent) {
        let t = at.as_secs_f64();
        match event {
            TraceEvent::NodeDown { node, .. } => {
                let row = format!("node {}", self.scenario.topology.nodes[*node as usize].name);
                self.row(&row);
                self.open.insert(row, ("DOWN", t));
            }
            TraceEvent::NodeUp { node } => {
                let row = format!("node {}", self.scenario.topology.nodes[*node as usize].name);
                self.close(&row, t);
            }
            TraceEvent::ServiceState {
                service,
                vantage,
                state,
            } => {
                let row = format!(
                    "{} @ {}",
                    self.scenario.services[*service as usize].name,
                    self.scenario.vantage_name(*service, *vantage)
                );
                self.row(&row);
                self.close(&row, t);
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

/// Runs replication `replication` of `scenario` and records its timeline.
pub fn record(scenario: &CompiledScenario, replication: u64) -> Timeline {
    let registry = FaultRegistry::new(&scenario.faults);
    let mut recorder = Recorder {
        scenario,
        open: BTreeMap::new(),
        timeline: Timeline::default(),
    };
    Replication::new(scenario, &registry, replication, Some(&mut recorder)).run();
    let horizon_s = scenario.horizon as f64 / 1e9;
    let open: Vec<String> = recorder.open.keys().cloned().collect();
    for row in open {
        recorder.close(&row, horizon_s);
    }
    let mut timeline = recorder.timeline;
    timeline.horizon_s = horizon_s;
    timeline.spans.sort_by(|a, b| {
        a.start_s
            .total_cmp(&b.start_s)
            .then_with(|| a.row.cmp(&b.row))
    });
    timeline
}

impl Timeline {
    /// Chrome trace-event format: one thread per row, one complete event per bar.
    pub fn to_chrome_trace(&self) -> String {
        let mut events = Vec::new();
        for (tid, row) in self.rows.iter().enumerate() {
            events.push(json!({"ph": "M", "name": "thread_name", "pid": 1, "tid": tid, "args": {"name": row}}));
        }
        for span in &self.spans {
            let tid = self.rows.iter().position(|r| r == &span.row).unwrap_or(0);
            events.push(json!({
                "ph": "X",
                "name": span.state,
                "cat": if span.row.starts_with("node ") { "node" } else { "service" },
                "pid": 1,
                "tid": tid,
                "ts": span.start_s * 1e6,
                "dur": (span.end_s - span.start_s) * 1e6,
            }));
        }
        serde_json::to_string(&json!({"traceEvents": events, "displayTimeUnit": "ms"}))
            .expect("timeline serializes")
    }
}
