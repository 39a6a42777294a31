//! Random streams: one ChaCha stream per (scenario seed, replication, purpose).
//!
//! A purpose names what the numbers are for, so that the fault trace of a replication
//! never depends on how many numbers a strategy drew (common random numbers).
//!
//! # Stable identities
//!
//! The streams of faults and of nodes' failure processes are keyed by a *stable
//! identity*, never by a position in the file, so that adding, removing or reordering
//! one fault or one node leaves every other fault's and node's draws unchanged
//! ("baseline" vs "baseline + one fault" is then a paired comparison). The rule, applied
//! once when a scenario is compiled:
//!
//! - A fault or fault process is named by its kind and its `id` when the file gives one,
//!   else by its content: the canonical JSON of its fields (durations normalised, so
//!   `"30d"` and `"720h"` name the same fault), without the `id`, without the node list
//!   of a failure process and without the targets of an outage process.
//! - A node failure process draws one stream per node: its identity is the process's
//!   identity and the node's name. A zone or region outage process draws one stream per
//!   target: the process's identity and the target's name.
//! - Identical identities (two faults with the same content, a node listed twice) are
//!   told apart by their occurrence index, counted in file order among the identical
//!   ones only: the first is 0, the next 1, …
//!
//! The identity's parts are hashed to a 64-bit [`StreamKey`] with FNV-1a (written here:
//! its output is fixed by its definition, unlike `std`'s `DefaultHasher`, which may
//! change between Rust releases). A key only selects a ChaCha stream, so the hash needs
//! no strength beyond spreading distinct identities; compilation refuses the
//! astronomically unlikely collision of two keys.

use super::chacha_block::{self, BLOCK_WORDS, SIDE_BY_SIDE};
use super::hash::Fnv1a;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The 64-bit key of a stable identity: FNV-1a over its parts, each preceded by its
/// length so that `["ab", "c"]` and `["a", "bc"]` differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamKey(pub u64);

impl StreamKey {
    /// The key of the identity made of `parts`.
    pub fn of<S: AsRef<[u8]>>(parts: &[S]) -> StreamKey {
        KeyParts::of(parts).key()
    }
}

/// Hashes a [`StreamKey`] for a hash table by taking it as it is: it is already an
/// FNV-1a hash, and compilation looks up one per node of every failure process (a
/// `BTreeMap` of 100,000 keys cost 1,300 instructions a node). Only for lookups: nothing
/// iterates such a table, so its order never reaches a result.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is reached for a `StreamKey`; anything else is still hashed.
        let mut hash = Fnv1a(self.0);
        hash.write(bytes);
        self.0 = hash.0;
    }

    fn write_u64(&mut self, key: u64) {
        self.0 = key;
    }
}

/// Stream keys to `V`, for lookups.
pub(crate) type KeyMap<V> =
    std::collections::HashMap<StreamKey, V, std::hash::BuildHasherDefault<KeyHasher>>;

/// An identity's parts hashed so far: the parts many identities share (a failure
/// process's, before each node's name) are hashed once and the state copied.
#[derive(Clone, Debug)]
pub struct KeyParts(Fnv1a);

impl KeyParts {
    /// The state after `parts`.
    pub fn of<S: AsRef<[u8]>>(parts: &[S]) -> KeyParts {
        parts
            .iter()
            .fold(KeyParts(Fnv1a::new()), |hashed, part| hashed.then(part))
    }

    /// The state after one more part.
    pub fn then(mut self, part: impl AsRef<[u8]>) -> KeyParts {
        let part = part.as_ref();
        self.0.write(&(part.len() as u64).to_le_bytes());
        self.0.write(part);
        self
    }

    /// The key of the parts hashed.
    pub fn key(&self) -> StreamKey {
        StreamKey(self.0 .0)
    }
}

/// What a random stream is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The stochastic failure/repair process of one node, keyed by (process identity,
    /// node name).
    NodeLifetime(StreamKey),
    /// The random choices of one fault or fault process (victims, durations, times),
    /// keyed by the fault's identity.
    Fault(StreamKey),
    /// Decisions of one service's strategy (delays, election timeouts, declines).
    Service(u32),
    /// Probe phases of one service's detectors.
    ProbePhase(u32),
    /// Failures caused by the system itself (overload, cascades).
    Cascade,
    /// The dispatch delays of a repair crew for one node of a failure process, keyed
    /// like its [`Purpose::NodeLifetime`]: a stream of its own, so that a crew's dispatch
    /// leaves the node's failure and repair draws as they are without it.
    RepairDispatch(StreamKey),
    /// Whether inspections miss a latent failure of one node, keyed like the node's
    /// [`Purpose::NodeLifetime`] of its latent fault process: a stream of its own, so
    /// that a miss probability leaves the node's failure and repair draws as they are.
    Inspection(StreamKey),
    /// The cycles of the rare-event estimator (`failsim solve --rare-event`): 0 for the
    /// failure-biased cycles, 1 for the plain ones that measure the cycle length.
    RareEvent(u32),
    /// The delay of one message over jittered links, keyed by the message's identity
    /// (its kind, ends and sending instant, see [`MessageStreams`]).
    Message(StreamKey),
}

impl Purpose {
    /// The ChaCha stream (nonce) of this purpose.
    fn stream_id(self) -> u64 {
        let keyed = |tag: u8, key: StreamKey| {
            let mut hash = Fnv1a::new();
            hash.write(&[tag]);
            hash.write(&key.0.to_le_bytes());
            hash.0
        };
        match self {
            Purpose::NodeLifetime(key) => keyed(1, key),
            Purpose::Fault(key) => keyed(2, key),
            Purpose::Service(i) => (3 << 32) | i as u64,
            Purpose::ProbePhase(i) => (4 << 32) | i as u64,
            Purpose::Cascade => 5 << 32,
            Purpose::RepairDispatch(key) => keyed(6, key),
            Purpose::Inspection(key) => keyed(7, key),
            Purpose::RareEvent(i) => (8 << 32) | i as u64,
            Purpose::Message(key) => keyed(9, key),
        }
    }
}

/// SplitMix64 finaliser: spreads nearby seeds over the whole key space.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The ChaCha key of replication `replication` of a run seeded `seed`.
fn key(seed: u64, replication: u64) -> [u8; 32] {
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
    key
}

/// A key as ChaCha's eight little-endian state words.
fn key_words(key: &[u8; 32]) -> [u32; 8] {
    std::array::from_fn(|i| {
        u32::from_le_bytes([key[4 * i], key[4 * i + 1], key[4 * i + 2], key[4 * i + 3]])
    })
}

/// The ChaCha generator of replication `replication` of a run seeded `seed`, on stream 0.
fn generator(seed: u64, replication: u64) -> ChaCha8Rng {
    ChaCha8Rng::from_seed(key(seed, replication))
}

/// The ChaCha stream for `purpose` in replication `replication` of a run seeded `seed`.
pub fn stream(seed: u64, replication: u64, purpose: Purpose) -> ChaCha8Rng {
    let mut rng = generator(seed, replication);
    rng.set_stream(purpose.stream_id());
    rng
}

/// The services' own streams ([`Purpose::Service`]) of one replication, made as they
/// are first drawn from: a service that never draws keeps no generator (a
/// [`ChaCha8Rng`] with its buffer is about 300 bytes), and those that do lie together.
/// Strategies draw from a `ChaCha8Rng`, so a service that has not drawn yet is handed
/// one shared generator set to the start of its stream (setting a stream at a block
/// boundary computes nothing), and keeps a copy only once it has drawn.
#[derive(Clone, Debug)]
pub(crate) struct ServiceStreams {
    /// The shared generator, at the start of some service's stream.
    fresh: ChaCha8Rng,
    /// `fresh` was drawn from since it was last set to block 0.
    moved: bool,
    /// The streams of the services that have drawn, in the order they first did.
    drawn: Vec<ChaCha8Rng>,
}

/// Where a service's stream is in [`ServiceStreams`]: not drawn from yet, or kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StreamSlot(u32);

impl StreamSlot {
    /// A service that has not drawn yet.
    pub(crate) const FRESH: StreamSlot = StreamSlot(u32::MAX);
}

impl ServiceStreams {
    /// The service streams of replication `replication` of a run seeded `seed`, kept in
    /// the room of `spare` (a past replication's, see [`Self::into_spare`]): with many
    /// services the kept streams take megabytes, which would otherwise be grown, copied
    /// and faulted in anew by every replication.
    pub(crate) fn reusing(seed: u64, replication: u64, mut spare: Vec<ChaCha8Rng>) -> Self {
        spare.clear();
        ServiceStreams {
            fresh: generator(seed, replication),
            moved: false,
            drawn: spare,
        }
    }

    /// The room of the kept streams, for the next replication's [`Self::reusing`].
    pub(crate) fn into_spare(self) -> Vec<ChaCha8Rng> {
        self.drawn
    }

    /// The stream of service `service`, whose slot is `slot`, where it left off: the
    /// numbers of [`stream`] for [`Purpose::Service`]. Call [`Self::keep`] after drawing.
    pub(crate) fn get(&mut self, service: u32, slot: StreamSlot) -> &mut ChaCha8Rng {
        if slot == StreamSlot::FRESH {
            // Block 0 first, then the stream: neither computes a block at a boundary.
            if std::mem::take(&mut self.moved) {
                self.fresh.set_word_pos(0);
            }
            self.fresh.set_stream(Purpose::Service(service).stream_id());
            &mut self.fresh
        } else {
            &mut self.drawn[slot.0 as usize]
        }
    }

    /// Keeps the stream just handed out by [`Self::get`] for `slot` if it was drawn
    /// from for the first time.
    pub(crate) fn keep(&mut self, slot: &mut StreamSlot) {
        if *slot == StreamSlot::FRESH && self.fresh.get_word_pos() != 0 {
            *slot = StreamSlot(u32::try_from(self.drawn.len()).expect("under 2^32 services"));
            self.drawn.push(self.fresh.clone());
            self.moved = true;
        }
    }
}

/// The streams of single messages of one replication: a message draws its delay from
/// the stream of its own identity, so a delay never depends on which other messages
/// were sent, or in what order (heartbeats are dated without being simulated one by
/// one). Only the key is kept; a message's stream starts at its first block.
#[derive(Clone, Debug)]
pub struct MessageStreams {
    key: [u32; 8],
}

impl MessageStreams {
    /// The message streams of replication `replication` of a run seeded `seed`.
    pub fn new(seed: u64, replication: u64) -> Self {
        MessageStreams {
            key: key_words(&key(seed, replication)),
        }
    }

    /// Draws with `draw` from the stream of the message `message`: the numbers of
    /// [`stream`] for [`Purpose::Message`] of that key.
    pub fn draw<R>(&self, message: StreamKey, draw: impl FnOnce(&mut LaneRng) -> R) -> R {
        let stream = Purpose::Message(message).stream_id();
        let mut lane = Lane {
            stream,
            next_block: 1,
            next: 0,
            ahead: chacha_block::block(&self.key, stream, 0),
        };
        draw(&mut LaneRng {
            lane: &mut lane,
            key: &self.key,
        })
    }
}

/// One lane: its stream, the position of its next block, and the block being read.
/// In this order (`repr(C)`): a draw reads `next` and the words just after it, most
/// often in one cache line; the stream and block number only when a block runs out.
#[derive(Clone, Debug)]
#[repr(C)]
struct Lane {
    /// Index in `ahead` of the next word; `BLOCK_WORDS` when none is left.
    next: u8,
    ahead: [u32; BLOCK_WORDS],
    /// The stream's block to compute when `ahead` is used up.
    next_block: u64,
    stream: u64,
}

/// Many streams of one replication in little memory: each lane keeps its stream number,
/// its position and the block it is reading (about 80 bytes, where a [`ChaCha8Rng`] with
/// its buffer takes about 300). A lane yields exactly the numbers of [`stream`] for its
/// purpose. Made for the per-node failure processes: a stream per node of a
/// 100,000-node process, drawn a few times per replication. Every lane reads at least
/// one block, so the first blocks are computed when the lanes are made, four streams
/// side by side (a quarter of the cost); later ones one at a time, as a lane needs them.
#[derive(Clone, Debug)]
pub struct Lanes {
    key: [u32; 8],
    lanes: Vec<Lane>,
}

impl Lanes {
    /// Hints that `lane` will draw soon (see [`crate::core::prefetch`]).
    pub(crate) fn prefetch(&self, lane: u32) {
        if let Some(lane) = self.lanes.get(lane as usize) {
            crate::core::prefetch::prefetch(lane);
        }
    }

    /// One lane per purpose, in order.
    pub fn new(
        seed: u64,
        replication: u64,
        purposes: impl IntoIterator<Item = Purpose, IntoIter: Clone>,
    ) -> Self {
        let mut lanes = Lanes {
            key: [0; 8],
            lanes: Vec::new(),
        };
        lanes.reset(seed, replication, purposes);
        lanes
    }

    /// These lanes as [`Lanes::new`] makes them, keeping their allocation (a thread's
    /// next replication).
    pub fn reset(
        &mut self,
        seed: u64,
        replication: u64,
        purposes: impl IntoIterator<Item = Purpose, IntoIter: Clone>,
    ) {
        self.key = key_words(&key(seed, replication));
        self.lanes.clear();
        // Room for exactly these lanes (a million lanes grown by doubling would hold
        // twice as much at the last growth).
        let purposes = purposes.into_iter();
        self.lanes.reserve_exact(purposes.clone().count());
        // Each lane's stream first, its first block then, four streams side by side.
        self.lanes.extend(purposes.map(|purpose| Lane {
            stream: purpose.stream_id(),
            next_block: 1,
            next: 0,
            ahead: [0; BLOCK_WORDS],
        }));
        let mut chunks = self.lanes.chunks_exact_mut(SIDE_BY_SIDE);
        for chunk in &mut chunks {
            let streams: [u64; SIDE_BY_SIDE] = std::array::from_fn(|i| chunk[i].stream);
            let first = chacha_block::first_blocks(&self.key, streams);
            for (lane, ahead) in chunk.iter_mut().zip(first) {
                lane.ahead = ahead;
            }
        }
        for lane in chunks.into_remainder() {
            lane.ahead = chacha_block::block(&self.key, lane.stream, 0);
        }
    }

    /// Draws from lane `lane` with `draw`, and remembers how far the lane has got.
    pub fn draw<R>(&mut self, lane: usize, draw: impl FnOnce(&mut LaneRng) -> R) -> R {
        draw(&mut LaneRng {
            lane: &mut self.lanes[lane],
            key: &self.key,
        })
    }
}

/// One lane's stream as a random number generator: its words in stream order, with
/// `u64`s and bytes made from them exactly as [`ChaCha8Rng`] makes them.
pub struct LaneRng<'a> {
    lane: &'a mut Lane,
    key: &'a [u32; 8],
}

impl LaneRng<'_> {
    fn word(&mut self) -> u32 {
        let lane = &mut *self.lane;
        if lane.next as usize == BLOCK_WORDS {
            lane.ahead = chacha_block::block(self.key, lane.stream, lane.next_block);
            // 2^64 blocks are a zettabyte of random numbers: a lane never gets there.
            lane.next_block += 1;
            lane.next = 0;
        }
        let word = lane.ahead[lane.next as usize];
        lane.next += 1;
        word
    }
}

impl rand::TryRng for LaneRng<'_> {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.word())
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let low = u64::from(self.word());
        let high = u64::from(self.word());
        Ok((high << 32) | low)
    }

    fn try_fill_bytes(&mut self, bytes: &mut [u8]) -> Result<(), Self::Error> {
        // Word by word, little-endian; a partial last chunk uses up a whole word.
        for chunk in bytes.chunks_mut(4) {
            let word = self.word().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        Ok(())
    }
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
        let key = StreamKey::of(&["fault", "x"]);
        let base: u64 = stream(7, 3, Purpose::Service(1)).random();
        assert_ne!(base, stream(8, 3, Purpose::Service(1)).random::<u64>());
        assert_ne!(base, stream(7, 4, Purpose::Service(1)).random::<u64>());
        assert_ne!(base, stream(7, 3, Purpose::Service(2)).random::<u64>());
        let fault: u64 = stream(7, 3, Purpose::Fault(key)).random();
        assert_ne!(base, fault);
        let lifetime: u64 = stream(7, 3, Purpose::NodeLifetime(key)).random();
        assert_ne!(fault, lifetime);
        let dispatch: u64 = stream(7, 3, Purpose::RepairDispatch(key)).random();
        assert_ne!(dispatch, lifetime);
        assert_ne!(dispatch, fault);
    }

    #[test]
    fn stream_keys_are_fnv1a_and_never_change() {
        // FNV-1a's published test vectors: the empty input and "a".
        let mut empty = Fnv1a::new();
        empty.write(b"");
        assert_eq!(empty.0, 0xCBF2_9CE4_8422_2325);
        let mut a = Fnv1a::new();
        a.write(b"a");
        assert_eq!(a.0, 0xAF63_DC4C_8601_EC8C);
        // A key is part of the result contract: pinned (and checked against an
        // independent FNV-1a in Python), so no refactoring moves it.
        assert_eq!(
            StreamKey::of(&["fault", "x"]),
            StreamKey(0xD899_F52C_FAED_1037)
        );
    }

    #[test]
    fn parts_are_delimited() {
        assert_ne!(StreamKey::of(&["ab", "c"]), StreamKey::of(&["a", "bc"]));
    }

    #[test]
    fn a_message_stream_yields_the_numbers_of_its_purpose() {
        let key = StreamKey::of(&["heartbeat", "a", "b"]);
        let streams = MessageStreams::new(11, 5);
        let mut direct = stream(11, 5, Purpose::Message(key));
        let drawn: Vec<u64> = streams.draw(key, |rng| (0..40).map(|_| rng.random()).collect());
        let expected: Vec<u64> = (0..40).map(|_| direct.random()).collect();
        assert_eq!(drawn, expected);
        let other = StreamKey::of(&["heartbeat", "b", "a"]);
        assert_ne!(streams.draw(other, |rng| rng.random::<u64>()), expected[0]);
    }

    #[test]
    fn service_streams_yield_the_numbers_of_their_purpose_however_draws_interleave() {
        let mut streams = ServiceStreams::reusing(11, 5, Vec::new());
        let mut slots = [StreamSlot::FRESH; 4];
        let mut direct: Vec<ChaCha8Rng> =
            (0..4).map(|i| stream(11, 5, Purpose::Service(i))).collect();
        // Uneven draws (none, 1, 7, 33 words…) cross block and buffer boundaries, and a
        // service handed its stream without drawing keeps none.
        for step in 0..400usize {
            let service = (step * 7 + step / 3) % 4;
            let words = (step * 13) % 40;
            let rng = streams.get(service as u32, slots[service]);
            let drawn: Vec<u32> = (0..words).map(|_| rng.random()).collect();
            let mixed: f64 = if words > 30 { rng.random() } else { 0.5 };
            streams.keep(&mut slots[service]);
            let expected: Vec<u32> = (0..words).map(|_| direct[service].random()).collect();
            assert_eq!(drawn, expected, "service {service}, step {step}");
            if words > 30 {
                assert_eq!(mixed, direct[service].random::<f64>());
            }
            assert_eq!(
                slots[service] == StreamSlot::FRESH,
                direct[service].get_word_pos() == 0
            );
        }
        assert_eq!(streams.drawn.len(), 4);
        // The next replication, in this one's room, starts every stream afresh.
        let mut next = ServiceStreams::reusing(11, 6, streams.into_spare());
        let mut slot = StreamSlot::FRESH;
        let drawn: u64 = next.get(2, slot).random();
        next.keep(&mut slot);
        assert_eq!(drawn, stream(11, 6, Purpose::Service(2)).random::<u64>());
        assert_eq!((slot, next.drawn.len()), (StreamSlot(0), 1));
    }

    #[test]
    fn lanes_yield_the_numbers_of_their_streams_however_draws_interleave() {
        let purposes = [
            Purpose::NodeLifetime(StreamKey(1)),
            Purpose::NodeLifetime(StreamKey(2)),
            Purpose::Fault(StreamKey(1)),
        ];
        let mut lanes = Lanes::new(11, 5, purposes);
        let mut direct: Vec<ChaCha8Rng> = purposes.iter().map(|&p| stream(11, 5, p)).collect();
        // Uneven draws (1, 7, 33 words…) cross block and buffer boundaries.
        for step in 0..400usize {
            let lane = (step * 7 + step / 3) % purposes.len();
            let words = 1 + (step * 13) % 40;
            for _ in 0..words {
                let a: u32 = lanes.draw(lane, |rng| rng.random());
                let b: u32 = direct[lane].random();
                assert_eq!(a, b, "lane {lane}, step {step}");
            }
            let a: f64 = lanes.draw(lane, |rng| rng.random());
            assert_eq!(a, direct[lane].random::<f64>());
        }
    }
}
