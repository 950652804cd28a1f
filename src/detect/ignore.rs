//! Inline ignore comments (`keyhound:allow`, `gitleaks:allow`, `pragma: allowlist secret`): a
//! finding with any location on a line that holds one is dropped, and counted. The markers are
//! found by the same search as the AWS literals (see `aws::candidates`).

use std::collections::HashSet;

use crate::finding::Finding;
use crate::location::Positions;

/// Drops the findings with a location on the line of a marker; returns how many it dropped.
/// `positions` must have resolved every offset in `markers`.
pub(crate) fn apply(
    findings: &mut Vec<Finding>,
    markers: &[usize],
    positions: &Positions,
) -> usize {
    if markers.is_empty() {
        return 0;
    }
    let lines: HashSet<u32> = markers.iter().map(|&o| positions.at(o).0).collect();
    let before = findings.len();
    findings.retain(|f| !f.locations.iter().any(|l| lines.contains(&l.line)));
    before - findings.len()
}
