//! `failsim validate`: check scenario files, every problem at once, and their warnings.

use super::diagnostics::{colour_on_stderr, render};
use super::{print, warning_line, CliError};
use crate::compile::{cpu_time, expected_secs, load_file};
use std::path::PathBuf;

pub(super) fn validate(files: &[PathBuf]) -> Result<(), CliError> {
    let mut failures = Vec::new();
    for file in files {
        match load_file(file) {
            Ok(scenario) => {
                print(&format!(
                    "{}: ok ({} nodes, {} services, {} replications; work estimated at {})\n",
                    file.display(),
                    scenario.topology.len(),
                    scenario.services.len(),
                    scenario.replications,
                    cpu_time(expected_secs(
                        &scenario.work_estimate(),
                        scenario.replications
                    ))
                ))?;
                for warning in &scenario.warnings {
                    print(&format!("{}\n", warning_line(file, warning)))?;
                }
            }
            Err(error) => failures.push(render(&error, colour_on_stderr())),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(CliError::Rendered(failures.join("\n")))
    }
}
