//! What a vantage point sees of a service: UP, DEGRADED or DOWN, from its served fraction.

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
    /// The state of a served fraction `served` ∈ [0, 1] (DESIGN §3): UP exactly when every
    /// request is served, DOWN exactly when none is, DEGRADED in between.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_ends_are_up_and_down() {
        assert_eq!(ServiceState::of(1.0), ServiceState::Up);
        assert_eq!(ServiceState::of(0.0), ServiceState::Down);
        assert_eq!(ServiceState::of(1.0 - f64::EPSILON), ServiceState::Degraded);
        assert_eq!(ServiceState::of(f64::MIN_POSITIVE), ServiceState::Degraded);
        assert_eq!(ServiceState::of(0.5), ServiceState::Degraded);
    }
}
