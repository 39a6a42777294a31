//! Closed-form results that the simulator is validated against.
//!
//! Every time argument and result here is an `f64` in one unit of the caller's choosing
//! (hours in the validation cases, seconds for detection): pass all times of one call in
//! the same unit and read rates back per that unit. MTTF and MTTR are the *means* of the
//! time to failure and time to repair; availabilities are long-run fractions of time up.

/// Long-run availability of one repairable component: MTTF / (MTTF + MTTR).
///
/// Holds for any failure and repair distributions with these means (alternating renewal
/// process), not only exponential ones.
pub fn single_component_availability(mttf: f64, mttr: f64) -> f64 {
    mttf / (mttf + mttr)
}

/// Mean of a Weibull distribution: scale · Γ(1 + 1/shape). Requires `shape > 0`.
pub fn weibull_mean(shape: f64, scale: f64) -> f64 {
    scale * ln_gamma(1.0 + 1.0 / shape).exp()
}

/// Mean of a lognormal distribution given its median e^μ and log-space σ:
/// median · e^(σ²/2).
pub fn lognormal_mean(median: f64, sigma: f64) -> f64 {
    median * (sigma * sigma / 2.0).exp()
}

/// Probability that at least `k` of `n` independent components are up, each up with
/// probability `a`: Σ_{i=k..n} C(n,i) aⁱ (1−a)ⁿ⁻ⁱ.
///
/// `k = 0` gives 1 and `k > n` gives 0. The binomial coefficients are built up as `f64`
/// products, which stay finite and accurate for n ≤ 1000 (C(1000, 500) ≈ 2.7·10²⁹⁹).
pub fn k_of_n_availability(k: u32, n: u32, a: f64) -> f64 {
    if k == 0 {
        // Exactly 1, where the sum of all n + 1 terms would be off by rounding.
        return 1.0;
    }
    (k..=n).map(|i| binomial_probability(n, i, a)).sum()
}

/// Long-run system failures per unit time of a k-of-n system of independent components,
/// each with its own repair (exponential times): P(exactly k up) · k / MTTF.
///
/// The system fails exactly when it has k components up and one of them fails, which
/// happens at rate k/MTTF. Zero when `k = 0` (never down) or `k > n` (never up).
pub fn k_of_n_failure_frequency(k: u32, n: u32, mttf: f64, mttr: f64) -> f64 {
    if k == 0 || k > n {
        return 0.0;
    }
    let a = single_component_availability(mttf, mttr);
    binomial_probability(n, k, a) * f64::from(k) / mttf
}

/// Availability of a k-of-n system of exponential components sharing **one** repair
/// crew.
///
/// With i components up, failures occur at rate i/MTTF and, while any component is
/// down, repairs complete at rate 1/MTTR. The birth–death chain on i has stationary
/// distribution πᵢ ∝ ρⁱ / i! with ρ = MTTF/MTTR, and the result is Σ_{i≥k} πᵢ. The
/// weights are formed in log space, so large n or ρ neither overflow nor underflow.
/// `mttr = 0` (instant repair) gives 1 for k ≤ n.
pub fn k_of_n_availability_shared_repair(k: u32, n: u32, mttf: f64, mttr: f64) -> f64 {
    if k > n {
        return 0.0;
    }
    if mttr == 0.0 {
        return 1.0;
    }
    let ln_rho = (mttf / mttr).ln();
    let ln_weights: Vec<f64> = (0..=n)
        .scan(0.0, |ln_weight, i| {
            if i > 0 {
                *ln_weight += ln_rho - f64::from(i).ln();
            }
            Some(*ln_weight)
        })
        .collect();
    let largest = ln_weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = ln_weights.iter().map(|w| (w - largest).exp()).collect();
    let up: f64 = weights[k as usize..].iter().sum();
    up / weights.iter().sum::<f64>()
}

/// Availability of a majority quorum of `n` independent components, each up with
/// probability `a`: [`k_of_n_availability`] with k = ⌊n/2⌋ + 1.
pub fn quorum_availability(n: u32, a: f64) -> f64 {
    k_of_n_availability(n / 2 + 1, n, a)
}

/// Detection delay of a crash under periodic health probes, with the crash uniformly
/// distributed over the probe phase.
///
/// The first probe at or after the crash fails; the `threshold`-th consecutive failure is
/// declared `timeout` after that probe was sent. So the delay is
/// D = U + (k−1)·I + T with U uniform on [0, I), k = `threshold`, I = `interval`,
/// T = `timeout`: D is uniform on [(k−1)I + T, kI + T).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeriodicDetection {
    /// Time between probe sends (I).
    pub interval: f64,
    /// Time after a send at which an unanswered probe counts as failed (T).
    pub timeout: f64,
    /// Consecutive failed probes needed to declare the target down (k ≥ 1).
    pub threshold: u32,
}

impl PeriodicDetection {
    /// Smallest possible delay, (k−1)·I + T (attained when the crash lands just before a
    /// probe).
    pub fn min(&self) -> f64 {
        self.quantile(0.0)
    }

    /// Supremum of the delay, k·I + T, which is never attained (the bound is exclusive).
    pub fn sup(&self) -> f64 {
        self.quantile(1.0)
    }

    /// Mean delay, I/2 + (k−1)·I + T.
    pub fn mean(&self) -> f64 {
        self.quantile(0.5)
    }

    /// The `q`-quantile of the delay, q·I + (k−1)·I + T, for q in [0, 1).
    pub fn quantile(&self, q: f64) -> f64 {
        (q + f64::from(self.threshold) - 1.0) * self.interval + self.timeout
    }
}

/// Long-run rate of false "down" declarations per probe, when each probe is lost
/// independently with probability `loss_probability` (p) and a target is declared down
/// after `threshold` (k ≥ 1) consecutive losses, the counter being reset by a success.
///
/// A declaration is made on the k-th loss of a run of losses; the run then goes on
/// without further declarations until the next success resets the counter. So there is
/// exactly one declaration per run of at least k losses, made at the probe that
/// completes the first k losses of the run. Probe t is such a probe precisely when
/// probe t−k succeeded and probes t−k+1 … t were all lost, which in the stationary regime
/// has probability
///
/// rate = (1 − p) · pᵏ per probe.
///
/// (Not pᵏ: that counts every probe that ends k losses in a row, including those deeper
/// in a run that has already been declared.) Multiply by probes per unit time for a rate
/// in time. It is 0 at p = 0 and at p = 1 (one declaration, then never again).
pub fn false_detection_rate_per_probe(loss_probability: f64, threshold: u32) -> f64 {
    (1.0 - loss_probability) * loss_probability.powi(threshold as i32)
}

/// C(n, i) aⁱ (1−a)ⁿ⁻ⁱ, the probability of exactly `i` successes in `n` trials.
fn binomial_probability(n: u32, i: u32, a: f64) -> f64 {
    binomial_coefficient(n, i) * a.powi(i as i32) * (1.0 - a).powi((n - i) as i32)
}

/// C(n, i) as an `f64`, by the product Π_{j=1..m} (n − m + j) / j with m = min(i, n−i),
/// whose partial products are themselves binomial coefficients and so never overflow
/// before the result does.
fn binomial_coefficient(n: u32, i: u32) -> f64 {
    let m = i.min(n - i);
    (1..=m).fold(1.0, |c, j| c * f64::from(n - m + j) / f64::from(j))
}

/// ln Γ(x) for x > 0, by the Lanczos approximation (g = 7, 9 terms; relative error
/// about 10⁻¹⁵).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // The series is written for x ≥ 0.5; Γ(x) = Γ(x + 1) / x moves small x there.
        return ln_gamma(x + 1.0) - x.ln();
    }
    let x = x - 1.0;
    let series = COEFFICIENTS[1..]
        .iter()
        .zip(1..)
        .fold(COEFFICIENTS[0], |sum, (c, i)| sum + c / (x + f64::from(i)));
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + series.ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const HOURS_PER_YEAR: f64 = 8760.0;

    fn assert_close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not within {tolerance} of {expected}"
        );
    }

    #[test]
    fn gamma_matches_known_values() {
        assert_close(ln_gamma(1.5).exp(), 0.886_226_925_452_758, 1e-13);
        assert_close(ln_gamma(0.5).exp(), std::f64::consts::PI.sqrt(), 1e-13);
        assert_close(ln_gamma(1.0), 0.0, 1e-14);
        assert_close(ln_gamma(2.0), 0.0, 1e-14);
        assert_close(ln_gamma(5.0).exp(), 24.0, 1e-11);
        assert_close(ln_gamma(10.0).exp(), 362_880.0, 1e-7);
        assert_close(ln_gamma(0.1).exp(), 9.513_507_698_668_732, 1e-12);
        assert_close(ln_gamma(171.0), 706.573_062_245_787_3, 1e-10);
    }

    #[test]
    fn single_component_availability_of_v1() {
        assert_close(single_component_availability(1000.0, 10.0), 0.990_099, 5e-7);
    }

    #[test]
    fn distribution_means_of_v2() {
        assert_close(weibull_mean(2.0, 1000.0), 886.227, 5e-4);
        assert_close(lognormal_mean(8.0, 0.5), 9.0652, 5e-5);
        // Shape 1 is the exponential: mean = scale.
        assert_close(weibull_mean(1.0, 3.0), 3.0, 1e-13);
        let availability =
            single_component_availability(weibull_mean(2.0, 1000.0), lognormal_mean(8.0, 0.5));
        assert_close(availability, 0.989_875, 5e-7);
    }

    #[test]
    fn k_of_n_values_of_v3() {
        let a = single_component_availability(100.0, 5.0);
        assert_close(k_of_n_availability(2, 3, a), 0.993_413, 5e-7);
        assert_close(k_of_n_availability(3, 5, a), 0.998_996, 5e-7);
        let per_year = |k, n| k_of_n_failure_frequency(k, n, 100.0, 5.0) * HOURS_PER_YEAR;
        assert_close(per_year(2, 3), 22.70, 5e-3);
        assert_close(per_year(3, 5), 5.148, 5e-4);
    }

    #[test]
    fn k_of_n_edge_cases() {
        assert_eq!(k_of_n_availability(0, 4, 0.3), 1.0);
        assert_eq!(k_of_n_availability(5, 4, 0.9), 0.0);
        assert_close(k_of_n_availability(1, 1, 0.7), 0.7, 1e-15);
        assert_close(k_of_n_availability(3, 3, 0.9), 0.729, 1e-15);
        assert_close(k_of_n_availability(1, 3, 0.9), 1.0 - 0.001, 1e-15);
        assert_eq!(k_of_n_availability(2, 3, 1.0), 1.0);
        assert_eq!(k_of_n_availability(2, 3, 0.0), 0.0);
        assert_eq!(k_of_n_failure_frequency(0, 3, 100.0, 5.0), 0.0);
        assert_eq!(k_of_n_failure_frequency(4, 3, 100.0, 5.0), 0.0);
    }

    #[test]
    fn k_of_n_probabilities_sum_to_one_for_large_n() {
        for a in [0.01, 0.5, 0.9, 0.999] {
            let total: f64 = (0..=1000).map(|i| binomial_probability(1000, i, a)).sum();
            assert_close(total, 1.0, 1e-12);
        }
        assert!(binomial_coefficient(1000, 500).is_finite());
        assert_close(
            binomial_coefficient(1000, 500).log10(),
            299.431_827_151_864,
            1e-9,
        );
    }

    #[test]
    fn one_node_failure_frequency_is_one_per_cycle() {
        // 1-of-1: one failure per MTTF + MTTR on average.
        assert_close(
            k_of_n_failure_frequency(1, 1, 100.0, 5.0),
            1.0 / 105.0,
            1e-15,
        );
    }

    #[test]
    fn quorum_needs_a_strict_majority() {
        let a = 0.95;
        assert_eq!(quorum_availability(3, a), k_of_n_availability(2, 3, a));
        assert_eq!(quorum_availability(4, a), k_of_n_availability(3, 4, a));
        assert_eq!(quorum_availability(5, a), k_of_n_availability(3, 5, a));
        assert_eq!(quorum_availability(1, a), a);
    }

    #[test]
    fn shared_repair_with_one_node_is_a_single_component() {
        assert_close(
            k_of_n_availability_shared_repair(1, 1, 1000.0, 10.0),
            single_component_availability(1000.0, 10.0),
            1e-15,
        );
    }

    #[test]
    fn shared_repair_matches_the_hand_solved_two_node_chain() {
        // ρ = 20: π₂ : π₁ : π₀ = ρ²/2 : ρ : 1 = 200 : 20 : 1.
        assert_close(
            k_of_n_availability_shared_repair(1, 2, 100.0, 5.0),
            220.0 / 221.0,
            1e-15,
        );
        assert_close(
            k_of_n_availability_shared_repair(2, 2, 100.0, 5.0),
            200.0 / 221.0,
            1e-15,
        );
    }

    /// Stationary distribution of the shared-repair chain found by power iteration on
    /// its uniformized transition matrix, built from the rates alone.
    fn shared_repair_by_power_iteration(n: usize, mttf: f64, mttr: f64) -> Vec<f64> {
        let failure = |up: usize| up as f64 / mttf;
        let repair = |up: usize| if up < n { 1.0 / mttr } else { 0.0 };
        let uniform_rate = (0..=n).map(|i| failure(i) + repair(i)).fold(0.0, f64::max);
        let mut pi = vec![1.0 / (n + 1) as f64; n + 1];
        for _ in 0..20_000 {
            let mut next = vec![0.0; n + 1];
            for up in 0..=n {
                let down_step = failure(up) / uniform_rate;
                let up_step = repair(up) / uniform_rate;
                next[up] += pi[up] * (1.0 - down_step - up_step);
                if up > 0 {
                    next[up - 1] += pi[up] * down_step;
                }
                if up < n {
                    next[up + 1] += pi[up] * up_step;
                }
            }
            pi = next;
        }
        pi
    }

    #[test]
    fn shared_repair_matches_the_chain_solved_numerically() {
        let (n, mttf, mttr) = (5, 30.0, 4.0);
        let pi = shared_repair_by_power_iteration(n, mttf, mttr);
        for k in 0..=n {
            let expected: f64 = pi[k..].iter().sum();
            let actual = k_of_n_availability_shared_repair(k as u32, n as u32, mttf, mttr);
            assert_close(actual, expected, 1e-9);
        }
    }

    #[test]
    fn shared_repair_is_never_better_than_independent_repair() {
        let a = single_component_availability(100.0, 5.0);
        for (k, n) in [(1, 2), (2, 3), (3, 5), (5, 9)] {
            let shared = k_of_n_availability_shared_repair(k, n, 100.0, 5.0);
            assert!(shared <= k_of_n_availability(k, n, a) + 1e-15, "{k}-of-{n}");
        }
    }

    #[test]
    fn shared_repair_stays_finite_for_large_n() {
        let availability = k_of_n_availability_shared_repair(500, 1000, 1e6, 1.0);
        assert!(availability.is_finite() && (0.0..=1.0).contains(&availability));
        assert_eq!(k_of_n_availability_shared_repair(0, 1000, 1.0, 1e6), 1.0);
        assert_eq!(k_of_n_availability_shared_repair(2, 3, 100.0, 0.0), 1.0);
        assert_eq!(k_of_n_availability_shared_repair(4, 3, 100.0, 5.0), 0.0);
    }

    #[test]
    fn periodic_detection_of_v4() {
        let detection = PeriodicDetection {
            interval: 5.0,
            timeout: 2.0,
            threshold: 3,
        };
        assert_eq!(detection.min(), 12.0);
        assert_eq!(detection.sup(), 17.0);
        assert_eq!(detection.mean(), 14.5);
        assert_close(detection.quantile(0.99), 16.95, 1e-12);
    }

    #[test]
    fn detection_with_threshold_one_is_the_first_probe_plus_timeout() {
        let detection = PeriodicDetection {
            interval: 10.0,
            timeout: 1.0,
            threshold: 1,
        };
        assert_eq!((detection.min(), detection.sup()), (1.0, 11.0));
    }

    #[test]
    fn false_detection_rate_edge_cases() {
        assert_eq!(false_detection_rate_per_probe(0.0, 3), 0.0);
        assert_eq!(false_detection_rate_per_probe(1.0, 3), 0.0);
        // k = 1: every loss that follows a success is a declaration.
        assert_close(false_detection_rate_per_probe(0.2, 1), 0.8 * 0.2, 1e-15);
    }

    /// Declarations per probe over `probes` Bernoulli(`p`) losses, with the counter rule
    /// implemented directly: count losses, reset on success, declare on reaching `k`.
    fn simulated_false_detection_rate(p: f64, k: u32, probes: u32, seed: u64) -> f64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut consecutive_losses = 0;
        let mut declarations = 0;
        for _ in 0..probes {
            if rng.random_bool(p) {
                consecutive_losses += 1;
                if consecutive_losses == k {
                    declarations += 1;
                }
            } else {
                consecutive_losses = 0;
            }
        }
        f64::from(declarations) / f64::from(probes)
    }

    #[test]
    fn false_detection_rate_matches_monte_carlo() {
        // Declarations are at most one per k + 1 probes and nearly Poisson, so the
        // estimate's standard error is below √(rate / probes) ≈ 1.4·10⁻⁴ here; allow 4 of
        // them. The wrong answer pᵏ = 0.027 is 60 standard errors away.
        let (p, k, probes) = (0.3, 3, 1_000_000);
        let expected = false_detection_rate_per_probe(p, k);
        assert_close(expected, 0.7 * 0.027, 1e-15);
        let simulated = simulated_false_detection_rate(p, k, probes, 7);
        let tolerance = 4.0 * (expected / f64::from(probes)).sqrt();
        assert_close(simulated, expected, tolerance);
    }
}
