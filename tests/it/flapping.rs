//! Flapping partitions (DESIGN §5): a scheduled partition or link cut that alternates cut
//! and healed within its window, each state held at least the minimum stable time, and a
//! `random_partitions` process dampened the same way.

use crate::common::scenario;
use failsim::compile::CompiledScenario;
use failsim::core::time::SimTime;
use failsim::sim::engine::Replication;
use failsim::sim::faults::FaultRegistry;
use failsim::sim::trace::{TraceEvent, TraceSink};

const S: u64 = 1_000_000_000;

/// The spans (start, end) of every cut, in order.
#[derive(Default)]
struct Cuts(Vec<(u64, Option<u64>)>);

impl TraceSink for Cuts {
    fn record(&mut self, at: SimTime, event: &TraceEvent) {
        match event {
            TraceEvent::FaultStart { .. } => self.0.push((at.0, None)),
            TraceEvent::FaultEnd { .. } => {
                let open = self.0.last_mut().expect("a cut ends after it starts");
                assert_eq!(open.1, None, "two ends of one cut");
                open.1 = Some(at.0);
            }
            _ => {}
        }
    }
}

fn cuts(scenario: &CompiledScenario) -> Vec<(u64, Option<u64>)> {
    let registry = FaultRegistry::new(&scenario.faults);
    let mut sink = Cuts::default();
    Replication::new(scenario, &registry, 0, Some(&mut sink)).run();
    sink.0
}

/// A 3-node N_WAY group and one scheduled fault on c, with `window` and `flap`.
fn flapping(horizon: &str, window: &str, fault: &str, flap: &str) -> CompiledScenario {
    scenario(&format!(
        r#"{{"horizon": "{horizon}", "replications": 1,
            "topology": {{"nodes": [{{"id": "a"}}, {{"id": "b"}}, {{"id": "c"}}]}},
            "services": [{{"name": "kv", "strategy": "N_WAY", "replicas": ["a", "b", "c"]}}],
            "faults": {{"scheduled": [{{"id": "flappy", "at": "10s", {window}
                "fault": {fault}, "flap": {flap}}}]}}}}"#
    ))
}

#[test]
fn a_flapping_isolation_cuts_and_heals_at_the_derived_instants() {
    // Window [10 s, 110 s). Cuts last 10 s and heals 5 s, both raised to the 20 s
    // minimum: cut at 10, heal at 30, cut at 50, heal at 70, cut at 90; the window's
    // end at 110 heals the last (its own toggle at 110, scheduled later, is stale).
    let scenario = flapping(
        "1h",
        r#""duration": {"const": "100s"},"#,
        r#"{"isolate": {"nodes": ["c"]}}"#,
        r#"{"cut": {"const": "10s"}, "healed": {"const": "5s"}, "min_stable": "20s"}"#,
    );
    assert_eq!(
        cuts(&scenario),
        [
            (10 * S, Some(30 * S)),
            (50 * S, Some(70 * S)),
            (90 * S, Some(110 * S))
        ]
    );
}

#[test]
fn a_window_that_ends_healed_leaves_nothing_to_undo_and_a_link_cut_flaps_too() {
    // Window [10 s, 55 s): cuts of 30 s, heals of 20 s: cut 10–40, healed 40–60, so the
    // window ends healed at 55 and nothing is undone (no second end).
    let scenario = flapping(
        "1h",
        r#""duration": {"const": "45s"},"#,
        r#"{"one_way": {"from": ["a"], "to": ["b", "c"]}}"#,
        r#"{"cut": {"const": "30s"}, "healed": {"const": "20s"}, "min_stable": "1s"}"#,
    );
    assert_eq!(cuts(&scenario), [(10 * S, Some(40 * S))]);
    // [10 s, 85 s): cut 10–40, healed 40–60, cut 60–90 cut short at 85.
    let scenario = flapping(
        "1h",
        r#""duration": {"const": "75s"},"#,
        r#"{"cut_link": {"from": "a", "to": "b"}}"#,
        r#"{"cut": {"const": "30s"}, "healed": {"const": "20s"}, "min_stable": "1s"}"#,
    );
    assert_eq!(
        cuts(&scenario),
        [(10 * S, Some(40 * S)), (60 * S, Some(85 * S))]
    );
}

#[test]
fn stochastic_flaps_hold_at_least_the_minimum_and_average_its_raised_mean() {
    // Cuts exp(mean 60 s) raised to 20 s: E[max(X, 20)] = 20 + 60·e^(−1/3) = 62.99 s;
    // heals a constant 40 s. Over a year without an end: about 3·10⁵ cuts of standard
    // deviation below 60 s, so the mean's standard error is below 0.11 s; ±1 s is 9 of
    // them.
    let scenario = flapping(
        "365d",
        "",
        r#"{"isolate": {"nodes": ["c"]}}"#,
        r#"{"cut": {"exp": {"mean": "60s"}}, "healed": {"const": "40s"}, "min_stable": "20s"}"#,
    );
    let spans = cuts(&scenario);
    assert!(spans.len() > 250_000, "{}", spans.len());
    let closed: Vec<(u64, u64)> = spans
        .iter()
        .filter_map(|&(start, end)| end.map(|end| (start, end)))
        .collect();
    assert!(closed.iter().all(|&(start, end)| end - start >= 20 * S));
    // Each heal lasts exactly 40 s.
    assert!(closed
        .windows(2)
        .all(|pair| pair[1].0 - pair[0].1 == 40 * S));
    let mean =
        closed.iter().map(|&(s, e)| (e - s) as f64).sum::<f64>() / closed.len() as f64 / S as f64;
    let expected = 20.0 + 60.0 * (-1.0f64 / 3.0).exp();
    assert!((mean - expected).abs() < 1.0, "{mean} against {expected}");
}

#[test]
fn the_summary_counts_each_cut_of_a_flapping_fault_as_a_start() {
    let scenario = flapping(
        "1h",
        r#""duration": {"const": "100s"},"#,
        r#"{"isolate": {"nodes": ["c"]}}"#,
        r#"{"cut": {"const": "10s"}, "healed": {"const": "5s"}, "min_stable": "20s"}"#,
    );
    let outcome = crate::common::run(&scenario, 0);
    assert_eq!(outcome.faults.len(), 1);
    assert_eq!(outcome.faults[0].1.starts, 3);
    assert_eq!(outcome.faults[0].1.nodes, 3);
}

/// A 3-node N_WAY group under one `random_partitions` process `process`.
fn partition_process(horizon: &str, process: &str) -> CompiledScenario {
    scenario(&format!(
        r#"{{"horizon": "{horizon}", "replications": 1,
            "topology": {{"nodes": [{{"id": "a"}}, {{"id": "b"}}, {{"id": "c"}}]}},
            "services": [{{"name": "kv", "strategy": "N_WAY", "replicas": ["a", "b", "c"]}}],
            "faults": {{"random_partitions": [{process}]}}}}"#
    ))
}

#[test]
fn a_dampened_partition_process_holds_each_partition_and_heal_the_minimum() {
    // Heals of 5 s and partitions of 2 s, both raised to 4 s: the first partition starts
    // at max(5, 4) = 5 s and lasts max(2, 4) = 4 s, the next starts 5 s after its end.
    let scenario = partition_process(
        "30s",
        r#"{"interarrival": {"const": "5s"}, "duration": {"const": "2s"}, "min_stable": "4s"}"#,
    );
    assert_eq!(
        cuts(&scenario),
        [
            (5 * S, Some(9 * S)),
            (14 * S, Some(18 * S)),
            (23 * S, Some(27 * S))
        ]
    );
    // Without it: partitions of 2 s every 7 s, the third still on at the horizon.
    let plain = partition_process(
        "20s",
        r#"{"interarrival": {"const": "5s"}, "duration": {"const": "2s"}}"#,
    );
    assert_eq!(
        cuts(&plain),
        [(5 * S, Some(7 * S)), (12 * S, Some(14 * S)), (19 * S, None)]
    );
}

#[test]
fn dampening_a_stochastic_process_keeps_its_draws_and_raises_the_short_ones() {
    // The same stream with and without dampening (the draws are not changed, only raised
    // to 30 s): span by span, each dampened length is max(plain length, 30 s).
    let process = |least: &str| {
        format!(
            r#"{{"id": "p", "interarrival": {{"exp": {{"mean": "60s"}}}},
                "duration": {{"exp": {{"mean": "40s"}}}}{least}}}"#
        )
    };
    let plain = cuts(&partition_process("1d", &process("")));
    let dampened = cuts(&partition_process(
        "1d",
        &process(r#", "min_stable": "30s""#),
    ));
    assert!(dampened.len() > 500, "{}", dampened.len());
    let lengths = |spans: &[(u64, Option<u64>)]| -> Vec<(u64, u64)> {
        let mut heal_start = 0;
        spans
            .iter()
            .filter_map(|&(start, end)| {
                let end = end?;
                let heal = start - heal_start;
                heal_start = end;
                Some((heal, end - start))
            })
            .collect()
    };
    let (plain, dampened) = (lengths(&plain), lengths(&dampened));
    for (i, (&(heal, cut), &(damped_heal, damped_cut))) in plain.iter().zip(&dampened).enumerate() {
        assert_eq!(damped_heal, heal.max(30 * S), "heal {i}");
        assert_eq!(damped_cut, cut.max(30 * S), "partition {i}");
    }
    assert!(dampened.iter().any(|&(_, cut)| cut == 30 * S));
}

#[test]
fn a_zero_minimum_stable_time_on_a_process_is_refused_where_it_is_written() {
    let text = r#"{"horizon": "1h",
        "topology": {"nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}]},
        "services": [{"name": "kv", "strategy": "N_WAY", "replicas": ["a", "b", "c"]}],
        "faults": {"random_partitions": [{"interarrival": {"const": "5s"},
            "duration": {"const": "2s"}, "min_stable": "0s"}]}}"#;
    let error = failsim::compile::load_str(text, std::path::Path::new("process.json"))
        .expect_err("a zero minimum is refused")
        .to_string();
    assert!(
        error.contains("faults.random_partitions[0].min_stable")
            && error.contains("longer than zero"),
        "{error}"
    );
    assert!(error.contains("process.json:5:"), "{error}");
}
