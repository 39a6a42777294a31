//! Distributions of durations, in the one JSON shape used everywhere (DESIGN §5).

use crate::core::duration::Duration;
use crate::core::time::Nanos;
use rand::RngExt;
use rand_distr::Distribution as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A distribution of durations: `{"exp": {"mean": "30d"}}`, `{"const": "5s"}`, ...
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Distribution {
    /// Exponential (memoryless) with the given mean.
    Exp {
        /// Mean duration.
        mean: Duration,
    },
    /// Weibull with a dimensionless shape and a scale duration.
    Weibull {
        /// Shape k (1 = exponential, > 1 wear-out).
        #[schemars(extend("exclusiveMinimum" = 0))]
        shape: f64,
        /// Scale λ.
        scale: Duration,
    },
    /// Log-normal given by its median and the sigma of the underlying normal.
    Lognormal {
        /// Median duration (e^μ).
        median: Duration,
        /// Standard deviation of the logarithm.
        #[schemars(range(min = 0, max = 10))]
        sigma: f64,
    },
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower bound.
        min: Duration,
        /// Upper bound.
        max: Duration,
    },
    /// Always the same duration.
    Const(Duration),
    /// One of the listed durations, each equally likely.
    #[schemars(schema_with = "non_empty_durations")]
    Empirical(Vec<Duration>),
}

/// The schema of an empirical distribution's values: at least one duration.
fn non_empty_durations(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let mut schema = generator.subschema_for::<Vec<Duration>>();
    schema.insert("minItems".to_string(), 1.into());
    schema
}

impl Distribution {
    /// A constant distribution.
    pub fn constant(duration: Duration) -> Self {
        Distribution::Const(duration)
    }

    /// Draws one duration in nanoseconds.
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Nanos {
        let secs_to_ns = |secs: f64| crate::core::time::secs_to_nanos(secs);
        match self {
            Distribution::Const(d) => d.nanos(),
            Distribution::Exp { mean } => exponential(rng, mean.secs()),
            Distribution::Weibull { shape, scale } => {
                // Inverse transform: scale · (−ln U)^(1/shape).
                let unit: f64 = rand_distr::Exp1.sample(rng);
                secs_to_ns(scale.secs() * unit.powf(1.0 / shape))
            }
            Distribution::Lognormal { median, sigma } => {
                let z: f64 = rand_distr::StandardNormal.sample(rng);
                secs_to_ns(median.secs() * (sigma * z).exp())
            }
            Distribution::Uniform { min, max } => {
                if max.nanos() <= min.nanos() {
                    min.nanos()
                } else {
                    rng.random_range(min.nanos()..=max.nanos())
                }
            }
            Distribution::Empirical(values) => values[rng.random_range(0..values.len())].nanos(),
        }
    }

    /// This distribution, ready to draw from many times.
    pub(crate) fn sampler(&self) -> Sampler<'_> {
        match self {
            Distribution::Exp { mean } => Sampler::Exp {
                mean_secs: mean.secs(),
            },
            other => Sampler::Other(other),
        }
    }

    /// The mean in seconds (for documentation, validation and closed forms).
    pub fn mean_secs(&self) -> f64 {
        match self {
            Distribution::Const(d) => d.secs(),
            Distribution::Exp { mean } => mean.secs(),
            Distribution::Weibull { shape, scale } => {
                crate::analytic::weibull_mean(*shape, scale.secs())
            }
            Distribution::Lognormal { median, sigma } => {
                median.secs() * (sigma * sigma / 2.0).exp()
            }
            Distribution::Uniform { min, max } => (min.secs() + max.secs()) / 2.0,
            Distribution::Empirical(values) => {
                values.iter().map(|d| d.secs()).sum::<f64>() / values.len().max(1) as f64
            }
        }
    }

    /// The key that names this distribution in files (`exp`, `weibull`, ...).
    pub fn key(&self) -> &'static str {
        match self {
            Distribution::Exp { .. } => "exp",
            Distribution::Weibull { .. } => "weibull",
            Distribution::Lognormal { .. } => "lognormal",
            Distribution::Uniform { .. } => "uniform",
            Distribution::Const(_) => "const",
            Distribution::Empirical(_) => "empirical",
        }
    }

    /// Problems with the parameters, each as (field suffix, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, field: &str, message: &str| {
            if !ok {
                problems.push((field.to_string(), message.to_string()));
            }
        };
        match self {
            Distribution::Const(_) => {}
            Distribution::Exp { mean } => check(
                mean.nanos() > 0,
                "exp.mean",
                "mean must be > 0: an exponential of mean 0 fires at an infinite rate",
            ),
            Distribution::Weibull { shape, scale } => {
                check(
                    shape.is_finite() && *shape > 0.0,
                    "weibull.shape",
                    "shape must be a positive number",
                );
                check(scale.nanos() > 0, "weibull.scale", "scale must be > 0");
            }
            Distribution::Lognormal { median, sigma } => {
                check(median.nanos() > 0, "lognormal.median", "median must be > 0");
                check(
                    sigma.is_finite() && *sigma >= 0.0 && *sigma <= 10.0,
                    "lognormal.sigma",
                    "sigma must be between 0 and 10",
                );
            }
            Distribution::Uniform { min, max } => {
                check(min <= max, "uniform", "min must not be greater than max")
            }
            Distribution::Empirical(values) => check(
                !values.is_empty(),
                "empirical",
                "an empirical distribution needs at least one value",
            ),
        }
        // Valid-looking parameters can still put the mean beyond simulated time (a tiny
        // Weibull shape, a large lognormal sigma): then nearly every draw saturates at
        // the end of time, which no scenario means.
        if problems.is_empty() {
            let mean = self.mean_secs();
            let limit = crate::core::time::nanos_to_secs(Nanos::MAX);
            if !mean.is_finite() || mean > limit {
                let fix = match self {
                    Distribution::Weibull { .. } => "use a larger shape",
                    Distribution::Lognormal { .. } => "use a smaller sigma",
                    _ => "use smaller parameters",
                };
                problems.push((
                    self.key().to_string(),
                    format!(
                        "the mean ({mean:.3e} s) is beyond the 584 years or so that simulated \
                         time (u64 nanoseconds) can hold: {fix}"
                    ),
                ));
            }
        }
        problems
    }
}

/// One draw of an exponential duration of mean `mean_secs`, in nanoseconds.
#[inline]
fn exponential<R: rand::Rng + ?Sized>(rng: &mut R, mean_secs: f64) -> Nanos {
    let unit: f64 = rand_distr::Exp1.sample(rng);
    crate::core::time::secs_to_nanos(unit * mean_secs)
}

/// A distribution drawn from many times in a hot loop: an exponential's mean is read once,
/// not converted to seconds (a division) at every draw. Draws what
/// [`Distribution::sample`] draws, number for number.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Sampler<'a> {
    /// An exponential of this mean, in seconds.
    Exp { mean_secs: f64 },
    /// Any other distribution, drawn as it is.
    Other(&'a Distribution),
}

impl Sampler<'_> {
    /// Draws one duration in nanoseconds. Always inlined: the call cost a sixth of an
    /// exponential draw in the one-node path, which makes two per outage.
    #[inline(always)]
    pub(crate) fn sample<R: rand::Rng + ?Sized>(self, rng: &mut R) -> Nanos {
        match self {
            Sampler::Exp { mean_secs } => exponential(rng, mean_secs),
            Sampler::Other(distribution) => distribution.sample(rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn mean_of(dist: &Distribution) -> f64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let n = 200_000;
        (0..n)
            .map(|_| dist.sample(&mut rng) as f64 / 1e9)
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn sample_means_match_the_stated_means_within_one_percent() {
        let cases: Vec<Distribution> = vec![
            serde_json::from_str(r#"{"exp": {"mean": "10s"}}"#).unwrap(),
            serde_json::from_str(r#"{"weibull": {"shape": 2, "scale": "10s"}}"#).unwrap(),
            serde_json::from_str(r#"{"lognormal": {"median": "8s", "sigma": 0.5}}"#).unwrap(),
            serde_json::from_str(r#"{"uniform": {"min": "1s", "max": "3s"}}"#).unwrap(),
            serde_json::from_str(r#"{"empirical": ["2s", "3s", "9s"]}"#).unwrap(),
        ];
        for dist in cases {
            let relative = (mean_of(&dist) - dist.mean_secs()).abs() / dist.mean_secs();
            assert!(relative < 0.01, "{dist:?}: relative error {relative}");
        }
    }

    #[test]
    fn parameters_that_push_the_mean_beyond_simulated_time_are_problems() {
        let tiny_shape: Distribution =
            serde_json::from_str(r#"{"weibull": {"shape": 0.01, "scale": "1d"}}"#).unwrap();
        assert_eq!(tiny_shape.problems()[0].0, "weibull");
        let wide: Distribution =
            serde_json::from_str(r#"{"lognormal": {"median": "1d", "sigma": 9}}"#).unwrap();
        assert_eq!(wide.problems()[0].0, "lognormal");
        let fine: Distribution =
            serde_json::from_str(r#"{"weibull": {"shape": 0.5, "scale": "30d"}}"#).unwrap();
        assert!(fine.problems().is_empty());
    }

    #[test]
    fn a_sampler_draws_what_the_distribution_draws() {
        for text in [
            r#"{"exp": {"mean": "1h"}}"#,
            r#"{"exp": {"mean": "333ms"}}"#,
            r#"{"weibull": {"shape": 2, "scale": "10s"}}"#,
            r#"{"uniform": {"min": "1s", "max": "3s"}}"#,
        ] {
            let dist: Distribution = serde_json::from_str(text).unwrap();
            let mut a = rand_chacha::ChaCha8Rng::seed_from_u64(9);
            let mut b = a.clone();
            let sampler = dist.sampler();
            for _ in 0..1_000 {
                assert_eq!(dist.sample(&mut a), sampler.sample(&mut b), "{text}");
            }
        }
    }

    #[test]
    fn const_is_exact() {
        let dist: Distribution = serde_json::from_str(r#"{"const": "5s"}"#).unwrap();
        assert_eq!(mean_of(&dist), 5.0);
    }
}
