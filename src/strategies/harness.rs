//! A fake engine for strategy unit tests: it feeds stimuli, fires scheduled timers in
//! time order and collects records, so a strategy is tested without the engine.
#![cfg(test)]

use super::{
    Command, Context, FailoverRecord, FaultTag, ServiceState, ServiceStrategy, Stimulus,
    StrategyTimer, View,
};
use crate::compile::load_str;
use crate::core::time::{Nanos, SimTime};
use crate::net::network::{Network, Observer};
use crate::net::topology::NodeId;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::path::Path;
use std::sync::Arc;

/// One millisecond.
pub(crate) const MS: Nanos = 1_000_000;

/// The fault tag the harness gives to every crash and network change.
pub(crate) const FAULT: FaultTag = FaultTag(7);

/// One service on an implied full mesh of nodes `0..zones.len()` in one region, node
/// `i` in zone `zones[i]`: `zone_latency` one way within a zone, `region_latency`
/// between zones. The service's replicas are every node, in order.
pub(crate) struct Harness {
    network: Network,
    strategy: ServiceStrategy,
    rng: ChaCha8Rng,
    no_flags: Vec<bool>,
    now: SimTime,
    /// Pending timers by (instant, scheduling order), as the engine's queue orders them.
    pending: BinaryHeap<Reverse<(SimTime, u64)>>,
    timers: BTreeMap<u64, StrategyTimer>,
    next_seq: u64,
    /// Every record, in completion order.
    pub records: Vec<FailoverRecord>,
    /// Every other command the strategy emitted, in order.
    pub commands: Vec<Command>,
}

impl Harness {
    /// Builds the service described by `service` (JSON of the file format, without
    /// `replicas`) and starts it at time 0.
    pub(crate) fn new(
        zones: &[u32],
        zone_latency: Nanos,
        region_latency: Nanos,
        service: &str,
    ) -> Self {
        // The service is compiled exactly as a scenario file's would be.
        let nodes: Vec<String> = zones
            .iter()
            .enumerate()
            .map(|(i, zone)| format!(r#"{{"id": "n{i}", "region": "r", "zone": "z{zone}"}}"#))
            .collect();
        let replicas: Vec<String> = (0..zones.len()).map(|i| format!(r#""n{i}""#)).collect();
        let service = service.trim_end().strip_suffix('}').expect("a JSON object");
        let text = format!(
            r#"{{"horizon": "1d", "topology": {{"nodes": [{}],
                "latency": {{"zone": "{zone_latency}ns", "region": "{region_latency}ns",
                             "global": "{region_latency}ns"}}}},
               "services": [{service}, "replicas": [{}]}}]}}"#,
            nodes.join(", "),
            replicas.join(", ")
        );
        let scenario = load_str(&text, Path::new("harness.json"))
            .unwrap_or_else(|error| panic!("the harness service does not compile: {error}"));
        let spec = &scenario.services[0];
        let topology = &scenario.topology;
        let mut phase_rng = ChaCha8Rng::seed_from_u64(1);
        let strategy = ServiceStrategy::build(spec, topology, &mut phase_rng);
        let mut harness = Harness {
            network: Network::new(Arc::clone(topology)).with_message_streams(1, 0),
            strategy,
            rng: ChaCha8Rng::seed_from_u64(2),
            no_flags: vec![false; zones.len()],
            now: SimTime::ZERO,
            pending: BinaryHeap::new(),
            timers: BTreeMap::new(),
            next_seq: 0,
            records: Vec::new(),
            commands: Vec::new(),
        };
        harness.stimulate(Stimulus::Start);
        harness
    }

    /// Fires every timer due at or before `t`, then moves the clock to `t`.
    pub(crate) fn run_until(&mut self, t: SimTime) {
        while let Some(&Reverse((at, seq))) = self.pending.peek() {
            if at > t {
                break;
            }
            self.pending.pop();
            self.now = at;
            let timer = self.timers.remove(&seq).expect("a pending timer");
            self.stimulate(Stimulus::Timer(timer));
        }
        self.now = t;
    }

    /// Crashes `node` at `t` (after the timers due until then).
    pub(crate) fn crash(&mut self, node: NodeId, t: SimTime) {
        self.run_until(t);
        if self.network.crash(node) {
            self.stimulate(Stimulus::NodeDown { node, cause: FAULT });
        }
    }

    /// Repairs `node` at `t` (after the timers due until then).
    pub(crate) fn repair(&mut self, node: NodeId, t: SimTime) {
        self.run_until(t);
        if self.network.repair(node) {
            self.stimulate(Stimulus::NodeUp { node });
        }
    }

    /// Pauses `node` at `t` (after the timers due until then).
    pub(crate) fn pause(&mut self, node: NodeId, t: SimTime) {
        self.run_until(t);
        self.network.pause(node, FAULT.0);
        self.stimulate(Stimulus::NetworkChanged { cause: FAULT });
    }

    /// Resumes `node` at `t` (after the timers due until then).
    pub(crate) fn resume(&mut self, node: NodeId, t: SimTime) {
        self.run_until(t);
        self.network.resume(node, FAULT.0);
        self.stimulate(Stimulus::NetworkChanged { cause: FAULT });
    }

    /// The strategy under test, to read its state.
    pub(crate) fn strategy(&self) -> &ServiceStrategy {
        &self.strategy
    }

    /// Drops every message from `from` to `to` from `t` on, delivers the reverse (after
    /// the timers due until then).
    pub(crate) fn cut_one_way(&mut self, from: &[NodeId], to: &[NodeId], t: SimTime) {
        self.run_until(t);
        self.network
            .restrict(FAULT.0, crate::net::network::ReachRule::one_way(from, to));
        self.stimulate(Stimulus::NetworkChanged { cause: FAULT });
    }

    /// Ends the harness's partition or cut at `t` (after the timers due until then).
    pub(crate) fn heal(&mut self, t: SimTime) {
        self.run_until(t);
        self.network.heal(FAULT.0);
        self.stimulate(Stimulus::NetworkChanged { cause: FAULT });
    }

    /// Adds `added` latency to the link between `a` and `b` at `t` (after the timers due
    /// until then).
    pub(crate) fn slow_link(&mut self, a: NodeId, b: NodeId, added: Nanos, t: SimTime) {
        self.run_until(t);
        self.network.degrade_link(a, b, added, 0.0);
        self.stimulate(Stimulus::NetworkChanged { cause: FAULT });
    }

    /// What a client at `vantage` sees now.
    pub(crate) fn state(&self, vantage: Observer) -> ServiceState {
        ServiceState::of(self.served(vantage))
    }

    /// The served fraction of the requests of clients at `vantage` now.
    pub(crate) fn served(&self, vantage: Observer) -> f64 {
        self.strategy.served(&self.view(), vantage)
    }

    /// Runs every timer due before `horizon` and ends the run there, as the engine
    /// does: open failovers are recorded.
    pub(crate) fn finish(&mut self, horizon: SimTime) {
        self.run_until(horizon);
        self.stimulate(Stimulus::Horizon);
    }

    fn view(&self) -> View<'_> {
        View {
            network: &self.network,
            byzantine: &self.no_flags,
            gray: &self.no_flags,
            latent: &self.no_flags,
        }
    }

    fn stimulate(&mut self, stimulus: Stimulus) {
        let mut out = Vec::new();
        let view = View {
            network: &self.network,
            byzantine: &self.no_flags,
            gray: &self.no_flags,
            latent: &self.no_flags,
        };
        let mut ctx = Context {
            now: self.now,
            view,
            rng: &mut self.rng,
            out: &mut out,
        };
        self.strategy.handle(stimulus, &mut ctx);
        for command in out {
            match command {
                Command::Schedule { at, timer } => {
                    assert!(at >= self.now, "{timer:?} scheduled in the past");
                    self.pending.push(Reverse((at, self.next_seq)));
                    self.timers.insert(self.next_seq, timer);
                    self.next_seq += 1;
                }
                Command::Record(record) => self.records.push(record),
                other => self.commands.push(other),
            }
        }
    }
}
