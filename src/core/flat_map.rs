//! A small ordered map kept as one sorted vector: the per-service tables of a study.
//!
//! A study of 10⁵ services holds several maps per service (by fault kind, by fault, by
//! outcome) of one or two entries each. A `BTreeMap` allocates a whole leaf (room for
//! eleven entries) for the first, about 2 KB per map here; this map allocates what it
//! holds. It serializes exactly like a `BTreeMap` with the same entries (a JSON object
//! in key order, `{}` when empty), so result and shard files are unchanged. (`litemap`
//! does the same job but writes an empty map as `[]` in JSON.)

use std::borrow::Borrow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ordered map as a vector of (key, value) pairs sorted by key, without duplicates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlatMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for FlatMap<K, V> {
    fn default() -> Self {
        FlatMap {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord, V> FlatMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// The value of `key`, if present.
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|at| &self.entries[at].1)
    }

    /// Whether `key` has an entry.
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// The value of `key` to change, if present.
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|at| &mut self.entries[at].1)
    }

    /// Room for one entry in an empty map: most of these maps never get a second, and a
    /// first growth would reserve four.
    fn reserve_first(&mut self) {
        if self.entries.is_empty() {
            self.entries.reserve_exact(1);
        }
    }

    /// Sets the value of `key`; returns the value it replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(at) => Some(std::mem::replace(&mut self.entries[at].1, value)),
            Err(at) => {
                self.reserve_first();
                self.entries.insert(at, (key, value));
                None
            }
        }
    }

    /// The value of `key`, inserted as `V::default()` when absent.
    pub fn get_or_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        self.get_or_insert_with(key, V::default)
    }

    /// The value of `key`, inserted as `value()` when absent.
    pub fn get_or_insert_with(&mut self, key: K, value: impl FnOnce() -> V) -> &mut V {
        let at = match self.find(&key) {
            Ok(at) => at,
            Err(at) => {
                self.reserve_first();
                self.entries.insert(at, (key, value()));
                at
            }
        };
        &mut self.entries[at].1
    }
}

impl<K, V> FlatMap<K, V> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for FlatMap<K, V> {
    /// Like `BTreeMap`: a later value for the same key replaces an earlier one.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut entries: Vec<(K, V)> = iter.into_iter().collect();
        // Stable: equal keys stay in input order, so the last one is kept below.
        entries.sort_by(|(a, _), (b, _)| a.cmp(b));
        let mut kept: Vec<(K, V)> = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            match kept.last_mut() {
                Some((last, slot)) if *last == key => *slot = value,
                _ => kept.push((key, value)),
            }
        }
        kept.shrink_to_fit();
        FlatMap { entries: kept }
    }
}

impl<K, V> IntoIterator for FlatMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<K: Serialize, V: Serialize> Serialize for FlatMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (key, value) in &self.entries {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for FlatMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for Entries<K, V> {
            type Value = FlatMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(access.size_hint().unwrap_or(0).min(4096));
                while let Some(entry) = access.next_entry()? {
                    entries.push(entry);
                }
                Ok(entries.into_iter().collect())
            }
        }
        deserializer.deserialize_map(Entries(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn serializes_like_a_btree_map_with_the_same_entries() {
        let pairs = [("b", 2), ("a", 1), ("c", 3), ("a", 4)];
        let flat: FlatMap<String, u64> = pairs.iter().map(|&(k, v)| (k.to_owned(), v)).collect();
        let tree: BTreeMap<String, u64> = pairs.iter().map(|&(k, v)| (k.to_owned(), v)).collect();
        assert_eq!(
            serde_json::to_string(&flat).unwrap(),
            serde_json::to_string(&tree).unwrap()
        );
        assert_eq!(
            serde_json::to_string(&flat).unwrap(),
            r#"{"a":4,"b":2,"c":3}"#
        );
        let empty: FlatMap<String, u64> = FlatMap::new();
        assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
        let back: FlatMap<String, u64> =
            serde_json::from_str(r#"{"c":3,"a":1,"b":2,"a":4}"#).unwrap();
        assert_eq!(back, flat);
    }

    #[test]
    fn keeps_entries_sorted_through_inserts() {
        let mut map = FlatMap::new();
        assert_eq!(map.insert(3, "c"), None);
        assert_eq!(map.insert(1, "a"), None);
        assert_eq!(map.insert(3, "C"), Some("c"));
        *map.get_or_default(2) = "b";
        assert_eq!(map.get(&1), Some(&"a"));
        assert_eq!(map.get(&4), None);
        assert_eq!(
            map.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(),
            [(1, "a"), (2, "b"), (3, "C")]
        );
        assert_eq!(map.len(), 3);
    }
}
