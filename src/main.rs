//! The `failsim` binary: everything happens in the library's `cli` module.

fn main() {
    std::process::exit(failsim::cli::main());
}
