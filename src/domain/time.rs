//! Timestamps: UTC, stored without zone, shown as ISO 8601 with milliseconds.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// Now, truncated to milliseconds so what is stored is exactly what is shown.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(3)
}

/// `2026-11-24T19:35:55.123Z`
pub fn iso(ts: &NaiveDateTime) -> String {
    ts.and_utc().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Parses an RFC 3339 timestamp into UTC.
pub fn parse_iso(text: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc).naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips_at_millisecond_precision() {
        let t = now();
        assert_eq!(parse_iso(&iso(&t)), Some(t));
        assert!(iso(&t).ends_with('Z'));
    }
}
