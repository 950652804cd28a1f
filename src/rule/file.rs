//! Rule files: the TOML syntax of `rules/*.toml` (built in, embedded in the binary) and of
//! users' rule files, parsed strictly (unknown fields are errors) and validated: ids unique and
//! well formed, patterns that compile with exactly one capture group, a known severity, keywords
//! for the prefilter, and examples. Every error names the file, the rule and the field.

use serde::Deserialize;

use super::{Rule, Severity};
use crate::error::{Error, Result};

/// One rule as written in a file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub severity: String,
    /// Regular expression (Rust `regex` syntax) with exactly one capture group: the secret.
    pub pattern: String,
    /// Literals, matched case-insensitively; the pattern runs only where one occurs.
    pub keywords: Vec<String>,
    /// Keywords match only as written (for keywords that are context, not part of the match:
    /// list the spellings that count, such as `twilio`, `Twilio`, `TWILIO`).
    #[serde(default)]
    pub case_sensitive_keywords: bool,
    /// Minimum Shannon entropy (bits per character) of the captured secret, capped by what
    /// random values of its length and alphabet reach (`entropy::passes_floor`); a value that
    /// passes only by that cap must not have a placeholder's shape (`placeholder`).
    #[serde(default)]
    pub entropy: Option<f64>,
    #[serde(default)]
    pub references: Vec<String>,
    /// How to revoke or rotate the credential: one line and a link to the provider's page.
    /// Without it, a generic instruction naming the rule.
    #[serde(default)]
    pub help: Option<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    #[serde(default)]
    pub allowlist: Option<AllowlistSpec>,
    /// Which capture group is the secret when the pattern has several (0: the whole match).
    /// Without it the pattern must have exactly one group. (`usize::MAX`: gitleaks' default,
    /// the first group if any, else the whole match.)
    #[serde(default)]
    pub secret_group: Option<usize>,
    /// A regex on the file path: the rule runs only on matching paths (in git history, where
    /// a blob's path is known only later, it runs everywhere and its findings in blobs first
    /// committed at other paths are dropped).
    #[serde(default)]
    pub path: Option<String>,
    /// A checksum the captured secret must carry (see `Checksum`); a value that fails it is not
    /// the credential (a placeholder, a typo, a made-up sample) and is not reported.
    #[serde(default)]
    pub checksum: Option<String>,
    /// Context that must occur near a match, before or after it (see `NearSpec`).
    #[serde(default)]
    pub near: Option<NearSpec>,
    /// A generic rule: a value under a credential word with no provider format (`api_token =
    /// "…"`). It is off unless `--enable-rule` or the configuration's `enable` names it, its
    /// findings say their precision is `medium`, and it yields to every other rule: a match
    /// that another rule's match overlaps, accepted or rejected for its value, is not reported
    /// (that rule knows the format better).
    #[serde(default)]
    pub generic: bool,
}

/// Context a match needs around it, on either side: `[rules.near]` with a `pattern` whose
/// match must start within `within` bytes before the match's start or after its end (or in the
/// match); it is searched in the blob itself, so `^` and `\b` see what surrounds it.
/// A key whose provider is named only by an endpoint or a product name elsewhere in the
/// setting's block is found whichever comes first, which a pattern with one capture group and
/// no look-around cannot say.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NearSpec {
    /// A regular expression (Rust `regex` syntax).
    pub pattern: String,
    /// How many bytes on each side of the match are searched (1 to 4096).
    #[serde(default = "NearSpec::default_within")]
    pub within: usize,
}

impl NearSpec {
    /// The distance searched when a rule file does not say.
    pub const DEFAULT_WITHIN: usize = 256;
    /// The greatest distance a rule may ask for.
    pub const MAX_WITHIN: usize = 4096;

    fn default_within() -> usize {
        NearSpec::DEFAULT_WITHIN
    }
}

/// The checksums a rule can ask for (`checksum = "..."`). Each is computed in
/// `detect::checksum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// `github-crc32`: GitHub's token format (`ghp_`, `gho_`, `ghu_`, `ghs_`) and npm's
    /// (`npm_`): after the prefix's `_`, a random base62 body whose last 6 characters are the
    /// CRC-32 (IEEE) of the rest of the body, in base62 (`0-9A-Za-z`), padded with `0`.
    GithubCrc32,
    /// `base64-user-password`: the value is base64 of `user:password`, as registries store
    /// basic credentials (Docker's `config.json` `auth`, npm's `_auth`) and HTTP sends them in an
    /// `Authorization: Basic` header: it decodes to
    /// printable ASCII with a colon after a non-empty user name, and a password of at least
    /// four characters that is no placeholder (`password`, `<password>`, `${PASSWORD}`, `xxxx`,
    /// the RFCs' `open sesame`;
    /// placeholder words count in passwords of up to 40 characters, not in a JSON key file).
    Base64UserPassword,
    /// `jwt`: a JSON Web Token (RFC 7519): three dot-separated base64url parts, the first two
    /// JSON objects, the header naming its algorithm (`alg`) and the signature not empty. A
    /// sample with a corrupted header or a payload of random letters after `eyJ` fails it.
    Jwt,
    /// `atlassian-dc-token`: an Atlassian Data Center personal or HTTP access token (Jira,
    /// Confluence, Bitbucket; Bitbucket's with its `BBDC-` prefix): base64 of the token's id
    /// (8 to 14 digits), a colon and 20 random bytes.
    AtlassianDcToken,
    /// `azure-identifiable`: Microsoft's identifiable keys, whose last bytes are a Marvin32
    /// checksum of the rest, seeded by the key's kind
    /// (<https://github.com/microsoft/security-utilities>): the 32- and 64-byte keys (44 to 88
    /// base64 characters, a 4-character service signature such as `+ASb`, `AzFu` or `ACDb`
    /// before the last 6 characters of the checksum), and the 84- and 88-character common
    /// annotated keys (`JQQJ99` at offset 52, a 4-character service signature such as
    /// `ACOG` or `AZDO` at 76, a checksum in the last 4 (or 8) characters), and Entra ID
    /// client secrets with `8Q~` at 3 (the last 3 characters; older versions have none).
    AzureIdentifiable,
    /// `atlassian-crc32`: Atlassian's API and access tokens (`ATATT3xFfGF0…`, Bitbucket's
    /// `ATCTT3xFfGN0…`): the last 8 characters are the CRC-32 (IEEE), in upper-case hex, of
    /// everything before them (the `=` that ends the body included).
    AtlassianCrc32,
    /// `grafana-crc32`: Grafana service account tokens, `glsa_<32>_<8 hex>`: the hex of the
    /// CRC-32 (IEEE, little-endian bytes) of `glsa_<32>`.
    GrafanaCrc32,
    /// `base58check`: Bitcoin's Base58Check, base58 of a payload and the first 4 bytes of its
    /// double SHA-256 (WIF private keys, BIP-32 extended private keys).
    Base58Check,
    /// `bech32`: BIP-173 bech32 (or BIP-350 bech32m), a prefix, `1` and base32 data ending in
    /// a 6-character checksum (age identities, Nostr `nsec1` keys).
    Bech32,
    /// `discord-bot-token`: a Discord bot token's first part is base64 of the bot's user id,
    /// a snowflake of 17 to 20 digits.
    DiscordBotToken,
    /// `gitlab-routable`: GitLab's routable tokens (its personal access tokens since 2025,
    /// runner tokens with `t1_`): a prefix, base64url of routing ids and random bytes (27 to
    /// 300 characters), `.01.` (or, before the version field, `.`), the payload's length in
    /// two base-36 characters, and the CRC-32 (IEEE) of everything before it in seven. A token
    /// without that suffix, of the older 20-character form, carries no checksum and passes.
    GitlabRoutable,
    /// `crc32-hex`: the last 8 characters are the CRC-32 (IEEE) of everything before them,
    /// prefix included, in lower-case hex (Canva Connect client secrets, `cnvca…`).
    Crc32Hex,
    /// `base64-value`: the value is base64 (a Kubernetes Secret's `data`) and is judged by
    /// what it decodes to: bytes that are not text (key material) pass; text fails when it is
    /// a placeholder (under 32 characters with `secret`, `password`, `test`, `example`,
    /// `admin`, `dummy`, `sample`, `fake` or `changeme` in it, or shaped like one: a counting
    /// run, few distinct characters) or a name (under 20 characters: words of one case joined
    /// by `-`, `_` or `.`, as `ratelimit-user`).
    Base64Value,
}

impl Checksum {
    /// Every checksum by its name in rule files.
    pub const ALL: [(&'static str, Checksum); 13] = [
        ("github-crc32", Checksum::GithubCrc32),
        ("base64-user-password", Checksum::Base64UserPassword),
        ("jwt", Checksum::Jwt),
        ("atlassian-dc-token", Checksum::AtlassianDcToken),
        ("azure-identifiable", Checksum::AzureIdentifiable),
        ("atlassian-crc32", Checksum::AtlassianCrc32),
        ("grafana-crc32", Checksum::GrafanaCrc32),
        ("base58check", Checksum::Base58Check),
        ("bech32", Checksum::Bech32),
        ("discord-bot-token", Checksum::DiscordBotToken),
        ("gitlab-routable", Checksum::GitlabRoutable),
        ("crc32-hex", Checksum::Crc32Hex),
        ("base64-value", Checksum::Base64Value),
    ];

    /// The checksum named `name`.
    pub fn parse(name: &str) -> Option<Checksum> {
        Checksum::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)
    }
}

/// What a rule (or a configuration) lets through.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSpec {
    /// Case-insensitive substrings of the secret that make a match not a finding.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Regular expressions matched against the secret.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// Regular expressions matched against the pattern's whole match: the context around the
    /// secret (the host of a URL whose password is the secret, a setting's name).
    #[serde(default)]
    pub matches: Vec<String>,
}

/// A rule file: `[[rules]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleFile {
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

/// Parses a rule file. `name` is used in error messages.
pub(crate) fn parse(name: &str, text: &str) -> Result<RuleFile> {
    toml::from_str::<RuleFile>(text).map_err(|e| Error::toml(name, &e))
}

/// Checks a rule's fields (not its examples: `rules check` does that through the detector)
/// and returns its parsed pattern, parsed the way it runs: in ASCII mode where the pattern
/// allows it (`\b`, `\w` and `\d` are ASCII; a negated class matches any byte), else in
/// Unicode mode (`\p{L}`, non-ASCII classes). See `detect::patterns::CompiledRule::regex`.
pub(crate) fn validate(name: &str, spec: &RuleSpec) -> Result<regex_syntax::hir::Hir> {
    let at = |field: &'static str, msg: String| Error::rule(name, &spec.id, field, msg);
    let id_ok = spec
        .id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && spec
            .id
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if !id_ok {
        return Err(at("id", "must be lowercase letters, digits and '-'".into()));
    }
    if spec.name.trim().is_empty() {
        return Err(at("name", "must not be empty".into()));
    }
    if Severity::parse(&spec.severity).is_none() {
        return Err(at(
            "severity",
            format!(
                "{:?} is not one of critical, high, medium, low",
                spec.severity
            ),
        ));
    }
    let hir = pattern(spec).map_err(|(field, msg)| at(field, msg))?;
    if spec.keywords.iter().any(|k| k.trim().len() < 2) {
        return Err(at(
            "keywords",
            "keywords need two or more characters".into(),
        ));
    }
    if let Some(e) = spec.entropy.filter(|e| !(0.0..=8.0).contains(e)) {
        return Err(at(
            "entropy",
            format!("{e} is outside 0..8 bits per character"),
        ));
    }
    if let Some(c) = spec.checksum.as_deref() {
        if Checksum::parse(c).is_none() {
            let known: Vec<&str> = Checksum::ALL.iter().map(|(n, _)| *n).collect();
            return Err(at(
                "checksum",
                format!("{c:?} is not one of {}", known.join(", ")),
            ));
        }
    }
    if let Some(n) = &spec.near {
        if !(1..=NearSpec::MAX_WITHIN).contains(&n.within) {
            return Err(at(
                "near.within",
                format!("{} is outside 1..={} bytes", n.within, NearSpec::MAX_WITHIN),
            ));
        }
    }
    // `path`, `near.pattern` and `allowlist.regexes` are checked where they are compiled
    // (`detect::patterns`).
    Ok(hir)
}

/// The rule's pattern, parsed (compiling waits until a rule's keyword first occurs), with the
/// capture group that holds the secret checked. A syntax error is reported as Unicode mode
/// sees it.
fn pattern(spec: &RuleSpec) -> std::result::Result<regex_syntax::hir::Hir, (&'static str, String)> {
    let parse = |unicode: bool| {
        regex_syntax::ParserBuilder::new()
            .utf8(false)
            .unicode(unicode)
            .build()
            .parse(&spec.pattern)
            .map_err(|e| e.to_string())
    };
    let hir = parse(false)
        .or_else(|_| parse(true))
        .map_err(|e| ("pattern", e))?;
    let groups = hir.properties().explicit_captures_len();
    match spec.secret_group {
        None if groups != 1 => Err((
            "pattern",
            format!("needs exactly one capture group (the secret), has {groups}"),
        )),
        Some(g) if g != usize::MAX && g > groups => Err((
            "secret_group",
            format!("{g} but the pattern has {groups} groups"),
        )),
        _ => Ok(hir),
    }
}

/// A string that lives as long as the program (rule metadata is built once per run).
pub(crate) fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// The static description of a loaded rule. Rules live as long as the process, so their text is
/// leaked once at load time and shared by every finding.
pub(crate) fn rule_meta(spec: &RuleSpec, source: &str) -> &'static Rule {
    let severity = Severity::parse(&spec.severity).unwrap_or(Severity::Medium);
    let description = if spec.description.trim().is_empty() {
        spec.name.as_str()
    } else {
        spec.description.as_str()
    };
    Box::leak(Box::new(Rule {
        id: leak(&spec.id),
        name: leak(&spec.name),
        description: leak(description),
        help: match spec.help.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
            Some(h) => leak(h),
            None => leak(&format!(
                "Revoke or rotate this {} with its provider, replace it through a secret store, and remove it from the file and from git history.",
                spec.name
            )),
        },
        severity,
        precision: if spec.generic { "medium" } else { "high" },
        source: leak(source),
    }))
}
