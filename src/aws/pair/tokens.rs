//! The session tokens of a blob that no pair has taken yet, by line: the nearest free one to a
//! line in near-constant time however many tokens and pairs a blob holds (two "next free"
//! forests with path halving, one to each side).

/// Free tokens, by their rank among the blob's tokens (which is also the order of their lines).
pub(super) struct FreeTokens {
    lines: Vec<u32>,
    /// `right[t]` leads to the first free token at or after `t` (`lines.len()`: none).
    right: Vec<usize>,
    /// `left[t + 1]` leads to one more than the last free token at or before `t` (0: none).
    left: Vec<usize>,
}

impl FreeTokens {
    /// `lines` never decrease.
    pub(super) fn new(lines: Vec<u32>) -> FreeTokens {
        let n = lines.len();
        FreeTokens {
            lines,
            right: (0..=n).collect(),
            left: (0..=n).collect(),
        }
    }

    fn root(forest: &mut [usize], mut x: usize) -> usize {
        while let Some(&up) = forest.get(x) {
            if up == x {
                break;
            }
            let grand = forest.get(up).copied().unwrap_or(up);
            if let Some(slot) = forest.get_mut(x) {
                *slot = grand;
            }
            x = up;
        }
        x
    }

    /// The first free token at or after `t`.
    fn free_from(&mut self, t: usize) -> Option<usize> {
        let r = FreeTokens::root(&mut self.right, t);
        (r < self.lines.len()).then_some(r)
    }

    /// The last free token before `t`.
    fn free_before(&mut self, t: usize) -> Option<usize> {
        FreeTokens::root(&mut self.left, t).checked_sub(1)
    }

    /// Takes token `t`.
    pub(super) fn take(&mut self, t: usize) {
        if let Some(slot) = self.right.get_mut(t) {
            *slot = t + 1;
        }
        if let Some(slot) = self.left.get_mut(t + 1) {
            *slot = t;
        }
    }

    /// The free token nearest to `line`, at most `within` lines away; between two at the same
    /// distance, the first.
    pub(super) fn nearest(&mut self, line: u32, within: u32) -> Option<usize> {
        let at = self.lines.partition_point(|&l| l < line);
        let after = self
            .free_from(at)
            .and_then(|t| Some((self.lines.get(t)? - line, t)));
        // Before `line`, the first free token on the line of the last free one.
        let before = self.free_before(at).and_then(|last| {
            let l = *self.lines.get(last)?;
            let first = self.free_from(self.lines.partition_point(|&x| x < l))?;
            Some((line - l, first))
        });
        [before, after]
            .into_iter()
            .flatten()
            .filter(|&(d, _)| d <= within)
            .min()
            .map(|(_, t)| t)
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn nearest_free_token_as_a_scan_of_all_would_find_it() {
        let mut next = crate::test_rng::xorshift(0x2545_F491_4F6C_DD1D);
        for _ in 0..2000 {
            let mut lines = Vec::new();
            let mut l = 0;
            for _ in 0..next(30) {
                l += next(3) as u32;
                lines.push(l);
            }
            let mut free = FreeTokens::new(lines.clone());
            let mut used = vec![false; lines.len()];
            for _ in 0..40 {
                let (line, within) = (next(u64::from(l) + 3) as u32, next(4) as u32);
                let want = (0..lines.len())
                    .filter(|&t| !used[t])
                    .map(|t| (lines[t].abs_diff(line), t))
                    .filter(|&(d, _)| d <= within)
                    .min()
                    .map(|(_, t)| t);
                assert_eq!(
                    free.nearest(line, within),
                    want,
                    "{lines:?} {line} {within}"
                );
                if let Some(t) = want {
                    used[t] = true;
                    free.take(t);
                }
            }
        }
    }
}
