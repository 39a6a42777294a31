//! A fake engine for strategy unit tests: it feeds stimuli, fires scheduled timers in
//! time order and collects records, so a strategy is tested without the engine.

use super::spec::ServiceSpec;
use super::{
    Command, Context, FailoverRecord, FaultTag, ServiceState, ServiceStrategy, Stimulus,
    StrategyTimer, View,
};
use crate::core::time::{Nanos, SimTime};
use crate::net::network::{Network, Observer};
use crate::net::topology::{ImpliedLatencies, NodeId, NodeInfo, Topology, ZoneInfo};
use crate::scenarios::model::{Role, Service};
use petgraph::graph::UnGraph;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;

/// One millisecond.
pub const MS: Nanos = 1_000_000;

/// The fault tag the harness gives to every crash and network change.
pub const FAULT: FaultTag = FaultTag(7);

/// One service on an implied full mesh of nodes `0..zones.len()` in one region, node
/// `i` in zone `zones[i]`: `zone_latency` one way within a zone, `region_latency`
/// between zones. The service's replicas are every node, in order.
pub struct Harness {
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
    pub fn new(zones: &[u32], zone_latency: Nanos, region_latency: Nanos, service: &str) -> Self {
        let nodes: Vec<NodeInfo> = zones
            .iter()
            .enumerate()
            .map(|(i, &zone)| NodeInfo {
                name: format!("n{i}"),
                region: 0,
                zone,
                role: Role::Server,
                capacity: 1.0,
            })
            .collect();
        let mut graph = UnGraph::new_undirected();
        for i in 0..nodes.len() {
            graph.add_node(i as NodeId);
        }
        let zone_count = zones.iter().max().map_or(0, |&z| z + 1);
        let topology = Topology {
            by_name: (0..nodes.len() as NodeId)
                .map(|i| (format!("n{i}"), i))
                .collect(),
            nodes,
            regions: vec!["r".into()],
            zones: (0..zone_count)
                .map(|z| ZoneInfo {
                    name: format!("z{z}"),
                    region: 0,
                })
                .collect(),
            graph,
            implied: Some(ImpliedLatencies {
                zone: zone_latency,
                region: region_latency,
                global: region_latency,
            }),
        };
        let params: Service = serde_json::from_str(service).expect("a valid service");
        let spec = ServiceSpec {
            name: params.name.clone(),
            strategy: params.strategy,
            replicas: (0..zones.len() as NodeId).collect(),
            vantages: Vec::new(),
            monitor: None,
            regions: vec![0],
            params,
        };
        let mut phase_rng = ChaCha8Rng::seed_from_u64(1);
        let strategy = ServiceStrategy::build(&spec, &topology, &mut phase_rng);
        let mut harness = Harness {
            network: Network::new(Arc::new(topology)),
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
    pub fn run_until(&mut self, t: SimTime) {
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
    pub fn crash(&mut self, node: NodeId, t: SimTime) {
        self.run_until(t);
        if self.network.crash(node) {
            self.stimulate(Stimulus::NodeDown { node, cause: FAULT });
        }
    }

    /// What a client at `vantage` sees now.
    pub fn state(&self, vantage: Observer) -> ServiceState {
        self.strategy.state(&self.view(), vantage)
    }

    fn view(&self) -> View<'_> {
        View {
            network: &self.network,
            byzantine: &self.no_flags,
            gray: &self.no_flags,
        }
    }

    fn stimulate(&mut self, stimulus: Stimulus) {
        let mut out = Vec::new();
        let view = View {
            network: &self.network,
            byzantine: &self.no_flags,
            gray: &self.no_flags,
        };
        let mut ctx = Context {
            now: self.now,
            view,
            rng: &mut self.rng,
            out: &mut out,
            replication: 0,
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
