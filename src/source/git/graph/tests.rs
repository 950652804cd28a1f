//! The walk's order against libgit2's, commit for commit.

#![allow(clippy::indexing_slicing)]

use super::*;
use crate::source::git::store::Store;
use crate::source::git::testrepo::TestRepo;

/// libgit2's order for the same walk.
fn libgit2_order(repo: &git2::Repository, push: &[Oid], hide: &[Oid], all: bool) -> Vec<Oid> {
    let mut walk = repo.revwalk().unwrap_or_else(|e| panic!("{e}"));
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME | git2::Sort::REVERSE)
        .unwrap_or_else(|e| panic!("{e}"));
    if all {
        walk.push_glob("*").unwrap_or_else(|e| panic!("{e}"));
        walk.push_head().unwrap_or_else(|e| panic!("{e}"));
    }
    for &p in push {
        walk.push(p).unwrap_or_else(|e| panic!("{e}"));
    }
    for &h in hide {
        walk.hide(h).unwrap_or_else(|e| panic!("{e}"));
    }
    walk.map(|r| r.unwrap_or_else(|e| panic!("{e}"))).collect()
}

fn ours(repo: &git2::Repository, push: &[Oid], hide: &[Oid], all: bool) -> Vec<Oid> {
    let store = Store::open(repo);
    let odb = repo.odb().unwrap_or_else(|e| panic!("{e}"));
    let reader = store.reader(&odb);
    let tally = Tally::default();
    let mut graph = Graph::new(&reader, &tally, HashSet::new());
    if all {
        for (_, oid) in crate::source::git::walk::ref_tips(repo, &tally).0 {
            if let Ok(Some(c)) = crate::source::git::walk::peel_to_commit(&reader, oid) {
                graph.push(c, false);
            }
        }
        if let Some(h) = crate::source::git::walk::head_commit(repo, &reader) {
            graph.push(h, false);
        }
    }
    for &p in push {
        graph.push(p, false);
    }
    for &h in hide {
        graph.push(h, true);
    }
    let (walked, complete) = graph.run();
    assert!(complete);
    let out = walked.into_iter().map(|w| w.commit).collect();
    assert_eq!(tally.counts().errors, 0);
    out
}

/// Branches, merges, equal commit times, an annotated tag and commits older than their
/// parents: the order must be libgit2's, commit for commit.
#[test]
fn order_is_libgit2s() {
    let r = TestRepo::new();
    let mut ids = Vec::new();
    ids.push(r.commit("a", "1", 100, "c1"));
    ids.push(r.commit("a", "2", 200, "c2"));
    r.git(&["checkout", "-q", "-b", "side"]);
    ids.push(r.commit("b", "1", 200, "s1"));
    ids.push(r.commit("b", "2", 150, "s2 (older than its parent)"));
    r.git(&["checkout", "-q", "main"]);
    ids.push(r.commit("a", "3", 200, "c3"));
    r.git_at(
        &["merge", "-q", "--no-ff", "-m", "m1", "side"],
        "@1700000200 +0000",
    );
    ids.push(r.git(&["rev-parse", "HEAD"]));
    r.git(&["checkout", "-q", "-b", "other", &ids[1]]);
    ids.push(r.commit("c", "1", 300, "o1"));
    ids.push(r.commit("c", "2", 300, "o2"));
    r.git(&["tag", "-a", "-m", "t", "v1", "HEAD"]);
    r.git(&["checkout", "-q", "main"]);
    for i in 0..12 {
        r.git(&[
            "checkout",
            "-q",
            "-b",
            &format!("f{i}"),
            &ids[i % ids.len()],
        ]);
        r.commit("f", &format!("{i}"), 250 + (i as i64 % 3) * 10, "f");
    }
    r.git(&["checkout", "-q", "--detach", &ids[3]]);
    r.commit("d", "1", 120, "detached");
    let repo = git2::Repository::open(r.path()).unwrap_or_else(|e| panic!("{e}"));
    let expected = libgit2_order(&repo, &[], &[], true);
    assert!(expected.len() > 20);
    assert_eq!(ours(&repo, &[], &[], true), expected);
    // Ranges: push one tip, hide another, as `--since` does.
    let oid = |s: &str| Oid::from_str(s).unwrap_or_else(|e| panic!("{e}"));
    let main = oid(&r.git(&["rev-parse", "main"]));
    for hidden in [&ids[0], &ids[2], &ids[4], &ids[6]] {
        let h = oid(hidden);
        assert_eq!(
            ours(&repo, &[main], &[h], false),
            libgit2_order(&repo, &[main], &[h], false),
            "hide {hidden}"
        );
    }
}

/// Random histories (commit-tree with random parents, times drawn from a few values so that
/// ties abound, random branch tips): the same order as libgit2 for every one.
#[test]
fn random_histories_order_like_libgit2() {
    let mut next = crate::test_rng::xorshift(0x9e37_79b9_7f4a_7c15);
    let mut rnd = |n: usize| usize::try_from(next(n as u64)).unwrap_or(0);
    for round in 0..4 {
        let r = TestRepo::new();
        let tree = r.git(&["hash-object", "-t", "tree", "-w", "/dev/null"]);
        let mut commits: Vec<String> = Vec::new();
        for i in 0..60 {
            let mut args = vec!["commit-tree".to_string(), tree.clone()];
            let parents = if commits.is_empty() {
                0
            } else {
                1 + rnd(3) % 2
            };
            for _ in 0..parents {
                let p = commits[rnd(commits.len())].clone();
                if !args.contains(&p) {
                    args.push("-p".into());
                    args.push(p);
                }
            }
            args.push("-m".into());
            args.push(format!("c{i}"));
            let date = format!("@{} +0000", 1_700_000_000 + 10 * rnd(6));
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            commits.push(r.git_at(&refs, &date));
        }
        for b in 0..6 {
            let tip = commits[rnd(commits.len())].clone();
            r.git(&["update-ref", &format!("refs/heads/b{b}"), &tip]);
        }
        let last = commits.last().cloned().unwrap_or_default();
        r.git(&["update-ref", "refs/heads/main", &last]);
        let repo = git2::Repository::open(r.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            ours(&repo, &[], &[], true),
            libgit2_order(&repo, &[], &[], true),
            "round {round}"
        );
        let oid = |s: &str| Oid::from_str(s).unwrap_or_else(|e| panic!("{e}"));
        for _ in 0..5 {
            let (p, h) = (commits[rnd(60)].clone(), commits[rnd(60)].clone());
            assert_eq!(
                ours(&repo, &[oid(&p)], &[oid(&h)], false),
                libgit2_order(&repo, &[oid(&p)], &[oid(&h)], false),
                "round {round}: {p} ^{h}"
            );
        }
    }
}
