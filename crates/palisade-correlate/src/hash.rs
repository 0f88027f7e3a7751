//! Hashing: a stable hash for fingerprints and incident ids, and a fast keyed one for
//! the correlator's internal maps and join keys.
//!
//! `std`'s hashers are randomly keyed or not guaranteed stable across Rust releases; ids
//! written into reports must be the same on every machine and every build, so the stable
//! hash is our own: a folded multiply over 8-byte little-endian words.

const STABLE_SEED: u64 = 0x243f_6a88_85a3_08d3;

/// The little-endian word of up to 8 bytes, zero-padded (what copying them into a zeroed
/// `[u8; 8]` gives, without the copy: a call and a store-forwarding stall for a few
/// bytes).
#[inline]
fn tail_word(rest: &[u8]) -> u64 {
    rest.iter()
        .take(8)
        .enumerate()
        .fold(0u64, |w, (i, &b)| w | (u64::from(b) << (8 * i)))
}

/// The little-endian word of exactly 8 bytes.
#[inline]
fn word_of(c: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(c);
    u64::from_le_bytes(w)
}
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
            self.word(word_of(c));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.word(tail_word(rest));
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
            self.mix(word_of(c));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.mix(tail_word(rest) ^ ((rest.len() as u64) << 59));
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

    fn write_u128(&mut self, v: u128) {
        self.mix((v as u64) ^ ((v >> 64) as u64).rotate_left(32));
    }

    fn finish(&self) -> u64 {
        folded_multiply(self.0, MUL.rotate_left(17))
    }
}

/// Two [`FastHasher`]s with independent seeds fed in one pass: a keyed 128-bit hash.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FastHasher2 {
    a: u64,
    b: u64,
    /// Per-lane secrets (derived from the seeds) for the two-word steps of `bytes`.
    ka: u64,
    kb: u64,
}

impl FastHasher2 {
    pub(crate) fn new(a: &FastState, b: &FastState) -> FastHasher2 {
        FastHasher2 {
            a: a.seed,
            b: b.seed,
            ka: folded_multiply(a.seed, STABLE_FINAL) | 1,
            kb: folded_multiply(b.seed, STABLE_MUL) | 1,
        }
    }

    #[inline]
    pub(crate) fn u64(&mut self, v: u64) {
        self.a = folded_multiply(self.a ^ v, MUL);
        self.b = folded_multiply(self.b ^ v, MUL);
    }

    /// Feed `bytes`: 16 at a time, each lane mixing both words in one multiplication
    /// (with its secret, as foldhash does), then the rest a word at a time.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        let mut pairs = bytes.chunks_exact(16);
        for c in &mut pairs {
            let (w0, w1) = (word_of(&c[..8]), word_of(&c[8..]));
            self.a = folded_multiply(self.a ^ w0, self.ka ^ w1);
            self.b = folded_multiply(self.b ^ w1, self.kb ^ w0);
        }
        let mut chunks = pairs.remainder().chunks_exact(8);
        for c in &mut chunks {
            self.u64(word_of(c));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.u64(tail_word(rest) ^ ((rest.len() as u64) << 59));
        }
    }

    /// A string, length first (so that `("ab", "c")` and `("a", "bc")` differ).
    pub(crate) fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.bytes(s.as_bytes());
    }

    pub(crate) fn finish(self) -> u128 {
        let fin = MUL.rotate_left(17);
        (u128::from(folded_multiply(self.a, fin)) << 64) | u128::from(folded_multiply(self.b, fin))
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
