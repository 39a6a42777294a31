"""failsim from Python: run, compare and validate scenarios.

A scenario is a path (``str`` or ``pathlib.Path``), the text of a JSON or YAML scenario,
or a ``dict`` shaped like the JSON file. Results are plain dicts: ``summary`` is what
``failsim run --json`` writes (``failsim compare --json`` for :func:`compare`), and
``failovers``, ``outages`` and ``replications`` are the rows of the CSV files that
``--csv`` writes, as ``pandas.DataFrame`` when pandas is installed, else as lists of
dicts. The same scenario and seed give the same numbers as the command line, whatever
``threads`` is. The simulation runs with the GIL released; Ctrl-C stops it.
"""

import json
import os
import pathlib
from datetime import timedelta

from . import _failsim
from ._failsim import ScenarioError

__all__ = ["run", "compare", "validate", "ScenarioError", "__version__"]
__version__ = _failsim.__version__

TABLES = ("failovers", "outages", "replications")
_RUN_SETTINGS = (
    "seed",
    "replications",
    "horizon",
    "threads",
    "tables",
    "precision",
    "max_replications",
    "precision_metrics",
)


def _source(scenario):
    """The keyword arguments that name `scenario` to the extension: a path, or text."""
    if isinstance(scenario, dict):
        return {"text": json.dumps(scenario), "label": "<dict>"}
    if isinstance(scenario, os.PathLike):
        return {"path": os.fspath(scenario)}
    if isinstance(scenario, bytes):
        scenario = scenario.decode("utf-8")
    if not isinstance(scenario, str):
        raise TypeError(
            "a scenario is a path, the text of a JSON or YAML scenario, or a dict, "
            f"not {type(scenario).__name__}"
        )
    # Text has a line break or opens an object; anything else names a file, so that a
    # mistyped path says "file not found" rather than "not a scenario".
    looks_like_text = "\n" in scenario or scenario.lstrip().startswith("{")
    if looks_like_text and not os.path.isfile(scenario):
        return {"text": scenario}
    return {"path": scenario}


def _settings(overrides, allowed):
    """Checks the keyword arguments; a duration may be a number of seconds, a
    ``timedelta`` or text such as ``"30d"``."""
    unknown = sorted(set(overrides) - set(allowed))
    if unknown:
        raise TypeError(
            f"unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
            f"the settings are {', '.join(allowed)}"
        )
    settings = dict(overrides)
    horizon = settings.get("horizon")
    if isinstance(horizon, timedelta):
        settings["horizon"] = f"{horizon.total_seconds():.9f}s"
    elif isinstance(horizon, (int, float)) and not isinstance(horizon, bool):
        settings["horizon"] = f"{float(horizon):.9f}s"
    elif horizon is not None and not isinstance(horizon, str):
        raise TypeError(
            "horizon is a number of seconds, a timedelta or text such as '30d', "
            f"not {type(horizon).__name__}"
        )
    metrics = settings.get("precision_metrics")
    if isinstance(metrics, str):
        settings["precision_metrics"] = [metrics]
    elif metrics is not None:
        settings["precision_metrics"] = list(metrics)
    return settings


def _frame(columns):
    """A table, given column by column, as a DataFrame (or a list of row dicts)."""
    try:
        import pandas
    except ImportError:
        names = list(columns)
        return [dict(zip(names, row)) for row in zip(*columns.values())]
    return pandas.DataFrame(columns)


def _results(summary, tables, settings):
    results = {"summary": json.loads(summary)}
    if settings.get("tables", True):
        columns = json.loads(tables)
        for name in TABLES:
            results[name] = _frame(columns[name])
    return results


def run(scenario, **settings):
    """Runs a scenario's replications, as ``failsim run --json - --csv DIR``.

    Settings (all optional), as the command line's flags: ``seed``, ``replications``,
    ``horizon`` (seconds, a ``timedelta`` or text such as ``"30d"``), ``threads``
    (results do not depend on it); and ``tables=False`` for the summary alone, as the
    tables are held in memory and grow with the replications and the horizon.
    ``precision`` (e.g. ``0.05``), as ``--precision``: replications in deterministic
    batches until the 95% interval of each unavailability is within that fraction of
    it, up to ``max_replications`` (default 100000; ``replications`` is then refused);
    ``precision_metrics`` names the availabilities (text or a list; default strict).
    The summary's ``precision`` says what was reached and the replications used.

    Returns ``{"summary": dict, "failovers": ..., "outages": ..., "replications": ...}``.
    Raises :class:`ScenarioError` for a scenario with problems, ``FileNotFoundError``
    for a missing file, ``ValueError`` for a setting out of range and ``TypeError`` for
    an unknown one.
    """
    settings = _settings(settings, _RUN_SETTINGS)
    summary, tables = _failsim.run(**_source(scenario), **settings)
    return _results(summary, tables, settings)


def compare(scenario, strategies=None, **settings):
    """Runs the scenario's services under several strategies against the same faults,
    as ``failsim compare``.

    ``strategies``: a list or comma-separated text of strategy names (any case); the
    first is the baseline of the paired differences; all four when ``None``. Other
    settings as for :func:`run`; with ``precision``, until every paired difference is
    resolved, as ``failsim compare --precision``.

    Returns ``{"summary": dict, ...}`` like :func:`run`, where ``summary`` is what
    ``failsim compare --json`` writes (``strategies``: one summary each,
    ``differences``: paired differences from the first) and the tables hold the rows of
    every strategy (each replication's rows strategy by strategy; their ``strategy``
    column tells them apart).
    """
    if strategies is not None and not isinstance(strategies, str):
        strategies = ",".join(strategies)
    settings = _settings(settings, _RUN_SETTINGS)
    summary, tables = _failsim.compare(
        **_source(scenario), strategies=strategies, **settings
    )
    return _results(summary, tables, settings)


def validate(scenario):
    """Checks a scenario as ``failsim validate`` does.

    Returns a dict: ``name``, ``nodes``, ``services``, ``replications``, ``seed``,
    ``horizon_s``, ``work_estimate`` and ``warnings`` (each with ``path``, ``line``,
    ``column``, ``message``). Raises :class:`ScenarioError` listing every problem: its
    ``file``, ``path`` (JSON path), ``line``, ``column`` and ``message`` are those of
    the first, ``problems`` holds them all.
    """
    return json.loads(_failsim.validate(**_source(scenario)))
