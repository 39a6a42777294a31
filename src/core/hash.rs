//! FNV-1a, 64 bits (Fowler, Noll, Vo): the stable hash of stream identities and of
//! scenario files. Written here rather than taken from `std` because `DefaultHasher`'s
//! output may change between Rust versions, and these hashes are stored in results.

/// An FNV-1a hash in progress: fixed offset basis and prime.
#[derive(Clone, Debug)]
pub struct Fnv1a(pub u64);

impl Fnv1a {
    const OFFSET_BASIS: u64 = 0xCBF2_9CE4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01B3;

    /// The hash of nothing.
    pub fn new() -> Self {
        Fnv1a(Self::OFFSET_BASIS)
    }

    /// Folds in `bytes`.
    pub fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ byte as u64).wrapping_mul(Self::PRIME);
        }
    }
}

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a::new()
    }
}

/// The hash of a scenario file's bytes as 16 hex digits: the `scenario_hash` that result
/// files carry, so that any number can be traced back to the file that produced it.
pub fn content_hash(bytes: &[u8]) -> String {
    let mut hash = Fnv1a::new();
    hash.write(bytes);
    format!("{:016x}", hash.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_test_vectors() {
        assert_eq!(content_hash(b""), "cbf29ce484222325");
        assert_eq!(content_hash(b"a"), "af63dc4c8601ec8c");
    }
}
