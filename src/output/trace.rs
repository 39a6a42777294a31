//! `--trace`: one replication's events as JSON Lines, one event per line.

use super::atomic::{AtomicFile, Staged};
use super::{Exporter, OutputError, Shows, StudyReport};
use crate::compile::CompiledScenario;
use crate::core::ids::NodeId;
use crate::core::time::SimTime;
use crate::sim::faults::FaultRegistry;
use crate::sim::trace::{TraceEvent, TraceSink};
use crate::strategies::ServiceState;
use serde_json::json;
use std::io::{self, Write};
use std::path::PathBuf;

/// Streams trace lines to `out` as the replication runs, so memory stays flat however
/// many events the replication has.
pub(crate) struct JsonLinesTrace<W: Write> {
    /// Owned, so that the trace can outlive the borrow of the scenario it was made for.
    scenario: CompiledScenario,
    registry: FaultRegistry,
    out: W,
    /// The first write error; later lines are skipped and [`JsonLinesTrace::finish`]
    /// returns it.
    error: Option<io::Error>,
}

impl<W: Write> JsonLinesTrace<W> {
    /// A trace of `scenario` written to `out`.
    pub(crate) fn new(scenario: &CompiledScenario, out: W) -> Self {
        JsonLinesTrace {
            scenario: scenario.clone(),
            registry: FaultRegistry::new(&scenario.faults),
            out,
            error: None,
        }
    }

    /// The writer, once every line reached it; the first write error otherwise.
    pub(crate) fn finish(self) -> io::Result<W> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(self.out),
        }
    }

    fn node(&self, node: NodeId) -> &str {
        self.scenario.topology.names.name(node)
    }
}

/// The name of a service state in outputs.
pub(crate) fn state_name(state: ServiceState) -> &'static str {
    match state {
        ServiceState::Up => "UP",
        ServiceState::Degraded => "DEGRADED",
        ServiceState::Down => "DOWN",
    }
}

impl<W: Write> TraceSink for JsonLinesTrace<W> {
    fn record(&mut self, at: SimTime, event: &TraceEvent) {
        if self.error.is_some() {
            return;
        }
        let t = at.as_secs_f64();
        let fault = |tag| json!({"id": self.registry.id(tag), "kind": self.registry.kind(tag)});
        let line = match event {
            TraceEvent::FaultStart { fault: tag, sides } => {
                let sides: Vec<Vec<&str>> = sides
                    .lists()
                    .iter()
                    .map(|side| side.iter().map(|&node| self.node(node)).collect())
                    .collect();
                if sides.is_empty() {
                    json!({"t": t, "event": "fault_start", "fault": fault(*tag)})
                } else {
                    json!({"t": t, "event": "fault_start", "fault": fault(*tag), "sides": sides})
                }
            }
            TraceEvent::FaultEnd { fault: tag } => {
                json!({"t": t, "event": "fault_end", "fault": fault(*tag)})
            }
            TraceEvent::NodeDown { node, fault: tag } => {
                json!({"t": t, "event": "node_down", "node": self.node(*node), "fault": fault(*tag)})
            }
            TraceEvent::NodeUp { node } => {
                json!({"t": t, "event": "node_up", "node": self.node(*node)})
            }
            TraceEvent::RepairQueued {
                node,
                crew,
                waiting,
            } => json!({
                "t": t,
                "event": "repair_queued",
                "node": self.node(*node),
                "crew": self.scenario.faults.repair.crews[*crew as usize].name,
                "waiting": waiting,
            }),
            TraceEvent::RepairStarted {
                node,
                crew,
                queued_at,
                dispatch,
            } => json!({
                "t": t,
                "event": "repair_started",
                "node": self.node(*node),
                "crew": self.scenario.faults.repair.crews[*crew as usize].name,
                "waited_s": at.since(*queued_at) as f64 / 1e9,
                "dispatch_s": *dispatch as f64 / 1e9,
            }),
            TraceEvent::CrashSkipped {
                node,
                fault: tag,
                budget,
            } => {
                let spec = &self.scenario.faults.repair.budgets[*budget as usize];
                json!({"t": t, "event": "crash_skipped", "node": self.node(*node), "fault": fault(*tag),
                       "budget": spec.id, "max_dead": spec.max_dead})
            }
            TraceEvent::LatentFaultStart { node, fault: tag } => {
                json!({"t": t, "event": "latent_fault_start", "node": self.node(*node), "fault": fault(*tag)})
            }
            TraceEvent::LatentFaultFound {
                node,
                fault: tag,
                inspection,
            } => {
                let by = if *inspection {
                    "inspection"
                } else {
                    "promotion"
                };
                json!({"t": t, "event": "latent_fault_found", "node": self.node(*node), "fault": fault(*tag), "by": by})
            }
            TraceEvent::InspectionMissed { node, fault: tag } => {
                json!({"t": t, "event": "inspection_missed", "node": self.node(*node), "fault": fault(*tag)})
            }
            TraceEvent::Restart {
                node,
                restart,
                delay,
            } => {
                json!({"t": t, "event": "restart", "node": self.node(*node), "restart": restart, "delay_s": *delay as f64 / 1e9})
            }
            TraceEvent::MaintenanceSkipped {
                node,
                fault: tag,
                service,
            } => {
                let service = &self.scenario.services[*service as usize].name;
                json!({"t": t, "event": "maintenance_skipped", "node": self.node(*node), "fault": fault(*tag), "service": service})
            }
            TraceEvent::ServiceState {
                service,
                vantage,
                state,
            } => {
                let name = &self.scenario.services[*service as usize].name;
                let vantage = self.scenario.vantage_name(*service, *vantage);
                json!({"t": t, "event": "service_state", "service": name, "vantage": vantage, "state": state_name(*state)})
            }
            TraceEvent::Outage { service, episode } => json!({
                "t": t,
                "event": "outage",
                "service": self.scenario.services[*service as usize].name,
                "vantage": self.scenario.vantage_name(*service, episode.vantage),
                "start": episode.start.as_secs_f64(),
                "end": episode.end.as_secs_f64(),
                "duration_s": episode.duration() as f64 / 1e9,
                "down_s": episode.down as f64 / 1e9,
                "fault": fault(episode.cause),
                "ended_by": episode.ended_by.as_str(),
            }),
            TraceEvent::Failover { service, record } => json!({
                "t": t,
                "event": "failover",
                "service": self.scenario.services[*service as usize].name,
                "fault": fault(record.fault),
                "outcome": record.outcome.as_str(),
                "fault_at": record.fault_at.as_secs_f64(),
                "detected_at": record.detected_at.as_secs_f64(),
                "decided_at": record.decided_at.as_secs_f64(),
                "completed_at": record.completed_at.as_secs_f64(),
                "from": record.from.map(|n| self.node(n).to_string()),
                "to": record.to.map(|n| self.node(n).to_string()),
                "attempt": record.attempt,
                "ends_failover": record.ends_failover,
            }),
        };
        let written = serde_json::to_writer(&mut self.out, &line)
            .map_err(io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"));
        if let Err(error) = written {
            self.error = Some(error);
        }
    }
}

/// `--trace FILE|-`: the shown replication's events, streamed to a temporary file during
/// its re-run and committed only if the re-run reached its horizon (or with `--partial`).
pub(crate) struct TraceExporter {
    path: PathBuf,
    trace: Option<JsonLinesTrace<AtomicFile>>,
}

impl TraceExporter {
    /// A trace to be written to `path`.
    pub(crate) fn new(path: PathBuf) -> Self {
        TraceExporter { path, trace: None }
    }
}

impl Exporter for TraceExporter {
    fn shows(&self) -> Shows {
        Shows {
            events: true,
            ..Shows::default()
        }
    }

    fn replay_sink(
        &mut self,
        scenario: &CompiledScenario,
    ) -> Result<Option<&mut dyn TraceSink>, OutputError> {
        let file = AtomicFile::create(&self.path).map_err(|e| OutputError::write(&self.path, e))?;
        let trace = self.trace.insert(JsonLinesTrace::new(scenario, file));
        Ok(Some(trace))
    }

    fn export(
        self: Box<Self>,
        report: &StudyReport,
        notes: &mut Vec<String>,
        staged: &mut Staged,
    ) -> Result<(), OutputError> {
        let Some(trace) = self.trace else {
            return Ok(());
        };
        let file = trace
            .finish()
            .map_err(|e| OutputError::write(&self.path, e))?;
        let replays = report.replays;
        if let Some(ended) = replays.events {
            if let Some(stopped) = ended.stopped {
                if !report.partial {
                    return Err(OutputError::ReplayStopped {
                        path: self.path.clone(),
                        replication: replays.replication,
                        events: ended.events,
                        stopped,
                    });
                }
                notes.push(format!(
                    "{}: the trace of replication {} stopped after {} events: {stopped}; \
                     writing it as it is (--partial)",
                    self.path.display(),
                    replays.replication,
                    ended.events
                ));
            }
        }
        staged
            .stage(file)
            .map_err(|e| OutputError::write(&self.path, e))
    }
}
