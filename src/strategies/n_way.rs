//! NWay strategy (placeholder until implemented).

use super::{Context, ServiceState, Stimulus, Strategy, View};
use crate::scenarios::compile::ServiceSpec;
use crate::sim::network::Observer;
use crate::sim::topology::{NodeId, Topology};
use rand_chacha::ChaCha8Rng;

/// The NWay strategy for one service.
pub struct NWay {
    replicas: Vec<NodeId>,
}

impl NWay {
    /// Builds the strategy.
    pub fn new(spec: &ServiceSpec, _topology: &Topology, _phase_rng: &mut ChaCha8Rng) -> Self {
        NWay {
            replicas: spec.replicas.clone(),
        }
    }
}

impl Strategy for NWay {
    fn handle(&mut self, _stimulus: Stimulus, _ctx: &mut Context) {}

    fn state(&self, view: &View, vantage: Observer) -> ServiceState {
        if self.replicas.iter().any(|&r| view.serves(vantage, r)) {
            ServiceState::Up
        } else {
            ServiceState::Down
        }
    }
}
