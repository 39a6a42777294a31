//! `failsim._failsim`: the extension module under the Python package `failsim`. It loads
//! a scenario (a file, or text), runs it through [`failsim::embed`] with the GIL released,
//! and hands back JSON text that `failsim/__init__.py` turns into dicts and data frames.

use failsim::compile::{load_file, load_str, CompiledScenario, Overrides};
use failsim::core::duration::parse_duration;
use failsim::embed::{self, EmbedError, Settings};
use failsim::scenarios::{Diagnostic, ScenarioError as LoadError};
use pyo3::create_exception;
use pyo3::exceptions::{PyFileNotFoundError, PyKeyboardInterrupt, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

create_exception!(
    failsim,
    ScenarioError,
    PyValueError,
    "A scenario with problems: `problems` lists each (file, path, line, column, message); \
     `file`, `path`, `line`, `column` and `message` are those of the first."
);

/// How often the waiting thread takes the GIL back to look for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// The scenario from `path` or from `text` (named `label` in messages).
fn load(
    py: Python<'_>,
    path: Option<PathBuf>,
    text: Option<String>,
    label: &str,
) -> PyResult<CompiledScenario> {
    let loaded = match (path, text) {
        (Some(path), None) => load_file(&path),
        (None, Some(text)) => load_str(&text, Path::new(label)),
        _ => {
            return Err(PyValueError::new_err(
                "give a scenario path or text, not both",
            ))
        }
    };
    loaded.map_err(|e| scenario_error(py, e))
}

/// A scenario that does not load as the Python exception it is: a file that cannot be
/// read as `OSError`, problems in it as `ScenarioError`.
fn scenario_error(py: Python<'_>, error: LoadError) -> PyErr {
    match error {
        LoadError::Unreadable { ref source, .. } => {
            if source.kind() == std::io::ErrorKind::NotFound {
                PyFileNotFoundError::new_err(error.to_string())
            } else {
                PyOSError::new_err(error.to_string())
            }
        }
        LoadError::Invalid {
            ref file,
            ref diagnostics,
            ..
        } => {
            let exception = ScenarioError::new_err(error.to_string());
            match located(py, &exception, &file.display().to_string(), diagnostics) {
                Ok(()) => exception,
                Err(e) => e,
            }
        }
    }
}

/// A problem's JSON path; the root is `.`, as in the message.
fn json_path(d: &Diagnostic) -> &str {
    if d.path.is_empty() {
        "."
    } else {
        &d.path
    }
}

/// Sets the problems and the first one's place on a `ScenarioError`.
fn located(
    py: Python<'_>,
    exception: &PyErr,
    file: &str,
    diagnostics: &[Diagnostic],
) -> PyResult<()> {
    let value = exception.value(py);
    let mut problems = Vec::with_capacity(diagnostics.len());
    for d in diagnostics {
        let problem = PyDict::new(py);
        problem.set_item("file", file)?;
        problem.set_item("path", json_path(d))?;
        problem.set_item("line", d.line)?;
        problem.set_item("column", d.column)?;
        problem.set_item("message", &d.message)?;
        problems.push(problem);
    }
    let first = diagnostics.first();
    value.setattr("file", file)?;
    value.setattr("path", first.map(json_path))?;
    value.setattr("line", first.map(|d| d.line))?;
    value.setattr("column", first.map(|d| d.column))?;
    value.setattr("message", first.map(|d| d.message.as_str()))?;
    value.setattr("problems", problems)?;
    Ok(())
}

fn embed_error(error: EmbedError) -> PyErr {
    match error {
        EmbedError::Interrupted => PyKeyboardInterrupt::new_err("interrupted"),
        other => PyValueError::new_err(other.to_string()),
    }
}

/// The keyword arguments `seed`, `replications`, `horizon` (text such as "30d"),
/// `threads` and `tables` as run settings; `interrupt` stops the run.
fn settings(
    seed: Option<u64>,
    replications: Option<u64>,
    horizon: Option<&str>,
    threads: Option<usize>,
    tables: bool,
    interrupt: Arc<AtomicBool>,
) -> PyResult<Settings> {
    let horizon = horizon
        .map(|text| {
            parse_duration(text).map_err(|e| PyValueError::new_err(format!("horizon: {e}")))
        })
        .transpose()?;
    Ok(Settings {
        overrides: Overrides {
            seed,
            replications,
            horizon: horizon.map(|h| h.nanos()),
        },
        threads,
        interrupt: Some(interrupt),
        summary_only: !tables,
    })
}

/// Runs `work` on its own thread with the GIL released, so that other Python threads
/// go on; Ctrl-C (seen by the waiting thread when it takes the GIL back, every
/// [`SIGNAL_POLL`]) raises `interrupt`, which stops the study between replications.
fn detached<T: Send>(
    py: Python<'_>,
    interrupt: &AtomicBool,
    work: impl FnOnce() -> T + Send,
) -> PyResult<T> {
    std::thread::scope(|scope| {
        let (sender, mut results) = mpsc::channel();
        scope.spawn(move || {
            // The receiver is gone only if the waiting thread panicked.
            let _ = sender.send(work());
        });
        loop {
            let receiver = &mut results;
            match py.detach(move || receiver.recv_timeout(SIGNAL_POLL)) {
                Ok(result) => return Ok(result),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Err(signal) = py.check_signals() {
                        interrupt.store(true, Ordering::Relaxed);
                        // The study stops at its next replication; wait for it to end.
                        let receiver = &mut results;
                        py.detach(move || receiver.recv().ok());
                        return Err(signal);
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // The work panicked: the scope re-raises its panic when it ends.
                    return Err(PyValueError::new_err("the simulation stopped unexpectedly"));
                }
            }
        }
    })
}

fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("results serialize")
}

/// Runs a study; returns the `--json` summary and the tables (`failovers`, `outages`,
/// `replications`, each column by column) as JSON text.
#[pyfunction]
#[pyo3(signature = (path=None, text=None, label="<string>", *, seed=None, replications=None, horizon=None, threads=None, tables=true))]
#[allow(clippy::too_many_arguments)]
fn run(
    py: Python<'_>,
    path: Option<PathBuf>,
    text: Option<String>,
    label: &str,
    seed: Option<u64>,
    replications: Option<u64>,
    horizon: Option<&str>,
    threads: Option<usize>,
    tables: bool,
) -> PyResult<(String, String)> {
    let scenario = load(py, path, text, label)?;
    let interrupt = Arc::new(AtomicBool::new(false));
    let settings = settings(
        seed,
        replications,
        horizon,
        threads,
        tables,
        interrupt.clone(),
    )?;
    let results = detached(py, &interrupt, || {
        embed::run(scenario, &settings).map(|r| (to_json(&r.summary), to_json(&r.tables)))
    })?;
    results.map_err(embed_error)
}

/// Runs the scenario under each strategy of `strategies` (comma-separated; all four when
/// `None`) against the same faults; returns the `--json` comparison and the tables of
/// every strategy as JSON text.
#[pyfunction]
#[pyo3(signature = (path=None, text=None, label="<string>", *, strategies=None, seed=None, replications=None, horizon=None, threads=None, tables=true))]
#[allow(clippy::too_many_arguments)]
fn compare(
    py: Python<'_>,
    path: Option<PathBuf>,
    text: Option<String>,
    label: &str,
    strategies: Option<&str>,
    seed: Option<u64>,
    replications: Option<u64>,
    horizon: Option<&str>,
    threads: Option<usize>,
    tables: bool,
) -> PyResult<(String, String)> {
    let scenario = load(py, path, text, label)?;
    let interrupt = Arc::new(AtomicBool::new(false));
    let settings = settings(
        seed,
        replications,
        horizon,
        threads,
        tables,
        interrupt.clone(),
    )?;
    let results = detached(py, &interrupt, || {
        embed::compare(scenario, strategies, &settings)
            .map(|r| (to_json(&r.comparison), to_json(&r.tables)))
    })?;
    results.map_err(embed_error)
}

/// Loads a scenario and describes it as `failsim validate` does, as JSON text; raises
/// `ScenarioError` with every problem.
#[pyfunction]
#[pyo3(signature = (path=None, text=None, label="<string>"))]
fn validate(
    py: Python<'_>,
    path: Option<PathBuf>,
    text: Option<String>,
    label: &str,
) -> PyResult<String> {
    let scenario = load(py, path, text, label)?;
    Ok(to_json(&embed::describe(&scenario)))
}

#[pymodule]
fn _failsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    Ok(())
}
