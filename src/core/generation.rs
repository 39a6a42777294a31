//! Generation counters: lazy cancellation of scheduled timers and events.

/// A counter that makes scheduled work stale: whatever was scheduled carries the
/// generation current at scheduling as its token, and moving the generation on cancels
/// it all at once, without searching the queue (the lazy cancellation of STYLE §5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Generation(u32);

impl Generation {
    /// Moves on, making every token handed out so far stale; returns the new token.
    /// Wraps after 2³² bumps: a timer would have to wait that long to be mistaken.
    pub fn bump(&mut self) -> Generation {
        self.0 = self.0.wrapping_add(1);
        *self
    }

    /// The token to give work scheduled now.
    pub fn token(self) -> Generation {
        self
    }

    /// Whether work carrying `token` is still wanted: nothing bumped since it was scheduled.
    pub fn is_current(self, token: Generation) -> bool {
        self == token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bump_makes_earlier_tokens_stale() {
        let mut generation = Generation::default();
        let first = generation.token();
        assert!(generation.is_current(first));
        let second = generation.bump();
        assert!(!generation.is_current(first));
        assert!(generation.is_current(second));
    }
}
