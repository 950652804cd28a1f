# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_keyhound_global_optspecs
    string join \n h/help V/version
end

function __fish_keyhound_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_keyhound_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_keyhound_using_subcommand
    set -l cmd (__fish_keyhound_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c keyhound -n "__fish_keyhound_needs_command" -s h -l help -d 'Print help'
complete -c keyhound -n "__fish_keyhound_needs_command" -s V -l version -d 'Print version'
complete -c keyhound -n "__fish_keyhound_needs_command" -f -a "scan" -d 'Scan files and git history for leaked credentials'
complete -c keyhound -n "__fish_keyhound_needs_command" -f -a "rules" -d 'List the rules, or check rule files against their own examples'
complete -c keyhound -n "__fish_keyhound_needs_command" -f -a "hook" -d 'Install or remove the git pre-commit hook that runs `keyhound scan --staged`'
complete -c keyhound -n "__fish_keyhound_needs_command" -f -a "pre-commit" -d 'The scan a pre-commit framework hook runs (.pre-commit-hooks.yaml): the staged content on `git commit`, the commits being pushed at pre-push (PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF), and the files named under `pre-commit run --all-files` or `--files`. No AWS verification unless `--verify` is given'
complete -c keyhound -n "__fish_keyhound_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c keyhound -n "__fish_keyhound_needs_command" -f -a "man" -d 'Print the keyhound(1) man page (roff), or write every page to a directory'
complete -c keyhound -n "__fish_keyhound_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -s j -l threads -d 'Number of threads (default: all cores; at most 4 per core)' -r
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l max-file-size -d 'Skip files, streams and git blobs larger than this (bytes; K, M and G suffixes accepted)' -r
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l max-archive-depth -d 'Open archives, compressed files and container images nested up to N deep (a zip in a tar.gz is 2); 0 turns archive scanning off' -r
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l max-archive-size -d 'Stop opening a file\'s archives after this many decompressed bytes, all members and levels together (bytes; K, M and G suffixes accepted)' -r
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l since -d 'Scan only the blobs introduced by commits in REV..HEAD (or an explicit A..B range), as CI does for a push or a pull request' -r
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -s f -l format -l report-format -d 'Report format (gitleaks\' --report-format is accepted as an alias)' -r -f -a "text\t'Human-readable text'
json\t'One JSON document with every finding and a summary'
jsonl\t'One JSON object per finding per line'
sarif\t'SARIF 2.1.0, for GitHub code scanning and other SARIF consumers'
gitlab\t'GitLab\'s Secret Detection report (gl-secret-detection-report.json), for `artifacts: reports: secret_detection`'
github\t'GitHub Actions workflow annotations (secrets always redacted), and a Markdown job summary appended to $GITHUB_STEP_SUMMARY when it is set'"
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -s o -l output -l report-path -d 'Write the report to FILE instead of standard output (gitleaks\' --report-path is accepted as an alias)' -r -F
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l exit-code -d 'Exit status when findings are reported (default 1; as gitleaks\' --exit-code). Errors always exit with 2' -r
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l color -d 'When to use colour in text output' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is not set'
always\t''
never\t''"
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l sts-endpoint -d 'STS endpoint for verification (default: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else https://sts.amazonaws.com; plain http only for loopback addresses)' -r
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l verify-concurrency -d 'How many verification requests run at once (at most 256)' -r
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l verify-timeout -d 'Connect and request timeout for each verification request, in seconds' -r
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l skip-aws-account -d 'Never send keys of this AWS account to AWS (a canary-token account); repeatable' -r
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l skip-aws-account-file -d 'Read more accounts to skip from FILE (one 12-digit ID per line, # comments)' -r -F
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l iam-endpoint -d 'IAM endpoint for --aws-triage (default: AWS_ENDPOINT_URL_IAM, else AWS_ENDPOINT_URL, else https://iam.amazonaws.com; plain http only for loopback addresses)' -r
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l config -d 'Project configuration file (default: .keyhound.toml at the top of the scanned repository or directory; a .gitleaks.toml there is read when there is none)' -r -F
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l enable-rule -d 'Also run a rule that is off by default: the generic rules, which report a value under a credential word with no provider format (`api_token = "…"`). ID is a rule id or a prefix ending in `*` (`--enable-rule \'generic-*\'`); repeat the flag for several' -r
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l baseline -d 'Do not report findings whose fingerprints are listed in FILE' -r -F
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l write-baseline -d 'Write the fingerprints of this scan\'s findings to FILE (a baseline for --baseline)' -r -F
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l no-ignore -d 'Scan files that .gitignore, .ignore and git\'s exclude files would skip'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -s L -l follow -d 'Follow symbolic links'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l no-binary -d 'Skip binary files (and binary git blobs) instead of reading the printable strings they hold'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l no-history -d 'Scan only the files, not the git history of a repository'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l include-unreachable -d 'Also report credentials in unreachable git objects (in no commit that any ref reaches: reset, rebased-away or dropped work, which is not pushed); they are counted otherwise'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l staged -d 'Scan what is staged for the next commit (the index, not the work tree), as a pre-commit hook does'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l show-secrets -d 'Show secrets in full in every report format (they are redacted by default; the `github` format always redacts)'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l redact -d 'Redact secrets in reports: the default, accepted for gitleaks users'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -s q -l quiet -d 'Print no summary and no warnings on standard error'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l no-verify -d 'Do not check found key pairs against AWS'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l aws-triage -d 'Ask IAM, with each live key itself, who it belongs to, how old it is, when it was last used and what it can do (read-only Get/List/SimulatePrincipalPolicy calls). The calls are made with the leaked key and appear in the owner\'s CloudTrail'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l only-verified -d 'Report only credentials that AWS confirmed live. The others are counted in the summary; the exit status counts only what is reported (0 when verification was unavailable)'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l no-builtin-rules -d 'Use only the AWS detection (and the project configuration\'s own rules), not the built-in rules of rules/*.toml'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -l no-config -d 'Ignore .keyhound.toml and .gitleaks.toml'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyhound -n "__fish_keyhound_using_subcommand scan" -s V -l version -d 'Print version'
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and not __fish_seen_subcommand_from list check help" -l config -d 'Project configuration whose rules are listed and checked with the built-in ones (default: .keyhound.toml, else .gitleaks.toml, at the top of the current directory\'s repository)' -r -F
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and not __fish_seen_subcommand_from list check help" -l no-config -d 'Leave the project configuration\'s rules out'
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and not __fish_seen_subcommand_from list check help" -s h -l help -d 'Print help'
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and not __fish_seen_subcommand_from list check help" -s V -l version -d 'Print version'
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and not __fish_seen_subcommand_from list check help" -f -a "list" -d 'Print every rule (built in, and the project configuration\'s): id, severity, name and the file it comes from'
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and not __fish_seen_subcommand_from list check help" -f -a "check" -d 'Check rule files (default: the built-in rules and the project configuration\'s): unique well-formed ids, patterns with one capture group, and every example (and no negative example) found by the real detector'
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and not __fish_seen_subcommand_from list check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and __fish_seen_subcommand_from list" -l config -d 'Project configuration whose rules are listed and checked with the built-in ones (default: .keyhound.toml, else .gitleaks.toml, at the top of the current directory\'s repository)' -r -F
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and __fish_seen_subcommand_from list" -l no-config -d 'Leave the project configuration\'s rules out'
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and __fish_seen_subcommand_from check" -l config -d 'Project configuration whose rules are listed and checked with the built-in ones (default: .keyhound.toml, else .gitleaks.toml, at the top of the current directory\'s repository)' -r -F
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and __fish_seen_subcommand_from check" -l no-config -d 'Leave the project configuration\'s rules out'
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "list" -d 'Print every rule (built in, and the project configuration\'s): id, severity, name and the file it comes from'
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check rule files (default: the built-in rules and the project configuration\'s): unique well-formed ids, patterns with one capture group, and every example (and no negative example) found by the real detector'
complete -c keyhound -n "__fish_keyhound_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c keyhound -n "__fish_keyhound_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -s h -l help -d 'Print help'
complete -c keyhound -n "__fish_keyhound_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -s V -l version -d 'Print version'
complete -c keyhound -n "__fish_keyhound_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -f -a "install" -d 'Write .git/hooks/pre-commit (or into core.hooksPath)'
complete -c keyhound -n "__fish_keyhound_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -f -a "uninstall" -d 'Remove the hook written by `keyhound hook install`'
complete -c keyhound -n "__fish_keyhound_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c keyhound -n "__fish_keyhound_using_subcommand hook; and __fish_seen_subcommand_from install" -l force -d 'Replace an existing hook that keyhound did not write (it is kept as pre-commit.keyhound-backup)'
complete -c keyhound -n "__fish_keyhound_using_subcommand hook; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help'
complete -c keyhound -n "__fish_keyhound_using_subcommand hook; and __fish_seen_subcommand_from install" -s V -l version -d 'Print version'
complete -c keyhound -n "__fish_keyhound_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s h -l help -d 'Print help'
complete -c keyhound -n "__fish_keyhound_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s V -l version -d 'Print version'
complete -c keyhound -n "__fish_keyhound_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "install" -d 'Write .git/hooks/pre-commit (or into core.hooksPath)'
complete -c keyhound -n "__fish_keyhound_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "uninstall" -d 'Remove the hook written by `keyhound hook install`'
complete -c keyhound -n "__fish_keyhound_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c keyhound -n "__fish_keyhound_using_subcommand pre-commit" -l verify -d 'Check found key pairs against AWS (off in the hook by default: a commit is stopped either way, and no commit waits on the network)'
complete -c keyhound -n "__fish_keyhound_using_subcommand pre-commit" -s h -l help -d 'Print help'
complete -c keyhound -n "__fish_keyhound_using_subcommand pre-commit" -s V -l version -d 'Print version'
complete -c keyhound -n "__fish_keyhound_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyhound -n "__fish_keyhound_using_subcommand completions" -s V -l version -d 'Print version'
complete -c keyhound -n "__fish_keyhound_using_subcommand man" -l out-dir -d 'Write keyhound.1 and a page per subcommand (keyhound-scan.1, ...) into DIR' -r -F
complete -c keyhound -n "__fish_keyhound_using_subcommand man" -s h -l help -d 'Print help'
complete -c keyhound -n "__fish_keyhound_using_subcommand man" -s V -l version -d 'Print version'
complete -c keyhound -n "__fish_keyhound_using_subcommand help; and not __fish_seen_subcommand_from scan rules hook pre-commit completions man help" -f -a "scan" -d 'Scan files and git history for leaked credentials'
complete -c keyhound -n "__fish_keyhound_using_subcommand help; and not __fish_seen_subcommand_from scan rules hook pre-commit completions man help" -f -a "rules" -d 'List the rules, or check rule files against their own examples'
complete -c keyhound -n "__fish_keyhound_using_subcommand help; and not __fish_seen_subcommand_from scan rules hook pre-commit completions man help" -f -a "hook" -d 'Install or remove the git pre-commit hook that runs `keyhound scan --staged`'
complete -c keyhound -n "__fish_keyhound_using_subcommand help; and not __fish_seen_subcommand_from scan rules hook pre-commit completions man help" -f -a "pre-commit" -d 'The scan a pre-commit framework hook runs (.pre-commit-hooks.yaml): the staged content on `git commit`, the commits being pushed at pre-push (PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF), and the files named under `pre-commit run --all-files` or `--files`. No AWS verification unless `--verify` is given'
complete -c keyhound -n "__fish_keyhound_using_subcommand help; and not __fish_seen_subcommand_from scan rules hook pre-commit completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c keyhound -n "__fish_keyhound_using_subcommand help; and not __fish_seen_subcommand_from scan rules hook pre-commit completions man help" -f -a "man" -d 'Print the keyhound(1) man page (roff), or write every page to a directory'
complete -c keyhound -n "__fish_keyhound_using_subcommand help; and not __fish_seen_subcommand_from scan rules hook pre-commit completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c keyhound -n "__fish_keyhound_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "list" -d 'Print every rule (built in, and the project configuration\'s): id, severity, name and the file it comes from'
complete -c keyhound -n "__fish_keyhound_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "check" -d 'Check rule files (default: the built-in rules and the project configuration\'s): unique well-formed ids, patterns with one capture group, and every example (and no negative example) found by the real detector'
complete -c keyhound -n "__fish_keyhound_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "install" -d 'Write .git/hooks/pre-commit (or into core.hooksPath)'
complete -c keyhound -n "__fish_keyhound_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "uninstall" -d 'Remove the hook written by `keyhound hook install`'
