//! The shape of the file format, read from its own JSON Schema (`failsim schema`): which
//! fields exist, which values must be objects, which objects hold exactly one of several
//! keys, and a neutral stand-in for a value that did not parse.
//!
//! Parsing asks these questions before and after serde has its say, so that the answers
//! follow the model types without a second description of the format to keep in step.

use serde_json::{Map, Value};
use std::sync::OnceLock;

/// The JSON Schema of one document type, with its `$defs`.
#[derive(Debug)]
pub(crate) struct Shape {
    schema: Value,
}

/// One place in the schema: the subschema of a value, and the name of the definition it
/// came from (`FaultAction`, `Distribution`, ...) when it was reached through `$ref`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node<'a> {
    schema: &'a Value,
    defs: &'a Value,
    name: Option<&'a str>,
}

/// One step of a JSON path: a field or an array index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step<'p> {
    /// `.key`
    Key(&'p str),
    /// `[i]`
    Index(usize),
}

/// Splits `services[0].replicas[2]` into its steps; `None` for text that is not a path.
pub(crate) fn steps(path: &str) -> Option<Vec<Step<'_>>> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']')?;
            out.push(Step::Index(after[..close].parse().ok()?));
            rest = &after[close + 1..];
        } else {
            let rest_key = rest.strip_prefix('.').unwrap_or(rest);
            let end = rest_key.find(['.', '[']).unwrap_or(rest_key.len());
            if end == 0 {
                return None;
            }
            out.push(Step::Key(&rest_key[..end]));
            rest = &rest_key[end..];
        }
    }
    Some(out)
}

impl Shape {
    /// The shape of a scenario file.
    pub(crate) fn scenario() -> &'static Shape {
        static SHAPE: OnceLock<Shape> = OnceLock::new();
        SHAPE.get_or_init(|| Shape {
            schema: schemars::schema_for!(crate::scenarios::model::Scenario).to_value(),
        })
    }

    /// The whole document.
    pub(crate) fn root(&self) -> Node<'_> {
        Node {
            schema: &self.schema,
            defs: self.schema.get("$defs").unwrap_or(&Value::Null),
            name: None,
        }
    }

    /// The schema of the value at `path` (`""` is the root), if the format has one there.
    pub(crate) fn at(&self, path: &str) -> Option<Node<'_>> {
        let mut node = self.root();
        for step in steps(path)? {
            node = match step {
                Step::Key(key) => node.field(key)?,
                Step::Index(_) => node.item()?,
            };
        }
        Some(node)
    }
}

impl<'a> Node<'a> {
    fn with(self, schema: &'a Value) -> Node<'a> {
        Node {
            schema,
            defs: self.defs,
            name: None,
        }
    }

    /// This subschema with `$ref` followed (the definition's name kept).
    fn resolved(self) -> Node<'a> {
        let mut node = self;
        // Definitions refer to others by name only; a chain longer than the number of
        // definitions would be a cycle, which schemars does not write.
        for _ in 0..64 {
            let Some(name) = node
                .schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
            else {
                break;
            };
            match node.defs.get(name) {
                Some(schema) => {
                    node = Node {
                        schema,
                        defs: node.defs,
                        name: Some(name),
                    }
                }
                None => break,
            }
        }
        node
    }

    /// The alternatives of an `anyOf`/`oneOf`, each resolved; empty for a plain schema.
    fn alternatives(self) -> Vec<Node<'a>> {
        let node = self.resolved();
        ["oneOf", "anyOf"]
            .iter()
            .filter_map(|key| node.schema.get(*key).and_then(Value::as_array))
            .flatten()
            .map(|alternative| node.with(alternative).resolved())
            .collect()
    }

    /// An identity of this place in the schema, for memoising answers about it.
    pub(crate) fn address(self) -> usize {
        std::ptr::from_ref(self.schema) as usize
    }

    /// The JSON types this subschema's own `type` names (without alternatives).
    fn own_types(self) -> Vec<&'a str> {
        match self.schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether a value of JSON type `kind` (`object`, `array`, `string`, `number`,
    /// `boolean`, `null`) can be meant here.
    pub(crate) fn accepts(self, kind: &str) -> bool {
        let node = self.resolved();
        let alternatives = node.alternatives();
        if !alternatives.is_empty() {
            return alternatives.iter().any(|a| a.accepts(kind));
        }
        let types = node.own_types();
        if types.is_empty() {
            // A constant or an unconstrained schema.
            return match node.schema.get("const") {
                Some(value) => json_kind(value) == kind,
                None => true,
            };
        }
        types
            .iter()
            .any(|t| *t == kind || (kind == "number" && *t == "integer"))
    }

    /// The schema of field `key` of an object here (of the variant `key` for a tagged
    /// choice), if the format has that field.
    pub(crate) fn field(self, key: &str) -> Option<Node<'a>> {
        let node = self.resolved();
        if let Some(property) = node.schema.get("properties").and_then(|p| p.get(key)) {
            return Some(node.with(property));
        }
        node.alternatives().into_iter().find_map(|a| a.field(key))
    }

    /// The schema of the items of an array here.
    pub(crate) fn item(self) -> Option<Node<'a>> {
        let node = self.resolved();
        if let Some(items) = node.schema.get("items") {
            return Some(node.with(items));
        }
        node.alternatives().into_iter().find_map(|a| a.item())
    }

    /// The keys of a tagged choice: an object that holds exactly one of them, whose value
    /// says the rest (`{"exp": {...}}`, `{"crash": {...}}`). `None` unless every
    /// alternative is such an object or a constant string (a variant without data, as
    /// `"all"` beside `{"region": ...}`), and one at least is an object.
    pub(crate) fn choice_keys(self) -> Option<Vec<&'a str>> {
        let alternatives: Vec<Node<'a>> = self
            .resolved()
            .alternatives()
            .into_iter()
            .filter(|a| !(a.schema.get("const").is_some() && a.own_types() == ["string"]))
            .collect();
        if alternatives.is_empty() {
            return None;
        }
        alternatives
            .iter()
            .map(
                |a| match a.schema.get("required").and_then(Value::as_array) {
                    Some(required) if required.len() == 1 && a.own_types() == ["object"] => {
                        required[0].as_str()
                    }
                    _ => None,
                },
            )
            .collect()
    }

    /// The constant strings that may stand here beside a tagged choice's objects (`"all"`).
    pub(crate) fn constants(self) -> Vec<&'a str> {
        self.resolved()
            .alternatives()
            .into_iter()
            .filter_map(|a| a.schema.get("const").and_then(Value::as_str))
            .collect()
    }

    /// The fields of an object here, required ones first, in schema order otherwise;
    /// `None` when no object can be meant here.
    pub(crate) fn object_fields(self) -> Option<(Vec<&'a str>, Vec<&'a str>)> {
        let node = self.resolved();
        if node.own_types() == ["object"] {
            let required: Vec<&str> = node
                .schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let all = node
                .schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            return Some((all, required));
        }
        node.alternatives()
            .into_iter()
            .find_map(|a| a.object_fields())
    }

    /// What this is called in messages: the definition's name in words
    /// (`FaultAction` → "fault", `NodeSpec` → "node"), if it has one.
    pub(crate) fn noun(self) -> Option<String> {
        let name = self.resolved().name?;
        // Names whose words would mislead: a `FaultAction` is what users call a fault.
        let special = match name {
            "FaultAction" => Some("fault"),
            "NodeSpec" => Some("node"),
            "LinkSpec" => Some("link"),
            "ShapeSpec" | "RegionsSpec" | "TreeSpec" => Some("generator's parameter set"),
            _ => None,
        };
        if let Some(noun) = special {
            return Some(noun.to_string());
        }
        let mut words = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                words.push(' ');
            }
            words.push(c.to_ascii_lowercase());
        }
        Some(words)
    }

    /// A value that parses here and means as little as possible: the field's default
    /// when it has one, `null` where that is allowed, else the first alternative with its
    /// required fields filled the same way. It stands in for a value that did not parse,
    /// so that the checks that do not depend on it can still run.
    pub(crate) fn placeholder(self) -> Value {
        if let Some(default) = self.schema.get("default") {
            return default.clone();
        }
        let node = self.resolved();
        if let Some(default) = node.schema.get("default") {
            return default.clone();
        }
        if let Some(constant) = node.schema.get("const") {
            return constant.clone();
        }
        if let Some(first) = node
            .schema
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return first.clone();
        }
        let alternatives = node.alternatives();
        if !alternatives.is_empty() {
            if alternatives.iter().any(|a| a.own_types() == ["null"]) {
                return Value::Null;
            }
            return alternatives[0].placeholder();
        }
        let types = node.own_types();
        if types.contains(&"null") {
            return Value::Null;
        }
        match types.first().copied() {
            Some("object") => {
                let mut object = Map::new();
                let required = node.schema.get("required").and_then(Value::as_array);
                for key in required.into_iter().flatten().filter_map(Value::as_str) {
                    let value = node
                        .field(key)
                        .map_or(Value::Null, |field| field.placeholder());
                    object.insert(key.to_string(), value);
                }
                Value::Object(object)
            }
            Some("array") => Value::Array(Vec::new()),
            Some("string") => Value::String(String::new()),
            Some("integer") | Some("number") => node
                .schema
                .get("minimum")
                .cloned()
                .unwrap_or(Value::from(0)),
            Some("boolean") => Value::Bool(false),
            _ => Value::Null,
        }
    }
}

/// The JSON type of a value, as the schema names it.
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::model::Scenario;

    #[test]
    fn paths_split_into_keys_and_indices() {
        assert_eq!(
            steps("services[0].replicas[12]").unwrap(),
            [
                Step::Key("services"),
                Step::Index(0),
                Step::Key("replicas"),
                Step::Index(12)
            ]
        );
        assert_eq!(steps("").unwrap(), []);
        assert!(steps("a[x]").is_none());
        assert!(steps("a..b").is_none());
    }

    #[test]
    fn the_schema_knows_every_field_of_the_model_and_no_other() {
        let shape = Shape::scenario();
        for known in [
            "topology.nodes[3].capacity",
            "topology.generators[0].regions.capacity",
            "services[1].placement.count",
            "faults.scheduled[0].fault.crash.nodes[2]",
            "faults.node_failures[0].ttf.weibull.shape",
            "faults.node_failures[0].ttf.const",
            "horizon",
        ] {
            assert!(shape.at(known).is_some(), "{known}");
        }
        for unknown in [
            "topology.generators[0].id",
            "topology.nodes[0].name",
            "faults.scheduled[0].fault.crash[0]",
        ] {
            assert!(shape.at(unknown).is_none(), "{unknown}");
        }
    }

    #[test]
    fn tagged_choices_and_objects_are_recognised() {
        let shape = Shape::scenario();
        let fault = shape.at("faults.scheduled[0].fault").unwrap();
        let keys = fault.choice_keys().unwrap();
        assert!(keys.contains(&"crash") && keys.contains(&"isolate"));
        assert_eq!(fault.noun().as_deref(), Some("fault"));
        assert!(shape
            .at("topology.nodes[0]")
            .unwrap()
            .choice_keys()
            .is_none());
        let node = shape.at("topology.nodes[0]").unwrap();
        assert!(node.accepts("object") && !node.accepts("array"));
        let (_, required) = node.object_fields().unwrap();
        assert_eq!(required, ["id"]);
        let duration = shape.at("services[0].detection.phase").unwrap();
        assert!(duration.accepts("string") && duration.accepts("number"));
        assert!(duration.accepts("null") && !duration.accepts("array"));
    }

    #[test]
    fn placeholders_parse_as_the_model_type_and_take_the_defaults() {
        let shape = Shape::scenario();
        let minimal = shape.root().placeholder();
        let scenario: Scenario = serde_json::from_value(minimal).unwrap();
        assert!(scenario.services.is_empty());
        assert_eq!(
            shape
                .at("topology.nodes[0].capacity")
                .unwrap()
                .placeholder(),
            Value::from(1.0)
        );
        assert_eq!(shape.at("replications").unwrap().placeholder(), 100);
        for path in [
            "faults.scheduled[0]",
            "faults.node_failures[0]",
            "services[0]",
            "topology.generators[0]",
        ] {
            let text = shape.at(path).unwrap().placeholder().to_string();
            let mut scenario = shape.root().placeholder();
            let (list, _) = path.split_once('[').unwrap();
            let target = list.split('.').fold(&mut scenario, |v, key| &mut v[key]);
            *target = Value::Array(vec![serde_json::from_str(&text).unwrap()]);
            serde_json::from_value::<Scenario>(scenario)
                .unwrap_or_else(|e| panic!("{path}: {text}: {e}"));
        }
    }
}
