//! A parameter section that costs one pointer while it holds its defaults.

use schemars::{JsonSchema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::ops::{Deref, DerefMut};

/// A section of a service's parameters (`detection`, `n_way`, …): the defaults until the
/// file gives it or code changes it. A service uses one strategy's section of four and
/// often none, so 10⁵ services keep 8 bytes per absent section instead of up to 160.
///
/// It reads, writes, serialises and documents itself exactly as the section would.
#[derive(Clone, Default)]
pub struct Section<T: Defaults>(Option<Box<T>>);

/// A section type with defaults shared by every absent section.
pub trait Defaults: Default + 'static {
    /// The defaults, made once.
    fn defaults() -> &'static Self;
}

/// Implements [`Defaults`] for section types: one lazily made default value each.
macro_rules! shared_defaults {
    ($($section:ty),* $(,)?) => {$(
        impl $crate::scenarios::model::section::Defaults for $section {
            fn defaults() -> &'static Self {
                static DEFAULTS: std::sync::LazyLock<$section> =
                    std::sync::LazyLock::new(<$section>::default);
                &DEFAULTS
            }
        }
    )*};
}
pub(crate) use shared_defaults;

impl<T: Defaults> Deref for Section<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_deref().unwrap_or_else(|| T::defaults())
    }
}

impl<T: Defaults> DerefMut for Section<T> {
    /// The section, first made from the defaults if absent.
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_with(|| Box::new(T::default()))
    }
}

impl<T: Defaults> From<T> for Section<T> {
    fn from(section: T) -> Self {
        Section(Some(Box::new(section)))
    }
}

impl<T: Defaults + std::fmt::Debug> std::fmt::Debug for Section<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: Defaults + Serialize> Serialize for Section<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

impl<'de, T: Defaults + Deserialize<'de>> Deserialize<'de> for Section<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Section::from)
    }
}

impl<T: Defaults + JsonSchema> JsonSchema for Section<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::model::NWay;

    #[test]
    fn an_absent_section_reads_as_the_defaults_and_is_made_on_first_write() {
        let mut section: Section<NWay> = Section::default();
        assert!(section.0.is_none());
        let defaults = serde_json::to_string(&NWay::default()).unwrap();
        assert_eq!(serde_json::to_string(&section).unwrap(), defaults);
        let read: Section<NWay> = serde_json::from_str(&defaults).unwrap();
        assert!(read.0.is_some());
        assert_eq!(serde_json::to_string(&read).unwrap(), defaults);
        section.heartbeat = crate::core::duration::Duration::from_millis(20);
        assert!(section.0.is_some());
        assert_eq!(
            section.heartbeat,
            crate::core::duration::Duration::from_millis(20)
        );
        // The shared defaults are untouched.
        assert_eq!(
            serde_json::to_string(&Section::<NWay>::default()).unwrap(),
            defaults
        );
    }
}
