//! Availability expressed as a number of nines.

/// The "number of nines" of an availability: −log₁₀(1 − a), so 0.999 → 3 and 0.9995 → 3.3.
///
/// - `None` when `a ≥ 1` (the value would be +∞, which JSON cannot carry) or `a` is NaN.
/// - `Some(0.0)` when `a ≤ 0`, rather than a negative count of nines.
pub fn nines(availability: f64) -> Option<f64> {
    if availability.is_nan() || availability >= 1.0 {
        None
    } else if availability <= 0.0 {
        Some(0.0)
    } else {
        // For a close to 1 the subtraction is exact (Sterbenz), so no digits are lost.
        Some(-(1.0 - availability).log10())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_nines_of_round_availabilities() {
        for (availability, expected) in [(0.9, 1.0), (0.99, 2.0), (0.999, 3.0), (0.99999, 5.0)] {
            let n = nines(availability).unwrap();
            assert!((n - expected).abs() < 1e-9, "{availability}: {n}");
        }
    }

    #[test]
    fn half_a_nine_is_fractional() {
        let n = nines(0.9995).unwrap();
        assert!((n - 3.301_029_995_66).abs() < 1e-9, "{n}");
    }

    #[test]
    fn perfect_or_impossible_availability_has_no_finite_nines() {
        assert_eq!(nines(1.0), None);
        assert_eq!(nines(1.5), None);
        assert_eq!(nines(f64::NAN), None);
    }

    #[test]
    fn zero_or_negative_availability_has_zero_nines() {
        assert_eq!(nines(0.0), Some(0.0));
        assert_eq!(nines(-0.5), Some(0.0));
    }

    #[test]
    fn stays_finite_just_below_one() {
        let n = nines(1.0 - f64::EPSILON).unwrap();
        assert!((n - 15.653_559_774_527).abs() < 1e-9, "{n}");
    }
}
