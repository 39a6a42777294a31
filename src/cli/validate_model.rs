//! `failsim validate-model`: the simulation against closed forms, written as a report.

use super::{bad, check_threads, out_err, print, CliError};
use crate::output::atomic::write_output;
use std::path::Path;
use std::time::Instant;

pub(super) fn validate_model(
    dir: &Path,
    out: &Path,
    threads: Option<usize>,
) -> Result<(), CliError> {
    check_threads(threads)?;
    let started = Instant::now();
    let report = crate::validation::run(dir, threads).map_err(bad)?;
    write_output(out, report.to_markdown().as_bytes()).map_err(|e| out_err(out, e))?;
    if out != Path::new("-") {
        print(&report.table())?;
    }
    say!(
        "{} validation cases in {:.3}s",
        report.cases.len(),
        started.elapsed().as_secs_f64()
    );
    match report.failures() {
        0 => Ok(()),
        failed => Err(CliError::ChecksFailed(failed)),
    }
}
