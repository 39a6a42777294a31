//! Random partition shapes (DESIGN §5): how a partition drawn at run time splits the
//! nodes of its scope.

use super::network::ReachRule;
use super::topology::NodeId;
use rand::seq::SliceRandom;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// The shape of a random partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One strict majority and minorities, 2 or 3 groups.
    MajorityMinority(u32),
    /// Each node in a uniformly random group of this many, no group empty (uniform over
    /// the splits with no empty group): a majority may not exist.
    AnySplit(u32),
    /// One node cut off from the rest.
    IsolateOne,
    /// ⌊(n − 1)/3⌋ nodes (at least one) cut off from the rest: the most a BFT group of n
    /// tolerates.
    MinorityThird,
    /// A majorities ring in a random order.
    MajoritiesRing,
    /// A bridge in a random order.
    Bridge,
}

/// What a random partition draws: a shape over a scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionDraw {
    /// The nodes split, in order; `None`: every node of the topology, split by path
    /// (groups, as `partition` does) rather than by end-to-end rule.
    pub scope: Option<Vec<NodeId>>,
    /// How they are split.
    pub shape: Shape,
}

/// A drawn partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Split {
    /// Groups of every node (by node index): nodes talk only within their group.
    Groups(Vec<u16>),
    /// A rule on the nodes of the scope; the others are untouched.
    Rule(ReachRule),
}

impl PartitionDraw {
    /// Today's random partition: `groups` groups, one a majority, over every node.
    pub fn majority_minority(groups: u32) -> Self {
        PartitionDraw {
            scope: None,
            shape: Shape::MajorityMinority(groups),
        }
    }

    /// Draws one partition of a topology of `nodes` nodes.
    pub fn draw(&self, nodes: usize, rng: &mut ChaCha8Rng) -> Split {
        match &self.scope {
            // Over every node, groups split paths (as `partition` does): the draws of
            // the majority-minority split are those of before.
            None => match self.groups(nodes, rng) {
                Some(group_of) => Split::Groups(group_of),
                None => Split::Rule(
                    self.ring_or_bridge(&(0..nodes).map(NodeId::new).collect::<Vec<_>>(), rng),
                ),
            },
            Some(scope) => Split::Rule(match self.groups(scope.len(), rng) {
                Some(side_of) => ReachRule::groups(scope.iter().copied().zip(side_of)),
                None => self.ring_or_bridge(scope, rng),
            }),
        }
    }

    /// The group of each of `n` nodes, for the shapes that are groups.
    fn groups(&self, n: usize, rng: &mut ChaCha8Rng) -> Option<Vec<u16>> {
        match self.shape {
            Shape::MajorityMinority(groups) => Some(random_split(n, groups, rng)),
            Shape::AnySplit(groups) => Some(any_split(n, groups, rng)),
            Shape::IsolateOne => Some(cut_off(n, 1, rng)),
            Shape::MinorityThird => Some(cut_off(n, (n.saturating_sub(1) / 3).max(1), rng)),
            Shape::MajoritiesRing | Shape::Bridge => None,
        }
    }

    fn ring_or_bridge(&self, scope: &[NodeId], rng: &mut ChaCha8Rng) -> ReachRule {
        let mut order = scope.to_vec();
        order.shuffle(rng);
        if self.shape == Shape::Bridge {
            ReachRule::bridge(&order)
        } else {
            ReachRule::majorities_ring(&order)
        }
    }
}

/// Splits `n` nodes at random into `groups` groups: one strict majority, the rest minorities.
pub fn random_split(n: usize, groups: u32, rng: &mut ChaCha8Rng) -> Vec<u16> {
    let groups = groups.clamp(2, 3) as usize;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let majority_min = n / 2 + 1;
    let majority_max = n.saturating_sub(groups - 1).max(majority_min);
    let majority = rng.random_range(majority_min..=majority_max).min(n);
    let mut group_of = vec![0u16; n];
    let minority = n - majority;
    for (rank, &node) in order.iter().enumerate().skip(majority) {
        // Minorities share the rest round-robin, so each of them is non-empty when possible.
        let offset = rank - majority;
        group_of[node] = 1 + (offset * (groups - 1) / minority.max(1)) as u16;
    }
    group_of
}

/// Each of `n` nodes in a uniformly random group of `groups`, redrawn until no group is
/// empty (validation keeps `groups` ≤ [`MAX_ANY_SPLIT_GROUPS`] and ≤ n, so a draw
/// succeeds with probability at least 8!/8⁸ ≈ 0.0024).
fn any_split(n: usize, groups: u32, rng: &mut ChaCha8Rng) -> Vec<u16> {
    let groups = groups.min(n as u32).max(1) as u16;
    loop {
        let group_of: Vec<u16> = (0..n).map(|_| rng.random_range(0..groups)).collect();
        let mut seen = vec![false; usize::from(groups)];
        for &g in &group_of {
            seen[usize::from(g)] = true;
        }
        if seen.iter().all(|&s| s) {
            return group_of;
        }
    }
}

/// The most groups an `any_split` may have.
pub(crate) const MAX_ANY_SPLIT_GROUPS: u32 = 8;

/// `count` of `n` nodes, chosen uniformly, on side 1; the rest on side 0.
fn cut_off(n: usize, count: usize, rng: &mut ChaCha8Rng) -> Vec<u16> {
    let mut order: Vec<usize> = (0..n).collect();
    let (chosen, _) = order.partial_shuffle(rng, count.min(n));
    let mut side_of = vec![0u16; n];
    for &i in chosen.iter() {
        side_of[i] = 1;
    }
    side_of
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn scope(n: usize) -> Vec<NodeId> {
        (0..n).map(NodeId::new).collect()
    }

    fn sides(split: &Split) -> Vec<u32> {
        let Split::Rule(rule) = split else {
            panic!("a scoped draw is a rule")
        };
        rule.sides().iter().map(|&(_, side)| side).collect()
    }

    /// P(no group of 3 or more) when 5 replicas split into 3 non-empty groups, by
    /// enumerating the 3⁵ assignments.
    fn no_quorum_probability() -> f64 {
        let (mut surjective, mut no_majority) = (0u32, 0u32);
        for code in 0..3u32.pow(5) {
            let mut sizes = [0u32; 3];
            let mut c = code;
            for _ in 0..5 {
                sizes[(c % 3) as usize] += 1;
                c /= 3;
            }
            if sizes.iter().all(|&s| s > 0) {
                surjective += 1;
                if sizes.iter().all(|&s| s < 3) {
                    no_majority += 1;
                }
            }
        }
        f64::from(no_majority) / f64::from(surjective)
    }

    #[test]
    fn any_split_of_five_into_three_leaves_no_quorum_as_often_as_enumeration_says() {
        let p = no_quorum_probability();
        assert!((p - 0.6).abs() < 1e-12, "90 of the 150 surjections: {p}");
        let draw = PartitionDraw {
            scope: Some(scope(5)),
            shape: Shape::AnySplit(3),
        };
        let mut rng = ChaCha8Rng::seed_from_u64(15);
        let draws = 20_000;
        let mut no_quorum = 0;
        for _ in 0..draws {
            let sides = sides(&draw.draw(9, &mut rng));
            let mut sizes = [0; 3];
            for side in sides {
                sizes[side as usize] += 1;
            }
            assert!(sizes.iter().all(|&s| s > 0), "an empty group: {sizes:?}");
            no_quorum += usize::from(sizes.iter().all(|&s| s < 3));
        }
        let share = no_quorum as f64 / f64::from(draws);
        // Four standard errors of a binomial share: a false alarm once in ~16,000 seeds.
        let tolerance = 4.0 * (p * (1.0 - p) / f64::from(draws)).sqrt();
        assert!(
            (share - p).abs() < tolerance,
            "{share} vs {p} ± {tolerance}"
        );
    }

    #[test]
    fn isolate_one_and_minority_third_cut_off_that_many_nodes_of_the_scope() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for (shape, n, cut) in [
            (Shape::IsolateOne, 5, 1),
            (Shape::MinorityThird, 3, 1),
            (Shape::MinorityThird, 7, 2),
            (Shape::MinorityThird, 10, 3),
        ] {
            let draw = PartitionDraw {
                scope: Some(scope(n)),
                shape,
            };
            let sides = sides(&draw.draw(n + 2, &mut rng));
            assert_eq!(sides.len(), n);
            assert_eq!(sides.iter().filter(|&&s| s == 1).count(), cut, "{shape:?}");
        }
    }

    #[test]
    fn the_default_draw_over_every_node_is_the_random_split_of_before() {
        let draw = PartitionDraw::majority_minority(3);
        let (mut a, mut b) = (ChaCha8Rng::seed_from_u64(9), ChaCha8Rng::seed_from_u64(9));
        assert_eq!(
            draw.draw(11, &mut a),
            Split::Groups(random_split(11, 3, &mut b))
        );
    }
}
