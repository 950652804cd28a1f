//! The order of history: the commits reachable from the pushed tips and not from the hidden
//! ones, oldest first, in exactly the order libgit2's revision walk gives with
//! `TOPOLOGICAL | TIME | REVERSE` (its date-ordered frontier, the slop that ends a hidden walk,
//! its Kahn sort on a binary heap by commit time, ties and all), so that "the oldest commit that
//! holds a blob" names the same commit it always did. The difference is that keyhound reads and
//! parses the commits itself: a missing or damaged commit, or one with an unreadable timestamp,
//! is an error about that commit, and the walk goes on without (or with) it instead of
//! stopping.

use std::collections::{HashMap, HashSet, VecDeque};

use git2::{ObjectType, Oid};

use super::parse;
use super::store::Reader;
use crate::error::Error;
use crate::source::Tally;

/// Uninteresting commits looked at after the interesting ones run out (libgit2's `SLOP`).
const SLOP: u32 = 5;

/// One commit of the walk.
#[derive(Debug)]
struct Node {
    oid: Oid,
    parsed: bool,
    /// Read and parsed without a problem that makes it unusable.
    readable: bool,
    time: i64,
    parents: Vec<usize>,
    tree: Option<Oid>,
    seen: bool,
    uninteresting: bool,
    added: bool,
    in_degree: u32,
}

/// A revision walk over commits read through `Reader`.
pub(crate) struct Graph<'a, 's, 'o> {
    reader: &'a Reader<'s, 'o>,
    tally: &'a Tally,
    nodes: Vec<Node>,
    index: HashMap<Oid, usize>,
    /// Pushed and hidden commits, in push order.
    input: Vec<usize>,
    /// Commits listed in `shallow` (no parents beyond them).
    shallow: HashSet<Oid>,
    /// Some commit could not be read: what lies beyond it is unknown.
    damaged: bool,
}

/// A commit in the walk's output: its id and its tree (`None` when it could not be read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Walked {
    pub(crate) commit: Oid,
    pub(crate) tree: Option<Oid>,
}

impl<'a, 's, 'o> Graph<'a, 's, 'o> {
    /// A walk; commits listed in `shallow` are taken to have no parents, as git does.
    pub(crate) fn new(reader: &'a Reader<'s, 'o>, tally: &'a Tally, shallow: HashSet<Oid>) -> Self {
        Graph {
            reader,
            tally,
            nodes: Vec::new(),
            index: HashMap::new(),
            input: Vec::new(),
            shallow,
            damaged: false,
        }
    }

    fn lookup(&mut self, oid: Oid) -> usize {
        if let Some(&i) = self.index.get(&oid) {
            return i;
        }
        self.nodes.push(Node {
            oid,
            parsed: false,
            readable: false,
            time: 0,
            parents: Vec::new(),
            tree: None,
            seen: false,
            uninteresting: false,
            added: false,
            in_degree: 0,
        });
        let i = self.nodes.len() - 1;
        self.index.insert(oid, i);
        i
    }

    /// Starts the walk at commit `oid` (`hide`: excludes it and its ancestors instead).
    pub(crate) fn push(&mut self, oid: Oid, hide: bool) {
        let i = self.lookup(oid);
        let Some(n) = self.nodes.get_mut(i) else {
            return;
        };
        if n.uninteresting {
            return;
        }
        n.uninteresting = hide;
        self.input.push(i);
    }

    /// Reads and parses a commit once. A commit that cannot be read is an error, and has no
    /// parents and time 0 for the walk.
    fn parse(&mut self, i: usize) {
        let Some(oid) = self.nodes.get(i).filter(|n| !n.parsed).map(|n| n.oid) else {
            return;
        };
        let parsed = self
            .reader
            .read_kind(oid, ObjectType::Commit)
            .and_then(|data| {
                parse::commit(data.bytes()).map_err(|m| Error::Git {
                    object: format!("git commit {oid}"),
                    message: m,
                })
            });
        let (time, parents, tree, readable) = match parsed {
            Ok(c) => {
                if let Some(p) = &c.problem {
                    self.tally.error(Error::Git {
                        object: format!("git commit {oid}"),
                        message: p.clone(),
                    });
                }
                let parents = if self.shallow.contains(&oid) {
                    Vec::new()
                } else {
                    c.parents.iter().map(|&p| self.lookup(p)).collect()
                };
                (c.time(), parents, Some(c.tree), true)
            }
            Err(e) => {
                self.tally.error(e);
                self.damaged = true;
                (0, Vec::new(), None, false)
            }
        };
        if let Some(n) = self.nodes.get_mut(i) {
            n.parsed = true;
            n.readable = readable;
            n.time = time;
            n.parents = parents;
            n.tree = tree;
        }
    }

    fn node(&self, i: usize) -> Option<&Node> {
        self.nodes.get(i)
    }

    fn node_mut(&mut self, i: usize) -> Option<&mut Node> {
        self.nodes.get_mut(i)
    }

    fn time(&self, i: usize) -> i64 {
        self.node(i).map_or(0, |n| n.time)
    }

    fn parents(&self, i: usize) -> Vec<usize> {
        self.node(i).map(|n| n.parents.clone()).unwrap_or_default()
    }

    /// The commits, oldest first (libgit2's `TOPOLOGICAL | TIME | REVERSE`), and whether every
    /// commit could be read (else history beyond an unreadable one is unknown).
    pub(crate) fn run(mut self) -> (Vec<Walked>, bool) {
        let mut commits = Vec::new();
        // Latest push first, each commit once.
        for i in std::mem::take(&mut self.input).into_iter().rev() {
            self.parse(i);
            if self.node(i).is_some_and(|n| n.uninteresting) {
                self.mark_parents_uninteresting(i);
            }
            if let Some(n) = self.node_mut(i).filter(|n| !n.seen) {
                n.seen = true;
                commits.push(i);
            }
        }
        let limited = self.limit(commits);
        let sorted = self.topological(&limited);
        let walked = sorted
            .into_iter()
            .rev()
            .filter_map(|i| self.node(i))
            .filter(|n| !n.uninteresting && n.readable)
            .map(|n| Walked {
                commit: n.oid,
                tree: n.tree,
            })
            .collect();
        (walked, !self.damaged)
    }

    /// Marks every parsed ancestor of `i` uninteresting.
    fn mark_parents_uninteresting(&mut self, i: usize) {
        let mut stack = self.parents(i);
        while let Some(p) = stack.pop() {
            let Some(n) = self.node_mut(p) else {
                continue;
            };
            if n.uninteresting {
                continue;
            }
            n.uninteresting = true;
            if n.parsed {
                stack.extend(n.parents.iter().copied());
            }
        }
    }

    /// Inserts `i` before the first commit of `list` older than it.
    fn insert_by_date(&self, i: usize, list: &mut VecDeque<usize>) {
        let t = self.time(i);
        let at = list
            .iter()
            .position(|&j| self.time(j) < t)
            .unwrap_or(list.len());
        list.insert(at, i);
    }

    /// Adds the parents of `i` to the frontier, once.
    fn add_parents(&mut self, i: usize, list: &mut VecDeque<usize>) {
        match self.node_mut(i) {
            Some(n) if !n.added => n.added = true,
            _ => return,
        }
        let uninteresting = self.node(i).is_some_and(|n| n.uninteresting);
        for p in self.parents(i) {
            if let (true, Some(n)) = (uninteresting, self.node_mut(p)) {
                n.uninteresting = true;
            }
            self.parse(p);
            if uninteresting {
                self.mark_parents_uninteresting(p);
                if let Some(n) = self.node_mut(p) {
                    n.seen = true;
                }
                self.insert_by_date(p, list);
            } else if let Some(n) = self.node_mut(p).filter(|n| !n.seen) {
                n.seen = true;
                self.insert_by_date(p, list);
            }
        }
    }

    /// Whether to keep looking at uninteresting commits (libgit2's `still_interesting`).
    fn still_interesting(&self, list: &VecDeque<usize>, time: i64, slop: u32) -> u32 {
        let Some(&first) = list.front() else {
            return 0;
        };
        if time <= self.time(first) {
            return SLOP;
        }
        let busy = list.iter().any(|&j| {
            self.node(j)
                .is_some_and(|n| !n.uninteresting || n.time > time)
        });
        if busy {
            SLOP
        } else {
            slop.saturating_sub(1)
        }
    }

    /// Every commit reachable from the frontier that is interesting, in the order found.
    fn limit(&mut self, commits: Vec<usize>) -> Vec<usize> {
        let mut list: VecDeque<usize> = commits.into();
        let mut out = Vec::new();
        let mut slop = SLOP;
        let mut time = i64::MAX;
        while let Some(i) = list.pop_front() {
            self.add_parents(i, &mut list);
            if self.node(i).is_some_and(|n| n.uninteresting) {
                self.mark_parents_uninteresting(i);
                slop = self.still_interesting(&list, time, slop);
                if slop > 0 {
                    continue;
                }
                break;
            }
            time = self.time(i);
            out.push(i);
        }
        out
    }

    /// Kahn's sort of `list`: a commit comes out once all its children in the list have, the
    /// newest first among those ready (a binary heap, as libgit2's).
    fn topological(&mut self, list: &[usize]) -> Vec<usize> {
        for &i in list {
            if let Some(n) = self.node_mut(i) {
                n.in_degree = 1;
            }
        }
        for &i in list {
            for p in self.parents(i) {
                if let Some(n) = self.node_mut(p).filter(|n| n.in_degree > 0) {
                    n.in_degree += 1;
                }
            }
        }
        let mut heap = Heap::default();
        for &i in list {
            if self.node(i).is_some_and(|n| n.in_degree == 1) {
                heap.insert(i, &|j| self.time(j));
            }
        }
        let mut out = Vec::with_capacity(list.len());
        while let Some(i) = heap.pop(&|j| self.time(j)) {
            for p in self.parents(i) {
                let Some(n) = self.node_mut(p).filter(|n| n.in_degree > 0) else {
                    continue;
                };
                n.in_degree -= 1;
                if n.in_degree == 1 {
                    heap.insert(p, &|j| self.time(j));
                }
            }
            if let Some(n) = self.node_mut(i) {
                n.in_degree = 0;
            }
            out.push(i);
        }
        out
    }
}

/// libgit2's `git_pqueue` with its commit-time comparison: a binary max-heap on time whose
/// ties fall out the way libgit2's do.
#[derive(Default)]
struct Heap(Vec<usize>);

impl Heap {
    /// `cmp(a, b) > 0` when `a` comes out after `b` (older).
    fn cmp(a: i64, b: i64) -> i32 {
        match a.cmp(&b) {
            std::cmp::Ordering::Less => 1,
            std::cmp::Ordering::Greater => -1,
            std::cmp::Ordering::Equal => 0,
        }
    }

    fn insert(&mut self, item: usize, time: &dyn Fn(usize) -> i64) {
        self.0.push(item);
        let mut el = self.0.len() - 1;
        while el > 0 {
            let parent_el = (el - 1) >> 1;
            let parent = self.0.get(parent_el).copied().unwrap_or(item);
            if Heap::cmp(time(parent), time(item)) <= 0 {
                break;
            }
            if let Some(slot) = self.0.get_mut(el) {
                *slot = parent;
            }
            el = parent_el;
        }
        if let Some(slot) = self.0.get_mut(el) {
            *slot = item;
        }
    }

    fn pop(&mut self, time: &dyn Fn(usize) -> i64) -> Option<usize> {
        let top = *self.0.first()?;
        let last = self.0.pop()?;
        if !self.0.is_empty() {
            self.down(last, time);
        }
        Some(top)
    }

    /// Puts `item` at the top and sinks it.
    fn down(&mut self, item: usize, time: &dyn Fn(usize) -> i64) {
        let mut el = 0;
        loop {
            let mut kid_el = (el << 1) + 1;
            let Some(mut kid) = self.0.get(kid_el).copied() else {
                break;
            };
            if let Some(&rkid) = self.0.get(kid_el + 1) {
                if Heap::cmp(time(kid), time(rkid)) > 0 {
                    kid = rkid;
                    kid_el += 1;
                }
            }
            if Heap::cmp(time(item), time(kid)) <= 0 {
                break;
            }
            if let Some(slot) = self.0.get_mut(el) {
                *slot = kid;
            }
            el = kid_el;
        }
        if let Some(slot) = self.0.get_mut(el) {
            *slot = item;
        }
    }
}

#[cfg(test)]
mod tests;
