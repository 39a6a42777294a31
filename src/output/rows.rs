//! The rows of the tidy tables — failover attempts, outage episodes, replications — as
//! typed cells: one definition that `failovers.csv`, `outages.csv` and `replications.csv`
//! write and that [`Tables`] holds in memory (the Python package's data frames).

use crate::compile::CompiledScenario;
use crate::core::ids::NodeId;
use crate::core::time::SimTime;
use crate::sim::engine::ReplicationOutcome;
use crate::sim::faults::FaultRegistry;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::borrow::Cow;

/// Columns of `failovers.csv`.
pub const FAILOVER_COLUMNS: &[&str] = &[
    "replication",
    "service",
    "strategy",
    "fault_id",
    "fault_kind",
    "fault_at_s",
    "detected_at_s",
    "decided_at_s",
    "completed_at_s",
    "outcome",
    "failover_time_s",
    "detection_time_s",
    "data_loss_s",
    "from",
    "to",
    "attempt",
    "ends_failover",
];

/// Columns of `outages.csv`.
pub const OUTAGE_COLUMNS: &[&str] = &[
    "replication",
    "service",
    "strategy",
    "vantage",
    "start_s",
    "end_s",
    "duration_s",
    "down_s",
    "fault_id",
    "fault_kind",
    "ended_by",
];

/// Columns of `replications.csv`.
pub const REPLICATION_COLUMNS: &[&str] = &[
    "replication",
    "service",
    "strategy",
    "availability",
    "lenient_availability",
    "served_availability",
    "down_s",
    "degraded_s",
    "outages",
    "first_outage_s",
    "failovers",
    "failovers_succeeded",
    "failover_time_mean_s",
    "split_brain_s",
    "unnecessary_failovers",
    "safety_violations",
];

/// One value of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// A count or an index.
    Int(u64),
    /// Seconds or a fraction.
    Float(f64),
    /// A flag.
    Bool(bool),
    /// A name from the scenario (a service, a node, a fault id, a vantage point).
    Name(String),
    /// A word of failsim's own (a strategy, a fault kind, an outcome).
    Word(&'static str),
    /// No value (no target node, no successful failover).
    Empty,
}

impl Cell {
    /// The cell as CSV text: numbers as Rust prints them, names neutralised by
    /// [`text_cell`], nothing for [`Cell::Empty`].
    pub fn csv_text(&self) -> Cow<'_, str> {
        match self {
            Cell::Int(n) => Cow::Owned(n.to_string()),
            Cell::Float(x) => Cow::Owned(x.to_string()),
            Cell::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Cell::Name(name) => Cow::Owned(text_cell(name)),
            Cell::Word(word) => Cow::Borrowed(word),
            Cell::Empty => Cow::Borrowed(""),
        }
    }
}

/// JSON: numbers, booleans, names as they are in the scenario, `null` for no value.
impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Int(n) => serializer.serialize_u64(*n),
            Cell::Float(x) => serializer.serialize_f64(*x),
            Cell::Bool(b) => serializer.serialize_bool(*b),
            Cell::Name(name) => serializer.serialize_str(name),
            Cell::Word(word) => serializer.serialize_str(word),
            Cell::Empty => serializer.serialize_none(),
        }
    }
}

/// A name from the scenario as a CSV cell that a spreadsheet will not run as a formula
/// (OWASP, CSV injection): a cell that begins with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading `'`, unless it is a number (`-0.5` stays a number).
pub fn text_cell(name: &str) -> String {
    let risky = name.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && name.parse::<f64>().is_err() {
        format!("'{name}")
    } else {
        name.to_string()
    }
}

/// The names the rows of a study's replications refer to: faults and nodes. Every
/// strategy variant of a scenario shares them, so those of the first replication serve.
pub(crate) struct Labels {
    registry: FaultRegistry,
    nodes: Vec<String>,
}

fn secs(t: SimTime) -> Cell {
    Cell::Float(t.as_secs_f64())
}

fn nanos_as_secs(nanos: u64) -> Cell {
    Cell::Float(nanos as f64 / 1e9)
}

impl Labels {
    pub(crate) fn of(scenario: &CompiledScenario) -> Labels {
        Labels {
            registry: FaultRegistry::new(&scenario.faults),
            nodes: (0..scenario.topology.len())
                .map(|n| scenario.topology.names.name(NodeId::new(n)).to_string())
                .collect(),
        }
    }

    fn node(&self, node: Option<NodeId>) -> Cell {
        node.map_or(Cell::Empty, |n| Cell::Name(self.nodes[n.index()].clone()))
    }

    /// The `failovers.csv` rows of one replication of `scenario` (a variant's services
    /// may run another strategy than the file's): one per attempt, service by service.
    pub(crate) fn failover_rows<'a>(
        &'a self,
        outcome: &'a ReplicationOutcome,
        scenario: &'a CompiledScenario,
    ) -> impl Iterator<Item = [Cell; 17]> + 'a {
        outcome
            .services
            .iter()
            .zip(&scenario.services)
            .flat_map(move |(service, spec)| {
                service.records.iter().map(move |record| {
                    [
                        Cell::Int(outcome.replication),
                        Cell::Name(spec.name.clone()),
                        Cell::Word(spec.strategy.name().as_str()),
                        Cell::Name(self.registry.id(record.fault).to_string()),
                        Cell::Word(self.registry.kind(record.fault)),
                        secs(record.fault_at),
                        secs(record.detected_at),
                        secs(record.decided_at),
                        secs(record.completed_at),
                        Cell::Word(record.outcome.as_str()),
                        nanos_as_secs(record.failover_time()),
                        nanos_as_secs(record.detection_time()),
                        nanos_as_secs(record.data_loss),
                        self.node(record.from),
                        self.node(record.to),
                        Cell::Int(u64::from(record.attempt)),
                        Cell::Bool(record.ends_failover),
                    ]
                })
            })
    }

    /// The `outages.csv` rows of one replication of `scenario`: one per episode and
    /// vantage point, service by service.
    pub(crate) fn outage_rows<'a>(
        &'a self,
        outcome: &'a ReplicationOutcome,
        scenario: &'a CompiledScenario,
    ) -> impl Iterator<Item = [Cell; 11]> + 'a {
        outcome
            .services
            .iter()
            .zip(&scenario.services)
            .enumerate()
            .flat_map(move |(index, (service, spec))| {
                service.episodes.iter().map(move |episode| {
                    [
                        Cell::Int(outcome.replication),
                        Cell::Name(spec.name.clone()),
                        Cell::Word(spec.strategy.name().as_str()),
                        Cell::Name(
                            scenario
                                .vantage_name(index as u32, episode.vantage)
                                .to_string(),
                        ),
                        secs(episode.start),
                        secs(episode.end),
                        nanos_as_secs(episode.duration()),
                        nanos_as_secs(episode.down),
                        Cell::Name(self.registry.id(episode.cause).to_string()),
                        Cell::Word(self.registry.kind(episode.cause)),
                        Cell::Word(episode.ended_by.as_str()),
                    ]
                })
            })
    }
}

/// The `replications.csv` rows of one replication of `scenario`: its services in
/// scenario order. Streamed as replications are folded, never held for the study.
pub(crate) fn replication_rows<'a>(
    outcome: &'a ReplicationOutcome,
    scenario: &'a CompiledScenario,
) -> impl Iterator<Item = [Cell; 16]> + 'a {
    let horizon = scenario.horizon;
    outcome
        .services
        .iter()
        .zip(&scenario.services)
        .map(move |(service, spec)| {
            let vantages = service.vantages.max(1) as f64;
            let tally = &service.tally;
            let optional = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Float);
            [
                Cell::Int(outcome.replication),
                Cell::Name(spec.name.clone()),
                Cell::Name(spec.strategy.name().as_str().to_string()),
                Cell::Float(service.availability(horizon)),
                Cell::Float(service.lenient_availability(horizon)),
                Cell::Float(service.served_availability(horizon)),
                Cell::Float(service.down_ns as f64 / vantages / 1e9),
                Cell::Float(service.degraded_ns as f64 / vantages / 1e9),
                Cell::Float(service.outages_per_vantage()),
                optional(service.outage_tally.first_start.map(|t| t.as_secs_f64())),
                Cell::Int(tally.failovers()),
                Cell::Int(tally.succeeded()),
                optional(tally.failover_time_mean_ns().map(|ns| ns / 1e9)),
                Cell::Float(service.split_brain_ns as f64 / 1e9),
                Cell::Int(service.unnecessary_failovers),
                Cell::Int(service.safety_violations),
            ]
        })
}

/// One table in memory, column by column.
#[derive(Clone, Debug)]
pub struct Table {
    columns: &'static [&'static str],
    values: Vec<Vec<Cell>>,
}

impl Table {
    fn new(columns: &'static [&'static str]) -> Table {
        Table {
            columns,
            values: vec![Vec::new(); columns.len()],
        }
    }

    fn push<const N: usize>(&mut self, row: [Cell; N]) {
        for (column, cell) in self.values.iter_mut().zip(row) {
            column.push(cell);
        }
    }

    /// The column names, in order.
    pub fn columns(&self) -> &'static [&'static str] {
        self.columns
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    /// Whether the table has no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values of the column at `index`, one per row.
    pub fn column(&self, index: usize) -> &[Cell] {
        &self.values[index]
    }
}

/// JSON: an object from each column name, in order, to the array of its values (the
/// shape `pandas.DataFrame` takes).
impl Serialize for Table {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.columns.len()))?;
        for (name, values) in self.columns.iter().zip(&self.values) {
            map.serialize_entry(name, values)?;
        }
        map.end()
    }
}

/// The three tidy tables of a study (or of a comparison's studies) in memory, with the
/// rows and values the CSV files have.
#[derive(Serialize)]
pub struct Tables {
    /// One row per failover attempt, as `failovers.csv`.
    pub failovers: Table,
    /// One row per outage episode and vantage point, as `outages.csv`.
    pub outages: Table,
    /// One row per replication and service, as `replications.csv`.
    pub replications: Table,
    #[serde(skip)]
    labels: Option<Labels>,
}

impl Default for Tables {
    fn default() -> Self {
        Tables {
            failovers: Table::new(FAILOVER_COLUMNS),
            outages: Table::new(OUTAGE_COLUMNS),
            replications: Table::new(REPLICATION_COLUMNS),
            labels: None,
        }
    }
}

impl Tables {
    /// Appends the failover, outage and replication rows of one replication of
    /// `scenario`; call it in
    /// replication order (as [`run_study`](crate::run::run_study) passes them).
    pub fn add_replication(&mut self, outcome: &ReplicationOutcome, scenario: &CompiledScenario) {
        let labels = self.labels.get_or_insert_with(|| Labels::of(scenario));
        for row in labels.failover_rows(outcome, scenario) {
            self.failovers.push(row);
        }
        for row in labels.outage_rows(outcome, scenario) {
            self.outages.push(row);
        }
        for row in replication_rows(outcome, scenario) {
            self.replications.push(row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_a_spreadsheet_would_run_are_neutralised_and_numbers_are_not() {
        for risky in [
            "=1+2",
            "+cmd",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"x\")",
        ] {
            assert_eq!(text_cell(risky), format!("'{risky}"));
        }
        for kept in ["db", "db-1", "-0.5", "+3", "-1e-9", "a=b", ""] {
            assert_eq!(text_cell(kept), kept);
        }
    }

    #[test]
    fn cells_read_as_csv_text_as_rust_prints_them_and_as_json_values() {
        let cells = [
            Cell::Int(7),
            Cell::Float(0.1),
            Cell::Float(2.0),
            Cell::Bool(true),
            Cell::Name("=db".to_string()),
            Cell::Word("Success"),
            Cell::Empty,
        ];
        let csv: Vec<_> = cells.iter().map(Cell::csv_text).collect();
        assert_eq!(csv, ["7", "0.1", "2", "true", "'=db", "Success", ""]);
        assert_eq!(
            serde_json::to_string(&cells).unwrap(),
            r#"[7,0.1,2.0,true,"=db","Success",null]"#
        );
    }

    #[test]
    fn a_table_serializes_column_by_column_in_column_order() {
        let mut table = Table::new(&["b", "a"]);
        table.push([Cell::Int(1), Cell::Word("x")]);
        table.push([Cell::Int(2), Cell::Empty]);
        assert_eq!(table.len(), 2);
        assert_eq!(
            serde_json::to_string(&table).unwrap(),
            r#"{"b":[1,2],"a":["x",null]}"#
        );
    }
}
