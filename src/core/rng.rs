//! Random streams: one ChaCha stream per (scenario seed, replication, purpose).
//!
//! A purpose names what the numbers are for, so that the fault trace of a replication
//! never depends on how many numbers a strategy drew (common random numbers).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a random stream is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The stochastic failure/repair process of one node.
    NodeLifetime(u32),
    /// The random choices of one fault or fault process (victims, durations, times).
    Fault(u32),
    /// Decisions of one service's strategy (delays, election timeouts, declines).
    Service(u32),
    /// Probe phases of one service's detectors.
    ProbePhase(u32),
    /// Failures caused by the system itself (overload, cascades).
    Cascade,
}

impl Purpose {
    fn stream_id(self) -> u64 {
        let (tag, index) = match self {
            Purpose::NodeLifetime(i) => (1u64, i),
            Purpose::Fault(i) => (2, i),
            Purpose::Service(i) => (3, i),
            Purpose::ProbePhase(i) => (4, i),
            Purpose::Cascade => (5, 0),
        };
        (tag << 32) | index as u64
    }
}

/// SplitMix64 finaliser: spreads nearby seeds over the whole key space.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The ChaCha stream for `purpose` in replication `replication` of a run seeded `seed`.
pub fn stream(seed: u64, replication: u64, purpose: Purpose) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    let words = [
        mix(seed),
        mix(replication ^ 0xA076_1D64_78BD_642F),
        mix(seed ^ mix(replication)),
        0x6661_696C_7369_6D00, // "failsim\0": separates our keys from other programs'
    ];
    for (chunk, word) in key.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(purpose.stream_id());
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn same_inputs_give_same_numbers() {
        let a: u64 = stream(7, 3, Purpose::Service(1)).random();
        let b: u64 = stream(7, 3, Purpose::Service(1)).random();
        assert_eq!(a, b);
    }

    #[test]
    fn seed_replication_and_purpose_each_change_the_stream() {
        let base: u64 = stream(7, 3, Purpose::Service(1)).random();
        assert_ne!(base, stream(8, 3, Purpose::Service(1)).random::<u64>());
        assert_ne!(base, stream(7, 4, Purpose::Service(1)).random::<u64>());
        assert_ne!(base, stream(7, 3, Purpose::Service(2)).random::<u64>());
        assert_ne!(base, stream(7, 3, Purpose::NodeLifetime(1)).random::<u64>());
    }
}
