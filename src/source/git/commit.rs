//! Who made a commit and when, as reports show it: the author, the e-mail and the date in ISO
//! 8601 with its offset.

use git2::{Oid, Repository};

use crate::finding::CommitInfo;

/// Formats a git time as ISO 8601 with its offset.
pub(crate) fn iso_date(time: git2::Time) -> String {
    let offset_min = time.offset_minutes();
    let local = time.seconds() + i64::from(offset_min) * 60;
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
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The author and date of a commit, as reports show them.
pub(crate) fn commit_info(repo: &Repository, id: Oid) -> CommitInfo {
    match repo.find_commit(id) {
        Ok(c) => {
            let a = c.author();
            CommitInfo {
                id: id.to_string(),
                author: String::from_utf8_lossy(a.name_bytes()).into_owned(),
                email: String::from_utf8_lossy(a.email_bytes()).into_owned(),
                date: iso_date(a.when()),
            }
        }
        Err(_) => CommitInfo {
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
        assert_eq!(iso_date(git2::Time::new(0, 0)), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            iso_date(git2::Time::new(1_700_000_000, 60)),
            "2023-11-14T23:13:20+01:00"
        );
        assert_eq!(
            iso_date(git2::Time::new(951_782_400, -300)),
            "2000-02-28T19:00:00-05:00"
        );
    }
}
