//! Grassmann–Taksar–Heyman elimination: the stationary distribution of a small chain and
//! the mean time to absorption of its transient part, with no subtraction anywhere.
//!
//! Plain Gaussian elimination on a generator subtracts nearly equal numbers (the
//! diagonal is minus the sum of its row), so a probability of 10⁻¹¹ next to one of 1 is
//! lost to rounding. GTH never forms the diagonal: when a state is eliminated, each
//! remaining state's exit rate is recomputed as the sum of its (non-negative) rates out,
//! so every operation adds, multiplies or divides non-negative numbers and the relative
//! error of every result stays a small multiple of the machine epsilon (Grassmann,
//! Taksar & Heyman 1985; O'Cinneide 1993).

/// The stationary distribution π of the irreducible chain whose off-diagonal rates are
/// `rates[i][j]` (i ≠ j; the diagonal is ignored): πQ = 0, Σπ = 1.
///
/// Returns None when some state cannot reach the states before it (the chain is not
/// irreducible).
pub(crate) fn stationary(mut rates: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let n = rates.len();
    for k in (1..n).rev() {
        let (before, from_k) = rates.split_at_mut(k);
        let row_k = &from_k[0][..k];
        let out: f64 = row_k.iter().sum();
        if out <= 0.0 {
            return None;
        }
        for (i, row) in before.iter_mut().enumerate() {
            row[k] /= out;
            let via = row[k];
            if via == 0.0 {
                continue;
            }
            for (j, (rate, &through)) in row[..k].iter_mut().zip(row_k).enumerate() {
                if j != i {
                    *rate += via * through;
                }
            }
        }
    }
    let mut pi = vec![0.0; n];
    if n > 0 {
        pi[0] = 1.0;
    }
    for k in 1..n {
        pi[k] = (0..k).map(|i| pi[i] * rates[i][k]).sum();
    }
    let total: f64 = pi.iter().sum();
    pi.iter_mut().for_each(|p| *p /= total);
    Some(pi)
}

/// Mean time to absorption from state 0 of a chain with transient states 0..n:
/// `rates[i][j]` between transient states (i ≠ j; the diagonal is ignored) and
/// `exits[i]` from transient state i into the absorbing set. Solves
/// (exit rate of i)·mᵢ − Σⱼ rates[i][j]·mⱼ = 1 by eliminating states from the last,
/// GTH-style: each exit rate is the sum of what remains of its row and its rate into
/// absorption, never a difference.
///
/// Returns None when some transient state cannot reach absorption (the mean is
/// infinite).
pub(crate) fn mean_time_to_absorption(
    mut rates: Vec<Vec<f64>>,
    mut exits: Vec<f64>,
) -> Option<f64> {
    let n = rates.len();
    let mut sources = vec![1.0; n];
    let mut out = vec![0.0; n];
    for k in (0..n).rev() {
        let (before, from_k) = rates.split_at_mut(k);
        let row_k = &from_k[0][..k];
        out[k] = row_k.iter().sum::<f64>() + exits[k];
        if out[k] <= 0.0 {
            return None;
        }
        for (i, row) in before.iter_mut().enumerate() {
            let share = row[k] / out[k];
            if share == 0.0 {
                continue;
            }
            for (j, (rate, &through)) in row[..k].iter_mut().zip(row_k).enumerate() {
                if j != i {
                    *rate += share * through;
                }
            }
            exits[i] += share * exits[k];
            sources[i] += share * sources[k];
        }
    }
    let mut times = vec![0.0; n];
    for k in 0..n {
        let through: f64 = (0..k).map(|j| rates[k][j] * times[j]).sum();
        times[k] = (sources[k] + through) / out[k];
    }
    times.first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_relative(actual: f64, expected: f64, tolerance: f64) {
        let error = ((actual - expected) / expected).abs();
        assert!(
            error <= tolerance,
            "{actual} vs {expected}: relative error {error:e}"
        );
    }

    /// The birth-death chain of `n` components with failure rate λ each and `crew`
    /// repairs at rate μ at once, on the number down.
    fn birth_death(n: usize, lambda: f64, mu: f64, crew: usize) -> Vec<Vec<f64>> {
        let mut rates = vec![vec![0.0; n + 1]; n + 1];
        for down in 0..=n {
            if down < n {
                rates[down][down + 1] = (n - down) as f64 * lambda;
            }
            if down > 0 {
                rates[down][down - 1] = down.min(crew) as f64 * mu;
            }
        }
        rates
    }

    #[test]
    fn two_states_give_the_renewal_fractions() {
        let pi = stationary(birth_death(1, 1.0 / 1000.0, 1.0 / 10.0, 1)).unwrap();
        assert_relative(pi[0], 1000.0 / 1010.0, 1e-15);
        assert_relative(pi[1], 10.0 / 1010.0, 1e-15);
    }

    #[test]
    fn tiny_probabilities_keep_their_digits() {
        // 3 of 5 down, MTTF one year, MTTR one hour, independent repair: the binomial
        // term C(5,3) q³ (1−q)² with q = 1/8761 is 1.487e-11, and GTH gets every digit
        // of the states' probabilities, down to π₅ ≈ 2e-20.
        let (lambda, mu) = (1.0 / 8760.0, 1.0);
        let pi = stationary(birth_death(5, lambda, mu, 5)).unwrap();
        let q = lambda / (lambda + mu);
        let binomial = [1.0, 5.0, 10.0, 10.0, 5.0, 1.0];
        for (down, p) in pi.iter().enumerate() {
            let expected = binomial[down] * q.powi(down as i32) * (1.0 - q).powi(5 - down as i32);
            assert_relative(*p, expected, 1e-13);
        }
    }

    #[test]
    fn a_chain_that_cannot_return_is_refused() {
        let mut rates = birth_death(2, 1.0, 1.0, 1);
        rates[1][0] = 0.0;
        rates[2][1] = 0.0;
        assert_eq!(stationary(rates), None);
    }

    #[test]
    fn mean_time_to_absorption_of_one_state_is_its_holding_time() {
        assert_relative(
            mean_time_to_absorption(vec![vec![0.0]], vec![4.0]).unwrap(),
            0.25,
            0.0,
        );
        assert_eq!(mean_time_to_absorption(vec![vec![0.0]], vec![0.0]), None);
    }

    #[test]
    fn mean_time_to_absorption_matches_the_birth_death_passage_times() {
        // 2 of 3 up needed, independent repair: transient states 0 and 1 down, absorbed
        // at 2 down. Passage 0→1: 1/(3λ); 1→2: (1 + μ·τ₀)/(2λ).
        let (lambda, mu) = (1.0 / 100.0, 1.0 / 5.0);
        let rates = vec![vec![0.0, 3.0 * lambda], vec![mu, 0.0]];
        let exits = vec![0.0, 2.0 * lambda];
        let tau0 = 1.0 / (3.0 * lambda);
        let tau1 = (1.0 + mu * tau0) / (2.0 * lambda);
        assert_relative(
            mean_time_to_absorption(rates, exits).unwrap(),
            tau0 + tau1,
            1e-14,
        );
    }
}
