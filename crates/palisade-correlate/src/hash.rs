//! Hashing: a stable hash for fingerprints and incident ids, and a fast keyed one for
//! the correlator's internal maps and join keys.
//!
//! `std`'s hashers are randomly keyed or not guaranteed stable across Rust releases; ids
//! written into reports must be the same on every machine and every build, so the stable
//! hash is our own: a folded multiply over 8-byte little-endian words.

const STABLE_SEED: u64 = 0x243f_6a88_85a3_08d3;
const STABLE_MUL: u64 = 0x9e37_79b9_7f4a_7c15;
const STABLE_FINAL: u64 = 0xbf58_476d_1ce4_e5b9;

/// Incremental stable hash. Strings are written with a length prefix, so `("ab", "c")`
/// and `("a", "bc")` hash differently.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stable(u64);

impl Stable {
    pub(crate) fn new() -> Stable {
        Stable(STABLE_SEED)
    }

    fn word(&mut self, w: u64) {
        self.0 = folded_multiply(self.0 ^ w, STABLE_MUL);
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.word(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.word(u64::from_le_bytes(w));
        }
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.word(v);
    }

    pub(crate) fn i64(&mut self, v: i64) {
        self.word(v as u64);
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.bytes(s.as_bytes());
    }

    pub(crate) fn opt(&mut self, s: Option<&str>) {
        match s {
            None => self.u64(u64::MAX),
            Some(s) => self.str(s),
        }
    }

    pub(crate) fn finish(self) -> u64 {
        folded_multiply(self.0, STABLE_FINAL)
    }
}

/// Hasher state for the correlator's internal hash maps: a folded-multiply hash (as in
/// foldhash) with a per-process random seed, several times faster than SipHash on the
/// short keys used here while still not letting crafted names collide on purpose
/// without knowing the seed. Never used for anything that is output.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FastState {
    seed: u64,
}

impl Default for FastState {
    fn default() -> FastState {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x5eed_5eed);
        FastState {
            seed: h.finish() | 1,
        }
    }
}

impl std::hash::BuildHasher for FastState {
    type Hasher = FastHasher;
    fn build_hasher(&self) -> FastHasher {
        FastHasher(self.seed)
    }
}

const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

fn folded_multiply(a: u64, b: u64) -> u64 {
    let full = u128::from(a).wrapping_mul(u128::from(b));
    (full as u64) ^ ((full >> 64) as u64)
}

/// See [`FastState`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    fn mix(&mut self, v: u64) {
        self.0 = folded_multiply(self.0 ^ v, MUL);
    }
}

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.mix(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, v: u8) {
        self.mix(u64::from(v));
    }

    fn write_u64(&mut self, v: u64) {
        self.mix(v);
    }

    fn write_usize(&mut self, v: usize) {
        self.mix(v as u64);
    }

    fn finish(&self) -> u64 {
        folded_multiply(self.0, MUL.rotate_left(17))
    }
}

/// A `HashMap` with [`FastState`].
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, FastState>;
/// A `HashSet` with [`FastState`].
pub(crate) type FastSet<K> = std::collections::HashSet<K, FastState>;

#[cfg(test)]
mod tests {
    use super::*;

    const STABLE_PIN: u64 = 3_241_599_216_327_591_047;

    #[test]
    fn is_stable_and_length_prefixed() {
        let mut a = Stable::new();
        a.str("abcdefghij");
        // Pinned: incident ids depend on it, so it must never change by accident.
        assert_eq!(a.finish(), STABLE_PIN);
        let (mut x, mut y) = (Stable::new(), Stable::new());
        x.str("ab");
        x.str("c");
        y.str("a");
        y.str("bc");
        assert_ne!(x.finish(), y.finish());
    }

    #[test]
    fn fast_maps_work_and_spread() {
        let mut m: FastMap<String, usize> = FastMap::default();
        for i in 0..10_000 {
            m.insert(format!("4:pod|0:|4:shop|{i}"), i);
        }
        assert_eq!(m.len(), 10_000);
        assert_eq!(m.get("4:pod|0:|4:shop|1234"), Some(&1234));
        let mut s: FastSet<u64> = FastSet::default();
        assert!(s.insert(7) && !s.insert(7));
    }
}
