//! The ChaCha8 block function: the blocks a lane of [`super::rng::Lanes`] reads, bit
//! for bit those of `rand_chacha::ChaCha8Rng`, one at a time or four streams side by side.
//!
//! Why not `rand_chacha` itself: its generator always computes four consecutive blocks
//! of one stream (256 bytes) and is moved between streams by `set_stream` and
//! `set_word_pos`, each of which recomputes them. A 100,000-node failure process reads
//! about six words per node and replication, so three quarters of every refill were
//! thrown away, and moving the generator cost more than the block (770 instructions per
//! node). No maintained crate computes one block, or blocks of different streams side by
//! side (`chacha20`'s backends also compute four blocks of one stream); the rounds are a
//! few lines of the published algorithm, written once over a word type that is either
//! one `u32` or four (`wide::u32x4`, a safe portable SIMD vector), and a test holds both
//! equal to `rand_chacha` over many streams and positions.

use std::ops::BitXor;
use wide::u32x4;

/// "expand 32-byte k", ChaCha's constant words.
const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// Double rounds of ChaCha8.
const DOUBLE_ROUNDS: usize = 4;

/// Words in a block.
pub(crate) const BLOCK_WORDS: usize = 16;

/// How many streams [`first_blocks`] computes side by side.
pub(crate) const SIDE_BY_SIDE: usize = 4;

/// A state word: one stream's (`u32`) or several streams' side by side (`u32x4`).
trait Word: Copy + BitXor<Output = Self> {
    fn wrapping_add(self, other: Self) -> Self;
    fn rotate_left(self, bits: u32) -> Self;
}

impl Word for u32 {
    #[inline(always)]
    fn wrapping_add(self, other: Self) -> Self {
        u32::wrapping_add(self, other)
    }

    #[inline(always)]
    fn rotate_left(self, bits: u32) -> Self {
        u32::rotate_left(self, bits)
    }
}

impl Word for u32x4 {
    #[inline(always)]
    fn wrapping_add(self, other: Self) -> Self {
        // `wide`'s addition of integer vectors wraps, lane by lane.
        self + other
    }

    #[inline(always)]
    fn rotate_left(self, bits: u32) -> Self {
        (self << bits) | (self >> (32 - bits))
    }
}

/// ChaCha8's rounds on `input`, plus `input` (the block before serialisation).
#[inline(always)]
fn mix<W: Word>(input: [W; BLOCK_WORDS]) -> [W; BLOCK_WORDS] {
    let mut x = input;
    for _ in 0..DOUBLE_ROUNDS {
        quarter_round(&mut x, 0, 4, 8, 12);
        quarter_round(&mut x, 1, 5, 9, 13);
        quarter_round(&mut x, 2, 6, 10, 14);
        quarter_round(&mut x, 3, 7, 11, 15);
        quarter_round(&mut x, 0, 5, 10, 15);
        quarter_round(&mut x, 1, 6, 11, 12);
        quarter_round(&mut x, 2, 7, 8, 13);
        quarter_round(&mut x, 3, 4, 9, 14);
    }
    for (word, input) in x.iter_mut().zip(input) {
        *word = word.wrapping_add(input);
    }
    x
}

#[inline(always)]
fn quarter_round<W: Word>(x: &mut [W; BLOCK_WORDS], a: usize, b: usize, c: usize, d: usize) {
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(16);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(12);
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(8);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(7);
}

/// The input words `rand_chacha` uses: constants, key, a 64-bit block counter in words
/// 12–13 and the 64-bit stream in words 14–15.
fn input(key: &[u32; 8], stream: u64, block: u64) -> [u32; BLOCK_WORDS] {
    let mut words = [0; BLOCK_WORDS];
    words[..4].copy_from_slice(&CONSTANTS);
    words[4..12].copy_from_slice(key);
    words[12] = block as u32;
    words[13] = (block >> 32) as u32;
    words[14] = stream as u32;
    words[15] = (stream >> 32) as u32;
    words
}

/// Block `block` of stream `stream` under `key`.
pub(crate) fn block(key: &[u32; 8], stream: u64, block: u64) -> [u32; BLOCK_WORDS] {
    mix(input(key, stream, block))
}

/// Block 0 of each of the streams `streams` under `key`, computed side by side.
pub(crate) fn first_blocks(
    key: &[u32; 8],
    streams: [u64; SIDE_BY_SIDE],
) -> [[u32; BLOCK_WORDS]; SIDE_BY_SIDE] {
    let mut side_by_side = [u32x4::ZERO; BLOCK_WORDS];
    for (word, &constant) in side_by_side.iter_mut().zip(&CONSTANTS) {
        *word = u32x4::splat(constant);
    }
    for (word, &key) in side_by_side[4..12].iter_mut().zip(key) {
        *word = u32x4::splat(key);
    }
    // Words 12 and 13, the block counter, stay 0.
    side_by_side[14] = u32x4::new(streams.map(|stream| stream as u32));
    side_by_side[15] = u32x4::new(streams.map(|stream| (stream >> 32) as u32));
    let mixed = mix(side_by_side);
    let mut blocks = [[0; BLOCK_WORDS]; SIDE_BY_SIDE];
    for (word, mixed) in mixed.iter().enumerate() {
        for (block, value) in blocks.iter_mut().zip(mixed.to_array()) {
            block[word] = value;
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn expected(seed: [u8; 32], stream: u64, block: u64) -> [u32; BLOCK_WORDS] {
        let mut rng = ChaCha8Rng::from_seed(seed);
        rng.set_stream(stream);
        rng.set_word_pos(u128::from(block) * BLOCK_WORDS as u128);
        std::array::from_fn(|_| rng.next_u32())
    }

    /// The reference is `rand_chacha`, which every published number came from.
    #[test]
    fn blocks_are_rand_chachas_words_for_any_stream_and_position() {
        let seed: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(5));
        let key: [u32; 8] =
            std::array::from_fn(|i| u32::from_le_bytes(seed[4 * i..4 * i + 4].try_into().unwrap()));
        let streams = [0, 1, 0xDEAD_BEEF_0123_4567, u64::MAX];
        for &position in &[0, 1, 3, 4, 5, 63, 0xFFFF_FFFF, 0x1_0000_0000, u64::MAX >> 5] {
            for &stream in &streams {
                assert_eq!(
                    block(&key, stream, position),
                    expected(seed, stream, position),
                    "stream {stream:#x}, block {position}"
                );
            }
        }
        let first = first_blocks(&key, streams);
        for (lane, &stream) in streams.iter().enumerate() {
            assert_eq!(first[lane], expected(seed, stream, 0), "stream {stream:#x}");
        }
    }
}
