//! `--trace`: one replication's events as JSON Lines, one event per line.

use crate::scenarios::CompiledScenario;
use crate::sim::faults::FaultRegistry;
use crate::sim::time::SimTime;
use crate::sim::trace::{TraceEvent, TraceSink};
use crate::strategies::ServiceState;
use serde_json::json;

/// Collects trace lines in memory (one replication) for an atomic write.
pub struct JsonLinesTrace<'a> {
    scenario: &'a CompiledScenario,
    registry: FaultRegistry,
    /// The JSON Lines text.
    pub text: String,
}

impl<'a> JsonLinesTrace<'a> {
    /// An empty trace of `scenario`.
    pub fn new(scenario: &'a CompiledScenario) -> Self {
        JsonLinesTrace {
            scenario,
            registry: FaultRegistry::new(&scenario.faults),
            text: String::new(),
        }
    }

    fn node(&self, node: u32) -> &str {
        &self.scenario.topology.nodes[node as usize].name
    }
}

/// The name of a service state in outputs.
pub fn state_name(state: ServiceState) -> &'static str {
    match state {
        ServiceState::Up => "UP",
        ServiceState::Degraded => "DEGRADED",
        ServiceState::Down => "DOWN",
    }
}

impl TraceSink for JsonLinesTrace<'_> {
    fn record(&mut self, at: SimTime, event: &TraceEvent) {
        let t = at.as_secs_f64();
        let fault = |tag| json!({"id": self.registry.id(tag), "kind": self.registry.kind(tag)});
        let line = match event {
            TraceEvent::FaultStart { fault: tag } => {
                json!({"t": t, "event": "fault_start", "fault": fault(*tag)})
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
            TraceEvent::ServiceState {
                service,
                vantage,
                state,
            } => {
                let name = &self.scenario.services[*service as usize].name;
                let vantage = self.scenario.vantage_name(*service, *vantage);
                json!({"t": t, "event": "service_state", "service": name, "vantage": vantage, "state": state_name(*state)})
            }
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
            }),
        };
        self.text.push_str(&line.to_string());
        self.text.push('\n');
    }
}
