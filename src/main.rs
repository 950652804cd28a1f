//! The `keyhound` binary: parse the command line, run, map the result to an exit status.

use clap::Parser;

use keyhound::app::{self, EXIT_ERROR};
use keyhound::cli::{Cli, Command, HookAction, RulesAction};
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
        Command::Rules { action } => run_rules(action),
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

fn run_rules(action: RulesAction) -> i32 {
    use keyhound::rule::{self, check, set::RuleSet};
    let set = match &action {
        RulesAction::Check { files } if !files.is_empty() => {
            let mut loaded = Vec::new();
            for f in files {
                match std::fs::read_to_string(f) {
                    Ok(text) => loaded.push((f.display().to_string(), text)),
                    Err(e) => {
                        eprintln!("keyhound: error: {}: {e}", f.display());
                        return EXIT_ERROR;
                    }
                }
            }
            RuleSet::from_files(&loaded)
        }
        _ => RuleSet::builtin(),
    };
    let set = match set {
        Ok(s) => s,
        Err(e) => {
            eprintln!("keyhound: error: {e}");
            return EXIT_ERROR;
        }
    };
    match action {
        RulesAction::List => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            for line in check::list(&set) {
                // A closed pipe (`keyhound rules list | head`) ends the listing quietly.
                if writeln!(out, "{line}").is_err() {
                    break;
                }
            }
            0
        }
        RulesAction::Check { files } => {
            let aws = files.is_empty();
            let n = set.rules().len() + if aws { rule::aws_rules().len() } else { 0 };
            let problems = check::check(set, aws);
            for p in &problems {
                println!("{p}");
            }
            if problems.is_empty() {
                println!("keyhound: {n} rules checked, all examples behave");
                0
            } else {
                eprintln!("keyhound: {} problem(s) in {n} rules", problems.len());
                1
            }
        }
    }
}
