//! `failsim plan`: a strategy per node from a risk file, and a scenario that applies it.

use super::diagnostics::scenario_error;
use super::{bad, out_err, print, CliError};
use crate::output::atomic::write_output;
use std::path::Path;

pub(super) fn plan(
    risk_file: &Path,
    json: Option<&Path>,
    emit: Option<&Path>,
) -> Result<(), CliError> {
    if json == Some(Path::new("-")) && emit == Some(Path::new("-")) {
        return Err(bad(
            "--json and --emit-scenario: only one of them can write to standard output (`-`)",
        ));
    }
    let risk = crate::plan::load_file(risk_file).map_err(scenario_error)?;
    let name = risk_file
        .file_stem()
        .map_or("plan".into(), |s| s.to_string_lossy().into_owned());
    let plan = crate::plan::plan(&risk, &name);
    if let Some(path) = emit {
        let text = crate::plan::emit_scenario_text(&plan, path).map_err(|e| {
            bad(format!(
                "the emitted scenario does not validate, which is a bug in failsim; please report it:\n{e}"
            ))
        })?;
        write_output(path, text.as_bytes()).map_err(|e| out_err(path, e))?;
        say!(
            "wrote the plan's scenario ({} services) to {path}; simulate it with `failsim run {path}`",
            plan.nodes.len(),
            path = path.display()
        );
    }
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&plan).expect("plan serializes") + "\n";
        write_output(path, text.as_bytes()).map_err(|e| out_err(path, e))?;
    }
    if json != Some(Path::new("-")) && emit != Some(Path::new("-")) {
        print(&crate::plan::render_table(&plan))?;
    }
    Ok(())
}
