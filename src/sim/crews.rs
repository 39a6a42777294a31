//! Repair crews at run time: each crew's free members and its queue of failed nodes
//! waiting for one, ordered by priority and then by the order in which they failed.

use crate::compile::CrewSpec;
use crate::core::ids::NodeId;
use crate::core::time::SimTime;
use crate::scenarios::model::QueuePolicy;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A failed node of a failure process, waiting for a crew member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Job {
    /// The node.
    pub node: NodeId,
    /// Its failure process in the fault plan.
    pub process: u32,
    /// Its random stream among the engine's node lanes.
    pub lane: u32,
    /// When it joined the queue.
    pub queued_at: SimTime,
}

/// A queue entry: the highest priority first, then the lowest `seq`. `seq` grows with
/// every entry, so equal priorities leave in the order they were queued (FIFO by time,
/// and at one instant by the order of the failures).
#[derive(Debug, PartialEq, Eq)]
struct Waiting {
    priority: i64,
    seq: u64,
    job: Job,
}

impl Ord for Waiting {
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority
            .cmp(&other.priority)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

struct Crew {
    free: u32,
    policy: QueuePolicy,
    waiting: BinaryHeap<Waiting>,
}

/// Every crew of a scenario: O(log n) per queued and per taken node.
pub(crate) struct Crews {
    crews: Vec<Crew>,
    seq: u64,
}

impl Crews {
    /// All members free, no one waiting.
    pub(crate) fn new(specs: &[CrewSpec]) -> Self {
        Crews {
            crews: specs
                .iter()
                .map(|spec| Crew {
                    free: spec.count,
                    policy: spec.policy,
                    waiting: BinaryHeap::new(),
                })
                .collect(),
            seq: 0,
        }
    }

    /// These crews as [`Crews::new`] makes them, keeping their queues' allocations (a
    /// thread's next replication).
    pub(crate) fn reset(&mut self, specs: &[CrewSpec]) {
        self.crews.truncate(specs.len());
        for (crew, spec) in self.crews.iter_mut().zip(specs) {
            crew.free = spec.count;
            crew.policy = spec.policy;
            crew.waiting.clear();
        }
        let made = self.crews.len();
        self.crews.extend(specs[made..].iter().map(|spec| Crew {
            free: spec.count,
            policy: spec.policy,
            waiting: BinaryHeap::new(),
        }));
        self.seq = 0;
    }

    /// Queues `job` for `crew`; `priority` counts only under the `priority` policy.
    /// Returns how many nodes now wait.
    pub(crate) fn queue(&mut self, crew: u32, job: Job, priority: i64) -> usize {
        let crew = &mut self.crews[crew as usize];
        let priority = match crew.policy {
            QueuePolicy::Fifo => 0,
            QueuePolicy::Priority => priority,
        };
        self.seq += 1;
        crew.waiting.push(Waiting {
            priority,
            seq: self.seq,
            job,
        });
        crew.waiting.len()
    }

    /// The next job for a free member of `crew`, which is then busy; None when every
    /// member is busy or no one waits.
    pub(crate) fn take(&mut self, crew: u32) -> Option<Job> {
        let crew = &mut self.crews[crew as usize];
        if crew.free == 0 {
            return None;
        }
        let next = crew.waiting.pop()?;
        crew.free -= 1;
        Some(next.job)
    }

    /// A member of `crew` finished a repair and is free.
    pub(crate) fn release(&mut self, crew: u32) {
        self.crews[crew as usize].free += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(node: usize, at: u64) -> Job {
        Job {
            node: NodeId::new(node),
            process: 0,
            lane: node as u32,
            queued_at: SimTime(at),
        }
    }

    fn crews(count: u32, policy: QueuePolicy) -> Crews {
        Crews::new(&[CrewSpec {
            name: "c".into(),
            count,
            policy,
            dispatch: None,
        }])
    }

    #[test]
    fn priority_crews_take_the_highest_priority_then_the_first_queued() {
        let mut crews = crews(1, QueuePolicy::Priority);
        crews.queue(0, job(0, 5), 1);
        crews.queue(0, job(1, 5), 2);
        crews.queue(0, job(2, 6), 2);
        crews.queue(0, job(3, 7), 1);
        let mut order = Vec::new();
        while let Some(next) = crews.take(0) {
            order.push(next.node.index());
            crews.release(0);
        }
        assert_eq!(order, [1, 2, 0, 3]);
    }

    #[test]
    fn fifo_crews_ignore_priorities() {
        let mut crews = crews(1, QueuePolicy::Fifo);
        crews.queue(0, job(3, 5), 1);
        crews.queue(0, job(1, 5), 9);
        let first = crews.take(0).unwrap();
        assert_eq!(first.node.index(), 3);
        crews.release(0);
        assert_eq!(crews.take(0).unwrap().node.index(), 1);
    }

    #[test]
    fn a_crew_takes_no_more_jobs_than_it_has_free_members() {
        let mut crews = crews(2, QueuePolicy::Fifo);
        for node in 0..4 {
            crews.queue(0, job(node, 0), 0);
        }
        assert!(crews.take(0).is_some());
        assert!(crews.take(0).is_some());
        assert_eq!(crews.take(0), None);
        crews.release(0);
        assert_eq!(crews.take(0).unwrap().node.index(), 2);
    }
}
