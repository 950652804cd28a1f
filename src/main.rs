//! The `keyhound` binary: parse the command line, run, map the result to an exit status.

use clap::Parser;

use keyhound::app::{self, EXIT_ERROR};
use keyhound::cli::{Cli, Command, HookAction};
use keyhound::config::Config;
use keyhound::hook;

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
    let code = match cli.command {
        Command::Scan(args) => match Config::from_args(&args).and_then(|config| {
            if let Err(e) = rayon::ThreadPoolBuilder::new()
                .num_threads(config.threads)
                .build_global()
            {
                eprintln!("keyhound: warning: {e}");
            }
            app::run(&config)
        }) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("keyhound: error: {e}");
                EXIT_ERROR
            }
        },
        Command::Hook { action } => match run_hook(action) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("keyhound: error: {e}");
                EXIT_ERROR
            }
        },
    };
    std::process::exit(code);
}

fn run_hook(action: HookAction) -> keyhound::error::Result<()> {
    match action {
        HookAction::Install { force, repo } => {
            let path = hook::install(&repo, force)?;
            println!("keyhound: installed pre-commit hook at {}", path.display());
        }
        HookAction::Uninstall { repo } => match hook::uninstall(&repo)? {
            Some(path) => println!("keyhound: removed pre-commit hook {}", path.display()),
            None => println!("keyhound: no pre-commit hook to remove"),
        },
    }
    Ok(())
}
