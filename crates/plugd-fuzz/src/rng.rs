//! A small deterministic random source (SplitMix64): every fuzz case is rebuilt from the run's
//! seed and its case number, so a crash is replayed with `--seed S --case N`.

/// SplitMix64: fast, good enough for choosing mutations, and reproducible everywhere.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// The random source for case `case` of a run seeded with `seed`.
    pub fn for_case(seed: u64, case: u64) -> Rng {
        let mut rng = Rng {
            state: seed ^ case.wrapping_mul(0xA076_1D64_78BD_642F),
        };
        // Decorrelate neighbouring cases.
        rng.next_u64();
        rng.next_u64();
        rng
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            return 0;
        }
        (self.next_u64() % bound as u64) as usize
    }

    /// True with probability `numerator / denominator`.
    pub fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        denominator > 0 && self.next_u64() % denominator < numerator
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = (high - low) as u64 + 1;
        low + (self.next_u64() % span) as i64
    }

    /// One element of a non-empty slice (`None` for an empty one).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }

    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_and_case_give_the_same_numbers() {
        let mut first = Rng::for_case(7, 42);
        let mut second = Rng::for_case(7, 42);
        for _ in 0..10 {
            assert_eq!(first.next_u64(), second.next_u64());
        }
    }

    #[test]
    fn neighbouring_cases_differ() {
        assert_ne!(
            Rng::for_case(7, 1).next_u64(),
            Rng::for_case(7, 2).next_u64()
        );
    }
}
