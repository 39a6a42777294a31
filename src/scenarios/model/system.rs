//! The file model of a system (DESIGN §10): services composed with `all_of`, `any_of`
//! and `k_of`, nested, evaluated on each replication's service states.

use schemars::JsonSchema;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// A system of services, e.g. `{"name": "checkout", "all_of": ["web", "api",
/// {"any_of": ["db-east", "db-west"]}]}`: exactly one of `all_of`, `any_of` or
/// `k_of` with `of`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct System {
    /// Name shown in reports (default "system").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Up only when every term is (series).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_of: Option<Vec<SystemTerm>>,
    /// Up when any term is (parallel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_of: Option<Vec<SystemTerm>>,
    /// Up when at least this many terms of `of` are (k-out-of-n).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k_of: Option<u32>,
    /// The terms of `k_of`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<Vec<SystemTerm>>,
}

/// A nested group of a system: exactly one of `all_of`, `any_of` or `k_of` with `of`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemGroup {
    /// Up only when every term is (series).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_of: Option<Vec<SystemTerm>>,
    /// Up when any term is (parallel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_of: Option<Vec<SystemTerm>>,
    /// Up when at least this many terms of `of` are (k-out-of-n).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k_of: Option<u32>,
    /// The terms of `k_of`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<Vec<SystemTerm>>,
}

impl System {
    /// The system's expression, as a group.
    pub fn group(&self) -> SystemGroup {
        SystemGroup {
            all_of: self.all_of.clone(),
            any_of: self.any_of.clone(),
            k_of: self.k_of,
            of: self.of.clone(),
        }
    }
}

/// One term of a system: a service name, or a nested group.
///
/// Read by hand rather than as an untagged enum, so that an error inside a group keeps
/// its JSON path and position, and anything else says what a term may be.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum SystemTerm {
    /// A service, by name.
    Service(String),
    /// A nested group.
    Group(SystemGroup),
}

impl<'de> Deserialize<'de> for SystemTerm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TermVisitor;
        impl<'de> Visitor<'de> for TermVisitor {
            type Value = SystemTerm;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a service name or a group such as {\"any_of\": [\"db-east\", \"db-west\"]}",
                )
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<SystemTerm, E> {
                Ok(SystemTerm::Service(name.to_string()))
            }

            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<SystemTerm, M::Error> {
                SystemGroup::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(SystemTerm::Group)
            }
        }
        deserializer.deserialize_any(TermVisitor)
    }
}
