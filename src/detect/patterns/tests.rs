use super::*;

const FILE: &str = r#"
[[rules]]
id = "demo-token"
name = "Demo token"
severity = "high"
pattern = '''\b(dmo_[A-Za-z0-9]{20})\b'''
keywords = ["dmo_"]
entropy = 3.0
examples = ['''t = "dmo_Ab3De5Gh7Jk9Lm1Np2Qr"''']
negative_examples = ['''dmo_aaaaaaaaaaaaaaaaaaaa''']
[rules.allowlist]
stopwords = ["example"]
"#;

/// The error that loading `text` as the rule file `name` gives (empty if it loads).
fn load_error(name: &str, text: String) -> String {
    RuleSet::from_files(&[(name.into(), text)])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

#[test]
fn loads_and_matches_through_prefilter() {
    let set =
        RuleSet::from_files(&[("demo.toml".into(), FILE.into())]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.rules().len(), 1);
    let m = set.matches(b"x = 'DMO_nope' and dmo_Ab3De5Gh7Jk9Lm1Np2Qr here");
    assert_eq!(m.len(), 1);
    assert_eq!(
        m.first().map(|m| m.value.as_str()),
        Some("dmo_Ab3De5Gh7Jk9Lm1Np2Qr")
    );
    assert!(
        set.matches(b"dmo_aaaaaaaaaaaaaaaaaaaa").is_empty(),
        "entropy floor"
    );
    assert!(
        set.matches(b"dmo_exampleAb3De5Gh7Jk9").is_empty(),
        "stopword"
    );
    assert!(set.matches(b"nothing here").is_empty());
}

#[test]
fn thousands_of_rules_run_only_where_their_keywords_are() {
    // 3,000 rules with a keyword each, 20 sharing one keyword (listed twice by one of
    // them), and one with none, which runs everywhere.
    let rule = |id: &str, pattern: &str, keywords: &str| {
        format!(
            "[[rules]]\nid = \"{id}\"\nname = \"N\"\nseverity = \"low\"\n\
             pattern = '''{pattern}'''\nkeywords = [{keywords}]\n"
        )
    };
    let mut file = String::new();
    for i in 0..3000 {
        let kw = format!("\"tk{i}x_\"");
        file.push_str(&rule(
            &format!("r{i}"),
            &format!(r"\b(tk{i}x_[a-z]{{8}})\b"),
            &kw,
        ));
    }
    for i in 0..20 {
        let kw = if i == 0 {
            "\"shared\", \"shared\""
        } else {
            "\"shared\""
        };
        file.push_str(&rule(
            &format!("s{i}"),
            &format!(r"shared{i}=([a-z]{{8}})"),
            kw,
        ));
    }
    file.push_str(&rule("always", r"always=([a-z]{8})", ""));
    let set = RuleSet::from_files(&[("many.toml".into(), file)]).unwrap_or_else(|e| panic!("{e}"));
    let ids = |text: &str| -> Vec<&str> {
        let mut v: Vec<&str> = set
            .matches(text.as_bytes())
            .iter()
            .filter_map(|m| set.get(m.rule).map(|r| r.id()))
            .collect();
        v.sort_unstable();
        v
    };
    assert_eq!(
        ids("a tk17x_abcdefgh b tk2999x_abcdefgh shared0=abcdefgh shared19=qwertyui"),
        ["r17", "r2999", "s0", "s19"]
    );
    assert_eq!(ids("always=abcdefgh tk5x_"), ["always"]);
    assert!(ids("nothing here").is_empty());
    assert!(set.by_id("r1234").is_some() && set.by_id("r3000").is_none());
}

#[test]
fn rules_find_the_same_near_their_keywords_as_in_the_whole_blob() {
    // Every built-in example, apart in a large blob, so that the rules whose matches are
    // proven to hold a keyword search only around the keywords' hits. (Eight lines apart: every
    // pattern also runs over the whole blob: half a minute per megabyte in a debug build.)
    let set = RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    let near = set.rules().iter().filter(|r| r.span().is_some()).count();
    assert!(
        near * 2 > set.rules().len(),
        "{near} of {}",
        set.rules().len()
    );
    let filler = "lorem ipsum dolor sit amet, consectetur adipiscing elit\n".repeat(8);
    let mut text = String::new();
    for r in set.rules() {
        for e in r.spec().examples.iter().chain(&r.spec().negative_examples) {
            text.push_str(&filler);
            text.push_str(e);
            text.push('\n');
        }
    }
    let data = text.as_bytes();
    let got = set.matches(data);
    let mut whole = Vec::new();
    for (i, r) in set.rules().iter().enumerate() {
        r.matches(i, data, None, false, &mut whole);
    }
    whole.sort_by_key(|m| (m.span.start, m.rule));
    whole.dedup_by(|b, a| a.rule == b.rule && a.span == b.span);
    assert!(got.len() > 100, "{}", got.len());
    assert_eq!(got, whole);
}

#[test]
fn errors_name_file_rule_and_field() {
    let bad = FILE.replace("(dmo_[A-Za-z0-9]{20})", "(dmo_[A-Z");
    let e = load_error("demo.toml", bad);
    assert!(
        e.contains("demo.toml") && e.contains("demo-token") && e.contains("pattern"),
        "{e}"
    );
    let two = FILE.replace(r"(dmo_[A-Za-z0-9]{20})", r"(dmo_)([A-Za-z0-9]{20})");
    let e = load_error("demo.toml", two);
    assert!(e.contains("exactly one capture group"), "{e}");
    let unknown = FILE.replace("entropy = 3.0", "entropy = 3.0\ncolour = 1");
    let e = load_error("demo.toml", unknown);
    assert!(e.contains("demo.toml") && e.contains("colour"), "{e}");
    let dup = format!(
        "{FILE}\n{}",
        FILE.replace("[rules.allowlist]\nstopwords = [\"example\"]", "")
    );
    let e = load_error("demo.toml", dup);
    assert!(e.contains("defined twice"), "{e}");
    // The ids of the rules found by code are taken: AWS's and the keystores'.
    for taken in ["aws-access-key-pair", "keystore-java", "keystore-pkcs12"] {
        let clash = FILE.replace("id = \"demo-token\"", &format!("id = \"{taken}\""));
        assert_ne!(clash, FILE);
        let e = load_error("demo.toml", clash);
        assert!(e.contains(taken) && e.contains("defined twice"), "{e}");
    }
}

#[test]
fn a_rule_with_a_checksum_reports_only_values_that_carry_it() {
    let file = FILE
        .replace("dmo_[A-Za-z0-9]{20}", "ghp_[A-Za-z0-9]{36}")
        .replace("\"dmo_\"", "\"ghp_\"")
        .replace(
            "entropy = 3.0",
            "entropy = 3.0\nchecksum = \"github-crc32\"",
        );
    let set = RuleSet::from_files(&[("demo.toml".into(), file.clone())])
        .unwrap_or_else(|e| panic!("{e}"));
    // A public sample whose last 6 characters are the CRC-32 of the 30 before them.
    let good = "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";
    let m = set.matches(format!("token = {good}\n").as_bytes());
    assert_eq!(m.first().map(|m| m.value.as_str()), Some(good));
    let bad = "ghp_ZJDeVREhkptGF7Wvep0NwJWlPEQP7a0t2nxM";
    assert!(set
        .matches(format!("token = {bad}\n").as_bytes())
        .is_empty());
    // Without the field the same rule reports both.
    let plain = file.replace("checksum = \"github-crc32\"", "");
    let set = RuleSet::from_files(&[("demo.toml".into(), plain)]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.matches(format!("{good} {bad}").as_bytes()).len(), 2);
    // An unknown checksum is a load error naming the field and the known ones.
    let unknown = file.replace("github-crc32", "luhn");
    let e = load_error("demo.toml", unknown);
    assert!(
        e.contains("demo-token") && e.contains("checksum") && e.contains("github-crc32"),
        "{e}"
    );
}

#[test]
fn entropy_floor_is_fair_to_random_keys_and_not_to_placeholders() {
    let file = r#"
[[rules]]
id = "demo-hex"
name = "Demo hex key"
severity = "high"
pattern = '''demo_key=([a-z0-9]{32})\b'''
keywords = ["demo_key"]
entropy = 3.5

[[rules]]
id = "demo-mixed"
name = "Demo mixed-case key"
severity = "high"
pattern = '''demo_token=([A-Za-z0-9]{24})\b'''
keywords = ["demo_token"]
entropy = 3.8
"#;
    let set =
        RuleSet::from_files(&[("demo.toml".into(), file.into())]).unwrap_or_else(|e| panic!("{e}"));
    let found = |text: &str| !set.matches(text.as_bytes()).is_empty();
    // A random 32-hex key of entropy 3.4: the plain floor of 3.5 dropped it.
    assert!(found("demo_key=bb96026b9d6428dbd8e433bd7f39392e"));
    // Under the written floor, a value passes by that cap only if it is not shaped like a
    // placeholder (entropy 3.44 and 3.43, like the random key above).
    for placeholder in [
        "abcdefae923d5a4fd12aabfe228f219e",
        "1234569eee3692f09e2e8c662248b483",
    ] {
        assert!(!found(&format!("demo_key={placeholder}")), "{placeholder}");
    }
    // At the written floor a value passes as it always did: lowering floors lets no new
    // shape through, and placeholders that look this random are the stopwords' to drop.
    assert!(found("demo_key=abcd1234efgh5678ijkl9012mnop3456"));
    // A word in capitals where the format mixes cases keeps the floor of 3.8.
    assert!(!found("demo_token=PLATFORMENGINEERINGTEAM1"));
    assert!(found("demo_token=q7Xk2LmP9sVb4NcR8wTz3YdH"));
    let mixed = |id: &str| set.by_id(id).map(CompiledRule::mixed_case);
    assert_eq!(mixed("demo-hex"), Some(false));
    assert_eq!(mixed("demo-mixed"), Some(true));
}

/// A rule with `[rules.near]`: a match counts only with its context within so many bytes on
/// either side, and the context may be the keyword that triggers the rule.
#[test]
fn near_context_on_either_side() {
    let file = r#"
[[rules]]
id = "near-demo"
name = "Near demo"
severity = "high"
pattern = '''API_KEY=([a-f0-9]{32})\b'''
keywords = [".demo.example.net"]
case_sensitive_keywords = true
examples = []
negative_examples = []
[rules.near]
pattern = '''https://[a-z]+\.demo\.example\.net'''
within = 40
"#;
    let set =
        RuleSet::from_files(&[("near.toml".into(), file.into())]).unwrap_or_else(|e| panic!("{e}"));
    let key = "API_KEY=9f86d081884c7d659a2feaa0c55ad015";
    let found = |text: String| set.matches(text.as_bytes()).len();
    // The endpoint before the key, after it, and too far on either side.
    assert_eq!(
        found(format!("URL=https://acme.demo.example.net\n{key}\n")),
        1
    );
    assert_eq!(
        found(format!("{key}\nURL=https://acme.demo.example.net\n")),
        1
    );
    let far = " ".repeat(50);
    assert_eq!(
        found(format!("URL=https://acme.demo.example.net{far}\n{key}\n")),
        0
    );
    assert_eq!(
        found(format!("{key}{far}\nURL=https://acme.demo.example.net\n")),
        0
    );
    // The keyword alone, not the context's pattern.
    assert_eq!(found(format!("{key} .demo.example.net")), 0);
    // The context is read in the blob, not in a cut-out window: `\b` after it sees the
    // letters that follow, even where the window ends.
    let strict = file.replace(r"\.demo\.example\.net'''", r"\.demo\.example\.net\b'''");
    let set =
        RuleSet::from_files(&[("near.toml".into(), strict)]).unwrap_or_else(|e| panic!("{e}"));
    let found = |text: String| set.matches(text.as_bytes()).len();
    // The context ends right where the window does (40 bytes after the key).
    let pad = " ".repeat(40 - "https://acme.demo.example.net".len());
    assert_eq!(
        found(format!("{key}{pad}https://acme.demo.example.net/")),
        1
    );
    assert_eq!(
        found(format!("{key}{pad}https://acme.demo.example.netx/")),
        0
    );

    // A distance out of range, and a context that is no regex, are errors of the file.
    let bad = file.replace("within = 40", "within = 0");
    let e = load_error("near.toml", bad);
    assert!(e.contains("near.within"), "{e}");
    let bad = file.replace(r"https://[a-z]+", "https://[a-z");
    let e = load_error("near.toml", bad);
    assert!(e.contains("near.pattern"), "{e}");
}

/// A rule with `[rules.near]` context that always holds one of its keywords runs only around
/// the keywords' hits, in a large blob too, and finds what a search of the whole blob finds.
#[test]
fn near_context_that_holds_a_keyword_is_searched_around_its_hits() {
    let file = r#"
[[rules]]
id = "near-bounded"
name = "Near bounded"
severity = "high"
pattern = '''API_KEY=([a-f0-9]{32})\b'''
keywords = ["acme.example.net", "ACME.EXAMPLE.NET"]
case_sensitive_keywords = true
examples = []
negative_examples = []
[rules.near]
pattern = '''https://(?:acme\.example\.net|ACME\.EXAMPLE\.NET)'''
within = 300
"#;
    let set =
        RuleSet::from_files(&[("near.toml".into(), file.into())]).unwrap_or_else(|e| panic!("{e}"));
    let rule = set
        .by_id("near-bounded")
        .unwrap_or_else(|| panic!("no rule"));
    assert_eq!(rule.span(), Some(300 + 40));
    let key = "API_KEY=9f86d081884c7d659a2feaa0c55ad015";
    let url = "https://acme.example.net";
    let filler = "x".repeat(50_000);
    // Each key with the context at the edge of the distance, before and after it (and in
    // capitals), and each just past it; in 100 kB of text, so that only stretches are searched.
    let mut text = filler.clone();
    let mut expected = Vec::new();
    // (The distance runs from the context's start to the match's start, or from the match's
    // end.)
    for (gap, found) in [(300, true), (301, false)] {
        let pad = " ".repeat(gap);
        let before = " ".repeat(gap - url.len());
        text.push_str(&format!("\n{url}{before}"));
        let at = text.len() + "API_KEY=".len();
        text.push_str(&format!("{key}\n{filler}\n"));
        if found {
            expected.push(at);
        }
        let at = text.len() + "API_KEY=".len();
        text.push_str(&format!("{key}{pad}https://ACME.EXAMPLE.NET\n{filler}\n"));
        if found {
            expected.push(at);
        }
    }
    let data = text.as_bytes();
    let got: Vec<usize> = set.matches(data).iter().map(|m| m.span.start).collect();
    assert_eq!(got, expected);
    let mut whole = Vec::new();
    rule.matches(0, data, None, false, &mut whole);
    let whole: Vec<usize> = whole.iter().map(|m| m.span.start).collect();
    assert_eq!(got, whole);
}

#[test]
fn built_in_shapes_are_worked_out_when_keyhound_is_built_as_a_scan_would() {
    // Every built-in rule's shape comes from `build.rs`, and it is the shape the scanner works
    // out itself from the same pattern and keywords.
    let specs = crate::rule::builtin::specs_with_examples().unwrap_or_else(|e| panic!("{e}"));
    assert!(specs.len() > 900, "{}", specs.len());
    for (_, spec) in &specs {
        let prebuilt = prebuilt_shape(spec).unwrap_or_else(|| panic!("no shape for {}", spec.id));
        let computed = shape::of(&spec.pattern, &spec.keywords, near_of(spec))
            .unwrap_or_else(|| panic!("{} does not parse", spec.id));
        assert_eq!(prebuilt, computed, "{}", spec.id);
    }
    // A rule that is not the built-in one it shares an id with (a changed pattern, other
    // keywords) is analysed for itself.
    let mut changed = specs
        .iter()
        .find(|(_, s)| s.id == "github-pat-classic")
        .map(|(_, s)| s.clone())
        .unwrap_or_else(|| panic!("github-pat-classic"));
    assert!(prebuilt_shape(&changed).is_some());
    changed.pattern.push_str("x{40}");
    assert!(prebuilt_shape(&changed).is_none());
    changed.pattern.truncate(changed.pattern.len() - 5);
    changed.keywords.push("other".into());
    assert!(prebuilt_shape(&changed).is_none());
}

#[test]
fn permute_puts_each_element_where_the_order_says() {
    // Every permutation of five elements (cycles of every length, fixed points), against
    // building the ordered list anew.
    fn all(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![Vec::new()];
        }
        let mut out = Vec::new();
        for p in all(n - 1) {
            for at in 0..=p.len() {
                let mut q = p.clone();
                q.insert(at, n - 1);
                out.push(q);
            }
        }
        out
    }
    for order in all(5) {
        let mut v: Vec<String> = (0..5).map(|i| format!("rule-{i}")).collect();
        let want: Vec<String> = order.iter().map(|&i| format!("rule-{i}")).collect();
        super::permute(&mut v, &order);
        assert_eq!(v, want, "order {order:?}");
    }
}

#[test]
fn the_index_holds_every_built_in_rule_as_its_file_has_it() {
    // Each entry's id, file and keywords are the rule's, and its JSON reads into the rule that
    // the TOML of its file gives (all but the examples, which the index leaves out). Read from
    // the TOML itself: `builtin::specs` reads the index too.
    let index = crate::rule::builtin::index();
    let mut from_toml: Vec<(&str, RuleSpec)> = Vec::new();
    for &(name, text) in crate::rule::builtin::embedded() {
        let rules = if name == crate::aws::FILE {
            crate::rule::builtin::aws_patterns(name, text)
        } else {
            file::parse(name, text).map(|f| f.rules)
        }
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        from_toml.extend(rules.into_iter().map(|r| (name, r)));
    }
    assert!(from_toml.len() > 900, "{}", from_toml.len());
    assert_eq!(index.len(), from_toml.len());
    assert!(
        index.windows(2).all(|w| matches!(w, [a, b] if a.1 < b.1)),
        "sorted, unique"
    );
    for (file, mut spec) in from_toml {
        let i = index
            .binary_search_by(|e| e.1.cmp(spec.id.as_str()))
            .unwrap_or_else(|_| panic!("{} is not in the index", spec.id));
        let &(f, id, keywords, _, generic, json) = index.get(i).unwrap_or_else(|| panic!("{i}"));
        assert_eq!((f, id), (file, spec.id.as_str()));
        assert_eq!(keywords, spec.keywords.as_slice());
        assert_eq!(generic, spec.generic, "{id}");
        spec.examples.clear();
        spec.negative_examples.clear();
        let read = crate::rule::builtin::read_indexed(f, id, json);
        assert_eq!(format!("{read:?}"), format!("{spec:?}"), "{id}");
    }
}

#[test]
fn an_indexed_rule_whose_json_does_not_fit_is_read_from_its_file() {
    let index = crate::rule::builtin::index();
    let &(file, id, _, _, _, json) = index
        .iter()
        .find(|e| e.1 == "github-pat-classic")
        .unwrap_or_else(|| panic!("github-pat-classic"));
    let good = crate::rule::builtin::read_indexed(file, id, json);
    let bad = crate::rule::builtin::read_indexed(file, id, "{\"id\": 1}");
    assert_eq!(bad.pattern, good.pattern);
    assert_eq!(bad.help, good.help);
    // A rule found nowhere matches nothing (and its pattern compiles).
    let lost = crate::rule::builtin::read_indexed(file, "no-such-rule", "{");
    let re = build_regex(&lost.pattern, false).unwrap_or_else(|e| panic!("{e}"));
    assert!(!re.is_match(b"ghp_ anything at all \x00\xff"));
}

#[test]
fn a_scan_reads_only_the_built_in_rules_it_needs_and_finds_what_all_of_them_find() {
    let lazy = RuleSet::load_indexed(Vec::new(), &crate::rule::Enabled::all())
        .unwrap_or_else(|| panic!("no index"))
        .unwrap_or_else(|e| panic!("{e}"));
    let eager = RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lazy.rules().len(), eager.rules().len());
    assert!(lazy.rules().iter().all(|r| r.spec.get().is_none()));
    // One rule's example: the rules its text triggers are read, no other.
    let github = eager
        .by_id("github-pat-classic")
        .unwrap_or_else(|| panic!("github-pat-classic"));
    let example = github.spec().examples.first().cloned().unwrap_or_default();
    let found = lazy.matches(example.as_bytes());
    assert!(found.iter().any(|m| lazy
        .get(m.rule)
        .is_some_and(|r| r.id() == "github-pat-classic")));
    let read = lazy
        .rules()
        .iter()
        .filter(|r| r.spec.get().is_some())
        .count();
    assert!((1..20).contains(&read), "{read} rules read");
    // Every built-in example in one blob: the same matches, rule for rule (the two sets hold
    // the same rules in the same order).
    let mut text = String::new();
    for r in eager.rules() {
        for e in r.spec().examples.iter().chain(&r.spec().negative_examples) {
            text.push_str(e);
            text.push_str("\n\n");
        }
    }
    let got = lazy.matches(text.as_bytes());
    assert!(got.len() > 100, "{}", got.len());
    assert_eq!(got, eager.matches(text.as_bytes()));
    assert_eq!(
        lazy.rules()
            .iter()
            .map(|r| r.meta().name)
            .collect::<Vec<_>>(),
        eager
            .rules()
            .iter()
            .map(|r| r.meta().name)
            .collect::<Vec<_>>()
    );
}

/// A scan loads the built-in rules from their index, which takes every keyword as written
/// (`CompiledRule::indexed`): a built-in rule whose keywords are to match in any case would
/// miss `ZHIPU` for `zhipu`, so each lists its spellings and says so, or its pattern proves
/// them exact.
#[test]
fn every_builtin_rule_searches_its_keywords_as_written() {
    let specs = crate::rule::builtin::specs().unwrap_or_else(|e| panic!("{e}"));
    for (file, spec) in &specs {
        let exact = crate::detect::shape::parse(&spec.pattern)
            .as_ref()
            .is_some_and(|h| crate::detect::literal::exact_keywords_in(spec, h));
        assert!(
            spec.keywords.is_empty() || exact,
            "{file}: {}: keywords {:?} are not exact: set case_sensitive_keywords = true and \
             list each spelling",
            spec.id,
            spec.keywords
        );
    }
}
