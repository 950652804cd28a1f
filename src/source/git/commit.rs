//! Who made a commit and when, as reports show it: the author, the e-mail and the date in ISO
//! 8601 with its offset, read and parsed by keyhound (see `parse`).

use git2::{ObjectType, Oid};

use super::parse;
use super::store::Reader;
use crate::finding::CommitInfo;

/// Formats a time (seconds since the epoch, minutes east of UTC) as ISO 8601 with its offset;
/// empty when it cannot be shown.
pub(crate) fn iso_date(seconds: i64, offset_min: i32) -> String {
    let Some(local) = i64::from(offset_min)
        .checked_mul(60)
        .and_then(|o| seconds.checked_add(o))
    else {
        return String::new();
    };
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let sign = if offset_min < 0 { '-' } else { '+' };
    let off = offset_min.unsigned_abs();
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60,
        off / 60,
        off % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's method).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe.saturating_add(era.saturating_mul(400));
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y.saturating_add(1) } else { y }, m, d)
}

/// The author and date of a commit, as reports show them (empty fields for what cannot be
/// read).
pub(crate) fn commit_info(reader: &Reader<'_, '_>, id: Oid) -> CommitInfo {
    let author = reader
        .read_kind(id, ObjectType::Commit)
        .ok()
        .and_then(|data| parse::commit(data.bytes()).ok())
        .and_then(|c| c.author);
    match author {
        Some(a) => CommitInfo {
            id: id.to_string(),
            date: a.time.map(|t| iso_date(t, a.offset)).unwrap_or_default(),
            author: a.name,
            email: a.email,
        },
        None => CommitInfo {
            id: id.to_string(),
            author: String::new(),
            email: String::new(),
            date: String::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_format_with_offset() {
        assert_eq!(iso_date(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(iso_date(1_700_000_000, 60), "2023-11-14T23:13:20+01:00");
        assert_eq!(iso_date(951_782_400, -300), "2000-02-28T19:00:00-05:00");
        assert_eq!(iso_date(i64::MAX, 60), "");
        assert!(!iso_date(i64::MIN / 2, 0).is_empty());
    }
}
