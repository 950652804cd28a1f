//! The `keyhound` binary: parse the command line, run, exit with the status the run chose.

use clap::Parser;

use keyhound::app::{self, EXIT_ERROR};
use keyhound::cli::Cli;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors exit 2.
            let code = if e.use_stderr() { EXIT_ERROR } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    std::process::exit(app::run(cli));
}
