//! `failsim explain`: the fault trace of one replication with every random draw made
//! concrete — when each fault struck, which nodes, for how long, which side of each
//! partition — written as scheduled faults that can be pasted into a scenario, or
//! emitted as a whole scenario that replays the replication.
//!
//! The replication is run once with a trace sink. Node faults of every kind (failure
//! processes, outages, bursts, random crashes, cascades, overload) are read from the
//! nodes' down and up events, merged per node as the engine merges them; network and
//! behaviour faults and pauses from their start and end. The groups of a random partition are not
//! traced, so they are drawn again from the fault's own stream, in the engine's order,
//! and the times that replay gives are checked against the traced ones.

use super::diagnostics::scenario_error;
use super::{bad, out_err, print, CliError};
use crate::compile::{load_file_with_model, Action, CompiledScenario, Loaded};
use crate::core::duration::{parse_flag_duration, Duration};
use crate::core::ids::NodeId;
use crate::core::record::FaultTag;
use crate::core::rng::{stream, Purpose};
use crate::core::time::SimTime;
use crate::net::shapes::{PartitionDraw, Shape, Split};
use crate::output::atomic::write_output;
use crate::scenarios::distribution::Distribution;
use crate::scenarios::model::{
    FaultAction, Faults, NodeList, NodeScope, Others, PartitionGroups, Scenario, ScheduledFault,
    ShapeScope,
};
use crate::sim::engine::Replication;
use crate::sim::faults::FaultRegistry;
use crate::sim::trace::{TraceEvent, TraceSink};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::path::Path;

/// What `explain` is asked.
pub(super) struct ExplainArgs<'a> {
    pub(super) scenario: &'a Path,
    pub(super) replication: u64,
    pub(super) seed: Option<u64>,
    pub(super) horizon: Option<&'a str>,
    pub(super) emit: Option<&'a Path>,
}

pub(super) fn explain(args: ExplainArgs) -> Result<(), CliError> {
    let Loaded {
        model,
        compiled: mut scenario,
    } = load_file_with_model(args.scenario).map_err(scenario_error)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if let Some(horizon) = args.horizon {
        let horizon = parse_flag_duration(horizon).map_err(|e| bad(format!("--horizon: {e}")))?;
        if horizon.nanos() == 0 {
            return Err(bad("--horizon must be longer than zero"));
        }
        scenario.horizon = horizon.nanos();
    }
    if args.replication >= scenario.replications {
        return Err(bad(format!(
            "--replication {} is beyond the scenario's {} replications (they are numbered from 0)",
            args.replication, scenario.replications
        )));
    }
    let faults = resolve(&model, &scenario, args.replication).map_err(bad)?;
    let count = faults.len();
    let crashes = faults
        .iter()
        .filter(|f| matches!(f.fault, FaultAction::Crash(_)))
        .count();
    let list = serde_json::to_string_pretty(&faults).expect("faults serialize") + "\n";
    if let Some(path) = args.emit {
        let text = emitted_scenario(model, &scenario, args.replication, faults);
        // What is emitted must load; if it does not, that is failsim's fault.
        crate::compile::load_str(&text, path).map_err(|e| {
            bad(format!(
                "the emitted scenario does not validate, which is a bug in failsim; please report it:\n{e}"
            ))
        })?;
        write_output(path, text.as_bytes()).map_err(|e| out_err(path, e))?;
        say!(
            "wrote replication {} as a scenario of scheduled faults to {}; `failsim run {} \
             --trace-replication {}` replays it with the same strategy draws",
            args.replication,
            path.display(),
            path.display(),
            args.replication
        );
    }
    if args.emit != Some(Path::new("-")) {
        print(&list)?;
        say!(
            "replication {} of `{}` (seed {}): {count} faults, {crashes} of them node crashes; \
             paste the list as `faults.scheduled` in place of every other fault (it holds the \
             effects of `dependencies` and `overload_cascade` too), or use --emit-scenario FILE",
            args.replication,
            scenario.name,
            scenario.seed,
        );
    }
    Ok(())
}

/// The scenario that replays replication `replication` of `scenario` with `faults`:
/// the file's `model` with only these scheduled faults, no dependencies and no overload
/// cascades (their crashes are among the faults), and enough replications to reach it.
fn emitted_scenario(
    mut model: Scenario,
    scenario: &CompiledScenario,
    replication: u64,
    faults: Vec<ScheduledFault>,
) -> String {
    model.name = Some(format!("{} replication {replication}", scenario.name));
    model.description = Some(format!(
        "Replication {replication} of `{}` (seed {}) with every random draw of its faults made \
         concrete by `failsim explain`. Strategy draws follow (seed, replication, service): \
         replication {replication} of this scenario meets the same ones.",
        scenario.name, scenario.seed
    ));
    model.seed = scenario.seed;
    model.replications = replication + 1;
    model.horizon = Some(Duration(scenario.horizon));
    model.faults = Faults {
        scheduled: faults,
        ..Faults::default()
    };
    for service in &mut model.services {
        service.active_active.overload_cascade = None;
    }
    serde_json::to_string_pretty(&model).expect("a scenario serializes") + "\n"
}

/// A node's time down, from its going down to its coming back (`None`: not before the
/// horizon), the fault that took it down, and the place of its start in the trace.
struct Down {
    node: NodeId,
    fault: FaultTag,
    start: SimTime,
    end: Option<SimTime>,
    order: u64,
}

/// The span of one instance of a fault, from its start to its end, and the place of
/// its start in the trace.
struct Span {
    fault: FaultTag,
    start: SimTime,
    end: Option<SimTime>,
    order: u64,
}

/// What makes down-times one crash: start, end and fault.
type CrashKey = (SimTime, Option<SimTime>, u32);

/// The trace sink: node down-times and fault spans, numbered in trace order (the order
/// the replay must keep among faults of one instant).
#[derive(Default)]
struct FaultLog {
    seen: u64,
    open_downs: BTreeMap<NodeId, (SimTime, FaultTag, u64)>,
    downs: Vec<Down>,
    open_spans: BTreeMap<u32, usize>,
    spans: Vec<Span>,
}

impl TraceSink for FaultLog {
    fn record(&mut self, at: SimTime, event: &TraceEvent) {
        self.seen += 1;
        let order = self.seen;
        match event {
            TraceEvent::NodeDown { node, fault } => {
                self.open_downs.insert(*node, (at, *fault, order));
            }
            TraceEvent::NodeUp { node } => {
                if let Some((start, fault, order)) = self.open_downs.remove(node) {
                    self.downs.push(Down {
                        node: *node,
                        fault,
                        start,
                        end: Some(at),
                        order,
                    });
                }
            }
            TraceEvent::FaultStart { fault, .. } => {
                self.open_spans.insert(fault.0, self.spans.len());
                self.spans.push(Span {
                    fault: *fault,
                    start: at,
                    end: None,
                    order,
                });
            }
            TraceEvent::FaultEnd { fault } => {
                if let Some(index) = self.open_spans.remove(&fault.0) {
                    self.spans[index].end = Some(at);
                }
            }
            // What services lived through is not a fault.
            _ => {}
        }
    }
}

impl FaultLog {
    /// Every down-time, those still open at the horizon included, in trace order.
    fn into_parts(mut self) -> (Vec<Down>, Vec<Span>) {
        for (node, (start, fault, order)) in std::mem::take(&mut self.open_downs) {
            self.downs.push(Down {
                node,
                fault,
                start,
                end: None,
                order,
            });
        }
        self.downs.sort_by_key(|d| d.order);
        (self.downs, self.spans)
    }
}

/// The faults of replication `replication` of `scenario` (compiled from `model`) as
/// scheduled faults, in the order they start. `Err` says why the replay of a random
/// partition did not match the trace (a bug: the engine's draws changed order).
fn resolve(
    model: &Scenario,
    scenario: &CompiledScenario,
    replication: u64,
) -> Result<Vec<ScheduledFault>, String> {
    let registry = FaultRegistry::new(&scenario.faults);
    let mut log = FaultLog::default();
    Replication::new(scenario, &registry, replication, Some(&mut log)).run();
    let (downs, spans) = log.into_parts();
    let name = |node: NodeId| scenario.topology.names.name(node).to_string();
    // Each fault with the place of its first event in the trace: the replay schedules
    // them in that order, so that faults of one instant strike in the order they did.
    let mut out: Vec<(u64, FaultTag, ScheduledFault)> = Vec::new();

    // Nodes that one fault took down at one instant and that came back together make
    // one crash, as a zone outage or a burst is one fault; its nodes in the order they
    // went down.
    let mut crashes: BTreeMap<CrashKey, (u64, Vec<NodeId>)> = BTreeMap::new();
    for down in &downs {
        crashes
            .entry((down.start, down.end, down.fault.0))
            .or_insert((down.order, Vec::new()))
            .1
            .push(down.node);
    }
    for ((start, end, tag), (order, nodes)) in crashes {
        out.push((
            order,
            FaultTag(tag),
            ScheduledFault {
                id: None,
                at: Duration(start.0),
                duration: end.map(|end| Distribution::Const(Duration(end.since(start)))),
                fault: FaultAction::Crash(NodeList {
                    nodes: nodes.into_iter().map(name).collect(),
                }),
                flap: None,
            },
        ));
    }

    let mut partition_draws: BTreeMap<u32, PartitionReplay> = BTreeMap::new();
    for span in &spans {
        let tag = span.fault.0;
        let action = if (registry.partitions..registry.bursts).contains(&tag) {
            let process = (tag - registry.partitions) as usize;
            let replay = partition_draws
                .entry(tag)
                .or_insert_with(|| PartitionReplay::new(scenario, &registry, replication, process));
            let split = replay.next(span)?;
            let draw = &scenario.faults.partitions[process].draw;
            drawn(scenario, draw, split)
        } else if (registry.scheduled..registry.node_processes).contains(&tag) {
            let index = (tag - registry.scheduled) as usize;
            let source = &model.faults.scheduled[index].fault;
            match (&scenario.faults.scheduled[index].action, source) {
                // Their crashes are among the down-times.
                (Action::Crash(_) | Action::CrashRandom { .. }, _) => None,
                (Action::RandomPartition(draw), _) => {
                    let mut rng = fault_stream(scenario, &registry, replication, tag);
                    let split = draw.draw(scenario.topology.len(), &mut rng);
                    if let (Some(end), Some(duration)) =
                        (span.end, &scenario.faults.scheduled[index].duration)
                    {
                        check_replay(
                            span,
                            span.start,
                            span.start.after(duration.sample(&mut rng)),
                            end,
                        )?;
                    }
                    drawn(scenario, draw, split)
                }
                _ => Some(source.clone()),
            }
        } else if (registry.outages..registry.partitions).contains(&tag) {
            // Pauses are not down-times; outages' crashes are.
            let outage = &scenario.faults.outages[(tag - registry.outages) as usize];
            outage.pause.then(|| {
                FaultAction::Pause(NodeList {
                    nodes: outage.nodes.iter().map(|&node| name(node)).collect(),
                })
            })
        } else {
            // Bursts: their crashes are among the down-times.
            None
        };
        if let Some(action) = action {
            out.push((
                span.order,
                span.fault,
                ScheduledFault {
                    id: None,
                    at: Duration(span.start.0),
                    duration: span
                        .end
                        // A pause needs a length: one still on lasts to the horizon.
                        .or_else(|| {
                            matches!(action, FaultAction::Pause(_))
                                .then_some(SimTime(scenario.horizon))
                        })
                        .map(|end| Distribution::Const(Duration(end.since(span.start)))),
                    fault: action,
                    // Each cut of a flapping fault is a span of its own.
                    flap: None,
                },
            ));
        }
    }
    out.sort_by_key(|(order, _, _)| *order);
    let mut ids = FaultIds::default();
    Ok(out
        .into_iter()
        .map(|(_, tag, mut fault)| {
            fault.id = Some(ids.next(registry.id(tag)));
            fault
        })
        .collect())
}

/// Ids for the scheduled faults: the fault's own id and the number of its instance,
/// `node_failures[0]#3`, unique as scheduled ids must be.
#[derive(Default)]
struct FaultIds {
    seen: BTreeMap<String, u32>,
}

impl FaultIds {
    fn next(&mut self, id: &str) -> String {
        let count = self.seen.entry(id.to_string()).or_insert(0);
        *count += 1;
        format!("{id}#{count}")
    }
}

/// The scheduled fault that does what a random partition drew.
fn drawn(scenario: &CompiledScenario, draw: &PartitionDraw, split: Split) -> Option<FaultAction> {
    let rule = match split {
        Split::Groups(group_of) => return partition(scenario, &group_of),
        Split::Rule(rule) => rule,
    };
    let name = |node: NodeId| scenario.topology.names.name(node).to_string();
    let in_order = || ShapeScope {
        scope: NodeScope::Nodes(rule.sides().iter().map(|&(node, _)| name(node)).collect()),
    };
    match draw.shape {
        Shape::MajoritiesRing => Some(FaultAction::MajoritiesRing(in_order())),
        Shape::Bridge => Some(FaultAction::Bridge(in_order())),
        _ => {
            let mut groups: BTreeMap<u32, Vec<String>> = BTreeMap::new();
            for &(node, side) in rule.sides() {
                groups.entry(side).or_default().push(name(node));
            }
            (groups.len() >= 2).then(|| {
                FaultAction::Partition(PartitionGroups {
                    groups: groups.into_values().collect(),
                    others: Others::Untouched,
                })
            })
        }
    }
}

/// A partition with explicit groups of node names; `None` when the draw left a single
/// group (two nodes split three ways), which partitions nothing.
fn partition(scenario: &CompiledScenario, group_of: &[u16]) -> Option<FaultAction> {
    let mut groups: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for (node, &group) in group_of.iter().enumerate() {
        groups
            .entry(group)
            .or_default()
            .push(scenario.topology.names.name(NodeId::new(node)).to_string());
    }
    (groups.len() >= 2).then(|| {
        FaultAction::Partition(PartitionGroups {
            groups: groups.into_values().collect(),
            others: Others::FirstGroup,
        })
    })
}

/// The stream of fault `tag` in replication `replication`, as the engine derives it.
fn fault_stream(
    scenario: &CompiledScenario,
    registry: &FaultRegistry,
    replication: u64,
    tag: u32,
) -> ChaCha8Rng {
    let key = registry
        .stream_key(FaultTag(tag))
        .expect("random faults have streams");
    stream(scenario.seed, replication, Purpose::Fault(key))
}

/// Replays the draws of one random partition process in the engine's order: the first
/// arrival, then for each partition its split and length and the next arrival.
struct PartitionReplay<'s> {
    scenario: &'s CompiledScenario,
    process: usize,
    rng: ChaCha8Rng,
    next_start: SimTime,
}

impl<'s> PartitionReplay<'s> {
    fn new(
        scenario: &'s CompiledScenario,
        registry: &FaultRegistry,
        replication: u64,
        process: usize,
    ) -> Self {
        let tag = registry.partitions + process as u32;
        let mut rng = fault_stream(scenario, registry, replication, tag);
        let first = scenario.faults.partitions[process].healed_length(&mut rng);
        PartitionReplay {
            scenario,
            process,
            rng,
            next_start: SimTime(first),
        }
    }

    /// The groups of the partition the trace shows as `span`, after checking that the
    /// replayed draws put it where the trace does.
    fn next(&mut self, span: &Span) -> Result<Split, String> {
        let spec = &self.scenario.faults.partitions[self.process];
        let start = self.next_start;
        let groups = spec.draw.draw(self.scenario.topology.len(), &mut self.rng);
        let end = start.after(spec.cut_length(&mut self.rng));
        self.next_start = end.after(spec.healed_length(&mut self.rng));
        check_replay(span, start, end, span.end.unwrap_or(end))?;
        Ok(groups)
    }
}

/// The replayed start and end of a fault must be the traced ones.
fn check_replay(
    span: &Span,
    start: SimTime,
    end: SimTime,
    traced_end: SimTime,
) -> Result<(), String> {
    if start == span.start && end == traced_end {
        Ok(())
    } else {
        Err(format!(
            "explain could not retrace a random partition (replayed {}–{} ns, traced {}–{} ns); \
             this is a bug in failsim, please report it",
            start.0, end.0, span.start.0, traced_end.0
        ))
    }
}
