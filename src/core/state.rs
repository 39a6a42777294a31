//! What a vantage point sees of a service: UP, DEGRADED or DOWN.

/// What a vantage point sees of a service at one instant (DESIGN §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServiceState {
    /// Demand fully served.
    Up,
    /// Serving, but some requests fail or capacity is below demand.
    Degraded,
    /// Not serving.
    Down,
}

impl ServiceState {
    /// The state a served fraction stands for (DESIGN §3): UP when everything is
    /// served, DOWN when nothing is, DEGRADED in between.
    pub fn of(served: f64) -> ServiceState {
        if served >= 1.0 {
            ServiceState::Up
        } else if served <= 0.0 {
            ServiceState::Down
        } else {
            ServiceState::Degraded
        }
    }
}
