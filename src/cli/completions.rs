//! `failsim completions SHELL` and `failsim man`: shell completion scripts and man pages,
//! generated from the clap definitions so that they never disagree with `--help`.

use super::{out_err, print, Cli, CliError};
use crate::output::atomic::write_output;
use clap::CommandFactory;
use clap_complete::Shell;
use std::path::Path;

/// Prints the completion script for `shell` on stdout.
pub(super) fn completions(shell: Shell) -> Result<(), CliError> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "failsim", &mut script);
    print(&String::from_utf8_lossy(&script))
}

/// Prints the failsim(1) man page on stdout, or, with `dir`, writes it and one page per
/// command (`failsim-run.1`, …) into that directory.
pub(super) fn man(dir: Option<&Path>) -> Result<(), CliError> {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let Some(dir) = dir else {
        return print(&render(&command));
    };
    std::fs::create_dir_all(dir).map_err(|e| out_err(dir, e))?;
    for page in std::iter::once(&command).chain(command.get_subcommands()) {
        let man = clap_mangen::Man::new(page.clone());
        let path = dir.join(man.get_filename());
        write_output(&path, render(page).as_bytes()).map_err(|e| out_err(&path, e))?;
    }
    Ok(())
}

/// One man page in roff.
fn render(command: &clap::Command) -> String {
    let mut roff = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut roff)
        .expect("rendering into memory cannot fail");
    String::from_utf8_lossy(&roff).into_owned()
}
