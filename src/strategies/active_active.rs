//! ACTIVE_ACTIVE: every healthy replica serves behind a load balancer at each vantage
//! point, which ejects a replica it declares down after the failover mode's delay and
//! the `lb_update` delay (DESIGN §4).
//!
//! The mechanism lives in [`ReplicaPool`], which GEOGRAPHIC reuses inside each region.
//! Each vantage brings an equal share of the demand; with the default single global
//! vantage that is the whole demand, so the service is UP exactly while the replicas
//! in rotation that answer have capacity ≥ demand. With several vantages each load
//! balancer ejects on its own, so one replica failure yields one record per vantage:
//! the failover each client population lives through.

use super::params::active_active::Params;
use super::pool::{LastReplica, PoolTimer, ReplicaPool};
use super::spec::ServiceSpec;
use super::{Context, Stimulus, Strategy, StrategyTimer, View};
use crate::net::network::Observer;
use crate::net::topology::Topology;
use rand_chacha::ChaCha8Rng;

/// The ACTIVE_ACTIVE strategy for one service.
pub(crate) struct ActiveActive {
    vantages: Vec<Observer>,
    pool: ReplicaPool,
}

impl ActiveActive {
    /// Builds the strategy; probe phases come from `phase_rng`.
    pub(crate) fn new(
        spec: &ServiceSpec,
        params: &Params,
        topology: &Topology,
        phase_rng: &mut ChaCha8Rng,
    ) -> Self {
        let vantages = vantage_observers(spec);
        let mut pool = ReplicaPool::new(
            spec.replicas.clone(),
            &vantages,
            spec,
            params,
            topology,
            LastReplica::Waits,
            phase_rng,
        );
        let share = spec.demand / vantages.len() as f64;
        for index in 0..vantages.len() {
            pool.set_share(index, share);
        }
        ActiveActive { vantages, pool }
    }
}

/// The service's vantage points as observers: the global client when none are listed.
pub(crate) fn vantage_observers(spec: &ServiceSpec) -> Vec<Observer> {
    if spec.vantages.is_empty() {
        vec![None]
    } else {
        spec.vantages.iter().map(|&v| Some(v)).collect()
    }
}

impl Strategy for ActiveActive {
    type Timer = PoolTimer;

    fn handle(&mut self, stimulus: Stimulus<PoolTimer>, ctx: &mut Context) {
        let address = StrategyTimer::ActiveActive;
        match stimulus {
            Stimulus::Start => self.pool.start(ctx, address),
            Stimulus::Horizon => {
                self.pool.on_horizon(ctx);
                return;
            }
            Stimulus::Timer(timer) => self.pool.on_timer(timer, ctx, address),
            other => self.pool.note(&other, ctx.now),
        }
        self.pool.refresh(ctx, address);
        self.pool.rebalance(ctx, address);
        self.pool.settle(ctx);
    }

    fn served(&self, _view: &View, vantage: Observer) -> f64 {
        match self.vantages.iter().position(|&v| v == vantage) {
            Some(index) => self.pool.served(index),
            None => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::harness::{Harness, FAULT, MS};
    use super::super::{FailoverRecord, Outcome, ServiceState};
    use crate::core::ids::NodeId;
    use crate::core::time::SimTime;

    #[test]
    fn an_ejection_takes_detection_plus_lb_update() {
        let service = r#"{
            "name": "web", "strategy": "ACTIVE_ACTIVE",
            "detection": {"interval": "1s", "timeout": "200ms", "unhealthy_threshold": 3,
                          "healthy_threshold": 2, "phase": "0s"},
            "active_active": {"lb_update": {"const": "500ms"}}
        }"#;
        let mut harness = Harness::new(&[0, 1], MS, MS, service);
        harness.crash(NodeId::new(0), SimTime(10_300 * MS));
        assert_eq!(harness.state(None), ServiceState::Degraded);
        harness.run_until(SimTime(60_000 * MS));
        // Declared at 13.2 s (probes at 11, 12, 13 s; 200 ms timeout), decided at once
        // (AUTOMATIC), out of rotation 500 ms later; the survivor carries the demand.
        let record = FailoverRecord {
            fault: FAULT,
            fault_at: SimTime(10_300 * MS),
            detected_at: SimTime(13_200 * MS),
            decided_at: SimTime(13_200 * MS),
            completed_at: SimTime(13_700 * MS),
            outcome: Outcome::Success,
            data_loss: 0,
            from: Some(NodeId::new(0)),
            to: None,
            attempt: 0,
            ends_failover: true,
        };
        assert_eq!(harness.records, vec![record]);
        assert_eq!(harness.state(None), ServiceState::Up);
    }

    #[test]
    fn requests_routed_to_a_crashed_replica_fail_until_it_is_ejected() {
        // Six replicas of capacity 1, demand 1. A crash at 10 s is declared at 14 s
        // (probes at 10, 11, 12 s, 2 s timeout), confirmed 10 s later and out of rotation
        // 1 s after that: 15 s after the crash. Meanwhile a sixth of the requests go to
        // it and fail.
        let service = r#"{
            "name": "web", "strategy": "ACTIVE_ACTIVE",
            "detection": {"interval": "1s", "timeout": "2s", "unhealthy_threshold": 3,
                          "healthy_threshold": 2, "phase": "0s"},
            "failover": {"mode": "SEMI_AUTOMATIC", "confirmation": {"const": "10s"}},
            "active_active": {"lb_update": {"const": "1s"}}
        }"#;
        let mut harness = Harness::new(&[0, 1, 2, 0, 1, 2], MS, MS, service);
        assert_eq!(harness.served(None), 1.0);
        harness.crash(NodeId::new(3), SimTime(10_000 * MS));
        assert_eq!(harness.served(None), 5.0 / 6.0);
        harness.run_until(SimTime(25_000 * MS - 1));
        assert_eq!(harness.served(None), 5.0 / 6.0);
        harness.run_until(SimTime(25_000 * MS));
        assert_eq!(harness.served(None), 1.0);
        let record = &harness.records[0];
        assert_eq!(record.failover_time(), 15_000 * MS);
        assert_eq!(
            (record.outcome, record.ends_failover),
            (Outcome::Success, true)
        );
    }
}
