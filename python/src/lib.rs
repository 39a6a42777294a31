//! `failsim._failsim`: the extension module under the Python package `failsim`. With the
//! GIL released, it loads a scenario (a file, or text) and runs it through
//! [`failsim::embed`]; it hands back JSON text that `failsim/__init__.py` turns into dicts
//! and data frames.

use failsim::compile::{load_file_with_model, load_str_with_model, Loaded, Overrides};
use failsim::core::duration::parse_duration;
use failsim::embed::{self, EmbedError, PrecisionSettings, Settings};
use failsim::scenarios::{Diagnostic, ScenarioError as LoadError};
use failsim::Metric;
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

/// The scenario from `path` or from `text` (named `label` in messages), with its parsed
/// model (`compare` compiles its variants from it; the others let it go at once).
fn load(path: Option<PathBuf>, text: Option<String>, label: &str) -> Result<Loaded, Failure> {
    match (path, text) {
        (Some(path), None) => Ok(load_file_with_model(&path)?),
        (None, Some(text)) => Ok(load_str_with_model(&text, Path::new(label))?),
        _ => Err(Failure::Source),
    }
}

/// Why a call did not give results, before it is a Python exception.
enum Failure {
    /// Neither a path nor a text, or both.
    Source,
    /// The scenario did not load.
    Load(LoadError),
    /// The study did not run to its end.
    Run(EmbedError),
}

impl From<LoadError> for Failure {
    fn from(error: LoadError) -> Self {
        Failure::Load(error)
    }
}

impl From<EmbedError> for Failure {
    fn from(error: EmbedError) -> Self {
        Failure::Run(error)
    }
}

impl Failure {
    /// The Python exception: a file that cannot be read as `OSError`
    /// (`FileNotFoundError` when it is missing), problems in a scenario as
    /// `ScenarioError`, Ctrl-C as `KeyboardInterrupt`, anything else as `ValueError`.
    fn raise(self, py: Python<'_>) -> PyErr {
        let message = match &self {
            Failure::Source => "give a scenario path or a scenario text".to_string(),
            Failure::Load(error) => error.to_string(),
            Failure::Run(error) => error.to_string(),
        };
        match self {
            Failure::Load(LoadError::Unreadable { source, .. }) => {
                if source.kind() == std::io::ErrorKind::NotFound {
                    PyFileNotFoundError::new_err(message)
                } else {
                    PyOSError::new_err(message)
                }
            }
            Failure::Load(LoadError::Invalid {
                file, diagnostics, ..
            }) => {
                let exception = ScenarioError::new_err(message);
                match located(py, &exception, &file.display().to_string(), &diagnostics) {
                    Ok(()) => exception,
                    Err(e) => e,
                }
            }
            Failure::Run(EmbedError::Interrupted) => PyKeyboardInterrupt::new_err(message),
            Failure::Source | Failure::Run(_) => PyValueError::new_err(message),
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

/// The keyword arguments `precision`, `max_replications` and `precision_metrics`, as
/// `--precision`, `--max-replications` and `--precision-metric`.
struct PrecisionArgs {
    target: Option<f64>,
    max_replications: Option<u64>,
    metrics: Option<Vec<String>>,
}

impl PrecisionArgs {
    /// The precision setting, or why the arguments are not one.
    fn settings(self) -> PyResult<Option<PrecisionSettings>> {
        let Some(target) = self.target else {
            if self.max_replications.is_some() || self.metrics.is_some() {
                return Err(PyValueError::new_err(
                    "max_replications and precision_metrics go with precision",
                ));
            }
            return Ok(None);
        };
        let metrics = self
            .metrics
            .unwrap_or_default()
            .iter()
            .map(|name| {
                Metric::parse(name).ok_or_else(|| {
                    PyValueError::new_err(format!(
                        "precision_metrics: `{name}` is not one of availability, \
                         lenient_availability, served_availability"
                    ))
                })
            })
            .collect::<PyResult<_>>()?;
        Ok(Some(PrecisionSettings {
            target,
            max_replications: self.max_replications,
            metrics,
        }))
    }
}

/// The keyword arguments `seed`, `replications`, `horizon` (text such as "30d"),
/// `threads`, `tables` and the precision ones as run settings; `interrupt` stops the run.
fn settings(
    seed: Option<u64>,
    replications: Option<u64>,
    horizon: Option<&str>,
    threads: Option<usize>,
    tables: bool,
    precision: PrecisionArgs,
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
        precision: precision.settings()?,
    })
}

/// Runs `work` (loading a scenario, running it) on its own thread with the GIL
/// released, so that other Python threads go on; Ctrl-C (seen by the waiting thread
/// when it takes the GIL back, every [`SIGNAL_POLL`]) raises `interrupt`, which stops
/// a study between replications.
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
#[pyo3(signature = (path=None, text=None, label="<string>", *, seed=None, replications=None, horizon=None, threads=None, tables=true, precision=None, max_replications=None, precision_metrics=None))]
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
    precision: Option<f64>,
    max_replications: Option<u64>,
    precision_metrics: Option<Vec<String>>,
) -> PyResult<(String, String)> {
    let interrupt = Arc::new(AtomicBool::new(false));
    let settings = settings(
        seed,
        replications,
        horizon,
        threads,
        tables,
        PrecisionArgs {
            target: precision,
            max_replications,
            metrics: precision_metrics,
        },
        interrupt.clone(),
    )?;
    let results = detached(py, &interrupt, || {
        let results = embed::run(load(path, text, label)?.compiled, &settings)?;
        Ok((to_json(&results.summary), to_json(&results.tables)))
    })?;
    results.map_err(|failure: Failure| failure.raise(py))
}

/// Runs the scenario under each strategy of `strategies` (comma-separated; all four when
/// `None`) against the same faults; returns the `--json` comparison and the tables of
/// every strategy as JSON text.
#[pyfunction]
#[pyo3(signature = (path=None, text=None, label="<string>", *, strategies=None, seed=None, replications=None, horizon=None, threads=None, tables=true, precision=None, max_replications=None, precision_metrics=None))]
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
    precision: Option<f64>,
    max_replications: Option<u64>,
    precision_metrics: Option<Vec<String>>,
) -> PyResult<(String, String)> {
    let interrupt = Arc::new(AtomicBool::new(false));
    let settings = settings(
        seed,
        replications,
        horizon,
        threads,
        tables,
        PrecisionArgs {
            target: precision,
            max_replications,
            metrics: precision_metrics,
        },
        interrupt.clone(),
    )?;
    let results = detached(py, &interrupt, || {
        let results = embed::compare(load(path, text, label)?, strategies, &settings)?;
        Ok((to_json(&results.comparison), to_json(&results.tables)))
    })?;
    results.map_err(|failure: Failure| failure.raise(py))
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
    let interrupt = AtomicBool::new(false);
    let described = detached(py, &interrupt, || {
        load(path, text, label).map(|loaded| to_json(&embed::describe(&loaded.compiled)))
    })?;
    described.map_err(|failure| failure.raise(py))
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
