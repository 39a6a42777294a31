"""The Python package against the command line: the same numbers for the same seed,
the tables of `--csv`, located scenario errors, every kind of input, the GIL released."""

import csv
import json
import math
import os
import pathlib
import subprocess
import sys
import threading
import time

import pytest

import failsim

ROOT = pathlib.Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "scenarios" / "quickstart.json"
QUICKSTART_YAML = ROOT / "scenarios" / "yaml" / "quickstart.yaml"


@pytest.fixture(scope="session")
def cli():
    """The release binary: $FAILSIM_BIN, else target/release/failsim (built if absent)."""
    binary = pathlib.Path(os.environ.get("FAILSIM_BIN", ROOT / "target" / "release" / "failsim"))
    if not binary.exists():
        subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    return lambda *args: subprocess.run(
        [str(binary), *map(str, args)], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def rows(table):
    """A table's rows as dicts, whether pandas made it a DataFrame or not."""
    if isinstance(table, list):
        return table
    return table.to_dict(orient="records")


def same_cell(value, text):
    """Whether a value of a table is what the CSV file holds as `text`."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return text == ""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return text == str(bool(value)).lower()
    if isinstance(value, str):
        return text == value
    return float(text) == float(value)


def test_run_gives_the_command_lines_summary_for_the_same_seed(cli):
    expected = json.loads(cli("run", QUICKSTART, "--seed", 3, "--replications", 30, "--json", "-"))
    result = failsim.run(str(QUICKSTART), seed=3, replications=30, threads=2)
    assert result["summary"] == expected
    assert result["summary"]["seed"] == 3
    assert result["summary"]["replications"] == 30


def test_tables_hold_the_rows_and_values_of_the_command_lines_csv(cli, tmp_path):
    cli("run", QUICKSTART, "--seed", 9, "--replications", 12, "--csv", tmp_path)
    result = failsim.run(QUICKSTART, seed=9, replications=12)
    for name in failsim.TABLES:
        with open(tmp_path / f"{name}.csv", newline="") as file:
            reader = csv.DictReader(file)
            written = list(reader)
            columns = reader.fieldnames
        table = result[name]
        if not isinstance(table, list):
            assert list(table.columns) == columns
        ours = rows(table)
        assert len(ours) == len(written), name
        for row, line in zip(ours, written):
            assert list(row) == columns
            for column in columns:
                assert same_cell(row[column], line[column]), (name, column, row[column], line[column])


def test_failovers_are_a_data_frame_with_pandas():
    pandas = pytest.importorskip("pandas")
    result = failsim.run(QUICKSTART, seed=1, replications=10)
    failovers = result["failovers"]
    assert isinstance(failovers, pandas.DataFrame)
    assert list(failovers.columns)[:3] == ["replication", "service", "strategy"]
    ended = failovers[failovers["ends_failover"]]
    summary = result["summary"]["services"][0]["failovers"]
    assert len(ended) == summary["total"]
    assert (ended["outcome"] == "Success").sum() == summary["succeeded"]
    succeeded = ended[ended["outcome"] == "Success"]
    assert (succeeded["failover_time_s"] > 0).all()
    assert len(result["replications"]) == 10
    assert set(result["outages"]["ended_by"]) <= {"failover", "recovery", "horizon"}


def test_without_pandas_tables_are_lists_of_dicts(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now fails
    result = failsim.run(QUICKSTART, seed=1, replications=4)
    replications = result["replications"]
    assert isinstance(replications, list) and len(replications) == 4
    assert replications[0]["replication"] == 0
    assert isinstance(replications[0]["availability"], float)
    first = result["failovers"][0]
    assert isinstance(first["ends_failover"], bool)
    assert first["service"] == "db"


def test_a_dict_yaml_text_json_text_and_path_give_the_same_numbers():
    settings = dict(seed=5, replications=6)
    expected = failsim.run(QUICKSTART, **settings)["summary"]["services"]
    inputs = [
        json.loads(QUICKSTART.read_text()),
        QUICKSTART.read_text(),
        QUICKSTART_YAML.read_text(),
        str(QUICKSTART_YAML),
    ]
    for scenario in inputs:
        assert failsim.run(scenario, **settings)["summary"]["services"] == expected


def test_threads_do_not_change_the_results():
    one = failsim.run(QUICKSTART, seed=2, replications=8, threads=1)
    three = failsim.run(QUICKSTART, seed=2, replications=8, threads=3)
    assert one["summary"] == three["summary"]
    assert rows(one["failovers"]) == rows(three["failovers"])


def test_tables_false_gives_the_summary_alone():
    full = failsim.run(QUICKSTART, seed=2, replications=5)
    alone = failsim.run(QUICKSTART, seed=2, replications=5, tables=False)
    assert alone == {"summary": full["summary"]}


def test_horizon_accepts_text_seconds_and_timedelta():
    from datetime import timedelta

    horizons = ["30d", 30 * 86400, 30 * 86400.0, timedelta(days=30)]
    summaries = [failsim.run(QUICKSTART, seed=4, replications=3, horizon=h)["summary"] for h in horizons]
    assert all(s["horizon_s"] == 30 * 86400 for s in summaries)
    assert all(s["services"] == summaries[0]["services"] for s in summaries)


def test_compare_gives_the_command_lines_comparison(cli):
    expected = json.loads(
        cli("compare", QUICKSTART, "--seed", 6, "--replications", 5,
            "--strategies", "active_passive,n_way", "--json", "-")
    )
    result = failsim.compare(QUICKSTART, strategies=["active_passive", "n_way"], seed=6, replications=5)
    assert result["summary"] == expected
    strategies = [row["strategy"] for row in rows(result["replications"])]
    # The strategies run in lockstep: each replication's rows, strategy by strategy.
    assert strategies == ["ACTIVE_PASSIVE", "N_WAY"] * 5


def test_a_scenario_error_carries_the_json_path_line_and_column():
    text = QUICKSTART.read_text().replace('"ACTIVE_PASSIVE"', '"ACTIVE_PASIVE"')
    with pytest.raises(failsim.ScenarioError) as raised:
        failsim.run(text)
    error = raised.value
    assert isinstance(error, ValueError)
    assert error.path == "services[0].strategy"
    line = next(n for n, l in enumerate(text.splitlines(), 1) if "ACTIVE_PASIVE" in l)
    assert (error.file, error.line) == ("<string>", line)
    assert error.column == text.splitlines()[line - 1].index('"ACTIVE_PASIVE"') + 1
    assert str(error).startswith(f"<string>:{line}:{error.column}: at services[0].strategy: ")
    assert "ACTIVE_PASIVE" in error.message


def test_a_scenario_error_lists_every_problem_and_places_yaml_in_the_yaml():
    text = QUICKSTART_YAML.read_text().replace("replicas: [db1, db2]", "replicas: [db1, db9]")
    text = text.replace("seed: 42", "seed: -1")
    with pytest.raises(failsim.ScenarioError) as raised:
        failsim.validate(text)
    problems = raised.value.problems
    assert [p["path"] for p in problems] == ["seed", "services[0].replicas[1]"]
    lines = text.splitlines()
    assert "seed: -1" in lines[problems[0]["line"] - 1]
    assert "db9" in lines[problems[1]["line"] - 1]


def test_a_bad_file_names_its_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x",\n "seed": "forty-two"}')
    with pytest.raises(failsim.ScenarioError) as raised:
        failsim.validate(bad)
    assert raised.value.file == str(bad)
    assert any(p["path"] == "seed" and p["line"] == 2 for p in raised.value.problems)
    with pytest.raises(FileNotFoundError):
        failsim.run(tmp_path / "missing.json")
    with pytest.raises(FileNotFoundError):
        failsim.run("missing.json")


def test_settings_are_checked():
    with pytest.raises(TypeError, match="unknown setting replicas: the settings are seed, replications, horizon, threads, tables, precision, max_replications, precision_metrics"):
        failsim.run(QUICKSTART, replicas=3)
    with pytest.raises(ValueError, match="replications must be between 1 and"):
        failsim.run(QUICKSTART, replications=0)
    with pytest.raises(ValueError, match="horizon: `soon` is not a duration"):
        failsim.run(QUICKSTART, horizon="soon")
    with pytest.raises(ValueError, match="horizon must be longer than zero"):
        failsim.run(QUICKSTART, horizon=0)
    with pytest.raises(ValueError, match="--threads must be between 1 and 1024"):
        failsim.run(QUICKSTART, threads=0)
    with pytest.raises(ValueError, match="is no strategy|not a strategy|unknown strategy"):
        failsim.compare(QUICKSTART, strategies="active_pasive")
    with pytest.raises(TypeError, match="not int"):
        failsim.run(42)


def test_precision_stops_where_the_command_line_stops(cli):
    flags = ["--precision", "0.2", "--max-replications", 5000, "--json", "-"]
    expected = json.loads(cli("run", QUICKSTART, *flags))
    result = failsim.run(QUICKSTART, precision=0.2, max_replications=5000, threads=2)
    assert result["summary"] == expected
    precision = result["summary"]["precision"]
    assert precision["stopped_by"] == "precision"
    assert precision["reached"] <= 0.2
    used = precision["replications_used"]
    assert 64 <= used < 5000
    assert len(rows(result["replications"])) == used
    lenient = failsim.run(
        QUICKSTART, precision=0.2, max_replications=5000, tables=False,
        precision_metrics="lenient_availability",
    )
    assert lenient["summary"]["precision"]["metrics"] == ["lenient_availability"]
    pair = "active_passive,n_way"
    expected = json.loads(cli("compare", QUICKSTART, "--strategies", pair, *flags))
    result = failsim.compare(QUICKSTART, strategies=pair, precision=0.2, max_replications=5000, tables=False)
    assert result["summary"] == expected
    assert result["summary"]["precision"]["replications_used"] == result["summary"]["replications"]


def test_precision_settings_are_checked():
    with pytest.raises(ValueError, match="replications and precision exclude each other"):
        failsim.run(QUICKSTART, precision=0.05, replications=100)
    with pytest.raises(ValueError, match="--precision must be a relative half-width"):
        failsim.run(QUICKSTART, precision=1.5)
    with pytest.raises(ValueError, match="max_replications must be at least 1"):
        failsim.run(QUICKSTART, precision=0.05, max_replications=0)
    with pytest.raises(ValueError, match="go with precision"):
        failsim.run(QUICKSTART, max_replications=1000)
    with pytest.raises(ValueError, match="precision_metrics: `outages` is not one of"):
        failsim.run(QUICKSTART, precision=0.05, precision_metrics=["outages"])
    with pytest.raises(ValueError, match="is not one of availability"):
        failsim.run(QUICKSTART, precision=0.05, precision_metrics=["outage_p99"])


def test_validate_describes_the_scenario():
    description = failsim.validate(QUICKSTART)
    assert description["name"] == "quickstart"
    assert (description["nodes"], description["services"], description["replications"]) == (3, 1, 200)
    assert description["warnings"] == []


def test_the_gil_is_released_while_the_simulation_runs():
    """A ticking thread goes on while the simulation runs: with the GIL held it would
    stop for the whole run, one gap as long as the run."""
    probing_every_5s = json.loads(QUICKSTART.read_text())
    probing_every_5s["services"][0]["detection"]["probing"] = "explicit"
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.002)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        started = time.monotonic()
        # Every probe simulated (a million events a replication) and few rows to
        # convert: about half a second on one core, nearly all of it in the simulation.
        failsim.run(probing_every_5s, replications=6, horizon="30d", threads=1)
        ended = time.monotonic()
    finally:
        done.set()
        ticker.join()
    during = [t for t in ticks if started <= t <= ended]
    assert ended - started > 0.2, "the run is too short to tell"
    edges = [started, *during, ended]
    longest_gap = max(b - a for a, b in zip(edges, edges[1:]))
    assert longest_gap < (ended - started) / 2, (longest_gap, ended - started, len(during))
