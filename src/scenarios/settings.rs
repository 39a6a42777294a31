//! `--set PATH=VALUE,…`: a value of the scenario file changed before it is parsed, so
//! that each variant goes through every check the file itself would.
//!
//! A path addresses the file as written: dotted object keys, and list items by index or
//! by the `name` (services, systems) or `id` (nodes, faults) they carry —
//! `services.db.detection.interval` is the `interval` of the `detection` of the service
//! named `db`. A value is read as the field it replaces is written: text for a text field
//! (`1s`, `ACTIVE_PASSIVE`), a number for a number, `true`/`false` for a flag; a value for
//! a field the file leaves out is read as JSON when it is JSON, otherwise as text.

use crate::core::nearest::did_you_mean;
use serde_json::Value;

/// Why a `--set` cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("--set `{path}`: {message}")]
pub struct SettingError {
    /// The path as given.
    pub path: String,
    /// What is wrong, with a suggestion where one is near.
    pub message: String,
}

/// One `--set`: a path and the values it takes, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The dotted path.
    pub path: String,
    /// The values as written.
    pub values: Vec<String>,
}

impl Setting {
    /// Parses `PATH=V1,V2,…`.
    pub fn parse(text: &str) -> Result<Setting, SettingError> {
        let error = |message: &str| SettingError {
            path: text.to_string(),
            message: message.to_string(),
        };
        let (path, values) = text.split_once('=').ok_or_else(|| {
            error("write PATH=VALUE[,VALUE…], e.g. services.db.detection.interval=1s,5s")
        })?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(error("the path has an empty step: write dotted keys, e.g. services.db.detection.interval"));
        }
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
        if values.iter().any(String::is_empty) {
            return Err(SettingError {
                path: path.to_string(),
                message: "an empty value: write the values separated by commas, e.g. 1s,5s,15s"
                    .into(),
            });
        }
        Ok(Setting {
            path: path.to_string(),
            values,
        })
    }
}

/// Sets the value at `path` in `document` to `raw`, read as the field it replaces.
pub fn apply(document: &mut Value, path: &str, raw: &str) -> Result<(), SettingError> {
    let error = |message: String| SettingError {
        path: path.to_string(),
        message,
    };
    let steps: Vec<&str> = path.split('.').collect();
    let mut here = document;
    let mut walked = String::new();
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        let at = if walked.is_empty() {
            "the top level".to_string()
        } else {
            format!("`{walked}`")
        };
        here = match here {
            Value::Object(fields) => {
                if !fields.contains_key(*step) {
                    let suggestion = did_you_mean(step, fields.keys().map(String::as_str));
                    // A field the file leaves out may be set, unless it looks like a
                    // slip for one it has; typed parsing refuses an unknown one.
                    if !last || !suggestion.is_empty() {
                        return Err(error(format!("no `{step}` at {at}{suggestion}")));
                    }
                    fields.insert(step.to_string(), Value::Null);
                }
                fields.get_mut(*step).expect("present or inserted")
            }
            Value::Array(items) => {
                let index = match step.parse::<usize>() {
                    Ok(index) if index < items.len() => index,
                    Ok(index) => {
                        return Err(error(format!(
                            "{at} has {} items, so no item {index}",
                            items.len()
                        )))
                    }
                    Err(_) => {
                        let label = |item: &Value| {
                            ["name", "id"]
                                .iter()
                                .find_map(|key| item.get(key).and_then(Value::as_str))
                                .map(str::to_string)
                        };
                        let names: Vec<String> = items.iter().filter_map(label).collect();
                        match items
                            .iter()
                            .position(|item| label(item).as_deref() == Some(step))
                        {
                            Some(index) => index,
                            None => {
                                let suggestion =
                                    did_you_mean(step, names.iter().map(String::as_str));
                                return Err(error(format!(
                                    "no item named `{step}` in {at} (items are addressed by \
                                     index, name or id){suggestion}"
                                )));
                            }
                        }
                    }
                };
                &mut items[index]
            }
            _ => {
                return Err(error(format!(
                    "{at} is a value, not an object or a list, so it has no `{step}`"
                )))
            }
        };
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(step);
    }
    *here = read_as(here, raw).map_err(error)?;
    Ok(())
}

/// `raw` read as the value `old` is written.
fn read_as(old: &Value, raw: &str) -> Result<Value, String> {
    match old {
        Value::String(_) => Ok(Value::String(raw.to_string())),
        Value::Number(_) => match serde_json::from_str::<Value>(raw) {
            Ok(number @ Value::Number(_)) => Ok(number),
            _ => Err(format!("`{raw}` is not a number, as the field is")),
        },
        Value::Bool(_) => match raw {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("`{raw}` is not true or false, as the field is")),
        },
        Value::Null | Value::Object(_) | Value::Array(_) => {
            Ok(serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scenario() -> Value {
        json!({
            "replications": 10,
            "services": [{"name": "db", "detection": {"interval": "5s"}, "flag": true}],
            "topology": {"nodes": [{"id": "db1"}, {"id": "db2"}]}
        })
    }

    #[test]
    fn services_and_nodes_are_addressed_by_name_id_or_index() {
        let mut doc = scenario();
        apply(&mut doc, "services.db.detection.interval", "1s").unwrap();
        apply(&mut doc, "topology.nodes.db2.capacity", "0.5").unwrap();
        apply(&mut doc, "topology.nodes.0.zone", "a").unwrap();
        apply(&mut doc, "replications", "20").unwrap();
        assert_eq!(doc["services"][0]["detection"]["interval"], json!("1s"));
        assert_eq!(doc["topology"]["nodes"][1]["capacity"], json!(0.5));
        assert_eq!(doc["topology"]["nodes"][0]["zone"], json!("a"));
        assert_eq!(doc["replications"], json!(20));
    }

    #[test]
    fn a_misspelt_key_or_name_is_refused_with_the_nearest() {
        let mut doc = scenario();
        let error = apply(&mut doc, "services.db.detection.intervl", "1s").unwrap_err();
        assert_eq!(
            error.to_string(),
            "--set `services.db.detection.intervl`: no `intervl` at `services.db.detection`; did you mean `interval`?"
        );
        let error = apply(&mut doc, "services.dv.detection.interval", "1s").unwrap_err();
        assert!(error.message.contains("did you mean `db`?"), "{error}");
        let error = apply(&mut doc, "services.3.name", "x").unwrap_err();
        assert!(
            error.message.contains("has 1 items, so no item 3"),
            "{error}"
        );
        assert_eq!(doc, scenario());
    }

    #[test]
    fn values_are_read_as_the_field_is_written() {
        let mut doc = scenario();
        let error = apply(&mut doc, "replications", "ten").unwrap_err();
        assert_eq!(error.message, "`ten` is not a number, as the field is");
        assert!(apply(&mut doc, "services.db.flag", "yes").is_err());
        apply(&mut doc, "services.db.flag", "false").unwrap();
        apply(&mut doc, "services.db.demand", "2").unwrap();
        apply(&mut doc, "services.db.strategy", "N_WAY").unwrap();
        assert_eq!(doc["services"][0]["flag"], json!(false));
        assert_eq!(doc["services"][0]["demand"], json!(2));
        assert_eq!(doc["services"][0]["strategy"], json!("N_WAY"));
    }

    #[test]
    fn settings_parse_path_and_comma_separated_values() {
        let setting = Setting::parse("services.db.detection.interval=1s, 5s,15s").unwrap();
        assert_eq!(setting.path, "services.db.detection.interval");
        assert_eq!(setting.values, ["1s", "5s", "15s"]);
        assert!(Setting::parse("services.db").is_err());
        assert!(Setting::parse("services..db=1").is_err());
        assert!(Setting::parse("seed=1,,2").is_err());
    }
}
