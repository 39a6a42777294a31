//! Durations in scenario files: strings with units (`250ms`, `5s`, `30d`) or plain seconds.

use crate::core::time::{Nanos, NANOS_PER_SEC};
use schemars::JsonSchema;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A non-negative span of time read from a scenario file, stored in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(pub Nanos);

impl Duration {
    /// A duration of `secs` whole seconds.
    pub const fn from_secs(secs: u64) -> Duration {
        Duration(secs * NANOS_PER_SEC)
    }

    /// A duration of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Duration {
        Duration(ms * 1_000_000)
    }

    /// The span in nanoseconds.
    pub fn nanos(self) -> Nanos {
        self.0
    }

    /// Whether the span is zero (a default left out when a model is written back).
    pub fn is_zero(&self) -> bool {
        self.0 == 0
    }

    /// The span in seconds.
    pub fn secs(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
}

const UNITS: &[(&str, f64)] = &[
    ("ns", 1.0),
    ("us", 1e3),
    ("µs", 1e3),
    ("ms", 1e6),
    ("s", 1e9),
    ("m", 60e9),
    ("min", 60e9),
    ("h", 3600e9),
    ("d", 86400e9),
    ("w", 604800e9),
    ("y", 31_557_600e9),
];

/// Why a text is not a duration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Beyond what u64 nanoseconds hold.
    #[error(
        "duration `{0}` is too long: simulated time is counted in u64 nanoseconds, about 584 years"
    )]
    TooLong(String),
    /// Below zero.
    #[error("duration `{0}` is negative: durations count forward and must be zero or more")]
    Negative(String),
    /// Neither a number of seconds nor a number with a unit.
    #[error("`{0}` is not a duration: use a number of seconds or a number with a unit (ns, us, ms, s, m, h, d, w, y), e.g. \"250ms\", \"5s\", \"30d\"")]
    Malformed(String),
}

/// Parses `"250ms"`, `"1h 30m"` (through `humantime`) or a decimal with one unit (`"0.2ms"`).
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    if let Ok(std_duration) = humantime::parse_duration(trimmed) {
        return u64::try_from(std_duration.as_nanos())
            .map(Duration)
            .map_err(|_| DurationError::TooLong(text.to_string()));
    }
    // A leading minus would otherwise fall through to "not a duration", which hides the
    // real mistake.
    if trimmed.starts_with('-') {
        return Err(DurationError::Negative(text.to_string()));
    }
    // humantime has no fractions; accept one decimal number followed by one unit.
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let unit = unit.trim();
    let scale = UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, s)| *s);
    match (number.parse::<f64>(), scale) {
        (Ok(value), Some(scale)) if value.is_finite() => nanos_from_f64(value * scale, text),
        _ => Err(DurationError::Malformed(text.to_string())),
    }
}

/// Parses a duration given on the command line: what [`parse_duration`] reads, or a
/// plain number of seconds (`30`, `0.5`), as a scenario file's numbers are read. A file's
/// *string* needs a unit (the schema says so); a flag has no other way to say seconds.
///
/// ```
/// use failsim::core::duration::{parse_duration, parse_flag_duration, Duration};
///
/// assert_eq!(parse_flag_duration("30")?, Duration::from_secs(30));
/// assert_eq!(parse_flag_duration("1h 30m")?, Duration::from_secs(5400));
/// assert_eq!(parse_duration("250ms")?, Duration::from_millis(250));
/// assert!(parse_duration("30").is_err(), "a file's string needs its unit");
/// # Ok::<(), failsim::core::duration::DurationError>(())
/// ```
pub fn parse_flag_duration(text: &str) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    let plain = !trimmed.is_empty()
        && trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && trimmed.bytes().filter(|&b| b == b'.').count() <= 1;
    match trimmed.parse::<f64>() {
        Ok(seconds) if plain && seconds.is_finite() => {
            nanos_from_f64(seconds * NANOS_PER_SEC as f64, text)
        }
        _ => parse_duration(text),
    }
}

fn nanos_from_f64(nanos: f64, text: &str) -> Result<Duration, DurationError> {
    if nanos < 0.0 || nanos.is_nan() {
        Err(DurationError::Negative(text.to_string()))
    } else if nanos >= u64::MAX as f64 {
        Err(DurationError::TooLong(text.to_string()))
    } else {
        Ok(Duration(nanos.round() as u64))
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration: a number of seconds or a string such as \"250ms\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
                parse_duration(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
                self.visit_f64(v as f64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
                // Echo huge numbers in exponent form rather than as hundreds of digits.
                let text = if v.abs() < 1e15 {
                    format!("{v}")
                } else {
                    format!("{v:e}")
                };
                nanos_from_f64(v * NANOS_PER_SEC as f64, &text).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(DurationVisitor)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let std_duration = std::time::Duration::from_nanos(self.0);
        serializer.serialize_str(&humantime::format_duration(std_duration).to_string())
    }
}

/// What the schema lets through as a duration string: one or more numbers, each with a
/// unit that `parse_duration` knows (humantime's words and the short units above).
const DURATION_PATTERN: &str = concat!(
    r"^\s*(?:[0-9]+(?:\.[0-9]+)?\s*",
    r"(?:nanos|nsec|ns|usec|us|µs|millis|msec|ms|seconds|second|secs|sec|s|",
    r"minutes|minute|mins|min|m|hours|hour|hrs|hr|h|days|day|d|weeks|week|wks|wk|w|",
    r"months|month|M|years|year|yrs|yr|y)\s*)+$"
);

impl JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A duration: a number of seconds, or a string with units such as \"250ms\", \"5s\", \"30m\", \"2h\", \"30d\".",
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": DURATION_PATTERN}
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_plain_seconds_parse() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration(250_000_000));
        assert_eq!(
            parse_duration("30d").unwrap(),
            Duration(30 * 86_400 * NANOS_PER_SEC)
        );
        assert_eq!(parse_duration("0.2ms").unwrap(), Duration(200_000));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration(1_500_000_000));
        let from_number: Duration = serde_json::from_str("2.5").unwrap();
        assert_eq!(from_number, Duration(2_500_000_000));
    }

    #[test]
    fn flags_read_plain_numbers_as_seconds_and_units_as_files_do() {
        assert_eq!(parse_flag_duration("30").unwrap(), Duration::from_secs(30));
        assert_eq!(
            parse_flag_duration(" 0.5 ").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(parse_flag_duration("1").unwrap(), Duration::from_secs(1));
        assert_eq!(
            parse_flag_duration("30d").unwrap(),
            Duration::from_secs(30 * 86_400)
        );
        assert_eq!(
            parse_flag_duration("1h 30m").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(
            parse_flag_duration("-5"),
            Err(DurationError::Negative("-5".into()))
        );
        assert_eq!(
            parse_flag_duration("1e30"),
            Err(DurationError::Malformed("1e30".into())),
            "exponents are not plain seconds"
        );
        assert_eq!(
            parse_flag_duration("1.2.3"),
            Err(DurationError::Malformed("1.2.3".into()))
        );
        assert!(matches!(
            parse_flag_duration("99999999999999999999"),
            Err(DurationError::TooLong(_))
        ));
        // A scenario file's string still needs its unit.
        assert_eq!(
            parse_duration("30"),
            Err(DurationError::Malformed("30".into()))
        );
    }

    #[test]
    fn nonsense_and_overflow_are_errors() {
        let too_long = |text: &str| DurationError::TooLong(text.to_string());
        assert_eq!(
            parse_duration("soon"),
            Err(DurationError::Malformed("soon".into()))
        );
        assert_eq!(parse_duration("1000000y"), Err(too_long("1000000y")));
        assert!(serde_json::from_str::<Duration>("-1").is_err());
        assert_eq!(
            parse_duration("-5s"),
            Err(DurationError::Negative("-5s".into()))
        );
        assert_eq!(parse_duration("585y"), Err(too_long("585y")));
        assert_eq!(
            parse_duration("18446744073709551616ns"),
            Err(too_long("18446744073709551616ns"))
        );
    }
}
