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
