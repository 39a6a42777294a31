//! The network at run time: which nodes are up, active partitions, cut and degraded
//! links, and the reachability and latency they imply.
//!
//! Reachability and shortest paths are cached per network epoch: the epoch advances
//! only when a node, link or partition changes, never per message.
//!
//! Two kinds of partition. A *symmetric* one (groups) splits paths: two nodes talk only
//! if they share a group in every active partition, which each node's `label` (a sum of
//! one hash per partition and group) answers in one comparison. A *directed* one
//! ([`ReachRule`]: one-way cuts, Jepsen's non-transitive `majorities_ring` and `bridge`)
//! is a rule on the message's two ends, as a firewall drops packets: whether `from` may
//! send to `to`, whatever the path (a relay cannot route round it). Starting or ending
//! either costs work in the nodes it moves or rules, never in the other active ones.

use super::topology::{NodeId, Topology};
use crate::core::rng::{MessageStreams, StreamKey};
use crate::core::time::Nanos;
use petgraph::unionfind::UnionFind;
use petgraph::visit::{EdgeFiltered, EdgeRef};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Who is looking: a node, or the global observer that reaches every up node.
pub(crate) type Observer = Option<NodeId>;

/// How many faults hold something down at once ("causes"). Each cause is added by one
/// processed event and is counted as wide as the event counter (`u64`), so no number of
/// overlapping faults can wrap it and bring back a node or link that must stay down
/// (65,536 overlapping crashes wrapped the `u16` this used to be).
pub(crate) type Causes = u64;

#[derive(Clone, Copy, Debug, Default)]
struct LinkFault {
    /// Cuts of both directions.
    cuts: Causes,
    /// Cuts of one direction: [0] drops messages from the lower node id to the higher,
    /// [1] the reverse.
    one_way: [Causes; 2],
    added_latency: Nanos,
    loss: f64,
}

impl LinkFault {
    /// Whether the link carries messages from `from` to `to` (its two ends).
    fn carries(&self, from: NodeId, to: NodeId) -> bool {
        self.cuts == 0 && self.one_way[usize::from(from > to)] == 0
    }
}

/// A directed, possibly non-transitive partition over some nodes (its scope): each
/// member has a side, and `from` may send to `to` iff both are members and the rule
/// lets their sides through, or either is outside the scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReachRule {
    /// Each member and its side.
    members: Vec<(NodeId, u32)>,
    /// Which sides hear which.
    shape: RuleShape,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum RuleShape {
    /// Only nodes of the same side talk.
    Groups,
    /// Side 0 cannot send to side 1; everything else goes through.
    OneWay,
    /// Sides 0 and 2 are cut apart; side 1 talks to both.
    Bridge,
    /// n sides in a ring: side `to` hears the `before` sides before it, itself and the
    /// `after` sides after it (computed, not tabled: a ring may span 10⁵ nodes).
    Ring { n: u32, before: u32, after: u32 },
}

impl ReachRule {
    /// Messages from `from` to `to` are dropped, the reverse delivered (the two lists are
    /// disjoint); every other pair is untouched.
    pub(crate) fn one_way(from: &[NodeId], to: &[NodeId]) -> Self {
        let members = from
            .iter()
            .map(|&n| (n, 0))
            .chain(to.iter().map(|&n| (n, 1)))
            .collect();
        ReachRule {
            members,
            shape: RuleShape::OneWay,
        }
    }

    /// Groups among the listed nodes only: two members talk iff on the same side;
    /// nodes outside talk to every side (clients of a partitioned group of replicas).
    pub(crate) fn groups(members: impl IntoIterator<Item = (NodeId, u16)>) -> Self {
        ReachRule {
            members: members
                .into_iter()
                .map(|(node, side)| (node, u32::from(side)))
                .collect(),
            shape: RuleShape::Groups,
        }
    }

    /// Jepsen's `majorities-ring`: the nodes in a ring; each hears the window of a
    /// majority m = ⌊n/2⌋ + 1 of consecutive nodes around it (⌊m/2⌋ before it, the rest
    /// after it, itself included), so every node hears a majority and no two hear the
    /// same one (needs 3 nodes or more; symmetric when m is odd).
    pub(crate) fn majorities_ring(ring: &[NodeId]) -> Self {
        let n = ring.len() as u32;
        let majority = n / 2 + 1;
        let before = majority / 2;
        ReachRule {
            members: ring
                .iter()
                .enumerate()
                .map(|(i, &n)| (n, i as u32))
                .collect(),
            shape: RuleShape::Ring {
                n,
                before,
                after: majority - 1 - before,
            },
        }
    }

    /// Jepsen's `bridge`: the nodes cut in two halves, but for one node in the middle
    /// that talks to both (needs 3 nodes or more). With n nodes, the first ⌊n/2⌋ form
    /// one half, the next one is the bridge, the rest the other half (Jepsen's bisection).
    pub(crate) fn bridge(nodes: &[NodeId]) -> Self {
        let middle = nodes.len() / 2;
        let members = nodes
            .iter()
            .enumerate()
            .map(|(i, &n)| (n, (i.cmp(&middle) as i8 + 1) as u32))
            .collect();
        ReachRule {
            members,
            shape: RuleShape::Bridge,
        }
    }

    /// Each member and its side (0, 1, … in the order the shape defines them).
    pub(crate) fn sides(&self) -> &[(NodeId, u32)] {
        &self.members
    }

    fn delivers(&self, from_side: u32, to_side: u32) -> bool {
        match self.shape {
            RuleShape::Groups => from_side == to_side,
            RuleShape::OneWay => !(from_side == 0 && to_side == 1),
            RuleShape::Bridge => from_side.abs_diff(to_side) != 2,
            RuleShape::Ring { n, before, after } => {
                let ahead = (from_side + n - to_side) % n;
                ahead <= after || ahead >= n - before
            }
        }
    }
}

/// The delays on a message's path: a fixed part, and the jittered links crossed (as
/// jitter codes of the topology: an index into [`Topology::jitters`] plus one), whose
/// delays each message draws.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Route {
    /// The sum of the fixed latencies and added latencies on the path.
    pub fixed: Nanos,
    /// The jittered links crossed, in path order.
    pub jittered: Vec<u32>,
}

#[derive(Default)]
struct PathCache {
    epoch: u64,
    components: Option<Vec<usize>>,
    distances: BTreeMap<NodeId, Vec<Nanos>>,
}

/// Mutable network state of one replication.
pub(crate) struct Network {
    topology: Arc<Topology>,
    down_causes: Vec<Causes>,
    /// Per node, the reasons it neither sends nor answers: each crash and each pause
    /// (DESIGN §5: a paused node keeps its state but is silent). Reachability reads this
    /// alone, so a pause costs the hot path nothing.
    silent: Vec<Causes>,
    /// The pauses in force, (node, fault): a crash ends its node's (the process dies; a
    /// repair restarts it fresh, not frozen), so their later resumes find nothing.
    pauses: BTreeSet<(NodeId, u32)>,
    /// Active symmetric partitions by fault: the nodes not in group 0, with their group
    /// (by fault, so that a heal finds its own in a lookup, not a scan of the others).
    partitions: BTreeMap<u32, Vec<(NodeId, u16)>>,
    /// Per node, the wrapping sum of [`side_hash`] over its symmetric partitions where it
    /// is not in group 0: equal labels ⇔ the same group in every one (but for a 128-bit
    /// hash collision, below 2⁻⁹⁰ for 10⁵ nodes and 10⁴ partitions).
    label: Vec<u128>,
    /// Active directed rules by fault.
    rules: BTreeMap<u32, ReachRule>,
    /// Per node, the rules it is a member of, with its side.
    sides_of: Vec<Vec<(u32, u32)>>,
    link_faults: BTreeMap<(NodeId, NodeId), LinkFault>,
    /// One-way link cuts in force: while there are none, links carry both ways and
    /// reachability over explicit links is read from connected components.
    one_way_cuts: Causes,
    epoch: u64,
    cache: RefCell<PathCache>,
    /// Where messages over jittered links draw their delays; None while no latency is
    /// jittered (nothing is drawn then).
    messages: Option<MessageStreams>,
}

/// A well-mixed 128-bit hash of (partition, group): SplitMix64's finaliser on each half.
fn side_hash(fault: u32, group: u16) -> u128 {
    fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    let seed = (u64::from(fault) << 16 | u64::from(group)).wrapping_add(0x9e37_79b9_7f4a_7c15);
    u128::from(mix(seed)) << 64 | u128::from(mix(seed ^ 0x6a09_e667_f3bc_c909))
}

fn link_key(a: NodeId, b: NodeId) -> (NodeId, NodeId) {
    (a.min(b), a.max(b))
}

impl Network {
    /// All nodes up, no partition, no link fault.
    pub(crate) fn new(topology: Arc<Topology>) -> Self {
        let n = topology.len();
        Network {
            topology,
            down_causes: vec![0; n],
            silent: vec![0; n],
            pauses: BTreeSet::new(),
            partitions: BTreeMap::new(),
            label: vec![0; n],
            rules: BTreeMap::new(),
            sides_of: vec![Vec::new(); n],
            link_faults: BTreeMap::new(),
            one_way_cuts: 0,
            epoch: 1,
            messages: None,
            cache: RefCell::new(PathCache::default()),
        }
    }

    /// This network as [`Network::new`] makes it for `topology`, keeping its per-node
    /// tables' allocations: a thread's next replication starts from them.
    pub(crate) fn reset(&mut self, topology: &Arc<Topology>) {
        let n = topology.len();
        if !Arc::ptr_eq(&self.topology, topology) {
            self.topology = topology.clone();
        }
        for table in [&mut self.down_causes, &mut self.silent] {
            table.clear();
            table.resize(n, 0);
        }
        self.label.clear();
        self.label.resize(n, 0);
        self.sides_of.truncate(n);
        self.sides_of.iter_mut().for_each(Vec::clear);
        self.sides_of.resize(n, Vec::new());
        self.pauses.clear();
        self.partitions.clear();
        self.rules.clear();
        self.link_faults.clear();
        self.one_way_cuts = 0;
        self.epoch = 1;
        self.messages = None;
        *self.cache.get_mut() = PathCache::default();
    }

    /// The network whose messages draw their delays over jittered links from the
    /// message streams of replication `replication` of a run seeded `seed`.
    pub(crate) fn with_message_streams(mut self, seed: u64, replication: u64) -> Self {
        if self.topology.jittered() {
            self.messages = Some(MessageStreams::new(seed, replication));
        }
        self
    }

    /// The delay of the message named `message` (its stable identity) on `route`: the
    /// fixed part plus one draw per jittered link crossed, in path order, from the
    /// message's own stream. Nothing is drawn on a route without jitter.
    pub(crate) fn delay(&self, route: &Route, message: impl FnOnce() -> StreamKey) -> Nanos {
        let (Some(streams), false) = (&self.messages, route.jittered.is_empty()) else {
            return route.fixed;
        };
        let jitters = &self.topology.jitters;
        streams.draw(message(), |rng| {
            route.jittered.iter().fold(route.fixed, |total, &code| {
                total.saturating_add(jitters[code as usize - 1].sample(rng))
            })
        })
    }

    /// The delay of the message named `message` sent now from `from` to `to` over the
    /// shortest usable path ([`Network::route`], [`Network::delay`]); None when `to` is
    /// unreachable. Exactly [`Network::latency`] while no latency is jittered.
    pub(crate) fn message_delay(
        &self,
        from: Observer,
        to: NodeId,
        message: impl FnOnce() -> StreamKey,
    ) -> Option<Nanos> {
        if self.messages.is_none() {
            return self.latency(from, to);
        }
        self.route(from, to)
            .map(|route| self.delay(&route, message))
    }

    /// The static topology.
    pub(crate) fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Whether a node is up.
    pub(crate) fn is_up(&self, node: NodeId) -> bool {
        self.down_causes[node.index()] == 0
    }

    /// Hints that `node`'s state will be read soon (see [`crate::core::prefetch`]).
    pub(crate) fn prefetch(&self, node: NodeId) {
        if let (Some(silent), Some(down)) = (
            self.silent.get(node.index()),
            self.down_causes.get(node.index()),
        ) {
            crate::core::prefetch::prefetch(silent);
            crate::core::prefetch::prefetch(down);
        }
    }

    /// Adds one reason for `node` to be down; returns true if it just went down. A crash
    /// ends the node's pauses: the process dies, and its repair restarts it running.
    pub(crate) fn crash(&mut self, node: NodeId) -> bool {
        self.silent[node.index()] += 1;
        let causes = &mut self.down_causes[node.index()];
        *causes += 1;
        let went_down = *causes == 1;
        if went_down {
            if !self.pauses.is_empty() {
                self.end_pauses(node);
            }
            self.epoch += 1;
        }
        went_down
    }

    /// Ends every pause of `node` (it crashed).
    fn end_pauses(&mut self, node: NodeId) {
        let ended: Vec<(NodeId, u32)> = self
            .pauses
            .range((node, 0)..=(node, u32::MAX))
            .copied()
            .collect();
        for pause in &ended {
            self.pauses.remove(pause);
        }
        self.silent[node.index()] -= ended.len() as Causes;
    }

    /// Removes one reason for `node` to be down; returns true if it just came up.
    pub(crate) fn repair(&mut self, node: NodeId) -> bool {
        let causes = &mut self.down_causes[node.index()];
        debug_assert!(*causes > 0, "repair of a node that is not down");
        *causes = causes.saturating_sub(1);
        let silent = &mut self.silent[node.index()];
        *silent = silent.saturating_sub(1);
        let came_up = *causes == 0;
        if came_up {
            self.epoch += 1;
        }
        came_up
    }

    /// Starts pause `fault` of `node`: it stays up, keeping its state, but neither sends
    /// nor answers nor forwards; returns true if it was running before. A node that is
    /// down has no process to freeze: the pause does nothing (its repair restarts it
    /// running), and neither does its end.
    pub(crate) fn pause(&mut self, node: NodeId, fault: u32) -> bool {
        let was_running = !self.is_paused(node);
        if !self.is_up(node) || !self.pauses.insert((node, fault)) {
            return false;
        }
        self.silent[node.index()] += 1;
        self.epoch += 1;
        was_running
    }

    /// Ends pause `fault` of `node`; returns true if the node runs again. Nothing
    /// changes if a crash ended the pause first.
    pub(crate) fn resume(&mut self, node: NodeId, fault: u32) -> bool {
        if !self.pauses.remove(&(node, fault)) {
            return false;
        }
        self.silent[node.index()] -= 1;
        self.epoch += 1;
        !self.is_paused(node)
    }

    /// Advances with every change of the network (crash, repair, pause, resume,
    /// partition, heal, cut, degradation): what is derived from it may be kept until then.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Whether `node` is paused (whether or not it is also down).
    pub(crate) fn is_paused(&self, node: NodeId) -> bool {
        self.silent[node.index()] > self.down_causes[node.index()]
    }

    /// Whether `node` is up and not paused: it sends, answers and forwards.
    pub(crate) fn answers(&self, node: NodeId) -> bool {
        self.silent[node.index()] == 0
    }

    /// Starts partition `fault`: nodes talk only within their group (`group_of` by node).
    pub(crate) fn partition(&mut self, fault: u32, group_of: &[u16]) {
        let moved: Vec<(NodeId, u16)> = group_of
            .iter()
            .enumerate()
            .filter(|&(_, &g)| g != 0)
            .map(|(node, &g)| (NodeId::new(node), g))
            .collect();
        for &(node, group) in &moved {
            let label = &mut self.label[node.index()];
            *label = label.wrapping_add(side_hash(fault, group));
        }
        let earlier = self.partitions.insert(fault, moved);
        debug_assert!(earlier.is_none(), "partition {fault} started twice");
        self.epoch += 1;
    }

    /// Starts directed partition `fault`.
    pub(crate) fn restrict(&mut self, fault: u32, rule: ReachRule) {
        for &(node, side) in &rule.members {
            self.sides_of[node.index()].push((fault, side));
        }
        self.rules.insert(fault, rule);
        self.epoch += 1;
    }

    /// Ends partition `fault`, symmetric or directed.
    pub(crate) fn heal(&mut self, fault: u32) {
        if let Some(moved) = self.partitions.remove(&fault) {
            for (node, group) in moved {
                let label = &mut self.label[node.index()];
                *label = label.wrapping_sub(side_hash(fault, group));
            }
        }
        if let Some(rule) = self.rules.remove(&fault) {
            for (node, _) in rule.members {
                self.sides_of[node.index()].retain(|&(f, _)| f != fault);
            }
        }
        self.epoch += 1;
    }

    /// Whether reachability is symmetric now (no directed rule and no one-way link cut
    /// is active): `a` reaches `b` iff `b` reaches `a`, so a round trip needs one check.
    pub(crate) fn symmetric(&self) -> bool {
        self.rules.is_empty() && self.one_way_cuts == 0
    }

    /// Whether every directed rule lets a message from `from` to `to` through. Kept out
    /// of line: callers test `rules.is_empty()` first, and inlined, this loop made the
    /// common case (no rule) spill registers in `reachable`.
    #[inline(never)]
    fn delivers(&self, from: NodeId, to: NodeId) -> bool {
        let to_sides = &self.sides_of[to.index()];
        self.sides_of[from.index()]
            .iter()
            .all(|&(fault, from_side)| {
                to_sides
                    .iter()
                    .find(|&&(f, _)| f == fault)
                    .is_none_or(|&(_, to_side)| self.rules[&fault].delivers(from_side, to_side))
            })
    }

    /// Cuts (`cut = true`) or restores one link: both ways, or (`one_way`) only for
    /// messages from `a` to `b`, which then take another path if there is one.
    pub(crate) fn set_link_cut(&mut self, a: NodeId, b: NodeId, one_way: bool, cut: bool) {
        let fault = self.link_faults.entry(link_key(a, b)).or_default();
        let count = if one_way {
            &mut fault.one_way[usize::from(a > b)]
        } else {
            &mut fault.cuts
        };
        let before = *count;
        *count = if cut {
            before + 1
        } else {
            before.saturating_sub(1)
        };
        if one_way {
            self.one_way_cuts = self.one_way_cuts + *count - before;
        }
        self.epoch += 1;
    }

    /// Sets the added latency and loss of one link (zero and zero restore it).
    pub(crate) fn degrade_link(&mut self, a: NodeId, b: NodeId, added_latency: Nanos, loss: f64) {
        let fault = self.link_faults.entry(link_key(a, b)).or_default();
        fault.added_latency = added_latency;
        fault.loss = loss;
        self.epoch += 1;
    }

    fn link_fault(&self, a: NodeId, b: NodeId) -> LinkFault {
        if self.link_faults.is_empty() {
            return LinkFault::default();
        }
        self.link_faults
            .get(&link_key(a, b))
            .copied()
            .unwrap_or_default()
    }

    /// Whether the link from `a` to `b` carries a message now (in that direction).
    fn link_usable(&self, a: NodeId, b: NodeId) -> bool {
        self.answers(a)
            && self.answers(b)
            && (self.partitions.is_empty() || self.label[a.index()] == self.label[b.index()])
            && (self.link_faults.is_empty() || self.link_carries(a, b))
    }

    /// Whether the link a–b, under faults, carries messages from `a` to `b`. Out of line:
    /// inlined, building the default fault of an unfaulted link cost `link_usable` (hot
    /// in every path search) 40 % more instructions.
    #[inline(never)]
    fn link_carries(&self, a: NodeId, b: NodeId) -> bool {
        self.link_faults
            .get(&link_key(a, b))
            .is_none_or(|fault| fault.carries(a, b))
    }

    /// Whether `to` is up, not paused, and a message from `from` reaches it.
    pub(crate) fn reachable(&self, from: Observer, to: NodeId) -> bool {
        let Some(from) = from else {
            return self.answers(to);
        };
        if from == to {
            return self.answers(to);
        }
        if !self.answers(from) || !self.answers(to) {
            return false;
        }
        if !self.rules.is_empty() && !self.delivers(from, to) {
            return false;
        }
        if self.topology.implied.is_some() {
            self.link_usable(from, to) || self.implied_detour(from, to).is_some()
        } else if self.one_way_cuts == 0 {
            self.with_cache(|network, cache| {
                let components = cache.components.get_or_insert_with(|| network.components());
                components[from.index()] == components[to.index()]
            })
        } else {
            self.reachable_one_way(from, to)
        }
    }

    /// Reachability over explicit links while some are cut one way: directed, read from
    /// the shortest paths (out of line, so the common case keeps its code).
    #[inline(never)]
    fn reachable_one_way(&self, from: NodeId, to: NodeId) -> bool {
        self.with_cache(|network, cache| {
            let distances = cache
                .distances
                .entry(from)
                .or_insert_with(|| network.shortest_paths(from));
            distances[to.index()] != Nanos::MAX
        })
    }

    /// Whether `to` is up and a message from `from` reaches it, judged without searching
    /// for a detour over implied links: exact while no link is cut (a detour through a
    /// third node needs it up and on the side of both ends, so the direct link is open
    /// too), so validation can ask it of many pairs of a 10⁵-node topology.
    pub(crate) fn reachable_uncut(&self, from: NodeId, to: NodeId) -> bool {
        if self.topology.implied.is_none() || from == to {
            return self.reachable(Some(from), to);
        }
        self.answers(from)
            && self.answers(to)
            && (self.rules.is_empty() || self.delivers(from, to))
            && self.label[from.index()] == self.label[to.index()]
    }

    /// One-way message delay from `from` to `to` over the shortest usable path.
    pub(crate) fn latency(&self, from: Observer, to: NodeId) -> Option<Nanos> {
        let Some(from) = from else {
            return self.answers(to).then_some(0);
        };
        if !self.reachable(Some(from), to) {
            return None;
        }
        if from == to {
            return Some(0);
        }
        if self.topology.implied.is_some() {
            if self.link_usable(from, to) {
                let direct = self.topology.implied_latency(from, to)?;
                Some(direct + self.link_fault(from, to).added_latency)
            } else {
                self.implied_detour(from, to)
            }
        } else {
            self.with_cache(|network, cache| {
                let distances = cache
                    .distances
                    .entry(from)
                    .or_insert_with(|| network.shortest_paths(from));
                let d = distances[to.index()];
                (d != Nanos::MAX).then_some(d)
            })
        }
    }

    /// The delays a message from `from` to `to` meets on the shortest usable path (by
    /// mean latency): its fixed part, and the jittered links it crosses, whose delays
    /// the message draws when it is sent. None when `to` is unreachable. The same path
    /// and total mean as [`Network::latency`]; while no latency is jittered, the route
    /// is that latency and nothing else.
    pub(crate) fn route(&self, from: Observer, to: NodeId) -> Option<Route> {
        let fixed = |latency| Route {
            fixed: latency,
            jittered: Vec::new(),
        };
        if !self.topology.jittered() {
            return self.latency(from, to).map(fixed);
        }
        let Some(from) = from else {
            return self.is_up(to).then(|| fixed(0));
        };
        if !self.reachable(Some(from), to) {
            return None;
        }
        if from == to {
            return Some(fixed(0));
        }
        let mut route = fixed(0);
        if self.topology.implied.is_some() {
            if self.link_usable(from, to) {
                self.add_implied_hop(&mut route, from, to);
            } else {
                let (via, _) = self.implied_detour_via(from, to)?;
                self.add_implied_hop(&mut route, from, via);
                self.add_implied_hop(&mut route, via, to);
            }
            return Some(route);
        }
        let distances = self.with_cache(|network, cache| {
            cache
                .distances
                .entry(from)
                .or_insert_with(|| network.shortest_paths(from))
                .clone()
        });
        // Walk back from `to` along links that lie on a shortest path (the first such
        // link in edge order at each step), then read the hops from `from` onwards.
        let graph = &self.topology.graph;
        let mut hops = Vec::new();
        let mut at = to;
        while at != from {
            let hop = graph
                .edges(Topology::graph_index(at))
                .find_map(|edge| {
                    let other = Topology::node_at(if edge.source() == Topology::graph_index(at) {
                        edge.target()
                    } else {
                        edge.source()
                    });
                    let cost = *edge.weight() + self.link_fault(other, at).added_latency;
                    let on_path = self.link_usable(other, at)
                        && distances[other.index()] != Nanos::MAX
                        && distances[other.index()] + cost == distances[at.index()];
                    on_path.then_some((other, edge.id().index(), cost))
                })
                .expect("a reachable node lies at the end of a shortest path");
            hops.push(hop);
            at = hop.0;
        }
        for &(_, edge, cost) in hops.iter().rev() {
            match self.topology.link_jitter.get(edge).copied().unwrap_or(0) {
                0 => route.fixed += cost,
                code => {
                    route.fixed += cost - self.topology.graph.raw_edges()[edge].weight;
                    route.jittered.push(code);
                }
            }
        }
        Some(route)
    }

    fn add_implied_hop(&self, route: &mut Route, a: NodeId, b: NodeId) {
        let (latency, code) = self
            .topology
            .implied_link(a, b)
            .expect("implied links join every pair");
        route.fixed += self.link_fault(a, b).added_latency;
        if code == 0 {
            route.fixed += latency;
        } else {
            route.jittered.push(code);
        }
    }

    /// Probability that one probe from `from` to `to` is lost on degraded links.
    pub(crate) fn probe_loss(&self, from: Observer, to: NodeId) -> f64 {
        let Some(from) = from else { return 0.0 };
        if self.link_faults.is_empty() {
            return 0.0;
        }
        // Degradation is counted on the direct link only; with explicit links the
        // degraded link's loss applies when it joins the two nodes directly.
        self.link_fault(from, to).loss
    }

    fn implied_detour(&self, from: NodeId, to: NodeId) -> Option<Nanos> {
        self.implied_detour_via(from, to)
            .map(|(_, latency)| latency)
    }

    /// The node of the shortest detour from `from` to `to` over implied links (the first
    /// of equal ones), and the detour's latency.
    fn implied_detour_via(&self, from: NodeId, to: NodeId) -> Option<(NodeId, Nanos)> {
        let topology = &self.topology;
        (0..topology.len())
            .map(NodeId::new)
            .filter(|&via| via != from && via != to)
            .filter(|&via| self.link_usable(from, via) && self.link_usable(via, to))
            .filter_map(|via| {
                let first =
                    topology.implied_latency(from, via)? + self.link_fault(from, via).added_latency;
                let second =
                    topology.implied_latency(via, to)? + self.link_fault(via, to).added_latency;
                Some((via, first + second))
            })
            .min_by_key(|&(_, latency)| latency)
    }

    fn with_cache<T>(&self, f: impl FnOnce(&Self, &mut PathCache) -> T) -> T {
        let mut cache = self.cache.borrow_mut();
        if cache.epoch != self.epoch {
            cache.epoch = self.epoch;
            cache.components = None;
            cache.distances.clear();
        }
        f(self, &mut cache)
    }

    fn components(&self) -> Vec<usize> {
        let graph = &self.topology.graph;
        let mut sets = UnionFind::<usize>::new(self.topology.len());
        for edge in graph.edge_references() {
            let (a, b) = (
                Topology::node_at(edge.source()),
                Topology::node_at(edge.target()),
            );
            if self.link_usable(a, b) {
                sets.union(a.index(), b.index());
            }
        }
        sets.into_labeling()
    }

    /// Shortest distances from `from` over the links usable in the direction crossed
    /// (petgraph hands an undirected graph's edges to the filter oriented from the node
    /// being expanded).
    fn shortest_paths(&self, from: NodeId) -> Vec<Nanos> {
        let graph = &self.topology.graph;
        let usable = EdgeFiltered::from_fn(graph, |edge: petgraph::graph::EdgeReference<Nanos>| {
            self.link_usable(
                Topology::node_at(edge.source()),
                Topology::node_at(edge.target()),
            )
        });
        let costs = petgraph::algo::dijkstra(&usable, Topology::graph_index(from), None, |edge| {
            let (a, b) = (
                Topology::node_at(edge.source()),
                Topology::node_at(edge.target()),
            );
            *edge.weight() + self.link_fault(a, b).added_latency
        });
        let mut distances = vec![Nanos::MAX; self.topology.len()];
        for (node, cost) in costs {
            distances[node.index()] = cost;
        }
        distances
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Nanos = 1_000_000;

    fn two_nodes() -> Network {
        nodes(2)
    }

    /// `n` nodes in one zone, fully meshed.
    fn nodes(n: usize) -> Network {
        let ids: Vec<String> = (0..n).map(|i| format!(r#"{{"id": "n{i}"}}"#)).collect();
        let scenario = crate::compile::load_str(
            &format!(
                r#"{{"horizon": "1h", "topology": {{"nodes": [{}]}},
                    "services": [{{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["n0", "n1"]}}]}}"#,
                ids.join(", ")
            ),
            std::path::Path::new("t.json"),
        )
        .unwrap();
        Network::new(scenario.topology.clone())
    }

    /// a – b (jittered U[1 ms, 3 ms]), b – c (4 ms), a – c (10 ms), a mesh star generator
    /// of jittered links beside them, and message streams of replication 0.
    fn jittered_links() -> Network {
        let scenario = crate::compile::load_str(
            r#"{"horizon": "1h", "topology": {
                "nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
                "links": [{"from": "a", "to": "b", "latency": {"uniform": {"min": "1ms", "max": "3ms"}}},
                          {"from": "b", "to": "c", "latency": "4ms"},
                          {"from": "a", "to": "c", "latency": {"const": "10ms"}}],
                "generators": [{"star": {"nodes": 2, "prefix": "s", "latency": {"exp": {"mean": "1ms"}}}}]},
                "services": [{"name": "s", "strategy": "ACTIVE_PASSIVE", "replicas": ["a", "c"]}]}"#,
            std::path::Path::new("t.json"),
        )
        .unwrap();
        Network::new(scenario.topology.clone()).with_message_streams(1, 0)
    }

    #[test]
    fn a_route_over_explicit_links_sums_a_draw_per_jittered_hop_and_the_fixed_rest() {
        let mut network = jittered_links();
        let node = |name| network.topology().names.get(name).unwrap();
        let (a, b, c) = (node("a"), node("b"), node("c"));
        // By mean latency a → b → c (2 + 4 ms) beats the direct 10 ms link.
        let route = network.route(Some(a), c).unwrap();
        assert_eq!(route.fixed, 4 * MS);
        // (Generators' latencies are read first: the star's jitter is the first.)
        assert_eq!(route.jittered, vec![2]);
        assert_eq!(network.latency(Some(a), c), Some(6 * MS));
        // The generator's links share one jitter of their own.
        assert_eq!(network.topology().jitters.len(), 2);
        let (hub, leaf) = (node("s0"), node("s1"));
        assert_eq!(network.route(Some(hub), leaf).unwrap().jittered, vec![1]);
        // A message's delay is the fixed part plus its own draw, the same for the same
        // identity, within the uniform's bounds.
        let key = |i: u64| StreamKey::of(&[i.to_le_bytes()]);
        let delays: Vec<Nanos> = (0..200).map(|i| network.delay(&route, || key(i))).collect();
        assert!(delays.iter().all(|d| (5 * MS..=7 * MS).contains(d)));
        assert_eq!(network.delay(&route, || key(3)), delays[3]);
        assert!(delays.iter().any(|&d| d != delays[0]));
        // Cut a – b: the fixed direct link is the path, and nothing is drawn on it.
        network.set_link_cut(a, b, false, true);
        let direct = network.route(Some(a), c).unwrap();
        assert_eq!(
            direct,
            Route {
                fixed: 10 * MS,
                jittered: Vec::new()
            }
        );
    }

    #[test]
    fn without_jitter_a_route_is_the_latency_and_nothing_is_drawn() {
        let network = nodes(3).with_message_streams(1, 0);
        assert!(network.messages.is_none());
        let route = network.route(Some(NodeId::new(0)), NodeId::new(2)).unwrap();
        assert!(route.jittered.is_empty());
        assert_eq!(
            Some(route.fixed),
            network.latency(Some(NodeId::new(0)), NodeId::new(2))
        );
    }

    fn ids(indices: &[usize]) -> Vec<NodeId> {
        indices.iter().map(|&i| NodeId::new(i)).collect()
    }

    /// Who hears whom: `hears[to]` lists the senders `to` receives from.
    fn hears(network: &Network) -> Vec<Vec<usize>> {
        let n = network.topology().len();
        (0..n)
            .map(|to| {
                (0..n)
                    .filter(|&from| network.reachable(Some(NodeId::new(from)), NodeId::new(to)))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_one_way_cut_drops_from_to_and_delivers_the_reverse_and_heals() {
        let mut network = nodes(4);
        network.restrict(7, ReachRule::one_way(&ids(&[0]), &ids(&[1, 2])));
        assert_eq!(
            hears(&network),
            [
                vec![0, 1, 2, 3],
                vec![1, 2, 3],
                vec![1, 2, 3],
                vec![0, 1, 2, 3]
            ]
        );
        // No relay routes round it: 0 → 3 → 1 is open link by link.
        assert_eq!(network.latency(Some(NodeId::new(0)), NodeId::new(1)), None);
        assert!(network
            .latency(Some(NodeId::new(1)), NodeId::new(0))
            .is_some());
        network.heal(7);
        assert_eq!(hears(&network), vec![vec![0, 1, 2, 3]; 4]);
    }

    #[test]
    fn in_a_majorities_ring_of_five_every_node_hears_a_majority_and_no_two_the_same() {
        let mut network = nodes(5);
        // The ring in the order 0, 2, 4, 1, 3: each hears itself and its two neighbours.
        network.restrict(1, ReachRule::majorities_ring(&ids(&[0, 2, 4, 1, 3])));
        assert_eq!(
            hears(&network),
            [
                vec![0, 2, 3],
                vec![1, 3, 4],
                vec![0, 2, 4],
                vec![0, 1, 3],
                vec![1, 2, 4]
            ]
        );
    }

    #[test]
    fn majorities_rings_of_three_to_nine_nodes_give_each_node_its_own_majority() {
        for n in 3..=9 {
            let mut network = nodes(n);
            network.restrict(
                1,
                ReachRule::majorities_ring(&ids(&(0..n).collect::<Vec<_>>())),
            );
            let heard = hears(&network);
            for (to, from) in heard.iter().enumerate() {
                assert_eq!(from.len(), n / 2 + 1, "node {to} of {n}");
                assert!(from.contains(&to));
            }
            let mut distinct = heard.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), n, "{n} nodes: {heard:?}");
        }
    }

    #[test]
    fn a_bridge_cuts_two_halves_apart_but_for_the_node_between_them() {
        let mut network = nodes(6);
        // Halves {0, 1} and {3, 4}, bridge 2; node 5 is outside the scope.
        network.restrict(1, ReachRule::bridge(&ids(&[0, 1, 2, 3, 4])));
        assert_eq!(
            hears(&network),
            [
                vec![0, 1, 2, 5],
                vec![0, 1, 2, 5],
                vec![0, 1, 2, 3, 4, 5],
                vec![2, 3, 4, 5],
                vec![2, 3, 4, 5],
                vec![0, 1, 2, 3, 4, 5]
            ]
        );
    }

    #[test]
    fn overlapping_rules_and_groups_each_drop_their_own_messages() {
        let mut network = nodes(4);
        network.partition(1, &[0, 0, 1, 1]);
        network.restrict(2, ReachRule::one_way(&ids(&[1]), &ids(&[0])));
        assert_eq!(
            hears(&network),
            [vec![0], vec![0, 1], vec![2, 3], vec![2, 3]]
        );
        network.heal(1);
        assert_eq!(
            hears(&network),
            [
                vec![0, 2, 3],
                vec![0, 1, 2, 3],
                vec![0, 1, 2, 3],
                vec![0, 1, 2, 3]
            ]
        );
    }

    /// Labels are sums of hashes, not a relabelling of every node: after any sequence of
    /// partitions and heals, two nodes talk iff they share a group in every partition
    /// still active (checked against that definition).
    #[test]
    fn overlapping_partitions_started_and_healed_in_any_order_match_the_definition() {
        use rand::{RngExt, SeedableRng};
        let n = 12;
        let mut network = nodes(n);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(15);
        let mut active: Vec<(u32, Vec<u16>)> = Vec::new();
        for step in 0..400u32 {
            if active.len() < 6 && (active.is_empty() || rng.random_bool(0.55)) {
                let groups = rng.random_range(2..=4u16);
                let group_of: Vec<u16> = (0..n).map(|_| rng.random_range(0..groups)).collect();
                network.partition(step, &group_of);
                active.push((step, group_of));
            } else {
                let (fault, _) = active.remove(rng.random_range(0..active.len()));
                network.heal(fault);
            }
            for a in 0..n {
                for b in 0..n {
                    let expected = active.iter().all(|(_, g)| g[a] == g[b]);
                    assert_eq!(
                        network.reachable(Some(NodeId::new(a)), NodeId::new(b)),
                        expected,
                        "step {step}: {a} → {b}"
                    );
                }
            }
        }
    }

    /// 65,536 overlapping crashes wrapped the `u16` cause counter to zero: the node came
    /// back up while every one of its faults was still active.
    #[test]
    fn a_node_under_65_536_overlapping_crashes_stays_down_until_the_last_repair() {
        let mut network = two_nodes();
        let overlapping = 65_536 + 2;
        for i in 0..overlapping {
            assert_eq!(network.crash(NodeId::new(0)), i == 0, "crash {i}");
            assert!(!network.is_up(NodeId::new(0)), "up after crash {i}");
        }
        for i in 0..overlapping - 1 {
            assert!(!network.repair(NodeId::new(0)), "came up at repair {i}");
            assert!(!network.is_up(NodeId::new(0)));
        }
        assert!(network.repair(NodeId::new(0)));
        assert!(network.is_up(NodeId::new(0)));
    }

    #[test]
    fn a_paused_node_is_up_but_neither_reached_nor_reaching_until_its_last_resume() {
        let mut network = two_nodes();
        let (a, b) = (NodeId::new(0), NodeId::new(1));
        assert!(network.pause(a, 1));
        assert!(!network.pause(a, 2), "paused twice: not newly paused");
        assert!(network.is_up(a) && network.is_paused(a) && !network.answers(a));
        assert!(
            !network.reachable(None, a),
            "the global observer does not reach it"
        );
        assert!(!network.reachable(Some(b), a) && !network.reachable(Some(a), b));
        assert_eq!(network.latency(Some(b), a), None);
        assert!(!network.resume(a, 1), "one pause still holds it");
        assert!(network.resume(a, 2));
        assert!(!network.is_paused(a) && network.reachable(Some(b), a));
    }

    #[test]
    fn a_crash_ends_a_pause_and_the_repaired_node_runs_until_a_new_pause() {
        let mut network = two_nodes();
        let (a, b) = (NodeId::new(0), NodeId::new(1));
        network.pause(a, 1);
        assert!(network.crash(a));
        assert!(!network.is_paused(a) && !network.is_up(a));
        // Paused while down: no process to freeze.
        assert!(!network.pause(a, 2));
        assert!(network.repair(a));
        assert!(network.is_up(a) && !network.is_paused(a) && network.answers(a));
        assert!(network.reachable(Some(b), a));
        // The ends of the pauses the crash cut short change nothing, not even a pause
        // started after the repair.
        network.pause(a, 3);
        assert!(!network.resume(a, 1) && !network.resume(a, 2));
        assert!(network.is_paused(a));
        assert!(network.resume(a, 3));
        assert!(network.answers(a));
    }

    #[test]
    fn a_link_under_65_536_overlapping_cuts_stays_cut_until_the_last_restore() {
        let mut network = two_nodes();
        let usable = |n: &Network| n.link_usable(NodeId::new(0), NodeId::new(1));
        assert!(usable(&network));
        for _ in 0..65_536 {
            network.set_link_cut(NodeId::new(0), NodeId::new(1), false, true);
        }
        assert!(!usable(&network));
        for _ in 0..65_535 {
            network.set_link_cut(NodeId::new(0), NodeId::new(1), false, false);
        }
        assert!(!usable(&network));
        network.set_link_cut(NodeId::new(0), NodeId::new(1), false, false);
        assert!(usable(&network));
    }

    /// Explicit links a – b (1 ms), b – c (4 ms), and a – c (10 ms) if `triangle`.
    fn linked(triangle: bool) -> Network {
        let third = if triangle {
            r#", {"from": "a", "to": "c", "latency": "10ms"}"#
        } else {
            ""
        };
        let scenario = crate::compile::load_str(
            &format!(
                r#"{{"horizon": "1h", "topology": {{
                    "nodes": [{{"id": "a"}}, {{"id": "b"}}, {{"id": "c"}}],
                    "links": [{{"from": "a", "to": "b", "latency": "1ms"}},
                              {{"from": "b", "to": "c", "latency": "4ms"}}{third}]}},
                    "services": [{{"name": "s", "strategy": "N_WAY", "replicas": ["a", "b", "c"]}}]}}"#
            ),
            std::path::Path::new("t.json"),
        )
        .unwrap();
        Network::new(scenario.topology.clone())
    }

    #[test]
    fn a_link_cut_one_way_cuts_the_paths_over_it_in_that_direction_only() {
        // The line a – b – c with b → c cut: a and b no longer reach c, c reaches both.
        let mut network = linked(false);
        let [a, b, c] = [0, 1, 2].map(NodeId::new);
        assert!(network.symmetric());
        network.set_link_cut(b, c, true, true);
        assert!(!network.symmetric());
        assert!(!network.reachable(Some(b), c) && !network.reachable(Some(a), c));
        assert_eq!(network.latency(Some(a), c), None);
        assert_eq!(network.latency(Some(c), a), Some(5 * MS));
        assert_eq!(network.latency(Some(a), b), Some(MS));
        assert_eq!(network.latency(Some(b), a), Some(MS));
        // Cut the other way too, then restored one way: the first cut still holds.
        network.set_link_cut(c, b, true, true);
        assert!(!network.reachable(Some(c), a));
        network.set_link_cut(c, b, true, false);
        assert!(network.reachable(Some(c), a) && !network.reachable(Some(a), c));
        network.set_link_cut(b, c, true, false);
        assert!(network.symmetric() && network.reachable(Some(a), c));
        assert_eq!(network.latency(Some(a), c), Some(5 * MS));
    }

    #[test]
    fn a_message_takes_the_detour_round_a_link_cut_its_way_and_the_reverse_the_link() {
        // The triangle: a → b cut one way, so a's messages to b go round by c (10 + 4
        // ms), b's to a take the link (1 ms); c → b is direct, b → c too.
        let mut network = linked(true);
        let [a, b, c] = [0, 1, 2].map(NodeId::new);
        network.set_link_cut(a, b, true, true);
        assert_eq!(network.latency(Some(a), b), Some(14 * MS));
        assert_eq!(network.route(Some(a), b).map(|r| r.fixed), Some(14 * MS));
        assert_eq!(network.latency(Some(b), a), Some(MS));
        assert_eq!(network.latency(Some(c), b), Some(4 * MS));
        assert_eq!(network.latency(Some(b), c), Some(4 * MS));
        // Cut both ways, b's messages go round as well.
        network.set_link_cut(a, b, false, true);
        assert_eq!(network.latency(Some(b), a), Some(14 * MS));
    }

    #[test]
    fn an_implied_link_cut_one_way_is_routed_round_in_that_direction_only() {
        // Three nodes of one zone (implied links, 0.2 ms each): n0 → n1 cut one way goes
        // through n2 (0.4 ms); n1 → n0 keeps the link.
        let mut network = nodes(3);
        let [n0, n1] = [0, 1].map(NodeId::new);
        network.set_link_cut(n0, n1, true, true);
        assert_eq!(network.latency(Some(n0), n1), Some(400_000));
        assert_eq!(network.latency(Some(n1), n0), Some(200_000));
        assert!(!network.symmetric());
    }
}
